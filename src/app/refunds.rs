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
use crate::domain::money::{Currency, Money, Vnd};
use crate::domain::orders::{transition, OrderEvent, OrderStatus};
use crate::domain::payments::{paypal, GatewayError, PaymentStatus, RefundResult, RefundStatus};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefundRow {
    pub id: String,
    pub order_id: String,
    pub payment_id: String,
    pub provider: String,
    pub amount: Vnd,
    pub currency: Currency,
    /// What the provider gives back, in minor units of `provider_currency` (USD cents for PayPal).
    pub provider_amount: i64,
    pub provider_currency: Currency,
    pub status: RefundStatus,
    pub idempotency_key: String,
    pub reason: String,
    pub external_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: i64,
}

impl RefundRow {
    /// What the provider gives back, in its currency.
    pub fn provider_money(&self) -> Money {
        Money::new(self.provider_amount, self.provider_currency)
    }
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
    refunded: Vnd,
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
    pub amount: Vnd,
    /// In minor units of `provider_currency`.
    pub provider_amount: i64,
    pub provider_currency: Currency,
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
    .bind(r.provider_currency.code())
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
    TooMuch { refundable: Vnd },
}

/// Checks a refund of `amount` đồng against the order's status and what is left to refund
/// (`paid − refunded`, refunds in flight included); `Ok(full)` says whether it refunds everything.
pub fn check_refund(status: OrderStatus, paid: Vnd, refunded: Vnd, amount: Vnd) -> Result<bool, RefundRefusal> {
    if !amount.is_positive() {
        return Err(RefundRefusal::BadAmount);
    }
    let refundable = paid.saturating_sub(refunded).max(Vnd::ZERO);
    if amount > refundable {
        return Err(RefundRefusal::TooMuch { refundable });
    }
    let full = amount == refundable;
    transition(status, OrderEvent::Refund { full }).map_err(|_| RefundRefusal::NotRefundable)?;
    Ok(full)
}

/// What is left to refund of an order: its successful payment less the refunds that succeeded or
/// are in flight.
pub fn refundable(payments: &[PaymentRow], refunds: &[RefundRow]) -> Vnd {
    let paid = payments.iter().find(|p| p.status == PaymentStatus::Succeeded).map_or(Vnd::ZERO, |p| p.amount);
    // Saturating errs on the side of refunding less, never more.
    let committed = Vnd::saturating_sum(refunds.iter().filter(|r| r.status.commits_amount()).map(|r| r.amount));
    paid.saturating_sub(committed).max(Vnd::ZERO)
}

/// An amount typed by staff (`450.000`, `450,000`, `450 000`; everything left when empty), if it is
/// between 1 đồng and what is left.
pub fn parse_amount(raw: &str, left: Vnd) -> Option<Vnd> {
    let amount = if raw.trim().is_empty() { left } else { Vnd::new(raw.replace(['.', ',', ' '], "").parse::<i64>().ok()?) };
    (amount.is_positive() && amount <= left).then_some(amount)
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
             payment_status = (SELECT CASE WHEN o.refunded_total + r.amount >= o.total THEN 'refunded' \
                               WHEN o.payment_status IN ('paid', 'partially_refunded') THEN 'partially_refunded' ELSE o.payment_status END \
                               FROM orders o JOIN refunds r ON r.order_id = o.id WHERE r.id = ?1 AND o.id = orders.id), \
             refunded_total = refunded_total + (SELECT amount FROM ({pending})), updated_at = ?2 \
             WHERE id = (SELECT order_id FROM ({pending}))"
        ))
        .bind(refund_id)
        .bind(now),
        super::outbox::refund_issued_sql(refund_id, now),
        super::webhooks::refund_created_sql(refund_id, now),
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
    pub amount: Option<Vnd>,
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
    BadAmount { max: Vnd },
    /// More than is left to refund.
    ExceedsRefundable { refundable: Vnd },
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

