//! The outbox: messages for other systems (webhooks) stored before any
//! delivery is tried, then delivered and retried with backoff until they
//! succeed — so a failing receiver or a crash never loses one.

use rusqlite::{params, Row};
use serde::Serialize;

use super::{now, Result, Store};

/// A message waiting for (or past) delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    /// What happened (`review_requested`, `published`, ...).
    pub kind: String,
    /// Where it goes (a URL).
    pub destination: String,
    /// The JSON body.
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
}

fn item(r: &Row) -> rusqlite::Result<OutboxItem> {
    Ok(OutboxItem {
        id: r.get(0)?,
        kind: r.get(1)?,
        destination: r.get(2)?,
        payload: r.get(3)?,
        attempts: r.get(4)?,
        next_attempt_at: r.get(5)?,
        delivered_at: r.get(6)?,
        last_error: r.get(7)?,
    })
}

const COLUMNS: &str =
    "id, kind, destination, payload, attempts, next_attempt_at, delivered_at, last_error";

impl Store {
    /// Queues `payload` for each destination, due at once.
    pub fn enqueue(&self, kind: &str, destinations: &[String], payload: &str) -> Result<()> {
        self.write(|tx| {
            let at = now();
            for d in destinations {
                tx.execute(
                    "INSERT INTO outbox (kind, destination, payload, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![kind, d, payload, at],
                )?;
            }
            Ok(())
        })
    }

    /// Undelivered messages due by now, oldest first.
    pub fn due(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![now(), limit as i64], item)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Every undelivered message.
    pub fn undelivered(&self) -> Result<Vec<OutboxItem>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE delivered_at IS NULL ORDER BY id"
            ))?;
            let rows = stmt
                .query_map([], item)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// How many messages wait for delivery (a `COUNT`, no rows loaded).
    pub fn undelivered_count(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL",
                [],
                |r| r.get::<_, i64>(0),
            )? as u64)
        })
    }

    /// Records a delivery.
    pub fn delivered(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1", params![id, now()])?;
            Ok(())
        })
    }

    /// Records a failed attempt and when to try again.
    pub fn failed(&self, id: i64, error: &str, retry_at: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
                params![id, error, retry_at],
            )?;
            Ok(())
        })
    }
}
