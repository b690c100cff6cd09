//! Shoppers' alerts on a variant (issue 14, docs/NOTIFICATIONS.md): "báo khi có hàng" on a sold-out
//! variant, and price drops. A subscription is a row of `alert_subscriptions` (kind, variant,
//! channel, recipient); the messages it causes are outbox rows written in the same batch as the
//! change that causes them, so a restock or a price change that is retried, or replayed, notifies
//! once.
//!
//! - Back in stock: a restock of `n` units ([`restock`], the stock ledger's adjustment) notifies
//!   the oldest waiting shoppers, at most [`wave_size`]`(n)` = 3 × n — one wave per restock, each
//!   marked with the restock's ledger request id. A shopper not reached is reached by the cron's
//!   follow-up waves ([`follow_up_waves`]) while stock remains, one wave per variant per gap.
//! - Price drop: a price change ([`price_changed`]) notifies every watcher whose baseline (the price
//!   when they subscribed, or at their last alert) is at least 5 % above the new price, and moves
//!   their baseline down to it.
//!
//! The product page offers email, a phone (Zalo ZNS, when its alert template is configured) and
//! Web Push (for a browser that already holds a push subscription); the `channel` column carries
//! which, and a wave's outbox rows go out on it ([`signup_recipient`]).
//! Wishlisted products are watched through [`subscribe_sql`] too (`app::wishlist::watch`), so no
//! second watcher table is needed.

use super::db::{Sql, SqlValue};
use super::inventory::{adjust, Adjustment};
use super::outbox::{INSERT, ON_CONFLICT};
use crate::domain::notify::{wave_size, Channel, PRICE_DROP_PERCENT};

/// The recipient of a signup from the product page's form: `channel` (`email` by default, `zns`
/// for a phone, `push` for the browser's push subscription) and its field — the email, a phone
/// (Vietnamese: ZNS reaches Zalo accounts in Vietnam, and only when the alert template is
/// configured, `zns_alerts`), or the push endpoint (the caller checks it is a subscription the
/// shop holds). The field at fault otherwise, for a 422.
pub fn signup_recipient(channel: &str, email: &str, phone: &str, endpoint: &str, zns_alerts: bool) -> Result<(Channel, String), crate::domain::listing::FieldError> {
    use crate::domain::listing::{FieldError, Problem};
    match channel.trim() {
        "" | "email" => crate::domain::checkout::Email::parse(email)
            .map(|e| (Channel::Email, e.as_str().to_string()))
            .ok_or(FieldError { field: "email", problem: Problem::InvalidEmail }),
        "zns" => crate::domain::phone::Phone::parse(phone, "VN")
            .filter(|p| p.is_vietnamese() && zns_alerts)
            .map(|p| (Channel::Zns, p.as_str().to_string()))
            .ok_or(FieldError { field: "phone", problem: Problem::InvalidPhone }),
        "push" => {
            let endpoint = endpoint.trim();
            (endpoint.starts_with("https://") && endpoint.len() <= 2048)
                .then(|| (Channel::Push, endpoint.to_string()))
                .ok_or(FieldError { field: "endpoint", problem: Problem::BadValue })
        }
        _ => Err(FieldError { field: "channel", problem: Problem::UnknownChoice }),
    }
}

/// Whether `endpoint` is a push subscription the shop holds (`n` > 0): an alert by push goes only
/// to a browser that opted in.
pub fn push_endpoint_known_sql(endpoint: &str) -> Sql {
    Sql::new("SELECT COUNT(*) AS n FROM push_subscriptions WHERE endpoint = ?").bind(endpoint)
}

/// What a subscription waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    BackInStock,
    PriceDrop,
}

impl AlertKind {
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::BackInStock => "back_in_stock",
            AlertKind::PriceDrop => "price_drop",
        }
    }
}

