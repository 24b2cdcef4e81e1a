//! The `myqa` binary: `serve`, `admin …` and `config check`.

pub mod admin;
pub mod cli;
pub mod config;
pub mod providers;
pub mod serve;
pub mod telemetry;

use anyhow::Context;
use myqa_core::config::Config;
use myqa_store::{PoolOptions, Store};

pub use serve::Application;

use crate::cli::{Cli, Command, ConfigCommand};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let loaded = config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => {
            let _log_flush = telemetry::init(loaded.config.log_format);
            for name in &loaded.ignored_env {
                tracing::warn!(variable = %name, "ignoring unknown MYQA_ environment variable");
            }
            serve::serve(loaded.config, args).await
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            config::print_check(&loaded);
            Ok(())
        }
        Command::Probe { url } => probe(&url).await,
        Command::Admin { command } => {
            telemetry::init_quiet();
            let store = open_store(
                &loaded.config,
                PoolOptions {
                    max_connections: 2,
                    ..Default::default()
                },
            )
            .await?;
            let result = admin::run(&store, command, cli.json).await;
            store.close().await;
            result
        }
    }
}

/// `myqa probe`: a GET within five seconds that must answer 200.
async fn probe(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    let status = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?
        .status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}

/// Connects, migrates and installs the shipped standards: what every entry
/// point needs before touching data.
pub async fn open_store(config: &Config, pool: PoolOptions) -> anyhow::Result<Store> {
    let location = config.database()?;
    let store = Store::connect(&location, pool)
        .await
        .context("cannot open the database")?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    for standard in myqa_core::standard::shipped() {
        let outcome = store
            .install_shipped_standard(&standard)
            .await
            .with_context(|| format!("cannot install the shipped standard {}", standard.code))?;
        tracing::debug!(code = %standard.code, ?outcome, "shipped standard");
    }
    Ok(store)
}
