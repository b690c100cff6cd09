//! Stripe Checkout: a hosted payment page, so card data never touches the shop.
//!
//! - Create a Checkout Session: `POST /v1/checkout/sessions`, form-encoded, `Idempotency-Key` on
//!   every POST (<https://docs.stripe.com/api/checkout/sessions/create>,
//!   <https://docs.stripe.com/api/idempotent_requests>). VND is a zero-decimal currency, so
//!   `unit_amount` is the amount in đồng (<https://docs.stripe.com/currencies#zero-decimal>).
//! - `expires_at` must lie 30 minutes to 24 hours ahead; the shop asks for its order's expiry
//!   within that window, and expires the session itself (`POST …/{id}/expire`) when the order expires.
//! - Webhooks: `Stripe-Signature: t=…,v1=…`, HMAC-SHA256 of `"{t}.{raw body}"`, any `v1` may
//!   match, 300 s tolerance (<https://docs.stripe.com/webhooks#verify-manually>).

use serde_json::Value;

use super::{form_body, int, text, Attempt, GatewayError, Outbound, Outcome, RefundResult, RefundStatus, Started, StripeConfig, Verified};
use crate::domain::money::Currency;
use crate::domain::signature::{verify_timestamped, SignatureError};

pub const API_BASE: &str = "https://api.stripe.com";
pub const SIGNATURE_HEADER: &str = "stripe-signature";
pub const TOLERANCE_SECONDS: i64 = 300;
const MIN_SESSION_SECONDS: i64 = 30 * 60 + 60;
const MAX_SESSION_SECONDS: i64 = 24 * 3600 - 60;

pub fn verify(secret: &str, header: &str, body: &str, now: i64) -> Result<(), SignatureError> {
    verify_timestamped(secret.as_bytes(), header, body, now, TOLERANCE_SECONDS)
}

fn authorized(c: &StripeConfig, o: Outbound) -> Outbound {
    o.header("authorization", format!("Bearer {}", c.secret_key)).header("stripe-version", "2024-06-20")
}

/// The session's `expires_at`: the order's expiry, moved into the window Stripe accepts.
pub fn session_expires_at(order_expires_at: i64, now: i64) -> i64 {
    order_expires_at.clamp(now + MIN_SESSION_SECONDS, now + MAX_SESSION_SECONDS)
}

/// `POST /v1/checkout/sessions` for one payment attempt; the payment id is the idempotency key, so
/// a retried start gets the same session.
pub fn create_session(c: &StripeConfig, a: &Attempt) -> Outbound {
    let pairs: Vec<(String, String)> = [
        ("mode", "payment".to_string()),
        ("client_reference_id", a.order_id.to_string()),
        ("metadata[order_id]", a.order_id.to_string()),
        ("metadata[payment_id]", a.payment_id.to_string()),
        ("payment_intent_data[metadata][order_id]", a.order_id.to_string()),
        ("payment_intent_data[metadata][payment_id]", a.payment_id.to_string()),
        ("line_items[0][quantity]", "1".to_string()),
        ("line_items[0][price_data][currency]", "vnd".to_string()),
        ("line_items[0][price_data][unit_amount]", a.amount.minor().to_string()),
        ("line_items[0][price_data][product_data][name]", format!("Vestify {}", a.order_number)),
        ("locale", if a.locale == "en" { "en" } else { "vi" }.to_string()),
        ("success_url", a.return_url.clone()),
        ("cancel_url", a.cancel_url.clone()),
        ("expires_at", session_expires_at(a.expires_at, a.now).to_string()),
    ]
    .into_iter()
    // An order placed without an email (allowed in Vietnam) lets Stripe ask for one, or not.
    .chain((!a.email.is_empty()).then(|| ("customer_email", a.email.to_string())))
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let o = Outbound::post(format!("{}/v1/checkout/sessions", c.api_base), "application/x-www-form-urlencoded", form_body(&pairs));
    authorized(c, o).header("idempotency-key", format!("session-{}", a.payment_id))
}

pub fn retrieve_session(c: &StripeConfig, session_id: &str) -> Outbound {
    authorized(c, Outbound::get(format!("{}/v1/checkout/sessions/{}", c.api_base, super::super::listing::percent_encode(session_id))))
}

/// Expires an open session so it can no longer be paid (the order expired or the shopper switched).
pub fn expire_session(c: &StripeConfig, session_id: &str) -> Outbound {
    let url = format!("{}/v1/checkout/sessions/{}/expire", c.api_base, super::super::listing::percent_encode(session_id));
    authorized(c, Outbound::post(url, "application/x-www-form-urlencoded", String::new())).header("idempotency-key", format!("expire-{session_id}"))
}

/// `POST /v1/refunds` for `amount` đồng of a PaymentIntent; the refund id is the idempotency key.
pub fn create_refund(c: &StripeConfig, payment_intent: &str, amount: i64, refund_id: &str) -> Outbound {
    let pairs = vec![
        ("payment_intent".to_string(), payment_intent.to_string()),
        ("amount".to_string(), amount.to_string()),
        ("metadata[refund_id]".to_string(), refund_id.to_string()),
    ];
    let o = Outbound::post(format!("{}/v1/refunds", c.api_base), "application/x-www-form-urlencoded", form_body(&pairs));
    authorized(c, o).header("idempotency-key", format!("refund-{refund_id}"))
}

