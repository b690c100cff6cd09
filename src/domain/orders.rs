//! The order state machine. Every status change goes through `transition`, which refuses illegal
//! moves, so the SQL that applies a change can be conditional on the state it came from.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Fulfilled,
    Delivered,
    Expired,
    Cancelled,
    Refunded,
    PartiallyRefunded,
    /// Paid after it expired, when its stock was gone: the money must go back.
    NeedsRefund,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Delivered,
        OrderStatus::Expired,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
        OrderStatus::NeedsRefund,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Delivered => "delivered",
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

/// The legal moves: `pending_payment → paid → fulfilled → delivered`; `pending_payment → expired |
/// cancelled`; `paid → cancelled` (with refund); `paid/fulfilled/delivered → refunded |
/// partially_refunded`; a late payment revives an expired or cancelled order, or marks it
/// `needs_refund` when its stock is gone.
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
        (S::Paid, E::Fulfil) => (S::Fulfilled, StockEffect::None),
        (S::Fulfilled, E::Deliver) => (S::Delivered, StockEffect::None),
        (S::Paid | S::Fulfilled | S::Delivered | S::PartiallyRefunded, E::Refund { full: true }) => (S::Refunded, StockEffect::None),
        (S::Paid | S::Fulfilled | S::Delivered | S::PartiallyRefunded, E::Refund { full: false }) => {
            (S::PartiallyRefunded, StockEffect::None)
        }
        (S::NeedsRefund, E::Refund { full: true }) => (S::Refunded, StockEffect::None),
        _ => return Err(IllegalTransition { from, event }),
    };
    Ok(next)
}

/// Human order numbers: `VS-000123`.
pub fn order_number(sequence: i64) -> String {
    format!("VS-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn status_codes_round_trip() {
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
