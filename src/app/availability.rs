//! Live stock beside cached pages.
//!
//! Product pages and the API's product stay in the edge cache, but the units a shopper can buy change
//! with every hold, release, order, expiry and restock, none of which writes a catalog version. So a
//! product's cache key also carries a digest of its variants' stock as D1 has it now
//! (`Availability::page_key` for HTML: which variants are sold out; `Availability::exact_key` for the
//! JSON product: every count), read in one small statement that the Worker remembers for at most a
//! second per isolate. A variant that sells out or comes back therefore changes the key, and the
//! next request renders anew — visitors without JavaScript see it within seconds — while the page
//! is rendered from the same snapshot it is keyed by (`Availability::apply`), so a stored copy never
//! disagrees with its key. Between those moments the page's stock lines are filled in by
//! `GET /api/v1/availability?variants=…` (uncached), which `public/js/app.js` calls with the variant
//! ids the page carries.

use serde::Deserialize;

use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::catalog::Variant;
use crate::domain::listing::{FieldError, Problem};

/// Most variant ids one availability request may ask for (a product has far fewer; a cart at most
/// `domain::cart::MAX_LINES`).
pub const MAX_IDS: usize = 50;

/// Units a shopper can buy now, per variant id, sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Availability(pub Vec<(i64, i64)>);

#[derive(Deserialize)]
struct Row {
    id: i64,
    available: i64,
}

/// The variants on sale of the active product `slug`, with what is left of each.
pub fn product_sql(slug: &str) -> Sql {
    Sql::new(
        "SELECT v.id, MAX(v.on_hand - v.reserved, 0) AS available FROM variants v JOIN products p ON p.id = v.product_id \
         WHERE p.slug = ? AND p.status = 'active' AND v.status = 'active' ORDER BY v.id",
    )
    .bind(slug)
}

/// What is left of each of `ids` that is on sale (a variant of an active product).
pub fn variants_sql(ids: &[i64]) -> Sql {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    Sql::new(
        "SELECT v.id, MAX(v.on_hand - v.reserved, 0) AS available FROM variants v JOIN products p ON p.id = v.product_id \
         WHERE v.id IN (SELECT value FROM json_each(?)) AND p.status = 'active' AND v.status = 'active' ORDER BY v.id",
    )
    .bind(list)
}

/// A product's stock now: one statement.
pub async fn of_product(db: &impl Db, slug: &str) -> Result<Availability, DbError> {
    let rows: Vec<Row> = db.all(&product_sql(slug)).await?;
    Ok(Availability(rows.into_iter().map(|r| (r.id, r.available)).collect()))
}

/// The stock of each of `ids`; an id that names no variant on sale has 0.
pub async fn of_variants(db: &impl Db, ids: &[i64]) -> Result<Availability, DbError> {
    if ids.is_empty() {
        return Ok(Availability::default());
    }
    let rows: Vec<Row> = db.all(&variants_sql(ids)).await?;
    let found = |id: i64| rows.iter().find(|r| r.id == id).map_or(0, |r| r.available);
    let mut all: Vec<(i64, i64)> = ids.iter().map(|&id| (id, found(id))).collect();
    all.sort_unstable();
    Ok(Availability(all))
}

/// `variants=1,2,3` (ids as integers, comma-separated, at most `MAX_IDS` distinct): the ids sorted
/// and without repeats. Missing, empty or malformed is a field error.
pub fn parse_ids(value: Option<&str>) -> Result<Vec<i64>, FieldError> {
    let fail = |problem| FieldError { field: "variants", problem };
    let value = value.map(str::trim).filter(|v| !v.is_empty()).ok_or(fail(Problem::Required))?;
    let mut ids = Vec::new();
    for part in value.split(',') {
        let id: i64 = part.trim().parse().map_err(|_| fail(Problem::NotANumber))?;
        if id <= 0 {
            return Err(fail(Problem::BadValue));
        }
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_IDS {
        return Err(fail(Problem::TooMany));
    }
    Ok(ids)
}

impl Availability {
    pub fn get(&self, id: i64) -> Option<i64> {
        self.0.iter().find(|(v, _)| *v == id).map(|(_, n)| *n)
    }

    /// The HTML page's key part: changes exactly when a variant sells out or comes back (or when a
    /// variant is added or removed from sale). A count that only goes down from 5 to 4 keeps it: the
    /// page's script shows the count, and the cart refuses nothing the page offers.
    pub fn page_key(&self) -> String {
        digest(self.0.iter().map(|&(id, n)| (id, i64::from(n > 0))))
    }

    /// The JSON product's key part: changes with any count.
    pub fn exact_key(&self) -> String {
        digest(self.0.iter().copied())
    }

    /// Sets each of `variants`' stock to this snapshot's (a variant it does not hold has none left),
    /// so what is rendered agrees with the key it is stored under.
    pub fn apply(&self, variants: &mut [Variant]) {
        for v in variants {
            v.on_hand = self.get(v.id).unwrap_or(0);
            v.reserved = 0;
        }
    }

    /// `{"<id>": n, …}` for the availability endpoint.
    pub fn to_json(&self) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self.0.iter().map(|(id, n)| (id.to_string(), serde_json::Value::from(*n))).collect();
        serde_json::json!({ "variants": map })
    }
}

