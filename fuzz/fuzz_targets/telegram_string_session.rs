//! Telethon string sessions: the `session` an API user sends for a Telegram account.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_providers::telegram::StringSession;

fuzz_target!(|text: &str| {
    let _ = StringSession::decode(text);
});
