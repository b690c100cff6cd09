//! Checkout input: the form or JSON body becomes a `CheckoutRequest` of valid domain values, or a
//! list of field errors; and the order totals, always computed here from server-side prices.
//!
//! A `CheckoutRequest` is validated once, at the edge; it travels to the cart object as it is
//! (serde), and nothing past the edge validates it again.

use serde::{Deserialize, Serialize};

use super::listing::{FieldError, Problem};
use super::money::Vnd;
use super::regions::{ProvinceCode, WardCode};

pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_TEXT_CHARS: usize = 200;

/// Raw checkout input, as it arrives from a form or JSON. Prices are never part of it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: AddressForm,
    #[serde(default)]
    pub shipping_method: String,
    #[serde(default)]
    pub payment_provider: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub ward: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub country: String,
    /// Vietnam: the province's and ward's official codes (`domain::regions`), chosen from lists.
    #[serde(default)]
    pub province_code: String,
    #[serde(default)]
    pub ward_code: String,
    /// Abroad: the postal code, free text (optional).
    #[serde(default)]
    pub postal_code: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces. Lowercased.
    pub fn parse(s: &str) -> Option<Email> {
        let s = s.trim();
        let (local, domain) = s.split_once('@')?;
        let ok = !local.is_empty()
            && s.len() <= 254
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && s.chars().all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>');
        ok.then(|| Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub use super::phone::Phone;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingMethod {
    Standard,
    Express,
}

impl ShippingMethod {
    pub fn code(self) -> &'static str {
        match self {
            ShippingMethod::Standard => "standard",
            ShippingMethod::Express => "express",
        }
    }

    pub fn parse(s: &str) -> Option<ShippingMethod> {
        match s {
            "standard" => Some(ShippingMethod::Standard),
            "express" => Some(ShippingMethod::Express),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    /// In Vietnam, the ward's official name (filled from `ward_code` at the edge).
    pub ward: String,
    /// Empty for addresses since 2025-07-01 (no districts); kept for the orders placed before.
    pub district: String,
    /// In Vietnam, the province's official name (filled from `province_code` at the edge); abroad,
    /// the state or region as typed.
    pub province: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Vietnam: the codes chosen (checked to exist and belong together by `app::regions::locate`).
    #[serde(default)]
    pub province_code: Option<String>,
    #[serde(default)]
    pub ward_code: Option<String>,
    #[serde(default)]
    pub postal_code: String,
}

/// A checkout that passed `validate`: every field a valid domain value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutRequest {
    /// Optional for a delivery in Vietnam, where the phone is how the shop and the carrier reach
    /// the shopper; an order without one gets no email (its page is reached by its link or the
    /// order lookup).
    #[serde(default)]
    pub email: Option<Email>,
    pub name: String,
    pub phone: Phone,
    pub address: Address,
    pub shipping_method: ShippingMethod,
    pub payment_provider: String,
    pub note: String,
    /// An app's checkout: where the shopper goes after paying, and after a failed or cancelled
    /// payment (checked against the configured app origins and schemes, `domain::cors`).
    #[serde(default)]
    pub return_url: Option<String>,
    #[serde(default)]
    pub cancel_url: Option<String>,
    /// The buyer agreed to advertising cookies (`domain::ad_tags::Choice`, read from their cookie at
    /// checkout): only then does the paid order go to Meta's Conversions API.
    #[serde(default)]
    pub ad_consent: bool,
}

impl CheckoutRequest {
    /// The email as the order stores it: empty when none was given.
    pub fn email_str(&self) -> &str {
        self.email.as_ref().map_or("", Email::as_str)
    }
}

/// Whether a delivery to `country` (ISO alpha-2) may be ordered without an email: in Vietnam the
/// phone is required and the email optional; abroad both are required.
pub fn email_optional(country: &str) -> bool {
    country.trim().is_empty() || country.trim().eq_ignore_ascii_case("VN")
}

/// Validates every field and reports all problems at once. `providers` are the payment providers
/// offered right now.
pub fn validate(form: &CheckoutForm, providers: &[&str]) -> Result<CheckoutRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field, problem| errors.push(FieldError { field, problem });
    let text = |value: &str, field: &'static str, required: bool, errors: &mut dyn FnMut(&'static str, Problem)| {
        let v = value.trim();
        if v.chars().any(|c| c.is_control()) {
            errors(field, Problem::BadValue);
        } else if v.chars().count() > MAX_TEXT_CHARS {
            errors(field, Problem::TooLong { max: MAX_TEXT_CHARS });
        } else if required && v.is_empty() {
            errors(field, Problem::Required);
        }
        v.to_string()
    };
    let country = {
        let c = form.address.country.trim().to_ascii_uppercase();
        if c.is_empty() { "VN".to_string() } else { c }
    };
    let email = Email::parse(&form.email);
    if form.email.trim().is_empty() {
        if !email_optional(&country) {
            fail("email", Problem::Required);
        }
    } else if email.is_none() {
        fail("email", Problem::InvalidEmail);
    }
    let name = text(&form.name, "name", true, &mut fail);
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        fail("address.country", Problem::BadValue);
    }
    let phone = Phone::parse(&form.phone, &country);
    if form.phone.trim().is_empty() {
        fail("phone", Problem::Required);
    } else if phone.is_none() {
        fail("phone", Problem::InvalidPhone);
    }
    let vn = country == "VN";
    let line1 = text(&form.address.line1, "address.line1", true, &mut fail);
    // In Vietnam the place is two codes chosen from lists (their names are filled in once the pair
    // is found to exist); abroad it is free text with an optional postal code.
    let (mut province_code, mut ward_code) = (None, None);
    let (ward, district, province, postal_code) = if vn {
        let code = |value: &str, field: &'static str, parse: fn(&str) -> bool, fail: &mut dyn FnMut(&'static str, Problem)| {
            let v = value.trim();
            if v.is_empty() {
                fail(field, Problem::Required);
            } else if !parse(v) {
                fail(field, Problem::UnknownChoice);
            }
            v.to_string()
        };
        province_code = Some(code(&form.address.province_code, "address.province_code", |s| ProvinceCode::parse(s).is_some(), &mut fail));
        ward_code = Some(code(&form.address.ward_code, "address.ward_code", |s| WardCode::parse(s).is_some(), &mut fail));
        (String::new(), String::new(), String::new(), String::new())
    } else {
        let ward = text(&form.address.ward, "address.ward", false, &mut fail);
        let district = text(&form.address.district, "address.district", false, &mut fail);
        let province = text(&form.address.province, "address.province", true, &mut fail);
        let postal = text(&form.address.postal_code, "address.postal_code", false, &mut fail);
        if (21..=MAX_TEXT_CHARS).contains(&postal.chars().count()) {
            fail("address.postal_code", Problem::TooLong { max: 20 });
        }
        (ward, district, province, postal)
    };
    let shipping = ShippingMethod::parse(form.shipping_method.trim());
    if shipping.is_none() {
        fail("shipping_method", Problem::UnknownChoice);
    }
    let provider = form.payment_provider.trim();
    if !providers.contains(&provider) {
        fail("payment_provider", Problem::UnknownChoice);
    }
    let note = form.note.as_deref().unwrap_or("").trim().to_string();
    if note.chars().count() > MAX_NOTE_CHARS {
        fail("note", Problem::TooLong { max: MAX_NOTE_CHARS });
    } else if note.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        fail("note", Problem::BadValue);
    }
    match (phone, shipping, errors.is_empty()) {
        (Some(phone), Some(shipping_method), true) => Ok(CheckoutRequest {
            email,
            name,
            phone,
            address: Address { line1, ward, district, province, country, province_code, ward_code, postal_code },
            shipping_method,
            payment_provider: provider.to_string(),
            note,
            return_url: None,
            cancel_url: None,
            ad_consent: false,
        }),
        _ => Err(errors),
    }
}

