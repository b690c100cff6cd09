//! The storage port (`app::db::Db`) over a D1 binding: binds `Sql` values, sends a batch in one
//! round trip, and reads D1's answers and errors into `Rows` and `DbError`.

use std::cell::Cell;

use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use super::DB;
use crate::app::db::{Db, DbError, Rows, Sql, SqlValue};
use crate::domain::error::AppError;

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

pub struct D1(pub D1Database);

impl D1 {
    /// The shop's database binding.
    pub fn open(env: &Env) -> Result<D1, AppError> {
        env.d1(DB).map(D1).map_err(|e| AppError::internal("d1 binding", e))
    }

    fn statement(&self, sql: &Sql) -> Result<D1PreparedStatement, DbError> {
        let params: Vec<JsValue> = sql.params.iter().map(to_js).collect();
        self.0.prepare(sql.text.as_str()).bind(&params).map_err(|e| DbError::Failed(format!("bind: {e}")))
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
        let results = self.0.batch(statements).await.map_err(|e| DbError::from_message(&e.to_string()))?;
        results.iter().map(read).collect()
    }
}
