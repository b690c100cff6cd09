//! Sales analytics: the shop events that are counted, the reporting period (days in Vietnam time,
//! compared with the period of equal length just before), and the figures derived from the daily
//! roll-ups (average order value, conversion, change against the previous period).
//!
//! Money figures come from the orders table, so they reconcile exactly with it; the funnel comes
//! from the captured events, which are best-effort by nature (a closed tab is not an event).

use chrono::{Datelike, Duration, NaiveDate};

use super::listing::{FieldError, Problem};
use super::money::Vnd;

/// Seconds Vietnam is ahead of UTC (no daylight saving).
pub const VN_OFFSET: i64 = 7 * 3600;

/// What the storefront records as it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Any other storefront page (home, category, search): counts the visitor as a session.
    PageViewed,
    ProductViewed,
    AddedToCart,
    CheckoutStarted,
    OrderPaid,
    Refunded,
}

impl EventKind {
    pub const ALL: [EventKind; 6] =
        [EventKind::PageViewed, EventKind::ProductViewed, EventKind::AddedToCart, EventKind::CheckoutStarted, EventKind::OrderPaid, EventKind::Refunded];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PageViewed => "page_viewed",
            EventKind::ProductViewed => "product_viewed",
            EventKind::AddedToCart => "added_to_cart",
            EventKind::CheckoutStarted => "checkout_started",
            EventKind::OrderPaid => "order_paid",
            EventKind::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The Vietnam calendar day of a unix time, as days since 1970-01-01.
pub fn vn_day_number(unix_seconds: i64) -> i64 {
    (unix_seconds + VN_OFFSET).div_euclid(86_400)
}

/// The Vietnam calendar day of a unix time.
pub fn vn_day(unix_seconds: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(719_163 + vn_day_number(unix_seconds) as i32).unwrap_or_default()
}

/// The unix time at which a Vietnam calendar day starts.
pub fn vn_day_start(day: NaiveDate) -> i64 {
    (i64::from(day.num_days_from_ce()) - 719_163) * 86_400 - VN_OFFSET
}

/// Days `from..=to`, both inclusive, in Vietnam time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest period the dashboard reports at once.
pub const MAX_DAYS: i64 = 366;

impl Period {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Period {
        let to = self.from - Duration::days(1);
        Period { from: to - Duration::days(self.days() - 1), to }
    }

    /// Every day of the period, in order.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..self.days()).map(move |i| self.from + Duration::days(i))
    }

    /// Unix seconds `[start, end)` covering the period.
    pub fn bounds(&self) -> (i64, i64) {
        (vn_day_start(self.from), vn_day_start(self.to) + 86_400)
    }

    /// The period a dashboard URL asks for: `from`/`to` (YYYY-MM-DD), or `days` (7, 30, 90…) ending
    /// `today`; the last 30 days when nothing is given.
    pub fn from_query(from: Option<&str>, to: Option<&str>, days: Option<&str>, today: NaiveDate) -> Result<Period, Vec<FieldError>> {
        let mut errors = Vec::new();
        let date = |field: &'static str, raw: Option<&str>, errors: &mut Vec<FieldError>| {
            let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
            match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError { field, problem: Problem::BadValue });
                    None
                }
            }
        };
        let from = date("from", from, &mut errors);
        let to = date("to", to, &mut errors);
        let days = match days.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_DAYS).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError { field: "days", problem: Problem::OutOfRange { min: 1, max: MAX_DAYS } });
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let period = match (from, to) {
            (Some(from), Some(to)) => Period { from, to },
            (Some(from), None) => Period { from, to: today.max(from) },
            (None, Some(to)) => Period { from: to - Duration::days(days.unwrap_or(30) - 1), to },
            (None, None) => Period { from: today - Duration::days(days.unwrap_or(30) - 1), to: today },
        };
        if period.to < period.from {
            return Err(vec![FieldError { field: "to", problem: Problem::MinAboveMax }]);
        }
        if period.days() > MAX_DAYS {
            return Err(vec![FieldError { field: "from", problem: Problem::OutOfRange { min: 1, max: MAX_DAYS } }]);
        }
        Ok(period)
    }
}

/// The money and order figures of a period (from the daily roll-up of the orders table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Paid orders' totals (goods + shipping − discounts), VND.
    pub revenue: Vnd,
    pub orders: i64,
    pub units: i64,
    pub refunded: Vnd,
}

impl Totals {
    /// Average order value, rounded half up to the đồng; zero without orders.
    pub fn average_order_value(&self) -> Vnd {
        if self.orders == 0 {
            Vnd::ZERO
        } else {
            // In i128, so twice the revenue cannot overflow; the quotient is at most the revenue.
            let (revenue, orders) = (i128::from(self.revenue.minor()), i128::from(self.orders));
            i64::try_from((2 * revenue + orders) / (2 * orders)).map_or(self.revenue, Vnd::new)
        }
    }

}

impl std::ops::Add for Totals {
    type Output = Totals;

    fn add(self, other: Totals) -> Totals {
        Totals {
            revenue: self.revenue.saturating_add(other.revenue),
            orders: self.orders + other.orders,
            units: self.units + other.units,
            refunded: self.refunded.saturating_add(other.refunded),
        }
    }
}

