//! The support leads' report over a month of heavy traffic: 10,000,000
//! events from about a million sessions over 30 days, generated with a
//! seeded RNG (searches, clicks, views, votes, contact forms, suggestions,
//! tickets, deflections — in realistic proportions) straight into a SQLite
//! store in a temp dir, in time order as the capture thread writes them. Then
//! `deflect report`'s work — one scan of the period and the one before it,
//! the metrics, the tables — is timed (target: ≤ 10 s), and the figure is
//! printed with events/s.
//!
//! `cargo bench --bench report`. `DEFLECT_BENCH_EVENTS` changes the number of
//! events; `DEFLECT_BENCH_DB=path` keeps the generated store there and reuses
//! it on the next run; `DEFLECT_BENCH_RUNS` sets how many timed runs (3).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use deflect::analytics::report::{self, Period, ReportOptions};
use deflect::analytics::{Event, EventKind, Source};

/// 2026-01-01T00:00:00Z: the month starts here.
const START: i64 = 1_767_225_600_000;
const DAYS: i64 = 30;
const DAY: i64 = 86_400_000;
/// Appends one event: (clock, rng, kind, fill the details).
type Push<'a> = dyn FnMut(&mut i64, &mut Rng, EventKind, &mut dyn FnMut(&mut Event)) + 'a;

const SEED: u64 = 0x0005_EED0_FDEF_1EC7;
/// Rows per transaction while generating.
const BATCH: usize = 100_000;

/// SplitMix64: small, fast, and the stream is fixed by the seed forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// Roughly Zipf over `0..n`: popular items dominate, the tail is long.
    fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0).floor() as u64 % n.max(1)
    }
}

const TOPICS: &[&str] = &[
    "refund",
    "invoice",
    "password",
    "two factor",
    "login",
    "billing",
    "cancel subscription",
    "change email",
    "export data",
    "api key",
    "webhook",
    "pricing",
    "upgrade plan",
    "delete account",
    "team members",
    "sso",
    "receipt",
    "vat",
    "credit card",
    "trial",
    "integration",
    "mobile app",
    "notifications",
    "language",
    "timezone",
    "backup",
    "import csv",
    "permissions",
    "audit log",
    "rate limit",
];
const ASPECTS: &[&str] = &[
    "",
    "how to",
    "not working",
    "error",
    "where is",
    "policy",
    "change",
    "help",
    "setup",
    "failed",
];

/// The vocabulary of queries and articles.
struct World {
    queries: Vec<String>,
    slugs: Vec<String>,
}

impl World {
    fn new() -> World {
        let mut queries = Vec::new();
        for t in TOPICS {
            for a in ASPECTS {
                queries.push(if a.is_empty() {
                    t.to_string()
                } else {
                    format!("{a} {t}")
                });
            }
        }
        let slugs = (0..600)
            .map(|i| format!("topic-{}/article-{i}", i % 40))
            .collect();
        World { queries, slugs }
    }

    /// A query as a customer types it: a known one in varied case and
    /// punctuation, or (rarely) something nobody has written about.
    fn query(&self, rng: &mut Rng) -> String {
        if rng.chance(0.04) {
            return format!("zq{}", rng.below(200_000));
        }
        let q = &self.queries[rng.zipf(self.queries.len() as u64) as usize];
        match rng.below(10) {
            0 => format!("{q}?"),
            1 => q.to_uppercase(),
            2 => format!("  {q} "),
            _ => q.clone(),
        }
    }

    fn slug(&self, rng: &mut Rng) -> String {
        self.slugs[rng.zipf(self.slugs.len() as u64) as usize].clone()
    }
}

/// An event waiting in the merge heap: ordered by time, then by when it was
/// queued (a session's own order).
struct Queued(i64, u64, Event);

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

