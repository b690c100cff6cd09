//! Sharing a page: the social image every page points `og:image` at (1200 × 630, raster: Facebook,
//! Zalo and X do not show SVG), where the demo catalog's images live, the product page's share
//! channels and their links (plain URLs with UTM parameters, no third-party script).

/// The size of every social image: what Facebook recommends for link previews (1.91 : 1) and what
/// X's `summary_large_image` shows uncropped.
pub const SOCIAL_WIDTH: u32 = 1200;
pub const SOCIAL_HEIGHT: u32 = 630;

/// The shop's own social image (the home page's, and the fallback of a page without its own).
pub const HOME_IMAGE: &str = "img/social/home.png";

/// A product's generated social image under `public/` (the seed tool writes one per demo product).
pub fn product_image(slug: &str) -> String {
    format!("img/social/products/{slug}.png")
}

/// A category's generated social image under `public/`.
pub fn category_image(slug: &str) -> String {
    format!("img/social/categories/{slug}.png")
}

/// Where a product page is shared to. The link channels are plain links to each network's share
/// page (no SDK, no third-party script: the CSP stays as it is); `Copy` and `Native` (the Web Share
/// API's sheet on phones, where Zalo and Messenger appear as apps) happen in the page's script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Facebook,
    Messenger,
    Zalo,
    X,
    Pinterest,
    Copy,
    Native,
}

impl Channel {
    pub const ALL: [Channel; 7] = [Channel::Facebook, Channel::Messenger, Channel::Zalo, Channel::X, Channel::Pinterest, Channel::Copy, Channel::Native];

    /// The code in paths, `utm_source` and the counts.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Facebook => "facebook",
            Channel::Messenger => "messenger",
            Channel::Zalo => "zalo",
            Channel::X => "x",
            Channel::Pinterest => "pinterest",
            Channel::Copy => "copy",
            Channel::Native => "native",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The name shown on its button and in the analytics.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Facebook => "Facebook",
            Channel::Messenger => "Messenger",
            Channel::Zalo => "Zalo",
            Channel::X => "X",
            Channel::Pinterest => "Pinterest",
            Channel::Copy => "Link",
            Channel::Native => "Share sheet",
        }
    }

    /// The network's share page for `page` (the shared URL, UTM parameters included) and `image`
    /// (the page's social image, which Pinterest pins); `None` for the channels the script handles.
    ///
    /// - Facebook: the sharer, <https://developers.facebook.com/docs/plugins/share-button/>.
    /// - Messenger: the app's `fb-messenger://share` link (Meta's web "Send dialog" needs an app id).
    /// - Zalo: its web share plugin needs an Official Account and Zalo's script, so the Zalo button
    ///   offers the phone's share sheet (where Zalo is an app) and otherwise copies the link and
    ///   opens Zalo's web chat to paste it in.
    /// - X: the post intent, <https://developer.x.com/en/docs/x-for-websites/tweet-button/guides/web-intent>.
    /// - Pinterest: the pin-create link with the image.
    pub fn target(self, page: &str, image: &str) -> Option<String> {
        let u = crate::domain::listing::percent_encode_component(page);
        match self {
            Channel::Facebook => Some(format!("https://www.facebook.com/sharer/sharer.php?u={u}")),
            Channel::Messenger => Some(format!("fb-messenger://share/?link={u}")),
            Channel::Zalo => Some("https://chat.zalo.me/".to_string()),
            Channel::X => Some(format!("https://x.com/intent/post?url={u}")),
            Channel::Pinterest => {
                Some(format!("https://www.pinterest.com/pin/create/button/?url={u}&media={}", crate::domain::listing::percent_encode_component(image)))
            }
            Channel::Copy | Channel::Native => None,
        }
    }
}

/// The URL a shopper shares: the page's canonical URL with `utm_source` (the channel),
/// `utm_medium=share` and `utm_campaign=product_share`. The edge cache ignores `utm_*`
/// (`domain::http_cache::page_query`), so a shared link is served from the same cache entry.
pub fn shared_url(canonical: &str, channel: Channel) -> String {
    let sep = if canonical.contains('?') { '&' } else { '?' };
    format!("{canonical}{sep}utm_source={}&utm_medium=share&utm_campaign=product_share", channel.code())
}

/// The shop's own path that counts a share and sends the shopper on (`/share/{channel}/{slug}`).
pub fn share_path(channel: Channel, slug: &str) -> String {
    format!("/share/{}/{slug}", channel.code())
}

/// A marketplace where the shop also sells a product ("Cũng có trên Shopee / TikTok Shop").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marketplace {
    Shopee,
    TiktokShop,
}

impl Marketplace {
    pub const ALL: [Marketplace; 2] = [Marketplace::Shopee, Marketplace::TiktokShop];

