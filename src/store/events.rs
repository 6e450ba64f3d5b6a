//! Analytics events in the store: what an event is (the records
//! `analytics` captures and reports on), batch inserts (from the capture
//! thread's own connection), a streaming scan in time order for reports, and
//! purging by age. On PostgreSQL every replica's events land in one table,
//! so reports and mining see them all.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::pool::Pool;
use super::sql::{self, params, Conn, Row};
use super::{Result, Store};
use crate::config::StoreLocation;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A search (query, result count, locale).
    Search,
    /// A search result opened (query, rank, slug).
    Click,
    /// An article read (slug; query when it came from a search).
    View,
    /// "Was this helpful?" (slug, helpful, reason).
    Vote,
    /// The contact form opened.
    ContactOpen,
    /// The contact form showed suggestions (query, result count).
    SuggestionShown,
    /// A contact-form suggestion opened (query, rank, slug).
    SuggestionClick,
    /// A ticket submitted.
    TicketSubmit,
    /// "This answered my question" (slug).
    Deflected,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Search,
        EventKind::Click,
        EventKind::View,
        EventKind::Vote,
        EventKind::ContactOpen,
        EventKind::SuggestionShown,
        EventKind::SuggestionClick,
        EventKind::TicketSubmit,
        EventKind::Deflected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Search => "search",
            EventKind::Click => "click",
            EventKind::View => "view",
            EventKind::Vote => "vote",
            EventKind::ContactOpen => "contact_open",
            EventKind::SuggestionShown => "suggestion_shown",
            EventKind::SuggestionClick => "suggestion_click",
            EventKind::TicketSubmit => "ticket_submit",
            EventKind::Deflected => "deflected",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The help center's pages.
    #[default]
    Web,
    /// The JSON API.
    Api,
    /// The embeddable widget.
    Widget,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Widget => "widget",
        }
    }

    pub fn parse(s: &str) -> Source {
        match s {
            "api" => Source::Api,
            "widget" => Source::Widget,
            _ => Source::Web,
        }
    }
}

/// One event. `session` is an anonymous random id, never personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the Unix epoch, UTC.
    pub at: i64,
    pub session: String,
    pub kind: EventKind,
    #[serde(default)]
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helpful: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the customer wrote with a "No" vote, personal data masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Event {
    /// An event of `kind` now, with no details.
    pub fn new(kind: EventKind, session: &str, source: Source) -> Event {
        Event {
            at: chrono::Utc::now().timestamp_millis(),
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
        }
    }
}

/// Rows per `INSERT`: one statement per batch of up to this many events
/// spares PostgreSQL a round trip per event (12 parameters each, far below
/// either engine's limit).
const ROWS_PER_INSERT: usize = 50;

/// Inserts `events` in the caller's transaction.
pub fn insert(tx: &Conn, events: &[Event]) -> sql::Result<()> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p: Vec<String> = (1..=12).map(|c| format!("?{}", r * 12 + c)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        let mut values = Vec::with_capacity(chunk.len() * 12);
        for e in chunk {
            let row: [&dyn sql::ToSql; 12] = [
                &e.at,
                &e.session,
                &e.kind.as_str(),
                &e.source.as_str(),
                &e.query,
                &e.slug,
                &e.rank,
                &e.results,
                &e.locale,
                &e.helpful,
                &e.reason,
                &e.comment,
            ];
            values.extend(row.iter().map(|v| v.to_value()));
        }
        tx.execute(
            &format!(
                "INSERT INTO events (at, session, kind, source, query, slug, rank, results, locale, helpful, reason, comment) VALUES {}",
                rows.join(", ")
            ),
            values.as_slice(),
        )?;
    }
    Ok(())
}

/// An event row read in [`EVENT_COLUMNS`] order (`None`: a kind this
/// version does not know).
fn event(r: &Row) -> sql::Result<Option<Event>> {
    let kind: String = r.get(2)?;
    let Some(kind) = EventKind::parse(&kind) else {
        return Ok(None);
    };
    let source: String = r.get(3)?;
    Ok(Some(Event {
        at: r.get(0)?,
        session: r.get(1)?,
        kind,
        source: Source::parse(&source),
        query: r.get(4)?,
        slug: r.get(5)?,
        rank: r.get(6)?,
        results: r.get(7)?,
        locale: r.get(8)?,
        helpful: r.get(9)?,
        reason: r.get(10)?,
        comment: r.get(11)?,
    }))
}

const EVENT_COLUMNS: &str =
    "at, session, kind, source, query, slug, rank, results, locale, helpful, reason, comment";

