//! PayPal Orders v2 (<https://developer.paypal.com/docs/api/orders/v2/>).
//!
//! - OAuth 2 client credentials: `POST /v1/oauth2/token` with HTTP Basic `client_id:secret`.
//! - Create an order with `intent: CAPTURE`, send the shopper to its `payer-action`/`approve` link,
//!   capture on return (`POST /v2/checkout/orders/{id}/capture` with `PayPal-Request-Id`).
//! - VND is not a PayPal currency (<https://developer.paypal.com/api/rest/reference/currency-codes/>):
//!   the order is charged in USD at the configured rate and both amounts are kept.
//! - A `COMPLETED` order whose capture is `DECLINED` or `FAILED` is not paid.
//! - Webhooks are verified by PayPal: `POST /v1/notifications/verify-webhook-signature` with the
//!   transmission headers and the event exactly as received
//!   (<https://developer.paypal.com/docs/api/webhooks/v1/#verify-webhook-signature_post>).

use serde_json::{json, Value};

use crate::domain::encoding::base64;
use crate::domain::money::{Currency, Vnd};

use super::{form_body, text, Attempt, GatewayError, Outbound, Outcome, PaypalConfig, RefundResult, RefundStatus, Started, Verified};

pub const API_BASE: &str = "https://api-m.paypal.com";

/// Transmission headers PayPal signs a webhook with, in the order the verify call names them.
pub const WEBHOOK_HEADERS: [(&str, &str); 5] = [
    ("paypal-auth-algo", "auth_algo"),
    ("paypal-cert-url", "cert_url"),
    ("paypal-transmission-id", "transmission_id"),
    ("paypal-transmission-sig", "transmission_sig"),
    ("paypal-transmission-time", "transmission_time"),
];

const RATE_SCALE: i128 = 10_000;

/// A rate like `25400` or `25400.5` (VND per USD), scaled by 10⁴; `None` unless positive.
pub fn parse_rate(rate: &str) -> Option<i128> {
    let rate = rate.trim();
    let (whole, frac) = rate.split_once('.').unwrap_or((rate, ""));
    if whole.is_empty() || frac.len() > 4 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let frac: i128 = if frac.is_empty() { 0 } else { format!("{frac:0<4}").parse().ok()? };
    let scaled = whole.checked_mul(RATE_SCALE)?.checked_add(frac)?;
    (scaled > 0).then_some(scaled)
}

/// US cents for an amount of đồng at `rate` VND per USD, rounded half up; at least one cent.
pub fn usd_cents(vnd: Vnd, rate: &str) -> Option<i64> {
    let rate = parse_rate(rate)?;
    let numerator = i128::from(vnd.minor()).checked_mul(100 * RATE_SCALE)?;
    let cents = (numerator * 2 + rate) / (rate * 2);
    i64::try_from(cents).ok().map(|c| c.max(1))
}

/// `12.34` for 1234 cents.
pub fn format_usd(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Cents from PayPal's decimal string (`"12.34"`, `"12.3"`, `"12"`).
pub fn parse_usd(value: &str) -> Option<i64> {
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac)
}

/// The USD part of a refund of `refund_vnd` out of a payment of `paid_vnd` charged as `paid_cents`:
/// proportional, and exactly the rest when it refunds everything that is left.
pub fn refund_cents(paid_vnd: Vnd, paid_cents: i64, refunded_vnd: Vnd, refunded_cents: i64, refund_vnd: Vnd) -> Option<i64> {
    let after = refunded_vnd.checked_add(refund_vnd)?;
    if !paid_vnd.is_positive() || !refund_vnd.is_positive() || after > paid_vnd {
        return None;
    }
    if after == paid_vnd {
        return Some(paid_cents - refunded_cents).filter(|c| *c > 0);
    }
    let (paid_vnd, refund_vnd) = (i128::from(paid_vnd.minor()), i128::from(refund_vnd.minor()));
    let cents = (refund_vnd * i128::from(paid_cents) * 2 + paid_vnd) / (paid_vnd * 2);
    i64::try_from(cents).ok().map(|c| c.clamp(1, (paid_cents - refunded_cents).max(1)))
}

