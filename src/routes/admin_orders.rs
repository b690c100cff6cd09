//! The admin panel's orders, invoices and sales dashboard. The router (`routes::admin`) has already
//! checked the session and the route's permission (`domain::admin::ROUTES`); these handlers check
//! the state machine, ask for confirmation, and write each action with its order event and audit row.

use serde_json::json;
use worker::{Env, Headers, Response, ResponseBuilder};

use super::payments::{refund, refund_refused, refund_status};
use super::http::{attachment, html, query_param, redirect, Form};
use super::orders::load_order;
use crate::app::analytics;
use crate::app::bank::{self, ManualError, QueuedTransfer};
use crate::app::payments::Applied;
use crate::app::admin::{audit_sql, Actor, AdminRow};
use crate::app::admin_orders::{orders_list_sql, paid_event_sql, with_audit, Action, OrderFilter, OrderListRow, PER_PAGE};
use crate::app::cod;
use crate::app::orders::OrderDetail;
use crate::app::refunds::{parse_amount, refundable, refunds_of_order_sql, RefundRequest, RefundRow};
use crate::domain::admin::{Permission, Role};
use crate::domain::cart::is_cart_id;
use crate::domain::analytics::{vn_day, Period};
use crate::domain::error::AppError;
use crate::domain::http_cache;
use crate::domain::listing::FieldError;
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::orders::OrderState;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::app::db::Db;
use crate::platform::invoice::{invoice_font, invoice_settings};
use crate::platform::random;
use crate::views::admin::dashboard::{dashboard_csv, dashboard_page};
use crate::views::admin::orders::{bad_request_page, bank_queue_page, collected_page, confirm_page, order_page, orders_page, statement_page, Offer};
use crate::views::admin::{AdminCtx, Section};
use crate::views::invoice::{invoice_for_order, invoice_html};
use crate::views::invoice_pdf::invoice_pdf;

/// Who is acting, as the handlers need it.
pub(super) struct Staff<'a> {
    pub admin: &'a AdminRow,
    pub role: Role,
    pub actor: &'a Actor<'a>,
}

impl Staff<'_> {
    fn label(&self) -> String {
        format!("admin:{}", self.admin.email)
    }
}

fn role_name(role: Role, locale: Locale) -> &'static str {
    role.name(locale)
}

/// The page context of a signed-in admin: the sections their role may open.
pub(super) fn admin_ctx(staff: &Staff, path: &str, query: &str) -> AdminCtx {
    let locale = Locale::Vi;
    let sections = Section::ALL
        .into_iter()
        .filter(|s| crate::domain::admin::required("GET", s.path()).is_some_and(|p| staff.role.can(p)))
        .collect();
    AdminCtx {
        locale,
        path: path.to_string(),
        query: query.to_string(),
        user: if staff.admin.name.is_empty() { staff.admin.email.clone() } else { staff.admin.name.clone() },
        role: role_name(staff.role, locale).to_string(),
        sections,
    }
}

fn page(status: u16, markup: maud::Markup) -> Response {
    html(status, markup.into_string(), Vec::new())
}

fn problems(errors: &[FieldError]) -> String {
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    format!("Giá trị không hợp lệ: {}.", fields.join(", "))
}

fn period(query: &str) -> Result<Period, Vec<FieldError>> {
    let get = |k: &str| query_param(query, k);
    Period::from_query(get("from").as_deref(), get("to").as_deref(), get("days").as_deref(), vn_day(now()))
}

/// `GET /admin` for roles with reports: the sales dashboard of `?from&to|days`.
pub(super) async fn dashboard(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let ctx = admin_ctx(staff, "/admin", query);
    let period = match period(query) {
        Ok(p) => p,
        Err(errors) => return Ok(page(400, bad_request_page(&ctx, Section::Dashboard, &problems(&errors)))),
    };
    let d = analytics::dashboard(db, period, now()).await?;
    Ok(page(200, dashboard_page(&ctx, &d)))
}

/// `GET /admin/dashboard.csv?from&to|days`.
pub(super) async fn dashboard_download(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let period = match period(query) {
        Ok(p) => p,
        Err(errors) => return Ok(page(400, bad_request_page(&admin_ctx(staff, "/admin", query), Section::Dashboard, &problems(&errors)))),
    };
    let d = analytics::dashboard(db, period, now()).await?;
    Ok(attachment("text/csv; charset=utf-8", dashboard_csv(&d), &format!("vestify-{}-{}.csv", period.from, period.to)))
}

