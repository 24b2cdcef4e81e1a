//! The clauses in scope as a BM25 index: which requirement does a passage of
//! evidence talk about?
//!
//! A clause's document is its chapter, section and clause titles and its
//! requirement summary, as English stems; titles count double, because a
//! title names the topic where a requirement also lists what surrounds it.
//! Built per request (the scope differs from request to request), which costs
//! about a millisecond for the largest standard.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::f32::consts::LN_2;

use myqa_core::standard::{Clause, Standard};
use uuid::Uuid;

use super::vocabulary::{Term, Vocabulary};
use crate::local::lexicon::Lexicon;
use crate::local::words::split_words;
use myqa_core::capture::Language;

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation.
const B: f32 = 0.75;
/// How much more a title word counts than a requirement word.
const TITLE_WEIGHT: f32 = 2.0;
/// Added to a clause whose number (or its section's) the evidence quotes.
const NUMBER_BONUS: f32 = 6.0;

/// One clause of the index.
pub(super) struct Entry<'s> {
    pub clause: &'s Clause,
    /// Its topic: the number of the clause's parent (`2.3.9` for IFS
    /// `2.3.9.1`, `4.14` for BRCGS `4.14.5`, `9.2` for ISO `9.2.1`), or the
    /// section's when the clause is the section (ISO `7.2`). The catalogue's
    /// sections are coarser in IFS (`2.3` is all of HACCP), so the parent
    /// number, not the section, groups clauses about one thing.
    pub section: &'s str,
    terms: HashMap<String, f32>,
    length: f32,
}

pub(super) struct ClauseIndex<'s> {
    pub entries: Vec<Entry<'s>>,
    idf: HashMap<String, f32>,
    average_length: f32,
}

/// What one query term contributed to a clause's score.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Match {
    pub entry: usize,
    pub score: f32,
    /// The evidence words that matched, most weighty first.
    pub words: Vec<String>,
}

impl<'s> ClauseIndex<'s> {
    /// Indexes the clauses of `chapters` (those in scope).
    pub(super) fn new(
        standard: &'s Standard,
        processes: &[Uuid],
        vocabulary: &Vocabulary,
        english: &Lexicon,
    ) -> ClauseIndex<'s> {
        let words = |text: &str| -> Vec<String> {
            split_words(Language::En, text)
                .into_iter()
                .filter(|w| !english.is_stopword(w) && !w.chars().all(|c| c.is_ascii_digit()))
                .map(|w| vocabulary.stem(&w))
                .collect()
        };
        let mut entries = Vec::new();
        for chapter in myqa_core::snapreport::chapters_in_scope(standard, processes) {
            for section in &chapter.sections {
                for clause in &section.clauses {
                    let mut terms: HashMap<String, f32> = HashMap::new();
                    let titles = [chapter.title.as_str(), &section.title, &clause.title];
                    for title in titles {
                        for stem in words(title) {
                            *terms.entry(stem).or_default() += TITLE_WEIGHT;
                        }
                    }
                    for stem in words(&clause.requirement) {
                        *terms.entry(stem).or_default() += 1.0;
                    }
                    let length = terms.values().sum();
                    entries.push(Entry {
                        clause,
                        section: topic(&clause.number, &section.number),
                        terms,
                        length,
                    });
                }
            }
        }
        let mut df: HashMap<&str, usize> = HashMap::new();
        for entry in &entries {
            for stem in entry.terms.keys() {
                *df.entry(stem.as_str()).or_default() += 1;
            }
        }
        let n = entries.len() as f32;
        let idf = df
            .into_iter()
            .map(|(stem, df)| {
                let df = df as f32;
                (stem.to_owned(), (1.0 + (n - df + 0.5) / (df + 0.5)).ln())
            })
            .collect();
        let average_length = if entries.is_empty() {
            1.0
        } else {
            entries.iter().map(|e| e.length).sum::<f32>() / n
        };
        ClauseIndex {
            entries,
            idf,
            average_length,
        }
    }

    /// Scores every clause against a passage's terms; only clauses with a
    /// positive score are returned, best first. `numbers` are the clause or
    /// section numbers the passage quotes.
    pub(super) fn search(&self, terms: &[Term], numbers: &[String]) -> Vec<Match> {
        // Query term frequencies, and which evidence word brought each stem.
        // Ordered, so that sums and ties come out the same on every run.
        let mut query: BTreeMap<&str, (f32, &str)> = BTreeMap::new();
        for term in terms {
            let slot = query.entry(term.stem.as_str()).or_insert((0.0, &term.word));
            slot.0 += term.weight;
        }
        let mut matches = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let mut score = 0.0;
            let mut words: Vec<(f32, &str)> = Vec::new();
            for (stem, (count, word)) in &query {
                let Some(tf) = entry.terms.get(*stem) else {
                    continue;
                };
                let idf = self.idf.get(*stem).copied().unwrap_or(0.0);
                let norm = K1 * (1.0 - B + B * entry.length / self.average_length);
                // Repeating a word in the evidence helps, with diminishing
                // returns (1 for one occurrence, 1.58 for two…).
                let contribution = idf * tf * (K1 + 1.0) / (tf + norm) * count.ln_1p() / LN_2;
                score += contribution;
                words.push((contribution, word));
            }
            let quoted = numbers.iter().any(|n| {
                *n == entry.clause.number
                    || *n == entry.section
                    || entry.clause.number.starts_with(&format!("{n}."))
            });
            if quoted {
                score += NUMBER_BONUS;
            }
            if score > 0.0 {
                words.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
                let mut seen = HashSet::new();
                let words = words
                    .into_iter()
                    .filter(|(_, w)| seen.insert(*w))
                    .map(|(_, w)| w.to_owned())
                    .collect();
                matches.push(Match {
                    entry: index,
                    score,
                    words,
                });
            }
        }
        matches.sort_by(|a, b| b.score.total_cmp(&a.score));
        matches
    }
}

/// The topic number of a clause (see [`Entry::section`]).
fn topic<'s>(clause: &'s str, section: &'s str) -> &'s str {
    match clause.rsplit_once('.') {
        Some((parent, _)) if clause != section && parent.len() >= section.len() => parent,
        _ => section,
    }
}

/// Clause or section numbers quoted in a text (`7.1.5`, `4.14`): dotted
/// digit groups, at least two.
pub(super) fn quoted_numbers(text: &str) -> Vec<String> {
    let mut numbers = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        let candidate = text[i..end].trim_end_matches('.');
        let groups: Vec<&str> = candidate.split('.').collect();
        // `2024.03` is a date, `12.5` a reading; section numbers have small
        // leading groups and come in two or more groups.
        if groups.len() >= 2
            && groups.iter().all(|g| !g.is_empty() && g.len() <= 2)
            && groups.len() + usize::from(groups[0].len() == 1) >= 3
        {
            numbers.push(candidate.to_owned());
        }
        i = end.max(i + 1);
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_group_by_their_parent_number() {
        assert_eq!(topic("2.3.9.1", "2.3"), "2.3.9");
        assert_eq!(topic("4.14.5", "4.14"), "4.14");
        assert_eq!(topic("9.2.1", "9.2"), "9.2");
        assert_eq!(topic("7.2", "7.2"), "7.2");
        assert_eq!(topic("8.5.1", "8.5"), "8.5");
    }

    #[test]
    fn section_numbers_are_told_from_readings_and_dates() {
        assert_eq!(
            quoted_numbers("See 7.1.5 and clause 4.14; 12.5 C on 03.04.2024"),
            ["7.1.5", "4.14"]
        );
    }
}
