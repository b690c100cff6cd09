//! After the order: its timeline on the order page (with the carrier's tracking link) and the
//! order lookup page (`/orders/lookup`).

use maud::{html, Markup};

use super::layout::{page, Head};
use super::PageCtx;
use crate::domain::listing::FieldError;
use crate::domain::time::{local_time, rfc3339};
use crate::domain::tracking::{Entry, Step};

/// What a step is called on the order page.
fn step_name(ctx: &PageCtx, step: Step) -> &'static str {
    let (vi, en) = match step {
        Step::Placed => ("Đã đặt hàng", "Order placed"),
        Step::Confirmed => ("Đã xác nhận", "Confirmed"),
        Step::Paid => ("Đã thanh toán", "Paid"),
        Step::Packed => ("Đã đóng gói", "Packed"),
        Step::Shipped => ("Đã giao cho đơn vị vận chuyển", "Shipped"),
        Step::Delivered => ("Đã giao hàng", "Delivered"),
        Step::Returned => ("Đã hoàn hàng về shop", "Returned to the shop"),
        Step::Refunded => ("Đã hoàn tiền", "Refunded"),
        Step::RefundDue => ("Sẽ hoàn tiền", "Refund due"),
        Step::Cancelled => ("Đã huỷ", "Cancelled"),
        Step::Expired => ("Đã hết hạn thanh toán", "Expired unpaid"),
    };
    ctx.locale.pick(vi, en)
}

/// The order's timeline, oldest first.
pub fn timeline(ctx: &PageCtx, entries: &[Entry]) -> Markup {
    html! {
        ol.timeline {
            @for e in entries {
                li data-step=(e.step.code()) {
                    time datetime=(rfc3339(e.at)) { (local_time(e.at, ctx.locale)) }
                    " — " strong { (step_name(ctx, e.step)) }
                    @if let Some(amount) = e.amount { " · " span.money data-amount=(amount.minor()) { (amount.format(ctx.locale)) } }
                    @if let Some(s) = &e.shipment {
                        br;
                        span.shipment {
                            span data-carrier=(s.carrier) { (s.carrier) }
                            @if !s.tracking_number.is_empty() {
                                " · " (ctx.locale.pick("Mã vận đơn", "Tracking number")) ": " strong data-tracking=(s.tracking_number) { (s.tracking_number) }
                            }
                            @if let Some(url) = &s.url {
                                " · " a.track-link href=(url) target="_blank" rel="noopener noreferrer" { (ctx.locale.pick("Theo dõi đơn hàng", "Track the parcel")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the lookup form shows: the fields as typed, what is wrong with them, and whether the last
/// try found nothing (the same sentence for an unknown order and a wrong pair).
pub struct LookupView<'a> {
    pub number: &'a str,
    pub contact: &'a str,
    pub errors: &'a [FieldError],
    pub not_found: bool,
    /// The shopper came back by a lookup link whose time is over.
    pub expired: bool,
}

pub const LOOKUP_PATH: &str = "/orders/lookup";

pub fn lookup_page(ctx: &PageCtx, v: &LookupView) -> Markup {
    let title = ctx.locale.pick("Tra cứu đơn hàng", "Find your order");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let error = |field: &str| v.errors.iter().find(|e| e.field == field).map(|e| (ctx.t().problem)(&e.problem));
    let main = html! {
        section.order-lookup {
            h1 { (title) }
            p { (ctx.locale.pick(
                "Nhập mã đơn hàng (ví dụ VS-000123) và số điện thoại hoặc email bạn đã dùng khi đặt hàng.",
                "Enter the order number (e.g. VS-000123) and the phone number or email you ordered with.")) }
            @if v.expired {
                p.notice.lookup-expired role="alert" { (ctx.locale.pick(
                    "Liên kết xem đơn hàng này đã hết hạn. Vui lòng tra cứu lại để nhận liên kết mới.",
                    "This order link has expired. Please look your order up again for a new link.")) }
            }
            @if v.not_found {
                p.notice.lookup-not-found role="alert" { (ctx.locale.pick(
                    "Không tìm thấy đơn hàng nào khớp với mã đơn và số điện thoại/email này. Vui lòng kiểm tra lại.",
                    "No order matches this order number and phone or email. Please check them.")) }
            }
            form.lookup-form method="post" action=(ctx.href(LOOKUP_PATH)) novalidate {
                (crate::views::security::csrf_field())
                div.field {
                    label for="f-number" { (ctx.locale.pick("Mã đơn hàng", "Order number")) }
                    input #f-number type="text" name="number" value=(v.number) maxlength="20" required autocomplete="off"
                        aria-invalid=[error("number").map(|_| "true")];
                    @if let Some(e) = error("number") { span.field-error data-field="number" { (e) } }
                }
                div.field {
                    label for="f-contact" { (ctx.locale.pick("Số điện thoại hoặc email", "Phone or email")) }
                    input #f-contact type="text" name="contact" value=(v.contact) maxlength="254" required autocomplete="tel"
                        aria-invalid=[error("contact").map(|_| "true")];
                    @if let Some(e) = error("contact") { span.field-error data-field="contact" { (e) } }
                }
                button.button type="submit" { (ctx.locale.pick("Tra cứu", "Find my order")) }
            }
        }
    };
    page(ctx, head, main)
}
