//! What every route module shares: reading a request (bodies within a size limit, forms, JSON,
//! cookies), the two ways an area's match runs a named route (`serve_page` for a shopper's page or
//! form, `serve_machine` for a JSON endpoint), building responses (HTML, redirects, JSON, plain
//! text), `AppError → Response` in one place (an error page in the visitor's language, or the API's
//! JSON envelope), and the request's log line and id. The pure rules live in `domain::http`, where
//! they are tested on the host.

use std::rc::Rc;

use futures::StreamExt;
use maud::Markup;
use serde_json::Value;
use worker::{Env, Headers, Method, Request, Response, ResponseBuilder};

use super::Incoming;
use crate::domain::cart::{cookie_value, parse_cookie_value, CartId};
use crate::domain::error::AppError;
use crate::domain::http::{body_text, declared_within, stamp_request_id, BodyLimit, ErrorLog, RequestLog, MAX_BODY};
use crate::domain::http_cache;
use crate::domain::locale::Locale;
use crate::platform::config::Config;
use crate::platform::edge_cache::{respond, Rendered};
use crate::views::{errors, PageCtx};

pub use crate::domain::http::{json_body as parse_json, query_param, Form, SetCookie};

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

// --- reading a request -------------------------------------------------------------------------

/// The body as text, at most `MAX_BODY` bytes (else a 413) of UTF-8 (else a 400).
pub async fn read_body(req: &mut Request) -> Result<String, AppError> {
    body_text(read_bytes_within(req, MAX_BODY).await?, MAX_BODY)
}

/// The body's bytes, at most `max` of them: a larger `Content-Length` is a 413 before anything is
/// read, and a body without one is read as it arrives and refused at the first chunk past the limit
/// (the rest is never read).
pub async fn read_bytes_within(req: &mut Request, max: usize) -> Result<Vec<u8>, AppError> {
    declared_within(header(req, "content-length").as_deref(), max)?;
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(|e| AppError::internal("read body", e))?;
    let mut body = BodyLimit::new(max);
    while let Some(chunk) = stream.next().await {
        body.push(&chunk.map_err(|e| AppError::internal("read body", e))?)?;
    }
    Ok(body.into_bytes())
}

/// A POST's form fields (anything but a POST has none). A body over the limit is a 413; one that is
/// not UTF-8 reads as an empty form, whose CSRF check then fails.
pub async fn read_form(req: &mut Request, post: bool) -> Result<Form, AppError> {
    if !post {
        return Ok(Form::default());
    }
    match read_body(req).await {
        Ok(body) => Ok(Form::parse(&body)),
        Err(e @ (AppError::PayloadTooLarge { .. } | AppError::Internal(_))) => Err(e),
        Err(_) => Ok(Form::default()),
    }
}

/// A header's value, if present.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The first non-empty value of cookie `name`.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    crate::domain::http::cookie(&header(req, "cookie")?, name).map(str::to_string)
}

/// The first value of cookie `name` that `accept` turns into something (a signed value that verifies).
pub fn cookie_where<T>(req: &Request, name: &str, accept: impl FnMut(&str) -> Option<T>) -> Option<T> {
    crate::domain::http::cookies(&header(req, "cookie")?, name).find_map(accept)
}

// --- running a named route ---------------------------------------------------------------------

/// A shopper's page or form past what every one of them does first: its page context (locale,
/// menu), its form fields, and for a POST the form's origin and CSRF token checked.
pub struct Page<'a> {
    pub req: &'a Request,
    pub incoming: &'a Incoming,
    pub env: &'a Env,
    pub config: Rc<Config>,
    pub ctx: PageCtx,
    pub form: Form,
}

impl Page<'_> {
    /// A form field, trimmed (`None` when absent).
    pub fn field(&self, key: &str) -> Option<String> {
        self.form.get(key).map(|v| v.trim().to_string())
    }
}

/// How a page area's POSTs prove that they come from the shop's own pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormGuard {
    /// Our origin (`Sec-Fetch-Site`/`Origin`) and the visitor's CSRF token (`check_form`): every
    /// form on a personal page.
    CsrfToken,
    /// Our origin only: the forms of edge-cached pages (the wishlist's hearts, the recently viewed
    /// block), which cannot carry a per-visitor token.
    SameOrigin,
    /// Nothing: a POST that comes from another site by design (Apple's `form_post` sign-in
    /// callback), which its own state and PKCE protect.
    CrossSite,
}

