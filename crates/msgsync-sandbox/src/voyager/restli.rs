//! Reading Rest.li 2.0 tuple syntax (`(k:v,k:(k:v),k:List(a,b))`) with percent-encoded leaves,
//! as LinkedIn reads the `variables` of a GraphQL query. Written apart from the connector's
//! writer, so that the two check each other.

/// A parsed Rest.li value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestLi {
    Leaf(String),
    List(Vec<RestLi>),
    Record(Vec<(String, RestLi)>),
}

/// Nesting deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 32;

impl RestLi {
    /// Parses a whole value; trailing input is an error.
    pub fn parse(input: &str) -> Result<RestLi, String> {
        let mut p = Parser {
            s: input.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        if p.i != p.s.len() {
            return Err(format!("unexpected input at {}", p.i));
        }
        Ok(v)
    }

    /// A field of a record.
    pub fn get(&self, key: &str) -> Option<&RestLi> {
        match self {
            RestLi::Record(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            RestLi::Leaf(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[RestLi]> {
        match self {
            RestLi::List(items) => Some(items),
            _ => None,
        }
    }
}

/// Decodes `%XX` escapes; anything else, `+` included, stays as it is.
pub fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent escapes are not UTF-8".to_string())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at {}", char::from(c), self.i))
        }
    }

    fn value(&mut self, depth: usize) -> Result<RestLi, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        if self.s[self.i..].starts_with(b"List(") {
            self.i += 5;
            let mut items = Vec::new();
            if self.peek() != Some(b')') {
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
            }
            self.expect(b')')?;
            return Ok(RestLi::List(items));
        }
        if self.peek() == Some(b'(') {
            self.i += 1;
            let mut fields = Vec::new();
            if self.peek() != Some(b')') {
                loop {
                    let key = self.token()?;
                    if key.is_empty() {
                        return Err(format!("empty key at {}", self.i));
                    }
                    self.expect(b':')?;
                    let v = self.value(depth + 1)?;
                    fields.push((key, v));
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
            }
            self.expect(b')')?;
            return Ok(RestLi::Record(fields));
        }
        Ok(RestLi::Leaf(self.token()?))
    }

    /// A leaf or key: everything up to a structure character, percent-decoded.
    fn token(&mut self) -> Result<String, String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if matches!(c, b'(' | b')' | b',' | b':') {
                break;
            }
            self.i += 1;
        }
        let raw = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "not UTF-8")?;
        percent_decode(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_web_apps_variables() {
        let v = RestLi::parse(
            "(query:(predicateUnions:List((conversationCategoryPredicate:(category:INBOX)),\
             (conversationCategoryPredicate:(category:ARCHIVE)))),count:20,\
             mailboxUrn:urn%3Ali%3Afsd_profile%3AACoAA%2Bx)",
        )
        .unwrap();
        assert_eq!(
            v.get("mailboxUrn").and_then(RestLi::as_str),
            Some("urn:li:fsd_profile:ACoAA+x")
        );
        let unions = v
            .get("query")
            .and_then(|q| q.get("predicateUnions"))
            .and_then(RestLi::as_list)
            .unwrap();
        assert_eq!(unions.len(), 2);
        assert_eq!(v.get("count").and_then(RestLi::as_str), Some("20"));
    }

    #[test]
    fn rejects_broken_input() {
        for bad in ["(a:1", "(a:1))", "(:1)", "(a:%zz)", "List(a", "(a:(b:(c:"] {
            assert!(RestLi::parse(bad).is_err(), "{bad}");
        }
        // A raw URN is not a value: its colons are structure.
        assert!(RestLi::parse("(mailboxUrn:urn:li:fsd_profile:x)").is_err());
    }
}
