//! The pure half of the HTTP edge (`routes::http` is the Worker half): request bodies read within a
//! size limit, form fields, cookies read and written, and the request and error log lines. Pure, so
//! the rules are tested on the host.

use serde::Serialize;

use super::error::AppError;
use super::listing::{parse_query, FieldError, Problem};

/// The largest form or JSON body a shop route reads (admin uploads have their own limit).
pub const MAX_BODY: usize = 16 * 1024;

fn body_error(problem: Problem) -> AppError {
    AppError::Invalid(vec![FieldError { field: "body", problem }])
}

/// The methods some route of the shop serves. Any other (`QUERY`, `PROPFIND`, `TRACE`…) must reach
/// no handler: workers-rs reads a method it does not name as GET (`routes::handle`).
pub fn is_served_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS")
}

/// A body declared larger than `max` (`Content-Length`) is refused (413) before a byte of it is
/// read. A missing or unreadable length is left to `BodyLimit`, which counts what arrives.
pub fn declared_within(content_length: Option<&str>, max: usize) -> Result<(), AppError> {
    match content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > max as u64 => Err(AppError::PayloadTooLarge { max }),
        _ => Ok(()),
    }
}

/// A body read chunk by chunk: the first chunk that takes it past `max` bytes is a 413, and the
/// reader stops there instead of reading the rest.
pub struct BodyLimit {
    bytes: Vec<u8>,
    max: usize,
}

impl BodyLimit {
    pub fn new(max: usize) -> BodyLimit {
        BodyLimit { bytes: Vec::new(), max }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        if self.bytes.len() + chunk.len() > self.max {
            return Err(AppError::PayloadTooLarge { max: self.max });
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// What was read.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A request body as text: at most `max` bytes (else a 413) of UTF-8 (else a 400 naming the body).
pub fn body_text(bytes: Vec<u8>, max: usize) -> Result<String, AppError> {
    if bytes.len() > max {
        return Err(AppError::PayloadTooLarge { max });
    }
    String::from_utf8(bytes).map_err(|_| body_error(Problem::BadValue))
}

/// A JSON body as `T`; anything else is a 400 naming the body (serde's message stays out of it).
pub fn json_body<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, AppError> {
    serde_json::from_str(body).map_err(|_| body_error(Problem::BadValue))
}

/// The fingerprint of a JSON request body for its `Idempotency-Key`: the SHA-256 of the body as
/// JSON with its object keys sorted and no spaces, so the same request sent with other whitespace
/// or key order is the same request; a body that is not JSON is fingerprinted as sent.
pub fn request_fingerprint(body: &str) -> String {
    let canonical = serde_json::from_str::<serde_json::Value>(body).map_or_else(|_| body.to_string(), |v| v.to_string());
    super::signature::sha256_hex(canonical.as_bytes())
}

/// Whether a `Content-Type` declares JSON (`application/json`, with or without parameters): the
/// API's bodies are JSON, and one declared otherwise is refused with 415 on every endpoint alike.
pub fn declares_json(content_type: Option<&str>) -> bool {
    content_type.and_then(|t| t.split(';').next()).is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// `page` (1 to 1,000, default 1) and `per_page` (1 to 100, default 20) of a paged personal list
/// (`/api/v1/me/orders`); a value out of range or not a number is a 400 naming it.
pub fn page_params(query: &str) -> Result<(i64, i64), AppError> {
    let read = |key: &'static str, default: i64, max: i64| match query_param(query, key) {
        None => Ok(default),
        Some(v) => v.trim().parse::<i64>().ok().filter(|n| (1..=max).contains(n)).ok_or(FieldError { field: key, problem: Problem::OutOfRange { min: 1, max } }),
    };
    match (read("page", 1, 1000), read("per_page", 20, 100)) {
        (Ok(page), Ok(per_page)) => Ok((page, per_page)),
        (page, per_page) => Err(AppError::Invalid([page.err(), per_page.err()].into_iter().flatten().collect())),
    }
}

/// The `Idempotency-Key` as the API takes it: 1 to 255 characters (else none).
pub fn idempotency_key(header: Option<&str>) -> Option<&str> {
    header.filter(|k| !k.is_empty() && k.len() <= 255)
}

/// The fields of an `application/x-www-form-urlencoded` body (or a query string), in order.
/// Derefs to the pairs, for code that takes `&[(String, String)]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Decodes `a=1&b=x%20y` (a leading `?` is ignored).
    pub fn parse(encoded: &str) -> Form {
        Form(parse_query(encoded))
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Form {
        Form(pairs)
    }

    /// The first value of `key`, as sent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The first value of `key` as sent, or empty (passwords, free text).
    pub fn value(&self, key: &str) -> &str {
        self.get(key).unwrap_or_default()
    }

    /// The first value of `key` without surrounding spaces, or empty.
    pub fn trimmed(&self, key: &str) -> &str {
        self.value(key).trim()
    }

    /// The first value of `key`, trimmed, read as `T` (`None` when absent or unreadable).
    pub fn parsed<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        self.get(key)?.trim().parse().ok()
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

impl std::ops::Deref for Form {
    type Target = [(String, String)];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// One parameter of a query string (`?t=…&payment=failed`), decoded.
pub fn query_param(query: &str, key: &str) -> Option<String> {
    parse_query(query).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Every value of cookie `name` in a `Cookie` header, in order (a browser may send two cookies of
/// one name, set for different paths).
pub fn cookies<'h>(header: &'h str, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
    header.split(';').filter_map(|c| c.trim().split_once('=')).filter(move |(n, _)| *n == name).map(|(_, v)| v)
}

/// The first non-empty value of cookie `name` in a `Cookie` header.
pub fn cookie<'h>(header: &'h str, name: &'h str) -> Option<&'h str> {
    cookies(header, name).find(|v| !v.is_empty())
}

/// Which cross-site requests carry a cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    /// Sent on cross-site requests too (a provider's form_post back to us); needs `Secure` in browsers.
    None,
}

/// A `Set-Cookie` value. HttpOnly and SameSite=Lax unless said otherwise; `Secure` on https.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub path: &'a str,
    /// Seconds; `None` for a cookie that ends with the browser session.
    pub max_age: Option<i64>,
    pub http_only: bool,
    pub same_site: SameSite,
    pub secure: bool,
}

impl<'a> SetCookie<'a> {
    pub fn new(name: &'a str, value: &'a str, secure: bool) -> SetCookie<'a> {
        SetCookie { name, value, path: "/", max_age: None, http_only: true, same_site: SameSite::Lax, secure }
    }

    /// Tells the browser to forget the cookie of this name and path.
    pub fn removal(name: &'a str, path: &'a str, secure: bool) -> SetCookie<'a> {
        SetCookie::new(name, "", secure).path(path).max_age(0)
    }

    pub fn path(self, path: &'a str) -> SetCookie<'a> {
        SetCookie { path, ..self }
    }

    pub fn max_age(self, seconds: i64) -> SetCookie<'a> {
        SetCookie { max_age: Some(seconds), ..self }
    }

    /// Readable by the page's scripts (only for values that are not secret).
    pub fn readable_by_scripts(self) -> SetCookie<'a> {
        SetCookie { http_only: false, ..self }
    }

    pub fn cross_site(self) -> SetCookie<'a> {
        SetCookie { same_site: SameSite::None, ..self }
    }
}

