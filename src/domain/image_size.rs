//! Images that fit the screen (issue #16). An uploaded raster photo is stored as uploaded, and
//! beside it smaller copies that the admin's browser makes when it uploads it (widths 320, 640 and
//! 1280, and the 1200 × 630 social crop): the Worker decodes no image (a 12-megapixel photo would
//! take about 48 MB of the isolate's 128 MB, and an image decoder would double the Worker's size).
//! What the Worker does is read each file's width and height from its header (JPEG's start of
//! frame, PNG's IHDR, WebP's VP8/VP8L/VP8X, AVIF's `ispe`) and check that a smaller copy is what
//! it says: its type by its bytes, exactly the width declared, never wider than the original, the
//! original's shape within rounding (the social crop exactly 1200 × 630), and no larger in bytes
//! than the original. Pages then offer the sizes in `srcset`, optionally with Cloudflare's image
//! transformations for the widths not stored (`IMAGE_TRANSFORMS`, docs/OPERATIONS.md).

use super::media::{sha256_hex, Checked, Kind};
use super::sharing::{SOCIAL_HEIGHT, SOCIAL_WIDTH};

/// The widths made of every uploaded raster photo (those no wider than the original).
pub const WIDTHS: [u32; 3] = [320, 640, 1280];

/// The largest side a header may declare: anything beyond is not a photo a shop uploads.
const MAX_SIDE: u32 = 100_000;

/// Why a header gave no size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The file ends before its size is written.
    Truncated,
    /// The bytes are not laid out as the format says (a wrong marker, chunk or box).
    Malformed(&'static str),
    /// SVG: its size is the sanitiser's business (`domain::svg`), not a header's.
    NoHeader,
}

fn be16(b: &[u8], i: usize) -> Result<u32, HeaderProblem> {
    b.get(i..i + 2).map(|s| u32::from(u16::from_be_bytes([s[0], s[1]]))).ok_or(HeaderProblem::Truncated)
}

fn be32(b: &[u8], i: usize) -> Result<u32, HeaderProblem> {
    b.get(i..i + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or(HeaderProblem::Truncated)
}

fn le16(b: &[u8], i: usize) -> Result<u32, HeaderProblem> {
    b.get(i..i + 2).map(|s| u32::from(u16::from_le_bytes([s[0], s[1]]))).ok_or(HeaderProblem::Truncated)
}

fn le24(b: &[u8], i: usize) -> Result<u32, HeaderProblem> {
    b.get(i..i + 3).map(|s| u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16).ok_or(HeaderProblem::Truncated)
}

fn byte(b: &[u8], i: usize) -> Result<u8, HeaderProblem> {
    b.get(i).copied().ok_or(HeaderProblem::Truncated)
}

/// Width and height in pixels from the header of an image of this kind (sniffed by
/// `media::sniff`). Never panics, whatever the bytes.
pub fn dimensions(kind: Kind, b: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    let (w, h) = match kind {
        Kind::Png => png(b)?,
        Kind::Jpeg => jpeg(b)?,
        Kind::Webp => webp(b)?,
        Kind::Avif => avif(b)?,
        Kind::Svg => return Err(HeaderProblem::NoHeader),
    };
    if (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h) {
        Ok((w, h))
    } else {
        Err(HeaderProblem::Malformed("size out of range"))
    }
}

fn png(b: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    if b.get(12..16).ok_or(HeaderProblem::Truncated)? != b"IHDR" {
        return Err(HeaderProblem::Malformed("PNG without IHDR first"));
    }
    Ok((be32(b, 16)?, be32(b, 20)?))
}

/// Walks the segments after SOI to the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC).
fn jpeg(b: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    let mut i = 2;
    loop {
        if byte(b, i)? != 0xFF {
            return Err(HeaderProblem::Malformed("JPEG segment without a marker"));
        }
        let marker = byte(b, i + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => {
                i += 1;
                continue;
            }
            // Markers without a length: TEM, RST0–7.
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            0xD8..=0xDA => return Err(HeaderProblem::Malformed("JPEG without a frame header before its data")),
            _ => {}
        }
        let len = be16(b, i + 2)? as usize;
        if len < 2 {
            return Err(HeaderProblem::Malformed("JPEG segment length"));
        }
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            return Ok((be16(b, i + 7)?, be16(b, i + 5)?));
        }
        i += 2 + len;
    }
}

