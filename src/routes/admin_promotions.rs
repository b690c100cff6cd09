//! Promotions in the admin panel (ManageDiscounts: managers and owners). The same validation and
//! storage as the internal JSON endpoints (`routes::promotions`), creating and editing through
//! `app::promotion_form`, an audit row in the batch of every write, and a new catalog version after
//! it so storefront badges change at once.

use serde_json::json;
use worker::{Env, Response};

use super::promotions::{bump_catalog_version, generate_bulk};
use super::http::{attachment, html, query_param, redirect, Form};
use crate::app::admin::{audit_created_sql, audit_sql, Actor};
use crate::app::promotions::{
    analytics_sql, codes_csv, codes_sql, create_promotion, list_promotions_sql, promotion_sql, AnalyticsRow, CodeRow, PromotionRow,
};
use crate::app::sql::Sql;
use crate::domain::error::AppError;
use crate::domain::listing::{percent_encode_component, FieldError, Problem};
use crate::domain::promotions::{parse_code_prefix, PromotionStatus, MAX_BULK_CODES};
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::app::db::Db;
use crate::app::promotion_form::{choices, choices_batch, edit_batch, prepare_edit, shared_codes_sql, to_form};
use crate::views::admin::promotions::{edit_page, promotions_page, Listed, Notice};
use crate::views::admin::AdminCtx;
use crate::views::PageCtx;

/// What an admin request for promotions or bundles (`routes::admin_bundles`) brings along: the
/// admin dispatcher builds it once for both areas.
pub struct Discounts<'a> {
    pub env: &'a Env,
    pub db: &'a D1,
    pub ctx: &'a AdminCtx,
    pub shop: &'a PageCtx,
    pub actor: &'a Actor<'a>,
    pub query: &'a str,
    pub form: &'a Form,
}

/// Where an admin request for promotions goes (a path not one of ours: not found).
pub async fn handle(d: &Discounts<'_>, method: &str, segments: &[&str]) -> Result<Response, AppError> {
    let Discounts { env, db, ctx, shop, actor, query, form } = *d;
    match (method, segments) {
        ("GET", ["admin", "promotions"]) => {
            let notice = notice_from(query);
            list(db, ctx, shop, notice.as_ref(), &[], &[], 200).await
        }
        ("POST", ["admin", "promotions"]) => create(env, db, ctx, shop, actor, form).await,
        ("GET", ["admin", "promotions", id, "edit"]) => edit_form(db, ctx, id, None).await,
        ("POST", ["admin", "promotions", id]) => update(env, db, ctx, actor, id, form).await,
        ("POST", ["admin", "promotions", id, action @ ("enable" | "disable")]) => switch(env, db, ctx, actor, id, *action == "enable").await,
        ("POST", ["admin", "promotions", id, "codes"]) => codes(db, ctx, shop, actor, id, form).await,
        ("GET", ["admin", "promotions", id, "codes.csv"]) => csv(db, id, query).await,
        _ => Err(AppError::NotFound),
    }
}

