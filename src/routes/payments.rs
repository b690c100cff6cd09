//! The real gateways' routes: starting a hosted payment (`/pay/{provider}/{payment}`), the return
//! trip (`/checkout/return/{provider}`), paying an unpaid order another way
//! (`POST /orders/{id}/pay`), the providers' signed notifications (`/webhooks/{provider}`) and
//! refunds for operators (`/internal/orders/{id}/refunds`, bearer `INTERNAL_TOKEN`).
//!
//! Every notification and status answer ends in `app::payments::apply_notice`, like the sandbox's;
//! every refund in `app::refunds::refund`, like the admin panel's.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response, ResponseBuilder};

use super::http::{api_error, html, internal_auth, json_response, parse_json, query_param, redirect, serve_machine, serve_page, Form, Machine, Page};
use super::orders::{authorized_order, load_order, order_location};
use super::Incoming;
use crate::app::db::Db;
use crate::app::orders::{payment_by_id_sql, settle_payment, OrderDetail, OrderRow, PaymentRow};
use crate::app::payments::{apply_notice, new_attempt, record_started, Applied, NoticeError, PaymentNotice};
use crate::app::refunds::{refunds_of_order_sql, RefundError, RefundRequest, RefundRow, Refunded};
use crate::domain::cart::is_cart_id;
use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::orders::OrderStatus;
use crate::domain::payments::{momo, paypal, stripe, zalopay, Attempt, Outcome, PaymentStatus, RefundStatus};
use crate::domain::time::rfc3339;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::platform::{gateways, random};
use crate::views::payments::{confirming_page, handoff_page, unavailable_page, REFRESH_SECONDS};
use crate::views::PageCtx;

