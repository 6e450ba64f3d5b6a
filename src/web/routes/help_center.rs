//! The public help center: home, category, article and search pages, each
//! also under a `/{locale}` prefix for articles in other languages. Pages are
//! plain HTML that works without JavaScript. What every page shares lives in
//! [`super::page`].

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use crate::index::Audience;
use crate::web::auth;
use crate::web::{AppError, AppState};

use super::page::{
    base_context, category_links, category_title, category_url, listed, render, CategoryLink,
    PageLocale,
};
use super::{article, search_page};

/// Articles in the "recently updated" list.
const RECENT: usize = 6;

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

/// `GET /` — search box, categories, recently updated articles.
async fn home(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
) -> Result<Html<String>, AppError> {
    state
        .compute(move |s| {
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
        .compute(move |s| {
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
                    xml.push_str(&format!("  <url><loc>{}{}</loc>{lastmod}</url>\n", crate::templates::escape_html(&base), crate::templates::escape_html(&a.url)));
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
