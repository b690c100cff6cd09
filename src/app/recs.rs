//! Recommendations over D1: the pass that computes every product's lists (`domain::recs`) from the
//! catalog, the paid orders of the last 180 days and the product views of the last 60, and writes
//! them whole into `product_recs` (nightly from the cron, or when a manager asks); and the reads of
//! product cards from those lists, for a product (its page, the API) or a set of products (a cart,
//! an order). A read never gives the product itself, an inactive product or one with nothing left
//! to sell.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;

use super::catalog::{CardRow, CARD_COLUMNS};
use super::db::{expect_n, Db, DbError};
use super::sql::{Sql, SqlValue};
use crate::domain::catalog::ProductCard;
use crate::domain::money::Vnd;
use crate::domain::recs::{self, Item, Lists, RecKind, Smoothing, LIST_LEN, MIN_SUPPORT, ORDER_WINDOW_DAYS, VIEW_WINDOW_DAYS};

/// Who started a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Nightly,
    Manager,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Nightly => "nightly",
            Trigger::Manager => "manager",
        }
    }
}

/// What a pass read and wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub products: usize,
    pub orders: usize,
    pub sessions: usize,
    pub rows: usize,
}

/// Rows of one `INSERT … FROM json_each(?)`: the JSON text stays far under D1's statement limits.
const ROWS_PER_STATEMENT: usize = 2_000;

#[derive(Deserialize)]
struct ItemRow {
    id: i64,
    category_id: i64,
    parent_id: Option<i64>,
    words: Option<String>,
    colors: Option<String>,
    price: Option<i64>,
}

#[derive(Deserialize)]
struct BasketRow {
    basket: String,
    product_id: i64,
}

#[derive(Deserialize)]
struct AtRow {
    at: Option<i64>,
}

fn items_sql() -> Sql {
    Sql::new(
        "SELECT p.id, p.category_id, c.parent_id, \
         p.name_vi || char(31) || p.name_en || char(31) || p.material_vi || char(31) || p.material_en || char(31) || \
           COALESCE((SELECT group_concat(t.tag, char(31)) FROM product_tags t WHERE t.product_id = p.id), '') AS words, \
         (SELECT group_concat(DISTINCT v.color) FROM variants v WHERE v.product_id = p.id AND v.status = 'active') AS colors, \
         (SELECT MIN(v.price) FROM variants v WHERE v.product_id = p.id AND v.status = 'active') AS price \
         FROM products p JOIN categories c ON c.id = p.category_id WHERE p.status = 'active' ORDER BY p.id",
    )
}

/// Paid orders' products (refunded ones say the pair did not work out), oldest order first.
fn order_lines_sql(since: i64) -> Sql {
    Sql::new(
        "SELECT ol.order_id AS basket, ol.product_id FROM order_lines ol JOIN orders o ON o.id = ol.order_id \
         WHERE o.payment_status IN ('paid', 'partially_refunded') AND COALESCE(o.paid_at, o.created_at) >= ? \
         ORDER BY ol.order_id, ol.line_no",
    )
    .bind(since)
}

/// Product views grouped by visitor and day (`shop_events.visitor` is a daily hash already).
fn views_sql(since: i64) -> Sql {
    Sql::new(
        "SELECT visitor || '|' || day AS basket, product_id FROM shop_events \
         WHERE kind = 'product_viewed' AND product_id IS NOT NULL AND at >= ? ORDER BY visitor, day, at",
    )
    .bind(since)
}

/// Consecutive rows of one basket key as one basket.
fn baskets(rows: Vec<BasketRow>) -> Vec<Vec<i64>> {
    let mut out: Vec<Vec<i64>> = Vec::new();
    let mut key: Option<String> = None;
    for row in rows {
        if key.as_deref() != Some(row.basket.as_str()) {
            out.push(Vec::new());
            key = Some(row.basket);
        }
        if let Some(last) = out.last_mut() {
            last.push(row.product_id);
        }
    }
    out
}

/// The three lists of every active product, from what the reads returned.
pub fn compute(items: &[Item], orders: &[Vec<i64>], sessions: &[Vec<i64>]) -> Vec<(RecKind, Lists)> {
    compute_with(items, orders, sessions, Smoothing::DEFAULT)
}

