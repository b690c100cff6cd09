//! Which area of the shop answers a path, and the name of the route inside it.
//!
//! `area` reads a path's first segments against one table in which no two areas claim the same path;
//! the Worker's dispatcher (`routes::dispatch`) calls that area's handler. Each area's `match` on
//! (method, segments) names the route (`"cart.add_item"`) for the request log; an area's handler
//! answers what its table does not name with the area's 404 (or 405). HTML areas are read without
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
    /// App clients' tokens and account: `/api/v1/auth/…`, `/api/v1/me…`.
    ApiAccount,
    /// Operators' endpoints behind the internal token: `/internal/…`.
    Internal,
}

/// The area and route that answer a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub area: Area,
    pub name: &'static str,
}

const GATEWAYS: [&str; 4] = ["stripe", "paypal", "momo", "zalopay"];

/// The path's segments after its leading `/` (`"/"` is `[""]`, `"/cart/"` is `["cart", ""]`).
fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
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
        (["admin", ..], _) => Area::Admin,
        (["api", "v1", "auth", _, ..] | ["api", "v1", "me", ..], _) => Area::ApiAccount,
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
        _ => Area::Storefront,
    }
}

/// The area and named route of a request (`method` in capitals).
pub fn route(method: &str, path: &str) -> Route {
    let area = area(path, matches!(method, "GET" | "HEAD"));
    let local = segments(super::locale::Locale::split_path(path).1);
    // The machine areas read their path with trailing slashes trimmed, as their handlers do.
    let machine: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = matches!(method, "GET" | "HEAD");
    let post = method == "POST";
    let name = match area {
        Area::Health => "health",
        Area::Static => "static.asset",
        Area::Media => "media.image",
        Area::Storefront => storefront(get, path, &local),
        Area::Cart => cart(method, &local, &machine),
        Area::Checkout => match (post, local.as_slice()) {
            (false, ["checkout"]) => "checkout.form",
            (true, ["checkout"]) => "checkout.submit",
            (false, ["pay", "sandbox", _]) => "checkout.sandbox_page",
            (true, ["pay", "sandbox", _]) => "checkout.sandbox_pay",
            _ => "checkout.unknown",
        },
        Area::Orders => match (method, local.as_slice(), machine.as_slice()) {
            ("GET", _, ["api", "v1", "orders", _]) => "api.orders.show",
            (_, ["orders", _, "cancel"], _) if post => "orders.cancel",
            ("GET", ["orders", _], _) => "orders.show",
            _ => "orders.unknown",
        },
        Area::Payments => match (method, local.as_slice(), machine.as_slice()) {
            ("GET", ["pay", _, _], _) => "payments.start",
            ("GET", ["checkout", "return", _], _) => "payments.return",
            ("POST", ["orders", _, "pay"], _) => "payments.pay_another_way",
            ("POST", _, ["webhooks", _]) => "payments.webhook",
            ("POST", _, ["internal", "orders", _, "refunds"]) => "payments.refund",
            ("GET", _, ["internal", "orders", _, "refunds"]) => "payments.refunds",
            _ => "payments.unknown",
        },
        Area::Webhooks => match (method, machine.as_slice()) {
            ("POST", ["webhooks", "sandbox"]) => "webhooks.sandbox",
            _ => "webhooks.unknown",
        },
        Area::Account => account(method, &local),
        Area::Admin => admin(method, path),
        Area::Api => match (get, machine.as_slice()) {
            (true, ["api", "v1", "openapi.json"]) => "api.openapi",
            (true, ["api", "v1", "categories"]) => "api.categories",
            (true, ["api", "v1", "products"]) => "api.products",
            (true, ["api", "v1", "products", _]) => "api.product",
            (true, ["api", "v1", "search"]) => "api.search",
            _ => "api.unknown",
        },
        Area::ApiAccount => match (method, machine.as_slice()) {
            ("POST", ["api", "v1", "auth", "token"]) => "api.auth.token",
            ("POST", ["api", "v1", "auth", "refresh"]) => "api.auth.refresh",
            ("POST", ["api", "v1", "auth", "logout"]) => "api.auth.logout",
            ("GET", ["api", "v1", "me"]) => "api.me",
            ("GET", ["api", "v1", "me", "orders"]) => "api.me.orders",
            ("GET", ["api", "v1", "me", "orders", _]) => "api.me.order",
            _ => "api.account.unknown",
        },
        Area::Internal => match (method, machine.as_slice()) {
            ("POST", ["internal", "carts", _, "alarm"]) => "internal.cart_alarm",
            ("POST", ["internal", "sweep"]) => "internal.sweep",
            (_, ["internal", "promotions", ..]) => "internal.promotions",
            (_, ["internal", "analytics" | "analytics.csv", ..]) => "internal.analytics",
            _ => "internal.unknown",
        },
    };
    Route { area, name }
}

