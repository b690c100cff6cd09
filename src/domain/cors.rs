//! Cross-origin access to the JSON API (`/api/…`): which web apps on other origins may call it, and
//! the CORS headers of its preflights and answers.
//!
//! The apps' origins are configuration (`API_ALLOWED_ORIGINS`, space-separated, none by default). An
//! allowed origin is echoed in `Access-Control-Allow-Origin` on every answer of the API, errors
//! included, with `Vary: Origin`; a preflight from it is answered with the methods and request
//! headers its route takes. The API authenticates with headers (`Authorization`, `X-Cart-Token`,
//! `X-Order-Token`), never with cookies, so `Access-Control-Allow-Credentials` is never sent, and
//! `*` is sent only on the public catalog's reads (any site may read the catalog, without
//! credentials), never on a personal answer.

use super::origin::PublicOrigin;

/// How long a browser may reuse a preflight's answer: 10 minutes.
pub const MAX_AGE_SECONDS: u32 = 600;

/// The response headers a page of an allowed origin may read besides the CORS-safelisted ones.
pub const EXPOSE_HEADERS: &str = "X-Request-Id, ETag, Location, Retry-After, Idempotent-Replayed, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";

/// The origins of the web apps allowed to call the API from a browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Reads `API_ALLOWED_ORIGINS`: origins (`https://app.example`, `http://127.0.0.1:5173`)
    /// separated by spaces. An entry that is not an origin (a path, `*`, another scheme) is left out,
    /// so a typo never opens the API to every site.
    pub fn parse(configured: &str) -> AllowedOrigins {
        let mut origins: Vec<String> = Vec::new();
        for origin in configured.split_whitespace().filter(|o| !o.ends_with('/')).filter_map(PublicOrigin::parse).map(|o| o.as_string()) {
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        AllowedOrigins(origins)
    }

    /// Whether a request's `Origin` header names an allowed origin (compared as browsers send it:
    /// scheme, host and a non-default port; the host case-insensitively).
    pub fn allows(&self, origin: &str) -> bool {
        let Some(origin) = PublicOrigin::parse(origin).filter(|_| !origin.ends_with('/')) else { return false };
        self.0.contains(&origin.as_string())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn list(&self) -> &[String] {
        &self.0
    }
}

/// Where an app's shopper may be sent back after paying (`return_url`, `cancel_url` of an API
/// checkout): a URL of an allowed origin (`https://app.example/done`), or of an app scheme listed
/// in `API_APP_SCHEMES` (`vestify-app:/orders`). Anything else — another origin, credentials in
/// the URL, spaces or control characters, a web scheme listed as an app's, over 2,000 bytes — is
/// `None` (refused, so the shop never redirects a shopper somewhere an attacker chose).
pub fn app_return_url(raw: &str, allowed: &AllowedOrigins, schemes: &[String]) -> Option<String> {
    let url = raw.trim();
    if url.is_empty() || url.len() > 2000 || url.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return None;
    }
    let (scheme, rest) = url.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "http" || scheme == "https" {
        let after = rest.strip_prefix("//")?;
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let authority = &after[..end];
        if authority.contains('@') {
            return None;
        }
        return allowed.allows(&format!("{scheme}://{authority}")).then(|| url.to_string());
    }
    let listed = schemes.contains(&scheme);
    let web = ["javascript", "data", "file", "blob", "vbscript", "about", "ftp", "ws", "wss"].contains(&scheme.as_str());
    (listed && !web).then(|| url.to_string())
}

