//! The JSON API, versioned under `/api/v1`: search, as-you-type suggestions
//! and articles, for the help center's own script and for other sites (CORS
//! origins are configurable). Errors are `{"error": {"code", "message"}}`
//! with a 4xx status for anything the caller can fix.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::articles::{is_valid_slug, normalize_locale};
use crate::index::{
    ArticleRecord, ArticleSummary, Audience, SearchRequest, SearchResults, Suggestion,
};
use crate::web::auth;
use crate::web::locale::negotiate;
use crate::web::params::Params;
use crate::web::routes::help_center::category_title;
use crate::web::{ApiError, AppError, AppState};

/// Most hits one call returns.
pub const MAX_LIMIT: usize = 100;
/// Deepest offset: paging further is scraping, not searching.
pub const MAX_OFFSET: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/search", get(search))
        .route("/api/v1/suggest", get(suggest))
        .route("/api/v1/articles", get(articles))
        .route("/api/v1/articles/{*slug}", get(article))
}

/// The `locale` parameter, checked; when absent, the best match of the
/// `Accept-Language` header among locales with articles, else the default.
fn locale(state: &AppState, params: &Params, headers: &HeaderMap) -> Result<String, AppError> {
    match params.text("locale") {
        None => {
            let header = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let available = if header.is_empty() {
                Vec::new()
            } else {
                state.library.index().locales()?
            };
            Ok(
                negotiate(header, &available)
                    .unwrap_or_else(|| state.config.default_locale.clone()),
            )
        }
        Some(raw) => normalize_locale(raw).ok_or_else(|| {
            AppError::BadRequest(format!(
                "`locale` must be a language tag such as `en` or `pt-br` (got `{raw}`)."
            ))
        }),
    }
}

/// `GET /api/v1/search?q=&category=&limit=&offset=&locale=`
async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchResults>, ApiError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let q = params.query()?;
    if q.is_empty() {
        return Err(AppError::BadRequest("Add a search query: `?q=your question`.".into()).into());
    }
    let limit = params.number("limit", 10, 1, MAX_LIMIT)?;
    let offset = params.number("offset", 0, 0, MAX_OFFSET)?;
    let locale = locale(&state, &params, &headers)?;
    let category = params.text("category").map(String::from);
    let response = state
        .run(move |s| {
            Ok(s.library.index().search(&SearchRequest {
                query: &q,
                locale: &locale,
                category: category.as_deref(),
                limit,
                offset,
                audience,
            })?)
        })
        .await?;
    Ok(Json(response))
}

#[derive(Serialize)]
struct SuggestResponse {
    query: String,
    suggestions: Vec<SuggestionOut>,
}

/// A suggestion with its category's display name.
#[derive(Serialize)]
struct SuggestionOut {
    #[serde(flatten)]
    suggestion: Suggestion,
    category_title: String,
}

/// `GET /api/v1/suggest?q=&locale=&limit=` — titles for a partial query.
async fn suggest(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<SuggestResponse>, ApiError> {
    let params = Params::parse(raw.as_deref());
    let q = params.query()?;
    let limit = params.number("limit", 6, 1, 20)?;
    let locale = locale(&state, &params, &headers)?;
    let response = state
        .run(move |s| {
            let suggestions = s
                .library
                .index()
                .suggest(&q, &locale, limit, Audience::Public)?
                .into_iter()
                .map(|suggestion| SuggestionOut {
                    category_title: category_title(s, &locale, &suggestion.category),
                    suggestion,
                })
                .collect();
            Ok(SuggestResponse {
                query: q,
                suggestions,
            })
        })
        .await?;
    Ok(Json(response))
}

#[derive(Serialize)]
struct ArticlesResponse {
    locale: String,
    total: usize,
    articles: Vec<ArticleSummary>,
}

/// `GET /api/v1/articles?locale=&category=` — every live article, by title.
async fn articles(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<ArticlesResponse>, ApiError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let locale = locale(&state, &params, &headers)?;
    let category = params.text("category").map(String::from);
    let response = state
        .run(move |s| {
            let articles = s
                .library
                .index()
                .list(&locale, category.as_deref(), audience)?;
            Ok(ArticlesResponse {
                locale,
                total: articles.len(),
                articles,
            })
        })
        .await?;
    Ok(Json(response))
}

/// `GET /api/v1/articles/{slug}?locale=` — metadata, rendered HTML and Markdown.
async fn article(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<ArticleRecord>, ApiError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let locale = locale(&state, &params, &headers)?;
    let slug = slug.trim_end_matches('/').to_string();
    if !is_valid_slug(&slug) {
        return Err(AppError::BadRequest(format!(
            "`{slug}` is not a valid slug: use lowercase letters, digits, `-`, `_`, `.` and `/`."
        ))
        .into());
    }
    let record = state
        .run(move |s| {
            s.library
                .index()
                .get(&slug, &locale, audience)?
                .ok_or_else(|| {
                    AppError::NotFound(format!("No article `{slug}` in locale `{locale}`."))
                })
        })
        .await?;
    Ok(Json(record))
}

/// `GET /healthz` — liveness plus what is served and what is broken.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let problems: Vec<String> = state
        .library
        .problems()
        .iter()
        .map(|p| p.to_string())
        .collect();
    Json(json!({
        "status": "ok",
        "articles": state.library.index().len(),
        "problems": problems,
    }))
}
