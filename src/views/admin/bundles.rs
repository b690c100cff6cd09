//! Bundles in the admin panel (managers and owners): every bundle with its products, offer and
//! dates, a form to create one (products picked by name), its edit form, and removal.

use maud::{html, Markup};

use super::promotions::{on_off, window};
use super::{csrf_field, page, AdminCtx, Section};
use crate::app::bundles::{BundleProductRow, ProductChoice, MAX_PRODUCTS};
use crate::app::promotions::PromotionRow;
use crate::domain::listing::FieldError;
use crate::domain::promotions::Benefit;
use crate::views::promotions::benefit_text;
use crate::views::PageCtx;

/// What the page says above the list after an action.
pub enum Notice {
    Created(String),
    Saved(String),
    Removed,
    /// Orders used it: it stays for their records, switched off.
    SwitchedOff,
}

/// `2026-11-28T09:00` (Vietnam time) for a `datetime-local` field.
fn local_input(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds + 7 * 3600, 0).map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M").to_string())
}

/// The form's fields of an existing bundle, to fill the edit form.
pub fn fields_of(row: &PromotionRow) -> Vec<(String, String)> {
    let mut out = vec![("name_vi".to_string(), row.name_vi.clone()), ("name_en".to_string(), row.name_en.clone())];
    if let Some(p) = row.promotion() {
        match &p.benefit {
            Benefit::BundlePercent { percent, .. } => out.extend([("kind".into(), "percent".into()), ("percent".into(), percent.to_string())]),
            Benefit::BundlePrice { price, .. } => out.extend([("kind".into(), "price".into()), ("price".into(), price.minor().to_string())]),
            _ => {}
        }
        for id in p.benefit.bundle_products().unwrap_or_default() {
            out.push(("product".into(), id.to_string()));
        }
        if !p.active {
            out.push(("inactive".into(), "on".into()));
        }
    }
    if let Some(t) = row.starts_at {
        out.push(("starts_at".into(), local_input(t)));
    }
    if let Some(t) = row.ends_at {
        out.push(("ends_at".into(), local_input(t)));
    }
    out
}

/// What the bundles page lists: the bundles, their products, and the products a bundle may take.
pub struct Listing<'a> {
    pub bundles: &'a [PromotionRow],
    pub items: &'a [BundleProductRow],
    pub choices: &'a [ProductChoice],
}

