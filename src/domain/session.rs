//! Server-side sessions: random 256-bit ids (only their SHA-256 is stored), idle and absolute
//! timeouts per realm, and the rules for when a session is still alive; and what happens to a
//! request that arrives after its session ended (issue 18, item 10): the sign-in page says so and
//! returns the visitor where they were, an account form keeps what was typed in it for the person
//! whose session it was, and a checkout asks before it places a guest order.

use serde::{Deserialize, Serialize};

use super::listing::percent_encode_component;
use super::signature::sha256_hex;

/// Shoppers and admins never share a session (separate cookies, separate policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Realm {
    Customer,
    Admin,
}

impl Realm {
    pub fn code(self) -> &'static str {
        match self {
            Realm::Customer => "customer",
            Realm::Admin => "admin",
        }
    }
}

/// How long a session lives: `idle` seconds after its last use, `absolute` after sign-in at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub idle: i64,
    pub absolute: i64,
}

impl Policy {
    /// Shoppers: a week without a visit, 30 days at most.
    pub const CUSTOMER: Policy = Policy { idle: 7 * 86_400, absolute: 30 * 86_400 };
    /// Admins: 15 minutes without activity, 12 hours at most.
    pub const ADMIN: Policy = Policy { idle: 15 * 60, absolute: 12 * 3_600 };
}

/// A stored session as read back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct SessionRow {
    pub subject_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl SessionRow {
    /// Alive until its absolute expiry and while used within the idle timeout.
    pub fn is_alive(&self, policy: Policy, now: i64) -> bool {
        now < self.expires_at && now - self.last_seen_at < policy.idle
    }
}

/// Session ids are 64 lowercase hex digits (256 random bits).
pub fn is_session_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the database keeps instead of the id: a leaked table does not sign anyone in.
pub fn id_hash(id: &str) -> String {
    sha256_hex(format!("session:{id}").as_bytes())
}

/// A session a request's cookie named that is no longer alive: the visitor was signed in on this
/// device and is not any more (idle or absolute timeout, or ended elsewhere).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Whose it was, when this request found it expired (`None`: already gone, e.g. ended by an
    /// earlier request, a sign-out elsewhere or a password reset).
    pub subject_id: Option<String>,
}

/// The notice code of the sign-in page for a visitor whose session ended.
pub const SESSION_EXPIRED: &str = "session_expired";

/// The sign-in page (`login`, localized) for a visitor whose session ended, saying so, with the
/// way back to `back` (a local path) once signed in.
pub fn sign_in_again(login: &str, back: &str) -> String {
    format!("{login}?notice={SESSION_EXPIRED}&return={}", percent_encode_component(back))
}

/// How long typed values are kept for the sign-in that follows an ended session.
pub const KEPT_SECONDS: i64 = 30 * 60;

/// An account form whose typed values are kept when its session has ended. Forms with a password
/// or a confirmation are not kept: they are typed again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeptKind {
    Profile,
    Address,
}

impl KeptKind {
    /// The fields kept, as the form names them.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            KeptKind::Profile => &["name", "phone"],
            KeptKind::Address => &[
                "name",
                "phone",
                "address.line1",
                "address.ward",
                "address.district",
                "address.province",
                "address.province_code",
                "address.ward_code",
                "address.postal_code",
                "address.country",
            ],
        }
    }
}

/// What a person typed into an account form sent after their session ended, sealed into a
/// short-lived cookie and shown again — to the same person only — once they have signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptForm {
    pub subject_id: String,
    pub kind: KeptKind,
    pub fields: Vec<(String, String)>,
    pub expires: i64,
}

impl KeptForm {
    /// The kind's fields from the sent form (`value`: a field as sent), each at most 200
    /// characters (the forms' own limits), empty ones left out.
    pub fn new(subject_id: &str, kind: KeptKind, value: impl Fn(&str) -> String, now: i64) -> KeptForm {
        let fields = kind
            .fields()
            .iter()
            .map(|name| (name.to_string(), value(name).chars().take(200).collect::<String>()))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        KeptForm { subject_id: subject_id.to_string(), kind, fields, expires: now + KEPT_SECONDS }
    }

    /// The values, if they are `subject_id`'s and still fresh at `now` (someone else signing in on
    /// the same device never sees them).
    pub fn for_subject(self, subject_id: &str, now: i64) -> Option<KeptForm> {
        (self.subject_id == subject_id && now < self.expires).then_some(self)
    }