/// Records (or renews) a subscription to an active variant of a product on sale; no row changes
/// when the variant is not one (the caller answers 404). A back-in-stock signup after its alert
/// went out waits again, behind those who signed up meanwhile; a price watch keeps its baseline.
pub fn subscribe_sql(kind: AlertKind, variant_id: i64, channel: Channel, recipient: &str, locale: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO alert_subscriptions (kind, channel, recipient, locale, variant_id, price_at, created_at) \
         SELECT ?, ?, ?, ?, v.id, v.price, ? FROM variants v JOIN products p ON p.id = v.product_id \
         WHERE v.id = ? AND v.status = 'active' AND p.status = 'active' \
         ON CONFLICT (kind, variant_id, channel, recipient) DO UPDATE SET locale = excluded.locale, \
         created_at = CASE WHEN kind = 'back_in_stock' AND notified_at IS NOT NULL THEN excluded.created_at ELSE created_at END, \
         wave = CASE WHEN kind = 'back_in_stock' THEN NULL ELSE wave END, \
         notified_at = CASE WHEN kind = 'back_in_stock' THEN NULL ELSE notified_at END",
    )
    .bind(kind.code())
    .bind(channel.code())
    .bind(recipient)
    .bind(locale)
    .bind(now)
    .bind(variant_id)
}

/// The back-in-stock wave of one restock, to run right after the stock ledger's insert of the
/// same batch (or the audit row written with it, as [`restock`] does): when that insert wrote its row (`changes() = 1`, so a replayed request
/// notifies nobody new) and the variant can be bought, the oldest `wave_size(units)` waiting rows
/// are marked with the restock's `request_id`; then each marked row gets its outbox message (keyed
/// by subscription and wave, so writing it twice is a no-op).
pub fn wave_sql(variant_id: i64, units: i64, request_id: &str, now: i64) -> [Sql; 2] {
    [
        Sql::new(
            "UPDATE alert_subscriptions SET wave = ?, notified_at = ? WHERE id IN (\
             SELECT a.id FROM alert_subscriptions a WHERE a.kind = 'back_in_stock' AND a.variant_id = ? AND a.notified_at IS NULL AND changes() = 1 \
             AND (SELECT on_hand - reserved FROM variants WHERE id = ?) > 0 ORDER BY a.created_at, a.id LIMIT ?)",
        )
        .bind(request_id)
        .bind(now)
        .bind(variant_id)
        .bind(variant_id)
        .bind(wave_size(units)),
        wave_messages_sql(request_id, now),
    ]
}

/// The outbox message of each subscription marked with `wave`, on its channel (keyed by
/// subscription and wave, so writing it twice is a no-op).
fn wave_messages_sql(wave: &str, now: i64) -> Sql {
    Sql::new(format!(
        "{INSERT} SELECT 'back_in_stock:' || a.id || ':' || a.wave, 'back_in_stock', a.channel, a.recipient, a.locale, \
         json_object('variant_id', a.variant_id, 'subscription_id', a.id), ?, ? \
         FROM alert_subscriptions a WHERE a.wave = ? AND a.kind = 'back_in_stock' ORDER BY a.created_at, a.id {ON_CONFLICT}"
    ))
    .bind(now)
    .bind(now)
    .bind(wave)
}

/// Hours between two back-in-stock waves of a variant by default (`ALERT_WAVE_GAP_HOURS`).
pub const DEFAULT_WAVE_GAP_HOURS: i64 = 6;

