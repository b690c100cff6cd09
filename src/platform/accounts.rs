//! Accounts at the edge: password hashing through WebCrypto, and server-side sessions (a new random
//! id to start one; the cookie read before `app::accounts::resume_session` decides whether it is still
//! alive), shared by the shopper and admin areas.

use worker::Request;

use super::config::now;
use super::d1::D1;
use crate::app::db::Db;
use super::{random, webcrypto};
use crate::app::accounts::{customer_by_id_sql, insert_session_sql, resume_session, CustomerRow, Resumed};
use crate::domain::error::AppError;
use crate::domain::http::{cookie, SetCookie};
use crate::domain::password::{decoy, StoredHash, ITERATIONS, SALT_BYTES};
use crate::domain::session::{is_session_id, Ended, Policy, Realm, SessionRow};

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

/// What the request's session cookie amounts to.
pub enum Session {
    /// No (well-formed) session cookie: a visitor who has not signed in on this device.
    None,
    /// A live session (touched), with its id.
    Live(String, SessionRow),
    /// The cookie names a session that is no longer alive.
    Ended(Ended),
}

impl Session {
    pub fn live(self) -> Option<(String, SessionRow)> {
        match self {
            Session::Live(id, row) => Some((id, row)),
            _ => None,
        }
    }
}

fn session_id(req: &Request, cookie_name: &str) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten().unwrap_or_default();
    cookie(&header, cookie_name).filter(|id| is_session_id(id)).map(str::to_string)
}

/// Whether the request carries a session cookie at all (live or not).
pub fn has_session_cookie(req: &Request) -> bool {
    session_id(req, super::security::SESSION_COOKIE).is_some()
}

/// The session behind the cookie (`app::accounts::resume_session`: touched if alive, ended if not).
pub async fn read_session(req: &Request, db: &D1, realm: Realm, cookie_name: &str, policy: Policy) -> Result<Session, AppError> {
    let Some(id) = session_id(req, cookie_name) else { return Ok(Session::None) };
    Ok(match resume_session(db, realm, &id, policy, now()).await? {
        Resumed::Live(row) => Session::Live(id, row),
        Resumed::Expired { subject_id } => Session::Ended(Ended { subject_id: Some(subject_id) }),
        Resumed::Unknown => Session::Ended(Ended { subject_id: None }),
    })
}

/// A signed-in shopper.
pub struct Shopper {
    pub customer: CustomerRow,
    pub session_id: String,
}

pub async fn current_shopper(req: &Request, db: &D1, policy: Policy) -> Result<Option<Shopper>, AppError> {
    Ok(shopper_or_ended(req, db, policy).await?.0)
}

/// The signed-in shopper, or else the session this device had, if it has ended.
pub async fn shopper_or_ended(req: &Request, db: &D1, policy: Policy) -> Result<(Option<Shopper>, Option<Ended>), AppError> {
    let (session_id, row) = match read_session(req, db, Realm::Customer, super::security::SESSION_COOKIE, policy).await? {
        Session::Live(id, row) => (id, row),
        Session::Ended(ended) => return Ok((None, Some(ended))),
        Session::None => return Ok((None, None)),
    };
    let customer = db.all::<CustomerRow>(&customer_by_id_sql(&row.subject_id)).await?.into_iter().next();
    Ok((customer.map(|customer| Shopper { customer, session_id }), None))
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
