//! Marketing consent (issue 14, docs/NOTIFICATIONS.md): whether an address gets marketing mail.
//!
//! Marketing mail (`Kind::is_marketing`: alerts, campaigns, cart reminders) carries RFC 8058 one-click unsubscribe and a
//! signed preferences link (`domain::notify::preferences_token`). An unsubscribe, by either, marks
//! the address `unsubscribed`, drops its alert subscriptions and skips its marketing messages still
//! waiting in the outbox; the delivery pass checks again when it sends ([`may_send_sql`]).
//! Transactional mail never looks here.

use serde::Deserialize;

use super::db::Sql;
use crate::domain::notify::{Channel, Kind};

/// The marketing kinds as an SQL list (`'back_in_stock', …`).
fn marketing_kinds() -> String {
    Kind::ALL.iter().filter(|k| k.is_marketing()).map(|k| format!("'{}'", k.code())).collect::<Vec<_>>().join(", ")
}

/// Unsubscribes `recipient` from every marketing message (`via`: the kind of mail whose link was
/// used, or `preferences`): the consent row (created if the address had none), its alert
/// subscriptions, and its marketing messages not yet sent. Repeating it changes nothing more.
pub fn unsubscribe_batch(channel: Channel, recipient: &str, via: &str, now: i64) -> Vec<Sql> {
    vec![
        Sql::new(
            "INSERT INTO marketing_consents (channel, recipient, status, source, unsubscribed_at, unsubscribed_via, created_at, updated_at) \
             VALUES (?, ?, 'unsubscribed', 'unsubscribe', ?, ?, ?, ?) \
             ON CONFLICT (channel, recipient) DO UPDATE SET status = 'unsubscribed', unsubscribed_at = excluded.unsubscribed_at, \
             unsubscribed_via = excluded.unsubscribed_via, updated_at = excluded.updated_at WHERE status <> 'unsubscribed'",
        )
        .bind(channel.code())
        .bind(recipient)
        .bind(now)
        .bind(via)
        .bind(now)
        .bind(now),
        Sql::new("DELETE FROM alert_subscriptions WHERE channel = ? AND recipient = ?").bind(channel.code()).bind(recipient),
        Sql::new(format!("UPDATE outbox SET status = 'skipped', last_error = 'unsubscribed' WHERE channel = ? AND recipient = ? AND status = 'pending' AND kind IN ({})", marketing_kinds()))
            .bind(channel.code())
            .bind(recipient),
    ]
}

/// Agrees to marketing messages from the signed preferences page (the link proves the address).
pub fn subscribe_sql(channel: Channel, recipient: &str, locale: &str, source: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO marketing_consents (channel, recipient, locale, status, source, confirmed_at, created_at, updated_at) \
         VALUES (?, ?, ?, 'subscribed', ?, ?, ?, ?) \
         ON CONFLICT (channel, recipient) DO UPDATE SET status = 'subscribed', locale = excluded.locale, confirmed_at = excluded.confirmed_at, \
         unsubscribed_at = NULL, unsubscribed_via = NULL, updated_at = excluded.updated_at WHERE status <> 'subscribed'",
    )
    .bind(channel.code())
    .bind(recipient)
    .bind(locale)
    .bind(source)
    .bind(now)
    .bind(now)
    .bind(now)
}

/// An address's consent as its preferences page shows it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Consent {
    /// `none` when the address has no row.
    pub status: String,
    /// Alerts waiting for this address.
    pub alerts: i64,
}

pub fn consent_sql(channel: Channel, recipient: &str) -> Sql {
    Sql::new(
        "SELECT COALESCE((SELECT status FROM marketing_consents WHERE channel = ? AND recipient = ?), 'none') AS status, \
         (SELECT COUNT(*) FROM alert_subscriptions WHERE channel = ? AND recipient = ? AND notified_at IS NULL) AS alerts",
    )
    .bind(channel.code())
    .bind(recipient)
    .bind(channel.code())
    .bind(recipient)
}

/// Whether a marketing message may go to `recipient` now (`ok` = 1): alerts, which the shopper
/// asked for one by one, unless they unsubscribed.
pub fn may_send_sql(channel: Channel, recipient: &str) -> Sql {
    Sql::new("SELECT NOT EXISTS (SELECT 1 FROM marketing_consents WHERE channel = ? AND recipient = ? AND status = 'unsubscribed') AS ok")
        .bind(channel.code())
        .bind(recipient)
}

#[derive(Deserialize)]
pub struct MaySend {
    pub ok: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::alerts::{restock, subscribe_sql as alert_sql, AlertKind};
    use crate::app::db::Db;
    use crate::app::inventory::{Adjustment, Reason};
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::outbox::run_pass;
    use crate::app::outbox::tests::{settings, FakeMailer};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::notify::{preferences_token, verify_preferences_token};

