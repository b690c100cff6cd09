//! A product's images in the admin panel: upload (checked by content, stored in KV under its
//! SHA-256), alt texts and variant, order, delete. Each write is audited and bumps the catalog
//! version, so the storefront shows the change at once.

use crate::app::db::Db;
use worker::Response;

use super::admin_catalog::{bump_catalog_version, product_form_with, Req};
use super::admin_upload::{max_bytes, too_large};
use super::http::redirect;
use crate::app::product_media::{add_batch, alt, delete_batch, images_sql, reorder_batch, update_batch, ImageRow};
use crate::app::taxonomy::{moved, Direction};
use crate::domain::error::AppError;
use crate::domain::media::{check, Problem};
use crate::platform::accounts::changed;
use crate::platform::config::now;
use crate::platform::KV;

fn variant_field(r: &Req<'_>) -> Option<i64> {
    r.field("variant").parse().ok()
}

async fn refuse(r: &Req<'_>, id: i64, status: u16, message: String) -> Result<Response, AppError> {
    Ok(product_form_with(r, id, message).await?.with_status(status))
}

pub async fn upload(r: &Req<'_>, product_id: i64) -> Result<Response, AppError> {
    let Some(file) = r.upload else {
        return refuse(r, product_id, 400, "Hãy chọn một tệp ảnh.".into()).await;
    };
    let max = max_bytes(r.env);
    let checked = match check(&file.bytes, max) {
        Ok(c) => c,
        Err(Problem::TooLarge { max }) => return Ok(too_large(max)),
        Err(Problem::Empty) => return refuse(r, product_id, 400, "Tệp trống.".into()).await,
        Err(Problem::NotAnImage) => {
            let msg = format!("“{}” không phải ảnh JPEG, PNG, WebP, AVIF hay SVG (đã kiểm tra nội dung tệp, không dựa vào tên).", file.name);
            return refuse(r, product_id, 400, msg).await;
        }
        Err(Problem::UnsafeSvg(what)) => {
            let msg = format!("Ảnh SVG này chứa nội dung có thể chạy mã ({what}); hãy xuất lại SVG không có script, sự kiện hay liên kết ra ngoài.");
            return refuse(r, product_id, 400, msg).await;
        }
        Err(Problem::InvalidSvg(what)) => {
            let msg = format!("Tệp SVG này không đọc được như một ảnh SVG ({what}); hãy xuất lại SVG thường (không DOCTYPE, có xmlns của SVG).");
            return refuse(r, product_id, 400, msg).await;
        }
    };
    let kv = r.env.kv(KV).map_err(|e| AppError::internal("kv binding", e))?;
    // Same hash, same bytes: an upload already stored needs no second write. What is stored is
    // what was checked (an SVG as the sanitiser wrote it), never the bytes as they came.
    if kv.get(&checked.key()).bytes().await.ok().flatten().is_none() {
        kv.put_bytes(&checked.key(), &checked.bytes)
            .map_err(|e| AppError::internal("kv put", e))?
            .execute()
            .await
            .map_err(|e| AppError::internal("kv put", e))?;
    }
    let batch = add_batch(r.actor, product_id, &checked, &alt(&r.field("alt_vi")), &alt(&r.field("alt_en")), variant_field(r), now());
    if !changed(r.db, &batch).await? {
        return refuse(r, product_id, 422, "Không thêm được ảnh: biến thể không thuộc sản phẩm này.".into()).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{product_id}?saved=1#images"), Vec::new()))
}

pub async fn act(r: &Req<'_>, product_id: i64, image_id: i64, action: Option<&str>) -> Result<Response, AppError> {
    let images: Vec<ImageRow> = r.db.all(&images_sql(product_id)).await?;
    let Some(image) = images.iter().find(|i| i.id == image_id) else { return Err(AppError::NotFound) };
    let batch = match action {
        None => update_batch(r.actor, product_id, image, &alt(&r.field("alt_vi")), &alt(&r.field("alt_en")), variant_field(r), now()),
        Some("move") => {
            let order: Vec<i64> = images.iter().map(|i| i.id).collect();
            let Some(after) = Direction::parse(&r.field("dir")).and_then(|d| moved(&order, image_id, d)) else {
                return refuse(r, product_id, 422, "Ảnh này không thể di chuyển theo hướng đó.".into()).await;
            };
            reorder_batch(r.actor, product_id, image_id, &order, &after, now())
        }
        Some("delete") => {
            if r.field("confirm") != "1" {
                return refuse(r, product_id, 422, "Hãy đánh dấu “Chắc chắn” để xoá ảnh.".into()).await;
            }
            delete_batch(r.actor, product_id, image, now())
        }
        Some(_) => return Err(AppError::NotFound),
    };
    if !changed(r.db, &batch).await? {
        return refuse(r, product_id, 422, "Không lưu được ảnh (biến thể không thuộc sản phẩm này?).".into()).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{product_id}?saved=1#images"), Vec::new()))
}
