//! A small pool of PostgreSQL connections: a replica opens up to
//! `store_connections` and reuses them, so a request does not pay for a
//! connection. A broken connection is dropped when it comes back and a new
//! one is made on demand, so the store recovers by itself when the
//! database returns. When the database cannot be reached, taking a
//! connection fails with [`Kind::Unavailable`] (the web layer's 503)
//! within the connect timeout, and at once for a moment after a failed
//! connect, so requests do not queue up behind a dead database; a statement
//! timeout and TCP keepalives bound a connection whose server went silent.

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::sql::{blocking, Error, Kind, PgConn, Result};

/// How long a connection attempt (and a wait for a free connection) may
/// take before the store reports the database unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed connect, how long new connects are not tried: each
/// request would otherwise wait out its own connect timeout.
const BACKOFF: Duration = Duration::from_secs(2);
/// The longest a statement may run: the store's statements take
/// milliseconds, so one that runs this long is stuck (a lock, a silent
/// server), and its request answers 503 rather than hang.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a silent server may leave sent data unacknowledged, and an idle
/// connection unprobed, before the socket is given up (instead of the
/// system's two hours).
const SILENCE: Duration = Duration::from_secs(20);

pub struct Pool {
    config: postgres::Config,
    size: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<PgConn>,
    open: usize,
    /// When the last connect failed, and why.
    failed: Option<(Instant, String)>,
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
        config.keepalives_idle(SILENCE);
        config.tcp_user_timeout(SILENCE);
        let options = config.get_options().unwrap_or_default();
        if !options.contains("statement_timeout") {
            let ms = STATEMENT_TIMEOUT.as_millis();
            config.options(format!("{options} -c statement_timeout={ms}").trim_start());
        }
        Ok(Pool {
            config,
            size: size.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                failed: None,
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
        let deadline = Instant::now() + CONNECT_TIMEOUT;
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
            if let Some((at, why)) = &state.failed {
                if at.elapsed() < BACKOFF {
                    return Err(Error::new(Kind::Unavailable, why.clone()));
                }
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match blocking(|| self.config.connect(postgres::NoTls)) {
                    Ok(client) => {
                        self.lock().failed = None;
                        Ok(Pooled {
                            pool: self,
                            conn: Some(PgConn::new(client)),
                        })
                    }
                    Err(e) => {
                        let e = Error::from(e);
                        let mut state = self.lock();
                        state.failed = Some((Instant::now(), e.message.clone()));
                        state.open -= 1;
                        self.freed.notify_one();
                        Err(Error::new(Kind::Unavailable, e.message))
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::new(
                    Kind::Unavailable,
                    format!("all {} database connections stayed busy", self.size),
                ));
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Closes every idle connection: after one was found dead (a database
    /// restart), the others, idle as long, are too.
    pub fn discard_idle(&self) {
        let idle = {
            let mut state = self.lock();
            let idle = std::mem::take(&mut state.idle);
            state.open -= idle.len();
            idle
        };
        // Their slots are free: a request waiting for one may connect now.
        self.freed.notify_all();
        blocking(|| drop(idle));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn release_slot(&self) {
        self.lock().open -= 1;
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
        self.pool.lock().idle.push(conn);
        self.pool.freed.notify_one();
    }
}
