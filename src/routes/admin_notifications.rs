//! The notifications in the admin panel (managers; `Permission::ManageNotifications`): the log with
//! its filters and dead letters, "resend" (audited), and the template previews.

use worker::{Env, Response};

use super::admin_orders::{admin_ctx, Staff};
use super::http::{html, query_param, redirect};
use crate::app::admin::audit_sql;
use crate::app::db::Db;
use crate::app::outbox::{dead_count_sql, message_by_id_sql, resend_sql, LogFilter, LogRow};
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::domain::notify::Kind;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::views::admin::notifications::{log_page, previews_page};
use crate::views::admin::orders::bad_request_page;
use crate::views::admin::Section;
use crate::views::email::{render, sample};

#[derive(serde::Deserialize)]
struct Count {
    n: i64,
}

/// `GET /admin/notifications?kind=&channel=&status=&to=&before=`.
pub(super) async fn log(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let ctx = admin_ctx(staff, "/admin/notifications", query);
    let filter = match LogFilter::parse(|name| query_param(query, name)) {
        Ok(f) => f,
        Err(field) => return Ok(html(400, bad_request_page(&ctx, Section::Notifications, &format!("Giá trị không hợp lệ: {field}.")).into_string(), Vec::new())),
    };
    let rows: Vec<LogRow> = db.all(&filter.sql()).await?;
    let dead = db.first::<Count>(&dead_count_sql()).await?.map_or(0, |c| c.n);
    let notice = (query_param(query, "done").as_deref() == Some("resend")).then_some("Đã đưa thông báo vào hàng gửi lại.");
    Ok(html(200, log_page(&ctx, &filter, &rows, dead, notice).into_string(), Vec::new()))
}

/// `GET /admin/notifications/preview`: every template in both languages; with `kind` and
/// `locale`, that email's HTML as the recipient's mail client gets it.
pub(super) async fn preview(env: &Env, config: &Config, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let settings = crate::platform::mail::settings(env, config);
    let origin = settings.sender.origin.clone();
    if let Some(kind) = query_param(query, "kind") {
        let kind = Kind::parse(&kind).ok_or(AppError::NotFound)?;
        let locale = query_param(query, "locale").and_then(|l| Locale::parse(&l)).unwrap_or(Locale::Vi);
        return Ok(html(200, render(&sample(kind, &origin), locale, &settings.sender).html, Vec::new()));
    }
    let previews: Vec<_> = Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::OrderConfirmed && *k != Kind::OrderRefunded && *k != Kind::OrderPartiallyRefunded)
        .flat_map(|k| Locale::ALL.map(|l| (k, l)))
        .map(|(k, l)| (k, l, render(&sample(k, &origin), l, &settings.sender)))
        .collect();
    let ctx = admin_ctx(staff, "/admin/notifications/preview", query);
    Ok(html(200, previews_page(&ctx, &previews).into_string(), Vec::new()))
}

/// `POST /admin/notifications/{id}/resend`: a dead (or sent) message goes back in the queue with
/// fresh tries; the pass after this request sends it.
pub(super) async fn resend(db: &D1, staff: &Staff<'_>, id: &str) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let before: LogRow = db.first(&message_by_id_sql(id)).await?.ok_or(AppError::NotFound)?;
    let before = serde_json::json!({ "status": before.status, "attempts": before.attempts, "last_error": before.last_error });
    db.batch(&[resend_sql(id, now()), audit_sql(staff.actor, "notification.resend", "outbox", &id.to_string(), Some(&before), Some(&serde_json::json!({"status": "pending"})), now())]).await?;
    Ok(redirect("/admin/notifications?done=resend", Vec::new()))
}
