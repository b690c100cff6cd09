//! The catalog and stock pages of the admin panel: the product list with search, filters, paging
//! and bulk publish/unpublish; the stock list with per-variant adjust forms, the low-stock list and
//! a variant's ledger. No script needed; every POST form carries the CSRF field.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::admin_catalog::{stock_query_for_page, CategoryRow, LedgerRow, ProductFilter, ProductListRow, StockRow, StockState};
use crate::app::inventory::Reason;
use crate::domain::catalog::ProductStatus;
use crate::domain::feeds::{AgeGroup, Gender};
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;

/// A word in the viewer's language.
fn w(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    match ctx.locale {
        Locale::Vi => vi,
        Locale::En => en,
    }
}

fn status_name(ctx: &AdminCtx, status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Draft => w(ctx, "Nháp", "Draft"),
        ProductStatus::Active => w(ctx, "Đang bán", "Active"),
        ProductStatus::Archived => w(ctx, "Lưu trữ", "Archived"),
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

/// Why a reduction of `asked` units (positive) cannot be applied: how many can be removed at most
/// and that the rest is held for shoppers' carts and unpaid orders.
pub fn below_reserved_message(ctx: &AdminCtx, on_hand: i64, reserved: i64, asked: i64) -> String {
    let removable = (on_hand - reserved).max(0);
    match ctx.locale {
        Locale::Vi => format!(
            "Không thể bớt {asked}: chỉ có thể bớt tối đa {removable}. Trong {on_hand} sản phẩm tồn thực tế có {reserved} đang được giữ cho giỏ hàng và đơn chưa thanh toán; số đó chỉ trở lại khi giỏ hết hạn hoặc đơn bị huỷ.",
            asked = ctx.number(asked),
            removable = ctx.number(removable),
            on_hand = ctx.number(on_hand),
            reserved = ctx.number(reserved)
        ),
        Locale::En => format!(
            "Cannot remove {asked}: at most {removable} can be removed. Of the {on_hand} units on hand, {reserved} are held for shoppers' carts and unpaid orders; they come back only when a cart expires or an order is cancelled.",
            asked = ctx.number(asked),
            removable = ctx.number(removable),
            on_hand = ctx.number(on_hand),
            reserved = ctx.number(reserved)
        ),
    }
}

/// A ledger note as written by people, except the CSV import's own (`CSV import, line N`, stored in
/// English), which is shown in the viewer's language.
pub fn ledger_note(ctx: &AdminCtx, note: &str) -> String {
    match note.strip_prefix("CSV import, line ").filter(|n| n.bytes().all(|b| b.is_ascii_digit())) {
        Some(line) => format!("{} {line}", w(ctx, "Nhập CSV, dòng", "CSV import, line")),
        None => note.to_string(),
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
    /// May recompute the recommendation lists now (managers and owners).
    pub can_recompute: bool,
    pub message: Option<(bool, String)>,
}

fn products_table(ctx: &AdminCtx, v: &ProductsView) -> Markup {
    html! {
        div.table-scroll {
            table.admin-table {
                thead { tr {
                    @if v.can_edit { th { span.visually-hidden { (w(ctx, "Chọn", "Select")) } } }
                    th { span.visually-hidden { (w(ctx, "Ảnh", "Image")) } }
                    th { (w(ctx, "Sản phẩm", "Product")) }
                    th { (w(ctx, "Giá", "Price")) }
                    th { (w(ctx, "Danh mục", "Category")) }
                    th { (w(ctx, "Trạng thái", "Status")) }
                    th { (w(ctx, "Có thể bán", "Sellable")) }
                    th { (w(ctx, "Tồn kho", "Stock")) }
                } }
                tbody {
                    @for r in v.rows {
                        @let name = if ctx.locale == Locale::Vi { &r.name_vi } else { &r.name_en };
                        tr data-product=(r.id) {
                            @if v.can_edit {
                                td { input type="checkbox" name="id" value=(r.id) aria-label=(format!("{} {}", w(ctx, "Chọn", "Select"), r.name_vi)); }
                            }
                            td.thumb {
                                @if let Some(url) = &r.image { img src=(url) alt="" width="48" height="48" loading="lazy"; }
                            }
                            td { a.product-name href=(ctx.href(&format!("/admin/products/{}", r.id))) { (name) } br; small { (r.slug) " · " (r.variants) " " (w(ctx, "biến thể", "variants")) } }
                            td.num.price { (price_range(ctx, r)) }
                            td { (r.category) }
                            td.status { (status_name(ctx, r.status)) }
                            td.num { (ctx.number(r.available)) }
                            td {
                                a href=(ctx.href(&format!("/admin/stock?q={}", r.slug))) { (stock_name(ctx, r.stock_state())) }
                                @if r.low > 0 || r.sold_out > 0 {
                                    br; small.stock-detail {
                                        @if r.low > 0 { (r.low) " " (w(ctx, "sắp hết", "low")) }
                                        @if r.low > 0 && r.sold_out > 0 { " · " }
                                        @if r.sold_out > 0 { (r.sold_out) " " (w(ctx, "hết hàng", "sold out")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The cheapest price, or "cheapest – dearest" when the variants differ; a dash without variants.
fn price_range(ctx: &AdminCtx, r: &ProductListRow) -> String {
    if r.max_price <= 0 {
        "—".into()
    } else if r.min_price == r.max_price {
        ctx.money(Vnd::new(r.min_price))
    } else {
        format!("{} – {}", ctx.money(Vnd::new(r.min_price)), ctx.money(Vnd::new(r.max_price)))
    }
}

pub fn products_page(ctx: &AdminCtx, v: &ProductsView) -> Markup {
    let f = v.filter;
    let main = html! {
        nav.subnav aria-label=(w(ctx, "Danh mục sản phẩm", "Catalog")) {
            a href=(ctx.href("/admin/categories")) { (w(ctx, "Danh mục", "Categories")) }
            a href=(ctx.href("/admin/collections")) { (w(ctx, "Bộ sưu tập", "Collections")) }
            @if v.can_edit { a href=(ctx.href("/admin/products/new")) { (w(ctx, "Thêm sản phẩm", "New product")) } }
            @if v.can_recompute {
                form.inline method="post" action=(ctx.href("/admin/recommendations")) {
                    (csrf_field())
                    button type="submit" { (w(ctx, "Tính lại gợi ý sản phẩm", "Recompute recommendations")) }
                }
            }
        }
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
                    @for s in ProductStatus::ALL { option value=(s.code()) selected[f.status == Some(s)] { (status_name(ctx, s)) } }
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
            @if v.can_edit {
                form #bulk method="post" action=(ctx.href("/admin/products/bulk")) {
                    (csrf_field())
                    (products_table(ctx, v))
                    div.bulk-actions {
                        button type="submit" name="action" value="publish" { (w(ctx, "Đăng bán các mục đã chọn", "Publish selected")) }
                        button type="submit" name="action" value="unpublish" { (w(ctx, "Ngừng bán các mục đã chọn", "Unpublish selected")) }
                    }
                }
            } @else {
                (products_table(ctx, v))
            }
        }
        p { a href=(ctx.href("/admin/products.csv")) download { (w(ctx, "Tải CSV sản phẩm và tồn kho", "Download products and stock as CSV")) } }
        @if v.can_edit { (super::import::upload_form(ctx)) }
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
    /// 1-based, and whether a next page exists.
    pub page: i64,
    pub has_next: bool,
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
                            td { (r.product) " · " (r.size) " · " (r.color_name(ctx.locale)) }
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
        nav.pager aria-label=(w(ctx, "Trang", "Pages")) {
            @if v.page > 1 { a rel="prev" href=(format!("{}{}", ctx.href("/admin/stock"), stock_query_for_page(v.q, v.low_only, v.page - 1))) { (w(ctx, "← Trang trước", "← Previous")) } }
            span { (w(ctx, "Trang ", "Page ")) (v.page) }
            @if v.has_next { a rel="next" href=(format!("{}{}", ctx.href("/admin/stock"), stock_query_for_page(v.q, v.low_only, v.page + 1))) { (w(ctx, "Trang sau →", "Next →")) } }
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
        p { (r.product) " · " (r.size) " · " (r.color_name(ctx.locale)) }
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
                                td { time datetime=(crate::domain::time::rfc3339(l.created_at)) { (crate::domain::time::vn_time(l.created_at)) } }
                                td.num { @if l.delta > 0 { "+" } (l.delta) }
                                td { (Reason::parse(&l.reason).map_or("?", |x| reason_name(ctx, x))) }
                                td.num { (l.on_hand_after) }
                                td.actor title=(l.actor) { (l.who()) }
                                td { (ledger_note(ctx, &l.note)) }
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

pub struct ProductFormView<'a> {
    /// `None` for a new product.
    pub id: Option<i64>,
    pub input: &'a crate::app::admin_product::ProductInput,
    pub categories: &'a [CategoryRow],
    pub variants: &'a [crate::app::admin_product::VariantRow],
    pub sizes: &'a [String],
    pub colors: &'a [crate::app::admin_product::ColorRow],
    pub errors: &'a [(&'static str, &'static str)],
    pub can_edit: bool,
    pub can_price: bool,
    /// Managers on any product; staff while it is a draft (its first prices).
    pub can_add_variant: bool,
    pub message: Option<(bool, String)>,
    pub images: &'a [crate::app::product_media::ImageRow],
    /// What was typed into a refused add-variant form (empty otherwise).
    pub variant_values: &'a [(String, String)],
    /// The product's links on Shopee / TikTok Shop (`app::sharing`).
    pub marketplace_links: &'a [crate::app::sharing::MarketplaceLink],
    /// What a refused marketplace form typed (empty otherwise).
    pub marketplace_typed: &'a [(String, String)],
}

fn field_error(v: &ProductFormView, field: &str) -> Markup {
    html! {
        @for (f, msg) in v.errors.iter().filter(|(f, _)| *f == field) {
            span.field-error id=(format!("{f}-error")) { (msg) }
        }
    }
}

/// A value typed into the refused add-variant form.
fn typed<'v>(v: &'v ProductFormView, name: &str) -> &'v str {
    v.variant_values.iter().find(|(k, _)| k == name).map_or("", |(_, x)| x.as_str())
}

fn invalid(v: &ProductFormView, field: &str) -> Option<&'static str> {
    v.errors.iter().any(|(f, _)| *f == field).then_some("true")
}

fn text_input(v: &ProductFormView, label: &str, name: &'static str, value: &str, textarea: bool) -> Markup {
    let invalid = v.errors.iter().any(|(f, _)| *f == name);
    html! {
        label {
            (label)
            @if textarea {
                textarea name=(name) rows="4" aria-invalid=[invalid.then_some("true")] disabled[!v.can_edit] { (value) }
            } @else {
                input type="text" name=(name) value=(value) aria-invalid=[invalid.then_some("true")] disabled[!v.can_edit];
            }
            (field_error(v, name))
        }
    }
}

fn gender_name(ctx: &AdminCtx, g: Gender) -> &'static str {
    match g {
        Gender::Male => w(ctx, "Nam", "Men"),
        Gender::Female => w(ctx, "Nữ", "Women"),
        Gender::Unisex => w(ctx, "Cả nam và nữ (unisex)", "Everyone (unisex)"),
    }
}

fn age_group_name(ctx: &AdminCtx, a: AgeGroup) -> &'static str {
    match a {
        AgeGroup::Newborn => w(ctx, "Sơ sinh (0–3 tháng)", "Newborn (0–3 months)"),
        AgeGroup::Infant => w(ctx, "Em bé (3–12 tháng)", "Infant (3–12 months)"),
        AgeGroup::Toddler => w(ctx, "Trẻ nhỏ (1–5 tuổi)", "Toddler (1–5 years)"),
        AgeGroup::Kids => w(ctx, "Trẻ em (5–13 tuổi)", "Kids (5–13 years)"),
        AgeGroup::Adult => w(ctx, "Người lớn (từ tuổi teen)", "Adult (teens and up)"),
    }
}

pub fn product_form_page(ctx: &AdminCtx, v: &ProductFormView) -> Markup {
    let p = v.input;
    let action = match v.id {
        Some(id) => format!("/admin/products/{id}"),
        None => "/admin/products/new".to_string(),
    };
    let main = html! {
        (notice(v.message.as_ref()))
        @if !v.errors.is_empty() {
            p.notice.error role="alert" { (w(ctx, "Vui lòng sửa các ô được đánh dấu bên dưới.", "Please correct the marked fields below.")) }
        }
        form.product-form method="post" action=(ctx.href(&action)) {
            (csrf_field())
            fieldset {
                legend { (w(ctx, "Thông tin", "Details")) }
                (text_input(v, w(ctx, "Tên (tiếng Việt)", "Name (Vietnamese)"), "name_vi", &p.name_vi, false))
                (text_input(v, w(ctx, "Tên (tiếng Anh)", "Name (English)"), "name_en", &p.name_en, false))
                (text_input(v, w(ctx, "Đường dẫn", "URL slug"), "slug", &p.slug, false))
                (text_input(v, w(ctx, "Mô tả (tiếng Việt)", "Description (Vietnamese)"), "description_vi", &p.description_vi, true))
                (text_input(v, w(ctx, "Mô tả (tiếng Anh)", "Description (English)"), "description_en", &p.description_en, true))
                label { (w(ctx, "Danh mục", "Category"))
                    select name="category" disabled[!v.can_edit] {
                        option value="" { "—" }
                        @for c in v.categories { option value=(c.id) selected[p.category_id == c.id] { (c.name_vi) } }
                    }
                    (field_error(v, "category"))
                }
                (text_input(v, w(ctx, "Thẻ (cách nhau bởi dấu phẩy)", "Tags (comma-separated)"), "tags", &p.tags.join(", "), false))
                label { (w(ctx, "Khối lượng mặc định (gam, cho biến thể chưa có khối lượng riêng)", "Default weight (grams, for variants without their own)"))
                    input type="number" name="weight_grams" min="0" max="100000" step="1" inputmode="numeric" value=(p.weight_grams)
                        aria-invalid=[v.errors.iter().any(|(f, _)| *f == "weight_grams").then_some("true")] disabled[!v.can_edit];
                    (field_error(v, "weight_grams"))
                }
                // Google's gender and age_group, which the shopping feeds send (domain::feeds).
                label { (w(ctx, "Dành cho (giới tính, cho Google/Facebook/TikTok)", "For (gender, for Google/Facebook/TikTok)"))
                    select name="gender" aria-invalid=[v.errors.iter().any(|(f, _)| *f == "gender").then_some("true")] disabled[!v.can_edit] {
                        @for g in Gender::ALL { option value=(g.code()) selected[p.gender == g] { (gender_name(ctx, g)) } }
                    }
                    (field_error(v, "gender"))
                }
                label { (w(ctx, "Nhóm tuổi", "Age group"))
                    select name="age_group" aria-invalid=[v.errors.iter().any(|(f, _)| *f == "age_group").then_some("true")] disabled[!v.can_edit] {
                        @for a in AgeGroup::ALL { option value=(a.code()) selected[p.age_group == a] { (age_group_name(ctx, a)) } }
                    }
                    (field_error(v, "age_group"))
                }
                label { (w(ctx, "Trạng thái", "Status"))
                    select name="status" disabled[!v.can_edit] {
                        @for s in ProductStatus::ALL { option value=(s.code()) selected[p.status == s] { (status_name(ctx, s)) } }
                    }
                    (field_error(v, "status"))
                }
            }
            fieldset {
                legend { "SEO" }
                (text_input(v, w(ctx, "Tiêu đề SEO (tiếng Việt, ≤ 70)", "SEO title (Vietnamese, ≤ 70)"), "seo_title_vi", &p.seo_title_vi, false))
                (text_input(v, w(ctx, "Tiêu đề SEO (tiếng Anh, ≤ 70)", "SEO title (English, ≤ 70)"), "seo_title_en", &p.seo_title_en, false))
                (text_input(v, w(ctx, "Mô tả SEO (tiếng Việt, ≤ 160)", "SEO description (Vietnamese, ≤ 160)"), "seo_description_vi", &p.seo_description_vi, false))
                (text_input(v, w(ctx, "Mô tả SEO (tiếng Anh, ≤ 160)", "SEO description (English, ≤ 160)"), "seo_description_en", &p.seo_description_en, false))
            }
            @if v.can_edit { button type="submit" { (w(ctx, "Lưu sản phẩm", "Save product")) } }
        }
        @if let Some(id) = v.id {
            p.product-sentiment { a href=(format!("/admin/reviews/sentiment?product={id}")) { (w(ctx, "Cảm xúc trong đánh giá của sản phẩm", "Review sentiment for this product")) } }
            h2 { (w(ctx, "Biến thể (cỡ × màu)", "Variants (size × colour)")) }
            div.table-scroll {
                table.admin-table.variants {
                    thead { tr { th { "SKU" } th { (w(ctx, "Cỡ", "Size")) } th { (w(ctx, "Màu", "Colour")) } th { (w(ctx, "Giá", "Price")) } th { (w(ctx, "Mã vạch", "Barcode")) } th { (w(ctx, "Gam", "Grams")) } th { (w(ctx, "Tồn", "On hand")) } th { span.visually-hidden { (w(ctx, "Xoá biến thể", "Remove variant")) } } } }
                    tbody {
                        @for r in v.variants {
                            tr data-variant=(r.id) {
                                td { (r.sku) } td { (r.size) } td { (crate::app::admin_product::ColorRow::name_of(v.colors, &r.color, ctx.locale)) }
                                td {
                                    @if v.can_price {
                                        form method="post" action=(ctx.href(&format!("/admin/products/{id}/variants/{}/price", r.id))) {
                                            (csrf_field())
                                            input type="text" inputmode="numeric" name="price" value=(r.price.minor()) size="9" aria-label=(w(ctx, "Giá", "Price"));
                                            input type="text" inputmode="numeric" name="compare_at_price" value=[r.compare_at_price.map(Vnd::minor)] size="9" aria-label=(w(ctx, "Giá so sánh", "Compare-at price"));
                                            button type="submit" { (w(ctx, "Đổi giá", "Set price")) }
                                        }
                                    } @else {
                                        (ctx.money(r.price))
                                    }
                                }
                                td { (r.barcode.as_deref().unwrap_or("")) }
                                td.num { (r.weight_grams) }
                                td.num { (r.on_hand) }
                                td {
                                    @if v.can_edit {
                                        form method="post" action=(ctx.href(&format!("/admin/products/{id}/variants/{}/remove", r.id))) {
                                            (csrf_field())
                                            label.check { input type="checkbox" name="confirm" value="1" required; (w(ctx, "Chắc chắn", "I am sure")) }
                                            button type="submit" { (w(ctx, "Xoá", "Remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if v.can_add_variant {
                h3 { (w(ctx, "Thêm biến thể", "Add a variant")) }
                form.variant-form method="post" action=(ctx.href(&format!("/admin/products/{id}/variants"))) {
                    (csrf_field())
                    label { "SKU" input type="text" name="sku" required maxlength="40" value=(typed(v, "sku")) aria-invalid=[invalid(v, "variant.sku")]; (field_error(v, "variant.sku")) }
                    label { (w(ctx, "Cỡ", "Size"))
                        select name="size" aria-invalid=[invalid(v, "variant.size")] { @for s in v.sizes { option value=(s) selected[typed(v, "size") == s.as_str()] { (s) } } }
                        (field_error(v, "variant.size"))
                    }
                    label { (w(ctx, "Màu", "Colour"))
                        select name="color" aria-invalid=[invalid(v, "variant.color")] { @for c in v.colors { option value=(c.code) selected[typed(v, "color") == c.code.as_str()] { (ctx.locale.pick(&c.name_vi, &c.name_en)) } } }
                        (field_error(v, "variant.color"))
                    }
                    label { (w(ctx, "Giá (₫)", "Price (₫)")) input type="text" inputmode="numeric" name="price" required value=(typed(v, "price")) aria-invalid=[invalid(v, "variant.price")]; (field_error(v, "variant.price")) }
                    label { (w(ctx, "Giá so sánh (₫)", "Compare-at price (₫)")) input type="text" inputmode="numeric" name="compare_at_price" value=(typed(v, "compare_at_price")) aria-invalid=[invalid(v, "variant.compare_at_price")]; (field_error(v, "variant.compare_at_price")) }
                    label { (w(ctx, "Mã vạch", "Barcode")) input type="text" inputmode="numeric" name="barcode" value=(typed(v, "barcode")) aria-invalid=[invalid(v, "variant.barcode")]; (field_error(v, "variant.barcode")) }
                    label { (w(ctx, "Khối lượng (gam)", "Weight (grams)")) input type="number" min="0" max="100000" name="weight_grams" value=(typed(v, "weight_grams")) aria-invalid=[invalid(v, "variant.weight_grams")]; (field_error(v, "variant.weight_grams")) }
                    button type="submit" { (w(ctx, "Thêm", "Add")) }
                }
            } @else if v.can_edit {
                p { (w(ctx, "Thêm biến thể và đổi giá cần quyền sửa giá (quản lý hoặc chủ cửa hàng).", "Adding variants and changing prices needs the price permission (manager or owner).")) }
            }
        }
    };
    let main = html! {
        (main)
        @if let Some(id) = v.id { (super::media::images_section(ctx, id, v.images, v.variants, v.colors, v.can_edit)) }
        @if let Some(id) = v.id { (marketplace_section(ctx, v, id)) }
    };
    let title = if v.id.is_some() { p.name_vi.clone() } else { w(ctx, "Sản phẩm mới", "New product").to_string() };
    page(ctx, Section::Products, &title, main)
}

/// "Also on Shopee / TikTok Shop": the product page links to these when set. What a refused form
/// typed is shown again with its error.
fn marketplace_section(ctx: &AdminCtx, v: &ProductFormView, id: i64) -> Markup {
    use crate::domain::sharing::Marketplace;
    let refused = v.errors.iter().any(|(f, _)| Marketplace::ALL.iter().any(|m| m.field() == *f));
    let value = |m: Marketplace| -> String {
        if refused {
            v.marketplace_typed.iter().find(|(k, _)| k == m.field()).map(|(_, x)| x.clone()).unwrap_or_default()
        } else {
            v.marketplace_links.iter().find(|l| l.marketplace() == Some(m)).map(|l| l.url.clone()).unwrap_or_default()
        }
    };
    html! {
        section.admin-card #marketplaces {
            h2 { (w(ctx, "Cũng có trên Shopee / TikTok Shop", "Also on Shopee / TikTok Shop")) }
            p.admin-muted { (w(ctx, "Trang sản phẩm hiện liên kết tới cùng sản phẩm trên sàn. Để trống để bỏ liên kết.", "The product page links to the same product on the marketplace. Leave empty to remove the link.")) }
            form method="post" action=(ctx.href(&format!("/admin/products/{id}/marketplaces"))) {
                (csrf_field())
                @for m in Marketplace::ALL {
                    label { (m.name())
                        input type="url" name=(m.field()) maxlength="500" inputmode="url" value=(value(m))
                            placeholder=(match m { Marketplace::Shopee => "https://shopee.vn/…", Marketplace::TiktokShop => "https://shop.tiktok.com/…" })
                            aria-invalid=[v.errors.iter().any(|(f, _)| *f == m.field()).then_some("true")] disabled[!v.can_edit];
                        (field_error(v, m.field()))
                    }
                }
                @if v.can_edit { button type="submit" { (w(ctx, "Lưu liên kết", "Save links")) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::Role;

    fn ctx(locale: Locale, path: &str) -> AdminCtx {
        AdminCtx::new(locale, path, "", "lan@vestify.vn", Role::Staff)
    }

    #[test]
    fn an_over_large_reduction_says_how_many_can_be_removed_and_why() {
        let vi = below_reserved_message(&ctx(Locale::Vi, "/admin/stock/1"), 1_250, 40, 1_249);
        assert!(vi.contains("tối đa 1.210") && vi.contains("40 đang được giữ cho giỏ hàng"), "{vi}");
        let en = below_reserved_message(&ctx(Locale::En, "/admin/stock/1"), 10, 12, 3);
        assert!(en.contains("at most 0 can be removed") && en.contains("12 are held"), "{en}");
    }

    #[test]
    fn the_ledger_shows_vietnam_time_and_the_person() {
        let row = StockRow { id: 1, product_id: 1, product: "Áo".into(), sku: "S1".into(), size: "M".into(), color: "navy".into(), on_hand: 5, reserved: 0, low_stock_threshold: 3, color_vi: Some("Xanh navy".into()), color_en: Some("Navy".into()) };
        let ledger = [LedgerRow { id: 1, delta: 5, reason: "received".into(), note: "".into(), on_hand_after: 5, actor: "admin:e7e1ef".into(), created_at: 1_796_617_177, actor_name: Some("Lan".into()) }];
        let html = variant_page(&ctx(Locale::Vi, "/admin/stock/1"), &VariantView { row: &row, ledger: &ledger, request_id: "r", can_edit: false, message: None }).into_string();
        // 2026-12-07T04:19:37Z is 11:19 in Vietnam.
        assert!(html.contains(">11:19 07/12/2026</time>"), "{html}");
        assert!(html.contains(">Lan</td>") && !html.contains(">admin:e7e1ef<"));
        assert!(html.contains("M · Xanh navy"), "colour names, not codes");
    }

    #[test]
    fn the_imports_ledger_note_reads_in_vietnamese() {
        assert_eq!(ledger_note(&ctx(Locale::Vi, "/admin/stock/1"), "CSV import, line 12"), "Nhập CSV, dòng 12");
        assert_eq!(ledger_note(&ctx(Locale::En, "/admin/stock/1"), "CSV import, line 12"), "CSV import, line 12");
        assert_eq!(ledger_note(&ctx(Locale::Vi, "/admin/stock/1"), "lô hàng 12"), "lô hàng 12");
    }

    #[test]
    fn the_stock_list_links_its_pages_with_the_filters() {
        let rows: Vec<(StockRow, String)> = Vec::new();
        let html = stock_page(&ctx(Locale::Vi, "/admin/stock"), &StockView { q: "gile", low_only: true, page: 2, has_next: true, rows: &rows, can_edit: false }).into_string();
        assert!(html.contains(r#"href="/admin/stock?q=gile&amp;low=1&amp;page=1""#) && html.contains(r#"href="/admin/stock?q=gile&amp;low=1&amp;page=3""#), "{html}");
    }
}
