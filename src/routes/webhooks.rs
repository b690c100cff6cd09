//! The webhooks area: notifications under `/webhooks/` that are not a real gateway's (those are the
//! payments area's) — the sandbox provider's signed notice (`POST /webhooks/sandbox`), which the
//! sandbox pay page also applies through `apply_sandbox_notice` — and the bank feed's transactions
//! (`POST /webhooks/bank`, bank transfer with VietQR; `app::bank`) — and Cloudflare Stream's news
//! about review videos (`POST /webhooks/stream`, `app::review_videos`).

use serde_json::json;
use worker::{Env, Method, Request, Response};

use super::http::{json_response, serve_machine, Machine};
use super::Incoming;
use crate::app::bank::{receive_transfer, Received};
use crate::app::payments::{Applied, NoticeError, PaymentNotice};
use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::payments::bank;
use crate::domain::sandbox;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;

/// The webhooks area's routes, each named here for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Post, ["webhooks", "sandbox"]) => serve_machine(req, incoming, env, "webhooks.sandbox", sandbox_webhook).await,
        (Method::Post, ["webhooks", "bank"]) => serve_machine(req, incoming, env, "webhooks.bank", bank_webhook).await,
        (Method::Post, ["webhooks", "stream"]) => serve_machine(req, incoming, env, "webhooks.stream", stream_webhook).await,
        _ => serve_machine(req, incoming, env, "webhooks.unknown", async |_| Err(AppError::MethodNotAllowed)).await,
    }
}

/// `POST /webhooks/stream`: Cloudflare Stream's news about a review video, signed
/// (`Webhook-Signature: time=…,sig1=…` over `time.body`, five minutes, `domain::stream`). A forged,
/// unsigned or stale one is 401 and changes nothing; the same one twice moves the video once
/// (`app::review_videos::apply`). Without Stream's webhook secret the route does not exist.
async fn stream_webhook(m: &Machine<'_>) -> Result<Response, AppError> {
    let secret = m.config.stream.as_ref().and_then(|s| s.webhook_secret.as_deref()).ok_or(AppError::NotFound)?;
    let header = m.req.headers().get(crate::domain::stream::SIGNATURE_HEADER).ok().flatten().ok_or(AppError::Unauthorized)?;
    crate::domain::stream::verify_webhook(secret.as_bytes(), &header, &m.body, now()).map_err(|_| AppError::Unauthorized)?;
    let video = crate::domain::stream::Video::parse(&m.body).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "uid", problem: Problem::BadValue }]))?;
    let applied = crate::app::review_videos::apply(&D1::open(m.env)?, &video, now()).await?;
    let applied = match applied {
        crate::app::review_videos::Applied::Moved(state) => state.code(),
        crate::app::review_videos::Applied::Unchanged => "unchanged",
        crate::app::review_videos::Applied::Unknown => "unknown",
    };
    Ok(json_response(200, &json!({"received": true, "applied": applied})))
}

/// `POST /webhooks/sandbox` with the signature header: applied (200) or refused.
async fn sandbox_webhook(m: &Machine<'_>) -> Result<Response, AppError> {
    let header = m.req.headers().get(sandbox::SIGNATURE_HEADER).ok().flatten();
    let applied = apply_sandbox_notice(m.env, &m.config, &m.body, header.as_deref()).await?;
    Ok(json_response(200, &json!({"received": true, "applied": format!("{applied:?}")})))
}

/// Verifies the sandbox's signature on the raw body, then applies the notice like a gateway's.
pub(super) async fn apply_sandbox_notice(env: &Env, config: &Config, body: &str, header: Option<&str>) -> Result<Applied, AppError> {
    let secret = config.sandbox_secret.as_deref().ok_or(AppError::NotFound)?;
    let header = header.ok_or(AppError::Unauthorized)?;
    sandbox::verify(secret.as_bytes(), header, body, now()).map_err(|_| AppError::Unauthorized)?;
    let n: sandbox::Notification = serde_json::from_str(body).map_err(|_| AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }]))?;
    // Only the two outcomes the provider defines; anything else is a malformed notification, not a
    // failed payment.
    let Some(outcome) = n.outcome() else {
        return Err(AppError::Invalid(vec![FieldError { field: "status", problem: Problem::UnknownChoice }]));
    };
    let notice = PaymentNotice {
        provider: "sandbox",
        event_id: &n.event_id,
        payment_id: &n.payment_id,
        order_id: Some(&n.order_id),
        amount: n.amount,
        currency: &n.currency,
        outcome: &outcome,
        external_id: None,
        raw: body,
    };
    super::payments::apply(&D1::open(env)?, &notice).await.map_err(super::payments::rejection)
}

/// `POST /webhooks/bank`: one transaction of the bank feed (SePay's JSON), authenticated by
/// `Authorization: Apikey <BANK_WEBHOOK_API_KEY>` (401 otherwise). Stored once under its id and
/// applied or queued for a manager (`app::bank::receive_transfer`); answered `{"success": true}`
/// with 200 as SePay expects, for a duplicate too, so the feed stops retrying. Not served (404)
/// without a key configured.
async fn bank_webhook(m: &Machine<'_>) -> Result<Response, AppError> {
    let key = m.config.bank_webhook_key.as_deref().ok_or(AppError::NotFound)?;
    let header = m.req.headers().get("authorization").ok().flatten();
    if !bank::authorized(header.as_deref(), key) {
        return Err(AppError::Unauthorized);
    }
    let transfer = bank::parse_transfer(&m.body).map_err(|bank::BadTransfer(field)| AppError::Invalid(vec![FieldError { field, problem: Problem::BadValue }]))?;
    // A feed watching several accounts: only money into the shop's own account pays an order.
    if m.config.bank.as_ref().is_some_and(|b| !transfer.is_for(&b.account)) {
        return Ok(json_response(200, &json!({"success": true, "outcome": "other_account"})));
    }
    let received = receive_transfer(&D1::open(m.env)?, &transfer, &m.body, now()).await.map_err(|e| match e {
        NoticeError::Db(e) => AppError::from(e),
        other => AppError::Internal(format!("bank transaction {}: {other}", transfer.id).into()),
    })?;
    if let Received::Queued(reason) = received {
        worker::console_warn!("bank transaction {} waits for reconciliation: {}", transfer.id, reason.code());
    }
    let outcome = match received {
        Received::Applied(applied) => format!("{applied:?}").to_lowercase(),
        Received::Queued(reason) => format!("queued:{}", reason.code()),
        Received::Duplicate => "duplicate".into(),
        Received::Ignored => "ignored".into(),
    };
    Ok(json_response(200, &json!({"success": true, "outcome": outcome})))
}
