//! Importing the products CSV: the dry run's review (the pure `domain::catalog_csv::plan` plus the
//! checks that need the signed-in role or the whole file), the draft that carries a reviewed plan
//! to its confirmation, and the statements that apply it.
//!
//! Nothing is written by a dry run except the draft (`import_drafts`, keyed by a random id and the
//! CSV's SHA-256). Confirming applies exactly the stored plan, never a re-read file: every update
//! is guarded by the values the dry run saw, and every stock move is compare-and-set through
//! `app::inventory` (`on_hand = expected`, checked by `changes()`), so a row that changed meanwhile
//! is reported as a conflict instead of overwritten. Each write carries its audit row.
//!
//! [`confirm`] is the confirmation as a use case: claim the draft (once), apply its steps in
//! batches, and report what applied and what conflicted.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::db::{expect_n, Db, DbError};
use super::inventory::{Adjustment, Reason};
use super::sql::{Sql, SqlValue};
use crate::domain::catalog_csv::{Change, Existing, FileProblem, ImportError, Plan, RowProblem, VariantRow};
use crate::domain::locale::Locale;

/// How long a dry run can be confirmed.
pub const DRAFT_SECONDS: i64 = 3600;

/// A planned change with what the dry run saw before it (for the guards and the audit's "before").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub change: Change,
    pub before: Option<VariantRow>,
}

/// A problem the review adds to the CSV's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Issue {
    Csv(RowProblem),
    /// Setting or changing a price needs the "change prices" permission.
    NeedsPricePermission,
    /// An archived product must go back to draft before it is sold again.
    ArchivedToActive,
    /// Two variants of one product with the same size and colour.
    DuplicateSizeColor { sku: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowIssue {
    pub line: usize,
    pub column: &'static str,
    pub issue: Issue,
}

/// The dry run as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Review {
    pub steps: Vec<Step>,
    pub issues: Vec<RowIssue>,
    pub unchanged: usize,
}

impl Review {
    pub fn is_clean(&self) -> bool {
        self.issues.is_empty()
    }
}

/// Reviews a plan: the CSV's errors, then what this role may not do and what the file cannot mean.
pub fn review(plan: Plan, existing: &HashMap<String, Existing>, can_price: bool) -> Review {
    let mut issues: Vec<RowIssue> = plan.errors.iter().map(|e: &ImportError| RowIssue { line: e.line, column: e.column, issue: Issue::Csv(e.problem.clone()) }).collect();
    let product_before: HashMap<&str, &VariantRow> = existing.values().map(|e| (e.row.product_slug.as_str(), &e.row)).collect();
    // Size × colour per product after the import: the catalog's, overridden by the file's rows.
    let mut final_rows: HashMap<String, (String, String, String)> =
        existing.values().map(|e| (e.row.sku.clone(), (e.row.product_slug.clone(), e.row.size.clone(), e.row.color.clone()))).collect();
    let mut steps = Vec::new();
    for change in plan.changes {
        let before = match &change {
            Change::UpdateVariant { row, .. } => existing.get(&row.sku).map(|e| e.row.clone()),
            Change::UpdateProduct { row, .. } => product_before.get(row.product_slug.as_str()).map(|r| (*r).clone()),
            _ => None,
        };
        match (&change, &before) {
            (Change::CreateVariant { line, .. }, _) if !can_price => issues.push(RowIssue { line: *line, column: "price", issue: Issue::NeedsPricePermission }),
            (Change::UpdateVariant { line, row }, Some(b)) if !can_price && (b.price != row.price || b.compare_at_price != row.compare_at_price) => {
                issues.push(RowIssue { line: *line, column: "price", issue: Issue::NeedsPricePermission })
            }
            (Change::UpdateProduct { line, row }, Some(b)) if !b.product_status.can_move_to(row.product_status) => {
                issues.push(RowIssue { line: *line, column: "product_status", issue: Issue::ArchivedToActive })
            }
            _ => {}
        }
        if let Change::CreateVariant { row, .. } | Change::UpdateVariant { row, .. } = &change {
            final_rows.insert(row.sku.clone(), (row.product_slug.clone(), row.size.clone(), row.color.clone()));
        }
        steps.push(Step { change, before });
    }
    let mut owner: HashMap<&(String, String, String), &str> = HashMap::new();
    let mut skus: Vec<&String> = final_rows.keys().collect();
    skus.sort();
    let mut clashes: HashMap<&str, String> = HashMap::new();
    for sku in skus {
        if let Some(key) = final_rows.get(sku) {
            if let Some(first) = owner.insert(key, sku) {
                clashes.insert(sku.as_str(), first.to_string());
                clashes.insert(first, sku.to_string());
            }
        }
    }
    for step in &steps {
        if let Change::CreateVariant { line, row } | Change::UpdateVariant { line, row } = &step.change {
            if let Some(other) = clashes.get(row.sku.as_str()) {
                issues.push(RowIssue { line: *line, column: "size", issue: Issue::DuplicateSizeColor { sku: other.clone() } });
            }
        }
    }
    crate::domain::sort::sort_by_key(&mut issues, |i| (i.line, i.column));
    issues.dedup();
    Review { steps, issues, unchanged: plan.unchanged }
}

