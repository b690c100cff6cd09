//! The storage port every use case runs on: statements as data (`Sql`) in, rows out.
//!
//! `Db::batch` sends statements in one round trip and runs them as one transaction: all of them
//! take effect or none does. The Worker implements it over D1 (`platform::d1::D1`); host tests over
//! SQLite with the real migrations (`app::testing::Sqlite`), so the flows' SQL runs under
//! `cargo test`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use super::sql::{Sql, SqlValue};

/// What one statement returned: its rows (as JSON objects, the shape D1 answers in) and how many
/// rows it changed.
#[derive(Debug, Default, Clone)]
pub struct Rows {
    rows: Vec<Value>,
    changes: u64,
}

impl Rows {
    pub fn new(rows: Vec<Value>, changes: u64) -> Rows {
        Rows { rows, changes }
    }

    /// Rows written by an `INSERT`, `UPDATE` or `DELETE` (0 for a read, or a gate that did not hold).
    pub fn changes(&self) -> u64 {
        self.changes
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn decode<T: DeserializeOwned>(&self) -> Result<Vec<T>, DbError> {
        self.rows.iter().map(decode_row).collect()
    }

    pub fn first<T: DeserializeOwned>(&self) -> Result<Option<T>, DbError> {
        self.rows.first().map(decode_row).transpose()
    }
}

/// One row (a JSON object, column → value) as `T`. The row is offered to `T` as a map only: through
/// `&Value`'s own deserializer, every row type's derived `Deserialize` would also keep the code that
/// reads a struct from a JSON array, which a row never is (the Worker decodes well over a hundred row
/// types: docs/BENCHMARKS.md, "Worker size").
fn decode_row<T: DeserializeOwned>(row: &Value) -> Result<T, DbError> {
    let Value::Object(columns) = row else {
        return Err(DbError::Decode(format!("a row is not an object: {row}")));
    };
    let map = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(columns.iter().map(|(k, v)| (k.as_str(), v)));
    T::deserialize(map).map_err(|e| DbError::Decode(e.to_string()))
}

/// The kind of constraint a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    Unique,
    Check,
    ForeignKey,
    NotNull,
    /// `RAISE(ABORT, …)` in a trigger, or a constraint SQLite does not name.
    Other,
}

/// Why a statement failed. Constraint violations are told apart so a use case can turn the one it
/// expects (a duplicate code, a taken email) into a refusal for the person; everything else is a
/// failure on our side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbError {
    /// A write broke a constraint; `target` is what SQLite names (`orders.idempotency_key`, a CHECK's
    /// expression or name, a trigger's message).
    Constraint { kind: Constraint, target: String },
    /// The database could not be reached or refused the statement (binding missing, syntax,
    /// overload): the cause is for the log.
    Failed(String),
    /// A row did not have the shape the caller expected.
    Decode(String),
    /// A batch answered with fewer results than statements sent.
    Shape(&'static str),
}

impl DbError {
    /// Reads SQLite's message (D1 passes it on inside its own text) into a typed error.
    pub fn from_message(message: &str) -> DbError {
        const KINDS: [(&str, Constraint); 4] = [
            ("UNIQUE constraint failed: ", Constraint::Unique),
            ("CHECK constraint failed: ", Constraint::Check),
            ("FOREIGN KEY constraint failed", Constraint::ForeignKey),
            ("NOT NULL constraint failed: ", Constraint::NotNull),
        ];
        for (marker, kind) in KINDS {
            if let Some(at) = message.find(marker) {
                let rest = &message[at + marker.len()..];
                // D1 appends `: SQLITE_CONSTRAINT` (and sometimes more) after SQLite's own text.
                let target = rest.split(": SQLITE_").next().unwrap_or(rest).trim();
                return DbError::Constraint { kind, target: target.to_string() };
            }
        }
        if message.contains("SQLITE_CONSTRAINT") {
            return DbError::Constraint { kind: Constraint::Other, target: message.to_string() };
        }
        DbError::Failed(message.to_string())
    }

    /// True when the write broke a UNIQUE constraint on `table.column` (or any column of `table`
    /// when `column` is empty).
    pub fn is_unique(&self, table: &str, column: &str) -> bool {
        match self {
            DbError::Constraint { kind: Constraint::Unique, target } => target.split(", ").any(|t| {
                let (tbl, col) = t.split_once('.').unwrap_or((t, ""));
                tbl == table && (column.is_empty() || col == column)
            }),
            _ => false,
        }
    }

