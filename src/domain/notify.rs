//! Notifications' pure rules: what a message is (an event for one recipient on one channel), the
//! kinds the shop sends, how a failed delivery is retried (exponential backoff, at most
//! [`MAX_ATTEMPTS`], then a dead letter), and what a transport reports.

use serde::{Deserialize, Serialize};

/// How a message reaches its recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Push,
    Zns,
    /// A signed POST to an endpoint an app registered (`app::webhooks`); the recipient is the
    /// endpoint's id.
    Webhook,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
            Channel::Zns => "zns",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        [Channel::Email, Channel::Push, Channel::Zns, Channel::Webhook].into_iter().find(|c| c.code() == code)
    }
}

/// Where a message is in its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for a pass (first try, or a retry once `next_attempt_at` is reached).
    Pending,
    /// Claimed by a pass until its lease ends.
    Sending,
    Sent,
    /// Failed [`MAX_ATTEMPTS`] times, or refused for good: shown to managers, resent only by hand.
    Dead,
    /// Written before delivery existed; never sent.
    Skipped,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Pending, Status::Sending, Status::Sent, Status::Dead, Status::Skipped];

    pub fn code(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Dead => "dead",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The messages the shop sends. Order status changes are named `order_<status>` (written by the
/// order's move itself); the others by the flow that causes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    OrderPlaced,
    OrderConfirmed,
    OrderPaid,
    OrderExpired,
    OrderCancelled,
    OrderShipped,
    OrderDelivered,
    OrderReturned,
    OrderRefunded,
    OrderPartiallyRefunded,
    OrderNeedsRefund,
    /// A refund the provider confirmed (one per refund, beside the order's status message).
    RefundIssued,
    PasswordReset,
    VerifyEmail,
    /// A week after delivery, the signed link to review what was bought (issue 22).
    ReviewRequest,
    /// A variant the shopper asked about is back in stock (`app::alerts`).
    BackInStock,
    /// A variant the shopper watches costs less (`app::alerts`).
    PriceDrop,
    /// The newsletter's double opt-in: the signed link that confirms the address (`app::newsletter`).
    NewsletterConfirm,
    /// A manager's campaign to a segment of the subscribers (`app::campaigns`).
    Campaign,
    /// A signed-in shopper's cart left with items for an hour (`app::cart_reminders`).
    CartReminder,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::OrderPlaced,
        Kind::OrderConfirmed,
        Kind::OrderPaid,
        Kind::OrderExpired,
        Kind::OrderCancelled,
        Kind::OrderShipped,
        Kind::OrderDelivered,
        Kind::OrderReturned,
        Kind::OrderRefunded,
        Kind::OrderPartiallyRefunded,
        Kind::OrderNeedsRefund,
        Kind::RefundIssued,
        Kind::PasswordReset,
        Kind::VerifyEmail,
        Kind::ReviewRequest,
        Kind::BackInStock,
        Kind::PriceDrop,
        Kind::NewsletterConfirm,
        Kind::Campaign,
        Kind::CartReminder,
    ];

    /// The `kind` column's value. A shipped order's status is `fulfilled`: its message is
    /// `order_fulfilled`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::OrderPlaced => "order_placed",
            Kind::OrderConfirmed => "order_confirmed",
            Kind::OrderPaid => "order_paid",
            Kind::OrderExpired => "order_expired",
            Kind::OrderCancelled => "order_cancelled",
            Kind::OrderShipped => "order_fulfilled",
            Kind::OrderDelivered => "order_delivered",
            Kind::OrderReturned => "order_returned",
            Kind::OrderRefunded => "order_refunded",
            Kind::OrderPartiallyRefunded => "order_partially_refunded",
            Kind::OrderNeedsRefund => "order_needs_refund",
            Kind::RefundIssued => "refund_issued",
            Kind::PasswordReset => "password_reset",
            Kind::VerifyEmail => "verify_email",
            Kind::ReviewRequest => "review_request",
            Kind::BackInStock => "back_in_stock",
            Kind::PriceDrop => "price_drop",
            Kind::NewsletterConfirm => "newsletter_confirm",
            Kind::Campaign => "campaign",
            Kind::CartReminder => "cart_reminder",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// True for a message about an order (its payload names `order_id`).
    pub fn is_order(self) -> bool {
        !matches!(self, Kind::PasswordReset | Kind::VerifyEmail | Kind::ReviewRequest | Kind::BackInStock | Kind::PriceDrop | Kind::NewsletterConfirm | Kind::Campaign | Kind::CartReminder)
    }

    /// Marketing mail: it carries one-click unsubscribe (RFC 8058) and a preferences link, and is
    /// not sent to an address that unsubscribed. Everything else is transactional and always goes.
    pub fn is_marketing(self) -> bool {
        self.is_alert() || matches!(self, Kind::Campaign | Kind::CartReminder)
    }

    /// True for an alert about a variant (its payload names `variant_id`).
    pub fn is_alert(self) -> bool {
        matches!(self, Kind::BackInStock | Kind::PriceDrop)
    }
}