/// RIFF, then the first chunk: `VP8 ` (lossy), `VP8L` (lossless) or `VP8X` (extended: the canvas).
fn webp(b: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    let chunk = b.get(12..16).ok_or(HeaderProblem::Truncated)?;
    let data = 20;
    match chunk {
        b"VP8 " => {
            if b.get(data + 3..data + 6).ok_or(HeaderProblem::Truncated)? != [0x9D, 0x01, 0x2A] {
                return Err(HeaderProblem::Malformed("VP8 frame without its start code"));
            }
            Ok((le16(b, data + 6)? & 0x3FFF, le16(b, data + 8)? & 0x3FFF))
        }
        b"VP8L" => {
            if byte(b, data)? != 0x2F {
                return Err(HeaderProblem::Malformed("VP8L without its signature"));
            }
            let bits = le16(b, data + 1)? | le16(b, data + 3)? << 16;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Ok((le24(b, data + 4)? + 1, le24(b, data + 7)? + 1)),
        _ => Err(HeaderProblem::Malformed("WebP without a VP8, VP8L or VP8X chunk")),
    }
}

/// The boxes inside `b[start..end]`: (type, content start, content end). A box that runs past its
/// parent is an error, not a panic.
fn boxes(b: &[u8], start: usize, end: usize) -> Result<Vec<([u8; 4], usize, usize)>, HeaderProblem> {
    let mut out = Vec::new();
    let mut i = start;
    while i + 8 <= end {
        let size = be32(b, i)? as usize;
        let kind = b.get(i + 4..i + 8).ok_or(HeaderProblem::Truncated)?;
        let (header, size) = match size {
            0 => (8, end - i),
            1 => {
                let hi = be32(b, i + 8)? as usize;
                let lo = be32(b, i + 12)? as usize;
                if hi != 0 {
                    return Err(HeaderProblem::Malformed("AVIF box too large"));
                }
                (16, lo)
            }
            n => (8, n),
        };
        if size < header {
            return Err(HeaderProblem::Malformed("AVIF box size"));
        }
        let stop = i.checked_add(size).ok_or(HeaderProblem::Malformed("AVIF box size"))?;
        out.push(([kind[0], kind[1], kind[2], kind[3]], i + header, stop.min(end)));
        if stop > end {
            break;
        }
        i = stop;
    }
    Ok(out)
}

fn child(b: &[u8], start: usize, end: usize, kind: &[u8; 4]) -> Result<(usize, usize), HeaderProblem> {
    boxes(b, start, end)?.into_iter().find(|(k, _, _)| k == kind).map(|(_, s, e)| (s, e)).ok_or(HeaderProblem::Truncated)
}

/// `meta` → `iprp` → `ipco` → the first `ispe` (image spatial extents: the primary image's size
/// in the files browsers and encoders write; a full box, so 4 bytes of version and flags first).
fn avif(b: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    let (ms, me) = child(b, 0, b.len(), b"meta")?;
    let (ps, pe) = child(b, ms + 4, me, b"iprp")?;
    let (cs, ce) = child(b, ps, pe, b"ipco")?;
    let (s, e) = child(b, cs, ce, b"ispe")?;
    if e < s + 12 {
        return Err(HeaderProblem::Truncated);
    }
    Ok((be32(b, s + 4)?, be32(b, s + 8)?))
}

/// Which smaller copy a file is, from its form field: `size_320`, `size_640`, `size_1280`, `social`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    Width(u32),
    Social,
}

impl Slot {
    pub fn parse(field: &str) -> Option<Slot> {
        if field == "social" {
            return Some(Slot::Social);
        }
        let w: u32 = field.strip_prefix("size_")?.parse().ok()?;
        WIDTHS.contains(&w).then_some(Slot::Width(w))
    }

    pub fn field(self) -> String {
        match self {
            Slot::Width(w) => format!("size_{w}"),
            Slot::Social => "social".into(),
        }
    }

    /// The width recorded in `media_sizes` (the social crop is 1200 wide, told apart by its flag).
    pub fn width(self) -> u32 {
        match self {
            Slot::Width(w) => w,
            Slot::Social => SOCIAL_WIDTH,
        }
    }
}

/// The original a copy is checked against: its size in pixels and in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Original {
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

