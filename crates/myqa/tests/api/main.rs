//! Integration tests over real HTTP, each on SQLite and on PostgreSQL.

mod log_guard;
mod support;

mod audio;
mod auth;
mod billing;
mod body;
mod captureiq;
mod cli;
mod contract;
mod crash;
mod jobs;
mod logs;
mod metrics;
mod openai;
mod quotas;
mod s3;
mod scaleout;
mod shutdown;
mod snapreport;
mod ssrf;
mod standards;
mod webhooks;
