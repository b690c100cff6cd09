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
use crate::app::account_flows;
use crate::app::address_book::{self, AddressInput, SaveError};
use crate::app::sign_in::{attempt, Attempt};
use crate::domain::checkout::AddressForm;
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
    if let ["server", rest @ ..] = segments.as_slice() {
        return super::api_server::handle(req, incoming, env, rest).await;
    }
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
        (Method::Post, ["auth", "signup"]) => {
            incoming.name("api.auth.signup");
            with_json_body(&mut req, incoming, async |req, body| sign_up(req, incoming, env, &config, body).await).await
        }
        (Method::Post, ["auth", "verify"]) => {
            incoming.name("api.auth.verify");
            with_json_body(&mut req, incoming, async |_, body| verify(env, body).await).await
        }
        (Method::Post, ["auth", "password-reset"]) => {
            incoming.name("api.auth.password_reset");
            with_json_body(&mut req, incoming, async |req, body| request_reset(req, incoming, env, body).await).await
        }
        (Method::Post, ["auth", "password-reset", "confirm"]) => {
            incoming.name("api.auth.password_reset_confirm");
            with_json_body(&mut req, incoming, async |_, body| confirm_reset(env, body).await).await
        }
        (Method::Get, ["me"]) => {
            incoming.name("api.me");
            me(&req, env, &config).await
        }
        (Method::Patch, ["me"]) => {
            incoming.name("api.me.update");
            with_json_body(&mut req, incoming, async |req, body| update_me(req, env, &config, body).await).await
        }
        (Method::Get, ["me", "addresses"]) => {
            incoming.name("api.me.addresses");
            list_addresses(&req, env, &config).await
        }
        (Method::Post, ["me", "addresses"]) => {
            incoming.name("api.me.add_address");
            with_json_body(&mut req, incoming, async |req, body| save_address(req, env, &config, None, body).await).await
        }
        (Method::Put, ["me", "addresses", id]) => {
            incoming.name("api.me.edit_address");
            with_json_body(&mut req, incoming, async |req, body| save_address(req, env, &config, Some(id), body).await).await
        }
        (Method::Delete, ["me", "addresses", id]) => {
            incoming.name("api.me.delete_address");
            delete_address(&req, env, &config, id).await
        }
        (Method::Post, ["me", "addresses", id, "default"]) => {
            incoming.name("api.me.default_address");
            default_address(&req, env, &config, id).await
        }
        (Method::Get, ["me", "orders"]) => {
            incoming.name("api.me.orders");
            my_orders(&req, env, &config).await
        }
        (Method::Get, ["me", "orders", id]) => {
            incoming.name("api.me.order");
            my_order(&req, env, &config, id).await
        }
        (Method::Get, ["me", "wishlist"]) => {
            incoming.name("api.me.wishlist");
            my_wishlist(&req, env, &config).await
        }
        (Method::Post, ["me", "wishlist"]) => {
            incoming.name("api.me.wishlist_add");
            with_json_body(&mut req, incoming, async |req, body| wishlist_add(req, env, &config, body).await).await
        }
        (Method::Delete, ["me", "wishlist", slug]) => {
            incoming.name("api.me.wishlist_remove");
            wishlist_remove(&req, env, &config, slug).await
        }
        (_, ["me", "wishlist"]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "GET, POST"))
        }
        (_, ["me", "wishlist", _]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "DELETE"))
        }
        (_, ["auth", "token" | "refresh" | "logout" | "signup" | "verify" | "password-reset"] | ["auth", "password-reset", "confirm"] | ["me", "addresses", _, "default"]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "POST"))
        }
        (_, ["me"]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "GET, PATCH"))
        }
        (_, ["me", "addresses"]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "GET, POST"))
        }
        (_, ["me", "addresses", _]) => {
            incoming.name("api.account.unknown");
            Ok(not_allowed(incoming, "PUT, DELETE"))
        }
        (_, ["me", "orders"] | ["me", "orders", _]) => {
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
    Ok(no_content())
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
    let body = json!({"customer": customer_json(&c), "addresses": addresses});
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

// --- the account: sign-up, verification, password reset, profile, addresses ----------------------
// The same use cases as the account pages (`app::account_flows`, `app::address_book`): the same
// checks, limits and messages.

/// An optional string field ("" when absent or null); `BadValue` when it is not a string.
fn text(body: &Value, name: &'static str) -> Result<String, FieldError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(FieldError { field: name, problem: Problem::BadValue }),
    }
}

