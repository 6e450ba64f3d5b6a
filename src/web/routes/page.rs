//! What every public page shares: the page's language and URL prefix, the
//! base template context (site links, UI strings), category names and links,
//! article list items, and rendering a template. Route files import these
//! from here, never from each other.

use std::collections::HashMap;

use axum::response::Html;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use tera::Context;

use crate::articles::normalize_locale;
use crate::index::{ArticleSummary, Audience};
use crate::web::{AppError, AppState};

/// Related articles under an article.
pub const RELATED: usize = 5;

/// What a path segment keeps as is (RFC 3986 unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

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

/// The built-in contact form's address (a configured `contact_url` that is
/// not this one points elsewhere and is kept as it is).
const CONTACT_FORM: &str = "/contact";

/// What every page's template gets: site links, language, the languages the
/// help center has, query, UI strings.
pub fn base_context(state: &AppState, loc: &PageLocale, q: &str) -> Context {
    let mut ctx = Context::new();
    // The built-in contact form speaks the page's language.
    let contact_url = match state.config.contact_url.as_str() {
        CONTACT_FORM => format!("{}{CONTACT_FORM}", loc.prefix),
        other => other.to_string(),
    };
    ctx.insert(
        "site",
        &Site {
            name: &state.config.site_name,
            home_url: format!("{}/", loc.prefix),
            search_url: format!("{}/search", loc.prefix),
            contact_url: &contact_url,
        },
    );
    ctx.insert("lang", &loc.locale);
    ctx.insert("q", q);
    ctx.insert("t", &*state.templates.strings(&loc.locale));
    ctx.insert("languages", &languages(state, loc, &[]));
    ctx
}

/// A language of the help center, for the language switcher.
#[derive(Debug, Clone, Serialize)]
pub struct Language {
    pub locale: String,
    /// Its name in itself (`Français`), from its UI strings.
    pub name: String,
    /// This page in that language: the translation of an article, else
    /// that language's home page.
    pub url: String,
    pub current: bool,
}

/// The help center's languages: the default one and every locale with
/// public articles. `alternates` (locale, URL) are this page in other
/// languages (an article's translations); the others link to their home.
pub fn languages(
    state: &AppState,
    loc: &PageLocale,
    alternates: &[(String, String)],
) -> Vec<Language> {
    let default = &state.config.default_locale;
    let index = state.library.index();
    let mut locales = vec![default.clone()];
    // `locales` has public articles only, and is kept per generation.
    locales.extend(
        index
            .locales()
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l != default),
    );
    locales
        .into_iter()
        .map(|l| {
            let home = if &l == default {
                "/".to_string()
            } else {
                format!("/{l}/")
            };
            let url = alternates
                .iter()
                .find(|(a, _)| *a == l)
                .map_or(home, |(_, u)| u.clone());
            Language {
                name: language_name(state, &l),
                current: l == loc.locale,
                url,
                locale: l,
            }
        })
        .collect()
}

/// A locale's name in itself: its `language_name` UI string, else its code.
fn language_name(state: &AppState, locale: &str) -> String {
    let strings = state.templates.strings(locale);
    let own = state
        .templates
        .locales()
        .iter()
        .any(|l| l == locale || locale.starts_with(&format!("{l}-")));
    match strings.get("language_name") {
        Some(name) if own => name.clone(),
        _ => locale.to_uppercase(),
    }
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

/// Percent-encodes one path segment.
pub fn urlencode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_keep_unreserved_characters_only() {
        assert_eq!(
            urlencode_segment("getting-started_1.x~"),
            "getting-started_1.x~"
        );
        assert_eq!(urlencode_segment("a b/é"), "a%20b%2F%C3%A9");
    }
}
