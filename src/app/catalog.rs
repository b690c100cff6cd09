//! Catalog reads: the storage port the pages use, and the SQL for listings, facets and search.
//!
//! A listing is products of a scope (a category subtree, a search, or the whole shop) filtered at the
//! variant level: a product matches when one of its active variants matches every variant filter, and
//! its card shows the cheapest matching variant. Facet counts leave out their own filter, so a shopper
//! sees what each other choice would give.

use serde::{Deserialize, Serialize};

use super::db::{expect_n, Db, DbError};
use super::sql::{Sql, SqlValue};
use crate::domain::catalog::{Category, Product, ProductCard, ProductImage, Variant};
use crate::domain::listing::{ListingQuery, Sort};
use crate::domain::money::Vnd;

/// What a listing draws from before filters apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scope {
    /// Materialised path of a category (`/outdoor/`): the category and everything under it.
    pub category_path: Option<String>,
    /// An FTS5 match expression (from `SearchQuery`).
    pub fts_match: Option<String>,
    /// And one for the accent-keeping index (the words typed with their marks).
    pub exact_match: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leave {
    Nothing,
    Sizes,
    Colors,
    Price,
}

/// BM25 weights per FTS column (name, tags, body, variants): a word in the name counts most.
/// Most search matches a listing considers (far more than a shopper pages through).
const MAX_MATCHES: u32 = 1000;
const BM25: &str = "bm25(product_fts, 10.0, 4.0, 1.0, 5.0)";

fn from_where(scope: &Scope, q: &ListingQuery, leave: Leave) -> Sql {
    let mut sql = Sql::new(
        " FROM products p \
          JOIN categories c ON c.id = p.category_id \
          JOIN variants v ON v.product_id = p.id AND v.status = 'active'",
    );
    if let Some(m) = &scope.fts_match {
        sql.push(
            // The LIMIT keeps SQLite from flattening the subquery into the grouped outer query, where
            // bm25() cannot run; it also caps work on a very broad prefix query.
            &format!(" JOIN (SELECT rowid AS pid, {BM25} AS rank FROM product_fts WHERE product_fts MATCH ? ORDER BY rank LIMIT {MAX_MATCHES}) s ON s.pid = p.id"),
            [SqlValue::from(m.as_str())],
        );
    }
    sql.push(" WHERE p.status = 'active'", []);
    if let Some(m) = &scope.exact_match {
        sql.push(" AND p.id IN (SELECT rowid FROM product_fts_marked WHERE product_fts_marked MATCH ?)", [SqlValue::from(m.as_str())]);
    }
    if let Some(path) = &scope.category_path {
        sql.push(" AND c.path LIKE ? || '%'", [SqlValue::from(path.as_str())]);
    }
    if leave != Leave::Sizes && !q.sizes.is_empty() {
        sql.push(
            &format!(" AND v.size IN ({})", Sql::placeholders(q.sizes.len())),
            q.sizes.iter().map(|s| SqlValue::from(s.as_str())),
        );
    }
    if leave != Leave::Colors && !q.colors.is_empty() {
        sql.push(
            &format!(" AND v.color IN ({})", Sql::placeholders(q.colors.len())),
            q.colors.iter().map(|s| SqlValue::from(s.as_str())),
        );
    }
    if leave != Leave::Price {
        if let Some(min) = q.min_price {
            sql.push(" AND v.price >= ?", [SqlValue::from(min)]);
        }
        if let Some(max) = q.max_price {
            sql.push(" AND v.price <= ?", [SqlValue::from(max)]);
        }
    }
    if q.in_stock {
        sql.push(" AND v.on_hand - v.reserved > 0", []);
    }
    sql
}

