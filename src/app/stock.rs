//! Stock changes as SQL, each one atomic and idempotent.
//!
//! Stock truth (`variants.on_hand`, `variants.reserved`) only changes through conditional writes that
//! are sent as one D1 batch (a transaction). Every batch is gated on the state it moves from — a hold
//! still `held`, an order still `pending_payment` with `stock_state = 'reserved'` — and its last
//! statement moves that state on, so a second run (a redelivered alarm, the sweep racing the alarm,
//! a duplicate webhook) finds nothing to do.

use super::sql::{Sql, SqlValue};
use crate::domain::orders::{OrderStatus, StockState};

/// Takes `quantity` units of a variant for a cart under a new hold: the reservation succeeds only
/// if enough units are unreserved, and the hold row exists only if the reservation did
/// (`changes()` is the row count of the UPDATE just before it in the same transaction).
pub fn take_hold(hold_id: &str, cart_id: &str, variant_id: i64, quantity: i64, now: i64, expires_at: i64) -> [Sql; 2] {
    [
        Sql::new(
            "UPDATE variants SET reserved = reserved + ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE id = ? AND status = 'active' AND on_hand - reserved >= ? \
             AND EXISTS (SELECT 1 FROM products p WHERE p.id = variants.product_id AND p.status = 'active')",
        )
        .bind(quantity)
        .bind(variant_id)
        .bind(quantity),
        Sql::new(
            "INSERT INTO holds (id, cart_id, variant_id, quantity, state, expires_at, created_at, updated_at) \
             SELECT ?, ?, ?, ?, 'held', ?, ?, ? WHERE changes() = 1",
        )
        .bind(hold_id)
        .bind(cart_id)
        .bind(variant_id)
        .bind(quantity)
        .bind(expires_at)
        .bind(now)
        .bind(now),
    ]
}

/// `take_hold` for a batch that must take every hold or none (a bundle's "add all"): the same
/// conditional reservation, then the hold row whose `created_at` is NULL when the reservation
/// changed no row. NULL breaks its NOT NULL constraint, which fails the statement and rolls back
/// the whole batch (D1 runs a batch as one transaction), so stock short on any one variant leaves
/// every variant and every hold as it was.
pub fn take_hold_or_fail(hold_id: &str, cart_id: &str, variant_id: i64, quantity: i64, now: i64, expires_at: i64) -> [Sql; 2] {
    let [reserve, _] = take_hold(hold_id, cart_id, variant_id, quantity, now, expires_at);
    [
        reserve,
        Sql::new(
            "INSERT INTO holds (id, cart_id, variant_id, quantity, state, expires_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, 'held', ?, CASE WHEN changes() = 1 THEN ? ELSE NULL END, ?)",
        )
        .bind(hold_id)
        .bind(cart_id)
        .bind(variant_id)
        .bind(quantity)
        .bind(expires_at)
        .bind(now)
        .bind(now),
    ]
}

/// Changes a live hold by `delta` units (positive takes more, negative gives back). Refused when the
/// hold is no longer held (the alarm or sweep released it) or, for more, when stock is short.
pub fn adjust_hold(hold_id: &str, variant_id: i64, delta: i64, now: i64, expires_at: i64) -> [Sql; 2] {
    [
        Sql::new(
            "UPDATE variants SET reserved = reserved + ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE id = ? AND on_hand - reserved >= ? \
             AND EXISTS (SELECT 1 FROM holds WHERE id = ? AND state = 'held' AND quantity + ? > 0)",
        )
        .bind(delta)
        .bind(variant_id)
        .bind(delta.max(0))
        .bind(hold_id)
        .bind(delta),
        Sql::new(
            "UPDATE holds SET quantity = quantity + ?, expires_at = ?, updated_at = ? \
             WHERE id = ? AND state = 'held' AND changes() = 1",
        )
        .bind(delta)
        .bind(expires_at)
        .bind(now)
        .bind(hold_id),
    ]
}

/// Gives one hold's units back, once.
pub fn release_hold(hold_id: &str, now: i64) -> [Sql; 2] {
    [
        Sql::new(
            "UPDATE variants SET reserved = reserved - (SELECT quantity FROM holds WHERE id = ?1 AND state = 'held'), \
             updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE id = (SELECT variant_id FROM holds WHERE id = ?1 AND state = 'held')",
        )
        .bind(hold_id),
        Sql::new("UPDATE holds SET state = 'released', updated_at = ?2 WHERE id = ?1 AND state = 'held'").bind(hold_id).bind(now),
    ]
}

