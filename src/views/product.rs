//! The product page: gallery, size × colour picker that works without JavaScript (every variant has a
//! URL), price and stock per variant, add-to-cart form, details, size guide, related products.

use maud::{html, Markup};
use serde_json::json;

use super::components::{breadcrumbs, card_grid, price, stock_badge, swatch};
use super::layout::{page, Head};
use super::listing::breadcrumb_json_ld;
use super::{paths, seo, PageCtx};
use crate::app::catalog::ProductPage;
use crate::app::reviews::ReviewsPage;
use crate::domain::reviews::ReviewQuery;
use crate::assets;
use crate::domain::catalog::{Color, ProductImage, StockLevel, Variant, VariantMatrix, LOW_STOCK_THRESHOLD};
use crate::domain::listing::percent_encode;

/// Most units of one variant a cart may hold (the cart enforces it too).
pub const MAX_PER_LINE: i64 = 10;

/// What the shopper asked for in the URL: `?variant=SKU`, or `?color=…&size=…`.
#[derive(Default)]
pub struct Choice<'a> {
    pub sku: Option<&'a str>,
    pub color: Option<&'a str>,
    pub size: Option<&'a str>,
}

pub fn product_page(ctx: &PageCtx, data: &ProductPage, colors: &[Color], choice: &Choice) -> Markup {
    product_page_with(ctx, data, colors, choice, &html! {})
}

/// The product page with `extra` under its name (the live promotions that reach it).
pub fn product_page_with(ctx: &PageCtx, data: &ProductPage, colors: &[Color], choice: &Choice, extra: &Markup) -> Markup {
    product_page_reviewed(ctx, data, colors, choice, extra, None)
}

