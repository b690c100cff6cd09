//! Cash on delivery ("Thanh toán khi nhận hàng"): the order is confirmed when placed (its stock sold
//! at once, no payment deadline), its payment status is `cod_pending` until the shop records the
//! cash as collected (`paid`); cancelled before shipping or returned by the carrier ("hoàn hàng"),
//! its units come back once. The carrier's COD statement (CSV) is checked in a dry run, then
//! applied to the orders that match.
//!
//! Every move is one batch gated on the state it moves from (the same conditions as
//! `domain::orders::OrderState::apply`), its last order statement flipping that state, so a repeat
//! (a double click, a re-imported statement) changes nothing.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::admin_orders::{paid_event_sql, with_audit};
use super::db::{Db, DbError};
use super::sql::{Sql, SqlValue};
use super::stock::{count_sold, order_move, ORDER_QTY, PENDING_RESERVED};
use crate::domain::csv;
use crate::domain::money::Vnd;
use crate::domain::orders::{FulfillmentStatus, OrderStatus, PaymentState, StockState};
use crate::domain::signature::sha256_hex;

/// An open COD order: cash not collected and the parcel not delivered, returned or cancelled. The
/// abuse guard counts these per phone and per client address.
const OPEN_COD: &str = "x.payment_status = 'cod_pending' AND x.fulfillment_status IN ('unfulfilled', 'shipped') AND x.status IN ('confirmed', 'fulfilled')";

/// The gate of confirming: the order just placed, unpaid and holding its units, paid by COD.
fn placed_cod() -> String {
    format!("{PENDING_RESERVED} AND o.payment_provider = 'cod' AND o.payment_status = 'pending'")
}
/// The gate of cancelling: confirmed, not shipped, cash not collected, stock sold.
const CANCELLABLE: &str = "o.status = 'confirmed' AND o.payment_status = 'cod_pending' AND o.fulfillment_status = 'unfulfilled' AND o.stock_state = 'committed'";
/// The gate of a return: shipped, cash not collected, stock sold.
const RETURNABLE: &str = "o.status = 'fulfilled' AND o.payment_status = 'cod_pending' AND o.fulfillment_status = 'shipped' AND o.stock_state = 'committed'";
/// The gate of collecting: cash expected, the order not closed.
const COLLECTABLE: &str = "o.payment_status = 'cod_pending' AND o.status IN ('confirmed', 'fulfilled', 'delivered')";

