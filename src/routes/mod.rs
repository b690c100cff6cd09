//! The router: one request in, one response out, never an `Err` and never a panic.
//!
//! `domain::routing` picks the one area that answers a path; `dispatch` calls that area's module.
//! Each area module has one `match` on (method, path segments) in which every arm both names the
//! route for the request log and picks its handler (`http::serve_page`, `http::serve_machine`), so a
//! path is matched once. Handlers stay thin: parse the request into domain types, call the use case,
//! respond. What the modules share (bodies, forms, cookies, responses, error pages and the JSON
//! error envelope, the request log) is in `http`.

mod account;
mod account_cart;
mod admin;
mod admin_bundles;
mod admin_catalog;
mod admin_notifications;
mod admin_webhooks;
mod admin_campaigns;
mod admin_orders;
mod admin_promotions;
mod admin_reviews;
mod analytics;
mod api;
mod admin_import;
mod admin_media;
mod admin_taxonomy;
mod admin_upload;
mod api_auth;
mod api_server;
mod cart;
mod checkout;
pub(crate) mod http;
mod internal;
mod media;
mod orders;
mod payments;
mod promotions;
mod questions;
mod notify;
mod reviews;
mod share;
mod storefront;
mod track;
mod webhooks;
mod wishlist;

use std::cell::{Cell, RefCell};

use worker::{Context, Env, Method, Request, Response, ResponseBuilder};

use self::http::plain;
use crate::assets;
use crate::domain::cors;
use crate::domain::http_cache;
use crate::domain::locale::Locale;
use crate::domain::routing::{self, Area};
use crate::platform::{security, ASSETS};

/// What the router and handlers need from a request, read once.
#[derive(Clone)]
pub struct Incoming {
    /// The method routes match on: a method no route serves is `Report` (see `handle`).
    pub method: Method,
    /// The method as the client sent it, for the log.
    pub method_name: String,
    /// The path as requested, with its locale prefix.
    pub path: String,
    /// The raw query with its leading `?`, or empty.
    pub query: String,
    pub origin: String,
    pub if_none_match: Option<String>,
    /// The client's address (`cf-connecting-ip`) and user agent, for the analytics visitor key.
    pub client_ip: String,
    pub user_agent: String,
    /// Who the CSRF token and the page's ETag tag are bound to; HTML is sealed for them.
    pub visitor: security::Visitor,
    /// This request's id (`cf-ray`, or generated): in the log, the `x-request-id` header, and on
    /// error pages and JSON errors.
    pub request_id: String,
    /// The route's name in the log (`"cart.add_item"`), set by the area's match before its handler
    /// runs (so an error logged on the way names it too).
    route: Cell<&'static str>,
    /// Headers a handler adds to whatever answer the request gets, its errors included (the API's
    /// `RateLimit-*`), set on the way out.
    extra_headers: RefCell<Vec<(&'static str, String)>>,
}

impl Incoming {
    pub fn path_and_query(&self) -> String {
        format!("{}{}", self.path, self.query)
    }

    /// The route's name in the log.
    pub fn route(&self) -> &'static str {
        self.route.get()
    }

