//! Scores each sentence for every category of the session type, from the cues
//! it carries and its place in the conversation, and keeps the best category
//! when it is clear enough. Everything else (small talk, logistics, auditee
//! chatter, answered questions) yields no observation.

use myqa_core::capture::{Category, Language, SessionType};

use super::lexicon::{Hit, Lexicon, Signal};
use super::sentences::Sentence;
use super::transcript::Turn;

/// A category is kept at this score or above: one strong cue, or a medium
/// one with support.
const THRESHOLD: f32 = 2.0;
/// A sentence needs this many content words to be worth an observation…
const MIN_CONTENT_WORDS: usize = 4;
/// …or one fewer with a score this high ("Please replace the diffuser.").
const STRONG_SCORE: f32 = 3.0;
/// Naming the evidence (a record, a certificate) makes a statement an audit
/// finding rather than a remark.
const EVIDENCE_BONUS: f32 = 0.75;
/// An instruction by verb form ("Send me…", "Envoyez-moi…", "Schicken Sie…").
const IMPERATIVE: f32 = 2.0;
/// In audits, findings are the auditor's: what the auditee says weighs this
/// much (their commitments and explanations are not findings).
const AUDITEE_WEIGHT: f32 = 0.35;
/// In audits, taking an action on is mostly the auditee's reply, not an
/// action item of the audit.
const AUDIT_COMMITMENT_WEIGHT: f32 = 0.25;
/// A negation flips a Problem or Good cue this many words after it.
const NEGATION_REACH: usize = 3;
/// A question settled by a yes/no answer is no longer an open question.
const ANSWERED_PENALTY: f32 = 1.5;
/// A meeting statement with figures ("four this month, eleven in March") is
/// half a key point already; a single number, a quarter of one.
const FIGURES_BONUS: f32 = 1.0;
/// A short evaluation right after a statement by the same speaker ("That's
/// good.", "C'est bien.") says what the statement was.
const ECHO_BONUS: f32 = 1.0;
/// An explicit request ("Please…", "I'd like to see…") is the action item
/// even when it names a finding: the finding's scores are scaled by this.
const REQUEST_PRECEDENCE: f32 = 0.5;
/// A sentence making a suggestion ("…, so it might be worth…") is the
/// suggestion: what it says of the present state, good or bad, is scaled by
/// these.
const SUGGESTION_PRECEDENCE_GOOD: f32 = 0.5;
const SUGGESTION_PRECEDENCE_PROBLEM: f32 = 0.6;
/// "For your information, …" announces a general note: other findings in
/// the sentence are scaled by this.
const ASIDE_PRECEDENCE: f32 = 0.5;
/// Polarity cues before a "but" weigh this much.
const BEFORE_CONTRAST: f32 = 0.5;
/// A long statement by the auditor naming the evidence and saying something
/// good of it, with nothing wrong, is how positive findings are put.
const STATEMENT_BONUS: f32 = 0.5;
const STATEMENT_WORDS: usize = 8;
/// An answer to "what happened?" / "où en est…?" is a status report.
const STATUS_REPLY_BONUS: f32 = 1.0;
const STATUS_REPLY_WORDS: usize = 5;
/// A question whose answer is "not sure" / "noch offen" is an open one.
const UNSURE_REPLY_BONUS: f32 = 1.0;
/// "Two of the four sinks…": in an audit, only part of something is as it
/// should be; in a meeting, a figure.
const PROPORTION_PROBLEM: f32 = 1.0;
const PROPORTION_FIGURE: f32 = 1.5;

/// What a sentence says, independent of its neighbours.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Facts {
    signals: [f32; Signal::COUNT],
    pub content_words: usize,
    pub question: bool,
    /// How many numbers it carries (a percentage counts as two: it compares).
    pub numbers: usize,
    /// Counts part of a whole ("two of the four").
    pub proportion: bool,
    pub imperative: bool,
    /// Opens with a word tying it to the sentence before ("because", "so").
    pub continues: bool,
    /// Opens with yes or no.
    pub answer: bool,
    /// Says a requested action is done already.
    pub already: bool,
}

