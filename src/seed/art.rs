//! Original vest artwork as SVG: one silhouette per cut, filled in the variant colour with shading.
//!
//! Every drawing lives in an 800 × 800 box with the garment centred on x = 400, so the left half is
//! written once and mirrored with [`r`]. A drawing is a fragment (its own `<defs>` plus shapes) whose
//! ids start with a caller-chosen prefix, so several vests can share one document (the hero image).

use std::fmt::Write;

/// Width and height of one vest drawing.
pub const BOX: i32 = 800;

/// The backdrop of product photos: a warm studio grey.
pub const STUDIO: &str = "#f4f1ec";

/// Woven surface of a tailored waistcoat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fabric {
    Plain,
    Tweed,
    Check,
    Linen,
    Velvet,
}

/// Surface of a knitted vest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stitch {
    Rib,
    Cable,
    Argyle,
}

/// How a vest is drawn: its silhouette and the details that tell the styles apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Art {
    /// Tailored waistcoat: V-neck, pointed fronts, welt pockets, buttons down the front.
    Suit { buttons: u8, double_breasted: bool, lapel: bool, fabric: Fabric, fitted: bool, cropped: bool },
    /// Quilted vest with a stand collar and a zip.
    Puffer { hood: bool, cropped: bool },
    /// Sweater vest with ribbed trims.
    Knit { stitch: Stitch, buttons: bool, cropped: bool },
    /// Trucker-style denim vest with a point collar, flap pockets and metal buttons.
    Denim { sherpa: bool, distressed: bool, oversized: bool },
    /// Zip-front vest covered in patch pockets.
    Utility { mesh: bool },
    /// Women's hip-length vest with lapels and a tie belt.
    Longline,
}

/// Which side of the garment faces the camera.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Front,
    Back,
}

