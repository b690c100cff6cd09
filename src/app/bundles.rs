//! Bundles ("Mua kèm giảm 10%"): a set of 2–5 products sold together for a bundle price or a
//! percentage off, within dates. A bundle is stored as an automatic promotion whose benefit is
//! `bundle_price` or `bundle_percent` (targeted at its products), so the one pricing engine prices
//! it in the cart, at checkout and on the order, and checkout claims it like any promotion; its
//! products are also listed in `bundle_products` so a product page finds its bundles cheaply.
//!
//! Here: the manager's form read into a promotion, the batches that create, edit and remove a
//! bundle (each with its audit row), the product page's offers, and the check of a shopper's picks
//! (one variant of each product) before the cart holds them all or none (`app::cart::add_all`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{audit_created_sql, audit_sql, Actor};
use super::db::{expect_n, Db};
use super::promotions::{create_promotion, update_promotion, validate_input, PromotionInput, PromotionRow};
use super::sql::{Sql, SqlValue};
use crate::domain::error::{AppError, Refusal};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::money::Vnd;
use crate::domain::promotions::{price, Benefit, Customer, Line, PricingInput, Promotion, Target};

/// A bundle has at least two products and at most five.
pub const MIN_PRODUCTS: usize = 2;
pub const MAX_PRODUCTS: usize = 5;

/// The promotions that are bundles (their benefit's type, as `promotions.rule` stores it).
const IS_BUNDLE: &str = "json_extract(rule, '$.benefit.type') IN ('bundle_price', 'bundle_percent')";

const COLUMNS: &str = "id, name_vi, name_en, automatic, status, rule, priority, combinable, starts_at, ends_at, usage_limit, per_customer_limit, used_count";

/// Reads the manager's form: `name_vi`, `name_en`, `product` (one field per picked product, in
/// order; empty ones are skipped), `kind` (`percent` or `price`) with `percent` or `price`,
/// `starts_at`/`ends_at` (Vietnam time), `inactive`. A bundle is automatic and combinable: it stacks
/// with the shop's other promotions by the engine's rules, each taking from what the lines still cost.
pub fn read_form(form: &[(String, String)]) -> Result<Promotion, Vec<FieldError>> {
    let get = |k: &str| form.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.trim());
    let mut errors = Vec::new();
    let mut products: Vec<i64> = Vec::new();
    for (_, raw) in form.iter().filter(|(k, v)| k == "product" && !v.trim().is_empty()) {
        match raw.trim().parse::<i64>() {
            Ok(id) if id > 0 && !products.contains(&id) => products.push(id),
            // The same product twice is one product picked twice: refused, not silently merged.
            _ => errors.push(FieldError { field: "product", problem: Problem::BadValue }),
        }
    }
    if !(MIN_PRODUCTS..=MAX_PRODUCTS).contains(&products.len()) {
        errors.push(FieldError { field: "product", problem: Problem::OutOfRange { min: MIN_PRODUCTS as i64, max: MAX_PRODUCTS as i64 } });
    }
    let whole = |field: &'static str, errors: &mut Vec<FieldError>| {
        let raw: String = get(field).chars().filter(|c| !matches!(c, '.' | ',' | ' ' | '₫' | '%')).collect();
        let n = raw.parse::<i64>().ok().filter(|n| *n >= 0);
        if n.is_none() {
            errors.push(FieldError { field, problem: if raw.is_empty() { Problem::Required } else { Problem::NotANumber } });
        }
        n
    };
    let benefit = match get("kind") {
        "percent" => whole("percent", &mut errors).and_then(|p| u8::try_from(p).ok()).map(|percent| Benefit::BundlePercent { products: products.clone(), percent }),
        "price" => whole("price", &mut errors).map(|p| Benefit::BundlePrice { products: products.clone(), price: Vnd::new(p) }),
        _ => {
            errors.push(FieldError { field: "kind", problem: Problem::UnknownChoice });
            None
        }
    };
    let text = |k: &str| Some(get(k).to_string()).filter(|s| !s.is_empty());
    let input = PromotionInput {
        name_vi: get("name_vi").to_string(),
        name_en: get("name_en").to_string(),
        automatic: true,
        active: get("inactive") != "on",
        benefit,
        target: Target::Products(products.clone()),
        starts_at: text("starts_at"),
        ends_at: text("ends_at"),
        combinable: true,
        ..PromotionInput::default()
    };
    match validate_input(&input) {
        Ok((promotion, _)) if errors.is_empty() => Ok(promotion),
        Ok(_) => Err(errors),
        Err(more) => {
            // `benefit` names the percent or the price the manager typed.
            let field = if get("kind") == "price" { "price" } else { "percent" };
            // A benefit refused for too few products is already the products' error.
            let counted = (MIN_PRODUCTS..=MAX_PRODUCTS).contains(&products.len());
            errors.extend(more.into_iter().filter(|e| e.field != "benefit" || counted).map(|e| if e.field == "benefit" { FieldError { field, ..e } } else { e }));
            Err(errors)
        }
    }
}