impl std::fmt::Display for SetCookie<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}; Path={}", self.name, self.value, self.path)?;
        if let Some(age) = self.max_age {
            write!(f, "; Max-Age={age}")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        f.write_str(match self.same_site {
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        })?;
        if self.secure {
            f.write_str("; Secure")?;
        }
        Ok(())
    }
}

/// The request id carried through logs, error pages and the `x-request-id` header: Cloudflare's
/// `cf-ray` when it is a plain token, else a generated one.
pub fn request_id(cf_ray: Option<&str>, generated: impl FnOnce() -> String) -> String {
    match cf_ray {
        Some(ray) if !ray.is_empty() && ray.len() <= 64 && ray.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => ray.to_string(),
        _ => generated(),
    }
}

/// The one log line of a request. It names the route, never the path's ids or query, and holds no
/// address, email, token or cookie.
#[derive(Serialize, Debug, PartialEq)]
pub struct RequestLog<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub route: &'static str,
    pub status: u16,
    pub duration_ms: u64,
    /// `hit`, `miss` or `off` when the edge cache answered; `none` otherwise.
    pub cache: &'a str,
    /// D1 round trips this isolate made since the previous request line.
    pub d1_round_trips: u32,
}

impl RequestLog<'_> {
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The log line of an error: its code and status and, for an internal one, the cause chain
/// (outermost context first). The public answer never carries the cause.
#[derive(Serialize, Debug, PartialEq)]
pub struct ErrorLog<'a> {
    pub level: &'static str,
    pub request_id: &'a str,
    pub route: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub cause: &'a [String],
}