/// A restock of `units` notifies at most this many waiting shoppers per unit: enough that the
/// units sell if some shoppers do not come, few enough that most who come find one.
pub const WAVE_FACTOR: i64 = 3;

/// How many waiting shoppers a restock of `units` notifies (oldest first): 3 × the units, none
/// for a removal.
pub fn wave_size(units: i64) -> i64 {
    units.max(0).saturating_mul(WAVE_FACTOR)
}

/// A price drop worth an alert: at least this many percent below the price the shopper saw.
pub const PRICE_DROP_PERCENT: i64 = 5;

/// Whether `price` is a drop from `baseline` worth telling a watcher about (≥ 5 %).
pub fn is_price_drop(baseline: i64, price: i64) -> bool {
    baseline > 0 && price >= 0 && (baseline - price) * 100 >= baseline * PRICE_DROP_PERCENT
}

/// The signed token of an address's unsubscribe and preferences links: the address (base64url)
/// and an HMAC of the channel and the address under the shop's secret. It does not expire — an
/// unsubscribe link must keep working — and names nothing but the address.
pub fn preferences_token(secret: &[u8], channel: Channel, recipient: &str) -> String {
    let sig = crate::domain::signature::hmac_hex(secret, preferences_message(channel, recipient).as_bytes());
    format!("{}.{sig}", crate::domain::encoding::base64url(recipient.as_bytes()))
}

fn preferences_message(channel: Channel, recipient: &str) -> String {
    format!("preferences\n{}\n{recipient}", channel.code())
}

/// The address a preferences token names, if its signature holds (email only for now).
pub fn verify_preferences_token(secret: &[u8], token: &str) -> Option<String> {
    let (address, sig) = token.trim().split_once('.')?;
    let recipient = String::from_utf8(crate::domain::encoding::base64url_decode(address)?).ok()?;
    let signed = crate::domain::signature::verify_hex(secret, preferences_message(Channel::Email, &recipient).as_bytes(), sig);
    (signed && !recipient.is_empty()).then_some(recipient)
}

/// How long a newsletter confirmation link works.
pub const NEWSLETTER_LINK_SECONDS: i64 = 7 * 86_400;

/// The newsletter's double opt-in token: the address (base64url), its expiry and an HMAC of both.
pub fn newsletter_token(secret: &[u8], email: &str, expires_at: i64) -> String {
    let sig = crate::domain::signature::hmac_hex(secret, format!("newsletter\n{email}\n{expires_at}").as_bytes());
    format!("{}.{expires_at}.{sig}", crate::domain::encoding::base64url(email.as_bytes()))
}

/// The address a newsletter token confirms, if its signature holds and it has not expired.
pub fn verify_newsletter_token(secret: &[u8], token: &str, now: i64) -> Option<String> {
    let mut parts = token.trim().split('.');
    let (address, expires_at, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let email = String::from_utf8(crate::domain::encoding::base64url_decode(address)?).ok()?;
    let expires_at: i64 = expires_at.parse().ok()?;
    let signed = crate::domain::signature::verify_hex(secret, format!("newsletter\n{email}\n{expires_at}").as_bytes(), sig);
    (signed && now <= expires_at && !email.is_empty()).then_some(email)
}

/// The RFC 8058 headers of a marketing mail: the one-click unsubscribe URL (https, POSTed to by the
/// mailbox provider with `List-Unsubscribe=One-Click`).
pub fn unsubscribe_headers(unsubscribe_url: &str) -> Vec<(String, String)> {
    vec![("List-Unsubscribe".to_string(), format!("<{unsubscribe_url}>")), ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string())]
}

/// Tries per message, the first included.
pub const MAX_ATTEMPTS: i64 = 6;

/// How long a pass holds a claimed message before another pass may take it over (a pass that died
/// mid-send).
pub const LEASE_SECONDS: i64 = 120;

