//! Cue lexicons: the words and short phrases by which an auditor or a meeting
//! chair recognises a finding, a request, a decision… in English, French and
//! German. Tables live in `en.rs`, `fr.rs`, `de.rs`; this module compiles them
//! once (stemming every cue) and finds them in sentences.
//!
//! Cue syntax, in the tables:
//! - words separated by spaces must follow each other: `not recorded`;
//! - ` ... ` lets up to [`GAP`] words come between two parts: `if ... could`;
//! - a word is compared by its Snowball stem (`expired` matches `expires`),
//!   unless written `=word`, compared as written (`=recorded` must not match
//!   the noun `record`), or `*word`, which matches any word whose stem ends
//!   with it (German compounds: `*protokoll` matches `Reinigungsprotokoll`);
//! - a leading `^` anchors the cue at the start of the sentence (`^morning`).

mod de;
mod en;
mod fr;

use std::collections::{HashMap, HashSet};

use myqa_core::capture::Language;
use rust_stemmers::Stemmer;

use super::words::{Token, split_words, stemmer, tokenize};

/// Most words a ` ... ` gap may span.
const GAP: usize = 8;

/// What a cue says about the sentence it occurs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Signal {
    /// Something is wrong: missing, expired, blank, cracked.
    Problem,
    /// Something is right: complete, all present, well maintained.
    Good,
    /// A suggestion: might be worth, could consider, vous pourriez.
    Improvement,
    /// Someone is asked to act: please, can you, merci de, bitte.
    Request,
    /// The speaker takes an action on: I'll, je m'en occupe, ich werde.
    Commitment,
    /// A due date: by Friday, d'ici vendredi, bis Freitag.
    Deadline,
    /// For the record: on leave, postponed, no longer applies.
    Note,
    /// A decision: we'll, agreed, let's, on part sur, wir machen.
    Decision,
    /// Figures and status: down to, compared with, en baisse, gesunken.
    Figure,
    /// A risk: if … could, only supplier, risque, Risiko.
    Risk,
    /// An open question: does anyone know, quelqu'un sait, weiß jemand.
    Question,
    /// Audit evidence named: record, certificate, fiche, Protokoll.
    Evidence,
    /// A negation: not, no, pas, nicht. Flips the cue that follows it.
    Negation,
    /// Small talk and logistics: greetings, coffee, mind the hose.
    SmallTalk,
    /// Past findings revisited: last year's report, l'an dernier.
    History,
    /// Asks for a status report: what happened, où en est, wie sieht es aus.
    Status,
    /// Announces an aside for the record: for your information, pour
    /// information, zur Info. What follows is a general note.
    Aside,
    /// States a requirement rather than what was found: the procedure says,
    /// la procédure prévoit, laut Verfahren.
    Requirement,
}

impl Signal {
    pub(crate) const COUNT: usize = Signal::Requirement as usize + 1;
}

/// A group of cues sharing a signal and a weight, as written in the tables.
#[derive(Debug)]
pub(crate) struct CueGroup {
    pub signal: Signal,
    pub weight: f32,
    pub cues: &'static [&'static str],
}

pub(crate) const fn group(signal: Signal, weight: f32, cues: &'static [&'static str]) -> CueGroup {
    CueGroup {
        signal,
        weight,
        cues,
    }
}

/// Plain word lists of a language (compared as written, lower case).
#[derive(Debug)]
pub(crate) struct WordLists {
    /// Function words and fillers: they do not make a sentence substantive.
    pub stopwords: &'static [&'static str],
    /// Spelled-out numbers (digits are recognised anyway).
    pub numbers: &'static [&'static str],
    /// Sentence openers that tie a sentence to the one before (`because`, `so`).
    pub continuations: &'static [&'static str],
    /// Openers of an answer that settles a yes/no question.
    pub answers: &'static [&'static str],
    /// Openers saying a requested action is done already.
    pub already: &'static [&'static str],
    /// Interjections skipped before looking for an imperative verb.
    pub fillers: &'static [&'static str],
    /// Verbs that, opening a sentence, make it an instruction (English; French
    /// and German imperatives are recognised by form).
    pub imperatives: &'static [&'static str],
    /// The "of" in "two of the four" (`of`, `sur`, `von`).
    pub proportion: &'static [&'static str],
    /// Articles that may come between it and the whole (`the`, `les`, `den`).
    pub articles: &'static [&'static str],
    /// Words after which the sentence makes its real point ("X, but Y").
    pub contrasts: &'static [&'static str],
}

