//! Cursors coming back from outside: a list's `cursor` query parameter, and a sync's saved
//! position (written by an earlier version, or damaged in the database).
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_engine::SyncCursor;
use msgsync_store::PageCursor;

fuzz_target!(|text: &str| {
    if let Some(cursor) = PageCursor::decode(text) {
        assert_eq!(PageCursor::decode(&cursor.encode()), Some(cursor));
    }
    let _ = SyncCursor::decode(Some(text));
});
