//! The deflection metrics of ARCHITECTURE.md ("Deflection"), computed in one
//! pass over a period's events in time order (what `Store::scan_events`
//! streams). Pure: events in, [`Metrics`] out, no clock and no I/O, so every
//! definition is tested on hand-built event logs below. Reports
//! ([`super::report`]) turn two of these (a period and the one before it)
//! into tables and charts.
//!
//! The definitions, exactly as implemented (and documented in the README):
//! - **Search success rate** = searches followed by a click in the same
//!   session, for the same normalized query, at or after the search ÷
//!   searches. A search with 0 results is a *no-result* failure whatever
//!   follows; one with results that is never clicked is a *no-click* failure.
//!   So `searches = successful + no_result + no_click`.
//! - **Contact-form deflection rate** = contact forms opened that were
//!   deflected ÷ contact forms opened. An open lasts until the next
//!   `contact_open` or `ticket_submit` of its session (or the end of the
//!   period). It is deflected when it was not ended by a ticket and either
//!   saw a `deflected` event ("this answered my question"), or saw a
//!   `suggestion_click` and no `ticket_submit` follows anywhere later in the
//!   session (abandoned after a suggestion).
//! - **Self-service score** (Zendesk's) = distinct sessions with any event ÷
//!   distinct sessions that submitted a ticket; none without tickets.
//! - **Article failure**: a `view` of an article followed by a
//!   `ticket_submit` in the same session, counted once per session and
//!   article.
//! - **Helpfulness** = yes votes ÷ all votes of an article; "No" votes are
//!   grouped by reason (`outdated`, `unclear`, `didnt_answer`, `other`, and
//!   `unspecified` when none was given; an unknown reason counts as `other`).
//!
//! Memory is bounded per session: a small state (the open contact form, a
//! flag) and at most [`MAX_SLOTS`] tracked queries and articles, in a hash
//! map keyed by session id. Queries and articles are interned to numbers so
//! a session's state holds no strings.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{normalize_query, Event, EventKind};
pub use crate::store::EventRef;

/// Milliseconds in a (UTC) day: events are bucketed by `at / MS_PER_DAY`.
pub const MS_PER_DAY: i64 = 86_400_000;

/// Most queries and articles tracked per session. A session past it (a bot,
/// in practice) stops tracking new ones: its later searches can no longer
/// succeed and its later views can no longer fail.
pub const MAX_SLOTS: usize = 256;

/// Distinct raw spellings kept per normalized query (for "write an article").
pub const MAX_VARIANTS: usize = 5;

/// Counts over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Every event of the period.
    pub events: u64,
    /// Distinct sessions with any event.
    pub sessions: u64,
    /// Distinct sessions that submitted a ticket.
    pub ticket_sessions: u64,
    pub searches: u64,
    /// Searches with results that were clicked later in the session.
    pub successful_searches: u64,
    /// Searches with 0 results.
    pub no_result_searches: u64,
    /// Searches with results that were never clicked.
    pub no_click_searches: u64,
    pub clicks: u64,
    pub views: u64,
    /// Votes that said yes or no.
    pub votes: u64,
    pub contact_opens: u64,
    /// Contact forms opened that were deflected (see the module docs).
    pub deflected_opens: u64,
    pub suggestions_shown: u64,
    pub suggestion_clicks: u64,
    /// "This answered my question" presses, with or without a form open.
    pub deflected: u64,
    pub tickets: u64,
}

impl Totals {
    /// Successful searches ÷ searches (none without searches).
    pub fn search_success_rate(&self) -> Option<f64> {
        ratio(self.successful_searches, self.searches)
    }

    /// Deflected contact forms ÷ contact forms opened (none without opens).
    pub fn contact_deflection_rate(&self) -> Option<f64> {
        ratio(self.deflected_opens, self.contact_opens)
    }

    /// Sessions ÷ sessions with a ticket (none without tickets).
    pub fn self_service_score(&self) -> Option<f64> {
        ratio(self.sessions, self.ticket_sessions)
    }
}

/// `n / d`, none when `d` is 0.
pub fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// What one normalized query did over the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryStats {
    pub searches: u64,
    /// Searches of it with 0 results.
    pub no_results: u64,
    /// Clicks on results of it.
    pub clicks: u64,
    /// Searches of it that succeeded.
    pub successes: u64,
    /// The last search of it (ms).
    pub last_seen: i64,
    /// The last search of it with 0 results (ms).
    pub last_no_result: Option<i64>,
    /// Up to [`MAX_VARIANTS`] distinct spellings, as typed (scrubbed).
    pub variants: Vec<String>,
}

impl QueryStats {
    /// Searches with results that were never clicked.
    pub fn no_clicks(&self) -> u64 {
        self.searches - self.no_results - self.successes
    }
}

/// An article, as events name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArticleKey {
    pub slug: String,
    pub locale: String,
}