/// `compute` with other priors for "bought together" (the benchmark compares them).
pub fn compute_with(items: &[Item], orders: &[Vec<i64>], sessions: &[Vec<i64>], smoothing: Smoothing) -> Vec<(RecKind, Lists)> {
    let similar = recs::similar(items, LIST_LEN);
    let category: HashMap<i64, i64> = items.iter().map(|i| (i.id, i.category_id)).collect();
    let active = |id: i64| category.contains_key(&id);
    let mut bought = recs::blended(orders, &category, smoothing, LIST_LEN * 2);
    recs::retain(&mut bought, active);
    let mut viewed = recs::co_occurrence(sessions, MIN_SUPPORT, LIST_LEN * 2);
    recs::retain(&mut viewed, active);
    let bought = recs::with_fallback(&bought, &similar, LIST_LEN);
    let viewed = recs::with_fallback(&viewed, &similar, LIST_LEN);
    vec![(RecKind::Similar, similar), (RecKind::BoughtTogether, bought), (RecKind::AlsoViewed, viewed)]
}

/// Computes every list and replaces the stored ones in one batch, with the pass's row; a manager's
/// pass also writes the audit row it is given (after the pass's row, whose insert gates it).
pub async fn recompute(db: &impl Db, now: i64, trigger: Trigger, actor: &str) -> Result<Report, DbError> {
    recompute_audited(db, now, trigger, actor, |_| None).await
}

/// `recompute`, with `audit` making the audit row from the pass's report.
pub async fn recompute_audited(db: &impl Db, now: i64, trigger: Trigger, actor: &str, audit: impl FnOnce(&Report) -> Option<Sql>) -> Result<Report, DbError> {
    let [items, lines, views] = expect_n(
        db.batch(&[items_sql(), order_lines_sql(now - ORDER_WINDOW_DAYS * 86_400), views_sql(now - VIEW_WINDOW_DAYS * 86_400)]).await?,
        "recs reads",
    )?;
    let items: Vec<Item> = items
        .decode::<ItemRow>()?
        .into_iter()
        .map(|r| Item {
            id: r.id,
            category_id: r.category_id,
            parent_category_id: r.parent_id,
            words: r.words.unwrap_or_default().split('\u{1f}').map(str::to_string).collect(),
            colors: r.colors.unwrap_or_default().split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
            price: r.price.unwrap_or(0),
        })
        .collect();
    let orders = baskets(lines.decode()?);
    let sessions = baskets(views.decode()?);
    let lists = compute(&items, &orders, &sessions);
    let mut rows: Vec<(RecKind, serde_json::Value)> = Vec::new();
    for (kind, lists) in &lists {
        for (product, list) in lists {
            for (rank, s) in list.iter().enumerate() {
                // Scores kept to six decimals: enough to order, and the JSON stays short.
                rows.push((*kind, json!([product, rank, s.id, (s.score * 1e6).round() / 1e6])));
            }
        }
    }
    let mut batch = vec![Sql::new("DELETE FROM product_recs")];
    for kind in RecKind::ALL {
        let of_kind: Vec<&serde_json::Value> = rows.iter().filter(|(k, _)| *k == kind).map(|(_, v)| v).collect();
        for chunk in of_kind.chunks(ROWS_PER_STATEMENT) {
            batch.push(
                Sql::new(
                    "INSERT INTO product_recs (product_id, kind, rank, rec_id, score) \
                     SELECT json_extract(value, '$[0]'), ?, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]') \
                     FROM json_each(?)",
                )
                .bind(kind.as_str())
                .bind(serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into())),
            );
        }
    }
    let report = Report { products: items.len(), orders: orders.len(), sessions: sessions.len(), rows: rows.len() };
    batch.push(
        Sql::new("INSERT INTO rec_runs (at, trigger, actor, products, orders, sessions, rows) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(now)
            .bind(trigger.as_str())
            .bind(actor)
            .bind(report.products as i64)
            .bind(report.orders as i64)
            .bind(report.sessions as i64)
            .bind(report.rows as i64),
    );
    batch.extend(audit(&report));
    db.batch(&batch).await?;
    Ok(report)
}

/// Vietnam is GMT+7 all year; the nightly pass's hour there.
const VN_OFFSET: i64 = 7 * 3_600;
const NIGHTLY_HOUR: i64 = 2;

/// The latest 02:00 in Vietnam at or before `now` (unix seconds).
pub fn last_nightly_slot(now: i64) -> i64 {
    let shifted = now + VN_OFFSET - NIGHTLY_HOUR * 3_600;
    shifted.div_euclid(86_400) * 86_400 - VN_OFFSET + NIGHTLY_HOUR * 3_600
}

