//! Phone numbers: parsed once at the edge into E.164 (`+84912345678`), shown in the national format
//! for Vietnamese numbers (`0912 345 678`, `028 3823 4567`) and in international format for others
//! (`+1 415 555 0100`).
//!
//! Vietnamese numbers are accepted as people write them (`0912345678`, `84912345678`,
//! `+84 912 345 678`, `0912.345.678`); a foreign number needs its `+` (or `00`) and country code, and
//! is accepted for any delivery (a tourist's phone for a parcel to a hotel in Quận 1).

use serde::{Deserialize, Serialize};

/// A phone number in E.164 (`+` and 8–15 digits; Vietnamese ones checked against the national plan).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

/// Vietnam's country calling code.
const VN: &str = "84";

impl Phone {
    /// `delivery_country` (ISO alpha-2) decides only how a number written without `+`/`00` is read:
    /// for a Vietnamese delivery it is a national number (`0…`, or `84…` written without the plus);
    /// abroad such a number is refused, since its country cannot be known.
    pub fn parse(s: &str, delivery_country: &str) -> Option<Phone> {
        let trimmed = s.trim();
        if trimmed.is_empty() || trimmed.len() > 32 {
            return None;
        }
        let (international, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' | '\u{a0}' => {}
                _ => return None,
            }
        }
        let (international, digits) = match digits.strip_prefix("00") {
            Some(after) if !international => (true, after.to_string()),
            _ => (international, digits),
        };
        if international {
            return match digits.strip_prefix(VN) {
                Some(national) => vn_national(national.strip_prefix('0').unwrap_or(national)),
                None => foreign(&digits),
            };
        }
        if !delivery_country.eq_ignore_ascii_case("VN") {
            return None;
        }
        if let Some(national) = digits.strip_prefix('0') {
            return vn_national(national);
        }
        // `84912345678`: the country code written without its plus (never a national number,
        // which starts with 0).
        digits.strip_prefix(VN).and_then(vn_national)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a Vietnamese number.
    pub fn is_vietnamese(&self) -> bool {
        self.0.starts_with("+84")
    }

    /// The number as people read it: national format for Vietnam, international otherwise.
    pub fn display(&self) -> String {
        display_phone(&self.0)
    }
}

/// A Vietnamese number after its country code and trunk 0: mobile `[35789]` + 8 digits, or
/// landline `2` + 9 digits (area code 24/28 + 8 digits, or 2xx + 7 digits).
fn vn_national(national: &str) -> Option<Phone> {
    let b = national.as_bytes();
    let mobile = b.len() == 9 && matches!(b[0], b'3' | b'5' | b'7' | b'8' | b'9');
    let landline = b.len() == 10 && b[0] == b'2';
    let digits = b.iter().all(u8::is_ascii_digit);
    (digits && (mobile || landline)).then(|| Phone(format!("+{VN}{national}")))
}

/// A foreign number after its `+`: E.164's 8–15 digits, no leading 0; North American numbers are
/// exactly `1` + 10 digits.
fn foreign(digits: &str) -> Option<Phone> {
    let ok = (8..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (!digits.starts_with('1') || digits.len() == 11);
    ok.then(|| Phone(format!("+{digits}")))
}

/// A stored phone (E.164, or anything older) as people read it. Vietnamese numbers in the national
/// format (`0912 345 678`, `028 3823 4567`, `0236 382 2123`); North American ones as
/// `+1 415 555 0100`; others as `+<country code> <number>`; anything unrecognised as it is.
pub fn display_phone(stored: &str) -> String {
    let Some(digits) = stored.strip_prefix('+').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) else {
        return stored.to_string();
    };
    if let Some(national) = digits.strip_prefix(VN) {
        let n = national;
        return match n.len() {
            9 => format!("0{} {} {}", &n[..3], &n[3..6], &n[6..]),
            10 if n.starts_with("24") || n.starts_with("28") => format!("0{} {} {}", &n[..2], &n[2..6], &n[6..]),
            10 => format!("0{} {} {}", &n[..3], &n[3..6], &n[6..]),
            _ => stored.to_string(),
        };
    }
    if let Some(n) = digits.strip_prefix('1').filter(|n| n.len() == 10) {
        return format!("+1 {} {} {}", &n[..3], &n[3..6], &n[6..]);
    }
    match COUNTRY_CODES.iter().find(|cc| digits.starts_with(*cc) && digits.len() > cc.len()) {
        Some(cc) => format!("+{cc} {}", &digits[cc.len()..]),
        None => stored.to_string(),
    }
}