/// Mirror an x coordinate about the centre line.
fn r(x: i32) -> i32 {
    BOX - x
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Rgb(f64, f64, f64);

impl Rgb {
    fn parse(hex: &str) -> Rgb {
        let h = hex.trim_start_matches('#');
        let c = |i: usize| f64::from(u8::from_str_radix(h.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128));
        Rgb(c(0), c(2), c(4))
    }

    fn mix(self, o: Rgb, t: f64) -> Rgb {
        Rgb(self.0 + (o.0 - self.0) * t, self.1 + (o.1 - self.1) * t, self.2 + (o.2 - self.2) * t)
    }

    fn light(self, t: f64) -> String {
        self.mix(Rgb(255.0, 255.0, 255.0), t).hex()
    }

    fn dark(self, t: f64) -> String {
        self.mix(Rgb(0.0, 0.0, 0.0), t).hex()
    }

    fn hex(self) -> String {
        let b = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        format!("#{:02x}{:02x}{:02x}", b(self.0), b(self.1), b(self.2))
    }

    /// Relative brightness, 0 (black) to 1 (white); good enough to pick a contrasting detail colour.
    fn luma(self) -> f64 {
        (0.299 * self.0 + 0.587 * self.1 + 0.114 * self.2) / 255.0
    }

    /// A colour that reads on top of this one: lighter on dark cloth, darker on light cloth.
    fn contrast(self, t: f64) -> String {
        if self.luma() < 0.3 {
            self.light(t)
        } else {
            self.dark(t)
        }
    }
}

/// The colours one drawing uses, all derived from the cloth colour.
struct Paint {
    cloth: Rgb,
    base: String,
    light: String,
    shade: String,
    /// Outlines and seams.
    line: String,
    /// The inside of the garment seen through the neck.
    inside: String,
}

impl Paint {
    fn new(hex: &str) -> Paint {
        let cloth = Rgb::parse(hex);
        let dark_cloth = cloth.luma() < 0.2;
        Paint {
            cloth,
            base: cloth.hex(),
            light: cloth.light(if dark_cloth { 0.16 } else { 0.14 }),
            shade: cloth.dark(0.24),
            line: if dark_cloth { cloth.light(0.3) } else { cloth.dark(0.45) },
            inside: cloth.dark(0.42),
        }
    }
}

enum Neck {
    /// A V neck ending at this y on the centre line.
    V(i32),
    /// A scooped or round neck dipping this far below the neck points.
    Round(i32),
}

/// The left half of a vest, mirrored into a closed path.
struct Outline {
    neck: (i32, i32),
    shoulder: (i32, i32),
    underarm: (i32, i32),
    /// How far the side seam curves in at the waist.
    waist_in: i32,
    /// The y of the hem at the side seams.
    hem: i32,
    /// How much lower the hem sits at the centre than at the sides.
    drop: i32,
    /// Waistcoat fronts that end in two points either side of the centre.
    pointed: bool,
    neckline: Neck,
}

impl Outline {
    fn lowest(&self) -> i32 {
        self.hem + self.drop
    }

    fn path(&self) -> String {
        let (nx, ny) = self.neck;
        let (sx, sy) = self.shoulder;
        let (ux, uy) = self.underarm;
        let (hx, hy, low) = (ux + 3, self.hem, self.lowest());
        let mid = (uy + hy) / 2;
        let w = 2 * self.waist_in;
        let mut d = format!("M{nx} {ny}L{sx} {sy}C{} {} {} {} {ux} {uy}Q{} {mid} {hx} {hy}", sx - 4, sy + 90, ux + 12, uy - 60, ux + w);
        if self.pointed {
            let _ = write!(d, "L384 {low}L400 {}L416 {low}L{} {hy}", low - 18, r(hx));
        } else {
            let _ = write!(d, "Q300 {low} 400 {low}Q500 {low} {} {hy}", r(hx));
        }
        let _ = write!(
            d,
            "Q{} {mid} {} {uy}C{} {} {} {} {} {sy}L{} {ny}",
            r(ux + w),
            r(ux),
            r(ux + 12),
            uy - 60,
            r(sx - 4),
            sy + 90,
            r(sx),
            r(nx)
        );
        match self.neckline {
            Neck::V(v) => {
                let _ = write!(d, "L400 {v}Z");
            }
            Neck::Round(dip) => {
                let _ = write!(d, "Q400 {} {nx} {ny}Z", ny + dip);
            }
        }
        d
    }

    /// Both armhole curves, for trims that follow them.
    fn armholes(&self) -> String {
        let ((sx, sy), (ux, uy)) = (self.shoulder, self.underarm);
        format!(
            "M{sx} {sy}C{} {} {} {} {ux} {uy}M{} {sy}C{} {} {} {} {} {uy}",
            sx - 4,
            sy + 90,
            ux + 12,
            uy - 60,
            r(sx),
            r(sx - 4),
            sy + 90,
            r(ux + 12),
            uy - 60,
            r(ux)
        )
    }

    /// The neckline on its own, for trims and bindings.
    fn neckline(&self) -> String {
        let (nx, ny) = self.neck;
        match self.neckline {
            Neck::V(v) => format!("M{nx} {ny}L400 {v}L{} {ny}", r(nx)),
            Neck::Round(dip) => format!("M{nx} {ny}Q400 {} {} {ny}", ny + dip, r(nx)),
        }
    }

    /// What shows through a V neck: the inside of the back, with a little brand label.
    fn inside(&self, paint: &Paint) -> String {
        let (nx, ny) = self.neck;
        match self.neckline {
            Neck::V(v) => format!(
                r##"<path d="M{nx} {ny}Q400 {} {} {ny}L400 {v}Z" fill="{}"/><rect x="386" y="{}" width="28" height="12" rx="2" fill="#e9e2d4"/>"##,
                ny + 30,
                r(nx),
                paint.inside,
                ny + 20
            ),
            Neck::Round(_) => String::new(),
        }
    }
}

/// A drawing in progress: shapes under the clip (`clipped`) are cut to the garment's outline.
struct Sketch<'a> {
    id: &'a str,
    /// The highest point of the drawing (collars and hoods rise above the neck points).
    top: i32,
    paint: Paint,
    outline: Outline,
    defs: String,
    behind: String,
    clipped: String,
    over: String,
}

