//! Orders in the admin panel: the filtered list, one order's detail with its timeline, payments and
//! refunds, and the confirmation step every action passes through. Vietnamese and English.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::admin_orders::{Action, OrderFilter, OrderListRow};
use crate::app::orders::OrderDetail;
use crate::app::refunds::RefundRow;
use crate::domain::money::Vnd;
use crate::app::cod::{Collected, Finding, MismatchReason, Review};
use crate::domain::orders::{FulfillmentStatus, OrderStatus, PaymentState};
use crate::domain::payments::{PaymentStatus, RefundStatus};
use crate::domain::time::vn_time;
use crate::views::checkout::provider_name_in;

const PROVIDERS: [&str; 7] = ["sandbox", "stripe", "paypal", "momo", "zalopay", "bank", "cod"];

fn tr(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    ctx.locale.pick(vi, en)
}

pub fn status_name(ctx: &AdminCtx, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => tr(ctx, "Chờ thanh toán", "Awaiting payment"),
        OrderStatus::Confirmed => tr(ctx, "Đã xác nhận (COD)", "Confirmed (COD)"),
        OrderStatus::Paid => tr(ctx, "Đã thanh toán", "Paid"),
        OrderStatus::Fulfilled => tr(ctx, "Đã gửi hàng", "Shipped"),
        OrderStatus::Delivered => tr(ctx, "Đã giao", "Delivered"),
        OrderStatus::Returned => tr(ctx, "Đã hoàn hàng", "Returned"),
        OrderStatus::Expired => tr(ctx, "Hết hạn", "Expired"),
        OrderStatus::Cancelled => tr(ctx, "Đã huỷ", "Cancelled"),
        OrderStatus::Refunded => tr(ctx, "Đã hoàn tiền", "Refunded"),
        OrderStatus::PartiallyRefunded => tr(ctx, "Hoàn tiền một phần", "Partially refunded"),
        OrderStatus::NeedsRefund => tr(ctx, "Cần hoàn tiền", "Needs refund"),
    }
}

pub fn payment_status_name(ctx: &AdminCtx, s: PaymentState) -> &'static str {
    match s {
        PaymentState::Pending => tr(ctx, "Chờ thanh toán", "Pending"),
        PaymentState::CodPending => tr(ctx, "Chờ thu tiền (COD)", "COD to collect"),
        PaymentState::Paid => tr(ctx, "Đã thanh toán", "Paid"),
        PaymentState::PartiallyRefunded => tr(ctx, "Hoàn tiền một phần", "Partially refunded"),
        PaymentState::Refunded => tr(ctx, "Đã hoàn tiền", "Refunded"),
        PaymentState::Voided => tr(ctx, "Không thu", "Voided"),
    }
}

/// A payment attempt's status (`succeeded`, …) in the viewer's language.
pub fn attempt_status_name(ctx: &AdminCtx, s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Pending => tr(ctx, "Đang chờ", "Pending"),
        PaymentStatus::Succeeded => tr(ctx, "Thành công", "Succeeded"),
        PaymentStatus::Failed => tr(ctx, "Thất bại", "Failed"),
        PaymentStatus::Cancelled => tr(ctx, "Đã huỷ", "Cancelled"),
    }
}

pub fn refund_status_name(ctx: &AdminCtx, s: RefundStatus) -> &'static str {
    match s {
        RefundStatus::Pending => tr(ctx, "Đang xử lý", "Pending"),
        RefundStatus::Succeeded => tr(ctx, "Thành công", "Succeeded"),
        RefundStatus::Failed => tr(ctx, "Thất bại", "Failed"),
    }
}

