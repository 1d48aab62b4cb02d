//! Accounts, providers, API-key modes and scopes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The messaging services an account can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProviderKind {
    Linkedin,
    Telegram,
    Whatsapp,
    Instagram,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Linkedin,
        ProviderKind::Telegram,
        ProviderKind::Whatsapp,
        ProviderKind::Instagram,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Linkedin => "LINKEDIN",
            ProviderKind::Telegram => "TELEGRAM",
            ProviderKind::Whatsapp => "WHATSAPP",
            ProviderKind::Instagram => "INSTAGRAM",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// Live keys see live accounts; test keys see sandbox accounts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyMode {
    Live,
    Test,
}

impl ApiKeyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyMode::Live => "live",
            ApiKeyMode::Test => "test",
        }
    }
}

impl FromStr for ApiKeyMode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "live" => Ok(ApiKeyMode::Live),
            "test" => Ok(ApiKeyMode::Test),
            _ => Err(()),
        }
    }
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    AccountsRead,
    AccountsWrite,
    AccountsSync,
    MessagingRead,
    /// Registers, lists, rotates and deletes webhooks (issue 14). Keys created before it
    /// existed keep the scopes they were given, so they do not have it.
    WebhooksWrite,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::AccountsRead,
        Scope::AccountsWrite,
        Scope::AccountsSync,
        Scope::MessagingRead,
        Scope::WebhooksWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AccountsRead => "accounts:read",
            Scope::AccountsWrite => "accounts:write",
            Scope::AccountsSync => "accounts:sync",
            Scope::MessagingRead => "messaging:read",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }
}

impl FromStr for Scope {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or(())
    }
}

/// A LinkedIn inbox. Recruiter and Sales Navigator have mailboxes of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkedinProduct {
    Classic,
    Recruiter,
    SalesNavigator,
}

impl LinkedinProduct {
    pub const ALL: [LinkedinProduct; 3] = [
        LinkedinProduct::Classic,
        LinkedinProduct::Recruiter,
        LinkedinProduct::SalesNavigator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkedinProduct::Classic => "classic",
            LinkedinProduct::Recruiter => "recruiter",
            LinkedinProduct::SalesNavigator => "sales_navigator",
        }
    }
}

impl fmt::Display for LinkedinProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkedinProduct {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or(())
    }
}

/// What msgsync knows of the provider session of an account.
///
/// Shown to API users as `sources[].status` (the Unipile vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountState {
    /// The session works (or nothing says otherwise yet).
    Ok,
    /// The provider session expired: the account must be reconnected.
    Credentials,
    /// The provider restricted the account.
    Restricted,
    /// The provider account itself is gone (deleted by its owner or banned, e.g. Telegram's
    /// `USER_DEACTIVATED`): nothing syncs until a reconnect shows it is back.
    Disconnected,
    /// The last sync failed for a reason other than the above.
    Error,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Ok => "ok",
            AccountState::Credentials => "credentials",
            AccountState::Restricted => "restricted",
            AccountState::Disconnected => "disconnected",
            AccountState::Error => "error",
        }
    }

    /// The Unipile `sources[].status` word for this state.
    pub fn source_status(self) -> &'static str {
        match self {
            AccountState::Ok => "OK",
            AccountState::Credentials => "CREDENTIALS",
            AccountState::Restricted => "PERMISSIONS",
            AccountState::Disconnected => "STOPPED",
            AccountState::Error => "ERROR",
        }
    }
}

impl FromStr for AccountState {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ok" => AccountState::Ok,
            "credentials" => AccountState::Credentials,
            "restricted" => AccountState::Restricted,
            "disconnected" => AccountState::Disconnected,
            "error" => AccountState::Error,
            _ => return Err(()),
        })
    }
}
