//! The search schema: field names, per-language field groups and the
//! analyzers behind them. Every language tantivy has a stemmer for gets its
//! own group of text fields (stemmed and exact), so an article is analyzed
//! with its own language's rules and a search only looks at the visitor's
//! language. Bump [`SCHEMA_VERSION`] on any change here: an index of another
//! version is rebuilt from `articles/` on start.

use std::collections::HashMap;

use super::stem::CachedStemmer;
use tantivy::schema::{
    DateOptions, FacetOptions, Field, IndexRecordOption, Schema, SchemaBuilder, TextFieldIndexing,
    TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter,
    TextAnalyzer, TokenizerManager,
};

/// Version of the on-disk index layout and of what it stores; part of the
/// index folder's name. 3: table cells end with a mark in the stored text
/// (snippets show them apart). 4: question titles indexed once more
/// (`question`), where question words keep their weight.
pub const SCHEMA_VERSION: u32 = 4;

/// Language groups: a primary language subtag and its stemmer. `xx` is the
/// plain group for every other language (lowercased and folded, no stemming).
pub const LANGUAGES: &[(&str, Option<Language>)] = &[
    ("ar", Some(Language::Arabic)),
    ("da", Some(Language::Danish)),
    ("de", Some(Language::German)),
    ("el", Some(Language::Greek)),
    ("en", Some(Language::English)),
    ("es", Some(Language::Spanish)),
    ("fi", Some(Language::Finnish)),
    ("fr", Some(Language::French)),
    ("hu", Some(Language::Hungarian)),
    ("it", Some(Language::Italian)),
    ("nl", Some(Language::Dutch)),
    ("no", Some(Language::Norwegian)),
    ("pt", Some(Language::Portuguese)),
    ("ro", Some(Language::Romanian)),
    ("ru", Some(Language::Russian)),
    ("sv", Some(Language::Swedish)),
    ("ta", Some(Language::Tamil)),
    ("tr", Some(Language::Turkish)),
    ("xx", None),
];

/// The language group a locale is analyzed with (`pt-br` → `pt`, `ja` → `xx`).
pub fn language_of(locale: &str) -> &'static str {
    let primary = locale.split('-').next().unwrap_or(locale);
    let primary = if primary == "nb" || primary == "nn" {
        "no"
    } else {
        primary
    };
    LANGUAGES
        .iter()
        .find(|(code, _)| *code == primary)
        .map_or("xx", |(code, _)| code)
}

/// The text fields of one language group.
#[derive(Debug, Clone)]
pub struct LangFields {
    pub title: Field,
    pub headings: Field,
    pub tags: Field,
    pub summary: Field,
    pub body: Field,
    /// Title and body without stemming: an exact word scores above a stemmed one.
    pub title_exact: Field,
    pub body_exact: Field,
    /// The title once more when it asks a question ("How do I …?"): there a
    /// question word says what the article answers (see `worth`).
    pub question: Field,
    pub stem_tokenizer: String,
    pub exact_tokenizer: String,
}

/// Every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// `locale:slug`, the unique key.
    pub key: Field,
    /// Path under `articles/`: what the watcher knows.
    pub path: Field,
    pub slug: Field,
    pub locale: Field,
    /// `translation_of`, else the slug: links an article to its translations.
    pub group: Field,
    pub status: Field,
    pub visibility: Field,
    pub category: Field,
    pub category_facet: Field,
    pub tags: Field,
    pub title: Field,
    pub summary: Field,
    /// Plain text of the body, stored for snippets.
    pub text: Field,
    pub html: Field,
    pub markdown: Field,
    /// Headings as JSON, for the table of contents.
    pub toc: Field,
    /// Remaining front matter as JSON.
    pub meta: Field,
    pub updated: Field,
    pub hash: Field,
    /// A hash of the key: orders equal scores the same way every time.
    pub tiebreak: Field,
    pub langs: HashMap<&'static str, LangFields>,
}

impl Fields {
    /// The fields for `locale`'s language group.
    pub fn lang(&self, locale: &str) -> &LangFields {
        &self.langs[language_of(locale)]
    }
}

