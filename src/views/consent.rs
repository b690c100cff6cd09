//! The consent banner for the shop's tags (Google Tag Manager, the Meta Pixel) and the page's
//! tracking data (`domain::ad_tags`, docs/TRACKING.md).
//!
//! Pages are cached at the edge and shared by every visitor, so the banner is the same for all: it
//! is rendered `hidden` and `public/js/app.js` shows it when the browser has no stored choice.
//! Without JavaScript it never shows and no tag loads. Without a configured tag there is nothing to
//! ask about, and neither the banner nor its footer button is rendered.

use std::cell::RefCell;

use maud::{html, Markup, PreEscaped};
use serde_json::{json, Value};

use super::PageCtx;
use crate::domain::ad_tags::Tags;
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;

thread_local! {
    /// The tags of this isolate's configuration: the same for every request an isolate serves
    /// (changing a var deploys a new version), set by the router from `platform::config` before
    /// a page is rendered, and by host tests on their own thread.
    static TAGS: RefCell<Tags> = RefCell::new(Tags::default());
}

/// Sets the tags the pages of this isolate carry.
pub fn set_tags(tags: &Tags) {
    TAGS.with(|t| {
        if *t.borrow() != *tags {
            *t.borrow_mut() = tags.clone();
        }
    });
}

fn tags() -> Tags {
    TAGS.with(|t| t.borrow().clone())
}

/// The banner: a labelled region with "Reject all" and "Accept all" side by side, equal in look,
/// and "Customise", which opens the three categories. Rendered hidden, shown by the script.
pub fn banner(ctx: &PageCtx) -> Markup {
    let tags = tags();
    if !tags.any() {
        return html! {};
    }
    let l = ctx.locale;
    let privacy = ctx.href(&crate::domain::shop_info::InfoPage::Privacy.path());
    html! {
        section #consent.consent aria-labelledby="consent-title" hidden
            data-gtm=[tags.gtm_id.as_deref()] data-gtm-base=(tags.gtm_base)
            data-pixel=[tags.pixel_id.as_deref()] data-pixel-base=(tags.pixel_base) {
            h2 #consent-title tabindex="-1" { (l.pick("Cookie và quyền riêng tư", "Cookies and your privacy")) }
            p {
                (l.pick(
                    "Chúng tôi chỉ dùng cookie phân tích và quảng cáo khi bạn đồng ý. Bạn có thể đổi lựa chọn bất cứ lúc nào ở chân trang. ",
                    "We use analytics and advertising cookies only if you agree. You can change your choice at any time from the page footer. ",
                ))
                a href=(privacy) { (l.pick("Chính sách bảo mật", "Privacy policy")) }
            }
            div.consent-actions {
                button.button type="button" data-consent="reject" { (l.pick("Từ chối tất cả", "Reject all")) }
                button.button type="button" data-consent="accept" { (l.pick("Chấp nhận tất cả", "Accept all")) }
                button.button.secondary type="button" data-consent="customise" aria-expanded="false" aria-controls="consent-choices" {
                    (l.pick("Tùy chỉnh", "Customise"))
                }
            }
            form #consent-choices.consent-choices hidden {
                fieldset {
                    legend { (l.pick("Chọn loại cookie bạn đồng ý", "Choose the cookies you agree to")) }
                    @for (name, label, hint) in categories(l) {
                        div.consent-category {
                            input type="checkbox" id=(format!("consent-{name}")) name=(name) aria-describedby=(format!("consent-{name}-hint"));
                            label for=(format!("consent-{name}")) { (label) }
                            p.hint id=(format!("consent-{name}-hint")) { (hint) }
                        }
                    }
                }
                button.button type="submit" { (l.pick("Lưu lựa chọn", "Save my choices")) }
            }
        }
    }
}

