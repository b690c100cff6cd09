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
use crate::domain::money::Vnd;
use crate::domain::shipping::Rate;

/// The product as Google's merchant listings read it
/// (https://developers.google.com/search/docs/appearance/structured-data/product-variants): a
/// `ProductGroup` varying by size and colour, one `Product` per active variant with its SKU, size,
/// colour, image and `Offer` (price, availability, its own URL, shipping to Vietnam and the return
/// policy).
fn product_group_ld(ctx: &PageCtx, data: &ProductPage, image_urls: &[String], color_name: &dyn Fn(&str) -> String, variant_url: &dyn Fn(&Variant) -> String, terms: Option<&OfferTerms>) -> serde_json::Value {
    let p = &data.product;
    let url = ctx.absolute(&ctx.href(&paths::product(&p.slug)));
    let return_policy = json!({
        "@type": "MerchantReturnPolicy",
        "applicableCountry": "VN",
        "returnPolicyCategory": "https://schema.org/MerchantReturnFiniteReturnWindow",
        "merchantReturnDays": RETURN_DAYS,
    });
    let day = |[min, max]: [i64; 2]| json!({"@type": "QuantitativeValue", "minValue": min, "maxValue": max, "unitCode": "DAY"});
    let shipping = |v: &Variant| {
        let terms = terms?;
        // A garment's parcel (no weight on the page: the shop's fallback weight) to the farthest
        // domestic zone, so the fee shown never undercuts the one charged.
        let weight = crate::domain::shipping::line_weight(0, 0, 1);
        let quote = crate::domain::shipping::quote(&terms.rates, crate::app::shipping::ESTIMATE_ZONE, weight, v.price, terms.free_from)
            .into_iter()
            .find(|q| q.method == crate::domain::checkout::ShippingMethod::Standard)?;
        Some(json!({
            "@type": "OfferShippingDetails",
            "shippingRate": {"@type": "MonetaryAmount", "value": quote.fee.minor(), "currency": "VND"},
            "shippingDestination": {"@type": "DefinedRegion", "addressCountry": "VN"},
            "deliveryTime": {"@type": "ShippingDeliveryTime", "handlingTime": day([0, 1]), "transitTime": day(quote.eta_days)},
        }))
    };
    let variant_image = |v: &Variant| {
        data.images
            .iter()
            .position(|i| i.color.as_deref() == Some(v.color.as_str()))
            .and_then(|i| image_urls.get(i))
            .or(image_urls.first())
            .cloned()
    };
    let variants: Vec<serde_json::Value> = data
        .variants
        .iter()
        .filter(|v| v.is_active())
        .map(|v| {
            let mut offer = json!({
                "@type": "Offer",
                "sku": v.sku,
                "price": v.price.minor().to_string(),
                "priceCurrency": "VND",
                "availability": if v.stock().can_buy() { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
                "url": variant_url(v),
                "itemCondition": "https://schema.org/NewCondition",
                "hasMerchantReturnPolicy": return_policy,
            });
            if let Some(details) = shipping(v) {
                offer["shippingDetails"] = details;
            }
            json!({
                "@type": "Product",
                "sku": v.sku,
                "name": format!("{} — {} / {}", p.name(ctx.locale), color_name(&v.color), v.size),
                "size": v.size,
                "color": color_name(&v.color),
                "image": variant_image(v),
                "inProductGroupWithID": p.slug,
                "offers": offer,
            })
        })
        .collect();
    json!({
        "@context": "https://schema.org",
        "@type": "ProductGroup",
        "@id": format!("{url}#product"),
        "name": p.name(ctx.locale),
        "description": p.description(ctx.locale),
        "brand": {"@type": "Brand", "name": p.brand},
        "image": image_urls,
        "url": url,
        "productGroupID": p.slug,
        "variesBy": ["https://schema.org/size", "https://schema.org/color"],
        "hasVariant": variants,
    })
}

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
    product_page_full(ctx, data, colors, choice, extra, reviews, None, None)
}

/// What every offer of the shop promises, for the product's structured data: shipping within
/// Vietnam (the rate table and the free-shipping threshold) and the return window.
pub struct OfferTerms {
    pub rates: Vec<Rate>,
    pub free_from: Vnd,
}

