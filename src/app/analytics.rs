//! Sales analytics: the statements that record shop events, and the two use cases over the storage
//! port, [`rollup`] (rebuild the daily roll-ups of some days) and [`dashboard`] (a period's figures).
//!
//! A roll-up recomputes one Vietnam day whole from the orders table (sales) and the captured events
//! (funnel), in one batch (a transaction): running it twice, or while orders change, leaves the day
//! exactly as the source tables say at that moment. The dashboard reads only the roll-ups, so its cost
//! grows with the number of days shown, not with the number of orders.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::db::{expect_n, Db, DbError};
use super::sql::{Sql, SqlValue};
use crate::domain::analytics::{daily_series, vn_day_start, EventKind, Funnel, Period, Totals};
use crate::domain::money::Vnd;

/// Order statuses whose payment counts as a sale (refunds are reported separately, on the day they
/// succeed). `needs_refund` is money the shop must give back, not a sale. A cash-on-delivery order
/// counts once its cash is collected (its `paid_at`), whether or not it has shipped (`confirmed`).
pub const SOLD_STATUSES: &str = "('paid', 'confirmed', 'fulfilled', 'delivered', 'refunded', 'partially_refunded')";

/// A day as the tables store it.
pub fn day_key(day: NaiveDate) -> String {
    use chrono::Datelike;
    // Written directly: chrono's strftime parses its pattern on every call, once per page view here.
    format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
}

/// The product an event is about, as the caller knows it (a cached product page knows its slug; a
/// cart knows the variant). Resolved to the product id when the event is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductRef<'a> {
    None,
    Slug(&'a str),
    Variant(i64),
}

/// One event to record: its row of `shop_events` as a parenthesised SQL tuple and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    tuple: String,
    params: Vec<SqlValue>,
}

/// An event as a row. `visitor` is the caller's daily keyed hash of the client.
pub fn record_event(kind: EventKind, now: i64, visitor: &str, product: ProductRef, order_id: Option<&str>, amount: Option<Vnd>) -> EventRow {
    let day = day_key(crate::domain::analytics::vn_day(now));
    let (product_sql, product_value) = match product {
        ProductRef::None => ("?", SqlValue::Null),
        ProductRef::Slug(slug) => ("(SELECT id FROM products WHERE slug = ?)", SqlValue::from(slug)),
        ProductRef::Variant(id) => ("(SELECT product_id FROM variants WHERE id = ?)", SqlValue::Int(id)),
    };
    EventRow {
        tuple: format!("(?, ?, ?, ?, {product_sql}, ?, ?)"),
        params: vec![
            SqlValue::from(kind.as_str()),
            SqlValue::from(day),
            SqlValue::Int(now),
            SqlValue::from(visitor),
            product_value,
            order_id.map_or(SqlValue::Null, SqlValue::from),
            SqlValue::from(amount),
        ],
    }
}

/// D1 binds at most 100 values to one statement.
const MAX_PARAMS: usize = 100;

/// The statements that write `rows`: multi-row inserts of as many rows as D1's limit on bound values
/// allows (14 events per statement), so a batch of 50 page views is four statements, not fifty.
pub fn insert_events(rows: &[EventRow]) -> Vec<Sql> {
    let per_statement = rows.first().map_or(1, |r| (MAX_PARAMS / r.params.len().max(1)).max(1));
    rows.chunks(per_statement)
        .map(|chunk| {
            let tuples: Vec<&str> = chunk.iter().map(|r| r.tuple.as_str()).collect();
            let mut sql = Sql::new(format!("INSERT INTO shop_events (kind, day, at, visitor, product_id, order_id, amount) VALUES {}", tuples.join(", ")));
            sql.params = chunk.iter().flat_map(|r| r.params.iter().cloned()).collect();
            sql
        })
        .collect()
}

