//! Cloudflare Stream for review videos (issue 22, docs/REVIEWS.md), the pure part: the requests the
//! Worker sends (direct creator upload, video details, make public, delete), the video object Stream
//! answers and posts to the webhook, the webhook's signature, the state a video is in and the only
//! moves allowed between states, the signed playback token's JWT (its RS256 signature is made by
//! WebCrypto in `platform::webcrypto`) and the player, HLS and thumbnail URLs.
//!
//! API: <https://developers.cloudflare.com/stream/uploading-videos/direct-creator-uploads/>,
//! webhooks: <https://developers.cloudflare.com/stream/manage-video-library/using-webhooks/>,
//! signed URLs: <https://developers.cloudflare.com/stream/viewing-videos/securing-your-stream/>.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::encoding::base64url;
use super::payments::Outbound;
use super::signature::{constant_time_eq, hmac_hex, SignatureError};

/// The longest review video Stream accepts for us (`maxDurationSeconds`).
pub const MAX_DURATION_SECONDS: i64 = 90;
/// How long a direct upload link stays usable (`expiry`): 30 minutes.
pub const UPLOAD_SECONDS: i64 = 30 * 60;
/// How far a webhook's `time` may be from ours.
pub const WEBHOOK_TOLERANCE_SECONDS: i64 = 300;
/// How long a moderator's playback token lives (Stream allows up to 24 h).
pub const PLAYBACK_TOKEN_SECONDS: i64 = 3600;
/// The webhook's signature header.
pub const SIGNATURE_HEADER: &str = "Webhook-Signature";
/// Stream's REST base when `STREAM_API_BASE` is not set.
pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4";
/// Where direct uploads go when `STREAM_UPLOAD_ORIGIN` is not set (the page's CSP allows it).
pub const DEFAULT_UPLOAD_ORIGIN: &str = "https://upload.videodelivery.net";

/// The Stream account the shop uses: present only with an account id, an API token and a delivery
/// base (`STREAM_CUSTOMER_CODE`, or `STREAM_DELIVERY_BASE` for a fake).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    pub api_base: String,
    pub account_id: String,
    pub api_token: String,
    /// `https://customer-<code>.cloudflarestream.com`: the player, manifests and thumbnails.
    pub delivery_base: String,
    /// Where the browser sends the file (for the page's CSP `connect-src`).
    pub upload_origin: String,
    /// `STREAM_WEBHOOK_SECRET`: without it `/webhooks/stream` refuses everything.
    pub webhook_secret: Option<String>,
    /// `STREAM_SIGNING_KEY_ID` and `STREAM_SIGNING_KEY` (the `jwk` Stream's `POST …/stream/keys`
    /// returns: base64 of the private key's JWK, or the JWK itself): moderators' playback tokens.
    pub signing_key: Option<(String, String)>,
}

impl StreamConfig {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<StreamConfig> {
        let trim = |name: &str| get(name).map(|v| v.trim().trim_end_matches('/').to_string()).filter(|v| !v.is_empty());
        let account_id = trim("STREAM_ACCOUNT_ID")?;
        let api_token = trim("STREAM_API_TOKEN")?;
        let delivery_base = trim("STREAM_DELIVERY_BASE").or_else(|| {
            trim("STREAM_CUSTOMER_CODE").filter(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric())).map(|c| format!("https://customer-{c}.cloudflarestream.com"))
        })?;
        Some(StreamConfig {
            api_base: trim("STREAM_API_BASE").unwrap_or_else(|| DEFAULT_API_BASE.to_string()),
            account_id,
            api_token,
            delivery_base,
            upload_origin: trim("STREAM_UPLOAD_ORIGIN").unwrap_or_else(|| DEFAULT_UPLOAD_ORIGIN.to_string()),
            webhook_secret: trim("STREAM_WEBHOOK_SECRET"),
            signing_key: trim("STREAM_SIGNING_KEY_ID").zip(trim("STREAM_SIGNING_KEY")),
        })
    }

    fn url(&self, tail: &str) -> String {
        format!("{}/accounts/{}/stream{tail}", self.api_base, self.account_id)
    }

    fn authorised(&self, mut o: Outbound) -> Outbound {
        o.headers.push(("authorization".into(), format!("Bearer {}", self.api_token)));
        o
    }

    /// The extra CSP sources a page with Stream's player or uploads needs (`frame-src`, `img-src`,
    /// `connect-src`).
    pub fn csp_sources(&self) -> String {
        format!("{} {}", self.delivery_base, self.upload_origin)
    }
}

