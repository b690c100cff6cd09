//! The account's use cases shared by the HTML pages (`routes::account`) and the JSON API
//! (`routes::api_auth`): sign-up with its verification link, email verification, password reset
//! (request and confirm) and the profile. Same checks, same statements, same outbox messages,
//! whichever door the shopper comes through; the callers only parse, hash and answer.
//!
//! Password hashing is the platform's (WebCrypto), so a caller hashes between the check and the
//! write: `check_sign_up` → hash → `sign_up`; `live_link` → `NewPassword::parse` → hash →
//! `reset_password`.

use super::accounts::{
    create_customer_sql, customer_by_email_sql, issue_token_batch, live_token_sql, set_password_sql, update_profile_sql, use_token_sql,
    verify_email_batch, CustomerRow, Purpose, TokenRow,
};
use super::api_tokens::revoke_customer_sql;
use super::db::{Db, DbError};
use super::sign_in::clear_failures_sql;
use crate::domain::checkout::{Email, Phone};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::password::NewPassword;
use crate::domain::session::Realm;

/// The longest name an account keeps (characters).
pub const MAX_NAME_CHARS: usize = 100;
/// The longest email an account keeps (bytes, RFC 5321).
pub const MAX_EMAIL_BYTES: usize = 254;

/// A one-time link about to be mailed: its token (256 random bits, hex) and the page it opens.
pub struct Link<'a> {
    pub token: &'a str,
    pub url: &'a str,
    pub locale: &'a str,
}

/// A sign-up that passed its checks.
pub struct SignUp {
    pub email: Email,
    pub name: String,
    pub password: NewPassword,
}

/// A trimmed, required text of at most `max` characters.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        Err(FieldError { field, problem: Problem::Required })
    } else if v.chars().count() > max {
        Err(FieldError { field, problem: Problem::TooLong { max } })
    } else {
        Ok(v.to_string())
    }
}

/// The sign-up form's checks: a name, a valid email, a password of the policy's length; every
/// field's problem at once.
pub fn check_sign_up(email: &str, name: &str, password: &str) -> Result<SignUp, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = required("name", name, MAX_NAME_CHARS).map_err(|e| errors.push(e)).ok();
    let email = match Email::parse(email) {
        Some(e) if email.len() <= MAX_EMAIL_BYTES => Some(e),
        _ if email.trim().is_empty() => {
            errors.push(FieldError { field: "email", problem: Problem::Required });
            None
        }
        _ => {
            errors.push(FieldError { field: "email", problem: Problem::InvalidEmail });
            None
        }
    };
    let password = NewPassword::parse("password", password).map_err(|e| errors.push(e)).ok();
    match (name, email, password) {
        (Some(name), Some(email), Some(password)) if errors.is_empty() => Ok(SignUp { email, name, password }),
        _ => Err(errors),
    }
}

/// Creates the account (`id`, the password already hashed) and queues its verification link, or
/// `None` when the email already has an account (nothing is written then).
pub async fn sign_up(db: &impl Db, id: &str, email: &Email, name: &str, password_hash: &str, verify: &Link<'_>, now: i64) -> Result<Option<CustomerRow>, DbError> {
    let created = db.batch(&[create_customer_sql(id, email.as_str(), name, Some(password_hash), now)]).await?;
    if created.first().is_none_or(|r| r.changes() == 0) {
        return Ok(None);
    }
    let Some(customer) = db.all::<CustomerRow>(&customer_by_email_sql(email.as_str())).await?.into_iter().next() else { return Ok(None) };
    db.batch(&issue_token_batch(Purpose::VerifyEmail, verify.token, &customer, verify.url, verify.locale, now)).await?;
    Ok(Some(customer))
}

/// Queues a password-reset link for `email` if it has an account; `false` when it has none (the
/// callers answer the same either way, so nobody learns which emails have accounts).
pub async fn request_reset(db: &impl Db, email: &str, link: &Link<'_>, now: i64) -> Result<bool, DbError> {
    let email = email.trim().to_lowercase();
    let Some(customer) = db.all::<CustomerRow>(&customer_by_email_sql(&email)).await?.into_iter().next() else { return Ok(false) };
    db.batch(&issue_token_batch(Purpose::PasswordReset, link.token, &customer, link.url, link.locale, now)).await?;
    Ok(true)
}