    /// True for any constraint violation: a conditional write whose guard (a CHECK, a trigger)
    /// refused the change.
    pub fn is_constraint(&self) -> bool {
        matches!(self, DbError::Constraint { .. })
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Constraint { kind, target } => write!(f, "{kind:?} constraint failed: {target}"),
            DbError::Failed(m) => write!(f, "database: {m}"),
            DbError::Decode(m) => write!(f, "row decode: {m}"),
            DbError::Shape(what) => write!(f, "batch shape: {what}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<DbError> for crate::domain::error::AppError {
    fn from(e: DbError) -> Self {
        crate::domain::error::AppError::Internal(crate::domain::error::Cause::wrap("database", &e))
    }
}

/// The storage port. Futures are not `Send`: a Worker runs one request per isolate thread.
#[expect(async_fn_in_trait, reason = "used generically (`impl Db`), never as a `Send` future or a trait object")]
pub trait Db {
    /// Runs the statements in one transaction and one round trip; one `Rows` per statement, in order.
    async fn batch(&self, sqls: &[Sql]) -> Result<Vec<Rows>, DbError>;

    /// One statement's rows, decoded.
    async fn all<T: DeserializeOwned>(&self, sql: &Sql) -> Result<Vec<T>, DbError> {
        let results = self.batch(std::slice::from_ref(sql)).await?;
        results.first().ok_or(DbError::Shape("no result"))?.decode()
    }

    /// One statement's first row, decoded.
    async fn first<T: DeserializeOwned>(&self, sql: &Sql) -> Result<Option<T>, DbError> {
        let results = self.batch(std::slice::from_ref(sql)).await?;
        results.first().ok_or(DbError::Shape("no result"))?.first()
    }

    /// Runs one statement and answers how many rows it changed.
    async fn run(&self, sql: &Sql) -> Result<u64, DbError> {
        let results = self.batch(std::slice::from_ref(sql)).await?;
        Ok(results.first().map_or(0, Rows::changes))
    }
}

/// Exactly `N` results of a batch, or a `Shape` error naming it.
pub fn expect_n<const N: usize>(results: Vec<Rows>, what: &'static str) -> Result<[Rows; N], DbError> {
    results.try_into().map_err(|_| DbError::Shape(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_d1_constraint_messages_become_typed_errors() {
        let d1 = "D1_ERROR: UNIQUE constraint failed: orders.idempotency_key: SQLITE_CONSTRAINT";
        assert!(DbError::from_message(d1).is_unique("orders", "idempotency_key"));
        let sqlite = "UNIQUE constraint failed: coupon_codes.code";
        assert!(DbError::from_message(sqlite).is_unique("coupon_codes", ""));
        assert!(!DbError::from_message(sqlite).is_unique("orders", ""));
        let check = DbError::from_message("D1_ERROR: CHECK constraint failed: reserved <= on_hand: SQLITE_CONSTRAINT");
        assert_eq!(check, DbError::Constraint { kind: Constraint::Check, target: "reserved <= on_hand".into() });
        assert_eq!(DbError::from_message("D1_ERROR: no such table: x"), DbError::Failed("D1_ERROR: no such table: x".into()));
    }

    #[test]
    fn a_composite_unique_key_matches_each_of_its_columns() {
        let e = DbError::from_message("UNIQUE constraint failed: payment_events.provider, payment_events.event_id");
        assert!(e.is_unique("payment_events", "event_id"));
        assert!(e.is_unique("payment_events", "provider"));
    }

    #[test]
    fn rows_decode_into_the_callers_type() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct R {
            id: String,
            n: i64,
        }
        let rows = Rows::new(vec![serde_json::json!({"id": "a", "n": 2}), serde_json::json!({"id": "b", "n": 3})], 0);
        assert_eq!(rows.first::<R>().unwrap(), Some(R { id: "a".into(), n: 2 }));
        assert_eq!(rows.decode::<R>().unwrap().len(), 2);
        assert!(matches!(rows.decode::<(i64,)>(), Err(DbError::Decode(_))));
    }
}
