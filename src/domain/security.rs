//! The security baseline's pure rules: CSRF tokens bound to the visitor's session, the
//! `Origin`/`Sec-Fetch-Site` check, the per-request Content-Security-Policy, and the slots through
//! which a shared (cached) page body gets its per-response nonce and CSRF token.
//!
//! Pages are rendered once and shared (edge cache, isolate memory), so they never contain a nonce or
//! a token: they contain *slots* that the response layer fills for each response. A slot contains
//! `<`, which maud always escapes in data, so no shopper-supplied text can ever produce one.
//! See `docs/SECURITY.md`.

use super::signature::{hmac_hex, verify_hex};

/// Where the per-response CSP nonce goes (`<script nonce="…">`).
pub const NONCE_SLOT: &str = "<%nonce%>";
/// Where the visitor's CSRF token goes (the hidden `csrf` field of every state-changing form).
pub const CSRF_SLOT: &str = "<%csrf%>";
/// The form field that carries the token.
pub const CSRF_FIELD: &str = "csrf";
/// The policy of the shop's own static files (`public/`, at their plain paths through
/// `public/_headers` and fingerprinted through the Worker): none of them is a page, so opened on its
/// own (an SVG typed into the address bar) a file is a sandboxed document that runs nothing.
pub const ASSET_CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox";

/// The visitor's CSRF token: an HMAC of what binds it (the session id when signed in, otherwise the
/// guest's random `vestify_csrf` cookie). Needs no storage, and a new session means new tokens.
pub fn csrf_token(secret: &[u8], binding: &str) -> String {
    hmac_hex(secret, format!("csrf:{binding}").as_bytes())
}

pub fn verify_csrf(secret: &[u8], binding: &str, token: &str) -> bool {
    !binding.is_empty() && verify_hex(secret, format!("csrf:{binding}").as_bytes(), token)
}

/// A short tag of the binding for `ETag`s of pages that carry a token: a browser revalidating a page
/// it got under another session must get the page again (with a token that works), not a 304.
pub fn binding_tag(secret: &[u8], binding: &str) -> String {
    hmac_hex(secret, format!("etag:{binding}").as_bytes()).chars().take(10).collect()
}

/// Whether a state-changing request comes from our own pages. Browsers send `Sec-Fetch-Site`; when
/// it is absent (older browsers), `Origin` must be one of ours. Neither header (a non-browser client)
/// passes this check; the CSRF token is what such a client cannot have.
pub fn same_origin(sec_fetch_site: Option<&str>, origin: Option<&str>, ours: &[&str]) -> bool {
    if let Some(site) = sec_fetch_site {
        if site != "same-origin" {
            return false;
        }
    }
    match origin {
        Some("null") => false,
        Some(origin) => ours.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        None => true,
    }
}

/// The Content-Security-Policy of an HTML response: scripts only with this response's nonce (and
/// what they load, `strict-dynamic`), no inline anything, no framing of the shop. `media`: the
/// video service's origins (space-separated, Cloudflare Stream's player and upload hosts; empty
/// without it), which may be framed, shown and uploaded to. `tags`: where the consented tags send
/// their beacons (`domain::ad_tags::Tags::csp_connect`; empty without tags), only `connect-src`.
pub fn csp(nonce: &str, media: &str, tags: &str) -> String {
    let (frame, img, mut connect) = if media.is_empty() {
        (String::new(), String::new(), String::new())
    } else {
        (format!("frame-src {media}; "), format!(" {media}"), format!(" {media}"))
    };
    if !tags.is_empty() {
        connect = format!("{connect} {tags}");
    }
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self'; \
         img-src 'self' data: https:{img}; font-src 'self'; connect-src 'self'{connect}; worker-src 'self'; manifest-src 'self'; {frame}object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests"
    )
}

/// A slot in a rendered page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Nonce,
    Csrf,
}

