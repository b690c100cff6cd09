//! The webhooks in the admin panel (managers; docs/WEBHOOKS.md): the endpoints with their events
//! and state, the form that registers one (its signing secret shown once), and each endpoint's
//! delivery log.

use maud::{html, Markup};

use super::notifications::status_name;
use super::{csrf_field, page, AdminCtx, Section};
use crate::app::webhooks::{DeliveryRow, EndpointRow};
use crate::domain::time::vn_time;
use crate::domain::webhooks::{parse_events, Event};

fn tr(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    ctx.locale.pick(vi, en)
}

/// What an event means, for the form's checkboxes.
fn event_help(ctx: &AdminCtx, e: Event) -> &'static str {
    match e {
        Event::OrderCreated => tr(ctx, "đơn hàng mới", "an order is placed"),
        Event::OrderPaid => tr(ctx, "đơn đã thanh toán", "an order's payment is confirmed"),
        Event::OrderShipped => tr(ctx, "đơn đã giao cho hãng vận chuyển", "an order is handed to the carrier"),
        Event::OrderCancelled => tr(ctx, "đơn bị huỷ", "an unpaid order is cancelled"),
        Event::RefundCreated => tr(ctx, "đã hoàn tiền", "a refund is confirmed"),
        Event::ProductUpdated => tr(ctx, "sản phẩm được sửa (kể cả giá)", "a product (or a price) is edited"),
        Event::StockLow => tr(ctx, "biến thể xuống ngưỡng sắp hết", "a variant falls to its low-stock threshold"),
        Event::Ping => tr(ctx, "sự kiện thử", "test event"),
    }
}

