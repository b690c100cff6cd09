//! The page shell: head (SEO, OpenGraph, hreflang), header with search and navigation, footer.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::PageCtx;
use crate::assets;
use crate::domain::locale::Locale;
use crate::domain::shop_info::InfoPage;
use crate::views::paths;

/// What a page tells search engines and social networks about itself.
#[derive(Default)]
pub struct Head {
    pub title: String,
    pub description: String,
    /// Absolute canonical URL; `None` for pages that should not be indexed at all.
    pub canonical: Option<String>,
    pub noindex: bool,
    /// Absolute URL of the page's social image for OpenGraph / Twitter cards: always a 1200 × 630
    /// raster image (`domain::sharing`), which the tags declare.
    pub image: Option<String>,
    /// The social image's text alternative (`og:image:alt`, `twitter:image:alt`).
    pub image_alt: String,
    /// More OpenGraph properties (`product:price:amount`…), in order.
    pub og_extra: Vec<(&'static str, String)>,
    /// `website` or `product`.
    pub og_type: &'static str,
    /// JSON-LD documents, already serialised with `seo::json_ld`.
    pub json_ld: Vec<String>,
    /// The page's e-commerce events for the tags (`views::consent::event`), pushed by the script
    /// once the shopper has chosen; nothing is rendered without a configured tag.
    pub events: Vec<serde_json::Value>,
}

pub fn page(ctx: &PageCtx, head: Head, main: Markup) -> Markup {
    let t = ctx.t();
    // An SEO title an owner wrote may already name the shop; never say it twice.
    let full_title = if head.title.is_empty() {
        format!("{} — {}", t.shop_name, t.tagline)
    } else if head.title.ends_with(t.shop_name) {
        head.title.clone()
    } else {
        format!("{} | {}", head.title, t.shop_name)
    };
    let og_type = if head.og_type.is_empty() { "website" } else { head.og_type };
    html! {
        (DOCTYPE)
        html lang=(ctx.locale.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                meta name="description" content=(head.description);
                @if head.noindex {
                    meta name="robots" content="noindex, follow";
                }
                @if let Some(canonical) = &head.canonical {
                    link rel="canonical" href=(canonical);
                }
                @for locale in Locale::ALL {
                    link rel="alternate" hreflang=(locale.code()) href=(ctx.absolute(&ctx.in_locale(locale)));
                }
                link rel="alternate" hreflang="x-default" href=(ctx.absolute(&ctx.in_locale(Locale::Vi)));
                meta property="og:site_name" content=(t.shop_name);
                meta property="og:type" content=(og_type);
                meta property="og:title" content=(if head.title.is_empty() { full_title.as_str() } else { head.title.as_str() });
                meta property="og:description" content=(head.description);
                meta property="og:locale" content=(ctx.locale.og_locale());
                meta property="og:locale:alternate" content=(ctx.locale.other().og_locale());
                @if let Some(url) = &head.canonical {
                    meta property="og:url" content=(url);
                }
                @if let Some(image) = &head.image {
                    meta property="og:image" content=(image);
                    meta property="og:image:type" content=(if image.ends_with(".png") { "image/png" } else { "image/jpeg" });
                    meta property="og:image:width" content=(crate::domain::sharing::SOCIAL_WIDTH);
                    meta property="og:image:height" content=(crate::domain::sharing::SOCIAL_HEIGHT);
                    meta property="og:image:alt" content=(head.image_alt);
                    meta name="twitter:image" content=(image);
                    meta name="twitter:image:alt" content=(head.image_alt);
                }
                @for (property, content) in &head.og_extra {
                    meta property=(property) content=(content);
                }
                meta name="twitter:card" content="summary_large_image";
                meta name="twitter:title" content=(if head.title.is_empty() { full_title.as_str() } else { head.title.as_str() });
                meta name="twitter:description" content=(head.description);
                meta name="theme-color" content=(super::pwa::THEME_COLOR);
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
                link rel="manifest" href=(super::pwa::MANIFEST_PATH);
                link rel="apple-touch-icon" href=(assets::url("img/pwa/icon-192.png"));
                link rel="stylesheet" href=(assets::url("css/app.css"));
                @for doc in &head.json_ld {
                    script type="application/ld+json" { (PreEscaped(doc)) }
                }
                (super::consent::events_script(&head.events))
                script src=(assets::url("js/app.js")) nonce=(super::security::nonce()) defer {}
            }
            body {
                a.skip-link href="#main" { (t.skip_to_content) }
                (super::consent::banner(ctx))
                (header(ctx))
                main #main tabindex="-1" { (main) }
                (footer(ctx))
            }
        }
    }
}

