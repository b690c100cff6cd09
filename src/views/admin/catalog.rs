//! The catalog and stock pages of the admin panel: the product list with search, filters, paging
//! and bulk publish/unpublish; the stock list with per-variant adjust forms, the low-stock list and
//! a variant's ledger. No script needed; every POST form carries the CSRF field.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::admin_catalog::{CategoryRow, LedgerRow, ProductFilter, ProductListRow, Status, StockRow, StockState};
use crate::app::inventory::Reason;
use crate::domain::locale::Locale;

/// A word in the viewer's language.
fn w(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    match ctx.locale {
        Locale::Vi => vi,
        Locale::En => en,
    }
}

fn status_name(ctx: &AdminCtx, status: &str) -> &'static str {
    match status {
        "draft" => w(ctx, "Nháp", "Draft"),
        "active" => w(ctx, "Đang bán", "Active"),
        "archived" => w(ctx, "Lưu trữ", "Archived"),
        _ => "?",
    }
}

fn stock_name(ctx: &AdminCtx, s: StockState) -> &'static str {
    match s {
        StockState::In => w(ctx, "Còn hàng", "In stock"),
        StockState::Low => w(ctx, "Sắp hết", "Low"),
        StockState::Out => w(ctx, "Hết hàng", "Out of stock"),
    }
}

pub fn reason_name(ctx: &AdminCtx, r: Reason) -> &'static str {
    match r {
        Reason::Received => w(ctx, "Nhập hàng", "Received"),
        Reason::Damaged => w(ctx, "Hư hỏng", "Damaged"),
        Reason::Correction => w(ctx, "Điều chỉnh kiểm kê", "Correction"),
        Reason::Return => w(ctx, "Khách trả hàng", "Return"),
        Reason::Import => w(ctx, "Nhập CSV", "CSV import"),
    }
}

/// A message above the page's content: `(ok, text)`.
fn notice(message: Option<&(bool, String)>) -> Markup {
    html! {
        @if let Some((ok, text)) = message {
            p class=(if *ok { "notice ok" } else { "notice error" }) role=(if *ok { "status" } else { "alert" }) { (text) }
        }
    }
}

pub struct ProductsView<'a> {
    pub filter: &'a ProductFilter,
    pub categories: &'a [CategoryRow],
    pub rows: &'a [ProductListRow],
    pub has_next: bool,
    pub can_edit: bool,
    pub message: Option<(bool, String)>,
}

