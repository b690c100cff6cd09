//! Web Push: subscriptions (a browser opts in on an order page for that order, or on the account
//! page for the customer's orders) and their delivery through the outbox. An order's status
//! message is one `push` row per subscribed endpoint, written in the batch that moves the order
//! (beside its email); a pass renders each into a short notification, encrypts it for the
//! subscription (`domain::webpush`) and hands it to the push service. A 404/410 from the service
//! deletes the endpoint's subscriptions (the row is dead: nobody is there to receive it).

use serde::Deserialize;
use serde_json::Value;

use super::db::{Db, DbError, Sql};
use super::outbox::{locale_of, mail_for, run_channel, Claimed, PassReport, Settings, INSERT, ON_CONFLICT};
use crate::domain::encoding::base64url;
use crate::domain::notify::{Channel, Kind, SendError, TransportError};
use crate::domain::webpush::{self, PushOutcome, PushRequest, Subscription, Vapid};
use crate::views::email::{headline, Mail};

/// Whose messages a subscription receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// One order's (subscribed on its page, opened by its token).
    Order(String),
    /// A signed-in customer's orders (subscribed on the account page).
    Customer(String),
}

impl Owner {
    pub fn key(&self) -> String {
        match self {
            Owner::Order(id) => format!("order:{id}"),
            Owner::Customer(id) => format!("customer:{id}"),
        }
    }
}

/// Saves a subscription for `owner`; subscribing again (a new key pair for the same endpoint, or
/// another order) updates the endpoint's keys everywhere.
pub fn subscribe_batch(sub: &Subscription, owner: &Owner, locale: &str, now: i64) -> Vec<Sql> {
    let (p256dh, auth) = (base64url(&sub.p256dh), base64url(&sub.auth));
    vec![
        Sql::new("UPDATE push_subscriptions SET p256dh = ?2, auth = ?3 WHERE endpoint = ?1").bind(sub.endpoint.as_str()).bind(p256dh.as_str()).bind(auth.as_str()),
        Sql::new(
            "INSERT INTO push_subscriptions (endpoint, p256dh, auth, owner, locale, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (endpoint, owner) DO UPDATE SET locale = excluded.locale",
        )
        .bind(sub.endpoint.as_str())
        .bind(p256dh)
        .bind(auth)
        .bind(owner.key())
        .bind(locale)
        .bind(now),
    ]
}

/// The push rows of an order's event, selected from `orders o` (`?1` the order's id, `?2` now):
/// one per endpoint subscribed to the order or to its customer. The caller appends its gate
/// (`AND …`) and [`ON_CONFLICT`]; `kind` is an SQL expression.
pub(crate) fn order_push_select(kind: &str) -> String {
    format!(
        "{INSERT} SELECT {kind} || ':' || o.id, {kind}, 'push', s.endpoint, s.locale, \
         json_object('order_id', o.id, 'number', o.number, 'locale', s.locale), ?2, ?2 \
         FROM orders o JOIN push_subscriptions s ON s.owner = 'order:' || o.id OR s.owner = 'customer:' || o.customer_id \
         WHERE o.id = ?1"
    )
}

/// "We received your order" by push, in the batch that places it: reaches a signed-in customer's
/// subscribed browsers (a guest subscribes on the order page, after this).
pub fn order_placed_push_sql(order_id: &str, now: i64) -> Sql {
    Sql::new(format!("{} {ON_CONFLICT}", order_push_select("'order_placed'"))).bind(order_id).bind(now)
}

/// The push transport: the push service reached over HTTP, or a test's fake.
#[expect(async_fn_in_trait, reason = "used generically (`impl Pusher`), never as a `Send` future or a trait object")]
pub trait Pusher {
    /// Sends one request; the service's status, `Location` header and body, or why no answer came.
    async fn push(&self, request: &PushRequest) -> Result<(u16, Option<String>, String), TransportError>;
    /// A fresh sender key (32 bytes) and salt (16 bytes) for one message.
    fn fresh(&self) -> Option<([u8; 32], [u8; 16])>;
}

/// What push delivery needs from the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushConfig {
    pub vapid: Vapid,
    /// Origins beside public https ones that subscriptions may name (`PUSH_TEST_ORIGINS`): the
    /// local fake push service.
    pub test_origins: Vec<String>,
}

impl PushConfig {
    /// `VAPID_PRIVATE_KEY` (secret) and `VAPID_SUBJECT` (`mailto:`/`https:`); push is off without a
    /// usable key. `PUSH_TEST_ORIGINS` space-separated.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<PushConfig> {
        let subject = get("VAPID_SUBJECT").filter(|s| s.starts_with("mailto:") || s.starts_with("https:")).unwrap_or_else(|| "mailto:hello@vestify.vn".to_string());
        let vapid = Vapid::new(&get("VAPID_PRIVATE_KEY")?, &subject)?;
        let test_origins = get("PUSH_TEST_ORIGINS").unwrap_or_default().split_whitespace().map(|o| o.trim_end_matches('/').to_string()).collect();
        Some(PushConfig { vapid, test_origins })
    }
}