/// What a direct upload names: the review (`creator`, `meta`) and where the page may upload from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRequest<'a> {
    pub review_id: &'a str,
    pub product_id: i64,
    /// The shop's hosts (`host[:port]`, Stream's `allowedOrigins` has no scheme).
    pub allowed_origins: Vec<String>,
}

/// `POST …/stream/direct_upload`: 90 s at most, 30 minutes to upload, signed URLs until a
/// moderator approves, playable only on the shop's hosts.
pub fn direct_upload(cfg: &StreamConfig, req: &UploadRequest<'_>, now: i64) -> Outbound {
    let body = json!({
        "maxDurationSeconds": MAX_DURATION_SECONDS,
        "expiry": super::time::rfc3339(now + UPLOAD_SECONDS),
        "requireSignedURLs": true,
        "allowedOrigins": req.allowed_origins,
        "creator": format!("review:{}", req.review_id),
        "meta": {"name": format!("review {}", req.review_id), "review_id": req.review_id, "product_id": req.product_id},
        "thumbnailTimestampPct": 0.1,
    });
    cfg.authorised(Outbound::post(cfg.url("/direct_upload"), "application/json", body.to_string()))
}

/// The upload link and the video's id from a direct upload's answer.
pub fn parse_direct_upload(body: &str) -> Option<(String, String)> {
    let v: Value = serde_json::from_str(body).ok()?;
    let result = v.get("result")?;
    let uid = result.get("uid")?.as_str().filter(|u| valid_uid(u))?;
    let url = result.get("uploadURL")?.as_str().filter(|u| u.starts_with("https://") || u.starts_with("http://"))?;
    Some((uid.to_string(), url.to_string()))
}

/// Stream's ids are 32 hex digits; anything else is never put into a URL.
pub fn valid_uid(uid: &str) -> bool {
    uid.len() == 32 && uid.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET …/stream/{uid}`: the video's details (the cron's reconciliation).
pub fn details(cfg: &StreamConfig, uid: &str) -> Outbound {
    cfg.authorised(Outbound::get(cfg.url(&format!("/{uid}"))))
}

/// `POST …/stream/{uid}` `{"requireSignedURLs": false}`: an approved video plays for everyone
/// without a per-viewer token (reviews are public content).
pub fn make_public(cfg: &StreamConfig, uid: &str) -> Outbound {
    let body = json!({"uid": uid, "requireSignedURLs": false});
    cfg.authorised(Outbound::post(cfg.url(&format!("/{uid}")), "application/json", body.to_string()))
}

/// `DELETE …/stream/{uid}`: a rejected video is gone from Stream.
pub fn delete(cfg: &StreamConfig, uid: &str) -> Outbound {
    let mut o = cfg.authorised(Outbound::get(cfg.url(&format!("/{uid}"))));
    o.method = "DELETE";
    o
}

/// Where a review video stands (`review_videos.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoState {
    AwaitingUpload,
    Processing,
    /// Encoded; waits for a moderator (only moderators can play it).
    Ready,
    Error,
    /// Public at Stream and shown under the review.
    Approved,
    /// Deleted at Stream.
    Rejected,
}

impl VideoState {
    pub fn code(self) -> &'static str {
        match self {
            VideoState::AwaitingUpload => "awaiting_upload",
            VideoState::Processing => "processing",
            VideoState::Ready => "ready",
            VideoState::Error => "error",
            VideoState::Approved => "approved",
            VideoState::Rejected => "rejected",
        }
    }

    /// The states Stream's news may move a video out of into `self`: forward only, never out of
    /// a moderator's decision, so a repeated or late webhook has no effect.
    pub fn reachable_from(self) -> &'static [VideoState] {
        match self {
            VideoState::Processing => &[VideoState::AwaitingUpload],
            VideoState::Ready | VideoState::Error => &[VideoState::AwaitingUpload, VideoState::Processing],
            VideoState::AwaitingUpload | VideoState::Approved | VideoState::Rejected => &[],
        }
    }

    /// A new upload may replace the video only while nothing usable was uploaded.
    pub fn replaceable(self) -> bool {
        matches!(self, VideoState::AwaitingUpload | VideoState::Error)
    }
}