fn header(ctx: &PageCtx) -> Markup {
    let t = ctx.t();
    let q = crate::domain::listing::parse_query(&ctx.query)
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v)
        .unwrap_or_default();
    // The top-level category holding the current listing is marked too, so a shopper on a
    // subcategory still sees where they are in the navigation.
    let section: Vec<i64> = ctx
        .categories
        .iter()
        .find(|c| ctx.path == paths::category(&c.slug))
        .map(|c| c.ancestry(&ctx.categories).iter().map(|a| a.id).collect())
        .unwrap_or_default();
    let current = |c: &crate::domain::catalog::Category| {
        if ctx.path == paths::category(&c.slug) {
            Some("page")
        } else if section.contains(&c.id) {
            Some("true")
        } else {
            None
        }
    };
    html! {
        header.site-header {
            div.bar {
                a.logo href=(ctx.href("/")) aria-label=(format!("{} — {}", t.shop_name, t.home)) {
                    img src=(assets::url("img/logo.svg")) alt="" width="32" height="32";
                    span { (t.shop_name) }
                }
                form.search role="search" action=(ctx.href(paths::SEARCH)) method="get" {
                    label.visually-hidden for="site-search" { (t.search) }
                    input #site-search type="search" name="q" value=(q) placeholder=(t.search_placeholder)
                        maxlength="100" autocomplete="off" enterkeyhint="search";
                    button type="submit" { (t.search_button) }
                }
                // Not a landmark: four links (language, account, wishlist, cart) are not a navigation section, and a
                // "Language" label would misname the other links inside it.
                div.utility {
                    a.lang href=(ctx.in_locale(ctx.locale.other())) hreflang=(ctx.locale.other().code())
                        lang=(ctx.locale.other().code()) { (t.switch_to) }
                    // The same link for everyone: cached pages never say who is signed in.
                    a.account-link href=(ctx.href(super::account::paths::ACCOUNT)) { (super::account_i18n::account_t(ctx.locale).account) }
                    // The count comes from /wishlist/ids.json (public/js/app.js): the cached page holds none.
                    a.wishlist-link href=(ctx.href(super::wishlist::WISHLIST)) aria-label=(ctx.locale.pick("Danh sách yêu thích", "Wishlist")) {
                        span aria-hidden="true" { "♡" } span.wishlist-count data-wishlist-count="" {}
                    }
                    a.cart-link href=(ctx.href(paths::CART)) { (t.cart) span.cart-count data-cart-count="" {} }
                }
            }
            // Subcategories are a hover (or focus) away on a desktop, in a dropdown under their
            // parent; on a phone the row of top categories scrolls and a drawer holds the whole tree.
            // No script: `details` opens the drawer, CSS the dropdowns.
            nav.categories aria-label=(t.nav_label) {
                div.nav-inner {
                    details.nav-drawer {
                        summary { span.burger aria-hidden="true" {} (ctx.locale.pick("Danh mục", "Categories")) }
                        ul.drawer {
                            @for c in ctx.top_categories() {
                                li {
                                    a href=(ctx.href(&paths::category(&c.slug))) aria-current=[current(c)] { (c.name(ctx.locale)) }
                                    @let children: Vec<_> = ctx.children_of(c.id).collect();
                                    @if !children.is_empty() {
                                        ul {
                                            @for s in children {
                                                li { a href=(ctx.href(&paths::category(&s.slug))) aria-current=[current(s)] { (s.name(ctx.locale)) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    ul.menu {
                        @for c in ctx.top_categories() {
                            @let children: Vec<_> = ctx.children_of(c.id).collect();
                            li class=[(!children.is_empty()).then_some("has-sub")] {
                                a href=(ctx.href(&paths::category(&c.slug))) aria-current=[current(c)] { (c.name(ctx.locale)) }
                                @if !children.is_empty() {
                                    ul.submenu {
                                        @for s in children {
                                            li { a href=(ctx.href(&paths::category(&s.slug))) aria-current=[current(s)] { (s.name(ctx.locale)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The footer's policy links, in order, with their labels.
fn policy_links(locale: Locale) -> [(InfoPage, &'static str); 4] {
    [
        (InfoPage::Shipping, locale.pick("Giao hàng toàn quốc", "Nationwide delivery")),
        (InfoPage::Returns, locale.pick("Đổi trả trong 30 ngày", "30-day returns")),
        (InfoPage::Privacy, locale.pick("Chính sách bảo mật", "Privacy policy")),
        (InfoPage::Terms, locale.pick("Điều khoản sử dụng", "Terms of use")),
    ]
}

fn footer(ctx: &PageCtx) -> Markup {
    let t = ctx.t();
    let shop = &ctx.shop;
    let l = ctx.locale;
    html! {
        footer.site-footer {
            div.cols {
                div.footer-shop {
                    p { strong { (t.shop_name) } }
                    p { (t.footer_about) }
                    address {
                        @if let Some((shown, tel)) = shop.hotline_display() {
                            p { (l.pick("Hotline: ", "Hotline: ")) a.footer-link href=(tel) { (shown) } }
                        }
                        @if !shop.zalo_url.is_empty() || !shop.messenger_url.is_empty() || !shop.email.is_empty() {
                            p.contact-links {
                                @if !shop.zalo_url.is_empty() {
                                    a.footer-link href=(shop.zalo_url) rel="noopener" { (l.pick("Chat Zalo", "Chat on Zalo")) }
                                }
                                @if !shop.messenger_url.is_empty() {
                                    a.footer-link href=(shop.messenger_url) rel="noopener" { (l.pick("Chat Messenger", "Chat on Messenger")) }
                                }
                                @if !shop.email.is_empty() {
                                    a.footer-link href=(format!("mailto:{}", shop.email)) { (shop.email) }
                                }
                            }
                        }
                        @if !shop.address(l).is_empty() {
                            p { (shop.address(l)) }
                        }
                    }
                }
                nav aria-label=(l.pick("Hỗ trợ khách hàng", "Customer help")) {
                    ul.footer-policies {
                        @for (page, label) in policy_links(l) {
                            li { a href=(ctx.href(&page.path())) { (label) } }
                        }
                        li { a href=(ctx.href(super::tracking::LOOKUP_PATH)) { (l.pick("Tra cứu đơn hàng", "Find your order")) } }
                        (super::consent::settings_button(ctx))
                    }
                }
                div.footer-newsletter {
                    (super::notify::newsletter_form(ctx))
                }
                // A different name from the header's category navigation: two landmarks with one name
                // cannot be told apart in a screen reader's landmark list.
                nav aria-label=(t.browse_categories) {
                    ul {
                        @for c in &ctx.categories {
                            li { a href=(ctx.href(&paths::category(&c.slug))) { (c.name(ctx.locale)) } }
                        }
                    }
                }
            }
            @if !shop.registration(l).is_empty() || !shop.notice_url.is_empty() {
                div.legal {
                    @if !shop.registration(l).is_empty() { p { (shop.registration(l)) } }
                    @if !shop.notice_url.is_empty() {
                        p { a.footer-link.notice href=(shop.notice_url) rel="noopener" { (l.pick("Đã thông báo Bộ Công Thương", "Registered with the Ministry of Industry and Trade")) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Category;
    use crate::domain::shop_info::ShopInfo;

    fn category(id: i64, parent: Option<i64>, slug: &str, name: &str) -> Category {
        Category { id, parent_id: parent, slug: slug.into(), path: slug.into(), name_vi: name.into(), name_en: format!("{name} EN"), description_vi: String::new(), description_en: String::new(), image_path: None, sort_order: id, featured: 0 }
    }

    fn ctx(locale: Locale) -> PageCtx {
        let categories = vec![category(1, None, "gile", "Áo gile"), category(2, Some(1), "gile-phao", "Áo gile phao"), category(3, None, "vest", "Vest")];
        let shop = ShopInfo {
            hotline: "+842838241234".into(),
            email: "hotro@vestify.vn".into(),
            zalo_url: "https://zalo.me/842838241234".into(),
            messenger_url: "https://m.me/vestify.vn".into(),
            address_vi: "12 Lê Thánh Tôn".into(),
            address_en: "12 Le Thanh Ton Street".into(),
            registration_vi: "MSDN 0312345678".into(),
            registration_en: "Enterprise code 0312345678".into(),
            notice_url: "https://online.gov.vn/Home/WebDetails/1".into(),
        };
        PageCtx { locale, path: "/c/gile-phao".into(), query: String::new(), origin: "https://vestify.vn".into(), categories, shop }
    }

    #[test]
    fn the_footer_tells_how_to_reach_the_shop_and_links_every_policy_page() {
        let html = page(&ctx(Locale::Vi), Head::default(), html! {}).into_string();
        let footer = &html[html.find("<footer").unwrap()..];
        for needle in [
            r#"href="tel:+842838241234">028 3824 1234</a>"#,
            r#"href="https://zalo.me/842838241234""#,
            r#"href="https://m.me/vestify.vn""#,
            "12 Lê Thánh Tôn",
            r#"<a href="/pages/returns">Đổi trả trong 30 ngày</a>"#,
            r#"href="/pages/shipping""#,
            r#"href="/pages/privacy""#,
            r#"href="/pages/terms""#,
            "MSDN 0312345678",
            "Đã thông báo Bộ Công Thương",
        ] {
            assert!(footer.contains(needle), "{needle} not in {footer}");
        }
        let en = page(&ctx(Locale::En), Head::default(), html! {}).into_string();
        assert!(en.contains(r#"<a href="/en/pages/returns">30-day returns</a>"#) && en.contains("12 Le Thanh Ton Street"));
        // Nothing configured: no empty links or labels.
        let bare = PageCtx { shop: ShopInfo::default(), ..ctx(Locale::Vi) };
        let bare = page(&bare, Head::default(), html! {}).into_string();
        assert!(!bare.contains("tel:") && !bare.contains("Bộ Công Thương") && !bare.contains("zalo"));
    }

    #[test]
    fn the_header_links_the_wishlist_with_an_empty_count_for_the_script_to_fill() {
        for (locale, href, label) in [(Locale::Vi, "/wishlist", "Danh sách yêu thích"), (Locale::En, "/en/wishlist", "Wishlist")] {
            let html = page(&ctx(locale), Head::default(), html! {}).into_string();
            let header = &html[html.find("<header").unwrap()..html.find("</header>").unwrap()];
            let link = format!(r#"<a class="wishlist-link" href="{href}" aria-label="{label}"><span aria-hidden="true">♡</span><span class="wishlist-count" data-wishlist-count=""></span></a>"#);
            assert!(header.contains(&link), "{header}");
        }
    }

    #[test]
    fn the_menu_shows_subcategories_under_their_parent_in_the_dropdown_and_the_drawer() {
        let html = page(&ctx(Locale::Vi), Head::default(), html! {}).into_string();
        let nav = &html[html.find("<nav class=\"categories\"").unwrap()..html.find("</header>").unwrap()];
        let menu = &nav[nav.find("<ul class=\"menu\">").unwrap()..];
        assert!(menu.contains(r#"<li class="has-sub"><a href="/c/gile" aria-current="true">Áo gile</a><ul class="submenu"><li><a href="/c/gile-phao" aria-current="page">Áo gile phao</a></li></ul></li>"#), "{menu}");
        assert!(menu.contains(r#"<li><a href="/c/vest">Vest</a></li>"#), "a category without children has no dropdown: {menu}");
        let drawer = &nav[nav.find("<details class=\"nav-drawer\">").unwrap()..nav.find("<ul class=\"menu\">").unwrap()];
        assert!(drawer.contains("<summary>") && drawer.contains(r#"href="/c/gile-phao""#), "{drawer}");
    }
}
