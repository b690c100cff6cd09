//! Coupon handlers (the cart's coupon box and `POST/DELETE /api/v1/carts/{id}/coupons`) and the
//! owner's internal JSON endpoints for promotions, behind `INTERNAL_TOKEN` until the admin panel
//! (issue #6) and roles (#5) exist:
//!
//! - `GET  /internal/promotions` — every promotion with its analytics
//! - `POST /internal/promotions` — create (`PromotionInput`), `PUT /internal/promotions/{id}` — replace
//! - `GET  /internal/promotions/{id}` — one promotion, its analytics and code count
//! - `POST /internal/promotions/{id}/codes` `{prefix, count}` — bulk single-use codes
//! - `GET  /internal/promotions/{id}/codes.csv[?batch=…]` — the codes as CSV
//!
//! Every write bumps the catalog version, so cached product and listing pages show the change at once.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Method, Response};

use super::http::{attachment, html, json_response, parse_json, query_param, redirect};
use super::cart::{cart_call, reply_json};
use super::checkout::render_checkout;
use super::Incoming;
use crate::app::promotions::{
    analytics_sql, codes_csv, codes_sql, create_promotion, insert_codes, list_promotions_sql, promotion_sql, update_promotion, validate_input,
    AnalyticsRow, CodeRow, PromotionInput, PromotionRow,
};
use crate::domain::checkout::CheckoutForm;
use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::promotions::{generate_codes, parse_code_prefix, CouponCode, MAX_BULK_CODES};
use crate::app::cart::{CartCall, CartError, CartReply};
use crate::domain::cart::CartId;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::app::db::{Db, Rows};
use crate::platform::edge_cache::PROMOTION_SCHEDULE_KEY;
use crate::platform::KV;
use crate::views::cart::cart_page_with_coupon;
use crate::views::promotions::CouponProblem;
use crate::views::PageCtx;

/// `POST /cart/coupons`: applied → back to the cart or checkout; refused → the same page, 422,
/// saying why.
pub async fn apply_coupon(ctx: &PageCtx, env: &Env, config: &Config, cart_id: Option<&CartId>, code: &str, return_to: Option<&str>) -> Result<Response, AppError> {
    let to_checkout = return_to == Some("checkout");
    let back = ctx.href(if to_checkout { "/checkout" } else { "/cart" });
    let Some(cart_id) = cart_id else { return Ok(redirect(&ctx.href("/cart"), Vec::new())) };
    match cart_call(env, cart_id, &CartCall::ApplyCode { code: code.to_string() }).await? {
        CartReply::Cart { .. } => Ok(redirect(&back, Vec::new())),
        CartReply::Refused { refusal } => {
            let Some(cart) = refusal.cart() else { return Ok(redirect(&back, Vec::new())) };
            let normal = CouponCode::parse(code).map(|c| c.as_str().to_string());
            let problem = match refusal {
                CartError::CouponInvalid { .. } => Some(CouponProblem::Invalid),
                CartError::TooManyCodes { .. } => Some(CouponProblem::TooMany),
                _ => None,
            };
            if to_checkout && problem.is_none() && !cart.lines.is_empty() {
                return render_checkout(env, ctx, config, cart, &CheckoutForm::default(), &[], normal.as_deref(), 422).await;
            }
            let tried = normal.as_deref().or(Some(code).filter(|c| c.len() <= 32));
            Ok(html(422, cart_page_with_coupon(ctx, Some(cart), None, tried, problem.as_ref()).into_string(), Vec::new()))
        }
        _ => Ok(redirect(&back, Vec::new())),
    }
}

/// `POST /cart/coupons/{code}/remove`.
pub async fn remove_coupon(ctx: &PageCtx, env: &Env, cart_id: Option<&CartId>, code: &str, return_to: Option<&str>) -> Result<Response, AppError> {
    let back = ctx.href(if return_to == Some("checkout") { "/checkout" } else { "/cart" });
    if let Some(cart_id) = cart_id {
        cart_call(env, cart_id, &CartCall::RemoveCode { code: code.to_string() }).await?;
    }
    Ok(redirect(&back, Vec::new()))
}

#[derive(Deserialize)]
struct CodeBody {
    code: Option<String>,
}

