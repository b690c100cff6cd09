//! Order messages by Zalo ZNS for a buyer who left a Vietnamese phone and no email: one `zns` row
//! per order event, written in the batch that places or moves the order (where the email row would
//! be), delivered by a pass through the configured provider (`domain::zns`).

use serde_json::Value;

use super::db::{Db, DbError, Sql};
use super::outbox::{idempotency_key_of, locale_of, mail_for, run_channel, Claimed, PassReport, Settings, INSERT, ON_CONFLICT};
use crate::domain::notify::{Channel, Kind, SendError, TransportError};
use crate::domain::payments::Outbound;
use crate::domain::zns::{self, OrderTemplate, ZnsConfig};
use crate::views::email::{headline, Mail};

/// The ZNS row of an order's event, selected from `orders o` (`?1` the order's id, `?2` now): only
/// for an order without an email and with a Vietnamese phone. The caller appends its gate
/// (`AND …`) and [`ON_CONFLICT`]; `kind` is an SQL expression.
pub(crate) fn order_zns_select(kind: &str) -> String {
    format!(
        "{INSERT} SELECT {kind} || ':' || o.id, {kind}, 'zns', o.phone, o.locale, \
         json_object('order_id', o.id, 'number', o.number, 'locale', o.locale), ?2, ?2 \
         FROM orders o WHERE o.id = ?1 AND o.email = '' AND o.phone LIKE '+84%'"
    )
}

/// "We received your order" by ZNS, in the batch that places it.
pub fn order_placed_zns_sql(order_id: &str, now: i64) -> Sql {
    Sql::new(format!("{} {ON_CONFLICT}", order_zns_select("'order_placed'"))).bind(order_id).bind(now)
}

/// The ZNS transport: the provider's HTTP API, or a test's fake.
#[expect(async_fn_in_trait, reason = "used generically (`impl ZnsSender`), never as a `Send` future or a trait object")]
pub trait ZnsSender {
    /// Sends one request; the status and body, or why no answer came.
    async fn send(&self, request: &Outbound) -> Result<(u16, String), TransportError>;
}

#[derive(serde::Deserialize)]
struct StoredToken {
    access_token: String,
    refresh_token: String,
    expires_at: i64,
}

fn stored_token_sql() -> Sql {
    Sql::new("SELECT access_token, refresh_token, expires_at FROM zns_tokens WHERE id = 1")
}