/// The product page with its review block (`reviews`: the page of reviews and the filters it was
/// asked with), whose figures and first reviews also go into the JSON-LD.
pub fn product_page_reviewed(ctx: &PageCtx, data: &ProductPage, colors: &[Color], choice: &Choice, extra: &Markup, reviews: Option<(&ReviewsPage, &ReviewQuery)>) -> Markup {
    let t = ctx.t();
    let p = &data.product;
    let matrix = VariantMatrix::new(&data.variants, choice.sku, choice.color, choice.size);
    let selected = matrix.selected;
    let selected_color = selected.map(|v| v.color.as_str());
    let color = |code: &str| colors.iter().find(|c| c.code == code);
    let color_name = |code: &str| color(code).map_or(code.to_string(), |c| c.name(ctx.locale).to_string());
    let base = paths::product(&p.slug);
    let variant_href = |v: &Variant| format!("{}?variant={}", ctx.href(&base), percent_encode(&v.sku));
    let gallery = gallery_images(&data.images, selected_color);

    let mut trail = vec![(t.home.to_string(), "/".to_string())];
    if let Some(cat) = ctx.categories.iter().find(|c| c.id == p.category_id) {
        trail.extend(cat.ancestry(&ctx.categories).iter().map(|a| (a.name(ctx.locale).to_string(), paths::category(&a.slug))));
    }
    trail.push((p.name(ctx.locale).to_string(), base.clone()));

    let image_urls: Vec<String> = data.images.iter().map(|i| ctx.absolute(&assets::url(&i.url))).collect();
    let product_ld = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.name(ctx.locale),
        "description": p.description(ctx.locale),
        "brand": {"@type": "Brand", "name": p.brand},
        "image": image_urls,
        "sku": selected.map(|v| v.sku.clone()),
        "url": ctx.absolute(&ctx.href(&base)),
        "offers": data.variants.iter().filter(|v| v.is_active()).map(|v| json!({
            "@type": "Offer",
            "sku": v.sku,
            "name": format!("{} — {} / {}", p.name(ctx.locale), color_name(&v.color), v.size),
            "price": v.price.minor().to_string(),
            "priceCurrency": "VND",
            "availability": if v.stock().can_buy() { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
            "url": ctx.absolute(&variant_href(v)),
            "itemCondition": "https://schema.org/NewCondition",
        })).collect::<Vec<_>>(),
    });
    let mut product_ld = product_ld;
    if let Some((aggregate, list)) = reviews.and_then(|(page, _)| super::reviews::json_ld(page)) {
        product_ld["aggregateRating"] = aggregate;
        product_ld["review"] = json!(list);
    }
    let head = Head {
        title: p.seo_title(ctx.locale).to_string(),
        description: p.seo_description(ctx.locale).to_string(),
        canonical: Some(ctx.absolute(&ctx.href(&base))),
        image: image_urls.first().cloned(),
        og_type: "product",
        json_ld: vec![seo::json_ld(&product_ld), breadcrumb_json_ld(ctx, &trail)],
        ..Head::default()
    };

    let main = html! {
        (breadcrumbs(ctx, &trail))
        article.product data-sku=[selected.map(|v| v.sku.as_str())] data-live-stock
            data-stock-in=(t.in_stock) data-stock-out=(t.out_of_stock) data-stock-low=(low_template(ctx)) data-stock-low-max=(LOW_STOCK_THRESHOLD) data-stock-add=(t.add_to_cart) {
            section.gallery aria-label=(t.gallery) {
                @for (i, img) in gallery.iter().enumerate() {
                    figure {
                        img src=(assets::url(&img.url)) alt=(img.alt(ctx.locale)) width=(img.width) height=(img.height)
                            loading=(if i == 0 { "eager" } else { "lazy" }) decoding="async";
                    }
                }
            }
            section.buy {
                h1 { (p.name(ctx.locale)) }
                (extra)
                p.brand { (t.brand) ": " (p.brand) }
                @if let Some(v) = selected {
                    p.variant-price data-price=(v.price.minor()) { (price(ctx, v.price(), v.compare_at())) }
                    p data-variant-id=(v.id) data-live="badge" { (stock_badge(ctx, v.stock())) }
                }
                fieldset.picker data-picker="color" {
                    legend { (t.choose_color) ": " strong { (selected_color.map(&color_name).unwrap_or_default()) } }
                    ul.swatches {
                        @for code in &matrix.colors {
                            @let target = selected.and_then(|s| matrix.find(code, &s.size))
                                .filter(|v| v.stock().can_buy())
                                .or_else(|| VariantMatrix::new(&data.variants, None, Some(code), None).selected);
                            @if let Some(v) = target {
                                li {
                                    a href=(variant_href(v)) aria-current=[(Some(*code) == selected_color).then_some("true")]
                                        data-color=(code) title=(color_name(code)) {
                                        @if let Some(c) = color(code) { (swatch(&c.hex)) }
                                        span { (color_name(code)) }
                                    }
                                }
                            }
                        }
                    }
                }
                fieldset.picker data-picker="size" {
                    legend { (t.choose_size) ": " strong { (selected.map(|v| v.size.as_str()).unwrap_or_default()) } }
                    ul.sizes {
                        @for size in &matrix.sizes {
                            li {
                                @match selected_color.and_then(|c| matrix.find(c, size)) {
                                    Some(v) => {
                                        a href=(variant_href(v)) data-size=(size) data-stock=(stock_code(v.stock())) data-variant-id=(v.id) data-live="size"
                                            aria-current=[(selected.map(|s| s.id) == Some(v.id)).then_some("true")]
                                            title=(format!("{} · {}", v.price().format(ctx.locale), availability_text(ctx, v.stock()))) {
                                            span.size-code { (size) }
                                            span.size-note { (availability_text(ctx, v.stock())) }
                                        }
                                    }
                                    None => {
                                        span.unavailable data-size=(size) { span.size-code { (size) } span.size-note { (t.unavailable_combination) } }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(v) = selected {
                    form.add-to-cart method="post" action=(ctx.href(paths::CART_ITEMS)) data-variant-id=(v.id) data-live="buy" {
                        (crate::views::security::csrf_field())
                        input type="hidden" name="variant_id" value=(v.id);
                        input type="hidden" name="sku" value=(v.sku);
                        label for="qty" { (t.quantity) }
                        input #qty type="number" name="quantity" value="1" min="1"
                            max=(v.available().clamp(1, MAX_PER_LINE)) data-max-per-line=(MAX_PER_LINE) inputmode="numeric" required disabled[!v.stock().can_buy()];
                        button type="submit" disabled[!v.stock().can_buy()] {
                            @if v.stock().can_buy() { (t.add_to_cart) } @else { (t.out_of_stock) }
                        }
                    }
                    p.sku { (t.sku) ": " code { (v.sku) } }
                    (super::notify::variant_alert_form(ctx, v))
                }
                details.size-guide {
                    summary { (t.size_guide) }
                    (size_guide(ctx))
                }
            }
            section.details {
                h2 { (t.description) }
                p { (p.description(ctx.locale)) }
                @let material = ctx.locale.pick(&p.material_vi, &p.material_en);
                @if !material.is_empty() { h3 { (t.material) } p { (material) } }
                @let care = ctx.locale.pick(&p.care_vi, &p.care_en);
                @if !care.is_empty() { h3 { (t.care) } p { (care) } }
                @if !data.tags.is_empty() {
                    ul.tags { @for tag in &data.tags { li { a href=(format!("{}?q={}", ctx.href(paths::SEARCH), percent_encode(tag))) { (tag) } } } }
                }
            }
        }
        @if let Some((page, q)) = reviews {
            (super::reviews::review_section(ctx, page, q, &base, colors))
        }
        @if !data.related.is_empty() {
            section.related aria-labelledby="related-title" {
                h2 #related-title { (t.you_may_also_like) }
                (card_grid(ctx, &data.related))
            }
        }
    };
    page(ctx, head, main)
}

/// The selected colour's images first (then images for no particular colour), else all of them.
fn gallery_images<'a>(images: &'a [ProductImage], color: Option<&str>) -> Vec<&'a ProductImage> {
    let matching: Vec<&ProductImage> =
        images.iter().filter(|i| i.color.is_none() || i.color.as_deref() == color).collect();
    if matching.iter().any(|i| i.color.is_some()) {
        matching
    } else {
        images.iter().collect()
    }
}

/// "Chỉ còn {n} chiếc" for the live-stock script (`public/js/app.js`), from the same words the page
/// renders: the count is formatted in, then replaced by the placeholder.
fn low_template(ctx: &PageCtx) -> String {
    const MARK: i64 = 987_654_321;
    (ctx.t().only_left)(MARK).replace(&MARK.to_string(), "{n}")
}

fn stock_code(level: StockLevel) -> &'static str {
    match level {
        StockLevel::OutOfStock => "out",
        StockLevel::Low(_) => "low",
        StockLevel::InStock => "in",
    }
}

fn availability_text(ctx: &PageCtx, level: StockLevel) -> String {
    let t = ctx.t();
    match level {
        StockLevel::OutOfStock => t.out_of_stock.to_string(),
        StockLevel::Low(n) => (t.only_left)(n),
        StockLevel::InStock => t.in_stock.to_string(),
    }
}

/// Body measurements per size, the same for the whole range.
const SIZE_CHART: [(&str, &str, &str, &str); 6] = [
    ("XS", "80–84", "60", "150–160"),
    ("S", "84–88", "62", "158–165"),
    ("M", "88–94", "64", "163–170"),
    ("L", "94–100", "66", "168–175"),
    ("XL", "100–106", "68", "173–180"),
    ("XXL", "106–114", "70", "178–185"),
];

fn size_guide(ctx: &PageCtx) -> Markup {
    let t = ctx.t();
    html! {
        p { (t.size_guide_intro) }
        table {
            thead { tr { th scope="col" { (t.size) } th scope="col" { (t.chest_cm) } th scope="col" { (t.length_cm) } th scope="col" { (t.fits_height) } } }
            tbody {
                @for (size, chest, length, height) in SIZE_CHART {
                    tr { th scope="row" { (size) } td { (chest) } td { (length) } td { (height) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod render_cost {
    //! How long the product page takes to render natively, from the demo catalog's biggest product:
    //! `cargo test --release render_cost -- --ignored --nocapture`. A figure, not a test.
    use super::*;
    use crate::domain::catalog::{Category, Product, ProductCard, ProductStatus, VariantStatus};
    use crate::domain::locale::Locale;
    use crate::seed::demo_catalog;

    #[test]
    #[ignore]
    fn product_page_render_cost() {
        let c = demo_catalog();
        let p = c.products.iter().max_by_key(|p| c.variants.iter().filter(|v| v.product_id == p.id).count()).expect("a product");
        let product = Product {
            id: p.id,
            slug: p.slug.into(),
            category_id: p.category_id,
            name_vi: p.name_vi.into(),
            name_en: p.name_en.into(),
            description_vi: p.description_vi.into(),
            description_en: p.description_en.into(),
            material_vi: p.material_vi.into(),
            material_en: p.material_en.into(),
            care_vi: p.care_vi.into(),
            care_en: p.care_en.into(),
            brand: p.brand.into(),
            status: ProductStatus::parse(p.status).expect("a stored status"),
            seo_title_vi: p.seo_title_vi.clone(),
            seo_title_en: p.seo_title_en.clone(),
            seo_description_vi: p.seo_description_vi.clone(),
            seo_description_en: p.seo_description_en.clone(),
            sold_count: p.sold_count,
            created_at: p.created_at.into(),
            updated_at: p.created_at.into(),
        };
        let variants: Vec<Variant> = c
            .variants
            .iter()
            .filter(|v| v.product_id == p.id)
            .map(|v| Variant { id: v.id, sku: v.sku.clone(), size: v.size.into(), color: v.color.into(), price: v.price, compare_at_price: v.compare_at_price, on_hand: v.on_hand, reserved: 0, status: VariantStatus::Active })
            .collect();
        let images: Vec<ProductImage> = c
            .images
            .iter()
            .filter(|i| i.product_id == p.id)
            .map(|i| ProductImage { url: i.url.clone(), alt_vi: i.alt_vi.clone(), alt_en: i.alt_en.clone(), color: Some(i.color.into()), width: i.width, height: i.height })
            .collect();
        let related: Vec<ProductCard> = c
            .products
            .iter()
            .filter(|o| o.id != p.id)
            .take(4)
            .map(|o| ProductCard { id: o.id, slug: o.slug.into(), name_vi: o.name_vi.into(), name_en: o.name_en.into(), price: crate::domain::money::Vnd::new(500_000), compare_at_price: None, available: 5, image_url: None, image_alt_vi: None, image_alt_en: None, created_at: o.created_at.into(), variant: None, rating: None })
            .collect();
        let data = ProductPage { product, variants, images, tags: p.tags.iter().map(|t| t.to_string()).collect(), related, collections: vec![] };
        let colors: Vec<Color> = c.colors.iter().map(|k| Color { code: k.code.into(), name_vi: k.name_vi.into(), name_en: k.name_en.into(), hex: k.hex.into() }).collect();
        let categories: Vec<Category> = c
            .categories
            .iter()
            .map(|k| Category { id: k.id, parent_id: k.parent_id, slug: k.slug.into(), path: k.path.clone(), name_vi: k.name_vi.into(), name_en: k.name_en.into(), description_vi: k.description_vi.into(), description_en: k.description_en.into(), image_path: Some(k.image_path.clone()), sort_order: k.sort_order, featured: i64::from(k.featured) })
            .collect();
        let ctx = PageCtx { locale: Locale::Vi, path: format!("/p/{}", p.slug), query: String::new(), origin: "https://vestify.vn".into(), categories };
        let runs = 2_000;
        let started = std::time::Instant::now();
        let mut bytes = 0;
        for _ in 0..runs {
            bytes = product_page(&ctx, &data, &colors, &Choice::default()).into_string().len();
        }
        let per = started.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        let hash_start = std::time::Instant::now();
        let body = product_page(&ctx, &data, &colors, &Choice::default()).into_string();
        for _ in 0..runs {
            std::hint::black_box(crate::domain::http_cache::etag(body.as_bytes()));
        }
        let hash = hash_start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!("product page ({} variants): {bytes} bytes, render {per:.3} ms, etag {hash:.3} ms (native)", data.variants.len());
    }
}
