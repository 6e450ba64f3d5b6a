//! Does the help center already answer a topic? Each of the topic's most
//! representative tickets is put to the index as a customer would
//! (published, public articles in the run's locale). With a sentence model,
//! a ticket counts as answered by the article closest to it in meaning when
//! that article is close enough to answer it — what it means, not which
//! words it shares — and the topic speaks the article title's language (a
//! veto: a close cosine between different subjects phrased alike is not an
//! answer). Without one, the ticket is searched and counts as
//! answered by the first result when that article is a confident match: it
//! is about what the ticket asks and uses most of it — the ticket's words,
//! each weighted by how much it says about the ticket's topic (how much
//! more the topic uses it than all tickets do), are mostly found in the
//! article, and a good part of them in its title, summary, tags or
//! headings. Tickets that were solved with a linked article count as
//! answered by it. The topic's coverage is the share of its tickets
//! answered by its best article, and its verdict follows: covered, partly
//! covered (an article exists but the tickets keep coming: improve it) or
//! not covered (write one).

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use tantivy::tokenizer::TextAnalyzer;

use crate::articles::Status;
use crate::index::{Audience, SearchIndex, SearchRequest};

use super::trend::Direction;
use super::Error;

/// Share of a ticket's specific words (weighted) that a confident answer
/// uses somewhere in its text, and in what it is about (title, summary,
/// tags, headings): long articles mention many words in passing.
const CONFIDENT: f64 = 0.6;
const ABOUT: f64 = 0.4;
/// An article answers a topic only if the topic speaks its title's
/// language: this share of the title's words is used by at least
/// [`USED`] of the topic's tickets ("Cancel your subscription" does not
/// answer "can I cancel a transaction?"). Words in more than [`COMMON`] of
/// all tickets that the topic does not favour ("my", "can") do not count
/// either way.
const TITLE: f64 = 0.5;
const USED: f32 = 0.05;
const COMMON: f32 = 0.15;
/// Coverage from which a topic is covered, and partly covered.
const COVERED: f64 = 0.5;
const PARTLY: f64 = 0.2;
/// Cosine from which the article closest in meaning to a ticket answers it
/// (with a sentence model).
const ANSWERS: f32 = 0.6;
/// Characters of a ticket used as a query (long emails say the question
/// early; the rest only blurs the search).
const QUERY_CHARS: usize = 300;

/// The verdict on a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Covered,
    /// An article matches, but tickets keep coming: improve it.
    PartlyCovered,
    /// No article answers it: write one.
    NotCovered,
}

impl Verdict {
    /// Words for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Covered => "covered",
            Verdict::PartlyCovered => "partly covered",
            Verdict::NotCovered => "not covered",
        }
    }
}

/// The article that best answers a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleMatch {
    pub slug: String,
    pub title: String,
    pub url: String,
}

/// How well the help center answers a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub verdict: Verdict,
    /// Estimated share of the topic's tickets its best article answers.
    pub score: f64,
    /// The best-matching published article (the most frequent first result
    /// when none is a confident match).
    pub article: Option<ArticleMatch>,
    /// Whether `article` answers any ticket confidently.
    pub confident: bool,
    /// Tickets behind the searched representative tickets, and how many of
    /// them `article` answered.
    pub searched: u64,
    pub answered: u64,
    /// Tickets solved with a linked article.
    pub linked: u64,
}

impl Coverage {
    /// The coverage of a topic whose help center was not checked.
    pub fn unchecked() -> Coverage {
        Coverage {
            verdict: Verdict::NotCovered,
            score: 0.0,
            article: None,
            confident: false,
            searched: 0,
            answered: 0,
            linked: 0,
        }
    }
}

/// A ticket to search: its text, how many tickets it stands for, and its
/// stems, each weighted by how much it makes the question specific.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub tickets: u32,
    pub stems: Vec<(String, f32)>,
}

/// A published article as coverage sees it: its match record, the stems of
/// what it is about (title, summary, tags, headings) and of all its text.
struct Known {
    article: ArticleMatch,
    about: FxHashSet<String>,
    all: FxHashSet<String>,
    title: FxHashSet<String>,
}

/// Searches one index for many topics, remembering each article's words.
pub struct Checker<'a> {
    index: &'a SearchIndex,
    locale: String,
    analyzer: TextAnalyzer,
    articles: FxHashMap<String, Option<Known>>,
}