/// A product card's columns over `products p` joined with its active `variants v` (grouped by
/// product): the cheapest variant's price and its compare-at price, total availability, and the first
/// image packed as `url␟alt_vi␟alt_en␟width␟sizes` (its smaller copies as `width url,…`).
pub(crate) const CARD_COLUMNS: &str = "SELECT p.id, p.slug, p.name_vi, p.name_en, MIN(v.price) AS price, v.compare_at_price, \
    SUM(MAX(v.on_hand - v.reserved, 0)) AS available, p.created_at, \
    (SELECT i.url || char(31) || i.alt_vi || char(31) || i.alt_en || char(31) || i.width || char(31) || \
      COALESCE((SELECT group_concat(s.width || ' ' || s.url, ',') FROM media_sizes s WHERE s.original = i.url AND s.social = 0), '') \
      FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image, \
    (SELECT r.count || char(31) || r.total FROM product_ratings r WHERE r.product_id = p.id AND r.count > 0) AS rating";

/// The column of a thumbnail a few dozen pixels wide: the smallest stored copy of the product image
/// `i.url` (`media_sizes`), else the image itself. Used where a row carries one image URL and no
/// `srcset` (cart and order lines, wishlist rows, bundle items, the admin's product list), so an
/// uploaded photo does not reach them at full size.
macro_rules! thumbnail_url {
    () => {
        "COALESCE((SELECT s.url FROM media_sizes s WHERE s.original = i.url AND s.social = 0 ORDER BY s.width LIMIT 1), i.url)"
    };
}
pub(crate) use thumbnail_url;
pub(crate) const THUMBNAIL_URL: &str = thumbnail_url!();

/// The page of product cards.
pub fn listing_sql(scope: &Scope, q: &ListingQuery) -> Sql {
    // With MIN() in the select list SQLite takes bare columns (compare_at_price) from the row holding
    // the minimum, so the card's compare-at price belongs to its cheapest variant.
    let mut sql = Sql::new(
        "SELECT p.id, p.slug, p.name_vi, p.name_en, MIN(v.price) AS price, v.compare_at_price, v.sku AS variant_sku, \
         SUM(MAX(v.on_hand - v.reserved, 0)) AS available, p.created_at, \
         (SELECT i.url || char(31) || i.alt_vi || char(31) || i.alt_en || char(31) || i.width || char(31) || \
           COALESCE((SELECT group_concat(s.width || ' ' || s.url, ',') FROM media_sizes s WHERE s.original = i.url AND s.social = 0), '') \
           FROM product_images i WHERE i.product_id = p.id ORDER BY ",
    );
    // Show the colour the shopper filtered on, when there is one.
    match q.colors.first() {
        Some(color) => sql.push("(i.color = ?) DESC, ", [SqlValue::from(color.as_str())]),
        None => {}
    }
    sql.push("i.position, i.id LIMIT 1) AS image", []);
    // The published reviews' count and sum of ratings (stars on the card).
    sql.push(", (SELECT r.count || char(31) || r.total FROM product_ratings r WHERE r.product_id = p.id AND r.count > 0) AS rating", []);
    let body = from_where(scope, q, Leave::Nothing);
    sql.push(&body.text, body.params);
    let order = match q.effective_sort() {
        Sort::Relevance => "MIN(s.rank), p.sold_count DESC, p.id",
        Sort::Newest => "p.created_at DESC, p.id DESC",
        Sort::PriceAsc => "price ASC, p.id",
        Sort::PriceDesc => "price DESC, p.id",
        Sort::BestSelling => "p.sold_count DESC, p.id",
    };
    // Relevance without a search scope has no rank column; effective_sort never yields it then, but
    // guard anyway so a caller can never produce SQL that fails.
    let order = if scope.fts_match.is_none() && order.starts_with("MIN(s.rank)") { "p.created_at DESC, p.id DESC" } else { order };
    sql.push(
        &format!(" GROUP BY p.id ORDER BY {order} LIMIT ? OFFSET ?"),
        [SqlValue::Int(i64::from(q.per_page)), SqlValue::Int(i64::from(q.offset()))],
    );
    sql
}