/// Releases every live hold of a cart (its alarm), or every overdue hold of any cart (`cart_id`
/// `None`: the sweep). Both statements select the same holds inside one transaction.
pub fn release_holds(cart_id: Option<&str>, overdue_at: Option<i64>, now: i64) -> [Sql; 2] {
    let mut filter = String::from("h.state = 'held'");
    let mut params: Vec<SqlValue> = Vec::new();
    if let Some(cart) = cart_id {
        filter.push_str(" AND h.cart_id = ?");
        params.push(cart.into());
    }
    if let Some(at) = overdue_at {
        filter.push_str(" AND h.expires_at <= ?");
        params.push(at.into());
    }
    let mut reserve = Sql::new(format!(
        "UPDATE variants SET reserved = reserved - (SELECT SUM(h.quantity) FROM holds h WHERE {filter} AND h.variant_id = variants.id), \
         updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
         WHERE id IN (SELECT h.variant_id FROM holds h WHERE {filter})"
    ));
    reserve.params.extend(params.iter().cloned());
    reserve.params.extend(params.iter().cloned());
    let mut mark = Sql::new(format!("UPDATE holds SET state = 'released', updated_at = ? WHERE id IN (SELECT h.id FROM holds h WHERE {filter})"));
    mark.params.push(now.into());
    mark.params.extend(params);
    [reserve, mark]
}

/// Which of these holds are still held (`id` rows): the others were released by the alarm or the
/// sweep, or converted into an order.
pub fn live_holds(hold_ids: &[String]) -> Sql {
    let mut sql = Sql::new(format!("SELECT id FROM holds WHERE state = 'held' AND id IN ({})", Sql::placeholders(hold_ids.len().max(1))));
    if hold_ids.is_empty() {
        sql.params.push(SqlValue::Null);
    }
    sql.params.extend(hold_ids.iter().map(|id| SqlValue::from(id.as_str())));
    sql
}

/// Pushes back the expiry of a cart's live holds (activity extends the hold).
pub fn extend_holds(cart_id: &str, expires_at: i64, now: i64) -> Sql {
    Sql::new("UPDATE holds SET expires_at = ?, updated_at = ? WHERE cart_id = ? AND state = 'held'")
        .bind(expires_at)
        .bind(now)
        .bind(cart_id)
}

/// Units each variant of an order takes, for the stock statements below.
pub(crate) const ORDER_QTY: &str = "(SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = ?1 AND l.variant_id = variants.id)";
const ORDER_VARIANTS: &str = "id IN (SELECT l.variant_id FROM order_lines l WHERE l.order_id = ?1)";

/// The statements that move an order from `from` (a SQL condition on `orders o`) to `to`, with
/// its event row and outbox message, all gated on the same condition and the last one flipping it.
pub(crate) fn order_move(order_id: &str, gate: &str, stock: Option<String>, to: OrderStatus, to_stock: StockState, actor: &str, reason: &str, now: i64, extra_set: &str) -> Vec<Sql> {
    let (to_status, to_stock) = (to.code(), to_stock.code());
    let gated = format!("EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {gate})");
    let mut out = Vec::new();
    if let Some(set) = stock {
        out.push(Sql::new(format!("UPDATE variants SET {set}, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE {ORDER_VARIANTS} AND {gated}")).bind(order_id));
    }
    out.push(
        Sql::new(format!(
            "INSERT INTO order_events (order_id, at, from_status, to_status, actor, reason) \
             SELECT o.id, ?2, o.status, ?3, ?4, ?5 FROM orders o WHERE o.id = ?1 AND {gate}"
        ))
        .bind(order_id)
        .bind(now)
        .bind(to_status)
        .bind(actor)
        .bind(reason),
    );
    // The buyer's email about it (by ZNS to a phone-only buyer), and a push to each browser that
    // follows the order. A cash-on-delivery order is confirmed in the batch that places it: the
    // "order placed" message already says so.
    if to != OrderStatus::Confirmed {
        for select in [super::outbox::order_email_select("'order_' || ?3", ", 'status', ?3"), super::push::order_push_select("'order_' || ?3"), super::zns::order_zns_select("'order_' || ?3")] {
            out.push(Sql::new(format!("{select} AND {gate} {}", super::outbox::ON_CONFLICT)).bind(order_id).bind(now).bind(to_status));
        }
    }
    // The apps' webhook for the moves they subscribe to (paid, shipped, cancelled).
    if let Some(event) = crate::domain::webhooks::Event::for_order_status(to) {
        out.push(Sql::new(format!("{} AND {gate} {}", super::webhooks::order_event_select(event, "?3"), super::outbox::ON_CONFLICT)).bind(order_id).bind(now).bind(to_status));
    }
    out.push(
        Sql::new(format!(
            "UPDATE orders SET status = ?2, stock_state = ?3, updated_at = ?4{extra_set} WHERE id = ?1 AND \
             EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {gate})"
        ))
        .bind(order_id)
        .bind(to_status)
        .bind(to_stock)
        .bind(now),
    );
    out
}

