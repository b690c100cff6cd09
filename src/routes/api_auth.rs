//! API tokens for app clients and the endpoints they open (docs/SECURITY.md, "API tokens"):
//!
//! - `POST /api/v1/auth/token` `{email, password}` → a 15-minute HS256 access token and a refresh
//!   token (a new family);
//! - `POST /api/v1/auth/refresh` `{refresh_token}` → rotates it (a spent token replayed revokes the
//!   family);
//! - `POST /api/v1/auth/logout` `{refresh_token}` → revokes the family;
//! - `GET /api/v1/me`, `/api/v1/me/orders`, `/api/v1/me/orders/{id}` with `Authorization: Bearer`.
//!
//! Nothing here reads a cookie: a browser's session is not an identity for the API, so a cross-site
//! page cannot act with it. The POST bodies must be `application/json`, which a cross-site page can
//! only send after a CORS preflight that is never granted. Every answer is `no-store`.

use serde_json::{json, Value};
use worker::{Env, Method, Request, Response};

use super::http::{error_body, read_body};
use super::orders::{load_order, order_json};
use super::Incoming;
use crate::app::accounts::{attach_guest_orders_sql, customer_by_email_sql, orders_page_sql, CustomerRow, OrderSummaryRow};
use crate::app::sign_in::{attempt, Attempt};
use crate::app::api_tokens::{
    insert_first_sql, is_refresh_token, live_family_customer_sql, revoke_family_sql, rotate_batch, RefreshRow, ROTATE_RESULT, ROTATE_SPEND,
};
use crate::app::sql::Sql;
use crate::domain::error::AppError;
use crate::domain::http_cache;
use crate::domain::jwt::{self, Claims, ACCESS_TOKEN_SECONDS};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::throttle::Action;
use crate::domain::time::rfc3339;
use crate::platform::accounts::verify_password;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::app::db::{Db, Rows};
use crate::platform::edge_cache::{respond, Rendered};
use crate::platform::{random, rate_limit_do};

const JSON: &str = "application/json; charset=utf-8";
/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "vestify-api";

/// The API account area's routes; each arm names its route for the request log, then runs it.
pub async fn handle(mut req: Request, incoming: &Incoming, env: &Env) -> Response {
    let config = Config::from_env(env);
    let segments: Vec<&str> = incoming.path.trim_start_matches("/api/v1/").split('/').collect();
    let method = incoming.method.clone();
    let result = match (method, segments.as_slice()) {
        (Method::Post, ["auth", "token"]) => {
            incoming.name("api.auth.token");
            with_json_body(&mut req, incoming, async |req, body| issue(req, incoming, env, &config, body).await).await
        }
        (Method::Post, ["auth", "refresh"]) => {
            incoming.name("api.auth.refresh");
            with_json_body(&mut req, incoming, async |req, body| refresh(req, incoming, env, &config, body).await).await
        }
        (Method::Post, ["auth", "logout"]) => {
            incoming.name("api.auth.logout");
            with_json_body(&mut req, incoming, async |req, body| logout(req, incoming, env, body).await).await
        }
        (Method::Get, ["me"]) => {
            incoming.name("api.me");
            me(&req, env, &config).await
        }
        (Method::Get, ["me", "orders"]) => {
            incoming.name("api.me.orders");
            my_orders(&req, env, &config).await
        }
        (Method::Get, ["me", "orders", id]) => {
            incoming.name("api.me.order");
            my_order(&req, env, &config, id).await
        }
        (_, ["auth", "token" | "refresh" | "logout"]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "POST"))
        }
        (_, ["me"] | ["me", "orders"] | ["me", "orders", _]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "GET"))
        }
        _ => {
            incoming.name("api.account.unknown");
            Err(AppError::NotFound)
        }
    };
    result.unwrap_or_else(|e| error(incoming, &e))
}

/// Runs `handler` with the request's JSON object body, or answers the body's refusal (415, 400).
async fn with_json_body<H>(req: &mut Request, incoming: &Incoming, handler: H) -> Result<Response, AppError>
where
    H: AsyncFnOnce(&Request, &Value) -> Result<Response, AppError>,
{
    match json_body(req, incoming).await {
        Ok(body) => handler(req, &body).await,
        Err(refusal) => Ok(refusal),
    }
}

