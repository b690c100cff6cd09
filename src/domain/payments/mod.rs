//! The payment gateways' pure parts: which gateways are configured, the requests each one is sent
//! (bodies, headers, signatures), and what their answers and notifications mean. No I/O: the
//! Worker adapter (`platform::gateways`) sends what is built here and hands the answers back.
//!
//! Each provider's module follows its own documentation; the tests use the providers' published
//! samples where they exist.

pub mod bank;
pub mod momo;
pub mod paypal;
pub mod stripe;
pub mod vietqr;
pub mod zalopay;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::money::{Currency, Money, Vnd};

/// The gateways a shop can offer, besides the local sandbox.
pub const GATEWAYS: [&str; 4] = ["stripe", "paypal", "momo", "zalopay"];

/// What a provider says about one payment attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The money is taken. `charge_id` is what a refund must name at the provider.
    Paid { charge_id: Option<String> },
    /// Declined or failed; `code` is the provider's reason.
    Failed { code: String },
    /// The attempt ended without payment (session expired, shopper cancelled).
    Cancelled,
    /// Not decided yet (the shopper has not finished, or the provider is still processing).
    Pending,
}

impl Outcome {
    /// The payment row's status this outcome leads to (`None`: leave it as it is).
    pub fn payment_status(&self) -> Option<PaymentStatus> {
        match self {
            Outcome::Paid { .. } => Some(PaymentStatus::Succeeded),
            Outcome::Failed { .. } => Some(PaymentStatus::Failed),
            Outcome::Cancelled => Some(PaymentStatus::Cancelled),
            Outcome::Pending => None,
        }
    }
}

/// Where one payment attempt stands, as `payments.status` stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl PaymentStatus {
    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
        }
    }

    /// The statuses an attempt may be settled from to reach `self`, once: a success also settles a
    /// declined or cancelled attempt (the shopper may try again on the provider's page after a
    /// decline, and a session's "expired" event can arrive before its "completed" one); a failure
    /// or cancellation only settles a pending attempt, and never undoes a success.
    pub fn settles_from(self) -> &'static [PaymentStatus] {
        match self {
            PaymentStatus::Succeeded => &[PaymentStatus::Pending, PaymentStatus::Failed, PaymentStatus::Cancelled],
            PaymentStatus::Failed | PaymentStatus::Cancelled => &[PaymentStatus::Pending],
            PaymentStatus::Pending => &[],
        }
    }

    /// Whether the attempt ended without taking the money.
    pub fn is_unsuccessful(self) -> bool {
        matches!(self, PaymentStatus::Failed | PaymentStatus::Cancelled)
    }
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Where one refund stands, as `refunds.status` stores it (and as a provider reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub fn code(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    /// Whether the refund's amount counts against what is left to refund (it succeeded, or may).
    pub fn commits_amount(self) -> bool {
        matches!(self, RefundStatus::Pending | RefundStatus::Succeeded)
    }
}

impl std::fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A notification (or query answer) after its signature was checked: which payment, how much, and
/// what happened. `payment_id` is the shop's id, carried through the provider's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub event_id: String,
    pub payment_id: String,
    /// The shop's order id, when the provider echoes it (Stripe, PayPal's order).
    pub order_id: Option<String>,
    /// The provider-side amount in minor units of `currency` (USD cents for PayPal), as the
    /// provider states it: compared with what it was asked to charge, never computed with, and an
    /// unknown currency must still reach that comparison to be reported, so both stay as received.
    pub amount: i64,
    pub currency: String,
    pub outcome: Outcome,
    /// The provider's id for the attempt (session, order, transaction), when the notice names one.
    pub external_id: Option<String>,
}

/// A request for the Worker to send. Headers are lowercase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Outbound {
    pub fn post(url: String, content_type: &str, body: String) -> Outbound {
        Outbound { method: "POST", url, headers: vec![("content-type".into(), content_type.into())], body: Some(body) }
    }

    pub fn get(url: String) -> Outbound {
        Outbound { method: "GET", url, headers: Vec::new(), body: None }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Outbound {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Why a gateway call did not give the expected answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayError {
    /// The provider refused (with its code and message).
    Refused { code: String, message: String },
    /// The answer was not what the provider documents.
    BadResponse(String),
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayError::Refused { code, message } => write!(f, "refused ({code}): {message}"),
            GatewayError::BadResponse(why) => write!(f, "unexpected response: {why}"),
        }
    }
}

