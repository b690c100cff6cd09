//! The page shell: head (SEO, OpenGraph, hreflang), header with search and navigation, footer.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::PageCtx;
use crate::assets;
use crate::domain::locale::Locale;
use crate::views::paths;

/// What a page tells search engines and social networks about itself.
#[derive(Default)]
pub struct Head {
    pub title: String,
    pub description: String,
    /// Absolute canonical URL; `None` for pages that should not be indexed at all.
    pub canonical: Option<String>,
    pub noindex: bool,
    /// Absolute image URL for OpenGraph / Twitter cards.
    pub image: Option<String>,
    /// `website` or `product`.
    pub og_type: &'static str,
    /// JSON-LD documents, already serialised with `seo::json_ld`.
    pub json_ld: Vec<String>,
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
                    meta name="twitter:image" content=(image);
                }
                meta name="twitter:card" content="summary_large_image";
                meta name="theme-color" content="#1f3a5f";
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("css/app.css"));
                @for doc in &head.json_ld {
                    script type="application/ld+json" { (PreEscaped(doc)) }
                }
                script src=(assets::url("js/app.js")) nonce=(super::security::nonce()) defer {}
            }
            body {
                a.skip-link href="#main" { (t.skip_to_content) }
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
                // Not a landmark: three links (language, account, cart) are not a navigation section, and a
                // "Language" label would misname the other links inside it.
                div.utility {
                    a.lang href=(ctx.in_locale(ctx.locale.other())) hreflang=(ctx.locale.other().code())
                        lang=(ctx.locale.other().code()) { (t.switch_to) }
                    // The same link for everyone: cached pages never say who is signed in.
                    a.account-link href=(ctx.href(super::account::paths::ACCOUNT)) { (super::account_i18n::account_t(ctx.locale).account) }
                    a.cart-link href=(ctx.href(paths::CART)) { (t.cart) span.cart-count data-cart-count="" {} }
                }
            }
            nav.categories aria-label=(t.nav_label) {
                ul {
                    @for c in ctx.top_categories() {
                        li {
                            a href=(ctx.href(&paths::category(&c.slug))) aria-current=[current(c)] { (c.name(ctx.locale)) }
                        }
                    }
                }
            }
        }
    }
}

fn footer(ctx: &PageCtx) -> Markup {
    let t = ctx.t();
    html! {
        footer.site-footer {
            div.cols {
                div {
                    p { strong { (t.shop_name) } }
                    p { (t.footer_about) }
                    p { (t.footer_shipping) }
                    p { (t.footer_contact) }
                    p { a.footer-link href=(ctx.href(super::tracking::LOOKUP_PATH)) { (ctx.locale.pick("Tra cứu đơn hàng", "Find your order")) } }
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
        }
    }
}
