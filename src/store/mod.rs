//! The store: one SQLite file (WAL mode, foreign keys on) holding what is not
//! Markdown — accounts and sessions, revisions with their reviews and
//! comments, verifications, the audit log and the notification outbox. It is
//! created and migrated on open; writes that belong together run in one
//! transaction. One connection behind a mutex: agent traffic is light, and
//! SQLite serialises writers anyway.

mod accounts;
mod events;
mod migrations;
pub mod migrations_postgres;
mod mining;

pub use migrations::migrate;
mod outbox;
mod revisions;
mod tickets;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, Transaction};

pub use accounts::{random_token, Account, Role, Session};
pub use events::{
    insert as insert_events, scan as scan_events, Event, EventKind, EventReader, EventRef,
    EventWriter, Source, VoteComment,
};
pub use mining::{MinedDraft, MiningRun, Queued, UNASSIGNED};
pub use outbox::OutboxItem;
pub use revisions::{
    Adopted, Comment, NewRevision, Review, Revision, RevisionFields, RevisionKind, RevisionState,
    Verdict,
};
pub use tickets::{
    AssigneeFilter, NewReply, NewTicket, Ticket, TicketQuery, TicketReply, TicketStatus,
};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The SQLite store.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
        let err = |source| Error::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        // WAL lets readers run beside the writer; FULL sync makes a stored
        // ticket or approval survive a power cut, not only a crash.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
        .map_err(err)?;
        migrations::migrate(&mut conn).map_err(err)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The engine behind the store, for `/healthz`.
    pub fn engine(&self) -> &'static str {
        "sqlite"
    }

    /// Whether the database answers a query that reads its file (the
    /// header's schema version; `SELECT 1` would not touch the file).
    pub fn ping(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("PRAGMA user_version", [], |_| Ok(()))?))
    }

    /// Runs `f` on the connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    /// Runs `f` in a transaction, committed when `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Appends to the audit log (inside the caller's transaction).
    pub fn audit(
        tx: &Transaction,
        actor: Option<i64>,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO audit (at, account_id, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![now(), actor, action, subject, detail],
        )?;
        Ok(())
    }
}

/// Now, RFC 3339 in UTC (what every timestamp column holds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/deflect.db");
        let store = Store::open(&path).unwrap();
        let version: i64 = store
            .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(version as usize, migrations::MIGRATIONS.len());
        let mode: String = store
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        Store::open(&path).unwrap();
    }
}
