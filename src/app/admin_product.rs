//! Creating and editing a product in the admin panel: the form's fields validated into a
//! [`ProductInput`] / [`VariantInput`] (each error names its field, in Vietnamese), and the audited
//! batches that write them. Prices are set only by routes that need `EditPrices`, and a variant
//! added without it ([`add_variant`]) only to a product that has never been on sale: its first
//! prices, not a change to what shoppers have seen (the insert itself is gated on
//! `products.published_at IS NULL`, which triggers set when a product first becomes active).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::sql::{Sql, SqlValue};
use crate::domain::catalog::ProductStatus;
use crate::domain::feeds::{AgeGroup, Gender};
use crate::domain::money::Vnd;
use crate::domain::slug::Slug;

/// `(field, message)` pairs.
pub type Errors = Vec<(&'static str, &'static str)>;

/// A form field, trimmed; empty when absent.
pub(crate) fn get(form: &[(String, String)], key: &str) -> String {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInput {
    pub slug: String,
    pub category_id: i64,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub seo_title_vi: String,
    pub seo_title_en: String,
    pub seo_description_vi: String,
    pub seo_description_en: String,
    pub status: ProductStatus,
    pub tags: Vec<String>,
    /// The weight (grams) of its variants that have none of their own, for shipping fees.
    #[serde(default)]
    pub weight_grams: i64,
    /// Who it is cut for and for what age, as the shopping feeds say (Google's lists).
    #[serde(default)]
    pub gender: Gender,
    #[serde(default)]
    pub age_group: AgeGroup,
}

/// The heaviest default weight the form takes (100 kg): a typo's extra zeros are refused.
const MAX_WEIGHT_GRAMS: i64 = 100_000;

impl ProductInput {
    pub fn parse(form: &[(String, String)]) -> Result<ProductInput, Errors> {
        let mut errors = Errors::new();
        let mut text = |key: &'static str, max: usize, required: bool| {
            let v = get(form, key);
            if required && v.is_empty() {
                errors.push((key, "Bắt buộc."));
            } else if v.chars().count() > max {
                errors.push((key, "Quá dài."));
            }
            v
        };
        let name_vi = text("name_vi", 200, true);
        let name_en = text("name_en", 200, true);
        let description_vi = text("description_vi", 5000, false);
        let description_en = text("description_en", 5000, false);
        let seo_title_vi = text("seo_title_vi", 70, false);
        let seo_title_en = text("seo_title_en", 70, false);
        let seo_description_vi = text("seo_description_vi", 160, false);
        let seo_description_en = text("seo_description_en", 160, false);
        let slug = get(form, "slug");
        if Slug::parse(&slug).is_none() {
            errors.push(("slug", "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: gile-len-xam)."));
        }
        let category_id = get(form, "category").parse::<i64>().unwrap_or(0);
        if category_id <= 0 {
            errors.push(("category", "Hãy chọn danh mục."));
        }
        let status = ProductStatus::parse(&get(form, "status"));
        if status.is_none() {
            errors.push(("status", "Trạng thái không hợp lệ."));
        }
        let mut tags: Vec<String> = get(form, "tags").split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
        tags.sort();
        tags.dedup();
        if tags.len() > 20 || tags.iter().any(|t| t.chars().count() > 40) {
            errors.push(("tags", "Tối đa 20 thẻ, mỗi thẻ tối đa 40 ký tự."));
        }
        let weight = get(form, "weight_grams");
        let weight_grams = if weight.is_empty() { Some(0) } else { weight.parse::<i64>().ok().filter(|g| (0..=MAX_WEIGHT_GRAMS).contains(g)) };
        if weight_grams.is_none() {
            errors.push(("weight_grams", "Khối lượng là số gam từ 0 đến 100.000."));
        }
        // Absent (a form from before these fields) is the column's default; anything else must be
        // one of Google's values.
        let gender = match get(form, "gender").as_str() {
            "" => Some(Gender::default()),
            g => Gender::parse(g),
        };
        if gender.is_none() {
            errors.push(("gender", "Hãy chọn nam, nữ hoặc unisex."));
        }
        let age_group = match get(form, "age_group").as_str() {
            "" => Some(AgeGroup::default()),
            a => AgeGroup::parse(a),
        };
        if age_group.is_none() {
            errors.push(("age_group", "Hãy chọn một nhóm tuổi trong danh sách."));
        }
        let Some(status) = status.filter(|_| errors.is_empty()) else { return Err(errors) };
        Ok(ProductInput {
            slug,
            category_id,
            name_vi,
            name_en,
            description_vi,
            description_en,
            seo_title_vi,
            seo_title_en,
            seo_description_vi,
            seo_description_en,
            status,
            tags,
            weight_grams: weight_grams.unwrap_or(0),
            gender: gender.unwrap_or_default(),
            age_group: age_group.unwrap_or_default(),
        })
    }

    /// The form as typed, for showing it again beside its errors (a status it cannot read shows as
    /// a draft, the first choice of the list).
    pub fn parse_lenient(form: &[(String, String)]) -> ProductInput {
        ProductInput {
            slug: get(form, "slug"),
            category_id: get(form, "category").parse().unwrap_or(0),
            name_vi: get(form, "name_vi"),
            name_en: get(form, "name_en"),
            description_vi: get(form, "description_vi"),
            description_en: get(form, "description_en"),
            seo_title_vi: get(form, "seo_title_vi"),
            seo_title_en: get(form, "seo_title_en"),
            seo_description_vi: get(form, "seo_description_vi"),
            seo_description_en: get(form, "seo_description_en"),
            status: ProductStatus::parse(&get(form, "status")).unwrap_or(ProductStatus::Draft),
            tags: get(form, "tags").split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
            weight_grams: get(form, "weight_grams").parse().unwrap_or(0),
            gender: Gender::parse(&get(form, "gender")).unwrap_or_default(),
            age_group: AgeGroup::parse(&get(form, "age_group")).unwrap_or_default(),
        }
    }

    /// A new product's empty form: nothing typed, a draft.
    pub fn blank() -> ProductInput {
        ProductInput::parse_lenient(&[])
    }

    fn audit_json(&self) -> Value {
        json!(self)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProductRow {
    pub id: i64,
    pub slug: String,
    pub category_id: i64,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub seo_title_vi: String,
    pub seo_title_en: String,
    pub seo_description_vi: String,
    pub seo_description_en: String,
    pub status: ProductStatus,
    pub tags: Option<String>,
    /// When it first went on sale (`None`: never); taking it back to draft keeps this.
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub weight_grams: i64,
    #[serde(default)]
    pub gender: Gender,
    #[serde(default)]
    pub age_group: AgeGroup,
}

impl ProductRow {
    /// Whether someone without the price permission may still give it variants and their first
    /// prices: only while it has never been on sale.
    pub fn staff_may_price(&self) -> bool {
        self.published_at.is_none()
    }

    pub fn input(&self) -> ProductInput {
        let mut tags: Vec<String> = self.tags.as_deref().unwrap_or("").split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
        tags.sort();
        ProductInput {
            slug: self.slug.clone(),
            category_id: self.category_id,
            name_vi: self.name_vi.clone(),
            name_en: self.name_en.clone(),
            description_vi: self.description_vi.clone(),
            description_en: self.description_en.clone(),
            seo_title_vi: self.seo_title_vi.clone(),
            seo_title_en: self.seo_title_en.clone(),
            seo_description_vi: self.seo_description_vi.clone(),
            seo_description_en: self.seo_description_en.clone(),
            status: self.status,
            tags,
            weight_grams: self.weight_grams,
            gender: self.gender,
            age_group: self.age_group,
        }
    }
}

pub fn product_sql(id: i64) -> Sql {
    Sql::new(
        "SELECT id, slug, category_id, name_vi, name_en, description_vi, description_en, seo_title_vi, seo_title_en, \
         seo_description_vi, seo_description_en, status, (SELECT group_concat(tag) FROM product_tags WHERE product_id = products.id) AS tags, \
         published_at, weight_grams, gender, age_group FROM products WHERE id = ?",
    )
    .bind(id)
}

/// The id a new product gets (the create batch refuses it if someone took it meanwhile).
pub fn next_id_sql() -> Sql {
    Sql::new("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM products")
}

fn tag_statements(id: i64, tags: &[String]) -> Vec<Sql> {
    let mut out = vec![Sql::new("DELETE FROM product_tags WHERE product_id = ?").bind(id)];
    out.extend(tags.iter().map(|t| Sql::new("INSERT OR IGNORE INTO product_tags (product_id, tag) VALUES (?, ?)").bind(id).bind(t.as_str())));
    out
}

/// Binds the form's fields in column order: slug, category, names, descriptions, SEO, status, weight,
/// gender, age group.
fn bind_fields(sql: Sql, p: &ProductInput) -> Sql {
    sql.bind(p.slug.as_str())
        .bind(p.category_id)
        .bind(p.name_vi.as_str())
        .bind(p.name_en.as_str())
        .bind(p.description_vi.as_str())
        .bind(p.description_en.as_str())
        .bind(p.seo_title_vi.as_str())
        .bind(p.seo_title_en.as_str())
        .bind(p.seo_description_vi.as_str())
        .bind(p.seo_description_en.as_str())
        .bind(p.status.code())
        .bind(p.weight_grams)
        .bind(p.gender.code())
        .bind(p.age_group.code())
}

/// A new product (its id chosen by the caller): insert unless the slug is taken, audit, tags.
pub fn create_batch(actor: &Actor, id: i64, p: &ProductInput, now: i64) -> Vec<Sql> {
    let mut batch = vec![
        bind_fields(
            Sql::new(
                "INSERT INTO products (id, slug, category_id, name_vi, name_en, description_vi, description_en, seo_title_vi, seo_title_en, \
             seo_description_vi, seo_description_en, status, weight_grams, gender, age_group) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? \
             WHERE EXISTS (SELECT 1 FROM categories WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM products WHERE slug = ? OR id = ?)",
            )
            .bind(id),
            p,
        )
        .bind(p.category_id)
        .bind(p.slug.as_str())
        .bind(id),
        audit_sql(actor, "product.create", "product", &id.to_string(), None, Some(&p.audit_json()), now),
    ];
    batch.extend(tag_statements(id, &p.tags));
    batch
}

/// An edit, applied only if the product is still in the status it was read in.
pub fn update_batch(actor: &Actor, before: &ProductRow, p: &ProductInput, now: i64) -> Vec<Sql> {
    let mut batch = vec![
        bind_fields(
            Sql::new(
                "UPDATE products SET slug = ?, category_id = ?, name_vi = ?, name_en = ?, description_vi = ?, description_en = ?, \
             seo_title_vi = ?, seo_title_en = ?, seo_description_vi = ?, seo_description_en = ?, status = ?, weight_grams = ?, \
             gender = ?, age_group = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND status = ? \
             AND EXISTS (SELECT 1 FROM categories WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM products WHERE slug = ? AND id <> ?)",
            ),
            p,
        )
        .bind(before.id)
        .bind(before.status.code())
        .bind(p.category_id)
        .bind(p.slug.as_str())
        .bind(before.id),
        audit_sql(actor, "product.update", "product", &before.id.to_string(), Some(&before.input().audit_json()), Some(&p.audit_json()), now),
        // After the audit row: written only if the edit changed the product.
        super::webhooks::product_updated_sql(before.id, now),
    ];
    batch.extend(tag_statements(before.id, &p.tags));
    batch
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VariantInput {
    pub sku: String,
    pub size: String,
    pub color: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub barcode: Option<String>,
    pub weight_grams: i64,
}

fn money(s: &str) -> Option<Vnd> {
    let cleaned: String = s.chars().filter(|c| !matches!(c, ' ' | '.' | ',' | '₫')).collect();
    cleaned.parse::<i64>().ok().filter(|n| (0..=1_000_000_000).contains(n)).map(Vnd::new)
}

impl VariantInput {
    pub fn parse(form: &[(String, String)]) -> Result<VariantInput, Errors> {
        let mut errors = Errors::new();
        let sku = get(form, "sku").to_uppercase();
        if sku.is_empty() || sku.len() > 40 || !sku.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-') {
            errors.push(("sku", "SKU gồm chữ không dấu, số và dấu gạch ngang, tối đa 40 ký tự."));
        }
        let size = get(form, "size");
        let color = get(form, "color");
        if size.is_empty() || size.len() > 10 {
            errors.push(("size", "Hãy chọn cỡ."));
        }
        if color.is_empty() || color.len() > 30 {
            errors.push(("color", "Hãy chọn màu."));
        }
        let (price, compare_at_price) = match positive_prices(form) {
            Ok(p) => p,
            Err(e) => {
                errors.extend(e);
                (Vnd::ZERO, None)
            }
        };
        let barcode = get(form, "barcode");
        if !barcode.is_empty() && !(8..=14).contains(&barcode.len()) || !barcode.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(("barcode", "Mã vạch gồm 8 đến 14 chữ số (hoặc để trống)."));
        }
        let weight = get(form, "weight_grams");
        let weight_grams = if weight.is_empty() { Some(0) } else { weight.parse::<i64>().ok().filter(|w| (0..=100_000).contains(w)) };
        if weight_grams.is_none() {
            errors.push(("weight_grams", "Khối lượng là số gam từ 0 đến 100000."));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(VariantInput {
            sku,
            size,
            color,
            price,
            compare_at_price,
            barcode: (!barcode.is_empty()).then_some(barcode),
            weight_grams: weight_grams.unwrap_or(0),
        })
    }
}

/// The price and compare-at price fields (VND, whole đồng; thousands dots allowed).
pub fn prices(form: &[(String, String)]) -> Result<(Vnd, Option<Vnd>), Errors> {
    let Some(price) = money(&get(form, "price")) else {
        return Err(vec![("price", "Giá là số đồng từ 0 đến 1.000.000.000.")]);
    };
    let compare = get(form, "compare_at_price");
    if compare.is_empty() {
        return Ok((price, None));
    }
    match money(&compare) {
        Some(c) if c > price => Ok((price, Some(c))),
        _ => Err(vec![("compare_at_price", "Giá so sánh phải cao hơn giá bán (hoặc để trống).")]),
    }
}

/// A variant's price and compare-at price: as `prices`, and a price of 0 ₫ is refused (a variant
/// is never given away by a slip of the keyboard).
pub fn positive_prices(form: &[(String, String)]) -> Result<(Vnd, Option<Vnd>), Errors> {
    match prices(form) {
        Ok((price, _)) if price <= Vnd::ZERO => Err(vec![("price", "Giá phải lớn hơn 0 ₫.")]),
        other => other,
    }
}

/// `unpublished_only`: the actor may not set prices, so the variant is added only to a product that
/// has never been on sale (its first prices, not a change to what shoppers have seen) and is a
/// draft now. A product once active keeps `published_at`, so draft → add → active cannot be used
/// to price a product that was on sale.
pub fn add_variant_batch(actor: &Actor, product_id: i64, v: &VariantInput, unpublished_only: bool, now: i64) -> [Sql; 2] {
    let mut insert = Sql::new(
        "INSERT INTO variants (product_id, sku, size, color, price, compare_at_price, barcode, weight_grams, position) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM variants WHERE product_id = ?) \
         WHERE EXISTS (SELECT 1 FROM products WHERE id = ? AND (? = 0 OR (status = 'draft' AND published_at IS NULL))) \
         AND EXISTS (SELECT 1 FROM sizes WHERE code = ?) AND EXISTS (SELECT 1 FROM colors WHERE code = ?) \
         AND NOT EXISTS (SELECT 1 FROM variants WHERE sku = ? OR (product_id = ? AND size = ? AND color = ?) OR (? IS NOT NULL AND barcode = ?))",
    )
    .bind(product_id)
    .bind(v.sku.as_str())
    .bind(v.size.as_str())
    .bind(v.color.as_str())
    .bind(v.price);
    let compare = SqlValue::from(v.compare_at_price);
    let barcode = v.barcode.clone().map_or(SqlValue::Null, SqlValue::Text);
    insert.params.push(compare);
    insert.params.push(barcode.clone());
    let insert = insert
        .bind(v.weight_grams)
        .bind(product_id)
        .bind(product_id)
        .bind(i64::from(unpublished_only))
        .bind(v.size.as_str())
        .bind(v.color.as_str())
        .bind(v.sku.as_str())
        .bind(product_id)
        .bind(v.size.as_str())
        .bind(v.color.as_str())
        .bind(barcode.clone())
        .bind(barcode);
    [insert, audit_sql(actor, "variant.create", "product", &product_id.to_string(), None, Some(&json!(v)), now)]
}

/// Why a variant was not added.
#[derive(Debug)]
pub enum VariantError {
    NotFound,
    /// The product is or has been on sale, and the actor may not set prices.
    NeedsPricePermission,
    /// The SKU, barcode or size × colour is taken, or the size or colour does not exist: one
    /// message per field at fault (`sku`, `barcode`, `size`, `color`).
    Taken(Errors),
    Db(DbError),
}

impl From<DbError> for VariantError {
    fn from(e: DbError) -> Self {
        VariantError::Db(e)
    }
}

/// Adds a variant to a product. `can_price`: the actor has the price permission; without it the
/// insert happens only for a product that has never been on sale (decided by the insert's own
/// condition, so no sequence of status changes gets round it). On refusal, says why.
pub async fn add_variant(db: &impl Db, actor: &Actor<'_>, product_id: i64, v: &VariantInput, can_price: bool, now: i64) -> Result<(), VariantError> {
    let done = db.batch(&add_variant_batch(actor, product_id, v, !can_price, now)).await?;
    if done.first().is_some_and(|r| r.changes() > 0) {
        return Ok(());
    }
    let product = db.first::<ProductRow>(&product_sql(product_id)).await?.ok_or(VariantError::NotFound)?;
    let staff_may_add = product.status == ProductStatus::Draft && product.staff_may_price();
    if !(can_price || staff_may_add) {
        return Err(VariantError::NeedsPricePermission);
    }
    let conflict = db.first::<ConflictRow>(&conflicts_sql(product_id, v)).await?.unwrap_or_default();
    Err(VariantError::Taken(conflict.errors()))
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConflictRow {
    pub sku: i64,
    pub barcode: i64,
    pub pair: i64,
    pub size_known: i64,
    pub color_known: i64,
}

impl ConflictRow {
    /// One message per field at fault, in the form's order.
    pub fn errors(&self) -> Errors {
        let mut errors = Errors::new();
        if self.sku > 0 {
            errors.push(("sku", "SKU này đã có ở một biến thể khác."));
        }
        if self.size_known == 0 {
            errors.push(("size", "Cỡ này không có trong danh sách cỡ."));
        } else if self.pair > 0 {
            errors.push(("size", "Sản phẩm đã có biến thể cùng cỡ và màu này."));
        }
        if self.color_known == 0 {
            errors.push(("color", "Màu này không có trong danh sách màu."));
        }
        if self.barcode > 0 {
            errors.push(("barcode", "Mã vạch này đã có ở một biến thể khác."));
        }
        if errors.is_empty() {
            // Taken between the insert and this look: say so rather than nothing.
            errors.push(("sku", "SKU, mã vạch hoặc cỡ × màu vừa được dùng; vui lòng thử lại."));
        }
        errors
    }
}

/// Which of the variant's SKU, barcode and size × colour are already taken, and whether its size and
/// colour exist.
pub fn conflicts_sql(product_id: i64, v: &VariantInput) -> Sql {
    let barcode = v.barcode.clone().map_or(SqlValue::Null, SqlValue::Text);
    Sql::new(
        "SELECT EXISTS (SELECT 1 FROM variants WHERE sku = ?) AS sku, \
         EXISTS (SELECT 1 FROM variants WHERE ? IS NOT NULL AND barcode = ?) AS barcode, \
         EXISTS (SELECT 1 FROM variants WHERE product_id = ? AND size = ? AND color = ?) AS pair, \
         EXISTS (SELECT 1 FROM sizes WHERE code = ?) AS size_known, EXISTS (SELECT 1 FROM colors WHERE code = ?) AS color_known",
    )
    .bind(v.sku.as_str())
    .bind(barcode.clone())
    .bind(barcode)
    .bind(product_id)
    .bind(v.size.as_str())
    .bind(v.color.as_str())
    .bind(v.size.as_str())
    .bind(v.color.as_str())
}

/// Removes a variant nobody holds, ordered or counted: no reservation, no order line, no hold, no
/// ledger row (such a variant is kept; set its stock to zero instead).
pub fn remove_variant_batch(actor: &Actor, product_id: i64, variant_id: i64, sku: &str, now: i64) -> [Sql; 2] {
    [
        Sql::new(
            "DELETE FROM variants WHERE id = ? AND product_id = ? AND reserved = 0 \
             AND NOT EXISTS (SELECT 1 FROM order_lines WHERE variant_id = ?) AND NOT EXISTS (SELECT 1 FROM holds WHERE variant_id = ?) \
             AND NOT EXISTS (SELECT 1 FROM stock_ledger WHERE variant_id = ?)",
        )
        .bind(variant_id)
        .bind(product_id)
        .bind(variant_id)
        .bind(variant_id)
        .bind(variant_id),
        audit_sql(actor, "variant.remove", "product", &product_id.to_string(), Some(&json!({"variant_id": variant_id, "sku": sku})), None, now),
    ]
}

/// A variant's new price, its audit row, the apps' `product.updated` webhook, and the price-drop
/// alerts it causes (`app::alerts`).
pub fn set_price_batch(actor: &Actor, product_id: i64, variant: &VariantRow, price: Vnd, compare: Option<Vnd>, now: i64) -> [Sql; 5] {
    let mut update =
        Sql::new("UPDATE variants SET price = ?, compare_at_price = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND product_id = ?")
            .bind(price);
    update.params.push(compare.into());
    let update = update.bind(variant.id).bind(product_id);
    let [drop_alerts, new_baselines] = super::alerts::price_changed(variant.id, now);
    [
        update,
        audit_sql(
            actor,
            "variant.price",
            "variant",
            &variant.id.to_string(),
            Some(&json!({"price": variant.price, "compare_at_price": variant.compare_at_price})),
            Some(&json!({"price": price, "compare_at_price": compare})),
            now,
        ),
        // After the audit row (which is written only if the price changed): the apps' webhook.
        super::webhooks::product_updated_sql(product_id, now),
        drop_alerts,
        new_baselines,
    ]
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct VariantRow {
    pub id: i64,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub barcode: Option<String>,
    pub weight_grams: i64,
    pub on_hand: i64,
    pub reserved: i64,
}

pub fn variants_sql(product_id: i64) -> Sql {
    Sql::new(
        "SELECT v.id, v.sku, v.size, v.color, v.price, v.compare_at_price, v.barcode, v.weight_grams, v.on_hand, v.reserved \
         FROM variants v LEFT JOIN sizes s ON s.code = v.size WHERE v.product_id = ? ORDER BY v.color, s.sort_order, v.id",
    )
    .bind(product_id)
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CodeRow {
    pub code: String,
}

pub fn sizes_sql() -> Sql {
    Sql::new("SELECT code FROM sizes ORDER BY sort_order")
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ColorRow {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

impl ColorRow {
    /// The colour's name in `locale`, looked up by code among `colors` (the code if unknown).
    pub fn name_of<'a>(colors: &'a [ColorRow], code: &'a str, locale: crate::domain::locale::Locale) -> &'a str {
        colors.iter().find(|c| c.code == code).map_or(code, |c| locale.pick(&c.name_vi, &c.name_en))
    }
}

pub fn colors_sql() -> Sql {
    Sql::new("SELECT code, name_vi, name_en FROM colors ORDER BY sort_order")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn good_product() -> Vec<(String, String)> {
        form(&[("slug", "gile-len"), ("category", "2"), ("name_vi", "Gile len"), ("name_en", "Wool vest"), ("status", "draft"), ("tags", " Len, ấm ,len")])
    }

    #[test]
    fn a_product_form_parses_or_names_each_bad_field() {
        let p = ProductInput::parse(&good_product()).unwrap();
        assert_eq!(p.tags, vec!["len".to_string(), "ấm".to_string()]);
        assert_eq!((p.category_id, p.status), (2, ProductStatus::Draft));
        let bad = form(&[("slug", "Gile Len"), ("status", "live"), ("seo_title_vi", &"x".repeat(71))]);
        let errors = ProductInput::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["name_vi", "name_en", "seo_title_vi", "slug", "category", "status"]);
        // The default weight: grams, empty meaning none; anything else is refused by name.
        assert_eq!(p.weight_grams, 0);
        let weighed = |g: &str| ProductInput::parse(&[good_product(), form(&[("weight_grams", g)])].concat()).map(|p| p.weight_grams);
        assert_eq!(weighed("450"), Ok(450));
        assert_eq!(weighed(" 100000 "), Ok(100_000));
        for bad in ["-1", "100001", "0.5", "450g"] {
            assert_eq!(weighed(bad).unwrap_err().iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["weight_grams"], "{bad}");
        }
        assert_eq!(errors.last(), Some(&("status", "Trạng thái không hợp lệ.")), "an unknown status is named for the person");
        assert_eq!(ProductInput::parse_lenient(&bad).status, ProductStatus::Draft);
        let mut only_status_wrong = good_product();
        only_status_wrong.retain(|(k, _)| k != "status");
        assert_eq!(ProductInput::parse(&only_status_wrong).unwrap_err(), vec![("status", "Trạng thái không hợp lệ.")]);
    }

    #[test]
    fn gender_and_age_group_are_googles_values_or_refused_by_name() {
        let with = |g: &str, a: &str| ProductInput::parse(&[good_product(), form(&[("gender", g), ("age_group", a)])].concat());
        let p = with("female", "kids").unwrap();
        assert_eq!((p.gender, p.age_group), (Gender::Female, AgeGroup::Kids));
        let absent = ProductInput::parse(&good_product()).unwrap();
        assert_eq!((absent.gender, absent.age_group), (Gender::Unisex, AgeGroup::Adult), "the columns' defaults");
        let fields = |g: &str, a: &str| with(g, a).unwrap_err().into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert_eq!(fields("women", "adult"), vec!["gender"]);
        assert_eq!(fields("male", "teen"), vec!["age_group"]);
        assert_eq!(fields("Male", "Adult"), vec!["gender", "age_group"], "the codes as Google spells them");
    }

    #[test]
    fn a_variant_form_parses_prices_and_refuses_nonsense() {
        let v = VariantInput::parse(&form(&[
            ("sku", "gl-m-nv"),
            ("size", "M"),
            ("color", "navy"),
            ("price", "450.000"),
            ("compare_at_price", "500.000"),
            ("weight_grams", "300"),
        ]))
        .unwrap();
        assert_eq!((v.sku.as_str(), v.price, v.compare_at_price, v.barcode.clone(), v.weight_grams), ("GL-M-NV", Vnd::new(450_000), Some(Vnd::new(500_000)), None, 300));
        let errors =
            VariantInput::parse(&form(&[("sku", "áo"), ("price", "450000"), ("compare_at_price", "400000"), ("barcode", "12ab"), ("weight_grams", "-1")]))
                .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["sku", "size", "color", "compare_at_price", "barcode", "weight_grams"]);
        assert!(prices(&form(&[("price", "-5")])).is_err());
    }

    #[test]
    fn batches_bind_every_placeholder_and_audit() {
        let actor = Actor { id: "a", email: "a@x.vn", ip: "" };
        let p = ProductInput::parse(&good_product()).unwrap();
        let row = ProductRow {
            id: 9,
            slug: "a".into(),
            category_id: 1,
            name_vi: "".into(),
            name_en: "".into(),
            description_vi: "".into(),
            description_en: "".into(),
            seo_title_vi: "".into(),
            seo_title_en: "".into(),
            seo_description_vi: "".into(),
            seo_description_en: "".into(),
            status: ProductStatus::Draft,
            tags: Some("b,a".into()),
            published_at: None,
            weight_grams: 0,
            gender: Gender::Unisex,
            age_group: AgeGroup::Adult,
        };
        assert_eq!(row.input().tags, vec!["a".to_string(), "b".to_string()]);
        let v = VariantInput {
            sku: "S".into(),
            size: "M".into(),
            color: "navy".into(),
            price: Vnd::new(1),
            compare_at_price: None,
            barcode: Some("12345678".into()),
            weight_grams: 0,
        };
        let vr = VariantRow {
            id: 3,
            sku: "S".into(),
            size: "M".into(),
            color: "navy".into(),
            price: Vnd::new(1),
            compare_at_price: None,
            barcode: None,
            weight_grams: 0,
            on_hand: 0,
            reserved: 0,
        };
        let mut all = create_batch(&actor, 9, &p, 1);
        all.extend(update_batch(&actor, &row, &p, 1));
        all.extend(add_variant_batch(&actor, 9, &v, true, 1));
        all.extend(remove_variant_batch(&actor, 9, 3, "S", 1));
        all.extend(set_price_batch(&actor, 9, &vr, Vnd::new(2), Some(Vnd::new(3)), 1));
        all.extend([product_sql(1), next_id_sql(), variants_sql(1), sizes_sql(), colors_sql()]);
        for sql in &all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
        assert!(create_batch(&actor, 9, &p, 1)[1].text.contains("audit_log"));
    }
}

#[cfg(test)]
mod flow_tests {
    use super::*;
    use crate::app::db::Db;
    use crate::app::testing::{block_on, Sqlite};

    const STAFF: Actor = Actor { id: "staff", email: "staff@x.vn", ip: "" };

    /// An active product of the demo catalog and a size × colour it has no variant for.
    fn on_sale(db: &Sqlite) -> (i64, String, String) {
        let id = db.int("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
        let size = db.text(&format!("SELECT s.code FROM sizes s, colors c WHERE NOT EXISTS (SELECT 1 FROM variants v WHERE v.product_id = {id} AND v.size = s.code AND v.color = c.code) ORDER BY s.sort_order, c.sort_order LIMIT 1"));
        let color = db.text(&format!("SELECT c.code FROM sizes s, colors c WHERE s.code = '{size}' AND NOT EXISTS (SELECT 1 FROM variants v WHERE v.product_id = {id} AND v.size = s.code AND v.color = c.code) ORDER BY c.sort_order LIMIT 1"));
        (id, size, color)
    }

    fn set_status(db: &Sqlite, id: i64, status: ProductStatus) {
        let before: ProductRow = block_on(db.first(&product_sql(id))).unwrap().unwrap();
        let input = ProductInput { status, ..before.input() };
        let done = block_on(db.batch(&update_batch(&STAFF, &before, &input, 1))).unwrap();
        assert_eq!(done[0].changes(), 1, "status {status:?}");
    }

    fn cheap(size: &str, color: &str) -> VariantInput {
        VariantInput { sku: "CHEAP-1".into(), size: size.into(), color: color.into(), price: Vnd::new(1_000), compare_at_price: None, barcode: None, weight_grams: 0 }
    }

    /// What the product form says about gender and age group is what the shopping feeds send.
    #[test]
    fn the_feeds_send_the_gender_and_age_group_set_on_the_form() {
        let db = Sqlite::demo();
        let (id, _, _) = on_sale(&db);
        let before: ProductRow = block_on(db.first(&product_sql(id))).unwrap().unwrap();
        let input = ProductInput { gender: Gender::Female, age_group: AgeGroup::Kids, ..before.input() };
        block_on(db.batch(&update_batch(&STAFF, &before, &input, 1))).unwrap();
        let after: ProductRow = block_on(db.first(&product_sql(id))).unwrap().unwrap();
        assert_eq!((after.gender, after.age_group), (Gender::Female, AgeGroup::Kids));
        let items = block_on(crate::app::feeds::items(&db, "https://vestify.test", &Default::default())).unwrap();
        let mine: Vec<_> = items.iter().filter(|i| i.group_id == format!("P{id}")).collect();
        assert!(!mine.is_empty());
        assert!(mine.iter().all(|i| (i.gender.as_str(), i.age_group.as_str()) == ("female", "kids")));
        let audit = db.text(&format!("SELECT after FROM audit_log WHERE action = 'product.update' AND entity_id = '{id}'"));
        assert!(audit.contains(r#""gender":"female""#) && audit.contains(r#""age_group":"kids""#), "{audit}");
    }

    #[test]
    fn staff_cannot_price_a_product_on_sale_by_taking_it_back_to_draft() {
        let db = Sqlite::demo();
        let (id, size, color) = on_sale(&db);
        // The probe's sequence: draft, add a variant at 1.000 ₫, active again.
        set_status(&db, id, ProductStatus::Draft);
        let added = block_on(add_variant(&db, &STAFF, id, &cheap(&size, &color), false, 2));
        assert!(matches!(added, Err(VariantError::NeedsPricePermission)), "{added:?}");
        set_status(&db, id, ProductStatus::Active);
        assert_eq!(db.int("SELECT COUNT(*) FROM variants WHERE sku = 'CHEAP-1'"), 0, "staff priced a product that was on sale");
        // The write itself refuses it, whatever a handler checked before.
        set_status(&db, id, ProductStatus::Draft);
        let done = block_on(db.batch(&add_variant_batch(&STAFF, id, &cheap(&size, &color), true, 3))).unwrap();
        assert_eq!((done[0].changes(), done[1].changes()), (0, 0), "no insert, no audit row");
        assert!(db.int(&format!("SELECT published_at IS NOT NULL FROM products WHERE id = {id}")) == 1, "the mark survives the drafts");
    }

    #[test]
    fn a_manager_still_adds_a_variant_to_a_product_on_sale() {
        let db = Sqlite::demo();
        let (id, size, color) = on_sale(&db);
        let manager = Actor { id: "manager", email: "manager@x.vn", ip: "" };
        block_on(add_variant(&db, &manager, id, &cheap(&size, &color), true, 2)).unwrap();
        assert_eq!(db.int("SELECT price FROM variants WHERE sku = 'CHEAP-1'"), 1_000);
        let again = block_on(add_variant(&db, &manager, id, &cheap(&size, &color), true, 3));
        assert!(matches!(&again, Err(VariantError::Taken(e)) if e.iter().map(|(f, _)| *f).collect::<Vec<_>>() == ["sku", "size"]), "{again:?}");
    }

    #[test]
    fn a_refused_variant_names_each_field_already_taken() {
        let db = Sqlite::demo();
        let (id, size, color) = on_sale(&db);
        let manager = Actor { id: "manager", email: "manager@x.vn", ip: "" };
        let taken_barcode = db.text("SELECT barcode FROM variants WHERE barcode IS NOT NULL ORDER BY id LIMIT 1");
        let fields = |v: &VariantInput| match block_on(add_variant(&db, &manager, id, v, true, 2)) {
            Err(VariantError::Taken(e)) => e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let existing_sku = db.text("SELECT sku FROM variants ORDER BY id DESC LIMIT 1");
        assert_eq!(fields(&VariantInput { sku: existing_sku, ..cheap(&size, &color) }), ["sku"]);
        assert_eq!(fields(&VariantInput { barcode: Some(taken_barcode), ..cheap(&size, &color) }), ["barcode"]);
        let (s1, c1) = (db.text(&format!("SELECT size FROM variants WHERE product_id = {id} LIMIT 1")), db.text(&format!("SELECT color FROM variants WHERE product_id = {id} LIMIT 1")));
        assert_eq!(fields(&cheap(&s1, &c1)), ["size"]);
        assert_eq!(fields(&cheap(&size, "chartreuse")), ["color"]);
        assert_eq!(db.int("SELECT COUNT(*) FROM variants WHERE sku = 'CHEAP-1'"), 0);
    }

    #[test]
    fn a_variant_price_of_zero_is_refused_with_the_field() {
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        let base = [("sku", "GL-1"), ("size", "M"), ("color", "navy"), ("weight_grams", "")];
        for zero in ["0", "0.000", "0 ₫"] {
            let errors = VariantInput::parse(&form(&[base.as_slice(), &[("price", zero)]].concat())).unwrap_err();
            assert_eq!(errors.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["price"], "{zero}");
        }
        assert!(VariantInput::parse(&form(&[base.as_slice(), &[("price", "1")]].concat())).is_ok());
        assert!(positive_prices(&form(&[("price", "0")])).is_err() && prices(&form(&[("price", "0")])).is_ok());
    }

    #[test]
    fn staff_give_a_new_product_its_first_prices_until_it_goes_on_sale() {
        let db = Sqlite::demo();
        let category = db.int("SELECT MIN(id) FROM categories");
        let input = ProductInput {
            slug: "gile-moi".into(),
            category_id: category,
            name_vi: "Gile mới".into(),
            name_en: "New vest".into(),
            gender: Gender::Male,
            age_group: AgeGroup::Adult,
            ..ProductInput::blank()
        };
        let id = 9_000;
        assert_eq!(block_on(db.batch(&create_batch(&STAFF, id, &ProductInput { weight_grams: 450, ..input.clone() }, 1))).unwrap()[0].changes(), 1);
        let saved: ProductRow = block_on(db.first(&product_sql(id))).unwrap().unwrap();
        assert_eq!(saved.weight_grams, 450, "the default weight is saved with the product");
        assert_eq!(saved.gender, Gender::Male, "and who it is cut for");
        assert_eq!(block_on(db.batch(&update_batch(&STAFF, &saved, &ProductInput { weight_grams: 600, ..saved.input() }, 1))).unwrap()[0].changes(), 1);
        let saved: ProductRow = block_on(db.first(&product_sql(id))).unwrap().unwrap();
        assert_eq!(saved.weight_grams, 600, "and changed by an edit");
        block_on(db.batch(&update_batch(&STAFF, &saved, &input, 1))).unwrap();
        block_on(add_variant(&db, &STAFF, id, &cheap("M", "navy"), false, 2)).unwrap();
        set_status(&db, id, ProductStatus::Active);
        set_status(&db, id, ProductStatus::Draft);
        let later = VariantInput { sku: "CHEAP-2".into(), size: "L".into(), ..cheap("L", "navy") };
        assert!(matches!(block_on(add_variant(&db, &STAFF, id, &later, false, 3)), Err(VariantError::NeedsPricePermission)));
        // Created straight into sale, it is marked at once.
        let live = ProductInput { slug: "gile-ban-ngay".into(), status: ProductStatus::Active, ..input };
        block_on(db.batch(&create_batch(&STAFF, id + 1, &live, 4))).unwrap();
        assert_eq!(db.int(&format!("SELECT published_at IS NOT NULL FROM products WHERE id = {}", id + 1)), 1);
    }

    #[test]
    fn the_first_publication_cannot_be_erased() {
        let db = Sqlite::demo();
        let (id, _, _) = on_sale(&db);
        let erase = block_on(db.batch(&[Sql::new("UPDATE products SET published_at = NULL WHERE id = ?").bind(id)]));
        assert!(erase.is_err());
    }
}