/// What each variant has reserved; the rows themselves are the export's (`admin_catalog::export_sql`).
pub fn reserved_sql() -> Sql {
    Sql::new("SELECT sku, reserved FROM variants")
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReservedRow {
    pub sku: String,
    pub reserved: i64,
}

/// The catalog as the plan compares with it: the exported rows with what each SKU has reserved.
pub fn existing_map(rows: Vec<VariantRow>, reserved: &[ReservedRow]) -> HashMap<String, Existing> {
    let held: HashMap<&str, i64> = reserved.iter().map(|r| (r.sku.as_str(), r.reserved)).collect();
    rows.into_iter().map(|row| {
        let reserved = held.get(row.sku.as_str()).copied().unwrap_or(0);
        (row.sku.clone(), Existing { row, reserved })
    }).collect()
}

/// Category slugs, size codes and colour codes, as `(kind, code)` rows.
pub fn vocabulary_sql() -> Sql {
    Sql::new("SELECT 'category' AS kind, slug AS code FROM categories UNION ALL SELECT 'size', code FROM sizes UNION ALL SELECT 'color', code FROM colors")
}

#[derive(Clone, Debug, Deserialize)]
pub struct VocabularyRow {
    pub kind: String,
    pub code: String,
}

pub fn vocabulary_sets(rows: &[VocabularyRow]) -> (HashSet<String>, HashSet<String>, HashSet<String>) {
    let set = |kind: &str| rows.iter().filter(|r| r.kind == kind).map(|r| r.code.clone()).collect::<HashSet<String>>();
    (set("category"), set("size"), set("color"))
}

// --- the draft -------------------------------------------------------------------------------

/// The most JSON one part of a draft holds (D1 rows stay under 2 MB).
pub const PART_CHARS: usize = 900_000;

/// The draft row and its parts: the steps as JSON arrays of at most [`PART_CHARS`] each.
pub fn save_draft_sql(id: &str, admin_id: &str, csv_sha256: &str, steps: &[Step], now: i64) -> Result<Vec<Sql>, serde_json::Error> {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 0;
    for step in steps {
        let json = serde_json::to_string(step)?;
        if size + json.len() > PART_CHARS && !current.is_empty() {
            parts.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 0;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(format!("[{}]", current.join(",")));
    }
    let mut out = vec![Sql::new("INSERT INTO import_drafts (id, admin_id, csv_sha256, parts, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(admin_id)
        .bind(csv_sha256)
        .bind(parts.len() as i64)
        .bind(now)];
    out.extend(parts.into_iter().enumerate().map(|(i, steps)| {
        Sql::new("INSERT INTO import_draft_parts (draft_id, part, steps) VALUES (?, ?, ?)").bind(id).bind(i as i64).bind(steps)
    }));
    Ok(out)
}

pub fn draft_parts_sql(id: &str) -> Sql {
    Sql::new("SELECT steps FROM import_draft_parts WHERE draft_id = ? ORDER BY part").bind(id)
}

#[derive(Clone, Debug, Deserialize)]
pub struct PartRow {
    pub steps: String,
}

/// The steps back from a draft's parts, in order; `None` if a part is missing.
pub fn steps_from_parts(draft: &DraftRow, parts: &[PartRow]) -> Result<Option<Vec<Step>>, serde_json::Error> {
    if parts.len() as i64 != draft.parts {
        return Ok(None);
    }
    let mut steps = Vec::new();
    for part in parts {
        steps.extend(serde_json::from_str::<Vec<Step>>(&part.steps)?);
    }
    Ok(Some(steps))
}

/// Claims a draft for applying: only its author, only with the CSV hash it was made from, only
/// once, only while fresh. `changes() = 1` says the claim worked.
pub fn claim_draft_sql(id: &str, admin_id: &str, csv_sha256: &str, now: i64) -> Sql {
    Sql::new("UPDATE import_drafts SET applied_at = ? WHERE id = ? AND admin_id = ? AND csv_sha256 = ? AND applied_at IS NULL AND created_at > ?")
        .bind(now)
        .bind(id)
        .bind(admin_id)
        .bind(csv_sha256)
        .bind(now - DRAFT_SECONDS)
}

pub fn draft_sql(id: &str) -> Sql {
    Sql::new("SELECT id, admin_id, csv_sha256, parts, created_at, applied_at FROM import_drafts WHERE id = ?").bind(id)
}

#[derive(Clone, Debug, Deserialize)]
pub struct DraftRow {
    pub id: String,
    pub admin_id: String,
    pub csv_sha256: String,
    pub parts: i64,
    pub created_at: i64,
    pub applied_at: Option<i64>,
}

/// Why a draft could not be confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftRefusal {
    Missing,
    Expired,
    AlreadyApplied,
    /// The confirmation names another file than the one reviewed.
    OtherFile,
}

pub fn why_refused(draft: Option<&DraftRow>, admin_id: &str, csv_sha256: &str, now: i64) -> DraftRefusal {
    match draft {
        None => DraftRefusal::Missing,
        Some(d) if d.admin_id != admin_id => DraftRefusal::Missing,
        Some(d) if d.applied_at.is_some() => DraftRefusal::AlreadyApplied,
        Some(d) if d.csv_sha256 != csv_sha256 => DraftRefusal::OtherFile,
        Some(d) if d.created_at <= now - DRAFT_SECONDS => DraftRefusal::Expired,
        Some(_) => DraftRefusal::Missing,
    }
}

// --- applying --------------------------------------------------------------------------------

fn opt_text(v: &Option<String>) -> SqlValue {
    v.clone().map_or(SqlValue::Null, SqlValue::Text)
}

/// The statements of one product or variant step: the guarded write first (its `changes()` says
/// whether it applied), then its audit row. Stock steps are written by [`stock_statements`].
pub fn step_statements(actor: &Actor, step: &Step, now: i64) -> Vec<Sql> {
    match &step.change {
        Change::CreateProduct { row, .. } => vec![
            Sql::new(
                "INSERT INTO products (slug, category_id, name_vi, name_en, status) SELECT ?, c.id, ?, ?, ? FROM categories c \
                 WHERE c.slug = ? AND NOT EXISTS (SELECT 1 FROM products WHERE slug = ?)",
            )
            .bind(row.product_slug.as_str())
            .bind(row.name_vi.as_str())
            .bind(row.name_en.as_str())
            .bind(row.product_status.code())
            .bind(row.category_slug.as_str())
            .bind(row.product_slug.as_str()),
            audit_sql(actor, "import.product.create", "product", &row.product_slug, None, Some(&product_json(row)), now),
        ],
        Change::UpdateProduct { row, .. } => {
            let Some(b) = &step.before else { return Vec::new() };
            vec![
                Sql::new(
                    "UPDATE products SET status = ?, category_id = (SELECT id FROM categories WHERE slug = ?), name_vi = ?, name_en = ?, \
                     updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
                     WHERE slug = ? AND status = ? AND name_vi = ? AND name_en = ? AND category_id = (SELECT id FROM categories WHERE slug = ?) \
                     AND EXISTS (SELECT 1 FROM categories WHERE slug = ?)",
                )
                .bind(row.product_status.code())
                .bind(row.category_slug.as_str())
                .bind(row.name_vi.as_str())
                .bind(row.name_en.as_str())
                .bind(row.product_slug.as_str())
                .bind(b.product_status.code())
                .bind(b.name_vi.as_str())
                .bind(b.name_en.as_str())
                .bind(b.category_slug.as_str())
                .bind(row.category_slug.as_str()),
                audit_sql(actor, "import.product.update", "product", &row.product_slug, Some(&product_json(b)), Some(&product_json(row)), now),
            ]
        }
        Change::CreateVariant { row, .. } => {
            let mut insert = Sql::new(
                "INSERT INTO variants (product_id, sku, size, color, price, compare_at_price, barcode, weight_grams, status, position) \
                 SELECT p.id, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM variants WHERE product_id = p.id) \
                 FROM products p WHERE p.slug = ? AND EXISTS (SELECT 1 FROM sizes WHERE code = ?) AND EXISTS (SELECT 1 FROM colors WHERE code = ?) \
                 AND NOT EXISTS (SELECT 1 FROM variants WHERE sku = ? OR (product_id = p.id AND size = ? AND color = ?) OR (? IS NOT NULL AND barcode = ?))",
            )
            .bind(row.sku.as_str())
            .bind(row.size.as_str())
            .bind(row.color.as_str())
            .bind(row.price);
            insert.params.extend([SqlValue::from(row.compare_at_price), opt_text(&row.barcode)]);
            let insert = insert
                .bind(row.weight_grams)
                .bind(row.variant_status.code())
                .bind(row.product_slug.as_str())
                .bind(row.size.as_str())
                .bind(row.color.as_str())
                .bind(row.sku.as_str())
                .bind(row.size.as_str())
                .bind(row.color.as_str())
                .bind(opt_text(&row.barcode))
                .bind(opt_text(&row.barcode));
            vec![insert, audit_sql(actor, "import.variant.create", "variant", &row.sku, None, Some(&variant_json(row)), now)]
        }
        Change::UpdateVariant { row, .. } => {
            let Some(b) = &step.before else { return Vec::new() };
            let mut update = Sql::new(
                "UPDATE variants SET size = ?, color = ?, price = ?, compare_at_price = ?, barcode = ?, weight_grams = ?, status = ?, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
                 WHERE sku = ? AND size = ? AND color = ? AND price = ? AND compare_at_price IS ? AND barcode IS ? AND weight_grams = ? AND status = ? \
                 AND NOT EXISTS (SELECT 1 FROM variants o WHERE o.sku <> ? AND ((o.product_id = variants.product_id AND o.size = ? AND o.color = ?) OR (? IS NOT NULL AND o.barcode = ?)))",
            )
            .bind(row.size.as_str())
            .bind(row.color.as_str())
            .bind(row.price);
            update.params.extend([SqlValue::from(row.compare_at_price), opt_text(&row.barcode)]);
            let mut update = update
                .bind(row.weight_grams)
                .bind(row.variant_status.code())
                .bind(row.sku.as_str())
                .bind(b.size.as_str())
                .bind(b.color.as_str())
                .bind(b.price);
            update.params.extend([SqlValue::from(b.compare_at_price), opt_text(&b.barcode)]);
            let update = update
                .bind(b.weight_grams)
                .bind(b.variant_status.code())
                .bind(row.sku.as_str())
                .bind(row.size.as_str())
                .bind(row.color.as_str())
                .bind(opt_text(&row.barcode))
                .bind(opt_text(&row.barcode));
            let mut out = vec![update, audit_sql(actor, "import.variant.update", "variant", &row.sku, Some(&variant_json(b)), Some(&variant_json(row)), now)];
            if row.price < b.price {
                out.extend(super::alerts::price_changed_sku(&row.sku, now));
            }
            out
        }
        Change::Stock { .. } => Vec::new(),
    }
}

/// The request id of a stock move: one per draft and line, so a retried confirmation moves once.
pub fn stock_request_id(draft: &str, line: usize) -> String {
    format!("import-{draft}-{line}")
}

/// A stock step as the ledger batch (conditional on the count the dry run saw) and its audit row.
pub fn stock_statements(actor: &Actor, draft: &str, variant_id: i64, line: usize, sku: &str, expected: i64, delta: i64, now: i64) -> Vec<Sql> {
    let who = format!("admin:{}", actor.id);
    let request_id = stock_request_id(draft, line);
    let note = format!("CSV import, line {line}");
    let a = Adjustment { variant_id, delta, reason: Reason::Import, note: &note, actor: &who, request_id: &request_id, expected_on_hand: Some(expected), now };
    // Audited, and an added count is a restock: its back-in-stock wave goes in the same batch.
    let audit = audit_sql(
        actor,
        "import.stock",
        "variant",
        &variant_id.to_string(),
        Some(&json!({"sku": sku, "on_hand": expected})),
        Some(&json!({"sku": sku, "on_hand": expected + delta, "delta": delta, "request_id": request_id})),
        now,
    );
    super::alerts::restock(&a, audit)
}

/// Ids of the named SKUs.
pub fn variant_ids_sql(skus: &[&str]) -> Sql {
    let mut sql = Sql::new(format!("SELECT id, sku, on_hand, reserved FROM variants WHERE sku IN ({})", Sql::placeholders(skus.len())));
    sql.params.extend(skus.iter().map(|s| SqlValue::Text(s.to_string())));
    sql
}

#[derive(Clone, Debug, Deserialize)]
pub struct VariantIdRow {
    pub id: i64,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
}

fn product_json(r: &VariantRow) -> serde_json::Value {
    json!({"slug": r.product_slug, "status": r.product_status, "category": r.category_slug, "name_vi": r.name_vi, "name_en": r.name_en})
}

fn variant_json(r: &VariantRow) -> serde_json::Value {
    json!({"sku": r.sku, "size": r.size, "color": r.color, "price": r.price, "compare_at_price": r.compare_at_price, "barcode": r.barcode,
        "weight_grams": r.weight_grams, "status": r.variant_status})
}

// --- confirming ------------------------------------------------------------------------------

/// Steps per batch when applying (each is two or three statements).
const CHUNK: usize = 25;
/// SKUs per lookup (D1 binds at most 100 values per statement).
const SKUS_PER_LOOKUP: usize = 90;

/// Why one step of a confirmed draft did not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictReason {
    /// The product or variant changed since the dry run, or clashes with another item.
    Changed,
    /// The variant of a stock step does not exist (its creation did not apply).
    NoVariant,
    /// On hand is no longer what the dry run saw.
    StockChanged { expected: i64, now: i64 },
    /// The new count would be below what carts and unpaid orders hold.
    BelowHeld { reserved: i64 },
    /// The variant is gone.
    Gone,
}

/// A step that did not apply: its CSV line and SKU or product slug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportConflict {
    pub line: usize,
    pub item: String,
    pub why: ConflictReason,
}

