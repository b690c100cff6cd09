//! The admin panel's catalog and stock pages as data: the product list (search, filters, paging),
//! bulk publish/unpublish, and the per-variant stock view. Every write is one batch: the guarded
//! UPDATE, then its audit row gated on `changes()` (see `app::admin::audit_sql`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::sql::{Sql, SqlValue};
use crate::domain::catalog::ProductStatus;
use crate::domain::listing::percent_encode_component;

/// Products per page of the admin list.
pub const PAGE_SIZE: i64 = 50;

/// How a product stands on stock, over its active variants: nothing sellable (`Out`); the product
/// as a whole running out — its sellable units at or below the sum of its variants' low-stock
/// thresholds (`Low`); or fine (`In`). One low size among twenty well-stocked ones does not make
/// the product low: the list counts such variants separately (`ProductListRow::low`, `sold_out`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockState {
    Out,
    Low,
    In,
}

impl StockState {
    pub const ALL: [StockState; 3] = [StockState::In, StockState::Low, StockState::Out];

    pub fn code(self) -> &'static str {
        match self {
            StockState::Out => "out",
            StockState::Low => "low",
            StockState::In => "in",
        }
    }

    pub fn parse(s: &str) -> Option<StockState> {
        StockState::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// The list's filters, read from the query string; anything unrecognised is ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Matches the Vietnamese or English name, or any variant's SKU (case-insensitive substring).
    pub q: String,
    pub category: Option<i64>,
    pub status: Option<ProductStatus>,
    pub stock: Option<StockState>,
    /// 1-based.
    pub page: i64,
}

impl ProductFilter {
    pub fn from_query(pairs: &[(String, String)]) -> ProductFilter {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
        let q: String = get("q").chars().take(100).collect();
        ProductFilter {
            q,
            category: get("category").parse().ok(),
            status: ProductStatus::parse(&get("status")),
            stock: StockState::parse(&get("stock")),
            page: get("page").parse::<i64>().ok().filter(|p| (1..=10_000).contains(p)).unwrap_or(1),
        }
    }

    /// The query string of these filters on another page (for the pager links).
    pub fn query_for_page(&self, page: i64) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", percent_encode_component(&self.q)));
        }
        if let Some(c) = self.category {
            parts.push(format!("category={c}"));
        }
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.code()));
        }
        if let Some(s) = self.stock {
            parts.push(format!("stock={}", s.code()));
        }
        parts.push(format!("page={page}"));
        format!("?{}", parts.join("&"))
    }
}

