//! The gateways over HTTP: sends what `domain::payments` builds to each provider's API (base URL
//! from a Worker var, so tests point it at a local fake) and reads the answers back with the same
//! module. Thin: every request body, header and signature is built and tested in the domain, and
//! what a refund answer means is decided in `app::refunds` ([`Provider`] is its `RefundGateway`).

use worker::Env;

use super::config::Config;
use super::http::{send, Answer};
use crate::app::orders::PaymentRow;
use crate::app::payments::PageCloser;
use crate::app::refunds::{ProviderAnswer, RefundAsk, RefundGateway, RefundRow};
use crate::domain::error::AppError;
use crate::domain::payments::{momo, paypal, stripe, zalopay, Attempt, GatewayError, Gateways, RefundResult, RefundStatus, Started, Verified};

/// Reads every gateway's configuration from the Worker's vars and secrets.
pub fn from_env(env: &Env) -> Gateways {
    Gateways::from_lookup(|name| {
        env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string())).filter(|v| !v.trim().is_empty())
    })
}

fn refused(provider: &str, what: &str, e: GatewayError) -> AppError {
    AppError::Internal(format!("{provider} {what}: {e}").into())
}

async fn paypal_token(c: &crate::domain::payments::PaypalConfig) -> Result<String, AppError> {
    let a = send(&paypal::token_request(c)).await?;
    paypal::parse_token(a.status, &a.body).map_err(|e| refused("paypal", "token", e))
}

/// Creates the provider's hosted payment for an attempt.
pub async fn start(config: &Config, provider: &str, attempt: &Attempt<'_>) -> Result<Started, AppError> {
    let g = &config.gateways;
    let started = match provider {
        "stripe" => {
            let c = g.stripe.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&stripe::create_session(c, attempt)).await?;
            stripe::parse_created(a.status, &a.body)
        }
        "paypal" => {
            let c = g.paypal.as_ref().ok_or(AppError::NotFound)?;
            let token = paypal_token(c).await?;
            let (request, cents) = paypal::create_order(c, attempt, &token).ok_or_else(|| AppError::Internal("PAYPAL_VND_PER_USD is unusable".into()))?;
            let a = send(&request).await?;
            paypal::parse_created(a.status, &a.body, cents, &c.vnd_per_usd)
        }
        "momo" => {
            let c = g.momo.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&momo::create(c, attempt)).await?;
            momo::parse_created(&a.body, attempt.amount)
        }
        "zalopay" => {
            let c = g.zalopay.as_ref().ok_or(AppError::NotFound)?;
            let (request, trans_id) = zalopay::create(c, attempt);
            let a = send(&request).await?;
            zalopay::parse_created(&a.body, &trans_id, attempt.amount)
        }
        _ => return Err(AppError::NotFound),
    };
    started.map_err(|e| refused(provider, "create", e))
}

/// Asks the provider where a started attempt stands (the return page, when the notification is
/// late). PayPal's approved orders are captured here: that is how PayPal takes the money.
pub async fn query(config: &Config, payment: &PaymentRow, now: i64) -> Result<Option<Verified>, AppError> {
    let g = &config.gateways;
    let Some(external) = payment.external_id.as_deref() else { return Ok(None) };
    let answer = match payment.provider.as_str() {
        "stripe" => {
            let c = g.stripe.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&stripe::retrieve_session(c, external)).await?;
            stripe::parse_session(a.status, &a.body)
        }
        "paypal" => {
            let c = g.paypal.as_ref().ok_or(AppError::NotFound)?;
            let token = paypal_token(c).await?;
            let a = send(&paypal::get_order(c, external, &token)).await?;
            let approved = serde_json::from_str::<serde_json::Value>(&a.body).ok().and_then(|v| v.get("status").and_then(|s| s.as_str().map(String::from)));
            let a: Answer = if approved.as_deref() == Some("APPROVED") { send(&paypal::capture(c, external, &payment.id, &token)).await? } else { a };
            paypal::parse_order(a.status, &a.body)
        }
        "momo" => {
            let c = g.momo.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&momo::query(c, &payment.id, &format!("{}-q{now}", payment.id))).await?;
            momo::parse_query(&a.body)
        }
        "zalopay" => {
            let c = g.zalopay.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&zalopay::query(c, external)).await?;
            zalopay::parse_query(&a.body, external)
        }
        _ => return Ok(None),
    };
    answer.map(Some).map_err(|e| refused(&payment.provider, "query", e))
}

/// The providers' refund APIs, for `app::refunds::refund`.
pub struct Provider<'a>(pub &'a Config);