pub fn count_sql(scope: &Scope, q: &ListingQuery) -> Sql {
    let mut sql = Sql::new("SELECT COUNT(DISTINCT p.id) AS total");
    let body = from_where(scope, q, Leave::Nothing);
    sql.push(&body.text, body.params);
    sql
}

pub fn size_facet_sql(scope: &Scope, q: &ListingQuery) -> Sql {
    let mut sql = Sql::new("SELECT v.size AS value, COUNT(DISTINCT p.id) AS count");
    let body = from_where(scope, q, Leave::Sizes);
    sql.push(&body.text, body.params);
    sql.push(" GROUP BY v.size ORDER BY (SELECT sort_order FROM sizes WHERE code = v.size), v.size", []);
    sql
}

pub fn color_facet_sql(scope: &Scope, q: &ListingQuery) -> Sql {
    let mut sql = Sql::new("SELECT v.color AS value, COUNT(DISTINCT p.id) AS count");
    let body = from_where(scope, q, Leave::Colors);
    sql.push(&body.text, body.params);
    sql.push(" GROUP BY v.color ORDER BY (SELECT sort_order FROM colors WHERE code = v.color), v.color", []);
    sql
}

pub fn price_range_sql(scope: &Scope, q: &ListingQuery) -> Sql {
    let mut sql = Sql::new("SELECT MIN(v.price) AS min, MAX(v.price) AS max");
    let body = from_where(scope, q, Leave::Price);
    sql.push(&body.text, body.params);
    sql
}

/// The five statements of one listing, in the order `Listing::from_results` expects.
pub fn listing_batch(scope: &Scope, q: &ListingQuery) -> [Sql; 5] {
    [
        listing_sql(scope, q),
        count_sql(scope, q),
        size_facet_sql(scope, q),
        color_facet_sql(scope, q),
        price_range_sql(scope, q),
    ]
}

/// A card row as the listing query returns it (the image packed as `url␟alt_vi␟alt_en`).
#[derive(Clone, Debug, Deserialize)]
pub struct CardRow {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub available: i64,
    pub created_at: String,
    pub image: Option<String>,
    /// The card's variant (a listing's cheapest matching one), when the query names it.
    #[serde(default)]
    pub variant_sku: Option<String>,
    /// `count␟sum` of the product's published reviews, when it has any.
    #[serde(default)]
    pub rating: Option<String>,
}

