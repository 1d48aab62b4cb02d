//! Entry points for the fuzz targets (`fuzz/fuzz_targets/voyager_decoders.rs`): the
//! connector's own readers of LinkedIn's answers, given any bytes as an answer. Not an API.

use msgsync_core::LinkedinProduct;
use reqwest::Url;

use super::messages::{BY_ANCHOR, BY_CONVERSATION};
use super::queries::{find_ids, script_urls};
use super::reader::Reader;
use super::session::read_me;
use super::skipped::Skipped;
use super::{LIVE_BASE_URL, MESSAGING_PAGE};

/// The mailbox owner the answers are read for: the member of the seed corpus's answers.
pub const OWNER: &str = "ACoAAAPqaMsBppQ4Do96IW1KXudL-mT6tj3xXZ0";

/// Reads `body` as every answer the connector reads: `/voyager/api/me`, both messenger
/// queries, Sales Navigator's thread list and one thread, and the messaging page and scripts
/// the query ids are discovered from. Panics where a reader does, or where what it gives
/// breaks what the rest of msgsync relies on.
pub fn read_answer(body: &[u8]) {
    let skipped = Skipped::default();
    let reader = Reader {
        owner: OWNER,
        web: LIVE_BASE_URL,
        skipped: &skipped,
    };
    if let Ok((profile_id, name)) = read_me(body) {
        assert!(!profile_id.is_empty() && !name.is_empty());
    }
    for inbox in [LinkedinProduct::Classic, LinkedinProduct::Recruiter] {
        if let Ok((chats, _)) = reader.conversations(body, inbox) {
            assert!(chats.iter().all(|(c, _)| !c.provider_id.is_empty()));
        }
    }
    for field in [BY_ANCHOR, BY_CONVERSATION] {
        if let Ok((messages, _)) = reader.messages(body, field, "2-fuzz", Some(0)) {
            assert!(messages
                .iter()
                .all(|m| !m.message.provider_id.is_empty() && !m.message.sender_id.is_empty()));
        }
    }
    let _ = reader.sales_threads(body);
    if let Ok(thread) = reader.sales_thread(body, "2-fuzz") {
        assert!(thread
            .all
            .windows(2)
            .all(|w| w[0].timestamp_ms >= w[1].timestamp_ms));
    }
    let text = String::from_utf8_lossy(body);
    let mut ids = Vec::new();
    for name in ["messengerConversations", "messengerMessages"] {
        find_ids(&text, name, &mut ids);
    }
    let page = Url::parse(&format!("{LIVE_BASE_URL}{MESSAGING_PAGE}")).expect("a URL");
    let _ = script_urls(&text, &page);
}