/// Rebuilds one day's roll-ups, as one batch.
pub fn rollup_day(day: NaiveDate) -> Vec<Sql> {
    let key = day_key(day);
    let start = vn_day_start(day);
    let end = start + 86_400;
    // `+o.status` keeps SQLite off the status index (it would read every sold order of all time
    // for one day): the day's range on `orders_by_paid_at` is the narrow side.
    let paid = format!("o.paid_at >= {start} AND o.paid_at < {end} AND +o.status IN {SOLD_STATUSES}");
    vec![
        Sql::new("DELETE FROM daily_sales WHERE day = ?").bind(key.as_str()),
        Sql::new(format!(
            "INSERT INTO daily_sales (day, revenue, orders, units, discount, refunded) \
             SELECT ?, COALESCE(SUM(o.total), 0), COUNT(*), \
               COALESCE((SELECT SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE {paid}), 0), \
               COALESCE(SUM(o.discount), 0), \
               COALESCE((SELECT SUM(r.amount) FROM refunds r WHERE r.status = 'succeeded' AND r.updated_at >= {start} AND r.updated_at < {end}), 0) \
             FROM orders o WHERE {paid}"
        ))
        .bind(key.as_str()),
        Sql::new("DELETE FROM daily_provider_sales WHERE day = ?").bind(key.as_str()),
        Sql::new(format!(
            "INSERT INTO daily_provider_sales (day, provider, revenue, orders) \
             SELECT ?, o.payment_provider, SUM(o.total), COUNT(*) FROM orders o WHERE {paid} GROUP BY o.payment_provider"
        ))
        .bind(key.as_str()),
        Sql::new("DELETE FROM daily_product_sales WHERE day = ?").bind(key.as_str()),
        Sql::new(format!(
            "INSERT INTO daily_product_sales (day, product_id, units, revenue) \
             SELECT ?, l.product_id, SUM(l.quantity), SUM(l.line_total - l.discount) \
             FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE {paid} GROUP BY l.product_id"
        ))
        .bind(key.as_str()),
        Sql::new("DELETE FROM daily_funnel WHERE day = ?").bind(key.as_str()),
        Sql::new(
            "INSERT INTO daily_funnel (day, sessions, product_views, added_to_cart, checkout, paid) \
             SELECT ?1, COUNT(*), COALESCE(SUM(furthest >= 1), 0), COALESCE(SUM(furthest >= 2), 0), \
               COALESCE(SUM(furthest >= 3), 0), COALESCE(SUM(furthest >= 4), 0) \
             FROM (SELECT visitor, MAX(CASE kind WHEN 'product_viewed' THEN 1 WHEN 'added_to_cart' THEN 2 \
                     WHEN 'checkout_started' THEN 3 WHEN 'order_paid' THEN 4 ELSE 0 END) AS furthest \
                   FROM shop_events WHERE day = ?1 GROUP BY visitor)",
        )
        .bind(key.as_str()),
    ]
}

fn range(period: &Period) -> (String, String) {
    (day_key(period.from), day_key(period.to))
}

/// Totals of a period: revenue, orders, units, discount, refunded.
pub fn totals_sql(period: &Period) -> Sql {
    let (from, to) = range(period);
    Sql::new(
        "SELECT COALESCE(SUM(revenue), 0) AS revenue, COALESCE(SUM(orders), 0) AS orders, COALESCE(SUM(units), 0) AS units, \
         COALESCE(SUM(discount), 0) AS discount, COALESCE(SUM(refunded), 0) AS refunded \
         FROM daily_sales WHERE day BETWEEN ? AND ?",
    )
    .bind(from)
    .bind(to)
}

/// Revenue and orders per day that has any (the caller fills the gaps with zero).
pub fn daily_sql(period: &Period) -> Sql {
    let (from, to) = range(period);
    Sql::new("SELECT day, revenue, orders FROM daily_sales WHERE day BETWEEN ? AND ? ORDER BY day").bind(from).bind(to)
}

