//! The outbox: every message is a row written in the same batch as the change that causes it (an
//! order's move, a refund, a one-time link), one row per (event, channel, recipient) — the unique
//! key makes a flow that runs twice, or two flows racing, write it once.
//!
//! Delivery is a pass ([`run_pass`]) that the Worker starts right after a change (`waitUntil`) and
//! the cron repeats every minute: it claims due rows with one conditional update (pending and due,
//! or sending with a lapsed lease → sending under this pass's claim token), renders each, hands it
//! to the channel's transport and records the outcome under the same claim: sent (with the
//! provider's id), or retried with exponential backoff, or dead after [`MAX_ATTEMPTS`]. Two passes
//! at the same moment never claim the same row, and a row a dead pass left behind is taken over
//! only after its lease, with the provider's idempotency key set to the row's own key.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::db::{Db, DbError, Sql, SqlValue};
use crate::domain::cart::order_access_token;
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::notify::{after_failure, idempotency_key, preferences_token, unsubscribe_headers, AfterFailure, Channel, Email, Kind, SendError, Status, LEASE_SECONDS};
use crate::domain::payments::bank::BankConfig;
use crate::domain::payments::vietqr::TransferMemo;
use crate::domain::tracking::Shipment;
use crate::views::email::{self, BankDetails, Mail, MailLine, OrderMail, Sender};

/// The head of every outbox insert; the values follow, and [`ON_CONFLICT`] closes it.
pub(crate) const INSERT: &str = "INSERT INTO outbox (dedupe_key, kind, channel, recipient, locale, payload, next_attempt_at, created_at)";
/// A second write of the same (event, channel, recipient) is a no-op.
pub(crate) const ON_CONFLICT: &str = "ON CONFLICT (dedupe_key, channel, recipient) DO NOTHING";

/// The email an order's event sends to its buyer, selected from `orders o` (`?1` the order's id,
/// `?2` now); the caller appends its gate (`AND …`) and [`ON_CONFLICT`]. `kind` and `extra` are
/// SQL expressions (the event's kind, more `json_object` pairs).
pub(crate) fn order_email_select(kind: &str, extra: &str) -> String {
    format!(
        "{INSERT} SELECT {kind} || ':' || o.id, {kind}, 'email', o.email, o.locale, \
         json_object('order_id', o.id, 'number', o.number, 'email', o.email, 'locale', o.locale{extra}), ?2, ?2 \
         FROM orders o WHERE o.id = ?1 AND o.email <> ''"
    )
}

/// "We received your order", in the batch that places it (after the order's row).
pub fn order_placed_sql(order_id: &str, now: i64) -> Sql {
    Sql::new(format!("{} {ON_CONFLICT}", order_email_select("'order_placed'", ", 'status', o.status"))).bind(order_id).bind(now)
}

/// "Refund issued", in the batch that records the provider's confirmation, gated on the refund
/// still being pending (the batch's last statement flips it).
pub fn refund_issued_sql(refund_id: &str, now: i64) -> Sql {
    Sql::new(format!(
        "{INSERT} SELECT 'refund_issued:' || r.id, 'refund_issued', 'email', o.email, o.locale, \
         json_object('order_id', o.id, 'number', o.number, 'email', o.email, 'locale', o.locale, 'refund_id', r.id, 'amount', r.amount), ?2, ?2 \
         FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = ?1 AND r.status = 'pending' AND o.email <> '' {ON_CONFLICT}"
    ))
    .bind(refund_id)
    .bind(now)
}

/// A message to one recipient written by a flow that has its values at hand (a one-time link).
pub fn message_sql(dedupe_key: &str, kind: Kind, channel: Channel, recipient: &str, locale: &str, payload: &Value, now: i64) -> Sql {
    Sql::new(format!("{INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?) {ON_CONFLICT}"))
        .bind(dedupe_key)
        .bind(kind.code())
        .bind(channel.code())
        .bind(recipient)
        .bind(locale)
        .bind(payload.to_string())
        .bind(now)
        .bind(now)
}

/// A row as a pass claimed it.
#[derive(Clone, Debug, Deserialize)]
pub struct Claimed {
    pub id: i64,
    pub dedupe_key: String,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub locale: String,
    pub payload: String,
    /// Tries so far, this one included.
    pub attempts: i64,
}

const CLAIMED_COLUMNS: &str = "id, dedupe_key, kind, channel, recipient, locale, payload, attempts";

