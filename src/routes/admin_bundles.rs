//! Bundles in the admin panel (ManageDiscounts: managers and owners): `/admin/bundles`. Each write
//! is one batch with its audit row (`app::bundles`), followed by a new catalog version so product
//! pages, which are edge-cached and carry the bundle's offer, show the change at once.

use worker::{Env, Response};

use super::admin_promotions::{id_of, one, written, Discounts};
use super::http::{html, Form};
use crate::app::admin::Actor;
use crate::app::bundles::{bundle_sql, create_batch, list_batch, product_choices_sql, read_form, remove_batch, update_batch, BundleProductRow, ProductChoice};
use crate::app::db::{expect_n, Db};
use crate::app::promotions::PromotionRow;
use crate::domain::error::AppError;
use crate::domain::listing::FieldError;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::views::admin::bundles::{bundle_edit_page, bundles_page, fields_of, Listing, Notice};
use crate::views::admin::AdminCtx;
use crate::views::PageCtx;

/// Where an admin request for bundles goes (a path not one of ours: not found).
pub async fn handle(d: &Discounts<'_>, method: &str, segments: &[&str]) -> Result<Response, AppError> {
    let Discounts { env, db, ctx, shop, actor, query, form } = *d;
    match (method, segments) {
        ("GET", ["admin", "bundles"]) => list(db, ctx, shop, notice_from(query).as_ref(), &[], &[], 200).await,
        ("POST", ["admin", "bundles"]) => create(env, db, ctx, shop, actor, form).await,
        ("GET", ["admin", "bundles", id]) => edit(db, ctx, id).await,
        ("POST", ["admin", "bundles", id]) => update(env, db, ctx, actor, id, form).await,
        ("POST", ["admin", "bundles", id, "delete"]) => remove(env, db, ctx, actor, id).await,
        _ => Err(AppError::NotFound),
    }
}

fn notice_from(query: &str) -> Option<Notice> {
    let q = Form::parse(query);
    if let Some(name) = q.get("created") {
        return Some(Notice::Created(name.to_string()));
    }
    if let Some(name) = q.get("saved") {
        return Some(Notice::Saved(name.to_string()));
    }
    match q.get("removed") {
        Some("1") => Some(Notice::Removed),
        Some(_) => Some(Notice::SwitchedOff),
        None => None,
    }
}

async fn list(db: &D1, ctx: &AdminCtx, shop: &PageCtx, notice: Option<&Notice>, errors: &[FieldError], form: &[(String, String)], status: u16) -> Result<Response, AppError> {
    let [bundles, items] = list_batch();
    let [bundles, items, choices] = expect_n::<3>(db.batch(&[bundles, items, product_choices_sql()]).await?, "bundles page")?;
    let bundles: Vec<PromotionRow> = bundles.decode()?;
    let items: Vec<BundleProductRow> = items.decode()?;
    let choices: Vec<ProductChoice> = choices.decode()?;
    let listing = Listing { bundles: &bundles, items: &items, choices: &choices };
    Ok(html(status, bundles_page(ctx, shop, &listing, notice, errors, form).into_string(), Vec::new()))
}

async fn create(env: &Env, db: &D1, ctx: &AdminCtx, shop: &PageCtx, actor: &Actor<'_>, form: &Form) -> Result<Response, AppError> {
    let bundle = match read_form(form) {
        Ok(b) => b,
        Err(errors) => return list(db, ctx, shop, None, &errors, form, 422).await,
    };
    db.batch(&create_batch(actor, &bundle, now())).await?;
    written(env, db, ctx, "/admin/bundles", "created", ctx.locale.pick(&bundle.name_vi, &bundle.name_en)).await
}

async fn edit(db: &D1, ctx: &AdminCtx, id: &str) -> Result<Response, AppError> {
    let id = id_of(id)?;
    let row = one(db, &bundle_sql(id)).await?;
    let choices: Vec<ProductChoice> = db.all(&product_choices_sql()).await?;
    Ok(html(200, bundle_edit_page(ctx, id, &choices, &[], &fields_of(&row)).into_string(), Vec::new()))
}

async fn update(env: &Env, db: &D1, ctx: &AdminCtx, actor: &Actor<'_>, id: &str, form: &Form) -> Result<Response, AppError> {
    let id = id_of(id)?;
    let before = one(db, &bundle_sql(id)).await?.promotion().ok_or(AppError::NotFound)?;
    let bundle = match read_form(form) {
        Ok(b) => b,
        Err(errors) => {
            let choices: Vec<ProductChoice> = db.all(&product_choices_sql()).await?;
            return Ok(html(422, bundle_edit_page(ctx, id, &choices, &errors, form).into_string(), Vec::new()));
        }
    };
    db.batch(&update_batch(actor, id, &before, &bundle, now())).await?;
    written(env, db, ctx, "/admin/bundles", "saved", ctx.locale.pick(&bundle.name_vi, &bundle.name_en)).await
}

async fn remove(env: &Env, db: &D1, ctx: &AdminCtx, actor: &Actor<'_>, id: &str) -> Result<Response, AppError> {
    let id = id_of(id)?;
    let before = one(db, &bundle_sql(id)).await?.promotion().ok_or(AppError::NotFound)?;
    db.batch(&remove_batch(actor, id, &before, now())).await?;
    let gone = db.all::<PromotionRow>(&bundle_sql(id)).await?.is_empty();
    written(env, db, ctx, "/admin/bundles", "removed", if gone { "1" } else { "kept" }).await
}
