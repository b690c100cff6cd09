//! The catalog as a spreadsheet: one row per variant, with its product's main fields repeated, for
//! export and for import with a dry run.
//!
//! An import is read in full and checked before anything is written: every row is parsed into typed
//! values and compared with the catalog as it is, and the result is a plan (what each row would
//! create or change) plus every problem, by line and column. Only a plan without problems is applied.
//! Stock is imported as the new on-hand count; the plan turns it into a change of `delta` units from
//! the count it saw, and applying it is conditional on that count (compare-and-set), so a sale made
//! between the dry run and the import is never overwritten.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::catalog::{ProductStatus, VariantStatus};
use super::csv::{self, Record};
use super::money::Vnd;

/// The columns, in export order. An import needs the header row, in any order; unknown columns are
/// an error (a typo would otherwise be silently ignored).
pub const COLUMNS: [&str; 14] = [
    "product_slug",
    "product_status",
    "category_slug",
    "name_vi",
    "name_en",
    "sku",
    "size",
    "color",
    "price",
    "compare_at_price",
    "on_hand",
    "barcode",
    "weight_grams",
    "variant_status",
];

/// The most rows one import takes (the Worker reads the whole file into memory).
pub const MAX_ROWS: usize = 5_000;

/// A variant as exported (and as an import's comparison sees the catalog); D1's export query
/// (`app::admin_catalog::export_sql`) reads straight into it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VariantRow {
    pub product_slug: String,
    pub product_status: ProductStatus,
    pub category_slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub on_hand: i64,
    pub barcode: Option<String>,
    pub weight_grams: i64,
    pub variant_status: VariantStatus,
}

/// What the catalog holds for a SKU, as the dry run saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    pub row: VariantRow,
    pub reserved: i64,
}

/// What the import must know besides the variants: valid codes and slugs.
pub struct Vocabulary<'a> {
    pub categories: &'a HashSet<String>,
    pub sizes: &'a HashSet<String>,
    pub colors: &'a HashSet<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    Missing,
    NotANumber,
    Negative,
    CompareAtNotAbovePrice,
    UnknownValue,
    BadSlug,
    DuplicateSku,
    /// The new on-hand count is below what carts and unpaid orders hold.
    BelowReserved { reserved: i64 },
    /// The same product slug with different product fields on another row.
    ProductMismatch { line: usize },
    /// The barcode belongs to another SKU (in the file or in the catalog).
    DuplicateBarcode,
    /// The SKU exists under another product.
    SkuOfAnotherProduct,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based line in the file; 0 for the file as a whole.
    pub line: usize,
    pub column: &'static str,
    pub problem: RowProblem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    Unreadable(csv::CsvError),
    Empty,
    TooManyRows,
    UnknownColumn(String),
    MissingColumn(&'static str),
    DuplicateColumn(String),
}

/// One row's effect (serialisable: a dry run's plan is kept as a draft until it is confirmed).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Change {
    /// A product that does not exist yet (created once, before its variants).
    CreateProduct { line: usize, row: VariantRow },
    UpdateProduct { line: usize, row: VariantRow },
    CreateVariant { line: usize, row: VariantRow },
    UpdateVariant { line: usize, row: VariantRow },
    /// On-hand moves by `delta` from `expected`, recorded in the stock ledger as a correction.
    Stock { line: usize, sku: String, expected: i64, delta: i64 },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub errors: Vec<ImportError>,
    /// Rows with nothing to change.
    pub unchanged: usize,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The export: a header and one row per variant.
pub fn export(rows: &[VariantRow]) -> String {
    let header = COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    csv::write(std::iter::once(header).chain(rows.iter().map(|r| {
        vec![
            r.product_slug.clone(),
            r.product_status.code().to_string(),
            r.category_slug.clone(),
            r.name_vi.clone(),
            r.name_en.clone(),
            r.sku.clone(),
            r.size.clone(),
            r.color.clone(),
            r.price.minor().to_string(),
            r.compare_at_price.map(|p| p.minor().to_string()).unwrap_or_default(),
            r.on_hand.to_string(),
            r.barcode.clone().unwrap_or_default(),
            r.weight_grams.to_string(),
            r.variant_status.code().to_string(),
        ]
    })))
}

