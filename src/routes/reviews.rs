//! Reviews (issue 22, docs/REVIEWS.md): the JSON API and the shopper's review forms.
//!
//! - `GET /api/v1/products/{slug}/reviews?page=&stars=&media=&sort=`: figures and a page of
//!   published reviews (edge-cached with the catalog; a publish bumps the catalog version);
//! - `POST /api/v1/products/{slug}/reviews` (`Authorization: Bearer` or `review_token` in the
//!   body) → 201; 401 without either; 403 not a verified buyer (or not delivered); 409 already
//!   reviewed; 422 field errors;
//! - `POST /api/v1/reviews/{id}/helpful`, `POST /api/v1/reviews/{id}/report`;
//! - `POST /api/v1/reviews/{id}/video-upload` (the author: bearer or `review_token`) →
//!   `{"upload_url","video_id"}`, a direct upload to Cloudflare Stream (`app::review_videos`);
//! - pages: `POST /reviews/{id}/helpful` and `/reviews/{id}/report` (the product page's forms);
//! - questions and answers: `routes::questions`.

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
        (Method::Get | Method::Head, ["api", "v1", "products", slug, "questions"]) => {
            let slug = slug.to_string();
            super::api::serve(incoming, env, ctx, "api.questions.list", async || super::questions::list_json(env, incoming, &slug).await).await
        }
        (Method::Post, ["api", "v1", "products", slug, "questions"]) => {
            serve_machine(req, incoming, env, "api.questions.create", async |m| super::questions::create_json(m, slug).await).await
        }
        (_, ["api", "v1", "products", _, "reviews" | "questions"]) => {
            incoming.name("api.reviews.unknown");
            not_served(incoming, Some("GET, HEAD, POST"))
        }
        (Method::Post, ["api", "v1", "reviews", id, "helpful"]) => serve_machine(req, incoming, env, "api.reviews.helpful", async |m| helpful_json(m, id).await).await,
        (Method::Post, ["api", "v1", "reviews", id, "report"]) => serve_machine(req, incoming, env, "api.reviews.report", async |m| report_json(m, id).await).await,
        (Method::Post, ["api", "v1", "reviews", id, "video-upload"]) => {
            serve_machine(req, incoming, env, "api.reviews.video_upload", async |m| video_upload_json(m, id).await).await
        }
        (_, ["api", "v1", "reviews", _, "helpful" | "report" | "video-upload"]) => {
            incoming.name("api.reviews.unknown");
            not_served(incoming, Some("POST"))
        }
        (_, ["api", ..]) => {
            incoming.name("api.reviews.unknown");
            not_served(incoming, None)
        }
        (Method::Get, ["reviews", "write"]) => serve_page(req, incoming, env, "reviews.write_form", write_form).await,
        (Method::Post, ["reviews", "write"]) => write_review_form(req, incoming, env).await,
        (Method::Post, ["reviews", "questions"]) => serve_page(req, incoming, env, "questions.ask", super::questions::ask_form).await,
        (Method::Post, ["reviews", "questions", id, "answers"]) => {
            serve_page(req, incoming, env, "questions.answer", async |p| super::questions::answer_form(p, id).await).await
        }
        (Method::Post, ["reviews", id, "helpful"]) => serve_page(req, incoming, env, "reviews.helpful", async |p| helpful_form(p, id).await).await,
        (Method::Post, ["reviews", id, "report"]) => serve_page(req, incoming, env, "reviews.report", async |p| report_form(p, id).await).await,
        _ => serve_page(req, incoming, env, "reviews.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

// --- JSON ----------------------------------------------------------------------------------------

/// A review as the API shows it (the OpenAPI document's `Review`).
pub fn review_json(r: &ReviewRow, video_base: Option<&str>) -> Value {
    use crate::domain::stream::{hls_url, iframe_url, thumbnail_url};
    let video = match (r.video.as_deref(), video_base) {
        (Some(uid), Some(base)) => json!({"id": uid, "player": iframe_url(base, uid), "hls": hls_url(base, uid), "poster": thumbnail_url(base, uid)}),
        _ => Value::Null,
    };
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
        "video": video,
        "reply": r.reply.as_ref().map(|text| json!({"body": text, "created_at": r.reply_at.map(rfc3339)})),
        "helpful": r.helpful,
    })
}

