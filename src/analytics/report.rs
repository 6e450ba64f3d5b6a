//! The report for support leads: a period's deflection metrics beside the
//! previous period of equal length, the gaps (searches that find nothing or
//! that nobody clicks, articles that fail or get "No" votes, stale and
//! unreviewed articles), each with the action that fixes it, and daily
//! trends. Events come from one scan of the store ([`build`]); article titles
//! from the search index; stale and unreviewed articles from the store and
//! the index ([`articles_needing_attention`], shared with the dashboard).
//! [`render`] writes it as JSON, CSV or HTML for `deflect report` and
//! `/agent/reports`.

mod attention;
mod period;
pub mod render;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::deflection::{
    ratio, ArticleKey, ArticleStats, Metrics, MetricsBuilder, QueryStats, Reasons, Totals,
};
use crate::index::{Audience, Mode, SearchIndex, SearchRequest};
use crate::store::EventReader;
use period::{date, iso};

pub use attention::{
    articles_needing_attention, default_review_interval, Attention, StaleArticle, UnreviewedArticle,
};
pub use period::{Period, PeriodInfo};
pub use render::{render_csv, render_html, render_json, trend_chart, HtmlOptions};

/// Rows per table unless told otherwise.
pub const DEFAULT_ROWS: usize = 20;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Period(String),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    #[error("rendering the report: {0}")]
    Render(String),
}

/// A rate now and in the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub current: Option<f64>,
    pub previous: Option<f64>,
    /// `current - previous`, when both exist.
    pub change: Option<f64>,
}

impl Rate {
    fn new(current: Option<f64>, previous: Option<f64>) -> Rate {
        let (current, previous) = (current.map(round), previous.map(round));
        Rate {
            current,
            previous,
            change: current.zip(previous).map(|(c, p)| round(c - p)),
        }
    }
}

/// Four decimals: enough for a percentage with two, and stable in snapshots.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The three headline rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub self_service_score: Rate,
    pub contact_deflection_rate: Rate,
    pub search_success_rate: Rate,
}

/// Totals now and in the previous period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedTotals {
    pub current: Totals,
    pub previous: Totals,
}

/// What fixes a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Start a draft prefilled with the failing queries.
    WriteArticle,
    /// Open the article in the editor.
    EditArticle,
    /// Add a synonym rule for the query.
    AddSynonym,
}

/// A link to the agent page that fixes a gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub kind: ActionKind,
    /// A path in the agent workspace (`/agent/...`).
    pub url: String,
}

impl Action {
    fn write_article(query: &str, variants: &[String]) -> Action {
        let mut body = String::from("Customers searched for:\n\n");
        let mut listed: Vec<&str> = variants.iter().map(String::as_str).collect();
        if listed.is_empty() {
            listed.push(query);
        }
        for v in listed {
            body.push_str("- ");
            body.push_str(v);
            body.push('\n');
        }
        Action {
            kind: ActionKind::WriteArticle,
            url: format!(
                "/agent/articles/new?{}",
                urlencode(&[("title", query), ("body", &body)])
            ),
        }
    }

    fn add_synonym(query: &str) -> Action {
        Action {
            kind: ActionKind::AddSynonym,
            url: format!("/agent/synonyms?{}", urlencode(&[("phrase", query)])),
        }
    }

    fn edit_article(slug: &str, locale: &str) -> Action {
        Action {
            kind: ActionKind::EditArticle,
            url: format!(
                "/agent/edit?{}",
                urlencode(&[("slug", slug), ("locale", locale)])
            ),
        }
    }
}

fn urlencode(pairs: &[(&str, &str)]) -> String {
    // Encoding string pairs cannot fail.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A query among the top searches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRow {
    pub query: String,
    pub searches: u64,
    pub clicks: u64,
    pub no_results: u64,
    pub no_clicks: u64,
    pub success_rate: Option<f64>,
    pub last_seen: String,
}