/// A refund as a provider reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundResult {
    pub external_id: Option<String>,
    pub status: RefundStatus,
}

/// What the shop knows about one payment attempt when it talks to the provider.
#[derive(Clone, Debug)]
pub struct Attempt<'a> {
    pub payment_id: &'a str,
    pub order_id: &'a str,
    pub order_number: &'a str,
    pub amount: Vnd,
    pub email: &'a str,
    pub locale: &'a str,
    /// Where the provider sends the shopper back (`/checkout/return/{provider}?…`).
    pub return_url: String,
    /// Where a shopper who gives up on the provider's page goes.
    pub cancel_url: String,
    /// Where the provider posts its notification (MoMo, ZaloPay take it per request).
    pub notify_url: String,
    pub now: i64,
    /// The order's expiry (unix seconds).
    pub expires_at: i64,
}

/// A started payment: where to send the shopper, and what to remember about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    pub external_id: String,
    pub redirect_url: String,
    /// What the provider is asked to charge, in minor units of `provider_currency`.
    pub provider_amount: i64,
    pub provider_currency: Currency,
    pub fx_rate: Option<String>,
}

impl Started {
    /// What the provider is asked to charge.
    pub fn provider_money(&self) -> Money {
        Money::new(self.provider_amount, self.provider_currency)
    }
}

pub struct StripeConfig {
    pub api_base: String,
    pub secret_key: String,
    pub webhook_secret: String,
}

pub struct PaypalConfig {
    pub api_base: String,
    pub client_id: String,
    pub client_secret: String,
    pub webhook_id: String,
    /// VND per US dollar, as configured (`PAYPAL_VND_PER_USD`).
    pub vnd_per_usd: String,
}

pub struct MomoConfig {
    pub api_base: String,
    pub partner_code: String,
    pub access_key: String,
    pub secret_key: String,
}

pub struct ZalopayConfig {
    pub api_base: String,
    pub app_id: String,
    pub key1: String,
    pub key2: String,
}

/// Every gateway whose credentials are all present; the others are not offered.
#[derive(Default)]
pub struct Gateways {
    pub stripe: Option<StripeConfig>,
    pub paypal: Option<PaypalConfig>,
    pub momo: Option<MomoConfig>,
    pub zalopay: Option<ZalopayConfig>,
}

impl Gateways {
    /// Reads the configuration through `get` (a Worker var or secret by name; empty counts as
    /// missing). A gateway is configured only when every credential it needs is there.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Gateways {
        let base = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_string()).trim_end_matches('/').to_string();
        let stripe = match (get("STRIPE_SECRET_KEY"), get("STRIPE_WEBHOOK_SECRET")) {
            (Some(secret_key), Some(webhook_secret)) => {
                Some(StripeConfig { api_base: base("STRIPE_API_BASE", stripe::API_BASE), secret_key, webhook_secret })
            }
            _ => None,
        };
        let rate = get("PAYPAL_VND_PER_USD").filter(|r| paypal::parse_rate(r).is_some());
        let paypal = match (get("PAYPAL_CLIENT_ID"), get("PAYPAL_CLIENT_SECRET"), get("PAYPAL_WEBHOOK_ID"), rate) {
            (Some(client_id), Some(client_secret), Some(webhook_id), Some(vnd_per_usd)) => Some(PaypalConfig {
                api_base: base("PAYPAL_API_BASE", paypal::API_BASE),
                client_id,
                client_secret,
                webhook_id,
                vnd_per_usd,
            }),
            _ => None,
        };
        let momo = match (get("MOMO_PARTNER_CODE"), get("MOMO_ACCESS_KEY"), get("MOMO_SECRET_KEY")) {
            (Some(partner_code), Some(access_key), Some(secret_key)) => {
                Some(MomoConfig { api_base: base("MOMO_API_BASE", momo::API_BASE), partner_code, access_key, secret_key })
            }
            _ => None,
        };
        let zalopay = match (get("ZALOPAY_APP_ID"), get("ZALOPAY_KEY1"), get("ZALOPAY_KEY2")) {
            (Some(app_id), Some(key1), Some(key2)) if app_id.bytes().all(|b| b.is_ascii_digit()) => {
                Some(ZalopayConfig { api_base: base("ZALOPAY_API_BASE", zalopay::API_BASE), app_id, key1, key2 })
            }
            _ => None,
        };
        Gateways { stripe, paypal, momo, zalopay }
    }

    /// The configured gateways, in the order checkout lists them.
    pub fn offered(&self) -> Vec<&'static str> {
        let on = [self.stripe.is_some(), self.paypal.is_some(), self.momo.is_some(), self.zalopay.is_some()];
        GATEWAYS.iter().zip(on).filter(|(_, on)| *on).map(|(g, _)| *g).collect()
    }
}