pub fn page_json(page: &ReviewsPage) -> Value {
    let s = &page.summary;
    let distribution: serde_json::Map<String, Value> = (1..=5).map(|n| (n.to_string(), json!(s.distribution[n - 1]))).collect();
    json!({
        "summary": {"average": s.average(), "count": s.count, "distribution": distribution},
        "reviews": page.reviews.iter().map(|r| review_json(r, page.video_base.as_deref())).collect::<Vec<_>>(),
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
    let mut page = reviews::page_by_slug(&D1::open(env)?, slug, &q).await.map_err(|e| e.into_app_error(Locale::En))?;
    page.video_base = crate::platform::config::Config::from_env(env).stream.as_ref().map(|s| s.delivery_base.clone());
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
    let reviewer = match reviewer_of(m, &db, &body).await? {
        Ok(reviewer) => reviewer,
        Err(refusal) => return Ok(refusal),
    };
    rate_limit_do::within(m.env, m.req, Action::Reviews).await?;
    let input = review_input(&body)?;
    let taken = reviews::submit(&db, &reviewer, slug, &input, &[], &new_id()?, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    if taken.status == ReviewStatus::Published {
        bump_catalog_version(m.env).await?;
    }
    let answer = json!({"review": {"id": taken.id, "status": taken.status.code(), "flags": taken.flags}});
    Ok(json_response(201, &answer))
}

/// The reviewer a request speaks for: the bearer token's customer, or the review link's line
/// (`review_token` in the body). `Err(response)`: the bearer was refused.
async fn reviewer_of(m: &Machine<'_>, db: &D1, body: &Value) -> Result<Result<Reviewer, Response>, AppError> {
    if super::http::header(m.req, "authorization").is_some() {
        return Ok(match super::api_auth::bearer_customer(m.req, db, &m.config).await? {
            Ok(customer) => Ok(Reviewer::Customer(customer.id)),
            Err(refusal) => Err(refusal),
        });
    }
    let secret = super::http::require_secret(&m.config)?;
    let token = body.get("review_token").and_then(Value::as_str).unwrap_or_default();
    match verify_review_token(secret.as_bytes(), token, now()) {
        Some((order_id, line_no)) => Ok(Ok(Reviewer::Link { order_id, line_no })),
        None => Err(AppError::Unauthorized),
    }
}

/// `POST /api/v1/reviews/{id}/video-upload`: the review's author gets a one-time upload link to
/// Cloudflare Stream (90 s at most, 30 minutes to use it); the file goes there, never here. 404
/// when Stream is not configured.
async fn video_upload_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let cfg = m.config.stream.as_ref().ok_or(AppError::NotFound)?;
    let body: Value = if m.body.trim().is_empty() { json!({}) } else { parse_json::<Value>(&m.body).ok().filter(Value::is_object).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }]))? };
    let db = D1::open(m.env)?;
    let reviewer = match reviewer_of(m, &db, &body).await? {
        Ok(reviewer) => reviewer,
        Err(refusal) => return Ok(refusal),
    };
    rate_limit_do::within(m.env, m.req, Action::Reviews).await?;
    let stream = crate::platform::stream::Stream { cfg, allowed_origins: crate::platform::stream::allowed_origins(&m.config) };
    let upload = crate::app::review_videos::request_upload(&db, &stream, &reviewer, id, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(json_response(201, &json!({"upload_url": upload.upload_url, "video_id": upload.uid, "max_duration_seconds": crate::domain::stream::MAX_DURATION_SECONDS})))
}

/// Who a vote or report counts as: the client address, hashed with the shop's secret (never stored
/// as it is).
fn visitor_key(req: &Request, secret: &str) -> String {
    format!("ip:{}", &sha256_hex(format!("{secret}:{}", rate_limit_do::client(req)).as_bytes())[..32])
}

async fn helpful_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&m.config)?;
    rate_limit_do::within(m.env, m.req, Action::ReviewVotes).await?;
    let voted = reviews::vote_helpful(&D1::open(m.env)?, id, &visitor_key(m.req, secret), None, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(json_response(200, &json!({"counted": voted.counted, "helpful": voted.helpful})))
}