impl Original {
    /// The original's pixels from its header; `None` for SVG (drawn at any size: nothing to make).
    pub fn read(kind: Kind, bytes: &[u8]) -> Option<Original> {
        let (width, height) = dimensions(kind, bytes).ok()?;
        Some(Original { width, height, bytes: bytes.len() })
    }

    /// The copies to make of it: each width no wider than it, and the social crop.
    pub fn slots(&self) -> Vec<Slot> {
        WIDTHS.into_iter().filter(|w| *w <= self.width).map(Slot::Width).chain([Slot::Social]).collect()
    }

    /// The height of a copy `width` pixels wide with the original's shape, rounded.
    pub fn height_at(&self, width: u32) -> u32 {
        ((u64::from(width) * u64::from(self.height) + u64::from(self.width) / 2) / u64::from(self.width.max(1))) as u32
    }
}

/// Why a smaller copy was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerivedProblem {
    Empty,
    TooLarge { max: usize },
    /// Not JPEG or WebP (a width) or JPEG or PNG (the social crop), by its bytes.
    WrongType { slot: Slot },
    Header(HeaderProblem),
    /// Its header says another width than its field declares.
    WrongWidth { declared: u32, actual: u32 },
    WiderThanOriginal { width: u32, original: u32 },
    /// Not the original's shape: its height is not the original's at that width (±1 pixel).
    WrongRatio { expected: u32, actual: u32 },
    WrongSocialSize { width: u32, height: u32 },
    /// A smaller copy that weighs more than the original saves nothing.
    LargerThanOriginal { bytes: usize, original: usize },
}

/// Checks a smaller copy of `original` uploaded in the slot `slot`; on success it is ready to be
/// stored under its hash like any upload.
pub fn check_derived(original: &Original, slot: Slot, bytes: &[u8], max: usize) -> Result<Checked, DerivedProblem> {
    if bytes.is_empty() {
        return Err(DerivedProblem::Empty);
    }
    if bytes.len() > max {
        return Err(DerivedProblem::TooLarge { max });
    }
    let kind = super::media::sniff(bytes);
    let allowed = match slot {
        Slot::Width(_) => [Kind::Webp, Kind::Jpeg],
        Slot::Social => [Kind::Jpeg, Kind::Png],
    };
    let Some(kind) = kind.filter(|k| allowed.contains(k)) else { return Err(DerivedProblem::WrongType { slot }) };
    let (width, height) = dimensions(kind, bytes).map_err(DerivedProblem::Header)?;
    match slot {
        Slot::Social => {
            if (width, height) != (SOCIAL_WIDTH, SOCIAL_HEIGHT) {
                return Err(DerivedProblem::WrongSocialSize { width, height });
            }
        }
        Slot::Width(declared) => {
            if width != declared {
                return Err(DerivedProblem::WrongWidth { declared, actual: width });
            }
            // A phone photo's header gives its sensor's shape; its EXIF orientation may turn it
            // upright (the browser decodes it so), which swaps width and height.
            let upright = Original { width: original.height, height: original.width, ..*original };
            if width > original.width.max(original.height) {
                return Err(DerivedProblem::WiderThanOriginal { width, original: original.width });
            }
            let fits = |o: &Original| width <= o.width && height.abs_diff(o.height_at(width)) <= 1;
            if !fits(original) && !fits(&upright) {
                return Err(DerivedProblem::WrongRatio { expected: original.height_at(width), actual: height });
            }
            if bytes.len() > original.bytes {
                return Err(DerivedProblem::LargerThanOriginal { bytes: bytes.len(), original: original.bytes });
            }
        }
    }
    Ok(Checked { kind, hash: sha256_hex(bytes), bytes: bytes.to_vec(), width: i64::from(width), height: i64::from(height) })
}

