//! The JSON API, versioned under `/api/v1`: search, as-you-type suggestions
//! and articles, for the help center's own script and for other sites (CORS
//! origins are configurable). Errors are `{"error": {"code", "message"}}`
//! with a 4xx status for anything the caller can fix.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Extension;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::analytics::{EventKind, Source};
use crate::articles::{is_valid_slug, normalize_locale};
use crate::index::{
    ArticleRecord, ArticleSummary, Audience, SearchRequest, SearchResults, Suggestion,
};
use crate::intake::{Refused, Submission, TicketForm};
use crate::web::auth;
use crate::web::locale::negotiate;
use crate::web::params::Params;
use crate::web::routes::page::category_title;
use crate::web::visitor::{script_session, Visitor};
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
        .route("/api/v1/contact/suggest", get(contact_suggest))
        .route("/api/v1/tickets", post(create_ticket))
        .route("/api/v1/events", post(client_event))
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

/// `GET /api/v1/search?q=&category=&limit=&offset=&locale=&record=`.
/// `record=0` searches without counting a customer search: for results
/// shown while the customer is still typing, whose prefixes ("r", "re",
/// "ref") would fill the leads' no-result and no-click lists. The caller
/// searches again without it once the customer settles on a query.
async fn search(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
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
    let (source, session) = caller(&params, &visitor);
    let record = match params.text("record") {
        None | Some("1" | "true") => true,
        Some("0" | "false") => false,
        Some(other) => {
            return Err(
                AppError::BadRequest(format!("`record` must be 1 or 0 (got `{other}`).")).into(),
            )
        }
    };
    let response = state
        .compute(move |s| {
            let started = std::time::Instant::now();
            let results = s.library.index().search(&SearchRequest {
                query: &q,
                locale: &locale,
                category: category.as_deref(),
                limit,
                offset,
                audience,
            })?;
            s.http_metrics
                .search
                .observe(started.elapsed().as_secs_f64());
            if offset == 0 && record {
                s.record(session.as_deref(), EventKind::Search, source, |e| {
                    e.query = Some(q.clone());
                    e.results = Some(results.total as i64);
                    e.locale = Some(locale.clone());
                });
            }
            Ok(results)
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
        .compute(move |s| {
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
        .compute(move |s| {
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
    Extension(visitor): Extension<Visitor>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<ArticleRecord>, ApiError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let (source, session) = caller(&params, &visitor);
    // The widget says where the reader came from: a search or the contact form.
    let arrived = match params.text("from") {
        Some("widget_search" | "search") => Some(EventKind::Click),
        Some("widget_contact" | "contact") => Some(EventKind::SuggestionClick),
        _ => None,
    };
    let query = params.text("q").map(String::from);
    let rank = params.text("rank").and_then(|r| r.parse::<i64>().ok());
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
            let record = s
                .library
                .index()
                .get(&slug, &locale, audience)?
                .ok_or_else(|| {
                    AppError::NotFound(format!("No article `{slug}` in locale `{locale}`."))
                })?;
            if let Some(kind) = arrived {
                s.record(session.as_deref(), kind, source, |e| {
                    e.slug = Some(slug.clone());
                    e.query = query.clone();
                    e.rank = rank;
                });
            }
            s.record(session.as_deref(), EventKind::View, source, |e| {
                e.slug = Some(slug.clone());
                e.locale = Some(locale.clone());
                e.query = query.clone();
            });
            Ok(record)
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
    let store = state.clone();
    let reachable = match tokio::task::spawn_blocking(move || store.store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!("the store does not answer: {e}");
            false
        }
        Err(e) => {
            tracing::error!("the store check failed: {e}");
            false
        }
    };
    Json(json!({
        // Search and articles are served either way; without the store the
        // workspace, the contact form and analytics are not.
        "status": if reachable { "ok" } else { "degraded" },
        "store": { "engine": state.store.engine(), "reachable": reachable },
        "articles": state.library.index().len(),
        "problems": problems,
        // Sites whose browsers asked the API and were refused by the CORS
        // settings (add them to `cors_origins` to let a widget there work).
        "cors_refused_origins": state.refused_origins.list(),
        // With `publish.git_sync_ms`: the last sync round, its error, and
        // publications not pushed yet (null when sync is off).
        "git_sync": state.git_sync.get().map(|s| s.status()),
    }))
}

/// Where an API call comes from: `source=widget` (with its own `session`
/// id) or any other client.
fn caller(params: &Params, visitor: &Visitor) -> (Source, Option<String>) {
    let source = match params.text("source") {
        Some("widget") => Source::Widget,
        _ => Source::Api,
    };
    (source, script_session(visitor, params.text("session")))
}

#[derive(Serialize)]
struct ContactSuggestion {
    slug: String,
    title: String,
    summary: String,
    url: String,
    category_title: String,
}

#[derive(Serialize)]
struct ContactSuggestResponse {
    query: String,
    suggestions: Vec<ContactSuggestion>,
}

/// `GET /api/v1/contact/suggest?q=&locale=` — articles for what a customer
/// is typing into the contact form (the whole text, not a prefix).
async fn contact_suggest(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<ContactSuggestResponse>, ApiError> {
    let params = Params::parse(raw.as_deref());
    let q = params.query()?;
    let locale = locale(&state, &params, &headers)?;
    let limit = params.number("limit", 5, 1, 10)?;
    let (source, session) = caller(&params, &visitor);
    let source = if source == Source::Api {
        Source::Web
    } else {
        source
    };
    let response = state
        .compute(move |s| {
            let results = s.library.index().search(&SearchRequest {
                query: &q,
                locale: &locale,
                category: None,
                limit,
                offset: 0,
                audience: Audience::Public,
            })?;
            s.record(
                session.as_deref(),
                EventKind::SuggestionShown,
                source,
                |e| {
                    e.query = Some(q.clone());
                    e.results = Some(results.hits.len() as i64);
                    e.locale = Some(locale.clone());
                },
            );
            let suggestions = results
                .hits
                .into_iter()
                .map(|h| ContactSuggestion {
                    category_title: category_title(s, &locale, &h.category),
                    slug: h.slug,
                    title: h.title,
                    summary: h.summary,
                    url: h.url,
                })
                .collect();
            Ok(ContactSuggestResponse {
                query: q,
                suggestions,
            })
        })
        .await?;
    Ok(Json(response))
}

/// The origin of a cross-site POST must be this site or an allowed one: a
/// JSON body already forces browsers to ask first (CORS preflight), this
/// also refuses what a browser sends without asking.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(AppError::BadRequest(
            "Send JSON (`Content-Type: application/json`).".into(),
        ));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same_site = origin.split_once("://").is_some_and(|(_, h)| h == host);
    let allowed = state
        .config
        .cors_origins
        .iter()
        .any(|o| o == "*" || o == origin);
    if same_site || allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "Requests from {origin} are not allowed; add it to `cors_origins`."
        )))
    }
}