/// `GET /admin/orders?status&provider&from&to&q&page`.
pub(super) async fn list(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let ctx = admin_ctx(staff, "/admin/orders", query);
    let filter = match OrderFilter::parse(query) {
        Ok(f) => f,
        Err(errors) => return Ok(page(400, bad_request_page(&ctx, Section::Orders, &problems(&errors)))),
    };
    let rows: Vec<OrderListRow> = db.all(&orders_list_sql(&filter)).await?;
    let has_next = rows.len() as i64 > PER_PAGE;
    Ok(page(200, orders_page(&ctx, &filter, &rows, has_next)))
}

/// `GET /admin/bank-transfers[?done=…]`: the reconciliation queue.
pub(super) async fn bank_queue(db: &D1, staff: &Staff<'_>, query: &str) -> Result<Response, AppError> {
    let ctx = admin_ctx(staff, "/admin/bank-transfers", query);
    let rows: Vec<QueuedTransfer> = db.all(&bank::queue_sql(200)).await?;
    let notice = query_param(query, "done").map(|n| match n.as_str() {
        "matched" => "Đã khớp giao dịch và xác nhận đơn đã thanh toán.",
        "paid" => "Đã xác nhận đơn đã thanh toán.",
        "refund" => "Đã ghi nhận tiền, nhưng hàng đã hết: đơn cần hoàn tiền.",
        _ => "Không có gì thay đổi.",
    });
    Ok(page(200, bank_queue_page(&ctx, &rows, staff.role.can(Permission::IssueRefunds), notice)))
}

fn bank_done(applied: Applied) -> &'static str {
    match applied {
        Applied::Paid | Applied::Revived => "paid",
        Applied::NeedsRefund => "refund",
        _ => "unchanged",
    }
}

/// The queue again with why a manager's action was refused (409/404), or the error.
async fn bank_refused(db: &D1, staff: &Staff<'_>, e: ManualError) -> Result<Response, AppError> {
    let (status, why) = match e {
        ManualError::NoSuchTransaction => (404, "Không còn giao dịch này trong hàng chờ."),
        ManualError::NoSuchOrder => (404, "Không có đơn hàng với mã này."),
        ManualError::NotPayable => (409, "Đơn này không còn chờ thanh toán (đã thanh toán hoặc đã giao)."),
        ManualError::Db(e) => return Err(e.into()),
    };
    let ctx = admin_ctx(staff, "/admin/bank-transfers", "");
    let rows: Vec<QueuedTransfer> = db.all(&bank::queue_sql(200)).await?;
    Ok(page(status, bank_queue_page(&ctx, &rows, true, Some(why))))
}

/// `POST /admin/bank-transfers/{id}/match` `order_number`: this transfer paid that order (audited).
pub(super) async fn bank_match(db: &D1, staff: &Staff<'_>, tx_id: &str, form: &Form) -> Result<Response, AppError> {
    let payment_id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    match bank::match_transaction(db, staff.actor, tx_id, form.trimmed("order_number"), &payment_id, now()).await {
        Ok(applied) => Ok(redirect(&format!("/admin/bank-transfers?done={}", if bank_done(applied) == "paid" { "matched" } else { bank_done(applied) }), Vec::new())),
        Err(e) => bank_refused(db, staff, e).await,
    }
}

/// `POST /admin/bank-transfers/mark-paid` `order_number`: an order paid by hand (audited).
pub(super) async fn bank_mark_paid(db: &D1, staff: &Staff<'_>, form: &Form) -> Result<Response, AppError> {
    let payment_id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    match bank::mark_paid(db, staff.actor, form.trimmed("order_number"), &payment_id, now()).await {
        Ok(applied) => Ok(redirect(&format!("/admin/bank-transfers?done={}", bank_done(applied)), Vec::new())),
        Err(e) => bank_refused(db, staff, e).await,
    }
}