fn error_of(v: &Value) -> GatewayError {
    let e = v.get("error").cloned().unwrap_or(Value::Null);
    GatewayError::Refused { code: text(&e, "code").or_else(|| text(&e, "type")).unwrap_or_default(), message: text(&e, "message").unwrap_or_default() }
}

/// The created session: its id and hosted page.
pub fn parse_created(status: u16, body: &str) -> Result<Started, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    if !(200..300).contains(&status) {
        return Err(error_of(&v));
    }
    let (Some(id), Some(url), Some(amount)) = (text(&v, "id"), text(&v, "url"), int(&v, "amount_total")) else {
        return Err(GatewayError::BadResponse("session without id, url or amount_total".into()));
    };
    Ok(Started { external_id: id, redirect_url: url, provider_amount: amount, provider_currency: Currency::Vnd, fx_rate: None })
}

/// What a Checkout Session says about its payment.
pub fn session_outcome(session: &Value) -> Outcome {
    let status = text(session, "status").unwrap_or_default();
    let payment_status = text(session, "payment_status").unwrap_or_default();
    match (status.as_str(), payment_status.as_str()) {
        ("complete", "paid" | "no_payment_required") => Outcome::Paid { charge_id: text(session, "payment_intent") },
        ("expired", _) => Outcome::Cancelled,
        _ => Outcome::Pending,
    }
}

fn verified(event_id: String, session: &Value, outcome: Outcome) -> Option<Verified> {
    let metadata = session.get("metadata").cloned().unwrap_or(Value::Null);
    Some(Verified {
        event_id,
        payment_id: text(&metadata, "payment_id")?,
        order_id: text(session, "client_reference_id").or_else(|| text(&metadata, "order_id")),
        amount: int(session, "amount_total")?,
        currency: text(session, "currency")?.to_uppercase(),
        outcome,
        external_id: text(session, "id"),
    })
}

/// A retrieved session as a verified answer (the return page's query).
pub fn parse_session(status: u16, body: &str) -> Result<Verified, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    if !(200..300).contains(&status) {
        return Err(error_of(&v));
    }
    let outcome = session_outcome(&v);
    let id = text(&v, "id").unwrap_or_default();
    verified(format!("query:{id}:{}", text(&v, "status").unwrap_or_default()), &v, outcome).ok_or_else(|| GatewayError::BadResponse("session without metadata".into()))
}

/// A verified webhook body. `Ok(None)`: an event type the shop does not act on (answered 200).
pub fn parse_event(body: &str) -> Result<Option<Verified>, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    let (Some(id), Some(kind)) = (text(&v, "id"), text(&v, "type")) else { return Err(GatewayError::BadResponse("event without id or type".into())) };
    let session = v.get("data").and_then(|d| d.get("object")).cloned().unwrap_or(Value::Null);
    let outcome = match kind.as_str() {
        // Paid at once by card; a delayed method completes with `unpaid` and settles later.
        "checkout.session.completed" => session_outcome(&session),
        "checkout.session.async_payment_succeeded" => Outcome::Paid { charge_id: text(&session, "payment_intent") },
        "checkout.session.async_payment_failed" => Outcome::Failed { code: "async_payment_failed".into() },
        "checkout.session.expired" => Outcome::Cancelled,
        _ => return Ok(None),
    };
    verified(id, &session, outcome).map(Some).ok_or_else(|| GatewayError::BadResponse("session without metadata.payment_id or amount".into()))
}