// --- answers -----------------------------------------------------------------------------------

fn answer(status: u16, value: &Value, headers: Vec<(&'static str, String)>) -> Response {
    let mut rendered = Rendered::new(status, JSON, value.to_string());
    rendered.headers = headers;
    respond(rendered, http_cache::NO_STORE, None)
}

fn error(incoming: &Incoming, e: &AppError) -> Response {
    respond(error_body(incoming, e), http_cache::NO_STORE, None)
}

/// An error in the API's format with its own code.
fn refuse(status: u16, code: &str, message: &str) -> Response {
    answer(status, &json!({"error": {"code": code, "message": message, "fields": {}}}), Vec::new())
}

fn not_allowed(incoming: &Incoming, allow: &str) -> Response {
    let response = error(incoming, &AppError::MethodNotAllowed);
    let _ = response.headers().set("allow", allow);
    response
}

/// Counts the request against `action`'s limit, with its `RateLimit-*` headers on the answer;
/// `Some(seconds)` when it must wait.
async fn limited(req: &Request, incoming: &Incoming, env: &Env, action: Action) -> Result<Option<i64>, AppError> {
    let standing = rate_limit_do::standing(env, req, action).await?;
    incoming.add_headers(standing.headers());
    Ok(standing.retry_after)
}

fn too_many(wait: i64) -> Response {
    let body = json!({"error": {"code": "too_many_requests", "message": format!("Too many attempts; retry in {wait} seconds."), "fields": {}}});
    answer(429, &body, vec![("retry-after", wait.to_string())])
}

/// Adds the RFC 6750 §3 challenge to a 401: `error="invalid_token"` when a token was presented.
fn challenge(response: Response, presented: bool) -> Response {
    let value = if presented { format!("Bearer realm=\"{REALM}\", error=\"invalid_token\"") } else { format!("Bearer realm=\"{REALM}\"") };
    let _ = response.headers().set("www-authenticate", &value);
    response
}

fn invalid_token() -> Response {
    challenge(refuse(401, "invalid_token", "The access token is missing its signature, expired, revoked or not ours."), true)
}

fn no_token() -> Response {
    challenge(refuse(401, "unauthorized", "This endpoint needs an access token: Authorization: Bearer <token>."), false)
}

/// The token response (RFC 6749 §5.1: never cached).
fn tokens(secret: &str, customer_id: &str, family_id: &str, refresh_token: &str) -> Response {
    let access = jwt::sign(secret.as_bytes(), &Claims::access(customer_id, family_id, now()));
    let body = json!({"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS, "refresh_token": refresh_token});
    answer(200, &body, vec![("pragma", "no-cache".into())])
}

// --- input -------------------------------------------------------------------------------------

fn bad_body() -> AppError {
    AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }])
}

/// The JSON body of a POST; a 415 unless it is declared `application/json`.
async fn json_body(req: &mut Request, incoming: &Incoming) -> Result<Value, Response> {
    if !crate::domain::http::declares_json(req.headers().get("content-type").ok().flatten().as_deref()) {
        return Err(super::http::unsupported_media_type());
    }
    let text = read_body(req).await.map_err(|e| error(incoming, &e))?;
    serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).ok_or_else(|| error(incoming, &bad_body()))
}

/// A required string field of the body.
fn field(body: &Value, name: &'static str) -> Result<String, FieldError> {
    match body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(FieldError { field: name, problem: Problem::Required }),
        Some(_) => Err(FieldError { field: name, problem: Problem::BadValue }),
    }
}

fn secret(config: &Config) -> Result<&str, AppError> {
    config.api_token_secret.as_deref().ok_or_else(|| AppError::Internal("API_TOKEN_SECRET is not configured (at least 32 bytes)".into()))
}

fn changes(results: &[Rows], index: usize) -> i64 {
    results.get(index).map_or(0, |r| r.changes() as i64)
}

fn new_token() -> Result<String, AppError> {
    random::token(32).ok_or_else(|| AppError::Internal("no randomness".into()))
}

// --- the token endpoints -----------------------------------------------------------------------