#[derive(Debug, Clone)]
enum Pattern {
    Stem(String),
    Surface(String),
    StemSuffix(String),
}

impl Pattern {
    fn same_as(&self, other: &Pattern) -> bool {
        match (self, other) {
            (Pattern::Stem(a), Pattern::Stem(b)) | (Pattern::Surface(a), Pattern::Surface(b)) => {
                a == b
            }
            _ => false,
        }
    }

    fn matches(&self, token: &Token) -> bool {
        match self {
            Pattern::Stem(stem) => token.stem == *stem,
            Pattern::Surface(word) => token.lower == *word,
            Pattern::StemSuffix(suffix) => {
                token.stem.len() > suffix.len() + 2 && token.stem.ends_with(suffix.as_str())
            }
        }
    }
}

#[derive(Debug)]
struct Cue {
    /// Parts separated by gaps; each part a run of consecutive words.
    parts: Vec<Vec<Pattern>>,
    anchored: bool,
    signal: Signal,
    weight: f32,
    words: usize,
    /// Holds a negation word (`not recorded`, `n'a pas été`): like a bare
    /// negation, it flips the cue that follows it.
    negates: bool,
}

/// A cue found in a sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hit {
    pub signal: Signal,
    pub weight: f32,
    /// Index of its first and last word in the sentence.
    pub first: usize,
    pub last: usize,
    /// The cue holds a negation word.
    pub negates: bool,
}

/// A language's compiled lexicon.
pub(crate) struct Lexicon {
    pub language: Language,
    stemmer: Stemmer,
    cues: Vec<Cue>,
    by_stem: HashMap<String, Vec<usize>>,
    by_surface: HashMap<String, Vec<usize>>,
    by_suffix: Vec<usize>,
    stopwords: HashSet<&'static str>,
    numbers: HashSet<&'static str>,
    lists: &'static WordLists,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("language", &self.language)
            .field("cues", &self.cues.len())
            .finish()
    }
}

impl Lexicon {
    /// Compiles the tables of `language`: stems every cue once.
    pub(crate) fn new(language: Language) -> Lexicon {
        Lexicon::with_extra(language, &[])
    }

    /// The tables of `language` and `extra` cues (SnapReport reads written
    /// evidence, with cues of its own).
    pub(crate) fn with_extra(language: Language, extra: &'static [CueGroup]) -> Lexicon {
        let (groups, lists) = match language {
            Language::En => (en::CUES, &en::WORDS),
            Language::Fr => (fr::CUES, &fr::WORDS),
            Language::De => (de::CUES, &de::WORDS),
        };
        let stemmer = stemmer(language);
        let mut lexicon = Lexicon {
            language,
            stemmer,
            cues: Vec::new(),
            by_stem: HashMap::new(),
            by_surface: HashMap::new(),
            by_suffix: Vec::new(),
            stopwords: lists.stopwords.iter().copied().collect(),
            numbers: lists.numbers.iter().copied().collect(),
            lists,
        };
        for group in groups.iter().chain(extra) {
            for text in group.cues {
                let cue = lexicon.compile(text, group.signal, group.weight);
                let index = lexicon.cues.len();
                match &cue.parts[0][0] {
                    Pattern::Stem(stem) => {
                        lexicon.by_stem.entry(stem.clone()).or_default().push(index)
                    }
                    Pattern::Surface(word) => lexicon
                        .by_surface
                        .entry(word.clone())
                        .or_default()
                        .push(index),
                    Pattern::StemSuffix(_) => lexicon.by_suffix.push(index),
                }
                lexicon.cues.push(cue);
            }
        }
        // Cues holding a negation word negate too.
        let negations: Vec<Pattern> = lexicon
            .cues
            .iter()
            .filter(|cue| cue.signal == Signal::Negation && cue.words == 1)
            .map(|cue| cue.parts[0][0].clone())
            .collect();
        for cue in &mut lexicon.cues {
            cue.negates = cue.signal == Signal::Negation
                || cue
                    .parts
                    .iter()
                    .flatten()
                    .any(|pattern| negations.iter().any(|n| n.same_as(pattern)));
        }
        lexicon
    }

