//! The LinkedIn connector against the Voyager simulator, over real HTTP on loopback.

mod common;
mod faults;
mod http;
mod media;
mod mock;
mod walk;
