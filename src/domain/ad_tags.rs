//! Tags with consent (issue 16): the shopper's choice kept in a first-party cookie, the tags the
//! shop is configured with (Google Tag Manager, the Meta Pixel), and Meta's Conversions API event
//! for a paid order, with the buyer's email and phone normalised and hashed as Meta asks.
//!
//! The choice follows Google Consent Mode v2: everything is denied until the shopper chooses; the
//! banner's three categories map to its consent types in `public/js/app.js`. See docs/TRACKING.md.

use serde_json::{json, Value};

use super::money::Vnd;
use super::signature::sha256_hex;

/// The first-party cookie holding the choice, read by the page's script and by checkout.
pub const CONSENT_COOKIE: &str = "vestify_consent";

/// What a shopper agreed to. The default (no cookie, an unreadable one) is nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    pub analytics: bool,
    pub advertising: bool,
    pub personalisation: bool,
}

impl Choice {
    /// The cookie's value as the script writes it: `a1.d0.p0` (analytics, advertising — "d" as in
    /// ads —, personalisation; 1 granted, 0 denied). Anything else is no choice: denied.
    pub fn parse(value: &str) -> Option<Choice> {
        let mut parts = value.trim().split('.');
        let mut flag = |prefix: char| -> Option<bool> {
            let part = parts.next()?;
            match part.strip_prefix(prefix)? {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            }
        };
        let choice = Choice { analytics: flag('a')?, advertising: flag('d')?, personalisation: flag('p')? };
        parts.next().is_none().then_some(choice)
    }

    /// The choice a `Cookie` header carries; denied without one.
    pub fn from_cookie_header(header: &str) -> Choice {
        super::http::cookie(header, CONSENT_COOKIE).and_then(Choice::parse).unwrap_or_default()
    }

    pub fn value(self) -> String {
        format!("a{}.d{}.p{}", u8::from(self.analytics), u8::from(self.advertising), u8::from(self.personalisation))
    }
}

/// The tags configured for the shop: `GTM_ID`, `META_PIXEL_ID`, and where their scripts come from
/// (`GTM_SCRIPT_BASE`, `META_PIXEL_SCRIPT_BASE`: the providers' by default, a local fake in tests).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags {
    pub gtm_id: Option<String>,
    pub pixel_id: Option<String>,
    pub gtm_base: String,
    pub pixel_base: String,
}

pub const GTM_BASE: &str = "https://www.googletagmanager.com";
pub const PIXEL_BASE: &str = "https://connect.facebook.net";

impl Tags {
    /// From the configured values: an id that is not one (`GTM-` and letters/digits; a Pixel's
    /// digits) is dropped rather than written into pages; a base that is not an http(s) origin falls
    /// back to the provider's.
    pub fn new(gtm_id: Option<&str>, pixel_id: Option<&str>, gtm_base: Option<&str>, pixel_base: Option<&str>) -> Tags {
        let gtm_id = gtm_id.map(str::trim).filter(|id| id.len() <= 20 && id.strip_prefix("GTM-").is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())));
        let pixel_id = pixel_id.map(str::trim).filter(|id| (5..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()));
        let base = |b: Option<&str>, default: &str| b.map(|b| b.trim().trim_end_matches('/')).filter(|b| is_http_origin(b)).unwrap_or(default).to_string();
        Tags { gtm_id: gtm_id.map(str::to_string), pixel_id: pixel_id.map(str::to_string), gtm_base: base(gtm_base, GTM_BASE), pixel_base: base(pixel_base, PIXEL_BASE) }
    }

    /// Whether any tag is configured: without one there is nothing to ask consent for, and no banner.
    pub fn any(&self) -> bool {
        self.gtm_id.is_some() || self.pixel_id.is_some()
    }

    /// The extra `connect-src` sources the tags send their beacons to (empty without tags): Google
    /// Analytics through GTM, the Pixel's, and the script bases themselves. Scripts need none:
    /// the policy's `'strict-dynamic'` trusts what the nonced page script inserts.
    pub fn csp_connect(&self) -> String {
        let mut sources = Vec::new();
        if self.gtm_id.is_some() {
            sources.extend(["https://*.google-analytics.com", "https://*.analytics.google.com", "https://*.googletagmanager.com"]);
            sources.push(&self.gtm_base);
        }
        if self.pixel_id.is_some() {
            sources.extend(["https://www.facebook.com", "https://connect.facebook.net"]);
            sources.push(&self.pixel_base);
        }
        sources.sort_unstable();
        sources.dedup();
        sources.join(" ")
    }
}

impl Tags {
    /// From the environment: `GTM_ID`, `META_PIXEL_ID`, `GTM_SCRIPT_BASE`, `META_PIXEL_SCRIPT_BASE`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Tags {
        Tags::new(get("GTM_ID").as_deref(), get("META_PIXEL_ID").as_deref(), get("GTM_SCRIPT_BASE").as_deref(), get("META_PIXEL_SCRIPT_BASE").as_deref())
    }
}

