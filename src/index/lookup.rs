//! The read side of the index: the stored fields pages, the API and the
//! agent dashboard look up (one article, listings, categories, related
//! articles, translations, what is live), each filtered to what an audience
//! may see. Searching lives in `search`, suggestions in `suggest`; writing
//! and the index's lifecycle stay in `mod.rs`.

use std::collections::HashMap;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use crate::articles::{Status, Visibility};

use super::{
    document, search, ArticleRecord, ArticleSummary, Audience, FacetCount, Result, SearchIndex,
};

/// A live article as the agent dashboard sees it.
#[derive(Debug, Clone)]
pub struct LiveArticle {
    pub summary: ArticleSummary,
    /// The `author` front-matter key: who owns the article.
    pub owner: Option<String>,
    /// The `review_every` key, when set.
    pub review_every: Option<String>,
    pub content_hash: String,
}

impl SearchIndex {
    /// Number of indexed articles, of every status and visibility.
    pub fn len(&self) -> u64 {
        self.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The content hash of the file indexed from `path`, if any.
    pub fn indexed_hash(&self, path: &str) -> Result<Option<String>> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields.path, path),
            IndexRecordOption::Basic,
        );
        Ok(self
            .first_doc(&query)?
            .map(|doc| document::text(&doc, self.fields.hash))
            .filter(|hash| !hash.is_empty()))
    }

    /// The stored document of the first match of `query`.
    fn first_doc(&self, query: &dyn Query) -> Result<Option<TantivyDocument>> {
        let searcher = self.searcher();
        let top = searcher.search(query, &TopDocs::with_limit(1))?;
        match top.into_iter().next() {
            Some((_, addr)) => Ok(Some(searcher.doc(addr)?)),
            None => Ok(None),
        }
    }

    /// Path → (content hash, slug, locale) of every indexed file: what start-up
    /// compares with `articles/` to find what changed while deflect was off.
    pub fn indexed_files(&self) -> Result<HashMap<String, (String, String, String)>> {
        let searcher = self.searcher();
        let n = searcher.num_docs() as usize;
        let mut out = HashMap::with_capacity(n);
        for (_, addr) in searcher.search(&AllQuery, &TopDocs::with_limit(n.max(1)))? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let get = |f| document::text(&doc, f);
            out.insert(
                get(self.fields.path),
                (
                    get(self.fields.hash),
                    get(self.fields.slug),
                    get(self.fields.locale),
                ),
            );
        }
        Ok(out)
    }

    /// The article stored under `slug` in `locale`, if `audience` may read it.
    pub fn get(
        &self,
        slug: &str,
        locale: &str,
        audience: Audience,
    ) -> Result<Option<ArticleRecord>> {
        let key = Term::from_field_text(self.fields.key, &document::key(locale, slug));
        let query = self.filtered(
            Box::new(TermQuery::new(key, IndexRecordOption::Basic)),
            None,
            audience,
        );
        Ok(self
            .first_doc(&query)?
            .map(|doc| document::to_record(&self.fields, &doc, &self.default_locale)))
    }

    /// Live articles of `locale` (optionally of one category), by title.
    pub fn list(
        &self,
        locale: &str,
        category: Option<&str>,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let query = self.filtered(Box::new(self.locale_query(locale)), category, audience);
        let limit = self.searcher().num_docs().max(1) as usize;
        let mut out = self.summaries(&query, &TopDocs::with_limit(limit))?;
        out.sort_by(|a, b| {
            a.title
                .to_lowercase()
                .cmp(&b.title.to_lowercase())
                .then_with(|| a.slug.cmp(&b.slug))
        });
        Ok(out)
    }

    /// The `n` most recently updated live articles of `locale`.
    pub fn recent(
        &self,
        locale: &str,
        n: usize,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let query = self.filtered(Box::new(self.locale_query(locale)), None, audience);
        let top = TopDocs::with_limit(n.max(1))
            .order_by_fast_field::<tantivy::DateTime>("updated", tantivy::Order::Desc);
        self.summaries(&query, &top)
    }

    /// The summaries of the documents `collector` picks for `query`.
    pub(super) fn summaries<S>(
        &self,
        query: &dyn Query,
        collector: &impl tantivy::collector::Collector<Fruit = Vec<(S, tantivy::DocAddress)>>,
    ) -> Result<Vec<ArticleSummary>> {
        let searcher = self.searcher();
        let mut out = Vec::new();
        for (_, addr) in searcher.search(query, collector)? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            out.push(document::to_summary(
                &self.fields,
                &doc,
                &self.default_locale,
            ));
        }
        Ok(out)
    }

    /// Live articles per category in `locale`, by category id.
    pub fn categories(&self, locale: &str, audience: Audience) -> Result<Vec<FacetCount>> {
        let query = self.filtered(Box::new(self.locale_query(locale)), None, audience);
        search::facet_counts(&self.searcher(), &query)
    }

    /// Up to `n` live articles like `article`: by meaning with a sentence
    /// model, else sharing its tags or category.
    pub fn related(
        &self,
        article: &ArticleRecord,
        n: usize,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        // With a sentence model, what the articles are about; otherwise
        // shared tags, then the same category.
        if let Some(found) = self.related_by_meaning(article, n, audience)? {
            return Ok(found);
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = article
            .tags
            .iter()
            .map(|t| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.tags, t),
                        IndexRecordOption::Basic,
                    )),
                )
            })
            .collect();
        should.push((
            Occur::Should,
            Box::new(tantivy::query::BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.category, &article.category),
                    IndexRecordOption::Basic,
                )),
                0.5,
            )),
        ));
        let inner = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(BooleanQuery::new(should)) as Box<dyn Query>,
            ),
            (Occur::Must, Box::new(self.locale_query(&article.locale))),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(
                        self.fields.key,
                        &document::key(&article.locale, &article.slug),
                    ),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        let query = self.filtered(Box::new(inner), None, audience);
        self.summaries(&query, &TopDocs::with_limit(n.max(1)))
    }

    /// Other-language versions of `article` (same `translation_of` group).
    pub fn translations(
        &self,
        article: &ArticleRecord,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let group = TermQuery::new(
            Term::from_field_text(self.fields.group, &article.group),
            IndexRecordOption::Basic,
        );
        let query = self.filtered(Box::new(group), None, audience);
        let mut out = self.summaries(&query, &TopDocs::with_limit(64))?;
        out.retain(|s| s.locale != article.locale);
        out.sort_by(|a, b| a.locale.cmp(&b.locale));
        Ok(out)
    }

    /// Every published article (internal ones included) with what the agent
    /// dashboard needs: owner, review interval, content hash.
    pub fn live_articles(&self) -> Result<Vec<LiveArticle>> {
        let query = self.filtered(Box::new(AllQuery), None, Audience::Agent);
        let searcher = self.searcher();
        let limit = searcher.num_docs().max(1) as usize;
        let mut out = Vec::new();
        for (_, addr) in searcher.search(&query, &TopDocs::with_limit(limit))? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let summary = document::to_summary(&self.fields, &doc, &self.default_locale);
            let text = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let meta: serde_json::Value =
                serde_json::from_str(&text(self.fields.meta)).unwrap_or_default();
            out.push(LiveArticle {
                owner: meta
                    .get("author")
                    .and_then(|a| a.as_str())
                    .map(String::from),
                review_every: meta
                    .get("review_every")
                    .and_then(|a| a.as_str())
                    .map(String::from),
                content_hash: text(self.fields.hash),
                summary,
            });
        }
        out.sort_by(|a, b| a.summary.title.cmp(&b.summary.title));
        Ok(out)
    }

    /// Locales that have at least one published public article: a locale
    /// holding only drafts, archived or internal articles is not offered to
    /// visitors (that would tell them such articles exist). Computed once
    /// per searcher generation.
    pub fn locales(&self) -> Result<Vec<String>> {
        let searcher = self.searcher();
        let found = self
            .locales
            .get_or_load(&searcher, (), || self.public_locales(&searcher))?;
        Ok(found.as_ref().clone())
    }

    fn public_locales(&self, searcher: &tantivy::Searcher) -> Result<Vec<String>> {
        let mut all = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.locale)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                if let Ok(locale) = std::str::from_utf8(stream.key()) {
                    all.insert(locale.to_string());
                }
            }
        }
        let mut out = Vec::with_capacity(all.len());
        for locale in all {
            if self.count(&locale, Audience::Public)? > 0 {
                out.push(locale);
            }
        }
        Ok(out)
    }

    /// Count of live articles visible to `audience` in `locale`.
    pub fn count(&self, locale: &str, audience: Audience) -> Result<usize> {
        let query = self.filtered(Box::new(self.locale_query(locale)), None, audience);
        Ok(self.searcher().search(&query, &Count)?)
    }

    pub(super) fn locale_query(&self, locale: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(self.fields.locale, locale),
            IndexRecordOption::Basic,
        )
    }

    /// `query` restricted to published articles that `audience` may read (and
    /// to `category`), with the filters adding nothing to the score.
    pub(super) fn filtered(
        &self,
        query: Box<dyn Query>,
        category: Option<&str>,
        audience: Audience,
    ) -> BooleanQuery {
        let mut clauses = vec![
            (Occur::Must, query),
            (
                Occur::Must,
                self.filter_term(self.fields.status, Status::Published.as_str()),
            ),
        ];
        if audience == Audience::Public {
            let public = self.filter_term(self.fields.visibility, Visibility::Public.as_str());
            clauses.push((Occur::Must, public));
        }
        if let Some(c) = category {
            clauses.push((Occur::Must, self.filter_term(self.fields.category, c)));
        }
        BooleanQuery::new(clauses)
    }

    /// Documents with `text` in `field`, adding nothing to the score.
    pub(super) fn filter_term(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(tantivy::query::ConstScoreQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::Basic,
            )),
            0.0,
        ))
    }
}