fn offer(staff: &Staff, d: &OrderDetail, refunds: &[RefundRow]) -> Offer {
    let left = refundable(&d.payments, refunds);
    let actions = Action::ALL
        .into_iter()
        .filter(|a| a.allowed(d.order.state(), &d.order.payment_provider))
        .filter(|a| staff.role.can(permission(*a)))
        .filter(|a| *a != Action::Refund || left.is_positive())
        .collect();
    Offer { actions, refundable: left }
}

/// The permission each action needs (also in `domain::admin::ROUTES`).
pub(super) fn permission(a: Action) -> Permission {
    match a {
        Action::Refund | Action::Collect => Permission::IssueRefunds,
        Action::Fulfil | Action::Deliver | Action::Cancel | Action::Return => Permission::EditStock,
    }
}

fn done_notice(query: &str) -> Option<&'static str> {
    match query_param(query, "done").as_deref() {
        Some("fulfil") => Some("Đã đánh dấu đơn đã gửi hàng."),
        Some("deliver") => Some("Đã đánh dấu đơn đã giao."),
        Some("cancel") => Some("Đã huỷ đơn và trả hàng về kho."),
        Some("refund") => Some("Đã hoàn tiền."),
        Some("collect") => Some("Đã ghi nhận đã thu tiền mặt (COD)."),
        Some("return") => Some("Đã ghi nhận hàng hoàn về kho; số lượng đã được trả lại kho."),
        _ => None,
    }
}

async fn order_view(env: &Env, db: &D1, staff: &Staff<'_>, id: &str, query: &str, status: u16, notice: Option<&str>) -> Result<Response, AppError> {
    let d = load_order(env, id).await?.ok_or(AppError::NotFound)?;
    let refunds: Vec<RefundRow> = db.all(&refunds_of_order_sql(id)).await?;
    let messages: Vec<crate::app::outbox::LogRow> = db.all(&crate::app::outbox::order_messages_sql(id)).await?;
    let ctx = admin_ctx(staff, &format!("/admin/orders/{id}"), query);
    let can_resend = staff.role.can(Permission::ManageNotifications);
    Ok(page(status, order_page(&ctx, &d, &refunds, &offer(staff, &d, &refunds), notice.or(done_notice(query)), &messages, can_resend)))
}

/// `GET /admin/orders/{id}`.
pub(super) async fn show(env: &Env, db: &D1, staff: &Staff<'_>, id: &str, query: &str) -> Result<Response, AppError> {
    order_view(env, db, staff, id, query, 200, None).await
}

/// `GET /admin/orders/{id}/invoice` (HTML, print-styled) and `/invoice.pdf`.
pub(super) async fn invoice(env: &Env, id: &str, pdf: bool) -> Result<Response, AppError> {
    let d = load_order(env, id).await?.ok_or(AppError::NotFound)?;
    invoice_response(env, &d, None, &format!("/admin/orders/{id}/invoice.pdf"), pdf).await
}

/// An order's invoice as the print-styled HTML page (linking the PDF at `pdf_url`) or as the PDF;
/// in `locale`, or the language of the order when `None`. The admin's and the shopper's invoice.
pub(super) async fn invoice_response(env: &Env, d: &OrderDetail, locale: Option<Locale>, pdf_url: &str, pdf: bool) -> Result<Response, AppError> {
    let id = &d.order.id;
    let inv = invoice_for_order(d, &invoice_settings(env), locale).map_err(|e| AppError::Internal(format!("invoice of {id}: {e}").into()))?;
    if !pdf {
        return Ok(html(200, invoice_html(&inv, Some(pdf_url)).into_string(), Vec::new()));
    }
    let font = invoice_font(env).await?;
    let bytes = invoice_pdf(&inv, &font).map_err(|e| AppError::Internal(format!("invoice pdf of {id}: {e:?}").into()))?;
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/pdf");
    let _ = headers.set("content-disposition", &format!("inline; filename=\"{}.pdf\"", d.order.number));
    let _ = headers.set("cache-control", http_cache::NO_STORE);
    let _ = headers.set("x-content-type-options", "nosniff");
    Ok(ResponseBuilder::new().with_status(200).with_headers(headers).fixed(bytes))
}

fn snapshot(d: &OrderDetail) -> serde_json::Value {
    let o = &d.order;
    json!({"number": o.number, "status": o.status, "payment_status": o.payment_status, "fulfillment_status": o.fulfillment_status, "total": o.total, "refunded_total": o.refunded_total})
}

