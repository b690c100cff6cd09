//! Fingerprinted URLs for the files in `public/`.
//!
//! `build.rs` hashes every file; a view asks for `url("css/app.css")` and gets
//! `/static/css/app.1a2b3c4d5e.css`, which the Worker serves with `Cache-Control: immutable`. A changed
//! file gets a new URL, so browsers and the edge never keep a stale copy.

include!(concat!(env!("OUT_DIR"), "/asset_manifest.rs"));

/// Prefix of every fingerprinted URL.
pub const STATIC_PREFIX: &str = "/static/";

fn hash_of(path: &str) -> Option<&'static str> {
    MANIFEST.binary_search_by(|(p, _)| (*p).cmp(path)).ok().map(|i| MANIFEST[i].1)
}

/// The fingerprinted URL of a file under `public/` (with or without a leading slash). A path not in
/// the manifest (an absolute URL, or a file added after the build) is returned unchanged.
pub fn url(path: &str) -> String {
    let rel = path.trim_start_matches('/');
    match hash_of(rel) {
        Some(hash) => {
            let (stem, ext) = split_ext(rel);
            format!("{STATIC_PREFIX}{stem}.{hash}{ext}")
        }
        None => path.to_string(),
    }
}

/// Whether the build ships this file under `public/` (with or without a leading slash).
pub fn exists(path: &str) -> bool {
    hash_of(path.trim_start_matches('/')).is_some()
}

/// The fingerprinted URL of a file under `public/` only if this build has it (an optional file that
/// another part of the shop may add, like the Web Push handlers `js/sw-push.js`).
pub fn url_if_present(path: &str) -> Option<String> {
    hash_of(path.trim_start_matches('/')).map(|_| url(path))
}

/// Resolves a fingerprinted request path to the file under `public/` it names, only if the hash is
/// the current one: an old hash is a 404, never a stale file under an immutable header.
pub fn resolve(request_path: &str) -> Option<String> {
    let rest = request_path.strip_prefix(STATIC_PREFIX)?;
    let (stem_and_hash, ext) = split_ext(rest);
    let (stem, hash) = stem_and_hash.rsplit_once('.')?;
    let rel = format!("{stem}{ext}");
    (hash_of(&rel)? == hash).then_some(rel)
}

/// Content type by extension, for the files this shop ships.
pub fn content_type(path: &str) -> &'static str {
    match split_ext(path).1 {
        ".css" => "text/css; charset=utf-8",
        ".js" | ".mjs" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".jpg" | ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        ".avif" => "image/avif",
        ".ico" => "image/x-icon",
        ".json" | ".webmanifest" => "application/manifest+json",
        ".woff2" => "font/woff2",
        ".ttf" => "font/ttf",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Splits `dir/name.ext` into (`dir/name`, `.ext`); the extension is empty when there is none.
fn split_ext(path: &str) -> (&str, &str) {
    let file_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[file_start..].rfind('.') {
        Some(dot) if dot > 0 => path.split_at(file_start + dot),
        _ => (path, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_sorted_for_binary_search() {
        assert!(MANIFEST.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn every_public_file_round_trips_through_its_fingerprinted_url() {
        assert!(!MANIFEST.is_empty());
        for (path, hash) in MANIFEST {
            let u = url(path);
            assert!(u.contains(hash), "{u}");
            assert_eq!(resolve(&u).as_deref(), Some(*path));
            assert_eq!(url(&format!("/{path}")), u);
        }
    }

    #[test]
    fn stale_or_unknown_fingerprints_do_not_resolve() {
        assert_eq!(resolve("/static/css/app.0000000000.css"), None);
        assert_eq!(resolve("/static/nope.css"), None);
        assert_eq!(resolve("/other/css/app.css"), None);
        assert_eq!(url("https://example.com/x.png"), "https://example.com/x.png");
    }

    #[test]
    fn extensions_split_at_the_last_dot_of_the_file_name() {
        assert_eq!(split_ext("css/app.css"), ("css/app", ".css"));
        assert_eq!(split_ext("a.b/c"), ("a.b/c", ""));
        assert_eq!(split_ext(".hidden"), (".hidden", ""));
    }
}
