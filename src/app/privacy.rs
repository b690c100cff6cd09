//! What the shop holds about a customer and what becomes of it: the export (everything, every
//! timestamp in RFC 3339), what deleting the account keeps and why, and the erasure itself — at
//! deletion for everything but the orders still open, and by the sweep for each of those once it
//! has closed.
//!
//! **What deletion keeps.** An order still open (not yet delivered, refunded, or ended unpaid with
//! no provider page left that could take a late payment) keeps the buyer's name, phone, email,
//! delivery address and note, so that it can be delivered and the buyer told about it; the sweep
//! erases them once the order closes. Every order keeps what the accounting record needs (number,
//! dates, lines, amounts, VAT, payments and refunds by amount and provider reference, status
//! history), without personal details. Everything else — the profile, addresses, sign-in methods,
//! sessions, links, messages, provider notifications' raw bodies, coupon uses' email and phone, alert signups, push subscriptions, marketing consent and pending marketing mail — is
//! erased or deleted in the deletion's one batch.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::accounts::{attach_guest_orders_sql, end_all_sessions_sql, CustomerRow};
use super::db::{expect_n, Db, DbError};
use super::sql::Sql;
use crate::domain::orders::OrderStatus;
use crate::domain::session::Realm;
use crate::domain::time::rfc3339;

/// Orders whose buyer details the sweep erases per run; the rest wait for the next run.
pub const ERASE_PER_SWEEP: i64 = 200;

/// The SQL condition (over `orders o`) of an order that no longer needs its buyer's details:
/// delivered, refunded or returned (a COD parcel back at the shop); expired or cancelled with no provider page still open (a late payment on
/// one would revive the order, and it would need delivering); partially refunded after delivery.
fn closed() -> String {
    let list = |s: &[OrderStatus]| s.iter().map(|s| format!("'{}'", s.code())).collect::<Vec<_>>().join(", ");
    format!(
        "(o.status IN ({finished}) \
         OR (o.status IN ({ended}) AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'pending' AND p.external_id IS NOT NULL)) \
         OR (o.status = '{partial}' AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.to_status = '{delivered}')))",
        finished = list(&[OrderStatus::Delivered, OrderStatus::Refunded, OrderStatus::Returned]),
        ended = list(&[OrderStatus::Expired, OrderStatus::Cancelled]),
        partial = OrderStatus::PartiallyRefunded.code(),
        delivered = OrderStatus::Delivered.code(),
    )
}

/// The marker an erased email becomes (unique per account, never a deliverable address).
const ERASED_EMAIL: &str = "'deleted:' || o.customer_id";

/// Erases the buyer's details from the closed orders that `scope` (a condition over `orders o`,
/// with its values) selects, and from what hangs off them: order messages in the outbox, the raw
/// bodies of provider notifications. The orders' own update runs last, as the others select by
/// the orders' not yet erased email.
fn erase_closed_orders(scope: &str, values: &[&str], limit: Option<i64>, now: i64) -> Vec<Sql> {
    let target = format!(
        "SELECT o.id FROM orders o WHERE {scope} AND o.customer_id IS NOT NULL AND o.email <> {ERASED_EMAIL} AND {closed} ORDER BY o.id{limit}",
        closed = closed(),
        limit = limit.map_or(String::new(), |n| format!(" LIMIT {n}")),
    );
    let bound = |text: String| values.iter().fold(Sql::new(text), |sql, v| sql.bind(*v));
    vec![
        // The recipient is part of the message's unique key: it becomes a marker unique per row.
        bound(format!(
            "UPDATE outbox SET payload = json_remove(payload, '$.email'), recipient = 'deleted:' || id WHERE json_extract(payload, '$.order_id') IN ({target})"
        )),
        bound(format!("UPDATE payment_events SET payload = '' WHERE payment_id IN (SELECT id FROM payments WHERE order_id IN ({target}))")),
        bound(format!("UPDATE payments SET last_notification = NULL WHERE order_id IN ({target})")),
        bound(format!(
            "UPDATE orders SET email = 'deleted:' || customer_id, name = '', phone = '', address_line1 = '', address_ward = '', \
             address_district = '', address_province = '', note = '', updated_at = {now} WHERE id IN ({target})"
        )),
    ]
}

/// Rows of a channel and recipient that are the account's (`?1`): its email, or its phone as
/// stored or in the `+84` form ZNS uses.
const MINE: &str = "((channel = 'email' AND recipient = (SELECT email FROM customers WHERE id = ?1)) \
     OR (channel = 'zns' AND recipient <> '' AND recipient IN (SELECT phone FROM customers WHERE id = ?1 AND phone <> '' \
         UNION ALL SELECT '+84' || substr(phone, 2) FROM customers WHERE id = ?1 AND phone LIKE '0%')))";

