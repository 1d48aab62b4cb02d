//! The master key that encrypts provider credentials at rest: `MSGSYNC_MASTER_KEY` (64 hex
//! digits or base64 of 32 bytes), else (embedded database only) `master.key` in the data
//! directory, generated on first start with owner-only permissions. A cluster on PostgreSQL
//! takes it from the environment only: every node must hold the same key.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine as _;
use rand::RngCore;

fn decode(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?
    };
    bytes.try_into().ok()
}

fn encode_hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// `MSGSYNC_MASTER_KEY`, if set.
fn from_env() -> anyhow::Result<Option<[u8; 32]>> {
    match std::env::var("MSGSYNC_MASTER_KEY") {
        Ok(text) => match decode(&text) {
            Some(key) => Ok(Some(key)),
            None => bail!("MSGSYNC_MASTER_KEY must be 64 hex digits or base64 of 32 bytes"),
        },
        Err(_) => Ok(None),
    }
}

/// The key of a cluster: `MSGSYNC_MASTER_KEY`, required.
pub fn load_shared() -> anyhow::Result<[u8; 32]> {
    match from_env()? {
        Some(key) => Ok(key),
        None => bail!(
            "MSGSYNC_MASTER_KEY is required with a PostgreSQL database: every node of a cluster \
             needs the same key (64 hex digits, e.g. from `openssl rand -hex 32`)"
        ),
    }
}

/// The key of the embedded database: `MSGSYNC_MASTER_KEY`, else the data directory's key
/// file, created on first start.
pub fn load(data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    if let Some(key) = from_env()? {
        return Ok(key);
    }
    let path = data_dir.join("master.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            decode(&text).with_context(|| format!("{} is not a valid master key", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            writeln!(file, "{}", encode_hex(&key))?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "generated a new master key");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_hex_and_base64() {
        let key = [0xabu8; 32];
        assert_eq!(decode(&encode_hex(&key)), Some(key));
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        assert_eq!(decode(&b64), Some(key));
        assert_eq!(decode("too short"), None);
    }

    #[test]
    fn generates_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        std::env::remove_var("MSGSYNC_MASTER_KEY");
        let first = load(dir.path()).unwrap();
        let second = load(dir.path()).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
