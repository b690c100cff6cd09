//! What the shop tells shoppers about itself (issue 20, item 5): how to reach it (hotline, Zalo,
//! Messenger, email), where it is, its registration notice, and the policy pages the footer links
//! to (shipping, returns, privacy, terms). Managers edit them in the admin; the checks here decide
//! what may be saved.

use serde::{Deserialize, Serialize};

use super::locale::Locale;
use super::phone::Phone;

/// A policy page, at `/pages/{slug}` (`views::info_page`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoPage {
    Shipping,
    Returns,
    Privacy,
    Terms,
}

impl InfoPage {
    pub const ALL: [InfoPage; 4] = [InfoPage::Shipping, InfoPage::Returns, InfoPage::Privacy, InfoPage::Terms];

    pub fn slug(self) -> &'static str {
        match self {
            InfoPage::Shipping => "shipping",
            InfoPage::Returns => "returns",
            InfoPage::Privacy => "privacy",
            InfoPage::Terms => "terms",
        }
    }

    pub fn parse(slug: &str) -> Option<InfoPage> {
        InfoPage::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The page's locale-free path.
    pub fn path(self) -> String {
        format!("/pages/{}", self.slug())
    }
}

/// The `shop_info` row. `Default` (all empty) stands in when it cannot be read: the footer then
/// shows what it has, never an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    pub hotline: String,
    pub email: String,
    pub zalo_url: String,
    pub messenger_url: String,
    pub address_vi: String,
    pub address_en: String,
    pub registration_vi: String,
    pub registration_en: String,
    pub notice_url: String,
}

impl ShopInfo {
    pub fn address(&self, locale: Locale) -> &str {
        locale.pick(&self.address_vi, &self.address_en)
    }

    pub fn registration(&self, locale: Locale) -> &str {
        locale.pick(&self.registration_vi, &self.registration_en)
    }

    /// The hotline as people read it (`028 3824 1234`) and as a `tel:` link.
    pub fn hotline_display(&self) -> Option<(String, String)> {
        (!self.hotline.is_empty()).then(|| (super::phone::display_phone(&self.hotline), format!("tel:{}", self.hotline)))
    }

    /// Checks what a manager typed: the hotline a phone number (kept as E.164), the links `https://`
    /// on the service's own host, the texts within their lengths. The first wrong field is named.
    pub fn parse(typed: ShopInfo) -> Result<ShopInfo, InfoField> {
        let hotline = Phone::parse(&typed.hotline, "VN").ok_or(InfoField::Hotline)?;
        let email = typed.email.trim().to_lowercase();
        let valid_email = email.len() <= 254 && email.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.') && !email.contains(char::is_whitespace));
        if !valid_email {
            return Err(InfoField::Email);
        }
        let zalo_url = link(&typed.zalo_url, &["zalo.me"]).ok_or(InfoField::Zalo)?;
        let messenger_url = link(&typed.messenger_url, &["m.me", "www.messenger.com", "messenger.com"]).ok_or(InfoField::Messenger)?;
        let notice_url = link(&typed.notice_url, &["online.gov.vn", "www.online.gov.vn"]).ok_or(InfoField::NoticeUrl)?;
        let text = |s: &str, max: usize, required: bool, field: InfoField| {
            let s = s.trim();
            if (required && s.is_empty()) || s.chars().count() > max || s.contains(['\n', '\r']) {
                Err(field)
            } else {
                Ok(s.to_string())
            }
        };
        Ok(ShopInfo {
            hotline: hotline.as_str().to_string(),
            email,
            zalo_url,
            messenger_url,
            address_vi: text(&typed.address_vi, 200, true, InfoField::Address)?,
            address_en: text(&typed.address_en, 200, true, InfoField::Address)?,
            registration_vi: text(&typed.registration_vi, 300, false, InfoField::Registration)?,
            registration_en: text(&typed.registration_en, 300, false, InfoField::Registration)?,
            notice_url,
        })
    }
}

/// An empty link (the footer leaves it out), or an `https://` URL on one of `hosts`.
fn link(typed: &str, hosts: &[&str]) -> Option<String> {
    let s = typed.trim();
    if s.is_empty() {
        return Some(String::new());
    }
    let rest = s.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    let clean = s.len() <= 300 && !s.contains(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    (clean && hosts.contains(&host.as_str())).then(|| s.to_string())
}

/// The field a refused change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoField {
    Hotline,
    Email,
    Zalo,
    Messenger,
    NoticeUrl,
    Address,
    Registration,
    Title,
    Body,
}

/// A `shop_pages` row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageText {
    pub slug: String,
    pub title_vi: String,
    pub title_en: String,
    pub body_vi: String,
    pub body_en: String,
}

impl PageText {
    pub fn title(&self, locale: Locale) -> &str {
        locale.pick(&self.title_vi, &self.title_en)
    }

    pub fn body(&self, locale: Locale) -> &str {
        locale.pick(&self.body_vi, &self.body_en)
    }