/// Calls `f` with every event in `[from, to)` (ms), oldest first.
fn scan(conn: &Conn, from: i64, to: i64, mut f: impl FnMut(Event)) -> sql::Result<u64> {
    let mut n = 0;
    conn.for_each(
        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE at >= ?1 AND at < ?2 ORDER BY at, id"),
        params![from, to],
        |r| {
            if let Some(e) = event(r)? {
                f(e);
                n += 1;
            }
            Ok(())
        },
    )?;
    Ok(n)
}

impl Store {
    /// Inserts events in one transaction.
    pub fn insert_events(&self, events: &[Event]) -> Result<()> {
        self.write(|tx| Ok(insert(tx, events)?))
    }

    /// The first `limit` events of one analytics session, oldest first: what
    /// a customer searched and read before writing a ticket.
    pub fn session_events(&self, session: &str, limit: usize) -> Result<Vec<Event>> {
        self.read(|c| {
            let rows = c.query_map(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE session = ?1 ORDER BY at, id LIMIT ?2"
                ),
                params![session, limit as i64],
                event,
            )?;
            Ok(rows.into_iter().flatten().collect())
        })
    }

    /// Every event in `[from, to)` (ms), oldest first, to `f`.
    pub fn scan_events(&self, from: i64, to: i64, mut f: impl FnMut(Event)) -> Result<u64> {
        self.read(|c| Ok(scan(c, from, to, &mut f)?))
    }

    /// Deletes events older than `before` (ms); returns how many.
    pub fn purge_events(&self, before: i64) -> Result<usize> {
        self.write(|tx| Ok(tx.execute("DELETE FROM events WHERE at < ?1", [before])?))
    }
}

/// The connection of a long-running job (the event writer, a report). On
/// SQLite it is a connection of its own, so a batch neither waits for the
/// request path's connection nor holds it; on PostgreSQL it is the store's
/// pool, where a batch takes one connection like any request.
enum Own {
    Sqlite(rusqlite::Connection),
    Postgres(Arc<Pool>),
}

impl Own {
    fn read<T>(&self, f: impl FnOnce(&Conn) -> sql::Result<T>) -> Result<T> {
        match self {
            Own::Sqlite(c) => Ok(f(&Conn::sqlite(c))?),
            Own::Postgres(pool) => super::pg_read(pool, |c| Ok(f(c)?)),
        }
    }

    fn write<T>(&mut self, mut f: impl FnMut(&Conn) -> sql::Result<T>) -> Result<T> {
        match self {
            Own::Sqlite(c) => {
                let tx = c.transaction()?;
                let out = f(&Conn::sqlite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Own::Postgres(pool) => {
                super::pg_transaction(pool, super::Isolation::ReadCommitted, |c| Ok(f(c)?))
            }
        }
    }
}

/// The analytics writer's own connection to the store: batches of events
/// go in without waiting for the store's request-path connection, and the
/// request path never waits for a batch.
pub struct EventWriter {
    conn: Own,
}

impl Store {
    /// A connection of its own for the event writer thread (PostgreSQL:
    /// the store's pool, which the writer takes one connection from).
    pub fn event_writer(&self) -> Result<EventWriter> {
        let conn = match &self.engine {
            super::Engine::Postgres(pool) => Own::Postgres(Arc::clone(pool)),
            super::Engine::Sqlite(_) => {
                let path = self.path().unwrap_or(Path::new(""));
                let err = |source: rusqlite::Error| super::Error::Open {
                    location: path.display().to_string(),
                    source: source.into(),
                };
                let conn = rusqlite::Connection::open(path).map_err(err)?;
                // Events are analytics: a batch lost to a power cut costs
                // less than a full sync per batch.
                conn.execute_batch(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;",
                )
                .map_err(err)?;
                Own::Sqlite(conn)
            }
        };
        Ok(EventWriter { conn })
    }
}

impl Store {
    /// A reader of this store's events for a report (PostgreSQL: from the
    /// store's pool).
    pub fn event_reader(&self) -> Result<EventReader> {
        match &self.engine {
            super::Engine::Postgres(pool) => Ok(EventReader {
                conn: Own::Postgres(Arc::clone(pool)),
            }),
            super::Engine::Sqlite(_) => EventReader::open(&self.location),
        }
    }
}

impl EventWriter {
    /// Inserts `events` in one transaction.
    pub fn insert(&mut self, events: &[Event]) -> Result<()> {
        self.conn.write(|tx| insert(tx, events))
    }

    /// Deletes events older than `before` (ms); returns how many.
    pub fn purge(&mut self, before: i64) -> Result<usize> {
        self.conn
            .write(|tx| tx.execute("DELETE FROM events WHERE at < ?1", [before]))
    }
}

/// A comment a customer left with a "No" vote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoteComment {
    /// Milliseconds since the Unix epoch, UTC.
    pub at: i64,
    pub slug: String,
    pub locale: Option<String>,
    pub reason: Option<String>,
    pub comment: String,
}

/// An event as the metrics read it: borrowed, so a store scan can hand rows
/// over without allocating a string per column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventRef<'a> {
    pub at: i64,
    pub session: &'a str,
    pub kind: EventKind,
    pub query: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub results: Option<i64>,
    pub locale: Option<&'a str>,
    pub helpful: Option<bool>,
    pub reason: Option<&'a str>,
}