/// The cron's pass (every minute): recomputes when no pass has run since the latest 02:00 in
/// Vietnam. `Some(report)` when it ran (the caller then refreshes cached pages).
pub async fn nightly(db: &impl Db, now: i64) -> Result<Option<Report>, DbError> {
    let last = db.first::<AtRow>(&Sql::new("SELECT MAX(at) AS at FROM rec_runs")).await?.and_then(|r| r.at);
    if last.is_some_and(|at| at >= last_nightly_slot(now)) {
        return Ok(None);
    }
    recompute(db, now, Trigger::Nightly, "").await.map(Some)
}

/// Up to `limit` cards of a product's list (by slug), in the list's order: active products with
/// something left to sell, never the product itself.
pub fn cards_sql(slug: &str, kind: RecKind, limit: i64) -> Sql {
    Sql::new(format!(
        "{CARD_COLUMNS}, MIN(r.rank) AS rec_rank \
         FROM products me JOIN product_recs r ON r.product_id = me.id AND r.kind = ? \
         JOIN products p ON p.id = r.rec_id AND p.status = 'active' AND p.id <> me.id \
         JOIN variants v ON v.product_id = p.id AND v.status = 'active' \
         WHERE me.slug = ? GROUP BY p.id HAVING SUM(MAX(v.on_hand - v.reserved, 0)) > 0 \
         ORDER BY rec_rank, p.id LIMIT ?"
    ))
    .bind(kind.as_str())
    .bind(slug)
    .bind(limit)
}

/// Up to `limit` cards recommended for the products of a set of variants (a cart's lines, an
/// order's): their lists' scores added up (`domain::recs::for_set`), the set's own products left out.
pub fn set_cards_sql(variants: &[i64], kind: RecKind, limit: i64) -> Sql {
    let list = Sql::placeholders(variants.len().max(1));
    let of_set = format!("(SELECT product_id FROM variants WHERE id IN ({list}))");
    let mut sql = Sql::new(format!(
        "{CARD_COLUMNS} FROM (SELECT rec_id, SUM(score) AS total FROM product_recs WHERE kind = ? AND product_id IN {of_set} \
         AND rec_id NOT IN {of_set} GROUP BY rec_id) r \
         JOIN products p ON p.id = r.rec_id AND p.status = 'active' \
         JOIN variants v ON v.product_id = p.id AND v.status = 'active' \
         GROUP BY p.id HAVING SUM(MAX(v.on_hand - v.reserved, 0)) > 0 ORDER BY MAX(r.total) DESC, p.id LIMIT ?"
    ));
    sql.params.push(SqlValue::from(kind.as_str()));
    for _ in 0..2 {
        if variants.is_empty() {
            sql.params.push(SqlValue::Null);
        } else {
            sql.params.extend(variants.iter().map(|&id| SqlValue::Int(id)));
        }
    }
    sql.params.push(SqlValue::Int(limit));
    sql
}

/// A product's list as cards.
pub async fn cards(db: &impl Db, slug: &str, kind: RecKind, limit: i64) -> Result<Vec<ProductCard>, DbError> {
    Ok(db.all::<CardRow>(&cards_sql(slug, kind, limit)).await?.into_iter().map(ProductCard::from).collect())
}

/// Cards for the products of a set of variants.
pub async fn set_cards(db: &impl Db, variants: &[i64], kind: RecKind, limit: i64) -> Result<Vec<ProductCard>, DbError> {
    if variants.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db.all::<CardRow>(&set_cards_sql(variants, kind, limit)).await?.into_iter().map(ProductCard::from).collect())
}

/// What the cart page offers: complements of its products, and (when the cart is short of free
/// shipping by `gap`) the recommended products that alone close the gap; no product in both.
#[derive(Clone, Debug, Default)]
pub struct CartRecs {
    pub complements: Vec<ProductCard>,
    pub gap: Vnd,
    pub fillers: Vec<ProductCard>,
}

/// Cards the cart page shows.
pub const CART_CARDS: usize = 4;

