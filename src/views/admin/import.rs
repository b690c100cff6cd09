//! The products CSV import: the upload form (a file or pasted text), the dry run (every problem by
//! line and column, and every planned change) with its confirm form, and the outcome.

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::catalog_import::{issue_text, Review};
use crate::domain::catalog_csv::Change;
use crate::domain::locale::Locale;

fn w(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    match ctx.locale {
        Locale::Vi => vi,
        Locale::En => en,
    }
}

/// The upload form, shown on the products page to those who may edit.
pub fn upload_form(ctx: &AdminCtx) -> Markup {
    html! {
        details.import-csv {
            summary { (w(ctx, "Nhập sản phẩm và tồn kho từ CSV", "Import products and stock from CSV")) }
            form method="post" action=(ctx.href("/admin/import")) enctype="multipart/form-data" {
                (csrf_field())
                p.hint { (w(ctx,
                    "Dùng đúng các cột của tệp CSV tải về. Trước hết là một lần chạy thử: chưa có gì được ghi cho đến khi bạn xác nhận.",
                    "Use the columns of the downloaded CSV. First comes a dry run: nothing is written until you confirm.")) }
                label { (w(ctx, "Tệp CSV", "CSV file")) input type="file" name="file" accept=".csv,text/csv"; }
                label { (w(ctx, "…hoặc dán nội dung CSV", "…or paste the CSV text")) textarea name="text" rows="6" {} }
                button type="submit" { (w(ctx, "Chạy thử", "Dry run")) }
            }
        }
    }
}

/// What a dry run shows.
pub struct DryRunView<'a> {
    pub review: Option<&'a Review>,
    /// A problem with the file as a whole (then there is no review).
    pub file_problem: Option<String>,
    /// `(draft id, CSV sha256)` when the plan can be confirmed.
    pub draft: Option<(&'a str, &'a str)>,
}

fn change_line(c: &Change) -> usize {
    match c {
        Change::CreateProduct { line, .. } | Change::UpdateProduct { line, .. } | Change::CreateVariant { line, .. } | Change::UpdateVariant { line, .. } | Change::Stock { line, .. } => *line,
    }
}

