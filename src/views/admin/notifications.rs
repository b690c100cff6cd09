//! The notifications in the admin panel (managers): the log of every message with filters, its
//! dead letters and their "resend", and a preview of every template in both languages.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::outbox::{LogFilter, LogRow, LOG_PAGE};
use crate::domain::locale::Locale;
use crate::domain::notify::{Channel, Kind, Status};
use crate::domain::time::vn_time;
use crate::views::email::Rendered;

fn tr(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    ctx.locale.pick(vi, en)
}

pub fn status_name(ctx: &AdminCtx, s: &str) -> &'static str {
    match Status::parse(s) {
        Some(Status::Pending) => tr(ctx, "Chờ gửi", "Pending"),
        Some(Status::Sending) => tr(ctx, "Đang gửi", "Sending"),
        Some(Status::Sent) => tr(ctx, "Đã gửi", "Sent"),
        Some(Status::Dead) => tr(ctx, "Thất bại", "Dead letter"),
        Some(Status::Skipped) | None => tr(ctx, "Bỏ qua", "Skipped"),
    }
}

pub fn kind_name(ctx: &AdminCtx, kind: &str) -> &'static str {
    match Kind::parse(kind) {
        Some(Kind::OrderPlaced) => tr(ctx, "Đã nhận đơn", "Order placed"),
        Some(Kind::OrderConfirmed) => tr(ctx, "Đã xác nhận (COD)", "Confirmed (COD)"),
        Some(Kind::OrderPaid) => tr(ctx, "Đã thanh toán", "Payment received"),
        Some(Kind::OrderExpired) => tr(ctx, "Hết hạn", "Expired"),
        Some(Kind::OrderCancelled) => tr(ctx, "Đã huỷ", "Cancelled"),
        Some(Kind::OrderShipped) => tr(ctx, "Đã gửi hàng", "Shipped"),
        Some(Kind::OrderDelivered) => tr(ctx, "Đã giao", "Delivered"),
        Some(Kind::OrderReturned) => tr(ctx, "Hoàn hàng", "Returned"),
        Some(Kind::OrderRefunded) => tr(ctx, "Đã hoàn tiền", "Refunded"),
        Some(Kind::OrderPartiallyRefunded) => tr(ctx, "Hoàn tiền một phần", "Partially refunded"),
        Some(Kind::OrderNeedsRefund) => tr(ctx, "Cần hoàn tiền", "Needs refund"),
        Some(Kind::RefundIssued) => tr(ctx, "Đã hoàn tiền", "Refund issued"),
        Some(Kind::PasswordReset) => tr(ctx, "Đặt lại mật khẩu", "Password reset"),
        Some(Kind::VerifyEmail) => tr(ctx, "Xác nhận email", "Email verification"),
        Some(Kind::ReviewRequest) => tr(ctx, "Mời đánh giá", "Review request"),
        Some(Kind::BackInStock) => tr(ctx, "Có hàng trở lại", "Back in stock"),
        Some(Kind::PriceDrop) => tr(ctx, "Giảm giá", "Price drop"),
        Some(Kind::NewsletterConfirm) => tr(ctx, "Xác nhận bản tin", "Newsletter confirmation"),
        Some(Kind::Campaign) => tr(ctx, "Chiến dịch", "Campaign"),
        Some(Kind::CartReminder) => tr(ctx, "Nhắc giỏ hàng", "Cart reminder"),
        None => tr(ctx, "Khác", "Other"),
    }
}

/// The table of messages, with "resend" on dead (and sent) ones when `can_resend`.
pub fn messages_table(ctx: &AdminCtx, rows: &[LogRow], can_resend: bool) -> Markup {
    html! {
        div.admin-table-wrap tabindex="0" { table.admin-table.notifications {
            thead { tr {
                th scope="col" { (tr(ctx, "Tạo lúc", "Created")) } th scope="col" { (tr(ctx, "Loại", "Kind")) } th scope="col" { (tr(ctx, "Kênh", "Channel")) }
                th scope="col" { (tr(ctx, "Người nhận", "Recipient")) } th scope="col" { (tr(ctx, "Trạng thái", "Status")) } th scope="col" class="num" { (tr(ctx, "Lần thử", "Tries")) }
                th scope="col" { (tr(ctx, "Gửi lúc / lỗi", "Sent / error")) } @if can_resend { th scope="col" { span.visually-hidden { (tr(ctx, "Thao tác", "Action")) } } }
            } }
            tbody {
                @for r in rows {
                    tr data-message=(r.id) data-status=(r.status) {
                        td { (vn_time(r.created_at)) } td { (kind_name(ctx, &r.kind)) } td { (r.channel) } td { (r.recipient) }
                        td { span class=(format!("message-status message-{}", r.status)) { (status_name(ctx, &r.status)) } }
                        td.num { (r.attempts) }
                        td {
                            @if let (Some(at), "sent") = (r.sent_at, r.status.as_str()) { (vn_time(at)) @if let Some(p) = &r.provider_id { " · " span.admin-muted { (p) } } }
                            @else if let Some(e) = &r.last_error { span.admin-muted { (e) } @if r.status == "pending" { " · " (tr(ctx, "thử lại lúc ", "next try ")) (vn_time(r.next_attempt_at)) } }
                        }
                        @if can_resend {
                            td { @if matches!(r.status.as_str(), "dead" | "sent" | "skipped") {
                                form method="post" action=(ctx.href(&format!("/admin/notifications/{}/resend", r.id))) {
                                    (csrf_field()) button.secondary type="submit" { (tr(ctx, "Gửi lại", "Resend")) }
                                }
                            } }
                        }
                    }
                }
            }
        } }
    }
}

