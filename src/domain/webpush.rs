//! Web Push, pure: a subscription's parts checked at the edge (an https endpoint that is not a
//! private or loopback address — no server-side request forgery — and a P-256 key with its 16-byte
//! secret), the message encrypted for it (RFC 8291: ECDH + HKDF into RFC 8188 `aes128gcm`), and the
//! VAPID `Authorization` that identifies the shop to the push service (RFC 8292: an ES256 JWT).
//! The randomness (the sender's one-time key, the salt) comes in from the caller.
//!
//! RFC 8030 (the request): <https://www.rfc-editor.org/rfc/rfc8030>; RFC 8291 (the encryption):
//! <https://www.rfc-editor.org/rfc/rfc8291>; RFC 8292 (VAPID): <https://www.rfc-editor.org/rfc/rfc8292>.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

use super::encoding::{base64url, base64url_decode_lenient};
use super::notify::SendError;

/// A push subscription as the browser gives it (`PushSubscription.toJSON()`), checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// The browser's public key, uncompressed (65 bytes).
    pub p256dh: Vec<u8>,
    /// The shared authentication secret (16 bytes).
    pub auth: Vec<u8>,
}

/// Why a subscription is refused (the field at fault, for the 422).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadSubscription {
    Endpoint,
    P256dh,
    Auth,
}

impl BadSubscription {
    pub fn field(self) -> &'static str {
        match self {
            BadSubscription::Endpoint => "endpoint",
            BadSubscription::P256dh => "p256dh",
            BadSubscription::Auth => "auth",
        }
    }
}

impl Subscription {
    /// Checks an endpoint and keys as posted (base64url, padded or not). `test_origins` are origins
    /// (`http://127.0.0.1:9001`) the configuration allows beside the public https ones: the local
    /// fake push service in tests.
    pub fn parse(endpoint: &str, p256dh: &str, auth: &str, test_origins: &[String]) -> Result<Subscription, BadSubscription> {
        let endpoint = endpoint.trim();
        check_endpoint(endpoint, test_origins).ok_or(BadSubscription::Endpoint)?;
        let key = base64url_decode_lenient(p256dh.trim().trim_end_matches('=')).filter(|k| k.len() == 65 && PublicKey::from_sec1_bytes(k).is_ok()).ok_or(BadSubscription::P256dh)?;
        let secret = base64url_decode_lenient(auth.trim().trim_end_matches('=')).filter(|a| a.len() == 16).ok_or(BadSubscription::Auth)?;
        Ok(Subscription { endpoint: endpoint.to_string(), p256dh: key, auth: secret })
    }
}

/// `Some(origin)` (scheme + host + port, the JWT's `aud`) when `endpoint` may be called: the
/// server-side request forgery guard shared with the webhooks ([`super::ssrf::public_origin`]).
pub fn check_endpoint(endpoint: &str, test_origins: &[String]) -> Option<String> {
    super::ssrf::public_origin(endpoint, test_origins)
}

/// The shop's VAPID key pair, from its private key (`VAPID_PRIVATE_KEY`: the 32-byte scalar, base64url).
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    /// The public key, uncompressed, base64url: the page's `applicationServerKey` and the `k=` parameter.
    pub public_key: String,
    /// `VAPID_SUBJECT`: a `mailto:` or `https:` contact for the push services.
    pub subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid").field("public_key", &self.public_key).field("subject", &self.subject).finish_non_exhaustive()
    }
}

impl PartialEq for Vapid {
    fn eq(&self, other: &Vapid) -> bool {
        self.public_key == other.public_key && self.subject == other.subject
    }
}

impl Eq for Vapid {}

/// How long a VAPID token is valid (Apple refuses more than a day).
pub const VAPID_SECONDS: i64 = 12 * 3600;

impl Vapid {
    pub fn new(private_key: &str, subject: &str) -> Option<Vapid> {
        let secret = SecretKey::from_slice(&base64url_decode_lenient(private_key.trim().trim_end_matches('='))?).ok()?;
        let public_key = base64url(secret.public_key().to_encoded_point(false).as_bytes());
        Some(Vapid { key: SigningKey::from(secret), public_key, subject: subject.trim().to_string() })
    }

