//! The grader end to end on the shipped standards: relevance, scope,
//! polarity from words and from data, the schemes' rules, languages, images,
//! token usage.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use myqa_core::capture::Language;
use myqa_core::snapreport::{EvidenceKind, RawSuggestion, validate_suggestions};
use myqa_core::standard::{Standard, shipped};
use serde_json::{Value, json};

use crate::local::LocalEngine;
use crate::{EvidenceContent, EvidenceItem, GradingAnalysis, GradingInput, PreparedImage};

fn engine() -> &'static LocalEngine {
    static ENGINE: OnceLock<LocalEngine> = OnceLock::new();
    ENGINE.get_or_init(LocalEngine::new)
}

fn standard(code: &str) -> Arc<Standard> {
    Arc::new(shipped().into_iter().find(|s| s.code == code).unwrap())
}

fn text(index: usize, text: &str) -> EvidenceItem {
    EvidenceItem {
        index,
        kind: EvidenceKind::Text,
        name: None,
        content: EvidenceContent::Text(text.to_owned()),
    }
}

fn structured(index: usize, value: Value) -> EvidenceItem {
    EvidenceItem {
        index,
        kind: EvidenceKind::Structured,
        name: None,
        content: EvidenceContent::Structured(value),
    }
}

fn grade(
    standard: &Arc<Standard>,
    language: Language,
    evidence: Vec<EvidenceItem>,
) -> GradingAnalysis {
    engine().grade_evidence(&GradingInput {
        standard: standard.clone(),
        processes: Vec::new(),
        language,
        evidence,
    })
}

fn in_section<'a>(suggestions: &'a [RawSuggestion], section: &str) -> Vec<&'a RawSuggestion> {
    suggestions
        .iter()
        .filter(|s| s.clause == section || s.clause.starts_with(&format!("{section}.")))
        .collect()
}

const SMALL_TALK: &str = "Auditor: The traffic on the motorway was awful this morning.\n\
    Manager: Sorry about that. Coffee before we start?\n\
    Auditor: Yes please, and where is the car park for visitors?";

fn calibration_register() -> Value {
    json!({
        "record": "Calibration register - measuring equipment",
        "audit_date": "2024-03-12",
        "instruments": [
            {"id": "DC-03", "description": "Digital caliper", "next_due": "2024-09-04", "status": "in date"},
            {"id": "DC-07", "description": "Digital caliper", "next_due": "2024-01-15", "status": "in use"}
        ]
    })
}

const INTERNAL_AUDITS: &str = "The internal audit programme covers every process of the quality \
    management system once a year; auditors are trained and never audit their own area. The 2024 \
    audit plan was approved by top management and all audits so far were completed on schedule.";

#[test]
fn evidence_is_graded_on_the_clauses_it_addresses_and_small_talk_is_ignored() {
    let iso = standard("ISO9001");
    let analysis = grade(
        &iso,
        Language::En,
        vec![
            structured(0, calibration_register()),
            text(1, SMALL_TALK),
            text(2, INTERNAL_AUDITS),
        ],
    );
    let calibration = in_section(&analysis.suggestions, "7.1.5");
    assert!(!calibration.is_empty(), "{:#?}", analysis.suggestions);
    // The register's words say "in date"; its data says DC-07 is overdue.
    assert!(
        matches!(calibration[0].grade.as_str(), "MINOR_NC" | "MAJOR_NC"),
        "{:#?}",
        calibration[0]
    );
    assert_eq!(calibration[0].evidence_refs, [0]);
    assert!(
        calibration[0].comment.contains("2024-01-15"),
        "{}",
        calibration[0].comment
    );
    assert!(
        calibration[0].reasoning.contains("7.1.5"),
        "{}",
        calibration[0].reasoning
    );

    let audits = in_section(&analysis.suggestions, "9.2");
    assert!(!audits.is_empty(), "{:#?}", analysis.suggestions);
    assert!(
        matches!(audits[0].grade.as_str(), "CONFORM" | "OFI"),
        "{:#?}",
        audits[0]
    );
    assert_eq!(audits[0].evidence_refs, [2]);

    // Small talk grades nothing and is reported, with why.
    assert!(
        analysis
            .suggestions
            .iter()
            .all(|s| !s.evidence_refs.contains(&1))
    );
    assert_eq!(analysis.ignored.len(), 1, "{:?}", analysis.ignored);
    assert_eq!(analysis.ignored[0].0, 1);
    assert!(
        analysis.ignored[0].1.contains("no requirement"),
        "{:?}",
        analysis.ignored
    );

    // A few suggestions, not a list of every clause; all valid as they come.
    assert!(
        analysis.suggestions.len() <= 4,
        "{:#?}",
        analysis.suggestions
    );
    let (valid, dropped) = validate_suggestions(analysis.suggestions.clone(), &iso, &[], 3);
    assert_eq!((valid.len(), dropped), (analysis.suggestions.len(), 0));
    for s in &analysis.suggestions {
        assert!((0.0..=1.0).contains(&s.confidence));
    }
    assert!(analysis.token_usage.input_tokens > 50 && analysis.token_usage.output_tokens > 20);
    assert_eq!(analysis.model, "local-1");
}

