//! The command line (SPEC §3, §13). Names and flags are part of the contract.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use myqa_core::Permission;

#[derive(Debug, Parser)]
#[command(
    name = "myqa",
    version,
    about = "MyQA: CaptureIQ and SnapReport, the AI API for quality and food-safety audits."
)]
pub struct Cli {
    /// TOML configuration file; MYQA_* environment variables override it.
    #[arg(long, global = true, env = "MYQA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server (and, with role `all`, the workers and janitor).
    Serve(ServeArgs),
    /// Operator commands against the configured database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Exit 0 if the server at URL answers 200 (a container healthcheck
    /// without curl in the image).
    Probe {
        #[arg(default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Api,
    Worker,
    All,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// On an empty database, create the organisation `default` with a key
    /// holding every permission, and print that key once.
    #[arg(long)]
    pub bootstrap: bool,
    /// Which parts of the service this process runs.
    #[arg(long, value_enum, default_value = "all")]
    pub role: Role,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print it with secrets masked.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// The standards catalogue.
    Standards {
        #[command(subcommand)]
        command: StandardsCommand,
    },
    /// Coin balances.
    Coins {
        #[command(subcommand)]
        command: CoinsCommand,
    },
    /// What an organisation consumed: balance, totals per endpoint and per day.
    Usage {
        /// Organisation id or exact name.
        #[arg(long, value_name = "ORG")]
        org: String,
        /// First day (UTC, YYYY-MM-DD), inclusive. Default: 29 days before --to.
        #[arg(long, value_name = "DATE")]
        from: Option<chrono::NaiveDate>,
        /// Last day (UTC, YYYY-MM-DD), inclusive. Default: today.
        #[arg(long, value_name = "DATE")]
        to: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CoinsCommand {
    /// Add coins to an organisation's balance (recorded in the ledger).
    Grant {
        /// Organisation id or exact name.
        #[arg(long, value_name = "ORG")]
        org: String,
        /// Coins to add, at least 1.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
        amount: i64,
        /// Why, for the ledger (an invoice number, a trial…).
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        name: String,
        /// Starting coin balance.
        #[arg(long, conflicts_with = "unlimited")]
        coins: Option<i64>,
        /// No coin limit.
        #[arg(long)]
        unlimited: bool,
    },
    /// List organisations.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key; the raw key is printed exactly once.
    Create {
        /// Organisation id or exact name.
        #[arg(long, value_name = "ORG")]
        org: String,
        #[arg(long)]
        name: String,
        /// captureiq:analyze or snapreport:generate; repeat for several.
        #[arg(long = "permission", value_name = "PERM", required = true)]
        permissions: Vec<Permission>,
        /// Allowed source address or CIDR range (IPv4 or IPv6); repeat for several.
        #[arg(long = "allow-ip", value_name = "IP_OR_CIDR")]
        allow_ips: Vec<String>,
        /// Lifetime, e.g. 90d or 12h.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        expires_in: Option<Duration>,
        #[command(flatten)]
        quotas: KeyQuotas,
    },
    /// List an organisation's keys.
    List {
        #[arg(long, value_name = "ORG")]
        org: String,
    },
    /// Revoke a key at once.
    Revoke {
        #[arg(value_name = "KEY_ID")]
        id: uuid::Uuid,
    },
    /// Change a key's quotas; running servers apply them within moments.
    #[command(group(
        ArgGroup::new("change")
            .required(true)
            .multiple(true)
            .args(["rate_limit_rpm", "no_rate_limit", "max_concurrent_jobs", "no_concurrency_limit"])
    ))]
    Update {
        #[arg(value_name = "KEY_ID")]
        id: uuid::Uuid,
        #[command(flatten)]
        quotas: KeyQuotas,
        /// Remove the requests-per-minute limit.
        #[arg(long, conflicts_with = "rate_limit_rpm")]
        no_rate_limit: bool,
        /// Remove the concurrent-jobs limit.
        #[arg(long, conflicts_with = "max_concurrent_jobs")]
        no_concurrency_limit: bool,
    },
    /// Issue a new key with the same settings; the old one is revoked after the grace period.
    Rotate {
        #[arg(value_name = "KEY_ID")]
        id: uuid::Uuid,
        /// How long the old key keeps working, e.g. 24h. Default: revoked at once.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        grace: Option<Duration>,
    },
}

/// Per-key quotas (SPEC §10); without them a key is unlimited.
#[derive(Debug, Args)]
pub struct KeyQuotas {
    /// Analyze calls allowed per minute (UTC minutes, across all servers).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_rpm: Option<u32>,
    /// Jobs that may be queued or running at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_jobs: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum StandardsCommand {
    /// Load or replace a standard from a JSON file (the format of the shipped data files).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}
