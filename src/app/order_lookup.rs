//! The order lookup (`/orders/lookup`): the order number and the phone or email it was placed with
//! find the order, or nothing — the same nothing for an unknown number and for a wrong contact
//! (`domain::order_lookup::decide`). One read by number; the route answers with a fresh signed link.

use serde::Deserialize;

use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::order_lookup::{decide, Lookup};

#[derive(Deserialize)]
struct Candidate {
    id: String,
    email: String,
    phone: String,
}

fn by_number_sql(number: &str) -> Sql {
    Sql::new("SELECT id, email, phone FROM orders WHERE number = ?").bind(number)
}

/// The id of the order the lookup names, if its contact is that order's.
pub async fn find_order(db: &impl Db, lookup: &Lookup) -> Result<Option<String>, DbError> {
    let found: Option<Candidate> = db.first(&by_number_sql(&lookup.number)).await?;
    Ok(found.and_then(|c| decide(lookup, Some((c.id.as_str(), c.email.as_str(), c.phone.as_str()))).map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::order_lookup::parse;

    #[test]
    fn the_number_with_its_phone_or_email_finds_the_order_and_nothing_else_does() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        let placed = place_order(&db, 1, v, 1, "sandbox", 1_000, 2_000);
        let number = db.text(&format!("SELECT number FROM orders WHERE id = '{}'", placed.id));
        let find = |n: &str, c: &str| block_on(find_order(&db, &parse(n, c).unwrap())).unwrap();
        assert_eq!(find(&number, "0912 345 678").as_deref(), Some(placed.id.as_str()));
        assert_eq!(find(&number.to_lowercase().replace('-', ""), "+84912345678").as_deref(), Some(placed.id.as_str()));
        assert_eq!(find(&number, "AN@example.vn").as_deref(), Some(placed.id.as_str()));
        assert_eq!(find(&number, "0987 654 321"), None, "wrong phone");
        assert_eq!(find(&number, "other@example.vn"), None, "wrong email");
        assert_eq!(find("VS-999999", "0912 345 678"), None, "no such order");
        // An order placed without an email is found by its phone only.
        db.exec(&format!("UPDATE orders SET email = '' WHERE id = '{}'", placed.id));
        assert_eq!(find(&number, "an@example.vn"), None);
        assert_eq!(find(&number, "0912345678").as_deref(), Some(placed.id.as_str()));
    }
}
