//! The cart page: lines with image, variant, price, quantity controls, subtotal, the hold-time
//! notice, and "only N left" when a change could not be covered. Plain forms, no JS needed.

use crate::app::recs::CartRecs;
use maud::{html, Markup};

use super::layout::{page, Head};
use super::shop_i18n::shop_t;
use super::promotions::{self, CouponProblem};
use super::{paths, PageCtx};
use crate::domain::promotions::Class;
use crate::app::cart::{CartLineView, CartView, Notice};
use crate::assets;
use crate::domain::cart::MAX_PER_VARIANT;
use crate::domain::money::Vnd;
use crate::domain::time::local_time;

/// A refusal to show above the cart, from the redirect after a form post.
pub enum Flash {
    Insufficient { available: i64 },
    QuantityLimit,
    Unavailable,
    /// A bundle's "add all" added nothing: the sentence says why (the item that could not be held,
    /// or the bundle no longer on offer).
    Bundle(String),
}

pub fn line_name(ctx: &PageCtx, line: &CartLineView) -> String {
    let color = match ctx.locale {
        crate::domain::locale::Locale::Vi => line.color_vi.as_deref(),
        crate::domain::locale::Locale::En => line.color_en.as_deref(),
    }
    .unwrap_or(&line.color);
    format!("{} — {} / {}", ctx.locale.pick(&line.name_vi, &line.name_en), color, line.size)
}

fn notice_text(ctx: &PageCtx, cart: &CartView, notice: &Notice) -> String {
    let s = shop_t(ctx.locale);
    let name = |id: i64| cart.lines.iter().find(|l| l.variant_id == id).map_or_else(|| format!("#{id}"), |l| line_name(ctx, l));
    match notice {
        Notice::InsufficientStock { available, .. } => (s.insufficient)(*available),
        Notice::Reduced { variant_id, from, to } => (s.reduced)(&name(*variant_id), *from, *to),
        Notice::Removed { variant_id } => (s.removed)(&name(*variant_id)),
    }
}

pub fn cart_page(ctx: &PageCtx, cart: Option<&CartView>, flash: Option<Flash>) -> Markup {
    cart_page_full(ctx, cart, flash, None, None, None)
}

/// The cart page with its recommendations: complements, and what closes the free-shipping gap.
pub fn cart_page_recommended(ctx: &PageCtx, cart: Option<&CartView>, flash: Option<Flash>, recs: &CartRecs) -> Markup {
    cart_page_full(ctx, cart, flash, None, None, Some(recs))
}

/// The cart page after a coupon attempt: `tried` is the code typed, `problem` a form-level error.
pub fn cart_page_with_coupon(ctx: &PageCtx, cart: Option<&CartView>, flash: Option<Flash>, tried: Option<&str>, problem: Option<&CouponProblem>) -> Markup {
    cart_page_full(ctx, cart, flash, tried, problem, None)
}

/// The cart's recommendations: "add X ₫ more for free shipping" with products that alone close the
/// gap, then complements of what is in the cart.
fn cart_recs(ctx: &PageCtx, recs: &CartRecs) -> Markup {
    html! {
        @if !recs.fillers.is_empty() {
            section.related.free-shipping-fillers aria-labelledby="fillers-title" data-gap=(recs.gap.minor()) {
                h2 #fillers-title {
                    @if ctx.locale == crate::domain::locale::Locale::En {
                        "Add " (recs.gap.format(ctx.locale)) " more for free shipping"
                    } @else {
                        "Mua thêm " (recs.gap.format(ctx.locale)) " để được miễn phí giao hàng"
                    }
                }
                (crate::views::components::card_grid(ctx, &recs.fillers))
            }
        }
        @if !recs.complements.is_empty() {
            section.related.cart-complements aria-labelledby="complements-title" {
                h2 #complements-title { (ctx.locale.pick("Thường được mua cùng", "Frequently bought together")) }
                (crate::views::components::card_grid(ctx, &recs.complements))
            }
        }
    }
}

