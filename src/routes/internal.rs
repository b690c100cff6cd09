//! The internal area: operators' endpoints behind the bearer `INTERNAL_TOKEN` (`/internal/…`):
//! forcing a cart's alarm, running the expiry sweep or the recommendations pass, promotions,
//! analytics and scoring a text's sentiment. Refunds
//! (`/internal/orders/{id}/refunds`) are the payments area's.

use worker::{Env, Method, Request, Response};

use super::cart::{cart_call, reply_json};
use super::http::{internal_auth, json_response, serve_machine, Machine};
use super::Incoming;
use crate::app::cart::CartCall;
use crate::domain::cart::CartId;
use crate::domain::error::AppError;

/// The internal area's routes, each named here for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Post, ["internal", "carts", id, "alarm"]) => serve_machine(req, incoming, env, "internal.cart_alarm", async |m| run_cart_alarm(m, id).await).await,
        (_, ["internal", "promotions", ..]) => serve_machine(req, incoming, env, "internal.promotions", async |m| promotions(m, &segments).await).await,
        (_, ["internal", "analytics" | "analytics.csv", ..]) => {
            serve_machine(req, incoming, env, "internal.analytics", async |m| super::analytics::internal(m.req, m.incoming, m.env, &segments).await).await
        }
        (Method::Post, ["internal", "outbox", "run"]) => serve_machine(req, incoming, env, "internal.outbox_run", run_outbox).await,
        (Method::Get, ["internal", "outbox"]) => serve_machine(req, incoming, env, "internal.outbox", list_outbox).await,
        (Method::Post, ["internal", "sweep"]) => serve_machine(req, incoming, env, "internal.sweep", run_sweep).await,
        (Method::Post, ["internal", "recommendations"]) => serve_machine(req, incoming, env, "internal.recommendations", run_recommendations).await,
        (Method::Post, ["internal", "sentiment"]) => serve_machine(req, incoming, env, "internal.sentiment", score_sentiment).await,
        (Method::Get, ["internal", "health"]) => serve_machine(req, incoming, env, "internal.health", health).await,
        _ => serve_machine(req, incoming, env, "internal.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

/// `GET /internal/health`: this isolate's own WebAssembly memory (`memory.size`, in 64 KiB pages and
/// bytes). A production isolate has 128 MB; the benchmark reads this before and after its runs to
/// see whether the Worker's memory grows (workerd's process size says nothing about ours). Also
/// whether catalog pages read D1 replicas, and the bookmark they read from (`domain::replication`).
async fn health(m: &Machine<'_>) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let pages = core::arch::wasm32::memory_size(0);
    let version = crate::platform::edge_cache::catalog_version(m.env).await;
    let bookmark = crate::platform::edge_cache::catalog_bookmark();
    Ok(json_response(
        200,
        &serde_json::json!({
            "wasm_memory_pages": pages,
            "wasm_memory_bytes": pages * 65_536,
            "catalog_version": version,
            "read_replication": {"enabled": m.config.read_replication, "catalog_bookmark": bookmark},
        }),
    ))
}

/// `POST /internal/carts/{id}/alarm`: runs the cart's alarm now (tests, operators).
async fn run_cart_alarm(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let id = CartId::parse(id).ok_or(AppError::NotFound)?;
    reply_json(cart_call(m.env, &id, &CartCall::RunAlarm).await?, false)
}

/// `/internal/promotions…` (see `routes::promotions`).
async fn promotions(m: &Machine<'_>, segments: &[&str]) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    super::promotions::internal(m.incoming, m.env, segments, &m.body).await
}

/// `POST /internal/sweep`: the cron's sweep, now.
async fn run_sweep(m: &Machine<'_>) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let report = crate::platform::sweep::run(m.env).await?;
    Ok(json_response(200, &report))
}

/// `POST /internal/recommendations`: the recommendation lists' pass now (what the cron runs nightly),
/// then a new catalog version; answers what it read and wrote.
async fn run_recommendations(m: &Machine<'_>) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let report = crate::platform::recs::run_now(m.env).await?;
    Ok(json_response(200, &serde_json::json!(report)))
}

/// `POST /internal/sentiment` `{"text": …}`: the text's sentiment and aspects (`app::sentiment`).
async fn score_sentiment(m: &Machine<'_>) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let scored = crate::app::sentiment::score_request(&m.body)?;
    let body = serde_json::to_value(&scored).map_err(|e| AppError::internal("sentiment", e))?;
    Ok(json_response(200, &body))
}

/// `POST /internal/outbox/run`: one delivery pass now (what the cron runs every minute), after
/// the campaigns' queueing pass (`campaigns`: started, queued, finished) and the back-in-stock
/// follow-up waves (`follow_up_waves`: shoppers reached).
async fn run_outbox(m: &Machine<'_>) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let campaigns = crate::platform::mail::queue_campaigns(m.env).await?;
    let waves = crate::platform::mail::queue_follow_up_waves(m.env).await?;
    let report = crate::platform::mail::deliver(m.env).await?;
    let mut body = serde_json::json!(report);
    body["campaigns"] = serde_json::json!(campaigns);
    body["follow_up_waves"] = serde_json::json!(waves);
    Ok(json_response(200, &body))
}

/// `GET /internal/outbox?to=<email or phone>`: that recipient's messages, oldest first.
async fn list_outbox(m: &Machine<'_>) -> Result<Response, AppError> {
    internal_auth(m.req, &m.config)?;
    let to = crate::domain::http::query_param(&m.incoming.query, "to").filter(|t| !t.trim().is_empty()).ok_or_else(|| AppError::Invalid(vec![crate::domain::listing::FieldError { field: "to", problem: crate::domain::listing::Problem::Required }]))?;
    let db = crate::platform::d1::D1::open(m.env)?;
    let messages: Vec<crate::app::outbox::Listed> = crate::app::db::Db::all(&db, &crate::app::outbox::recipient_messages_sql(&to)).await?;
    Ok(json_response(200, &serde_json::json!({ "messages": messages })))
}
