//! The server-to-server API (`/api/v1/server/…`), opened by an API key (`app::api_keys`) sent as
//! `Authorization: Bearer vsk_…`. Each route needs one scope; each key is rate-limited on its own
//! (`RateLimit-*` on every answer). No CORS: a key belongs on a server, never in a browser.
//!
//! - `GET /api/v1/server/variants/{sku}` (catalog:read): the variant's price and stock counts;
//! - `PUT /api/v1/server/variants/{sku}/stock` (stock:write) `{on_hand, expected_on_hand}`: one
//!   compare-and-set adjustment in the stock ledger (`app::inventory::adjust`), idempotent by
//!   `Idempotency-Key`;
//! - `GET /api/v1/server/orders` (orders:read), paged; `GET /api/v1/server/orders/{id}`;
//! - `POST /api/v1/server/orders/{id}/fulfil` (orders:write) `{carrier, tracking_number}`: the
//!   admin's "mark shipped", the same gated batch and audit row.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response};

use super::http::{error_body, read_body};
use super::orders::{load_order, order_json};
use super::Incoming;
use crate::app::admin::{audit_sql, Actor};
use crate::app::admin_orders::{with_audit, Action as OrderAction};
use crate::app::api_keys::{is_key, use_key_batch, LiveKey, Scope};
use crate::app::db::Db;
use crate::app::inventory::{adjust, outcome, outcome_sql, Adjustment, Outcome, Reason};
use crate::app::sql::Sql;
use crate::domain::error::AppError;
use crate::domain::http_cache;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::throttle::Action;
use crate::domain::time::rfc3339;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::platform::edge_cache::{respond, Rendered};
use crate::platform::{random, rate_limit_do};

const JSON: &str = "application/json; charset=utf-8";

pub async fn handle(mut req: Request, incoming: &Incoming, env: &Env, segments: &[&str]) -> Response {
    let method = incoming.method.clone();
    let (route, scope, allow): (&'static str, Option<Scope>, &str) = match (&method, segments) {
        (Method::Get, ["variants", _]) => ("api.server.variant", Some(Scope::CatalogRead), ""),
        (Method::Put, ["variants", _, "stock"]) => ("api.server.stock", Some(Scope::StockWrite), ""),
        (Method::Get, ["orders"]) => ("api.server.orders", Some(Scope::OrdersRead), ""),
        (Method::Get, ["orders", _]) => ("api.server.order", Some(Scope::OrdersRead), ""),
        (Method::Post, ["orders", _, "fulfil"]) => ("api.server.fulfil", Some(Scope::OrdersWrite), ""),
        (_, ["variants", _] | ["orders"] | ["orders", _]) => ("api.server.unknown", None, "GET"),
        (_, ["variants", _, "stock"]) => ("api.server.unknown", None, "PUT"),
        (_, ["orders", _, "fulfil"]) => ("api.server.unknown", None, "POST"),
        _ => ("api.server.unknown", None, ""),
    };
    incoming.name(route);
    let Some(scope) = scope else {
        let e = if allow.is_empty() { AppError::NotFound } else { AppError::MethodNotAllowed };
        let response = error(incoming, &e);
        if !allow.is_empty() {
            let _ = response.headers().set("allow", allow);
        }
        return response;
    };
    let result = async {
        let db = D1::open(env)?;
        let key = match authenticate(&req, &db, scope).await? {
            Ok(key) => key,
            Err(refusal) => return Ok(refusal),
        };
        let standing = rate_limit_do::standing_of(env, Action::ApiKey, &format!("key:{}", key.id)).await?;
        incoming.add_headers(standing.headers());
        if let Some(wait) = standing.retry_after {
            return Err(AppError::TooManyRequests { retry_after: wait });
        }
        let actor_id = format!("api_key:{}", key.id);
        let actor = Actor { id: &actor_id, email: &key.name, ip: &incoming.client_ip };
        match segments {
            ["variants", sku] => variant(&db, sku).await,
            ["variants", sku, "stock"] => match json_body(&mut req, incoming).await? {
                Ok(body) => set_stock(&req, env, &db, &actor, sku, &body).await,
                Err(refusal) => Ok(refusal),
            },
            ["orders"] => orders(&req, &db).await,
            ["orders", id] => {
                let detail = load_order(env, id).await?.ok_or(AppError::NotFound)?;
                Ok(answer(200, &order_json(&detail)))
            }
            ["orders", id, "fulfil"] => match json_body(&mut req, incoming).await? {
                Ok(body) => fulfil(env, &db, &actor, id, &body).await,
                Err(refusal) => Ok(refusal),
            },
            _ => Err(AppError::NotFound),
        }
    }
    .await;
    result.unwrap_or_else(|e| error(incoming, &e))
}