/// What the order keeps of the client address it came from (the open-COD limit per client).
pub fn client_hash(ip: &str) -> String {
    sha256_hex(format!("cod-client:{ip}").as_bytes())
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct OpenCod {
    pub by_phone: i64,
    pub by_client: i64,
}

/// How many open COD orders a phone and a client address have.
pub fn open_cod_sql(phone: &str, client: Option<&str>) -> Sql {
    Sql::new(format!(
        "SELECT (SELECT COUNT(*) FROM orders x WHERE x.phone = ?1 AND {OPEN_COD}) AS by_phone, \
         (SELECT COUNT(*) FROM orders x WHERE ?2 IS NOT NULL AND x.client_hash = ?2 AND {OPEN_COD}) AS by_client"
    ))
    .bind(phone)
    .bind(client.map_or(SqlValue::Null, SqlValue::from))
}

/// Appended to the checkout batch of a COD order: confirms it at once, sells its units (the same
/// gated statements as a paid order), and — the guard that holds under concurrent checkouts —
/// breaks the batch (the total's CHECK) if the phone or client now has more than `limit` open COD
/// orders, this one included.
pub fn confirm_cod_order(order_id: &str, client: Option<&str>, limit: i64, now: i64) -> Vec<Sql> {
    let gate = placed_cod();
    let mut batch = vec![count_sold(order_id, &gate)];
    batch.extend(order_move(
        order_id,
        &gate,
        Some(format!("on_hand = on_hand - {ORDER_QTY}, reserved = reserved - {ORDER_QTY}")),
        OrderStatus::Confirmed,
        StockState::Committed,
        "shopper",
        "cash on delivery: confirmed",
        now,
        ", payment_status = 'cod_pending', client_hash = ?5",
    ));
    if let Some(flip) = batch.pop() {
        batch.push(flip.bind(client.map_or(SqlValue::Null, SqlValue::from)));
    }
    batch.push(
        Sql::new(format!(
            "UPDATE orders SET total = -1 WHERE id = ?1 AND ( \
             (SELECT COUNT(*) FROM orders x WHERE x.phone = orders.phone AND {OPEN_COD}) > ?2 \
             OR (orders.client_hash IS NOT NULL AND (SELECT COUNT(*) FROM orders x WHERE x.client_hash = orders.client_hash AND {OPEN_COD}) > ?2))"
        ))
        .bind(order_id)
        .bind(limit),
    );
    batch
}

/// Off the best-selling count, the COD payment row cancelled, gated (the units themselves come back
/// in the order move).
fn restock(order_id: &str, gate: &str, now: i64) -> Vec<Sql> {
    vec![
        Sql::new(format!(
            "UPDATE products SET sold_count = MAX(0, sold_count - \
             (SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = ?1 AND l.product_id = products.id)) \
             WHERE id IN (SELECT l.product_id FROM order_lines l WHERE l.order_id = ?1) \
             AND EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {gate})"
        ))
        .bind(order_id),
        Sql::new(format!(
            "UPDATE payments SET status = 'cancelled', updated_at = ?2 WHERE order_id = ?1 AND provider = 'cod' AND status = 'pending' \
             AND EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {gate})"
        ))
        .bind(order_id)
        .bind(now),
    ]
}

fn closing_move(order_id: &str, gate: &str, to: OrderStatus, actor: &str, reason: &str, now: i64, set: &str) -> Vec<Sql> {
    let mut batch = restock(order_id, gate, now);
    batch.extend(order_move(order_id, gate, Some(format!("on_hand = on_hand + {ORDER_QTY}")), to, StockState::Released, actor, reason, now, set));
    super::promotions::before_flip(&mut batch, super::promotions::give_back(order_id, gate, now));
    batch
}

/// Cancels a COD order before it ships: its units come back once, its coupon uses too.
pub fn cancel_cod_order(order_id: &str, actor: &str, reason: &str, now: i64) -> Vec<Sql> {
    closing_move(order_id, CANCELLABLE, OrderStatus::Cancelled, actor, reason, now, ", payment_status = 'voided'")
}

/// The cancel that fits the order: a COD order not shipped gives back sold units, an unpaid one its
/// held units; anything else is left alone by the batch's gate.
pub fn cancel_batch(order: &super::orders::OrderRow, actor: &str, reason: &str, now: i64) -> Vec<Sql> {
    if order.status == OrderStatus::Confirmed {
        cancel_cod_order(&order.id, actor, reason, now)
    } else {
        super::stock::cancel_unpaid_order(&order.id, now, actor, reason)
    }
}

/// The shop confirms a COD parcel came back ("hoàn hàng"): recorded `returned`, its units back once.
pub fn return_cod_order(order_id: &str, actor: &str, now: i64) -> Vec<Sql> {
    closing_move(order_id, RETURNABLE, OrderStatus::Returned, actor, "parcel returned to the shop", now, ", payment_status = 'voided', fulfillment_status = 'returned'")
}

/// The cash of a COD order is collected: payment `paid` (the headline status stays), the payment
/// row settled, with what the carrier reported (`collected`, `fee`) when it comes from a statement.
pub fn collect_cod(order_id: &str, reported: Option<(Vnd, Vnd)>, actor: &str, now: i64) -> Vec<Sql> {
    let gated = format!("EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {COLLECTABLE})");
    let (collected, fee) = reported.map_or((SqlValue::Null, SqlValue::Null), |(c, f)| (c.into(), f.into()));
    vec![
        Sql::new(format!(
            "INSERT INTO order_events (order_id, at, from_status, to_status, actor, reason) \
             SELECT o.id, ?2, o.status, o.status, ?3, 'cash on delivery collected' FROM orders o WHERE o.id = ?1 AND {COLLECTABLE}"
        ))
        .bind(order_id)
        .bind(now)
        .bind(actor),
        Sql::new(format!("UPDATE payments SET status = 'succeeded', updated_at = ?2 WHERE order_id = ?1 AND provider = 'cod' AND status = 'pending' AND {gated}"))
            .bind(order_id)
            .bind(now),
        Sql::new(format!(
            "UPDATE orders SET payment_status = 'paid', paid_at = ?2, cod_collected = COALESCE(?3, total), cod_fee = ?4, updated_at = ?2 \
             WHERE id = ?1 AND {gated}"
        ))
        .bind(order_id)
        .bind(now)
        .bind(collected)
        .bind(fee),
    ]
}

/// The three statuses of one order, as the admin moves check them after a batch.
#[derive(Clone, Debug, Deserialize)]
pub struct StateRow {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub payment_status: PaymentState,
    pub fulfillment_status: FulfillmentStatus,
    pub payment_provider: String,
    pub total: Vnd,
}

fn states_sql(column: &str, keys: &[String]) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT id, number, status, payment_status, fulfillment_status, payment_provider, total FROM orders WHERE {column} IN ({})",
        Sql::placeholders(keys.len().max(1))
    ));
    if keys.is_empty() {
        sql.params.push(SqlValue::Null);
    }
    sql.params.extend(keys.iter().map(|k| SqlValue::from(k.as_str())));
    sql
}

