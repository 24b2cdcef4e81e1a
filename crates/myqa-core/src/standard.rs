//! Standards, their trees and grading schemes (SPEC §4).
//!
//! A standard arrives as a [`StandardDocument`] (the JSON format of the shipped
//! files and of `myqa admin standards import`) and becomes a [`Standard`] once
//! validated, with stable ids derived from its code and the numbers in it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Namespace of every id derived here. Never change it: customers keep ids
/// between environments.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d79_7161_2d73_7464_8a3c_0b5e_91f4_d2a7);

const MAX_TEXT: usize = 20_000;
const MAX_TITLE: usize = 500;

/// Standard codes match case-insensitively and ignoring spaces and punctuation:
/// `ISO 9001`, `iso9001` and `ISO9001` are one standard, as are `IFS Food` and
/// `IFS-FOOD`.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Which node of a tree an id names; part of the id's derivation so a section
/// and a clause sharing a number (ISO 9001 `4.1`) still get distinct ids.
#[derive(Debug, Clone, Copy)]
enum Level {
    Chapter,
    Section,
    Clause,
}

pub fn standard_id(code: &str) -> Uuid {
    Uuid::new_v5(
        &ID_NAMESPACE,
        format!("standard:{}", normalize_code(code)).as_bytes(),
    )
}

fn node_id(code: &str, level: Level, number: &str) -> Uuid {
    let level = match level {
        Level::Chapter => "chapter",
        Level::Section => "section",
        Level::Clause => "clause",
    };
    Uuid::new_v5(
        &ID_NAMESPACE,
        format!("standard:{}:{level}:{number}", normalize_code(code)).as_bytes(),
    )
}

/// How findings against a standard are graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum GradingScheme {
    #[serde(rename = "IFS")]
    Ifs,
    #[serde(rename = "BRC")]
    Brc,
    #[serde(rename = "ISO")]
    Iso,
}

/// One grade of a scheme, as listed by the standards endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Grade {
    /// JSON code of the grade, e.g. `B` or `MINOR_NC`.
    pub code: &'static str,
    pub label: &'static str,
    pub description: &'static str,
}

const IFS_GRADES: &[Grade] = &[
    Grade {
        code: "A",
        label: "A — full compliance",
        description: "The requirement is fully met.",
    },
    Grade {
        code: "B",
        label: "B — almost full compliance",
        description: "The requirement is met with a small deviation.",
    },
    Grade {
        code: "C",
        label: "C — part implemented",
        description: "A part of the requirement is not implemented. Not allowed on a KO requirement.",
    },
    Grade {
        code: "D",
        label: "D — not implemented",
        description: "The requirement is not implemented.",
    },
    Grade {
        code: "MAJOR",
        label: "Major non-conformity",
        description: "A substantial failure to meet a non-KO requirement, or a risk to food safety or legality.",
    },
    Grade {
        code: "KO",
        label: "KO — knock-out",
        description: "A KO requirement is not fulfilled.",
    },
    Grade {
        code: "NA",
        label: "Not applicable",
        description: "The requirement does not apply to this site or process.",
    },
];

const BRC_GRADES: &[Grade] = &[
    Grade {
        code: "CONFORM",
        label: "Conforming",
        description: "The requirement is met.",
    },
    Grade {
        code: "MINOR",
        label: "Minor non-conformity",
        description: "The requirement is not completely met, but product safety, legality and quality are not in doubt.",
    },
    Grade {
        code: "MAJOR",
        label: "Major non-conformity",
        description: "A substantial failure to meet the requirement, or a situation that may compromise product safety or legality.",
    },
    Grade {
        code: "CRITICAL",
        label: "Critical non-conformity",
        description: "A critical failure to comply with a food safety or legal issue, or a significant risk to product safety.",
    },
    Grade {
        code: "NA",
        label: "Not applicable",
        description: "The requirement does not apply to this site or process.",
    },
];

const ISO_GRADES: &[Grade] = &[
    Grade {
        code: "CONFORM",
        label: "Conforming",
        description: "The requirement is met.",
    },
    Grade {
        code: "OFI",
        label: "Opportunity for improvement",
        description: "The requirement is met, but it could be met better.",
    },
    Grade {
        code: "MINOR_NC",
        label: "Minor nonconformity",
        description: "An isolated lapse that does not put the system's ability to deliver conforming results in doubt.",
    },
    Grade {
        code: "MAJOR_NC",
        label: "Major nonconformity",
        description: "The absence or total breakdown of a required process, or a failure that puts conforming results in doubt.",
    },
    Grade {
        code: "NA",
        label: "Not applicable",
        description: "The requirement does not apply within the scope of the system.",
    },
];

