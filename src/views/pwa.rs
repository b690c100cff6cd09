//! The installable web app: the manifest (`/manifest.webmanifest`), the service worker (`/sw.js`)
//! and the offline page (`/offline`, `/en/offline`). See docs/PWA.md.

use maud::{html, Markup};
use serde_json::{json, Value};

use super::layout::{self, Head};
use super::PageCtx;
use crate::assets;

pub const MANIFEST_PATH: &str = "/manifest.webmanifest";
pub const SW_PATH: &str = "/sw.js";
/// The offline page, locale-free (`/en/offline` in English).
pub const OFFLINE_PATH: &str = "/offline";
/// The logo's navy: the browser's toolbar and the installed app's title bar.
pub const THEME_COLOR: &str = "#1f3a5f";
/// The page background (`--bg` in public/css/app.css): the splash screen while the app starts.
pub const BACKGROUND_COLOR: &str = "#fbfaf7";
/// The Web Push handlers, when that part of the shop is built in: the worker imports them.
const PUSH_HANDLERS: &str = "js/sw-push.js";
/// What the worker stores when it is installed, besides the two offline pages.
const SHELL_FILES: [&str; 4] = ["css/app.css", "js/app.js", "img/logo.svg", "img/favicon.svg"];

const SW_TEMPLATE: &str = include_str!("pwa_sw.js");

/// The web app manifest (https://www.w3.org/TR/appmanifest/). Chromium installs the shop with
/// `name`, a 192 and a 512 px PNG icon, `start_url` and `display: standalone`; the screenshots give
/// its richer install sheet. `start_url` carries `utm_source=pwa`, which the edge cache ignores, so
/// the shop's analytics can tell launches of the installed app.
pub fn manifest() -> Value {
    let icon = |file: &str, size: &str, purpose: &str| json!({ "src": assets::url(file), "sizes": size, "type": "image/png", "purpose": purpose });
    let shot = |file: &str, size: &str, form_factor: &str, label: &str| {
        json!({ "src": assets::url(file), "sizes": size, "type": "image/png", "form_factor": form_factor, "label": label })
    };
    json!({
        "id": "/",
        "name": "Vestify — Thời trang Việt",
        "short_name": "Vestify",
        "description": "Áo gile đẹp, mặc cả bốn mùa: giá rõ ràng, giao toàn quốc; sản phẩm đã xem mở được cả khi mất mạng.",
        "lang": "vi",
        "dir": "ltr",
        "start_url": "/?utm_source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["shopping", "lifestyle"],
        "prefer_related_applications": false,
        "icons": [
            icon("img/pwa/icon-192.png", "192x192", "any"),
            icon("img/pwa/icon-512.png", "512x512", "any"),
            icon("img/pwa/icon-maskable-512.png", "512x512", "maskable"),
        ],
        "screenshots": [
            shot("img/pwa/screenshot-narrow.png", "390x844", "narrow", "Trang chủ Vestify trên điện thoại"),
            shot("img/pwa/screenshot-wide.png", "1280x800", "wide", "Trang chủ Vestify trên máy tính"),
        ],
        "shortcuts": [
            { "name": "Giỏ hàng", "url": "/cart", "icons": [{ "src": assets::url("img/pwa/icon-192.png"), "sizes": "192x192", "type": "image/png" }] },
            { "name": "Tài khoản", "url": "/account", "icons": [{ "src": assets::url("img/pwa/icon-192.png"), "sizes": "192x192", "type": "image/png" }] },
        ],
    })
}

/// The service worker's source for this build: its caches are named after `build` (the build
/// digest), so every new build is a new worker that replaces the old caches, and it precaches the
/// current fingerprinted URLs. The Web Push handlers are imported when this build has them.
pub fn service_worker(build: &str) -> String {
    let precache: Vec<String> = [OFFLINE_PATH.to_string(), format!("/en{OFFLINE_PATH}")]
        .into_iter()
        .chain(SHELL_FILES.iter().map(|f| assets::url(f)))
        .collect();
    let push = assets::url_if_present(PUSH_HANDLERS).map(|url| format!("importScripts({});", Value::from(url))).unwrap_or_default();
    SW_TEMPLATE
        .replacen("/*PUSH*/", &push, 1)
        .replacen("/*VERSION*/", &Value::from(build).to_string(), 1)
        .replacen("/*PRECACHE*/", &Value::from(precache).to_string(), 1)
}

