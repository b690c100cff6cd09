//! Bundles as shoppers see them: the product page's offer ("Mua kèm giảm 10%": the items with
//! thumbnails, a variant picker for each, the set's price before and after, one "add all" button),
//! the cart's and the order's lines grouped under the bundle that discounted them, and the
//! sentence naming an item that was sold out when the shopper added the bundle.

use maud::{html, Markup};

use super::promotions::benefit_text;
use super::{paths, PageCtx};
use crate::app::bundles::{Offer, OfferRow};
use crate::app::cart::SoldOutItem;
use crate::assets;
use crate::domain::promotions::{Applied, Benefit};

/// Where the product page's "add all" posts: `bundle_id` and one `variant_ids` per item.
pub const CART_BUNDLES: &str = "/cart/bundles";

fn variant_label(ctx: &PageCtx, v: &OfferRow) -> String {
    let color = ctx.locale.pick(v.color_vi.as_deref().unwrap_or(&v.color), v.color_en.as_deref().unwrap_or(&v.color));
    let mut label = format!("{} / {} — {}", color, v.size, v.price.format(ctx.locale));
    if v.available <= 0 {
        label.push_str(ctx.locale.pick(" (hết hàng)", " (sold out)"));
    }
    label
}

/// The live bundles a product belongs to, each with its items and one "add all" button. Part of
/// the cached product page: it changes with a new catalog version (a bundle's edit) or when a
/// bundle starts or ends (the promotion schedule in the cache key).
pub fn offers(ctx: &PageCtx, offers: &[Offer]) -> Markup {
    html! {
        @for offer in offers {
            @let id = offer.row.id;
            @let picks = offer.default_picks();
            @let (before, after) = offer.totals(&picks);
            @let rule = offer.row.promotion().map(|p| p.benefit);
            @let percent = match &rule { Some(Benefit::BundlePercent { percent, .. }) => Some(*percent), _ => None };
            @let set_price = match &rule { Some(Benefit::BundlePrice { price, .. }) => Some(price.minor()), _ => None };
            section.bundle-offer aria-labelledby=(format!("bundle-{id}")) data-bundle=(id) data-bundle-percent=[percent] data-bundle-price=[set_price] data-locale=(ctx.locale.code()) {
                h2 #(format!("bundle-{id}")) { (ctx.locale.pick(&offer.row.name_vi, &offer.row.name_en)) }
                @if let Some(p) = offer.row.promotion() { p.bundle-benefit { (benefit_text(ctx, &p.benefit)) } }
                form.bundle-form method="post" action=(ctx.href(CART_BUNDLES)) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="bundle_id" value=(id);
                    ol.bundle-items {
                        @for (item, pick) in offer.items.iter().zip(&picks) {
                            li.bundle-item data-product=(item.product_id) {
                                @if let Some(url) = &item.image_url {
                                    img src=(assets::url(url)) alt="" width="72" height="72" loading="lazy" decoding="async";
                                }
                                a href=(ctx.href(&paths::product(&item.slug))) { (ctx.locale.pick(&item.name_vi, &item.name_en)) }
                                label {
                                    span.visually-hidden { (ctx.locale.pick("Chọn màu và cỡ cho ", "Colour and size for ")) (ctx.locale.pick(&item.name_vi, &item.name_en)) }
                                    select name="variant_ids" required {
                                        @for v in &item.variants {
                                            option value=(v.variant_id) data-price=(v.price.minor()) selected[v.variant_id == pick.variant_id] disabled[v.available <= 0] { (variant_label(ctx, v)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p.bundle-total {
                        (ctx.locale.pick("Cả bộ: ", "The set: "))
                        @if after < before { del data-bundle-before=(before.minor()) { (before.format(ctx.locale)) } " " }
                        strong data-bundle-after=(after.minor()) { (after.format(ctx.locale)) }
                        @if after < before { " " span.bundle-saving { (ctx.locale.pick("Tiết kiệm ", "You save ")) (before.saturating_sub(after).format(ctx.locale)) } }
                    }
                    button type="submit" { (ctx.locale.pick("Thêm cả bộ vào giỏ", "Add all to cart")) }
                }
            }
        }
    }
}

/// "Áo gile X (Đen / M) vừa hết hàng…": why a bundle's "add all" added nothing.
pub fn sold_out_text(ctx: &PageCtx, item: &SoldOutItem) -> String {
    let color = ctx.locale.pick(item.color_vi.as_deref().unwrap_or_default(), item.color_en.as_deref().unwrap_or_default());
    let what = format!("{} ({}{}{})", ctx.locale.pick(&item.name_vi, &item.name_en), color, if color.is_empty() { "" } else { " / " }, item.size);
    if item.available > 0 {
        ctx.locale.pick(
            &format!("{what} chỉ còn {} chiếc, không đủ cho cả bộ: chưa thêm sản phẩm nào của combo, giỏ hàng không thay đổi.", item.available),
            &format!("Only {} of {what} left, not enough for the set: nothing from the bundle was added and your cart is unchanged.", item.available),
        )
        .to_string()
    } else {
        ctx.locale
            .pick(
                &format!("{what} đã hết hàng: chưa thêm sản phẩm nào của combo, giỏ hàng không thay đổi."),
                &format!("{what} is sold out: nothing from the bundle was added and your cart is unchanged."),
            )
            .to_string()
    }
}

/// The bundles that applied, with the positions (in `lines`' order) of the lines they discounted;
/// a line discounted by two bundles goes with the first. `line_of(i)` is the i-th line's variant id
/// and whether it carries a share of `applied`.
pub fn groups(applied: &[Applied], count: usize, in_bundle: impl Fn(usize, &Applied) -> bool) -> Vec<(&Applied, Vec<usize>)> {
    let mut taken = vec![false; count];
    let mut out = Vec::new();
    for a in applied.iter().filter(|a| a.benefit.bundle_products().is_some()) {
        let members: Vec<usize> = (0..count).filter(|i| !taken[*i] && in_bundle(*i, a)).collect();
        if members.is_empty() {
            continue;
        }
        for i in &members {
            taken[*i] = true;
        }
        out.push((a, members));
    }
    out
}

/// The order's bundles from its snapshot (the redemption keeps the bundle's name and rule), each
/// with the positions of the lines of its products that carry a discount; a line goes with the
/// first bundle that claims it.
pub fn order_groups<'a>(redemptions: &'a [crate::app::promotions::RedemptionRow], lines: &[crate::app::orders::OrderLine]) -> Vec<(&'a crate::app::promotions::RedemptionRow, Benefit, Vec<usize>)> {
    let mut taken = vec![false; lines.len()];
    let mut out = Vec::new();
    for r in redemptions {
        let Some(benefit) = serde_json::from_str::<Benefit>(&r.benefit).ok().filter(|b| b.bundle_products().is_some()) else { continue };
        let products = benefit.bundle_products().unwrap_or_default();
        let members: Vec<usize> = lines.iter().enumerate().filter(|(i, l)| !taken[*i] && l.discount.is_positive() && products.contains(&l.product_id)).map(|(i, _)| i).collect();
        if members.is_empty() {
            continue;
        }
        for i in &members {
            taken[*i] = true;
        }
        out.push((r, benefit, members));
    }
    out
}

/// A page context with nothing but the language, for the words of a bundle outside the shop's pages
/// (the admin's order page, the invoice).
pub fn words_ctx(locale: crate::domain::locale::Locale) -> PageCtx {
    PageCtx { locale, path: String::new(), query: String::new(), origin: String::new(), categories: Vec::new(), shop: Default::default() }
}

/// "Combo: Mua kèm giảm 10% — Mua kèm 2 sản phẩm giảm 10% · tiết kiệm 54.000 ₫": a bundle's group
/// of lines named where the saving cannot stand in a money column (the invoice).
pub fn group_label(ctx: &PageCtx, name_vi: &str, name_en: &str, benefit: &Benefit, saving: crate::domain::money::Vnd) -> String {
    format!(
        "{}{} — {} · {}{}",
        ctx.locale.pick("Combo: ", "Bundle: "),
        ctx.locale.pick(name_vi, name_en),
        benefit_text(ctx, benefit),
        ctx.locale.pick("tiết kiệm ", "you save "),
        saving.format(ctx.locale)
    )
}

/// The heading row of a bundle's group of lines (cart and order tables).
pub fn group_head(ctx: &PageCtx, name_vi: &str, name_en: &str, benefit: Option<&Benefit>, amount: crate::domain::money::Vnd, cols: u8) -> Markup {
    html! {
        tr.bundle-head {
            th scope="rowgroup" colspan=(cols) {
                (ctx.locale.pick("Combo: ", "Bundle: ")) strong { (ctx.locale.pick(name_vi, name_en)) }
                @if let Some(b) = benefit { " — " (benefit_text(ctx, b)) }
            }
            td.money data-bundle-discount=(amount.minor()) { "−" (amount.format(ctx.locale)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::locale::Locale;
    use crate::domain::money::Vnd;
    use crate::domain::promotions::Class;

    fn applied(id: i64, benefit: Benefit, lines: Vec<i64>) -> Applied {
        Applied { promotion_id: id, code: None, name_vi: format!("Combo {id}"), name_en: format!("Bundle {id}"), class: Class::Product, benefit, amount: Vnd::new(10), lines }
    }

    #[test]
    fn lines_go_with_the_first_bundle_that_discounted_them_and_other_promotions_make_no_group() {
        let variants = [11, 21, 31, 41];
        let all = [
            applied(1, Benefit::PercentOff { percent: 10 }, vec![11, 21, 31, 41]),
            applied(2, Benefit::BundlePercent { products: vec![1, 2], percent: 10 }, vec![11, 21]),
            applied(3, Benefit::BundlePrice { products: vec![2, 3], price: Vnd::new(5) }, vec![21, 31]),
        ];
        let got = groups(&all, variants.len(), |i, a| a.lines.contains(&variants[i]));
        let ids: Vec<(i64, Vec<usize>)> = got.iter().map(|(a, m)| (a.promotion_id, m.clone())).collect();
        assert_eq!(ids, vec![(2, vec![0, 1]), (3, vec![2])]);
    }

    #[test]
    fn the_order_groups_its_discounted_lines_under_the_bundle_its_snapshot_names() {
        let line = |no: i64, product: i64, discount: i64| -> crate::app::orders::OrderLine {
            serde_json::from_value(serde_json::json!({"line_no": no, "variant_id": no * 10, "product_id": product, "sku": format!("S{no}"), "name_vi": "A", "name_en": "A",
                "size": "M", "color": "den", "image_url": null, "unit_price": 100, "quantity": 1, "line_total": 100, "discount": discount})).unwrap()
        };
        let redemption = |id: i64, benefit: serde_json::Value| -> crate::app::promotions::RedemptionRow {
            serde_json::from_value(serde_json::json!({"promotion_id": id, "code": null, "class": "product", "name_vi": "Combo", "name_en": "Bundle",
                "benefit": benefit.to_string(), "amount": 20, "state": "claimed"})).unwrap()
        };
        // Product 3's line carries no bundle discount (a second unit outside the set) and stays apart.
        let lines = [line(1, 1, 10), line(2, 2, 10), line(3, 1, 0), line(4, 9, 5)];
        let redemptions = [redemption(7, serde_json::json!({"type": "percent_off", "percent": 5})), redemption(8, serde_json::json!({"type": "bundle_percent", "products": [1, 2], "percent": 10}))];
        let got: Vec<(i64, Vec<usize>)> = order_groups(&redemptions, &lines).iter().map(|(r, _, m)| (r.promotion_id, m.clone())).collect();
        assert_eq!(got, vec![(8, vec![0, 1])]);
    }

    #[test]
    fn a_sold_out_item_is_named_in_both_languages() {
        let item = SoldOutItem { variant_id: 5, sku: "G-1".into(), name_vi: "Gile len".into(), name_en: "Wool vest".into(), size: "M".into(), color_vi: Some("Đen".into()), color_en: Some("Black".into()), available: 0 };
        let ctx = |locale| PageCtx { locale, path: "/cart".into(), query: String::new(), origin: "https://vestify.test".into(), categories: Vec::new(), shop: Default::default() };
        assert_eq!(sold_out_text(&ctx(Locale::Vi), &item), "Gile len (Đen / M) đã hết hàng: chưa thêm sản phẩm nào của combo, giỏ hàng không thay đổi.");
        assert!(sold_out_text(&ctx(Locale::En), &item).starts_with("Wool vest (Black / M) is sold out"));
    }
}