/// `POST /api/v1/auth/token`: the same checks as the sign-in form — per-client rate limit, then the
/// per-account slow-down shared with it (`customer:{email}` in `login_failures`), a decoy hash for
/// unknown emails — and a new refresh-token family.
async fn issue(req: &Request, incoming: &Incoming, env: &Env, config: &Config, body: &Value) -> Result<Response, AppError> {
    let secret = secret(config)?;
    if let Some(wait) = limited(req, incoming, env, Action::Token).await? {
        return Ok(too_many(wait));
    }
    let (email, password) = (field(body, "email"), field(body, "password"));
    let (email, password) = match (email, password) {
        (Ok(e), Ok(p)) => (e.trim().to_lowercase(), p),
        (e, p) => return Err(AppError::Invalid([e.err(), p.err()].into_iter().flatten().collect())),
    };
    let db = D1::open(env)?;
    let account_key = format!("customer:{email}");
    let now = now();
    let client = rate_limit_do::client(req);
    let tried = attempt(&db, &account_key, &client, now, async || {
        let customer = db.all::<CustomerRow>(&customer_by_email_sql(&email)).await?.into_iter().next();
        let ok = verify_password(&password, customer.as_ref().and_then(|c| c.password_hash.as_deref())).await?;
        Ok(customer.filter(|_| ok))
    });
    let customer = match tried.await? {
        Attempt::Passed(customer) => customer,
        Attempt::Wait(wait) => return Ok(too_many(wait)),
        Attempt::Refused => return Ok(refuse(401, "invalid_credentials", "The email or password is wrong.")),
    };
    let family = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let refresh_token = new_token()?;
    db.batch(&[attach_guest_orders_sql(&customer.id), insert_first_sql(&refresh_token, &family, &customer.id, now)]).await?;
    Ok(tokens(secret, &customer.id, &family, &refresh_token))
}

/// The presented refresh token. Any string is one (an empty or malformed one is answered as an
/// unknown token, 401 `invalid_grant`, or 204 at logout); only a missing or non-string one is a 400.
fn refresh_field(body: &Value) -> Result<String, AppError> {
    let problem = match body.get("refresh_token") {
        Some(Value::String(token)) => return Ok(token.clone()),
        None | Some(Value::Null) => Problem::Required,
        Some(_) => Problem::BadValue,
    };
    Err(AppError::Invalid(vec![FieldError { field: "refresh_token", problem }]))
}

fn invalid_grant() -> Response {
    refuse(401, "invalid_grant", "The refresh token is unknown, expired, revoked or already used. Sign in again.")
}

/// `POST /api/v1/auth/refresh`: spends the presented token and returns a new pair, in one batch
/// (`app::api_tokens::rotate_batch`). A spent token presented again revokes its whole family.
async fn refresh(req: &Request, incoming: &Incoming, env: &Env, config: &Config, body: &Value) -> Result<Response, AppError> {
    let secret = secret(config)?;
    if let Some(wait) = limited(req, incoming, env, Action::TokenRefresh).await? {
        return Ok(too_many(wait));
    }
    let old = refresh_field(body)?;
    if !is_refresh_token(&old) {
        return Ok(invalid_grant());
    }
    let new = new_token()?;
    let results = D1::open(env)?.batch(&rotate_batch(&old, &new, now())).await?;
    if changes(&results, 0) > 0 {
        worker::console_warn!("a spent refresh token was presented again: its family is revoked");
    }
    let rotated = match results.get(ROTATE_RESULT) {
        Some(r) => r.decode::<RefreshRow>()?.into_iter().next(),
        None => None,
    };
    match rotated {
        Some(row) if changes(&results, ROTATE_SPEND) == 1 => Ok(tokens(secret, &row.customer_id, &row.family_id, &new)),
        _ => Ok(invalid_grant()),
    }
}

/// `POST /api/v1/auth/logout`: revokes the token's family (its refresh and access tokens). The
/// answer is 204 whether or not the token was known (RFC 7009 §2.2).
async fn logout(req: &Request, incoming: &Incoming, env: &Env, body: &Value) -> Result<Response, AppError> {
    if let Some(wait) = limited(req, incoming, env, Action::TokenRefresh).await? {
        return Ok(too_many(wait));
    }
    let token = refresh_field(body)?;
    if is_refresh_token(&token) {
        D1::open(env)?.batch(&[revoke_family_sql(&token, now())]).await?;
    }
    // No content, so no content type.
    let headers = worker::Headers::new();
    let _ = headers.set("cache-control", http_cache::NO_STORE);
    Ok(worker::ResponseBuilder::new().with_status(204).with_headers(headers).empty())
}

