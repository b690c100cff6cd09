//! Money as integer minor units with its currency, and its formatting per locale.
//!
//! VND has no minor unit, so one unit of `amount` is one đồng; USD amounts are cents.
//!
//! Two types, one for each way an amount reaches the code:
//! - [`Vnd`]: an amount in the shop's own currency. Catalog prices, carts, orders, discounts,
//!   promotions, shipping fees, refunds and the sales figures are all in đồng (the order, payment
//!   and refund rows carry a `currency` column, and every row the shop writes puts `'VND'` there;
//!   the invoice refuses an order that says otherwise), so these amounts carry their currency in
//!   their type. `Vnd` is `#[serde(transparent)]`: a row struct reads it straight from a D1/SQLite
//!   integer column, JSON shows it as the same integer, and it binds into SQL as that integer
//!   (`From<Vnd> for SqlValue`), so rows, API answers and statements are unchanged. It is
//!   deliberately not `Display`: a view says whether it wants the figure (`minor()`, for `data-*`
//!   attributes, form values and CSV) or the money (`format(locale)`), and cannot print one for
//!   the other by accident. Input (forms, JSON bodies, query strings, vars) becomes a `Vnd` where
//!   it is parsed.
//! - [`Money`]: an amount with a currency known only at run time: what a payment provider was asked
//!   to charge or to give back (PayPal charges USD cents). Such rows keep the provider's amount in
//!   its minor units beside a typed [`Currency`] (two columns, as stored) and expose the pair as
//!   `Money` (`PaymentRow::charged`, `RefundRow::provider_money`, `Started::provider_money`).
//!
//! What a provider *states* in a notification (`Verified`, MoMo's IPN, the sandbox's notice) stays
//! the number and currency text it sent: it is only compared with what was asked, and an unknown
//! currency must reach that comparison to be reported.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::locale::Locale;

/// ISO 4217 currencies the shop handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "VND")]
    Vnd,
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Vnd => "VND",
            Currency::Usd => "USD",
        }
    }

    /// Digits after the decimal point in the currency's minor unit.
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Vnd => 0,
            Currency::Usd => 2,
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        match code {
            "VND" => Some(Currency::Vnd),
            "USD" => Some(Currency::Usd),
            _ => None,
        }
    }
}

/// An amount of money in minor units. Arithmetic is checked: an overflow is a bug, never a wrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(amount: i64, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub const fn vnd(amount: i64) -> Money {
        Money::new(amount, Currency::Vnd)
    }

    pub fn amount(self) -> i64 {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.amount.checked_add(other.amount).map(|amount| Money { amount, ..self })
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.amount.checked_mul(quantity).map(|amount| Money { amount, ..self })
    }

    /// Whole percent saved going from `was` to `self`, rounded down (never overstates a discount).
    pub fn percent_off_from(self, was: Money) -> Option<u8> {
        if was.currency != self.currency || was.amount <= self.amount || was.amount <= 0 {
            return None;
        }
        let saved = i128::from(was.amount - self.amount) * 100 / i128::from(was.amount);
        u8::try_from(saved).ok().filter(|p| *p > 0)
    }

    /// Human formatting: `1.250.000 ₫` in Vietnamese, `₫1,250,000` in English; `$12.50` / `12,50 US$`.
    pub fn format(self, locale: Locale) -> String {
        let digits = self.currency.minor_digits();
        let negative = self.amount < 0;
        let abs = self.amount.unsigned_abs();
        let scale = 10u64.pow(digits);
        let (whole, frac) = (abs / scale, abs % scale);
        let (group_sep, decimal_sep) = match locale {
            Locale::Vi => ('.', ','),
            Locale::En => (',', '.'),
        };
        let mut number = group_thousands(whole, group_sep);
        if digits > 0 {
            number.push(decimal_sep);
            number.push_str(&format!("{frac:0width$}", width = digits as usize));
        }
        let sign = if negative { "-" } else { "" };
        match (self.currency, locale) {
            (Currency::Vnd, Locale::Vi) => format!("{sign}{number} ₫"),
            (Currency::Vnd, Locale::En) => format!("{sign}₫{number}"),
            (Currency::Usd, Locale::Vi) => format!("{sign}{number} US$"),
            (Currency::Usd, Locale::En) => format!("{sign}${number}"),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(Locale::Vi))
    }
}

/// An amount in the shop's currency (VND), in đồng. Signed: a difference between two amounts (a
/// period-over-period change, what is left to refund) is an amount too; the rules that need it
/// non-negative say so where they decide.
///
/// Arithmetic is checked (`None` on overflow) except for the `saturating_*` forms, which the
/// pricing engine uses where its contract is to clamp (a discount never exceeds what it applies to);
/// nothing wraps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Vnd(i64);

impl Vnd {
    pub const ZERO: Vnd = Vnd(0);

    /// `dong` đồng.
    pub const fn new(dong: i64) -> Vnd {
        Vnd(dong)
    }

    /// The amount in minor units (đồng): what SQL binds and JSON carries.
    pub const fn minor(self) -> i64 {
        self.0
    }

    pub const fn money(self) -> Money {
        Money::vnd(self.0)
    }

    /// `1.250.000 ₫` in Vietnamese, `₫1,250,000` in English.
    pub fn format(self, locale: Locale) -> String {
        self.money().format(locale)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Vnd) -> Option<Vnd> {
        self.0.checked_add(other.0).map(Vnd)
    }

    pub fn checked_sub(self, other: Vnd) -> Option<Vnd> {
        self.0.checked_sub(other.0).map(Vnd)
    }

    /// The price of `quantity` units at this unit price.
    pub fn checked_mul(self, quantity: i64) -> Option<Vnd> {
        self.0.checked_mul(quantity).map(Vnd)
    }

