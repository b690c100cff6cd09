//! Which area of the shop answers a path.
//!
//! `area` reads a path's first segments against one table in which no two areas claim the same path;
//! the Worker's dispatcher (`routes::dispatch`) calls that area's module, whose one `match` on
//! (method, segments) names each route for the request log (`"cart.add_item"`) and picks its handler,
//! and answers what it does not name with the area's 404 (or 405). HTML areas are read without
//! their locale prefix (`/en/cart` is the cart); machine areas (`/api`, `/webhooks`, `/internal`,
//! `/admin`) only at the root.

/// The parts of the shop, each answered by one handler module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// `/healthz`.
    Health,
    /// `/static/{name}.{hash}.{ext}` (GET/HEAD).
    Static,
    /// `/media/{sha256}.{ext}` (GET/HEAD).
    Media,
    /// Home, listings, product pages, search, robots.txt, sitemap.xml, and every path no other area
    /// claims (a 404 page, or 405 for a write).
    Storefront,
    /// `/cart…` pages and `/api/v1/carts…`.
    Cart,
    /// `/checkout` and the sandbox provider's pay page `/pay/sandbox/{payment}`.
    Checkout,
    /// `/orders/{id}` and `/orders/{id}/cancel`, and `/api/v1/orders/{id}`.
    Orders,
    /// The real gateways: `/pay/{provider}/{payment}`, `/checkout/return/{provider}`,
    /// `/orders/{id}/pay`, `/webhooks/{gateway}` and refunds at `/internal/orders/{id}/refunds`.
    Payments,
    /// Other notifications under `/webhooks/` (the sandbox provider's).
    Webhooks,
    /// `/account…` and social sign-in `/auth/{provider}/…`.
    Account,
    /// `/admin…`.
    Admin,
    /// The public catalog API: `/api/…` that no other area claims.
    Api,
    /// App clients' tokens and account: `/api/v1/auth/…`, `/api/v1/me…`; and the API-key routes
    /// `/api/v1/server/…` (`routes::api_server`).
    ApiAccount,
    /// Operators' endpoints behind the internal token: `/internal/…`.
    Internal,
    /// Reviews: `/api/v1/products/{slug}/reviews`, `/api/v1/products/{slug}/questions`,
    /// `/api/v1/reviews/…` and the `/reviews/…` forms (questions and answers included).
    Reviews,
    /// `/share/{channel}/{slug}`: a product page's share button, counted, then on to the network.
    Share,
    /// Shoppers' alerts and mail preferences: `/alerts/…`, `/email/…` (unsubscribe, preferences),
    /// `/newsletter…`.
    Notify,
    /// The wishlist's pages and hearts `/wishlist…`, and the recently viewed block
    /// `/recently-viewed` (`routes::wishlist`).
    Wishlist,
}

const GATEWAYS: [&str; 4] = ["stripe", "paypal", "momo", "zalopay"];

/// The path's segments after its leading `/` (`"/"` is `[""]`, `"/cart/"` is `["cart", ""]`).
fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// Whether a request is a health probe: `GET` or `HEAD` of `/healthz` (a query ignored), read off the
/// request's absolute URL as the runtime gives it, before anything is parsed. The Worker answers
/// such a probe first thing, without configuration, cookies or the request log (a load balancer's
/// probe every few seconds would be most of the log), so it costs what a trivial Worker costs.
pub fn is_health_probe(method: &str, url: &str) -> bool {
    if method != "GET" && method != "HEAD" {
        return false;
    }
    let Some((_, rest)) = url.split_once("://") else { return false };
    let path = rest.find('/').map_or("", |at| &rest[at..]);
    let path = path.split_once(['?', '#']).map_or(path, |(p, _)| p);
    path == "/healthz"
}

/// Whether a write in this area can put messages in the outbox (an order placed or moved, a
/// payment, a refund, a one-time link, a sweep): such a request starts a delivery pass after its
/// response.
/// The cart area's only such write is the API's checkout (`/api/v1/carts/{id}/checkout`).
pub fn writes_messages(area: Area, path: &str) -> bool {
    matches!(area, Area::Checkout | Area::Orders | Area::Payments | Area::Webhooks | Area::Account | Area::ApiAccount | Area::Admin | Area::Internal | Area::Notify)
        || (area == Area::Cart && path.ends_with("/checkout"))
}

