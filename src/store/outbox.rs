//! The outbox: messages for other systems (webhooks) stored before any
//! delivery is tried, then delivered and retried with backoff until they
//! succeed — so a failing receiver or a crash never loses one.

use super::sql::{params, Row};
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

fn item(r: &Row) -> super::sql::Result<OutboxItem> {
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

    /// Claims up to `limit` undelivered messages due by now, oldest first,
    /// for `lease`: their next attempt moves to the lease's end, so no other
    /// worker (on this replica or another) takes them meanwhile, and one a
    /// worker never finishes (a replica killed mid-delivery) is due again
    /// when the lease ends. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets
    /// replicas claim side by side without waiting for each other.
    pub fn claim_due(&self, limit: usize, lease: std::time::Duration) -> Result<Vec<OutboxItem>> {
        let now = chrono::Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let stamp = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        self.write_committed(None, |tx| {
            let lock = if tx.is_postgres() {
                " FOR UPDATE SKIP LOCKED"
            } else {
                ""
            };
            let mut rows = tx.query_map(
                &format!(
                    "UPDATE outbox SET next_attempt_at = ?1 WHERE id IN (
                       SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?2
                       ORDER BY id LIMIT ?3{lock})
                     RETURNING {COLUMNS}"
                ),
                params![stamp(until), stamp(now), limit as i64],
                item,
            )?;
            rows.sort_by_key(|i| i.id);
            Ok(rows)
        })
    }

    /// Every undelivered message.
    pub fn undelivered(&self) -> Result<Vec<OutboxItem>> {
        self.read(|c| {
            let rows = c.query_map(
                &format!("SELECT {COLUMNS} FROM outbox WHERE delivered_at IS NULL ORDER BY id"),
                (),
                item,
            )?;
            Ok(rows)
        })
    }

    /// How many messages wait for delivery (a `COUNT`, no rows loaded).
    pub fn undelivered_count(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL",
                (),
                |r| r.get::<i64>(0),
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