/// Calling codes we split off for display (longest first where one prefixes another).
const COUNTRY_CODES: &[&str] = &[
    "852", "853", "855", "856", "886", "880", "971", "972", "966", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43",
    "44", "45", "46", "47", "48", "49", "51", "52", "54", "55", "56", "57", "60", "61", "62", "63", "64", "65", "66", "81", "82", "86", "90",
    "91", "92", "95",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str, country: &str) -> Option<String> {
        Phone::parse(s, country).map(|p| p.0)
    }

    #[test]
    fn vietnamese_mobiles_in_every_usual_spelling_become_one_number() {
        for written in [
            "0912345678",
            "84912345678",
            "+84912345678",
            "+84 912 345 678",
            "+84 (0) 912 345 678",
            "0912.345.678",
            "0912-345-678",
            "091 234 5678",
            " 0912 345 678 ",
            "0084 912 345 678",
        ] {
            assert_eq!(e164(written, "VN").as_deref(), Some("+84912345678"), "{written}");
        }
        for prefix in ["03", "05", "07", "08", "09"] {
            assert!(e164(&format!("{prefix}12345678"), "VN").is_some(), "{prefix}");
        }
    }

    #[test]
    fn vietnamese_landlines_have_eleven_digits() {
        assert_eq!(e164("028 3823 4567", "VN").as_deref(), Some("+842838234567"));
        assert_eq!(e164("024.3825.1234", "VN").as_deref(), Some("+842438251234"));
        assert_eq!(e164("0236 382 2123", "VN").as_deref(), Some("+842363822123"));
        assert_eq!(e164("+84 28 3823 4567", "VN").as_deref(), Some("+842838234567"));
        assert_eq!(e164("028 3823 456", "VN"), None, "one digit short");
    }

    #[test]
    fn foreign_mobiles_are_accepted_in_international_format_for_any_delivery() {
        for country in ["VN", "US", "SG"] {
            assert_eq!(e164("+1 415 555 0100", country).as_deref(), Some("+14155550100"), "{country}");
            assert_eq!(e164("+44 7700 900123", country).as_deref(), Some("+447700900123"), "{country}");
            assert_eq!(e164("+82 10-1234-5678", country).as_deref(), Some("+821012345678"), "{country}");
            assert_eq!(e164("0044 7700 900123", country).as_deref(), Some("+447700900123"), "{country}");
        }
        // A Vietnamese number stays Vietnamese (and checked) whatever the delivery country.
        assert_eq!(e164("+84 912 345 678", "SG").as_deref(), Some("+84912345678"));
        assert_eq!(e164("+84 112 345 678", "SG"), None);
    }

    #[test]
    fn junk_and_ambiguous_numbers_are_refused() {
        for bad in [
            "", "   ", "abc", "091234567", "09123456789", "0112345678", "0412345678", "0612345678", "+84", "84", "0912-345-67a",
            "+1 415 555 0100x", "+1 415 555 010", "+0 123 456 789", "+123", "+1234567890123456", "0912345678 ext 2", "☎ 0912345678",
            "++84912345678", "+84 912 345 678 9",
        ] {
            assert_eq!(e164(bad, "VN"), None, "{bad:?}");
        }
        // Abroad, a number without its country code cannot be read.
        assert_eq!(e164("4155550100", "US"), None);
        assert_eq!(e164("0912345678", "US"), None);
    }

    #[test]
    fn numbers_are_shown_in_the_national_or_international_format() {
        let shown = |s: &str| Phone::parse(s, "VN").map(|p| p.display());
        assert_eq!(shown("84912345678").as_deref(), Some("0912 345 678"));
        assert_eq!(shown("+84 35 234 5678").as_deref(), Some("0352 345 678"));
        assert_eq!(shown("02838234567").as_deref(), Some("028 3823 4567"));
        assert_eq!(shown("0236 382 2123").as_deref(), Some("0236 382 2123"));
        assert_eq!(shown("+1 (415) 555-0100").as_deref(), Some("+1 415 555 0100"));
        assert_eq!(shown("+44 7700 900123").as_deref(), Some("+44 7700900123"));
        assert_eq!(shown("+82 10 1234 5678").as_deref(), Some("+82 1012345678"));
        assert_eq!(shown("+855 12 345 678").as_deref(), Some("+855 12345678"));
        // Whatever was stored before E.164 is shown as it is.
        assert_eq!(display_phone("0912 345 678"), "0912 345 678");
        assert_eq!(display_phone(""), "");
    }

    #[test]
    fn a_parsed_number_parses_again_to_itself() {
        for s in ["0912345678", "+1 415 555 0100", "028 3823 4567", "+44 7700 900123"] {
            let p = Phone::parse(s, "VN").unwrap();
            assert_eq!(Phone::parse(p.as_str(), "SG"), Some(p.clone()));
            assert_eq!(Phone::parse(&p.display(), "VN"), Some(p));
        }
    }
}
