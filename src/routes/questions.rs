//! Product questions and answers (issue 22, docs/REVIEWS.md "Questions and answers"), dispatched
//! from `routes::reviews`:
//!
//! - `GET /api/v1/products/{slug}/questions?page=`: published questions with their published
//!   answers (edge-cached with the catalog; a publish bumps the catalog version);
//! - `POST /api/v1/products/{slug}/questions` (`Authorization: Bearer`) `{"body"}` → 201; 401
//!   without a token; 422 field errors; 429 too many;
//! - pages: `POST /reviews/questions` (`slug`, `body`) and `POST /reviews/questions/{id}/answers`
//!   (`body`), the product page's forms; a visitor not signed in goes to sign-in first.

use serde_json::{json, Value};
use worker::{Env, Response};

use super::http::{json_response, parse_json, redirect, Machine, Page};
use super::Incoming;
use crate::app::questions::{self, Question, QuestionsPage};
use crate::domain::error::AppError;
use crate::domain::listing::{parse_query, FieldError, Problem};
use crate::domain::locale::Locale;
use crate::domain::throttle::Action;
use crate::domain::time::rfc3339;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::platform::{random, rate_limit_do};
use crate::views::questions::{form_page, FormBack};

/// A question as the API shows it (the OpenAPI document's `Question`).
pub fn question_json(q: &Question) -> Value {
    json!({
        "id": q.id,
        "body": q.body,
        "author": q.author_name,
        "locale": q.locale,
        "created_at": rfc3339(q.published_at.unwrap_or(q.created_at)),
        "answers": q.answers.iter().map(|a| json!({
            "id": a.id,
            "body": a.body,
            "by": a.by.code(),
            "author": a.author_name,
            "created_at": rfc3339(a.published_at.unwrap_or(a.created_at)),
        })).collect::<Vec<_>>(),
    })
}

pub fn page_json(page: &QuestionsPage) -> Value {
    json!({
        "questions": page.questions.iter().map(question_json).collect::<Vec<_>>(),
        "page": page.page,
        "pages": page.pages(),
        "total": page.total,
    })
}

/// `page` from the query: 1–1000 (default 1); anything else is a 400 naming the field.
fn page_of(query: &str) -> Result<i64, AppError> {
    match parse_query(query).into_iter().find(|(k, _)| k == "page") {
        None => Ok(1),
        Some((_, v)) => match v.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            Ok(_) => Err(AppError::Invalid(vec![FieldError { field: "page", problem: Problem::OutOfRange { min: 1, max: 1000 } }])),
            Err(_) => Err(AppError::Invalid(vec![FieldError { field: "page", problem: Problem::NotANumber }])),
        },
    }
}

/// `GET /api/v1/products/{slug}/questions`.
pub async fn list_json(env: &Env, incoming: &Incoming, slug: &str) -> Result<String, AppError> {
    let n = page_of(&incoming.query)?;
    let page = questions::page_by_slug(&D1::open(env)?, slug, n).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(page_json(&page).to_string())
}

fn new_id() -> Result<String, AppError> {
    random::id().ok_or_else(|| AppError::Internal("no randomness".into()))
}

/// `POST /api/v1/products/{slug}/questions`: the bearer token's customer asks.
pub async fn create_json(m: &Machine<'_>, slug: &str) -> Result<Response, AppError> {
    if super::http::header(m.req, "authorization").is_none() {
        return Err(AppError::Unauthorized);
    }
    let db = D1::open(m.env)?;
    let customer = match super::api_auth::bearer_customer(m.req, &db, &m.config).await? {
        Ok(customer) => customer,
        Err(refusal) => return Ok(refusal),
    };
    let body: Value = parse_json::<Value>(&m.body).ok().filter(Value::is_object).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }]))?;
    rate_limit_do::within(m.env, m.req, Action::Reviews).await?;
    let text = match body.get("body") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(AppError::Unprocessable(vec![FieldError { field: "body", problem: Problem::BadValue }])),
    };
    let locale = body.get("locale").and_then(Value::as_str).unwrap_or("vi");
    let asked = questions::ask(&db, &customer.id, slug, text, locale, &new_id()?, now()).await.map_err(|e| e.into_app_error(Locale::En))?;
    Ok(json_response(201, &json!({"question": {"id": asked.id, "status": asked.status.code(), "flags": asked.flags}})))
}

