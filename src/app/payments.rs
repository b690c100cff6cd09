//! Payment attempts: starting one with a provider, choosing another method for an unpaid order, and
//! applying what a provider says about one ([`apply_notice`]: a webhook, or the answer to a status
//! query) — cross-checked against the attempt on record, then applied to its order once.
//!
//! Every write is gated in SQL on the state it moves from, and a notice's writes go in one batch
//! (one transaction) that ends by recording the provider's event id; an id already recorded is
//! answered at once. So a redelivered, duplicated or out-of-order notice changes nothing twice.

use std::fmt;

use super::admin_orders::paid_event_sql;
use super::db::{expect_n, Db, DbError};
use super::orders::{order_of_payment_sql, payment_by_id_sql, record_payment_event, settle_payment, OrderRow, PaymentRow, PAYMENT_COLUMNS};
use super::sql::Sql;
use super::stock;
use crate::domain::orders::{transition, OrderEvent, OrderStatus};
use crate::domain::payments::{Outcome, PaymentStatus, Started, Verified};

/// What the provider gave back when the attempt started; recorded once.
pub fn record_started(payment_id: &str, s: &Started, now: i64) -> Sql {
    Sql::new(
        "UPDATE payments SET external_id = ?, redirect_url = ?, provider_amount = ?, provider_currency = ?, fx_rate = ?, updated_at = ? \
         WHERE id = ? AND status = 'pending' AND external_id IS NULL",
    )
    .bind(s.external_id.as_str())
    .bind(s.redirect_url.as_str())
    .bind(s.provider_amount)
    .bind(s.provider_currency.code())
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

/// The port to the providers' hosted payment pages: closing one so that it can no longer be paid.
#[expect(async_fn_in_trait, reason = "used generically (`impl PageCloser`), never as a `Send` future or a trait object")]
pub trait PageCloser {
    /// The providers whose pages this closer can close (those configured, with such a call).
    fn providers(&self) -> &[&'static str];
    /// True when the page is closed (or was already); false when the provider could not be asked.
    async fn close(&self, payment: &PaymentRow) -> bool;
}

/// Attempts closed per provider per pass; the rest wait for the next pass.
const CLOSE_BATCH: i64 = 50;

/// The sweep's part for payments: attempts still pending at a provider whose order expired or was
/// cancelled get their hosted page closed, so the shopper cannot pay for an order that no longer
/// holds stock, and are recorded as cancelled (gated on still being pending, so a second pass or a
/// late webhook changes nothing twice). An attempt the provider could not be asked about stays
/// pending for the next pass. Returns how many were closed.
pub async fn close_stale_attempts(db: &impl Db, closer: &impl PageCloser, now: i64) -> Result<u64, DbError> {
    let mut closed = 0;
    for provider in closer.providers() {
        let stale: Vec<PaymentRow> = db.all(&stale_attempts_sql(provider, CLOSE_BATCH)).await?;
        for payment in &stale {
            if closer.close(payment).await {
                // The provider may announce the closing by webhook before this update runs (Stripe
                // sends `checkout.session.expired`); either records it once, and the page counts as
                // closed by this pass either way.
                db.run(&settle_payment(&payment.id, PaymentStatus::Cancelled, now)).await?;
                closed += 1;
            }
        }
    }
    Ok(closed)
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
// Notices
// ---------------------------------------------------------------------------------------------

/// A verified notification (or status answer) about one attempt, as the provider states it.
#[derive(Clone, Copy, Debug)]
pub struct PaymentNotice<'a> {
    pub provider: &'a str,
    pub event_id: &'a str,
    pub payment_id: &'a str,
    /// The order the provider echoes back, when it does; must be the payment's.
    pub order_id: Option<&'a str>,
    /// The provider-side amount and currency (USD cents for PayPal), as the provider states them:
    /// checked against `PaymentRow::charged`, never computed with.
    pub amount: i64,
    pub currency: &'a str,
    pub outcome: &'a Outcome,
    /// The provider's id for the attempt, when the notice names it; must be the one recorded.
    pub external_id: Option<&'a str>,
    /// What the provider sent, kept with the payment and the event.
    pub raw: &'a str,
}

impl<'a> PaymentNotice<'a> {
    /// The notice a provider module's verified answer makes.
    pub fn verified(provider: &'a str, v: &'a Verified, raw: &'a str) -> PaymentNotice<'a> {
        PaymentNotice {
            provider,
            event_id: &v.event_id,
            payment_id: &v.payment_id,
            order_id: v.order_id.as_deref(),
            amount: v.amount,
            currency: &v.currency,
            outcome: &v.outcome,
            external_id: v.external_id.as_deref(),
            raw,
        }
    }
}

/// What applying a notice did (its name is what the webhooks answer with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The order was waiting for this payment: it is paid and its units sold.
    Paid,
    /// Paid after it expired or was cancelled, and its units were still there: paid again.
    Revived,
    /// Paid after it expired or was cancelled, and its units are gone: the money goes back.
    NeedsRefund,
    Failed,
    Cancelled,
    /// This attempt succeeded for an order another attempt had already paid (or that is past
    /// payment): the order is unchanged, and this money must go back.
    PaidTwice,
    /// Nothing to change: a duplicate, a still-pending status, or an order already past this point.
    Unchanged,
}

/// Why a notice was not applied.
#[derive(Debug)]
pub enum NoticeError {
    /// No such payment.
    Unknown,
    /// The notice disagrees with the attempt on record about `field`.
    Mismatch { field: &'static str, on_record: String, notified: String },
    Db(DbError),
}

impl From<DbError> for NoticeError {
    fn from(e: DbError) -> Self {
        NoticeError::Db(e)
    }
}

impl fmt::Display for NoticeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoticeError::Unknown => f.write_str("no such payment"),
            NoticeError::Mismatch { field, on_record, notified } => write!(f, "{field} is {notified:?}, the payment on record says {on_record:?}"),
            NoticeError::Db(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NoticeError {}

fn mismatch(field: &'static str, on_record: impl Into<String>, notified: impl Into<String>) -> NoticeError {
    NoticeError::Mismatch { field, on_record: on_record.into(), notified: notified.into() }
}

/// Checks a notice against the attempt on record: provider, order, the provider's attempt id,
/// amount and currency (the provider's, which differ from the order's for PayPal) must all agree.
pub fn check_notice(payment: &PaymentRow, n: &PaymentNotice) -> Result<(), NoticeError> {
    if payment.provider != n.provider {
        return Err(mismatch("provider", payment.provider.as_str(), n.provider));
    }
    if let Some(order) = n.order_id.filter(|o| *o != payment.order_id) {
        return Err(mismatch("order_id", payment.order_id.as_str(), order));
    }
    if let (Some(given), Some(recorded)) = (n.external_id, payment.external_id.as_deref()) {
        if given != recorded {
            return Err(mismatch("external_id", recorded, given));
        }
    }
    let charged = payment.charged();
    if charged.amount() != n.amount {
        return Err(mismatch("amount", charged.amount().to_string(), n.amount.to_string()));
    }
    let currency = charged.currency().code();
    if !currency.eq_ignore_ascii_case(n.currency) {
        return Err(mismatch("currency", currency, n.currency));
    }
    Ok(())
}

/// The order moves a success may make, chosen by the state machine from the order as read: an
/// order awaiting payment is paid (and, should its expiry win the race to the database meanwhile,
/// revived instead — both moves are gated, at most one applies); an expired or cancelled one is
/// revived. Anything else is past payment and does not move.
struct PaidMoves {
    batch: Vec<Sql>,
    pay_flip: Option<usize>,
    revive_flip: Option<usize>,
}

impl PaidMoves {
    /// Appends a move; answers where its flip is.
    fn push(&mut self, batch: Vec<Sql>) -> Option<usize> {
        let flip = stock::flip_index(&batch).map(|i| self.batch.len() + i);
        self.batch.extend(batch);
        flip
    }
}

fn paid_moves(order: &OrderRow, now: i64, actor: &str) -> PaidMoves {
    let mut moves = PaidMoves { batch: Vec::new(), pay_flip: None, revive_flip: None };
    let from = order.status;
    if transition(from, OrderEvent::PaymentSucceeded { stock_available: true }).is_err() {
        return moves;
    }
    if from == OrderStatus::PendingPayment {
        moves.pay_flip = moves.push(stock::pay_order(&order.id, now, actor));
    }
    moves.revive_flip = moves.push(stock::revive_paid_order(&order.id, now, actor));
    moves
}

fn changed(results: &[super::db::Rows], at: Option<usize>) -> bool {
    at.and_then(|i| results.get(i)).is_some_and(|r| r.changes() > 0)
}

/// Applies a verified notice to its attempt and order, once.
///
/// One round trip reads whether the event was seen, the attempt and its order; a second writes
/// everything the notice changes as one transaction: the notification noted, the attempt settled,
/// the order moved (paid, or revived after expiry), the funnel's `order_paid` event and, last, the
/// provider's event id. A late payment whose units are gone makes the revival's stock checks fail
/// that transaction whole; a third round trip then flags the order for a refund instead.
pub async fn apply_notice(db: &impl Db, n: &PaymentNotice<'_>, now: i64) -> Result<Applied, NoticeError> {
    let reads = [event_seen_sql(n.provider, n.event_id), payment_by_id_sql(n.payment_id), order_of_payment_sql(n.payment_id)];
    let [seen, payment, order] = expect_n::<3>(db.batch(&reads).await?, "notice reads")?;
    if !seen.is_empty() {
        return Ok(Applied::Unchanged);
    }
    let payment: PaymentRow = payment.first()?.ok_or(NoticeError::Unknown)?;
    check_notice(&payment, n)?;
    let order: OrderRow = order.first()?.ok_or(NoticeError::Unknown)?;
    // Not decided yet: nothing is recorded, so the decision, when it comes, is not taken for a duplicate.
    let Some(status) = n.outcome.payment_status() else { return Ok(Applied::Unchanged) };
    let (charge, failure) = match n.outcome {
        Outcome::Paid { charge_id } => (charge_id.as_deref(), None),
        Outcome::Failed { code } => (None, Some(code.as_str())),
        Outcome::Cancelled | Outcome::Pending => (None, None),
    };
    let settle = [note_notification(n.payment_id, charge, failure, n.raw, now), settle_payment(n.payment_id, status, now)];
    const SETTLED: usize = 1;
    let record = record_payment_event(n.provider, n.event_id, n.payment_id, status.code(), n.raw, now);
    if status != PaymentStatus::Succeeded {
        let mut batch = settle.to_vec();
        batch.push(record);
        db.batch(&batch).await?;
        return Ok(if status == PaymentStatus::Failed { Applied::Failed } else { Applied::Cancelled });
    }

    let actor = format!("payment:{}", n.provider);
    let offset = settle.len();
    let moves = paid_moves(&order, now, &actor);
    let mut batch = settle.to_vec();
    batch.extend(moves.batch);
    batch.push(paid_event_sql(&order.id, now));
    batch.push(super::capi::purchase_sql(&order.id, now));
    batch.push(record.clone());
    let results = match db.batch(&batch).await {
        Ok(results) => results,
        Err(e) if e.is_constraint() && moves.revive_flip.is_some() => {
            // The revival could not take the units again: keep the money on record for a refund.
            let needs_refund = stock::mark_needs_refund(&order.id, now, &actor);
            let flip = stock::flip_index(&needs_refund).map(|i| offset + i);
            let mut batch = settle.to_vec();
            batch.extend(needs_refund);
            batch.push(record);
            let results = db.batch(&batch).await?;
            return Ok(if changed(&results, flip) {
                Applied::NeedsRefund
            } else if changed(&results, Some(SETTLED)) {
                Applied::PaidTwice
            } else {
                Applied::Unchanged
            });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(if changed(&results, moves.pay_flip.map(|i| offset + i)) {
        Applied::Paid
    } else if changed(&results, moves.revive_flip.map(|i| offset + i)) {
        Applied::Revived
    } else if changed(&results, Some(SETTLED)) {
        Applied::PaidTwice
    } else {
        Applied::Unchanged
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    use crate::app::testing::assert_balanced as balanced;

    #[test]
    fn every_statement_binds_its_placeholders() {
        let started = Started { external_id: "cs".into(), redirect_url: "u".into(), provider_amount: 1, provider_currency: Currency::Vnd, fx_rate: None };
        balanced(&[record_started("p", &started, 1), payment_by_external_sql("stripe", "cs"), stale_attempts_sql("stripe", 5), event_seen_sql("s", "e")]);
        balanced(&[note_notification("p", Some("pi"), None, "{}", 1), order_of_payment_sql("p")]);
        balanced(&new_attempt("o", "p", "momo", 1));
        for status in [PaymentStatus::Succeeded, PaymentStatus::Failed, PaymentStatus::Cancelled] {
            balanced(&[settle_payment("p", status, 1)]);
        }
    }

    mod notices {
        use super::super::*;
        use crate::app::orders::fixtures::{free_variant, id, place_order, stock, Placed};
        use crate::app::orders::sweep;
        use crate::app::testing::{block_on, Sqlite};

        const NOW: i64 = 1_800_000_000;

        fn paid() -> Outcome {
            Outcome::Paid { charge_id: Some("ch_1".into()) }
        }

        fn notice<'a>(o: &'a Placed, event_id: &'a str, outcome: &'a Outcome) -> PaymentNotice<'a> {
            PaymentNotice {
                provider: "sandbox",
                event_id,
                payment_id: &o.payment_id,
                order_id: Some(&o.id),
                amount: o.total.minor(),
                currency: "VND",
                outcome,
                external_id: None,
                raw: "{}",
            }
        }

        fn status(db: &Sqlite, o: &Placed) -> (String, String, String) {
            (
                db.text(&format!("SELECT status FROM orders WHERE id = '{}'", o.id)),
                db.text(&format!("SELECT stock_state FROM orders WHERE id = '{}'", o.id)),
                db.text(&format!("SELECT status FROM payments WHERE id = '{}'", o.payment_id)),
            )
        }

        fn count(db: &Sqlite, sql: &str) -> i64 {
            db.int(&format!("SELECT COUNT(*) FROM {sql}"))
        }

        fn placed(db: &Sqlite, seed: u32, quantity: i64) -> Placed {
            let v = free_variant(db, quantity, i64::from(seed));
            place_order(db, seed, v, quantity, "sandbox", NOW - 60, NOW + 840)
        }

        #[test]
        fn the_same_notice_applied_twice_pays_once_records_one_event_and_commits_stock_once() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 2);
            let (on_hand, reserved) = stock(&db, o.variant_id);
            let outcome = paid();
            let n = notice(&o, "evt_1", &outcome);
            let trips = db.round_trips.get();
            assert_eq!(block_on(apply_notice(&db, &n, NOW)).unwrap(), Applied::Paid);
            assert_eq!(db.round_trips.get() - trips, 2, "one round trip reads, one writes");
            assert_eq!(block_on(apply_notice(&db, &n, NOW + 5)).unwrap(), Applied::Unchanged);

            assert_eq!(status(&db, &o), ("paid".into(), "committed".into(), "succeeded".into()));
            assert_eq!(stock(&db, o.variant_id), (on_hand - 2, reserved - 2), "sold once");
            assert_eq!(count(&db, &format!("payment_events WHERE payment_id = '{}'", o.payment_id)), 1);
            assert_eq!(count(&db, &format!("order_events WHERE order_id = '{}' AND to_status = 'paid'", o.id)), 1);
            assert_eq!(count(&db, &format!("outbox WHERE kind = 'order_paid' AND json_extract(payload, '$.order_id') = '{}'", o.id)), 1);
            assert_eq!(count(&db, &format!("shop_events WHERE kind = 'order_paid' AND order_id = '{}'", o.id)), 1);
            assert_eq!(db.text(&format!("SELECT charge_id FROM payments WHERE id = '{}'", o.payment_id)), "ch_1");
        }

        #[test]
        fn the_same_notice_delivered_twice_at_once_pays_once() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 1);
            let (on_hand, _) = stock(&db, o.variant_id);
            let outcome = paid();
            let (a, b) = (notice(&o, "evt_1", &outcome), notice(&o, "evt_2", &outcome));
            let (first, second) = block_on(async { futures::join!(apply_notice(&db, &a, NOW), apply_notice(&db, &b, NOW)) });
            let mut answers = [first.unwrap(), second.unwrap()];
            answers.sort_by_key(|a| format!("{a:?}"));
            assert_eq!(answers, [Applied::Paid, Applied::Unchanged]);
            assert_eq!(stock(&db, o.variant_id).0, on_hand - 1);
            assert_eq!(count(&db, &format!("order_events WHERE order_id = '{}' AND to_status = 'paid'", o.id)), 1);
            assert_eq!(count(&db, &format!("payment_events WHERE payment_id = '{}'", o.payment_id)), 2, "each distinct event recorded once");
        }

        #[test]
        fn a_notice_that_disagrees_with_the_payment_is_rejected_and_changes_nothing() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 1);
            let before = (stock(&db, o.variant_id), status(&db, &o));
            let outcome = paid();
            let good = notice(&o, "evt_1", &outcome);
            let other_order = id(1, 99);
            let unknown = id(2, 99);
            let cases: [(PaymentNotice, &str); 5] = [
                (PaymentNotice { amount: o.total.minor() - 1, ..good }, "amount"),
                (PaymentNotice { currency: "USD", ..good }, "currency"),
                (PaymentNotice { order_id: Some(&other_order), ..good }, "order_id"),
                (PaymentNotice { provider: "momo", ..good }, "provider"),
                (PaymentNotice { payment_id: &unknown, ..good }, "unknown"),
            ];
            for (n, what) in cases {
                match block_on(apply_notice(&db, &n, NOW)) {
                    Err(NoticeError::Mismatch { field, .. }) => assert_eq!(field, what),
                    Err(NoticeError::Unknown) => assert_eq!(what, "unknown"),
                    other => panic!("{what}: {other:?}"),
                }
            }
            assert_eq!((stock(&db, o.variant_id), status(&db, &o)), before);
            assert_eq!(count(&db, "payment_events"), 0, "no rejected notice was recorded");
            assert_eq!(block_on(apply_notice(&db, &good, NOW)).unwrap(), Applied::Paid, "the good one still applies");
        }

        #[test]
        fn a_recorded_provider_attempt_must_match_the_notice() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 1);
            db.exec(&format!("UPDATE payments SET external_id = 'cs_1' WHERE id = '{}'", o.payment_id));
            let outcome = paid();
            let n = PaymentNotice { external_id: Some("cs_2"), ..notice(&o, "evt_1", &outcome) };
            assert!(matches!(block_on(apply_notice(&db, &n, NOW)), Err(NoticeError::Mismatch { field: "external_id", .. })));
            let n = PaymentNotice { external_id: Some("cs_1"), ..n };
            assert_eq!(block_on(apply_notice(&db, &n, NOW)).unwrap(), Applied::Paid);
        }

        #[test]
        fn a_late_payment_revives_an_expired_order_when_its_stock_is_there() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 2);
            let (on_hand, reserved) = stock(&db, o.variant_id);
            assert_eq!(block_on(sweep(&db, NOW + 900)).unwrap().expired_orders, 1);
            assert_eq!(stock(&db, o.variant_id), (on_hand, reserved - 2), "expiry gave the units back");
            let outcome = paid();
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_1", &outcome), NOW + 960)).unwrap(), Applied::Revived);
            assert_eq!(status(&db, &o), ("paid".into(), "committed".into(), "succeeded".into()));
            assert_eq!(stock(&db, o.variant_id), (on_hand - 2, reserved - 2), "taken again and sold, once");
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_2", &outcome), NOW + 970)).unwrap(), Applied::Unchanged);
            assert_eq!(stock(&db, o.variant_id), (on_hand - 2, reserved - 2));
        }

        #[test]
        fn a_late_payment_flags_a_refund_when_the_stock_is_gone_and_leaves_stock_alone() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 2);
            block_on(sweep(&db, NOW + 900)).unwrap();
            // Meanwhile all but one unit were sold elsewhere.
            db.exec(&format!("UPDATE variants SET on_hand = reserved + 1 WHERE id = {}", o.variant_id));
            let before = stock(&db, o.variant_id);
            let outcome = paid();
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_1", &outcome), NOW + 960)).unwrap(), Applied::NeedsRefund);
            assert_eq!(status(&db, &o), ("needs_refund".into(), "released".into(), "succeeded".into()), "the money is on record for the refund");
            assert_eq!(stock(&db, o.variant_id), before);
            assert_eq!(count(&db, &format!("payment_events WHERE payment_id = '{}'", o.payment_id)), 1);
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_1", &outcome), NOW + 970)).unwrap(), Applied::Unchanged);
        }

        /// Interleaved round trip by round trip: the notice's write lands just before the sweep's
        /// expiry (paid), or just after it (the order read as unpaid is revived in the same write).
        #[test]
        fn a_payment_racing_the_sweep_at_expiry_sells_the_units_once() {
            for sweep_first in [false, true] {
                let db = Sqlite::demo();
                let o = placed(&db, 1, 2);
                let (on_hand, reserved) = stock(&db, o.variant_id);
                let outcome = paid();
                let n = notice(&o, "evt_1", &outcome);
                let (applied, report) = if sweep_first {
                    let (report, applied) = block_on(async { futures::join!(sweep(&db, NOW + 900), apply_notice(&db, &n, NOW + 900)) });
                    (applied, report)
                } else {
                    block_on(async { futures::join!(apply_notice(&db, &n, NOW + 900), sweep(&db, NOW + 900)) })
                };
                let expected = if sweep_first { Applied::Revived } else { Applied::Paid };
                assert_eq!(applied.unwrap(), expected);
                assert_eq!(report.unwrap().expired_orders, u64::from(sweep_first));
                assert_eq!(status(&db, &o).0, "paid");
                assert_eq!(stock(&db, o.variant_id), (on_hand - 2, reserved - 2), "sold once");
            }
        }

        #[test]
        fn a_failure_never_undoes_a_success() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 1);
            let declined = Outcome::Failed { code: "declined".into() };
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_1", &declined), NOW)).unwrap(), Applied::Failed);
            assert_eq!(status(&db, &o), ("pending_payment".into(), "reserved".into(), "failed".into()), "the order keeps its units");
            let outcome = paid();
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_2", &outcome), NOW + 1)).unwrap(), Applied::Paid);
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_3", &declined), NOW + 2)).unwrap(), Applied::Failed);
            assert_eq!(status(&db, &o), ("paid".into(), "committed".into(), "succeeded".into()));
        }

        #[test]
        fn a_pending_status_records_nothing() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 1);
            let before = status(&db, &o);
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_1", &Outcome::Pending), NOW)).unwrap(), Applied::Unchanged);
            assert_eq!(status(&db, &o), before);
            assert_eq!(count(&db, "payment_events"), 0, "the decision, when it comes, is not taken for a duplicate");
        }

        #[test]
        fn a_second_attempt_that_succeeds_after_the_order_was_paid_is_paid_twice() {
            let db = Sqlite::demo();
            let o = placed(&db, 1, 1);
            let second = id(9, 1);
            block_on(db.batch(&new_attempt(&o.id, &second, "sandbox", NOW))).unwrap();
            let outcome = paid();
            // The first attempt was cancelled by the new one, and pays anyway (a late provider answer).
            assert_eq!(block_on(apply_notice(&db, &notice(&o, "evt_1", &outcome), NOW + 1)).unwrap(), Applied::Paid);
            let n = PaymentNotice { payment_id: &second, ..notice(&o, "evt_2", &outcome) };
            assert_eq!(block_on(apply_notice(&db, &n, NOW + 2)).unwrap(), Applied::PaidTwice);
            assert_eq!(count(&db, &format!("order_events WHERE order_id = '{}' AND to_status = 'paid'", o.id)), 1);
            assert_eq!(count(&db, &format!("payments WHERE order_id = '{}' AND status = 'succeeded'", o.id)), 2);
        }
    }

    mod stale_pages {
        use super::*;
        use crate::app::orders::fixtures;
        use crate::app::testing::{block_on, Sqlite};

        struct Closer {
            asked: std::cell::RefCell<Vec<String>>,
            reachable: bool,
        }

        impl PageCloser for Closer {
            fn providers(&self) -> &[&'static str] {
                &["stripe"]
            }
            async fn close(&self, payment: &PaymentRow) -> bool {
                self.asked.borrow_mut().push(payment.id.clone());
                self.reachable
            }
        }

        #[test]
        fn the_page_of_an_expired_orders_attempt_is_closed_once_and_the_attempt_cancelled() {
            let db = Sqlite::demo();
            let variant = fixtures::free_variant(&db, 1, 0);
            let order = fixtures::place_order(&db, 71, variant, 1, "stripe", 1_000, 1_900);
            db.exec(&format!("UPDATE payments SET external_id = 'cs_test_71' WHERE id = '{}'", order.payment_id));
            let live = Closer { asked: Default::default(), reachable: true };
            assert_eq!(block_on(close_stale_attempts(&db, &live, 1_500)).unwrap(), 0, "a payable order's page stays open");
            assert!(live.asked.borrow().is_empty());
            block_on(db.batch(&stock::expire_order(&order.id, 2_000, "sweep"))).unwrap();
            let down = Closer { asked: Default::default(), reachable: false };
            assert_eq!(block_on(close_stale_attempts(&db, &down, 2_000)).unwrap(), 0, "an unreachable provider leaves the attempt for the next pass");
            assert_eq!(db.text(&format!("SELECT status FROM payments WHERE id = '{}'", order.payment_id)), "pending");
            assert_eq!(block_on(close_stale_attempts(&db, &live, 2_001)).unwrap(), 1);
            assert_eq!(db.text(&format!("SELECT status FROM payments WHERE id = '{}'", order.payment_id)), "cancelled");
            assert_eq!(block_on(close_stale_attempts(&db, &live, 2_002)).unwrap(), 0, "a second pass finds nothing to close");
            assert_eq!(live.asked.borrow().len(), 1);
        }

        /// Stripe may deliver `checkout.session.expired` while the expire call is still answering:
        /// the webhook records the cancellation first, and the pass still counts the page it closed.
        struct AnnouncingCloser<'a>(&'a Sqlite);

        impl PageCloser for AnnouncingCloser<'_> {
            fn providers(&self) -> &[&'static str] {
                &["stripe"]
            }
            async fn close(&self, payment: &PaymentRow) -> bool {
                self.0.exec(&format!("UPDATE payments SET status = 'cancelled' WHERE id = '{}'", payment.id));
                true
            }
        }

        #[test]
        fn a_page_whose_closing_the_provider_announced_first_still_counts_once() {
            let db = Sqlite::demo();
            let variant = fixtures::free_variant(&db, 1, 0);
            let order = fixtures::place_order(&db, 72, variant, 1, "stripe", 1_000, 1_900);
            db.exec(&format!("UPDATE payments SET external_id = 'cs_test_72' WHERE id = '{}'", order.payment_id));
            block_on(db.batch(&stock::expire_order(&order.id, 2_000, "sweep"))).unwrap();
            assert_eq!(block_on(close_stale_attempts(&db, &AnnouncingCloser(&db), 2_001)).unwrap(), 1);
            assert_eq!(db.text(&format!("SELECT status FROM payments WHERE id = '{}'", order.payment_id)), "cancelled");
            assert_eq!(block_on(close_stale_attempts(&db, &AnnouncingCloser(&db), 2_002)).unwrap(), 0);
        }
    }
}
