//! The one SQL surface the store's queries are written against, with two
//! engines behind it: an embedded SQLite file and a PostgreSQL server. The
//! queries are written once, in the SQL both accept (`?N` parameters,
//! `ON CONFLICT`, `RETURNING`, `CAST`); this module turns `?N` into `$N`
//! for PostgreSQL, binds each value as the type the server inferred for its
//! parameter, and reads columns back as the store's Rust types. Rows are
//! borrowed from the engine's own row, so a long scan allocates nothing per
//! column it does not keep.
//!
//! PostgreSQL's synchronous client drives its own small runtime; called from
//! an async task it would refuse to block, so each call steps out of the
//! caller's runtime first ([`blocking`]).

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::types::{ToSql as PgToSql, Type};

/// A value to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// What can be bound as a parameter.
pub trait ToSql {
    fn to_value(&self) -> Value;
}

macro_rules! int_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_to_sql!(i64, i32, u32, u16, u8);

impl ToSql for bool {
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
}
impl ToSql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToSql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToSql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToSql for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToSql> ToSql for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToSql::to_value)
    }
}

/// A statement's parameters: `params![a, b]`, an array of one type, a
/// slice of [`Value`]s, or `()` for none.
pub trait Params {
    fn values(&self) -> Vec<Value>;
}
impl Params for () {
    fn values(&self) -> Vec<Value> {
        Vec::new()
    }
}
impl<T: ToSql, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(ToSql::to_value).collect()
    }
}
impl<T: ToSql> Params for &[T] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(ToSql::to_value).collect()
    }
}

/// Parameters of mixed types, as `rusqlite::params!` takes them.
macro_rules! params {
    () => { () };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::sql::ToSql),+] as &[&dyn $crate::store::sql::ToSql]
    };
}
pub(crate) use params;

/// What went wrong in the database, by what the caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A query for one row found none.
    NoRows,
    /// A unique or check constraint refused the write.
    Constraint,
    /// The database could not be reached (or the connection broke).
    Unavailable,
    /// A column held what its reader does not accept.
    Conversion,
    /// A concurrent transaction made this one fail; running it again may
    /// succeed (PostgreSQL's serialisation failures and deadlocks).
    Retry,
    Other,
}

/// An error of either engine.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        let kind = match &e {
            rusqlite::Error::QueryReturnedNoRows => Kind::NoRows,
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Kind::Constraint
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::SystemIoFailure
                ) =>
            {
                Kind::Unavailable
            }
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => Kind::Conversion,
            _ => Kind::Other,
        };
        Error::new(kind, e.to_string())
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        use postgres::error::SqlState;
        let kind = match e.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::CHECK_VIOLATION => {
                Kind::Constraint
            }
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                Kind::Retry
            }
            Some(c) if c.code().starts_with("08") || c.code().starts_with("57P") => {
                Kind::Unavailable
            }
            Some(_) => Kind::Other,
            // No SQL state: the connection closed, or its socket failed.
            None if e.is_closed() => Kind::Unavailable,
            None if std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) => {
                Kind::Unavailable
            }
            None => Kind::Other,
        };
        // `Display` says "db error" or "error connecting to server" and
        // stops; the server's message and detail, or the cause (refused,
        // timed out, wrong password), are what an operator needs.
        let message = match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => match db.detail() {
                Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
                None => format!("{}: {}", db.severity(), db.message()),
            },
            (None, Some(cause)) => format!("{e}: {cause}"),
            (None, None) => e.to_string(),
        };
        Error::new(kind, message)
    }
}

/// `query_row(...).optional()`: no row is `None`, not an error.
pub trait OptionalExt<T> {
    fn optional(self) -> Result<Option<T>>;
}
impl<T> OptionalExt<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind == Kind::NoRows => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A column, by position or by name.
pub trait Column {
    fn position(&self, names: &mut dyn Iterator<Item = &str>) -> Result<usize>;
}
impl Column for usize {
    fn position(&self, _: &mut dyn Iterator<Item = &str>) -> Result<usize> {
        Ok(*self)
    }
}
impl Column for &str {
    fn position(&self, names: &mut dyn Iterator<Item = &str>) -> Result<usize> {
        for (i, n) in names.enumerate() {
            if n == *self {
                return Ok(i);
            }
        }
        Err(Error::new(Kind::Other, format!("no column `{self}`")))
    }
}

