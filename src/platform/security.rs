//! The security baseline at the edge: who the visitor is for CSRF purposes, the one check every
//! state-changing form runs (`check_form`), and `seal`, through which every response passes on its
//! way out: it fills the page's nonce and CSRF slots, sets the per-response CSP, and keeps pages that
//! carry a token out of shared caches. See `docs/SECURITY.md`.

use std::cell::RefCell;
use std::collections::HashMap;

use worker::{Headers, Request, Response, ResponseBuilder};

use super::random;
use crate::domain::http::{cookie, Form, SetCookie};
use crate::domain::security::{binding_tag, csp, csrf_token, fill_found, find_slots, same_origin, tag_etag, verify_csrf, Slot, CSRF_FIELD};

/// The guest's CSRF binding (random, HttpOnly) until they sign in.
pub const CSRF_COOKIE: &str = "vestify_csrf";
/// The shopper's session id.
pub const SESSION_COOKIE: &str = "vestify_session";
/// The admin's session id: a separate cookie, scoped to `/admin`.
pub const ADMIN_COOKIE: &str = "vestify_admin";

/// HTML pages get their nonce and token per response, so no shared cache may keep them; the
/// Worker's own edge cache and isolate memory keep the slotted page, and a 304 still saves the body.
pub const PERSONALISED: &str = "private, no-cache";

thread_local! {
    /// A binding's CSRF token and ETag tag: two HMACs a returning visitor's pages need each time.
    static BOUND: RefCell<HashMap<String, (String, String)>> = RefCell::new(HashMap::new());
}

/// The CSRF token and the ETag tag of a binding, derived once per isolate.
fn bound(secret: &str, binding: &str) -> (String, String) {
    super::memo::derived(&BOUND, binding, || (csrf_token(secret.as_bytes(), binding), binding_tag(secret.as_bytes(), binding)))
}

/// What the CSRF token of this request is bound to.
#[derive(Clone)]
pub struct Visitor {
    secret: Option<String>,
    /// The admin session on `/admin`, else the shopper's session, else the guest cookie.
    binding: Option<String>,
    secure: bool,
    /// Extra CSP sources for the video service (`domain::security::csp`), empty without one.
    pub media: String,
    /// Extra `connect-src` sources for the tags (`domain::ad_tags::Tags::csp_connect`), empty without one.
    pub tags: String,
}

impl Visitor {
    pub fn from_request(req: &Request, path: &str, origin: &str, secret: Option<&str>) -> Visitor {
        let admin = path == "/admin" || path.starts_with("/admin/");
        let header = req.headers().get("cookie").ok().flatten().unwrap_or_default();
        let binding = cookie(&header, if admin { ADMIN_COOKIE } else { SESSION_COOKIE }).or_else(|| cookie(&header, CSRF_COOKIE)).map(str::to_string);
        Visitor { secret: secret.map(str::to_string), binding, secure: origin.starts_with("https://"), media: String::new(), tags: String::new() }
    }

    /// The ETag suffix for pages made for this visitor.
    pub fn tag(&self) -> Option<String> {
        Some(bound(self.secret.as_deref()?, self.binding.as_deref()?).1)
    }
}

/// The check every state-changing form runs: same origin (`Sec-Fetch-Site`/`Origin`) and a CSRF
/// token bound to the visitor's session. `false` → answer 403 without touching anything.
pub fn check_form(req: &Request, path: &str, origin: &str, secret: Option<&str>, form: &Form) -> bool {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let url_origin = req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    if !same_origin(header("sec-fetch-site").as_deref(), header("origin").as_deref(), &[origin, &url_origin]) {
        return false;
    }
    let visitor = Visitor::from_request(req, path, origin, secret);
    let token = form.value(CSRF_FIELD);
    match (secret, visitor.binding.as_deref()) {
        (Some(secret), Some(binding)) => verify_csrf(secret.as_bytes(), binding, token),
        _ => false,
    }
}

