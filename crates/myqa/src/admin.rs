//! `myqa admin …`: organisations, keys and standards, against the configured
//! database. Every command prints text for people or, with `--json`, one JSON
//! document for scripts.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use myqa_core::network::NetworkList;
use myqa_core::organisation::{self, BOOTSTRAP_ORGANISATION};
use myqa_core::standard::StandardDocument;
use myqa_core::{ApiKey, ApiKeySecret, Organisation, Permission};
use myqa_store::{InstallOutcome, Store};
use serde::Serialize;
use uuid::Uuid;

use crate::cli::{AdminCommand, CoinsCommand, KeyCommand, OrgCommand, StandardsCommand};

pub async fn run(store: &Store, command: AdminCommand, json: bool) -> anyhow::Result<()> {
    match command {
        AdminCommand::Org { command } => match command {
            OrgCommand::Create {
                name,
                coins,
                unlimited,
            } => {
                let org = create_organisation(store, &name, coins, unlimited).await?;
                emit(json, &org, || org_lines(std::slice::from_ref(&org)));
            }
            OrgCommand::List => {
                let orgs = store.list_organisations().await?;
                emit(json, &orgs, || org_lines(&orgs));
            }
        },
        AdminCommand::Key { command } => key_command(store, command, json).await?,
        AdminCommand::Coins {
            command: CoinsCommand::Grant { org, amount, note },
        } => {
            let org = find_org(store, &org).await?;
            let balance = store
                .grant_coins(org.id, amount, note.as_deref(), myqa_core::time::now())
                .await?
                .ok_or_else(|| anyhow!("organisation {} disappeared", org.id))?;
            let grant = Grant {
                org_id: org.id,
                name: org.name,
                amount,
                balance,
                unlimited: org.unlimited,
            };
            emit(json, &grant, || {
                let mut lines = vec![format!(
                    "granted {amount} coins to {} ({}); balance {balance}",
                    grant.name, grant.org_id
                )];
                if grant.unlimited {
                    lines.push(
                        "note: this organisation is unlimited; its balance is not enforced"
                            .to_owned(),
                    );
                }
                lines
            });
        }
        AdminCommand::Usage { org, from, to } => {
            let org = find_org(store, &org).await?;
            let today = myqa_core::time::now().date_naive();
            let (from, to) =
                myqa_core::billing::usage_period(from, to, today).map_err(|e| anyhow!("{e}"))?;
            let report = store.usage_report(&org, from, to).await?;
            emit(json, &report, || usage_lines(&org, &report));
        }
        AdminCommand::Standards {
            command: StandardsCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let standard =
                StandardDocument::parse(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let outcome = store.import_standard(&standard).await?;
            let report = ImportReport {
                id: standard.id,
                code: standard.code.clone(),
                total_requirements: standard.total_requirements(),
                outcome: match outcome {
                    InstallOutcome::Inserted => "inserted",
                    InstallOutcome::Updated => "updated",
                    InstallOutcome::Unchanged | InstallOutcome::KeptImported => "unchanged",
                },
            };
            emit(json, &report, || {
                vec![format!(
                    "{} {} ({} requirements, id {})",
                    report.outcome, report.code, report.total_requirements, report.id
                )]
            });
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Grant {
    org_id: Uuid,
    name: String,
    amount: i64,
    /// The balance after the grant.
    balance: i64,
    unlimited: bool,
}

fn usage_lines(org: &Organisation, report: &myqa_core::billing::UsageReport) -> Vec<String> {
    let row = |label: &str, t: &myqa_core::billing::UsageTotals| {
        format!(
            "{label:<22} {:>8} calls {:>10} in {:>10} out {:>9.1} audio min {:>9} coins",
            t.requests,
            t.input_tokens,
            t.output_tokens,
            t.audio_ms as f64 / 60_000.0,
            t.coins
        )
    };
    let balance = match report.balance {
        Some(coins) => format!("{coins} coins"),
        None => "unlimited".to_owned(),
    };
    let mut lines = vec![
        format!("{} ({}): balance {balance}", org.name, org.id),
        format!(
            "usage {} to {} (UTC days, inclusive)",
            report.from, report.to
        ),
        row("total", &report.totals),
    ];
    lines.extend(
        report
            .by_endpoint
            .iter()
            .map(|e| row(&e.endpoint, &e.totals)),
    );
    lines.extend(
        report
            .by_day
            .iter()
            .map(|d| row(&d.date.to_string(), &d.totals)),
    );
    lines
}

#[derive(Serialize)]
struct ImportReport {
    id: Uuid,
    code: String,
    total_requirements: usize,
    outcome: &'static str,
}

/// Prints `value` as JSON, or the text lines for people.
fn emit<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> Vec<String>) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("admin output serialises")
        );
    } else {
        for line in text() {
            println!("{line}");
        }
    }
}