/// What the audit log keeps of a bundle.
fn audited(p: &Promotion) -> serde_json::Value {
    json!({"name_vi": p.name_vi, "name_en": p.name_en, "benefit": p.benefit, "active": p.active,
        "starts_at": p.conditions.starts_at, "ends_at": p.conditions.ends_at})
}

fn products_of(p: &Promotion) -> &[i64] {
    p.benefit.bundle_products().unwrap_or_default()
}

/// Creates a bundle: its promotion row, the audit row (right after it: the audit is conditional on
/// the statement before), then its products.
pub fn create_batch(actor: &Actor, p: &Promotion, now: i64) -> Vec<Sql> {
    let mut batch = create_promotion(p, &[], now);
    // `create_promotion` ends with a read of the new row; not needed here.
    batch.pop();
    batch.push(audit_created_sql(actor, "bundle.create", "bundle", "promotions", &audited(p), now));
    for (position, product) in products_of(p).iter().enumerate() {
        batch.push(
            Sql::new("INSERT INTO bundle_products (promotion_id, product_id, position) SELECT MAX(id), ?, ? FROM promotions")
                .bind(*product)
                .bind(position as i64),
        );
    }
    batch
}

/// Replaces a bundle's settings and products (its uses so far stay). Changes nothing unless `id`
/// is a bundle.
pub fn update_batch(actor: &Actor, id: i64, before: &Promotion, p: &Promotion, now: i64) -> Vec<Sql> {
    let [mut update, _] = <[Sql; 2]>::try_from(update_promotion(id, p, now)).unwrap_or_else(|_| [Sql::new("SELECT 1"), Sql::new("SELECT 1")]);
    update.text.push_str(&format!(" AND {IS_BUNDLE}"));
    let mut batch = vec![
        update,
        audit_sql(actor, "bundle.update", "bundle", &id.to_string(), Some(&audited(before)), Some(&audited(p)), now),
        Sql::new(format!("DELETE FROM bundle_products WHERE promotion_id = ? AND EXISTS (SELECT 1 FROM promotions WHERE id = ? AND {IS_BUNDLE})")).bind(id).bind(id),
    ];
    for (position, product) in products_of(p).iter().enumerate() {
        batch.push(
            Sql::new(format!("INSERT INTO bundle_products (promotion_id, product_id, position) SELECT id, ?, ? FROM promotions WHERE id = ? AND {IS_BUNDLE}"))
                .bind(*product)
                .bind(position as i64)
                .bind(id),
        );
    }
    batch
}

/// Removes a bundle that no order has used; one that orders used stays (their snapshots name it)
/// and is switched off instead. Each outcome has its audit row.
pub fn remove_batch(actor: &Actor, id: i64, before: &Promotion, now: i64) -> Vec<Sql> {
    let unused = "NOT EXISTS (SELECT 1 FROM promotion_redemptions r WHERE r.promotion_id = promotions.id)";
    vec![
        Sql::new(format!("UPDATE promotions SET status = 'disabled', updated_at = ? WHERE id = ? AND {IS_BUNDLE} AND status = 'active' AND NOT {unused}")).bind(now).bind(id),
        audit_sql(actor, "bundle.disable", "bundle", &id.to_string(), Some(&json!({"status": "active"})), Some(&json!({"status": "disabled"})), now),
        Sql::new(format!("DELETE FROM bundle_products WHERE promotion_id = ? AND EXISTS (SELECT 1 FROM promotions WHERE id = ? AND {IS_BUNDLE} AND {unused})")).bind(id).bind(id),
        Sql::new(format!("DELETE FROM promotions WHERE id = ? AND {IS_BUNDLE} AND {unused}")).bind(id),
        audit_sql(actor, "bundle.delete", "bundle", &id.to_string(), Some(&audited(before)), None, now),
    ]
}

