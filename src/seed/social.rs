//! The demo catalog's social images: each product's first picture, each category's tile and the
//! home page's hero, rasterised by resvg into a 1200 × 630 PNG (`domain::sharing`). A square
//! picture is centred on its own backdrop colour (the pixel in its corner), so the letterbox
//! continues the studio background; the wide hero fills the frame and is cropped at the sides.
//! Host-only: the Worker serves the committed PNGs from `public/` and never rasterises anything.

use std::collections::HashMap;

use resvg::{tiny_skia, usvg};

use super::{Catalog, HERO_IMAGE};
use crate::domain::sharing::{self, SOCIAL_HEIGHT, SOCIAL_WIDTH};

/// How a picture fills the 1200 × 630 frame.
#[derive(Clone, Copy)]
enum Fit {
    /// Whole picture visible, 90 % of the frame's height, the rest its corner colour.
    Contain,
    /// Frame filled, the overflow cropped evenly.
    Cover,
}

/// (path under `public/`, PNG bytes) for every product, category and the home page.
pub fn social_images(catalog: &Catalog, svgs: &[(String, String)]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let svg_of: HashMap<&str, &str> = svgs.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
    let source = |site_path: &str| -> Result<&str, String> {
        let rel = site_path.trim_start_matches('/');
        svg_of.get(rel).copied().ok_or_else(|| format!("no generated picture at {rel}"))
    };
    let mut out = Vec::new();
    out.push((sharing::HOME_IMAGE.to_string(), rasterise(source(HERO_IMAGE)?, Fit::Cover)?));
    for c in &catalog.categories {
        out.push((sharing::category_image(c.slug), rasterise(source(&c.image_path)?, Fit::Contain)?));
    }
    for p in &catalog.products {
        let first = catalog.images.iter().filter(|i| i.product_id == p.id).min_by_key(|i| i.position);
        let Some(first) = first else { return Err(format!("product {} has no picture", p.slug)) };
        out.push((sharing::product_image(p.slug), rasterise(source(&first.url)?, Fit::Contain)?));
    }
    Ok(out)
}

/// One SVG drawn into the social frame, as PNG.
fn rasterise(svg: &str, fit: Fit) -> Result<Vec<u8>, String> {
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).map_err(|e| e.to_string())?;
    let size = tree.size();
    let (w, h) = (SOCIAL_WIDTH as f32, SOCIAL_HEIGHT as f32);
    let scale = match fit {
        Fit::Contain => (h * 0.9 / size.height()).min(w / size.width()),
        Fit::Cover => (h / size.height()).max(w / size.width()),
    };
    let (dx, dy) = ((w - size.width() * scale) / 2.0, (h - size.height() * scale) / 2.0);
    let mut pixmap = tiny_skia::Pixmap::new(SOCIAL_WIDTH, SOCIAL_HEIGHT).ok_or("empty frame")?;
    // The backdrop: the picture's own corner colour, read from a 1 × 1 render of that corner.
    let mut corner = tiny_skia::Pixmap::new(1, 1).ok_or("empty corner")?;
    resvg::render(&tree, tiny_skia::Transform::from_translate(-1.0, -1.0), &mut corner.as_mut());
    let c = corner.pixel(0, 0).ok_or("no corner pixel")?.demultiply();
    pixmap.fill(tiny_skia::Color::from_rgba8(c.red(), c.green(), c.blue(), 255));
    resvg::render(&tree, tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, dx, dy), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| e.to_string())
}

/// The width and height a PNG's header declares (IHDR), for the checks on committed files.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_picture_is_letterboxed_on_its_own_backdrop() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100"><rect width="100" height="100" fill="#f4f1ec"/><rect x="40" y="40" width="20" height="20" fill="#000"/></svg>"##;
        let png = rasterise(svg, Fit::Contain).unwrap();
        assert_eq!(png_size(&png), Some((1200, 630)));
        let img = tiny_skia::Pixmap::decode_png(&png).unwrap();
        let at = |x, y| {
            let p = img.pixel(x, y).unwrap();
            (p.red(), p.green(), p.blue())
        };
        assert_eq!(at(5, 5), (0xf4, 0xf1, 0xec), "the letterbox continues the backdrop");
        assert_eq!(at(600, 315), (0, 0, 0), "the picture is centred");
    }
}
