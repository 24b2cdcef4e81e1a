//! The service configuration (SPEC §13): one typed struct, loaded once by the
//! binary (TOML file, then `MYQA_*` environment variables), validated here and
//! passed down.
//!
//! Every key is the environment variable's name without `MYQA_`, lower-cased:
//! `MYQA_ANALYSIS_BASE_URL` is `analysis_base_url` in the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytesize::ByteSize;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::network::NetworkList;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisProvider {
    Local,
    Openai,
}

/// How an OpenAI-compatible analysis server takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisAuth {
    /// `Authorization: Bearer …`
    Bearer,
    /// `api-key: …` (Azure OpenAI).
    ApiKey,
}

/// What the analysis server supports to hold answers to a JSON shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutputMode {
    JsonSchema,
    JsonObject,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranscriptionProvider {
    None,
    Openai,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Browser origins allowed by CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<SecretString>,
    pub blob_url: Option<String>,
    /// An S3-compatible server's URL (`https://minio.example.com:9000`);
    /// unset: `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL` from the environment,
    /// else AWS itself.
    pub blob_s3_endpoint: Option<String>,
    /// Unset: `AWS_REGION`/`AWS_DEFAULT_REGION`, else `us-east-1`.
    pub blob_s3_region: Option<String>,
    /// `https://host/bucket/key` rather than `https://bucket.host/key`, as
    /// most self-hosted S3-compatible servers want.
    pub blob_s3_path_style: bool,
    /// Allow an `http://` endpoint (local test servers only).
    pub blob_s3_allow_http: bool,
    /// Unset: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and
    /// `AWS_SESSION_TOKEN`) from the environment, else the instance's role.
    pub blob_s3_access_key_id: Option<SecretString>,
    pub blob_s3_secret_access_key: Option<SecretString>,
    /// Uploads no unfinished job owns are deleted by the janitor once they
    /// are this old (longer than any upload request may take).
    #[serde(with = "humantime_serde")]
    pub blob_orphan_grace: Duration,
    pub allow_insecure_callbacks: bool,
    #[serde(deserialize_with = "network_list")]
    pub trusted_proxies: NetworkList,
    #[serde(deserialize_with = "cors_origins")]
    pub cors_origins: CorsOrigins,
    pub analysis_provider: AnalysisProvider,
    pub analysis_base_url: Option<String>,
    pub analysis_api_key: Option<SecretString>,
    pub analysis_model: Option<String>,
    /// `bearer`, or `api_key` for Azure OpenAI.
    pub analysis_auth: AnalysisAuth,
    /// Sent as `?api-version=` (Azure OpenAI).
    pub analysis_api_version: Option<String>,
    /// `json_schema`, `json_object` or `none`: what the server supports.
    pub analysis_structured_output: StructuredOutputMode,
    /// Whether the model can see images (sent as data-URL parts).
    pub analysis_vision: bool,
    /// The model's context window, in tokens.
    pub analysis_context_window: u64,
    /// Most tokens of one answer.
    pub analysis_max_output_tokens: u64,
    pub analysis_temperature: f64,
    /// Per analysis request.
    #[serde(with = "humantime_serde")]
    pub analysis_timeout: Duration,
    /// Most clauses a SnapReport prompt shows, pre-ranked against the
    /// evidence.
    pub analysis_max_clauses: usize,
    pub transcription_provider: TranscriptionProvider,
    pub transcription_base_url: Option<String>,
    pub transcription_api_key: Option<SecretString>,
    pub transcription_model: Option<String>,
    /// Longest piece of a recording sent to the transcription provider in
    /// one request (cut at a quiet point before it).
    #[serde(with = "humantime_serde")]
    pub transcription_chunk: Duration,
    /// Pieces of one recording transcribed at once.
    pub transcription_concurrency: usize,
    /// Per transcription request.
    #[serde(with = "humantime_serde")]
    pub transcription_timeout: Duration,
    #[serde(deserialize_with = "duration_list")]
    pub webhook_retry_schedule: Vec<Duration>,
    #[serde(with = "humantime_serde")]
    pub job_retention: Duration,
    pub workers: usize,
    pub log_format: LogFormat,
    /// Whether `GET /metrics` serves Prometheus metrics (unauthenticated,
    /// like `/healthz`); off, it answers 404 and no metrics are collected.
    pub metrics_enabled: bool,
    /// How long a verified key is trusted without asking the database.
    #[serde(with = "humantime_serde")]
    pub key_cache_ttl: Duration,
    /// How often a server looks for key revocations and catalogue changes made
    /// by other processes (the admin CLI); PostgreSQL also pushes them at once.
    #[serde(with = "humantime_serde")]
    pub revision_poll_interval: Duration,
    /// Largest JSON request body accepted.
    pub json_body_limit: ByteSize,
    /// How long in-flight requests and running jobs may take to finish after
    /// SIGTERM/SIGINT; then requests are answered 503 and jobs are released
    /// to other workers.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// How long a worker's claim on a job lasts without renewal; a job whose
    /// worker died is taken again after this.
    #[serde(with = "humantime_serde")]
    pub job_lease: Duration,
    /// How often workers and waiting sync requests look at the queue when no
    /// wake-up arrives.
    #[serde(with = "humantime_serde")]
    pub job_poll_interval: Duration,
    /// How often the janitor purges expired jobs.
    #[serde(with = "humantime_serde")]
    pub janitor_interval: Duration,
    /// Coins per 1,000 input tokens.
    pub coin_rate_input: f64,
    /// Coins per 1,000 output tokens.
    pub coin_rate_output: f64,
    /// Coins per minute of audio.
    pub coin_rate_audio: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            blob_url: None,
            blob_s3_endpoint: None,
            blob_s3_region: None,
            blob_s3_path_style: false,
            blob_s3_allow_http: false,
            blob_s3_access_key_id: None,
            blob_s3_secret_access_key: None,
            blob_orphan_grace: Duration::from_secs(3600),
            allow_insecure_callbacks: false,
            trusted_proxies: NetworkList::default(),
            cors_origins: CorsOrigins::Any,
            analysis_provider: AnalysisProvider::Local,
            analysis_base_url: None,
            analysis_api_key: None,
            analysis_model: None,
            analysis_auth: AnalysisAuth::Bearer,
            analysis_api_version: None,
            analysis_structured_output: StructuredOutputMode::JsonSchema,
            analysis_vision: false,
            analysis_context_window: 128_000,
            analysis_max_output_tokens: 4096,
            analysis_temperature: 0.1,
            analysis_timeout: Duration::from_secs(120),
            analysis_max_clauses: 40,
            transcription_provider: TranscriptionProvider::None,
            transcription_base_url: None,
            transcription_api_key: None,
            transcription_model: None,
            transcription_chunk: Duration::from_secs(600),
            transcription_concurrency: 3,
            transcription_timeout: Duration::from_secs(300),
            webhook_retry_schedule: [5, 300, 1800, 7200, 18000, 36000, 36000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            job_retention: Duration::from_secs(7 * 24 * 3600),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            log_format: LogFormat::Text,
            metrics_enabled: true,
            key_cache_ttl: Duration::from_secs(30),
            revision_poll_interval: Duration::from_millis(250),
            json_body_limit: ByteSize::mib(16),
            shutdown_timeout: Duration::from_secs(30),
            job_lease: Duration::from_secs(30),
            job_poll_interval: Duration::from_secs(1),
            janitor_interval: Duration::from_secs(60),
            coin_rate_input: 1.0,
            coin_rate_output: 4.0,
            coin_rate_audio: 2.0,
        }
    }
}

