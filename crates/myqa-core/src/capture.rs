//! CaptureIQ vocabulary (SPEC §5): session types, languages, categories and
//! their synonyms, observations, token usage.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of session a transcript records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionType {
    #[default]
    Audit,
    Meeting,
}

impl SessionType {
    pub const NAMES: &'static str = "audit, meeting";

    /// The categories observations of this session type may carry, in the
    /// contract's order.
    pub fn categories(self) -> &'static [Category] {
        match self {
            SessionType::Audit => &[
                Category::Nonconformity,
                Category::OpportunityForImprovement,
                Category::PositiveFinding,
                Category::ActionItem,
                Category::GeneralNote,
            ],
            SessionType::Meeting => &[
                Category::Decision,
                Category::KeyPoint,
                Category::ActionItem,
                Category::Risk,
                Category::Question,
                Category::GeneralNote,
            ],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionType::Audit => "audit",
            SessionType::Meeting => "meeting",
        }
    }
}

/// A language the service analyses and writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
    De,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::Fr, Language::De];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::De => "de",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.as_str() == code)
    }
}

/// An observation's category. Which ones are valid depends on the session type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Nonconformity,
    OpportunityForImprovement,
    PositiveFinding,
    ActionItem,
    GeneralNote,
    Decision,
    KeyPoint,
    Risk,
    Question,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Nonconformity => "nonconformity",
            Category::OpportunityForImprovement => "opportunity_for_improvement",
            Category::PositiveFinding => "positive_finding",
            Category::ActionItem => "action_item",
            Category::GeneralNote => "general_note",
            Category::Decision => "decision",
            Category::KeyPoint => "key_point",
            Category::Risk => "risk",
            Category::Question => "question",
        }
    }
}

/// Synonyms a model may use for a category, written normalised: lower case,
/// words joined by `_` (see [`normalize_category`]).
const SYNONYMS: &[(&str, Category)] = &[
    ("nc", Category::Nonconformity),
    ("non_conformity", Category::Nonconformity),
    ("non_conformance", Category::Nonconformity),
    ("nonconformance", Category::Nonconformity),
    ("major_nc", Category::Nonconformity),
    ("minor_nc", Category::Nonconformity),
    ("finding", Category::Nonconformity),
    ("deviation", Category::Nonconformity),
    ("ofi", Category::OpportunityForImprovement),
    ("opportunity", Category::OpportunityForImprovement),
    ("improvement", Category::OpportunityForImprovement),
    (
        "improvement_opportunity",
        Category::OpportunityForImprovement,
    ),
    ("recommendation", Category::OpportunityForImprovement),
    ("suggestion", Category::OpportunityForImprovement),
    ("positive", Category::PositiveFinding),
    ("good_practice", Category::PositiveFinding),
    ("strength", Category::PositiveFinding),
    ("compliance", Category::PositiveFinding),
    ("conformity", Category::PositiveFinding),
    ("action", Category::ActionItem),
    ("task", Category::ActionItem),
    ("todo", Category::ActionItem),
    ("to_do", Category::ActionItem),
    ("follow_up", Category::ActionItem),
    ("corrective_action", Category::ActionItem),
    ("note", Category::GeneralNote),
    ("general", Category::GeneralNote),
    ("observation", Category::GeneralNote),
    ("info", Category::GeneralNote),
    ("information", Category::GeneralNote),
    ("agreed", Category::Decision),
    ("agreement", Category::Decision),
    ("resolution", Category::Decision),
    ("key_takeaway", Category::KeyPoint),
    ("highlight", Category::KeyPoint),
    ("insight", Category::KeyPoint),
    ("point", Category::KeyPoint),
    ("concern", Category::Risk),
    ("issue", Category::Risk),
    ("threat", Category::Risk),
    ("open_question", Category::Question),
    ("query", Category::Question),
];

/// Maps any category label to one valid for `session`: exact names first,
/// then the synonym table, otherwise `general_note` (SPEC §5). Case, spaces,
/// hyphens and underscores are ignored (`Non-Conformity` → `nonconformity`).
pub fn normalize_category(session: SessionType, label: &str) -> Category {
    let key: String = label
        .trim()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_");
    let allowed = session.categories();
    let found = allowed
        .iter()
        .copied()
        .find(|c| c.as_str() == key)
        .or_else(|| {
            SYNONYMS
                .iter()
                .find(|(synonym, _)| *synonym == key)
                .map(|(_, c)| *c)
        });
    match found {
        Some(category) if allowed.contains(&category) => category,
        _ => Category::GeneralNote,
    }
}

/// One categorised observation, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Observation {
    pub content: String,
    pub category: Category,
    /// 1…n, in transcript order.
    pub display_order: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
}

/// Tokens consumed by a call, as reported by the provider (or counted with
/// cl100k_base by the local engine).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl std::ops::AddAssign for TokenUsage {
    fn add_assign(&mut self, other: TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_normalise_through_synonyms_to_the_session_type() {
        use Category::*;
        let audit = SessionType::Audit;
        assert_eq!(normalize_category(audit, "nonconformity"), Nonconformity);
        assert_eq!(normalize_category(audit, "NC"), Nonconformity);
        assert_eq!(normalize_category(audit, "Non-Conformity"), Nonconformity);
        assert_eq!(normalize_category(audit, "OFI"), OpportunityForImprovement);
        assert_eq!(
            normalize_category(audit, "positive finding"),
            PositiveFinding
        );
        assert_eq!(normalize_category(audit, "Action Item"), ActionItem);
        // Valid words of the other session type are not valid here.
        assert_eq!(normalize_category(audit, "decision"), GeneralNote);
        assert_eq!(normalize_category(audit, "banana"), GeneralNote);
        let meeting = SessionType::Meeting;
        assert_eq!(normalize_category(meeting, "key point"), KeyPoint);
        assert_eq!(normalize_category(meeting, "concern"), Risk);
        assert_eq!(normalize_category(meeting, "nonconformity"), GeneralNote);
        assert_eq!(normalize_category(meeting, "to-do"), ActionItem);
    }

    #[test]
    fn every_category_serialises_as_its_name() {
        for session in [SessionType::Audit, SessionType::Meeting] {
            for c in session.categories() {
                assert_eq!(
                    serde_json::to_string(c).unwrap(),
                    format!("\"{}\"", c.as_str())
                );
                assert_eq!(normalize_category(session, c.as_str()), *c);
            }
        }
    }
}

/// Longest transcript accepted, in characters (SPEC §5).
pub const MAX_TRANSCRIPT_CHARS: usize = 2_000_000;

/// Largest audio file accepted (SPEC §5): 2 GiB.
pub const MAX_AUDIO_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A validated CaptureIQ request, as a job carries it to the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureJob {
    pub source: CaptureSource,
    pub session_type: SessionType,
    /// `None`: detect.
    pub language: Option<Language>,
}

/// What is to be analysed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureSource {
    Transcript(String),
    Audio(StoredAudio),
}

/// An uploaded recording, kept in the blob store until its job ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAudio {
    pub blob: String,
    /// The format its bytes declare (`mp3`, `ogg-opus` …).
    pub format: String,
    pub size_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

/// The `data` of a CaptureIQ response and of a completed job (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaptureResult {
    pub session_type: SessionType,
    pub transcript: String,
    pub summary: String,
    pub observations: Vec<Observation>,
    pub language: Language,
    pub processing_time_ms: u64,
    pub token_usage: TokenUsage,
    /// Only for audio input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_duration_ms: Option<u64>,
    /// The analysis engine or model that produced the result.
    pub model: String,
    pub coins_charged: i64,
}
