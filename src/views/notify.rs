//! The shopper's side of alerts: the "báo khi có hàng" and price-watch forms on a product page,
//! and the page that confirms a signup. Words are local to this module (vi, en).

use maud::{html, Markup};

use super::layout::{page, Head};
use super::PageCtx;
use crate::domain::catalog::Variant;

/// Where the forms post.
pub const STOCK_ALERT: &str = "/alerts/stock";
pub const PRICE_ALERT: &str = "/alerts/price";

/// Under the add-to-cart form of `variant`: on a sold-out variant, the back-in-stock signup; on
/// one that can be bought, the price watch. Email only here (other channels sign up their own way).
pub fn variant_alert_form(ctx: &PageCtx, variant: &Variant) -> Markup {
    let l = ctx.locale;
    let sold_out = !variant.stock().can_buy();
    let (action, legend, button, kind) = if sold_out {
        (STOCK_ALERT, l.pick("Báo khi có hàng", "Tell me when it is back"), l.pick("Báo cho tôi", "Notify me"), "stock")
    } else {
        (PRICE_ALERT, l.pick("Báo khi giảm giá", "Tell me when the price drops"), l.pick("Theo dõi giá", "Watch the price"), "price")
    };
    html! {
        form.variant-alert method="post" action=(ctx.href(action)) data-alert=(kind) {
            (crate::views::security::csrf_field())
            input type="hidden" name="variant_id" value=(variant.id);
            fieldset {
                legend { (legend) }
                div.alert-channels role="radiogroup" aria-label=(l.pick("Báo qua", "Notify me by")) {
                    label { input type="radio" name="channel" value="email" checked; " Email" }
                    label { input type="radio" name="channel" value="zns"; " " (l.pick("Zalo (số điện thoại)", "Zalo (phone)")) }
                    // Shown by app.js when this browser already receives the shop's push notifications.
                    label data-alert-push hidden { input type="radio" name="channel" value="push"; " " (l.pick("Thông báo trên trình duyệt này", "This browser's notifications")) }
                }
                label for={ "alert-email-" (kind) } { "Email" }
                input id={ "alert-email-" (kind) } type="email" name="email" autocomplete="email" maxlength="254";
                label for={ "alert-phone-" (kind) } { (l.pick("Số điện thoại (Zalo)", "Phone (Zalo)")) }
                input id={ "alert-phone-" (kind) } type="tel" name="phone" autocomplete="tel" maxlength="32";
                input type="hidden" name="endpoint" value="" data-alert-endpoint;
                button type="submit" { (button) }
            }
        }
    }
}

/// After a signup: what will happen, and the way back to the variant.
pub fn alert_saved_page(ctx: &PageCtx, back: &str, stock: bool) -> Markup {
    let l = ctx.locale;
    let title = if stock { l.pick("Chúng tôi sẽ báo khi có hàng", "We will tell you when it is back") } else { l.pick("Chúng tôi sẽ báo khi giảm giá", "We will tell you when the price drops") };
    let text = if stock {
        l.pick("Khi sản phẩm có hàng trở lại, chúng tôi báo cho bạn (email, Zalo hoặc thông báo trình duyệt, như bạn chọn) theo thứ tự đăng ký — số lượng có hạn, hãy đặt sớm khi nhận được tin.", "When it is back in stock we tell you (by email, Zalo or browser notification, as you chose) in the order people signed up — quantities are limited, so order soon when you hear.")
    } else {
        l.pick("Khi giá giảm từ 5% trở lên, chúng tôi sẽ báo cho bạn.", "When the price drops by 5% or more, we will tell you.")
    };
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    page(ctx, head, html! {
        section.alert-saved {
            h1 { (title) }
            p { (text) }
            p { a href=(back) { (l.pick("Quay lại sản phẩm", "Back to the product")) } }
        }
    })
}

/// Where the preferences form posts (the token travels in the form).
pub const PREFERENCES: &str = "/email/preferences";

/// What an address receives, from its signed link: unsubscribe from every marketing mail (alerts
/// included), or agree to it again. Transactional mail is not a choice here.
pub fn preferences_page(ctx: &PageCtx, email: &str, status: &str, alerts: i64, token: &str, done: Option<&str>) -> Markup {
    let l = ctx.locale;
    let title = l.pick("Tuỳ chọn email", "Email preferences");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let subscribed = status != "unsubscribed";
    page(ctx, head, html! {
        section.email-preferences data-status=(status) {
            h1 { (title) }
            @if let Some(message) = done { p.notice role="status" { (message) } }
            p { (l.pick("Địa chỉ", "Address")) ": " strong { (email) } }
            @if subscribed {
                p { (l.pick("Bạn đang nhận email khuyến mãi và thông báo sản phẩm", "You get offers and product alerts")) " (" (alerts) " " (l.pick("thông báo đang chờ", "alerts waiting")) ")." }
            } @else {
                p { (l.pick("Bạn đã huỷ đăng ký email khuyến mãi và thông báo sản phẩm.", "You have unsubscribed from offers and product alerts.")) }
            }
            p { small { (l.pick("Email về đơn hàng của bạn (xác nhận, giao hàng, hoàn tiền) vẫn luôn được gửi.", "Emails about your orders (confirmation, delivery, refunds) are always sent.")) } }
            form method="post" action=(ctx.href(PREFERENCES)) {
                (crate::views::security::csrf_field())
                input type="hidden" name="t" value=(token);
                @if subscribed {
                    button.button type="submit" name="choice" value="unsubscribe" { (l.pick("Huỷ đăng ký tất cả email khuyến mãi", "Unsubscribe from all marketing email")) }
                } @else {
                    button.button type="submit" name="choice" value="subscribe" { (l.pick("Nhận lại email khuyến mãi", "Get marketing email again")) }
                }
            }
        }
    })
}

/// Where the newsletter form posts, and the confirmation link's page.
pub const NEWSLETTER: &str = "/newsletter";
pub const NEWSLETTER_CONFIRM: &str = "/newsletter/confirm";

/// The newsletter signup (footer): one field. No CSRF token, so pages stay cacheable for everyone;
/// the handler checks the request's origin, and double opt-in stops a stranger's signup.
pub fn newsletter_form(ctx: &PageCtx) -> Markup {
    let l = ctx.locale;
    html! {
        form.newsletter method="post" action=(ctx.href(NEWSLETTER)) {
            label for="newsletter-email" { (l.pick("Nhận bản tin và ưu đãi", "Get our newsletter and offers")) }
            input #newsletter-email type="email" name="email" autocomplete="email" maxlength="254" required;
            button type="submit" { (l.pick("Đăng ký", "Sign up")) }
        }
    }
}

/// A short page saying what happened (a signup recorded, an address confirmed).
pub fn notice_page(ctx: &PageCtx, title: &str, text: &str) -> Markup {
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    page(ctx, head, html! {
        section.notice-page {
            h1 { (title) }
            p { (text) }
            p { a href=(ctx.href("/")) { (ctx.locale.pick("Về trang chủ", "Back to the shop")) } }
        }
    })
}