/// Days a buyer has to return an item (the footer's "Đổi trả trong 30 ngày").
pub const RETURN_DAYS: i64 = 30;

/// The product page with its reviews and the shop's shipping and return terms in its JSON-LD, and
/// its questions and answers.
#[expect(clippy::too_many_arguments, reason = "the page's parts, each optional where a caller has none")]
pub fn product_page_full(
    ctx: &PageCtx,
    data: &ProductPage,
    colors: &[Color],
    choice: &Choice,
    extra: &Markup,
    reviews: Option<(&ReviewsPage, &ReviewQuery)>,
    terms: Option<&OfferTerms>,
    questions: Option<&crate::app::questions::QuestionsPage>,
) -> Markup {
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
    let mut product_ld = product_group_ld(ctx, data, &image_urls, &color_name, &|v| ctx.absolute(&variant_href(v)), terms);
    if let Some((aggregate, list)) = reviews.and_then(|(page, _)| super::reviews::json_ld(page)) {
        product_ld["aggregateRating"] = aggregate;
        product_ld["review"] = json!(list);
    }
    let head = Head {
        title: p.seo_title(ctx.locale).to_string(),
        description: p.seo_description(ctx.locale).to_string(),
        canonical: Some(ctx.absolute(&ctx.href(&base))),
        // An uploaded photo's 1200×630 crop (`media_sizes`), else the generated one of the build.
        image: Some(match data.images.iter().find_map(|i| i.social.as_deref()) {
            Some(crop) => ctx.absolute(crop),
            None => seo::social_image(ctx, Some(&crate::domain::sharing::product_image(&p.slug))),
        }),
        image_alt: p.name(ctx.locale).to_string(),
        og_extra: product_og(p, selected.or_else(|| data.variants.iter().find(|v| v.is_active()))),
        og_type: "product",
        json_ld: vec![seo::json_ld(&product_ld), breadcrumb_json_ld(ctx, &trail)],
        events: super::consent::view_item(p, &data.variants, selected, ctx.locale).into_iter().collect(),
        ..Head::default()
    };

    let main = html! {
        (breadcrumbs(ctx, &trail))
        article.product data-sku=[selected.map(|v| v.sku.as_str())] data-live-stock
            data-stock-in=(t.in_stock) data-stock-out=(t.out_of_stock) data-stock-low=(low_template(ctx)) data-stock-low-max=(LOW_STOCK_THRESHOLD) data-stock-add=(t.add_to_cart) {
            (gallery_section(ctx, &gallery))
            section.buy {
                h1 { (p.name(ctx.locale)) }
                (super::wishlist::heart(ctx, &p.slug, p.id))
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
                        span.bar-price aria-hidden="true" { (v.price().format(ctx.locale)) }
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
                (super::share::share_bar(ctx, &p.slug, p.name(ctx.locale), &ctx.absolute(&ctx.href(&base))))
                (super::share::marketplace_links(ctx, &data.marketplace_links))
            }
            section.details {
                h2 { (t.description) }
                p { (p.description(ctx.locale)) }
                @let material = ctx.locale.pick(&p.material_vi, &p.material_en);
                @if !material.is_empty() { h3 { (t.material) } p { (material) } }
                @let care = ctx.locale.pick(&p.care_vi, &p.care_en);
                @if !care.is_empty() { h3 { (t.care) } p { (care) } }
                @let tags = shown_tags(&data.tags, &data.tags_en, ctx.locale);
                @if !tags.is_empty() {
                    ul.tags { @for (label, tag) in tags { li { a href=(format!("{}?q={}", ctx.href(paths::SEARCH), percent_encode(tag))) { (label) } } } }
                }
            }
        }
        (super::bundles::offers(ctx, &data.bundles))
        @if let Some((page, q)) = reviews {
            (super::reviews::review_section(ctx, page, q, &base, colors))
        }
        @if let Some(questions) = questions {
            (super::questions::question_section(ctx, questions, &base, &p.slug))
        }
        @if !data.bought_together.is_empty() {
            section.related.bought-together aria-labelledby="bought-together-title" {
                h2 #bought-together-title { (ctx.locale.pick("Thường được mua cùng", "Frequently bought together")) }
                (card_grid(ctx, &data.bought_together))
            }
        }
        @if !data.related.is_empty() {
            section.related aria-labelledby="related-title" {
                h2 #related-title { (t.you_may_also_like) }
                (card_grid(ctx, &data.related))
            }
        }
        (super::wishlist::recent_slot(ctx, Some(p.id)))
    };
    page(ctx, head, main)
}

