//! The product page's share bar: plain links through `/share/{channel}/{slug}` (counted, then on to
//! the network's share page; they work without script), and two buttons the page's script shows
//! where they work — the phone's share sheet (Web Share API) and "copy link". No network's script
//! or iframe is loaded, so the CSP stays as it is.

use maud::{html, Markup};

use super::PageCtx;
use crate::domain::locale::Locale;
use crate::app::sharing::MarketplaceLink;
use crate::domain::sharing::{self, Channel, Marketplace};

struct Texts {
    title: &'static str,
    on: fn(&str) -> String,
    native: &'static str,
    copy: &'static str,
    copied: &'static str,
    copy_failed: &'static str,
    zalo_hint: &'static str,
}

static VI: Texts = Texts {
    title: "Chia sẻ",
    on: |network| format!("Chia sẻ lên {network}"),
    native: "Chia sẻ…",
    copy: "Sao chép liên kết",
    copied: "Đã sao chép liên kết.",
    copy_failed: "Không sao chép được; hãy sao chép địa chỉ trên thanh trình duyệt.",
    zalo_hint: "Đã sao chép liên kết — dán vào cuộc trò chuyện Zalo.",
};

static EN: Texts = Texts {
    title: "Share",
    on: |network| format!("Share on {network}"),
    native: "Share…",
    copy: "Copy link",
    copied: "Link copied.",
    copy_failed: "Could not copy; please copy the address from the browser's bar.",
    zalo_hint: "Link copied — paste it into a Zalo chat.",
};

fn t(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

/// The share bar of the product `slug`, whose canonical URL is `canonical`.
pub fn share_bar(ctx: &PageCtx, slug: &str, name: &str, canonical: &str) -> Markup {
    let s = t(ctx.locale);
    let links = [Channel::Facebook, Channel::Messenger, Channel::Zalo, Channel::X, Channel::Pinterest];
    html! {
        section.share aria-labelledby="share-title" data-share
            data-share-title=(name)
            data-share-url=(sharing::shared_url(canonical, Channel::Native))
            data-copy-url=(sharing::shared_url(canonical, Channel::Copy))
            data-zalo-url=(sharing::shared_url(canonical, Channel::Zalo))
            data-copied=(s.copied) data-copy-failed=(s.copy_failed) data-zalo-hint=(s.zalo_hint) {
            h2 #share-title { (s.title) }
            ul.share-links {
                @for c in links {
                    li {
                        a href=(ctx.href(&sharing::share_path(c, slug))) data-share-channel=(c.code())
                            target="_blank" rel="nofollow noopener" aria-label=((s.on)(c.name())) { (c.name()) }
                    }
                }
                li { button.link type="button" data-share-channel="copy" data-count=(ctx.href(&sharing::share_path(Channel::Copy, slug))) hidden { (s.copy) } }
                li { button.link type="button" data-share-channel="native" data-count=(ctx.href(&sharing::share_path(Channel::Native, slug))) hidden { (s.native) } }
            }
            p.share-status role="status" {}
        }
    }
}

/// "Also on Shopee / TikTok Shop": the product's links to the marketplaces, when the admin set any.
pub fn marketplace_links(ctx: &PageCtx, links: &[MarketplaceLink]) -> Markup {
    let also = match ctx.locale {
        Locale::Vi => "Cũng có trên",
        Locale::En => "Also on",
    };
    let links: Vec<(Marketplace, &str)> = links.iter().filter_map(|l| Some((l.marketplace()?, l.url.as_str()))).collect();
    html! {
        @if !links.is_empty() {
            p.marketplaces {
                (also) " "
                @for (i, (m, url)) in links.iter().enumerate() {
                    @if i > 0 { " / " }
                    a href=(url) data-marketplace=(m.code()) rel="noopener nofollow" target="_blank" { (m.name()) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_is_a_counted_plain_link_and_the_script_buttons_start_hidden() {
        let ctx = PageCtx { locale: Locale::En, path: "/p/gile-len".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: vec![], shop: Default::default() };
        let html = share_bar(&ctx, "gile-len", "Knit vest", "https://vestify.vn/en/p/gile-len").into_string();
        for c in ["facebook", "messenger", "zalo", "x", "pinterest"] {
            assert!(html.contains(&format!(r#"href="/en/share/{c}/gile-len" data-share-channel="{c}""#)), "{c}: {html}");
        }
        assert!(html.contains(r#"data-share-channel="copy" data-count="/en/share/copy/gile-len" hidden"#));
        assert!(html.contains(r#"data-share-channel="native" data-count="/en/share/native/gile-len" hidden"#));
        assert!(html.contains(r#"data-share-url="https://vestify.vn/en/p/gile-len?utm_source=native&amp;utm_medium=share&amp;utm_campaign=product_share""#));
        assert!(!html.contains("<script"), "no script of any network");
    }

    #[test]
    fn the_marketplace_links_show_only_when_set() {
        let ctx = PageCtx { locale: Locale::Vi, path: "/p/a".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: vec![], shop: Default::default() };
        assert_eq!(marketplace_links(&ctx, &[]).into_string(), "");
        let links = [
            MarketplaceLink { marketplace: "shopee".into(), url: "https://shopee.vn/a".into() },
            MarketplaceLink { marketplace: "tiktok".into(), url: "https://shop.tiktok.com/b".into() },
        ];
        let html = marketplace_links(&ctx, &links).into_string();
        assert!(html.starts_with(r#"<p class="marketplaces">Cũng có trên <a href="https://shopee.vn/a" data-marketplace="shopee""#), "{html}");
        assert!(html.contains(r#">Shopee</a> / <a href="https://shop.tiktok.com/b" data-marketplace="tiktok""#), "{html}");
    }
}