pub fn providers_sql(period: &Period) -> Sql {
    let (from, to) = range(period);
    Sql::new(
        "SELECT provider, SUM(revenue) AS revenue, SUM(orders) AS orders FROM daily_provider_sales \
         WHERE day BETWEEN ? AND ? GROUP BY provider ORDER BY revenue DESC, provider",
    )
    .bind(from)
    .bind(to)
}

pub fn top_products_sql(period: &Period, limit: i64) -> Sql {
    let (from, to) = range(period);
    Sql::new(
        "SELECT s.product_id AS id, p.slug, p.name_vi, p.name_en, SUM(s.units) AS units, SUM(s.revenue) AS revenue \
         FROM daily_product_sales s JOIN products p ON p.id = s.product_id \
         WHERE s.day BETWEEN ? AND ? GROUP BY s.product_id ORDER BY revenue DESC, units DESC, s.product_id LIMIT ?",
    )
    .bind(from)
    .bind(to)
    .bind(limit)
}

pub fn top_categories_sql(period: &Period, limit: i64) -> Sql {
    let (from, to) = range(period);
    Sql::new(
        "SELECT c.id, c.slug, c.name_vi, c.name_en, SUM(s.units) AS units, SUM(s.revenue) AS revenue \
         FROM daily_product_sales s JOIN products p ON p.id = s.product_id JOIN categories c ON c.id = p.category_id \
         WHERE s.day BETWEEN ? AND ? GROUP BY c.id ORDER BY revenue DESC, units DESC, c.id LIMIT ?",
    )
    .bind(from)
    .bind(to)
    .bind(limit)
}

pub fn funnel_sql(period: &Period) -> Sql {
    let (from, to) = range(period);
    Sql::new(
        "SELECT COALESCE(SUM(sessions), 0) AS sessions, COALESCE(SUM(product_views), 0) AS product_views, \
         COALESCE(SUM(added_to_cart), 0) AS added_to_cart, COALESCE(SUM(checkout), 0) AS checkout, COALESCE(SUM(paid), 0) AS paid \
         FROM daily_funnel WHERE day BETWEEN ? AND ?",
    )
    .bind(from)
    .bind(to)
}

/// Variants whose sellable stock is at or below their threshold, fewest first.
pub fn low_stock_sql(limit: i64) -> Sql {
    Sql::new(
        "SELECT v.id, v.sku, v.size, v.color, v.on_hand, v.reserved, v.low_stock_threshold, p.slug, p.name_vi, p.name_en, \
         COALESCE(c.name_vi, v.color) AS color_vi, COALESCE(c.name_en, v.color) AS color_en \
         FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN colors c ON c.code = v.color \
         WHERE v.status = 'active' AND p.status = 'active' AND v.on_hand - v.reserved <= v.low_stock_threshold \
         ORDER BY v.on_hand - v.reserved, p.id, v.id LIMIT ?",
    )
    .bind(limit)
}