/// What marking orders collected did to each: collected now, or left as it was (already collected,
/// not a COD order, closed, unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collected {
    pub collected: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Marks the cash of these orders (ids) collected, each with its audit row, in one batch; a second
/// time changes nothing.
pub async fn mark_collected<D: Db>(db: &D, ids: &[String], actor: &Actor<'_>, label: &str, now: i64) -> Result<Collected, DbError> {
    let before: Vec<StateRow> = db.all(&states_sql("id", ids)).await?;
    let mut batch = Vec::new();
    for o in &before {
        let audit = audit_sql(actor, "order.collect", "order", &o.id, Some(&json!({"number": o.number, "payment_status": o.payment_status})), Some(&json!({"payment_status": PaymentState::Paid})), now);
        batch.extend(with_audit(collect_cod(&o.id, None, label, now), audit));
        batch.push(paid_event_sql(&o.id, now));
        batch.push(super::capi::purchase_sql(&o.id, now));
    }
    if !batch.is_empty() {
        db.batch(&batch).await?;
    }
    sorted(db, ids, &before).await
}

async fn sorted<D: Db>(db: &D, ids: &[String], before: &[StateRow]) -> Result<Collected, DbError> {
    let after: Vec<StateRow> = db.all(&states_sql("id", ids)).await?;
    let mut out = Collected { collected: Vec::new(), unchanged: Vec::new() };
    for id in ids {
        let was = before.iter().find(|o| &o.id == id).map(|o| o.payment_status);
        let now = after.iter().find(|o| &o.id == id).map(|o| o.payment_status);
        if was == Some(PaymentState::CodPending) && now == Some(PaymentState::Paid) {
            out.collected.push(id.clone());
        } else {
            out.unchanged.push(id.clone());
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The carrier's COD statement
// ---------------------------------------------------------------------------------------------

/// One line of a carrier's statement: the order number, the cash collected and the carrier's fee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub line: usize,
    pub number: String,
    pub collected: Vnd,
    pub fee: Vnd,
}

/// What the dry run found for a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Finding {
    /// A COD order awaiting its cash, for exactly its total: applying marks it collected.
    Match { order_id: String, total: Vnd },
    /// An order of that number whose amount or state does not agree: left for a person to check.
    Mismatch { order_id: String, total: Vnd, reason: MismatchReason },
    /// No order has that number.
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchReason {
    /// The cash collected differs from the order's total.
    Amount,
    /// Already collected.
    AlreadyCollected,
    /// Not a cash-on-delivery order, or one that was cancelled or returned.
    NotCod,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Review {
    pub lines: Vec<(StatementLine, Finding)>,
}

impl Review {
    pub fn count(&self, pick: fn(&Finding) -> bool) -> usize {
        self.lines.iter().filter(|(_, f)| pick(f)).count()
    }
}

/// Why a statement could not be read: the line and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementError {
    pub line: usize,
    pub message: String,
}

/// At most this many lines per statement (one D1 batch applies them).
pub const MAX_STATEMENT_LINES: usize = 500;

fn amount(s: &str) -> Option<Vnd> {
    let digits: String = s.trim().chars().filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}')).collect();
    let digits = digits.trim_end_matches('₫').trim_end_matches('đ').trim();
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && digits.len() <= 12).then(|| digits.parse().ok().map(Vnd::new)).flatten()
}