pub fn log_page(ctx: &AdminCtx, f: &LogFilter, rows: &[LogRow], dead: i64, notice: Option<&str>) -> Markup {
    let shown: Vec<LogRow> = rows.iter().take(LOG_PAGE as usize).cloned().collect();
    let next = (rows.len() as i64 > LOG_PAGE).then(|| shown.last().map(|r| r.id)).flatten();
    let keep = |extra: &str| {
        let mut q = Vec::new();
        if let Some(k) = f.kind { q.push(format!("kind={}", k.code())); }
        if let Some(c) = f.channel { q.push(format!("channel={}", c.code())); }
        if let Some(s) = f.status { q.push(format!("status={}", s.code())); }
        if !f.recipient.is_empty() { q.push(format!("to={}", crate::domain::listing::percent_encode_component(&f.recipient))); }
        q.push(extra.to_string());
        format!("{}?{}", ctx.href("/admin/notifications"), q.join("&"))
    };
    page(
        ctx,
        Section::Notifications,
        tr(ctx, "Thông báo", "Notifications"),
        html! {
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            p {
                a href=(ctx.href("/admin/notifications?status=dead")) { (tr(ctx, "Thư thất bại", "Dead letters")) " (" (dead) ")" }
                " · " a href=(ctx.href("/admin/notifications/preview")) { (tr(ctx, "Xem trước các mẫu", "Preview the templates")) }
                " · " a href=(ctx.href("/admin/webhooks")) { "Webhooks" }
                " · " a href=(ctx.href("/admin/campaigns")) { (tr(ctx, "Chiến dịch email", "Email campaigns")) }
            }
            form.admin-filters method="get" action=(ctx.href("/admin/notifications")) {
                fieldset {
                    legend { (tr(ctx, "Lọc", "Filter")) }
                    label { (tr(ctx, "Loại", "Kind")) select name="kind" {
                        option value="" { (tr(ctx, "Tất cả", "All")) }
                        @for k in Kind::ALL { option value=(k.code()) selected[f.kind == Some(k)] { (kind_name(ctx, k.code())) } }
                    } }
                    label { (tr(ctx, "Kênh", "Channel")) select name="channel" {
                        option value="" { (tr(ctx, "Tất cả", "All")) }
                        @for c in [Channel::Email, Channel::Push, Channel::Zns, Channel::Webhook] { option value=(c.code()) selected[f.channel == Some(c)] { (c.code()) } }
                    } }
                    label { (tr(ctx, "Trạng thái", "Status")) select name="status" {
                        option value="" { (tr(ctx, "Tất cả", "All")) }
                        @for s in Status::ALL { option value=(s.code()) selected[f.status == Some(s)] { (status_name(ctx, s.code())) } }
                    } }
                    label { (tr(ctx, "Người nhận", "Recipient")) input type="search" name="to" value=(f.recipient) maxlength="200"; }
                    button type="submit" { (tr(ctx, "Lọc", "Filter")) }
                }
            }
            @if shown.is_empty() { p.admin-muted { (tr(ctx, "Không có thông báo nào.", "No messages.")) } }
            @else { (messages_table(ctx, &shown, true)) }
            @if let Some(id) = next { p { a rel="next" href=(keep(&format!("before={id}"))) { (tr(ctx, "Cũ hơn →", "Older →")) } } }
        },
    )
}

/// Every template, in both languages: subject and plain text here, the HTML on its own page.
pub fn previews_page(ctx: &AdminCtx, previews: &[(Kind, Locale, Rendered)]) -> Markup {
    page(
        ctx,
        Section::Notifications,
        tr(ctx, "Xem trước mẫu thông báo", "Template previews"),
        html! {
            p.admin-muted { (tr(ctx, "Dữ liệu mẫu (một đơn chuyển khoản hai sản phẩm); mỗi mẫu bằng tiếng Việt và tiếng Anh.", "Sample data (a bank-transfer order of two lines); each template in Vietnamese and English.")) }
            @for (kind, locale, r) in previews {
                section.admin-card data-preview=(format!("{}-{}", kind.code(), locale.code())) {
                    h2 { (kind_name(ctx, kind.code())) " · " (locale.code()) }
                    p { strong { (r.subject) } " · " a href=(ctx.href(&format!("/admin/notifications/preview?kind={}&locale={}", kind.code(), locale.code()))) { "HTML" } }
                    pre.email-text { (r.text) }
                }
            }
        },
    )
}
