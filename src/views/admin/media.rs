//! A product's images on its edit page: the gallery in order with alt texts (vi/en), the variant
//! each shows, move up/down, delete (with confirmation), and the upload form. No script needed;
//! with `js/admin-images.js` an uploaded photo's smaller copies (issue #16) are made in the browser
//! and sent with it, and a photo stored without them gets a button that makes them.

use maud::{html, Markup};

use super::{csrf_field, AdminCtx};
use crate::app::admin_product::VariantRow;
use crate::app::product_media::ImageRow;
use crate::domain::locale::Locale;

fn w(ctx: &AdminCtx, vi: &'static str, en: &'static str) -> &'static str {
    match ctx.locale {
        Locale::Vi => vi,
        Locale::En => en,
    }
}

fn variant_select(ctx: &AdminCtx, variants: &[VariantRow], colors: &[crate::app::admin_product::ColorRow], selected: Option<i64>) -> Markup {
    html! {
        label { (w(ctx, "Biến thể", "Variant"))
            select name="variant" {
                option value="" { (w(ctx, "Mọi biến thể", "All variants")) }
                @for v in variants { option value=(v.id) selected[selected == Some(v.id)] { (v.sku) " · " (v.size) " · " (crate::app::admin_product::ColorRow::name_of(colors, &v.color, ctx.locale)) } }
            }
        }
    }
}

/// Whether an image is an uploaded raster photo without smaller copies (the demo's SVG drawings and
/// uploaded SVGs need none).
fn lacks_sizes(img: &ImageRow) -> bool {
    img.sizes == 0 && crate::domain::media::parse_path(&img.url).is_some_and(|(_, kind)| kind != crate::domain::media::Kind::Svg)
}

