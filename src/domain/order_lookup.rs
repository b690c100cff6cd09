//! Finding an order again without its link (`/orders/lookup`): the order number and the phone or
//! email it was placed with. The answer for a wrong pair is the answer for an unknown order, so the
//! form cannot be used to learn which order numbers exist.

use super::checkout::{Email, Phone};
use super::listing::{FieldError, Problem};
use super::signature::{hmac_hex, verify_hex};

/// How long the link the lookup answers with opens the order (seconds). The order's own link (in
/// its confirmation) does not expire; the lookup's does, so a shared screen or a browser's history
/// keeps no lasting key to the order.
pub const LINK_TTL_SECONDS: i64 = 2 * 3600;

/// The lookup's link token for an order: `{expires}.{hmac}`, the signature covering the order and
/// the expiry (so neither can be changed).
pub fn link_token(secret: &[u8], order_id: &str, now: i64) -> String {
    let expires = now.saturating_add(LINK_TTL_SECONDS);
    format!("{expires}.{}", hmac_hex(secret, link_message(order_id, expires).as_bytes()))
}

/// What a token says as a lookup link token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkToken {
    /// Not of the lookup's shape (it may be the order's own token).
    Other,
    /// Signed for this order and not yet expired.
    Valid,
    /// Signed for this order, but its time is over: the shopper looks the order up again.
    Expired,
    /// Of the shape, but not signed by the shop for this order and expiry.
    Forged,
}

pub fn check_link_token(secret: &[u8], order_id: &str, token: &str, now: i64) -> LinkToken {
    let Some((expires, signature)) = token.split_once('.') else { return LinkToken::Other };
    let Ok(expires) = expires.parse::<i64>() else { return LinkToken::Forged };
    if !verify_hex(secret, link_message(order_id, expires).as_bytes(), signature) {
        LinkToken::Forged
    } else if now >= expires {
        LinkToken::Expired
    } else {
        LinkToken::Valid
    }
}

fn link_message(order_id: &str, expires: i64) -> String {
    format!("order-lookup:{order_id}:{expires}")
}

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
    fn lookup_links_open_their_order_until_they_expire() {
        let (secret, id, now) = (b"secret".as_slice(), "0123456789abcdef0123456789abcdef", 1_800_000_000);
        let token = link_token(secret, id, now);
        assert_eq!(check_link_token(secret, id, &token, now), LinkToken::Valid);
        assert_eq!(check_link_token(secret, id, &token, now + LINK_TTL_SECONDS - 1), LinkToken::Valid);
        assert_eq!(check_link_token(secret, id, &token, now + LINK_TTL_SECONDS), LinkToken::Expired);
        // Another order, another secret, a moved expiry: not the shop's link.
        assert_eq!(check_link_token(secret, "ffffffffffffffffffffffffffffffff", &token, now), LinkToken::Forged);
        assert_eq!(check_link_token(b"other", id, &token, now), LinkToken::Forged);
        let (_, sig) = token.split_once('.').unwrap();
        let moved = format!("{}.{sig}", now + 10 * LINK_TTL_SECONDS);
        assert_eq!(check_link_token(secret, id, &moved, now), LinkToken::Forged);
        assert_eq!(check_link_token(secret, id, "x.y", now), LinkToken::Forged);
        // The order's own token (hex, no dot) is not a lookup token.
        assert_eq!(check_link_token(secret, id, &crate::domain::cart::order_access_token(secret, id), now), LinkToken::Other);
    }

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
