//! Webhooks for apps and integrations (docs/WEBHOOKS.md): the endpoints registry (managers, in
//! the admin, every write audited in its batch), the event rows and their delivery.
//!
//! An event's deliveries are outbox rows on the `webhook` channel, one per subscribed active
//! endpoint (the recipient is the endpoint's id), written in the same batch as the change that
//! causes them: the order's placement (`app::orders`), its moves (`app::stock::order_move`: paid,
//! shipped, cancelled), a refund's confirmation (`app::refunds`), a product's edit
//! (`app::admin_product`); `stock.low` by a trigger on the variants' stock update (migration
//! 0047). The outbox's unique (event key, channel, recipient) makes a flow that runs twice write
//! each delivery once. A pass ([`run_webhook_pass`]) POSTs each, signed, with the outbox's retries.

use serde::Deserialize;
use serde_json::{json, Value};

use super::admin::{audit_created_sql, audit_sql, Actor};
use super::db::{Db, DbError, Sql, SqlValue};
use super::outbox::{run_channel, Claimed, PassReport, INSERT, ON_CONFLICT};
use crate::domain::notify::{Channel, SendError, TransportError};
use crate::domain::webhooks::{self, check_url, event_id, events_from_form, BadUrl, Delivery, Event};

/// The endpoints `e` subscribed to `event` and active (a join condition).
fn subscribed(event: Event) -> String {
    format!("e.active = 1 AND instr(' ' || e.events || ' ', ' {} ') > 0", event.code())
}

/// An order as events carry it, from `orders o`; `status` an SQL expression (the status it moves to).
fn order_data(status: &str) -> String {
    format!(
        "json_object('order_id', o.id, 'number', o.number, 'status', {status}, 'total', o.total, 'currency', o.currency, \
         'email', o.email, 'phone', o.phone, 'placed_at', o.created_at)"
    )
}

/// The rows of an order's `event`, selected from `orders o` (`?1` the order's id, `?2` now);
/// `status` the SQL expression of the status it is in after the change. The caller appends its
/// gate (`AND …`) and [`ON_CONFLICT`].
pub(crate) fn order_event_select(event: Event, status: &str) -> String {
    let code = event.code();
    format!(
        "{INSERT} SELECT '{code}:' || o.id, '{code}', 'webhook', e.id, 'en', json_object('created_at', ?2, 'data', {}), ?2, ?2 \
         FROM orders o JOIN webhook_endpoints e ON {} WHERE o.id = ?1",
        order_data(status),
        subscribed(event)
    )
}

/// `order.created`, in the batch that places the order (after its row).
pub fn order_created_sql(order_id: &str, now: i64) -> Sql {
    Sql::new(format!("{} {ON_CONFLICT}", order_event_select(Event::OrderCreated, "o.status"))).bind(order_id).bind(now)
}

/// `refund.created`, in the batch that records the provider's confirmation, gated like the
/// refund's email on the refund still being pending (the batch's last statement flips it).
pub fn refund_created_sql(refund_id: &str, now: i64) -> Sql {
    let code = Event::RefundCreated.code();
    Sql::new(format!(
        "{INSERT} SELECT '{code}:' || r.id, '{code}', 'webhook', e.id, 'en', \
         json_object('created_at', ?2, 'data', json_object('refund_id', r.id, 'order_id', o.id, 'number', o.number, 'amount', r.amount, \
         'currency', r.currency, 'provider', r.provider)), ?2, ?2 \
         FROM refunds r JOIN orders o ON o.id = r.order_id JOIN webhook_endpoints e ON {} WHERE r.id = ?1 AND r.status = 'pending' {ON_CONFLICT}",
        subscribed(Event::RefundCreated)
    ))
    .bind(refund_id)
    .bind(now)
}

