//! Applies a verified payment notification to its order: the same path for the local sandbox and
//! every real gateway (webhooks and the return page's status queries). Each step is gated in SQL
//! on the state it changes, so a redelivered or out-of-order notification changes nothing twice;
//! the provider's event id is recorded last, and an id already recorded is answered at once.

use super::config::now;
use super::d1::D1;
use crate::app::db::Db;
use crate::app::orders::{order_by_id_sql, payment_by_id_sql, record_payment_event, settle_payment, OrderRow, PaymentRow};
use crate::app::payments::{event_seen_sql, note_notification};
use crate::app::stock;
use crate::domain::error::AppError;
use crate::domain::orders::OrderStatus;
use crate::domain::payments::Outcome;

#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Paid,
    Revived,
    NeedsRefund,
    Failed,
    Cancelled,
    /// Nothing to change (a duplicate, a still-pending status, or an order already past this point).
    Unchanged,
}

pub struct PaymentNotice<'a> {
    pub provider: &'a str,
    pub event_id: &'a str,
    pub payment_id: &'a str,
    /// The order the provider echoes back, when it does; must be the payment's.
    pub order_id: Option<&'a str>,
    /// The provider-side amount and currency (USD cents for PayPal).
    pub amount: i64,
    pub currency: &'a str,
    pub outcome: &'a Outcome,
    /// The provider's id for the attempt, when the notice names it; must be the one recorded.
    pub external_id: Option<&'a str>,
    pub raw: &'a str,
}

/// Why a notice was not applied.
#[derive(Debug)]
pub enum Rejected {
    /// No such payment (an unknown order).
    Unknown,
    /// Payment, order, amount, currency or provider disagree with D1.
    Mismatch,
    Failed(AppError),
}

impl From<AppError> for Rejected {
    fn from(e: AppError) -> Self {
        Rejected::Failed(e)
    }
}

impl From<crate::app::db::DbError> for Rejected {
    fn from(e: crate::app::db::DbError) -> Self {
        Rejected::Failed(e.into())
    }
}

#[derive(serde::Deserialize)]
struct Seen {
    #[expect(dead_code, reason = "only the row's existence matters")]
    event_id: String,
}

/// Cross-checks the notice against D1 (payment, order, amount, currency, provider) and applies it.
pub async fn apply(db: &D1, n: &PaymentNotice<'_>) -> Result<Applied, Rejected> {
    if !db.all::<Seen>(&event_seen_sql(n.provider, n.event_id)).await?.is_empty() {
        return Ok(Applied::Unchanged);
    }
    let payment: PaymentRow = db.all(&payment_by_id_sql(n.payment_id)).await?.into_iter().next().ok_or(Rejected::Unknown)?;
    let expected_amount = payment.provider_amount.unwrap_or(payment.amount);
    let expected_currency = payment.provider_currency.clone().unwrap_or_else(|| payment.currency.clone());
    let order_matches = n.order_id.is_none_or(|o| o == payment.order_id);
    let attempt_matches = match (n.external_id, payment.external_id.as_deref()) {
        (Some(given), Some(recorded)) => given == recorded,
        _ => true,
    };
    if !order_matches || !attempt_matches || expected_amount != n.amount || !expected_currency.eq_ignore_ascii_case(n.currency) || payment.provider != n.provider {
        worker::console_warn!(
            "{} notice {} for payment {} rejected: order {:?} vs {}, amount {} vs {}, currency {} vs {}, provider {}",
            n.provider, n.event_id, n.payment_id, n.order_id, payment.order_id, n.amount, expected_amount, n.currency, expected_currency, payment.provider
        );
        return Err(Rejected::Mismatch);
    }
    let now = now();
    let actor = format!("payment:{}", n.provider);
    let order_id = payment.order_id.as_str();
    let (charge, failure) = match n.outcome {
        Outcome::Paid { charge_id } => (charge_id.as_deref(), None),
        Outcome::Failed { code } => (None, Some(code.as_str())),
        _ => (None, None),
    };
    db.batch(&[note_notification(n.payment_id, charge, failure, n.raw, now)]).await?;
    let outcome = match n.outcome {
        Outcome::Paid { .. } => {
            db.batch(&[settle_payment(n.payment_id, "succeeded", now)]).await?;
            let results = db.batch(&stock::pay_order(order_id, now, &actor)).await?;
            let flipped = results.last().map(|r| r.changes()).unwrap_or(0) > 0;
            let order: OrderRow = db.all(&order_by_id_sql(order_id)).await?.into_iter().next().ok_or(Rejected::Unknown)?;
            match OrderStatus::parse(&order.status) {
                Some(OrderStatus::Expired | OrderStatus::Cancelled) if order.stock_state == "released" => {
                    // Paid after it expired: take the stock again if it is still there, else flag a refund.
                    match db.batch(&stock::revive_paid_order(order_id, now, &actor)).await {
                        Ok(_) => Applied::Revived,
                        Err(e) => {
                            worker::console_warn!("order {order_id} paid late, stock gone: {e}");
                            db.batch(&stock::mark_needs_refund(order_id, now, &actor)).await?;
                            Applied::NeedsRefund
                        }
                    }
                }
                _ if flipped => Applied::Paid,
                _ => {
                    if order.paid_at.is_some() {
                        worker::console_warn!("order {order_id} already paid; {} payment {} also succeeded and may need a refund", n.provider, n.payment_id);
                    }
                    Applied::Unchanged
                }
            }
        }
        Outcome::Failed { .. } => {
            db.batch(&[settle_payment(n.payment_id, "failed", now)]).await?;
            Applied::Failed
        }
        Outcome::Cancelled => {
            db.batch(&[settle_payment(n.payment_id, "cancelled", now)]).await?;
            Applied::Cancelled
        }
        // Not decided: nothing is recorded, so the decision, when it comes, is not taken for a duplicate.
        Outcome::Pending => return Ok(Applied::Unchanged),
    };
    if matches!(outcome, Applied::Paid | Applied::Revived) {
        // The funnel's last step; best-effort (a failure is logged, the payment stands).
        if let Err(e) = db.batch(&[crate::app::admin_orders::paid_event_sql(order_id, now)]).await {
            worker::console_warn!("order_paid event of {order_id} not recorded: {e}");
        }
    }
    let kind = n.outcome.payment_status().unwrap_or("pending");
    db.batch(&[record_payment_event(n.provider, n.event_id, n.payment_id, kind, n.raw, now)]).await?;
    Ok(outcome)
}
