//! Runs `app::sql::Sql` statements on D1 and turns its failures into `AppError`s.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

use crate::app::sql::{Sql, SqlValue};
use crate::domain::error::AppError;

pub struct Db(pub D1Database);

fn to_js(value: &SqlValue) -> JsValue {
    match value {
        // Ids and money stay far below 2^53, where a JS number is exact.
        SqlValue::Int(n) => JsValue::from_f64(*n as f64),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Null => JsValue::NULL,
    }
}

impl Db {
    pub fn statement(&self, sql: &Sql) -> Result<D1PreparedStatement, AppError> {
        let params: Vec<JsValue> = sql.params.iter().map(to_js).collect();
        self.0.prepare(sql.text.as_str()).bind(&params).map_err(|e| AppError::internal("d1 bind", e))
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &Sql) -> Result<Vec<T>, AppError> {
        let result = self.statement(sql)?.all().await.map_err(|e| AppError::internal("d1 query", e))?;
        rows(&result)
    }

    /// Sends several statements in one round trip; results come back in the same order.
    pub async fn batch(&self, sqls: &[Sql]) -> Result<Vec<D1Result>, AppError> {
        let statements = sqls.iter().map(|s| self.statement(s)).collect::<Result<Vec<_>, _>>()?;
        self.0.batch(statements).await.map_err(|e| AppError::internal("d1 batch", e))
    }
}

pub fn rows<T: DeserializeOwned>(result: &D1Result) -> Result<Vec<T>, AppError> {
    if let Some(error) = result.error() {
        return Err(AppError::internal("d1 result", error));
    }
    result.results::<T>().map_err(|e| AppError::internal("d1 decode", e))
}