/// Due rows of `channels`, at most `limit`, oldest due first: pending and due, or sending under a
/// lease that lapsed. One statement, so two passes never claim the same row.
pub fn claim_sql(claim: &str, channels: &[Channel], now: i64, limit: i64) -> Sql {
    let due = "((status = 'pending' AND next_attempt_at <= ?2) OR (status = 'sending' AND lease_until <= ?2))";
    let list = channels.iter().map(|c| format!("'{}'", c.code())).collect::<Vec<_>>().join(", ");
    let list = if list.is_empty() { "''".to_string() } else { list };
    Sql::new(format!(
        "UPDATE outbox SET status = 'sending', claim = ?1, lease_until = ?2 + {LEASE_SECONDS}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE channel IN ({list}) AND {due} ORDER BY next_attempt_at, id LIMIT ?3) AND {due} \
         RETURNING {CLAIMED_COLUMNS}"
    ))
    .bind(claim)
    .bind(now)
    .bind(limit)
}

/// Records a delivery, under the claim that made it.
pub fn sent_sql(id: i64, claim: &str, provider_id: &str, now: i64) -> Sql {
    Sql::new("UPDATE outbox SET status = 'sent', sent_at = ?3, provider_id = ?4, lease_until = NULL, last_error = NULL WHERE id = ?1 AND claim = ?2 AND status = 'sending'")
        .bind(id)
        .bind(claim)
        .bind(now)
        .bind(provider_id)
}

/// Records a failed try, under the claim that made it: due again after the backoff, or dead.
pub fn failed_sql(id: i64, claim: &str, next: AfterFailure, error: &str) -> Sql {
    let error: String = error.chars().take(500).collect();
    let (status, at) = match next {
        AfterFailure::RetryAt(at) => (Status::Pending, SqlValue::Int(at)),
        AfterFailure::Dead => (Status::Dead, SqlValue::Null),
    };
    let mut sql = Sql::new(
        "UPDATE outbox SET status = ?3, next_attempt_at = COALESCE(?4, next_attempt_at), last_error = ?5, lease_until = NULL \
         WHERE id = ?1 AND claim = ?2 AND status = 'sending'",
    )
    .bind(id)
    .bind(claim)
    .bind(status.code());
    sql.params.push(at);
    sql.bind(error)
}

/// Records a marketing message not sent because its recipient unsubscribed, under its claim.
pub fn skipped_sql(id: i64, claim: &str) -> Sql {
    Sql::new("UPDATE outbox SET status = 'skipped', last_error = 'unsubscribed', lease_until = NULL WHERE id = ? AND claim = ? AND status = 'sending'").bind(id).bind(claim)
}

/// Puts a dead (or sent) message back in the queue with fresh attempts ("resend" in the admin).
pub fn resend_sql(id: i64, now: i64) -> Sql {
    Sql::new("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2, last_error = NULL, lease_until = NULL, claim = NULL, sent_at = NULL, provider_id = NULL WHERE id = ?1 AND status IN ('dead', 'sent', 'skipped')")
        .bind(id)
        .bind(now)
}

/// A message as operators see it (`GET /internal/outbox?to=`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub to: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The messages to `to` (an email, or a phone), oldest first.
pub fn recipient_messages_sql(to: &str) -> Sql {
    Sql::new("SELECT id, kind, channel, recipient AS \"to\", status, attempts, created_at, sent_at FROM outbox WHERE recipient = ? ORDER BY id LIMIT 200")
        .bind(to.trim())
}

/// A message as the admin's log shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogRow {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const LOG_COLUMNS: &str = "id, kind, channel, recipient, status, attempts, next_attempt_at, last_error, provider_id, created_at, sent_at";

/// The admin log's filters, from its query string; an unknown kind, channel or status is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub kind: Option<Kind>,
    pub channel: Option<Channel>,
    pub status: Option<Status>,
    /// A whole email or phone, or part of one.
    pub recipient: String,
    /// Rows before this id (the next page), newest first.
    pub before: Option<i64>,
}

/// Rows per page of the admin log.
pub const LOG_PAGE: i64 = 50;