/// One bundle by id (`None` in the rows when it is not a bundle).
pub fn bundle_sql(id: i64) -> Sql {
    Sql::new(format!("SELECT {COLUMNS} FROM promotions WHERE id = ? AND {IS_BUNDLE}")).bind(id)
}

/// Every bundle, newest first, and the names of their products.
pub fn list_batch() -> [Sql; 2] {
    [
        Sql::new(format!("SELECT {COLUMNS} FROM promotions WHERE {IS_BUNDLE} ORDER BY id DESC")),
        Sql::new(
            "SELECT bp.promotion_id, bp.position, p.id AS product_id, p.slug, p.name_vi, p.name_en FROM bundle_products bp \
             JOIN products p ON p.id = bp.product_id ORDER BY bp.promotion_id, bp.position",
        ),
    ]
}

/// A bundle's product as the admin list names it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BundleProductRow {
    pub promotion_id: i64,
    pub position: i64,
    pub product_id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
}

/// The products a manager can put in a bundle (on sale or not yet), by name.
pub fn product_choices_sql() -> Sql {
    Sql::new("SELECT id, slug, name_vi, name_en FROM products WHERE status != 'archived' ORDER BY name_vi, id")
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProductChoice {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
}

// ---------------------------------------------------------------------------------------------
// The product page's offers
// ---------------------------------------------------------------------------------------------

/// The switched-on bundles that include the product `slug`, and every item of them with its
/// sellable variants (two statements for the product page's batch). Which are live is decided when
/// the page renders (`Offer::live_at`), so the cached page flips at a start or end like any badge.
pub fn offers_batch(slug: &str) -> [Sql; 2] {
    let mine = format!(
        "SELECT bp.promotion_id FROM bundle_products bp JOIN products x ON x.id = bp.product_id WHERE x.slug = ? \
         AND bp.promotion_id IN (SELECT id FROM promotions WHERE automatic = 1 AND status = 'active' AND {IS_BUNDLE})"
    );
    [
        Sql::new(format!("SELECT {COLUMNS} FROM promotions WHERE id IN ({mine}) ORDER BY priority DESC, id")).bind(slug),
        Sql::new(format!(
            "SELECT bp.promotion_id, bp.position, p.id AS product_id, p.slug, p.name_vi, p.name_en, \
             (SELECT {thumb} FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image_url, \
             v.id AS variant_id, v.sku, v.size, v.color, c.name_vi AS color_vi, c.name_en AS color_en, v.price, \
             MAX(v.on_hand - v.reserved, 0) AS available \
             FROM bundle_products bp JOIN products p ON p.id = bp.product_id AND p.status = 'active' \
             JOIN variants v ON v.product_id = p.id AND v.status = 'active' LEFT JOIN colors c ON c.code = v.color \
             WHERE bp.promotion_id IN ({mine}) ORDER BY bp.promotion_id, bp.position, v.color, v.id",
            thumb = crate::app::catalog::THUMBNAIL_URL,
        ))
        .bind(slug),
    ]
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfferRow {
    pub promotion_id: i64,
    pub position: i64,
    pub product_id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub image_url: Option<String>,
    pub variant_id: i64,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub color_vi: Option<String>,
    pub color_en: Option<String>,
    pub price: Vnd,
    pub available: i64,
}

/// A bundle as the product page offers it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Offer {
    pub row: PromotionRow,
    pub items: Vec<OfferItem>,
}

/// One product of a bundle and the variants a shopper may pick.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfferItem {
    pub product_id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub image_url: Option<String>,
    pub variants: Vec<OfferRow>,
}

