//! Promotions on pages: the coupon form, what each line and the cart saved and why, refused codes
//! with their reason in the shopper's language, the discounts an order used, and the badges of live
//! automatic promotions on product and listing pages.

use maud::{html, Markup};

use super::PageCtx;
use crate::app::cart::{CartLineView, CartView};
use crate::app::promotions::RedemptionRow;
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::promotions::{Applied, Benefit, Class, Promotion, Rejection};
use crate::domain::time::local_time;

/// Where the coupon forms post.
pub const COUPONS: &str = "/cart/coupons";

fn money(ctx: &PageCtx, n: Vnd) -> String {
    n.format(ctx.locale)
}

fn vi(ctx: &PageCtx) -> bool {
    ctx.locale == Locale::Vi
}

/// What a rule gives, as a short phrase ("−20%", "Buy 2 get 1 free").
pub fn benefit_text(ctx: &PageCtx, b: &Benefit) -> String {
    let v = vi(ctx);
    match b {
        Benefit::PercentOff { percent } => format!("−{percent}%"),
        Benefit::AmountOff { amount } => format!("−{}", money(ctx, *amount)),
        Benefit::FreeShipping { max_discount: None } => (if v { "Miễn phí vận chuyển" } else { "Free shipping" }).to_string(),
        Benefit::FreeShipping { max_discount: Some(m) } => {
            if v { format!("Giảm đến {} phí vận chuyển", money(ctx, *m)) } else { format!("Up to {} off shipping", money(ctx, *m)) }
        }
        Benefit::BuyXGetY { buy, get, percent: 100 } => if v { format!("Mua {buy} tặng {get}") } else { format!("Buy {buy} get {get} free") },
        Benefit::BuyXGetY { buy, get, percent } => {
            if v { format!("Mua {buy}, giảm {percent}% cho {get} sản phẩm rẻ nhất") } else { format!("Buy {buy}, {percent}% off the {get} cheapest") }
        }
        Benefit::TieredSpend { tiers } => {
            let parts: Vec<String> = tiers
                .iter()
                .map(|t| if v { format!("mua từ {} giảm {}", money(ctx, t.min_subtotal), money(ctx, t.amount)) } else { format!("spend {} save {}", money(ctx, t.min_subtotal), money(ctx, t.amount)) })
                .collect();
            let joined = parts.join("; ");
            let mut chars = joined.chars();
            chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        }
        Benefit::BundlePrice { products, price } => {
            if v { format!("Combo {} sản phẩm chỉ {}", products.len(), money(ctx, *price)) } else { format!("Bundle of {} for {}", products.len(), money(ctx, *price)) }
        }
        Benefit::BundlePercent { products, percent } => {
            if v { format!("Mua kèm {} sản phẩm giảm {percent}%", products.len()) } else { format!("Buy {} together, {percent}% off", products.len()) }
        }
        Benefit::Gift { min_subtotal, .. } => {
            if v { format!("Quà tặng cho đơn từ {}", money(ctx, *min_subtotal)) } else { format!("Free gift on orders from {}", money(ctx, *min_subtotal)) }
        }
    }
}

