//! The order state machine. Every status change goes through `transition`, which refuses illegal
//! moves, so the SQL that applies a change can be conditional on the state it came from.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    /// Accepted without payment (cash on delivery): its stock is sold, the cash comes later.
    Confirmed,
    Paid,
    Fulfilled,
    Delivered,
    /// A parcel that came back ("hoàn hàng"), its units back on sale.
    Returned,
    Expired,
    Cancelled,
    Refunded,
    PartiallyRefunded,
    /// Paid after it expired, when its stock was gone: the money must go back.
    NeedsRefund,
}

impl OrderStatus {
    /// Whether the shopper may download the order's invoice: a sale that took place (confirmed for
    /// cash on delivery, or paid), refunded or not. An unpaid, expired, cancelled or returned order
    /// sold nothing; an order awaiting a refund for stock that was gone never shipped.
    pub fn has_invoice(self) -> bool {
        matches!(self, OrderStatus::Confirmed | OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Delivered | OrderStatus::Refunded | OrderStatus::PartiallyRefunded)
    }

    pub const ALL: [OrderStatus; 11] = [
        OrderStatus::PendingPayment,
        OrderStatus::Confirmed,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Delivered,
        OrderStatus::Returned,
        OrderStatus::Expired,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
        OrderStatus::NeedsRefund,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Returned => "returned",
            OrderStatus::Expired => "expired",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::NeedsRefund => "needs_refund",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.code() == s)
    }

    /// Whether the shopper has paid for it (and so it holds or has consumed stock).
    pub fn is_paid(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Delivered | OrderStatus::PartiallyRefunded)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where an order's units stand: held for it while unpaid, sold once paid, or back on sale after it
/// expired or was cancelled unpaid. Stock moves are gated on it in SQL (`app::stock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockState {
    Reserved,
    Committed,
    Released,
}

impl StockState {
    pub fn code(self) -> &'static str {
        match self {
            StockState::Reserved => "reserved",
            StockState::Committed => "committed",
            StockState::Released => "released",
        }
    }
}

impl fmt::Display for StockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What happened to an order; the state machine decides where that leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    /// A verified payment. `stock_available` says whether an expired order's stock can be taken again.
    PaymentSucceeded { stock_available: bool },
    Expire,
    Cancel,
    Fulfil,
    Deliver,
    Refund { full: bool },
    /// The shop records the cash of a cash-on-delivery order as collected.
    Collect,
    /// A shipped cash-on-delivery parcel came back to the shop ("hoàn hàng").
    Return,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub event: OrderEvent,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an order that is {} cannot {:?}", self.from, self.event)
    }
}

/// What stock must do alongside a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockEffect {
    None,
    /// Reserved units become sold: `on_hand -= q, reserved -= q`.
    Commit,
    /// Reserved units go back on sale: `reserved -= q`.
    Release,
    /// Stock was already released (expired order paid late): take it again from what is available.
    Retake,
    /// Sold units come back (cancel after payment): `on_hand += q`.
    Restock,
}

/// The legal moves of the headline status: `pending_payment → paid → fulfilled → delivered`;
/// `pending_payment → expired | cancelled`; `paid → cancelled` (with refund);
/// `paid/fulfilled/delivered → refunded | partially_refunded`; a late payment revives an expired or
/// cancelled order, or marks it `needs_refund` when its stock is gone. Cash on delivery:
/// `confirmed → fulfilled → delivered`, `confirmed → cancelled` (stock back), `fulfilled →
/// returned` (stock back); collecting the cash leaves the headline as it is. A partially refunded
/// order may still ship and be delivered: whether it has shipped is the fulfilment status's to say
/// ([`OrderState::apply`]).
pub fn transition(from: OrderStatus, event: OrderEvent) -> Result<(OrderStatus, StockEffect), IllegalTransition> {
    use OrderEvent as E;
    use OrderStatus as S;
    let next = match (from, event) {
        (S::PendingPayment, E::PaymentSucceeded { .. }) => (S::Paid, StockEffect::Commit),
        (S::Expired | S::Cancelled, E::PaymentSucceeded { stock_available: true }) => (S::Paid, StockEffect::Retake),
        (S::Expired | S::Cancelled, E::PaymentSucceeded { stock_available: false }) => (S::NeedsRefund, StockEffect::None),
        (S::PendingPayment, E::Expire) => (S::Expired, StockEffect::Release),
        (S::PendingPayment, E::Cancel) => (S::Cancelled, StockEffect::Release),
        (S::Paid, E::Cancel) => (S::Cancelled, StockEffect::Restock),
        (S::Paid | S::Confirmed | S::PartiallyRefunded, E::Fulfil) => (S::Fulfilled, StockEffect::None),
        (S::Fulfilled | S::PartiallyRefunded, E::Deliver) => (S::Delivered, StockEffect::None),
        (S::Confirmed, E::Cancel) => (S::Cancelled, StockEffect::Restock),
        (S::Fulfilled, E::Return) => (S::Returned, StockEffect::Restock),
        (S::Confirmed | S::Fulfilled | S::Delivered, E::Collect) => (from, StockEffect::None),
        (S::Paid | S::Fulfilled | S::Delivered | S::PartiallyRefunded, E::Refund { full: true }) => (S::Refunded, StockEffect::None),
        (S::Paid | S::Fulfilled | S::Delivered | S::PartiallyRefunded, E::Refund { full: false }) => {
            (S::PartiallyRefunded, StockEffect::None)
        }
        (S::NeedsRefund, E::Refund { full: true }) => (S::Refunded, StockEffect::None),
        _ => return Err(IllegalTransition { from, event }),
    };
    Ok(next)
}