/// The parts of Stream's video object the shop uses (webhook body, or `result` of the details).
#[derive(Clone, Debug, PartialEq)]
pub struct Video {
    pub uid: String,
    pub ready_to_stream: bool,
    /// `status.state`: pendingupload, downloading, queued, inprogress, ready, error.
    pub state: String,
    /// `status.errorReasonCode` (or `errReasonCode`, as Stream's error example spells it).
    pub err_code: String,
    pub modified: String,
    pub duration: Option<f64>,
    pub review_id: Option<String>,
}

impl Video {
    /// The video object, bare (webhook) or under `result` (API answer).
    pub fn parse(body: &str) -> Option<Video> {
        let v: Value = serde_json::from_str(body).ok()?;
        let v = v.get("result").filter(|r| r.is_object()).unwrap_or(&v);
        let uid = v.get("uid")?.as_str().filter(|u| valid_uid(u))?.to_string();
        let status = v.get("status");
        let text = |o: Option<&Value>, k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_str).unwrap_or_default().to_string();
        let err = text(status, "errorReasonCode");
        Some(Video {
            uid,
            ready_to_stream: v.get("readyToStream").and_then(Value::as_bool).unwrap_or(false),
            state: text(status, "state"),
            err_code: if err.is_empty() { text(status, "errReasonCode") } else { err },
            modified: text(Some(v), "modified"),
            duration: v.get("duration").and_then(Value::as_f64).filter(|d| *d >= 0.0),
            review_id: v.get("meta").and_then(|m| m.get("review_id")).and_then(Value::as_str).map(str::to_string),
        })
    }

    /// The state this news puts the video in: ready once Stream says it can stream, error on
    /// Stream's error, still processing otherwise (uploaded, queued, encoding); `None` while
    /// Stream has not received the file.
    pub fn observed(&self) -> Option<VideoState> {
        match self.state.as_str() {
            "error" => Some(VideoState::Error),
            "ready" if self.ready_to_stream => Some(VideoState::Ready),
            "pendingupload" | "" => None,
            _ => Some(VideoState::Processing),
        }
    }
}

