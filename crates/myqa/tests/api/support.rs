//! The test harness: the real application on a real socket, over a real
//! SQLite file or a PostgreSQL database created for the test and dropped after.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use myqa::admin;
use myqa::cli::Role;
use myqa::serve::Overrides;
use myqa_core::config::Config;
use myqa_core::network::NetworkList;
use myqa_core::{ApiKey, Organisation, Permission};
use myqa_store::Store;
use serde_json::Value;
use sqlx::Connection;
use tempfile::TempDir;
use tokio::sync::oneshot;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each named async test
/// function taking a [`Backend`].
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// The administrative connection to the local PostgreSQL server.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own for one test, dropped when the test ends.
pub struct PgDatabase {
    pub name: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        let name = format!("myqa_test_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
            .await
            .expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        PgDatabase { name }
    }

    pub fn url(&self) -> String {
        let admin = postgres_admin_url();
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a thread with its own runtime
        // may block on the async driver.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A fresh database of `backend` and a configuration pointing at it, for
/// tests that run the binary rather than an in-process application.
pub async fn fresh_setup(backend: Backend) -> (TempDir, Option<PgDatabase>, Config) {
    let dir = tempfile::tempdir().unwrap();
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgDatabase::create().await),
    };
    let config = test_config(dir.path(), database.as_ref().map(PgDatabase::url));
    (dir, database, config)
}

/// The configuration every test starts from.
pub fn test_config(dir: &std::path::Path, database_url: Option<String>) -> Config {
    Config {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.to_path_buf(),
        database_url: database_url.map(Into::into),
        revision_poll_interval: std::time::Duration::from_millis(50),
        workers: 2,
        ..Config::default()
    }
}

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    pub blobs: myqa_store::BlobStore,
    pub config: Config,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    resolver: Option<std::sync::Arc<dyn myqa_webhook::Resolve>>,
    stop_workers: Option<tokio::sync::watch::Sender<bool>>,
    // Dropped last: the data outlives the server.
    pub dir: TempDir,
    _database: Option<PgDatabase>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}, Role::All, Overrides::default()).await
    }

    pub async fn spawn_configured(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::spawn_with(backend, configure, Role::All, Overrides::default()).await
    }

    pub async fn spawn_with(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
        role: Role,
        overrides: Overrides,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await),
        };
        let mut config = test_config(dir.path(), database.as_ref().map(PgDatabase::url));
        configure(&mut config);
        crate::log_guard::install();
        for secret in [&config.analysis_api_key, &config.transcription_api_key]
            .into_iter()
            .flatten()
        {
            crate::log_guard::remember(secrecy::ExposeSecret::expose_secret(secret));
        }
        let resolver = overrides.resolver.clone();
        let app = myqa::Application::build_with(&config, role, overrides)
            .await
            .expect("application builds");
        let addr = app.local_addr();
        let store = app.store().clone();
        let blobs = app.blobs().clone();
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            addr,
            store,
            blobs,
            config,
            client: http_client(),
            shutdown: Some(tx),
            dir,
            _database: database,
            resolver,
            stop_workers: None,
        }
    }

    /// Starts the real workers on this application's database, as a
    /// `--role worker` process would (for apps spawned with `Role::Api`).
    pub fn start_workers(&mut self) {
        let resolver: std::sync::Arc<dyn myqa_webhook::Resolve> = self
            .resolver
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(myqa_webhook::SystemResolver));
        let (tx, rx) = tokio::sync::watch::channel(false);
        let control = myqa_worker::Control::new(rx);
        myqa::serve::spawn_workers(&self.config, &self.store, &self.blobs, resolver, control)
            .unwrap()
            .detach_all();
        self.stop_workers = Some(tx);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("request reaches the server")
    }

    pub async fn post_json(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        if let Some(secret) = body["callback_secret"].as_str() {
            crate::log_guard::remember(secret);
        }
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request reaches the server")
    }

    pub async fn post_form(
        &self,
        path: &str,
        key: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .multipart(form)
            .send()
            .await
            .expect("request reaches the server")
    }

    pub async fn create_org(&self, name: &str) -> Organisation {
        let org = Organisation {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            coins_balance: 0,
            unlimited: true,
            created_at: myqa_core::time::now(),
        };
        self.store.create_organisation(&org).await.unwrap();
        org
    }

    /// Stores a key and returns it with its raw secret.
    pub async fn create_key(
        &self,
        org: Uuid,
        permissions: &[Permission],
        allow: &[&str],
    ) -> (ApiKey, String) {
        self.create_key_with(org, permissions, allow, None).await
    }

    pub async fn create_key_with(
        &self,
        org: Uuid,
        permissions: &[Permission],
        allow: &[&str],
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> (ApiKey, String) {
        let (key, secret) = admin::new_key(
            org,
            "test key",
            permissions.to_vec(),
            NetworkList::parse(allow).unwrap(),
            expires_at,
        )
        .unwrap();
        self.store
            .insert_api_key(&key, &secret.digest())
            .await
            .unwrap();
        crate::log_guard::remember(secret.expose());
        (key, secret.expose().to_owned())
    }

    /// A new organisation and a key with every permission.
    pub async fn full_key(&self) -> String {
        let org = self.create_org(&format!("org-{}", Uuid::new_v4())).await;
        self.create_key(org.id, &Permission::ALL, &[]).await.1
    }

    /// The `myqa` binary, pointed at this application's database.
    pub fn cli(&self) -> tokio::process::Command {
        cli_command(&self.config)
    }

    /// Runs `myqa --json <args>` and parses its output.
    pub async fn cli_json(&self, args: &[&str]) -> Value {
        let output = self.cli().arg("--json").args(args).output().await.unwrap();
        assert!(
            output.status.success(),
            "myqa {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        crate::log_guard::remember_keys_in(&String::from_utf8_lossy(&output.stdout));
        crate::log_guard::check_lines(
            &format!("myqa {args:?}"),
            String::from_utf8_lossy(&output.stderr).lines(),
        );
        serde_json::from_slice(&output.stdout).expect("--json prints JSON")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(tx) = self.stop_workers.take() {
            let _ = tx.send(true);
        }
        if !std::thread::panicking() {
            crate::log_guard::assert_clean();
        }
    }
}

/// An HTTP client for talking to the application under test.
///
/// A connection per request: the server refuses some uploads before reading
/// them (401, 402, 429, 503) and then closes the connection, and a pooled
/// client could pick that connection for its next request before noticing,
/// failing it with a broken pipe that has nothing to do with the test.
pub fn http_client() -> reqwest::Client {
    myqa_webhook::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_myqa"))
}

/// A `myqa` command with a clean environment holding only `config`'s data
/// directory and database.
pub fn cli_command(config: &Config) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MYQA_DATA_DIR", &config.data_dir)
        .kill_on_drop(true);
    if let Some(url) = &config.database_url {
        command.env(
            "MYQA_DATABASE_URL",
            secrecy::ExposeSecret::expose_secret(url),
        );
    }
    command
}