/// The string fields `names` of the body, or the 400 naming each that is not a string.
fn texts<const N: usize>(body: &Value, names: [&'static str; N]) -> Result<[String; N], AppError> {
    let mut errors = Vec::new();
    let values = names.map(|n| text(body, n).map_err(|e| errors.push(e)).unwrap_or_default());
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The language of the mail and of the page its link opens: the body's `locale` (`vi`, `en`),
/// Vietnamese by default.
fn mail_locale(body: &Value) -> crate::domain::locale::Locale {
    body.get("locale").and_then(Value::as_str).and_then(crate::domain::locale::Locale::parse).unwrap_or(crate::domain::locale::Locale::Vi)
}

/// A new one-time link's token and its page on the shop (`base/{token}` in `locale`).
fn new_link(incoming: &Incoming, locale: crate::domain::locale::Locale, base: &str) -> Result<(String, String), AppError> {
    let token = new_token()?;
    let url = format!("{}{}", incoming.origin, locale.path(&format!("{base}/{token}")));
    Ok((token, url))
}

fn customer_json(c: &CustomerRow) -> Value {
    json!({
        "id": c.id, "email": c.email, "email_verified": c.email_verified_at.is_some(), "name": c.name, "phone": c.phone,
        "created_at": rfc3339(c.created_at),
    })
}

fn no_content() -> Response {
    // No content, so no content type.
    let headers = worker::Headers::new();
    let _ = headers.set("cache-control", http_cache::NO_STORE);
    worker::ResponseBuilder::new().with_status(204).with_headers(headers).empty()
}

/// `POST /api/v1/auth/signup` `{email, name, password, locale?}`: the sign-up form's checks and
/// limit; the verification link is mailed (through the outbox) and the app is signed in at once
/// (201 with the token pair), as the form signs the browser in.
async fn sign_up(req: &Request, incoming: &Incoming, env: &Env, config: &Config, body: &Value) -> Result<Response, AppError> {
    let secret = secret(config)?;
    if let Some(wait) = limited(req, incoming, env, Action::SignUp).await? {
        return Ok(too_many(wait));
    }
    let [email, name, password] = texts(body, ["email", "name", "password"])?;
    let checked = account_flows::check_sign_up(&email, &name, &password).map_err(AppError::Unprocessable)?;
    let db = D1::open(env)?;
    let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let hash = crate::platform::accounts::hash_password(checked.password.as_str()).await?;
    let locale = mail_locale(body);
    let (token, url) = new_link(incoming, locale, crate::views::account::paths::VERIFY)?;
    let link = account_flows::Link { token: &token, url: &url, locale: locale.code() };
    let now = now();
    let Some(customer) = account_flows::sign_up(&db, &id, &checked.email, &checked.name, &hash, &link, now).await? else {
        return Ok(refuse(409, "email_taken", "An account with this email already exists. Sign in or reset the password."));
    };
    let family = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let refresh_token = new_token()?;
    db.batch(&[insert_first_sql(&refresh_token, &family, &customer.id, now)]).await?;
    let access = jwt::sign(secret.as_bytes(), &Claims::access(&customer.id, &family, now));
    let body = json!({
        "customer": customer_json(&customer),
        "access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS, "refresh_token": refresh_token,
    });
    Ok(answer(201, &body, vec![("pragma", "no-cache".into())]))
}

fn link_invalid() -> Response {
    refuse(404, "link_invalid", "This link is unknown, used or expired. Ask for a new one.")
}

/// `POST /api/v1/auth/verify` `{token}`: the token of the mailed verification link.
async fn verify(env: &Env, body: &Value) -> Result<Response, AppError> {
    let [token] = texts(body, ["token"])?;
    if !account_flows::verify_email(&D1::open(env)?, &token, now()).await? {
        return Ok(link_invalid());
    }
    Ok(no_content())
}

/// `POST /api/v1/auth/password-reset` `{email, locale?}`: 202 whether or not the email has an
/// account (the answer does not tell), with the form's limit.
async fn request_reset(req: &Request, incoming: &Incoming, env: &Env, body: &Value) -> Result<Response, AppError> {
    if let Some(wait) = limited(req, incoming, env, Action::PasswordReset).await? {
        return Ok(too_many(wait));
    }
    let [email] = texts(body, ["email"])?;
    if email.trim().is_empty() {
        return Err(AppError::Unprocessable(vec![FieldError { field: "email", problem: Problem::Required }]));
    }
    let locale = mail_locale(body);
    let (token, url) = new_link(incoming, locale, crate::views::account::paths::RESET)?;
    let link = account_flows::Link { token: &token, url: &url, locale: locale.code() };
    account_flows::request_reset(&D1::open(env)?, &email, &link, now()).await?;
    Ok(answer(202, &json!({"status": "sent_if_registered"}), Vec::new()))
}

/// `POST /api/v1/auth/password-reset/confirm` `{token, password}`: the link's token and the new
/// password; every session and app token of the account ends.
async fn confirm_reset(env: &Env, body: &Value) -> Result<Response, AppError> {
    let [token, password] = texts(body, ["token", "password"])?;
    let db = D1::open(env)?;
    if account_flows::live_link(&db, crate::app::accounts::Purpose::PasswordReset, &token, now()).await?.is_none() {
        return Ok(link_invalid());
    }
    let password = crate::domain::password::NewPassword::parse("password", &password).map_err(|e| AppError::Unprocessable(vec![e]))?;
    let hash = crate::platform::accounts::hash_password(password.as_str()).await?;
    if !account_flows::reset_password(&db, &token, &hash, now()).await? {
        return Ok(link_invalid());
    }
    Ok(no_content())
}

/// `PATCH /api/v1/me` `{name?, phone?}`: a field left out keeps its value; the profile form's checks.
async fn update_me(req: &Request, env: &Env, config: &Config, body: &Value) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    let [name, phone] = texts(body, ["name", "phone"])?;
    let name = if body.get("name").is_some_and(|v| !v.is_null()) { name } else { c.name.clone() };
    let phone = if body.get("phone").is_some_and(|v| !v.is_null()) { phone } else { c.phone.clone() };
    let (name, phone) = account_flows::update_profile(&db, &c.id, &name, &phone, now()).await?.map_err(AppError::Unprocessable)?;
    let updated = CustomerRow { name, phone, ..c };
    Ok(answer(200, &json!({"customer": customer_json(&updated)}), Vec::new()))
}

async fn list_addresses(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    let addresses = address_book::addresses(&db, &c.id).await?;
    Ok(answer(200, &json!({"addresses": addresses}), Vec::new()))
}

/// The address of a body: `{name, phone, line1, province_code, ward_code}` in Vietnam, or
/// `{name, phone, line1, province, postal_code, country}` abroad; `default: true` makes it the default.
fn address_input(body: &Value) -> Result<AddressInput, AppError> {
    let [name, phone, line1, province, country, province_code, ward_code, postal_code] =
        texts(body, ["name", "phone", "line1", "province", "country", "province_code", "ward_code", "postal_code"])?;
    let make_default = match body.get("default") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(AppError::Invalid(vec![FieldError { field: "default", problem: Problem::BadValue }])),
    };
    let address = AddressForm { line1, province, country, province_code, ward_code, postal_code, ..AddressForm::default() };
    Ok(AddressInput { name, phone, address, make_default })
}

