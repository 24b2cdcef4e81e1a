//! The SnapReport pipeline: every evidence item normalised (recordings
//! transcribed, PDFs read, images prepared, files read), the usable ones
//! graded by the analyzer, its suggestions validated against the standard.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use myqa_ai::{EvidenceContent, EvidenceItem, GradingInput, PreparedImage};
use myqa_core::ErrorCode;
use myqa_core::capture::{Language, StoredAudio};
use myqa_core::snapreport::{
    EvidenceInput, EvidenceKind, EvidenceReport, EvidenceStatus, FileKind, SnapJob, SnapResult,
    StandardRef, validate_suggestions,
};
use myqa_media::{ImageLimits, PdfLimits};
use myqa_store::BlobStore;

use crate::metrics::{CallKind, ProviderCall};
use crate::pipeline::{PipelineError, PipelineOutput, Pipelines};

/// Bounds on reading evidence files.
const PDF_LIMITS: PdfLimits = PdfLimits {
    max_pages: 500,
    max_text_bytes: 4 * 1024 * 1024,
};
const IMAGE_LIMITS: ImageLimits = ImageLimits {
    max_pixels: 100_000_000,
    max_side: 1568,
};
const TEXT_LIMIT: usize = 10 * 1024 * 1024;

/// One item after normalisation.
struct Normalised {
    report: EvidenceReport,
    content: Option<EvidenceContent>,
    audio_ms: u64,
}

fn unreadable(report: &mut EvidenceReport, note: String) -> Option<EvidenceContent> {
    report.status = EvidenceStatus::Unreadable;
    report.note = Some(note);
    None
}

/// Notes in the request's language for items that cannot be read.
fn note(language: Language, en: &str, fr: &str, de: &str) -> String {
    match language {
        Language::En => en,
        Language::Fr => fr,
        Language::De => de,
    }
    .to_owned()
}