/// "No" votes by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reasons {
    pub outdated: u64,
    pub unclear: u64,
    pub didnt_answer: u64,
    pub other: u64,
    /// No reason given.
    pub unspecified: u64,
}

impl Reasons {
    /// Which counter a reason goes to: 0 unspecified, 1 outdated, 2 unclear,
    /// 3 didn't answer, 4 other.
    fn code(reason: Option<&str>) -> u8 {
        let reason = reason.map(|r| r.trim().to_ascii_lowercase().replace(['\'', '’'], ""));
        match reason.as_deref().map(|r| r.replace([' ', '-'], "_")) {
            None => 0,
            Some(r) if r.is_empty() => 0,
            Some(r) => match r.as_str() {
                "outdated" => 1,
                "unclear" => 2,
                "didnt_answer" => 3,
                _ => 4,
            },
        }
    }

    fn counter(&mut self, code: u8) -> &mut u64 {
        match code {
            1 => &mut self.outdated,
            2 => &mut self.unclear,
            3 => &mut self.didnt_answer,
            4 => &mut self.other,
            _ => &mut self.unspecified,
        }
    }
}

/// What happened to one article over the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleStats {
    pub views: u64,
    /// Distinct sessions that viewed it.
    pub view_sessions: u64,
    /// Sessions that viewed it and then submitted a ticket.
    pub failures: u64,
    pub yes: u64,
    pub no: u64,
    pub reasons: Reasons,
}

impl ArticleStats {
    /// Yes votes ÷ all votes (none without votes).
    pub fn helpfulness(&self) -> Option<f64> {
        ratio(self.yes, self.yes + self.no)
    }

    /// Failures ÷ sessions that viewed it.
    pub fn failure_rate(&self) -> Option<f64> {
        ratio(self.failures, self.view_sessions)
    }
}

/// One UTC day's counts, for the trend charts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    pub searches: u64,
    pub tickets: u64,
    /// Deflected contact forms, on the day the form was opened.
    pub deflections: u64,
}

/// The metrics of one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub totals: Totals,
    /// By normalized query (the empty query included).
    pub queries: BTreeMap<String, QueryStats>,
    pub articles: BTreeMap<ArticleKey, ArticleStats>,
    /// By day number (`at.div_euclid(MS_PER_DAY)`); days without events are
    /// absent.
    pub days: BTreeMap<i64, DayCounts>,
}

impl Metrics {
    /// The metrics of `events` (in time order); `default_locale` names the
    /// locale of articles whose events carry none.
    pub fn compute(events: impl IntoIterator<Item = Event>, default_locale: &str) -> Metrics {
        let mut builder = MetricsBuilder::new(default_locale);
        for e in events {
            builder.push(EventRef::from(&e));
        }
        builder.finish()
    }
}

/// What a session is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Searches (with results) of a query not clicked yet.
    Search { query: u32, pending: u32 },
    /// An article viewed; `failed` once a ticket followed.
    View { article: u32, failed: bool },
    /// Contact forms opened on `day` that ended after a suggestion click:
    /// deflected unless a ticket follows in the session.
    Abandoned { day: i64, count: u32 },
    /// The session's vote on an article (its latest one is what counts).
    Vote {
        article: u32,
        helpful: bool,
        reason: u8,
    },
}

/// The contact form a session has open.
#[derive(Debug, Clone, Copy)]
struct Open {
    day: i64,
    suggestion_clicked: bool,
    deflected: bool,
}

#[derive(Debug, Default)]
struct SessionState {
    slots: Vec<Slot>,
    open: Option<Open>,
    ticket: bool,
}

/// Feeds events one at a time (as a store scan hands them over) and
/// produces the [`Metrics`] at the end.
pub struct MetricsBuilder {
    default_locale: String,
    totals: Totals,
    sessions: FxHashMap<String, SessionState>,
    query_ids: FxHashMap<String, u32>,
    queries: Vec<QueryStats>,
    /// `locale\nslug` → id.
    article_ids: FxHashMap<String, u32>,
    articles: Vec<(ArticleKey, ArticleStats)>,
    days: BTreeMap<i64, DayCounts>,
    scratch: String,
}

impl MetricsBuilder {
    /// An empty builder; see [`Metrics::compute`] for `default_locale`.
    pub fn new(default_locale: &str) -> MetricsBuilder {
        MetricsBuilder {
            default_locale: default_locale.to_string(),
            totals: Totals::default(),
            sessions: FxHashMap::default(),
            query_ids: FxHashMap::default(),
            queries: Vec::new(),
            article_ids: FxHashMap::default(),
            articles: Vec::new(),
            days: BTreeMap::new(),
            scratch: String::new(),
        }
    }