/// The product page the form came from (`return`, a local path only), else the home page.
fn back(p: &Page<'_>) -> String {
    p.field("return").and_then(|r| crate::domain::oauth::safe_return(&r)).map(|r| r.split(['#', '?']).next().unwrap_or_default().to_string()).unwrap_or_else(|| p.ctx.href("/"))
}

/// The signed-in customer's id, or the redirect to sign-in (back to the product afterwards).
async fn signed_in(p: &Page<'_>, db: &D1) -> Result<Result<String, Response>, AppError> {
    match crate::platform::accounts::current_shopper(p.req, db, p.config.customer_sessions).await? {
        Some(shopper) => Ok(Ok(shopper.customer.id)),
        None => {
            let login = p.ctx.href(crate::views::account::paths::LOGIN);
            Ok(Err(redirect(&format!("{login}?return={}", crate::domain::listing::percent_encode_component(&back(p))), Vec::new())))
        }
    }
}

/// `POST /reviews/questions` (`slug`, `body`).
pub async fn ask_form(p: &Page<'_>) -> Result<Response, AppError> {
    let db = D1::open(p.env)?;
    let customer = match signed_in(p, &db).await? {
        Ok(id) => id,
        Err(to_login) => return Ok(to_login),
    };
    rate_limit_do::within(p.env, p.req, Action::Reviews).await?;
    let slug = p.field("slug").unwrap_or_default();
    let body = p.field("body").unwrap_or_default();
    let to = back(p);
    match questions::ask(&db, &customer, &slug, &body, p.ctx.locale.code(), &new_id()?, now()).await {
        Ok(_) => Ok(redirect(&format!("{to}?qa=asked#questions"), Vec::new())),
        Err(questions::QaError::Invalid(errors)) => {
            let hidden = [("slug", slug.as_str())];
            let form = FormBack { answering: false, action: "/reviews/questions", hidden: &hidden, body: &body, errors: &errors, refusal: None, return_to: &to };
            Ok(super::http::html(422, form_page(&p.ctx, &form).into_string(), Vec::new()))
        }
        Err(e) => Err(e.into_app_error(p.ctx.locale)),
    }
}

/// `POST /reviews/questions/{id}/answers` (`body`): a verified buyer's answer.
pub async fn answer_form(p: &Page<'_>, question_id: &str) -> Result<Response, AppError> {
    let db = D1::open(p.env)?;
    let customer = match signed_in(p, &db).await? {
        Ok(id) => id,
        Err(to_login) => return Ok(to_login),
    };
    rate_limit_do::within(p.env, p.req, Action::Reviews).await?;
    let body = p.field("body").unwrap_or_default();
    let to = back(p);
    let action = format!("/reviews/questions/{question_id}/answers");
    let sent_back = |status: u16, errors: &[FieldError], refusal: Option<&str>| {
        let form = FormBack { answering: true, action: &action, hidden: &[], body: &body, errors, refusal, return_to: &to };
        super::http::html(status, form_page(&p.ctx, &form).into_string(), Vec::new())
    };
    match questions::answer_as_buyer(&db, &customer, question_id, &body, &new_id()?, now()).await {
        Ok(_) => Ok(redirect(&format!("{to}?qa=answered#question-{question_id}"), Vec::new())),
        Err(questions::QaError::Invalid(errors)) => Ok(sent_back(422, &errors, None)),
        Err(questions::QaError::NotABuyer) => Ok(sent_back(403, &[], Some(crate::domain::questions::AnswerRefusal::NotABuyer.message(p.ctx.locale)))),
        Err(e) => Err(e.into_app_error(p.ctx.locale)),
    }
}