/// A message's time to live at the push service (a phone off for a day still gets it).
pub const PUSH_TTL: i64 = 86_400;

#[derive(Deserialize)]
struct Keys {
    p256dh: String,
    auth: String,
}

/// One delivery pass over the push channel.
pub async fn run_push_pass(db: &impl Db, pusher: &impl Pusher, settings: &Settings, config: &PushConfig, claim: &str, now: i64, limit: i64) -> Result<PassReport, DbError> {
    run_channel(db, Channel::Push, claim, now, limit, async |message: &Claimed| {
        let request = match push_request(db, message, settings, config, pusher, now).await? {
            Ok(request) => request,
            Err(e) => return Ok(Err(e)),
        };
        let (status, location, body) = match pusher.push(&request).await {
            Ok(answer) => answer,
            Err(e) => return Ok(Err(e.into_send_error("push service"))),
        };
        Ok(match webpush::outcome(status, location.as_deref(), &body) {
            PushOutcome::Sent(id) => Ok(id),
            PushOutcome::Gone => {
                db.run(&Sql::new("DELETE FROM push_subscriptions WHERE endpoint = ?").bind(message.recipient.as_str())).await?;
                Err(SendError::Permanent(format!("HTTP {status}: the subscription has expired; removed")))
            }
            PushOutcome::Failed(e) => Err(e),
        })
    })
    .await
}

