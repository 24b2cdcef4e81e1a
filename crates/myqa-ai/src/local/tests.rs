//! The engine end to end: observations, speakers, merging, timing, summary,
//! language, token usage, determinism.

use std::sync::OnceLock;

use myqa_core::capture::{Category, Language, SessionType};

use super::LocalEngine;
use crate::{Analyzer, CaptureAnalysis, CaptureInput, TimedSegment};

/// Building the engine loads the tokenizer: once for all tests.
fn engine() -> &'static LocalEngine {
    static ENGINE: OnceLock<LocalEngine> = OnceLock::new();
    ENGINE.get_or_init(LocalEngine::new)
}

fn input(session_type: SessionType, transcript: &str) -> CaptureInput {
    CaptureInput {
        transcript: transcript.to_owned(),
        segments: Vec::new(),
        session_type,
        language: None,
    }
}

fn analyze(session_type: SessionType, transcript: &str) -> CaptureAnalysis {
    engine().analyze_capture(&input(session_type, transcript))
}

/// (category, content) of each observation.
fn found(analysis: &CaptureAnalysis) -> Vec<(Category, &str)> {
    analysis
        .observations
        .iter()
        .map(|o| (o.category, o.content.as_str()))
        .collect()
}

/// Whether some observation of `category` contains `text`.
fn has(analysis: &CaptureAnalysis, category: Category, text: &str) -> bool {
    analysis
        .observations
        .iter()
        .any(|o| o.category == category && o.content.contains(text))
}

const AUDIT_EN: &str = "\
Auditor: Morning, everyone. Thanks for having me. Shall we start in the bakery?
QA Manager: Sounds good. Do you want a coffee first?
Auditor: Mind the hose there. Okay... scrolling through... Every delivery this week has a temperature and a signature recorded.
Auditor: The sieve check for Tuesday is blank, and there's no note explaining why.
QA Manager: That was the day the engineer came in.
Auditor: Please send me the completed sieve record by Friday.
Auditor: The knives are stored on the same rack as the scrapers, so it might be worth giving them their own labelled hook.
Auditor: The cleaning manager is on leave today, so the cleaning section will be covered on a call next week.
Auditor: Great. Let's go back to the office before lunch.";

const AUDIT_DE: &str = "\
Prüferin: Guten Morgen zusammen. Möchten Sie einen Kaffee?
Qualitätsleiter: Gern, danke.
Prüferin: Die Wareneingangsprotokolle sind vollständig ausgefüllt und jede Lieferung ist mit Temperatur und Unterschrift dokumentiert.
Prüferin: Für das Thermometer Nummer drei fehlt der Kalibriernachweis für April und Mai.
Prüferin: Bitte schicken Sie mir bis Freitag den Nachweis für das Thermometer.
Prüferin: Es wäre sinnvoll, die Kennzeichnung direkt auf die Behälter zu gravieren, damit sie nicht verloren geht.
Prüferin: Zur Info: Der Bereich Verpackung wird morgen geprüft, weil die Linie heute stillsteht.
Prüferin: Gut, dann machen wir jetzt eine kurze Pause.";

const MEETING_DE: &str = "\
Leiterin QM: Hallo zusammen, hat jemand den Beamer zum Laufen gebracht?
Technologe: Im Mai hatten wir sechs Reklamationen, im April waren es noch vierzehn, das ist ein deutlicher Rückgang.
Leiterin QM: Wenn sich der Befund bestätigt, könnten auch die Produkte der letzten Woche betroffen sein.
Leiterin QM: Wir machen ab sofort zweimal pro Woche Umgebungsproben in Raum zwei.
Leiterin QM: Jan, kannst du bis Mittwoch den Reinigungsplan für den Abfluss überarbeiten?
Jan: Ja, mache ich.
Technologe: Weiß jemand, ob der neue Kundenstandard auch Produktproben verlangt?
Leiterin QM: Das weiß ich nicht, ich frage beim Kunden nach.
Leiterin QM: Nur zur Info, ich bin nächste Woche im Urlaub, Jan leitet dann die Runde.
Jan: Alles klar, bis nächste Woche.";

const MEETING_EN: &str = "\
QA Manager: Okay, let's make a start. Did anyone get the coffee machine fixed, by the way?
Technical Coordinator: Customer complaints are down to four this month, compared with eleven in March.
QA Manager: If the drain swab confirms positive, we could have a harbourage point in the mince room.
QA Manager: We'll move environmental swabbing to Tuesday mornings so results are back before dispatch.
QA Manager: Priya, can you rewrite the drain cleaning SOP and circulate it by Friday?
Technical Coordinator: Does anyone know whether the new code requires testing on finished product as well?
QA Manager: I genuinely don't know. I'll email the retailer's technologist and ask her directly.
QA Manager: Perfect. Thanks all, see you next week.";