/// Why a code was refused, as a sentence.
pub fn rejection_text(ctx: &PageCtx, code: &str, r: &Rejection) -> String {
    let v = vi(ctx);
    match r {
        Rejection::UnknownCode => if v { format!("Mã {code} không tồn tại.") } else { format!("There is no code {code}.") },
        Rejection::Disabled => if v { format!("Mã {code} đã bị tắt.") } else { format!("The code {code} has been switched off.") },
        Rejection::NotStarted { starts_at } => {
            if v { format!("Mã {code} chưa bắt đầu: dùng được từ {}.", local_time(*starts_at, Locale::Vi)) } else { format!("The code {code} has not started yet: it works from {} (Vietnam time).", local_time(*starts_at, Locale::En)) }
        }
        Rejection::Expired { ended_at } => {
            if v { format!("Mã {code} đã hết hạn lúc {}.", local_time(*ended_at, Locale::Vi)) } else { format!("The code {code} expired at {} (Vietnam time).", local_time(*ended_at, Locale::En)) }
        }
        Rejection::MinSubtotal { required, missing } => {
            if v {
                format!("Mã {code} cần đơn tối thiểu {}: mua thêm {}.", money(ctx, *required), money(ctx, *missing))
            } else {
                format!("The code {code} needs an order of at least {}: add {} more.", money(ctx, *required), money(ctx, *missing))
            }
        }
        Rejection::MinQuantity { required, missing } => {
            if v { format!("Mã {code} cần ít nhất {required} sản phẩm: thêm {missing} nữa.") } else { format!("The code {code} needs at least {required} items: add {missing} more.") }
        }
        Rejection::FirstOrderOnly => if v { format!("Mã {code} chỉ dành cho đơn hàng đầu tiên.") } else { format!("The code {code} is for a first order only.") },
        Rejection::SignedInOnly => if v { format!("Mã {code} chỉ dành cho khách đã đăng nhập.") } else { format!("The code {code} is for signed-in customers only.") },
        Rejection::NotForYou => if v { format!("Mã {code} không dành cho bạn.") } else { format!("The code {code} is not for this customer.") },
        Rejection::UsedUp => if v { format!("Mã {code} đã hết lượt sử dụng.") } else { format!("The code {code} has been used up.") },
        Rejection::CustomerLimit => if v { format!("Bạn đã dùng hết lượt của mã {code}.") } else { format!("You have already used the code {code} as often as it allows.") },
        Rejection::NoEligibleItems => if v { format!("Mã {code} không áp dụng cho sản phẩm nào trong giỏ.") } else { format!("The code {code} does not apply to anything in your cart.") },
        Rejection::ShippingAlreadyFree => if v { format!("Đơn của bạn đã được miễn phí giao hàng, nên không cần mã {code}.") } else { format!("Your order already ships free, so the code {code} is not needed.") },
        Rejection::NotCombinable { with_vi, with_en } => {
            if v { format!("Mã {code} không dùng chung được với “{with_vi}”.") } else { format!("The code {code} cannot be combined with “{with_en}”.") }
        }
        Rejection::AlreadyApplied => if v { format!("Khuyến mãi của mã {code} đã được áp dụng.") } else { format!("The promotion of {code} is already applied.") },
    }
}

/// A form-level problem with the code the shopper typed.
pub enum CouponProblem {
    Invalid,
    TooMany,
}

fn problem_text(ctx: &PageCtx, p: &CouponProblem) -> &'static str {
    match (p, vi(ctx)) {
        (CouponProblem::Invalid, true) => "Mã giảm giá gồm 3–32 chữ cái, chữ số, “-” hoặc “_”.",
        (CouponProblem::Invalid, false) => "A coupon code is 3–32 letters, digits, “-” or “_”.",
        (CouponProblem::TooMany, true) => "Mỗi giỏ hàng dùng tối đa 5 mã.",
        (CouponProblem::TooMany, false) => "A cart takes at most 5 codes.",
    }
}