    /// The sum of `amounts`, `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Vnd>) -> Option<Vnd> {
        amounts.into_iter().try_fold(Vnd::ZERO, Vnd::checked_add)
    }

    pub fn saturating_add(self, other: Vnd) -> Vnd {
        Vnd(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Vnd) -> Vnd {
        Vnd(self.0.saturating_sub(other.0))
    }

    pub fn saturating_mul(self, quantity: i64) -> Vnd {
        Vnd(self.0.saturating_mul(quantity))
    }

    /// The sum of `amounts`, clamped at the bounds of `i64`.
    pub fn saturating_sum(amounts: impl IntoIterator<Item = Vnd>) -> Vnd {
        amounts.into_iter().fold(Vnd::ZERO, Vnd::saturating_add)
    }
}

impl From<Vnd> for Money {
    fn from(v: Vnd) -> Money {
        v.money()
    }
}

/// A count with the locale's thousands separator: `12.345` in Vietnamese, `12,345` in English.
pub fn format_integer(n: i64, locale: Locale) -> String {
    let sep = match locale {
        Locale::Vi => '.',
        Locale::En => ',',
    };
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(n.unsigned_abs(), sep))
}

fn group_thousands(mut n: u64, sep: char) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = String::new();
    for (i, group) in groups.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&group.to_string());
        } else {
            out.push(sep);
            out.push_str(&format!("{group:03}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnd_is_formatted_per_locale() {
        let cases = [
            (0, "0 ₫", "₫0"),
            (999, "999 ₫", "₫999"),
            (1_000, "1.000 ₫", "₫1,000"),
            (1_250_000, "1.250.000 ₫", "₫1,250,000"),
            (12_345_678_901, "12.345.678.901 ₫", "₫12,345,678,901"),
            (-50_000, "-50.000 ₫", "-₫50,000"),
        ];
        for (amount, vi, en) in cases {
            assert_eq!(Money::vnd(amount).format(Locale::Vi), vi);
            assert_eq!(Money::vnd(amount).format(Locale::En), en);
        }
    }

    #[test]
    fn usd_shows_cents() {
        let m = Money::new(123_456, Currency::Usd);
        assert_eq!(m.format(Locale::En), "$1,234.56");
        assert_eq!(m.format(Locale::Vi), "1.234,56 US$");
        assert_eq!(Money::new(5, Currency::Usd).format(Locale::En), "$0.05");
    }

    #[test]
    fn adding_different_currencies_is_refused() {
        assert_eq!(Money::vnd(1).checked_add(Money::new(1, Currency::Usd)), None);
        assert_eq!(Money::vnd(1).checked_add(Money::vnd(2)), Some(Money::vnd(3)));
        assert_eq!(Money::vnd(i64::MAX).checked_add(Money::vnd(1)), None);
    }

    #[test]
    fn vnd_crosses_json_and_rows_as_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Vnd::new(1_250_000)).unwrap(), "1250000");
        assert_eq!(serde_json::from_str::<Vnd>("1250000").unwrap(), Vnd::new(1_250_000));
        assert_eq!(serde_json::from_str::<Option<Vnd>>("null").unwrap(), None);
        assert!(serde_json::from_str::<Vnd>("\"1250000\"").is_err());
    }

    #[test]
    fn vnd_arithmetic_is_checked_or_saturating_never_wrapping() {
        let a = Vnd::new(450_000);
        assert_eq!(a.checked_mul(2), Some(Vnd::new(900_000)));
        assert_eq!(a.checked_add(Vnd::new(30_000)), Some(Vnd::new(480_000)));
        assert_eq!(a.checked_sub(Vnd::new(500_000)), Some(Vnd::new(-50_000)));
        assert_eq!(Vnd::new(i64::MAX).checked_add(Vnd::new(1)), None);
        assert_eq!(Vnd::new(i64::MIN).checked_sub(Vnd::new(1)), None);
        assert_eq!(Vnd::new(i64::MAX).checked_mul(2), None);
        assert_eq!(Vnd::checked_sum([a, a, Vnd::new(1)]), Some(Vnd::new(900_001)));
        assert_eq!(Vnd::checked_sum([Vnd::new(i64::MAX), Vnd::new(1)]), None);
        assert_eq!(Vnd::new(i64::MAX).saturating_add(Vnd::new(1)), Vnd::new(i64::MAX));
        assert_eq!(Vnd::saturating_sum([Vnd::new(i64::MAX), Vnd::new(1)]), Vnd::new(i64::MAX));
        assert!(Vnd::new(1) > Vnd::ZERO && Vnd::new(-1).is_negative() && !Vnd::ZERO.is_positive());
    }

    #[test]
    fn vnd_formats_as_money_in_dong() {
        assert_eq!(Vnd::new(1_250_000).format(Locale::Vi), "1.250.000 ₫");
        assert_eq!(Vnd::new(1_250_000).format(Locale::En), "₫1,250,000");
        assert_eq!(Money::from(Vnd::new(5)), Money::vnd(5));
        assert_eq!(Vnd::new(5).minor(), 5);
    }

    #[test]
    fn percent_off_rounds_down_and_ignores_non_discounts() {
        assert_eq!(Money::vnd(750_000).percent_off_from(Money::vnd(1_000_000)), Some(25));
        assert_eq!(Money::vnd(999_999).percent_off_from(Money::vnd(1_000_000)), None);
        assert_eq!(Money::vnd(666_666).percent_off_from(Money::vnd(1_000_000)), Some(33));
        assert_eq!(Money::vnd(1_000_000).percent_off_from(Money::vnd(900_000)), None);
    }
}