/// The form's field names are `address.line1`…; the API's are `line1`….
fn api_fields(errors: Vec<FieldError>) -> AppError {
    AppError::Unprocessable(errors.into_iter().map(|e| FieldError { field: e.field.strip_prefix("address.").unwrap_or(e.field), ..e }).collect())
}

/// `POST /api/v1/me/addresses` (201) and `PUT /api/v1/me/addresses/{id}` (200): the address
/// book's own save (the checkout's address rules, at most `MAX_ADDRESSES`).
async fn save_address(req: &Request, env: &Env, config: &Config, editing: Option<&str>, body: &Value) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    let input = address_input(body)?;
    let new_id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let id = match address_book::save(&db, &c.id, editing, &new_id, &input, now()).await? {
        Ok(id) => id,
        Err(SaveError::Invalid(errors)) => return Err(api_fields(errors)),
        Err(SaveError::NotFound) => return Err(AppError::NotFound),
        Err(SaveError::TooMany) => {
            return Ok(refuse(409, "address_book_full", &format!("An account keeps at most {} addresses.", address_book::MAX_ADDRESSES)));
        }
    };
    let saved = address_book::addresses(&db, &c.id).await?.into_iter().find(|a| a.id == id).ok_or(AppError::NotFound)?;
    Ok(answer(if editing.is_some() { 200 } else { 201 }, &json!({"address": saved}), Vec::new()))
}