    /// The id of `raw`'s normalized query.
    fn query_id(&mut self, raw: &str) -> u32 {
        normalize_into(raw, &mut self.scratch);
        if let Some(id) = self.query_ids.get(self.scratch.as_str()) {
            return *id;
        }
        let id = self.queries.len() as u32;
        self.query_ids.insert(self.scratch.clone(), id);
        self.queries.push(QueryStats::default());
        id
    }

    /// The id of the article an event names.
    fn article_id(&mut self, slug: &str, locale: Option<&str>) -> u32 {
        let locale = locale
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.default_locale);
        self.scratch.clear();
        self.scratch.push_str(locale);
        self.scratch.push('\n');
        self.scratch.push_str(slug);
        if let Some(id) = self.article_ids.get(self.scratch.as_str()) {
            return *id;
        }
        let id = self.articles.len() as u32;
        self.article_ids.insert(self.scratch.clone(), id);
        self.articles.push((
            ArticleKey {
                slug: slug.to_string(),
                locale: locale.to_string(),
            },
            ArticleStats::default(),
        ));
        id
    }

    /// Adds one event; events must come in time order.
    pub fn push(&mut self, e: EventRef) {
        self.totals.events += 1;
        let day = e.at.div_euclid(MS_PER_DAY);
        // Interned ids first: the session's state below borrows the map.
        let query = match e.kind {
            EventKind::Search | EventKind::Click => e.query.map(|q| self.query_id(q)),
            _ => None,
        };
        let article = match (e.kind, e.slug) {
            (EventKind::View | EventKind::Vote, Some(slug)) => {
                Some(self.article_id(slug, e.locale))
            }
            _ => None,
        };
        // Most events belong to a session already seen: look up by the
        // borrowed id and allocate only for a new one.
        if !self.sessions.contains_key(e.session) {
            self.sessions
                .insert(e.session.to_string(), SessionState::default());
        }
        let Some(session) = self.sessions.get_mut(e.session) else {
            return; // inserted just above
        };
        let totals = &mut self.totals;
        match e.kind {
            EventKind::Search => {
                totals.searches += 1;
                self.days.entry(day).or_default().searches += 1;
                let no_results = e.results.is_some_and(|n| n <= 0);
                if no_results {
                    totals.no_result_searches += 1;
                }
                if let Some(id) = query {
                    let stats = &mut self.queries[id as usize];
                    count_search(stats, &e, no_results);
                    if !no_results {
                        add_pending(&mut session.slots, id);
                    }
                }
            }
            EventKind::Click => {
                totals.clicks += 1;
                if let Some(id) = query {
                    let successes =
                        count_click(&mut self.queries[id as usize], &mut session.slots, id);
                    totals.successful_searches += successes;
                }
            }
            EventKind::View => {
                totals.views += 1;
                if let Some(id) = article {
                    count_view(&mut self.articles[id as usize].1, &mut session.slots, id);
                }
            }
            EventKind::Vote => {
                if let (Some(id), Some(helpful)) = (article, e.helpful) {
                    let stats = &mut self.articles[id as usize].1;
                    let reason = Reasons::code(e.reason);
                    if count_vote(stats, &mut session.slots, id, helpful, reason) {
                        totals.votes += 1;
                    }
                }
            }
            EventKind::ContactOpen => {
                totals.contact_opens += 1;
                if let Some(open) = session.open.take() {
                    end_open(open, &mut session.slots, totals, &mut self.days);
                }
                session.open = Some(Open {
                    day,
                    suggestion_clicked: false,
                    deflected: false,
                });
            }
            EventKind::SuggestionShown => totals.suggestions_shown += 1,
            EventKind::SuggestionClick => {
                totals.suggestion_clicks += 1;
                if let Some(open) = &mut session.open {
                    open.suggestion_clicked = true;
                }
            }
            EventKind::Deflected => {
                totals.deflected += 1;
                if let Some(open) = &mut session.open {
                    open.deflected = true;
                }
            }
            EventKind::TicketSubmit => {
                totals.tickets += 1;
                self.days.entry(day).or_default().tickets += 1;
                if !session.ticket {
                    session.ticket = true;
                    totals.ticket_sessions += 1;
                }
                end_with_ticket(session, &mut self.articles);
            }
        }
    }

    /// The metrics of everything pushed: forms still open and abandonments
    /// no ticket followed are settled here.
    pub fn finish(mut self) -> Metrics {
        let mut totals = self.totals;
        for (_, mut session) in self.sessions.drain() {
            if let Some(open) = session.open.take() {
                end_open(open, &mut session.slots, &mut totals, &mut self.days);
            }
            for slot in &session.slots {
                if let Slot::Abandoned { day, count } = *slot {
                    totals.deflected_opens += u64::from(count);
                    self.days.entry(day).or_default().deflections += u64::from(count);
                }
            }
            totals.sessions += 1;
        }
        totals.no_click_searches =
            totals.searches - totals.no_result_searches - totals.successful_searches;
        let mut queries = BTreeMap::new();
        for (q, id) in self.query_ids {
            queries.insert(q, std::mem::take(&mut self.queries[id as usize]));
        }
        Metrics {
            totals,
            queries,
            articles: self.articles.into_iter().collect(),
            days: self.days,
        }
    }
}

