//! The MyQA domain: the vocabulary every other crate speaks.
//!
//! Nothing here performs I/O. Types are built by parsing (`ApiKeySecret::parse`,
//! `IpAllowlist::parse`, `StandardDocument::parse` …) so that a value that exists
//! is a valid one.

pub mod api_key;
pub mod billing;
pub mod callback;
pub mod capture;
pub mod config;
pub mod error_code;
pub mod job;
pub mod liveness;
pub mod network;
pub mod organisation;
pub mod permission;
pub mod quota;
pub mod snapreport;
pub mod standard;
pub mod time;

pub use api_key::{ApiKey, ApiKeySecret, KeyDigest};
pub use error_code::ErrorCode;
pub use organisation::Organisation;
pub use permission::Permission;
