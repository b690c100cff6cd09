//! Categories and collections in the admin panel: lists with move up/down buttons (no script),
//! create and edit forms (vi/en names and descriptions, slug, parent for categories), and a
//! collection's products (add by slug or SKU, reorder, remove).

use maud::{html, Markup};

use super::{csrf_field, page, AdminCtx, Section};
use crate::app::taxonomy::{CategoryRow, CollectionRow, MemberRow, Names};
use crate::domain::locale::Locale;

fn w(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    match ctx.locale {
        Locale::Vi => vi,
        Locale::En => en,
    }
}

fn notice(message: Option<&(bool, String)>) -> Markup {
    html! {
        @if let Some((ok, text)) = message {
            p class=(if *ok { "notice ok" } else { "notice error" }) role=(if *ok { "status" } else { "alert" }) { (text) }
        }
    }
}

/// What a create/edit form shows again: the values typed and each field's error.
pub struct FormState<'a> {
    pub names: &'a Names,
    pub parent: Option<i64>,
    pub errors: &'a [(&'static str, &'static str)],
}

fn field(ctx: &AdminCtx, s: &FormState, label: (&'static str, &'static str), name: &'static str, value: &str, textarea: bool) -> Markup {
    let error = s.errors.iter().find(|(f, _)| *f == name).map(|(_, m)| *m);
    html! {
        label {
            (w(ctx, label.0, label.1))
            @if textarea { textarea name=(name) rows="3" aria-invalid=[error.map(|_| "true")] { (value) } }
            @else { input type="text" name=(name) value=(value) aria-invalid=[error.map(|_| "true")]; }
            @if let Some(m) = error { span.field-error { (m) } }
        }
    }
}

fn names_fields(ctx: &AdminCtx, s: &FormState) -> Markup {
    let n = s.names;
    html! {
        (field(ctx, s, ("Tên (tiếng Việt)", "Name (Vietnamese)"), "name_vi", &n.name_vi, false))
        (field(ctx, s, ("Tên (tiếng Anh)", "Name (English)"), "name_en", &n.name_en, false))
        (field(ctx, s, ("Đường dẫn", "URL slug"), "slug", &n.slug, false))
        (field(ctx, s, ("Mô tả (tiếng Việt)", "Description (Vietnamese)"), "description_vi", &n.description_vi, true))
        (field(ctx, s, ("Mô tả (tiếng Anh)", "Description (English)"), "description_en", &n.description_en, true))
    }
}

fn parent_select(ctx: &AdminCtx, tree: &[(usize, &CategoryRow)], selected: Option<i64>, exclude_path: Option<&str>) -> Markup {
    html! {
        label { (w(ctx, "Danh mục cha", "Parent category"))
            select name="parent" {
                option value="" { (w(ctx, "(Không có — danh mục gốc)", "(None — top level)")) }
                @for (depth, c) in tree {
                    @if !exclude_path.is_some_and(|p| c.path.starts_with(p)) {
                        option value=(c.id) selected[selected == Some(c.id)] { ("— ".repeat(*depth)) (c.name_vi) }
                    }
                }
            }
        }
    }
}

fn move_buttons(ctx: &AdminCtx, action: &str, first: bool, last: bool) -> Markup {
    html! {
        div.move-buttons {
            @if !first {
                form method="post" action=(ctx.href(action)) { (csrf_field()) input type="hidden" name="dir" value="up"; button type="submit" aria-label=(w(ctx, "Lên trên", "Move up")) { "↑" } }
            }
            @if !last {
                form method="post" action=(ctx.href(action)) { (csrf_field()) input type="hidden" name="dir" value="down"; button type="submit" aria-label=(w(ctx, "Xuống dưới", "Move down")) { "↓" } }
            }
        }
    }
}

pub fn categories_page(ctx: &AdminCtx, tree: &[(usize, &CategoryRow)], can_edit: bool, new: &FormState, message: Option<(bool, String)>) -> Markup {
    let main = html! {
        p { a href=(ctx.href("/admin/products")) { (w(ctx, "← Sản phẩm", "← Products")) } }
        (notice(message.as_ref()))
        div.table-scroll {
            table.admin-table.categories {
                thead { tr { th { (w(ctx, "Danh mục", "Category")) } th { (w(ctx, "Đường dẫn", "Path")) } th { (w(ctx, "Sản phẩm", "Products")) } @if can_edit { th { (w(ctx, "Thứ tự", "Order")) } } } }
                tbody {
                    @for (depth, c) in tree {
                        @let siblings: Vec<i64> = tree.iter().filter(|(_, o)| o.parent_id == c.parent_id).map(|(_, o)| o.id).collect();
                        tr data-category=(c.id) data-slug=(c.slug) {
                            td { span.indent { ("— ".repeat(*depth)) } a href=(ctx.href(&format!("/admin/categories/{}", c.id))) { (c.name_vi) } " / " (c.name_en) }
                            td { code { (c.path) } }
                            td.num { (c.products) }
                            @if can_edit {
                                td { (move_buttons(ctx, &format!("/admin/categories/{}/move", c.id), siblings.first() == Some(&c.id), siblings.last() == Some(&c.id))) }
                            }
                        }
                    }
                }
            }
        }
        @if can_edit {
            h2 #new { (w(ctx, "Thêm danh mục", "New category")) }
            form.taxonomy-form method="post" action=(ctx.href("/admin/categories")) {
                (csrf_field())
                (names_fields(ctx, new))
                (parent_select(ctx, tree, new.parent, None))
                button type="submit" { (w(ctx, "Thêm danh mục", "Add category")) }
            }
        }
    };
    page(ctx, Section::Products, w(ctx, "Danh mục", "Categories"), main)
}