/// Meta's product tags (OpenGraph flavour) for the shown variant: price, currency, availability and
/// the SKU, which is the id the catalog feeds and the Pixel's `content_ids` use.
/// <https://developers.facebook.com/docs/marketing-api/catalog/guides/microdata-tags/>
fn product_og(p: &crate::domain::catalog::Product, shown: Option<&Variant>) -> Vec<(&'static str, String)> {
    let mut tags = vec![("product:brand", p.brand.clone()), ("product:condition", "new".to_string())];
    if let Some(v) = shown {
        tags.push(("product:price:amount", v.price.minor().to_string()));
        tags.push(("product:price:currency", "VND".to_string()));
        tags.push(("product:availability", if v.stock().can_buy() { "in stock" } else { "out of stock" }.to_string()));
        tags.push(("product:retailer_item_id", v.sku.clone()));
        tags.push(("product:item_group_id", p.id.to_string()));
    }
    tags
}

/// Every image of the product, the selected colour's first, then those of no particular colour, then
/// the other colours' (each group in the shop's order).
/// How wide the gallery's photo is drawn: 86% of a phone's width, about half a wide screen's.
const GALLERY_SIZES: &str = "(min-width: 900px) 50vw, 86vw";

fn gallery_images<'a>(images: &'a [ProductImage], color: Option<&str>) -> Vec<&'a ProductImage> {
    let rank = |i: &ProductImage| match i.color.as_deref() {
        Some(c) if Some(c) == color => 0,
        None => 1,
        Some(_) => 2,
    };
    let mut all: Vec<&ProductImage> = images.iter().collect();
    crate::domain::sort::sort_by_key(&mut all, |i| rank(i));
    all
}

/// The gallery: a row of photos that swipes sideways (CSS scroll-snap), thumbnails that link to each
/// photo (`#photo-n`, so they work without JavaScript), each photo a link to its full file. With
/// `app.js` a photo opens in a lightbox (`<dialog>`: arrows move, Escape closes, focus goes back).
/// Only the first photo loads at once, with high priority; the others and the thumbnails are lazy.
/// An uploaded photo lists its smaller copies (`srcset`), so a phone fetches one of its width.
fn gallery_section(ctx: &PageCtx, gallery: &[&ProductImage]) -> Markup {
    let t = ctx.t();
    let l = ctx.locale;
    html! {
        section.gallery aria-label=(t.gallery) data-gallery=""
            data-close=(l.pick("Đóng", "Close")) data-prev=(l.pick("Ảnh trước", "Previous photo")) data-next=(l.pick("Ảnh sau", "Next photo")) {
            div.photos {
                @for (i, img) in gallery.iter().enumerate() {
                    figure id=(format!("photo-{}", i + 1)) {
                        @let (src, srcset) = super::components::image_sources(&img.url, img.width, &img.sizes);
                        a href=(assets::url(&img.url)) data-zoom=(i) data-srcset=[srcset.as_deref()] aria-label=(format!("{} ({})", img.alt(ctx.locale), l.pick("phóng to", "enlarge"))) {
                            img src=(src) srcset=[srcset.as_deref()] sizes=[srcset.as_ref().map(|_| GALLERY_SIZES)] alt=(img.alt(ctx.locale)) width=(img.width) height=(img.height)
                                loading=(if i == 0 { "eager" } else { "lazy" }) fetchpriority=[(i == 0).then_some("high")] decoding="async";
                        }
                    }
                }
            }
            @if gallery.len() > 1 {
                ul.thumbs {
                    @for (i, img) in gallery.iter().enumerate() {
                        li {
                            a href=(format!("#photo-{}", i + 1)) aria-current=[(i == 0).then_some("true")]
                                aria-label=(format!("{} {} / {}", l.pick("Ảnh", "Photo"), i + 1, gallery.len())) {
                                @let (src, srcset) = super::components::image_sources(&img.url, img.width, &img.sizes);
                                img src=(src) srcset=[srcset.as_deref()] sizes=[srcset.as_ref().map(|_| "72px")] alt="" width="64" height="64" loading="lazy" decoding="async";
                            }
                        }
                    }
                }
            }
        }
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

/// The tags as a page shows them: `(label, tag)`, the label in the page's language (English names
/// on English pages), each label once (a product tagged "công sở" and "office" shows "office" once).
/// The link searches the tag as stored, which finds the products that carry it.
pub fn shown_tags<'a>(tags: &'a [String], tags_en: &'a [String], locale: crate::domain::locale::Locale) -> Vec<(&'a str, &'a str)> {
    let mut shown: Vec<(&str, &str)> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let label = locale.pick(tag.as_str(), tags_en.get(i).map_or(tag.as_str(), String::as_str));
        if !shown.iter().any(|(l, _)| l.eq_ignore_ascii_case(label)) {
            shown.push((label, tag));
        }
    }
    shown
}