/// `DELETE /api/v1/me/addresses/{id}`: the oldest remaining address becomes the default if this
/// one was; another account's address is a 404.
async fn delete_address(req: &Request, env: &Env, config: &Config, id: &str) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    if !address_book::remove(&db, &c.id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(no_content())
}

/// `POST /api/v1/me/addresses/{id}/default`: the book, this address first.
async fn default_address(req: &Request, env: &Env, config: &Config, id: &str) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    if !address_book::set_default(&db, &c.id, id).await? {
        return Err(AppError::NotFound);
    }
    let addresses = address_book::addresses(&db, &c.id).await?;
    Ok(answer(200, &json!({"addresses": addresses}), Vec::new()))
}

// --- the wishlist (docs/WISHLIST.md) -------------------------------------------------------------

/// A wishlist item as the API gives it: the product now and what changed since it was added.
fn wishlist_item_json(item: &crate::app::wishlist::Item) -> Value {
    use crate::domain::wishlist::Change;
    let p = &item.product;
    let (change, was) = match item.change {
        Change::None => ("none", None),
        Change::PriceDropped { was } => ("price_dropped", Some(was)),
        Change::PriceRose { was } => ("price_rose", Some(was)),
        Change::BackInStock => ("back_in_stock", None),
        Change::SoldOut => ("sold_out", None),
        Change::Unavailable => ("unavailable", None),
    };
    json!({
        "product": p.slug,
        "name_vi": p.name_vi,
        "name_en": p.name_en,
        "sellable": p.sellable(),
        "price": p.price.filter(|_| p.sellable()),
        "price_at": item.entry.price_at,
        "in_stock": p.sellable() && p.available > 0,
        "change": change,
        "was": was,
    })
}

async fn wishlist_json(db: &D1, customer_id: &str) -> Result<Value, AppError> {
    let items = crate::app::wishlist::items(db, &crate::app::wishlist::entries(db, customer_id).await?).await?;
    Ok(json!({"items": items.iter().map(wishlist_item_json).collect::<Vec<_>>()}))
}

/// `GET /api/v1/me/wishlist`: most recently added first.
async fn my_wishlist(req: &Request, env: &Env, config: &Config) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    Ok(answer(200, &wishlist_json(&db, &c.id).await?, Vec::new()))
}

/// `POST /api/v1/me/wishlist` `{"product": slug}`: 201 when added, 200 when it was already there
/// (nothing changes), 404 for a product not on sale, 409 when the list is full.
async fn wishlist_add(req: &Request, env: &Env, config: &Config, body: &Value) -> Result<Response, AppError> {
    use crate::app::wishlist::{self as wl, Added, Owner, WishlistError};
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    let slug = body.get("product").and_then(Value::as_str).and_then(crate::domain::slug::Slug::parse);
    let Some(slug) = slug else {
        return Err(AppError::Unprocessable(vec![FieldError { field: "product", problem: Problem::BadValue }]));
    };
    let locale = body.get("locale").and_then(Value::as_str).filter(|l| *l == "en").unwrap_or("vi");
    let status = match wl::add(&db, Owner::of(&c, locale), slug.as_str(), now()).await {
        Ok(Added::Added) => 201,
        Ok(Added::AlreadyThere) => 200,
        Err(WishlistError::Full) => {
            return Ok(refuse(409, "wishlist_full", &format!("A wishlist keeps at most {} products.", crate::domain::wishlist::CAP)));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(answer(status, &wishlist_json(&db, &c.id).await?, Vec::new()))
}

/// `DELETE /api/v1/me/wishlist/{slug}`: 204, or 404 when the product is not on the list.
async fn wishlist_remove(req: &Request, env: &Env, config: &Config, slug: &str) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let c = match bearer_customer(req, &db, config).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    if !crate::app::wishlist::remove(&db, crate::app::wishlist::Owner::of(&c, "vi"), slug).await? {
        return Err(AppError::NotFound);
    }
    Ok(no_content())
}
