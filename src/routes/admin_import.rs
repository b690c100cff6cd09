//! `POST /admin/import` (the dry run) and `POST /admin/import/confirm` (apply the reviewed plan).
//! See `app::catalog_import` for the rules and the confirmation; this module reads, calls and renders.

use crate::app::db::Db;
use worker::Response;

use super::admin_catalog::{bump_catalog_version, Req};
use super::http::html;
use crate::app::catalog_import::{
    self, conflict_text, existing_map, file_problem_text, refusal_text, reserved_sql, review, save_draft_sql, vocabulary_sets, vocabulary_sql, ConfirmError, ReservedRow,
    VocabularyRow,
};
use crate::domain::admin::Permission;
use crate::domain::catalog_csv::{plan, Vocabulary};
use crate::domain::error::AppError;
use crate::domain::locale::Locale;
use crate::domain::media::sha256_hex;
use crate::platform::config::now;
use crate::platform::random;
use crate::views::admin::import::{dry_run_page, result_page, Conflict, DryRunView};

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

/// `POST /admin/import/confirm` (`draft`, `sha256`): applies the reviewed plan once
/// (`app::catalog_import::confirm`) and shows what applied and what conflicted.
pub async fn confirm(r: &Req<'_>) -> Result<Response, AppError> {
    let ctx = r.ctx("/admin/products");
    let done = match catalog_import::confirm(r.db, r.actor, &r.field("draft"), &r.field("sha256"), now()).await {
        Ok(done) => done,
        Err(ConfirmError::Refused(why)) => return Ok(page(409, result_page(&ctx, 0, &[], Some(refusal_text(why, ctx.locale))))),
        Err(e) => return Err(AppError::internal("import confirm", e)),
    };
    for e in &done.failures {
        worker::console_error!("import: one step failed: {e:?}");
    }
    if done.applied > 0 {
        bump_catalog_version(r.env).await?;
    }
    let conflicts: Vec<Conflict> = done.conflicts.iter().map(|c| Conflict { line: c.line, item: c.item.clone(), message: conflict_text(&c.why, ctx.locale) }).collect();
    Ok(page(if conflicts.is_empty() { 200 } else { 409 }, result_page(&ctx, done.applied, &conflicts, None)))
}
