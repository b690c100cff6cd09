//! Catalog and stock in the admin panel: `/admin/products` (list, bulk publish/unpublish) and
//! `/admin/stock` (per-variant counts, adjust through `app::inventory`, thresholds, ledger). The
//! router in `routes::admin` has already checked the session and the route's permission; handlers
//! here check the finer permissions a form may need. Every write is audited in its own batch and
//! any change the storefront shows bumps the catalog version.

use worker::{Env, Response};

use super::http::{attachment, html, query_param, redirect, Form};
use crate::app::admin::Actor;
use crate::app::admin_catalog::{
    bulk_status, categories_sql, parse_count, products_sql, statuses_sql, stock_sql, threshold_batch, variant_stock_sql, CategoryRow, LedgerRow, OutcomeRow,
    ProductFilter, ProductListRow, StatusRow, StockRow, PAGE_SIZE, STOCK_PAGE_SIZE,
};
use crate::app::admin_product::{
    colors_sql, create_batch, next_id_sql, positive_prices, product_sql, remove_variant_batch, set_price_batch, sizes_sql, update_batch, variants_sql,
    CodeRow, ProductInput, ProductRow, VariantError, VariantInput, VariantRow,
};
use crate::app::inventory::{ledger_sql, outcome, outcome_sql, Adjustment, Outcome, Reason};
use crate::domain::admin::{required, Permission, Role};
use crate::domain::catalog::ProductStatus;
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::platform::accounts::changed;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::app::db::Db;
use crate::platform::random;
use crate::views::admin::catalog::{self, ProductFormView, ProductsView, StockView, VariantView};
use crate::views::admin::{AdminCtx, Section};

/// Who is asking, and what the request carries.
pub struct Req<'a> {
    pub db: &'a D1,
    pub env: &'a Env,
    pub role: Role,
    pub user: &'a str,
    pub actor: &'a Actor<'a>,
    pub query: &'a str,
    pub form: &'a Form,
    /// The file of a multipart form (CSV import, image upload).
    pub upload: Option<&'a super::admin_upload::Upload>,
    /// The smaller copies of an image that the admin page's script made (`domain::image_size`).
    pub derived: &'a [(crate::domain::image_size::Slot, super::admin_upload::Upload)],
}

impl Req<'_> {
    pub(super) fn field(&self, key: &str) -> String {
        self.form.trimmed(key).to_string()
    }

    pub(super) fn param(&self, key: &str) -> String {
        query_param(self.query, key).map(|v| v.trim().to_string()).unwrap_or_default()
    }

    pub(super) fn ctx(&self, path: &str) -> AdminCtx {
        let role = self.role;
        let sections = Section::ALL
            .into_iter()
            .filter(|s| required("GET", s.path()).is_some_and(|p| role.can(p)))
            .collect();
        AdminCtx { locale: Locale::Vi, path: path.into(), query: self.query.into(), user: self.user.into(), role: role.code().into(), sections }
    }
}

/// Handles the catalog routes; `None` when the path is not one of them.
pub async fn dispatch(r: &Req<'_>, method: &str, segments: &[&str]) -> Option<Result<Response, AppError>> {
    Some(match (method, segments) {
        ("GET", ["admin", "products"]) => products(r, None).await,
        ("GET", ["admin", "products.csv"]) => export_csv(r).await,
        ("POST", ["admin", "recommendations"]) => recompute_recommendations(r).await,
        ("POST", ["admin", "products", "bulk"]) => bulk(r).await,
        ("GET", ["admin", "products", "new"]) => product_form(r, None, None, &[], None).await,
        ("POST", ["admin", "products", "new"]) => save_product(r, None).await,
        ("GET", ["admin", "products", id]) => match id.parse() {
            Ok(id) => product_page(r, id).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "products", id]) => match id.parse() {
            Ok(id) => save_product(r, Some(id)).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "products", id, "marketplaces"]) => match id.parse() {
            Ok(id) => save_marketplace_links(r, id).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "products", id, "variants"]) => match id.parse() {
            Ok(id) => add_variant(r, id).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "products", id, "variants", vid, action]) => match (id.parse(), vid.parse()) {
            (Ok(id), Ok(vid)) => variant_action(r, id, vid, action).await,
            _ => Err(AppError::NotFound),
        },
        // CSV import, product images, categories and collections (issue #6, second part).
        ("POST", ["admin", "import"]) => super::admin_import::dry_run(r).await,
        ("POST", ["admin", "import", "confirm"]) => super::admin_import::confirm(r).await,
        ("POST", ["admin", "products", id, "images"]) => match id.parse() {
            Ok(id) => super::admin_media::upload(r, id).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "products", id, "images", image, rest @ ..]) if rest.len() <= 1 => match (id.parse(), image.parse()) {
            (Ok(id), Ok(image)) => super::admin_media::act(r, id, image, rest.first().copied()).await,
            _ => Err(AppError::NotFound),
        },
        (_, ["admin", "categories" | "collections", ..]) => return super::admin_taxonomy::dispatch(r, method, segments).await,
        ("GET", ["admin", "stock"]) => stock(r).await,
        ("GET", ["admin", "stock", id]) => match id.parse() {
            Ok(id) => variant(r, id, 200, None).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "stock", id, "adjust"]) => match id.parse() {
            Ok(id) => adjust_stock(r, id).await,
            Err(_) => Err(AppError::NotFound),
        },
        ("POST", ["admin", "stock", id, "threshold"]) => match id.parse() {
            Ok(id) => threshold(r, id).await,
            Err(_) => Err(AppError::NotFound),
        },
        _ => return None,
    })
}

