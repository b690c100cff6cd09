//! Catalog types as the shop shows them, and the rules over them: product and variant statuses,
//! availability, stock levels, the size × colour variant matrix.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::locale::Locale;
use super::money::{Money, Vnd};

/// At or below this many units a variant shows "only N left".
pub const LOW_STOCK_THRESHOLD: i64 = 3;

/// A product's publication state, as `products.status` stores it: a draft is being prepared, an
/// active product is on sale, an archived one is kept for its orders but shown nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    /// In the order the admin panel lists them.
    pub const ALL: [ProductStatus; 3] = [ProductStatus::Draft, ProductStatus::Active, ProductStatus::Archived];

    pub fn code(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<ProductStatus> {
        ProductStatus::ALL.into_iter().find(|st| st.code() == s)
    }

    /// Whether shoppers see it and may buy it.
    pub fn is_on_sale(self) -> bool {
        self == ProductStatus::Active
    }

    /// Draft → active → archived, and back to draft from either; never straight from archived to
    /// active (an archived product is checked again as a draft before it is sold again).
    pub fn can_move_to(self, to: ProductStatus) -> bool {
        self == to || !(self == ProductStatus::Archived && to == ProductStatus::Active)
    }
}

impl fmt::Display for ProductStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether a variant is offered, as `variants.status` stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantStatus {
    Active,
    Inactive,
}

impl VariantStatus {
    pub const ALL: [VariantStatus; 2] = [VariantStatus::Active, VariantStatus::Inactive];

    pub fn code(self) -> &'static str {
        match self {
            VariantStatus::Active => "active",
            VariantStatus::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<VariantStatus> {
        VariantStatus::ALL.into_iter().find(|st| st.code() == s)
    }
}

impl fmt::Display for VariantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub path: String,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub image_path: Option<String>,
    pub sort_order: i64,
    pub featured: i64,
}

impl Category {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_vi, &self.name_en)
    }

    pub fn description(&self, locale: Locale) -> &str {
        locale.pick(&self.description_vi, &self.description_en)
    }

    /// Categories from the root down to this one, by following `parent_id` through `all`.
    pub fn ancestry<'a>(&'a self, all: &'a [Category]) -> Vec<&'a Category> {
        let mut chain = vec![self];
        let mut current = self;
        // The depth bound guards against a cycle that a bad admin edit could make.
        for _ in 0..8 {
            let Some(parent) = current.parent_id.and_then(|id| all.iter().find(|c| c.id == id)) else { break };
            chain.push(parent);
            current = parent;
        }
        chain.reverse();
        chain
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Color {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub hex: String,
}

impl Color {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_vi, &self.name_en)
    }
}

/// A product as a card in a listing: its cheapest matching variant and total availability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub available: i64,
    pub image_url: Option<String>,
    pub image_alt_vi: Option<String>,
    pub image_alt_en: Option<String>,
    /// The image's width in pixels and its smaller copies packed as `width url,…`
    /// (`domain::image_size::unpack`); empty when it has none.
    #[serde(default)]
    pub image_width: i64,
    #[serde(default)]
    pub image_sizes: String,
    pub created_at: String,
    /// The SKU of the variant the card shows, when the listing was filtered by size or colour: the
    /// link opens the product on it, so the filter is not lost on the way.
    #[serde(default)]
    pub variant: Option<String>,
    /// Its published reviews in short (stars and count on the card), when it has any.
    #[serde(default)]
    pub rating: Option<super::reviews::CardRating>,
}

