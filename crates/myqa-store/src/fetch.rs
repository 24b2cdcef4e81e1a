//! Reading columns the same way from SQLite and PostgreSQL rows.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::db_time::DbTime;

/// Typed column access implemented for both backends' rows, so that each
/// row → domain mapping is one generic function.
pub(crate) trait Fetch {
    fn uuid(&self, column: &str) -> sqlx::Result<Uuid>;
    fn text(&self, column: &str) -> sqlx::Result<String>;
    fn opt_text(&self, column: &str) -> sqlx::Result<Option<String>>;
    fn opt_int(&self, column: &str) -> sqlx::Result<Option<i64>>;
    fn int(&self, column: &str) -> sqlx::Result<i64>;
    fn flag(&self, column: &str) -> sqlx::Result<bool>;
    fn time(&self, column: &str) -> sqlx::Result<DateTime<Utc>>;
    fn opt_time(&self, column: &str) -> sqlx::Result<Option<DateTime<Utc>>>;
    fn json<T: DeserializeOwned>(&self, column: &str) -> sqlx::Result<T>;
}

macro_rules! impl_fetch {
    ($row:ty) => {
        impl Fetch for $row {
            fn uuid(&self, column: &str) -> sqlx::Result<Uuid> {
                self.try_get(column)
            }
            fn text(&self, column: &str) -> sqlx::Result<String> {
                self.try_get(column)
            }
            fn opt_text(&self, column: &str) -> sqlx::Result<Option<String>> {
                self.try_get(column)
            }
            fn opt_int(&self, column: &str) -> sqlx::Result<Option<i64>> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> sqlx::Result<i64> {
                self.try_get(column)
            }
            fn flag(&self, column: &str) -> sqlx::Result<bool> {
                self.try_get(column)
            }
            fn time(&self, column: &str) -> sqlx::Result<DateTime<Utc>> {
                self.try_get::<DbTime, _>(column).map(|t| t.0)
            }
            fn opt_time(&self, column: &str) -> sqlx::Result<Option<DateTime<Utc>>> {
                self.try_get::<Option<DbTime>, _>(column)
                    .map(|t| t.map(|t| t.0))
            }
            fn json<T: DeserializeOwned>(&self, column: &str) -> sqlx::Result<T> {
                self.try_get::<sqlx::types::Json<T>, _>(column).map(|j| j.0)
            }
        }
    };
}

impl_fetch!(SqliteRow);
impl_fetch!(PgRow);
