//! Reviews (issue 22, docs/REVIEWS.md): the JSON API and the shopper's review forms.
//!
//! - `GET /api/v1/products/{slug}/reviews?page=&stars=&media=&sort=`: figures and a page of
//!   published reviews (edge-cached with the catalog; a publish bumps the catalog version);
//! - `POST /api/v1/products/{slug}/reviews` (`Authorization: Bearer` or `review_token` in the
//!   body) → 201; 401 without either; 403 not a verified buyer (or not delivered); 409 already
//!   reviewed; 422 field errors;
//! - `POST /api/v1/reviews/{id}/helpful`, `POST /api/v1/reviews/{id}/report`;
//! - pages: `POST /reviews/{id}/helpful` and `/reviews/{id}/report` (the product page's forms).

use serde_json::{json, Value};
use worker::{Context, Env, Method, Request, Response};

use super::admin_catalog::bump_catalog_version;
use super::http::{json_response, not_served, parse_json, redirect, serve_machine, serve_page, Machine, Page};
use super::Incoming;
use crate::app::reviews::{self, ReviewRow, Reviewer, ReviewsPage};
use crate::domain::error::AppError;
use crate::domain::listing::{parse_query, FieldError, Problem};
use crate::domain::locale::Locale;
use crate::domain::reviews::{verify_review_token, ReviewInput, ReviewQuery, ReviewStatus};
use crate::domain::signature::sha256_hex;
use crate::domain::throttle::Action;
use crate::domain::time::rfc3339;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::platform::{random, rate_limit_do};

pub async fn handle(req: Request, incoming: &Incoming, env: &Env, ctx: &Context) -> Response {
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Get | Method::Head, ["api", "v1", "products", slug, "reviews"]) => {
            let slug = slug.to_string();
            super::api::serve(incoming, env, ctx, "api.reviews.list", async || list_json(env, incoming, &slug).await).await
        }
        (Method::Post, ["api", "v1", "products", slug, "reviews"]) => serve_machine(req, incoming, env, "api.reviews.create", async |m| create_json(m, slug).await).await,
        (_, ["api", "v1", "products", _, "reviews"]) => {
            incoming.name("api.reviews.unknown");
            not_served(incoming, Some("GET, HEAD, POST"))
        }
        (Method::Post, ["api", "v1", "reviews", id, "helpful"]) => serve_machine(req, incoming, env, "api.reviews.helpful", async |m| helpful_json(m, id).await).await,
        (Method::Post, ["api", "v1", "reviews", id, "report"]) => serve_machine(req, incoming, env, "api.reviews.report", async |m| report_json(m, id).await).await,
        (_, ["api", "v1", "reviews", _, "helpful" | "report"]) => {
            incoming.name("api.reviews.unknown");
            not_served(incoming, Some("POST"))
        }
        (_, ["api", ..]) => {
            incoming.name("api.reviews.unknown");
            not_served(incoming, None)
        }
        (Method::Post, ["reviews", id, "helpful"]) => serve_page(req, incoming, env, "reviews.helpful", async |p| helpful_form(p, id).await).await,
        (Method::Post, ["reviews", id, "report"]) => serve_page(req, incoming, env, "reviews.report", async |p| report_form(p, id).await).await,
        _ => serve_page(req, incoming, env, "reviews.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

// --- JSON ----------------------------------------------------------------------------------------

/// A review as the API shows it (the OpenAPI document's `Review`).
pub fn review_json(r: &ReviewRow) -> Value {
    json!({
        "id": r.id,
        "rating": r.rating,
        "title": r.title,
        "body": r.body,
        "fit": r.fit,
        "variant": {"size": r.size, "color": r.color},
        "author": r.author_name,
        "locale": r.locale,
        "created_at": rfc3339(r.published_at.unwrap_or(r.created_at)),
        "photos": r.photo_urls(),
        "video": Value::Null,
        "reply": r.reply.as_ref().map(|text| json!({"body": text, "created_at": r.reply_at.map(rfc3339)})),
        "helpful": r.helpful,
    })
}

pub fn page_json(page: &ReviewsPage) -> Value {
    let s = &page.summary;
    let distribution: serde_json::Map<String, Value> = (1..=5).map(|n| (n.to_string(), json!(s.distribution[n - 1]))).collect();
    json!({
        "summary": {"average": s.average(), "count": s.count, "distribution": distribution},
        "reviews": page.reviews.iter().map(review_json).collect::<Vec<_>>(),
        "page": page.page,
        "pages": page.pages(),
        "total": page.matching,
    })
}

fn review_query(query: &str) -> Result<ReviewQuery, AppError> {
    let pairs = parse_query(query);
    ReviewQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(AppError::Invalid)
}

async fn list_json(env: &Env, incoming: &Incoming, slug: &str) -> Result<String, AppError> {
    let q = review_query(&incoming.query)?;
    let page = reviews::page_by_slug(&D1::open(env)?, slug, &q).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(page_json(&page).to_string())
}

/// The review's fields from a JSON body: `rating` must be an integer.
fn review_input(body: &Value) -> Result<ReviewInput, AppError> {
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let rating = match body.get("rating") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) => Some(n),
            None => return Err(AppError::Unprocessable(vec![FieldError { field: "rating", problem: Problem::NotANumber }])),
        },
    };
    let fit = body.get("fit").and_then(Value::as_str).map(str::to_string);
    Ok(ReviewInput { rating, title: text("title"), body: text("body"), fit })
}