async fn create_organisation(
    store: &Store,
    name: &str,
    coins: Option<i64>,
    unlimited: bool,
) -> anyhow::Result<Organisation> {
    let org = Organisation {
        id: Uuid::new_v4(),
        name: organisation::parse_name(name)?,
        coins_balance: coins.unwrap_or(0),
        unlimited,
        created_at: myqa_core::time::now(),
    };
    store.create_organisation(&org).await?;
    Ok(org)
}

fn org_lines(orgs: &[Organisation]) -> Vec<String> {
    if orgs.is_empty() {
        return vec!["no organisations".into()];
    }
    orgs.iter()
        .map(|o| {
            let coins = if o.unlimited {
                "unlimited coins".to_owned()
            } else {
                format!("{} coins", o.coins_balance)
            };
            format!(
                "{}  {}  ({coins}, created {})",
                o.id,
                o.name,
                o.created_at.to_rfc3339()
            )
        })
        .collect()
}

async fn find_org(store: &Store, org: &str) -> anyhow::Result<Organisation> {
    store
        .find_organisation(org)
        .await?
        .ok_or_else(|| anyhow!("no organisation with id or name `{org}`"))
}

/// A key as shown once at creation: the record plus the raw key.
#[derive(Serialize)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The raw key. Shown this once; only its digest is stored.
    #[serde(rename = "key")]
    pub secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_key_revoked_at: Option<DateTime<Utc>>,
}

impl IssuedKey {
    fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("key id:      {}", self.key.id),
            format!("org id:      {}", self.key.org_id),
            format!("name:        {}", self.key.name),
            format!("permissions: {}", join(&self.key.permissions)),
        ];
        if !self.key.allowed_ips.is_empty() {
            lines.push(format!("allowed ips: {}", self.key.allowed_ips));
        }
        if let Some(at) = self.key.expires_at {
            lines.push(format!("expires at:  {}", at.to_rfc3339()));
        }
        if self.key.rate_limit_rpm.is_some() || self.key.max_concurrent_jobs.is_some() {
            lines.push(format!("quotas:      {}", quota_text(&self.key)));
        }
        if let (Some(old), Some(at)) = (self.replaces, self.replaced_key_revoked_at) {
            lines.push(format!(
                "replaces:    {old} (revoked at {})",
                at.to_rfc3339()
            ));
        }
        lines.push(format!("API key:     {}", self.secret));
        lines.push("Store this key now: it is shown only once.".into());
        lines
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fresh key for `org_id`, not yet stored.
pub fn new_key(
    org_id: Uuid,
    name: &str,
    mut permissions: Vec<Permission>,
    allowed_ips: NetworkList,
    expires_at: Option<DateTime<Utc>>,
) -> anyhow::Result<(ApiKey, ApiKeySecret)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        bail!("key name must hold 1–200 characters");
    }
    permissions.sort();
    permissions.dedup();
    if permissions.is_empty() {
        bail!("a key needs at least one --permission");
    }
    let secret = ApiKeySecret::generate();
    let key = ApiKey {
        id: Uuid::new_v4(),
        org_id,
        name: name.to_owned(),
        prefix: secret.display_prefix(),
        permissions,
        allowed_ips,
        created_at: myqa_core::time::now(),
        last_used_at: None,
        revoked_at: None,
        expires_at,
        rate_limit_rpm: None,
        max_concurrent_jobs: None,
    };
    Ok((key, secret))
}

/// Stores a new key; what is shown once to the operator.
async fn issue_key(store: &Store, key: ApiKey, secret: ApiKeySecret) -> anyhow::Result<IssuedKey> {
    store.insert_api_key(&key, &secret.digest()).await?;
    Ok(IssuedKey {
        key,
        secret: secret.expose().to_owned(),
        replaces: None,
        replaced_key_revoked_at: None,
    })
}

fn after(duration: Duration) -> anyhow::Result<DateTime<Utc>> {
    let delta = chrono::Duration::from_std(duration).context("duration too long")?;
    myqa_core::time::now()
        .checked_add_signed(delta)
        .ok_or_else(|| anyhow!("duration too long"))
}