/// `POST /admin/orders/{id}/{fulfil|deliver|cancel|refund}`: without `confirm=yes` it shows the
/// confirmation step; with it, it acts once (a repeated confirmation changes nothing twice).
pub(super) async fn act(env: &Env, config: &Config, db: &D1, staff: &Staff<'_>, id: &str, code: &str, form: &Form) -> Result<Response, AppError> {
    let action = Action::parse(code).ok_or(AppError::NotFound)?;
    let field = |key: &str| form.trimmed(key).to_string();
    let d = load_order(env, id).await?.ok_or(AppError::NotFound)?;
    let refunds: Vec<RefundRow> = db.all(&refunds_of_order_sql(id)).await?;
    let path = format!("/admin/orders/{id}");
    let ctx = admin_ctx(staff, &path, "");
    if !staff.role.can(permission(action)) {
        return Err(AppError::NotFound);
    }
    if !action.allowed(d.order.state(), &d.order.payment_provider) {
        return order_view(env, db, staff, id, "", 409, Some("Thao tác này không áp dụng được cho đơn ở trạng thái hiện tại.")).await;
    }
    // The values the action carries, checked before the confirmation step shows them.
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut error = None;
    match action {
        Action::Fulfil => {
            let (carrier, tracking) = (field("carrier"), field("tracking_number"));
            if carrier.is_empty() || carrier.chars().count() > 60 || tracking.is_empty() || tracking.chars().count() > 100 {
                error = Some("Cần đơn vị vận chuyển (tối đa 60 ký tự) và mã vận đơn (tối đa 100 ký tự).");
            }
            fields.push(("carrier", carrier));
            fields.push(("tracking_number", tracking));
        }
        Action::Refund => {
            let raw = field("amount");
            match parse_amount(&raw, refundable(&d.payments, &refunds)) {
                Some(a) => fields.push(("amount", a.minor().to_string())),
                None => {
                    error = Some("Số tiền hoàn phải từ 1 đ đến số tiền còn có thể hoàn.");
                    fields.push(("amount", raw));
                }
            }
            let reason = field("reason");
            if reason.chars().count() > 200 {
                error = Some("Lý do tối đa 200 ký tự.");
            }
            fields.push(("reason", reason));
            let key = match field("idempotency_key") {
                k if !k.is_empty() && k.len() <= 64 => k,
                _ => random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
            };
            fields.push(("idempotency_key", key));
        }
        Action::Deliver | Action::Cancel | Action::Collect | Action::Return => {}
    }
    if let Some(e) = error {
        return Ok(page(422, confirm_page(&ctx, &d, action, &fields, Some(e))));
    }
    if field("confirm") != "yes" {
        return Ok(page(200, confirm_page(&ctx, &d, action, &fields, None)));
    }
    let now = now();
    let label = staff.label();
    let before = snapshot(&d);
    let after = |state: OrderState| {
        let mut v = before.clone();
        v["status"] = json!(state.status);
        v["payment_status"] = json!(state.payment);
        v["fulfillment_status"] = json!(state.fulfillment);
        for (k, val) in &fields {
            if *k != "idempotency_key" {
                v[*k] = json!(val);
            }
        }
        v
    };
    let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let batch = action.batch(&d.order, &get("carrier"), &get("tracking_number"), &label, now);
    if let (Some(mut batch), Some(to)) = (batch, action.target(d.order.state())) {
        let audit = audit_sql(staff.actor, &format!("order.{}", action.code()), "order", id, Some(&before), Some(&after(to)), now);
        if action == Action::Collect {
            batch.push(paid_event_sql(id, now));
        }
        db.batch(&with_audit(batch, audit)).await?;
        let moved = load_order(env, id).await?.is_some_and(|d| d.order.state() == to);
        if !moved {
            return order_view(env, db, staff, id, "", 409, Some("Đơn đã thay đổi trong lúc bạn thao tác; không có gì được ghi.")).await;
        }
        if action == Action::Deliver {
            // The shopper's signed review links, queued for the notifications' sender (docs/REVIEWS.md).
            if let (Some(secret), Some(origin)) = (config.shop_secret.as_deref(), config.public_origin.as_ref()) {
                crate::app::reviews::queue_review_request(db, secret.as_bytes(), &origin.as_string(), id, now).await?;
            }
        }
        return Ok(redirect(&format!("{path}?done={}", action.code()), Vec::new()));
    }
    // A refund through the gateway; its audit row joins the batch that completes it.
    let amount = get("amount").parse::<i64>().ok().map(Vnd::new);
    let audit_after = json!({"refund_amount": amount, "reason": get("reason")});
    let audit = audit_sql(staff.actor, "order.refund", "order", id, Some(&before), Some(&audit_after), now);
    let (key, reason) = (get("idempotency_key"), get("reason"));
    let request = RefundRequest { order_id: id, key: &key, amount, reason: &reason, actor: &label, on_success: vec![audit] };
    match refund(db, config, request).await? {
        Ok(done) if refund_status(&done) == 202 => {
            order_view(env, db, staff, id, "", 202, Some("Cổng thanh toán đang xử lý yêu cầu hoàn tiền; trạng thái sẽ cập nhật khi có kết quả.")).await
        }
        Ok(_) => Ok(redirect(&format!("{path}?done=refund"), Vec::new())),
        Err(e) => {
            let refused = refund_refused(e)?;
            let note = format!("Không hoàn tiền được: {}", refused.message);
            order_view(env, db, staff, id, "", if refused.status == 502 { 502 } else { 409 }, Some(&note)).await
        }
    }
}