    /// The `Authorization` header for a request to `audience` (the endpoint's origin) at `now`:
    /// `vapid t=<ES256 JWT>, k=<public key>`.
    pub fn authorization(&self, audience: &str, now: i64) -> String {
        let header = base64url(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": audience, "exp": now + VAPID_SECONDS, "sub": self.subject});
        let signing_input = format!("{header}.{}", base64url(claims.to_string().as_bytes()));
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        format!("vapid t={signing_input}.{}, k={}", base64url(&signature.to_bytes()), self.public_key)
    }
}

/// The record size written in the header; one record carries a whole message.
pub const RECORD_SIZE: u32 = 4096;
/// The longest plaintext one 4096-byte record holds (RFC 8291 §4: 4096 − 86 header − 16 tag − 1 delimiter).
pub const MAX_PLAINTEXT: usize = 3_993;

/// Encrypts `plaintext` for a subscription (RFC 8291 §3.4 and RFC 8188): `sender_private` is a
/// fresh P-256 scalar and `salt` 16 fresh random bytes for every message. `None` if the keys are
/// unusable or the text too long for one record.
pub fn encrypt(plaintext: &[u8], ua_public: &[u8], auth: &[u8], sender_private: &[u8; 32], salt: &[u8; 16]) -> Option<Vec<u8>> {
    if plaintext.len() > MAX_PLAINTEXT {
        return None;
    }
    let ua = PublicKey::from_sec1_bytes(ua_public).ok()?;
    let sender = SecretKey::from_slice(sender_private).ok()?;
    let as_public = sender.public_key().to_encoded_point(false);
    let ua_bytes = ua.to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), ua.as_affine());
    // IKM = HKDF(salt = auth, ikm = ECDH secret, info = "WebPush: info\0" ‖ ua_public ‖ as_public).
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_bytes.as_bytes());
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes()).expand(&key_info, &mut ikm).ok()?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).ok()?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).ok()?;
    let mut record = plaintext.to_vec();
    record.push(2); // the last record's padding delimiter
    let sealed = Aes128Gcm::new_from_slice(&cek).ok()?.encrypt(Nonce::from_slice(&nonce), record.as_slice()).ok()?;
    let mut body = salt.to_vec();
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&sealed);
    Some(body)
}

/// A request to a push service, ready to send (binary body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The RFC 8030 request carrying `plaintext` to `subscription`: encrypted, with `TTL`, `Urgency`,
/// an optional `Topic` (a newer message on the same topic replaces an undelivered one), and VAPID.
#[expect(clippy::too_many_arguments, reason = "the request's parts and the message's randomness, each needed once")]
pub fn request(subscription: &Subscription, vapid: &Vapid, plaintext: &[u8], ttl: i64, topic: Option<&str>, now: i64, sender_private: &[u8; 32], salt: &[u8; 16]) -> Option<PushRequest> {
    let audience = super::ssrf::origin_of(&subscription.endpoint)?;
    let body = encrypt(plaintext, &subscription.p256dh, &subscription.auth, sender_private, salt)?;
    let mut headers = vec![
        ("content-type".to_string(), "application/octet-stream".to_string()),
        ("content-encoding".to_string(), "aes128gcm".to_string()),
        ("ttl".to_string(), ttl.to_string()),
        ("urgency".to_string(), "normal".to_string()),
        ("authorization".to_string(), vapid.authorization(&audience, now)),
    ];
    if let Some(topic) = topic.filter(|t| t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        headers.push(("topic".to_string(), topic.to_string()));
    }
    Some(PushRequest { url: subscription.endpoint.clone(), headers, body })
}

/// What a push service's answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Accepted (201; some services answer 200/202): the message's id from `Location` if any.
    Sent(String),
    /// 404 or 410: the subscription has expired or was withdrawn — delete it.
    Gone,
    Failed(SendError),
}

