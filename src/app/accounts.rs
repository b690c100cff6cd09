//! Customer accounts as data: the SQL behind sign-up, sign-in, sessions, one-time links (password
//! reset, email verification), and the account's own data; and
//! [`resume_session`], the use case that decides whether a session read back from its cookie is
//! still alive (shared by the shopper and admin realms).
//! Every statement that consumes something (a link, a session) is conditional, so a replay or a
//! race changes nothing the second time.

use serde::{Deserialize, Serialize};

use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::money::Vnd;
use crate::domain::notify::{Channel, Kind};
use crate::domain::session::{id_hash, Policy, Realm, SessionRow};

/// A customer as the account pages and sign-in need them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomerRow {
    pub id: String,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub name: String,
    pub phone: String,
    pub password_hash: Option<String>,
    pub cart_id: Option<String>,
    pub created_at: i64,
}

pub(crate) const CUSTOMER_COLUMNS: &str = "c.id, c.email, c.email_verified_at, c.name, c.phone, c.password_hash, c.cart_id, c.created_at";

pub fn customer_by_email_sql(email: &str) -> Sql {
    Sql::new(format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.email = ? AND c.deleted_at IS NULL")).bind(email)
}

pub fn customer_by_id_sql(id: &str) -> Sql {
    Sql::new(format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ? AND c.deleted_at IS NULL")).bind(id)
}

/// Inserts the customer unless the email is taken (the caller checks `changes()`).
pub fn create_customer_sql(id: &str, email: &str, name: &str, password_hash: Option<&str>, now: i64) -> Sql {
    let mut sql = Sql::new(
        "INSERT INTO customers (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT(email) DO NOTHING",
    )
    .bind(id)
    .bind(email)
    .bind(name);
    sql.params.push(password_hash.map_or(super::sql::SqlValue::Null, Into::into));
    sql.bind(now).bind(now)
}

pub fn set_password_sql(customer_id: &str, password_hash: &str, now: i64) -> Sql {
    Sql::new("UPDATE customers SET password_hash = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL").bind(password_hash).bind(now).bind(customer_id)
}

// --- sessions ----------------------------------------------------------------------------------

pub fn insert_session_sql(realm: Realm, session_id: &str, subject_id: &str, now: i64, policy: Policy) -> Sql {
    Sql::new("INSERT INTO sessions (id_hash, realm, subject_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(id_hash(session_id))
        .bind(realm.code())
        .bind(subject_id)
        .bind(now)
        .bind(now)
        .bind(now + policy.absolute)
}

pub fn session_sql(realm: Realm, session_id: &str) -> Sql {
    Sql::new("SELECT subject_id, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = ? AND realm = ?")
        .bind(id_hash(session_id))
        .bind(realm.code())
}

/// Records activity; only moves forward, so interleaved requests cannot move it back.
pub fn touch_session_sql(session_id: &str, now: i64) -> Sql {
    Sql::new("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?").bind(now).bind(id_hash(session_id)).bind(now)
}

pub fn end_session_sql(session_id: &str) -> Sql {
    Sql::new("DELETE FROM sessions WHERE id_hash = ?").bind(id_hash(session_id))
}

/// What a session id from a cookie amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resumed {
    /// Alive: touched (its idle timer restarted) and returned as it was read.
    Live(SessionRow),
    /// Past its idle or absolute limit: ended (deleted) now. Whose it was, for the sign-in that
    /// follows (`domain::session::KeptForm`).
    Expired { subject_id: String },
    /// No such session in the realm (never, or ended before).
    Unknown,
}

impl Resumed {
    pub fn live(self) -> Option<SessionRow> {
        match self {
            Resumed::Live(row) => Some(row),
            _ => None,
        }
    }
}

/// The session with this id in `realm`, as it stands at `now`: a live one is touched, one past
/// its idle or absolute limit is ended.
pub async fn resume_session(db: &impl Db, realm: Realm, id: &str, policy: Policy, now: i64) -> Result<Resumed, DbError> {
    let Some(row) = db.first::<SessionRow>(&session_sql(realm, id)).await? else { return Ok(Resumed::Unknown) };
    if !row.is_alive(policy, now) {
        db.run(&end_session_sql(id)).await?;
        return Ok(Resumed::Expired { subject_id: row.subject_id });
    }
    db.run(&touch_session_sql(id, now)).await?;
    Ok(Resumed::Live(row))
}

/// Ends every session of a subject ("log out everywhere", password change or reset, deletion).
pub fn end_all_sessions_sql(realm: Realm, subject_id: &str) -> Sql {
    Sql::new("DELETE FROM sessions WHERE realm = ? AND subject_id = ?").bind(realm.code()).bind(subject_id)
}

/// Ends every other session of a subject, keeping `keep` (the one that just changed the password).
pub fn end_other_sessions_sql(realm: Realm, subject_id: &str, keep: &str) -> Sql {
    Sql::new("DELETE FROM sessions WHERE realm = ? AND subject_id = ? AND id_hash <> ?").bind(realm.code()).bind(subject_id).bind(id_hash(keep))
}

// --- one-time links ----------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    VerifyEmail,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::VerifyEmail => "verify_email",
        }
    }

    /// The message its link goes out in.
    pub fn kind(self) -> Kind {
        match self {
            Purpose::PasswordReset => Kind::PasswordReset,
            Purpose::VerifyEmail => Kind::VerifyEmail,
        }
    }

    /// How long a link works.
    pub fn lifetime(self) -> i64 {
        match self {
            Purpose::PasswordReset => 3_600,
            Purpose::VerifyEmail => 7 * 86_400,
        }
    }
}

