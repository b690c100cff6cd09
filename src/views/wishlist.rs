//! The wishlist's markup (issue 15, docs/WISHLIST.md): the heart on product cards and the product
//! page, the /wishlist page, a shared wishlist's page, and the recently viewed block. Words are
//! local to this module (vi, en).
//!
//! The heart is part of edge-cached pages, so it is the same for every visitor: a plain form that
//! adds the product (it works without JavaScript), rendered unfilled; the script in
//! `public/js/app.js` fills the hearts of wishlisted products from `/wishlist/ids.json` and toggles
//! them in place (`aria-pressed`).

use maud::{html, Markup};

use super::components::{card_grid, price, stock_badge};
use super::layout::{page, Head};
use super::{paths, PageCtx};
use crate::app::wishlist::Item;
use crate::assets;
use crate::domain::catalog::{ProductCard, StockLevel};
use crate::domain::money::Vnd;
use crate::domain::wishlist::Change;

/// The wishlist page.
pub const WISHLIST: &str = "/wishlist";
/// Where the hearts post (field `product`: the slug).
pub const ADD: &str = "/wishlist/add";
pub const REMOVE: &str = "/wishlist/remove";
/// The slugs of the visitor's wishlisted products, for the hearts of a cached page.
pub const IDS: &str = "/wishlist/ids.json";
/// A shared wishlist: `/wishlist/shared/{token}`.
pub const SHARED: &str = "/wishlist/shared";
/// The recently viewed block (POST, field `ids`; `exclude`: the product on the page).
pub const RECENT: &str = "/recently-viewed";

/// The heart of a product: adds it to the wishlist (the script toggles it).
pub fn heart(ctx: &PageCtx, slug: &str, product_id: i64) -> Markup {
    let l = ctx.locale;
    html! {
        form.heart method="post" action=(ctx.href(ADD)) data-wishlist=(slug) data-product-id=(product_id)
            data-add=(l.pick("Thêm vào yêu thích", "Add to wishlist")) data-remove=(l.pick("Bỏ khỏi yêu thích", "Remove from wishlist")) {
            input type="hidden" name="product" value=(slug);
            button type="submit" aria-pressed="false" aria-label=(l.pick("Thêm vào yêu thích", "Add to wishlist")) {
                svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false" {
                    path d="M12 21s-7.5-4.6-9.6-9.2C.9 8.4 3 4.5 6.7 4.5c2.1 0 3.6 1.2 4.4 2.5h1.8c.8-1.3 2.3-2.5 4.4-2.5 3.7 0 5.8 3.9 4.3 7.3C19.5 16.4 12 21 12 21z";
                }
            }
        }
    }
}

fn change_note(ctx: &PageCtx, change: Change) -> Option<(&'static str, String)> {
    let l = ctx.locale;
    let was = |v: i64| Vnd::new(v).format(l);
    Some(match change {
        Change::None => return None,
        Change::PriceDropped { was: w } => ("drop", format!("{} {}", l.pick("Giảm giá! Trước đây", "Price dropped! It was"), was(w))),
        Change::PriceRose { was: w } => ("rise", format!("{} {}", l.pick("Giá đã tăng, trước đây", "Price went up, it was"), was(w))),
        Change::BackInStock => ("back", l.pick("Đã có hàng trở lại", "Back in stock").to_string()),
        Change::SoldOut => ("soldout", l.pick("Đã hết hàng từ khi bạn thêm", "Sold out since you added it").to_string()),
        Change::Unavailable => ("gone", l.pick("Sản phẩm không còn bán", "No longer sold").to_string()),
    })
}

/// What a wishlist page says at the top after a change without JavaScript (`?done=`).
pub fn notice(ctx: &PageCtx, code: &str) -> Option<&'static str> {
    let l = ctx.locale;
    Some(match code {
        "added" => l.pick("Đã thêm vào danh sách yêu thích.", "Added to your wishlist."),
        "removed" => l.pick("Đã bỏ khỏi danh sách yêu thích.", "Removed from your wishlist."),
        "full" => l.pick("Danh sách yêu thích đã đủ 50 sản phẩm. Hãy bỏ bớt để thêm sản phẩm mới.", "Your wishlist holds 50 products, its limit. Remove one to add another."),
        _ => return None,
    })
}