fn page(status: u16, markup: maud::Markup) -> Response {
    html(status, markup.into_string(), Vec::new())
}

/// Writes a new catalog version so cached storefront pages are missed at once.
pub async fn bump_catalog_version(env: &Env) -> Result<(), AppError> {
    crate::platform::edge_cache::bump_version(env, 'a').await
}

async fn products(r: &Req<'_>, message: Option<(bool, String)>) -> Result<Response, AppError> {
    let filter = ProductFilter::from_query(&Form::parse(r.query));
    let mut rows: Vec<ProductListRow> = r.db.all(&products_sql(&filter)).await?;
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let categories: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let status = match &message {
        Some((false, _)) => 422,
        _ => 200,
    };
    let view = ProductsView { filter: &filter, categories: &categories, rows: &rows, has_next, can_edit: r.role.can(Permission::EditProducts), can_recompute: r.role.can(Permission::EditPrices), message };
    Ok(page(status, catalog::products_page(&r.ctx("/admin/products"), &view)))
}

/// A manager's "recompute the recommendations now" (`platform::recs`): the product list again, with
/// what the pass read and wrote.
async fn recompute_recommendations(r: &Req<'_>) -> Result<Response, AppError> {
    let report = crate::platform::recs::recompute(r.env, r.db, r.actor).await?;
    let message = format!("Đã tính lại gợi ý sản phẩm: {} sản phẩm, {} đơn hàng, {} phiên xem.", report.products, report.orders, report.sessions);
    products(r, Some((true, message))).await
}

async fn bulk(r: &Req<'_>) -> Result<Response, AppError> {
    let to = match r.field("action").as_str() {
        "publish" => ProductStatus::Active,
        "unpublish" => ProductStatus::Draft,
        _ => return products(r, Some((false, "Hãy chọn Đăng bán hoặc Ngừng bán.".into()))).await,
    };
    let ids: Vec<i64> = r.form.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).take(200).collect();
    if ids.is_empty() {
        return products(r, Some((false, "Chưa chọn sản phẩm nào.".into()))).await;
    }
    let rows: Vec<StatusRow> = r.db.all(&statuses_sql(&ids)).await?;
    let batch = bulk_status(r.actor, &rows, to, now());
    let count = batch.len() / 2;
    if !batch.is_empty() {
        r.db.batch(&batch).await?;
        bump_catalog_version(r.env).await?;
    }
    let verb = if to == ProductStatus::Active { "Đã đăng bán" } else { "Đã ngừng bán" };
    products(r, Some((true, format!("{verb} {count} sản phẩm.")))).await
}

async fn stock(r: &Req<'_>) -> Result<Response, AppError> {
    let q: String = r.param("q").chars().take(100).collect();
    let low_only = r.param("low") == "1";
    let page_no = r.param("page").parse::<i64>().ok().filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let mut rows: Vec<StockRow> = r.db.all(&stock_sql(&q, low_only, page_no)).await?;
    let has_next = rows.len() as i64 > STOCK_PAGE_SIZE;
    rows.truncate(STOCK_PAGE_SIZE as usize);
    let rows: Vec<(StockRow, String)> = rows.into_iter().map(|row| (row, random::id().unwrap_or_default())).collect();
    let view = StockView { q: &q, low_only, page: page_no, has_next, rows: &rows, can_edit: r.role.can(Permission::EditStock) };
    Ok(page(200, catalog::stock_page(&r.ctx("/admin/stock"), &view)))
}

