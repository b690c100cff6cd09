//! What a visitor is told when a request fails: the error page in their language (what happened,
//! where to go next, and the request id to quote to support), and the API's JSON error envelope.
//! `routes::http` picks between them; error pages are never cached, so the id is this request's.

use std::collections::BTreeMap;

use maud::{html, Markup};
use serde_json::{json, Value};

use super::layout::{page, Head};
use super::{paths, PageCtx};
use crate::domain::error::AppError;
use crate::domain::listing::FieldError;
use crate::domain::locale::Locale;

/// The page for `error`, with the request id in small print.
pub fn for_error(ctx: &PageCtx, error: &AppError, request_id: &str) -> Markup {
    let (title, body) = match error {
        AppError::NotFound | AppError::MethodNotAllowed | AppError::Unauthorized | AppError::Conflict(_) => not_found(ctx),
        AppError::Forbidden(_) => forbidden(ctx),
        AppError::TooManyRequests { retry_after } => too_many(ctx, *retry_after),
        AppError::PayloadTooLarge { .. } => too_large(ctx),
        AppError::Invalid(fields) | AppError::Unprocessable(fields) => bad_request(ctx, fields),
        AppError::Internal(_) => internal(ctx),
    };
    let label = match ctx.locale {
        Locale::Vi => "Mã yêu cầu",
        Locale::En => "Request id",
    };
    let body = html! { (body) p.request-id { small { (label) ": " code { (request_id) } } } };
    error_page(ctx, title, body)
}

/// The API's error body: `{"error": {"code", "message", "fields"}}` (the edge adds `request_id`).
/// Field messages are in English; an internal error says nothing of its cause.
pub fn envelope(error: &AppError) -> Value {
    let en = super::i18n::t(Locale::En);
    let (message, fields) = match error {
        AppError::NotFound => ("The requested resource does not exist.".to_string(), BTreeMap::new()),
        AppError::Invalid(errors) => ("Some parameters are not valid.".to_string(), errors.iter().map(|e| (e.field.to_string(), api_field_error(en, e))).collect()),
        AppError::Unprocessable(errors) => {
            ("Some parameters name what does not exist or does not belong together.".to_string(), errors.iter().map(|e| (e.field.to_string(), api_field_error(en, e))).collect())
        }
        AppError::MethodNotAllowed => ("This method is not allowed on this endpoint.".to_string(), BTreeMap::new()),
        AppError::Unauthorized => ("The signature or credential is missing or wrong.".to_string(), BTreeMap::new()),
        AppError::Forbidden(r) | AppError::Conflict(r) => (r.message.clone(), BTreeMap::new()),
        AppError::TooManyRequests { retry_after } => (format!("Too many requests; try again in {retry_after} seconds."), BTreeMap::new()),
        AppError::PayloadTooLarge { max } => (format!("The request body is too large: at most {max} bytes."), BTreeMap::new()),
        AppError::Internal(_) => ("Something failed on our side. Please retry later.".to_string(), BTreeMap::new()),
    };
    json!({"error": {"code": error.code(), "message": message, "fields": fields}})
}

/// A field's error as the API says it: the field by its name in the request (`address.ward_code is
/// required`), which a developer can find, rather than the label a form shows.
pub fn api_field_error(en: &super::i18n::Texts, e: &FieldError) -> String {
    format!("{} {}", e.field, (en.problem)(&e.problem))
}

fn error_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    let t = ctx.t();
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let main = html! {
        section.error-page {
            h1 { (title) }
            (body)
            // Named, so it is told apart from the header's search landmark.
            form.search role="search" aria-label=(ctx.locale.pick("Tìm sản phẩm khác", "Search for another product")) action=(ctx.href(paths::SEARCH)) method="get" {
                label for="error-search" { (t.search) }
                input #error-search type="search" name="q" maxlength="100";
                button type="submit" { (t.search_button) }
            }
            p { a href=(ctx.href("/")) { (t.back_home) } }
            h2 { (t.browse_categories) }
            ul.category-links {
                @for c in ctx.top_categories() {
                    li { a href=(ctx.href(&paths::category(&c.slug))) { (c.name(ctx.locale)) } }
                }
            }
        }
    };
    page(ctx, head, main)
}

/// A refusal explained in one sentence (a review link that is not valid, …), with the error page's
/// ways back.
pub fn message_page(ctx: &PageCtx, message: &str) -> Markup {
    let title = match ctx.locale {
        Locale::Vi => "Không thể tiếp tục",
        Locale::En => "This cannot continue",
    };
    error_page(ctx, title, html! { p.notice { (message) } })
}

fn not_found(ctx: &PageCtx) -> (&'static str, Markup) {
    let t = ctx.t();
    (t.not_found_title, html! { p { (t.not_found_text) } })
}

fn bad_request(ctx: &PageCtx, errors: &[FieldError]) -> (&'static str, Markup) {
    let t = ctx.t();
    let body = html! {
        p { (t.bad_request_text) }
        ul.errors { @for e in errors { li data-field=(e.field) { (t.field_error(e)) } } }
    };
    (t.bad_request_title, body)
}

fn internal(ctx: &PageCtx) -> (&'static str, Markup) {
    let t = ctx.t();
    (t.error_title, html! { p { (t.error_text) } })
}