/// One session's events, times relative to its start.
fn session_script(world: &World, rng: &mut Rng, session: &str) -> Vec<Event> {
    let mut out = Vec::with_capacity(16);
    let mut t = 0i64;
    let locale = if rng.chance(0.1) { "fr" } else { "en" };
    let source = match rng.below(10) {
        0 => Source::Widget,
        1 => Source::Api,
        _ => Source::Web,
    };
    let mut push =
        |t: &mut i64, rng: &mut Rng, kind: EventKind, fill: &mut dyn FnMut(&mut Event)| {
            *t += 2_000 + rng.below(90_000) as i64;
            let mut e = Event {
                at: *t,
                session: session.to_string(),
                kind,
                source,
                query: None,
                slug: None,
                rank: None,
                results: None,
                locale: None,
                helpful: None,
                reason: None,
                comment: None,
            };
            fill(&mut e);
            out.push(e);
        };
    let read = |t: &mut i64, rng: &mut Rng, push: &mut Push, slug: &str| {
        push(t, rng, EventKind::View, &mut |e| {
            e.slug = Some(slug.to_string());
            e.locale = Some(locale.into());
        });
        if rng.chance(0.3) {
            let helpful = rng.chance(0.65);
            let reason = match rng.below(5) {
                0 => Some("outdated"),
                1 => Some("unclear"),
                2 => Some("didnt_answer"),
                3 => Some("other"),
                _ => None,
            };
            push(t, rng, EventKind::Vote, &mut |e| {
                e.slug = Some(slug.to_string());
                e.locale = Some(locale.into());
                e.helpful = Some(helpful);
                e.reason = if helpful {
                    None
                } else {
                    reason.map(String::from)
                };
            });
        }
    };
    // Arriving on an article from elsewhere.
    for _ in 0..rng.below(3) {
        let slug = world.slug(rng);
        read(&mut t, rng, &mut push, &slug);
    }
    // Searching.
    for _ in 0..1 + rng.below(5) {
        let q = world.query(rng);
        let results = if q.starts_with("zq") {
            0
        } else {
            1 + rng.below(20) as i64
        };
        push(&mut t, rng, EventKind::Search, &mut |e| {
            e.query = Some(q.clone());
            e.results = Some(results);
            e.locale = Some(locale.into());
        });
        if results > 0 && rng.chance(0.62) {
            let slug = world.slug(rng);
            let rank = 1 + rng.below(results as u64) as i64;
            push(&mut t, rng, EventKind::Click, &mut |e| {
                e.query = Some(q.clone());
                e.slug = Some(slug.clone());
                e.rank = Some(rank);
            });
            read(&mut t, rng, &mut push, &slug);
        }
    }
    // The contact form.
    if rng.chance(0.3) {
        for _ in 0..1 + u64::from(rng.chance(0.15)) {
            push(&mut t, rng, EventKind::ContactOpen, &mut |_| {});
            for _ in 0..1 + rng.below(3) {
                push(&mut t, rng, EventKind::SuggestionShown, &mut |e| {
                    e.results = Some(3);
                });
            }
            if rng.chance(0.5) {
                let slug = world.slug(rng);
                push(&mut t, rng, EventKind::SuggestionClick, &mut |e| {
                    e.slug = Some(slug.clone());
                });
                read(&mut t, rng, &mut push, &slug);
                if rng.chance(0.4) {
                    push(&mut t, rng, EventKind::Deflected, &mut |e| {
                        e.slug = Some(slug.clone());
                    });
                    continue;
                }
            }
            if rng.chance(0.6) {
                push(&mut t, rng, EventKind::TicketSubmit, &mut |_| {});
            }
        }
    } else if rng.chance(0.02) {
        // A ticket through the API, no form.
        push(&mut t, rng, EventKind::TicketSubmit, &mut |_| {});
    }
    out
}