/// Where an order move flips the order's status: its `changes()` says whether the move happened.
pub fn flip_index(batch: &[Sql]) -> Option<usize> {
    batch.iter().rposition(|s| s.text.starts_with("UPDATE orders SET "))
}

/// What a move sets beside the status when the money arrived, or when none ever will.
const PAID: &str = ", paid_at = ?4, payment_status = 'paid'";
const VOIDED: &str = ", payment_status = 'voided'";

pub(crate) const PENDING_RESERVED: &str = "o.status = 'pending_payment' AND o.stock_state = 'reserved'";

/// Expires an unpaid order whose time is up and gives its units back — once, whoever runs it first
/// (the order's alarm or the sweep).
pub fn expire_order(order_id: &str, now: i64, actor: &str) -> Vec<Sql> {
    let gate = format!("{PENDING_RESERVED} AND o.expires_at <= {now}");
    let mut batch = order_move(order_id, &gate, Some(format!("reserved = reserved - {ORDER_QTY}")), OrderStatus::Expired, StockState::Released, actor, "unpaid when it expired", now, VOIDED);
    super::promotions::before_flip(&mut batch, super::promotions::give_back(order_id, &gate, now));
    batch.push(release_order_holds(order_id, now));
    batch
}

/// Cancels an unpaid order (shopper or admin) and gives its units back, once.
pub fn cancel_unpaid_order(order_id: &str, now: i64, actor: &str, reason: &str) -> Vec<Sql> {
    let mut batch = order_move(order_id, PENDING_RESERVED, Some(format!("reserved = reserved - {ORDER_QTY}")), OrderStatus::Cancelled, StockState::Released, actor, reason, now, VOIDED);
    super::promotions::before_flip(&mut batch, super::promotions::give_back(order_id, PENDING_RESERVED, now));
    batch.push(release_order_holds(order_id, now));
    batch
}

fn release_order_holds(order_id: &str, now: i64) -> Sql {
    Sql::new("UPDATE holds SET state = 'released', updated_at = ?2 WHERE order_id = ?1 AND state = 'converted'").bind(order_id).bind(now)
}

/// Counts the order's units as sold on their products (drives the best-selling sort), gated like
/// the stock move it accompanies. Must run before the gate flips.
pub(crate) fn count_sold(order_id: &str, gate: &str) -> Sql {
    Sql::new(format!(
        "UPDATE products SET sold_count = sold_count + \
         (SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = ?1 AND l.product_id = products.id) \
         WHERE id IN (SELECT l.product_id FROM order_lines l WHERE l.order_id = ?1) \
         AND EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {gate})"
    ))
    .bind(order_id)
}

/// Marks a pending order paid and turns its reserved units into sold ones, once.
pub fn pay_order(order_id: &str, now: i64, actor: &str) -> Vec<Sql> {
    let mut batch = vec![count_sold(order_id, PENDING_RESERVED)];
    batch.extend(order_move(
        order_id,
        PENDING_RESERVED,
        Some(format!("on_hand = on_hand - {ORDER_QTY}, reserved = reserved - {ORDER_QTY}")),
        OrderStatus::Paid,
        StockState::Committed,
        actor,
        "payment confirmed",
        now,
        PAID,
    ));
    batch
}

const RELEASED_UNPAID: &str = "o.status IN ('expired', 'cancelled') AND o.stock_state = 'released'";

/// A payment that arrived after the order expired: takes its units again from what is available.
/// If any variant is short, the `CHECK (reserved <= on_hand)` / `on_hand >= 0` constraints fail the
/// whole batch, and the caller marks the order `needs_refund` instead.
pub fn revive_paid_order(order_id: &str, now: i64, actor: &str) -> Vec<Sql> {
    let mut batch = vec![count_sold(order_id, RELEASED_UNPAID)];
    batch.extend(order_move(order_id, RELEASED_UNPAID, Some(format!("on_hand = on_hand - {ORDER_QTY}")), OrderStatus::Paid, StockState::Committed, actor, "paid after expiry; stock still available", now, PAID));
    super::promotions::before_flip(&mut batch, super::promotions::take_again(order_id, RELEASED_UNPAID, now));
    batch
}

