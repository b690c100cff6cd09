//! What a cart shows: its lines joined with current variant data, prices from D1, and notices
//! when a hold could not cover what the shopper wanted.

use serde::{Deserialize, Serialize};

use super::sql::Sql;
use crate::domain::cart::Cart;

/// A variant as a cart line needs it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct LineVariant {
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub on_hand: i64,
    pub reserved: i64,
    pub status: String,
    pub product_status: String,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub color_vi: Option<String>,
    pub color_en: Option<String>,
    pub image_url: Option<String>,
}

impl LineVariant {
    pub fn is_buyable(&self) -> bool {
        self.status == "active" && self.product_status == "active"
    }

    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved).max(0)
    }
}

pub fn line_variants_sql(ids: &[i64]) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT v.id, v.product_id, v.sku, v.size, v.color, v.price, v.compare_at_price, v.on_hand, v.reserved, v.status, \
         p.status AS product_status, p.slug, p.name_vi, p.name_en, c.name_vi AS color_vi, c.name_en AS color_en, \
         COALESCE((SELECT i.url FROM product_images i WHERE i.product_id = p.id AND i.color = v.color ORDER BY i.position, i.id LIMIT 1), \
           (SELECT i.url FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1)) AS image_url \
         FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN colors c ON c.code = v.color \
         WHERE v.id IN ({})",
        Sql::placeholders(ids.len().max(1))
    ));
    if ids.is_empty() {
        sql.params.push(0i64.into());
    }
    sql.params.extend(ids.iter().map(|id| (*id).into()));
    sql
}

/// A change the shopper asked for that stock could not fully cover.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// Only `available` more could be held for this variant.
    InsufficientStock { variant_id: i64, requested: i64, available: i64 },
    /// A line's hold expired and could not be taken again in full; the line was reduced.
    Reduced { variant_id: i64, from: i64, to: i64 },
    /// The variant is no longer sold; the line was removed.
    Removed { variant_id: i64 },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CartLineView {
    /// The line's id in the API (`/items/{line_id}`): the variant id, one line per variant.
    pub line_id: String,
    pub variant_id: i64,
    pub sku: String,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color: String,
    pub color_vi: Option<String>,
    pub color_en: Option<String>,
    pub image_url: Option<String>,
    pub unit_price: i64,
    pub compare_at_price: Option<i64>,
    pub quantity: i64,
    pub held: i64,
    pub line_total: i64,
    /// This line's share of the cart's discounts (see `discounts`).
    #[serde(default)]
    pub discount: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CartView {
    pub id: String,
    pub lines: Vec<CartLineView>,
    pub item_count: i64,
    pub subtotal: i64,
    pub currency: String,
    /// Unix seconds when the holds run out without activity; `None` when nothing is held.
    pub hold_expires_at: Option<i64>,
    pub notices: Vec<Notice>,
    /// Entered codes, applied promotions and rejected codes (`app::promotions::decorate`).
    #[serde(default)]
    pub discounts: super::promotions::CartDiscounts,
}

pub fn view(cart_id: &str, cart: &Cart, variants: &[LineVariant], hold_seconds: i64, notices: Vec<Notice>) -> CartView {
    let lines: Vec<CartLineView> = cart
        .lines
        .iter()
        .filter_map(|line| {
            let v = variants.iter().find(|v| v.id == line.variant_id)?;
            Some(CartLineView {
                line_id: line.variant_id.to_string(),
                variant_id: v.id,
                sku: v.sku.clone(),
                slug: v.slug.clone(),
                name_vi: v.name_vi.clone(),
                name_en: v.name_en.clone(),
                size: v.size.clone(),
                color: v.color.clone(),
                color_vi: v.color_vi.clone(),
                color_en: v.color_en.clone(),
                image_url: v.image_url.clone(),
                unit_price: v.price,
                compare_at_price: v.compare_at_price.filter(|c| *c > v.price),
                quantity: line.quantity,
                held: line.held,
                line_total: v.price.saturating_mul(line.quantity),
                discount: 0,
            })
        })
        .collect();
    let subtotal = lines.iter().map(|l| l.line_total).fold(0i64, i64::saturating_add);
    CartView {
        id: cart_id.to_string(),
        item_count: lines.iter().map(|l| l.quantity).sum(),
        subtotal,
        currency: "VND".into(),
        hold_expires_at: cart.lines.iter().any(|l| l.held > 0).then(|| cart.hold_deadline(hold_seconds)),
        lines,
        notices,
        discounts: Default::default(),
    }
}