/// One line of the cart's table: the product, its price, the quantity forms and the line's total.
fn line_row(ctx: &PageCtx, cart: &CartView, line: &CartLineView) -> Markup {
    let t = ctx.t();
    let s = shop_t(ctx.locale);
    let money = |n: Vnd| n.format(ctx.locale);
    html! {
        tr data-line=(line.line_id) data-sku=(line.sku) {
            td.line-product {
                @if let Some(url) = &line.image_url {
                    img src=(assets::url(url)) alt="" width="64" height="64" loading="lazy";
                }
                span.line-name {
                    a href=(format!("{}?variant={}", ctx.href(&paths::product(&line.slug)), line.sku)) { (line_name(ctx, line)) }
                    @if line.held < line.quantity { span.stock.low { (s.not_held) } }
                    (promotions::line_savings(ctx, cart, line))
                }
            }
            td.line-price data-label=(s.unit_price) { (money(line.unit_price)) }
            td.line-qty {
                form.qty-form method="post" action=(ctx.href(&format!("{}/{}", paths::CART_ITEMS, line.line_id))) {
                    (crate::views::security::csrf_field())
                    label.visually-hidden for=(format!("qty-{}", line.line_id)) { (t.quantity) }
                    input id=(format!("qty-{}", line.line_id)) type="number" name="quantity" value=(line.quantity)
                        min="0" max=(MAX_PER_VARIANT) inputmode="numeric" required;
                    button type="submit" { (s.update) }
                }
                form.remove-form method="post" action=(ctx.href(&format!("{}/{}", paths::CART_ITEMS, line.line_id))) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="quantity" value="0";
                    button.link type="submit" { (s.remove) }
                }
            }
            td.line-total data-label=(s.line_total) {
                @if line.discount.is_positive() {
                    @let net = line.line_total.saturating_sub(line.discount);
                    del { (money(line.line_total)) } " " ins data-line-net=(net.minor()) { (money(net)) }
                } @else { (money(line.line_total)) }
            }
        }
    }
}