/// A query that fails: no results, or results nobody clicks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapRow {
    pub query: String,
    /// Failing searches (no-result or no-click, per table).
    pub count: u64,
    /// Every search of the query.
    pub searches: u64,
    /// The last failing search.
    pub last_seen: String,
    /// Spellings as typed.
    pub variants: Vec<String>,
    pub actions: Vec<Action>,
    /// With a sentence model, for a search that found nothing by its words:
    /// the article closest in meaning, when it is close. Often it answers
    /// the search, and the customer's words belong in it (or in a synonym).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest: Option<Closest>,
    /// For a search with results nobody clicked: the article it finds
    /// first today. An article exists; its title or summary may not look
    /// like the answer, so editing it comes before writing another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_result: Option<ArticleLink>,
}

/// An article a report row points to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleLink {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub url: String,
}

/// An article close in meaning to a failed search, or to another article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Closest {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub url: String,
    /// Cosine similarity, 0–1.
    pub similarity: f64,
}

impl Closest {
    fn of(a: &crate::index::ArticleSummary, similarity: f32) -> Closest {
        Closest {
            slug: a.slug.clone(),
            locale: a.locale.clone(),
            title: a.title.clone(),
            url: a.url.clone(),
            similarity: round(f64::from(similarity)),
        }
    }
}

/// Two live articles that say much the same: candidates to merge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateRow {
    pub first: Closest,
    pub second: Closest,
    pub actions: Vec<Action>,
}

/// How close in meaning a failed search's closest article must be to be
/// shown, and two articles to be called near-duplicates (all-MiniLM-class
/// cosines: paraphrases score above 0.8, one topic's different questions
/// 0.5–0.7).
const CLOSE_TO_SEARCH: f32 = 0.5;
const DUPLICATES: f32 = 0.9;
/// The most searched queries checked for matching only by meaning: each
/// costs a search and an embedding (cached for repeated reports).
const MEANING_ONLY_SCAN: usize = 200;

/// An article with its views, helpfulness and failures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleRow {
    pub slug: String,
    pub locale: String,
    pub title: String,
    /// The public page, when the article is live.
    pub url: Option<String>,
    pub views: u64,
    pub view_sessions: u64,
    pub yes: u64,
    pub no: u64,
    pub helpfulness: Option<f64>,
    pub failures: u64,
    pub failure_rate: Option<f64>,
    pub reasons: Reasons,
    pub actions: Vec<Action>,
}

/// One day of the trend charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayRow {
    pub date: String,
    pub searches: u64,
    pub tickets: u64,
    pub deflections: u64,
}

/// The report. Its JSON is the `--format json` output (snake_case keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub period: PeriodInfo,
    pub previous_period: PeriodInfo,
    pub summary: Summary,
    pub totals: ComparedTotals,
    pub top_searches: Vec<SearchRow>,
    pub no_result_searches: Vec<GapRow>,
    pub no_click_searches: Vec<GapRow>,
    pub articles_by_views: Vec<ArticleRow>,
    pub articles_by_failures: Vec<ArticleRow>,
    pub articles_by_no_votes: Vec<ArticleRow>,
    /// Absent when the report was made without the store's review data;
    /// the first rows of the list, the `_total` counts all of them.
    pub stale_articles: Option<Vec<StaleArticle>>,
    pub stale_total: Option<usize>,
    pub unreviewed_articles: Option<Vec<UnreviewedArticle>>,
    pub unreviewed_total: Option<usize>,
    /// With a sentence model: pairs of articles that answer alike.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_duplicates: Option<Vec<DuplicateRow>>,
    /// With a sentence model: searches whose words find nothing in the
    /// help center but whose meaning is close to an article — found only
    /// thanks to the model, and worth a synonym or the customers' words in
    /// that article. Most searched first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning_only_searches: Option<Vec<GapRow>>,
    /// What customers wrote with "No" votes in the period, newest first
    /// (masked when recorded).
    pub customer_comments: Vec<CommentRow>,
    /// Every day of the period, zeros included.
    pub daily: Vec<DayRow>,
}

