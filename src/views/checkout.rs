//! The checkout form: contact, address, shipping and payment method; errors next to their fields,
//! in the visitor's language. Prices shown are the server's; nothing price-like is posted back.

use maud::{html, Markup};

use super::cart::line_name;
use super::layout::{page, Head};
use super::shop_i18n::{shop_t, ShopTexts};
use super::promotions;
use super::PageCtx;
use crate::domain::promotions::Class;
use crate::app::cart::CartView;
use crate::app::prefill::{SavedAddress, NEW_ADDRESS};
use crate::app::regions::{Province, Ward};
use crate::domain::checkout::{CheckoutForm, ShippingMethod, COD};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::phone::display_phone;
use crate::domain::shipping::Quote;
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;

pub struct CheckoutView<'a> {
    pub cart: &'a CartView,
    pub form: &'a CheckoutForm,
    pub errors: &'a [FieldError],
    /// Standard shipping in Vietnam is free from this subtotal.
    pub free_standard_from: Vnd,
    /// The 34 provinces, and the wards of the province chosen (empty until one is).
    pub provinces: &'a [Province],
    pub wards: &'a [Ward],
    /// Where the page's script asks for a quote when the place changes, with the cart's token
    /// (`POST /api/v1/carts/{id}/shipping-quote`).
    pub quote_url: Option<String>,
    pub cart_token: Option<String>,
    /// Why the page is shown again instead of placing the order.
    pub notice: Option<&'a str>,
    pub providers: &'a [&'a str],
    /// The hidden key that makes a double submission create one order.
    pub idempotency_key: &'a str,
    /// A code just typed into the coupon box that was refused (its reason is in the cart's discounts).
    pub coupon_tried: Option<&'a str>,
    /// The shopper's session has ended: the sign-in page that leads back here. The page says so and
    /// offers it, and its button places the order as a guest only as an explicit choice.
    pub sign_in_again: Option<&'a str>,
    /// Signed in: the saved addresses to choose from, the chosen one (an id or `NEW_ADDRESS`;
    /// empty for a guest) and whether a new address is to be saved to the book.
    pub saved_addresses: &'a [SavedAddress],
    pub address_choice: &'a str,
    pub save_address: bool,
}

fn field<'a>(v: &CheckoutView<'a>, name: &str) -> Option<&'a FieldError> {
    v.errors.iter().find(|e| e.field == name)
}

/// The id of the control a field's error points at (the first radio of a group).
fn control_id(name: &str) -> String {
    format!("f-{}", name.replace(['.', '_'], "-"))
}

/// The form's own label for a field, so an error names it the way the page does.
fn field_label(s: &ShopTexts, name: &str) -> Option<&'static str> {
    Some(match name {
        "email" => s.email,
        "name" => s.full_name,
        "phone" => s.phone,
        "address.line1" => s.street,
        "address.ward" => s.ward,
        "address.district" => s.district,
        "address.province" => s.province,
        "address.province_code" => s.province,
        "address.ward_code" => s.ward,
        "address.country" => s.country,
        "shipping_method" => s.shipping_method,
        "payment_provider" => s.payment_method,
        "note" => s.note,
        _ => return None,
    })
}