impl Facts {
    pub(crate) fn signal(&self, signal: Signal) -> f32 {
        self.signals[signal as usize]
    }
}

/// A sentence's facts and verdict.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assessment {
    pub facts: Facts,
    pub category: Option<Category>,
    /// The winning score (0 when no category was kept).
    pub score: f32,
}

/// Reads one sentence.
pub(crate) fn facts(lexicon: &Lexicon, text: &str) -> Facts {
    let tokens = lexicon.tokenize(text);
    let hits = lexicon.find(&tokens);
    let lists = lexicon.lists();
    let mut signals = [0.0f32; Signal::COUNT];
    let negations: Vec<&Hit> = hits.iter().filter(|h| h.negates).collect();
    let negated = |hit: &Hit| {
        negations
            .iter()
            .any(|n| n.last < hit.first && hit.first - n.last <= NEGATION_REACH)
    };
    // "X, but Y": Y is the point. What is good or wrong before the last
    // "but" / "mais" / "aber" counts for less.
    let contrast = tokens
        .iter()
        .rposition(|t| lists.contrasts.contains(&t.lower.as_str()))
        .filter(|at| *at > 0);
    let mut negation = 0.0f32;
    for hit in &hits {
        let polar = matches!(
            hit.signal,
            Signal::Good | Signal::Problem | Signal::Negation
        );
        let weight = if polar && contrast.is_some_and(|at| hit.last < at) {
            hit.weight * BEFORE_CONTRAST
        } else {
            hit.weight
        };
        match hit.signal {
            // "not complete", "n'est pas conforme", "nicht vollständig".
            Signal::Good if negated(hit) => signals[Signal::Problem as usize] += weight,
            // "no issues", "aucun écart", "keine Mängel" (half: weaker than said outright).
            Signal::Problem if negated(hit) => signals[Signal::Good as usize] += weight / 2.0,
            // One negation says "something is not so"; more add nothing.
            Signal::Negation => negation = negation.max(weight),
            signal => signals[signal as usize] += weight,
        }
        // "had no", "not recorded": a problem cue holding a negation is one.
        if hit.negates && hit.signal == Signal::Problem {
            negation = negation.max(weight);
        }
    }
    signals[Signal::Negation as usize] = negation.min(1.0);

    let question = text
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '’' | '»' | ')'))
        .ends_with('?');
    let words: Vec<&str> = tokens.iter().map(|t| t.lower.as_str()).collect();
    let content_words = words
        .iter()
        .filter(|w| w.chars().count() > 1 && !lexicon.is_stopword(w))
        .count();
    let numbers = words.iter().filter(|w| lexicon.is_number(w)).count()
        + if text.contains('%') { 2 } else { 0 };
    let first = words.first().copied().unwrap_or("");
    let opening: Vec<&str> = words
        .iter()
        .copied()
        .skip_while(|w| lists.fillers.contains(w))
        .collect();
    Facts {
        signals,
        content_words,
        question,
        numbers,
        proportion: lexicon.has_proportion(&words),
        imperative: !question && is_imperative(lexicon.language, lists.imperatives, &opening),
        continues: lists.continuations.contains(&first),
        answer: lists.answers.contains(&first),
        already: words.iter().take(3).any(|w| lists.already.contains(w)),
    }
}

/// German verbs that, before `Sie`, make a question or a statement rather
/// than an instruction ("Haben Sie…", "Heute sehen Sie…").
const DE_NOT_IMPERATIVE: &[&str] = &[
    "haben", "sind", "waren", "hatten", "wissen", "wie", "was", "wo", "wann", "warum", "wer",
    "welche", "welches", "können", "könnten", "müssen", "sollten", "würden", "werden", "dürfen",
    "möchten", "wollen", "da", "hier", "heute", "jetzt", "dann", "das", "die", "der", "wenn", "ob",
    "dass", "weil", "machen", "brauchen",
];

