//! The small disk the soak's server lives on: a tmpfs of its own (mounting one needs root, or
//! the right to mount), filled with a ballast file and freed again.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use msgsync_harness::TempDir;

/// The ballast is written in pieces of this size.
const PIECE: u64 = 1024 * 1024;

/// A tmpfs mounted for the soak, unmounted when dropped.
pub struct Tmpfs {
    path: PathBuf,
    ballast: PathBuf,
    _dir: TempDir,
}

impl Tmpfs {
    pub fn mount(size_bytes: u64) -> anyhow::Result<Tmpfs> {
        let dir = TempDir::new("msgsync-soak")?;
        let path = dir.path().join("disk");
        std::fs::create_dir(&path)?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_bytes},mode=0700")])
            .arg("tmpfs")
            .arg(&path)
            .output()
            .context("running mount (util-linux)")?;
        if !out.status.success() {
            bail!(
                "the soak puts the server's data on a tmpfs of its own to fill that disk, and \
                 mounting one was refused: run it as root (or with the right to mount). \
                 `mount -t tmpfs {}` said: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(Tmpfs {
            ballast: path.join("ballast"),
            path,
            _dir: dir,
        })
    }

    /// Grows or shrinks the tmpfs (remounting it keeps its files).
    pub fn resize(&self, size_bytes: u64) -> anyhow::Result<()> {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size_bytes}")])
            .arg(&self.path)
            .output()
            .context("running mount (util-linux)")?;
        if !out.status.success() {
            bail!(
                "resizing the tmpfs at {} to {size_bytes} bytes: {}",
                self.path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes an unprivileged writer can still use.
    pub fn free_bytes(&self) -> anyhow::Result<u64> {
        free_bytes(&self.path)
    }

    /// Writes ballast until at most `leave` bytes are free (the server writes meanwhile, so it
    /// may be fewer); returns the ballast's size.
    pub fn fill(&self, leave: u64) -> anyhow::Result<u64> {
        let mut file = File::options()
            .create(true)
            .append(true)
            .open(&self.ballast)?;
        let zeros = vec![0u8; PIECE as usize];
        loop {
            let free = self.free_bytes()?;
            if free <= leave {
                break;
            }
            let n = (free - leave).min(PIECE) as usize;
            match file.write_all(&zeros[..n]) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::StorageFull => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(file.metadata()?.len())
    }

    /// Removes the ballast.
    pub fn free(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(&self.ballast) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn free_bytes(path: &Path) -> anyhow::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: `c` is a valid NUL-terminated path; `st` is written by statvfs before it is read.
    let st = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            bail!(
                "statvfs {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            );
        }
        st
    };
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}
