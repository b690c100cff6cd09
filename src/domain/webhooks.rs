//! Webhooks for apps and integrations, pure: the events an endpoint may subscribe to, the event's
//! id and body, the `Vestify-Signature` header (`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! the scheme Stripe documents and `domain::signature` implements), the endpoint's URL checked
//! against server-side request forgery (`domain::ssrf`), the signing secret sealed for storage,
//! and what a receiver's answer means for the delivery (docs/WEBHOOKS.md).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use serde_json::{json, Value};

use super::encoding::{base64url, base64url_decode};
use super::notify::SendError;
use super::orders::OrderStatus;
use super::signature::{hmac_sha256, sha256_hex, sign_timestamped};

/// What happened, as an endpoint subscribes to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An order was placed (in the batch that places it).
    OrderCreated,
    /// An order's payment was confirmed.
    OrderPaid,
    /// An order was handed to the carrier (status `fulfilled`).
    OrderShipped,
    /// An unpaid order was cancelled (by the shopper or the shop).
    OrderCancelled,
    /// A refund was confirmed by the payment provider.
    RefundCreated,
    /// A product's details or one of its variants' prices were edited in the admin.
    ProductUpdated,
    /// A variant's available units (on hand − reserved) fell to its low-stock threshold or below.
    StockLow,
    /// "Send test event" in the admin: to one endpoint, whatever it subscribes to.
    Ping,
}

impl Event {
    /// The events an endpoint can subscribe to (the test event is not one).
    pub const SUBSCRIBABLE: [Event; 7] = [Event::OrderCreated, Event::OrderPaid, Event::OrderShipped, Event::OrderCancelled, Event::RefundCreated, Event::ProductUpdated, Event::StockLow];

    /// The event's `type`, also the outbox row's `kind`.
    pub fn code(self) -> &'static str {
        match self {
            Event::OrderCreated => "order.created",
            Event::OrderPaid => "order.paid",
            Event::OrderShipped => "order.shipped",
            Event::OrderCancelled => "order.cancelled",
            Event::RefundCreated => "refund.created",
            Event::ProductUpdated => "product.updated",
            Event::StockLow => "stock.low",
            Event::Ping => "ping",
        }
    }

    pub fn parse(code: &str) -> Option<Event> {
        Event::SUBSCRIBABLE.into_iter().chain([Event::Ping]).find(|e| e.code() == code)
    }

    /// The event an order's move to `status` causes, if any.
    pub fn for_order_status(status: OrderStatus) -> Option<Event> {
        match status {
            OrderStatus::Paid => Some(Event::OrderPaid),
            OrderStatus::Fulfilled => Some(Event::OrderShipped),
            OrderStatus::Cancelled => Some(Event::OrderCancelled),
            _ => None,
        }
    }
}

/// The subscribed events as stored (space-separated codes), from the admin form's ticks; `None`
/// when none, or an unknown one, is ticked.
pub fn events_from_form(values: &[&str]) -> Option<String> {
    if values.is_empty() || values.iter().any(|v| Event::parse(v).is_none_or(|e| e == Event::Ping)) {
        return None;
    }
    Some(Event::SUBSCRIBABLE.into_iter().filter(|e| values.contains(&e.code())).map(Event::code).collect::<Vec<_>>().join(" "))
}

/// The events of a stored list (unknown words are ignored).
pub fn parse_events(stored: &str) -> Vec<Event> {
    Event::SUBSCRIBABLE.into_iter().filter(|e| stored.split_whitespace().any(|w| w == e.code())).collect()
}

/// The event's id, the same for every endpoint and every try: derived from the outbox row's event
/// key, so a receiver can drop a repeat (`Vestify-Event-Id`).
pub fn event_id(dedupe_key: &str) -> String {
    format!("evt_{}", &sha256_hex(dedupe_key.as_bytes())[..24])
}

/// The request body: `{"id", "type", "created_at", "data"}`.
pub fn body(id: &str, event: &str, created_at: i64, data: &Value) -> String {
    json!({ "id": id, "type": event, "created_at": created_at, "data": data }).to_string()
}

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "Vestify-Signature";
/// The event id's header.
pub const EVENT_ID_HEADER: &str = "Vestify-Event-Id";
/// How far from its `t` a receiver should accept a delivery (5 minutes, as documented).
pub const TOLERANCE_SECONDS: i64 = 300;

/// `Vestify-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`; the key is
/// the whole secret as shown (`whsec_…`, its ASCII bytes).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    sign_timestamped(secret.as_bytes(), timestamp, body)
}