/// Reads a statement: a header naming the columns (`order_number`/`ma_don`, `collected`/`tien_thu`,
/// `fee`/`phi`, in any order), then one line per order. Amounts in đồng (`1.250.000` is read as
/// 1250000).
pub fn parse_statement(text: &str) -> Result<Vec<StatementLine>, StatementError> {
    let records = csv::parse(text).map_err(|e| StatementError { line: 0, message: e.to_string() })?;
    let mut records = records.into_iter();
    let header = records.next().ok_or(StatementError { line: 1, message: "the file is empty".into() })?;
    let find = |names: &[&str]| header.fields.iter().position(|f| names.contains(&f.trim().to_lowercase().as_str()));
    let (Some(n), Some(c), Some(f)) = (find(&["order_number", "number", "ma_don"]), find(&["collected", "amount", "tien_thu"]), find(&["fee", "phi"])) else {
        return Err(StatementError { line: header.line, message: "the header must name order_number, collected and fee".into() });
    };
    let mut lines = Vec::new();
    for r in records {
        let get = |i: usize| r.fields.get(i).map(|s| s.trim()).unwrap_or("");
        let number = get(n).to_uppercase();
        let valid = number.len() <= 20 && number.starts_with("VS-") && number[3..].chars().all(|c| c.is_ascii_digit()) && number.len() > 3;
        let (Some(collected), Some(fee)) = (amount(get(c)), amount(get(f))) else {
            return Err(StatementError { line: r.line, message: "collected and fee must be amounts in đồng".into() });
        };
        if !valid {
            return Err(StatementError { line: r.line, message: format!("“{}” is not an order number (VS-000123)", get(n)) });
        }
        lines.push(StatementLine { line: r.line, number, collected, fee });
        if lines.len() > MAX_STATEMENT_LINES {
            return Err(StatementError { line: r.line, message: format!("at most {MAX_STATEMENT_LINES} lines per statement") });
        }
    }
    Ok(lines)
}

fn finding(line: &StatementLine, order: Option<&StateRow>) -> Finding {
    let Some(o) = order else { return Finding::Unknown };
    let mismatch = |reason| Finding::Mismatch { order_id: o.id.clone(), total: o.total, reason };
    let closed = matches!(o.status, OrderStatus::Cancelled | OrderStatus::Returned | OrderStatus::Expired);
    if o.payment_provider != crate::domain::checkout::COD || closed {
        mismatch(MismatchReason::NotCod)
    } else if o.payment_status != PaymentState::CodPending {
        mismatch(MismatchReason::AlreadyCollected)
    } else if line.collected != o.total {
        mismatch(MismatchReason::Amount)
    } else {
        Finding::Match { order_id: o.id.clone(), total: o.total }
    }
}

/// The dry run: what applying the statement would do to each line, changing nothing.
pub async fn review_statement<D: Db>(db: &D, lines: Vec<StatementLine>) -> Result<Review, DbError> {
    let numbers: Vec<String> = lines.iter().map(|l| l.number.clone()).collect();
    let orders: Vec<StateRow> = db.all(&states_sql("number", &numbers)).await?;
    let lines = lines
        .into_iter()
        .map(|l| {
            let f = finding(&l, orders.iter().find(|o| o.number == l.number));
            (l, f)
        })
        .collect();
    Ok(Review { lines })
}