pub fn products_page(ctx: &AdminCtx, v: &ProductsView) -> Markup {
    let f = v.filter;
    let main = html! {
        (notice(v.message.as_ref()))
        form.admin-filters method="get" action=(ctx.href("/admin/products")) {
            label { (w(ctx, "Tìm theo tên hoặc SKU", "Search name or SKU")) input type="search" name="q" value=(f.q); }
            label { (w(ctx, "Danh mục", "Category"))
                select name="category" {
                    option value="" { (w(ctx, "Tất cả", "All")) }
                    @for c in v.categories {
                        option value=(c.id) selected[f.category == Some(c.id)] { (if ctx.locale == Locale::Vi { &c.name_vi } else { &c.name_en }) }
                    }
                }
            }
            label { (w(ctx, "Trạng thái", "Status"))
                select name="status" {
                    option value="" { (w(ctx, "Tất cả", "All")) }
                    @for s in Status::ALL { option value=(s.code()) selected[f.status == Some(s)] { (status_name(ctx, s.code())) } }
                }
            }
            label { (w(ctx, "Tồn kho", "Stock"))
                select name="stock" {
                    option value="" { (w(ctx, "Tất cả", "All")) }
                    @for s in StockState::ALL { option value=(s.code()) selected[f.stock == Some(s)] { (stock_name(ctx, s)) } }
                }
            }
            button type="submit" { (w(ctx, "Lọc", "Filter")) }
        }
        @if v.rows.is_empty() {
            p { (w(ctx, "Không có sản phẩm nào khớp.", "No product matches.")) }
        } @else {
            form #bulk method="post" action=(ctx.href("/admin/products/bulk")) {
                (csrf_field())
                div.table-scroll {
                    table.admin-table {
                        thead { tr {
                            @if v.can_edit { th { span.visually-hidden { (w(ctx, "Chọn", "Select")) } } }
                            th { (w(ctx, "Sản phẩm", "Product")) }
                            th { (w(ctx, "Danh mục", "Category")) }
                            th { (w(ctx, "Trạng thái", "Status")) }
                            th { (w(ctx, "Có thể bán", "Sellable")) }
                            th { (w(ctx, "Tồn kho", "Stock")) }
                        } }
                        tbody {
                            @for r in v.rows {
                                tr data-product=(r.id) {
                                    @if v.can_edit {
                                        td { input type="checkbox" name="id" value=(r.id) aria-label=(format!("{} {}", w(ctx, "Chọn", "Select"), r.name_vi)); }
                                    }
                                    td { (if ctx.locale == Locale::Vi { &r.name_vi } else { &r.name_en }) br; small { (r.slug) " · " (r.variants) " " (w(ctx, "biến thể", "variants")) } }
                                    td { (r.category) }
                                    td.status { (status_name(ctx, &r.status)) }
                                    td.num { (ctx.number(r.available)) }
                                    td { a href=(ctx.href(&format!("/admin/stock?q={}", r.slug))) { (stock_name(ctx, r.stock_state())) } }
                                }
                            }
                        }
                    }
                }
                @if v.can_edit {
                    div.bulk-actions {
                        button type="submit" name="action" value="publish" { (w(ctx, "Đăng bán các mục đã chọn", "Publish selected")) }
                        button type="submit" name="action" value="unpublish" { (w(ctx, "Ngừng bán các mục đã chọn", "Unpublish selected")) }
                    }
                }
            }
        }
        nav.pager aria-label=(w(ctx, "Trang", "Pages")) {
            @if f.page > 1 { a rel="prev" href=(format!("{}{}", ctx.href("/admin/products"), f.query_for_page(f.page - 1))) { (w(ctx, "← Trang trước", "← Previous")) } }
            span { (w(ctx, "Trang ", "Page ")) (f.page) }
            @if v.has_next { a rel="next" href=(format!("{}{}", ctx.href("/admin/products"), f.query_for_page(f.page + 1))) { (w(ctx, "Trang sau →", "Next →")) } }
        }
    };
    page(ctx, Section::Products, w(ctx, "Sản phẩm", "Products"), main)
}

/// The adjust form of one variant; `request_id` is fresh per rendering, so a resubmitted form is
/// recognised and applied once.
fn adjust_form(ctx: &AdminCtx, row: &StockRow, request_id: &str) -> Markup {
    html! {
        form.adjust method="post" action=(ctx.href(&format!("/admin/stock/{}/adjust", row.id))) {
            (csrf_field())
            input type="hidden" name="request_id" value=(request_id);
            label { (w(ctx, "Thay đổi (+/−)", "Change (+/−)")) input type="text" inputmode="numeric" name="delta" required size="5"; }
            label { (w(ctx, "Lý do", "Reason"))
                select name="reason" {
                    @for r in Reason::ALL.into_iter().filter(|r| *r != Reason::Import) { option value=(r.as_str()) { (reason_name(ctx, r)) } }
                }
            }
            label { (w(ctx, "Ghi chú", "Note")) input type="text" name="note" maxlength="200"; }
            button type="submit" { (w(ctx, "Cập nhật", "Apply")) }
        }
    }
}

pub struct StockView<'a> {
    pub q: &'a str,
    pub low_only: bool,
    /// Each variant with the request id of its adjust form.
    pub rows: &'a [(StockRow, String)],
    pub can_edit: bool,
}