/// A request to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The POST for one try: the JSON body, its signature at `now`, the event id.
pub fn delivery(url: &str, secret: &str, id: &str, event: &str, created_at: i64, data: &Value, now: i64) -> Delivery {
    let body = body(id, event, created_at, data);
    Delivery {
        url: url.to_string(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("User-Agent".into(), "Vestify-Webhooks/1".into()),
            (SIGNATURE_HEADER.into(), signature(secret, now, &body)),
            (EVENT_ID_HEADER.into(), id.to_string()),
        ],
        body,
    }
}

/// What a receiver's answer means: any 2xx is delivered (`HTTP <code>`); anything else is tried
/// again after the backoff, until the sixth try.
pub fn outcome(status: u16, body: &str) -> Result<String, SendError> {
    if (200..300).contains(&status) {
        return Ok(format!("HTTP {status}"));
    }
    let text: String = body.chars().take(200).collect();
    Err(SendError::Retry(format!("HTTP {status}: {text}")))
}

/// Why an endpoint URL is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadUrl {
    /// Not https, or to a private, loopback, link-local or otherwise internal address.
    NotPublicHttps,
}

/// The URL as stored, when the Worker may call it: https to a public host (`domain::ssrf`), or
/// under one of the configured test origins (`WEBHOOK_TEST_ORIGINS`).
pub fn check_url(url: &str, test_origins: &[String]) -> Result<String, BadUrl> {
    let url = url.trim();
    super::ssrf::public_origin(url, test_origins).map(|_| url.to_string()).ok_or(BadUrl::NotPublicHttps)
}

/// How a secret starts (recognisable by secret scanners and in receivers' configuration).
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing secret from 32 random bytes (hex): `whsec_` and 64 hex digits.
pub fn secret_from_random(hex: &str) -> String {
    format!("{SECRET_PREFIX}{hex}")
}

/// The key that seals the signing secrets at rest: derived from the shop's secret (`SHOP_SECRET`),
/// so a copy of the database alone does not reveal them. Rotating `SHOP_SECRET` makes the stored
/// secrets unreadable: the endpoints must then be registered again.
fn sealing_key(shop_secret: &[u8]) -> [u8; 32] {
    hmac_sha256(shop_secret, b"vestify webhook secret sealing v1")
}

/// The stored form of a signing secret: `v1.<nonce>.<AES-256-GCM ciphertext>` (base64url), `nonce`
/// 12 random bytes from the caller.
pub fn seal(shop_secret: &[u8], secret: &str, nonce: &[u8; 12]) -> Option<String> {
    let cipher = Aes256Gcm::new_from_slice(&sealing_key(shop_secret)).ok()?;
    let sealed = cipher.encrypt(Nonce::from_slice(nonce), secret.as_bytes()).ok()?;
    Some(format!("v1.{}.{}", base64url(nonce), base64url(&sealed)))
}

