//! Promotions in the admin panel (managers and owners): every promotion with its codes and what it
//! has done, a form to create one (coupon codes or automatic) and the same form to edit one,
//! switching one on or off, and bulk single-use codes with their CSV.
//!
//! The form has a fieldset per offer type and per target type, each with its own heading. Without
//! JavaScript all are shown and the server reads only the chosen type's; `js/admin-promotions.js`
//! shows (and sends) only the chosen ones and filters the name lists as the admin types.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::promotion_form::{target_field, Choice, Choices, BENEFITS, CODES_IN_USE, TARGETS};
use crate::app::promotions::{AnalyticsRow, PromotionRow};
use crate::domain::listing::FieldError;
use crate::domain::money::Vnd;
use crate::assets;
use crate::domain::time::vn_time;
use crate::views::promotions::benefit_text;
use crate::views::PageCtx;

/// One promotion as listed.
pub struct Listed<'a> {
    pub row: &'a PromotionRow,
    pub analytics: Option<&'a AnalyticsRow>,
    /// How many codes it has (shared and single-use).
    pub codes: i64,
    /// Its shared codes (not the bulk single-use ones), at most three, to show by name.
    pub shown_codes: Vec<&'a str>,
}

/// At most this many shared codes are named per promotion in the list.
pub const SHOWN_CODES: usize = 3;

/// What the page says above the list after an action.
pub enum Notice {
    Created(String),
    Updated(String),
    Switched { name: String, active: bool },
    CodesMade { count: usize, csv: String },
}

fn benefit_label(ctx: &AdminCtx, key: &str) -> &'static str {
    let l = ctx.locale;
    match key {
        "percent_off" => l.pick("Giảm theo %", "Percent off"),
        "amount_off" => l.pick("Giảm số tiền", "Amount off"),
        "free_shipping" => l.pick("Miễn/giảm phí vận chuyển", "Free or cheaper shipping"),
        "buy_x_get_y" => l.pick("Mua X tặng/giảm Y", "Buy X get Y"),
        "tiered_spend" => l.pick("Chi tiêu theo bậc", "Tiered spend"),
        "bundle_price" => l.pick("Giá combo", "Bundle price"),
        "bundle_percent" => l.pick("Mua kèm giảm %", "Bundle percent off"),
        _ => l.pick("Quà tặng kèm", "Gift with purchase"),
    }
}

fn target_label(ctx: &AdminCtx, key: &str) -> &'static str {
    let l = ctx.locale;
    match key {
        "order" => l.pick("Cả đơn hàng", "The whole order"),
        "categories" => l.pick("Danh mục", "Categories"),
        "collections" => l.pick("Bộ sưu tập", "Collections"),
        "products" => l.pick("Sản phẩm", "Products"),
        _ => l.pick("Mẫu SKU", "Variants"),
    }
}

/// A field's name in the error list, in the admin's language.
fn field_label(ctx: &AdminCtx, field: &str) -> &'static str {
    let l = ctx.locale;
    match field {
        "name_vi" => l.pick("Tên (tiếng Việt)", "Name (Vietnamese)"),
        "name_en" => l.pick("Tên (tiếng Anh)", "Name (English)"),
        "codes" => l.pick("Mã", "Codes"),
        "benefit" => l.pick("Ưu đãi", "Benefit"),
        "percent" => l.pick("Phần trăm giảm", "Percent off"),
        "amount" => l.pick("Số tiền giảm", "Amount off"),
        "max_discount" => l.pick("Giảm phí ship tối đa", "Shipping discount cap"),
        "buy" => l.pick("Mua X", "Buy X"),
        "get" => l.pick("Tặng/giảm Y", "Get Y"),
        "get_percent" => l.pick("% giảm cho Y", "% off Y"),
        "tiers" => l.pick("Các bậc", "Tiers"),
        "bundle_products" => l.pick("Sản phẩm combo", "Bundle products"),
        "price" => l.pick("Giá combo", "Bundle price"),
        "variant_id" => l.pick("Quà tặng", "Gift"),
        "gift_min_subtotal" => l.pick("Quà khi đơn từ", "Gift from an order of"),
        "target" => l.pick("Phạm vi", "Target"),
        "target_categories" => l.pick("Danh mục được áp dụng", "Categories it applies to"),
        "target_collections" => l.pick("Bộ sưu tập được áp dụng", "Collections it applies to"),
        "target_products" => l.pick("Sản phẩm được áp dụng", "Products it applies to"),
        "target_variants" => l.pick("Mẫu SKU được áp dụng", "Variants it applies to"),
        "exclude_products" | "exclude_variants" => l.pick("Trừ sản phẩm", "Except products"),
        "min_subtotal" => l.pick("Đơn tối thiểu", "Minimum subtotal"),
        "min_quantity" => l.pick("Số lượng tối thiểu", "Minimum quantity"),
        "usage_limit" => l.pick("Giới hạn lượt dùng", "Usage limits"),
        "per_customer_limit" => l.pick("Lượt mỗi khách", "Uses per customer"),
        "priority" => l.pick("Ưu tiên", "Priority"),
        "starts_at" => l.pick("Bắt đầu", "Starts"),
        "ends_at" => l.pick("Kết thúc", "Ends"),
        "prefix" => l.pick("Tiền tố", "Prefix"),
        "count" => l.pick("Số mã", "How many"),
        _ => l.pick("Trường", "Field"),
    }
}

