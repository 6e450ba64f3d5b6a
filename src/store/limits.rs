//! What replicas must agree on beyond the data: signing keys, and
//! rate-limit attempts kept in the store, for replicas that share one
//! PostgreSQL database: an attempt counted on one replica counts on every
//! other. Checking and counting are one step: on PostgreSQL the transaction
//! first takes an advisory lock on the bucket, so two replicas racing on one
//! key are counted one after the other and cannot both pass a check made
//! before either was counted. (One SQLite file has one writer, and the web
//! layer counts in memory there.)

use super::sql::params;
use super::{Result, Store};

/// Attempts older than this are deleted, whatever their window (the
/// longest deflect uses is 15 minutes).
const KEEP_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// The random key called `name`, made by whichever replica asks first
    /// and the same for every replica after (and across restarts).
    pub fn secret(&self, name: &str) -> Result<String> {
        let fresh = super::random_token();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO secrets (name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                [name, fresh.as_str()],
            )?;
            Ok(
                tx.query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    /// Counts an attempt in `bucket` and returns `true` when fewer than
    /// `max` were counted in the last `window_ms`; returns `false`,
    /// counting nothing, when the limit is reached.
    pub fn try_acquire_limit(&self, bucket: &str, max: usize, window_ms: i64) -> Result<bool> {
        let now = chrono::Utc::now().timestamp_millis();
        self.write_locked(bucket, |tx| {
            tx.execute(
                "DELETE FROM rate_hits WHERE bucket = ?1 AND at_ms <= ?2",
                params![bucket, now - window_ms],
            )?;
            let counted: i64 = tx.query_row(
                "SELECT COUNT(*) FROM rate_hits WHERE bucket = ?1",
                [bucket],
                |r| r.get(0),
            )?;
            if counted >= max as i64 {
                return Ok(false);
            }
            let id = tx.insert(
                "INSERT INTO rate_hits (bucket, at_ms) VALUES (?1, ?2)",
                params![bucket, now],
            )?;
            // Now and then, forget other buckets' old attempts too.
            if id % 512 == 0 {
                tx.execute("DELETE FROM rate_hits WHERE at_ms < ?1", [now - KEEP_MS])?;
            }
            Ok(true)
        })
    }

    /// Takes back the latest attempt counted in `bucket`.
    pub fn release_limit(&self, bucket: &str) -> Result<()> {
        self.write_locked(bucket, |tx| {
            tx.execute(
                "DELETE FROM rate_hits WHERE id = (SELECT MAX(id) FROM rate_hits WHERE bucket = ?1)",
                [bucket],
            )?;
            Ok(())
        })
    }

    /// Forgets every attempt in `bucket`.
    pub fn clear_limit(&self, bucket: &str) -> Result<()> {
        self.write_locked(bucket, |tx| {
            tx.execute("DELETE FROM rate_hits WHERE bucket = ?1", [bucket])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let key = store.secret("receipts").unwrap();
        assert_eq!(key.len(), 64);
        assert_eq!(store.secret("receipts").unwrap(), key);
        assert_ne!(store.secret("other").unwrap(), key);
    }

    #[test]
    fn counts_releases_and_clears() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let key = "login|1.2.3.4|ana";
        for _ in 0..3 {
            assert!(store.try_acquire_limit(key, 3, 60_000).unwrap());
        }
        assert!(!store.try_acquire_limit(key, 3, 60_000).unwrap());
        assert!(store.try_acquire_limit("login|other", 3, 60_000).unwrap());
        store.release_limit(key).unwrap();
        assert!(store.try_acquire_limit(key, 3, 60_000).unwrap());
        store.clear_limit(key).unwrap();
        assert!(store.try_acquire_limit(key, 1, 60_000).unwrap());
        // A window that has passed counts nothing.
        assert!(store.try_acquire_limit(key, 1, 0).unwrap());
    }
}
