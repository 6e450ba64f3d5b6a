//! The public help center: home, category, article and search pages, each
//! also under a `/{locale}` prefix for articles in other languages. Pages are
//! plain HTML that works without JavaScript.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::Extension;
use axum::Router;
use serde::Serialize;
use tera::Context;

use crate::analytics::{EventKind, Source};
use crate::articles::{is_valid_slug, normalize_locale};
use crate::index::{ArticleSummary, Audience, SearchRequest};
use crate::web::auth;
use crate::web::params::Params;
use crate::web::params::MAX_QUERY_CHARS;
use crate::web::routes::contact;
use crate::web::visitor::Visitor;
use crate::web::{AppError, AppState};

/// Most result pages a search can be paged through.
const MAX_PAGES: usize = 100;
/// Articles in the "recently updated" list.
const RECENT: usize = 6;
/// Related articles under an article.
const RELATED: usize = 5;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/{locale}", get(home))
        .route("/{locale}/", get(home))
        .route("/search", get(search))
        .route("/{locale}/search", get(search))
        .route("/categories/{category}", get(category))
        .route("/{locale}/categories/{category}", get(category))
        .route("/articles/{*slug}", get(article))
        .route("/sitemap.xml", get(sitemap))
        .route("/{locale}/articles/{*slug}", get(article))
}

/// The language of a page and the URL prefix that selects it.
#[derive(Debug, Clone)]
pub struct PageLocale {
    pub locale: String,
    /// `""` for the default locale, else `/{locale}`.
    pub prefix: String,
}

impl PageLocale {
    pub fn default_for(state: &AppState) -> PageLocale {
        PageLocale {
            locale: state.config.default_locale.clone(),
            prefix: String::new(),
        }
    }

    /// The locale named by the `locale` path parameter, if any. Unknown or
    /// malformed locales are a 404, like any page that does not exist.
    fn from_path(
        state: &AppState,
        params: &HashMap<String, String>,
    ) -> Result<PageLocale, AppError> {
        let Some(raw) = params.get("locale") else {
            return Ok(PageLocale::default_for(state));
        };
        let locale =
            normalize_locale(raw).ok_or_else(|| AppError::NotFound("No such page.".into()))?;
        if locale == state.config.default_locale {
            return Ok(PageLocale::default_for(state));
        }
        let has_strings = state.templates.locales().contains(&locale);
        if !has_strings && state.library.index().count(&locale, Audience::Public)? == 0 {
            return Err(AppError::NotFound("No such page.".into()));
        }
        Ok(PageLocale {
            prefix: format!("/{locale}"),
            locale,
        })
    }
}

#[derive(Serialize)]
struct Site<'a> {
    name: &'a str,
    home_url: String,
    search_url: String,
    contact_url: &'a str,
}

/// What every page's template gets: site links, language, query, UI strings.
pub fn base_context(state: &AppState, loc: &PageLocale, q: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert(
        "site",
        &Site {
            name: &state.config.site_name,
            home_url: format!("{}/", loc.prefix),
            search_url: format!("{}/search", loc.prefix),
            contact_url: &state.config.contact_url,
        },
    );
    ctx.insert("lang", &loc.locale);
    ctx.insert("q", q);
    ctx.insert("t", &state.templates.strings(&loc.locale));
    ctx
}

/// A category as linked from pages.
#[derive(Serialize)]
pub struct CategoryLink {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub count: u64,
}

