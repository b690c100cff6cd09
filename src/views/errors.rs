//! Error pages in the visitor's language: what happened and where to go next.

use maud::{html, Markup};

use super::layout::{page, Head};
use super::{paths, PageCtx};
use crate::domain::listing::FieldError;

fn error_page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    let t = ctx.t();
    let head = Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() };
    let main = html! {
        section.error-page {
            h1 { (title) }
            (body)
            form.search role="search" action=(ctx.href(paths::SEARCH)) method="get" {
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

pub fn not_found(ctx: &PageCtx) -> Markup {
    let t = ctx.t();
    error_page(ctx, t.not_found_title, html! { p { (t.not_found_text) } })
}

pub fn bad_request(ctx: &PageCtx, errors: &[FieldError]) -> Markup {
    let t = ctx.t();
    error_page(
        ctx,
        t.bad_request_title,
        html! {
            p { (t.bad_request_text) }
            ul.errors { @for e in errors { li data-field=(e.field) { (t.field_error(e)) } } }
        },
    )
}

pub fn internal(ctx: &PageCtx) -> Markup {
    let t = ctx.t();
    error_page(ctx, t.error_title, html! { p { (t.error_text) } })
}

/// A form that did not come from our own page (missing or wrong CSRF token, foreign origin).
pub fn forbidden(ctx: &PageCtx) -> Markup {
    let a = super::account_i18n::account_t(ctx.locale);
    error_page(ctx, a.forbidden_title, html! { p { (a.forbidden_text) } })
}

/// Too many attempts: the shopper is told when to try again.
pub fn too_many(ctx: &PageCtx, retry_after: i64) -> Markup {
    let a = super::account_i18n::account_t(ctx.locale);
    error_page(ctx, a.too_many_title, html! { p { ((a.too_many_text)(retry_after)) } })
}