pub fn token_request(c: &PaypalConfig) -> Outbound {
    let credentials = base64(format!("{}:{}", c.client_id, c.client_secret).as_bytes());
    Outbound::post(format!("{}/v1/oauth2/token", c.api_base), "application/x-www-form-urlencoded", form_body(&[("grant_type".into(), "client_credentials".into())]))
        .header("authorization", format!("Basic {credentials}"))
}

pub fn parse_token(status: u16, body: &str) -> Result<String, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    if !(200..300).contains(&status) {
        return Err(GatewayError::Refused { code: text(&v, "error").unwrap_or_default(), message: text(&v, "error_description").unwrap_or_default() });
    }
    text(&v, "access_token").ok_or_else(|| GatewayError::BadResponse("no access_token".into()))
}

fn bearer(o: Outbound, token: &str) -> Outbound {
    o.header("authorization", format!("Bearer {token}"))
}

/// `POST /v2/checkout/orders`; `None` when the rate is unusable.
pub fn create_order(c: &PaypalConfig, a: &Attempt, token: &str) -> Option<(Outbound, i64)> {
    let cents = usd_cents(a.amount, &c.vnd_per_usd)?;
    let body = json!({
        "intent": "CAPTURE",
        "purchase_units": [{
            "reference_id": a.order_id,
            "custom_id": a.payment_id,
            "invoice_id": a.payment_id,
            "description": format!("Vestify {}", a.order_number),
            "amount": {"currency_code": "USD", "value": format_usd(cents)},
        }],
        "payment_source": {"paypal": {"experience_context": {
            "return_url": a.return_url,
            "cancel_url": a.cancel_url,
            "user_action": "PAY_NOW",
            "shipping_preference": "NO_SHIPPING",
            "locale": if a.locale == "en" { "en-US" } else { "vi-VN" },
        }}},
    });
    let o = Outbound::post(format!("{}/v2/checkout/orders", c.api_base), "application/json", body.to_string())
        .header("paypal-request-id", format!("create-{}", a.payment_id))
        .header("prefer", "return=representation");
    Some((bearer(o, token), cents))
}

pub fn capture(c: &PaypalConfig, order_id: &str, payment_id: &str, token: &str) -> Outbound {
    let url = format!("{}/v2/checkout/orders/{}/capture", c.api_base, crate::domain::listing::percent_encode(order_id));
    bearer(Outbound::post(url, "application/json", "{}".into()), token).header("paypal-request-id", format!("capture-{payment_id}")).header("prefer", "return=representation")
}

pub fn get_order(c: &PaypalConfig, order_id: &str, token: &str) -> Outbound {
    bearer(Outbound::get(format!("{}/v2/checkout/orders/{}", c.api_base, crate::domain::listing::percent_encode(order_id))), token)
}

pub fn refund(c: &PaypalConfig, capture_id: &str, cents: i64, refund_id: &str, token: &str) -> Outbound {
    let url = format!("{}/v2/payments/captures/{}/refund", c.api_base, crate::domain::listing::percent_encode(capture_id));
    let body = json!({"amount": {"value": format_usd(cents), "currency_code": "USD"}, "invoice_id": refund_id});
    bearer(Outbound::post(url, "application/json", body.to_string()), token).header("paypal-request-id", format!("refund-{refund_id}"))
}

/// The verify call's body, with the event embedded byte for byte: re-serialising it would change
/// what PayPal signed.
pub fn verify_request(c: &PaypalConfig, headers: &[(&str, String)], raw_event: &str, token: &str) -> Outbound {
    let mut body = String::from("{");
    for (name, field) in WEBHOOK_HEADERS {
        let value = headers.iter().find(|(h, _)| *h == name).map(|(_, v)| v.as_str()).unwrap_or_default();
        body.push_str(&format!("{}:{},", json!(field), json!(value)));
    }
    body.push_str(&format!("\"webhook_id\":{},\"webhook_event\":{}}}", json!(c.webhook_id), raw_event.trim()));
    bearer(Outbound::post(format!("{}/v1/notifications/verify-webhook-signature", c.api_base), "application/json", body), token)
}