/// The signing secret of a stored form, if `shop_secret` is the one that sealed it.
pub fn open(shop_secret: &[u8], stored: &str) -> Option<String> {
    let mut parts = stored.split('.');
    let (Some("v1"), Some(nonce), Some(sealed), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return None };
    let nonce = base64url_decode(nonce).filter(|n| n.len() == 12)?;
    let cipher = Aes256Gcm::new_from_slice(&sealing_key(shop_secret)).ok()?;
    let plain = cipher.decrypt(Nonce::from_slice(&nonce), base64url_decode(sealed)?.as_slice()).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::signature::{verify_timestamped, SignatureError};

    /// The documented test vector (docs/WEBHOOKS.md): a receiver's implementation must produce
    /// this `v1` for this secret, timestamp and body.
    const VECTOR_SECRET: &str = "whsec_5f3c1a0e9b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a1e3f5b7d9c0a";
    const VECTOR_T: i64 = 1_765_000_000;
    const VECTOR_BODY: &str = r#"{"created_at":1765000000,"data":{"number":"VS-1001","order_id":"ord_test"},"id":"evt_0123456789abcdef01234567","type":"order.created"}"#;
    const VECTOR_V1: &str = "17dd9f43d4e26fd763d81a5888c34f8e5cb743234f3a17ee139eeb7f2282b724";

    #[test]
    fn the_documented_test_vector_holds() {
        let header = signature(VECTOR_SECRET, VECTOR_T, VECTOR_BODY);
        assert_eq!(header, format!("t={VECTOR_T},v1={VECTOR_V1}"));
        let docs = include_str!("../../docs/WEBHOOKS.md");
        for value in [VECTOR_SECRET, &VECTOR_T.to_string(), VECTOR_BODY, VECTOR_V1] {
            assert!(docs.contains(value), "docs/WEBHOOKS.md gives {value}");
        }
    }

    #[test]
    fn a_receiver_verifies_the_signature_within_five_minutes_and_refuses_a_changed_body() {
        let data = json!({"order_id": "o1"});
        let d = delivery("https://hooks.example.com/v", "whsec_abc", "evt_1", "order.created", 100, &data, 1_000);
        let header = &d.headers.iter().find(|(n, _)| n == SIGNATURE_HEADER).unwrap().1;
        assert_eq!(d.headers.iter().find(|(n, _)| n == EVENT_ID_HEADER).unwrap().1, "evt_1");
        let parsed: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(parsed, json!({"id": "evt_1", "type": "order.created", "created_at": 100, "data": {"order_id": "o1"}}));
        assert_eq!(verify_timestamped(b"whsec_abc", header, &d.body, 1_000 + TOLERANCE_SECONDS, TOLERANCE_SECONDS), Ok(()));
        assert_eq!(verify_timestamped(b"whsec_abc", header, &d.body, 1_000 + TOLERANCE_SECONDS + 1, TOLERANCE_SECONDS), Err(SignatureError::Stale));
        assert_eq!(verify_timestamped(b"whsec_abc", header, &d.body.replace("o1", "o2"), 1_000, TOLERANCE_SECONDS), Err(SignatureError::Mismatch));
        assert_eq!(verify_timestamped(b"whsec_abd", header, &d.body, 1_000, TOLERANCE_SECONDS), Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_event_id_is_the_same_for_every_try_and_endpoint_and_differs_per_event() {
        assert_eq!(event_id("order.created:o1"), event_id("order.created:o1"));
        assert_ne!(event_id("order.created:o1"), event_id("order.paid:o1"));
        assert!(event_id("x").starts_with("evt_") && event_id("x").len() == 28);
    }

    #[test]
    fn only_a_2xx_is_delivered_and_everything_else_is_retried() {
        assert_eq!(outcome(200, ""), Ok("HTTP 200".into()));
        assert_eq!(outcome(204, ""), Ok("HTTP 204".into()));
        for status in [301, 400, 404, 410, 500, 503] {
            assert!(matches!(outcome(status, "no"), Err(SendError::Retry(m)) if m.starts_with(&format!("HTTP {status}"))), "{status}");
        }
    }

    #[test]
    fn events_read_back_and_the_form_takes_only_subscribable_ones() {
        for e in Event::SUBSCRIBABLE {
            assert_eq!(Event::parse(e.code()), Some(e));
        }
        assert_eq!(events_from_form(&["stock.low", "order.created"]).as_deref(), Some("order.created stock.low"));
        assert_eq!(events_from_form(&[]), None);
        assert_eq!(events_from_form(&["ping"]), None);
        assert_eq!(events_from_form(&["order.created", "order.lost"]), None);
        assert_eq!(parse_events("order.paid gone stock.low"), [Event::OrderPaid, Event::StockLow]);
        assert_eq!(Event::for_order_status(OrderStatus::Fulfilled), Some(Event::OrderShipped));
        assert_eq!(Event::for_order_status(OrderStatus::Delivered), None);
    }

    #[test]
    fn endpoint_urls_must_be_public_https_unless_a_configured_test_origin() {
        let test = vec!["http://127.0.0.1:9200".to_string()];
        assert_eq!(check_url(" https://hooks.example.com/vestify ", &test).as_deref(), Ok("https://hooks.example.com/vestify"));
        assert!(check_url("http://127.0.0.1:9200/hook", &test).is_ok());
        for bad in ["http://hooks.example.com/x", "https://localhost/x", "https://127.0.0.1/x", "https://10.0.0.5/x", "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://192.168.1.1/", "http://127.0.0.1:9201/hook"] {
            assert_eq!(check_url(bad, &test), Err(BadUrl::NotPublicHttps), "{bad}");
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_with_the_shop_secret_that_sealed_it() {
        let secret = secret_from_random(&"ab".repeat(32));
        let stored = seal(b"shop secret", &secret, &[7; 12]).unwrap();
        assert!(!stored.contains(&secret) && stored.starts_with("v1."));
        assert_eq!(open(b"shop secret", &stored).as_deref(), Some(secret.as_str()));
        assert_eq!(open(b"other secret", &stored), None);
        assert_eq!(open(b"shop secret", "v1.x.y"), None);
        assert_eq!(open(b"shop secret", &secret), None);
    }
}