/// Meta's Conversions API: the Pixel it reports to, its access token (a secret), the Graph API's
/// base (`META_CAPI_BASE`, a local fake in tests) and version (`META_CAPI_VERSION`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapiConfig {
    pub pixel_id: String,
    pub token: String,
    pub base: String,
    pub version: String,
}

pub const CAPI_BASE: &str = "https://graph.facebook.com";
pub const CAPI_VERSION: &str = "v21.0";

impl CapiConfig {
    /// On only with a valid `META_PIXEL_ID` and `META_CAPI_TOKEN`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<CapiConfig> {
        let pixel_id = Tags::new(None, get("META_PIXEL_ID").as_deref(), None, None).pixel_id?;
        let token = get("META_CAPI_TOKEN").map(|t| t.trim().to_string()).filter(|t| !t.is_empty())?;
        let base = get("META_CAPI_BASE").map(|b| b.trim().trim_end_matches('/').to_string()).filter(|b| is_http_origin(b)).unwrap_or_else(|| CAPI_BASE.to_string());
        let version = get("META_CAPI_VERSION").filter(|v| v.starts_with('v') && v.len() <= 8 && v[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.')).unwrap_or_else(|| CAPI_VERSION.to_string());
        Some(CapiConfig { pixel_id, token, base, version })
    }

    pub fn url(&self) -> String {
        capi_url(&self.base, &self.version, &self.pixel_id, &self.token)
    }
}

/// `http(s)://host[:port]` and nothing more: what a script base may be.
fn is_http_origin(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else { return false };
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
}

/// The event id a paid order's purchase carries in the page (Pixel's `eventID`, GA4's
/// `transaction_id` is the order number) and in the Conversions API, so Meta counts it once.
pub fn purchase_event_id(order_id: &str) -> String {
    format!("purchase-{order_id}")
}

/// An email as Meta hashes it: trimmed and lowercased, SHA-256 in lowercase hex. `None` when empty.
/// <https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters>
pub fn hashed_email(email: &str) -> Option<String> {
    let normalised = email.trim().to_lowercase();
    (!normalised.is_empty()).then(|| sha256_hex(normalised.as_bytes()))
}

/// A phone as Meta hashes it: digits only, with the country code and without the national leading
/// zero (`0912 345 678` → `84912345678`, `+84 912…` the same), SHA-256 in lowercase hex. A number
/// written without a country code is read as Vietnamese. `None` when it has too few digits.
pub fn hashed_phone(phone: &str) -> Option<String> {
    let trimmed = phone.trim();
    let international = trimmed.starts_with('+') || trimmed.starts_with("00");
    let mut digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if trimmed.starts_with("00") {
        digits.drain(..2);
    } else if !international {
        if let Some(national) = digits.strip_prefix('0') {
            digits = format!("84{national}");
        } else if !digits.starts_with("84") {
            digits = format!("84{digits}");
        }
    }
    (digits.len() >= 8 && digits.len() <= 15).then(|| sha256_hex(digits.as_bytes()))
}

/// A paid order as the Conversions API's Purchase needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase<'a> {
    pub order_id: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub value: Vnd,
    /// When it was paid (Unix seconds): the event's time.
    pub paid_at: i64,
    /// The page the purchase was made from (the order's page on the shop's origin).
    pub source_url: String,
}

/// The request body of `POST /v{version}/{pixel_id}/events`: one server `Purchase` event.
/// <https://developers.facebook.com/docs/marketing-api/conversions-api/using-the-api>
pub fn capi_body(p: &Purchase) -> Value {
    let mut user_data = serde_json::Map::new();
    if let Some(em) = hashed_email(p.email) {
        user_data.insert("em".into(), json!([em]));
    }
    if let Some(ph) = hashed_phone(p.phone) {
        user_data.insert("ph".into(), json!([ph]));
    }
    json!({
        "data": [{
            "event_name": "Purchase",
            "event_time": p.paid_at,
            "event_id": purchase_event_id(p.order_id),
            "action_source": "website",
            "event_source_url": p.source_url,
            "user_data": user_data,
            "custom_data": { "currency": "VND", "value": p.value.minor() },
        }]
    })
}