async fn variant(r: &Req<'_>, id: i64, status: u16, message: Option<(bool, String)>) -> Result<Response, AppError> {
    let Some(row) = r.db.all::<StockRow>(&variant_stock_sql(id)).await?.into_iter().next() else { return Err(AppError::NotFound) };
    let ledger: Vec<LedgerRow> = r.db.all(&ledger_sql(id, 100)).await?;
    let request_id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let message = message.or_else(|| (r.param("applied") == "1").then(|| (true, "Đã cập nhật tồn kho.".to_string())));
    let view = VariantView { row: &row, ledger: &ledger, request_id: &request_id, can_edit: r.role.can(Permission::EditStock), message };
    Ok(page(status, catalog::variant_page(&r.ctx(&format!("/admin/stock/{id}")), &view)))
}

async fn adjust_stock(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let request_id = r.field("request_id");
    let note: String = r.field("note").chars().take(200).collect();
    let Some(reason) = Reason::parse(&r.field("reason")).filter(|x| *x != Reason::Import) else {
        return variant(r, id, 422, Some((false, "Lý do không hợp lệ.".into()))).await;
    };
    let Some(delta) = parse_count(&r.field("delta")) else {
        return variant(r, id, 422, Some((false, "Số lượng thay đổi phải là số nguyên, ví dụ 5 hoặc -2.".into()))).await;
    };
    if !reason.allows(delta) {
        let why = match reason {
            Reason::Received | Reason::Return => "Nhập hàng và khách trả hàng phải là số dương.",
            Reason::Damaged => "Hàng hư hỏng phải là số âm (bớt đi).",
            _ => "Số lượng thay đổi không được bằng 0.",
        };
        return variant(r, id, 422, Some((false, why.into()))).await;
    }
    if request_id.len() < 16 || request_id.len() > 64 || !request_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return variant(r, id, 422, Some((false, "Biểu mẫu đã cũ; vui lòng thử lại.".into()))).await;
    }
    let actor = format!("admin:{}", r.actor.id);
    let a = Adjustment { variant_id: id, delta, reason, note: &note, actor: &actor, request_id: &request_id, expected_on_hand: None, now: now() };
    // The ledger's update and row, the audit row, then (units added) the back-in-stock wave.
    let after = serde_json::json!({"delta": delta, "reason": reason.as_str(), "note": note, "request_id": request_id});
    let audit = crate::app::admin::audit_sql(r.actor, "stock.adjust", "variant", &id.to_string(), None, Some(&after), now());
    let batch = crate::app::alerts::restock(&a, audit);
    let applied_now = changed(r.db, &batch).await?;
    let row = r.db.all::<OutcomeRow>(&outcome_sql(id, &request_id)).await?.into_iter().next();
    match outcome(&a, row.map(|o| (o.on_hand, o.reserved, o.applied_on_hand))) {
        Outcome::Applied { .. } => {
            if applied_now {
                bump_catalog_version(r.env).await?;
            }
            Ok(redirect(&format!("/admin/stock/{id}?applied=1"), Vec::new()))
        }
        Outcome::BelowReserved { on_hand, reserved } => {
            let msg = catalog::below_reserved_message(&r.ctx(&format!("/admin/stock/{id}")), on_hand, reserved, -delta);
            variant(r, id, 409, Some((false, msg))).await
        }
        Outcome::Stale { on_hand } => variant(r, id, 409, Some((false, format!("Tồn kho đã thay đổi (hiện là {on_hand}); vui lòng xem lại.")))).await,
        Outcome::UnknownVariant => Err(AppError::NotFound),
    }
}

async fn threshold(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let Some(row) = r.db.all::<StockRow>(&variant_stock_sql(id)).await?.into_iter().next() else { return Err(AppError::NotFound) };
    let Some(value) = parse_count(&r.field("threshold")).filter(|n| (0..=100_000).contains(n)) else {
        return variant(r, id, 422, Some((false, "Ngưỡng phải là số nguyên từ 0 đến 100000.".into()))).await;
    };
    changed(r.db, &threshold_batch(r.actor, &row, value, now())).await?;
    Ok(redirect(&format!("/admin/stock/{id}"), Vec::new()))
}

