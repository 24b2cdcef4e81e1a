//! Comments and reasoning in the request's language, quoting the evidence.

use myqa_core::capture::Language;

use super::records::Finding;
use super::verdict::Outcome;

/// Longest quote of a passage, in characters.
const QUOTE_CHARS: usize = 220;

/// What a suggestion's text is made of.
pub(super) struct Grounds<'a> {
    pub language: Language,
    pub outcome: Outcome,
    pub grade: &'a str,
    pub clause_number: &'a str,
    pub clause_title: &'a str,
    /// Evidence indexes (0-based, as in `evidence_refs`).
    pub refs: &'a [usize],
    /// The passage that best shows the verdict.
    pub quote: &'a str,
    pub findings: &'a [Finding],
    /// Evidence words that tied it to the clause.
    pub topic_words: &'a [String],
    /// Cue words behind the verdict.
    pub problem_cues: &'a [String],
    pub good_cues: &'a [String],
}

/// Picks the text of a language.
fn tr<'a>(language: Language, en: &'a str, fr: &'a str, de: &'a str) -> &'a str {
    match language {
        Language::En => en,
        Language::Fr => fr,
        Language::De => de,
    }
}

/// One line: what the evidence shows, quoted.
pub(super) fn comment(g: &Grounds<'_>) -> String {
    let l = g.language;
    let shows = subject_verb(l, g.refs, Verb::Show);
    if let Some(finding) = g.findings.first().filter(|_| negative(g.outcome)) {
        let what = tr(l, " a deviation", " un écart", " eine Abweichung");
        return format!("{shows}{what}{}{}.", colon(l), describe(l, finding));
    }
    let what = match g.outcome {
        Outcome::Met => tr(
            l,
            " the requirement met",
            " que l'exigence est respectée",
            ", dass die Anforderung erfüllt ist",
        ),
        Outcome::MetWithReservation => tr(
            l,
            " the requirement met, with a point to watch",
            " que l'exigence est respectée, avec un point à surveiller",
            ", dass die Anforderung erfüllt ist, mit einem Punkt zur Beobachtung",
        ),
        Outcome::Partial => tr(
            l,
            " the requirement only partly met",
            " que l'exigence n'est que partiellement respectée",
            ", dass die Anforderung nur teilweise erfüllt ist",
        ),
        Outcome::NotMet | Outcome::Serious => {
            tr(l, " a deviation", " un écart", " eine Abweichung")
        }
    };
    format!("{shows}{what}{}{}", colon(l), quoted(l, g.quote))
}

/// Why the clause and why the grade.
pub(super) fn reasoning(g: &Grounds<'_>) -> String {
    let l = g.language;
    let mut text = format!(
        "{} {} {} ({}: {}).",
        subject_verb(l, g.refs, Verb::BearOn),
        g.clause_number,
        g.clause_title,
        tr(
            l,
            "matching words",
            "mots concordants",
            "übereinstimmende Wörter"
        ),
        g.topic_words
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    );
    if !g.findings.is_empty() {
        let shown: Vec<String> = g.findings.iter().take(3).map(|f| describe(l, f)).collect();
        text.push_str(&format!(
            " {}: {}.",
            tr(
                l,
                "The data shows",
                "Les données montrent",
                "Die Daten zeigen"
            ),
            shown.join("; ")
        ));
    }
    if !g.problem_cues.is_empty() {
        text.push_str(&format!(
            " {}: {}.",
            tr(
                l,
                "Signs of a problem",
                "Indices d'un problème",
                "Hinweise auf ein Problem"
            ),
            cue_list(g.problem_cues)
        ));
    }
    if !g.good_cues.is_empty() {
        text.push_str(&format!(
            " {}: {}.",
            tr(
                l,
                "Signs of conformity",
                "Indices de conformité",
                "Hinweise auf Konformität"
            ),
            cue_list(g.good_cues)
        ));
    }
    let why = match g.outcome {
        Outcome::Met => tr(
            l,
            "the evidence shows it met, with nothing against it",
            "les preuves la montrent respectée, sans élément contraire",
            "die Nachweise zeigen sie erfüllt, ohne Gegenanzeichen",
        ),
        Outcome::MetWithReservation => tr(
            l,
            "met on balance, with a reservation",
            "respectée dans l'ensemble, avec une réserve",
            "insgesamt erfüllt, mit einem Vorbehalt",
        ),
        Outcome::Partial => tr(
            l,
            "problems alongside elements in place",
            "des problèmes à côté d'éléments en place",
            "Probleme neben umgesetzten Elementen",
        ),
        Outcome::NotMet => tr(
            l,
            "the problems outweigh what is in place",
            "les problèmes l'emportent sur ce qui est en place",
            "die Probleme überwiegen das Umgesetzte",
        ),
        Outcome::Serious => tr(
            l,
            "several problems or a limit exceeded",
            "plusieurs problèmes ou une limite dépassée",
            "mehrere Probleme oder ein überschrittener Grenzwert",
        ),
    };
    text.push_str(&format!(
        " {} {}: {why}.",
        tr(l, "Grade", "Note", "Bewertung"),
        g.grade
    ));
    text
}

