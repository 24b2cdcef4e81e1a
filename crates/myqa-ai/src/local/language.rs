//! Which of the engine's languages a transcript is in.

use myqa_core::capture::Language;
use whatlang::{Detector, Lang};

/// How much text the detector reads: a few thousand characters decide the
/// language as well as the whole transcript would, at a fraction of the cost.
const SAMPLE_BYTES: usize = 4000;

/// Below this confidence the detector's pick among en/fr/de is a guess, and
/// the engine falls back to English (SPEC §12: default `en` when unsure).
const MIN_CONFIDENCE: f64 = 0.2;

/// Detects the language of what was said in `text`: the stretches `spoken`
/// (speaker labels left out: they are often English in a French transcript),
/// up to the detector's sample size; the whole text if there are none.
pub(crate) fn detect_spoken(
    text: &str,
    spoken: impl IntoIterator<Item = std::ops::Range<usize>>,
) -> Language {
    let mut sample = String::new();
    for range in spoken {
        if sample.len() >= SAMPLE_BYTES {
            break;
        }
        sample.push_str(text.get(range).unwrap_or_default());
        sample.push(' ');
    }
    if sample.trim().is_empty() {
        detect(text)
    } else {
        detect(&sample)
    }
}

/// Detects the language of `text`: English, French or German, and English
/// when the text is in another language or too short to tell.
pub(crate) fn detect(text: &str) -> Language {
    let sample = sample(text);
    if sample.trim().is_empty() {
        return Language::En;
    }
    // First ask the unrestricted detector: a confident answer naming another
    // language means "other", which maps to English.
    if let Some(info) = Detector::new().detect(sample) {
        if let Some(language) = ours(info.lang()) {
            return language;
        }
        if info.is_reliable() {
            return Language::En;
        }
    }
    // Unsure: choose among the three, if one stands out.
    let ours_only = Detector::with_allowlist(vec![Lang::Eng, Lang::Fra, Lang::Deu]);
    match ours_only.detect(sample) {
        Some(info) if info.confidence() >= MIN_CONFIDENCE => {
            ours(info.lang()).unwrap_or(Language::En)
        }
        _ => Language::En,
    }
}

fn ours(lang: Lang) -> Option<Language> {
    match lang {
        Lang::Eng => Some(Language::En),
        Lang::Fra => Some(Language::Fr),
        Lang::Deu => Some(Language::De),
        _ => None,
    }
}

/// The first `SAMPLE_BYTES` of `text`, cut at a character boundary.
fn sample(text: &str) -> &str {
    if text.len() <= SAMPLE_BYTES {
        return text;
    }
    let mut end = SAMPLE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_english_french_german() {
        assert_eq!(
            detect(
                "The calibration certificate for the reference thermometer expired at the end of March."
            ),
            Language::En
        );
        assert_eq!(
            detect(
                "La fiche de nettoyage de la trancheuse s'arrête vendredi dernier, alors qu'elle a servi toute la semaine."
            ),
            Language::Fr
        );
        assert_eq!(
            detect(
                "Das Reinigungsprotokoll für die Schneidemaschine ist seit Freitag nicht mehr ausgefüllt worden."
            ),
            Language::De
        );
    }

    #[test]
    fn other_languages_and_noise_fall_back_to_english() {
        assert_eq!(
            detect(
                "El certificado de calibración del termómetro caducó a finales de marzo y nadie lo renovó."
            ),
            Language::En
        );
        assert_eq!(detect("   "), Language::En);
        assert_eq!(detect("12 34 56"), Language::En);
    }

    #[test]
    fn long_text_is_sampled_at_a_char_boundary() {
        let text = "é".repeat(SAMPLE_BYTES);
        assert!(sample(&text).len() <= SAMPLE_BYTES);
    }
}