/// A comment a customer left with a "No" vote, with the article it is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentRow {
    /// When, RFC 3339 UTC.
    pub at: String,
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub url: Option<String>,
    /// The vote's reason (`outdated`, `unclear`, `didnt_answer`, `other`).
    pub reason: Option<String>,
    pub comment: String,
    pub actions: Vec<Action>,
}

/// What a report covers and where it finds names.
pub struct ReportOptions<'a> {
    pub period: Period,
    /// The locale of events that name none.
    pub default_locale: &'a str,
    /// Most rows per table.
    pub rows: usize,
    /// Article titles and links; slugs are shown without it.
    pub index: Option<&'a SearchIndex>,
    /// Stale and unreviewed articles, when known.
    pub attention: Option<Attention>,
}

/// The store's events for reading beside a running server.
pub fn open_events(location: &crate::config::StoreLocation) -> Result<EventReader, ReportError> {
    Ok(EventReader::open(location)?)
}

/// The report of `opts.period` and the period before it, from the events in
/// `conn` (one scan over both).
pub fn build(events: &EventReader, opts: ReportOptions) -> Result<Report, ReportError> {
    let (current, previous) = scan_metrics(events, opts.period, opts.default_locale)?;
    let comments = events.vote_comments(opts.period.since, opts.period.until, opts.rows.max(1))?;
    let (index, default_locale) = (opts.index, opts.default_locale.to_string());
    let mut report = from_metrics(&current, &previous, opts)?;
    let mut titles = Titles {
        index,
        seen: HashMap::new(),
    };
    for c in comments {
        let locale = c.locale.unwrap_or_else(|| default_locale.clone());
        let (title, url) = titles.get(&c.slug, &locale)?;
        report.customer_comments.push(CommentRow {
            at: chrono::DateTime::from_timestamp_millis(c.at)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            actions: vec![Action::edit_article(&c.slug, &locale)],
            slug: c.slug,
            locale,
            title,
            url,
            reason: c.reason,
            comment: c.comment,
        });
    }
    Ok(report)
}

/// The metrics of `period` and of the period before it.
pub fn scan_metrics(
    events: &EventReader,
    period: Period,
    default_locale: &str,
) -> Result<(Metrics, Metrics), ReportError> {
    let before = period.previous();
    let mut current = MetricsBuilder::new(default_locale);
    let mut previous = MetricsBuilder::new(default_locale);
    events.scan_refs(before.since, period.until, |e| {
        if e.at < period.since {
            previous.push(e)
        } else {
            current.push(e)
        }
    })?;
    Ok((current.finish(), previous.finish()))
}

