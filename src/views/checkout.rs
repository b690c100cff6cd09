//! The checkout form: contact, address, shipping and payment method; errors next to their fields,
//! in the visitor's language. Prices shown are the server's; nothing price-like is posted back.

use maud::{html, Markup};

use super::cart::line_name;
use super::layout::{page, Head};
use super::shop_i18n::shop_t;
use super::PageCtx;
use crate::app::cart::CartView;
use crate::domain::checkout::{CheckoutForm, ShippingMethod, ShippingRates};
use crate::domain::listing::FieldError;
use crate::domain::money::Money;

pub struct CheckoutView<'a> {
    pub cart: &'a CartView,
    pub form: &'a CheckoutForm,
    pub errors: &'a [FieldError],
    pub rates: ShippingRates,
    pub providers: &'a [&'a str],
    /// The hidden key that makes a double submission create one order.
    pub idempotency_key: &'a str,
}

fn field<'a>(v: &CheckoutView<'a>, name: &str) -> Option<&'a FieldError> {
    v.errors.iter().find(|e| e.field == name)
}

pub fn checkout_page(ctx: &PageCtx, v: &CheckoutView) -> Markup {
    let t = ctx.t();
    let s = shop_t(ctx.locale);
    let money = |n: i64| Money::vnd(n).format(ctx.locale);
    let head = Head { title: s.checkout_title.to_string(), description: s.checkout_title.to_string(), noindex: true, ..Head::default() };
    let err = |name: &str| field(v, name).map(|e| t.field_error(e));
    let input = |name: &'static str, label: &str, value: &str, kind: &str, autocomplete: &str, required: bool| {
        let id = format!("f-{}", name.replace('.', "-"));
        let error = err(name);
        html! {
            div.field {
                label for=(id) { (label) }
                input id=(id) type=(kind) name=(name) value=(value) autocomplete=(autocomplete) required[required]
                    maxlength="200" aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| format!("{id}-error"))];
                @if let Some(e) = &error { span.field-error id=(format!("{id}-error")) data-field=(name) { (e) } }
            }
        }
    };
    let subtotal = v.cart.subtotal;
    let method = ShippingMethod::parse(&v.form.shipping_method).unwrap_or(ShippingMethod::Standard);
    let country = if v.form.address.country.is_empty() { "VN" } else { v.form.address.country.as_str() };
    let main = html! {
        h1 { (s.checkout_title) }
        @if !v.errors.is_empty() {
            div.notice role="alert" {
                p { (s.fix_errors) }
                ul.errors { @for e in v.errors { li data-field=(e.field) { (t.field_error(e)) } } }
            }
        }
        div.checkout {
            form.checkout-form method="post" action=(ctx.href("/checkout")) novalidate {
                input type="hidden" name="idempotency_key" value=(v.idempotency_key);
                fieldset {
                    legend { (s.contact) }
                    (input("email", s.email, &v.form.email, "email", "email", true))
                    (input("name", s.full_name, &v.form.name, "text", "name", true))
                    (input("phone", s.phone, &v.form.phone, "tel", "tel", true))
                    p.hint { (s.phone_hint) }
                }
                fieldset {
                    legend { (s.address) }
                    (input("address.line1", s.street, &v.form.address.line1, "text", "address-line1", true))
                    (input("address.ward", s.ward, &v.form.address.ward, "text", "address-level3", false))
                    (input("address.district", s.district, &v.form.address.district, "text", "address-level2", false))
                    (input("address.province", s.province, &v.form.address.province, "text", "address-level1", true))
                    div.field {
                        label for="f-address-country" { (s.country) }
                        select #f-address-country name="address.country" autocomplete="country" {
                            @for (code, vi, en) in COUNTRIES {
                                option value=(code) selected[*code == country] { (ctx.locale.pick(vi, en)) }
                            }
                        }
                        @if let Some(e) = err("address.country") { span.field-error data-field="address.country" { (e) } }
                    }
                }
                fieldset {
                    legend { (s.shipping_method) }
                    label.choice {
                        input type="radio" name="shipping_method" value="standard" checked[method == ShippingMethod::Standard];
                        " " ((s.standard)(&money(v.rates.fee(ShippingMethod::Standard, subtotal))))
                    }
                    label.choice {
                        input type="radio" name="shipping_method" value="express" checked[method == ShippingMethod::Express];
                        " " ((s.express)(&money(v.rates.fee(ShippingMethod::Express, subtotal))))
                    }
                    p.hint { ((s.free_shipping_from)(&money(v.rates.free_standard_from))) }
                    @if let Some(e) = err("shipping_method") { span.field-error data-field="shipping_method" { (e) } }
                }
                fieldset {
                    legend { (s.payment_method) }
                    @if v.providers.is_empty() { p.notice { (s.no_payment_methods) } }
                    @for (i, p) in v.providers.iter().enumerate() {
                        label.choice {
                            input type="radio" name="payment_provider" value=(p)
                                checked[v.form.payment_provider == *p || (v.form.payment_provider.is_empty() && i == 0)];
                            " " (provider_name(ctx, p))
                        }
                    }
                    @if let Some(e) = err("payment_provider") { span.field-error data-field="payment_provider" { (e) } }
                }
                div.field {
                    label for="f-note" { (s.note) }
                    textarea #f-note name="note" maxlength="500" rows="3" { (v.form.note.as_deref().unwrap_or("")) }
                    @if let Some(e) = err("note") { span.field-error data-field="note" { (e) } }
                }
                button.place-order type="submit" disabled[v.providers.is_empty()] { (s.place_order) }
            }
            aside.summary {
                h2 { (s.cart_title) }
                ul.summary-lines {
                    @for line in &v.cart.lines {
                        li { span { (line_name(ctx, line)) " × " (line.quantity) } span { (money(line.line_total)) } }
                    }
                }
                p { (s.subtotal) ": " strong data-subtotal=(subtotal) { (money(subtotal)) } }
            }
        }
    };
    page(ctx, head, main)
}

pub fn provider_name(ctx: &PageCtx, provider: &str) -> String {
    match provider {
        "sandbox" => shop_t(ctx.locale).sandbox_name.to_string(),
        other => other.to_string(),
    }
}

/// Countries we ship to, Vietnam first.
const COUNTRIES: &[(&str, &str, &str)] = &[
    ("VN", "Việt Nam", "Vietnam"),
    ("SG", "Singapore", "Singapore"),
    ("TH", "Thái Lan", "Thailand"),
    ("MY", "Malaysia", "Malaysia"),
    ("KH", "Campuchia", "Cambodia"),
    ("LA", "Lào", "Laos"),
    ("JP", "Nhật Bản", "Japan"),
    ("KR", "Hàn Quốc", "South Korea"),
    ("AU", "Úc", "Australia"),
    ("US", "Hoa Kỳ", "United States"),
    ("FR", "Pháp", "France"),
    ("DE", "Đức", "Germany"),
];
