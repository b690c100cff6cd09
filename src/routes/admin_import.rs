//! `POST /admin/import` (the dry run) and `POST /admin/import/confirm` (apply the reviewed plan).
//! See `app::catalog_import` for the rules; this module only reads, batches and renders.

use crate::app::db::Db;
use worker::Response;

use super::admin_catalog::{bump_catalog_version, Req};
use super::http::html;
use crate::app::catalog_import::{
    claim_draft_sql, draft_parts_sql, draft_sql, existing_map, reserved_sql, file_problem_text, review, save_draft_sql, step_statements, steps_from_parts, stock_statements, variant_ids_sql,
    vocabulary_sets, vocabulary_sql, why_refused, DraftRefusal, DraftRow, PartRow, ReservedRow, Step, VariantIdRow, VocabularyRow,
};
use crate::app::sql::Sql;
use crate::domain::admin::Permission;
use crate::domain::catalog_csv::{plan, Change, Vocabulary};
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::domain::media::sha256_hex;
use crate::platform::config::now;
use crate::platform::random;
use crate::views::admin::import::{dry_run_page, result_page, Conflict, DryRunView};

/// Steps per D1 batch when applying (each is two or three statements).
const CHUNK: usize = 25;

fn page(status: u16, markup: maud::Markup) -> Response {
    html(status, markup.into_string(), Vec::new())
}

pub async fn dry_run(r: &Req<'_>) -> Result<Response, AppError> {
    let ctx = r.ctx("/admin/products");
    let vi = ctx.locale == Locale::Vi;
    let text = match r.upload {
        Some(u) => match String::from_utf8(u.bytes.clone()) {
            Ok(t) => t,
            Err(_) => {
                let msg = if vi { "Tệp không phải văn bản UTF-8. Hãy lưu tệp CSV dưới dạng UTF-8." } else { "The file is not UTF-8 text. Save the CSV as UTF-8." };
                return Ok(page(422, dry_run_page(&ctx, &DryRunView { review: None, file_problem: Some(msg.into()), draft: None })));
            }
        },
        None => r.form.value("text").to_string(),
    };
    if text.trim().is_empty() {
        let msg = if vi { "Hãy chọn một tệp CSV hoặc dán nội dung CSV." } else { "Choose a CSV file or paste the CSV text." };
        return Ok(page(422, dry_run_page(&ctx, &DryRunView { review: None, file_problem: Some(msg.into()), draft: None })));
    }
    let rows: Vec<crate::domain::catalog_csv::VariantRow> = r.db.all(&crate::app::admin_catalog::export_sql()).await?;
    let reserved: Vec<ReservedRow> = r.db.all(&reserved_sql()).await?;
    let existing = existing_map(rows, &reserved);
    let words: Vec<VocabularyRow> = r.db.all(&vocabulary_sql()).await?;
    let (categories, sizes, colors) = vocabulary_sets(&words);
    let planned = match plan(&text, &existing, &Vocabulary { categories: &categories, sizes: &sizes, colors: &colors }) {
        Ok(p) => p,
        Err(problem) => {
            let view = DryRunView { review: None, file_problem: Some(file_problem_text(&problem, ctx.locale)), draft: None };
            return Ok(page(422, dry_run_page(&ctx, &view)));
        }
    };
    let reviewed = review(planned, &existing, r.role.can(Permission::EditPrices));
    let hash = sha256_hex(text.as_bytes());
    let mut draft_id = None;
    if reviewed.is_clean() && !reviewed.steps.is_empty() {
        let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
        let batch = save_draft_sql(&id, r.actor.id, &hash, &reviewed.steps, now()).map_err(|e| AppError::internal("import draft", e))?;
        r.db.batch(&batch).await?;
        draft_id = Some(id);
    }
    let view = DryRunView { review: Some(&reviewed), file_problem: None, draft: draft_id.as_deref().map(|id| (id, hash.as_str())) };
    Ok(page(if reviewed.is_clean() { 200 } else { 422 }, dry_run_page(&ctx, &view)))
}

fn changes(result: &crate::app::db::Rows) -> i64 {
    result.changes() as i64
}

fn step_item(step: &Step) -> (usize, String) {
    match &step.change {
        Change::CreateProduct { line, row } | Change::UpdateProduct { line, row } => (*line, row.product_slug.clone()),
        Change::CreateVariant { line, row } | Change::UpdateVariant { line, row } => (*line, row.sku.clone()),
        Change::Stock { line, sku, .. } => (*line, sku.clone()),
    }
}

/// Sends groups of statements in batches of [`CHUNK`] groups; for each group, whether its first
/// statement changed a row (`None` when its batch failed, e.g. a constraint the guards missed:
/// the failed batch is then retried one group at a time, so one bad row spoils only itself).
async fn run_groups(r: &Req<'_>, groups: &[Vec<Sql>]) -> Result<Vec<Option<bool>>, AppError> {
    let mut out = Vec::with_capacity(groups.len());
    for chunk in groups.chunks(CHUNK) {
        let flat: Vec<Sql> = chunk.iter().flatten().cloned().collect();
        match r.db.batch(&flat).await {
            Ok(results) => {
                let mut at = 0;
                for g in chunk {
                    out.push(if g.is_empty() { Some(false) } else { Some(results.get(at).map_or(0, changes) > 0) });
                    at += g.len();
                }
            }
            Err(_) => {
                for g in chunk {
                    out.push(match r.db.batch(g).await {
                        Ok(results) => Some(results.first().map_or(0, changes) > 0),
                        Err(e) => {
                            worker::console_error!("import: one step failed: {e:?}");
                            None
                        }
                    });
                }
            }
        }
    }
    Ok(out)
}