impl Slot {
    fn text(self) -> &'static str {
        match self {
            Slot::Nonce => NONCE_SLOT,
            Slot::Csrf => CSRF_SLOT,
        }
    }
}

/// Where a page's slots are (byte offsets, in order): found once when a page is rendered, so each
/// response that shares the page fills them without searching its body again.
pub fn find_slots(body: &str) -> Vec<(usize, Slot)> {
    body.match_indices("<%")
        .filter_map(|(at, _)| [Slot::Nonce, Slot::Csrf].into_iter().find(|slot| body[at..].starts_with(slot.text())).map(|slot| (at, slot)))
        .collect()
}

/// Fills the slots of a rendered page for one response, at the offsets `find_slots` gave.
pub fn fill_found(body: &str, slots: &[(usize, Slot)], nonce: &str, csrf: &str) -> String {
    let mut out = String::with_capacity(body.len() + slots.len() * nonce.len().max(csrf.len()));
    let mut from = 0;
    for &(at, slot) in slots {
        let Some(before) = body.get(from..at) else { break };
        out.push_str(before);
        out.push_str(match slot {
            Slot::Nonce => nonce,
            Slot::Csrf => csrf,
        });
        from = at + slot.text().len();
    }
    out.push_str(body.get(from..).unwrap_or_default());
    out
}

/// `"abc"` → `"abc-k{tag}"`: the ETag of a page that carries the visitor's token.
pub fn tag_etag(etag: &str, tag: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) => format!("{open}-k{tag}\""),
        None => etag.to_string(),
    }
}

