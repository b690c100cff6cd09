//! Refunds: how much of a payment can still go back, the claim that reserves a refund under its
//! idempotency key, and the use case that refunds an order through the provider that was paid
//! ([`refund`]). The app decides (amounts, state, key), a [`RefundGateway`] asks the provider (the
//! Worker's is `platform::gateways::Provider`), and the app records the answer.
//!
//! Refunds can never add up to more than was paid: the claim is one conditional insert, counted
//! against what is already refunded or in flight, so two concurrent claims cannot both take the
//! same remainder; and a refund completes once, gated on still being pending.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::admin_orders::refunded_event_sql;
use super::db::{expect_n, Db, DbError, Rows};
use super::orders::{order_by_id_sql, OrderRow, PaymentRow, PAYMENT_COLUMNS};
use super::sql::{Sql, SqlValue};
use crate::domain::orders::{transition, OrderEvent, OrderStatus};
use crate::domain::payments::{paypal, GatewayError, PaymentStatus, RefundResult, RefundStatus};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefundRow {
    pub id: String,
    pub order_id: String,
    pub payment_id: String,
    pub provider: String,
    pub amount: i64,
    pub currency: String,
    pub provider_amount: i64,
    pub provider_currency: String,
    pub status: RefundStatus,
    pub idempotency_key: String,
    pub reason: String,
    pub external_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: i64,
}

const REFUND_COLUMNS: &str =
    "id, order_id, payment_id, provider, amount, currency, provider_amount, provider_currency, status, idempotency_key, reason, external_id, failure, created_at";

