//! Admin users and the audit log as data. Every admin write is one batch whose last statement is its
//! audit row, gated on the write having happened (`changes()`), so the log has a row for exactly
//! the writes that took place. The application never updates or deletes audit rows (and the table's
//! triggers refuse to).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::sql::{Sql, SqlValue};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AdminRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "id, email, name, role, password_hash, disabled_at";

pub fn admin_by_email_sql(email: &str) -> Sql {
    Sql::new(format!("SELECT {COLUMNS} FROM admin_users WHERE email = ? AND disabled_at IS NULL")).bind(email)
}

pub fn admin_by_id_sql(id: &str) -> Sql {
    Sql::new(format!("SELECT {COLUMNS} FROM admin_users WHERE id = ?")).bind(id)
}

pub fn admins_sql() -> Sql {
    Sql::new(format!("SELECT {COLUMNS} FROM admin_users ORDER BY created_at, email"))
}

/// Who did it and from where.
pub struct Actor<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub ip: &'a str,
}

/// The audit row of a write, inserted only if the statement before it in the batch changed a row.
pub fn audit_sql(actor: &Actor, action: &str, entity: &str, entity_id: &str, before: Option<&Value>, after: Option<&Value>, now: i64) -> Sql {
    audit(actor, action, entity, AuditedId::Given(entity_id), before, after, now)
}

/// The audit row of a row inserted earlier in the same batch (its id is not known yet: it is the
/// table's newest).
pub fn audit_created_sql(actor: &Actor, action: &str, entity: &str, table: &'static str, after: &Value, now: i64) -> Sql {
    audit(actor, action, entity, AuditedId::Newest(table), None, Some(after), now)
}

enum AuditedId<'a> {
    Given(&'a str),
    Newest(&'static str),
}

fn audit(actor: &Actor, action: &str, entity: &str, id: AuditedId, before: Option<&Value>, after: Option<&Value>, now: i64) -> Sql {
    let json = |v: Option<&Value>| v.map_or(SqlValue::Null, |v| SqlValue::Text(v.to_string()));
    let id_expr = match id {
        AuditedId::Given(_) => "?".to_string(),
        AuditedId::Newest(table) => format!("(SELECT MAX(id) FROM {table})"),
    };
    let mut sql = Sql::new(format!(
        "INSERT INTO audit_log (at, actor_id, actor_email, action, entity, entity_id, before, after, ip) \
         SELECT ?, ?, ?, ?, ?, {id_expr}, ?, ?, ? WHERE changes() > 0"
    ))
    .bind(now)
    .bind(actor.id)
    .bind(actor.email)
    .bind(action)
    .bind(entity);
    if let AuditedId::Given(entity_id) = id {
        sql.params.push(entity_id.into());
    }
    sql.params.push(json(before));
    sql.params.push(json(after));
    sql.bind(actor.ip)
}

pub fn create_admin_sql(id: &str, email: &str, name: &str, role: &str, password_hash: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO admin_users (id, email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT(email) DO NOTHING",
    )
    .bind(id)
    .bind(email)
    .bind(name)
    .bind(role)
    .bind(password_hash)
    .bind(now)
    .bind(now)
}

/// Changes a role, but never leaves the shop without an active owner.
pub fn set_role_sql(id: &str, role: &str, now: i64) -> Sql {
    Sql::new(
        "UPDATE admin_users SET role = ?, updated_at = ? WHERE id = ? AND role <> ? AND disabled_at IS NULL AND \
         (role <> 'owner' OR (SELECT COUNT(*) FROM admin_users WHERE role = 'owner' AND disabled_at IS NULL) > 1)",
    )
    .bind(role)
    .bind(now)
    .bind(id)
    .bind(role)
}

/// Disables an admin (never the last active owner).
pub fn disable_sql(id: &str, now: i64) -> Sql {
    Sql::new(
        "UPDATE admin_users SET disabled_at = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL AND \
         (role <> 'owner' OR (SELECT COUNT(*) FROM admin_users WHERE role = 'owner' AND disabled_at IS NULL) > 1)",
    )
    .bind(now)
    .bind(now)
    .bind(id)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_email: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub ip: String,
}

pub fn audit_page_sql(before_id: Option<i64>, limit: i64) -> Sql {
    let sql = Sql::new(format!(
        "SELECT id, at, actor_email, action, entity, entity_id, before, after, ip FROM audit_log {} ORDER BY id DESC LIMIT ?",
        if before_id.is_some() { "WHERE id < ?" } else { "" }
    ));
    match before_id {
        Some(id) => sql.bind(id).bind(limit),
        None => sql.bind(limit),
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomerListRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: i64,
    pub orders: i64,
}

/// Customers whose email starts with `prefix` (an exact lookup when it is a whole address).
pub fn customers_sql(prefix: &str) -> Sql {
    let escaped: String = prefix.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    Sql::new(
        "SELECT c.id, c.email, c.name, c.created_at, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id) AS orders \
         FROM customers c WHERE c.deleted_at IS NULL AND c.email LIKE ? ESCAPE '\\' ORDER BY c.email LIMIT 50",
    )
    .bind(format!("{escaped}%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_as_many_values_as_they_have_placeholders() {
        let actor = Actor { id: "a", email: "o@x.vn", ip: "1.2.3.4" };
        let v = serde_json::json!({"role": "staff"});
        for sql in [
            admin_by_email_sql("e"),
            admin_by_id_sql("i"),
            admins_sql(),
            audit_sql(&actor, "admin.role", "admin_user", "i", Some(&v), Some(&v), 1),
            audit_sql(&actor, "admin.create", "admin_user", "i", None, Some(&v), 1),
            create_admin_sql("i", "e", "n", "staff", "h", 1),
            set_role_sql("i", "staff", 1),
            disable_sql("i", 1),
            audit_page_sql(None, 50),
            audit_page_sql(Some(9), 50),
            customers_sql("a_b%"),
        ] {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
    }

    #[test]
    fn audit_rows_are_only_written_after_a_change_and_carry_json() {
        let actor = Actor { id: "a", email: "o@x.vn", ip: "1.2.3.4" };
        let sql = audit_sql(&actor, "admin.role", "admin_user", "i", Some(&serde_json::json!({"role": "staff"})), None, 1);
        assert!(sql.text.contains("WHERE changes() > 0"));
        assert!(sql.params.contains(&SqlValue::Text("{\"role\":\"staff\"}".into())));
        assert!(sql.params.contains(&SqlValue::Null));
    }

    #[test]
    fn customer_search_escapes_like_wildcards() {
        assert_eq!(customers_sql("a_b%").params, vec![SqlValue::Text("a\\_b\\%%".into())]);
    }
}
