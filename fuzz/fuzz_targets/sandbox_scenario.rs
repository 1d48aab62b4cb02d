//! The grammar of sandbox credentials (`sandbox:chats=50,fault=flaky,…`): any text an API user
//! sends as an `access_token` or `session` under a test key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgsync_core::ProviderKind;
use msgsync_sandbox::Scenario;

fuzz_target!(|text: &str| {
    for provider in [ProviderKind::Linkedin, ProviderKind::Telegram] {
        if let Ok(scenario) = Scenario::parse(provider, text) {
            // What parses, writes back to text that parses to the same scenario.
            let again = Scenario::parse(provider, &scenario.to_string())
                .expect("a scenario's own text parses");
            assert_eq!(again, scenario);
        }
    }
});