/// Checks an error response against the contract: status, envelope, code,
/// and an `X-Request-Id` that is a UUID equal to the envelope's `request_id`.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let header_id = request_id(&response);
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message: {body}"
    );
    assert_eq!(body["error"]["request_id"], header_id.to_string(), "{body}");
    body
}

/// The response's `X-Request-Id`, which must be a UUID.
pub fn request_id(response: &reqwest::Response) -> Uuid {
    let value = response
        .headers()
        .get("x-request-id")
        .expect("every response carries X-Request-Id")
        .to_str()
        .unwrap();
    Uuid::from_str(value).expect("X-Request-Id is a UUID")
}

/// The real `myqa serve` binary as a child process, with its output captured.
pub struct ServerProcess {
    pub addr: SocketAddr,
    pub stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    child: tokio::process::Child,
}

impl ServerProcess {
    /// Starts `myqa serve <args>` with JSON logs on an ephemeral port and
    /// waits until it listens.
    pub async fn start(mut command: tokio::process::Command, args: &[&str]) -> ServerProcess {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = command
            .arg("serve")
            .args(args)
            .env("MYQA_BIND", "127.0.0.1:0")
            .env("MYQA_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("myqa starts");
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = oneshot::channel();
        let out_lines = stdout.clone();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                out_lines.lock().unwrap().push(line);
            }
        });
        let err_lines = stderr.clone();
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            let mut addr_tx = Some(addr_tx);
            while let Ok(Some(line)) = err.next_line().await {
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["message"] == "MyQA listening"
                    && let Some(tx) = addr_tx.take()
                {
                    let _ = tx.send(
                        event["address"]
                            .as_str()
                            .unwrap()
                            .parse::<SocketAddr>()
                            .unwrap(),
                    );
                }
                err_lines.lock().unwrap().push(line);
            }
        });
        let addr = tokio::time::timeout(std::time::Duration::from_secs(60), addr_rx)
            .await
            .expect("myqa serve starts within a minute")
            .unwrap_or_else(|_| panic!("myqa serve exited early: {:?}", stderr.lock().unwrap()));
        ServerProcess {
            addr,
            stdout,
            stderr,
            child,
        }
    }

    /// The API key `--bootstrap` printed. Stdout is read by its own task,
    /// which may still be behind when the server reports it listens: wait.
    pub async fn bootstrap_key(&self) -> String {
        let key = eventually(30, || async {
            self.stdout
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.starts_with("myqa_"))
                .cloned()
        })
        .await;
        crate::log_guard::remember(&key);
        key
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server runs")
    }

    /// Kills the server with SIGKILL: no cleanup of any kind.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub async fn stop(mut self) -> (Vec<String>, Vec<String>) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), self.child.wait()).await;
        // Let the readers drain.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let out = self.stdout.lock().unwrap().clone();
        let err = self.stderr.lock().unwrap().clone();
        (out, err)
    }

    /// Sends `signal` (`TERM`, `INT`) to the server, without waiting.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits at most `seconds` for the server to exit on its own; its exit
    /// status and its log lines.
    pub async fn wait_exit(&mut self, seconds: u64) -> (std::process::ExitStatus, Vec<String>) {
        let status =
            tokio::time::timeout(std::time::Duration::from_secs(seconds), self.child.wait())
                .await
                .unwrap_or_else(|_| panic!("the server did not exit within {seconds} s"))
                .expect("the server can be waited for");
        // Let the readers drain.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        (status, self.stderr.lock().unwrap().clone())
    }

    /// The first JSON log line whose `message` is `message`, once there is one.
    pub fn logged(&self, message: &str) -> Option<Value> {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|event| event["message"] == message)
    }
}