/// Whether a sentence opens (fillers skipped) with an instruction.
fn is_imperative(language: Language, imperatives: &[&str], opening: &[&str]) -> bool {
    let Some(&verb) = opening.first() else {
        return false;
    };
    match language {
        Language::En => imperatives.contains(&verb),
        // "Envoyez-moi…", "Vérifiez…"; "Avez-vous…" is a question.
        Language::Fr => {
            verb.ends_with("ez")
                && verb.chars().count() >= 5
                && !matches!(verb, "chez" | "assez")
                && opening.get(1) != Some(&"vous")
        }
        // "Schicken Sie mir…", "Sorgen Sie dafür…".
        Language::De => opening.get(1) == Some(&"sie") && !DE_NOT_IMPERATIVE.contains(&verb),
    }
}

/// Where a sentence stands in the conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Context {
    /// An audit with a labelled auditor, and this is someone else speaking.
    pub auditee: bool,
    /// The next speaker opens with yes or no.
    pub answered: bool,
    /// The next speaker says it is done already.
    pub already_done: bool,
    /// The next speaker does not know either ("not sure", "noch offen").
    pub reply_unsure: bool,
    /// The same speaker follows with a short evaluation: positive
    /// (`Some(true)`) or negative (`Some(false)`).
    pub echo: Option<bool>,
    /// Said in reply to a status prompt by someone else.
    pub status_reply: bool,
}

