//! Jobs (SPEC §7): every analysis runs as one, sync or async.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ErrorCode;

/// How many times a job is tried before it fails with `PROCESSING_ERROR`.
pub const MAX_ATTEMPTS: i64 = 3;

/// The product a job belongs to; a job is only visible on its product's route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    #[serde(rename = "captureiq")]
    CaptureIq,
    #[serde(rename = "snapreport")]
    SnapReport,
}

impl Product {
    pub fn as_str(self) -> &'static str {
        match self {
            Product::CaptureIq => "captureiq",
            Product::SnapReport => "snapreport",
        }
    }

    pub fn parse(text: &str) -> Option<Product> {
        [Product::CaptureIq, Product::SnapReport]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    /// The endpoint name in the usage ledger.
    pub fn endpoint(self) -> &'static str {
        match self {
            Product::CaptureIq => "captureiq.analyze",
            Product::SnapReport => "snapreport.analyze",
        }
    }

    /// `/api/v1/{product}/jobs/{id}`
    pub fn job_path(self, id: uuid::Uuid) -> String {
        format!("/api/v1/{}/jobs/{id}", self.as_str())
    }
}

/// Sync jobs have a client waiting on the connection; async ones are polled
/// and may call back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobMode {
    Sync,
    Async,
}

impl JobMode {
    pub fn as_str(self) -> &'static str {
        match self {
            JobMode::Sync => "sync",
            JobMode::Async => "async",
        }
    }

    pub fn parse(text: &str) -> Option<JobMode> {
        [JobMode::Sync, JobMode::Async]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// Where a job stands internally. Clients see `processing` for queued and
/// running jobs; cancelled jobs (sync clients that left) are never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Completed,
            JobState::Failed,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled
        )
    }

    /// The status the API shows.
    pub fn public(self) -> PublicStatus {
        match self {
            JobState::Queued | JobState::Running | JobState::Cancelled => PublicStatus::Processing,
            JobState::Completed => PublicStatus::Completed,
            JobState::Failed => PublicStatus::Failed,
        }
    }
}

/// The job status of the contract: `processing`, `completed` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PublicStatus {
    Processing,
    Completed,
    Failed,
}

/// Why a job failed, as the job document shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobError {
    pub code: ErrorCode,
    pub message: String,
}

/// Delivery state of a job's webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookState {
    Pending,
    Delivered,
    Failed,
}

impl WebhookState {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookState::Pending => "pending",
            WebhookState::Delivered => "delivered",
            WebhookState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<WebhookState> {
        [
            WebhookState::Pending,
            WebhookState::Delivered,
            WebhookState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The webhook object of a job document (ours, SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WebhookView {
    pub status: WebhookState,
    pub attempts: i64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_response_status: Option<u16>,
}

/// A job document (SPEC §7), the body of `GET …/jobs/{id}` and, with
/// `type`, of a webhook (SPEC §8). Bare: no envelope.
#[derive(Debug, Serialize)]
pub struct JobDocument<'a> {
    /// Webhooks only: `captureiq.job.completed` and the like.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub job_id: Uuid,
    pub status: PublicStatus,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// The data document of the product's sync response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookView>,
}

impl Product {
    /// The webhook `type` for a job of this product that ended as `status`.
    pub fn event(self, status: PublicStatus) -> String {
        let outcome = match status {
            PublicStatus::Completed => "completed",
            PublicStatus::Failed => "failed",
            PublicStatus::Processing => "processing",
        };
        format!("{}.job.{outcome}", self.as_str())
    }
}