pub fn refund_by_key_sql(key: &str) -> Sql {
    Sql::new(format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE idempotency_key = ?")).bind(key)
}

pub fn refunds_of_order_sql(order_id: &str) -> Sql {
    Sql::new(format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = ? ORDER BY created_at, rowid")).bind(order_id)
}

/// The attempt a refund (named by its key) gives money back from.
fn payment_of_refund_sql(key: &str) -> Sql {
    Sql::new(format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = (SELECT payment_id FROM refunds WHERE idempotency_key = ?)")).bind(key)
}

/// The order's first successful payment, with what is already committed to its refunds (in đồng
/// and in the provider's units).
fn refundable_payment_sql(order_id: &str) -> Sql {
    Sql::new(format!(
        "SELECT {PAYMENT_COLUMNS}, \
         (SELECT COALESCE(SUM(x.amount), 0) FROM refunds x WHERE x.payment_id = payments.id AND x.status IN ('pending', 'succeeded')) AS refunded, \
         (SELECT COALESCE(SUM(x.provider_amount), 0) FROM refunds x WHERE x.payment_id = payments.id AND x.status IN ('pending', 'succeeded')) AS refunded_provider \
         FROM payments WHERE order_id = ? AND status = 'succeeded' ORDER BY created_at, rowid LIMIT 1"
    ))
    .bind(order_id)
}

#[derive(Deserialize)]
struct RefundablePayment {
    #[serde(flatten)]
    payment: PaymentRow,
    refunded: i64,
    refunded_provider: i64,
}

/// What is committed against a payment: refunds that succeeded or may still succeed.
const COMMITTED: &str = "(SELECT COALESCE(SUM(x.amount), 0) FROM refunds x WHERE x.payment_id = ?2 AND x.status IN ('pending', 'succeeded'))";
const COMMITTED_PROVIDER: &str = "(SELECT COALESCE(SUM(x.provider_amount), 0) FROM refunds x WHERE x.payment_id = ?2 AND x.status IN ('pending', 'succeeded'))";

pub struct NewRefund<'a> {
    pub id: &'a str,
    pub order_id: &'a str,
    pub payment_id: &'a str,
    pub provider: &'a str,
    pub amount: i64,
    pub provider_amount: i64,
    pub provider_currency: &'a str,
    pub key: &'a str,
    pub reason: &'a str,
    pub actor: &'a str,
    pub now: i64,
}

/// Claims a refund: inserted only while the payment succeeded and `amount` fits in what is left
/// (paid − pending − succeeded refunds, in đồng and in the provider's currency). Two concurrent
/// claims are two transactions, so they cannot both take the same remainder.
pub fn claim_refund(r: &NewRefund) -> Sql {
    Sql::new(format!(
        "INSERT INTO refunds (id, order_id, payment_id, provider, amount, currency, provider_amount, provider_currency, status, idempotency_key, reason, actor, created_at, updated_at) \
         SELECT ?1, p.order_id, ?2, p.provider, ?3, p.currency, ?4, ?5, 'pending', ?6, ?7, ?8, ?9, ?9 FROM payments p \
         WHERE p.id = ?2 AND p.order_id = ?10 AND p.status = 'succeeded' AND p.amount - {COMMITTED} >= ?3 \
         AND COALESCE(p.provider_amount, p.amount) - {COMMITTED_PROVIDER} >= ?4 \
         ON CONFLICT (idempotency_key) DO NOTHING"
    ))
    .bind(r.id)
    .bind(r.payment_id)
    .bind(r.amount)
    .bind(r.provider_amount)
    .bind(r.provider_currency)
    .bind(r.key)
    .bind(r.reason)
    .bind(r.actor)
    .bind(r.now)
    .bind(r.order_id)
}

/// Why a refund is refused before any provider is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundRefusal {
    /// The order is not in a state that can be refunded by that amount (unpaid, a late payment
    /// refunded in part…).
    NotRefundable,
    /// Zero or negative.
    BadAmount,
    /// More than paid − already refunded; carries what is left.
    TooMuch { refundable: i64 },
}

/// Checks a refund of `amount` đồng against the order's status and what is left to refund
/// (`paid − refunded`, refunds in flight included); `Ok(full)` says whether it refunds everything.
pub fn check_refund(status: OrderStatus, paid: i64, refunded: i64, amount: i64) -> Result<bool, RefundRefusal> {
    if amount <= 0 {
        return Err(RefundRefusal::BadAmount);
    }
    let refundable = (paid - refunded).max(0);
    if amount > refundable {
        return Err(RefundRefusal::TooMuch { refundable });
    }
    let full = amount == refundable;
    transition(status, OrderEvent::Refund { full }).map_err(|_| RefundRefusal::NotRefundable)?;
    Ok(full)
}

/// What is left to refund of an order: its successful payment less the refunds that succeeded or
/// are in flight.
pub fn refundable(payments: &[PaymentRow], refunds: &[RefundRow]) -> i64 {
    let paid = payments.iter().find(|p| p.status == PaymentStatus::Succeeded).map_or(0, |p| p.amount);
    let committed: i64 = refunds.iter().filter(|r| r.status.commits_amount()).map(|r| r.amount).sum();
    (paid - committed).max(0)
}

/// An amount typed by staff (`450.000`, `450,000`, `450 000`; everything left when empty), if it is
/// between 1 đồng and what is left.
pub fn parse_amount(raw: &str, left: i64) -> Option<i64> {
    let amount = if raw.trim().is_empty() { left } else { raw.replace(['.', ',', ' '], "").parse::<i64>().ok()? };
    (1..=left).contains(&amount).then_some(amount)
}

/// A refund the provider confirmed: the order's refunded total grows, its status moves to
/// `refunded` (everything paid is back) or `partially_refunded`, with an event — once, gated on the
/// refund still being pending, which the last statement flips.
pub fn complete_refund(refund_id: &str, external_id: Option<&str>, actor: &str, now: i64) -> Vec<Sql> {
    let pending = "SELECT r.order_id, r.amount FROM refunds r WHERE r.id = ?1 AND r.status = 'pending'";
    let next_status = "CASE WHEN o.refunded_total + r.amount >= o.total THEN 'refunded' \
                       WHEN o.status = 'needs_refund' THEN 'needs_refund' ELSE 'partially_refunded' END";
    vec![
        Sql::new(format!(
            "INSERT INTO order_events (order_id, at, from_status, to_status, actor, reason) \
             SELECT o.id, ?2, o.status, {next_status}, ?3, 'refund of ' || r.amount || ' ' || r.currency \
             FROM orders o JOIN refunds r ON r.order_id = o.id WHERE r.id = ?1 AND r.status = 'pending'"
        ))
        .bind(refund_id)
        .bind(now)
        .bind(actor),
        Sql::new(format!(
            "UPDATE orders SET status = (SELECT {next_status} FROM orders o JOIN refunds r ON r.order_id = o.id WHERE r.id = ?1 AND o.id = orders.id), \
             refunded_total = refunded_total + (SELECT amount FROM ({pending})), updated_at = ?2 \
             WHERE id = (SELECT order_id FROM ({pending}))"
        ))
        .bind(refund_id)
        .bind(now),
        Sql::new("UPDATE refunds SET status = 'succeeded', external_id = COALESCE(?2, external_id), updated_at = ?3 WHERE id = ?1 AND status = 'pending'")
            .bind(refund_id)
            .bind(external_id.map_or(SqlValue::Null, |e| e.into()))
            .bind(now),
    ]
}

/// A refund the provider refused: it frees its amount again.
pub fn fail_refund(refund_id: &str, failure: &str, now: i64) -> Sql {
    Sql::new("UPDATE refunds SET status = 'failed', failure = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'").bind(refund_id).bind(failure).bind(now)
}


// ---------------------------------------------------------------------------------------------
// The use case
// ---------------------------------------------------------------------------------------------

/// A refund to make.
pub struct RefundRequest<'a> {
    pub order_id: &'a str,
    /// The caller's idempotency key: the same key answers with the same refund.
    pub key: &'a str,
    /// Đồng; everything left to refund when `None`.
    pub amount: Option<i64>,
    pub reason: &'a str,
    /// Who asks (`admin`, `admin:{email}`), for the order's event.
    pub actor: &'a str,
    /// Statements written in the batch that completes the refund, right after its gate flips (an
    /// audit row gated on `changes()` belongs there).
    pub on_success: Vec<Sql>,
}

