//! `/admin/reviews` (issue 22): the moderation queue and its decisions — approve, reject with a
//! reason, hide, reply — each one `app::reviews::moderate` batch with its audit row. A decision
//! that changes what the storefront shows bumps the catalog version, so the cached product pages
//! (and their cards) show it at once.

use worker::{Env, Response};

use super::admin_catalog::bump_catalog_version;
use super::http::{page, query_param, redirect, Form};
use crate::app::admin::{Actor, AdminRow};
use crate::app::db::Db;
use crate::app::reviews::{moderate, queue_sql, QueueFilter, QueueRow, ReviewError};
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::domain::reviews::Moderation;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::views::admin::reviews::reviews_page;

/// How many reviews one page of the queue lists.
const QUEUE_PAGE: i64 = 100;

/// `GET /admin/reviews?status=…`.
pub async fn queue(db: &D1, admin: &AdminRow, query: &str) -> Result<Response, AppError> {
    let filter = QueueFilter::parse(&query_param(query, "status").unwrap_or_default());
    let notice = query_param(query, "done").map(|d| match d.as_str() {
        "approve" => "Đã duyệt và đăng.",
        "reject" => "Đã từ chối.",
        "hide" => "Đã ẩn.",
        "reply" => "Đã gửi phản hồi.",
        _ => "Đã lưu.",
    });
    let rows: Vec<QueueRow> = db.all(&queue_sql(filter, QUEUE_PAGE)).await?;
    Ok(page(200, reviews_page(admin, filter, &rows, notice)))
}

/// `POST /admin/reviews/{id}/{approve|reject|hide|reply}`.
pub async fn decide(env: &Env, db: &D1, admin: &AdminRow, actor: &Actor<'_>, id: &str, action: &str, form: &Form) -> Result<Response, AppError> {
    let decision = match action {
        "approve" => Moderation::Approve,
        "reject" => Moderation::Reject { reason: form.trimmed("reason").to_string() },
        "hide" => Moderation::Hide,
        "reply" => Moderation::Reply { text: form.trimmed("reply").to_string() },
        _ => return Err(AppError::NotFound),
    };
    let filter = QueueFilter::parse(form.trimmed("status"));
    match moderate(db, actor, id, &decision, now()).await {
        Ok(storefront_changed) => {
            if storefront_changed {
                bump_catalog_version(env).await?;
            }
            Ok(redirect(&format!("/admin/reviews?status={}&done={action}", filter.code()), Vec::new()))
        }
        Err(ReviewError::Invalid(_)) => {
            let rows: Vec<QueueRow> = db.all(&queue_sql(filter, QUEUE_PAGE)).await?;
            let why = if action == "reject" { "Hãy ghi lý do từ chối (tối đa 2.000 ký tự)." } else { "Hãy nhập phản hồi (tối đa 2.000 ký tự)." };
            Ok(page(422, reviews_page(admin, filter, &rows, Some(why))))
        }
        Err(e) => Err(e.into_app_error(Locale::Vi)),
    }
}