/// The wait before try `attempts + 1` after `attempts` failed tries: 1 min, 5 min, 30 min, 2 h, 12 h.
pub fn backoff_seconds(attempts: i64) -> i64 {
    match attempts {
        ..=1 => 60,
        2 => 300,
        3 => 1_800,
        4 => 7_200,
        _ => 43_200,
    }
}

/// Why a transport did not deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Worth another try: a 5xx, a 429, a timeout, no answer.
    Retry(String),
    /// The provider refused the message itself (a 4xx other than 408/429, a malformed address):
    /// another try would fail the same way.
    Permanent(String),
}

impl SendError {
    /// Classifies a provider's HTTP answer that was not a success.
    pub fn from_status(status: u16, body: &str) -> SendError {
        let text: String = body.chars().take(300).collect();
        let message = format!("HTTP {status}: {text}");
        // A bad or revoked key (401, 403) is the shop's to fix: the messages wait for it rather than die.
        if status >= 500 || matches!(status, 401 | 403 | 408 | 429) {
            SendError::Retry(message)
        } else {
            SendError::Permanent(message)
        }
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Retry(m) | SendError::Permanent(m) => m,
        }
    }
}

/// Why an HTTP transport of the outbox (Resend, Web Push, ZNS, the apps' webhooks, Meta's
/// Conversions API) has no answer for the pass to judge; each judges an answer its own way
/// (`resend_answer`, `webpush::outcome`, `zns::answer`, `webhooks::outcome`, `SendError::from_status`).
/// `into_send_error` is the one decision between dead and retried for a try that got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The request could not be made from the message (a header or URL the runtime refuses):
    /// another try would fail the same way.
    Request(String),
    /// No answer: the network, DNS, a timeout, the runtime's fetch failing.
    Unreachable(String),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Request(m) => write!(f, "request refused by the runtime: {m}"),
            TransportError::Unreachable(m) => write!(f, "unreachable: {m}"),
        }
    }
}

impl TransportError {
    /// What the outbox does with it: a request that cannot be made is dead at once, no answer is
    /// retried with the backoff. `provider` names it in the message (`push service`, `ZNS`).
    pub fn into_send_error(self, provider: &str) -> SendError {
        match self {
            TransportError::Request(_) => SendError::Permanent(format!("{provider} {self}")),
            TransportError::Unreachable(_) => SendError::Retry(format!("{provider} {self}")),
        }
    }
}

/// What follows a failed try number `attempts` (counting it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(i64),
    Dead,
}

pub fn after_failure(attempts: i64, error: &SendError, now: i64) -> AfterFailure {
    match error {
        SendError::Permanent(_) => AfterFailure::Dead,
        SendError::Retry(_) if attempts >= MAX_ATTEMPTS => AfterFailure::Dead,
        SendError::Retry(_) => AfterFailure::RetryAt(now + backoff_seconds(attempts)),
    }
}

/// A rendered email, ready for a transport.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Extra headers (`List-Unsubscribe` on marketing mail).
    pub headers: Vec<(String, String)>,
    /// The provider's idempotency key: the same for every try of one message.
    pub idempotency_key: String,
}

/// The idempotency key of a message for a provider that takes one (≤ 256 characters): the event's
/// key, the channel and the row, so a retry of one row is recognised and two rows never collide.
pub fn idempotency_key(dedupe_key: &str, channel: Channel, id: i64) -> String {
    let key: String = dedupe_key.chars().take(200).collect();
    format!("{key}/{}/{id}", channel.code())
}

/// Resend's API (`POST {base}/emails`): the request for one email, with the key as a bearer token
/// and the message's idempotency key, so a retry after a lost answer is not sent twice.
pub fn resend_request(base: &str, api_key: &str, from: &str, email: &Email) -> crate::domain::payments::Outbound {
    let mut body = serde_json::json!({
        "from": from,
        "to": [email.to],
        "subject": email.subject,
        "html": email.html,
        "text": email.text,
    });
    if !email.headers.is_empty() {
        body["headers"] = email.headers.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect::<serde_json::Map<_, _>>().into();
    }
    let mut out = crate::domain::payments::Outbound::post(format!("{}/emails", base.trim_end_matches('/')), "application/json", body.to_string());
    out.headers.push(("authorization".into(), format!("Bearer {api_key}")));
    out.headers.push(("idempotency-key".into(), email.idempotency_key.clone()));
    out
}