/// `POST /api/v1/carts/{id}/coupons {code}`.
pub async fn api_apply(env: &Env, cart_id: &CartId, body: &str) -> Result<Response, AppError> {
    let CodeBody { code } = parse_json(body)?;
    let code = code.filter(|c| !c.trim().is_empty()).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "code", problem: Problem::Required }]))?;
    reply_json(cart_call(env, cart_id, &CartCall::ApplyCode { code }).await?, false)
}

/// A new catalog version (cached pages show live automatic promotions, so they must miss at once),
/// and the schedule of coming starts and ends (so pages also miss when one passes).
pub(super) async fn bump_catalog_version(env: &Env, db: &D1) -> Result<(), AppError> {
    let kv = env.kv(KV).map_err(|e| AppError::internal("kv binding", e))?;
    let instants: Vec<crate::app::promotions::CountRow> = db.all(&crate::app::promotions::schedule_sql(now())).await?;
    let schedule: Vec<String> = instants.iter().map(|r| r.n.to_string()).collect();
    kv.put(PROMOTION_SCHEDULE_KEY, schedule.join(",")).map_err(|e| AppError::internal("kv put", e))?.execute().await.map_err(|e| AppError::internal("kv put", e))?;
    crate::platform::edge_cache::bump_version(env, 'p').await
}

fn promotion_json(row: &PromotionRow, analytics: Option<&AnalyticsRow>) -> Value {
    let mut v = row.promotion().map_or(Value::Null, |p| json!(p));
    if let Value::Object(map) = &mut v {
        map.insert("class".into(), json!(row.promotion().map(|p| p.class().code())));
        map.insert("starts_at".into(), json!(row.starts_at.map(crate::domain::time::rfc3339)));
        map.insert("ends_at".into(), json!(row.ends_at.map(crate::domain::time::rfc3339)));
        map.insert("analytics".into(), json!(analytics));
    }
    v
}

async fn one(db: &D1, id: i64) -> Result<Value, AppError> {
    let results = db.batch(&[promotion_sql(id), analytics_sql(Some(id))]).await?;
    let [promotion, analytics] = results.as_slice() else { return Err(AppError::Internal("promotion batch".into())) };
    let row = promotion.decode::<PromotionRow>()?.into_iter().next().ok_or(AppError::NotFound)?;
    let analytics = analytics.decode::<AnalyticsRow>()?.into_iter().next();
    Ok(promotion_json(&row, analytics.as_ref()))
}

#[derive(Deserialize)]
struct BulkBody {
    prefix: Option<String>,
    count: Option<usize>,
}

