//! What the workers count, through the `metrics` facade (the binary's
//! recorder renders it at `/metrics`; without one these calls do nothing).
//!
//! Provider calls are counted here, around the `Analyzer` and `Transcriber`
//! calls of the pipelines, so every provider is covered the same way. One
//! call is one trait call: a provider's own retries and repair rounds happen
//! inside it.

use std::time::Instant;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use myqa_ai::{AnalysisError, TranscriptionError};
use myqa_core::capture::TokenUsage;
use myqa_core::job::Product;

/// Help texts, for the series that exist once a worker runs.
pub(crate) fn describe() {
    describe_counter!(
        "myqa_jobs_finished_total",
        "Jobs this process finished, by product and outcome (completed, failed)."
    );
    describe_counter!(
        "myqa_job_retries_total",
        "Jobs this process gave back for a later retry (a provider was unavailable), by product."
    );
    describe_histogram!(
        "myqa_job_duration_seconds",
        Unit::Seconds,
        "Time from a job's submission to its end (queueing included), by product and outcome."
    );
    describe_counter!(
        "myqa_coins_charged_total",
        "Coins charged for completed jobs, by product."
    );
    describe_gauge!(
        "myqa_worker_slots",
        "Jobs this process may run at once (MYQA_WORKERS)."
    );
    describe_gauge!("myqa_worker_busy", "Jobs this process is running now.");
    describe_counter!(
        "myqa_webhook_attempts_total",
        "Webhook delivery attempts by outcome: delivered, gone (410), blocked (refused by the callback rules), failed_retryable, failed_final."
    );
    describe_counter!(
        "myqa_provider_calls_total",
        "Calls to analysis and transcription providers, by provider, kind (capture, grading, transcription) and outcome."
    );
    describe_histogram!(
        "myqa_provider_call_duration_seconds",
        Unit::Seconds,
        "Duration of provider calls (their own retries included), by provider and kind."
    );
    describe_counter!(
        "myqa_provider_tokens_total",
        "Tokens analysis providers reported, by provider and direction (input, output)."
    );
}

/// Counts this process's job slots while the runner runs.
pub(crate) struct Slots(usize);

impl Slots {
    pub(crate) fn open(n: usize) -> Slots {
        gauge!("myqa_worker_slots").increment(n as f64);
        Slots(n)
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        gauge!("myqa_worker_slots").decrement(self.0 as f64);
    }
}

/// Counts a job as running until dropped, however its task ends.
pub(crate) struct Busy;

impl Busy {
    pub(crate) fn start() -> Busy {
        gauge!("myqa_worker_busy").increment(1.0);
        Busy
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        gauge!("myqa_worker_busy").decrement(1.0);
    }
}

/// A job's end, committed.
pub(crate) fn job_finished(
    product: Product,
    completed: bool,
    coins: i64,
    since_submission: chrono::Duration,
) {
    let outcome = if completed { "completed" } else { "failed" };
    counter!("myqa_jobs_finished_total", "product" => product.as_str(), "outcome" => outcome)
        .increment(1);
    histogram!("myqa_job_duration_seconds", "product" => product.as_str(), "outcome" => outcome)
        .record(since_submission.as_seconds_f64().max(0.0));
    if completed && coins > 0 {
        counter!("myqa_coins_charged_total", "product" => product.as_str())
            .increment(coins.unsigned_abs());
    }
}

pub(crate) fn job_retried(product: Product) {
    counter!("myqa_job_retries_total", "product" => product.as_str()).increment(1);
}

pub(crate) fn webhook_attempt(outcome: &'static str) {
    counter!("myqa_webhook_attempts_total", "outcome" => outcome).increment(1);
}

/// Which provider call is being timed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CallKind {
    Capture,
    Grading,
    Transcription,
}

impl CallKind {
    fn as_str(self) -> &'static str {
        match self {
            CallKind::Capture => "capture",
            CallKind::Grading => "grading",
            CallKind::Transcription => "transcription",
        }
    }
}

/// One provider call, timed from its start.
pub(crate) struct ProviderCall {
    provider: &'static str,
    kind: CallKind,
    started: Instant,
}

impl ProviderCall {
    pub(crate) fn start(provider: &'static str, kind: CallKind) -> ProviderCall {
        ProviderCall {
            provider,
            kind,
            started: Instant::now(),
        }
    }

    fn end(self, outcome: &'static str) {
        let (provider, kind) = (self.provider, self.kind.as_str());
        counter!("myqa_provider_calls_total", "provider" => provider, "kind" => kind, "outcome" => outcome)
            .increment(1);
        histogram!("myqa_provider_call_duration_seconds", "provider" => provider, "kind" => kind)
            .record(self.started.elapsed());
    }

    /// Ends an analysis call, counting the tokens of a successful one.
    pub(crate) fn analysed<T>(
        self,
        result: &Result<T, AnalysisError>,
        usage: impl FnOnce(&T) -> TokenUsage,
    ) {
        let provider = self.provider;
        match result {
            Ok(analysis) => {
                self.end("ok");
                let usage = usage(analysis);
                counter!("myqa_provider_tokens_total", "provider" => provider, "direction" => "input")
                    .increment(usage.input_tokens);
                counter!("myqa_provider_tokens_total", "provider" => provider, "direction" => "output")
                    .increment(usage.output_tokens);
            }
            Err(AnalysisError::InvalidInput(_)) => self.end("invalid_input"),
            Err(AnalysisError::Unavailable(_)) => self.end("unavailable"),
            Err(AnalysisError::Failed(_)) => self.end("failed"),
        }
    }

    pub(crate) fn transcribed<T>(self, result: &Result<T, TranscriptionError>) {
        self.end(match result {
            Ok(_) => "ok",
            Err(TranscriptionError::Unavailable(_)) => "unavailable",
            Err(TranscriptionError::Rejected(_)) => "rejected",
        });
    }
}
