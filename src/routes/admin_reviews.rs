//! `/admin/reviews` (issue 22): the moderation queue and its decisions — approve, reject with a
//! reason, hide, reply — each one `app::reviews::moderate` batch with its audit row. A decision
//! that changes what the storefront shows bumps the catalog version, so the cached product pages
//! (and their cards) show it at once. The Q&A tab (`/admin/reviews/questions`) moderates questions
//! and answers the same way (`app::questions`).

use worker::{Env, Response};

use super::admin_catalog::bump_catalog_version;
use super::http::{page, query_param, redirect, Form};
use crate::app::admin::{Actor, AdminRow};
use crate::app::db::Db;
use crate::app::review_videos;
use crate::app::reviews::{moderate, queue_sql, QueueFilter, QueueRow, ReviewError};
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::domain::reviews::Moderation;
use crate::domain::sentiment::Label;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::app::questions::QaFilter;
use crate::views::admin::reviews::{questions_page, reviews_page, Preview};

/// How many reviews one page of the queue lists.
const QUEUE_PAGE: i64 = 100;

/// `GET /admin/reviews?status=…&sentiment=…` (`positive`, `neutral`, `negative`; any other value: all).
pub async fn queue(db: &D1, admin: &AdminRow, query: &str) -> Result<Response, AppError> {
    let filter = QueueFilter::parse(&query_param(query, "status").unwrap_or_default());
    let sentiment = query_param(query, "sentiment").as_deref().and_then(Label::parse);
    let notice = query_param(query, "done").map(|d| match d.as_str() {
        "approve" => "Đã duyệt và đăng.",
        "reject" => "Đã từ chối.",
        "hide" => "Đã ẩn.",
        "reply" => "Đã gửi phản hồi.",
        "reject-video" => "Đã từ chối video và xoá ở Stream.",
        _ => "Đã lưu.",
    });
    let rows: Vec<QueueRow> = db.all(&queue_sql(filter, sentiment, QUEUE_PAGE)).await?;
    let previews = previews(&rows).await?;
    Ok(page(200, reviews_page(admin, filter, sentiment, &rows, notice, &previews)))
}

/// Signed players for the videos waiting for approval (only moderators can play them before).
async fn previews(rows: &[QueueRow]) -> Result<Vec<Preview>, AppError> {
    let Some(config) = crate::platform::config::Config::cached() else { return Ok(Vec::new()) };
    let Some(cfg) = config.stream.as_ref() else { return Ok(Vec::new()) };
    let mut previews = Vec::new();
    for r in rows {
        let (Some(uid), Some("ready")) = (r.video_uid.as_deref(), r.video_state.as_deref()) else { continue };
        if let Some(token) = crate::platform::stream::playback_token(cfg, uid, now()).await? {
            previews.push(Preview { review_id: r.id.clone(), base: cfg.delivery_base.clone(), token });
        }
    }
    Ok(previews)
}

/// `POST /admin/reviews/{id}/{approve|reject|hide|reply|reject-video}`. Approving a review also
/// approves its video once Stream has encoded it (made public at Stream); rejecting the review, or
/// only its video, deletes the video at Stream (`app::review_videos`).
pub async fn decide(env: &Env, db: &D1, admin: &AdminRow, actor: &Actor<'_>, id: &str, action: &str, form: &Form) -> Result<Response, AppError> {
    let filter = QueueFilter::parse(form.trimmed("status"));
    let done = |storefront_changed: bool| async move {
        if storefront_changed {
            bump_catalog_version(env).await?;
        }
        Ok::<Response, AppError>(redirect(&format!("/admin/reviews?status={}&done={action}", filter.code()), Vec::new()))
    };
    let config = crate::platform::config::Config::from_env(env);
    let stream = config.stream.as_ref().map(|cfg| crate::platform::stream::Stream { cfg, allowed_origins: crate::platform::stream::allowed_origins(&config) });
    if action == "reject-video" {
        let stream = stream.ok_or(AppError::NotFound)?;
        let changed = review_videos::reject(db, &stream, actor, id, now()).await.map_err(|e| e.into_app_error(Locale::Vi))?;
        return done(changed).await;
    }
    let decision = match action {
        "approve" => Moderation::Approve,
        "reject" => Moderation::Reject { reason: form.trimmed("reason").to_string() },
        "hide" => Moderation::Hide,
        "reply" => Moderation::Reply { text: form.trimmed("reply").to_string() },
        _ => return Err(AppError::NotFound),
    };
    // The video first: if Stream cannot make it public (or delete it), nothing is decided yet.
    let mut video_changed = false;
    if let Some(stream) = &stream {
        video_changed = match &decision {
            Moderation::Approve => review_videos::approve(db, stream, actor, id, now()).await,
            Moderation::Reject { reason } if !reason.trim().is_empty() => review_videos::reject(db, stream, actor, id, now()).await,
            _ => Ok(false),
        }
        .map_err(|e| e.into_app_error(Locale::Vi))?;
    }
    match moderate(db, actor, id, &decision, now()).await {
        Ok(storefront_changed) => done(storefront_changed || video_changed).await,
        Err(ReviewError::WrongState(_)) if video_changed => done(true).await,
        Err(ReviewError::Invalid(_)) => {
            let rows: Vec<QueueRow> = db.all(&queue_sql(filter, None, QUEUE_PAGE)).await?;
            let why = if action == "reject" { "Hãy ghi lý do từ chối (tối đa 2.000 ký tự)." } else { "Hãy nhập phản hồi (tối đa 2.000 ký tự)." };
            let previews = previews(&rows).await?;
            Ok(page(422, reviews_page(admin, filter, None, &rows, Some(why), &previews)))
        }
        Err(e) => Err(e.into_app_error(Locale::Vi)),
    }
}

