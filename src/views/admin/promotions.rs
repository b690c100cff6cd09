//! Promotions in the admin panel (managers and owners): every promotion with what it has done, a
//! form to create one (coupon codes or automatic), switching one on or off, and bulk single-use codes
//! with their CSV.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::promotion_form::{BENEFITS, TARGETS};
use crate::app::promotions::{AnalyticsRow, PromotionRow};
use crate::domain::listing::FieldError;
use crate::domain::money::Vnd;
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
        "categories" => l.pick("Danh mục (id)", "Categories (ids)"),
        "collections" => l.pick("Bộ sưu tập (id)", "Collections (ids)"),
        "products" => l.pick("Sản phẩm (id)", "Products (ids)"),
        _ => l.pick("Mẫu SKU (id)", "Variants (ids)"),
    }
}

pub fn promotions_page(ctx: &AdminCtx, shop: &PageCtx, list: &[Listed], notice: Option<&Notice>, errors: &[FieldError], form: &[(String, String)]) -> Markup {
    let l = ctx.locale;
    let value = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let t = crate::views::i18n::t(l);
    let main = html! {
        @if let Some(n) = notice {
            p.notice role="status" {
                @match n {
                    Notice::Created(name) => { (l.pick("Đã tạo khuyến mãi: ", "Promotion created: ")) strong { (name) } }
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
        @if !errors.is_empty() {
            div.notice.error role="alert" {
                p { (l.pick("Chưa tạo được khuyến mãi:", "The promotion was not created:")) }
                ul { @for e in errors { li { (t.field_error(e)) } } }
            }
        }
        section.admin-card {
            h2 { (l.pick("Các khuyến mãi", "Promotions")) }
            p { a href=(ctx.href("/admin/bundles")) { (l.pick("Combo mua kèm →", "Bundles →")) } }
            @if list.is_empty() {
                p { (l.pick("Chưa có khuyến mãi nào.", "No promotions yet.")) }
            } @else {
                table.admin-table {
                    thead { tr {
                        th scope="col" { (l.pick("Tên", "Name")) }
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
                                    (l.pick(&row.name_vi, &row.name_en)) br;
                                    small.admin-muted {
                                        @if row.automatic == 1 { (l.pick("Tự động", "Automatic")) }
                                        @else if p.shown_codes.is_empty() { (p.codes) (l.pick(" mã", " codes")) }
                                        @else {
                                            @for (i, code) in p.shown_codes.iter().enumerate() { @if i > 0 { ", " } code.promo-code { (code) } }
                                            @let more = p.codes - p.shown_codes.len() as i64;
                                            @if more > 0 { " " (l.pick("và ", "and ")) (more) (l.pick(" mã khác", " more")) }
                                        }
                                        " · " @if active { (l.pick("đang bật", "on")) } @else { (l.pick("đã tắt", "off")) }
                                    }
                                }
                                td { (row.promotion().map(|p| benefit_text(shop, &p.benefit)).unwrap_or_default()) }
                                td {
                                    (row.starts_at.map(vn_time).unwrap_or_else(|| "—".into())) " → " (row.ends_at.map(vn_time).unwrap_or_else(|| "—".into()))
                                }
                                td { (row.used_count) @if let Some(limit) = row.usage_limit { " / " (limit) } }
                                td { (p.analytics.map_or(0, |a| a.orders)) }
                                td { (ctx.money(p.analytics.map_or(Vnd::ZERO, |a| a.revenue))) }
                                td { (ctx.money(p.analytics.map_or(Vnd::ZERO, |a| a.discount_given))) }
                                td {
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
            form.admin-form method="post" action=(ctx.href("/admin/promotions")) {
                (csrf_field())
                fieldset {
                    legend { (l.pick("Tên hiển thị cho khách", "Name shoppers see")) }
                    label { "Tiếng Việt" input name="name_vi" value=(value("name_vi")) required maxlength="120"; }
                    label { "English" input name="name_en" value=(value("name_en")) required maxlength="120"; }
                }
                fieldset {
                    legend { (l.pick("Cách áp dụng", "How it applies")) }
                    label { (l.pick("Loại", "Kind"))
                        select name="kind" {
                            option value="code" selected[value("kind") != "automatic"] { (l.pick("Cần mã giảm giá", "Needs a coupon code")) }
                            option value="automatic" selected[value("kind") == "automatic"] { (l.pick("Tự động", "Automatic")) }
                        }
                    }
                    label { (l.pick("Mã (cách nhau bởi dấu phẩy)", "Codes (comma-separated)")) input name="codes" value=(value("codes")) maxlength="400"; }
                    label { (l.pick("Ưu tiên", "Priority")) input name="priority" type="number" value=(value("priority")) min="0"; }
                    label { input type="checkbox" name="combinable" checked[value("combinable") == "on"]; (l.pick(" Dùng chung với mã khác", " Combines with other codes")) }
                }
                fieldset {
                    legend { (l.pick("Ưu đãi", "Benefit")) }
                    label { (l.pick("Loại ưu đãi", "Type"))
                        select name="benefit" required {
                            option value="" selected[value("benefit").is_empty()] { (l.pick("— Chọn loại —", "— Choose —")) }
                            @for b in BENEFITS { option value=(b) selected[value("benefit") == b] { (benefit_label(ctx, b)) } }
                        }
                    }
                    label { "%" input name="percent" type="number" min="1" max="100" value=(value("percent")); }
                    label { (l.pick("Số tiền (₫)", "Amount (₫)")) input name="amount" inputmode="numeric" value=(value("amount")); }
                    label { (l.pick("Giảm phí ship tối đa (₫)", "Shipping discount cap (₫)")) input name="max_discount" inputmode="numeric" value=(value("max_discount")); }
                    label { (l.pick("Mua X", "Buy X")) input name="buy" type="number" min="1" value=(value("buy")); }
                    label { (l.pick("Tặng/giảm Y", "Get Y")) input name="get" type="number" min="1" value=(value("get")); }
                    label { (l.pick("Bậc (ngưỡng:giảm, …)", "Tiers (threshold:amount, …)")) input name="tiers" value=(value("tiers")) placeholder="1000000:100000, 2000000:250000"; }
                    label { (l.pick("Sản phẩm combo (id)", "Bundle products (ids)")) input name="bundle_products" value=(value("bundle_products")); }
                    label { (l.pick("Giá combo (₫)", "Bundle price (₫)")) input name="price" inputmode="numeric" value=(value("price")); }
                    label { (l.pick("Quà: id mẫu SKU", "Gift: variant id")) input name="variant_id" inputmode="numeric" value=(value("variant_id")); }
                    label { (l.pick("Quà khi đơn từ (₫)", "Gift from order of (₫)")) input name="gift_min_subtotal" inputmode="numeric" value=(value("gift_min_subtotal")); }
                }
                fieldset {
                    legend { (l.pick("Áp dụng cho", "Applies to")) }
                    label { (l.pick("Phạm vi", "Target"))
                        select name="target" {
                            @for tk in TARGETS { option value=(tk) selected[value("target") == tk] { (target_label(ctx, tk)) } }
                        }
                    }
                    label { (l.pick("Các id", "Ids")) input name="target_ids" value=(value("target_ids")); }
                    label { (l.pick("Trừ sản phẩm (id)", "Except products (ids)")) input name="exclude_products" value=(value("exclude_products")); }
                    label { input type="checkbox" name="exclude_on_sale" checked[value("exclude_on_sale") == "on"]; (l.pick(" Không áp dụng cho hàng đang giảm giá", " Not on items already on sale")) }
                }
                fieldset {
                    legend { (l.pick("Điều kiện và giới hạn", "Conditions and limits")) }
                    label { (l.pick("Bắt đầu (giờ VN)", "Starts (Vietnam time)")) input name="starts_at" type="datetime-local" value=(value("starts_at")); }
                    label { (l.pick("Kết thúc (giờ VN)", "Ends (Vietnam time)")) input name="ends_at" type="datetime-local" value=(value("ends_at")); }
                    label { (l.pick("Đơn tối thiểu (₫)", "Minimum subtotal (₫)")) input name="min_subtotal" inputmode="numeric" value=(value("min_subtotal")); }
                    label { (l.pick("Số lượng tối thiểu", "Minimum quantity")) input name="min_quantity" type="number" min="1" value=(value("min_quantity")); }
                    label { (l.pick("Tổng lượt dùng", "Total uses")) input name="usage_limit" type="number" min="0" value=(value("usage_limit")); }
                    label { (l.pick("Lượt mỗi khách", "Uses per customer")) input name="per_customer_limit" type="number" min="1" value=(value("per_customer_limit")); }
                    label { input type="checkbox" name="first_order_only" checked[value("first_order_only") == "on"]; (l.pick(" Chỉ đơn đầu tiên", " First order only")) }
                    label { input type="checkbox" name="signed_in_only" checked[value("signed_in_only") == "on"]; (l.pick(" Chỉ khách đã đăng nhập", " Signed-in customers only")) }
                    label { input type="checkbox" name="inactive" checked[value("inactive") == "on"]; (l.pick(" Tạo ở trạng thái tắt", " Create switched off")) }
                }
                button type="submit" { (l.pick("Tạo khuyến mãi", "Create promotion")) }
            }
        }
    };
    page(ctx, Section::Promotions, l.pick("Khuyến mãi", "Promotions"), main)
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
        let html = promotions_page(&ctx, &shop, &list, None, &[], &[]).into_string();
        assert!(html.contains(r#"<code class="promo-code">GIAM10</code>, <code class="promo-code">TET2027</code> và 102 mã khác"#), "{html}");
        assert!(html.contains("50 mã"));
        assert!(html.contains(r#"<option value="" selected>— Chọn loại —</option>"#), "the required select starts with a placeholder");
        assert!(html.contains(r#"class="csv-link""#));
    }
}
