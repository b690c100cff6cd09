//! Server-side sessions: random 256-bit ids (only their SHA-256 is stored), idle and absolute
//! timeouts per realm, and the rules for when a session is still alive.

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

#[cfg(test)]
mod tests {
    use super::*;

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