/// `product.updated`, right after the audit row of the edit it reports (gated, as that row is, on
/// the edit having changed something: `changes()` of the statement before). One event per
/// product and second.
pub fn product_updated_sql(product_id: i64, now: i64) -> Sql {
    let code = Event::ProductUpdated.code();
    Sql::new(format!(
        "{INSERT} SELECT '{code}:' || p.id || ':' || ?, '{code}', 'webhook', e.id, 'en', \
         json_object('created_at', ?, 'data', json_object('product_id', p.id, 'slug', p.slug, 'status', p.status, 'name_vi', p.name_vi, 'name_en', p.name_en, \
         'min_price', (SELECT MIN(v.price) FROM variants v WHERE v.product_id = p.id AND v.status = 'active'), \
         'max_price', (SELECT MAX(v.price) FROM variants v WHERE v.product_id = p.id AND v.status = 'active'))), ?, ? \
         FROM products p JOIN webhook_endpoints e ON {} WHERE p.id = ? AND changes() > 0 {ON_CONFLICT}",
        subscribed(Event::ProductUpdated)
    ))
    .bind(now)
    .bind(now)
    .bind(now)
    .bind(now)
    .bind(product_id)
}

// ---------------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------------

/// An endpoint as the admin lists it (never its secret).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub active: i64,
    pub created_by: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

const ENDPOINT_COLUMNS: &str = "id, url, events, active, created_by, created_at, disabled_at";

pub fn endpoints_sql() -> Sql {
    Sql::new(format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"))
}

pub fn endpoint_sql(id: i64) -> Sql {
    Sql::new(format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?")).bind(id)
}

/// The most endpoints a shop may register.
pub const MAX_ENDPOINTS: i64 = 20;

/// Why an endpoint was not registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterError {
    Url(BadUrl),
    /// No event ticked (or an unknown one).
    Events,
    /// [`MAX_ENDPOINTS`] already.
    TooMany,
    /// No `SHOP_SECRET` to seal the signing secret with.
    NoShopSecret,
}

/// A checked registration: the URL as stored and the events (space-separated codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub url: String,
    pub events: String,
}

/// Checks the admin's form: an acceptable URL (`test_origins` aside, https to a public host) and at
/// least one event.
pub fn check_registration(url: &str, ticked: &[&str], test_origins: &[String]) -> Result<Registration, RegisterError> {
    let url = check_url(url, test_origins).map_err(RegisterError::Url)?;
    let events = events_from_form(ticked).ok_or(RegisterError::Events)?;
    Ok(Registration { url, events })
}

/// Registers an endpoint with its sealed secret, audited (the secret in neither row's clear text),
/// unless the shop has [`MAX_ENDPOINTS`] already (checked in the insert itself).
pub async fn register(db: &impl Db, actor: &Actor<'_>, r: &Registration, sealed_secret: &str, now: i64) -> Result<Result<i64, RegisterError>, DbError> {
    let results = db
        .batch(&[
            Sql::new(
                "INSERT INTO webhook_endpoints (url, events, secret, active, created_by, created_at) \
                 SELECT ?, ?, ?, 1, ?, ? WHERE (SELECT COUNT(*) FROM webhook_endpoints) < ?",
            )
            .bind(r.url.as_str())
            .bind(r.events.as_str())
            .bind(sealed_secret)
            .bind(actor.id)
            .bind(now)
            .bind(MAX_ENDPOINTS),
            audit_created_sql(actor, "webhook.create", "webhook_endpoint", "webhook_endpoints", &json!({"url": r.url, "events": r.events}), now),
            Sql::new("SELECT MAX(id) AS id FROM webhook_endpoints"),
        ])
        .await?;
    if results.first().is_none_or(|r| r.changes() == 0) {
        return Ok(Err(RegisterError::TooMany));
    }
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let id = results.get(2).map(|r| r.first::<Id>()).transpose()?.flatten().ok_or(DbError::Shape("webhook endpoint id"))?;
    Ok(Ok(id.id))
}

/// Turns an endpoint on or off, audited; `changes()` of the first is 0 when it is unknown or
/// already so. A disabled endpoint gets no new events, and its pending deliveries die.
pub fn set_active_batch(actor: &Actor, id: i64, active: bool, now: i64) -> Vec<Sql> {
    let disabled_at = if active { SqlValue::Null } else { SqlValue::Int(now) };
    let mut update = Sql::new("UPDATE webhook_endpoints SET active = ?, disabled_at = ? WHERE id = ? AND active <> ?").bind(i64::from(active));
    update.params.push(disabled_at);
    vec![
        update.bind(id).bind(i64::from(active)),
        audit_sql(actor, if active { "webhook.enable" } else { "webhook.disable" }, "webhook_endpoint", &id.to_string(), Some(&json!({"active": !active})), Some(&json!({"active": active})), now),
    ]
}