/// The problem as a sentence of its own, shown under its field (whose label is just above).
fn problem_sentence(ctx: &PageCtx, e: &FieldError) -> String {
    let problem = (ctx.t().problem)(&e.problem);
    let mut chars = problem.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The error under a field, with the id its control's `aria-describedby` names.
fn field_error(ctx: &PageCtx, e: Option<&FieldError>, name: &str) -> Markup {
    html! {
        @if let Some(e) = e {
            span.field-error id=(format!("{}-error", control_id(name))) data-field=(name) { (problem_sentence(ctx, e)) }
        }
    }
}

pub fn checkout_page(ctx: &PageCtx, v: &CheckoutView) -> Markup {
    let t = ctx.t();
    let s = shop_t(ctx.locale);
    let money = |n: Vnd| n.format(ctx.locale);
    let head = Head { title: s.checkout_title.to_string(), description: s.checkout_title.to_string(), noindex: true, events: vec![super::consent::begin_checkout(v.cart, ctx.locale)], ..Head::default() };
    let described_by = |name: &str, hint: bool| {
        let id = control_id(name);
        let ids: Vec<String> = [hint.then(|| format!("{id}-hint")), field(v, name).map(|_| format!("{id}-error"))].into_iter().flatten().collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let input = |name: &'static str, label: &str, value: &str, kind: &str, autocomplete: &str, required: bool, hint: Option<&str>| {
        let id = control_id(name);
        let error = field(v, name);
        html! {
            div.field {
                label for=(id) { (label) }
                input id=(id) type=(kind) name=(name) value=(value) autocomplete=(autocomplete) required[required]
                    maxlength="200" aria-invalid=[error.map(|_| "true")] aria-describedby=[described_by(name, hint.is_some())];
                (field_error(ctx, error, name))
                @if let Some(hint) = hint { span.hint id=(format!("{id}-hint")) { (hint) } }
            }
        }
    };
    let subtotal = v.cart.subtotal;
    let offered = &v.cart.shipping;
    // The method asked for if it is offered here, else the first one offered.
    let asked = ShippingMethod::parse(&v.form.shipping_method);
    let method = asked.filter(|m| offered.iter().any(|q| q.method == *m)).or(offered.first().map(|q| q.method)).unwrap_or(ShippingMethod::Standard);
    let country = if v.form.address.country.is_empty() { "VN" } else { v.form.address.country.as_str() };
    // A Vietnamese address is a province and ward from the lists; another country's is free text.
    let in_vietnam = country.eq_ignore_ascii_case("VN");
    let d = &v.cart.discounts;
    // What a method costs here after shipping promotions, and the order's total with it.
    let priced = |q: &Quote| {
        let off = d.shipping.iter().find(|x| x.method == q.method.code() && x.fee == q.fee).map_or(Vnd::ZERO, |x| x.discount);
        let shipping = q.fee.saturating_sub(off);
        (q.fee, shipping, subtotal.saturating_sub(d.items_discount).saturating_add(shipping))
    };
    let chosen = offered.iter().find(|q| q.method == method);
    let pick = |vi: &'static str, en: &'static str| ctx.locale.pick(vi, en);
    let main = html! {
        h1 { (s.checkout_title) }
        @if !v.errors.is_empty() {
            div.notice role="alert" {
                p { (s.fix_errors) }
                ul.errors {
                    @for e in v.errors {
                        li data-field=(e.field) {
                            @match field_label(s, e.field) {
                                Some(label) => { a href=(format!("#{}", control_id(e.field))) { (label) ": " ((t.problem)(&e.problem)) } }
                                None => { (t.field_error(e)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(notice) = v.notice {
            div.notice.total-changed role="alert" { p { (notice) } }
        }
        @if let Some(sign_in) = v.sign_in_again {
            div.notice.session-ended role="alert" {
                p { (s.session_ended_checkout) }
                p { a.button href=(sign_in) { (s.sign_in_to_order) } }
            }
        }
        div.checkout {
            form #checkout-form .checkout-form method="post" action=(ctx.href("/checkout")) novalidate data-checkout
                data-quote-url=[v.quote_url.as_deref()] data-cart-token=[v.cart_token.as_deref()] data-locale=(ctx.locale.code())
                data-wards-url=(ctx.href("/api/v1/regions/provinces/")) {
                (crate::views::security::csrf_field())
                input type="hidden" name="idempotency_key" value=(v.idempotency_key);
                // The total this page shows, sent back with the order: the server places the order
                // only at that total (the place or method changed without the summary following
                // shows the page again).
                input type="hidden" name="expected_total" value=(chosen.map_or(String::new(), |q| priced(q).2.minor().to_string()));
                @if v.sign_in_again.is_some() { input type="hidden" name="as_guest" value="1"; }
                fieldset {
                    legend { (s.contact) }
                    // Phone first: in Vietnam it is how the shop and the carrier reach the
                    // shopper, and the email is optional (as `validate` has it).
                    (input("phone", s.phone, &v.form.phone, "tel", "tel", true, Some(phone_hint(ctx))))
                    (input("name", s.full_name, &v.form.name, "text", "name", true, None))
                    (input("email", s.email, &v.form.email, "email", "email", !in_vietnam, in_vietnam.then(|| email_hint(ctx))))
                }
                @if !v.saved_addresses.is_empty() {
                    fieldset.saved-addresses {
                        legend { (ctx.locale.pick("Địa chỉ đã lưu", "Saved addresses")) }
                        @for a in v.saved_addresses {
                            label.choice {
                                input type="radio" name="saved_address" value=(a.id) checked[v.address_choice == a.id]
                                    data-line1=(a.line1) data-ward=(a.ward) data-district=(a.district) data-province=(a.province) data-country=(a.country)
                                    data-province-code=(a.province_code.as_deref().unwrap_or_default()) data-ward-code=(a.ward_code.as_deref().unwrap_or_default())
                                    data-postal-code=(a.postal_code);
                                " " span { (a.name) " · " (display_phone(&a.phone)) br; (address_summary(ctx, a)) }
                            }
                        }
                        label.choice {
                            input type="radio" name="saved_address" value=(NEW_ADDRESS) checked[v.address_choice == NEW_ADDRESS];
                            " " (ctx.locale.pick("Một địa chỉ mới", "A new address"))
                        }
                    }
                }
                fieldset #f-address data-in-vietnam=(if in_vietnam { "1" } else { "0" }) {
                    legend { (s.address) }
                    div.field {
                        label for="f-address-country" { (s.country) }
                        select #f-address-country name="address.country" autocomplete="country" data-refresh
                            aria-invalid=[field(v, "address.country").map(|_| "true")] aria-describedby=[described_by("address.country", false)] {
                            @for (code, vi, en) in COUNTRIES {
                                option value=(code) selected[*code == country] { (ctx.locale.pick(vi, en)) }
                            }
                        }
                        (field_error(ctx, field(v, "address.country"), "address.country"))
                    }
                    div.vn-place hidden[!in_vietnam] {
                        div.field {
                            label for="f-address-province-code" { (s.province) }
                            select #f-address-province-code name="address.province_code" autocomplete="address-level1" data-refresh required[in_vietnam]
                                aria-invalid=[field(v, "address.province_code").map(|_| "true")] aria-describedby=[described_by("address.province_code", false)] {
                                option value="" { (pick("— Chọn tỉnh/thành phố —", "— Choose a province or city —")) }
                                @for p in v.provinces {
                                    option value=(p.code) selected[p.code == v.form.address.province_code] { (p.name) }
                                }
                            }
                            (field_error(ctx, field(v, "address.province_code"), "address.province_code"))
                        }
                        div.field {
                            label for="f-address-ward-code" { (s.ward) }
                            input #f-ward-filter.ward-filter type="search" hidden placeholder=(pick("Gõ để lọc phường/xã", "Type to filter wards"))
                                aria-label=(pick("Lọc danh sách phường/xã", "Filter the wards")) autocomplete="off";
                            select #f-address-ward-code name="address.ward_code" autocomplete="address-level2" data-refresh required[in_vietnam]
                                aria-invalid=[field(v, "address.ward_code").map(|_| "true")] aria-describedby=[described_by("address.ward_code", false)] {
                                @if v.wards.is_empty() {
                                    option value="" { (pick("— Chọn tỉnh/thành phố trước —", "— Choose the province first —")) }
                                } @else {
                                    option value="" { (pick("— Chọn phường/xã —", "— Choose a ward or commune —")) }
                                }
                                @for w in v.wards {
                                    option value=(w.code) selected[w.code == v.form.address.ward_code] { (w.name) }
                                }
                            }
                            (field_error(ctx, field(v, "address.ward_code"), "address.ward_code"))
                        }
                    }
                    // Without JavaScript, a choice of country or province shows its lists and the
                    // fees for it with this button; with it, they follow at once.
                    p.refresh-place {
                        button.secondary type="submit" name="refresh" value="1" formnovalidate { (pick("Cập nhật địa chỉ và phí giao hàng", "Update the address and shipping fee")) }
                    }
                    (input("address.line1", s.street, &v.form.address.line1, "text", "address-line1", true, None))
                    div.abroad-place hidden[in_vietnam] {
                        (input("address.province", pick("Tỉnh/bang, thành phố", "State or region, city"), &v.form.address.province, "text", "address-level1", !in_vietnam, None))
                        (input("address.postal_code", pick("Mã bưu chính", "Postal code"), &v.form.address.postal_code, "text", "postal-code", false, None))
                    }
                    @if !v.address_choice.is_empty() {
                        // Shown for a new address; a saved one is in the book already.
                        label.choice.save-address hidden[v.address_choice != NEW_ADDRESS && !v.saved_addresses.is_empty()] {
                            input type="checkbox" name="save_address" value="1" checked[v.save_address];
                            " " (ctx.locale.pick("Lưu địa chỉ này vào sổ địa chỉ", "Save this address to my address book"))
                        }
                    }
                }
                fieldset #f-shipping-methods {
                    legend { (s.shipping_method) }
                    @if offered.is_empty() { p.notice { (pick("Chưa có cách giao hàng nào tới địa chỉ này cho kiện hàng này.", "No shipping method reaches this address for this parcel.")) } }
                    @for (i, q) in offered.iter().enumerate() {
                        @let (fee, shipping, total) = priced(q);
                        label.choice {
                            input id=[(i == 0).then(|| control_id("shipping_method"))] type="radio" name="shipping_method" value=(q.method.code())
                                checked[q.method == method] data-shipping=(shipping.minor()) data-total=(total.minor())
                                data-shipping-text=(if shipping == Vnd::ZERO { s.free.to_string() } else { money(shipping) }) data-total-text=(money(total));
                            " " (method_name(ctx, q.method)) " — " (if fee == Vnd::ZERO { s.free.to_string() } else { money(fee) })
                            " · " span.eta { (eta_text(ctx, q.eta_days)) }
                        }
                    }
                    p.hint { ((s.free_shipping_from)(&money(v.free_standard_from))) }
                    (field_error(ctx, field(v, "shipping_method"), "shipping_method"))
                }
                fieldset {
                    legend { (s.payment_method) }
                    @if v.providers.is_empty() { p.notice { (s.no_payment_methods) } }
                    // Cash on delivery is for Vietnamese addresses only: abroad it is neither shown nor
                    // sent (the script shows it again when the country becomes Vietnam).
                    @let usable = |p: &str| in_vietnam || p != COD;
                    @let default = v.providers.iter().position(|p| usable(p));
                    @for (i, p) in v.providers.iter().enumerate() {
                        label.choice hidden[!usable(p)] data-vn-only[*p == COD] {
                            input id=[(i == 0).then(|| control_id("payment_provider"))] type="radio" name="payment_provider" value=(p)
                                disabled[!usable(p)]
                                checked[usable(p) && (v.form.payment_provider == *p || (!v.providers.iter().any(|q| usable(q) && v.form.payment_provider == *q) && Some(i) == default))];
                            " " (provider_name(ctx, p))
                        }
                    }
                    (field_error(ctx, field(v, "payment_provider"), "payment_provider"))
                    // Cash on delivery refused: the other methods, by name.
                    @if field(v, "payment_provider").is_some_and(|e| matches!(e.problem, Problem::CodUnavailable(_))) {
                        @let others: Vec<String> = v.providers.iter().filter(|p| **p != COD).map(|p| provider_name(ctx, p)).collect();
                        @if !others.is_empty() {
                            p.hint data-other-methods { (ctx.locale.pick("Bạn có thể thanh toán bằng: ", "You can pay with: ")) (others.join(", ")) "." }
                        }
                    }
                }
                div.field {
                    label for="f-note" { (s.note) }
                    textarea #f-note name="note" maxlength="500" rows="3"
                        aria-invalid=[field(v, "note").map(|_| "true")] aria-describedby=[described_by("note", false)] { (v.form.note.as_deref().unwrap_or("")) }
                    (field_error(ctx, field(v, "note"), "note"))
                }
            }
            aside.summary {
                h2 { (s.cart_title) }
                ul.summary-lines {
                    @for line in &v.cart.lines {
                        li {
                            span { (line_name(ctx, line)) " × " (line.quantity) (promotions::line_savings(ctx, v.cart, line)) }
                            span.money { (money(line.line_total.saturating_sub(line.discount))) }
                        }
                    }
                }
                p.summary-subtotal { span { (s.subtotal) } strong.money data-subtotal=(subtotal.minor()) { (money(subtotal)) } }
                @for a in d.applied.iter().filter(|a| a.class != Class::Shipping) {
                    p.summary-discount data-promotion=(a.promotion_id) {
                        span { (ctx.locale.pick(&a.name_vi, &a.name_en)) @if let Some(code) = &a.code { " · " (code) } }
                        span.money data-discount=(a.amount.minor()) { "−" (money(a.amount)) }
                    }
                }
                // The chosen method's fee after shipping promotions (priced by the cart for this
                // place); a shipping discount never exceeds the fee, nor the items' discounts the
                // subtotal.
                @let (fee, shipping, total) = chosen.map_or((Vnd::ZERO, Vnd::ZERO, subtotal.saturating_sub(d.items_discount)), priced);
                p.summary-shipping {
                    span { (s.shipping) }
                    span.money data-shipping=(shipping.minor()) {
                        @if shipping < fee { del { (money(fee)) } " " }
                        @if chosen.is_none() { "—" } @else if shipping == Vnd::ZERO { (s.free) } @else { (money(shipping)) }
                    }
                }
                p.summary-total { span { (s.total) } strong.money data-total=(total.minor()) { (money(total)) } }
                (promotions::coupon_box(ctx, v.cart, "checkout", v.coupon_tried, None))
            }
            // After the summary in the page's order, so on a phone the lines and the total are
            // read before the button; it submits the form above by its id.
            div.place-order-bar {
                button.place-order type="submit" form="checkout-form" disabled[v.providers.is_empty()] { (if v.sign_in_again.is_some() { s.place_order_as_guest } else { s.place_order }) }
            }
        }
    };
    page(ctx, head, main)
}

/// A saved address on one line: street, ward, district, province, country.
fn address_summary(ctx: &PageCtx, a: &SavedAddress) -> String {
    [a.line1.as_str(), a.ward.as_str(), a.district.as_str(), a.province.as_str(), country_name(ctx, &a.country)]
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn email_hint(ctx: &PageCtx) -> &'static str {
    ctx.locale.pick(
        "Không bắt buộc khi giao hàng trong Việt Nam; nếu có, chúng tôi gửi thông tin đơn hàng qua email.",
        "Optional for a delivery in Vietnam; if given, we send the order's news by email.",
    )
}

fn phone_hint(ctx: &PageCtx) -> &'static str {
    ctx.locale.pick(
        "Ví dụ: 0912 345 678. Số nước ngoài ghi kèm mã quốc gia, ví dụ +1 415 555 0100.",
        "For example: 0912 345 678. A foreign number with its country code, e.g. +1 415 555 0100.",
    )
}

/// A shipping method's name.
pub fn method_name(ctx: &PageCtx, method: ShippingMethod) -> &'static str {
    match method {
        ShippingMethod::Standard => ctx.locale.pick("Tiêu chuẩn", "Standard"),
        ShippingMethod::Express => ctx.locale.pick("Hoả tốc", "Express"),
    }
}

/// "2–3 ngày", "trong ngày" (0–0), "1 day".
pub fn eta_text(ctx: &PageCtx, [min, max]: [i64; 2]) -> String {
    match (ctx.locale, min, max) {
        (Locale::Vi, 0, 0) => "giao trong ngày".into(),
        (Locale::En, 0, 0) => "same day".into(),
        (Locale::Vi, a, b) if a == b => format!("{a} ngày"),
        (Locale::Vi, a, b) => format!("{a}–{b} ngày"),
        (Locale::En, 1, 1) => "1 day".into(),
        (Locale::En, a, b) if a == b => format!("{a} days"),
        (Locale::En, a, b) => format!("{a}–{b} days"),
    }
}

pub fn provider_name(ctx: &PageCtx, provider: &str) -> String {
    provider_name_in(ctx.locale, provider)
}

/// The payment provider's name in a language (for documents rendered without a page context).
pub fn provider_name_in(locale: Locale, provider: &str) -> String {
    match provider {
        "sandbox" => shop_t(locale).sandbox_name.to_string(),
        "cod" => locale.pick("Thanh toán khi nhận hàng (COD)", "Cash on delivery (COD)").to_string(),
        "stripe" => locale.pick("Thẻ quốc tế (Stripe)", "Card (Stripe)").to_string(),
        "paypal" => "PayPal".to_string(),
        "momo" => locale.pick("Ví MoMo", "MoMo wallet").to_string(),
        "zalopay" => "ZaloPay".to_string(),
        "bank" => locale.pick("Chuyển khoản ngân hàng (VietQR)", "Bank transfer (VietQR)").to_string(),
        other => other.to_string(),
    }
}

/// The country's name in the visitor's language, or the code itself for one we do not list.
pub fn country_name<'a>(ctx: &PageCtx, code: &'a str) -> &'a str {
    country_name_in(ctx.locale, code)
}

/// The country's name in a language, or the code itself for one we do not list.
pub fn country_name_in(locale: Locale, code: &str) -> &str {
    COUNTRIES.iter().find(|(c, _, _)| *c == code).map_or(code, |(_, vi, en)| locale.pick(vi, en))
}

/// Countries we ship to, Vietnam first: (code, Vietnamese name, English name).
pub fn countries() -> &'static [(&'static str, &'static str, &'static str)] {
    COUNTRIES
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
