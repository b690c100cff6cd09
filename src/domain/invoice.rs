//! The invoice of an order: the shop's details, the buyer, the lines and totals as the order keeps
//! them, and the VAT those VAT-inclusive prices contain. Views render it as HTML and as a PDF.
//!
//! Vietnamese retail prices include VAT (thuế GTGT), so the invoice does not add tax: it states the
//! amount of VAT already inside the total, at a configurable rate (10% by default).
//!
//! **Rounding rule** (VND has no minor unit): the VAT is worked out once, on the order total, as
//! `total × rate / (1 + rate)` rounded to the nearest whole đồng with halves rounded up; the amount
//! before VAT is `total − VAT`. Working on the total rather than per line means rounding cannot make
//! the lines' VAT disagree with the total's, and the two printed figures always add up to the total
//! exactly.
//!
//! Amounts are [`Vnd`]: an order is placed in the shop's currency, and [`Invoice::new`] refuses an
//! order whose `currency` column says otherwise rather than print đồng under another currency.

use std::fmt;

use super::locale::Locale;
use super::money::{Currency, Vnd};

/// A VAT rate in basis points (1000 = 10%).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VatRate(u32);

impl VatRate {
    /// Vietnam's standard rate.
    pub const STANDARD: VatRate = VatRate(1000);

    /// At most 100%.
    pub fn from_basis_points(bp: u32) -> Option<VatRate> {
        (bp <= 10_000).then_some(VatRate(bp))
    }

    /// A percentage as an operator writes it: `10`, `8`, `5`, `0`, `5.5`, `10%` (at most two
    /// decimals, at most 100).
    pub fn parse_percent(text: &str) -> Option<VatRate> {
        let text = text.trim().trim_end_matches('%').trim();
        let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
        if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let frac: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
        VatRate::from_basis_points(whole * 100 + frac)
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// `10%`, `5,5%` (vi) / `5.5%` (en).
    pub fn format(self, locale: Locale) -> String {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        if frac == 0 {
            return format!("{whole}%");
        }
        let sep = match locale {
            Locale::Vi => ',',
            Locale::En => '.',
        };
        let frac = format!("{frac:02}");
        format!("{whole}{sep}{}%", frac.trim_end_matches('0'))
    }

    /// The VAT contained in a VAT-inclusive amount, by the rounding rule in the module doc.
    pub fn included_in(self, gross: Vnd) -> Vnd {
        let bp = i128::from(self.0);
        let numerator = i128::from(gross.minor()) * bp;
        let denominator = 10_000 + bp;
        // Round half up (away from zero for a negative amount, which an invoice never has).
        let rounded = if numerator >= 0 {
            (2 * numerator + denominator) / (2 * denominator)
        } else {
            -((-2 * numerator + denominator) / (2 * denominator))
        };
        // |rounded| <= |gross|, so it fits.
        i64::try_from(rounded).map_or(gross, Vnd::new)
    }
}

impl Default for VatRate {
    fn default() -> VatRate {
        VatRate::STANDARD
    }
}

/// Who issues the invoice. From Worker vars (see [`ShopDetails::from_vars`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShopDetails {
    pub legal_name: String,
    pub address: String,
    /// Mã số thuế (MST).
    pub tax_code: String,
    pub email: String,
    pub phone: String,
}

impl ShopDetails {
    /// The Worker vars each field is read from, in field order.
    pub const VARS: [&'static str; 5] = ["SHOP_LEGAL_NAME", "SHOP_ADDRESS", "SHOP_TAX_CODE", "SHOP_EMAIL", "SHOP_PHONE"];

    /// Reads each field from `var` (a Worker var lookup in the Worker, a map in tests); a missing or
    /// blank one falls back to the demo shop's.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> ShopDetails {
        let demo = ShopDetails::default();
        let get = |name: &str, fallback: String| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).unwrap_or(fallback);
        let [name, address, tax_code, email, phone] = ShopDetails::VARS;
        ShopDetails {
            legal_name: get(name, demo.legal_name),
            address: get(address, demo.address),
            tax_code: get(tax_code, demo.tax_code),
            email: get(email, demo.email),
            phone: get(phone, demo.phone),
        }
    }
}

