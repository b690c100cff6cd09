//! OpenID Connect ID tokens as data: a compact JWS split into header, claims, signing
//! input and signature, a JWKS and the key a token names (`kid`), and the claim checks of
//! [OpenID Connect Core §3.1.3.7](https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation):
//! issuer, audience (our client id), expiry and issue time with a small leeway, and the nonce bound
//! to the browser that started the flow. The RS256 signature itself is checked by WebCrypto
//! (`platform::webcrypto::verify_rs256`) with the key found here.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::encoding::base64url_decode_lenient;

/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub const LEEWAY: i64 = 60;

/// A compact JWS taken apart (not yet trusted).
#[derive(Clone, Debug)]
pub struct Jwt {
    pub alg: String,
    pub kid: Option<String>,
    pub claims: Value,
    /// `header.payload` as sent: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

impl Jwt {
    pub fn parse(token: &str) -> Option<Jwt> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || token.len() > 16_384 {
            return None;
        }
        let h: Header = serde_json::from_slice(&base64url_decode_lenient(header)?).ok()?;
        let claims: Value = serde_json::from_slice(&base64url_decode_lenient(payload)?).ok()?;
        if !claims.is_object() {
            return None;
        }
        Some(Jwt { alg: h.alg, kid: h.kid, claims, signing_input: format!("{header}.{payload}"), signature: base64url_decode_lenient(signature)? })
    }
}

/// One RSA public key of a JWKS.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kid: String,
    pub kty: String,
    #[serde(default)]
    pub alg: Option<String>,
    pub n: String,
    pub e: String,
}

/// The provider's published keys (`{"keys": [...]}`); keys that are not RSA are left out.
pub fn parse_jwks(body: &str) -> Option<Vec<Jwk>> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<Value>,
    }
    let set: Set = serde_json::from_str(body).ok()?;
    Some(set.keys.into_iter().filter_map(|k| serde_json::from_value::<Jwk>(k).ok()).filter(|k| k.kty == "RSA").collect())
}

/// The key a token names: RS256 only, and the `kid` must be one of the set.
pub fn key_for<'a>(jwt: &Jwt, keys: &'a [Jwk]) -> Result<&'a Jwk, IdTokenError> {
    if jwt.alg != "RS256" {
        return Err(IdTokenError::Algorithm);
    }
    let kid = jwt.kid.as_deref().ok_or(IdTokenError::UnknownKey)?;
    keys.iter().find(|k| k.kid == kid && k.alg.as_deref().is_none_or(|a| a == "RS256")).ok_or(IdTokenError::UnknownKey)
}

/// Why an ID token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdTokenError {
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    Issuer,
    Audience,
    Expired,
    IssuedInFuture,
    Nonce,
    Subject,
}

impl IdTokenError {
    pub fn code(self) -> &'static str {
        match self {
            IdTokenError::Malformed => "malformed",
            IdTokenError::Algorithm => "algorithm",
            IdTokenError::UnknownKey => "unknown_key",
            IdTokenError::Signature => "signature",
            IdTokenError::Issuer => "issuer",
            IdTokenError::Audience => "audience",
            IdTokenError::Expired => "expired",
            IdTokenError::IssuedInFuture => "issued_in_future",
            IdTokenError::Nonce => "nonce",
            IdTokenError::Subject => "subject",
        }
    }
}

/// What the token must say.
pub struct Expected<'a> {
    /// Issuers accepted (Google documents two spellings of its own).
    pub issuers: &'a [&'a str],
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
}

