//! HTTP caching rules: validators (`ETag` / `If-None-Match`) and the `Cache-Control` policies.

use sha2::{Digest, Sha256};

/// Catalog HTML and JSON: browsers revalidate after a minute; the edge keeps it for five and may
/// serve a stale copy for a day while it refreshes. A catalog change bypasses all of it, because the
/// catalog version is part of the edge cache key.
pub const CATALOG: &str = "public, max-age=60, s-maxage=300, stale-while-revalidate=86400";
/// Reference data that changes only with a deploy (the province and ward lists): browsers keep it
/// a day, the edge a week (its cache key has the build digest, so a deploy with new data is a miss).
pub const REFERENCE: &str = "public, max-age=86400, s-maxage=604800, stale-while-revalidate=604800";
/// Fingerprinted assets never change under the same URL.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Errors and anything personal.
pub const NO_STORE: &str = "no-store";

/// Query parameters that only say where a visitor came from (ads, shares from Facebook, Zalo, X,
/// Pinterest, newsletters). Pages never read them, so they are dropped before a page is looked up or
/// rendered: a link shared on Facebook (`?fbclid=…`, unique per click) is then an edge-cache hit.
const TRACKING: &[&str] = &["fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid", "ttclid", "twclid", "igshid", "zarsrc", "epik", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src"];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING.contains(&lower.as_str())
}

/// The query a catalog page is cached and rendered under: the given one (with its `?`) minus
/// tracking parameters, other parameters untouched and in order; empty when nothing is left.
pub fn page_query(query: &str) -> String {
    let raw = query.strip_prefix('?').unwrap_or(query);
    let kept: Vec<&str> = raw.split('&').filter(|p| !p.is_empty() && !is_tracking(p.split('=').next().unwrap_or(p))).collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// A strong validator from the body's content: equal bodies, equal tags, whichever isolate made them.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` header matches `etag` (RFC 9110 §13.1.2: weak comparison, lists, `*`).
pub fn if_none_match_hits(header: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let wanted = opaque(etag);
    header.split(',').map(str::trim).any(|candidate| candidate == "*" || opaque(candidate) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_leave_the_page_query() {
        assert_eq!(page_query("?fbclid=IwAR0abc"), "");
        assert_eq!(page_query("?size=M&utm_source=zalo&UTM_Medium=share&color=den&zarsrc=30"), "?size=M&color=den");
        assert_eq!(page_query("?q=gile+len&gclid=x&page=2"), "?q=gile+len&page=2");
        assert_eq!(page_query("?variant=VS-PUF01-BLK-S"), "?variant=VS-PUF01-BLK-S");
        assert_eq!(page_query(""), "");
        assert_eq!(page_query("?&&"), "");
        assert_eq!(page_query("?utm=1"), "?utm=1", "only utm_* is tracking");
    }

    #[test]
    fn etags_are_quoted_and_depend_on_content_only() {
        let a = etag(b"<html>a</html>");
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert_eq!(a, etag(b"<html>a</html>"));
        assert_ne!(a, etag(b"<html>b</html>"));
    }

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        let tag = "\"abc\"";
        assert!(if_none_match_hits("\"abc\"", tag));
        assert!(if_none_match_hits("W/\"abc\"", tag));
        assert!(if_none_match_hits("\"x\", \"abc\"", tag));
        assert!(if_none_match_hits("*", tag));
        assert!(!if_none_match_hits("\"abcd\"", tag));
        assert!(!if_none_match_hits("", tag));
    }
}