pub fn token_hash(token: &str) -> String {
    crate::domain::signature::sha256_hex(format!("account-token:{token}").as_bytes())
}

/// The link's row and its outbox message, in one batch.
pub fn issue_token_batch(purpose: Purpose, token: &str, customer: &CustomerRow, url: &str, locale: &str, now: i64) -> Vec<Sql> {
    let payload = serde_json::json!({"to": customer.email, "locale": locale, "url": url, "customer_id": customer.id});
    vec![
        Sql::new("INSERT INTO account_tokens (token_hash, purpose, customer_id, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(token_hash(token))
            .bind(purpose.code())
            .bind(customer.id.as_str())
            .bind(customer.email.as_str())
            .bind(now)
            .bind(now + purpose.lifetime()),
        super::outbox::message_sql(&format!("{}:{}", purpose.code(), token_hash(token)), purpose.kind(), Channel::Email, &customer.email, locale, &payload, now),
    ]
}

#[derive(Clone, Debug, Deserialize)]
pub struct TokenRow {
    pub customer_id: String,
    pub email: String,
}

/// The link's customer while it is unused and unexpired.
pub fn live_token_sql(purpose: Purpose, token: &str, now: i64) -> Sql {
    Sql::new("SELECT customer_id, email FROM account_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?")
        .bind(token_hash(token))
        .bind(purpose.code())
        .bind(now)
}

/// Consumes the link; `changes() = 1` only for the first use.
pub fn use_token_sql(purpose: Purpose, token: &str, now: i64) -> Sql {
    Sql::new("UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?")
        .bind(now)
        .bind(token_hash(token))
        .bind(purpose.code())
        .bind(now)
}

/// Marks the email verified (if it is still the account's email) and attaches the guest orders
/// placed with it.
pub fn verify_email_batch(customer_id: &str, email: &str, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("UPDATE customers SET email_verified_at = COALESCE(email_verified_at, ?), updated_at = ? WHERE id = ? AND email = ? AND deleted_at IS NULL")
            .bind(now)
            .bind(now)
            .bind(customer_id)
            .bind(email),
        attach_guest_orders_sql(customer_id),
    ]
}

/// Guest orders placed with the customer's verified email become theirs.
pub fn attach_guest_orders_sql(customer_id: &str) -> Sql {
    Sql::new(
        "UPDATE orders SET customer_id = ?1 WHERE customer_id IS NULL AND lower(email) = \
         (SELECT email FROM customers WHERE id = ?1 AND email_verified_at IS NOT NULL AND deleted_at IS NULL)",
    )
    .bind(customer_id)
}

// --- the account's own data --------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderSummaryRow {
    pub id: String,
    pub number: String,
    pub status: String,
    #[serde(default)]
    pub payment_status: Option<crate::domain::orders::PaymentState>,
    #[serde(default)]
    pub fulfillment_status: Option<crate::domain::orders::FulfillmentStatus>,
    pub total: Vnd,
    pub created_at: i64,
}

/// The customer's orders, newest first (guest orders with their verified email are attached first).
pub fn orders_sql(customer_id: &str) -> Sql {
    Sql::new("SELECT id, number, status, payment_status, fulfillment_status, total, created_at FROM orders WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT 200").bind(customer_id)
}