#[test]
fn english_audit_findings_by_category() {
    let analysis = analyze(SessionType::Audit, AUDIT_EN);
    assert!(
        has(
            &analysis,
            Category::PositiveFinding,
            "Every delivery this week"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::Nonconformity,
            "sieve check for Tuesday is blank"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::ActionItem, "Please send me"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::OpportunityForImprovement,
            "might be worth"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::GeneralNote, "on leave today"),
        "{:#?}",
        found(&analysis)
    );
    assert_eq!(analysis.observations.len(), 5, "{:#?}", found(&analysis));
    assert_eq!(analysis.language, Language::En);
    assert_eq!(analysis.model, "local-1");
}

#[test]
fn german_audit() {
    let analysis = analyze(SessionType::Audit, AUDIT_DE);
    assert_eq!(analysis.language, Language::De);
    assert!(
        has(
            &analysis,
            Category::PositiveFinding,
            "vollständig ausgefüllt"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::Nonconformity,
            "fehlt der Kalibriernachweis"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::ActionItem, "Bitte schicken Sie mir"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::OpportunityForImprovement,
            "Es wäre sinnvoll"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::GeneralNote, "wird morgen geprüft"),
        "{:#?}",
        found(&analysis)
    );
    assert_eq!(analysis.observations.len(), 5, "{:#?}", found(&analysis));
}

#[test]
fn german_meeting() {
    let analysis = analyze(SessionType::Meeting, MEETING_DE);
    assert_eq!(analysis.language, Language::De);
    assert!(
        has(&analysis, Category::KeyPoint, "sechs Reklamationen"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::Risk, "könnten auch die Produkte"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::Decision, "Wir machen ab sofort"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::ActionItem, "kannst du bis Mittwoch"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::Question, "Weiß jemand"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::ActionItem,
            "ich frage beim Kunden nach"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::GeneralNote, "im Urlaub"),
        "{:#?}",
        found(&analysis)
    );
}

#[test]
fn english_meeting() {
    let analysis = analyze(SessionType::Meeting, MEETING_EN);
    assert!(
        has(&analysis, Category::KeyPoint, "down to four"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::Risk,
            "we could have a harbourage point"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(
            &analysis,
            Category::Decision,
            "We'll move environmental swabbing"
        ),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::ActionItem, "can you rewrite"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::Question, "Does anyone know"),
        "{:#?}",
        found(&analysis)
    );
    assert!(
        has(&analysis, Category::ActionItem, "I'll email"),
        "{:#?}",
        found(&analysis)
    );
}

#[test]
fn small_talk_and_logistics_give_no_observation() {
    let analysis = analyze(
        SessionType::Audit,
        "Auditor: Good morning, everyone. Thanks for having me.\nQA Manager: Do you want a coffee first?\n\
         Auditor: Mind the hose there. Let's go to the office, it's nearly lunch.\nQA Manager: Sorry, no problem.",
    );
    assert_eq!(found(&analysis), []);
    assert!(!analysis.summary.is_empty());
    let analysis = analyze(
        SessionType::Meeting,
        "Hi all, can you hear me? Let's make a start. Thanks, see you next week.",
    );
    assert_eq!(found(&analysis), []);
}

#[test]
fn categories_are_valid_for_the_session_type() {
    for transcript in [AUDIT_EN, AUDIT_DE, MEETING_DE, MEETING_EN] {
        for session in [SessionType::Audit, SessionType::Meeting] {
            let analysis = analyze(session, transcript);
            for observation in &analysis.observations {
                assert!(
                    session.categories().contains(&observation.category),
                    "{:?} in a {session:?}: {observation:?}",
                    observation.category
                );
            }
        }
    }
}

#[test]
fn speakers_and_display_order() {
    let analysis = analyze(SessionType::Audit, AUDIT_EN);
    for (n, observation) in analysis.observations.iter().enumerate() {
        assert_eq!(observation.display_order as usize, n + 1);
        assert_eq!(observation.speaker.as_deref(), Some("Auditor"));
        assert!(!observation.content.starts_with("Auditor"));
        assert_eq!((observation.start_ms, observation.end_ms), (None, None));
    }
    let french = analyze(
        SessionType::Audit,
        "Auditrice : La fiche de nettoyage de la trancheuse s'arrête vendredi dernier, alors qu'elle a servi toute la semaine.\n\
         Responsable qualité : Oui.",
    );
    assert_eq!(french.observations[0].speaker.as_deref(), Some("Auditrice"));
    assert_eq!(french.language, Language::Fr);
}

