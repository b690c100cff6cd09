//! Review sentiment in figures for the shop (issue 22, docs/SENTIMENT.md "In the admin"): per
//! calendar month in Vietnam, the share of positive, neutral and negative reviews and their
//! average score; and the aspects most complained about (reviews whose sentence about the aspect
//! reads negative). Pure: `app::sentiment` feeds it scored reviews. Nothing here decides whether a
//! review is shown.

use chrono::{DateTime, Datelike, FixedOffset};

use super::sentiment::{Aspect, Label, Sentiment};

const VN_OFFSET_SECONDS: i32 = 7 * 3600;

/// A review's time and its sentiment.
pub struct Scored<'a> {
    pub at: i64,
    pub sentiment: &'a Sentiment,
}

/// One calendar month's reviews.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    pub count: i64,
    pub positive: i64,
    pub neutral: i64,
    pub negative: i64,
    /// Sum of the scores in thousandths (each score is rounded to three decimals).
    pub score_milli: i64,
}

impl Month {
    /// `11/2026`.
    pub fn label(&self) -> String {
        format!("{:02}/{}", self.month, self.year)
    }

    /// The share of `label` in whole percent (0 for a month without reviews). The three shares are
    /// rounded so they add up to 100.
    pub fn share(&self, label: Label) -> i64 {
        if self.count == 0 {
            return 0;
        }
        let pct = |n: i64| n * 100 / self.count;
        let (p, u) = (pct(self.positive), pct(self.neutral));
        // Largest remainders: what rounding down leaves goes to the largest fractions, in label
        // order on ties, so the shares always add up to 100.
        let mut parts = [(Label::Positive, self.positive, p), (Label::Neutral, self.neutral, u), (Label::Negative, self.negative, pct(self.negative))];
        let left = 100 - parts.iter().map(|x| x.2).sum::<i64>();
        let mut order: Vec<usize> = (0..3).collect();
        crate::domain::sort::sort_by_key(&mut order, |&i| std::cmp::Reverse(parts[i].1 * 100 % self.count));
        for &i in order.iter().take(left.max(0) as usize) {
            parts[i].2 += 1;
        }
        parts.iter().find(|x| x.0 == label).map_or(0, |x| x.2)
    }

    /// The average score in thousandths (−1000 to 1000), `None` without reviews.
    pub fn average_milli(&self) -> Option<i64> {
        (self.count > 0).then(|| (self.score_milli as f64 / self.count as f64).round() as i64)
    }
}

fn year_month(at: i64) -> Option<(i32, u32)> {
    let offset = FixedOffset::east_opt(VN_OFFSET_SECONDS)?;
    let local = DateTime::from_timestamp(at, 0)?.with_timezone(&offset);
    Some((local.year(), local.month()))
}

/// The reviews by calendar month in Vietnam, oldest first, every month from the first review's to
/// the last's (a month without reviews is there with zeros, so a chart's gaps are honest).
pub fn by_month(items: &[Scored<'_>]) -> Vec<Month> {
    let keyed: Vec<((i32, u32), &Sentiment)> = items.iter().filter_map(|s| year_month(s.at).map(|k| (k, s.sentiment))).collect();
    let (Some(first), Some(last)) = (keyed.iter().map(|k| k.0).min(), keyed.iter().map(|k| k.0).max()) else { return Vec::new() };
    let mut months = Vec::new();
    let (mut y, mut m) = first;
    while (y, m) <= last {
        months.push(Month { year: y, month: m, ..Month::default() });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    for (key, s) in keyed {
        let index = ((key.0 - first.0) * 12 + key.1 as i32 - first.1 as i32) as usize;
        let Some(month) = months.get_mut(index) else { continue };
        month.count += 1;
        match s.label {
            Label::Positive => month.positive += 1,
            Label::Neutral => month.neutral += 1,
            Label::Negative => month.negative += 1,
        }
        month.score_milli += (s.score * 1000.0).round() as i64;
    }
    months
}

/// Every aspect with the number of reviews that complain about it (the aspect's own sentence reads
/// negative, whatever the review's overall label), most complained about first; ties in the
/// aspects' order.
pub fn complaints(items: &[Scored<'_>]) -> Vec<(Aspect, i64)> {
    let mut counts: Vec<(Aspect, i64)> = Aspect::ALL.iter().map(|a| (*a, 0)).collect();
    for s in items {
        for (aspect, count) in counts.iter_mut() {
            if s.sentiment.aspects.iter().any(|x| x.aspect == *aspect && x.label == Label::Negative) {
                *count += 1;
            }
        }
    }
    crate::domain::sort::sort_by_key(&mut counts, |c| std::cmp::Reverse(c.1));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sentiment::analyze;

    // 2026-11-15 05:00 UTC and 2027-01-31 17:30 UTC (already 1 February in Vietnam).
    const NOV: i64 = 1_794_718_800;
    const LATE_JAN_UTC: i64 = 1_801_503_000;

    #[test]
    fn months_run_without_gaps_in_vietnam_time_and_their_shares_add_up() {
        let good = analyze("Áo đẹp, vải mát, rất hài lòng.");
        let bad = analyze("Vải mỏng, đường may xấu, thất vọng.");
        let meh = analyze("Đã nhận hàng.");
        let items = [
            Scored { at: NOV, sentiment: &good },
            Scored { at: NOV + 60, sentiment: &bad },
            Scored { at: NOV + 120, sentiment: &meh },
            Scored { at: LATE_JAN_UTC, sentiment: &bad },
        ];
        let months = by_month(&items);
        assert_eq!(months.iter().map(Month::label).collect::<Vec<_>>(), vec!["11/2026", "12/2026", "01/2027", "02/2027"]);
        let nov = &months[0];
        assert_eq!((nov.count, nov.positive, nov.neutral, nov.negative), (3, 1, 1, 1));
        assert_eq!(Label::ALL.iter().map(|l| nov.share(*l)).sum::<i64>(), 100, "thirds round to 100");
        assert_eq!(nov.share(Label::Positive), 34);
        assert_eq!((months[1].count, months[1].average_milli(), months[1].share(Label::Negative)), (0, None, 0), "an empty month stays");
        assert_eq!((months[3].negative, months[3].share(Label::Negative)), (1, 100));
        let expected = ((good.score + bad.score + meh.score) * 1000.0 / 3.0).round() as i64;
        assert!((nov.average_milli().unwrap_or(0) - expected).abs() <= 1);
        assert!(months[3].average_milli().unwrap_or(0) < 0);
        assert!(by_month(&[]).is_empty());
    }

    #[test]
    fn complaints_count_reviews_whose_aspect_reads_negative_most_first() {
        let late = analyze("Áo đẹp nhưng giao hàng quá chậm.");
        let thin = analyze("Vải mỏng, giao hàng chậm.");
        let fine = analyze("Giao hàng nhanh, vải dày dặn.");
        let items = [Scored { at: NOV, sentiment: &late }, Scored { at: NOV, sentiment: &thin }, Scored { at: NOV, sentiment: &fine }];
        let counted = complaints(&items);
        assert_eq!(counted.len(), Aspect::ALL.len(), "every aspect, zeros included");
        assert_eq!(counted[0], (Aspect::Delivery, 2), "{counted:?}");
        assert_eq!(counted[1], (Aspect::Material, 1), "{counted:?}");
        assert!(counted[2..].iter().all(|c| c.1 == 0));
    }
}