async fn product_form(r: &Req<'_>, id: Option<i64>, input: Option<ProductInput>, errors: &[(&'static str, &'static str)], message: Option<(bool, String)>) -> Result<Response, AppError> {
    let categories: Vec<CategoryRow> = r.db.all(&categories_sql()).await?;
    let (input, variants, staff_may_price) = match id {
        Some(id) => {
            let Some(row) = r.db.all::<ProductRow>(&product_sql(id)).await?.into_iter().next() else { return Err(AppError::NotFound) };
            let staff_may_price = row.status == ProductStatus::Draft && row.staff_may_price();
            (input.unwrap_or_else(|| row.input()), r.db.all::<VariantRow>(&variants_sql(id)).await?, staff_may_price)
        }
        None => (
            input.unwrap_or_else(ProductInput::blank),
            Vec::new(),
            true,
        ),
    };
    let images: Vec<crate::app::product_media::ImageRow> = match id {
        Some(id) => r.db.all(&crate::app::product_media::images_sql(id)).await?,
        None => Vec::new(),
    };
    let marketplace_links: Vec<crate::app::sharing::MarketplaceLink> = match id {
        Some(id) => r.db.all(&crate::app::sharing::links_sql(id)).await?,
        None => Vec::new(),
    };
    let marketplace_typed: &[(String, String)] =
        if errors.iter().any(|(f, _)| crate::domain::sharing::Marketplace::ALL.iter().any(|m| m.field() == *f)) { r.form } else { &[] };
    let sizes: Vec<String> = r.db.all::<CodeRow>(&sizes_sql()).await?.into_iter().map(|c| c.code).collect();
    let colors: Vec<crate::app::admin_product::ColorRow> = r.db.all(&colors_sql()).await?;
    let status = if !errors.is_empty() || matches!(message, Some((false, _))) { 422 } else { 200 };
    // A refused variant keeps what was typed into its form.
    let variant_values: &[(String, String)] = if errors.iter().any(|(f, _)| f.starts_with("variant.")) { r.form } else { &[] };
    let view = ProductFormView {
        id,
        input: &input,
        categories: &categories,
        variants: &variants,
        sizes: &sizes,
        colors: &colors,
        errors,
        can_edit: r.role.can(Permission::EditProducts),
        can_price: r.role.can(Permission::EditPrices),
        can_add_variant: r.role.can(Permission::EditPrices) || (r.role.can(Permission::EditProducts) && staff_may_price),
        message,
        images: &images,
        variant_values,
        marketplace_links: &marketplace_links,
        marketplace_typed,
    };
    let path = id.map_or("/admin/products/new".to_string(), |id| format!("/admin/products/{id}"));
    Ok(page(status, catalog::product_form_page(&r.ctx(&path), &view)))
}

/// A product's page with an error message above it (for the image forms).
pub(super) async fn product_form_with(r: &Req<'_>, id: i64, message: String) -> Result<Response, AppError> {
    product_form(r, Some(id), None, &[], Some((false, message))).await
}

async fn product_page(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let message = (r.param("saved") == "1").then(|| (true, "Đã lưu.".to_string()));
    product_form(r, Some(id), None, &[], message).await
}

async fn save_product(r: &Req<'_>, id: Option<i64>) -> Result<Response, AppError> {
    let input = match ProductInput::parse(r.form) {
        Ok(input) => input,
        Err(errors) => {
            let partial = ProductInput::parse_lenient(r.form);
            return product_form(r, id, Some(partial), &errors, None).await;
        }
    };
    let now = now();
    match id {
        None => {
            if input.status == ProductStatus::Archived {
                return product_form(r, None, Some(input), &[("status", "Sản phẩm mới là bản nháp hoặc đang bán.")], None).await;
            }
            let next = r.db.all::<crate::app::promotions::CountRow>(&next_id_sql()).await?.into_iter().next().map_or(1, |c| c.n);
            if !changed(r.db, &create_batch(r.actor, next, &input, now)).await? {
                return product_form(r, None, Some(input), &[("slug", "Đường dẫn này đã có sản phẩm khác dùng (hoặc danh mục không còn).")], None).await;
            }
            bump_catalog_version(r.env).await?;
            Ok(redirect(&format!("/admin/products/{next}?saved=1"), Vec::new()))
        }
        Some(id) => {
            let Some(before) = r.db.all::<ProductRow>(&product_sql(id)).await?.into_iter().next() else { return Err(AppError::NotFound) };
            if !before.status.can_move_to(input.status) {
                return product_form(r, Some(id), Some(input), &[("status", "Sản phẩm lưu trữ phải về bản nháp trước khi bán lại.")], None).await;
            }
            if !changed(r.db, &update_batch(r.actor, &before, &input, now)).await? {
                return product_form(r, Some(id), Some(input), &[("slug", "Đường dẫn này đã có sản phẩm khác dùng, hoặc sản phẩm vừa được người khác sửa.")], None).await;
            }
            bump_catalog_version(r.env).await?;
            Ok(redirect(&format!("/admin/products/{id}?saved=1"), Vec::new()))
        }
    }
}

