//! Social identities over D1: who a (provider, subject) signs in as, linking one to an account,
//! an account made by social sign-in, the account page's list, and unlinking — which never leaves
//! an account without a way to sign in (one conditional statement).

use serde::Deserialize;

use super::accounts::{attach_guest_orders_sql, create_customer_sql, verify_email_batch};
use super::sql::Sql;
use crate::domain::oauth::Provider;

/// The live account a social identity signs in as (same columns as `accounts::CustomerRow`).
pub fn customer_by_identity_sql(provider: Provider, subject: &str) -> Sql {
    Sql::new(
        "SELECT c.id, c.email, c.email_verified_at, c.name, c.phone, c.password_hash, c.cart_id, c.created_at \
         FROM social_identities s JOIN customers c ON c.id = s.customer_id WHERE s.provider = ? AND s.subject = ? AND c.deleted_at IS NULL",
    )
    .bind(provider.code())
    .bind(subject)
}

/// Links the identity to the account unless it is linked already (to anyone): `changes()` says.
pub fn link_sql(provider: Provider, subject: &str, customer_id: &str, email: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO social_identities (provider, subject, customer_id, email, created_at) \
         SELECT ?, ?, id, ?, ? FROM customers WHERE id = ? AND deleted_at IS NULL ON CONFLICT(provider, subject) DO NOTHING",
    )
    .bind(provider.code())
    .bind(subject)
    .bind(email)
    .bind(now)
    .bind(customer_id)
}

/// A new account (no password) and its identity in one transaction. The account insert does
/// nothing if the email was taken meanwhile, and then neither does the link (it needs the new id).
/// An email the provider verified is marked verified, and guest orders with it are attached.
pub fn create_with_identity_batch(id: &str, email: &str, name: &str, verified: bool, provider: Provider, subject: &str, now: i64) -> Vec<Sql> {
    let mut batch = vec![create_customer_sql(id, email, name, None, now), link_sql(provider, subject, id, email, now)];
    if verified {
        batch.extend(verify_email_batch(id, email, now));
    }
    batch
}

/// After a link to an existing account proven by its password: the provider's verified email is
/// the account's, so it counts as verified too.
pub fn link_batch(provider: Provider, subject: &str, customer_id: &str, email: &str, verified: bool, now: i64) -> Vec<Sql> {
    let mut batch = vec![link_sql(provider, subject, customer_id, email, now)];
    if verified {
        batch.extend(verify_email_batch(customer_id, email, now));
    } else {
        batch.push(attach_guest_orders_sql(customer_id));
    }
    batch
}

#[derive(Clone, Debug, Deserialize)]
pub struct IdentityRow {
    pub provider: String,
}

pub fn identities_sql(customer_id: &str) -> Sql {
    Sql::new("SELECT provider FROM social_identities WHERE customer_id = ? ORDER BY created_at").bind(customer_id)
}

/// Unlinks only while the account keeps a way to sign in: a password or another identity.
pub fn unlink_sql(customer_id: &str, provider: Provider) -> Sql {
    Sql::new(
        "DELETE FROM social_identities WHERE customer_id = ?1 AND provider = ?2 AND \
         ((SELECT password_hash FROM customers WHERE id = ?1) IS NOT NULL \
          OR (SELECT COUNT(*) FROM social_identities WHERE customer_id = ?1) > 1)",
    )
    .bind(customer_id)
    .bind(provider.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_as_many_values_as_they_have_placeholders() {
        let mut all = vec![customer_by_identity_sql(Provider::Google, "s"), identities_sql("c")];
        all.extend(create_with_identity_batch("c", "a@b.vn", "An", true, Provider::Apple, "s", 1));
        all.extend(create_with_identity_batch("c", "a@b.vn", "An", false, Provider::Apple, "s", 1));
        all.extend(link_batch(Provider::Facebook, "s", "c", "a@b.vn", false, 1));
        all.extend(link_batch(Provider::Facebook, "s", "c", "a@b.vn", true, 1));
        for sql in all {
            let numbered = sql.text.contains("?1");
            assert!(numbered || sql.placeholder_count() == sql.params.len(), "{}", sql.text);
        }
        let unlink = unlink_sql("c", Provider::Google);
        assert_eq!(unlink.params.len(), 2);
    }

    #[test]
    fn a_new_account_is_verified_only_when_the_provider_says_so() {
        let texts = |b: Vec<Sql>| b.iter().map(|s| s.text.clone()).collect::<Vec<_>>().join("\n");
        assert!(texts(create_with_identity_batch("c", "a@b.vn", "", true, Provider::Google, "s", 1)).contains("email_verified_at"));
        assert!(!texts(create_with_identity_batch("c", "a@b.vn", "", false, Provider::Facebook, "s", 1)).contains("email_verified_at"));
    }
}
