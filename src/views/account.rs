//! Account pages: sign up, sign in, password reset, and the account itself (profile, order history,
//! saved addresses, security, privacy). Personal pages: rendered per request, never cached.

use maud::{html, Markup};

use super::account_i18n::{account_t, AccountTexts};
use super::layout::{page, Head};
use super::security::csrf_field;
use super::PageCtx;
use crate::app::accounts::CustomerRow;
use crate::app::regions::{Province, Ward};
use crate::app::privacy::OpenOrderRow;
use crate::domain::listing::FieldError;
use crate::domain::http::query_param;
use crate::domain::listing::percent_encode_component;
use crate::domain::money::Vnd;
use crate::domain::oauth::{safe_return, Provider};
use crate::domain::session::{KeptForm, KeptKind};
use crate::domain::time::local_time;

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

/// A saved address (`app::address_book`).
pub use crate::app::address_book::SavedAddress as AddressRow;

/// What an address form shows: the values typed (or saved), the lists for the province chosen,
/// and the problems.
pub struct PlaceForm<'a> {
    pub value: &'a dyn Fn(&str) -> String,
    pub provinces: &'a [Province],
    pub wards: &'a [Ward],
    pub errors: &'a [FieldError],
}

/// The address fields of the account's forms: country, then in Vietnam the province and its
/// wards (an "Update" button lists them without JavaScript; with it they follow at once, filtered
/// as you type), the street line; abroad the state or city and a postal code.
pub fn place_fields(ctx: &PageCtx, a: &AccountTexts, f: &PlaceForm<'_>) -> Markup {
    let shop = super::shop_i18n::shop_t(ctx.locale);
    let pick = |vi: &'static str, en: &'static str| ctx.locale.pick(vi, en);
    let country = { let c = (f.value)("address.country"); if c.is_empty() { "VN".to_string() } else { c } };
    let in_vietnam = country == "VN";
    let (province, ward) = ((f.value)("address.province_code"), (f.value)("address.ward_code"));
    let error = |name: &str| f.errors.iter().find(|e| e.field == name);
    let select_error = |name: &'static str, label: &str| html! {
        @if let Some(e) = error(name) { span.field-error id=(format!("f-{name}-error")) data-field=(name) { (label) ": " (problem(ctx, e)) } }
    };
    html! {
        div.field {
            label for="f-address.country" { (shop.country) }
            select #f-address.country name="address.country" autocomplete="country" {
                @for (code, vi, en) in super::checkout::countries() {
                    option value=(code) selected[*code == country] { (ctx.locale.pick(vi, en)) }
                }
            }
        }
        div.vn-place hidden[!in_vietnam] {
            div.field {
                label for="f-address.province_code" { (shop.province) }
                select #f-address.province_code name="address.province_code" autocomplete="address-level1" required[in_vietnam]
                    aria-invalid=[error("address.province_code").map(|_| "true")] aria-describedby=[error("address.province_code").map(|_| "f-address.province_code-error")] {
                    option value="" { (pick("— Chọn tỉnh/thành phố —", "— Choose a province or city —")) }
                    @for p in f.provinces { option value=(p.code) selected[p.code == province] { (p.name) } }
                }
                (select_error("address.province_code", shop.province))
            }
            div.field {
                label for="f-address.ward_code" { (shop.ward) }
                input.ward-filter type="search" hidden placeholder=(pick("Gõ để lọc phường/xã", "Type to filter wards"))
                    aria-label=(pick("Lọc danh sách phường/xã", "Filter the wards")) autocomplete="off";
                select #f-address.ward_code name="address.ward_code" autocomplete="address-level2" required[in_vietnam]
                    aria-invalid=[error("address.ward_code").map(|_| "true")] aria-describedby=[error("address.ward_code").map(|_| "f-address.ward_code-error")] {
                    option value="" { (if f.wards.is_empty() { pick("— Chọn tỉnh/thành phố trước —", "— Choose the province first —") } else { pick("— Chọn phường/xã —", "— Choose a ward or commune —") }) }
                    @for w in f.wards { option value=(w.code) selected[w.code == ward] { (w.name) } }
                }
                (select_error("address.ward_code", shop.ward))
            }
        }
        p.refresh-place {
            button.secondary type="submit" name="refresh" value="1" formnovalidate { (pick("Cập nhật danh sách phường/xã", "Update the list of wards")) }
        }
        (input(ctx, "address.line1", a.street, "text", &(f.value)("address.line1"), "address-line1", f.errors))
        div.abroad-place hidden[in_vietnam] {
            (optional_input(ctx, "address.province", pick("Tỉnh/bang, thành phố", "State or region, city"), &(f.value)("address.province"), "address-level1", f.errors))
            (optional_input(ctx, "address.postal_code", pick("Mã bưu chính", "Postal code"), &(f.value)("address.postal_code"), "postal-code", f.errors))
        }
    }
}