#[test]
fn processes_limit_the_clauses_graded() {
    let iso = standard("ISO9001");
    let chapter_9 = iso.chapters.iter().find(|c| c.number == "9").unwrap().id;
    let analysis = engine().grade_evidence(&GradingInput {
        standard: iso.clone(),
        processes: vec![chapter_9],
        language: Language::En,
        evidence: vec![
            structured(0, calibration_register()),
            text(1, INTERNAL_AUDITS),
        ],
    });
    assert!(!analysis.suggestions.is_empty());
    assert!(
        analysis
            .suggestions
            .iter()
            .all(|s| s.clause.starts_with("9.")),
        "{:#?}",
        analysis.suggestions
    );
}

#[test]
fn a_failed_ko_requirement_is_graded_ko_never_c() {
    let ifs = standard("IFS-FOOD");
    let log = json!({
        "record": "CCP 2 monitoring - cooking core temperature",
        "critical_limit": "core temperature >= 72 C",
        "entries": [
            {"time": "06:00", "core_temp_C": 75.1, "corrective_action": ""},
            {"time": "06:30", "core_temp_C": 68.2, "corrective_action": ""}
        ],
        "verified_by": ""
    });
    let analysis = grade(&ifs, Language::En, vec![structured(0, log)]);
    let ccp = in_section(&analysis.suggestions, "2.3.9");
    assert!(!ccp.is_empty(), "{:#?}", analysis.suggestions);
    for suggestion in &analysis.suggestions {
        let clause = ifs
            .clauses()
            .find(|c| c.number == suggestion.clause)
            .unwrap();
        assert!(!(clause.ko && suggestion.grade == "C"), "{suggestion:#?}");
        assert!(
            !matches!(suggestion.grade.as_str(), "A" | "B"),
            "{suggestion:#?}"
        );
        if clause.ko {
            assert_eq!(suggestion.grade, "KO", "{suggestion:#?}");
        }
    }
    assert!(ccp[0].comment.contains("68.2"), "{}", ccp[0].comment);
}

#[test]
fn comments_and_notes_follow_the_requested_language() {
    let brc = standard("BRCGS");
    let german = "Schädlingsbekämpfung: Im Rohwarenlager wurden Nagerspuren an drei Köderstationen \
        gefunden. Die Empfehlungen des Dienstleisters sind offen, keine Verantwortlichen, kein Termin.";
    let analysis = grade(
        &brc,
        Language::De,
        vec![
            text(0, german),
            text(
                1,
                "Wir treffen uns um 12 Uhr in der Kantine zum Mittagessen.",
            ),
        ],
    );
    let pests = in_section(&analysis.suggestions, "4.14");
    assert!(!pests.is_empty(), "{:#?}", analysis.suggestions);
    assert!(
        matches!(pests[0].grade.as_str(), "MINOR" | "MAJOR"),
        "{:#?}",
        pests[0]
    );
    assert!(
        pests[0].comment.starts_with("Nachweis 1 zeigt"),
        "{}",
        pests[0].comment
    );
    assert!(
        pests[0].reasoning.contains("Bewertung"),
        "{}",
        pests[0].reasoning
    );
    assert!(
        analysis
            .ignored
            .iter()
            .any(|(i, why)| *i == 1 && why.contains("Anforderung")),
        "{:?}",
        analysis.ignored
    );

    let french = "Lutte contre les nuisibles : le prestataire passe chaque mois, le plan des appâts est \
        à jour et toutes les recommandations sont clôturées.";
    let analysis = grade(&brc, Language::Fr, vec![text(0, french)]);
    let pests = in_section(&analysis.suggestions, "4.14");
    assert!(!pests.is_empty(), "{:#?}", analysis.suggestions);
    assert_eq!(pests[0].grade, "CONFORM", "{:#?}", pests[0]);
    assert!(
        pests[0].comment.starts_with("La preuve 1 montre"),
        "{}",
        pests[0].comment
    );
}

#[test]
fn images_are_ignored_with_a_note_in_the_language() {
    let image = EvidenceItem {
        index: 0,
        kind: EvidenceKind::Image,
        name: Some("fridge.jpg".into()),
        content: EvidenceContent::Image(PreparedImage {
            jpeg: Bytes::from_static(b"\xff\xd8"),
            width: 1,
            height: 1,
            captured_at: None,
        }),
    };
    let analysis = grade(&standard("IFS-FOOD"), Language::Fr, vec![image]);
    assert!(analysis.suggestions.is_empty());
    assert_eq!(analysis.ignored.len(), 1);
    assert!(
        analysis.ignored[0].1.contains("images"),
        "{:?}",
        analysis.ignored
    );
    assert!(
        analysis.ignored[0].1.starts_with("Le moteur local"),
        "{:?}",
        analysis.ignored
    );
}

#[test]
fn grading_is_deterministic() {
    let iso = standard("ISO9001");
    let evidence = || {
        vec![
            structured(0, calibration_register()),
            text(1, INTERNAL_AUDITS),
        ]
    };
    assert_eq!(
        grade(&iso, Language::En, evidence()),
        grade(&iso, Language::En, evidence())
    );
}
