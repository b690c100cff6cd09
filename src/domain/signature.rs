//! HMAC-SHA256 signatures and their constant-time check: signed cookies, cart tokens, and the
//! signed payment notifications.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    hex(&hmac_sha256(key, message))
}

/// Verifies a hex HMAC in constant time (no early exit on the first differing byte).
pub fn verify_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let expected = hmac_hex(key, message);
    constant_time_eq(expected.as_bytes(), signature_hex.as_bytes())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a timestamped signature header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    Malformed,
    Stale,
    Mismatch,
}

/// `t=<unix>,v1=<hex>` with `v1 = HMAC-SHA256(secret, "<t>.<raw body>")`: Stripe's webhook scheme
/// (<https://docs.stripe.com/webhooks#verify-manually>), which the local sandbox provider copies.
pub fn sign_timestamped(secret: &[u8], timestamp: i64, body: &str) -> String {
    format!("t={timestamp},v1={}", hmac_hex(secret, format!("{timestamp}.{body}").as_bytes()))
}

/// Checks a `t=…,v1=…` header against the raw body: the timestamp within `tolerance` seconds of
/// `now`, and any `v1` entry equal in constant time (several during a secret's rotation).
pub fn verify_timestamped(secret: &[u8], header: &str, body: &str, now: i64, tolerance: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let (Some(t), false) = (timestamp, signatures.is_empty()) else { return Err(SignatureError::Malformed) };
    if (now - t).abs() > tolerance {
        return Err(SignatureError::Stale);
    }
    let expected = hmac_hex(secret, format!("{t}.{body}").as_bytes());
    if signatures.iter().any(|s| constant_time_eq(expected.as_bytes(), s.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verification_rejects_tampering_and_wrong_keys() {
        let sig = hmac_hex(b"k", b"body");
        assert!(verify_hex(b"k", b"body", &sig));
        assert!(!verify_hex(b"k", b"body!", &sig));
        assert!(!verify_hex(b"other", b"body", &sig));
        assert!(!verify_hex(b"k", b"body", &sig[..63]));
        assert!(!verify_hex(b"k", b"body", ""));
    }
}
