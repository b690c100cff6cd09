//! The guest order page (`/orders/{id}?t=…`) and the sandbox payment page.

use maud::{html, Markup};

use super::checkout::{country_name, provider_name};
use super::layout::{page, Head};
use super::shop_i18n::shop_t;
use super::PageCtx;
use crate::app::orders::{OrderDetail, PaymentRow};
use crate::domain::money::Vnd;
use crate::domain::orders::{FulfillmentStatus, OrderStatus, PaymentState};
use crate::domain::payments::PaymentStatus;
use crate::domain::phone::display_phone;
use crate::domain::time::local_time;
use crate::domain::tracking::{timeline, Entry, Event};

/// The payment methods an unpaid order may switch to, and why the last attempt failed.
pub struct PayChoice<'a> {
    pub providers: &'a [&'a str],
    pub failure: Option<&'a str>,
    /// The transfer to make, when the order waits for a bank transfer.
    pub bank: Option<BankTransfer<'a>>,
}

/// What the shopper needs to pay an order by bank transfer: the QR code's payload and the same
/// details as text.
pub struct BankTransfer<'a> {
    pub bank_name: &'a str,
    pub account_number: &'a str,
    pub account_name: &'a str,
    pub amount: Vnd,
    pub memo: &'a str,
    /// The VietQR payload (`domain::payments::vietqr::payload`).
    pub payload: &'a str,
}

/// The bank-transfer box: the VietQR code (SVG, drawn on the server) and each detail with a copy
/// button (shown by `app.js`; without JavaScript the text is there to select).
fn bank_transfer(ctx: &PageCtx, b: &BankTransfer) -> Markup {
    let l = ctx.locale;
    let rows: [(&str, &str, String, String); 5] = [
        ("bank", l.pick("Ngân hàng", "Bank"), b.bank_name.to_string(), b.bank_name.to_string()),
        ("account", l.pick("Số tài khoản", "Account number"), b.account_number.to_string(), b.account_number.to_string()),
        ("name", l.pick("Chủ tài khoản", "Account name"), b.account_name.to_string(), b.account_name.to_string()),
        ("amount", l.pick("Số tiền", "Amount"), b.amount.format(l), b.amount.minor().to_string()),
        ("memo", l.pick("Nội dung chuyển khoản", "Transfer memo"), b.memo.to_string(), b.memo.to_string()),
    ];
    html! {
        section.bank-transfer data-payload=(b.payload) {
            h2 { (l.pick("Chuyển khoản ngân hàng (VietQR)", "Bank transfer (VietQR)")) }
            p { (l.pick(
                "Quét mã bằng ứng dụng ngân hàng, hoặc chuyển khoản với đúng số tiền và nội dung dưới đây. Đơn hàng được xác nhận tự động khi tiền về.",
                "Scan the code with your banking app, or transfer exactly the amount with the memo below. The order is confirmed automatically when the money arrives.",
            )) }
            @match crate::views::qr::qr_svg(b.payload, "VietQR") {
                Ok(svg) => div.bank-qr { (svg) },
                Err(_) => {},
            }
            dl.bank-details {
                @for (key, label, shown, copied) in &rows {
                    div data-field=(key) {
                        dt { (label) }
                        dd {
                            span.value { (shown) }
                            " "
                            button.copy type="button" data-copy=(copied) hidden { (l.pick("Sao chép", "Copy")) }
                        }
                    }
                }
            }
        }
    }
}

/// `token` is the order's access token, for the cancel and pay forms of an unpaid order.
/// `push_key`: the shop's VAPID public key when Web Push is configured (the opt-in is offered while
/// the order still has news to come).
pub fn order_page(ctx: &PageCtx, detail: &OrderDetail, pay_url: Option<&str>, declined: bool, token: &str, choice: &PayChoice, push_key: Option<&str>) -> Markup {
    order_page_recommended(ctx, detail, pay_url, declined, token, choice, push_key, &[])
}

