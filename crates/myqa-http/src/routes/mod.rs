pub mod captureiq;
pub mod fallback;
pub mod health;
pub mod jobs;
pub mod snapreport;
pub mod standards;
pub mod usage;