/// Reads and checks an import against the catalog as it is; writes nothing.
pub fn plan(text: &str, existing: &HashMap<String, Existing>, vocabulary: &Vocabulary) -> Result<Plan, FileProblem> {
    let records = csv::parse(text).map_err(FileProblem::Unreadable)?;
    let Some((header, rows)) = records.split_first() else { return Err(FileProblem::Empty) };
    if rows.len() > MAX_ROWS {
        return Err(FileProblem::TooManyRows);
    }
    let index = columns(header)?;
    let mut plan = Plan::default();
    let mut seen_skus: HashMap<String, usize> = HashMap::new();
    let mut seen_barcodes: HashMap<String, String> = existing
        .values()
        .filter_map(|e| e.row.barcode.clone().map(|b| (b, e.row.sku.clone())))
        .collect();
    let mut products: BTreeMap<String, (usize, VariantRow)> = BTreeMap::new();
    let existing_products: HashMap<&str, &VariantRow> = existing.values().map(|e| (e.row.product_slug.as_str(), &e.row)).collect();

    for record in rows {
        let before = plan.errors.len();
        let Some(row) = read_row(record, &index, vocabulary, &mut plan.errors) else { continue };
        let line = record.line;
        let mut fail = |column, problem| plan.errors.push(ImportError { line, column, problem });
        if seen_skus.insert(row.sku.clone(), line).is_some() {
            fail("sku", RowProblem::DuplicateSku);
        }
        if let Some(barcode) = &row.barcode {
            match seen_barcodes.get(barcode) {
                Some(owner) if *owner != row.sku => fail("barcode", RowProblem::DuplicateBarcode),
                _ => {
                    seen_barcodes.insert(barcode.clone(), row.sku.clone());
                }
            }
        }
        match products.get(&row.product_slug) {
            Some((first_line, first)) if !same_product(first, &row) => fail("product_slug", RowProblem::ProductMismatch { line: *first_line }),
            Some(_) => {}
            None => {
                products.insert(row.product_slug.clone(), (line, row.clone()));
            }
        }
        let current = existing.get(&row.sku);
        if let Some(current) = current {
            if current.row.product_slug != row.product_slug {
                fail("sku", RowProblem::SkuOfAnotherProduct);
            }
            if row.on_hand < current.reserved {
                fail("on_hand", RowProblem::BelowReserved { reserved: current.reserved });
            }
        }
        if plan.errors.len() > before {
            continue;
        }
        let mut changed = false;
        match current {
            None => {
                plan.changes.push(Change::CreateVariant { line, row: row.clone() });
                changed = true;
            }
            Some(current) => {
                if !same_variant(&current.row, &row) {
                    plan.changes.push(Change::UpdateVariant { line, row: row.clone() });
                    changed = true;
                }
            }
        }
        let expected = current.map_or(0, |c| c.row.on_hand);
        if row.on_hand != expected {
            plan.changes.push(Change::Stock { line, sku: row.sku.clone(), expected, delta: row.on_hand - expected });
            changed = true;
        }
        if !changed {
            plan.unchanged += 1;
        }
    }

    // Product-level changes go first, once per product.
    let mut product_changes = Vec::new();
    for (slug, (line, row)) in products {
        match existing_products.get(slug.as_str()) {
            None => product_changes.push(Change::CreateProduct { line, row }),
            Some(current) if !same_product(current, &row) => product_changes.push(Change::UpdateProduct { line, row }),
            Some(_) => {}
        }
    }
    product_changes.append(&mut plan.changes);
    plan.changes = product_changes;
    crate::domain::sort::sort_by_key(&mut plan.errors, |e| (e.line, e.column));
    Ok(plan)
}

fn columns(header: &Record) -> Result<HashMap<&'static str, usize>, FileProblem> {
    let mut index = HashMap::new();
    for (i, name) in header.fields.iter().enumerate() {
        let name = name.trim();
        let Some(column) = COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name)) else {
            return Err(FileProblem::UnknownColumn(name.to_string()));
        };
        if index.insert(*column, i).is_some() {
            return Err(FileProblem::DuplicateColumn(name.to_string()));
        }
    }
    if let Some(missing) = COLUMNS.iter().find(|c| !index.contains_key(*c)) {
        return Err(FileProblem::MissingColumn(missing));
    }
    Ok(index)
}