/// The coupon box: entered codes (with their state and a remove button), refusals, and the form.
/// `return_to` is `cart` or `checkout` (where to go back after a change).
pub fn coupon_box(ctx: &PageCtx, cart: &CartView, return_to: &str, tried: Option<&str>, problem: Option<&CouponProblem>) -> Markup {
    let v = vi(ctx);
    let d = &cart.discounts;
    let refused_now = tried.and_then(|code| d.rejected.iter().find(|r| r.code == code));
    html! {
        section.coupons aria-labelledby="coupons-title" {
            h2 #coupons-title { (if v { "Mã giảm giá" } else { "Coupon codes" }) }
            @if let Some(p) = problem {
                p.notice role="alert" data-coupon-error="form" { (problem_text(ctx, p)) }
            }
            @if let Some(r) = refused_now {
                p.notice role="alert" data-coupon-error=(r.rejection.code()) { (rejection_text(ctx, &r.code, &r.rejection)) }
            }
            @if !d.codes.is_empty() {
                ul.coupon-codes {
                    @for code in &d.codes {
                        @let applied = d.applied.iter().find(|a| a.code.as_deref() == Some(code.as_str()));
                        @let rejected = d.rejected.iter().find(|r| r.code == *code);
                        li data-code=(code) data-state=(if applied.is_some() { "applied" } else { "rejected" }) {
                            strong { (code) }
                            @if let Some(a) = applied {
                                " — " (ctx.locale.pick(&a.name_vi, &a.name_en)) " (" (benefit_text(ctx, &a.benefit)) ")"
                            }
                            @if let Some(r) = rejected {
                                " — " span.stock.low { (rejection_text(ctx, &r.code, &r.rejection)) }
                            }
                            form.inline-form method="post" action=(ctx.href(&format!("{COUPONS}/{code}/remove"))) {
                                (crate::views::security::csrf_field())
                                input type="hidden" name="return" value=(return_to);
                                button.link type="submit" { (if v { "Bỏ mã" } else { "Remove" }) }
                            }
                        }
                    }
                }
            }
            form.coupon-form method="post" action=(ctx.href(COUPONS)) {
                (crate::views::security::csrf_field())
                input type="hidden" name="return" value=(return_to);
                label for="f-coupon" { (if v { "Nhập mã" } else { "Enter a code" }) }
                input #f-coupon type="text" name="code" value=(tried.unwrap_or("")) autocomplete="off" autocapitalize="characters"
                    maxlength="32" required aria-invalid=[(problem.is_some() || refused_now.is_some()).then_some("true")];
                button type="submit" { (if v { "Áp dụng" } else { "Apply" }) }
            }
        }
    }
}

/// Under a line: what it saved and from which promotions.
pub fn line_savings(ctx: &PageCtx, cart: &CartView, line: &CartLineView) -> Markup {
    let names: Vec<&Applied> = cart.discounts.applied.iter().filter(|a| a.lines.contains(&line.variant_id) && a.class == Class::Product).collect();
    html! {
        @if line.discount.is_positive() {
            span.line-discount data-line-discount=(line.discount.minor()) {
                (if vi(ctx) { "Tiết kiệm " } else { "You save " }) (money(ctx, line.discount))
                @if !names.is_empty() {
                    " (" @for (i, a) in names.iter().enumerate() { @if i > 0 { ", " } (ctx.locale.pick(&a.name_vi, &a.name_en)) } ")"
                }
            }
        }
    }
}

/// One line per applied discount with its amount, for a table foot (`cols` columns before the
/// amount). Shipping discounts are named here and counted in the shipping line.
pub fn discount_rows(ctx: &PageCtx, applied: &[Applied], cols: u8) -> Markup {
    html! {
        @for a in applied {
            tr.discount-row data-promotion=(a.promotion_id) data-class=(a.class.code()) {
                th scope="row" colspan=(cols) {
                    (ctx.locale.pick(&a.name_vi, &a.name_en))
                    @if let Some(code) = &a.code { " · " (code) }
                    " — " (benefit_text(ctx, &a.benefit))
                }
                td.money data-discount=(a.amount.minor()) { "−" (money(ctx, a.amount)) }
            }
        }
    }
}

/// The discount list of an order page or summary, from the order's snapshot.
pub fn order_discounts(ctx: &PageCtx, redemptions: &[RedemptionRow], cols: u8) -> Markup {
    html! {
        @for r in redemptions {
            @let benefit: Option<Benefit> = serde_json::from_str(&r.benefit).ok();
            tr.discount-row data-promotion=(r.promotion_id) data-class=(r.class) {
                th scope="row" colspan=(cols) {
                    (ctx.locale.pick(&r.name_vi, &r.name_en))
                    @if let Some(code) = &r.code { " · " (code) }
                    @if let Some(b) = &benefit { " — " (benefit_text(ctx, b)) }
                }
                td.money data-discount=(r.amount.minor()) { "−" (money(ctx, r.amount)) }
            }
        }
    }
}