fn new_id() -> Result<String, AppError> {
    random::id().ok_or_else(|| AppError::Internal("no randomness".into()))
}

/// `POST /api/v1/products/{slug}/reviews`.
async fn create_json(m: &Machine<'_>, slug: &str) -> Result<Response, AppError> {
    let body: Value = parse_json::<Value>(&m.body).ok().filter(Value::is_object).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }]))?;
    let db = D1::open(m.env)?;
    let reviewer = if super::http::header(m.req, "authorization").is_some() {
        match super::api_auth::bearer_customer(m.req, &db, &m.config).await? {
            Ok(customer) => Reviewer::Customer(customer.id),
            Err(refusal) => return Ok(refusal),
        }
    } else {
        let secret = super::http::require_secret(&m.config)?;
        let token = body.get("review_token").and_then(Value::as_str).unwrap_or_default();
        match verify_review_token(secret.as_bytes(), token, now()) {
            Some((order_id, line_no)) => Reviewer::Link { order_id, line_no },
            None => return Err(AppError::Unauthorized),
        }
    };
    if let Some(wait) = rate_limit_do::check(m.env, m.req, Action::Reviews).await? {
        return Err(AppError::TooManyRequests { retry_after: wait });
    }
    let input = review_input(&body)?;
    let taken = reviews::submit(&db, &reviewer, slug, &input, &new_id()?, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    if taken.status == ReviewStatus::Published {
        bump_catalog_version(m.env).await?;
    }
    let answer = json!({"review": {"id": taken.id, "status": taken.status.code(), "flags": taken.flags}});
    Ok(json_response(201, &answer))
}

/// Who a vote or report counts as: the client address, hashed with the shop's secret (never stored
/// as it is).
fn visitor_key(req: &Request, secret: &str) -> String {
    format!("ip:{}", &sha256_hex(format!("{secret}:{}", rate_limit_do::client(req)).as_bytes())[..32])
}

async fn helpful_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&m.config)?;
    if let Some(wait) = rate_limit_do::check(m.env, m.req, Action::ReviewVotes).await? {
        return Err(AppError::TooManyRequests { retry_after: wait });
    }
    let voted = reviews::vote_helpful(&D1::open(m.env)?, id, &visitor_key(m.req, secret), None, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(json_response(200, &json!({"counted": voted.counted, "helpful": voted.helpful})))
}

async fn report_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&m.config)?;
    if let Some(wait) = rate_limit_do::check(m.env, m.req, Action::ReviewVotes).await? {
        return Err(AppError::TooManyRequests { retry_after: wait });
    }
    let reason = parse_json::<Value>(&m.body).ok().and_then(|b| b.get("reason").and_then(Value::as_str).map(str::to_string)).unwrap_or_default();
    let counted = reviews::report(&D1::open(m.env)?, id, &visitor_key(m.req, secret), &reason, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(json_response(202, &json!({"counted": counted})))
}

// --- pages ---------------------------------------------------------------------------------------

/// Back to the product page the form was on (`return`, a local path only).
fn back(p: &Page<'_>) -> String {
    p.field("return").filter(|r| r.starts_with('/') && !r.starts_with("//")).unwrap_or_else(|| p.ctx.href("/"))
}

async fn helpful_form(p: &Page<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&p.config)?;
    if let Some(wait) = rate_limit_do::check(p.env, p.req, Action::ReviewVotes).await? {
        return Err(AppError::TooManyRequests { retry_after: wait });
    }
    reviews::vote_helpful(&D1::open(p.env)?, id, &visitor_key(p.req, secret), None, now()).await.map_err(|e| e.into_app_error(p.ctx.locale))?;
    Ok(redirect(&format!("{}#review-{id}", back(p)), Vec::new()))
}

async fn report_form(p: &Page<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&p.config)?;
    if let Some(wait) = rate_limit_do::check(p.env, p.req, Action::ReviewVotes).await? {
        return Err(AppError::TooManyRequests { retry_after: wait });
    }
    let reason = p.field("reason").unwrap_or_default();
    reviews::report(&D1::open(p.env)?, id, &visitor_key(p.req, secret), &reason, now()).await.map_err(|e| e.into_app_error(p.ctx.locale))?;
    Ok(redirect(&format!("{}#review-{id}", back(p)), Vec::new()))
}
