//! Abandoned-cart reminders (issue 14, docs/NOTIFICATIONS.md): one mail per cart "episode" to a
//! signed-in shopper who agreed to marketing mail, after an hour with items in the cart and no
//! order from it.
//!
//! The cart lives in its Durable Object; D1 sees it through `cart_activity`, one row per cart of
//! an account, upserted by [`activity_sql`] in the batch that renders the cart (its every view and
//! change already read the cart's owner there, so this costs no round trip, and a guest's cart
//! writes nothing). Guests are not reminded: the checkout form takes an email only with an order,
//! and asks for no marketing consent, so a guest who left has given neither.
//!
//! The cron's pass ([`due_batch`]) writes, once per episode (event key
//! `cart_reminder:<cart>:<since>`), the reminder of every cart with items idle for
//! [`IDLE_SECONDS`], no order from it since the episode began, whose owner's email is
//! `subscribed`; then marks those carts reminded. An episode begins when an empty cart, or one an
//! order was placed from, gets items again.

use super::db::Sql;
use super::outbox::{INSERT, ON_CONFLICT};
use crate::domain::notify::Kind;

/// Inactivity before a reminder: an hour.
pub const IDLE_SECONDS: i64 = 3_600;

/// The cart's activity (`items` units now), for a cart that belongs to an account; none else.
/// A new episode (`since` = now, not reminded) when the cart was empty or an order was placed
/// from it since its episode began.
pub fn activity_sql(cart_id: &str, items: i64, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO cart_activity (cart_id, customer_id, items, since, active_at) \
         SELECT ?1, c.id, ?2, ?3, ?3 FROM customers c WHERE c.cart_id = ?1 AND c.deleted_at IS NULL \
         ON CONFLICT (cart_id) DO UPDATE SET customer_id = excluded.customer_id, items = excluded.items, active_at = excluded.active_at, \
         since = CASE WHEN cart_activity.items = 0 OR EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = cart_activity.cart_id AND o.created_at >= cart_activity.since) \
                 THEN excluded.active_at ELSE cart_activity.since END, \
         reminded_at = CASE WHEN cart_activity.items = 0 OR EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = cart_activity.cart_id AND o.created_at >= cart_activity.since) \
                 THEN NULL ELSE cart_activity.reminded_at END",
    )
    .bind(cart_id)
    .bind(items.max(0))
    .bind(now)
}

/// The carts due a reminder (as a `FROM … WHERE` over `cart_activity r`, `customers c`,
/// `marketing_consents m`; `?1` = now).
const DUE: &str = "FROM cart_activity r JOIN customers c ON c.id = r.customer_id AND c.cart_id = r.cart_id AND c.deleted_at IS NULL \
     JOIN marketing_consents m ON m.channel = 'email' AND m.recipient = c.email AND m.status = 'subscribed' \
     WHERE r.items > 0 AND r.reminded_at IS NULL AND r.active_at <= ?1 - ?2 \
     AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = r.cart_id AND o.created_at >= r.since)";

