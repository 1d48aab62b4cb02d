//! The MTProto simulator's reading of a decrypted message: containers, `gzip_packed`, service
//! messages, and the TL of every API method it serves, for a sandbox account.
//!
//! Seeds: `fuzzing::request_seeds` (requests as Telethon and grammers send them), written by
//! `cargo test -p msgsync-sandbox -- --ignored write_the_seed_corpora`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_sandbox::mtproto::fuzzing;

fuzz_target!(|body: &[u8]| {
    fuzzing::handle_message(body);
});