/// Deletes an endpoint, audited (its log rows stay in the outbox; undelivered ones die at send).
pub fn delete_batch(actor: &Actor, before: &EndpointRow, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("DELETE FROM webhook_endpoints WHERE id = ?").bind(before.id),
        audit_sql(actor, "webhook.delete", "webhook_endpoint", &before.id.to_string(), Some(&json!({"url": before.url, "events": before.events})), None, now),
    ]
}

/// "Send test event": a `ping` to one endpoint (active or not), audited.
pub fn test_event_batch(actor: &Actor, id: i64, now: i64) -> Vec<Sql> {
    let code = Event::Ping.code();
    vec![
        Sql::new(format!(
            "{INSERT} SELECT '{code}:' || e.id || ':' || ?2, '{code}', 'webhook', e.id, 'en', \
             json_object('created_at', ?2, 'data', json_object('endpoint_id', e.id, 'message', 'Test event from Vestify')), ?2, ?2 \
             FROM webhook_endpoints e WHERE e.id = ?1 {ON_CONFLICT}"
        ))
        .bind(id)
        .bind(now),
        audit_sql(actor, "webhook.test", "webhook_endpoint", &id.to_string(), None, Some(&json!({"event": code})), now),
    ]
}

/// A delivery as the endpoint's log shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub dedupe_key: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub response_code: Option<i64>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The newest deliveries to an endpoint (its log), at most 100.
pub fn deliveries_sql(endpoint_id: i64) -> Sql {
    Sql::new(
        "SELECT id, dedupe_key, kind, status, attempts, next_attempt_at, last_error, response_code, created_at, sent_at \
         FROM outbox WHERE channel = 'webhook' AND recipient = ? ORDER BY id DESC LIMIT 100",
    )
    .bind(endpoint_id.to_string())
}

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

/// The transport: `fetch` in the Worker (with a timeout), a test's fake.
#[expect(async_fn_in_trait, reason = "used generically (`impl WebhookSender`), never as a `Send` future or a trait object")]
pub trait WebhookSender {
    /// POSTs one delivery; the receiver's status and body, or why no answer came (a timeout too).
    async fn post(&self, delivery: &Delivery) -> Result<(u16, String), TransportError>;
}

/// What delivery needs from the configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Opens the sealed signing secrets (`SHOP_SECRET`).
    pub shop_secret: Option<String>,
    /// Origins beside public https ones that endpoints may name (`WEBHOOK_TEST_ORIGINS`).
    pub test_origins: Vec<String>,
}

impl WebhookConfig {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> WebhookConfig {
        WebhookConfig {
            shop_secret: get("SHOP_SECRET").filter(|s| !s.is_empty()),
            test_origins: get("WEBHOOK_TEST_ORIGINS").unwrap_or_default().split_whitespace().map(|o| o.trim_end_matches('/').to_string()).collect(),
        }
    }
}

#[derive(Deserialize)]
struct Target {
    url: String,
    secret: String,
    active: i64,
}

