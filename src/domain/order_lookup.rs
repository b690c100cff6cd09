//! Finding an order again without its link (`/orders/lookup`): the order number and the phone or
//! email it was placed with. The answer for a wrong pair is the answer for an unknown order, so the
//! form cannot be used to learn which order numbers exist.

use super::checkout::{Email, Phone};
use super::listing::{FieldError, Problem};

/// What the shopper proves they know besides the number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    Phone(Phone),
    Email(Email),
}

/// A lookup whose fields are well-formed (which says nothing about any order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The number as orders store it (`VS-000123`).
    pub number: String,
    pub contact: Contact,
}

/// The order number as typed (`VS-000123`, `vs000123`, `#VS-000123`, `000123`, `123`) in the
/// stored form, or `None`.
pub fn order_number(s: &str) -> Option<String> {
    let compact: String = s.trim().trim_start_matches('#').chars().filter(|c| !matches!(c, ' ' | '-' | '.')).collect::<String>().to_ascii_uppercase();
    let digits = compact.strip_prefix("VS").unwrap_or(&compact);
    let ok = !digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit());
    let n: u64 = digits.parse().ok().filter(|_| ok)?;
    Some(format!("VS-{n:06}"))
}

/// The form's two fields, checked for shape only: `number`, and `contact` (a phone number, read as
/// Vietnamese unless it has its country code, or an email).
pub fn parse(number: &str, contact: &str) -> Result<Lookup, Vec<FieldError>> {
    let mut errors = Vec::new();
    let number = order_number(number);
    if number.is_none() {
        errors.push(FieldError { field: "number", problem: Problem::BadValue });
    }
    let c = contact.trim();
    let contact = if c.contains('@') { Email::parse(c).map(Contact::Email) } else { Phone::parse(c, "VN").map(Contact::Phone) };
    if c.is_empty() {
        errors.push(FieldError { field: "contact", problem: Problem::Required });
    } else if contact.is_none() {
        errors.push(FieldError { field: "contact", problem: Problem::BadValue });
    }
    match (number, contact) {
        (Some(number), Some(contact)) if errors.is_empty() => Ok(Lookup { number, contact }),
        _ => Err(errors),
    }
}

/// Whether the order found by number was placed with this contact. Phones compare as numbers
/// (a stored phone is read again, so one saved before E.164 still matches); emails ignore case; an
/// order placed without an email matches no email.
pub fn matches(lookup: &Lookup, order_email: &str, order_phone: &str) -> bool {
    match &lookup.contact {
        Contact::Phone(p) => Phone::parse(order_phone, "VN").is_some_and(|stored| stored == *p),
        Contact::Email(e) => !order_email.trim().is_empty() && order_email.trim().eq_ignore_ascii_case(e.as_str()),
    }
}

/// The whole decision: the order's id when the number found an order (`found`: its id, email and
/// phone) and the contact is that order's; `None` otherwise — the same `None` for a number that
/// names no order and for a wrong contact.
pub fn decide<'a>(lookup: &Lookup, found: Option<(&'a str, &str, &str)>) -> Option<&'a str> {
    found.filter(|(_, email, phone)| matches(lookup, email, phone)).map(|(id, _, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_are_read_as_people_type_them() {
        for typed in ["VS-000123", "vs-000123", "VS000123", "#VS-000123", " vs 000 123 ", "000123", "123", "VS-123"] {
            assert_eq!(order_number(typed).as_deref(), Some("VS-000123"), "{typed}");
        }
        assert_eq!(order_number("VS-1234567").as_deref(), Some("VS-1234567"));
        for bad in ["", "VS-", "VS-12a", "XY-000123", "1e5", "-", "VS-0000000000000001"] {
            assert_eq!(order_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_contact_is_a_phone_or_an_email() {
        let l = parse("VS-000101", "0912 345 678").unwrap();
        assert_eq!(l.contact, Contact::Phone(Phone::parse("+84912345678", "VN").unwrap()));
        let l = parse("101", "An@Example.VN").unwrap();
        assert_eq!((l.number.as_str(), l.contact), ("VS-000101", Contact::Email(Email::parse("an@example.vn").unwrap())));
        assert!(matches!(parse("101", "+1 415 555 0100").unwrap().contact, Contact::Phone(_)));
        let fields = |n: &str, c: &str| parse(n, c).unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields("", ""), ["number", "contact"]);
        assert_eq!(fields("VS-000101", "12345"), ["contact"]);
        assert_eq!(fields("VS-000101", "an@"), ["contact"]);
    }

    #[test]
    fn the_right_pair_finds_the_order_and_anything_else_finds_nothing_alike() {
        let by_phone = parse("VS-000101", "84912345678").unwrap();
        let by_email = parse("VS-000101", "AN@example.vn").unwrap();
        let order = Some(("o1", "an@example.vn", "+84912345678"));
        assert_eq!(decide(&by_phone, order), Some("o1"));
        assert_eq!(decide(&by_email, order), Some("o1"));
        // A phone saved in an older spelling still matches.
        assert_eq!(decide(&by_phone, Some(("o1", "", "0912 345 678"))), Some("o1"));
        // Wrong phone, wrong email, an order placed without email, no such order: all the same.
        let wrong_phone = parse("VS-000101", "0987 654 321").unwrap();
        let wrong_email = parse("VS-000101", "someone@example.vn").unwrap();
        let phone_only = Some(("o2", "", "+84912345678"));
        let answers = [
            decide(&wrong_phone, order),
            decide(&wrong_email, order),
            decide(&by_email, phone_only),
            decide(&by_phone, None),
            decide(&by_email, None),
        ];
        assert_eq!(answers, [None; 5]);
        assert_eq!(decide(&by_phone, phone_only), Some("o2"));
    }
}
