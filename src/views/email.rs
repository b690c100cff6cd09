//! The emails' templates: one subject, an HTML body and a plain-text body per message kind, in the
//! recipient's language, framed with the shop's name, logo and address. Pure: the outbox
//! (`app::outbox`) gathers what a message needs into a [`Mail`] and sends what this renders.

use maud::{html, Markup, DOCTYPE};

use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::notify::Kind;

/// Who sends: the shop as its emails present it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    pub address: String,
    pub email: String,
    /// The shop's origin (`https://vestify.vn`): every link is absolute.
    pub origin: String,
    /// The logo's absolute URL.
    pub logo_url: String,
}

/// The receiving account of a bank transfer, as the order page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankDetails {
    pub bank_name: String,
    pub account_number: String,
    pub account_name: String,
    pub amount: Vnd,
    /// What the transfer's content must contain (`VS000123`).
    pub memo: String,
}

/// One line of an order as a mail lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailLine {
    pub name: String,
    pub quantity: i64,
    pub total: Vnd,
}

/// What an order's message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderMail {
    pub number: String,
    pub name: String,
    /// The order page with its access token.
    pub link: String,
    pub lines: Vec<MailLine>,
    pub total: Vnd,
    /// The payment provider's code (`cod`, `bank`, `stripe`…).
    pub provider: String,
    pub bank: Option<BankDetails>,
    /// The parcel, when shipped: carrier, tracking number and the carrier's tracking page.
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// The amount of a refund message.
    pub refund: Option<Vnd>,
}

/// A variant a shopper asked to hear about: what it is, its price now (and before, for a drop) and
/// the link that lands on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertMail {
    pub product: String,
    /// Size and colour, as the product page names them.
    pub variant: String,
    pub price: Vnd,
    /// The price the shopper saw when they subscribed (a price drop).
    pub was: Option<Vnd>,
    /// The product page with the variant selected.
    pub url: String,
}

/// The message to render.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "wasm32"), expect(clippy::large_enum_variant, reason = "one value per message rendered, never kept in bulk; on wasm32 the variants are close enough"))]
pub enum Mail {
    Order { kind: Kind, order: OrderMail },
    /// A one-time link (password reset, email verification).
    Link { kind: Kind, url: String },
    /// Back in stock, price drop.
    Alert { kind: Kind, alert: AlertMail },
    /// A manager's campaign: its subject and its body (limited markdown, `domain::campaign`) in the
    /// recipient's language.
    Campaign { subject: String, body: String },
}

/// A rendered email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

fn t(locale: Locale, vi: &'static str, en: &'static str) -> &'static str {
    match locale {
        Locale::Vi => vi,
        Locale::En => en,
    }
}