/// The order page with "frequently bought together" cards for its products (`app::recs`).
#[allow(clippy::too_many_arguments)]
pub fn order_page_recommended(ctx: &PageCtx, detail: &OrderDetail, pay_url: Option<&str>, declined: bool, token: &str, choice: &PayChoice, push_key: Option<&str>, recommended: &[crate::domain::catalog::ProductCard]) -> Markup {
    let t = ctx.t();
    let s = shop_t(ctx.locale);
    let o = &detail.order;
    let money = |n: Vnd| n.format(ctx.locale);
    let status_name = s.status_name;
    let head = Head { title: (s.order_title)(&o.number), description: (s.order_title)(&o.number), noindex: true, events: super::consent::purchase(detail, ctx.locale).into_iter().collect(), ..Head::default() };
    let main = html! {
        h1 { ((s.order_title)(&o.number)) }
        p.order-status { (s.order_status) ": " strong data-status=(o.status) { (status_name(o.status)) } }
        @if declined { p.notice role="alert" { (s.payment_declined) @if let Some(why) = choice.failure { " " span.payment-failure { (why) } } } }
        @if o.status == OrderStatus::Paid { p.success { (s.thanks_paid) } }
        @if o.status.has_invoice() && !token.is_empty() {
            p.invoice-links {
                (ctx.locale.pick("Hoá đơn: ", "Invoice: "))
                a href=(invoice_href(&o.id, token, ctx.locale, false)) { (ctx.locale.pick("xem và in", "view and print")) }
                " · "
                a href=(invoice_href(&o.id, token, ctx.locale, true)) download { "PDF" }
                " · "
                @let other = ctx.locale.other();
                a href=(invoice_href(&o.id, token, other, false)) hreflang=(other.code()) lang=(other.code()) { (other.pick("Bản tiếng Việt", "In English")) }
            }
        }
        @if let Some(key) = push_key.filter(|_| matches!(o.status, OrderStatus::PendingPayment | OrderStatus::Confirmed | OrderStatus::Paid | OrderStatus::Fulfilled)) {
            (crate::views::push::push_optin(ctx, crate::views::push::OptIn::Order, &ctx.href(&format!("/orders/{}/push", o.id)), key, &[("t", token)]))
        }
        @if o.payment_status == PaymentState::CodPending && o.status != OrderStatus::Returned {
            p.success.cod-due data-cod-due=(o.total.minor()) {
                (ctx.locale.pick("Đơn hàng đã được xác nhận. Bạn thanh toán ", "Your order is confirmed. You pay "))
                strong { (money(o.total)) }
                (ctx.locale.pick(" bằng tiền mặt khi nhận hàng.", " in cash when it is delivered."))
            }
            @if o.status == OrderStatus::Confirmed && o.fulfillment_status == FulfillmentStatus::Unfulfilled {
                form.cancel-order method="post" action=(ctx.href(&format!("/orders/{}/cancel", o.id))) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="t" value=(token);
                    button type="submit" { (s.cancel_order) }
                }
            }
        }
        @if o.status == OrderStatus::PendingPayment {
            p.notice { ((s.pay_before)(&local_time(o.expires_at, ctx.locale))) }
            @if let Some(url) = pay_url { p { a.button href=(url) { (s.pay_now) } } }
            @if let Some(b) = &choice.bank { (bank_transfer(ctx, b)) }
            @if !choice.providers.is_empty() {
                form.pay-with method="post" action=(ctx.href(&format!("/orders/{}/pay", o.id))) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="t" value=(token);
                    fieldset {
                        legend { (ctx.locale.pick("Chọn cách thanh toán khác", "Pay another way")) }
                        @for (i, p) in choice.providers.iter().enumerate() {
                            label.choice {
                                input type="radio" name="provider" value=(p) checked[*p == o.payment_provider || (i == 0 && !choice.providers.contains(&o.payment_provider.as_str()))];
                                " " (provider_name(ctx, p))
                            }
                        }
                    }
                    button.button.secondary type="submit" { (ctx.locale.pick("Thanh toán bằng cách này", "Pay this way")) }
                }
            }
            form.cancel-order method="post" action=(ctx.href(&format!("/orders/{}/cancel", o.id))) {
                (crate::views::security::csrf_field())
                input type="hidden" name="t" value=(token);
                button type="submit" { (s.cancel_order) }
            }
        }
        table.order-lines {
            thead { tr { th scope="col" { (s.product) } th scope="col" { (s.unit_price) } th scope="col" { (t.quantity) } th scope="col" { (s.line_total) } } }
            @let bundles = super::bundles::order_groups(&detail.discounts, &detail.lines);
            @let grouped: Vec<usize> = bundles.iter().flat_map(|(_, _, m)| m.iter().copied()).collect();
            @for (r, benefit, members) in &bundles {
                tbody.bundle-group data-bundle=(r.promotion_id) {
                    (super::bundles::group_head(ctx, &r.name_vi, &r.name_en, Some(benefit), r.amount, 3))
                    @for i in members { @if let Some(l) = detail.lines.get(*i) { (order_line_row(ctx, l)) } }
                }
            }
            tbody {
                @for l in detail.lines.iter().enumerate().filter(|(i, _)| !grouped.contains(i)).map(|(_, l)| l) {
                    (order_line_row(ctx, l))
                }
            }
            tfoot {
                tr { th scope="row" colspan="3" { (s.subtotal) } td.money { (money(o.subtotal)) } }
                (super::promotions::order_discounts(ctx, &detail.discounts, 3))
                tr { th scope="row" colspan="3" { (s.shipping) } td.money data-shipping=(o.shipping_fee.minor()) { @if o.shipping_fee == Vnd::ZERO { (s.free) } @else { (money(o.shipping_fee)) } } }
                tr { th scope="row" colspan="3" { (s.total) } td.money data-total=(o.total.minor()) { strong { (money(o.total)) } } }
                @if o.refunded_total.is_positive() {
                    tr.refunded { th scope="row" colspan="3" { (ctx.locale.pick("Đã hoàn tiền", "Refunded")) } td.money data-refunded=(o.refunded_total.minor()) { (money(o.refunded_total)) } }
                }
            }
        }
        section.order-meta {
            h2 { (s.ship_to) }
            @let locality = [o.address_ward.as_str(), o.address_district.as_str()].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
            p {
                (o.name) br; (o.address_line1) br;
                @if !locality.is_empty() { (locality) br; }
                (o.address_province) @if !o.address_postal_code.is_empty() { " " (o.address_postal_code) } ", " (country_name(ctx, &o.address_country)) br;
                span data-phone=(o.phone) { (display_phone(&o.phone)) }
                @if !o.email.is_empty() { br; (o.email) }
            }
            @if !o.note.is_empty() {
                h2 { (ctx.locale.pick("Ghi chú của bạn", "Your note")) }
                p.order-note { (o.note) }
            }
            @if let (Some(method), Some(min), Some(max)) = (crate::domain::checkout::ShippingMethod::parse(&o.shipping_method), o.shipping_eta_min, o.shipping_eta_max) {
                p.delivery-window data-eta-min=(min) data-eta-max=(max) {
                    (super::checkout::method_name(ctx, method)) " · " (super::checkout::eta_text(ctx, [min, max]))
                }
            }
            h2 { (s.payment) }
            ul { @for p in &detail.payments { li { (payment_line(ctx, p)) } } }
            h2 { (s.timeline) }
            (super::tracking::timeline(ctx, &order_timeline(detail)))
        }
        @if !recommended.is_empty() {
            section.related.order-recommendations aria-labelledby="order-recs-title" {
                h2 #order-recs-title { (ctx.locale.pick("Thường được mua cùng", "Frequently bought together")) }
                (super::components::card_grid(ctx, recommended))
            }
        }
    };
    page(ctx, head, main)
}

