//! Pages of the gateways' return trip: "confirming payment…" while the provider's answer is on its
//! way, and a page that tells the shopper a gateway could not be reached.

use maud::{html, Markup};

use super::checkout::provider_name;
use super::layout::{page, Head};
use super::PageCtx;
use crate::app::orders::OrderDetail;

/// Seconds between the confirming page's reloads (a `Refresh` header; no script needed).
pub const REFRESH_SECONDS: u32 = 3;

pub fn confirming_page(ctx: &PageCtx, detail: &OrderDetail, provider: &str, check_url: &str, order_url: &str) -> Markup {
    let title = ctx.locale.pick("Đang xác nhận thanh toán…", "Confirming payment…");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let main = html! {
        section.confirming data-status="confirming" {
            h1 { (title) }
            p {
                (ctx.locale.pick("Chúng tôi đang chờ xác nhận từ ", "We are waiting for confirmation from "))
                strong { (provider_name(ctx, provider)) }
                (ctx.locale.pick(" cho đơn hàng ", " for order "))
                strong { (detail.order.number) } " (" (detail.order.total.format(ctx.locale)) ")."
            }
            p { (ctx.locale.pick("Trang này tự tải lại sau vài giây.", "This page reloads itself in a few seconds.")) }
            p { a.button href=(check_url) { (ctx.locale.pick("Kiểm tra lại", "Check again")) } " " a href=(order_url) { (ctx.locale.pick("Xem đơn hàng", "View the order")) } }
        }
    };
    page(ctx, head, main)
}

pub fn unavailable_page(ctx: &PageCtx, provider: &str, order_url: &str) -> Markup {
    let title = ctx.locale.pick("Không kết nối được cổng thanh toán", "The payment gateway could not be reached");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let main = html! {
        section.confirming data-status="unavailable" {
            h1 { (title) }
            p {
                (provider_name(ctx, provider))
                (ctx.locale.pick(" hiện không phản hồi. Đơn hàng của bạn vẫn được giữ; bạn có thể thử lại hoặc chọn cách thanh toán khác.",
                    " is not answering right now. Your order is still held; you can try again or choose another way to pay."))
            }
            p { a.button href=(order_url) { (ctx.locale.pick("Quay lại đơn hàng", "Back to the order")) } }
        }
    };
    page(ctx, head, main)
}

/// The step from the shop to the provider's page in a browser. A form's submission may not be
/// redirected to another origin (the CSP's `form-action 'self'`), so after "place order" the browser
/// lands here and is sent on by a fresh navigation: a `Refresh` header, or the link.
pub fn handoff_page(ctx: &PageCtx, provider: &str, url: &str) -> Markup {
    let title = ctx.locale.pick("Đang chuyển đến cổng thanh toán…", "Taking you to the payment page…");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let main = html! {
        section.confirming data-status="handoff" {
            h1 { (title) }
            p { a.button href=(url) rel="noreferrer" { (ctx.locale.pick("Tiếp tục đến ", "Continue to ")) (provider_name(ctx, provider)) } }
        }
    };
    page(ctx, head, main)
}
