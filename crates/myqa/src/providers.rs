//! Which analysis provider the configuration names.

use std::sync::Arc;

use myqa_ai::{Analyzer, LocalAnalyzer};
use myqa_core::config::{AnalysisProvider, Config};

pub fn analyzer(config: &Config) -> anyhow::Result<Arc<dyn Analyzer>> {
    match config.analysis_provider {
        AnalysisProvider::Local => Ok(Arc::new(LocalAnalyzer::new())),
        AnalysisProvider::Openai => {
            anyhow::bail!(
                "analysis_provider `openai` is not available in this build yet; use `local`"
            )
        }
    }
}
