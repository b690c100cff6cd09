//! Orders in the admin panel, as data: the filtered list, the status moves staff make (each gated
//! on the state the state machine allows it from, with its order event and audit row in the same
//! batch), and the analytics events that follow payments and refunds.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::sql::{Sql, SqlValue};
use crate::domain::analytics::vn_day_start;
use crate::domain::listing::{parse_query, FieldError, Problem};
use crate::domain::money::Vnd;
use crate::domain::checkout::COD;
use crate::domain::orders::{FulfillmentStatus, OrderEvent, OrderState, OrderStatus, PaymentState, StockState};

/// Orders on one page of the list.
pub const PER_PAGE: i64 = 50;

/// What the order list is filtered by
/// (`?status&payment_status&fulfillment_status&provider&from&to&q&page`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub payment_status: Option<PaymentState>,
    pub fulfillment_status: Option<FulfillmentStatus>,
    pub provider: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// An order number, an email (or its start) or a phone number (or part of it).
    pub q: String,
    /// 1-based.
    pub page: i64,
}

impl OrderFilter {
    pub fn parse(query: &str) -> Result<OrderFilter, Vec<FieldError>> {
        let pairs = parse_query(query);
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut errors = Vec::new();
        let status = get("status").and_then(|s| {
            let parsed = OrderStatus::parse(&s);
            if parsed.is_none() {
                errors.push(FieldError { field: "status", problem: Problem::UnknownChoice });
            }
            parsed
        });
        let payment_status = get("payment_status").and_then(|s| {
            let parsed = PaymentState::parse(&s);
            if parsed.is_none() {
                errors.push(FieldError { field: "payment_status", problem: Problem::UnknownChoice });
            }
            parsed
        });
        let fulfillment_status = get("fulfillment_status").and_then(|s| {
            let parsed = FulfillmentStatus::parse(&s);
            if parsed.is_none() {
                errors.push(FieldError { field: "fulfillment_status", problem: Problem::UnknownChoice });
            }
            parsed
        });
        let provider = get("provider").and_then(|p| {
            let ok = p.len() <= 20 && p.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !ok {
                errors.push(FieldError { field: "provider", problem: Problem::UnknownChoice });
            }
            ok.then_some(p)
        });
        let mut date = |field: &'static str| {
            get(field).and_then(|d| match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError { field, problem: Problem::BadValue });
                    None
                }
            })
        };
        let (from, to) = (date("from"), date("to"));
        let q = get("q").unwrap_or_default();
        if q.chars().count() > 100 {
            errors.push(FieldError { field: "q", problem: Problem::TooLong { max: 100 } });
        }
        let page = match get("page") {
            None => 1,
            Some(p) => match p.parse::<i64>() {
                Ok(n) if (1..=10_000).contains(&n) => n,
                _ => {
                    errors.push(FieldError { field: "page", problem: Problem::OutOfRange { min: 1, max: 10_000 } });
                    1
                }
            },
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(FieldError { field: "to", problem: Problem::MinAboveMax });
            }
        }
        if errors.is_empty() {
            Ok(OrderFilter { status, payment_status, fulfillment_status, provider, from, to, q, page })
        } else {
            Err(errors)
        }
    }

    /// The filter as a query string with its `?` (without `page`; empty when none), for paging links.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(s) = self.status {
            pairs.push(("status", s.code().to_string()));
        }
        if let Some(s) = self.payment_status {
            pairs.push(("payment_status", s.code().to_string()));
        }
        if let Some(s) = self.fulfillment_status {
            pairs.push(("fulfillment_status", s.code().to_string()));
        }
        if let Some(p) = &self.provider {
            pairs.push(("provider", p.clone()));
        }
        if let Some(d) = self.from {
            pairs.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            pairs.push(("to", d.to_string()));
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        crate::domain::listing::encode_pairs(&pairs)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderListRow {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub payment_status: PaymentState,
    pub fulfillment_status: FulfillmentStatus,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub payment_provider: String,
    pub total: Vnd,
    pub refunded_total: Vnd,
    pub created_at: i64,
}

fn like_prefix(s: &str) -> String {
    let escaped: String = s.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    format!("{escaped}%")
}

/// One page of the list, newest first; asks for one row more than a page to know if there is a next.
pub fn orders_list_sql(f: &OrderFilter) -> Sql {
    let mut conditions = Vec::new();
    let mut params: Vec<SqlValue> = Vec::new();
    if let Some(s) = f.status {
        conditions.push("status = ?");
        params.push(s.code().into());
    }
    if let Some(s) = f.payment_status {
        conditions.push("payment_status = ?");
        params.push(s.code().into());
    }
    if let Some(s) = f.fulfillment_status {
        conditions.push("fulfillment_status = ?");
        params.push(s.code().into());
    }
    if let Some(p) = &f.provider {
        conditions.push("payment_provider = ?");
        params.push(p.as_str().into());
    }
    if let Some(d) = f.from {
        conditions.push("created_at >= ?");
        params.push(SqlValue::Int(vn_day_start(d)));
    }
    if let Some(d) = f.to {
        conditions.push("created_at < ?");
        params.push(SqlValue::Int(vn_day_start(d) + 86_400));
    }
    if !f.q.is_empty() {
        let q = f.q.trim();
        conditions.push("(number = ? OR email LIKE ? ESCAPE '\\' OR phone LIKE ? ESCAPE '\\')");
        params.push(q.to_uppercase().as_str().into());
        params.push(like_prefix(&q.to_lowercase()).as_str().into());
        let digits: String = q.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        params.push(if digits.is_empty() { SqlValue::from("\u{0}") } else { format!("%{}", like_prefix(&digits)).as_str().into() });
    }
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    let mut sql = Sql::new(format!(
        "SELECT id, number, status, payment_status, fulfillment_status, email, name, phone, payment_provider, total, refunded_total, created_at FROM orders {filter} \
         ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
    ));
    sql.params = params;
    sql.bind(PER_PAGE + 1).bind((f.page - 1) * PER_PAGE)
}

/// An action staff take on an order from the panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Fulfil,
    Deliver,
    Cancel,
    Refund,
    /// The cash of a COD order was collected.
    Collect,
    /// A shipped COD parcel came back to the shop ("hoàn hàng").
    Return,
}