fn answer(status: u16, value: &Value) -> Response {
    respond(Rendered::new(status, JSON, value.to_string()), http_cache::NO_STORE, None)
}

fn error(incoming: &Incoming, e: &AppError) -> Response {
    respond(error_body(incoming, e), http_cache::NO_STORE, None)
}

fn refuse(status: u16, code: &str, message: &str) -> Response {
    answer(status, &json!({"error": {"code": code, "message": message, "fields": {}}}))
}

/// The live key of `Authorization: Bearer vsk_…` holding `scope`, or the 401/403 to answer.
async fn authenticate(req: &Request, db: &D1, scope: Scope) -> Result<Result<LiveKey, Response>, AppError> {
    let challenge = |response: Response| {
        let _ = response.headers().set("www-authenticate", "Bearer realm=\"vestify-server\"");
        response
    };
    let header = req.headers().get("authorization").ok().flatten().unwrap_or_default();
    let Some(key) = header.strip_prefix("Bearer ").map(str::trim).filter(|k| is_key(k)) else {
        return Ok(Err(challenge(refuse(401, "invalid_key", "This endpoint needs an API key: Authorization: Bearer vsk_…"))));
    };
    let results = db.batch(&use_key_batch(key, now())).await?;
    let live = match results.get(1) {
        Some(rows) => rows.decode::<LiveKey>()?.into_iter().next(),
        None => None,
    };
    let Some(live) = live else {
        return Ok(Err(challenge(refuse(401, "invalid_key", "The API key is unknown or revoked."))));
    };
    if !live.allows(scope) {
        return Ok(Err(refuse(403, "insufficient_scope", &format!("This API key does not have the {} scope.", scope.code()))));
    }
    Ok(Ok(live))
}

/// The JSON object body (415 unless declared JSON, 400 unless an object).
async fn json_body(req: &mut Request, incoming: &Incoming) -> Result<Result<Value, Response>, AppError> {
    if !crate::domain::http::declares_json(req.headers().get("content-type").ok().flatten().as_deref()) {
        return Ok(Err(super::http::unsupported_media_type()));
    }
    let text = read_body(req).await?;
    match serde_json::from_str::<Value>(&text).ok().filter(Value::is_object) {
        Some(v) => Ok(Ok(v)),
        None => Ok(Err(error(incoming, &AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }])))),
    }
}

#[derive(Deserialize)]
struct VariantRow {
    id: i64,
    sku: String,
    product_slug: String,
    size: String,
    color: String,
    price: i64,
    on_hand: i64,
    reserved: i64,
    status: String,
}

fn variant_sql(sku: &str) -> Sql {
    Sql::new(
        "SELECT v.id, v.sku, p.slug AS product_slug, v.size, v.color, v.price, v.on_hand, v.reserved, v.status \
         FROM variants v JOIN products p ON p.id = v.product_id WHERE v.sku = ?",
    )
    .bind(sku)
}

fn variant_json(v: &VariantRow) -> Value {
    json!({
        "id": v.id, "sku": v.sku, "product_slug": v.product_slug, "size": v.size, "color": v.color, "price": v.price,
        "currency": "VND", "on_hand": v.on_hand, "reserved": v.reserved, "available": (v.on_hand - v.reserved).max(0), "active": v.status == "active",
    })
}

