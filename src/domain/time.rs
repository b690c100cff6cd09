//! Times as shoppers in Vietnam read them (GMT+7, no daylight saving).

use chrono::{DateTime, FixedOffset};

use super::locale::Locale;

const VN_OFFSET_SECONDS: i32 = 7 * 3600;

/// `14:05 25/11/2026` for a unix time, in Vietnam time.
pub fn vn_time(unix_seconds: i64) -> String {
    let Some(offset) = FixedOffset::east_opt(VN_OFFSET_SECONDS) else { return unix_seconds.to_string() };
    match DateTime::from_timestamp(unix_seconds, 0) {
        Some(utc) => utc.with_timezone(&offset).format("%H:%M %d/%m/%Y").to_string(),
        None => unix_seconds.to_string(),
    }
}

/// A time in Vietnam as the reader's language writes it: `14:05 25/11/2026` in Vietnamese,
/// `25 Nov 2026, 14:05` in English (where `12:30 07/12/2026` reads as 12 July to an American).
pub fn local_time(unix_seconds: i64, locale: Locale) -> String {
    let Some(offset) = FixedOffset::east_opt(VN_OFFSET_SECONDS) else { return unix_seconds.to_string() };
    let pattern = match locale {
        Locale::Vi => "%H:%M %d/%m/%Y",
        Locale::En => "%-d %b %Y, %H:%M",
    };
    match DateTime::from_timestamp(unix_seconds, 0) {
        Some(utc) => utc.with_timezone(&offset).format(pattern).to_string(),
        None => unix_seconds.to_string(),
    }
}

/// The calendar day in Vietnam: `26/11/2026` in Vietnamese, `26 Nov 2026` in English (which has no
/// day/month order all its readers agree on).
pub fn vn_date(unix_seconds: i64, locale: Locale) -> String {
    let Some(offset) = FixedOffset::east_opt(VN_OFFSET_SECONDS) else { return unix_seconds.to_string() };
    let pattern = match locale {
        Locale::Vi => "%d/%m/%Y",
        Locale::En => "%-d %b %Y",
    };
    match DateTime::from_timestamp(unix_seconds, 0) {
        Some(utc) => utc.with_timezone(&offset).format(pattern).to_string(),
        None => unix_seconds.to_string(),
    }
}

/// RFC 3339 in UTC, for APIs.
pub fn rfc3339(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0).map_or_else(|| unix_seconds.to_string(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_pages_read_times_without_a_day_month_puzzle() {
        // 2026-12-07 05:30 UTC is 12:30 in Vietnam.
        let t = 1_796_621_400;
        assert_eq!(local_time(t, Locale::Vi), "12:30 07/12/2026");
        assert_eq!(local_time(t, Locale::En), "7 Dec 2026, 12:30");
        assert_eq!(vn_time(t), local_time(t, Locale::Vi));
    }

    #[test]
    fn vietnam_is_seven_hours_ahead_of_utc() {
        // 2026-11-25T17:30:00Z is 00:30 the next day in Hà Nội.
        assert_eq!(vn_time(1_795_627_800), "00:30 26/11/2026");
        assert_eq!(rfc3339(1_795_627_800), "2026-11-25T17:30:00Z");
        assert_eq!(vn_date(1_795_627_800, Locale::Vi), "26/11/2026");
        assert_eq!(vn_date(1_795_627_800, Locale::En), "26 Nov 2026");
    }
}
