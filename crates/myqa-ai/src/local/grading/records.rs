//! What structured evidence shows by its values alone: readings outside the
//! record's own limit, due dates passed by the record's date, verification
//! fields left blank. Words can say "all fine" where the figures say
//! otherwise; these checks read the figures.

use chrono::NaiveDate;
use serde_json::{Map, Value};

/// Most findings reported per item: the first few make the point.
const MAX_FINDINGS: usize = 5;

/// A problem shown by the data.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Finding {
    /// A reading on the wrong side of the record's limit.
    OutsideLimit {
        /// The record it belongs to (`time: 07:30; batch: CS-0409-02`).
        row: String,
        field: String,
        value: f64,
        /// The limit as written (`core temperature >= 72.0 C`).
        limit: String,
    },
    /// A due or expiry date earlier than the record's own date.
    PastDue {
        row: String,
        field: String,
        due: String,
        /// The record's date (`audit_date: 2024-03-12`).
        reference: String,
    },
    /// A field left empty: a verification or sign-off, an action beside a
    /// reading out of limit, or a field the other records fill.
    Blank { field: String, row: Option<String> },
}

/// Key words of a limit or acceptance criteria (`critical_limit`,
/// `Grenzwert`, `critères d'acceptation`).
const LIMIT_KEYS: &[&str] = &[
    "limit",
    "grenz",
    "limite",
    "tolerance",
    "toleranz",
    "spec",
    "sollwert",
    "target",
    "seuil",
    "criteria",
    "criterion",
    "kriteri",
    "critère",
    "critere",
    "accept",
    "norm",
];
/// Key words of a due or expiry date.
const DUE_KEYS: &[&str] = &[
    "due",
    "expir",
    "valid",
    "next",
    "fällig",
    "faellig",
    "ablauf",
    "gültig",
    "gueltig",
    "nächst",
    "naechst",
    "échéance",
    "echeance",
    "prochain",
    "péremption",
    "peremption",
    "mhd",
    "dlc",
];
/// Words that, before a date in a value, make it a due or expiry date
/// (`valid to 2025-06-30`, `expired 2024-01-31`, `gültig bis …`).
const DUE_WORDS: &[&str] = &[
    "expire",
    "expiry",
    "valid",
    "due",
    "until",
    "gültig",
    "bis",
    "abgelaufen",
    "fällig",
    "jusqu",
    "expiré",
    "échéance",
    "valable",
];
/// Key words of fields someone must fill in to verify, sign off or act.
const SIGN_OFF_KEYS: &[&str] = &[
    "verif",
    "sign",
    "approv",
    "review",
    "freigabe",
    "prüf",
    "pruef",
    "unterschrift",
    "visa",
    "contrôle",
    "controle",
    "corrective",
    "korrektur",
    "massnahme",
    "maßnahme",
    "action",
];

/// Checks a structured evidence item.
pub(super) fn check(value: &Value) -> Vec<Finding> {
    let Value::Object(top) = value else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let limits = limits(top);
    let reference = reference_date(top);
    // Top-level sign-off fields left blank.
    for (key, v) in top {
        if has_any(key, SIGN_OFF_KEYS) && is_blank(v) {
            findings.push(Finding::Blank {
                field: key.clone(),
                row: None,
            });
        }
    }
    for rows in top.values().filter_map(Value::as_array) {
        let rows: Vec<&Map<String, Value>> = rows.iter().filter_map(Value::as_object).collect();
        for row in &rows {
            let mut breached = false;
            for (field, value, limit) in readings(row, &limits) {
                if !limit.admits(value) {
                    breached = true;
                    findings.push(Finding::OutsideLimit {
                        row: describe(row, &field),
                        field,
                        value,
                        limit: limit.text.clone(),
                    });
                }
            }
            for (key, v) in row.iter() {
                let blank = is_blank(v);
                // An empty action beside a reading out of limit; a field most
                // records fill, left empty in this one.
                let expected = (breached && has_any(key, SIGN_OFF_KEYS))
                    || (rows.len() >= 2 && filled_share(&rows, key) >= 0.5);
                if blank && expected {
                    findings.push(Finding::Blank {
                        field: key.clone(),
                        row: Some(describe(row, key)),
                    });
                }
                if let Some((reference, reference_text)) = &reference
                    && let Some(due) = due_date(key, v)
                    && due < *reference
                {
                    findings.push(Finding::PastDue {
                        row: describe(row, key),
                        field: key.clone(),
                        due: v.as_str().unwrap_or_default().to_owned(),
                        reference: reference_text.clone(),
                    });
                }
            }
        }
    }
    findings.dedup();
    // The gravest first: they lead the comment.
    findings.sort_by_key(Finding::rank);
    findings.truncate(MAX_FINDINGS);
    findings
}

