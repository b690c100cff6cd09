//! Refresh tokens of the JSON API as data. A refresh token is 256 random bits, kept only as a hash,
//! in a *family* that starts at sign-in (`POST /api/v1/auth/token`). Each use rotates it: one
//! conditional `UPDATE` spends the presented token, and the new one is inserted in the same batch
//! only if that `UPDATE` changed a row. Presenting a token that was already spent means a copy is
//! in someone else's hands: the whole family is revoked, and so are the access tokens issued from it
//! (their `sid` names the family; `live_family_customer_sql` checks it on every use).

use serde::Deserialize;

use super::sql::Sql;

/// How long a refresh token can wait to be used (each rotation starts a new period).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 86_400;

/// The stored form of a refresh token.
pub fn refresh_hash(token: &str) -> String {
    crate::domain::signature::sha256_hex(format!("refresh-token:{token}").as_bytes())
}

/// Whether `token` has the shape of one we issue (64 hex digits); anything else is refused unread.
pub fn is_refresh_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Starts a family with its first token (sign-in).
pub fn insert_first_sql(token: &str, family_id: &str, customer_id: &str, now: i64) -> Sql {
    Sql::new("INSERT INTO refresh_tokens (token_hash, family_id, customer_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(refresh_hash(token))
        .bind(family_id)
        .bind(customer_id)
        .bind(now)
        .bind(now + REFRESH_TOKEN_SECONDS)
}

/// The family and owner of a presented token, whatever its state.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct RefreshRow {
    pub family_id: String,
    pub customer_id: String,
}

/// The rotation of `old` into `new`, one batch (one transaction), in this order:
///
/// 0. if `old` was already spent, revoke its whole family (a replay);
/// 1. spend `old` — only while unused, unrevoked and unexpired (the caller checks `changes()`);
/// 2. insert `new` in the same family, only if 1 changed a row;
/// 3. read back the family and customer of `new` (empty when nothing was rotated).
pub fn rotate_batch(old: &str, new: &str, now: i64) -> Vec<Sql> {
    let old_hash = refresh_hash(old);
    vec![
        Sql::new(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = ? AND used_at IS NOT NULL)",
        )
        .bind(now)
        .bind(old_hash.as_str()),
        Sql::new("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?")
            .bind(now)
            .bind(old_hash.as_str())
            .bind(now),
        Sql::new(
            "INSERT INTO refresh_tokens (token_hash, family_id, customer_id, created_at, expires_at) \
             SELECT ?, family_id, customer_id, ?, ? FROM refresh_tokens WHERE token_hash = ? AND changes() = 1",
        )
        .bind(refresh_hash(new))
        .bind(now)
        .bind(now + REFRESH_TOKEN_SECONDS)
        .bind(old_hash.as_str()),
        Sql::new("SELECT family_id, customer_id FROM refresh_tokens WHERE token_hash = ?").bind(refresh_hash(new)),
    ]
}

/// Index in `rotate_batch` of the statement whose `changes()` says whether the token was spent.
pub const ROTATE_SPEND: usize = 1;
/// Index in `rotate_batch` of the read-back of the new token.
pub const ROTATE_RESULT: usize = 3;

/// Revokes the family of `token` (sign-out of that app); nothing if it is unknown.
pub fn revoke_family_sql(token: &str, now: i64) -> Sql {
    Sql::new(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND family_id = \
         (SELECT family_id FROM refresh_tokens WHERE token_hash = ?)",
    )
    .bind(now)
    .bind(refresh_hash(token))
}

/// Revokes every refresh token of a customer (password change or reset, "log out everywhere"):
/// their apps must sign in again, and their access tokens stop working at once.
pub fn revoke_customer_sql(customer_id: &str, now: i64) -> Sql {
    Sql::new("UPDATE refresh_tokens SET revoked_at = ? WHERE customer_id = ? AND revoked_at IS NULL").bind(now).bind(customer_id)
}

/// The customer of an access token, only while the family it came from is not revoked (a family
/// that was signed out, replayed or revoked ends its access tokens too) and the account exists.
pub fn live_family_customer_sql(customer_id: &str, family_id: &str) -> Sql {
    Sql::new(format!(
        "SELECT {} FROM customers c WHERE c.id = ? AND c.deleted_at IS NULL AND EXISTS \
         (SELECT 1 FROM refresh_tokens r WHERE r.family_id = ? AND r.customer_id = c.id AND r.revoked_at IS NULL)",
        super::accounts::CUSTOMER_COLUMNS
    ))
    .bind(customer_id)
    .bind(family_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_as_many_values_as_they_have_placeholders() {
        let mut all = vec![insert_first_sql("t", "f", "c", 1), revoke_family_sql("t", 1), revoke_customer_sql("c", 1), live_family_customer_sql("c", "f")];
        all.extend(rotate_batch("old", "new", 1));
        for sql in all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
    }

    #[test]
    fn only_hashes_of_tokens_are_stored() {
        let sqls = [insert_first_sql("secret-token", "f", "c", 1)].into_iter().chain(rotate_batch("secret-old", "secret-new", 1));
        for sql in sqls {
            for p in &sql.params {
                assert!(!format!("{p:?}").contains("secret-"), "{}", sql.text);
            }
        }
        assert_eq!(refresh_hash("t").len(), 64);
        assert_ne!(refresh_hash("t"), crate::app::accounts::token_hash("t"), "a refresh token is not a one-time link");
    }

    #[test]
    fn the_rotation_spends_before_it_inserts_and_revokes_replays_first() {
        let batch = rotate_batch("old", "new", 1);
        assert!(batch[0].text.contains("used_at IS NOT NULL"), "replay detection reads the state before this rotation");
        assert!(batch[ROTATE_SPEND].text.starts_with("UPDATE refresh_tokens SET used_at"));
        assert!(batch[ROTATE_SPEND].text.contains("used_at IS NULL AND revoked_at IS NULL AND expires_at > ?"));
        assert!(batch[2].text.contains("changes() = 1"));
        assert!(batch[ROTATE_RESULT].text.starts_with("SELECT"));
    }

    #[test]
    fn refresh_tokens_are_64_hex_digits() {
        assert!(is_refresh_token(&"a1".repeat(32)));
        assert!(!is_refresh_token(&"a1".repeat(31)));
        assert!(!is_refresh_token(&"zz".repeat(32)));
    }
}