/// Whether `token` has the shape of a link token we issue (64 hex digits).
pub fn is_link_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The customer of a live (unused, unexpired) link of `purpose`; `None` for anything else.
pub async fn live_link(db: &impl Db, purpose: Purpose, token: &str, now: i64) -> Result<Option<TokenRow>, DbError> {
    if !is_link_token(token) {
        return Ok(None);
    }
    Ok(db.all::<TokenRow>(&live_token_sql(purpose, token, now)).await?.into_iter().next())
}

/// Spends the reset link and sets the new password (already hashed): every session and app token
/// of the account ends, its sign-in slow-down is cleared, and the email counts as verified (the
/// link reached the inbox). `false` when the link was not live (only its first use changes anything).
pub async fn reset_password(db: &impl Db, token: &str, password_hash: &str, now: i64) -> Result<bool, DbError> {
    let Some(row) = live_link(db, Purpose::PasswordReset, token, now).await? else { return Ok(false) };
    let spent = db.batch(&[use_token_sql(Purpose::PasswordReset, token, now)]).await?;
    if spent.first().is_none_or(|r| r.changes() == 0) {
        return Ok(false);
    }
    let mut batch = vec![
        set_password_sql(&row.customer_id, password_hash, now),
        super::accounts::end_all_sessions_sql(Realm::Customer, &row.customer_id),
        revoke_customer_sql(&row.customer_id, now),
        clear_failures_sql(&format!("customer:{}", row.email)),
    ];
    batch.extend(verify_email_batch(&row.customer_id, &row.email, now));
    db.batch(&batch).await?;
    Ok(true)
}

/// Spends a verification link: the email is verified and the guest orders placed with it become
/// the account's. `false` when the link is unknown, used or expired.
pub async fn verify_email(db: &impl Db, token: &str, now: i64) -> Result<bool, DbError> {
    let Some(row) = live_link(db, Purpose::VerifyEmail, token, now).await? else { return Ok(false) };
    let spent = db.batch(&[use_token_sql(Purpose::VerifyEmail, token, now)]).await?;
    if spent.first().is_none_or(|r| r.changes() == 0) {
        return Ok(false);
    }
    db.batch(&verify_email_batch(&row.customer_id, &row.email, now)).await?;
    Ok(true)
}

/// The profile form's checks: a name, and a phone that is empty or a valid number (kept in E.164).
pub fn check_profile(name: &str, phone: &str) -> Result<(String, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = required("name", name, MAX_NAME_CHARS).map_err(|e| errors.push(e)).ok();
    let phone = if phone.trim().is_empty() {
        Some(String::new())
    } else {
        Phone::parse(phone, "VN").map(|p| p.as_str().to_string()).or_else(|| {
            errors.push(FieldError { field: "phone", problem: Problem::InvalidPhone });
            None
        })
    };
    match (name, phone) {
        (Some(name), Some(phone)) => Ok((name, phone)),
        _ => Err(errors),
    }
}