impl Finding {
    fn rank(&self) -> u8 {
        match self {
            Finding::OutsideLimit { .. } => 0,
            Finding::PastDue { .. } => 1,
            Finding::Blank { .. } => 2,
        }
    }
}

/// Whether the item is a monitoring log: readings checked against a limit
/// the record states. Such a log is evidence of monitoring whatever words it
/// uses, so the grader adds the catalogue's words for it.
pub(super) fn is_monitoring_log(value: &Value) -> bool {
    let Value::Object(top) = value else {
        return false;
    };
    let limits = limits(top);
    !limits.is_empty()
        && top
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_object)
            .any(|row| !readings(row, &limits).is_empty())
}

fn is_blank(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty())
}

/// Share of `rows` with a non-empty `key`.
fn filled_share(rows: &[&Map<String, Value>], key: &str) -> f32 {
    let filled = rows
        .iter()
        .filter(|r| r.get(key).is_some_and(|v| !is_blank(v)))
        .count();
    filled as f32 / rows.len() as f32
}

/// The limits a record states: top-level strings under a limit key, and the
/// strings of an object of criteria under such a key.
fn limits(top: &Map<String, Value>) -> Vec<Limit> {
    let mut limits = Vec::new();
    for (_, value) in top.iter().filter(|(k, _)| has_any(k, LIMIT_KEYS)) {
        match value {
            Value::String(text) => limits.extend(Limit::parse(text, None)),
            Value::Object(criteria) => {
                for (name, v) in criteria {
                    if let Some(text) = v.as_str() {
                        limits.extend(Limit::parse(text, Some(name)));
                    }
                }
            }
            _ => {}
        }
    }
    limits
}

/// The record's own date: the latest date among its top-level fields that
/// are not due dates (`audit_date`, `printed`, `log_viewed`).
fn reference_date(top: &Map<String, Value>) -> Option<(NaiveDate, String)> {
    top.iter()
        .filter(|(k, _)| !has_any(k, DUE_KEYS))
        .filter_map(|(k, v)| {
            let text = v.as_str()?;
            date(text).map(|d| (d, format!("{k}: {text}")))
        })
        .max_by_key(|(d, _)| *d)
}

/// A due or expiry date: under a due key (`next_due`), or after a due word
/// in the value (`BRCGS, expired 2024-01-31`).
fn due_date(key: &str, value: &Value) -> Option<NaiveDate> {
    let text = value.as_str()?;
    if has_any(key, DUE_KEYS) {
        return date(text);
    }
    let lower = text.to_lowercase();
    let at = DUE_WORDS
        .iter()
        .filter_map(|w| lower.find(w).map(|i| i + w.len()))
        .min()?;
    lower
        .get(at..)?
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        .find_map(date)
}

fn has_any(key: &str, words: &[&str]) -> bool {
    let key = key.to_lowercase();
    words.iter().any(|w| key.contains(w))
}

/// The identifying fields of a record (strings, first three), but not `field`.
fn describe(row: &Map<String, Value>, field: &str) -> String {
    row.iter()
        .filter(|(k, v)| {
            k.as_str() != field
                && v.as_str()
                    .is_some_and(|s| !s.trim().is_empty() && s.len() <= 60)
        })
        .take(3)
        .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `2024-03-12`, `12/03/2024`, `12.03.2024`.
fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let text = text.get(..10).unwrap_or(text);
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
}