async fn report_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&m.config)?;
    rate_limit_do::within(m.env, m.req, Action::ReviewVotes).await?;
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
    rate_limit_do::within(p.env, p.req, Action::ReviewVotes).await?;
    reviews::vote_helpful(&D1::open(p.env)?, id, &visitor_key(p.req, secret), None, now()).await.map_err(|e| e.into_app_error(p.ctx.locale))?;
    Ok(redirect(&format!("{}#review-{id}", back(p)), Vec::new()))
}

async fn report_form(p: &Page<'_>, id: &str) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&p.config)?;
    rate_limit_do::within(p.env, p.req, Action::ReviewVotes).await?;
    let reason = p.field("reason").unwrap_or_default();
    reviews::report(&D1::open(p.env)?, id, &visitor_key(p.req, secret), &reason, now()).await.map_err(|e| e.into_app_error(p.ctx.locale))?;
    Ok(redirect(&format!("{}#review-{id}", back(p)), Vec::new()))
}

// --- the write form (the signed review link) ----------------------------------------------------

fn link_refusal(locale: Locale) -> &'static str {
    match locale {
        Locale::Vi => "Liên kết đánh giá không hợp lệ hoặc đã hết hạn. Hãy mở lại liên kết trong email của đơn hàng.",
        Locale::En => "This review link is not valid or has expired. Open the link from your order email again.",
    }
}

/// The line a link names, or the page saying why the link cannot be used.
async fn linked_line(p: &Page<'_>, token: &str) -> Result<Result<(String, i64, crate::app::reviews::LinkLine), Response>, AppError> {
    let secret = super::http::require_secret(&p.config)?;
    let refused = |status| Ok(Err(super::http::html(status, crate::views::errors::message_page(&p.ctx, link_refusal(p.ctx.locale)).into_string(), Vec::new())));
    let Some((order_id, line_no)) = verify_review_token(secret.as_bytes(), token, now()) else { return refused(403) };
    let line: Option<crate::app::reviews::LinkLine> = crate::app::db::Db::first(&D1::open(p.env)?, &crate::app::reviews::link_line_sql(&order_id, line_no)).await?;
    match line {
        Some(line) => Ok(Ok((order_id, line_no, line))),
        None => refused(404),
    }
}

fn write_markup(p: &Page<'_>, line: &crate::app::reviews::LinkLine, token: &str, input: &ReviewInput, errors: &[FieldError], refusal: Option<&str>) -> maud::Markup {
    let l = p.ctx.locale;
    let view = crate::views::reviews::WriteLine { slug: &line.slug, name: l.pick(&line.name_vi, &line.name_en), size: &line.size, color: l.pick(&line.color_vi, &line.color_en) };
    crate::views::reviews::write_page(&p.ctx, &view, token, input, errors, refusal, true)
}

/// `GET /reviews/write?t=…`.
async fn write_form(p: &Page<'_>) -> Result<Response, AppError> {
    let token = super::http::query_param(&p.incoming.query, "t").unwrap_or_default();
    let (_, _, line) = match linked_line(p, &token).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    Ok(super::http::html(200, write_markup(p, &line, &token, &ReviewInput::default(), &[], None).into_string(), Vec::new()))
}

/// `POST /reviews/write` (urlencoded, or multipart with up to five `photo` files): as `serve_page`
/// does — the page context, the form (here with its files; one over the upload limit is a 413), the
/// CSRF check — then `write_review`.
async fn write_review_form(mut req: Request, incoming: &Incoming, env: &Env) -> Response {
    incoming.name("reviews.write");
    let config = crate::platform::config::Config::from_env(env);
    let (locale, local) = Locale::split_path(&incoming.path);
    let version = crate::platform::edge_cache::catalog_version(env).await;
    let ctx = super::storefront::page_ctx(incoming, env, locale, local, &version).await;
    let (form, uploads) = match super::admin_upload::read_form_with_files(&mut req, env, "photo", crate::domain::reviews::PHOTOS_MAX + 1).await {
        Ok(Ok(read)) => read,
        Ok(Err(too_large)) => return too_large,
        Err(e) => return super::http::error_page(&ctx, incoming, e),
    };
    if !crate::platform::security::check_form(&req, &incoming.path, &incoming.origin, config.shop_secret.as_deref(), &form) {
        return super::http::foreign_form(&ctx, incoming);
    }
    let page = Page { req: &req, incoming, env, config, ctx, form };
    match write_review(&page, &uploads).await {
        Ok(response) => response,
        Err(e) => super::http::error_page(&page.ctx, incoming, e),
    }
}

