//! The outbox: messages for other systems (webhooks) stored before any
//! delivery is tried, then delivered and retried with backoff until they
//! succeed — so a failing receiver or a crash never loses one.

use std::time::Duration;

use super::sql::{params, Row};
use serde::Serialize;

use super::{stamp, Result, Store};

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
            let at = stamp(tx.clock()?);
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
    /// when the lease ends. The lease's end, returned as the item's
    /// `next_attempt_at`, is the claim: [`Store::delivered`] and
    /// [`Store::failed`] record an outcome only while it holds. Times come
    /// from the database's clock, so replicas whose clocks disagree still
    /// agree on when a lease ends. On PostgreSQL, `FOR UPDATE SKIP LOCKED`
    /// lets replicas claim side by side without waiting for each other.
    pub fn claim_due(&self, limit: usize, lease: impl Into<Lease>) -> Result<Vec<OutboxItem>> {
        let lease = lease.into();
        self.write_committed(None, |tx| {
            let now = tx.clock()?;
            let until =
                |d: Duration| stamp(now + chrono::Duration::from_std(d).unwrap_or_default());
            let lock = if tx.is_postgres() {
                " FOR UPDATE SKIP LOCKED"
            } else {
                ""
            };
            let mut rows = tx.query_map(
                &format!(
                    "UPDATE outbox SET next_attempt_at =
                       CASE WHEN destination LIKE 'mailto:%' THEN ?4 ELSE ?1 END
                     WHERE id IN (
                       SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?2
                       ORDER BY id LIMIT ?3{lock})
                     RETURNING {COLUMNS}"
                ),
                params![
                    until(lease.webhook),
                    stamp(now),
                    limit as i64,
                    until(lease.email)
                ],
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

    /// Records the delivery of a claimed message; `false` when its claim
    /// had already ended (the lease ran out, so another worker may be
    /// delivering it too) and nothing was recorded.
    pub fn delivered(&self, claimed: &OutboxItem) -> Result<bool> {
        self.write(|tx| {
            let now = stamp(tx.clock()?);
            let changed = tx.execute(
                "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL
                 WHERE id = ?1 AND next_attempt_at = ?3 AND delivered_at IS NULL",
                params![claimed.id, now, claimed.next_attempt_at.as_str()],
            )?;
            Ok(changed == 1)
        })
    }

    /// Records a failed attempt of a claimed message, due again after
    /// `wait`; `false` when its claim had already ended.
    pub fn failed(&self, claimed: &OutboxItem, error: &str, wait: Duration) -> Result<bool> {
        self.write(|tx| {
            let retry = tx.clock()? + chrono::Duration::from_std(wait).unwrap_or_default();
            let changed = tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
                 WHERE id = ?1 AND next_attempt_at = ?4 AND delivered_at IS NULL",
                params![
                    claimed.id,
                    error,
                    stamp(retry),
                    claimed.next_attempt_at.as_str()
                ],
            )?;
            Ok(changed == 1)
        })
    }
}

/// How long a claim lasts, by destination: longer than one attempt can
/// take, so two workers never hold one message at once.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub webhook: Duration,
    /// SMTP bounds each step of a send (connect, TLS, each command), not
    /// the whole, so an email's lease is longer.
    pub email: Duration,
}

impl From<Duration> for Lease {
    fn from(d: Duration) -> Lease {
        Lease {
            webhook: d,
            email: d,
        }
    }
}
