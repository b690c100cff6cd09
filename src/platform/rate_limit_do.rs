//! The rate-limit Durable Object: one per (action, client), named `"{action}:{client}"`. It keeps
//! that client's counter for that action (`domain::throttle::Counter`) and answers whether one more
//! request is allowed. One object per key serialises the counting without any race; storage-only
//! work keeps the object's input gate closed, so requests do not interleave inside it.
//!
//! `check` is what handlers call: `Ok(None)` to go on, `Ok(Some(seconds))` to answer 429 with
//! `Retry-After: seconds`.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Headers, Method, Request, RequestInit, Response, Result, State};

use super::config::now;
use super::RATE_LIMITER;
use crate::domain::error::AppError;
use crate::domain::throttle::{Action, Counter, Limit, RateStatus};

#[derive(Serialize, Deserialize)]
struct Ask {
    now: i64,
    limit: Limit,
}

#[derive(Serialize, Deserialize)]
struct Answer {
    retry_after: Option<i64>,
    #[serde(default)]
    status: RateStatus,
}

const COUNTER_KEY: &str = "counter";

#[durable_object]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let ask: Ask = req.json().await?;
        let storage = self.state.storage();
        let mut counter: Counter = storage.get(COUNTER_KEY).await.ok().flatten().unwrap_or_default();
        let retry_after = counter.hit(ask.now, ask.limit).err();
        if retry_after.is_none() {
            storage.put(COUNTER_KEY, &counter).await?;
        }
        let status = RateStatus { retry_after, ..counter.status(ask.now, ask.limit) };
        Response::from_json(&Answer { retry_after, status })
    }
}

/// The limits in force: the defaults of `Action::limit`, or `RATE_LIMITS` entries
/// (`"login=10/60 signup=5/600"`: requests per seconds) where given.
pub fn limit_for(env: &Env, action: Action) -> Limit {
    let configured = env.var("RATE_LIMITS").map(|v| v.to_string()).unwrap_or_default();
    configured
        .split_whitespace()
        .filter_map(|entry| entry.split_once('='))
        .filter(|(name, _)| *name == action.code())
        .find_map(|(_, value)| {
            let (limit, window) = value.split_once('/')?;
            Some(Limit { limit: limit.parse().ok().filter(|n| *n > 0)?, window: window.parse().ok().filter(|n| *n > 0)? })
        })
        .unwrap_or_else(|| action.limit())
}

/// The client a limit counts against: the connecting IP as Cloudflare reports it.
pub fn client(req: &Request) -> String {
    req.headers().get("cf-connecting-ip").ok().flatten().filter(|ip| ip.len() <= 64).unwrap_or_else(|| "unknown".into())
}

/// Counts one `action` by the request's client; `Some(seconds)` when it must wait.
pub async fn check(env: &Env, req: &Request, action: Action) -> std::result::Result<Option<i64>, AppError> {
    Ok(standing(env, req, action).await?.retry_after)
}

/// Counts one `action` by the request's client; over the limit, the 429 that says when to retry
/// (`AppError::TooManyRequests`).
pub async fn within(env: &Env, req: &Request, action: Action) -> std::result::Result<(), AppError> {
    match check(env, req, action).await? {
        Some(retry_after) => Err(AppError::TooManyRequests { retry_after }),
        None => Ok(()),
    }
}

/// `check`, with what is left of the limit (the API's `RateLimit-*` headers).
pub async fn standing(env: &Env, req: &Request, action: Action) -> std::result::Result<RateStatus, AppError> {
    standing_of(env, action, &client(req)).await
}

/// `standing`, counted against `subject` (an API key) instead of the client's address.
pub async fn standing_of(env: &Env, action: Action, subject: &str) -> std::result::Result<RateStatus, AppError> {
    let key = format!("{}:{}", action.code(), subject);
    let namespace = env.durable_object(RATE_LIMITER).map_err(|e| AppError::internal("rate limiter binding", e))?;
    let stub = namespace.id_from_name(&key).and_then(|id| id.get_stub()).map_err(|e| AppError::internal("rate limiter stub", e))?;
    let body = serde_json::to_string(&Ask { now: now(), limit: limit_for(env, action) }).map_err(|e| AppError::internal("rate limit ask", e))?;
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://rate-limiter.internal/", &init).map_err(|e| AppError::internal("rate limit request", e))?;
    let mut response = stub.fetch_with_request(request).await.map_err(|e| AppError::internal("rate limit fetch", e))?;
    let answer: Answer = response.json().await.map_err(|e| AppError::internal("rate limit answer", e))?;
    Ok(RateStatus { retry_after: answer.retry_after, ..answer.status })
}
