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
