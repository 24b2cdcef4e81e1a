//! The standards catalogue.
//!
//! Shipped standards are (re)installed at start-up when absent or when this
//! build ships different content; a standard an operator imported is never
//! overwritten by shipped data, so licensed full texts survive upgrades.

use std::collections::HashMap;

use myqa_core::standard::{Chapter, Clause, GradingScheme, Section, Standard, normalize_code};
use uuid::Uuid;

use crate::db_time::DbTime;
use crate::fetch::Fetch;
use crate::revisions::{STANDARDS, bump_revision};
use crate::{Backend, Store, StoreError, StoreResult, begin_write, on_db};

/// What installing or importing a standard did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    Inserted,
    Updated,
    Unchanged,
    /// A shipped standard was not installed because an operator imported one
    /// with the same code.
    KeptImported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Shipped,
    Imported,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Shipped => "shipped",
            Source::Imported => "imported",
        }
    }
}

fn scheme_from(text: &str) -> sqlx::Result<GradingScheme> {
    match text {
        "IFS" => Ok(GradingScheme::Ifs),
        "BRC" => Ok(GradingScheme::Brc),
        "ISO" => Ok(GradingScheme::Iso),
        other => Err(sqlx::Error::Decode(
            format!("unknown grading scheme `{other}`").into(),
        )),
    }
}

impl Store {
    pub async fn install_shipped_standard(
        &self,
        standard: &Standard,
    ) -> StoreResult<InstallOutcome> {
        self.put_standard(standard, Source::Shipped).await
    }

    /// `myqa admin standards import`: loads or replaces a standard.
    pub async fn import_standard(&self, standard: &Standard) -> StoreResult<InstallOutcome> {
        self.put_standard(standard, Source::Imported).await
    }