/// Builds the schema and the handles to its fields.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stored_text = TextOptions::default().set_stored();
    let keyword = STRING | STORED;
    let mut langs = HashMap::new();
    for (code, _) in LANGUAGES {
        let stem = format!("{code}_stem");
        let exact = format!("{code}_exact");
        let text = |b: &mut SchemaBuilder, name: &str, tokenizer: &str| {
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            b.add_text_field(
                &format!("{code}_{name}"),
                TextOptions::default().set_indexing_options(indexing),
            )
        };
        langs.insert(
            *code,
            LangFields {
                title: text(&mut b, "title", &stem),
                headings: text(&mut b, "headings", &stem),
                tags: text(&mut b, "tags", &stem),
                summary: text(&mut b, "summary", &stem),
                body: text(&mut b, "body", &stem),
                title_exact: text(&mut b, "title_exact", &exact),
                body_exact: text(&mut b, "body_exact", &exact),
                question: text(&mut b, "question", &exact),
                stem_tokenizer: stem,
                exact_tokenizer: exact,
            },
        );
    }
    let fields = Fields {
        key: b.add_text_field("key", keyword.clone()),
        path: b.add_text_field("path", keyword.clone()),
        slug: b.add_text_field("slug", keyword.clone() | FAST),
        locale: b.add_text_field("locale", keyword.clone()),
        group: b.add_text_field("group", keyword.clone()),
        status: b.add_text_field("status", keyword.clone()),
        visibility: b.add_text_field("visibility", keyword.clone()),
        category: b.add_text_field("category", keyword.clone()),
        category_facet: b.add_facet_field("category_facet", FacetOptions::default()),
        tags: b.add_text_field("tags", keyword),
        title: b.add_text_field("title", stored_text.clone()),
        summary: b.add_text_field("summary", stored_text.clone()),
        text: b.add_text_field("text", stored_text.clone()),
        html: b.add_text_field("html", stored_text.clone()),
        markdown: b.add_text_field("markdown", stored_text.clone()),
        toc: b.add_text_field("toc", stored_text.clone()),
        meta: b.add_text_field("meta", stored_text.clone()),
        hash: b.add_text_field("hash", stored_text),
        updated: b.add_date_field(
            "updated",
            DateOptions::default().set_indexed().set_stored().set_fast(),
        ),
        tiebreak: b.add_u64_field("tiebreak", FAST),
        langs,
    };
    (b.build(), fields)
}

/// Registers the analyzers the schema names.
pub fn register_tokenizers(manager: &TokenizerManager) {
    for (code, language) in LANGUAGES {
        manager.register(&format!("{code}_stem"), analyzer(*language, true));
        manager.register(&format!("{code}_exact"), analyzer(*language, false));
    }
}

/// Words split on non-alphanumerics, lowercased, stop words dropped, then
/// (for the stemmed flavour) stemmed, and finally folded to ASCII so that
/// `cafe` finds `café`.
pub fn analyzer(language: Option<Language>, stem: bool) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match (
        language.and_then(StopWordFilter::new),
        language.filter(|_| stem),
    ) {
        (Some(stop), Some(lang)) => base
            .filter(stop)
            .filter(CachedStemmer::new(lang))
            .filter(AsciiFoldingFilter)
            .build(),
        (Some(stop), None) => base.filter(stop).filter(AsciiFoldingFilter).build(),
        (None, Some(lang)) => base
            .filter(CachedStemmer::new(lang))
            .filter(AsciiFoldingFilter)
            .build(),
        (None, None) => base.filter(AsciiFoldingFilter).build(),
    }
}

/// (position, text) of every token `analyzer` makes of `text`.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.position, t.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(mut a: TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = a.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn locales_map_to_language_groups() {
        assert_eq!(language_of("en"), "en");
        assert_eq!(language_of("pt-br"), "pt");
        assert_eq!(language_of("nb"), "no");
        assert_eq!(language_of("ja"), "xx");
    }

    #[test]
    fn analyzers_stem_fold_and_drop_stop_words() {
        let en = analyzer(Some(Language::English), true);
        assert_eq!(
            tokens(en, "The Refunds are processing"),
            ["refund", "process"]
        );
        let fr = analyzer(Some(Language::French), true);
        assert_eq!(
            tokens(fr, "Réinitialiser les mots de passe"),
            ["reinitialis", "mot", "pass"]
        );
        let exact = analyzer(Some(Language::English), false);
        assert_eq!(tokens(exact, "The Refunds"), ["refunds"]);
    }
}