/// Rewrites an incoming `If-None-Match` for the cache layer: a tag made for this visitor's binding
/// loses its suffix (and `true` is returned), a tag made for another binding is dropped (it must not
/// match), others pass unchanged.
pub fn untag_if_none_match(header: &str, tag: &str) -> (String, bool) {
    let mut tagged = false;
    let kept: Vec<String> = header
        .split(',')
        .map(str::trim)
        .filter_map(|candidate| {
            let Some((open, rest)) = candidate.rsplit_once("-k") else { return Some(candidate.to_string()) };
            match rest.strip_suffix('"') {
                Some(t) if t == tag => {
                    tagged = true;
                    Some(format!("{open}\""))
                }
                Some(t) if t.len() == tag.len() && t.bytes().all(|b| b.is_ascii_hexdigit()) => None,
                _ => Some(candidate.to_string()),
            }
        })
        .collect();
    (kept.join(", "), tagged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_static_file_is_served_with_nosniff_and_the_assets_policy() {
        // The assets binding answers `/img/…`, `/js/…` without the Worker: its `_headers` file must
        // give every path the headers the Worker gives `/static/…`.
        let headers = include_str!("../../public/_headers");
        let rules: Vec<&str> = headers.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()).collect();
        assert_eq!(rules.first().copied(), Some("/*"), "one rule for every path: {headers}");
        assert!(rules.contains(&"  X-Content-Type-Options: nosniff"), "{headers}");
        assert!(rules.contains(&format!("  Content-Security-Policy: {ASSET_CSP}").as_str()), "{headers}");
    }

    #[test]
    fn a_token_works_only_for_its_binding_and_secret() {
        let token = csrf_token(b"s", "session-1");
        assert!(verify_csrf(b"s", "session-1", &token));
        assert!(!verify_csrf(b"s", "session-2", &token));
        assert!(!verify_csrf(b"other", "session-1", &token));
        assert!(!verify_csrf(b"s", "session-1", ""));
        assert!(!verify_csrf(b"s", "", &csrf_token(b"s", "")));
    }

    #[test]
    fn only_same_origin_requests_pass() {
        let ours = ["https://vestify.vn"];
        assert!(same_origin(Some("same-origin"), Some("https://vestify.vn"), &ours));
        assert!(same_origin(Some("same-origin"), None, &ours));
        assert!(same_origin(None, Some("https://vestify.vn"), &ours));
        assert!(same_origin(None, None, &ours));
        for site in ["cross-site", "same-site", "none"] {
            assert!(!same_origin(Some(site), Some("https://vestify.vn"), &ours), "{site}");
        }
        assert!(!same_origin(None, Some("https://evil.example"), &ours));
        assert!(!same_origin(Some("same-origin"), Some("https://evil.example"), &ours));
        assert!(!same_origin(None, Some("null"), &ours));
    }

    #[test]
    fn the_policy_allows_only_nonced_scripts() {
        let policy = csp("abc", "", "");
        assert!(policy.contains("script-src 'nonce-abc' 'strict-dynamic'"));
        assert!(!policy.contains("frame-src"), "nothing is framed without a video service");
        let with_stream = csp("abc", "https://customer-x.cloudflarestream.com https://upload.videodelivery.net", "");
        assert!(with_stream.contains("frame-src https://customer-x.cloudflarestream.com https://upload.videodelivery.net;"));
        assert!(with_stream.contains("connect-src 'self' https://customer-x.cloudflarestream.com https://upload.videodelivery.net;"));
        assert!(with_stream.contains("frame-ancestors 'none'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("worker-src 'self';"), "the shop's own service worker only");
        assert!(!policy.contains("unsafe-inline"));
        let with_tags = csp("abc", "", "https://*.google-analytics.com https://www.facebook.com");
        assert!(with_tags.contains("connect-src 'self' https://*.google-analytics.com https://www.facebook.com;"), "{with_tags}");
        assert!(with_tags.contains("script-src 'nonce-abc' 'strict-dynamic';"), "tag scripts come in through the nonced script, never by host");
    }

    #[test]
    fn slots_are_filled_and_cannot_come_from_escaped_text() {
        let page = format!("<script nonce=\"{NONCE_SLOT}\"></script><input value=\"{CSRF_SLOT}\">");
        assert_eq!(fill_found(&page, &find_slots(&page), "n1", "t1"), "<script nonce=\"n1\"></script><input value=\"t1\">");
        let escaped = maud::html! { p { (NONCE_SLOT) (CSRF_SLOT) } }.into_string();
        assert_eq!(fill_found(&escaped, &find_slots(&escaped), "n1", "t1"), escaped, "shopper text never becomes a slot");
    }

    #[test]
    fn slots_found_once_fill_like_a_search() {
        let page = format!("<p>a<%b</p><script nonce=\"{NONCE_SLOT}\"></script><%<input value=\"{CSRF_SLOT}\"><i>{CSRF_SLOT}</i>é{NONCE_SLOT}");
        let slots = find_slots(&page);
        assert_eq!(slots.iter().map(|s| s.1).collect::<Vec<_>>(), [Slot::Nonce, Slot::Csrf, Slot::Csrf, Slot::Nonce]);
        let filled = fill_found(&page, &slots, "n1", "t1");
        assert_eq!(filled, page.replace(NONCE_SLOT, "n1").replace(CSRF_SLOT, "t1"));
        assert_eq!(fill_found("plain", &[], "n", "t"), "plain");
        assert_eq!(fill_found("", &find_slots(""), "n", "t"), "");
        assert_eq!(fill_found(NONCE_SLOT, &find_slots(NONCE_SLOT), "", ""), "");
    }

    #[test]
    fn etags_carry_the_binding_tag_and_only_the_same_visitor_gets_a_304() {
        assert_eq!(tag_etag("\"abc\"", "0123456789"), "\"abc-k0123456789\"");
        assert_eq!(untag_if_none_match("\"abc-k0123456789\"", "0123456789"), ("\"abc\"".to_string(), true));
        assert_eq!(untag_if_none_match("W/\"abc-k0123456789\"", "0123456789"), ("W/\"abc\"".to_string(), true));
        assert_eq!(untag_if_none_match("\"abc-kffffffffff\"", "0123456789"), (String::new(), false));
        assert_eq!(untag_if_none_match("\"abc\", *", "0123456789"), ("\"abc\", *".to_string(), false));
    }
}