/// Scores of every category of `session`, in order of precedence on a tie:
/// an explicit request is an action item even when it names the problem
/// ("Please replace the cracked diffuser"); a general note comes last.
pub(crate) fn scores(
    session: SessionType,
    facts: &Facts,
    context: Context,
) -> Vec<(Category, f32)> {
    let s = |signal| facts.signal(signal);
    let chatter = s(Signal::SmallTalk);
    let deadline = s(Signal::Deadline).min(1.0);
    let imperative = if facts.imperative { IMPERATIVE } else { 0.0 };
    let explicit_request = s(Signal::Request) >= THRESHOLD;
    let aside = s(Signal::Aside) >= THRESHOLD;
    let mut scores = match session {
        SessionType::Audit => {
            let evidence = if s(Signal::Evidence) > 0.0 {
                EVIDENCE_BONUS
            } else {
                0.0
            };
            let history = s(Signal::History);
            let proportion = if facts.proportion {
                PROPORTION_PROBLEM
            } else {
                0.0
            };
            let problem = s(Signal::Problem) + s(Signal::Negation) + proportion;
            let mut good = s(Signal::Good);
            // A sentence that makes a suggestion is the suggestion, whatever
            // good it says of the present state.
            let suggestion = s(Signal::Improvement) >= THRESHOLD;
            if suggestion {
                good *= SUGGESTION_PRECEDENCE_GOOD;
            }
            let echo_good = if context.echo == Some(true) {
                ECHO_BONUS
            } else {
                0.0
            };
            let echo_bad = if context.echo == Some(false) {
                ECHO_BONUS
            } else {
                0.0
            };
            let mut action = s(Signal::Request).max(imperative)
                + AUDIT_COMMITMENT_WEIGHT * s(Signal::Commitment);
            if action > 0.0 {
                action += deadline;
            }
            let mut nonconformity = if problem > 0.0 {
                problem + evidence
            } else {
                0.0
            } - history
                + echo_bad;
            let statement = !facts.question
                && facts.content_words >= STATEMENT_WORDS
                && evidence > 0.0
                && problem == 0.0;
            let good = if good > 0.0 && statement {
                good + STATEMENT_BONUS
            } else {
                good
            };
            let mut positive = if good > 0.0 { good + evidence } else { 0.0 } - history + echo_good;
            let mut improvement = s(Signal::Improvement) - history / 2.0;
            let mut note = s(Signal::Note) + s(Signal::Aside);
            positive -= s(Signal::Requirement);
            if suggestion {
                nonconformity *= SUGGESTION_PRECEDENCE_PROBLEM;
            }
            if aside {
                nonconformity *= ASIDE_PRECEDENCE;
                positive *= ASIDE_PRECEDENCE;
                improvement *= ASIDE_PRECEDENCE;
            }
            if explicit_request {
                nonconformity *= REQUEST_PRECEDENCE;
                positive *= REQUEST_PRECEDENCE;
                improvement *= REQUEST_PRECEDENCE;
            }
            if facts.question {
                // An auditor's question gathers evidence; only a request in
                // question form ("Can you…?") is an outcome.
                nonconformity = 0.0;
                positive = 0.0;
                improvement = 0.0;
                note = 0.0;
                action = if s(Signal::Request) > 0.0 {
                    s(Signal::Request) + deadline
                } else {
                    0.0
                };
            }
            vec![
                (Category::ActionItem, action),
                (Category::Nonconformity, nonconformity),
                (Category::OpportunityForImprovement, improvement),
                (Category::PositiveFinding, positive),
                (Category::GeneralNote, note),
            ]
        }
        SessionType::Meeting => {
            let mut action = s(Signal::Request).max(imperative) + s(Signal::Commitment);
            if action > 0.0 {
                action += deadline;
            }
            let mut decision = s(Signal::Decision);
            let figures = match facts.numbers {
                0 => 0.0,
                1 => FIGURES_BONUS / 2.0,
                2 => FIGURES_BONUS,
                _ => FIGURES_BONUS * 1.5,
            };
            let proportion = if facts.proportion {
                PROPORTION_FIGURE
            } else {
                0.0
            };
            let status = if context.status_reply
                && !facts.question
                && facts.content_words >= STATUS_REPLY_WORDS
            {
                STATUS_REPLY_BONUS
            } else {
                0.0
            };
            let mut key_point = s(Signal::Figure) + figures + proportion + status;
            let mut risk = s(Signal::Risk);
            let mut note = s(Signal::Note) + s(Signal::Aside);
            if aside {
                decision *= ASIDE_PRECEDENCE;
                key_point *= ASIDE_PRECEDENCE;
                risk *= ASIDE_PRECEDENCE;
            }
            let question = if facts.question {
                decision = 0.0;
                key_point = 0.0;
                risk = 0.0;
                note = 0.0;
                action = if s(Signal::Request) > 0.0 {
                    s(Signal::Request) + deadline
                } else {
                    0.0
                };
                if explicit_request {
                    // "Can you check whether…?" asks for an action.
                    0.0
                } else {
                    let substance = 0.1 * facts.content_words.min(10) as f32;
                    let (settled, open) = match (context.reply_unsure, context.answered) {
                        (true, _) => (0.0, UNSURE_REPLY_BONUS),
                        (false, true) => (ANSWERED_PENALTY, 0.0),
                        (false, false) => (0.0, 0.0),
                    };
                    1.0 + substance + s(Signal::Question) + open - settled
                }
            } else {
                s(Signal::Question) / 2.0
            };
            vec![
                (Category::ActionItem, action),
                (Category::Decision, decision),
                (Category::Risk, risk),
                (Category::Question, question),
                (Category::KeyPoint, key_point),
                (Category::GeneralNote, note),
            ]
        }
    };
    for (category, score) in &mut scores {
        if *category == Category::ActionItem && context.already_done {
            *score = 0.0;
        }
        *score -= chatter;
        if context.auditee {
            *score *= AUDITEE_WEIGHT;
        }
    }
    scores
}

/// The category to keep, if any: the best score when it reaches the
/// threshold and the sentence has substance. Ties go to the category listed
/// first (see [`scores`]), so the outcome depends on nothing but the input.
pub(crate) fn verdict(facts: &Facts, scores: &[(Category, f32)]) -> Option<(Category, f32)> {
    let (category, score) =
        scores
            .iter()
            .copied()
            .fold(None, |best: Option<(Category, f32)>, (c, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((c, s)),
            })?;
    let substantive = facts.content_words >= MIN_CONTENT_WORDS
        || (facts.content_words + 1 >= MIN_CONTENT_WORDS && score >= STRONG_SCORE);
    (score >= THRESHOLD && substantive).then_some((category, score))
}

