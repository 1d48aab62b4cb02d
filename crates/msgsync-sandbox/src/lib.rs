//! The msgsync sandbox: what `pp_test_` keys connect to (CONTRACT §6).
//!
//! - [`scenario`]: the grammar of sandbox credentials (`sandbox:chats=50,fault=flaky,…`).
//! - [`generator`]: the deterministic data of a scenario. It depends only on the seed, the
//!   provider, the anchor and the span, so that a scenario with fewer chats or messages sees a
//!   subset of a larger one; the protocol simulators build on it as well.
//! - [`SandboxHub`]: shared state (anchor, cached data sets, fault counters) and the in-process
//!   [`Connector`](msgsync_providers::Connector)s serving sandbox accounts, with the
//!   scenario's latency and faults.

mod connector;
mod credentials;
pub mod generator;
pub mod mtproto;
pub mod scenario;
pub mod voyager;

pub use connector::SandboxHub;
pub use generator::{account_owner, ChatEntry, ChatInfo, Dataset, MessageKey, Person, WireMessage};
pub use mtproto::{sandbox_session, MtprotoHandle, MtprotoSimulator, SandboxTelegramConnector};
pub use scenario::{Fault, Scenario, ScenarioError};
pub use voyager::{sandbox_cookies, SandboxLinkedinConnector, VoyagerHandle, VoyagerSimulator};