    /// A kept field's value (empty when it was not kept).
    pub fn value(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// Whose order a checkout from the shop's pages places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Buyer {
    Account(String),
    Guest,
    /// The form was sent with a session that has ended since: ask whether to sign in or go on
    /// as a guest, rather than silently place an order the account will not show.
    AskFirst,
}

/// `account`: the signed-in shopper; `session_ended`: the request named a session that is no longer
/// alive; `as_guest`: the shopper chose, on the page that asked, to go on as a guest.
pub fn checkout_buyer(account: Option<String>, session_ended: bool, as_guest: bool) -> Buyer {
    match account {
        Some(id) => Buyer::Account(id),
        None if session_ended && !as_guest => Buyer::AskFirst,
        None => Buyer::Guest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_page_after_an_ended_session_says_so_and_knows_the_way_back() {
        assert_eq!(sign_in_again("/en/account/login", "/en/checkout"), "/en/account/login?notice=session_expired&return=%2Fen%2Fcheckout");
    }

    #[test]
    fn a_kept_form_holds_only_its_fields_and_only_for_its_owner_while_fresh() {
        let sent = |name: &str| match name {
            "name" => "Nguyễn Thị Bình".to_string(),
            "address.line1" => "12 Lý Thái Tổ".to_string(),
            "address.ward" => "   ".to_string(),
            "password" | "csrf" => "secret".to_string(),
            _ => "x".repeat(300),
        };
        let kept = KeptForm::new("c1", KeptKind::Address, sent, 1_000);
        let names: Vec<&str> = kept.fields.iter().map(|(k, _)| k.as_str()).collect();
        let place = ["address.province_code", "address.ward_code", "address.postal_code", "address.country"];
        assert_eq!(names, [&["name", "phone", "address.line1", "address.district", "address.province"][..], &place].concat(), "no password, no token, no blank");
        assert_eq!(kept.value("address.line1"), "12 Lý Thái Tổ");
        assert_eq!(kept.value("phone").chars().count(), 200);
        assert_eq!(kept.value("address.ward"), "");
        assert!(kept.clone().for_subject("c2", 1_001).is_none(), "someone else signing in on the device");
        assert!(kept.clone().for_subject("c1", 1_000 + KEPT_SECONDS).is_none(), "too late");
        assert_eq!(kept.clone().for_subject("c1", 1_001), Some(kept));
        assert_eq!(KeptForm::new("c1", KeptKind::Profile, sent, 0).fields.len(), 2);
    }

    #[test]
    fn a_checkout_after_the_session_ended_asks_before_it_places_a_guest_order() {
        assert_eq!(checkout_buyer(Some("c1".into()), false, false), Buyer::Account("c1".into()));
        assert_eq!(checkout_buyer(None, false, false), Buyer::Guest);
        assert_eq!(checkout_buyer(None, true, false), Buyer::AskFirst);
        assert_eq!(checkout_buyer(None, true, true), Buyer::Guest, "chosen on the page that asked");
    }

    fn row(created: i64, seen: i64, policy: Policy) -> SessionRow {
        SessionRow { subject_id: "c1".into(), created_at: created, last_seen_at: seen, expires_at: created + policy.absolute }
    }

    #[test]
    fn an_admin_session_ends_after_15_idle_minutes_and_after_12_hours_in_any_case() {
        let p = Policy::ADMIN;
        assert!(row(0, 0, p).is_alive(p, 899));
        assert!(!row(0, 0, p).is_alive(p, 900), "idle");
        assert!(row(0, 43_000, p).is_alive(p, 43_199));
        assert!(!row(0, 43_199, p).is_alive(p, 43_200), "absolute, however active");
    }

    #[test]
    fn a_shopper_session_lasts_a_week_idle_and_a_month_at_most() {
        let p = Policy::CUSTOMER;
        assert!(row(0, 0, p).is_alive(p, 7 * 86_400 - 1));
        assert!(!row(0, 0, p).is_alive(p, 7 * 86_400));
        assert!(!row(0, 30 * 86_400 - 1, p).is_alive(p, 30 * 86_400));
    }

    #[test]
    fn ids_are_256_bit_hex_and_stored_hashed() {
        let id = "a".repeat(64);
        assert!(is_session_id(&id));
        assert!(!is_session_id(&"a".repeat(63)));
        assert!(!is_session_id(&"A".repeat(64)));
        assert_ne!(id_hash(&id), id);
        assert_eq!(id_hash(&id).len(), 64);
    }
}