fn read_row(record: &Record, index: &HashMap<&'static str, usize>, vocabulary: &Vocabulary, errors: &mut Vec<ImportError>) -> Option<VariantRow> {
    let line = record.line;
    let before = errors.len();
    let cell = |column: &'static str| index.get(column).and_then(|i| record.fields.get(*i)).map(|s| s.trim()).unwrap_or("");
    let mut fail = |column, problem| errors.push(ImportError { line, column, problem });
    let mut text = |column: &'static str| {
        let v = cell(column);
        if v.is_empty() {
            fail(column, RowProblem::Missing);
        }
        v.to_string()
    };
    let product_slug = text("product_slug");
    let category_slug = text("category_slug");
    let name_vi = text("name_vi");
    let name_en = text("name_en");
    let sku = text("sku");
    let size = text("size");
    let color = text("color");
    let product_status = ProductStatus::parse(cell("product_status"));
    let variant_status = VariantStatus::parse(cell("variant_status"));
    let barcode = Some(cell("barcode").to_string()).filter(|b| !b.is_empty());
    let mut number = |column: &'static str, required: bool| -> Option<i64> {
        let raw = cell(column).replace(['.', ','], "");
        if raw.is_empty() {
            if required {
                fail(column, RowProblem::Missing);
            }
            return None;
        }
        match raw.parse::<i64>() {
            Ok(n) if n < 0 => {
                fail(column, RowProblem::Negative);
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                fail(column, RowProblem::NotANumber);
                None
            }
        }
    };
    let price = number("price", true).map(Vnd::new);
    let compare_at_price = number("compare_at_price", false).map(Vnd::new);
    let on_hand = number("on_hand", true);
    let weight_grams = number("weight_grams", false).unwrap_or(0);
    let mut fail = |column, problem| errors.push(ImportError { line, column, problem });
    if !product_slug.is_empty() && super::slug::Slug::parse(&product_slug).is_none() {
        fail("product_slug", RowProblem::BadSlug);
    }
    if !category_slug.is_empty() && !vocabulary.categories.contains(&category_slug) {
        fail("category_slug", RowProblem::UnknownValue);
    }
    if !size.is_empty() && !vocabulary.sizes.contains(&size) {
        fail("size", RowProblem::UnknownValue);
    }
    if !color.is_empty() && !vocabulary.colors.contains(&color) {
        fail("color", RowProblem::UnknownValue);
    }
    let unknown_or_missing = |column| if cell(column).is_empty() { RowProblem::Missing } else { RowProblem::UnknownValue };
    if product_status.is_none() {
        fail("product_status", unknown_or_missing("product_status"));
    }
    if variant_status.is_none() {
        fail("variant_status", unknown_or_missing("variant_status"));
    }
    if let (Some(price), Some(compare)) = (price, compare_at_price) {
        if compare <= price {
            fail("compare_at_price", RowProblem::CompareAtNotAbovePrice);
        }
    }
    if errors.len() > before {
        return None;
    }
    Some(VariantRow {
        product_slug,
        product_status: product_status?,
        category_slug,
        name_vi,
        name_en,
        sku,
        size,
        color,
        price: price?,
        compare_at_price,
        on_hand: on_hand?,
        barcode,
        weight_grams,
        variant_status: variant_status?,
    })
}

fn same_product(a: &VariantRow, b: &VariantRow) -> bool {
    a.product_status == b.product_status && a.category_slug == b.category_slug && a.name_vi == b.name_vi && a.name_en == b.name_en
}

