//! What every sandbox connector (in-process, Voyager, MTProto) does with the credential of a
//! sandbox account: the credential *is* the scenario.

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
