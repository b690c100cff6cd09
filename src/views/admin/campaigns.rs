//! Campaigns in the admin panel (managers; `app::campaigns`): the list with each campaign's counts
//! and the compose form; a campaign's page with its preview in both languages, the number of
//! addresses its segment reaches, editing, scheduling and cancelling.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::campaigns::{CampaignRow, Counts};
use crate::app::taxonomy::CategoryRow;
use crate::domain::campaign::{CampaignStatus, Segment};
use crate::domain::time::vn_time;
use crate::views::email::Rendered;

fn tr(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    ctx.locale.pick(vi, en)
}

fn status_name(ctx: &AdminCtx, s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Draft => tr(ctx, "Nháp", "Draft"),
        CampaignStatus::Scheduled => tr(ctx, "Đã hẹn giờ", "Scheduled"),
        CampaignStatus::Sending => tr(ctx, "Đang gửi", "Sending"),
        CampaignStatus::Sent => tr(ctx, "Đã gửi hết", "Sent"),
        CampaignStatus::Cancelled => tr(ctx, "Đã huỷ", "Cancelled"),
    }
}

fn segment_name(ctx: &AdminCtx, segment: Option<Segment>, categories: &[CategoryRow]) -> String {
    match segment {
        Some(Segment::Subscribers) => tr(ctx, "Mọi người đăng ký bản tin", "All newsletter subscribers").to_string(),
        Some(Segment::CategoryBuyers(id)) => {
            let name = categories.iter().find(|c| c.id == id).map_or_else(|| format!("#{id}"), |c| ctx.locale.pick(&c.name_vi, &c.name_en).to_string());
            format!("{}: {name}", tr(ctx, "Người đã mua trong danh mục", "Buyers in the category"))
        }
        Some(Segment::ProductAlerts(id)) => format!("{} #{id}", tr(ctx, "Người chờ thông báo của sản phẩm", "Waiting for alerts on product")),
        None => "—".to_string(),
    }
}

fn counts_cells(c: &Counts) -> Markup {
    html! {
        td.num data-count="queued" { (c.queued) } td.num data-count="sent" { (c.sent) } td.num data-count="failed" { (c.failed) }
        td.num data-count="skipped" { (c.skipped) } td.num data-count="unsubscribed" { (c.unsubscribed) }
    }
}

fn counts_head(ctx: &AdminCtx) -> Markup {
    html! {
        th scope="col" class="num" { (tr(ctx, "Chờ gửi", "Queued")) } th scope="col" class="num" { (tr(ctx, "Đã gửi", "Sent")) }
        th scope="col" class="num" { (tr(ctx, "Thất bại", "Failed")) } th scope="col" class="num" { (tr(ctx, "Bỏ qua", "Skipped")) }
        th scope="col" class="num" { (tr(ctx, "Huỷ đăng ký từ khi gửi", "Unsubscribed since")) }
    }
}

/// What the compose form shows: the values typed and the fields refused.
#[derive(Default)]
pub struct ComposeForm<'a> {
    pub values: Vec<(String, String)>,
    pub errors: &'a [(&'static str, &'static str)],
}

impl ComposeForm<'_> {
    fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn error(&self, name: &str) -> Markup {
        html! { @for (_, msg) in self.errors.iter().filter(|(f, _)| *f == name) { span.field-error id=(format!("{name}-error")) { (msg) } } }
    }

    fn invalid(&self, name: &str) -> Option<&'static str> {
        self.errors.iter().any(|(f, _)| *f == name).then_some("true")
    }

    /// The form's values of a stored campaign.
    pub fn of(row: &CampaignRow) -> Vec<(String, String)> {
        let mut v = vec![
            ("subject_vi".to_string(), row.subject_vi.clone()),
            ("subject_en".to_string(), row.subject_en.clone()),
            ("body_vi".to_string(), row.body_vi.clone()),
            ("body_en".to_string(), row.body_en.clone()),
            ("segment".to_string(), row.segment.clone()),
        ];
        match row.segment() {
            Some(Segment::CategoryBuyers(id)) => v.push(("category_id".into(), id.to_string())),
            Some(Segment::ProductAlerts(id)) => v.push(("product_id".into(), id.to_string())),
            _ => {}
        }
        v
    }
}