/// A row of either engine, borrowed.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl<'a> Row<'a> {
    /// Column `i` as `T`.
    pub fn get<T: FromSql>(&self, i: impl Column) -> Result<T> {
        let i = self.position(&i)?;
        match self {
            Row::Sqlite(r) => T::from_sqlite(r.get_ref(i)?),
            Row::Postgres(r) => T::from_postgres(r, i),
        }
    }

    /// A text column borrowed from the row (anything else is `None`).
    pub fn text(&self, i: usize) -> Result<Option<&'a str>> {
        match self {
            Row::Sqlite(r) => Ok(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Text(b) => std::str::from_utf8(b).ok(),
                _ => None,
            }),
            Row::Postgres(r) => Ok(r.try_get::<_, Option<&str>>(i).ok().flatten()),
        }
    }

    fn position(&self, c: &impl Column) -> Result<usize> {
        match self {
            Row::Sqlite(r) => {
                let s = r.as_ref();
                c.position(&mut (0..s.column_count()).filter_map(|i| s.column_name(i).ok()))
            }
            Row::Postgres(r) => c.position(&mut r.columns().iter().map(|c| c.name())),
        }
    }
}

/// What a column can be read as.
pub trait FromSql: Sized {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self>;
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self>;
}

fn conversion(what: &str, found: impl std::fmt::Debug) -> Error {
    Error::new(
        Kind::Conversion,
        format!("expected {what}, the column holds {found:?}"),
    )
}

impl FromSql for i64 {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self> {
        match v {
            rusqlite::types::ValueRef::Integer(i) => Ok(i),
            other => Err(conversion("an integer", other.data_type())),
        }
    }
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        let ty = r.columns()[i].type_();
        let v = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(i64::from)
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(i64::from)
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(i64::from)
        } else {
            return Err(conversion("an integer", ty));
        };
        v.ok_or_else(|| conversion("an integer", "NULL"))
    }
}

impl FromSql for i32 {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self> {
        i32::try_from(i64::from_sqlite(v)?).map_err(|e| conversion("a 32-bit integer", e))
    }
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        i32::try_from(i64::from_postgres(r, i)?).map_err(|e| conversion("a 32-bit integer", e))
    }
}

impl FromSql for bool {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self> {
        Ok(i64::from_sqlite(v)? != 0)
    }
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        Ok(i64::from_postgres(r, i)? != 0)
    }
}

impl FromSql for f64 {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self> {
        match v {
            rusqlite::types::ValueRef::Real(f) => Ok(f),
            rusqlite::types::ValueRef::Integer(i) => Ok(i as f64),
            other => Err(conversion("a number", other.data_type())),
        }
    }
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        let ty = r.columns()[i].type_();
        if *ty == Type::FLOAT8 {
            Ok(r.try_get::<_, f64>(i)?)
        } else if *ty == Type::FLOAT4 {
            Ok(r.try_get::<_, f32>(i)? as f64)
        } else {
            Ok(i64::from_postgres(r, i)? as f64)
        }
    }
}

impl FromSql for String {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self> {
        match v {
            rusqlite::types::ValueRef::Text(b) => Ok(String::from_utf8_lossy(b).into_owned()),
            other => Err(conversion("text", other.data_type())),
        }
    }
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        r.try_get::<_, Option<String>>(i)?
            .ok_or_else(|| conversion("text", "NULL"))
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sqlite(v: rusqlite::types::ValueRef) -> Result<Self> {
        match v {
            rusqlite::types::ValueRef::Null => Ok(None),
            v => T::from_sqlite(v).map(Some),
        }
    }
    fn from_postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        // Every column type the store reads accepts an `Option<&str>` probe
        // only when it is text, so test for NULL through the raw value.
        let raw: Option<Raw> = r.try_get(i)?;
        match raw {
            None => Ok(None),
            Some(_) => T::from_postgres(r, i).map(Some),
        }
    }
}

/// Any column, unread: only whether it is NULL.
struct Raw;
impl<'a> postgres::types::FromSql<'a> for Raw {
    fn from_sql(
        _: &Type,
        _: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

impl From<rusqlite::types::FromSqlError> for Error {
    fn from(e: rusqlite::types::FromSqlError) -> Error {
        Error::new(Kind::Conversion, e.to_string())
    }
}

/// A pooled PostgreSQL connection and the statements prepared on it.
pub struct PgConn {
    pub(super) client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

/// Statements kept per connection (the store's queries are a few dozen;
/// the ticket filters combine into a few more).
const STATEMENTS_KEPT: usize = 256;

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client,
            statements: HashMap::new(),
        }
    }
}

/// How a PostgreSQL transaction sees others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Reads only, from one snapshot.
    ReadOnly,
    /// Writes that lock what they need themselves (advisory or row locks).
    ReadCommitted,
    /// Checks-then-writes that must hold across replicas (retried on
    /// conflict by the caller).
    Serializable,
}

/// A connection (or transaction) to run the store's SQL on.
pub struct Conn<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(RefCell<PgTx<'a>>),
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, postgres::Statement>,
}