/// The encrypted request for a claimed push row: the notification `{title, body, url, tag}`.
async fn push_request(db: &impl Db, message: &Claimed, settings: &Settings, config: &PushConfig, pusher: &impl Pusher, now: i64) -> Result<Result<PushRequest, SendError>, DbError> {
    let Some(kind) = Kind::parse(&message.kind) else { return Ok(Err(SendError::Permanent(format!("no template for {}", message.kind)))) };
    let Some(keys) = db.first::<Keys>(&Sql::new("SELECT p256dh, auth FROM push_subscriptions WHERE endpoint = ? LIMIT 1").bind(message.recipient.as_str())).await? else {
        return Ok(Err(SendError::Permanent("the subscription was removed".into())));
    };
    let subscription = match Subscription::parse(&message.recipient, &keys.p256dh, &keys.auth, &config.test_origins) {
        Ok(s) => s,
        Err(bad) => return Ok(Err(SendError::Permanent(format!("the subscription's {} is not acceptable", bad.field())))),
    };
    let locale = locale_of(&message.locale);
    let payload: Value = serde_json::from_str(&message.payload).unwrap_or(Value::Null);
    let (number, url) = match mail_for(db, kind, locale, &payload, settings).await? {
        Ok(Mail::Order { order, .. }) => (order.number, order.link),
        Ok(Mail::Link { url, .. }) => (String::new(), url),
        // An alert names its product where an order names its number.
        Ok(Mail::Alert { alert, .. }) => (alert.product, alert.url),
        // Campaigns go by email only (their segments are email consents).
        Ok(Mail::Campaign { .. }) => return Ok(Err(SendError::Permanent("campaigns are sent by email".into()))),
        Err(e) => return Ok(Err(e)),
    };
    let (title, body) = headline(kind, locale, &number);
    let tag = payload.get("order_id").and_then(Value::as_str).map(|id| format!("o{}", id.chars().take(31).collect::<String>()));
    let notification = serde_json::json!({"title": title, "body": body, "url": url, "tag": tag});
    let Some((sender, salt)) = pusher.fresh() else { return Ok(Err(SendError::Retry("no randomness for the message key".into()))) };
    Ok(webpush::request(&subscription, &config.vapid, notification.to_string().as_bytes(), PUSH_TTL, tag.as_deref(), now, &sender, &salt)
        .ok_or_else(|| SendError::Retry("the message could not be encrypted".into())))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use aes_gcm::aead::{Aead, KeyInit};
    use hkdf::Hkdf;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use sha2::Sha256;

    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::outbox::tests::settings;
    use crate::app::stock;
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_800_000_000;
    const ENDPOINT: &str = "https://push.example.com/send/abc";

    /// A browser: its key pair and secret.
    struct Browser {
        key: p256::SecretKey,
        auth: [u8; 16],
    }

    impl Browser {
        fn new(seed: u8) -> Browser {
            let mut d = [seed; 32];
            d[0] = 1;
            Browser { key: p256::SecretKey::from_slice(&d).unwrap(), auth: [seed; 16] }
        }

        fn subscription(&self, endpoint: &str) -> Subscription {
            let public = base64url(self.key.public_key().to_encoded_point(false).as_bytes());
            Subscription::parse(endpoint, &public, &base64url(&self.auth), &[]).unwrap()
        }

        /// RFC 8291 decryption, as the browser does it.
        fn decrypt(&self, body: &[u8]) -> Value {
            let (salt, rest) = body.split_at(16);
            assert_eq!(&rest[..5], &[0, 0, 16, 0, 65]);
            let (sender, sealed) = rest[5..].split_at(65);
            let sender = p256::PublicKey::from_sec1_bytes(sender).unwrap();
            let shared = p256::ecdh::diffie_hellman(self.key.to_nonzero_scalar(), sender.as_affine());
            let mut info = b"WebPush: info\0".to_vec();
            info.extend_from_slice(self.key.public_key().to_encoded_point(false).as_bytes());
            info.extend_from_slice(sender.to_encoded_point(false).as_bytes());
            let mut ikm = [0u8; 32];
            Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes()).expand(&info, &mut ikm).unwrap();
            let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
            let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
            prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).unwrap();
            prk.expand(b"Content-Encoding: nonce\0", &mut nonce).unwrap();
            let mut plain = aes_gcm::Aes128Gcm::new_from_slice(&cek).unwrap().decrypt(aes_gcm::Nonce::from_slice(&nonce), sealed).unwrap();
            assert_eq!(plain.pop(), Some(2));
            serde_json::from_slice(&plain).unwrap()
        }
    }

    #[derive(Default)]
    struct FakePushService {
        sent: RefCell<Vec<PushRequest>>,
        answers: RefCell<Vec<u16>>,
    }

    impl Pusher for FakePushService {
        async fn push(&self, request: &PushRequest) -> Result<(u16, Option<String>, String), TransportError> {
            let status = if self.answers.borrow().is_empty() { 201 } else { self.answers.borrow_mut().remove(0) };
            self.sent.borrow_mut().push(request.clone());
            Ok((status, Some(format!("https://push.example.com/m/{}", self.sent.borrow().len())), String::new()))
        }

        fn fresh(&self) -> Option<([u8; 32], [u8; 16])> {
            let n = self.sent.borrow().len() as u8 + 7;
            Some(([n; 32], [n; 16]))
        }
    }

    fn config() -> PushConfig {
        PushConfig::from_lookup(|name| match name {
            "VAPID_PRIVATE_KEY" => Some("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw".into()),
            "VAPID_SUBJECT" => Some("mailto:ops@vestify.vn".into()),
            _ => None,
        })
        .unwrap()
    }

    fn rows(db: &Sqlite) -> String {
        db.text("SELECT COALESCE(group_concat(kind || '/' || channel || '=' || status, ' '), '') FROM (SELECT * FROM outbox WHERE channel = 'push' ORDER BY id)")
    }

    #[test]
    fn an_order_followed_by_push_gets_its_status_messages_encrypted_for_the_browser() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let browser = Browser::new(3);
        // Subscribed twice (the page reloaded): one subscription.
        for _ in 0..2 {
            block_on(db.batch(&subscribe_batch(&browser.subscription(ENDPOINT), &Owner::Order(o.id.clone()), "en", NOW + 1))).unwrap();
        }
        assert_eq!(db.int("SELECT COUNT(*) FROM push_subscriptions"), 1);
        // Another order's subscription gets nothing of this order.
        block_on(db.batch(&subscribe_batch(&Browser::new(4).subscription("https://push.example.com/send/other"), &Owner::Order("someone-else".into()), "vi", NOW))).unwrap();
        for _ in 0..2 {
            block_on(db.batch(&stock::pay_order(&o.id, NOW + 10, "test"))).unwrap();
        }
        assert_eq!(rows(&db), "order_paid/push=pending");
        let service = FakePushService::default();
        let report = block_on(run_push_pass(&db, &service, &settings(), &config(), "p", NOW + 20, 50)).unwrap();
        assert_eq!((report.sent, report.dead), (1, 0));
        assert_eq!(rows(&db), "order_paid/push=sent");
        let sent = service.sent.borrow();
        let request = &sent[0];
        assert_eq!(request.url, ENDPOINT);
        let header = |name: &str| request.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        assert_eq!((header("content-encoding"), header("ttl")), (Some("aes128gcm"), Some("86400")));
        assert!(header("authorization").unwrap().starts_with("vapid t="));
        let shown = browser.decrypt(&request.body);
        let number = db.text(&format!("SELECT number FROM orders WHERE id = '{}'", o.id));
        assert_eq!(shown["title"], format!("Payment received — {number}"));
        assert!(shown["url"].as_str().unwrap().starts_with(&format!("https://vestify.vn/en/orders/{}?t=", o.id)), "{shown}");
        // The email went its own way: one email row beside the push row.
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'order_paid' AND channel = 'email'"), 1);
    }

    #[test]
    fn a_back_in_stock_signup_by_push_is_notified_on_restock_with_the_variants_link() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        db.exec(&format!("UPDATE variants SET on_hand = reserved WHERE id = {v}"));
        let browser = Browser::new(6);
        block_on(db.batch(&subscribe_batch(&browser.subscription(ENDPOINT), &Owner::Customer("c1".into()), "vi", NOW))).unwrap();
        let signup = crate::app::alerts::subscribe_sql(crate::app::alerts::AlertKind::BackInStock, v, Channel::Push, ENDPOINT, "vi", NOW);
        block_on(db.run(&signup)).unwrap();
        let a = crate::app::inventory::Adjustment { variant_id: v, delta: 1, reason: crate::app::inventory::Reason::Received, note: "", actor: "admin:1", request_id: "restock-push-0001", expected_on_hand: None, now: NOW + 1 };
        let audit = crate::app::admin::audit_sql(&crate::app::admin::Actor { id: "1", email: "kho@vestify.vn", ip: "" }, "stock.adjust", "variant", "1", None, None, NOW);
        block_on(db.batch(&crate::app::alerts::restock(&a, audit))).unwrap();
        let service = FakePushService::default();
        assert_eq!(block_on(run_push_pass(&db, &service, &settings(), &config(), "p", NOW + 2, 50)).unwrap().sent, 1);
        let shown = browser.decrypt(&service.sent.borrow()[0].body);
        let sku = db.text(&format!("SELECT sku FROM variants WHERE id = {v}"));
        let name = db.text(&format!("SELECT p.name_vi FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = {v}"));
        assert_eq!(shown["title"], format!("Đã có hàng trở lại — {name}"));
        assert!(shown["url"].as_str().unwrap().ends_with(&format!("?variant={sku}")), "{shown}");
    }

    #[test]
    fn a_gone_subscription_is_removed_and_its_message_is_not_retried() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        block_on(db.batch(&subscribe_batch(&Browser::new(3).subscription(ENDPOINT), &Owner::Order(o.id.clone()), "vi", NOW))).unwrap();
        block_on(db.batch(&stock::pay_order(&o.id, NOW + 10, "test"))).unwrap();
        let service = FakePushService::default();
        *service.answers.borrow_mut() = vec![503, 410];
        let first = block_on(run_push_pass(&db, &service, &settings(), &config(), "a", NOW + 20, 50)).unwrap();
        assert_eq!(first.retried, 1, "a 503 is retried");
        let second = block_on(run_push_pass(&db, &service, &settings(), &config(), "b", NOW + 20 + 60, 50)).unwrap();
        assert_eq!(second.dead, 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM push_subscriptions"), 0, "a 410 removes the subscription");
        assert_eq!(db.text("SELECT last_error FROM outbox WHERE channel = 'push'"), "HTTP 410: the subscription has expired; removed");
        // The next status finds no subscriber: no push row.
        block_on(db.batch(&crate::app::admin_orders::fulfil_order(&o.id, "ghn", "GHN1", "admin", NOW + 30))).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE channel = 'push'"), 1);
    }

    #[test]
    fn a_customers_subscription_follows_every_order_of_the_customer_from_its_placing() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        db.exec("INSERT INTO customers (id, email, password_hash, name, created_at, updated_at) VALUES ('c1', 'an@example.vn', 'x', 'An', 0, 0)");
        block_on(db.batch(&subscribe_batch(&Browser::new(5).subscription(ENDPOINT), &Owner::Customer("c1".into()), "vi", NOW))).unwrap();
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET customer_id = 'c1' WHERE id = '{}'", o.id));
        block_on(db.run(&order_placed_push_sql(&o.id, NOW))).unwrap();
        block_on(db.batch(&stock::pay_order(&o.id, NOW + 10, "test"))).unwrap();
        assert_eq!(rows(&db), "order_placed/push=pending order_paid/push=pending");
    }

    #[test]
    fn push_is_off_without_a_usable_vapid_key() {
        assert!(PushConfig::from_lookup(|_| None).is_none());
        assert!(PushConfig::from_lookup(|n| (n == "VAPID_PRIVATE_KEY").then(|| "nonsense".to_string())).is_none());
        let c = PushConfig::from_lookup(|n| match n {
            "VAPID_PRIVATE_KEY" => Some("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw".into()),
            "VAPID_SUBJECT" => Some("ops@vestify.vn".into()),
            "PUSH_TEST_ORIGINS" => Some("http://127.0.0.1:9100/ http://127.0.0.1:9101".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.vapid.subject, "mailto:hello@vestify.vn", "a subject without its scheme is replaced");
        assert_eq!(c.test_origins, ["http://127.0.0.1:9100", "http://127.0.0.1:9101"]);
    }
}