    fn compile(&self, text: &str, signal: Signal, weight: f32) -> Cue {
        let (anchored, text) = match text.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let parts: Vec<Vec<Pattern>> = text
            .split(" ... ")
            .map(|part| {
                part.split_whitespace()
                    .flat_map(|word| {
                        let (kind, bare) = match word.chars().next() {
                            Some('=') => ('=', &word[1..]),
                            Some('*') => ('*', &word[1..]),
                            _ => (' ', word),
                        };
                        // A table word may still split (`n'est` → `n`, `est`).
                        split_words(self.language, bare)
                            .into_iter()
                            .map(move |w| match kind {
                                '=' => Pattern::Surface(w),
                                '*' => Pattern::StemSuffix(self.stemmer.stem(&w).into_owned()),
                                _ => Pattern::Stem(self.stemmer.stem(&w).into_owned()),
                            })
                    })
                    .collect()
            })
            .collect();
        assert!(
            parts.iter().all(|p| !p.is_empty()),
            "cue {text:?} of the {:?} lexicon has an empty part",
            self.language
        );
        let words = parts.iter().map(Vec::len).sum();
        Cue {
            parts,
            anchored,
            signal,
            weight,
            words,
            negates: false,
        }
    }

    pub(crate) fn tokenize(&self, text: &str) -> Vec<Token> {
        tokenize(self.language, &self.stemmer, text)
    }