impl<'a> Conn<'a> {
    /// SQLite's connection (or a transaction on it: it derefs to one).
    pub fn sqlite(c: &'a rusqlite::Connection) -> Conn<'a> {
        Conn {
            inner: Inner::Sqlite(c),
        }
    }

    /// A transaction on a PostgreSQL connection; [`Conn::commit`] ends it.
    pub fn postgres(c: &'a mut PgConn, isolation: Isolation) -> Result<Conn<'a>> {
        let tx = blocking(|| {
            let mut b = c.client.build_transaction();
            b = match isolation {
                // One snapshot for every query of the read (a count and the
                // page it counts agree).
                Isolation::ReadOnly => b
                    .read_only(true)
                    .isolation_level(postgres::IsolationLevel::RepeatableRead),
                Isolation::ReadCommitted => b,
                Isolation::Serializable => {
                    b.isolation_level(postgres::IsolationLevel::Serializable)
                }
            };
            b.start()
        })?;
        Ok(Conn {
            inner: Inner::Postgres(RefCell::new(PgTx {
                tx,
                statements: &mut c.statements,
            })),
        })
    }

    /// Commits a PostgreSQL transaction (SQLite's caller commits its own).
    pub fn commit(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(_) => Ok(()),
            Inner::Postgres(pg) => Ok(blocking(|| pg.into_inner().tx.commit())?),
        }
    }

    /// The database's clock: PostgreSQL's, which every replica shares
    /// (their own clocks may disagree), or this machine's for SQLite.
    pub fn clock(&self) -> Result<chrono::DateTime<chrono::Utc>> {
        if !self.is_postgres() {
            return Ok(chrono::Utc::now());
        }
        let at: String = self.query_row(
            r#"SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#,
            (),
            |r| r.get(0),
        )?;
        chrono::DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| Error::new(Kind::Conversion, format!("database clock `{at}`: {e}")))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.inner, Inner::Postgres(_))
    }

    /// Runs a statement; returns the rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(sqlite_values(&params)))?),
            Inner::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let (stmt, values) = pg.prepare(sql, &params)?;
                let refs = refs(&values);
                Ok(blocking(|| pg.tx.execute(&stmt, &refs))? as usize)
            }
        }
    }

    /// Runs statements with no parameters, separated by `;`.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(pg) => Ok(blocking(|| pg.borrow_mut().tx.batch_execute(sql))?),
        }
    }

    /// Calls `f` with each row, in order, without collecting them.
    pub fn for_each(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(sqlite_values(&params)))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Sqlite(r))?;
                }
                Ok(())
            }
            Inner::Postgres(pg) => {
                use postgres::fallible_iterator::FallibleIterator;
                let mut pg = pg.borrow_mut();
                let (stmt, values) = pg.prepare(sql, &params)?;
                blocking(|| {
                    let mut rows = pg.tx.query_raw(&stmt, refs(&values))?;
                    while let Some(r) = rows.next()? {
                        f(&Row::Postgres(&r))?;
                    }
                    Ok(())
                })
            }
        }
    }

    /// Every row, each read by `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.for_each(sql, params, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row, read by `f`; no row is a [`Kind::NoRows`] error.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        self.for_each(sql, params, |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        out.ok_or_else(|| Error::new(Kind::NoRows, "no row"))
    }

    /// Whether the query returns a row.
    pub fn exists(&self, sql: &str, params: impl Params) -> Result<bool> {
        self.query_row(sql, params, |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
    }

    /// Runs an `INSERT` and returns the new row's `id` (both engines
    /// support `RETURNING`).
    pub fn insert(&self, sql: &str, params: impl Params) -> Result<i64> {
        self.query_row(&format!("{sql} RETURNING id"), params, |r| r.get(0))
    }
}

impl PgTx<'_> {
    /// The statement (prepared once per connection) and the values bound
    /// as the types PostgreSQL inferred for its parameters.
    fn prepare(
        &mut self,
        sql: &str,
        params: &impl Params,
    ) -> Result<(postgres::Statement, Vec<Box<dyn PgToSql + Sync>>)> {
        let stmt = match self.statements.get(sql) {
            Some(s) => s.clone(),
            None => {
                let s = blocking(|| self.tx.prepare(&dollar_params(sql)))?;
                if self.statements.len() >= STATEMENTS_KEPT {
                    self.statements.clear();
                }
                self.statements.insert(sql.to_string(), s.clone());
                s
            }
        };
        let values = params.values();
        if values.len() != stmt.params().len() {
            return Err(Error::new(
                Kind::Other,
                format!(
                    "{} parameters given, the statement has {}: {sql}",
                    values.len(),
                    stmt.params().len()
                ),
            ));
        }
        let bound = values
            .into_iter()
            .zip(stmt.params())
            .map(|(v, ty)| bind(v, ty))
            .collect::<Result<Vec<_>>>()?;
        Ok((stmt, bound))
    }
}

