//! Words as the lexicons see them: lower-cased tokens and their Snowball stems.

use myqa_core::capture::Language;
use rust_stemmers::{Algorithm, Stemmer};

/// One word of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Lower case, as written (`recorded`).
    pub lower: String,
    /// Snowball stem of `lower` (`record`).
    pub stem: String,
}

/// Splits text into lower-case words.
///
/// Apostrophes depend on the language: English keeps contractions whole
/// (`isn't`, `there's`) because the lexicon quotes them that way; French splits
/// elisions (`n'est` → `n`, `est`; `d'ici` → `d`, `ici`) so that the negation
/// `n` and the preposition `d` are words of their own; German barely uses them.
/// Hyphens split (`sign-off` → `sign`, `off`; `envoyez-moi` → `envoyez`, `moi`).
pub(crate) fn split_words(language: Language, text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        } else if is_apostrophe(c) && language == Language::En && !current.is_empty() {
            current.push('\'');
        } else {
            flush(&mut current, &mut words);
        }
    }
    flush(&mut current, &mut words);
    words
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`' | '´')
}

fn flush(current: &mut String, words: &mut Vec<String>) {
    let word = current.trim_end_matches('\'');
    if !word.is_empty() {
        words.push(word.to_owned());
    }
    current.clear();
}

/// The Snowball stemmer of each language the engine reads.
pub(crate) fn stemmer(language: Language) -> Stemmer {
    Stemmer::create(match language {
        Language::En => Algorithm::English,
        Language::Fr => Algorithm::French,
        Language::De => Algorithm::German,
    })
}

/// Words and stems of `text`.
pub(crate) fn tokenize(language: Language, stemmer: &Stemmer, text: &str) -> Vec<Token> {
    split_words(language, text)
        .into_iter()
        .map(|lower| {
            let stem = stemmer.stem(&lower).into_owned();
            Token { lower, stem }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_keeps_contractions_french_splits_elisions() {
        assert_eq!(
            split_words(Language::En, "It isn't recorded; the drivers' sign-off."),
            ["it", "isn't", "recorded", "the", "drivers", "sign", "off"]
        );
        assert_eq!(
            split_words(Language::Fr, "Rien n’indique d'ici vendredi"),
            ["rien", "n", "indique", "d", "ici", "vendredi"]
        );
        assert_eq!(
            split_words(Language::De, "Die Prüfung fehlt."),
            ["die", "prüfung", "fehlt"]
        );
    }

    #[test]
    fn tokens_carry_stems() {
        let tokens = tokenize(Language::En, &stemmer(Language::En), "Missing records");
        assert_eq!(tokens[0].stem, "miss");
        assert_eq!(tokens[1].stem, "record");
    }
}
