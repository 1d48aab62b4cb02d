//! The MTProto simulator's transport: Full-transport frames of a connection, and the MTProto
//! 2.0 decryption of their payloads (with the plaintext's header and padding fuzzed behind a
//! valid message key). Anyone who can reach the simulator's port sends these bytes.
//!
//! Seeds: `fuzzing::frame_seeds` (a connection's first packets, framed and encrypted as a
//! client sends them), written by `cargo test -p msgsync-sandbox -- --ignored
//! write_the_seed_corpora`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_sandbox::mtproto::fuzzing;

fuzz_target!(|bytes: &[u8]| {
    fuzzing::read_connection(bytes);
    fuzzing::decrypt_plaintext(bytes);
});
