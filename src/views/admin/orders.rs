//! Orders in the admin panel: the filtered list, one order's detail with its timeline, payments and
//! refunds, and the confirmation step every action passes through. Vietnamese and English.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::admin_orders::{Action, OrderFilter, OrderListRow};
use crate::app::orders::OrderDetail;
use crate::app::refunds::RefundRow;
use crate::domain::money::Vnd;
use crate::domain::orders::OrderStatus;
use crate::domain::time::vn_time;
use crate::views::checkout::provider_name_in;

const PROVIDERS: [&str; 5] = ["sandbox", "stripe", "paypal", "momo", "zalopay"];

fn tr(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    ctx.locale.pick(vi, en)
}

pub fn status_name(ctx: &AdminCtx, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => tr(ctx, "Chờ thanh toán", "Awaiting payment"),
        OrderStatus::Paid => tr(ctx, "Đã thanh toán", "Paid"),
        OrderStatus::Fulfilled => tr(ctx, "Đã gửi hàng", "Shipped"),
        OrderStatus::Delivered => tr(ctx, "Đã giao", "Delivered"),
        OrderStatus::Expired => tr(ctx, "Hết hạn", "Expired"),
        OrderStatus::Cancelled => tr(ctx, "Đã huỷ", "Cancelled"),
        OrderStatus::Refunded => tr(ctx, "Đã hoàn tiền", "Refunded"),
        OrderStatus::PartiallyRefunded => tr(ctx, "Hoàn tiền một phần", "Partially refunded"),
        OrderStatus::NeedsRefund => tr(ctx, "Cần hoàn tiền", "Needs refund"),
    }
}

fn action_name(ctx: &AdminCtx, action: Action) -> &'static str {
    match action {
        Action::Fulfil => tr(ctx, "Đánh dấu đã gửi hàng", "Mark shipped"),
        Action::Deliver => tr(ctx, "Đánh dấu đã giao", "Mark delivered"),
        Action::Cancel => tr(ctx, "Huỷ đơn (trả hàng về kho)", "Cancel (restock)"),
        Action::Refund => tr(ctx, "Hoàn tiền", "Refund"),
    }
}

