//! The API's access tokens: JSON Web Tokens (RFC 7519) in the JWS compact serialisation (RFC 7515)
//! signed with HMAC-SHA256 ("HS256", RFC 7518 §3.2). Only HS256 is accepted — a token naming any
//! other algorithm, `none` included, is refused before its signature is looked at — and the
//! signature is compared in constant time. Times are checked with a small leeway for clock skew.
//!
//! <https://www.rfc-editor.org/rfc/rfc7519>, <https://www.rfc-editor.org/rfc/rfc7515>

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encoding::{base64url, base64url_decode};
use super::signature::{constant_time_eq, hmac_sha256};

/// Who issues the shop's access tokens (`iss`).
pub const ISSUER: &str = "vestify";
/// Who they are for (`aud`): the JSON API.
pub const AUDIENCE: &str = "vestify-api";
/// How long an access token lives (`expires_in`).
pub const ACCESS_TOKEN_SECONDS: i64 = 900;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: i64 = 30;
/// The shortest signing secret accepted (bytes): HS256 wants a key of at least the hash's size
/// (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The customer id.
    pub sub: String,
    /// The refresh-token family the token was issued from: revoking the family ends it at once.
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

impl Claims {
    /// Claims for `customer_id`'s token issued at `now` from refresh family `family_id`.
    pub fn access(customer_id: &str, family_id: &str, now: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: customer_id.into(),
            sid: family_id.into(),
            iat: now,
            nbf: now,
            exp: now + ACCESS_TOKEN_SECONDS,
        }
    }
}

/// Why a token was refused. The API answers every one the same way (401 `invalid_token`); the
/// distinction is for tests and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts of JSON objects.
    Malformed,
    /// An `alg` other than HS256 (including `none`), or a `crit` header we cannot honour.
    Algorithm,
    BadSignature,
    Expired,
    NotYetValid,
    /// `iat` in the future.
    IssuedInFuture,
    WrongIssuer,
    WrongAudience,
    /// A required claim is missing or has the wrong type.
    MissingClaim,
}

/// The compact JWS of `claims`: `base64url(header).base64url(payload).base64url(HMAC)`.
pub fn sign(secret: &[u8], claims: &Claims) -> String {
    let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = base64url(serde_json::to_string(claims).unwrap_or_default().as_bytes());
    let input = format!("{header}.{payload}");
    let signature = base64url(&hmac_sha256(secret, input.as_bytes()));
    format!("{input}.{signature}")
}

/// Checks the token's form, header and HS256 signature, and returns its payload (a JSON object),
/// without looking at any claim.
pub fn verify_signature(secret: &[u8], token: &str) -> Result<serde_json::Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let header: Value = base64url_decode(header).and_then(|h| serde_json::from_slice(&h).ok()).ok_or(JwtError::Malformed)?;
    let header = header.as_object().ok_or(JwtError::Malformed)?;
    // The algorithm is ours to choose, never the token's: anything but HS256 is refused here.
    if header.get("alg").and_then(Value::as_str) != Some("HS256") || header.contains_key("crit") {
        return Err(JwtError::Algorithm);
    }
    if header.get("typ").is_some_and(|t| !t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT"))) {
        return Err(JwtError::Malformed);
    }
    let input_len = token.len() - signature.len() - 1;
    let input = token.get(..input_len).ok_or(JwtError::Malformed)?;
    let expected = base64url(&hmac_sha256(secret, input.as_bytes()));
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(JwtError::BadSignature);
    }
    let payload: Value = base64url_decode(payload).and_then(|p| serde_json::from_slice(&p).ok()).ok_or(JwtError::Malformed)?;
    match payload {
        Value::Object(map) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

/// Verifies an access token at `now`: signature, then issuer, audience and times, and returns its
/// claims.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Result<Claims, JwtError> {
    let payload = verify_signature(secret, token)?;
    let text = |name: &str| payload.get(name).and_then(Value::as_str).map(str::to_string).ok_or(JwtError::MissingClaim);
    let time = |name: &str| payload.get(name).and_then(Value::as_i64).ok_or(JwtError::MissingClaim);
    if text("iss")? != ISSUER {
        return Err(JwtError::WrongIssuer);
    }
    // `aud` may be one string or an array of them (RFC 7519 §4.1.3).
    let audience_ok = match payload.get("aud") {
        Some(Value::String(a)) => a == AUDIENCE,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        None => return Err(JwtError::MissingClaim),
        Some(_) => false,
    };
    if !audience_ok {
        return Err(JwtError::WrongAudience);
    }
    let (exp, iat) = (time("exp")?, time("iat")?);
    let nbf = match payload.get("nbf") {
        None => iat,
        Some(v) => v.as_i64().ok_or(JwtError::MissingClaim)?,
    };
    if now >= exp.saturating_add(LEEWAY_SECONDS) {
        return Err(JwtError::Expired);
    }
    if now.saturating_add(LEEWAY_SECONDS) < nbf {
        return Err(JwtError::NotYetValid);
    }
    if now.saturating_add(LEEWAY_SECONDS) < iat {
        return Err(JwtError::IssuedInFuture);
    }
    let sub = text("sub")?;
    let sid = text("sid")?;
    if sub.is_empty() || sid.is_empty() {
        return Err(JwtError::MissingClaim);
    }
    Ok(Claims { iss: ISSUER.into(), aud: AUDIENCE.into(), sub, sid, iat, nbf, exp })
}