impl<'a> Sketch<'a> {
    fn new(id: &'a str, hex: &str, outline: Outline) -> Sketch<'a> {
        Sketch {
            id,
            top: outline.neck.1,
            paint: Paint::new(hex),
            outline,
            defs: String::new(),
            behind: String::new(),
            clipped: String::new(),
            over: String::new(),
        }
    }

    /// A repeating tile, referenced as `url(#{id}{name})`.
    fn pattern(&mut self, name: &str, w: i32, h: i32, origin: (i32, i32), body: &str) {
        let _ = write!(
            self.defs,
            r#"<pattern id="{}{name}" width="{w}" height="{h}" x="{}" y="{}" patternUnits="userSpaceOnUse">{body}</pattern>"#,
            self.id, origin.0, origin.1
        );
    }

    /// Cover the whole garment with a pattern.
    fn cover(&mut self, name: &str) {
        let _ = write!(self.clipped, r#"<rect width="{BOX}" height="{BOX}" fill="url(#{}{name})"/>"#, self.id);
    }

    /// A band along a path: a solid stroke with ribbing drawn across it, half of it cut off by the clip.
    fn rib_band(&mut self, d: &str, width: i32, colour: &str) {
        let _ = write!(
            self.clipped,
            r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"/><path d="{d}" fill="none" stroke="{}" stroke-width="{width}" stroke-dasharray="2 4" opacity=".3"/>"#,
            self.paint.inside
        );
    }

    /// The finished fragment, scaled and centred so every cut fills the box about equally.
    fn finish(self) -> String {
        let d = self.outline.path();
        let id = self.id;
        let p = &self.paint;
        let (top, bottom) = (self.top, self.outline.lowest() + 48);
        let scale = (f64::from(BOX - 110) / f64::from(bottom - top)).min(1.18);
        let mut s = format!(
            r#"<g transform="translate(400 400) scale({scale:.3}) translate(-400 {})">"#,
            -(top + bottom) / 2
        );
        let _ = write!(
            s,
            r##"<defs><linearGradient id="{id}g" x1="0" x2="1"><stop offset="0" stop-color="{}"/><stop offset=".55" stop-color="{}"/><stop offset="1" stop-color="{}"/></linearGradient><clipPath id="{id}c"><path d="{d}"/></clipPath>{}</defs>"##,
            p.light, p.base, p.shade, self.defs
        );
        let _ = write!(
            s,
            r##"<ellipse cx="400" cy="{}" rx="240" ry="18" fill="#000" opacity=".08"/>"##,
            self.outline.lowest() + 30
        );
        s.push_str(&self.behind);
        let _ = write!(s, r#"<path d="{d}" fill="url(#{id}g)"/>"#);
        if !self.clipped.is_empty() {
            let _ = write!(s, r#"<g clip-path="url(#{id}c)">{}</g>"#, self.clipped);
        }
        let _ = write!(s, r#"<path d="{d}" fill="none" stroke="{}" stroke-width="3" stroke-linejoin="round"/>"#, p.line);
        s.push_str(&self.over);
        s.push_str("</g>");
        s
    }
}

/// A vest drawn in the 800 × 800 box, as an SVG fragment whose ids start with `{prefix}-`.
pub fn vest(art: Art, view: View, hex: &str, prefix: &str) -> String {
    let id = &format!("{prefix}-");
    match art {
        Art::Suit { buttons, double_breasted, lapel, fabric, fitted, cropped } => {
            suit(id, hex, view, Tailoring { buttons, double_breasted, lapel, fabric, fitted, cropped })
        }
        Art::Puffer { hood, cropped } => puffer(id, hex, view, hood, cropped),
        Art::Knit { stitch, buttons, cropped } => knit(id, hex, view, stitch, buttons, cropped),
        Art::Denim { sherpa, distressed, oversized } => denim(id, hex, view, sherpa, distressed, oversized),
        Art::Utility { mesh } => utility(id, hex, view, mesh),
        Art::Longline => longline(id, hex, view),
    }
}

/// A whole SVG document with an accessible title.
pub fn document(title: &str, width: i32, height: i32, background: &str, body: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="t"><title id="t">{}</title>{background}{body}</svg>
"#,
        xml_escape(title)
    )
}

/// Escape text for XML character data and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A flat studio backdrop for an 800 × 800 product image.
pub fn backdrop(colour: &str) -> String {
    format!(r#"<rect width="{BOX}" height="{BOX}" fill="{colour}"/>"#)
}

fn button(x: i32, y: i32, radius: i32, fill: &str, line: &str) -> String {
    format!(r#"<circle cx="{x}" cy="{y}" r="{radius}" fill="{fill}" stroke="{line}" stroke-width="1.5"/>"#)
}

/// `n` evenly spaced positions from `from` to `to`.
fn spread(n: u8, from: i32, to: i32) -> Vec<i32> {
    let n = i32::from(n.max(1));
    if n == 1 {
        return vec![from];
    }
    (0..n).map(|i| from + (to - from) * i / (n - 1)).collect()
}

/// A zip down the centre front, with its puller.
fn zip(top: i32, bottom: i32, line: &str) -> String {
    format!(
        r##"<path d="M400 {top}V{bottom}" stroke="{line}" stroke-width="7"/><path d="M400 {top}V{bottom}" stroke="#c9ccd1" stroke-width="3" stroke-dasharray="2 3"/><rect x="394" y="{}" width="12" height="28" rx="4" fill="#c9ccd1" stroke="{line}" stroke-width="1.5"/>"##,
        top + 8
    )
}

/// A patch pocket with a flap and a snap, stitched in `stitch`.
fn patch_pocket(x: i32, y: i32, w: i32, h: i32, p: &Paint, stitch: &str) -> String {
    let flap = (h / 4).clamp(18, 34);
    format!(
        r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="5" fill="{}" stroke="{}" stroke-width="2.5"/><rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="none" stroke="{stitch}" stroke-width="1.5" stroke-dasharray="5 4"/><rect x="{}" y="{}" width="{}" height="{flap}" rx="4" fill="{}" stroke="{}" stroke-width="2.5"/><circle cx="{}" cy="{}" r="5" fill="#c9ccd1" stroke="{}"/>"##,
        p.cloth.light(0.05),
        p.line,
        x + 6,
        y + flap + 4,
        w - 12,
        h - flap - 10,
        x - 3,
        y - 6,
        w + 6,
        p.cloth.dark(0.1),
        p.line,
        x + w / 2,
        y + flap - 14,
        p.line
    )
}

struct Tailoring {
    buttons: u8,
    double_breasted: bool,
    lapel: bool,
    fabric: Fabric,
    fitted: bool,
    cropped: bool,
}

fn suit(id: &str, hex: &str, view: View, t: Tailoring) -> String {
    let hem = if t.cropped { 520 } else { 600 };
    let v = match (t.double_breasted, t.buttons, t.cropped) {
        (true, _, _) => 390,
        (false, 0..=3, _) => 480,
        (false, _, true) => 400,
        (false, _, false) => 430,
    };
    let front = view == View::Front;
    let outline = Outline {
        neck: (338, 150),
        shoulder: if t.fitted { (276, 168) } else { (270, 170) },
        underarm: if t.fitted { (228, 342) } else { (222, 350) },
        waist_in: if t.fitted { 24 } else { 6 },
        hem,
        drop: if front { 80 } else { 20 },
        pointed: front,
        neckline: if front { Neck::V(v) } else { Neck::Round(18) },
    };
    let cloth = if front { Rgb::parse(hex) } else { Rgb::parse(hex).mix(Rgb(0.0, 0.0, 0.0), 0.16) };
    let mut k = Sketch::new(id, &cloth.hex(), outline);
    let line = k.paint.line.clone();
    let low = k.outline.lowest();

    if front {
        k.behind = k.outline.inside(&k.paint);
        fabric_texture(&mut k, t.fabric);
        if t.lapel {
            let shade = k.paint.cloth.dark(0.12);
            let d = k.outline.neckline();
            let _ = write!(k.clipped, r#"<path d="{d}" fill="none" stroke="{shade}" stroke-width="46"/>"#);
        }
        // Darts from the pockets towards the chest give the front its shape.
        let _ = write!(
            k.clipped,
            r#"<path d="M302 {}L308 {}M{} {}L{} {}" stroke="{line}" stroke-width="1.5" opacity=".45"/>"#,
            hem - 40,
            k.outline.underarm.1 + 10,
            r(302),
            hem - 40,
            r(308),
            k.outline.underarm.1 + 10
        );
        let edge = if t.double_breasted { format!("M400 {v}L452 {}V{low}", v + 42) } else { format!("M400 {v}V{low}") };
        let _ = write!(k.clipped, r#"<path d="{edge}" fill="none" stroke="{line}" stroke-width="2.5"/>"#);
        let welt = k.paint.cloth.dark(0.32);
        let py = hem - 70;
        let _ = write!(
            k.over,
            r#"<path d="M262 {py}l78 -8v11l-78 8zM{} {py}l-78 -8v11l78 8z" fill="{welt}"/>"#,
            r(262)
        );
        if !t.cropped && !t.fitted {
            let cy = k.outline.underarm.1 - 50;
            let _ = write!(k.over, r#"<path d="M466 {cy}l54 -6v10l-54 6z" fill="{welt}"/>"#);
        }
        let (fill, ring) = match t.fabric {
            Fabric::Linen => ("#8b6a45".to_string(), "#5e452b".to_string()),
            Fabric::Velvet => (k.paint.cloth.dark(0.2), line.clone()),
            _ => (k.paint.cloth.contrast(0.5), line.clone()),
        };
        if t.double_breasted {
            for y in spread(3, v + 70, low - 80) {
                k.over.push_str(&button(370, y, 9, &fill, &ring));
                k.over.push_str(&button(430, y, 9, &fill, &ring));
            }
        } else {
            for y in spread(t.buttons, v + 32, low - 56) {
                k.over.push_str(&button(400, y, 9, &fill, &ring));
            }
        }
    } else {
        // The back of a waistcoat is lining: a satin sheen, a centre seam and a buckled half-belt.
        let _ = write!(
            k.defs,
            r##"<linearGradient id="{id}s" x1="0" y1="0" x2="1" y2="1"><stop offset=".3" stop-color="#fff" stop-opacity="0"/><stop offset=".45" stop-color="#fff" stop-opacity=".18"/><stop offset=".6" stop-color="#fff" stop-opacity="0"/></linearGradient>"##
        );
        let _ = write!(k.clipped, r#"<rect width="{BOX}" height="{BOX}" fill="url(#{id}s)"/>"#);
        let by = hem - 110;
        let strap = k.paint.cloth.dark(0.25);
        let _ = write!(
            k.clipped,
            r##"<path d="M400 160V{low}" stroke="{line}" stroke-width="2"/><path d="M200 {by}L386 {}M600 {by}L414 {}" stroke="{strap}" stroke-width="18"/>"##,
            by + 4,
            by + 4
        );
        let _ = write!(
            k.over,
            r##"<rect x="380" y="{}" width="40" height="28" rx="4" fill="none" stroke="#b9bcc1" stroke-width="5"/>"##,
            by - 10
        );
    }
    k.finish()
}

fn fabric_texture(k: &mut Sketch, fabric: Fabric) {
    let dark = k.paint.cloth.dark(0.35);
    let light = k.paint.cloth.light(0.3);
    match fabric {
        Fabric::Plain => {}
        Fabric::Tweed => {
            k.pattern("t", 16, 12, (0, 0), &format!(r#"<path d="M0 0l8 6l-8 6M8 0l8 6l-8 6" fill="none" stroke="{dark}" stroke-width="1.5" opacity=".35"/>"#));
            k.cover("t");
        }
        Fabric::Check => {
            k.pattern(
                "t",
                64,
                64,
                (400, 0),
                &format!(
                    r#"<path d="M0 1H64M1 0V64" stroke="{dark}" stroke-width="3" opacity=".3"/><path d="M0 30H64M0 35H64M30 0V64M35 0V64" stroke="{light}" stroke-width="1.2" opacity=".45"/>"#
                ),
            );
            k.cover("t");
        }
        Fabric::Linen => {
            k.pattern(
                "t",
                10,
                10,
                (0, 0),
                &format!(r#"<path d="M0 2h6M3 7h7M2 0v4M8 4v5" stroke="{dark}" stroke-width="1" opacity=".18"/>"#),
            );
            k.cover("t");
        }
        Fabric::Velvet => {
            let _ = write!(
                k.defs,
                r##"<radialGradient id="{}t" cx=".38" cy=".4" r=".55"><stop offset="0" stop-color="#fff" stop-opacity=".26"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient>"##,
                k.id
            );
            k.cover("t");
        }
    }
}

fn puffer(id: &str, hex: &str, view: View, hood: bool, cropped: bool) -> String {
    let hem = if cropped { 540 } else { 630 };
    let outline = Outline {
        neck: (342, 170),
        shoulder: (262, 188),
        underarm: (226, 348),
        waist_in: if cropped { 8 } else { 0 },
        hem,
        drop: 14,
        pointed: false,
        neckline: Neck::Round(28),
    };
    let mut k = Sketch::new(id, hex, outline);
    k.top = if hood { 46 } else { 112 };
    let line = k.paint.line.clone();
    let low = k.outline.lowest();
    let front = view == View::Front;

    let hood_shape = r#"<path d="M316 196C288 124 318 50 400 46C482 50 512 124 484 196Z" fill="{fill}" stroke="{line}" stroke-width="3"/>"#;
    let collar = format!(
        r#"<path d="M334 112H466L470 180Q400 200 330 180Z" fill="url(#{id}g)" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>"#
    );
    if hood && front {
        k.behind.push_str(&hood_shape.replace("{fill}", &k.paint.shade).replace("{line}", &line));
        let _ = write!(k.behind, r#"<path d="M346 180C340 124 362 88 400 86C438 88 460 124 454 180Z" fill="{}"/>"#, k.paint.inside);
    }
    k.behind.push_str(&collar);
    if front {
        let _ = write!(k.behind, r#"<path d="M334 112Q400 130 466 112Q400 100 334 112Z" fill="{}"/>"#, k.paint.inside);
    }

    // Baffles: a tile one baffle high, lit from above and shaded at the stitch line.
    let b = if cropped { 62 } else { 58 };
    let _ = write!(
        k.defs,
        r##"<linearGradient id="{id}b" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#000" stop-opacity=".18"/><stop offset=".3" stop-color="#fff" stop-opacity=".14"/><stop offset="1" stop-color="#000" stop-opacity=".24"/></linearGradient>"##
    );
    k.pattern("q", BOX, b, (0, 200), &format!(r#"<rect width="{BOX}" height="{b}" fill="url(#{id}b)"/><path d="M0 {b}H{BOX}" stroke="{line}" stroke-width="3" opacity=".55"/>"#));
    k.cover("q");

    if front {
        k.over.push_str(&zip(112, low, &line));
        let _ = write!(
            k.over,
            r#"<path d="M270 {}L296 {}M{} {}L{} {}" stroke="{line}" stroke-width="4" stroke-linecap="round"/>"#,
            hem - 170,
            hem - 76,
            r(270),
            hem - 170,
            r(296),
            hem - 76
        );
        let _ = write!(k.over, r#"<rect x="452" y="236" width="38" height="14" rx="3" fill="{}"/>"#, k.paint.cloth.contrast(0.55));
    } else if hood {
        k.over.push_str(&hood_shape.replace("{fill}", &format!("url(#{id}g)")).replace("{line}", &line));
        let _ = write!(k.over, r#"<path d="M400 50V190" stroke="{line}" stroke-width="2" opacity=".6"/>"#);
    }
    k.finish()
}

fn knit(id: &str, hex: &str, view: View, stitch: Stitch, buttons: bool, cropped: bool) -> String {
    let hem = if cropped { 512 } else { 592 };
    let front = view == View::Front;
    let v = if cropped { 380 } else { 420 };
    let outline = Outline {
        neck: (336, 148),
        shoulder: (270, 166),
        underarm: (230, 336),
        waist_in: 4,
        hem,
        drop: 6,
        pointed: false,
        neckline: if front { Neck::V(v) } else { Neck::Round(14) },
    };
    let mut k = Sketch::new(id, hex, outline);
    let line = k.paint.line.clone();
    let low = k.outline.lowest();
    let groove = k.paint.cloth.dark(0.3);
    let raised = k.paint.cloth.light(0.12);
    if front {
        k.behind = k.outline.inside(&k.paint);
    }

    k.pattern("r", 9, 9, (0, 0), &format!(r#"<path d="M4.5 0V9" stroke="{groove}" stroke-width="2.5" opacity=".3"/>"#));
    k.cover("r");
    match stitch {
        Stitch::Rib => {}
        Stitch::Cable => {
            // A rope cable: one slanted twist per row, raised between two purl grooves.
            let mut rope = String::new();
            for x in [282, 344, 456, 518] {
                let twist = format!("M{} 2C{} 12 {} 8 {} 20", x - 12, x - 12, x + 12, x + 12);
                let _ = write!(
                    rope,
                    r#"<path d="M{} 0V20M{} 0V20" stroke="{groove}" stroke-width="4" opacity=".55"/><path d="{twist}" fill="none" stroke="{groove}" stroke-width="9" opacity=".5"/><path d="{twist}" fill="none" stroke="{raised}" stroke-width="5" stroke-linecap="round"/>"#,
                    x - 20,
                    x + 20
                );
            }
            k.pattern("k", BOX, 20, (0, 0), &rope);
            k.cover("k");
        }
        Stitch::Argyle => {
            let accent = k.paint.cloth.contrast(0.32);
            let thread = k.paint.cloth.contrast(0.6);
            k.pattern(
                "a",
                140,
                180,
                (330, 160),
                &format!(
                    r#"<path d="M70 0L140 90L70 180L0 90Z" fill="{accent}" opacity=".55"/><path d="M0 0L140 180M140 0L0 180" stroke="{thread}" stroke-width="2" stroke-dasharray="6 6" opacity=".7"/>"#
                ),
            );
            k.cover("a");
        }
    }

    let trim = k.paint.cloth.dark(0.08);
    let neck = k.outline.neckline();
    let arms = k.outline.armholes();
    k.rib_band(&neck, 44, &trim);
    k.rib_band(&arms, 40, &trim);
    k.rib_band(&format!("M0 {}H{BOX}", hem - 12), 52, &trim);
    if buttons && front {
        k.rib_band(&format!("M400 {v}V{low}"), 26, &trim);
        let _ = write!(k.clipped, r#"<path d="M400 {v}V{low}" stroke="{line}" stroke-width="2"/>"#);
        let fill = k.paint.cloth.contrast(0.45);
        for y in spread(5, v + 24, hem - 44) {
            k.over.push_str(&button(400, y, 8, &fill, &line));
        }
    }
    k.finish()
}

fn denim(id: &str, hex: &str, view: View, sherpa: bool, distressed: bool, oversized: bool) -> String {
    let hem = if oversized { 640 } else { 600 };
    let outline = Outline {
        neck: (340, 150),
        shoulder: if oversized { (254, 176) } else { (272, 168) },
        underarm: if oversized { (218, 372) } else { (226, 338) },
        waist_in: 2,
        hem,
        drop: 0,
        pointed: false,
        neckline: Neck::Round(42),
    };
    let mut k = Sketch::new(id, hex, outline);
    let line = k.paint.line.clone();
    let front = view == View::Front;
    let thread = if oversized { k.paint.cloth.light(0.25) } else { "#d49a4c".to_string() };
    let stitch = |d: &str| format!(r#"<path d="{d}" fill="none" stroke="{thread}" stroke-width="2" stroke-dasharray="6 4"/>"#);
    let fleece = "#efe6d3";

    let twill = k.paint.cloth.light(0.4);
    k.pattern("w", 7, 7, (0, 0), &format!(r#"<path d="M0 7L7 0" stroke="{twill}" stroke-width="1.5" opacity=".16"/>"#));
    k.cover("w");
    if distressed {
        let _ = write!(
            k.clipped,
            r##"<ellipse cx="322" cy="470" rx="62" ry="130" fill="#fff" opacity=".14"/><ellipse cx="478" cy="470" rx="62" ry="130" fill="#fff" opacity=".14"/>"##
        );
    }
    if sherpa {
        let arms = k.outline.armholes();
        let _ = write!(k.clipped, r#"<path d="{arms}" fill="none" stroke="{fleece}" stroke-width="26"/>"#);
    }
    // Yoke and hem band, both with the double row of contrast stitching denim is known for.
    let (side, centre) = if front { (268, 256) } else { (300, 250) };
    let yoke = |dy: i32| format!("M226 {}L400 {}L{} {}", side + dy, centre + dy, r(226), side + dy);
    let _ = write!(k.clipped, r#"<path d="{}" fill="none" stroke="{line}" stroke-width="2"/>"#, yoke(0));
    k.clipped.push_str(&stitch(&yoke(8)));
    k.clipped.push_str(&stitch(&format!("M0 {}H{BOX}M0 {}H{BOX}", hem - 34, hem - 8)));

    if front {
        let pocket = |x: i32| {
            let cx = x + 40;
            format!(
                r#"<path d="M{x} 304H{}V386L{cx} 398L{x} 386Z" fill="{}" stroke="{line}" stroke-width="2.5"/>{}<path d="M{} 294H{}V322L{cx} 336L{} 322Z" fill="{}" stroke="{line}" stroke-width="2.5"/><circle cx="{cx}" cy="322" r="7" fill="{}" stroke="{line}"/>"#,
                x + 80,
                k.paint.cloth.light(0.04),
                stitch(&format!("M{} 312V380L{cx} 390L{} 380V312", x + 6, x + 74)),
                x - 4,
                x + 84,
                x - 4,
                k.paint.cloth.dark(0.08),
                if oversized { "#b9bcc1" } else { "#b3874e" }
            )
        };
        let pockets = format!("{}{}", pocket(286), pocket(r(286) - 80));
        k.clipped.push_str(&stitch(&format!("M306 400L298 {hem}M354 400L358 {hem}M{} 400L{} {hem}M{} 400L{} {hem}", r(306), r(298), r(354), r(358))));
        let _ = write!(k.clipped, r#"<path d="M400 196V{hem}" stroke="{line}" stroke-width="2.5"/>"#);
        k.clipped.push_str(&stitch(&format!("M414 206V{}", hem - 4)));
        if distressed {
            let _ = write!(
                k.clipped,
                r##"<path d="M300 540h34M304 547h26M456 432h30M460 438h22" stroke="#f4f1ec" stroke-width="3" stroke-linecap="round"/>"##
            );
        }
        k.over.push_str(&pockets);
        let collar_fill = if sherpa { fleece.to_string() } else { k.paint.cloth.dark(0.06) };
        for pts in [[(340, 146), (400, 194), (360, 262), (316, 178)], [(r(340), 146), (400, 194), (r(360), 262), (r(316), 178)]] {
            let d = format!("M{} {}L{} {}L{} {}L{} {}Z", pts[0].0, pts[0].1, pts[1].0, pts[1].1, pts[2].0, pts[2].1, pts[3].0, pts[3].1);
            let _ = write!(k.over, r#"<path d="{d}" fill="{collar_fill}" stroke="{line}" stroke-width="2.5" stroke-linejoin="round"/>"#);
            if sherpa {
                let _ = write!(k.over, r#"<path d="{d}" fill="url(#{id}f)"/>"#);
            }
        }
        if sherpa {
            k.pattern("f", 12, 12, (0, 0), r##"<circle cx="3" cy="3" r="3" fill="#fff" opacity=".5"/><circle cx="9" cy="9" r="3" fill="#c9bda6" opacity=".5"/>"##);
        }
        let metal = if oversized { ("#b9bcc1", "#7d8288") } else { ("#b3874e", "#6e4f27") };
        for y in spread(5, 240, hem - 54) {
            k.over.push_str(&button(407, y, 10, metal.0, metal.1));
        }
    } else {
        let band = k.paint.cloth.dark(0.06);
        let _ = write!(k.over, r#"<path d="M334 142Q400 164 466 142L470 166Q400 192 330 166Z" fill="{}" stroke="{line}" stroke-width="2.5"/>"#, if sherpa { fleece } else { &band });
        k.clipped.push_str(&stitch(&format!("M330 320L322 {hem}M{} 320L{} {hem}", r(330), r(322))));
        let _ = write!(k.over, r##"<rect x="468" y="{}" width="56" height="30" rx="3" fill="#8a5a33" stroke="#5e3b20" stroke-width="2"/>"##, hem - 72);
    }
    k.finish()
}

fn utility(id: &str, hex: &str, view: View, mesh: bool) -> String {
    let hem = 612;
    let outline = Outline {
        neck: (340, 150),
        shoulder: (266, 168),
        underarm: (226, 342),
        waist_in: 0,
        hem,
        drop: 10,
        pointed: false,
        neckline: Neck::Round(if view == View::Front { 54 } else { 16 }),
    };
    let mut k = Sketch::new(id, hex, outline);
    let line = k.paint.line.clone();
    let low = k.outline.lowest();
    let stitch = k.paint.cloth.contrast(0.4);
    let front = view == View::Front;

    if mesh {
        let hole = k.paint.cloth.dark(0.5);
        k.pattern("m", 8, 8, (0, 0), &format!(r#"<rect width="8" height="8" fill="{}"/><circle cx="4" cy="4" r="2.3" fill="{hole}"/>"#, k.paint.base));
        let top = if front { 236 } else { 420 };
        let _ = write!(k.clipped, r#"<rect width="{BOX}" height="{top}" fill="url(#{id}m)"/><path d="M0 {top}H{BOX}" stroke="{line}" stroke-width="3"/>"#);
    } else {
        let _ = write!(k.clipped, r#"<path d="M0 236H{BOX}" stroke="{line}" stroke-width="2" opacity=".6"/>"#);
    }
    let binding = k.paint.cloth.dark(0.22);
    let neck = k.outline.neckline();
    let _ = write!(k.clipped, r#"<path d="{neck}" fill="none" stroke="{binding}" stroke-width="18"/>"#);
    let arms = k.outline.armholes();
    let _ = write!(k.clipped, r#"<path d="{arms}" fill="none" stroke="{binding}" stroke-width="16"/>"#);

    if front {
        k.over.push_str(&zip(205, low, &line));
        for (x, y, w, h) in [(258, 258, 58, 74), (322, 266, 54, 66), (440, 258, 96, 86), (250, 410, 124, 150), (426, 410, 124, 150)] {
            k.over.push_str(&patch_pocket(x, y, w, h, &k.paint, &stitch));
        }
        let _ = write!(
            k.over,
            r##"<circle cx="446" cy="226" r="10" fill="none" stroke="#b9bcc1" stroke-width="4"/><rect x="540" y="364" width="8" height="40" rx="2" fill="{}"/><rect x="528" y="364" width="8" height="40" rx="2" fill="{}"/>"##,
            k.paint.cloth.dark(0.15),
            k.paint.cloth.dark(0.15)
        );
    } else {
        let _ = write!(
            k.over,
            r#"<rect x="252" y="432" width="296" height="150" rx="6" fill="{}" stroke="{line}" stroke-width="2.5"/><path d="M268 448H532" stroke="{line}" stroke-width="5"/><rect x="258" y="438" width="284" height="138" rx="4" fill="none" stroke="{stitch}" stroke-width="1.5" stroke-dasharray="5 4"/>"#,
            k.paint.cloth.light(0.04)
        );
    }
    k.finish()
}

fn longline(id: &str, hex: &str, view: View) -> String {
    let front = view == View::Front;
    let outline = Outline {
        neck: (344, 150),
        shoulder: (278, 168),
        underarm: (230, 344),
        waist_in: 26,
        hem: 730,
        drop: 0,
        pointed: false,
        neckline: if front { Neck::V(380) } else { Neck::Round(16) },
    };
    let mut k = Sketch::new(id, hex, outline);
    let line = k.paint.line.clone();
    let belt = k.paint.cloth.dark(0.12);
    if front {
        k.behind = k.outline.inside(&k.paint);
        let neck = k.outline.neckline();
        let lapel = k.paint.cloth.dark(0.1);
        let _ = write!(
            k.clipped,
            r#"<path d="{neck}" fill="none" stroke="{line}" stroke-width="66"/><path d="{neck}" fill="none" stroke="{lapel}" stroke-width="62"/><path d="M400 380V730" stroke="{line}" stroke-width="2.5"/>"#
        );
        let _ = write!(
            k.over,
            r#"<path d="M262 600l86 -6v20l-86 6zM{} 600l-86 -6v20l86 6z" fill="{belt}" stroke="{line}" stroke-width="1.5"/>"#,
            r(262)
        );
    } else {
        let _ = write!(k.clipped, r#"<path d="M400 160V730" stroke="{line}" stroke-width="2"/>"#);
    }
    let _ = write!(k.clipped, r#"<rect x="0" y="452" width="{BOX}" height="32" fill="{belt}"/><path d="M0 452H{BOX}M0 484H{BOX}" stroke="{line}" stroke-width="1.5"/>"#);
    if front {
        let _ = write!(
            k.over,
            r#"<path d="M384 446h32l6 44h-44z" fill="{belt}" stroke="{line}" stroke-width="2"/><path d="M390 490L372 604L390 608L402 492ZM410 490L430 600L412 604L398 492Z" fill="{belt}" stroke="{line}" stroke-width="2" stroke-linejoin="round"/>"#
        );
    }
    k.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_mix_towards_white_and_black() {
        let c = Rgb::parse("#808080");
        assert_eq!(c.light(1.0), "#ffffff");
        assert_eq!(c.dark(1.0), "#000000");
        assert_eq!(c.hex(), "#808080");
    }

    #[test]
    fn titles_are_escaped() {
        let doc = document("Gile cưới & dự tiệc <1>", 10, 10, "", "");
        assert!(doc.contains("Gile cưới &amp; dự tiệc &lt;1&gt;"));
    }

    #[test]
    fn spread_includes_both_ends() {
        assert_eq!(spread(3, 10, 30), vec![10, 20, 30]);
        assert_eq!(spread(1, 10, 30), vec![10]);
    }
}