/// An order event's reason as the timeline shows it. The system writes its reasons as fixed
/// English phrases (kept in the table as written); those are shown in the viewer's language, a
/// refund's amount formatted as money. A reason a person typed is shown as typed.
pub fn event_reason(ctx: &AdminCtx, reason: &str) -> String {
    let fixed = match reason {
        "order placed" => Some(tr(ctx, "Đặt hàng", "Order placed")),
        "payment confirmed" => Some(tr(ctx, "Đã xác nhận thanh toán", "Payment confirmed")),
        "unpaid when it expired" => Some(tr(ctx, "Hết hạn khi chưa thanh toán", "Unpaid when it expired")),
        "paid after expiry; stock still available" => Some(tr(ctx, "Thanh toán sau khi hết hạn; vẫn còn hàng", "Paid after expiry; stock still available")),
        "paid after expiry; stock no longer available" => Some(tr(ctx, "Thanh toán sau khi hết hạn; đã hết hàng", "Paid after expiry; stock no longer available")),
        "cash on delivery: confirmed" => Some(tr(ctx, "Thanh toán khi nhận hàng: đã xác nhận", "Cash on delivery: confirmed")),
        "cash on delivery collected" => Some(tr(ctx, "Đã thu tiền khi giao hàng", "Cash on delivery collected")),
        "parcel returned to the shop" => Some(tr(ctx, "Hàng hoàn về cửa hàng", "Parcel returned to the shop")),
        "cancelled by staff" => Some(tr(ctx, "Nhân viên huỷ đơn", "Cancelled by staff")),
        "cancelled by the shopper" => Some(tr(ctx, "Khách huỷ đơn", "Cancelled by the shopper")),
        "delivered" => Some(tr(ctx, "Đã giao", "Delivered")),
        _ => None,
    };
    if let Some(text) = fixed {
        return text.to_string();
    }
    if let Some((amount, currency)) = reason.strip_prefix("refund of ").and_then(|rest| rest.split_once(' ')) {
        if let (Ok(n), "VND") = (amount.parse::<i64>(), currency) {
            return format!("{} {}", tr(ctx, "Hoàn tiền", "Refund of"), ctx.money(Vnd::new(n)));
        }
    }
    reason.to_string()
}

/// Who moved an order, as a person reads it: the shopper, the system, a payment provider or the
/// admin's email (`admin:{email}`).
pub fn event_actor(ctx: &AdminCtx, actor: &str) -> String {
    match actor {
        "shopper" => tr(ctx, "Khách hàng", "Shopper").to_string(),
        "alarm" | "sweep" | "cron" | "system" => tr(ctx, "Hệ thống", "System").to_string(),
        _ => {
            if let Some(provider) = actor.strip_prefix("payment:") {
                format!("{} {}", tr(ctx, "Cổng thanh toán", "Payment provider"), provider_name_in(ctx.locale, provider))
            } else if let Some(who) = actor.strip_prefix("admin:") {
                who.to_string()
            } else {
                actor.to_string()
            }
        }
    }
}

pub fn fulfillment_name(ctx: &AdminCtx, s: FulfillmentStatus) -> &'static str {
    match s {
        FulfillmentStatus::Unfulfilled => tr(ctx, "Chưa gửi", "Unfulfilled"),
        FulfillmentStatus::Shipped => tr(ctx, "Đã gửi hàng", "Shipped"),
        FulfillmentStatus::Delivered => tr(ctx, "Đã giao", "Delivered"),
        FulfillmentStatus::Returned => tr(ctx, "Hoàn hàng", "Returned"),
    }
}

