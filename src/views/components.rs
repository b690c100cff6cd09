//! Small pieces shared by pages: prices, stock badges, product cards, breadcrumbs, pagination.

use maud::{html, Markup};

use super::{paths, PageCtx};
use crate::assets;
use crate::domain::catalog::{ProductCard, StockLevel};
use crate::domain::image_size;
use crate::domain::money::Money;

/// A price, with the compare-at price struck through and the saving when on sale.
pub fn price(ctx: &PageCtx, price: Money, compare_at: Option<Money>) -> Markup {
    let t = ctx.t();
    html! {
        span.price {
            @if let Some(was) = compare_at {
                span.now.sale { (price.format(ctx.locale)) }
                " "
                s.was { span.visually-hidden { (t.was) ": " } (was.format(ctx.locale)) }
                @if let Some(pct) = price.percent_off_from(was) {
                    " " span.badge.sale-badge { "−" (pct) "%" }
                }
            } @else {
                span.now { (price.format(ctx.locale)) }
            }
        }
    }
}

pub fn stock_badge(ctx: &PageCtx, level: StockLevel) -> Markup {
    let t = ctx.t();
    html! {
        @match level {
            StockLevel::OutOfStock => span.stock.out data-stock="out" { (t.out_of_stock) },
            StockLevel::Low(n) => span.stock.low data-stock="low" { ((t.only_left)(n)) },
            StockLevel::InStock => span.stock.ok data-stock="in" { (t.in_stock) },
        }
    }
}

/// A product in a grid. The image has an empty `alt`: the product name beside it already names the
/// link, and a described image would make a screen reader announce every card twice.
pub fn product_card(ctx: &PageCtx, card: &ProductCard) -> Markup {
    card_at(ctx, card, ImageLoad::Lazy)
}

/// How wide a card's image is drawn: a grid of two columns on a phone, three, then four.
const CARD_SIZES: &str = "(min-width: 1000px) 25vw, (min-width: 700px) 33vw, 50vw";

/// An image's `src` and `srcset` (`domain::image_size::sources`): a file of the build by its
/// fingerprinted URL, an uploaded photo with its stored smaller copies (`sizes`, packed
/// `width url,…`) and, with `IMAGE_TRANSFORMS=cloudflare`, Cloudflare's transformations for the
/// widths it has no copy of.
pub fn image_sources(url: &str, width: i64, sizes: &str) -> (String, Option<String>) {
    let transforms = TRANSFORMS.with(std::cell::Cell::get);
    let (src, srcset) = image_size::sources(url, width, &image_size::unpack(sizes), transforms);
    (assets::url(&src), srcset)
}

thread_local! {
    static TRANSFORMS: std::cell::Cell<image_size::Transforms> = const { std::cell::Cell::new(image_size::Transforms::Off) };
}

/// The isolate's `IMAGE_TRANSFORMS` (fixed for its life, like all configuration), set by the router
/// before anything is rendered.
pub fn set_image_transforms(transforms: image_size::Transforms) {
    TRANSFORMS.with(|t| t.set(transforms));
}

/// How a card's image loads. A listing's first cards are above the fold on every screen: loading
/// them lazily would hold back the page's largest paint, and the very first is that paint (its fetch
/// goes first: `fetchpriority="high"`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ImageLoad {
    Main,
    Eager,
    Lazy,
}

impl ImageLoad {
    /// The cards of a category or search listing by position: one row of four on a wide screen, two
    /// rows of two on a phone.
    pub fn in_listing(position: usize) -> ImageLoad {
        match position {
            0 => ImageLoad::Main,
            1..=3 => ImageLoad::Eager,
            _ => ImageLoad::Lazy,
        }
    }
}

