//! The catalogue of API errors (CONTRACT §4): every `errors/<name>` type with its HTTP status.
//!
//! This is the one written error policy of msgsync. Lower layers return their own typed errors;
//! the API maps them onto an [`ApiError`] in one place, and the envelope is rendered from it.

use std::fmt;

macro_rules! error_kinds {
    ($($variant:ident => ($status:literal, $name:literal)),+ $(,)?) => {
        /// One `type` of the error envelope.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $($variant),+
        }

        impl ErrorKind {
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant),+];

            /// The HTTP status this type is answered with.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorKind::$variant => $status),+
                }
            }

            /// The bare name, e.g. `invalid_parameters`.
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $name),+
                }
            }
        }
    };
}

error_kinds! {
    InvalidParameters => (400, "invalid_parameters"),
    MissingParameters => (400, "missing_parameters"),
    MalformedRequest => (400, "malformed_request"),
    ContentTooLarge => (400, "content_too_large"),
    InvalidUrl => (400, "invalid_url"),
    TooManyCharacters => (400, "too_many_characters"),
    UnescapedCharacters => (400, "unescaped_characters"),
    LimitTooHigh => (400, "limit_too_high"),
    MissingCredentials => (401, "missing_credentials"),
    MultipleSessions => (401, "multiple_sessions"),
    InvalidCheckpointSolution => (401, "invalid_checkpoint_solution"),
    InvalidProxyCredentials => (401, "invalid_proxy_credentials"),
    CheckpointError => (401, "checkpoint_error"),
    InvalidCredentials => (401, "invalid_credentials"),
    ExpiredCredentials => (401, "expired_credentials"),
    InsufficientPrivileges => (401, "insufficient_privileges"),
    DisconnectedAccount => (401, "disconnected_account"),
    DisconnectedFeature => (401, "disconnected_feature"),
    InvalidCredentialsButValidAccountImap => (401, "invalid_credentials_but_valid_account_imap"),
    ExpiredLink => (401, "expired_link"),
    WrongAccount => (401, "wrong_account"),
    AccountRestricted => (403, "account_restricted"),
    AccountMismatch => (403, "account_mismatch"),
    InsufficientPermissions => (403, "insufficient_permissions"),
    SessionMismatch => (403, "session_mismatch"),
    FeatureNotSubscribed => (403, "feature_not_subscribed"),
    SubscriptionRequired => (403, "subscription_required"),
    UnknownAuthenticationContext => (403, "unknown_authentication_context"),
    ActionRequired => (403, "action_required"),
    ResourceAccessRestricted => (403, "resource_access_restricted"),
    ResourceNotFound => (404, "resource_not_found"),
    InvalidResourceIdentifier => (404, "invalid_resource_identifier"),
    // Not in Unipile's catalogue: msgsync answers a route that exists with another method so
    // (issue 11), with an `Allow` header, rather than as a resource that is not found.
    MethodNotAllowed => (405, "method_not_allowed"),
    UnexpectedError => (500, "unexpected_error"),
    ProviderError => (500, "provider_error"),
    AuthenticationIntentError => (500, "authentication_intent_error"),
    FeatureNotImplemented => (501, "feature_not_implemented"),
    NoClientSession => (503, "no_client_session"),
    NoChannel => (503, "no_channel"),
    NoHandler => (503, "no_handler"),
    NetworkDown => (503, "network_down"),
    ServiceUnavailable => (503, "service_unavailable"),
    RequestTimeout => (504, "request_timeout"),
}

impl ErrorKind {
    /// The envelope's `type`, e.g. `errors/invalid_parameters`.
    pub fn type_uri(self) -> String {
        format!("errors/{}", self.name())
    }

    /// The envelope's `title`: the reason phrase of the status.
    pub fn title(self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Error",
        }
    }

    /// Parses `errors/<name>` or `<name>`.
    pub fn from_name(s: &str) -> Option<ErrorKind> {
        let name = s.strip_prefix("errors/").unwrap_or(s);
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error an API user sees: a type from the catalogue and a detail they can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    pub fn invalid_parameters(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameters, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, detail)
    }

    /// A resource (`what`: "account", "sync", …) the caller's key does not see: the same
    /// answer whether it does not exist or belongs to another key.
    pub fn unknown(what: &str, id: impl fmt::Display) -> Self {
        Self::not_found(format!("no {what} {id} for this API key"))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.type_uri(), self.detail)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(&kind.type_uri()), Some(*kind));
        }
        assert_eq!(ErrorKind::ALL.len(), 43);
    }

    #[test]
    fn statuses_match_the_contract() {
        assert_eq!(ErrorKind::LimitTooHigh.status(), 400);
        assert_eq!(ErrorKind::InsufficientPrivileges.status(), 401);
        assert_eq!(ErrorKind::FeatureNotSubscribed.status(), 403);
        assert_eq!(ErrorKind::InvalidResourceIdentifier.status(), 404);
        assert_eq!(ErrorKind::FeatureNotImplemented.status(), 501);
        assert_eq!(ErrorKind::RequestTimeout.status(), 504);
        assert_eq!(ErrorKind::RequestTimeout.title(), "Gateway Timeout");
    }
}