impl LogFilter {
    /// Reads `kind`, `channel`, `status`, `to` and `before`; the name of the first bad parameter otherwise.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<LogFilter, &'static str> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let kind = get("kind").map(|k| Kind::parse(&k).ok_or("kind")).transpose()?;
        let channel = get("channel").map(|c| Channel::parse(&c).ok_or("channel")).transpose()?;
        let status = get("status").map(|c| Status::parse(&c).ok_or("status")).transpose()?;
        let before = get("before").map(|b| b.parse::<i64>().map_err(|_| "before")).transpose()?;
        let recipient: String = get("to").unwrap_or_default().chars().take(200).collect();
        Ok(LogFilter { kind, channel, status, recipient, before })
    }

    /// The page of messages this filter selects (one more than a page, to know if another follows).
    pub fn sql(&self) -> Sql {
        let mut clauses = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        if let Some(k) = self.kind {
            clauses.push("kind = ?");
            params.push(k.code().into());
        }
        if let Some(c) = self.channel {
            clauses.push("channel = ?");
            params.push(c.code().into());
        }
        if let Some(s) = self.status {
            clauses.push("status = ?");
            params.push(s.code().into());
        }
        if !self.recipient.is_empty() {
            clauses.push("instr(lower(recipient), lower(?)) > 0");
            params.push(self.recipient.as_str().into());
        }
        if let Some(b) = self.before {
            clauses.push("id < ?");
            params.push(b.into());
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let mut sql = Sql::new(format!("SELECT {LOG_COLUMNS} FROM outbox{filter} ORDER BY id DESC LIMIT {}", LOG_PAGE + 1));
        sql.params = params;
        sql
    }
}

/// The messages about one order, oldest first (its admin page).
pub fn order_messages_sql(order_id: &str) -> Sql {
    Sql::new(format!("SELECT {LOG_COLUMNS} FROM outbox WHERE json_extract(payload, '$.order_id') = ? ORDER BY id")).bind(order_id)
}

/// One message by id.
pub fn message_by_id_sql(id: i64) -> Sql {
    Sql::new(format!("SELECT {LOG_COLUMNS} FROM outbox WHERE id = ?")).bind(id)
}

/// Dead letters waiting for a person (the admin log's count).
pub fn dead_count_sql() -> Sql {
    Sql::new("SELECT COUNT(*) AS n FROM outbox WHERE status = 'dead'")
}

/// The email transport: Resend's API, Cloudflare's binding, the local sink, a test's fake.
#[expect(async_fn_in_trait, reason = "used generically (`impl Mailer`), never as a `Send` future or a trait object")]
pub trait Mailer {
    /// Sends one email; the provider's message id on success.
    async fn send(&self, email: &Email) -> Result<String, SendError>;
}

/// What messages need beside their row: who sends, where links point, how to pay by transfer.
#[derive(Clone, Debug)]
pub struct Settings {
    pub sender: Sender,
    /// Signs the order links (`SHOP_SECRET`); without it an order message has no link and waits.
    pub shop_secret: Option<String>,
    pub bank: Option<BankConfig>,
}

/// What a pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    pub claimed: u64,
    pub sent: u64,
    pub retried: u64,
    pub dead: u64,
    /// Marketing messages to an address that unsubscribed.
    pub skipped: u64,
}

/// Rows claimed per round of a pass.
pub const PASS_BATCH: i64 = 50;

/// One delivery pass over the email channel: claims up to `limit` due rows under `claim` (a token
/// unique to this pass), sends each and records the outcome.
pub async fn run_pass(db: &impl Db, mailer: &impl Mailer, settings: &Settings, claim: &str, now: i64, limit: i64) -> Result<PassReport, DbError> {
    run_channel(db, Channel::Email, claim, now, limit, async |message: &Claimed| {
        Ok(match render_email(db, message, settings).await? {
            Ok(email) => mailer.send(&email).await,
            Err(e) => Err(e),
        })
    })
    .await
}