/// `POST /admin/orders/collect` `order=…` (one or many, from the list or an order's page): marks
/// the cash of those COD orders collected, once each, audited; the page says which were and which
/// were left as they were.
pub(super) async fn collect_many(db: &D1, staff: &Staff<'_>, form: &Form) -> Result<Response, AppError> {
    let ids: Vec<String> = form.iter().filter(|(k, v)| k == "order" && is_cart_id(v)).map(|(_, v)| v.clone()).take(PER_PAGE as usize).collect();
    let ctx = admin_ctx(staff, "/admin/orders", "");
    if ids.is_empty() {
        return Ok(page(422, bad_request_page(&ctx, Section::Orders, "Chọn ít nhất một đơn thanh toán khi nhận hàng.")));
    }
    let done = cod::mark_collected(db, &ids, staff.actor, &staff.label(), now()).await?;
    Ok(page(200, collected_page(&ctx, &done)))
}

/// `GET /admin/orders/cod-statement`: the form for a carrier's COD statement.
pub(super) fn statement_form(staff: &Staff<'_>) -> Result<Response, AppError> {
    let ctx = admin_ctx(staff, "/admin/orders/cod-statement", "");
    Ok(page(200, statement_page(&ctx, "", None, None, None)))
}

/// `POST /admin/orders/cod-statement` (`file` or `csv`; `confirm=yes` applies): without
/// confirmation, the dry run (matches, mismatches, unknown orders; nothing changes); with it, the
/// lines that still match are marked collected, each audited.
pub(super) async fn statement(db: &D1, staff: &Staff<'_>, form: &Form, upload: Option<&super::admin_upload::Upload>) -> Result<Response, AppError> {
    let ctx = admin_ctx(staff, "/admin/orders/cod-statement", "");
    let text = match upload.filter(|u| !u.bytes.is_empty()) {
        Some(u) => match String::from_utf8(u.bytes.clone()) {
            Ok(t) => t,
            Err(_) => return Ok(page(422, statement_page(&ctx, "", Some("Tệp phải là CSV mã hoá UTF-8."), None, None))),
        },
        None => form.value("csv").to_string(),
    };
    let lines = match cod::parse_statement(&text) {
        Ok(lines) => lines,
        Err(e) => {
            let message = if e.line > 0 { format!("Dòng {}: {}", e.line, e.message) } else { e.message };
            return Ok(page(422, statement_page(&ctx, &text, Some(&message), None, None)));
        }
    };
    if form.value("confirm") != "yes" {
        let review = cod::review_statement(db, lines).await?;
        return Ok(page(200, statement_page(&ctx, &text, None, Some(&review), None)));
    }
    let (review, done) = cod::apply_statement(db, lines, staff.actor, &staff.label(), now()).await?;
    Ok(page(200, statement_page(&ctx, &text, None, Some(&review), Some(&done))))
}
