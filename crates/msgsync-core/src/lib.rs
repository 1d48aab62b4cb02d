//! Domain types of msgsync, shared by every other crate.
//!
//! Nothing here knows about HTTP, SQL or a provider's protocol: these are the words the rest of
//! the code base speaks (ids, accounts, sync parameters, the catalogue of API errors).

pub mod account;
pub mod content;
pub mod error;
pub mod ids;
pub mod sync;
pub mod time;

pub use account::{AccountState, ApiKeyMode, LinkedinProduct, ProviderKind, Scope};
pub use error::{ApiError, ErrorKind};
pub use ids::{AccountId, AttendeeId, ChatId, DeliveryId, IdError, MessageId, SyncId, WebhookId};
pub use sync::{Span, SyncOutcome, SyncParams, SyncStatus};
