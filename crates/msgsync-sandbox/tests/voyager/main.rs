//! The LinkedIn connector against the Voyager simulator, over real HTTP on loopback.

mod common;
mod faults;
mod http;
mod lenient;
mod live;
mod media;
mod mock;
mod proxy;
mod walk;