/// A claimed refund, as the provider is asked for it.
#[derive(Clone, Debug)]
pub struct RefundAsk {
    pub refund: RefundRow,
    pub payment: PaymentRow,
    pub order_number: String,
}

/// What the provider answered.
#[derive(Clone, Debug)]
pub enum ProviderAnswer {
    Accepted(RefundResult),
    Refused(GatewayError),
    /// No answer (transport failure, provider down): the refund stays pending and a retry with the
    /// same key asks again under the refund's own id, which the provider deduplicates.
    Unreachable,
}

/// The port to the payment providers' refund APIs.
#[expect(async_fn_in_trait, reason = "used generically (`impl RefundGateway`), never as a `Send` future or a trait object")]
pub trait RefundGateway {
    async fn refund(&self, ask: &RefundAsk, now: i64) -> ProviderAnswer;
}

/// A refund made (or still pending at the provider), with its order as it stands after it.
#[derive(Clone, Debug)]
pub struct Refunded {
    pub refund: RefundRow,
    pub order: OrderRow,
    /// The key named an earlier refund: this is its outcome, nothing was asked again.
    pub replayed: bool,
}

/// Why a refund was not made.
#[derive(Debug)]
pub enum RefundError {
    /// No such order.
    NotFound,
    /// The key was used for another order's refund.
    KeyReused,
    /// The order has no successful payment.
    NoPayment,
    /// Zero or negative; at most `max` was paid.
    BadAmount { max: i64 },
    /// More than is left to refund.
    ExceedsRefundable { refundable: i64 },
    /// The order's state does not allow a refund of that amount.
    NotRefundable { status: OrderStatus },
    /// The amount has no equivalent in the provider's currency.
    Unconvertible,
    /// A concurrent refund took what was left.
    Taken,
    /// The provider did not answer; the refund stays pending.
    ProviderUnavailable { refund: RefundRow },
    /// The provider refused; the refund is recorded as failed and frees its amount.
    ProviderRefused { message: String, refund: Option<RefundRow> },
    Db(DbError),
}

impl From<DbError> for RefundError {
    fn from(e: DbError) -> Self {
        RefundError::Db(e)
    }
}

impl fmt::Display for RefundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefundError::Db(e) => write!(f, "{e}"),
            RefundError::ProviderRefused { message, .. } => write!(f, "provider refused: {message}"),
            other => write!(f, "{other:?}"),
        }
    }
}

fn row<T: serde::de::DeserializeOwned>(rows: &Rows, what: &'static str) -> Result<T, RefundError> {
    rows.first()?.ok_or(RefundError::Db(DbError::Shape(what)))
}