/// One delivery pass over `channel`: claims up to `limit` due rows under `claim`, hands each to
/// `send` (the channel's rendering and transport: the provider's id, or why not) and records the
/// outcome — sent, retried after the backoff, or dead; a marketing message to a recipient who
/// unsubscribed is skipped.
pub(crate) async fn run_channel<D: Db>(
    db: &D,
    channel: Channel,
    claim: &str,
    now: i64,
    limit: i64,
    send: impl AsyncFn(&Claimed) -> Result<Result<String, SendError>, DbError>,
) -> Result<PassReport, DbError> {
    let mut report = PassReport::default();
    let claimed: Vec<Claimed> = db.all(&claim_sql(claim, &[channel], now, limit)).await?;
    report.claimed = claimed.len() as u64;
    for message in &claimed {
        // Marketing (the alerts) only to a recipient who still agrees, checked again at send time.
        if Kind::parse(&message.kind).is_some_and(Kind::is_marketing) && !may_send(db, message).await? {
            report.skipped += 1;
            db.run(&skipped_sql(message.id, claim)).await?;
            continue;
        }
        let record = match send(message).await? {
            Ok(provider_id) => {
                report.sent += 1;
                sent_sql(message.id, claim, &provider_id, now)
            }
            Err(error) => {
                let next = after_failure(message.attempts, &error, now);
                match next {
                    AfterFailure::Dead => report.dead += 1,
                    AfterFailure::RetryAt(_) => report.retried += 1,
                }
                failed_sql(message.id, claim, next, error.message())
            }
        };
        db.run(&record).await?;
    }
    Ok(report)
}

impl PassReport {
    /// The sum of two passes' reports (one per channel).
    pub fn plus(self, other: PassReport) -> PassReport {
        PassReport { claimed: self.claimed + other.claimed, sent: self.sent + other.sent, retried: self.retried + other.retried, dead: self.dead + other.dead, skipped: self.skipped + other.skipped }
    }
}

/// The provider's idempotency key (or tracking id) of a claimed row: the same for every try.
pub(crate) fn idempotency_key_of(message: &Claimed) -> String {
    idempotency_key(&message.dedupe_key, Channel::parse(&message.channel).unwrap_or(Channel::Email), message.id)
}

/// Whether the recipient of a marketing message still agrees to it.
async fn may_send(db: &impl Db, message: &Claimed) -> Result<bool, DbError> {
    let channel = Channel::parse(&message.channel).unwrap_or(Channel::Email);
    Ok(db.first::<super::consent::MaySend>(&super::consent::may_send_sql(channel, &message.recipient)).await?.is_some_and(|m| m.ok == 1))
}

/// The locale of a row (`vi` unless it says `en`).
pub(crate) fn locale_of(code: &str) -> Locale {
    Locale::parse(code).unwrap_or(Locale::Vi)
}

/// The signed preferences page (unsubscribe, subscribe again), under the recipient's language.
pub const PREFERENCES_PATH: &str = "/email/preferences";
/// RFC 8058's one-click endpoint (a POST from the mailbox provider); in a browser, the preferences.
pub const UNSUBSCRIBE_PATH: &str = "/email/unsubscribe";

/// Renders a claimed row into the email to send; `Err` (inside) when it cannot be rendered: an
/// unknown kind, an order that is gone (dead at once), no secret to sign links with (retried).
pub async fn render_email(db: &impl Db, message: &Claimed, settings: &Settings) -> Result<Result<Email, SendError>, DbError> {
    let Some(kind) = Kind::parse(&message.kind) else { return Ok(Err(SendError::Permanent(format!("no template for {}", message.kind)))) };
    let locale = locale_of(&message.locale);
    let payload: Value = serde_json::from_str(&message.payload).unwrap_or(Value::Null);
    let mail = match mail_for(db, kind, locale, &payload, settings).await? {
        Ok(mail) => mail,
        Err(e) => return Ok(Err(e)),
    };
    // Marketing mail: one-click unsubscribe (RFC 8058) and the signed preferences link.
    let (rendered, headers) = if kind.is_marketing() {
        let Some(secret) = settings.shop_secret.as_deref() else { return Ok(Err(SendError::Retry("SHOP_SECRET is not set: no unsubscribe link".into()))) };
        let token = preferences_token(secret.as_bytes(), Channel::Email, &message.recipient);
        let origin = &settings.sender.origin;
        let preferences = format!("{origin}{}?t={token}", locale.path(PREFERENCES_PATH));
        let headers = unsubscribe_headers(&format!("{origin}{UNSUBSCRIBE_PATH}?t={token}"));
        (email::render_marketing(&mail, locale, &settings.sender, &preferences), headers)
    } else {
        (email::render(&mail, locale, &settings.sender), Vec::new())
    };
    Ok(Ok(Email {
        to: message.recipient.clone(),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        headers,
        idempotency_key: idempotency_key(&message.dedupe_key, Channel::Email, message.id),
    }))
}

