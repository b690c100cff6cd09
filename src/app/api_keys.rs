//! API keys for server-to-server use, built like the app tokens (`app::api_tokens`): 256 random bits
//! shown once, stored only as a hash, looked up by that hash on each use, revocable. An owner
//! creates and revokes them in the admin (`/admin/api-keys`), each write with its audit row in the
//! same batch. A key carries scopes; each scope opens the `/api/v1/server/…` routes listed in
//! `Scope::routes` (docs/SECURITY.md, "API keys").

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_created_sql, audit_sql, Actor};
use super::sql::Sql;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Variants with their SKU, price and stock counts.
    CatalogRead,
    /// Every order, paged, and one order.
    OrdersRead,
    /// Marking an order shipped with its carrier and tracking number.
    OrdersWrite,
    /// Setting a variant's on-hand count (a compare-and-set adjustment in the stock ledger).
    StockWrite,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::CatalogRead, Scope::OrdersRead, Scope::OrdersWrite, Scope::StockWrite];

    pub fn code(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
            Scope::StockWrite => "stock:write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.code() == s)
    }

    /// The routes the scope opens (for the admin page and the docs).
    pub fn routes(self) -> &'static str {
        match self {
            Scope::CatalogRead => "GET /api/v1/server/variants/{sku}",
            Scope::OrdersRead => "GET /api/v1/server/orders, GET /api/v1/server/orders/{id}",
            Scope::OrdersWrite => "POST /api/v1/server/orders/{id}/fulfil",
            Scope::StockWrite => "PUT /api/v1/server/variants/{sku}/stock",
        }
    }
}

/// The scopes of a stored key (unknown words are ignored: a scope removed later grants nothing).
pub fn parse_scopes(s: &str) -> Vec<Scope> {
    Scope::ALL.into_iter().filter(|scope| s.split_whitespace().any(|w| w == scope.code())).collect()
}

/// The scopes ticked on the admin's form, in `Scope::ALL`'s order; `None` when none is (or an
/// unknown one is) given.
pub fn scopes_from_form(values: &[&str]) -> Option<Vec<Scope>> {
    if values.is_empty() || values.iter().any(|v| Scope::parse(v).is_none()) {
        return None;
    }
    Some(Scope::ALL.into_iter().filter(|s| values.contains(&s.code())).collect())
}

/// How a key starts: recognisable in logs and by secret scanners.
pub const KEY_PREFIX: &str = "vsk_";
/// How many characters of a key the admin list shows.
const SHOWN: usize = 12;

/// A key as given to its owner: `vsk_` and 64 hex digits (256 random bits).
pub fn key_from_random(hex: &str) -> String {
    format!("{KEY_PREFIX}{hex}")
}

/// Whether `key` has the shape of one we issue; anything else is refused unread.
pub fn is_key(key: &str) -> bool {
    key.strip_prefix(KEY_PREFIX).is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The stored form of a key.
pub fn key_hash(key: &str) -> String {
    crate::domain::signature::sha256_hex(format!("api-key:{key}").as_bytes())
}

/// The longest name a key may have.
pub const MAX_NAME_CHARS: usize = 80;

/// The key's row and its audit row (the key itself is in neither), one batch.
pub fn create_batch(actor: &Actor, name: &str, key: &str, scopes: &[Scope], now: i64) -> Vec<Sql> {
    let codes = scopes.iter().map(|s| s.code()).collect::<Vec<_>>().join(" ");
    let prefix: String = key.chars().take(SHOWN).collect();
    vec![
        Sql::new("INSERT INTO api_keys (name, prefix, key_hash, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(name)
            .bind(prefix.as_str())
            .bind(key_hash(key))
            .bind(codes.as_str())
            .bind(actor.id)
            .bind(now),
        audit_created_sql(actor, "api_key.create", "api_key", "api_keys", &json!({"name": name, "prefix": prefix, "scopes": codes}), now),
    ]
}

/// Revokes a live key and audits it; `changes()` of the first is 0 for an unknown or revoked key.
pub fn revoke_batch(actor: &Actor, id: i64, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now).bind(id),
        audit_sql(actor, "api_key.revoke", "api_key", &id.to_string(), None, Some(&json!({"revoked_at": now})), now),
    ]
}

