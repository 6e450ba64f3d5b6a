//! A small pool of PostgreSQL connections: a replica opens up to [`SIZE`]
//! and reuses them, so a request does not pay for a connection. A broken
//! connection is dropped when it comes back and a new one is made on
//! demand, so the store recovers by itself when the database returns. When
//! the database cannot be reached, taking a connection fails within the
//! connect timeout with [`Kind::Unavailable`] (the web layer's 503) instead
//! of hanging the request.

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::sql::{blocking, Error, Kind, PgConn, Result};

/// Connections per replica unless configured (`store_connections`). A
/// replica's store work is short (a session lookup, a ticket insert); more
/// connections than cores buy little, and a PostgreSQL server allows 100 in
/// all by default.
pub const SIZE: usize = 8;

/// How long a connection attempt (and a wait for a free connection) may
/// take before the store reports the database unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Pool {
    config: postgres::Config,
    size: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<PgConn>,
    open: usize,
}

impl Pool {
    /// A pool for `url` (nothing is connected yet).
    pub fn new(url: &str, size: usize) -> Result<Pool> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| Error::new(Kind::Other, format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("deflect");
        }
        config.keepalives(true);
        Ok(Pool {
            config,
            size: size.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        })
    }

    /// Applies the migrations the database has not seen.
    pub fn migrate(&self) -> Result<super::migrations_postgres::Migrated> {
        let mut c = self.get()?;
        Ok(blocking(|| {
            super::migrations_postgres::migrate(&mut c.client)
        })?)
    }

    /// A connection: an idle one, a new one while fewer than `size` are
    /// open, or the first one freed within the connect timeout.
    pub fn get(&self) -> Result<Pooled<'_>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            while let Some(conn) = state.idle.pop() {
                if !conn.client.is_closed() {
                    return Ok(Pooled {
                        pool: self,
                        conn: Some(conn),
                    });
                }
                state.open -= 1;
                blocking(|| drop(conn));
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match blocking(|| self.config.connect(postgres::NoTls)) {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        conn: Some(PgConn::new(client)),
                    }),
                    Err(e) => {
                        self.release_slot();
                        Err(Error::new(Kind::Unavailable, e.to_string()))
                    }
                };
            }
            let (next, timeout) = self
                .freed
                .wait_timeout(state, CONNECT_TIMEOUT)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            if timeout.timed_out() && state.idle.is_empty() && state.open >= self.size {
                return Err(Error::new(
                    Kind::Unavailable,
                    format!("all {} database connections stayed busy", self.size),
                ));
            }
        }
    }

    fn release_slot(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.open -= 1;
        self.freed.notify_one();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let idle = std::mem::take(&mut state.idle);
        blocking(|| drop(idle));
    }
}

/// A connection taken from the pool; it goes back when dropped (or is
/// closed for good when it broke).
pub struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<PgConn>,
}

impl Deref for Pooled<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        self.conn.as_ref().expect("held until dropped")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if conn.client.is_closed() {
            // Closing a client blocks on its runtime, like every call.
            blocking(|| drop(conn));
            self.pool.release_slot();
            return;
        }
        let mut state = self.pool.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle.push(conn);
        self.pool.freed.notify_one();
    }
}
