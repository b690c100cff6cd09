//! Account pages: sign up, sign in, password reset, and the account itself (profile, order history,
//! saved addresses, security, privacy). Personal pages: rendered per request, never cached.

use maud::{html, Markup};

use super::account_i18n::{account_t, AccountTexts};
use super::layout::{page, Head};
use super::security::csrf_field;
use super::PageCtx;
use crate::app::accounts::CustomerRow;
use crate::app::privacy::OpenOrderRow;
use crate::domain::listing::FieldError;
use crate::domain::http::query_param;
use crate::domain::listing::percent_encode_component;
use crate::domain::money::Vnd;
use crate::domain::oauth::{safe_return, Provider};
use crate::domain::session::{KeptForm, KeptKind};
use crate::domain::time::vn_time;

/// Paths of the account area (locale-free), shared by the router and the views.
pub mod paths {
    pub const ACCOUNT: &str = "/account";
    pub const LOGIN: &str = "/account/login";
    pub const SIGNUP: &str = "/account/signup";
    pub const LOGOUT: &str = "/account/logout";
    pub const LOGOUT_EVERYWHERE: &str = "/account/logout-everywhere";
    pub const RESET: &str = "/account/reset";
    pub const PASSWORD: &str = "/account/password";
    pub const PROFILE: &str = "/account/profile";
    pub const ADDRESSES: &str = "/account/addresses";
    pub const EXPORT: &str = "/account/export";
    pub const DELETE: &str = "/account/delete";
    pub const VERIFY: &str = "/account/verify";
}

fn head(title: &str) -> Head {
    Head { title: title.to_string(), description: title.to_string(), noindex: true, ..Head::default() }
}

fn problem(ctx: &PageCtx, e: &FieldError) -> String {
    (ctx.t().problem)(&e.problem)
}

/// A labelled input with its error under it.
fn input(ctx: &PageCtx, name: &'static str, label: &str, kind: &str, value: &str, autocomplete: &str, errors: &[FieldError]) -> Markup {
    let id = format!("f-{name}");
    let error = errors.iter().find(|e| e.field == name);
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) type=(kind) name=(name) value=(value) autocomplete=(autocomplete) required
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))];
            @if let Some(e) = error {
                span.field-error id=(format!("{id}-error")) data-field=(name) { (label) ": " (problem(ctx, e)) }
            }
        }
    }
}

fn message(notice: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(n) = notice { p.success role="status" { (n) } }
        @if let Some(e) = error { p.notice.form-error role="alert" { (e) } }
    }
}

/// `?return=` of the page, when it is a local path: where a sign-in goes on to.
pub fn return_path(ctx: &PageCtx) -> Option<String> {
    query_param(&ctx.query, "return").and_then(|r| safe_return(&r))
}

/// The sign-in page. A `?return=` path is kept in the form's action, so a wrong password
/// does not lose the way back.
pub fn login_page(ctx: &PageCtx, email: &str, notice: Option<&str>, error: Option<&str>, social: &[Provider]) -> Markup {
    let a = account_t(ctx.locale);
    let action = match return_path(ctx) {
        Some(back) => format!("{}?return={}", ctx.href(paths::LOGIN), percent_encode_component(&back)),
        None => ctx.href(paths::LOGIN),
    };
    let main = html! {
        section.account-form {
            h1 { (a.sign_in) }
            (message(notice, error))
            form.login method="post" action=(action) {
                (csrf_field())
                (input(ctx, "email", a.email, "email", email, "username", &[]))
                (input(ctx, "password", a.password, "password", "", "current-password", &[]))
                button.button type="submit" { (a.sign_in) }
            }
            (super::social::sign_in_buttons(ctx, social))
            p { a href=(ctx.href(paths::RESET)) { (a.forgot_password) } }
            p { (a.no_account) " " a href=(ctx.href(paths::SIGNUP)) { (a.sign_up) } }
        }
    };
    page(ctx, head(a.sign_in), main)
}

pub fn signup_page(ctx: &PageCtx, email: &str, name: &str, errors: &[FieldError], error: Option<&str>) -> Markup {
    let a = account_t(ctx.locale);
    let main = html! {
        section.account-form {
            h1 { (a.sign_up) }
            (message(None, error))
            form.signup method="post" action=(ctx.href(paths::SIGNUP)) novalidate {
                (csrf_field())
                (input(ctx, "name", a.name, "text", name, "name", errors))
                (input(ctx, "email", a.email, "email", email, "email", errors))
                (input(ctx, "password", a.password, "password", "", "new-password", errors))
                p.hint { (a.password_hint) }
                button.button type="submit" { (a.sign_up) }
            }
            p { (a.have_account) " " a href=(ctx.href(paths::LOGIN)) { (a.sign_in) } }
        }
    };
    page(ctx, head(a.sign_up), main)
}

