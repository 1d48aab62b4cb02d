//! `msgsync`: the server binary.

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

#[derive(Subcommand)]
enum Command {
    /// Run the API server and the sync engine (the default).
    Serve,
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::run().await,
            Command::Keys { command } => keys::run(command).await,
            Command::Sandbox { command } => sandbox::run(command),
        }
    })
}