/// A priced line: unit price from D1 at checkout time, never from the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedLine {
    pub variant_id: i64,
    pub unit_price: Vnd,
    pub quantity: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub subtotal: Vnd,
    pub shipping: Vnd,
    pub discount: Vnd,
    pub total: Vnd,
}

/// Sums lines and the shipping fee with checked arithmetic; `None` only on an absurd overflow.
pub fn totals(lines: &[PricedLine], shipping: Vnd) -> Option<Totals> {
    let subtotal = lines.iter().try_fold(Vnd::ZERO, |acc, l| acc.checked_add(l.unit_price.checked_mul(l.quantity)?))?;
    Some(Totals { subtotal, shipping, discount: Vnd::ZERO, total: subtotal.checked_add(shipping)? })
}

/// The payment provider code of cash on delivery ("Thanh toán khi nhận hàng").
pub const COD: &str = "cod";

/// When cash on delivery is offered: Vietnamese addresses, orders up to `max` (`COD_MAX_VND`,
/// 5.000.000 ₫ by default), at most `open_limit` open COD orders per phone and per client address
/// (`COD_MAX_OPEN`, 3 by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodPolicy {
    pub max: Vnd,
    pub open_limit: i64,
}

impl Default for CodPolicy {
    fn default() -> Self {
        CodPolicy { max: Vnd::new(5_000_000), open_limit: 3 }
    }
}

/// Why cash on delivery was refused for an order. The shopper may pay another way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CodRefusal {
    /// Delivery outside Vietnam.
    Abroad,
    /// The order's total is above the policy's `max`.
    AboveMax { max: Vnd },
    /// The phone number or the client address already has `limit` open COD orders.
    TooManyOpen { limit: i64 },
}