/// The cart page's recommendations for its variants, `gap` short of free shipping (0 or less: none).
pub async fn for_cart(db: &impl Db, variants: &[i64], gap: Vnd) -> Result<CartRecs, DbError> {
    let candidates = set_cards(db, variants, RecKind::BoughtTogether, LIST_LEN as i64).await?;
    let priced: Vec<(i64, i64)> = candidates.iter().map(|c| (c.id, c.price.minor())).collect();
    let filler_ids = recs::gap_fillers(&priced, gap.minor(), CART_CARDS);
    let fillers = filler_ids.iter().filter_map(|id| candidates.iter().find(|c| c.id == *id).cloned()).collect();
    // A product offered as a filler is not offered again among the complements.
    let complements = candidates.into_iter().filter(|c| !filler_ids.contains(&c.id)).take(CART_CARDS).collect();
    Ok(CartRecs { complements, gap: if gap.is_positive() { gap } else { Vnd::new(0) }, fillers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_796_000_000;

    /// Paid orders of these products (one order per basket), `days_ago` before NOW.
    fn paid_orders(db: &Sqlite, baskets: &[&[i64]], days_ago: i64) {
        let at = NOW - days_ago * 86_400;
        let n0 = db.int("SELECT COUNT(*) FROM orders");
        for (n, basket) in baskets.iter().enumerate() {
            let id = format!("o{}", n0 + n as i64);
            db.exec(&format!(
                "INSERT INTO orders (id, number, access_token_hash, cart_id, idempotency_key, status, stock_state, email, name, phone, \
                 address_line1, address_ward, address_district, address_province, address_country, shipping_method, payment_provider, \
                 subtotal, shipping_fee, total, expires_at, paid_at, created_at, updated_at, payment_status) VALUES \
                 ('{id}', 'VS-{id}', 'h', 'c', 'k{id}', 'paid', 'committed', 'a@b.vn', 'A', '0912345678', 'x', 'w', 'd', 'p', 'VN', 'standard', \
                 'sandbox', 1, 0, 1, {at}, {at}, {at}, {at}, 'paid')"
            ));
            for (line, product) in basket.iter().enumerate() {
                db.exec(&format!(
                    "INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, name_vi, name_en, size, color, unit_price, quantity, line_total) \
                     SELECT '{id}', {line}, v.id, v.product_id, v.sku, 'n', 'n', v.size, v.color, 1, 1, 1 FROM variants v WHERE v.product_id = {product} LIMIT 1"
                ));
            }
        }
    }

    fn active_ids(db: &Sqlite) -> Vec<i64> {
        let n = db.int("SELECT COUNT(*) FROM products WHERE status = 'active'");
        (0..n).map(|i| db.int(&format!("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET {i}"))).collect()
    }

    fn slug(db: &Sqlite, id: i64) -> String {
        db.text(&format!("SELECT slug FROM products WHERE id = {id}"))
    }

    #[test]
    fn a_pass_stores_every_list_and_bought_together_follows_the_paid_orders() {
        let db = Sqlite::demo();
        let ids = active_ids(&db);
        let (a, b, c) = (ids[0], ids[5], ids[9]);
        paid_orders(&db, &[&[a, b], &[a, b], &[a, b, c]], 10);
        // An order older than the window does not count.
        paid_orders(&db, &[&[a, c], &[a, c], &[a, c], &[a, c]], 200);
        let report = block_on(recompute(&db, NOW, Trigger::Manager, "admin:1")).unwrap();
        assert_eq!((report.products, report.orders), (ids.len(), 3));
        let first = |kind: RecKind, of: i64| db.int(&format!("SELECT rec_id FROM product_recs WHERE product_id = {of} AND kind = '{}' AND rank = 0", kind.as_str()));
        assert_eq!(first(RecKind::BoughtTogether, a), b);
        assert_eq!(first(RecKind::BoughtTogether, b), a);
        for kind in RecKind::ALL {
            let lists = db.int(&format!("SELECT COUNT(DISTINCT product_id) FROM product_recs WHERE kind = '{}'", kind.as_str()));
            assert_eq!(lists, ids.len() as i64, "{kind:?}: every active product has a list (thin ones filled from similar)");
        }
        assert_eq!(db.int("SELECT COUNT(*) FROM product_recs WHERE product_id = rec_id"), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM rec_runs WHERE trigger = 'manager'"), 1);
        // A second pass replaces the lists instead of adding to them.
        let rows = db.int("SELECT COUNT(*) FROM product_recs");
        block_on(recompute(&db, NOW, Trigger::Manager, "admin:1")).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM product_recs"), rows);
        assert_eq!(rows as usize, report.rows);
    }

    #[test]
    fn reads_leave_out_the_product_itself_inactive_and_sold_out_products() {
        let db = Sqlite::demo();
        let ids = active_ids(&db);
        let (a, b, c, d) = (ids[0], ids[5], ids[9], ids[12]);
        paid_orders(&db, &[&[a, b, c, d], &[a, b, c, d]], 3);
        block_on(recompute(&db, NOW, Trigger::Nightly, "")).unwrap();
        // A list row naming the product itself (never written by a pass) is still not shown.
        db.exec(&format!("INSERT INTO product_recs (product_id, kind, rank, rec_id, score) VALUES ({a}, 'bought_together', 99, {a}, 1)"));
        let got = |kind| block_on(cards(&db, &slug(&db, a), kind, 12)).unwrap().into_iter().map(|c| c.id).collect::<Vec<_>>();
        let before = got(RecKind::BoughtTogether);
        assert!(before.contains(&b) && before.contains(&c) && before.contains(&d));
        assert!(!before.contains(&a));
        db.exec(&format!("UPDATE products SET status = 'archived' WHERE id = {b}"));
        db.exec(&format!("UPDATE variants SET reserved = on_hand WHERE product_id = {c}"));
        let after = got(RecKind::BoughtTogether);
        assert!(!after.contains(&b), "archived");
        assert!(!after.contains(&c), "nothing left to sell");
        assert!(after.contains(&d));
        assert!(after.iter().all(|&id| id != a));
        assert!(block_on(cards(&db, &slug(&db, a), RecKind::Similar, 3)).unwrap().len() <= 3);
        // A set (a cart): the lists of its products, its own products left out.
        let variant = |p: i64| db.int(&format!("SELECT id FROM variants WHERE product_id = {p} ORDER BY id LIMIT 1"));
        let of_set: Vec<i64> = block_on(set_cards(&db, &[variant(a), variant(d)], RecKind::BoughtTogether, 8)).unwrap().into_iter().map(|c| c.id).collect();
        assert!(!of_set.is_empty());
        assert!(!of_set.contains(&a) && !of_set.contains(&d) && !of_set.contains(&b) && !of_set.contains(&c));
        assert!(block_on(set_cards(&db, &[], RecKind::BoughtTogether, 8)).unwrap().is_empty());
        // The cart page: fillers are recommended products whose price alone closes the gap.
        let cart = block_on(for_cart(&db, &[variant(a)], Vnd::new(1))).unwrap();
        assert!(!cart.complements.is_empty() && cart.complements.len() <= CART_CARDS);
        assert!(!cart.fillers.is_empty());
        assert!(cart.complements.iter().all(|c| !cart.fillers.iter().any(|f| f.id == c.id)), "a product is offered once on the page");
        let cart = block_on(for_cart(&db, &[variant(a)], Vnd::new(1_000_000_000))).unwrap();
        assert!(cart.fillers.is_empty(), "nothing costs that much");
        let cart = block_on(for_cart(&db, &[variant(a)], Vnd::new(0))).unwrap();
        assert!(cart.fillers.is_empty(), "already free");
    }

    #[test]
    fn the_nightly_pass_runs_once_after_two_in_the_morning_vietnam_time() {
        let db = Sqlite::demo();
        // 19:00 UTC (2026-12-07) is 02:00 on the 8th in Vietnam.
        let slot = 1_796_670_000;
        assert_eq!(last_nightly_slot(slot), slot);
        assert_eq!(last_nightly_slot(slot - 1), slot - 86_400);
        assert_eq!(last_nightly_slot(slot + 86_399), slot);
        assert!(block_on(nightly(&db, slot - 60)).unwrap().is_some(), "never ran: runs");
        assert!(block_on(nightly(&db, slot - 30)).unwrap().is_none(), "ran since the last slot");
        assert!(block_on(nightly(&db, slot)).unwrap().is_some(), "the night's slot came");
        assert!(block_on(nightly(&db, slot + 3_600)).unwrap().is_none());
        assert_eq!(db.int("SELECT COUNT(*) FROM rec_runs WHERE trigger = 'nightly'"), 2);
    }

    #[test]
    fn every_statement_binds_exactly_its_placeholders() {
        for sql in [cards_sql("a", RecKind::Similar, 4), set_cards_sql(&[1, 2, 3], RecKind::BoughtTogether, 4), set_cards_sql(&[], RecKind::Similar, 4), items_sql(), order_lines_sql(0), views_sql(0)] {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
    }
}
