//! LinkedIn's answers as the connector reads them: `/voyager/api/me`, the messenger GraphQL
//! queries, Sales Navigator's threads, and the web app's page and scripts the query ids are
//! found in. A live session reads whatever LinkedIn (or whatever answers in its place) sends.
//!
//! Seeds: the Voyager simulator's answers and the published capture of real ones
//! (`crates/msgsync-providers/src/linkedin/fixtures`), cut down to the fields the connector
//! reads; a message with every kind of `renderContent` from the mapping's tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_providers::linkedin::fuzzing;

fuzz_target!(|body: &[u8]| {
    fuzzing::read_answer(body);
});
