//! The sign-in slow-down (`domain::throttle::login_delay`), shared by every password sign-in (the
//! shop's form, social-link confirmation, the API's token endpoint, the admin panel).
//!
//! Tries are counted per account *and* client (the connecting IP): someone guessing from one
//! address slows down only themselves, not the account's owner elsewhere. A try is counted before
//! its password is checked, by one conditional statement that either claims it (the pair's delay
//! has passed) or changes nothing, so parallel tries cannot all pass a count read before any of
//! them was written.

use serde::Deserialize;

use super::db::Db;
use super::sql::Sql;
use crate::domain::error::AppError;
use crate::domain::throttle::{login_retry_after, FIRST_DELAY, FREE_FAILURES, MAX_DELAY, MAX_DOUBLINGS};

/// How a sign-in try ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt<T> {
    /// Too many recent failures: wait this many seconds (the password was not checked).
    Wait(i64),
    /// The password was checked and is wrong (or there is no such account).
    Refused,
    /// The password was right: the check's result.
    Passed(T),
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct Tries {
    tries: i64,
    last_at: i64,
}

fn tries_sql(account: &str, client: &str) -> Sql {
    Sql::new("SELECT tries, last_at FROM login_failures WHERE account = ? AND client = ?").bind(account).bind(client)
}

/// `domain::throttle::login_delay` of the `tries` column, in SQL.
fn delay_sql() -> String {
    format!("CASE WHEN tries < {FREE_FAILURES} THEN 0 ELSE min({FIRST_DELAY} << min(tries - {FREE_FAILURES}, {MAX_DOUBLINGS}), {MAX_DELAY}) END")
}

/// Claims a try: the pair's first, or one more once the delay its tries so far impose has passed
/// since the last one. `changes() = 0`: not now.
pub(crate) fn claim_sql(account: &str, client: &str, now: i64) -> Sql {
    Sql::new(format!(
        "INSERT INTO login_failures (account, client, tries, last_at) VALUES (?1, ?2, 1, ?3) \
         ON CONFLICT(account, client) DO UPDATE SET tries = tries + 1, last_at = excluded.last_at \
         WHERE excluded.last_at - login_failures.last_at >= {}",
        delay_sql()
    ))
    .bind(account)
    .bind(client)
    .bind(now)
}

fn clear_try_sql(account: &str, client: &str) -> Sql {
    Sql::new("DELETE FROM login_failures WHERE account = ? AND client = ?").bind(account).bind(client)
}

/// Forgets every client's tries on `account` (a password reset proves the person).
pub fn clear_failures_sql(account: &str) -> Sql {
    Sql::new("DELETE FROM login_failures WHERE account = ?").bind(account)
}

