//! A customer organisation: owner of keys, jobs and a coin balance.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    /// Coins left; meaningless when `unlimited`.
    pub coins_balance: i64,
    pub unlimited: bool,
    pub created_at: DateTime<Utc>,
}

/// The name `serve --bootstrap` gives the first organisation.
pub const BOOTSTRAP_ORGANISATION: &str = "default";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidOrganisationName {
    #[error("organisation name must not be blank")]
    Blank,
    #[error("organisation name must be at most 200 characters")]
    TooLong,
}

/// Trims and checks an organisation name.
pub fn parse_name(name: &str) -> Result<String, InvalidOrganisationName> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidOrganisationName::Blank);
    }
    if name.chars().count() > 200 {
        return Err(InvalidOrganisationName::TooLong);
    }
    Ok(name.to_owned())
}
