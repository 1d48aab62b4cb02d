//! The resync route's query parameters, and the instants every list route reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_core::sync::{RawSyncParams, SyncParams};
use msgsync_core::time::parse_instant;

fuzz_target!(|text: &str| {
    // Five parameters, separated by NUL: chunk_size, partial, after, before, linkedin_product.
    let mut parts = text.split('\0').map(|p| (!p.is_empty()).then_some(p));
    let mut next = || parts.next().flatten();
    let raw = RawSyncParams {
        chunk_size: next(),
        partial: next(),
        after: next(),
        before: next(),
        linkedin_product: next(),
    };
    if let Ok(params) = SyncParams::parse(&raw) {
        if let (Some(after), Some(before)) = (params.span.after, params.span.before) {
            assert!(after <= before, "an accepted span ends before it starts");
        }
    }
    let _ = parse_instant(text);
});