async fn key_command(store: &Store, command: KeyCommand, json: bool) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create {
            org,
            name,
            permissions,
            allow_ips,
            expires_in,
            quotas,
        } => {
            let org = find_org(store, &org).await?;
            let allowed = NetworkList::parse(&allow_ips).context("invalid --allow-ip")?;
            let expires_at = expires_in.map(after).transpose()?;
            let (mut key, secret) = new_key(org.id, &name, permissions, allowed, expires_at)?;
            key.rate_limit_rpm = quotas.rate_limit_rpm;
            key.max_concurrent_jobs = quotas.max_concurrent_jobs;
            let issued = issue_key(store, key, secret).await?;
            emit(json, &issued, || issued.lines());
        }
        KeyCommand::List { org } => {
            let org = find_org(store, &org).await?;
            let keys = store.list_api_keys(org.id).await?;
            emit(json, &keys, || key_lines(&keys));
        }
        KeyCommand::Revoke { id } => {
            let key = store.revoke_api_key(id, myqa_core::time::now()).await?;
            emit(json, &key, || key_lines(std::slice::from_ref(&key)));
        }
        KeyCommand::Update {
            id,
            quotas,
            no_rate_limit,
            no_concurrency_limit,
        } => {
            let change = |set: Option<u32>, remove: bool| {
                if remove { Some(None) } else { set.map(Some) }
            };
            let update = myqa_store::QuotaUpdate {
                rate_limit_rpm: change(quotas.rate_limit_rpm, no_rate_limit),
                max_concurrent_jobs: change(quotas.max_concurrent_jobs, no_concurrency_limit),
            };
            let key = match store.update_api_key_quotas(id, update).await {
                Err(myqa_store::StoreError::NotFound(_)) => bail!("no API key with id {id}"),
                result => result?,
            };
            emit(json, &key, || key_lines(std::slice::from_ref(&key)));
        }
        KeyCommand::Rotate { id, grace } => {
            let old = store
                .api_key(id)
                .await?
                .ok_or_else(|| anyhow!("no API key with id {id}"))?;
            if let Some(at) = old.revoked_at {
                bail!(
                    "key {id} is already revoked or scheduled for revocation ({}); rotate its successor instead",
                    at.to_rfc3339()
                );
            }
            let (mut key, secret) = new_key(
                old.org_id,
                &old.name,
                old.permissions.clone(),
                old.allowed_ips.clone(),
                old.expires_at,
            )?;
            key.rate_limit_rpm = old.rate_limit_rpm;
            key.max_concurrent_jobs = old.max_concurrent_jobs;
            let old_revoked_at = after(grace.unwrap_or(Duration::ZERO))?;
            store
                .rotate_api_key(old.id, &key, &secret.digest(), old_revoked_at)
                .await?;
            let issued = IssuedKey {
                key,
                secret: secret.expose().to_owned(),
                replaces: Some(old.id),
                replaced_key_revoked_at: Some(old_revoked_at),
            };
            emit(json, &issued, || issued.lines());
        }
    }
    Ok(())
}

fn key_lines(keys: &[ApiKey]) -> Vec<String> {
    if keys.is_empty() {
        return vec!["no keys".into()];
    }
    let now = myqa_core::time::now();
    let time = |t: Option<DateTime<Utc>>| t.map_or("-".to_owned(), |t| t.to_rfc3339());
    keys.iter()
        .map(|k| {
            format!(
                "{}  {}  {}…  [{}]  allow: {}  quotas: {}  created {}  last used {}  revoked {}  expires {}  ({:?})",
                k.id,
                k.name,
                k.prefix,
                join(&k.permissions),
                if k.allowed_ips.is_empty() { "any".to_owned() } else { k.allowed_ips.to_string() },
                quota_text(k),
                k.created_at.to_rfc3339(),
                time(k.last_used_at),
                time(k.revoked_at),
                time(k.expires_at),
                k.state_at(now),
            )
        })
        .collect()
}

/// A key's quotas for people: `60 requests/min, 2 concurrent jobs`.
fn quota_text(key: &ApiKey) -> String {
    let rpm = key
        .rate_limit_rpm
        .map_or("unlimited requests/min".to_owned(), |n| {
            format!("{n} requests/min")
        });
    let jobs = key
        .max_concurrent_jobs
        .map_or("unlimited concurrent jobs".to_owned(), |n| {
            format!("{n} concurrent jobs")
        });
    format!("{rpm}, {jobs}")
}

/// What `serve --bootstrap` created.
pub struct Bootstrapped {
    pub org: Organisation,
    pub key: IssuedKey,
}

impl Bootstrapped {
    /// To stdout, never to the log: the key must not end up in log storage.
    pub fn print(&self) {
        println!(
            "Bootstrap: created organisation `{}` ({}) with an unlimited coin balance.",
            self.org.name, self.org.id
        );
        println!("Bootstrap: API key with every permission (shown once, store it now):");
        println!("{}", self.key.secret);
    }
}

/// On an empty database: the organisation `default` and a key with every
/// permission. `None` when organisations exist (including when another
/// process bootstrapped concurrently).
pub async fn bootstrap(store: &Store) -> anyhow::Result<Option<Bootstrapped>> {
    if store.count_organisations().await? > 0 {
        return Ok(None);
    }
    let org = match create_organisation(store, BOOTSTRAP_ORGANISATION, None, true).await {
        Ok(org) => org,
        Err(e) if matches!(e.downcast_ref(), Some(myqa_store::StoreError::Conflict(_))) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let (key, secret) = new_key(
        org.id,
        "bootstrap",
        Permission::ALL.to_vec(),
        NetworkList::default(),
        None,
    )?;
    let key = issue_key(store, key, secret).await?;
    Ok(Some(Bootstrapped { org, key }))
}