/// One page of an account's orders, newest first (`per_page` from the `(page - 1) * per_page`-th),
/// and how many it has in all (`n`).
pub fn orders_page_sql(customer_id: &str, page: i64, per_page: i64) -> [Sql; 2] {
    [
        Sql::new("SELECT id, number, status, payment_status, fulfillment_status, total, created_at FROM orders WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?")
            .bind(customer_id)
            .bind(per_page)
            .bind((page - 1) * per_page),
        Sql::new("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?").bind(customer_id),
    ]
}

/// A signed-in checkout's order is the shopper's.
pub fn claim_order_sql(order_id: &str, customer_id: &str) -> Sql {
    Sql::new("UPDATE orders SET customer_id = ? WHERE id = ? AND customer_id IS NULL").bind(customer_id).bind(order_id)
}

/// Makes `cart_id` the account's cart unless the account has one already or another account owns
/// that cart; then reads which cart the account has.
pub fn claim_cart_batch(customer_id: &str, cart_id: &str) -> [Sql; 2] {
    [
        Sql::new(
            "UPDATE customers SET cart_id = ?1 WHERE id = ?2 AND cart_id IS NULL AND deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM customers other WHERE other.cart_id = ?1)",
        )
        .bind(cart_id)
        .bind(customer_id),
        Sql::new("SELECT cart_id FROM customers WHERE id = ? AND deleted_at IS NULL").bind(customer_id),
    ]
}

/// The account whose cart `cart_id` is.
pub fn cart_owner_sql(cart_id: &str) -> Sql {
    Sql::new("SELECT id FROM customers WHERE cart_id = ? AND deleted_at IS NULL").bind(cart_id)
}

/// How many other accounts own `cart_id` (0 for a guest's cart).
pub fn cart_owners_sql(customer_id: &str, cart_id: &str) -> Sql {
    Sql::new("SELECT COUNT(*) AS n FROM customers WHERE cart_id = ? AND id != ?").bind(cart_id).bind(customer_id)
}

pub fn update_profile_sql(customer_id: &str, name: &str, phone: &str, now: i64) -> Sql {
    Sql::new("UPDATE customers SET name = ?, phone = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL").bind(name).bind(phone).bind(now).bind(customer_id)
}

pub struct NewAddress<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub line1: &'a str,
    pub ward: &'a str,
    pub district: &'a str,
    pub province: &'a str,
    pub country: &'a str,
}

/// At most 20 addresses per account: the insert is gated on the count.
pub fn add_address_sql(id: &str, customer_id: &str, a: &NewAddress, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO addresses (id, customer_id, name, phone, line1, ward, district, province, country, created_at) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM addresses WHERE customer_id = ?) < 20",
    )
    .bind(id)
    .bind(customer_id)
    .bind(a.name)
    .bind(a.phone)
    .bind(a.line1)
    .bind(a.ward)
    .bind(a.district)
    .bind(a.province)
    .bind(a.country)
    .bind(now)
    .bind(customer_id)
}

