//! A product's uploaded images (`product_images` rows pointing at `/media/{hash}.{ext}`): add,
//! alt text in both languages, the variant (and so the colour) an image shows, order, removal.
//! The bytes live in KV under their hash and are never deleted here: another row, or a cached
//! page, may still use them, and the same upload again costs nothing.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::sql::{Sql, SqlValue};
use crate::domain::image_size::Slot;
use crate::domain::media::Checked;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageRow {
    pub id: i64,
    pub url: String,
    pub alt_vi: String,
    pub alt_en: String,
    pub variant_id: Option<i64>,
    pub color: Option<String>,
    pub width: i64,
    pub height: i64,
    pub position: i64,
    /// How many smaller copies it has (`media_sizes`): none for an SVG, or for a photo uploaded
    /// without the page's script (the admin page then offers to make them).
    #[serde(default)]
    pub sizes: i64,
}

pub fn images_sql(product_id: i64) -> Sql {
    Sql::new(
        "SELECT id, url, alt_vi, alt_en, variant_id, color, width, height, position, \
         (SELECT COUNT(*) FROM media_sizes s WHERE s.original = product_images.url) AS sizes \
         FROM product_images WHERE product_id = ? ORDER BY position, id",
    )
    .bind(product_id)
}

/// Alt text: at most 200 characters, trimmed.
pub fn alt(s: &str) -> String {
    s.trim().chars().take(200).collect()
}

fn variant_value(variant_id: Option<i64>) -> SqlValue {
    variant_id.map_or(SqlValue::Null, SqlValue::Int)
}

/// A new image at the end of the product's gallery. A variant, when given, must belong to the
/// product; the image then takes its colour, so the storefront's gallery follows the picker.
pub fn add_batch(actor: &Actor, product_id: i64, image: &Checked, alt_vi: &str, alt_en: &str, variant_id: Option<i64>, now: i64) -> Vec<Sql> {
    let mut insert = Sql::new(
        "INSERT INTO product_images (product_id, variant_id, color, url, alt_vi, alt_en, width, height, position) \
         SELECT p.id, ?, (SELECT color FROM variants WHERE id = ? AND product_id = p.id), ?, ?, ?, ?, ?, \
         (SELECT COALESCE(MAX(position), 0) + 1 FROM product_images WHERE product_id = p.id) FROM products p \
         WHERE p.id = ? AND (? IS NULL OR EXISTS (SELECT 1 FROM variants WHERE id = ? AND product_id = p.id))",
    );
    insert.params.extend([variant_value(variant_id), variant_value(variant_id)]);
    let insert = insert
        .bind(image.url())
        .bind(alt_vi)
        .bind(alt_en)
        .bind(image.width)
        .bind(image.height)
        .bind(product_id)
        .bind(variant_value(variant_id))
        .bind(variant_value(variant_id));
    let after = json!({"url": image.url(), "alt_vi": alt_vi, "alt_en": alt_en, "variant_id": variant_id, "width": image.width, "height": image.height});
    vec![insert, audit_sql(actor, "image.add", "product", &product_id.to_string(), None, Some(&after), now)]
}

