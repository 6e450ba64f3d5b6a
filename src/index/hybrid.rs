//! Search by words and by meaning, fused into one ranking.
//!
//! The lexical search gives its best `POOL` documents. The sentence model
//! scores every article the lexical search may return — same visibility
//! bitmap, same locale, same category — so a draft or an internal article
//! never comes back through a vector; an article counts as close when its
//! title or a passage is at least [`FLOOR`] close to the query.
//!
//! Three rankings are fused by reciprocal rank (a document scores
//! `1 / (K + rank)` from each ranking it is in): the words, the query's
//! closeness to each article's **title** (a customer's question is most
//! like the question an FAQ title asks), and its closeness to the article's
//! best **passage** (the section that answers). On CovidFAQ's 1,387 real
//! questions the title and passage rankings fused score MRR 0.70 where the
//! better of them alone scores 0.68, and all three 0.73 where the words and
//! the best passage of either kind score 0.67: the title similarity largely
//! repeats what the words already say and the answer similarity does not, so
//! each gets its own vote instead of being merged into one cosine. The votes
//! weigh the same; no weight is fitted to an evaluation set.
//!
//! An article whose title *is* the query stays first whatever the vectors say.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::query::EnableScoring;
use tantivy::{DocAddress, DocSet, Searcher};

use super::query::{FacetCount, Mode, SearchRequest, SearchResults};
use super::search::{Lexical, QueryPlan, Ranked};
use super::vectors::Semantic;
use super::visible::Visible;
use super::{Result, SearchIndex};

/// Candidates taken from each list before fusing.
const POOL: usize = 50;
/// Below this cosine an article is not a match by meaning at all: unrelated
/// texts score 0–0.25 with MiniLM-class models.
pub const FLOOR: f32 = 0.3;
/// The reciprocal-rank constant: how fast a rank's worth falls.
const K: f32 = 10.0;

/// An article close in meaning: its document, its title's and best
/// passage's cosines, its category and the passage's range.
struct Near {
    addr: DocAddress,
    title: f32,
    body: f32,
    category: String,
    passage: Option<(usize, usize)>,
}