/// Meta's Graph API endpoint for the Pixel's events.
pub fn capi_url(base: &str, version: &str, pixel_id: &str, token: &str) -> String {
    format!("{}/{}/{}/events?access_token={}", base.trim_end_matches('/'), version, pixel_id, super::listing::percent_encode_component(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_reads_back_what_it_wrote_and_anything_else_is_denied() {
        let all = Choice { analytics: true, advertising: true, personalisation: true };
        assert_eq!(Choice::parse(&all.value()), Some(all));
        assert_eq!(Choice::parse("a1.d0.p1"), Some(Choice { analytics: true, advertising: false, personalisation: true }));
        for bad in ["", "a1", "a1.d1", "a1.d1.p1.x", "a2.d1.p1", "d1.a1.p1", "a1.d1.pyes", "granted"] {
            assert_eq!(Choice::parse(bad), None, "{bad}");
        }
        assert_eq!(Choice::from_cookie_header("vestify_cart=x; vestify_consent=a0.d1.p0"), Choice { advertising: true, ..Choice::default() });
        assert_eq!(Choice::from_cookie_header("vestify_consent=a1.d1"), Choice::default(), "unreadable: denied");
        assert_eq!(Choice::from_cookie_header(""), Choice::default());
    }

    #[test]
    fn tags_keep_only_real_ids_and_need_one_for_a_banner() {
        let none = Tags::new(None, Some(""), None, None);
        assert!(!none.any());
        assert_eq!(none.csp_connect(), "");
        let bad = Tags::new(Some("GTM-<x>"), Some("12ab34"), Some("javascript:alert(1)"), None);
        assert!(!bad.any() && bad.gtm_base == GTM_BASE);
        let tags = Tags::new(Some(" GTM-ABC123 "), Some("1234567890"), Some("http://127.0.0.1:9000/"), None);
        assert_eq!((tags.gtm_id.as_deref(), tags.pixel_id.as_deref()), (Some("GTM-ABC123"), Some("1234567890")));
        assert_eq!(tags.gtm_base, "http://127.0.0.1:9000");
        let connect = tags.csp_connect();
        assert!(connect.contains("https://*.google-analytics.com") && connect.contains("https://www.facebook.com") && connect.contains("http://127.0.0.1:9000"), "{connect}");
        let pixel_only = Tags::new(None, Some("1234567890"), None, None);
        assert!(pixel_only.any() && !pixel_only.csp_connect().contains("google"));
    }

    #[test]
    fn emails_are_trimmed_and_lowercased_before_hashing() {
        // sha256("an@example.vn"), computed independently (printf 'an@example.vn' | sha256sum).
        let expected = "6a2bbfe4a1cca4892e5ea4997473175cbcaa7734b161d71a09b9f4555090669f";
        for written in ["an@example.vn", "  An@Example.VN ", "AN@EXAMPLE.VN\n"] {
            assert_eq!(hashed_email(written).as_deref(), Some(expected), "{written:?}");
        }
        assert_eq!(hashed_email("   "), None);
    }

    #[test]
    fn phones_are_digits_with_the_country_code_before_hashing() {
        // printf '84912345678' | sha256sum
        let want = "25cc2f7574420a2d46c9f2d6cf94cdbb242ef7d479afe92ed6e8eb33a7493093";
        for written in ["+84912345678", "+84 912 345 678", "0912 345 678", "0912.345.678", "84912345678", "0084912345678"] {
            assert_eq!(hashed_phone(written).as_deref(), Some(want), "{written}");
        }
        assert_eq!(hashed_phone("+1 (415) 555-0100").unwrap(), sha256_hex(b"14155550100"));
        assert_eq!(hashed_phone(""), None);
        assert_eq!(hashed_phone("12"), None);
    }

    #[test]
    fn the_purchase_event_has_meta_s_shape_and_the_page_s_event_id() {
        let p = Purchase { order_id: "o1", email: "An@Example.vn", phone: "+84912345678", value: Vnd::new(590_000), paid_at: 1_765_000_000, source_url: "https://vestify.vn/orders/VF-1".into() };
        let body = capi_body(&p);
        let event = &body["data"][0];
        assert_eq!(event["event_name"], "Purchase");
        assert_eq!(event["event_id"], purchase_event_id("o1"));
        assert_eq!(event["event_time"], 1_765_000_000);
        assert_eq!(event["action_source"], "website");
        assert_eq!(event["event_source_url"], "https://vestify.vn/orders/VF-1");
        assert_eq!(event["user_data"]["em"][0], sha256_hex(b"an@example.vn"));
        assert_eq!(event["user_data"]["ph"][0], sha256_hex(b"84912345678"));
        assert_eq!(event["custom_data"], json!({"currency": "VND", "value": 590_000}));
        // No email (a phone-only buyer): no `em` at all, never the hash of an empty string.
        let phone_only = capi_body(&Purchase { email: "", ..p.clone() });
        assert!(phone_only["data"][0]["user_data"].get("em").is_none());
        assert_eq!(capi_url("https://graph.facebook.com/", "v21.0", "123", "a b"), "https://graph.facebook.com/v21.0/123/events?access_token=a%20b");
    }
}
