//! What a search asks and what it answers: the request, who is asking, and
//! the results (hits, category counts, "did you mean") — the shape of the
//! API's and the CLI's JSON. Shared by the search itself and the result
//! cache, so neither imports the other's internals.

use serde::Serialize;

/// Who is searching: customers never see internal articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Public,
    /// A signed-in agent: internal articles included.
    Agent,
}

/// How a search ranks: by words, by meaning (with a sentence model), or
/// both fused — the default when a model is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Lexical,
    Semantic,
    Hybrid,
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
    /// A corrected query when this one has words the help center does not use.
    pub did_you_mean: Option<String>,
}
