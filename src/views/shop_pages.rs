//! The shop's policy pages (`/pages/shipping`, `/pages/returns`, `/pages/privacy`, `/pages/terms`):
//! their text as managers wrote it (`app::shop_info`), paragraphs and lists, never HTML.

use maud::{html, Markup};

use super::layout::{page, Head};
use super::PageCtx;
use crate::domain::shop_info::{blocks, Block, InfoPage, PageText};

pub fn info_page(ctx: &PageCtx, which: InfoPage, text: &PageText) -> Markup {
    let l = ctx.locale;
    let body = text.body(l);
    let description: String = body.lines().find(|line| !line.trim().is_empty()).unwrap_or_default().chars().take(160).collect();
    let head = Head { title: text.title(l).to_string(), description, canonical: Some(ctx.absolute(&ctx.href(&which.path()))), ..Head::default() };
    let main = html! {
        article.info-page data-page=(which.slug()) {
            h1 { (text.title(l)) }
            @for block in blocks(body) {
                @match block {
                    Block::Paragraph(lines) => p {
                        @for (i, line) in lines.iter().enumerate() {
                            @if i > 0 { br; }
                            (line)
                        }
                    },
                    Block::List(items) => ul { @for item in items { li { (item) } } },
                }
            }
            @if let Some((shown, tel)) = ctx.shop.hotline_display() {
                p.info-contact { (l.pick("Cần hỗ trợ? Gọi ", "Need help? Call ")) a href=(tel) { (shown) } }
            }
        }
    };
    page(ctx, head, main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::locale::Locale;

    #[test]
    fn a_page_renders_paragraphs_and_lists_with_its_text_escaped() {
        let ctx = PageCtx { locale: Locale::En, path: "/pages/returns".into(), query: String::new(), origin: "https://vestify.vn".into(), categories: Vec::new(), shop: Default::default() };
        let text = PageText { slug: "returns".into(), title_vi: "Đổi trả".into(), title_en: "30-day returns".into(), body_vi: String::new(), body_en: "You have 30 days.\n\n- Tags on\n- <b>unworn</b>".into() };
        let html = info_page(&ctx, InfoPage::Returns, &text).into_string();
        assert!(html.contains("<h1>30-day returns</h1><p>You have 30 days.</p><ul><li>Tags on</li><li>&lt;b&gt;unworn&lt;/b&gt;</li></ul>"), "{html}");
        assert!(html.contains(r#"<link rel="canonical" href="https://vestify.vn/en/pages/returns">"#));
        assert!(html.contains("<title>30-day returns | "));
    }
}