pub fn parse_verification(status: u16, body: &str) -> bool {
    (200..300).contains(&status) && serde_json::from_str::<Value>(body).ok().and_then(|v| text(&v, "verification_status")).as_deref() == Some("SUCCESS")
}

fn error_of(v: &Value) -> GatewayError {
    let code = text(v, "name").unwrap_or_default();
    let detail = v.get("details").and_then(|d| d.get(0)).and_then(|d| text(d, "issue"));
    GatewayError::Refused { code: detail.unwrap_or(code), message: text(v, "message").unwrap_or_default() }
}

fn json_ok(status: u16, body: &str) -> Result<Value, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    if (200..300).contains(&status) {
        Ok(v)
    } else {
        Err(error_of(&v))
    }
}

pub fn parse_created(status: u16, body: &str, cents: i64, rate: &str) -> Result<Started, GatewayError> {
    let v = json_ok(status, body)?;
    let links = v.get("links").and_then(Value::as_array).cloned().unwrap_or_default();
    let approve = links.iter().find(|l| matches!(text(l, "rel").as_deref(), Some("payer-action" | "approve"))).and_then(|l| text(l, "href"));
    let (Some(id), Some(url)) = (text(&v, "id"), approve) else { return Err(GatewayError::BadResponse("order without id or approve link".into())) };
    Ok(Started { external_id: id, redirect_url: url, provider_amount: cents, provider_currency: Currency::Usd, fx_rate: Some(rate.to_string()) })
}

/// A capture's outcome by its status (<https://developer.paypal.com/docs/api/orders/v2/#definition-capture_status>).
fn capture_outcome(capture: &Value) -> Outcome {
    match text(capture, "status").as_deref() {
        Some("COMPLETED") => Outcome::Paid { charge_id: text(capture, "id") },
        Some("DECLINED") => Outcome::Failed { code: "DECLINED".into() },
        Some("FAILED") => Outcome::Failed { code: "FAILED".into() },
        _ => Outcome::Pending,
    }
}

/// An order (from create, get or capture) as a verified answer: only a completed capture is paid.
pub fn parse_order(status: u16, body: &str) -> Result<Verified, GatewayError> {
    let v = json_ok(status, body)?;
    let unit = v.get("purchase_units").and_then(|u| u.get(0)).cloned().unwrap_or(Value::Null);
    let capture = unit.get("payments").and_then(|p| p.get("captures")).and_then(|c| c.get(0)).cloned();
    let id = text(&v, "id").unwrap_or_default();
    let outcome = match (text(&v, "status").as_deref(), &capture) {
        (_, Some(c)) => capture_outcome(c),
        (Some("VOIDED"), None) => Outcome::Cancelled,
        _ => Outcome::Pending,
    };
    let amount = capture.as_ref().and_then(|c| c.get("amount")).or_else(|| unit.get("amount")).cloned().unwrap_or(Value::Null);
    let charge = capture.as_ref().and_then(|c| text(c, "id")).unwrap_or_default();
    Ok(Verified {
        event_id: format!("order:{id}:{}:{charge}", text(&v, "status").unwrap_or_default()),
        payment_id: text(&unit, "custom_id").or_else(|| capture.as_ref().and_then(|c| text(c, "custom_id"))).ok_or_else(|| GatewayError::BadResponse("no custom_id".into()))?,
        order_id: text(&unit, "reference_id"),
        amount: text(&amount, "value").and_then(|s| parse_usd(&s)).ok_or_else(|| GatewayError::BadResponse("no amount".into()))?,
        currency: text(&amount, "currency_code").unwrap_or_default(),
        outcome,
        external_id: Some(id),
    })
}