fn like(s: &str) -> String {
    let escaped: String = s.to_lowercase().chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    format!("%{escaped}%")
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProductListRow {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub status: ProductStatus,
    pub category: String,
    pub variants: i64,
    /// Sellable units (on hand − reserved) over the active variants.
    pub available: i64,
    /// Sum of the active variants' low-stock thresholds.
    pub threshold: i64,
    /// Active variants still sellable but at or below their own threshold.
    pub low: i64,
    /// Active variants with nothing sellable.
    pub sold_out: i64,
    /// The cheapest and dearest active variant's price (0 when it has none).
    pub min_price: i64,
    pub max_price: i64,
    /// The first image's URL, if any.
    pub image: Option<String>,
}

impl ProductListRow {
    pub fn stock_state(&self) -> StockState {
        stock_state(self.available, self.threshold)
    }
}

/// The product-level rule (see `StockState`); `products_sql`'s stock filter applies the same one.
pub fn stock_state(available: i64, threshold: i64) -> StockState {
    if available <= 0 {
        StockState::Out
    } else if available <= threshold {
        StockState::Low
    } else {
        StockState::In
    }
}

/// One page of the list (one row more than a page, so the caller knows whether there is a next).
pub fn products_sql(f: &ProductFilter) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT * FROM (SELECT p.id, p.slug, p.name_vi, p.name_en, p.status, c.name_vi AS category, \
         (SELECT COUNT(*) FROM variants v WHERE v.product_id = p.id) AS variants, \
         (SELECT COALESCE(SUM(MAX(v.on_hand - v.reserved, 0)), 0) FROM variants v WHERE v.product_id = p.id AND v.status = 'active') AS available, \
         (SELECT COALESCE(SUM(v.low_stock_threshold), 0) FROM variants v WHERE v.product_id = p.id AND v.status = 'active') AS threshold, \
         (SELECT COUNT(*) FROM variants v WHERE v.product_id = p.id AND v.status = 'active' \
           AND v.on_hand - v.reserved > 0 AND v.on_hand - v.reserved <= v.low_stock_threshold) AS low, \
         (SELECT COUNT(*) FROM variants v WHERE v.product_id = p.id AND v.status = 'active' AND v.on_hand - v.reserved <= 0) AS sold_out, \
         (SELECT COALESCE(MIN(v.price), 0) FROM variants v WHERE v.product_id = p.id AND v.status = 'active') AS min_price, \
         (SELECT COALESCE(MAX(v.price), 0) FROM variants v WHERE v.product_id = p.id AND v.status = 'active') AS max_price, \
         (SELECT {thumb} FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1) AS image \
         FROM products p JOIN categories c ON c.id = p.category_id WHERE 1 = 1",
        thumb = crate::app::catalog::THUMBNAIL_URL,
    ));
    if !f.q.is_empty() {
        let pattern = like(&f.q);
        sql.push(
            " AND (lower(p.name_vi) LIKE ? ESCAPE '\\' OR lower(p.name_en) LIKE ? ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND lower(v.sku) LIKE ? ESCAPE '\\'))",
            [SqlValue::Text(pattern.clone()), SqlValue::Text(pattern.clone()), SqlValue::Text(pattern)],
        );
    }
    if let Some(c) = f.category {
        sql.push(" AND p.category_id = ?", [SqlValue::Int(c)]);
    }
    if let Some(s) = f.status {
        sql.push(" AND p.status = ?", [SqlValue::Text(s.code().into())]);
    }
    sql.push(") WHERE 1 = 1", []);
    match f.stock {
        Some(StockState::Out) => sql.push(" AND available <= 0", []),
        Some(StockState::Low) => sql.push(" AND available > 0 AND available <= threshold", []),
        Some(StockState::In) => sql.push(" AND available > threshold", []),
        None => {}
    }
    sql.push(" ORDER BY id DESC LIMIT ? OFFSET ?", [SqlValue::Int(PAGE_SIZE + 1), SqlValue::Int((f.page - 1) * PAGE_SIZE)]);
    sql
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CategoryRow {
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
}

pub fn categories_sql() -> Sql {
    Sql::new("SELECT id, name_vi, name_en FROM categories ORDER BY path")
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusRow {
    pub id: i64,
    pub status: ProductStatus,
}

/// The current status of the named products (at most 200 per bulk action).
pub fn statuses_sql(ids: &[i64]) -> Sql {
    let mut sql = Sql::new(format!("SELECT id, status FROM products WHERE id IN ({})", Sql::placeholders(ids.len())));
    sql.params.extend(ids.iter().map(|i| SqlValue::Int(*i)));
    sql
}

/// Publish (`Active`) or unpublish (`Draft`) products: per product a guarded UPDATE (only from the
/// status it was read in, and never an archived product) and its audit row.
pub fn bulk_status(actor: &Actor, rows: &[StatusRow], to: ProductStatus, now: i64) -> Vec<Sql> {
    let mut batch = Vec::new();
    for row in rows.iter().filter(|r| r.status != to && r.status != ProductStatus::Archived) {
        batch.push(
            Sql::new("UPDATE products SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND status = ?")
                .bind(to.code())
                .bind(row.id)
                .bind(row.status.code()),
        );
        let action = if to == ProductStatus::Active { "product.publish" } else { "product.unpublish" };
        batch.push(audit_sql(actor, action, "product", &row.id.to_string(), Some(&json!({"status": row.status})), Some(&json!({"status": to})), now));
    }
    batch
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StockRow {
    pub id: i64,
    pub product_id: i64,
    pub product: String,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub low_stock_threshold: i64,
    /// The colour's names (the code when the colour is not on file).
    #[serde(default)]
    pub color_vi: Option<String>,
    #[serde(default)]
    pub color_en: Option<String>,
}

impl StockRow {
    pub fn color_name(&self, locale: crate::domain::locale::Locale) -> &str {
        let name = match locale {
            crate::domain::locale::Locale::Vi => self.color_vi.as_deref(),
            crate::domain::locale::Locale::En => self.color_en.as_deref(),
        };
        name.unwrap_or(&self.color)
    }

    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    pub fn is_low(&self) -> bool {
        self.available() <= self.low_stock_threshold
    }
}

const STOCK_COLUMNS: &str = "v.id, v.product_id, p.name_vi AS product, v.sku, v.size, v.color, v.on_hand, v.reserved, v.low_stock_threshold, \
     (SELECT cl.name_vi FROM colors cl WHERE cl.code = v.color) AS color_vi, (SELECT cl.name_en FROM colors cl WHERE cl.code = v.color) AS color_en";

/// Variants per page of the stock list.
pub const STOCK_PAGE_SIZE: i64 = 100;

/// One page (1-based) of the stock list: variants matching a SKU, product name or slug, optionally
/// only the low ones; one row more than a page, so the caller knows whether there is a next. The
/// order ends on the variant id, so pages neither repeat nor skip rows.
pub fn stock_sql(q: &str, low_only: bool, page: i64) -> Sql {
    let mut sql = Sql::new(format!("SELECT {STOCK_COLUMNS} FROM variants v JOIN products p ON p.id = v.product_id WHERE 1 = 1"));
    if !q.is_empty() {
        let pattern = like(q);
        sql.push(
            " AND (lower(v.sku) LIKE ? ESCAPE '\\' OR lower(p.name_vi) LIKE ? ESCAPE '\\' OR p.slug LIKE ? ESCAPE '\\')",
            [SqlValue::Text(pattern.clone()), SqlValue::Text(pattern.clone()), SqlValue::Text(pattern)],
        );
    }
    if low_only {
        sql.push(" AND v.status = 'active' AND v.on_hand - v.reserved <= v.low_stock_threshold AND p.status <> 'archived'", []);
        sql.push(" ORDER BY v.on_hand - v.reserved, v.sku, v.id", []);
    } else {
        sql.push(" ORDER BY p.id DESC, v.position, v.id", []);
    }
    sql.push(" LIMIT ? OFFSET ?", [SqlValue::Int(STOCK_PAGE_SIZE + 1), SqlValue::Int((page.max(1) - 1) * STOCK_PAGE_SIZE)]);
    sql
}

/// The stock list's query string for another page.
pub fn stock_query_for_page(q: &str, low_only: bool, page: i64) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", percent_encode_component(q)));
    }
    if low_only {
        parts.push("low=1".to_string());
    }
    parts.push(format!("page={page}"));
    format!("?{}", parts.join("&"))
}