/// The payments area's routes (the gateways' pages, notifications and refunds), each named here
/// for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Get, ["pay", rest @ ..]) => serve_page(req, incoming, env, "payments.start", async |p| start_payment(p, &rest.join("/")).await).await,
        (Method::Get, ["checkout", "return", provider @ ..]) => {
            serve_page(req, incoming, env, "payments.return", async |p| return_page(&p.ctx, p.env, &p.config, &provider.join("/"), &p.incoming.query).await).await
        }
        (Method::Post, ["orders", id @ .., "pay"]) => {
            serve_page(req, incoming, env, "payments.pay_another_way", async |p| pay_another_way(&p.ctx, p.env, &p.config, &id.join("/"), &p.form).await).await
        }
        (Method::Post, ["webhooks", "stripe"]) => serve_machine(req, incoming, env, "payments.webhook", async |m| stripe_webhook(m.req, m.env, &m.config, &m.body).await).await,
        (Method::Post, ["webhooks", "paypal"]) => serve_machine(req, incoming, env, "payments.webhook", async |m| paypal_webhook(m.req, m.env, &m.config, &m.body).await).await,
        (Method::Post, ["webhooks", "momo"]) => serve_machine(req, incoming, env, "payments.webhook", async |m| momo_ipn(m.env, &m.config, &m.body).await).await,
        (Method::Post, ["webhooks", "zalopay"]) => serve_machine(req, incoming, env, "payments.webhook", async |m| zalopay_callback(m.env, &m.config, &m.body).await).await,
        (Method::Post, ["internal", "orders", id, "refunds"]) => serve_machine(req, incoming, env, "payments.refund", async |m| refund_order(m, id).await).await,
        (Method::Get, ["internal", "orders", id, "refunds"]) => serve_machine(req, incoming, env, "payments.refunds", async |m| list_refunds(m, id).await).await,
        // Only a POST's body is read here.
        (Method::Post, ["webhooks" | "internal", ..]) => serve_machine(req, incoming, env, "payments.unknown", async |_| Err(AppError::MethodNotAllowed)).await,
        (_, ["webhooks" | "internal", ..]) => {
            incoming.name("payments.unknown");
            api_error(incoming, &AppError::MethodNotAllowed)
        }
        _ => serve_page(req, incoming, env, "payments.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Shopper pages
// ---------------------------------------------------------------------------------------------

/// The attempt and its order, if `token` opens the order; else `NotFound`.
async fn attempt_and_order(env: &Env, config: &Config, provider: &str, payment_id: &str, token: &str) -> Result<(PaymentRow, OrderDetail), AppError> {
    if !is_cart_id(payment_id) {
        return Err(AppError::NotFound);
    }
    let payment: PaymentRow = D1::open(env)?.all(&payment_by_id_sql(payment_id)).await?.into_iter().next().ok_or(AppError::NotFound)?;
    if payment.provider != provider {
        return Err(AppError::NotFound);
    }
    let detail = authorized_order(env, config, &payment.order_id, Some(token)).await?;
    Ok((payment, detail))
}

fn return_url(ctx: &PageCtx, provider: &str, payment_id: &str, token: &str) -> String {
    format!("{}?p={payment_id}&t={token}", ctx.href(&format!("/checkout/return/{provider}")))
}

fn failed_location(order_url: &str, code: Option<&str>) -> String {
    match code {
        Some(code) => format!("{order_url}&payment=failed&code={}", crate::domain::listing::percent_encode(code)),
        None => format!("{order_url}&payment=failed"),
    }
}

/// Sends the shopper to the provider's page: a 303 for API clients; for a browser's navigation
/// (which may be the tail of a form submission, where the CSP forbids a cross-origin redirect) a
/// hand-off page that moves on by itself.
fn to_provider(ctx: &PageCtx, provider: &str, url: &str, navigating: bool) -> Response {
    if navigating {
        html(200, handoff_page(ctx, provider, url).into_string(), vec![("refresh", format!("0; url={url}"))])
    } else {
        redirect(url, Vec::new())
    }
}

/// `GET /pay/{provider}/{payment}?t=…`: creates the provider's hosted payment (once) and sends
/// the shopper there.
async fn start_payment(p: &Page<'_>, rest: &str) -> Result<Response, AppError> {
    let (ctx, env, config, query) = (&p.ctx, p.env, &*p.config, &p.incoming.query);
    let navigating = p.req.headers().get("sec-fetch-mode").ok().flatten().as_deref() == Some("navigate");
    let (provider, payment_id) = rest.split_once('/').ok_or(AppError::NotFound)?;
    let token = query_param(query, "t").unwrap_or_default();
    let (payment, detail) = attempt_and_order(env, config, provider, payment_id, &token).await?;
    let order_url = order_location(ctx, &detail.order.id, &token);
    let now = now();
    if provider == crate::domain::payments::bank::PROVIDER {
        return Ok(redirect(&order_url, Vec::new()));
    }
    if detail.order.status != OrderStatus::PendingPayment || payment.status == PaymentStatus::Succeeded || detail.order.expires_at <= now {
        return Ok(redirect(&order_url, Vec::new()));
    }
    if payment.status != PaymentStatus::Pending {
        return Ok(redirect(&failed_location(&order_url, payment.failure_code.as_deref()), Vec::new()));
    }
    if let Some(url) = &payment.redirect_url {
        return Ok(to_provider(ctx, provider, url, navigating));
    }
    let back = format!("{}{}", ctx.origin, return_url(ctx, provider, payment_id, &token));
    let attempt = Attempt {
        payment_id,
        order_id: &detail.order.id,
        order_number: &detail.order.number,
        amount: payment.amount,
        email: &detail.order.email,
        locale: ctx.locale.code(),
        cancel_url: format!("{back}&cancelled=1"),
        return_url: back,
        notify_url: format!("{}/webhooks/{provider}", ctx.origin),
        now,
        expires_at: detail.order.expires_at,
    };
    match gateways::start(config, provider, &attempt).await {
        Ok(started) => {
            let db = D1::open(env)?;
            db.batch(&[record_started(payment_id, &started, now)]).await?;
            // Two quick clicks may both start: the first recorded page wins.
            let recorded: Option<PaymentRow> = db.all(&payment_by_id_sql(payment_id)).await?.into_iter().next();
            let url = recorded.and_then(|p| p.redirect_url).unwrap_or(started.redirect_url);
            Ok(to_provider(ctx, provider, &url, navigating))
        }
        Err(AppError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            worker::console_error!("starting {provider} payment {payment_id}: {e}");
            Ok(html(502, unavailable_page(ctx, provider, &order_url).into_string(), Vec::new()))
        }
    }
}

/// Applies a verified notice now; a rejection is logged with what disagreed.
pub(super) async fn apply(db: &D1, n: &PaymentNotice<'_>) -> Result<Applied, NoticeError> {
    let applied = apply_notice(db, n, now()).await;
    if let Err(e @ (NoticeError::Unknown | NoticeError::Mismatch { .. })) = &applied {
        worker::console_warn!("{} notice {} for payment {} rejected: {e}", n.provider, n.event_id, n.payment_id);
    }
    applied
}

/// `GET /checkout/return/{provider}?p=…&t=…`: where the provider sends the shopper back. Paid →
/// the order page; declined or cancelled → the order page with the reason and the other methods;
/// not known yet → "confirming payment…", reloading itself, asking the provider each time.
async fn return_page(ctx: &PageCtx, env: &Env, config: &Config, provider: &str, query: &str) -> Result<Response, AppError> {
    let payment_id = query_param(query, "p").unwrap_or_default();
    let token = query_param(query, "t").unwrap_or_default();
    let (payment, detail) = attempt_and_order(env, config, provider, &payment_id, &token).await?;
    let order_url = order_location(ctx, &detail.order.id, &token);
    let back = |paid: bool, page: String| Ok(redirect(&super::orders::after_payment(&detail.order, paid, page), Vec::new()));
    if detail.order.status != OrderStatus::PendingPayment {
        return back(detail.order.paid_at.is_some(), order_url.clone());
    }
    let now = now();
    if query_param(query, "cancelled").as_deref() == Some("1") {
        if payment.status == PaymentStatus::Pending {
            if let Err(e) = gateways::close(config, &payment).await {
                worker::console_warn!("closing {provider} payment {payment_id}: {e}");
            }
            D1::open(env)?.batch(&[settle_payment(&payment.id, PaymentStatus::Cancelled, now)]).await?;
        }
        return back(false, failed_location(&order_url, None));
    }
    if payment.status.is_unsuccessful() {
        return back(false, failed_location(&order_url, payment.failure_code.as_deref()));
    }
    let check_url = return_url(ctx, provider, &payment_id, &token);
    let confirming = || {
        let page = confirming_page(ctx, &detail, provider, &check_url, &order_url).into_string();
        Ok(html(200, page, vec![("refresh", format!("{REFRESH_SECONDS}; url={check_url}"))]))
    };
    let answer = match gateways::query(config, &payment, now).await {
        Ok(Some(answer)) => answer,
        Ok(None) => return confirming(),
        Err(e) => {
            worker::console_warn!("{provider} status query for payment {payment_id}: {e}");
            return confirming();
        }
    };
    if answer.outcome == Outcome::Pending {
        return confirming();
    }
    let raw = format!("status query: {:?}", answer.outcome);
    match apply(&D1::open(env)?, &PaymentNotice::verified(provider, &answer, &raw)).await {
        Ok(_) => {}
        Err(NoticeError::Db(e)) => return Err(e.into()),
        Err(NoticeError::Unknown | NoticeError::Mismatch { .. }) => return confirming(),
    }
    match &answer.outcome {
        Outcome::Paid { .. } => back(true, order_url.clone()),
        Outcome::Failed { code } => back(false, failed_location(&order_url, Some(code))),
        Outcome::Cancelled => back(false, failed_location(&order_url, None)),
        Outcome::Pending => confirming(),
    }
}

/// What the order page says about a failed attempt (MoMo's documented result codes get their own
/// sentence).
pub fn failure_text(ctx: &PageCtx, detail: &OrderDetail, code: Option<&str>) -> Option<String> {
    let code = code?;
    let last = detail.payments.last()?;
    (last.provider == "momo").then(|| momo::failure_message(code, ctx.locale == Locale::En).to_string())
}

/// `POST /orders/{id}/pay` (`provider`, `t`): a new attempt for an unpaid order with the method the
/// shopper picked; its units stay reserved until the order expires.
async fn pay_another_way(ctx: &PageCtx, env: &Env, config: &Config, order_id: &str, form: &Form) -> Result<Response, AppError> {
    let get = |key: &str| form.trimmed(key).to_string();
    let token = get("t");
    let detail = authorized_order(env, config, order_id, Some(&token)).await?;
    let order_url = order_location(ctx, &detail.order.id, &token);
    let provider = get("provider");
    let providers = config.online_providers();
    let Some(provider) = providers.iter().find(|p| **p == provider) else {
        return Err(AppError::Invalid(vec![FieldError { field: "payment_provider", problem: Problem::UnknownChoice }]));
    };
    let payment_id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let results = D1::open(env)?.batch(&new_attempt(&detail.order.id, &payment_id, provider, now())).await?;
    let inserted = results.first().is_some_and(|r| r.changes() > 0);
    // A bank transfer is paid from the order page (its QR code and details), not a provider's page.
    if !inserted || *provider == crate::domain::payments::bank::PROVIDER {
        // No longer payable (paid, expired or cancelled meanwhile): the order page says which.
        return Ok(redirect(&order_url, Vec::new()));
    }
    Ok(redirect(&format!("{}?t={token}", ctx.href(&format!("/pay/{provider}/{payment_id}"))), Vec::new()))
}

// ---------------------------------------------------------------------------------------------
// Webhooks and refunds
// ---------------------------------------------------------------------------------------------

fn rejected_json(status: u16, code: &str, message: &str) -> Response {
    json_response(status, &json!({"error": {"code": code, "message": message, "fields": {}}}))
}

/// Stripe, PayPal and MoMo answer a rejection with a 4xx (they retry on anything but 2xx).
fn webhook_answer(result: Result<Applied, NoticeError>, ok: impl FnOnce(Applied) -> Response) -> Result<Response, AppError> {
    match result {
        Ok(applied) => Ok(ok(applied)),
        Err(NoticeError::Unknown) => Ok(rejected_json(404, "unknown_payment", "No such payment.")),
        Err(NoticeError::Mismatch { .. }) => Ok(rejected_json(400, "mismatch", "The notification does not match the payment on record.")),
        Err(NoticeError::Db(e)) => Err(e.into()),
    }
}

/// Maps a rejection of a sandbox notification to the errors the sandbox answers with.
pub fn rejection(r: NoticeError) -> AppError {
    match r {
        NoticeError::Unknown => AppError::NotFound,
        NoticeError::Mismatch { .. } => AppError::Invalid(vec![FieldError { field: "amount", problem: Problem::BadValue }]),
        NoticeError::Db(e) => e.into(),
    }
}

fn received(applied: Applied) -> Response {
    json_response(200, &json!({"received": true, "applied": format!("{applied:?}")}))
}

/// `POST /webhooks/stripe`: `Stripe-Signature` checked on the raw body (400 when it fails, as
/// Stripe's docs do), then the event applied.
async fn stripe_webhook(req: &Request, env: &Env, config: &Config, body: &str) -> Result<Response, AppError> {
    let c = config.gateways.stripe.as_ref().ok_or(AppError::NotFound)?;
    let header = req.headers().get(stripe::SIGNATURE_HEADER).ok().flatten().unwrap_or_default();
    if let Err(e) = stripe::verify(&c.webhook_secret, &header, body, now()) {
        worker::console_warn!("stripe webhook refused: {e:?}");
        return Ok(rejected_json(400, "bad_signature", "The Stripe-Signature header does not verify."));
    }
    match stripe::parse_event(body) {
        Err(e) => Ok(rejected_json(400, "bad_event", &e.to_string())),
        Ok(None) => Ok(json_response(200, &json!({"received": true, "applied": "Ignored"}))),
        Ok(Some(v)) => webhook_answer(apply(&D1::open(env)?, &PaymentNotice::verified("stripe", &v, body)).await, received),
    }
}

/// `POST /webhooks/paypal`: PayPal's verify-webhook-signature API decides; then the event applied.
async fn paypal_webhook(req: &Request, env: &Env, config: &Config, body: &str) -> Result<Response, AppError> {
    config.gateways.paypal.as_ref().ok_or(AppError::NotFound)?;
    let headers: Vec<(&str, String)> = paypal::WEBHOOK_HEADERS.iter().map(|(h, _)| (*h, req.headers().get(h).ok().flatten().unwrap_or_default())).collect();
    if headers.iter().any(|(_, v)| v.is_empty()) || !gateways::paypal_verify(config, &headers, body).await? {
        worker::console_warn!("paypal webhook refused: verification failed");
        return Ok(rejected_json(400, "bad_signature", "PayPal did not verify this webhook."));
    }
    match paypal::parse_event(body) {
        Err(e) => Ok(rejected_json(400, "bad_event", &e.to_string())),
        Ok(None) => Ok(json_response(200, &json!({"received": true, "applied": "Ignored"}))),
        Ok(Some(v)) => webhook_answer(apply(&D1::open(env)?, &PaymentNotice::verified("paypal", &v, body)).await, received),
    }
}

/// `POST /webhooks/momo`: the IPN's signature over its documented raw string; answered 204.
async fn momo_ipn(env: &Env, config: &Config, body: &str) -> Result<Response, AppError> {
    let c = config.gateways.momo.as_ref().ok_or(AppError::NotFound)?;
    let Ok(ipn) = serde_json::from_str::<momo::Ipn>(body) else { return Ok(rejected_json(400, "bad_ipn", "Not a MoMo IPN.")) };
    if !ipn.verify(c) {
        worker::console_warn!("momo IPN for {} refused: bad signature", ipn.order_id);
        return Ok(rejected_json(400, "bad_signature", "The IPN signature does not verify."));
    }
    let v = ipn.verified();
    webhook_answer(apply(&D1::open(env)?, &PaymentNotice::verified("momo", &v, body)).await, |_| ResponseBuilder::new().with_status(204).empty())
}

/// `POST /webhooks/zalopay`: mac over the raw `data` with key2; always answered 200 with the
/// documented `return_code` (1 done, 2 already done, -1 bad mac, 0 not applied: retry).
async fn zalopay_callback(env: &Env, config: &Config, body: &str) -> Result<Response, AppError> {
    let c = config.gateways.zalopay.as_ref().ok_or(AppError::NotFound)?;
    let reply = |code: i64, message: &str| {
        let mut r = crate::platform::edge_cache::Rendered::new(200, "application/json; charset=utf-8", zalopay::callback_reply(code, message));
        r.headers.push(("access-control-allow-origin", "*".into()));
        crate::platform::edge_cache::respond(r, crate::domain::http_cache::NO_STORE, None)
    };
    let v = match zalopay::verify_callback(&c.key2, body) {
        Ok(v) => v,
        Err(zalopay::CallbackError::BadMac) => {
            worker::console_warn!("zalopay callback refused: mac not equal");
            return Ok(reply(-1, "mac not equal"));
        }
        Err(zalopay::CallbackError::Malformed) => return Ok(reply(-1, "invalid callback data")),
    };
    Ok(match apply(&D1::open(env)?, &PaymentNotice::verified("zalopay", &v, body)).await {
        Ok(Applied::Unchanged) => reply(2, "already processed"),
        Ok(_) => reply(1, "success"),
        Err(NoticeError::Unknown) => reply(0, "unknown order"),
        Err(NoticeError::Mismatch { .. }) => reply(0, "order mismatch"),
        Err(NoticeError::Db(e)) => {
            worker::console_error!("zalopay callback: {e}");
            reply(0, "try again")
        }
    })
}

#[derive(Deserialize)]
struct RefundBody {
    /// The whole refundable amount when absent.
    amount: Option<Vnd>,
    #[serde(default)]
    reason: String,
    idempotency_key: Option<String>,
}

fn refund_json(r: &RefundRow) -> Value {
    json!({
        "id": r.id, "order_id": r.order_id, "payment_id": r.payment_id, "provider": r.provider,
        "amount": r.amount, "currency": r.currency, "provider_amount": r.provider_amount, "provider_currency": r.provider_currency,
        "status": r.status, "reason": r.reason, "external_id": r.external_id, "failure": r.failure, "created_at": rfc3339(r.created_at),
    })
}

fn order_json(o: &OrderRow) -> Value {
    json!({"id": o.id, "number": o.number, "status": o.status, "total": o.total, "refunded_total": o.refunded_total})
}

/// `POST /internal/orders/{id}/refunds` `{amount?, reason?}` with an `Idempotency-Key` header (or
/// `idempotency_key`): refunds by amount through the provider that was paid (`app::refunds`).
async fn refund_order(m: &Machine<'_>, order_id: &str) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let (req, env, config, body) = (m.req, m.env, &*m.config, m.body.as_str());
    let b: RefundBody = parse_json(if body.trim().is_empty() { "{}" } else { body })?;
    let key = req.headers().get("idempotency-key").ok().flatten().or(b.idempotency_key).filter(|k| !k.is_empty() && k.len() <= 255);
    let Some(key) = key else { return Err(AppError::Invalid(vec![FieldError { field: "idempotency_key", problem: Problem::Required }])) };
    let request = RefundRequest { order_id, key: &key, amount: b.amount, reason: &b.reason, actor: "admin", on_success: Vec::new() };
    match refund(&D1::open(env)?, config, request).await? {
        Ok(done) => {
            let status = refund_status(&done);
            Ok(json_response(status, &json!({"refund": refund_json(&done.refund), "replayed": done.replayed, "order": order_json(&done.order)})))
        }
        Err(e) => {
            let refused = refund_refused(e)?;
            let mut error = json!({"code": refused.code, "message": refused.message, "fields": {}});
            if let Some(r) = refused.refundable {
                error["refundable"] = json!(r);
            }
            let mut body = json!({"error": error});
            if let Some(r) = &refused.refund {
                body["refund"] = refund_json(r);
            }
            Ok(json_response(refused.status, &body))
        }
    }
}

/// Runs `app::refunds::refund` against D1 and the providers, with a fresh id for a new claim.
pub(super) async fn refund(db: &D1, config: &Config, request: RefundRequest<'_>) -> Result<Result<Refunded, RefundError>, AppError> {
    let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    Ok(crate::app::refunds::refund(db, &gateways::Provider(config), request, &id, now()).await)
}

/// The status of a refund that went through: 200 when the key replays an earlier refund, 201 when
/// it succeeded now, 202 while the provider is still processing it.
pub(super) fn refund_status(done: &Refunded) -> u16 {
    match (done.replayed, done.refund.status) {
        (true, _) => 200,
        (false, RefundStatus::Succeeded) => 201,
        (false, _) => 202,
    }
}

/// A refused refund, as the internal API and the admin panel answer it.
pub(super) struct RefundRefused {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub refundable: Option<Vnd>,
    /// The claim, when one was made (pending or failed).
    pub refund: Option<RefundRow>,
}

/// The one mapping of a refund's refusal to HTTP; errors that are not refusals (an unknown order,
/// a bad amount, the database) become the `AppError` they are.
pub(super) fn refund_refused(e: RefundError) -> Result<RefundRefused, AppError> {
    let refused = |status: u16, code: &'static str, message: String| RefundRefused { status, code, message, refundable: None, refund: None };
    Ok(match e {
        RefundError::NotFound => return Err(AppError::NotFound),
        RefundError::BadAmount { max } => return Err(AppError::Invalid(vec![FieldError { field: "amount", problem: Problem::OutOfRange { min: 1, max: max.minor() } }])),
        RefundError::Db(e) => return Err(e.into()),
        RefundError::KeyReused => refused(409, "idempotency_key_reused", "This key was used for another order's refund.".into()),
        RefundError::NoPayment => refused(409, "not_refundable", "The order has no successful payment.".into()),
        RefundError::ExceedsRefundable { refundable } => RefundRefused {
            refundable: Some(refundable),
            ..refused(409, "exceeds_refundable", format!("At most {} VND can still be refunded.", refundable.minor()))
        },
        RefundError::NotRefundable { status } => refused(409, "not_refundable", format!("An order that is {status} cannot be refunded by that amount.")),
        RefundError::Unconvertible => refused(409, "not_refundable", "The amount cannot be converted for the provider.".into()),
        RefundError::Taken => refused(409, "exceeds_refundable", "Another refund took what was left to refund.".into()),
        RefundError::ProviderUnavailable { refund } => {
            RefundRefused { refund: Some(refund), ..refused(502, "provider_unavailable", "The provider did not answer; retry with the same key.".into()) }
        }
        RefundError::ProviderRefused { message, refund } => RefundRefused { refund, ..refused(502, "provider_refused", message) },
    })
}

/// `GET /internal/orders/{id}/refunds`: the order's refunds, newest last.
async fn list_refunds(m: &Machine<'_>, order_id: &str) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let env = m.env;
    let detail = load_order(env, order_id).await?.ok_or(AppError::NotFound)?;
    let refunds: Vec<RefundRow> = D1::open(env)?.all(&refunds_of_order_sql(order_id)).await?;
    Ok(json_response(
        200,
        &json!({"order": {"id": detail.order.id, "status": detail.order.status, "total": detail.order.total, "refunded_total": detail.order.refunded_total},
                "refunds": refunds.iter().map(refund_json).collect::<Vec<_>>()}),
    ))
}
