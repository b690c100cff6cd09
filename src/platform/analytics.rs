//! Analytics in the Worker: events written after the response, roll-ups on the schedule, and the
//! dashboard read from the roll-ups.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use worker::{Context, Env};

use super::d1::D1;
use crate::app::db::Db;
use super::DB;
use crate::app::analytics as sql;
use crate::domain::analytics::{vn_day, EventKind, Funnel, Period, Totals};
use crate::domain::error::AppError;
use crate::views::admin::dashboard::{Dashboard, LowStock, ProviderSales, Ranked};

/// How many products, categories and low-stock variants the dashboard lists.
const TOP: i64 = 10;

/// The daily visitor key: HMAC of the day, the client's address and its user agent under the shop
/// secret. It counts distinct visitors per day without a cookie, and cannot be turned back into an
/// address or linked across days.
pub fn visitor_key(secret: &str, now: i64, ip: &str, user_agent: &str) -> String {
    // The same visitor's page views on the same day derive it once per isolate.
    let day = crate::domain::analytics::vn_day_number(now);
    super::memo::derived(&VISITORS, &format!("{day}\n{ip}\n{user_agent}"), || derive_visitor_key(secret, now, ip, user_agent))
}

thread_local! {
    static VISITORS: std::cell::RefCell<std::collections::HashMap<String, String>> = std::cell::RefCell::new(std::collections::HashMap::new());
}

fn derive_visitor_key(secret: &str, now: i64, ip: &str, user_agent: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(sql::day_key(vn_day(now)).as_bytes());
    mac.update(b"\n");
    mac.update(ip.as_bytes());
    mac.update(b"\n");
    mac.update(user_agent.as_bytes());
    mac.finalize().into_bytes().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// An event to record after the response is sent.
pub struct Event<'a> {
    pub kind: EventKind,
    pub visitor: String,
    pub product: sql::ProductRef<'a>,
    pub order_id: Option<&'a str>,
    pub amount: Option<i64>,
}

/// Events are kept in the isolate and written together: one D1 batch per `FLUSH_EVENTS` events or
/// per `FLUSH_MS`, whichever comes first, so a page view costs no storage round trip of its own. An
/// isolate that is evicted loses what it had not written yet — analytics are best-effort; money
/// figures come from the orders table, never from here.
const FLUSH_EVENTS: usize = 50;
const FLUSH_MS: f64 = 10_000.0;

thread_local! {
    static BUFFER: std::cell::RefCell<(Vec<sql::EventRow>, f64)> = const { std::cell::RefCell::new((Vec::new(), 0.0)) };
}

/// Records the event without delaying the response; a failure is logged, never shown.
/// `flush_every` (the `ANALYTICS_FLUSH_EVENTS` var; tests set 1) overrides the batch size.
pub fn record(env: &Env, ctx: &Context, now: i64, event: Event, flush_every: Option<usize>) {
    let row = sql::record_event(event.kind, now, &event.visitor, event.product, event.order_id, event.amount);
    let clock = worker::Date::now().as_millis() as f64;
    let due = BUFFER.with(|b| {
        let mut b = b.borrow_mut();
        if b.0.is_empty() {
            b.1 = clock;
        }
        b.0.push(row);
        let full = b.0.len() >= flush_every.unwrap_or(FLUSH_EVENTS).max(1);
        (full || clock - b.1 >= FLUSH_MS).then(|| std::mem::take(&mut b.0))
    });
    let Some(rows) = due else { return };
    let batch = sql::insert_events(&rows);
    let Ok(db) = env.d1(DB) else { return };
    ctx.wait_until(async move {
        if let Err(e) = D1(db).batch(&batch).await {
            worker::console_error!("{} analytics events not recorded: {e:?}", rows.len());
        }
    });
}

/// Rebuilds the roll-ups of the given days (each its own batch).
pub async fn rollup(db: &D1, days: impl IntoIterator<Item = NaiveDate>) -> Result<usize, AppError> {
    let mut n = 0;
    for day in days {
        db.batch(&sql::rollup_day(day)).await?;
        n += 1;
    }
    Ok(n)
}

