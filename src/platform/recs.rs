//! The recommendation lists' passes in the Worker: the cron's nightly pass and a manager's
//! "recompute" (`app::recs`), each followed by a new catalog version so cached product pages (and
//! the API's lists) are rendered again with the new lists.

use super::config::now;
use super::d1::D1;
use crate::app::admin::{audit_sql, Actor};
use crate::app::recs::{self, Report, Trigger};
use crate::domain::error::AppError;

/// The cron's step: recomputes once a night (after 02:00 in Vietnam); `None` when not due.
pub async fn nightly(env: &worker::Env) -> Result<Option<Report>, AppError> {
    let db = D1::open(env)?;
    let Some(report) = recs::nightly(&db, now()).await? else { return Ok(None) };
    super::edge_cache::bump_version(env, 'r').await?;
    Ok(Some(report))
}

/// The nightly pass now, whatever the hour (`/internal/recommendations`: operators, tests).
pub async fn run_now(env: &worker::Env) -> Result<Report, AppError> {
    let db = D1::open(env)?;
    let report = recs::recompute(&db, now(), Trigger::Nightly, "").await?;
    super::edge_cache::bump_version(env, 'r').await?;
    Ok(report)
}

/// A manager's recompute, now, audited.
pub async fn recompute(env: &worker::Env, db: &D1, actor: &Actor<'_>) -> Result<Report, AppError> {
    let now = now();
    let audit = |report: &Report| Some(audit_sql(actor, "recommendations.recompute", "recommendations", "", None, serde_json::to_value(report).ok().as_ref(), now));
    let report = recs::recompute_audited(db, now, Trigger::Manager, actor.id, audit).await?;
    super::edge_cache::bump_version(env, 'r').await?;
    Ok(report)
}
