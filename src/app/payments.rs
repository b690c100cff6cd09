//! Payment attempts and refunds as SQL: starting an attempt with a provider, choosing another
//! method for an unpaid order, remembering what each notification said, and refunds that can never
//! add up to more than was paid.

use super::orders::PAYMENT_COLUMNS;
use super::sql::Sql;
use crate::domain::payments::Started;

/// What the provider gave back when the attempt started; recorded once.
pub fn record_started(payment_id: &str, s: &Started, now: i64) -> Sql {
    Sql::new(
        "UPDATE payments SET external_id = ?, redirect_url = ?, provider_amount = ?, provider_currency = ?, fx_rate = ?, updated_at = ? \
         WHERE id = ? AND status = 'pending' AND external_id IS NULL",
    )
    .bind(s.external_id.as_str())
    .bind(s.redirect_url.as_str())
    .bind(s.provider_amount)
    .bind(s.provider_currency.as_str())
    .bind(s.fx_rate.clone().map_or(super::sql::SqlValue::Null, super::sql::SqlValue::Text))
    .bind(now)
    .bind(payment_id)
}

pub fn payment_by_external_sql(provider: &str, external_id: &str) -> Sql {
    Sql::new(format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = ? AND external_id = ?")).bind(provider).bind(external_id)
}

/// Pending attempts with a provider page still open whose order can no longer be paid for (expired
/// or cancelled): their sessions are closed at the provider.
pub fn stale_attempts_sql(provider: &str, limit: i64) -> Sql {
    Sql::new(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.provider = ? AND p.status = 'pending' AND p.external_id IS NOT NULL \
         AND EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status IN ('expired', 'cancelled')) LIMIT ?"
    ))
    .bind(provider)
    .bind(limit)
}

pub fn event_seen_sql(provider: &str, event_id: &str) -> Sql {
    Sql::new("SELECT event_id FROM payment_events WHERE provider = ? AND event_id = ?").bind(provider).bind(event_id)
}

/// Keeps the latest notification and what it named (the charge a refund needs, a decline's code).
pub fn note_notification(payment_id: &str, charge_id: Option<&str>, failure_code: Option<&str>, raw: &str, now: i64) -> Sql {
    Sql::new(
        "UPDATE payments SET charge_id = COALESCE(?, charge_id), failure_code = COALESCE(?, failure_code), last_notification = ?, updated_at = ? WHERE id = ?",
    )
    .bind(charge_id.map_or(super::sql::SqlValue::Null, |c| c.into()))
    .bind(failure_code.map_or(super::sql::SqlValue::Null, |c| c.into()))
    .bind(raw)
    .bind(now)
    .bind(payment_id)
}

/// A new attempt for an unpaid, unexpired order with another (or the same) provider: earlier
/// attempts still pending are cancelled, the order records the provider. The insert is the gate.
pub fn new_attempt(order_id: &str, payment_id: &str, provider: &str, now: i64) -> Vec<Sql> {
    vec![
        Sql::new(
            "INSERT INTO payments (id, order_id, provider, amount, currency, status, created_at, updated_at) \
             SELECT ?1, o.id, ?2, o.total, o.currency, 'pending', ?3, ?3 FROM orders o WHERE o.id = ?4 AND o.status = 'pending_payment' AND o.expires_at > ?3",
        )
        .bind(payment_id)
        .bind(provider)
        .bind(now)
        .bind(order_id),
        Sql::new("UPDATE payments SET status = 'cancelled', updated_at = ?1 WHERE order_id = ?2 AND id <> ?3 AND status = 'pending' AND EXISTS (SELECT 1 FROM payments WHERE id = ?3)")
            .bind(now)
            .bind(order_id)
            .bind(payment_id),
        Sql::new("UPDATE orders SET payment_provider = ?1, updated_at = ?2 WHERE id = ?3 AND EXISTS (SELECT 1 FROM payments WHERE id = ?4)")
            .bind(provider)
            .bind(now)
            .bind(order_id)
            .bind(payment_id),
    ]
}

// ---------------------------------------------------------------------------------------------
// Refunds
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RefundRow {
    pub id: String,
    pub order_id: String,
    pub payment_id: String,
    pub provider: String,
    pub amount: i64,
    pub currency: String,
    pub provider_amount: i64,
    pub provider_currency: String,
    pub status: String,
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
    /// The order is not in a state that can be refunded (unpaid, already fully refunded…).
    NotRefundable,
    /// Zero or negative.
    BadAmount,
    /// More than paid − already refunded; carries what is left.
    TooMuch { refundable: i64 },
}