/// A form that did not come from our own page (missing or wrong CSRF token, foreign origin), or a
/// request the visitor may not make.
fn forbidden(ctx: &PageCtx) -> (&'static str, Markup) {
    let a = super::account_i18n::account_t(ctx.locale);
    (a.forbidden_title, html! { p { (a.forbidden_text) } })
}

/// A form or body larger than the shop reads (413).
fn too_large(ctx: &PageCtx) -> (&'static str, Markup) {
    let (title, text) = match ctx.locale {
        Locale::Vi => ("Nội dung gửi quá lớn", "Biểu mẫu bạn gửi dài hơn mức cửa hàng nhận. Hãy rút gọn rồi gửi lại."),
        Locale::En => ("What you sent is too large", "The form you sent is longer than the shop accepts. Please shorten it and send it again."),
    };
    (title, html! { p { (text) } })
}

/// Too many attempts: the shopper is told when to try again.
fn too_many(ctx: &PageCtx, retry_after: i64) -> (&'static str, Markup) {
    let a = super::account_i18n::account_t(ctx.locale);
    (a.too_many_title, html! { p { ((a.too_many_text)(retry_after)) } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::Cause;
    use crate::domain::listing::Problem;

    fn ctx(locale: Locale) -> PageCtx {
        PageCtx { locale, path: "/x".into(), query: String::new(), origin: "https://vestify.test".into(), categories: Vec::new(), shop: Default::default() }
    }

    #[test]
    fn an_error_page_speaks_the_visitors_language_and_shows_the_request_id() {
        let vi = for_error(&ctx(Locale::Vi), &AppError::NotFound, "8f1a-SIN").into_string();
        let en = for_error(&ctx(Locale::En), &AppError::NotFound, "8f1a-SIN").into_string();
        assert!(vi.contains(i18n_title(Locale::Vi)) && vi.contains("Mã yêu cầu: <code>8f1a-SIN</code>"), "{vi}");
        assert!(en.contains(i18n_title(Locale::En)) && en.contains("Request id: <code>8f1a-SIN</code>"), "{en}");
    }

    #[test]
    fn the_404_page_names_its_search_apart_from_the_header_search() {
        let html = for_error(&ctx(Locale::Vi), &AppError::NotFound, "r").into_string();
        let labels: Vec<&str> = html.split(r#"role="search""#).skip(1).map(|rest| rest.split('>').next().unwrap_or("")).collect();
        assert_eq!(labels.len(), 2, "{html}");
        let names: Vec<Option<&str>> = labels.iter().map(|a| a.split(r#"aria-label=""#).nth(1).and_then(|x| x.split('"').next())).collect();
        assert_ne!(names[0], names[1], "two search landmarks need different names: {names:?}");
    }

    fn i18n_title(locale: Locale) -> &'static str {
        super::super::i18n::t(locale).not_found_title
    }

    #[test]
    fn each_error_gets_its_own_page_and_an_internal_one_hides_its_cause() {
        let c = ctx(Locale::En);
        let a = super::super::account_i18n::account_t(Locale::En);
        assert!(for_error(&c, &AppError::forbidden("csrf", "x"), "r").into_string().contains(a.forbidden_title));
        assert!(for_error(&c, &AppError::TooManyRequests { retry_after: 30 }, "r").into_string().contains(a.too_many_title));
        let invalid = AppError::Invalid(vec![FieldError { field: "page", problem: Problem::NotANumber }]);
        assert!(for_error(&c, &invalid, "r").into_string().contains(r#"data-field="page""#));
        let internal = for_error(&c, &AppError::Internal(Cause::from("D1_ERROR: secret table")), "r").into_string();
        assert!(internal.contains(c.t().error_title) && !internal.contains("secret table"));
        let vi = for_error(&ctx(Locale::Vi), &AppError::PayloadTooLarge { max: 16_384 }, "r").into_string();
        assert!(vi.contains("Nội dung gửi quá lớn"), "{vi}");
    }

    #[test]
    fn the_json_envelope_has_code_message_and_fields_and_no_internal_text() {
        let invalid = envelope(&AppError::Invalid(vec![FieldError { field: "page", problem: Problem::NotANumber }]));
        assert_eq!(invalid["error"]["code"], "invalid_parameters");
        assert_eq!(invalid["error"]["fields"]["page"], "page must be a whole number");
        let unnamed = envelope(&AppError::Unprocessable(vec![FieldError { field: "address.ward_code", problem: Problem::Required }]));
        assert_eq!(unnamed["error"]["fields"]["address.ward_code"], "address.ward_code is required", "every field is named, not called a parameter");
        let internal = envelope(&AppError::Internal(Cause::from("D1_ERROR: secret table")));
        assert_eq!(internal["error"]["code"], "internal_error");
        assert!(!internal.to_string().contains("secret"));
        assert_eq!(envelope(&AppError::conflict("cart_empty", "The cart is empty."))["error"]["message"], "The cart is empty.");
        let too_large = envelope(&AppError::PayloadTooLarge { max: 16_384 });
        assert_eq!((too_large["error"]["code"].as_str(), too_large["error"]["message"].as_str()), (Some("payload_too_large"), Some("The request body is too large: at most 16384 bytes.")));
    }
}