fn cart_page_full(ctx: &PageCtx, cart: Option<&CartView>, flash: Option<Flash>, tried: Option<&str>, problem: Option<&CouponProblem>, recs: Option<&CartRecs>) -> Markup {
    let t = ctx.t();
    let s = shop_t(ctx.locale);
    let head = Head { title: s.cart_title.to_string(), description: s.cart_title.to_string(), noindex: true, ..Head::default() };
    let money = |n: Vnd| n.format(ctx.locale);
    let main = html! {
        h1 { (s.cart_title) }
        @if let Some(flash) = &flash {
            p.notice role="alert" data-notice="flash" {
                @match flash {
                    Flash::Insufficient { available } => { ((s.insufficient)(*available)) }
                    Flash::QuantityLimit => { (s.quantity_limit) }
                    Flash::Unavailable => { (s.unavailable) }
                    Flash::Bundle(sentence) => { (sentence) }
                }
            }
        }
        @match cart.filter(|c| !c.lines.is_empty()) {
            None => {
                p.empty-cart { (s.cart_empty) }
                p { a.button href=(ctx.href("/")) { (s.continue_shopping) } }
            }
            Some(cart) => {
                @for notice in &cart.notices {
                    p.notice role="alert" data-notice="cart" { (notice_text(ctx, cart, notice)) }
                }
                @if let Some(until) = cart.hold_expires_at {
                    p.hold-notice data-hold-expires=(until) { ((s.hold_notice)(&local_time(until, ctx.locale))) }
                }
                table.cart-lines {
                    thead { tr { th scope="col" { (s.product) } th scope="col" { (s.unit_price) } th scope="col" { (t.quantity) } th scope="col" { (s.line_total) } } }
                    @let bundles = super::bundles::groups(&cart.discounts.applied, cart.lines.len(), |i, a| cart.lines.get(i).is_some_and(|l| a.lines.contains(&l.variant_id)));
                    @let grouped: Vec<usize> = bundles.iter().flat_map(|(_, m)| m.iter().copied()).collect();
                    @for (a, members) in &bundles {
                        tbody.bundle-group data-bundle=(a.promotion_id) {
                            (super::bundles::group_head(ctx, &a.name_vi, &a.name_en, Some(&a.benefit), a.amount, 3))
                            @for i in members { @if let Some(line) = cart.lines.get(*i) { (line_row(ctx, cart, line)) } }
                        }
                    }
                    tbody {
                        @for line in cart.lines.iter().enumerate().filter(|(i, _)| !grouped.contains(i)).map(|(_, l)| l) {
                            (line_row(ctx, cart, line))
                        }
                    }
                    tfoot {
                        tr { th scope="row" colspan="3" { (s.subtotal) } td.money data-subtotal=(cart.subtotal.minor()) { (money(cart.subtotal)) } }
                        @let items: Vec<_> = cart.discounts.applied.iter().filter(|a| a.class != Class::Shipping).cloned().collect();
                        (promotions::discount_rows(ctx, &items, 3))
                        @if cart.discounts.items_discount.is_positive() {
                            tr.items-total { th scope="row" colspan="3" { (s.total) } td.money data-items-total=(cart.discounts.items_total.minor()) { (money(cart.discounts.items_total)) } }
                        }
                    }
                }
                @for a in cart.discounts.applied.iter().filter(|a| a.class == Class::Shipping) {
                    p.shipping-promo data-promotion=(a.promotion_id) { (ctx.locale.pick(&a.name_vi, &a.name_en)) ": " (promotions::benefit_text(ctx, &a.benefit)) }
                }
                (promotions::coupon_box(ctx, cart, "cart", tried, problem))
                p.cart-actions {
                    a href=(ctx.href("/")) { (s.continue_shopping) }
                    " "
                    a.button href=(ctx.href("/checkout")) { (s.checkout) }
                }
                @if let Some(recs) = recs { (cart_recs(ctx, recs)) }
            }
        }
        (super::wishlist::recent_slot(ctx, None))
    };
    page(ctx, head, main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::ProductCard;
    use crate::domain::locale::Locale;

    fn card(id: i64, price: i64) -> ProductCard {
        ProductCard {
            id,
            slug: format!("p-{id}"),
            name_vi: format!("Gile {id}"),
            name_en: format!("Vest {id}"),
            price: Vnd::new(price),
            compare_at_price: None,
            available: 3,
            image_url: None,
            image_alt_vi: None,
            image_alt_en: None,
            image_width: 0,
            image_sizes: String::new(),
            created_at: String::new(),
            variant: None,
            rating: None,
        }
    }

    #[test]
    fn the_cart_offers_what_closes_the_free_shipping_gap_then_complements() {
        let recs = CartRecs { complements: vec![card(1, 300_000), card(2, 90_000)], gap: Vnd::new(150_000), fillers: vec![card(1, 300_000)] };
        for locale in [Locale::Vi, Locale::En] {
            let ctx = PageCtx { locale, path: "/cart".into(), query: String::new(), origin: "https://vestify.test".into(), categories: Vec::new(), shop: Default::default() };
            let html = cart_recs(&ctx, &recs).into_string();
            let gap = Vnd::new(150_000).format(locale);
            assert!(html.contains(&gap), "{html}");
            assert!(html.contains("data-gap=\"150000\"") && html.contains("/p/p-1") && html.contains("/p/p-2"));
            assert!(html.find("fillers-title") < html.find("complements-title"), "the gap first");
        }
        let none = CartRecs::default();
        let ctx = PageCtx { locale: Locale::Vi, path: "/cart".into(), query: String::new(), origin: "https://vestify.test".into(), categories: Vec::new(), shop: Default::default() };
        assert!(cart_recs(&ctx, &none).into_string().is_empty(), "nothing to offer: no section");
    }
}
