//! Integration tests over real HTTP, each on SQLite and on PostgreSQL.

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
mod openai;
mod quotas;
mod snapreport;
mod ssrf;
mod standards;
mod webhooks;
