//! `/admin/categories` and `/admin/collections`: list, create, edit, move up/down, and a
//! collection's products. The router has checked the route's permission; every write is audited
//! (`app::taxonomy`) and bumps the catalog version so the storefront changes at once.

use crate::app::db::Db;
use worker::Response;

use super::admin_catalog::{bump_catalog_version, Req};
use super::http::{html, redirect};
use crate::app::taxonomy::{
    add_member_batch, categories_sql, collections_sql, create_category_batch, create_collection_batch, members_sql, moved, parent_refusal, remove_member_batch,
    reorder_categories_batch, reorder_collections_batch, reorder_members_batch, siblings, tree, update_category_batch, update_collection_batch, CategoryRow,
    CollectionRow, Direction, MemberRow, Names,
};
use crate::domain::admin::Permission;
use crate::domain::error::AppError;
use crate::platform::accounts::changed;
use crate::platform::config::now;
use crate::views::admin::taxonomy::{categories_page, category_page, collection_page, collections_page, FormState};

fn page(status: u16, markup: maud::Markup) -> Response {
    html(status, markup.into_string(), Vec::new())
}

pub async fn dispatch(r: &Req<'_>, method: &str, segments: &[&str]) -> Option<Result<Response, AppError>> {
    let id = |s: &str| s.parse::<i64>().ok();
    Some(match (method, segments) {
        ("GET", ["admin", "categories"]) => categories(r, None, None).await,
        ("POST", ["admin", "categories"]) => create_category(r).await,
        ("GET", ["admin", "categories", c]) => match id(c) {
            Some(c) => category(r, c, None, None).await,
            None => Err(AppError::NotFound),
        },
        ("POST", ["admin", "categories", c]) => match id(c) {
            Some(c) => update_category(r, c).await,
            None => Err(AppError::NotFound),
        },
        ("POST", ["admin", "categories", c, "move"]) => match id(c) {
            Some(c) => move_category(r, c).await,
            None => Err(AppError::NotFound),
        },
        ("GET", ["admin", "collections"]) => collections(r, None, None).await,
        ("POST", ["admin", "collections"]) => create_collection(r).await,
        ("GET", ["admin", "collections", c]) => match id(c) {
            Some(c) => collection(r, c, None, None).await,
            None => Err(AppError::NotFound),
        },
        ("POST", ["admin", "collections", c]) => match id(c) {
            Some(c) => update_collection(r, c).await,
            None => Err(AppError::NotFound),
        },
        ("POST", ["admin", "collections", c, "move"]) => match id(c) {
            Some(c) => move_collection(r, c).await,
            None => Err(AppError::NotFound),
        },
        ("POST", ["admin", "collections", c, "products"]) => match id(c) {
            Some(c) => add_member(r, c).await,
            None => Err(AppError::NotFound),
        },
        ("POST", ["admin", "collections", c, "products", p, action]) => match (id(c), id(p)) {
            (Some(c), Some(p)) => member_action(r, c, p, action).await,
            _ => Err(AppError::NotFound),
        },
        _ => Err(AppError::NotFound),
    })
}

fn parent_field(r: &Req<'_>) -> Option<i64> {
    r.field("parent").parse().ok()
}

// --- categories ------------------------------------------------------------------------------

async fn categories(r: &Req<'_>, new: Option<(Names, Option<i64>, Vec<(&'static str, &'static str)>)>, message: Option<(bool, String)>) -> Result<Response, AppError> {
    let rows: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let ordered = tree(&rows);
    let (names, parent, errors) = new.unwrap_or_default();
    let message = message.or_else(|| (r.param("saved") == "1").then(|| (true, "Đã lưu.".to_string())));
    let status = if !errors.is_empty() || matches!(message, Some((false, _))) { 422 } else { 200 };
    let state = FormState { names: &names, parent, errors: &errors };
    Ok(page(status, categories_page(&r.ctx("/admin/categories"), &ordered, r.role.can(Permission::EditProducts), &state, message)))
}