/// A field of a JSON value as a string (strings as they are, numbers written out).
pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field of a JSON value as an integer (numbers, or strings of digits).
pub(crate) fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` from pairs, keys and values percent-encoded.
pub fn form_body(pairs: &[(String, String)]) -> String {
    use super::listing::percent_encode;
    pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()).filter(|v| !v.is_empty())
    }

    #[test]
    fn a_gateway_without_all_its_credentials_is_not_offered() {
        assert!(Gateways::from_lookup(lookup(&[])).offered().is_empty());
        let partial = [("STRIPE_SECRET_KEY", "sk"), ("PAYPAL_CLIENT_ID", "id"), ("PAYPAL_CLIENT_SECRET", "s"), ("PAYPAL_WEBHOOK_ID", "w"), ("MOMO_PARTNER_CODE", "M")];
        assert!(Gateways::from_lookup(lookup(&partial)).offered().is_empty(), "no webhook secret, no rate, no MoMo keys");
        let all = [
            ("STRIPE_SECRET_KEY", "sk"),
            ("STRIPE_WEBHOOK_SECRET", "whsec"),
            ("PAYPAL_CLIENT_ID", "id"),
            ("PAYPAL_CLIENT_SECRET", "s"),
            ("PAYPAL_WEBHOOK_ID", "w"),
            ("PAYPAL_VND_PER_USD", "25000"),
            ("MOMO_PARTNER_CODE", "M"),
            ("MOMO_ACCESS_KEY", "a"),
            ("MOMO_SECRET_KEY", "s"),
            ("ZALOPAY_APP_ID", "2553"),
            ("ZALOPAY_KEY1", "k1"),
            ("ZALOPAY_KEY2", "k2"),
            ("STRIPE_API_BASE", "http://127.0.0.1:9/"),
        ];
        let g = Gateways::from_lookup(lookup(&all));
        assert_eq!(g.offered(), vec!["stripe", "paypal", "momo", "zalopay"]);
        assert_eq!(g.stripe.map(|s| s.api_base).as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(g.momo.map(|m| m.api_base).as_deref(), Some(momo::API_BASE));
    }

    #[test]
    fn a_paypal_rate_that_is_not_a_positive_number_disables_paypal() {
        for bad in ["0", "-1", "abc", "25,000"] {
            let g = Gateways::from_lookup(lookup(&[("PAYPAL_CLIENT_ID", "i"), ("PAYPAL_CLIENT_SECRET", "s"), ("PAYPAL_WEBHOOK_ID", "w"), ("PAYPAL_VND_PER_USD", bad)]));
            assert!(g.paypal.is_none(), "{bad}");
        }
    }

    #[test]
    fn statuses_read_and_write_the_stored_text() {
        for s in [PaymentStatus::Pending, PaymentStatus::Succeeded, PaymentStatus::Failed, PaymentStatus::Cancelled] {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
            assert_eq!(serde_json::from_value::<PaymentStatus>(serde_json::json!(s.code())).unwrap(), s);
        }
        for s in [RefundStatus::Pending, RefundStatus::Succeeded, RefundStatus::Failed] {
            assert_eq!(serde_json::from_value::<RefundStatus>(serde_json::json!(s.code())).unwrap(), s);
        }
        assert!(!PaymentStatus::Failed.settles_from().contains(&PaymentStatus::Succeeded), "a failure never undoes a success");
        assert!(PaymentStatus::Succeeded.settles_from().contains(&PaymentStatus::Cancelled));
    }

    #[test]
    fn form_bodies_encode_brackets_and_spaces() {
        let body = form_body(&[("line_items[0][quantity]".into(), "1".into()), ("name".into(), "Áo gile".into())]);
        assert_eq!(body, "line_items%5B0%5D%5Bquantity%5D=1&name=%C3%81o+gile");
    }
}