impl<'a> From<&'a Event> for EventRef<'a> {
    fn from(e: &'a Event) -> EventRef<'a> {
        EventRef {
            at: e.at,
            session: &e.session,
            kind: e.kind,
            query: e.query.as_deref(),
            slug: e.slug.as_deref(),
            results: e.results,
            locale: e.locale.as_deref(),
            helpful: e.helpful,
            reason: e.reason.as_deref(),
        }
    }
}

/// A read-only connection for reports: its own, so a long scan reads beside
/// a running server (SQLite's WAL; one PostgreSQL snapshot) without holding
/// the store's connection.
pub struct EventReader {
    conn: Own,
}

impl EventReader {
    /// Opens the store at `location` for reading; it must exist (a report
    /// never creates or migrates one).
    pub fn open(location: &StoreLocation) -> Result<EventReader> {
        let err = |source: sql::Error| super::Error::Open {
            location: location.display(),
            source,
        };
        let conn = match location {
            StoreLocation::Postgres(url) => {
                Own::Postgres(Arc::new(Pool::new(url, 1).map_err(err)?))
            }
            StoreLocation::File(path) => {
                if !path.is_file() {
                    return Err(err(sql::Error::new(sql::Kind::Unavailable, "no such file")));
                }
                let conn = rusqlite::Connection::open(path).map_err(|e| err(e.into()))?;
                // Memory-mapped reads spare a copy of every page a long scan
                // touches.
                conn.execute_batch(
                    "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000; PRAGMA mmap_size = 4294967296;",
                )
                .map_err(|e| err(e.into()))?;
                Own::Sqlite(conn)
            }
        };
        Ok(EventReader { conn })
    }

    /// Every event in `[from, to)` (ms), oldest first, to `f`.
    pub fn scan(&self, from: i64, to: i64, f: impl FnMut(Event)) -> Result<u64> {
        self.conn.read(|c| scan(c, from, to, f))
    }

    /// The newest `limit` comments left with "No" votes in `[from, to)`
    /// (ms), newest first.
    pub fn vote_comments(&self, from: i64, to: i64, limit: usize) -> Result<Vec<VoteComment>> {
        self.conn.read(|c| {
            c.query_map(
                "SELECT at, slug, locale, reason, comment FROM events
                 WHERE comment IS NOT NULL AND at >= ?1 AND at < ?2 ORDER BY at DESC, id DESC LIMIT ?3",
                params![from, to, limit as i64],
                |r| {
                    Ok(VoteComment {
                        at: r.get(0)?,
                        slug: r.get::<Option<String>>(1)?.unwrap_or_default(),
                        locale: r.get(2)?,
                        reason: r.get(3)?,
                        comment: r.get(4)?,
                    })
                },
            )
        })
    }

    /// Calls `f` with every event in `[from, to)` (ms), oldest first,
    /// borrowed from the row: the same rows as [`EventReader::scan`] without
    /// its strings per column, which cost more than SQLite itself over
    /// millions of events. Rows of an unknown kind are skipped, as there.
    pub fn scan_refs(&self, from: i64, to: i64, mut f: impl FnMut(EventRef)) -> Result<u64> {
        let mut n = 0;
        self.conn.read(|c| {
            c.for_each(
                "SELECT at, session, kind, query, slug, results, locale, helpful, reason
                 FROM events WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
                params![from, to],
                |r| {
                    let Some(kind) = r.text(2)?.and_then(EventKind::parse) else {
                        return Ok(());
                    };
                    f(EventRef {
                        at: r.get(0)?,
                        session: r.text(1)?.unwrap_or_default(),
                        kind,
                        query: r.text(3)?,
                        slug: r.text(4)?,
                        results: r.get(5)?,
                        locale: r.text(6)?,
                        helpful: r.get(7)?,
                        reason: r.text(8)?,
                    });
                    n += 1;
                    Ok(())
                },
            )
        })?;
        Ok(n)
    }
}