pub fn parse_refund(status: u16, body: &str) -> Result<RefundResult, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    if !(200..300).contains(&status) {
        return Err(error_of(&v));
    }
    let status = match text(&v, "status").as_deref() {
        Some("succeeded") => RefundStatus::Succeeded,
        Some("pending" | "requires_action") => RefundStatus::Pending,
        Some("failed" | "canceled") => RefundStatus::Failed,
        _ => return Err(GatewayError::BadResponse("refund without a known status".into())),
    };
    Ok(RefundResult { external_id: text(&v, "id"), status })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The scheme is Stripe's (https://docs.stripe.com/webhooks#verify-manually): the vector below
    // was computed for this fixed body, secret and timestamp with Node's crypto (HMAC-SHA256 of
    // "1492774577.{body}"), independently of this code. 1492774577 is the timestamp of the
    // example header in that page.
    const BODY: &str = r#"{"id":"evt_test_webhook","object":"event"}"#;
    const SECRET: &str = "whsec_test_secret";
    const V1: &str = "88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a";
    const T: i64 = 1_492_774_577;

    #[test]
    fn the_fixed_vector_verifies_and_v0_entries_are_ignored() {
        let header = format!("t={T},v1={V1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39");
        assert_eq!(verify(SECRET, &header, BODY, T + 10), Ok(()));
    }

    #[test]
    fn tampered_bodies_wrong_secrets_and_stale_or_future_timestamps_are_refused() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(verify(SECRET, &header, &BODY.replace("event", "evenT"), T), Err(SignatureError::Mismatch));
        assert_eq!(verify("whsec_other", &header, BODY, T), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, &header, BODY, T + 301), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, &header, BODY, T - 301), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, &format!("v1={V1}"), BODY, T), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, &format!("t={T},v1=00,v1={V1}"), BODY, T), Ok(()), "any v1 may match");
    }

    fn attempt() -> Attempt<'static> {
        Attempt {
            payment_id: "p1",
            order_id: "o1",
            order_number: "VS-000101",
            amount: crate::domain::money::Vnd::new(450_000),
            email: "an@example.vn",
            locale: "vi",
            return_url: "https://shop.example/checkout/return/stripe?p=p1&t=tok".into(),
            cancel_url: "https://shop.example/checkout/return/stripe?p=p1&t=tok&cancelled=1".into(),
            notify_url: "https://shop.example/webhooks/stripe".into(),
            now: 1_000_000,
            expires_at: 1_000_900,
        }
    }

    fn config() -> StripeConfig {
        StripeConfig { api_base: "http://fake".into(), secret_key: "sk_test_1".into(), webhook_secret: "whsec".into() }
    }

    #[test]
    fn a_session_charges_the_order_total_in_dong_and_carries_the_order() {
        let o = create_session(&config(), &attempt());
        assert_eq!(o.url, "http://fake/v1/checkout/sessions");
        assert!(o.headers.contains(&("authorization".into(), "Bearer sk_test_1".into())));
        assert!(o.headers.contains(&("idempotency-key".into(), "session-p1".into())));
        let body = o.body.unwrap_or_default();
        let pairs = crate::domain::listing::parse_query(&body);
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(get("line_items[0][price_data][unit_amount]").as_deref(), Some("450000"), "VND is zero-decimal");
        assert_eq!(get("line_items[0][price_data][currency]").as_deref(), Some("vnd"));
        assert_eq!(get("client_reference_id").as_deref(), Some("o1"));
        assert_eq!(get("metadata[payment_id]").as_deref(), Some("p1"));
        assert_eq!(get("expires_at").as_deref(), Some("1001860"), "moved up to Stripe's 30-minute minimum");
    }

    #[test]
    fn session_expiry_follows_the_order_within_stripes_window() {
        assert_eq!(session_expires_at(10_000, 0), 10_000);
        assert_eq!(session_expires_at(100, 0), MIN_SESSION_SECONDS);
        assert_eq!(session_expires_at(1_000_000, 0), MAX_SESSION_SECONDS);
    }

    fn event(kind: &str, status: &str, payment_status: &str) -> String {
        serde_json::json!({
            "id": "evt_1", "type": kind,
            "data": {"object": {"id": "cs_1", "object": "checkout.session", "status": status, "payment_status": payment_status,
                "amount_total": 450000, "currency": "vnd", "client_reference_id": "o1", "payment_intent": "pi_1",
                "metadata": {"payment_id": "p1", "order_id": "o1"}}}
        })
        .to_string()
    }

    #[test]
    fn events_map_to_outcomes() {
        let paid = parse_event(&event("checkout.session.completed", "complete", "paid")).unwrap().unwrap();
        assert_eq!(paid.outcome, Outcome::Paid { charge_id: Some("pi_1".into()) });
        assert_eq!((paid.payment_id.as_str(), paid.order_id.as_deref(), paid.amount, paid.currency.as_str()), ("p1", Some("o1"), 450_000, "VND"));
        let unpaid = parse_event(&event("checkout.session.completed", "complete", "unpaid")).unwrap().unwrap();
        assert_eq!(unpaid.outcome, Outcome::Pending, "a delayed method is not paid yet");
        assert_eq!(parse_event(&event("checkout.session.expired", "expired", "unpaid")).unwrap().unwrap().outcome, Outcome::Cancelled);
        assert_eq!(
            parse_event(&event("checkout.session.async_payment_failed", "complete", "unpaid")).unwrap().unwrap().outcome,
            Outcome::Failed { code: "async_payment_failed".into() }
        );
        assert_eq!(parse_event(&event("customer.created", "", "")).unwrap(), None);
        assert!(parse_event("{").is_err());
    }

    #[test]
    fn refund_and_creation_answers_are_read_as_documented() {
        assert_eq!(parse_refund(200, r#"{"id":"re_1","status":"succeeded"}"#).unwrap(), RefundResult { external_id: Some("re_1".into()), status: RefundStatus::Succeeded });
        assert!(matches!(parse_refund(400, r#"{"error":{"code":"charge_already_refunded","message":"x"}}"#), Err(GatewayError::Refused { .. })));
        let started = parse_created(200, r#"{"id":"cs_1","url":"https://checkout.stripe.com/c/pay/cs_1","amount_total":450000}"#).unwrap();
        assert_eq!(started.external_id, "cs_1");
    }
}