pub fn reset_request_page(ctx: &PageCtx, sent: bool) -> Markup {
    let a = account_t(ctx.locale);
    let main = html! {
        section.account-form {
            h1 { (a.reset_title) }
            @if sent {
                p.success role="status" { (a.reset_sent) }
            } @else {
                p { (a.reset_intro) }
                form.reset method="post" action=(ctx.href(paths::RESET)) {
                    (csrf_field())
                    (input(ctx, "email", a.email, "email", "", "email", &[]))
                    button.button type="submit" { (a.reset_send) }
                }
            }
        }
    };
    page(ctx, head(a.reset_title), main)
}

/// The new-password form of a reset link; `None` when the link is not (or no longer) valid.
pub fn reset_page(ctx: &PageCtx, token: Option<&str>, errors: &[FieldError]) -> Markup {
    let a = account_t(ctx.locale);
    let main = html! {
        section.account-form {
            h1 { (a.reset_new_title) }
            @match token {
                Some(token) => {
                    form.reset-password method="post" action=(ctx.href(&format!("{}/{token}", paths::RESET))) novalidate {
                        (csrf_field())
                        (input(ctx, "password", a.new_password, "password", "", "new-password", errors))
                        p.hint { (a.password_hint) }
                        button.button type="submit" { (a.reset_save) }
                    }
                }
                None => {
                    p.notice role="alert" { (a.reset_invalid) }
                    p { a href=(ctx.href(paths::RESET)) { (a.reset_title) } }
                }
            }
        }
    };
    page(ctx, head(a.reset_new_title), main)
}

/// One order in the history.
pub struct OrderSummary {
    pub id: String,
    pub number: String,
    pub status: String,
    pub total: Vnd,
    pub created_at: i64,
    /// The order page's link (with its access token).
    pub url: String,
}

/// A saved address.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AddressRow {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub line1: String,
    pub ward: String,
    pub district: String,
    pub province: String,
    pub country: String,
}

pub struct AccountView<'a> {
    pub customer: &'a CustomerRow,
    pub orders: &'a [OrderSummary],
    pub addresses: &'a [AddressRow],
    pub notice: Option<&'a str>,
    pub errors: &'a [FieldError],
    pub error: Option<&'a str>,
    /// Configured social providers, linked or not (`views::social`).
    pub social: &'a [super::social::Method],
    /// What was typed into the profile or address form before the session ended, shown again.
    pub kept: Option<&'a KeptForm>,
    /// Orders whose delivery details deletion would keep until they close (`app::privacy`).
    pub open_orders: &'a [OpenOrderRow],
}

fn security_section(ctx: &PageCtx, a: &AccountTexts, v: &AccountView) -> Markup {
    html! {
        section.account-security aria-labelledby="security-h" {
            h2 #security-h { (a.change_password) }
            form.change-password method="post" action=(ctx.href(paths::PASSWORD)) novalidate {
                (csrf_field())
                (input(ctx, "current_password", a.current_password, "password", "", "current-password", v.errors))
                (input(ctx, "password", a.new_password, "password", "", "new-password", v.errors))
                p.hint { (a.password_hint) }
                button.button type="submit" { (a.change_password) }
            }
            form.logout method="post" action=(ctx.href(paths::LOGOUT)) {
                (csrf_field())
                button.button.secondary type="submit" { (a.sign_out) }
            }
            form.logout-everywhere method="post" action=(ctx.href(paths::LOGOUT_EVERYWHERE)) {
                (csrf_field())
                p.hint { (a.sign_out_everywhere_hint) }
                button.button.secondary type="submit" { (a.sign_out_everywhere) }
            }
        }
    }
}