/// The three categories: the form field's name, its label and what it allows.
fn categories(l: Locale) -> [(&'static str, &'static str, &'static str); 3] {
    [
        ("analytics", l.pick("Phân tích", "Analytics"), l.pick("Đo lượt xem và cách trang được dùng (Google Analytics qua Google Tag Manager).", "Counts visits and how the shop is used (Google Analytics through Google Tag Manager).")),
        ("advertising", l.pick("Quảng cáo", "Advertising"), l.pick("Đo hiệu quả quảng cáo trên Facebook, Instagram và Google (Meta Pixel, Conversions API).", "Measures our ads on Facebook, Instagram and Google (Meta Pixel, Conversions API).")),
        ("personalisation", l.pick("Cá nhân hóa", "Personalisation"), l.pick("Quảng cáo phù hợp với sở thích của bạn.", "Ads chosen for your interests.")),
    ]
}

/// The footer's button that opens the banner again (hidden until the script shows it).
pub fn settings_button(ctx: &PageCtx) -> Markup {
    if !tags().any() {
        return html! {};
    }
    html! {
        li { button.link type="button" data-consent-open hidden aria-controls="consent" { (ctx.locale.pick("Cài đặt cookie", "Cookie settings")) } }
    }
}

/// One item of an event's `items` (GA4's item, the Pixel's content).
pub fn item(id: &str, name: &str, price: Vnd, quantity: i64) -> Value {
    json!({ "item_id": id, "item_name": name, "price": price.minor(), "quantity": quantity })
}

/// An e-commerce event for the data layer (`view_item`, `begin_checkout`, `purchase`): value and
/// currency VND, its items, and extra fields (`transaction_id`, `event_id`).
pub fn event(name: &str, value: Vnd, items: Vec<Value>, extra: &[(&str, &str)]) -> Value {
    let mut e = json!({ "event": name, "ecommerce": { "currency": "VND", "value": value.minor(), "items": items } });
    for (k, v) in extra {
        e["ecommerce"][*k] = json!(v);
    }
    e
}

/// The product page's `view_item`: the selected variant (its SKU is the feeds' and the Pixel's id),
/// else the product by its group id at its lowest price.
pub fn view_item(p: &crate::domain::catalog::Product, variants: &[crate::domain::catalog::Variant], selected: Option<&crate::domain::catalog::Variant>, l: Locale) -> Option<Value> {
    let (id, price) = match selected {
        Some(v) => (v.sku.clone(), v.price),
        None => (p.id.to_string(), variants.iter().filter(|v| v.is_active()).map(|v| v.price).min()?),
    };
    Some(event("view_item", price, vec![item(&id, p.name(l), price, 1)], &[]))
}

/// The checkout page's `begin_checkout`: the cart's lines at the subtotal less discounts.
pub fn begin_checkout(cart: &crate::app::cart::CartView, l: Locale) -> Value {
    let items = cart.lines.iter().map(|line| item(&line.sku, l.pick(&line.name_vi, &line.name_en), line.unit_price, line.quantity)).collect();
    let value = Vnd::saturating_sum(cart.lines.iter().map(|line| line.line_total.saturating_sub(line.discount)));
    event("begin_checkout", value, items, &[])
}

/// A paid order's `purchase` (`None` before it is paid): its total, the order number as GA4's
/// `transaction_id`, and the event id the Conversions API sends too (`ad_tags::purchase_event_id`).
pub fn purchase(detail: &crate::app::orders::OrderDetail, l: Locale) -> Option<Value> {
    let o = &detail.order;
    o.paid_at?;
    let items = detail.lines.iter().map(|line| item(&line.sku, l.pick(&line.name_vi, &line.name_en), line.unit_price, line.quantity)).collect();
    Some(event("purchase", o.total, items, &[("transaction_id", &o.number), ("event_id", &crate::domain::ad_tags::purchase_event_id(&o.id))]))
}

/// The page's events as inert JSON (`<script type="application/json">`, never run), for the
/// script to push once the shopper's choice is known. Escaped like JSON-LD.
pub fn events_script(events: &[Value]) -> Markup {
    if events.is_empty() || !tags().any() {
        return html! {};
    }
    html! { script #tag-events type="application/json" { (PreEscaped(super::seo::json_ld(&json!({ "events": events })))) } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shop_info::ShopInfo;
    use crate::views::layout::{page, Head};

    fn ctx(locale: Locale) -> PageCtx {
        PageCtx { locale, path: "/".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: vec![], shop: ShopInfo::default() }
    }

    #[test]
    fn without_a_tag_there_is_no_banner_no_button_and_no_event_data() {
        set_tags(&Tags::default());
        let head = Head { events: vec![event("view_item", Vnd::new(1), vec![], &[])], ..Head::default() };
        let html = page(&ctx(Locale::Vi), head, html! {}).into_string();
        assert!(!html.contains("consent") && !html.contains("tag-events"), "{html}");
    }

    #[test]
    fn the_banner_is_hidden_in_the_shared_page_and_offers_reject_as_plainly_as_accept() {
        set_tags(&Tags::new(Some("GTM-ABC123"), Some("1234567890"), None, None));
        for (locale, reject, accept, customise) in [(Locale::Vi, "Từ chối tất cả", "Chấp nhận tất cả", "Tùy chỉnh"), (Locale::En, "Reject all", "Accept all", "Customise")] {
            let html = page(&ctx(locale), Head::default(), html! {}).into_string();
            let start = html.find("<section class=\"consent\" id=\"consent\"").expect("banner");
            let banner = &html[start..start + html[start..].find("</section>").unwrap()];
            assert!(banner.contains(r#"aria-labelledby="consent-title" hidden"#), "{banner}");
            assert!(banner.contains(r#"data-gtm="GTM-ABC123""#) && banner.contains(r#"data-pixel="1234567890""#));
            // The same look for both answers: one class, side by side, reject first.
            let r = banner.find(&format!(r#"<button class="button" type="button" data-consent="reject">{reject}</button>"#)).expect("reject");
            let a = banner.find(&format!(r#"<button class="button" type="button" data-consent="accept">{accept}</button>"#)).expect("accept");
            assert!(r < a);
            assert!(banner.contains(customise) && banner.contains(r#"name="analytics""#) && banner.contains(r#"name="advertising""#) && banner.contains(r#"name="personalisation""#));
            // No box is ticked in advance.
            assert!(!banner.contains("checked"));
            // Before the header, so a keyboard reaches it early; the footer can reopen it.
            assert!(start < html.find("<header").unwrap());
            assert!(html[html.find("<footer").unwrap()..].contains("data-consent-open"));
            // No tag script in the page itself: the script loads them after consent.
            assert!(!html.contains("gtm.js") && !html.contains("fbevents"));
        }
        set_tags(&Tags::default());
    }

    #[test]
    fn a_paid_order_s_purchase_carries_the_conversions_api_s_event_id_and_an_unpaid_one_none() {
        let mut detail = crate::views::invoice::tests::sample_order();
        assert!(detail.order.paid_at.is_some());
        let e = purchase(&detail, Locale::Vi).expect("paid");
        assert_eq!(e["event"], "purchase");
        assert_eq!(e["ecommerce"]["value"], detail.order.total.minor());
        assert_eq!(e["ecommerce"]["currency"], "VND");
        assert_eq!(e["ecommerce"]["transaction_id"], detail.order.number.as_str());
        assert_eq!(e["ecommerce"]["event_id"], crate::domain::ad_tags::purchase_event_id(&detail.order.id));
        assert_eq!(e["ecommerce"]["items"].as_array().map(Vec::len), Some(detail.lines.len()));
        detail.order.paid_at = None;
        assert_eq!(purchase(&detail, Locale::Vi), None, "nothing to count before the payment");
    }

    #[test]
    fn events_are_inert_json_with_value_and_currency() {
        set_tags(&Tags::new(Some("GTM-ABC123"), None, None, None));
        let e = event("purchase", Vnd::new(590_000), vec![item("VF-1-M", "Áo </script>", Vnd::new(590_000), 1)], &[("transaction_id", "VF-1"), ("event_id", "purchase-o1")]);
        assert_eq!(e["ecommerce"]["currency"], "VND");
        assert_eq!(e["ecommerce"]["value"], 590_000);
        assert_eq!(e["ecommerce"]["event_id"], "purchase-o1");
        let html = events_script(&[e]).into_string();
        assert!(html.starts_with(r#"<script id="tag-events" type="application/json">"#) && !html.contains("</script>\"") && html.matches("</script>").count() == 1, "{html}");
        set_tags(&Tags::default());
    }
}
