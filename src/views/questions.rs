//! Questions and answers on the storefront (issue 22, docs/REVIEWS.md "Questions and answers"): the
//! product page's block (published questions with their published answers, paged by `qpage`, the
//! ask form and each question's answer form for verified buyers) and the page a refused form
//! comes back to (422 field errors, 403 not a buyer).
//!
//! The block is part of the cached product page: nothing personal is rendered, whoever is signed
//! in; the forms carry the CSRF slot filled per response and the server decides who may post.

use maud::{html, Markup};

use super::components::pagination;
use super::PageCtx;
use crate::app::questions::{Question, QuestionsPage};
use crate::domain::listing::FieldError;
use crate::domain::locale::Locale;
use crate::domain::questions::{AnswerBy, ANSWER_MAX, QUESTION_MAX, QUESTION_MIN};
use crate::domain::time::rfc3339;

/// The block's words, by locale.
pub struct Words {
    pub title: &'static str,
    pub none: &'static str,
    pub question: &'static str,
    pub answer: &'static str,
    pub shop: &'static str,
    pub buyer: &'static str,
    pub anonymous: &'static str,
    pub ask: &'static str,
    pub ask_label: &'static str,
    pub ask_hint: &'static str,
    pub send: &'static str,
    pub answer_toggle: &'static str,
    pub answer_label: &'static str,
    pub answer_hint: &'static str,
    pub asked: &'static str,
    pub answered: &'static str,
    pub back: &'static str,
}

const VI: Words = Words {
    title: "Hỏi đáp",
    none: "Chưa có câu hỏi nào về sản phẩm này.",
    question: "Hỏi",
    answer: "Đáp",
    shop: "Vestify",
    buyer: "Khách đã mua",
    anonymous: "Khách hàng",
    ask: "Đặt câu hỏi",
    ask_label: "Câu hỏi của bạn",
    ask_hint: "Cần đăng nhập. Câu hỏi được hiển thị sau khi cửa hàng duyệt.",
    send: "Gửi",
    answer_toggle: "Bạn đã mua sản phẩm này? Trả lời",
    answer_label: "Câu trả lời của bạn",
    answer_hint: "Chỉ khách đã nhận sản phẩm này mới trả lời được; câu trả lời hiển thị sau khi duyệt.",
    asked: "Đã gửi câu hỏi. Câu hỏi sẽ hiển thị sau khi cửa hàng duyệt.",
    answered: "Đã gửi câu trả lời. Câu trả lời sẽ hiển thị sau khi cửa hàng duyệt.",
    back: "Quay lại sản phẩm",
};

const EN: Words = Words {
    title: "Questions & answers",
    none: "No questions about this product yet.",
    question: "Q",
    answer: "A",
    shop: "Vestify",
    buyer: "Verified buyer",
    anonymous: "Shopper",
    ask: "Ask a question",
    ask_label: "Your question",
    ask_hint: "Sign-in needed. Questions show once the shop has reviewed them.",
    send: "Send",
    answer_toggle: "Bought this? Answer",
    answer_label: "Your answer",
    answer_hint: "Only shoppers who received this product can answer; answers show once reviewed.",
    asked: "Question sent. It will show once the shop has reviewed it.",
    answered: "Answer sent. It will show once the shop has reviewed it.",
    back: "Back to the product",
};

pub fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

/// The page of questions `n` of the product at `product_path`.
fn page_href(ctx: &PageCtx, product_path: &str, n: u32) -> String {
    if n <= 1 { format!("{}#questions", ctx.href(product_path)) } else { format!("{}?qpage={n}#questions", ctx.href(product_path)) }
}

/// The product page's Q&A block. `notice`: `asked` or `answered` (the redirect after a post).
pub fn question_section(ctx: &PageCtx, page: &QuestionsPage, product_path: &str, slug: &str) -> Markup {
    let w = words(ctx.locale);
    let return_to = ctx.href(product_path);
    let notice = crate::domain::listing::parse_query(ctx.query.trim_start_matches('?')).into_iter().find(|(k, _)| k == "qa").map(|(_, v)| v);
    html! {
        section.questions #questions aria-labelledby="questions-title" {
            h2 #questions-title { (w.title) @if page.total > 0 { " (" (page.total) ")" } }
            @match notice.as_deref() {
                Some("asked") => p.notice role="status" { (w.asked) },
                Some("answered") => p.notice role="status" { (w.answered) },
                _ => {}
            }
            @if page.questions.is_empty() {
                p.empty { (w.none) }
            } @else {
                ol.qa-list {
                    @for q in &page.questions { (question_item(ctx, q, &return_to)) }
                }
                (pagination(ctx, page.page as u32, page.pages() as u32, |n| page_href(ctx, product_path, n)))
            }
            form.ask-form method="post" action=(ctx.href("/reviews/questions")) {
                (crate::views::security::csrf_field())
                input type="hidden" name="slug" value=(slug);
                input type="hidden" name="return" value=(return_to);
                label for="qa-ask" { (w.ask) }
                textarea #qa-ask name="body" rows="3" minlength=(QUESTION_MIN) maxlength=(QUESTION_MAX) required placeholder=(w.ask_label) {}
                p.hint { (w.ask_hint) }
                button.button type="submit" { (w.send) }
            }
        }
    }
}

