//! `/admin/reviews`: the moderation queue (support staff and up). What waits first — held text,
//! photos to approve, reported reviews — then published, rejected and hidden ones; each with the
//! decisions it allows (approve, reject with a reason, hide, reply). Every decision is audited.

use maud::{html, Markup};

use super::access::shell;
use crate::app::admin::AdminRow;
use crate::app::questions::{QaFilter, QueueAnswer, QueueQuestion};
use crate::app::reviews::{QueueFilter, QueueRow};
use crate::domain::questions::{AnswerBy, QaDecision, QaStatus};
use crate::domain::reviews::{Moderation, ReviewStatus};
use crate::domain::sentiment::Label;
use crate::domain::time::vn_time;
use crate::views::security::csrf_field;

fn filter_name(f: QueueFilter) -> &'static str {
    match f {
        QueueFilter::Waiting => "Chờ duyệt",
        QueueFilter::Published => "Đang hiển thị",
        QueueFilter::Rejected => "Đã từ chối",
        QueueFilter::Hidden => "Đã ẩn",
    }
}

fn status_name(s: ReviewStatus) -> &'static str {
    match s {
        ReviewStatus::Pending => "Chờ duyệt",
        ReviewStatus::Published => "Đang hiển thị",
        ReviewStatus::Rejected => "Đã từ chối",
        ReviewStatus::Hidden => "Đã ẩn",
    }
}

fn flag_name(code: &str) -> &str {
    match code {
        "link" => "có đường dẫn / email",
        "phone" => "có số điện thoại",
        "profanity" => "có từ ngữ bị chặn",
        other => other,
    }
}

fn allows(r: &QueueRow, decision: &Moderation) -> bool {
    decision.from_statuses().contains(&r.status)
}

/// The sentiment label (`domain::sentiment::Label`) in the admin's Vietnamese.
fn sentiment_name(code: &str) -> &str {
    match code {
        "positive" => "Tích cực",
        "neutral" => "Trung tính",
        "negative" => "Tiêu cực",
        other => other,
    }
}

fn video_state_name(code: &str) -> &str {
    match code {
        "awaiting_upload" => "chờ người mua tải lên",
        "processing" => "Stream đang xử lý",
        "ready" => "chờ duyệt",
        "error" => "lỗi",
        "approved" => "đã duyệt, công khai",
        "rejected" => "đã từ chối (đã xoá ở Stream)",
        other => other,
    }
}

/// A review video a moderator may play before approval: Stream's delivery base and the signed
/// playback token (in place of the video's id).
pub struct Preview {
    pub review_id: String,
    pub base: String,
    pub token: String,
}