/// `/wishlist`: each product with its price and stock now, what changed since it was added, remove,
/// add to cart (a product with one variant) or choose its size; and the share link.
pub fn wishlist_page(ctx: &PageCtx, items: &[Item], share_url: Option<&str>, signed_in: bool, notice: Option<&str>) -> Markup {
    let l = ctx.locale;
    let title = l.pick("Danh sách yêu thích", "Wishlist");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    page(ctx, head, html! {
        section.wishlist {
            h1 { (title) }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if items.is_empty() {
                p.empty { (l.pick("Chưa có sản phẩm nào. Bấm vào trái tim trên sản phẩm để lưu lại.", "Nothing here yet. Tap the heart on a product to keep it here.")) }
                p { a href=(ctx.href("/")) { (l.pick("Tiếp tục mua sắm", "Continue shopping")) } }
            } @else {
                @if !signed_in {
                    p.hint { (l.pick("Danh sách này được lưu trên thiết bị này. ", "This list is kept on this device. "))
                        a href=(format!("{}?return={}", ctx.href("/account/login"), crate::domain::listing::percent_encode(&ctx.href(WISHLIST)))) { (l.pick("Đăng nhập", "Sign in")) }
                        (l.pick(" để giữ nó trong tài khoản và nhận thông báo giảm giá.", " to keep it in your account and get price-drop alerts.")) }
                }
                ul.wishlist-items {
                    @for item in items { li { (wish_item(ctx, item)) } }
                }
                @if let Some(url) = share_url {
                    section.wishlist-share {
                        h2 { (l.pick("Chia sẻ danh sách", "Share this list")) }
                        p { (l.pick("Ai có liên kết này đều xem được danh sách (chỉ xem, không sửa).", "Anyone with this link can see the list (view only).")) }
                        input.share-link type="url" readonly value=(url) aria-label=(l.pick("Liên kết chia sẻ", "Share link"));
                    }
                }
            }
        }
    })
}

fn wish_item(ctx: &PageCtx, item: &Item) -> Markup {
    let l = ctx.locale;
    let p = &item.product;
    let name = l.pick(&p.name_vi, &p.name_en);
    let href = ctx.href(&paths::product(&p.slug));
    let sellable = p.sellable();
    let stock = if p.available > 0 { StockLevel::InStock } else { StockLevel::OutOfStock };
    html! {
        article.wish-item data-product=(p.slug) {
            a href=(href) {
                @if let Some(url) = &p.image { img src=(assets::url(url)) alt="" width="120" height="120" loading="lazy" decoding="async"; }
                h3 { (name) }
            }
            @if sellable {
                p { (price(ctx, Vnd::new(p.price.unwrap_or(0)).into(), None)) }
                p { (stock_badge(ctx, stock)) }
            }
            @if let Some((code, text)) = change_note(ctx, item.change) { p.change data-change=(code) { (text) } }
            div.wish-actions {
                @if sellable && p.available > 0 {
                    @match (p.only_variant, &p.only_sku) {
                        (Some(variant), Some(sku)) => {
                            form method="post" action=(ctx.href(paths::CART_ITEMS)) {
                                (super::security::csrf_field())
                                input type="hidden" name="variant_id" value=(variant);
                                input type="hidden" name="sku" value=(sku);
                                input type="hidden" name="quantity" value="1";
                                button type="submit" { (ctx.t().add_to_cart) }
                            }
                        }
                        _ => { a.button href=(href) { (l.pick("Chọn size và thêm vào giỏ", "Choose a size and add to cart")) } }
                    }
                }
                form method="post" action=(ctx.href(REMOVE)) {
                    input type="hidden" name="product" value=(p.slug);
                    button.link type="submit" { (l.pick("Bỏ khỏi danh sách", "Remove")) }
                }
            }
        }
    }
}

/// A shared wishlist: its products on sale now, read only.
pub fn shared_page(ctx: &PageCtx, cards: &[ProductCard]) -> Markup {
    let l = ctx.locale;
    let title = l.pick("Danh sách yêu thích được chia sẻ", "A shared wishlist");
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    page(ctx, head, html! {
        section.wishlist.shared {
            h1 { (title) }
            @if cards.is_empty() {
                p.empty { (l.pick("Các sản phẩm trong danh sách này không còn bán.", "The products of this list are no longer sold.")) }
            } @else {
                (card_grid(ctx, cards))
            }
        }
    })
}

/// The recently viewed block (the script puts it in place; nothing without JavaScript).
pub fn recent_block(ctx: &PageCtx, cards: &[ProductCard]) -> Markup {
    html! {
        @if !cards.is_empty() {
            section.related.recently-viewed aria-labelledby="recently-viewed-title" {
                h2 #recently-viewed-title { (ctx.locale.pick("Sản phẩm đã xem", "Recently viewed")) }
                (card_grid(ctx, cards))
            }
        }
    }
}

/// Where the recently viewed block goes on a page (filled by the script).
pub fn recent_slot(ctx: &PageCtx, exclude: Option<i64>) -> Markup {
    html! { div.recent-slot data-recent=(ctx.href(RECENT)) data-exclude=[exclude] {} }
}