pub fn variant_stock_sql(variant_id: i64) -> Sql {
    Sql::new(format!("SELECT {STOCK_COLUMNS} FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = ?")).bind(variant_id)
}

/// Sets a variant's low-stock threshold (audited).
pub fn threshold_batch(actor: &Actor, row: &StockRow, threshold: i64, now: i64) -> [Sql; 2] {
    [
        Sql::new("UPDATE variants SET low_stock_threshold = ? WHERE id = ? AND low_stock_threshold <> ?").bind(threshold).bind(row.id).bind(threshold),
        audit_sql(
            actor,
            "variant.threshold",
            "variant",
            &row.id.to_string(),
            Some(&json!({"low_stock_threshold": row.low_stock_threshold})),
            Some(&json!({"low_stock_threshold": threshold})),
            now,
        ),
    ]
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub delta: i64,
    pub reason: String,
    pub note: String,
    pub on_hand_after: i64,
    pub actor: String,
    pub created_at: i64,
    /// The admin's name (or email when unnamed) for an `admin:{id}` actor still on file.
    #[serde(default)]
    pub actor_name: Option<String>,
}

impl LedgerRow {
    /// Who made the change, as a person reads it: the admin's name or email, else the raw actor.
    pub fn who(&self) -> &str {
        self.actor_name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.actor)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutcomeRow {
    pub on_hand: i64,
    pub reserved: i64,
    pub applied_on_hand: Option<i64>,
}

/// Every variant, one row each, products in id order.
pub fn export_sql() -> Sql {
    Sql::new(
        "SELECT p.slug AS product_slug, p.status AS product_status, c.slug AS category_slug, p.name_vi, p.name_en, v.sku, v.size, v.color, \
         v.price, v.compare_at_price, v.on_hand, v.barcode, v.weight_grams, v.status AS variant_status \
         FROM variants v JOIN products p ON p.id = v.product_id JOIN categories c ON c.id = p.category_id ORDER BY p.id, v.position, v.id",
    )
}

/// Parses a whole number typed into a form (spaces, `+` and thousands dots/commas allowed).
pub fn parse_count(s: &str) -> Option<i64> {
    let cleaned: String = s.trim().trim_start_matches('+').chars().filter(|c| !matches!(c, ' ' | '.' | ',')).collect();
    cleaned.parse::<i64>().ok().filter(|n| n.abs() <= 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        crate::domain::listing::parse_query(q)
    }

    #[test]
    fn filters_parse_and_ignore_nonsense() {
        let f = ProductFilter::from_query(&pairs("q=%20Gile%20&category=3&status=active&stock=low&page=2"));
        assert_eq!(f, ProductFilter { q: "Gile".into(), category: Some(3), status: Some(ProductStatus::Active), stock: Some(StockState::Low), page: 2 });
        let f = ProductFilter::from_query(&pairs("category=x&status=gone&stock=&page=-4"));
        assert_eq!(f, ProductFilter { page: 1, ..ProductFilter::default() });
        assert_eq!(ProductFilter { q: "áo & gile".into(), page: 1, ..ProductFilter::default() }.query_for_page(3), "?q=%C3%A1o%20%26%20gile&page=3");
    }

    #[test]
    fn statements_bind_every_placeholder() {
        let actor = Actor { id: "a", email: "a@x.vn", ip: "" };
        let full = ProductFilter { q: "a_b".into(), category: Some(1), status: Some(ProductStatus::Draft), stock: Some(StockState::Out), page: 3 };
        let row = StockRow {
            id: 1,
            product_id: 1,
            product: "p".into(),
            sku: "s".into(),
            size: "M".into(),
            color: "black".into(),
            on_hand: 5,
            reserved: 1,
            low_stock_threshold: 3,
            color_vi: None,
            color_en: None,
        };
        let mut all = vec![
            products_sql(&full),
            products_sql(&ProductFilter::default()),
            categories_sql(),
            statuses_sql(&[1, 2]),
            stock_sql("x", true, 10),
            stock_sql("", false, 1),
            variant_stock_sql(1),
        ];
        all.extend(bulk_status(&actor, &[StatusRow { id: 1, status: ProductStatus::Draft }], ProductStatus::Active, 1));
        all.extend(threshold_batch(&actor, &row, 4, 1));
        for sql in all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
        assert!(products_sql(&full).params.contains(&SqlValue::Text("%a\\_b%".into())));
        assert!(products_sql(&full).params.contains(&SqlValue::Int(100)), "page 3 starts at 100");
    }

    #[test]
    fn bulk_status_skips_unchanged_and_archived_and_audits_each_write() {
        let actor = Actor { id: "a", email: "a@x.vn", ip: "" };
        let rows = [
            StatusRow { id: 1, status: ProductStatus::Draft },
            StatusRow { id: 2, status: ProductStatus::Active },
            StatusRow { id: 3, status: ProductStatus::Archived },
        ];
        let batch = bulk_status(&actor, &rows, ProductStatus::Active, 1);
        assert_eq!(batch.len(), 2);
        assert!(batch[0].text.starts_with("UPDATE products") && batch[0].params.contains(&SqlValue::Int(1)));
        assert!(batch[1].text.contains("audit_log") && batch[1].params.contains(&SqlValue::Text("product.publish".into())));
        assert_eq!(bulk_status(&actor, &rows, ProductStatus::Draft, 1).len(), 2, "only the active one is unpublished");
    }

    #[test]
    fn stock_states_and_counts() {
        assert_eq!(stock_state(0, 36), StockState::Out);
        assert_eq!(stock_state(27, 36), StockState::Low);
        assert_eq!(stock_state(36, 36), StockState::Low);
        assert_eq!(stock_state(37, 36), StockState::In);
        assert_eq!(stock_state(5, 0), StockState::In);
        assert_eq!(parse_count("+1.000"), Some(1000));
        assert_eq!(parse_count("-3"), Some(-3));
        assert_eq!(parse_count("abc"), None);
        assert_eq!(parse_count("99999999"), None);
    }

    fn list(db: &crate::app::testing::Sqlite, f: &ProductFilter) -> Vec<ProductListRow> {
        use crate::app::db::Db;
        crate::app::testing::block_on(db.all(&products_sql(f))).expect("products")
    }

    /// The demo catalog holds 233–591 units per product, but nearly every product has a size at
    /// or below 3: only the nearly sold-out and sold-out products are flagged, the low sizes counted.
    #[test]
    fn a_well_stocked_product_with_one_low_size_is_not_low_and_the_filter_agrees() {
        let db = crate::app::testing::Sqlite::demo();
        let rows = list(&db, &ProductFilter { page: 1, ..ProductFilter::default() });
        assert_eq!(rows.len(), 31);
        let state = |id: i64| rows.iter().find(|r| r.id == id).map(|r| r.stock_state());
        assert_eq!(state(7), Some(StockState::Low), "27 units over 12 sizes with thresholds of 3");
        assert_eq!(state(13), Some(StockState::Out));
        assert_eq!(state(1), Some(StockState::In), "585 units, one size at 2 and one sold out");
        let one = rows.iter().find(|r| r.id == 1).expect("product 1");
        assert_eq!((one.low, one.sold_out, one.variants), (1, 1, 20));
        assert!(one.min_price > 0 && one.min_price <= one.max_price);
        assert!(one.image.as_deref().is_some_and(|u| u.starts_with("/img/")));
        let low: Vec<i64> = rows.iter().filter(|r| r.stock_state() == StockState::Low).map(|r| r.id).collect();
        assert!(low.len() <= 2, "{low:?}");
        for s in StockState::ALL {
            let filtered = list(&db, &ProductFilter { stock: Some(s), page: 1, ..ProductFilter::default() });
            let expected: Vec<i64> = rows.iter().filter(|r| r.stock_state() == s).map(|r| r.id).collect();
            assert_eq!(filtered.iter().map(|r| r.id).collect::<Vec<_>>(), expected, "{s:?}");
        }
        // Once a variant is archived, its stock and threshold stop counting.
        db.exec("UPDATE variants SET status = 'inactive' WHERE product_id = 13");
        assert_eq!(list(&db, &ProductFilter { q: "".into(), page: 1, ..ProductFilter::default() }).iter().find(|r| r.id == 13).map(|r| (r.sold_out, r.min_price)), Some((0, 0)));
    }

    /// The demo catalog has 435 variants: the pages cover each exactly once.
    #[test]
    fn the_stock_list_pages_through_every_variant_once() {
        use crate::app::db::Db;
        let db = crate::app::testing::Sqlite::demo();
        let total = db.int("SELECT COUNT(*) FROM variants");
        assert!(total > 2 * STOCK_PAGE_SIZE, "{total}");
        let mut seen = std::collections::BTreeSet::new();
        let mut page = 1;
        loop {
            let rows: Vec<StockRow> = crate::app::testing::block_on(db.all(&stock_sql("", false, page))).expect("stock page");
            let has_next = rows.len() as i64 > STOCK_PAGE_SIZE;
            for r in rows.iter().take(STOCK_PAGE_SIZE as usize) {
                assert!(seen.insert(r.id), "variant {} on two pages", r.id);
            }
            if !has_next {
                break;
            }
            page += 1;
        }
        assert_eq!(seen.len() as i64, total);
        assert_eq!(page, (total + STOCK_PAGE_SIZE - 1) / STOCK_PAGE_SIZE);
        let slug = db.text("SELECT slug FROM products WHERE id = 1");
        let by_slug: Vec<StockRow> = crate::app::testing::block_on(db.all(&stock_sql(&slug, false, 1))).expect("by slug");
        assert!(!by_slug.is_empty() && by_slug.iter().all(|r| r.product_id == 1));
        assert_eq!(stock_query_for_page("áo", true, 2), "?q=%C3%A1o&low=1&page=2");
    }

    #[test]
    fn ledger_rows_name_the_admin() {
        use crate::app::db::Db;
        let db = crate::app::testing::Sqlite::demo();
        db.exec("INSERT INTO admin_users (id, email, name, role, password_hash, created_at, updated_at) VALUES ('e7e1ef', 'lan@vestify.vn', 'Lan', 'staff', 'x', 1, 1), ('b2', 'minh@vestify.vn', '', 'staff', 'x', 1, 1)");
        db.exec("INSERT INTO stock_ledger (variant_id, delta, reason, note, on_hand_after, actor, request_id, created_at) VALUES \
                 (101, 1, 'received', '', 32, 'admin:e7e1ef', 'r1', 1), (101, 1, 'received', '', 33, 'admin:b2', 'r2', 2), (101, 1, 'received', '', 34, 'admin:gone', 'r3', 3)");
        let rows: Vec<LedgerRow> = crate::app::testing::block_on(db.all(&crate::app::inventory::ledger_sql(101, 10))).expect("ledger");
        assert_eq!(rows.iter().map(|r| r.who()).collect::<Vec<_>>(), ["admin:gone", "minh@vestify.vn", "Lan"]);
    }
}