impl std::error::Error for RefundError {}

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
            let amount = req.amount.unwrap_or(payment.amount.saturating_sub(refunded));
            check_refund(order.status, payment.amount, refunded, amount).map_err(|e| match e {
                RefundRefusal::BadAmount => RefundError::BadAmount { max: payment.amount },
                RefundRefusal::TooMuch { refundable } => RefundError::ExceedsRefundable { refundable },
                RefundRefusal::NotRefundable => RefundError::NotRefundable { status: order.status },
            })?;
            let provider_currency = payment.provider_currency.unwrap_or(payment.currency);
            let provider_amount = if provider_currency == payment.currency {
                Some(amount.minor())
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
                provider_currency,
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order, Placed};
    use crate::app::payments::{apply_notice, Applied, PaymentNotice};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::payments::Outcome;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn every_statement_binds_its_placeholders() {
        let sqls = [refund_by_key_sql("k"), refunds_of_order_sql("o"), payment_of_refund_sql("k"), refundable_payment_sql("o"), fail_refund("r", "x", 1)];
        let r = NewRefund { id: "r", order_id: "o", payment_id: "p", provider: "stripe", amount: Vnd::new(1), provider_amount: 1, provider_currency: Currency::Vnd, key: "k", reason: "", actor: "a", now: 1 };
        for sql in sqls.iter().chain(&[claim_refund(&r)]).chain(&complete_refund("r", Some("re"), "admin", 1)) {
            let highest = (1..=12).rev().find(|n| sql.text.contains(&format!("?{n}")));
            match highest {
                Some(n) => assert_eq!(n, sql.params.len(), "{}", sql.text),
                None => assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text),
            }
        }
    }

    #[test]
    fn refunds_are_checked_against_what_is_left_and_the_order_state() {
        use OrderStatus as S;
        assert_eq!(check_refund(S::Paid, Vnd::new(450_000), Vnd::new(0), Vnd::new(450_000)), Ok(true));
        assert_eq!(check_refund(S::Paid, Vnd::new(450_000), Vnd::new(0), Vnd::new(150_000)), Ok(false));
        assert_eq!(check_refund(S::PartiallyRefunded, Vnd::new(450_000), Vnd::new(150_000), Vnd::new(300_000)), Ok(true));
        assert_eq!(check_refund(S::PartiallyRefunded, Vnd::new(450_000), Vnd::new(150_000), Vnd::new(300_001)), Err(RefundRefusal::TooMuch { refundable: Vnd::new(300_000) }));
        assert_eq!(check_refund(S::Paid, Vnd::new(450_000), Vnd::new(0), Vnd::new(0)), Err(RefundRefusal::BadAmount));
        assert_eq!(check_refund(S::PendingPayment, Vnd::new(450_000), Vnd::new(0), Vnd::new(1)), Err(RefundRefusal::NotRefundable));
        assert_eq!(check_refund(S::Refunded, Vnd::new(450_000), Vnd::new(450_000), Vnd::new(1)), Err(RefundRefusal::TooMuch { refundable: Vnd::new(0) }));
        assert_eq!(check_refund(S::NeedsRefund, Vnd::new(450_000), Vnd::new(0), Vnd::new(450_000)), Ok(true));
        assert_eq!(check_refund(S::NeedsRefund, Vnd::new(450_000), Vnd::new(0), Vnd::new(1)), Err(RefundRefusal::NotRefundable), "a late payment is refunded whole");
    }

    #[test]
    fn staff_amounts_are_read_with_separators_and_kept_within_what_is_left() {
        assert_eq!(parse_amount("", Vnd::new(450_000)), Some(Vnd::new(450_000)), "empty means everything left");
        assert_eq!(parse_amount("150.000", Vnd::new(450_000)), Some(Vnd::new(150_000)));
        assert_eq!(parse_amount("150 000", Vnd::new(450_000)), Some(Vnd::new(150_000)));
        assert_eq!(parse_amount("450,001", Vnd::new(450_000)), None);
        assert_eq!(parse_amount("0", Vnd::new(450_000)), None);
        assert_eq!(parse_amount("abc", Vnd::new(450_000)), None);
        assert_eq!(parse_amount("", Vnd::new(0)), None, "nothing left to refund");
    }

    /// The refund batch's status moves are the state machine's refund moves.
    #[test]
    fn a_completed_refund_moves_the_order_as_the_state_machine_says() {
        use OrderStatus as S;
        for from in [S::Paid, S::Fulfilled, S::Delivered, S::PartiallyRefunded] {
            assert_eq!(transition(from, OrderEvent::Refund { full: true }).map(|t| t.0), Ok(S::Refunded));
            assert_eq!(transition(from, OrderEvent::Refund { full: false }).map(|t| t.0), Ok(S::PartiallyRefunded));
        }
        assert_eq!(transition(S::NeedsRefund, OrderEvent::Refund { full: true }).map(|t| t.0), Ok(S::Refunded));
        let batch = complete_refund("r", None, "admin", 1);
        assert!(batch[0].text.contains("'refunded'") && batch[0].text.contains("'partially_refunded'"));
        assert!(batch.last().is_some_and(|s| s.text.starts_with("UPDATE refunds SET status = 'succeeded'")), "the gate flips last");
    }

    /// A provider that answers from a script (success once the script is empty) and counts calls.
    #[derive(Default)]
    struct Fake {
        script: RefCell<Vec<ProviderAnswer>>,
        asked: RefCell<Vec<(String, Vnd)>>,
    }

    impl Fake {
        fn answering(answers: Vec<ProviderAnswer>) -> Fake {
            Fake { script: RefCell::new(answers), ..Fake::default() }
        }
    }

    impl RefundGateway for Fake {
        async fn refund(&self, ask: &RefundAsk, _now: i64) -> ProviderAnswer {
            self.asked.borrow_mut().push((ask.refund.id.clone(), ask.refund.amount));
            let mut script = self.script.borrow_mut();
            if script.is_empty() {
                ProviderAnswer::Accepted(RefundResult { external_id: Some(format!("re_{}", ask.refund.id)), status: RefundStatus::Succeeded })
            } else {
                script.remove(0)
            }
        }
    }

    fn paid_order(db: &Sqlite, seed: u32) -> Placed {
        let v = free_variant(db, 1, i64::from(seed));
        let o = place_order(db, seed, v, 1, "sandbox", NOW - 60, NOW + 840);
        let outcome = Outcome::Paid { charge_id: Some(o.payment_id.clone()) };
        let event = format!("evt-{}", o.payment_id);
        let n = PaymentNotice { provider: "sandbox", event_id: &event, payment_id: &o.payment_id, order_id: None, amount: o.total.minor(), currency: "VND", outcome: &outcome, external_id: None, raw: "{}" };
        assert_eq!(block_on(apply_notice(db, &n, NOW)).unwrap(), Applied::Paid);
        o
    }

    fn ask<'a>(o: &'a Placed, key: &'a str, amount: Option<i64>) -> RefundRequest<'a> {
        RefundRequest { order_id: &o.id, key, amount: amount.map(Vnd::new), reason: "returned", actor: "admin", on_success: Vec::new() }
    }

    fn run(db: &Sqlite, gateway: &Fake, req: RefundRequest, id: &str) -> Result<Refunded, RefundError> {
        block_on(refund(db, gateway, req, id, NOW + 100))
    }

    #[test]
    fn a_refund_over_the_paid_amount_is_refused_before_the_provider_is_asked() {
        let db = Sqlite::demo();
        let o = paid_order(&db, 1);
        let gateway = Fake::default();
        let refused = run(&db, &gateway, ask(&o, "k1", Some(o.total.minor() + 1)), "r1");
        assert!(matches!(refused, Err(RefundError::ExceedsRefundable { refundable }) if refundable == o.total), "{refused:?}");
        assert!(matches!(run(&db, &gateway, ask(&o, "k2", Some(0)), "r2"), Err(RefundError::BadAmount { .. })));
        assert!(gateway.asked.borrow().is_empty());
        assert_eq!(db.int("SELECT COUNT(*) FROM refunds"), 0);
    }

    #[test]
    fn a_partial_then_a_full_refund_sum_to_what_was_paid_and_nothing_more_goes_back() {
        let db = Sqlite::demo();
        let o = paid_order(&db, 1);
        let gateway = Fake::default();
        let part = run(&db, &gateway, ask(&o, "k1", Some(10_000)), "r1").unwrap();
        assert_eq!((part.refund.status, part.refund.amount, part.replayed), (RefundStatus::Succeeded, Vnd::new(10_000), false));
        assert_eq!((part.order.status, part.order.refunded_total), (OrderStatus::PartiallyRefunded, Vnd::new(10_000)));
        let rest = run(&db, &gateway, ask(&o, "k2", None), "r2").unwrap();
        assert_eq!(rest.refund.amount.minor(), o.total.minor() - 10_000, "everything left");
        assert_eq!((rest.order.status, rest.order.refunded_total), (OrderStatus::Refunded, o.total));
        let more = run(&db, &gateway, ask(&o, "k3", Some(1)), "r3");
        assert!(matches!(more, Err(RefundError::ExceedsRefundable { refundable: Vnd::ZERO })), "{more:?}");
        assert_eq!(Vnd::checked_sum(gateway.asked.borrow().iter().map(|(_, a)| *a)), Some(o.total), "the provider gave back what was paid");
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = '{}' AND reason LIKE 'refund of %'", o.id)), 2);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM shop_events WHERE kind = 'refunded' AND order_id = '{}'", o.id)), 2);
    }

    #[test]
    fn a_repeated_idempotency_key_answers_the_first_outcome() {
        let db = Sqlite::demo();
        let (o, other) = (paid_order(&db, 1), paid_order(&db, 2));
        let gateway = Fake::default();
        let first = run(&db, &gateway, ask(&o, "k1", Some(10_000)), "r1").unwrap();
        let again = run(&db, &gateway, ask(&o, "k1", Some(20_000)), "r2").unwrap();
        assert!(again.replayed);
        assert_eq!((again.refund.id.as_str(), again.refund.amount), (first.refund.id.as_str(), Vnd::new(10_000)));
        assert_eq!(again.order.refunded_total, Vnd::new(10_000));
        assert_eq!(gateway.asked.borrow().len(), 1, "the provider was asked once");
        assert!(matches!(run(&db, &gateway, ask(&other, "k1", None), "r3"), Err(RefundError::KeyReused)));
    }

    #[test]
    fn two_refunds_racing_for_what_is_left_take_it_once() {
        let db = Sqlite::demo();
        let o = paid_order(&db, 1);
        let gateway = Fake::default();
        let (a, b) = block_on(async { futures::join!(refund(&db, &gateway, ask(&o, "k1", None), "r1", NOW), refund(&db, &gateway, ask(&o, "k2", None), "r2", NOW)) });
        let outcomes = [a, b];
        assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 1, "{outcomes:?}");
        assert!(outcomes.iter().any(|r| matches!(r, Err(RefundError::Taken))));
        assert_eq!(db.int(&format!("SELECT refunded_total FROM orders WHERE id = '{}'", o.id)), o.total.minor());
    }

    #[test]
    fn a_refused_refund_frees_its_amount_and_an_unanswered_one_is_asked_again_under_its_key() {
        let db = Sqlite::demo();
        let o = paid_order(&db, 1);
        let refusal = GatewayError::Refused { code: "charge_disputed".into(), message: "disputed".into() };
        let gateway = Fake::answering(vec![ProviderAnswer::Refused(refusal), ProviderAnswer::Unreachable]);
        let refused = run(&db, &gateway, ask(&o, "k1", None), "r1");
        let Err(RefundError::ProviderRefused { refund: Some(failed), .. }) = refused else { panic!("{refused:?}") };
        assert_eq!(failed.status, RefundStatus::Failed);
        let pending = run(&db, &gateway, ask(&o, "k2", None), "r2");
        let Err(RefundError::ProviderUnavailable { refund }) = pending else { panic!("{pending:?}") };
        assert_eq!((refund.status, refund.amount), (RefundStatus::Pending, o.total), "the whole amount: the refused one freed it");
        let retried = run(&db, &gateway, ask(&o, "k2", None), "r3").unwrap();
        assert_eq!((retried.refund.id.as_str(), retried.refund.status, retried.replayed), ("r2", RefundStatus::Succeeded, false));
        assert_eq!(gateway.asked.borrow().iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["r1", "r2", "r2"]);
        assert_eq!(retried.order.status, OrderStatus::Refunded);
    }

    #[test]
    fn an_unpaid_order_has_nothing_to_refund() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 0);
        let o = place_order(&db, 1, v, 1, "sandbox", NOW - 60, NOW + 840);
        let gateway = Fake::default();
        assert!(matches!(run(&db, &gateway, ask(&o, "k1", None), "r1"), Err(RefundError::NoPayment)));
        let missing = Placed { id: "f".repeat(32), ..o };
        assert!(matches!(run(&db, &gateway, ask(&missing, "k2", None), "r2"), Err(RefundError::NotFound)));
    }

    #[test]
    fn the_admins_audit_row_joins_the_batch_that_completes_the_refund() {
        let db = Sqlite::demo();
        let o = paid_order(&db, 1);
        let audit = Sql::new("INSERT INTO audit_log (at, actor_id, actor_email, action, entity, entity_id) SELECT 1, 'a', 'a@x.vn', 'order.refund', 'order', 'o' WHERE changes() > 0");
        let gateway = Fake::answering(vec![ProviderAnswer::Unreachable]);
        let req = |key| RefundRequest { on_success: vec![audit.clone()], ..ask(&o, key, Some(10_000)) };
        assert!(run(&db, &gateway, req("k1"), "r1").is_err());
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'order.refund'"), 0, "not while the refund is pending");
        run(&db, &gateway, req("k1"), "r2").unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'order.refund'"), 1);
    }
}