impl DerivedProblem {
    /// What the admin reads (the admin area is in Vietnamese; English follows).
    pub fn message(&self, slot: Slot) -> String {
        let name = match slot {
            Slot::Width(w) => format!("bản rộng {w} px / the {w} px copy"),
            Slot::Social => "ảnh chia sẻ 1200×630 / the 1200×630 social image".to_string(),
        };
        let why = match self {
            DerivedProblem::Empty => "tệp trống / the file is empty".to_string(),
            DerivedProblem::TooLarge { max } => format!("quá {} KB / over {} KB", max / 1024, max / 1024),
            DerivedProblem::WrongType { slot: Slot::Social } => "phải là JPEG hoặc PNG / must be JPEG or PNG".into(),
            DerivedProblem::WrongType { .. } => "phải là WebP hoặc JPEG / must be WebP or JPEG".into(),
            DerivedProblem::Header(_) => "không đọc được kích thước ảnh / its size cannot be read".into(),
            DerivedProblem::WrongWidth { declared, actual } => format!("rộng {actual} px thay vì {declared} px / {actual} px wide instead of {declared} px"),
            DerivedProblem::WiderThanOriginal { width, original } => {
                format!("rộng {width} px, hơn ảnh gốc {original} px / {width} px wide, wider than the original's {original} px")
            }
            DerivedProblem::WrongRatio { expected, actual } => {
                format!("cao {actual} px thay vì {expected} px (sai tỉ lệ ảnh gốc) / {actual} px high instead of {expected} px (not the original's shape)")
            }
            DerivedProblem::WrongSocialSize { width, height } => format!("{width}×{height} thay vì 1200×630 / {width}×{height} instead of 1200×630"),
            DerivedProblem::LargerThanOriginal { bytes, original } => {
                format!("{bytes} byte, nặng hơn ảnh gốc ({original} byte) / {bytes} bytes, heavier than the original ({original} bytes)")
            }
        };
        format!("Không nhận {name}: {why}.")
    }
}

/// A stored smaller copy, as pages use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub url: String,
}

/// Reads `media_sizes` packed as `width url` pairs separated by `,` (what the catalog queries
/// return); anything unreadable is left out.
pub fn unpack(packed: &str) -> Vec<Size> {
    let mut sizes: Vec<Size> = packed
        .split(',')
        .filter_map(|pair| {
            let (w, url) = pair.trim().split_once(' ')?;
            Some(Size { width: w.parse().ok()?, url: url.to_string() })
        })
        .collect();
    sizes.sort_by_key(|s| s.width);
    sizes
}

/// Whether the widths a page lists beyond the stored ones come from Cloudflare's image
/// transformations (`IMAGE_TRANSFORMS=cloudflare`) or are not offered (`off`, the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transforms {
    #[default]
    Off,
    Cloudflare,
}

impl Transforms {
    pub fn parse(value: &str) -> Transforms {
        if value.trim().eq_ignore_ascii_case("cloudflare") {
            Transforms::Cloudflare
        } else {
            Transforms::Off
        }
    }
}