/// Who the token says signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdClaims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// Checks the claims of a token whose signature has been verified. Apple sends `email_verified` as
/// the string `"true"`; Google as a boolean.
pub fn check_claims(claims: &Value, e: &Expected) -> Result<IdClaims, IdTokenError> {
    let text = |k: &str| claims.get(k).and_then(Value::as_str);
    if !text("iss").is_some_and(|iss| e.issuers.contains(&iss)) {
        return Err(IdTokenError::Issuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == e.client_id,
        // Several audiences: ours must be among them, and `azp` (if present) must be us.
        Some(Value::Array(list)) => {
            list.iter().any(|a| a.as_str() == Some(e.client_id)) && text("azp").is_none_or(|azp| azp == e.client_id)
        }
        _ => false,
    };
    if !audience_ok {
        return Err(IdTokenError::Audience);
    }
    let exp = claims.get("exp").and_then(number).ok_or(IdTokenError::Malformed)?;
    if exp + LEEWAY <= e.now {
        return Err(IdTokenError::Expired);
    }
    let iat = claims.get("iat").and_then(number).ok_or(IdTokenError::Malformed)?;
    if iat > e.now + LEEWAY {
        return Err(IdTokenError::IssuedInFuture);
    }
    let nonce_ok = text("nonce").is_some_and(|n| crate::domain::signature::constant_time_eq(n.as_bytes(), e.nonce.as_bytes()));
    if e.nonce.is_empty() || !nonce_ok {
        return Err(IdTokenError::Nonce);
    }
    let subject = text("sub").filter(|s| !s.is_empty() && s.len() <= 255).ok_or(IdTokenError::Subject)?;
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    Ok(IdClaims {
        subject: subject.to_string(),
        email: text("email").map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()),
        email_verified,
        name: text("name").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::encoding::base64url;

    fn token(header: Value, claims: Value) -> String {
        format!("{}.{}.{}", base64url(header.to_string().as_bytes()), base64url(claims.to_string().as_bytes()), base64url(b"sig"))
    }

    #[test]
    fn a_token_is_taken_apart_into_what_its_signature_covers() {
        let t = token(json!({"alg": "RS256", "kid": "k1"}), json!({"sub": "1"}));
        let jwt = Jwt::parse(&t).expect("parses");
        assert_eq!((jwt.alg.as_str(), jwt.kid.as_deref(), jwt.signature.as_slice()), ("RS256", Some("k1"), &b"sig"[..]));
        assert_eq!(format!("{}.{}", jwt.signing_input, base64url(b"sig")), t);
        for bad in ["", "a.b", "a.b.c.d", &format!("{t}.x"), "e30.W10.c2ln", "!!.e30.c2ln"] {
            assert!(Jwt::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_key_is_chosen_by_kid_and_only_for_rs256() {
        let keys = parse_jwks(r#"{"keys":[{"kid":"a","kty":"RSA","alg":"RS256","n":"n1","e":"AQAB"},{"kid":"ec","kty":"EC","crv":"P-256","x":"x","y":"y"},{"kid":"b","kty":"RSA","n":"n2","e":"AQAB"}]}"#).expect("jwks");
        assert_eq!(keys.len(), 2);
        let jwt = |alg: &str, kid: Option<&str>| Jwt { alg: alg.into(), kid: kid.map(Into::into), claims: json!({}), signing_input: String::new(), signature: Vec::new() };
        assert_eq!(key_for(&jwt("RS256", Some("b")), &keys).map(|k| k.n.as_str()), Ok("n2"));
        assert_eq!(key_for(&jwt("RS256", Some("zz")), &keys), Err(IdTokenError::UnknownKey));
        assert_eq!(key_for(&jwt("RS256", None), &keys), Err(IdTokenError::UnknownKey));
        assert_eq!(key_for(&jwt("HS256", Some("a")), &keys), Err(IdTokenError::Algorithm));
        assert_eq!(key_for(&jwt("none", Some("a")), &keys), Err(IdTokenError::Algorithm));
    }

    const NOW: i64 = 1_800_000_000;

    fn good() -> Value {
        json!({"iss": "https://idp", "aud": "client", "sub": "u1", "exp": NOW + 600, "iat": NOW - 5, "nonce": "n0nce",
               "email": "An@Example.vn", "email_verified": true, "name": "An"})
    }

    fn check(claims: Value) -> Result<IdClaims, IdTokenError> {
        check_claims(&claims, &Expected { issuers: &["https://idp"], client_id: "client", nonce: "n0nce", now: NOW })
    }

    fn with(key: &str, value: Value) -> Value {
        let mut c = good();
        c[key] = value;
        c
    }

    #[test]
    fn good_claims_give_the_subject_and_a_lowercased_email() {
        let c = check(good()).expect("valid");
        assert_eq!(c, IdClaims { subject: "u1".into(), email: Some("an@example.vn".into()), email_verified: true, name: Some("An".into()) });
        assert!(check(with("email_verified", json!("true"))).expect("apple style").email_verified);
        assert!(!check(with("email_verified", json!("false"))).expect("unverified").email_verified);
        assert!(check(with("aud", json!(["client", "other"]))).is_ok());
        assert!(check(with("exp", json!(NOW - LEEWAY + 1))).is_ok(), "within the leeway");
    }

    #[test]
    fn each_wrong_claim_is_refused_with_its_reason() {
        let cases = [
            (with("iss", json!("https://evil")), IdTokenError::Issuer),
            (with("aud", json!("other")), IdTokenError::Audience),
            (with("aud", json!(["other"])), IdTokenError::Audience),
            (with("exp", json!(NOW - LEEWAY)), IdTokenError::Expired),
            (with("exp", json!("soon")), IdTokenError::Malformed),
            (with("iat", json!(NOW + LEEWAY + 1)), IdTokenError::IssuedInFuture),
            (with("nonce", json!("other")), IdTokenError::Nonce),
            (with("nonce", Value::Null), IdTokenError::Nonce),
            (with("sub", json!("")), IdTokenError::Subject),
        ];
        for (claims, want) in cases {
            assert_eq!(check(claims.clone()), Err(want), "{claims}");
        }
        let mut multi = with("aud", json!(["client", "other"]));
        multi["azp"] = json!("other");
        assert_eq!(check(multi), Err(IdTokenError::Audience));
        let empty_nonce = check_claims(&with("nonce", json!("")), &Expected { issuers: &["https://idp"], client_id: "client", nonce: "", now: NOW });
        assert_eq!(empty_nonce, Err(IdTokenError::Nonce));
    }
}