/// Push subscriptions of the account (`?1`) and of its orders.
const PUSH_OWNED: &str = "(owner = 'customer:' || ?1 OR owner IN (SELECT 'order:' || id FROM orders WHERE customer_id = ?1))";

fn marketing_kinds() -> String {
    crate::domain::notify::Kind::ALL.iter().filter(|k| k.is_marketing()).map(|k| format!("'{}'", k.code())).collect::<Vec<_>>().join(", ")
}

/// Erases the account in one batch: guest orders placed with its verified email become its own
/// first (so they are covered too); closed orders lose the buyer's details now, open ones keep
/// them until they close (see [`erase_closed_orders_batch`]); coupon uses lose email and phone;
/// every address, sign-in method, session, token, link and link message goes; the customer row
/// stays as an empty tombstone (its id is what the kept orders point to).
pub fn delete_account_batch(customer_id: &str, now: i64) -> Vec<Sql> {
    let mut batch = vec![attach_guest_orders_sql(customer_id)];
    batch.extend(erase_closed_orders("o.customer_id = ?", &[customer_id], None, now));
    batch.extend([
        // Raw provider notifications are support data, not needed to deliver: they go for every order.
        Sql::new("UPDATE payment_events SET payload = '' WHERE payment_id IN (SELECT id FROM payments WHERE order_id IN (SELECT id FROM orders WHERE customer_id = ?))")
            .bind(customer_id),
        Sql::new("UPDATE payments SET last_notification = NULL WHERE order_id IN (SELECT id FROM orders WHERE customer_id = ?)").bind(customer_id),
        Sql::new(
            "UPDATE promotion_redemptions SET customer_email = 'deleted:' || ?1, customer_phone = '' \
             WHERE customer_account = ?1 OR order_id IN (SELECT id FROM orders WHERE customer_id = ?1)",
        )
        .bind(customer_id),
        Sql::new("DELETE FROM outbox WHERE json_extract(payload, '$.customer_id') = ?").bind(customer_id),
        Sql::new("DELETE FROM login_failures WHERE account = 'customer:' || (SELECT email FROM customers WHERE id = ?)").bind(customer_id),
        // Marketing: the alert signups by the account's email, phone or push endpoints, its push
        // subscriptions (the account's and its orders'), its consent rows, its marketing messages
        // not yet sent, and the cart's activity row — before the email and phone are erased below.
        Sql::new(format!("DELETE FROM alert_subscriptions WHERE {MINE} OR (channel = 'push' AND recipient IN (SELECT endpoint FROM push_subscriptions WHERE {PUSH_OWNED}))"))
            .bind(customer_id),
        Sql::new(format!("DELETE FROM push_subscriptions WHERE {PUSH_OWNED}")).bind(customer_id),
        Sql::new(format!("DELETE FROM marketing_consents WHERE {MINE}")).bind(customer_id),
        Sql::new(format!("DELETE FROM outbox WHERE status IN ('pending', 'dead') AND kind IN ({}) AND {MINE}", marketing_kinds())).bind(customer_id),
        Sql::new("DELETE FROM cart_activity WHERE customer_id = ?").bind(customer_id),
        Sql::new("DELETE FROM addresses WHERE customer_id = ?").bind(customer_id),
        Sql::new("DELETE FROM wishlist_items WHERE customer_id = ?").bind(customer_id),
        Sql::new("DELETE FROM recently_viewed WHERE customer_id = ?").bind(customer_id),
        Sql::new("DELETE FROM account_tokens WHERE customer_id = ?").bind(customer_id),
        Sql::new("DELETE FROM refresh_tokens WHERE customer_id = ?").bind(customer_id),
        Sql::new("DELETE FROM social_identities WHERE customer_id = ?").bind(customer_id),
        end_all_sessions_sql(Realm::Customer, customer_id),
        Sql::new(
            "UPDATE customers SET email = 'deleted:' || id, email_verified_at = NULL, name = '', phone = '', password_hash = NULL, \
             cart_id = NULL, updated_at = ?, deleted_at = ? WHERE id = ?",
        )
        .bind(now)
        .bind(now)
        .bind(customer_id),
    ]);
    batch
}

/// The sweep's part: orders of deleted accounts that were open at deletion and have closed since
/// lose the buyer's details (up to [`ERASE_PER_SWEEP`] per run). Repeating it changes nothing.
pub fn erase_closed_orders_batch(now: i64) -> Vec<Sql> {
    erase_closed_orders("o.customer_id IN (SELECT id FROM customers WHERE deleted_at IS NOT NULL)", &[], Some(ERASE_PER_SWEEP), now)
}