impl Action {
    pub const ALL: [Action; 6] = [Action::Fulfil, Action::Deliver, Action::Collect, Action::Return, Action::Cancel, Action::Refund];

    pub fn code(self) -> &'static str {
        match self {
            Action::Fulfil => "fulfil",
            Action::Deliver => "deliver",
            Action::Cancel => "cancel",
            Action::Refund => "refund",
            Action::Collect => "collect",
            Action::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == s)
    }

    /// The event the action is, for the state machine.
    pub fn event(self) -> OrderEvent {
        match self {
            Action::Fulfil => OrderEvent::Fulfil,
            Action::Deliver => OrderEvent::Deliver,
            Action::Cancel => OrderEvent::Cancel,
            Action::Refund => OrderEvent::Refund { full: true },
            Action::Collect => OrderEvent::Collect,
            Action::Return => OrderEvent::Return,
        }
    }

    /// Whether the state machine allows it from the order's three statuses. Staff cancel only
    /// orders nobody has paid for here (unpaid, or COD not shipped: a paid order is refunded
    /// instead, so the money goes back through the gateway); COD cash is refunded by hand, outside
    /// the gateways, so a COD order offers no gateway refund.
    pub fn allowed(self, state: OrderState, provider: &str) -> bool {
        let cod = provider == COD;
        let legal = state.apply(self.event()).is_ok();
        match self {
            Action::Cancel => legal && matches!(state.status, OrderStatus::PendingPayment | OrderStatus::Confirmed),
            Action::Refund => legal && !cod,
            Action::Collect | Action::Return => legal && cod,
            Action::Fulfil | Action::Deliver => legal,
        }
    }

    /// What the order's statuses become when the action happens (`None`: not allowed).
    pub fn target(self, state: OrderState) -> Option<OrderState> {
        state.apply(self.event()).ok().map(|(next, _)| next)
    }

    /// The gated batch of a move (`None` for a refund, which goes through its gateway), chosen by
    /// the order's state: a COD order's cancel gives back sold stock, an unpaid one's held stock.
    pub fn batch(self, order: &super::orders::OrderRow, carrier: &str, tracking: &str, actor: &str, now: i64) -> Option<Vec<Sql>> {
        let id = order.id.as_str();
        Some(match self {
            Action::Fulfil => fulfil_order(id, carrier, tracking, actor, now),
            Action::Deliver => deliver_order(id, actor, now),
            Action::Cancel => super::cod::cancel_batch(order, actor, "cancelled by staff", now),
            Action::Collect => super::cod::collect_cod(id, None, actor, now),
            Action::Return => super::cod::return_cod_order(id, actor, now),
            Action::Refund => return None,
        })
    }
}

