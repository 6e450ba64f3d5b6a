//! The search results page: highlighted snippets, a category filter with
//! counts, pagination, "did you mean" and the zero-results page. Result links
//! carry the query and rank, so the article page can record the click.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::Extension;
use serde::Serialize;

use super::page::{base_context, category_links, category_title, category_url, render, PageLocale};
use crate::analytics::{EventKind, Source};
use crate::index::{Hit, SearchRequest};
use crate::web::auth;
use crate::web::params::Params;
use crate::web::visitor::Visitor;
use crate::web::{AppError, AppState};

/// Most result pages a search can be paged through.
const MAX_PAGES: usize = 100;

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

/// The links of one results page: to another page or category of the same
/// query.
struct SearchUrls<'a> {
    base: String,
    q: &'a str,
}

impl SearchUrls<'_> {
    fn to(&self, category: Option<&str>, page: usize) -> String {
        let mut pairs = vec![("q", self.q.to_string())];
        if let Some(c) = category {
            pairs.push(("category", c.to_string()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        format!(
            "{}?{}",
            self.base,
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

impl Pagination {
    /// Page `page` of `pages`, with links to at most nine pages around it.
    fn new(page: usize, pages: usize, urls: &SearchUrls, category: Option<&str>) -> Pagination {
        let first = page.saturating_sub(4).max(1);
        let last = (first + 8).min(pages);
        Pagination {
            page,
            pages,
            prev_url: (page > 1).then(|| urls.to(category, page - 1)),
            next_url: (page < pages).then(|| urls.to(category, page + 1)),
            links: (first..=last)
                .map(|n| PageLink {
                    n,
                    url: urls.to(category, n),
                    current: n == page,
                })
                .collect(),
        }
    }
}

/// The hits as the page lists them; each link carries the query and the
/// hit's rank, so the article page can record the click.
fn page_hits(
    s: &AppState,
    loc: &PageLocale,
    hits: Vec<Hit>,
    q: &str,
    first_rank: usize,
) -> Vec<PageHit> {
    hits.into_iter()
        .enumerate()
        .map(|(i, h)| {
            let rank = (first_rank + i + 1).to_string();
            let query =
                serde_urlencoded::to_string([("from", "search"), ("q", q), ("rank", &rank)])
                    .unwrap_or_default();
            PageHit {
                category_title: category_title(s, &loc.locale, &h.category),
                category_url: category_url(loc, &h.category),
                title: h.title,
                url: format!("{}?{query}", h.url),
                summary: h.summary,
                snippet_html: h.snippet_html,
            }
        })
        .collect()
}

/// `GET /search?q=&category=&page=` — results with snippets, category
/// filter and pages.
pub async fn search(
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
        .compute(move |s| {
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
            let urls = SearchUrls {
                base: format!("{}/search", loc.prefix),
                q: &q,
            };
            let pages = results.total.div_ceil(per_page).min(MAX_PAGES);
            let facets: Vec<FacetLink> = results
                .facets
                .into_iter()
                .map(|f| FacetLink {
                    title: category_title(s, &loc.locale, &f.category),
                    url: urls.to(Some(&f.category), 1),
                    selected: category.as_deref() == Some(f.category.as_str()),
                    slug: f.category,
                    count: f.count,
                })
                .collect();
            let did_you_mean = results.did_you_mean.map(|query| {
                let corrected = SearchUrls {
                    base: urls.base.clone(),
                    q: &query,
                };
                let url = corrected.to(None, 1);
                serde_json::json!({ "query": query, "url": url })
            });
            ctx.insert("total", &results.total);
            ctx.insert(
                "hits",
                &page_hits(s, &loc, results.hits, &q, (page - 1) * per_page),
            );
            ctx.insert("facets", &facets);
            ctx.insert("all_url", &urls.to(None, 1));
            ctx.insert("selected_category", &category.clone().unwrap_or_default());
            ctx.insert(
                "pagination",
                &Pagination::new(page, pages, &urls, category.as_deref()),
            );
            ctx.insert("did_you_mean", &did_you_mean);
            ctx.insert("categories", &category_links(s, &loc.locale)?);
            render(s, "search.html", &ctx)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_links_nine_pages_around_the_current_one() {
        let urls = SearchUrls {
            base: "/search".into(),
            q: "refund",
        };
        let p = Pagination::new(10, 30, &urls, Some("billing"));
        let ns: Vec<usize> = p.links.iter().map(|l| l.n).collect();
        assert_eq!(ns, (6..=14).collect::<Vec<_>>());
        assert_eq!(
            p.prev_url.as_deref(),
            Some("/search?q=refund&category=billing&page=9")
        );
        assert_eq!(
            p.next_url.as_deref(),
            Some("/search?q=refund&category=billing&page=11")
        );
        let first = Pagination::new(1, 1, &urls, None);
        assert_eq!((first.prev_url, first.next_url), (None, None));
        assert_eq!(first.links[0].url, "/search?q=refund");
    }
}