/// Applies a statement: the lines that match (checked again now, so a statement applied twice or
/// an order changed since the dry run is left alone) are marked collected with the carrier's
/// amount and fee, each with its audit row, in one batch. Answers the review as it was applied.
pub async fn apply_statement<D: Db>(db: &D, lines: Vec<StatementLine>, actor: &Actor<'_>, label: &str, now: i64) -> Result<(Review, Collected), DbError> {
    let review = review_statement(db, lines).await?;
    let mut batch = Vec::new();
    let mut ids = Vec::new();
    for (line, f) in &review.lines {
        if let Finding::Match { order_id, .. } = f {
            let after = json!({"payment_status": PaymentState::Paid, "cod_collected": line.collected, "cod_fee": line.fee, "statement_line": line.line});
            let audit = audit_sql(actor, "order.collect_statement", "order", order_id, Some(&json!({"number": line.number, "payment_status": PaymentState::CodPending})), Some(&after), now);
            batch.extend(with_audit(collect_cod(order_id, Some((line.collected, line.fee)), label, now), audit));
            batch.push(paid_event_sql(order_id, now));
            batch.push(super::capi::purchase_sql(order_id, now));
            ids.push(order_id.clone());
        }
    }
    let before: Vec<StateRow> = db.all(&states_sql("id", &ids)).await?;
    if !batch.is_empty() {
        db.batch(&batch).await?;
    }
    let collected = sorted(db, &ids, &before).await?;
    Ok((review, collected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::admin_orders::{deliver_order, fulfil_order};
    use crate::app::cart::fixtures::{request, Shop, NOW};
    use crate::app::cart::set_quantity;
    use crate::app::checkout::{place_order, CheckoutError, Placed, Submission};
    use crate::app::testing::block_on;
    use crate::domain::cart::Cart;
    use crate::domain::checkout::{CodRefusal, COD};
    use crate::domain::locale::Locale;

    const ACTOR: Actor<'static> = Actor { id: "adm1", email: "owner@vestify.vn", ip: "127.0.0.1" };

    fn cod_submission(key: &str, phone: &str, ip: &str) -> Submission {
        let mut request = request("an@example.vn");
        request.payment_provider = COD.into();
        if phone != "0912345678" {
            let mut form_phone = request.phone.clone();
            form_phone = crate::domain::checkout::Phone::parse(phone, "VN").unwrap_or(form_phone);
            request.phone = form_phone;
        }
        Submission { request, idempotency_key: key.into(), locale: Locale::Vi, account: None, client_ip: Some(ip.into()), expected_total: None, fingerprint: None }
    }

    fn checkout(shop: &Shop, cart_no: u64, variant: i64, quantity: i64, sub: &Submission) -> Result<Placed, CheckoutError> {
        let id = Shop::cart_id(cart_no);
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(&id, NOW), &mut cart, variant, quantity, true)).unwrap();
        let placed = block_on(place_order(&shop.at(&id, NOW + 1), &mut cart, sub));
        if placed.is_ok() && sub.request.payment_provider == COD {
            assert!(cart.pending_orders.is_empty(), "no payment deadline for the cart's alarm");
        }
        placed
    }

    fn cod_order(shop: &Shop, cart_no: u64, variant: i64, quantity: i64) -> String {
        checkout(shop, cart_no, variant, quantity, &cod_submission(&format!("k{cart_no}"), "0912345678", &format!("10.0.0.{cart_no}"))).unwrap().order.id
    }

    fn state(shop: &Shop, id: &str) -> (String, String, String, String) {
        let col = |c: &str| shop.db.text(&format!("SELECT {c} FROM orders WHERE id = '{id}'"));
        (col("status"), col("payment_status"), col("fulfillment_status"), col("stock_state"))
    }

    fn st(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
        (a.into(), b.into(), c.into(), d.into())
    }

    fn events(shop: &Shop, id: &str, to: &str) -> i64 {
        shop.db.int(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = '{id}' AND to_status = '{to}'"))
    }

    #[test]
    fn a_cod_order_is_confirmed_at_once_then_shipped_then_its_cash_collected_once() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = cod_order(&shop, 1, v, 2);
        assert_eq!(state(&shop, &id), st("confirmed", "cod_pending", "unfulfilled", "committed"));
        assert_eq!((shop.on_hand(v), shop.reserved(v)), (3, 0), "sold when placed");
        block_on(shop.db.batch(&fulfil_order(&id, "GHN", "GHN123", "admin:a", NOW + 60))).unwrap();
        assert_eq!(state(&shop, &id), st("fulfilled", "cod_pending", "shipped", "committed"));
        let ids = vec![id.clone()];
        let first = block_on(mark_collected(&shop.db, &ids, &ACTOR, "admin:a", NOW + 120)).unwrap();
        assert_eq!(first.collected, ids);
        assert_eq!(state(&shop, &id), st("fulfilled", "paid", "shipped", "committed"));
        assert_eq!(shop.db.text(&format!("SELECT status FROM payments WHERE order_id = '{id}'")), "succeeded");
        let again = block_on(mark_collected(&shop.db, &ids, &ACTOR, "admin:a", NOW + 130)).unwrap();
        assert_eq!((again.collected.len(), again.unchanged.len()), (0, 1), "collected once");
        assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM audit_log WHERE entity_id = '{id}' AND action = 'order.collect'")), 1);
        assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM shop_events WHERE order_id = '{id}' AND kind = 'order_paid'")), 1);
        block_on(shop.db.batch(&deliver_order(&id, "admin:a", NOW + 200))).unwrap();
        assert_eq!(state(&shop, &id), st("delivered", "paid", "delivered", "committed"));
        assert_eq!((shop.on_hand(v), shop.reserved(v)), (3, 0), "no stock moved after placing");
    }

    #[test]
    fn a_returned_parcel_brings_its_stock_back_once() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = cod_order(&shop, 1, v, 2);
        assert!(block_on(shop.db.batch(&return_cod_order(&id, "admin:a", NOW + 10))).is_ok());
        assert_eq!(shop.on_hand(v), 3, "nothing comes back before it shipped");
        block_on(shop.db.batch(&fulfil_order(&id, "GHTK", "T1", "admin:a", NOW + 60))).unwrap();
        block_on(shop.db.batch(&return_cod_order(&id, "admin:a", NOW + 100))).unwrap();
        assert_eq!(state(&shop, &id), st("returned", "voided", "returned", "released"));
        assert_eq!(shop.on_hand(v), 5, "the units are back");
        block_on(shop.db.batch(&return_cod_order(&id, "admin:a", NOW + 110))).unwrap();
        assert_eq!(shop.on_hand(v), 5, "a second confirmation changes nothing");
        assert_eq!(events(&shop, &id, "returned"), 1);
        let collected = block_on(mark_collected(&shop.db, std::slice::from_ref(&id), &ACTOR, "admin:a", NOW + 120)).unwrap();
        assert!(collected.collected.is_empty(), "no cash from a returned parcel");
        assert_eq!(shop.db.text(&format!("SELECT status FROM payments WHERE order_id = '{id}'")), "cancelled");
    }

    #[test]
    fn cancelling_before_shipping_gives_the_stock_back_once_and_not_after() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = cod_order(&shop, 1, v, 2);
        let (by_shopper, by_staff) = (cancel_cod_order(&id, "shopper", "changed my mind", NOW + 5), cancel_cod_order(&id, "admin:a", "", NOW + 5));
        let (a, b) = block_on(async { futures::join!(shop.db.batch(&by_shopper), shop.db.batch(&by_staff)) });
        a.unwrap();
        b.unwrap();
        assert_eq!(state(&shop, &id), st("cancelled", "voided", "unfulfilled", "released"));
        assert_eq!(shop.on_hand(v), 5, "given back once");
        assert_eq!(events(&shop, &id, "cancelled"), 1);
        let shipped = cod_order(&shop, 2, v, 1);
        block_on(shop.db.batch(&fulfil_order(&shipped, "GHN", "X", "admin:a", NOW + 60))).unwrap();
        block_on(shop.db.batch(&cancel_cod_order(&shipped, "admin:a", "", NOW + 70))).unwrap();
        assert_eq!(state(&shop, &shipped).0, "fulfilled", "a shipped parcel is not cancelled");
        assert_eq!(shop.on_hand(v), 4);
    }

    #[test]
    fn at_most_three_open_cod_orders_per_phone_and_per_client() {
        let shop = Shop::demo();
        let v = shop.variant(0, 50);
        for n in 1..=3 {
            checkout(&shop, n, v, 1, &cod_submission(&format!("k{n}"), "0912345678", &format!("10.0.0.{n}"))).unwrap();
        }
        let refused = checkout(&shop, 4, v, 1, &cod_submission("k4", "0912345678", "10.0.0.4"));
        assert!(matches!(refused, Err(CheckoutError::CodRefused(CodRefusal::TooManyOpen { limit: 3 }))), "{refused:?}");
        for n in 5..=7 {
            checkout(&shop, n, v, 1, &cod_submission(&format!("k{n}"), "0987654321", "10.9.9.9")).unwrap_or_else(|e| panic!("{n}: {e:?}"));
        }
        let same_client = checkout(&shop, 8, v, 1, &cod_submission("k8", "0911111111", "10.9.9.9"));
        assert!(matches!(same_client, Err(CheckoutError::CodRefused(CodRefusal::TooManyOpen { .. }))), "{same_client:?}");
        assert_eq!(shop.db.int("SELECT COUNT(*) FROM orders WHERE payment_provider = 'cod'"), 6);
        // A delivered order is no longer open.
        let first = shop.db.text("SELECT id FROM orders WHERE phone LIKE '%912345678' ORDER BY created_at, id LIMIT 1");
        block_on(shop.db.batch(&fulfil_order(&first, "GHN", "1", "admin:a", NOW + 9))).unwrap();
        block_on(shop.db.batch(&deliver_order(&first, "admin:a", NOW + 10))).unwrap();
        checkout(&shop, 9, v, 1, &cod_submission("k9", "0912345678", "10.0.0.9")).unwrap();
    }

    #[test]
    fn two_cod_checkouts_at_once_past_the_limit_place_one() {
        let mut shop = Shop::demo();
        shop.settings.cod.open_limit = 1;
        let v = shop.variant(0, 50);
        let (one, two) = (Shop::cart_id(1), Shop::cart_id(2));
        let (mut a, mut b) = (Cart::default(), Cart::default());
        block_on(set_quantity(&shop.at(&one, NOW), &mut a, v, 1, true)).unwrap();
        block_on(set_quantity(&shop.at(&two, NOW), &mut b, v, 1, true)).unwrap();
        let (sa, sb) = (cod_submission("a", "0912345678", "10.0.0.1"), cod_submission("b", "0912345678", "10.0.0.2"));
        let (cx1, cx2) = (shop.at(&one, NOW + 1), shop.at(&two, NOW + 1));
        let (ra, rb) = block_on(async { futures::join!(place_order(&cx1, &mut a, &sa), place_order(&cx2, &mut b, &sb)) });
        let placed = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(placed, 1, "{ra:?} {rb:?}");
        assert!([ra, rb].into_iter().any(|r| matches!(r, Err(CheckoutError::CodRefused(CodRefusal::TooManyOpen { limit: 1 })))));
        assert_eq!(shop.db.int("SELECT COUNT(*) FROM orders"), 1, "the refused batch rolled back whole");
        assert_eq!((shop.on_hand(v), shop.reserved(v)), (49, 1), "one sold, the other cart still holds its unit");
    }

    #[test]
    fn cod_is_refused_abroad_and_above_the_limit() {
        let mut shop = Shop::demo();
        let v = shop.variant(0, 5);
        let mut abroad = cod_submission("k1", "0912345678", "10.0.0.1");
        abroad.request.address.country = "SG".into();
        assert!(matches!(checkout(&shop, 1, v, 1, &abroad), Err(CheckoutError::CodRefused(CodRefusal::Abroad))));
        shop.settings.cod.max = Vnd::new(1_000);
        let above = checkout(&shop, 2, v, 1, &cod_submission("k2", "0912345678", "10.0.0.2"));
        assert!(matches!(above, Err(CheckoutError::CodRefused(CodRefusal::AboveMax { max })) if max == Vnd::new(1_000)), "{above:?}");
        assert_eq!(shop.db.int("SELECT COUNT(*) FROM orders"), 0);
    }

    #[test]
    fn a_partial_refund_on_a_shipped_order_does_not_block_mark_delivered() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let mut sub = cod_submission("k", "0912345678", "10.0.0.1");
        sub.request.payment_provider = "sandbox".into();
        let id = checkout(&shop, 1, v, 1, &sub).unwrap().order.id;
        block_on(shop.db.batch(&crate::app::stock::pay_order(&id, NOW + 2, "payment:sandbox"))).unwrap();
        shop.db.exec(&format!("UPDATE payments SET status = 'succeeded' WHERE order_id = '{id}'"));
        block_on(shop.db.batch(&fulfil_order(&id, "GHN", "1", "admin:a", NOW + 3))).unwrap();
        shop.db.exec(&format!(
            "INSERT INTO refunds (id, order_id, payment_id, provider, amount, currency, provider_amount, provider_currency, status, idempotency_key, actor, created_at, updated_at) \
             SELECT 'r1', '{id}', p.id, 'sandbox', 1000, 'VND', 1000, 'VND', 'pending', 'rk', 'admin:a', 0, 0 FROM payments p WHERE p.order_id = '{id}'"
        ));
        block_on(shop.db.batch(&crate::app::refunds::complete_refund("r1", None, "admin:a", NOW + 4))).unwrap();
        assert_eq!(state(&shop, &id), st("partially_refunded", "partially_refunded", "shipped", "committed"));
        block_on(shop.db.batch(&deliver_order(&id, "admin:a", NOW + 5))).unwrap();
        assert_eq!(state(&shop, &id), st("delivered", "partially_refunded", "delivered", "committed"));
    }

    fn statement(rows: &[(&str, i64, i64)]) -> Vec<StatementLine> {
        let mut text = String::from("order_number,collected,fee\n");
        for (n, c, f) in rows {
            text.push_str(&format!("{n},{c},{f}\n"));
        }
        parse_statement(&text).unwrap()
    }

    #[test]
    fn the_statement_dry_run_changes_nothing_and_applying_collects_the_matches_once() {
        let shop = Shop::demo();
        let v = shop.variant(0, 20);
        let (a, b, c) = (cod_order(&shop, 1, v, 1), cod_order(&shop, 2, v, 1), cod_order(&shop, 3, v, 1));
        let number = |id: &str| shop.db.text(&format!("SELECT number FROM orders WHERE id = '{id}'"));
        let total = |id: &str| shop.db.int(&format!("SELECT total FROM orders WHERE id = '{id}'"));
        block_on(mark_collected(&shop.db, std::slice::from_ref(&c), &ACTOR, "admin:a", NOW + 5)).unwrap();
        let rows = [(number(&a), total(&a), 15_000), (number(&b), total(&b) - 1_000, 15_000), (number(&c), total(&c), 15_000), ("VS-999999".to_string(), 10, 1)];
        let rows: Vec<(&str, i64, i64)> = rows.iter().map(|(n, c, f)| (n.as_str(), *c, *f)).collect();
        let review = block_on(review_statement(&shop.db, statement(&rows))).unwrap();
        let outcomes: Vec<&Finding> = review.lines.iter().map(|(_, f)| f).collect();
        assert!(matches!(outcomes[0], Finding::Match { order_id, .. } if *order_id == a));
        assert!(matches!(outcomes[1], Finding::Mismatch { reason: MismatchReason::Amount, .. }));
        assert!(matches!(outcomes[2], Finding::Mismatch { reason: MismatchReason::AlreadyCollected, .. }));
        assert!(matches!(outcomes[3], Finding::Unknown));
        assert_eq!(state(&shop, &a).1, "cod_pending", "the dry run changed nothing");
        let (_, applied) = block_on(apply_statement(&shop.db, statement(&rows), &ACTOR, "admin:a", NOW + 10)).unwrap();
        assert_eq!(applied.collected, vec![a.clone()]);
        assert_eq!((state(&shop, &a).1.as_str(), state(&shop, &b).1.as_str()), ("paid", "cod_pending"));
        assert_eq!(shop.db.int(&format!("SELECT cod_fee FROM orders WHERE id = '{a}'")), 15_000);
        let (again, applied) = block_on(apply_statement(&shop.db, statement(&rows), &ACTOR, "admin:a", NOW + 20)).unwrap();
        assert!(applied.collected.is_empty(), "a statement applied twice changes nothing");
        assert!(matches!(again.lines[0].1, Finding::Mismatch { reason: MismatchReason::AlreadyCollected, .. }));
        assert_eq!(shop.db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'order.collect_statement'"), 1);
    }

    #[test]
    fn a_statement_that_cannot_be_read_names_its_line() {
        assert_eq!(parse_statement("ma_don,tien_thu,phi\nVS-000101,\"1.250.000\",\"15.000\"\n").unwrap()[0].collected, Vnd::new(1_250_000));
        assert_eq!(parse_statement("order_number,collected,fee\nVS-000101,abc,0\n").unwrap_err().line, 2);
        assert_eq!(parse_statement("order_number,collected,fee\nVS-000101,1,0\n12345,1,0\n").unwrap_err().line, 3);
        assert!(parse_statement("number;amount\n").is_err(), "a header without the columns");
        assert!(parse_statement("").is_err());
    }

    #[test]
    fn cod_batches_bind_their_placeholders() {
        for batch in [confirm_cod_order("o", Some("h"), 3, 1), cancel_cod_order("o", "a", "", 1), return_cod_order("o", "a", 1), collect_cod("o", Some((Vnd::new(1), Vnd::new(0))), "a", 1)] {
            for sql in &batch {
                let highest = (1..=12).rev().find(|n| sql.text.contains(&format!("?{n}")));
                if let Some(n) = highest {
                    assert_eq!(n, sql.params.len(), "{}", sql.text);
                }
            }
        }
    }
}