/// An alert's mail: the variant as it is now, the link that selects it on its product page, and
/// for a price drop the price the shopper was told of before.
async fn alert_mail(db: &impl Db, kind: Kind, locale: Locale, payload: &Value, settings: &Settings) -> Result<Result<Mail, SendError>, DbError> {
    let Some(variant_id) = payload.get("variant_id").and_then(Value::as_i64) else { return Ok(Err(SendError::Permanent("the alert names no variant".into()))) };
    let Some(v) = db.first::<super::alerts::AlertVariant>(&super::alerts::alert_variant_sql(variant_id)).await? else {
        return Ok(Err(SendError::Permanent(format!("variant {variant_id} is gone"))));
    };
    let path = locale.path(&crate::views::paths::product(&v.slug));
    let url = format!("{}{path}?variant={}", settings.sender.origin, crate::domain::listing::percent_encode(&v.sku));
    let was = payload.get("was").and_then(Value::as_i64).map(Vnd::new).filter(|_| kind == Kind::PriceDrop);
    let alert = email::AlertMail { product: locale.pick(&v.name_vi, &v.name_en).to_string(), variant: format!("{} · {}", v.size, locale.pick(&v.color_vi, &v.color_en)), price: v.price, was, url };
    Ok(Ok(Mail::Alert { kind, alert }))
}

#[derive(Deserialize)]
struct MailOrder {
    id: String,
    number: String,
    name: String,
    total: Vnd,
    payment_provider: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
}

#[derive(Deserialize)]
struct MailOrderLine {
    name_vi: String,
    name_en: String,
    size: String,
    quantity: i64,
    line_total: Vnd,
}