/// The follow-up waves (the cron's pass, before delivery), two statements: for each variant that
/// can be bought (it and its product active) with stock available (on hand minus held) and shoppers
/// still waiting, and no wave in the last `gap` seconds (a restock's or a follow-up's; never one,
/// when its stock came back without a restock — an expired order's units), the oldest
/// [`wave_size`]`(available)` waiting rows are marked with the wave `follow-up:<now>` and get the
/// same message as a restock's wave. A second pass at the same moment finds the wave just sent
/// within the gap and marks nobody; its messages' keys are those already written.
pub fn follow_up_wave_sql(gap: i64, now: i64) -> [Sql; 2] {
    let wave = format!("follow-up:{now}");
    [
        Sql::new(format!(
            "UPDATE alert_subscriptions SET wave = ?, notified_at = ? WHERE id IN (\
             SELECT id FROM (SELECT a.id, ROW_NUMBER() OVER (PARTITION BY a.variant_id ORDER BY a.created_at, a.id) AS n, \
             (v.on_hand - v.reserved) * {factor} AS cap \
             FROM alert_subscriptions a JOIN variants v ON v.id = a.variant_id JOIN products p ON p.id = v.product_id \
             WHERE a.kind = 'back_in_stock' AND a.notified_at IS NULL AND v.status = 'active' AND p.status = 'active' \
             AND v.on_hand - v.reserved > 0 \
             AND NOT EXISTS (SELECT 1 FROM alert_subscriptions w WHERE w.variant_id = a.variant_id AND w.kind = 'back_in_stock' \
             AND w.notified_at > ? - ?)) WHERE n <= cap)",
            factor = wave_size(1)
        ))
        .bind(wave.as_str())
        .bind(now)
        .bind(now)
        .bind(gap.max(1)),
        wave_messages_sql(&wave, now),
    ]
}

/// Runs [`follow_up_wave_sql`]: how many waiting shoppers it reached.
pub async fn follow_up_waves(db: &impl super::db::Db, gap: i64, now: i64) -> Result<u64, super::db::DbError> {
    let results = db.batch(&follow_up_wave_sql(gap, now)).await?;
    Ok(results.first().map_or(0, |r| r.changes()))
}

/// A stock adjustment with its audit row and, when it adds units, its back-in-stock wave: the
/// ledger's two statements, the audit row, then the wave's two. The audit row is written only when
/// the ledger row was (`changes() > 0`), and the wave only when the audit row was (`changes() = 1`
/// of the statement just before): both follow the ledger's insert, so neither may come between it
/// and the other.
pub fn restock(a: &Adjustment, audit: Sql) -> Vec<Sql> {
    let mut batch: Vec<Sql> = adjust(a).into();
    batch.push(audit);
    if a.delta > 0 {
        batch.extend(wave_sql(a.variant_id, a.delta, a.request_id, a.now));
    }
    batch
}

/// The price-drop alerts of a variant whose price was just set (run after the price's update in
/// the same batch): one message per watcher whose baseline is at least 5 % above the price now
/// (keyed by the drop, so writing it twice is a no-op), then their baseline becomes this price.
/// A rise moves no baseline: a drop is counted from the lowest price the watcher was told of.
pub fn price_changed(variant_id: i64, now: i64) -> [Sql; 2] {
    price_drops("a.variant_id = ?", SqlValue::Int(variant_id), now)
}

/// [`price_changed`] for the variant with this SKU (the catalog import's price change).
pub fn price_changed_sku(sku: &str, now: i64) -> [Sql; 2] {
    price_drops("a.variant_id = (SELECT id FROM variants WHERE sku = ?)", SqlValue::Text(sku.to_string()), now)
}

fn price_drops(variant: &str, key: SqlValue, now: i64) -> [Sql; 2] {
    let dropped = format!("a.kind = 'price_drop' AND {variant} AND a.price_at > 0 AND (a.price_at - v.price) * 100 >= a.price_at * {PRICE_DROP_PERCENT}");
    [
        Sql::new(format!(
            "{INSERT} SELECT 'price_drop:' || a.id || ':' || a.price_at || ':' || v.price, 'price_drop', a.channel, a.recipient, a.locale, \
             json_object('variant_id', a.variant_id, 'subscription_id', a.id, 'was', a.price_at, 'price', v.price), ?, ? \
             FROM alert_subscriptions a JOIN variants v ON v.id = a.variant_id WHERE {dropped} AND v.status = 'active' ORDER BY a.id {ON_CONFLICT}"
        ))
        .bind(now)
        .bind(now)
        .bind(key.clone()),
        Sql::new(format!("UPDATE alert_subscriptions AS a SET price_at = v.price, notified_at = ? FROM variants v WHERE v.id = a.variant_id AND {dropped}"))
            .bind(now)
            .bind(key),
    ]
}

/// What an alert's email shows of its variant (looked up when it is sent, so it says the price and
/// name of the moment).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct AlertVariant {
    pub slug: String,
    pub sku: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color_vi: String,
    pub color_en: String,
    pub price: crate::domain::money::Vnd,
}

