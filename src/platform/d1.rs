//! The storage port (`app::db::Db`) over a D1 binding: binds `Sql` values, sends a batch in one
//! round trip, and reads D1's answers and errors into `Rows` and `DbError`.

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, Env};

use super::DB;
use crate::app::db::{Db, DbError, Rows, Sql, SqlValue};
use crate::domain::error::AppError;
use crate::domain::replication::{self, SessionStart};

thread_local! {
    /// D1 round trips made by the request being served (one isolate thread serves its requests in
    /// turn between awaits, so the count is approximate when requests overlap); read by the
    /// request log.
    static ROUND_TRIPS: Cell<u32> = const { Cell::new(0) };
}

/// Round trips counted since the last call (the request log takes the count at its end).
pub fn take_round_trips() -> u32 {
    ROUND_TRIPS.with(|c| c.replace(0))
}

/// Adds round trips made elsewhere on the request's behalf (the cart object's, which it reports in
/// `ROUND_TRIPS_HEADER`), so the request's log line counts them whether or not the object runs in
/// this isolate.
pub fn add_round_trips(n: u32) {
    ROUND_TRIPS.with(|c| c.set(c.get().saturating_add(n)));
}

/// The header in which the cart object reports the D1 round trips of a call.
pub const ROUND_TRIPS_HEADER: &str = "x-d1-round-trips";

/// The shop's database: the plain binding (every query on the primary), or a read-replication
/// session (`domain::replication`) whose queries see at least what its start point saw.
pub struct D1 {
    db: D1Database,
    session: Option<D1DatabaseSession>,
}

impl D1 {
    /// The shop's database binding.
    pub fn open(env: &Env) -> Result<D1, AppError> {
        env.d1(DB).map(D1::from_binding).map_err(|e| AppError::internal("d1 binding", e))
    }

    pub fn from_binding(db: D1Database) -> D1 {
        D1 { db, session: None }
    }

    /// The database for a catalog page's reads: with `READ_REPLICATION` on, a session that may read
    /// a replica at least as new as the catalog version's bookmark (the primary without one); else
    /// the plain binding.
    pub fn catalog_reader(env: &Env, enabled: bool, bookmark: Option<&str>) -> Result<D1, AppError> {
        let db = env.d1(DB).map_err(|e| AppError::internal("d1 binding", e))?;
        let session = match replication::catalog_start(enabled, bookmark) {
            None => None,
            Some(start) => Some(db.with_session(Some(start.as_str())).map_err(|e| AppError::internal("d1 session", e))?),
        };
        Ok(D1 { db, session })
    }

    /// The primary's bookmark now: taken after a catalog write, it is at least as new as that write
    /// (one small read on a `first-primary` session).
    pub async fn primary_bookmark(env: &Env) -> Result<Option<String>, AppError> {
        let db = env.d1(DB).map_err(|e| AppError::internal("d1 binding", e))?;
        let session = db.with_session(Some(SessionStart::Primary.as_str())).map_err(|e| AppError::internal("d1 session", e))?;
        let reader = D1 { db, session: Some(session) };
        reader.batch(&[Sql::new("SELECT 1")]).await?;
        let bookmark = reader.session.as_ref().map(|s| s.get_bookmark()).transpose().map_err(|e| AppError::internal("d1 bookmark", e))?.flatten();
        Ok(bookmark.filter(|b| replication::is_bookmark(b)))
    }

    fn statement(&self, sql: &Sql) -> Result<D1PreparedStatement, DbError> {
        let params: Vec<JsValue> = sql.params.iter().map(to_js).collect();
        let prepared = match &self.session {
            None => self.db.prepare(sql.text.as_str()),
            // The session's own `prepare` (worker's wrapper unwraps the call; this one reports).
            Some(session) => {
                let session: &worker::worker_sys::D1DatabaseSession = session.as_ref().unchecked_ref();
                let sys = session.session_prepare(sql.text.as_str()).map_err(|e| DbError::Failed(format!("prepare: {e:?}")))?;
                D1PreparedStatement::from(sys)
            }
        };
        prepared.bind(&params).map_err(|e| DbError::Failed(format!("bind: {e}")))
    }
}

fn to_js(value: &SqlValue) -> JsValue {
    match value {
        // Ids and money stay far below 2^53, where a JS number is exact.
        SqlValue::Int(n) => JsValue::from_f64(*n as f64),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Null => JsValue::NULL,
    }
}

fn read(result: &D1Result) -> Result<Rows, DbError> {
    if let Some(error) = result.error() {
        return Err(DbError::from_message(&error));
    }
    let rows = result.results::<serde_json::Value>().map_err(|e| DbError::Decode(e.to_string()))?;
    let changes = result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) as u64;
    Ok(Rows::new(rows, changes))
}

impl Db for D1 {
    async fn batch(&self, sqls: &[Sql]) -> Result<Vec<Rows>, DbError> {
        let statements = sqls.iter().map(|s| self.statement(s)).collect::<Result<Vec<_>, _>>()?;
        ROUND_TRIPS.with(|c| c.set(c.get() + 1));
        let results = match &self.session {
            None => self.db.batch(statements).await,
            Some(session) => session.batch(statements).await,
        }
        .map_err(|e| DbError::from_message(&e.to_string()))?;
        results.iter().map(read).collect()
    }
}
