//! `msgsync keys …`: API keys are made on the command line, printed once, stored hashed.

use clap::Subcommand;
use msgsync_core::time::{format_ms, now_ms};
use msgsync_core::{ApiKeyMode, Scope};
use msgsync_store::api_keys;

use crate::serve::open_store;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; the key is the last line of the output, shown this once only.
    Create {
        /// A name for the key, to recognise it in `keys list`.
        #[arg(long)]
        name: String,
        /// Keys of one owner share its accounts.
        #[arg(long, default_value = "default")]
        owner: String,
        /// `test` keys connect sandbox accounts only; `live` keys real ones only.
        #[arg(long, default_value = "live", value_parser = ["live", "test"])]
        mode: String,
        /// Comma-separated: accounts:read, accounts:write, accounts:sync, messaging:read.
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by its id (see `keys list`).
    Revoke {
        /// The key's id: the first column of `keys list`.
        id: String,
    },
}

pub async fn run(command: KeysCommand) -> anyhow::Result<()> {
    let (store, _config) = open_store().await?;
    match command {
        KeysCommand::Create {
            name,
            owner,
            mode,
            scopes,
        } => {
            let mode: ApiKeyMode = mode
                .parse()
                .map_err(|_| anyhow::anyhow!("mode must be live or test"))?;
            let scopes = match scopes {
                None => Scope::ALL.to_vec(),
                Some(list) => {
                    let mut scopes = Vec::new();
                    for s in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                        let scope: Scope = s.parse().map_err(|_| {
                            anyhow::anyhow!("unknown scope `{s}`: expected accounts:read, accounts:write, accounts:sync or messaging:read")
                        })?;
                        if !scopes.contains(&scope) {
                            scopes.push(scope);
                        }
                    }
                    scopes
                }
            };
            if name.trim().is_empty() || owner.trim().is_empty() {
                anyhow::bail!("--name and --owner must not be empty");
            }
            let generated = api_keys::generate(owner.trim(), name.trim(), mode, scopes, now_ms());
            store.api_key_insert(&generated.record).await?;
            let scopes: Vec<&str> = generated.record.scopes.iter().map(|s| s.as_str()).collect();
            println!(
                "created {} key `{}` (id {}) for owner `{}` with scopes {}; it is shown only once:",
                mode.as_str(),
                generated.record.name,
                generated.record.id,
                generated.record.owner,
                scopes.join(",")
            );
            println!("{}", generated.key);
        }
        KeysCommand::List => {
            println!("ID\tMODE\tNAME\tOWNER\tSCOPES\tCREATED\tREVOKED");
            for k in store.api_key_list().await? {
                let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    k.id,
                    k.mode.as_str(),
                    k.name,
                    k.owner,
                    scopes.join(","),
                    format_ms(k.created_at),
                    k.revoked_at
                        .map(format_ms)
                        .unwrap_or_else(|| "-".to_owned())
                );
            }
        }
        KeysCommand::Revoke { id } => {
            if store.api_key_revoke(&id, now_ms()).await? {
                println!("revoked key {id} (running servers refuse it within a second)");
            } else {
                anyhow::bail!("no active key with id {id}");
            }
        }
    }
    Ok(())
}
