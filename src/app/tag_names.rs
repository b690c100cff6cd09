//! The English names of product tags (`tag_translations`, migration 0033), kept by managers at
//! `/admin/tags`. Tags are written in Vietnamese on products; English pages show each tag by its
//! English name here, or as written where none is set (`catalog::tags_sql`). Every change is
//! audited; the caller bumps the catalog version so cached English pages show it at once.

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::sql::Sql;

/// The longest English name (the table's CHECK says the same).
pub const MAX_NAME: usize = 60;

/// A tag in use, with how many products carry it and its English name if set.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TagRow {
    pub tag: String,
    pub products: i64,
    pub name_en: Option<String>,
}

/// Why a name was not saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagNameError {
    /// Longer than [`MAX_NAME`] characters, or with a line break.
    Invalid,
    /// No product carries the tag.
    NotFound,
}

/// Every tag products carry (ordered as stored), with its product count and English name.
pub async fn tag_rows(db: &impl Db) -> Result<Vec<TagRow>, DbError> {
    db.all(&Sql::new(
        "SELECT t.tag, COUNT(*) AS products, tt.name_en FROM product_tags t LEFT JOIN tag_translations tt ON tt.tag = t.tag \
         GROUP BY t.tag ORDER BY t.tag",
    ))
    .await
}

/// The name as it will be stored: trimmed, inner spaces collapsed; `None` (no name: English pages
/// show the tag as written) for an empty one.
pub fn parse_name(typed: &str) -> Result<Option<String>, TagNameError> {
    if typed.contains(['\n', '\r']) {
        return Err(TagNameError::Invalid);
    }
    let name = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Ok(None),
        n if n > MAX_NAME => Err(TagNameError::Invalid),
        _ => Ok(Some(name)),
    }
}

/// Sets (or, with an empty name, removes) a tag's English name; audited (`tag_translation.update`)
/// with what it was and what it becomes. `Ok(Ok(false))`: it was already so (nothing written).
pub async fn set_name(db: &impl Db, actor: &Actor<'_>, tag: &str, typed: &str, now: i64) -> Result<Result<bool, TagNameError>, DbError> {
    let name = match parse_name(typed) {
        Ok(name) => name,
        Err(e) => return Ok(Err(e)),
    };
    let Some(before) = tag_rows(db).await?.into_iter().find(|r| r.tag == tag) else { return Ok(Err(TagNameError::NotFound)) };
    if before.name_en == name {
        return Ok(Ok(false));
    }
    let write = match &name {
        Some(n) => Sql::new("INSERT INTO tag_translations (tag, name_en) VALUES (?, ?) ON CONFLICT (tag) DO UPDATE SET name_en = excluded.name_en")
            .bind(tag)
            .bind(n.as_str()),
        None => Sql::new("DELETE FROM tag_translations WHERE tag = ?").bind(tag),
    };
    let audit = audit_sql(actor, "tag_translation.update", "tag", tag, Some(&json!({"name_en": before.name_en})), Some(&json!({"name_en": name})), now);
    db.batch(&[write, audit]).await?;
    Ok(Ok(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    const ACTOR: Actor = Actor { id: "a1", email: "m@vestify.vn", ip: "" };

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  slim   fit "), Ok(Some("slim fit".into())));
        assert_eq!(parse_name("   "), Ok(None));
        assert_eq!(parse_name(&"x".repeat(61)), Err(TagNameError::Invalid));
        assert_eq!(parse_name(&"ư".repeat(60)), Ok(Some("ư".repeat(60))), "characters, not bytes");
        assert_eq!(parse_name("a\nb"), Err(TagNameError::Invalid));
    }

    #[test]
    fn a_manager_sets_changes_and_clears_a_tags_english_name_audited() {
        let db = Sqlite::demo();
        let rows = block_on(tag_rows(&db)).unwrap();
        let tag = rows.iter().find(|r| r.tag == "cổ tim").expect("a demo tag");
        assert_eq!(tag.name_en.as_deref(), Some("V-neck"));
        assert!(tag.products > 0);
        let english = || block_on(db.all::<TagRow>(&Sql::new("SELECT tag, 0 AS products, name_en FROM tag_translations WHERE tag = 'cổ tim'"))).unwrap();
        assert_eq!(block_on(set_name(&db, &ACTOR, "cổ tim", " V neck ", 10)).unwrap(), Ok(true));
        assert_eq!(english()[0].name_en.as_deref(), Some("V neck"));
        assert_eq!(block_on(set_name(&db, &ACTOR, "cổ tim", "V neck", 11)).unwrap(), Ok(false), "the same name writes nothing");
        assert_eq!(block_on(set_name(&db, &ACTOR, "cổ tim", "", 12)).unwrap(), Ok(true));
        assert!(english().is_empty(), "cleared: English pages show the tag as written");
        let audits = db.text("SELECT group_concat(before || '→' || after, ' | ') FROM audit_log WHERE action = 'tag_translation.update' AND entity_id = 'cổ tim'");
        assert_eq!(audits, r#"{"name_en":"V-neck"}→{"name_en":"V neck"} | {"name_en":"V neck"}→{"name_en":null}"#);
        assert_eq!(block_on(set_name(&db, &ACTOR, "không có", "none", 13)).unwrap(), Err(TagNameError::NotFound));
        assert_eq!(block_on(set_name(&db, &ACTOR, "cổ tim", &"x".repeat(61), 14)).unwrap(), Err(TagNameError::Invalid));
    }
}