/// Resend's answer: its message id on a 2xx (`{"id": …}`), the failure otherwise.
pub fn resend_answer(status: u16, body: &str) -> Result<String, SendError> {
    if !(200..300).contains(&status) {
        return Err(SendError::from_status(status, body));
    }
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string))
        .ok_or_else(|| SendError::Retry(format!("HTTP {status} without an id")))
}

/// Which transport carries email (`MAIL_TRANSPORT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailTransport {
    /// None configured: messages wait in the outbox (nothing is claimed) until one is.
    Off,
    /// Development: accepted and logged, listed by `GET /internal/outbox` and the admin log as sent.
    Sink,
    /// Resend's HTTP API at `base` (`RESEND_API_BASE`, default `https://api.resend.com`).
    Resend { base: String, api_key: String },
    /// Cloudflare Email Sending through the `send_email` binding named `binding` (`EMAIL`).
    Cloudflare { binding: String },
}

/// The email settings read from the Worker's vars and secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// `MAIL_FROM`: the sender as the recipient sees it (`Vestify <shop@vestify.vn>`).
    pub from: String,
}

pub const DEFAULT_RESEND_API_BASE: &str = "https://api.resend.com";

impl MailConfig {
    /// `MAIL_TRANSPORT` = `resend` | `cloudflare` | `sink` | `off`; unset, Resend when
    /// `RESEND_API_KEY` is set, otherwise off. Resend without its key is off too.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> MailConfig {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let key = get("RESEND_API_KEY");
        let resend = |key: Option<String>| match key {
            Some(api_key) => MailTransport::Resend { base: get("RESEND_API_BASE").unwrap_or_else(|| DEFAULT_RESEND_API_BASE.to_string()), api_key },
            None => MailTransport::Off,
        };
        let transport = match get("MAIL_TRANSPORT").map(|t| t.to_ascii_lowercase()).as_deref() {
            Some("sink") => MailTransport::Sink,
            Some("cloudflare") => MailTransport::Cloudflare { binding: get("MAIL_BINDING").unwrap_or_else(|| "EMAIL".to_string()) },
            Some("resend") | None => resend(key),
            Some(_) => MailTransport::Off,
        };
        MailConfig { transport, from: get("MAIL_FROM").unwrap_or_else(|| "Vestify <shop@vestify.vn>".to_string()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retryable_failure_backs_off_exponentially_then_dies_at_the_sixth_try() {
        let retry = SendError::Retry("HTTP 500".into());
        let waits: Vec<AfterFailure> = (1..=6).map(|n| after_failure(n, &retry, 1000)).collect();
        assert_eq!(
            waits,
            [AfterFailure::RetryAt(1060), AfterFailure::RetryAt(1300), AfterFailure::RetryAt(2800), AfterFailure::RetryAt(8200), AfterFailure::RetryAt(44200), AfterFailure::Dead]
        );
    }

    #[test]
    fn a_transport_that_cannot_make_the_request_is_dead_and_one_without_an_answer_retried() {
        assert_eq!(TransportError::Request("bad header".into()).into_send_error("ZNS"), SendError::Permanent("ZNS request refused by the runtime: bad header".into()));
        assert_eq!(TransportError::Unreachable("timeout".into()).into_send_error("push service"), SendError::Retry("push service unreachable: timeout".into()));
    }

    #[test]
    fn a_refused_message_is_dead_at_once() {
        assert_eq!(after_failure(1, &SendError::from_status(422, "invalid to"), 0), AfterFailure::Dead);
        assert_eq!(SendError::from_status(503, "busy"), SendError::Retry("HTTP 503: busy".into()));
        assert!(matches!(SendError::from_status(429, ""), SendError::Retry(_)));
        assert!(matches!(SendError::from_status(401, ""), SendError::Retry(_)));
        assert!(matches!(SendError::from_status(400, ""), SendError::Permanent(_)));
    }

    #[test]
    fn a_preferences_token_names_its_address_and_a_changed_one_names_none() {
        let token = preferences_token(b"secret", Channel::Email, "an@example.vn");
        assert_eq!(verify_preferences_token(b"secret", &token), Some("an@example.vn".into()));
        assert_eq!(verify_preferences_token(b"other", &token), None);
        let other = crate::domain::encoding::base64url(b"bo@example.vn");
        let (_, sig) = token.split_once('.').unwrap();
        assert_eq!(verify_preferences_token(b"secret", &format!("{other}.{sig}")), None, "another address under this signature");
        for bad in ["", ".", "abc", "abc.def", "!!.00"] {
            assert_eq!(verify_preferences_token(b"secret", bad), None, "{bad}");
        }
        assert_eq!(
            unsubscribe_headers("https://vestify.vn/email/unsubscribe?t=x"),
            [("List-Unsubscribe".to_string(), "<https://vestify.vn/email/unsubscribe?t=x>".to_string()), ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string())]
        );
        assert!(Kind::BackInStock.is_marketing() && Kind::Campaign.is_marketing() && !Kind::Campaign.is_order() && !Kind::OrderPaid.is_marketing() && !Kind::PasswordReset.is_marketing());
    }

    #[test]
    fn a_newsletter_token_confirms_its_address_until_it_expires() {
        let token = newsletter_token(b"secret", "an@example.vn", 1_000);
        assert_eq!(verify_newsletter_token(b"secret", &token, 1_000), Some("an@example.vn".into()));
        assert_eq!(verify_newsletter_token(b"secret", &token, 1_001), None, "expired");
        assert_eq!(verify_newsletter_token(b"other", &token, 0), None);
        assert_eq!(verify_newsletter_token(b"secret", &token.replace(".1000.", ".9999."), 0), None, "a longer life is not signed");
        let preferences = preferences_token(b"secret", Channel::Email, "an@example.vn");
        assert_eq!(verify_newsletter_token(b"secret", &preferences, 0), None, "a preferences link confirms nothing");
    }

    #[test]
    fn a_restock_notifies_three_shoppers_per_unit_and_a_removal_none() {
        assert_eq!([wave_size(1), wave_size(4), wave_size(0), wave_size(-2)], [3, 12, 0, 0]);
        assert_eq!(wave_size(i64::MAX), i64::MAX, "saturates");
    }

    #[test]
    fn a_price_drop_counts_from_five_percent_below_the_baseline() {
        assert!(is_price_drop(500_000, 475_000), "exactly 5 %");
        assert!(!is_price_drop(500_000, 475_001));
        assert!(!is_price_drop(500_000, 520_000), "a rise");
        assert!(!is_price_drop(0, 0));
        assert!(is_price_drop(100, 0));
    }

    #[test]
    fn kinds_and_statuses_read_back_from_their_codes() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
        assert_eq!(Channel::parse("zns"), Some(Channel::Zns));
        assert!(idempotency_key(&"x".repeat(400), Channel::Email, 12).len() <= 256);
    }

