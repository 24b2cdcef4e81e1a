//! The admin CLI and `serve --bootstrap`, through the real binary.

use serde_json::Value;

use crate::support::{Backend, ServerProcess, TestApp, cli_command, fresh_setup, on_both_backends};

async fn org_and_key_commands_speak_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app
        .cli_json(&[
            "admin",
            "org",
            "create",
            "--name",
            "Acme Foods",
            "--coins",
            "500",
        ])
        .await;
    assert_eq!(org["name"], "Acme Foods");
    assert_eq!(org["coins_balance"], 500);
    let org_id = org["id"].as_str().unwrap().to_owned();
    let unlimited = app
        .cli_json(&["admin", "org", "create", "--name", "Beta", "--unlimited"])
        .await;
    assert_eq!(unlimited["unlimited"], true);

    let listed = app.cli_json(&["admin", "org", "list"]).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Acme Foods") && names.contains(&"Beta"),
        "{listed}"
    );

    // Duplicate names are refused with a clear message.
    let output = app
        .cli()
        .args(["admin", "org", "create", "--name", "Acme Foods"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));

    let created = app
        .cli_json(&[
            "admin",
            "key",
            "create",
            "--org",
            "Acme Foods",
            "--name",
            "ci",
            "--permission",
            "captureiq:analyze",
            "--permission",
            "snapreport:generate",
            "--allow-ip",
            "127.0.0.1",
            "--allow-ip",
            "2001:db8::/32",
            "--expires-in",
            "30d",
        ])
        .await;
    let raw = created["key"].as_str().unwrap().to_owned();
    assert!(raw.starts_with("myqa_") && raw.len() == 37, "{created}");
    assert_eq!(created["org_id"], org_id);
    assert_eq!(
        created["permissions"],
        serde_json::json!(["captureiq:analyze", "snapreport:generate"])
    );
    assert_eq!(
        created["allowed_ips"],
        serde_json::json!(["127.0.0.1", "2001:db8::/32"])
    );
    assert_eq!(created["prefix"], raw[..11]);
    assert!(created["expires_at"].is_string());
    assert_eq!(app.get("/api/v1/standards", Some(&raw)).await.status(), 200);

    // Listings show the prefix, never the key.
    let listing = app
        .cli()
        .args(["--json", "admin", "key", "list", "--org", &org_id])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(listing.stdout).unwrap();
    assert!(!text.contains(&raw), "a listing must not reveal the key");
    let keys: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys[0]["id"], created["id"]);
    assert_eq!(keys[0]["prefix"], created["prefix"]);
    for field in [
        "name",
        "permissions",
        "allowed_ips",
        "created_at",
        "last_used_at",
        "revoked_at",
        "expires_at",
    ] {
        assert!(
            keys[0].get(field).is_some(),
            "key list lacks {field}: {keys}"
        );
    }
    // The human listing, too.
    let human = app
        .cli()
        .args(["admin", "key", "list", "--org", "Acme Foods"])
        .output()
        .await
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains(created["id"].as_str().unwrap()) && !human.contains(&raw),
        "{human}"
    );

    // Bad input is refused naming it.
    let bad = app
        .cli()
        .args([
            "admin",
            "key",
            "create",
            "--org",
            "Acme Foods",
            "--name",
            "x",
            "--permission",
            "captureiq:everything",
        ])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("captureiq:everything"));
    let bad = app
        .cli()
        .args([
            "admin",
            "key",
            "create",
            "--org",
            "Nobody",
            "--name",
            "x",
            "--permission",
            "captureiq:analyze",
        ])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Nobody"));
    let bad = app
        .cli()
        .args([
            "admin",
            "key",
            "create",
            "--org",
            "Acme Foods",
            "--name",
            "x",
            "--permission",
            "captureiq:analyze",
            "--allow-ip",
            "10.0.0.1/8",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("10.0.0.0/8"),
        "suggests the network"
    );
}

async fn bootstrap_prints_a_working_key_once(backend: Backend) {
    let (_dir, _database, config) = fresh_setup(backend).await;

    let server = ServerProcess::start(cli_command(&config), &["--bootstrap"]).await;
    let key = server.bootstrap_key().await;
    let client = crate::support::http_client();
    let response = client
        .get(server.url("/api/v1/standards"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for path in ["/api/v1/captureiq/analyze", "/api/v1/snapreport/analyze"] {
        let response = client
            .post(server.url(path))
            .bearer_auth(&key)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_ne!(
            response.status(),
            403,
            "the bootstrap key holds every permission"
        );
    }
    let (_, logs) = server.stop().await;
    assert!(
        !logs.iter().any(|l| l.contains(&key)),
        "the key never reaches the log"
    );

    // A second start on the same database creates nothing.
    let again = ServerProcess::start(cli_command(&config), &["--bootstrap"]).await;
    let (stdout, _) = again.stop().await;
    assert!(!stdout.iter().any(|l| l.starts_with("myqa_")), "{stdout:?}");
}

async fn config_check_masks_secrets_and_names_problems(_backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("myqa.toml");
    std::fs::write(
        &file,
        "bind = \"0.0.0.0:9000\"\ntrusted_proxies = [\"10.0.0.0/8\"]\ndatabase_url = \"postgres://myqa:hunter2@db:5432/myqa\"\n",
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = tokio::process::Command::new(crate::support::binary());
        command.env_clear().args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        command.output()
    };
    let output = run(
        &["--config", file.to_str().unwrap(), "config", "check"],
        &[
            ("MYQA_ANALYSIS_API_KEY", "12345"),
            ("MYQA_WORKERS", "3"),
            ("MYQA_PORT", "tcp://10.0.0.1:80"),
        ],
    )
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("bind = \"0.0.0.0:9000\""), "{stdout}");
    assert!(
        stdout.contains("workers = \"3\""),
        "the environment overrides: {stdout}"
    );
    assert!(
        stdout.contains("trusted_proxies = \"10.0.0.0/8\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("analysis_api_key = \"******** (set)\""),
        "{stdout}"
    );
    assert!(
        !stdout.contains("12345") && !stdout.contains("hunter2"),
        "secrets are masked: {stdout}"
    );
    assert!(
        stdout.contains("MYQA_PORT"),
        "unknown variables are pointed out: {stdout}"
    );

    // Mistakes are named, all at once.
    std::fs::write(&file, "bnid = \"x\"\n").unwrap();
    let output = run(
        &["--config", file.to_str().unwrap(), "config", "check"],
        &[],
    )
    .await
    .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bnid"));
    let output = run(
        &["config", "check"],
        &[
            ("MYQA_ANALYSIS_PROVIDER", "openai"),
            ("MYQA_TRUSTED_PROXIES", "10.0.0.1/8"),
        ],
    )
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("10.0.0.1/8"), "{stderr}");
    let output = run(
        &["config", "check"],
        &[("MYQA_ANALYSIS_PROVIDER", "openai")],
    )
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("analysis_base_url") && stderr.contains("analysis_model"),
        "{stderr}"
    );
}

on_both_backends!(
    org_and_key_commands_speak_json,
    bootstrap_prints_a_working_key_once,
    config_check_masks_secrets_and_names_problems,
);
