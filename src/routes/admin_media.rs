//! A product's images in the admin panel: upload (checked by content, stored in KV under its
//! SHA-256), alt texts and variant, order, delete. Each write is audited and bumps the catalog
//! version, so the storefront shows the change at once. With the page's script the upload also
//! carries the image's smaller copies (widths 320/640/1280 and the 1200×630 social crop, made in
//! the admin's browser); each is checked against the original (`domain::image_size`) and stored
//! like it. `POST …/images/{id}/sizes` adds them later to an image uploaded without them.

use crate::app::db::Db;
use worker::Response;

use super::admin_catalog::{bump_catalog_version, product_form_with, Req};
use super::admin_upload::{max_bytes, too_large};
use super::http::redirect;
use crate::app::product_media::{add_batch, alt, delete_batch, images_sql, reorder_batch, sizes_batch, update_batch, ImageRow};
use crate::app::taxonomy::{moved, Direction};
use crate::domain::error::AppError;
use crate::domain::image_size::{check_derived, Original, Slot};
use crate::domain::media::{self, check, Checked, Problem};
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
    let copies = match checked_copies(r, Original::read(checked.kind, &checked.bytes)) {
        Ok(copies) => copies,
        Err(message) => return refuse(r, product_id, 422, message).await,
    };
    store(r, &checked).await?;
    for (_, copy) in &copies {
        store(r, copy).await?;
    }
    let mut batch = add_batch(r.actor, product_id, &checked, &alt(&r.field("alt_vi")), &alt(&r.field("alt_en")), variant_field(r), now());
    if !copies.is_empty() {
        batch.extend(sizes_batch(r.actor, product_id, &checked.url(), &copies, now()));
    }
    if !changed(r.db, &batch).await? {
        return refuse(r, product_id, 422, "Không thêm được ảnh: biến thể không thuộc sản phẩm này.".into()).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{product_id}?saved=1#images"), Vec::new()))
}

/// Stores checked bytes in KV under their hash. Same hash, same bytes: an upload already stored
/// needs no second write. What is stored is what was checked (an SVG as the sanitiser wrote it),
/// never the bytes as they came.
async fn store(r: &Req<'_>, checked: &Checked) -> Result<(), AppError> {
    let kv = r.env.kv(KV).map_err(|e| AppError::internal("kv binding", e))?;
    if kv.get(&checked.key()).bytes().await.ok().flatten().is_none() {
        kv.put_bytes(&checked.key(), &checked.bytes)
            .map_err(|e| AppError::internal("kv put", e))?
            .execute()
            .await
            .map_err(|e| AppError::internal("kv put", e))?;
    }
    Ok(())
}

/// The smaller copies the form carries, each checked against the original; the first refusal as
/// the admin's message. Copies of an SVG (or of an image whose size cannot be read) are refused.
fn checked_copies(r: &Req<'_>, original: Option<Original>) -> Result<Vec<(Slot, Checked)>, String> {
    if r.derived.is_empty() {
        return Ok(Vec::new());
    }
    let Some(original) = original else {
        return Err("Ảnh này (SVG, hoặc không đọc được kích thước) không cần bản nhỏ. / This image (SVG, or of unreadable size) takes no smaller copies.".into());
    };
    let max = max_bytes(r.env);
    r.derived.iter().map(|(slot, file)| check_derived(&original, *slot, &file.bytes, max).map(|c| (*slot, c)).map_err(|p| p.message(*slot))).collect()
}

/// Adds the smaller copies, made in the admin's browser from the stored original, to an image
/// uploaded without them.
async fn add_sizes(r: &Req<'_>, product_id: i64, image: &ImageRow) -> Result<Response, AppError> {
    if r.derived.is_empty() {
        return refuse(r, product_id, 400, "Không có bản nhỏ nào được gửi lên. / No smaller copies were sent.".into()).await;
    }
    let original = match media::parse_path(&image.url) {
        Some((hash, kind)) => {
            let kv = r.env.kv(KV).map_err(|e| AppError::internal("kv binding", e))?;
            kv.get(&media::key(&hash)).bytes().await.ok().flatten().and_then(|bytes| Original::read(kind, &bytes))
        }
        None => None,
    };
    let copies = match checked_copies(r, original) {
        Ok(copies) => copies,
        Err(message) => return refuse(r, product_id, 422, message).await,
    };
    for (_, copy) in &copies {
        store(r, copy).await?;
    }
    r.db.batch(&sizes_batch(r.actor, product_id, &image.url, &copies, now())).await?;
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
        Some("sizes") => return add_sizes(r, product_id, image).await,
        Some(_) => return Err(AppError::NotFound),
    };
    if !changed(r.db, &batch).await? {
        return refuse(r, product_id, 422, "Không lưu được ảnh (biến thể không thuộc sản phẩm này?).".into()).await;
    }
    bump_catalog_version(r.env).await?;
    Ok(redirect(&format!("/admin/products/{product_id}?saved=1#images"), Vec::new()))
}
