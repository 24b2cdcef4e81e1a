//! Evidence words as the catalogue's vocabulary: English stems.
//!
//! The standards catalogue is written in English, evidence in English, French
//! or German. French and German words are looked up in the [`glossary`]
//! (German compounds split into glossary words first: `Schädlingsmonitoring`
//! → `schädling` + `monitoring`); words it does not know are kept as they are,
//! which is right for the many loanwords of the trade (`HACCP`, `ATP`,
//! `Audit`). English words the catalogue never uses are expanded with the
//! words it does use for the same thing ([`EXPANSIONS`]: a `caliper` is
//! `measuring equipment`).

use std::collections::HashMap;

use myqa_core::capture::Language;
use rust_stemmers::Stemmer;

use super::glossary;
use crate::local::words::{split_words, stemmer};

/// English words of audit evidence with the catalogue's words for them.
const EXPANSIONS: &[(&str, &str)] = &[
    ("bait", "pest rodent"),
    ("balance", "measuring equipment"),
    ("bracelet", "jewellery"),
    ("caliper", "measuring equipment calibration"),
    ("calliper", "measuring equipment calibration"),
    ("capa", "corrective action"),
    ("cockroach", "pest insect"),
    ("droppings", "pest"),
    ("earring", "jewellery"),
    ("flies", "pest insect"),
    ("fly", "pest insect"),
    ("gauge", "measuring equipment"),
    ("hairnet", "hair covering protective clothing"),
    ("infestation", "pest"),
    ("mice", "pest rodent"),
    ("micrometer", "measuring equipment calibration"),
    ("mouse", "pest rodent"),
    ("ncr", "nonconformity nonconforming"),
    ("net", "covering"),
    ("piercing", "jewellery"),
    ("probe", "measuring thermometer"),
    ("quarantine", "nonconforming segregation hold"),
    ("rat", "pest rodent"),
    ("rodents", "pest rodent"),
    ("scale", "measuring equipment"),
    ("survey", "customer satisfaction"),
    ("swab", "testing verification"),
    ("thermometer", "measuring equipment temperature"),
    ("trap", "pest monitoring"),
    ("watch", "jewellery watches"),
    ("whys", "root cause"),
    ("wrench", "measuring equipment"),
];

/// Shorter words carry no topic (`e`, `of`, units).
const MIN_WORD_CHARS: usize = 3;

/// English words of evidence that name no topic of the catalogue but would
/// match its text by accident (times, places on a line, quantities).
const NOISE: &[&str] = &[
    "also",
    "another",
    "first",
    "other",
    "others",
    "each",
    "every",
    "time",
    "times",
    "today",
    "morning",
    "afternoon",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "day",
    "days",
    "yesterday",
    "tomorrow",
    "line",
    "lines",
    "floor",
    "room",
    "lots",
    "take",
    "taken",
    "noticed",
    "busy",
    "before",
    "after",
    "here",
    "there",
    "still",
    "usually",
    "always",
    "never",
    "think",
    "know",
    "thing",
    "things",
    "problem",
    "sure",
    "okay",
    "yes",
    "please",
    "thanks",
    "right",
];

/// Whether an unknown French or German word may be a loanword: long enough
/// not to be a function word, or written as an acronym.
fn loanword(text: &str, word: &str) -> bool {
    word.chars().count() >= 6 || text.contains(&word.to_uppercase())
}

/// A word's English stems, and the word as the evidence wrote it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Term {
    pub stem: String,
    /// The evidence word it comes from (quoted in the reasoning).
    pub word: String,
    /// How much it counts in a query: its passage's weight.
    pub weight: f32,
}

/// Translates evidence words into English stems.
pub(crate) struct Vocabulary {
    english: Stemmer,
    expansions: HashMap<String, Vec<String>>,
    french: Glossary,
    german: Glossary,
}

/// One language's glossary: keys by form and by stem, values as English stems.
struct Glossary {
    language: Language,
    stemmer: Stemmer,
    by_form: HashMap<String, Vec<String>>,
    by_stem: HashMap<String, Vec<String>>,
}

impl Glossary {
    fn new(language: Language, table: &[(&str, &str)], english: &Stemmer) -> Glossary {
        let stemmer = stemmer(language);
        let mut by_form = HashMap::new();
        let mut by_stem = HashMap::new();
        for (key, value) in table {
            let stems: Vec<String> = split_words(Language::En, value)
                .iter()
                .map(|w| english.stem(w).into_owned())
                .collect();
            by_form.insert((*key).to_owned(), stems.clone());
            by_stem
                .entry(stemmer.stem(key).into_owned())
                .or_insert(stems);
        }
        Glossary {
            language,
            stemmer,
            by_form,
            by_stem,
        }
    }

    fn lookup(&self, word: &str) -> Option<&Vec<String>> {
        self.by_form
            .get(word)
            .or_else(|| self.by_stem.get(self.stemmer.stem(word).as_ref()))
    }

    /// English stems of a word: the word itself, or (German) the parts of a
    /// compound.
    fn translate(&self, word: &str) -> Option<Vec<String>> {
        if let Some(stems) = self.lookup(word) {
            return Some(stems.clone());
        }
        if self.language == Language::De {
            return self.split_compound(word);
        }
        None
    }