/// Badges of the live automatic promotions that reach a product (or, without a product, all).
pub fn badges(ctx: &PageCtx, promotions: &[Promotion]) -> Markup {
    html! {
        @if !promotions.is_empty() {
            ul.promo-badges {
                @for p in promotions {
                    li.promo-badge data-promotion=(p.id) {
                        strong { (ctx.locale.pick(&p.name_vi, &p.name_en)) }
                        " " (benefit_text(ctx, &p.benefit))
                        @if let Some(end) = p.conditions.ends_at {
                            " · " (if vi(ctx) { "đến " } else { "until " }) (local_time(end, ctx.locale))
                        }
                    }
                }
            }
        }
    }
}

/// Whether a promotion reaches a product (its target and exclusions, by product and category).
pub fn reaches(p: &Promotion, product_id: i64, categories: &[i64], collections: &[i64]) -> bool {
    use crate::domain::promotions::Target;
    if p.exclusions.products.contains(&product_id) {
        return false;
    }
    let targeted = match &p.target {
        Target::Order => true,
        Target::Products(ids) => ids.contains(&product_id),
        Target::Categories(ids) => categories.iter().any(|c| ids.contains(c)),
        Target::Collections(ids) => collections.iter().any(|c| ids.contains(c)),
        Target::Variants(_) => false,
    };
    targeted || p.benefit.bundle_products().is_some_and(|products| products.contains(&product_id))
}