/// The smaller copies of the original at `original` (its `/media/` URL), recorded once each (a
/// copy made again replaces the one before), then audited against the product.
pub fn sizes_batch(actor: &Actor, product_id: i64, original: &str, copies: &[(Slot, Checked)], now: i64) -> Vec<Sql> {
    let mut batch: Vec<Sql> = copies
        .iter()
        .map(|(slot, c)| {
            Sql::new("INSERT OR REPLACE INTO media_sizes (original, social, width, height, url, bytes) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(original)
                .bind(i64::from(*slot == Slot::Social))
                .bind(c.width)
                .bind(c.height)
                .bind(c.url())
                .bind(c.bytes.len() as i64)
        })
        .collect();
    let after: Vec<_> = copies.iter().map(|(_, c)| json!({"url": c.url(), "width": c.width, "height": c.height, "bytes": c.bytes.len()})).collect();
    batch.push(audit_sql(actor, "image.sizes", "product", &product_id.to_string(), None, Some(&json!({"original": original, "sizes": after})), now));
    batch
}

/// New alt texts and variant for an image of this product.
pub fn update_batch(actor: &Actor, product_id: i64, before: &ImageRow, alt_vi: &str, alt_en: &str, variant_id: Option<i64>, now: i64) -> Vec<Sql> {
    let mut update = Sql::new(
        "UPDATE product_images SET alt_vi = ?, alt_en = ?, variant_id = ?, color = (SELECT color FROM variants WHERE id = ? AND product_id = ?) \
         WHERE id = ? AND product_id = ? AND (? IS NULL OR EXISTS (SELECT 1 FROM variants WHERE id = ? AND product_id = ?))",
    )
    .bind(alt_vi)
    .bind(alt_en);
    update.params.extend([variant_value(variant_id), variant_value(variant_id)]);
    let update = update
        .bind(product_id)
        .bind(before.id)
        .bind(product_id)
        .bind(variant_value(variant_id))
        .bind(variant_value(variant_id))
        .bind(product_id);
    vec![
        update,
        audit_sql(
            actor,
            "image.update",
            "product",
            &product_id.to_string(),
            Some(&json!({"image": before.id, "alt_vi": before.alt_vi, "alt_en": before.alt_en, "variant_id": before.variant_id})),
            Some(&json!({"image": before.id, "alt_vi": alt_vi, "alt_en": alt_en, "variant_id": variant_id})),
            now,
        ),
    ]
}

/// The gallery in a new order (positions 1, 2, …), audited once.
pub fn reorder_batch(actor: &Actor, product_id: i64, moved: i64, before: &[i64], after: &[i64], now: i64) -> Vec<Sql> {
    let mut batch: Vec<Sql> = after
        .iter()
        .enumerate()
        .map(|(i, id)| Sql::new("UPDATE product_images SET position = ? WHERE id = ? AND product_id = ?").bind(i as i64 + 1).bind(*id).bind(product_id))
        .collect();
    batch.push(Sql::new("UPDATE product_images SET position = position WHERE id = ? AND product_id = ?").bind(moved).bind(product_id));
    batch.push(audit_sql(actor, "image.reorder", "product", &product_id.to_string(), Some(&json!({"order": before})), Some(&json!({"order": after})), now));
    batch
}

/// Removes the row (the blob stays in KV; see the module note).
pub fn delete_batch(actor: &Actor, product_id: i64, before: &ImageRow, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("DELETE FROM product_images WHERE id = ? AND product_id = ?").bind(before.id).bind(product_id),
        audit_sql(actor, "image.delete", "product", &product_id.to_string(), Some(&json!(before)), None, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::media::Kind;

    #[test]
    fn batches_bind_every_placeholder_and_audit() {
        let actor = Actor { id: "a", email: "a@x.vn", ip: "" };
        let image = Checked { kind: Kind::Png, bytes: Vec::new(), hash: "0".repeat(64), width: 10, height: 20 };
        let row = ImageRow { id: 3, url: image.url(), alt_vi: "".into(), alt_en: "".into(), variant_id: None, color: None, width: 10, height: 20, position: 1, sizes: 0 };
        let mut all = add_batch(&actor, 1, &image, "a", "b", Some(4), 1);
        all.extend(add_batch(&actor, 1, &image, "a", "b", None, 1));
        all.extend(update_batch(&actor, 1, &row, "x", "y", Some(2), 1));
        all.extend(reorder_batch(&actor, 1, 3, &[3, 4], &[4, 3], 1));
        all.extend(delete_batch(&actor, 1, &row, 1));
        all.extend(sizes_batch(&actor, 1, &image.url(), &[(Slot::Width(320), image.clone()), (Slot::Social, image.clone())], 1));
        all.push(images_sql(1));
        for sql in &all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
        assert_eq!(all.iter().filter(|s| s.text.contains("audit_log")).count(), 6);
        assert_eq!(alt(&format!("  {}  ", "á".repeat(300))).chars().count(), 200);
    }
}