    /// Checks a page as typed: titles of 1–120 characters on one line, bodies of at most 20,000
    /// (line ends kept as `\n`).
    pub fn parse(typed: PageText) -> Result<PageText, InfoField> {
        let title = |s: &str| {
            let s = s.trim();
            (!s.is_empty() && s.chars().count() <= 120 && !s.contains(['\n', '\r'])).then(|| s.to_string()).ok_or(InfoField::Title)
        };
        let body = |s: &str| {
            let s = s.replace("\r\n", "\n").trim().to_string();
            (!s.is_empty() && s.chars().count() <= 20_000).then_some(s).ok_or(InfoField::Body)
        };
        Ok(PageText { slug: typed.slug, title_vi: title(&typed.title_vi)?, title_en: title(&typed.title_en)?, body_vi: body(&typed.body_vi)?, body_en: body(&typed.body_en)? })
    }
}

/// A page body's blocks: paragraphs (separated by blank lines) and lists (lines starting `- `).
#[derive(Debug, PartialEq, Eq)]
pub enum Block<'a> {
    Paragraph(Vec<&'a str>),
    List(Vec<&'a str>),
}

pub fn blocks(body: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    for chunk in body.split("\n\n").map(str::trim).filter(|c| !c.is_empty()) {
        let mut para: Vec<&str> = Vec::new();
        let mut list: Vec<&str> = Vec::new();
        for line in chunk.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.strip_prefix("- ") {
                Some(item) => {
                    if !para.is_empty() {
                        out.push(Block::Paragraph(std::mem::take(&mut para)));
                    }
                    list.push(item.trim());
                }
                None => {
                    if !list.is_empty() {
                        out.push(Block::List(std::mem::take(&mut list)));
                    }
                    para.push(line);
                }
            }
        }
        if !para.is_empty() {
            out.push(Block::Paragraph(para));
        }
        if !list.is_empty() {
            out.push(Block::List(list));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> ShopInfo {
        ShopInfo {
            hotline: "028 3824 1234".into(),
            email: "HoTro@Vestify.vn ".into(),
            zalo_url: "https://zalo.me/842838241234".into(),
            messenger_url: "".into(),
            address_vi: " 12 Lê Thánh Tôn, Quận 1 ".into(),
            address_en: "12 Le Thanh Ton, District 1".into(),
            registration_vi: String::new(),
            registration_en: String::new(),
            notice_url: "https://online.gov.vn/Home/WebDetails/12345".into(),
        }
    }

    #[test]
    fn a_typed_hotline_is_kept_in_e164_and_shown_in_the_national_format() {
        let info = ShopInfo::parse(typed()).unwrap();
        assert_eq!(info.hotline, "+842838241234");
        assert_eq!(info.hotline_display(), Some(("028 3824 1234".to_string(), "tel:+842838241234".to_string())));
        assert_eq!(info.email, "hotro@vestify.vn");
        assert_eq!(info.address_vi, "12 Lê Thánh Tôn, Quận 1");
        assert_eq!(info.messenger_url, "", "an empty link hides it");
    }

    #[test]
    fn links_must_be_https_on_the_services_own_host() {
        for (field, bad, expected) in [
            ("zalo", "http://zalo.me/1", InfoField::Zalo),
            ("zalo", "https://zalo.me.evil.com/1", InfoField::Zalo),
            ("zalo", "javascript:alert(1)", InfoField::Zalo),
            ("messenger", "https://facebook.com/x", InfoField::Messenger),
            ("notice", "https://online.gov.vn/x\" onclick=\"y", InfoField::NoticeUrl),
        ] {
            let mut t = typed();
            match field {
                "zalo" => t.zalo_url = bad.into(),
                "messenger" => t.messenger_url = bad.into(),
                _ => t.notice_url = bad.into(),
            }
            assert_eq!(ShopInfo::parse(t), Err(expected), "{bad}");
        }
        assert_eq!(ShopInfo::parse(ShopInfo { hotline: "12345".into(), ..typed() }), Err(InfoField::Hotline));
        assert_eq!(ShopInfo::parse(ShopInfo { email: "no-at".into(), ..typed() }), Err(InfoField::Email));
        assert_eq!(ShopInfo::parse(ShopInfo { address_en: " ".into(), ..typed() }), Err(InfoField::Address));
    }

    #[test]
    fn a_page_needs_titles_and_bodies_and_keeps_its_line_ends() {
        let page = PageText { slug: "returns".into(), title_vi: "Đổi trả".into(), title_en: "Returns".into(), body_vi: "A\r\n\r\nB".into(), body_en: "x".into() };
        assert_eq!(PageText::parse(page.clone()).unwrap().body_vi, "A\n\nB");
        assert_eq!(PageText::parse(PageText { title_en: String::new(), ..page.clone() }), Err(InfoField::Title));
        assert_eq!(PageText::parse(PageText { body_vi: "x".repeat(20_001), ..page }), Err(InfoField::Body));
    }

    #[test]
    fn a_body_reads_as_paragraphs_and_lists() {
        let body = "First line\nsame paragraph\n\n- one\n- two\nafter the list\n\n\nLast";
        assert_eq!(
            blocks(body),
            vec![
                Block::Paragraph(vec!["First line", "same paragraph"]),
                Block::List(vec!["one", "two"]),
                Block::Paragraph(vec!["after the list"]),
                Block::Paragraph(vec!["Last"]),
            ]
        );
    }

    #[test]
    fn pages_have_paths_by_slug() {
        assert_eq!(InfoPage::parse("returns").map(InfoPage::path), Some("/pages/returns".to_string()));
        assert_eq!(InfoPage::parse("about"), None);
    }
}