/// The cron's pass: one reminder per due cart (a second pass, or two at once, write it once),
/// then those carts marked reminded (only those whose reminder is in the outbox).
pub fn due_batch(now: i64) -> [Sql; 2] {
    let kind = Kind::CartReminder.code();
    [
        Sql::new(format!(
            "{INSERT} SELECT '{kind}:' || r.cart_id || ':' || r.since, '{kind}', 'email', c.email, m.locale, \
             json_object('cart_id', r.cart_id, 'items', r.items), ?1, ?1 {DUE} {ON_CONFLICT}"
        ))
        .bind(now)
        .bind(IDLE_SECONDS),
        Sql::new(format!(
            "UPDATE cart_activity SET reminded_at = ?1 WHERE cart_id IN (SELECT r.cart_id {DUE} \
             AND EXISTS (SELECT 1 FROM outbox x WHERE x.dedupe_key = '{kind}:' || r.cart_id || ':' || r.since AND x.channel = 'email'))"
        ))
        .bind(now)
        .bind(IDLE_SECONDS),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::consent::{subscribe_sql, unsubscribe_batch};
    use crate::app::db::Db;
    use crate::app::outbox::run_pass;
    use crate::app::outbox::tests::{settings, FakeMailer};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::notify::Channel;

    const NOW: i64 = 1_800_000_000;

    fn account(db: &Sqlite, id: &str, email: &str, cart: &str) {
        db.exec(&format!("INSERT INTO customers (id, email, cart_id, created_at, updated_at) VALUES ('{id}', '{email}', '{cart}', 0, 0)"));
    }

    fn touch(db: &Sqlite, cart: &str, items: i64, at: i64) {
        block_on(db.run(&activity_sql(cart, items, at))).unwrap();
    }

    fn pass(db: &Sqlite, at: i64) -> u64 {
        block_on(db.batch(&due_batch(at))).unwrap()[0].changes()
    }

    fn order_from(db: &Sqlite, cart: &str, at: i64) {
        let v = crate::app::orders::fixtures::free_variant(db, 1, 0);
        let o = crate::app::orders::fixtures::place_order(db, 7, v, 1, "sandbox", at, at + 900);
        db.exec(&format!("UPDATE orders SET cart_id = '{cart}' WHERE id = '{}'", o.id));
    }

    #[test]
    fn a_consenting_shoppers_idle_cart_is_reminded_once_after_an_hour() {
        let db = Sqlite::demo();
        account(&db, "c1", "an@example.vn", "cart-a");
        account(&db, "c2", "bo@example.vn", "cart-b");
        block_on(db.run(&subscribe_sql(Channel::Email, "an@example.vn", "en", "newsletter", NOW))).unwrap();
        // bo never agreed to marketing; a guest's cart writes no row at all.
        touch(&db, "cart-a", 2, NOW);
        touch(&db, "cart-b", 1, NOW);
        touch(&db, "cart-guest", 3, NOW);
        assert_eq!(db.int("SELECT COUNT(*) FROM cart_activity"), 2);
        assert_eq!(pass(&db, NOW + IDLE_SECONDS - 1), 0, "not an hour yet");
        // Activity (a view or a change) starts the hour again.
        touch(&db, "cart-a", 3, NOW + 600);
        assert_eq!(pass(&db, NOW + IDLE_SECONDS), 0);
        // Two passes at once: one reminder.
        let at = NOW + 600 + IDLE_SECONDS;
        let (first, second) = (due_batch(at), due_batch(at));
        let (a, b) = block_on(async { futures::join!(db.batch(&first), db.batch(&second)) });
        assert_eq!(a.unwrap()[0].changes() + b.unwrap()[0].changes(), 1);
        assert_eq!(pass(&db, at + 3600), 0, "one per cart");
        touch(&db, "cart-a", 4, at + 4000);
        assert_eq!(pass(&db, at + 4000 + IDLE_SECONDS), 0, "more items in the same cart: still the one reminder");
        let mailer = FakeMailer::default();
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "p", at, 50)).unwrap().sent, 1);
        let sent = mailer.sent.borrow();
        assert_eq!(sent[0].to, "an@example.vn");
        assert!(sent[0].subject.starts_with("You left items in your cart"), "{}", sent[0].subject);
        assert!(sent[0].text.contains("https://vestify.vn/en/cart"), "{}", sent[0].text);
        assert_eq!(sent[0].headers[1].1, "List-Unsubscribe=One-Click", "marketing mail");
    }

    #[test]
    fn an_order_or_an_emptied_cart_ends_the_episode_and_an_unsubscribe_stops_it() {
        let db = Sqlite::demo();
        account(&db, "c1", "an@example.vn", "cart-a");
        block_on(db.run(&subscribe_sql(Channel::Email, "an@example.vn", "vi", "newsletter", NOW))).unwrap();
        touch(&db, "cart-a", 1, NOW);
        // An order from the cart: no reminder for what was bought.
        order_from(&db, "cart-a", NOW + 10);
        assert_eq!(pass(&db, NOW + 10 + IDLE_SECONDS), 0);
        // Items again after the order: a new episode, reminded once.
        touch(&db, "cart-a", 2, NOW + 100);
        assert_eq!(pass(&db, NOW + 100 + IDLE_SECONDS), 1);
        // Emptied, then filled again: another episode.
        touch(&db, "cart-a", 0, NOW + 10_000);
        assert_eq!(pass(&db, NOW + 10_000 + IDLE_SECONDS), 0, "an empty cart");
        touch(&db, "cart-a", 1, NOW + 20_000);
        assert_eq!(pass(&db, NOW + 20_000 + IDLE_SECONDS), 1);
        // After an unsubscribe nothing is written.
        block_on(db.batch(&unsubscribe_batch(Channel::Email, "an@example.vn", "preferences", NOW + 30_000))).unwrap();
        touch(&db, "cart-a", 0, NOW + 30_001);
        touch(&db, "cart-a", 1, NOW + 30_002);
        assert_eq!(pass(&db, NOW + 30_002 + IDLE_SECONDS), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'cart_reminder'"), 2);
    }
}