/// [`normalize_query`] into a reused buffer: the same words, lowercased,
/// joined by single spaces — without its allocations per word.
fn normalize_into(raw: &str, out: &mut String) {
    out.clear();
    // `str::to_lowercase` treats a final capital sigma specially; leave such
    // rare queries to the reference implementation.
    if raw.contains('Σ') {
        out.push_str(&normalize_query(raw));
        return;
    }
    let mut in_word = false;
    for c in raw.chars() {
        if c.is_alphanumeric() || c == '[' || c == ']' {
            if !in_word && !out.is_empty() {
                out.push(' ');
            }
            in_word = true;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            in_word = false;
        }
    }
}

/// A click on a result of query `id`: the searches of it still waiting in
/// the session succeeded. Returns how many.
fn count_click(stats: &mut QueryStats, slots: &mut Vec<Slot>, id: u32) -> u64 {
    stats.clicks += 1;
    let found = slots
        .iter()
        .position(|s| matches!(s, Slot::Search { query, .. } if *query == id));
    let Some(i) = found else { return 0 };
    match slots.swap_remove(i) {
        Slot::Search { pending, .. } => {
            stats.successes += u64::from(pending);
            u64::from(pending)
        }
        _ => 0,
    }
}

/// A view of article `id`: counted, and once per session as a reading the
/// session may later fail on (a ticket after it).
fn count_view(stats: &mut ArticleStats, slots: &mut Vec<Slot>, id: u32) {
    stats.views += 1;
    let seen = slots
        .iter()
        .any(|s| matches!(s, Slot::View { article, .. } if *article == id));
    if !seen {
        stats.view_sessions += 1;
        if slots.len() < MAX_SLOTS {
            slots.push(Slot::View {
                article: id,
                failed: false,
            });
        }
    }
}

/// A search of a query seen before: its counts and the spellings kept.
fn count_search(stats: &mut QueryStats, e: &EventRef, no_results: bool) {
    stats.searches += 1;
    stats.last_seen = stats.last_seen.max(e.at);
    if no_results {
        stats.no_results += 1;
        stats.last_no_result = Some(e.at);
    }
    if let Some(raw) = e.query.map(str::trim) {
        if stats.variants.len() < MAX_VARIANTS && !stats.variants.iter().any(|v| v == raw) {
            stats.variants.push(raw.to_string());
        }
    }
}

/// A vote on article `id`; a visitor's later vote on the same article (a
/// "No", then its reason) replaces the earlier one. Whether it is the
/// session's first vote on it.
fn count_vote(
    stats: &mut ArticleStats,
    slots: &mut Vec<Slot>,
    id: u32,
    helpful: bool,
    reason: u8,
) -> bool {
    let earlier = slots.iter_mut().find_map(|s| match s {
        Slot::Vote {
            article,
            helpful,
            reason,
        } if *article == id => Some((helpful, reason)),
        _ => None,
    });
    let first = match earlier {
        Some((was_helpful, was_reason)) => {
            if *was_helpful {
                stats.yes = stats.yes.saturating_sub(1);
            } else {
                stats.no = stats.no.saturating_sub(1);
                let c = stats.reasons.counter(*was_reason);
                *c = c.saturating_sub(1);
            }
            (*was_helpful, *was_reason) = (helpful, reason);
            false
        }
        None => {
            if slots.len() < MAX_SLOTS {
                slots.push(Slot::Vote {
                    article: id,
                    helpful,
                    reason,
                });
            }
            true
        }
    };
    if helpful {
        stats.yes += 1;
    } else {
        stats.no += 1;
        *stats.reasons.counter(reason) += 1;
    }
    first
}

/// A ticket ends the open form (not deflected), cancels every earlier
/// abandonment of the session, and marks every article the session read as
/// failed to answer (once each).
fn end_with_ticket(session: &mut SessionState, articles: &mut [(ArticleKey, ArticleStats)]) {
    session.open = None;
    session
        .slots
        .retain(|s| !matches!(s, Slot::Abandoned { .. }));
    for slot in &mut session.slots {
        if let Slot::View { article, failed } = slot {
            if !*failed {
                *failed = true;
                articles[*article as usize].1.failures += 1;
            }
        }
    }
}

/// One more pending search of `query` in a session.
fn add_pending(slots: &mut Vec<Slot>, id: u32) {
    for slot in slots.iter_mut() {
        if let Slot::Search { query, pending } = slot {
            if *query == id {
                *pending += 1;
                return;
            }
        }
    }
    if slots.len() < MAX_SLOTS {
        slots.push(Slot::Search {
            query: id,
            pending: 1,
        });
    }
}

