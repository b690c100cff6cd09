//! Product search (`/search`, `/api/v1/search`): what the shopper typed, widened by the synonym
//! groups managers keep and by the index's own words one letter away from a long mistyped word,
//! then every concept required — words typed with their marks found with them in the
//! accent-keeping index ("cưới" is not "cuối"), else folded —; if that finds nothing, any concept
//! (`partial`).
//!
//! One batch reads the synonyms and the nearby vocabulary (`product_fts_vocab`), then one batch
//! runs the listing (twice when the fallback runs).

use serde::Deserialize;

use super::admin::{audit_created_sql, audit_sql, Actor};
use super::catalog::{listing, Listing, Scope};
use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, ListingQuery, Problem};
use crate::domain::search::{Expansion, SearchQuery, SynonymGroup};

/// Most index words read for typo matching (the vocabulary of a large catalog is far bigger than
/// the words near in length to a few query words; this bounds a pathological query).
const MAX_VOCABULARY: i64 = 20_000;

#[derive(Deserialize)]
struct WordsRow {
    words: String,
}

#[derive(Deserialize)]
struct TermRow {
    term: String,
}

pub fn synonyms_sql() -> Sql {
    Sql::new("SELECT words FROM search_synonyms ORDER BY id")
}

/// The index's words that may be one letter away from the query's long words (length within one
/// of theirs), and those that begin with the last word (which the shopper may still be typing).
pub fn vocabulary_sql(query: &SearchQuery) -> Option<Sql> {
    let long = query.typo_candidates();
    let min = long.iter().map(|t| t.chars().count()).min()?;
    let max = long.iter().map(|t| t.chars().count()).max()?;
    let last = query.terms().last()?.as_str();
    Some(
        Sql::new(
            "SELECT term FROM product_fts_vocab WHERE (length(term) BETWEEN ? AND ?) OR substr(term, 1, ?) = ? \
             LIMIT ?",
        )
        .bind(i64::try_from(min).unwrap_or(0) - 1)
        .bind(i64::try_from(max).unwrap_or(0) + 1)
        .bind(i64::try_from(last.chars().count()).unwrap_or(0))
        .bind(last)
        .bind(MAX_VOCABULARY),
    )
}

// --- the synonym groups managers keep (`/admin/search-words`) -----------------------------------

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SynonymRow {
    pub id: i64,
    pub words: String,
}

/// Why a group was not saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynonymError {
    /// Fewer than two entries, an entry of more than three words or 40 characters, or more than 20.
    Invalid,
    /// The same group exists.
    Duplicate,
    NotFound,
}

pub async fn synonym_rows(db: &impl Db) -> Result<Vec<SynonymRow>, DbError> {
    db.all(&Sql::new("SELECT id, words FROM search_synonyms ORDER BY id")).await
}

fn group_json(words: &str) -> serde_json::Value {
    serde_json::json!({ "words": words })
}

/// Adds a group as typed (`vest, gile, gilê`), normalised; audited (`search_synonyms.create`).
pub async fn add_group(db: &impl Db, actor: &Actor<'_>, typed: &str, now: i64) -> Result<Result<(), SynonymError>, DbError> {
    let Some(group) = SynonymGroup::parse(typed) else { return Ok(Err(SynonymError::Invalid)) };
    let words = group.text();
    let insert = Sql::new("INSERT INTO search_synonyms (words, created_at, updated_at) VALUES (?, ?, ?)").bind(words.as_str()).bind(now).bind(now);
    match db.batch(&[insert, audit_created_sql(actor, "search_synonyms.create", "search_synonyms", "search_synonyms", &group_json(&words), now)]).await {
        Ok(_) => Ok(Ok(())),
        Err(e) if e.is_constraint() => Ok(Err(SynonymError::Duplicate)),
        Err(e) => Err(e),
    }
}

