//! Analytics events in the store: batch inserts (from the capture thread's
//! own connection), a streaming scan in time order for reports, and purging
//! by age.

use rusqlite::{params, Connection, Transaction};

use super::{Result, Store};
use crate::analytics::{Event, EventKind, Source};

/// Inserts `events` in the caller's transaction.
pub fn insert(tx: &Transaction, events: &[Event]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO events (at, session, kind, source, query, slug, rank, results, locale, helpful, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for e in events {
        stmt.execute(params![
            e.at,
            e.session,
            e.kind.as_str(),
            e.source.as_str(),
            e.query,
            e.slug,
            e.rank,
            e.results,
            e.locale,
            e.helpful,
            e.reason
        ])?;
    }
    Ok(())
}

/// An event row read in [`EVENT_COLUMNS`] order (`None`: a kind this
/// version does not know).
fn event(r: &rusqlite::Row) -> rusqlite::Result<Option<Event>> {
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
    }))
}

const EVENT_COLUMNS: &str =
    "at, session, kind, source, query, slug, rank, results, locale, helpful, reason";

/// Calls `f` with every event in `[from, to)` (ms), oldest first.
pub fn scan(
    conn: &Connection,
    from: i64,
    to: i64,
    mut f: impl FnMut(Event),
) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE at >= ?1 AND at < ?2 ORDER BY at, id"
    ))?;
    let mut rows = stmt.query(params![from, to])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        if let Some(e) = event(r)? {
            f(e);
            n += 1;
        }
    }
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
            let mut stmt = c.prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE session = ?1 ORDER BY at, id LIMIT ?2"
            ))?;
            let mut rows = stmt.query(params![session, limit as i64])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.extend(event(r)?);
            }
            Ok(out)
        })
    }

    /// Every event in `[from, to)` (ms), oldest first, to `f`.
    pub fn scan_events(&self, from: i64, to: i64, f: impl FnMut(Event)) -> Result<u64> {
        self.read(|c| Ok(scan(c, from, to, f)?))
    }

    /// Deletes events older than `before` (ms); returns how many.
    pub fn purge_events(&self, before: i64) -> Result<usize> {
        self.write(|tx| Ok(tx.execute("DELETE FROM events WHERE at < ?1", [before])?))
    }
}