    /// The stored code (`product_marketplace_links.marketplace`).
    pub fn code(self) -> &'static str {
        match self {
            Marketplace::Shopee => "shopee",
            Marketplace::TiktokShop => "tiktok",
        }
    }

    pub fn parse(code: &str) -> Option<Marketplace> {
        Marketplace::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            Marketplace::Shopee => "Shopee",
            Marketplace::TiktokShop => "TikTok Shop",
        }
    }

    /// The admin form's field.
    pub fn field(self) -> &'static str {
        match self {
            Marketplace::Shopee => "shopee_url",
            Marketplace::TiktokShop => "tiktok_url",
        }
    }

    /// The hosts a link may point at: the marketplace's own domains and their subdomains
    /// (`shopee.vn`, `vn.shp.ee` short links; `tiktok.com`, `shop.tiktok.com`, `vt.tiktok.com`).
    fn domains(self) -> &'static [&'static str] {
        match self {
            Marketplace::Shopee => &["shopee.vn", "shp.ee"],
            Marketplace::TiktokShop => &["tiktok.com"],
        }
    }

    /// The link as typed: empty is no link; otherwise an `https://` URL on one of the
    /// marketplace's domains, without credentials or a port, at most 500 characters.
    pub fn parse_link(self, input: &str) -> Result<Option<String>, &'static str> {
        let url = input.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\')) {
            return Err("Liên kết không hợp lệ.");
        }
        let Some(rest) = url.get(..8).filter(|s| s.eq_ignore_ascii_case("https://")).map(|_| &url[8..]) else {
            return Err("Liên kết phải bắt đầu bằng https://.");
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.to_ascii_lowercase();
        let on_domain = self.domains().iter().any(|d| host == *d || host.ends_with(&format!(".{d}")));
        if authority.contains(['@', ':']) || !on_domain {
            return Err(match self {
                Marketplace::Shopee => "Liên kết phải là một trang trên shopee.vn.",
                Marketplace::TiktokShop => "Liên kết phải là một trang trên tiktok.com.",
            });
        }
        Ok(Some(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marketplace_link_must_be_https_on_that_marketplace() {
        let shopee = Marketplace::Shopee;
        assert_eq!(shopee.parse_link("  "), Ok(None));
        assert_eq!(shopee.parse_link(" https://shopee.vn/Ao-gile-i.1.2 "), Ok(Some("https://shopee.vn/Ao-gile-i.1.2".into())));
        assert!(shopee.parse_link("https://vn.shp.ee/abc").is_ok());
        for bad in [
            "http://shopee.vn/x",
            "https://shopee.vn.evil.com/x",
            "https://evilshopee.vn/x",
            "https://shopee.vn@evil.com/x",
            "https://shopee.vn:8443/x",
            "javascript:alert(1)",
            "https://shopee.vn/x y",
            "https://tiktok.com/x",
        ] {
            assert!(shopee.parse_link(bad).is_err(), "{bad}");
        }
        let tiktok = Marketplace::TiktokShop;
        assert!(tiktok.parse_link("https://shop.tiktok.com/view/product/1729").is_ok());
        assert!(tiktok.parse_link("https://vt.tiktok.com/ZS123/").is_ok());
        assert!(tiktok.parse_link("https://shopee.vn/x").is_err());
    }

    #[test]
    fn every_channel_reads_back_from_its_code() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
        assert_eq!(Channel::parse("myspace"), None);
    }

    #[test]
    fn a_shared_url_names_its_channel_and_is_encoded_into_the_network_link() {
        let url = shared_url("https://vestify.vn/p/gile-len", Channel::Facebook);
        assert_eq!(url, "https://vestify.vn/p/gile-len?utm_source=facebook&utm_medium=share&utm_campaign=product_share");
        let link = Channel::Facebook.target(&url, "").unwrap();
        assert_eq!(
            link,
            "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fvestify.vn%2Fp%2Fgile-len%3Futm_source%3Dfacebook%26utm_medium%3Dshare%26utm_campaign%3Dproduct_share"
        );
        let pin = Channel::Pinterest.target(&url, "https://vestify.vn/static/img/social/products/a.1.png").unwrap();
        assert!(pin.ends_with("&media=https%3A%2F%2Fvestify.vn%2Fstatic%2Fimg%2Fsocial%2Fproducts%2Fa.1.png"), "{pin}");
        assert_eq!(Channel::Copy.target(&url, ""), None);
        assert_eq!(shared_url("https://vestify.vn/p/a?variant=X", Channel::X), "https://vestify.vn/p/a?variant=X&utm_source=x&utm_medium=share&utm_campaign=product_share");
    }
}
