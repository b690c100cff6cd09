//! The local sandbox payment provider's notification format and signature.
//!
//! It follows the common webhook shape (Stripe's, for one): header `Sandbox-Signature:
//! t=<unix>,v1=<hex>` where `v1 = HMAC-SHA256(secret, "<t>.<raw body>")`, checked in constant time
//! with a 300-second tolerance, so the order code path that real gateways use is exercised locally.

use serde::{Deserialize, Serialize};

use super::payments::{Outcome, PaymentStatus};
use super::signature::{sign_timestamped, verify_timestamped};

pub const SIGNATURE_HEADER: &str = "sandbox-signature";
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Notification {
    pub event_id: String,
    pub payment_id: String,
    pub order_id: String,
    /// Minor units of `currency`, as the provider states them (compared with the payment's).
    pub amount: i64,
    pub currency: String,
    /// `succeeded` or `failed`.
    pub status: String,
}

impl Notification {
    /// What it says happened. Only the two outcomes the sandbox defines; anything else is a
    /// malformed notification (`None`), not a failed payment.
    pub fn outcome(&self) -> Option<Outcome> {
        match serde_json::from_value::<PaymentStatus>(serde_json::Value::String(self.status.clone())).ok()? {
            PaymentStatus::Succeeded => Some(Outcome::Paid { charge_id: Some(self.payment_id.clone()) }),
            PaymentStatus::Failed => Some(Outcome::Failed { code: "declined".into() }),
            PaymentStatus::Pending | PaymentStatus::Cancelled => None,
        }
    }
}

pub use super::signature::SignatureError;

pub fn sign(secret: &[u8], timestamp: i64, body: &str) -> String {
    sign_timestamped(secret, timestamp, body)
}

/// Checks a signature header against the raw body. Any `v1` entry may match (key rotation).
pub fn verify(secret: &[u8], header: &str, body: &str, now: i64) -> Result<(), SignatureError> {
    verify_timestamped(secret, header, body, now, TOLERANCE_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"event_id":"e1","payment_id":"p1","order_id":"o1","amount":450000,"currency":"VND","status":"succeeded"}"#;

    #[test]
    fn only_succeeded_and_failed_are_outcomes() {
        let n: Notification = serde_json::from_str(BODY).unwrap();
        assert_eq!(n.outcome(), Some(Outcome::Paid { charge_id: Some("p1".into()) }));
        assert_eq!(Notification { status: "failed".into(), ..n.clone() }.outcome(), Some(Outcome::Failed { code: "declined".into() }));
        for other in ["pending", "cancelled", "paid", ""] {
            assert_eq!(Notification { status: other.into(), ..n.clone() }.outcome(), None, "{other}");
        }
    }

    #[test]
    fn a_signed_body_verifies() {
        let header = sign(b"whsec", 1_000, BODY);
        assert_eq!(verify(b"whsec", &header, BODY, 1_100), Ok(()));
    }

    #[test]
    fn tampering_wrong_keys_and_stale_timestamps_are_refused() {
        let header = sign(b"whsec", 1_000, BODY);
        assert_eq!(verify(b"whsec", &header, &BODY.replace("450000", "1"), 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"other", &header, BODY, 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"whsec", &header, BODY, 1_301), Err(SignatureError::Stale));
        assert_eq!(verify(b"whsec", "v1=abc", BODY, 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify(b"whsec", "", BODY, 1_000), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_v1_may_match() {
        let good = sign(b"whsec", 1_000, BODY);
        let v1 = good.split("v1=").nth(1).unwrap();
        let header = format!("t=1000,v1=deadbeef,v1={v1}");
        assert_eq!(verify(b"whsec", &header, BODY, 1_000), Ok(()));
    }
}
