//! SnapReport (SPEC §6): evidence in, per-clause grading suggestions out.
//!
//! Whatever produced them (the local engine, a language model), suggestions
//! pass through [`validate_suggestions`]: clause ids must exist and lie in
//! scope, grades must belong to the scheme and obey its rules, references must
//! point at real evidence. Invalid items are repaired or dropped here, never
//! passed to the client.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::capture::{Language, TokenUsage};
use crate::standard::{Chapter, Clause, GradingScheme, Standard};

/// At most this many files per request (SPEC §6).
pub const MAX_FILES: usize = 20;
/// At most this many evidence items in all: `evidence` entries, `notes` and files.
pub const MAX_EVIDENCE_ITEMS: usize = 200;

/// What an evidence item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Free text (an `evidence` item, a text/Markdown/CSV file).
    Text,
    Transcript,
    /// Any JSON value: a temperature log, a checklist…
    Structured,
    /// One of the request's `notes`.
    Note,
    /// A recording, used through its transcript.
    Audio,
    Image,
    Pdf,
}

/// Whether an item informed the grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceStatus {
    Used,
    /// Understood, but not usable by this engine (an image for a model without vision).
    Ignored,
    /// Nothing could be read from it (a PDF without text, silence).
    Unreadable,
}

/// A file kind, decided by bytes, with its per-file limit (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Audio,
    Image,
    Pdf,
    Text,
    Json,
}

impl FileKind {
    pub fn limit_bytes(self) -> u64 {
        const MIB: u64 = 1024 * 1024;
        match self {
            FileKind::Audio => crate::capture::MAX_AUDIO_BYTES,
            FileKind::Image => 20 * MIB,
            FileKind::Pdf => 50 * MIB,
            FileKind::Text | FileKind::Json => 10 * MIB,
        }
    }

    pub fn limit_label(self) -> &'static str {
        match self {
            FileKind::Audio => "2 GiB",
            FileKind::Image => "20 MiB",
            FileKind::Pdf => "50 MiB",
            FileKind::Text | FileKind::Json => "10 MiB",
        }
    }

    /// How the item is reported in the response's `evidence` list.
    pub fn evidence_kind(self) -> EvidenceKind {
        match self {
            FileKind::Audio => EvidenceKind::Audio,
            FileKind::Image => EvidenceKind::Image,
            FileKind::Pdf => EvidenceKind::Pdf,
            FileKind::Text => EvidenceKind::Text,
            FileKind::Json => EvidenceKind::Structured,
        }
    }
}

/// An evidence item as the job carries it to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum EvidenceInput {
    /// Sent inline: `text`, `transcript` (string content) or `structured`.
    Inline {
        kind: EvidenceKind,
        content: serde_json::Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Uploaded: kept in the blob store until the job ends.
    File {
        kind: FileKind,
        blob: String,
        /// The field's file name, else the field name.
        name: String,
        /// The type its bytes declare.
        mime: String,
        size_bytes: u64,
    },
}

/// A validated SnapReport request, as a job carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapJob {
    pub standard_id: Uuid,
    /// Chapter ids in scope; empty: every chapter.
    pub processes: Vec<Uuid>,
    pub language: Language,
    /// In the order the response's `evidence` list reports them.
    pub evidence: Vec<EvidenceInput>,
}

/// A suggestion as a provider returns it, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawSuggestion {
    /// The clause's id, or its number (`2.3.9.1`).
    pub clause: String,
    pub grade: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub reasoning: String,
    #[serde(default)]
    pub evidence_refs: Vec<i64>,
    #[serde(default)]
    pub confidence: f64,
}

/// One grading suggestion (SPEC §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub clause_id: Uuid,
    pub clause_number: String,
    pub clause_title: String,
    pub chapter_id: Uuid,
    /// A grade of the standard's scheme.
    pub grade: String,
    pub comment: String,
    pub reasoning: String,
    /// Indexes into the response's `evidence` list.
    pub evidence_refs: Vec<usize>,
    /// 0 to 1.
    pub confidence: f64,
}

/// An evidence item as the response reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceReport {
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: EvidenceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    pub status: EvidenceStatus,
    /// Why the item was not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The standard a report grades against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StandardRef {
    pub id: Uuid,
    pub code: String,
    pub version: String,
    pub grading_scheme: GradingScheme,
}

/// The `data` of a SnapReport response and of a completed job (SPEC §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SnapResult {
    pub standard: StandardRef,
    pub language: Language,
    pub suggestions: Vec<Suggestion>,
    pub evidence: Vec<EvidenceReport>,
    pub processing_time_ms: u64,
    pub token_usage: TokenUsage,
    pub model: String,
    pub coins_charged: i64,
}

impl GradingScheme {
    /// The grade a suggestion may carry on `clause`, or `None` to drop it.
    /// Unknown grades are dropped. IFS: on a KO requirement `C` is not allowed
    /// and a failure is `KO` (so `C`, `D` and `MAJOR` become `KO`); `KO` on a
    /// requirement that is not KO becomes `MAJOR`, the gravest grade there.
    pub fn admit(self, grade: &str, clause: &Clause) -> Option<&'static str> {
        let grade = grade.trim().to_ascii_uppercase().replace([' ', '-'], "_");
        let known = self.grades().iter().find(|g| g.code == grade)?.code;
        if self != GradingScheme::Ifs {
            return Some(known);
        }
        Some(match (known, clause.ko) {
            ("C" | "D" | "MAJOR", true) => "KO",
            ("KO", false) => "MAJOR",
            (other, _) => other,
        })
    }
}