fn compose(ctx: &AdminCtx, action: &str, form: &ComposeForm, categories: &[CategoryRow], submit: &str) -> Markup {
    let segment = form.value("segment");
    html! {
        form.admin-form method="post" action=(ctx.href(action)) novalidate {
            (csrf_field())
            @for (name, label, max) in [("subject_vi", tr(ctx, "Tiêu đề (tiếng Việt)", "Subject (Vietnamese)"), 150), ("subject_en", tr(ctx, "Tiêu đề (tiếng Anh)", "Subject (English)"), 150)] {
                label { (label) input type="text" name=(name) value=(form.value(name)) maxlength=(max) required aria-invalid=[form.invalid(name)]; (form.error(name)) }
            }
            @for (name, label) in [("body_vi", tr(ctx, "Nội dung (tiếng Việt)", "Body (Vietnamese)")), ("body_en", tr(ctx, "Nội dung (tiếng Anh)", "Body (English)"))] {
                label { (label) textarea name=(name) rows="8" maxlength="20000" required aria-invalid=[form.invalid(name)] { (form.value(name)) } (form.error(name)) }
            }
            p.admin-muted { (tr(ctx, "Định dạng: dòng trống tách đoạn, \"- \" đầu dòng cho danh sách, **đậm**, [chữ](https://liên-kết).", "Format: a blank line between paragraphs, \"- \" for list items, **bold**, [text](https://link).")) }
            fieldset {
                legend { (tr(ctx, "Gửi đến", "Send to")) }
                label { input type="radio" name="segment" value="subscribers" checked[segment.is_empty() || segment == "subscribers"]; " " (tr(ctx, "Mọi người đăng ký bản tin", "All newsletter subscribers")) }
                label { input type="radio" name="segment" value="category_buyers" checked[segment == "category_buyers"]; " " (tr(ctx, "Người đã mua trong danh mục", "Buyers in a category")) }
                label { (tr(ctx, "Danh mục", "Category")) select name="category_id" aria-invalid=[form.invalid("category_id")] {
                    option value="" { "—" }
                    @for c in categories { option value=(c.id) selected[form.value("category_id") == c.id.to_string()] { (c.path) " · " (ctx.locale.pick(&c.name_vi, &c.name_en)) } }
                } (form.error("category_id")) }
                label { input type="radio" name="segment" value="product_alerts" checked[segment == "product_alerts"]; " " (tr(ctx, "Người chờ thông báo của một sản phẩm", "Shoppers waiting for a product's alerts")) }
                label { (tr(ctx, "Mã sản phẩm (ID)", "Product id")) input type="number" name="product_id" min="1" value=(form.value("product_id")) aria-invalid=[form.invalid("product_id")]; (form.error("product_id")) }
                (form.error("segment"))
                p.admin-muted { (tr(ctx, "Chỉ gửi đến địa chỉ đã đồng ý nhận email khuyến mãi.", "Only addresses that agreed to marketing email receive it.")) }
            }
            button type="submit" { (submit) }
        }
    }
}

/// `/admin/campaigns`: every campaign with its counts, and the compose form.
pub fn list_page(ctx: &AdminCtx, rows: &[CampaignRow], form: &ComposeForm, categories: &[CategoryRow]) -> Markup {
    page(
        ctx,
        Section::Notifications,
        tr(ctx, "Chiến dịch email", "Email campaigns"),
        html! {
            p { a href=(ctx.href("/admin/notifications")) { (tr(ctx, "← Nhật ký thông báo", "← Notifications log")) } }
            @if rows.is_empty() { p.admin-muted { (tr(ctx, "Chưa có chiến dịch nào.", "No campaigns yet.")) } }
            @else {
                div.admin-table-wrap { table.admin-table.campaigns {
                    thead { tr {
                        th scope="col" { (tr(ctx, "Tiêu đề", "Subject")) } th scope="col" { (tr(ctx, "Trạng thái", "Status")) }
                        th scope="col" { (tr(ctx, "Gửi lúc", "Send time")) } (counts_head(ctx))
                    } }
                    tbody { @for r in rows {
                        tr data-campaign=(r.id) data-status=(r.status) {
                            td { a href=(ctx.href(&format!("/admin/campaigns/{}", r.id))) { (ctx.locale.pick(&r.subject_vi, &r.subject_en)) } }
                            td { (status_name(ctx, r.status())) }
                            td { @if let Some(at) = r.send_at { (vn_time(at)) } @else { "—" } }
                            (counts_cells(&r.counts))
                        }
                    } }
                } }
            }
            h2 { (tr(ctx, "Soạn chiến dịch mới", "Compose a campaign")) }
            (compose(ctx, "/admin/campaigns", form, categories, tr(ctx, "Lưu nháp", "Save the draft")))
        },
    )
}