/// What confirming a draft did.
#[derive(Debug, Default)]
pub struct Confirmed {
    /// Steps applied.
    pub applied: usize,
    /// Steps not applied, by line.
    pub conflicts: Vec<ImportConflict>,
    /// Why single steps failed in the database (for the log; each is also a conflict).
    pub failures: Vec<DbError>,
}

/// Why a draft was not applied at all.
#[derive(Debug)]
pub enum ConfirmError {
    Refused(DraftRefusal),
    /// The draft's stored steps cannot be read back.
    BadDraft(String),
    Db(DbError),
}

impl From<DbError> for ConfirmError {
    fn from(e: DbError) -> Self {
        ConfirmError::Db(e)
    }
}

impl fmt::Display for ConfirmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmError::Refused(r) => write!(f, "draft refused: {r:?}"),
            ConfirmError::BadDraft(why) => write!(f, "import draft: {why}"),
            ConfirmError::Db(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ConfirmError {}

fn step_item(step: &Step) -> (usize, String) {
    match &step.change {
        Change::CreateProduct { line, row } | Change::UpdateProduct { line, row } => (*line, row.product_slug.clone()),
        Change::CreateVariant { line, row } | Change::UpdateVariant { line, row } => (*line, row.sku.clone()),
        Change::Stock { line, sku, .. } => (*line, sku.clone()),
    }
}

/// Sends groups of statements in batches of [`CHUNK`] groups; for each group, whether its first
/// statement changed a row (`None` when it failed: a batch that fails, e.g. on a constraint the
/// guards missed, is retried one group at a time, so one bad row spoils only itself).
async fn run_groups(db: &impl Db, groups: &[Vec<Sql>], failures: &mut Vec<DbError>) -> Vec<Option<bool>> {
    let mut out = Vec::with_capacity(groups.len());
    for chunk in groups.chunks(CHUNK) {
        let flat: Vec<Sql> = chunk.iter().flatten().cloned().collect();
        match db.batch(&flat).await {
            Ok(results) => {
                let mut at = 0;
                for g in chunk {
                    out.push(Some(!g.is_empty() && results.get(at).is_some_and(|r| r.changes() > 0)));
                    at += g.len();
                }
            }
            Err(_) => {
                for g in chunk {
                    out.push(match db.batch(g).await {
                        Ok(results) => Some(results.first().is_some_and(|r| r.changes() > 0)),
                        Err(e) => {
                            failures.push(e);
                            None
                        }
                    });
                }
            }
        }
    }
    out
}

async fn variants_by_sku(db: &impl Db, skus: &[&str]) -> Result<HashMap<String, VariantIdRow>, DbError> {
    let mut out = HashMap::new();
    for chunk in skus.chunks(SKUS_PER_LOOKUP) {
        for row in db.all::<VariantIdRow>(&variant_ids_sql(chunk)).await? {
            out.insert(row.sku.clone(), row);
        }
    }
    Ok(out)
}

/// Applies a reviewed draft: claims it (its author, the same file, once, while fresh) with the
/// confirmation's audit row, then writes products, then variants, each guarded by what the dry run
/// saw, then the stock moves (compare-and-set on the count the dry run saw, each in the ledger).
/// A step that no longer fits is reported, never forced.
pub async fn confirm(db: &impl Db, actor: &Actor<'_>, draft_id: &str, sha256: &str, now: i64) -> Result<Confirmed, ConfirmError> {
    let summary = json!({"draft": draft_id, "sha256": sha256});
    let claim = [
        claim_draft_sql(draft_id, actor.id, sha256, now),
        audit_sql(actor, "import.confirm", "import", draft_id, None, Some(&summary), now),
        draft_sql(draft_id),
        draft_parts_sql(draft_id),
    ];
    let [claimed, _, draft, parts] = expect_n::<4>(db.batch(&claim).await?, "import claim")?;
    let draft: Option<DraftRow> = draft.first()?;
    if claimed.changes() == 0 {
        return Err(ConfirmError::Refused(why_refused(draft.as_ref(), actor.id, sha256, now)));
    }
    let draft = draft.ok_or(DbError::Shape("claimed draft"))?;
    let steps = steps_from_parts(&draft, &parts.decode::<PartRow>()?)
        .map_err(|e| ConfirmError::BadDraft(e.to_string()))?
        .ok_or_else(|| ConfirmError::BadDraft("a part is missing".into()))?;
    let mut done = Confirmed::default();

    // Products first, then variants (each guarded by what the dry run saw).
    let (catalog_steps, stock_steps): (Vec<&Step>, Vec<&Step>) = steps.iter().partition(|s| !matches!(s.change, Change::Stock { .. }));
    let groups: Vec<Vec<Sql>> = catalog_steps.iter().map(|s| step_statements(actor, s, now)).collect();
    for (step, result) in catalog_steps.iter().zip(run_groups(db, &groups, &mut done.failures).await) {
        if result == Some(true) {
            done.applied += 1;
        } else {
            let (line, item) = step_item(step);
            done.conflicts.push(ImportConflict { line, item, why: ConflictReason::Changed });
        }
    }

    // Stock: compare-and-set against the count the dry run saw, each move in the ledger.
    let skus: Vec<&str> = stock_steps.iter().filter_map(|s| if let Change::Stock { sku, .. } = &s.change { Some(sku.as_str()) } else { None }).collect();
    let ids = variants_by_sku(db, &skus).await?;
    let mut moves = Vec::new();
    let mut groups = Vec::new();
    for step in &stock_steps {
        let Change::Stock { line, sku, expected, delta } = &step.change else { continue };
        match ids.get(sku) {
            Some(v) => {
                groups.push(stock_statements(actor, &draft.id, v.id, *line, sku, *expected, *delta, now));
                moves.push((*line, sku.clone(), *expected));
            }
            None => done.conflicts.push(ImportConflict { line: *line, item: sku.clone(), why: ConflictReason::NoVariant }),
        }
    }
    let results = run_groups(db, &groups, &mut done.failures).await;
    let lost: Vec<&str> = moves.iter().zip(&results).filter(|(_, ok)| **ok != Some(true)).map(|((_, sku, _), _)| sku.as_str()).collect();
    let now_counts = variants_by_sku(db, &lost).await?;
    for ((line, sku, expected), ok) in moves.into_iter().zip(results) {
        if ok == Some(true) {
            done.applied += 1;
            continue;
        }
        let why = match now_counts.get(&sku) {
            Some(v) if v.on_hand != expected => ConflictReason::StockChanged { expected, now: v.on_hand },
            Some(v) => ConflictReason::BelowHeld { reserved: v.reserved },
            None => ConflictReason::Gone,
        };
        done.conflicts.push(ImportConflict { line, item: sku, why });
    }
    crate::domain::sort::sort_by_key(&mut done.conflicts, |c| c.line);
    Ok(done)
}

// --- words -----------------------------------------------------------------------------------

/// Why a confirmation was refused, in the reader's language.
pub fn refusal_text(r: DraftRefusal, locale: Locale) -> &'static str {
    let vi = locale == Locale::Vi;
    match r {
        DraftRefusal::AlreadyApplied => if vi { "Lần nhập này đã được áp dụng." } else { "This import has already been applied." },
        DraftRefusal::OtherFile => {
            if vi {
                "Mã SHA-256 không khớp với tệp đã chạy thử; hãy chạy thử lại tệp này."
            } else {
                "The SHA-256 does not match the file of the dry run; run this file again."
            }
        }
        DraftRefusal::Expired => if vi { "Lần chạy thử đã quá một giờ; hãy chạy thử lại." } else { "The dry run is over an hour old; run it again." },
        DraftRefusal::Missing => if vi { "Không tìm thấy lần chạy thử này." } else { "No such dry run." },
    }
}