/// The area that answers `path`. `readable`: the method is GET or HEAD (static files and media
/// answer only those; any other method there falls to the storefront's 405).
pub fn area(path: &str, readable: bool) -> Area {
    let root = segments(path);
    let local = segments(super::locale::Locale::split_path(path).1);
    let ends_with = |s: &[&str], segment: &str| s.last() == Some(&segment);
    match (root.as_slice(), local.as_slice()) {
        (["healthz"], _) => Area::Health,
        (["static", _, ..], _) if readable => Area::Static,
        (["media", _, ..], _) if readable => Area::Media,
        (_, ["account", ..]) | (_, ["auth", _, ..]) => Area::Account,
        (_, ["alerts", ..]) | (_, ["email", ..]) | (_, ["newsletter", ..]) => Area::Notify,
        (["api", "v1", "products", _, "reviews" | "questions"] | ["api", "v1", "reviews", ..], _) | (_, ["reviews", ..]) => Area::Reviews,
        (["admin", ..], _) => Area::Admin,
        (["api", "v1", "auth", _, ..] | ["api", "v1", "me", ..] | ["api", "v1", "server", _, ..], _) => Area::ApiAccount,
        (_, ["pay", "sandbox", _, ..]) => Area::Checkout,
        (_, ["pay", _, ..]) | (_, ["checkout", "return", _, ..]) => Area::Payments,
        (_, ["orders", _, ..]) if ends_with(&local, "pay") => Area::Payments,
        (["webhooks", gateway], _) if GATEWAYS.contains(gateway) => Area::Payments,
        (["internal", "orders", _, ..], _) if ends_with(&root, "refunds") => Area::Payments,
        (_, ["cart", ..]) | (["api", "v1", "carts", ..], _) => Area::Cart,
        (_, ["checkout"]) => Area::Checkout,
        (_, ["orders", _, ..]) | (["api", "v1", "orders", _, ..], _) => Area::Orders,
        (["webhooks", _, ..], _) => Area::Webhooks,
        (["internal", _, ..], _) => Area::Internal,
        (["api", _, ..], _) => Area::Api,
        (_, ["share", _, _]) => Area::Share,
        (_, ["wishlist", ..]) | (_, ["recently-viewed"]) => Area::Wishlist,
        _ => Area::Storefront,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Area::*;

    #[test]
    fn a_health_probe_is_a_read_of_healthz_and_nothing_else() {
        for url in ["http://127.0.0.1:8787/healthz", "https://vestify.vn/healthz?probe=1", "https://vestify.vn/healthz#x"] {
            assert!(is_health_probe("GET", url), "{url}");
            assert!(is_health_probe("HEAD", url), "{url}");
        }
        for method in ["POST", "QUERY", "OPTIONS", "get"] {
            assert!(!is_health_probe(method, "https://vestify.vn/healthz"), "{method}");
        }
        for url in ["https://vestify.vn/healthz/", "https://vestify.vn/en/healthz", "https://vestify.vn/healthzz", "https://vestify.vn/", "https://vestify.vn", "/healthz", "https://healthz/x"] {
            assert!(!is_health_probe("GET", url), "{url}");
        }
    }

    /// The areas as the former chain of `owns(path)` checks assigned them, first claim first.
    #[test]
    fn every_path_lands_in_the_area_that_answered_it_before() {
        let table: &[(&str, bool, Area)] = &[
            ("/healthz", false, Health),
            ("/static/app.abc123.css", true, Static),
            ("/static/app.abc123.css", false, Storefront),
            ("/media/aa.png", true, Media),
            ("/media/aa.png", false, Storefront),
            ("/", true, Storefront),
            ("/en", true, Storefront),
            ("/en/", true, Storefront),
            ("/c/gile", true, Storefront),
            ("/en/p/gile-phao", true, Storefront),
            ("/nope", false, Storefront),
            ("/share/zalo/gile-len", true, Share),
            ("/en/share/copy/gile-len", true, Share),
            ("/share/zalo", true, Storefront),
            ("/wishlist", true, Wishlist),
            ("/en/wishlist/add", false, Wishlist),
            ("/wishlist/shared/1-2.abc", true, Wishlist),
            ("/recently-viewed", false, Wishlist),
            ("/recently-viewed/x", true, Storefront),
            ("/api", true, Storefront),
            ("/en/admin", true, Storefront),
            ("/en/api/v1/products", true, Storefront),
            ("/en/webhooks/stripe", false, Storefront),
            ("/checkout/", true, Storefront),
            ("/checkout/x", true, Storefront),
            ("/orders", true, Storefront),
            ("/pay", true, Storefront),
            ("/auth", true, Storefront),
            ("/account", true, Account),
            ("/alerts/stock", false, Notify),
            ("/en/alerts/price", false, Notify),
            ("/email/unsubscribe", false, Notify),
            ("/en/email/preferences", true, Notify),
            ("/newsletter", false, Notify),
            ("/newsletter/confirm", true, Notify),
            ("/account/", true, Account),
            ("/en/account/login", false, Account),
            ("/auth/google/start", true, Account),
            ("/auth/", true, Account),
            ("/en/auth/apple/callback", false, Account),
            ("/admin", true, Admin),
            ("/admin/orders/x", false, Admin),
            ("/api/v1/auth/token", false, ApiAccount),
            ("/api/v1/auth", false, Api),
            ("/api/v1/me", true, ApiAccount),
            ("/api/v1/me/orders/x", true, ApiAccount),
            ("/api/v1/server/orders", true, ApiAccount),
            ("/pay/stripe/abc", true, Payments),
            ("/en/pay/momo/abc", true, Payments),
            ("/pay/sandbox", true, Payments),
            ("/pay/sandbox/abc", true, Checkout),
            ("/en/pay/sandbox/abc", false, Checkout),
            ("/checkout/return/stripe", true, Payments),
            ("/orders/abc/pay", false, Payments),
            ("/orders/pay", false, Payments),
            ("/en/orders/abc/pay", false, Payments),
            ("/webhooks/stripe", false, Payments),
            ("/webhooks/zalopay", false, Payments),
            ("/webhooks/stripe/", false, Webhooks),
            ("/webhooks/sandbox", false, Webhooks),
            ("/webhooks/", true, Webhooks),
            ("/internal/orders/abc/refunds", false, Payments),
            ("/internal/orders/refunds", false, Payments),
            ("/internal/orders/abc", false, Internal),
            ("/internal/sweep", false, Internal),
            ("/internal/", false, Internal),
            ("/cart", true, Cart),
            ("/cart/", true, Cart),
            ("/en/cart/items/12", false, Cart),
            ("/api/v1/carts", false, Cart),
            ("/api/v1/carts/abc/checkout", false, Cart),
            ("/checkout", false, Checkout),
            ("/en/checkout", true, Checkout),
            ("/orders/abc", true, Orders),
            ("/orders/", true, Orders),
            ("/orders/abc/cancel", false, Orders),
            ("/api/v1/orders/abc", true, Orders),
            ("/api/v1/products/gile/reviews", false, Reviews),
            ("/api/v1/products/gile/reviews", true, Reviews),
            ("/api/v1/products/gile/questions", false, Reviews),
            ("/api/v1/products/gile/questions", true, Reviews),
            ("/en/reviews/questions/abc/answers", false, Reviews),
            ("/api/v1/products/gile", true, Api),
            ("/api/v1/reviews/abc/helpful", false, Reviews),
            ("/en/reviews/abc/helpful", false, Reviews),
            ("/api/v1/orders", true, Api),
            ("/api/", true, Api),
            ("/api/v2/products", true, Api),
            ("/api/v1/products", false, Api),
            ("/api/v1/regions/provinces", true, Api),
            ("/api/v1/regions/provinces/79/wards", true, Api),
        ];
        for (path, readable, expected) in table {
            assert_eq!(area(path, *readable), *expected, "{path} (readable: {readable})");
        }
    }

    #[test]
    fn writes_that_can_queue_messages_start_a_delivery_pass_and_cart_edits_do_not() {
        assert!(writes_messages(area("/api/v1/carts/abc/checkout", false), "/api/v1/carts/abc/checkout"));
        assert!(writes_messages(area("/checkout", false), "/checkout"));
        assert!(writes_messages(area("/webhooks/bank", false), "/webhooks/bank"));
        assert!(!writes_messages(area("/api/v1/carts/abc/items", false), "/api/v1/carts/abc/items"));
        assert!(!writes_messages(area("/cart/add", false), "/cart/add"));
    }
}