// --- questions and answers ---------------------------------------------------------------------

/// `GET /admin/reviews/questions?status=…`: the Q&A tab of the queue. `refused`: a decision sent
/// back (422) with why.
pub async fn questions(db: &D1, admin: &AdminRow, query: &str, refused: Option<&str>) -> Result<Response, AppError> {
    let filter = QaFilter::parse(&query_param(query, "status").unwrap_or_default());
    let notice = refused.or_else(|| {
        query_param(query, "done").map(|d| match d.as_str() {
            "approve" => "Đã duyệt và đăng.",
            "reject" => "Đã từ chối.",
            "answer" => "Đã đăng câu trả lời của cửa hàng.",
            _ => "Đã lưu.",
        })
    });
    let (rows, answers) = crate::app::questions::queue(db, filter, QUEUE_PAGE).await?;
    Ok(page(if refused.is_some() { 422 } else { 200 }, questions_page(admin, filter, &rows, &answers, notice)))
}

/// `POST /admin/reviews/{questions|answers}/{id}/{approve|reject|answer}`: a moderator's decision
/// (`app::questions`), audited; one that changes what the product page shows bumps the catalog
/// version, so the cached pages show it at once.
#[expect(clippy::too_many_arguments, reason = "the admin router's request parts, as `decide` takes them")]
pub async fn decide_qa(env: &Env, db: &D1, admin: &AdminRow, actor: &Actor<'_>, kind: &str, id: &str, action: &str, form: &Form) -> Result<Response, AppError> {
    use crate::app::questions::{answer_as_shop, moderate, QaError, Subject};
    use crate::domain::questions::QaDecision;
    let filter = QaFilter::parse(form.trimmed("status"));
    let subject = if kind == "answers" { Subject::Answer } else { Subject::Question };
    let outcome = match (subject, action) {
        (Subject::Question, "answer") => {
            let answer_id = crate::platform::random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
            answer_as_shop(db, actor, id, form.trimmed("answer"), &answer_id, now()).await.map(|_| true)
        }
        (_, "approve") => moderate(db, actor, subject, id, &QaDecision::Approve, now()).await.map(|d| d.storefront_changed),
        (_, "reject") => moderate(db, actor, subject, id, &QaDecision::Reject { reason: form.trimmed("reason").to_string() }, now()).await.map(|d| d.storefront_changed),
        _ => return Err(AppError::NotFound),
    };
    match outcome {
        Ok(storefront_changed) => {
            if storefront_changed {
                bump_catalog_version(env).await?;
            }
            Ok(redirect(&format!("/admin/reviews/questions?status={}&done={action}", filter.code()), Vec::new()))
        }
        Err(QaError::Invalid(_)) => {
            let why = if action == "reject" { "Hãy ghi lý do từ chối (tối đa 2.000 ký tự)." } else { "Hãy nhập câu trả lời (tối đa 2.000 ký tự)." };
            questions(db, admin, &format!("status={}", filter.code()), Some(why)).await
        }
        Err(e) => Err(e.into_app_error(Locale::Vi)),
    }
}

// --- sentiment ---------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct ProductRow {
    id: i64,
    slug: String,
    name_vi: String,
}

/// `GET /admin/reviews/sentiment[?product={id}]`: the whole shop's (or one product's) review
/// sentiment per month and the aspects most complained about (`app::sentiment::report`).
pub async fn sentiment(db: &D1, admin: &AdminRow, query: &str) -> Result<Response, AppError> {
    use crate::views::admin::sentiment::{sentiment_page, ProductRef};
    let product = match query_param(query, "product").filter(|p| !p.is_empty()) {
        None => None,
        Some(id) => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            let row: Option<ProductRow> = db.first(&crate::app::sql::Sql::new("SELECT id, slug, name_vi FROM products WHERE id = ?").bind(id)).await?;
            Some(row.ok_or(AppError::NotFound)?)
        }
    };
    let report = crate::app::sentiment::report(db, product.as_ref().map(|p| p.id)).await?;
    let shown = product.as_ref().map(|p| ProductRef { id: p.id, slug: &p.slug, name: &p.name_vi });
    Ok(page(200, sentiment_page(admin, shown.as_ref(), &report)))
}
