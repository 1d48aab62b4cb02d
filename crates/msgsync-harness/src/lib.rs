//! A real `msgsync serve` process on a data directory, driven over HTTP on loopback: what the
//! benchmark (`msgsync-bench`) and the fault-matrix soak (`msgsync-soak`) start and stop.
//!
//! - [`binary`]: where the release `msgsync` binary is.
//! - [`process`]: the server process: start on a fresh or given data directory, SIGKILL,
//!   SIGTERM, start again on the same directory, its log.
//! - [`client`]: the few HTTP calls the benchmark makes through a [`Server`].
//! - [`tempdir`]: a temporary directory, removed when dropped.
//! - [`webhook_receiver`]: a webhook receiver on loopback that records what it gets, answers as
//!   told, goes down and up, and verifies Standard Webhooks signatures on its own.

pub mod binary;
mod client;
pub mod process;
pub mod tempdir;
pub mod webhook_receiver;

pub use binary::locate_binary;
pub use process::{Server, ServerOptions};
pub use tempdir::TempDir;
pub use webhook_receiver::{Behaviour, ReceivedDelivery, VerifyError, WebhookReceiver};
