//! Bank transfers with VietQR: what a bank feed's transaction does ([`receive_transfer`]), and what a
//! manager does with the ones that wait in the reconciliation queue ("chờ đối soát"):
//! [`match_transaction`] (this transfer paid that order) and [`mark_paid`] (an order paid by hand).
//!
//! A transaction is claimed first by inserting it under the feed's own id (the primary key): a
//! redelivery, or a second delivery at the same moment, finds it there and has no effect. The
//! claimed transaction is then matched by memo (`domain::payments::bank`): the order whose memo is
//! in the content, with a bank-transfer attempt still waiting, and the exact amount, is paid through
//! [`apply_notice`] — the gated statements every provider's notice goes through — with the
//! transaction id as the event id. Anything else is kept for a manager with the reason.

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::orders::{payment_by_id_sql, PaymentRow};
use super::payments::{apply_notice, Applied, NoticeError, PaymentNotice};
use super::sql::{Sql, SqlValue};
use crate::domain::money::Vnd;
use crate::domain::orders::OrderStatus;
use crate::domain::payments::bank::{candidate_numbers, check_amount, AmountCheck, ReviewReason, Transfer, PROVIDER};
use crate::domain::payments::{Outcome, PaymentStatus};

/// A transaction still `received` after this long was left half-done (the request died between the
/// claim and the decision): the feed's next delivery takes it over.
pub const STALE_CLAIM_SECONDS: i64 = 60;

/// What a feed's transaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// It paid its order (`Applied` says how: paid, revived after expiry, needs a refund…).
    Applied(Applied),
    /// It waits for a manager, for this reason.
    Queued(ReviewReason),
    /// This transaction was delivered before (or is being handled by a delivery right now).
    Duplicate,
    /// Money out of the account: nothing to do.
    Ignored,
}

fn opt(v: Option<&str>) -> SqlValue {
    v.map_or(SqlValue::Null, SqlValue::from)
}

fn claim_sql(t: &Transfer, raw: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO bank_transactions (id, gateway, account_number, amount, content, reference_code, transaction_date, raw, status, received_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?) ON CONFLICT(id) DO NOTHING",
    )
    .bind(t.id.as_str())
    .bind(t.gateway.as_str())
    .bind(t.account_number.as_str())
    .bind(t.amount)
    .bind(t.content.as_str())
    .bind(opt(t.reference_code.as_deref()))
    .bind(opt(t.transaction_date.as_deref()))
    .bind(raw)
    .bind(now)
}

/// Takes over a claim left `received` for longer than [`STALE_CLAIM_SECONDS`] (gated: one taker).
fn take_over_sql(id: &str, now: i64) -> Sql {
    Sql::new("UPDATE bank_transactions SET received_at = ?1 WHERE id = ?2 AND status = 'received' AND received_at <= ?3")
        .bind(now)
        .bind(id)
        .bind(now - STALE_CLAIM_SECONDS)
}

fn settle_sql(id: &str, status: &str, reason: Option<ReviewReason>, order_id: Option<&str>, outcome: Option<&str>) -> Sql {
    Sql::new("UPDATE bank_transactions SET status = ?, reason = ?, order_id = ?, outcome = ? WHERE id = ? AND status = 'received'")
        .bind(status)
        .bind(opt(reason.map(ReviewReason::code)))
        .bind(opt(order_id))
        .bind(opt(outcome))
        .bind(id)
}

/// An order a transfer's content may name, with its latest bank-transfer attempt (if any).
#[derive(Clone, Debug, Deserialize)]
struct Candidate {
    order_id: String,
    status: OrderStatus,
    payment_id: Option<String>,
}

fn candidates_sql(numbers: &[String]) -> Sql {
    let marks = vec!["?"; numbers.len()].join(", ");
    let mut sql = Sql::new(format!(
        "SELECT o.id AS order_id, o.status, \
         (SELECT p.id FROM payments p WHERE p.order_id = o.id AND p.provider = '{PROVIDER}' ORDER BY p.created_at DESC, p.rowid DESC LIMIT 1) AS payment_id \
         FROM orders o WHERE o.number IN ({marks})"
    ));
    for n in numbers {
        sql = sql.bind(n.as_str());
    }
    sql
}