impl GradingScheme {
    pub fn grades(self) -> &'static [Grade] {
        match self {
            GradingScheme::Ifs => IFS_GRADES,
            GradingScheme::Brc => BRC_GRADES,
            GradingScheme::Iso => ISO_GRADES,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GradingScheme::Ifs => "IFS",
            GradingScheme::Brc => "BRC",
            GradingScheme::Iso => "ISO",
        }
    }
}

// ---------------------------------------------------------------------------
// The document format

/// A standard as written in a data file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardDocument {
    pub code: String,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_language")]
    pub default_language: String,
    pub grading_scheme: GradingScheme,
    pub chapters: Vec<ChapterDocument>,
}

fn default_language() -> String {
    "en".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChapterDocument {
    pub number: String,
    pub title: String,
    pub sections: Vec<SectionDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDocument {
    pub number: String,
    pub title: String,
    pub clauses: Vec<ClauseDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseDocument {
    pub number: String,
    pub title: String,
    pub requirement: String,
    /// IFS knock-out requirement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ko: bool,
    /// BRCGS fundamental requirement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fundamental: bool,
}

/// What is wrong with a standard document, naming the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StandardError {
    #[error("not a valid standard document: {0}")]
    Json(String),
    #[error("{path}: {problem}")]
    Entry { path: String, problem: String },
}

fn entry_error(path: impl Into<String>, problem: impl Into<String>) -> StandardError {
    StandardError::Entry {
        path: path.into(),
        problem: problem.into(),
    }
}

/// `4`, `7.1`, `7.1.5.1`: dot-separated decimal numbers.
fn is_number(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

fn check_text(path: &str, field: &str, value: &str, max: usize) -> Result<(), StandardError> {
    if value.trim().is_empty() {
        return Err(entry_error(path, format!("{field} must not be blank")));
    }
    if value.chars().count() > max {
        return Err(entry_error(
            path,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// `child` lies under `parent` when equal to it (an ISO section holding one
/// clause of its own number) or when it continues it after a dot.
fn lies_under(child: &str, parent: &str) -> bool {
    child == parent
        || child
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('.'))
}

impl StandardDocument {
    /// Parses and validates a document in one step.
    pub fn parse(json: &str) -> Result<Standard, StandardError> {
        let document: StandardDocument =
            serde_json::from_str(json).map_err(|e| StandardError::Json(e.to_string()))?;
        document.validate()
    }

    /// Checks the whole tree and derives its ids. Errors name the entry by its
    /// path in the document and its number, e.g.
    /// `chapters[1].sections[0].clauses[3] (2.1.4)`.
    pub fn validate(self) -> Result<Standard, StandardError> {
        let code = self.code.trim().to_owned();
        if normalize_code(&code).is_empty() || code.chars().count() > 64 {
            return Err(entry_error(
                "code",
                "must hold 1–64 characters with at least one letter or digit",
            ));
        }
        check_text("name", "name", &self.name, MAX_TITLE)?;
        check_text("version", "version", &self.version, 64)?;
        let lang = &self.default_language;
        if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(entry_error(
                "default_language",
                format!("`{lang}` is not a two-letter language code"),
            ));
        }
        if self.chapters.is_empty() {
            return Err(entry_error(
                "chapters",
                "a standard needs at least one chapter",
            ));
        }

        let mut seen_chapters = HashSet::new();
        let mut seen_sections = HashSet::new();
        let mut seen_clauses = HashSet::new();
        let mut chapters = Vec::with_capacity(self.chapters.len());
        for (ci, chapter) in self.chapters.into_iter().enumerate() {
            let path = format!("chapters[{ci}] ({})", chapter.number);
            if !is_number(&chapter.number) {
                return Err(entry_error(
                    path,
                    "number must be dot-separated digits, e.g. `4` or `7.1`",
                ));
            }
            check_text(&path, "title", &chapter.title, MAX_TITLE)?;
            if !seen_chapters.insert(chapter.number.clone()) {
                return Err(entry_error(path, "duplicate chapter number"));
            }
            if chapter.sections.is_empty() {
                return Err(entry_error(path, "a chapter needs at least one section"));
            }
            let mut sections = Vec::with_capacity(chapter.sections.len());
            for (si, section) in chapter.sections.into_iter().enumerate() {
                let path = format!("chapters[{ci}].sections[{si}] ({})", section.number);
                if !is_number(&section.number) {
                    return Err(entry_error(path, "number must be dot-separated digits"));
                }
                if !lies_under(&section.number, &chapter.number) || section.number == chapter.number
                {
                    return Err(entry_error(
                        path,
                        format!("number must start with its chapter's `{}.`", chapter.number),
                    ));
                }
                check_text(&path, "title", &section.title, MAX_TITLE)?;
                if !seen_sections.insert(section.number.clone()) {
                    return Err(entry_error(path, "duplicate section number"));
                }
                if section.clauses.is_empty() {
                    return Err(entry_error(path, "a section needs at least one clause"));
                }
                let mut clauses = Vec::with_capacity(section.clauses.len());
                for (li, clause) in section.clauses.into_iter().enumerate() {
                    let path = format!(
                        "chapters[{ci}].sections[{si}].clauses[{li}] ({})",
                        clause.number
                    );
                    if !is_number(&clause.number) {
                        return Err(entry_error(path, "number must be dot-separated digits"));
                    }
                    if !lies_under(&clause.number, &section.number) {
                        return Err(entry_error(
                            path,
                            format!("number must be `{0}` or start with `{0}.`", section.number),
                        ));
                    }
                    check_text(&path, "title", &clause.title, MAX_TITLE)?;
                    check_text(&path, "requirement", &clause.requirement, MAX_TEXT)?;
                    if clause.ko && self.grading_scheme != GradingScheme::Ifs {
                        return Err(entry_error(
                            path,
                            "`ko` applies only to standards graded with the IFS scheme",
                        ));
                    }
                    if clause.fundamental && self.grading_scheme != GradingScheme::Brc {
                        return Err(entry_error(
                            path,
                            "`fundamental` applies only to standards graded with the BRC scheme",
                        ));
                    }
                    if !seen_clauses.insert(clause.number.clone()) {
                        return Err(entry_error(path, "duplicate clause number"));
                    }
                    clauses.push(Clause {
                        id: node_id(&code, Level::Clause, &clause.number),
                        number: clause.number,
                        title: clause.title.trim().to_owned(),
                        requirement: clause.requirement.trim().to_owned(),
                        ko: clause.ko,
                        fundamental: clause.fundamental,
                    });
                }
                sections.push(Section {
                    id: node_id(&code, Level::Section, &section.number),
                    number: section.number,
                    title: section.title.trim().to_owned(),
                    clauses,
                });
            }
            chapters.push(Chapter {
                id: node_id(&code, Level::Chapter, &chapter.number),
                number: chapter.number,
                title: chapter.title.trim().to_owned(),
                sections,
            });
        }

        Ok(Standard {
            id: standard_id(&code),
            code,
            name: self.name.trim().to_owned(),
            version: self.version.trim().to_owned(),
            description: self.description.trim().to_owned(),
            default_language: self.default_language,
            grading_scheme: self.grading_scheme,
            chapters,
        })
    }
}

/// The standards shipped with the binary, as data files (`standards/` at the
/// repository root), embedded at build time.
pub const SHIPPED_DOCUMENTS: [(&str, &str); 3] = [
    ("brcgs.json", include_str!("../../../standards/brcgs.json")),
    (
        "ifs-food.json",
        include_str!("../../../standards/ifs-food.json"),
    ),
    (
        "iso9001.json",
        include_str!("../../../standards/iso9001.json"),
    ),
];

/// The shipped standards, validated. A shipped file that fails validation is a
/// build defect, caught by this crate's tests.
pub fn shipped() -> Vec<Standard> {
    SHIPPED_DOCUMENTS
        .iter()
        .map(|(file, json)| {
            StandardDocument::parse(json)
                .unwrap_or_else(|e| panic!("shipped standard {file} is invalid: {e}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The validated tree

/// A validated standard with its whole tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standard {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub default_language: String,
    pub grading_scheme: GradingScheme,
    pub chapters: Vec<Chapter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub requirement: String,
    pub ko: bool,
    pub fundamental: bool,
}

impl Standard {
    /// The number of clauses: what the API calls `total_requirements`.
    pub fn total_requirements(&self) -> usize {
        self.clauses().count()
    }

    pub fn clauses(&self) -> impl Iterator<Item = &Clause> {
        self.chapters
            .iter()
            .flat_map(|c| c.sections.iter())
            .flat_map(|s| s.clauses.iter())
    }

    /// SHA-256 (hex) of the canonical document: tells whether stored content
    /// differs from what this build ships.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_vec(&self.to_document()).expect("documents serialise");
        Sha256::digest(canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// True when `query` names this standard by id or by code.
    pub fn is_named_by(&self, query: &str) -> bool {
        match Uuid::parse_str(query.trim()) {
            Ok(id) => id == self.id,
            Err(_) => normalize_code(query) == normalize_code(&self.code),
        }
    }

    /// Back to the document format, e.g. to export what the database holds.
    pub fn to_document(&self) -> StandardDocument {
        StandardDocument {
            code: self.code.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            description: self.description.clone(),
            default_language: self.default_language.clone(),
            grading_scheme: self.grading_scheme,
            chapters: self
                .chapters
                .iter()
                .map(|c| ChapterDocument {
                    number: c.number.clone(),
                    title: c.title.clone(),
                    sections: c
                        .sections
                        .iter()
                        .map(|s| SectionDocument {
                            number: s.number.clone(),
                            title: s.title.clone(),
                            clauses: s
                                .clauses
                                .iter()
                                .map(|l| ClauseDocument {
                                    number: l.number.clone(),
                                    title: l.title.clone(),
                                    requirement: l.requirement.clone(),
                                    ko: l.ko,
                                    fundamental: l.fundamental,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(clauses: serde_json::Value) -> String {
        serde_json::json!({
            "code": "IFS-FOOD", "name": "IFS Food", "version": "8", "grading_scheme": "IFS",
            "chapters": [{"number": "2", "title": "Food safety", "sections": [
                {"number": "2.3", "title": "HACCP", "clauses": clauses}
            ]}]
        })
        .to_string()
    }

    #[test]
    fn codes_normalise() {
        assert_eq!(normalize_code("ISO 9001"), "ISO9001");
        assert_eq!(normalize_code("iso9001"), "ISO9001");
        assert_eq!(normalize_code("ifs food"), normalize_code("IFS-FOOD"));
        assert_eq!(standard_id("iso 9001"), standard_id("ISO9001"));
    }

    #[test]
    fn ids_are_stable_and_distinct_per_level() {
        let a = StandardDocument::parse(&doc(serde_json::json!([
            {"number": "2.3", "title": "t", "requirement": "r"}
        ])))
        .unwrap();
        let b = StandardDocument::parse(&doc(serde_json::json!([
            {"number": "2.3", "title": "t", "requirement": "r"}
        ])))
        .unwrap();
        assert_eq!(a, b);
        let section = &a.chapters[0].sections[0];
        assert_ne!(
            section.id, section.clauses[0].id,
            "section 2.3 and clause 2.3 share a number, not an id"
        );
        // Pinned: ids must never change between releases.
        assert_eq!(a.id, standard_id("IFS-FOOD"));
        assert_eq!(a.id.get_version_num(), 5);
    }

    #[test]
    fn errors_name_the_bad_entry() {
        let err = StandardDocument::parse(&doc(serde_json::json!([
            {"number": "2.3.1", "title": "ok", "requirement": "r"},
            {"number": "2.4.1", "title": "misplaced", "requirement": "r"}
        ])))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "chapters[0].sections[0].clauses[1] (2.4.1): number must be `2.3` or start with `2.3.`"
        );
        let err = StandardDocument::parse(&doc(serde_json::json!([
            {"number": "2.3.1", "title": "", "requirement": "r"}
        ])))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("clauses[0] (2.3.1): title must not be blank"),
            "{err}"
        );
        let err = StandardDocument::parse(&doc(serde_json::json!([
            {"number": "2.3.1", "title": "t", "requirement": "r", "fundamental": true}
        ])))
        .unwrap_err();
        assert!(
            err.to_string().contains("`fundamental` applies only"),
            "{err}"
        );
        let err = StandardDocument::parse(&doc(serde_json::json!([
            {"number": "2.3.1", "title": "t", "requirement": "r", "colour": "red"}
        ])))
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn lies_under_respects_dots() {
        assert!(lies_under("4.18.1", "4.18"));
        assert!(lies_under("4.1", "4.1"));
        assert!(!lies_under("4.180", "4.18"));
    }
}

#[cfg(test)]
mod shipped_tests {
    use super::*;

    #[test]
    fn shipped_standards_are_valid_and_distinct() {
        let standards = shipped();
        let codes: Vec<_> = standards.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["BRCGS", "IFS-FOOD", "ISO9001"]);
        let schemes: Vec<_> = standards.iter().map(|s| s.grading_scheme).collect();
        assert_eq!(
            schemes,
            [GradingScheme::Brc, GradingScheme::Ifs, GradingScheme::Iso]
        );
        // Ids never collide, within or across standards.
        let mut ids = HashSet::new();
        for s in &standards {
            assert!(ids.insert(s.id));
            for c in &s.chapters {
                assert!(ids.insert(c.id));
                for sec in &c.sections {
                    assert!(ids.insert(sec.id));
                    for clause in &sec.clauses {
                        assert!(ids.insert(clause.id), "{} {}", s.code, clause.number);
                    }
                }
            }
        }
    }

    #[test]
    fn documents_round_trip() {
        for standard in shipped() {
            let again = standard.to_document().validate().unwrap();
            assert_eq!(again, standard);
        }
    }
}