pub fn outcome(status: u16, location: Option<&str>, body: &str) -> PushOutcome {
    match status {
        200..=299 => PushOutcome::Sent(location.unwrap_or("accepted").chars().take(300).collect()),
        404 | 410 => PushOutcome::Gone,
        // 413: the message is too large — a bug here, not worth another try.
        _ => PushOutcome::Failed(SendError::from_status(status, body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::encoding::base64url_decode;

    fn b(s: &str) -> Vec<u8> {
        base64url_decode(s).unwrap()
    }

    /// RFC 8291 Appendix A.
    #[test]
    fn encryption_matches_the_rfc_8291_test_vector() {
        let plaintext = b"When I grow up, I want to be a watermelon";
        let auth = b("BTBZMqHH6r4Tts7J_aSIgg");
        let ua_public = b("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let sender: [u8; 32] = b("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw").try_into().unwrap();
        let salt: [u8; 16] = b("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt(plaintext, &ua_public, &auth, &sender, &salt).unwrap();
        assert_eq!(
            base64url(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
        assert!(encrypt(&[0; MAX_PLAINTEXT + 1], &ua_public, &auth, &sender, &salt).is_none());
    }

    #[test]
    fn the_vapid_token_is_an_es256_jwt_for_the_endpoints_origin() {
        use p256::ecdsa::signature::Verifier;
        let vapid = Vapid::new("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", "mailto:ops@vestify.vn").unwrap();
        let header = vapid.authorization("https://fcm.googleapis.com", 1_800_000_000);
        let (t, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, vapid.public_key);
        let parts: Vec<&str> = t.split('.').collect();
        let claims: serde_json::Value = serde_json::from_slice(&b(parts[1])).unwrap();
        assert_eq!(claims, serde_json::json!({"aud": "https://fcm.googleapis.com", "exp": 1_800_000_000 + VAPID_SECONDS, "sub": "mailto:ops@vestify.vn"}));
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&b(k)).unwrap();
        let signature = Signature::from_slice(&b(parts[2])).unwrap();
        assert!(key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).is_ok());
        assert!(key.verify(b"tampered", &signature).is_err());
        assert!(Vapid::new("short", "mailto:x@y.vn").is_none());
    }

    #[test]
    fn a_subscription_endpoint_goes_through_the_shared_guard() {
        let test = vec!["http://127.0.0.1:9100".to_string()];
        assert!(check_endpoint("http://127.0.0.1:9100/push/1", &test).is_some());
        assert!(check_endpoint("https://169.254.169.254/latest", &test).is_none());
        assert!(Subscription::parse("https://127.0.0.1/x", "", "", &test) == Err(BadSubscription::Endpoint));
    }

    #[test]
    fn a_subscription_needs_a_p256_key_and_a_16_byte_secret() {
        let key = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        let ok = Subscription::parse("https://fcm.googleapis.com/x", key, "BTBZMqHH6r4Tts7J_aSIgg==", &[]).unwrap();
        assert_eq!((ok.p256dh.len(), ok.auth.len()), (65, 16));
        assert_eq!(Subscription::parse("http://fcm.googleapis.com/x", key, "BTBZMqHH6r4Tts7J_aSIgg", &[]), Err(BadSubscription::Endpoint));
        let off_curve = base64url(&[4u8; 65]);
        assert_eq!(Subscription::parse("https://fcm.googleapis.com/x", &off_curve, "BTBZMqHH6r4Tts7J_aSIgg", &[]), Err(BadSubscription::P256dh));
        assert_eq!(Subscription::parse("https://fcm.googleapis.com/x", key, "BTBZ", &[]), Err(BadSubscription::Auth));
    }

    #[test]
    fn a_push_services_answer_says_sent_gone_or_retry() {
        assert_eq!(outcome(201, Some("https://push/m/1"), ""), PushOutcome::Sent("https://push/m/1".into()));
        assert_eq!(outcome(410, None, ""), PushOutcome::Gone);
        assert_eq!(outcome(404, None, ""), PushOutcome::Gone);
        assert!(matches!(outcome(429, None, ""), PushOutcome::Failed(SendError::Retry(_))));
        assert!(matches!(outcome(413, None, ""), PushOutcome::Failed(SendError::Permanent(_))));
    }
}
