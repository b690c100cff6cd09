//! The recommendation lists' passes in the Worker: the cron's nightly pass and a manager's
//! "recompute" (`app::recs`), each followed by a new catalog version so cached product pages (and
//! the API's lists) are rendered again with the new lists.

use super::config::now;
use super::d1::D1;
use crate::app::recs::{self, Report, Trigger};
use crate::domain::error::AppError;

/// The cron's step: recomputes once a night (after 02:00 in Vietnam); `None` when not due.
pub async fn nightly(env: &worker::Env) -> Result<Option<Report>, AppError> {
    let db = D1::open(env)?;
    let Some(report) = recs::nightly(&db, now()).await? else { return Ok(None) };
    super::edge_cache::bump_version(env).await?;
    Ok(Some(report))
}

/// A manager's recompute, now.
pub async fn recompute(env: &worker::Env, db: &D1, actor: &str) -> Result<Report, AppError> {
    let report = recs::recompute(db, now(), Trigger::Manager, actor).await?;
    super::edge_cache::bump_version(env).await?;
    Ok(report)
}