fn card_at(ctx: &PageCtx, card: &ProductCard, load: ImageLoad) -> Markup {
    let name = card.name(ctx.locale);
    html! {
        article.card data-product=(card.slug) {
            a href=(match &card.variant {
                Some(sku) => format!("{}?variant={}", ctx.href(&paths::product(&card.slug)), crate::domain::listing::percent_encode_component(sku)),
                None => ctx.href(&paths::product(&card.slug)),
            }) {
                @if let Some(url) = &card.image_url {
                    @let (src, srcset) = image_sources(url, card.image_width, &card.image_sizes);
                    img src=(src) srcset=[srcset.as_deref()] sizes=[srcset.as_ref().map(|_| CARD_SIZES)] alt="" width="400" height="400"
                        loading=(if load == ImageLoad::Lazy { "lazy" } else { "eager" })
                        fetchpriority=[(load == ImageLoad::Main).then_some("high")] decoding="async";
                }
                h3 { (name) }
            }
            p { (price(ctx, card.price(), card.compare_at())) }
            (super::wishlist::heart(ctx, &card.slug, card.id))
            (super::reviews::card_rating(ctx.locale, card.rating.as_ref()))
            @if card.stock() != StockLevel::InStock {
                p { (stock_badge(ctx, card.stock())) }
            }
        }
    }
}

/// A category's or a search's grid: its first images load at once (`ImageLoad::in_listing`).
pub fn listing_grid(ctx: &PageCtx, cards: &[ProductCard]) -> Markup {
    html! {
        ul.grid {
            @for (i, card) in cards.iter().enumerate() {
                li { (card_at(ctx, card, ImageLoad::in_listing(i))) }
            }
        }
    }
}

pub fn card_grid(ctx: &PageCtx, cards: &[ProductCard]) -> Markup {
    html! {
        ul.grid {
            @for card in cards {
                li { (product_card(ctx, card)) }
            }
        }
    }
}

/// A colour dot. An SVG `fill` attribute rather than an inline style, which the CSP forbids.
pub fn swatch(hex: &str) -> Markup {
    html! {
        svg.swatch width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" {
            circle cx="8" cy="8" r="7" fill=(hex) stroke="#0003" stroke-width="1" {}
        }
    }
}

/// Breadcrumb trail; the last item is the current page and is not a link.
pub fn breadcrumbs(ctx: &PageCtx, trail: &[(String, String)]) -> Markup {
    html! {
        nav.breadcrumbs aria-label=(ctx.t().breadcrumb) {
            ol {
                @for (i, (name, path)) in trail.iter().enumerate() {
                    @if i + 1 == trail.len() {
                        li aria-current="page" { (name) }
                    } @else {
                        li { a href=(ctx.href(path)) { (name) } }
                    }
                }
            }
        }
    }
}

/// Previous / numbered / next links; `link(page)` builds each page's URL.
pub fn pagination(ctx: &PageCtx, page: u32, pages: u32, link: impl Fn(u32) -> String) -> Markup {
    let t = ctx.t();
    let window = pages_to_show(page, pages);
    html! {
        @if pages > 1 {
            nav.pagination aria-label=(t.pagination) {
                @if page > 1 {
                    a rel="prev" href=(link(page - 1)) { "‹ " (t.previous) }
                }
                @for (i, p) in window.iter().enumerate() {
                    @if i > 0 && window[i - 1] + 1 != *p { span.gap { "…" } }
                    @if *p == page {
                        span aria-current="page" { (p) }
                    } @else {
                        a href=(link(*p)) aria-label=((t.page_of)(*p, pages)) { (p) }
                    }
                }
                @if page < pages {
                    a rel="next" href=(link(page + 1)) { (t.next) " ›" }
                }
            }
        }
    }
}

/// First, last, and two either side of the current page.
fn pages_to_show(page: u32, pages: u32) -> Vec<u32> {
    let mut shown: Vec<u32> = (1..=pages)
        .filter(|p| *p == 1 || *p == pages || p.abs_diff(page) <= 2)
        .collect();
    shown.dedup();
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_shows_ends_and_neighbours() {
        assert_eq!(pages_to_show(1, 1), [1]);
        assert_eq!(pages_to_show(1, 10), [1, 2, 3, 10]);
        assert_eq!(pages_to_show(6, 10), [1, 4, 5, 6, 7, 8, 10]);
        assert_eq!(pages_to_show(10, 10), [1, 8, 9, 10]);
    }
}
