//! Host tests' storage: the `Db` port over an in-memory SQLite with the real `migrations/*.sql`
//! and, on request, the demo catalog (`seed/demo.sql`), so the flows' SQL runs under `cargo test`
//! as it runs on D1.
//!
//! Every batch first yields once to the executor: two flows joined with `futures::join!` then
//! interleave between their round trips as two requests do on D1, while each batch stays atomic.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::{Map, Number, Value};

use super::db::{Db, DbError, Rows};
use super::sql::{Sql, SqlValue};

pub struct Sqlite {
    conn: RefCell<Connection>,
    /// Round trips made, as D1 would count them.
    pub round_trips: Cell<u64>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl Sqlite {
    /// An empty database with every migration applied, in file-name order as wrangler applies them.
    pub fn migrated() -> Sqlite {
        let conn = Connection::open_in_memory().expect("in-memory sqlite");
        let mut files: Vec<_> = std::fs::read_dir(root().join("migrations")).expect("migrations/").filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
        files.sort();
        for file in files {
            let sql = std::fs::read_to_string(&file).expect("migration file");
            conn.execute_batch(&sql).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
        Sqlite { conn: RefCell::new(conn), round_trips: Cell::new(0) }
    }

    /// Migrations plus the seeded demo catalog and demo promotions.
    pub fn demo() -> Sqlite {
        let db = Sqlite::migrated();
        for file in ["seed/demo.sql", "seed/promotions.sql"] {
            let sql = std::fs::read_to_string(root().join(file)).expect("seed file");
            db.exec(&sql);
        }
        db
    }

    /// Runs raw SQL outside the port (test set-up).
    pub fn exec(&self, sql: &str) {
        self.conn.borrow().execute_batch(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    }

    /// One integer from a query (test assertions).
    pub fn int(&self, sql: &str) -> i64 {
        self.conn.borrow().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}: {sql}"))
    }

    /// One text value from a query (test assertions).
    pub fn text(&self, sql: &str) -> String {
        self.conn.borrow().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}: {sql}"))
    }

    fn run_batch(&self, sqls: &[Sql]) -> Result<Vec<Rows>, DbError> {
        let mut conn = self.conn.borrow_mut();
        let tx = conn.transaction().map_err(|e| DbError::Failed(e.to_string()))?;
        let mut out = Vec::with_capacity(sqls.len());
        for sql in sqls {
            out.push(statement(&tx, sql).map_err(|e| DbError::from_message(&e.to_string()))?);
        }
        tx.commit().map_err(|e| DbError::Failed(e.to_string()))?;
        Ok(out)
    }
}

fn statement(conn: &Connection, sql: &Sql) -> rusqlite::Result<Rows> {
    let mut stmt = conn.prepare(&sql.text)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let params: Vec<rusqlite::types::Value> = sql
        .params
        .iter()
        .map(|p| match p {
            SqlValue::Int(n) => rusqlite::types::Value::Integer(*n),
            SqlValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
            SqlValue::Null => rusqlite::types::Value::Null,
        })
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut object = Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
            };
            object.insert(name.clone(), value);
        }
        out.push(Value::Object(object));
    }
    drop(rows);
    // `changes()` counts the last INSERT/UPDATE/DELETE, so a read reports 0 as D1 does.
    let changes = if stmt.readonly() { 0 } else { conn.changes() };
    Ok(Rows::new(out, changes))
}

/// Yields once, so that joined futures take turns between round trips.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Db for Sqlite {
    async fn batch(&self, sqls: &[Sql]) -> Result<Vec<Rows>, DbError> {
        YieldOnce(false).await;
        self.round_trips.set(self.round_trips.get() + 1);
        self.run_batch(sqls)
    }
}

/// Asserts that each statement binds as many values as its placeholders take: plain `?` one to one,
/// numbered ones (`?1`, which may repeat) up to the highest number.
pub fn assert_balanced(sqls: &[Sql]) {
    for sql in sqls {
        let highest = (1..=12).rev().find(|n| sql.text.contains(&format!("?{n}")));
        match highest {
            Some(n) => assert_eq!(n, sql.params.len(), "{}", sql.text),
            None => assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text),
        }
    }
}

/// Runs a future to completion on the test thread.
pub fn block_on<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_and_the_demo_catalog_load() {
        let db = Sqlite::demo();
        assert!(db.int("SELECT COUNT(*) FROM products WHERE status = 'active'") > 10);
        assert!(db.int("SELECT COUNT(*) FROM variants") > 50);
    }

    #[test]
    fn the_2025_provinces_and_wards_load_with_their_regions() {
        let db = Sqlite::migrated();
        assert_eq!(db.int("SELECT COUNT(*) FROM provinces"), 34);
        assert_eq!(db.int("SELECT COUNT(*) FROM wards"), 3321);
        assert_eq!(db.int("SELECT COUNT(*) FROM provinces p WHERE NOT EXISTS (SELECT 1 FROM wards w WHERE w.province_code = p.code)"), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM wards w WHERE NOT EXISTS (SELECT 1 FROM provinces p WHERE p.code = w.province_code)"), 0);
        assert_eq!(db.text("SELECT group_concat(n, ' ') FROM (SELECT region || ':' || COUNT(*) AS n FROM provinces GROUP BY region ORDER BY region)"), "central:11 north:15 south:8");
        assert_eq!(db.text("SELECT name || ' / ' || name_en || ' / ' || region FROM provinces WHERE code = '79'"), "Thành phố Hồ Chí Minh / Ho Chi Minh City / south");
        assert_eq!(db.text("SELECT name || ' / ' || province_code FROM wards WHERE code = '00070'"), "Phường Hoàn Kiếm / 01");
        assert_eq!(db.int("SELECT COUNT(*) FROM (SELECT name FROM wards UNION ALL SELECT name FROM provinces) WHERE name LIKE '%  %' OR name <> trim(name)"), 0, "single spaces");
        assert_eq!(db.text("SELECT name FROM wards WHERE code = '26536'"), "Phường Rạch Dừa");
    }

    #[test]
    fn a_batch_is_all_or_nothing() {
        let db = Sqlite::migrated();
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
        let ok = block_on(db.batch(&[Sql::new("INSERT INTO t (v) VALUES (?)").bind("a")]));
        assert_eq!(ok.unwrap()[0].changes(), 1);
        let err = block_on(db.batch(&[Sql::new("INSERT INTO t (v) VALUES (?)").bind("b"), Sql::new("INSERT INTO t (v) VALUES (?)").bind("a")]));
        assert!(err.unwrap_err().is_unique("t", "v"));
        assert_eq!(db.int("SELECT COUNT(*) FROM t"), 1, "the first insert of the failed batch was rolled back");
    }
}
