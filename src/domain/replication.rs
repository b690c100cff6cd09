//! D1 read replication (the Sessions API): where a request's reads may be served from, and the
//! bookmark that ties the shared catalog pages to the writes they must show.
//!
//! Pages are cached per catalog version and shared by every visitor, so a page rendered on a
//! replica must be at least as new as the write that made its version: the version's KV value
//! carries the primary's bookmark taken after that write (`version_value`), and catalog renders open
//! their session from it (`catalog_start`). A shopper's own data (cart, checkout, account, orders)
//! is read on the primary, so nobody reads older data than they wrote. Without a bookmark (a
//! version written before replication was switched on, or a seeded shop) catalog reads also go to
//! the primary: correct first, cheaper once the next catalog write records one.

/// Where a D1 session starts (`D1Database::withSession`'s argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStart<'a> {
    /// The first query on the primary (`first-primary`): the session then sees every committed write.
    Primary,
    /// Any replica at least as new as the bookmark.
    After(&'a str),
}

impl SessionStart<'_> {
    /// The argument the Sessions API takes.
    pub fn as_str(&self) -> &str {
        match self {
            SessionStart::Primary => "first-primary",
            SessionStart::After(bookmark) => bookmark,
        }
    }
}

/// Longest bookmark accepted from KV (D1's are 61 characters: four hex groups).
const MAX_BOOKMARK: usize = 128;

/// A D1 bookmark as D1 writes them (hex digits in dash-separated groups). Anything else read back
/// (a hand-edited KV value) is ignored rather than passed to D1.
pub fn is_bookmark(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_BOOKMARK
        && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && s.split('-').all(|group| !group.is_empty())
}

/// The catalog version's KV value: the version, then (when replication is on) a space and the
/// primary's bookmark taken after the write that made it.
pub fn version_value(version: &str, bookmark: Option<&str>) -> String {
    match bookmark.filter(|b| is_bookmark(b)) {
        Some(b) => format!("{version} {b}"),
        None => version.to_string(),
    }
}

/// Splits a catalog version's KV value into the version (what pages are keyed by) and its bookmark.
pub fn split_version_value(value: &str) -> (&str, Option<&str>) {
    match value.split_once(' ') {
        Some((version, bookmark)) => (version, Some(bookmark.trim()).filter(|b| is_bookmark(b))),
        None => (value, None),
    }
}

/// Where the catalog reads of a page render start: `None` with replication off (the plain binding,
/// on the primary, as without sessions); from the version's bookmark when it has one; else the
/// primary.
pub fn catalog_start(enabled: bool, bookmark: Option<&str>) -> Option<SessionStart<'_>> {
    if !enabled {
        return None;
    }
    Some(match bookmark.filter(|b| is_bookmark(b)) {
        Some(b) => SessionStart::After(b),
        None => SessionStart::Primary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOKMARK: &str = "0000002c-00000002-00004f6e-3e2d0e3f81c17a2cbaa0b11a9b2d21b1";

    #[test]
    fn bookmarks_are_hex_groups_and_nothing_else_reaches_d1() {
        assert!(is_bookmark(BOOKMARK));
        assert!(is_bookmark("00000000-00000001-00000000-00000000000000000000000000000000"));
        for bad in ["", "first-primary", "first-unconstrained", "0000-", "-0000", "00--00", "00 00", "0000\r\nx: y", &"0".repeat(129)] {
            assert!(!is_bookmark(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_version_value_carries_its_bookmark_and_reads_back() {
        let value = version_value("1733580000000aK3x9", Some(BOOKMARK));
        assert_eq!(value, format!("1733580000000aK3x9 {BOOKMARK}"));
        assert_eq!(split_version_value(&value), ("1733580000000aK3x9", Some(BOOKMARK)));
        // Replication off, or a bookmark D1 did not give: the bare version, as before.
        assert_eq!(version_value("17a", None), "17a");
        assert_eq!(version_value("17a", Some("not a bookmark")), "17a");
        assert_eq!(split_version_value("17a"), ("17a", None));
        assert_eq!(split_version_value("0"), ("0", None));
        // A damaged bookmark is dropped; the version still keys the pages.
        assert_eq!(split_version_value("17a first-unconstrained"), ("17a", None));
    }

    #[test]
    fn catalog_renders_start_from_the_versions_bookmark_or_the_primary() {
        assert_eq!(catalog_start(false, Some(BOOKMARK)), None, "off: the plain binding");
        assert_eq!(catalog_start(true, Some(BOOKMARK)), Some(SessionStart::After(BOOKMARK)));
        assert_eq!(catalog_start(true, None), Some(SessionStart::Primary), "no bookmark: never a replica older than the version");
        assert_eq!(catalog_start(true, Some("junk")), Some(SessionStart::Primary));
        assert_eq!(SessionStart::Primary.as_str(), "first-primary");
        assert_eq!(SessionStart::After(BOOKMARK).as_str(), BOOKMARK);
    }
}