/// Subject, lead paragraph and the call to action's label.
fn words(kind: Kind, locale: Locale, number: &str) -> (String, &'static str, &'static str) {
    let l = locale;
    let (subject_vi, subject_en, lead, action) = match kind {
        Kind::OrderPlaced => ("Đã nhận đơn hàng", "We received your order", t(l, "Cảm ơn bạn đã đặt hàng. Chúng tôi đã nhận được đơn của bạn.", "Thank you for your order. We have received it."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderConfirmed => ("Đơn hàng đã được xác nhận", "Your order is confirmed", t(l, "Đơn hàng của bạn đã được xác nhận; bạn thanh toán khi nhận hàng.", "Your order is confirmed; you pay on delivery."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderPaid => ("Đã nhận thanh toán", "Payment received", t(l, "Chúng tôi đã nhận được thanh toán của bạn. Đơn hàng sẽ sớm được gửi đi.", "We have received your payment. Your order will ship soon."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderExpired => ("Đơn hàng đã hết hạn thanh toán", "Your order has expired", t(l, "Đơn hàng đã hết hạn vì chưa được thanh toán kịp thời; hàng đã được trả lại kho.", "Your order expired unpaid; its items went back on sale."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderCancelled => ("Đơn hàng đã bị huỷ", "Your order was cancelled", t(l, "Đơn hàng của bạn đã được huỷ.", "Your order was cancelled."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderShipped => ("Đơn hàng đang được giao", "Your order has shipped", t(l, "Đơn hàng của bạn đã được gửi đi.", "Your order is on its way."), t(l, "Theo dõi đơn hàng", "Track your order")),
        Kind::OrderDelivered => ("Đơn hàng đã giao thành công", "Your order was delivered", t(l, "Đơn hàng của bạn đã được giao. Cảm ơn bạn đã mua sắm!", "Your order was delivered. Thank you for shopping with us!"), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderReturned => ("Đơn hàng đã được hoàn về", "Your order came back to us", t(l, "Đơn hàng đã được hoàn về cửa hàng.", "Your parcel came back to the shop."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderRefunded | Kind::OrderPartiallyRefunded | Kind::RefundIssued => ("Đã hoàn tiền", "Refund issued", t(l, "Chúng tôi đã hoàn tiền cho đơn hàng của bạn.", "We have issued a refund for your order."), t(l, "Xem đơn hàng", "View your order")),
        Kind::OrderNeedsRefund => ("Đơn hàng sẽ được hoàn tiền", "Your payment will be refunded", t(l, "Thanh toán đến sau khi đơn đã hết hạn và hàng không còn; chúng tôi sẽ hoàn tiền cho bạn.", "Your payment arrived after the order expired and the items were gone; we will refund you."), t(l, "Xem đơn hàng", "View your order")),
        Kind::PasswordReset => ("Đặt lại mật khẩu", "Reset your password", t(l, "Bấm vào liên kết dưới đây để đặt mật khẩu mới. Liên kết có hiệu lực trong 1 giờ. Nếu bạn không yêu cầu, hãy bỏ qua email này.", "Follow the link below to choose a new password. It works for one hour. If you did not ask for it, ignore this email."), t(l, "Đặt mật khẩu mới", "Choose a new password")),
        Kind::ReviewRequest => ("Bạn thấy sản phẩm thế nào?", "How do you like your order?", t(l, "Cảm ơn bạn đã mua hàng. Hãy dành một phút đánh giá sản phẩm để giúp những người mua sau — liên kết có hiệu lực trong 30 ngày.", "Thank you for your order. A minute to review what you bought helps the next shopper — the link works for 30 days."), t(l, "Viết đánh giá", "Write a review")),
        Kind::BackInStock => ("Đã có hàng trở lại", "Back in stock", t(l, "Sản phẩm bạn chờ đã có hàng trở lại. Số lượng có hạn — hãy đặt sớm.", "The item you asked about is back in stock. Quantities are limited — order soon."), t(l, "Xem sản phẩm", "View the item")),
        Kind::PriceDrop => ("Sản phẩm bạn theo dõi đã giảm giá", "A price dropped", t(l, "Sản phẩm bạn theo dõi vừa giảm giá.", "An item you watch costs less now."), t(l, "Xem sản phẩm", "View the item")),
        Kind::NewsletterConfirm => ("Xác nhận đăng ký nhận bản tin", "Confirm your newsletter signup", t(l, "Bấm vào liên kết dưới đây để xác nhận bạn muốn nhận bản tin và ưu đãi qua email. Liên kết có hiệu lực trong 7 ngày. Nếu bạn không đăng ký, hãy bỏ qua email này — bạn sẽ không nhận thêm thư nào.", "Follow the link below to confirm you want our newsletter and offers by email. It works for seven days. If you did not sign up, ignore this email — you will get nothing more."), t(l, "Xác nhận đăng ký", "Confirm my signup")),
        Kind::CartReminder => ("Bạn còn sản phẩm trong giỏ hàng", "You left items in your cart", t(l, "Các sản phẩm bạn chọn vẫn đang chờ trong giỏ hàng. Số lượng có hạn — hoàn tất đơn hàng khi bạn sẵn sàng.", "The items you chose are still waiting in your cart. Quantities are limited — check out when you are ready."), t(l, "Xem giỏ hàng", "View your cart")),
        Kind::Campaign => ("Bản tin", "Newsletter", "", t(l, "Ghé cửa hàng", "Visit the shop")),
        Kind::VerifyEmail => ("Xác nhận địa chỉ email", "Confirm your email address", t(l, "Bấm vào liên kết dưới đây để xác nhận địa chỉ email của tài khoản. Liên kết có hiệu lực trong 7 ngày.", "Follow the link below to confirm your account's email address. It works for seven days."), t(l, "Xác nhận email", "Confirm my email")),
    };
    let subject = t(l, subject_vi, subject_en);
    let subject = if number.is_empty() { subject.to_string() } else { format!("{subject} — {number}") };
    (subject, lead, action)
}

/// A message's headline and lead sentence, for the short channels (a push notification, a ZNS
/// message): the email's subject without the shop's name, and its first paragraph.
pub fn headline(kind: Kind, locale: Locale, number: &str) -> (String, &'static str) {
    let (subject, lead, _) = words(kind, locale, number);
    (subject, lead)
}

/// Renders `mail` for `sender` in `locale`.
pub fn render(mail: &Mail, locale: Locale, sender: &Sender) -> Rendered {
    render_with(mail, locale, sender, None)
}

/// Renders marketing `mail` with the recipient's signed preferences link (unsubscribe, choices) in
/// its footer, in both parts.
pub fn render_marketing(mail: &Mail, locale: Locale, sender: &Sender, preferences_url: &str) -> Rendered {
    render_with(mail, locale, sender, Some(preferences_url))
}

fn render_with(mail: &Mail, locale: Locale, sender: &Sender, preferences: Option<&str>) -> Rendered {
    let l = locale;
    let (kind, number, link) = match mail {
        Mail::Order { kind, order } => (*kind, order.number.as_str(), order.link.as_str()),
        Mail::Link { kind, url } => (*kind, "", url.as_str()),
        Mail::Alert { kind, alert } => (*kind, "", alert.url.as_str()),
        Mail::Campaign { .. } => (Kind::Campaign, "", sender.origin.as_str()),
    };
    let (subject, lead, action) = words(kind, l, number);
    let subject = match mail {
        Mail::Campaign { subject, .. } => format!("{subject} · {}", sender.name),
        _ => format!("{subject} · {}", sender.name),
    };
    let mut text = if lead.is_empty() { Vec::new() } else { vec![lead.to_string(), String::new()] };
    let body: Markup = match mail {
        Mail::Link { .. } => html! {},
        Mail::Campaign { body, .. } => {
            let blocks = crate::domain::campaign::parse_body(body);
            text.push(crate::domain::campaign::plain_text(&blocks));
            campaign_body(&blocks)
        }
        Mail::Alert { alert, .. } => {
            text.push(format!("{} — {}", alert.product, alert.variant));
            match alert.was {
                Some(was) => text.push(format!("{}: {} ({} {})", t(l, "Giá", "Price"), alert.price.format(l), t(l, "trước đây", "was"), was.format(l))),
                None => text.push(format!("{}: {}", t(l, "Giá", "Price"), alert.price.format(l))),
            }
            html! {
                p { strong { (alert.product) } " — " (alert.variant) }
                p {
                    (t(l, "Giá", "Price")) ": " strong { (alert.price.format(l)) }
                    @if let Some(was) = alert.was { " " s { (was.format(l)) } }
                }
            }
        }
        Mail::Order { kind, order } => {
            let greet = format!("{} {},", t(l, "Xin chào", "Hello"), order.name);
            text.insert(0, greet.clone());
            text.push(format!("{} {}", t(l, "Đơn hàng", "Order"), order.number));
            for line in &order.lines {
                text.push(format!("- {} × {}: {}", line.name, line.quantity, line.total.format(l)));
            }
            text.push(format!("{}: {}", t(l, "Tổng cộng", "Total"), order.total.format(l)));
            if let Some(refund) = order.refund {
                text.push(format!("{}: {}", t(l, "Số tiền hoàn", "Refunded"), refund.format(l)));
            }
            let bank = order.bank.as_ref().filter(|_| *kind == Kind::OrderPlaced && order.provider == crate::domain::payments::bank::PROVIDER);
            if let Some(b) = bank {
                text.push(String::new());
                text.push(t(l, "Vui lòng chuyển khoản:", "Please pay by bank transfer:").to_string());
                text.push(format!("{}: {}", t(l, "Ngân hàng", "Bank"), b.bank_name));
                text.push(format!("{}: {}", t(l, "Số tài khoản", "Account number"), b.account_number));
                text.push(format!("{}: {}", t(l, "Chủ tài khoản", "Account holder"), b.account_name));
                text.push(format!("{}: {}", t(l, "Số tiền", "Amount"), b.amount.format(l)));
                text.push(format!("{}: {}", t(l, "Nội dung", "Transfer content"), b.memo));
            }
            let cod = *kind == Kind::OrderPlaced && order.provider == crate::domain::checkout::COD;
            if cod {
                text.push(t(l, "Bạn thanh toán khi nhận hàng.", "You pay on delivery.").to_string());
            }
            if let (Some(carrier), Some(tracking)) = (&order.carrier, &order.tracking_number) {
                text.push(format!("{}: {carrier} — {tracking}", t(l, "Đơn vị vận chuyển", "Carrier")));
                if let Some(url) = &order.tracking_url {
                    text.push(url.clone());
                }
            }
            html! {
                p { (greet) }
                table style="border-collapse:collapse;width:100%" {
                    caption style="text-align:left;font-weight:bold;padding:4px 0" { (t(l, "Đơn hàng", "Order")) " " (order.number) }
                    @for line in &order.lines {
                        tr { td style="padding:4px 0" { (line.name) " × " (line.quantity) } td style="text-align:right" { (line.total.format(l)) } }
                    }
                    tr { th style="text-align:left;padding:4px 0" { (t(l, "Tổng cộng", "Total")) } th style="text-align:right" { (order.total.format(l)) } }
                    @if let Some(refund) = order.refund {
                        tr { td { (t(l, "Số tiền hoàn", "Refunded")) } td style="text-align:right" { (refund.format(l)) } }
                    }
                }
                @if let Some(b) = bank {
                    h2 style="font-size:16px" { (t(l, "Vui lòng chuyển khoản", "Please pay by bank transfer")) }
                    dl {
                        dt { (t(l, "Ngân hàng", "Bank")) } dd { (b.bank_name) }
                        dt { (t(l, "Số tài khoản", "Account number")) } dd { (b.account_number) }
                        dt { (t(l, "Chủ tài khoản", "Account holder")) } dd { (b.account_name) }
                        dt { (t(l, "Số tiền", "Amount")) } dd { (b.amount.format(l)) }
                        dt { (t(l, "Nội dung", "Transfer content")) } dd { strong { (b.memo) } }
                    }
                }
                @if cod { p { (t(l, "Bạn thanh toán khi nhận hàng.", "You pay on delivery.")) } }
                @if let (Some(carrier), Some(tracking)) = (&order.carrier, &order.tracking_number) {
                    p {
                        (t(l, "Đơn vị vận chuyển", "Carrier")) ": " (carrier) " — " (tracking)
                        @if let Some(url) = &order.tracking_url { " · " a href=(url) { (t(l, "Tra cứu vận đơn", "Track the parcel")) } }
                    }
                }
            }
        }
    };
    text.push(String::new());
    text.push(format!("{action}: {link}"));
    text.push(String::new());
    text.push("—".to_string());
    text.push(sender.name.clone());
    text.push(sender.address.clone());
    text.push(sender.origin.clone());
    let preferences_label = t(l, "Huỷ đăng ký hoặc chọn email bạn muốn nhận", "Unsubscribe or choose the emails you get");
    if let Some(url) = preferences {
        text.push(String::new());
        text.push(format!("{preferences_label}: {url}"));
    }
    let html = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px" {
                p { a href=(sender.origin) { img src=(sender.logo_url) alt=(sender.name) height="40"; } }
                @if !lead.is_empty() { p { (lead) } }
                (body)
                p style="margin:24px 0" {
                    a href=(link) style="background:#1f4f46;color:#fff;padding:10px 16px;text-decoration:none;border-radius:4px" { (action) }
                }
                hr;
                p style="font-size:12px;color:#666" {
                    (sender.name) br; (sender.address) br;
                    a href=(sender.origin) { (sender.origin) }
                    @if !sender.email.is_empty() { " · " (sender.email) }
                }
                @if let Some(url) = preferences {
                    p style="font-size:12px;color:#666" { a href=(url) data-preferences { (preferences_label) } }
                }
            }
        }
    };
    Rendered { subject, html: html.into_string(), text: text.join("\n") }
}

/// A campaign's body as HTML: every piece of text escaped by maud, links only to http(s).
pub fn campaign_body(blocks: &[crate::domain::campaign::Block]) -> Markup {
    use crate::domain::campaign::{Block, Inline};
    let line = |inl: &[Inline]| {
        html! {
            @for piece in inl {
                @match piece {
                    Inline::Text(t) => (t),
                    Inline::Bold(t) => strong { (t) },
                    Inline::Link { text, url } => a href=(url) { (text) },
                }
            }
        }
    };
    html! {
        @for block in blocks {
            @match block {
                Block::Paragraph(lines) => p { @for (i, l) in lines.iter().enumerate() { @if i > 0 { br; } (line(l)) } },
                Block::List(items) => ul { @for item in items { li { (line(item)) } } },
            }
        }
    }
}

/// A made-up message of `kind` for the admin's preview: a bank-transfer order of two lines, shipped
/// with GHN where the kind says so, refunded in part for a refund.
pub fn sample(kind: Kind, origin: &str) -> Mail {
    if kind == Kind::Campaign {
        let body = format!("Bộ sưu tập **thu đông** đã về.\n\n- Áo gilê len\n- Gilê jean\n\n[Xem ngay]({origin}/c/gile)");
        return Mail::Campaign { subject: "Ưu đãi cuối tuần".into(), body };
    }
    if kind.is_alert() {
        let was = (kind == Kind::PriceDrop).then(|| Vnd::new(500_000));
        let alert = AlertMail { product: "Áo gilê len".into(), variant: "M · Xám".into(), price: Vnd::new(450_000), was, url: format!("{origin}/p/ao-gile-len?variant=GL-M-XAM") };
        return Mail::Alert { kind, alert };
    }
    if !kind.is_order() {
        return Mail::Link { kind, url: format!("{origin}/account/link/0123456789abcdef") };
    }
    let shipped = matches!(kind, Kind::OrderShipped | Kind::OrderDelivered);
    Mail::Order {
        kind,
        order: OrderMail {
            number: "VS-000123".into(),
            name: "Nguyễn Văn An".into(),
            link: format!("{origin}/orders/sample?t=sample"),
            lines: vec![MailLine { name: "Áo gilê len (M)".into(), quantity: 2, total: Vnd::new(900_000) }, MailLine { name: "Gilê jean (L)".into(), quantity: 1, total: Vnd::new(550_000) }],
            total: Vnd::new(1_450_000),
            provider: crate::domain::payments::bank::PROVIDER.into(),
            bank: Some(BankDetails { bank_name: "Vietcombank".into(), account_number: "0071000123456".into(), account_name: "CONG TY TNHH VESTIFY".into(), amount: Vnd::new(1_450_000), memo: "VS000123".into() }),
            carrier: shipped.then(|| "GHN".into()),
            tracking_number: shipped.then(|| "GHN123456".into()),
            tracking_url: shipped.then(|| "https://donhang.ghn.vn/?order_code=GHN123456".into()),
            refund: (kind == Kind::RefundIssued).then(|| Vnd::new(550_000)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Sender {
        Sender { name: "Vestify".into(), address: "1 Lê Lợi, TP. Hồ Chí Minh".into(), email: "hello@vestify.vn".into(), origin: "https://vestify.vn".into(), logo_url: "https://vestify.vn/static/img/logo.svg".into() }
    }

    fn order(provider: &str) -> OrderMail {
        OrderMail {
            number: "VS-000123".into(),
            name: "An <b>".into(),
            link: "https://vestify.vn/orders/o1?t=abc".into(),
            lines: vec![MailLine { name: "Gile len M".into(), quantity: 2, total: Vnd::new(900_000) }],
            total: Vnd::new(930_000),
            provider: provider.into(),
            bank: Some(BankDetails { bank_name: "Vietcombank".into(), account_number: "0123456789".into(), account_name: "CONG TY VESTIFY".into(), amount: Vnd::new(930_000), memo: "VS000123".into() }),
            carrier: None,
            tracking_number: None,
            tracking_url: None,
            refund: None,
        }
    }

    #[test]
    fn an_order_placed_by_bank_transfer_carries_the_link_and_the_payment_details_in_both_parts() {
        let r = render(&Mail::Order { kind: Kind::OrderPlaced, order: order("bank") }, Locale::Vi, &sender());
        assert_eq!(r.subject, "Đã nhận đơn hàng — VS-000123 · Vestify");
        for part in [&r.html, &r.text] {
            for needle in ["https://vestify.vn/orders/o1?t=abc", "0123456789", "VS000123", "930.000", "Vietcombank", "1 Lê Lợi"] {
                assert!(part.contains(needle), "{needle} in {part}");
            }
        }
        assert!(r.html.contains("An &lt;b&gt;"), "escaped");
        assert!(r.html.contains("https://vestify.vn/static/img/logo.svg"));
    }

    #[test]
    fn every_kind_renders_in_both_languages_with_distinct_subjects() {
        for kind in Kind::ALL {
            let mail = if kind.is_order() { Mail::Order { kind, order: order("stripe") } } else if kind.is_alert() { sample(kind, "https://vestify.vn") } else { Mail::Link { kind, url: "https://vestify.vn/x".into() } };
            let (vi, en) = (render(&mail, Locale::Vi, &sender()), render(&mail, Locale::En, &sender()));
            assert_ne!(vi.subject, en.subject, "{kind:?}");
            assert!(vi.html.contains("lang=\"vi\"") && en.html.contains("lang=\"en\""));
            assert!(vi.text.contains("https://vestify.vn/"), "{kind:?}");
        }
        let placed = render(&Mail::Order { kind: Kind::OrderPlaced, order: order("stripe") }, Locale::En, &sender());
        assert!(!placed.text.contains("0123456789"), "payment details only for a bank transfer");
    }

    #[test]
    fn a_campaign_body_is_escaped_and_links_only_to_http() {
        let mail = Mail::Campaign { subject: "<i>Sale</i>".into(), body: "<script>x</script> **<b>**\n\n[a](javascript:alert(1)) [b](https://x.vn/\"onclick=)".into() };
        let r = render(&mail, Locale::En, &sender());
        assert!(!r.html.contains("<script>x") && r.html.contains("&lt;script&gt;x&lt;/script&gt;") && r.html.contains("<strong>&lt;b&gt;</strong>"), "{}", r.html);
        assert!(!r.html.contains("javascript:alert(1)\"") && !r.html.contains("href=\"javascript"));
        assert!(r.html.contains(r#"href="https://x.vn/&quot;onclick=""#), "{}", r.html);
        assert!(r.html.contains("<title>&lt;i&gt;Sale&lt;/i&gt; · Vestify</title>"));
        assert!(r.text.starts_with("<script>x</script> <b>") && r.text.contains("Visit the shop: https://vestify.vn"), "{}", r.text);
    }

    #[test]
    fn a_shipped_order_names_its_carrier_and_tracking() {
        let mut o = order("cod");
        (o.carrier, o.tracking_number, o.tracking_url) = (Some("GHN".into()), Some("GHN123".into()), Some("https://donhang.ghn.vn/?order_code=GHN123".into()));
        let r = render(&Mail::Order { kind: Kind::OrderShipped, order: o }, Locale::En, &sender());
        assert!(r.text.contains("GHN — GHN123") && r.html.contains("order_code=GHN123"));
        assert!(r.subject.starts_with("Your order has shipped"));
    }

    #[test]
    fn the_admin_preview_samples_render_every_kind_with_the_details_it_names() {
        for kind in Kind::ALL {
            let r = render(&sample(kind, "https://vestify.vn"), Locale::En, &sender());
            assert!(r.text.contains("https://vestify.vn/"), "{kind:?}");
        }
        let placed = render(&sample(Kind::OrderPlaced, "https://vestify.vn"), Locale::Vi, &sender());
        assert!(placed.text.contains("VS000123") && placed.text.contains("0071000123456"));
        let campaign = render(&sample(Kind::Campaign, "https://vestify.vn"), Locale::Vi, &sender());
        assert_eq!(campaign.subject, "Ưu đãi cuối tuần · Vestify");
        assert!(campaign.html.contains("<strong>thu đông</strong>") && campaign.html.contains("<li>Gilê jean</li>") && campaign.html.contains(r#"<a href="https://vestify.vn/c/gile">Xem ngay</a>"#));
        assert!(render(&sample(Kind::OrderShipped, "o"), Locale::Vi, &sender()).text.contains("GHN123456"));
        assert!(render(&sample(Kind::RefundIssued, "o"), Locale::Vi, &sender()).text.contains("550.000"));
    }
}