/// Where an order's money stands, kept beside its status (as Shopify keeps a financial status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// An online payment is awaited.
    Pending,
    /// Cash on delivery, not collected yet.
    CodPending,
    Paid,
    PartiallyRefunded,
    Refunded,
    /// Nothing was or will be paid: expired, cancelled unpaid, a COD parcel returned.
    Voided,
}

impl PaymentState {
    pub const ALL: [PaymentState; 6] =
        [PaymentState::Pending, PaymentState::CodPending, PaymentState::Paid, PaymentState::PartiallyRefunded, PaymentState::Refunded, PaymentState::Voided];

    pub fn code(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::CodPending => "cod_pending",
            PaymentState::Paid => "paid",
            PaymentState::PartiallyRefunded => "partially_refunded",
            PaymentState::Refunded => "refunded",
            PaymentState::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentState> {
        PaymentState::ALL.into_iter().find(|st| st.code() == s)
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where an order's parcel stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    Unfulfilled,
    Shipped,
    Delivered,
    /// Came back to the shop ("hoàn hàng").
    Returned,
}

impl FulfillmentStatus {
    pub const ALL: [FulfillmentStatus; 4] = [FulfillmentStatus::Unfulfilled, FulfillmentStatus::Shipped, FulfillmentStatus::Delivered, FulfillmentStatus::Returned];

    pub fn code(self) -> &'static str {
        match self {
            FulfillmentStatus::Unfulfilled => "unfulfilled",
            FulfillmentStatus::Shipped => "shipped",
            FulfillmentStatus::Delivered => "delivered",
            FulfillmentStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<FulfillmentStatus> {
        FulfillmentStatus::ALL.into_iter().find(|st| st.code() == s)
    }
}

impl fmt::Display for FulfillmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An order's three statuses together: the headline, the money and the parcel. Every decision
/// about what may happen next is [`OrderState::apply`]'s; the SQL of each move is gated on the
/// same conditions (`app::stock`, `app::admin_orders`, `app::cod`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderState {
    pub status: OrderStatus,
    pub payment: PaymentState,
    pub fulfillment: FulfillmentStatus,
}

impl OrderState {
    /// What `event` leads to, and what stock must do, or why it may not happen now.
    pub fn apply(self, event: OrderEvent) -> Result<(OrderState, StockEffect), IllegalTransition> {
        use FulfillmentStatus as F;
        use OrderEvent as E;
        use PaymentState as P;
        let illegal = IllegalTransition { from: self.status, event };
        let (status, stock) = transition(self.status, event)?;
        let payment = match (self.payment, event) {
            (P::Pending | P::Voided, E::PaymentSucceeded { .. }) => P::Paid,
            (P::Pending, E::Expire | E::Cancel) => P::Voided,
            (P::CodPending, E::Cancel | E::Return) => P::Voided,
            (P::Paid | P::PartiallyRefunded, E::Cancel) => self.payment,
            (P::Paid | P::CodPending | P::PartiallyRefunded, E::Fulfil | E::Deliver) => self.payment,
            (P::CodPending, E::Collect) => P::Paid,
            (P::Paid | P::PartiallyRefunded, E::Refund { full: true }) => P::Refunded,
            (P::Paid | P::PartiallyRefunded, E::Refund { full: false }) => P::PartiallyRefunded,
            _ => return Err(illegal),
        };
        let fulfillment = match (self.fulfillment, event) {
            (F::Unfulfilled, E::Fulfil) => F::Shipped,
            (F::Shipped, E::Deliver) => F::Delivered,
            (F::Shipped, E::Return) => F::Returned,
            (F::Unfulfilled, E::Cancel | E::Expire) => F::Unfulfilled,
            (_, E::Fulfil | E::Deliver | E::Return | E::Cancel | E::Expire) => return Err(illegal),
            (f, _) => f,
        };
        Ok((OrderState { status, payment, fulfillment }, stock))
    }
}

/// Human order numbers: `VS-000123`.
pub fn order_number(sequence: i64) -> String {
    format!("VS-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sale_that_took_place_has_an_invoice_for_the_shopper() {
        let with: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.has_invoice()).collect();
        assert_eq!(with, [OrderStatus::Confirmed, OrderStatus::Paid, OrderStatus::Fulfilled, OrderStatus::Delivered, OrderStatus::Refunded, OrderStatus::PartiallyRefunded]);
    }
    use OrderEvent as E;
    use OrderStatus as S;

    #[test]
    fn the_happy_path_commits_stock_once_at_payment() {
        let (s, fx) = transition(S::PendingPayment, E::PaymentSucceeded { stock_available: true }).unwrap();
        assert_eq!((s, fx), (S::Paid, StockEffect::Commit));
        assert_eq!(transition(s, E::Fulfil).unwrap(), (S::Fulfilled, StockEffect::None));
        assert_eq!(transition(S::Fulfilled, E::Deliver).unwrap(), (S::Delivered, StockEffect::None));
    }

    #[test]
    fn unpaid_orders_release_stock_when_they_expire_or_are_cancelled() {
        assert_eq!(transition(S::PendingPayment, E::Expire).unwrap(), (S::Expired, StockEffect::Release));
        assert_eq!(transition(S::PendingPayment, E::Cancel).unwrap(), (S::Cancelled, StockEffect::Release));
    }

    #[test]
    fn expiring_twice_is_refused_so_stock_is_released_once() {
        assert!(transition(S::Expired, E::Expire).is_err());
        assert!(transition(S::Paid, E::Expire).is_err());
        assert!(transition(S::Cancelled, E::Expire).is_err());
    }

    #[test]
    fn a_late_payment_is_never_lost() {
        assert_eq!(transition(S::Expired, E::PaymentSucceeded { stock_available: true }).unwrap(), (S::Paid, StockEffect::Retake));
        assert_eq!(
            transition(S::Expired, E::PaymentSucceeded { stock_available: false }).unwrap(),
            (S::NeedsRefund, StockEffect::None)
        );
        assert!(transition(S::Paid, E::PaymentSucceeded { stock_available: true }).is_err(), "a duplicate payment changes nothing");
    }

    #[test]
    fn refunds_only_after_payment() {
        assert!(transition(S::PendingPayment, E::Refund { full: true }).is_err());
        for from in [S::Paid, S::Fulfilled, S::Delivered, S::PartiallyRefunded] {
            assert_eq!(transition(from, E::Refund { full: false }).unwrap().0, S::PartiallyRefunded);
            assert_eq!(transition(from, E::Refund { full: true }).unwrap().0, S::Refunded);
        }
        assert!(transition(S::Refunded, E::Refund { full: true }).is_err());
    }

    #[test]
    fn illegal_moves_are_refused() {
        let illegal = [
            (S::PendingPayment, E::Fulfil),
            (S::PendingPayment, E::Deliver),
            (S::Paid, E::Deliver),
            (S::Delivered, E::Cancel),
            (S::Refunded, E::Fulfil),
            (S::NeedsRefund, E::Fulfil),
        ];
        for (from, event) in illegal {
            assert!(transition(from, event).is_err(), "{from} {event:?}");
        }
    }

    fn state(status: S, payment: PaymentState, fulfillment: FulfillmentStatus) -> OrderState {
        OrderState { status, payment, fulfillment }
    }

    #[test]
    fn a_cod_order_ships_is_delivered_and_then_its_cash_is_collected() {
        use FulfillmentStatus as F;
        use PaymentState as P;
        let placed = state(S::Confirmed, P::CodPending, F::Unfulfilled);
        let (shipped, fx) = placed.apply(E::Fulfil).unwrap();
        assert_eq!((shipped, fx), (state(S::Fulfilled, P::CodPending, F::Shipped), StockEffect::None));
        let (delivered, _) = shipped.apply(E::Deliver).unwrap();
        assert_eq!(delivered, state(S::Delivered, P::CodPending, F::Delivered));
        let (collected, fx) = delivered.apply(E::Collect).unwrap();
        assert_eq!((collected, fx), (state(S::Delivered, P::Paid, F::Delivered), StockEffect::None));
        assert!(collected.apply(E::Collect).is_err(), "collected once");
        assert!(placed.apply(E::Refund { full: true }).is_err(), "no refund of cash never collected");
    }

    #[test]
    fn a_cod_order_gives_its_stock_back_when_cancelled_before_shipping_or_returned() {
        use FulfillmentStatus as F;
        use PaymentState as P;
        let placed = state(S::Confirmed, P::CodPending, F::Unfulfilled);
        assert_eq!(placed.apply(E::Cancel).unwrap(), (state(S::Cancelled, P::Voided, F::Unfulfilled), StockEffect::Restock));
        let shipped = state(S::Fulfilled, P::CodPending, F::Shipped);
        assert!(shipped.apply(E::Cancel).is_err(), "a shipped parcel comes back as a return, not a cancel");
        let (returned, fx) = shipped.apply(E::Return).unwrap();
        assert_eq!((returned, fx), (state(S::Returned, P::Voided, F::Returned), StockEffect::Restock));
        assert!(returned.apply(E::Return).is_err(), "returned once");
        assert!(placed.apply(E::Return).is_err(), "nothing comes back that never left");
        assert!(state(S::Fulfilled, P::Paid, F::Shipped).apply(E::Return).is_err(), "a paid parcel is refunded instead");
    }

    #[test]
    fn a_partial_refund_on_a_shipped_order_does_not_block_delivery() {
        use FulfillmentStatus as F;
        use PaymentState as P;
        let shipped = state(S::Fulfilled, P::Paid, F::Shipped);
        let (refunded, _) = shipped.apply(E::Refund { full: false }).unwrap();
        assert_eq!(refunded, state(S::PartiallyRefunded, P::PartiallyRefunded, F::Shipped));
        let (delivered, _) = refunded.apply(E::Deliver).unwrap();
        assert_eq!(delivered, state(S::Delivered, P::PartiallyRefunded, F::Delivered));
        let unshipped = state(S::PartiallyRefunded, P::PartiallyRefunded, F::Unfulfilled);
        assert!(unshipped.apply(E::Deliver).is_err(), "not delivered before it ships");
        assert_eq!(unshipped.apply(E::Fulfil).unwrap().0, state(S::Fulfilled, P::PartiallyRefunded, F::Shipped));
    }

    #[test]
    fn online_payments_keep_their_payment_status_beside_the_headline() {
        use FulfillmentStatus as F;
        use PaymentState as P;
        let pending = state(S::PendingPayment, P::Pending, F::Unfulfilled);
        assert_eq!(pending.apply(E::PaymentSucceeded { stock_available: true }).unwrap().0, state(S::Paid, P::Paid, F::Unfulfilled));
        assert_eq!(pending.apply(E::Expire).unwrap().0, state(S::Expired, P::Voided, F::Unfulfilled));
        assert!(pending.apply(E::Collect).is_err(), "only cash on delivery is collected");
        assert!(state(S::Paid, P::Paid, F::Unfulfilled).apply(E::Deliver).is_err());
    }

    #[test]
    fn status_codes_round_trip() {
        for s in PaymentState::ALL {
            assert_eq!(PaymentState::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
        }
        for s in FulfillmentStatus::ALL {
            assert_eq!(FulfillmentStatus::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
        }
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()), "serde writes the stored text");
        }
        for s in [StockState::Reserved, StockState::Committed, StockState::Released] {
            assert_eq!(serde_json::from_value::<StockState>(serde_json::json!(s.code())).unwrap(), s);
        }
        assert_eq!(order_number(123), "VS-000123");
        assert_eq!(order_number(1_234_567), "VS-1234567");
    }
}
