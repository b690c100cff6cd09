//! The router: one request in, one response out, never an `Err` and never a panic.
//!
//! Paths are matched here; each area's handlers live in their own module and stay thin: parse the
//! request into domain types, call the store, render.

mod account;
mod account_cart;
mod admin;
mod admin_catalog;
mod admin_orders;
mod admin_promotions;
mod analytics;
mod api;
mod admin_import;
mod admin_media;
mod admin_taxonomy;
mod admin_upload;
mod api_auth;
mod media;
mod payments;
mod promotions;
mod shop;
mod storefront;
mod track;

use worker::{Context, Env, Method, Request, Response, ResponseBuilder};

use crate::assets;
use crate::domain::http_cache;
use crate::platform::edge_cache::{respond, Rendered};
use crate::platform::{security, ASSETS};

/// What the router and handlers need from a request, read once.
#[derive(Clone)]
pub struct Incoming {
    pub method: Method,
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
}

impl Incoming {
    pub fn path_and_query(&self) -> String {
        format!("{}{}", self.path, self.query)
    }
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let url = match req.url() {
        Ok(url) => url,
        Err(_) => return plain(400, "Bad Request"),
    };
    let config = crate::platform::config::Config::from_env(&env);
    let origin = config.public_origin.clone().unwrap_or_else(|| url.origin().ascii_serialization());
    let secret = config.shop_secret.clone();
    let visitor = security::Visitor::from_request(&req, url.path(), &origin, secret.as_deref());
    // An ETag made for this visitor's CSRF binding revalidates without its suffix; one made for
    // another binding must not match (see `domain::security::untag_if_none_match`).
    let (if_none_match, tagged) = match (req.headers().get("if-none-match").ok().flatten(), visitor.tag()) {
        (Some(inm), Some(tag)) => {
            let (inm, tagged) = crate::domain::security::untag_if_none_match(&inm, &tag);
            (Some(inm).filter(|v| !v.is_empty()), tagged)
        }
        (inm, _) => (inm, false),
    };
    let incoming = Incoming {
        method: req.method(),
        path: url.path().to_string(),
        query: url.query().map(|q| format!("?{q}")).unwrap_or_default(),
        origin,
        if_none_match,
        client_ip: req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default(),
        user_agent: req.headers().get("user-agent").ok().flatten().unwrap_or_default(),
        visitor,
    };
    let response = dispatch(req, &incoming, &env, &ctx).await;
    security::seal(response, &incoming.visitor, tagged).await
}

async fn dispatch(req: Request, incoming: &Incoming, env: &Env, ctx: &Context) -> Response {
    let readable = matches!(incoming.method, Method::Get | Method::Head);
    match incoming.path.as_str() {
        "/healthz" => plain(200, "ok"),
        p if p.starts_with(assets::STATIC_PREFIX) && readable => static_asset(env, p).await,
        p if p.starts_with(crate::domain::media::PREFIX) && readable => media::serve(incoming, env).await,
        p if account::owns(p) => account::handle(req, incoming, env).await,
        p if admin::owns(p) => admin::handle(req, incoming, env).await,
        p if api_auth::owns(p) => api_auth::handle(req, incoming, env).await,
        p if payments::owns(p) => payments::handle(req, incoming, env).await,
        p if shop::owns(p) => shop::handle(req, incoming, env, ctx).await,
        p if p.starts_with("/api/") => api::handle(incoming, env, ctx).await,
        _ if !readable => storefront::method_not_allowed(incoming, env).await,
        _ => storefront::handle(incoming, env, ctx).await,
    }
}

fn plain(status: u16, body: &str) -> Response {
    respond(Rendered::new(status, "text/plain; charset=utf-8", body.to_string()), http_cache::NO_STORE, None)
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
    let _ = headers.set("access-control-allow-origin", "*");
    ResponseBuilder::new().with_status(200).with_headers(headers).fixed(bytes)
}
