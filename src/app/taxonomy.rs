//! Categories (a tree kept as materialised slug paths) and collections (hand-picked, ordered lists
//! of products) in the admin panel: the forms validated, their audited batches, and moving one up
//! or down among its siblings. Every batch writes the change first and its audit row after it,
//! gated on `changes()` (see `app::admin::audit_sql`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::sql::{Sql, SqlValue};
use crate::domain::catalog::ProductStatus;
use crate::domain::slug::Slug;

use super::admin_product::{get, Errors};

/// The fields categories and collections share.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Names {
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
}

impl Names {
    /// The form's fields; `Err` keeps what was typed beside the errors.
    pub fn parse(form: &[(String, String)]) -> Result<Names, (Names, Errors)> {
        let names = Names {
            slug: get(form, "slug"),
            name_vi: get(form, "name_vi"),
            name_en: get(form, "name_en"),
            description_vi: get(form, "description_vi"),
            description_en: get(form, "description_en"),
        };
        let mut errors = Errors::new();
        if Slug::parse(&names.slug).is_none() || names.slug.len() > 80 {
            errors.push(("slug", "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: gile-mua-he)."));
        }
        for (key, value) in [("name_vi", &names.name_vi), ("name_en", &names.name_en)] {
            if value.is_empty() {
                errors.push((key, "Bắt buộc."));
            } else if value.chars().count() > 100 {
                errors.push((key, "Tối đa 100 ký tự."));
            }
        }
        for (key, value) in [("description_vi", &names.description_vi), ("description_en", &names.description_en)] {
            if value.chars().count() > 2000 {
                errors.push((key, "Tối đa 2000 ký tự."));
            }
        }
        if errors.is_empty() {
            Ok(names)
        } else {
            Err((names, errors))
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CategoryRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub path: String,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub sort_order: i64,
    pub products: i64,
}

impl CategoryRow {
    pub fn names(&self) -> Names {
        Names {
            slug: self.slug.clone(),
            name_vi: self.name_vi.clone(),
            name_en: self.name_en.clone(),
            description_vi: self.description_vi.clone(),
            description_en: self.description_en.clone(),
        }
    }

    fn audit(&self) -> serde_json::Value {
        json!({"slug": self.slug, "parent_id": self.parent_id, "path": self.path, "name_vi": self.name_vi, "name_en": self.name_en,
            "description_vi": self.description_vi, "description_en": self.description_en, "sort_order": self.sort_order})
    }
}

pub fn categories_sql() -> Sql {
    Sql::new(
        "SELECT c.id, c.parent_id, c.slug, c.path, c.name_vi, c.name_en, c.description_vi, c.description_en, c.sort_order, \
         (SELECT COUNT(*) FROM products p WHERE p.category_id = c.id) AS products FROM categories c",
    )
}

/// The tree in display order (each parent before its children, siblings by sort order) with depth.
pub fn tree(rows: &[CategoryRow]) -> Vec<(usize, &CategoryRow)> {
    fn walk<'a>(rows: &'a [CategoryRow], parent: Option<i64>, depth: usize, out: &mut Vec<(usize, &'a CategoryRow)>) {
        if depth > 16 {
            return;
        }
        for c in siblings(rows, parent) {
            out.push((depth, c));
            walk(rows, Some(c.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(rows, None, 0, &mut out);
    out
}

/// The categories under one parent, in their order.
pub fn siblings(rows: &[CategoryRow], parent: Option<i64>) -> Vec<&CategoryRow> {
    let mut list: Vec<&CategoryRow> = rows.iter().filter(|c| c.parent_id == parent).collect();
    crate::domain::sort::sort_by_key(&mut list, |c| (c.sort_order, c.id));
    list
}

/// A new category as the last of its siblings; refused (no row) if the slug is taken or the parent is gone.
pub fn create_category_batch(actor: &Actor, parent: Option<&CategoryRow>, n: &Names, now: i64) -> Vec<Sql> {
    let parent_id = parent.map_or(SqlValue::Null, |p| SqlValue::Int(p.id));
    let path = format!("{}{}/", parent.map_or("/", |p| p.path.as_str()), n.slug);
    let mut insert = Sql::new(
        "INSERT INTO categories (parent_id, slug, path, name_vi, name_en, description_vi, description_en, sort_order) \
         SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM categories WHERE parent_id IS ?) \
         WHERE NOT EXISTS (SELECT 1 FROM categories WHERE slug = ? OR path = ?) AND (? IS NULL OR EXISTS (SELECT 1 FROM categories WHERE id = ? AND path = ?))",
    );
    insert.params.push(parent_id.clone());
    let mut insert = insert
        .bind(n.slug.as_str())
        .bind(path.as_str())
        .bind(n.name_vi.as_str())
        .bind(n.name_en.as_str())
        .bind(n.description_vi.as_str())
        .bind(n.description_en.as_str());
    insert.params.push(parent_id.clone());
    let insert = insert.bind(n.slug.as_str()).bind(path.as_str()).bind(parent_id.clone()).bind(parent_id).bind(parent.map_or("", |p| p.path.as_str()));
    let after = json!({"names": n, "parent_id": parent.map(|p| p.id), "path": path});
    vec![insert, audit_sql(actor, "category.create", "category", &n.slug, None, Some(&after), now)]
}

/// Why a category cannot move under a parent.
pub fn parent_refusal(rows: &[CategoryRow], id: i64, parent: Option<i64>) -> Option<&'static str> {
    let me = rows.iter().find(|c| c.id == id)?;
    let parent = parent.and_then(|p| rows.iter().find(|c| c.id == p));
    match parent {
        Some(p) if p.path.starts_with(&me.path) => Some("Không thể đặt danh mục vào chính nó hoặc danh mục con của nó."),
        _ => None,
    }
}

/// An edit of a category: its row (guarded by the path it was read with), then the paths of its
/// whole subtree when its slug or parent changed, then the audit row.
pub fn update_category_batch(actor: &Actor, before: &CategoryRow, parent: Option<&CategoryRow>, n: &Names, now: i64) -> Vec<Sql> {
    let parent_id = parent.map_or(SqlValue::Null, |p| SqlValue::Int(p.id));
    let new_path = format!("{}{}/", parent.map_or("/", |p| p.path.as_str()), n.slug);
    let mut update = Sql::new(
        "UPDATE categories SET parent_id = ?, slug = ?, path = ?, name_vi = ?, name_en = ?, description_vi = ?, description_en = ?, \
         updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
         WHERE id = ? AND path = ? AND NOT EXISTS (SELECT 1 FROM categories WHERE id <> ? AND (slug = ? OR path = ?)) \
         AND (? IS NULL OR EXISTS (SELECT 1 FROM categories WHERE id = ? AND path = ? AND substr(path, 1, length(?)) <> ?))",
    );
    update.params.push(parent_id.clone());
    let update = update
        .bind(n.slug.as_str())
        .bind(new_path.as_str())
        .bind(n.name_vi.as_str())
        .bind(n.name_en.as_str())
        .bind(n.description_vi.as_str())
        .bind(n.description_en.as_str())
        .bind(before.id)
        .bind(before.path.as_str())
        .bind(before.id)
        .bind(n.slug.as_str())
        .bind(new_path.as_str())
        .bind(parent_id.clone())
        .bind(parent_id)
        .bind(parent.map_or("", |p| p.path.as_str()))
        .bind(before.path.as_str())
        .bind(before.path.as_str());
    let after = json!({"names": n, "parent_id": parent.map(|p| p.id), "path": new_path});
    let mut batch = vec![update, audit_sql(actor, "category.update", "category", &before.id.to_string(), Some(&before.audit()), Some(&after), now)];
    if new_path != before.path {
        // Descendants follow, but only if the row itself moved (it now has the new path).
        batch.push(
            Sql::new(
                "UPDATE categories SET path = ? || substr(path, length(?) + 1) WHERE substr(path, 1, length(?)) = ? AND id <> ? \
                 AND EXISTS (SELECT 1 FROM categories WHERE id = ? AND path = ?)",
            )
            .bind(new_path.as_str())
            .bind(before.path.as_str())
            .bind(before.path.as_str())
            .bind(before.path.as_str())
            .bind(before.id)
            .bind(before.id)
            .bind(new_path.as_str()),
        );
    }
    batch
}

/// Up or down among siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }
}

/// The ids in their new order after moving `id` one place, or `None` if it cannot move that way.
pub fn moved(order: &[i64], id: i64, dir: Direction) -> Option<Vec<i64>> {
    let i = order.iter().position(|x| *x == id)?;
    let j = match dir {
        Direction::Up => i.checked_sub(1)?,
        Direction::Down => Some(i + 1).filter(|j| *j < order.len())?,
    };
    let mut out = order.to_vec();
    out.swap(i, j);
    Some(out)
}

/// A new order's updates, then a statement that always changes a row and one audit row.
fn reorder_batch(actor: &Actor, action: &str, entity: &str, entity_id: &str, touch: Sql, updates: Vec<Sql>, before: &[i64], after: &[i64], now: i64) -> Vec<Sql> {
    let mut batch = updates;
    // The audit row follows a statement that always changes its row, so it is always written.
    batch.push(touch);
    batch.push(audit_sql(actor, action, entity, entity_id, Some(&json!({"order": before})), Some(&json!({"order": after})), now));
    batch
}

/// `sort_order` = 1, 2, … in the given order; `table` is one of this module's, never input.
fn sort_order_updates(table: &'static str, after: &[i64]) -> Vec<Sql> {
    after.iter().enumerate().map(|(i, id)| Sql::new(format!("UPDATE {table} SET sort_order = ? WHERE id = ?")).bind(i as i64 + 1).bind(*id)).collect()
}

pub fn reorder_categories_batch(actor: &Actor, moved_id: i64, before: &[i64], after: &[i64], now: i64) -> Vec<Sql> {
    let updates = sort_order_updates("categories", after);
    let touch = Sql::new("UPDATE categories SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?").bind(moved_id);
    reorder_batch(actor, "category.reorder", "category", &moved_id.to_string(), touch, updates, before, after, now)
}

// --- collections -----------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CollectionRow {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub sort_order: i64,
    pub products: i64,
}

impl CollectionRow {
    pub fn names(&self) -> Names {
        Names {
            slug: self.slug.clone(),
            name_vi: self.name_vi.clone(),
            name_en: self.name_en.clone(),
            description_vi: self.description_vi.clone(),
            description_en: self.description_en.clone(),
        }
    }
}

pub fn collections_sql() -> Sql {
    Sql::new(
        "SELECT c.id, c.slug, c.name_vi, c.name_en, c.description_vi, c.description_en, c.sort_order, \
         (SELECT COUNT(*) FROM collection_products cp WHERE cp.collection_id = c.id) AS products FROM collections c ORDER BY c.sort_order, c.id",
    )
}

pub fn create_collection_batch(actor: &Actor, n: &Names, now: i64) -> Vec<Sql> {
    vec![
        Sql::new(
            "INSERT INTO collections (slug, name_vi, name_en, description_vi, description_en, sort_order) \
             SELECT ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM collections) WHERE NOT EXISTS (SELECT 1 FROM collections WHERE slug = ?)",
        )
        .bind(n.slug.as_str())
        .bind(n.name_vi.as_str())
        .bind(n.name_en.as_str())
        .bind(n.description_vi.as_str())
        .bind(n.description_en.as_str())
        .bind(n.slug.as_str()),
        audit_sql(actor, "collection.create", "collection", &n.slug, None, Some(&json!(n)), now),
    ]
}

pub fn update_collection_batch(actor: &Actor, before: &CollectionRow, n: &Names, now: i64) -> Vec<Sql> {
    vec![
        Sql::new(
            "UPDATE collections SET slug = ?, name_vi = ?, name_en = ?, description_vi = ?, description_en = ? \
             WHERE id = ? AND NOT EXISTS (SELECT 1 FROM collections WHERE slug = ? AND id <> ?)",
        )
        .bind(n.slug.as_str())
        .bind(n.name_vi.as_str())
        .bind(n.name_en.as_str())
        .bind(n.description_vi.as_str())
        .bind(n.description_en.as_str())
        .bind(before.id)
        .bind(n.slug.as_str())
        .bind(before.id),
        audit_sql(actor, "collection.update", "collection", &before.id.to_string(), Some(&json!(before.names())), Some(&json!(n)), now),
    ]
}

pub fn reorder_collections_batch(actor: &Actor, moved_id: i64, before: &[i64], after: &[i64], now: i64) -> Vec<Sql> {
    let updates = sort_order_updates("collections", after);
    // Collections have no timestamp; the touch rewrites the moved one's slug with itself.
    let touch = Sql::new("UPDATE collections SET slug = slug WHERE id = ?").bind(moved_id);
    reorder_batch(actor, "collection.reorder", "collection", &moved_id.to_string(), touch, updates, before, after, now)
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MemberRow {
    pub product_id: i64,
    pub slug: String,
    pub name_vi: String,
    pub status: ProductStatus,
    pub position: i64,
}

pub fn members_sql(collection_id: i64) -> Sql {
    Sql::new(
        "SELECT cp.product_id, p.slug, p.name_vi, p.status, cp.position FROM collection_products cp JOIN products p ON p.id = cp.product_id \
         WHERE cp.collection_id = ? ORDER BY cp.position, p.id",
    )
    .bind(collection_id)
}

/// Adds a product (by slug, or by one of its SKUs) at the end of a collection.
pub fn add_member_batch(actor: &Actor, collection_id: i64, slug_or_sku: &str, now: i64) -> Vec<Sql> {
    vec![
        Sql::new(
            "INSERT INTO collection_products (collection_id, product_id, position) \
             SELECT ?, p.id, (SELECT COALESCE(MAX(position), 0) + 1 FROM collection_products WHERE collection_id = ?) FROM products p \
             WHERE (p.slug = ? OR p.id = (SELECT product_id FROM variants WHERE sku = ?)) AND EXISTS (SELECT 1 FROM collections WHERE id = ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(collection_id)
        .bind(collection_id)
        .bind(slug_or_sku)
        .bind(slug_or_sku.to_uppercase())
        .bind(collection_id),
        audit_sql(actor, "collection.add_product", "collection", &collection_id.to_string(), None, Some(&json!({"product": slug_or_sku})), now),
    ]
}

pub fn remove_member_batch(actor: &Actor, collection_id: i64, product_id: i64, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("DELETE FROM collection_products WHERE collection_id = ? AND product_id = ?").bind(collection_id).bind(product_id),
        audit_sql(actor, "collection.remove_product", "collection", &collection_id.to_string(), Some(&json!({"product_id": product_id})), None, now),
    ]
}

pub fn reorder_members_batch(actor: &Actor, collection_id: i64, moved_id: i64, before: &[i64], after: &[i64], now: i64) -> Vec<Sql> {
    let updates = after
        .iter()
        .enumerate()
        .map(|(i, id)| Sql::new("UPDATE collection_products SET position = ? WHERE collection_id = ? AND product_id = ?").bind(i as i64 + 1).bind(collection_id).bind(*id))
        .collect();
    let touch = Sql::new("UPDATE collection_products SET position = position WHERE collection_id = ? AND product_id = ?").bind(collection_id).bind(moved_id);
    reorder_batch(actor, "collection.reorder_products", "collection", &collection_id.to_string(), touch, updates, before, after, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: i64, parent: Option<i64>, path: &str, sort: i64) -> CategoryRow {
        CategoryRow {
            id,
            parent_id: parent,
            slug: path.trim_end_matches('/').rsplit('/').next().unwrap_or("").into(),
            path: path.into(),
            name_vi: "x".into(),
            name_en: "x".into(),
            description_vi: String::new(),
            description_en: String::new(),
            sort_order: sort,
            products: 0,
        }
    }

    #[test]
    fn the_tree_lists_parents_before_children_in_sibling_order() {
        let rows = [cat(1, None, "/a/", 2), cat(2, Some(1), "/a/b/", 1), cat(3, None, "/c/", 1), cat(4, Some(1), "/a/d/", 0)];
        let order: Vec<(usize, i64)> = tree(&rows).iter().map(|(d, c)| (*d, c.id)).collect();
        assert_eq!(order, vec![(0, 3), (0, 1), (1, 4), (1, 2)]);
    }

    #[test]
    fn moves_one_place_or_not_at_all() {
        assert_eq!(moved(&[1, 2, 3], 2, Direction::Up), Some(vec![2, 1, 3]));
        assert_eq!(moved(&[1, 2, 3], 2, Direction::Down), Some(vec![1, 3, 2]));
        assert_eq!(moved(&[1, 2, 3], 1, Direction::Up), None);
        assert_eq!(moved(&[1, 2, 3], 3, Direction::Down), None);
        assert_eq!(moved(&[1, 2, 3], 9, Direction::Down), None);
    }

    #[test]
    fn a_category_cannot_move_into_its_own_subtree() {
        let rows = [cat(1, None, "/a/", 1), cat(2, Some(1), "/a/b/", 1), cat(3, None, "/c/", 2)];
        assert!(parent_refusal(&rows, 1, Some(2)).is_some());
        assert!(parent_refusal(&rows, 1, Some(1)).is_some());
        assert!(parent_refusal(&rows, 2, Some(3)).is_none());
        assert!(parent_refusal(&rows, 2, None).is_none());
    }

    #[test]
    fn forms_name_their_bad_fields() {
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert!(Names::parse(&form(&[("slug", "gile-he"), ("name_vi", "Gile hè"), ("name_en", "Summer vests")])).is_ok());
        let (_, errors) = Names::parse(&form(&[("slug", "Gile Hè"), ("name_en", "x")])).unwrap_err();
        assert_eq!(errors.iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["slug", "name_vi"]);
    }

    #[test]
    fn batches_bind_every_placeholder() {
        let actor = Actor { id: "a", email: "a@x.vn", ip: "" };
        let n = Names { slug: "s".into(), name_vi: "v".into(), name_en: "e".into(), ..Names::default() };
        let parent = cat(1, None, "/a/", 1);
        let before = cat(2, Some(1), "/a/b/", 1);
        let col = CollectionRow { id: 1, slug: "c".into(), name_vi: "".into(), name_en: "".into(), description_vi: "".into(), description_en: "".into(), sort_order: 1, products: 0 };
        let mut all = create_category_batch(&actor, Some(&parent), &n, 1);
        all.extend(create_category_batch(&actor, None, &n, 1));
        all.extend(update_category_batch(&actor, &before, None, &n, 1));
        all.extend(update_category_batch(&actor, &before, Some(&parent), &n, 1));
        all.extend(reorder_categories_batch(&actor, 1, &[1, 2], &[2, 1], 1));
        all.extend(create_collection_batch(&actor, &n, 1));
        all.extend(update_collection_batch(&actor, &col, &n, 1));
        all.extend(reorder_collections_batch(&actor, 1, &[1, 2], &[2, 1], 1));
        all.extend(add_member_batch(&actor, 1, "x", 1));
        all.extend(remove_member_batch(&actor, 1, 2, 1));
        all.extend(reorder_members_batch(&actor, 1, 2, &[1, 2], &[2, 1], 1));
        all.extend([categories_sql(), collections_sql(), members_sql(1)]);
        for sql in &all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
        // A moved category carries its subtree.
        assert!(update_category_batch(&actor, &before, None, &n, 1).iter().any(|s| s.text.contains("substr(path, length(?) + 1)")));
    }
}
