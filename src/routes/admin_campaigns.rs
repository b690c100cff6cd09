//! Campaigns in the admin panel (managers; `Permission::ManageNotifications`, `app::campaigns`):
//! compose, preview, edit, schedule and cancel, each write audited. The cron's pass queues them.

use worker::{Env, Response};

use super::admin_orders::{admin_ctx, Staff};
use super::http::{html, query_param, redirect};
use crate::app::campaigns::{self, CampaignRow};
use crate::app::db::Db;
use crate::app::taxonomy::{categories_sql, tree, CategoryRow};
use crate::domain::campaign::{CampaignStatus, Draft};
use crate::domain::error::AppError;
use crate::domain::http::Form;
use crate::domain::locale::Locale;
use crate::domain::promotions::parse_vn_datetime;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::views::admin::campaigns::{campaign_page, list_page, CampaignView, ComposeForm};
use crate::views::email::{render_marketing, Mail};

const LIST: i64 = 100;

/// The categories in tree order, for the segment's choice.
async fn categories(db: &D1) -> Result<Vec<CategoryRow>, AppError> {
    let rows: Vec<CategoryRow> = db.all(&categories_sql()).await?;
    Ok(tree(&rows).into_iter().map(|(_, c)| c.clone()).collect())
}

fn draft(form: &Form) -> Result<Draft, Vec<(&'static str, &'static str)>> {
    Draft::parse(|name| form.value(name).to_string())
}

fn typed(form: &Form) -> Vec<(String, String)> {
    ["subject_vi", "subject_en", "body_vi", "body_en", "segment", "category_id", "product_id"].iter().map(|k| (k.to_string(), form.value(k).to_string())).collect()
}

/// `GET /admin/campaigns`.
pub(super) async fn list(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    list_with(db, staff, query, 200, &ComposeForm::default()).await
}

async fn list_with(db: &D1, staff: &Staff<'_>, query: &str, status: u16, form: &ComposeForm<'_>) -> Result<Response, AppError> {
    let rows: Vec<CampaignRow> = db.all(&campaigns::list_sql(LIST)).await?;
    let ctx = admin_ctx(staff, "/admin/campaigns", query);
    Ok(html(status, list_page(&ctx, &rows, form, &categories(db).await?).into_string(), Vec::new()))
}

/// `POST /admin/campaigns`: a new draft (422 with the fields refused).
pub(super) async fn create(db: &D1, staff: &Staff<'_>, form: &Form) -> Result<Response, AppError> {
    match draft(form) {
        Ok(d) => {
            #[derive(serde::Deserialize)]
            struct Id {
                id: i64,
            }
            let results = db.batch(&campaigns::create_batch(&d, staff.actor, now())).await?;
            let id = results.first().map(|r| r.first::<Id>()).transpose()?.flatten().map_or(0, |r| r.id);
            Ok(redirect(&format!("/admin/campaigns/{id}?done=saved"), Vec::new()))
        }
        Err(errors) => list_with(db, staff, "", 422, &ComposeForm { values: typed(form), errors: &errors }).await,
    }
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or(AppError::NotFound)
}

async fn load(db: &D1, id: i64) -> Result<CampaignRow, AppError> {
    db.first(&campaigns::campaign_sql(id)).await?.ok_or(AppError::NotFound)
}

/// The campaign's mail in `locale`, as a subscriber gets it (with a sample preferences link).
fn preview_mail(env: &Env, config: &Config, row: &CampaignRow, locale: Locale) -> crate::views::email::Rendered {
    let settings = crate::platform::mail::settings(env, config);
    let (subject, body) = match locale {
        Locale::Vi => (row.subject_vi.clone(), row.body_vi.clone()),
        Locale::En => (row.subject_en.clone(), row.body_en.clone()),
    };
    let preferences = format!("{}{}?t=preview", settings.sender.origin, locale.path(crate::app::outbox::PREFERENCES_PATH));
    render_marketing(&Mail::Campaign { subject, body }, locale, &settings.sender, &preferences)
}

struct Shown<'a> {
    status: u16,
    form: Option<ComposeForm<'a>>,
    schedule_error: Option<&'static str>,
}