/// FNV-1a over the pairs, as 16 hex digits: short, stable, and different for different snapshots in
/// all but a negligible share of cases (a collision would only keep a page one key longer).
fn digest(pairs: impl Iterator<Item = (i64, i64)>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (a, b) in pairs {
        for byte in a.to_le_bytes().into_iter().chain(b.to_le_bytes()) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    fn first_product(db: &Sqlite) -> (String, i64) {
        let slug = db.text("SELECT p.slug FROM products p JOIN variants v ON v.product_id = p.id WHERE p.status = 'active' AND v.status = 'active' ORDER BY p.id, v.id LIMIT 1");
        let id = db.int(&format!("SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE p.slug = '{slug}' AND v.status = 'active' ORDER BY v.id LIMIT 1"));
        (slug, id)
    }

    #[test]
    fn ids_are_parsed_sorted_and_bounded() {
        assert_eq!(parse_ids(Some("3,1,3, 2")), Ok(vec![1, 2, 3]));
        assert_eq!(parse_ids(None).map_err(|e| e.problem), Err(Problem::Required));
        assert_eq!(parse_ids(Some(" ")).map_err(|e| e.problem), Err(Problem::Required));
        assert_eq!(parse_ids(Some("1,x")).map_err(|e| e.problem), Err(Problem::NotANumber));
        assert_eq!(parse_ids(Some("1,,2")).map_err(|e| e.problem), Err(Problem::NotANumber));
        assert_eq!(parse_ids(Some("0")).map_err(|e| e.problem), Err(Problem::BadValue));
        let many: Vec<String> = (1..=MAX_IDS as i64 + 1).map(|i| i.to_string()).collect();
        assert_eq!(parse_ids(Some(&many.join(","))).map_err(|e| e.problem), Err(Problem::TooMany));
        assert_eq!(parse_ids(Some(&many[..MAX_IDS].join(","))).map(|v| v.len()), Ok(MAX_IDS));
    }

    #[test]
    fn page_key_changes_when_a_variant_sells_out_or_comes_back_and_exact_key_with_any_count() {
        let five = Availability(vec![(1, 5), (2, 3)]);
        let four = Availability(vec![(1, 4), (2, 3)]);
        let none = Availability(vec![(1, 0), (2, 3)]);
        assert_eq!(five.page_key(), four.page_key());
        assert_ne!(four.page_key(), none.page_key());
        assert_ne!(five.exact_key(), four.exact_key());
        assert_eq!(Availability(vec![(1, 1), (2, 3)]).page_key(), five.page_key(), "back in stock: the key it had");
    }

    #[test]
    fn a_hold_of_every_unit_shows_in_the_next_read_and_a_release_brings_it_back() {
        let db = Sqlite::demo();
        let (slug, id) = first_product(&db);
        db.exec(&format!("UPDATE variants SET on_hand = 2, reserved = 0 WHERE id = {id}"));
        let before = block_on(of_product(&db, &slug)).expect("read");
        assert_eq!(before.get(id), Some(2));
        db.exec(&format!("UPDATE variants SET reserved = 2 WHERE id = {id}"));
        let held = block_on(of_product(&db, &slug)).expect("read");
        assert_eq!(held.get(id), Some(0));
        assert_ne!(before.page_key(), held.page_key());
        db.exec(&format!("UPDATE variants SET reserved = 1 WHERE id = {id}"));
        let back = block_on(of_product(&db, &slug)).expect("read");
        assert_eq!(back.get(id), Some(1));
        assert_eq!(back.page_key(), before.page_key());
        assert_eq!(db.round_trips.get(), 3, "one round trip per read");
    }

    #[test]
    fn variants_read_answers_every_id_asked_with_zero_for_what_is_not_on_sale() {
        let db = Sqlite::demo();
        let (_, id) = first_product(&db);
        db.exec(&format!("UPDATE variants SET on_hand = 7, reserved = 3 WHERE id = {id}"));
        let a = block_on(of_variants(&db, &[id, 999_999])).expect("read");
        assert_eq!(a.get(id), Some(4));
        assert_eq!(a.get(999_999), Some(0));
        assert_eq!(a.to_json(), serde_json::json!({"variants": {id.to_string(): 4, "999999": 0}}));
        db.exec(&format!("UPDATE variants SET status = 'inactive' WHERE id = {id}"));
        let a = block_on(of_variants(&db, &[id])).expect("read");
        assert_eq!(a.get(id), Some(0), "a variant taken off sale has none to sell");
        assert_eq!(block_on(of_variants(&db, &[])).expect("read"), Availability::default());
    }

    #[test]
    fn apply_renders_the_snapshot_it_is_keyed_by() {
        let db = Sqlite::demo();
        let (slug, id) = first_product(&db);
        let snapshot = Availability(vec![(id, 3)]);
        let mut variants: Vec<Variant> = block_on(db.all(&crate::app::catalog::variants_sql(&slug))).expect("variants");
        snapshot.apply(&mut variants);
        for v in &variants {
            assert_eq!(v.available(), if v.id == id { 3 } else { 0 });
        }
    }
}