/// What the template of `kind` needs: for an order, the order as it is now (its lines, total,
/// parcel) with its link and, for a bank transfer, the payment details.
pub async fn mail_for(db: &impl Db, kind: Kind, locale: Locale, payload: &Value, settings: &Settings) -> Result<Result<Mail, SendError>, DbError> {
    if kind.is_alert() {
        return alert_mail(db, kind, locale, payload, settings).await;
    }
    if kind == Kind::CartReminder {
        let url = format!("{}{}", settings.sender.origin, locale.path(crate::views::paths::CART));
        return Ok(Ok(Mail::Link { kind, url }));
    }
    if kind == Kind::Campaign {
        // An integer, or a whole double as D1 may have written it.
        let id = payload.get("campaign_id").and_then(|v| v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)));
        let Some(id) = id else { return Ok(Err(SendError::Permanent("the message names no campaign".into()))) };
        let Some(c) = db.first::<super::campaigns::CampaignText>(&super::campaigns::text_sql(id)).await? else {
            return Ok(Err(SendError::Permanent(format!("campaign {id} is gone"))));
        };
        let (subject, body) = match locale {
            Locale::Vi => (c.subject_vi, c.body_vi),
            Locale::En => (c.subject_en, c.body_en),
        };
        return Ok(Ok(Mail::Campaign { subject, body }));
    }
    if !kind.is_order() {
        return Ok(match payload.get("url").and_then(Value::as_str) {
            Some(url) => Ok(Mail::Link { kind, url: url.to_string() }),
            None => Err(SendError::Permanent("the message has no link".into())),
        });
    }
    let Some(order_id) = payload.get("order_id").and_then(Value::as_str) else { return Ok(Err(SendError::Permanent("the message names no order".into()))) };
    let Some(secret) = settings.shop_secret.as_deref() else { return Ok(Err(SendError::Retry("SHOP_SECRET is not set: no order link".into()))) };
    let results = db
        .batch(&[
            Sql::new("SELECT id, number, name, total, payment_provider, carrier, tracking_number FROM orders WHERE id = ?").bind(order_id),
            Sql::new("SELECT name_vi, name_en, size, quantity, line_total FROM order_lines WHERE order_id = ? ORDER BY line_no").bind(order_id),
        ])
        .await?;
    let (Some(order), Some(lines)) = (results.first(), results.get(1)) else { return Err(DbError::Shape("order mail")) };
    let Some(order) = order.first::<MailOrder>()? else { return Ok(Err(SendError::Permanent(format!("order {order_id} is gone")))) };
    let lines: Vec<MailOrderLine> = lines.decode()?;
    let token = order_access_token(secret.as_bytes(), &order.id);
    let link = format!("{}{}?t={token}", settings.sender.origin, locale.path(&format!("/orders/{}", order.id)));
    let bank = settings.bank.as_ref().filter(|_| order.payment_provider == crate::domain::payments::bank::PROVIDER).and_then(|b| {
        Some(BankDetails {
            bank_name: b.bank_name.clone(),
            account_number: b.account.number().to_string(),
            account_name: b.account_name.clone(),
            amount: order.total,
            memo: TransferMemo::for_order(&order.number).ok()?.as_str().to_string(),
        })
    });
    let shipment = order.carrier.as_deref().zip(order.tracking_number.as_deref()).map(|(c, t)| Shipment::new(c, t));
    let refund = payload.get("amount").and_then(Value::as_i64).map(Vnd::new);
    let lines = lines
        .into_iter()
        .map(|l| MailLine {
            name: format!("{} ({})", if locale == Locale::En { l.name_en } else { l.name_vi }, l.size),
            quantity: l.quantity,
            total: l.line_total,
        })
        .collect();
    Ok(Ok(Mail::Order {
        kind,
        order: OrderMail {
            number: order.number,
            name: order.name,
            link,
            lines,
            total: order.total,
            provider: order.payment_provider,
            bank,
            carrier: shipment.as_ref().map(|s| s.carrier.clone()),
            tracking_number: shipment.as_ref().map(|s| s.tracking_number.clone()),
            tracking_url: shipment.and_then(|s| s.url),
            refund,
        },
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::testing::{block_on, Sqlite};
    use crate::app::{admin_orders, stock};

    const NOW: i64 = 1_800_000_000;

    /// A transport that records what it sends, and answers each try from a script (then "ok").
    #[derive(Default)]
    pub struct FakeMailer {
        pub sent: RefCell<Vec<Email>>,
        pub answers: RefCell<Vec<Result<String, SendError>>>,
    }

    impl Mailer for FakeMailer {
        async fn send(&self, email: &Email) -> Result<String, SendError> {
            let answer = if self.answers.borrow().is_empty() { Ok(format!("fake-{}", self.sent.borrow().len() + 1)) } else { self.answers.borrow_mut().remove(0) };
            if answer.is_ok() {
                self.sent.borrow_mut().push(email.clone());
            }
            answer
        }
    }

    pub fn settings() -> Settings {
        Settings {
            sender: Sender { name: "Vestify".into(), address: "1 Lê Lợi".into(), email: "hello@vestify.vn".into(), origin: "https://vestify.vn".into(), logo_url: "https://vestify.vn/logo.svg".into() },
            shop_secret: Some("secret".into()),
            bank: None,
        }
    }

    /// A pending refund `r1` of 1,000 đ on a paid order, confirmed by the provider twice (a retried
    /// notice), as `app::refunds::complete_refund` records it.
    pub fn confirm_refund_twice(db: &Sqlite, order_id: &str, at: i64) {
        db.exec(&format!(
            "UPDATE payments SET status = 'succeeded' WHERE order_id = '{id}'; \
             INSERT INTO refunds (id, order_id, payment_id, provider, amount, currency, provider_amount, provider_currency, status, idempotency_key, actor, created_at, updated_at) \
             SELECT 'r1', '{id}', p.id, 'sandbox', 1000, 'VND', 1000, 'VND', 'pending', 'rk', 'admin:a', 0, 0 FROM payments p WHERE p.order_id = '{id}'",
            id = order_id
        ));
        for _ in 0..2 {
            block_on(db.batch(&crate::app::refunds::complete_refund("r1", None, "admin:a", at))).unwrap();
        }
    }

    fn kinds(db: &Sqlite, order_id: &str) -> String {
        db.text(&format!("SELECT COALESCE(group_concat(kind || '=' || status, ' '), '') FROM (SELECT kind, status FROM outbox WHERE json_extract(payload, '$.order_id') = '{order_id}' ORDER BY id)"))
    }

    #[test]
    fn an_orders_life_sends_each_of_its_messages_once_even_with_two_passes_at_once() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let mailer = FakeMailer::default();
        let settings = settings();
        // Every step is written in its own batch, and a repeated step writes nothing more.
        for step in [stock::pay_order(&o.id, NOW + 10, "test"), admin_orders::fulfil_order(&o.id, "ghn", "GHN123", "admin", NOW + 20), admin_orders::deliver_order(&o.id, "admin", NOW + 30)] {
            block_on(db.batch(&step)).unwrap();
            block_on(db.batch(&step)).unwrap();
            // Two passes at the same moment, each claiming a little at a time, interleaved between round trips.
            let (a, b) = block_on(async { futures::join!(run_pass(&db, &mailer, &settings, "a", NOW + 40, 1), run_pass(&db, &mailer, &settings, "b", NOW + 40, 1)) });
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!(a.claimed + b.claimed >= 1 && a.claimed + b.claimed <= 2, "{a:?} {b:?}");
            block_on(run_pass(&db, &mailer, &settings, "c", NOW + 40, 50)).unwrap();
        }
        // A refund the provider confirmed, recorded twice (a retried webhook): one message.
        confirm_refund_twice(&db, &o.id, NOW + 50);
        block_on(run_pass(&db, &mailer, &settings, "e", NOW + 60, 50)).unwrap();
        assert_eq!(kinds(&db, &o.id), "order_placed=sent order_paid=sent order_fulfilled=sent order_delivered=sent refund_issued=sent");
        let sent = mailer.sent.borrow();
        let subjects: Vec<&str> = sent.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(sent.len(), 5, "{subjects:?}");
        assert!(sent[4].subject.starts_with("Đã hoàn tiền") && sent[4].text.contains("1.000"), "{}", sent[4].text);
        assert!(sent.iter().all(|e| e.to == "an@example.vn"));
        assert!(sent[0].text.contains(&format!("https://vestify.vn/orders/{}?t={}", o.id, order_access_token(b"secret", &o.id))), "{}", sent[0].text);
        assert!(sent[2].text.contains("GHN123"), "shipped with its tracking: {}", sent[2].text);
        // Another pass finds nothing to do.
        assert_eq!(block_on(run_pass(&db, &mailer, &settings, "d", NOW + 100_000, 50)).unwrap(), PassReport::default());
    }

    #[test]
    fn an_expired_order_and_a_cancelled_one_each_say_so_once() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        let (expired, cancelled) = (place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900), place_order(&db, 2, v, 1, "sandbox", NOW, NOW + 900));
        for _ in 0..2 {
            block_on(db.batch(&stock::expire_order(&expired.id, NOW + 900, "sweep"))).unwrap();
            block_on(db.batch(&stock::cancel_unpaid_order(&cancelled.id, NOW + 5, "shopper", "changed my mind"))).unwrap();
        }
        let mailer = FakeMailer::default();
        block_on(run_pass(&db, &mailer, &settings(), "a", NOW + 901, 50)).unwrap();
        assert_eq!(kinds(&db, &expired.id), "order_placed=sent order_expired=sent");
        assert_eq!(kinds(&db, &cancelled.id), "order_placed=sent order_cancelled=sent");
        assert_eq!(mailer.sent.borrow().len(), 4);
    }

    #[test]
    fn a_provider_failing_with_500_is_retried_with_backoff_then_dead_after_six_tries() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let mailer = FakeMailer::default();
        *mailer.answers.borrow_mut() = (0..6).map(|_| Err(SendError::from_status(500, "oops"))).collect();
        let mut at = NOW;
        let mut waits = Vec::new();
        for _ in 0..6 {
            // Not due before its time.
            assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "early", at - 1, 50)).unwrap().claimed, 0);
            let report = block_on(run_pass(&db, &mailer, &settings(), "p", at, 50)).unwrap();
            assert_eq!(report.claimed, 1);
            let next = db.int("SELECT next_attempt_at FROM outbox WHERE kind = 'order_placed'");
            waits.push(next - at);
            at = next;
        }
        assert_eq!(waits[..5], [60, 300, 1_800, 7_200, 43_200]);
        assert_eq!(db.text("SELECT status || ' ' || attempts || ' ' || last_error FROM outbox WHERE kind = 'order_placed'"), "dead 6 HTTP 500: oops");
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "later", at + 1_000_000, 50)).unwrap().claimed, 0, "dead letters stay put");
        assert!(mailer.sent.borrow().is_empty());
        // Resent by hand, it goes out.
        let id = db.int("SELECT id FROM outbox WHERE kind = 'order_placed'");
        assert_eq!(block_on(db.run(&resend_sql(id, at + 5))).unwrap(), 1);
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "again", at + 5, 50)).unwrap().sent, 1);
        assert_eq!(db.text(&format!("SELECT status || ' ' || provider_id FROM outbox WHERE id = {id}")), "sent fake-1");
        let _ = o;
    }

    #[test]
    fn a_claim_lapses_only_after_its_lease_and_a_stale_claim_cannot_record() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let first: Vec<Claimed> = block_on(db.all(&claim_sql("dead-pass", &[Channel::Email], NOW, 50))).unwrap();
        assert_eq!(first.len(), 1);
        assert!(block_on(db.all::<Claimed>(&claim_sql("other", &[Channel::Email], NOW + LEASE_SECONDS - 1, 50))).unwrap().is_empty(), "still leased");
        let taken: Vec<Claimed> = block_on(db.all(&claim_sql("other", &[Channel::Email], NOW + LEASE_SECONDS, 50))).unwrap();
        assert_eq!((taken.len(), taken[0].attempts), (1, 2));
        assert_eq!(block_on(db.run(&sent_sql(first[0].id, "dead-pass", "x", NOW))).unwrap(), 0, "the lapsed claim records nothing");
        assert_eq!(block_on(db.run(&sent_sql(first[0].id, "other", "y", NOW))).unwrap(), 1);
        // The same key for both tries, so the provider can tell a repeat.
        let settings = settings();
        let keys: Vec<String> = [&first[0], &taken[0]].iter().map(|c| block_on(render_email(&db, c, &settings)).unwrap().unwrap().idempotency_key).collect();
        assert_eq!(keys[0], keys[1]);
    }

    #[test]
    fn a_phone_only_order_writes_no_email_and_a_message_for_another_recipient_is_its_own_row() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        let payload = serde_json::json!({"order_id": o.id});
        for to in ["an@example.vn", "an@example.vn", "bo@example.vn"] {
            block_on(db.run(&message_sql(&format!("order_placed:{}", o.id), Kind::OrderPlaced, Channel::Email, to, "vi", &payload, NOW))).unwrap();
        }
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'order_placed:{}'", o.id)), 2);
        let listed: Vec<Listed> = block_on(db.all(&recipient_messages_sql(" an@example.vn "))).unwrap();
        assert_eq!(listed.iter().map(|m| (m.kind.as_str(), m.channel.as_str(), m.status.as_str(), m.attempts)).collect::<Vec<_>>(), [("order_placed", "email", "pending", 0)]);
        db.exec("UPDATE orders SET email = ''");
        let w = free_variant(&db, 1, 1);
        let phone_only = place_order(&db, 2, w, 1, "sandbox", NOW, NOW + 900);
        db.exec(&format!("UPDATE orders SET email = '' WHERE id = '{}'", phone_only.id));
        block_on(db.batch(&stock::pay_order(&phone_only.id, NOW + 1, "test"))).unwrap();
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM outbox WHERE json_extract(payload, '$.order_id') = '{}' AND kind = 'order_paid' AND channel = 'email'", phone_only.id)), 0);
    }

    #[test]
    fn the_admin_log_filters_by_kind_channel_status_and_recipient() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 2, 0);
        let (a, b) = (place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900), place_order(&db, 2, v, 1, "sandbox", NOW, NOW + 900));
        db.exec(&format!("UPDATE orders SET email = 'bo@example.vn' WHERE id = '{}'", b.id));
        block_on(db.batch(&stock::pay_order(&b.id, NOW + 1, "test"))).unwrap();
        db.exec(&format!("UPDATE outbox SET status = 'dead' WHERE json_extract(payload, '$.order_id') = '{}' AND kind = 'order_placed'", a.id));
        let rows = |q: &[(&str, &str)]| {
            let q: Vec<(String, String)> = q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let f = LogFilter::parse(|name| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
            block_on(db.all::<LogRow>(&f.sql())).unwrap().into_iter().map(|r| format!("{} {} {}", r.kind, r.recipient, r.status)).collect::<Vec<_>>()
        };
        assert_eq!(rows(&[("status", "dead")]), ["order_placed an@example.vn dead"]);
        assert_eq!(rows(&[("kind", "order_paid"), ("channel", "email")]), ["order_paid bo@example.vn pending"], "to the email the order had when it was paid");
        assert_eq!(rows(&[("to", "AN@")]).len(), 2);
        assert_eq!(rows(&[]).len(), 3);
        assert_eq!(LogFilter::parse(|n| (n == "status").then(|| "lost".to_string())), Err("status"));
        let order_rows: Vec<LogRow> = block_on(db.all(&order_messages_sql(&b.id))).unwrap();
        assert_eq!(order_rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["order_placed", "order_paid"]);
    }
}