/// A late payment whose stock is gone: the order keeps the money on record for a refund.
pub fn mark_needs_refund(order_id: &str, now: i64, actor: &str) -> Vec<Sql> {
    order_move(order_id, RELEASED_UNPAID, None, OrderStatus::NeedsRefund, StockState::Released, actor, "paid after expiry; stock no longer available", now, PAID)
}

/// Unpaid orders past their expiry, for the sweep.
pub fn overdue_orders(now: i64, limit: i64) -> Sql {
    Sql::new("SELECT id FROM orders WHERE status = 'pending_payment' AND expires_at <= ? ORDER BY expires_at LIMIT ?").bind(now).bind(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::app::testing::assert_balanced as balanced;

    #[test]
    fn every_batch_binds_its_placeholders() {
        balanced(&take_hold("h", "c", 1, 2, 10, 20));
        balanced(&adjust_hold("h", 1, -2, 10, 20));
        balanced(&release_holds(Some("c"), None, 10));
        balanced(&release_holds(None, Some(5), 10));
        balanced(&release_holds(Some("c"), Some(5), 10));
        balanced(&[extend_holds("c", 20, 10), overdue_orders(10, 5)]);
    }

    #[test]
    fn order_moves_end_by_flipping_the_state_they_are_gated_on() {
        for batch in [expire_order("o", 10, "alarm"), pay_order("o", 10, "payment:sandbox"), cancel_unpaid_order("o", 10, "shopper", "")] {
            let flip = batch.iter().rposition(|s| s.text.starts_with("UPDATE orders")).unwrap();
            let stock = batch.iter().position(|s| s.text.starts_with("UPDATE variants")).unwrap();
            assert!(stock < flip, "stock moves before the gate flips");
            assert!(batch[stock].text.contains("pending_payment"), "stock move is gated");
        }
    }

    /// The SQL moves must be the state machine's moves: each batch is gated on a status the machine
    /// allows the event from, and flips to the status the machine says.
    #[test]
    fn every_order_batch_agrees_with_the_state_machine() {
        use crate::domain::orders::{transition, OrderEvent as E, OrderStatus as S};
        let cases: [(Vec<Sql>, &[S], E); 9] = [
            (crate::app::cod::cancel_cod_order("o", "a", "", 10), &[S::Confirmed], E::Cancel),
            (crate::app::cod::return_cod_order("o", "a", 10), &[S::Fulfilled], E::Return),
            (crate::app::admin_orders::fulfil_order("o", "GHN", "1", "a", 10), &[S::Paid, S::Confirmed, S::PartiallyRefunded], E::Fulfil),
            (crate::app::admin_orders::deliver_order("o", "a", 10), &[S::Fulfilled, S::PartiallyRefunded], E::Deliver),
            (expire_order("o", 10, "alarm"), &[S::PendingPayment], E::Expire),
            (cancel_unpaid_order("o", 10, "shopper", ""), &[S::PendingPayment], E::Cancel),
            (pay_order("o", 10, "payment:sandbox"), &[S::PendingPayment], E::PaymentSucceeded { stock_available: true }),
            (revive_paid_order("o", 10, "payment:sandbox"), &[S::Expired, S::Cancelled], E::PaymentSucceeded { stock_available: true }),
            (mark_needs_refund("o", 10, "payment:sandbox"), &[S::Expired, S::Cancelled], E::PaymentSucceeded { stock_available: false }),
        ];
        for (batch, from, event) in cases {
            let flip = batch.iter().rev().find(|s| s.text.starts_with("UPDATE orders")).unwrap();
            let SqlValue::Text(to) = &flip.params[1] else { panic!("status is bound second") };
            // The condition on the headline status (`o.status = …` or `o.status IN (…)`), not the
            // payment or fulfilment conditions beside it.
            let gate = flip.text.split_once(" WHERE ").map_or("", |(_, g)| g);
            let on_status = gate.split(" AND ").filter(|c| c.trim_start_matches("EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND ").starts_with("o.status ")).collect::<Vec<_>>().join(" ");
            for status in S::ALL {
                let gated = on_status.contains(&format!("'{}'", status.code()));
                assert_eq!(gated, from.contains(&status), "{event:?} gate on {status}");
            }
            for status in from {
                let (next, _) = transition(*status, event).unwrap();
                assert_eq!(next.code(), to, "{event:?} from {status}");
            }
        }
    }

    #[test]
    fn a_hold_is_inserted_only_when_the_reservation_succeeded() {
        let [reserve, insert] = take_hold("h", "c", 1, 2, 10, 20);
        assert!(reserve.text.contains("on_hand - reserved >= ?"));
        assert!(insert.text.contains("WHERE changes() = 1"));
    }
}