/// The offers from `offers_batch`'s rows: only bundles whose every product is on sale with a
/// variant to pick.
pub fn offers_from(bundles: Vec<PromotionRow>, rows: &[OfferRow]) -> Vec<Offer> {
    bundles
        .into_iter()
        .filter_map(|row| {
            let promotion = row.promotion()?;
            let products = promotion.benefit.bundle_products()?.to_vec();
            let mut items = Vec::new();
            for pid in products {
                let variants: Vec<OfferRow> = rows.iter().filter(|r| r.promotion_id == row.id && r.product_id == pid).cloned().collect();
                let first = variants.first()?.clone();
                items.push(OfferItem { product_id: pid, slug: first.slug, name_vi: first.name_vi, name_en: first.name_en, image_url: first.image_url, variants });
            }
            Some(Offer { row, items })
        })
        .collect()
}

impl Offer {
    pub fn live_at(&self, now: i64) -> bool {
        self.row.status.is_on() && self.row.live_at(now)
    }

    /// The variant shown first for each item: the first that can be bought, else the first.
    pub fn default_picks(&self) -> Vec<&OfferRow> {
        self.items.iter().filter_map(|i| i.variants.iter().find(|v| v.available > 0).or_else(|| i.variants.first())).collect()
    }

    /// What one set of these picks costs before and after the bundle, priced by the engine. Whether
    /// the bundle runs now is `live_at`'s question, so its dates are left out here.
    pub fn totals(&self, picks: &[&OfferRow]) -> (Vnd, Vnd) {
        let lines: Vec<Line> = picks
            .iter()
            .map(|v| Line { variant_id: v.variant_id, product_id: v.product_id, categories: Vec::new(), collections: Vec::new(), unit_price: v.price, quantity: 1, on_sale: false })
            .collect();
        let promotions: Vec<Promotion> = self
            .row
            .promotion()
            .map(|p| Promotion { active: true, conditions: crate::domain::promotions::Conditions { starts_at: None, ends_at: None, ..p.conditions.clone() }, ..p })
            .into_iter()
            .collect();
        let priced = price(&PricingInput { lines: &lines, shipping: Vnd::ZERO, promotions: &promotions, codes: &[], customer: &Customer::default(), now: 0 });
        (priced.subtotal, priced.subtotal.saturating_sub(priced.items_discount))
    }
}

// ---------------------------------------------------------------------------------------------
// Add all: the shopper's picks checked against the bundle
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct PickRow {
    id: i64,
    product_id: i64,
}

/// The variants to add for bundle `id`: one pick per product of the bundle, each a variant of that
/// product, in the bundle's order. A bundle that does not exist (or is not running now) is refused
/// before any stock is touched; whether each variant can be held is the cart's decision.
pub async fn selection(db: &impl Db, id: i64, picks: &[i64], now: i64) -> Result<(Promotion, Vec<i64>), AppError> {
    let mut variants = Sql::new(format!("SELECT id, product_id FROM variants WHERE id IN ({})", Sql::placeholders(picks.len().max(1))));
    if picks.is_empty() {
        variants.params.push(SqlValue::Null);
    }
    variants.params.extend(picks.iter().map(|v| SqlValue::from(*v)));
    let [bundle, variants] = expect_n::<2>(db.batch(&[bundle_sql(id), variants]).await?, "bundle selection")?;
    let row = bundle.decode::<PromotionRow>()?.into_iter().next().ok_or(AppError::NotFound)?;
    let promotion = row.promotion().ok_or(AppError::NotFound)?;
    if !(row.status.is_on() && row.live_at(now)) {
        return Err(AppError::Conflict(Refusal { code: "bundle_unavailable", message: "this bundle is not on offer now".into() }));
    }
    let found: Vec<PickRow> = variants.decode()?;
    let products = promotion.benefit.bundle_products().unwrap_or_default();
    let bad = || AppError::Invalid(vec![FieldError { field: "variant_ids", problem: Problem::BadValue }]);
    if picks.len() != products.len() {
        return Err(bad());
    }
    let mut chosen = Vec::with_capacity(products.len());
    for pid in products {
        let mut of_product = picks.iter().filter(|v| found.iter().any(|f| f.id == **v && f.product_id == *pid));
        match (of_product.next(), of_product.next()) {
            (Some(v), None) => chosen.push(*v),
            _ => return Err(bad()),
        }
    }
    Ok((promotion, chosen))
}

#[cfg(test)]
mod tests;