    const NOW: i64 = 1_800_000_000;

    fn restocked(db: &Sqlite, v: i64, request_id: &str, at: i64) {
        let a = Adjustment { variant_id: v, delta: 1, reason: Reason::Received, note: "", actor: "admin:1", request_id, expected_on_hand: None, now: at };
        block_on(db.batch(&restock(&a, crate::app::admin::audit_sql(&crate::app::admin::Actor { id: "1", email: "kho@vestify.vn", ip: "" }, "stock.adjust", "variant", "1", None, None, 0)))).unwrap();
    }

    #[test]
    fn marketing_mail_carries_one_click_unsubscribe_and_a_signed_preferences_link_and_order_mail_does_not() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE variants SET on_hand = reserved WHERE id = {v}"));
        block_on(db.run(&alert_sql(AlertKind::BackInStock, v, Channel::Email, "an@example.vn", "vi", NOW))).unwrap();
        restocked(&db, v, "restock-000000001", NOW + 1);
        let mailer = FakeMailer::default();
        block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 2, 50)).unwrap();
        let sent = mailer.sent.borrow();
        let (order, alert) = (&sent[0], &sent[1]);
        assert!(order.headers.is_empty(), "transactional: {:?}", order.headers);
        let token = preferences_token(b"secret", Channel::Email, "an@example.vn");
        let unsubscribe = format!("https://vestify.vn/email/unsubscribe?t={token}");
        assert_eq!(alert.headers, [("List-Unsubscribe".to_string(), format!("<{unsubscribe}>")), ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string())]);
        let preferences = format!("https://vestify.vn/email/preferences?t={token}");
        assert!(alert.text.contains(&preferences) && alert.html.contains(&preferences), "{}", alert.text);
        assert_eq!(verify_preferences_token(b"secret", &token).as_deref(), Some("an@example.vn"));
    }

    #[test]
    fn after_an_unsubscribe_no_marketing_mail_goes_but_order_mail_does() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        db.exec(&format!("UPDATE variants SET on_hand = reserved WHERE id = {v}"));
        for email in ["an@example.vn", "bo@example.vn"] {
            block_on(db.run(&alert_sql(AlertKind::BackInStock, v, Channel::Email, email, "vi", NOW))).unwrap();
        }
        restocked(&db, v, "restock-000000001", NOW + 1);
        // an unsubscribes (twice: the provider's POST, then the link) before the pass: their alert is skipped.
        for _ in 0..2 {
            block_on(db.batch(&unsubscribe_batch(Channel::Email, "an@example.vn", "back_in_stock", NOW + 2))).unwrap();
        }
        assert_eq!(db.text("SELECT status || ' ' || unsubscribed_via FROM marketing_consents WHERE recipient = 'an@example.vn'"), "unsubscribed back_in_stock");
        // A message claimed before the unsubscribe landed is checked again when it is sent.
        db.exec("UPDATE outbox SET status = 'pending', last_error = NULL WHERE recipient = 'an@example.vn'");
        let mailer = FakeMailer::default();
        let report = block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 3, 50)).unwrap();
        assert_eq!((report.sent, report.skipped), (1, 1));
        assert_eq!(mailer.sent.borrow().iter().map(|e| e.to.as_str()).collect::<Vec<_>>(), ["bo@example.vn"]);
        assert_eq!(db.text("SELECT status FROM outbox WHERE recipient = 'an@example.vn'"), "skipped");
        // Their alerts are gone; an order still mails them.
        assert_eq!(db.int("SELECT COUNT(*) FROM alert_subscriptions WHERE recipient = 'an@example.vn'"), 0);
        db.exec(&format!("UPDATE variants SET on_hand = 5 WHERE id = {v}"));
        let o = place_order(&db, 1, v, 1, "sandbox", NOW + 4, NOW + 900);
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "q", NOW + 5, 50)).unwrap().sent, 1);
        assert!(mailer.sent.borrow().last().unwrap().text.contains(&o.id), "transactional mail always goes");
        let c: Consent = block_on(db.first(&consent_sql(Channel::Email, "an@example.vn"))).unwrap().unwrap();
        assert_eq!(c, Consent { status: "unsubscribed".into(), alerts: 0 });
        // Subscribing again from the preferences page.
        assert_eq!(block_on(db.run(&subscribe_sql(Channel::Email, "an@example.vn", "vi", "preferences", NOW + 6))).unwrap(), 1);
        assert_eq!(block_on(db.first::<Consent>(&consent_sql(Channel::Email, "an@example.vn"))).unwrap().unwrap().status, "subscribed");
    }
}