// --- bearer-authenticated endpoints ------------------------------------------------------------

/// The customer an `Authorization: Bearer` access token stands for, or the 401 to answer: the
/// signature and claims (`domain::jwt::verify`), then the account and the token's refresh family,
/// which must still be live (signed out, replayed or revoked families end their access tokens).
pub(super) async fn bearer_customer(req: &Request, db: &D1, config: &Config) -> Result<Result<CustomerRow, Response>, AppError> {
    let secret = secret(config)?;
    let Some(header) = req.headers().get("authorization").ok().flatten() else { return Ok(Err(no_token())) };
    let Some(token) = jwt::bearer(&header) else { return Ok(Err(invalid_token())) };
    let Ok(claims) = jwt::verify(secret.as_bytes(), token, now()) else { return Ok(Err(invalid_token())) };
    let customer = db.all::<CustomerRow>(&live_family_customer_sql(&claims.sub, &claims.sid)).await?.into_iter().next();
    Ok(customer.ok_or_else(invalid_token))
}

async fn me(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    // The account's address book, the default first and flagged (`default`).
    let addresses: Vec<crate::app::address_book::SavedAddress> = db.all(&crate::app::address_book::addresses_sql(&c.id)).await?;
    let body = json!({
        "customer": {
            "id": c.id, "email": c.email, "email_verified": c.email_verified_at.is_some(), "name": c.name, "phone": c.phone,
            "created_at": rfc3339(c.created_at),
        },
        "addresses": addresses,
    });
    Ok(answer(200, &body, Vec::new()))
}

async fn my_orders(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    let query = req.url().ok().and_then(|u| u.query().map(str::to_string)).unwrap_or_default();
    let (page, per_page) = crate::domain::http::page_params(&query)?;
    // Guest orders placed with the verified email become the shopper's first, as on the account page.
    let [list, count] = orders_page_sql(&c.id, page, per_page);
    let results = db.batch(&[attach_guest_orders_sql(&c.id), list, count]).await?;
    let orders: Vec<OrderSummaryRow> = match results.get(1) {
        Some(r) => r.decode()?,
        None => return Err(AppError::Internal("orders batch".into())),
    };
    let total = match results.get(2) {
        Some(r) => r.decode::<Value>()?.first().and_then(|v| v["n"].as_i64()).unwrap_or(0),
        None => return Err(AppError::Internal("orders batch".into())),
    };
    let orders: Vec<Value> = orders
        .iter()
        .map(|o| json!({"id": o.id, "number": o.number, "status": o.status, "payment_status": o.payment_status, "fulfillment_status": o.fulfillment_status, "total": o.total, "currency": "VND", "created_at": rfc3339(o.created_at), "url": format!("/api/v1/me/orders/{}", o.id)}))
        .collect();
    let pages = crate::domain::listing::total_pages(total.max(0) as u64, per_page as u32);
    Ok(answer(200, &json!({"orders": orders, "page": page, "per_page": per_page, "total": total, "total_pages": pages}), Vec::new()))
}

/// An order if it is `customer_id`'s; `NotFound` for any other (or no) order.
pub(super) async fn owned_order_json(env: &Env, db: &D1, customer_id: &str, order_id: &str) -> Result<Value, AppError> {
    let owned = Sql::new("SELECT id FROM orders WHERE id = ? AND customer_id = ?").bind(order_id).bind(customer_id);
    if db.all::<Value>(&owned).await?.is_empty() {
        return Err(AppError::NotFound);
    }
    let detail = load_order(env, order_id).await?.ok_or(AppError::NotFound)?;
    Ok(order_json(&detail))
}

/// `GET /api/v1/orders/{id}` with a bearer token instead of the order's access token.
pub(super) async fn order_by_bearer(req: &Request, env: &Env, config: &Config, id: &str) -> Result<Response, AppError> {
    my_order(req, env, config, id).await
}

async fn my_order(req: &Request, env: &Env, config: &Config, id: &str) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    Ok(answer(200, &owned_order_json(env, &db, &c.id, id).await?, Vec::new()))
}
