//! The sandbox of a serve process: the LinkedIn (Voyager over HTTP) and Telegram (MTProto over
//! TCP) simulators on loopback, and the test-mode connectors that reach them through the same
//! connector code live accounts use. Also `msgsync sandbox …`, which hands out credentials for
//! the running simulators to any other client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use msgsync_core::ProviderKind;
use msgsync_providers::linkedin::LinkedinConfig;
use msgsync_providers::telegram::TelegramConfig;
use msgsync_providers::Connector;
use msgsync_sandbox::mtproto::{set_session_dir, spool_session};
use msgsync_sandbox::{
    sandbox_cookies, sandbox_session, MtprotoHandle, MtprotoSimulator, SandboxHub,
    SandboxLinkedinConnector, SandboxTelegramConnector, Scenario, VoyagerHandle, VoyagerSimulator,
};
use serde_json::json;

use crate::config::Config;

/// The running simulators; stopped with [`Sandbox::stop`].
pub struct Sandbox {
    voyager: VoyagerHandle,
    mtproto: MtprotoHandle,
    /// The test-mode connectors that reach them.
    pub connectors: Vec<Arc<dyn Connector>>,
}

fn sessions_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("sandbox").join("telegram-sessions")
}

fn addresses_file(data_dir: &Path) -> PathBuf {
    data_dir.join("sandbox").join("simulators.json")
}

async fn bind(var: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    tokio::net::TcpListener::bind(addr.trim())
        .await
        .with_context(|| format!("binding {var}={addr}"))
}

impl Sandbox {
    pub async fn start(config: &Config) -> anyhow::Result<Sandbox> {
        let hub = match config.sandbox_epoch {
            Some(anchor) => SandboxHub::with_anchor(anchor),
            None => SandboxHub::new(),
        };
        let voyager =
            VoyagerSimulator::start(hub.clone(), bind("MSGSYNC_SANDBOX_LINKEDIN_LISTEN").await?)?;
        let mtproto = MtprotoSimulator::start(hub, bind("MSGSYNC_SANDBOX_TELEGRAM_LISTEN").await?)?;
        set_session_dir(sessions_dir(&config.data_dir));
        // Where `msgsync sandbox …` finds the simulators of this process.
        let file = addresses_file(&config.data_dir);
        std::fs::create_dir_all(file.parent().unwrap_or(&config.data_dir))?;
        std::fs::write(
            &file,
            json!({ "linkedin": voyager.base_url(), "telegram": mtproto.local_addr().to_string() })
                .to_string(),
        )?;
        tracing::info!(
            linkedin = %voyager.base_url(),
            telegram = %mtproto.local_addr(),
            "sandbox simulators listening"
        );
        let timeout = config.engine.provider_timeout;
        let linkedin = SandboxLinkedinConnector::with_config(LinkedinConfig {
            request_timeout: timeout,
            ..LinkedinConfig::sandbox(voyager.base_url())
        });
        let telegram = SandboxTelegramConnector::new(
            mtproto.local_addr(),
            TelegramConfig {
                request_timeout: timeout,
                ..TelegramConfig::default()
            },
        );
        Ok(Sandbox {
            voyager,
            mtproto,
            connectors: vec![Arc::new(linkedin), Arc::new(telegram)],
        })
    }

    pub async fn stop(self) {
        self.voyager.stop().await;
        self.mtproto.stop().await;
    }
}

#[derive(Subcommand)]
pub enum SandboxCommand {
    /// Print the `Cookie` header under which the running LinkedIn simulator serves SCENARIO.
    LinkedinCookies {
        /// A sandbox credential: `sandbox` or `sandbox:KEY=VALUE,…` (README, "Sandbox scenarios").
        scenario: String,
    },
    /// Print a Telethon string session under which the running Telegram simulator serves SCENARIO.
    TelegramSession {
        /// A sandbox credential: `sandbox` or `sandbox:KEY=VALUE,…` (README, "Sandbox scenarios").
        scenario: String,
    },
}

fn simulator_address(config: &Config, provider: &str) -> anyhow::Result<String> {
    let file = addresses_file(&config.data_dir);
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "{} not found: is `msgsync serve` running with this MSGSYNC_DATA_DIR?",
            file.display()
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)?;
    value[provider]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{} names no {provider} simulator", file.display()))
}

pub fn run(command: SandboxCommand) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    // Every credential handed out is its own sandbox account at the simulator.
    let nonce = format!("cli-{}", ulid::Ulid::new());
    match command {
        SandboxCommand::LinkedinCookies { scenario } => {
            let scenario = Scenario::parse(ProviderKind::Linkedin, &scenario)?;
            let base = simulator_address(&config, "linkedin")?;
            eprintln!("LinkedIn simulator: {base}");
            println!("{}", sandbox_cookies(&scenario, &nonce));
        }
        SandboxCommand::TelegramSession { scenario } => {
            let scenario = Scenario::parse(ProviderKind::Telegram, &scenario)?;
            let addr: SocketAddr = simulator_address(&config, "telegram")?.parse()?;
            let session = sandbox_session(&scenario, &nonce, addr);
            spool_session(&sessions_dir(&config.data_dir), &session)?;
            eprintln!("Telegram simulator: {addr}");
            println!("{session}");
        }
    }
    Ok(())
}