/// The queue: `filter` chosen, `rows` in it, `notice` what the last decision did (or why it was
/// refused), `previews` the signed players of videos waiting for approval.
pub fn reviews_page(admin: &AdminRow, filter: QueueFilter, sentiment: Option<Label>, rows: &[QueueRow], notice: Option<&str>, previews: &[Preview]) -> Markup {
    let href = |f: QueueFilter, s: Option<Label>| match s {
        Some(s) => format!("/admin/reviews?status={}&sentiment={}", f.code(), s.code()),
        None => format!("/admin/reviews?status={}", f.code()),
    };
    shell(
        "Đánh giá sản phẩm",
        Some(admin),
        html! {
            h1 { "Đánh giá sản phẩm" }
            (tabs("reviews"))
            p.hint { "Nội dung không bị gắn cờ được đăng ngay; nội dung có đường dẫn, số điện thoại hoặc từ ngữ bị chặn, và mọi ảnh, chờ duyệt. Mỗi quyết định được ghi vào nhật ký thao tác." }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            nav.review-filters aria-label="Lọc" {
                @for f in QueueFilter::ALL {
                    a href=(href(f, sentiment)) aria-current=[(f == filter).then_some("page")] { (filter_name(f)) }
                }
            }
            nav.sentiment-filters aria-label="Lọc theo cảm xúc" {
                "Cảm xúc: "
                a href=(href(filter, None)) aria-current=[sentiment.is_none().then_some("page")] { "Tất cả" }
                @for l in Label::ALL {
                    " " a href=(href(filter, Some(l))) data-sentiment=(l.code()) aria-current=[(sentiment == Some(l)).then_some("page")] { (sentiment_name(l.code())) }
                }
            }
            @if rows.is_empty() { p.empty { "Không có đánh giá nào." } }
            ol.admin-reviews {
                @for r in rows {
                    li.review-item data-review=(r.id) data-status=(r.status.code()) {
                        p {
                            strong { (r.rating) " ★ " }
                            a href=(format!("/p/{}", r.product_slug)) { (r.product_name) }
                            " · " (status_name(r.status))
                            " · " (vn_time(r.created_at))
                        }
                        @if !r.title.is_empty() { h2 { (r.title) } }
                        p.body { (r.body) }
                        p.meta { (r.author_name) " · Đã mua: " (r.color) " / " (r.size) }
                        @if !r.flags.is_empty() {
                            p.flags { "Gắn cờ: " @for (i, f) in r.flags.split(',').enumerate() { @if i > 0 { ", " } (flag_name(f)) } }
                        }
                        @if r.reports > 0 { p.reports { "Bị báo cáo: " (r.reports) " lần" } }
                        @if let Some(sentiment) = &r.sentiment { p.sentiment data-sentiment=(sentiment) { "Cảm xúc: " (sentiment_name(sentiment)) } }
                        @if let Some(photos) = &r.photos {
                            p { "Ảnh" @if r.pending_photos > 0 { " (" (r.pending_photos) " chờ duyệt)" } ":" }
                            ul.review-photos { @for url in photos.split('\u{1f}') { li { a href=(url) { img src=(url) alt="" width="96" height="96" loading="lazy"; } } } }
                        }
                        @if let (Some(uid), Some(state)) = (&r.video_uid, &r.video_state) {
                            div.review-video-admin data-video=(uid) data-video-state=(state) {
                                p { "Video: " (video_state_name(state)) }
                                @if let Some(p) = previews.iter().find(|p| p.review_id == r.id) {
                                    (crate::views::reviews::video_player(crate::domain::locale::Locale::Vi, &p.base, &p.token))
                                } @else if state == "ready" {
                                    p.hint { "Chưa cấu hình khoá ký của Stream (STREAM_SIGNING_KEY_ID, STREAM_SIGNING_KEY): không xem trước được." }
                                }
                                @if matches!(state.as_str(), "awaiting_upload" | "processing" | "ready" | "approved") {
                                    form.reject-video method="post" action=(format!("/admin/reviews/{}/reject-video", r.id)) {
                                        (csrf_field())
                                        input type="hidden" name="status" value=(filter.code());
                                        button type="submit" { "Từ chối video (xoá ở Stream)" }
                                    }
                                }
                            }
                        }
                        @if let Some(reply) = &r.reply { blockquote.shop-reply { "Phản hồi: " (reply) } }
                        @if !r.moderation_note.is_empty() { p.note { "Lý do từ chối: " (r.moderation_note) } }
                        div.actions {
                            @if allows(r, &Moderation::Approve) && (r.status != ReviewStatus::Published || r.pending_photos > 0 || r.video_state.as_deref() == Some("ready")) {
                                form.approve method="post" action=(format!("/admin/reviews/{}/approve", r.id)) {
                                    (csrf_field())
                                    input type="hidden" name="status" value=(filter.code());
                                    button type="submit" { "Duyệt và đăng" }
                                }
                            }
                            @if allows(r, &Moderation::Hide) {
                                form.hide method="post" action=(format!("/admin/reviews/{}/hide", r.id)) {
                                    (csrf_field())
                                    input type="hidden" name="status" value=(filter.code());
                                    button type="submit" { "Ẩn" }
                                }
                            }
                            @if allows(r, &Moderation::Reject { reason: String::new() }) {
                                form.reject method="post" action=(format!("/admin/reviews/{}/reject", r.id)) {
                                    (csrf_field())
                                    input type="hidden" name="status" value=(filter.code());
                                    label { "Lý do từ chối " input type="text" name="reason" maxlength="2000" required; }
                                    button type="submit" { "Từ chối" }
                                }
                            }
                            @if allows(r, &Moderation::Reply { text: String::new() }) {
                                form.reply method="post" action=(format!("/admin/reviews/{}/reply", r.id)) {
                                    (csrf_field())
                                    input type="hidden" name="status" value=(filter.code());
                                    label { "Phản hồi công khai " textarea name="reply" maxlength="2000" rows="2" required { (r.reply.as_deref().unwrap_or_default()) } }
                                    button type="submit" { "Gửi phản hồi" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The tabs above the review queue, the Q&A queue and the sentiment report.
pub(super) fn tabs(current: &str) -> Markup {
    html! {
        nav.admin-tabs aria-label="Đánh giá và hỏi đáp" {
            a href="/admin/reviews" aria-current=[(current == "reviews").then_some("page")] { "Đánh giá" }
            " "
            a href="/admin/reviews/questions" aria-current=[(current == "questions").then_some("page")] { "Hỏi đáp" }
            " "
            a href="/admin/reviews/sentiment" aria-current=[(current == "sentiment").then_some("page")] { "Cảm xúc" }
        }
    }
}

fn qa_filter_name(f: QaFilter) -> &'static str {
    match f {
        QaFilter::Waiting => "Chờ duyệt",
        QaFilter::Published => "Đang hiển thị",
        QaFilter::Rejected => "Đã từ chối",
    }
}

fn qa_status_name(s: QaStatus) -> &'static str {
    match s {
        QaStatus::Pending => "Chờ duyệt",
        QaStatus::Published => "Đang hiển thị",
        QaStatus::Rejected => "Đã từ chối",
    }
}

/// The approve and reject forms of a question or an answer (`kind`: `questions` or `answers`) in
/// `status`, as far as its state allows.
fn qa_decisions(kind: &str, id: &str, status: QaStatus, filter: QaFilter) -> Markup {
    html! {
        @if QaDecision::Approve.from_statuses().contains(&status) {
            form.approve method="post" action=(format!("/admin/reviews/{kind}/{id}/approve")) {
                (csrf_field())
                input type="hidden" name="status" value=(filter.code());
                button type="submit" { "Duyệt và đăng" }
            }
        }
        @if (QaDecision::Reject { reason: String::new() }).from_statuses().contains(&status) {
            form.reject method="post" action=(format!("/admin/reviews/{kind}/{id}/reject")) {
                (csrf_field())
                input type="hidden" name="status" value=(filter.code());
                label { "Lý do từ chối " input type="text" name="reason" maxlength="2000" required; }
                button type="submit" { (if status == QaStatus::Published { "Gỡ xuống" } else { "Từ chối" }) }
            }
        }
    }
}

/// `/admin/reviews/questions`: questions (and the buyers' answers) waiting first, then published
/// and rejected ones; approve, reject with a reason, and the shop's answer (which publishes a
/// question still waiting). Every decision is audited.
pub fn questions_page(admin: &AdminRow, filter: QaFilter, rows: &[QueueQuestion], answers: &[QueueAnswer], notice: Option<&str>) -> Markup {
    shell(
        "Hỏi đáp sản phẩm",
        Some(admin),
        html! {
            h1 { "Hỏi đáp sản phẩm" }
            (tabs("questions"))
            p.hint { "Câu hỏi của khách và câu trả lời của khách đã mua chỉ hiển thị sau khi duyệt. Câu trả lời của cửa hàng được đăng ngay (và đăng luôn câu hỏi đang chờ). Mỗi quyết định được ghi vào nhật ký thao tác." }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            nav.review-filters aria-label="Lọc" {
                @for f in QaFilter::ALL {
                    a href=(format!("/admin/reviews/questions?status={}", f.code())) aria-current=[(f == filter).then_some("page")] { (qa_filter_name(f)) }
                }
            }
            @if rows.is_empty() { p.empty { "Không có câu hỏi nào." } }
            ol.admin-questions {
                @for q in rows {
                    li.question-item data-question=(q.id) data-status=(q.status.code()) {
                        p {
                            a href=(format!("/p/{}#questions", q.product_slug)) { (q.product_name) }
                            " · " (qa_status_name(q.status)) " · " (vn_time(q.created_at))
                        }
                        p.body { strong { "Hỏi: " } (q.body) }
                        p.meta { (if q.author_name.is_empty() { "Khách hàng" } else { q.author_name.as_str() }) }
                        @if !q.flags.is_empty() {
                            p.flags { "Gắn cờ: " @for (i, f) in q.flags.split(',').enumerate() { @if i > 0 { ", " } (flag_name(f)) } }
                        }
                        @if !q.moderation_note.is_empty() { p.note { "Lý do từ chối: " (q.moderation_note) } }
                        div.actions { (qa_decisions("questions", &q.id, q.status, filter)) }
                        @let theirs: Vec<&QueueAnswer> = answers.iter().filter(|a| a.question_id == q.id).collect();
                        @if !theirs.is_empty() {
                            ul.admin-answers {
                                @for a in theirs {
                                    li.answer-item data-answer=(a.id) data-status=(a.status.code()) data-by=(a.by.code()) {
                                        p { strong { "Đáp" } " (" (if a.by == AnswerBy::Shop { "cửa hàng" } else { "khách đã mua" }) ", " (a.author_name) ") · " (qa_status_name(a.status)) " · " (vn_time(a.created_at)) }
                                        p.body { (a.body) }
                                        @if !a.flags.is_empty() {
                                            p.flags { "Gắn cờ: " @for (i, f) in a.flags.split(',').enumerate() { @if i > 0 { ", " } (flag_name(f)) } }
                                        }
                                        @if !a.moderation_note.is_empty() { p.note { "Lý do từ chối: " (a.moderation_note) } }
                                        div.actions { (qa_decisions("answers", &a.id, a.status, filter)) }
                                    }
                                }
                            }
                        }
                        @if q.status != QaStatus::Rejected {
                            form.answer method="post" action=(format!("/admin/reviews/questions/{}/answer", q.id)) {
                                (csrf_field())
                                input type="hidden" name="status" value=(filter.code());
                                label { "Câu trả lời của cửa hàng " textarea name="answer" maxlength="2000" rows="2" required {} }
                                button type="submit" { (if q.status == QaStatus::Pending { "Trả lời và đăng" } else { "Trả lời" }) }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: ReviewStatus, pending_photos: i64) -> QueueRow {
        QueueRow {
            id: "r1".into(),
            product_id: 1,
            product_slug: "gile".into(),
            product_name: "Gile".into(),
            rating: 2,
            title: "<i>t</i>".into(),
            body: "gọi 0912345678".into(),
            author_name: "An N.".into(),
            size: "M".into(),
            color: "grey".into(),
            status,
            flags: "phone".into(),
            moderation_note: String::new(),
            reply: None,
            reports: 0,
            created_at: 1_780_000_000,
            pending_photos,
            photos: None,
            sentiment: None,
            video_uid: None,
            video_state: None,
        }
    }

    fn admin() -> AdminRow {
        serde_json::from_value(serde_json::json!({"id": "a", "email": "s@vestify.vn", "name": "S", "role": "support", "password_hash": "x", "created_at": 0, "disabled_at": null})).expect("an admin row")
    }

    #[test]
    fn each_review_offers_the_decisions_its_status_allows() {
        let pending = reviews_page(&admin(), QueueFilter::Waiting, None, &[row(ReviewStatus::Pending, 0)], None, &[]).into_string();
        assert!(pending.contains("/admin/reviews/r1/approve") && pending.contains("/admin/reviews/r1/reject"));
        assert!(!pending.contains("/admin/reviews/r1/hide"));
        assert!(pending.contains("có số điện thoại"));
        assert!(pending.contains("&lt;i&gt;t&lt;/i&gt;"));
        let published = reviews_page(&admin(), QueueFilter::Published, None, &[row(ReviewStatus::Published, 0)], None, &[]).into_string();
        assert!(published.contains("/admin/reviews/r1/hide") && !published.contains("/admin/reviews/r1/approve"));
        let with_photos = reviews_page(&admin(), QueueFilter::Waiting, None, &[row(ReviewStatus::Published, 2)], None, &[]).into_string();
        assert!(with_photos.contains("/admin/reviews/r1/approve"), "photos waiting can be approved");
    }

    #[test]
    fn the_sentiment_shows_in_words_and_the_filter_keeps_the_tab() {
        let mut r = row(ReviewStatus::Published, 0);
        r.sentiment = Some("negative".into());
        let page = reviews_page(&admin(), QueueFilter::Published, Some(Label::Negative), &[r], None, &[]).into_string();
        assert!(page.contains("Cảm xúc: Tiêu cực"));
        assert!(page.contains(r#"href="/admin/reviews?status=published&amp;sentiment=negative" data-sentiment="negative" aria-current="page""#), "{page}");
        assert!(page.contains(r#"href="/admin/reviews?status=waiting&amp;sentiment=negative""#), "the tabs keep the filter");
    }

    #[test]
    fn a_ready_video_is_played_with_its_signed_token_and_can_be_approved_or_rejected() {
        let mut r = row(ReviewStatus::Published, 0);
        r.video_uid = Some("6b9e68b07dfee8cc2d116e4c51d6a957".into());
        r.video_state = Some("ready".into());
        let preview = Preview { review_id: "r1".into(), base: "https://customer-x.cloudflarestream.com".into(), token: "eyJ.tok.sig".into() };
        let page = reviews_page(&admin(), QueueFilter::Waiting, None, std::slice::from_ref(&r), None, &[preview]).into_string();
        assert!(page.contains("/admin/reviews/r1/approve") && page.contains("/admin/reviews/r1/reject-video"));
        assert!(page.contains("https://customer-x.cloudflarestream.com/eyJ.tok.sig/iframe"), "the token stands in for the id");
        assert!(!page.contains("cloudflarestream.com/6b9e68b07dfee8cc2d116e4c51d6a957/"), "never the bare id before approval");
        let unsigned = reviews_page(&admin(), QueueFilter::Waiting, None, &[r], None, &[]).into_string();
        assert!(unsigned.contains("STREAM_SIGNING_KEY") && !unsigned.contains("<iframe"));
    }

    #[test]
    fn the_qa_tab_offers_each_decision_its_state_allows_and_shows_text_as_text() {
        let q = QueueQuestion {
            id: "q1".into(),
            product_slug: "gile".into(),
            product_name: "Gile".into(),
            author_name: "An N.".into(),
            body: "<b>Giặt</b> máy được không?".into(),
            flags: String::new(),
            status: QaStatus::Pending,
            moderation_note: String::new(),
            created_at: 1_780_000_000,
        };
        let a = QueueAnswer {
            id: "a1".into(),
            question_id: "q1".into(),
            by: AnswerBy::Buyer,
            author_name: "Bình T.".into(),
            body: "Được".into(),
            flags: "phone".into(),
            status: QaStatus::Pending,
            moderation_note: String::new(),
            created_at: 1_780_000_100,
        };
        let html = questions_page(&admin(), QaFilter::Waiting, std::slice::from_ref(&q), &[a], None).into_string();
        assert!(html.contains("&lt;b&gt;Giặt&lt;/b&gt;"));
        for action in ["/admin/reviews/questions/q1/approve", "/admin/reviews/questions/q1/reject", "/admin/reviews/questions/q1/answer", "/admin/reviews/answers/a1/approve", "/admin/reviews/answers/a1/reject"] {
            assert!(html.contains(action), "{action}");
        }
        assert!(html.contains("Trả lời và đăng") && html.contains("có số điện thoại"));
        let rejected = QueueQuestion { status: QaStatus::Rejected, ..q };
        let html = questions_page(&admin(), QaFilter::Rejected, &[rejected], &[], None).into_string();
        assert!(!html.contains("/admin/reviews/questions/q1/answer") && !html.contains("/admin/reviews/questions/q1/reject"));
        assert!(!html.contains("/admin/reviews/questions/q1/approve"), "a rejected question stays rejected");
    }
}
