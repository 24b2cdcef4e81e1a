//! SnapReport grading with the local engine.
//!
//! PLACEHOLDER until the grading engine lands (same session): it grades
//! nothing, and reports images as ignored.

use crate::local::LocalEngine;
use crate::{EvidenceContent, GradingAnalysis, GradingInput};

impl LocalEngine {
    /// Grades the evidence against the clauses in scope.
    pub fn grade_evidence(&self, input: &GradingInput) -> GradingAnalysis {
        GradingAnalysis {
            suggestions: Vec::new(),
            ignored: input
                .evidence
                .iter()
                .filter(|e| matches!(e.content, EvidenceContent::Image(_)))
                .map(|e| (e.index, "The local engine cannot see images.".to_owned()))
                .collect(),
            token_usage: Default::default(),
            model: LocalEngine::MODEL.to_owned(),
        }
    }
}
