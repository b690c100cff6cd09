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

/// KV accepts one write a second to a key: the least time between two writes of the catalog version.
pub const VERSION_WRITE_GAP_MS: f64 = 1_000.0;

/// What a catalog write does about the catalog version, given when this isolate last wrote it and
/// whether a write is already waiting its turn.
#[derive(Debug, PartialEq)]
pub enum VersionBump {
    /// Write it now.
    Now,
    /// Wait this many milliseconds (the rest of the gap since the last write), then write it.
    After(f64),
    /// A write is already waiting and comes after this change: it carries this change too.
    Joined,
}

/// Coalesces catalog-version writes so that a burst of catalog changes (a bulk edit, an app's stock
/// updates) makes at most one KV write a second from an isolate: the first change after a write
/// waits out the gap, and every change meanwhile joins that waiting write.
pub fn version_bump(now_ms: f64, last_write_ms: Option<f64>, waiting: bool) -> VersionBump {
    if waiting {
        return VersionBump::Joined;
    }
    match last_write_ms {
        Some(last) if (0.0..VERSION_WRITE_GAP_MS).contains(&(now_ms - last)) => VersionBump::After(VERSION_WRITE_GAP_MS - (now_ms - last)),
        _ => VersionBump::Now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_writes_are_at_least_a_second_apart_and_a_burst_is_one_write() {
        assert_eq!(version_bump(10_000.0, None, false), VersionBump::Now);
        assert_eq!(version_bump(10_000.0, Some(8_000.0), false), VersionBump::Now);
        assert_eq!(version_bump(10_000.0, Some(9_000.0), false), VersionBump::Now);
        assert_eq!(version_bump(10_000.0, Some(9_750.0), false), VersionBump::After(750.0));
        assert_eq!(version_bump(10_000.0, Some(10_000.0), false), VersionBump::After(1_000.0));
        assert_eq!(version_bump(10_000.0, Some(9_750.0), true), VersionBump::Joined);
        // A clock that went back (another isolate's time does not come in here, but be safe): write.
        assert_eq!(version_bump(10_000.0, Some(12_000.0), false), VersionBump::Now);
    }

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