/// `/admin/webhooks`: the endpoints, the registration form; `created` the endpoint just made and
/// its secret (shown this once), `error` why one was not, `notice` what an action did.
pub fn endpoints_page(ctx: &AdminCtx, endpoints: &[EndpointRow], created: Option<(i64, &str)>, error: Option<&str>, notice: Option<&str>) -> Markup {
    page(
        ctx,
        Section::Notifications,
        "Webhooks",
        html! {
            p {
                (tr(ctx, "Gửi sự kiện của cửa hàng đến ứng dụng và hệ thống tích hợp (POST JSON, có chữ ký ", "Sends the shop's events to apps and integrations (a signed JSON POST: "))
                code { "Vestify-Signature" } ")."
                " " (tr(ctx, "Cách kiểm tra chữ ký: docs/WEBHOOKS.md.", "How to verify the signature: docs/WEBHOOKS.md."))
            }
            @if let Some(e) = error { p.notice role="alert" { (e) } }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if let Some((id, secret)) = created {
                div.notice.webhook-created role="status" data-endpoint=(id) {
                    p { (tr(ctx, "Đã đăng ký. Khoá ký — chỉ hiện một lần, hãy sao chép ngay:", "Registered. Its signing secret — shown this once, copy it now:")) }
                    p { code data-webhook-secret { (secret) } }
                }
            }
            @if endpoints.is_empty() { p.admin-muted { (tr(ctx, "Chưa có endpoint nào.", "No endpoints yet.")) } }
            @else {
                div.admin-table-wrap { table.admin-table.webhooks {
                    thead { tr {
                        th scope="col" { "URL" } th scope="col" { (tr(ctx, "Sự kiện", "Events")) } th scope="col" { (tr(ctx, "Tạo lúc", "Created")) }
                        th scope="col" { (tr(ctx, "Trạng thái", "State")) } th scope="col" { span.visually-hidden { (tr(ctx, "Thao tác", "Actions")) } }
                    } }
                    tbody {
                        @for e in endpoints {
                            tr data-endpoint=(e.id) data-active=(e.active) {
                                td { a href=(ctx.href(&format!("/admin/webhooks/{}", e.id))) { code { (e.url) } } }
                                td { @for ev in parse_events(&e.events) { code { (ev.code()) } " " } }
                                td { (vn_time(e.created_at)) }
                                td { @if e.active == 1 { (tr(ctx, "Đang bật", "Active")) } @else { (tr(ctx, "Đã tắt", "Disabled")) @if let Some(t) = e.disabled_at { " " (vn_time(t)) } } }
                                td.admin-actions {
                                    @for (action, label) in [("test", tr(ctx, "Gửi sự kiện thử", "Send test event")), if e.active == 1 { ("disable", tr(ctx, "Tắt", "Disable")) } else { ("enable", tr(ctx, "Bật", "Enable")) }, ("delete", tr(ctx, "Xoá", "Delete"))] {
                                        form method="post" action=(ctx.href(&format!("/admin/webhooks/{}/{action}", e.id))) {
                                            (csrf_field()) button.secondary type="submit" { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            h2 { (tr(ctx, "Đăng ký endpoint", "Register an endpoint")) }
            form.create-webhook method="post" action=(ctx.href("/admin/webhooks")) {
                (csrf_field())
                div.field {
                    label for="w-url" { (tr(ctx, "URL (https, địa chỉ công khai)", "URL (https, public address)")) }
                    input #w-url type="url" name="url" maxlength="1000" required placeholder="https://example.com/vestify/webhooks";
                }
                fieldset {
                    legend { (tr(ctx, "Sự kiện", "Events")) }
                    @for ev in Event::SUBSCRIBABLE {
                        label { input type="checkbox" name="event" value=(ev.code()); " " code { (ev.code()) } " — " (event_help(ctx, ev)) }
                        br;
                    }
                }
                button.button type="submit" { (tr(ctx, "Đăng ký", "Register")) }
            }
        },
    )
}

/// `/admin/webhooks/{id}`: the endpoint and its newest deliveries (status, tries, response code,
/// last error).
pub fn deliveries_page(ctx: &AdminCtx, endpoint: &EndpointRow, rows: &[DeliveryRow]) -> Markup {
    page(
        ctx,
        Section::Notifications,
        tr(ctx, "Nhật ký webhook", "Webhook deliveries"),
        html! {
            p { a href=(ctx.href("/admin/webhooks")) { "← Webhooks" } }
            p { code { (endpoint.url) } " · " @for ev in parse_events(&endpoint.events) { code { (ev.code()) } " " } }
            @if rows.is_empty() { p.admin-muted { (tr(ctx, "Chưa gửi gì.", "Nothing sent yet.")) } }
            @else {
                div.admin-table-wrap { table.admin-table.webhook-deliveries {
                    thead { tr {
                        th scope="col" { (tr(ctx, "Tạo lúc", "Created")) } th scope="col" { (tr(ctx, "Sự kiện", "Event")) } th scope="col" { "Event id" }
                        th scope="col" { (tr(ctx, "Trạng thái", "Status")) } th scope="col" class="num" { (tr(ctx, "Lần thử", "Tries")) }
                        th scope="col" class="num" { (tr(ctx, "Mã trả về", "Response")) } th scope="col" { (tr(ctx, "Gửi lúc / lỗi", "Sent / error")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr data-delivery=(r.id) data-status=(r.status) {
                                td { (vn_time(r.created_at)) } td { code { (r.kind) } } td { code { (crate::domain::webhooks::event_id(&r.dedupe_key)) } }
                                td { span class=(format!("message-status message-{}", r.status)) { (status_name(ctx, &r.status)) } }
                                td.num { (r.attempts) }
                                td.num { @if let Some(c) = r.response_code { (c) } @else { "—" } }
                                td {
                                    @if let (Some(at), "sent") = (r.sent_at, r.status.as_str()) { (vn_time(at)) }
                                    @else if let Some(e) = &r.last_error { span.admin-muted { (e) } @if r.status == "pending" { " · " (tr(ctx, "thử lại lúc ", "next try ")) (vn_time(r.next_attempt_at)) } }
                                }
                            }
                        }
                    }
                } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::{required, Permission, Role};
    use crate::domain::locale::Locale;

    fn endpoint(active: i64) -> EndpointRow {
        EndpointRow { id: 7, url: "https://hooks.example.com/v".into(), events: "order.created stock.low".into(), active, created_by: "a1".into(), created_at: 1_800_000_000, disabled_at: None }
    }

    #[test]
    fn the_secret_is_shown_only_on_the_page_that_registered_it_and_each_endpoint_has_its_actions() {
        let ctx = AdminCtx::new(Locale::En, "/admin/webhooks", "", "m@vestify.vn", Role::Manager);
        let created = endpoints_page(&ctx, &[endpoint(1)], Some((7, "whsec_abc")), None, None).into_string();
        assert!(created.contains("whsec_abc") && created.contains("shown this once"), "{created}");
        let listed = endpoints_page(&ctx, &[endpoint(1), EndpointRow { id: 8, ..endpoint(0) }], None, None, None).into_string();
        assert!(!listed.contains("whsec_"));
        for action in ["/admin/webhooks/7/test", "/admin/webhooks/7/disable", "/admin/webhooks/7/delete", "/admin/webhooks/8/enable"] {
            assert!(listed.contains(action), "{action}");
        }
        for e in Event::SUBSCRIBABLE {
            assert!(listed.contains(&format!(r#"value="{}""#, e.code())), "{e:?}");
        }
    }

    #[test]
    fn managers_and_owners_reach_the_webhooks_and_staff_do_not() {
        for (method, path) in [("GET", "/admin/webhooks"), ("POST", "/admin/webhooks"), ("GET", "/admin/webhooks/7"), ("POST", "/admin/webhooks/7/test"), ("POST", "/admin/webhooks/7/delete")] {
            let p = required(method, path);
            assert_eq!(p, Some(Permission::ManageNotifications), "{method} {path}");
            assert!(Role::Manager.can(Permission::ManageNotifications) && !Role::Staff.can(Permission::ManageNotifications));
        }
    }

    #[test]
    fn the_delivery_log_shows_the_response_code_and_the_last_error() {
        let ctx = AdminCtx::new(Locale::En, "/admin/webhooks/7", "", "m@vestify.vn", Role::Manager);
        let row = DeliveryRow { id: 1, dedupe_key: "order.created:o1".into(), kind: "order.created".into(), status: "pending".into(), attempts: 2, next_attempt_at: 1_800_000_300, last_error: Some("HTTP 503: busy".into()), response_code: Some(503), created_at: 1_800_000_000, sent_at: None };
        let html = deliveries_page(&ctx, &endpoint(1), &[row]).into_string();
        assert!(html.contains(">503<") && html.contains("HTTP 503: busy") && html.contains(&crate::domain::webhooks::event_id("order.created:o1")), "{html}");
    }
}
