//! A directory of its own under the system's temporary directory, removed when dropped.
//!
//! (Not the `tempfile` crate: it would add `rustix` to a build of the harness with `msgsync`,
//! change the features of crates the server shares with it, and have cargo rebuild the server
//! each time it is built alone or with the harness.)

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct TempDir(PathBuf);

impl TempDir {
    /// `$TMPDIR/PREFIX-<pid>-<nanos>`.
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        let base = std::env::temp_dir();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        for n in 0u32.. {
            let path = base.join(format!(
                "{prefix}-{}-{}",
                std::process::id(),
                nanos.wrapping_add(n)
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        unreachable!("every name taken")
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