/// The list, the notice and the create form (`form`/`errors`: what was typed and why it was refused).
pub fn bundles_page(ctx: &AdminCtx, shop: &PageCtx, listing: &Listing, notice: Option<&Notice>, errors: &[FieldError], form: &[(String, String)]) -> Markup {
    let Listing { bundles, items, choices } = *listing;
    let l = ctx.locale;
    let main = html! {
        @if let Some(n) = notice {
            p.notice role="status" {
                @match n {
                    Notice::Created(name) => { (l.pick("Đã tạo combo: ", "Bundle created: ")) strong { (name) } }
                    Notice::Saved(name) => { (l.pick("Đã lưu combo: ", "Bundle saved: ")) strong { (name) } }
                    Notice::Removed => { (l.pick("Đã xoá combo.", "The bundle was removed.")) }
                    Notice::SwitchedOff => { (l.pick("Combo đã có đơn hàng dùng nên được giữ lại và đã tắt.", "Orders used this bundle, so it was kept and switched off.")) }
                }
            }
        }
        (error_list(ctx, errors))
        section.admin-card {
            h2 { (l.pick("Các combo mua kèm", "Bundles")) }
            p.admin-muted { a href=(ctx.href("/admin/promotions")) { (l.pick("← Khuyến mãi", "← Promotions")) } }
            @if bundles.is_empty() {
                p { (l.pick("Chưa có combo nào.", "No bundles yet.")) }
            } @else {
                table.admin-table {
                    thead { tr {
                        th scope="col" { (l.pick("Tên", "Name")) }
                        th scope="col" { (l.pick("Sản phẩm", "Products")) }
                        th scope="col" { (l.pick("Ưu đãi", "Offer")) }
                        th scope="col" { (l.pick("Thời gian (giờ VN)", "When (Vietnam time)")) }
                        th scope="col" { (l.pick("Đã dùng", "Used")) }
                        th scope="col" { (l.pick("Thao tác", "Actions")) }
                    } }
                    tbody {
                        @for row in bundles {
                            tr {
                                th scope="row" {
                                    (l.pick(&row.name_vi, &row.name_en)) br;
                                    small.admin-muted { (on_off(ctx, row)) }
                                }
                                td { ul { @for item in items.iter().filter(|i| i.promotion_id == row.id) { li { (l.pick(&item.name_vi, &item.name_en)) } } } }
                                td { (row.promotion().map(|p| benefit_text(shop, &p.benefit)).unwrap_or_default()) }
                                td { (window(row)) }
                                td { (row.used_count) }
                                td {
                                    a href=(ctx.href(&format!("/admin/bundles/{}", row.id))) { (l.pick("Sửa", "Edit")) }
                                    form method="post" action=(ctx.href(&format!("/admin/bundles/{}/delete", row.id))) {
                                        (csrf_field())
                                        button.secondary type="submit" { (l.pick("Xoá", "Remove")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.admin-card #new-bundle {
            h2 { (l.pick("Tạo combo", "New bundle")) }
            (bundle_form(ctx, &ctx.href("/admin/bundles"), choices, form, l.pick("Tạo combo", "Create bundle")))
        }
    };
    page(ctx, Section::Promotions, l.pick("Combo mua kèm", "Bundles"), main)
}

/// One bundle's edit form.
pub fn bundle_edit_page(ctx: &AdminCtx, id: i64, choices: &[ProductChoice], errors: &[FieldError], form: &[(String, String)]) -> Markup {
    let l = ctx.locale;
    let main = html! {
        (error_list(ctx, errors))
        section.admin-card {
            h2 { (l.pick("Sửa combo", "Edit bundle")) }
            p.admin-muted { a href=(ctx.href("/admin/bundles")) { (l.pick("← Các combo", "← Bundles")) } }
            (bundle_form(ctx, &ctx.href(&format!("/admin/bundles/{id}")), choices, form, l.pick("Lưu", "Save")))
        }
    };
    page(ctx, Section::Promotions, l.pick("Sửa combo", "Edit bundle"), main)
}

fn error_list(ctx: &AdminCtx, errors: &[FieldError]) -> Markup {
    let l = ctx.locale;
    let t = crate::views::i18n::t(l);
    html! {
        @if !errors.is_empty() {
            div.notice.error role="alert" {
                p { (l.pick("Chưa lưu được combo:", "The bundle was not saved:")) }
                ul { @for e in errors { li { (field_label(ctx, e.field)) ": " ((t.problem)(&e.problem)) } } }
            }
        }
    }
}

fn field_label(ctx: &AdminCtx, field: &str) -> &'static str {
    let l = ctx.locale;
    match field {
        "product" => l.pick("Sản phẩm (2–5, mỗi sản phẩm một lần)", "Products (2–5, each once)"),
        "percent" => l.pick("Phần trăm giảm", "Percent off"),
        "price" => l.pick("Giá combo", "Bundle price"),
        "kind" => l.pick("Loại ưu đãi", "Kind of offer"),
        "ends_at" => l.pick("Kết thúc", "Ends"),
        "starts_at" => l.pick("Bắt đầu", "Starts"),
        _ => l.pick("Tên", "Name"),
    }
}

fn bundle_form(ctx: &AdminCtx, action: &str, choices: &[ProductChoice], form: &[(String, String)], submit: &str) -> Markup {
    let l = ctx.locale;
    let value = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let picked: Vec<&str> = form.iter().filter(|(k, v)| k == "product" && !v.is_empty()).map(|(_, v)| v.as_str()).collect();
    html! {
        form.admin-form method="post" action=(action) {
            (csrf_field())
            fieldset {
                legend { (l.pick("Tên hiển thị cho khách", "Name shoppers see")) }
                label { "Tiếng Việt" input name="name_vi" value=(value("name_vi")) required maxlength="120" placeholder="Mua kèm giảm 10%"; }
                label { "English" input name="name_en" value=(value("name_en")) required maxlength="120" placeholder="10% off together"; }
            }
            fieldset {
                legend { (l.pick("Sản phẩm trong combo (2–5)", "Products in the bundle (2–5)")) }
                @for n in 0..MAX_PRODUCTS {
                    label {
                        (l.pick("Sản phẩm ", "Product ")) (n + 1)
                        select name="product" required[n < 2] {
                            option value="" { (l.pick("— Chọn sản phẩm —", "— Choose a product —")) }
                            @for c in choices {
                                option value=(c.id) selected[picked.get(n) == Some(&c.id.to_string().as_str())] { (l.pick(&c.name_vi, &c.name_en)) }
                            }
                        }
                    }
                }
            }
            fieldset {
                legend { (l.pick("Ưu đãi cho mỗi bộ đủ sản phẩm", "Offer on each complete set")) }
                label { (l.pick("Loại", "Kind"))
                    select name="kind" required {
                        option value="percent" selected[value("kind") != "price"] { (l.pick("Giảm theo %", "Percent off")) }
                        option value="price" selected[value("kind") == "price"] { (l.pick("Giá cả bộ (₫)", "Price for the set (₫)")) }
                    }
                }
                label { "%" input name="percent" type="number" min="1" max="100" value=(value("percent")); }
                label { (l.pick("Giá cả bộ (₫)", "Price for the set (₫)")) input name="price" inputmode="numeric" value=(value("price")); }
            }
            fieldset {
                legend { (l.pick("Thời gian", "When")) }
                label { (l.pick("Bắt đầu (giờ VN)", "Starts (Vietnam time)")) input name="starts_at" type="datetime-local" value=(value("starts_at")); }
                label { (l.pick("Kết thúc (giờ VN)", "Ends (Vietnam time)")) input name="ends_at" type="datetime-local" value=(value("ends_at")); }
                label { input type="checkbox" name="inactive" checked[value("inactive") == "on"]; (l.pick(" Tắt", " Switched off")) }
            }
            button type="submit" { (submit) }
        }
    }
}