/// One sign-in try on `account` (`customer:{email}`, `admin:{email}`) from `client` (the connecting
/// IP). The try is counted first; only then does `check` look the account up and check the password
/// (`Some` when it is right). A right password forgets the pair's tries; a wrong one stays counted.
pub async fn attempt<T>(db: &impl Db, account: &str, client: &str, now: i64, check: impl AsyncFnOnce() -> Result<Option<T>, AppError>) -> Result<Attempt<T>, AppError> {
    let claimed = db.batch(&[claim_sql(account, client, now)]).await?.first().is_some_and(|r| r.changes() > 0);
    if !claimed {
        let wait = db.first::<Tries>(&tries_sql(account, client)).await?.and_then(|t| login_retry_after(t.tries, t.last_at, now));
        return Ok(Attempt::Wait(wait.unwrap_or(1)));
    }
    match check().await? {
        Some(found) => {
            db.run(&clear_try_sql(account, client)).await?;
            Ok(Attempt::Passed(found))
        }
        None => Ok(Attempt::Refused),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    const OWNER: &str = "customer:an@example.vn";
    const ATTACKER_IP: &str = "203.0.113.9";
    const OWNER_IP: &str = "198.51.100.7";

    /// A wrong password whose check takes a round trip, as the real PBKDF2 takes time: joined tries
    /// run meanwhile.
    async fn wrong(db: &Sqlite, checked: &Cell<i64>) -> Result<Option<()>, AppError> {
        checked.set(checked.get() + 1);
        db.run(&Sql::new("SELECT 1")).await?;
        Ok(None)
    }

    #[test]
    fn parallel_wrong_passwords_get_no_more_checks_than_the_free_tries() {
        let db = Sqlite::migrated();
        let checked = Cell::new(0);
        let tries = (0..30).map(|_| attempt(&db, OWNER, ATTACKER_IP, 1_000, async || wrong(&db, &checked).await));
        let outcomes = block_on(futures::future::join_all(tries));
        assert_eq!(checked.get(), FREE_FAILURES, "passwords checked");
        assert_eq!(outcomes.iter().filter(|o| matches!(o, Ok(Attempt::Refused))).count() as i64, FREE_FAILURES);
        assert!(outcomes.iter().all(|o| matches!(o, Ok(Attempt::Refused) | Ok(Attempt::Wait(30)))), "{outcomes:?}");
    }

    #[test]
    fn the_claim_waits_as_login_delay_says() {
        let db = Sqlite::migrated();
        for tries in 0..=20 {
            db.exec(&format!("DELETE FROM login_failures; INSERT INTO login_failures VALUES ('a', 'c', {tries}, 0)"));
            let delay = crate::domain::throttle::login_delay(tries);
            if delay > 0 {
                assert_eq!(block_on(db.batch(&[claim_sql("a", "c", delay - 1)])).unwrap()[0].changes(), 0, "{tries} tries, a second early");
            }
            assert_eq!(block_on(db.batch(&[claim_sql("a", "c", delay)])).unwrap()[0].changes(), 1, "{tries} tries, on time");
            assert_eq!(db.int("SELECT tries FROM login_failures"), tries + 1);
        }
    }

    #[test]
    fn a_right_password_forgets_the_pairs_tries_and_a_wrong_one_after_the_wait_counts() {
        let db = Sqlite::migrated();
        let checked = Cell::new(0);
        for _ in 0..FREE_FAILURES {
            assert_eq!(block_on(attempt(&db, OWNER, OWNER_IP, 1_000, async || wrong(&db, &checked).await)).unwrap(), Attempt::Refused);
        }
        assert_eq!(block_on(attempt(&db, OWNER, OWNER_IP, 1_010, async || Ok(Some(())))).unwrap(), Attempt::Wait(20), "the right password waits too");
        assert_eq!(block_on(attempt(&db, OWNER, OWNER_IP, 1_030, async || wrong(&db, &checked).await)).unwrap(), Attempt::Refused);
        assert_eq!(block_on(attempt(&db, OWNER, OWNER_IP, 1_031, async || Ok(Some(())))).unwrap(), Attempt::Wait(59), "the wait doubled");
        assert_eq!(block_on(attempt(&db, OWNER, OWNER_IP, 1_090, async || Ok(Some(())))).unwrap(), Attempt::Passed(()));
        assert_eq!(db.int("SELECT COUNT(*) FROM login_failures"), 0);
        block_on(db.run(&clear_failures_sql(OWNER))).unwrap();
    }

    #[test]
    fn another_client_is_not_locked_out_of_the_account() {
        let db = Sqlite::migrated();
        let checked = Cell::new(0);
        for _ in 0..8 {
            let _ = block_on(attempt(&db, OWNER, ATTACKER_IP, 1_000, async || wrong(&db, &checked).await));
        }
        assert!(matches!(block_on(attempt(&db, OWNER, ATTACKER_IP, 1_000, async || Ok(Some(())))), Ok(Attempt::Wait(_))));
        // The owner, from their own network, signs in at once.
        assert_eq!(block_on(attempt(&db, OWNER, OWNER_IP, 1_000, async || Ok(Some("an")))).unwrap(), Attempt::Passed("an"));
    }
}