async fn create_category(r: &Req<'_>) -> Result<Response, AppError> {
    let parent_id = parent_field(r);
    let names = match Names::parse(r.form) {
        Ok(n) => n,
        Err((n, errors)) => return categories(r, Some((n, parent_id, errors)), None).await,
    };
    let rows: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let parent = parent_id.and_then(|p| rows.iter().find(|c| c.id == p));
    if parent_id.is_some() && parent.is_none() {
        return categories(r, Some((names, None, vec![("parent", "Danh mục cha không còn.")])), None).await;
    }
    if !changed(r.db, &create_category_batch(r.actor, parent, &names, now())).await? {
        return categories(r, Some((names, parent_id, vec![("slug", "Đường dẫn này đã có danh mục khác dùng.")])), None).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect("/admin/categories?saved=1", Vec::new()))
}

async fn category(r: &Req<'_>, id: i64, edit: Option<(Names, Option<i64>, Vec<(&'static str, &'static str)>)>, message: Option<(bool, String)>) -> Result<Response, AppError> {
    let rows: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let Some(row) = rows.iter().find(|c| c.id == id) else { return Err(AppError::NotFound) };
    let ordered = tree(&rows);
    let (names, parent, errors) = edit.unwrap_or_else(|| (row.names(), row.parent_id, Vec::new()));
    let message = message.or_else(|| (r.param("saved") == "1").then(|| (true, "Đã lưu.".to_string())));
    let status = if errors.is_empty() { 200 } else { 422 };
    let state = FormState { names: &names, parent, errors: &errors };
    Ok(page(status, category_page(&r.ctx(&format!("/admin/categories/{id}")), row, &ordered, r.role.can(Permission::EditProducts), &state, message)))
}

