//! Full-text search: a customer's words → ranked hits with highlighted
//! snippets and category counts. Each query word is matched three ways, in
//! decreasing order of weight: exactly (unstemmed fields), by stem (title >
//! headings > tags > summary > body), and, only when the word is in no
//! article, with typos forgiven. Word pairs found next to each other earn a
//! phrase bonus.

use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, QueryClone, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, TantivyDocument, Term};

use super::{document, Fields, Result, SearchIndex};

/// Who is searching: customers never see internal articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    /// A signed-in agent: internal articles included.
    Agent,
}

/// A search as asked.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    pub locale: &'a str,
    pub category: Option<&'a str>,
    pub limit: usize,
    pub offset: usize,
    pub audience: Audience,
}

/// One result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub url: String,
    pub score: f32,
    /// An excerpt with the matched words in `<b>`; HTML-escaped otherwise.
    pub snippet_html: String,
}

/// Articles per category.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub category: String,
    pub count: u64,
}

/// What a search returns: the shape of the API's and the CLI's JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResults {
    pub query: String,
    pub locale: String,
    /// Matches in the chosen category (all categories when none is chosen).
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub hits: Vec<Hit>,
    /// Matches per category, ignoring the category filter.
    pub facets: Vec<FacetCount>,
    /// A corrected query when this one finds little.
    pub did_you_mean: Option<String>,
}

// Field weights: where a word appears says how much an article is about it.
const W_TITLE: f32 = 4.0;
const W_HEADINGS: f32 = 2.5;
const W_TAGS: f32 = 2.0;
const W_SUMMARY: f32 = 1.5;
const W_BODY: f32 = 1.0;
const W_EXACT_TITLE: f32 = 2.0;
const W_EXACT_BODY: f32 = 0.5;
const W_FUZZY: f32 = 0.3;
const W_PHRASE: f32 = 1.5;

const SNIPPET_CHARS: usize = 180;

impl SearchIndex {
    /// Runs `req`. A query with no searchable word (empty, or only stop
    /// words) matches nothing.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        let searcher = self.searcher();
        let mut results = SearchResults {
            query: req.query.to_string(),
            locale: req.locale.to_string(),
            total: 0,
            limit: req.limit,
            offset: req.offset,
            hits: Vec::new(),
            facets: Vec::new(),
            did_you_mean: None,
        };
        let Some(text_query) = self.text_query(&searcher, req.query, req.locale)? else {
            return Ok(results);
        };
        let lang = self.fields.lang(req.locale);
        let snippets = {
            let mut g = SnippetGenerator::create(&searcher, text_query.as_ref(), lang.body)?;
            g.set_max_num_chars(SNIPPET_CHARS);
            g
        };
        let locale = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.locale, req.locale),
            IndexRecordOption::Basic,
        ));
        let with_locale = || -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_query.box_clone()),
                (
                    Occur::Must,
                    Box::new(tantivy::query::ConstScoreQuery::new(
                        locale.box_clone(),
                        0.0,
                    )),
                ),
            ]))
        };
        let all = self.filtered(with_locale(), None, req.audience);
        let top = TopDocs::with_limit(req.limit.max(1)).and_offset(req.offset);
        let docs = match req.category {
            None => {
                let mut facets = FacetCollector::for_field("category_facet");
                facets.add_facet("/");
                let (docs, total, counts) = searcher.search(&all, &(top, Count, facets))?;
                results.total = total;
                results.facets = to_facet_counts(&counts);
                docs
            }
            Some(category) => {
                results.facets = facet_counts(&searcher, &all, &self.fields)?;
                let filtered = self.filtered(with_locale(), Some(category), req.audience);
                let (docs, total) = searcher.search(&filtered, &(top, Count))?;
                results.total = total;
                docs
            }
        };
        for (score, addr) in docs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let s = document::to_summary(&self.fields, &doc, &self.default_locale);
            let text = doc
                .get_first(self.fields.text)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let snippet = snippets.snippet(text);
            let snippet_html = if snippet.highlighted().is_empty() {
                String::new()
            } else {
                snippet.to_html()
            };
            results.hits.push(Hit {
                slug: s.slug,
                locale: s.locale,
                title: s.title,
                summary: s.summary,
                category: s.category,
                url: s.url,
                score,
                snippet_html,
            });
        }
        Ok(results)
    }

    /// The scored part of a search, or `None` when the words leave nothing
    /// to search for.
    pub(crate) fn text_query(
        &self,
        searcher: &Searcher,
        q: &str,
        locale: &str,
    ) -> Result<Option<Box<dyn Query>>> {
        let lang = self.fields.lang(locale);
        let tokenizers = self.index.tokenizers();
        let (Some(mut stem), Some(mut exact)) = (
            tokenizers.get(&lang.stem_tokenizer),
            tokenizers.get(&lang.exact_tokenizer),
        ) else {
            return Ok(None);
        };
        let exact_tokens = tokens(&mut exact, q);
        let stem_tokens = tokens(&mut stem, q);
        if exact_tokens.is_empty() {
            return Ok(None);
        }
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (pos, word) in &exact_tokens {
            let mut ways: Vec<(Occur, Box<dyn Query>)> = vec![
                should(term(lang.title_exact, word), W_EXACT_TITLE),
                should(term(lang.body_exact, word), W_EXACT_BODY),
            ];
            if let Some((_, stemmed)) = stem_tokens.iter().find(|(p, _)| p == pos) {
                for (field, weight) in [
                    (lang.title, W_TITLE),
                    (lang.headings, W_HEADINGS),
                    (lang.tags, W_TAGS),
                    (lang.summary, W_SUMMARY),
                    (lang.body, W_BODY),
                ] {
                    ways.push(should(term(field, stemmed), weight));
                }
            }
            let chars = word.chars().count();
            let known = searcher.doc_freq(&Term::from_field_text(lang.body_exact, word))? > 0;
            if chars >= 4 && !known {
                let distance = if chars >= 8 { 2 } else { 1 };
                for field in [lang.title_exact, lang.body_exact] {
                    let fuzzy =
                        FuzzyTermQuery::new(Term::from_field_text(field, word), distance, true);
                    ways.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(fuzzy), W_FUZZY)),
                    ));
                }
            }
            words.push((Occur::Should, Box::new(BooleanQuery::new(ways))));
        }
        if exact_tokens.len() >= 2 {
            let terms: Vec<(usize, Term)> = exact_tokens
                .iter()
                .map(|(p, w)| {
                    (
                        *p - exact_tokens[0].0,
                        Term::from_field_text(lang.body_exact, w),
                    )
                })
                .collect();
            let phrase = PhraseQuery::new_with_offset_and_slop(terms, 1);
            words.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(phrase), W_PHRASE)),
            ));
        }
        Ok(Some(Box::new(BooleanQuery::new(words))))
    }
}

fn term(field: Field, text: &str) -> TermQuery {
    TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    )
}

fn should(q: TermQuery, weight: f32) -> (Occur, Box<dyn Query>) {
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(q), weight)),
    )
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

/// Matches per category for `query`.
pub fn facet_counts(
    searcher: &Searcher,
    query: &dyn Query,
    _fields: &Fields,
) -> Result<Vec<FacetCount>> {
    let mut facets = FacetCollector::for_field("category_facet");
    facets.add_facet("/");
    Ok(to_facet_counts(&searcher.search(query, &facets)?))
}

fn to_facet_counts(counts: &tantivy::collector::FacetCounts) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = counts
        .get("/")
        .map(|(facet, count)| FacetCount {
            category: facet
                .to_path()
                .last()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            count,
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.cmp(&b.category))
    });
    out
}