pub async fn internal(incoming: &Incoming, env: &Env, segments: &[&str], body: &str) -> Result<Response, AppError> {
    let db = D1::open(env)?;
    let id = |s: &str| s.parse::<i64>().map_err(|_| AppError::NotFound);
    match (incoming.method.clone(), segments) {
        (Method::Get, ["internal", "promotions"]) => {
            let results = db.batch(&[list_promotions_sql(), analytics_sql(None)]).await?;
            let [list, analytics] = results.as_slice() else { return Err(AppError::Internal("promotion batch".into())) };
            let analytics: Vec<AnalyticsRow> = analytics.decode()?;
            let items: Vec<Value> = list.decode::<PromotionRow>()?.iter().map(|r| promotion_json(r, analytics.iter().find(|a| a.promotion_id == r.id))).collect();
            Ok(json_response(200, &json!({ "promotions": items })))
        }
        (Method::Post, ["internal", "promotions"]) => {
            let input: PromotionInput = parse_json(body)?;
            let (promotion, codes) = validate_input(&input)?;
            let results = db.batch(&create_promotion(&promotion, &codes, now())).await.map_err(|e| match e {
                // A code that exists already (the codes' primary key) is the owner's mistake, not ours.
                e if e.is_unique("promotion_codes", "") => AppError::Invalid(vec![FieldError { field: "codes", problem: Problem::BadValue }]),
                other => other.into(),
            })?;
            let row = results.last().map(Rows::decode::<PromotionRow>).transpose()?.and_then(|r| r.into_iter().next()).ok_or(AppError::Internal("created promotion".into()))?;
            bump_catalog_version(env, &db).await?;
            Ok(json_response(201, &promotion_json(&row, None)))
        }
        (Method::Get, ["internal", "promotions", pid]) => Ok(json_response(200, &one(&db, id(pid)?).await?)),
        (Method::Put | Method::Patch, ["internal", "promotions", pid]) => {
            let pid = id(pid)?;
            let input: PromotionInput = parse_json(body)?;
            let (promotion, _) = validate_input(&input)?;
            let results = db.batch(&update_promotion(pid, &promotion, now())).await?;
            if results.last().map(Rows::decode::<PromotionRow>).transpose()?.is_none_or(|r| r.is_empty()) {
                return Err(AppError::NotFound);
            }
            bump_catalog_version(env, &db).await?;
            Ok(json_response(200, &one(&db, pid).await?))
        }
        (Method::Post, ["internal", "promotions", pid, "codes"]) => {
            let pid = id(pid)?;
            let bulk: BulkBody = parse_json(body)?;
            let mut errors = Vec::new();
            let prefix = bulk.prefix.as_deref().and_then(parse_code_prefix);
            if prefix.is_none() {
                errors.push(FieldError { field: "prefix", problem: Problem::BadValue });
            }
            let count = bulk.count.filter(|n| (1..=MAX_BULK_CODES).contains(n));
            if count.is_none() {
                errors.push(FieldError { field: "count", problem: Problem::OutOfRange { min: 1, max: MAX_BULK_CODES as i64 } });
            }
            let (Some(prefix), Some(count)) = (prefix, count) else { return Err(AppError::Invalid(errors)) };
            one(&db, pid).await?;
            let batch_id = crate::platform::random::token(6).ok_or_else(|| AppError::Internal("no randomness".into()))?;
            let made = generate_bulk(&db, pid, &prefix, count, &batch_id).await?;
            Ok(json_response(201, &json!({ "promotion_id": pid, "batch": batch_id, "created": made, "csv": format!("/internal/promotions/{pid}/codes.csv?batch={batch_id}") })))
        }
        (Method::Get, ["internal", "promotions", pid, "codes.csv"]) => {
            let pid = id(pid)?;
            let batch = query_param(&incoming.query, "batch");
            let codes: Vec<CodeRow> = db.all(&codes_sql(pid, batch.as_deref())).await?;
            Ok(attachment("text/csv; charset=utf-8", codes_csv(&codes), &format!("promotion-{pid}-codes.csv")))
        }
        _ => Err(AppError::NotFound),
    }
}

/// Inserts `count` new single-use codes, topping up when a generated code already existed.
pub(super) async fn generate_bulk(db: &D1, promotion_id: i64, prefix: &str, count: usize, batch_id: &str) -> Result<usize, AppError> {
    let mut made = 0;
    for _ in 0..4 {
        if made >= count {
            break;
        }
        let bytes = crate::platform::random::bytes((count - made) * crate::domain::promotions::CODE_RANDOM_CHARS * 2 + 64)
            .ok_or_else(|| AppError::Internal("no randomness".into()))?;
        let mut it = bytes.into_iter().cycle();
        let codes = generate_codes(prefix, count - made, &mut || it.next().unwrap_or(0));
        // D1 takes a bounded number of statements per batch; 100 codes per round trip.
        for chunk in insert_codes(promotion_id, &codes, batch_id, now()).chunks(100) {
            for result in db.batch(chunk).await? {
                made += result.changes() as usize;
            }
        }
    }
    Ok(made)
}


/// Badges of the live automatic promotions that reach a product (`product_id`, in `collections`) or
/// a listing (its category ancestry; none for search). The promotions are read once per catalog
/// version and isolate; a storage failure renders no badges, never an error.
pub async fn badges_for(ctx: &PageCtx, db: &D1, version: &str, product_id: Option<i64>, categories: &[i64], collections: &[i64]) -> maud::Markup {
    let automatic = match crate::platform::memo::automatic(version) {
        Some(rows) => rows,
        None => match db.all::<PromotionRow>(&crate::app::promotions::automatic_sql()).await {
            Ok(rows) => crate::platform::memo::keep_automatic(version, rows),
            Err(e) => {
                worker::console_error!("promotion badges: {e}");
                return maud::html! {};
            }
        },
    };
    let now = now();
    let live: Vec<PromotionRow> = automatic.iter().filter(|p| p.live_at(now)).cloned().collect();
    let reaching: Vec<_> = crate::app::promotions::promotions_of(&live)
        .into_iter()
        .filter(|p| match product_id {
            Some(pid) => crate::views::promotions::reaches(p, pid, categories, collections),
            None => crate::views::promotions::reaches_listing(p, categories),
        })
        .collect();
    crate::views::promotions::badges(ctx, &reaching)
}
