//! The standards catalogue: shipped trees, flags, stable ids, code
//! resolution, filters, import.

use std::collections::BTreeSet;
use std::time::Duration;

use myqa_store::InstallOutcome;
use serde_json::Value;

use crate::support::{Backend, TestApp, assert_error, on_both_backends};

async fn get_json(app: &TestApp, key: &str, path: &str) -> Value {
    let response = app.get(path, Some(key)).await;
    assert_eq!(response.status(), 200, "{path}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    body["data"].clone()
}

fn clauses(tree: &Value) -> Vec<Value> {
    tree["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["sections"].as_array().unwrap().iter())
        .flat_map(|s| s["clauses"].as_array().unwrap().iter().cloned())
        .collect()
}

fn numbers_where(tree: &Value, flag: &str) -> BTreeSet<String> {
    clauses(tree)
        .iter()
        .filter(|c| c[flag] == true)
        .map(|c| c["number"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_standard_counts_its_clauses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let list = get_json(&app, &key, "/api/v1/standards").await;
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["BRCGS", "IFS-FOOD", "ISO9001"]);
    for standard in list.as_array().unwrap() {
        let code = standard["code"].as_str().unwrap();
        let tree = get_json(&app, &key, &format!("/api/v1/standards/{code}/clauses")).await;
        let count = clauses(&tree).len();
        assert!(count > 50, "{code} has only {count} clauses");
        assert_eq!(standard["total_requirements"], count, "{code}");
        assert_eq!(tree["standard"]["total_requirements"], count, "{code}");
        // Numbers are unique and every clause carries text.
        let numbers: BTreeSet<_> = clauses(&tree)
            .iter()
            .map(|c| c["number"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(numbers.len(), count, "{code}: duplicate clause numbers");
        for clause in clauses(&tree) {
            assert!(!clause["title"].as_str().unwrap().is_empty());
            assert!(!clause["requirement"].as_str().unwrap().is_empty());
        }
        let grades: Vec<&str> = standard["grades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["code"].as_str().unwrap())
            .collect();
        let expected: &[&str] = match standard["grading_scheme"].as_str().unwrap() {
            "IFS" => &["A", "B", "C", "D", "MAJOR", "KO", "NA"],
            "BRC" => &["CONFORM", "MINOR", "MAJOR", "CRITICAL", "NA"],
            "ISO" => &["CONFORM", "OFI", "MINOR_NC", "MAJOR_NC", "NA"],
            other => panic!("unexpected scheme {other}"),
        };
        assert_eq!(grades, expected, "{code}");
    }
}

async fn iso_9001_holds_its_numbered_requirements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let tree = get_json(&app, &key, "/api/v1/standards/ISO9001/clauses").await;
    assert_eq!(tree["standard"]["version"], "2015");
    let chapters: Vec<&str> = tree["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(chapters, ["4", "5", "6", "7", "8", "9", "10"]);
    let title_of = |number: &str| {
        clauses(&tree)
            .into_iter()
            .find(|c| c["number"] == number)
            .unwrap_or_else(|| panic!("ISO 9001 lacks {number}"))["title"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(title_of("7.1.5.1"), "General");
    assert_eq!(title_of("7.1.5.2"), "Measurement traceability");
    assert_eq!(
        title_of("8.5.1"),
        "Control of production and service provision"
    );
    assert_eq!(title_of("10.2.1"), "Nonconformity and corrective action");
    assert_eq!(title_of("9.2.1"), "Internal audit");
    // A section without numbered sub-requirements holds one clause of its own number.
    let section_7_2 = tree["chapters"][3]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["number"] == "7.2")
        .unwrap()
        .clone();
    assert_eq!(section_7_2["title"], "Competence");
    assert_eq!(section_7_2["clauses"].as_array().unwrap().len(), 1);
    assert_eq!(section_7_2["clauses"][0]["number"], "7.2");
    assert_ne!(section_7_2["clauses"][0]["id"], section_7_2["id"]);
    assert!(numbers_where(&tree, "ko").is_empty());
    assert!(numbers_where(&tree, "fundamental").is_empty());
}

async fn ifs_food_flags_exactly_its_ko_requirements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let tree = get_json(&app, &key, "/api/v1/standards/IFS-FOOD/clauses").await;
    assert_eq!(tree["standard"]["version"], "8");
    let expected: BTreeSet<String> = [
        "1.2.1", "2.3.9.1", "3.2.2", "4.1.3", "4.2.1.3", "4.12.1", "4.18.1", "5.1.1", "5.9.1",
        "5.11.3",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(numbers_where(&tree, "ko"), expected);
    assert!(numbers_where(&tree, "fundamental").is_empty());
    let chapters: Vec<&str> = tree["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(chapters, ["1", "2", "3", "4", "5"]);
}

async fn brcgs_flags_its_fundamental_requirements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let tree = get_json(&app, &key, "/api/v1/standards/brcgs/clauses").await;
    assert_eq!(tree["standard"]["version"], "Issue 9");
    // Fundamental (sub-)sections of Issue 9: every clause within is flagged,
    // and no clause outside.
    let fundamental = [
        "1.1", "2", "3.4", "3.5.1", "3.7", "3.9", "4.3", "4.11", "5.3", "6.1", "6.2", "7.1",
    ];
    let within = |number: &str| {
        fundamental
            .iter()
            .any(|f| number == *f || number.starts_with(&format!("{f}.")))
    };
    let all = clauses(&tree);
    for clause in &all {
        let number = clause["number"].as_str().unwrap();
        assert_eq!(clause["fundamental"], within(number), "{number}");
        assert_eq!(clause["ko"], false, "{number}");
    }
    for probe in [
        "1.1.1", "2.7.1", "3.4.1", "3.5.1.1", "3.9.1", "4.11.1", "5.3.1", "7.1.1",
    ] {
        assert!(
            all.iter().any(|c| c["number"] == probe),
            "BRCGS lacks {probe}"
        );
    }
    assert!(
        all.iter()
            .any(|c| c["number"] == "3.5.2.1" && c["fundamental"] == false)
    );
}

async fn ids_are_identical_across_fresh_databases(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn(backend).await;
    let (k1, k2) = (first.full_key().await, second.full_key().await);
    for code in ["BRCGS", "IFS-FOOD", "ISO9001"] {
        let path = format!("/api/v1/standards/{code}/clauses");
        let (a, b) = (
            get_json(&first, &k1, &path).await,
            get_json(&second, &k2, &path).await,
        );
        assert_eq!(a, b, "{code}: trees and ids differ between databases");
    }
    // Pinned: the id of a standard never changes between releases.
    let iso = get_json(&first, &k1, "/api/v1/standards?code=ISO9001").await;
    assert_eq!(
        iso[0]["id"],
        myqa_core::standard::standard_id("ISO9001").to_string()
    );
    assert_eq!(iso[0]["id"], "c7838a73-9fda-55f3-9452-ddda0915e7b6");
}

async fn codes_ids_and_filters_resolve(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let iso = get_json(&app, &key, "/api/v1/standards/ISO9001").await;
    let id = iso["id"].as_str().unwrap().to_owned();
    for spelling in ["ISO%209001", "iso9001", "ISO9001", "iso-9001", id.as_str()] {
        let tree = get_json(&app, &key, &format!("/api/v1/standards/{spelling}/clauses")).await;
        assert_eq!(tree["standard"]["id"], id, "{spelling}");
    }
    for filter in ["ISO%209001", "iso9001", "ISO9001"] {
        let list = get_json(&app, &key, &format!("/api/v1/standards?code={filter}")).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{filter}");
        assert_eq!(list[0]["id"], id);
    }
    let list = get_json(&app, &key, "/api/v1/standards?code=NOPE").await;
    assert_eq!(list, serde_json::json!([]));

    let chapter = get_json(&app, &key, "/api/v1/standards/iso9001/clauses?chapter=7").await;
    assert_eq!(chapter["chapters"].as_array().unwrap().len(), 1);
    assert_eq!(chapter["chapters"][0]["number"], "7");
    let chapter_id = chapter["chapters"][0]["id"].as_str().unwrap().to_owned();
    let by_id = get_json(
        &app,
        &key,
        &format!("/api/v1/standards/iso9001/clauses?chapter={chapter_id}"),
    )
    .await;
    assert_eq!(by_id, chapter);

    let body = assert_error(
        app.get("/api/v1/standards/iso9001/clauses?chapter=42", Some(&key))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("42"),
        "{body}"
    );
    let body = assert_error(
        app.get("/api/v1/standards/ISO14001/clauses", Some(&key))
            .await,
        404,
        "STANDARD_NOT_FOUND",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ISO14001"),
        "{body}"
    );
    assert_error(
        app.get("/api/v1/standards/ISO14001", Some(&key)).await,
        404,
        "STANDARD_NOT_FOUND",
    )
    .await;
    let body = assert_error(
        app.get("/api/v1/standards?cod=ISO9001", Some(&key)).await,
        400,
        "INVALID_INPUT",
    )
    .await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("cod"),
        "{body}"
    );
}

async fn import_replaces_a_standard_and_survives_restarts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let (_, shipped) = myqa_core::standard::SHIPPED_DOCUMENTS
        .iter()
        .find(|(f, _)| *f == "iso9001.json")
        .unwrap();
    let mut document: Value = serde_json::from_str(shipped).unwrap();
    let licensed = "Full licensed text of 4.1, as an operator would import it.";
    document["chapters"][0]["sections"][0]["clauses"][0]["requirement"] = Value::from(licensed);
    let file = app.dir.path().join("iso-full.json");
    std::fs::write(&file, document.to_string()).unwrap();

    let report = app
        .cli_json(&["admin", "standards", "import", file.to_str().unwrap()])
        .await;
    assert_eq!(report["outcome"], "updated");
    assert_eq!(report["code"], "ISO9001");

    // The running server reloads its catalogue.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let tree = get_json(&app, &key, "/api/v1/standards/ISO9001/clauses?chapter=4").await;
        if tree["chapters"][0]["sections"][0]["clauses"][0]["requirement"] == licensed {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "catalogue never reloaded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A restart does not put the shipped summary back over the import, and
    // installing shipped data twice changes nothing.
    for standard in myqa_core::standard::shipped() {
        let outcome = app.store.install_shipped_standard(&standard).await.unwrap();
        let expected = if standard.code == "ISO9001" {
            InstallOutcome::KeptImported
        } else {
            InstallOutcome::Unchanged
        };
        assert_eq!(outcome, expected, "{}", standard.code);
    }
    let again = app
        .cli_json(&["admin", "standards", "import", file.to_str().unwrap()])
        .await;
    assert_eq!(again["outcome"], "unchanged");
}

async fn import_errors_name_the_bad_entry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, shipped) = myqa_core::standard::SHIPPED_DOCUMENTS
        .iter()
        .find(|(f, _)| *f == "ifs-food.json")
        .unwrap();
    let mut document: Value = serde_json::from_str(shipped).unwrap();
    document["chapters"][1]["sections"][0]["clauses"][2]["number"] = Value::from("9.9.9");
    let file = app.dir.path().join("broken.json");
    std::fs::write(&file, document.to_string()).unwrap();
    let output = app
        .cli()
        .args(["admin", "standards", "import", file.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("chapters[1].sections[0].clauses[2] (9.9.9)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("must be `2.1` or start with `2.1.`"),
        "{stderr}"
    );
}

on_both_backends!(
    every_standard_counts_its_clauses,
    iso_9001_holds_its_numbered_requirements,
    ifs_food_flags_exactly_its_ko_requirements,
    brcgs_flags_its_fundamental_requirements,
    ids_are_identical_across_fresh_databases,
    codes_ids_and_filters_resolve,
    import_replaces_a_standard_and_survives_restarts,
    import_errors_name_the_bad_entry,
);
