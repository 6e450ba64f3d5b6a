//! The store: everything that is not Markdown — accounts and sessions,
//! revisions with their reviews and comments, verifications, the audit log,
//! tickets and the outbox, analytics events, mining runs and shared rate
//! limits — and the only code that touches the database. Two engines sit
//! behind one interface ([`sql`]): an embedded SQLite file (the default; WAL
//! mode, foreign keys on, one connection behind a mutex since SQLite
//! serialises writers anyway) and PostgreSQL (`store = "postgres://…"`), which
//! several replicas share through a connection pool each. The store is
//! created and migrated on open; writes that belong together run in one
//! transaction, serialisable on PostgreSQL so a check-then-write holds across
//! replicas as it does under SQLite's single writer.

mod accounts;
mod events;
mod limits;
mod migrations;
pub mod migrations_postgres;
mod mining;
mod outbox;
mod pool;
mod revisions;
pub mod sql;
mod tickets;

pub use migrations::migrate;

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::config::StoreLocation;
pub use sql::Conn;
use sql::{Isolation, Kind};

pub use accounts::{random_token, Account, Role, Session};
pub use events::{
    insert as insert_events, Event, EventKind, EventReader, EventRef, EventWriter, Source,
    VoteComment,
};
pub use mining::{MinedDraft, MiningRun, Queued, UNASSIGNED};
pub use outbox::{Lease, OutboxItem};
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
    #[error("database {location}: {source}")]
    Open {
        location: String,
        source: sql::Error,
    },
    /// The database cannot be reached: the caller answers 503, not 500.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Sql(sql::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<sql::Error> for Error {
    fn from(e: sql::Error) -> Error {
        match e.kind {
            Kind::Unavailable => Error::Unavailable(e.message),
            _ => Error::Sql(e),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        sql::Error::from(e).into()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The store, on either engine.
pub struct Store {
    location: StoreLocation,
    engine: Engine,
}

enum Engine {
    /// One connection behind a mutex: SQLite serialises writers anyway.
    Sqlite(Mutex<rusqlite::Connection>),
    /// A pool shared by the request path, the event writer and readers.
    Postgres(Arc<pool::Pool>),
}

/// Times a PostgreSQL write is tried when a concurrent one made it
/// unserialisable (each retry runs the whole transaction again).
const WRITE_TRIES: usize = 8;

impl Store {
    /// Opens the store at `at` (a SQLite path, or a [`StoreLocation`]),
    /// creating and migrating it as needed. Several replicas may open one
    /// PostgreSQL database at once: the migrations take a lock.
    pub fn open(at: impl Into<StoreLocation>) -> Result<Store> {
        Store::open_with(at, crate::config::STORE_CONNECTIONS)
    }

    /// [`Store::open`] with at most `connections` to PostgreSQL.
    pub fn open_with(at: impl Into<StoreLocation>, connections: usize) -> Result<Store> {
        let location = at.into();
        let engine = match &location {
            StoreLocation::File(path) => Engine::Sqlite(Mutex::new(open_sqlite(path)?)),
            StoreLocation::Postgres(url) => {
                let pool = pool::Pool::new(url, connections).map_err(|e| Error::Open {
                    location: location.display(),
                    source: e,
                })?;
                pool.migrate().map_err(|e| match e.kind {
                    Kind::Unavailable => Error::Unavailable(e.message),
                    _ => Error::Open {
                        location: location.display(),
                        source: e,
                    },
                })?;
                Engine::Postgres(Arc::new(pool))
            }
        };
        Ok(Store { location, engine })
    }

    /// Where the store lives.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// The SQLite file (`None` on PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        self.location.path()
    }

    /// The engine behind the store, for `/healthz`.
    pub fn engine(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers a query that reaches its data (SQLite:
    /// the file header's schema version; `SELECT 1` would not touch it).
    pub fn ping(&self) -> Result<()> {
        let sql = match self.engine {
            Engine::Sqlite(_) => "PRAGMA user_version",
            Engine::Postgres(_) => "SELECT 1",
        };
        self.read(|c| Ok(c.query_row(sql, (), |_| Ok(()))?))
    }

    /// Runs `f` on a connection (PostgreSQL: in a read-only transaction,
    /// so several queries see one snapshot).
    pub fn read<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(conn) => {
                let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                let c = Conn::sqlite(&conn);
                f(&c)
            }
            Engine::Postgres(pool) => pg_read(pool, f),
        }
    }

    /// Runs `f` in a transaction, committed when `f` succeeds. On
    /// PostgreSQL the transaction is serialisable (the checks-then-writes in
    /// `f` hold across replicas as they do under SQLite's single writer)
    /// and runs again when a concurrent transaction made it fail.
    pub fn write<T>(&self, mut f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                let tx = conn.transaction()?;
                let out = f(&Conn::sqlite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Engine::Postgres(pool) => pg_transaction(pool, Isolation::Serializable, f),
        }
    }

    /// Runs `f` in a transaction that first takes a lock named `key`, held
    /// until it ends: writers of one key (a rate-limit bucket) go one at a
    /// time across replicas, and each reads what the previous one committed.
    /// SQLite's single writer already does this.
    pub fn write_locked<T>(&self, key: &str, f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        self.write_committed(Some(key), f)
    }

    /// [`Store::write`] without PostgreSQL's serialisable isolation (for a
    /// write that locks what it needs itself, such as an outbox claim's
    /// `FOR UPDATE SKIP LOCKED`), under advisory lock `lock` if given.
    fn write_committed<T>(
        &self,
        lock: Option<&str>,
        mut f: impl FnMut(&Conn) -> Result<T>,
    ) -> Result<T> {
        match &self.engine {
            Engine::Sqlite(_) => self.write(f),
            Engine::Postgres(pool) => pg_transaction(pool, Isolation::ReadCommitted, |conn| {
                if let Some(key) = lock {
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
                        [key],
                    )?;
                }
                f(conn)
            }),
        }
    }

    /// Appends to the audit log (inside the caller's transaction).
    pub fn audit(
        tx: &Conn,
        actor: Option<i64>,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO audit (at, account_id, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            sql::params![now(), actor, action, subject, detail],
        )?;
        Ok(())
    }
}