pub fn category_page(ctx: &AdminCtx, row: &CategoryRow, tree: &[(usize, &CategoryRow)], can_edit: bool, state: &FormState, message: Option<(bool, String)>) -> Markup {
    let main = html! {
        p { a href=(ctx.href("/admin/categories")) { (w(ctx, "← Danh mục", "← Categories")) } }
        (notice(message.as_ref()))
        @if !state.errors.is_empty() { p.notice.error role="alert" { (w(ctx, "Vui lòng sửa các ô được đánh dấu.", "Please correct the marked fields.")) } }
        form.taxonomy-form method="post" action=(ctx.href(&format!("/admin/categories/{}", row.id))) {
            (csrf_field())
            (names_fields(ctx, state))
            (parent_select(ctx, tree, state.parent, Some(&row.path)))
            @if can_edit { button type="submit" { (w(ctx, "Lưu danh mục", "Save category")) } }
        }
        p { a href=(format!("/c/{}", row.slug)) { (w(ctx, "Xem trên cửa hàng", "View in the shop")) } }
    };
    page(ctx, Section::Products, &row.name_vi, main)
}

pub fn collections_page(ctx: &AdminCtx, rows: &[CollectionRow], can_edit: bool, new: &FormState, message: Option<(bool, String)>) -> Markup {
    let main = html! {
        p { a href=(ctx.href("/admin/products")) { (w(ctx, "← Sản phẩm", "← Products")) } }
        (notice(message.as_ref()))
        div.table-scroll {
            table.admin-table.collections {
                thead { tr { th { (w(ctx, "Bộ sưu tập", "Collection")) } th { (w(ctx, "Đường dẫn", "Slug")) } th { (w(ctx, "Sản phẩm", "Products")) } @if can_edit { th { (w(ctx, "Thứ tự", "Order")) } } } }
                tbody {
                    @for (i, c) in rows.iter().enumerate() {
                        tr data-collection=(c.id) data-slug=(c.slug) {
                            td { a href=(ctx.href(&format!("/admin/collections/{}", c.id))) { (c.name_vi) } " / " (c.name_en) }
                            td { code { (c.slug) } }
                            td.num { (c.products) }
                            @if can_edit { td { (move_buttons(ctx, &format!("/admin/collections/{}/move", c.id), i == 0, i + 1 == rows.len())) } }
                        }
                    }
                }
            }
        }
        @if can_edit {
            h2 #new { (w(ctx, "Thêm bộ sưu tập", "New collection")) }
            form.taxonomy-form method="post" action=(ctx.href("/admin/collections")) {
                (csrf_field())
                (names_fields(ctx, new))
                button type="submit" { (w(ctx, "Thêm bộ sưu tập", "Add collection")) }
            }
        }
    };
    page(ctx, Section::Products, w(ctx, "Bộ sưu tập", "Collections"), main)
}

pub fn collection_page(ctx: &AdminCtx, row: &CollectionRow, members: &[MemberRow], can_edit: bool, state: &FormState, message: Option<(bool, String)>) -> Markup {
    let base = format!("/admin/collections/{}", row.id);
    let main = html! {
        p { a href=(ctx.href("/admin/collections")) { (w(ctx, "← Bộ sưu tập", "← Collections")) } }
        (notice(message.as_ref()))
        @if !state.errors.is_empty() { p.notice.error role="alert" { (w(ctx, "Vui lòng sửa các ô được đánh dấu.", "Please correct the marked fields.")) } }
        form.taxonomy-form method="post" action=(ctx.href(&base)) {
            (csrf_field())
            (names_fields(ctx, state))
            @if can_edit { button type="submit" { (w(ctx, "Lưu bộ sưu tập", "Save collection")) } }
        }
        h2 { (w(ctx, "Sản phẩm trong bộ sưu tập", "Products in this collection")) }
        @if members.is_empty() { p { (w(ctx, "Chưa có sản phẩm nào.", "No products yet.")) } }
        ol.members {
            @for (i, m) in members.iter().enumerate() {
                li data-product=(m.product_id) {
                    a href=(ctx.href(&format!("/admin/products/{}", m.product_id))) { (m.name_vi) } " " small { (m.slug) " · " (m.status) }
                    @if can_edit {
                        (move_buttons(ctx, &format!("{base}/products/{}/move", m.product_id), i == 0, i + 1 == members.len()))
                        form method="post" action=(ctx.href(&format!("{base}/products/{}/remove", m.product_id))) {
                            (csrf_field())
                            button type="submit" { (w(ctx, "Bỏ khỏi bộ sưu tập", "Remove from collection")) }
                        }
                    }
                }
            }
        }
        @if can_edit {
            form.add-member method="post" action=(ctx.href(&format!("{base}/products"))) {
                (csrf_field())
                label { (w(ctx, "Thêm sản phẩm (đường dẫn hoặc SKU)", "Add a product (slug or SKU)")) input type="text" name="product" required; }
                button type="submit" { (w(ctx, "Thêm", "Add")) }
            }
        }
    };
    page(ctx, Section::Products, &row.name_vi, main)
}