/// The display name of a category: a `category_title_<id>` UI string when there is
/// one, else the id made readable (`getting-started` → `Getting started`).
pub fn category_title(state: &AppState, locale: &str, id: &str) -> String {
    let key = format!("category_title_{}", id.replace(['-', '.', ' '], "_"));
    if let Some(t) = state.templates.strings(locale).get(&key) {
        return t.clone();
    }
    let words = id.replace(['-', '_'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn category_url(loc: &PageLocale, id: &str) -> String {
    format!("{}/categories/{}", loc.prefix, urlencode_segment(id))
}

/// Categories of `locale` with their article counts, by title.
pub fn category_links(state: &AppState, locale: &str) -> Result<Vec<CategoryLink>, AppError> {
    let loc = if locale == state.config.default_locale {
        PageLocale::default_for(state)
    } else {
        PageLocale {
            locale: locale.to_string(),
            prefix: format!("/{locale}"),
        }
    };
    let mut links: Vec<CategoryLink> = state
        .library
        .index()
        .categories(locale, Audience::Public)?
        .into_iter()
        .map(|f| CategoryLink {
            title: category_title(state, locale, &f.category),
            url: category_url(&loc, &f.category),
            slug: f.category,
            count: f.count,
        })
        .collect();
    links.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(links)
}

#[derive(Serialize)]
struct Listed {
    title: String,
    url: String,
    summary: String,
    category_title: String,
    category_url: String,
    updated: String,
}

fn listed(state: &AppState, loc: &PageLocale, a: ArticleSummary) -> Listed {
    Listed {
        category_title: category_title(state, &loc.locale, &a.category),
        category_url: category_url(loc, &a.category),
        updated: a
            .updated
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        title: a.title,
        url: a.url,
        summary: a.summary,
    }
}

fn render(state: &AppState, template: &str, ctx: &Context) -> Result<Html<String>, AppError> {
    state
        .templates
        .render(template, ctx)
        .map(Html)
        .map_err(AppError::Internal)
}

/// `GET /` — search box, categories, recently updated articles.
async fn home(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
) -> Result<Html<String>, AppError> {
    state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let recent = s
                .library
                .index()
                .recent(&loc.locale, RECENT, Audience::Public)?;
            let mut ctx = base_context(s, &loc, "");
            ctx.insert("categories", &category_links(s, &loc.locale)?);
            ctx.insert(
                "recent",
                &recent
                    .into_iter()
                    .map(|a| listed(s, &loc, a))
                    .collect::<Vec<_>>(),
            );
            render(s, "home.html", &ctx)
        })
        .await
}

/// `GET /categories/{category}` — the articles of one category.
async fn category(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
) -> Result<Html<String>, AppError> {
    let audience = auth::audience(&state, &headers);
    state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let id = path.get("category").cloned().unwrap_or_default();
            let articles = s.library.index().list(&loc.locale, Some(&id), audience)?;
            if articles.is_empty() {
                return Err(AppError::NotFound(format!(
                    "There is no category named “{id}”."
                )));
            }
            let mut ctx = base_context(s, &loc, "");
            ctx.insert(
                "category",
                &CategoryLink {
                    title: category_title(s, &loc.locale, &id),
                    url: category_url(&loc, &id),
                    count: articles.len() as u64,
                    slug: id,
                },
            );
            ctx.insert(
                "articles",
                &articles
                    .into_iter()
                    .map(|a| listed(s, &loc, a))
                    .collect::<Vec<_>>(),
            );
            ctx.insert("categories", &category_links(s, &loc.locale)?);
            render(s, "category.html", &ctx)
        })
        .await
}

#[derive(Serialize)]
struct TocEntry {
    level: u8,
    id: String,
    text: String,
}

#[derive(Serialize)]
struct Translation {
    locale: String,
    url: String,
    title: String,
}

#[derive(Serialize)]
struct ArticlePage {
    title: String,
    slug: String,
    url: String,
    html: String,
    toc: Vec<TocEntry>,
    updated: String,
    category_title: String,
    category_url: String,
    tags: Vec<String>,
    summary: String,
    translations: Vec<Translation>,
    /// Front-matter keys deflect does not use itself, for custom templates.
    extra: serde_json::Value,
    visibility: String,
}