/// Why a step did not apply, in the reader's language.
pub fn conflict_text(why: &ConflictReason, locale: Locale) -> String {
    let vi = locale == Locale::Vi;
    match why {
        ConflictReason::Changed => {
            (if vi { "Đã thay đổi kể từ lần chạy thử (hoặc trùng với mục khác); không ghi đè." } else { "Changed since the dry run (or clashes with another item); not overwritten." }).into()
        }
        ConflictReason::NoVariant => {
            (if vi { "Biến thể không tồn tại (chưa tạo được); tồn kho không đổi." } else { "The variant does not exist (it could not be created); stock unchanged." }).into()
        }
        ConflictReason::StockChanged { expected, now } => {
            if vi {
                format!("Tồn kho đã thay đổi: lúc chạy thử là {expected}, bây giờ là {now}; không ghi đè.")
            } else {
                format!("Stock changed: {expected} at the dry run, {now} now; not overwritten.")
            }
        }
        ConflictReason::BelowHeld { reserved } => {
            if vi {
                format!("Tồn kho mới thấp hơn số đang được giữ ({reserved}); không đổi.")
            } else {
                format!("The new count is below what is held ({reserved}); unchanged.")
            }
        }
        ConflictReason::Gone => (if vi { "Biến thể không còn; không đổi." } else { "The variant is gone; unchanged." }).into(),
    }
}