impl RefundGateway for Provider<'_> {
    async fn refund(&self, ask: &RefundAsk, now: i64) -> ProviderAnswer {
        let (id, provider) = (&ask.refund.id, &ask.payment.provider);
        match refund(self.0, &ask.payment, &ask.refund, &ask.order_number, now).await {
            Ok(Ok(result)) => ProviderAnswer::Accepted(result),
            Ok(Err(refusal)) => {
                worker::console_warn!("refund {id} refused by {provider}: {refusal}");
                ProviderAnswer::Refused(refusal)
            }
            Err(e) => {
                worker::console_error!("refund {id} at {provider}: {e}");
                ProviderAnswer::Unreachable
            }
        }
    }
}

/// Refunds at the provider. The outer error is a transport failure (the refund stays pending and a
/// retry with the same key asks again); the inner one is the provider's refusal.
async fn refund(config: &Config, payment: &PaymentRow, r: &RefundRow, number: &str, now: i64) -> Result<Result<RefundResult, GatewayError>, AppError> {
    let g = &config.gateways;
    let missing = || GatewayError::Refused { code: "no_charge".into(), message: "the payment has no charge id to refund".into() };
    if payment.provider == "sandbox" {
        // The local provider holds no money: its refunds succeed at once.
        return Ok(Ok(RefundResult { external_id: Some(format!("sandbox-refund-{}", r.id)), status: RefundStatus::Succeeded }));
    }
    let Some(charge) = payment.charge_id.as_deref() else { return Ok(Err(missing())) };
    let description = format!("Vestify refund {number}");
    Ok(match payment.provider.as_str() {
        "stripe" => {
            let c = g.stripe.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&stripe::create_refund(c, charge, r.provider_amount, &r.id)).await?;
            stripe::parse_refund(a.status, &a.body)
        }
        "paypal" => {
            let c = g.paypal.as_ref().ok_or(AppError::NotFound)?;
            let token = paypal_token(c).await?;
            let a = send(&paypal::refund(c, charge, r.provider_amount, &r.id, &token)).await?;
            paypal::parse_refund(a.status, &a.body)
        }
        "momo" => {
            let c = g.momo.as_ref().ok_or(AppError::NotFound)?;
            let a = send(&momo::refund(c, charge, r.provider_amount, &r.id, &description)).await?;
            momo::parse_refund(&a.body)
        }
        "zalopay" => {
            let c = g.zalopay.as_ref().ok_or(AppError::NotFound)?;
            let m_refund_id = zalopay::refund_id(r.created_at, &c.app_id, &r.id);
            let a = send(&zalopay::refund(c, charge, r.provider_amount, &m_refund_id, &description, now * 1000)).await?;
            zalopay::parse_refund(&a.body)
        }
        _ => Err(missing()),
    })
}

/// Closes an attempt's hosted page at the provider, where the provider has such a call (Stripe).
pub async fn close(config: &Config, payment: &PaymentRow) -> Result<(), AppError> {
    if let (Some(c), "stripe", Some(session)) = (config.gateways.stripe.as_ref(), payment.provider.as_str(), payment.external_id.as_deref()) {
        let a = send(&stripe::expire_session(c, session)).await?;
        // 400 when it is already expired or complete: nothing left to close.
        if a.status >= 500 {
            return Err(AppError::Internal(format!("stripe expire {session}: {}", a.status).into()));
        }
    }
    Ok(())
}

/// Closes hosted pages through the providers' APIs: the sweep's `app::payments::PageCloser`.
/// Only Stripe has such a call; it is offered once Stripe is configured.
pub struct Pages<'a>(pub &'a Config);

impl PageCloser for Pages<'_> {
    fn providers(&self) -> &[&'static str] {
        if self.0.gateways.stripe.is_some() {
            &["stripe"]
        } else {
            &[]
        }
    }

    async fn close(&self, payment: &PaymentRow) -> bool {
        match close(self.0, payment).await {
            Ok(()) => true,
            Err(e) => {
                worker::console_warn!("closing the {} page of payment {}: {e}", payment.provider, payment.id);
                false
            }
        }
    }
}

/// Asks PayPal whether a webhook is genuine (its verify-webhook-signature API).
pub async fn paypal_verify(config: &Config, headers: &[(&str, String)], raw: &str) -> Result<bool, AppError> {
    let c = config.gateways.paypal.as_ref().ok_or(AppError::NotFound)?;
    let token = paypal_token(c).await?;
    let a = send(&paypal::verify_request(c, headers, raw, &token)).await?;
    Ok(paypal::parse_verification(a.status, &a.body))
}