/// Whether a sentence is a short evaluation ("That's good.", "Not great."):
/// `Some(true)` positive, `Some(false)` negative.
fn evaluation(facts: &Facts) -> Option<bool> {
    if facts.question || facts.content_words >= MIN_CONTENT_WORDS {
        return None;
    }
    let good = facts.signal(Signal::Good);
    let bad = facts.signal(Signal::Problem) + facts.signal(Signal::Negation);
    if good > 0.0 && bad == 0.0 {
        Some(true)
    } else if facts.signal(Signal::Problem) > good {
        Some(false)
    } else {
        None
    }
}

/// Labels that name the auditor, in the languages the engine reads.
const AUDITOR_LABELS: &[&str] = &[
    "audit", "prüf", "inspect", "assessor", "evaluat", "évaluat", "gutacht",
];

fn is_auditor(label: &str) -> bool {
    let label = label.to_lowercase();
    AUDITOR_LABELS.iter().any(|part| label.contains(part))
}

/// Assesses every sentence of a transcript.
pub(crate) fn assess(
    session: SessionType,
    lexicon: &Lexicon,
    transcript: &str,
    turns: &[Turn],
    sentences: &[Sentence],
) -> Vec<Assessment> {
    let all_facts: Vec<Facts> = sentences
        .iter()
        .map(|s| facts(lexicon, &transcript[s.start..s.end]))
        .collect();
    let speaker = |i: usize| turns[sentences[i].turn].speaker.as_deref();
    // For each sentence, the first sentence of the turn after its own.
    let mut next_turn_start = vec![None; sentences.len()];
    let mut first_of_next: Option<usize> = None;
    for i in (0..sentences.len()).rev() {
        next_turn_start[i] = first_of_next;
        if i == 0 || sentences[i].turn != sentences[i - 1].turn {
            first_of_next = Some(i);
        }
    }
    // For each sentence, the last sentence of the turn before its own.
    let mut previous_turn_end = vec![None; sentences.len()];
    let mut last_of_turn: Option<usize> = None;
    for i in 0..sentences.len() {
        if i > 0 && sentences[i].turn != sentences[i - 1].turn {
            last_of_turn = Some(i - 1);
        }
        previous_turn_end[i] = last_of_turn;
    }
    let auditor_labelled = session == SessionType::Audit
        && turns
            .iter()
            .any(|t| t.speaker.as_deref().is_some_and(is_auditor));
    all_facts
        .iter()
        .enumerate()
        .map(|(i, facts)| {
            let next = all_facts.get(i + 1);
            // The reply: the next turn's first sentence, when someone else
            // says it. A statement gets a reply only as its turn's last
            // sentence; a question anywhere in the turn ("What's happening
            // with X? Are they still…?").
            let reply = next_turn_start[i]
                .filter(|&n| speaker(n) != speaker(i) && (facts.question || n == i + 1))
                .map(|n| &all_facts[n]);
            let follow_up = next.filter(|_| speaker(i + 1) == speaker(i));
            let context = Context {
                auditee: auditor_labelled && !speaker(i).is_some_and(is_auditor),
                answered: reply.is_some_and(|r| r.answer),
                already_done: reply.is_some_and(|r| r.already),
                reply_unsure: reply
                    .is_some_and(|r| !r.question && r.signal(Signal::Question) > 0.0),
                echo: follow_up.and_then(evaluation),
                status_reply: previous_turn_end[i].is_some_and(|p| {
                    all_facts[p].question
                        && all_facts[p].signal(Signal::Status) > 0.0
                        && speaker(p) != speaker(i)
                }),
            };
            let verdict = verdict(facts, &scores(session, facts, context));
            Assessment {
                facts: facts.clone(),
                category: verdict.map(|(c, _)| c),
                score: verdict.map_or(0.0, |(_, s)| s),
            }
        })
        .collect()
}