/// A record's readings with the limit each falls under: the field whose key
/// shares most words with a limit (`product_temp_C` ~ `product temperature
/// <= 4 C`); with a single limit, also the only reading of a record, or
/// readings keyed by the time they were taken (`"10:00": 6.8`).
fn readings<'l>(row: &Map<String, Value>, limits: &'l [Limit]) -> Vec<(String, f64, &'l Limit)> {
    let numeric: Vec<(&String, f64)> = row
        .iter()
        .filter_map(|(k, v)| v.as_f64().map(|n| (k, n)))
        .collect();
    let mut found = Vec::new();
    for (key, value) in &numeric {
        let related = limits
            .iter()
            .map(|l| (l.relatedness(key), l))
            .filter(|(r, _)| *r > 0)
            .max_by_key(|(r, _)| *r)
            .map(|(_, l)| l);
        let single = match limits {
            [only] if numeric.len() == 1 || key.contains(':') => Some(only),
            _ => None,
        };
        if let Some(limit) = related.or(single) {
            found.push(((*key).clone(), *value, limit));
        }
    }
    found
}

/// A limit: `core temperature >= 72.0 C`, `max. 5 °C`, `0 to 5 C`,
/// `entre 2 et 8 °C`.
#[derive(Debug, Clone, PartialEq)]
struct Limit {
    text: String,
    /// Words of the limit and of its criterion's name, to find the reading
    /// it applies to.
    words: Vec<String>,
    /// Lowest and highest admitted values, and whether they are admitted
    /// themselves.
    low: Option<(f64, bool)>,
    high: Option<(f64, bool)>,
}

impl Limit {
    fn parse(text: &str, name: Option<&str>) -> Option<Limit> {
        let lower = text.to_lowercase();
        let (low, high) = range(&lower).or_else(|| bound(&lower))?;
        let words = format!("{} {lower}", name.unwrap_or_default().to_lowercase())
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))
            .map(str::to_owned)
            .collect();
        Some(Limit {
            text: text.to_owned(),
            words,
            low,
            high,
        })
    }

    /// How many of its words a field key shares (by their first four letters).
    fn relatedness(&self, key: &str) -> usize {
        let key = key.to_lowercase();
        self.words
            .iter()
            .filter(|w| key.contains(&w.chars().take(4).collect::<String>()))
            .count()
    }

    fn admits(&self, value: f64) -> bool {
        let above_low = self
            .low
            .is_none_or(|(l, inclusive)| if inclusive { value >= l } else { value > l });
        let below_high = self
            .high
            .is_none_or(|(h, inclusive)| if inclusive { value <= h } else { value < h });
        above_low && below_high
    }
}

type Bounds = (Option<(f64, bool)>, Option<(f64, bool)>);

/// `0 to 5`, `0-5`, `2 – 8`, `zwischen 2 und 8`, `entre 2 et 8`.
fn range(lower: &str) -> Option<Bounds> {
    let numbers = numbers(lower);
    for window in numbers.windows(2) {
        let ((a, end_a), (b, start_b)) = ((window[0].0, window[0].2), (window[1].0, window[1].1));
        let between = lower.get(end_a..start_b)?.trim();
        if matches!(
            between,
            "to" | "-" | "–" | "bis" | "à" | "a" | "und" | "et" | "and"
        ) && a < b
        {
            return Some((Some((a, true)), Some((b, true))));
        }
    }
    None
}

/// `>= 72`, `≤ 4`, `max 5`, `mindestens 70`, `au moins 70`.
fn bound(lower: &str) -> Option<Bounds> {
    const OPERATORS: &[(&str, bool, bool)] = &[
        (">=", true, true),
        ("≥", true, true),
        ("<=", false, true),
        ("≤", false, true),
        (">", true, false),
        ("<", false, false),
        ("min", true, true),
        ("au moins", true, true),
        ("max", false, true),
        ("höchstens", false, true),
        ("au plus", false, true),
    ];
    let (at, minimum, inclusive) = OPERATORS
        .iter()
        .filter_map(|(op, minimum, inclusive)| {
            lower
                .find(op)
                .map(|at| (at, at + op.len(), *minimum, *inclusive))
        })
        .min_by_key(|(at, ..)| *at)
        .map(|(_, end, minimum, inclusive)| (end, minimum, inclusive))?;
    let (value, ..) = numbers(lower.get(at..)?).into_iter().next()?;
    let edge = Some((value, inclusive));
    Some(if minimum { (edge, None) } else { (None, edge) })
}