    #[test]
    fn a_resend_request_carries_the_key_and_the_idempotency_key() {
        let email = Email { to: "an@example.vn".into(), subject: "S".into(), html: "<p>h</p>".into(), text: "t".into(), headers: vec![], idempotency_key: "order_paid:o1/email/7".into() };
        let r = resend_request("http://127.0.0.1:9/", "re_test", "Vestify <shop@vestify.vn>", &email);
        assert_eq!(r.url, "http://127.0.0.1:9/emails");
        assert!(r.headers.contains(&("authorization".into(), "Bearer re_test".into())));
        assert!(r.headers.contains(&("idempotency-key".into(), "order_paid:o1/email/7".into())));
        let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!((body["to"][0].as_str(), body["from"].as_str(), body["text"].as_str()), (Some("an@example.vn"), Some("Vestify <shop@vestify.vn>"), Some("t")));
        assert_eq!(resend_answer(200, r#"{"id":"abc"}"#), Ok("abc".into()));
        assert!(matches!(resend_answer(500, "x"), Err(SendError::Retry(_))));
        assert!(matches!(resend_answer(422, "bad to"), Err(SendError::Permanent(_))));
    }

    #[test]
    fn the_mail_transport_follows_the_configuration() {
        let config = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            MailConfig::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        };
        assert_eq!(config(&[]).transport, MailTransport::Off);
        assert_eq!(config(&[("RESEND_API_KEY", "re_1")]).transport, MailTransport::Resend { base: DEFAULT_RESEND_API_BASE.into(), api_key: "re_1".into() });
        assert_eq!(config(&[("MAIL_TRANSPORT", "resend"), ("RESEND_API_BASE", "http://127.0.0.1:9")]).transport, MailTransport::Off, "no key, no Resend");
        assert_eq!(config(&[("MAIL_TRANSPORT", "Sink"), ("RESEND_API_KEY", "re_1")]).transport, MailTransport::Sink);
        assert_eq!(config(&[("MAIL_TRANSPORT", "cloudflare")]).transport, MailTransport::Cloudflare { binding: "EMAIL".into() });
        assert_eq!(config(&[("MAIL_FROM", " Shop <a@b.vn> ")]).from, "Shop <a@b.vn>");
    }
}