/// Runs [`erase_closed_orders_batch`]; answers how many orders it erased.
pub async fn erase_closed_orders_of_deleted_accounts(db: &impl Db, now: i64) -> Result<u64, DbError> {
    let results = db.batch(&erase_closed_orders_batch(now)).await?;
    Ok(results.last().map_or(0, |r| r.changes()))
}

/// An order that deletion would keep the buyer's details on, as the deletion form lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOrderRow {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub created_at: i64,
}

/// The customer's orders that are still open (their delivery details would be kept).
pub fn open_orders_sql(customer_id: &str) -> Sql {
    Sql::new(format!(
        "SELECT o.id, o.number, o.status, o.created_at FROM orders o WHERE o.customer_id = ? AND NOT {} ORDER BY o.created_at DESC, o.id",
        closed()
    ))
    .bind(customer_id)
}

// --- the export ------------------------------------------------------------------------------

/// What the export reads, in one batch (`?1` is the customer's id). Secrets are never read: no
/// password hash, session id, token or link; the account's row says only whether it has a password.
fn export_statements(customer_id: &str) -> Vec<Sql> {
    const MINE: &str = "(SELECT id FROM orders WHERE customer_id = ?1)";
    let texts = [
        "SELECT id, email, email_verified_at, name, phone, password_hash IS NOT NULL AS has_password, created_at, updated_at FROM customers WHERE id = ?1".to_string(),
        "SELECT id, name, phone, line1, ward, district, province, country, created_at FROM addresses WHERE customer_id = ?1 ORDER BY created_at, id".to_string(),
        "SELECT id, number, status, locale, email, name, phone, address_line1, address_ward, address_district, address_province, address_country, \
         shipping_method, note, payment_provider, currency, subtotal, shipping_fee, discount, total, refunded_total, carrier, tracking_number, \
         expires_at, paid_at, created_at, updated_at FROM orders WHERE customer_id = ?1 ORDER BY created_at, id"
            .to_string(),
        format!(
            "SELECT order_id, line_no, sku, name_vi, name_en, size, color, unit_price, quantity, line_total, discount \
             FROM order_lines WHERE order_id IN {MINE} ORDER BY order_id, line_no"
        ),
        format!("SELECT order_id, at, from_status, to_status, reason FROM order_events WHERE order_id IN {MINE} ORDER BY order_id, id"),
        format!(
            "SELECT order_id, id, provider, amount, currency, status, external_id, provider_amount, provider_currency, failure_code, \
             created_at, updated_at FROM payments WHERE order_id IN {MINE} ORDER BY created_at, id"
        ),
        format!(
            "SELECT e.payment_id, e.kind, e.payload, e.received_at FROM payment_events e JOIN payments p ON p.id = e.payment_id \
             WHERE p.order_id IN {MINE} ORDER BY e.received_at, e.event_id"
        ),
        format!("SELECT order_id, id, amount, currency, status, reason, created_at, updated_at FROM refunds WHERE order_id IN {MINE} ORDER BY created_at, id"),
        format!(
            "SELECT order_id, code, name_vi, name_en, class, amount, customer_email, customer_phone, state, created_at, released_at \
             FROM promotion_redemptions WHERE customer_account = ?1 OR order_id IN {MINE} ORDER BY created_at, order_id, promotion_id"
        ),
        "SELECT created_at, last_seen_at, expires_at FROM sessions WHERE realm = 'customer' AND subject_id = ?1 ORDER BY created_at".to_string(),
        "SELECT family_id, created_at, expires_at, used_at, revoked_at FROM refresh_tokens WHERE customer_id = ?1 ORDER BY created_at".to_string(),
        "SELECT provider, subject, email, created_at FROM social_identities WHERE customer_id = ?1 ORDER BY created_at".to_string(),
        "SELECT purpose, email, created_at, expires_at, used_at FROM account_tokens WHERE customer_id = ?1 ORDER BY created_at".to_string(),
        format!(
            "SELECT kind, json_remove(payload, '$.url') AS message, created_at, sent_at FROM outbox \
             WHERE json_extract(payload, '$.customer_id') = ?1 OR json_extract(payload, '$.order_id') IN {MINE} ORDER BY created_at, id"
        ),
        "SELECT client, tries, last_at FROM login_failures WHERE account = 'customer:' || (SELECT email FROM customers WHERE id = ?1)".to_string(),
        "SELECT p.slug AS product, w.price_at AS price_when_added, w.added_at FROM wishlist_items w JOIN products p ON p.id = w.product_id \
         WHERE w.customer_id = ?1 ORDER BY w.added_at, w.product_id"
            .to_string(),
        "SELECT product_ids, updated_at FROM recently_viewed WHERE customer_id = ?1".to_string(),
    ];
    texts.into_iter().map(|t| Sql::new(t).bind(customer_id)).collect()
}

