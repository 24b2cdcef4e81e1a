//! Integration tests over real HTTP, each on SQLite and on PostgreSQL.

mod support;

mod auth;
mod body;
mod cli;
mod contract;
mod logs;
mod standards;