impl<'a> ErrorLog<'a> {
    /// The line for an internal error; other errors are answers, not failures, and have none.
    pub fn of(error: &'a AppError, request_id: &'a str, route: &'static str) -> Option<ErrorLog<'a>> {
        let cause = error.cause()?;
        Some(ErrorLog { level: "error", request_id, route, status: error.status(), code: error.code(), cause: cause.chain() })
    }

    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A JSON error body (`{"error": {…}}`) with `request_id` added inside the envelope; `None` when the
/// body is not an error envelope (left as it is).
pub fn stamp_request_id(body: &str, request_id: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = value.get_mut("error")?.as_object_mut()?;
    error.insert("request_id".into(), request_id.into());
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::Cause;

    #[test]
    fn a_body_over_the_limit_is_a_413_and_one_not_utf8_a_400_naming_the_body() {
        assert_eq!(body_text(b"a=1".to_vec(), 3).ok().as_deref(), Some("a=1"));
        let too_long = body_text(vec![b'a'; 4], 3).unwrap_err();
        assert!(matches!(too_long, AppError::PayloadTooLarge { max: 3 }), "{too_long:?}");
        assert_eq!(too_long.status(), 413);
        let not_utf8 = body_text(vec![0xff, 0xfe], 16).unwrap_err();
        assert!(matches!(&not_utf8, AppError::Invalid(f) if f[0].field == "body"), "{not_utf8:?}");
    }

    #[test]
    fn a_body_declared_too_large_is_refused_before_it_is_read() {
        assert!(declared_within(Some("16384"), 16_384).is_ok());
        assert!(declared_within(None, 16_384).is_ok(), "no length: counted as it arrives");
        assert!(declared_within(Some("chunked"), 16_384).is_ok());
        for declared in ["16385", " 99999999999 ", "18446744073709551615"] {
            assert!(matches!(declared_within(Some(declared), 16_384), Err(AppError::PayloadTooLarge { max: 16_384 })), "{declared}");
        }
    }

    #[test]
    fn a_body_is_read_only_up_to_its_limit() {
        let mut body = BodyLimit::new(8);
        assert!(body.push(b"abcd").is_ok() && body.push(b"efgh").is_ok());
        assert!(matches!(body.push(b"i"), Err(AppError::PayloadTooLarge { max: 8 })), "the ninth byte is refused");
        assert_eq!(body.into_bytes(), b"abcdefgh", "nothing past the limit was kept");
    }

    #[test]
    fn only_the_methods_the_shop_serves_reach_a_route() {
        for served in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            assert!(is_served_method(served), "{served}");
        }
        for other in ["QUERY", "PROPFIND", "TRACE", "CONNECT", "REPORT", "MKCOL", "patch", "get", ""] {
            assert!(!is_served_method(other), "{other}");
        }
    }

    #[test]
    fn a_request_fingerprint_ignores_whitespace_and_key_order_but_not_values() {
        let a = request_fingerprint(r#"{"variant_id": 7, "quantity": 1}"#);
        assert_eq!(a, request_fingerprint(r#"{"quantity":1,"variant_id":7}"#));
        assert_ne!(a, request_fingerprint(r#"{"quantity":2,"variant_id":7}"#));
        assert_ne!(request_fingerprint("not json"), request_fingerprint("not  json"));
        assert!(declares_json(Some("application/json")) && declares_json(Some("Application/JSON; charset=utf-8")));
        for other in [None, Some(""), Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonp")] {
            assert!(!declares_json(other), "{other:?}");
        }
        assert_eq!(page_params("").ok(), Some((1, 20)));
        assert_eq!(page_params("?page=3&per_page=100").ok(), Some((3, 100)));
        match page_params("?page=0&per_page=x") {
            Err(AppError::Invalid(fields)) => assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["page", "per_page"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(idempotency_key(Some("k")), Some("k"));
        assert_eq!(idempotency_key(Some("")), None);
        assert_eq!(idempotency_key(Some(&"k".repeat(256))), None);
    }

    #[test]
    fn a_json_body_that_does_not_fit_the_type_is_a_400_without_serdes_words() {
        #[derive(serde::Deserialize)]
        struct Item {
            #[expect(dead_code, reason = "only its presence is tested")]
            quantity: i64,
        }
        assert!(json_body::<Item>(r#"{"quantity": 2}"#).is_ok());
        let e = json_body::<Item>(r#"{"quantity": "two"}"#).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("invalid request (1 fields)"));
    }

    #[test]
    fn a_form_field_is_found_by_name_first_value_first() {
        let form = Form::parse("email=%20a%40b.vn%20&qty=3&qty=4&password=%20secret%20&empty=");
        assert_eq!(form.get("email"), Some(" a@b.vn "));
        assert_eq!(form.trimmed("email"), "a@b.vn");
        assert_eq!(form.value("password"), " secret ", "passwords keep their spaces");
        assert_eq!(form.parsed::<i64>("qty"), Some(3));
        assert_eq!(form.parsed::<i64>("email"), None);
        assert_eq!(form.get("missing"), None);
        assert_eq!(form.trimmed("missing"), "");
        assert_eq!(form.get("empty"), Some(""));
        assert_eq!(form.len(), 5, "the pairs stay reachable for code that takes a slice");
    }

    #[test]
    fn a_query_parameter_is_decoded() {
        assert_eq!(query_param("?t=abc&code=card%20declined", "code").as_deref(), Some("card declined"));
        assert_eq!(query_param("", "t"), None);
    }

    #[test]
    fn a_cookie_is_read_by_exact_name_and_empty_values_are_skipped() {
        let header = "vestify_cart_count=2; vestify_cart=; vestify_cart=abc.sig; other=x=y";
        assert_eq!(cookie(header, "vestify_cart"), Some("abc.sig"));
        assert_eq!(cookies(header, "vestify_cart").collect::<Vec<_>>(), ["", "abc.sig"]);
        assert_eq!(cookie(header, "vestify"), None);
        assert_eq!(cookie(header, "other"), Some("x=y"));
        assert_eq!(cookie("", "other"), None);
    }

    #[test]
    fn set_cookie_values_keep_the_attributes_of_each_kind_of_cookie() {
        assert_eq!(
            SetCookie::new("vestify_session", "ab", true).max_age(2_592_000).to_string(),
            "vestify_session=ab; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(SetCookie::removal("vestify_admin", "/admin", false).to_string(), "vestify_admin=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Lax");
        assert_eq!(
            SetCookie::new("vestify_cart_count", "3", false).max_age(60).readable_by_scripts().to_string(),
            "vestify_cart_count=3; Path=/; Max-Age=60; SameSite=Lax"
        );
        assert_eq!(
            SetCookie::new("vestify_oauth_apple", "v", true).max_age(600).cross_site().to_string(),
            "vestify_oauth_apple=v; Path=/; Max-Age=600; HttpOnly; SameSite=None; Secure"
        );
    }

    #[test]
    fn the_request_id_is_the_ray_id_when_it_is_a_plain_token_and_generated_otherwise() {
        assert_eq!(request_id(Some("8f1a2b3c4d5e6f70-SIN"), || "gen".into()), "8f1a2b3c4d5e6f70-SIN");
        assert_eq!(request_id(None, || "gen".into()), "gen");
        assert_eq!(request_id(Some(""), || "gen".into()), "gen");
        assert_eq!(request_id(Some("x\"}, {\"injected"), || "gen".into()), "gen");
    }

    #[test]
    fn the_request_line_has_exactly_the_documented_fields() {
        let line = RequestLog { request_id: "r1", method: "GET", route: "storefront.product", status: 200, duration_ms: 3, cache: "hit", d1_round_trips: 0 }.line();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["cache", "d1_round_trips", "duration_ms", "method", "request_id", "route", "status"]);
        assert_eq!(value["route"], "storefront.product");
    }

    #[test]
    fn only_an_internal_error_has_an_error_line_and_it_carries_the_whole_chain() {
        let internal = AppError::Internal(Cause::from("UNIQUE constraint failed").context("database").context("checkout"));
        let line = ErrorLog::of(&internal, "r1", "checkout.submit").map(|l| l.line()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["cause"], serde_json::json!(["checkout", "database", "UNIQUE constraint failed"]));
        assert_eq!((value["status"].as_u64(), value["code"].as_str(), value["level"].as_str()), (Some(500), Some("internal_error"), Some("error")));
        assert!(ErrorLog::of(&AppError::NotFound, "r1", "cart.show").is_none());
    }

    #[test]
    fn the_request_id_goes_inside_an_error_envelope_and_nowhere_else() {
        let stamped = stamp_request_id(r#"{"error":{"code":"not_found","message":"m","fields":{}}}"#, "r1").unwrap();
        let value: serde_json::Value = serde_json::from_str(&stamped).unwrap();
        assert_eq!(value["error"]["request_id"], "r1");
        assert_eq!(value["error"]["code"], "not_found");
        assert_eq!(stamp_request_id(r#"{"products":[]}"#, "r1"), None);
        assert_eq!(stamp_request_id("not json", "r1"), None);
    }
}