/// The days whose sales can still change: a payment or refund lands on the day it happens, so only
/// today and yesterday (a notification delivered just after midnight) need rolling up again.
pub fn days_to_refresh(now: i64) -> [NaiveDate; 2] {
    let today = crate::domain::analytics::vn_day(now);
    [today.pred_opt().unwrap_or(today), today]
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

/// How many products, categories and low-stock variants the dashboard lists.
pub const TOP: i64 = 10;

/// A product or category with what it sold in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub id: i64,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub units: i64,
    pub revenue: Vnd,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSales {
    pub provider: String,
    pub revenue: Vnd,
    pub orders: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LowStock {
    pub sku: String,
    pub product_slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color: String,
    /// The colour's names (its code when the colour is not on file).
    pub color_vi: String,
    pub color_en: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub threshold: i64,
}

/// Everything the dashboard shows, read from the daily roll-ups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    pub period: Period,
    pub totals: Totals,
    pub previous: Totals,
    pub discount: Vnd,
    pub previous_discount: Vnd,
    /// (day, revenue, orders) rows as stored: days without sales are absent.
    pub daily: Vec<(NaiveDate, Vnd, i64)>,
    pub previous_daily: Vec<(NaiveDate, Vnd, i64)>,
    pub providers: Vec<ProviderSales>,
    pub top_products: Vec<Ranked>,
    pub top_categories: Vec<Ranked>,
    pub funnel: Funnel,
    pub previous_funnel: Funnel,
    pub low_stock: Vec<LowStock>,
    /// Shares of product pages per channel (`app::sharing`), most shared first.
    pub shares: Vec<super::sharing::ChannelShares>,
}

impl Dashboard {
    /// Revenue and orders for every day of the period, and the previous period's revenue aligned
    /// day by day with it (days without sales are zero): numbers to plot, revenue in đồng.
    pub fn revenue_series(&self) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
        let rows = |d: &[(NaiveDate, Vnd, i64)], pick: fn(&(NaiveDate, Vnd, i64)) -> i64| d.iter().map(|r| (r.0, pick(r))).collect::<Vec<_>>();
        let revenue = daily_series(&self.period, &rows(&self.daily, |r| r.1.minor()));
        let orders = daily_series(&self.period, &rows(&self.daily, |r| r.2));
        let previous = daily_series(&self.period.previous(), &rows(&self.previous_daily, |r| r.1.minor()));
        (revenue, orders, previous)
    }
}

#[derive(Deserialize)]
struct TotalsRow {
    revenue: Vnd,
    orders: i64,
    units: i64,
    discount: Vnd,
    refunded: Vnd,
}

impl TotalsRow {
    fn totals(&self) -> Totals {
        Totals { revenue: self.revenue, orders: self.orders, units: self.units, refunded: self.refunded }
    }
}

#[derive(Deserialize)]
struct DailyRow {
    day: String,
    revenue: Vnd,
    orders: i64,
}

#[derive(Deserialize)]
struct FunnelRow {
    sessions: i64,
    product_views: i64,
    added_to_cart: i64,
    checkout: i64,
    paid: i64,
}

impl From<FunnelRow> for Funnel {
    fn from(r: FunnelRow) -> Funnel {
        Funnel { sessions: r.sessions, product_views: r.product_views, added_to_cart: r.added_to_cart, checkout: r.checkout, paid: r.paid }
    }
}

#[derive(Deserialize)]
struct LowStockRow {
    sku: String,
    size: String,
    color: String,
    on_hand: i64,
    reserved: i64,
    low_stock_threshold: i64,
    slug: String,
    name_vi: String,
    name_en: String,
    color_vi: String,
    color_en: String,
}

impl From<LowStockRow> for LowStock {
    fn from(v: LowStockRow) -> LowStock {
        LowStock {
            sku: v.sku,
            product_slug: v.slug,
            name_vi: v.name_vi,
            name_en: v.name_en,
            size: v.size,
            color: v.color,
            color_vi: v.color_vi,
            color_en: v.color_en,
            on_hand: v.on_hand,
            reserved: v.reserved,
            threshold: v.low_stock_threshold,
        }
    }
}

/// The one row of an aggregate (`SUM` without `GROUP BY` always answers one).
fn aggregate<T: serde::de::DeserializeOwned>(rows: &super::db::Rows) -> Result<T, DbError> {
    rows.first()?.ok_or(DbError::Shape("aggregate returned no row"))
}

