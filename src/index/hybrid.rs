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

use super::document::{ArticleRecord, ArticleSummary};
use super::query::{Audience, FacetCount, Mode, SearchRequest, SearchResults};
use super::search::{Lexical, QueryPlan, Ranked};
use super::vectors::{Dense, Semantic};
use super::visible::Visible;
use super::{Result, SearchIndex};
use crate::semantic::dot;

/// Candidates taken from each list before fusing.
const POOL: usize = 50;
/// Below this cosine an article is not a match by meaning at all: unrelated
/// texts score 0–0.25 with MiniLM-class models.
const FLOOR: f32 = 0.3;
/// The reciprocal-rank constant: how fast a rank's worth falls.
const K: f32 = 10.0;

/// An article close in meaning: its document, its title's and best
/// passage's cosines, its category and the passage's range.
/// How close a text is in meaning to an article: cosines with its title
/// and with its closest passage (introduction or section).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Closeness {
    pub title: f32,
    pub body: f32,
}

impl Closeness {
    /// The closer of the two.
    pub fn best(&self) -> f32 {
        self.title.max(self.body)
    }
}

struct Near {
    addr: DocAddress,
    title: f32,
    body: f32,
    category: Arc<str>,
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
        let mut lexical = match mode {
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
        let near = self.near(searcher, &shown, semantic, &semantic.query(text))?;

        // Fusion can place only the leaders of each dense ranking: in any
        // category for the facets, in the chosen one for the page and total.
        let anywhere = leaders(&near, pool, |_| true);
        let in_category = req
            .category
            .map(|c| leaders(&near, pool, |n| &*n.category == c));
        let facets = std::mem::take(&mut lexical.facets);
        self.count_meaning_only(
            searcher,
            plan,
            mode,
            facets,
            &anywhere,
            in_category.as_deref(),
            results,
        )?;
        results.total += lexical.total;
        let near = in_category.unwrap_or(anywhere);
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
        for by in DENSE_RANKINGS {
            let mut list = near.clone();
            list.sort_by(|a, b| closer(by, a, b));
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

    /// Sets `results`' facets (the lexical ones plus the articles of
    /// `anywhere` found only by meaning) and total (those of `in_category`,
    /// or of `anywhere` without a category, found only by meaning; the
    /// caller adds the lexical total). Articles the words match too are
    /// counted by the lexical side already.
    #[allow(clippy::too_many_arguments)]
    fn count_meaning_only(
        &self,
        searcher: &Searcher,
        plan: &QueryPlan,
        mode: Mode,
        lexical_facets: Vec<FacetCount>,
        anywhere: &[&Near],
        in_category: Option<&[&Near]>,
        results: &mut SearchResults,
    ) -> Result<()> {
        let only_by_meaning = |list: &[&Near]| -> Result<Vec<bool>> {
            Ok(match mode {
                Mode::Hybrid => matching(searcher, plan, list.iter().map(|n| n.addr))?
                    .into_iter()
                    .map(|matched| !matched)
                    .collect(),
                _ => vec![true; list.len()],
            })
        };
        let mut facets: HashMap<String, u64> = lexical_facets
            .into_iter()
            .map(|f| (f.category, f.count))
            .collect();
        let extra = only_by_meaning(anywhere)?;
        for (n, _) in anywhere.iter().zip(&extra).filter(|(_, e)| **e) {
            *facets.entry(n.category.to_string()).or_default() += 1;
        }
        results.total = match in_category {
            None => extra.iter().filter(|e| **e).count(),
            Some(list) => only_by_meaning(list)?.iter().filter(|e| **e).count(),
        };
        results.facets = facets
            .into_iter()
            .map(|(category, count)| FacetCount { category, count })
            .collect();
        results.facets.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.category.cmp(&b.category))
        });
        Ok(())
    }

    /// The visible articles at least [`FLOOR`] close to `query` by title or
    /// by a passage, in every category, unordered.
    fn near(
        &self,
        searcher: &Searcher,
        shown: &Visible,
        semantic: &Semantic,
        q: &[f32],
    ) -> Result<Vec<Near>> {
        let dense = self.dense(searcher, semantic)?;
        let mut near = Vec::new();
        for a in &dense.articles {
            if !shown.contains(a.doc) {
                continue;
            }
            let (title, body) = dense.closeness(q, a);
            let (passage, body) = match body {
                Some((i, c)) => (Some(a.ranges[i]), c),
                None => (None, title),
            };
            if title.max(body) >= FLOOR {
                near.push(Near {
                    addr: a.doc,
                    title,
                    body,
                    category: Arc::clone(&a.category),
                    passage,
                });
            }
        }
        Ok(near)
    }

    /// This generation's scan layout of every article's vectors.
    fn dense(&self, searcher: &Searcher, semantic: &Semantic) -> Result<Arc<Dense<DocAddress>>> {
        let addresses = self.addresses(searcher)?;
        self.dense.get_or_load(searcher, (), || {
            Ok(Dense::build(semantic, |path| addresses.get(path).copied()))
        })
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

    /// The `n` articles closest in meaning to `article` as a whole (by the
    /// mean of their passages) that `audience` may read in its locale, or
    /// `None` without a model or vectors for it.
    pub(super) fn related_by_meaning(
        &self,
        article: &ArticleRecord,
        n: usize,
        audience: Audience,
    ) -> Result<Option<Vec<ArticleSummary>>> {
        let Some(semantic) = &self.semantic else {
            return Ok(None);
        };
        let Some(own) = semantic.get(&article.path) else {
            return Ok(None);
        };
        let searcher = self.searcher();
        let shown = self.visible_in(&searcher, audience, &article.locale)?;
        let addresses = self.addresses(&searcher)?;
        let mut scored: Vec<(f32, DocAddress)> = Vec::new();
        semantic.for_each(|path, vectors| match addresses.get(path) {
            Some(&addr) if path != article.path && shown.contains(addr) => {
                scored.push((dot(&own.centroid, &vectors.centroid), addr));
            }
            _ => {}
        });
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut out = Vec::with_capacity(n);
        for (_, addr) in scored.into_iter().take(n) {
            out.push(self.hit_source(&searcher, addr)?.summary.clone());
        }
        Ok(Some(out))
    }

    /// The article `audience` may read in `locale` that is closest in
    /// meaning to `query` (by title or passage), with how close its title
    /// and its best passage are, when one is at least `min` close (and
    /// never below the search floor, 0.3); `None` without a model.
    pub fn closest_by_meaning(
        &self,
        query: &str,
        locale: &str,
        audience: Audience,
        min: f32,
    ) -> Result<Option<(ArticleSummary, Closeness)>> {
        match &self.semantic {
            Some(semantic) => self.closest_to(&semantic.query(query), locale, audience, min),
            None => Ok(None),
        }
    }

    /// [`SearchIndex::closest_by_meaning`] for a unit vector of the model's
    /// own (such as the centroid of a topic's tickets).
    pub fn closest_to(
        &self,
        v: &[f32],
        locale: &str,
        audience: Audience,
        min: f32,
    ) -> Result<Option<(ArticleSummary, Closeness)>> {
        let Some(semantic) = &self.semantic else {
            return Ok(None);
        };
        let searcher = self.searcher();
        let shown = self.visible_in(&searcher, audience, locale)?;
        let best = self
            .near(&searcher, &shown, semantic, v)?
            .into_iter()
            .map(|n| {
                let c = Closeness {
                    title: n.title,
                    body: n.body,
                };
                (c, n.addr)
            })
            .filter(|(c, _)| c.best() >= min)
            .max_by(|a, b| {
                a.0.best()
                    .total_cmp(&b.0.best())
                    .then_with(|| b.1.cmp(&a.1))
            });
        match best {
            Some((closeness, addr)) => Ok(Some((
                self.hit_source(&searcher, addr)?.summary.clone(),
                closeness,
            ))),
            None => Ok(None),
        }
    }

    /// Pairs of live articles (internal ones included) in one locale whose
    /// content as a whole is at least `min` close: likely the same answer
    /// written twice, candidates to merge. Closest first, at most `limit`;
    /// `None` without a model.
    pub fn near_duplicates(
        &self,
        min: f32,
        limit: usize,
    ) -> Result<Option<Vec<(ArticleSummary, ArticleSummary, f32)>>> {
        let Some(semantic) = &self.semantic else {
            return Ok(None);
        };
        let searcher = self.searcher();
        let live = self.visible(&searcher, Audience::Agent)?;
        let addresses = self.addresses(&searcher)?;
        let mut articles: Vec<(DocAddress, Arc<super::vectors::ArticleVectors>)> = Vec::new();
        semantic.for_each(|path, vectors| {
            if let Some(&addr) = addresses.get(path).filter(|a| live.contains(**a)) {
                articles.push((addr, Arc::clone(vectors)));
            }
        });
        // Grouped by locale: only articles of one locale are compared.
        articles.sort_by(|a, b| a.1.locale.cmp(&b.1.locale).then_with(|| a.0.cmp(&b.0)));
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        for i in 0..articles.len() {
            for j in i + 1..articles.len() {
                if articles[i].1.locale != articles[j].1.locale {
                    break;
                }
                let c = dot(&articles[i].1.centroid, &articles[j].1.centroid);
                if c >= min {
                    pairs.push((c, i, j));
                }
            }
        }
        pairs.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| (a.1, a.2).cmp(&(b.1, b.2)))
        });
        let mut out = Vec::new();
        for (c, i, j) in pairs.into_iter().take(limit) {
            let a = self.hit_source(&searcher, articles[i].0)?.summary.clone();
            let b = self.hit_source(&searcher, articles[j].0)?.summary.clone();
            out.push((a, b, c));
        }
        Ok(Some(out))
    }

    /// Whether the article at `addr` is titled exactly `query` (case,
    /// punctuation and spacing aside).
    fn title_is(&self, searcher: &Searcher, addr: DocAddress, query: &str) -> Result<bool> {
        let hit = self.hit_source(searcher, addr)?;
        Ok(normalized(&hit.summary.title) == normalized(query))
    }
}

/// The two rankings by meaning: by title closeness, by passage closeness.
const DENSE_RANKINGS: [fn(&Near) -> f32; 2] = [|n| n.title, |n| n.body];

/// Orders closer first by `by`, then by document (a stable tie-break).
fn closer(by: fn(&Near) -> f32, a: &Near, b: &Near) -> std::cmp::Ordering {
    by(b).total_cmp(&by(a)).then_with(|| a.addr.cmp(&b.addr))
}

/// The articles `keep` accepts that rank among the first `pool` by title
/// or by passage closeness: the only ones fusion can place.
fn leaders(near: &[Near], pool: usize, keep: impl Fn(&Near) -> bool) -> Vec<&Near> {
    let kept: Vec<&Near> = near.iter().filter(|n| keep(n)).collect();
    if kept.len() <= pool {
        return kept;
    }
    let mut chosen = vec![false; kept.len()];
    for by in DENSE_RANKINGS {
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.select_nth_unstable_by(pool - 1, |&a, &b| closer(by, kept[a], kept[b]));
        for &i in &order[..pool] {
            chosen[i] = true;
        }
    }
    kept.into_iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(n, _)| n)
        .collect()
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