/// `GET /articles/{slug}` — one article with its table of contents.
async fn article(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, AppError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let from = params.text("from").map(String::from);
    let query = params
        .text("q")
        .map(|q| q.chars().take(MAX_QUERY_CHARS).collect::<String>());
    let rank = params
        .text("rank")
        .and_then(|r| r.parse::<i64>().ok())
        .filter(|r| (1..=1000).contains(r));
    let feedback_state = match params.text("feedback") {
        Some(f @ ("thanks" | "reason" | "done")) => f.to_string(),
        _ => "ask".to_string(),
    };
    let (token, cookie) = contact::form_token(&state, &headers);
    let html = state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let slug = path
                .get("slug")
                .map(|s| s.trim_end_matches('/'))
                .unwrap_or_default();
            // A slug that could name anything outside articles/ is never looked up.
            if !is_valid_slug(slug) {
                return Err(AppError::NotFound(
                    "There is no article at this address.".into(),
                ));
            }
            let index = s.library.index();
            let slug_owned = slug.to_string();
            let Some(article) = index.get(slug, &loc.locale, audience)? else {
                return Err(AppError::NotFound(
                    "There is no article at this address.".into(),
                ));
            };
            let title = article.title.clone();
            let related = index.related(&article, RELATED, audience)?;
            let translations = index.translations(&article, audience)?;
            let mut ctx = base_context(s, &loc, "");
            ctx.insert(
                "article",
                &ArticlePage {
                    toc: article
                        .toc
                        .iter()
                        .filter(|h| (2..=3).contains(&h.level))
                        .map(|h| TocEntry {
                            level: h.level,
                            id: h.id.clone(),
                            text: h.text.clone(),
                        })
                        .collect(),
                    updated: article
                        .updated
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    category_title: category_title(s, &loc.locale, &article.category),
                    category_url: category_url(&loc, &article.category),
                    translations: translations
                        .into_iter()
                        .map(|t| Translation {
                            locale: t.locale,
                            url: t.url,
                            title: t.title,
                        })
                        .collect(),
                    extra: article
                        .meta
                        .get("extra")
                        .cloned()
                        .unwrap_or(serde_json::Value::Null),
                    visibility: article.visibility.clone(),
                    title: article.title,
                    slug: article.slug,
                    url: article.url,
                    html: article.html,
                    tags: article.tags,
                    summary: article.summary,
                },
            );
            ctx.insert(
                "related",
                &related
                    .into_iter()
                    .map(|a| listed(s, &loc, a))
                    .collect::<Vec<_>>(),
            );
            let agent_edit_url = (audience == Audience::Agent).then(|| {
                let query =
                    serde_urlencoded::to_string([("slug", &slug_owned), ("locale", &loc.locale)])
                        .unwrap_or_default();
                format!("/agent/edit?{query}")
            });
            ctx.insert("agent_edit_url", &agent_edit_url);
            let from_contact = from.as_deref() == Some("contact");
            ctx.insert(
                "from_contact",
                &from_contact.then(|| {
                    serde_json::json!({ "action": "/contact/deflected", "csrf": token, "slug": slug_owned, "back_url": "/contact" })
                }),
            );
            let feedback_query = serde_urlencoded::to_string([("slug", &slug_owned), ("locale", &loc.locale)]).unwrap_or_default();
            let contact_query = serde_urlencoded::to_string([("article", &slug_owned), ("subject", &title)]).unwrap_or_default();
            ctx.insert(
                "feedback",
                &serde_json::json!({
                    "state": feedback_state, "action": format!("/feedback?{feedback_query}"), "csrf": token,
                    "contact_url": format!("/contact?{contact_query}"),
                }),
            );
            // What brought the visitor here, for the deflection reports.
            let sid = visitor.sid.as_deref();
            let kind = match from.as_deref() {
                Some("search") => Some(EventKind::Click),
                Some("contact") => Some(EventKind::SuggestionClick),
                _ => None,
            };
            if let Some(kind) = kind {
                s.record(sid, kind, Source::Web, |e| {
                    e.query = query.clone();
                    e.rank = rank;
                    e.slug = Some(slug_owned.clone());
                });
            }
            s.record(sid, EventKind::View, Source::Web, |e| {
                e.slug = Some(slug_owned.clone());
                e.locale = Some(loc.locale.clone());
                e.query = query.clone();
            });
            render(s, "article.html", &ctx)
        })
        .await?;
    Ok(contact::with_cookie(
        html,
        axum::http::StatusCode::OK,
        cookie,
    ))
}

#[derive(Serialize)]
struct PageHit {
    title: String,
    url: String,
    summary: String,
    snippet_html: String,
    category_title: String,
    category_url: String,
}

#[derive(Serialize)]
struct FacetLink {
    slug: String,
    title: String,
    count: u64,
    url: String,
    selected: bool,
}