/// An `<img>`'s sources: `src` (a stored copy of about 640 px, else the original) and `srcset`
/// (every stored copy, the transformed widths the stored ones lack, and the original at its own
/// width), or no `srcset` when there is nothing but the original.
pub fn sources(url: &str, width: i64, sizes: &[Size], transforms: Transforms) -> (String, Option<String>) {
    let fits = |s: &&Size| i64::from(s.width) <= width;
    let mut entries: Vec<(u32, String)> = sizes.iter().filter(fits).map(|s| (s.width, s.url.clone())).collect();
    let raster = super::media::parse_path(url).is_some_and(|(_, kind)| kind != Kind::Svg);
    if transforms == Transforms::Cloudflare && raster {
        let missing: Vec<u32> = WIDTHS.into_iter().filter(|w| i64::from(*w) < width && !entries.iter().any(|(have, _)| have == w)).collect();
        for w in missing {
            entries.push((w, format!("/cdn-cgi/image/width={w},format=auto,fit=scale-down{url}")));
        }
    }
    if entries.is_empty() {
        return (url.to_string(), None);
    }
    entries.sort_by_key(|(w, _)| *w);
    let src = sizes.iter().filter(fits).min_by_key(|s| s.width.abs_diff(640)).map_or_else(|| url.to_string(), |s| s.url.clone());
    let mut set: Vec<String> = entries.into_iter().map(|(w, u)| format!("{u} {w}w")).collect();
    // The original at its own width, unless a lighter copy of that very width is stored.
    if let Ok(w) = u32::try_from(width) {
        if !sizes.iter().any(|s| s.width == w) {
            set.push(format!("{url} {w}w"));
        }
    }
    (src, Some(set.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::media::{sniff, Kind};

    // Real files, made once in Chromium (canvas `toBlob`) and kept as fixtures.
    const JPEG: &[u8] = include_bytes!("../../tests/fixtures/images/photo-30x20.jpg");
    const JPEG_320: &[u8] = include_bytes!("../../tests/fixtures/images/photo-320x213.jpg");
    const PNG: &[u8] = include_bytes!("../../tests/fixtures/images/photo-30x20.png");
    const WEBP_LOSSY: &[u8] = include_bytes!("../../tests/fixtures/images/photo-30x20.webp");
    const WEBP_ALPHA: &[u8] = include_bytes!("../../tests/fixtures/images/alpha-31x17.webp");
    const WEBP_LOSSLESS: &[u8] = include_bytes!("../../tests/fixtures/images/lossless-7x5.webp");
    const SOCIAL_JPEG: &[u8] = include_bytes!("../../tests/fixtures/images/social-1200x630.jpg");
    const SOCIAL_PNG_WRONG: &[u8] = include_bytes!("../../tests/fixtures/images/wrong-1200x600.png");
    const WEBP_320: &[u8] = include_bytes!("../../tests/fixtures/images/photo-320x213.webp");

    /// A minimal AVIF header: `ftyp`, then `meta` → `iprp` → `ipco` → `ispe` (no image data: only
    /// the header is read).
    fn avif(w: u32, h: u32) -> Vec<u8> {
        fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
            let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend(kind);
            b.extend(body);
            b
        }
        let mut ispe = vec![0, 0, 0, 0];
        ispe.extend(w.to_be_bytes());
        ispe.extend(h.to_be_bytes());
        let ipco = boxed(b"ipco", &[boxed(b"pixi", &[0, 0, 0, 0, 3, 8, 8, 8]), boxed(b"ispe", &ispe)].concat());
        let iprp = boxed(b"iprp", &ipco);
        let mut meta_body = vec![0, 0, 0, 0];
        meta_body.extend(boxed(b"hdlr", &[0; 25]));
        meta_body.extend(iprp);
        [boxed(b"ftyp", b"avif\0\0\0\0avifmif1miaf"), boxed(b"meta", &meta_body)].concat()
    }

    fn size(b: &[u8]) -> Result<(u32, u32), HeaderProblem> {
        dimensions(sniff(b).expect("sniffed"), b)
    }

    #[test]
    fn sizes_come_from_real_files_headers() {
        assert_eq!(size(JPEG), Ok((30, 20)));
        assert_eq!(size(JPEG_320), Ok((320, 213)));
        assert_eq!(size(PNG), Ok((30, 20)));
        assert_eq!(size(WEBP_LOSSY), Ok((30, 20)));
        assert_eq!(&WEBP_LOSSY[12..16], b"VP8 ");
        assert_eq!(size(WEBP_ALPHA), Ok((31, 17)));
        assert_eq!(size(WEBP_LOSSLESS), Ok((7, 5)));
        assert_eq!(size(SOCIAL_JPEG), Ok((1200, 630)));
        assert_eq!(size(SOCIAL_PNG_WRONG), Ok((1200, 600)));
        assert_eq!(size(&avif(4032, 3024)), Ok((4032, 3024)));
    }

    #[test]
    fn truncated_or_garbage_headers_are_refused_never_a_panic() {
        for file in [JPEG, PNG, WEBP_LOSSY, WEBP_ALPHA, WEBP_LOSSLESS, &avif(10, 10)[..]] {
            let kind = sniff(file).unwrap();
            // Every cut before the size is written is refused; none panics.
            for cut in 0..file.len().min(400) {
                let _ = dimensions(kind, &file[..cut]);
            }
            assert_eq!(dimensions(kind, &file[..16.min(file.len())]), Err(HeaderProblem::Truncated), "{kind:?}");
        }
        assert!(dimensions(Kind::Jpeg, &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).is_err(), "a zero segment length");
        assert!(matches!(dimensions(Kind::Jpeg, &[0xFF, 0xD8, 0x00, 0x11]), Err(HeaderProblem::Malformed(_))));
        assert!(matches!(dimensions(Kind::Jpeg, &[0xFF, 0xD8, 0xFF, 0xDA, 0, 4, 0, 0]), Err(HeaderProblem::Malformed(_))));
        assert!(matches!(dimensions(Kind::Webp, b"RIFF\0\0\0\0WEBPJUNK\0\0\0\0\0\0\0\0\0\0\0\0"), Err(HeaderProblem::Malformed(_))));
        assert!(matches!(dimensions(Kind::Png, b"\x89PNG\r\n\x1a\n\0\0\0\x0dJUNK\0\0\0\x01\0\0\0\x01"), Err(HeaderProblem::Malformed(_))));
        assert!(matches!(dimensions(Kind::Png, b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\0\0\0\0\x01"), Err(HeaderProblem::Malformed(_))), "zero width");
        // A box claiming more than the file, or less than its own header.
        let mut lying = avif(10, 10);
        lying[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(dimensions(Kind::Avif, &lying).is_err());
        let mut tiny = avif(10, 10);
        tiny[3] = 3;
        assert!(dimensions(Kind::Avif, &tiny).is_err());
        assert_eq!(dimensions(Kind::Svg, b"<svg/>"), Err(HeaderProblem::NoHeader));
        // Random bytes behind each magic number.
        let mut seed = 0x2545_F491_u32;
        for _ in 0..2000 {
            let mut junk: Vec<u8> = (0..64).map(|_| { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; seed as u8 }).collect();
            for (kind, magic) in [(Kind::Jpeg, &[0xFF, 0xD8, 0xFF][..]), (Kind::Png, &PNG[..8]), (Kind::Webp, &WEBP_LOSSY[..12]), (Kind::Avif, &avif(1, 1)[..28])] {
                junk[..magic.len()].copy_from_slice(magic);
                let _ = dimensions(kind, &junk);
            }
        }
    }

    const PHOTO: Original = Original { width: 4000, height: 3000, bytes: 4_000_000 };

    #[test]
    fn the_copies_to_make_are_the_widths_no_wider_than_the_original_and_the_crop() {
        assert_eq!(PHOTO.slots(), vec![Slot::Width(320), Slot::Width(640), Slot::Width(1280), Slot::Social]);
        assert_eq!(Original { width: 700, height: 700, bytes: 1 }.slots(), vec![Slot::Width(320), Slot::Width(640), Slot::Social]);
        assert_eq!(Original { width: 64, height: 48, bytes: 1 }.slots(), vec![Slot::Social]);
        assert_eq!(PHOTO.height_at(320), 240);
        assert_eq!(Original { width: 3000, height: 2000, bytes: 1 }.height_at(320), 213);
        for slot in [Slot::Width(320), Slot::Width(640), Slot::Width(1280), Slot::Social] {
            assert_eq!(Slot::parse(&slot.field()), Some(slot));
        }
        assert_eq!(Slot::parse("size_500"), None);
        assert_eq!(Slot::parse("file"), None);
        assert_eq!(Original::read(Kind::Jpeg, JPEG), Some(Original { width: 30, height: 20, bytes: JPEG.len() }));
        assert_eq!(Original::read(Kind::Svg, b"<svg/>"), None);
    }

    #[test]
    fn a_copy_is_accepted_only_when_it_is_what_it_says() {
        let photo = Original { width: 3000, height: 2000, bytes: 2_000_000 };
        let ok = check_derived(&photo, Slot::Width(320), WEBP_320, 5_000_000).unwrap();
        assert_eq!((ok.kind, ok.width, ok.height), (Kind::Webp, 320, 213));
        assert_eq!(ok.hash, sha256_hex(WEBP_320));
        assert!(check_derived(&photo, Slot::Width(320), JPEG_320, 5_000_000).is_ok(), "JPEG where canvas has no WebP");
        let social = check_derived(&photo, Slot::Social, SOCIAL_JPEG, 5_000_000).unwrap();
        assert_eq!((social.width, social.height), (1200, 630));

        // Declared 640 but 320 wide.
        assert_eq!(check_derived(&photo, Slot::Width(640), WEBP_320, 5_000_000), Err(DerivedProblem::WrongWidth { declared: 640, actual: 320 }));
        // The right width but another shape (the original is square).
        let square = Original { width: 1000, height: 1000, bytes: 2_000_000 };
        assert_eq!(check_derived(&square, Slot::Width(320), WEBP_320, 5_000_000), Err(DerivedProblem::WrongRatio { expected: 320, actual: 213 }));
        // A photo turned upright by its EXIF orientation: the copy has the swapped shape.
        let sideways = Original { width: 2000, height: 3000, bytes: 2_000_000 };
        assert!(check_derived(&sideways, Slot::Width(320), WEBP_320, 5_000_000).is_ok());
        // Wider than the original.
        let small = Original { width: 300, height: 200, bytes: 2_000_000 };
        assert_eq!(check_derived(&small, Slot::Width(320), WEBP_320, 5_000_000), Err(DerivedProblem::WiderThanOriginal { width: 320, original: 300 }));
        // A PNG declared as the social crop, of the wrong size.
        assert_eq!(check_derived(&photo, Slot::Social, SOCIAL_PNG_WRONG, 5_000_000), Err(DerivedProblem::WrongSocialSize { width: 1200, height: 600 }));
        // A copy heavier than the original.
        let light = Original { width: 3000, height: 2000, bytes: WEBP_320.len() - 1 };
        assert!(matches!(check_derived(&light, Slot::Width(320), WEBP_320, 5_000_000), Err(DerivedProblem::LargerThanOriginal { .. })));
        // Wrong types, by content: a PNG as a width, a WebP as the social image, text, AVIF.
        assert_eq!(check_derived(&photo, Slot::Width(320), PNG, 5_000_000), Err(DerivedProblem::WrongType { slot: Slot::Width(320) }));
        assert_eq!(check_derived(&photo, Slot::Social, WEBP_320, 5_000_000), Err(DerivedProblem::WrongType { slot: Slot::Social }));
        assert_eq!(check_derived(&photo, Slot::Width(320), b"not an image", 5_000_000), Err(DerivedProblem::WrongType { slot: Slot::Width(320) }));
        assert_eq!(check_derived(&photo, Slot::Width(320), &avif(320, 213), 5_000_000), Err(DerivedProblem::WrongType { slot: Slot::Width(320) }));
        // Truncated: the right magic number, no header.
        assert!(matches!(check_derived(&photo, Slot::Width(320), &WEBP_320[..18], 5_000_000), Err(DerivedProblem::Header(_))));
        assert_eq!(check_derived(&photo, Slot::Width(320), b"", 5_000_000), Err(DerivedProblem::Empty));
        assert_eq!(check_derived(&photo, Slot::Width(320), WEBP_320, 100), Err(DerivedProblem::TooLarge { max: 100 }));
        // Every refusal reads in both languages.
        let message = DerivedProblem::WrongRatio { expected: 320, actual: 213 }.message(Slot::Width(320));
        assert!(message.contains("sai tỉ lệ") && message.contains("not the original's shape"), "{message}");
    }

    #[test]
    fn srcset_lists_the_stored_copies_and_with_cloudflare_the_missing_widths() {
        let url = format!("/media/{}.jpg", "a".repeat(64));
        let sizes = unpack("640 /media/b.webp, 320 /media/a.webp,junk, 1280");
        assert_eq!(sizes, vec![Size { width: 320, url: "/media/a.webp".into() }, Size { width: 640, url: "/media/b.webp".into() }]);
        let (src, set) = sources(&url, 4000, &sizes, Transforms::Off);
        assert_eq!(src, "/media/b.webp");
        assert_eq!(set.as_deref(), Some(format!("/media/a.webp 320w, /media/b.webp 640w, {url} 4000w").as_str()));
        let (_, set) = sources(&url, 4000, &sizes, Transforms::Cloudflare);
        assert_eq!(
            set.as_deref(),
            Some(format!("/media/a.webp 320w, /media/b.webp 640w, /cdn-cgi/image/width=1280,format=auto,fit=scale-down{url} 1280w, {url} 4000w").as_str())
        );
        // Nothing stored: the original alone, or every width through Cloudflare.
        assert_eq!(sources(&url, 4000, &[], Transforms::Off), (url.clone(), None));
        let (src, set) = sources(&url, 700, &[], Transforms::Cloudflare);
        assert_eq!(src, url);
        assert_eq!(set.unwrap().matches("/cdn-cgi/image/").count(), 2, "320 and 640, not wider than the original");
        // SVG and files of the build are never transformed.
        assert_eq!(sources("/img/products/a.svg", 800, &[], Transforms::Cloudflare), ("/img/products/a.svg".into(), None));
        assert_eq!(Transforms::parse(" Cloudflare "), Transforms::Cloudflare);
        assert_eq!(Transforms::parse("off"), Transforms::Off);
        assert_eq!(Transforms::parse("yes"), Transforms::Off);
    }
}