    pub(crate) fn lists(&self) -> &'static WordLists {
        self.lists
    }

    pub(crate) fn is_stopword(&self, word: &str) -> bool {
        self.stopwords.contains(word)
    }

    pub(crate) fn is_number(&self, word: &str) -> bool {
        word.chars().all(|c| c.is_ascii_digit()) || self.numbers.contains(word)
    }

    /// Whether the words say "N of (the) M" (`two of the four sinks`,
    /// `trois sur dix`, `zwei von vier`): a count out of a whole.
    pub(crate) fn has_proportion(&self, words: &[&str]) -> bool {
        words.windows(3).enumerate().any(|(i, w)| {
            let of = self.lists.proportion.contains(&w[1]);
            let then_number = self.is_number(w[2])
                || (self.lists.articles.contains(&w[2])
                    && words.get(i + 3).is_some_and(|n| self.is_number(n)));
            self.is_number(w[0]) && of && then_number
        })
    }

    /// The cues in a sentence. Where cues overlap, the longer one wins (then
    /// the heavier, then the earlier): `no longer applies` is a note, not a
    /// negation; `not recorded` is a problem, not a record. Cues of other
    /// signals on exactly the same words all count.
    pub(crate) fn find(&self, tokens: &[Token]) -> Vec<Hit> {
        let mut candidates: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut try_cue = |index: usize, at: usize| {
            if let Some(positions) = self.match_at(&self.cues[index], tokens, at) {
                candidates.push((index, positions));
            }
        };
        for (at, token) in tokens.iter().enumerate() {
            for list in [
                self.by_stem.get(&token.stem),
                self.by_surface.get(&token.lower),
            ]
            .into_iter()
            .flatten()
            {
                for &index in list {
                    try_cue(index, at);
                }
            }
            for &index in &self.by_suffix {
                try_cue(index, at);
            }
        }
        candidates.sort_by(|(a, pa), (b, pb)| {
            let (a, b) = (&self.cues[*a], &self.cues[*b]);
            b.words
                .cmp(&a.words)
                .then(b.weight.total_cmp(&a.weight))
                .then(pa[0].cmp(&pb[0]))
                .then(a.signal.cmp(&b.signal))
        });
        // Accepted matches: their words and signal. The same words may carry
        // several signals (`passed` is good news in an audit and a status in a
        // meeting), but once per signal.
        let mut accepted: Vec<(Vec<usize>, Signal)> = Vec::new();
        let mut taken = vec![false; tokens.len()];
        let mut hits = Vec::new();
        for (index, positions) in candidates {
            let cue = &self.cues[index];
            let parallel = accepted.iter().any(|(p, _)| *p == positions)
                && !accepted
                    .iter()
                    .any(|(p, s)| *p == positions && *s == cue.signal);
            if !parallel && positions.iter().any(|&p| taken[p]) {
                continue;
            }
            for &p in &positions {
                taken[p] = true;
            }
            hits.push(Hit {
                signal: cue.signal,
                weight: cue.weight,
                first: positions[0],
                last: *positions.last().unwrap_or(&positions[0]),
                negates: cue.negates,
            });
            accepted.push((positions, cue.signal));
        }
        hits.sort_by(|a, b| a.first.cmp(&b.first).then(a.signal.cmp(&b.signal)));
        hits
    }

    /// The word positions of `cue` when it starts at `at`.
    fn match_at(&self, cue: &Cue, tokens: &[Token], at: usize) -> Option<Vec<usize>> {
        if cue.anchored && at != 0 {
            return None;
        }
        let mut positions = Vec::with_capacity(cue.words);
        let first = &cue.parts[0];
        if !run_matches(first, tokens, at) {
            return None;
        }
        positions.extend(at..at + first.len());
        let mut next = at + first.len();
        for part in &cue.parts[1..] {
            let found =
                (next..=(next + GAP).min(tokens.len())).find(|&p| run_matches(part, tokens, p))?;
            positions.extend(found..found + part.len());
            next = found + part.len();
        }
        Some(positions)
    }
}

fn run_matches(run: &[Pattern], tokens: &[Token], at: usize) -> bool {
    at + run.len() <= tokens.len()
        && run
            .iter()
            .zip(&tokens[at..])
            .all(|(pattern, token)| pattern.matches(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(language: Language, text: &str) -> Vec<Signal> {
        let lexicon = Lexicon::new(language);
        lexicon
            .find(&lexicon.tokenize(text))
            .into_iter()
            .map(|h| h.signal)
            .collect()
    }

    #[test]
    fn every_table_compiles() {
        for language in Language::ALL {
            let lexicon = Lexicon::new(language);
            assert!(
                lexicon.cues.len() > 200,
                "{language:?}: {}",
                lexicon.cues.len()
            );
        }
    }

    #[test]
    fn longer_cues_win_over_the_words_inside_them() {
        assert!(
            signals(Language::En, "the borehole testing no longer applies").contains(&Signal::Note)
        );
        assert!(
            !signals(Language::En, "the borehole testing no longer applies")
                .contains(&Signal::Negation)
        );
        assert!(signals(Language::En, "the check isn't recorded").contains(&Signal::Problem));
    }

    #[test]
    fn gaps_stems_and_compounds() {
        assert!(
            signals(
                Language::En,
                "If drain seven confirms positive, we could have a problem"
            )
            .contains(&Signal::Risk)
        );
        assert!(signals(Language::Fr, "Les relevés sont complets").contains(&Signal::Good));
        let compound = signals(Language::De, "Das Reinigungsprotokoll ist unvollständig");
        assert!(compound.contains(&Signal::Evidence), "{compound:?}");
        assert!(compound.contains(&Signal::Problem), "{compound:?}");
    }
}