fn storefront(get: bool, path: &str, local: &[&str]) -> &'static str {
    if !get {
        return "storefront.method_not_allowed";
    }
    match (path, local) {
        ("/robots.txt", _) => "storefront.robots",
        ("/sitemap.xml", _) => "storefront.sitemap",
        ("/en", _) => "storefront.redirect",
        (p, _) if p.len() > 1 && p.ends_with('/') && p != "/en/" => "storefront.redirect",
        (_, [""]) => "storefront.home",
        (_, ["c", _]) => "storefront.category",
        (_, ["p", _]) => "storefront.product",
        (_, ["search"]) => "storefront.search",
        _ => "storefront.not_found",
    }
}

fn cart(method: &str, local: &[&str], machine: &[&str]) -> &'static str {
    match (method, local, machine) {
        ("GET", ["cart"], _) => "cart.show",
        ("POST", ["cart", "items"], _) => "cart.add_item",
        ("POST", ["cart", "items", _, ..], _) => "cart.set_item",
        ("POST", ["cart", "coupons"], _) => "cart.apply_coupon",
        ("POST", ["cart", "coupons", .., "remove"], _) => "cart.remove_coupon",
        ("POST", _, ["api", "v1", "carts"]) => "api.cart.create",
        ("GET", _, ["api", "v1", "carts", _]) => "api.cart.show",
        ("POST", _, ["api", "v1", "carts", _, "items"]) => "api.cart.add_item",
        ("PATCH", _, ["api", "v1", "carts", _, "items", _]) => "api.cart.set_item",
        ("DELETE", _, ["api", "v1", "carts", _, "items", _]) => "api.cart.remove_item",
        ("POST", _, ["api", "v1", "carts", _, "checkout"]) => "api.checkout",
        ("POST", _, ["api", "v1", "carts", _, "coupons"]) => "api.cart.apply_coupon",
        ("DELETE", _, ["api", "v1", "carts", _, "coupons", _]) => "api.cart.remove_coupon",
        _ => "cart.unknown",
    }
}

fn account(method: &str, local: &[&str]) -> &'static str {
    let post = method == "POST";
    match (post, local) {
        (false, ["account"]) => "account.show",
        (false, ["account", "login"]) => "account.login_form",
        (true, ["account", "login"]) => "account.login",
        (false, ["account", "signup"]) => "account.signup_form",
        (true, ["account", "signup"]) => "account.signup",
        (true, ["account", "logout"]) => "account.logout",
        (true, ["account", "logout-everywhere"]) => "account.logout_everywhere",
        (false, ["account", "reset"]) => "account.reset_form",
        (true, ["account", "reset"]) => "account.request_reset",
        (false, ["account", "reset", _]) => "account.new_password_form",
        (true, ["account", "reset", _]) => "account.reset_password",
        (false, ["account", "verify", _]) => "account.verify_email",
        (true, ["account", "password"]) => "account.change_password",
        (true, ["account", "profile"]) => "account.update_profile",
        (true, ["account", "addresses"]) => "account.add_address",
        (true, ["account", "addresses", _, "delete"]) => "account.delete_address",
        (false, ["account", "export"]) => "account.export",
        (true, ["account", "delete"]) => "account.delete",
        (_, ["auth", _, _]) => "account.social",
        _ => "account.unknown",
    }
}