/// Removes an address only if it is the customer's (otherwise nothing changes: a 404).
pub fn delete_address_sql(id: &str, customer_id: &str) -> Sql {
    Sql::new("DELETE FROM addresses WHERE id = ? AND customer_id = ?").bind(id).bind(customer_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_as_many_values_as_they_have_placeholders() {
        let c = CustomerRow { id: "c".into(), email: "a@b.vn".into(), email_verified_at: None, name: String::new(), phone: String::new(), password_hash: None, cart_id: None, created_at: 0 };
        let mut all = vec![
            customer_by_email_sql("a@b.vn"),
            customer_by_id_sql("c"),
            create_customer_sql("c", "a@b.vn", "An", Some("h"), 1),
            create_customer_sql("c", "a@b.vn", "An", None, 1),
            set_password_sql("c", "h", 1),
            insert_session_sql(Realm::Customer, "s", "c", 1, Policy::CUSTOMER),
            session_sql(Realm::Admin, "s"),
            touch_session_sql("s", 1),
            end_session_sql("s"),
            end_all_sessions_sql(Realm::Customer, "c"),
            end_other_sessions_sql(Realm::Customer, "c", "s"),
            live_token_sql(Purpose::PasswordReset, "t", 1),
            use_token_sql(Purpose::VerifyEmail, "t", 1),
        ];
        all.extend(issue_token_batch(Purpose::PasswordReset, "t", &c, "/u", "vi", 1));
        all.extend(verify_email_batch("c", "a@b.vn", 1));
        let a = NewAddress { name: "n", phone: "p", line1: "l", ward: "w", district: "d", province: "p", country: "VN" };
        all.extend(claim_cart_batch("c", "k"));
        all.extend([cart_owner_sql("k"), cart_owners_sql("c", "k"), orders_sql("c"), claim_order_sql("o", "c"), update_profile_sql("c", "n", "p", 1), add_address_sql("a", "c", &a, 1), delete_address_sql("a", "c")]);
        for sql in all {
            let numbered = sql.text.contains("?1");
            assert!(numbered || sql.placeholder_count() == sql.params.len(), "{}", sql.text);
        }
    }

    mod sessions {
        use super::super::*;
        use crate::app::testing::{block_on, Sqlite};

        const NOW: i64 = 1_800_000_000;
        const POLICY: Policy = Policy::CUSTOMER;

        fn session_id(n: u8) -> String {
            format!("{n:02x}").repeat(32)
        }

        /// A customer session signed in at `created` and last used at `seen`.
        fn started(db: &Sqlite, id: &str, created: i64, seen: i64) {
            block_on(db.batch(&[insert_session_sql(Realm::Customer, id, "cust-1", created, POLICY)])).expect("session stored");
            db.exec(&format!("UPDATE sessions SET last_seen_at = {seen} WHERE id_hash = '{}'", id_hash(id)));
        }

        fn stored(db: &Sqlite, id: &str) -> i64 {
            db.int(&format!("SELECT COUNT(*) FROM sessions WHERE id_hash = '{}'", id_hash(id)))
        }

        fn last_seen(db: &Sqlite, id: &str) -> i64 {
            db.int(&format!("SELECT last_seen_at FROM sessions WHERE id_hash = '{}'", id_hash(id)))
        }

        #[test]
        fn a_live_session_is_returned_and_touched() {
            let db = Sqlite::migrated();
            let id = session_id(1);
            started(&db, &id, NOW - 86_400, NOW - 3_600);
            let row = block_on(resume_session(&db, Realm::Customer, &id, POLICY, NOW)).unwrap().live().expect("alive");
            assert_eq!((row.subject_id.as_str(), row.last_seen_at), ("cust-1", NOW - 3_600), "returned as read");
            assert_eq!(last_seen(&db, &id), NOW, "its idle timer restarts");
        }

        #[test]
        fn an_idle_expired_session_is_ended_and_not_returned() {
            let db = Sqlite::migrated();
            let id = session_id(2);
            started(&db, &id, NOW - POLICY.idle - 100, NOW - POLICY.idle);
            assert_eq!(block_on(resume_session(&db, Realm::Customer, &id, POLICY, NOW)).unwrap(), Resumed::Expired { subject_id: "cust-1".into() });
            assert_eq!(stored(&db, &id), 0, "the session is ended");
            assert_eq!(block_on(resume_session(&db, Realm::Customer, &id, POLICY, NOW - POLICY.idle + 1)).unwrap(), Resumed::Unknown, "and stays ended");
        }

        #[test]
        fn a_session_past_its_absolute_end_is_ended_however_recently_used() {
            let db = Sqlite::migrated();
            let id = session_id(3);
            started(&db, &id, NOW - POLICY.absolute, NOW - 60);
            assert!(matches!(block_on(resume_session(&db, Realm::Customer, &id, POLICY, NOW)).unwrap(), Resumed::Expired { .. }));
            assert_eq!(stored(&db, &id), 0);
        }

        #[test]
        fn a_session_of_the_other_realm_is_not_found_and_left_alone() {
            let db = Sqlite::migrated();
            let id = session_id(4);
            started(&db, &id, NOW - 60, NOW - 60);
            assert_eq!(block_on(resume_session(&db, Realm::Admin, &id, Policy::ADMIN, NOW)).unwrap(), Resumed::Unknown);
            assert_eq!((stored(&db, &id), last_seen(&db, &id)), (1, NOW - 60));
        }
    }

    #[test]
    fn session_rows_store_only_the_hash_of_the_id() {
        let sql = insert_session_sql(Realm::Customer, "secret-id", "c", 10, Policy::CUSTOMER);
        assert!(!sql.params.contains(&"secret-id".into()));
        assert!(sql.params.contains(&(10 + Policy::CUSTOMER.absolute).into()));
    }
}