/// The report from already computed metrics.
pub fn from_metrics(
    current: &Metrics,
    previous: &Metrics,
    opts: ReportOptions,
) -> Result<Report, ReportError> {
    let rows = opts.rows.max(1);
    let (cur, prev) = (&current.totals, &previous.totals);
    let mut titles = Titles {
        index: opts.index,
        seen: HashMap::new(),
    };
    let (top_searches, mut no_result_searches, mut no_click_searches) =
        search_tables(current, rows);
    let mut near_duplicates = None;
    let mut meaning_only_searches = None;
    if let Some(index) = opts.index.filter(|i| i.semantic().is_some()) {
        meaning_only_searches = Some(meaning_only(
            index,
            current,
            &no_result_searches,
            opts.default_locale,
            rows,
        )?);
    }
    if let Some(index) = opts.index {
        for row in &mut no_result_searches {
            let found = index.closest_by_meaning(
                &row.query,
                opts.default_locale,
                Audience::Public,
                CLOSE_TO_SEARCH,
            )?;
            if let Some((article, closeness)) = found {
                row.actions
                    .push(Action::edit_article(&article.slug, &article.locale));
                row.closest = Some(Closest::of(&article, closeness.best()));
            }
        }
        for row in &mut no_click_searches {
            add_top_result(index, row, opts.default_locale);
        }
        near_duplicates = index.near_duplicates(DUPLICATES, rows)?.map(|pairs| {
            pairs
                .iter()
                .map(|(a, b, c)| DuplicateRow {
                    first: Closest::of(a, *c),
                    second: Closest::of(b, *c),
                    actions: vec![
                        Action::edit_article(&a.slug, &a.locale),
                        Action::edit_article(&b.slug, &b.locale),
                    ],
                })
                .collect()
        });
    }
    let articles: Vec<(&ArticleKey, &ArticleStats)> = current.articles.iter().collect();
    let mut article_rows = |picked: Vec<(&ArticleKey, &ArticleStats)>| {
        picked
            .into_iter()
            .map(|(k, a)| article_row(&mut titles, k, a))
            .collect::<Result<Vec<_>, ReportError>>()
    };
    let articles_by_views = article_rows(top(
        &articles,
        rows,
        |(_, a)| a.views > 0,
        |(_, a)| (a.views, a.view_sessions as i64),
    ))?;
    let articles_by_failures = article_rows(top(
        &articles,
        rows,
        |(_, a)| a.failures > 0,
        |(_, a)| (a.failures, a.failure_rate().map_or(0, |r| (r * 1e6) as i64)),
    ))?;
    let articles_by_no_votes = article_rows(top(
        &articles,
        rows,
        |(_, a)| a.no > 0,
        |(_, a)| (a.no, -(a.yes as i64)),
    ))?;
    let (stale_total, unreviewed_total) = match &opts.attention {
        Some(a) => (Some(a.stale.len()), Some(a.unreviewed.len())),
        None => (None, None),
    };
    let (stale_articles, unreviewed_articles) = match opts.attention {
        Some(a) => (
            Some(a.stale.into_iter().take(rows).collect()),
            Some(a.unreviewed.into_iter().take(rows).collect()),
        ),
        None => (None, None),
    };
    Ok(Report {
        period: opts.period.into(),
        previous_period: opts.period.previous().into(),
        summary: Summary {
            self_service_score: Rate::new(cur.self_service_score(), prev.self_service_score()),
            contact_deflection_rate: Rate::new(
                cur.contact_deflection_rate(),
                prev.contact_deflection_rate(),
            ),
            search_success_rate: Rate::new(cur.search_success_rate(), prev.search_success_rate()),
        },
        totals: ComparedTotals {
            current: *cur,
            previous: *prev,
        },
        top_searches,
        no_result_searches,
        no_click_searches,
        articles_by_views,
        articles_by_failures,
        articles_by_no_votes,
        stale_articles,
        stale_total,
        unreviewed_articles,
        unreviewed_total,
        near_duplicates,
        meaning_only_searches,
        customer_comments: Vec::new(),
        daily: daily_rows(opts.period, current),
    })
}

/// The top searches, and the searches that found nothing or got no click.
fn search_tables(current: &Metrics, rows: usize) -> (Vec<SearchRow>, Vec<GapRow>, Vec<GapRow>) {
    let queries: Vec<(&String, &QueryStats)> = current
        .queries
        .iter()
        .filter(|(q, _)| !q.is_empty())
        .collect();
    let top_searches = top(
        &queries,
        rows,
        |(_, s)| s.searches > 0,
        |(_, s)| (s.searches, s.last_seen),
    )
    .into_iter()
    .map(|(q, s)| SearchRow {
        query: q.to_string(),
        searches: s.searches,
        clicks: s.clicks,
        no_results: s.no_results,
        no_clicks: s.no_clicks(),
        success_rate: ratio(s.successes, s.searches).map(round),
        last_seen: iso(s.last_seen),
    })
    .collect();
    let gap = |q: &str, s: &QueryStats, count: u64, last: i64| GapRow {
        query: q.to_string(),
        count,
        searches: s.searches,
        last_seen: iso(last),
        variants: s.variants.clone(),
        actions: vec![
            Action::write_article(q, &s.variants),
            Action::add_synonym(q),
        ],
        closest: None,
        top_result: None,
    };
    let no_result_searches = top(
        &queries,
        rows,
        |(_, s)| s.no_results > 0,
        |(_, s)| (s.no_results, s.last_no_result.unwrap_or(s.last_seen)),
    )
    .into_iter()
    .map(|(q, s)| gap(q, s, s.no_results, s.last_no_result.unwrap_or(s.last_seen)))
    .collect();
    let no_click_searches = top(
        &queries,
        rows,
        |(_, s)| s.no_clicks() > 0,
        |(_, s)| (s.no_clicks(), s.last_seen),
    )
    .into_iter()
    .map(|(q, s)| gap(q, s, s.no_clicks(), s.last_seen))
    .collect();
    (top_searches, no_result_searches, no_click_searches)
}