/// `/admin/orders`: filters, one page of orders, paging links.
pub fn orders_page(ctx: &AdminCtx, f: &OrderFilter, rows: &[OrderListRow], has_next: bool) -> Markup {
    let shown = rows.iter().take(crate::app::admin_orders::PER_PAGE as usize);
    let base = f.query();
    let paged = |n: i64| format!("{}{}{}page={n}", ctx.href("/admin/orders"), if base.is_empty() { "?" } else { &base }, if base.is_empty() { "" } else { "&" });
    page(
        ctx,
        Section::Orders,
        tr(ctx, "Đơn hàng", "Orders"),
        html! {
            form.admin-filters method="get" action=(ctx.href("/admin/orders")) {
                fieldset {
                    legend { (tr(ctx, "Lọc", "Filter")) }
                    label { (tr(ctx, "Trạng thái", "Status"))
                        select name="status" {
                            option value="" { (tr(ctx, "Tất cả", "All")) }
                            @for s in OrderStatus::ALL {
                                option value=(s.code()) selected[f.status == Some(s)] { (status_name(ctx, s)) }
                            }
                        }
                    }
                    label { (tr(ctx, "Cổng thanh toán", "Payment provider"))
                        select name="provider" {
                            option value="" { (tr(ctx, "Tất cả", "All")) }
                            @for p in PROVIDERS {
                                option value=(p) selected[f.provider.as_deref() == Some(p)] { (provider_name_in(ctx.locale, p)) }
                            }
                        }
                    }
                    label { (tr(ctx, "Từ ngày", "From")) input type="date" name="from" value=[f.from.map(|d| d.to_string())]; }
                    label { (tr(ctx, "Đến ngày", "To")) input type="date" name="to" value=[f.to.map(|d| d.to_string())]; }
                    label { (tr(ctx, "Mã đơn, email hoặc điện thoại", "Number, email or phone")) input type="search" name="q" value=(f.q) maxlength="100"; }
                    button type="submit" { (tr(ctx, "Lọc", "Filter")) }
                }
            }
            @if rows.is_empty() {
                p.admin-muted { (tr(ctx, "Không có đơn hàng nào khớp.", "No orders match.")) }
            } @else {
                div.admin-table-wrap {
                    table.admin-table {
                        thead { tr {
                            th scope="col" { (tr(ctx, "Mã đơn", "Number")) }
                            th scope="col" { (tr(ctx, "Ngày đặt", "Placed")) }
                            th scope="col" { (tr(ctx, "Khách hàng", "Customer")) }
                            th scope="col" { (tr(ctx, "Trạng thái", "Status")) }
                            th scope="col" { (tr(ctx, "Thanh toán", "Payment")) }
                            th scope="col" class="num" { (tr(ctx, "Tổng", "Total")) }
                        } }
                        tbody {
                            @for o in shown {
                                tr {
                                    td { a href=(ctx.href(&format!("/admin/orders/{}", o.id))) { (o.number) } }
                                    td { (vn_time(o.created_at)) }
                                    td { (o.name) br; span.admin-muted { (o.email) " · " (o.phone) } }
                                    td { span class=(format!("order-status status-{}", o.status)) { (status_name(ctx, o.status)) } }
                                    td { (provider_name_in(ctx.locale, &o.payment_provider)) }
                                    td class="num" { (ctx.money(o.total)) @if o.refunded_total.is_positive() { br; span.admin-muted { "−" (ctx.money(o.refunded_total)) } } }
                                }
                            }
                        }
                    }
                }
            }
            nav.admin-paging aria-label=(tr(ctx, "Trang", "Pages")) {
                @if f.page > 1 { a rel="prev" href=(paged(f.page - 1)) { "← " (tr(ctx, "Trang trước", "Previous")) } }
                span { (tr(ctx, "Trang ", "Page ")) (f.page) }
                @if has_next { a rel="next" href=(paged(f.page + 1)) { (tr(ctx, "Trang sau", "Next")) " →" } }
            }
        },
    )
}

/// What an order's page may offer the signed-in role.
pub struct Offer {
    pub actions: Vec<Action>,
    /// What is left to refund (paid − refunded − pending refunds).
    pub refundable: Vnd,
}