fn daily(rows: Vec<DailyRow>) -> Vec<(NaiveDate, Vnd, i64)> {
    rows.into_iter().filter_map(|r| NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").ok().map(|d| (d, r.revenue, r.orders))).collect()
}

/// Rebuilds the roll-ups of the given days, one batch (one transaction) per day; answers how many.
pub async fn rollup(db: &impl Db, days: impl IntoIterator<Item = NaiveDate>) -> Result<usize, DbError> {
    let mut n = 0;
    for day in days {
        db.batch(&rollup_day(day)).await?;
        n += 1;
    }
    Ok(n)
}

/// The dashboard of a period, in one read after the roll-up. Today and yesterday are rolled up
/// first, so the figures match the orders table at the moment of reading; older days were rolled up
/// by the schedule.
pub async fn dashboard(db: &impl Db, period: Period, now: i64) -> Result<Dashboard, DbError> {
    rollup(db, days_to_refresh(now)).await?;
    let previous = period.previous();
    let results = db
        .batch(&[
            totals_sql(&period),
            totals_sql(&previous),
            daily_sql(&period),
            daily_sql(&previous),
            providers_sql(&period),
            top_products_sql(&period, TOP),
            top_categories_sql(&period, TOP),
            funnel_sql(&period),
            funnel_sql(&previous),
            low_stock_sql(TOP * 2),
            super::sharing::shares_by_channel_sql(&period),
        ])
        .await?;
    let [totals, prev_totals, days, prev_days, providers, products, categories, funnel_now, funnel_prev, low, shares] = expect_n::<11>(results, "dashboard reads")?;
    let totals: TotalsRow = aggregate(&totals)?;
    let prev: TotalsRow = aggregate(&prev_totals)?;
    Ok(Dashboard {
        period,
        totals: totals.totals(),
        previous: prev.totals(),
        discount: totals.discount,
        previous_discount: prev.discount,
        daily: daily(days.decode()?),
        previous_daily: daily(prev_days.decode()?),
        providers: providers.decode()?,
        top_products: products.decode()?,
        top_categories: categories.decode()?,
        funnel: aggregate::<FunnelRow>(&funnel_now)?.into(),
        previous_funnel: aggregate::<FunnelRow>(&funnel_prev)?.into(),
        low_stock: low.decode::<LowStockRow>()?.into_iter().map(LowStock::from).collect(),
        shares: shares.decode()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollup_replaces_each_table_for_its_day_only() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let batch = rollup_day(day);
        assert_eq!(batch.len(), 8);
        for pair in batch.chunks(2) {
            assert!(pair[0].text.starts_with("DELETE FROM daily_"));
            assert!(pair[1].text.starts_with("INSERT INTO daily_"));
            let table = pair[0].text.split_whitespace().nth(2).unwrap();
            assert!(pair[1].text.contains(table));
        }
        // The day's bounds in unix seconds: 2026-11-26 00:00 in Hà Nội is 17:00 UTC the day before.
        assert!(batch[1].text.contains("o.paid_at >= 1795626000 AND o.paid_at < 1795712400"));
    }

    #[test]
    fn an_event_binds_every_placeholder_whatever_it_knows_of_the_product() {
        for product in [ProductRef::None, ProductRef::Slug("gile-len"), ProductRef::Variant(7)] {
            let row = record_event(EventKind::ProductViewed, 1_795_627_800, "v", product, Some("o1"), None);
            let [sql] = insert_events(&[row]).try_into().expect("one statement");
            assert_eq!(sql.placeholder_count(), sql.params.len());
            assert_eq!(sql.params[1], SqlValue::from("2026-11-26"));
        }
    }

    #[test]
    fn events_are_written_many_rows_per_statement_within_the_bound_value_limit() {
        let products = [ProductRef::None, ProductRef::Slug("gile-len"), ProductRef::Variant(7)];
        let rows: Vec<EventRow> = (0..50).map(|i| record_event(EventKind::PageViewed, 1_795_627_800 + i, "v", products[i as usize % 3], None, Some(Vnd::new(i)))).collect();
        let statements = insert_events(&rows);
        assert_eq!(statements.len(), 4, "14 + 14 + 14 + 8 rows");
        for sql in &statements {
            assert!(sql.params.len() <= MAX_PARAMS);
            assert_eq!(sql.placeholder_count(), sql.params.len());
        }
        let written: Vec<SqlValue> = statements.iter().flat_map(|s| s.params.clone()).collect();
        let expected: Vec<SqlValue> = rows.iter().flat_map(|r| r.params.clone()).collect();
        assert_eq!(written, expected, "every event, in order");
        assert!(insert_events(&[]).is_empty());
    }

    mod over_sqlite {
        use super::super::*;
        use crate::app::orders::fixtures::{free_variant, place_order, Placed};
        use crate::app::payments::{apply_notice, Applied, PaymentNotice};
        use crate::app::testing::{block_on, Sqlite};
        use crate::domain::analytics::vn_day;
        use crate::domain::payments::Outcome;

        /// 15:00 in Hà Nội: the whole test day stays one Vietnam day.
        const NOW: i64 = 1_800_000_000;

        /// A shopper's visit as the storefront records it: the product seen and added to the cart,
        /// then the checkout of `order`.
        fn visit(db: &Sqlite, visitor: &str, order: &Placed, at: i64) {
            let product = ProductRef::Variant(order.variant_id);
            let rows = [
                record_event(EventKind::ProductViewed, at, visitor, product, None, None),
                record_event(EventKind::AddedToCart, at + 10, visitor, product, None, None),
                record_event(EventKind::CheckoutStarted, at + 20, visitor, ProductRef::None, Some(&order.id), Some(order.total)),
            ];
            block_on(db.batch(&insert_events(&rows))).expect("events written");
        }

        /// The provider's notice that the order was paid, applied as the webhook applies it.
        fn pay(db: &Sqlite, order: &Placed, at: i64) {
            let outcome = Outcome::Paid { charge_id: Some("ch_1".into()) };
            let notice = PaymentNotice {
                provider: "sandbox",
                event_id: "evt_1",
                payment_id: &order.payment_id,
                order_id: Some(&order.id),
                amount: order.total.minor(),
                currency: "VND",
                outcome: &outcome,
                external_id: None,
                raw: "{}",
            };
            assert_eq!(block_on(apply_notice(db, &notice, at)).unwrap(), Applied::Paid);
        }

        fn today() -> Period {
            let day = vn_day(NOW);
            Period { from: day, to: day }
        }

        /// Every roll-up row of every day, as text (for comparing two states of the tables).
        fn rollups(db: &Sqlite) -> String {
            db.text(
                "SELECT COALESCE((SELECT group_concat(day || ':' || revenue || ':' || orders || ':' || units || ':' || discount || ':' || refunded, ' ') FROM daily_sales), '') \
                 || ' | ' || COALESCE((SELECT group_concat(day || ':' || provider || ':' || revenue || ':' || orders, ' ') FROM daily_provider_sales), '') \
                 || ' | ' || COALESCE((SELECT group_concat(day || ':' || product_id || ':' || units || ':' || revenue, ' ') FROM daily_product_sales), '') \
                 || ' | ' || COALESCE((SELECT group_concat(day || ':' || sessions || ':' || product_views || ':' || added_to_cart || ':' || checkout || ':' || paid, ' ') FROM daily_funnel), '')",
            )
        }

        #[test]
        fn a_paid_order_shows_in_todays_totals_top_products_and_funnel() {
            let db = Sqlite::demo();
            let variant = free_variant(&db, 2, 0);
            let product = db.int(&format!("SELECT product_id FROM variants WHERE id = {variant}"));
            let price = db.int(&format!("SELECT price FROM variants WHERE id = {variant}"));
            let order = place_order(&db, 1, variant, 2, "sandbox", NOW - 600, NOW + 300);
            visit(&db, "visitor-1", &order, NOW - 600);

            let unpaid = block_on(dashboard(&db, today(), NOW)).unwrap();
            assert_eq!(unpaid.totals, Totals::default(), "an unpaid order is not a sale");
            assert_eq!(unpaid.funnel, Funnel { sessions: 1, product_views: 1, added_to_cart: 1, checkout: 1, paid: 0 });

            pay(&db, &order, NOW - 60);
            let d = block_on(dashboard(&db, today(), NOW)).unwrap();
            assert_eq!(d.totals, Totals { revenue: order.total, orders: 1, units: 2, refunded: Vnd::ZERO });
            assert_eq!(d.daily, vec![(vn_day(NOW), order.total, 1)]);
            assert_eq!(d.providers, vec![ProviderSales { provider: "sandbox".into(), revenue: order.total, orders: 1 }]);
            let top: Vec<(i64, i64, i64)> = d.top_products.iter().map(|r| (r.id, r.units, r.revenue.minor())).collect();
            assert_eq!(top, vec![(product, 2, 2 * price)], "goods only: shipping is not a product's revenue");
            assert_eq!(d.top_categories.len(), 1);
            assert_eq!(d.funnel, Funnel { sessions: 1, product_views: 1, added_to_cart: 1, checkout: 1, paid: 1 }, "paid under the checkout's visitor");
            assert_eq!((d.previous, d.previous_funnel), (Totals::default(), Funnel::default()), "yesterday sold nothing");
        }

        /// A second order paid today whose visitor started checkout yesterday (or whose events came
        /// under another visitor) used to make "paid 2 > checkout 1": each step now counts the day's
        /// visitors who got at least that far, so every step is within the one before.
        #[test]
        fn the_funnel_never_widens_from_one_step_to_the_next() {
            let db = Sqlite::demo();
            let first = place_order(&db, 1, free_variant(&db, 2, 0), 1, "sandbox", NOW - 600, NOW + 300);
            visit(&db, "visitor-1", &first, NOW - 600);
            let rows = [
                record_event(EventKind::ProductViewed, NOW - 500, "visitor-2", ProductRef::None, None, None),
                record_event(EventKind::OrderPaid, NOW - 400, "visitor-3", ProductRef::None, Some(&first.id), Some(first.total)),
                record_event(EventKind::OrderPaid, NOW - 300, "visitor-1", ProductRef::None, Some(&first.id), Some(first.total)),
            ];
            block_on(db.batch(&insert_events(&rows))).expect("events written");
            block_on(rollup(&db, [vn_day(NOW)])).unwrap();
            let f = block_on(dashboard(&db, today(), NOW)).unwrap().funnel;
            assert_eq!(f, Funnel { sessions: 3, product_views: 3, added_to_cart: 2, checkout: 2, paid: 2 });
            let steps = [f.sessions, f.product_views, f.added_to_cart, f.checkout, f.paid];
            assert!(steps.windows(2).all(|w| w[0] >= w[1]), "{steps:?}");
        }

        #[test]
        fn rolling_up_the_same_day_twice_gives_the_same_figures() {
            let db = Sqlite::demo();
            let order = place_order(&db, 1, free_variant(&db, 1, 0), 1, "sandbox", NOW - 600, NOW + 300);
            visit(&db, "visitor-1", &order, NOW - 600);
            pay(&db, &order, NOW - 60);
            let day = vn_day(NOW);

            assert_eq!(block_on(rollup(&db, [day])).unwrap(), 1);
            let once = rollups(&db);
            assert!(once.contains(&format!(":sandbox:{}:1", order.total.minor())), "{once}");
            assert_eq!(block_on(rollup(&db, [day, day])).unwrap(), 2);
            assert_eq!(rollups(&db), once, "each day's rows are replaced, never added to");
            assert_eq!(db.int("SELECT COUNT(*) FROM daily_sales"), 1);

            let first = block_on(dashboard(&db, today(), NOW)).unwrap();
            let second = block_on(dashboard(&db, today(), NOW + 5)).unwrap();
            assert_eq!(first, second);
            assert_eq!(first.totals.orders, 1);
        }
    }

    #[test]
    fn refresh_covers_yesterday_and_today_in_vietnam() {
        // 2026-11-25T17:30Z is already the 26th in Hà Nội.
        let [yesterday, today] = days_to_refresh(1_795_627_800);
        assert_eq!((day_key(yesterday), day_key(today)), ("2026-11-25".to_string(), "2026-11-26".to_string()));
    }
}