/// Whether a promotion belongs on a listing: order-wide ones everywhere, category ones on their
/// category and its subcategories (`ancestry` is the listed category and its parents).
pub fn reaches_listing(p: &Promotion, ancestry: &[i64]) -> bool {
    use crate::domain::promotions::Target;
    match &p.target {
        Target::Order => true,
        Target::Categories(ids) => ancestry.iter().any(|c| ids.contains(c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(locale: Locale) -> PageCtx {
        PageCtx { locale, path: "/cart".into(), query: String::new(), origin: "https://vestify.test".into(), categories: Vec::new(), shop: Default::default() }
    }

    #[test]
    fn every_rejection_reads_as_a_sentence_in_both_languages() {
        let all = [
            Rejection::UnknownCode,
            Rejection::Disabled,
            Rejection::NotStarted { starts_at: 1_795_798_800 },
            Rejection::Expired { ended_at: 1_795_798_800 },
            Rejection::MinSubtotal { required: Vnd::new(1_000_000), missing: Vnd::new(250_000) },
            Rejection::MinQuantity { required: 3, missing: 1 },
            Rejection::FirstOrderOnly,
            Rejection::SignedInOnly,
            Rejection::NotForYou,
            Rejection::UsedUp,
            Rejection::CustomerLimit,
            Rejection::NoEligibleItems,
            Rejection::ShippingAlreadyFree,
            Rejection::NotCombinable { with_vi: "Giảm 10%".into(), with_en: "10% off".into() },
            Rejection::AlreadyApplied,
        ];
        for r in &all {
            let vi = rejection_text(&ctx(Locale::Vi), "SALE", r);
            let en = rejection_text(&ctx(Locale::En), "SALE", r);
            assert!(vi.contains("SALE") && en.contains("SALE") && vi != en, "{r:?}");
        }
        assert_eq!(
            rejection_text(&ctx(Locale::Vi), "SALE", &Rejection::MinSubtotal { required: Vnd::new(1_000_000), missing: Vnd::new(250_000) }),
            "Mã SALE cần đơn tối thiểu 1.000.000 ₫: mua thêm 250.000 ₫."
        );
        assert_eq!(rejection_text(&ctx(Locale::En), "SALE", &Rejection::Expired { ended_at: 1_795_798_800 }), "The code SALE expired at 28 Nov 2026, 00:00 (Vietnam time).");
    }

    #[test]
    fn the_cart_page_shows_each_discount_its_line_savings_and_a_refused_code() {
        use crate::app::cart::{view, LineVariant};
        use crate::app::promotions::{decorate, PricingData};
        use crate::domain::cart::Cart;
        use crate::domain::catalog::{ProductStatus, VariantStatus};
        use crate::domain::promotions::{Conditions, Customer, Exclusions, Target, Usage};
        let variant = LineVariant {
            id: 7,
            product_id: 3,
            sku: "GP-M-BLK".into(),
            size: "M".into(),
            color: "black".into(),
            price: Vnd::new(400_000),
            compare_at_price: None,
            on_hand: 5,
            reserved: 2,
            status: VariantStatus::Active,
            product_status: ProductStatus::Active,
            slug: "gile-phao".into(),
            name_vi: "Gi lê phao".into(),
            name_en: "Puffer vest".into(),
            color_vi: None,
            color_en: None,
            image_url: None,
            weight_grams: 0,
            product_weight_grams: 0,
        };
        let mut cart = Cart::default();
        cart.apply(7, 2, Some("h".into()), 2);
        cart.codes = vec!["SALE10".into(), "EXPIRED".into()];
        let promotion = |id: i64, automatic: bool, ends_at: Option<i64>| Promotion {
            id,
            name_vi: format!("Giảm 10% số {id}"),
            name_en: format!("10% off no. {id}"),
            automatic,
            active: true,
            benefit: Benefit::PercentOff { percent: 10 },
            target: Target::Order,
            exclusions: Exclusions::default(),
            conditions: Conditions { ends_at, ..Conditions::default() },
            priority: 0,
            combinable: true,
            usage: Usage::default(),
            per_customer_limit: None,
        };
        let code = |code: &str, id| crate::app::promotions::CodeRow { code: code.into(), promotion_id: id, max_uses: None, used: 0 };
        let data = PricingData { promotions: vec![promotion(1, false, None), promotion(2, false, Some(10))], codes: vec![code("SALE10", 1), code("EXPIRED", 2)], places: vec![] };
        let pricing = crate::app::promotions::price_cart(&cart, std::slice::from_ref(&variant), &data, &Customer::default(), Vnd::new(30_000), 100);
        let mut cart_view = view("c", &cart, &[variant], 900, Vec::new());
        decorate(&mut cart_view, &cart.codes, &[("standard", pricing)]);
        let html = crate::views::cart::cart_page(&ctx(Locale::Vi), Some(&cart_view), None).into_string();
        assert!(html.contains(r#"data-discount="80000""#), "the discount row: {html}");
        assert!(html.contains("Tiết kiệm 80.000 ₫"), "the line says what it saved");
        assert!(html.contains(r#"data-line-net="720000""#));
        assert!(html.contains(r#"data-code="SALE10" data-state="applied""#));
        assert!(html.contains(r#"data-code="EXPIRED" data-state="rejected""#));
        assert!(html.contains("Mã EXPIRED đã hết hạn lúc"), "the refused code says why");
    }

    #[test]
    fn benefits_read_as_the_shop_advertises_them() {
        let c = ctx(Locale::Vi);
        assert_eq!(benefit_text(&c, &Benefit::PercentOff { percent: 20 }), "−20%");
        assert_eq!(benefit_text(&c, &Benefit::BuyXGetY { buy: 2, get: 1, percent: 100 }), "Mua 2 tặng 1");
        assert_eq!(benefit_text(&ctx(Locale::En), &Benefit::BuyXGetY { buy: 2, get: 1, percent: 100 }), "Buy 2 get 1 free");
        let tiers = Benefit::TieredSpend { tiers: vec![crate::domain::promotions::Tier { min_subtotal: Vnd::new(1_000_000), amount: Vnd::new(100_000) }] };
        assert_eq!(benefit_text(&c, &tiers), "Mua từ 1.000.000 ₫ giảm 100.000 ₫");
    }
}