/// Names the article a no-click search finds first today, and puts
/// editing it before the other actions. A query the index refuses (too
/// long, say) or that finds nothing now is left as it is.
fn add_top_result(index: &SearchIndex, row: &mut GapRow, locale: &str) {
    let req = SearchRequest {
        query: &row.query,
        locale,
        category: None,
        limit: 1,
        offset: 0,
        audience: Audience::Public,
    };
    let Some(hit) = index
        .search(&req)
        .ok()
        .and_then(|r| r.hits.into_iter().next())
    else {
        return;
    };
    row.actions
        .insert(0, Action::edit_article(&hit.slug, &hit.locale));
    row.top_result = Some(ArticleLink {
        slug: hit.slug,
        locale: hit.locale,
        title: hit.title,
        url: hit.url,
    });
}

/// Of the [`MEANING_ONLY_SCAN`] most searched queries, those whose words
/// find no article customers may read but whose meaning is at least
/// [`CLOSE_TO_SEARCH`] close to one (queries already in the no-result table
/// are left to it), most searched first, `rows` at most.
fn meaning_only(
    index: &SearchIndex,
    current: &Metrics,
    no_results: &[GapRow],
    locale: &str,
    rows: usize,
) -> Result<Vec<GapRow>, ReportError> {
    let listed: HashSet<&str> = no_results.iter().map(|r| r.query.as_str()).collect();
    let mut queries: Vec<(&String, &QueryStats)> = current
        .queries
        .iter()
        .filter(|(q, s)| !q.is_empty() && s.searches > 0 && !listed.contains(q.as_str()))
        .collect();
    queries.sort_by(|a, b| {
        (b.1.searches, b.1.last_seen)
            .cmp(&(a.1.searches, a.1.last_seen))
            .then_with(|| a.0.cmp(b.0))
    });
    let mut out = Vec::new();
    for (q, s) in queries.into_iter().take(MEANING_ONLY_SCAN) {
        let req = SearchRequest {
            query: q,
            locale,
            category: None,
            limit: 1,
            offset: 0,
            audience: Audience::Public,
        };
        // A query the index refuses (too long, say) is no row.
        let Ok(words) = index.search_with(&req, Mode::Lexical) else {
            continue;
        };
        if words.total > 0 {
            continue;
        }
        let Some((article, closeness)) =
            index.closest_by_meaning(q, locale, Audience::Public, CLOSE_TO_SEARCH)?
        else {
            continue;
        };
        out.push(GapRow {
            query: q.clone(),
            count: s.searches,
            searches: s.searches,
            last_seen: iso(s.last_seen),
            variants: s.variants.clone(),
            actions: vec![
                Action::add_synonym(q),
                Action::edit_article(&article.slug, &article.locale),
            ],
            closest: Some(Closest::of(&article, closeness.best())),
            top_result: None,
        });
        if out.len() == rows {
            break;
        }
    }
    Ok(out)
}

/// One article's row, titled from the index when there is one.
fn article_row(
    titles: &mut Titles,
    k: &ArticleKey,
    a: &ArticleStats,
) -> Result<ArticleRow, ReportError> {
    let (title, url) = titles.get(&k.slug, &k.locale)?;
    Ok(ArticleRow {
        slug: k.slug.clone(),
        locale: k.locale.clone(),
        title,
        url,
        views: a.views,
        view_sessions: a.view_sessions,
        yes: a.yes,
        no: a.no,
        helpfulness: a.helpfulness().map(round),
        failures: a.failures,
        failure_rate: a.failure_rate().map(round),
        reasons: a.reasons,
        actions: vec![Action::edit_article(&k.slug, &k.locale)],
    })
}