pub fn alert_variant_sql(variant_id: i64) -> Sql {
    Sql::new(
        "SELECT p.slug, v.sku, p.name_vi, p.name_en, v.size, c.name_vi AS color_vi, c.name_en AS color_en, v.price \
         FROM variants v JOIN products p ON p.id = v.product_id JOIN colors c ON c.code = v.color WHERE v.id = ?",
    )
    .bind(variant_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::db::Db;
    use crate::app::inventory::Reason;
    use crate::app::orders::fixtures::free_variant;
    use crate::app::outbox::run_pass;
    use crate::app::outbox::tests::{settings, FakeMailer};
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signup_names_its_channel_and_the_field_at_fault() {
        let ok = |c, e, p, x, z| signup_recipient(c, e, p, x, z).map_err(|f| f.field);
        assert_eq!(ok("", " An@Example.vn ", "", "", false), Ok((Channel::Email, "an@example.vn".into())));
        assert_eq!(ok("email", "an@", "", "", true), Err("email"));
        assert_eq!(ok("zns", "", "0912 345 678", "", true), Ok((Channel::Zns, "+84912345678".into())));
        assert_eq!(ok("zns", "", "0912 345 678", "", false), Err("phone"), "no alert template: no phone signups");
        assert_eq!(ok("zns", "", "+1 415 555 0100", "", true), Err("phone"), "ZNS reaches Vietnam only");
        assert_eq!(ok("zns", "", "12", "", true), Err("phone"));
        assert_eq!(ok("push", "", "", "https://push.example/abc", false), Ok((Channel::Push, "https://push.example/abc".into())));
        assert_eq!(ok("push", "", "", "http://push.example/abc", false), Err("endpoint"));
        assert_eq!(ok("sms", "", "", "", false), Err("channel"));
        let db = Sqlite::demo();
        db.exec("INSERT INTO push_subscriptions (endpoint, p256dh, auth, owner, created_at) VALUES ('https://push.example/abc', 'k', 'a', 'order:x', 0)");
        #[derive(serde::Deserialize)]
        struct N {
            n: i64,
        }
        let known = |e: &str| block_on(db.first::<N>(&push_endpoint_known_sql(e))).unwrap().unwrap().n;
        assert_eq!((known("https://push.example/abc"), known("https://push.example/other")), (1, 0));
    }

    /// The audit row the admin writes with an adjustment.
    fn test_audit() -> Sql {
        crate::app::admin::audit_sql(&crate::app::admin::Actor { id: "1", email: "kho@vestify.vn", ip: "" }, "stock.adjust", "variant", "1", None, None, NOW)
    }

        fn subscribe(db: &Sqlite, variant: i64, email: &str, at: i64) -> u64 {
        block_on(db.run(&subscribe_sql(AlertKind::BackInStock, variant, Channel::Email, email, "vi", at))).unwrap()
    }

    fn restock_by(db: &Sqlite, variant: i64, units: i64, request_id: &str, at: i64) {
        let a = Adjustment { variant_id: variant, delta: units, reason: Reason::Received, note: "", actor: "admin:1", request_id, expected_on_hand: None, now: at };
        block_on(db.batch(&restock(&a, test_audit()))).unwrap();
    }

    /// The recipients of back-in-stock messages, in the order they were written.
    fn notified(db: &Sqlite) -> String {
        db.text("SELECT COALESCE(group_concat(recipient, ' '), '') FROM (SELECT recipient FROM outbox WHERE kind = 'back_in_stock' ORDER BY id)")
    }

    fn sold_out(db: &Sqlite) -> i64 {
        let v = free_variant(db, 1, 0);
        db.exec(&format!("UPDATE variants SET on_hand = 0, reserved = 0 WHERE id = {v}"));
        v
    }

    #[test]
    fn every_statement_binds_its_placeholders() {
        let a = Adjustment { variant_id: 1, delta: 2, reason: Reason::Received, note: "", actor: "admin:1", request_id: "r", expected_on_hand: None, now: 1 };
        let mut all = restock(&a, test_audit());
        all.extend(price_changed(1, 1));
        all.extend(price_changed_sku("SKU-1", 1));
        all.extend(follow_up_wave_sql(GAP, 1));
        all.extend([subscribe_sql(AlertKind::PriceDrop, 1, Channel::Email, "a@b.vn", "vi", 1), alert_variant_sql(1)]);
        for sql in &all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
    }

    #[test]
    fn a_restock_notifies_three_waiting_shoppers_per_unit_oldest_first_once() {
        let db = Sqlite::demo();
        let v = sold_out(&db);
        for (i, who) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
            // Signed up in reverse order of their names, so the order is the time, not the id.
            assert_eq!(subscribe(&db, v, &format!("{who}@example.vn"), NOW - i as i64), 1);
        }
        restock_by(&db, v, 2, "restock-one-000001", NOW);
        assert_eq!(notified(&db), "h@example.vn g@example.vn f@example.vn e@example.vn d@example.vn c@example.vn", "3 × 2 units, oldest first");
        // The same request again (a resubmitted form): no second wave.
        restock_by(&db, v, 2, "restock-one-000001", NOW + 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'back_in_stock'"), 6);
        // The next restock reaches the rest, and nobody twice.
        restock_by(&db, v, 5, "restock-two-000002", NOW + 2);
        assert_eq!(notified(&db), "h@example.vn g@example.vn f@example.vn e@example.vn d@example.vn c@example.vn b@example.vn a@example.vn");
        let payload = db.text("SELECT payload FROM outbox WHERE recipient = 'a@example.vn'");
        assert!(payload.contains(&format!("\"variant_id\":{v}")), "{payload}");
    }

    const HOUR: i64 = 3600;
    const GAP: i64 = DEFAULT_WAVE_GAP_HOURS * HOUR;

    fn follow_up(db: &Sqlite, at: i64) -> u64 {
        block_on(follow_up_waves(db, GAP, at)).unwrap()
    }

    #[test]
    fn a_follow_up_wave_reaches_the_next_shoppers_once_the_gap_has_passed_while_stock_remains() {
        let db = Sqlite::demo();
        let v = sold_out(&db);
        for (i, who) in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].iter().enumerate() {
            subscribe(&db, v, &format!("{who}@example.vn"), NOW - i as i64);
        }
        restock_by(&db, v, 2, "restock-one-000001", NOW);
        assert_eq!(notified(&db), "j@example.vn i@example.vn h@example.vn g@example.vn f@example.vn e@example.vn");
        // One of the two units is held by a cart: 1 available, so at most 3 shoppers per wave.
        db.exec(&format!("UPDATE variants SET reserved = 1 WHERE id = {v}"));
        assert_eq!(follow_up(&db, NOW + GAP - 1), 0, "not before the gap");
        assert_eq!(follow_up(&db, NOW + GAP), 3, "3 × the 1 unit available, oldest first");
        assert_eq!(notified(&db), "j@example.vn i@example.vn h@example.vn g@example.vn f@example.vn e@example.vn d@example.vn c@example.vn b@example.vn");
        // A second pass at the same moment (or soon after) reaches nobody new.
        assert_eq!(follow_up(&db, NOW + GAP), 0);
        assert_eq!(follow_up(&db, NOW + GAP + HOUR), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'back_in_stock'"), 9);
        // Sold out (the last unit held too): no wave however long the wait.
        db.exec(&format!("UPDATE variants SET reserved = 2 WHERE id = {v}"));
        assert_eq!(follow_up(&db, NOW + 5 * GAP), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'back_in_stock'"), 9);
        // The hold lapses: the last shopper gets the follow-up's message, on the same terms.
        db.exec(&format!("UPDATE variants SET reserved = 0 WHERE id = {v}"));
        assert_eq!(follow_up(&db, NOW + 5 * GAP), 1);
        let payload = db.text("SELECT payload FROM outbox WHERE recipient = 'a@example.vn'");
        assert!(payload.contains(&format!("\"variant_id\":{v}")), "{payload}");
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions WHERE notified_at IS NULL"), 0);
    }

    #[test]
    fn stock_back_without_a_restock_gets_its_wave_and_two_passes_send_each_shopper_once() {
        let db = Sqlite::demo();
        let v = sold_out(&db);
        let other = db.int(&format!("SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.status = 'active' AND v.product_id <> (SELECT product_id FROM variants WHERE id = {v}) ORDER BY v.id LIMIT 1"));
        db.exec(&format!("UPDATE variants SET on_hand = 0, reserved = 0 WHERE id = {other}"));
        subscribe(&db, v, "a@example.vn", NOW);
        block_on(db.run(&subscribe_sql(AlertKind::BackInStock, v, Channel::Email, "en@example.vn", "en", NOW + 1))).unwrap();
        subscribe(&db, other, "b@example.vn", NOW);
        assert_eq!(follow_up(&db, NOW + 2), 0, "nothing in stock");
        // An expired order's unit comes back (its hold released): no ledger restock, no wave yet.
        db.exec(&format!("UPDATE variants SET on_hand = 1, reserved = 1 WHERE id = {v}"));
        db.exec(&format!("UPDATE variants SET reserved = 0 WHERE id = {v}"));
        // The other variant has stock too, but its product is no longer on sale.
        db.exec(&format!("UPDATE variants SET on_hand = 4 WHERE id = {other}"));
        db.exec(&format!("UPDATE products SET status = 'draft' WHERE id = (SELECT product_id FROM variants WHERE id = {other})"));
        // Two passes at the same moment.
        assert_eq!(follow_up(&db, NOW + 3) + follow_up(&db, NOW + 3), 2);
        assert_eq!(notified(&db), "a@example.vn en@example.vn");
        let mailer = FakeMailer::default();
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 4, 50)).unwrap().sent, 2);
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 5, 50)).unwrap().sent, 0);
        let sent = mailer.sent.borrow();
        assert!(sent[0].subject.starts_with("Đã có hàng trở lại") && sent[1].subject.starts_with("Back in stock"), "{} / {}", sent[0].subject, sent[1].subject);
    }

    #[test]
    fn a_removal_or_a_refused_restock_notifies_nobody() {
        let db = Sqlite::demo();
        let v = sold_out(&db);
        subscribe(&db, v, "a@example.vn", NOW);
        db.exec(&format!("UPDATE variants SET on_hand = 3 WHERE id = {v}"));
        let damaged = Adjustment { variant_id: v, delta: -1, reason: Reason::Damaged, note: "", actor: "admin:1", request_id: "damaged-000000001", expected_on_hand: None, now: NOW };
        assert_eq!(restock(&damaged, test_audit()).len(), 3, "a removal has no wave");
        block_on(db.batch(&restock(&damaged, test_audit()))).unwrap();
        assert_eq!(notified(&db), "");
        // A refused adjustment (stale count) writes no ledger row and notifies nobody.
        let stale = Adjustment { variant_id: v, delta: 4, reason: Reason::Received, note: "", actor: "admin:1", request_id: "stale-00000000001", expected_on_hand: Some(99), now: NOW };
        block_on(db.batch(&restock(&stale, test_audit()))).unwrap();
        assert_eq!(notified(&db), "");
    }

    #[test]
    fn a_shopper_who_signs_up_again_after_an_alert_waits_behind_the_others() {
        let db = Sqlite::demo();
        let v = sold_out(&db);
        subscribe(&db, v, "a@example.vn", NOW);
        subscribe(&db, v, "a@example.vn", NOW + 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions"), 1, "one row per shopper and variant");
        restock_by(&db, v, 1, "restock-000000001", NOW + 2);
        // Sold out again; a signs up again after b.
        db.exec(&format!("UPDATE variants SET on_hand = 0 WHERE id = {v}"));
        subscribe(&db, v, "b@example.vn", NOW + 3);
        subscribe(&db, v, "a@example.vn", NOW + 4);
        subscribe(&db, v, "c@example.vn", NOW + 5);
        let a = Adjustment { variant_id: v, delta: 1, reason: Reason::Received, note: "", actor: "admin:1", request_id: "restock-000000002", expected_on_hand: None, now: NOW + 6 };
        block_on(db.batch(&restock(&a, test_audit()))).unwrap();
        assert_eq!(notified(&db), "a@example.vn b@example.vn a@example.vn c@example.vn");
        // Unknown or inactive variants take no subscription.
        assert_eq!(subscribe(&db, 987_654, "a@example.vn", NOW), 0);
        db.exec(&format!("UPDATE variants SET status = 'inactive' WHERE id = {v}"));
        assert_eq!(subscribe(&db, v, "d@example.vn", NOW), 0);
    }

    #[test]
    fn an_alert_email_lands_on_its_variant_with_its_price_now() {
        let db = Sqlite::demo();
        let v = sold_out(&db);
        subscribe(&db, v, "a@example.vn", NOW);
        block_on(db.run(&subscribe_sql(AlertKind::BackInStock, v, Channel::Email, "en@example.vn", "en", NOW + 1))).unwrap();
        restock_by(&db, v, 1, "restock-000000001", NOW + 2);
        let mailer = FakeMailer::default();
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 3, 50)).unwrap().sent, 2);
        let (slug, sku) = (db.text(&format!("SELECT p.slug FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = {v}")), db.text(&format!("SELECT sku FROM variants WHERE id = {v}")));
        let sent = mailer.sent.borrow();
        assert!(sent[0].subject.starts_with("Đã có hàng trở lại"), "{}", sent[0].subject);
        assert!(sent[0].text.contains(&format!("https://vestify.vn/p/{slug}?variant={}", crate::domain::listing::percent_encode(&sku))), "{}", sent[0].text);
        assert!(sent[1].subject.starts_with("Back in stock") && sent[1].text.contains(&format!("https://vestify.vn/en/p/{slug}?variant=")), "{}", sent[1].text);
    }

    #[test]
    fn a_price_drop_of_five_percent_notifies_each_watcher_once_and_lowers_their_baseline() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 3, 0);
        db.exec(&format!("UPDATE variants SET price = 500000, compare_at_price = NULL WHERE id = {v}"));
        let watch = |email: &str| block_on(db.run(&subscribe_sql(AlertKind::PriceDrop, v, Channel::Email, email, "vi", NOW))).unwrap();
        watch("a@example.vn");
        let set_price = |price: i64, at: i64| {
            db.exec(&format!("UPDATE variants SET price = {price} WHERE id = {v}"));
            for _ in 0..2 {
                block_on(db.batch(&price_changed(v, at))).unwrap();
            }
        };
        let drops = || db.text("SELECT COALESCE(group_concat(recipient || ' ' || json_extract(payload, '$.was') || '>' || json_extract(payload, '$.price'), ', '), '') FROM (SELECT * FROM outbox WHERE kind = 'price_drop' ORDER BY id)");
        set_price(480_000, NOW + 1);
        assert_eq!(drops(), "", "4 % is not a drop");
        set_price(520_000, NOW + 2);
        set_price(475_000, NOW + 3);
        assert_eq!(drops(), "a@example.vn 500000>475000", "5 % below the price when subscribed, once though the batch ran twice");
        watch("b@example.vn");
        assert_eq!(db.int("SELECT price_at FROM alert_subscriptions WHERE recipient = 'b@example.vn'"), 475_000);
        set_price(460_000, NOW + 4);
        assert_eq!(drops(), "a@example.vn 500000>475000", "3 % below the new baseline");
        set_price(450_000, NOW + 5);
        assert_eq!(drops(), "a@example.vn 500000>475000, a@example.vn 475000>450000, b@example.vn 475000>450000");
        let mailer = FakeMailer::default();
        block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 6, 50)).unwrap();
        let sent = mailer.sent.borrow();
        assert_eq!(sent.len(), 3);
        assert!(sent[0].text.contains("450.000") && sent[0].text.contains("500.000"), "the price now and the one the shopper saw: {}", sent[0].text);
    }
}