/// Stores a transaction of the bank feed and applies it once: see the module's documentation.
pub async fn receive_transfer(db: &impl Db, t: &Transfer, raw: &str, now: i64) -> Result<Received, NoticeError> {
    if !t.incoming {
        return Ok(Received::Ignored);
    }
    if db.run(&claim_sql(t, raw, now)).await? == 0 && db.run(&take_over_sql(&t.id, now)).await? == 0 {
        return Ok(Received::Duplicate);
    }
    let numbers = candidate_numbers(&t.content);
    let found: Vec<Candidate> = if numbers.is_empty() { Vec::new() } else { db.all(&candidates_sql(&numbers)).await? };
    let queue = async |reason: ReviewReason, order_id: Option<&str>| -> Result<Received, NoticeError> {
        db.run(&settle_sql(&t.id, "review", Some(reason), order_id, None)).await?;
        Ok(Received::Queued(reason))
    };
    let order = match found.as_slice() {
        [] => return queue(ReviewReason::UnknownMemo, None).await,
        [one] => one,
        _ => return queue(ReviewReason::Ambiguous, None).await,
    };
    let awaiting = matches!(order.status, OrderStatus::PendingPayment | OrderStatus::Expired | OrderStatus::Cancelled);
    let payment: Option<PaymentRow> = match (&order.payment_id, awaiting) {
        (Some(id), true) => db.first(&payment_by_id_sql(id)).await?,
        _ => None,
    };
    let Some(payment) = payment.filter(|p| p.status != PaymentStatus::Succeeded) else {
        return queue(ReviewReason::NotAwaitingTransfer, Some(&order.order_id)).await;
    };
    match check_amount(t.amount, payment.amount.minor()) {
        AmountCheck::Under => return queue(ReviewReason::Underpaid, Some(&order.order_id)).await,
        AmountCheck::Over => return queue(ReviewReason::Overpaid, Some(&order.order_id)).await,
        AmountCheck::Exact => {}
    }
    let outcome = Outcome::Paid { charge_id: Some(t.id.clone()) };
    let notice = PaymentNotice {
        provider: PROVIDER,
        event_id: &t.id,
        payment_id: &payment.id,
        order_id: Some(&order.order_id),
        amount: t.amount,
        currency: "VND",
        outcome: &outcome,
        external_id: None,
        raw,
    };
    let applied = apply_notice(db, &notice, now).await?;
    if applied == Applied::PaidTwice {
        // The order was paid another way meanwhile: this money goes back, by hand.
        return queue(ReviewReason::NotAwaitingTransfer, Some(&order.order_id)).await;
    }
    db.run(&settle_sql(&t.id, "applied", None, Some(&order.order_id), Some(&format!("{applied:?}").to_lowercase()))).await?;
    Ok(Received::Applied(applied))
}

// ---------------------------------------------------------------------------------------------
// The reconciliation queue
// ---------------------------------------------------------------------------------------------

/// A transaction as the admin's queue shows it.
#[derive(Clone, Debug, Deserialize)]
pub struct QueuedTransfer {
    pub id: String,
    pub gateway: String,
    pub amount: Vnd,
    pub content: String,
    pub reference_code: Option<String>,
    pub transaction_date: Option<String>,
    pub reason: Option<String>,
    pub received_at: i64,
    /// The order the content named, if any, with its number and total.
    pub order_number: Option<String>,
    pub order_total: Option<Vnd>,
}

/// The transactions waiting for a manager, oldest first.
pub fn queue_sql(limit: i64) -> Sql {
    Sql::new(
        "SELECT t.id, t.gateway, t.amount, t.content, t.reference_code, t.transaction_date, t.reason, t.received_at, \
         o.number AS order_number, o.total AS order_total \
         FROM bank_transactions t LEFT JOIN orders o ON o.id = t.order_id WHERE t.status = 'review' ORDER BY t.received_at, t.id LIMIT ?",
    )
    .bind(limit)
}

/// Why a manager's action was refused.
#[derive(Debug)]
pub enum ManualError {
    /// No transaction waiting under that id.
    NoSuchTransaction,
    /// No order with that number.
    NoSuchOrder,
    /// The order is past payment (already paid, shipped…): nothing to mark.
    NotPayable,
    Db(DbError),
}

impl From<DbError> for ManualError {
    fn from(e: DbError) -> Self {
        ManualError::Db(e)
    }
}

