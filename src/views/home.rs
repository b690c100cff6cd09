//! The home page: hero, featured categories, new arrivals and best sellers.

use maud::{html, Markup};
use serde_json::json;

use super::components::card_grid;
use super::layout::{page, Head};
use super::{paths, seo, PageCtx};
use crate::assets;
use crate::domain::catalog::ProductCard;

pub struct HomeData {
    pub new_arrivals: Vec<ProductCard>,
    pub best_sellers: Vec<ProductCard>,
}

pub fn home(ctx: &PageCtx, data: &HomeData) -> Markup {
    let t = ctx.t();
    let featured: Vec<_> = ctx.categories.iter().filter(|c| c.featured != 0).collect();
    let site = json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": t.shop_name,
        "url": ctx.absolute(&ctx.href("/")),
        "inLanguage": ctx.locale.lang_tag(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": format!("{}?q={{search_term_string}}", ctx.absolute(&ctx.href(paths::SEARCH))),
            "query-input": "required name=search_term_string"
        }
    });
    let org = json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": t.shop_name,
        "url": ctx.absolute("/"),
        "logo": ctx.absolute(&assets::url("img/pwa/icon-512.png")),
        "contactPoint": {
            "@type": "ContactPoint",
            "contactType": "customer service",
            "areaServed": "VN",
            "availableLanguage": ["vi", "en"],
        },
    });
    // The footer's contacts, as managers set them (`/admin/shop-info`), where they are set.
    let mut org = org;
    for (field, value) in [("email", &ctx.shop.email), ("telephone", &ctx.shop.hotline)] {
        if !value.is_empty() {
            org[field] = json!(value);
            org["contactPoint"][field] = json!(value);
        }
    }
    let head = Head {
        title: String::new(),
        description: t.hero_text.to_string(),
        canonical: Some(ctx.absolute(&ctx.href("/"))),
        image: Some(seo::social_image(ctx, None)),
        image_alt: format!("{} — {}", t.shop_name, t.tagline),
        json_ld: vec![seo::json_ld(&site), seo::json_ld(&org)],
        ..Head::default()
    };
    let main = html! {
        section.hero {
            div.hero-text {
                h1 { (t.hero_title) }
                p { (t.hero_text) }
                a.button href="#new-arrivals" { (t.hero_cta) }
            }
            img src=(assets::url("img/hero.svg")) alt="" width="800" height="600" fetchpriority="high";
        }
        @if !featured.is_empty() {
            section aria-labelledby="featured-title" {
                h2 #featured-title { (t.featured_categories) }
                ul.category-tiles {
                    @for c in &featured {
                        li {
                            a href=(ctx.href(&paths::category(&c.slug))) {
                                @if let Some(img) = &c.image_path {
                                    // Not lazy: the tiles sit on the first screen of a desktop, where a
                                    // lazy image stays blank until layout has run.
                                    img src=(assets::url(img)) alt="" width="300" height="300" decoding="async";
                                }
                                span { (c.name(ctx.locale)) }
                            }
                        }
                    }
                }
            }
        }
        section #new-arrivals aria-labelledby="new-title" {
            h2 #new-title { (t.new_arrivals) }
            (card_grid(ctx, &data.new_arrivals))
        }
        section #best-sellers aria-labelledby="best-title" {
            h2 #best-title { (t.best_sellers) }
            (card_grid(ctx, &data.best_sellers))
        }
    };
    page(ctx, head, main)
}

#[cfg(test)]
mod structured_data {
    use super::*;
    use crate::domain::locale::Locale;

    #[test]
    fn the_organization_names_its_logo_and_customer_service_contact() {
        let shop = crate::domain::shop_info::ShopInfo { email: "hotro@shop.test".into(), hotline: "+842838241234".into(), ..Default::default() };
        let ctx = PageCtx { locale: Locale::Vi, path: "/".into(), query: String::new(), origin: "https://shop.test".into(), categories: vec![], shop };
        let html = home(&ctx, &HomeData { new_arrivals: vec![], best_sellers: vec![] }).into_string();
        let org: serde_json::Value = html
            .split(r#"<script type="application/ld+json">"#)
            .skip(1)
            .map(|rest| serde_json::from_str::<serde_json::Value>(&rest[..rest.find("</script>").unwrap()]).unwrap())
            .find(|d| d["@type"] == "Organization")
            .expect("an Organization");
        assert_eq!(org["url"], "https://shop.test/");
        assert!(org["logo"].as_str().unwrap().starts_with("https://shop.test/static/img/pwa/icon-512."));
        let contact = &org["contactPoint"];
        assert_eq!(contact["@type"], "ContactPoint");
        assert_eq!(contact["contactType"], "customer service");
        assert_eq!(contact["email"], "hotro@shop.test", "the footer's address");
        assert_eq!(contact["telephone"], "+842838241234", "the footer's hotline");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Category;
    use crate::domain::locale::Locale;

    #[test]
    fn category_tiles_on_the_first_screen_are_not_lazy_loaded() {
        let tile = Category { id: 1, parent_id: None, slug: "gile-phao".into(), path: "/gile-phao/".into(), name_vi: "Áo gile phao".into(), name_en: "Puffer vests".into(), description_vi: String::new(), description_en: String::new(), image_path: Some("img/hero.svg".into()), sort_order: 1, featured: 1 };
        let ctx = PageCtx { locale: Locale::Vi, path: "/".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: vec![tile], shop: Default::default() };
        let html = home(&ctx, &HomeData { new_arrivals: Vec::new(), best_sellers: Vec::new() }).into_string();
        let tiles = &html[html.find("category-tiles").unwrap()..];
        let tiles = &tiles[..tiles.find("</ul>").unwrap()];
        assert!(tiles.contains("<img") && !tiles.contains("loading=\"lazy\""), "{tiles}");
    }
}