pub fn dry_run_page(ctx: &AdminCtx, v: &DryRunView) -> Markup {
    let main = html! {
        p { a href=(ctx.href("/admin/products")) { (w(ctx, "← Sản phẩm", "← Products")) } }
        @if let Some(problem) = &v.file_problem {
            p.notice.error role="alert" { (problem) }
        }
        @if let Some(r) = v.review {
            p.import-summary {
                (w(ctx, "Thay đổi dự kiến: ", "Planned changes: ")) strong.changes-count { (r.steps.len()) }
                " · " (w(ctx, "Dòng không đổi: ", "Unchanged rows: ")) strong { (r.unchanged) }
                " · " (w(ctx, "Lỗi: ", "Errors: ")) strong.errors-count { (r.issues.len()) }
            }
            @if !r.issues.is_empty() {
                p.notice.error role="alert" { (w(ctx, "Tệp có lỗi; chưa có gì được ghi. Hãy sửa tệp rồi chạy thử lại.", "The file has errors; nothing was written. Fix the file and run it again.")) }
                h2 { (w(ctx, "Lỗi theo dòng", "Errors by line")) }
                div.table-scroll {
                    table.admin-table.import-errors {
                        thead { tr { th { (w(ctx, "Dòng", "Line")) } th { (w(ctx, "Cột", "Column")) } th { (w(ctx, "Vấn đề", "Problem")) } } }
                        tbody {
                            @for i in &r.issues {
                                tr data-line=(i.line) data-column=(i.column) { td.num { (i.line) } td { code { (i.column) } } td { (issue_text(&i.issue, ctx.locale)) } }
                            }
                        }
                    }
                }
            }
            @if !r.steps.is_empty() {
                h2 { (w(ctx, "Thay đổi dự kiến", "Planned changes")) }
                div.table-scroll {
                    table.admin-table.import-plan {
                        thead { tr { th { (w(ctx, "Dòng", "Line")) } th { (w(ctx, "Thay đổi", "Change")) } th { (w(ctx, "Mục", "Item")) } th { (w(ctx, "Trước", "Before")) } th { (w(ctx, "Sau", "After")) } } }
                        tbody {
                            @for s in &r.steps {
                                @let line = change_line(&s.change);
                                @match &s.change {
                                    Change::CreateProduct { row, .. } => tr data-kind="new-product" { td.num { (line) } td { (w(ctx, "Sản phẩm mới", "New product")) } td { (row.product_slug) } td { "—" } td { (row.name_vi) " · " (row.product_status) } },
                                    Change::UpdateProduct { row, .. } => tr data-kind="product" {
                                        td.num { (line) } td { (w(ctx, "Sửa sản phẩm", "Product edit")) } td { (row.product_slug) }
                                        td { @if let Some(b) = &s.before { (b.name_vi) " · " (b.product_status) " · " (b.category_slug) } }
                                        td { (row.name_vi) " · " (row.product_status) " · " (row.category_slug) }
                                    },
                                    Change::CreateVariant { row, .. } => tr data-kind="new-variant" { td.num { (line) } td { (w(ctx, "Biến thể mới", "New variant")) } td { (row.sku) } td { "—" } td { (row.size) " · " (row.color) " · " (ctx.money(row.price)) } },
                                    Change::UpdateVariant { row, .. } => tr data-kind=(if s.before.as_ref().is_some_and(|b| b.price != row.price || b.compare_at_price != row.compare_at_price) { "price" } else { "variant" }) {
                                        td.num { (line) } td { (w(ctx, "Sửa biến thể", "Variant edit")) } td { (row.sku) }
                                        td { @if let Some(b) = &s.before { (b.size) " · " (b.color) " · " (ctx.money(b.price)) } }
                                        td { (row.size) " · " (row.color) " · " (ctx.money(row.price)) }
                                    },
                                    Change::Stock { sku, expected, delta, .. } => tr data-kind="stock" {
                                        td.num { (line) } td { (w(ctx, "Tồn kho", "Stock")) } td { (sku) }
                                        td.num { (expected) } td.num { (expected + delta) " (" (format!("{delta:+}")) ")" }
                                    },
                                }
                            }
                        }
                    }
                }
            }
            @if r.steps.is_empty() && r.issues.is_empty() {
                p.notice.ok role="status" { (w(ctx, "Không có gì thay đổi: tệp khớp với cửa hàng.", "Nothing to change: the file matches the shop.")) }
            }
            @if let Some((id, hash)) = v.draft {
                form.confirm-import method="post" action=(ctx.href("/admin/import/confirm")) {
                    (csrf_field())
                    input type="hidden" name="draft" value=(id);
                    input type="hidden" name="sha256" value=(hash);
                    p.hint { (w(ctx,
                        "Xác nhận sẽ áp dụng đúng các thay đổi ở trên. Tồn kho chỉ được đổi nếu vẫn bằng số lúc chạy thử; dòng nào đã thay đổi sẽ được báo lại, không bị ghi đè.",
                        "Confirming applies exactly the changes above. Stock changes only where it still equals the count seen in the dry run; rows that changed meanwhile are reported, not overwritten.")) }
                    p.hint { "SHA-256: " code { (hash) } }
                    button type="submit" { (w(ctx, "Xác nhận nhập", "Confirm import")) }
                }
            }
        }
    };
    page(ctx, Section::Products, w(ctx, "Nhập CSV: chạy thử", "CSV import: dry run"), main)
}

/// One change that did not apply, and why.
pub struct Conflict {
    pub line: usize,
    pub item: String,
    pub message: String,
}

pub fn result_page(ctx: &AdminCtx, applied: usize, conflicts: &[Conflict], refusal: Option<&str>) -> Markup {
    let main = html! {
        @if let Some(why) = refusal {
            p.notice.error role="alert" { (why) }
        } @else {
            p.notice.ok role="status" { (w(ctx, "Đã áp dụng ", "Applied ")) strong.applied-count { (applied) } (w(ctx, " thay đổi.", " changes.")) }
        }
        @if !conflicts.is_empty() {
            p.notice.error role="alert" { (w(ctx, "Một số dòng đã thay đổi kể từ lần chạy thử nên không được áp dụng:", "Some rows changed since the dry run and were not applied:")) }
            div.table-scroll {
                table.admin-table.import-conflicts {
                    thead { tr { th { (w(ctx, "Dòng", "Line")) } th { (w(ctx, "Mục", "Item")) } th { (w(ctx, "Vấn đề", "Problem")) } } }
                    tbody { @for c in conflicts { tr data-line=(c.line) { td.num { (c.line) } td { (c.item) } td { (c.message) } } } }
                }
            }
        }
        p { a href=(ctx.href("/admin/products")) { (w(ctx, "← Sản phẩm", "← Products")) } }
    };
    page(ctx, Section::Products, w(ctx, "Nhập CSV: kết quả", "CSV import: result"), main)
}
