//! The safety net behind the alarms: a cron trigger releases overdue holds and expires overdue
//! unpaid orders, running the same gated statements as the alarms, so both together still change
//! stock once. It also rolls up today's and yesterday's sales analytics.

use serde_json::{json, Value};
use worker::{event, Env, ScheduleContext, ScheduledEvent};

use super::config::now;
use super::d1::D1;
use crate::app::db::Db;
use crate::app::stock;
use crate::domain::error::AppError;

/// Orders expired per run; the rest wait for the next minute.
const BATCH: i64 = 200;

#[derive(serde::Deserialize)]
struct IdRow {
    id: String,
}

pub async fn run(env: &Env) -> Result<Value, AppError> {
    let db = D1::open(env)?;
    let now = now();
    let holds = db.batch(&stock::release_holds(None, Some(now), now)).await?;
    let released = holds.get(1).map(|r| r.changes()).unwrap_or(0);
    let overdue: Vec<IdRow> = db.all(&stock::overdue_orders(now, BATCH)).await?;
    let mut expired = 0;
    for row in &overdue {
        let results = db.batch(&stock::expire_order(&row.id, now, "sweep")).await?;
        // The flip of the order's status is the second-to-last statement (the last releases holds).
        let flipped = results.iter().rev().nth(1).map(|r| r.changes()).unwrap_or(0);
        expired += flipped;
    }
    // Attempts whose order can no longer be paid get their provider page closed (Stripe sessions).
    let closed = super::gateways::close_stale(&db, &super::config::Config::from_env(env), now).await?;
    // Sales analytics: the days whose figures can still change are recomputed whole.
    let rolled_up = super::analytics::rollup(&db, crate::app::analytics::days_to_refresh(now)).await?;
    Ok(json!({
        "released_holds": released,
        "expired_orders": expired,
        "checked_orders": overdue.len(),
        "closed_sessions": closed,
        "rolled_up_days": rolled_up,
    }))
}

#[event(scheduled)]
pub async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match run(&env).await {
        Ok(report) => worker::console_log!("sweep: {report}"),
        Err(e) => worker::console_error!("sweep failed: {e}"),
    }
}