/// A promotion's (or bundle's) id from the path: one that is not a number names nothing.
pub(super) fn id_of(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// The promotion (or bundle) `sql` reads, or not found.
pub(super) async fn one(db: &D1, sql: &Sql) -> Result<PromotionRow, AppError> {
    db.all::<PromotionRow>(sql).await?.into_iter().next().ok_or(AppError::NotFound)
}

/// After a write: a new catalog version (the storefront's badges and the product pages' bundle
/// offers are edge-cached), then back to the list at `list` saying `?{key}={value}` (a name in the
/// admin's language).
pub(super) async fn written(env: &Env, db: &D1, ctx: &AdminCtx, list: &str, key: &str, value: &str) -> Result<Response, AppError> {
    bump_catalog_version(env, db).await?;
    Ok(redirect(&format!("{}?{key}={}", ctx.href(list), percent_encode_component(value)), Vec::new()))
}

/// After a redirect, what to say: `?created=Name`, `?on=Name`/`?off=Name`, `?codes=N&csv=…`.
fn notice_from(query: &str) -> Option<Notice> {
    let q = Form::parse(query);
    let get = |k: &str| q.get(k).map(str::to_string);
    if let Some(name) = get("created") {
        return Some(Notice::Created(name));
    }
    if let Some(name) = get("updated") {
        return Some(Notice::Updated(name));
    }
    if let Some(name) = get("on") {
        return Some(Notice::Switched { name, active: true });
    }
    if let Some(name) = get("off") {
        return Some(Notice::Switched { name, active: false });
    }
    let count = get("codes").and_then(|c| c.parse().ok())?;
    let csv = get("csv").filter(|c| c.starts_with("/admin/promotions/") || c.starts_with("/en/admin/promotions/"))?;
    Some(Notice::CodesMade { count, csv })
}

async fn list(db: &D1, ctx: &AdminCtx, shop: &PageCtx, notice: Option<&Notice>, errors: &[FieldError], form: &[(String, String)], status: u16) -> Result<Response, AppError> {
    let mut batch = vec![
        list_promotions_sql(),
        analytics_sql(None),
        Sql::new("SELECT promotion_id AS n, COUNT(*) AS c FROM promotion_codes GROUP BY promotion_id"),
        // Shared codes (bulk single-use ones have a batch) are few: named in the list.
        Sql::new("SELECT promotion_id AS n, code FROM promotion_codes WHERE batch IS NULL ORDER BY promotion_id, code LIMIT 1000"),
    ];
    batch.extend(choices_batch());
    let results = db.batch(&batch).await?;
    let [promotions, analytics, counts, shared, picks @ ..] = results.as_slice() else { return Err(AppError::Internal("promotions batch".into())) };
    let choices = choices(picks)?;
    let promotions: Vec<PromotionRow> = promotions.decode()?;
    let analytics: Vec<AnalyticsRow> = analytics.decode()?;
    #[derive(serde::Deserialize)]
    struct Count {
        n: i64,
        c: i64,
    }
    let counts: Vec<Count> = counts.decode()?;
    #[derive(serde::Deserialize)]
    struct Shared {
        n: i64,
        code: String,
    }
    let shared: Vec<Shared> = shared.decode()?;
    let listed: Vec<Listed> = promotions
        .iter()
        .map(|row| Listed {
            row,
            analytics: analytics.iter().find(|a| a.promotion_id == row.id),
            codes: counts.iter().find(|c| c.n == row.id).map_or(0, |c| c.c),
            shown_codes: shared.iter().filter(|s| s.n == row.id).take(crate::views::admin::promotions::SHOWN_CODES).map(|s| s.code.as_str()).collect(),
        })
        .collect();
    Ok(html(status, promotions_page(ctx, shop, &listed, notice, errors, form, &choices).into_string(), Vec::new()))
}

async fn create(env: &Env, db: &D1, ctx: &AdminCtx, shop: &PageCtx, actor: &Actor<'_>, form: &Form) -> Result<Response, AppError> {
    let (input, promotion, codes) = match crate::app::promotion_form::validate(form) {
        Ok(v) => v,
        Err(errors) => return list(db, ctx, shop, None, &errors, form, 422).await,
    };
    let now = now();
    let mut batch = create_promotion(&promotion, &codes, now);
    // The created promotion's row is the batch's last statement (a SELECT); the audit row goes just
    // before it, after the writes, and names the new id.
    let select = batch.pop();
    let after = json!({"name_vi": input.name_vi, "name_en": input.name_en, "automatic": input.automatic, "codes": input.codes,
        "benefit": promotion.benefit, "starts_at": promotion.conditions.starts_at, "ends_at": promotion.conditions.ends_at});
    batch.push(audit_created_sql(actor, "promotion.create", "promotion", "promotions", &after, now));
    batch.extend(select);
    match db.batch(&batch).await {
        Ok(_) => {}
        Err(e) if e.is_unique("promotion_codes", "") => {
            let errors = vec![FieldError { field: "codes", problem: Problem::BadValue }];
            return list(db, ctx, shop, None, &errors, form, 422).await;
        }
        Err(e) => return Err(e.into()),
    }
    written(env, db, ctx, "/admin/promotions", "created", ctx.locale.pick(&input.name_vi, &input.name_en)).await
}

/// The edit page: the form filled with the stored promotion, or (after a refused edit, `failed`)
/// with what was sent and why it was refused.
async fn edit_form(db: &D1, ctx: &AdminCtx, id: &str, failed: Option<(&[FieldError], &[(String, String)])>) -> Result<Response, AppError> {
    let id = id_of(id)?;
    let mut batch = vec![promotion_sql(id), shared_codes_sql(id)];
    batch.extend(choices_batch());
    let results = db.batch(&batch).await?;
    let [row, codes, picks @ ..] = results.as_slice() else { return Err(AppError::Internal("promotion edit batch".into())) };
    let row: PromotionRow = row.decode::<PromotionRow>()?.into_iter().next().ok_or(AppError::NotFound)?;
    if let Some(to) = bundle_editor(ctx, &row) {
        return Ok(to);
    }
    let codes: Vec<String> = codes.decode::<CodeRow>()?.into_iter().map(|c| c.code).collect();
    let choices = choices(picks)?;
    let (errors, form, status) = match failed {
        Some((errors, form)) => (errors, form.to_vec(), 422),
        None => (&[][..], to_form(&row, &codes), 200),
    };
    Ok(html(status, edit_page(ctx, &row, &choices, errors, &form).into_string(), Vec::new()))
}

/// A bundle (a bundle price or percentage) is edited with its products and offer at
/// `/admin/bundles/{id}`: its promotion's pages send it there (303 keeps a POST from being replayed).
fn bundle_editor(ctx: &AdminCtx, row: &PromotionRow) -> Option<Response> {
    let bundle = row.promotion().is_some_and(|p| p.benefit.bundle_products().is_some());
    bundle.then(|| redirect(&ctx.href(&format!("/admin/bundles/{}", row.id)), Vec::new()))
}

/// Saves an edit: validated as a new promotion is, audited with what changed, then a new catalog
/// version. Orders placed with it keep their snapshot (lines, discount, redemption).
async fn update(env: &Env, db: &D1, ctx: &AdminCtx, actor: &Actor<'_>, id: &str, form: &Form) -> Result<Response, AppError> {
    let pid = id_of(id)?;
    let results = db.batch(&[promotion_sql(pid), shared_codes_sql(pid)]).await?;
    let [row, codes] = results.as_slice() else { return Err(AppError::Internal("promotion edit batch".into())) };
    let row: PromotionRow = row.decode::<PromotionRow>()?.into_iter().next().ok_or(AppError::NotFound)?;
    if let Some(to) = bundle_editor(ctx, &row) {
        return Ok(to);
    }
    let existing: Vec<CodeRow> = codes.decode()?;
    let edit = match prepare_edit(&row, &existing, form) {
        Ok(edit) => edit,
        Err(errors) => return edit_form(db, ctx, id, Some((&errors, form))).await,
    };
    let before_codes: Vec<String> = existing.iter().map(|c| c.code.clone()).collect();
    match db.batch(&edit_batch(&row, &before_codes, &edit, actor, now())).await {
        Ok(_) => {}
        Err(e) if e.is_unique("promotion_codes", "") => {
            let errors = vec![FieldError { field: "codes", problem: Problem::BadValue }];
            return edit_form(db, ctx, id, Some((&errors, form))).await;
        }
        Err(e) => return Err(e.into()),
    }
    written(env, db, ctx, "/admin/promotions", "updated", ctx.locale.pick(&edit.promotion.name_vi, &edit.promotion.name_en)).await
}

async fn switch(env: &Env, db: &D1, ctx: &AdminCtx, actor: &Actor<'_>, id: &str, active: bool) -> Result<Response, AppError> {
    let id = id_of(id)?;
    let row = one(db, &promotion_sql(id)).await?;
    let (from, to) = (PromotionStatus::switched(!active), PromotionStatus::switched(active));
    let now = now();
    db.batch(&[
        Sql::new("UPDATE promotions SET status = ?, updated_at = ? WHERE id = ? AND status = ?").bind(to.code()).bind(now).bind(id).bind(from.code()),
        audit_sql(actor, if active { "promotion.enable" } else { "promotion.disable" }, "promotion", &id.to_string(), Some(&json!({"status": from})), Some(&json!({"status": to})), now),
    ])
    .await?;
    written(env, db, ctx, "/admin/promotions", if active { "on" } else { "off" }, ctx.locale.pick(&row.name_vi, &row.name_en)).await
}

async fn codes(db: &D1, ctx: &AdminCtx, shop: &PageCtx, actor: &Actor<'_>, id: &str, form: &Form) -> Result<Response, AppError> {
    let id = id_of(id)?;
    let get = |k: &str| form.trimmed(k);
    let mut errors = Vec::new();
    let prefix = parse_code_prefix(get("prefix"));
    if prefix.is_none() {
        errors.push(FieldError { field: "prefix", problem: Problem::BadValue });
    }
    let count = get("count").parse::<usize>().ok().filter(|n| (1..=MAX_BULK_CODES).contains(n));
    if count.is_none() {
        errors.push(FieldError { field: "count", problem: Problem::OutOfRange { min: 1, max: MAX_BULK_CODES as i64 } });
    }
    let (Some(prefix), Some(count)) = (prefix, count) else { return list(db, ctx, shop, None, &errors, &[], 422).await };
    let row = one(db, &promotion_sql(id)).await?;
    if row.automatic == 1 {
        return Err(AppError::NotFound);
    }
    let batch_id = crate::platform::random::token(6).ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let made = generate_bulk(db, id, &prefix, count, &batch_id).await?;
    // The audit row is gated on a change: the codes of this batch exist.
    let now = now();
    db.batch(&[
        Sql::new("SELECT COUNT(*) AS n FROM promotion_codes WHERE batch = ?").bind(batch_id.as_str()),
        Sql::new("UPDATE promotions SET updated_at = ? WHERE id = ?").bind(now).bind(id),
        audit_sql(actor, "promotion.codes", "promotion", &id.to_string(), None, Some(&json!({"batch": batch_id, "prefix": prefix, "created": made})), now),
    ])
    .await?;
    let csv = format!("{}?batch={batch_id}", ctx.href(&format!("/admin/promotions/{id}/codes.csv")));
    Ok(redirect(&format!("{}?codes={made}&csv={}", ctx.href("/admin/promotions"), percent_encode_component(&csv)), Vec::new()))
}

async fn csv(db: &D1, id: &str, query: &str) -> Result<Response, AppError> {
    let id = id_of(id)?;
    one(db, &promotion_sql(id)).await?;
    let batch = query_param(query, "batch");
    let codes: Vec<CodeRow> = db.all(&codes_sql(id, batch.as_deref())).await?;
    Ok(attachment("text/csv; charset=utf-8", codes_csv(&codes), &format!("promotion-{id}-codes.csv")))
}