/// Refunds an order through the provider that was paid, under an idempotency key.
///
/// One round trip reads the key's refund (if any), the order and its refundable payment; a new
/// refund is checked (amount, state, provider currency) and claimed in a second; the provider is
/// asked; its answer is recorded in a third. The same key returns the same refund; a pending one
/// (the provider did not answer) is asked again. `new_id` names the refund if one is claimed.
pub async fn refund(db: &impl Db, gateway: &impl RefundGateway, req: RefundRequest<'_>, new_id: &str, now: i64) -> Result<Refunded, RefundError> {
    let reads = [refund_by_key_sql(req.key), order_by_id_sql(req.order_id), payment_of_refund_sql(req.key), refundable_payment_sql(req.order_id)];
    let [existing, order, existing_payment, payable] = expect_n::<4>(db.batch(&reads).await?, "refund reads")?;
    let order: Option<OrderRow> = order.first()?;
    let ask = match existing.first::<RefundRow>()? {
        Some(r) if r.order_id != req.order_id => return Err(RefundError::KeyReused),
        Some(r) => {
            let order = order.ok_or(RefundError::NotFound)?;
            if r.status != RefundStatus::Pending {
                return Ok(Refunded { refund: r, order, replayed: true });
            }
            RefundAsk { payment: row(&existing_payment, "refund's payment")?, refund: r, order_number: order.number }
        }
        None => {
            let order = order.ok_or(RefundError::NotFound)?;
            let RefundablePayment { payment, refunded, refunded_provider } = payable.first()?.ok_or(RefundError::NoPayment)?;
            let amount = req.amount.unwrap_or(payment.amount - refunded);
            check_refund(order.status, payment.amount, refunded, amount).map_err(|e| match e {
                RefundRefusal::BadAmount => RefundError::BadAmount { max: payment.amount },
                RefundRefusal::TooMuch { refundable } => RefundError::ExceedsRefundable { refundable },
                RefundRefusal::NotRefundable => RefundError::NotRefundable { status: order.status },
            })?;
            let provider_currency = payment.provider_currency.clone().unwrap_or_else(|| payment.currency.clone());
            let provider_amount = if provider_currency == payment.currency {
                Some(amount)
            } else {
                paypal::refund_cents(payment.amount, payment.provider_amount.unwrap_or(0), refunded, refunded_provider, amount)
            };
            let provider_amount = provider_amount.ok_or(RefundError::Unconvertible)?;
            let claim = NewRefund {
                id: new_id,
                order_id: req.order_id,
                payment_id: &payment.id,
                provider: &payment.provider,
                amount,
                provider_amount,
                provider_currency: &provider_currency,
                key: req.key,
                reason: req.reason,
                actor: req.actor,
                now,
            };
            let [_, claimed, order] = expect_n::<3>(db.batch(&[claim_refund(&claim), refund_by_key_sql(req.key), order_by_id_sql(req.order_id)]).await?, "refund claim")?;
            match claimed.first::<RefundRow>()? {
                Some(r) if r.id == new_id => RefundAsk { refund: r, payment, order_number: row::<OrderRow>(&order, "order")?.number },
                // The same key won concurrently: answer with its refund.
                Some(r) => return Ok(Refunded { refund: r, order: row(&order, "order")?, replayed: true }),
                None => return Err(RefundError::Taken),
            }
        }
    };
    let answer = gateway.refund(&ask, now).await;
    record(db, &ask, answer, req, now).await
}

/// Records the provider's answer: a success completes the refund (the order's refunded total and
/// status, its event, the funnel's `refunded` event, the caller's statements); a refusal frees the
/// amount again; no answer leaves it pending.
async fn record(db: &impl Db, ask: &RefundAsk, answer: ProviderAnswer, req: RefundRequest<'_>, now: i64) -> Result<Refunded, RefundError> {
    let id = ask.refund.id.as_str();
    let refusal = match answer {
        ProviderAnswer::Unreachable => return Err(RefundError::ProviderUnavailable { refund: ask.refund.clone() }),
        ProviderAnswer::Refused(e) => e.to_string(),
        ProviderAnswer::Accepted(RefundResult { status: RefundStatus::Failed, .. }) => "the provider reports the refund failed".to_string(),
        ProviderAnswer::Accepted(result) => {
            let mut batch = Vec::new();
            if result.status == RefundStatus::Succeeded {
                batch.extend(complete_refund(id, result.external_id.as_deref(), req.actor, now));
                batch.extend(req.on_success);
                batch.push(refunded_event_sql(id, now));
            }
            let reread = batch.len();
            batch.push(refund_by_key_sql(req.key));
            batch.push(order_by_id_sql(req.order_id));
            let results = db.batch(&batch).await?;
            let [refund, order] = results.get(reread..).unwrap_or_default() else { return Err(DbError::Shape("refund record").into()) };
            return Ok(Refunded { refund: row(refund, "refund")?, order: row(order, "order")?, replayed: false });
        }
    };
    let [_, failed] = expect_n::<2>(db.batch(&[fail_refund(id, &refusal, now), refund_by_key_sql(req.key)]).await?, "refund failure")?;
    Err(RefundError::ProviderRefused { message: refusal, refund: failed.first()? })
}