    async fn put_standard(
        &self,
        standard: &Standard,
        source: Source,
    ) -> StoreResult<InstallOutcome> {
        let code_key = normalize_code(&standard.code);
        let hash = standard.content_hash();
        let now = DbTime(myqa_core::time::now());
        on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            if backend == Backend::Postgres {
                // Several servers starting together must not insert twice.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext('myqa_standards'))")
                    .execute(&mut *tx)
                    .await?;
            }
            let existing: Option<(Uuid, String, String)> = sqlx::query_as(
                "SELECT id, source, content_hash FROM standards WHERE code_key = $1",
            )
            .bind(&code_key)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match &existing {
                None => InstallOutcome::Inserted,
                Some((_, s, _)) if source == Source::Shipped && s == Source::Imported.as_str() => {
                    return Ok(InstallOutcome::KeptImported);
                }
                Some((_, s, h)) if s == source.as_str() && *h == hash => {
                    return Ok(InstallOutcome::Unchanged);
                }
                Some(_) => InstallOutcome::Updated,
            };
            if let Some((old_id, _, _)) = existing {
                for table in ["standard_clauses", "standard_sections", "standard_chapters"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE standard_id = $1"
                    )))
                    .bind(old_id)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("DELETE FROM standards WHERE id = $1")
                    .bind(old_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO standards (id, code, code_key, name, version, description, default_language,
                                        grading_scheme, source, content_hash, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(standard.id)
            .bind(&standard.code)
            .bind(&code_key)
            .bind(&standard.name)
            .bind(&standard.version)
            .bind(&standard.description)
            .bind(&standard.default_language)
            .bind(standard.grading_scheme.as_str())
            .bind(source.as_str())
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (cp, chapter) in standard.chapters.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO standard_chapters (id, standard_id, position, number, title)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(chapter.id)
                .bind(standard.id)
                .bind(cp as i32)
                .bind(&chapter.number)
                .bind(&chapter.title)
                .execute(&mut *tx)
                .await?;
                for (sp, section) in chapter.sections.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO standard_sections (id, standard_id, chapter_id, position, number, title)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(section.id)
                    .bind(standard.id)
                    .bind(chapter.id)
                    .bind(sp as i32)
                    .bind(&section.number)
                    .bind(&section.title)
                    .execute(&mut *tx)
                    .await?;
                    for (lp, clause) in section.clauses.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO standard_clauses (id, standard_id, section_id, position, number, title,
                                                           requirement, ko, fundamental)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        )
                        .bind(clause.id)
                        .bind(standard.id)
                        .bind(section.id)
                        .bind(lp as i32)
                        .bind(&clause.number)
                        .bind(&clause.title)
                        .bind(&clause.requirement)
                        .bind(clause.ko)
                        .bind(clause.fundamental)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            bump_revision!(&mut *tx, backend, STANDARDS);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Every standard with its whole tree, ordered by code.
    pub async fn standards(&self) -> StoreResult<Vec<Standard>> {
        self.standard_trees(None).await
    }

    /// One standard with its whole tree.
    pub async fn standard(&self, id: Uuid) -> StoreResult<Option<Standard>> {
        Ok(self.standard_trees(Some(id)).await?.pop())
    }

    async fn standard_trees(&self, only: Option<Uuid>) -> StoreResult<Vec<Standard>> {
        // `$1 IS NULL` keeps one statement for "all" and "one".
        let filter = "($1 IS NULL OR standard_id = $1)";
        on_db!(self, |pool| {
            let heads = sqlx::query(
                "SELECT id, code, name, version, description, default_language, grading_scheme
                 FROM standards WHERE ($1 IS NULL OR id = $1) ORDER BY code",
            )
            .bind(only)
            .fetch_all(pool)
            .await?;
            let chapters = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, standard_id, number, title FROM standard_chapters
                 WHERE {filter} ORDER BY standard_id, position"
            )))
            .bind(only)
            .fetch_all(pool)
            .await?;
            let sections = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, chapter_id, number, title FROM standard_sections
                 WHERE {filter} ORDER BY standard_id, position"
            )))
            .bind(only)
            .fetch_all(pool)
            .await?;
            let clauses = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, section_id, number, title, requirement, ko, fundamental
                 FROM standard_clauses WHERE {filter} ORDER BY standard_id, position"
            )))
            .bind(only)
            .fetch_all(pool)
            .await?;

            let mut clauses_by_section: HashMap<Uuid, Vec<Clause>> = HashMap::new();
            for row in &clauses {
                clauses_by_section
                    .entry(row.uuid("section_id")?)
                    .or_default()
                    .push(Clause {
                        id: row.uuid("id")?,
                        number: row.text("number")?,
                        title: row.text("title")?,
                        requirement: row.text("requirement")?,
                        ko: row.flag("ko")?,
                        fundamental: row.flag("fundamental")?,
                    });
            }
            let mut sections_by_chapter: HashMap<Uuid, Vec<Section>> = HashMap::new();
            for row in &sections {
                let id = row.uuid("id")?;
                sections_by_chapter
                    .entry(row.uuid("chapter_id")?)
                    .or_default()
                    .push(Section {
                        id,
                        number: row.text("number")?,
                        title: row.text("title")?,
                        clauses: clauses_by_section.remove(&id).unwrap_or_default(),
                    });
            }
            let mut chapters_by_standard: HashMap<Uuid, Vec<Chapter>> = HashMap::new();
            for row in &chapters {
                let id = row.uuid("id")?;
                chapters_by_standard
                    .entry(row.uuid("standard_id")?)
                    .or_default()
                    .push(Chapter {
                        id,
                        number: row.text("number")?,
                        title: row.text("title")?,
                        sections: sections_by_chapter.remove(&id).unwrap_or_default(),
                    });
            }
            let mut standards = Vec::with_capacity(heads.len());
            for row in &heads {
                let id = row.uuid("id")?;
                standards.push(Standard {
                    id,
                    code: row.text("code")?,
                    name: row.text("name")?,
                    version: row.text("version")?,
                    description: row.text("description")?,
                    default_language: row.text("default_language")?,
                    grading_scheme: scheme_from(&row.text("grading_scheme")?)?,
                    chapters: chapters_by_standard.remove(&id).unwrap_or_default(),
                });
            }
            if !clauses_by_section.is_empty()
                || !sections_by_chapter.is_empty()
                || !chapters_by_standard.is_empty()
            {
                return Err(StoreError::Corrupt(
                    "standard tree rows without a parent".into(),
                ));
            }
            Ok(standards)
        })
    }
}