/// A verified webhook event. `Ok(None)`: a type the shop does not act on.
pub fn parse_event(body: &str) -> Result<Option<Verified>, GatewayError> {
    let v: Value = serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))?;
    let (Some(id), Some(kind)) = (text(&v, "id"), text(&v, "event_type")) else { return Err(GatewayError::BadResponse("event without id or type".into())) };
    let r = v.get("resource").cloned().unwrap_or(Value::Null);
    let outcome = match kind.as_str() {
        "PAYMENT.CAPTURE.COMPLETED" => Outcome::Paid { charge_id: text(&r, "id") },
        "PAYMENT.CAPTURE.DENIED" | "PAYMENT.CAPTURE.DECLINED" => Outcome::Failed { code: kind.clone() },
        _ => return Ok(None),
    };
    let amount = r.get("amount").cloned().unwrap_or(Value::Null);
    let order = r.get("supplementary_data").and_then(|s| s.get("related_ids")).and_then(|i| text(i, "order_id"));
    Ok(Some(Verified {
        event_id: id,
        payment_id: text(&r, "custom_id").ok_or_else(|| GatewayError::BadResponse("capture without custom_id".into()))?,
        order_id: None,
        amount: text(&amount, "value").and_then(|s| parse_usd(&s)).ok_or_else(|| GatewayError::BadResponse("capture without amount".into()))?,
        currency: text(&amount, "currency_code").unwrap_or_default(),
        outcome,
        external_id: order,
    }))
}