/// What a campaign's page shows.
pub struct CampaignView<'a> {
    pub row: &'a CampaignRow,
    /// Addresses the segment reaches now.
    pub reach: i64,
    /// The mail in Vietnamese and English.
    pub previews: [(crate::domain::locale::Locale, Rendered); 2],
    pub categories: &'a [CategoryRow],
    pub form: ComposeForm<'a>,
    pub schedule_error: Option<&'static str>,
    pub notice: Option<&'static str>,
}

/// `/admin/campaigns/{id}`.
pub fn campaign_page(ctx: &AdminCtx, v: &CampaignView) -> Markup {
    let r = v.row;
    let status = r.status();
    let base = format!("/admin/campaigns/{}", r.id);
    page(
        ctx,
        Section::Notifications,
        ctx.locale.pick(&r.subject_vi, &r.subject_en),
        html! {
            p { a href=(ctx.href("/admin/campaigns")) { (tr(ctx, "← Chiến dịch", "← Campaigns")) } }
            @if let Some(n) = v.notice { p.notice role="status" { (n) } }
            dl.admin-facts {
                dt { (tr(ctx, "Trạng thái", "Status")) } dd data-campaign-status=(r.status) { (status_name(ctx, status)) }
                dt { (tr(ctx, "Gửi đến", "Send to")) } dd { (segment_name(ctx, r.segment(), v.categories)) }
                dt { (tr(ctx, "Số người nhận hiện tại", "Recipients now")) } dd data-reach=(v.reach) { (ctx.number(v.reach)) }
                @if let Some(at) = r.send_at { dt { (tr(ctx, "Gửi lúc", "Send time")) } dd { (vn_time(at)) } }
                @if let Some(at) = r.finished_at { dt { (tr(ctx, "Xếp hàng xong lúc", "All queued at")) } dd { (vn_time(at)) } }
                dt { (tr(ctx, "Tạo bởi", "Created by")) } dd { (r.created_by) " · " (vn_time(r.created_at)) }
            }
            div.admin-table-wrap { table.admin-table { thead { tr { (counts_head(ctx)) } } tbody { tr data-counts { (counts_cells(&r.counts)) } } } }
            h2 { (tr(ctx, "Xem trước", "Preview")) }
            @for (locale, mail) in &v.previews {
                section.admin-card data-preview=(locale.code()) {
                    h3 { (locale.code()) " · " (mail.subject) }
                    p { a href=(ctx.href(&format!("{base}/preview?locale={}", locale.code()))) { "HTML" } }
                    pre.email-text { (mail.text) }
                }
            }
            @if status.editable() {
                h2 { (tr(ctx, "Gửi", "Send")) }
                form.admin-form method="post" action=(ctx.href(&format!("{base}/schedule"))) novalidate {
                    (csrf_field())
                    label { (tr(ctx, "Gửi lúc (giờ VN)", "Send at (Vietnam time)")) input type="datetime-local" name="send_at" aria-invalid=[v.schedule_error.map(|_| "true")]; }
                    @if let Some(e) = v.schedule_error { span.field-error id="send_at-error" { (e) } }
                    button type="submit" { (tr(ctx, "Hẹn giờ gửi", "Schedule")) }
                    " " button type="submit" name="now" value="1" { (tr(ctx, "Gửi ngay", "Send now")) }
                }
                h2 { (tr(ctx, "Sửa", "Edit")) }
                (compose(ctx, &base, &v.form, v.categories, tr(ctx, "Lưu", "Save")))
            }
            @if matches!(status, CampaignStatus::Draft | CampaignStatus::Scheduled | CampaignStatus::Sending) {
                form method="post" action=(ctx.href(&format!("{base}/cancel"))) {
                    (csrf_field()) button.secondary type="submit" { (tr(ctx, "Huỷ chiến dịch", "Cancel the campaign")) }
                }
            }
        },
    )
}
