//! The command line (SPEC §3, §13). Names and flags are part of the contract.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Issue a new key with the same settings; the old one is revoked after the grace period.
    Rotate {
        #[arg(value_name = "KEY_ID")]
        id: uuid::Uuid,
        /// How long the old key keeps working, e.g. 24h. Default: revoked at once.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        grace: Option<Duration>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StandardsCommand {
    /// Load or replace a standard from a JSON file (the format of the shipped data files).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}
