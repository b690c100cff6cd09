//! Uploaded product images: the type is read from the bytes (magic numbers), never from the file
//! name or the browser's `Content-Type`; SVG (text that a browser would run script from if it were
//! opened as a page) is parsed, checked against an allow-list and written anew (`domain::svg`); an
//! image is named by the SHA-256 of the bytes stored, so one URL always means the same bytes and
//! can be cached forever.

use sha2::{Digest, Sha256};

use super::svg::{self, Refusal};

/// The upload size limit when `MEDIA_MAX_BYTES` is not set.
pub const DEFAULT_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The URL prefix images are served under: `/media/{hash}.{ext}`.
pub const PREFIX: &str = "/media/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Avif,
    Svg,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Jpeg, Kind::Png, Kind::Webp, Kind::Avif, Kind::Svg];

    pub fn ext(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Avif => "avif",
            Kind::Svg => "svg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Avif => "image/avif",
            Kind::Svg => "image/svg+xml",
        }
    }

    pub fn from_ext(ext: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.ext() == ext)
    }
}

/// Why an upload was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLarge { max: usize },
    /// Not one of the accepted image formats (whatever its name says).
    NotAnImage,
    /// An SVG with script, event handlers, embedded documents or outside references.
    UnsafeSvg(&'static str),
    /// An SVG that is not well-formed XML, has a DOCTYPE, or whose root is not SVG's `<svg>`.
    InvalidSvg(&'static str),
}

/// A checked upload: its kind, the bytes to store (a raster image as uploaded, an SVG as written
/// anew by the sanitiser), their hash and the size in pixels from the header
/// (`domain::image_size`; 800 × 800 when it cannot be read, as the storefront's layout only needs
/// the ratio).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub kind: Kind,
    pub bytes: Vec<u8>,
    pub hash: String,
    pub width: i64,
    pub height: i64,
}

impl Checked {
    /// The path it is served at.
    pub fn url(&self) -> String {
        format!("{PREFIX}{}.{}", self.hash, self.kind.ext())
    }

    /// The KV key its bytes are stored under.
    pub fn key(&self) -> String {
        key(&self.hash)
    }
}

pub fn key(hash: &str) -> String {
    format!("media:{hash}")
}

/// Checks an upload: size, type by content; an SVG is sanitised and the result is what is stored
/// and hashed.
pub fn check(bytes: &[u8], max: usize) -> Result<Checked, Problem> {
    if bytes.is_empty() {
        return Err(Problem::Empty);
    }
    if bytes.len() > max {
        return Err(Problem::TooLarge { max });
    }
    let kind = sniff(bytes).ok_or(Problem::NotAnImage)?;
    let (stored, size) = if kind == Kind::Svg {
        let text = std::str::from_utf8(bytes).map_err(|_| Problem::NotAnImage)?;
        let clean = svg::sanitize(text).map_err(|r| match r {
            Refusal::Active(what) => Problem::UnsafeSvg(what),
            Refusal::Invalid(what) => Problem::InvalidSvg(what),
        })?;
        (clean.bytes, clean.size)
    } else {
        (bytes.to_vec(), super::image_size::dimensions(kind, bytes).ok().map(|(w, h)| (i64::from(w), i64::from(h))))
    };
    let (width, height) = size.unwrap_or((800, 800));
    Ok(Checked { kind, hash: sha256_hex(&stored), bytes: stored, width, height })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The format by its magic bytes (SVG: XML text whose root element is `<svg`).
pub fn sniff(b: &[u8]) -> Option<Kind> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if b.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(Kind::Png);
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some(Kind::Webp);
    }
    // ISO BMFF: a `ftyp` box whose major or compatible brands include `avif`/`avis`.
    if b.len() >= 16 && &b[4..8] == b"ftyp" {
        let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let end = size.min(b.len()).min(256);
        let brands = b.get(8..end).unwrap_or(&[]);
        if brands.chunks(4).any(|c| c == b"avif" || c == b"avis") {
            return Some(Kind::Avif);
        }
        return None;
    }
    let text = std::str::from_utf8(b.get(..b.len().min(4096)).unwrap_or(b)).ok().or_else(|| {
        // The cut may split a character; read up to the last whole one.
        let cut = &b[..b.len().min(4096)];
        std::str::from_utf8(cut).map_err(|e| e.valid_up_to()).err().and_then(|n| std::str::from_utf8(&cut[..n]).ok())
    })?;
    root_is_svg(text).then_some(Kind::Svg)
}

/// Skips a BOM, whitespace, the XML declaration, comments and a doctype; the first element must be `<svg`.
fn root_is_svg(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            let Some(end) = r.find("?>") else { return false };
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let Some(end) = r.find("-->") else { return false };
            rest = &r[end + 3..];
        } else if let Some(r) = rest.strip_prefix("<!DOCTYPE").or_else(|| rest.strip_prefix("<!doctype")) {
            let Some(end) = r.find('>') else { return false };
            rest = &r[end + 1..];
        } else {
            return rest.starts_with("<svg") && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
        }
    }
}