/// The OA access token to send with: the configured one when no refresh is set up; otherwise the
/// newest stored one while it has more than [`zns::REFRESH_MARGIN_SECONDS`] to live, else a fresh
/// one from Zalo (the first from `ZNS_REFRESH_TOKEN`), stored under the refresh token it was made
/// from. Two passes refreshing at once: Zalo takes the single-use refresh token once, one pair is
/// stored, and the other pass uses it. `Err` (inside) when no usable token can be had now: the
/// messages wait for the next pass.
pub async fn access_token(db: &impl Db, sender: &impl ZnsSender, config: &ZnsConfig, now: i64) -> Result<Result<String, SendError>, DbError> {
    let Some(refresh) = &config.refresh else { return Ok(Ok(config.access_token.clone())) };
    let stored: Option<StoredToken> = db.first(&stored_token_sql()).await?;
    if let Some(t) = stored.as_ref().filter(|t| t.expires_at > now + zns::REFRESH_MARGIN_SECONDS) {
        return Ok(Ok(t.access_token.clone()));
    }
    let used = stored.as_ref().map_or(refresh.first_token.clone(), |t| t.refresh_token.clone());
    let answer = match sender.send(&zns::refresh_request(refresh, &used)).await {
        Ok((status, body)) => zns::refresh_answer(status, &body, now),
        Err(e) => Err(e.into_send_error("Zalo OAuth")),
    };
    match answer {
        Ok(fresh) => {
            // Stored only over the pair it was made from (or as the first).
            let store = match &stored {
                Some(_) => Sql::new("UPDATE zns_tokens SET access_token = ?, refresh_token = ?, expires_at = ?, updated_at = ? WHERE id = 1 AND refresh_token = ?")
                    .bind(fresh.access_token.as_str())
                    .bind(fresh.refresh_token.as_str())
                    .bind(fresh.expires_at)
                    .bind(now)
                    .bind(used.as_str()),
                None => Sql::new("INSERT INTO zns_tokens (id, access_token, refresh_token, expires_at, updated_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
                    .bind(fresh.access_token.as_str())
                    .bind(fresh.refresh_token.as_str())
                    .bind(fresh.expires_at)
                    .bind(now),
            };
            db.run(&store).await?;
            Ok(Ok(fresh.access_token))
        }
        Err(e) => {
            // Another pass may have spent the refresh token a moment ago: its pair is stored.
            let now_stored: Option<StoredToken> = db.first(&stored_token_sql()).await?;
            Ok(match now_stored.filter(|t| t.refresh_token != used && t.expires_at > now) {
                Some(t) => Ok(t.access_token),
                None => Err(e),
            })
        }
    }
}

/// One delivery pass over the ZNS channel: with the OA's current access token ([`access_token`]);
/// without one, nothing is claimed and the messages wait.
pub async fn run_zns_pass(db: &impl Db, sender: &impl ZnsSender, settings: &Settings, config: &ZnsConfig, claim: &str, now: i64, limit: i64) -> Result<PassReport, DbError> {
    let token = match access_token(db, sender, config, now).await? {
        Ok(token) => token,
        Err(_) => return Ok(PassReport::default()),
    };
    let config = &ZnsConfig { access_token: token, ..config.clone() };
    run_channel(db, Channel::Zns, claim, now, limit, async |message: &Claimed| {
        let request = match zns_request(db, message, settings, config).await? {
            Ok(request) => request,
            Err(e) => return Ok(Err(e)),
        };
        Ok(match sender.send(&request).await {
            Ok((status, body)) => zns::answer(status, &body),
            Err(e) => Err(e.into_send_error("ZNS")),
        })
    })
    .await
}

async fn zns_request(db: &impl Db, message: &Claimed, settings: &Settings, config: &ZnsConfig) -> Result<Result<Outbound, SendError>, DbError> {
    let alert_template = config.alert_template_id.as_deref().filter(|_| Kind::parse(&message.kind).is_some_and(Kind::is_alert));
    let Some(kind) = Kind::parse(&message.kind).filter(|k| k.is_order() || alert_template.is_some()) else {
        return Ok(Err(SendError::Permanent(format!("no ZNS template for {}", message.kind))));
    };
    let Some(phone) = zns::zns_phone(&message.recipient) else { return Ok(Err(SendError::Permanent("not a Vietnamese phone".into()))) };
    let locale = locale_of(&message.locale);
    let payload: Value = serde_json::from_str(&message.payload).unwrap_or(Value::Null);
    // An alert (back in stock, price drop) by the alert template: the product, the news, the link
    // that lands on the variant.
    if let Some(template_id) = alert_template {
        return Ok(match mail_for(db, kind, locale, &payload, settings).await? {
            Ok(Mail::Alert { alert, .. }) => {
                let (status, _) = headline(kind, locale, "");
                let values = zns::AlertTemplate { product_name: format!("{} ({})", alert.product, alert.variant), status, product_link: alert.url };
                Ok(zns::alert_request(config, template_id, &phone, &values, &idempotency_key_of(message)))
            }
            Ok(_) => Err(SendError::Permanent("not an alert".into())),
            Err(e) => Err(e),
        });
    }
    let order = match mail_for(db, kind, locale, &payload, settings).await? {
        Ok(Mail::Order { order, .. }) => order,
        Ok(Mail::Link { .. } | Mail::Alert { .. } | Mail::Campaign { .. }) => return Ok(Err(SendError::Permanent("not an order message".into()))),
        Err(e) => return Ok(Err(e)),
    };
    let (status, _) = headline(kind, locale, "");
    let values = OrderTemplate { order_number: order.number, customer_name: order.name, status, order_link: order.link };
    Ok(Ok(zns::request(config, &phone, &values, &idempotency_key_of(message))))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::outbox::tests::settings;
    use crate::app::stock;
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_800_000_000;

    #[derive(Default)]
    struct FakeZalo {
        sent: RefCell<Vec<Value>>,
        /// The access token each message was sent with.
        tokens: RefCell<Vec<String>>,
        refreshes: RefCell<Vec<String>>,
        spent: RefCell<Vec<usize>>,
    }

    impl ZnsSender for FakeZalo {
        async fn send(&self, request: &Outbound) -> Result<(u16, String), TransportError> {
            if request.url.contains("unreachable") {
                return Err(TransportError::Unreachable("connection refused".into()));
            }
            if request.url.ends_with("/v4/oa/access_token") {
                // Each refresh token once: rtN → atN+1 / rtN+1.
                self.refreshes.borrow_mut().push(request.body.clone().unwrap_or_default());
                let body = request.body.as_deref().unwrap_or_default();
                let n: usize = body.split('&').find_map(|p| p.strip_prefix("refresh_token=rt")).and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
                let spent = self.spent.borrow().contains(&n);
                if n == usize::MAX || spent {
                    return Ok((200, r#"{"error":-14014,"error_description":"Invalid refresh token"}"#.into()));
                }
                self.spent.borrow_mut().push(n);
                return Ok((200, format!(r#"{{"access_token":"at{m}","refresh_token":"rt{m}","expires_in":"90000"}}"#, m = n + 1)));
            }
            self.tokens.borrow_mut().push(request.headers.iter().find(|(k, _)| k == "access_token").map(|(_, v)| v.clone()).unwrap_or_default());
            let body: Value = serde_json::from_str(request.body.as_deref().unwrap_or_default()).unwrap();
            let phone = body["phone"].as_str().unwrap_or_default().to_string();
            self.sent.borrow_mut().push(body);
            Ok(if phone == "84900000000" { (200, r#"{"error":-108,"message":"Phone number is invalid"}"#.into()) } else { (200, format!(r#"{{"error":0,"message":"Success","data":{{"msg_id":"z{}"}}}}"#, self.sent.borrow().len())) })
        }
    }

    fn config() -> ZnsConfig {
        ZnsConfig { base: "http://zalo.test".into(), access_token: "tok".into(), template_id: "555".into(), development: false, alert_template_id: Some("777".into()), refresh: None }
    }

    #[test]
    fn a_phone_only_order_gets_its_messages_by_zns_and_an_order_with_email_does_not() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 3, 0);
        let phone_only = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let with_email = place_order(&db, 2, v, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET email = '', phone = '+84912345678' WHERE id = '{}'", phone_only.id));
        db.exec(&format!("DELETE FROM outbox WHERE json_extract(payload, '$.order_id') = '{}'", phone_only.id));
        block_on(db.run(&order_placed_zns_sql(&phone_only.id, NOW))).unwrap();
        for o in [&phone_only, &with_email] {
            for _ in 0..2 {
                block_on(db.batch(&stock::pay_order(&o.id, NOW + 10, "test"))).unwrap();
            }
        }
        let zalo = FakeZalo::default();
        let report = block_on(run_zns_pass(&db, &zalo, &settings(), &config(), "z", NOW + 20, 50)).unwrap();
        assert_eq!((report.claimed, report.sent), (2, 2));
        let sent = zalo.sent.borrow();
        let number = db.text(&format!("SELECT number FROM orders WHERE id = '{}'", phone_only.id));
        assert_eq!(sent.iter().map(|b| b["template_data"]["status"].as_str().unwrap()).collect::<Vec<_>>(), ["Đã nhận đơn hàng", "Đã nhận thanh toán"]);
        assert!(sent.iter().all(|b| b["phone"] == "84912345678" && b["template_id"] == "555" && b["template_data"]["order_number"] == number.as_str()));
        assert!(sent[0]["template_data"]["order_link"].as_str().unwrap().contains(&phone_only.id));
        assert_eq!(db.text("SELECT group_concat(provider_id, ' ') FROM outbox WHERE channel = 'zns'"), "z1 z2");
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM outbox WHERE channel = 'zns' AND json_extract(payload, '$.order_id') = '{}'", with_email.id)), 0);
    }

    #[test]
    fn a_back_in_stock_signup_by_phone_is_sent_by_the_alert_template() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        db.exec(&format!("UPDATE variants SET on_hand = reserved WHERE id = {v}"));
        let sub = crate::app::alerts::subscribe_sql(crate::app::alerts::AlertKind::BackInStock, v, Channel::Zns, "+84912345678", "vi", NOW);
        block_on(db.run(&sub)).unwrap();
        let a = crate::app::inventory::Adjustment { variant_id: v, delta: 1, reason: crate::app::inventory::Reason::Received, note: "", actor: "admin:1", request_id: "restock-zns-0001", expected_on_hand: None, now: NOW + 1 };
        let audit = crate::app::admin::audit_sql(&crate::app::admin::Actor { id: "1", email: "kho@vestify.vn", ip: "" }, "stock.adjust", "variant", "1", None, None, NOW);
        block_on(db.batch(&crate::app::alerts::restock(&a, audit))).unwrap();
        let zalo = FakeZalo::default();
        let report = block_on(run_zns_pass(&db, &zalo, &settings(), &config(), "z", NOW + 2, 50)).unwrap();
        assert_eq!(report.sent, 1, "{report:?}");
        let sent = zalo.sent.borrow();
        assert_eq!((sent[0]["phone"].as_str(), sent[0]["template_id"].as_str(), sent[0]["template_data"]["status"].as_str()), (Some("84912345678"), Some("777"), Some("Đã có hàng trở lại")));
        let sku = db.text(&format!("SELECT sku FROM variants WHERE id = {v}"));
        assert!(sent[0]["template_data"]["product_link"].as_str().unwrap().ends_with(&format!("?variant={sku}")), "{}", sent[0]);
        // Without the alert template the message is not sent by the order template.
        drop(sent);
        db.exec("UPDATE outbox SET status = 'pending', attempts = 0 WHERE channel = 'zns'");
        let no_template = ZnsConfig { alert_template_id: None, ..config() };
        assert_eq!(block_on(run_zns_pass(&db, &zalo, &settings(), &no_template, "y", NOW + 3, 50)).unwrap().dead, 1);
    }

    #[test]
    fn the_oa_token_is_refreshed_before_it_lapses_with_each_refresh_token_once() {
        let db = Sqlite::demo();
        let refresh = zns::RefreshConfig { oauth_base: "http://oauth.test".into(), app_id: "app1".into(), app_secret: "s".into(), first_token: "rt0".into() };
        let config = ZnsConfig { access_token: String::new(), refresh: Some(refresh), ..config() };
        let zalo = FakeZalo::default();
        // The first pass refreshes from ZNS_REFRESH_TOKEN and stores the pair; two at once spend it once.
        let (a, b) = block_on(async { futures::join!(access_token(&db, &zalo, &config, NOW), access_token(&db, &zalo, &config, NOW)) });
        assert_eq!((a.unwrap(), b.unwrap()), (Ok("at1".to_string()), Ok("at1".to_string())));
        assert_eq!(db.text("SELECT access_token || ' ' || refresh_token || ' ' || expires_at FROM zns_tokens"), format!("at1 rt1 {}", NOW + 90_000));
        // Used while it lives; refreshed with the stored (newest) refresh token near its end.
        assert_eq!(block_on(access_token(&db, &zalo, &config, NOW + 80_000)).unwrap(), Ok("at1".to_string()));
        assert_eq!(block_on(access_token(&db, &zalo, &config, NOW + 89_500)).unwrap(), Ok("at2".to_string()));
        assert!(zalo.refreshes.borrow().last().unwrap().starts_with("refresh_token=rt1&app_id=app1"));
        assert_eq!(db.text("SELECT refresh_token FROM zns_tokens"), "rt2");
        // A pass sends with the current token.
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET email = '', phone = '+84912345678' WHERE id = '{}'", o.id));
        block_on(db.run(&order_placed_zns_sql(&o.id, NOW))).unwrap();
        assert_eq!(block_on(run_zns_pass(&db, &zalo, &settings(), &config, "z", NOW + 89_600, 50)).unwrap().sent, 1);
        assert_eq!(zalo.tokens.borrow().as_slice(), ["at2"]);
        // A refresh token Zalo refuses (spent elsewhere): nothing is claimed, the message waits.
        db.exec("UPDATE zns_tokens SET refresh_token = 'rt0', expires_at = 0");
        db.exec("UPDATE outbox SET status = 'pending', attempts = 0 WHERE channel = 'zns'");
        assert_eq!(block_on(run_zns_pass(&db, &zalo, &settings(), &config, "y", NOW + 100_000, 50)).unwrap().claimed, 0);
    }

    #[test]
    fn zalo_out_of_reach_is_retried_with_the_backoff() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET email = '', phone = '+84912345678' WHERE id = '{}'", o.id));
        block_on(db.run(&order_placed_zns_sql(&o.id, NOW))).unwrap();
        let away = ZnsConfig { base: "http://unreachable.test".into(), ..config() };
        let report = block_on(run_zns_pass(&db, &FakeZalo::default(), &settings(), &away, "z", NOW + 20, 50)).unwrap();
        assert_eq!((report.retried, report.dead), (1, 0));
        assert_eq!(db.text("SELECT status || ' ' || last_error FROM outbox WHERE channel = 'zns'"), "pending ZNS unreachable: connection refused");
    }

    #[test]
    fn a_phone_zalo_refuses_is_a_dead_letter_at_once() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET email = '', phone = '+84900000000' WHERE id = '{}'", o.id));
        block_on(db.batch(&stock::pay_order(&o.id, NOW + 10, "test"))).unwrap();
        let report = block_on(run_zns_pass(&db, &FakeZalo::default(), &settings(), &config(), "z", NOW + 20, 50)).unwrap();
        assert_eq!(report.dead, 1);
        assert_eq!(db.text("SELECT status || ' ' || last_error FROM outbox WHERE channel = 'zns'"), "dead ZNS error -108: Phone number is invalid");
    }
}