pub async fn confirm(r: &Req<'_>) -> Result<Response, AppError> {
    let ctx = r.ctx("/admin/products");
    let vi = ctx.locale == Locale::Vi;
    let id = r.field("draft");
    let hash = r.field("sha256");
    let now = now();
    let summary = serde_json::json!({"draft": id, "sha256": hash});
    let claim = [claim_draft_sql(&id, r.actor.id, &hash, now), crate::app::admin::audit_sql(r.actor, "import.confirm", "import", &id, None, Some(&summary), now)];
    let claimed = r.db.batch(&claim).await?.first().map_or(0, changes) > 0;
    let draft = r.db.all::<DraftRow>(&draft_sql(&id)).await?.into_iter().next();
    if !claimed {
        let why = match why_refused(draft.as_ref(), r.actor.id, &hash, now) {
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
        };
        return Ok(page(409, result_page(&ctx, 0, &[], Some(why))));
    }
    let Some(draft) = draft else { return Err(AppError::Internal("claimed draft vanished".into())) };
    let parts: Vec<PartRow> = r.db.all(&draft_parts_sql(&id)).await?;
    let Some(steps) = steps_from_parts(&draft, &parts).map_err(|e| AppError::internal("import draft", e))? else {
        return Err(AppError::Internal("import draft: a part is missing".into()));
    };
    let mut applied = 0;
    let mut conflicts = Vec::new();

    // Products first, then variants (each guarded by what the dry run saw).
    let (catalog_steps, stock_steps): (Vec<&Step>, Vec<&Step>) = steps.iter().partition(|s| !matches!(s.change, Change::Stock { .. }));
    let groups: Vec<Vec<Sql>> = catalog_steps.iter().map(|s| step_statements(r.actor, s, now)).collect();
    for (step, result) in catalog_steps.iter().zip(run_groups(r, &groups).await?) {
        let (line, item) = step_item(step);
        match result {
            Some(true) => applied += 1,
            _ => conflicts.push(Conflict {
                line,
                item,
                message: (if vi { "Đã thay đổi kể từ lần chạy thử (hoặc trùng với mục khác); không ghi đè." } else { "Changed since the dry run (or clashes with another item); not overwritten." }).into(),
            }),
        }
    }

    // Stock: compare-and-set against the count the dry run saw, each move in the ledger.
    let skus: Vec<&str> = stock_steps.iter().filter_map(|s| if let Change::Stock { sku, .. } = &s.change { Some(sku.as_str()) } else { None }).collect();
    let mut ids = std::collections::HashMap::new();
    for chunk in skus.chunks(90) {
        for row in r.db.all::<VariantIdRow>(&variant_ids_sql(chunk)).await? {
            ids.insert(row.sku.clone(), row);
        }
    }
    let mut moves = Vec::new();
    let mut groups = Vec::new();
    for step in &stock_steps {
        let Change::Stock { line, sku, expected, delta } = &step.change else { continue };
        match ids.get(sku) {
            Some(v) => {
                groups.push(stock_statements(r.actor, &draft.id, v.id, *line, sku, *expected, *delta, now));
                moves.push((*line, sku.clone(), *expected));
            }
            None => conflicts.push(Conflict {
                line: *line,
                item: sku.clone(),
                message: (if vi { "Biến thể không tồn tại (chưa tạo được); tồn kho không đổi." } else { "The variant does not exist (it could not be created); stock unchanged." }).into(),
            }),
        }
    }
    let results = run_groups(r, &groups).await?;
    let lost: Vec<&str> = moves.iter().zip(&results).filter(|(_, ok)| **ok != Some(true)).map(|((_, sku, _), _)| sku.as_str()).collect();
    let mut now_counts = std::collections::HashMap::new();
    for chunk in lost.chunks(90) {
        for row in r.db.all::<VariantIdRow>(&variant_ids_sql(chunk)).await? {
            now_counts.insert(row.sku.clone(), (row.on_hand, row.reserved));
        }
    }
    for ((line, sku, expected), ok) in moves.into_iter().zip(results) {
        if ok == Some(true) {
            applied += 1;
            continue;
        }
        let message = match now_counts.get(&sku) {
            Some((on_hand, _)) if *on_hand != expected => {
                if vi {
                    format!("Tồn kho đã thay đổi: lúc chạy thử là {expected}, bây giờ là {on_hand}; không ghi đè.")
                } else {
                    format!("Stock changed: {expected} at the dry run, {on_hand} now; not overwritten.")
                }
            }
            Some((_, reserved)) => {
                if vi {
                    format!("Tồn kho mới thấp hơn số đang được giữ ({reserved}); không đổi.")
                } else {
                    format!("The new count is below what is held ({reserved}); unchanged.")
                }
            }
            None => (if vi { "Biến thể không còn; không đổi." } else { "The variant is gone; unchanged." }).to_string(),
        };
        conflicts.push(Conflict { line, item: sku, message });
    }
    if applied > 0 {
        bump_catalog_version(r.env).await?;
    }
    conflicts.sort_by_key(|c| c.line);
    Ok(page(if conflicts.is_empty() { 200 } else { 409 }, result_page(&ctx, applied, &conflicts, None)))
}