impl Default for ShopDetails {
    /// The demo shop (clearly not a real company: set the vars before issuing real invoices).
    fn default() -> ShopDetails {
        ShopDetails {
            legal_name: "Công ty TNHH Vestify (demo)".into(),
            address: "12 Đường Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh".into(),
            tax_code: "0000000000".into(),
            email: "hoadon@vestify.example".into(),
            phone: "028 0000 0000".into(),
        }
    }
}

/// What the invoice needs besides the order: who issues it and at what VAT rate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceSettings {
    pub shop: ShopDetails,
    pub vat_rate: VatRate,
}

impl InvoiceSettings {
    /// The Worker var holding the VAT rate in percent (`10` by default).
    pub const VAT_RATE_VAR: &'static str = "INVOICE_VAT_RATE";

    /// Shop details and VAT rate from Worker vars; an unreadable rate falls back to 10%.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> InvoiceSettings {
        let vat_rate = var(Self::VAT_RATE_VAR).and_then(|v| VatRate::parse_percent(&v)).unwrap_or_default();
        InvoiceSettings { shop: ShopDetails::from_vars(var), vat_rate }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buyer {
    pub name: String,
    pub email: String,
    pub phone: String,
    /// Street, then ward/district, then province and country; blank parts already left out.
    pub address_lines: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceLine {
    pub sku: String,
    /// The product's name in the invoice's language.
    pub name: String,
    /// Colour and size, e.g. `Đen / M`.
    pub variant: String,
    pub unit_price: Vnd,
    pub quantity: i64,
    pub line_total: Vnd,
    /// The bundle the line was sold in, as its group's heading ("Combo: … · tiết kiệm 54.000 ₫");
    /// a bundle's lines stand together, each carrying the same heading.
    pub bundle: Option<String>,
}

/// The VAT contained in the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VatLine {
    pub rate: VatRate,
    /// The VAT inside the total.
    pub amount: Vnd,
    /// The total less its VAT.
    pub net: Vnd,
}

/// Everything an invoice shows, already in its language; amounts in đồng.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// `INV-VS-000123`: one invoice per order, so the same order always gets the same number.
    pub number: String,
    /// The invoice date: when the order was paid, or placed if it is not paid.
    pub issued_at: i64,
    pub shop: ShopDetails,
    /// The order as invoiced; its figures add up (checked by [`Invoice::new`]).
    pub order: InvoiceOrder,
    pub vat: VatLine,
}

/// Why an order cannot be invoiced as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvoiceError {
    /// The order's `currency` is not the shop's (VND), which its amounts are in.
    UnknownCurrency(String),
    NoLines,
    /// A figure that does not follow from the others; the message names it, for the log.
    Inconsistent(String),
}

impl fmt::Display for InvoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvoiceError::UnknownCurrency(c) => write!(f, "unknown currency {c:?}"),
            InvoiceError::NoLines => f.write_str("the order has no lines"),
            InvoiceError::Inconsistent(what) => write!(f, "the order's figures do not add up: {what}"),
        }
    }
}

impl std::error::Error for InvoiceError {}

/// The parts of an order an invoice is made from, in the invoice's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceOrder {
    pub number: String,
    pub ordered_at: i64,
    pub paid_at: Option<i64>,
    pub locale: Locale,
    pub currency: String,
    pub buyer: Buyer,
    /// The payment provider's name in the invoice's language.
    pub payment_method: String,
    pub note: String,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: Vnd,
    pub shipping: Vnd,
    pub discount: Vnd,
    pub total: Vnd,
}

