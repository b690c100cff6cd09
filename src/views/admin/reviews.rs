//! `/admin/reviews`: the moderation queue (support staff and up). What waits first — held text,
//! photos to approve, reported reviews — then published, rejected and hidden ones; each with the
//! decisions it allows (approve, reject with a reason, hide, reply). Every decision is audited.

use maud::{html, Markup};

use super::access::shell;
use crate::app::admin::AdminRow;
use crate::app::reviews::{QueueFilter, QueueRow};
use crate::domain::reviews::{Moderation, ReviewStatus};
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

/// The queue: `filter` chosen, `rows` in it, `notice` what the last decision did (or why it was refused).
pub fn reviews_page(admin: &AdminRow, filter: QueueFilter, rows: &[QueueRow], notice: Option<&str>) -> Markup {
    shell(
        "Đánh giá sản phẩm",
        Some(admin),
        html! {
            h1 { "Đánh giá sản phẩm" }
            p.hint { "Nội dung không bị gắn cờ được đăng ngay; nội dung có đường dẫn, số điện thoại hoặc từ ngữ bị chặn, và mọi ảnh, chờ duyệt. Mỗi quyết định được ghi vào nhật ký thao tác." }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            nav.review-filters aria-label="Lọc" {
                @for f in QueueFilter::ALL {
                    a href=(format!("/admin/reviews?status={}", f.code())) aria-current=[(f == filter).then_some("page")] { (filter_name(f)) }
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
                        @if let Some(sentiment) = &r.sentiment { p.sentiment data-sentiment=(sentiment) { "Cảm xúc: " (sentiment) } }
                        @if let Some(photos) = &r.photos {
                            p { "Ảnh" @if r.pending_photos > 0 { " (" (r.pending_photos) " chờ duyệt)" } ":" }
                            ul.review-photos { @for url in photos.split('\u{1f}') { li { a href=(url) { img src=(url) alt="" width="96" height="96" loading="lazy"; } } } }
                        }
                        @if let Some(reply) = &r.reply { blockquote.shop-reply { "Phản hồi: " (reply) } }
                        @if !r.moderation_note.is_empty() { p.note { "Lý do từ chối: " (r.moderation_note) } }
                        div.actions {
                            @if allows(r, &Moderation::Approve) && (r.status != ReviewStatus::Published || r.pending_photos > 0) {
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
        }
    }

    fn admin() -> AdminRow {
        serde_json::from_value(serde_json::json!({"id": "a", "email": "s@vestify.vn", "name": "S", "role": "support", "password_hash": "x", "created_at": 0, "disabled_at": null})).expect("an admin row")
    }

    #[test]
    fn each_review_offers_the_decisions_its_status_allows() {
        let pending = reviews_page(&admin(), QueueFilter::Waiting, &[row(ReviewStatus::Pending, 0)], None).into_string();
        assert!(pending.contains("/admin/reviews/r1/approve") && pending.contains("/admin/reviews/r1/reject"));
        assert!(!pending.contains("/admin/reviews/r1/hide"));
        assert!(pending.contains("có số điện thoại"));
        assert!(pending.contains("&lt;i&gt;t&lt;/i&gt;"));
        let published = reviews_page(&admin(), QueueFilter::Published, &[row(ReviewStatus::Published, 0)], None).into_string();
        assert!(published.contains("/admin/reviews/r1/hide") && !published.contains("/admin/reviews/r1/approve"));
        let with_photos = reviews_page(&admin(), QueueFilter::Waiting, &[row(ReviewStatus::Published, 2)], None).into_string();
        assert!(with_photos.contains("/admin/reviews/r1/approve"), "photos waiting can be approved");
    }
}