/// `/admin/orders/{id}`.
pub fn order_page(ctx: &AdminCtx, d: &OrderDetail, refunds: &[RefundRow], offer: &Offer, notice: Option<&str>) -> Markup {
    let o = &d.order;
    let title = format!("{} {}", tr(ctx, "Đơn", "Order"), o.number);
    page(
        ctx,
        Section::Orders,
        &title,
        html! {
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            p { span class=(format!("order-status status-{}", o.status)) { (status_name(ctx, o.status)) }
                " · " (vn_time(o.created_at))
                " · " a href=(ctx.href(&format!("/admin/orders/{}/invoice", o.id))) { (tr(ctx, "Hoá đơn", "Invoice")) }
                " · " a href=(ctx.href(&format!("/admin/orders/{}/invoice.pdf", o.id))) { "PDF" } }
            div.admin-grid {
                section.admin-card {
                    h2 { (tr(ctx, "Khách hàng", "Customer")) }
                    p { (o.name) br; a href=(format!("mailto:{}", o.email)) { (o.email) } br; (o.phone) }
                    h3 { (tr(ctx, "Địa chỉ giao hàng", "Shipping address")) }
                    // Since 2025-07-01 an address has no district; an older order shows the one it has.
                    @let locality = [o.address_ward.as_str(), o.address_district.as_str()].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
                    p { (o.address_line1) br; (locality) br; (o.address_province) @if !o.address_postal_code.is_empty() { " " (o.address_postal_code) } " · " (o.address_country) }
                    @if !o.note.is_empty() { p.admin-muted { (tr(ctx, "Ghi chú: ", "Note: ")) (o.note) } }
                }
                section.admin-card {
                    h2 { (tr(ctx, "Thao tác", "Actions")) }
                    @if offer.actions.is_empty() {
                        p.admin-muted { (tr(ctx, "Không có thao tác nào cho đơn ở trạng thái này, hoặc vai trò của bạn không được phép.", "No action is available for this order's status or your role.")) }
                    }
                    @for a in &offer.actions {
                        (action_form(ctx, o.id.as_str(), *a, offer.refundable))
                    }
                }
            }
            section.admin-card {
                h2 { (tr(ctx, "Sản phẩm", "Lines")) }
                div.admin-table-wrap { table.admin-table {
                    thead { tr { th scope="col" { "SKU" } th scope="col" { (tr(ctx, "Sản phẩm", "Product")) } th scope="col" class="num" { (tr(ctx, "SL", "Qty")) } th scope="col" class="num" { (tr(ctx, "Đơn giá", "Unit price")) } th scope="col" class="num" { (tr(ctx, "Thành tiền", "Line total")) } } }
                    tbody {
                        @for l in &d.lines {
                            tr { td { (l.sku) } td { (ctx.locale.pick(&l.name_vi, &l.name_en)) " · " (l.size) " · " (l.color) } td.num { (l.quantity) } td.num { (ctx.money(l.unit_price)) } td.num { (ctx.money(l.line_total.saturating_sub(l.discount))) } }
                        }
                    }
                    tfoot {
                        tr { th colspan="4" scope="row" { (tr(ctx, "Tạm tính", "Subtotal")) } td.num { (ctx.money(o.subtotal)) } }
                        tr { th colspan="4" scope="row" { (tr(ctx, "Phí giao hàng", "Shipping")) } td.num { (ctx.money(o.shipping_fee)) } }
                        @if o.discount.is_positive() { tr { th colspan="4" scope="row" { (tr(ctx, "Giảm giá", "Discount")) } td.num { "−" (ctx.money(o.discount)) } } }
                        tr { th colspan="4" scope="row" { (tr(ctx, "Tổng cộng", "Total")) } td.num { strong { (ctx.money(o.total)) } } }
                        @if o.refunded_total.is_positive() { tr { th colspan="4" scope="row" { (tr(ctx, "Đã hoàn", "Refunded")) } td.num { "−" (ctx.money(o.refunded_total)) } } }
                    }
                } }
            }
            section.admin-card {
                h2 { (tr(ctx, "Lần thanh toán", "Payment attempts")) }
                div.admin-table-wrap { table.admin-table {
                    thead { tr { th scope="col" { (tr(ctx, "Thời điểm", "When")) } th scope="col" { (tr(ctx, "Cổng", "Provider")) } th scope="col" { (tr(ctx, "Trạng thái", "Status")) } th scope="col" class="num" { (tr(ctx, "Số tiền", "Amount")) } th scope="col" { (tr(ctx, "Mã giao dịch", "Reference")) } } }
                    tbody {
                        @for p in &d.payments {
                            tr { td { (vn_time(p.created_at)) } td { (provider_name_in(ctx.locale, &p.provider)) } td { (p.status) @if let Some(c) = &p.failure_code { " (" (c) ")" } } td.num { (ctx.money(p.amount)) } td { (p.charge_id.as_deref().or(p.external_id.as_deref()).unwrap_or("—")) } }
                        }
                    }
                } }
            }
            @if !refunds.is_empty() {
                section.admin-card {
                    h2 { (tr(ctx, "Hoàn tiền", "Refunds")) }
                    div.admin-table-wrap { table.admin-table {
                        thead { tr { th scope="col" { (tr(ctx, "Thời điểm", "When")) } th scope="col" { (tr(ctx, "Trạng thái", "Status")) } th scope="col" class="num" { (tr(ctx, "Số tiền", "Amount")) } th scope="col" { (tr(ctx, "Lý do", "Reason")) } } }
                        tbody {
                            @for r in refunds {
                                tr { td { (vn_time(r.created_at)) } td { (r.status) @if let Some(f) = &r.failure { " (" (f) ")" } } td.num { (ctx.money(r.amount)) } td { (r.reason) } }
                            }
                        }
                    } }
                }
            }
            section.admin-card {
                h2 { (tr(ctx, "Diễn biến", "Timeline")) }
                ol.admin-timeline {
                    @for e in &d.events {
                        li { time { (vn_time(e.at)) } " — " (e.from_status.map(|s| status_name(ctx, s)).unwrap_or("∅")) " → " strong { (status_name(ctx, e.to_status)) }
                            " · " span.admin-muted { (e.actor) @if !e.reason.is_empty() { " · " (e.reason) } } }
                    }
                }
            }
        },
    )
}

