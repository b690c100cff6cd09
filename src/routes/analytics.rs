//! Sales analytics over HTTP for operators and tests: the dashboard's figures as JSON or CSV, and a
//! roll-up of any range of days (a backfill). Behind the internal token; the admin panel renders the
//! same figures for signed-in managers.

use serde_json::json;
use worker::{Env, Method, Request, Response};

use super::http::{attachment, internal_auth, json_response, query_param};
use super::Incoming;
use crate::app::analytics;
use crate::domain::analytics::{vn_day, Period};
use crate::domain::error::AppError;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::views::admin::dashboard::{dashboard_csv, dashboard_json};

/// The period asked for by `from`, `to` and `days`, as the dashboard reads it.
pub(super) fn period(query: &str) -> Result<Period, AppError> {
    let get = |k: &str| query_param(query, k);
    Period::from_query(get("from").as_deref(), get("to").as_deref(), get("days").as_deref(), vn_day(now())).map_err(AppError::Invalid)
}

/// `GET /internal/analytics[.csv]?from&to|days`, `POST /internal/analytics/rollup?from&to|days`.
pub async fn internal(req: &Request, incoming: &Incoming, env: &Env, segments: &[&str]) -> Result<Response, AppError> {
    internal_auth(req, &Config::from_env(env))?;
    let db = D1::open(env)?;
    let period = period(&incoming.query)?;
    match (incoming.method.clone(), segments) {
        (Method::Get, ["internal", "analytics"]) => Ok(json_response(200, &dashboard_json(&analytics::dashboard(&db, period, now()).await?))),
        (Method::Get, ["internal", "analytics.csv"]) => {
            let dashboard = analytics::dashboard(&db, period, now()).await?;
            Ok(attachment("text/csv; charset=utf-8", dashboard_csv(&dashboard), &format!("vestify-{}-{}.csv", period.from, period.to)))
        }
        (Method::Post, ["internal", "analytics", "rollup"]) => {
            // The previous period too, so the comparison the dashboard draws is complete.
            let days = period.previous().each_day().chain(period.each_day()).collect::<Vec<_>>();
            let n = analytics::rollup(&db, days).await?;
            Ok(json_response(200, &json!({"rolled_up_days": n})))
        }
        (_, ["internal", "analytics", ..] | ["internal", "analytics.csv"]) => Err(AppError::MethodNotAllowed),
        _ => Err(AppError::NotFound),
    }
}