async fn show_with(env: &Env, config: &Config, db: &D1, staff: &Staff<'_>, id: i64, query: &str, shown: Shown<'_>) -> Result<Response, AppError> {
    let row = load(db, id).await?;
    let reach = match row.segment() {
        Some(segment) => campaigns::recipient_count(db, segment).await?,
        None => 0,
    };
    let categories = categories(db).await?;
    let notice = match query_param(query, "done").as_deref() {
        Some("saved") => Some("Đã lưu. / Saved."),
        Some("scheduled") => Some("Đã hẹn giờ gửi. / Scheduled."),
        Some("cancelled") => Some("Đã huỷ chiến dịch. / Cancelled."),
        _ => None,
    };
    let form = shown.form.unwrap_or_else(|| ComposeForm { values: ComposeForm::of(&row), errors: &[] });
    let view = CampaignView {
        row: &row,
        reach,
        previews: [(Locale::Vi, preview_mail(env, config, &row, Locale::Vi)), (Locale::En, preview_mail(env, config, &row, Locale::En))],
        categories: &categories,
        form,
        schedule_error: shown.schedule_error,
        notice,
    };
    let ctx = admin_ctx(staff, &format!("/admin/campaigns/{id}"), query);
    Ok(html(shown.status, campaign_page(&ctx, &view).into_string(), Vec::new()))
}

/// `GET /admin/campaigns/{id}`: counts, the preview in both languages, the segment's reach.
pub(super) async fn show(env: &Env, config: &Config, db: &D1, staff: &Staff<'_>, id: &str, query: &str) -> Result<Response, AppError> {
    show_with(env, config, db, staff, parse_id(id)?, query, Shown { status: 200, form: None, schedule_error: None }).await
}

/// `GET /admin/campaigns/{id}/preview?locale=vi|en`: the mail's HTML as a mail client gets it.
pub(super) async fn preview(env: &Env, config: &Config, db: &D1, id: &str, query: &str) -> Result<Response, AppError> {
    let row = load(db, parse_id(id)?).await?;
    let locale = query_param(query, "locale").and_then(|l| Locale::parse(&l)).unwrap_or(Locale::Vi);
    Ok(html(200, preview_mail(env, config, &row, locale).html, Vec::new()))
}

/// `POST /admin/campaigns/{id}`: saves the text and segment of a campaign not yet sending.
pub(super) async fn update(env: &Env, config: &Config, db: &D1, staff: &Staff<'_>, id: &str, form: &Form) -> Result<Response, AppError> {
    let id = parse_id(id)?;
    let row = load(db, id).await?;
    if !row.status().editable() {
        return Err(AppError::Conflict(crate::domain::error::Refusal::new("campaign_sent", "Chiến dịch đã bắt đầu gửi. / The campaign is already being sent.")));
    }
    match draft(form) {
        Ok(d) => {
            db.batch(&campaigns::update_batch(id, &d, staff.actor, now())).await?;
            Ok(redirect(&format!("/admin/campaigns/{id}?done=saved"), Vec::new()))
        }
        Err(errors) => show_with(env, config, db, staff, id, "", Shown { status: 422, form: Some(ComposeForm { values: typed(form), errors: &errors }), schedule_error: None }).await,
    }
}

/// `POST /admin/campaigns/{id}/schedule`: `now=1`, or `send_at` (Vietnam time, not in the past).
pub(super) async fn schedule(env: &Env, config: &Config, db: &D1, staff: &Staff<'_>, id: &str, form: &Form) -> Result<Response, AppError> {
    let id = parse_id(id)?;
    let row = load(db, id).await?;
    if !row.status().editable() {
        return Err(AppError::Conflict(crate::domain::error::Refusal::new("campaign_sent", "Chiến dịch đã bắt đầu gửi. / The campaign is already being sent.")));
    }
    let at = now();
    let send_at = if form.trimmed("now") == "1" { Some(at) } else { parse_vn_datetime(form.trimmed("send_at")).filter(|t| *t >= at - 60) };
    let Some(send_at) = send_at else {
        let error = Some("Chọn thời điểm gửi trong tương lai. / Choose a send time in the future.");
        return show_with(env, config, db, staff, id, "", Shown { status: 422, form: None, schedule_error: error }).await;
    };
    db.batch(&campaigns::schedule_batch(id, send_at, staff.actor, at)).await?;
    Ok(redirect(&format!("/admin/campaigns/{id}?done=scheduled"), Vec::new()))
}

/// `POST /admin/campaigns/{id}/cancel`.
pub(super) async fn cancel(db: &D1, staff: &Staff<'_>, id: &str) -> Result<Response, AppError> {
    let id = parse_id(id)?;
    let row = load(db, id).await?;
    if matches!(row.status(), CampaignStatus::Sent | CampaignStatus::Cancelled) {
        return Err(AppError::Conflict(crate::domain::error::Refusal::new("campaign_finished", "Chiến dịch đã kết thúc. / The campaign is over.")));
    }
    db.batch(&campaigns::cancel_batch(id, staff.actor, now())).await?;
    Ok(redirect(&format!("/admin/campaigns/{id}?done=cancelled"), Vec::new()))
}
