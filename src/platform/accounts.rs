//! Accounts at the edge: password hashing through WebCrypto, and server-side sessions (a new random
//! id to start one; the cookie read before `app::accounts::resume_session` decides whether it is still
//! alive), shared by the shopper and admin areas.

use worker::Request;

use super::config::now;
use super::d1::D1;
use crate::app::db::Db;
use super::{random, webcrypto};
use crate::app::accounts::{customer_by_id_sql, insert_session_sql, resume_session, CustomerRow};
use crate::domain::error::AppError;
use crate::domain::http::{cookie, SetCookie};
use crate::domain::password::{decoy, StoredHash, ITERATIONS, SALT_BYTES};
use crate::domain::session::{is_session_id, Policy, Realm, SessionRow};

fn no_randomness() -> AppError {
    AppError::Internal("no randomness".into())
}

/// A new stored hash for `password` (random salt, the current iteration count).
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = random::bytes(SALT_BYTES).ok_or_else(no_randomness)?;
    let hash = webcrypto::pbkdf2(password.as_bytes(), &salt, ITERATIONS).await?;
    Ok(StoredHash { iterations: ITERATIONS, salt, hash }.format())
}

/// Whether `password` matches `stored`; with no (or an unreadable) stored hash, the same work is done
/// against a decoy and the answer is no, so timing does not tell which accounts exist.
pub async fn verify_password(password: &str, stored: Option<&str>) -> Result<bool, AppError> {
    let parsed = stored.and_then(StoredHash::parse);
    let target = parsed.clone().unwrap_or_else(decoy);
    let derived = webcrypto::pbkdf2(password.as_bytes(), &target.salt, target.iterations).await?;
    Ok(parsed.is_some() && target.matches(&derived))
}

/// Starts a session for `subject_id` and returns its id (for the cookie). Always a new id: sign-in and
/// any change of privilege call this, never reuse the visitor's old id.
pub async fn start_session(db: &D1, realm: Realm, subject_id: &str, policy: Policy) -> Result<String, AppError> {
    let id = random::token(32).ok_or_else(no_randomness)?;
    db.batch(&[insert_session_sql(realm, &id, subject_id, now(), policy)]).await?;
    Ok(id)
}

/// The live session behind the cookie (`app::accounts::resume_session`: touched if alive, ended
/// if not).
pub async fn read_session(req: &Request, db: &D1, realm: Realm, cookie_name: &str, policy: Policy) -> Result<Option<(String, SessionRow)>, AppError> {
    let header = req.headers().get("cookie").ok().flatten().unwrap_or_default();
    let Some(id) = cookie(&header, cookie_name).filter(|id| is_session_id(id)).map(str::to_string) else { return Ok(None) };
    Ok(resume_session(db, realm, &id, policy, now()).await?.map(|row| (id, row)))
}

/// A signed-in shopper.
pub struct Shopper {
    pub customer: CustomerRow,
    pub session_id: String,
}

pub async fn current_shopper(req: &Request, db: &D1, policy: Policy) -> Result<Option<Shopper>, AppError> {
    let Some((session_id, row)) = read_session(req, db, Realm::Customer, super::security::SESSION_COOKIE, policy).await? else {
        return Ok(None);
    };
    let customer = db.all::<CustomerRow>(&customer_by_id_sql(&row.subject_id)).await?.into_iter().next();
    Ok(customer.map(|customer| Shopper { customer, session_id }))
}

/// The session cookie: lives as long as the session may (the server decides earlier ends).
pub fn session_cookie(name: &str, id: &str, path: &str, policy: Policy, secure: bool) -> String {
    SetCookie::new(name, id, secure).path(path).max_age(policy.absolute).to_string()
}

/// Runs a batch and says whether its first statement changed a row.
pub async fn changed(db: &D1, sqls: &[crate::app::sql::Sql]) -> Result<bool, AppError> {
    let results = db.batch(sqls).await?;
    let first = results.first().ok_or_else(|| AppError::Internal("empty batch".into()))?;
    first.decode::<serde_json::Value>()?;
    Ok(first.changes() > 0)
}