/// Checks `Webhook-Signature: time=<unix>,sig1=<hex>` against the raw body: `sig1` is
/// HMAC-SHA256(secret, "<time>.<body>"), compared in constant time; `time` within five minutes.
pub fn verify_webhook(secret: &[u8], header: &str, body: &str, now: i64) -> Result<(), SignatureError> {
    let (mut time, mut sigs) = (None, Vec::new());
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("time", v)) => time = v.trim().parse::<i64>().ok(),
            Some(("sig1", v)) => sigs.push(v.trim()),
            _ => {}
        }
    }
    let (Some(t), false) = (time, sigs.is_empty()) else { return Err(SignatureError::Malformed) };
    if (now - t).abs() > WEBHOOK_TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = hmac_hex(secret, format!("{t}.{body}").as_bytes());
    if sigs.iter().any(|s| constant_time_eq(expected.as_bytes(), s.to_ascii_lowercase().as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The header a webhook would carry (the tests' fake and ours).
pub fn sign_webhook(secret: &[u8], time: i64, body: &str) -> String {
    format!("time={time},sig1={}", hmac_hex(secret, format!("{time}.{body}").as_bytes()))
}

/// The signing input (`header.claims`, base64url) of a playback token for `uid`, as Stream's
/// self-signed tokens are: RS256 with the key's id, `sub` the video, `exp` an hour on.
pub fn playback_token_input(key_id: &str, uid: &str, now: i64) -> String {
    let header = json!({"alg": "RS256", "kid": key_id, "typ": "JWT"});
    let claims = json!({"sub": uid, "kid": key_id, "exp": now + PLAYBACK_TOKEN_SECONDS, "nbf": now - 60});
    format!("{}.{}", base64url(header.to_string().as_bytes()), base64url(claims.to_string().as_bytes()))
}

/// The signing key's JWK (JSON text) from the configured value: the JWK itself, or base64 of it
/// as Stream's keys endpoint returns it. Only an RSA private key is accepted.
pub fn signing_jwk(configured: &str) -> Option<String> {
    use base64::Engine;
    let text = configured.trim();
    let json = if text.starts_with('{') {
        text.to_string()
    } else {
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(text).ok()?).ok()?
    };
    let v: Value = serde_json::from_str(&json).ok()?;
    (v.get("kty").and_then(Value::as_str) == Some("RSA") && v.get("d").is_some()).then_some(json)
}

/// The player page of a video (`id`: its uid once public, else a signed token), with its poster.
pub fn iframe_url(delivery_base: &str, id: &str) -> String {
    let poster = thumbnail_url(delivery_base, id);
    format!("{delivery_base}/{id}/iframe?preload=none&poster={}", super::listing::percent_encode_component(&poster))
}

/// The HLS manifest.
pub fn hls_url(delivery_base: &str, id: &str) -> String {
    format!("{delivery_base}/{id}/manifest/video.m3u8")
}

/// The poster frame, 640×360.
pub fn thumbnail_url(delivery_base: &str, id: &str) -> String {
    format!("{delivery_base}/{id}/thumbnails/thumbnail.jpg?time=1s&width=640&height=360&fit=crop")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    fn cfg() -> StreamConfig {
        let vars = [("STREAM_ACCOUNT_ID", "acc1"), ("STREAM_API_TOKEN", "tok"), ("STREAM_CUSTOMER_CODE", "abc123"), ("STREAM_WEBHOOK_SECRET", "whsec")];
        StreamConfig::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())).expect("configured")
    }

    #[test]
    fn stream_is_configured_only_with_an_account_a_token_and_a_delivery_base() {
        assert!(StreamConfig::from_lookup(|_| None).is_none());
        let c = cfg();
        assert_eq!(c.api_base, DEFAULT_API_BASE);
        assert_eq!(c.delivery_base, "https://customer-abc123.cloudflarestream.com");
        assert_eq!(c.signing_key, None);
        let no_code = StreamConfig::from_lookup(|n| (n == "STREAM_ACCOUNT_ID" || n == "STREAM_API_TOKEN").then(|| "x".to_string()));
        assert!(no_code.is_none());
    }

    #[test]
    fn the_direct_upload_asks_for_ninety_seconds_thirty_minutes_signed_urls_and_names_the_review() {
        let o = direct_upload(&cfg(), &UploadRequest { review_id: "r1", product_id: 7, allowed_origins: vec!["vestify.vn".into()] }, NOW);
        assert_eq!(o.url, "https://api.cloudflare.com/client/v4/accounts/acc1/stream/direct_upload");
        assert!(o.headers.contains(&("authorization".to_string(), "Bearer tok".to_string())));
        let body: Value = serde_json::from_str(o.body.as_deref().expect("a body")).expect("json");
        assert_eq!(body["maxDurationSeconds"], 90);
        assert_eq!(body["expiry"], super::super::time::rfc3339(NOW + 1800));
        assert_eq!(body["requireSignedURLs"], true);
        assert_eq!(body["allowedOrigins"], json!(["vestify.vn"]));
        assert_eq!(body["creator"], "review:r1");
        assert_eq!(body["meta"]["review_id"], "r1");
        let answer = r#"{"result":{"uploadURL":"https://upload.videodelivery.net/6b9e68b07dfee8cc2d116e4c51d6a957","uid":"6b9e68b07dfee8cc2d116e4c51d6a957"},"success":true}"#;
        assert_eq!(parse_direct_upload(answer).map(|(uid, _)| uid).as_deref(), Some("6b9e68b07dfee8cc2d116e4c51d6a957"));
        assert_eq!(parse_direct_upload(r#"{"result":{"uploadURL":"https://x","uid":"../etc"}}"#), None, "an id that is not Stream's is refused");
        assert_eq!(delete(&cfg(), "u").method, "DELETE");
        assert_eq!(make_public(&cfg(), "u").body.as_deref(), Some(r#"{"requireSignedURLs":false,"uid":"u"}"#));
    }

    #[test]
    fn the_webhook_signature_matches_streams_documented_scheme_and_refuses_forged_or_stale_ones() {
        // The research's regression vector, computed with the documentation's example secret.
        let secret = b"85011ed3a913c6ad5f9cf6c5573cc0a7";
        let body = r#"{"uid":"6b9e68b07dfee8cc2d116e4c51d6a957","readyToStream":true,"status":{"state":"ready","pctComplete":"100.000000","errorReasonCode":"","errorReasonText":""}}"#;
        let header = "time=1230811200,sig1=1f02b32c015ada5ca9fa91b51b1c2b217d8b8d4d51263fd532e887bc0ac9f356";
        assert_eq!(verify_webhook(secret, header, body, 1_230_811_200 + 299), Ok(()));
        assert_eq!(sign_webhook(secret, 1_230_811_200, body), header);
        assert_eq!(verify_webhook(secret, header, body, 1_230_811_200 + 301), Err(SignatureError::Stale));
        assert_eq!(verify_webhook(secret, header, &body.replace("true", "false"), 1_230_811_200), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(b"another", header, body, 1_230_811_200), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(secret, "sig1=1f02", body, 1_230_811_200), Err(SignatureError::Malformed));
        assert_eq!(verify_webhook(secret, "time=1230811200", body, 1_230_811_200), Err(SignatureError::Malformed));
        let video = Video::parse(body).expect("a video");
        assert_eq!(video.observed(), Some(VideoState::Ready));
    }

    #[test]
    fn stream_news_moves_a_video_forward_only_and_reads_both_spellings_of_the_error_code() {
        let err = Video::parse(r#"{"uid":"6b9e68b07dfee8cc2d116e4c51d6a957","readyToStream":false,"status":{"state":"error","errReasonCode":"ERR_DURATION_EXCEED_CONSTRAINT"}}"#).expect("video");
        assert_eq!((err.observed(), err.err_code.as_str()), (Some(VideoState::Error), "ERR_DURATION_EXCEED_CONSTRAINT"));
        let wrapped = Video::parse(r#"{"result":{"uid":"6b9e68b07dfee8cc2d116e4c51d6a957","status":{"state":"inprogress"},"meta":{"review_id":"r9"},"duration":12.5}}"#).expect("video");
        assert_eq!((wrapped.observed(), wrapped.review_id.as_deref(), wrapped.duration), (Some(VideoState::Processing), Some("r9"), Some(12.5)));
        let waiting = Video::parse(r#"{"result":{"uid":"6b9e68b07dfee8cc2d116e4c51d6a957","status":{"state":"pendingupload"}}}"#).expect("video");
        assert_eq!(waiting.observed(), None);
        // "ready" without readyToStream is not playable yet.
        let half = Video::parse(r#"{"uid":"6b9e68b07dfee8cc2d116e4c51d6a957","readyToStream":false,"status":{"state":"ready"}}"#).expect("video");
        assert_eq!(half.observed(), Some(VideoState::Processing));
        assert!(VideoState::Ready.reachable_from().contains(&VideoState::Processing));
        assert!(!VideoState::Processing.reachable_from().contains(&VideoState::Ready), "never backwards");
        for decided in [VideoState::Approved, VideoState::Rejected] {
            assert!([VideoState::Processing, VideoState::Ready, VideoState::Error].iter().all(|s| !s.reachable_from().contains(&decided)));
        }
        assert!(VideoState::Error.replaceable() && !VideoState::Ready.replaceable());
    }

    #[test]
    fn the_playback_token_names_the_video_and_key_and_expires_within_a_day() {
        let input = playback_token_input("key1", "6b9e68b07dfee8cc2d116e4c51d6a957", NOW);
        let (header, claims) = input.split_once('.').expect("two parts");
        let header: Value = serde_json::from_slice(&super::super::encoding::base64url_decode(header).expect("b64")).expect("json");
        let claims: Value = serde_json::from_slice(&super::super::encoding::base64url_decode(claims).expect("b64")).expect("json");
        assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("RS256"), Some("key1")));
        assert_eq!(claims["sub"], "6b9e68b07dfee8cc2d116e4c51d6a957");
        assert_eq!(claims["exp"], NOW + 3600);
        assert!(claims["exp"].as_i64().expect("exp") - NOW <= 86_400);
        use base64::Engine;
        let jwk = r#"{"kty":"RSA","n":"x","e":"AQAB","d":"y"}"#;
        assert_eq!(signing_jwk(&base64::engine::general_purpose::STANDARD.encode(jwk)).as_deref(), Some(jwk));
        assert_eq!(signing_jwk(jwk).as_deref(), Some(jwk));
        assert_eq!(signing_jwk(r#"{"kty":"RSA","n":"x","e":"AQAB"}"#), None, "a public key cannot sign");
        assert!(iframe_url("https://c.example", "abc").starts_with("https://c.example/abc/iframe?preload=none&poster=https%3A%2F%2Fc.example%2Fabc%2Fthumbnails"));
    }
}