/// The chapters a request covers: `processes`, or all of them.
pub fn chapters_in_scope<'s>(standard: &'s Standard, processes: &[Uuid]) -> Vec<&'s Chapter> {
    standard
        .chapters
        .iter()
        .filter(|c| processes.is_empty() || processes.contains(&c.id))
        .collect()
}

/// Turns provider output into suggestions the client may see: each clause
/// must exist in the scope (by id or number), each grade be admitted by the
/// scheme, references must index real evidence, confidence lies in 0–1, and a
/// clause is graded once (the first, most relevant, suggestion wins). Returns
/// the suggestions and how many raw items were dropped.
pub fn validate_suggestions(
    raw: Vec<RawSuggestion>,
    standard: &Standard,
    processes: &[Uuid],
    evidence_count: usize,
) -> (Vec<Suggestion>, usize) {
    let scope = chapters_in_scope(standard, processes);
    let mut graded = HashSet::new();
    let mut suggestions = Vec::new();
    let mut dropped = 0;
    for item in raw {
        let wanted = item.clause.trim();
        let found = scope.iter().find_map(|chapter| {
            chapter
                .sections
                .iter()
                .flat_map(|s| s.clauses.iter())
                .find(|c| c.number == wanted || Uuid::parse_str(wanted).is_ok_and(|id| id == c.id))
                .map(|clause| (*chapter, clause))
        });
        let Some((chapter, clause)) = found else {
            dropped += 1;
            continue;
        };
        let Some(grade) = standard.grading_scheme.admit(&item.grade, clause) else {
            dropped += 1;
            continue;
        };
        if !graded.insert(clause.id) {
            dropped += 1;
            continue;
        }
        let mut evidence_refs: Vec<usize> = item
            .evidence_refs
            .iter()
            .filter_map(|r| usize::try_from(*r).ok())
            .filter(|r| *r < evidence_count)
            .collect();
        evidence_refs.sort_unstable();
        evidence_refs.dedup();
        let confidence = if item.confidence.is_finite() {
            item.confidence.clamp(0.0, 1.0)
        } else {
            0.0
        };
        suggestions.push(Suggestion {
            clause_id: clause.id,
            clause_number: clause.number.clone(),
            clause_title: clause.title.clone(),
            chapter_id: chapter.id,
            grade: grade.to_owned(),
            comment: item.comment.trim().to_owned(),
            reasoning: item.reasoning.trim().to_owned(),
            evidence_refs,
            confidence: (confidence * 100.0).round() / 100.0,
        });
    }
    (suggestions, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::shipped;

    fn standard(code: &str) -> Standard {
        shipped().into_iter().find(|s| s.code == code).unwrap()
    }

    fn raw(clause: &str, grade: &str, refs: &[i64]) -> RawSuggestion {
        RawSuggestion {
            clause: clause.into(),
            grade: grade.into(),
            comment: "c".into(),
            reasoning: "r".into(),
            evidence_refs: refs.to_vec(),
            confidence: 0.7,
        }
    }

    #[test]
    fn ko_requirements_never_get_c_and_failures_become_ko() {
        let ifs = standard("IFS-FOOD");
        let (ok, dropped) = validate_suggestions(
            vec![
                raw("2.3.9.1", "C", &[0]),   // KO requirement: C is a failure → KO
                raw("1.2.1", "major", &[0]), // KO requirement: MAJOR → KO
                raw("2.3.1.1", "KO", &[0]),  // not a KO requirement → MAJOR
                raw("4.18.1", "B", &[0]),
            ],
            &ifs,
            &[],
            1,
        );
        assert_eq!(dropped, 0);
        let grades: Vec<(&str, &str)> = ok
            .iter()
            .map(|s| (s.clause_number.as_str(), s.grade.as_str()))
            .collect();
        assert_eq!(
            grades,
            [
                ("2.3.9.1", "KO"),
                ("1.2.1", "KO"),
                ("2.3.1.1", "MAJOR"),
                ("4.18.1", "B")
            ]
        );
    }

    #[test]
    fn invalid_clauses_grades_scope_and_references_never_pass() {
        let iso = standard("ISO9001");
        let chapter_7 = iso.chapters.iter().find(|c| c.number == "7").unwrap().id;
        let clause_7_1_5_1 = iso.clauses().find(|c| c.number == "7.1.5.1").unwrap().id;
        let (ok, dropped) = validate_suggestions(
            vec![
                raw("99.9", "CONFORM", &[0]), // no such clause
                raw(&uuid::Uuid::new_v4().to_string(), "CONFORM", &[0]), // unknown id
                raw("8.5.1", "CONFORM", &[0]), // outside the scope
                raw("7.2", "EXCELLENT", &[0]), // not an ISO grade
                raw("7.2", "A", &[0]),        // an IFS grade
                raw(&clause_7_1_5_1.to_string(), "minor nc", &[0, 5, -1, 0]),
                raw("7.1.5.1", "CONFORM", &[0]), // graded already
            ],
            &iso,
            &[chapter_7],
            2,
        );
        assert_eq!(dropped, 6);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].clause_number, "7.1.5.1");
        assert_eq!(ok[0].grade, "MINOR_NC");
        assert_eq!(ok[0].evidence_refs, vec![0]);
        assert_eq!(ok[0].chapter_id, chapter_7);
    }
}
