//! The `msgsync` binary the harnesses start.

use std::path::PathBuf;

use anyhow::{bail, Context};

/// The `msgsync` binary: `explicit` if given, else next to the running executable (both live in
/// `target/release` after `cargo build --release`). `build_hint` is the command that builds it,
/// shown when it is missing.
pub fn locate_binary(explicit: Option<PathBuf>, build_hint: &str) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(p) => p,
        None => std::env::current_exe()?
            .parent()
            .context("executable has no directory")?
            .join("msgsync"),
    };
    if !path.exists() {
        bail!(
            "{} not found: build it first ({build_hint}) or pass --server",
            path.display()
        );
    }
    Ok(path)
}
