//! The Rest.li `variables` of a GraphQL query, as the Voyager simulator reads what any client
//! sends it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_sandbox::voyager::restli::RestLi;

fuzz_target!(|text: &str| {
    let _ = RestLi::parse(text);
});