/// The gate of shipping: not shipped yet, paid (or cash on delivery), and not closed. The same
/// conditions as `OrderState::apply(Fulfil)`.
pub const SHIPPABLE: &str = "o.fulfillment_status = 'unfulfilled' AND o.status IN ('paid', 'confirmed', 'partially_refunded') \
    AND o.payment_status IN ('paid', 'cod_pending', 'partially_refunded')";
/// The gate of delivery: shipped (a partial refund meanwhile does not stop it).
pub const DELIVERABLE: &str = "o.fulfillment_status = 'shipped' AND o.status IN ('fulfilled', 'partially_refunded') \
    AND o.payment_status IN ('paid', 'cod_pending', 'partially_refunded')";

/// Marks a paid (or cash-on-delivery) order shipped, with its carrier and tracking number, once.
pub fn fulfil_order(order_id: &str, carrier: &str, tracking: &str, actor: &str, now: i64) -> Vec<Sql> {
    let mut batch = super::stock::order_move(order_id, SHIPPABLE, None, OrderStatus::Fulfilled, StockState::Committed, actor, &format!("{carrier} {tracking}"), now, ", fulfillment_status = 'shipped', carrier = ?5, tracking_number = ?6");
    if let Some(flip) = batch.pop() {
        batch.push(flip.bind(carrier).bind(tracking));
    }
    batch
}

/// Marks a shipped order delivered, once.
pub fn deliver_order(order_id: &str, actor: &str, now: i64) -> Vec<Sql> {
    super::stock::order_move(order_id, DELIVERABLE, None, OrderStatus::Delivered, StockState::Committed, actor, "delivered", now, ", fulfillment_status = 'delivered'")
}

/// Puts `audit` right after the statement that flips the order's status, so its `changes()` gate
/// sees that statement.
pub fn with_audit(mut batch: Vec<Sql>, audit: Sql) -> Vec<Sql> {
    let at = super::stock::flip_index(&batch).map_or(batch.len(), |i| i + 1);
    batch.insert(at, audit);
    batch
}

/// The shopper's visitor key for an order: the one its checkout was recorded under.
const ORDER_VISITOR: &str = "COALESCE((SELECT e.visitor FROM shop_events e WHERE e.order_id = o.id AND e.kind = 'checkout_started' ORDER BY e.at LIMIT 1), 'order:' || o.id)";

/// The `order_paid` event of an order that is paid, once, under the shopper's visitor key.
pub fn paid_event_sql(order_id: &str, now: i64) -> Sql {
    let day = super::analytics::day_key(crate::domain::analytics::vn_day(now));
    Sql::new(format!(
        "INSERT INTO shop_events (kind, day, at, visitor, product_id, order_id, amount) \
         SELECT 'order_paid', ?2, ?3, {ORDER_VISITOR}, NULL, o.id, o.total FROM orders o \
         WHERE o.id = ?1 AND o.paid_at IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM shop_events x WHERE x.order_id = o.id AND x.kind = 'order_paid')"
    ))
    .bind(order_id)
    .bind(day)
    .bind(now)
}