/// How a figure moved against the previous period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Per mille change (e.g. 125 = +12.5 %), rounded half away from zero.
    PerMille(i64),
    /// The previous period had none, this one has some.
    New,
    /// Both are zero.
    Flat,
}

pub fn change(current: i64, previous: i64) -> Change {
    match (current, previous) {
        (0, 0) => Change::Flat,
        (_, 0) => Change::New,
        _ => {
            let diff = 1000 * (current - previous);
            let half = previous.abs() / 2;
            let rounded = if diff >= 0 { (diff + half) / previous.abs() } else { (diff - half) / previous.abs() };
            Change::PerMille(rounded)
        }
    }
}

/// The shopping funnel: distinct visitors at each step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Funnel {
    pub sessions: i64,
    pub product_views: i64,
    pub added_to_cart: i64,
    pub checkout: i64,
    pub paid: i64,
}

impl Funnel {
    /// Each step with its share of sessions, per mille (rounded down).
    pub fn steps(&self) -> [(&'static str, i64, i64); 5] {
        let share = |n: i64| if self.sessions == 0 { 0 } else { 1000 * n / self.sessions };
        [
            ("sessions", self.sessions, share(self.sessions)),
            ("product_views", self.product_views, share(self.product_views)),
            ("added_to_cart", self.added_to_cart, share(self.added_to_cart)),
            ("checkout", self.checkout, share(self.checkout)),
            ("paid", self.paid, share(self.paid)),
        ]
    }
}

/// Fills the days a roll-up has no row for with zero, in the period's order.
pub fn daily_series(period: &Period, rows: &[(NaiveDate, i64)]) -> Vec<i64> {
    period.each_day().map(|d| rows.iter().filter(|(day, _)| *day == d).map(|(_, v)| *v).sum()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn days_are_vietnam_days() {
        // 2026-11-25T16:59:59Z is 23:59:59 in Hà Nội; one second later is the 26th there.
        assert_eq!(vn_day(1_795_625_999), d("2026-11-25"));
        assert_eq!(vn_day(1_795_626_000), d("2026-11-26"));
        assert_eq!(vn_day_start(d("2026-11-26")), 1_795_626_000);
        for t in [0, 1_000_000_000, 1_795_626_000, 1_795_700_000] {
            let day = vn_day(t);
            assert!(vn_day_start(day) <= t && t < vn_day_start(day) + 86_400);
        }
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let p = Period { from: d("2026-11-01"), to: d("2026-11-30") };
        assert_eq!(p.days(), 30);
        assert_eq!(p.previous(), Period { from: d("2026-10-02"), to: d("2026-10-31") });
        assert_eq!(p.each_day().count(), 30);
        let (start, end) = p.bounds();
        assert_eq!(end - start, 30 * 86_400);
    }

    #[test]
    fn periods_from_the_query() {
        let today = d("2026-11-26");
        assert_eq!(Period::from_query(None, None, None, today), Ok(Period { from: d("2026-10-28"), to: today }));
        assert_eq!(Period::from_query(None, None, Some("7"), today), Ok(Period { from: d("2026-11-20"), to: today }));
        assert_eq!(Period::from_query(Some("2026-11-01"), Some("2026-11-10"), None, today).map(|p| p.days()), Ok(10));
        let err = |r: Result<Period, Vec<FieldError>>| r.unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(err(Period::from_query(Some("2026-13-01"), None, None, today)), vec!["from"]);
        assert_eq!(err(Period::from_query(Some("2026-11-10"), Some("2026-11-01"), None, today)), vec!["to"]);
        assert_eq!(err(Period::from_query(None, None, Some("0"), today)), vec!["days"]);
        assert_eq!(err(Period::from_query(Some("2020-01-01"), Some("2026-01-01"), None, today)), vec!["from"]);
    }

    #[test]
    fn average_order_value_and_change() {
        assert_eq!(Totals { revenue: Vnd::new(1_000_001), orders: 2, ..Totals::default() }.average_order_value(), Vnd::new(500_001));
        assert_eq!(Totals::default().average_order_value(), Vnd::ZERO);
        assert_eq!(change(1125, 1000), Change::PerMille(125));
        assert_eq!(change(875, 1000), Change::PerMille(-125));
        assert_eq!(change(1, 3), Change::PerMille(-667));
        assert_eq!(change(5, 0), Change::New);
        assert_eq!(change(0, 0), Change::Flat);
        assert_eq!(change(0, 7), Change::PerMille(-1000));
    }

    #[test]
    fn missing_days_are_zero() {
        let p = Period { from: d("2026-11-01"), to: d("2026-11-04") };
        assert_eq!(daily_series(&p, &[(d("2026-11-02"), 5), (d("2026-11-04"), 7), (d("2026-10-30"), 9)]), vec![0, 5, 0, 7]);
    }

    #[test]
    fn funnel_shares() {
        let f = Funnel { sessions: 200, product_views: 150, added_to_cart: 40, checkout: 20, paid: 9 };
        assert_eq!(f.steps().map(|s| s.2), [1000, 750, 200, 100, 45]);
        assert_eq!(Funnel::default().steps()[4].2, 0);
    }
}