impl SearchIndex {
    /// The page of `req` ranked by meaning (`Mode::Semantic`) or by both
    /// (`Mode::Hybrid`); fills `results`' total and facets.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hybrid(
        &self,
        searcher: &Searcher,
        plan: &QueryPlan,
        req: &SearchRequest,
        shown: Arc<Visible>,
        semantic: &Semantic,
        mode: Mode,
        results: &mut SearchResults,
    ) -> Result<Vec<Ranked>> {
        let pool = POOL.max(req.offset + req.limit);
        let lexical = match mode {
            Mode::Hybrid => self.lexical(searcher, plan, req, Arc::clone(&shown), pool, 0)?,
            _ => Lexical {
                docs: Vec::new(),
                total: 0,
                facets: Vec::new(),
            },
        };
        // The model reads a misspelt word as another word altogether: it is
        // given the query as the words' typo correction reads it.
        let text = results.did_you_mean.as_deref().unwrap_or(req.query);
        let near = self.near(searcher, &shown, semantic, text)?;

        // Articles found only by meaning add to the total and the facets
        // (those the words match too are counted already).
        let lexical_matches = match mode {
            Mode::Hybrid => matching(searcher, plan, near.iter().map(|n| n.addr))?,
            _ => vec![false; near.len()],
        };
        results.total = lexical.total;
        let mut facets: HashMap<String, u64> = lexical
            .facets
            .into_iter()
            .map(|f| (f.category, f.count))
            .collect();
        for (n, matched) in near.iter().zip(&lexical_matches) {
            if !matched {
                *facets.entry(n.category.clone()).or_default() += 1;
                if req.category.is_none_or(|c| c == n.category) {
                    results.total += 1;
                }
            }
        }
        results.facets = facets
            .into_iter()
            .map(|(category, count)| FacetCount { category, count })
            .collect();
        results.facets.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.category.cmp(&b.category))
        });

        let near: Vec<&Near> = near
            .iter()
            .filter(|n| req.category.is_none_or(|c| c == n.category))
            .collect();
        let mut fused: HashMap<DocAddress, Ranked> = HashMap::new();
        let mut vote = |addr: DocAddress, rank: usize, passage: Option<(usize, usize)>| {
            let r = fused.entry(addr).or_insert(Ranked {
                addr,
                score: 0.0,
                passage: None,
            });
            r.score += 1.0 / (K + rank as f32 + 1.0);
            r.passage = r.passage.or(passage);
        };
        for (rank, &(_, addr)) in lexical.docs.iter().enumerate() {
            vote(addr, rank, None);
        }
        let by_title = |n: &&Near| n.title;
        let by_body = |n: &&Near| n.body;
        for by in [&by_title as &dyn Fn(&&Near) -> f32, &by_body] {
            let mut list = near.clone();
            list.sort_by(|a, b| by(b).total_cmp(&by(a)).then_with(|| a.addr.cmp(&b.addr)));
            for (rank, n) in list.iter().take(pool).enumerate() {
                vote(n.addr, rank, n.passage);
            }
        }
        if let Some(&(_, first)) = lexical.docs.first() {
            if self.title_is(searcher, first, req.query)? {
                if let Some(r) = fused.get_mut(&first) {
                    r.score += 1.0; // above any fused score (each is < 3 / K)
                }
            }
        }
        let mut ranked: Vec<Ranked> = fused.into_values().collect();
        ranked.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.addr.cmp(&b.addr))
        });
        Ok(ranked
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .collect())
    }

    /// The visible articles at least [`FLOOR`] close to `query` by title or
    /// by a passage, in every category, unordered.
    fn near(
        &self,
        searcher: &Searcher,
        shown: &Visible,
        semantic: &Semantic,
        query: &str,
    ) -> Result<Vec<Near>> {
        let q = semantic.query(query);
        let addresses = self.addresses(searcher)?;
        let mut near = Vec::new();
        semantic.for_each(|path, vectors| {
            let Some(&addr) = addresses.get(path) else {
                return;
            };
            if !shown.contains(addr) {
                return;
            }
            let (title, body) = vectors.closeness(&q);
            let (passage, body) = match body {
                Some((i, c)) => {
                    let p = &vectors.passages[i];
                    (Some((p.start, p.end)), c)
                }
                None => (None, title),
            };
            if title.max(body) >= FLOOR {
                near.push(Near {
                    addr,
                    title,
                    body,
                    category: vectors.category.clone(),
                    passage,
                });
            }
        });
        Ok(near)
    }

    /// Each live article path's document in this generation, read from the
    /// path field's term dictionary (no stored document is opened).
    fn addresses(&self, searcher: &Searcher) -> Result<Arc<HashMap<String, DocAddress>>> {
        self.addresses.get_or_load(searcher, (), || {
            let mut out = HashMap::new();
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                let inverted = segment.inverted_index(self.fields.path)?;
                let alive = segment.alive_bitset();
                let mut terms = inverted.terms().stream()?;
                while terms.advance() {
                    let Ok(path) = std::str::from_utf8(terms.key()) else {
                        continue;
                    };
                    let mut postings = inverted.read_postings_from_terminfo(
                        terms.value(),
                        tantivy::schema::IndexRecordOption::Basic,
                    )?;
                    let mut doc = postings.doc();
                    while doc != tantivy::TERMINATED {
                        if alive.is_none_or(|a| a.is_alive(doc)) {
                            out.insert(path.to_string(), DocAddress::new(ord as u32, doc));
                        }
                        doc = postings.advance();
                    }
                }
            }
            Ok(out)
        })
    }

    /// Whether the article at `addr` is titled exactly `query` (case,
    /// punctuation and spacing aside).
    fn title_is(&self, searcher: &Searcher, addr: DocAddress, query: &str) -> Result<bool> {
        let hit = self.hit_source(searcher, addr)?;
        Ok(normalized(&hit.summary.title) == normalized(query))
    }
}

/// Lowercase words joined by single spaces.
fn normalized(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the plan's query matches each document (in the given order).
fn matching(
    searcher: &Searcher,
    plan: &QueryPlan,
    addrs: impl Iterator<Item = DocAddress>,
) -> Result<Vec<bool>> {
    let addrs: Vec<DocAddress> = addrs.collect();
    let mut order: Vec<usize> = (0..addrs.len()).collect();
    order.sort_by_key(|&i| addrs[i]);
    let weight = plan
        .query
        .weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut out = vec![false; addrs.len()];
    let mut current: Option<(u32, Box<dyn tantivy::query::Scorer>)> = None;
    for i in order {
        let addr = addrs[i];
        if current
            .as_ref()
            .is_none_or(|(seg, _)| *seg != addr.segment_ord)
        {
            let reader = searcher.segment_reader(addr.segment_ord);
            current = Some((addr.segment_ord, weight.scorer(reader, 1.0)?));
        }
        if let Some((_, scorer)) = current.as_mut() {
            // `seek` only moves forward; addresses are sorted, and a seek
            // past the target lands on the next match (or TERMINATED).
            let at = if scorer.doc() >= addr.doc_id {
                scorer.doc()
            } else {
                scorer.seek(addr.doc_id)
            };
            out[i] = at == addr.doc_id;
        }
    }
    Ok(out)
}