pub fn images_section(ctx: &AdminCtx, product_id: i64, images: &[ImageRow], variants: &[VariantRow], colors: &[crate::app::admin_product::ColorRow], can_edit: bool) -> Markup {
    let base = format!("/admin/products/{product_id}/images");
    let working = w(ctx, "Đang tạo các cỡ nhỏ…", "Making the smaller sizes…");
    html! {
        section.product-images #images {
            h2 { (w(ctx, "Hình ảnh", "Images")) }
            @if images.is_empty() { p { (w(ctx, "Chưa có hình nào.", "No images yet.")) } }
            ol.image-list {
                @for (i, img) in images.iter().enumerate() {
                    li data-image=(img.id) {
                        img src=(img.url) alt=(img.alt_vi) width="120" height=(img.height * 120 / img.width.max(1)) loading="lazy";
                        @if lacks_sizes(img) {
                            p.hint data-no-sizes="" { (w(ctx, "Chưa có cỡ nhỏ: điện thoại tải ảnh gốc.", "No smaller sizes: phones download the original.")) }
                            @if can_edit {
                                form method="post" action=(ctx.href(&format!("{base}/{}/sizes", img.id))) enctype="multipart/form-data" data-sizes-for=(img.url) hidden {
                                    (csrf_field())
                                    button type="submit" { (w(ctx, "Tạo các cỡ nhỏ", "Make the smaller sizes")) }
                                    span data-sizes-status="" data-working=(working) data-failed=(w(ctx, "Không tạo được", "Could not make them")) role="status" {}
                                }
                            }
                        } @else if img.sizes > 0 {
                            p.hint { (w(ctx, "Có các cỡ nhỏ và ảnh chia sẻ.", "Has smaller sizes and a social image.")) }
                        }
                        @if can_edit {
                            form method="post" action=(ctx.href(&format!("{base}/{}", img.id))) {
                                (csrf_field())
                                label { (w(ctx, "Mô tả ảnh (tiếng Việt)", "Alt text (Vietnamese)")) input type="text" name="alt_vi" maxlength="200" value=(img.alt_vi); }
                                label { (w(ctx, "Mô tả ảnh (tiếng Anh)", "Alt text (English)")) input type="text" name="alt_en" maxlength="200" value=(img.alt_en); }
                                (variant_select(ctx, variants, colors, img.variant_id))
                                button type="submit" { (w(ctx, "Lưu ảnh", "Save image")) }
                            }
                            div.image-actions {
                                @if i > 0 {
                                    form method="post" action=(ctx.href(&format!("{base}/{}/move", img.id))) {
                                        (csrf_field()) input type="hidden" name="dir" value="up";
                                        button type="submit" aria-label=(w(ctx, "Lên trước", "Move up")) { "↑" }
                                    }
                                }
                                @if i + 1 < images.len() {
                                    form method="post" action=(ctx.href(&format!("{base}/{}/move", img.id))) {
                                        (csrf_field()) input type="hidden" name="dir" value="down";
                                        button type="submit" aria-label=(w(ctx, "Xuống sau", "Move down")) { "↓" }
                                    }
                                }
                                form method="post" action=(ctx.href(&format!("{base}/{}/delete", img.id))) {
                                    (csrf_field())
                                    label.check { input type="checkbox" name="confirm" value="1" required; (w(ctx, "Chắc chắn", "I am sure")) }
                                    button type="submit" { (w(ctx, "Xoá ảnh", "Delete image")) }
                                }
                            }
                        } @else {
                            p { (img.alt_vi) " / " (img.alt_en) }
                        }
                    }
                }
            }
            @if can_edit {
                form.image-upload method="post" action=(ctx.href(&base)) enctype="multipart/form-data" data-make-sizes="" data-max-bytes=(crate::domain::media::DEFAULT_MAX_BYTES) {
                    (csrf_field())
                    h3 { (w(ctx, "Tải ảnh lên", "Upload an image")) }
                    p.hint { (w(ctx, "JPEG, PNG, WebP, AVIF hoặc SVG (không có script), tối đa 5 MB. Loại tệp được kiểm tra theo nội dung.",
                        "JPEG, PNG, WebP, AVIF or SVG (without script), up to 5 MB. The type is checked from the content.")) }
                    label { (w(ctx, "Tệp ảnh", "Image file")) input type="file" name="file" accept="image/jpeg,image/png,image/webp,image/avif,image/svg+xml" required; }
                    label { (w(ctx, "Mô tả ảnh (tiếng Việt)", "Alt text (Vietnamese)")) input type="text" name="alt_vi" maxlength="200"; }
                    label { (w(ctx, "Mô tả ảnh (tiếng Anh)", "Alt text (English)")) input type="text" name="alt_en" maxlength="200"; }
                    (variant_select(ctx, variants, colors, None))
                    button type="submit" { (w(ctx, "Tải lên", "Upload")) }
                    span data-sizes-status="" data-working=(working) role="status" {}
                }
            }
            script src=(crate::assets::url("js/admin-images.js")) nonce=(crate::views::security::nonce()) defer {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::admin_product::ColorRow;
    use crate::domain::locale::Locale;
    use crate::domain::money::Vnd;

    #[test]
    fn the_image_variant_select_names_colours() {
        let ctx = AdminCtx { locale: Locale::Vi, path: "/admin/products/1".into(), query: String::new(), user: "m".into(), role: "Quản lý".into(), sections: Vec::new() };
        let variant = VariantRow { id: 7, sku: "GL-NAVY-M".into(), size: "M".into(), color: "navy".into(), price: Vnd::new(1), compare_at_price: None, barcode: None, weight_grams: 1, on_hand: 1, reserved: 0 };
        let colors = [ColorRow { code: "navy".into(), name_vi: "Xanh navy".into(), name_en: "Navy".into() }];
        let html = images_section(&ctx, 1, &[], &[variant], &colors, true).into_string();
        assert!(html.contains("GL-NAVY-M · M · Xanh navy</option>"), "{html}");
    }

    #[test]
    fn a_photo_without_smaller_sizes_is_marked_and_offered_them() {
        let ctx = AdminCtx { locale: Locale::Vi, path: "/admin/products/1".into(), query: String::new(), user: "m".into(), role: "Quản lý".into(), sections: Vec::new() };
        let row = |id, url: String, sizes| ImageRow { id, url, alt_vi: String::new(), alt_en: String::new(), variant_id: None, color: None, width: 10, height: 10, position: id, sizes };
        let images = [row(1, format!("/media/{}.jpg", "a".repeat(64)), 0), row(2, format!("/media/{}.jpg", "b".repeat(64)), 4), row(3, format!("/media/{}.svg", "c".repeat(64)), 0), row(4, "/img/x.svg".into(), 0)];
        let html = images_section(&ctx, 1, &images, &[], &[], true).into_string();
        assert_eq!(html.matches("data-no-sizes").count(), 1, "only the photo without copies: {html}");
        assert!(html.contains(&format!("action=\"/admin/products/1/images/1/sizes\" enctype=\"multipart/form-data\" data-sizes-for=\"/media/{}.jpg\" hidden", "a".repeat(64))));
        assert!(html.contains("data-make-sizes") && html.contains("js/admin-images"));
    }
}