#[cfg(test)]
mod render_cost {
    //! How long the product page takes to render natively, from the demo catalog's biggest product:
    //! `cargo test --release render_cost -- --ignored --nocapture`. A figure, not a test.
    use super::*;
    use crate::domain::catalog::{Category, Product, ProductCard, ProductStatus, VariantStatus};
    use crate::domain::locale::Locale;
    use crate::seed::demo_catalog;

    /// The demo catalog's product with the most variants, as its page gets it.
    pub(super) fn demo_page() -> (PageCtx, ProductPage, Vec<Color>) {
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
            .map(|i| ProductImage { url: i.url.clone(), alt_vi: i.alt_vi.clone(), alt_en: i.alt_en.clone(), color: Some(i.color.into()), width: i.width, height: i.height, sizes: String::new(), social: None })
            .collect();
        let related: Vec<ProductCard> = c
            .products
            .iter()
            .filter(|o| o.id != p.id)
            .take(4)
            .map(|o| ProductCard { id: o.id, slug: o.slug.into(), name_vi: o.name_vi.into(), name_en: o.name_en.into(), price: crate::domain::money::Vnd::new(500_000), compare_at_price: None, available: 5, image_url: None, image_alt_vi: None, image_alt_en: None, image_width: 0, image_sizes: String::new(), created_at: o.created_at.into(), variant: None, rating: None })
            .collect();
        let data = ProductPage { product, variants, images, tags: p.tags.iter().map(|t| t.to_string()).collect(), tags_en: p.tags.iter().map(|t| t.to_string()).collect(), related, bought_together: vec![], collections: vec![], marketplace_links: vec![], bundles: vec![] };
        let colors: Vec<Color> = c.colors.iter().map(|k| Color { code: k.code.into(), name_vi: k.name_vi.into(), name_en: k.name_en.into(), hex: k.hex.into() }).collect();
        let categories: Vec<Category> = c
            .categories
            .iter()
            .map(|k| Category { id: k.id, parent_id: k.parent_id, slug: k.slug.into(), path: k.path.clone(), name_vi: k.name_vi.into(), name_en: k.name_en.into(), description_vi: k.description_vi.into(), description_en: k.description_en.into(), image_path: Some(k.image_path.clone()), sort_order: k.sort_order, featured: i64::from(k.featured) })
            .collect();
        let ctx = PageCtx { locale: Locale::Vi, path: format!("/p/{}", p.slug), query: String::new(), origin: "https://vestify.vn".into(), categories, shop: Default::default() };
        (ctx, data, colors)
    }

    fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
        let at = html.find(&format!("=\"{key}\" content=\""))?;
        let rest = &html[at + key.len() + 13..];
        rest.split('"').next()
    }

    #[test]
    fn a_shared_product_shows_its_raster_image_price_and_sku() {
        let (ctx, data, colors) = demo_page();
        let html = product_page(&ctx, &data, &colors, &Choice::default()).into_string();
        let shown = VariantMatrix::new(&data.variants, None, None, None).selected.expect("a buyable variant");
        let image = meta(&html, "og:image").expect("og:image");
        let file = crate::domain::sharing::product_image(&data.product.slug);
        let stem = file.trim_end_matches(".png");
        assert!(image.starts_with(&format!("https://vestify.vn/static/{stem}.")) && image.ends_with(".png"), "{image}");
        assert_eq!(meta(&html, "og:image:width"), Some("1200"));
        assert_eq!(meta(&html, "og:image:height"), Some("630"));
        assert_eq!(meta(&html, "og:image:type"), Some("image/png"));
        assert_eq!(meta(&html, "og:image:alt"), Some(data.product.name_vi.as_str()));
        assert_eq!(meta(&html, "twitter:image"), Some(image));
        assert_eq!(meta(&html, "twitter:card"), Some("summary_large_image"));
        assert_eq!(meta(&html, "product:price:amount"), Some(shown.price.minor().to_string().as_str()));
        assert_eq!(meta(&html, "product:price:currency"), Some("VND"));
        assert_eq!(meta(&html, "product:availability"), Some("in stock"));
        assert_eq!(meta(&html, "product:retailer_item_id"), Some(shown.sku.as_str()));
    }

    #[test]
    fn a_sold_out_variant_is_shared_as_out_of_stock() {
        let (ctx, mut data, colors) = demo_page();
        let sku = data.variants[0].sku.clone();
        data.variants[0].on_hand = 0;
        let html = product_page(&ctx, &data, &colors, &Choice { sku: Some(&sku), ..Choice::default() }).into_string();
        assert_eq!(meta(&html, "product:availability"), Some("out of stock"));
        assert_eq!(meta(&html, "product:retailer_item_id"), Some(sku.as_str()));
    }

    #[test]
    #[ignore]
    fn product_page_render_cost() {
        let (ctx, data, colors) = demo_page();
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

#[cfg(test)]
mod structured_data {
    //! The product page's JSON-LD against Google's documented properties for product variants and
    //! merchant listings (https://developers.google.com/search/docs/appearance/structured-data/product-variants,
    //! …/merchant-listing, …/breadcrumb).
    use serde_json::Value;

    use super::*;
    use crate::domain::shipping::Zone;

    fn documents(html: &str) -> Vec<Value> {
        html.split(r#"<script type="application/ld+json">"#).skip(1).map(|rest| serde_json::from_str(&rest[..rest.find("</script>").unwrap()]).unwrap()).collect()
    }

    fn terms() -> OfferTerms {
        let rate = |up_to, fee| Rate { zone: Zone::OtherRegion, method: crate::domain::checkout::ShippingMethod::Standard, up_to_grams: Some(up_to), fee: Vnd::new(fee), eta_min: 3, eta_max: 5 };
        OfferTerms { rates: vec![rate(500, 30_000), rate(2_000, 45_000)], free_from: Vnd::new(1_000_000) }
    }

    #[test]
    fn the_product_is_a_group_of_variants_with_google_required_and_recommended_properties() {
        let (ctx, data, colors) = super::render_cost::demo_page();
        let html = product_page_full(&ctx, &data, &colors, &Choice::default(), &html! {}, None, Some(&terms()), None).into_string();
        let docs = documents(&html);
        let group = docs.iter().find(|d| d["@type"] == "ProductGroup").expect("a ProductGroup");
        for field in ["name", "description", "url", "productGroupID"] {
            assert!(group[field].as_str().is_some_and(|v| !v.is_empty()), "group {field}");
        }
        assert!(group["brand"]["name"].is_string() && group["image"].as_array().is_some_and(|a| !a.is_empty()));
        assert_eq!(group["variesBy"], json!(["https://schema.org/size", "https://schema.org/color"]));
        let variants = group["hasVariant"].as_array().unwrap();
        assert_eq!(variants.len(), data.variants.iter().filter(|v| v.is_active()).count());
        for (v, ld) in data.variants.iter().filter(|v| v.is_active()).zip(variants) {
            assert_eq!(ld["@type"], "Product");
            assert_eq!(ld["sku"], v.sku.as_str());
            assert_eq!(ld["size"], v.size.as_str());
            assert_eq!(ld["inProductGroupWithID"], group["productGroupID"]);
            assert!(ld["color"].as_str().is_some_and(|c| !c.is_empty()) && ld["image"].as_str().is_some_and(|u| u.starts_with("https://")));
            let offer = &ld["offers"];
            assert_eq!(offer["price"], v.price.minor().to_string());
            assert_eq!(offer["priceCurrency"], "VND");
            assert!(offer["url"].as_str().unwrap().contains(&format!("variant={}", v.sku)));
            assert_eq!(offer["availability"], if v.stock().can_buy() { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" });
            assert_eq!(offer["itemCondition"], "https://schema.org/NewCondition");
            let ship = &offer["shippingDetails"];
            assert_eq!(ship["shippingDestination"]["addressCountry"], "VN");
            let fee = ship["shippingRate"]["value"].as_i64().unwrap();
            assert_eq!(fee, if v.price >= Vnd::new(1_000_000) { 0 } else { 30_000 }, "the 300 g parcel's fee, free from the threshold");
            assert_eq!(ship["shippingRate"]["currency"], "VND");
            assert_eq!(ship["deliveryTime"]["transitTime"]["maxValue"], 5);
            let returns = &offer["hasMerchantReturnPolicy"];
            assert_eq!(returns["applicableCountry"], "VN");
            assert_eq!(returns["returnPolicyCategory"], "https://schema.org/MerchantReturnFiniteReturnWindow");
            assert_eq!(returns["merchantReturnDays"], RETURN_DAYS);
        }
        let crumbs = docs.iter().find(|d| d["@type"] == "BreadcrumbList").expect("a BreadcrumbList");
        let items = crumbs["itemListElement"].as_array().unwrap();
        assert!(items.len() >= 2);
        for (i, item) in items.iter().enumerate() {
            assert_eq!(item["position"], i + 1);
            assert!(item["name"].is_string());
        }
        assert!(items[..items.len() - 1].iter().all(|i| i["item"].as_str().is_some_and(|u| u.starts_with("https://"))), "every crumb but the last links its page");
    }

    #[test]
    fn without_the_shipping_terms_the_offers_leave_shipping_out_rather_than_guess() {
        let (ctx, data, colors) = super::render_cost::demo_page();
        let html = product_page_full(&ctx, &data, &colors, &Choice::default(), &html! {}, None, None, None).into_string();
        let group = documents(&html).into_iter().find(|d| d["@type"] == "ProductGroup").unwrap();
        assert!(group["hasVariant"][0]["offers"]["shippingDetails"].is_null());
        assert!(group["hasVariant"][0]["offers"]["hasMerchantReturnPolicy"].is_object());
    }
}

#[cfg(test)]
mod tags {
    use super::*;
    use crate::app::catalog::{tags_sql, TagRow};
    use crate::app::db::Db;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::locale::Locale;

    #[test]
    fn english_pages_show_the_tags_english_names_each_once_and_search_the_stored_tag() {
        let db = Sqlite::demo();
        let slug = db.text("SELECT slug FROM products WHERE id = 18");
        let rows: Vec<TagRow> = block_on(db.all(&tags_sql(&slug))).unwrap();
        let tags: Vec<String> = rows.iter().map(|r| r.tag.clone()).collect();
        let tags_en: Vec<String> = rows.iter().map(|r| r.name_en.clone()).collect();
        let en = shown_tags(&tags, &tags_en, Locale::En);
        assert!(en.contains(&("V-neck", "cổ tim")) && en.contains(&("school", "đi học")), "{en:?}");
        assert!(en.iter().all(|(label, _)| !label.contains(['ổ', 'đ', 'ọ'])), "no Vietnamese left: {en:?}");
        let vi = shown_tags(&tags, &tags_en, Locale::Vi);
        assert!(vi.contains(&("cổ tim", "cổ tim")));
        let (vi_tags, en_tags) = (["công sở".to_string(), "office".to_string()], ["office".to_string(), "office".to_string()]);
        let twice = shown_tags(&vi_tags, &en_tags, Locale::En);
        assert_eq!(twice, [("office", "công sở")]);
    }
}

#[cfg(test)]
mod gallery {
    use super::*;

    #[test]
    fn the_gallery_shows_every_photo_with_the_chosen_colour_first_and_only_the_first_loads_at_once() {
        let (ctx, mut data, colors) = super::render_cost::demo_page();
        data.images.push(ProductImage { url: "img/extra.svg".into(), alt_vi: "Chi tiết".into(), alt_en: "Detail".into(), color: None, width: 800, height: 800, sizes: String::new(), social: None });
        let colours: Vec<String> = data.images.iter().filter_map(|i| i.color.clone()).collect();
        let last = colours.last().expect("photos per colour").clone();
        let chosen = data.variants.iter().find(|v| v.color == last && v.stock().can_buy()).expect("a buyable variant of the last colour").sku.clone();
        let html = product_page(&ctx, &data, &colors, &Choice { sku: Some(&chosen), ..Choice::default() }).into_string();
        let gallery = &html[html.find("<section class=\"gallery\"").unwrap()..html.find("<section class=\"buy\"").unwrap()];
        let photos: Vec<&str> = gallery.split("<figure").skip(1).collect();
        assert_eq!(photos.len(), data.images.len(), "every photo of the product");
        let own = data.images.iter().find(|i| i.color.as_deref() == Some(last.as_str())).unwrap();
        assert!(photos[0].contains(&format!("alt=\"{}\"", own.alt_vi)), "the chosen colour's photo first: {}", photos[0]);
        assert!(photos[0].contains("fetchpriority=\"high\"") && photos[0].contains("loading=\"eager\""));
        assert!(photos[1].contains("alt=\"Chi tiết\""), "then the photos of no colour");
        assert!(photos[1..].iter().all(|p| p.contains("loading=\"lazy\"") && !p.contains("fetchpriority")));
        assert_eq!(gallery.matches("<li><a href=\"#photo-").count(), data.images.len(), "a thumbnail per photo");
    }

    #[test]
    fn an_uploaded_photo_offers_its_smaller_copies_and_is_shared_as_its_crop() {
        let (ctx, mut data, colors) = super::render_cost::demo_page();
        let photo = format!("/media/{}.jpg", "a".repeat(64));
        let sizes = "320 /media/s.webp,1280 /media/l.webp,640 /media/m.webp".to_string();
        let shown = VariantMatrix::new(&data.variants, None, None, None).selected.expect("a buyable variant").color.clone();
        data.images.insert(0, ProductImage { url: photo.clone(), alt_vi: "Ảnh".into(), alt_en: "Photo".into(), color: Some(shown), width: 4000, height: 3000, sizes, social: Some("/media/c.jpg".into()) });
        let html = product_page(&ctx, &data, &colors, &Choice::default()).into_string();
        let set = format!("/media/s.webp 320w, /media/m.webp 640w, /media/l.webp 1280w, {photo} 4000w");
        let first = html.split("<figure").nth(1).unwrap();
        assert!(first.contains(&format!("<img src=\"/media/m.webp\" srcset=\"{set}\" sizes=\"{GALLERY_SIZES}\"")), "{first}");
        assert!(first.contains("width=\"4000\" height=\"3000\"") && first.contains("fetchpriority=\"high\"") && first.contains("loading=\"eager\""));
        assert!(first.contains(&format!("href=\"{photo}\" data-zoom=\"0\" data-srcset=\"{set}\"")), "the lightbox picks from the same copies");
        assert!(html.contains("property=\"og:image\" content=\"https://vestify.vn/media/c.jpg\""), "the crop is the social image");
        assert!(html.contains("property=\"og:image:type\" content=\"image/jpeg\""));
        // The demo's SVG drawings keep a plain src.
        let second = html.split("<figure").nth(2).unwrap();
        assert!(!second.contains("srcset"), "{second}");
        // With Cloudflare's transformations, a photo without copies lists the widths it lacks.
        crate::views::components::set_image_transforms(crate::domain::image_size::Transforms::Cloudflare);
        data.images[0].sizes.clear();
        let html = product_page(&ctx, &data, &colors, &Choice::default()).into_string();
        crate::views::components::set_image_transforms(crate::domain::image_size::Transforms::Off);
        let first = html.split("<figure").nth(1).unwrap();
        assert!(first.contains(&format!("/cdn-cgi/image/width=640,format=auto,fit=scale-down{photo} 640w")), "{first}");
    }
}