/// Replaces a group's entries; audited with what it was and what it becomes.
pub async fn update_group(db: &impl Db, actor: &Actor<'_>, id: i64, typed: &str, now: i64) -> Result<Result<(), SynonymError>, DbError> {
    let Some(group) = SynonymGroup::parse(typed) else { return Ok(Err(SynonymError::Invalid)) };
    let Some(before) = synonym_rows(db).await?.into_iter().find(|r| r.id == id) else { return Ok(Err(SynonymError::NotFound)) };
    let words = group.text();
    let update = Sql::new("UPDATE search_synonyms SET words = ?, updated_at = ? WHERE id = ?").bind(words.as_str()).bind(now).bind(id);
    let audit = audit_sql(actor, "search_synonyms.update", "search_synonyms", &id.to_string(), Some(&group_json(&before.words)), Some(&group_json(&words)), now);
    match db.batch(&[update, audit]).await {
        Ok(_) => Ok(Ok(())),
        Err(e) if e.is_constraint() => Ok(Err(SynonymError::Duplicate)),
        Err(e) => Err(e),
    }
}

/// Removes a group, audited; `false` when there was none.
pub async fn remove_group(db: &impl Db, actor: &Actor<'_>, id: i64, now: i64) -> Result<bool, DbError> {
    let Some(before) = synonym_rows(db).await?.into_iter().find(|r| r.id == id) else { return Ok(false) };
    let delete = Sql::new("DELETE FROM search_synonyms WHERE id = ?").bind(id);
    let audit = audit_sql(actor, "search_synonyms.delete", "search_synonyms", &id.to_string(), Some(&group_json(&before.words)), None, now);
    Ok(db.batch(&[delete, audit]).await?.first().is_some_and(|r| r.changes() > 0))
}

/// The synonym groups and the nearby vocabulary. Should the vocabulary not be readable (a database
/// without the fts5vocab module), the search goes on without typo tolerance rather than failing.
async fn expansion_data(db: &impl Db, query: &SearchQuery) -> Result<(Vec<SynonymGroup>, Vec<String>), DbError> {
    let groups = |rows: Vec<WordsRow>| rows.iter().filter_map(|r| SynonymGroup::parse(&r.words)).collect::<Vec<_>>();
    let Some(vocabulary) = vocabulary_sql(query) else {
        return Ok((groups(db.all(&synonyms_sql()).await?), Vec::new()));
    };
    match db.batch(&[synonyms_sql(), vocabulary]).await {
        Ok(results) => {
            let [synonyms, terms] = super::db::expect_n(results, "search words")?;
            Ok((groups(synonyms.decode()?), terms.decode::<TermRow>()?.into_iter().map(|t| t.term).collect()))
        }
        Err(_) => Ok((groups(db.all(&synonyms_sql()).await?), Vec::new())),
    }
}