#[derive(Serialize)]
struct PageLink {
    n: usize,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct Pagination {
    page: usize,
    pages: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
    links: Vec<PageLink>,
}

/// `GET /search?q=&category=&page=` — results with snippets, category
/// filter and pages.
async fn search(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, AppError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let q = params.query()?;
    let page = params.number("page", 1, 1, MAX_PAGES)?;
    let category = params.text("category").map(String::from);
    state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let per_page = s.config.page_size.max(1);
            let mut ctx = base_context(s, &loc, &q);
            let started = std::time::Instant::now();
            let results = s.library.index().search(&SearchRequest {
                query: &q,
                locale: &loc.locale,
                category: category.as_deref(),
                limit: per_page,
                offset: (page - 1) * per_page,
                audience,
            })?;
            s.http_metrics
                .search
                .observe(started.elapsed().as_secs_f64());
            if !q.is_empty() && page == 1 {
                s.record(
                    visitor.sid.as_deref(),
                    EventKind::Search,
                    Source::Web,
                    |e| {
                        e.query = Some(q.clone());
                        e.results = Some(results.total as i64);
                        e.locale = Some(loc.locale.clone());
                    },
                );
            }
            let search_url = format!("{}/search", loc.prefix);
            let url_for = |category: Option<&str>, page: usize| {
                let mut pairs = vec![("q", q.clone())];
                if let Some(c) = category {
                    pairs.push(("category", c.to_string()));
                }
                if page > 1 {
                    pairs.push(("page", page.to_string()));
                }
                format!(
                    "{search_url}?{}",
                    serde_urlencoded::to_string(pairs).unwrap_or_default()
                )
            };
            let pages = results.total.div_ceil(per_page).min(MAX_PAGES);
            let did_you_mean = results.did_you_mean.clone();
            let first_rank = (page - 1) * per_page;
            let hits: Vec<PageHit> = results
                .hits
                .into_iter()
                .enumerate()
                .map(|(i, h)| PageHit {
                    category_title: category_title(s, &loc.locale, &h.category),
                    category_url: category_url(&loc, &h.category),
                    title: h.title,
                    // The article page records the click with its rank.
                    url: format!(
                        "{}?{}",
                        h.url,
                        serde_urlencoded::to_string([
                            ("from", "search"),
                            ("q", &q),
                            ("rank", &(first_rank + i + 1).to_string())
                        ])
                        .unwrap_or_default()
                    ),
                    summary: h.summary,
                    snippet_html: h.snippet_html,
                })
                .collect();
            let facets: Vec<FacetLink> = results
                .facets
                .into_iter()
                .map(|f| FacetLink {
                    title: category_title(s, &loc.locale, &f.category),
                    url: url_for(Some(&f.category), 1),
                    selected: category.as_deref() == Some(f.category.as_str()),
                    slug: f.category,
                    count: f.count,
                })
                .collect();
            let first = page.saturating_sub(4).max(1);
            let last = (first + 8).min(pages);
            ctx.insert("total", &results.total);
            ctx.insert("hits", &hits);
            ctx.insert("facets", &facets);
            ctx.insert("all_url", &url_for(None, 1));
            ctx.insert("selected_category", &category.clone().unwrap_or_default());
            ctx.insert(
                "pagination",
                &Pagination {
                    page,
                    pages,
                    prev_url: (page > 1).then(|| url_for(category.as_deref(), page - 1)),
                    next_url: (page < pages).then(|| url_for(category.as_deref(), page + 1)),
                    links: (first..=last)
                        .map(|n| PageLink {
                            n,
                            url: url_for(category.as_deref(), n),
                            current: n == page,
                        })
                        .collect(),
                },
            );
            let did_you_mean = did_you_mean.map(|query| {
                let url = format!(
                    "{search_url}?{}",
                    serde_urlencoded::to_string([("q", &query)]).unwrap_or_default()
                );
                serde_json::json!({ "query": query, "url": url })
            });
            ctx.insert("did_you_mean", &did_you_mean);
            ctx.insert("categories", &category_links(s, &loc.locale)?);
            render(s, "search.html", &ctx)
        })
        .await
}

/// Any other URL: the 404 page (or a JSON 404 under `/api/`).
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        return crate::web::ApiError(AppError::NotFound(format!(
            "No API route at {}.",
            uri.path()
        )))
        .into_response();
    }
    AppError::NotFound("We couldn't find that page.".into()).into_response()
}

/// Percent-encodes one path segment.
fn urlencode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `GET /sitemap.xml` — every public article in every locale, for crawlers.
async fn sitemap(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    // Absolute URLs: the configured public URL, else the host asked for.
    let base = if state.config.public_url.is_empty() {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if state.config.secure_cookies {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    } else {
        state.config.public_url.trim_end_matches('/').to_string()
    };
    let xml = state
        .run(move |s| {
            let index = s.library.index();
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
            for locale in index.locales()? {
                for a in index.list(&locale, None, Audience::Public)? {
                    let lastmod = a.updated.map(|d| format!("<lastmod>{}</lastmod>", d.format("%Y-%m-%d"))).unwrap_or_default();
                    xml.push_str(&format!("  <url><loc>{}{}</loc>{lastmod}</url>\n", crate::index::escape_html(&base), crate::index::escape_html(&a.url)));
                }
            }
            xml.push_str("</urlset>\n");
            Ok(xml)
        })
        .await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/xml; charset=utf-8",
        )],
        xml,
    )
        .into_response())
}
