//! Migrations embedded in the binary, one list per backend. The SQL files live
//! in `migrations/<backend>/`; sqlx records what ran in `_sqlx_migrations`.

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use crate::Backend;

/// (version, description, SQL)
type Embedded = (i64, &'static str, &'static str);

const SQLITE: &[Embedded] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "jobs",
        include_str!("../migrations/sqlite/0002_jobs.sql"),
    ),
    (
        3,
        "billing",
        include_str!("../migrations/sqlite/0003_billing.sql"),
    ),
    (
        4,
        "quotas",
        include_str!("../migrations/sqlite/0004_quotas.sql"),
    ),
    (
        5,
        "leader",
        include_str!("../migrations/sqlite/0005_leader.sql"),
    ),
];

const POSTGRES: &[Embedded] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "jobs",
        include_str!("../migrations/postgres/0002_jobs.sql"),
    ),
    (
        3,
        "billing",
        include_str!("../migrations/postgres/0003_billing.sql"),
    ),
    (
        4,
        "quotas",
        include_str!("../migrations/postgres/0004_quotas.sql"),
    ),
    (
        5,
        "leader",
        include_str!("../migrations/postgres/0005_leader.sql"),
    ),
];

fn embedded(backend: Backend) -> &'static [Embedded] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

pub(crate) fn count(backend: Backend) -> usize {
    embedded(backend).len()
}

#[derive(Debug)]
struct EmbeddedSource(&'static [Embedded]);

impl MigrationSource<'static> for EmbeddedSource {
    fn resolve(
        self,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>>
    {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    AssertSqlSafe(*sql).into_sql_str(),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

pub(crate) async fn migrator(backend: Backend) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(EmbeddedSource(embedded(backend))).await
}
