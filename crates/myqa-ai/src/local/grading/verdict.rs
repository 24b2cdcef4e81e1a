//! From what the evidence says about a clause to a grade of the standard's
//! scheme.

use myqa_core::standard::{Clause, GradingScheme};

use super::records::Finding;

/// How much a problem shown by the data weighs against cue words.
const FINDING_WEIGHT: f32 = 2.0;
/// Problem weight from which a deviation is serious (several independent
/// problem statements, or a limit breached).
const SERIOUS: f32 = 4.0;

/// The evidence on one clause, summed over the passages that bear on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Verdict {
    /// Problem cues ("missing", "overdue", "nicht dokumentiert").
    pub problem: f32,
    /// Cues of things in order ("signed", "complete", "conforme").
    pub good: f32,
    /// Suggestions for improvement ("could", "pourrait").
    pub improvement: f32,
    /// Problems the data shows.
    pub findings: Vec<Finding>,
    /// Problem and good cues of the rest of the item, already weighted: they
    /// tip the balance but never make a deviation serious on their own.
    pub context_problem: f32,
    pub context_good: f32,
}

/// Which way the evidence points, and how strongly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Met, nothing to add.
    Met,
    /// Met, with a reservation or a point to improve.
    MetWithReservation,
    /// Partly met: problems alongside things in order.
    Partial,
    /// Not met.
    NotMet,
    /// Not met, seriously (several problems, or a limit breached).
    Serious,
}

impl Verdict {
    pub(super) fn add(&mut self, other: &Verdict) {
        self.problem += other.problem;
        self.good += other.good;
        self.improvement += other.improvement;
        self.context_problem += other.context_problem;
        self.context_good += other.context_good;
        for finding in &other.findings {
            if !self.findings.contains(finding) {
                self.findings.push(finding.clone());
            }
        }
    }

    /// This verdict as context of another clause: its cues times `factor`,
    /// no findings (they stay with their item).
    pub(super) fn as_context(&self, factor: f32) -> Verdict {
        Verdict {
            context_problem: (self.problem + self.context_problem) * factor,
            context_good: (self.good + self.context_good) * factor,
            ..Verdict::default()
        }
    }

    /// The problems of the passages on the clause and of the data.
    fn own_problem(&self) -> f32 {
        self.problem + FINDING_WEIGHT * self.findings.len() as f32
    }

    fn total_problem(&self) -> f32 {
        self.own_problem() + self.context_problem
    }

    fn total_good(&self) -> f32 {
        self.good + self.context_good
    }

    /// Problems shown by the data decide (the rows in order do not make up
    /// for the one out of limit); otherwise the heavier side of the cues.
    pub(super) fn nonconform(&self) -> bool {
        !self.findings.is_empty() || self.total_problem() > self.total_good()
    }

    pub(super) fn outcome(&self) -> Outcome {
        let breach = self
            .findings
            .iter()
            .any(|f| matches!(f, Finding::OutsideLimit { .. }));
        if !self.nonconform() {
            return if self.total_problem() > 0.0 || self.improvement > 0.0 {
                Outcome::MetWithReservation
            } else {
                Outcome::Met
            };
        }
        // Serious only on the clause's own evidence.
        if breach || self.own_problem() >= SERIOUS {
            Outcome::Serious
        } else if self.total_good() > 0.0 {
            Outcome::Partial
        } else {
            Outcome::NotMet
        }
    }

    /// How sure the polarity is: 0.5 when the evidence is balanced, towards
    /// 1 when it points one way only.
    pub(super) fn certainty(&self) -> f32 {
        let (problem, good) = (self.total_problem(), self.total_good());
        0.5 + 0.5 * (problem - good).abs() / (problem + good + 1.0)
    }
}

/// The grade for an outcome on `clause` in `scheme`. A failed IFS KO
/// requirement is `KO`, never `C`.
pub(super) fn grade(scheme: GradingScheme, outcome: Outcome, clause: &Clause) -> &'static str {
    match scheme {
        GradingScheme::Ifs => match outcome {
            Outcome::Met => "A",
            Outcome::MetWithReservation => "B",
            _ if clause.ko => "KO",
            Outcome::Partial => "C",
            Outcome::NotMet => "D",
            Outcome::Serious => "MAJOR",
        },
        GradingScheme::Brc => match outcome {
            Outcome::Met | Outcome::MetWithReservation => "CONFORM",
            Outcome::Partial | Outcome::NotMet => "MINOR",
            Outcome::Serious => "MAJOR",
        },
        GradingScheme::Iso => match outcome {
            Outcome::Met => "CONFORM",
            Outcome::MetWithReservation => "OFI",
            Outcome::Partial | Outcome::NotMet => "MINOR_NC",
            Outcome::Serious => "MAJOR_NC",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn clause(ko: bool) -> Clause {
        Clause {
            id: Uuid::nil(),
            number: "2.3.9.1".into(),
            title: "t".into(),
            requirement: "r".into(),
            ko,
            fundamental: false,
        }
    }

    #[test]
    fn outcomes_follow_the_balance_of_the_evidence() {
        let verdict = |problem, good, improvement| Verdict {
            problem,
            good,
            improvement,
            ..Verdict::default()
        };
        assert_eq!(verdict(0.0, 2.0, 0.0).outcome(), Outcome::Met);
        assert_eq!(verdict(0.0, 0.0, 0.0).outcome(), Outcome::Met);
        assert_eq!(
            verdict(1.0, 2.0, 0.0).outcome(),
            Outcome::MetWithReservation
        );
        assert_eq!(
            verdict(0.0, 1.0, 1.0).outcome(),
            Outcome::MetWithReservation
        );
        assert_eq!(verdict(2.0, 1.0, 0.0).outcome(), Outcome::Partial);
        assert_eq!(verdict(2.0, 0.0, 0.0).outcome(), Outcome::NotMet);
        assert_eq!(verdict(5.0, 0.0, 0.0).outcome(), Outcome::Serious);
        let breach = Verdict {
            findings: vec![Finding::OutsideLimit {
                row: "r".into(),
                field: "t".into(),
                value: 1.0,
                limit: ">= 2".into(),
            }],
            ..verdict(0.0, 1.0, 0.0)
        };
        assert_eq!(breach.outcome(), Outcome::Serious);
        // The rest of an item tips the balance, never the severity.
        let mut tipped = verdict(0.0, 0.0, 0.0);
        tipped.add(&verdict(6.0, 0.0, 0.0).as_context(0.5));
        assert_eq!(tipped.outcome(), Outcome::NotMet);
    }

    #[test]
    fn failed_ko_requirements_are_ko_and_every_grade_is_in_its_scheme() {
        let outcomes = [
            Outcome::Met,
            Outcome::MetWithReservation,
            Outcome::Partial,
            Outcome::NotMet,
            Outcome::Serious,
        ];
        for outcome in outcomes {
            for scheme in [GradingScheme::Ifs, GradingScheme::Brc, GradingScheme::Iso] {
                for ko in [false, true] {
                    let clause = clause(ko);
                    let code = grade(scheme, outcome, &clause);
                    assert_eq!(
                        scheme.admit(code, &clause),
                        Some(code),
                        "{scheme:?} {outcome:?} {ko}"
                    );
                }
            }
        }
        assert_eq!(
            grade(GradingScheme::Ifs, Outcome::Partial, &clause(true)),
            "KO"
        );
        assert_eq!(
            grade(GradingScheme::Ifs, Outcome::Partial, &clause(false)),
            "C"
        );
    }
}