fn same_variant(a: &VariantRow, b: &VariantRow) -> bool {
    a.size == b.size
        && a.color == b.color
        && a.price == b.price
        && a.compare_at_price == b.compare_at_price
        && a.barcode == b.barcode
        && a.weight_grams == b.weight_grams
        && a.variant_status == b.variant_status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn row(sku: &str, on_hand: i64) -> VariantRow {
        VariantRow {
            product_slug: "gile-len".into(),
            product_status: ProductStatus::Active,
            category_slug: "gile-len-det-kim".into(),
            name_vi: "Gile len".into(),
            name_en: "Knit vest".into(),
            sku: sku.into(),
            size: "M".into(),
            color: "navy".into(),
            price: Vnd::new(450_000),
            compare_at_price: Some(Vnd::new(590_000)),
            on_hand,
            barcode: None,
            weight_grams: 300,
            variant_status: VariantStatus::Active,
        }
    }

    fn with(existing: &[(VariantRow, i64)], text: &str) -> Result<Plan, FileProblem> {
        let categories = set(&["gile-len-det-kim", "gile-cong-so"]);
        let sizes = set(&["S", "M", "L"]);
        let colors = set(&["navy", "black"]);
        let vocabulary = Vocabulary { categories: &categories, sizes: &sizes, colors: &colors };
        let existing = existing.iter().map(|(r, reserved)| (r.sku.clone(), Existing { row: r.clone(), reserved: *reserved })).collect();
        plan(text, &existing, &vocabulary)
    }

    #[test]
    fn an_export_imported_again_changes_nothing() {
        let rows = vec![row("VS-1", 5), VariantRow { size: "L".into(), barcode: Some("893000000001".into()), ..row("VS-2", 0) }];
        let text = export(&rows);
        let plan = with(&rows.iter().map(|r| (r.clone(), 0)).collect::<Vec<_>>(), &text).unwrap();
        assert_eq!(plan, Plan { changes: vec![], errors: vec![], unchanged: 2 });
    }

    #[test]
    fn plans_creations_updates_and_stock_moves() {
        let existing = [(row("VS-1", 5), 2)];
        let mut rows = vec![VariantRow { price: Vnd::new(420_000), ..row("VS-1", 9) }, VariantRow { size: "L".into(), ..row("VS-2", 3) }];
        rows.push(VariantRow { product_slug: "gile-moi".into(), name_vi: "Gile mới".into(), ..row("VS-9", 0) });
        let plan = with(&existing, &export(&rows)).unwrap();
        assert!(plan.is_clean(), "{:?}", plan.errors);
        let kinds: Vec<String> = plan
            .changes
            .iter()
            .map(|c| match c {
                Change::CreateProduct { row, .. } => format!("create product {}", row.product_slug),
                Change::UpdateProduct { row, .. } => format!("update product {}", row.product_slug),
                Change::CreateVariant { row, .. } => format!("create {}", row.sku),
                Change::UpdateVariant { row, .. } => format!("update {}", row.sku),
                Change::Stock { sku, expected, delta, .. } => format!("stock {sku} {expected}{delta:+}"),
            })
            .collect();
        assert_eq!(kinds, vec!["create product gile-moi", "update VS-1", "stock VS-1 5+4", "create VS-2", "stock VS-2 0+3", "create VS-9"]);
    }

    #[test]
    fn reports_every_problem_by_line_and_column() {
        let existing = [(row("VS-1", 5), 4), (VariantRow { barcode: Some("111".into()), ..row("VS-7", 1) }, 0)];
        let header = COLUMNS.join(",");
        let text = format!(
            "{header}\n\
             gile-len,active,gile-len-det-kim,Gile len,Knit vest,VS-1,M,navy,450000,590000,3,,300,active\n\
             gile-len,active,gile-len-det-kim,Gile len,Knit vest,VS-2,XXL,pink,abc,100,-1,111,300,gone\n\
             gile-len,draft,gile-len-det-kim,Gile len,Knit vest,VS-3,M,navy,\"1.250.000\",,2,,300,active\n\
             ,active,nowhere,,Knit vest,VS-3,M,navy,1,,1,,0,active\n"
        );
        let plan = with(&existing, &text).unwrap();
        let got: Vec<(usize, &str, RowProblem)> = plan.errors.iter().map(|e| (e.line, e.column, e.problem.clone())).collect();
        assert_eq!(
            got,
            vec![
                (2, "on_hand", RowProblem::BelowReserved { reserved: 4 }),
                (3, "color", RowProblem::UnknownValue),
                (3, "on_hand", RowProblem::Negative),
                (3, "price", RowProblem::NotANumber),
                (3, "size", RowProblem::UnknownValue),
                (3, "variant_status", RowProblem::UnknownValue),
                (4, "product_slug", RowProblem::ProductMismatch { line: 2 }),
                (5, "category_slug", RowProblem::UnknownValue),
                (5, "name_vi", RowProblem::Missing),
                (5, "product_slug", RowProblem::Missing),
            ]
        );
        assert!(!plan.is_clean());
    }

    #[test]
    fn file_level_problems() {
        assert_eq!(with(&[], ""), Err(FileProblem::Empty));
        assert_eq!(with(&[], "sku,price\n"), Err(FileProblem::MissingColumn("product_slug")));
        assert_eq!(with(&[], &format!("{},colour\n", COLUMNS.join(","))), Err(FileProblem::UnknownColumn("colour".into())));
        assert!(matches!(with(&[], "\"open"), Err(FileProblem::Unreadable(_))));
    }

    #[test]
    fn duplicate_skus_and_barcodes_in_one_file() {
        let a = VariantRow { barcode: Some("893".into()), ..row("VS-1", 1) };
        let b = VariantRow { size: "L".into(), barcode: Some("893".into()), ..row("VS-2", 1) };
        let c = VariantRow { size: "S".into(), ..row("VS-1", 1) };
        let plan = with(&[], &export(&[a, b, c])).unwrap();
        let got: Vec<(usize, RowProblem)> = plan.errors.iter().map(|e| (e.line, e.problem.clone())).collect();
        assert_eq!(got, vec![(3, RowProblem::DuplicateBarcode), (4, RowProblem::DuplicateSku)]);
    }
}