impl<'a> Checker<'a> {
    /// A checker of `index` in `locale`, analyzing with the index's stemmed
    /// analyzer for that locale.
    pub fn new(index: &'a SearchIndex, locale: &str, analyzer: TextAnalyzer) -> Checker<'a> {
        Checker {
            index,
            locale: locale.to_string(),
            analyzer,
            articles: FxHashMap::default(),
        }
    }

    /// The coverage of a topic of `size` tickets, from its representative
    /// `queries`, the share of its tickets using each stem (`usage`) and its
    /// tickets' linked articles (`(article, tickets)`).
    pub fn check(
        &mut self,
        queries: &[Query],
        usage: &FxHashMap<String, (f32, f32)>,
        linked: &[(String, u64)],
        size: u64,
        direction: Direction,
    ) -> Result<Coverage, Error> {
        // Per article: tickets it answered among the searched ones.
        let mut answered: FxHashMap<String, u64> = FxHashMap::default();
        let mut first: FxHashMap<String, u64> = FxHashMap::default();
        let mut searched_tickets = 0u64;
        for q in queries {
            searched_tickets += u64::from(q.tickets);
            let Some((slug, answers)) = self.landing(q, usage)? else {
                continue;
            };
            if answers {
                *answered.entry(slug.clone()).or_insert(0) += u64::from(q.tickets);
            }
            *first.entry(slug).or_insert(0) += u64::from(q.tickets);
        }
        let linked_total: u64 = linked.iter().map(|(_, n)| n).sum();
        let mut by_link: FxHashMap<String, u64> = FxHashMap::default();
        for (article, n) in linked {
            *by_link
                .entry(slug_of_link(article, &self.locale))
                .or_insert(0) += n;
        }
        let unlinked = size.saturating_sub(linked_total) as f64;
        let score_of = |slug: &str| -> f64 {
            let searched = if searched_tickets == 0 {
                0.0
            } else {
                answered.get(slug).copied().unwrap_or(0) as f64 / searched_tickets as f64
            };
            let linked = by_link.get(slug).copied().unwrap_or(0) as f64;
            ((linked + searched * unlinked) / size.max(1) as f64).min(1.0)
        };
        let mut candidates: Vec<&String> = answered.keys().chain(by_link.keys()).collect();
        candidates.sort();
        candidates.dedup();
        let best = candidates
            .into_iter()
            .map(|s| (s.clone(), score_of(s)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
        let (slug, score, confident) = match best {
            Some((slug, score)) => (Some(slug), score, true),
            None => {
                let closest = first
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(s, _)| s);
                (closest, 0.0, false)
            }
        };
        let article = match &slug {
            Some(s) => Some(
                self.article(s)?
                    .map(|k| k.article.clone())
                    .unwrap_or_else(|| ArticleMatch {
                        slug: s.clone(),
                        title: s.clone(),
                        url: String::new(),
                    }),
            ),
            None => None,
        };
        let verdict = if score >= COVERED && direction != Direction::Growing {
            Verdict::Covered
        } else if score >= PARTLY {
            Verdict::PartlyCovered
        } else {
            Verdict::NotCovered
        };
        Ok(Coverage {
            verdict,
            score,
            confident,
            searched: searched_tickets,
            answered: slug
                .as_ref()
                .and_then(|s| answered.get(s))
                .copied()
                .unwrap_or(0),
            article,
            linked: linked_total,
        })
    }

    /// The published article a customer asking `q` lands on, and whether
    /// it answers them. With a sentence model that is the article closest in
    /// meaning (title or section), answering when at least [`ANSWERS`]
    /// close and the topic speaks its title's language ([`speaks_title`]):
    /// "Which ATMs accept this card?" is 0.60 close to "Accept card
    /// payments with Stripe" and not answered by it. Without
    /// one, it is the first search result, judged by its words
    /// ([`Checker::is_confident`]).
    fn landing(
        &mut self,
        q: &Query,
        usage: &FxHashMap<String, (f32, f32)>,
    ) -> Result<Option<(String, bool)>, Error> {
        let text: String = q.text.chars().take(QUERY_CHARS).collect();
        if self.index.semantic().is_some() {
            let closest =
                self.index
                    .closest_by_meaning(&text, &self.locale, Audience::Public, 0.0)?;
            let Some((article, closeness)) = closest else {
                return Ok(None);
            };
            let answers = closeness.best() >= ANSWERS
                && self
                    .article(&article.slug)?
                    .is_some_and(|known| speaks_title(known, usage));
            return Ok(Some((article.slug, answers)));
        }
        let results = self.index.search(&SearchRequest {
            query: &text,
            locale: &self.locale,
            category: None,
            limit: 1,
            offset: 0,
            audience: Audience::Public,
        })?;
        let Some(hit) = results.hits.into_iter().next() else {
            return Ok(None);
        };
        let answers = self.is_confident(&hit.slug, q, usage)?;
        Ok(Some((hit.slug, answers)))
    }

    /// Whether article `slug` confidently answers `q`: the topic speaks its
    /// title's language ([`TITLE`]), and it is about the question
    /// ([`ABOUT`] of the question's weighted words in its title, summary,
    /// tags or headings) and uses most of it ([`CONFIDENT`] in all its text).
    fn is_confident(
        &mut self,
        slug: &str,
        q: &Query,
        usage: &FxHashMap<String, (f32, f32)>,
    ) -> Result<bool, Error> {
        let Some(known) = self.article(slug)? else {
            return Ok(false);
        };
        if !speaks_title(known, usage) {
            return Ok(false);
        }
        let total: f64 = q.stems.iter().map(|(_, w)| f64::from(*w)).sum();
        if total <= 0.0 {
            return Ok(false);
        }
        let share = |words: &FxHashSet<String>| -> f64 {
            q.stems
                .iter()
                .filter(|(s, _)| words.contains(s))
                .map(|(_, w)| f64::from(*w))
                .sum::<f64>()
                / total
        };
        Ok(share(&known.about) >= ABOUT && share(&known.all) >= CONFIDENT)
    }

    /// A published article's words, cached.
    fn article(&mut self, slug: &str) -> Result<Option<&Known>, Error> {
        if !self.articles.contains_key(slug) {
            let record = self.index.get(slug, &self.locale, Audience::Public)?;
            let entry = record.filter(|r| r.status == Status::Published).map(|r| {
                let headings: Vec<&str> = r.toc.iter().map(|h| h.text.as_str()).collect();
                let about_text = format!(
                    "{}\n{}\n{}\n{}",
                    r.title,
                    r.summary,
                    r.tags.join(" "),
                    headings.join("\n")
                );
                let about = stems(&mut self.analyzer, &about_text);
                let mut all = stems(&mut self.analyzer, &r.markdown);
                all.extend(about.iter().cloned());
                Known {
                    title: stems(&mut self.analyzer, &r.title),
                    article: ArticleMatch {
                        slug: r.slug,
                        title: r.title,
                        url: r.url,
                    },
                    about,
                    all,
                }
            });
            self.articles.insert(slug.to_string(), entry);
        }
        Ok(self.articles.get(slug).and_then(Option::as_ref))
    }
}

fn stems(analyzer: &mut TextAnalyzer, text: &str) -> FxHashSet<String> {
    let mut out = FxHashSet::default();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.insert(t.text.clone());
    }
    out
}

/// Whether the topic speaks `known`'s title's language: [`TITLE`] of the
/// title's words are used by at least [`USED`] of its tickets, words every
/// topic uses ([`COMMON`]) not counting either way. Asked with a model too:
/// a ticket close in meaning to an article on another subject that shares
/// its phrasing ("Which ATMs accept this card?" and "Accept card payments
/// with Stripe and PayPal", cosine 0.60) is not answered by it.
fn speaks_title(known: &Known, usage: &FxHashMap<String, (f32, f32)>) -> bool {
    let words: Vec<Option<&(f32, f32)>> = known
        .title
        .iter()
        .map(|s| usage.get(s))
        .filter(|u| !u.is_some_and(|&(topic, all)| all > COMMON && topic < 2.0 * all))
        .collect();
    let spoken = words
        .iter()
        .filter(|u| u.is_some_and(|&(topic, _)| topic >= USED))
        .count();
    !words.is_empty() && (spoken as f64) >= TITLE * words.len() as f64
}

/// The slug a linked-article value names: a slug as is, or the path of a
/// help-center URL (`https://help.example.com/fr/articles/billing/refunds`
/// → `billing/refunds`).
pub fn slug_of_link(link: &str, locale: &str) -> String {
    let mut s = link.trim();
    if let Some(i) = s.find("://") {
        s = &s[i + 3..];
        s = s.find('/').map_or("", |i| &s[i..]);
    }
    s = s.split(['?', '#']).next().unwrap_or_default();
    s = s.trim_matches('/');
    for prefix in [locale, "articles"] {
        if let Some(rest) = s.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) {
            s = rest;
        }
    }
    for suffix in [".md", ".html", ".htm"] {
        s = s.strip_suffix(suffix).unwrap_or(s);
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BANKING77's "which places accept my card?" topic and the sample's
    /// "Accept card payments with Stripe and PayPal": close in meaning
    /// (cosine 0.60 with MiniLM), but the topic uses only "accept" of the
    /// title's words ("card" is in every other ticket too): not an answer.
    #[test]
    fn a_topic_must_speak_the_title_language() {
        let stems = |words: &[&str]| words.iter().map(|w| w.to_string()).collect();
        let known = Known {
            article: ArticleMatch {
                slug: "billing/accept-card-payments".into(),
                title: "Accept card payments with Stripe and PayPal".into(),
                url: String::new(),
            },
            about: stems(&[]),
            all: stems(&[]),
            title: stems(&["accept", "card", "payment", "stripe", "paypal"]),
        };
        // (share of the topic's tickets, share of all tickets) per stem.
        let mut usage: FxHashMap<String, (f32, f32)> = FxHashMap::default();
        usage.insert("accept".into(), (0.6, 0.02));
        usage.insert("card".into(), (0.7, 0.5));
        usage.insert("payment".into(), (0.02, 0.1));
        assert!(!speaks_title(&known, &usage));
        // A topic about taking card payments speaks it.
        usage.insert("payment".into(), (0.5, 0.1));
        usage.insert("stripe".into(), (0.2, 0.01));
        assert!(speaks_title(&known, &usage));
    }

    #[test]
    fn links_name_slugs() {
        let cases = [
            ("billing/refunds", "billing/refunds"),
            (
                "https://help.example.com/articles/billing/refunds?utm=x#top",
                "billing/refunds",
            ),
            ("/en/articles/billing/refunds/", "billing/refunds"),
            ("billing/refunds.md", "billing/refunds"),
        ];
        for (link, want) in cases {
            assert_eq!(slug_of_link(link, "en"), want, "{link}");
        }
    }
}