/// Reads `/media/{hash}.{ext}`: a 64-hex-digit hash and a known extension.
pub fn parse_path(path: &str) -> Option<(String, Kind)> {
    let name = path.strip_prefix(PREFIX)?;
    let (hash, ext) = name.split_once('.')?;
    let ok = hash.len() == 64 && hash.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
    ok.then(|| (hash.to_string(), Kind::from_ext(ext))).and_then(|(h, k)| k.map(|k| (h, k)))
}

/// The headers every `/media` response carries besides its type: an immutable cache (the name is
/// the content's hash), no sniffing, and a policy that makes an SVG opened on its own a sandboxed,
/// script-less document.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(sniff(&png(1, 1)), Some(Kind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]), Some(Kind::Jpeg));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf"), Some(Kind::Avif));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"), None);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<!-- x --><svg xmlns=\"http://www.w3.org/2000/svg\"/>"), Some(Kind::Svg));
        assert_eq!(sniff(b"hello, I am a text file pretending to be a PNG"), None);
        assert_eq!(sniff(b"<html><svg></svg></html>"), None);
        assert_eq!(sniff(b"<svgx>"), None);
    }

    #[test]
    fn a_checked_image_is_named_by_its_hash_with_its_size() {
        let c = check(&png(640, 480), DEFAULT_MAX_BYTES).unwrap();
        assert_eq!((c.kind, c.width, c.height), (Kind::Png, 640, 480));
        assert_eq!(c.hash.len(), 64);
        assert_eq!(c.url(), format!("/media/{}.png", c.hash));
        assert_eq!(parse_path(&c.url()), Some((c.hash.clone(), Kind::Png)));
        assert_eq!(parse_path("/media/abc.png"), None);
        assert_eq!(parse_path(&format!("/media/{}.gif", c.hash)), None);
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 200, 1, 44, 3];
        assert_eq!(check(&jpeg, 100).map(|c| (c.width, c.height)), Ok((300, 200)));
        let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 90"><rect width="10" height="10" fill="#123"/></svg>"##;
        assert_eq!(check(svg, 1000).map(|c| (c.kind, c.width, c.height)), Ok((Kind::Svg, 120, 90)));
    }

    #[test]
    fn refuses_empty_oversize_and_unknown_uploads() {
        assert_eq!(check(b"", 10), Err(Problem::Empty));
        assert_eq!(check(&png(1, 1), 10), Err(Problem::TooLarge { max: 10 }));
        assert_eq!(check(b"just text", 100), Err(Problem::NotAnImage));
    }

    #[test]
    fn refuses_svg_that_could_run_script_or_fetch() {
        let cases = [
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:foreignObject/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="jav&#x61;script:x"/></svg>"#,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href\n=\"jav&#x61;script:x\"><text>x</text></a></svg>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><use href\t=\"https://evil.example/x.svg#a\"/></svg>",
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#,
        ];
        for svg in cases {
            assert!(matches!(check(svg.as_bytes(), 1000), Err(Problem::UnsafeSvg(_))), "{svg}");
        }
        let undeclared = r#"<svg xmlns="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg>"#;
        assert_eq!(check(undeclared.as_bytes(), 1000), Err(Problem::InvalidSvg("not well-formed XML")));
        let fine = r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><g id="a"/></defs><use href="#a"/><text font-family="x">only</text></svg>"##;
        let checked = check(fine.as_bytes(), 1000).unwrap();
        assert_eq!(checked.bytes, fine.as_bytes(), "a clean file is stored as it came");
        assert_eq!(checked.hash, sha256_hex(fine.as_bytes()));
    }

    #[test]
    fn what_is_stored_and_hashed_is_the_sanitised_svg() {
        let svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 30\"><!-- c --><rect width=\"40\" height=\"30\" fill=\"#2a6\"/></svg>\n";
        let c = check(svg.as_bytes(), 1000).unwrap();
        let stored = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 30"><rect width="40" height="30" fill="#2a6"/></svg>"##;
        assert_eq!(std::str::from_utf8(&c.bytes).unwrap(), stored);
        assert_eq!((c.hash.as_str(), c.width, c.height), (sha256_hex(stored.as_bytes()).as_str(), 40, 30));
        assert_eq!(sniff(&c.bytes), Some(Kind::Svg), "served again as SVG");
    }

    #[test]
    fn every_demo_svg_in_public_is_accepted_unchanged() {
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/public/img"))];
        let mut seen = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "svg") {
                    let bytes = std::fs::read(&path).unwrap();
                    let c = check(&bytes, DEFAULT_MAX_BYTES).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
                    assert_eq!(std::str::from_utf8(&c.bytes).unwrap(), std::str::from_utf8(&bytes).unwrap().trim_end(), "{}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "{seen} demo SVGs");
    }
}