fn question_item(ctx: &PageCtx, q: &Question, return_to: &str) -> Markup {
    let w = words(ctx.locale);
    let author = if q.author_name.is_empty() { w.anonymous } else { q.author_name.as_str() };
    let date = rfc3339(q.published_at.unwrap_or(q.created_at));
    html! {
        li.question #{"question-" (q.id)} data-question=(q.id) {
            p.q { strong { (w.question) ": " } (q.body) }
            p.meta { span.author { (author) } " · " time datetime=(date) { (date.get(..10).unwrap_or_default()) } }
            @for a in &q.answers {
                div.answer data-by=(a.by.code()) {
                    p { strong { (w.answer) ": " } (a.body) }
                    p.meta {
                        @match a.by {
                            AnswerBy::Shop => span.shop-answer { (w.shop) },
                            AnswerBy::Buyer => { span.author { (if a.author_name.is_empty() { w.anonymous } else { a.author_name.as_str() }) } " · " span.verified { (w.buyer) } },
                        }
                    }
                }
            }
            details.answer-form {
                summary { (w.answer_toggle) }
                form method="post" action=(ctx.href(&format!("/reviews/questions/{}/answers", q.id))) {
                    (crate::views::security::csrf_field())
                    input type="hidden" name="return" value=(return_to);
                    label for=(format!("qa-answer-{}", q.id)) { (w.answer_label) }
                    textarea id=(format!("qa-answer-{}", q.id)) name="body" rows="2" maxlength=(ANSWER_MAX) required {}
                    p.hint { (w.answer_hint) }
                    button.button type="submit" { (w.send) }
                }
            }
        }
    }
}

/// A question or answer form sent back: `errors` (422) beside the text kept, or `refusal` (403)
/// instead of the form. `action`: where the form posts; `hidden`: its other fields.
pub struct FormBack<'a> {
    pub answering: bool,
    pub action: &'a str,
    pub hidden: &'a [(&'a str, &'a str)],
    pub body: &'a str,
    pub errors: &'a [FieldError],
    pub refusal: Option<&'a str>,
    pub return_to: &'a str,
}

pub fn form_page(ctx: &PageCtx, back: &FormBack<'_>) -> Markup {
    let w = words(ctx.locale);
    let t = ctx.t();
    let title = if back.answering { w.answer_label } else { w.ask };
    let head = super::layout::Head { title: title.to_string(), description: title.to_string(), noindex: true, ..super::layout::Head::default() };
    let main = html! {
        section.qa-form {
            h1 { (title) }
            @if let Some(r) = back.refusal {
                p.notice role="alert" { (r) }
            } @else {
                @if !back.errors.is_empty() { p.notice role="alert" { @for e in back.errors { (t.field_error(e)) " " } } }
                form method="post" action=(ctx.href(back.action)) {
                    (crate::views::security::csrf_field())
                    @for (name, value) in back.hidden { input type="hidden" name=(name) value=(value); }
                    input type="hidden" name="return" value=(back.return_to);
                    label for="qa-body" { (if back.answering { w.answer_label } else { w.ask_label }) }
                    textarea #qa-body name="body" rows="4" maxlength=(if back.answering { ANSWER_MAX } else { QUESTION_MAX }) required { (back.body) }
                    button.button type="submit" { (w.send) }
                }
            }
            p { a href=(format!("{}#questions", back.return_to)) { (w.back) } }
        }
    };
    super::layout::page(ctx, head, main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::questions::AnswerRow;

    fn ctx(locale: Locale, query: &str) -> PageCtx {
        PageCtx { locale, path: "/p/gile".into(), query: query.into(), origin: "https://vestify.vn".into(), categories: Vec::new(), shop: Default::default() }
    }

    fn question(id: &str, body: &str, answers: Vec<AnswerRow>) -> Question {
        Question { id: id.into(), author_name: "An N.".into(), body: body.into(), locale: "vi".into(), created_at: 1_780_000_000, published_at: Some(1_780_000_000), answers }
    }

    fn answer(by: AnswerBy, body: &str) -> AnswerRow {
        AnswerRow { id: "a".into(), question_id: "q1".into(), by, author_name: if by == AnswerBy::Shop { "Vestify".into() } else { "Bình T.".into() }, body: body.into(), published_at: Some(1), created_at: 1 }
    }

    #[test]
    fn questions_and_answers_show_as_text_with_who_answered_and_the_forms() {
        let page = QuestionsPage {
            product_id: 1,
            questions: vec![question("q1", "<script>alert(1)</script> giặt máy?", vec![answer(AnswerBy::Shop, "Được ạ"), answer(AnswerBy::Buyer, "<b>Ok</b>")])],
            total: 1,
            page: 1,
        };
        let html = question_section(&ctx(Locale::Vi, ""), &page, "/p/gile", "gile").into_string();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; giặt máy?") && !html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;b&gt;Ok&lt;/b&gt;"));
        assert!(html.contains(r#"data-by="shop""#) && html.contains("Khách đã mua"));
        assert!(html.contains(r#"action="/reviews/questions""#) && html.contains(r#"action="/reviews/questions/q1/answers""#));
        assert!(html.contains(r#"name="slug" value="gile""#));
        let en = question_section(&ctx(Locale::En, "?qa=asked"), &QuestionsPage { page: 1, ..QuestionsPage::default() }, "/p/gile", "gile").into_string();
        assert!(en.contains("No questions about this product yet.") && en.contains("Question sent."));
        assert!(en.contains(r#"action="/en/reviews/questions""#));
    }

    #[test]
    fn more_than_a_page_links_to_the_next_by_qpage() {
        let questions = (0..10).map(|i| question(&format!("q{i}"), "Hỏi gì đó ạ?", vec![])).collect();
        let page = QuestionsPage { product_id: 1, questions, total: 23, page: 1 };
        let html = question_section(&ctx(Locale::Vi, ""), &page, "/p/gile", "gile").into_string();
        assert!(html.contains("/p/gile?qpage=2#questions"), "{html}");
    }
}
