//! The webhooks in the admin panel (managers; `Permission::ManageNotifications`): register an
//! endpoint (its secret shown once, sealed under `SHOP_SECRET`), list, disable, enable, delete,
//! "send test event", each endpoint's delivery log — every write audited (`app::webhooks`).

use worker::Response;

use super::admin_orders::{admin_ctx, Staff};
use super::http::{html, query_param, redirect};
use crate::app::db::Db;
use crate::app::webhooks::{check_registration, deliveries_sql, delete_batch, endpoint_sql, endpoints_sql, register, set_active_batch, test_event_batch, DeliveryRow, EndpointRow, RegisterError};
use crate::domain::error::AppError;
use crate::domain::http::Form;
use crate::domain::webhooks::{seal, secret_from_random};
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::platform::random;
use crate::views::admin::webhooks::{deliveries_page, endpoints_page};

const PATH: &str = "/admin/webhooks";

/// `GET /admin/webhooks` (`?done=` what an action did).
pub(super) async fn list(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let notice = match query_param(query, "done").as_deref() {
        Some("test") => Some("Đã xếp sự kiện thử vào hàng gửi. / The test event is queued."),
        Some("disable") => Some("Đã tắt endpoint. / Endpoint disabled."),
        Some("enable") => Some("Đã bật endpoint. / Endpoint enabled."),
        Some("delete") => Some("Đã xoá endpoint. / Endpoint deleted."),
        _ => None,
    };
    show(db, staff, query, None, None, notice, 200).await
}

async fn show(db: &D1, staff: &Staff<'_>, query: &str, created: Option<(i64, &str)>, error: Option<&str>, notice: Option<&str>, status: u16) -> Result<Response, AppError> {
    let endpoints: Vec<EndpointRow> = db.all(&endpoints_sql()).await?;
    let ctx = admin_ctx(staff, PATH, query);
    Ok(html(status, endpoints_page(&ctx, &endpoints, created, error, notice).into_string(), Vec::new()))
}

/// `POST /admin/webhooks`: checks the URL (SSRF guard) and the events, makes a secret, seals it
/// under `SHOP_SECRET`, registers the endpoint and shows the secret this once (201).
pub(super) async fn create(db: &D1, config: &Config, staff: &Staff<'_>, form: &Form) -> Result<Response, AppError> {
    let ticked: Vec<&str> = form.iter().filter(|(k, _)| k == "event").map(|(_, v)| v.as_str()).collect();
    let registration = check_registration(form.trimmed("url"), &ticked, &config.webhooks.test_origins);
    let refused = |e: RegisterError| match e {
        RegisterError::Url(_) => "URL phải là https tới một địa chỉ công khai (không localhost, không địa chỉ nội bộ). / The URL must be https to a public address (no localhost, no private address).",
        RegisterError::Events => "Chọn ít nhất một sự kiện. / Tick at least one event.",
        RegisterError::TooMany => "Đã đủ 20 endpoint: hãy xoá bớt. / 20 endpoints already: delete one first.",
        RegisterError::NoShopSecret => "Chưa cấu hình SHOP_SECRET: không thể lưu khoá ký. / SHOP_SECRET is not set: the signing secret cannot be stored.",
    };
    let registration = match registration {
        Ok(r) => r,
        Err(e) => return show(db, staff, "", None, Some(refused(e)), None, 422).await,
    };
    let Some(shop_secret) = config.shop_secret.as_deref() else { return show(db, staff, "", None, Some(refused(RegisterError::NoShopSecret)), None, 422).await };
    let no_randomness = || AppError::Internal("no randomness".into());
    let secret = secret_from_random(&random::token(32).ok_or_else(no_randomness)?);
    let nonce: [u8; 12] = random::bytes(12).and_then(|b| b.try_into().ok()).ok_or_else(no_randomness)?;
    let sealed = seal(shop_secret.as_bytes(), &secret, &nonce).ok_or_else(|| AppError::Internal("sealing the webhook secret".into()))?;
    match register(db, staff.actor, &registration, &sealed, now()).await? {
        Ok(id) => show(db, staff, "", Some((id, &secret)), None, None, 201).await,
        Err(e) => show(db, staff, "", None, Some(refused(e)), None, 422).await,
    }
}

/// `POST /admin/webhooks/{id}/{test|disable|enable|delete}`; a test event is sent by the pass
/// started after every admin write (`routing::writes_messages`).
pub(super) async fn act(db: &D1, staff: &Staff<'_>, id: &str, action: &str) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let endpoint: EndpointRow = db.first(&endpoint_sql(id)).await?.ok_or(AppError::NotFound)?;
    let batch = match action {
        "test" => test_event_batch(staff.actor, id, now()),
        "disable" => set_active_batch(staff.actor, id, false, now()),
        "enable" => set_active_batch(staff.actor, id, true, now()),
        "delete" => delete_batch(staff.actor, &endpoint, now()),
        _ => return Err(AppError::NotFound),
    };
    db.batch(&batch).await?;
    Ok(redirect(&format!("{PATH}?done={action}"), Vec::new()))
}

/// `GET /admin/webhooks/{id}`: the endpoint's delivery log.
pub(super) async fn log(db: &D1, staff: &Staff<'_>, id: &str, query: &str) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let endpoint: EndpointRow = db.first(&endpoint_sql(id)).await?.ok_or(AppError::NotFound)?;
    let rows: Vec<DeliveryRow> = db.all(&deliveries_sql(id)).await?;
    let ctx = admin_ctx(staff, &format!("{PATH}/{id}"), query);
    Ok(html(200, deliveries_page(&ctx, &endpoint, &rows).into_string(), Vec::new()))
}