impl InvoiceOrder {
    /// The bundle heading to print above line `i`: its bundle's, when the line before it is not in
    /// the same bundle (a bundle's lines stand together, so the heading comes once, above the first).
    pub fn bundle_heading(&self, i: usize) -> Option<&str> {
        let bundle = self.lines.get(i)?.bundle.as_deref()?;
        let previous = i.checked_sub(1).and_then(|p| self.lines.get(p)).and_then(|p| p.bundle.as_deref());
        (previous != Some(bundle)).then_some(bundle)
    }
}

impl Invoice {
    /// Checks that the order's figures add up (each line is price × quantity, the lines make the
    /// subtotal, subtotal + shipping − discount is the total) and works out the VAT. An order that
    /// does not add up is refused rather than printed with figures that contradict each other.
    pub fn new(input: InvoiceOrder, settings: &InvoiceSettings) -> Result<Invoice, InvoiceError> {
        if Currency::parse(&input.currency) != Some(Currency::Vnd) {
            return Err(InvoiceError::UnknownCurrency(input.currency.clone()));
        }
        if input.lines.is_empty() {
            return Err(InvoiceError::NoLines);
        }
        let mut sum = Vnd::ZERO;
        for l in &input.lines {
            if l.quantity <= 0 || l.unit_price.is_negative() || l.unit_price.checked_mul(l.quantity) != Some(l.line_total) {
                return Err(InvoiceError::Inconsistent(format!(
                    "line {} is {} × {} = {}",
                    l.sku,
                    l.unit_price.minor(),
                    l.quantity,
                    l.line_total.minor()
                )));
            }
            sum = sum.checked_add(l.line_total).ok_or_else(|| InvoiceError::Inconsistent("the lines overflow".into()))?;
        }
        if sum != input.subtotal {
            return Err(InvoiceError::Inconsistent(format!("lines sum to {}, subtotal is {}", sum.minor(), input.subtotal.minor())));
        }
        let expected = input.subtotal.checked_add(input.shipping).and_then(|n| n.checked_sub(input.discount));
        if input.shipping.is_negative() || input.discount.is_negative() || input.total.is_negative() || expected != Some(input.total) {
            return Err(InvoiceError::Inconsistent(format!(
                "{} + {} − {} is not the total {}",
                input.subtotal.minor(),
                input.shipping.minor(),
                input.discount.minor(),
                input.total.minor()
            )));
        }
        let amount = settings.vat_rate.included_in(input.total);
        // 0 <= amount <= total (the rate is at most 100%), so the difference cannot overflow.
        let net = input.total.checked_sub(amount).ok_or_else(|| InvoiceError::Inconsistent("the VAT exceeds the total".into()))?;
        Ok(Invoice {
            number: format!("INV-{}", input.number),
            issued_at: input.paid_at.unwrap_or(input.ordered_at),
            shop: settings.shop.clone(),
            vat: VatLine { rate: settings.vat_rate, amount, net },
            order: input,
        })
    }

    pub fn locale(&self) -> Locale {
        self.order.locale
    }

    /// An amount, formatted for the invoice's language.
    pub fn money(&self, amount: Vnd) -> String {
        amount.format(self.order.locale)
    }

    /// Units sold, over all lines.
    pub fn units(&self) -> i64 {
        self.order.lines.iter().map(|l| l.quantity).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, unit_price: i64, quantity: i64) -> InvoiceLine {
        let (unit_price, line_total) = (Vnd::new(unit_price), Vnd::new(unit_price * quantity));
        InvoiceLine { sku: sku.into(), name: sku.into(), variant: "Đen / M".into(), unit_price, quantity, line_total, bundle: None }
    }

