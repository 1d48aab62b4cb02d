//! The msgsync sandbox: what `pp_test_` keys connect to (CONTRACT §6).
//!
//! - [`scenario`]: the grammar of sandbox credentials (`sandbox:chats=50,fault=flaky,…`).
//! - [`generator`]: the deterministic data of a scenario. It depends only on the seed, the
//!   provider, the anchor and the span, so that a scenario with fewer chats or messages sees a
//!   subset of a larger one; the protocol simulators serve it.
//! - [`SandboxHub`]: what the simulators share: the anchor and the cached data sets.
//! - [`voyager`] and [`mtproto`]: the simulators, speaking LinkedIn's Voyager HTTP and
//!   Telegram's MTProto, and the sandbox connectors that reach them through the live code path.

mod credentials;
pub mod generator;
mod hub;
pub mod mtproto;
pub mod scenario;
pub mod voyager;

pub use generator::{account_owner, ChatEntry, ChatInfo, Dataset, MessageKey, Person, WireMessage};
pub use hub::SandboxHub;
pub use mtproto::{sandbox_session, MtprotoHandle, MtprotoSimulator, SandboxTelegramConnector};
pub use scenario::{Fault, Scenario, ScenarioError};
pub use voyager::{sandbox_cookies, SandboxLinkedinConnector, VoyagerHandle, VoyagerSimulator};