fn errors_box(ctx: &AdminCtx, heading: &str, errors: &[FieldError]) -> Markup {
    let l = ctx.locale;
    let t = crate::views::i18n::t(l);
    html! {
        @if !errors.is_empty() {
            div.notice.error role="alert" {
                p { (heading) }
                ul {
                    @for e in errors {
                        li {
                            @if e.field == CODES_IN_USE {
                                (l.pick("Mã: không bỏ được mã đã có người dùng (các đơn hàng đã dùng nó vẫn ghi tên mã).",
                                    "Codes: a code that has been used cannot be taken off (the orders that used it keep its name)."))
                            } @else {
                                (field_label(ctx, e.field)) ": " ((t.problem)(&e.problem))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A promotion's (or bundle's) dates in Vietnam time, `—` for an open end: the list's "When" cell.
pub(super) fn window(row: &PromotionRow) -> Markup {
    html! { (row.starts_at.map(vn_time).unwrap_or_else(|| "—".into())) " → " (row.ends_at.map(vn_time).unwrap_or_else(|| "—".into())) }
}

/// Whether a promotion (or bundle) is switched on, in the admin's words.
pub(super) fn on_off(ctx: &AdminCtx, row: &PromotionRow) -> &'static str {
    if row.status.is_on() { ctx.locale.pick("đang bật", "on") } else { ctx.locale.pick("đã tắt", "off") }
}

pub fn promotions_page(ctx: &AdminCtx, shop: &PageCtx, list: &[Listed], notice: Option<&Notice>, errors: &[FieldError], form: &[(String, String)], choices: &Choices) -> Markup {
    let l = ctx.locale;
    let main = html! {
        @if let Some(n) = notice {
            p.notice role="status" {
                @match n {
                    Notice::Created(name) => { (l.pick("Đã tạo khuyến mãi: ", "Promotion created: ")) strong { (name) } }
                    Notice::Updated(name) => { (l.pick("Đã lưu khuyến mãi: ", "Promotion saved: ")) strong { (name) } }
                    Notice::Switched { name, active } => {
                        strong { (name) } " "
                        @if *active { (l.pick("đã bật.", "is on.")) } @else { (l.pick("đã tắt.", "is off.")) }
                    }
                    Notice::CodesMade { count, csv } => {
                        (l.pick("Đã tạo ", "Created ")) (count) (l.pick(" mã dùng một lần. ", " single-use codes. "))
                        a.csv-link href=(csv) download { (l.pick("Tải CSV", "Download CSV")) }
                    }
                }
            }
        }
        (errors_box(ctx, l.pick("Chưa tạo được khuyến mãi:", "The promotion was not created:"), errors))
        section.admin-card {
            h2 { (l.pick("Các khuyến mãi", "Promotions")) }
            p { a href=(ctx.href("/admin/bundles")) { (l.pick("Combo mua kèm →", "Bundles →")) } }
            @if list.is_empty() {
                p { (l.pick("Chưa có khuyến mãi nào.", "No promotions yet.")) }
            } @else {
                table.admin-table {
                    thead { tr {
                        th scope="col" { (l.pick("Tên và mã", "Name and codes")) }
                        th scope="col" { (l.pick("Ưu đãi", "Benefit")) }
                        th scope="col" { (l.pick("Thời gian (giờ VN)", "When (Vietnam time)")) }
                        th scope="col" { (l.pick("Lượt dùng", "Uses")) }
                        th scope="col" { (l.pick("Đơn đã trả", "Paid orders")) }
                        th scope="col" { (l.pick("Doanh thu", "Revenue")) }
                        th scope="col" { (l.pick("Đã giảm", "Discount given")) }
                        th scope="col" { (l.pick("Thao tác", "Actions")) }
                    } }
                    tbody {
                        @for p in list {
                            @let row = p.row;
                            @let active = row.status.is_on();
                            tr {
                                th scope="row" {
                                    a href=(ctx.href(&format!("/admin/promotions/{}/edit", row.id))) { (l.pick(&row.name_vi, &row.name_en)) } br;
                                    small.admin-muted {
                                        @if row.automatic == 1 { (l.pick("Tự động", "Automatic")) }
                                        @else if p.shown_codes.is_empty() { (p.codes) (l.pick(" mã", " codes")) }
                                        @else {
                                            @for (i, code) in p.shown_codes.iter().enumerate() { @if i > 0 { ", " } code.promo-code { (code) } }
                                            @let more = p.codes - p.shown_codes.len() as i64;
                                            @if more > 0 { " " (l.pick("và ", "and ")) (more) (l.pick(" mã khác", " more")) }
                                        }
                                        " · " (on_off(ctx, row))
                                    }
                                }
                                td { (row.promotion().map(|p| benefit_text(shop, &p.benefit)).unwrap_or_default()) }
                                td { (window(row)) }
                                td { (row.used_count) @if let Some(limit) = row.usage_limit { " / " (limit) } }
                                td { (p.analytics.map_or(0, |a| a.orders)) }
                                td { (ctx.money(p.analytics.map_or(Vnd::ZERO, |a| a.revenue))) }
                                td { (ctx.money(p.analytics.map_or(Vnd::ZERO, |a| a.discount_given))) }
                                td {
                                    a.button.secondary href=(ctx.href(&format!("/admin/promotions/{}/edit", row.id))) {
                                        (l.pick("Sửa", "Edit")) span.visually-hidden { " " (l.pick(&row.name_vi, &row.name_en)) }
                                    }
                                    form method="post" action=(ctx.href(&format!("/admin/promotions/{}/{}", row.id, if active { "disable" } else { "enable" }))) {
                                        (csrf_field())
                                        button.secondary type="submit" { @if active { (l.pick("Tắt", "Switch off")) } @else { (l.pick("Bật", "Switch on")) } }
                                    }
                                    @if row.automatic == 0 {
                                        form method="post" action=(ctx.href(&format!("/admin/promotions/{}/codes", row.id))) {
                                            (csrf_field())
                                            label { (l.pick("Tiền tố", "Prefix")) input name="prefix" required maxlength="12" size="8" pattern="[A-Za-z0-9-]{2,12}"; }
                                            label { (l.pick("Số mã", "How many")) input name="count" type="number" min="1" max="5000" value="100" required; }
                                            button.secondary type="submit" { (l.pick("Tạo mã dùng một lần", "Make single-use codes")) }
                                        }
                                        a.csv-link href=(ctx.href(&format!("/admin/promotions/{}/codes.csv", row.id))) download { (l.pick("Mã (CSV)", "Codes (CSV)")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.admin-card #new-promotion {
            h2 { (l.pick("Tạo khuyến mãi", "New promotion")) }
            (promotion_form(ctx, choices, &ctx.href("/admin/promotions"), form, None))
        }
    };
    page(ctx, Section::Promotions, l.pick("Khuyến mãi", "Promotions"), main)
}

/// The edit page of one promotion: what it has done so far, then the form filled with it.
pub fn edit_page(ctx: &AdminCtx, row: &PromotionRow, choices: &Choices, errors: &[FieldError], form: &[(String, String)]) -> Markup {
    let l = ctx.locale;
    let name = l.pick(&row.name_vi, &row.name_en);
    let main = html! {
        p { a href=(ctx.href("/admin/promotions")) { (l.pick("← Tất cả khuyến mãi", "← All promotions")) } }
        (errors_box(ctx, l.pick("Chưa lưu được thay đổi:", "The changes were not saved:"), errors))
        section.admin-card {
            p {
                @if row.automatic == 1 { (l.pick("Khuyến mãi tự động", "Automatic promotion")) } @else { (l.pick("Khuyến mãi cần mã", "Promotion with a coupon code")) }
                " · " (l.pick("đã dùng ", "used ")) (row.used_count) @if let Some(limit) = row.usage_limit { " / " (limit) } (l.pick(" lần", " times"))
                " · " @if row.status.is_on() { (l.pick("đang bật", "on")) } @else { (l.pick("đã tắt", "off")) }
            }
            @if row.used_count > 0 {
                p.admin-muted { (l.pick("Các đơn đã dùng khuyến mãi này giữ nguyên số tiền đã giảm; thay đổi chỉ áp dụng cho đơn mới.",
                    "Orders that used this promotion keep the discount they got; changes apply to new orders only.")) }
            }
            (promotion_form(ctx, choices, &ctx.href(&format!("/admin/promotions/{}", row.id)), form, Some(row)))
        }
    };
    page(ctx, Section::Promotions, &format!("{}: {name}", l.pick("Sửa khuyến mãi", "Edit promotion")), main)
}

/// A list of names to tick, with a filter box that `js/admin-promotions.js` shows and runs.
fn picker(ctx: &AdminCtx, legend: &str, name: &str, items: &[Choice], picked: &[&str], target: Option<&str>) -> Markup {
    let l = ctx.locale;
    let search = l.pick("Tìm theo tên", "Search by name");
    html! {
        fieldset.picker data-target=[target] {
            legend { (legend) }
            input.picker-filter type="search" data-picker-filter hidden aria-label=(format!("{search}: {legend}")) placeholder=(search);
            div.picker-list {
                @for c in items {
                    @let id = c.id.to_string();
                    label {
                        input type="checkbox" name=(name) value=(id) checked[picked.contains(&id.as_str())];
                        " " (l.pick(&c.name_vi, &c.name_en))
                        @if c.status == "draft" { " " small.admin-muted { (l.pick("(nháp)", "(draft)")) } }
                    }
                }
            }
        }
    }
}

/// The create/edit form. `editing` is the stored promotion when editing (its kind cannot change).
fn promotion_form(ctx: &AdminCtx, choices: &Choices, action: &str, form: &[(String, String)], editing: Option<&PromotionRow>) -> Markup {
    let l = ctx.locale;
    let value = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let values = |k: &str| form.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect::<Vec<&str>>();
    let benefit = value("benefit");
    let target = match value("target") {
        "" => "order",
        t => t,
    };
    let automatic = editing.map_or(value("kind") == "automatic", |r| r.automatic == 1);
    let offered: Vec<&str> = TARGETS.into_iter().filter(|t| *t != "variants" || target == "variants").collect();
    let fields = |b: &'static str| (benefit_label(ctx, b), b);
    html! {
        form.admin-form.promotion-form method="post" action=(action) data-promotion-form {
            (csrf_field())
            fieldset {
                legend { (l.pick("Tên hiển thị cho khách", "Name shoppers see")) }
                label { "Tiếng Việt" input name="name_vi" value=(value("name_vi")) required maxlength="120"; }
                label { "English" input name="name_en" value=(value("name_en")) required maxlength="120"; }
            }
            fieldset {
                legend { (l.pick("Cách áp dụng", "How it applies")) }
                @if editing.is_some() {
                    input type="hidden" name="kind" value=(if automatic { "automatic" } else { "code" });
                    p { @if automatic { (l.pick("Tự động (không đổi được sau khi tạo)", "Automatic (cannot change after creating)")) }
                        @else { (l.pick("Cần mã giảm giá (không đổi được sau khi tạo)", "Needs a coupon code (cannot change after creating)")) } }
                } @else {
                    label { (l.pick("Loại", "Kind"))
                        select name="kind" {
                            option value="code" selected[!automatic] { (l.pick("Cần mã giảm giá", "Needs a coupon code")) }
                            option value="automatic" selected[automatic] { (l.pick("Tự động", "Automatic")) }
                        }
                    }
                }
                @if !(editing.is_some() && automatic) {
                    label { (l.pick("Mã (cách nhau bởi dấu phẩy)", "Codes (comma-separated)")) input name="codes" value=(value("codes")) maxlength="400"; }
                }
                label { (l.pick("Ưu tiên", "Priority")) input name="priority" type="number" value=(value("priority")) min="0"; }
                label { input type="checkbox" name="combinable" checked[value("combinable") == "on"]; (l.pick(" Dùng chung với mã khác", " Combines with other codes")) }
            }
            fieldset {
                legend { (l.pick("Ưu đãi", "Benefit")) }
                label { (l.pick("Loại ưu đãi", "Type"))
                    select name="benefit" required data-shows="benefit" {
                        option value="" selected[benefit.is_empty()] { (l.pick("— Chọn loại —", "— Choose —")) }
                        @for b in BENEFITS { option value=(b) selected[benefit == b] { (benefit_label(ctx, b)) } }
                    }
                }
                p.admin-muted.no-js-hint { (l.pick("Chỉ các ô của loại đã chọn được dùng.", "Only the fields of the chosen type are used.")) }
            }
            @let (title, key) = fields("percent_off");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                label { (l.pick("Phần trăm giảm", "Percent off")) input name="percent" type="number" min="1" max="100" value=(value("percent")); }
            }
            @let (title, key) = fields("amount_off");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                label { (l.pick("Số tiền (₫)", "Amount (₫)")) input name="amount" inputmode="numeric" value=(value("amount")); }
            }
            @let (title, key) = fields("free_shipping");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                label { (l.pick("Giảm phí ship tối đa (₫, trống = miễn phí)", "Shipping discount cap (₫, empty = free)")) input name="max_discount" inputmode="numeric" value=(value("max_discount")); }
            }
            @let (title, key) = fields("buy_x_get_y");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                label { (l.pick("Mua X", "Buy X")) input name="buy" type="number" min="1" value=(value("buy")); }
                label { (l.pick("Tặng/giảm Y", "Get Y")) input name="get" type="number" min="1" value=(value("get")); }
                label { (l.pick("% giảm cho Y (100 = tặng)", "% off Y (100 = free)")) input name="get_percent" type="number" min="1" max="100" value=(value("get_percent")); }
            }
            @let (title, key) = fields("tiered_spend");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                label { (l.pick("Bậc (ngưỡng:giảm, …)", "Tiers (threshold:amount, …)")) input name="tiers" value=(value("tiers")) placeholder="1000000:100000, 2000000:250000"; }
            }
            @let (title, key) = fields("bundle_price");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                (picker(ctx, l.pick("Sản phẩm trong combo", "Products in the bundle"), "bundle_products", &choices.products, &values("bundle_products"), None))
                label { (l.pick("Giá combo (₫)", "Bundle price (₫)")) input name="price" inputmode="numeric" value=(value("price")); }
            }
            @let (title, key) = fields("gift");
            fieldset.benefit-fields data-benefit=(key) {
                legend { (title) }
                label { (l.pick("Quà tặng", "Gift"))
                    select name="variant_id" {
                        option value="" { (l.pick("— Chọn sản phẩm —", "— Choose an item —")) }
                        @for (product, group) in group_variants(choices) {
                            optgroup label=(l.pick(&product.0, &product.1)) {
                                @for v in group {
                                    @let id = v.id.to_string();
                                    option value=(id) selected[value("variant_id") == id] { (l.pick(&v.color_vi, &v.color_en)) " / " (v.size) " · " (v.sku) }
                                }
                            }
                        }
                    }
                }
                label { (l.pick("Quà khi đơn từ (₫)", "Gift from an order of (₫)")) input name="gift_min_subtotal" inputmode="numeric" value=(value("gift_min_subtotal")); }
            }
            fieldset {
                legend { (l.pick("Áp dụng cho", "Applies to")) }
                label { (l.pick("Phạm vi", "Target"))
                    select name="target" data-shows="target" {
                        @for tk in &offered { option value=(tk) selected[target == *tk] { (target_label(ctx, tk)) } }
                    }
                }
                label { input type="checkbox" name="exclude_on_sale" checked[value("exclude_on_sale") == "on"]; (l.pick(" Không áp dụng cho hàng đang giảm giá", " Not on items already on sale")) }
            }
            (picker(ctx, l.pick("Danh mục được áp dụng", "Categories it applies to"), "target_categories", &choices.categories, &values("target_categories"), Some("categories")))
            (picker(ctx, l.pick("Bộ sưu tập được áp dụng", "Collections it applies to"), "target_collections", &choices.collections, &values("target_collections"), Some("collections")))
            (picker(ctx, l.pick("Sản phẩm được áp dụng", "Products it applies to"), "target_products", &choices.products, &values("target_products"), Some("products")))
            @if target == "variants" {
                @let picked = values(target_field("variants").unwrap_or_default());
                fieldset.picker data-target="variants" {
                    legend { (l.pick("Mẫu SKU được áp dụng (đặt qua API)", "Variants it applies to (set through the API)")) }
                    div.picker-list {
                        @for v in choices.variants.iter().filter(|v| picked.contains(&v.id.to_string().as_str())) {
                            label { input type="checkbox" name="target_variants" value=(v.id) checked; " " (l.pick(&v.product_vi, &v.product_en)) " · " (v.sku) }
                        }
                    }
                }
            }
            (picker(ctx, l.pick("Trừ các sản phẩm", "Except these products"), "exclude_products", &choices.products, &values("exclude_products"), None))
            @for id in values("exclude_variants") { input type="hidden" name="exclude_variants" value=(id); }
            @for key in values("eligible_customers") { input type="hidden" name="eligible_customers" value=(key); }
            fieldset {
                legend { (l.pick("Điều kiện và giới hạn", "Conditions and limits")) }
                label { (l.pick("Bắt đầu (giờ VN)", "Starts (Vietnam time)")) input name="starts_at" type="datetime-local" value=(value("starts_at")); }
                label { (l.pick("Kết thúc (giờ VN)", "Ends (Vietnam time)")) input name="ends_at" type="datetime-local" value=(value("ends_at")); }
                label { (l.pick("Đơn tối thiểu (₫)", "Minimum subtotal (₫)")) input name="min_subtotal" inputmode="numeric" value=(value("min_subtotal")); }
                label { (l.pick("Số lượng tối thiểu", "Minimum quantity")) input name="min_quantity" type="number" min="1" value=(value("min_quantity")); }
                label { (l.pick("Tổng lượt dùng", "Total uses")) input name="usage_limit" type="number" min="0" value=(value("usage_limit")); }
                label { (l.pick("Lượt mỗi khách", "Uses per customer")) input name="per_customer_limit" type="number" min="1" value=(value("per_customer_limit")); }
                label { input type="checkbox" name="first_order_only" checked[value("first_order_only") == "on"]; (l.pick(" Chỉ đơn đầu tiên", " First order only")) }
                @if values("eligible_customers").is_empty() {
                    label { input type="checkbox" name="signed_in_only" checked[value("signed_in_only") == "on"]; (l.pick(" Chỉ khách đã đăng nhập", " Signed-in customers only")) }
                } @else {
                    p { (l.pick("Chỉ dành cho danh sách khách đặt qua API.", "Only for the customers listed through the API.")) }
                }
                label { input type="checkbox" name="inactive" checked[value("inactive") == "on"];
                    @if editing.is_some() { (l.pick(" Tắt", " Switched off")) } @else { (l.pick(" Tạo ở trạng thái tắt", " Create switched off")) } }
            }
            @if editing.is_some() {
                button type="submit" { (l.pick("Lưu thay đổi", "Save changes")) }
            } @else {
                button type="submit" { (l.pick("Tạo khuyến mãi", "Create promotion")) }
            }
        }
        script src=(assets::url("js/admin-promotions.js")) nonce=(crate::views::security::nonce()) defer {}
    }
}

/// The variants grouped by product (they come ordered by product), for the gift's `<optgroup>`s.
fn group_variants(choices: &Choices) -> Vec<((String, String), Vec<&crate::app::promotion_form::VariantChoice>)> {
    let mut out: Vec<((String, String), Vec<&crate::app::promotion_form::VariantChoice>)> = Vec::new();
    for v in &choices.variants {
        let key = (v.product_vi.clone(), v.product_en.clone());
        match out.last_mut() {
            Some((k, group)) if *k == key => group.push(v),
            _ => out.push((key, vec![v])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::promotions::PromotionRow;
    use crate::domain::admin::Role;
    use crate::domain::locale::Locale;

    #[test]
    fn the_list_names_a_promotions_shared_codes() {
        let row = |id: i64, automatic: i64| PromotionRow {
            id,
            name_vi: format!("KM {id}"),
            name_en: format!("Promo {id}"),
            automatic,
            status: serde_json::from_str("\"active\"").expect("status"),
            rule: "{}".into(),
            priority: 0,
            combinable: 0,
            starts_at: None,
            ends_at: None,
            usage_limit: None,
            per_customer_limit: None,
            used_count: 0,
        };
        let (coded, bulk) = (row(1, 0), row(2, 0));
        let list = [
            Listed { row: &coded, analytics: None, codes: 104, shown_codes: vec!["GIAM10", "TET2027"] },
            Listed { row: &bulk, analytics: None, codes: 50, shown_codes: Vec::new() },
        ];
        let ctx = AdminCtx::new(Locale::Vi, "/admin/promotions", "", "m@vestify.vn", Role::Manager);
        let shop = PageCtx { locale: Locale::Vi, path: "/admin/promotions".into(), query: String::new(), origin: "https://vestify.test".into(), categories: Vec::new(), shop: Default::default() };
        let html = promotions_page(&ctx, &shop, &list, None, &[], &[], &Choices::default()).into_string();
        assert!(html.contains(r#"<code class="promo-code">GIAM10</code>, <code class="promo-code">TET2027</code> và 102 mã khác"#), "{html}");
        assert!(html.contains("50 mã"));
        assert!(html.contains(r#"<option value="" selected>— Chọn loại —</option>"#), "the required select starts with a placeholder");
        assert!(html.contains(r#"class="csv-link""#));
    }

    #[test]
    fn the_edit_form_shows_each_types_fields_under_its_heading_and_targets_by_name() {
        use crate::app::db::Db;
        use crate::app::promotion_form::{choices, choices_batch, to_form};
        let db = crate::app::testing::Sqlite::demo();
        let picks = choices(&crate::app::testing::block_on(db.batch(&choices_batch())).unwrap()).unwrap();
        assert!(picks.categories.len() > 3 && picks.products.len() > 10 && picks.variants.len() > picks.products.len());
        let product = &picks.products[1];
        let row = PromotionRow {
            id: 5,
            name_vi: "Giảm 10%".into(),
            name_en: "10% off".into(),
            automatic: 0,
            status: serde_json::from_str("\"active\"").expect("status"),
            rule: format!(r#"{{"benefit":{{"type":"percent_off","percent":10}},"target":{{"type":"products","ids":[{}]}}}}"#, product.id),
            priority: 0,
            combinable: 0,
            starts_at: None,
            ends_at: None,
            usage_limit: None,
            per_customer_limit: None,
            used_count: 3,
        };
        let ctx = AdminCtx::new(Locale::Vi, "/admin/promotions/5/edit", "", "m@vestify.vn", Role::Manager);
        let html = edit_page(&ctx, &row, &picks, &[], &to_form(&row, &["GIAM10".into()])).into_string();
        for b in BENEFITS {
            assert!(html.contains(&format!(r#"<fieldset class="benefit-fields" data-benefit="{b}"><legend>{}</legend>"#, benefit_label(&ctx, b))), "{b}");
        }
        assert!(html.contains(&format!(r#"<input type="checkbox" name="target_products" value="{}" checked> {}"#, product.id, product.name_vi)), "the target is ticked by name");
        assert!(html.contains(r#"<fieldset class="picker" data-target="categories">"#));
        assert!(!html.contains("target_ids") && !html.contains("(id)"), "no ids to type");
        assert!(html.contains(r#"action="/admin/promotions/5""#) && html.contains(r#"value="GIAM10""#));
        assert!(html.contains("giữ nguyên số tiền đã giảm"), "a used promotion says its orders keep their discount");
        assert!(html.contains("js/admin-promotions"));
    }
}