impl CodRefusal {
    /// A sentence for the API's `message`.
    pub fn message(self) -> String {
        match self {
            CodRefusal::Abroad => "cash on delivery is only for deliveries in Vietnam; please choose another payment method".into(),
            CodRefusal::AboveMax { max } => format!("cash on delivery is available for orders up to {} VND; please choose another payment method", max.minor()),
            CodRefusal::TooManyOpen { limit } => {
                format!("at most {limit} cash-on-delivery orders may be open at once for one phone number or connection; please choose another payment method")
            }
        }
    }
}

/// Whether an order of `total` delivered to `country` may be paid cash on delivery, given how many
/// open COD orders its phone and its client address have.
pub fn cod_refusal(policy: CodPolicy, country: &str, total: Vnd, open_by_phone: i64, open_by_client: i64) -> Option<CodRefusal> {
    if country != "VN" {
        Some(CodRefusal::Abroad)
    } else if total > policy.max {
        Some(CodRefusal::AboveMax { max: policy.max })
    } else if open_by_phone >= policy.open_limit || open_by_client >= policy.open_limit {
        Some(CodRefusal::TooManyOpen { limit: policy.open_limit })
    } else {
        None
    }
}

#[cfg(test)]
mod cod_tests {
    use super::*;

    #[test]
    fn cash_on_delivery_is_for_vietnam_up_to_the_limit_and_a_few_open_orders() {
        let policy = CodPolicy::default();
        assert_eq!(cod_refusal(policy, "VN", Vnd::new(5_000_000), 2, 2), None, "the limit itself is allowed");
        assert_eq!(cod_refusal(policy, "VN", Vnd::new(5_000_001), 0, 0), Some(CodRefusal::AboveMax { max: Vnd::new(5_000_000) }));
        assert_eq!(cod_refusal(policy, "US", Vnd::new(100_000), 0, 0), Some(CodRefusal::Abroad));
        assert_eq!(cod_refusal(policy, "VN", Vnd::new(100_000), 3, 0), Some(CodRefusal::TooManyOpen { limit: 3 }));
        assert_eq!(cod_refusal(policy, "VN", Vnd::new(100_000), 0, 3), Some(CodRefusal::TooManyOpen { limit: 3 }));
        let strict = CodPolicy { max: Vnd::new(1_000_000), open_limit: 1 };
        assert_eq!(cod_refusal(strict, "VN", Vnd::new(1_000_001), 0, 0), Some(CodRefusal::AboveMax { max: Vnd::new(1_000_000) }));
        assert_eq!(cod_refusal(strict, "VN", Vnd::new(10), 1, 0), Some(CodRefusal::TooManyOpen { limit: 1 }));
        assert_eq!(serde_json::to_value(CodRefusal::AboveMax { max: Vnd::new(5) }).unwrap(), serde_json::json!({"reason": "above_max", "max": 5}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CheckoutForm {
        CheckoutForm {
            email: "An.Nguyen@Example.vn".into(),
            name: "Nguyễn Văn An".into(),
            phone: "0912 345 678".into(),
            address: AddressForm {
                line1: "12 Lý Thường Kiệt".into(),
                province_code: "01".into(),
                ward_code: "00070".into(),
                ..AddressForm::default()
            },
            shipping_method: "standard".into(),
            payment_provider: "sandbox".into(),
            note: None,
        }
    }

    #[test]
    fn a_complete_form_becomes_a_request() {
        let req = validate(&form(), &["sandbox"]).unwrap();
        assert_eq!(req.email.as_ref().map(Email::as_str), Some("an.nguyen@example.vn"));
        assert_eq!(req.phone.as_str(), "+84912345678");
        assert_eq!(req.address.country, "VN");
        assert_eq!(req.shipping_method, ShippingMethod::Standard);
    }

    #[test]
    fn a_request_crosses_to_the_cart_object_unchanged() {
        let req = validate(&form(), &["sandbox"]).unwrap();
        let wire = serde_json::to_value(&req).unwrap();
        assert_eq!(wire["email"], "an.nguyen@example.vn");
        assert_eq!(wire["shipping_method"], "standard");
        assert_eq!(serde_json::from_value::<CheckoutRequest>(wire).unwrap(), req);
    }

    #[test]
    fn vietnamese_phone_numbers_in_their_usual_forms() {
        for ok in ["0912345678", "091 234 5678", "0912.345.678", "+84912345678", "84912345678", "+84 91 234 5678", "0243 825 1234", "0352345678"] {
            assert!(Phone::parse(ok, "VN").is_some(), "{ok}");
        }
        for bad in ["091234567", "09123456789", "0112345678", "abc", "+1 415 555 0100x", "", "0912-345-67a"] {
            assert!(Phone::parse(bad, "VN").is_none(), "{bad}");
        }
        assert_eq!(Phone::parse("+1 415 555 0100", "US").map(|p| p.as_str().to_string()), Some("+14155550100".to_string()));
        assert!(Phone::parse("4155550100", "US").is_none(), "abroad, the country code is required");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = CheckoutForm {
            email: "not-an-email".into(),
            phone: "123".into(),
            shipping_method: "teleport".into(),
            payment_provider: "cash-in-envelope".into(),
            ..CheckoutForm::default()
        };
        let fields: Vec<&str> = validate(&bad, &["sandbox"]).unwrap_err().iter().map(|e| e.field).collect();
        for f in ["email", "name", "phone", "address.line1", "address.province_code", "address.ward_code", "shipping_method", "payment_provider"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn in_vietnam_the_phone_is_required_and_the_email_optional() {
        let mut f = form();
        f.email = "  ".into();
        let req = validate(&f, &["sandbox"]).unwrap();
        assert_eq!((req.email, req.phone.as_str()), (None, "+84912345678"));
        f.phone.clear();
        let fields: Vec<&str> = validate(&f, &["sandbox"]).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["phone"]);
        // An email that is given must still be an email.
        let mut f = form();
        f.email = "an@".into();
        assert_eq!(validate(&f, &["sandbox"]).unwrap_err().iter().map(|e| e.field).collect::<Vec<_>>(), ["email"]);
        // Abroad, both are required.
        let mut f = form();
        f.address.country = "SG".into();
        f.address.province = "Singapore".into();
        f.phone = "+65 6123 4567".into();
        f.email.clear();
        assert_eq!(validate(&f, &["sandbox"]).unwrap_err().iter().map(|e| e.field).collect::<Vec<_>>(), ["email"]);
    }

    #[test]
    fn a_tourists_foreign_mobile_is_accepted_for_a_delivery_in_vietnam() {
        let mut f = form();
        f.phone = "+1 415 555 0100".into();
        f.email.clear();
        assert_eq!(validate(&f, &["sandbox"]).unwrap().phone.as_str(), "+14155550100");
    }

    #[test]
    fn abroad_the_address_is_free_text_with_a_postal_code_and_no_ward() {
        let mut f = form();
        f.address.country = "sg".into();
        f.address.province = "Singapore".into();
        f.address.postal_code = " 018956 ".into();
        f.phone = "+65 6123 4567".into();
        let a = validate(&f, &["sandbox"]).unwrap().address;
        assert_eq!((a.country.as_str(), a.postal_code.as_str(), a.province_code, a.ward_code), ("SG", "018956", None, None));
        f.address.province.clear();
        let fields: Vec<&str> = validate(&f, &["sandbox"]).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["address.province"], "the state or city is still asked for");
    }

    #[test]
    fn in_vietnam_the_place_is_a_province_code_and_a_ward_code() {
        let req = validate(&form(), &["sandbox"]).unwrap();
        assert_eq!((req.address.province_code.as_deref(), req.address.ward_code.as_deref()), (Some("01"), Some("00070")));
        assert_eq!(req.address.district, "", "no district since 2025-07-01");
        let mut f = form();
        f.address.province_code = "1".into();
        f.address.ward_code = "Hoàn Kiếm".into();
        f.address.province = "Hà Nội".into();
        let errors = validate(&f, &["sandbox"]).unwrap_err();
        let fields: Vec<(&str, &Problem)> = errors.iter().map(|e| (e.field, &e.problem)).collect();
        assert_eq!(fields, [("address.province_code", &Problem::UnknownChoice), ("address.ward_code", &Problem::UnknownChoice)], "free text is no code");
    }

    #[test]
    fn totals_add_the_shipping_fee_and_refuse_an_overflow() {
        let line = |p, q| PricedLine { variant_id: 1, unit_price: Vnd::new(p), quantity: q };
        let t = totals(&[line(450_000, 2)], Vnd::new(30_000)).unwrap();
        assert_eq!((t.subtotal, t.shipping, t.total), (Vnd::new(900_000), Vnd::new(30_000), Vnd::new(930_000)));
        assert_eq!(totals(&[line(i64::MAX, 2)], Vnd::new(60_000)), None);
        assert_eq!(totals(&[line(i64::MAX, 1)], Vnd::new(1)), None);
    }

    #[test]
    fn emails_are_checked_pragmatically() {
        for ok in ["a@b.vn", "first.last+tag@sub.example.com"] {
            assert!(Email::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.vn", "a@@b.vn", "a b@c.vn", "a@.vn", "a@b..vn", "<a@b.vn>"] {
            assert!(Email::parse(bad).is_none(), "{bad}");
        }
    }
}