/// A text field that is not always required (the abroad-only ones).
fn optional_input(ctx: &PageCtx, name: &'static str, label: &str, value: &str, autocomplete: &str, errors: &[FieldError]) -> Markup {
    let id = format!("f-{name}");
    let error = errors.iter().find(|e| e.field == name);
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) type="text" name=(name) value=(value) autocomplete=(autocomplete) maxlength="200"
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))];
            @if let Some(e) = error {
                span.field-error id=(format!("{id}-error")) data-field=(name) { (label) ": " (problem(ctx, e)) }
            }
        }
    }
}

/// One saved address on a line, as it was saved (an address from before the 2025 reform keeps its
/// district and free-text province).
pub fn address_line(ctx: &PageCtx, addr: &AddressRow) -> String {
    let country = super::checkout::country_name(ctx, &addr.country);
    [addr.line1.as_str(), addr.ward.as_str(), addr.district.as_str(), addr.province.as_str(), addr.postal_code.as_str(), country]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /account/addresses/{id}/edit`, or an address form again with what to fix (`id` `None`: a
/// new address).
pub struct AddressEditView<'a> {
    pub id: Option<&'a str>,
    pub form: PlaceForm<'a>,
    pub is_default: bool,
}

pub fn address_edit_page(ctx: &PageCtx, v: &AddressEditView<'_>) -> Markup {
    let a = account_t(ctx.locale);
    let pick = |vi: &'static str, en: &'static str| ctx.locale.pick(vi, en);
    let title = if v.id.is_some() { pick("Sửa địa chỉ", "Edit address") } else { a.add_address };
    let head = Head { title: title.to_string(), description: String::new(), noindex: true, ..Head::default() };
    let action = v.id.map_or_else(|| paths::ADDRESSES.to_string(), |id| format!("{}/{id}", paths::ADDRESSES));
    let main = html! {
        h1 { (title) }
        @if !v.form.errors.is_empty() { p.notice.form-error role="alert" { (pick("Vui lòng sửa các mục được đánh dấu.", "Please fix the marked fields.")) } }
        form.edit-address.address-form method="post" action=(ctx.href(&action)) novalidate data-places
            data-wards-url=(ctx.href("/api/v1/regions/provinces/")) data-locale=(ctx.locale.code()) {
            (csrf_field())
            (input(ctx, "name", a.name, "text", &(v.form.value)("name"), "name", v.form.errors))
            (input(ctx, "phone", a.phone, "tel", &(v.form.value)("phone"), "tel", v.form.errors))
            (place_fields(ctx, a, &v.form))
            label.choice {
                input type="checkbox" name="default" value="1" checked[v.is_default || (v.form.value)("default") == "1"];
                " " (pick("Dùng làm địa chỉ mặc định", "Use as my default address"))
            }
            button.button type="submit" { (a.save) }
            " " a href=(ctx.href(paths::ACCOUNT)) { (pick("Quay lại tài khoản", "Back to the account")) }
        }
    };
    page(ctx, head, main)
}

pub struct AccountView<'a> {
    pub customer: &'a CustomerRow,
    pub orders: &'a [OrderSummary],
    pub addresses: &'a [AddressRow],
    /// The provinces, and the wards of the one chosen in the add form.
    pub provinces: &'a [Province],
    pub wards: &'a [Ward],
    pub notice: Option<&'a str>,
    pub errors: &'a [FieldError],
    pub error: Option<&'a str>,
    /// Configured social providers, linked or not (`views::social`).
    pub social: &'a [super::social::Method],
    /// What was typed into the profile or address form before the session ended, shown again.
    pub kept: Option<&'a KeptForm>,
    /// Orders whose delivery details deletion would keep until they close (`app::privacy`).
    pub open_orders: &'a [OpenOrderRow],
    /// Delivered lines without a review, each with its write form's signed link.
    pub to_review: &'a [(crate::app::reviews::ReviewableLine, String)],
    /// The shop's VAPID public key when Web Push is configured: the opt-in for the account's orders.
    pub push_key: Option<&'a str>,
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
            // Apart from the password form: signing out is not a step of changing the password.
            div.sessions {
                h3 { (a.sign_out) }
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
        p.account-wishlist { a href=(ctx.href(super::wishlist::WISHLIST)) { (ctx.locale.pick("Danh sách yêu thích của bạn", "Your wishlist")) } }
        section.account-orders aria-labelledby="orders-h" {
            h2 #orders-h { (a.order_history) }
            @if let Some(key) = v.push_key { (crate::views::push::push_optin(ctx, crate::views::push::OptIn::Account, &ctx.href("/account/push"), key, &[])) }
            @if v.orders.is_empty() {
                p.empty { (a.no_orders) }
            } @else {
                table.order-history {
                    thead { tr { th scope="col" { (a.order_number) } th scope="col" { (a.order_date) } th scope="col" { (a.order_status) } th scope="col" { (a.order_total) } } }
                    tbody {
                        @for o in v.orders {
                            tr data-order=(o.id) {
                                td.order-number { a href=(o.url) { (o.number) } }
                                td.order-date data-label=(a.order_date) { (local_time(o.created_at, ctx.locale)) }
                                td.order-state data-label=(a.order_status) data-status=(o.status) { (status(&o.status)) }
                                td.order-total data-label=(a.order_total) { (o.total.format(ctx.locale)) }
                            }
                        }
                    }
                }
            }
        }
        @if !v.to_review.is_empty() {
            section.account-reviews aria-labelledby="to-review-h" {
                h2 #to-review-h { (ctx.locale.pick("Đánh giá sản phẩm đã mua", "Review what you bought")) }
                ul.to-review {
                    @for (line, href) in v.to_review {
                        li data-order=(line.order_id) data-line=(line.line_no) {
                            (ctx.locale.pick(&line.name_vi, &line.name_en)) " — " (ctx.locale.pick(&line.color_vi, &line.color_en)) " / " (line.size)
                            " (" (line.number) ") "
                            a.button.secondary href=(href) { (ctx.locale.pick("Viết đánh giá", "Write a review")) }
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
                    li data-address=(addr.id) data-default=(if addr.default { "1" } else { "0" }) {
                        (addr.name) ", " (crate::domain::phone::display_phone(&addr.phone)) ", " (address_line(ctx, addr))
                        @if addr.default { " " strong.badge.default-address { (ctx.locale.pick("Mặc định", "Default")) } }
                        " " a.edit-address href=(ctx.href(&format!("{}/{}/edit", paths::ADDRESSES, addr.id))) { (ctx.locale.pick("Sửa", "Edit")) }
                        @if !addr.default {
                            form.default-address method="post" action=(ctx.href(&format!("{}/{}/default", paths::ADDRESSES, addr.id))) {
                                (csrf_field())
                                button.link type="submit" { (ctx.locale.pick("Đặt làm mặc định", "Make default")) }
                            }
                        }
                        form.delete-address method="post" action=(ctx.href(&format!("{}/{}/delete", paths::ADDRESSES, addr.id))) {
                            (csrf_field())
                            button.link type="submit" { (a.remove) }
                        }
                    }
                }
            }
            @let typed = |name: &str| kept(KeptKind::Address, name).to_string();
            form.add-address.address-form method="post" action=(ctx.href(paths::ADDRESSES)) novalidate data-places
                data-wards-url=(ctx.href("/api/v1/regions/provinces/")) data-locale=(ctx.locale.code()) {
                (csrf_field())
                (input(ctx, "name", a.name, "text", kept(KeptKind::Address, "name"), "name", &[]))
                (input(ctx, "phone", a.phone, "tel", kept(KeptKind::Address, "phone"), "tel", &[]))
                (place_fields(ctx, a, &PlaceForm { value: &typed, provinces: v.provinces, wards: v.wards, errors: &[] }))
                label.choice {
                    input type="checkbox" name="default" value="1";
                    " " (ctx.locale.pick("Dùng làm địa chỉ mặc định", "Use as my default address"))
                }
                button.button type="submit" { (a.add_address) }
            }
        }
        (security_section(ctx, a, v))
        (super::social::account_section(ctx, v.social, c.password_hash.is_some()))
        section.account-privacy aria-labelledby="privacy-h" {
            h2 #privacy-h { (a.privacy) }
            p { a.button.secondary href=(ctx.href(paths::EXPORT)) download { (a.export) } }
            form.delete-account.danger-zone method="post" action=(ctx.href(paths::DELETE)) {
                (csrf_field())
                h3 { (a.delete) }
                p.hint { (a.delete_hint) }
                @if !v.open_orders.is_empty() {
                    div.delete-open-orders role="note" {
                        p { (a.delete_open_orders) }
                        ul {
                            @for o in v.open_orders {
                                li data-open-order=(o.id) { (o.number) " · " (local_time(o.created_at, ctx.locale)) " · " ((super::shop_i18n::shop_t(ctx.locale).status_name)(o.status)) }
                            }
                        }
                    }
                }
                p.hint.delete-kept { (a.delete_kept) }
                @if c.password_hash.is_some() {
                    (input(ctx, "confirm_password", a.current_password, "password", "", "current-password", &[]))
                }
                label.choice.confirm-delete {
                    input type="checkbox" name="confirm_delete" value="yes" required;
                    " " (a.delete_confirm)
                }
                button.button.danger type="submit" { (a.delete) }
            }
        }
    };
    page(ctx, head(a.account), main)
}