/// A row problem in the reader's language.
pub fn issue_text(issue: &Issue, locale: Locale) -> String {
    let vi = locale == Locale::Vi;
    let s = |a: &str, b: &str| if vi { a.to_string() } else { b.to_string() };
    match issue {
        Issue::Csv(p) => match p {
            RowProblem::Missing => s("Bắt buộc, đang để trống.", "Required, but empty."),
            RowProblem::NotANumber => s("Không phải số nguyên.", "Not a whole number."),
            RowProblem::Negative => s("Không được âm.", "Must not be negative."),
            RowProblem::CompareAtNotAbovePrice => s("Giá so sánh phải cao hơn giá bán.", "The compare-at price must be above the price."),
            RowProblem::UnknownValue => s("Giá trị không có trong cửa hàng.", "Not a value the shop knows."),
            RowProblem::BadSlug => s("Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.", "A slug is lowercase letters, digits and hyphens."),
            RowProblem::DuplicateSku => s("SKU này đã xuất hiện ở dòng trên.", "This SKU appears on an earlier line."),
            RowProblem::BelowReserved { reserved } => {
                if vi {
                    format!("Thấp hơn số đang được giữ cho giỏ hàng và đơn chưa thanh toán ({reserved}).")
                } else {
                    format!("Below what carts and unpaid orders hold ({reserved}).")
                }
            }
            RowProblem::ProductMismatch { line } => {
                if vi {
                    format!("Thông tin sản phẩm khác với dòng {line} của cùng sản phẩm.")
                } else {
                    format!("Product fields differ from line {line} of the same product.")
                }
            }
            RowProblem::DuplicateBarcode => s("Mã vạch này thuộc về SKU khác.", "This barcode belongs to another SKU."),
            RowProblem::SkuOfAnotherProduct => s("SKU này thuộc về sản phẩm khác.", "This SKU belongs to another product."),
        },
        Issue::NeedsPricePermission => s("Đặt hoặc đổi giá cần quyền đổi giá (quản lý, chủ cửa hàng).", "Setting or changing a price needs the change-prices permission (manager, owner)."),
        Issue::ArchivedToActive => s("Sản phẩm lưu trữ phải về bản nháp trước khi bán lại.", "An archived product must go back to draft before it is sold again."),
        Issue::DuplicateSizeColor { sku } => {
            if vi {
                format!("Cỡ × màu này trùng với SKU {sku} của cùng sản phẩm.")
            } else {
                format!("This size × colour is already SKU {sku} of the same product.")
            }
        }
    }
}