async fn find_variant(db: &D1, sku: &str) -> Result<VariantRow, AppError> {
    db.all::<VariantRow>(&variant_sql(sku)).await?.into_iter().next().ok_or(AppError::NotFound)
}

async fn variant(db: &D1, sku: &str) -> Result<Response, AppError> {
    Ok(answer(200, &json!({"variant": variant_json(&find_variant(db, sku).await?)})))
}

/// A non-negative whole count field.
fn count(body: &Value, field: &'static str) -> Result<i64, FieldError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(FieldError { field, problem: Problem::Required }),
        Some(v) => v.as_i64().filter(|n| (0..=1_000_000).contains(n)).ok_or(FieldError { field, problem: Problem::OutOfRange { min: 0, max: 1_000_000 } }),
    }
}

/// `PUT …/variants/{sku}/stock` `{on_hand, expected_on_hand}`: sets on-hand to `on_hand` only if
/// it is still `expected_on_hand` and stays at or above what is reserved — one conditional UPDATE
/// with its ledger row (reason `correction`, actor `api_key:{id}`) and audit row in one batch.
/// The `Idempotency-Key` (or a new id) is the ledger's request id: a retry applies once.
async fn set_stock(req: &Request, env: &Env, db: &D1, actor: &Actor<'_>, sku: &str, body: &Value) -> Result<Response, AppError> {
    let (target, expected) = (count(body, "on_hand"), count(body, "expected_on_hand"));
    let (target, expected) = match (target, expected) {
        (Ok(t), Ok(e)) => (t, e),
        (t, e) => return Err(AppError::Invalid([t.err(), e.err()].into_iter().flatten().collect())),
    };
    let v = find_variant(db, sku).await?;
    if target == expected && v.on_hand == expected {
        return Ok(answer(200, &json!({"variant": variant_json(&v), "applied": false})));
    }
    let key = req.headers().get("idempotency-key").ok().flatten().filter(|k| !k.is_empty() && k.len() <= 64);
    let request_id = match key {
        Some(k) => format!("{}:{k}", actor.id),
        None => random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
    };
    let now = now();
    let a = Adjustment {
        variant_id: v.id,
        delta: target - expected,
        reason: Reason::Correction,
        note: "API",
        actor: actor.id,
        request_id: &request_id,
        expected_on_hand: Some(expected),
        now,
    };
    let [update, ledger] = adjust(&a);
    let after = json!({"on_hand": target, "expected_on_hand": expected, "request_id": request_id});
    let audit = audit_sql(actor, "stock.set", "variant", &v.id.to_string(), None, Some(&after), now);
    let results = db.batch(&[update, ledger, audit]).await?;
    let applied_now = results.first().is_some_and(|r| r.changes() > 0);
    #[derive(Deserialize)]
    struct Counts {
        on_hand: i64,
        reserved: i64,
        applied_on_hand: Option<i64>,
    }
    let row = db.all::<Counts>(&outcome_sql(v.id, &request_id)).await?.into_iter().next();
    match outcome(&a, row.map(|c| (c.on_hand, c.reserved, c.applied_on_hand))) {
        Outcome::Applied { .. } => {
            if applied_now {
                super::admin_catalog::bump_catalog_version(env).await?;
            }
            Ok(answer(200, &json!({"variant": variant_json(&find_variant(db, sku).await?), "applied": applied_now})))
        }
        Outcome::Stale { on_hand } => Err(AppError::conflict("stock_changed", format!("On-hand is {on_hand}, not expected_on_hand; read it again."))),
        Outcome::BelowReserved { reserved, .. } => Err(AppError::conflict("below_reserved", format!("{reserved} are held by carts and unpaid orders; on-hand cannot go below that."))),
        Outcome::UnknownVariant => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
struct OrderListRow {
    id: String,
    number: String,
    status: String,
    payment_status: String,
    fulfillment_status: String,
    total: i64,
    created_at: i64,
}

/// `GET …/orders?page&per_page`: every order, newest first.
async fn orders(req: &Request, db: &D1) -> Result<Response, AppError> {
    let query = req.url().ok().and_then(|u| u.query().map(str::to_string)).unwrap_or_default();
    let (page, per_page) = crate::domain::http::page_params(&query)?;
    let list = Sql::new("SELECT id, number, status, payment_status, fulfillment_status, total, created_at FROM orders ORDER BY created_at DESC, id LIMIT ? OFFSET ?")
        .bind(per_page)
        .bind((page - 1) * per_page);
    let results = db.batch(&[list, Sql::new("SELECT COUNT(*) AS n FROM orders")]).await?;
    let rows: Vec<OrderListRow> = results.first().map(|r| r.decode()).transpose()?.unwrap_or_default();
    let total = results.get(1).map(|r| r.decode::<Value>()).transpose()?.and_then(|v| v.first().and_then(|n| n["n"].as_i64())).unwrap_or(0);
    let orders: Vec<Value> = rows
        .iter()
        .map(|o| json!({"id": o.id, "number": o.number, "status": o.status, "payment_status": o.payment_status, "fulfillment_status": o.fulfillment_status, "total": o.total, "currency": "VND", "created_at": rfc3339(o.created_at), "url": format!("/api/v1/server/orders/{}", o.id)}))
        .collect();
    let pages = crate::domain::listing::total_pages(total.max(0) as u64, per_page as u32);
    Ok(answer(200, &json!({"orders": orders, "page": page, "per_page": per_page, "total": total, "total_pages": pages})))
}

/// A required text field of at most `max` characters.
fn text(body: &Value, field: &'static str, max: usize) -> Result<String, FieldError> {
    match body.get(field) {
        Some(Value::String(s)) if s.trim().is_empty() => Err(FieldError { field, problem: Problem::Required }),
        Some(Value::String(s)) if s.trim().chars().count() > max => Err(FieldError { field, problem: Problem::TooLong { max } }),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        None | Some(Value::Null) => Err(FieldError { field, problem: Problem::Required }),
        Some(_) => Err(FieldError { field, problem: Problem::BadValue }),
    }
}

/// `POST …/orders/{id}/fulfil` `{carrier, tracking_number}`: the admin's "mark shipped" (the same
/// limits, gated batch and audit row; the shopper's shipping mail goes out through the outbox).
async fn fulfil(env: &Env, db: &D1, actor: &Actor<'_>, id: &str, body: &Value) -> Result<Response, AppError> {
    let (carrier, tracking) = (text(body, "carrier", 60), text(body, "tracking_number", 100));
    let (carrier, tracking) = match (carrier, tracking) {
        (Ok(c), Ok(t)) => (c, t),
        (c, t) => return Err(AppError::Invalid([c.err(), t.err()].into_iter().flatten().collect())),
    };
    let d = load_order(env, id).await?.ok_or(AppError::NotFound)?;
    let action = OrderAction::Fulfil;
    let (Some(to), true) = (action.target(d.order.state()), action.allowed(d.order.state(), &d.order.payment_provider)) else {
        return Err(AppError::conflict("order_not_shippable", "Only a paid (or cash on delivery) order that has not shipped can be marked shipped."));
    };
    let now = now();
    let Some(batch) = action.batch(&d.order, &carrier, &tracking, actor.id, now) else { return Err(AppError::Internal("fulfil batch".into())) };
    let after = json!({"fulfillment_status": to.fulfillment, "carrier": carrier, "tracking_number": tracking});
    let audit = audit_sql(actor, "order.fulfil", "order", id, None, Some(&after), now);
    db.batch(&with_audit(batch, audit)).await?;
    let detail = load_order(env, id).await?.ok_or(AppError::NotFound)?;
    if detail.order.state() != to {
        return Err(AppError::conflict("order_not_shippable", "The order changed meanwhile; nothing was written."));
    }
    Ok(answer(200, &order_json(&detail)))
}
