//! The public help center: home, category, article and search pages, each
//! also under a `/{locale}` prefix for articles in other languages. Pages are
//! plain HTML that works without JavaScript.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use tera::Context;

use crate::articles::normalize_locale;
use crate::index::{ArticleSummary, Audience};
use crate::web::auth;
use crate::web::{AppError, AppState};

use super::{article, search_page};

/// Articles in the "recently updated" list.
const RECENT: usize = 6;
/// Related articles under an article.
pub const RELATED: usize = 5;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/{locale}", get(home))
        .route("/{locale}/", get(home))
        .route("/search", get(search_page::search))
        .route("/{locale}/search", get(search_page::search))
        .route("/categories/{category}", get(category))
        .route("/{locale}/categories/{category}", get(category))
        .route("/articles/{*slug}", get(article::article))
        .route("/sitemap.xml", get(sitemap))
        .route("/{locale}/articles/{*slug}", get(article::article))
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
    pub fn from_path(
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
    ctx.insert("t", &*state.templates.strings(&loc.locale));
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

pub fn category_url(loc: &PageLocale, id: &str) -> String {
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
pub struct Listed {
    title: String,
    url: String,
    summary: String,
    category_title: String,
    category_url: String,
    updated: String,
}

pub fn listed(state: &AppState, loc: &PageLocale, a: ArticleSummary) -> Listed {
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

pub fn render(state: &AppState, template: &str, ctx: &Context) -> Result<Html<String>, AppError> {
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