/// The token of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1; the scheme is
/// case-insensitive).
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' ')).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 Appendix A.1: the HS256 example's key (a JWK "k", base64url) and its token, whose
    /// payload is RFC 7519 §3.1's example.
    const RFC_KEY: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    const RFC_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const SECRET: &[u8] = b"a test secret of at least thirty-two bytes";

    fn rfc_key() -> Vec<u8> {
        base64url_decode(RFC_KEY).unwrap()
    }

    #[test]
    fn the_rfc_7515_hs256_example_verifies_and_decodes() {
        let payload = verify_signature(&rfc_key(), RFC_TOKEN).unwrap();
        assert_eq!(payload["iss"], "joe");
        assert_eq!(payload["exp"], 1_300_819_380);
        assert_eq!(payload["http://example.com/is_root"], true);
        // RFC 7515 A.1: the JWS Protected Header's octets (CRLF inside) encode to the first part.
        assert_eq!(base64url(b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"), RFC_TOKEN.split('.').next().unwrap());
    }

    #[test]
    fn the_rfc_example_fails_with_another_key_or_a_changed_byte() {
        assert_eq!(verify_signature(b"another key", RFC_TOKEN), Err(JwtError::BadSignature));
        let tampered = RFC_TOKEN.replacen(".eyJpc3MiOiJqb2U", ".eyJpc3MiOiJqb2V", 1);
        assert!(verify_signature(&rfc_key(), &tampered).is_err());
        let mut bad_sig = RFC_TOKEN.to_string();
        bad_sig.pop();
        bad_sig.push('j');
        assert_eq!(verify_signature(&rfc_key(), &bad_sig), Err(JwtError::BadSignature));
    }

    #[test]
    fn the_rfc_example_lacks_our_audience_and_issuer() {
        // Its signature is right, but it was not issued by or for this shop.
        assert_eq!(verify(&rfc_key(), RFC_TOKEN, 1_300_819_000), Err(JwtError::WrongIssuer));
    }

    #[test]
    fn unsecured_tokens_are_refused_before_any_signature_check() {
        // RFC 7519 §6.1's unsecured JWT, as given and with an empty and a made-up signature.
        let none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
        assert_eq!(verify_signature(&rfc_key(), none), Err(JwtError::Algorithm));
        // Our own claims under alg none (and None, and HS512, and a missing alg), signed or not.
        let claims = base64url(serde_json::to_string(&Claims::access("c", "f", 1_000)).unwrap().as_bytes());
        for header in [r#"{"alg":"none"}"#, r#"{"alg":"None","typ":"JWT"}"#, r#"{"alg":"HS512"}"#, r#"{"alg":"RS256"}"#, r#"{"typ":"JWT"}"#, r#"{"alg":"HS256","crit":["exp"]}"#] {
            let input = format!("{}.{claims}", base64url(header.as_bytes()));
            let signed = format!("{input}.{}", base64url(&hmac_sha256(SECRET, input.as_bytes())));
            assert_eq!(verify(SECRET, &format!("{input}."), 1_000), Err(JwtError::Algorithm), "{header}");
            assert_eq!(verify(SECRET, &signed, 1_000), Err(JwtError::Algorithm), "{header}");
        }
    }

    #[test]
    fn a_token_we_sign_verifies_within_its_lifetime_only() {
        let claims = Claims::access("cust-1", "fam-1", 10_000);
        let token = sign(SECRET, &claims);
        assert_eq!(token.split('.').next(), Some("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
        assert!(!token.contains('='));
        assert_eq!(verify(SECRET, &token, 10_000), Ok(claims.clone()));
        assert_eq!(verify(SECRET, &token, 10_000 + ACCESS_TOKEN_SECONDS), Ok(claims.clone()), "within the leeway");
        assert_eq!(verify(SECRET, &token, 10_000 + ACCESS_TOKEN_SECONDS + LEEWAY_SECONDS), Err(JwtError::Expired));
        assert_eq!(verify(SECRET, &token, 10_000 - LEEWAY_SECONDS), Ok(claims));
        assert_eq!(verify(SECRET, &token, 10_000 - LEEWAY_SECONDS - 1), Err(JwtError::NotYetValid));
        assert_eq!(verify(b"another secret, also thirty-two bytes long", &token, 10_000), Err(JwtError::BadSignature));
    }

    fn signed(payload: serde_json::Value) -> String {
        let input = format!("{}.{}", base64url(br#"{"alg":"HS256","typ":"JWT"}"#), base64url(payload.to_string().as_bytes()));
        format!("{input}.{}", base64url(&hmac_sha256(SECRET, input.as_bytes())))
    }

    #[test]
    fn claims_are_checked_one_by_one() {
        let good = serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "c", "sid": "f", "iat": 100, "nbf": 100, "exp": 1_000});
        assert!(verify(SECRET, &signed(good.clone()), 500).is_ok());
        let with = |key: &str, value: serde_json::Value| {
            let mut p = good.clone();
            p[key] = value;
            verify(SECRET, &signed(p), 500)
        };
        let without = |key: &str| {
            let mut p = good.clone();
            p.as_object_mut().unwrap().remove(key);
            verify(SECRET, &signed(p), 500)
        };
        assert_eq!(with("iss", "someone-else".into()), Err(JwtError::WrongIssuer));
        assert_eq!(with("aud", "another-api".into()), Err(JwtError::WrongAudience));
        assert!(with("aud", serde_json::json!(["x", AUDIENCE])).is_ok(), "an audience list naming us");
        assert_eq!(with("aud", serde_json::json!(["x"])), Err(JwtError::WrongAudience));
        assert_eq!(with("iat", 525.into()), Ok(Claims { iss: ISSUER.into(), aud: AUDIENCE.into(), sub: "c".into(), sid: "f".into(), iat: 525, nbf: 100, exp: 1_000 }), "iat within the leeway");
        assert_eq!(with("iat", 531.into()), Err(JwtError::IssuedInFuture));
        assert_eq!(with("nbf", 531.into()), Err(JwtError::NotYetValid));
        assert_eq!(with("exp", 470.into()), Err(JwtError::Expired));
        assert_eq!(with("exp", "1000".into()), Err(JwtError::MissingClaim), "a NumericDate is a number");
        assert_eq!(with("sub", 5.into()), Err(JwtError::MissingClaim));
        assert_eq!(with("sub", "".into()), Err(JwtError::MissingClaim));
        for claim in ["iss", "aud", "sub", "sid", "exp", "iat"] {
            assert!(without(claim).is_err(), "{claim} is required");
        }
        assert!(without("nbf").is_ok(), "nbf defaults to iat");
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let token = sign(SECRET, &Claims::access("c", "f", 100));
        for bad in ["", ".", "..", "a.b", "a.b.c.d", &format!("{token}."), &format!("{token}=="), &token.replacen('.', "=.", 1)] {
            assert!(verify(SECRET, bad, 100).is_err(), "{bad:?}");
        }
        // A signed payload that is not an object.
        let input = format!("{}.{}", base64url(br#"{"alg":"HS256"}"#), base64url(b"[1,2]"));
        let array = format!("{input}.{}", base64url(&hmac_sha256(SECRET, input.as_bytes())));
        assert_eq!(verify_signature(SECRET, &array), Err(JwtError::Malformed));
    }

    #[test]
    fn bearer_headers_are_read_case_insensitively() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer a b"), None);
    }
}