/// `POST /api/v1/tickets` — a ticket from the widget or another client:
/// `{subject, description, email, category?, article?, session?, source?}`.
async fn create_ticket(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_origin(&state, &headers)?;
    let peer = connect.map(|Extension(ConnectInfo(p))| p.ip());
    let client = auth::client_ip(&state.config.trusted_proxies, &headers, peer);
    let idempotency_key = idempotency_key(&headers, client)?;
    let form: TicketForm = serde_json::from_str(&body)
        .map_err(|e| AppError::BadRequest(format!("The request is not a ticket: {e}.")))?;
    if form.is_bot() {
        return Err(AppError::BadRequest("Your request could not be sent.".into()).into());
    }
    // A retry of a ticket already made answers with it, whatever the limit.
    if let Some(k) = &idempotency_key {
        let store = std::sync::Arc::clone(&state.store);
        let k = k.clone();
        let made = tokio::task::spawn_blocking(move || store.ticket_by_idempotency_key(&k))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        if let Some(t) = made {
            return Ok((
                StatusCode::OK,
                Json(json!({ "id": t.id, "created_at": t.created_at })),
            ));
        }
    }
    let key = auth::limit_key(client, "contact");
    // Checked and counted in one step: parallel requests cannot all pass.
    if !state
        .contact_limiter
        .try_acquire(&key)
        .map_err(AppError::from)?
    {
        return Err(AppError::TooMany(
            "You have sent several requests already. Please wait an hour.".into(),
        )
        .into());
    }
    let source = if form.source == "widget" {
        Source::Widget
    } else {
        Source::Api
    };
    let session = script_session(&visitor, Some(form.session.as_str()));
    let locale =
        normalize_locale(&form.locale).unwrap_or_else(|| state.config.default_locale.clone());
    let ticket = state
        .run(move |s| {
            let submitted = s.intake().submit(&Submission {
                form: &form,
                locale: &locale,
                session: session.as_deref(),
                source,
                idempotency_key: idempotency_key.as_deref(),
            });
            submitted.map_err(|refused| match refused {
                // The first problem, with its field, so the widget can show it in place.
                Refused::Invalid(errors) => match errors.into_iter().next() {
                    Some((field, message)) => AppError::Field(field, message),
                    None => AppError::BadRequest("The ticket is not valid.".into()),
                },
                Refused::Failed(e) => e.into(),
                Refused::Bot => AppError::BadRequest("Your request could not be sent.".into()),
            })
        })
        .await;
    // A ticket refused (a field error) or not stored does not count, and
    // neither does a retry that returns the ticket its key made before.
    let (ticket, created) = ticket.inspect_err(|_| state.contact_limiter.release(&key))?;
    if !created {
        state.contact_limiter.release(&key);
    }
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(json!({ "id": ticket.id, "created_at": ticket.created_at })),
    ))
}