impl From<CardRow> for ProductCard {
    fn from(row: CardRow) -> Self {
        let mut parts = row.image.as_deref().unwrap_or("").splitn(5, '\u{1f}').map(str::to_string);
        let image_url = parts.next().filter(|u| !u.is_empty());
        let image_alt_vi = parts.next();
        let image_alt_en = parts.next();
        let image_width = parts.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let image_sizes = parts.next().unwrap_or_default();
        ProductCard {
            id: row.id,
            slug: row.slug,
            name_vi: row.name_vi,
            name_en: row.name_en,
            price: row.price,
            compare_at_price: row.compare_at_price,
            available: row.available,
            image_url,
            image_alt_vi,
            image_alt_en,
            image_width,
            image_sizes,
            created_at: row.created_at,
            variant: None,
            rating: row.rating.as_deref().and_then(crate::domain::reviews::CardRating::unpack),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

#[derive(Clone, Debug, Deserialize, Default, PartialEq, Eq)]
pub struct PriceRange {
    pub min: Option<Vnd>,
    pub max: Option<Vnd>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CountRow {
    pub total: i64,
}

/// One page of a listing with its facets.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub cards: Vec<ProductCard>,
    pub total: u64,
    pub sizes: Vec<FacetCount>,
    pub colors: Vec<FacetCount>,
    pub price_range: PriceRange,
}

/// Everything a product page shows.
#[derive(Clone, Debug)]
pub struct ProductPage {
    pub product: Product,
    pub variants: Vec<Variant>,
    pub images: Vec<ProductImage>,
    pub tags: Vec<String>,
    /// Each tag's English name (the tag itself where `tag_translations` has none), in `tags`' order.
    pub tags_en: Vec<String>,
    /// "You may also like": the product's similar list (`app::recs`), or before any pass has run,
    /// best sellers of its category.
    pub related: Vec<ProductCard>,
    /// "Frequently bought together" (`app::recs`); empty before any pass has run.
    pub bought_together: Vec<ProductCard>,
    /// Ids of the collections the product is in (promotions can target collections).
    pub collections: Vec<i64>,
    /// The same product on Shopee / TikTok Shop, as the admin set it (`app::sharing`).
    pub marketplace_links: Vec<super::sharing::MarketplaceLink>,
    /// The switched-on bundles the product is in (`app::bundles`); the page shows the live ones.
    pub bundles: Vec<super::bundles::Offer>,
}

pub fn product_by_slug_sql(slug: &str) -> Sql {
    Sql::new(
        "SELECT id, slug, category_id, name_vi, name_en, description_vi, description_en, material_vi, material_en, \
         care_vi, care_en, brand, status, seo_title_vi, seo_title_en, seo_description_vi, seo_description_en, \
         sold_count, created_at, updated_at FROM products WHERE slug = ? AND status = 'active'",
    )
    .bind(slug)
}

pub fn variants_sql(slug: &str) -> Sql {
    Sql::new(
        "SELECT v.id, v.sku, v.size, v.color, v.price, v.compare_at_price, v.on_hand, v.reserved, v.status \
         FROM variants v JOIN products p ON p.id = v.product_id \
         LEFT JOIN sizes sz ON sz.code = v.size LEFT JOIN colors co ON co.code = v.color \
         WHERE p.slug = ? AND p.status = 'active' \
         ORDER BY co.sort_order, sz.sort_order, v.position, v.id",
    )
    .bind(slug)
}

pub fn images_sql(slug: &str) -> Sql {
    Sql::new(
        "SELECT i.url, i.alt_vi, i.alt_en, i.color, i.width, i.height, \
         COALESCE((SELECT group_concat(s.width || ' ' || s.url, ',') FROM media_sizes s WHERE s.original = i.url AND s.social = 0), '') AS sizes, \
         (SELECT s.url FROM media_sizes s WHERE s.original = i.url AND s.social = 1) AS social \
         FROM product_images i \
         JOIN products p ON p.id = i.product_id WHERE p.slug = ? AND p.status = 'active' \
         ORDER BY i.position, i.id",
    )
    .bind(slug)
}

pub fn tags_sql(slug: &str) -> Sql {
    Sql::new(
        "SELECT t.tag, coalesce(tt.name_en, t.tag) AS name_en FROM product_tags t JOIN products p ON p.id = t.product_id
         LEFT JOIN tag_translations tt ON tt.tag = t.tag WHERE p.slug = ? ORDER BY t.tag",
    )
        .bind(slug)
}

pub fn product_collections_sql(slug: &str) -> Sql {
    Sql::new("SELECT cp.collection_id AS id FROM collection_products cp JOIN products p ON p.id = cp.product_id WHERE p.slug = ?").bind(slug)
}

#[derive(Deserialize)]
pub struct IdRow {
    pub id: i64,
}

/// Up to `limit` other active products of the same category, best sellers first, then of the shop.
pub fn related_sql(slug: &str, limit: i64) -> Sql {
    Sql::new(format!(
        "{CARD_COLUMNS} \
         FROM products p JOIN variants v ON v.product_id = p.id AND v.status = 'active' \
         JOIN products me ON me.slug = ? \
         WHERE p.status = 'active' AND p.id <> me.id \
         GROUP BY p.id \
         ORDER BY (p.category_id = me.category_id) DESC, p.sold_count DESC, p.id LIMIT ?"
    ))
    .bind(slug)
    .bind(limit)
}

/// Cards of a collection, in its order.
pub fn collection_sql(collection_slug: &str, limit: i64) -> Sql {
    Sql::new(format!(
        "{CARD_COLUMNS} \
         FROM collections col JOIN collection_products cp ON cp.collection_id = col.id \
         JOIN products p ON p.id = cp.product_id AND p.status = 'active' \
         JOIN variants v ON v.product_id = p.id AND v.status = 'active' \
         WHERE col.slug = ? GROUP BY p.id ORDER BY MIN(cp.position), p.id LIMIT ?"
    ))
    .bind(collection_slug)
    .bind(limit)
}

pub fn categories_sql() -> Sql {
    Sql::new(
        "SELECT id, parent_id, slug, path, name_vi, name_en, description_vi, description_en, image_path, sort_order, \
         featured FROM categories ORDER BY sort_order, id",
    )
}

pub fn colors_sql() -> Sql {
    Sql::new("SELECT code, name_vi, name_en, hex FROM colors ORDER BY sort_order, code")
}

/// Every active product and when it last changed, for the sitemap.
pub fn sitemap_products_sql() -> Sql {
    Sql::new("SELECT slug, updated_at FROM products WHERE status = 'active' ORDER BY id")
}

#[derive(Clone, Debug, Deserialize)]
pub struct SitemapRow {
    pub slug: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TagRow {
    pub tag: String,
    pub name_en: String,
}

/// One page of a listing in the scope, with its facets: one batch.
pub async fn listing(db: &impl Db, scope: &Scope, q: &ListingQuery) -> Result<Listing, DbError> {
    let [cards, count, sizes, colors, range] = expect_n(db.batch(&listing_batch(scope, q)).await?, "listing batch")?;
    let cards: Vec<CardRow> = cards.decode()?;
    let total = count.decode::<CountRow>()?.first().map_or(0, |r| r.total);
    // A size or colour filter chose the card's variant: its link keeps that choice.
    let chosen = !q.sizes.is_empty() || !q.colors.is_empty();
    Ok(Listing {
        cards: cards.into_iter().map(|row| ProductCard { variant: row.variant_sku.clone().filter(|_| chosen), ..ProductCard::from(row) }).collect(),
        total: u64::try_from(total).unwrap_or(0),
        sizes: sizes.decode::<FacetCount>()?,
        colors: colors.decode::<FacetCount>()?,
        price_range: range.decode::<PriceRange>()?.into_iter().next().unwrap_or_default(),
    })
}

/// Storage port for catalog reads; the Worker implements it over D1.
#[expect(async_fn_in_trait, reason = "the Worker runs one request per task on one thread: futures need not be Send")]
pub trait CatalogStore {
    type Error;
    async fn categories(&self) -> Result<Vec<Category>, Self::Error>;
    async fn listing(&self, scope: &Scope, q: &ListingQuery) -> Result<Listing, Self::Error>;
    /// Several collections' cards, in the order asked: `(collection slug, at most this many)`.
    async fn collections(&self, wanted: &[(&str, i64)]) -> Result<Vec<Vec<ProductCard>>, Self::Error>;
    async fn product(&self, slug: &str) -> Result<Option<ProductPage>, Self::Error>;
    async fn sitemap_products(&self) -> Result<Vec<SitemapRow>, Self::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::listing::parse_query;

    fn query(s: &str) -> ListingQuery {
        let pairs = parse_query(s);
        ListingQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap()
    }

    #[test]
    fn every_statement_binds_exactly_its_placeholders() {
        let scopes = [
            Scope::default(),
            Scope { category_path: Some("/outdoor/".into()), fts_match: None, exact_match: None },
            Scope { category_path: Some("/outdoor/".into()), fts_match: Some("\"gile\"*".into()), exact_match: Some("\"gilê\"".into()) },
        ];
        let queries = ["", "size=M&size=L&color=navy&min_price=1&max_price=9&in_stock=1&sort=price_desc&page=3", "color=black"];
        for scope in &scopes {
            for q in queries {
                for sql in listing_batch(scope, &query(q)) {
                    assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
                }
            }
        }
        for sql in [product_by_slug_sql("a"), variants_sql("a"), images_sql("a"), related_sql("a", 4), collection_sql("a", 8)] {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
    }

    #[test]
    fn a_facet_leaves_out_its_own_filter_but_keeps_the_others() {
        let q = query("size=M&color=navy&min_price=100");
        let sizes = size_facet_sql(&Scope::default(), &q);
        assert!(!sizes.text.contains("v.size IN"));
        assert!(sizes.text.contains("v.color IN"));
        let colors = color_facet_sql(&Scope::default(), &q);
        assert!(colors.text.contains("v.size IN") && !colors.text.contains("v.color IN"));
        let prices = price_range_sql(&Scope::default(), &q);
        assert!(!prices.text.contains("v.price >="));
    }

    #[test]
    fn relevance_needs_a_search_and_falls_back_to_newest() {
        let q = query("sort=relevance");
        assert!(listing_sql(&Scope::default(), &q).text.contains("ORDER BY p.created_at DESC"));
        let search = Scope { fts_match: Some("\"x\"*".into()), ..Scope::default() };
        let mut q = query("");
        q.q = Some("x".into());
        assert!(listing_sql(&search, &q).text.contains("ORDER BY MIN(s.rank)"));
    }

    #[test]
    fn a_filtered_listing_links_each_card_to_the_variant_it_shows() {
        use crate::app::testing::{block_on, Sqlite};
        let db = Sqlite::demo();
        let color: String = db.text("SELECT color FROM variants WHERE status = 'active' GROUP BY color ORDER BY COUNT(*) DESC LIMIT 1");
        let filtered = block_on(listing(&db, &Scope::default(), &query(&format!("color={color}&size=M")))).unwrap();
        assert!(!filtered.cards.is_empty());
        for card in &filtered.cards {
            let sku = card.variant.as_deref().expect("a filtered card names its variant");
            let of = |col: &str| format!("SELECT v.{col} FROM variants v JOIN products p ON p.id = v.product_id WHERE v.sku = '{sku}' AND p.slug = '{}'", card.slug);
            assert_eq!((db.text(&of("color")), db.text(&of("size"))), (color.clone(), "M".to_string()), "{sku}");
            assert_eq!(db.int(&of("price")), card.price.minor(), "the variant whose price the card shows");
        }
        let plain = block_on(listing(&db, &Scope::default(), &query(""))).unwrap();
        assert!(plain.cards.iter().all(|c| c.variant.is_none()), "without a filter the link is the product's");
    }

    #[test]
    fn card_rows_unpack_their_image() {
        let row = CardRow {
            id: 1,
            slug: "a".into(),
            name_vi: "A".into(),
            name_en: "A".into(),
            price: Vnd::new(1),
            compare_at_price: None,
            available: 0,
            created_at: String::new(),
            image: Some("/img/a.svg\u{1f}Áo\u{1f}Vest".into()),
            variant_sku: Some("A-1".into()),
            rating: Some("2\u{1f}9".into()),
        };
        let card = ProductCard::from(row.clone());
        assert_eq!(card.image_url.as_deref(), Some("/img/a.svg"));
        assert_eq!(card.rating, Some(crate::domain::reviews::CardRating { count: 2, average_tenths: 45 }));
        assert_eq!(card.image_alt_en.as_deref(), Some("Vest"));
        let card = ProductCard::from(CardRow { image: None, ..row });
        assert_eq!(card.image_url, None);
    }

    #[test]
    fn cards_and_the_gallery_carry_an_uploaded_photos_smaller_copies() {
        use crate::app::testing::{block_on, Sqlite};
        let db = Sqlite::demo();
        let slug = db.text("SELECT slug FROM products WHERE id = 1");
        let photo = format!("/media/{}.jpg", "b".repeat(64));
        db.exec(&format!("INSERT INTO product_images (product_id, url, width, height, position) VALUES (1, '{photo}', 4000, 3000, -1)"));
        db.exec(&format!(
            "INSERT INTO media_sizes VALUES ('{photo}', 0, 320, 240, '/media/s.webp', 9), ('{photo}', 0, 640, 480, '/media/m.webp', 9), ('{photo}', 1, 1200, 630, '/media/c.jpg', 9)"
        ));
        let listing = block_on(listing(&db, &Scope::default(), &query("sort=newest&per_page=60"))).unwrap();
        let card = listing.cards.iter().find(|c| c.id == 1).expect("the product's card");
        assert_eq!((card.image_url.as_deref(), card.image_width), (Some(photo.as_str()), 4000));
        assert_eq!(crate::domain::image_size::unpack(&card.image_sizes).len(), 2, "{}", card.image_sizes);
        let related: Vec<CardRow> = block_on(db.all(&related_sql(&db.text("SELECT slug FROM products WHERE id = 2"), 100))).unwrap();
        let card = ProductCard::from(related.into_iter().find(|c| c.id == 1).expect("a related card"));
        assert_eq!(crate::domain::image_size::unpack(&card.image_sizes).len(), 2, "{}", card.image_sizes);
        let images: Vec<ProductImage> = block_on(db.all(&images_sql(&slug))).unwrap();
        assert_eq!(images[0].url, photo);
        assert_eq!((images[0].social.as_deref(), images[0].sizes.matches("webp").count()), (Some("/media/c.jpg"), 2));
        assert!(images[1..].iter().all(|i| i.sizes.is_empty() && i.social.is_none()), "the demo's drawings have none");
    }

    #[test]
    fn thumbnails_without_a_srcset_take_an_uploaded_photos_smallest_copy() {
        use crate::app::testing::{block_on, Sqlite};
        let db = Sqlite::demo();
        let slug = db.text("SELECT slug FROM products WHERE id = 1");
        let photo = format!("/media/{}.jpg", "c".repeat(64));
        let variant = db.int("SELECT id FROM variants WHERE product_id = 1 ORDER BY id LIMIT 1");
        // The product's first photo, and the one of the cart line's colour.
        db.exec(&format!(
            "INSERT INTO product_images (product_id, url, width, height, position, color) \
             SELECT 1, '{photo}', 4000, 3000, -1, color FROM variants WHERE id = {variant}"
        ));
        let thumbnails = || {
            let line: crate::app::cart::LineVariant = block_on(db.first(&crate::app::cart::line_variants_sql(&[variant]))).unwrap().expect("the line's variant");
            let wished: crate::app::wishlist::ProductNow = block_on(db.first(&crate::app::wishlist::product_by_slug_sql(&slug))).unwrap().expect("the product");
            let listed: Vec<crate::app::admin_catalog::ProductListRow> =
                block_on(db.all(&crate::app::admin_catalog::products_sql(&crate::app::admin_catalog::ProductFilter::default()))).unwrap();
            let listed = listed.into_iter().find(|r| r.id == 1).expect("the product in the admin's list");
            [line.image_url, wished.image, listed.image]
        };
        // Without copies the photo itself (as before); with them the smallest, never the 1200×630 crop.
        assert_eq!(thumbnails(), [Some(photo.clone()), Some(photo.clone()), Some(photo.clone())]);
        db.exec(&format!(
            "INSERT INTO media_sizes VALUES ('{photo}', 0, 640, 480, '/media/m.webp', 9), ('{photo}', 0, 320, 240, '/media/s.webp', 9), ('{photo}', 1, 1200, 630, '/media/c.jpg', 9)"
        ));
        let small = Some("/media/s.webp".to_string());
        assert_eq!(thumbnails(), [small.clone(), small.clone(), small]);
    }
}