/// French sets a (non-breaking) space before a colon.
fn colon(language: Language) -> &'static str {
    tr(language, ": ", "\u{a0}: ", ": ")
}

#[derive(Clone, Copy)]
enum Verb {
    Show,
    BearOn,
}

/// `Evidence 2 shows`, `Evidence items 1 and 3 show`, `Les preuves 1 et 3
/// montrent`, `Nachweise 1 und 3 zeigen` (numbers 1-based, for people).
fn subject_verb(language: Language, refs: &[usize], verb: Verb) -> String {
    let numbers: Vec<String> = refs.iter().map(|r| (r + 1).to_string()).collect();
    let and = tr(language, " and ", " et ", " und ");
    let list = match numbers.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{and}{last}", init.join(", ")),
    };
    let plural = refs.len() > 1;
    let (noun, verb) = match (language, plural, verb) {
        (Language::En, false, Verb::Show) => ("Evidence", "shows"),
        (Language::En, false, Verb::BearOn) => ("Evidence", "bears on"),
        (Language::En, true, Verb::Show) => ("Evidence items", "show"),
        (Language::En, true, Verb::BearOn) => ("Evidence items", "bear on"),
        (Language::Fr, false, Verb::Show) => ("La preuve", "montre"),
        (Language::Fr, false, Verb::BearOn) => ("La preuve", "porte sur"),
        (Language::Fr, true, Verb::Show) => ("Les preuves", "montrent"),
        (Language::Fr, true, Verb::BearOn) => ("Les preuves", "portent sur"),
        (Language::De, false, Verb::Show) => ("Nachweis", "zeigt"),
        (Language::De, false, Verb::BearOn) => ("Nachweis", "betrifft"),
        (Language::De, true, Verb::Show) => ("Nachweise", "zeigen"),
        (Language::De, true, Verb::BearOn) => ("Nachweise", "betreffen"),
    };
    format!("{noun} {list} {verb}")
}

fn negative(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Partial | Outcome::NotMet | Outcome::Serious
    )
}

fn cue_list(cues: &[String]) -> String {
    cues.iter()
        .take(4)
        .map(|c| format!("\u{201c}{c}\u{201d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A passage in the language's quotation marks, shortened at a word.
fn quoted(language: Language, text: &str) -> String {
    let text = shorten(text);
    match language {
        Language::En => format!("\u{201c}{text}\u{201d}"),
        Language::Fr => format!("\u{ab}\u{a0}{text}\u{a0}\u{bb}"),
        Language::De => format!("\u{201e}{text}\u{201c}"),
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(QUOTE_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// A finding in words.
fn describe(language: Language, finding: &Finding) -> String {
    match finding {
        Finding::OutsideLimit {
            row,
            field,
            value,
            limit,
        } => match language {
            Language::En => {
                format!("{field} {value} ({row}) is outside the limit \u{201c}{limit}\u{201d}")
            }
            Language::Fr => format!(
                "{field} {value} ({row}) est hors de la limite \u{ab}\u{a0}{limit}\u{a0}\u{bb}"
            ),
            Language::De => format!(
                "{field} {value} ({row}) liegt außerhalb des Grenzwerts \u{201e}{limit}\u{201c}"
            ),
        },
        Finding::PastDue {
            row,
            field,
            due,
            reference,
        } => match language {
            Language::En => format!("{field} {due} ({row}) has passed ({reference})"),
            Language::Fr => format!("{field} {due} ({row}) est dépassé ({reference})"),
            Language::De => format!("{field} {due} ({row}) ist überschritten ({reference})"),
        },
        Finding::Blank { field, row } => {
            let row = row.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
            match language {
                Language::En => format!("{field}{row} is blank"),
                Language::Fr => format!("{field}{row} n'est pas renseigné"),
                Language::De => format!("{field}{row} ist leer"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_follow_the_language_and_quote_the_evidence() {
        let topic = ["Schädlingsmonitoring".to_owned()];
        let problem = ["kein Termin".to_owned()];
        let grounds = |language| Grounds {
            language,
            outcome: Outcome::NotMet,
            grade: "MINOR",
            clause_number: "4.14.9",
            clause_title: "Pest recommendations and follow-up",
            refs: &[0, 2],
            quote: "Maßnahmen offen, kein Termin",
            findings: &[],
            topic_words: &topic,
            problem_cues: &problem,
            good_cues: &[],
        };
        assert_eq!(
            comment(&grounds(Language::De)),
            "Nachweise 1 und 3 zeigen eine Abweichung: \u{201e}Maßnahmen offen, kein Termin\u{201c}"
        );
        assert!(
            comment(&grounds(Language::Fr))
                .starts_with("Les preuves 1 et 3 montrent un écart\u{a0}: ")
        );
        let reasoning = reasoning(&grounds(Language::En));
        assert!(
            reasoning.starts_with("Evidence items 1 and 3 bear on 4.14.9"),
            "{reasoning}"
        );
        assert!(
            reasoning.ends_with("Grade MINOR: the problems outweigh what is in place."),
            "{reasoning}"
        );
        let long = shorten(&"word ".repeat(100));
        assert!(
            long.chars().count() <= QUOTE_CHARS + 1 && long.ends_with("word…"),
            "{long}"
        );
    }
}