/// The shopper's invoice of an order (HTML, or the PDF) in `locale`, opened by the order's token.
/// One line of the order's table.
fn order_line_row(ctx: &PageCtx, l: &crate::app::orders::OrderLine) -> Markup {
    let t = ctx.t();
    let s = crate::views::shop_i18n::shop_t(ctx.locale);
    let money = |n: Vnd| n.format(ctx.locale);
    html! {
        tr data-sku=(l.sku) {
            td.line-product { (ctx.locale.pick(&l.name_vi, &l.name_en)) " — " (ctx.locale.pick(l.color_vi.as_deref().unwrap_or(&l.color), l.color_en.as_deref().unwrap_or(&l.color))) " / " (l.size) br; small { (t.sku) ": " (l.sku) } }
            td.line-price data-label=(s.unit_price) { (money(l.unit_price)) }
            td.line-qty data-label=(t.quantity) { (l.quantity) }
            td.line-total data-label=(s.line_total) {
                @if l.discount.is_positive() {
                    @let net = l.line_total.saturating_sub(l.discount);
                    del { (money(l.line_total)) } " " ins data-line-net=(net.minor()) { (money(net)) }
                } @else { (money(l.line_total)) }
            }
        }
    }
}

pub fn invoice_href(order_id: &str, token: &str, locale: crate::domain::locale::Locale, pdf: bool) -> String {
    format!("{}?t={token}", locale.path(&format!("/orders/{order_id}/invoice{}", if pdf { ".pdf" } else { "" })))
}