/// The photos checked by their bytes (JPEG, PNG or WebP only; the type is read from the content,
/// never the name) and stored content-hashed in KV like the catalog's images; their `/media/…` URLs.
async fn store_photos(p: &Page<'_>, uploads: &[super::admin_upload::Upload]) -> Result<Result<Vec<String>, Response>, AppError> {
    use crate::domain::media::{check, Kind, Problem as MediaProblem};
    let max = super::admin_upload::max_bytes(p.env);
    let mut checked = Vec::new();
    for upload in uploads {
        match check(&upload.bytes, max) {
            Ok(c) if matches!(c.kind, Kind::Jpeg | Kind::Png | Kind::Webp) => checked.push(c),
            Err(MediaProblem::TooLarge { max }) => return Ok(Err(super::admin_upload::too_large(max))),
            _ => return Err(AppError::Unprocessable(vec![FieldError { field: "photo", problem: Problem::BadValue }])),
        }
    }
    let kv = p.env.kv(crate::platform::KV).map_err(|e| AppError::internal("kv binding", e))?;
    let mut urls = Vec::new();
    for c in checked {
        if kv.get(&c.key()).bytes().await.ok().flatten().is_none() {
            kv.put_bytes(&c.key(), &c.bytes).map_err(|e| AppError::internal("kv put", e))?.execute().await.map_err(|e| AppError::internal("kv put", e))?;
        }
        urls.push(c.url());
    }
    Ok(Ok(urls))
}

/// The form's review through `app::reviews::submit` as the link's line, with its photos.
async fn write_review(p: &Page<'_>, uploads: &[super::admin_upload::Upload]) -> Result<Response, AppError> {
    let token = p.field("t").unwrap_or_default();
    let (order_id, line_no, line) = match linked_line(p, &token).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let rating = p.field("rating").filter(|r| !r.is_empty());
    let input = ReviewInput {
        rating: rating.as_deref().map(|r| r.parse::<i64>().unwrap_or(0)),
        title: p.field("title").unwrap_or_default(),
        body: p.field("body").unwrap_or_default(),
        fit: p.field("fit"),
    };
    rate_limit_do::within(p.env, p.req, Action::Reviews).await?;
    let reviewer = Reviewer::Link { order_id, line_no };
    let respond = |status: u16, markup: maud::Markup| super::http::html(status, markup.into_string(), Vec::new());
    if uploads.len() > crate::domain::reviews::PHOTOS_MAX {
        let errors = [FieldError { field: "photo", problem: Problem::TooMany }];
        return Ok(respond(422, write_markup(p, &line, &token, &input, &errors, None)));
    }
    let photos = match store_photos(p, uploads).await {
        Ok(Ok(urls)) => urls,
        Ok(Err(too_large)) => return Ok(too_large),
        Err(AppError::Unprocessable(errors)) => return Ok(respond(422, write_markup(p, &line, &token, &input, &errors, None))),
        Err(e) => return Err(e),
    };
    match reviews::submit(&D1::open(p.env)?, &reviewer, &line.slug, &input, &photos, &new_id()?, now()).await {
        Ok(taken) => {
            let published = taken.status == ReviewStatus::Published;
            if published {
                bump_catalog_version(p.env).await?;
            }
            // With Stream configured, the author may add a video through the same link.
            let upload = crate::views::reviews::VideoUpload { review_id: &taken.id, token: &token };
            let video = p.config.stream.as_ref().map(|_| &upload);
            Ok(respond(201, crate::views::reviews::thanks_page(&p.ctx, &line.slug, published, !photos.is_empty(), video)))
        }
        Err(reviews::ReviewError::Invalid(errors)) => Ok(respond(422, write_markup(p, &line, &token, &input, &errors, None))),
        Err(reviews::ReviewError::Ineligible(why)) => Ok(respond(why.status(), write_markup(p, &line, &token, &input, &[], Some(why.message(p.ctx.locale))))),
        Err(e) => Err(e.into_app_error(p.ctx.locale)),
    }
}
