//! Rest.li 2.0 tuple syntax, as the web app writes GraphQL `variables`:
//! `(key:value,key:(k:v),key:List(a,b))`. Structure characters stay raw; leaf values (URNs,
//! cursors) are percent-encoded, so that the `:`, `(`, `,` inside a URN are not read as
//! structure.

use std::fmt::Write as _;

/// Percent-encodes everything but the RFC 3986 unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A Rest.li value being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A leaf, written percent-encoded.
    Leaf(String),
    /// A leaf written as is (numbers, enum symbols): nothing in it needs encoding.
    Raw(String),
    List(Vec<Value>),
    Record(Vec<(String, Value)>),
}

impl Value {
    pub fn leaf(v: impl Into<String>) -> Value {
        Value::Leaf(v.into())
    }

    pub fn raw(v: impl ToString) -> Value {
        Value::Raw(v.to_string())
    }

    pub fn record<const N: usize>(fields: [(&str, Value); N]) -> Value {
        Value::Record(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// Writes the value in tuple syntax.
    pub fn write(&self) -> String {
        let mut out = String::new();
        self.write_into(&mut out);
        out
    }

    fn write_into(&self, out: &mut String) {
        match self {
            Value::Leaf(v) => out.push_str(&encode(v)),
            Value::Raw(v) => out.push_str(v),
            Value::List(items) => {
                out.push_str("List(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_into(out);
                }
                out.push(')');
            }
            Value::Record(fields) => {
                out.push('(');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_into(out);
                }
                out.push(')');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_tuples_with_encoded_leaves() {
        let v = Value::record([
            (
                "query",
                Value::record([(
                    "predicateUnions",
                    Value::List(vec![Value::record([(
                        "conversationCategoryPredicate",
                        Value::record([("category", Value::raw("PRIMARY_INBOX"))]),
                    )])]),
                )]),
            ),
            ("count", Value::raw(20)),
            ("mailboxUrn", Value::leaf("urn:li:fsd_profile:ACoAA-x")),
        ]);
        assert_eq!(
            v.write(),
            "(query:(predicateUnions:List((conversationCategoryPredicate:(category:PRIMARY_INBOX)))),\
             count:20,mailboxUrn:urn%3Ali%3Afsd_profile%3AACoAA-x)"
        );
        assert_eq!(encode("2-ab+c/d=="), "2-ab%2Bc%2Fd%3D%3D");
    }
}