/// The order's timeline from its events and its carrier and tracking number.
pub fn order_timeline(detail: &OrderDetail) -> Vec<Entry> {
    let o = &detail.order;
    let events: Vec<Event<'_>> = detail.events.iter().map(|e| Event { at: e.at, to: e.to_status.code(), reason: &e.reason }).collect();
    timeline(o.created_at, &events, o.carrier.as_deref(), o.tracking_number.as_deref())
}

fn payment_line(ctx: &PageCtx, p: &PaymentRow) -> String {
    let s = shop_t(ctx.locale);
    let mut line = format!("{} · {}", provider_name(ctx, &p.provider), p.amount.format(ctx.locale));
    // PayPal charges dollars: show what the shopper was charged too.
    if let (Some(amount), Some(currency)) = (p.provider_amount, p.provider_currency) {
        if currency != p.currency {
            line.push_str(&format!(" ({} {})", currency.code(), crate::domain::payments::paypal::format_usd(amount)));
        }
    }
    line.push_str(&format!(" · {}", (s.payment_status)(p.status)));
    line
}

pub fn sandbox_page(ctx: &PageCtx, detail: &OrderDetail, payment: &PaymentRow, action: &str, token: &str) -> Markup {
    let s = shop_t(ctx.locale);
    let head = Head { title: s.sandbox_title.to_string(), description: s.sandbox_text.to_string(), noindex: true, ..Head::default() };
    let main = html! {
        section.sandbox {
            h1 { (s.sandbox_title) }
            p { (s.sandbox_text) }
            p { ((s.order_title)(&detail.order.number)) ": " strong data-amount=(payment.amount.minor()) { (payment.amount.format(ctx.locale)) } }
            form.sandbox-actions method="post" action=(action) {
                (crate::views::security::csrf_field())
                input type="hidden" name="t" value=(token);
                button.button type="submit" name="result" value=(PaymentStatus::Succeeded) { (s.pay) }
                button.button.secondary type="submit" name="result" value=(PaymentStatus::Failed) { (s.decline) }
            }
        }
    };
    page(ctx, head, main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::locale::Locale;

    fn ctx(locale: Locale) -> PageCtx {
        PageCtx { locale, path: "/orders/abc".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: Vec::new(), shop: Default::default() }
    }

    #[test]
    fn a_paid_order_links_its_invoice_in_both_languages_and_as_a_pdf_and_an_unpaid_one_does_not() {
        let choice = PayChoice { providers: &[], failure: None, bank: None };
        let mut detail = crate::views::invoice::tests::sample_order();
        let html = order_page(&ctx(Locale::Vi), &detail, None, false, "tok", &choice, None).into_string();
        assert!(html.contains(r#"<a href="/orders/abc/invoice?t=tok">xem và in</a>"#), "{html}");
        assert!(html.contains(r#"<a href="/orders/abc/invoice.pdf?t=tok" download>PDF</a>"#));
        assert!(html.contains(r#"<a href="/en/orders/abc/invoice?t=tok" hreflang="en" lang="en">In English</a>"#));
        let en = order_page(&ctx(Locale::En), &detail, None, false, "tok", &choice, None).into_string();
        assert!(en.contains(r#"<a href="/orders/abc/invoice?t=tok" hreflang="vi" lang="vi">Bản tiếng Việt</a>"#), "{en}");
        detail.order.status = OrderStatus::PendingPayment;
        assert!(!order_page(&ctx(Locale::Vi), &detail, None, false, "tok", &choice, None).into_string().contains("/invoice"));
    }
}