pub fn stock_page(ctx: &AdminCtx, v: &StockView) -> Markup {
    let title = if v.low_only { w(ctx, "Sắp hết hàng", "Low stock") } else { w(ctx, "Tồn kho", "Stock") };
    let main = html! {
        form.admin-filters method="get" action=(ctx.href("/admin/stock")) {
            label { (w(ctx, "Tìm theo SKU hoặc tên", "Search SKU or name")) input type="search" name="q" value=(v.q); }
            label.check { input type="checkbox" name="low" value="1" checked[v.low_only]; (w(ctx, "Chỉ hàng sắp hết", "Low stock only")) }
            button type="submit" { (w(ctx, "Lọc", "Filter")) }
        }
        @if v.rows.is_empty() {
            p { (w(ctx, "Không có biến thể nào.", "No variant.")) }
        }
        div.table-scroll {
            table.admin-table.stock {
                thead { tr {
                    th { "SKU" } th { (w(ctx, "Sản phẩm", "Product")) }
                    th { (w(ctx, "Tồn thực tế", "On hand")) } th { (w(ctx, "Đang giữ", "Reserved")) }
                    th { (w(ctx, "Có thể bán", "Sellable")) } th { (w(ctx, "Ngưỡng", "Threshold")) }
                    @if v.can_edit { th { (w(ctx, "Điều chỉnh", "Adjust")) } }
                } }
                tbody {
                    @for (r, request_id) in v.rows {
                        tr data-variant=(r.id) class=[r.is_low().then_some("low")] {
                            td { a href=(ctx.href(&format!("/admin/stock/{}", r.id))) { (r.sku) } }
                            td { (r.product) " · " (r.size) " · " (r.color) }
                            td.num.on-hand { (ctx.number(r.on_hand)) }
                            td.num { (ctx.number(r.reserved)) }
                            td.num.available { (ctx.number(r.available())) }
                            td.num { (r.low_stock_threshold) }
                            @if v.can_edit { td { (adjust_form(ctx, r, request_id)) } }
                        }
                    }
                }
            }
        }
    };
    page(ctx, Section::Stock, title, main)
}

pub struct VariantView<'a> {
    pub row: &'a StockRow,
    pub ledger: &'a [LedgerRow],
    pub request_id: &'a str,
    pub can_edit: bool,
    pub message: Option<(bool, String)>,
}

pub fn variant_page(ctx: &AdminCtx, v: &VariantView) -> Markup {
    let r = v.row;
    let main = html! {
        (notice(v.message.as_ref()))
        p { (r.product) " · " (r.size) " · " (r.color) }
        dl.stock-figures {
            dt { (w(ctx, "Tồn thực tế", "On hand")) } dd.on-hand { (ctx.number(r.on_hand)) }
            dt { (w(ctx, "Đang giữ (giỏ hàng, đơn chưa trả)", "Reserved (carts, unpaid orders)")) } dd { (ctx.number(r.reserved)) }
            dt { (w(ctx, "Có thể bán", "Sellable")) } dd.available { (ctx.number(r.available())) }
            dt { (w(ctx, "Ngưỡng sắp hết", "Low-stock threshold")) } dd { (r.low_stock_threshold) }
        }
        @if v.can_edit {
            h2 { (w(ctx, "Điều chỉnh tồn kho", "Adjust stock")) }
            (adjust_form(ctx, r, v.request_id))
            h2 { (w(ctx, "Ngưỡng sắp hết", "Low-stock threshold")) }
            form method="post" action=(ctx.href(&format!("/admin/stock/{}/threshold", r.id))) {
                (csrf_field())
                label { (w(ctx, "Ngưỡng", "Threshold")) input type="number" min="0" max="100000" name="threshold" value=(r.low_stock_threshold) required; }
                button type="submit" { (w(ctx, "Lưu", "Save")) }
            }
        }
        h2 { (w(ctx, "Lịch sử tồn kho", "Stock ledger")) }
        @if v.ledger.is_empty() {
            p { (w(ctx, "Chưa có thay đổi nào.", "No change yet.")) }
        } @else {
            div.table-scroll {
                table.admin-table.ledger {
                    thead { tr { th { (w(ctx, "Thời điểm", "When")) } th { (w(ctx, "Thay đổi", "Change")) } th { (w(ctx, "Lý do", "Reason")) } th { (w(ctx, "Sau đó", "After")) } th { (w(ctx, "Người làm", "By")) } th { (w(ctx, "Ghi chú", "Note")) } } }
                    tbody {
                        @for l in v.ledger {
                            tr {
                                td { (crate::domain::time::rfc3339(l.created_at)) }
                                td.num { @if l.delta > 0 { "+" } (l.delta) }
                                td { (Reason::parse(&l.reason).map_or("?", |x| reason_name(ctx, x))) }
                                td.num { (l.on_hand_after) }
                                td { (l.actor) }
                                td { (l.note) }
                            }
                        }
                    }
                }
            }
        }
        p { a href=(ctx.href("/admin/stock")) { (w(ctx, "← Tồn kho", "← Stock")) } }
    };
    page(ctx, Section::Stock, &r.sku, main)
}