    /// Splits a German compound into glossary words, allowing the linking
    /// `s`/`es`/`n` between parts; the last part may be inflected. Prefers
    /// the split with the fewest parts.
    fn split_compound(&self, word: &str) -> Option<Vec<String>> {
        const MIN_PART: usize = 3;
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < 2 * MIN_PART {
            return None;
        }
        // best[i]: the fewest parts covering chars[i..], with their stems.
        let n = chars.len();
        let mut best: Vec<Option<(usize, Vec<String>)>> = vec![None; n + 1];
        best[n] = Some((0, Vec::new()));
        for start in (0..n).rev() {
            for end in (start + MIN_PART)..=n {
                let part: String = chars[start..end].iter().collect();
                let stems = if end == n {
                    self.lookup(&part)
                } else {
                    self.by_form.get(&part)
                };
                let Some(stems) = stems else { continue };
                // The rest, directly or after a linking element.
                let rests = [end, end + 1, end + 2].into_iter().filter(|&at| {
                    at == end
                        || (at == end + 1 && matches!(chars.get(end), Some('s' | 'n')))
                        || (at == end + 2 && chars.get(end..end + 2) == Some(&['e', 's']))
                });
                for rest in rests {
                    if let Some(Some((count, tail))) = best.get(rest) {
                        let candidate = count + 1;
                        if best[start].as_ref().is_none_or(|(c, _)| candidate < *c) {
                            let mut all = stems.clone();
                            all.extend(tail.iter().cloned());
                            best[start] = Some((candidate, all));
                        }
                    }
                }
            }
        }
        best[0]
            .take()
            .filter(|(count, _)| *count >= 2)
            .map(|(_, stems)| stems)
    }
}

impl Vocabulary {
    pub(crate) fn new() -> Vocabulary {
        let english = stemmer(Language::En);
        let expansions = EXPANSIONS
            .iter()
            .map(|(word, value)| {
                let stems = split_words(Language::En, value)
                    .iter()
                    .map(|w| english.stem(w).into_owned())
                    .collect();
                ((*word).to_owned(), stems)
            })
            .collect();
        let french = Glossary::new(Language::Fr, glossary::FR, &english);
        let german = Glossary::new(Language::De, glossary::DE, &english);
        Vocabulary {
            english,
            expansions,
            french,
            german,
        }
    }

    /// English stem of an English word (the catalogue side).
    pub(super) fn stem(&self, word: &str) -> String {
        self.english.stem(word).into_owned()
    }

    /// The English terms of `text`, written in `language`.
    pub(super) fn terms(&self, language: Language, text: &str, weight: f32) -> Vec<Term> {
        let glossary = match language {
            Language::En => None,
            Language::Fr => Some(&self.french),
            Language::De => Some(&self.german),
        };
        let mut terms = Vec::new();
        for word in split_words(language, text) {
            let word = word.trim_end_matches("'s").to_owned();
            if word.chars().count() < MIN_WORD_CHARS || NOISE.contains(&word.as_str()) {
                continue;
            }
            let translated = glossary.and_then(|g| g.translate(&word));
            let stems = match translated {
                Some(stems) => stems,
                // A French or German word the glossary does not know is kept
                // when it may be a loanword or an acronym (`Monitoring`,
                // `HACCP`), never when short: `falls` is German for "if".
                None if glossary.is_some() && !loanword(text, &word) => continue,
                None => {
                    let mut stems = vec![self.stem(&word)];
                    if let Some(more) = self.expansions.get(&word) {
                        stems.extend(more.iter().cloned());
                    }
                    stems
                }
            };
            terms.extend(stems.into_iter().map(|stem| Term {
                stem,
                word: word.clone(),
                weight,
            }));
        }
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(vocabulary: &Vocabulary, language: Language, text: &str) -> Vec<String> {
        vocabulary
            .terms(language, text, 1.0)
            .into_iter()
            .map(|t| t.stem)
            .collect()
    }

    #[test]
    fn german_compounds_split_into_catalogue_words() {
        let v = Vocabulary::new();
        let found = stems(&v, Language::De, "Schädlingsmonitoring");
        assert!(found.contains(&"pest".to_owned()), "{found:?}");
        assert!(found.contains(&"monitor".to_owned()), "{found:?}");
        let found = stems(&v, Language::De, "Reinigungsplan");
        assert!(found.contains(&"clean".to_owned()), "{found:?}");
    }

    #[test]
    fn french_words_and_english_jargon_reach_the_catalogue_vocabulary() {
        let v = Vocabulary::new();
        let found = stems(&v, Language::Fr, "Étalonnage du thermomètre");
        assert!(found.contains(&"calibr".to_owned()), "{found:?}");
        let found = stems(&v, Language::En, "Caliper DC-07 in use");
        assert!(found.contains(&"measur".to_owned()), "{found:?}");
        // Loanwords the glossary does not know stay as they are.
        assert!(stems(&v, Language::De, "HACCP").contains(&"haccp".to_owned()));
    }
}
