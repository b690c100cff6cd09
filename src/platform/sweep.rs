//! The cron entry of the expiry sweep (`app::orders::sweep`: overdue holds released, overdue unpaid
//! orders expired, by the same gated statements as the carts' alarms), followed by the I/O around
//! it: closing stale provider pages, erasing the buyer's details from orders of deleted accounts
//! that have closed since (`app::privacy`), rolling up the sales analytics of the days that can
//! still change, and reconciling review videos whose Stream webhook never came (`app::review_videos`).
//! The same cron also runs the nightly recommendations pass (`platform::recs`), the campaigns'
//! queueing, the back-in-stock follow-up waves (`app::alerts::follow_up_waves`) and the outbox's
//! delivery.

use serde_json::{json, Value};
use worker::{event, Env, ScheduleContext, ScheduledEvent};

use super::config::{now, Config};
use super::d1::D1;
use crate::app::analytics;
use crate::app::orders::sweep;
use crate::domain::error::AppError;

pub async fn run(env: &Env) -> Result<Value, AppError> {
    let db = D1::open(env)?;
    let now = now();
    let report = sweep(&db, now).await?;
    // Attempts whose order can no longer be paid get their provider page closed (Stripe sessions).
    let closed = crate::app::payments::close_stale_attempts(&db, &super::gateways::Pages(&Config::from_env(env)), now).await?;
    // Orders that were still open when their account was deleted lose the buyer's details once closed.
    let erased = crate::app::privacy::erase_closed_orders_of_deleted_accounts(&db, now).await?;
    // Sales analytics: the days whose figures can still change are recomputed whole.
    let rolled_up = analytics::rollup(&db, analytics::days_to_refresh(now)).await?;
    // Review videos whose Stream webhook never came are looked up at Stream.
    let config = Config::from_env(env);
    let videos = match config.stream.as_ref() {
        Some(cfg) => {
            let stream = super::stream::Stream { cfg, allowed_origins: super::stream::allowed_origins(&config) };
            Some(crate::app::review_videos::reconcile(&db, &stream, now).await?)
        }
        None => None,
    };
    Ok(json!({
        "released_holds": report.released_holds,
        "expired_orders": report.expired_orders,
        "checked_orders": report.checked_orders,
        "closed_sessions": closed,
        "erased_orders": erased,
        "rolled_up_days": rolled_up,
        "review_videos": videos,
    }))
}

#[event(scheduled)]
pub async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match run(&env).await {
        Ok(report) => worker::console_log!("sweep: {report}"),
        Err(e) => worker::console_error!("sweep failed: {e}"),
    }
    // The recommendation lists, once a night (then cached pages are rendered with the new lists).
    match super::recs::nightly(&env).await {
        Ok(Some(report)) => worker::console_log!("recommendations: {}", serde_json::to_string(&report).unwrap_or_default()),
        Ok(None) => {}
        Err(e) => worker::console_error!("recommendations pass failed: {e}"),
    }
    // Abandoned-cart reminders and campaigns due are queued, then delivered by the pass below.
    match super::mail::queue_campaigns(&env).await {
        Ok(report) if report.queued + report.started + report.cart_reminders > 0 => worker::console_log!("campaigns: {}", serde_json::to_string(&report).unwrap_or_default()),
        Ok(_) => {}
        Err(e) => worker::console_error!("campaigns pass failed: {e}"),
    }
    // Back-in-stock follow-up waves for variants still in stock with shoppers waiting.
    match super::mail::queue_follow_up_waves(&env).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("back-in-stock follow-up waves: {n} shoppers"),
        Err(e) => worker::console_error!("follow-up waves pass failed: {e}"),
    }
    // The outbox's retry pass: due messages, retries after their backoff, leases that lapsed.
    match super::mail::deliver(&env).await {
        Ok(report) if report.claimed > 0 => worker::console_log!("outbox: {}", serde_json::to_string(&report).unwrap_or_default()),
        Ok(_) => {}
        Err(e) => worker::console_error!("outbox pass failed: {e}"),
    }
}
