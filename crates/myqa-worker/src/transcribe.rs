//! Audio → timed transcript: the recording is decoded on a blocking thread
//! and cut into 16 kHz chunks at quiet points; chunks go to the transcription
//! provider a few at a time while decoding continues, and come back in order
//! with their offsets applied. Memory holds a few chunks, whatever the length
//! of the recording.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use myqa_ai::{TimedSegment, Transcriber, TranscriptionError};
use myqa_core::ErrorCode;
use myqa_core::capture::{Language, StoredAudio};
use myqa_media::{AudioChunk, ChunkPlan, MediaError};
use myqa_store::BlobStore;
use tokio::sync::mpsc;

use crate::metrics::{CallKind, ProviderCall};
use crate::pipeline::PipelineError;

/// How recordings are cut and sent.
#[derive(Clone)]
pub struct AudioSettings {
    pub transcriber: Option<Arc<dyn Transcriber>>,
    pub plan: ChunkPlan,
    /// Chunks of one recording transcribed at once.
    pub concurrency: usize,
    /// Where blobs from a remote store are downloaded for decoding.
    pub scratch: PathBuf,
}

/// The whole recording, transcribed.
pub(crate) struct Transcript {
    pub text: String,
    pub segments: Vec<TimedSegment>,
    pub duration_ms: u64,
    pub language: Option<Language>,
}

impl From<MediaError> for PipelineError {
    fn from(err: MediaError) -> Self {
        if err.is_bad_input() {
            PipelineError::Rejected {
                code: ErrorCode::InvalidAudioFormat,
                message: format!("audio cannot be decoded: {err}"),
            }
        } else {
            PipelineError::Internal(format!("cannot decode the recording: {err}"))
        }
    }
}

impl From<TranscriptionError> for PipelineError {
    fn from(err: TranscriptionError) -> Self {
        match err {
            TranscriptionError::Unavailable(message) => PipelineError::Retryable(message),
            TranscriptionError::Rejected(message) => {
                // The provider's words may reveal its configuration: logged,
                // not returned.
                tracing::error!(error = %message, "transcription provider refused a chunk");
                PipelineError::Rejected {
                    code: ErrorCode::ServiceUnavailable,
                    message: "The transcription provider refused the recording.".into(),
                }
            }
        }
    }
}

pub(crate) async fn transcribe(
    settings: &AudioSettings,
    blobs: &BlobStore,
    audio: &StoredAudio,
    language: Option<Language>,
) -> Result<Transcript, PipelineError> {
    let transcriber = settings
        .transcriber
        .clone()
        .ok_or_else(|| PipelineError::Rejected {
            code: ErrorCode::ServiceUnavailable,
            message: "Audio transcription is not configured on this server.".into(),
        })?;
    let local = blobs
        .local_file(&audio.blob, &settings.scratch)
        .await
        .map_err(|e| PipelineError::Internal(e.to_string()))?;
    let file = std::fs::File::open(&local.path).map_err(MediaError::from)?;

    // One chunk waits in the channel while others are being transcribed.
    let (chunks, mut next_chunk) = mpsc::channel::<AudioChunk>(1);
    let plan = settings.plan;
    let decoding = tokio::task::spawn_blocking(move || {
        myqa_media::decode_to_chunks(
            file,
            &plan,
            &mut |chunk| match chunks.blocking_send(chunk) {
                Ok(()) => ControlFlow::Continue(()),
                // The receiving side gave up (a chunk failed): stop decoding.
                Err(_) => ControlFlow::Break(()),
            },
        )
    });
    let transcribed: Result<Vec<(u64, myqa_ai::Transcription)>, PipelineError> =
        stream::poll_fn(|cx| next_chunk.poll_recv(cx))
            .map(|chunk| {
                let transcriber = transcriber.clone();
                async move {
                    let call = ProviderCall::start(transcriber.provider(), CallKind::Transcription);
                    let text = transcriber
                        .transcribe(Bytes::from(chunk.wav), language)
                        .await;
                    call.transcribed(&text);
                    Ok::<_, PipelineError>((chunk.offset_ms, text?))
                }
            })
            .buffered(settings.concurrency.max(1))
            .try_collect()
            .await;
    drop(next_chunk);
    let decoded = decoding
        .await
        .map_err(|e| PipelineError::Internal(format!("decoder stopped: {e}")))?;
    let transcribed = transcribed?;
    let decoded = decoded?;
    drop(local);

    let mut segments = Vec::new();
    let mut reported = None;
    for (offset, chunk) in transcribed {
        reported = reported.or(chunk.language);
        segments.extend(chunk.segments.into_iter().map(|s| TimedSegment {
            start_ms: s.start_ms + offset,
            end_ms: s.end_ms + offset,
            text: s.text,
        }));
    }
    let text = segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Transcript {
        text,
        segments,
        duration_ms: decoded.duration_ms,
        language: reported,
    })
}