/// Longest `Idempotency-Key` accepted (a UUID is 36).
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The request's `Idempotency-Key`, scoped to its client address so two
/// clients never share a key: what the store keeps unique.
fn idempotency_key(
    headers: &HeaderMap,
    client: Option<std::net::IpAddr>,
) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("").trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AppError::BadRequest(format!(
            "`Idempotency-Key` must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters, such as a UUID."
        )));
    }
    let client = client.map_or_else(|| "-".to_string(), |ip| ip.to_string());
    Ok(Some(format!("{client}|{key}")))
}

#[derive(Deserialize)]
struct ClientEvent {
    kind: String,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    rank: Option<i64>,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

/// `POST /api/v1/events` — what only the browser sees (the widget's
/// "This answered my question", clicks, contact opens).
async fn client_event(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    body: String,
) -> Result<StatusCode, ApiError> {
    check_origin(&state, &headers)?;
    let e: ClientEvent = serde_json::from_str(&body)
        .map_err(|e| AppError::BadRequest(format!("Not an event: {e}.")))?;
    let kind = EventKind::parse(&e.kind)
        .filter(|k| {
            matches!(
                k,
                EventKind::View
                    | EventKind::Click
                    | EventKind::SuggestionClick
                    | EventKind::ContactOpen
                    | EventKind::Deflected
            )
        })
        .ok_or_else(|| {
            AppError::BadRequest(format!("`{}` is not an event a client may send.", e.kind))
        })?;
    if e.slug.as_deref().is_some_and(|s| !is_valid_slug(s)) {
        return Err(AppError::BadRequest("`slug` is not a valid slug.".into()).into());
    }
    let source = if e.source.as_deref() == Some("widget") {
        Source::Widget
    } else {
        Source::Api
    };
    let session = script_session(&visitor, e.session.as_deref());
    state.record(session.as_deref(), kind, source, |ev| {
        ev.slug = e.slug.clone();
        ev.query = e.query.clone();
        ev.rank = e.rank;
    });
    Ok(StatusCode::ACCEPTED)
}