/// A key as the admin list shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub fn keys_sql() -> Sql {
    Sql::new("SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_keys ORDER BY revoked_at IS NOT NULL, id DESC")
}

/// A live key presented with a request.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LiveKey {
    pub id: i64,
    pub name: String,
    pub scopes: String,
}

impl LiveKey {
    pub fn allows(&self, scope: Scope) -> bool {
        parse_scopes(&self.scopes).contains(&scope)
    }
}

/// The live key with this secret (none if unknown or revoked), marking its use (at most once a
/// minute, so a busy key does not write on every request), in one batch: [touch, read].
pub fn use_key_batch(key: &str, now: i64) -> [Sql; 2] {
    let hash = key_hash(key);
    [
        Sql::new("UPDATE api_keys SET last_used_at = ? WHERE key_hash = ? AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ?)")
            .bind(now)
            .bind(hash.as_str())
            .bind(now - 60),
        Sql::new("SELECT id, name, scopes FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL").bind(hash),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::db::Db;
    use crate::app::testing::{block_on, Sqlite};

    const OWNER: Actor = Actor { id: "a1", email: "owner@vestify.vn", ip: "203.0.113.1" };

    fn live(db: &Sqlite, key: &str, now: i64) -> Option<LiveKey> {
        let results = block_on(db.batch(&use_key_batch(key, now))).unwrap();
        results[1].decode::<LiveKey>().unwrap().into_iter().next()
    }

    #[test]
    fn scopes_parse_from_the_form_and_the_row() {
        assert_eq!(scopes_from_form(&["stock:write", "catalog:read"]), Some(vec![Scope::CatalogRead, Scope::StockWrite]));
        assert_eq!(scopes_from_form(&[]), None);
        assert_eq!(scopes_from_form(&["catalog:read", "admin"]), None, "an unknown scope is refused, not dropped");
        assert_eq!(parse_scopes("orders:read  retired:scope stock:write"), vec![Scope::OrdersRead, Scope::StockWrite]);
        assert!(is_key(&key_from_random(&"ab".repeat(32))));
        assert!(!is_key(&"ab".repeat(34)));
        assert!(!is_key("vsk_zz"));
    }

    #[test]
    fn a_key_is_stored_hashed_audited_usable_with_its_scopes_and_revocable_once() {
        let db = Sqlite::migrated();
        let key = key_from_random(&"1f".repeat(32));
        let batch = create_batch(&OWNER, "ERP", &key, &[Scope::OrdersRead, Scope::StockWrite], 10);
        for sql in &batch {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
            assert!(!format!("{:?}", sql.params).contains(&key), "the key itself is never stored");
        }
        block_on(db.batch(&batch)).unwrap();
        assert_eq!(db.text("SELECT prefix FROM api_keys"), "vsk_1f1f1f1f");
        assert_eq!(db.text("SELECT action || ' ' || entity_id FROM audit_log"), "api_key.create 1");
        let found = live(&db, &key, 100).unwrap();
        assert!(found.allows(Scope::StockWrite) && found.allows(Scope::OrdersRead));
        assert!(!found.allows(Scope::OrdersWrite) && !found.allows(Scope::CatalogRead));
        assert_eq!(db.int("SELECT last_used_at FROM api_keys"), 100);
        live(&db, &key, 130);
        assert_eq!(db.int("SELECT last_used_at FROM api_keys"), 100, "touched at most once a minute");
        assert!(live(&db, &key_from_random(&"2f".repeat(32)), 100).is_none());

        let revoke = revoke_batch(&OWNER, found.id, 200);
        block_on(db.batch(&revoke)).unwrap();
        assert!(live(&db, &key, 300).is_none(), "a revoked key opens nothing");
        block_on(db.batch(&revoke)).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'api_key.revoke'"), 1, "a second revoke changes and audits nothing");
        let rows: Vec<KeyRow> = block_on(db.all(&keys_sql())).unwrap();
        assert_eq!((rows[0].revoked_at, rows[0].scopes.as_str()), (Some(200), "orders:read stock:write"));
    }
}