impl FormGuard {
    /// Whether a POST with `form` passes this guard.
    fn admits(self, req: &Request, incoming: &Incoming, config: &Config, form: &Form) -> bool {
        match self {
            FormGuard::CsrfToken => crate::platform::security::check_form(req, &incoming.path, &incoming.origin, config.shop_secret.as_deref(), form),
            FormGuard::SameOrigin => crate::domain::security::same_origin(header(req, "sec-fetch-site").as_deref(), header(req, "origin").as_deref(), &[&incoming.origin]),
            FormGuard::CrossSite => true,
        }
    }
}

/// Runs the route `route` of a page area: names it, builds the page context, reads the form and
/// refuses a foreign one (403), then `handler`; its error is the page in the visitor's language.
/// Forms must carry the visitor's CSRF token (`FormGuard::CsrfToken`).
pub async fn serve_page<H>(req: Request, incoming: &Incoming, env: &Env, route: &'static str, handler: H) -> Response
where
    H: AsyncFnOnce(&Page<'_>) -> Result<Response, AppError>,
{
    serve_guarded_page(req, incoming, env, route, FormGuard::CsrfToken, handler).await
}

/// `serve_page` with the check of a POST's form named by `guard`.
pub async fn serve_guarded_page<H>(mut req: Request, incoming: &Incoming, env: &Env, route: &'static str, guard: FormGuard, handler: H) -> Response
where
    H: AsyncFnOnce(&Page<'_>) -> Result<Response, AppError>,
{
    incoming.name(route);
    let config = Config::from_env(env);
    let (locale, local) = Locale::split_path(&incoming.path);
    let version = crate::platform::edge_cache::catalog_version(env).await;
    let ctx = super::storefront::page_ctx(incoming, env, locale, local, &version).await;
    let post = incoming.method == Method::Post;
    let form = match read_form(&mut req, post).await {
        Ok(form) => form,
        Err(e) => return error_page(&ctx, incoming, e),
    };
    // Forms post only from our own pages (with the visitor's CSRF token where the guard asks for
    // it): anything else is refused before it touches a cart or an order.
    if post && !guard.admits(&req, incoming, &config, &form) {
        return foreign_form(&ctx, incoming);
    }
    let page = Page { req: &req, incoming, env, config, ctx, form };
    match handler(&page).await {
        Ok(response) => response,
        Err(e) => error_page(&page.ctx, incoming, e),
    }
}

/// A JSON endpoint's request with its body read (empty but for POST, PATCH and PUT).
pub struct Machine<'a> {
    pub req: &'a Request,
    pub incoming: &'a Incoming,
    pub env: &'a Env,
    pub config: Rc<Config>,
    pub body: String,
}

/// Runs the route `route` of a JSON endpoint: names it, reads the body within the limit, then
/// `handler`; its error is the JSON envelope.
pub async fn serve_machine<H>(mut req: Request, incoming: &Incoming, env: &Env, route: &'static str, handler: H) -> Response
where
    H: AsyncFnOnce(&Machine<'_>) -> Result<Response, AppError>,
{
    incoming.name(route);
    let writes = matches!(incoming.method, Method::Post | Method::Patch | Method::Put);
    let body = if writes { read_body(&mut req).await } else { Ok(String::new()) };
    let body = match body {
        Ok(body) => body,
        Err(e) => return api_error(incoming, &e),
    };
    // The API's bodies are JSON: one declared as anything else is refused as the token endpoints
    // refuse it (an empty body, where an endpoint takes none, needs no type).
    if writes && incoming.path.starts_with("/api/") && !body.trim().is_empty() && !crate::domain::http::declares_json(header(&req, "content-type").as_deref()) {
        return unsupported_media_type();
    }
    let call = Machine { req: &req, incoming, env, config: Config::from_env(env), body };
    handler(&call).await.unwrap_or_else(|e| api_error(incoming, &e))
}

// --- the device's cart -------------------------------------------------------------------------

/// The device's cart id, signed with `SHOP_SECRET`.
pub const CART_COOKIE: &str = "vestify_cart";
/// Not secret: lets the static header script show the item count on cached pages.
pub const COUNT_COOKIE: &str = "vestify_cart_count";
/// How long a device keeps its cart: 30 days.
const CART_COOKIE_SECONDS: i64 = 30 * 86_400;

/// The device's cart id, when its cookie carries a valid signature.
pub fn cart_from_cookie(req: &Request, config: &Config) -> Option<CartId> {
    let secret = config.shop_secret.as_deref()?;
    cookie_where(req, CART_COOKIE, |value| parse_cookie_value(secret.as_bytes(), value))
}

/// The cart's two cookies: its signed id (HttpOnly) and its item count (for the header script).
pub fn cart_cookies(ctx: &PageCtx, config: &Config, cart_id: &CartId, count: i64) -> Vec<String> {
    let secure = ctx.origin.starts_with("https://");
    let Some(secret) = config.shop_secret.as_deref() else { return Vec::new() };
    let count = count.to_string();
    vec![
        SetCookie::new(CART_COOKIE, &cookie_value(secret.as_bytes(), cart_id), secure).max_age(CART_COOKIE_SECONDS).to_string(),
        SetCookie::new(COUNT_COOKIE, &count, secure).max_age(CART_COOKIE_SECONDS).readable_by_scripts().to_string(),
    ]
}

/// Forgets the device's cart (signing out, deleting the account): the account's cart stays with the account.
pub fn clear_cart_cookies(ctx: &PageCtx) -> Vec<String> {
    let secure = ctx.origin.starts_with("https://");
    [CART_COOKIE, COUNT_COOKIE].iter().map(|name| SetCookie::removal(name, "/", secure).to_string()).collect()
}

// --- credentials of the shop -------------------------------------------------------------------

/// `SHOP_SECRET`, which signs cart cookies and order links; a 500 when it is not configured.
pub fn require_secret(config: &Config) -> Result<&str, AppError> {
    config.shop_secret.as_deref().ok_or_else(|| AppError::Internal("SHOP_SECRET is not configured".into()))
}

/// The operators' bearer `INTERNAL_TOKEN`; without it (or without the setting) the endpoint does not
/// exist (404).
pub fn internal_auth(req: &Request, config: &Config) -> Result<(), AppError> {
    let expected = config.internal_token.as_deref().ok_or(AppError::NotFound)?;
    let given = header(req, "authorization").unwrap_or_default();
    let given = given.strip_prefix("Bearer ").unwrap_or_default();
    if crate::domain::signature::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

// --- responses ---------------------------------------------------------------------------------

/// A personal HTML response (`no-store`) with extra headers (`set-cookie`, `refresh`…).
pub fn html(status: u16, body: String, headers: Vec<(&'static str, String)>) -> Response {
    let mut rendered = Rendered::new(status, HTML, body);
    rendered.headers = headers;
    respond(rendered, http_cache::NO_STORE, None)
}

/// A personal HTML page (`no-store`).
pub fn page(status: u16, markup: Markup) -> Response {
    html(status, markup.into_string(), Vec::new())
}

/// `303 See Other` after a form, with the cookies it sets.
pub fn redirect(location: &str, cookies: Vec<String>) -> Response {
    let headers = Headers::new();
    let _ = headers.set("location", location);
    let _ = headers.set("cache-control", http_cache::NO_STORE);
    for cookie in cookies {
        let _ = headers.append("set-cookie", &cookie);
    }
    ResponseBuilder::new().with_status(303).with_headers(headers).empty()
}

/// `301` to a page's one URL (trailing slash, `/en`): shared caches may keep it like the catalog.
pub fn moved_permanently(location: &str) -> Response {
    let mut rendered = Rendered::new(301, "text/plain; charset=utf-8", String::new());
    rendered.headers.push(("location", location.to_string()));
    respond(rendered, http_cache::CATALOG, None)
}

/// A JSON answer of the shop's machine endpoints: `no-store` (the API's CORS headers are added on
/// the way out, `routes::cross_origin`).
pub fn json_response(status: u16, value: &Value) -> Response {
    respond(Rendered::new(status, JSON, value.to_string()), http_cache::NO_STORE, None)
}

/// A personal file to download (`no-store`, `content-disposition: attachment`).
pub fn attachment(content_type: &'static str, body: String, filename: &str) -> Response {
    let mut rendered = Rendered::new(200, content_type, body);
    rendered.headers.push(("content-disposition", format!("attachment; filename=\"{filename}\"")));
    respond(rendered, http_cache::NO_STORE, None)
}

/// A plain-text answer (`no-store`).
pub fn plain(status: u16, body: &str) -> Response {
    respond(Rendered::new(status, "text/plain; charset=utf-8", body.to_string()), http_cache::NO_STORE, None)
}

// --- errors ------------------------------------------------------------------------------------

/// Logs an internal error's cause chain with the request id; other errors are answers, not failures.
pub fn log_error(incoming: &Incoming, error: &AppError) {
    if let Some(line) = ErrorLog::of(error, &incoming.request_id, incoming.route()) {
        worker::console_error!("{}", line.line());
    }
}

/// An error as the page in the visitor's language (never cached; it shows the request id).
pub fn error_page(ctx: &PageCtx, incoming: &Incoming, error: AppError) -> Response {
    respond(error_rendered(ctx, incoming, &error), http_cache::NO_STORE, None)
}

/// The error page as a body, for callers that respond themselves (the edge cache, which never
/// stores it: only 200s are stored).
pub fn error_rendered(ctx: &PageCtx, incoming: &Incoming, error: &AppError) -> Rendered {
    log_error(incoming, error);
    let mut rendered = Rendered::new(error.status(), HTML, errors::for_error(ctx, error, &incoming.request_id).into_string());
    if let AppError::TooManyRequests { retry_after } = error {
        rendered.headers.push(("retry-after", retry_after.to_string()));
    }
    rendered
}

/// A form that did not come from our own page: 403, nothing changed.
pub fn foreign_form(ctx: &PageCtx, incoming: &Incoming) -> Response {
    error_page(ctx, incoming, AppError::forbidden("foreign_form", "The form did not come from this shop."))
}

/// An error as the API's JSON envelope (`request_id` is added on the way out, see `finish`).
pub fn error_body(incoming: &Incoming, error: &AppError) -> Rendered {
    log_error(incoming, error);
    let mut rendered = Rendered::new(error.status(), JSON, errors::envelope(error).to_string());
    if let AppError::TooManyRequests { retry_after } = error {
        rendered.headers.push(("retry-after", retry_after.to_string()));
    }
    rendered
}

/// An error of the shop's machine endpoints (carts, orders, webhooks, internal): the JSON envelope,
/// `no-store` (CORS as `json_response`).
pub fn api_error(incoming: &Incoming, error: &AppError) -> Response {
    respond(error_body(incoming, error), http_cache::NO_STORE, None)
}

/// 415: the API takes JSON bodies only (`Content-Type: application/json`).
pub fn unsupported_media_type() -> Response {
    json_response(415, &serde_json::json!({"error": {"code": "unsupported_media_type", "message": "Send the body as application/json.", "fields": {}}}))
}

/// A machine path answered without running anything: 405 with the methods it serves in `Allow`,
/// or 404 when there is no such path (`allow` is `None`).
pub fn not_served(incoming: &Incoming, allow: Option<&str>) -> Response {
    match allow {
        Some(allow) => {
            let response = api_error(incoming, &AppError::MethodNotAllowed);
            let _ = response.headers().set("allow", allow);
            response
        }
        None => api_error(incoming, &AppError::NotFound),
    }
}

// --- the way out -------------------------------------------------------------------------------

/// Every response on its way out: the request id in the `x-request-id` header and inside a JSON
/// error envelope, and the request's log line. A cached page is sent as it is, with one header more.
pub async fn finish(mut response: Response, incoming: &Incoming, started_ms: f64) -> Response {
    let status = response.status_code();
    if status >= 400 && header_of(&response, "content-type").is_some_and(|t| t.starts_with("application/json")) {
        if let Ok(body) = response.text().await {
            let body = stamp_request_id(&body, &incoming.request_id).unwrap_or(body);
            let headers = Headers::new();
            for (name, value) in response.headers().entries() {
                let _ = headers.append(&name, &value);
            }
            response = ResponseBuilder::new().with_status(status).with_headers(headers).fixed(body.into_bytes());
        }
    }
    let _ = response.headers().set("x-request-id", &incoming.request_id);
    let cache = header_of(&response, "x-edge-cache");
    let line = RequestLog {
        request_id: &incoming.request_id,
        method: &incoming.method_name,
        route: incoming.route(),
        status,
        duration_ms: (worker::Date::now().as_millis() as f64 - started_ms).max(0.0) as u64,
        cache: cache.as_deref().unwrap_or("none"),
        d1_round_trips: crate::platform::d1::take_round_trips(),
    };
    worker::console_log!("{}", line.line());
    response
}

fn header_of(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}