/// A plain 500, for a page that cannot be sealed (no randomness, an unreadable body).
pub fn internal_error() -> Response {
    ResponseBuilder::new().with_status(500).fixed(b"Internal Server Error".to_vec())
}

/// An HTML page with its slots filled for one response, and the headers that go with it.
pub struct Sealed {
    pub body: String,
    /// The Content-Security-Policy with this response's nonce.
    pub csp: String,
    /// The ETag tagged with the visitor's CSRF binding, when the page carries a token.
    pub etag: Option<String>,
    /// The guest's new CSRF binding cookie, when the page carries a token and they had none.
    pub set_cookie: Option<String>,
}

/// Fills an HTML page's nonce and CSRF slots (found in it by `find_slots`) for this visitor (a
/// guest without a binding gets one). `None` when the platform gave no randomness: answer 500 rather
/// than a page without a nonce.
pub fn seal_html(body: &str, slots: &[(usize, Slot)], etag: Option<&str>, visitor: &Visitor) -> Option<Sealed> {
    let nonce = random::token(16)?;
    let (mut token, mut tagged, mut set_cookie_value) = (String::new(), None, None);
    if slots.iter().any(|(_, slot)| *slot == Slot::Csrf) {
        let minted = match &visitor.binding {
            Some(_) => None,
            None => random::token(16),
        };
        let binding = visitor.binding.clone().or_else(|| minted.clone());
        if let (Some(secret), Some(binding)) = (visitor.secret.as_deref(), binding.as_deref()) {
            let (csrf, tag) = bound(secret, binding);
            token = csrf;
            tagged = etag.map(|etag| tag_etag(etag, &tag));
        }
        set_cookie_value = minted.map(|value| SetCookie::new(CSRF_COOKIE, &value, visitor.secure).max_age(30 * 86_400).to_string());
    }
    Some(Sealed { body: fill_found(body, slots, &nonce, &token), csp: csp(&nonce, &visitor.media, &visitor.tags), etag: tagged, set_cookie: set_cookie_value })
}

/// Every response on its way out. HTML gets a fresh nonce and its CSP, its CSRF slots filled (a
/// guest without a binding gets one), an ETag tagged with the binding when it carries a token, and
/// `private, no-cache` instead of a shared-cache policy; a page that already has its CSP was sealed
/// where it was built (`platform::edge_cache`). A 304 answering a tagged ETag keeps its tag.
pub async fn seal(mut response: Response, visitor: &Visitor, tagged_if_none_match: bool) -> Response {
    let status = response.status_code();
    let header = |r: &Response, name: &str| r.headers().get(name).ok().flatten();
    if status == 304 {
        if let (true, Some(tag), Some(etag)) = (tagged_if_none_match, visitor.tag(), header(&response, "etag")) {
            let _ = response.headers().set("etag", &tag_etag(&etag, &tag));
        }
        return response;
    }
    if !header(&response, "content-type").unwrap_or_default().starts_with("text/html") || header(&response, "content-security-policy").is_some() {
        return response;
    }
    let body = match response.text().await {
        Ok(body) => body,
        Err(e) => {
            worker::console_error!("seal: reading the body failed: {e}");
            return internal_error();
        }
    };
    let Some(sealed) = seal_html(&body, &find_slots(&body), header(&response, "etag").as_deref(), visitor) else { return internal_error() };
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        let _ = headers.append(&name, &value);
    }
    let _ = headers.set("content-security-policy", &sealed.csp);
    if let Some(etag) = &sealed.etag {
        let _ = headers.set("etag", etag);
    }
    if let Some(cookie) = &sealed.set_cookie {
        let _ = headers.append("set-cookie", cookie);
    }
    if header(&response, "cache-control").is_some_and(|cc| cc.starts_with("public")) {
        let _ = headers.set("cache-control", PERSONALISED);
    }
    ResponseBuilder::new().with_status(status).with_headers(headers).fixed(sealed.body.into_bytes())
}