async fn update_category(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let parent_id = parent_field(r);
    let names = match Names::parse(r.form) {
        Ok(n) => n,
        Err((n, errors)) => return category(r, id, Some((n, parent_id, errors)), None).await,
    };
    let rows: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let Some(before) = rows.iter().find(|c| c.id == id) else { return Err(AppError::NotFound) };
    if let Some(why) = parent_refusal(&rows, id, parent_id) {
        return category(r, id, Some((names, parent_id, vec![("parent", why)])), None).await;
    }
    let parent = parent_id.and_then(|p| rows.iter().find(|c| c.id == p));
    if parent_id.is_some() && parent.is_none() {
        return category(r, id, Some((names, None, vec![("parent", "Danh mục cha không còn.")])), None).await;
    }
    if !changed(r.db, &update_category_batch(r.actor, before, parent, &names, now())).await? {
        return category(r, id, Some((names, parent_id, vec![("slug", "Đường dẫn này đã có danh mục khác dùng, hoặc danh mục vừa được người khác sửa.")])), None).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/categories/{id}?saved=1"), Vec::new()))
}

async fn move_category(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let rows: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let Some(me) = rows.iter().find(|c| c.id == id) else { return Err(AppError::NotFound) };
    let order: Vec<i64> = siblings(&rows, me.parent_id).iter().map(|c| c.id).collect();
    let Some(after) = Direction::parse(&r.field("dir")).and_then(|d| moved(&order, id, d)) else {
        return categories(r, None, Some((false, "Danh mục này không thể di chuyển theo hướng đó.".into()))).await;
    };
    changed(r.db, &reorder_categories_batch(r.actor, id, &order, &after, now())).await?;
    bump_catalog_version(r.env).await?;
    Ok(redirect("/admin/categories", Vec::new()))
}

// --- collections -----------------------------------------------------------------------------

async fn collections(r: &Req<'_>, new: Option<(Names, Vec<(&'static str, &'static str)>)>, message: Option<(bool, String)>) -> Result<Response, AppError> {
    let rows: Vec<CollectionRow> = r.db.all(&collections_sql()).await?;
    let (names, errors) = new.unwrap_or_default();
    let message = message.or_else(|| (r.param("saved") == "1").then(|| (true, "Đã lưu.".to_string())));
    let status = if !errors.is_empty() || matches!(message, Some((false, _))) { 422 } else { 200 };
    let state = FormState { names: &names, parent: None, errors: &errors };
    Ok(page(status, collections_page(&r.ctx("/admin/collections"), &rows, r.role.can(Permission::EditProducts), &state, message)))
}

async fn create_collection(r: &Req<'_>) -> Result<Response, AppError> {
    let names = match Names::parse(r.form) {
        Ok(n) => n,
        Err((n, errors)) => return collections(r, Some((n, errors)), None).await,
    };
    if !changed(r.db, &create_collection_batch(r.actor, &names, now())).await? {
        return collections(r, Some((names, vec![("slug", "Đường dẫn này đã có bộ sưu tập khác dùng.")])), None).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect("/admin/collections?saved=1", Vec::new()))
}

async fn collection(r: &Req<'_>, id: i64, edit: Option<(Names, Vec<(&'static str, &'static str)>)>, message: Option<(bool, String)>) -> Result<Response, AppError> {
    let rows: Vec<CollectionRow> = r.db.all(&collections_sql()).await?;
    let Some(row) = rows.iter().find(|c| c.id == id) else { return Err(AppError::NotFound) };
    let members: Vec<MemberRow> = r.db.all(&members_sql(id)).await?;
    let (names, errors) = edit.unwrap_or_else(|| (row.names(), Vec::new()));
    let message = message.or_else(|| (r.param("saved") == "1").then(|| (true, "Đã lưu.".to_string())));
    let status = if !errors.is_empty() || matches!(message, Some((false, _))) { 422 } else { 200 };
    let state = FormState { names: &names, parent: None, errors: &errors };
    Ok(page(status, collection_page(&r.ctx(&format!("/admin/collections/{id}")), row, &members, r.role.can(Permission::EditProducts), &state, message)))
}

async fn update_collection(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let names = match Names::parse(r.form) {
        Ok(n) => n,
        Err((n, errors)) => return collection(r, id, Some((n, errors)), None).await,
    };
    let rows: Vec<CollectionRow> = r.db.all(&collections_sql()).await?;
    let Some(before) = rows.iter().find(|c| c.id == id) else { return Err(AppError::NotFound) };
    if !changed(r.db, &update_collection_batch(r.actor, before, &names, now())).await? {
        return collection(r, id, Some((names, vec![("slug", "Đường dẫn này đã có bộ sưu tập khác dùng.")])), None).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/collections/{id}?saved=1"), Vec::new()))
}

async fn move_collection(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let rows: Vec<CollectionRow> = r.db.all(&collections_sql()).await?;
    let order: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let Some(after) = Direction::parse(&r.field("dir")).and_then(|d| moved(&order, id, d)) else {
        return collections(r, None, Some((false, "Bộ sưu tập này không thể di chuyển theo hướng đó.".into()))).await;
    };
    changed(r.db, &reorder_collections_batch(r.actor, id, &order, &after, now())).await?;
    bump_catalog_version(r.env).await?;
    Ok(redirect("/admin/collections", Vec::new()))
}

async fn add_member(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let wanted: String = r.field("product").chars().take(100).collect();
    if wanted.is_empty() || !changed(r.db, &add_member_batch(r.actor, id, &wanted, now())).await? {
        let msg = format!("Không thêm được “{wanted}”: không có sản phẩm với đường dẫn hay SKU này, hoặc nó đã ở trong bộ sưu tập.");
        return collection(r, id, None, Some((false, msg))).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/collections/{id}?saved=1"), Vec::new()))
}

async fn member_action(r: &Req<'_>, id: i64, product_id: i64, action: &str) -> Result<Response, AppError> {
    let members: Vec<MemberRow> = r.db.all(&members_sql(id)).await?;
    if !members.iter().any(|m| m.product_id == product_id) {
        return Err(AppError::NotFound);
    }
    let batch = match action {
        "remove" => remove_member_batch(r.actor, id, product_id, now()),
        "move" => {
            let order: Vec<i64> = members.iter().map(|m| m.product_id).collect();
            let Some(after) = Direction::parse(&r.field("dir")).and_then(|d| moved(&order, product_id, d)) else {
                return collection(r, id, None, Some((false, "Sản phẩm này không thể di chuyển theo hướng đó.".into()))).await;
            };
            reorder_members_batch(r.actor, id, product_id, &order, &after, now())
        }
        _ => return Err(AppError::NotFound),
    };
    changed(r.db, &batch).await?;
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/collections/{id}?saved=1"), Vec::new()))
}