/// Runs `f` in a transaction on a pooled PostgreSQL connection, committed
/// when `f` succeeds, and again when PostgreSQL aborted it for a concurrent
/// transaction (a serialisation failure or deadlock), up to
/// [`WRITE_TRIES`] times. A connection the server dropped while it sat idle
/// (a database restart) shows only when used; its `BEGIN` fails before
/// anything ran, so the idle connections are closed and a fresh one is
/// taken, once. All of it runs inside
/// [`sql::blocking`]: an unfinished transaction or a broken connection is
/// dropped there, and their drops block on the client's runtime too.
fn pg_transaction<T>(
    pool: &pool::Pool,
    isolation: Isolation,
    mut f: impl FnMut(&Conn) -> Result<T>,
) -> Result<T> {
    sql::blocking(|| {
        let mut tries = 0;
        let mut reconnected = false;
        loop {
            tries += 1;
            let mut pc = pool.get()?;
            let conn = match Conn::postgres(&mut pc, isolation) {
                Ok(conn) => conn,
                Err(e) if e.kind == Kind::Unavailable && !reconnected => {
                    reconnected = true;
                    pool.discard_idle();
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let attempt = f(&conn).and_then(|out| Ok(conn.commit().map(|()| out)?));
            match attempt {
                Err(Error::Sql(e)) if e.kind == Kind::Retry && tries < WRITE_TRIES => {
                    std::thread::sleep(std::time::Duration::from_millis(2 * tries as u64));
                }
                other => return other,
            }
        }
    })
}

/// [`pg_transaction`] for a read: one snapshot, read-only, which PostgreSQL
/// never aborts for a concurrent transaction, so `f` runs once.
fn pg_read<T>(pool: &pool::Pool, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
    let mut f = Some(f);
    pg_transaction(pool, Isolation::ReadOnly, |conn| match f.take() {
        Some(f) => f(conn),
        None => Err(Error::Invalid("a read ran twice".into())),
    })
}

/// Opens (creating and migrating) the SQLite file at `path`.
fn open_sqlite(path: &Path) -> Result<rusqlite::Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    }
    let err = |source: rusqlite::Error| Error::Open {
        location: path.display().to_string(),
        source: source.into(),
    };
    let mut conn = rusqlite::Connection::open(path).map_err(err)?;
    // WAL lets readers run beside the writer; FULL sync makes a stored
    // ticket or approval survive a power cut, not only a crash.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    )
    .map_err(err)?;
    migrations::migrate(&mut conn).map_err(err)?;
    Ok(conn)
}

/// Now, RFC 3339 in UTC (what every timestamp column holds).
pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// `t` as every timestamp column holds it (RFC 3339, milliseconds, UTC).
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
            .read(|c| Ok(c.query_row("PRAGMA user_version", (), |r| r.get::<i64>(0))?))
            .unwrap();
        assert_eq!(version as usize, migrations::MIGRATIONS.len());
        let mode: String = store
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", (), |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        Store::open(&path).unwrap();
    }
}