#[test]
fn a_finding_and_its_explanation_merge_but_two_findings_do_not() {
    let analysis = analyze(
        SessionType::Audit,
        "Auditor: The calibration certificate for the probe has expired. It went back to the lab in March and nobody chased it up.\n\
         Auditor: The pest control contract has expired. The fly killer log is missing for May.",
    );
    let contents: Vec<&str> = analysis
        .observations
        .iter()
        .map(|o| o.content.as_str())
        .collect();
    assert_eq!(
        contents,
        [
            "The calibration certificate for the probe has expired. It went back to the lab in March and nobody chased it up.",
            "The pest control contract has expired.",
            "The fly killer log is missing for May.",
        ],
        "{:#?}",
        found(&analysis)
    );
    assert!(
        analysis
            .observations
            .iter()
            .all(|o| o.category == Category::Nonconformity)
    );
}

#[test]
fn timestamps_come_from_the_segments_the_text_spans() {
    let segments = vec![
        TimedSegment {
            start_ms: 0,
            end_ms: 2000,
            text: "Good morning everyone.".into(),
        },
        TimedSegment {
            start_ms: 2000,
            end_ms: 5000,
            text: "The sieve check for Tuesday".into(),
        },
        TimedSegment {
            start_ms: 5000,
            end_ms: 7000,
            text: "is blank and there's no note explaining why.".into(),
        },
        TimedSegment {
            start_ms: 7000,
            end_ms: 9500,
            text: "Please send me the sieve record by Friday.".into(),
        },
    ];
    let transcript = segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let input = CaptureInput {
        transcript,
        segments,
        session_type: SessionType::Audit,
        language: Some(Language::En),
    };
    let analysis = engine().analyze_capture(&input);
    let times: Vec<(Category, Option<u64>, Option<u64>)> = analysis
        .observations
        .iter()
        .map(|o| (o.category, o.start_ms, o.end_ms))
        .collect();
    assert_eq!(
        times,
        [
            (Category::Nonconformity, Some(2000), Some(7000)),
            (Category::ActionItem, Some(7000), Some(9500)),
        ]
    );
}

#[test]
fn the_requested_language_wins_and_detection_fills_in() {
    let mut request = input(SessionType::Audit, AUDIT_EN);
    assert_eq!(engine().analyze_capture(&request).language, Language::En);
    request.language = Some(Language::Fr);
    assert_eq!(engine().analyze_capture(&request).language, Language::Fr);
    assert_eq!(
        analyze(SessionType::Meeting, MEETING_DE).language,
        Language::De
    );
}

#[test]
fn summary_is_extractive_and_never_empty() {
    let analysis = analyze(SessionType::Audit, AUDIT_EN);
    let sentences = analysis.summary.matches(". ").count() + 1;
    assert!((3..=5).contains(&sentences), "{}", analysis.summary);
    assert!(!analysis.summary.contains("Auditor:"));
    assert!(
        analysis
            .summary
            .contains("The sieve check for Tuesday is blank")
    );
    for transcript in ["Okay.", "Hmm…", "???", "Auditor: Right."] {
        assert!(
            !analyze(SessionType::Audit, transcript).summary.is_empty(),
            "{transcript:?}"
        );
    }
}

#[test]
fn token_usage_is_counted_with_cl100k_base() {
    let analysis = analyze(SessionType::Audit, AUDIT_EN);
    let bpe = tiktoken_rs::cl100k_base().unwrap();
    let count = |text: &str| bpe.encode_ordinary(text).len() as u64;
    assert_eq!(analysis.token_usage.input_tokens, count(AUDIT_EN));
    let output: u64 = count(&analysis.summary)
        + analysis
            .observations
            .iter()
            .map(|o| count(&o.content))
            .sum::<u64>();
    assert_eq!(analysis.token_usage.output_tokens, output);
    assert!(analysis.token_usage.input_tokens > 0 && analysis.token_usage.output_tokens > 0);
}

#[test]
fn deterministic_across_runs_and_engines() {
    for (session, transcript) in [
        (SessionType::Audit, AUDIT_EN),
        (SessionType::Meeting, MEETING_DE),
    ] {
        let first = analyze(session, transcript);
        assert_eq!(first, analyze(session, transcript));
        assert_eq!(
            first,
            LocalEngine::new().analyze_capture(&input(session, transcript))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_analyzer_interface_gives_the_same_result() {
    fn shareable<T: Send + Sync>() {}
    shareable::<LocalEngine>();
    let request = input(SessionType::Meeting, MEETING_EN);
    let analyzer: &dyn Analyzer = &super::LocalAnalyzer::new();
    let via_trait = analyzer.analyze_capture(&request).await;
    assert_eq!(via_trait, Ok(engine().analyze_capture(&request)));
}

#[test]
fn blank_and_label_only_transcripts_do_not_panic() {
    for transcript in ["", "   ", "Auditor:", "QA Manager: \nAuditor:", "…", "a"] {
        let analysis = analyze(SessionType::Audit, transcript);
        assert!(analysis.observations.is_empty(), "{transcript:?}");
    }
}