async fn normalise(
    pipelines: &Pipelines,
    index: usize,
    input: &EvidenceInput,
    language: Language,
) -> Result<Normalised, PipelineError> {
    match input {
        EvidenceInput::Inline {
            kind,
            content,
            name,
        } => {
            let report = EvidenceReport {
                index,
                kind: *kind,
                name: name.clone(),
                mime: None,
                size_bytes: None,
                status: EvidenceStatus::Used,
                note: None,
            };
            let content = match (kind, content) {
                (EvidenceKind::Structured, value) => EvidenceContent::Structured(value.clone()),
                (_, serde_json::Value::String(text)) => EvidenceContent::Text(text.clone()),
                (_, other) => EvidenceContent::Structured(other.clone()),
            };
            Ok(Normalised {
                report,
                content: Some(content),
                audio_ms: 0,
            })
        }
        EvidenceInput::File {
            kind,
            blob,
            name,
            mime,
            size_bytes,
        } => {
            let mut report = EvidenceReport {
                index,
                kind: kind.evidence_kind(),
                name: Some(name.clone()).filter(|n| !n.is_empty()),
                mime: Some(mime.clone()),
                size_bytes: Some(*size_bytes),
                status: EvidenceStatus::Used,
                note: None,
            };
            let mut audio_ms = 0;
            let content = match kind {
                FileKind::Audio => {
                    let audio = StoredAudio {
                        blob: blob.clone(),
                        format: mime.clone(),
                        size_bytes: *size_bytes,
                        file_name: Some(name.clone()),
                    };
                    let heard = match crate::transcribe::transcribe(
                        &pipelines.audio,
                        &pipelines.blobs,
                        &audio,
                        Some(language),
                    )
                    .await
                    {
                        Ok(heard) => heard,
                        // An undecodable recording is this item's problem, not the job's.
                        Err(PipelineError::Rejected {
                            code: ErrorCode::InvalidAudioFormat,
                            message,
                        }) => {
                            return Ok(Normalised {
                                content: unreadable(&mut report, message),
                                report,
                                audio_ms,
                            });
                        }
                        Err(e) => return Err(e),
                    };
                    audio_ms = heard.duration_ms;
                    if heard.text.trim().is_empty() {
                        unreadable(
                            &mut report,
                            note(
                                language,
                                "No speech was recognised in the recording.",
                                "Aucune parole n'a été reconnue dans l'enregistrement.",
                                "In der Aufnahme wurde keine Sprache erkannt.",
                            ),
                        )
                    } else {
                        Some(EvidenceContent::Text(heard.text))
                    }
                }
                FileKind::Pdf => {
                    match read_file(&pipelines.blobs, blob, &pipelines.audio.scratch, |f| {
                        myqa_media::pdf_text(f, PDF_LIMITS)
                    })
                    .await?
                    {
                        Ok(text) if text.trim().is_empty() => unreadable(
                            &mut report,
                            note(
                                language,
                                "The PDF has no extractable text (a scan?).",
                                "Le PDF ne contient pas de texte extractible (un scan ?).",
                                "Das PDF enthält keinen extrahierbaren Text (ein Scan?).",
                            ),
                        ),
                        Ok(text) => Some(EvidenceContent::Text(text)),
                        Err(e) => unreadable(
                            &mut report,
                            format!(
                                "{}: {e}",
                                note(
                                    language,
                                    "The PDF cannot be read",
                                    "Le PDF est illisible",
                                    "Das PDF ist nicht lesbar"
                                )
                            ),
                        ),
                    }
                }
                FileKind::Image => {
                    match read_file(&pipelines.blobs, blob, &pipelines.audio.scratch, |f| {
                        myqa_media::prepare_image(f, IMAGE_LIMITS)
                    })
                    .await?
                    {
                        Ok(picture) => Some(EvidenceContent::Image(PreparedImage {
                            jpeg: Bytes::from(picture.jpeg),
                            width: picture.width,
                            height: picture.height,
                            captured_at: picture.captured_at,
                        })),
                        Err(e) => unreadable(
                            &mut report,
                            format!(
                                "{}: {e}",
                                note(
                                    language,
                                    "The image cannot be read",
                                    "L'image est illisible",
                                    "Das Bild ist nicht lesbar"
                                )
                            ),
                        ),
                    }
                }
                FileKind::Text | FileKind::Json => {
                    match read_file(&pipelines.blobs, blob, &pipelines.audio.scratch, |f| {
                        myqa_media::read_text(f, TEXT_LIMIT)
                    })
                    .await?
                    {
                        Ok(text) if text.trim().is_empty() => unreadable(
                            &mut report,
                            note(
                                language,
                                "The file is empty.",
                                "Le fichier est vide.",
                                "Die Datei ist leer.",
                            ),
                        ),
                        Ok(text) if *kind == FileKind::Json => match serde_json::from_str(&text) {
                            Ok(value) => Some(EvidenceContent::Structured(value)),
                            // Text that only looked like JSON is still text.
                            Err(_) => {
                                report.kind = EvidenceKind::Text;
                                Some(EvidenceContent::Text(text))
                            }
                        },
                        Ok(text) => Some(EvidenceContent::Text(text)),
                        Err(e) => unreadable(
                            &mut report,
                            format!(
                                "{}: {e}",
                                note(
                                    language,
                                    "The file cannot be read",
                                    "Le fichier est illisible",
                                    "Die Datei ist nicht lesbar"
                                )
                            ),
                        ),
                    }
                }
            };
            Ok(Normalised {
                report,
                content,
                audio_ms,
            })
        }
    }
}