    /// Adds headers to the request's answer, whatever it turns out to be.
    pub fn add_headers(&self, headers: Vec<(&'static str, String)>) {
        self.extra_headers.borrow_mut().extend(headers);
    }

    /// Names the route; called by the arm of the area's match that picks the handler.
    pub fn name(&self, route: &'static str) {
        self.route.set(route);
    }

    /// The path's segments as the area matches them: a machine path (`/api/…`, `/webhooks/…`,
    /// `/internal/…`) with its slashes trimmed (`/api/v1/carts/` is `["api", "v1", "carts"]`), a
    /// page's path without its locale prefix (`/en/cart` is `["cart"]`, `/` is `[""]`).
    pub fn segments(&self) -> Vec<&str> {
        let path = self.path.as_str();
        if ["/api/", "/webhooks/", "/internal/"].iter().any(|prefix| path.starts_with(prefix)) {
            path.trim_matches('/').split('/').collect()
        } else {
            let local = Locale::split_path(path).1;
            local.strip_prefix('/').unwrap_or(local).split('/').collect()
        }
    }
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    // A health probe is answered before configuration, cookies and the request log
    // (`routing::is_health_probe`); any other method on `/healthz` goes the whole way (its 405).
    let raw = req.inner();
    if routing::is_health_probe(&raw.method(), &raw.url()) {
        let response = plain(200, "ok");
        let id = crate::domain::http::request_id(http::header(&req, "cf-ray").as_deref(), || crate::platform::random::token(8).unwrap_or_default());
        let _ = response.headers().set("x-request-id", &id);
        return response;
    }
    let started_ms = worker::Date::now().as_millis() as f64;
    // workers-rs reads a method it does not name (QUERY, PROPFIND…) as GET. Such a request is routed
    // as REPORT, which no route serves, so every area answers it as a method it does not serve
    // (405 with `Allow`, or its 404) and no handler runs; the log names the method as sent.
    let method_name = req.inner().method();
    let method = if crate::domain::http::is_served_method(&method_name) { req.method() } else { Method::Report };
    let request_id = crate::domain::http::request_id(http::header(&req, "cf-ray").as_deref(), || crate::platform::random::token(8).unwrap_or_default());
    let answer = |response: Response| {
        let _ = response.headers().set("x-request-id", &request_id);
        response
    };
    let url = match req.url() {
        Ok(url) => url,
        Err(_) => return answer(plain(400, "Bad Request")),
    };
    let config = crate::platform::config::Config::from_env(&env);
    crate::views::components::set_image_transforms(config.image_transforms);
    // Absolute URLs come from configuration only; a host the shop does not serve is refused before
    // anything is rendered, cached or sent (docs/SECURITY.md, "The shop's origin").
    let Some(public_origin) = config.public_origin.as_ref() else {
        worker::console_error!("PUBLIC_ORIGIN is missing or malformed: every request is refused until it is set (e.g. https://vestify.vn)");
        return answer(plain(500, "Internal Server Error"));
    };
    let Some(origin) = url.host_str().and_then(|host| public_origin.serves(host, url.port())) else {
        return answer(plain(421, "Misdirected Request: this shop does not serve this host."));
    };
    let area = routing::area(url.path(), matches!(method, Method::Get | Method::Head));
    let secret = config.shop_secret.clone();
    let mut visitor = security::Visitor::from_request(&req, url.path(), &origin, secret.as_deref());
    visitor.media = config.stream.as_ref().map(|s| s.csp_sources()).unwrap_or_default();
    visitor.tags = config.tags.csp_connect();
    crate::views::consent::set_tags(&config.tags);
    // An ETag made for this visitor's CSRF binding revalidates without its suffix; one made for
    // another binding must not match (see `domain::security::untag_if_none_match`).
    let (if_none_match, tagged) = match (http::header(&req, "if-none-match"), visitor.tag()) {
        (Some(inm), Some(tag)) => {
            let (inm, tagged) = crate::domain::security::untag_if_none_match(&inm, &tag);
            (Some(inm).filter(|v| !v.is_empty()), tagged)
        }
        (inm, _) => (inm, false),
    };
    let incoming = Incoming {
        method,
        method_name,
        path: url.path().to_string(),
        query: url.query().map(|q| format!("?{q}")).unwrap_or_default(),
        origin,
        if_none_match,
        client_ip: http::header(&req, "cf-connecting-ip").unwrap_or_default(),
        user_agent: http::header(&req, "user-agent").unwrap_or_default(),
        visitor,
        request_id,
        route: Cell::new("unknown"),
        extra_headers: RefCell::new(Vec::new()),
    };
    let writes = !matches!(incoming.method, Method::Get | Method::Head | Method::Options);
    let api_origin = incoming.path.starts_with("/api/").then(|| http::header(&req, "origin"));
    let response = match &api_origin {
        Some(request_origin) => cross_origin(area, req, &incoming, &env, &ctx, &config.api_allowed_origins, request_origin.as_deref()).await,
        None => dispatch(area, req, &incoming, &env, &ctx).await,
    };
    for (name, value) in incoming.extra_headers.borrow().iter() {
        let _ = response.headers().set(name, value);
    }
    // A change that wrote messages (an order placed or moved, a payment, a refund, a link) has them
    // delivered right after the response; the cron retries what this misses.
    if writes && response.status_code() < 500 && routing::writes_messages(area, &incoming.path) {
        crate::platform::mail::deliver_soon(&env, &ctx);
    }
    let response = security::seal(response, &incoming.visitor, tagged).await;
    http::finish(response, &incoming, started_ms).await
}

/// An API request (`/api/…`) with its CORS headers (`domain::cors`): a preflight (`OPTIONS`) is
/// answered here with its route's methods and headers (a path the API does not have is its 404);
/// every other answer, errors included, carries the headers for the request's `Origin`.
async fn cross_origin(area: Area, req: Request, incoming: &Incoming, env: &Env, ctx: &Context, allowed: &cors::AllowedOrigins, origin: Option<&str>) -> Response {
    let segments = incoming.segments();
    let route = cors::route(segments.get(1..).unwrap_or_default());
    let (response, headers) = match (&incoming.method, route) {
        (Method::Options, Some(route)) => {
            incoming.name("api.preflight");
            (ResponseBuilder::new().with_status(204).empty(), cors::preflight_headers(allowed, origin, &route))
        }
        (Method::Options, None) => {
            incoming.name("api.preflight");
            (http::api_error(incoming, &crate::domain::error::AppError::NotFound), cors::response_headers(allowed, origin, false))
        }
        (_, route) => (dispatch(area, req, incoming, env, ctx).await, cors::response_headers(allowed, origin, route.is_some_and(|r| r.public))),
    };
    let out = response.headers();
    let _ = out.delete("access-control-allow-origin");
    for (name, value) in headers {
        let _ = if name == "vary" { out.append(name, &value) } else { out.set(name, &value) };
    }
    response
}

/// The area's module. Each area names its routes and answers every path the table gives it,
/// including its own 404s; the three areas of one route each are named here.
async fn dispatch(area: Area, req: Request, incoming: &Incoming, env: &Env, ctx: &Context) -> Response {
    match area {
        Area::Health => {
            incoming.name("health");
            if matches!(incoming.method, Method::Get | Method::Head) {
                plain(200, "ok")
            } else {
                let response = plain(405, "Method Not Allowed");
                let _ = response.headers().set("allow", "GET, HEAD");
                response
            }
        }
        Area::Static => {
            incoming.name("static.asset");
            static_asset(env, &incoming.path).await
        }
        Area::Media => {
            incoming.name("media.image");
            media::serve(incoming, env).await
        }
        Area::Account => account::handle(req, incoming, env).await,
        Area::Admin => admin::handle(req, incoming, env).await,
        Area::ApiAccount => api_auth::handle(req, incoming, env).await,
        Area::Payments => payments::handle(req, incoming, env).await,
        Area::Cart => cart::handle(req, incoming, env, ctx).await,
        Area::Checkout => checkout::handle(req, incoming, env, ctx).await,
        Area::Orders => orders::handle(req, incoming, env).await,
        Area::Webhooks => webhooks::handle(req, incoming, env).await,
        Area::Internal => internal::handle(req, incoming, env).await,
        Area::Api => api::handle(incoming, env, ctx).await,
        Area::Reviews => reviews::handle(req, incoming, env, ctx).await,
        Area::Share => share::handle(req, incoming, env).await,
        Area::Notify => notify::handle(req, incoming, env).await,
        Area::Wishlist => wishlist::handle(req, incoming, env).await,
        Area::Storefront => storefront::handle(incoming, env, ctx).await,
    }
}

/// Serves `/static/{path}.{hash}.{ext}` from the assets binding with immutable caching. Only the
/// current fingerprint resolves, so an immutable URL can never hold different bytes.
async fn static_asset(env: &Env, path: &str) -> Response {
    let Some(rel) = assets::resolve(path) else { return plain(404, "Not Found") };
    let Ok(fetcher) = env.assets(ASSETS) else { return plain(500, "assets binding missing") };
    let mut upstream = match fetcher.fetch(format!("https://assets.local/{rel}"), None).await {
        Ok(r) if r.status_code() == 200 => r,
        Ok(r) => {
            worker::console_warn!("asset {rel}: upstream status {}", r.status_code());
            return plain(404, "Not Found");
        }
        Err(e) => {
            worker::console_error!("asset fetch failed for {rel}: {e}");
            return plain(502, "Bad Gateway");
        }
    };
    let Ok(bytes) = upstream.bytes().await else { return plain(502, "Bad Gateway") };
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", assets::content_type(&rel));
    let _ = headers.set("cache-control", http_cache::IMMUTABLE);
    let _ = headers.set("x-content-type-options", "nosniff");
    let _ = headers.set("content-security-policy", crate::domain::security::ASSET_CSP);
    let _ = headers.set("referrer-policy", "strict-origin-when-cross-origin");
    let _ = headers.set("access-control-allow-origin", "*");
    ResponseBuilder::new().with_status(200).with_headers(headers).fixed(bytes)
}