/// The form that starts an action; submitting it shows the confirmation step.
fn action_form(ctx: &AdminCtx, order_id: &str, a: Action, refundable: Vnd) -> Markup {
    html! {
        form.admin-action method="post" action=(ctx.href(&format!("/admin/orders/{order_id}/{}", a.code()))) {
            (csrf_field())
            @match a {
                Action::Fulfil => {
                    label { (tr(ctx, "Đơn vị vận chuyển", "Carrier")) input name="carrier" maxlength="60" required; }
                    label { (tr(ctx, "Mã vận đơn", "Tracking number")) input name="tracking_number" maxlength="100" required; }
                }
                Action::Refund => {
                    label { (tr(ctx, "Số tiền (đ)", "Amount (VND)")) input name="amount" type="number" min="1" max=(refundable.minor()) value=(refundable.minor()) required; }
                    label { (tr(ctx, "Lý do", "Reason")) input name="reason" maxlength="200"; }
                }
                _ => {}
            }
            button class=(if matches!(a, Action::Cancel | Action::Refund) { "danger" } else { "secondary" }) type="submit" { (action_name(ctx, a)) "…" }
        }
    }
}

/// The confirmation step: what will happen, the values carried in hidden fields, and the button.
pub fn confirm_page(ctx: &AdminCtx, d: &OrderDetail, a: Action, fields: &[(&str, String)], error: Option<&str>) -> Markup {
    let o = &d.order;
    let title = format!("{} · {}", action_name(ctx, a), o.number);
    page(
        ctx,
        Section::Orders,
        &title,
        html! {
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            section.admin-card {
                p { (tr(ctx, "Đơn ", "Order ")) strong { (o.number) } " · " (status_name(ctx, o.status)) " · " (ctx.money(o.total)) " · " (o.email) }
                dl {
                    @for (k, v) in fields.iter().filter(|(k, _)| *k != "idempotency_key") {
                        dt { (field_label(ctx, k)) }
                        dd { @if *k == "amount" { (v.parse::<i64>().map(|n| ctx.money(Vnd::new(n))).unwrap_or_else(|_| v.clone())) } @else { (v) } }
                    }
                }
                p { (tr(ctx, "Bạn có chắc không? Thao tác này được ghi vào nhật ký.", "Are you sure? This is recorded in the audit log.")) }
                form method="post" action=(ctx.href(&format!("/admin/orders/{}/{}", o.id, a.code()))) {
                    (csrf_field())
                    input type="hidden" name="confirm" value="yes";
                    @for (k, v) in fields { input type="hidden" name=(k) value=(v); }
                    button.danger type="submit" { (tr(ctx, "Xác nhận", "Confirm")) ": " (action_name(ctx, a)) }
                    " "
                    a.button.secondary href=(ctx.href(&format!("/admin/orders/{}", o.id))) { (tr(ctx, "Quay lại", "Back")) }
                }
            }
        },
    )
}

fn field_label(ctx: &AdminCtx, key: &str) -> &'static str {
    match key {
        "carrier" => tr(ctx, "Đơn vị vận chuyển", "Carrier"),
        "tracking_number" => tr(ctx, "Mã vận đơn", "Tracking number"),
        "amount" => tr(ctx, "Số tiền", "Amount"),
        "reason" => tr(ctx, "Lý do", "Reason"),
        _ => "",
    }
}

/// A 400 page for a filter or period the panel cannot read.
pub fn bad_request_page(ctx: &AdminCtx, current: Section, message: &str) -> Markup {
    page(ctx, current, tr(ctx, "Yêu cầu không hợp lệ", "Bad request"), html! {
        p.notice.error role="alert" { (message) }
        p { a href=(ctx.href(current.path())) { (tr(ctx, "Bỏ lọc", "Clear the filters")) } }
    })
}
