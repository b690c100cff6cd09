//! The Workers Cache API in front of catalog pages and GET API responses.
//!
//! The cache key is the request's origin (one the shop serves, from `PUBLIC_ORIGIN`: absolute URLs in
//! a response are made from it) and path and query under a synthetic host, prefixed with the catalog
//! version kept in KV: a catalog change writes a new version, and every page is a miss everywhere,
//! without a purge, as soon as KV delivers the new version (plus at most `VERSION_FRESH_MS`). Nothing
//! else of the request goes into a stored response. Validators are computed from
//! the body, so `If-None-Match` gets a 304 whether the response came from the cache or was just
//! rendered. Responses are shared with the catalog's `Cache-Control` unless the render gives its own
//! (the province and ward lists: `http_cache::REFERENCE`), which a hit and a 304 then keep.

use worker::{Cache, Context, Env, Headers, Response, ResponseBuilder};

use super::memo::{self, Page};
use super::security::{self, Visitor};
use super::KV;
use crate::domain::replication;
use crate::domain::http_cache;

/// KV key holding the catalog version (any string; bumped on every catalog write).
pub const CATALOG_VERSION_KEY: &str = "catalog_version";

/// A response body ready to send: status, content type, bytes.
pub struct Rendered {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Extra response headers (e.g. `X-Robots-Tag`).
    pub headers: Vec<(&'static str, String)>,
}

impl Rendered {
    pub fn new(status: u16, content_type: &'static str, body: String) -> Rendered {
        Rendered { status, content_type, body, headers: Vec::new() }
    }
}

/// How long an isolate trusts the catalog version (and promotion schedule) it last read from KV. KV
/// itself is eventually consistent (a write reaches every location within about a minute, and reads
/// are cached at the edge for at least 60 s), so a one-second memory changes what a shopper can
/// observe by at most one second, and saves the KV reads on nearly every cached page — the largest
/// cost left on a hit. The schedule's instants are compared with the clock on every request, so a
/// promotion still starts and ends on the second.
const VERSION_FRESH_MS: f64 = 1_000.0;

/// How long a request that found the remembered version stale waits for another request's KV read
/// before it reads KV itself (a read that failed or never returned must not pin the old version).
const REFRESH_WAIT_MS: f64 = 5_000.0;

thread_local! {
    static VERSION: std::cell::RefCell<Option<(String, String, f64)>> = const { std::cell::RefCell::new(None) };
    /// When this isolate's KV read of the version began, while it is in flight (else 0).
    static REFRESHING: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

thread_local! {
    /// When this isolate last wrote the catalog version, and whether a write is waiting its turn.
    static LAST_BUMP: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
    static BUMP_WAITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Writes a new catalog version (`kind` marks who wrote it in the value: `a` the admin, `p` a
/// promotion, `r` the recommendation lists), so every cached page is missed as soon as KV delivers it. Writes from this isolate are
/// at most one a second (`http_cache::version_bump`): one within a second of the last waits out the
/// rest of it, and changes meanwhile join that write. KV refusing a write (its per-key limit, with
/// another isolate's write) is tried once more a second later.
pub async fn bump_version(env: &Env, kind: char) -> Result<(), crate::domain::error::AppError> {
    use crate::domain::error::AppError;
    use http_cache::VersionBump;
    let kv = env.kv(KV).map_err(|e| AppError::internal("kv binding", e))?;
    let now = || worker::Date::now().as_millis() as f64;
    let sleep = |ms: f64| worker::Delay::from(std::time::Duration::from_millis(ms.max(0.0) as u64));
    match http_cache::version_bump(now(), LAST_BUMP.with(|l| l.get()), BUMP_WAITING.with(|w| w.get())) {
        VersionBump::Joined => return Ok(()),
        VersionBump::After(ms) => {
            BUMP_WAITING.with(|w| w.set(true));
            sleep(ms).await;
            BUMP_WAITING.with(|w| w.set(false));
        }
        VersionBump::Now => {}
    }
    let mut written = Ok(());
    for attempt in 0..2 {
        if attempt > 0 {
            sleep(http_cache::VERSION_WRITE_GAP_MS).await;
        }
        let version = format!("{}{kind}{}", worker::Date::now().as_millis(), super::random::token(4).unwrap_or_default());
        // With read replication, the primary's bookmark now (after the write being published) goes
        // with the version, so no page of this version is rendered from an older replica. Without
        // one (D1 unreachable) the version is written bare and its pages read the primary.
        let bookmark = if replication_on(env) { super::d1::D1::primary_bookmark(env).await.unwrap_or_else(|e| {
            worker::console_error!("catalog version bookmark: {e}");
            None
        }) } else { None };
        let version = replication::version_value(&version, bookmark.as_deref());
        LAST_BUMP.with(|l| l.set(Some(now())));
        written = match kv.put(CATALOG_VERSION_KEY, version) {
            Ok(put) => put.execute().await.map_err(|e| AppError::internal("kv put", e)),
            Err(e) => Err(AppError::internal("kv put", e)),
        };
        if written.is_ok() {
            break;
        }
    }
    forget_version();
    written
}

/// Drops this isolate's remembered version, after a write of the version or schedule here, so the
/// writer's own next page reflects the change at once.
/// `READ_REPLICATION` (`on`): catalog renders may read D1 replicas (`domain::replication`).
fn replication_on(env: &Env) -> bool {
    super::config::Config::from_env(env).read_replication
}

pub fn forget_version() {
    VERSION.with(|v| *v.borrow_mut() = None);
    REFRESHING.with(|r| r.set(0.0));
}

/// KV key holding the instants (unix seconds, comma-separated) at which a live automatic promotion
/// starts or ends; written by every promotion change (`routes::promotions`).
pub const PROMOTION_SCHEDULE_KEY: &str = "promotion_schedule";

/// The version pages are keyed by: the catalog version, plus how many promotion start/end instants
/// have passed, so a promotion that starts or ends while nothing is written is still a cache miss
/// at that moment (pages show promotion badges).
pub async fn catalog_version(env: &Env) -> String {
    let now = worker::Date::now().as_millis() as f64;
    let remembered = VERSION.with(|v| v.borrow().clone());
    let refreshing = REFRESHING.with(|r| r.get());
    let (version, schedule) = match remembered {
        Some((version, schedule, read_at)) if (0.0..VERSION_FRESH_MS).contains(&(now - read_at)) => (version, schedule),
        // Another request is reading it: the version it replaces serves until then, so a busy
        // isolate makes one KV read a second, not one per request in flight at that moment.
        Some((version, schedule, _)) if refreshing > 0.0 && now - refreshing < REFRESH_WAIT_MS => (version, schedule),
        _ => {
            REFRESHING.with(|r| r.set(now));
            let Ok(kv) = env.kv(KV) else {
                REFRESHING.with(|r| r.set(0.0));
                return "0".into();
            };
            let (version, schedule) = futures::join!(kv.get(CATALOG_VERSION_KEY).text(), kv.get(PROMOTION_SCHEDULE_KEY).text());
            let version = match version {
                Ok(Some(v)) => v,
                _ => "0".into(),
            };
            let schedule = schedule.ok().flatten().unwrap_or_default();
            VERSION.with(|v| *v.borrow_mut() = Some((version.clone(), schedule.clone(), now)));
            REFRESHING.with(|r| r.set(0.0));
            (version, schedule)
        }
    };
    // The KV value may carry the bookmark of the write that made it (`domain::replication`); pages
    // are keyed by the version alone.
    let version = replication::split_version_value(&version).0;
    if schedule.is_empty() {
        version.to_string()
    } else {
        format!("{version}.p{}", crate::domain::promotions::schedule_epoch(&schedule, super::config::now()))
    }
}

/// The bookmark recorded with the catalog version this isolate last read (`catalog_version` reads
/// it first): catalog renders read a replica at least this new (`platform::d1::D1::catalog_reader`).
pub fn catalog_bookmark() -> Option<String> {
    VERSION.with(|v| v.borrow().as_ref().and_then(|(value, _, _)| replication::split_version_value(value).1.map(str::to_string)))
}


/// The catalog version invalidates on data changes; the build digest on a new build (a page cached
/// by an older build was rendered by other templates, and may link to assets that no longer resolve).
/// The origin (`https://vestify.vn` → `/https/vestify.vn`) keys the absolute URLs a page holds: a local
/// shop serves `127.0.0.1` and `localhost` each under its own.
fn cache_key(version: &str, origin: &str, path_and_query: &str) -> String {
    format!("https://edge-cache.vestify.internal/v{version}-{}/{}{path_and_query}", crate::assets::BUILD_DIGEST, origin.replacen("://", "/", 1))
}

/// Serves from isolate memory or the edge cache, or renders, stores (200s only) and serves. `render`
/// gets the catalog version, for anything it memoises itself. HTML is sealed here for `visitor`
/// (its slots filled while the response is built, instead of by `security::seal` re-reading it).
///
/// With the `EDGE_CACHE` var set to `off` nothing is looked up or stored: every request renders (for
/// template work under `wrangler dev`, and the benchmark's uncached measurement).
pub async fn serve<F, Fut>(env: &Env, ctx: &Context, origin: &str, path_and_query: &str, if_none_match: Option<&str>, visitor: Option<&Visitor>, render: F) -> Response
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Rendered>,
{
    let version = catalog_version(env).await;
    if !super::config::Config::from_env(env).edge_cache {
        return match into_page(render(version).await) {
            Ok(page) => answer(&page, if_none_match, "off", visitor),
            Err(response) => response,
        };
    }
    let key = cache_key(&version, origin, path_and_query);
    if let Some(page) = memo::page(&version, &key) {
        return answer(&page, if_none_match, "hit", visitor);
    }
    let cache = Cache::default();
    if let Ok(Some(mut hit)) = cache.get(key.as_str(), false).await {
        let header = |name: &str| hit.headers().get(name).ok().flatten();
        let etag = header("etag").unwrap_or_default();
        let content_type = header("content-type").unwrap_or_default();
        // A response stored with its own policy (`Rendered` headers: reference data) keeps it.
        let policy: Vec<(&'static str, String)> = header("cache-control").filter(|c| c != http_cache::CATALOG).map(|c| ("cache-control", c)).into_iter().collect();
        if let Ok(body) = hit.text().await {
            let page = Page::new(known_type(&content_type), body, etag, policy);
            let response = answer(&page, if_none_match, "hit", visitor);
            memo::keep_page(&version, &key, page);
            return response;
        }
    }
    let page = match into_page(render(version.clone()).await) {
        Ok(page) => page,
        Err(response) => return response,
    };
    let response = answer(&page, if_none_match, "miss", visitor);
    // The stored copy keeps its slots (and the shared-cache policy); a fresh response, not a clone.
    let copy = build(&page, "miss", None);
    memo::keep_page(&version, &key, page);
    // Storing must not delay the shopper: the runtime keeps the task alive after we respond.
    ctx.wait_until(async move {
        if let Err(e) = Cache::default().put(key.as_str(), copy).await {
            worker::console_error!("edge cache put failed: {e}");
        }
    });
    response
}

/// A rendered 200 as a page (its ETag from the body), or any other status as the response to send:
/// errors are never stored.
fn into_page(rendered: Rendered) -> Result<Page, Response> {
    let etag = http_cache::etag(rendered.body.as_bytes());
    if rendered.status != 200 {
        return Err(respond(rendered, http_cache::NO_STORE, Some(&etag)));
    }
    Ok(Page::new(rendered.content_type, rendered.body, etag, rendered.headers))
}

/// The stored page, or a 304 when the client already has it.
fn answer(page: &Page, if_none_match: Option<&str>, cache_state: &str, visitor: Option<&Visitor>) -> Response {
    if if_none_match.is_some_and(|inm| http_cache::if_none_match_hits(inm, &page.etag)) {
        let own_policy = page.headers.iter().find(|(name, _)| *name == "cache-control").map(|(_, value)| value.as_str());
        return not_modified(&page.etag, page.content_type, own_policy, cache_state);
    }
    build(page, cache_state, visitor)
}

/// The page as a response: sealed for `visitor` when it is HTML and one is given, else as stored.
fn build(page: &Page, cache_state: &str, visitor: Option<&Visitor>) -> Response {
    let mut rendered = Rendered::new(200, page.content_type, String::new());
    rendered.headers = page.headers.clone();
    rendered.headers.push(("x-edge-cache", cache_state.to_string()));
    let visitor = visitor.filter(|_| page.content_type.starts_with("text/html"));
    let Some(visitor) = visitor else {
        rendered.body = page.body.clone();
        return respond(rendered, http_cache::CATALOG, Some(&page.etag));
    };
    let Some(sealed) = security::seal_html(&page.body, &page.slots, Some(&page.etag), visitor) else {
        return security::internal_error();
    };
    rendered.body = sealed.body;
    rendered.headers.push(("content-security-policy", sealed.csp));
    rendered.headers.extend(sealed.set_cookie.map(|cookie| ("set-cookie", cookie)));
    respond(rendered, security::PERSONALISED, Some(sealed.etag.as_deref().unwrap_or(&page.etag)))
}

/// Content types this cache stores, as static strings (a stored response gives back its own).
fn known_type(content_type: &str) -> &'static str {
    ["text/html; charset=utf-8", "application/json; charset=utf-8", "application/xml; charset=utf-8", "text/plain; charset=utf-8", "text/csv; charset=utf-8"]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(content_type))
        .unwrap_or("application/octet-stream")
}

fn not_modified(etag: &str, content_type: &str, own_policy: Option<&str>, cache_state: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("etag", etag);
    // HTML is personalised per response (nonce, CSRF token): its 304 must not widen the policy.
    let policy = if content_type.starts_with("text/html") { super::security::PERSONALISED } else { own_policy.unwrap_or(http_cache::CATALOG) };
    let _ = headers.set("cache-control", policy);
    let _ = headers.set("vary", "Accept-Encoding");
    let _ = headers.set("x-edge-cache", cache_state);
    ResponseBuilder::new().with_status(304).with_headers(headers).empty()
}

thread_local! {
    /// Per content type, the headers every response of that type starts with.
    static STANDARD: std::cell::RefCell<Vec<(&'static str, worker::worker_sys::web_sys::Headers)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A new `Headers` with the standard headers of `content_type`: copied from one kept per isolate in a
/// single call, instead of a call into JavaScript (and two strings decoded) per header and response.
fn standard_headers(content_type: &'static str) -> Headers {
    let fresh = || {
        let headers = Headers::new();
        let _ = headers.set("content-type", content_type);
        let _ = headers.set("vary", "Accept-Encoding");
        for (name, value) in security_headers(content_type) {
            let _ = headers.set(name, value);
        }
        headers
    };
    STANDARD.with(|kept| {
        let mut kept = kept.borrow_mut();
        let template = match kept.iter().find(|(t, _)| *t == content_type) {
            Some((_, template)) => template.clone(),
            None => {
                let template = fresh().0;
                kept.push((content_type, template.clone()));
                template
            }
        };
        worker::worker_sys::web_sys::Headers::new_with_headers(&template).map(Headers).unwrap_or_else(|_| fresh())
    })
}

/// Builds a response with the shop's standard headers.
pub fn respond(rendered: Rendered, cache_control: &str, etag: Option<&str>) -> Response {
    let headers = standard_headers(rendered.content_type);
    let _ = headers.set("cache-control", cache_control);
    if let Some(tag) = etag {
        let _ = headers.set("etag", tag);
    }
    for (name, value) in &rendered.headers {
        let _ = headers.set(name, value);
    }
    ResponseBuilder::new().with_status(rendered.status).with_headers(headers).fixed(rendered.body.into_bytes())
}

/// The headers every response carries. HTML's Content-Security-Policy has a per-response nonce, so
/// `platform::security::seal` sets it on the way out (and fills the page's slots).
fn security_headers(content_type: &str) -> Vec<(&'static str, &'static str)> {
    let mut h = vec![("x-content-type-options", "nosniff"), ("referrer-policy", "strict-origin-when-cross-origin")];
    if content_type.starts_with("text/html") {
        h.push(("strict-transport-security", "max-age=31536000; includeSubDomains"));
        h.push(("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(self)"));
        h.push(("x-frame-options", "DENY"));
    }
    h
}