/// Runs a reader on a stored file on a blocking thread. The outer error is
/// the service's own; the inner one is the file's.
async fn read_file<T: Send + 'static>(
    blobs: &BlobStore,
    key: &str,
    scratch: &std::path::Path,
    read: impl FnOnce(std::fs::File) -> Result<T, myqa_media::MediaError> + Send + 'static,
) -> Result<Result<T, myqa_media::MediaError>, PipelineError> {
    let local = blobs
        .local_file(key, scratch)
        .await
        .map_err(|e| PipelineError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&local.path)?;
        read(file)
    })
    .await
    .map_err(|e| PipelineError::Internal(format!("evidence reader stopped: {e}")))
}

pub(crate) async fn run(
    pipelines: &Pipelines,
    input: &str,
) -> Result<PipelineOutput, PipelineError> {
    let job: SnapJob = serde_json::from_str(input)
        .map_err(|e| PipelineError::Internal(format!("unreadable SnapReport job input: {e}")))?;
    let started = Instant::now();
    let standard = pipelines
        .store
        .standard(job.standard_id)
        .await
        .map_err(|e| PipelineError::Internal(e.to_string()))?
        .map(Arc::new)
        .ok_or_else(|| PipelineError::Rejected {
            code: ErrorCode::StandardNotFound,
            message: "The standard was removed while the job waited.".into(),
        })?;

    let mut reports = Vec::with_capacity(job.evidence.len());
    let mut usable = Vec::new();
    let mut audio_ms = 0;
    for (index, item) in job.evidence.iter().enumerate() {
        let normalised = normalise(pipelines, index, item, job.language).await?;
        audio_ms += normalised.audio_ms;
        if let Some(content) = normalised.content {
            usable.push(EvidenceItem {
                index,
                kind: normalised.report.kind,
                name: normalised.report.name.clone(),
                content,
            });
        }
        reports.push(normalised.report);
    }

    let call = ProviderCall::start(pipelines.analyzer.provider(), CallKind::Grading);
    let analysis = pipelines
        .analyzer
        .grade_evidence(&GradingInput {
            standard: standard.clone(),
            processes: job.processes.clone(),
            language: job.language,
            evidence: usable,
        })
        .await;
    call.analysed(&analysis, |a| a.token_usage);
    let analysis = analysis?;
    for (index, why) in analysis.ignored {
        if let Some(report) = reports
            .get_mut(index)
            .filter(|r| r.status == EvidenceStatus::Used)
        {
            report.status = EvidenceStatus::Ignored;
            report.note = Some(why);
        }
    }
    let (suggestions, dropped) = validate_suggestions(
        analysis.suggestions,
        &standard,
        &job.processes,
        reports.len(),
    );
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "invalid suggestions from the analyzer were dropped"
        );
    }
    let coins = pipelines.rates.price(analysis.token_usage, audio_ms);
    let result = SnapResult {
        standard: StandardRef {
            id: standard.id,
            code: standard.code.clone(),
            version: standard.version.clone(),
            grading_scheme: standard.grading_scheme,
        },
        language: job.language,
        suggestions,
        evidence: reports,
        processing_time_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        token_usage: analysis.token_usage,
        model: analysis.model,
        coins_charged: coins,
    };
    PipelineOutput::new(&result, analysis.token_usage, audio_ms, coins)
}

#[cfg(test)]
mod tests {
    //! Whatever a provider returns, only valid suggestions reach the result.

    use std::sync::Arc;

    use futures_util::future::BoxFuture;
    use myqa_ai::{AnalysisError, Analyzer, CaptureAnalysis, CaptureInput, GradingAnalysis};
    use myqa_core::capture::TokenUsage;
    use myqa_core::config::{BlobLocation, DatabaseLocation};
    use myqa_core::snapreport::RawSuggestion;
    use myqa_media::ChunkPlan;
    use myqa_store::{PoolOptions, Store};

    use super::*;
    use crate::transcribe::AudioSettings;

    /// Stands in for an external model that answers badly.
    struct CarelessProvider;