/// A problem with the file as a whole, in the reader's language.
pub fn file_problem_text(p: &FileProblem, locale: Locale) -> String {
    let vi = locale == Locale::Vi;
    match p {
        FileProblem::Unreadable(e) => {
            if vi {
                format!("Không đọc được tệp CSV: {e}.")
            } else {
                format!("The CSV file could not be read: {e}.")
            }
        }
        FileProblem::Empty => (if vi { "Tệp trống." } else { "The file is empty." }).to_string(),
        FileProblem::TooManyRows => {
            if vi {
                format!("Tối đa {} dòng mỗi lần nhập.", crate::domain::catalog_csv::MAX_ROWS)
            } else {
                format!("At most {} rows per import.", crate::domain::catalog_csv::MAX_ROWS)
            }
        }
        FileProblem::UnknownColumn(c) => if vi { format!("Cột không rõ: “{c}”.") } else { format!("Unknown column: “{c}”.") },
        FileProblem::MissingColumn(c) => if vi { format!("Thiếu cột “{c}”.") } else { format!("Missing column “{c}”.") },
        FileProblem::DuplicateColumn(c) => if vi { format!("Cột “{c}” xuất hiện hai lần.") } else { format!("Column “{c}” appears twice.") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{ProductStatus, VariantStatus};
    use crate::domain::catalog_csv::{export, plan, Vocabulary};
    use crate::domain::money::Vnd;

    fn row(sku: &str, size: &str, on_hand: i64) -> VariantRow {
        VariantRow {
            product_slug: "gile-len".into(),
            product_status: ProductStatus::Active,
            category_slug: "gile".into(),
            name_vi: "Gile len".into(),
            name_en: "Knit vest".into(),
            sku: sku.into(),
            size: size.into(),
            color: "navy".into(),
            price: Vnd::new(450_000),
            compare_at_price: None,
            on_hand,
            barcode: None,
            weight_grams: 300,
            variant_status: VariantStatus::Active,
        }
    }

    fn run(existing: &[VariantRow], file: &[VariantRow], can_price: bool) -> Review {
        let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<HashSet<String>>();
        let (c, s, k) = (set(&["gile"]), set(&["S", "M", "L"]), set(&["navy"]));
        let existing: HashMap<String, Existing> = existing.iter().map(|r| (r.sku.clone(), Existing { row: r.clone(), reserved: 0 })).collect();
        let p = plan(&export(file), &existing, &Vocabulary { categories: &c, sizes: &s, colors: &k }).unwrap();
        review(p, &existing, can_price)
    }

    #[test]
    fn an_unchanged_export_reviews_to_nothing() {
        let rows = [row("A", "M", 3), row("B", "L", 0)];
        let r = run(&rows, &rows, false);
        assert_eq!((r.steps.len(), r.issues.len(), r.unchanged), (0, 0, 2));
    }

    #[test]
    fn prices_need_the_price_permission_but_stock_does_not() {
        let existing = [row("A", "M", 3)];
        let r = run(&existing, &[VariantRow { price: Vnd::new(1), ..row("A", "M", 5) }, row("B", "L", 1)], false);
        let got: Vec<(usize, Issue)> = r.issues.iter().map(|i| (i.line, i.issue.clone())).collect();
        assert_eq!(got, vec![(2, Issue::NeedsPricePermission), (3, Issue::NeedsPricePermission)]);
        assert!(run(&existing, &[row("A", "M", 9)], false).is_clean());
        let manager = run(&existing, &[VariantRow { price: Vnd::new(1), ..row("A", "M", 5) }, row("B", "L", 1)], true);
        assert!(manager.is_clean());
        assert_eq!(manager.steps[0].before.as_ref().map(|b| b.price), Some(Vnd::new(450_000)));
    }

    #[test]
    fn two_skus_with_one_size_and_colour_are_refused() {
        let r = run(&[row("A", "M", 3)], &[row("A", "M", 3), row("B", "M", 1)], true);
        assert_eq!(r.issues.iter().map(|i| (i.line, i.issue.clone())).collect::<Vec<_>>(), vec![(3, Issue::DuplicateSizeColor { sku: "A".into() })]);
    }

    #[test]
    fn archived_products_do_not_jump_to_active() {
        let old = VariantRow { product_status: ProductStatus::Archived, ..row("A", "M", 3) };
        let r = run(&[old], &[row("A", "M", 3)], true);
        assert_eq!(r.issues.first().map(|i| i.issue.clone()), Some(Issue::ArchivedToActive));
    }

    #[test]
    fn every_statement_binds_its_placeholders() {
        let actor = Actor { id: "a", email: "a@x.vn", ip: "" };
        let r = run(&[row("A", "M", 3), VariantRow { product_slug: "old".into(), name_vi: "Cũ".into(), ..row("Z", "S", 0) }], &[
            VariantRow { price: Vnd::new(1), barcode: Some("12345678".into()), ..row("A", "M", 5) },
            row("B", "L", 1),
            VariantRow { product_slug: "moi".into(), ..row("C", "M", 2) },
            VariantRow { product_slug: "old".into(), name_vi: "Mới".into(), ..row("Z", "S", 0) },
        ], true);
        assert!(r.is_clean(), "{:?}", r.issues);
        let mut all: Vec<Sql> = r.steps.iter().flat_map(|s| step_statements(&actor, s, 1)).collect();
        all.extend(stock_statements(&actor, "d", 1, 2, "A", 3, 2, 1));
        all.extend([variant_ids_sql(&["A", "B"]), reserved_sql(), vocabulary_sql(), claim_draft_sql("d", "a", "h", 1), draft_sql("d")]);
        all.extend(save_draft_sql("d", "a", "h", &r.steps, 1).unwrap());
        all.push(draft_parts_sql("d"));
        for sql in &all {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
        let kinds: Vec<&str> = r.steps.iter().map(|s| match s.change {
            Change::CreateProduct { .. } => "cp",
            Change::UpdateProduct { .. } => "up",
            Change::CreateVariant { .. } => "cv",
            Change::UpdateVariant { .. } => "uv",
            Change::Stock { .. } => "st",
        }).collect();
        assert_eq!(kinds, vec!["cp", "up", "uv", "st", "cv", "st", "cv", "st"]);
        let back: Vec<Step> = serde_json::from_str(&serde_json::to_string(&r.steps).unwrap()).unwrap();
        assert_eq!(back, r.steps);
    }

    #[test]
    fn a_large_plan_is_kept_in_parts_and_read_back_whole() {
        let step = Step { change: Change::CreateVariant { line: 2, row: VariantRow { name_vi: "x".repeat(2000), ..row("A", "M", 1) } }, before: None };
        let steps: Vec<Step> = (0..1000).map(|i| Step { change: match &step.change { Change::CreateVariant { row, .. } => Change::CreateVariant { line: i + 2, row: row.clone() }, c => c.clone() }, before: None }).collect();
        let sql = save_draft_sql("d", "a", "h", &steps, 1).unwrap();
        let parts: Vec<PartRow> = sql[1..].iter().map(|s| match s.params.get(2) { Some(SqlValue::Text(t)) => PartRow { steps: t.clone() }, _ => PartRow { steps: String::new() } }).collect();
        assert!(parts.len() >= 3, "{} parts", parts.len());
        assert!(parts.iter().all(|p| p.steps.len() <= PART_CHARS + 1));
        let draft = DraftRow { id: "d".into(), admin_id: "a".into(), csv_sha256: "h".into(), parts: parts.len() as i64, created_at: 1, applied_at: None };
        assert_eq!(steps_from_parts(&draft, &parts).unwrap(), Some(steps.clone()));
        assert_eq!(steps_from_parts(&draft, &parts[1..]).unwrap(), None, "a missing part is noticed");
        let empty = save_draft_sql("e", "a", "h", &[], 1).unwrap();
        assert_eq!(empty.len(), 2);
    }

    mod confirming {
        use super::super::*;
        use crate::app::admin_catalog::export_sql;
        use crate::app::testing::{block_on, Sqlite};
        use crate::domain::catalog_csv::{export, plan, Vocabulary};
        use crate::domain::media::sha256_hex;
        use crate::domain::money::Vnd;

        const NOW: i64 = 1_800_000_000;
        const OWNER: Actor<'static> = Actor { id: "admin-1", email: "owner@vestify.vn", ip: "127.0.0.1" };

        /// The dry run as the panel makes it: the catalog read through the port, the edited export
        /// planned and reviewed, the draft saved. Answers the file's SHA-256.
        fn dry_run(db: &Sqlite, draft: &str, edit: impl FnOnce(&mut [VariantRow])) -> String {
            let rows: Vec<VariantRow> = block_on(db.all(&export_sql())).unwrap();
            let reserved: Vec<ReservedRow> = block_on(db.all(&reserved_sql())).unwrap();
            let mut file = rows.clone();
            edit(&mut file);
            let existing = existing_map(rows, &reserved);
            let words: Vec<VocabularyRow> = block_on(db.all(&vocabulary_sql())).unwrap();
            let (categories, sizes, colors) = vocabulary_sets(&words);
            let text = export(&file);
            let planned = plan(&text, &existing, &Vocabulary { categories: &categories, sizes: &sizes, colors: &colors }).unwrap();
            let reviewed = review(planned, &existing, true);
            assert!(reviewed.is_clean(), "{:?}", reviewed.issues);
            let hash = sha256_hex(text.as_bytes());
            block_on(db.batch(&save_draft_sql(draft, OWNER.id, &hash, &reviewed.steps, NOW).unwrap())).unwrap();
            hash
        }

        fn on_hand(db: &Sqlite, sku: &str) -> i64 {
            db.int(&format!("SELECT on_hand FROM variants WHERE sku = '{sku}'"))
        }

        #[test]
        fn a_draft_confirmed_twice_changes_the_catalog_once() {
            let db = Sqlite::demo();
            let (mut priced, mut counted) = (String::new(), String::new());
            let hash = dry_run(&db, "d1", |rows| {
                rows[0].price = rows[0].price.checked_add(Vnd::new(10_000)).unwrap();
                rows[1].on_hand += 5;
                (priced, counted) = (rows[0].sku.clone(), rows[1].sku.clone());
            });
            let price = db.int(&format!("SELECT price FROM variants WHERE sku = '{priced}'"));
            let stock = on_hand(&db, &counted);

            let done = block_on(confirm(&db, &OWNER, "d1", &hash, NOW + 60)).unwrap();
            assert_eq!((done.applied, done.conflicts.as_slice()), (2, &[][..]));
            let again = block_on(confirm(&db, &OWNER, "d1", &hash, NOW + 61));
            assert!(matches!(again, Err(ConfirmError::Refused(DraftRefusal::AlreadyApplied))), "{again:?}");

            assert_eq!(db.int(&format!("SELECT price FROM variants WHERE sku = '{priced}'")), price + 10_000, "priced once");
            assert_eq!(on_hand(&db, &counted), stock + 5, "counted once");
            assert_eq!(db.int("SELECT COUNT(*) FROM stock_ledger"), 1);
            assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'import.confirm'"), 1);
        }

        #[test]
        fn stock_that_moved_since_the_dry_run_is_reported_not_overwritten() {
            let db = Sqlite::demo();
            let mut sku = String::new();
            let hash = dry_run(&db, "d1", |rows| {
                rows[0].on_hand += 5;
                sku = rows[0].sku.clone();
            });
            let seen = on_hand(&db, &sku);
            db.exec(&format!("UPDATE variants SET on_hand = on_hand + 1 WHERE sku = '{sku}'"));
            let done = block_on(confirm(&db, &OWNER, "d1", &hash, NOW + 60)).unwrap();
            assert_eq!(done.applied, 0);
            assert_eq!(done.conflicts, [ImportConflict { line: 2, item: sku.clone(), why: ConflictReason::StockChanged { expected: seen, now: seen + 1 } }]);
            assert_eq!(on_hand(&db, &sku), seen + 1);
        }

        #[test]
        fn only_its_author_may_confirm_a_fresh_draft_of_the_same_file() {
            let db = Sqlite::demo();
            let hash = dry_run(&db, "d1", |rows| rows[0].on_hand += 1);
            let stranger = Actor { id: "admin-2", ..OWNER };
            let refusal = |r: Result<Confirmed, ConfirmError>| match r {
                Err(ConfirmError::Refused(why)) => why,
                other => panic!("{other:?}"),
            };
            assert_eq!(refusal(block_on(confirm(&db, &stranger, "d1", &hash, NOW + 60))), DraftRefusal::Missing);
            assert_eq!(refusal(block_on(confirm(&db, &OWNER, "d1", "0", NOW + 60))), DraftRefusal::OtherFile);
            assert_eq!(refusal(block_on(confirm(&db, &OWNER, "d1", &hash, NOW + DRAFT_SECONDS))), DraftRefusal::Expired);
            assert_eq!(refusal(block_on(confirm(&db, &OWNER, "d2", &hash, NOW + 60))), DraftRefusal::Missing);
            assert_eq!(block_on(confirm(&db, &OWNER, "d1", &hash, NOW + 60)).unwrap().applied, 1);
        }
    }
}
