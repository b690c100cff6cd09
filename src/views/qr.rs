//! QR codes as server-rendered SVG (the VietQR bank-transfer code on an order's page): no script and
//! no image request, crisp at any size, and an image with a name for screen readers.
//!
//! The `qrcode` crate encodes the payload into the module matrix (error correction level M, 15 %:
//! what payment QR codes commonly use, readable from a phone screen or a slightly creased print);
//! this module draws it: one `<path>` with a rectangle per horizontal run of dark modules, inside
//! the four-module quiet zone the QR standard (ISO/IEC 18004) requires, with
//! `shape-rendering="crispEdges"` so no anti-aliased seams appear between modules when scaled.
//! Colours are presentation attributes, which the shop's Content-Security-Policy allows.

use maud::{html, Markup, PreEscaped};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the symbol, on each side (ISO/IEC 18004: at least four).
pub const QUIET_ZONE: usize = 4;
/// The SVG's intrinsic size per module, in CSS pixels (a page may scale it with CSS).
pub const PIXELS_PER_MODULE: usize = 6;

/// The payload does not fit in a QR code (over about 2,300 bytes at level M: never a VietQR payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the data does not fit in a QR code")
    }
}

impl std::error::Error for TooLong {}

/// The module matrix of `payload` at level M: `width` × `width` modules, row by row, `true` = dark.
pub fn modules(payload: &str) -> Result<(usize, Vec<bool>), TooLong> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).map_err(|_| TooLong)?;
    let width = code.width();
    Ok((width, code.to_colors().into_iter().map(|c| c == Color::Dark).collect()))
}

/// The path data drawing the dark modules, offset by the quiet zone: `M{x} {y}h{run}v1h-{run}z`
/// per horizontal run.
fn path_data(width: usize, dark: &[bool]) -> String {
    let mut d = String::new();
    for (y, row) in dark.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] {
                x += 1;
            }
            let run = x - start;
            d.push_str(&format!("M{} {}h{run}v1h-{run}z", start + QUIET_ZONE, y + QUIET_ZONE));
        }
    }
    d
}

/// `payload` as an SVG QR code (`role="img"`, named by `label`, which maud escapes), or `TooLong`.
pub fn qr_svg(payload: &str, label: &str) -> Result<Markup, TooLong> {
    let (width, dark) = modules(payload)?;
    let side = width + 2 * QUIET_ZONE;
    let pixels = side * PIXELS_PER_MODULE;
    let d = path_data(width, &dark);
    Ok(html! {
        svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox={ "0 0 " (side) " " (side) } width=(pixels) height=(pixels)
            shape-rendering="crispEdges" role="img" aria-label=(label) {
            rect width=(side) height=(side) fill="#fff" {}
            path fill="#000" d=(PreEscaped(d)) {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = "00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA530370454064590005802VN62120808VS000123630446DF";

    /// The dark modules the path draws, read back from its `M x y h run` commands.
    fn drawn(svg: &str, side: usize) -> Vec<bool> {
        let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut grid = vec![false; side * side];
        for command in d.split('M').filter(|c| !c.is_empty()) {
            let (xy, rest) = command.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let run: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            assert_eq!(rest, format!("{run}v1h-{run}z"));
            for i in 0..run {
                assert!(!grid[y * side + x + i], "no module is drawn twice");
                grid[y * side + x + i] = true;
            }
        }
        grid
    }

    #[test]
    fn the_svg_draws_exactly_the_dark_modules_inside_the_quiet_zone() {
        let (width, dark) = modules(PAYLOAD).unwrap();
        let svg = qr_svg(PAYLOAD, "VietQR").unwrap().into_string();
        let side = width + 2 * QUIET_ZONE;
        let grid = drawn(&svg, side);
        for y in 0..side {
            for x in 0..side {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x) && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let want = inside && dark[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)];
                assert_eq!(grid[y * side + x], want, "module ({x}, {y})");
            }
        }
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    }

    #[test]
    fn a_vietqr_payload_is_a_small_symbol_at_level_m() {
        // 119 characters, all digits and capitals (QR's alphanumeric mode): version 5, 37 modules.
        let (width, dark) = modules(PAYLOAD).unwrap();
        assert_eq!(width, 37);
        assert_eq!(dark.len(), 37 * 37);
        // The finder pattern's top-left corner and the module just outside it.
        assert!(dark[0] && dark[6] && !dark[7]);
    }

    #[test]
    fn the_svg_is_an_image_named_for_screen_readers_and_crisp() {
        let svg = qr_svg(PAYLOAD, "Mã VietQR <chuyển khoản> & \"đơn\"").unwrap().into_string();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"Mã VietQR &lt;chuyển khoản&gt; &amp; &quot;đơn&quot;\""), "{svg}");
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert!(svg.contains("width=\"270\" height=\"270\""), "(37 + 8) modules × 6 px");
        assert!(!svg.contains("style"), "no inline style under the CSP");
    }

    #[test]
    fn data_too_long_for_any_qr_code_is_an_error_not_a_panic() {
        assert_eq!(qr_svg(&"9".repeat(8000), "x").map(|_| ()), Err(TooLong));
    }
}