impl From<NoticeError> for ManualError {
    fn from(e: NoticeError) -> Self {
        match e {
            NoticeError::Db(e) => ManualError::Db(e),
            NoticeError::Unknown => ManualError::NoSuchOrder,
            other => ManualError::Db(DbError::Failed(other.to_string())),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct PayableOrder {
    id: String,
    number: String,
    status: OrderStatus,
    total: Vnd,
}

fn order_by_number_sql(number: &str) -> Sql {
    Sql::new("SELECT id, number, status, total FROM orders WHERE number = ?").bind(number.trim().to_uppercase())
}

/// Pays `order` by a manager's decision, through the same gated statements as a provider's notice:
/// with its latest bank-transfer attempt, or a new one for the order's total (`new_payment_id`).
/// `event_id` makes the decision once.
async fn pay_by_hand(db: &impl Db, order: &PayableOrder, new_payment_id: &str, event_id: &str, raw: &str, now: i64) -> Result<Applied, ManualError> {
    if !matches!(order.status, OrderStatus::PendingPayment | OrderStatus::Expired | OrderStatus::Cancelled) {
        return Err(ManualError::NotPayable);
    }
    let latest = Sql::new(format!(
        "SELECT {} FROM payments WHERE order_id = ? AND provider = '{PROVIDER}' AND status <> 'succeeded' ORDER BY created_at DESC, rowid DESC LIMIT 1",
        super::orders::PAYMENT_COLUMNS
    ))
    .bind(order.id.as_str());
    let payment = match db.first::<PaymentRow>(&latest).await? {
        Some(p) => p,
        None => {
            db.run(
                &Sql::new(
                    "INSERT INTO payments (id, order_id, provider, amount, currency, status, created_at, updated_at) \
                     SELECT ?1, id, ?2, total, currency, 'pending', ?3, ?3 FROM orders WHERE id = ?4",
                )
                .bind(new_payment_id)
                .bind(PROVIDER)
                .bind(now)
                .bind(order.id.as_str()),
            )
            .await?;
            db.first::<PaymentRow>(&payment_by_id_sql(new_payment_id)).await?.ok_or(ManualError::NoSuchOrder)?
        }
    };
    let outcome = Outcome::Paid { charge_id: None };
    let notice = PaymentNotice {
        provider: PROVIDER,
        event_id,
        payment_id: &payment.id,
        order_id: Some(&order.id),
        amount: payment.amount.minor(),
        currency: "VND",
        outcome: &outcome,
        external_id: None,
        raw,
    };
    Ok(apply_notice(db, &notice, now).await?)
}

/// A manager matches a waiting transaction to an order: the order is paid (whatever the amount: the
/// manager has settled the difference with the shopper), the transaction resolved, the audit log
/// keeps who did it. Matching it again changes nothing.
pub async fn match_transaction(db: &impl Db, actor: &Actor<'_>, tx_id: &str, order_number: &str, new_payment_id: &str, now: i64) -> Result<Applied, ManualError> {
    let tx: Option<QueuedTransfer> = db
        .first(&Sql::new(
            "SELECT t.id, t.gateway, t.amount, t.content, t.reference_code, t.transaction_date, t.reason, t.received_at, NULL AS order_number, NULL AS order_total \
             FROM bank_transactions t WHERE t.id = ? AND t.status = 'review'",
        ).bind(tx_id))
        .await?;
    let tx = tx.ok_or(ManualError::NoSuchTransaction)?;
    let order: PayableOrder = db.first(&order_by_number_sql(order_number)).await?.ok_or(ManualError::NoSuchOrder)?;
    let raw = json!({"matched_by": actor.email, "transaction": tx.id, "amount": tx.amount}).to_string();
    let applied = pay_by_hand(db, &order, new_payment_id, &format!("manual:{}", tx.id), &raw, now).await?;
    let before = json!({"status": "review", "reason": tx.reason});
    let after = json!({"status": "resolved", "order": order.number, "amount": tx.amount, "order_total": order.total, "outcome": format!("{applied:?}").to_lowercase()});
    db.batch(&[
        Sql::new("UPDATE bank_transactions SET status = 'resolved', order_id = ?, outcome = ?, resolved_at = ?, resolved_by = ? WHERE id = ? AND status = 'review'")
            .bind(order.id.as_str())
            .bind(format!("{applied:?}").to_lowercase())
            .bind(now)
            .bind(actor.email)
            .bind(tx.id.as_str()),
        audit_sql(actor, "bank_transfer.match", "bank_transaction", &tx.id, Some(&before), Some(&after), now),
    ])
    .await?;
    Ok(applied)
}

/// A manager marks an order paid by hand (a transfer the feed never saw, a payment at the counter).
pub async fn mark_paid(db: &impl Db, actor: &Actor<'_>, order_number: &str, new_payment_id: &str, now: i64) -> Result<Applied, ManualError> {
    let order: PayableOrder = db.first(&order_by_number_sql(order_number)).await?.ok_or(ManualError::NoSuchOrder)?;
    let raw = json!({"marked_paid_by": actor.email}).to_string();
    let applied = pay_by_hand(db, &order, new_payment_id, &format!("manual:order:{}", order.id), &raw, now).await?;
    let after = json!({"order": order.number, "total": order.total, "outcome": format!("{applied:?}").to_lowercase()});
    db.batch(&[
        Sql::new("UPDATE orders SET updated_at = ? WHERE id = ?").bind(now).bind(order.id.as_str()),
        audit_sql(actor, "bank_transfer.mark_paid", "order", &order.id, Some(&json!({"status": order.status})), Some(&after), now),
    ])
    .await?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order, stock, Placed};
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_000_000;

    fn bank_order(db: &Sqlite, seed: u32) -> (Placed, String) {
        let v = free_variant(db, 1, i64::from(seed));
        let o = place_order(db, seed, v, 1, PROVIDER, NOW - 60, NOW + 7200);
        let number = db.text(&format!("SELECT number FROM orders WHERE id = '{}'", o.id));
        (o, number)
    }

    fn transfer(id: &str, amount: i64, content: &str) -> Transfer {
        Transfer {
            id: id.into(),
            gateway: "Vietcombank".into(),
            account_number: "0071000123456".into(),
            amount,
            content: content.into(),
            reference_code: Some("FT1".into()),
            transaction_date: Some("2026-12-07 14:02:37".into()),
            incoming: true,
        }
    }

    fn memo(number: &str) -> String {
        number.replace('-', "")
    }

    fn order_status(db: &Sqlite, o: &Placed) -> String {
        db.text(&format!("SELECT status FROM orders WHERE id = '{}'", o.id))
    }

    fn tx(db: &Sqlite, id: &str) -> (String, String) {
        (db.text(&format!("SELECT status FROM bank_transactions WHERE id = '{id}'")), db.text(&format!("SELECT COALESCE(reason, '') FROM bank_transactions WHERE id = '{id}'")))
    }

    fn total(db: &Sqlite, o: &Placed) -> i64 {
        db.int(&format!("SELECT total FROM orders WHERE id = '{}'", o.id))
    }

    #[test]
    fn an_exact_transfer_with_the_memo_in_its_content_pays_the_order() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 1);
        let (on_hand, _) = stock(&db, o.variant_id);
        let content = format!("MBVCB.3278907687.{} chuyen tien", memo(&number).to_lowercase());
        let t = transfer("92704", total(&db, &o), &content);
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW)).unwrap(), Received::Applied(Applied::Paid));
        assert_eq!(order_status(&db, &o), "paid");
        assert_eq!(stock(&db, o.variant_id).0, on_hand - 1);
        assert_eq!(tx(&db, "92704").0, "applied");
        assert_eq!(db.text(&format!("SELECT charge_id FROM payments WHERE id = '{}'", o.payment_id)), "92704");
    }

    #[test]
    fn a_memo_with_spaces_in_it_still_matches() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 2);
        let digits = number.trim_start_matches("VS-");
        let content = format!("vs {} {}", &digits[..3], &digits[3..]);
        assert_eq!(block_on(receive_transfer(&db, &transfer("t2", total(&db, &o), &content), "{}", NOW)).unwrap(), Received::Applied(Applied::Paid));
    }

    #[test]
    fn an_under_or_over_payment_waits_for_a_manager_and_changes_nothing() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 3);
        let due = total(&db, &o);
        let before = stock(&db, o.variant_id);
        let under = block_on(receive_transfer(&db, &transfer("u1", due - 1000, &memo(&number)), "{}", NOW)).unwrap();
        let over = block_on(receive_transfer(&db, &transfer("o1", due + 1000, &memo(&number)), "{}", NOW)).unwrap();
        assert_eq!((under, over), (Received::Queued(ReviewReason::Underpaid), Received::Queued(ReviewReason::Overpaid)));
        assert_eq!(order_status(&db, &o), "pending_payment");
        assert_eq!(stock(&db, o.variant_id), before);
        assert_eq!(tx(&db, "u1"), ("review".into(), "underpaid".into()));
        assert_eq!(tx(&db, "o1"), ("review".into(), "overpaid".into()));
        assert_eq!(db.int("SELECT COUNT(*) FROM payment_events"), 0);
        let queued: Vec<QueuedTransfer> = block_on(db.all(&queue_sql(50))).unwrap();
        assert_eq!(queued.iter().map(|q| q.order_number.clone()).collect::<Vec<_>>(), [Some(number.clone()), Some(number)]);
    }

    #[test]
    fn a_memo_matching_no_order_waits_for_a_manager() {
        let db = Sqlite::demo();
        for (id, content) in [("n1", "chuyen tien hang"), ("n2", "VS999999 thanh toan")] {
            assert_eq!(block_on(receive_transfer(&db, &transfer(id, 100_000, content), "{}", NOW)).unwrap(), Received::Queued(ReviewReason::UnknownMemo));
            assert_eq!(tx(&db, id), ("review".into(), "unknown_memo".into()));
        }
    }

    #[test]
    fn the_memos_of_two_orders_in_one_content_wait_for_a_manager() {
        let db = Sqlite::demo();
        let (a, na) = bank_order(&db, 4);
        let (_, nb) = bank_order(&db, 5);
        let t = transfer("m1", total(&db, &a), &format!("{} {}", memo(&na), memo(&nb)));
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW)).unwrap(), Received::Queued(ReviewReason::Ambiguous));
        assert_eq!(order_status(&db, &a), "pending_payment");
    }

    #[test]
    fn an_order_paid_another_way_does_not_take_a_transfer() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 6);
        let o = place_order(&db, 6, v, 1, "sandbox", NOW - 60, NOW + 900);
        let number = db.text(&format!("SELECT number FROM orders WHERE id = '{}'", o.id));
        let t = transfer("s1", total(&db, &o), &memo(&number));
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW)).unwrap(), Received::Queued(ReviewReason::NotAwaitingTransfer));
        assert_eq!(order_status(&db, &o), "pending_payment");
    }

    #[test]
    fn a_duplicate_transaction_id_has_no_second_effect() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 7);
        let (on_hand, _) = stock(&db, o.variant_id);
        let t = transfer("d1", total(&db, &o), &memo(&number));
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW)).unwrap(), Received::Applied(Applied::Paid));
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW + 5)).unwrap(), Received::Duplicate);
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW + 3600)).unwrap(), Received::Duplicate, "a settled one is never taken over");
        let queued = transfer("d2", 1, "no memo");
        assert_eq!(block_on(receive_transfer(&db, &queued, "{}", NOW)).unwrap(), Received::Queued(ReviewReason::UnknownMemo));
        assert_eq!(block_on(receive_transfer(&db, &queued, "{}", NOW + 1)).unwrap(), Received::Duplicate);
        assert_eq!(stock(&db, o.variant_id).0, on_hand - 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM bank_transactions"), 2);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = '{}' AND to_status = 'paid'", o.id)), 1);
    }

    #[test]
    fn two_deliveries_of_one_transaction_at_the_same_moment_have_one_effect() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 8);
        let (on_hand, _) = stock(&db, o.variant_id);
        let t = transfer("c1", total(&db, &o), &memo(&number));
        let (a, b) = block_on(async { futures::join!(receive_transfer(&db, &t, "{}", NOW), receive_transfer(&db, &t, "{}", NOW)) });
        let mut answers = [a.unwrap(), b.unwrap()];
        answers.sort_by_key(|a| format!("{a:?}"));
        assert_eq!(answers, [Received::Applied(Applied::Paid), Received::Duplicate]);
        assert_eq!(stock(&db, o.variant_id).0, on_hand - 1);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = '{}' AND to_status = 'paid'", o.id)), 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM payment_events WHERE provider = 'bank'"), 1);
    }

    #[test]
    fn a_claim_left_half_done_is_taken_over_by_a_later_delivery_once() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 9);
        let t = transfer("h1", total(&db, &o), &memo(&number));
        block_on(db.run(&claim_sql(&t, "{}", NOW))).unwrap();
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW + 10)).unwrap(), Received::Duplicate, "maybe still in flight");
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW + STALE_CLAIM_SECONDS)).unwrap(), Received::Applied(Applied::Paid));
        assert_eq!(order_status(&db, &o), "paid");
    }

    #[test]
    fn a_late_exact_transfer_revives_an_expired_order() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 10);
        block_on(db.batch(&crate::app::stock::expire_order(&o.id, NOW + 7200, "sweep"))).unwrap();
        assert_eq!(order_status(&db, &o), "expired");
        let t = transfer("l1", total(&db, &o), &memo(&number));
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW + 7300)).unwrap(), Received::Applied(Applied::Revived));
        assert_eq!(order_status(&db, &o), "paid");
    }

    #[test]
    fn money_out_is_ignored() {
        let db = Sqlite::demo();
        let t = Transfer { incoming: false, ..transfer("x1", 5000, "VS000001") };
        assert_eq!(block_on(receive_transfer(&db, &t, "{}", NOW)).unwrap(), Received::Ignored);
        assert_eq!(db.int("SELECT COUNT(*) FROM bank_transactions"), 0);
    }

    fn manager() -> Actor<'static> {
        Actor { id: "adm1", email: "manager@vestify.vn", ip: "127.0.0.1" }
    }

    #[test]
    fn a_manager_matches_a_queued_underpayment_to_its_order_once_and_it_is_audited() {
        let db = Sqlite::demo();
        let (o, number) = bank_order(&db, 11);
        let t = transfer("q1", total(&db, &o) - 1000, &memo(&number));
        block_on(receive_transfer(&db, &t, "{}", NOW)).unwrap();
        let applied = block_on(match_transaction(&db, &manager(), "q1", &number.to_lowercase(), "pay-new-1", NOW + 60)).unwrap();
        assert_eq!(applied, Applied::Paid);
        assert_eq!(order_status(&db, &o), "paid");
        assert_eq!(tx(&db, "q1").0, "resolved");
        assert_eq!(db.text("SELECT resolved_by FROM bank_transactions WHERE id = 'q1'"), "manager@vestify.vn");
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'bank_transfer.match' AND entity_id = 'q1'"), 1);
        assert!(matches!(block_on(match_transaction(&db, &manager(), "q1", &number, "pay-new-2", NOW + 61)), Err(ManualError::NoSuchTransaction)));
        assert!(block_on(db.all::<QueuedTransfer>(&queue_sql(50))).unwrap().is_empty());
    }

    #[test]
    fn matching_to_an_unknown_or_paid_order_is_refused() {
        let db = Sqlite::demo();
        block_on(receive_transfer(&db, &transfer("q2", 5000, "tien hang"), "{}", NOW)).unwrap();
        assert!(matches!(block_on(match_transaction(&db, &manager(), "q2", "VS-999999", "p", NOW)), Err(ManualError::NoSuchOrder)));
        let (o, number) = bank_order(&db, 12);
        block_on(receive_transfer(&db, &transfer("q3", total(&db, &o), &memo(&number)), "{}", NOW)).unwrap();
        assert!(matches!(block_on(match_transaction(&db, &manager(), "q2", &number, "p", NOW)), Err(ManualError::NotPayable)));
        assert_eq!(tx(&db, "q2").0, "review", "still waiting");
    }

    #[test]
    fn a_manager_marks_an_order_of_another_method_paid_by_hand_once() {
        let db = Sqlite::demo();
        let v = free_variant(&db, 1, 13);
        let o = place_order(&db, 13, v, 1, "sandbox", NOW - 60, NOW + 900);
        let number = db.text(&format!("SELECT number FROM orders WHERE id = '{}'", o.id));
        assert_eq!(block_on(mark_paid(&db, &manager(), &number, "pay-hand-1", NOW)).unwrap(), Applied::Paid);
        assert_eq!(order_status(&db, &o), "paid");
        assert_eq!(db.text("SELECT provider FROM payments WHERE id = 'pay-hand-1'"), "bank");
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'bank_transfer.mark_paid'"), 1);
        assert!(matches!(block_on(mark_paid(&db, &manager(), &number, "pay-hand-2", NOW + 1)), Err(ManualError::NotPayable)));
    }
}