#[derive(Deserialize)]
struct TotalsRow {
    revenue: i64,
    orders: i64,
    units: i64,
    discount: i64,
    refunded: i64,
}

#[derive(Deserialize)]
struct DailyRow {
    day: String,
    revenue: i64,
    orders: i64,
}

#[derive(Deserialize)]
struct ProviderRow {
    provider: String,
    revenue: i64,
    orders: i64,
}

#[derive(Deserialize)]
struct RankedRow {
    id: i64,
    slug: String,
    name_vi: String,
    name_en: String,
    units: i64,
    revenue: i64,
}

#[derive(Deserialize)]
struct FunnelRow {
    sessions: i64,
    product_views: i64,
    added_to_cart: i64,
    checkout: i64,
    paid: i64,
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
}

fn first<T>(v: Vec<T>) -> Result<T, AppError> {
    v.into_iter().next().ok_or_else(|| AppError::Internal("aggregate returned no row".into()))
}

fn daily(rows: Vec<DailyRow>) -> Vec<(NaiveDate, i64, i64)> {
    rows.into_iter()
        .filter_map(|r| NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").ok().map(|d| (d, r.revenue, r.orders)))
        .collect()
}

fn ranked(rows: Vec<RankedRow>) -> Vec<Ranked> {
    rows.into_iter()
        .map(|r| Ranked { id: r.id, slug: r.slug, name_vi: r.name_vi, name_en: r.name_en, units: r.units, revenue: r.revenue })
        .collect()
}

fn funnel(r: FunnelRow) -> Funnel {
    Funnel { sessions: r.sessions, product_views: r.product_views, added_to_cart: r.added_to_cart, checkout: r.checkout, paid: r.paid }
}

/// The dashboard of a period. Today and yesterday are rolled up first, so the figures match the
/// orders table at the moment of reading; older days were rolled up by the schedule.
pub async fn dashboard(db: &D1, period: Period, now: i64) -> Result<Dashboard, AppError> {
    rollup(db, sql::days_to_refresh(now)).await?;
    let previous = period.previous();
    let results = db
        .batch(&[
            sql::totals_sql(&period),
            sql::totals_sql(&previous),
            sql::daily_sql(&period),
            sql::daily_sql(&previous),
            sql::providers_sql(&period),
            sql::top_products_sql(&period, TOP),
            sql::top_categories_sql(&period, TOP),
            sql::funnel_sql(&period),
            sql::funnel_sql(&previous),
            sql::low_stock_sql(TOP * 2),
        ])
        .await?;
    let [totals, prev_totals, days, prev_days, providers, products, categories, funnel_now, funnel_prev, low] = results.as_slice() else {
        return Err(AppError::Internal(format!("dashboard batch returned {} results", results.len()).into()));
    };
    let totals: TotalsRow = first(totals.decode()?)?;
    let prev: TotalsRow = first(prev_totals.decode()?)?;
    let as_totals = |t: &TotalsRow| Totals { revenue: t.revenue, orders: t.orders, units: t.units, refunded: t.refunded };
    Ok(Dashboard {
        period,
        totals: as_totals(&totals),
        previous: as_totals(&prev),
        discount: totals.discount,
        previous_discount: prev.discount,
        daily: daily(days.decode()?),
        previous_daily: daily(prev_days.decode()?),
        providers: providers.decode::<ProviderRow>()?
            .into_iter()
            .map(|p| ProviderSales { provider: p.provider, revenue: p.revenue, orders: p.orders })
            .collect(),
        top_products: ranked(products.decode()?),
        top_categories: ranked(categories.decode()?),
        funnel: funnel(first(funnel_now.decode()?)?),
        previous_funnel: funnel(first(funnel_prev.decode()?)?),
        low_stock: low.decode::<LowStockRow>()?
            .into_iter()
            .map(|v| LowStock {
                sku: v.sku,
                product_slug: v.slug,
                name_vi: v.name_vi,
                name_en: v.name_en,
                size: v.size,
                color: v.color,
                on_hand: v.on_hand,
                reserved: v.reserved,
                threshold: v.low_stock_threshold,
            })
            .collect(),
    })
}
