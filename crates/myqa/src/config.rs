//! Loading the configuration: defaults, then the TOML file, then `MYQA_*`
//! environment variables. Unknown keys in the file are errors (they are
//! typos); unknown `MYQA_` variables are only warned about, because platforms
//! inject their own (Kubernetes sets `MYQA_PORT` for a service named myqa).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use myqa_core::config::Config;

pub const ENV_PREFIX: &str = "MYQA_";

/// A validated configuration and what was noticed while loading it.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
    /// `MYQA_*` variables that name no configuration key.
    pub ignored_env: Vec<String>,
}

pub fn load(file: Option<&Path>) -> anyhow::Result<Loaded> {
    let keys = Config::keys();
    let mut figment = Figment::new();
    if let Some(path) = file {
        if !path.is_file() {
            bail!("configuration file {} does not exist", path.display());
        }
        figment = figment.merge(Toml::file(path));
    }
    figment = figment.merge(Environment::capture(&keys));
    // Lossy: an environment variable is always text, so "true" and "8" must
    // become a bool and a number where the key wants one (and "12345" must
    // stay text for a secret).
    let config: Config = figment.extract_lossy().map_err(|e| {
        let messages: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("invalid configuration:\n  {}", messages.join("\n  "))
    })?;
    if let Err(problems) = config.validate() {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}{}: {}", "", p.key, p.problem))
            .collect();
        bail!("invalid configuration:\n  {}", lines.join("\n  "));
    }
    let ignored_env = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.strip_prefix(ENV_PREFIX).is_some_and(|key| {
                key != "CONFIG" && !keys.contains(&key.to_ascii_lowercase().as_str())
            })
        })
        .collect();
    Ok(Loaded {
        config,
        file: file.map(Path::to_path_buf),
        ignored_env,
    })
}

/// `MYQA_*` variables naming configuration keys, as raw text. (figment's own
/// `Env` provider guesses types, which turns a numeric API key into a number.)
struct Environment(Dict);

impl Environment {
    fn capture(keys: &[&str]) -> Environment {
        let values = std::env::vars()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
                keys.contains(&key.as_str())
                    .then(|| (key, Value::from(value)))
            })
            .collect();
        Environment(values)
    }
}

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable").interpolater(|_profile, keys| {
            format!("{ENV_PREFIX}{}", keys.join("_").to_ascii_uppercase())
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.clone()))
    }
}

/// `myqa config check`: the effective configuration, secrets masked.
pub fn print_check(loaded: &Loaded) {
    match &loaded.file {
        Some(file) => println!(
            "# configuration valid: {} + MYQA_* environment",
            file.display()
        ),
        None => println!("# configuration valid: defaults + MYQA_* environment"),
    }
    for (key, value) in loaded.config.describe() {
        println!("{key} = {}", toml_string(&value));
    }
    for name in &loaded.ignored_env {
        println!("# warning: ignoring unknown environment variable {name}");
    }
}

fn toml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"))
}

/// Used by tests and tools that build a configuration by hand.
pub fn from_toml(text: &str) -> anyhow::Result<Config> {
    let config: Config = Figment::from(Toml::string(text))
        .extract()
        .context("invalid configuration")?;
    Ok(config)
}