/// Checks a refund of `amount` đồng against the order's status and what is left to refund
/// (`paid − refunded`, refunds in flight included); `Ok(full)` says whether it refunds everything.
pub fn check_refund(status: &str, paid: i64, refunded: i64, amount: i64) -> Result<bool, RefundRefusal> {
    use crate::domain::orders::{transition, OrderEvent, OrderStatus};
    let status = OrderStatus::parse(status).ok_or(RefundRefusal::NotRefundable)?;
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

/// Đồng and provider units already committed to refunds of a payment.
pub fn refunded_sql(payment_id: &str) -> Sql {
    Sql::new(
        "SELECT COALESCE(SUM(amount), 0) AS amount, COALESCE(SUM(provider_amount), 0) AS provider_amount FROM refunds \
         WHERE payment_id = ? AND status IN ('pending', 'succeeded')",
    )
    .bind(payment_id)
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
            .bind(external_id.map_or(super::sql::SqlValue::Null, |e| e.into()))
            .bind(now),
    ]
}

/// A refund the provider refused: it frees its amount again.
pub fn fail_refund(refund_id: &str, failure: &str, now: i64) -> Sql {
    Sql::new("UPDATE refunds SET status = 'failed', failure = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'").bind(refund_id).bind(failure).bind(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced(sqls: &[Sql]) {
        for sql in sqls {
            let highest = (1..=12).rev().find(|n| sql.text.contains(&format!("?{n}")));
            match highest {
                Some(n) => assert_eq!(n, sql.params.len(), "{}", sql.text),
                None => assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text),
            }
        }
    }

    #[test]
    fn every_statement_binds_its_placeholders() {
        let started = Started { external_id: "cs".into(), redirect_url: "u".into(), provider_amount: 1, provider_currency: "VND".into(), fx_rate: None };
        balanced(&[record_started("p", &started, 1), payment_by_external_sql("stripe", "cs"), stale_attempts_sql("stripe", 5), event_seen_sql("s", "e")]);
        balanced(&[note_notification("p", Some("pi"), None, "{}", 1), refund_by_key_sql("k"), refunds_of_order_sql("o"), refunded_sql("p"), fail_refund("r", "x", 1)]);
        balanced(&new_attempt("o", "p", "momo", 1));
        balanced(&complete_refund("r", Some("re"), "admin", 1));
        let r = NewRefund { id: "r", order_id: "o", payment_id: "p", provider: "stripe", amount: 1, provider_amount: 1, provider_currency: "VND", key: "k", reason: "", actor: "a", now: 1 };
        balanced(&[claim_refund(&r)]);
    }

    #[test]
    fn refunds_are_checked_against_what_is_left_and_the_order_state() {
        assert_eq!(check_refund("paid", 450_000, 0, 450_000), Ok(true));
        assert_eq!(check_refund("paid", 450_000, 0, 150_000), Ok(false));
        assert_eq!(check_refund("partially_refunded", 450_000, 150_000, 300_000), Ok(true));
        assert_eq!(check_refund("partially_refunded", 450_000, 150_000, 300_001), Err(RefundRefusal::TooMuch { refundable: 300_000 }));
        assert_eq!(check_refund("paid", 450_000, 0, 0), Err(RefundRefusal::BadAmount));
        assert_eq!(check_refund("pending_payment", 450_000, 0, 1), Err(RefundRefusal::NotRefundable));
        assert_eq!(check_refund("refunded", 450_000, 450_000, 1), Err(RefundRefusal::TooMuch { refundable: 0 }));
        assert_eq!(check_refund("needs_refund", 450_000, 0, 450_000), Ok(true));
        assert_eq!(check_refund("needs_refund", 450_000, 0, 1), Err(RefundRefusal::NotRefundable), "a late payment is refunded whole");
    }

    /// The refund batch's status moves are the state machine's refund moves.
    #[test]
    fn a_completed_refund_moves_the_order_as_the_state_machine_says() {
        use crate::domain::orders::{transition, OrderEvent, OrderStatus as S};
        for from in [S::Paid, S::Fulfilled, S::Delivered, S::PartiallyRefunded] {
            assert_eq!(transition(from, OrderEvent::Refund { full: true }).map(|t| t.0), Ok(S::Refunded));
            assert_eq!(transition(from, OrderEvent::Refund { full: false }).map(|t| t.0), Ok(S::PartiallyRefunded));
        }
        assert_eq!(transition(S::NeedsRefund, OrderEvent::Refund { full: true }).map(|t| t.0), Ok(S::Refunded));
        let batch = complete_refund("r", None, "admin", 1);
        assert!(batch[0].text.contains("'refunded'") && batch[0].text.contains("'partially_refunded'"));
        assert!(batch.last().is_some_and(|s| s.text.starts_with("UPDATE refunds SET status = 'succeeded'")), "the gate flips last");
    }
}
