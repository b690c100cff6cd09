//! Machine-readable pages: JSON-LD, `robots.txt` and `sitemap.xml`.

use serde_json::Value;

use crate::assets;
use crate::domain::locale::Locale;
use crate::domain::sharing;

/// Serialises JSON-LD for a `<script>` element. maud escapes text, not script content, so `<`, `>`
/// and `&` become `\u003c`-style escapes: a product name can never close the script element.
pub fn json_ld(value: &Value) -> String {
    let raw = value.to_string();
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The absolute URL of a page's social image: `own` (a file under `public/`, such as the seed's
/// generated PNG) when the build ships it, else the shop's own image, so every page has a raster one.
pub fn social_image(ctx: &super::PageCtx, own: Option<&str>) -> String {
    let path = own.filter(|p| assets::exists(p)).unwrap_or(sharing::HOME_IMAGE);
    ctx.absolute(&assets::url(path))
}

/// Pages no search engine should crawl: carts, checkout, search results (endless query variants),
/// the API, accounts, the admin, orders and payment pages, in both languages where they have two,
/// and the share buttons' counting redirects (`/share/{channel}/{slug}`).
/// A prefix rule covers what follows it (`/orders` covers `/orders/lookup`).
const DISALLOWED: [&str; 15] = [
    "/cart", "/en/cart", "/checkout", "/en/checkout", "/search", "/en/search", "/api/", "/account", "/en/account", "/admin", "/orders", "/en/orders", "/pay", "/en/pay", "/share/",
];

pub fn robots_txt(origin: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\n{}\nSitemap: {origin}/sitemap.xml\n",
        DISALLOWED.iter().map(|path| format!("Disallow: {path}\n")).collect::<String>()
    )
}

/// One `<url>` per page and language, each listing both language versions (hreflang in sitemaps).
pub fn sitemap_xml(origin: &str, pages: &[(String, Option<String>)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for (path, lastmod) in pages {
        for locale in Locale::ALL {
            out.push_str("  <url>\n");
            out.push_str(&format!("    <loc>{}</loc>\n", xml_escape(&format!("{origin}{}", locale.path(path)))));
            if let Some(date) = lastmod {
                out.push_str(&format!("    <lastmod>{}</lastmod>\n", xml_escape(date)));
            }
            for alt in Locale::ALL {
                out.push_str(&format!(
                    "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                    alt.code(),
                    xml_escape(&format!("{origin}{}", alt.path(path)))
                ));
            }
            out.push_str("  </url>\n");
        }
    }
    out.push_str("</urlset>\n");
    out
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let doc = json_ld(&json!({"name": "</script><script>alert(1)</script> & co"}));
        assert!(!doc.contains('<') && !doc.contains('>') && !doc.contains('&'));
        let back: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }

    #[test]
    fn robots_keeps_crawlers_out_of_private_and_transactional_pages() {
        let txt = robots_txt("https://shop.test");
        let rules: Vec<&str> = txt.lines().filter_map(|l| l.strip_prefix("Disallow: ")).collect();
        for path in ["/cart", "/en/cart", "/checkout", "/en/checkout", "/account", "/admin", "/orders", "/pay", "/api/", "/search", "/share/"] {
            assert!(rules.contains(&path), "{path} is not disallowed");
        }
        for public in ["/", "/c/ao", "/p/vest", "/en/p/vest", "/sitemap.xml", "/feeds/google.xml"] {
            assert!(!rules.iter().any(|r| public.starts_with(r)), "{public} is blocked");
        }
        assert!(txt.contains("Sitemap: https://shop.test/sitemap.xml"));
    }

    #[test]
    fn sitemap_lists_both_languages_with_alternates() {
        let xml = sitemap_xml("https://shop.test", &[("/p/a".into(), Some("2026-01-01".into()))]);
        assert!(xml.contains("<loc>https://shop.test/p/a</loc>"));
        assert!(xml.contains("<loc>https://shop.test/en/p/a</loc>"));
        assert_eq!(xml.matches("hreflang=\"en\"").count(), 2);
    }
}