/// What a shopper sees when a page cannot be loaded and was not stored: the shop is offline, here
/// is what still works. Never indexed.
pub fn offline_page(ctx: &PageCtx) -> Markup {
    let l = ctx.locale;
    let head = Head {
        title: l.pick("Không có kết nối mạng", "You are offline").to_string(),
        description: l.pick("Trang này cần kết nối mạng.", "This page needs a connection.").to_string(),
        canonical: None,
        noindex: true,
        ..Default::default()
    };
    layout::page(
        ctx,
        head,
        html! {
            section.offline {
                h1 { (l.pick("Không có kết nối mạng", "You are offline")) }
                p { (l.pick(
                    "Trang này chưa được lưu trên máy bạn. Các trang sản phẩm bạn đã xem vẫn mở được khi mất mạng; giỏ hàng và thanh toán cần kết nối.",
                    "This page is not saved on your device. Product pages you have viewed still open offline; the cart and checkout need a connection.",
                )) }
                p { a href=(ctx.href("/")) { (l.pick("Thử lại trang chủ", "Try the home page again")) } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::locale::Locale;

    fn ctx(locale: Locale) -> PageCtx {
        PageCtx { locale, path: OFFLINE_PATH.into(), query: String::new(), origin: "https://shop.test".into(), categories: vec![], shop: Default::default() }
    }

    #[test]
    fn manifest_has_what_chromium_needs_to_install_the_shop() {
        let m = manifest();
        for field in ["id", "name", "short_name", "start_url", "scope", "theme_color", "background_color"] {
            assert!(m[field].as_str().is_some_and(|v| !v.is_empty()), "{field}");
        }
        assert_eq!(m["display"], "standalone");
        assert_eq!(m["lang"], "vi");
        let icons = m["icons"].as_array().unwrap();
        for (size, purpose) in [("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")] {
            let icon = icons.iter().find(|i| i["sizes"] == size && i["purpose"] == purpose).unwrap_or_else(|| panic!("no {size} {purpose} icon"));
            let src = icon["src"].as_str().unwrap();
            assert!(src.starts_with("/static/img/pwa/") && src.ends_with(".png"), "{src} is not a fingerprinted PNG of this build");
        }
        let shots = m["screenshots"].as_array().unwrap();
        for form_factor in ["narrow", "wide"] {
            let shot = shots.iter().find(|s| s["form_factor"] == form_factor).unwrap();
            assert!(shot["src"].as_str().unwrap().starts_with("/static/img/pwa/screenshot-"), "{form_factor} screenshot is not in public/");
        }
    }

    #[test]
    fn the_worker_is_named_after_the_build_and_precaches_this_builds_files() {
        let sw = service_worker("abc123");
        assert!(sw.contains(r#"const VERSION = "abc123";"#));
        assert!(sw.contains(&assets::url("css/app.css")) && sw.contains(&assets::url("js/app.js")));
        assert!(sw.contains(r#""/offline","/en/offline""#));
        assert!(!sw.contains("/*"), "a slot was left unfilled");
        assert_ne!(sw, service_worker("def456"), "a new build must be a new worker");
        assert!(sw.len() < 6_000, "{} bytes", sw.len());
    }

    #[test]
    fn the_worker_imports_push_handlers_only_when_the_build_has_them() {
        let sw = service_worker("abc");
        match assets::url_if_present(PUSH_HANDLERS) {
            Some(url) => assert!(sw.contains(&format!("importScripts(\"{url}\");"))),
            None => assert!(!sw.contains("importScripts")),
        }
    }

    #[test]
    fn the_worker_never_stores_carts_checkout_accounts_admin_api_payments_or_orders() {
        // The worker's allow-list of stored pages, read from its source and checked as JavaScript
        // would (the same regular expression syntax for this pattern).
        let sw = service_worker("abc");
        let line = sw.lines().find(|l| l.starts_with("const CATALOG = ")).unwrap();
        assert_eq!(line, r"const CATALOG = /^\/(en\/)?(c\/[^/]+|p\/[^/]+|offline)?$/;");
        let stored = |path: &str| {
            let rest = path.strip_prefix("/en").filter(|r| r.starts_with('/')).unwrap_or(path);
            let rest = rest.strip_prefix('/').unwrap_or(rest);
            let seg: Vec<&str> = rest.split('/').collect();
            match seg.as_slice() {
                [""] | ["offline"] => true,
                ["c" | "p", slug] => !slug.is_empty(),
                _ => false,
            }
        };
        for path in ["/", "/en/", "/c/ao-gile", "/en/p/vest-linen", "/offline"] {
            assert!(stored(path), "{path}");
        }
        for path in ["/cart", "/en/cart", "/checkout", "/en/checkout", "/account", "/account/orders", "/admin", "/api/v1/products", "/pay/sandbox/1", "/orders/abc", "/orders/lookup", "/search"] {
            assert!(!stored(path), "{path}");
        }
    }

    #[test]
    fn offline_page_speaks_the_visitors_language_and_is_not_indexed() {
        let vi = offline_page(&ctx(Locale::Vi)).into_string();
        assert!(vi.contains("Không có kết nối mạng") && vi.contains(r#"content="noindex"#));
        let en = offline_page(&ctx(Locale::En)).into_string();
        assert!(en.contains("You are offline") && en.contains(r#"href="/en/""#));
    }
}