/// Where uploaded inputs live.
#[derive(Debug, Clone)]
pub enum BlobLocation {
    /// A directory on this machine.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Bucket),
}

/// An S3-compatible bucket, a key prefix in it, and how to reach it. What is
/// unset here comes from the `AWS_*` environment variables.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    pub bucket: String,
    /// Without slashes at either end; empty for the whole bucket.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: bool,
    pub allow_http: bool,
    pub access_key_id: Option<SecretString>,
    pub secret_access_key: Option<SecretString>,
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    /// A `postgres://` URL (it may hold a password: never print it unmasked).
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct ConfigError {
    pub key: &'static str,
    pub problem: String,
}

fn problem(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        problem: problem.into(),
    }
}

impl Config {
    /// Cross-field checks that types alone cannot express. All problems are
    /// reported at once so an operator fixes a file in one go.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        if let Err(e) = self.database() {
            errors.push(e);
        }
        if let Err(e) = self.blobs() {
            errors.push(e);
        }
        if self.blob_s3_access_key_id.is_some() != self.blob_s3_secret_access_key.is_some() {
            errors.push(problem(
                "blob_s3_secret_access_key",
                "blob_s3_access_key_id and blob_s3_secret_access_key go together",
            ));
        }
        if let Some(endpoint) = &self.blob_s3_endpoint {
            if endpoint.starts_with("http://") {
                if !self.blob_s3_allow_http {
                    errors.push(problem(
                        "blob_s3_endpoint",
                        "is http://: set blob_s3_allow_http (local test servers only) or use https://",
                    ));
                }
            } else if !endpoint.starts_with("https://") {
                errors.push(problem(
                    "blob_s3_endpoint",
                    format!("`{endpoint}` must be an https:// URL"),
                ));
            }
        }
        if self.blob_orphan_grace < Duration::from_secs(1) {
            errors.push(problem("blob_orphan_grace", "must be at least 1s"));
        }
        if self.transcription_chunk < Duration::from_secs(30) {
            errors.push(problem("transcription_chunk", "must be at least 30s"));
        }
        if self.transcription_concurrency == 0 {
            errors.push(problem("transcription_concurrency", "must be at least 1"));
        }
        if self.workers == 0 {
            errors.push(problem("workers", "must be at least 1"));
        }
        if self.webhook_retry_schedule.is_empty() {
            errors.push(problem(
                "webhook_retry_schedule",
                "needs at least one delay",
            ));
        }
        if self.job_retention.is_zero() {
            errors.push(problem("job_retention", "must be longer than zero"));
        }
        if self.revision_poll_interval < Duration::from_millis(10) {
            errors.push(problem("revision_poll_interval", "must be at least 10ms"));
        }
        if self.job_lease < Duration::from_secs(1) {
            errors.push(problem("job_lease", "must be at least 1s"));
        }
        if self.job_poll_interval < Duration::from_millis(10) {
            errors.push(problem("job_poll_interval", "must be at least 10ms"));
        }
        if self.janitor_interval < Duration::from_secs(1) {
            errors.push(problem("janitor_interval", "must be at least 1s"));
        }
        for (key, rate) in [
            ("coin_rate_input", self.coin_rate_input),
            ("coin_rate_output", self.coin_rate_output),
            ("coin_rate_audio", self.coin_rate_audio),
        ] {
            if !rate.is_finite() || rate < 0.0 {
                errors.push(problem(key, "must be a number ≥ 0"));
            }
        }
        if self.json_body_limit.as_u64() < 1024 {
            errors.push(problem("json_body_limit", "must be at least 1 KiB"));
        }
        if self.analysis_context_window < 1024 {
            errors.push(problem(
                "analysis_context_window",
                "must be at least 1024 tokens",
            ));
        }
        if self.analysis_max_output_tokens == 0
            || self.analysis_max_output_tokens >= self.analysis_context_window
        {
            errors.push(problem(
                "analysis_max_output_tokens",
                "must be at least 1 and less than analysis_context_window",
            ));
        }
        if !(0.0..=2.0).contains(&self.analysis_temperature) {
            errors.push(problem("analysis_temperature", "must lie between 0 and 2"));
        }
        if self.analysis_max_clauses == 0 {
            errors.push(problem("analysis_max_clauses", "must be at least 1"));
        }
        if self.analysis_provider == AnalysisProvider::Openai {
            if self.analysis_base_url.is_none() {
                errors.push(problem(
                    "analysis_base_url",
                    "is required when analysis_provider is openai",
                ));
            }
            if self.analysis_model.is_none() {
                errors.push(problem(
                    "analysis_model",
                    "is required when analysis_provider is openai",
                ));
            }
        }
        if self.transcription_provider == TranscriptionProvider::Openai {
            if self.transcription_base_url.is_none() {
                errors.push(problem(
                    "transcription_base_url",
                    "is required when transcription_provider is openai",
                ));
            }
            if self.transcription_model.is_none() {
                errors.push(problem(
                    "transcription_model",
                    "is required when transcription_provider is openai",
                ));
            }
        }
        for (key, url) in [
            ("analysis_base_url", &self.analysis_base_url),
            ("transcription_base_url", &self.transcription_base_url),
        ] {
            if let Some(url) = url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                errors.push(problem(
                    key,
                    format!("`{url}` must be an http:// or https:// URL"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    pub fn database(&self) -> Result<DatabaseLocation, ConfigError> {
        let Some(url) = &self.database_url else {
            return Ok(DatabaseLocation::Sqlite(self.data_dir.join("myqa.sqlite")));
        };
        let url = url.expose_secret();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseLocation::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(problem(
                    "database_url",
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/myqa/myqa.sqlite",
                ));
            }
            Ok(DatabaseLocation::Sqlite(PathBuf::from(path)))
        } else {
            Err(problem(
                "database_url",
                "must start with sqlite:// or postgres://",
            ))
        }
    }

    pub fn blobs(&self) -> Result<BlobLocation, ConfigError> {
        let Some(url) = &self.blob_url else {
            return Ok(BlobLocation::Local(self.blob_dir()));
        };
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(problem(
                    "blob_url",
                    "file:// needs an absolute path, e.g. file:///var/lib/myqa/blobs",
                ));
            }
            return Ok(BlobLocation::Local(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(problem(
                    "blob_url",
                    "s3:// needs a bucket, e.g. s3://my-bucket/myqa",
                ));
            }
            return Ok(BlobLocation::S3(S3Bucket {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
                endpoint: self.blob_s3_endpoint.clone(),
                region: self.blob_s3_region.clone(),
                path_style: self.blob_s3_path_style,
                allow_http: self.blob_s3_allow_http,
                access_key_id: self.blob_s3_access_key_id.clone(),
                secret_access_key: self.blob_s3_secret_access_key.clone(),
            }));
        }
        Err(problem(
            "blob_url",
            format!("`{url}` must start with file:// or s3://"),
        ))
    }

    /// Every key with its effective value, secrets masked: what
    /// `myqa config check` prints. The order is the documentation's.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        fn opt(value: &Option<String>) -> String {
            value.clone().unwrap_or_else(|| "(unset)".to_owned())
        }
        fn secret(value: &Option<SecretString>) -> String {
            match value {
                Some(_) => "******** (set)".to_owned(),
                None => "(unset)".to_owned(),
            }
        }
        fn duration(d: Duration) -> String {
            humantime::format_duration(d).to_string()
        }
        let database = match self.database() {
            Ok(DatabaseLocation::Sqlite(path)) => format!("sqlite://{}", path.display()),
            Ok(DatabaseLocation::Postgres(url)) => mask_url_password(&url),
            Err(e) => format!("(invalid: {})", e.problem),
        };
        vec![
            ("bind", self.bind.to_string()),
            ("data_dir", self.data_dir.display().to_string()),
            ("database_url", database),
            (
                "blob_url",
                self.blob_url
                    .clone()
                    .unwrap_or_else(|| format!("file://{}", self.blob_dir().display())),
            ),
            ("blob_s3_endpoint", opt(&self.blob_s3_endpoint)),
            ("blob_s3_region", opt(&self.blob_s3_region)),
            ("blob_s3_path_style", self.blob_s3_path_style.to_string()),
            ("blob_s3_allow_http", self.blob_s3_allow_http.to_string()),
            ("blob_s3_access_key_id", secret(&self.blob_s3_access_key_id)),
            (
                "blob_s3_secret_access_key",
                secret(&self.blob_s3_secret_access_key),
            ),
            ("blob_orphan_grace", duration(self.blob_orphan_grace)),
            (
                "allow_insecure_callbacks",
                self.allow_insecure_callbacks.to_string(),
            ),
            ("trusted_proxies", self.trusted_proxies.to_string()),
            (
                "cors_origins",
                match &self.cors_origins {
                    CorsOrigins::Any => "*".to_owned(),
                    CorsOrigins::List(list) => list.join(","),
                },
            ),
            (
                "analysis_provider",
                format!("{:?}", self.analysis_provider).to_lowercase(),
            ),
            ("analysis_base_url", opt(&self.analysis_base_url)),
            ("analysis_api_key", secret(&self.analysis_api_key)),
            ("analysis_model", opt(&self.analysis_model)),
            (
                "analysis_auth",
                match self.analysis_auth {
                    AnalysisAuth::Bearer => "bearer",
                    AnalysisAuth::ApiKey => "api_key",
                }
                .to_owned(),
            ),
            ("analysis_api_version", opt(&self.analysis_api_version)),
            (
                "analysis_structured_output",
                match self.analysis_structured_output {
                    StructuredOutputMode::JsonSchema => "json_schema",
                    StructuredOutputMode::JsonObject => "json_object",
                    StructuredOutputMode::None => "none",
                }
                .to_owned(),
            ),
            ("analysis_vision", self.analysis_vision.to_string()),
            (
                "analysis_context_window",
                self.analysis_context_window.to_string(),
            ),
            (
                "analysis_max_output_tokens",
                self.analysis_max_output_tokens.to_string(),
            ),
            (
                "analysis_temperature",
                self.analysis_temperature.to_string(),
            ),
            ("analysis_timeout", duration(self.analysis_timeout)),
            (
                "analysis_max_clauses",
                self.analysis_max_clauses.to_string(),
            ),
            (
                "transcription_provider",
                format!("{:?}", self.transcription_provider).to_lowercase(),
            ),
            ("transcription_base_url", opt(&self.transcription_base_url)),
            ("transcription_api_key", secret(&self.transcription_api_key)),
            ("transcription_model", opt(&self.transcription_model)),
            ("transcription_chunk", duration(self.transcription_chunk)),
            (
                "transcription_concurrency",
                self.transcription_concurrency.to_string(),
            ),
            (
                "transcription_timeout",
                duration(self.transcription_timeout),
            ),
            (
                "webhook_retry_schedule",
                self.webhook_retry_schedule
                    .iter()
                    .map(|d| duration(*d))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("job_retention", duration(self.job_retention)),
            ("workers", self.workers.to_string()),
            (
                "log_format",
                format!("{:?}", self.log_format).to_lowercase(),
            ),
            ("metrics_enabled", self.metrics_enabled.to_string()),
            ("key_cache_ttl", duration(self.key_cache_ttl)),
            (
                "revision_poll_interval",
                duration(self.revision_poll_interval),
            ),
            (
                "json_body_limit",
                self.json_body_limit.display().iec().to_string(),
            ),
            ("shutdown_timeout", duration(self.shutdown_timeout)),
            ("job_lease", duration(self.job_lease)),
            ("job_poll_interval", duration(self.job_poll_interval)),
            ("janitor_interval", duration(self.janitor_interval)),
            ("coin_rate_input", self.coin_rate_input.to_string()),
            ("coin_rate_output", self.coin_rate_output.to_string()),
            ("coin_rate_audio", self.coin_rate_audio.to_string()),
        ]
    }

    /// The names of every key, for the loader's filter on environment variables.
    pub fn keys() -> Vec<&'static str> {
        Config::default()
            .describe()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    pub fn rates(&self) -> crate::billing::Rates {
        crate::billing::Rates {
            input_per_1k: self.coin_rate_input,
            output_per_1k: self.coin_rate_output,
            audio_per_minute: self.coin_rate_audio,
        }
    }

    /// Where downloaded blobs and other scratch files go.
    pub fn scratch_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:********@host/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:********")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// A list given either as a TOML array or as one comma-separated string (the