fn refs(values: &[Box<dyn PgToSql + Sync>]) -> Vec<&(dyn PgToSql + Sync)> {
    values
        .iter()
        .map(|b| b.as_ref() as &(dyn PgToSql + Sync))
        .collect()
}

fn sqlite_values(params: &impl Params) -> Vec<rusqlite::types::Value> {
    params
        .values()
        .into_iter()
        .map(|v| match v {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(i) => rusqlite::types::Value::Integer(i),
            Value::Real(f) => rusqlite::types::Value::Real(f),
            Value::Text(s) => rusqlite::types::Value::Text(s),
        })
        .collect()
}

/// `v` as the Rust type PostgreSQL's `ty` takes.
fn bind(v: Value, ty: &Type) -> Result<Box<dyn PgToSql + Sync>> {
    let refused = |v: &Value| {
        Error::new(
            Kind::Conversion,
            format!("cannot bind {v:?} to a parameter of type {ty}"),
        )
    };
    let text = [
        Type::TEXT,
        Type::VARCHAR,
        Type::BPCHAR,
        Type::NAME,
        Type::UNKNOWN,
    ];
    Ok(match v {
        Value::Int(i) if *ty == Type::INT8 => Box::new(i),
        Value::Int(i) if *ty == Type::INT4 => Box::new(i32::try_from(i).map_err(|_| refused(&v))?),
        Value::Int(i) if *ty == Type::INT2 => Box::new(i16::try_from(i).map_err(|_| refused(&v))?),
        Value::Int(i) if *ty == Type::BOOL => Box::new(i != 0),
        Value::Int(i) if *ty == Type::FLOAT8 => Box::new(i as f64),
        Value::Real(f) if *ty == Type::FLOAT8 => Box::new(f),
        Value::Real(f) if *ty == Type::FLOAT4 => Box::new(f as f32),
        Value::Text(s) if text.contains(ty) => Box::new(s),
        Value::Int(i) if text.contains(ty) => Box::new(i.to_string()),
        Value::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        Value::Null if *ty == Type::INT4 => Box::new(None::<i32>),
        Value::Null if *ty == Type::INT2 => Box::new(None::<i16>),
        Value::Null if *ty == Type::BOOL => Box::new(None::<bool>),
        Value::Null if *ty == Type::FLOAT8 => Box::new(None::<f64>),
        Value::Null if text.contains(ty) => Box::new(None::<String>),
        v => return Err(refused(&v)),
    })
}

/// `?N` (and a bare `?`, numbered as SQLite does: one past the highest
/// so far) as PostgreSQL's `$N`, outside quoted text and comments.
pub fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut highest = 0u32;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('-'), '\n') => quote = None,
            (Some('*'), '*') if chars.peek() == Some(&'/') => {
                out.push(c);
                quote = None;
                chars.next();
                out.push('/');
                continue;
            }
            (Some(q), c) if c == q && q != '-' && q != '*' => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '-') if chars.peek() == Some(&'-') => quote = Some('-'),
            (None, '/') if chars.peek() == Some(&'*') => quote = Some('*'),
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = digits.parse().unwrap_or(highest + 1);
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Runs `f`, which may block on PostgreSQL's client, from any thread: on a
/// multi-threaded runtime's worker it first hands the worker's other tasks
/// away (`block_in_place`).
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        // Outside a runtime, or on a blocking-pool thread; a single-threaded
        // runtime cannot lend its thread (`serve` runs a multi-threaded one).
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_params("SELECT ?1, '?2', \"a?\" FROM t WHERE a = ?12 AND b = ?"),
            "SELECT $1, '?2', \"a?\" FROM t WHERE a = $12 AND b = $13"
        );
        assert_eq!(
            dollar_params("SELECT ? -- a ?3 here\n, ? /* and ?4 */ FROM t"),
            "SELECT $1 -- a ?3 here\n, $2 /* and ?4 */ FROM t"
        );
    }

    #[test]
    fn both_engines_share_one_row_reader() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let conn = Conn::sqlite(&c);
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
            .unwrap();
        let id = conn
            .insert(
                "INSERT INTO t (name, n) VALUES (?1, ?2)",
                params!["a", None::<i64>],
            )
            .unwrap();
        assert_eq!(id, 1);
        let (name, n): (String, Option<i64>) = conn
            .query_row("SELECT name, n FROM t WHERE id = ?1", [id], |r| {
                Ok((r.get("name")?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), n), ("a", None));
        let missing = conn.query_row("SELECT 1 FROM t WHERE id = 9", (), |r| r.get::<i64>(0));
        assert_eq!(missing.optional().unwrap(), None);
        assert!(conn.exists("SELECT 1 FROM t", ()).unwrap());
        let wrong = conn.query_row("SELECT name FROM t", (), |r| r.get::<i64>(0));
        assert_eq!(wrong.unwrap_err().kind, Kind::Conversion);
    }
}