pub fn parse_refund(status: u16, body: &str) -> Result<RefundResult, GatewayError> {
    let v = json_ok(status, body)?;
    let status = match text(&v, "status").as_deref() {
        Some("COMPLETED") => RefundStatus::Succeeded,
        Some("PENDING") => RefundStatus::Pending,
        Some("FAILED" | "CANCELLED") => RefundStatus::Failed,
        _ => return Err(GatewayError::BadResponse("refund without a known status".into())),
    };
    Ok(RefundResult { external_id: text(&v, "id"), status })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dong_become_cents_at_the_configured_rate_rounded_half_up() {
        assert_eq!(usd_cents(Vnd::new(450_000), "25000"), Some(1800));
        assert_eq!(usd_cents(Vnd::new(1_000), "25000"), Some(4));
        assert_eq!(usd_cents(Vnd::new(125), "25000"), Some(1), "half a cent rounds up");
        assert_eq!(usd_cents(Vnd::new(124), "25000"), Some(1), "never below one cent");
        assert_eq!(usd_cents(Vnd::new(1_234_567), "25431.25"), Some(4855), "4854.53 cents");
        assert_eq!(usd_cents(Vnd::new(100), "0"), None);
        assert_eq!(usd_cents(Vnd::new(100), "1e4"), None);
        assert_eq!(format_usd(4854), "48.54");
        assert_eq!(format_usd(5), "0.05");
        assert_eq!(parse_usd("48.5"), Some(4850));
        assert_eq!(parse_usd("48"), Some(4800));
        assert_eq!(parse_usd("4.855"), None);
    }

    #[test]
    fn partial_refunds_are_proportional_and_the_last_one_takes_the_rest() {
        // 450 000 ₫ charged as $18.00.
        assert_eq!(refund_cents(Vnd::new(450_000), 1800, Vnd::ZERO, 0, Vnd::new(150_000)), Some(600));
        assert_eq!(refund_cents(Vnd::new(450_000), 1800, Vnd::new(150_000), 600, Vnd::new(300_000)), Some(1200));
        assert_eq!(refund_cents(Vnd::new(450_000), 1801, Vnd::new(100_000), 400, Vnd::new(350_000)), Some(1401), "the rest, to the cent");
        assert_eq!(refund_cents(Vnd::new(450_000), 1800, Vnd::new(400_000), 1600, Vnd::new(100_000)), None, "more than is left");
    }

    fn config() -> PaypalConfig {
        PaypalConfig { api_base: "http://fake".into(), client_id: "id".into(), client_secret: "secret".into(), webhook_id: "WH-1".into(), vnd_per_usd: "25000".into() }
    }

    #[test]
    fn the_token_request_uses_basic_credentials() {
        let o = token_request(&config());
        assert!(o.headers.contains(&("authorization".into(), "Basic aWQ6c2VjcmV0".into())));
        assert_eq!(o.body.as_deref(), Some("grant_type=client_credentials"));
    }

    #[test]
    fn the_verify_call_embeds_the_event_byte_for_byte() {
        let raw = r#"{"id":"WH-EVT","z":1,"a":2}"#;
        let headers = vec![("paypal-transmission-id", "tid".to_string()), ("paypal-transmission-sig", "sig".to_string())];
        let o = verify_request(&config(), &headers, raw, "tok");
        let body = o.body.unwrap_or_default();
        assert!(body.ends_with(r#""webhook_id":"WH-1","webhook_event":{"id":"WH-EVT","z":1,"a":2}}"#), "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["transmission_id"], "tid");
        assert_eq!(v["auth_algo"], "");
        assert!(parse_verification(200, r#"{"verification_status":"SUCCESS"}"#));
        assert!(!parse_verification(200, r#"{"verification_status":"FAILURE"}"#));
    }

    fn order(status: &str, capture_status: Option<&str>) -> String {
        let mut unit = json!({"reference_id": "o1", "custom_id": "p1", "amount": {"currency_code": "USD", "value": "18.00"}});
        if let Some(cs) = capture_status {
            unit["payments"] = json!({"captures": [{"id": "CAP1", "status": cs, "amount": {"currency_code": "USD", "value": "18.00"}, "custom_id": "p1"}]});
        }
        json!({"id": "ORDER1", "status": status, "purchase_units": [unit]}).to_string()
    }

    #[test]
    fn a_completed_order_is_paid_only_with_a_completed_capture() {
        assert_eq!(parse_order(201, &order("COMPLETED", Some("COMPLETED"))).unwrap().outcome, Outcome::Paid { charge_id: Some("CAP1".into()) });
        assert_eq!(parse_order(201, &order("COMPLETED", Some("DECLINED"))).unwrap().outcome, Outcome::Failed { code: "DECLINED".into() });
        assert_eq!(parse_order(201, &order("COMPLETED", Some("PENDING"))).unwrap().outcome, Outcome::Pending);
        assert_eq!(parse_order(200, &order("APPROVED", None)).unwrap().outcome, Outcome::Pending);
        let paid = parse_order(201, &order("COMPLETED", Some("COMPLETED"))).unwrap();
        assert_eq!((paid.amount, paid.currency.as_str(), paid.payment_id.as_str()), (1800, "USD", "p1"));
        assert!(matches!(
            parse_order(422, r#"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"INSTRUMENT_DECLINED"}],"message":"m"}"#),
            Err(GatewayError::Refused { code, .. }) if code == "INSTRUMENT_DECLINED"
        ));
    }

    #[test]
    fn capture_events_carry_the_payment_and_dollars() {
        let body = json!({"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"id": "CAP1", "status": "COMPLETED",
            "amount": {"currency_code": "USD", "value": "18.00"}, "custom_id": "p1", "supplementary_data": {"related_ids": {"order_id": "ORDER1"}}}});
        let v = parse_event(&body.to_string()).unwrap().unwrap();
        assert_eq!((v.event_id.as_str(), v.payment_id.as_str(), v.amount, v.external_id.as_deref()), ("WH-1", "p1", 1800, Some("ORDER1")));
        let denied = json!({"id": "WH-2", "event_type": "PAYMENT.CAPTURE.DENIED", "resource": {"id": "CAP1", "custom_id": "p1", "amount": {"currency_code": "USD", "value": "18.00"}}});
        assert!(matches!(parse_event(&denied.to_string()).unwrap().unwrap().outcome, Outcome::Failed { .. }));
        assert_eq!(parse_event(r#"{"id":"WH-3","event_type":"CHECKOUT.ORDER.APPROVED","resource":{}}"#).unwrap(), None);
    }
}
