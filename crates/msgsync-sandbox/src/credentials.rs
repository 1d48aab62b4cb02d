//! What both sandbox connectors (Voyager, MTProto) do with the credential of a sandbox
//! account: the credential *is* the scenario.

use msgsync_core::{ApiError, ProviderKind};
use msgsync_providers::{AccountProfile, Credentials, ProviderError};

use crate::generator::account_owner;
use crate::scenario::Scenario;

fn parse(provider: ProviderKind, credentials: &Credentials) -> Result<Scenario, String> {
    Scenario::parse(provider, &credentials.secret)
        .map_err(|e| format!("invalid sandbox scenario: {e}"))
}

/// At connection time: a bad scenario is the API user's mistake, named in a 400.
pub(crate) fn check(
    provider: ProviderKind,
    credentials: &Credentials,
) -> Result<AccountProfile, ApiError> {
    let scenario = parse(provider, credentials).map_err(ApiError::invalid_parameters)?;
    let owner = account_owner(provider, &scenario);
    Ok(AccountProfile {
        name: owner.name,
        provider_user_id: Some(owner.id),
        linkedin_products: (provider == ProviderKind::Linkedin).then_some(scenario.products),
    })
}

/// At sync time: the credential was checked when the account was connected, so one that no
/// longer parses is a session the provider would not accept.
pub(crate) fn scenario(
    provider: ProviderKind,
    credentials: &Credentials,
) -> Result<Scenario, ProviderError> {
    parse(provider, credentials).map_err(ProviderError::SessionExpired)
}

#[cfg(test)]
mod tests {
    use msgsync_core::{ErrorKind, LinkedinProduct};

    use super::*;

    fn credentials(secret: &str) -> Credentials {
        Credentials {
            secret: secret.to_string(),
            user_agent: None,
            ..Default::default()
        }
    }

    #[test]
    fn check_reads_the_scenario() {
        let li = check(
            ProviderKind::Linkedin,
            &credentials("sandbox:products=recruiter+classic"),
        )
        .unwrap();
        assert_eq!(
            li.linkedin_products,
            Some(vec![LinkedinProduct::Classic, LinkedinProduct::Recruiter])
        );
        assert!(li.name.contains(' '), "{}", li.name);
        assert!(li.provider_user_id.unwrap().starts_with("ACoAA"));
        let tg = check(ProviderKind::Telegram, &credentials("sandbox")).unwrap();
        assert_eq!(tg.linkedin_products, None);
        assert!(tg.provider_user_id.unwrap().parse::<u64>().is_ok());
    }

    #[test]
    fn check_names_a_bad_scenario_in_a_400() {
        let e = check(
            ProviderKind::Telegram,
            &credentials("sandbox:products=classic"),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameters);
        assert!(e.detail.starts_with("invalid sandbox scenario: "), "{e}");
        assert!(e.detail.contains("`products`"), "{e}");
        let e = check(ProviderKind::Linkedin, &credentials("sandbox:chats=lots")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameters);
        assert!(
            e.detail.contains("`chats`") && e.detail.contains("`lots`"),
            "{e}"
        );
    }

    #[test]
    fn a_scenario_that_no_longer_parses_is_an_expired_session() {
        for provider in [ProviderKind::Linkedin, ProviderKind::Telegram] {
            match scenario(provider, &credentials("sandbox:fault=sometimes")) {
                Err(ProviderError::SessionExpired(why)) => {
                    assert!(why.contains("`sometimes`"), "{why}")
                }
                other => panic!("{provider}: {other:?}"),
            }
        }
        let parsed = scenario(ProviderKind::Telegram, &credentials("sandbox:chats=7")).unwrap();
        assert_eq!(parsed.chats, 7);
    }
}
