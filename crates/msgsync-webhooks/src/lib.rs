//! The HTTP side of webhook delivery, kept apart from the store and the API so that it can be
//! tested against real sockets without a database: how an event is signed, where it may be sent,
//! what one attempt does, and when the next one is due.

mod schedule;
mod send;
mod signing;
mod target;

pub use schedule::{RetrySchedule, ScheduleError};
pub use send::{Attempt, Deliverer, DelivererConfig, Delivery, Verdict};
pub use signing::{signature_header, Secret, SigningError};
pub use target::{
    check_url, is_forbidden, resolve_allowed, GuardedResolver, TargetError, TargetPolicy,
};