/// `API_APP_SCHEMES`: the registered app schemes (`vestify-app com.example.shop`), lower case;
/// an entry that is not a scheme is left out.
pub fn app_schemes(configured: &str) -> Vec<String> {
    configured
        .split_whitespace()
        .map(|s| s.trim_end_matches(':').to_ascii_lowercase())
        .filter(|s| s.len() <= 64 && s.starts_with(|c: char| c.is_ascii_lowercase()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')))
        .filter(|s| s != "http" && s != "https")
        .collect()
}

/// The app's URL with the order and how the payment ended (`paid`, `failed`, `cancelled`) added to
/// its query: `https://app.example/done?order_id=…&status=paid`.
pub fn app_redirect(base: &str, order_id: &str, status: &str) -> String {
    let (url, fragment) = base.split_once('#').map_or((base, None), |(u, f)| (u, Some(f)));
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut out = format!("{url}{sep}order_id={order_id}&status={status}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// What an API route takes from a browser: its methods (the preflight's and the 405's `Allow`) and
/// the request headers beyond the safelisted ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteAccess {
    pub methods: &'static str,
    pub headers: &'static str,
    /// Public catalog reads: readable from any origin (`*`) without credentials.
    pub public: bool,
}

const CATALOG: RouteAccess = RouteAccess { methods: "GET, HEAD", headers: "", public: true };
const CART: &str = "Content-Type, X-Cart-Token, Authorization";
const CART_WRITE: &str = "Content-Type, X-Cart-Token, Authorization, Idempotency-Key";

/// The route at `/api/…` with the path's segments after `api` (`["v1", "carts", "c1", "items"]`),
/// or `None` when the API has no such path.
pub fn route(segments: &[&str]) -> Option<RouteAccess> {
    let access = |methods, headers| Some(RouteAccess { methods, headers, public: false });
    match segments {
        ["v1", "openapi.json" | "docs" | "categories" | "products" | "search" | "availability"] => Some(CATALOG),
        ["v1", "products", _] | ["v1", "regions", "provinces"] | ["v1", "regions", "provinces", _, "wards"] => Some(CATALOG),
        ["v1", "carts"] => access("POST", "Content-Type, Authorization"),
        ["v1", "carts", _] => access("GET", CART),
        ["v1", "carts", _, "items" | "checkout"] => access("POST", CART_WRITE),
        ["v1", "carts", _, "coupons" | "shipping-quote"] => access("POST", CART),
        ["v1", "carts", _, "items", _] => access("PATCH, DELETE", CART),
        ["v1", "carts", _, "coupons", _] => access("DELETE", CART),
        ["v1", "orders", _] => access("GET", "X-Order-Token, Authorization"),
        ["v1", "auth", "token" | "refresh" | "logout" | "signup" | "verify" | "password-reset"] => access("POST", "Content-Type"),
        ["v1", "auth", "password-reset", "confirm"] => access("POST", "Content-Type"),
        ["v1", "me"] => access("GET, PATCH", "Authorization, Content-Type"),
        ["v1", "me", "addresses"] => access("GET, POST", "Authorization, Content-Type"),
        ["v1", "me", "addresses", _] => access("PUT, DELETE", "Authorization, Content-Type"),
        ["v1", "me", "addresses", _, "default"] => access("POST", "Authorization"),
        ["v1", "me", "orders"] | ["v1", "me", "orders", _] => access("GET", "Authorization"),
        ["v1", "me", "wishlist"] => access("GET, POST", "Authorization, Content-Type"),
        ["v1", "me", "wishlist", _] => access("DELETE", "Authorization"),
        _ => None,
    }
}

/// The CORS headers of an API answer (not a preflight) to a request from `origin` (its `Origin`
/// header, absent for same-origin and non-browser requests).
pub fn response_headers(allowed: &AllowedOrigins, origin: Option<&str>, public: bool) -> Vec<(&'static str, String)> {
    let mut headers = vec![("vary", "Origin".to_string())];
    match origin {
        Some(origin) if allowed.allows(origin) => {
            headers.push(("access-control-allow-origin", origin.to_string()));
            headers.push(("access-control-expose-headers", EXPOSE_HEADERS.to_string()));
        }
        _ if public => {
            headers.push(("access-control-allow-origin", "*".to_string()));
            headers.push(("access-control-expose-headers", EXPOSE_HEADERS.to_string()));
        }
        _ => {}
    }
    headers
}

/// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`) for `route`: 204 with
/// the route's methods and headers for an allowed origin (or any origin on a public route); only
/// `Vary` and `Allow` otherwise, which the browser reads as a refusal.
pub fn preflight_headers(allowed: &AllowedOrigins, origin: Option<&str>, route: &RouteAccess) -> Vec<(&'static str, String)> {
    let mut headers = vec![("vary", "Origin".to_string()), ("allow", format!("{}, OPTIONS", route.methods))];
    let permitted = origin.is_some_and(|o| allowed.allows(o));
    if permitted || route.public {
        let allow_origin = if permitted { origin.unwrap_or("*").to_string() } else { "*".to_string() };
        headers.push(("access-control-allow-origin", allow_origin));
        headers.push(("access-control-allow-methods", route.methods.to_string()));
        if !route.headers.is_empty() {
            headers.push(("access-control-allow-headers", route.headers.to_string()));
        }
        headers.push(("access-control-max-age", MAX_AGE_SECONDS.to_string()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn allowed_origins_are_read_strictly_and_none_by_default() {
        assert!(AllowedOrigins::parse("").is_empty());
        let allowed = AllowedOrigins::parse("https://app.example  http://127.0.0.1:5173 https://App.Example:443 * https://x.example/path ftp://f.example");
        assert_eq!(allowed.list(), ["https://app.example", "http://127.0.0.1:5173"]);
        assert!(allowed.allows("https://app.example"));
        assert!(allowed.allows("https://APP.example"));
        assert!(allowed.allows("http://127.0.0.1:5173"));
        for other in ["http://app.example", "https://app.example:8443", "https://evil.example", "http://127.0.0.1:5174", "null", "", "*", "https://app.example/", "https://app.example.evil.example"] {
            assert!(!allowed.allows(other), "{other}");
        }
    }

    #[test]
    fn an_allowed_origin_is_echoed_on_every_answer_and_star_only_on_public_reads() {
        let allowed = AllowedOrigins::parse("https://app.example");
        let personal = response_headers(&allowed, Some("https://app.example"), false);
        assert_eq!(get(&personal, "access-control-allow-origin"), Some("https://app.example"));
        assert_eq!(get(&personal, "vary"), Some("Origin"));
        assert!(get(&personal, "access-control-expose-headers").is_some_and(|h| h.contains("Idempotent-Replayed") && h.contains("RateLimit-Remaining")));
        assert_eq!(get(&personal, "access-control-allow-credentials"), None, "the API never takes cookies");
        let foreign = response_headers(&allowed, Some("https://evil.example"), false);
        assert_eq!(get(&foreign, "access-control-allow-origin"), None);
        assert_eq!(get(&foreign, "vary"), Some("Origin"));
        assert_eq!(get(&response_headers(&allowed, None, false), "access-control-allow-origin"), None);
        assert_eq!(get(&response_headers(&allowed, Some("https://evil.example"), true), "access-control-allow-origin"), Some("*"));
        assert_eq!(get(&response_headers(&allowed, Some("https://app.example"), true), "access-control-allow-origin"), Some("https://app.example"));
        for headers in [personal, foreign, response_headers(&allowed, None, true)] {
            assert_eq!(get(&headers, "access-control-allow-credentials"), None);
        }
    }

    #[test]
    fn a_preflight_is_answered_with_the_routes_methods_and_headers() {
        let allowed = AllowedOrigins::parse("https://app.example");
        let items = route(&["v1", "carts", "c1", "items"]).expect("a route");
        let answer = preflight_headers(&allowed, Some("https://app.example"), &items);
        assert_eq!(get(&answer, "access-control-allow-origin"), Some("https://app.example"));
        assert_eq!(get(&answer, "access-control-allow-methods"), Some("POST"));
        assert_eq!(get(&answer, "access-control-allow-headers"), Some("Content-Type, X-Cart-Token, Authorization, Idempotency-Key"));
        assert_eq!(get(&answer, "access-control-max-age"), Some("600"));
        assert_eq!(get(&answer, "vary"), Some("Origin"));
        let refused = preflight_headers(&allowed, Some("https://evil.example"), &items);
        assert_eq!(get(&refused, "access-control-allow-origin"), None);
        assert_eq!(get(&refused, "access-control-allow-methods"), None);
        assert_eq!(get(&refused, "allow"), Some("POST, OPTIONS"));
        let order = route(&["v1", "orders", "o1"]).expect("a route");
        assert_eq!(get(&preflight_headers(&allowed, Some("https://app.example"), &order), "access-control-allow-headers"), Some("X-Order-Token, Authorization"));
        let line = route(&["v1", "carts", "c1", "items", "3"]).expect("a route");
        assert_eq!(line.methods, "PATCH, DELETE");
        let catalog = route(&["v1", "products"]).expect("a route");
        assert_eq!(get(&preflight_headers(&allowed, Some("https://evil.example"), &catalog), "access-control-allow-origin"), Some("*"));
    }

    #[test]
    fn an_app_return_url_is_an_allowed_origins_or_a_registered_schemes_and_nothing_else() {
        let allowed = AllowedOrigins::parse("https://app.example http://127.0.0.1:5173");
        let schemes = app_schemes("vestify-app com.example.Shop: https 1bad ja va");
        assert_eq!(schemes, ["vestify-app", "com.example.shop", "ja", "va"]);
        for ok in ["https://app.example/done", "https://app.example", "https://APP.example/x?y=1#z", "http://127.0.0.1:5173/paid", "vestify-app:/orders", "com.example.shop://paid?x=1"] {
            assert_eq!(app_return_url(ok, &allowed, &schemes).as_deref(), Some(ok), "{ok}");
        }
        for bad in [
            "", "https://evil.example/done", "https://app.example.evil.example/", "https://app.example@evil.example/", "https://evil.example\\@app.example/",
            "http://app.example/done", "https://app.example:8443/", "//app.example/done", "/orders/1", "javascript:alert(1)", "other-app:/x",
            "https://app.example/ done", "data:text/html,x",
        ] {
            assert_eq!(app_return_url(bad, &allowed, &schemes), None, "{bad}");
        }
        assert_eq!(app_return_url(&format!("https://app.example/{}", "a".repeat(2000)), &allowed, &schemes), None);
        assert_eq!(app_return_url("javascript:alert(1)", &allowed, &app_schemes("javascript")), None, "a web scheme is never an app's");
        assert_eq!(app_redirect("https://app.example/done", "o1", "paid"), "https://app.example/done?order_id=o1&status=paid");
        assert_eq!(app_redirect("vestify-app:/x?a=1#top", "o1", "failed"), "vestify-app:/x?a=1&order_id=o1&status=failed#top");
    }

    #[test]
    fn every_api_path_has_its_route_and_no_other_does() {
        for path in [
            "v1/openapi.json", "v1/docs", "v1/categories", "v1/products", "v1/products/gile", "v1/search", "v1/regions/provinces", "v1/regions/provinces/79/wards",
            "v1/carts", "v1/carts/c", "v1/carts/c/items", "v1/carts/c/items/1", "v1/carts/c/checkout", "v1/carts/c/coupons", "v1/carts/c/coupons/X", "v1/carts/c/shipping-quote",
            "v1/orders/o", "v1/auth/token", "v1/auth/refresh", "v1/auth/logout", "v1/me", "v1/me/orders", "v1/me/orders/o", "v1/me/wishlist", "v1/me/wishlist/gile",
        ] {
            assert!(route(&path.split('/').collect::<Vec<_>>()).is_some(), "{path}");
        }
        for path in ["v1", "v2/products", "v1/nope", "v1/orders", "v1/carts/c/nope", "v1/products/a/b", "v1/auth/nope", "v1/me/wishlist/a/b"] {
            assert_eq!(route(&path.split('/').collect::<Vec<_>>()), None, "{path}");
        }
    }
}