/// Writes `target` events for 30 days into a fresh store at `path`; returns
/// (events, sessions).
fn generate(path: &Path, target: u64) -> (u64, u64) {
    let world = World::new();
    let id = |i: u64| format!("{:016x}", Rng(SEED ^ i.wrapping_mul(0x9e37)).next());
    // Pass 1: how many sessions make `target` events (scripts are a pure
    // function of the session number).
    let (mut sessions, mut total) = (0u64, 0u64);
    while total < target {
        let mut rng = Rng(SEED.wrapping_add(sessions));
        total += session_script(&world, &mut rng, "").len() as u64;
        sessions += 1;
    }
    // Start times, sorted, with more traffic in office hours.
    let mut rng = Rng(SEED ^ 0x5747_7254);
    let mut starts: Vec<i64> = (0..sessions)
        .map(|_| {
            let day = rng.below(DAYS as u64) as i64;
            let hour = if rng.chance(0.7) {
                8 + rng.below(10)
            } else {
                rng.below(24)
            } as i64;
            START + day * DAY + hour * 3_600_000 + rng.below(3_600_000) as i64
        })
        .collect();
    starts.sort_unstable();

    let mut conn = rusqlite::Connection::open(path).expect("create the bench store");
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
        .expect("pragmas");
    deflect::store::migrate(&mut conn).expect("migrate");
    let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
    let mut written = 0u64;
    let flush = |batch: &mut Vec<Event>, conn: &mut rusqlite::Connection| {
        let tx = conn.transaction().expect("transaction");
        deflect::store::insert_events(&deflect::store::Conn::sqlite(&tx), batch).expect("insert");
        tx.commit().expect("commit");
        batch.clear();
    };
    // Sessions overlap: a heap orders their events globally by time.
    let mut heap: BinaryHeap<Reverse<Queued>> = BinaryHeap::new();
    let mut seq = 0u64;
    let progress = Instant::now();
    for (i, start) in starts.iter().enumerate() {
        while heap.peek().is_some_and(|Reverse(q)| q.0 < *start) {
            let Some(Reverse(Queued(_, _, e))) = heap.pop() else {
                break;
            };
            if written < target {
                batch.push(e);
                written += 1;
            }
            if batch.len() == BATCH {
                flush(&mut batch, &mut conn);
                if written % 1_000_000 == 0 {
                    eprintln!("  {written} events written ({:.0?})", progress.elapsed());
                }
            }
        }
        let mut rng = Rng(SEED.wrapping_add(i as u64));
        let session = id(i as u64);
        for mut e in session_script(&world, &mut rng, &session) {
            // Clamp into the month: a session starting at 23:59 on the last
            // day stays inside it.
            e.at = (e.at + start).min(START + DAYS * DAY - 1);
            heap.push(Reverse(Queued(e.at, seq, e)));
            seq += 1;
        }
    }
    while let Some(Reverse(Queued(_, _, e))) = heap.pop() {
        if written < target {
            batch.push(e);
            written += 1;
        }
        if batch.len() == BATCH {
            flush(&mut batch, &mut conn);
        }
    }
    if !batch.is_empty() {
        flush(&mut batch, &mut conn);
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    (written, sessions)
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn count_events(path: &Path) -> u64 {
    rusqlite::Connection::open(path)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)))
        .map(|n| n as u64)
        .unwrap_or(0)
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let target: u64 = env("DEFLECT_BENCH_EVENTS", 10_000_000);
    let runs: usize = env("DEFLECT_BENCH_RUNS", 3);
    let temp = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = std::env::var_os("DEFLECT_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().join("deflect.db"));

    if path.exists() && count_events(&path) == target {
        println!("report/10M: reusing {} ({target} events)", path.display());
    } else {
        let _ = std::fs::remove_file(&path);
        let started = Instant::now();
        let (events, sessions) = generate(&path, target);
        let secs = started.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "report/generate: {events} events, {sessions} sessions, 30 days in {secs:.1} s ({:.0} events/s), store {:.0} MB",
            events as f64 / secs,
            size as f64 / 1e6
        );
    }

    let period = Period::new(START, START + DAYS * DAY).expect("period");
    // Where the time goes: reading and decoding the rows alone.
    let started = Instant::now();
    let conn = report::open_events(&path.clone().into()).expect("open the store");
    let mut n = 0u64;
    conn.scan(period.previous().since, period.until, |_| n += 1)
        .expect("scan");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "report/scan-only: {secs:.2} s, {:.0} events/s ({n} events)",
        n as f64 / secs
    );
    drop(conn);
    let mut times = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        let conn = report::open_events(&path.clone().into()).expect("open the store");
        let report = report::build(
            &conn,
            ReportOptions {
                period,
                default_locale: "en",
                rows: report::DEFAULT_ROWS,
                index: None,
                attention: None,
            },
        )
        .expect("report");
        // Rendering is part of `deflect report`.
        let json = report::render_json(&report).expect("json");
        let secs = started.elapsed().as_secs_f64();
        let t = &report.totals.current;
        println!(
            "report/30d run {}: {secs:.2} s, {:.0} events/s ({} events, {} sessions; success {:.3}, deflection {:.3}, self-service {:.2}; {} KB JSON)",
            run + 1,
            t.events as f64 / secs,
            t.events,
            t.sessions,
            report.summary.search_success_rate.current.unwrap_or(0.0),
            report.summary.contact_deflection_rate.current.unwrap_or(0.0),
            report.summary.self_service_score.current.unwrap_or(0.0),
            json.len() / 1024
        );
        times.push((secs, t.events));
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((best, events)) = times.first() {
        let median = times[times.len() / 2].0;
        println!(
            "report/30d: best {best:.2} s, median {median:.2} s ({:.0} events/s; target ≤ 10 s: {}); peak RSS {:.0} MB",
            *events as f64 / best,
            if median <= 10.0 { "met" } else { "MISSED" },
            peak_rss_mb().unwrap_or(0.0)
        );
    }
}