/// Every day of `period`, with its counts (zero on a quiet day).
fn daily_rows(period: Period, current: &Metrics) -> Vec<DayRow> {
    period
        .day_numbers()
        .map(|day| {
            let c = current.days.get(&day).copied().unwrap_or_default();
            DayRow {
                date: date(day),
                searches: c.searches,
                tickets: c.tickets,
                deflections: c.deflections,
            }
        })
        .collect()
}

/// The first `n` items that pass `keep`, by `key` descending, ties in the
/// input's (sorted) order: deterministic whatever the counts.
fn top<T: Copy>(
    items: &[T],
    n: usize,
    keep: impl Fn(&T) -> bool,
    key: impl Fn(&T) -> (u64, i64),
) -> Vec<T> {
    let mut kept: Vec<(usize, T)> = items
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, t)| keep(t))
        .collect();
    kept.sort_by(|(i, a), (j, b)| key(b).cmp(&key(a)).then(i.cmp(j)));
    kept.into_iter().take(n).map(|(_, t)| t).collect()
}

/// Titles and public links of articles, from the index, looked up once.
struct Titles<'a> {
    index: Option<&'a SearchIndex>,
    seen: HashMap<(String, String), (String, Option<String>)>,
}

impl Titles<'_> {
    fn get(&mut self, slug: &str, locale: &str) -> Result<(String, Option<String>), ReportError> {
        let key = (slug.to_string(), locale.to_string());
        if let Some(found) = self.seen.get(&key) {
            return Ok(found.clone());
        }
        let found = match self.index {
            Some(index) => match index.get(slug, locale, Audience::Agent)? {
                Some(a) => (a.title, Some(a.url)),
                None => (slug.to_string(), None),
            },
            None => (slug.to_string(), None),
        };
        self.seen.insert(key, found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::deflection::MS_PER_DAY;
    use crate::analytics::{Event, EventKind, Source};

    const JAN_1: i64 = 1_767_225_600_000;

    fn search(at: i64, session: &str, q: &str, results: i64) -> Event {
        Event {
            query: Some(q.into()),
            results: Some(results),
            ..Event {
                at,
                session: session.into(),
                kind: EventKind::Search,
                source: Source::Web,
                query: None,
                slug: None,
                rank: None,
                results: None,
                locale: None,
                helpful: None,
                reason: None,
                comment: None,
            }
        }
    }

    #[test]
    fn gap_rows_carry_their_actions_and_tables_are_capped() {
        let events: Vec<Event> = (0..30)
            .map(|i| {
                search(
                    JAN_1 + i * 1000,
                    &format!("s{i}"),
                    &format!("Lost Q{}", i % 5),
                    0,
                )
            })
            .collect();
        let current = Metrics::compute(events, "en");
        let report = from_metrics(
            &current,
            &Metrics::default(),
            ReportOptions {
                period: Period::new(JAN_1, JAN_1 + MS_PER_DAY).unwrap(),
                default_locale: "en",
                rows: 3,
                index: None,
                attention: None,
            },
        )
        .unwrap();
        assert_eq!(report.no_result_searches.len(), 3);
        let first = &report.no_result_searches[0];
        // Six searches each; the most recent failing query comes first.
        assert_eq!((first.query.as_str(), first.count), ("lost q4", 6));
        assert_eq!(first.variants, ["Lost Q4"]);
        let urls: Vec<(ActionKind, &str)> = first
            .actions
            .iter()
            .map(|a| (a.kind, a.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                (
                    ActionKind::WriteArticle,
                    "/agent/articles/new?title=lost+q4&body=Customers+searched+for%3A%0A%0A-+Lost+Q4%0A"
                ),
                (ActionKind::AddSynonym, "/agent/synonyms?phrase=lost+q4"),
            ]
        );
        assert!(report.no_click_searches.is_empty());
        assert_eq!(report.summary.search_success_rate.current, Some(0.0));
        assert_eq!(report.summary.search_success_rate.previous, None);
        assert_eq!(report.summary.search_success_rate.change, None);
        assert_eq!(report.daily.len(), 1);
        assert_eq!(report.daily[0].searches, 30);
    }
}