/// The search listing for `q.q`, and whether it had to settle for results matching only some of
/// the words.
pub async fn search(db: &impl Db, q: &ListingQuery) -> Result<(Listing, bool), AppError> {
    let text = q.q.as_deref().unwrap_or_default();
    let query = SearchQuery::parse(text).map_err(|e| vec![FieldError { field: "q", problem: Problem::Search(e) }])?;
    let Some(query) = query else { return Ok((Listing::default(), false)) };
    let (synonyms, vocabulary) = expansion_data(db, &query).await?;
    let x = Expansion { synonyms: &synonyms, vocabulary: &vocabulary };
    let all = Scope { fts_match: Some(query.match_all_with(&x)), exact_match: query.match_exact_with(&x), ..Scope::default() };
    let found = listing(db, &all, q).await?;
    if found.total > 0 {
        return Ok((found, false));
    }
    // Accents that match nothing as typed (a typo in a mark, another spelling): the folded search.
    if all.exact_match.is_some() {
        let folded = Scope { exact_match: None, ..all };
        let found = listing(db, &folded, q).await?;
        if found.total > 0 {
            return Ok((found, false));
        }
    }
    if query.terms().len() < 2 {
        return Ok((Listing::default(), false));
    }
    let any = Scope { fts_match: Some(query.match_any_with(&x)), ..Scope::default() };
    Ok((listing(db, &any, q).await?, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::listing::parse_query;

    fn names(db: &Sqlite, typed: &str) -> (Vec<String>, bool) {
        let pairs = parse_query(&format!("q={}", crate::domain::listing::percent_encode_component(typed)));
        let q = ListingQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap();
        let (found, partial) = block_on(search(db, &q)).unwrap();
        (found.cards.iter().map(|c| c.name_vi.clone()).collect(), partial)
    }

    #[test]
    fn vest_gile_gilet_and_ghi_le_are_one_word_to_the_search() {
        let db = Sqlite::demo();
        let wedding = names(&db, "vest cưới");
        assert!(!wedding.1, "every word found: {wedding:?}");
        assert!(wedding.0.iter().any(|n| n.contains("cưới")), "the wedding vests: {wedding:?}");
        // The field vest speaks of weekend ("cuối tuần") camping: "cuối" folds like "cưới" but is not it.
        assert!(wedding.0.iter().all(|n| !n.to_lowercase().contains("dã ngoại")), "not the outdoor vest: {wedding:?}");
        let unaccented = names(&db, "vest cuoi").0;
        assert!(unaccented.iter().any(|n| n.contains("dã ngoại")) && unaccented.iter().any(|n| n.contains("cưới")), "without marks, both: {unaccented:?}");
        // A mark typed wrong still finds what the folded words find.
        assert_eq!(names(&db, "gilé").0.len(), names(&db, "gile").0.len());
        let gile = names(&db, "gile").0;
        assert!(!gile.is_empty());
        for typed in ["gilet", "gilê", "ghi lê", "vest"] {
            let mut found = names(&db, typed).0;
            let mut want = gile.clone();
            found.sort();
            want.sort();
            assert_eq!(found, want, "{typed} finds what gile finds");
        }
    }

    #[test]
    fn english_plurals_and_puffers_find_the_down_vest() {
        let db = Sqlite::demo();
        let (puffer, partial) = names(&db, "puffer vest");
        assert!(!partial);
        assert!(puffer.iter().any(|n| n.contains("lông vũ siêu nhẹ")), "the ultralight down vest: {puffer:?}");
        let (vests, _) = names(&db, "vests");
        assert!(vests.len() > 5, "vests finds the vests: {}", vests.len());
        let mut singular = names(&db, "vest").0;
        let mut plural = names(&db, "vests").0;
        singular.sort();
        plural.sort();
        assert_eq!(plural, singular);
    }

    #[test]
    fn managers_keep_the_groups_and_every_change_is_audited() {
        let db = Sqlite::demo();
        let actor = Actor { id: "m", email: "m@vestify.vn", ip: "" };
        let audits = || db.int("SELECT COUNT(*) FROM audit_log WHERE entity = 'search_synonyms'");
        assert_eq!(block_on(add_group(&db, &actor, " Áo Khoác , jacket,ÁO KHOÁC", 1)).unwrap(), Ok(()));
        let rows = block_on(synonym_rows(&db)).unwrap();
        let added = rows.iter().find(|r| r.words == "áo khoác, jacket").expect("normalised");
        assert_eq!(block_on(add_group(&db, &actor, "áo khoác, jacket", 2)).unwrap(), Err(SynonymError::Duplicate));
        assert_eq!(block_on(add_group(&db, &actor, "jacket", 2)).unwrap(), Err(SynonymError::Invalid));
        assert_eq!(block_on(update_group(&db, &actor, added.id, "áo khoác, jacket, coat", 3)).unwrap(), Ok(()));
        assert_eq!(block_on(update_group(&db, &actor, 9_999, "a, b", 3)).unwrap(), Err(SynonymError::NotFound));
        assert!(block_on(remove_group(&db, &actor, added.id, 4)).unwrap());
        assert!(!block_on(remove_group(&db, &actor, added.id, 4)).unwrap());
        assert_eq!(audits(), 3, "create, update, delete");
    }

    #[test]
    fn one_wrong_letter_in_a_long_word_still_finds_it() {
        let db = Sqlite::demo();
        let right = names(&db, "ultralight").0;
        assert!(!right.is_empty());
        for typo in ["ultralihgt", "ultrlight", "ultralightt", "ultrakight"] {
            assert_eq!(names(&db, typo).0, right, "{typo}");
        }
        assert!(names(&db, "ultrxxight").0.is_empty(), "two wrong letters are not forgiven");
        // A managers' new group takes effect at the next search.
        assert!(names(&db, "bodywarmer").0.is_empty());
        db.exec("INSERT INTO search_synonyms (words) VALUES ('bodywarmer, gile')");
        assert_eq!(names(&db, "bodywarmer").0.len(), names(&db, "gile").0.len());
    }
}