/// Settles a contact form ended by something other than a ticket (the next
/// open, or the end of the period).
fn end_open(
    open: Open,
    slots: &mut Vec<Slot>,
    totals: &mut Totals,
    days: &mut BTreeMap<i64, DayCounts>,
) {
    if open.deflected {
        totals.deflected_opens += 1;
        days.entry(open.day).or_default().deflections += 1;
    } else if open.suggestion_clicked {
        // Abandonments are merged by day, so they stay bounded by the
        // period's length whatever the session does.
        for slot in slots.iter_mut() {
            if let Slot::Abandoned { day, count } = slot {
                if *day == open.day {
                    *count += 1;
                    return;
                }
            }
        }
        slots.push(Slot::Abandoned {
            day: open.day,
            count: 1,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::Source;

    /// 2026-01-05T00:00:00Z, and minutes after it.
    const T0: i64 = 1_767_571_200_000;
    fn at(minute: i64) -> i64 {
        T0 + minute * 60_000
    }

    fn ev(kind: EventKind, minute: i64, session: &str) -> Event {
        Event {
            at: at(minute),
            session: session.to_string(),
            kind,
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
    fn search(m: i64, s: &str, q: &str, results: i64) -> Event {
        Event {
            query: Some(q.into()),
            results: Some(results),
            ..ev(EventKind::Search, m, s)
        }
    }
    fn click(m: i64, s: &str, q: &str, slug: &str) -> Event {
        Event {
            query: Some(q.into()),
            slug: Some(slug.into()),
            rank: Some(1),
            ..ev(EventKind::Click, m, s)
        }
    }
    fn view(m: i64, s: &str, slug: &str) -> Event {
        Event {
            slug: Some(slug.into()),
            ..ev(EventKind::View, m, s)
        }
    }
    fn vote(m: i64, s: &str, slug: &str, helpful: bool, reason: Option<&str>) -> Event {
        Event {
            slug: Some(slug.into()),
            helpful: Some(helpful),
            reason: reason.map(String::from),
            ..ev(EventKind::Vote, m, s)
        }
    }
    fn open(m: i64, s: &str) -> Event {
        ev(EventKind::ContactOpen, m, s)
    }
    fn shown(m: i64, s: &str) -> Event {
        ev(EventKind::SuggestionShown, m, s)
    }
    fn suggestion(m: i64, s: &str, slug: &str) -> Event {
        Event {
            slug: Some(slug.into()),
            ..ev(EventKind::SuggestionClick, m, s)
        }
    }
    fn deflected(m: i64, s: &str) -> Event {
        ev(EventKind::Deflected, m, s)
    }
    fn ticket(m: i64, s: &str) -> Event {
        ev(EventKind::TicketSubmit, m, s)
    }

    /// (case, events, searches, successful, no-result, no-click)
    type SearchCase = (&'static str, Vec<Event>, u64, u64, u64, u64);
    /// (case, events, sessions, ticket sessions, score)
    type ScoreCase = (&'static str, Vec<Event>, u64, u64, Option<f64>);
    /// (case, events, [(slug, views, view sessions, failures)])
    type FailureCase = (&'static str, Vec<Event>, Vec<(&'static str, u64, u64, u64)>);

    fn compute(events: Vec<Event>) -> Metrics {
        Metrics::compute(events, "en")
    }

    #[test]
    fn search_success_follows_the_definition() {
        let cases: Vec<SearchCase> = vec![
            ("no events", vec![], 0, 0, 0, 0),
            (
                "click on the same normalized query succeeds",
                vec![
                    search(0, "a", "Reset  password?", 3),
                    click(1, "a", "reset password", "account/reset-password"),
                ],
                1,
                1,
                0,
                0,
            ),
            (
                "click at the same instant counts (at or after)",
                vec![
                    search(0, "a", "refund", 2),
                    click(0, "a", "refund", "billing/refunds"),
                ],
                1,
                1,
                0,
                0,
            ),
            (
                "click for another query does not count",
                vec![
                    search(0, "a", "refund", 3),
                    click(1, "a", "invoice", "billing/invoices"),
                ],
                1,
                0,
                0,
                1,
            ),
            (
                "click before the search does not count",
                vec![
                    click(0, "a", "refund", "billing/refunds"),
                    search(1, "a", "refund", 3),
                ],
                1,
                0,
                0,
                1,
            ),
            (
                "click in another session does not count",
                vec![
                    search(0, "a", "refund", 3),
                    click(1, "b", "refund", "billing/refunds"),
                ],
                1,
                0,
                0,
                1,
            ),
            (
                "a search with 0 results fails even if clicked",
                vec![search(0, "a", "zebra", 0), click(1, "a", "zebra", "x")],
                1,
                0,
                1,
                0,
            ),
            (
                "one click settles every earlier search of the query",
                vec![
                    search(0, "a", "refund", 3),
                    search(1, "a", "Refund", 3),
                    click(2, "a", "refund", "billing/refunds"),
                ],
                2,
                2,
                0,
                0,
            ),
            (
                "a search after the click needs its own click",
                vec![
                    search(0, "a", "refund", 3),
                    click(1, "a", "refund", "billing/refunds"),
                    search(2, "a", "refund", 3),
                ],
                2,
                1,
                0,
                1,
            ),
            (
                "mixed failures",
                vec![
                    search(0, "a", "refund", 3),
                    search(1, "a", "zebra", 0),
                    search(2, "a", "invoice", 1),
                    click(3, "a", "invoice", "billing/invoices"),
                    search(4, "b", "zebra", 0),
                ],
                4,
                1,
                2,
                1,
            ),
        ];
        for (name, events, searches, ok, no_result, no_click) in cases {
            let t = compute(events).totals;
            assert_eq!(
                (
                    t.searches,
                    t.successful_searches,
                    t.no_result_searches,
                    t.no_click_searches
                ),
                (searches, ok, no_result, no_click),
                "{name}"
            );
            let expected = (searches > 0).then(|| ok as f64 / searches as f64);
            assert_eq!(t.search_success_rate(), expected, "{name}");
        }
    }

    #[test]
    fn per_query_stats_are_grouped_by_normalized_query() {
        let m = compute(vec![
            search(0, "a", "Reset password", 0),
            search(1, "b", "reset   PASSWORD!", 0),
            search(2, "c", "reset password", 4),
            click(3, "c", "Reset password", "account/reset-password"),
            click(4, "c", "reset password", "account/reset-password"),
            search(5, "d", "reset password", 4),
            search(6, "a", "Reset password", 0),
        ]);
        assert_eq!(m.queries.len(), 1);
        let q = &m.queries["reset password"];
        assert_eq!(
            (
                q.searches,
                q.no_results,
                q.clicks,
                q.successes,
                q.no_clicks()
            ),
            (5, 3, 2, 1, 1)
        );
        assert_eq!(q.last_seen, at(6));
        assert_eq!(q.last_no_result, Some(at(6)));
        assert_eq!(
            q.variants,
            ["Reset password", "reset   PASSWORD!", "reset password"]
        );
    }

    #[test]
    fn contact_deflection_follows_the_definition() {
        // (case, events, opens, deflected opens)
        let cases: Vec<(&str, Vec<Event>, u64, u64)> = vec![
            ("no contact form", vec![search(0, "a", "x", 1)], 0, 0),
            (
                "ended with deflected",
                vec![open(0, "a"), shown(1, "a"), deflected(2, "a")],
                1,
                1,
            ),
            (
                "abandoned after a suggestion click",
                vec![
                    open(0, "a"),
                    shown(1, "a"),
                    suggestion(2, "a", "billing/refunds"),
                ],
                1,
                1,
            ),
            (
                "opened and left without a click",
                vec![open(0, "a"), shown(1, "a")],
                1,
                0,
            ),
            (
                "ticket after a suggestion click",
                vec![
                    open(0, "a"),
                    suggestion(1, "a", "billing/refunds"),
                    ticket(2, "a"),
                ],
                1,
                0,
            ),
            (
                "deflected, then a ticket on the same form",
                vec![open(0, "a"), deflected(1, "a"), ticket(2, "a")],
                1,
                0,
            ),
            (
                "two opens, suggestion click on the first, ticket on the second",
                vec![
                    open(0, "a"),
                    suggestion(1, "a", "billing/refunds"),
                    open(2, "a"),
                    ticket(3, "a"),
                ],
                2,
                0,
            ),
            (
                "two opens, deflected on the first, ticket on the second",
                vec![
                    open(0, "a"),
                    deflected(1, "a"),
                    open(2, "a"),
                    ticket(3, "a"),
                ],
                2,
                1,
            ),
            (
                "two opens, a suggestion click on each",
                vec![
                    open(0, "a"),
                    suggestion(1, "a", "x"),
                    open(2, "a"),
                    suggestion(3, "a", "y"),
                ],
                2,
                2,
            ),
            (
                "two opens and nothing else",
                vec![open(0, "a"), open(1, "a")],
                2,
                0,
            ),
            (
                "a ticket in another session does not cancel",
                vec![open(0, "a"), suggestion(1, "a", "x"), ticket(2, "b")],
                1,
                1,
            ),
            (
                "a suggestion click in another session does not count",
                vec![open(0, "a"), suggestion(1, "b", "x")],
                1,
                0,
            ),
            (
                "deflected with no form open counts no open",
                vec![deflected(0, "a")],
                0,
                0,
            ),
            (
                "a ticket before the open does not cancel it",
                vec![ticket(0, "a"), open(1, "a"), suggestion(2, "a", "x")],
                1,
                1,
            ),
        ];
        for (name, events, opens, ok) in cases {
            let t = compute(events).totals;
            assert_eq!((t.contact_opens, t.deflected_opens), (opens, ok), "{name}");
            let expected = (opens > 0).then(|| ok as f64 / opens as f64);
            assert_eq!(t.contact_deflection_rate(), expected, "{name}");
        }
    }

    #[test]
    fn self_service_score_follows_the_definition() {
        let cases: Vec<ScoreCase> = vec![
            ("no events", vec![], 0, 0, None),
            (
                "no tickets",
                vec![search(0, "a", "x", 1), view(1, "b", "s")],
                2,
                0,
                None,
            ),
            (
                "three sessions, one with two tickets",
                vec![
                    search(0, "a", "x", 1),
                    view(1, "b", "s"),
                    open(2, "c"),
                    ticket(3, "c"),
                    ticket(4, "c"),
                ],
                3,
                1,
                Some(3.0),
            ),
            (
                "every session files a ticket",
                vec![ticket(0, "a"), ticket(1, "b")],
                2,
                2,
                Some(1.0),
            ),
            (
                "four sessions, two with tickets",
                vec![
                    ticket(0, "a"),
                    vote(1, "b", "s", true, None),
                    deflected(2, "c"),
                    open(3, "d"),
                    ticket(4, "d"),
                ],
                4,
                2,
                Some(2.0),
            ),
        ];
        for (name, events, sessions, ticket_sessions, score) in cases {
            let t = compute(events).totals;
            assert_eq!(
                (t.sessions, t.ticket_sessions),
                (sessions, ticket_sessions),
                "{name}"
            );
            assert_eq!(t.self_service_score(), score, "{name}");
        }
    }

    #[test]
    fn article_failures_follow_the_definition() {
        let key = |slug: &str| ArticleKey {
            slug: slug.into(),
            locale: "en".into(),
        };
        let cases: Vec<FailureCase> = vec![
            (
                "viewed then ticket: every viewed article fails once",
                vec![
                    view(0, "a", "x"),
                    view(1, "a", "y"),
                    view(2, "a", "x"),
                    ticket(3, "a"),
                ],
                vec![("x", 2, 1, 1), ("y", 1, 1, 1)],
            ),
            (
                "once per session, even with two tickets",
                vec![
                    view(0, "a", "x"),
                    ticket(1, "a"),
                    view(2, "a", "x"),
                    ticket(3, "a"),
                ],
                vec![("x", 2, 1, 1)],
            ),
            (
                "a view after the ticket does not fail",
                vec![ticket(0, "a"), view(1, "a", "x")],
                vec![("x", 1, 1, 0)],
            ),
            (
                "a ticket in another session does not count",
                vec![view(0, "a", "x"), ticket(1, "b")],
                vec![("x", 1, 1, 0)],
            ),
            (
                "two sessions fail the same article",
                vec![
                    view(0, "a", "x"),
                    view(1, "b", "x"),
                    ticket(2, "a"),
                    ticket(3, "b"),
                ],
                vec![("x", 2, 2, 2)],
            ),
            ("no views", vec![ticket(0, "a")], vec![]),
        ];
        for (name, events, expected) in cases {
            let m = compute(events);
            assert_eq!(m.articles.len(), expected.len(), "{name}");
            for (slug, views, sessions, failures) in expected {
                let a = &m.articles[&key(slug)];
                assert_eq!(
                    (a.views, a.view_sessions, a.failures),
                    (views, sessions, failures),
                    "{name}: {slug}"
                );
            }
        }
        let m = compute(vec![view(0, "a", "x"), view(1, "b", "x"), ticket(2, "a")]);
        assert_eq!(m.articles[&key("x")].failure_rate(), Some(0.5));
    }

    #[test]
    fn helpfulness_and_no_reasons_follow_the_definition() {
        let m = compute(vec![
            vote(0, "a", "x", true, None),
            vote(1, "b", "x", true, Some("outdated")),
            vote(2, "c", "x", false, Some("outdated")),
            vote(3, "d", "x", false, None),
            vote(4, "e", "x", false, Some("didn't answer")),
            vote(5, "f", "x", false, Some("didnt_answer")),
            vote(6, "g", "x", false, Some("Unclear")),
            vote(7, "h", "x", false, Some("something else")),
            vote(8, "i", "y", true, None),
        ]);
        assert_eq!(m.totals.votes, 9);
        let x = &m.articles[&ArticleKey {
            slug: "x".into(),
            locale: "en".into(),
        }];
        assert_eq!((x.yes, x.no), (2, 6));
        assert_eq!(x.helpfulness(), Some(0.25));
        assert_eq!(
            x.reasons,
            Reasons {
                outdated: 1,
                unclear: 1,
                didnt_answer: 2,
                other: 1,
                unspecified: 1
            }
        );
        let y = &m.articles[&ArticleKey {
            slug: "y".into(),
            locale: "en".into(),
        }];
        assert_eq!(y.helpfulness(), Some(1.0));
        // An article that was only viewed has no helpfulness.
        let m = compute(vec![view(0, "a", "x")]);
        assert_eq!(m.articles.values().next().unwrap().helpfulness(), None);
    }

    #[test]
    fn a_visitors_latest_vote_on_an_article_counts() {
        // "No", then its reason; "Yes" then "No"; another article apart.
        let m = compute(vec![
            vote(0, "a", "x", false, None),
            vote(1, "a", "x", false, Some("outdated")),
            vote(2, "b", "x", true, None),
            vote(3, "b", "x", false, Some("unclear")),
            vote(4, "b", "y", true, None),
        ]);
        assert_eq!(m.totals.votes, 3);
        let x = &m.articles[&ArticleKey {
            slug: "x".into(),
            locale: "en".into(),
        }];
        assert_eq!((x.yes, x.no), (0, 2));
        assert_eq!(
            x.reasons,
            Reasons {
                outdated: 1,
                unclear: 1,
                ..Reasons::default()
            }
        );
    }

    #[test]
    fn articles_are_keyed_by_slug_and_locale() {
        let mut fr = view(1, "b", "billing/refunds");
        fr.locale = Some("fr".into());
        let mut en = view(2, "c", "billing/refunds");
        en.locale = Some("en".into());
        let m = compute(vec![view(0, "a", "billing/refunds"), fr, en]);
        let views: Vec<(&str, u64)> = m
            .articles
            .iter()
            .map(|(k, a)| (k.locale.as_str(), a.views))
            .collect();
        assert_eq!(views, [("en", 2), ("fr", 1)]);
    }

    #[test]
    fn days_count_searches_tickets_and_deflections() {
        let day0 = T0 / MS_PER_DAY;
        let next = 24 * 60;
        let m = compute(vec![
            search(0, "a", "x", 1),
            open(1, "a"),
            suggestion(2, "a", "s"),
            search(3, "b", "y", 0),
            open(next, "c"),
            deflected(next + 1, "c"),
            ticket(next + 2, "d"),
            // Ends a's first form (abandoned after a click): a deflection
            // of day 0, the day that form opened.
            open(next + 3, "a"),
        ]);
        let days: Vec<(i64, DayCounts)> = m.days.iter().map(|(d, c)| (*d, *c)).collect();
        assert_eq!(
            days,
            [
                (
                    day0,
                    DayCounts {
                        searches: 2,
                        tickets: 0,
                        deflections: 1
                    }
                ),
                (
                    day0 + 1,
                    DayCounts {
                        searches: 0,
                        tickets: 1,
                        deflections: 1
                    }
                ),
            ]
        );
        assert_eq!(m.totals.deflected_opens, 2);
        assert_eq!(m.totals.contact_opens, 3);
    }

    #[test]
    fn every_event_kind_is_counted() {
        let t = compute(vec![
            search(0, "a", "x", 1),
            click(1, "a", "x", "s"),
            view(2, "a", "s"),
            vote(3, "a", "s", true, None),
            open(4, "a"),
            shown(5, "a"),
            suggestion(6, "a", "s"),
            deflected(7, "a"),
            ticket(8, "b"),
        ])
        .totals;
        assert_eq!(
            t,
            Totals {
                events: 9,
                sessions: 2,
                ticket_sessions: 1,
                searches: 1,
                successful_searches: 1,
                no_result_searches: 0,
                no_click_searches: 0,
                clicks: 1,
                views: 1,
                votes: 1,
                contact_opens: 1,
                deflected_opens: 1,
                suggestions_shown: 1,
                suggestion_clicks: 1,
                deflected: 1,
                tickets: 1,
            }
        );
    }

    #[test]
    fn normalize_into_matches_normalize_query() {
        let mut out = String::from("leftover");
        for q in [
            "",
            "   ",
            "Reset  password?",
            "  refund,policy!! ",
            "ÉTÉ Straße İstanbul",
            "ΟΔΟΣ ΣΟΦΟΣ",
            "[beta] feature-flags",
            "a--b__c",
            "2FA / MFA",
            "日本語 のテスト",
            "emoji 🙂 ok",
        ] {
            normalize_into(q, &mut out);
            assert_eq!(out, normalize_query(q), "{q:?}");
        }
    }

    #[test]
    fn a_session_tracks_a_bounded_number_of_queries() {
        let mut events: Vec<Event> = (0..MAX_SLOTS as i64 + 10)
            .map(|i| search(i, "bot", &format!("q{i}"), 1))
            .collect();
        // The first query was tracked; one past the bound was not.
        events.push(click(1000, "bot", "q0", "s"));
        events.push(click(1001, "bot", &format!("q{}", MAX_SLOTS + 5), "s"));
        let t = compute(events).totals;
        assert_eq!(t.searches, MAX_SLOTS as u64 + 10);
        assert_eq!(t.successful_searches, 1);
    }
}
