//! Conversion between [`Article`]s and index documents, and the records the
//! help center reads back from the index's stored fields.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use tantivy::schema::{Facet, Value};
use tantivy::TantivyDocument;

use super::Fields;
use crate::articles::load::article_url;
use crate::articles::{Article, Heading, Status, Visibility};

/// The unique key of an article: its locale and slug.
pub fn key(locale: &str, slug: &str) -> String {
    format!("{locale}:{slug}")
}

/// Builds the index document for `article`.
pub fn to_document(fields: &Fields, article: &Article) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    let lang = fields.lang(&article.locale);
    let headings: Vec<&str> = article
        .rendered
        .headings
        .iter()
        .map(|h| h.text.as_str())
        .collect();
    let headings = headings.join("\n");
    let tags = article.tags.join(" ");

    let key = key(&article.locale, &article.slug);
    doc.add_u64(fields.tiebreak, fnv1a(&key));
    doc.add_text(fields.key, key);
    doc.add_text(fields.path, &article.path);
    doc.add_text(fields.slug, &article.slug);
    doc.add_text(fields.locale, &article.locale);
    doc.add_text(
        fields.group,
        article.translation_of.as_deref().unwrap_or(&article.slug),
    );
    doc.add_text(fields.status, article.status.as_str());
    doc.add_text(fields.visibility, article.visibility.as_str());
    doc.add_text(fields.category, &article.category);
    doc.add_facet(
        fields.category_facet,
        Facet::from_path([article.category.replace('/', "-")]),
    );
    for tag in &article.tags {
        doc.add_text(fields.tags, tag);
    }
    doc.add_text(fields.title, &article.title);
    doc.add_text(fields.summary, &article.summary);
    doc.add_text(fields.text, &article.rendered.text);
    doc.add_text(fields.html, &article.rendered.html);
    doc.add_text(fields.markdown, &article.markdown);
    doc.add_text(
        fields.toc,
        serde_json::to_string(&article.rendered.headings).unwrap_or_default(),
    );
    let mut meta = article.meta.clone();
    if !article.extra.is_empty() {
        meta.insert("extra".into(), Json::Object(article.extra.clone()));
    }
    if let Some(t) = &article.translation_of {
        meta.insert("translation_of".into(), Json::String(t.clone()));
    }
    doc.add_text(fields.meta, Json::Object(meta).to_string());
    doc.add_text(fields.hash, &article.content_hash);
    let updated = article.updated.map_or(0, |d| d.timestamp());
    doc.add_date(
        fields.updated,
        tantivy::DateTime::from_timestamp_secs(updated),
    );

    doc.add_text(lang.title, &article.title);
    doc.add_text(lang.title_exact, &article.title);
    if asks_a_question(&article.title) {
        doc.add_text(lang.question, &article.title);
    }
    doc.add_text(lang.headings, &headings);
    doc.add_text(lang.tags, &tags);
    doc.add_text(lang.summary, &article.summary);
    doc.add_text(lang.body, &article.rendered.text);
    for part in [
        headings.as_str(),
        tags.as_str(),
        article.summary.as_str(),
        article.rendered.text.as_str(),
    ] {
        doc.add_text(lang.body_exact, part);
    }
    doc
}

/// Whether a title is a question: FAQ collections title articles with the
/// customer's question ("Can I pay by card?", "¿Cómo …?").
fn asks_a_question(title: &str) -> bool {
    let title = title.trim();
    title.ends_with(['?', '？']) || title.starts_with('¿')
}

/// FNV-1a: a stable 64-bit hash (std's hasher may change between releases).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An article as listed: enough for a link with a summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArticleSummary {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub tags: Vec<String>,
    pub url: String,
    pub updated: Option<DateTime<Utc>>,
}

/// An article as served: everything the article page and the API show.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArticleRecord {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub tags: Vec<String>,
    pub url: String,
    pub updated: Option<DateTime<Utc>>,
    pub status: Status,
    pub visibility: Visibility,
    pub path: String,
    /// `translation_of`, else the slug.
    pub group: String,
    pub html: String,
    pub markdown: String,
    pub toc: Vec<Heading>,
    /// author, reviewers, review interval and unknown front-matter keys.
    pub meta: Map<String, Json>,
    pub content_hash: String,
}

pub(super) fn text(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn updated(doc: &TantivyDocument, fields: &Fields) -> Option<DateTime<Utc>> {
    let secs = doc
        .get_first(fields.updated)
        .and_then(|v| v.as_datetime())?
        .into_timestamp_secs();
    (secs != 0)
        .then(|| DateTime::from_timestamp(secs, 0))
        .flatten()
}

/// Reads the listing fields of a stored document.
pub fn to_summary(fields: &Fields, doc: &TantivyDocument, default_locale: &str) -> ArticleSummary {
    let slug = text(doc, fields.slug);
    let locale = text(doc, fields.locale);
    ArticleSummary {
        url: article_url(default_locale, &locale, &slug),
        title: text(doc, fields.title),
        summary: text(doc, fields.summary),
        category: text(doc, fields.category),
        tags: doc
            .get_all(fields.tags)
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        updated: updated(doc, fields),
        slug,
        locale,
    }
}

/// Reads every stored field of a document.
pub fn to_record(fields: &Fields, doc: &TantivyDocument, default_locale: &str) -> ArticleRecord {
    let s = to_summary(fields, doc, default_locale);
    let meta = match serde_json::from_str(&text(doc, fields.meta)) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    };
    ArticleRecord {
        slug: s.slug,
        locale: s.locale,
        title: s.title,
        summary: s.summary,
        category: s.category,
        tags: s.tags,
        url: s.url,
        updated: s.updated,
        // Written from the enums in `to_document`, so always one of theirs;
        // were it not, the closed values show nothing to customers.
        status: text(doc, fields.status).parse().unwrap_or(Status::Draft),
        visibility: text(doc, fields.visibility)
            .parse()
            .unwrap_or(Visibility::Internal),
        path: text(doc, fields.path),
        group: text(doc, fields.group),
        html: text(doc, fields.html),
        markdown: text(doc, fields.markdown),
        toc: serde_json::from_str(&text(doc, fields.toc)).unwrap_or_default(),
        meta,
        content_hash: text(doc, fields.hash),
    }
}