fn action_name(ctx: &AdminCtx, action: Action) -> &'static str {
    match action {
        Action::Collect => tr(ctx, "Đánh dấu đã thu tiền (COD)", "Mark cash collected (COD)"),
        Action::Return => tr(ctx, "Xác nhận hàng hoàn về kho", "Confirm parcel returned"),
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
                    label { (tr(ctx, "Thanh toán", "Payment status"))
                        select name="payment_status" {
                            option value="" { (tr(ctx, "Tất cả", "All")) }
                            @for s in PaymentState::ALL {
                                option value=(s.code()) selected[f.payment_status == Some(s)] { (payment_status_name(ctx, s)) }
                            }
                        }
                    }
                    label { (tr(ctx, "Giao hàng", "Fulfilment"))
                        select name="fulfillment_status" {
                            option value="" { (tr(ctx, "Tất cả", "All")) }
                            @for s in FulfillmentStatus::ALL {
                                option value=(s.code()) selected[f.fulfillment_status == Some(s)] { (fulfillment_name(ctx, s)) }
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
            p { a href=(ctx.href("/admin/bank-transfers")) { (tr(ctx, "Chuyển khoản chờ đối soát", "Bank transfers to reconcile")) } }
            @if rows.is_empty() {
                p.admin-muted { (tr(ctx, "Không có đơn hàng nào khớp.", "No orders match.")) }
            } @else {
                p { a href=(ctx.href("/admin/orders/cod-statement")) { (tr(ctx, "Đối soát COD: nhập bảng kê của đơn vị vận chuyển", "COD reconciliation: import a carrier's statement")) } }
                form #collect-form method="post" action=(ctx.href("/admin/orders/collect")) {
                    (csrf_field())
                    button.secondary type="submit" { (tr(ctx, "Đánh dấu đã thu tiền các đơn COD đã chọn", "Mark the selected COD orders collected")) }
                }
                div.admin-table-wrap tabindex="0" {
                    table.admin-table {
                        thead { tr {
                            th scope="col" { span.visually-hidden { (tr(ctx, "Chọn", "Select")) } }
                            th scope="col" { (tr(ctx, "Mã đơn", "Number")) }
                            th scope="col" { (tr(ctx, "Ngày đặt", "Placed")) }
                            th scope="col" { (tr(ctx, "Khách hàng", "Customer")) }
                            th scope="col" { (tr(ctx, "Trạng thái", "Status")) }
                            th scope="col" { (tr(ctx, "Thanh toán", "Payment")) }
                            th scope="col" { (tr(ctx, "Giao hàng", "Fulfilment")) }
                            th scope="col" class="num" { (tr(ctx, "Tổng", "Total")) }
                        } }
                        tbody {
                            @for o in shown {
                                tr {
                                    td { @if o.payment_status == PaymentState::CodPending {
                                        input type="checkbox" name="order" value=(o.id) form="collect-form" aria-label=(format!("{} {}", tr(ctx, "Chọn", "Select"), o.number));
                                    } }
                                    td { a href=(ctx.href(&format!("/admin/orders/{}", o.id))) { (o.number) } }
                                    td { (vn_time(o.created_at)) }
                                    td { (o.name) br; span.admin-muted { (o.email) " · " (o.phone) } }
                                    td { span class=(format!("order-status status-{}", o.status)) { (status_name(ctx, o.status)) } }
                                    td { (provider_name_in(ctx.locale, &o.payment_provider)) br;
                                        span class=(format!("payment-status payment-{}", o.payment_status)) { (payment_status_name(ctx, o.payment_status)) } }
                                    td { span class=(format!("fulfillment-status fulfillment-{}", o.fulfillment_status)) { (fulfillment_name(ctx, o.fulfillment_status)) } }
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
pub fn order_page(ctx: &AdminCtx, d: &OrderDetail, refunds: &[RefundRow], offer: &Offer, notice: Option<&str>, messages: &[crate::app::outbox::LogRow], can_resend: bool) -> Markup {
    let o = &d.order;
    let title = format!("{} {}", tr(ctx, "Đơn", "Order"), o.number);
    page(
        ctx,
        Section::Orders,
        &title,
        html! {
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            p { span class=(format!("order-status status-{}", o.status)) { (status_name(ctx, o.status)) }
                " · " span class=(format!("payment-status payment-{}", o.payment_status)) { (payment_status_name(ctx, o.payment_status)) }
                " · " span class=(format!("fulfillment-status fulfillment-{}", o.fulfillment_status)) { (fulfillment_name(ctx, o.fulfillment_status)) }
                " · " (vn_time(o.created_at))
                " · " a href=(ctx.href(&format!("/admin/orders/{}/invoice", o.id))) { (tr(ctx, "Hoá đơn", "Invoice")) }
                " · " a href=(ctx.href(&format!("/admin/orders/{}/invoice.pdf", o.id))) { "PDF" } }
            div.admin-grid {
                section.admin-card {
                    h2 { (tr(ctx, "Khách hàng", "Customer")) }
                    p { (o.name) br; @if !o.email.is_empty() { a href=(format!("mailto:{}", o.email)) { (o.email) } br; } a href=(format!("tel:{}", o.phone)) { (crate::domain::phone::display_phone(&o.phone)) } }
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
                div.admin-table-wrap tabindex="0" { table.admin-table {
                    thead { tr { th scope="col" { "SKU" } th scope="col" { (tr(ctx, "Sản phẩm", "Product")) } th scope="col" class="num" { (tr(ctx, "SL", "Qty")) } th scope="col" class="num" { (tr(ctx, "Đơn giá", "Unit price")) } th scope="col" class="num" { (tr(ctx, "Thành tiền", "Line total")) } } }
                    @let line_row = |l: &crate::app::orders::OrderLine| html! {
                        tr { td { (l.sku) } td { (ctx.locale.pick(&l.name_vi, &l.name_en)) " · " (l.size) " · " (ctx.locale.pick(l.color_vi.as_deref().unwrap_or(&l.color), l.color_en.as_deref().unwrap_or(&l.color))) } td.num { (l.quantity) } td.num { (ctx.money(l.unit_price)) } td.num { (ctx.money(l.line_total.saturating_sub(l.discount))) } }
                    };
                    // A bundle's lines together under its name and saving, as the shopper's order page shows them.
                    @let bundles = crate::views::bundles::order_groups(&d.discounts, &d.lines);
                    @let grouped: Vec<usize> = bundles.iter().flat_map(|(_, _, m)| m.iter().copied()).collect();
                    @for (r, benefit, members) in &bundles {
                        tbody.bundle-group data-bundle=(r.promotion_id) {
                            (crate::views::bundles::group_head(&crate::views::bundles::words_ctx(ctx.locale), &r.name_vi, &r.name_en, Some(benefit), r.amount, 4))
                            @for i in members { @if let Some(l) = d.lines.get(*i) { (line_row(l)) } }
                        }
                    }
                    tbody {
                        @for l in d.lines.iter().enumerate().filter(|(i, _)| !grouped.contains(i)).map(|(_, l)| l) {
                            (line_row(l))
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
                div.admin-table-wrap tabindex="0" { table.admin-table {
                    thead { tr { th scope="col" { (tr(ctx, "Thời điểm", "When")) } th scope="col" { (tr(ctx, "Cổng", "Provider")) } th scope="col" { (tr(ctx, "Trạng thái", "Status")) } th scope="col" class="num" { (tr(ctx, "Số tiền", "Amount")) } th scope="col" { (tr(ctx, "Mã giao dịch", "Reference")) } } }
                    tbody {
                        @for p in &d.payments {
                            tr { td { (vn_time(p.created_at)) } td { (provider_name_in(ctx.locale, &p.provider)) } td { (attempt_status_name(ctx, p.status)) @if let Some(c) = &p.failure_code { " (" (c) ")" } } td.num { (ctx.money(p.amount)) } td { (p.charge_id.as_deref().or(p.external_id.as_deref()).unwrap_or("—")) } }
                        }
                    }
                } }
            }
            @if !refunds.is_empty() {
                section.admin-card {
                    h2 { (tr(ctx, "Hoàn tiền", "Refunds")) }
                    div.admin-table-wrap tabindex="0" { table.admin-table {
                        thead { tr { th scope="col" { (tr(ctx, "Thời điểm", "When")) } th scope="col" { (tr(ctx, "Trạng thái", "Status")) } th scope="col" class="num" { (tr(ctx, "Số tiền", "Amount")) } th scope="col" { (tr(ctx, "Lý do", "Reason")) } } }
                        tbody {
                            @for r in refunds {
                                tr { td { (vn_time(r.created_at)) } td { (refund_status_name(ctx, r.status)) @if let Some(f) = &r.failure { " (" (f) ")" } } td.num { (ctx.money(r.amount)) } td { (r.reason) } }
                            }
                        }
                    } }
                }
            }
            section.admin-card.order-messages {
                h2 { (tr(ctx, "Thông báo đã gửi khách", "Messages to the buyer")) }
                @if messages.is_empty() { p.admin-muted { (tr(ctx, "Không có (đơn không có email).", "None (the order has no email).")) } }
                @else { (super::notifications::messages_table(ctx, messages, can_resend)) }
            }
            section.admin-card {
                h2 { (tr(ctx, "Diễn biến", "Timeline")) }
                ol.admin-timeline {
                    @for e in &d.events {
                        li { time { (vn_time(e.at)) } " — " (e.from_status.map(|s| status_name(ctx, s)).unwrap_or("∅")) " → " strong { (status_name(ctx, e.to_status)) }
                            " · " span.admin-muted { (event_actor(ctx, &e.actor)) @if !e.reason.is_empty() { " · " (event_reason(ctx, &e.reason)) } } }
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
                    label { (tr(ctx, "Đơn vị vận chuyển", "Carrier")) input name="carrier" maxlength="60" required list="carriers"; }
                    // The carriers whose tracking page the shopper's order page links to; any other
                    // name may still be typed.
                    datalist #carriers { @for c in crate::domain::tracking::Carrier::ALL { option value=(c.name()); } }
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

fn review_reason(ctx: &AdminCtx, code: Option<&str>) -> &'static str {
    use crate::domain::payments::bank::ReviewReason;
    match code.and_then(ReviewReason::parse) {
        Some(ReviewReason::Underpaid) => tr(ctx, "Chuyển thiếu", "Underpaid"),
        Some(ReviewReason::Overpaid) => tr(ctx, "Chuyển thừa", "Overpaid"),
        Some(ReviewReason::UnknownMemo) => tr(ctx, "Nội dung không khớp đơn nào", "Memo matches no order"),
        Some(ReviewReason::Ambiguous) => tr(ctx, "Nội dung khớp nhiều đơn", "Memo matches several orders"),
        Some(ReviewReason::NotAwaitingTransfer) => tr(ctx, "Đơn không chờ chuyển khoản", "Order not awaiting a transfer"),
        None => "",
    }
}

/// The reconciliation queue ("chờ đối soát"): bank transactions that paid no order by themselves,
/// each with a form to match it to an order, and a form to mark an order paid by hand. `notice`:
/// what the last action did, or why it was refused.
pub fn bank_queue_page(ctx: &AdminCtx, rows: &[crate::app::bank::QueuedTransfer], can_act: bool, notice: Option<&str>) -> Markup {
    page(
        ctx,
        Section::Orders,
        tr(ctx, "Chuyển khoản chờ đối soát", "Bank transfers to reconcile"),
        html! {
            @if let Some(n) = notice { p.admin-notice role="status" { (n) } }
            @if rows.is_empty() {
                p.admin-muted { (tr(ctx, "Không có giao dịch nào chờ đối soát.", "No transactions waiting.")) }
            } @else {
                div.admin-table-wrap tabindex="0" {
                    table.admin-table.bank-queue {
                        thead { tr {
                            th scope="col" { (tr(ctx, "Mã giao dịch", "Transaction")) }
                            th scope="col" { (tr(ctx, "Nhận lúc", "Received")) }
                            th scope="col" class="num" { (tr(ctx, "Số tiền", "Amount")) }
                            th scope="col" { (tr(ctx, "Nội dung", "Content")) }
                            th scope="col" { (tr(ctx, "Lý do", "Reason")) }
                            th scope="col" { (tr(ctx, "Khớp với đơn", "Match to order")) }
                        } }
                        tbody {
                            @for t in rows {
                                tr data-transaction=(t.id) {
                                    td { (t.id) br; span.admin-muted { (t.gateway) @if let Some(r) = &t.reference_code { " · " (r) } } }
                                    td { (vn_time(t.received_at)) @if let Some(d) = &t.transaction_date { br; span.admin-muted { (d) } } }
                                    td class="num" data-amount=(t.amount.minor()) { (ctx.money(t.amount)) }
                                    td { (t.content) }
                                    td data-reason=[t.reason.as_deref()] {
                                        (review_reason(ctx, t.reason.as_deref()))
                                        @if let (Some(n), Some(total)) = (&t.order_number, t.order_total) { br; span.admin-muted { (n) " · " (ctx.money(total)) } }
                                    }
                                    td {
                                        @if can_act {
                                            form method="post" action=(ctx.href(&format!("/admin/bank-transfers/{}/match", t.id))) {
                                                (csrf_field())
                                                label { span.visually-hidden { (tr(ctx, "Mã đơn", "Order number")) }
                                                    input type="text" name="order_number" required maxlength="20" placeholder="VS-000123" value=[t.order_number.as_deref()]; }
                                                " "
                                                button type="submit" { (tr(ctx, "Khớp và xác nhận đã thanh toán", "Match and mark paid")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if can_act {
                h2 { (tr(ctx, "Xác nhận đã thanh toán bằng tay", "Mark an order paid by hand")) }
                form.mark-paid method="post" action=(ctx.href("/admin/bank-transfers/mark-paid")) {
                    (csrf_field())
                    label { (tr(ctx, "Mã đơn", "Order number")) " " input type="text" name="order_number" required maxlength="20" placeholder="VS-000123"; }
                    " "
                    button type="submit" { (tr(ctx, "Xác nhận đã thanh toán", "Mark paid")) }
                }
            }
        },
    )
}
/// After marking orders collected from the list: which were, which were left as they were.
pub fn collected_page(ctx: &AdminCtx, done: &Collected) -> Markup {
    let link = |id: &String| html! { a href=(ctx.href(&format!("/admin/orders/{id}"))) { (id) } };
    page(ctx, Section::Orders, tr(ctx, "Đã thu tiền COD", "COD cash collected"), html! {
        p.notice role="status" { (tr(ctx, "Đã ghi nhận đã thu tiền: ", "Marked collected: ")) (done.collected.len()) }
        @if !done.unchanged.is_empty() {
            p { (tr(ctx, "Không thay đổi (đã thu trước đó, không phải COD hoặc đã đóng): ", "Left unchanged (already collected, not COD, or closed): ")) }
            ul { @for id in &done.unchanged { li { (link(id)) } } }
        }
        p { a href=(ctx.href("/admin/orders?payment_status=cod_pending")) { (tr(ctx, "← Các đơn COD chờ thu tiền", "← COD orders to collect")) } }
    })
}

/// `/admin/orders/cod-statement`: the upload form, then the dry run (with the confirm button) or
/// what applying did.
pub fn statement_page(ctx: &AdminCtx, csv: &str, error: Option<&str>, review: Option<&Review>, applied: Option<&Collected>) -> Markup {
    let finding = |f: &Finding| -> (&'static str, &'static str) {
        match f {
            Finding::Match { .. } => ("match", tr(ctx, "Khớp", "Match")),
            Finding::Mismatch { reason: MismatchReason::Amount, .. } => ("mismatch", tr(ctx, "Lệch số tiền", "Amount differs")),
            Finding::Mismatch { reason: MismatchReason::AlreadyCollected, .. } => ("mismatch", tr(ctx, "Đã thu trước đó", "Already collected")),
            Finding::Mismatch { reason: MismatchReason::NotCod, .. } => ("mismatch", tr(ctx, "Không phải đơn COD đang chờ", "Not an open COD order")),
            Finding::Unknown => ("unknown", tr(ctx, "Không có đơn này", "No such order")),
        }
    };
    page(ctx, Section::Orders, tr(ctx, "Đối soát COD", "COD statement"), html! {
        @if let Some(e) = error { p.notice.error role="alert" { (e) } }
        @if let Some(done) = applied {
            p.notice role="status" { (tr(ctx, "Đã ghi nhận đã thu tiền: ", "Marked collected: ")) (done.collected.len()) }
        }
        @if let Some(r) = review {
            p #statement-summary data-matches=(r.count(|f| matches!(f, Finding::Match { .. }))) data-mismatches=(r.count(|f| matches!(f, Finding::Mismatch { .. }))) data-unknown=(r.count(|f| matches!(f, Finding::Unknown))) {
                (tr(ctx, "Khớp: ", "Matches: ")) (r.count(|f| matches!(f, Finding::Match { .. })))
                " · " (tr(ctx, "Lệch: ", "Mismatches: ")) (r.count(|f| matches!(f, Finding::Mismatch { .. })))
                " · " (tr(ctx, "Không rõ: ", "Unknown: ")) (r.count(|f| matches!(f, Finding::Unknown)))
            }
            div.admin-table-wrap tabindex="0" { table.admin-table {
                thead { tr { th scope="col" { (tr(ctx, "Dòng", "Line")) } th scope="col" { (tr(ctx, "Mã đơn", "Number")) } th scope="col" class="num" { (tr(ctx, "Đã thu", "Collected")) } th scope="col" class="num" { (tr(ctx, "Phí", "Fee")) } th scope="col" class="num" { (tr(ctx, "Tổng đơn", "Order total")) } th scope="col" { (tr(ctx, "Kết quả", "Outcome")) } } }
                tbody { @for (line, f) in &r.lines {
                    @let (code, label) = finding(f);
                    tr data-outcome=(code) {
                        td { (line.line) } td { (line.number) } td.num { (ctx.money(line.collected)) } td.num { (ctx.money(line.fee)) }
                        td.num { @match f { Finding::Match { total, .. } | Finding::Mismatch { total, .. } => { (ctx.money(*total)) } Finding::Unknown => { "—" } } }
                        td { (label) }
                    }
                } }
            } }
            @if applied.is_none() && r.count(|f| matches!(f, Finding::Match { .. })) > 0 {
                form method="post" action=(ctx.href("/admin/orders/cod-statement")) {
                    (csrf_field())
                    input type="hidden" name="csv" value=(csv);
                    input type="hidden" name="confirm" value="yes";
                    p { (tr(ctx, "Chỉ các dòng khớp được ghi nhận đã thu tiền; thao tác được ghi vào nhật ký.", "Only the matching lines are marked collected; this is recorded in the audit log.")) }
                    button.danger type="submit" { (tr(ctx, "Xác nhận ghi nhận các dòng khớp", "Confirm: mark the matches collected")) }
                }
            }
        }
        form method="post" enctype="multipart/form-data" action=(ctx.href("/admin/orders/cod-statement")) {
            (csrf_field())
            p { (tr(ctx, "Bảng kê CSV có dòng tiêu đề order_number,collected,fee (hoặc ma_don,tien_thu,phi). Xem trước không thay đổi gì.", "A CSV statement with the header order_number,collected,fee (or ma_don,tien_thu,phi). The preview changes nothing.")) }
            label { (tr(ctx, "Tệp CSV", "CSV file")) input type="file" name="file" accept=".csv,text/csv"; }
            label { (tr(ctx, "Hoặc dán nội dung", "Or paste it")) textarea name="csv" rows="6" { (csv) } }
            button.secondary type="submit" { (tr(ctx, "Xem trước", "Preview")) }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::cod::StatementLine;
    use crate::domain::locale::Locale;

    fn ctx() -> AdminCtx {
        AdminCtx { locale: Locale::Vi, path: "/admin/orders/cod-statement".into(), query: String::new(), user: "m@vestify.vn".into(), role: "Quản lý".into(), sections: vec![Section::Orders] }
    }

    #[test]
    fn system_event_texts_and_statuses_read_in_vietnamese() {
        let c = ctx();
        assert_eq!(event_reason(&c, "order placed"), "Đặt hàng");
        assert_eq!(event_reason(&c, "payment confirmed"), "Đã xác nhận thanh toán");
        assert_eq!(event_reason(&c, "refund of 100000 VND"), format!("Hoàn tiền {}", c.money(Vnd::new(100_000))));
        assert!(event_reason(&c, "refund of 100000 VND").contains("100.000"));
        assert_eq!(event_reason(&c, "khách đổi ý"), "khách đổi ý", "a typed reason stays as typed");
        assert_eq!(event_actor(&c, "shopper"), "Khách hàng");
        assert_eq!(event_actor(&c, "admin:lan@vestify.vn"), "lan@vestify.vn");
        assert_eq!(attempt_status_name(&c, PaymentStatus::Succeeded), "Thành công");
        assert_eq!(refund_status_name(&c, RefundStatus::Succeeded), "Thành công");
        let en = AdminCtx { locale: crate::domain::locale::Locale::En, ..ctx() };
        assert_eq!(event_reason(&en, "refund of 100000 VND"), format!("Refund of {}", en.money(Vnd::new(100_000))));
    }

    #[test]
    fn order_lines_name_the_colour_not_its_code() {
        let d = crate::views::invoice::tests::sample_order();
        let offer = Offer { actions: Vec::new(), refundable: Vnd::ZERO };
        let html = order_page(&ctx(), &d, &[], &offer, None, &[], false).into_string();
        assert!(html.contains("Gilê phao siêu nhẹ · M · Đen"), "{html}");
        assert!(!html.contains(" · M · c<"), "the colour code is not shown");
    }

    #[test]
    fn a_bundles_lines_are_grouped_under_its_name_and_discount() {
        let d = crate::views::invoice::tests::bundle_order();
        let offer = Offer { actions: Vec::new(), refundable: Vnd::ZERO };
        let html = order_page(&ctx(), &d, &[], &offer, None, &[], false).into_string();
        let group = html.find(r#"<tbody class="bundle-group" data-bundle="7">"#).unwrap_or_else(|| panic!("{html}"));
        let rest = group + html[group..].find("</tbody>").unwrap();
        let inside = &html[group..rest];
        assert!(inside.contains("Combo: ") && inside.contains("Mua kèm giảm 10%") && inside.contains("−100.000"), "{inside}");
        assert!(inside.contains("GL-PHAO-DEN-M") && inside.contains("GL-DU-KAKI-XL") && !inside.contains("GL-LEN-XAM-L"), "{inside}");
        assert!(html[rest..].contains("GL-LEN-XAM-L"), "the other line after the group");
        let plain = order_page(&ctx(), &crate::views::invoice::tests::sample_order(), &[], &offer, None, &[], false).into_string();
        assert!(!plain.contains("bundle-group"));
    }

    fn line(n: usize, number: &str) -> StatementLine {
        StatementLine { line: n, number: number.into(), collected: Vnd::new(250_000), fee: Vnd::new(15_000) }
    }

    #[test]
    fn the_statement_dry_run_counts_each_outcome_and_offers_to_apply_only_the_matches() {
        let csv = "order_number,collected,fee\nVS-000101,250000,15000\nVS-000102,250000,15000\nVS-999999,250000,15000\n";
        let review = Review {
            lines: vec![
                (line(2, "VS-000101"), Finding::Match { order_id: "a".into(), total: Vnd::new(250_000) }),
                (line(3, "VS-000102"), Finding::Mismatch { order_id: "b".into(), total: Vnd::new(300_000), reason: MismatchReason::Amount }),
                (line(4, "VS-999999"), Finding::Unknown),
            ],
        };
        let html = statement_page(&ctx(), csv, None, Some(&review), None).into_string();
        assert!(html.contains(r#"data-matches="1" data-mismatches="1" data-unknown="1""#), "{html}");
        assert!(html.contains(r#"name="confirm" value="yes""#), "the dry run offers to apply");
        assert!(html.contains("VS-000101,250000,15000"), "the statement is carried to the confirmation");
        let applied = Collected { collected: vec!["a".into()], unchanged: vec![] };
        let after = statement_page(&ctx(), csv, None, Some(&review), Some(&applied)).into_string();
        assert!(!after.contains(r#"name="confirm""#), "nothing left to confirm once applied");
        let nothing = Review { lines: vec![(line(2, "VS-999999"), Finding::Unknown)] };
        assert!(!statement_page(&ctx(), csv, None, Some(&nothing), None).into_string().contains(r#"name="confirm""#), "no confirmation without a match");
    }
}
