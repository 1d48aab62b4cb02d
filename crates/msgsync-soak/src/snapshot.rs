//! An account's synced data as the API lists it, and how two of them differ.

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::Context;
use serde_json::Value;

/// A message as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub timestamp: String,
    pub timestamp_ms: i64,
    pub text: Option<String>,
    pub deleted: bool,
}

/// (chat provider id, message provider id).
pub type MessageKey = (String, String);

/// Every chat and message of one account.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Chat provider id → whether it is marked deleted.
    pub chats: BTreeMap<String, bool>,
    pub messages: BTreeMap<MessageKey, Message>,
    /// What came more than once: a chat's provider id, or a message's within a chat.
    pub duplicates: Vec<String>,
}

impl Snapshot {
    pub fn add_chat(&mut self, chat: &Value) -> anyhow::Result<String> {
        let id = str_field(chat, "provider_id")?;
        let deleted = flag(&chat["deleted"]);
        if self.chats.insert(id.clone(), deleted).is_some() {
            self.duplicates.push(format!("chat {id}"));
        }
        Ok(id)
    }

    pub fn add_message(&mut self, chat: &str, m: &Value) -> anyhow::Result<()> {
        let id = str_field(m, "provider_id")?;
        let timestamp = str_field(m, "timestamp")?;
        let timestamp_ms = chrono::DateTime::parse_from_rfc3339(&timestamp)
            .with_context(|| format!("timestamp {timestamp}"))?
            .timestamp_millis();
        let message = Message {
            timestamp,
            timestamp_ms,
            text: m["text"].as_str().map(str::to_owned),
            deleted: flag(&m["deleted"]),
        };
        if self
            .messages
            .insert((chat.to_owned(), id.clone()), message)
            .is_some()
        {
            self.duplicates.push(format!("message {id} of chat {chat}"));
        }
        Ok(())
    }
}

fn str_field(v: &Value, name: &str) -> anyhow::Result<String> {
    v[name]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {name} in {v}"))
}

/// `deleted` is 0/1 in the Unipile shapes; `true` is read the same way.
fn flag(v: &Value) -> bool {
    v.as_i64().is_some_and(|n| n != 0) || v.as_bool() == Some(true)
}

/// A span of message timestamps, both ends included (as the resync route's `after` and
/// `before`); no ends: the whole history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl Scope {
    pub const ALL: Scope = Scope {
        after: None,
        before: None,
    };

    pub fn contains(&self, ms: i64) -> bool {
        self.after.is_none_or(|a| ms >= a) && self.before.is_none_or(|b| ms <= b)
    }
}

/// How an account's data differs from the reference.
#[derive(Debug, Default)]
pub struct Diff {
    pub missing: Vec<MessageKey>,
    pub extra: Vec<MessageKey>,
    pub changed: Vec<(MessageKey, Message, Message)>,
    pub marked_deleted: Vec<MessageKey>,
    pub deleted_chats: Vec<String>,
    pub missing_chats: Vec<String>,
    pub extra_chats: Vec<String>,
    pub duplicates: Vec<String>,
}

/// Examples of each kind of difference shown.
const EXAMPLES: usize = 3;

impl Diff {
    /// Everything the reference has must be there, and nothing else.
    pub fn exact(actual: &Snapshot, reference: &Snapshot) -> Diff {
        Self::within(actual, reference, &[Scope::ALL])
    }

