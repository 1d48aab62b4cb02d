//! The simulated web app's deploy: the persisted query ids the messenger GraphQL runs, the
//! messaging page and the script that holds the ids.
//!
//! As LinkedIn's (PROVIDERS.md field notes): the query the messaging page fires on load
//! answers the first page whatever cursor variables it is given; the "load more" query is
//! another id of the same name and pages; a deploy changes the ids, and an id the deploy does
//! not know is refused with a 400 (alexey-pelykh/lhremote issue #518). Deploy 0 mirrors the
//! field notes: the 2025 conversations id (`8656fb36…`, msgsync's former default) is the
//! page-load query, the one seen paging in October 2026 (`95010742…`) pages, and the messages
//! ids are mautrix-linkedin's. Later deploys (`VoyagerHandle::deploy`) get fresh ids.

use sha2::{Digest, Sha256};

/// What a query id of the current deploy does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `messengerConversations` of the page load: cursor variables are ignored.
    ConversationsOnLoad,
    /// `messengerConversations` of "load more": pages by `nextCursor`.
    ConversationsPaging,
    /// `messengerMessages` anchored at a timestamp.
    MessagesByAnchor,
    /// `messengerMessages` by `prevCursor`.
    MessagesByCursor,
}

/// The query ids of one deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryIds {
    pub conversations_on_load: String,
    pub conversations_paging: String,
    pub messages_by_anchor: String,
    pub messages_by_cursor: String,
}

/// The path of the scripts of the simulated web app (LinkedIn's are on
/// `https://static.licdn.com/aero-v1/sc/h/…`; the simulator serves its own).
pub(crate) const SCRIPTS_PATH: &str = "/aero-v1/sc/h";

fn hash(deploy: u64, role: &str) -> String {
    let digest = Sha256::digest(format!("msgsync-sandbox-deploy-{deploy}-{role}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl QueryIds {
    pub fn of_deploy(deploy: u64) -> QueryIds {
        if deploy == 0 {
            return QueryIds {
                conversations_on_load: "messengerConversations.8656fb361a8ad0c178e8d3ff1a84ce26"
                    .into(),
                conversations_paging: "messengerConversations.9501074288a12f3ae9e3c7ea243bccbf"
                    .into(),
                messages_by_anchor: "messengerMessages.4088d03bc70c91c3fa68965cb42336de".into(),
                messages_by_cursor: "messengerMessages.34c9888be71c8010fecfb575cb38308f".into(),
            };
        }
        QueryIds {
            conversations_on_load: format!("messengerConversations.{}", hash(deploy, "load")),
            conversations_paging: format!("messengerConversations.{}", hash(deploy, "paging")),
            messages_by_anchor: format!("messengerMessages.{}", hash(deploy, "anchor")),
            messages_by_cursor: format!("messengerMessages.{}", hash(deploy, "cursor")),
        }
    }

    pub(crate) fn role(&self, query_id: &str) -> Option<Role> {
        [
            (&self.conversations_on_load, Role::ConversationsOnLoad),
            (&self.conversations_paging, Role::ConversationsPaging),
            (&self.messages_by_anchor, Role::MessagesByAnchor),
            (&self.messages_by_cursor, Role::MessagesByCursor),
        ]
        .into_iter()
        .find_map(|(id, role)| (id == query_id).then_some(role))
    }
}

/// The name of the deploy's messaging script.
pub(crate) fn script_name(deploy: u64) -> String {
    format!("messaging-{}.js", hash(deploy, "script"))
}

/// The messaging page: the web app's shell, naming its scripts.
pub(crate) fn messaging_page(base_url: &str, deploy: u64) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Messaging | LinkedIn</title>\
         <script src=\"{base_url}{SCRIPTS_PATH}/vendor-{vendor}.js\" defer></script>\
         <script src=\"{base_url}{SCRIPTS_PATH}/{script}\" defer></script>\
         </head><body><main id=\"main\"></main></body></html>",
        vendor = hash(deploy, "vendor"),
        script = script_name(deploy),
    )
}

/// A script of the deploy: the messaging one defines its queries (the page-load query first,
/// as the web app asks for it first); any other holds none.
pub(crate) fn script(name: &str, deploy: u64) -> String {
    if name != script_name(deploy) {
        return "/* sandbox vendor bundle */ window.__vendor = true;".into();
    }
    let ids = QueryIds::of_deploy(deploy);
    format!(
        "define(\"messaging/queries\",[],function(){{return{{\
         conversationsOnLoad:\"{}\",conversationsMore:\"{}\",\
         messagesAround:\"{}\",messagesBefore:\"{}\"}}}});",
        ids.conversations_on_load,
        ids.conversations_paging,
        ids.messages_by_anchor,
        ids.messages_by_cursor
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploys_differ_and_name_their_ids() {
        let zero = QueryIds::of_deploy(0);
        let one = QueryIds::of_deploy(1);
        assert_ne!(zero, one);
        assert_eq!(
            one.conversations_paging.len(),
            "messengerConversations.".len() + 32
        );
        assert_eq!(
            zero.role(&zero.conversations_paging),
            Some(Role::ConversationsPaging)
        );
        assert_eq!(one.role(&zero.conversations_paging), None);
        let js = script(&script_name(1), 1);
        assert!(js.contains(&one.conversations_on_load) && js.contains(&one.messages_by_cursor));
        assert!(!script("vendor.js", 1).contains("messenger"));
    }
}