pub fn account_page<'a>(ctx: &PageCtx, v: &AccountView<'a>) -> Markup {
    let a = account_t(ctx.locale);
    let c = v.customer;
    let status = |code: &str| {
        crate::domain::orders::OrderStatus::parse(code)
            .map_or(code.to_string(), |st| (super::shop_i18n::shop_t(ctx.locale).status_name)(st).to_string())
    };
    let kept = |kind: KeptKind, name: &str| v.kept.filter(|k| k.kind == kind).map_or("", |k| k.value(name));
    let profile = |name: &str, saved: &'a str| v.kept.filter(|k| k.kind == KeptKind::Profile).map_or(saved, |k| k.value(name));
    let main = html! {
        h1 { (a.account) }
        p.signed-in data-email=(c.email) { ((a.signed_in_as)(&c.email)) }
        (message(v.notice, v.error))
        @if c.email_verified_at.is_none() { p.notice { (a.email_unverified) } }
        section.account-orders aria-labelledby="orders-h" {
            h2 #orders-h { (a.order_history) }
            @if v.orders.is_empty() {
                p.empty { (a.no_orders) }
            } @else {
                table.order-history {
                    thead { tr { th scope="col" { (a.order_number) } th scope="col" { (a.order_date) } th scope="col" { (a.order_status) } th scope="col" { (a.order_total) } } }
                    tbody {
                        @for o in v.orders {
                            tr data-order=(o.id) {
                                td { a href=(o.url) { (o.number) } }
                                td { (vn_time(o.created_at)) }
                                td data-status=(o.status) { (status(&o.status)) }
                                td { (o.total.format(ctx.locale)) }
                            }
                        }
                    }
                }
            }
        }
        section.account-profile aria-labelledby="profile-h" {
            h2 #profile-h { (a.profile) }
            form.profile method="post" action=(ctx.href(paths::PROFILE)) novalidate {
                (csrf_field())
                (input(ctx, "name", a.name, "text", profile("name", &c.name), "name", v.errors))
                (input(ctx, "phone", a.phone, "tel", profile("phone", &c.phone), "tel", v.errors))
                button.button type="submit" { (a.save) }
            }
        }
        section.account-addresses aria-labelledby="addresses-h" {
            h2 #addresses-h { (a.addresses) }
            @if v.addresses.is_empty() { p.empty { (a.no_addresses) } }
            ul.addresses {
                @for addr in v.addresses {
                    li data-address=(addr.id) {
                        (addr.name) ", " (addr.phone) ", " (addr.line1) ", " (addr.ward) ", " (addr.district) ", " (addr.province) ", " (addr.country)
                        form.delete-address method="post" action=(ctx.href(&format!("{}/{}/delete", paths::ADDRESSES, addr.id))) {
                            (csrf_field())
                            button.link type="submit" { (a.remove) }
                        }
                    }
                }
            }
            form.add-address method="post" action=(ctx.href(paths::ADDRESSES)) novalidate {
                (csrf_field())
                (input(ctx, "name", a.name, "text", kept(KeptKind::Address, "name"), "name", &[]))
                (input(ctx, "phone", a.phone, "tel", kept(KeptKind::Address, "phone"), "tel", &[]))
                (input(ctx, "address.line1", a.street, "text", kept(KeptKind::Address, "address.line1"), "address-line1", &[]))
                (input(ctx, "address.ward", a.ward, "text", kept(KeptKind::Address, "address.ward"), "address-level3", &[]))
                (input(ctx, "address.district", a.district, "text", kept(KeptKind::Address, "address.district"), "address-level2", &[]))
                (input(ctx, "address.province", a.province, "text", kept(KeptKind::Address, "address.province"), "address-level1", &[]))
                input type="hidden" name="address.country" value="VN";
                button.button type="submit" { (a.add_address) }
            }
        }
        (security_section(ctx, a, v))
        (super::social::account_section(ctx, v.social, c.password_hash.is_some()))
        section.account-privacy aria-labelledby="privacy-h" {
            h2 #privacy-h { (a.privacy) }
            p { a.button.secondary href=(ctx.href(paths::EXPORT)) download { (a.export) } }
            form.delete-account method="post" action=(ctx.href(paths::DELETE)) {
                (csrf_field())
                p.hint { (a.delete_hint) }
                @if !v.open_orders.is_empty() {
                    div.delete-open-orders role="note" {
                        p { (a.delete_open_orders) }
                        ul {
                            @for o in v.open_orders {
                                li data-open-order=(o.id) { (o.number) " · " (vn_time(o.created_at)) " · " ((super::shop_i18n::shop_t(ctx.locale).status_name)(o.status)) }
                            }
                        }
                    }
                }
                p.hint.delete-kept { (a.delete_kept) }
                (input(ctx, "confirm_password", a.current_password, "password", "", "current-password", &[]))
                button.button.danger type="submit" { (a.delete) }
            }
        }
    };
    page(ctx, head(a.account), main)
}