impl ProductCard {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_vi, &self.name_en)
    }

    pub fn price(&self) -> Money {
        self.price.money()
    }

    pub fn compare_at(&self) -> Option<Money> {
        self.compare_at_price.filter(|c| *c > self.price).map(Vnd::money)
    }

    pub fn stock(&self) -> StockLevel {
        StockLevel::of(self.available)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub category_id: i64,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub material_vi: String,
    pub material_en: String,
    pub care_vi: String,
    pub care_en: String,
    pub brand: String,
    pub status: ProductStatus,
    pub seo_title_vi: String,
    pub seo_title_en: String,
    pub seo_description_vi: String,
    pub seo_description_en: String,
    pub sold_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Product {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_vi, &self.name_en)
    }

    pub fn description(&self, locale: Locale) -> &str {
        locale.pick(&self.description_vi, &self.description_en)
    }

    pub fn seo_title(&self, locale: Locale) -> &str {
        let title = locale.pick(&self.seo_title_vi, &self.seo_title_en);
        if title.is_empty() {
            self.name(locale)
        } else {
            title
        }
    }

    pub fn seo_description(&self, locale: Locale) -> &str {
        let text = locale.pick(&self.seo_description_vi, &self.seo_description_en);
        if text.is_empty() {
            self.description(locale)
        } else {
            text
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub id: i64,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub on_hand: i64,
    pub reserved: i64,
    pub status: VariantStatus,
}

impl Variant {
    /// Units a shopper can still buy: never negative, even if a row were inconsistent.
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved).max(0)
    }

    pub fn is_active(&self) -> bool {
        self.status == VariantStatus::Active
    }

    pub fn stock(&self) -> StockLevel {
        if self.is_active() {
            StockLevel::of(self.available())
        } else {
            StockLevel::OutOfStock
        }
    }

    pub fn price(&self) -> Money {
        self.price.money()
    }

    pub fn compare_at(&self) -> Option<Money> {
        self.compare_at_price.filter(|c| *c > self.price).map(Vnd::money)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductImage {
    pub url: String,
    pub alt_vi: String,
    pub alt_en: String,
    pub color: Option<String>,
    pub width: i64,
    pub height: i64,
    /// Its smaller copies packed as `width url,…` (`domain::image_size::unpack`), and its 1200×630
    /// social crop, when it is an uploaded photo that has them.
    #[serde(default)]
    pub sizes: String,
    #[serde(default)]
    pub social: Option<String>,
}

impl ProductImage {
    pub fn alt(&self, locale: Locale) -> &str {
        locale.pick(&self.alt_vi, &self.alt_en)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockLevel {
    OutOfStock,
    Low(i64),
    InStock,
}

impl StockLevel {
    pub fn of(available: i64) -> StockLevel {
        match available {
            n if n <= 0 => StockLevel::OutOfStock,
            n if n <= LOW_STOCK_THRESHOLD => StockLevel::Low(n),
            _ => StockLevel::InStock,
        }
    }

    pub fn can_buy(self) -> bool {
        self != StockLevel::OutOfStock
    }
}

/// The variants of one product as a size × colour grid, with the one the shopper has chosen.
#[derive(Clone, Debug)]
pub struct VariantMatrix<'a> {
    pub variants: &'a [Variant],
    /// Sizes in display order (as the variants were given, which the query orders by size).
    pub sizes: Vec<&'a str>,
    pub colors: Vec<&'a str>,
    pub selected: Option<&'a Variant>,
}

impl<'a> VariantMatrix<'a> {
    /// Chooses by SKU first, else by colour and size; an unmatched choice falls back to the first
    /// variant that can be bought in the chosen colour, then in any colour.
    pub fn new(variants: &'a [Variant], sku: Option<&str>, color: Option<&str>, size: Option<&str>) -> Self {
        let mut sizes: Vec<&str> = Vec::new();
        let mut colors: Vec<&str> = Vec::new();
        for v in variants.iter().filter(|v| v.is_active()) {
            if !sizes.contains(&v.size.as_str()) {
                sizes.push(&v.size);
            }
            if !colors.contains(&v.color.as_str()) {
                colors.push(&v.color);
            }
        }
        let active = || variants.iter().filter(|v| v.is_active());
        let by_sku = sku.and_then(|s| active().find(|v| v.sku == s));
        let by_options = || match (color, size) {
            (Some(c), Some(s)) => active().find(|v| v.color == c && v.size == s),
            _ => None,
        };
        let first_buyable = || {
            let in_color = |v: &&Variant| color.is_none_or(|c| v.color == c);
            active()
                .filter(in_color)
                .find(|v| v.stock().can_buy())
                .or_else(|| active().filter(in_color).next())
                .or_else(|| active().find(|v| v.stock().can_buy()))
                .or_else(|| active().next())
        };
        let selected = by_sku.or_else(by_options).or_else(first_buyable);
        VariantMatrix { variants, sizes, colors, selected }
    }

    pub fn find(&self, color: &str, size: &str) -> Option<&'a Variant> {
        self.variants.iter().find(|v| v.is_active() && v.color == color && v.size == size)
    }

    /// Cheapest and dearest active price, for "from 450.000 ₫" and JSON-LD offers.
    pub fn price_range(&self) -> Option<(Money, Money)> {
        let prices = self.variants.iter().filter(|v| v.is_active()).map(|v| v.price);
        let min = prices.clone().min()?;
        let max = prices.max()?;
        Some((min.money(), max.money()))
    }

    pub fn total_available(&self) -> i64 {
        self.variants.iter().filter(|v| v.is_active()).map(Variant::available).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(id: i64, size: &str, color: &str, on_hand: i64, reserved: i64) -> Variant {
        Variant {
            id,
            sku: format!("SKU-{id}"),
            size: size.into(),
            color: color.into(),
            price: Vnd::new(500_000 + id * 1000),
            compare_at_price: None,
            on_hand,
            reserved,
            status: VariantStatus::Active,
        }
    }

    #[test]
    fn stock_levels_follow_the_threshold() {
        assert_eq!(StockLevel::of(-2), StockLevel::OutOfStock);
        assert_eq!(StockLevel::of(0), StockLevel::OutOfStock);
        assert_eq!(StockLevel::of(1), StockLevel::Low(1));
        assert_eq!(StockLevel::of(3), StockLevel::Low(3));
        assert_eq!(StockLevel::of(4), StockLevel::InStock);
    }

    #[test]
    fn reserved_units_are_not_available() {
        assert_eq!(variant(1, "M", "black", 5, 3).available(), 2);
        assert_eq!(variant(1, "M", "black", 5, 9).available(), 0);
    }

    #[test]
    fn the_matrix_selects_by_sku_then_options_then_first_buyable() {
        let vs = vec![
            variant(1, "S", "black", 0, 0),
            variant(2, "M", "black", 4, 0),
            variant(3, "S", "navy", 2, 0),
            variant(4, "M", "navy", 0, 0),
        ];
        let m = VariantMatrix::new(&vs, Some("SKU-3"), None, None);
        assert_eq!(m.selected.map(|v| v.id), Some(3));
        let m = VariantMatrix::new(&vs, None, Some("navy"), Some("M"));
        assert_eq!(m.selected.map(|v| v.id), Some(4), "an explicit out-of-stock choice is still shown");
        let m = VariantMatrix::new(&vs, Some("nope"), Some("black"), None);
        assert_eq!(m.selected.map(|v| v.id), Some(2), "first buyable in the chosen colour");
        let m = VariantMatrix::new(&vs, None, None, None);
        assert_eq!(m.selected.map(|v| v.id), Some(2));
        assert_eq!(m.sizes, ["S", "M"]);
        assert_eq!(m.colors, ["black", "navy"]);
        assert_eq!(m.price_range(), Some((Money::vnd(501_000), Money::vnd(504_000))));
        assert_eq!(m.total_available(), 6);
    }

    #[test]
    fn inactive_variants_are_never_selected() {
        let mut vs = vec![variant(1, "S", "black", 5, 0), variant(2, "M", "black", 5, 0)];
        vs[0].status = VariantStatus::Inactive;
        let m = VariantMatrix::new(&vs, Some("SKU-1"), None, None);
        assert_eq!(m.selected.map(|v| v.id), Some(2));
        assert_eq!(m.sizes, ["M"]);
    }

    #[test]
    fn statuses_read_and_write_the_stored_text() {
        for s in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
            assert_eq!(serde_json::from_value::<ProductStatus>(serde_json::json!(s.code())).unwrap(), s);
        }
        for s in VariantStatus::ALL {
            assert_eq!(VariantStatus::parse(s.code()), Some(s));
            assert_eq!(serde_json::from_value::<VariantStatus>(serde_json::json!(s.code())).unwrap(), s);
        }
        assert_eq!(ProductStatus::ALL.map(ProductStatus::code), ["draft", "active", "archived"], "as the CHECK constraint has them");
        assert_eq!(VariantStatus::ALL.map(VariantStatus::code), ["active", "inactive"]);
        assert_eq!(ProductStatus::parse("live"), None);
        assert_eq!(VariantStatus::parse("Active"), None);
    }

    #[test]
    fn an_archived_product_goes_back_to_draft_before_it_is_sold_again() {
        use ProductStatus::*;
        assert!(Draft.can_move_to(Active) && Active.can_move_to(Archived) && Archived.can_move_to(Draft) && Active.can_move_to(Draft));
        assert!(Archived.can_move_to(Archived));
        assert!(!Archived.can_move_to(Active));
    }

    #[test]
    fn ancestry_runs_from_the_root() {
        let cat = |id, parent, slug: &str| Category {
            id,
            parent_id: parent,
            slug: slug.into(),
            path: String::new(),
            name_vi: slug.into(),
            name_en: slug.into(),
            description_vi: String::new(),
            description_en: String::new(),
            image_path: None,
            sort_order: 0,
            featured: 0,
        };
        let all = vec![cat(1, None, "outdoor"), cat(2, Some(1), "puffer")];
        let chain: Vec<&str> = all[1].ancestry(&all).iter().map(|c| c.slug.as_str()).collect();
        assert_eq!(chain, ["outdoor", "puffer"]);
    }
}
