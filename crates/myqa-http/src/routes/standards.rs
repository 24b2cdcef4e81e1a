//! The standards catalogue (SPEC §4). Any valid key may read it.

use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use myqa_core::ErrorCode;
use myqa_core::standard::{
    Chapter, Clause, Grade, GradingScheme, Section, Standard, normalize_code,
};
use myqa_store::Standards;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StandardSummary {
    /// Stable across installations (UUIDv5 of the code).
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub default_language: String,
    /// Number of clauses in the tree.
    pub total_requirements: usize,
    pub grading_scheme: GradingScheme,
    /// The grades of the scheme.
    pub grades: Vec<Grade>,
}

impl From<&Standard> for StandardSummary {
    fn from(s: &Standard) -> Self {
        Self {
            id: s.id,
            code: s.code.clone(),
            name: s.name.clone(),
            version: s.version.clone(),
            description: s.description.clone(),
            default_language: s.default_language.clone(),
            total_requirements: s.total_requirements(),
            grading_scheme: s.grading_scheme,
            grades: s.grading_scheme.grades().to_vec(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClauseTree {
    pub standard: StandardSummary,
    pub chapters: Vec<ChapterView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChapterView {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub sections: Vec<SectionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectionView {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub clauses: Vec<ClauseView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClauseView {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    /// A concise summary of the requirement (or the full text where the
    /// operator imported it).
    pub requirement: String,
    /// IFS knock-out requirement.
    pub ko: bool,
    /// BRCGS fundamental requirement.
    pub fundamental: bool,
}

impl From<&Chapter> for ChapterView {
    fn from(c: &Chapter) -> Self {
        Self {
            id: c.id,
            number: c.number.clone(),
            title: c.title.clone(),
            sections: c.sections.iter().map(SectionView::from).collect(),
        }
    }
}

impl From<&Section> for SectionView {
    fn from(s: &Section) -> Self {
        Self {
            id: s.id,
            number: s.number.clone(),
            title: s.title.clone(),
            clauses: s.clauses.iter().map(ClauseView::from).collect(),
        }
    }
}

impl From<&Clause> for ClauseView {
    fn from(c: &Clause) -> Self {
        Self {
            id: c.id,
            number: c.number.clone(),
            title: c.title.clone(),
            requirement: c.requirement.clone(),
            ko: c.ko,
            fundamental: c.fundamental,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StandardsQuery {
    /// Only the standard with this code (`ISO 9001`, `iso9001` and `ISO9001`
    /// are one code). An unknown code gives an empty list.
    pub code: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClausesQuery {
    /// Only this chapter, by number (`4`) or id.
    pub chapter: Option<String>,
}

/// The standard with this id or code, or 404 `STANDARD_NOT_FOUND` naming
/// `field` (where the client sent it) and the codes there are.
pub(crate) fn find_standard(
    state: &AppState,
    id_or_code: &str,
    field: &str,
) -> ApiResult<Arc<Standard>> {
    state.catalogue.find(id_or_code).ok_or_else(|| {
        let known: Vec<String> = state
            .catalogue
            .all()
            .iter()
            .map(|s| s.code.clone())
            .collect();
        ApiError::new(
            ErrorCode::StandardNotFound,
            format!(
                "{field} `{id_or_code}` matches no standard; known codes: {}.",
                known.join(", ")
            ),
        )
    })
}

/// The serialized list of every standard, built once per catalogue snapshot:
/// the list is the most frequent catalogue read and never changes between
/// imports.
#[derive(Default)]
pub struct ListCache(RwLock<Option<(Standards, Bytes)>>);

impl ListCache {
    fn body(&self, snapshot: &Standards) -> Bytes {
        if let Some((cached, body)) = &*self.0.read().unwrap_or_else(|e| e.into_inner())
            && Arc::ptr_eq(cached, snapshot)
        {
            return body.clone();
        }
        let list: Vec<StandardSummary> = snapshot
            .iter()
            .map(|s| StandardSummary::from(s.as_ref()))
            .collect();
        let body =
            Bytes::from(serde_json::to_vec(&Envelope::ok(list)).expect("summaries serialise"));
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some((snapshot.clone(), body.clone()));
        body
    }
}

/// List the standards.
#[utoipa::path(get, path = "/api/v1/standards", tag = "standards",
    params(StandardsQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The standards, ordered by code.", body = Envelope<Vec<StandardSummary>>),
        (status = 400, description = "`INVALID_INPUT`: an unknown query parameter.", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
    ))]
pub async fn list_standards(
    _caller: Caller,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<StandardsQuery>,
) -> Response {
    let all = state.catalogue.all();
    match query.code.as_deref().map(normalize_code) {
        None => (
            [(header::CONTENT_TYPE, "application/json")],
            state.standards_list.body(&all),
        )
            .into_response(),
        Some(wanted) => Envelope::ok(
            all.iter()
                .filter(|s| normalize_code(&s.code) == wanted)
                .map(|s| StandardSummary::from(s.as_ref()))
                .collect::<Vec<_>>(),
        )
        .into_response(),
    }
}

/// One standard, by id or code.
#[utoipa::path(get, path = "/api/v1/standards/{id_or_code}", tag = "standards",
    params(("id_or_code" = String, Path, description = "Standard id or code, e.g. `ISO9001` or `iso 9001`.")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The standard.", body = Envelope<StandardSummary>),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 404, description = "`STANDARD_NOT_FOUND`", body = ErrorEnvelope),
    ))]
pub async fn get_standard(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id_or_code): Path<String>,
) -> ApiResult<Envelope<StandardSummary>> {
    let standard = find_standard(&state, &id_or_code, "Standard")?;
    Ok(Envelope::ok(StandardSummary::from(standard.as_ref())))
}

/// The chapter → section → clause tree of a standard.
#[utoipa::path(get, path = "/api/v1/standards/{id_or_code}/clauses", tag = "standards",
    params(
        ("id_or_code" = String, Path, description = "Standard id or code, e.g. `IFS-FOOD`."),
        ClausesQuery,
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The tree, in document order.", body = Envelope<ClauseTree>),
        (status = 400, description = "`INVALID_INPUT`: an unknown query parameter.", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 404, description = "`STANDARD_NOT_FOUND`, or `NOT_FOUND` for a chapter the standard lacks.", body = ErrorEnvelope),
    ))]
pub async fn list_clauses(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id_or_code): Path<String>,
    ApiQuery(query): ApiQuery<ClausesQuery>,
) -> ApiResult<Envelope<ClauseTree>> {
    let standard = find_standard(&state, &id_or_code, "Standard")?;
    let chapters: Vec<_> = match query.chapter.as_deref().map(str::trim) {
        None => standard.chapters.iter().collect(),
        Some(wanted) => {
            let chapter = standard
                .chapters
                .iter()
                .find(|c| c.number == wanted || Uuid::parse_str(wanted).is_ok_and(|id| id == c.id))
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "Chapter `{wanted}` does not exist in {}.",
                        standard.code
                    ))
                })?;
            vec![chapter]
        }
    };
    Ok(Envelope::ok(ClauseTree {
        standard: StandardSummary::from(standard.as_ref()),
        chapters: chapters.into_iter().map(ChapterView::from).collect(),
    }))
}