/// The product's "also on Shopee / TikTok Shop" links: checked, replaced (audited), and the
/// cached product page dropped with the catalog version.
async fn save_marketplace_links(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let links = match crate::app::sharing::parse_links(r.form) {
        Ok(links) => links,
        Err(errors) => return product_form(r, Some(id), None, &errors, None).await,
    };
    if r.db.all::<ProductRow>(&product_sql(id)).await?.is_empty() {
        return Err(AppError::NotFound);
    }
    let before: Vec<crate::app::sharing::MarketplaceLink> = r.db.all(&crate::app::sharing::links_sql(id)).await?;
    r.db.batch(&crate::app::sharing::set_links_batch(r.actor, id, &before, &links, now())).await?;
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{id}?saved=1#marketplaces"), Vec::new()))
}

async fn add_variant(r: &Req<'_>, id: i64) -> Result<Response, AppError> {
    let input = match VariantInput::parse(r.form) {
        Ok(v) => v,
        Err(errors) => return product_form(r, Some(id), None, &variant_errors(&errors), None).await,
    };
    match crate::app::admin_product::add_variant(r.db, r.actor, id, &input, r.role.can(Permission::EditPrices), now()).await {
        Ok(()) => {}
        Err(VariantError::NotFound) => return Err(AppError::NotFound),
        Err(VariantError::NeedsPricePermission) => {
            let why = "Sản phẩm này đang hoặc đã từng được bán: chỉ quản lý mới thêm được biến thể (và đặt giá) cho nó. Nhân viên chỉ thêm biến thể cho sản phẩm chưa từng bán.";
            return Ok(product_form(r, Some(id), None, &[], Some((false, why.into()))).await?.with_status(403));
        }
        Err(VariantError::Taken(errors)) => return product_form(r, Some(id), None, &variant_errors(&errors), None).await,
        Err(VariantError::Db(e)) => return Err(e.into()),
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{id}?saved=1"), Vec::new()))
}

/// The add-variant form's errors, keyed apart from the product form's fields (both have a weight).
fn variant_errors(errors: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    errors
        .iter()
        .map(|(field, message)| {
            let key = match *field {
                "sku" => "variant.sku",
                "size" => "variant.size",
                "color" => "variant.color",
                "price" => "variant.price",
                "compare_at_price" => "variant.compare_at_price",
                "barcode" => "variant.barcode",
                _ => "variant.weight_grams",
            };
            (key, *message)
        })
        .collect()
}

async fn variant_action(r: &Req<'_>, id: i64, vid: i64, action: &str) -> Result<Response, AppError> {
    let Some(variant) = r.db.all::<VariantRow>(&variants_sql(id)).await?.into_iter().find(|v| v.id == vid) else { return Err(AppError::NotFound) };
    match action {
        "price" => {
            let (price, compare) = match positive_prices(r.form) {
                Ok(p) => p,
                Err(errors) => {
                    let text = errors.iter().map(|(_, m)| *m).collect::<Vec<_>>().join(" ");
                    return product_form(r, Some(id), None, &[], Some((false, text))).await;
                }
            };
            changed(r.db, &set_price_batch(r.actor, id, &variant, price, compare, now())).await?;
        }
        "remove" => {
            if r.field("confirm") != "1" {
                return product_form(r, Some(id), None, &[], Some((false, "Hãy đánh dấu “Chắc chắn” để xoá biến thể.".into()))).await;
            }
            if !changed(r.db, &remove_variant_batch(r.actor, id, vid, &variant.sku, now())).await? {
                let msg = "Không xoá được biến thể đã có đơn hàng, đang được giữ hoặc đã có lịch sử tồn kho; hãy đặt tồn kho về 0 thay vì xoá.";
                return product_form(r, Some(id), None, &[], Some((false, msg.into()))).await;
            }
        }
        _ => return Err(AppError::NotFound),
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{id}?saved=1"), Vec::new()))
}

async fn export_csv(r: &Req<'_>) -> Result<Response, AppError> {
    let rows: Vec<crate::domain::catalog_csv::VariantRow> = r.db.all(&crate::app::admin_catalog::export_sql()).await?;
    Ok(attachment("text/csv; charset=utf-8", crate::domain::catalog_csv::export(&rows), "vestify-products.csv"))
}