    fn raw(clause: &str, grade: &str, refs: &[i64]) -> RawSuggestion {
        RawSuggestion {
            clause: clause.into(),
            grade: grade.into(),
            comment: format!("{grade} on {clause}"),
            reasoning: "because".into(),
            evidence_refs: refs.to_vec(),
            confidence: 1.7,
        }
    }

    impl Analyzer for CarelessProvider {
        fn analyze_capture<'a>(
            &'a self,
            _: &'a CaptureInput,
        ) -> BoxFuture<'a, Result<CaptureAnalysis, AnalysisError>> {
            Box::pin(async { Err(AnalysisError::Failed("not used".into())) })
        }

        fn grade_evidence<'a>(
            &'a self,
            _: &'a GradingInput,
        ) -> BoxFuture<'a, Result<GradingAnalysis, AnalysisError>> {
            Box::pin(async {
                Ok(GradingAnalysis {
                    suggestions: vec![
                        raw("9.9.9.9", "A", &[0]),            // no such clause
                        raw("2.3.9.1", "C", &[0]),            // C on a KO requirement
                        raw("2.3.9.1", "A", &[0]),            // the same clause twice
                        raw("4.18.2", "EXCELLENT", &[0]),     // not an IFS grade
                        raw("4.18.3", "MINOR_NC", &[0]),      // an ISO grade
                        raw("5.1.2", "B", &[0]),              // chapter 5 is outside the scope
                        raw("2.3.11.1", "B", &[3, 0, -2, 0]), // references to nothing
                    ],
                    ignored: vec![],
                    token_usage: TokenUsage {
                        input_tokens: 1000,
                        output_tokens: 250,
                    },
                    model: "careless-1".into(),
                })
            })
        }
    }

    #[tokio::test]
    async fn invalid_provider_output_never_reaches_the_result() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(
            &DatabaseLocation::Sqlite(dir.path().join("t.sqlite")),
            PoolOptions::default(),
        )
        .await
        .unwrap();
        store.migrate().await.unwrap();
        for standard in myqa_core::standard::shipped() {
            store.install_shipped_standard(&standard).await.unwrap();
        }
        let ifs = myqa_core::standard::shipped()
            .into_iter()
            .find(|s| s.code == "IFS-FOOD")
            .unwrap();
        let scope: Vec<uuid::Uuid> = ifs
            .chapters
            .iter()
            .filter(|c| c.number != "5")
            .map(|c| c.id)
            .collect();
        let blobs = BlobStore::open(&BlobLocation::Local(dir.path().join("blobs"))).unwrap();
        let pipelines = Pipelines::new(
            store,
            Arc::new(CarelessProvider),
            AudioSettings {
                transcriber: None,
                plan: ChunkPlan::default(),
                concurrency: 1,
                scratch: dir.path().into(),
            },
            blobs,
            myqa_core::billing::Rates::default(),
        );
        let job = SnapJob {
            standard_id: ifs.id,
            processes: scope,
            language: Language::En,
            evidence: vec![EvidenceInput::Inline {
                kind: EvidenceKind::Text,
                content: serde_json::json!(
                    "CCP 2 core temperatures below the limit twice, no corrective action."
                ),
                name: None,
            }],
        };
        let output = run(&pipelines, &serde_json::to_string(&job).unwrap())
            .await
            .unwrap();
        let result: SnapResult = serde_json::from_str(&output.result).unwrap();
        let kept: Vec<(&str, &str, &[usize], f64)> = result
            .suggestions
            .iter()
            .map(|s| {
                (
                    s.clause_number.as_str(),
                    s.grade.as_str(),
                    s.evidence_refs.as_slice(),
                    s.confidence,
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                ("2.3.9.1", "KO", &[0usize][..], 1.0),
                ("2.3.11.1", "B", &[0usize][..], 1.0)
            ]
        );
        assert_eq!(result.model, "careless-1");
        assert_eq!(result.coins_charged, 2, "1000 in, 250 out: 1 + 1 coins");
        assert_eq!(output.charge.coins, 2);
    }
}