    /// What the account holds must be in the reference, unchanged (deleted only if deleted
    /// there), once; what the reference has in the `complete` scopes (resyncs that finished) must
    /// be there.
    pub fn within(actual: &Snapshot, reference: &Snapshot, complete: &[Scope]) -> Diff {
        let mut d = Diff {
            duplicates: actual.duplicates.clone(),
            ..Diff::default()
        };
        for (key, m) in &actual.messages {
            match reference.messages.get(key) {
                None => d.extra.push(key.clone()),
                Some(r) if m.deleted && !r.deleted => d.marked_deleted.push(key.clone()),
                Some(r) if r != m => d.changed.push((key.clone(), r.clone(), m.clone())),
                Some(_) => {}
            }
        }
        let needed = |ms: i64| complete.iter().any(|s| s.contains(ms));
        for (key, r) in &reference.messages {
            if needed(r.timestamp_ms) && !actual.messages.contains_key(key) {
                d.missing.push(key.clone());
            }
        }
        for (chat, deleted) in &actual.chats {
            match reference.chats.get(chat) {
                None => d.extra_chats.push(chat.clone()),
                Some(false) if *deleted => d.deleted_chats.push(chat.clone()),
                Some(_) => {}
            }
        }
        let all = complete.contains(&Scope::ALL);
        for chat in reference.chats.keys() {
            let has_needed = reference
                .messages
                .range((chat.clone(), String::new())..)
                .take_while(|((c, _), _)| c == chat)
                .any(|(_, m)| needed(m.timestamp_ms));
            if (all || has_needed) && !actual.chats.contains_key(chat) {
                d.missing_chats.push(chat.clone());
            }
        }
        d
    }

    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.extra.is_empty()
            && self.changed.is_empty()
            && self.marked_deleted.is_empty()
            && self.deleted_chats.is_empty()
            && self.missing_chats.is_empty()
            && self.extra_chats.is_empty()
            && self.duplicates.is_empty()
    }

    /// Counts, with a few examples of each.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        let keys = |v: &[MessageKey]| {
            v.iter()
                .take(EXAMPLES)
                .map(|(c, m)| format!("{m} in chat {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let names = |v: &[String]| {
            v.iter()
                .take(EXAMPLES)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.missing.is_empty() {
            out.push(format!(
                "{} messages lost (e.g. {})",
                self.missing.len(),
                keys(&self.missing)
            ));
        }
        if !self.missing_chats.is_empty() {
            out.push(format!(
                "{} chats lost (e.g. {})",
                self.missing_chats.len(),
                names(&self.missing_chats)
            ));
        }
        if !self.duplicates.is_empty() {
            out.push(format!(
                "{} duplicated (e.g. {})",
                self.duplicates.len(),
                names(&self.duplicates)
            ));
        }
        if !self.extra.is_empty() {
            out.push(format!(
                "{} messages the provider never had (e.g. {})",
                self.extra.len(),
                keys(&self.extra)
            ));
        }
        if !self.extra_chats.is_empty() {
            out.push(format!(
                "{} chats the provider never had (e.g. {})",
                self.extra_chats.len(),
                names(&self.extra_chats)
            ));
        }
        if !self.changed.is_empty() {
            let mut s = format!("{} messages changed", self.changed.len());
            for ((c, id), want, got) in self.changed.iter().take(EXAMPLES) {
                let _ = write!(
                    s,
                    "; {id} in chat {c}: {} {:?} deleted={} instead of {} {:?} deleted={}",
                    got.timestamp, got.text, got.deleted, want.timestamp, want.text, want.deleted
                );
            }
            out.push(s);
        }
        if !self.marked_deleted.is_empty() {
            out.push(format!(
                "{} marked deleted that the provider still has (e.g. {})",
                self.marked_deleted.len(),
                keys(&self.marked_deleted)
            ));
        }
        if !self.deleted_chats.is_empty() {
            out.push(format!(
                "{} chats marked deleted that the provider still has (e.g. {})",
                self.deleted_chats.len(),
                names(&self.deleted_chats)
            ));
        }
        out.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn snapshot(messages: &[(&str, &str, i64, &str)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (chat, id, ms, text) in messages {
            if !s.chats.contains_key(*chat) {
                s.add_chat(&json!({"provider_id": chat, "deleted": 0}))
                    .unwrap();
            }
            let timestamp = chrono::DateTime::from_timestamp_millis(*ms)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            s.add_message(
                chat,
                &json!({"provider_id": id, "timestamp": timestamp, "text": text, "deleted": 0}),
            )
            .unwrap();
        }
        s
    }

    #[test]
    fn the_same_data_is_no_difference() {
        let r = snapshot(&[("c1", "m1", 10, "a"), ("c2", "m2", 20, "b")]);
        let a = snapshot(&[("c2", "m2", 20, "b"), ("c1", "m1", 10, "a")]);
        assert!(Diff::exact(&a, &r).is_empty());
    }

    #[test]
    fn lost_changed_extra_duplicated_and_deleted_data_is_named() {
        let r = snapshot(&[
            ("c1", "m1", 10, "a"),
            ("c1", "m2", 20, "b"),
            ("c1", "m4", 40, "d"),
        ]);
        let mut a = snapshot(&[("c1", "m2", 20, "B"), ("c3", "m9", 5, "z")]);
        let m2 = json!({"provider_id": "m2", "timestamp": "1970-01-01T00:00:00.020Z", "text": "B", "deleted": 0});
        a.add_message("c1", &m2).unwrap();
        let m4 = json!({"provider_id": "m4", "timestamp": "1970-01-01T00:00:00.040Z", "text": "d", "deleted": 1});
        a.add_message("c1", &m4).unwrap();
        let d = Diff::exact(&a, &r);
        assert_eq!(d.missing, [("c1".into(), "m1".into())]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.marked_deleted, [("c1".into(), "m4".into())]);
        assert_eq!(d.extra, [("c3".into(), "m9".into())]);
        assert_eq!(d.extra_chats, ["c3"]);
        assert_eq!(d.duplicates, ["message m2 of chat c1"]);
        let text = d.describe();
        assert!(
            text.contains("1 messages lost (e.g. m1 in chat c1)"),
            "{text}"
        );
    }

    #[test]
    fn only_finished_scopes_must_be_complete() {
        let r = snapshot(&[
            ("c1", "m1", 10, "a"),
            ("c1", "m2", 20, "b"),
            ("c2", "m3", 30, "c"),
        ]);
        let a = snapshot(&[("c1", "m2", 20, "b")]);
        let span = Scope {
            after: Some(15),
            before: Some(25),
        };
        assert!(Diff::within(&a, &r, &[span]).is_empty());
        assert!(Diff::within(&a, &r, &[]).is_empty());
        let d = Diff::within(
            &a,
            &r,
            &[Scope {
                after: Some(15),
                before: None,
            }],
        );
        assert_eq!(d.missing, [("c2".into(), "m3".into())]);
        assert_eq!(d.missing_chats, ["c2"]);
    }
}