/// Every timestamp field (`at` or `…_at`, stored as Unix seconds) becomes RFC 3339 in UTC, at any
/// depth; everything else is left as it is.
fn rfc3339_times(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "at" || key.ends_with("_at") {
                    if let Some(secs) = v.as_i64() {
                        *v = Value::String(rfc3339(secs));
                    }
                } else {
                    rfc3339_times(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rfc3339_times),
        _ => {}
    }
}

/// Rows belonging to the order `id` (by `key`), without the key itself.
fn of(rows: &[Value], key: &str, id: &Value) -> Vec<Value> {
    rows.iter()
        .filter(|r| r.get(key) == Some(id))
        .map(|r| {
            let mut r = r.clone();
            if let Some(m) = r.as_object_mut() {
                m.remove(key);
            }
            r
        })
        .collect()
}

/// Everything the shop holds about the customer, as one JSON document: the account, addresses,
/// orders (with lines, status history, payments and their provider notifications, refunds, coupon
/// uses), sessions, app sign-ins, social identities, one-time links (never the link itself),
/// messages, sign-in failures, the wishlist and the recently viewed products. Every timestamp is RFC 3339 (UTC).
pub async fn export(db: &impl Db, customer: &CustomerRow, now: i64) -> Result<Value, DbError> {
    let mut batch = vec![attach_guest_orders_sql(&customer.id)];
    batch.extend(export_statements(&customer.id));
    let results = db.batch(&batch).await?;
    let [_, account, addresses, orders, lines, events, payments, notices, refunds, coupons, sessions, apps, identities, links, messages, failures, wishlist, recent] =
        expect_n::<18>(results, "export")?;
    let decode = |rows: &super::db::Rows| rows.decode::<Value>();
    let (lines, events, payments, notices, refunds, coupons) = (decode(&lines)?, decode(&events)?, decode(&payments)?, decode(&notices)?, decode(&refunds)?, decode(&coupons)?);
    let orders: Vec<Value> = decode(&orders)?
        .into_iter()
        .map(|mut o| {
            let id = o["id"].clone();
            let payments: Vec<Value> = of(&payments, "order_id", &id)
                .into_iter()
                .map(|mut p| {
                    p["notifications"] = json!(of(&notices, "payment_id", &p["id"]));
                    p
                })
                .collect();
            o["lines"] = json!(of(&lines, "order_id", &id));
            o["events"] = json!(of(&events, "order_id", &id));
            o["payments"] = json!(payments);
            o["refunds"] = json!(of(&refunds, "order_id", &id));
            o["coupon_redemptions"] = json!(of(&coupons, "order_id", &id));
            o
        })
        .collect();
    let mut account = account.first::<Map<String, Value>>()?.unwrap_or_default();
    let has_password = account.get("has_password").and_then(Value::as_i64).is_some_and(|n| n != 0);
    account.insert("has_password".into(), json!(has_password));
    account.insert("email_verified".into(), json!(account.get("email_verified_at").is_some_and(|v| !v.is_null())));
    let messages: Vec<Value> = decode(&messages)?
        .into_iter()
        .map(|mut m| {
            // The outbox keeps the message as JSON text; the export shows it as JSON.
            if let Some(text) = m["message"].as_str() {
                m["message"] = serde_json::from_str(text).unwrap_or(Value::String(text.to_string()));
            }
            m
        })
        .collect();
    let mut body = json!({
        "exported_at": now,
        "account": account,
        "addresses": decode(&addresses)?,
        "orders": orders,
        "sessions": decode(&sessions)?,
        "app_sign_ins": decode(&apps)?,
        "social_identities": decode(&identities)?,
        "one_time_links": decode(&links)?,
        "messages": messages,
        "sign_in_failures": decode(&failures)?,
        "wishlist": decode(&wishlist)?,
        "recently_viewed": decode(&recent)?,
    });
    rfc3339_times(&mut body);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::accounts::{add_address_sql, create_customer_sql, customer_by_id_sql, insert_session_sql, issue_token_batch, NewAddress, Purpose};
    use crate::app::sign_in::claim_sql;
    use crate::app::admin_orders::{deliver_order, fulfil_order};
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::stock::pay_order;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::session::Policy;
    use std::collections::BTreeSet;

    const NOW: i64 = 1_800_000_000;
    const ID: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";
    // What identifies the person, each spelled so that it occurs nowhere else in the database.
    const EMAIL: &str = "linh.tran.privacy@example.vn";
    const PHONE: &str = "0987651234";
    const NAME: &str = "Trần Thị Linh Privacy";
    const STREET: &str = "12 Phố Huế Privacy";
    const WARD: &str = "Phường Privacy";
    const SUBJECT: &str = "google-subject-privacy-42";
    const MARKERS: [&str; 6] = [EMAIL, PHONE, NAME, STREET, WARD, SUBJECT];

    fn run(db: &Sqlite, batch: &[Sql]) {
        block_on(db.batch(batch)).expect("batch");
    }

    fn customer(db: &Sqlite) -> CustomerRow {
        block_on(db.first::<CustomerRow>(&customer_by_id_sql(ID))).expect("read").expect("the customer")
    }

    /// Orders placed as the customer: the checkout's statements, then the buyer's details set to the person's.
    fn order(db: &Sqlite, seed: u32, nth: i64) -> String {
        let variant = free_variant(db, 1, nth);
        let o = place_order(db, seed, variant, 1, "stripe", NOW, NOW + 900);
        db.exec(&format!(
            "UPDATE orders SET customer_id = '{ID}', email = '{EMAIL}', name = '{NAME}', phone = '{PHONE}', address_line1 = '{STREET}', \
             address_ward = '{WARD}', note = 'gọi {PHONE} trước khi giao' WHERE id = '{}'",
            o.id
        ));
        // What a provider sends back about the payer, kept raw for support.
        let raw = format!(r#"{{"customer_details":{{"email":"{EMAIL}","name":"{NAME}","phone":"{PHONE}"}}}}"#);
        db.exec(&format!(
            "UPDATE payments SET external_id = 'cs_{seed}', status = 'succeeded', last_notification = '{raw}' WHERE id = '{p}'; \
             INSERT INTO payment_events (provider, event_id, payment_id, kind, payload, received_at) VALUES ('stripe', 'evt_{seed}', '{p}', 'checkout.session.completed', '{raw}', {NOW}); \
             INSERT INTO promotion_redemptions (order_id, promotion_id, code, class, name_vi, name_en, benefit, amount, customer_email, customer_phone, customer_account, created_at) \
               SELECT '{o}', id, NULL, 'order', name_vi, name_en, '{{}}', 1000, '{EMAIL}', '{PHONE}', '{ID}', {NOW} FROM promotions ORDER BY id LIMIT 1;",
            p = o.payment_id,
            o = o.id,
        ));
        run(db, &pay_order(&o.id, NOW + 60, "payment:stripe"));
        o.id
    }

    /// A customer with something in every place the shop keeps personal data: profile, address,
    /// session, app sign-in, social identity, a reset link and its message, sign-in failures, a
    /// delivered order and an order still being prepared (each paid, with a coupon and a raw
    /// provider notification, and the order messages the moves queue).
    fn everything(db: &Sqlite) -> (String, String) {
        run(db, &[create_customer_sql(ID, EMAIL, NAME, Some("pbkdf2-sha256$1$00$00"), NOW - 86_400)]);
        db.exec(&format!("UPDATE customers SET phone = '{PHONE}', email_verified_at = {} WHERE id = '{ID}'", NOW - 80_000));
        let address = NewAddress { name: NAME, phone: PHONE, line1: STREET, ward: WARD, district: "Hai Bà Trưng", province: "Hà Nội", country: "VN" };
        run(db, &[add_address_sql("a1", ID, &address, NOW - 70_000)]);
        run(db, &[insert_session_sql(Realm::Customer, "session-1", ID, NOW - 600, Policy::CUSTOMER)]);
        db.exec(&format!(
            "INSERT INTO refresh_tokens (token_hash, family_id, customer_id, created_at, expires_at) VALUES ('rt', 'fam', '{ID}', {NOW}, {});
             INSERT INTO social_identities (provider, subject, customer_id, email, created_at) VALUES ('google', '{SUBJECT}', '{ID}', '{EMAIL}', {NOW});",
            NOW + 86_400
        ));
        run(db, &issue_token_batch(Purpose::PasswordReset, "reset-token", &customer(db), "https://shop.example/account/reset/reset-token", "vi", NOW - 300));
        run(db, &[claim_sql(&format!("customer:{EMAIL}"), "203.0.113.7", NOW - 200)]);
        let delivered = order(db, 901, 0);
        run(db, &fulfil_order(&delivered, "GHN", "GHN123", "admin:x", NOW + 120));
        run(db, &deliver_order(&delivered, "admin:x", NOW + 180));
        let open = order(db, 902, 1);
        // Marketing: alerts by email and by phone (ZNS), a push subscription, consent, a pending
        // alert message, the cart's activity.
        let v = db.int("SELECT id FROM variants WHERE status = 'active' ORDER BY id LIMIT 1");
        run(db, &[crate::app::alerts::subscribe_sql(crate::app::alerts::AlertKind::BackInStock, v, crate::domain::notify::Channel::Email, EMAIL, "vi", NOW)]);
        run(db, &[crate::app::alerts::subscribe_sql(crate::app::alerts::AlertKind::BackInStock, v, crate::domain::notify::Channel::Zns, &format!("+84{}", &PHONE[1..]), "vi", NOW)]);
        run(db, &[crate::app::consent::subscribe_sql(crate::domain::notify::Channel::Email, EMAIL, "vi", "newsletter", NOW)]);
        db.exec(&format!(
            "INSERT INTO push_subscriptions (endpoint, p256dh, auth, owner, created_at) VALUES ('https://push.example/privacy-1', 'k', 'a', 'customer:{ID}', {NOW}), ('https://push.example/privacy-2', 'k', 'a', 'order:{open}', {NOW});
             INSERT INTO alert_subscriptions (kind, channel, recipient, variant_id, created_at) VALUES ('price_drop', 'push', 'https://push.example/privacy-1', {v}, {NOW});
             INSERT INTO outbox (dedupe_key, kind, channel, recipient, payload, created_at) VALUES ('back_in_stock:privacy', 'back_in_stock', 'email', '{EMAIL}', '{{}}', {NOW});
             UPDATE customers SET cart_id = 'cart-privacy' WHERE id = '{ID}';"
        ));
        run(db, &[crate::app::cart_reminders::activity_sql("cart-privacy", 1, NOW)]);
        (delivered, open)
    }

    /// Every (table, column) of every table in the schema whose text holds one of the markers,
    /// with the rows' order ids where the table has them. A walk over the real schema, so a column
    /// added later that holds the person's data shows up here without anyone listing it.
    fn holders(db: &Sqlite) -> BTreeSet<(String, String)> {
        let tables: Vec<Value> = block_on(db.all(&Sql::new("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))).unwrap();
        let mut found = BTreeSet::new();
        for t in tables {
            let table = t["name"].as_str().unwrap().to_string();
            let columns: Vec<Value> = block_on(db.all(&Sql::new(format!("SELECT name FROM pragma_table_info('{table}')")))).unwrap();
            for c in columns {
                let column = c["name"].as_str().unwrap().to_string();
                let test = MARKERS.iter().map(|m| format!("instr(CAST(\"{column}\" AS TEXT), '{m}') > 0")).collect::<Vec<_>>().join(" OR ");
                if db.int(&format!("SELECT COUNT(*) FROM \"{table}\" WHERE {test}")) > 0 {
                    found.insert((table.clone(), column));
                }
            }
        }
        found
    }

    fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        items.iter().map(|(t, c)| (t.to_string(), c.to_string())).collect()
    }

    /// The buyer's details an open order keeps until it closes, with the messages about it.
    const KEPT: [(&str, &str); 8] = [
        ("orders", "email"), ("orders", "name"), ("orders", "phone"), ("orders", "address_line1"), ("orders", "address_ward"), ("orders", "note"),
        ("outbox", "payload"), ("outbox", "recipient"),
    ];

    #[test]
    fn deletion_erases_the_person_everywhere_but_an_open_orders_delivery_details() {
        let db = Sqlite::demo();
        let (delivered, open) = everything(&db);
        // Every place the person's data was, found by walking the schema: the list the deletion must cover.
        assert_eq!(
            holders(&db),
            set(&[
                ("account_tokens", "email"),
                ("alert_subscriptions", "recipient"),
                ("addresses", "line1"), ("addresses", "name"), ("addresses", "phone"), ("addresses", "ward"),
                ("customers", "email"), ("customers", "name"), ("customers", "phone"),
                ("login_failures", "account"),
                ("marketing_consents", "recipient"),
                ("orders", "address_line1"), ("orders", "address_ward"), ("orders", "email"), ("orders", "name"), ("orders", "note"), ("orders", "phone"),
                ("outbox", "payload"), ("outbox", "recipient"),
                ("payment_events", "payload"),
                ("payments", "last_notification"),
                ("promotion_redemptions", "customer_email"), ("promotion_redemptions", "customer_phone"),
                ("social_identities", "email"), ("social_identities", "subject"),
            ]),
            "the fixture puts the person's data in every column that can hold it"
        );
        let marketing = "SELECT (SELECT COUNT(*) FROM push_subscriptions WHERE endpoint LIKE 'https://push.example/privacy-%') \
             + (SELECT COUNT(*) FROM alert_subscriptions WHERE recipient LIKE 'https://push.example/privacy-%') + (SELECT COUNT(*) FROM cart_activity) \
             + (SELECT COUNT(*) FROM outbox WHERE kind = 'back_in_stock')";
        assert_eq!(db.int(marketing), 5);
        run(&db, &delete_account_batch(ID, NOW + 300));
        assert_eq!(holders(&db), set(&KEPT), "after deletion only the open order's buyer details remain");
        assert_eq!(db.int(marketing), 0, "push subscriptions (the account's and its orders'), push alerts, the cart's activity, pending marketing mail");
        let elsewhere = format!(
            "SELECT (SELECT COUNT(*) FROM orders WHERE id <> '{open}' AND (email = '{EMAIL}' OR name = '{NAME}' OR address_line1 = '{STREET}')) \
             + (SELECT COUNT(*) FROM outbox WHERE instr(payload, '{EMAIL}') > 0 AND json_extract(payload, '$.order_id') IS NOT '{open}')"
        );
        assert_eq!(db.int(&elsewhere), 0, "on that order and its messages only");
        assert_eq!(db.text(&format!("SELECT address_line1 || ', ' || address_ward FROM orders WHERE id = '{open}'")), format!("{STREET}, {WARD}"), "it can still be delivered");
        // What accounting needs stays on both orders: number, amounts, lines, payments, history.
        for id in [&delivered, &open] {
            assert_eq!(db.int(&format!("SELECT COUNT(*) FROM orders WHERE id = '{id}' AND total > 0 AND number LIKE 'VS-%'")), 1);
            assert_eq!(db.int(&format!("SELECT COUNT(*) FROM order_lines WHERE order_id = '{id}'")), 1);
            assert_eq!(db.int(&format!("SELECT COUNT(*) FROM payments WHERE order_id = '{id}' AND status = 'succeeded' AND external_id IS NOT NULL")), 1);
        }
        assert_eq!(db.text(&format!("SELECT email FROM orders WHERE id = '{delivered}'")), format!("deleted:{ID}"));
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM sessions WHERE subject_id = '{ID}'")), 0);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM refresh_tokens WHERE customer_id = '{ID}'")), 0);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM customers WHERE id = '{ID}' AND deleted_at IS NOT NULL AND password_hash IS NULL AND cart_id IS NULL")), 1);
        // The sweep leaves the open order alone until it is delivered, then erases it too, once.
        assert_eq!(block_on(erase_closed_orders_of_deleted_accounts(&db, NOW + 400)).unwrap(), 0);
        assert_eq!(holders(&db), set(&KEPT));
        run(&db, &fulfil_order(&open, "GHN", "GHN124", "admin:x", NOW + 500));
        assert_eq!(block_on(erase_closed_orders_of_deleted_accounts(&db, NOW + 550)).unwrap(), 0, "shipped is not delivered");
        run(&db, &deliver_order(&open, "admin:x", NOW + 600));
        assert_eq!(block_on(erase_closed_orders_of_deleted_accounts(&db, NOW + 700)).unwrap(), 1);
        assert_eq!(holders(&db), BTreeSet::new(), "nothing about the person is left anywhere");
        assert_eq!(block_on(erase_closed_orders_of_deleted_accounts(&db, NOW + 800)).unwrap(), 0, "a second run changes nothing");
    }

    #[test]
    fn an_unpaid_order_keeps_its_details_while_a_provider_page_could_still_take_a_late_payment() {
        let db = Sqlite::demo();
        run(&db, &[create_customer_sql(ID, EMAIL, NAME, None, NOW)]);
        let variant = free_variant(&db, 1, 2);
        let o = place_order(&db, 903, variant, 1, "stripe", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET customer_id = '{ID}', email = '{EMAIL}', name = '{NAME}' WHERE id = '{}'", o.id));
        db.exec(&format!("UPDATE payments SET external_id = 'cs_903' WHERE id = '{}'", o.payment_id));
        run(&db, &crate::app::stock::expire_order(&o.id, NOW + 1000, "sweep"));
        let open: Vec<OpenOrderRow> = block_on(db.all(&open_orders_sql(ID))).unwrap();
        assert_eq!(open.iter().map(|r| (r.id.as_str(), r.status)).collect::<Vec<_>>(), [(o.id.as_str(), OrderStatus::Expired)]);
        run(&db, &delete_account_batch(ID, NOW + 1100));
        assert_eq!(db.text(&format!("SELECT name FROM orders WHERE id = '{}'", o.id)), NAME, "its provider page is still open");
        // The sweep closes the provider page (the payment is cancelled); then the details go.
        db.exec(&format!("UPDATE payments SET status = 'cancelled' WHERE id = '{}'", o.payment_id));
        assert_eq!(block_on(erase_closed_orders_of_deleted_accounts(&db, NOW + 1200)).unwrap(), 1);
        assert_eq!(db.text(&format!("SELECT name || email FROM orders WHERE id = '{}'", o.id)), format!("deleted:{ID}"));
    }

    #[test]
    fn the_open_orders_listed_before_deletion_are_those_deletion_keeps() {
        let db = Sqlite::demo();
        let (delivered, open) = everything(&db);
        let listed: Vec<OpenOrderRow> = block_on(db.all(&open_orders_sql(ID))).unwrap();
        assert_eq!(listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [open.as_str()]);
        assert_eq!(listed[0].status, OrderStatus::Paid);
        assert!(!listed.iter().any(|r| r.id == delivered));
    }

    /// Every value under a key named `at` or `…_at`, anywhere in the document.
    fn timestamps<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "at" || k.ends_with("_at") {
                        out.push((format!("{path}.{k}"), x));
                    }
                    timestamps(x, format!("{path}.{k}"), out);
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| timestamps(x, format!("{path}[{i}]"), out)),
            _ => {}
        }
    }

    #[test]
    fn the_export_holds_every_kind_of_data_with_rfc3339_timestamps() {
        let db = Sqlite::demo();
        let (delivered, open) = everything(&db);
        db.exec(&format!(
            "INSERT INTO wishlist_items (customer_id, product_id, price_at, in_stock_at, added_at) SELECT '{ID}', id, 450000, 1, {NOW} FROM products ORDER BY id LIMIT 1; \
             INSERT INTO recently_viewed (customer_id, product_ids, updated_at) VALUES ('{ID}', '3,1', {NOW})"
        ));
        let data = block_on(export(&db, &customer(&db), NOW + 1000)).unwrap();
        assert_eq!(data["wishlist"][0]["price_when_added"], 450000);
        assert_eq!(data["recently_viewed"][0]["product_ids"], "3,1");
        assert_eq!(data["account"]["email"], EMAIL);
        assert_eq!(data["account"]["phone"], PHONE);
        assert_eq!(data["account"]["has_password"], true);
        assert_eq!(data["account"]["email_verified"], true);
        assert_eq!(data["addresses"][0]["line1"], STREET);
        let orders = data["orders"].as_array().unwrap();
        assert_eq!(orders.iter().map(|o| o["id"].as_str().unwrap()).collect::<Vec<_>>(), [delivered.as_str(), open.as_str()]);
        let first = &orders[0];
        assert_eq!(first["lines"].as_array().unwrap().len(), 1);
        assert_eq!(first["tracking_number"], "GHN123");
        let statuses: Vec<&str> = first["events"].as_array().unwrap().iter().map(|e| e["to_status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["pending_payment", "paid", "fulfilled", "delivered"]);
        assert_eq!(first["payments"][0]["status"], "succeeded");
        assert_eq!(first["payments"][0]["notifications"][0]["kind"], "checkout.session.completed");
        assert_eq!(first["coupon_redemptions"][0]["customer_email"], EMAIL);
        assert!(first["refunds"].as_array().unwrap().is_empty());
        assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
        assert_eq!(data["app_sign_ins"][0]["family_id"], "fam");
        assert_eq!(data["social_identities"][0]["subject"], SUBJECT);
        assert_eq!(data["one_time_links"][0]["purpose"], "password_reset");
        let kinds: Vec<&str> = data["messages"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"password_reset") && kinds.contains(&"order_paid") && kinds.contains(&"order_delivered"), "{kinds:?}");
        assert_eq!(data["sign_in_failures"][0]["tries"], 1);
        assert_eq!(data["sign_in_failures"][0]["client"], "203.0.113.7");
        // No secret: no password hash, no session id, no token or link.
        let text = data.to_string();
        for secret in ["pbkdf2", "reset-token", "id_hash", "token_hash", "\"rt\""] {
            assert!(!text.contains(secret), "{secret} in the export");
        }
        // One format: every timestamp is an RFC 3339 string (or null when it never happened).
        let mut found = Vec::new();
        timestamps(&data, String::new(), &mut found);
        assert!(found.len() > 30, "{} timestamps", found.len());
        for (path, v) in found {
            assert!(v.is_null() || v.as_str().is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()), "{path}: {v}");
        }
        assert_eq!(data["account"]["created_at"], rfc3339(NOW - 86_400));
        assert_eq!(first["created_at"], rfc3339(NOW));
        assert_eq!(data["exported_at"], rfc3339(NOW + 1000));
        run(&db, &delete_account_batch(ID, NOW + 2000));
        assert_eq!(db.int(&format!("SELECT (SELECT COUNT(*) FROM wishlist_items WHERE customer_id = '{ID}') + (SELECT COUNT(*) FROM recently_viewed WHERE customer_id = '{ID}')")), 0, "deletion takes both lists");
    }
}