    fn input(lines: Vec<InvoiceLine>, shipping: i64, discount: i64) -> InvoiceOrder {
        let subtotal = lines.iter().map(|l| l.line_total.minor()).sum::<i64>();
        InvoiceOrder {
            number: "VS-000123".into(),
            ordered_at: 1_795_627_800,
            paid_at: None,
            locale: Locale::Vi,
            currency: "VND".into(),
            buyer: Buyer { name: "An".into(), email: "an@example.vn".into(), phone: "0912345678".into(), address_lines: vec!["1 Lê Lợi".into()] },
            payment_method: "Sandbox".into(),
            note: String::new(),
            lines,
            subtotal: Vnd::new(subtotal),
            shipping: Vnd::new(shipping),
            discount: Vnd::new(discount),
            total: Vnd::new(subtotal + shipping - discount),
        }
    }

    #[test]
    fn included_vat_is_total_times_rate_over_one_plus_rate_rounded_half_up() {
        let ten = VatRate::STANDARD;
        let cases = [
            (0, 0),
            (5, 0),               // 0.4545…
            (6, 1),               // 0.5454…
            (11, 1),
            (30_000, 2_727),      // 2727.27…
            (1_100_000, 100_000), // exact
            (1_279_000, 116_273), // 116272.72…
            (999_999_999, 90_909_091),
        ];
        for (gross, vat) in cases {
            assert_eq!(ten.included_in(Vnd::new(gross)), Vnd::new(vat), "VAT in {gross}");
        }
        // 8% (the reduced rate): 1,080,000 contains exactly 80,000; 100,000 contains 7,407.4…
        let eight = VatRate::parse_percent("8").unwrap();
        assert_eq!(eight.included_in(Vnd::new(1_080_000)), Vnd::new(80_000));
        assert_eq!(eight.included_in(Vnd::new(100_000)), Vnd::new(7_407));
        // A half rounds up: at 100%, 3 contains 1.5.
        let hundred = VatRate::from_basis_points(10_000).unwrap();
        assert_eq!(hundred.included_in(Vnd::new(3)), Vnd::new(2));
        assert_eq!(hundred.included_in(Vnd::new(5)), Vnd::new(3));
        assert_eq!(VatRate::from_basis_points(0).unwrap().included_in(Vnd::new(1_000_000)), Vnd::ZERO);
        // No overflow near the limit.
        assert_eq!(ten.included_in(Vnd::new(i64::MAX)).minor(), ((i128::from(i64::MAX) * 2000 + 11_000) / 22_000) as i64);
    }

    #[test]
    fn net_and_vat_always_add_up_to_the_total() {
        for total in (0..50_000).step_by(7) {
            let inv = Invoice::new(input(vec![line("A", total, 1)], 0, 0), &InvoiceSettings::default()).unwrap();
            assert_eq!(inv.vat.net.checked_add(inv.vat.amount), Some(Vnd::new(total)));
            // The nearest whole đồng to total / 11 is at most 5/11 đồng away.
            let vat = inv.vat.amount.minor();
            assert!((vat * 11 - total).abs() <= 5, "{total}: {vat}");
        }
    }

    #[test]
    fn vat_rates_parse_from_percent_text() {
        assert_eq!(VatRate::parse_percent("10"), Some(VatRate::STANDARD));
        assert_eq!(VatRate::parse_percent(" 8% ").map(VatRate::basis_points), Some(800));
        assert_eq!(VatRate::parse_percent("5.5").map(VatRate::basis_points), Some(550));
        assert_eq!(VatRate::parse_percent("5,25").map(VatRate::basis_points), Some(525));
        assert_eq!(VatRate::parse_percent("0").map(VatRate::basis_points), Some(0));
        assert_eq!(VatRate::parse_percent("100").map(VatRate::basis_points), Some(10_000));
        for bad in ["", "abc", "-1", "101", "5.555", "1e1", ".5", "1000"] {
            assert_eq!(VatRate::parse_percent(bad), None, "{bad:?}");
        }
        assert_eq!(VatRate::parse_percent("5.5").unwrap().format(Locale::Vi), "5,5%");
        assert_eq!(VatRate::parse_percent("5.25").unwrap().format(Locale::En), "5.25%");
        assert_eq!(VatRate::STANDARD.format(Locale::Vi), "10%");
    }

