//! `msgsync`: the server binary.

mod client;
mod config;
mod keys;
mod master_key;
mod sandbox;
mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "msgsync",
    version,
    about = "Self-hosted messaging-sync API server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

/// The settings `serve` reads from the environment besides its flags (README, "Configuration").
const SERVE_ENVIRONMENT: &str = "Environment (besides the flags above):
  MSGSYNC_DATABASE_URL           the database (default: sqlite://$MSGSYNC_DATA_DIR/msgsync.db)
  MSGSYNC_MASTER_KEY             64 hex digits or base64 of 32 bytes (default: $MSGSYNC_DATA_DIR/master.key)
  MSGSYNC_SANDBOX                off disables sandbox accounts and the simulators (default: on)
  MSGSYNC_SANDBOX_EPOCH          the instant sandbox data ends at (default: today, 00:00 UTC)
  MSGSYNC_SANDBOX_LINKEDIN_LISTEN / MSGSYNC_SANDBOX_TELEGRAM_LISTEN   the simulators' addresses
  MSGSYNC_TELEGRAM_API_ID / MSGSYNC_TELEGRAM_API_HASH                 the Telegram app of live accounts
  MSGSYNC_LINKEDIN_BASE_URL, MSGSYNC_LINKEDIN_*_QUERY_ID, MSGSYNC_LINKEDIN_MIN_DELAY_MS / _MAX_DELAY_MS
  MSGSYNC_SYNC_WORKERS, MSGSYNC_SYNC_LEASE_MS, MSGSYNC_PROVIDER_TIMEOUT_MS, MSGSYNC_POLL_INTERVAL_MS
  MSGSYNC_RETRY_BASE_MS / MSGSYNC_RETRY_MAX_MS / MSGSYNC_RETRY_ATTEMPTS
  MSGSYNC_HTTP_MAX_CONNECTIONS, MSGSYNC_HTTP_HEADER_TIMEOUT_MS, MSGSYNC_HTTP_MAX_HEADERS, MSGSYNC_HTTP_MAX_HEAD_BYTES
  MSGSYNC_LOG (log filter), MSGSYNC_LOG_FORMAT (json)";

#[derive(clap::Args)]
struct ServeArgs {
    /// The address of the HTTP API.
    #[arg(long, env = "MSGSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where the SQLite database and the generated master key live.
    #[arg(long, env = "MSGSYNC_DATA_DIR", default_value = "./data")]
    data_dir: std::path::PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server and the sync engine (the default).
    #[command(after_help = SERVE_ENVIRONMENT)]
    Serve(ServeArgs),
    /// The accounts of an API key, from a running server.
    Accounts {
        #[command(subcommand)]
        command: client::AccountsCommand,
    },
    /// Start or follow a resync of an account on a running server.
    Sync(client::SyncArgs),
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Credentials for the sandbox simulators of the running server, for any client.
    Sandbox {
        #[command(subcommand)]
        command: sandbox::SandboxCommand,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = match cli.command {
        Some(command) => command,
        // `msgsync` alone serves, with the flags' environment variables and defaults.
        None => Cli::parse_from(["msgsync", "serve"])
            .command
            .expect("serve parses"),
    };
    if let Command::Serve(args) = &command {
        // The rest of the configuration reads the environment: the flags go there first,
        // before any other thread exists.
        std::env::set_var("MSGSYNC_LISTEN", &args.listen);
        std::env::set_var("MSGSYNC_DATA_DIR", &args.data_dir);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = runtime.block_on(async {
        match command {
            Command::Serve(_) => serve::run().await.map_err(client::Failed::from),
            Command::Keys { command } => keys::run(command).await.map_err(client::Failed::from),
            Command::Sandbox { command } => sandbox::run(command).map_err(client::Failed::from),
            Command::Accounts { command } => client::accounts(command).await,
            Command::Sync(args) => client::sync(args).await,
        }
    });
    match client {
        Ok(()) => Ok(()),
        Err(client::Failed(code, error)) => {
            eprintln!("error: {error:#}");
            std::process::exit(code);
        }
    }
}
