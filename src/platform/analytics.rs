//! Analytics in the Worker: the daily visitor key, and the isolate's buffer of shop events, written
//! to D1 after the response. Roll-ups and the dashboard are `app::analytics::{rollup, dashboard}`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use worker::{Context, Env};

use super::d1::D1;
use super::DB;
use crate::app::analytics as sql;
use crate::app::db::Db;
use crate::domain::analytics::{vn_day, EventKind};
use crate::domain::money::Vnd;

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
    pub amount: Option<Vnd>,
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
        if let Err(e) = D1::from_binding(db).batch(&batch).await {
            worker::console_error!("{} analytics events not recorded: {e:?}", rows.len());
        }
    });
}