/// The numbers of a text with their byte ranges (`-18`, `72.0`, `4,5`).
fn numbers(text: &str) -> Vec<(f64, usize, usize)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let negative = i > 0
            && bytes[i - 1] == b'-'
            && (i < 2 || !bytes[i - 2].is_ascii_digit())
            && (i < 2 || bytes[i - 2] == b' ');
        let start = if negative { i - 1 } else { i };
        let mut end = i;
        while end < bytes.len()
            && (bytes[end].is_ascii_digit()
                || ((bytes[end] == b'.' || bytes[end] == b',')
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)))
        {
            end += 1;
        }
        if let Ok(value) = text[start..end].replace(',', ".").parse() {
            found.push((value, start, end));
        }
        i = end;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readings_outside_the_limit_and_blank_actions_are_found() {
        let findings = check(&json!({
            "critical_limit": "core temperature >= 72.0 C",
            "entries": [
                {"time": "07:00", "core_temp_C": 74.2, "corrective_action": ""},
                {"time": "07:30", "core_temp_C": 68.4, "corrective_action": ""}
            ],
            "supervisor_verification": ""
        }));
        assert_eq!(findings.len(), 3, "{findings:?}");
        assert!(is_monitoring_log(
            &json!({"critical_limit": "max 5 C", "log": [{"t": 3.0}]})
        ));
        assert!(matches!(&findings[0], Finding::OutsideLimit { value, .. } if *value == 68.4));
        assert!(
            matches!(&findings[1], Finding::Blank { field, row: None } if field == "supervisor_verification")
        );
        assert!(
            matches!(&findings[2], Finding::Blank { field, row: Some(_) } if field == "corrective_action")
        );
    }

    #[test]
    fn due_dates_before_the_record_date_are_past_due() {
        let findings = check(&json!({
            "audit_date": "2024-03-12",
            "instruments": [
                {"id": "DC-03", "next_due": "2024-09-04"},
                {"id": "DC-07", "next_due": "2024-01-15"}
            ]
        }));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(matches!(&findings[0], Finding::PastDue { row, .. } if row == "id: DC-07"));
    }

    #[test]
    fn ranges_criteria_by_name_readings_by_time_and_gaps_in_records() {
        let findings = check(&json!({
            "limit": "0 to 5 C",
            "readings": [
                {"date": "2024-02-26", "06:00": 3.2, "10:00": 3.5},
                {"date": "2024-02-27", "06:00": 3.4, "10:00": 6.8}
            ]
        }));
        assert!(
            matches!(&findings[..], [Finding::OutsideLimit { field, value, .. }] if field == "10:00" && *value == 6.8),
            "{findings:?}"
        );

        let findings = check(&json!({
            "acceptance_criteria": {"dairy": "product temperature <= 4 C", "labels": ">= 7 days shelf life"},
            "deliveries": [
                {"lot": "R1", "product_temp_C": 3.1, "shelf_life_days": 14, "checked_by": "DM"},
                {"lot": "E2", "product_temp_C": 8.7, "shelf_life_days": 9, "checked_by": ""}
            ]
        }));
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert!(matches!(&findings[0], Finding::OutsideLimit { value, .. } if *value == 8.7));
        assert!(matches!(&findings[1], Finding::Blank { field, .. } if field == "checked_by"));

        let findings = check(&json!({
            "list_reviewed_on": "2024-04-16",
            "suppliers": [{"code": "S-022", "certificate": "BRCGS, expired 2024-01-31"},
                          {"code": "S-014", "certificate": "FSSC 22000, valid to 2025-06-30"}]
        }));
        assert!(
            matches!(&findings[..], [Finding::PastDue { row, .. }] if row == "code: S-022"),
            "{findings:?}"
        );
    }

    #[test]
    fn records_without_limits_or_dates_show_nothing() {
        assert!(check(&json!({"staff": [{"name": "A", "score": 3}]})).is_empty());
        assert!(check(&json!([1, 2])).is_empty());
    }
}