/// One delivery pass over the webhook channel.
pub async fn run_webhook_pass(db: &impl Db, sender: &impl WebhookSender, config: &WebhookConfig, claim: &str, now: i64, limit: i64) -> Result<PassReport, DbError> {
    run_channel(db, Channel::Webhook, claim, now, limit, async |message: &Claimed| {
        let delivery = match delivery_for(db, message, config, now).await? {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let (code, result) = match sender.post(&delivery).await {
            Ok((status, body)) => (SqlValue::Int(i64::from(status)), webhooks::outcome(status, &body)),
            Err(e) => (SqlValue::Null, Err(e.into_send_error("endpoint"))),
        };
        let mut record = Sql::new("UPDATE outbox SET response_code = ? WHERE id = ? AND claim = ?");
        record.params.push(code);
        db.run(&record.bind(message.id).bind(claim)).await?;
        Ok(result)
    })
    .await
}

/// The signed request for a claimed row, or why there is none: the endpoint deleted or disabled
/// (dead), its URL no longer acceptable (dead), no `SHOP_SECRET` (retried), a secret sealed under
/// another `SHOP_SECRET` (dead).
async fn delivery_for(db: &impl Db, message: &Claimed, config: &WebhookConfig, now: i64) -> Result<Result<Delivery, SendError>, DbError> {
    let id: i64 = message.recipient.parse().unwrap_or(0);
    let Some(target) = db.first::<Target>(&Sql::new("SELECT url, secret, active FROM webhook_endpoints WHERE id = ?").bind(id)).await? else {
        return Ok(Err(SendError::Permanent("the endpoint was deleted".into())));
    };
    if target.active != 1 && message.kind != Event::Ping.code() {
        return Ok(Err(SendError::Permanent("the endpoint is disabled".into())));
    }
    if check_url(&target.url, &config.test_origins).is_err() {
        return Ok(Err(SendError::Permanent("the endpoint's URL is not public https".into())));
    }
    let Some(shop_secret) = config.shop_secret.as_deref() else { return Ok(Err(SendError::Retry("SHOP_SECRET is not set: cannot sign".into()))) };
    let Some(secret) = webhooks::open(shop_secret.as_bytes(), &target.secret) else {
        return Ok(Err(SendError::Permanent("the signing secret cannot be opened (SHOP_SECRET changed?): register the endpoint again".into())));
    };
    let payload: Value = serde_json::from_str(&message.payload).unwrap_or(Value::Null);
    let created_at = payload.get("created_at").and_then(Value::as_i64).unwrap_or(now);
    let data = payload.get("data").cloned().unwrap_or(Value::Null);
    Ok(Ok(webhooks::delivery(&target.url, &secret, &event_id(&message.dedupe_key), &message.kind, created_at, &data, now)))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::testing::{block_on, Sqlite};
    use crate::app::{admin_orders, stock};
    use crate::domain::signature::verify_timestamped;

    const NOW: i64 = 1_800_000_000;
    const SHOP_SECRET: &str = "shop secret";
    const ACTOR: Actor = Actor { id: "a1", email: "boss@vestify.vn", ip: "" };
    const TEST: &str = "http://127.0.0.1:9200";

    fn config() -> WebhookConfig {
        WebhookConfig { shop_secret: Some(SHOP_SECRET.into()), test_origins: vec![TEST.into()] }
    }

    /// Registers an endpoint for `events`; its id and signing secret.
    fn endpoint(db: &Sqlite, events: &[&str]) -> (i64, String) {
        let r = check_registration(&format!("{TEST}/hook"), events, &config().test_origins).unwrap();
        let secret = webhooks::secret_from_random(&"cd".repeat(32));
        let sealed = webhooks::seal(SHOP_SECRET.as_bytes(), &secret, &[1; 12]).unwrap();
        (block_on(register(db, &ACTOR, &r, &sealed, NOW)).unwrap().unwrap(), secret)
    }

    /// A receiver that records what it gets, and answers each try from a script (then 200).
    #[derive(Default)]
    struct FakeReceiver {
        got: RefCell<Vec<Delivery>>,
        answers: RefCell<Vec<Result<(u16, String), TransportError>>>,
    }

    impl WebhookSender for FakeReceiver {
        async fn post(&self, d: &Delivery) -> Result<(u16, String), TransportError> {
            self.got.borrow_mut().push(d.clone());
            if self.answers.borrow().is_empty() { Ok((200, "ok".into())) } else { self.answers.borrow_mut().remove(0) }
        }
    }

    fn rows(db: &Sqlite) -> String {
        db.text("SELECT COALESCE(group_concat(kind || '@' || recipient, ' '), '') FROM (SELECT kind, recipient FROM outbox WHERE channel = 'webhook' ORDER BY id)")
    }

    #[test]
    fn each_order_event_is_written_in_the_batch_of_its_change_once_per_subscribed_endpoint() {
        let db = Sqlite::demo();
        let (all, _) = endpoint(&db, &["order.created", "order.paid", "order.shipped", "order.cancelled"]);
        let (paid_only, _) = endpoint(&db, &["order.paid"]);
        let (off, _) = endpoint(&db, &["order.created"]);
        block_on(db.batch(&set_active_batch(&ACTOR, off, false, NOW))).unwrap();
        let v = free_variant(&db, 3, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        assert_eq!(rows(&db), format!("order.created@{all}"), "placed: only the active endpoint that subscribes");
        for step in [stock::pay_order(&o.id, NOW + 10, "test"), admin_orders::fulfil_order(&o.id, "ghn", "GHN1", "admin", NOW + 20)] {
            // Each batch writes its event; the same batch again (a retried webhook, a double click) nothing.
            block_on(db.batch(&step)).unwrap();
            block_on(db.batch(&step)).unwrap();
        }
        assert_eq!(rows(&db), format!("order.created@{all} order.paid@{all} order.paid@{paid_only} order.shipped@{all}"));
        let paid: Value = serde_json::from_str(&db.text(&format!("SELECT payload FROM outbox WHERE kind = 'order.paid' AND recipient = '{all}'"))).unwrap();
        assert_eq!((paid["data"]["order_id"].as_str(), paid["data"]["status"].as_str(), paid["created_at"].as_i64()), (Some(o.id.as_str()), Some("paid"), Some(NOW + 10)));
        // A cancelled order: its event once; an expired one is not "cancelled".
        let c = place_order(&db, 2, v, 1, "sandbox", NOW, NOW + 900);
        let e = place_order(&db, 3, v, 1, "sandbox", NOW, NOW + 900);
        for _ in 0..2 {
            block_on(db.batch(&stock::cancel_unpaid_order(&c.id, NOW + 5, "shopper", "changed my mind"))).unwrap();
            block_on(db.batch(&stock::expire_order(&e.id, NOW + 900, "sweep"))).unwrap();
        }
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM outbox WHERE kind = 'order.cancelled' AND json_extract(payload, '$.data.order_id') = '{}'", c.id)), 1);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM outbox WHERE channel = 'webhook' AND json_extract(payload, '$.data.order_id') = '{}' AND kind <> 'order.created'", e.id)), 0);
    }

    #[test]
    fn a_refund_a_product_edit_and_a_low_stock_crossing_each_write_their_event() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 5, 0);
        db.exec(&format!("UPDATE variants SET on_hand = reserved + 5, low_stock_threshold = 3 WHERE id = {v}"));
        let (id, _) = endpoint(&db, &["refund.created", "product.updated", "stock.low"]);
        // 5 → 4 available: above the threshold, nothing; 4 → 2: crossed, one event; 2 → 1: still low, nothing more.
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        assert_eq!(rows(&db), "");
        place_order(&db, 2, v, 2, "sandbox", NOW, NOW + 900);
        place_order(&db, 3, v, 1, "sandbox", NOW, NOW + 900);
        assert_eq!(rows(&db), format!("stock.low@{id}"));
        let low: Value = serde_json::from_str(&db.text("SELECT payload FROM outbox WHERE kind = 'stock.low'")).unwrap();
        assert_eq!((low["data"]["variant_id"].as_i64(), low["data"]["available"].as_i64(), low["data"]["threshold"].as_i64()), (Some(v), Some(2), Some(3)));
        // The refund the provider confirmed, recorded twice: one event.
        block_on(db.batch(&stock::pay_order(&o.id, NOW + 10, "test"))).unwrap();
        crate::app::outbox::tests::confirm_refund_twice(&db, &o.id, NOW + 50);
        assert_eq!(db.text("SELECT json_extract(payload, '$.data.refund_id') || ' ' || json_extract(payload, '$.data.amount') FROM outbox WHERE kind = 'refund.created'"), "r1 1000");
        // A product edit in the admin: one event; an edit that changes nothing (a stale form): none.
        let product = db.int(&format!("SELECT product_id FROM variants WHERE id = {v}"));
        let before: crate::app::admin_product::ProductRow = block_on(db.first(&crate::app::admin_product::product_sql(product))).unwrap().unwrap();
        let staff = Actor { id: "s1", email: "s@vestify.vn", ip: "" };
        block_on(db.batch(&crate::app::admin_product::update_batch(&staff, &before, &before.input(), NOW + 60))).unwrap();
        let mut stale = before.clone();
        stale.status = if before.status.code() == "active" { crate::domain::catalog::ProductStatus::Draft } else { crate::domain::catalog::ProductStatus::Active };
        block_on(db.batch(&crate::app::admin_product::update_batch(&staff, &stale, &before.input(), NOW + 61))).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'product.updated'"), 1);
        assert_eq!(db.int("SELECT json_extract(payload, '$.data.product_id') FROM outbox WHERE kind = 'product.updated'"), product);
    }

    #[test]
    fn a_pass_posts_each_delivery_signed_and_retries_a_failure_with_the_same_event_id() {
        let db = Sqlite::demo();
        let (id, secret) = endpoint(&db, &["order.created"]);
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let receiver = FakeReceiver::default();
        *receiver.answers.borrow_mut() = vec![Ok((500, "down".into())), Err(TransportError::Unreachable("timed out".into()))];
        let mut at = NOW;
        for expected in ["HTTP 500: down", "endpoint unreachable: timed out"] {
            let report = block_on(run_webhook_pass(&db, &receiver, &config(), "p", at, 50)).unwrap();
            assert_eq!((report.claimed, report.retried), (1, 1));
            assert_eq!(db.text("SELECT last_error FROM outbox WHERE channel = 'webhook'"), expected);
            at = db.int("SELECT next_attempt_at FROM outbox WHERE channel = 'webhook'");
        }
        assert_eq!(db.text("SELECT COALESCE(response_code, 'none') FROM outbox WHERE channel = 'webhook'"), "none");
        assert_eq!(block_on(run_webhook_pass(&db, &receiver, &config(), "p", at, 50)).unwrap().sent, 1);
        assert_eq!(db.text("SELECT status || ' ' || attempts || ' ' || response_code || ' ' || provider_id FROM outbox WHERE channel = 'webhook'"), "sent 3 200 HTTP 200");
        let got = receiver.got.borrow();
        assert_eq!(got.len(), 3);
        let header = |d: &Delivery, name: &str| d.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
        let ids: Vec<String> = got.iter().map(|d| header(d, webhooks::EVENT_ID_HEADER)).collect();
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        let last = &got[2];
        assert_eq!(last.url, format!("{TEST}/hook"));
        assert_eq!(verify_timestamped(secret.as_bytes(), &header(last, webhooks::SIGNATURE_HEADER), &last.body, at, 300), Ok(()));
        let body: Value = serde_json::from_str(&last.body).unwrap();
        assert_eq!((body["id"].as_str(), body["type"].as_str(), body["created_at"].as_i64(), body["data"]["order_id"].as_str()), (Some(ids[0].as_str()), Some("order.created"), Some(NOW), Some(o.id.as_str())));
        let log: Vec<DeliveryRow> = block_on(db.all(&deliveries_sql(id))).unwrap();
        assert_eq!((log.len(), log[0].status.as_str(), log[0].response_code), (1, "sent", Some(200)));
        // Nothing left to send.
        assert_eq!(block_on(run_webhook_pass(&db, &receiver, &config(), "q", at + 100_000, 50)).unwrap(), PassReport::default());
    }

    #[test]
    fn a_request_the_runtime_refuses_to_make_is_dead_at_once_and_no_answer_is_retried() {
        let db = Sqlite::demo();
        let (unbuildable, _) = endpoint(&db, &["order.created"]);
        let (unreachable, _) = endpoint(&db, &["order.created"]);
        let v = free_variant(&db, 1, 0);
        place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        // Answers in the order the pass claims the rows (by id: the first endpoint's first).
        let receiver = FakeReceiver::default();
        *receiver.answers.borrow_mut() = vec![Err(TransportError::Request("header x-bad: invalid value".into())), Err(TransportError::Unreachable("dns".into()))];
        let report = block_on(run_webhook_pass(&db, &receiver, &config(), "p", NOW, 50)).unwrap();
        assert_eq!((report.claimed, report.dead, report.retried), (2, 1, 1));
        let row = |id: i64| db.text(&format!("SELECT status || '/' || attempts || ' ' || COALESCE(response_code, 'none') || ' ' || last_error FROM outbox WHERE channel = 'webhook' AND recipient = '{id}'"));
        assert_eq!(row(unbuildable), "dead/1 none endpoint request refused by the runtime: header x-bad: invalid value");
        assert_eq!(row(unreachable), "pending/1 none endpoint unreachable: dns");
    }

    #[test]
    fn a_disabled_or_deleted_endpoint_or_a_changed_shop_secret_ends_its_deliveries() {
        let db = Sqlite::demo();
        let (a, _) = endpoint(&db, &["order.created"]);
        let (b, _) = endpoint(&db, &["order.created"]);
        let (c, _) = endpoint(&db, &["order.created"]);
        let v = free_variant(&db, 1, 0);
        place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        block_on(db.batch(&set_active_batch(&ACTOR, a, false, NOW))).unwrap();
        let row: EndpointRow = block_on(db.first(&endpoint_sql(b))).unwrap().unwrap();
        block_on(db.batch(&delete_batch(&ACTOR, &row, NOW))).unwrap();
        let other = WebhookConfig { shop_secret: Some("rotated".into()), ..config() };
        let receiver = FakeReceiver::default();
        assert_eq!(block_on(run_webhook_pass(&db, &receiver, &other, "p", NOW, 50)).unwrap().dead, 3);
        assert!(receiver.got.borrow().is_empty());
        let errors = db.text("SELECT group_concat(recipient || '=' || last_error, ' | ') FROM (SELECT * FROM outbox WHERE channel = 'webhook' ORDER BY recipient)");
        assert_eq!(errors, format!("{a}=the endpoint is disabled | {b}=the endpoint was deleted | {c}=the signing secret cannot be opened (SHOP_SECRET changed?): register the endpoint again"));
        // Every change audited.
        assert_eq!(db.text("SELECT group_concat(action, ' ') FROM (SELECT action FROM audit_log WHERE entity = 'webhook_endpoint' ORDER BY id)"), "webhook.create webhook.create webhook.create webhook.disable webhook.delete");
    }

    #[test]
    fn a_test_event_reaches_its_endpoint_and_the_registry_refuses_bad_input() {
        let db = Sqlite::demo();
        let (id, secret) = endpoint(&db, &["stock.low"]);
        block_on(db.batch(&test_event_batch(&ACTOR, id, NOW))).unwrap();
        let receiver = FakeReceiver::default();
        assert_eq!(block_on(run_webhook_pass(&db, &receiver, &config(), "p", NOW, 50)).unwrap().sent, 1);
        let got = receiver.got.borrow();
        let body: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(body["type"], "ping");
        let sig = &got[0].headers.iter().find(|(n, _)| n == webhooks::SIGNATURE_HEADER).unwrap().1;
        assert!(verify_timestamped(secret.as_bytes(), sig, &got[0].body, NOW, 300).is_ok());
        let t = &config().test_origins;
        assert_eq!(check_registration("https://127.0.0.1/x", &["order.paid"], t), Err(RegisterError::Url(BadUrl::NotPublicHttps)));
        assert_eq!(check_registration("https://hooks.example.com/x", &[], t), Err(RegisterError::Events));
        assert_eq!(block_on(db.batch(&set_active_batch(&ACTOR, id, true, NOW))).unwrap()[0].changes(), 0, "already active");
        for _ in 1..MAX_ENDPOINTS {
            endpoint(&db, &["order.paid"]);
        }
        let r = check_registration("https://hooks.example.com/x", &["order.paid"], t).unwrap();
        assert_eq!(block_on(register(&db, &ACTOR, &r, "v1.x.y", NOW)).unwrap(), Err(RegisterError::TooMany));
        assert_eq!(db.int("SELECT COUNT(*) FROM webhook_endpoints"), MAX_ENDPOINTS);
    }
}
