//! Applies a verified payment notification to its order: the same path for the local sandbox and,
//! later, every real gateway. Each step is gated in SQL on the state it changes, so a redelivered or
//! out-of-order notification changes nothing twice; the provider's event id is recorded last.

use super::config::now;
use super::d1::Db;
use crate::app::orders::{payment_by_id_sql, record_payment_event, settle_payment, OrderRow, PaymentRow, order_by_id_sql};
use crate::app::stock;
use crate::domain::error::AppError;
use crate::domain::orders::OrderStatus;

#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Paid,
    Revived,
    NeedsRefund,
    Failed,
    /// Nothing to change (a duplicate, or an order already past this point).
    Unchanged,
}

pub struct PaymentNotice<'a> {
    pub provider: &'a str,
    pub event_id: &'a str,
    pub payment_id: &'a str,
    pub order_id: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub succeeded: bool,
    pub raw: &'a str,
}

/// Cross-checks the notice against D1 (payment, order, amount, currency) and applies it.
pub async fn apply(db: &Db, n: &PaymentNotice<'_>) -> Result<Applied, AppError> {
    let payment: PaymentRow = db.all(&payment_by_id_sql(n.payment_id)).await?.into_iter().next().ok_or(AppError::NotFound)?;
    if payment.order_id != n.order_id || payment.amount != n.amount || payment.currency != n.currency || payment.provider != n.provider {
        worker::console_warn!(
            "payment {} notice mismatch: order {} vs {}, amount {} vs {}, currency {} vs {}",
            n.payment_id, n.order_id, payment.order_id, n.amount, payment.amount, n.currency, payment.currency
        );
        return Err(AppError::Invalid(vec![crate::domain::listing::FieldError {
            field: "amount",
            problem: crate::domain::listing::Problem::BadValue,
        }]));
    }
    let now = now();
    let actor = format!("payment:{}", n.provider);
    let outcome = if n.succeeded {
        db.batch(&[settle_payment(n.payment_id, "succeeded", now)]).await?;
        let results = db.batch(&stock::pay_order(n.order_id, now, &actor)).await?;
        let flipped = results.last().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) > 0;
        let order: OrderRow = db.all(&order_by_id_sql(n.order_id)).await?.into_iter().next().ok_or(AppError::NotFound)?;
        match OrderStatus::parse(&order.status) {
            Some(OrderStatus::Expired | OrderStatus::Cancelled) if order.stock_state == "released" => {
                // Paid after it expired: take the stock again if it is still there, else flag a refund.
                match db.batch(&stock::revive_paid_order(n.order_id, now, &actor)).await {
                    Ok(_) => Applied::Revived,
                    Err(e) => {
                        worker::console_warn!("order {} paid late, stock gone: {e}", n.order_id);
                        db.batch(&stock::mark_needs_refund(n.order_id, now, &actor)).await?;
                        Applied::NeedsRefund
                    }
                }
            }
            _ if flipped => Applied::Paid,
            _ => Applied::Unchanged,
        }
    } else {
        db.batch(&[settle_payment(n.payment_id, "failed", now)]).await?;
        Applied::Failed
    };
    db.batch(&[record_payment_event(n.provider, n.event_id, n.payment_id, if n.succeeded { "succeeded" } else { "failed" }, n.raw, now)])
        .await?;
    Ok(outcome)
}