/// Checks and saves the profile; the fields to fix otherwise.
pub async fn update_profile(db: &impl Db, customer_id: &str, name: &str, phone: &str, now: i64) -> Result<Result<(String, String), Vec<FieldError>>, DbError> {
    let (name, phone) = match check_profile(name, phone) {
        Ok(ok) => ok,
        Err(errors) => return Ok(Err(errors)),
    };
    db.batch(&[update_profile_sql(customer_id, &name, &phone, now)]).await?;
    Ok(Ok((name, phone)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    const T1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const T2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn link(token: &str) -> Link<'_> {
        Link { token, url: "https://shop.test/account/verify/x", locale: "vi" }
    }

    fn signed_up(db: &Sqlite) -> CustomerRow {
        let s = check_sign_up(" An@Example.vn ", " An ", "correct horse").unwrap();
        block_on(sign_up(db, "c1", &s.email, &s.name, "hash", &link(T1), 1)).unwrap().unwrap()
    }

    #[test]
    fn sign_up_reports_every_field_and_refuses_a_taken_email_without_writing() {
        let errors = check_sign_up("not-an-email", "", "short").err().unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "email", "password"]);
        assert_eq!(check_sign_up("", "x", "correct horse").err().unwrap()[0].problem, Problem::Required);
        let db = Sqlite::migrated();
        let c = signed_up(&db);
        assert_eq!((c.email.as_str(), c.name.as_str(), c.email_verified_at), ("an@example.vn", "An", None));
        assert_eq!(db.int("SELECT COUNT(*) FROM account_tokens WHERE purpose = 'verify_email'"), 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'verify_email'"), 1, "the link goes out by the outbox");
        let again = check_sign_up("an@example.vn", "Other", "correct horse").unwrap();
        assert!(block_on(sign_up(&db, "c2", &again.email, &again.name, "hash", &link(T2), 2)).unwrap().is_none());
        assert_eq!(db.int("SELECT COUNT(*) FROM customers"), 1);
        assert_eq!(db.int("SELECT COUNT(*) FROM account_tokens"), 1, "no link for a taken email");
    }

    #[test]
    fn a_verification_link_verifies_once() {
        let db = Sqlite::migrated();
        signed_up(&db);
        assert!(!block_on(verify_email(&db, "nonsense", 2)).unwrap());
        assert!(!block_on(verify_email(&db, T2, 2)).unwrap());
        assert!(block_on(verify_email(&db, T1, 2)).unwrap());
        assert_eq!(db.int("SELECT email_verified_at FROM customers"), 2);
        assert!(!block_on(verify_email(&db, T1, 3)).unwrap(), "spent");
    }

    #[test]
    fn a_reset_link_sets_the_password_once_ends_sessions_and_app_tokens_and_verifies_the_email() {
        let db = Sqlite::migrated();
        signed_up(&db);
        assert!(!block_on(request_reset(&db, "nobody@example.vn", &link(T2), 2)).unwrap());
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'"), 0);
        assert!(block_on(request_reset(&db, " AN@example.vn", &link(T2), 2)).unwrap());
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'"), 1);
        db.exec("INSERT INTO sessions (id_hash, realm, subject_id, created_at, last_seen_at, expires_at) VALUES ('s', 'customer', 'c1', 0, 0, 99999)");
        block_on(db.batch(&[crate::app::api_tokens::insert_first_sql("r", "f", "c1", 2)])).unwrap();
        assert!(!block_on(reset_password(&db, T1, "new", 3)).unwrap(), "a verification link is not a reset link");
        assert!(block_on(reset_password(&db, T2, "new-hash", 3)).unwrap());
        assert_eq!(db.text("SELECT password_hash FROM customers"), "new-hash");
        assert_eq!(db.int("SELECT COUNT(*) FROM sessions"), 0);
        assert_eq!(db.int("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL"), 0);
        assert_eq!(db.int("SELECT email_verified_at FROM customers"), 3);
        assert!(!block_on(reset_password(&db, T2, "other", 4)).unwrap(), "spent");
        assert_eq!(db.text("SELECT password_hash FROM customers"), "new-hash");
        assert!(!block_on(reset_password(&db, T2, "late", 3 + 3_601)).unwrap());
    }

    #[test]
    fn the_profile_keeps_a_valid_phone_in_e164_or_none() {
        let db = Sqlite::migrated();
        signed_up(&db);
        assert_eq!(block_on(update_profile(&db, "c1", " Bình ", "0912 345 678", 2)).unwrap(), Ok(("Bình".into(), "+84912345678".into())));
        assert_eq!(db.text("SELECT phone FROM customers"), "+84912345678");
        let refused = block_on(update_profile(&db, "c1", "", "12", 3)).unwrap().err().unwrap();
        assert_eq!(refused.iter().map(|e| e.field).collect::<Vec<_>>(), vec!["name", "phone"]);
        assert_eq!(db.text("SELECT name FROM customers"), "Bình", "nothing written");
        assert_eq!(block_on(update_profile(&db, "c1", "Bình", "", 4)).unwrap(), Ok(("Bình".into(), String::new())));
    }
}