/// Whatever ends the process, its output must hold no key or secret
/// (stdout may show the key `--bootstrap` created, alone on its line).
impl Drop for ServerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let err = self.stderr.lock().unwrap().clone();
        let out = self.stdout.lock().unwrap().clone();
        crate::log_guard::check_lines(
            "myqa serve",
            err.iter()
                .chain(out.iter().filter(|l| !crate::log_guard::is_bare_key(l)))
                .map(String::as_str),
        );
    }
}

/// Direct SQL on an application's database, for what tests must see or set
/// behind the API (row counts, a job whose worker died three times).
pub enum RawDb {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

pub async fn raw_db(app: &TestApp) -> RawDb {
    raw_db_for(&app.config).await
}

pub async fn raw_db_for(config: &Config) -> RawDb {
    match &config.database_url {
        Some(url) => RawDb::Postgres(
            sqlx::PgPool::connect(secrecy::ExposeSecret::expose_secret(url))
                .await
                .unwrap(),
        ),
        None => RawDb::Sqlite(
            sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(config.data_dir.join("myqa.sqlite")),
            )
            .await
            .unwrap(),
        ),
    }
}

impl RawDb {
    pub async fn scalar(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            RawDb::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            RawDb::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    pub async fn execute(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            RawDb::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
            RawDb::Postgres(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        }
    }

    /// A UUID as an SQL literal of this backend (a blob in SQLite).
    pub fn id(&self, id: Uuid) -> String {
        match self {
            RawDb::Sqlite(_) => format!("X'{}'", id.simple()),
            RawDb::Postgres(_) => format!("'{id}'"),
        }
    }

    /// A time literal comparable with stored times.
    pub fn time(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        match self {
            RawDb::Sqlite(_) => format!("'{}'", at.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
            RawDb::Postgres(_) => format!("'{}'::timestamptz", at.to_rfc3339()),
        }
    }
}

/// Polls `check` until it returns `Some`, for at most `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {seconds} s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

/// A real webhook receiver on loopback, answering each request with the next
/// scripted status (200 once the script runs out).
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    hits: std::sync::Arc<std::sync::Mutex<Vec<Hit>>>,
}

impl Receiver {
    pub async fn start(script: &[u16]) -> Receiver {
        use axum::response::IntoResponse;
        let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Hit>::new()));
        let script = std::sync::Arc::new(std::sync::Mutex::new(
            script
                .iter()
                .copied()
                .collect::<std::collections::VecDeque<u16>>(),
        ));
        let (recorded, remaining) = (hits.clone(), script.clone());
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (recorded, remaining) = (recorded.clone(), remaining.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 10 << 20)
                    .await
                    .unwrap_or_default();
                recorded.lock().unwrap().push(Hit {
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let status = remaining.lock().unwrap().pop_front().unwrap_or(200);
                let status = axum::http::StatusCode::from_u16(status).unwrap();
                if status.is_redirection() {
                    (status, [("location", "/elsewhere")]).into_response()
                } else {
                    status.into_response()
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { addr, hits }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}