/// The `refunded` event of a refund that succeeded, under the shopper's visitor key.
pub fn refunded_event_sql(refund_id: &str, now: i64) -> Sql {
    let day = super::analytics::day_key(crate::domain::analytics::vn_day(now));
    Sql::new(format!(
        "INSERT INTO shop_events (kind, day, at, visitor, product_id, order_id, amount) \
         SELECT 'refunded', ?2, ?3, {ORDER_VISITOR}, NULL, o.id, r.amount FROM refunds r JOIN orders o ON o.id = r.order_id \
         WHERE r.id = ?1 AND r.status = 'succeeded'"
    ))
    .bind(refund_id)
    .bind(day)
    .bind(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(sql: &Sql) {
        let highest = (1..=12).rev().find(|n| sql.text.contains(&format!("?{n}")));
        match highest {
            Some(n) => assert_eq!(n, sql.params.len(), "{}", sql.text),
            None => assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text),
        }
    }

    #[test]
    fn filters_parse_and_bad_ones_are_named() {
        let f = OrderFilter::parse("?status=paid&provider=momo&from=2026-11-01&to=2026-11-03&q=VS-000001&page=2").unwrap();
        assert_eq!(f.status, Some(OrderStatus::Paid));
        let split = OrderFilter::parse("?payment_status=cod_pending&fulfillment_status=shipped").unwrap();
        assert_eq!((split.payment_status, split.fulfillment_status), (Some(PaymentState::CodPending), Some(FulfillmentStatus::Shipped)));
        assert_eq!(split.query(), "?payment_status=cod_pending&fulfillment_status=shipped");
        let sql = orders_list_sql(&split);
        assert!(sql.text.contains("payment_status = ? AND fulfillment_status = ?") && sql.params[..2] == [SqlValue::from("cod_pending"), SqlValue::from("shipped")]);
        assert_eq!(OrderFilter::parse("?payment_status=lost&fulfillment_status=x").unwrap_err().len(), 2);
        assert_eq!(f.page, 2);
        assert_eq!(f.query(), "?status=paid&provider=momo&from=2026-11-01&to=2026-11-03&q=VS-000001");
        let errors = OrderFilter::parse("?status=lost&from=yesterday&page=0").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["status", "from", "page"]);
        assert!(OrderFilter::parse("?from=2026-11-03&to=2026-11-01").is_err());
        assert_eq!(OrderFilter::parse("").unwrap(), OrderFilter { page: 1, ..OrderFilter::default() });
    }

    #[test]
    fn the_list_binds_what_it_filters_on() {
        for q in ["", "?status=paid", "?q=an@x.vn&provider=stripe&from=2026-11-01&to=2026-11-02&page=3", "?q=0901"] {
            let sql = orders_list_sql(&OrderFilter::parse(q).unwrap());
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{q}: {}", sql.text);
        }
        let sql = orders_list_sql(&OrderFilter::parse("?q=a_b").unwrap());
        assert!(sql.params.contains(&SqlValue::Text("a\\_b%".into())));
        assert_eq!(sql.params.last(), Some(&SqlValue::Int(0)));
    }

    #[test]
    fn actions_follow_the_state_machine() {
        use FulfillmentStatus as F;
        use OrderStatus as S;
        use PaymentState as P;
        let st = |status, payment, fulfillment| OrderState { status, payment, fulfillment };
        let paid = st(S::Paid, P::Paid, F::Unfulfilled);
        assert!(Action::Fulfil.allowed(paid, "momo") && !Action::Fulfil.allowed(st(S::PendingPayment, P::Pending, F::Unfulfilled), "momo"));
        assert!(Action::Deliver.allowed(st(S::Fulfilled, P::Paid, F::Shipped), "momo") && !Action::Deliver.allowed(paid, "momo"));
        assert!(Action::Cancel.allowed(st(S::PendingPayment, P::Pending, F::Unfulfilled), "momo") && !Action::Cancel.allowed(paid, "momo"));
        assert!(Action::Refund.allowed(st(S::NeedsRefund, P::Paid, F::Unfulfilled), "momo"));
        assert!(Action::Refund.allowed(st(S::Delivered, P::Paid, F::Delivered), "momo") && !Action::Refund.allowed(st(S::Refunded, P::Refunded, F::Delivered), "momo"));
        assert!(Action::Deliver.allowed(st(S::PartiallyRefunded, P::PartiallyRefunded, F::Shipped), "stripe"), "a partial refund does not block delivery");
        let cod = st(S::Confirmed, P::CodPending, F::Unfulfilled);
        assert!(Action::Fulfil.allowed(cod, COD) && Action::Cancel.allowed(cod, COD) && Action::Collect.allowed(cod, COD));
        assert!(!Action::Return.allowed(cod, COD) && Action::Return.allowed(st(S::Fulfilled, P::CodPending, F::Shipped), COD));
        assert!(!Action::Refund.allowed(st(S::Delivered, P::Paid, F::Delivered), COD), "COD cash is refunded by hand");
        assert!(!Action::Collect.allowed(paid, "momo"));
    }

    #[test]
    fn moves_are_gated_and_audited_right_after_their_flip() {
        for batch in [fulfil_order("o", "GHN", "123", "admin:a", 1), deliver_order("o", "admin:a", 1)] {
            for sql in &batch {
                numbered(sql);
            }
            let audit = Sql::new("INSERT INTO audit_log SELECT 1 WHERE changes() > 0");
            let with = with_audit(batch.clone(), audit);
            let flip = with.iter().position(|s| s.text.starts_with("UPDATE orders SET status")).unwrap();
            assert!(with[flip + 1].text.contains("changes() > 0"));
        }
        let f = fulfil_order("o", "GHN", "123", "a", 1);
        assert!(f.last().unwrap().text.contains("carrier = ?5"));
        assert_eq!(f.last().unwrap().params[4], SqlValue::Text("GHN".into()));
        numbered(&paid_event_sql("o", 1));
        numbered(&refunded_event_sql("r", 1));
    }
}