/// Admin routes are named by the permission table's pattern (`domain::admin`), the sign-in pages by
/// their own names.
fn admin(method: &str, path: &str) -> &'static str {
    let path = path.trim_end_matches('/');
    match (method, path) {
        ("GET", "/admin/login") => "admin.login_form",
        ("POST", "/admin/login") => "admin.login",
        ("POST", "/admin/logout") => "admin.logout",
        _ => super::admin::route_pattern(method, if path.is_empty() { "/admin" } else { path }).unwrap_or("admin.unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Area::*;

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
            ("/api/v1/orders", true, Api),
            ("/api/", true, Api),
            ("/api/v2/products", true, Api),
            ("/api/v1/products", false, Api),
        ];
        for (path, readable, expected) in table {
            assert_eq!(area(path, *readable), *expected, "{path} (readable: {readable})");
        }
    }

    #[test]
    fn routes_are_named_by_method_and_segments() {
        let table = [
            ("GET", "/", "storefront.home"),
            ("GET", "/en/p/gile-phao", "storefront.product"),
            ("GET", "/c/x/", "storefront.redirect"),
            ("POST", "/c/x", "storefront.method_not_allowed"),
            ("GET", "/nope", "storefront.not_found"),
            ("POST", "/en/cart/items", "cart.add_item"),
            ("POST", "/cart/items/17", "cart.set_item"),
            ("POST", "/cart/coupons/SALE10/remove", "cart.remove_coupon"),
            ("GET", "/cart/items", "cart.unknown"),
            ("POST", "/api/v1/carts/", "api.cart.create"),
            ("DELETE", "/api/v1/carts/c1/items/7", "api.cart.remove_item"),
            ("POST", "/api/v1/carts/c1/checkout", "api.checkout"),
            ("POST", "/checkout", "checkout.submit"),
            ("GET", "/pay/sandbox/p1", "checkout.sandbox_page"),
            ("GET", "/en/orders/o1", "orders.show"),
            ("POST", "/orders/o1/cancel", "orders.cancel"),
            ("GET", "/api/v1/orders/o1", "api.orders.show"),
            ("GET", "/pay/stripe/p1", "payments.start"),
            ("POST", "/webhooks/momo", "payments.webhook"),
            ("POST", "/internal/orders/o1/refunds", "payments.refund"),
            ("POST", "/webhooks/sandbox", "webhooks.sandbox"),
            ("GET", "/webhooks/sandbox", "webhooks.unknown"),
            ("POST", "/account/addresses/3/delete", "account.delete_address"),
            ("GET", "/auth/google/start", "account.social"),
            ("POST", "/admin/login", "admin.login"),
            ("GET", "/admin/", "/admin"),
            ("GET", "/admin/orders/o1", "/admin/orders/{id}"),
            ("POST", "/admin/products/3/variants/4/price", "/admin/products/{id}/variants/{id}/price"),
            ("GET", "/admin/nope", "admin.unknown"),
            ("GET", "/api/v1/products/gile", "api.product"),
            ("POST", "/api/v1/products", "api.unknown"),
            ("POST", "/api/v1/auth/token", "api.auth.token"),
            ("GET", "/api/v1/me/orders/o1", "api.me.order"),
            ("POST", "/internal/carts/c1/alarm", "internal.cart_alarm"),
            ("GET", "/internal/analytics.csv", "internal.analytics"),
            ("GET", "/healthz", "health"),
        ];
        for (method, path, name) in table {
            assert_eq!(route(method, path).name, name, "{method} {path}");
        }
    }
}