    #[test]
    fn the_invoice_keeps_the_orders_totals_and_numbers_itself_after_the_order() {
        let inv = Invoice::new(input(vec![line("A", 450_000, 2), line("B", 379_000, 1)], 30_000, 50_000), &InvoiceSettings::default()).unwrap();
        assert_eq!(inv.number, "INV-VS-000123");
        let figures = [inv.order.subtotal, inv.order.shipping, inv.order.discount, inv.order.total].map(Vnd::minor);
        assert_eq!(figures, [1_279_000, 30_000, 50_000, 1_259_000]);
        assert_eq!(inv.vat.amount, Vnd::new(114_455)); // 1,259,000 / 11 = 114,454.54…
        assert_eq!(inv.vat.net, Vnd::new(1_144_545));
        assert_eq!(inv.units(), 3);
        assert_eq!(inv.issued_at, inv.order.ordered_at);
        let mut paid = input(vec![line("A", 1, 1)], 0, 0);
        paid.paid_at = Some(1_795_700_000);
        assert_eq!(Invoice::new(paid, &InvoiceSettings::default()).unwrap().issued_at, 1_795_700_000);
    }

    #[test]
    fn an_order_whose_figures_do_not_add_up_is_not_invoiced() {
        let settings = InvoiceSettings::default();
        let mut bad_line = input(vec![line("A", 100, 2)], 0, 0);
        bad_line.lines[0].line_total = Vnd::new(201);
        bad_line.subtotal = Vnd::new(201);
        bad_line.total = Vnd::new(201);
        assert!(matches!(Invoice::new(bad_line, &settings), Err(InvoiceError::Inconsistent(_))));
        let mut bad_subtotal = input(vec![line("A", 100, 2)], 0, 0);
        bad_subtotal.subtotal = Vnd::new(300);
        assert!(matches!(Invoice::new(bad_subtotal, &settings), Err(InvoiceError::Inconsistent(_))));
        let mut bad_total = input(vec![line("A", 100, 2)], 30, 0);
        bad_total.total = Vnd::new(200);
        assert!(matches!(Invoice::new(bad_total, &settings), Err(InvoiceError::Inconsistent(_))));
        assert_eq!(Invoice::new(input(vec![], 0, 0), &settings), Err(InvoiceError::NoLines));
        let mut bad_currency = input(vec![line("A", 1, 1)], 0, 0);
        bad_currency.currency = "EUR".into();
        assert_eq!(Invoice::new(bad_currency.clone(), &settings), Err(InvoiceError::UnknownCurrency("EUR".into())));
        // Its amounts are đồng: an order that says it is in dollars is not printed as dollars.
        bad_currency.currency = "USD".into();
        assert_eq!(Invoice::new(bad_currency, &settings), Err(InvoiceError::UnknownCurrency("USD".into())));
    }

    #[test]
    fn settings_come_from_vars_with_demo_defaults() {
        let vars = |name: &str| match name {
            "SHOP_LEGAL_NAME" => Some("Công ty TNHH Áo Gilê Việt".to_string()),
            "SHOP_TAX_CODE" => Some(" 0312345678 ".to_string()),
            "SHOP_EMAIL" => Some("   ".to_string()),
            "INVOICE_VAT_RATE" => Some("8".to_string()),
            _ => None,
        };
        let s = InvoiceSettings::from_vars(vars);
        assert_eq!(s.shop.legal_name, "Công ty TNHH Áo Gilê Việt");
        assert_eq!(s.shop.tax_code, "0312345678");
        assert_eq!(s.shop.email, ShopDetails::default().email);
        assert_eq!(s.vat_rate.basis_points(), 800);
        assert_eq!(InvoiceSettings::from_vars(|n| (n == "INVOICE_VAT_RATE").then(|| "ten".to_string())).vat_rate, VatRate::STANDARD);
    }
}