/// only form an environment variable can take).
#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrString {
    List(Vec<String>),
    String(String),
}

impl ListOrString {
    fn items(self) -> Vec<String> {
        match self {
            ListOrString::List(items) => items,
            ListOrString::String(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        }
    }
}

fn network_list<'de, D: Deserializer<'de>>(d: D) -> Result<NetworkList, D::Error> {
    NetworkList::parse(&ListOrString::deserialize(d)?.items()).map_err(serde::de::Error::custom)
}

fn duration_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
    ListOrString::deserialize(d)?
        .items()
        .iter()
        .map(|s| {
            humantime::parse_duration(s)
                .map_err(|e| serde::de::Error::custom(format!("`{s}`: {e}")))
        })
        .collect()
}

fn cors_origins<'de, D: Deserializer<'de>>(d: D) -> Result<CorsOrigins, D::Error> {
    let items = ListOrString::deserialize(d)?.items();
    if items.iter().any(|o| o == "*") {
        return if items.len() == 1 {
            Ok(CorsOrigins::Any)
        } else {
            Err(serde::de::Error::custom(
                "`*` cannot be combined with other origins",
            ))
        };
    }
    for origin in &items {
        let valid = origin.split_once("://").is_some_and(|(scheme, host)| {
            matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
        });
        if !valid {
            return Err(serde::de::Error::custom(format!(
                "`{origin}` is not an origin like https://app.example.com"
            )));
        }
    }
    Ok(CorsOrigins::List(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_in_urls() {
        assert_eq!(
            mask_url_password("postgres://u:pw@h:5432/db"),
            "postgres://u:********@h:5432/db"
        );
        assert_eq!(mask_url_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(mask_url_password("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn describe_never_prints_secrets() {
        let config = Config {
            analysis_api_key: Some(SecretString::from("sk-very-secret")),
            database_url: Some(SecretString::from("postgres://u:hunter2@db/myqa")),
            blob_s3_access_key_id: Some(SecretString::from("AKIAEXAMPLEKEYID")),
            blob_s3_secret_access_key: Some(SecretString::from("s3-secret-key")),
            ..Config::default()
        };
        let shown = format!("{:?} {:?}", config.describe(), config.blobs());
        assert!(!shown.contains("sk-very-secret"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("AKIAEXAMPLEKEYID"));
        assert!(!shown.contains("s3-secret-key"));
        assert!(shown.contains("******** (set)"));
    }

    #[test]
    fn defaults_are_valid_and_sqlite() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(
            config.database().unwrap(),
            DatabaseLocation::Sqlite(PathBuf::from("./data/myqa.sqlite"))
        );
    }

    #[test]
    fn s3_blob_url_takes_the_s3_keys() {
        let config = Config {
            blob_url: Some("s3://media/myqa/uploads/".into()),
            blob_s3_endpoint: Some("http://127.0.0.1:9000".into()),
            blob_s3_path_style: true,
            ..Config::default()
        };
        let keys: Vec<_> = config
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["blob_s3_endpoint"], "http:// needs allow_http");
        let config = Config {
            blob_s3_allow_http: true,
            ..config
        };
        config.validate().unwrap();
        let BlobLocation::S3(s3) = config.blobs().unwrap() else {
            panic!("an s3:// URL is S3");
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("media", "myqa/uploads")
        );
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(s3.path_style && s3.allow_http);

        let half_credentials = Config {
            blob_s3_access_key_id: Some("id".into()),
            ..Config::default()
        };
        let keys: Vec<_> = half_credentials
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["blob_s3_secret_access_key"]);
    }

    #[test]
    fn openai_needs_its_endpoint() {
        let config = Config {
            analysis_provider: AnalysisProvider::Openai,
            ..Config::default()
        };
        let errors = config.validate().unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key).collect();
        assert_eq!(keys, ["analysis_base_url", "analysis_model"]);
    }
}
