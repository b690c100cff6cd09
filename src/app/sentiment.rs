//! Sentiment for operators and the admin: scoring a text on demand (`POST /internal/sentiment`: the
//! request body read into a text within the limit, then `domain::sentiment::analyze`), and the
//! admin's report of reviews per month and the aspects most complained about (`report`). Sentiment
//! only informs the shop; it never blocks or hides anything.

use serde::Deserialize;
use serde_json::Value;

use super::db::{Db, DbError};
use super::sql::Sql;
use crate::domain::sentiment_report::{by_month, complaints, Month, Scored};

use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::sentiment::{analyze, Aspect, Label, Sentiment, MAX_TEXT_CHARS};

/// `{"text": "…"}` → its sentiment. A body that is not a JSON object is a 400; a missing, empty or
/// non-text `text`, or one over `MAX_TEXT_CHARS` characters, a 422 naming the field.
pub fn score_request(body: &str) -> Result<Sentiment, AppError> {
    let value: Value = serde_json::from_str(body).ok().filter(Value::is_object).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }]))?;
    let text = match value.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(unprocessable(Problem::Required)),
        Some(_) => return Err(unprocessable(Problem::BadValue)),
    };
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(unprocessable(Problem::TooLong { max: MAX_TEXT_CHARS }));
    }
    Ok(analyze(text))
}

fn unprocessable(problem: Problem) -> AppError {
    AppError::Unprocessable(vec![FieldError { field: "text", problem }])
}

// --- the admin's report ------------------------------------------------------------------------

/// Reviews read for one report at most (the newest): enough for years of a product's reviews, and
/// scoring them stays well within a request's CPU time.
pub const REPORT_MAX: i64 = 5_000;

/// A review's text for the report.
#[derive(Debug, Deserialize)]
struct ReviewText {
    product_id: i64,
    slug: String,
    name: String,
    created_at: i64,
    title: String,
    body: String,
}

/// The reviews a report reads: every one the shop received except those a moderator rejected
/// (pending, published and hidden ones: what shoppers said), of one product or of all.
pub fn report_sql(product_id: Option<i64>) -> Sql {
    let select = "SELECT r.product_id, p.slug, p.name_vi AS name, r.created_at, r.title, r.body FROM reviews r JOIN products p ON p.id = r.product_id \
         WHERE r.status <> 'rejected'";
    match product_id {
        Some(id) => Sql::new(format!("{select} AND r.product_id = ? ORDER BY r.created_at DESC LIMIT ?")).bind(id).bind(REPORT_MAX),
        None => Sql::new(format!("{select} ORDER BY r.created_at DESC LIMIT ?")).bind(REPORT_MAX),
    }
}

/// One product's reviews in figures (the overview's table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductLine {
    pub product_id: i64,
    pub slug: String,
    pub name: String,
    pub count: i64,
    pub negative: i64,
    pub score_milli: i64,
}

impl ProductLine {
    pub fn average_milli(&self) -> i64 {
        if self.count == 0 { 0 } else { (self.score_milli as f64 / self.count as f64).round() as i64 }
    }
}

/// Sentiment per month, the aspects most complained about, and (for the whole shop) each product's
/// figures, most negative reviews first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub reviews: i64,
    pub months: Vec<Month>,
    pub complaints: Vec<(Aspect, i64)>,
    pub products: Vec<ProductLine>,
}

/// Scores the reviews of `product_id` (or of every product) with `domain::sentiment::analyze`, as
/// each review's stored label was (title and text), and puts them in figures.
pub async fn report(db: &impl Db, product_id: Option<i64>) -> Result<Report, DbError> {
    let rows: Vec<ReviewText> = db.all(&report_sql(product_id)).await?;
    let scored: Vec<(i64, Sentiment)> = rows.iter().map(|r| (r.created_at, analyze(&review_text(&r.title, &r.body)))).collect();
    let items: Vec<Scored<'_>> = scored.iter().map(|(at, s)| Scored { at: *at, sentiment: s }).collect();
    let mut products: Vec<ProductLine> = Vec::new();
    for (row, (_, s)) in rows.iter().zip(&scored) {
        let line = match products.iter_mut().find(|p| p.product_id == row.product_id) {
            Some(line) => line,
            None => {
                products.push(ProductLine { product_id: row.product_id, slug: row.slug.clone(), name: row.name.clone(), count: 0, negative: 0, score_milli: 0 });
                let last = products.len() - 1;
                &mut products[last]
            }
        };
        line.count += 1;
        line.negative += i64::from(s.label == Label::Negative);
        line.score_milli += (s.score * 1000.0).round() as i64;
    }
    crate::domain::sort::sort_by(&mut products, |a, b| b.negative.cmp(&a.negative).then(b.count.cmp(&a.count)).then(a.product_id.cmp(&b.product_id)));
    Ok(Report { reviews: rows.len() as i64, months: by_month(&items), complaints: complaints(&items), products })
}

/// The text a review is scored by: its title and body, as `app::reviews::sentiment_of` reads them.
fn review_text(title: &str, body: &str) -> String {
    if title.trim().is_empty() { body.to_string() } else { format!("{}. {body}", title.trim()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sentiment::{Aspect, Label};

    fn status(body: &str) -> u16 {
        score_request(body).err().map_or(200, |e| e.status())
    }

    #[test]
    fn a_text_is_scored_with_its_aspects() {
        let scored = score_request(r#"{"text": "Vải mỏng, giao hàng chậm, thất vọng."}"#).unwrap();
        assert_eq!(scored.label, Label::Negative);
        assert!(scored.score < 0.0 && scored.score >= -1.0);
        assert!(scored.aspects.iter().any(|a| a.aspect == Aspect::Delivery && a.label == Label::Negative), "{scored:?}");
        let wire = serde_json::to_value(&scored).unwrap();
        assert_eq!(wire["label"], "negative");
        assert_eq!(wire["aspects"][0]["aspect"], "material");
        assert_eq!(wire["aspects"][0]["label"], "negative");
        assert_eq!(wire["score"].as_f64(), Some(scored.score));
        assert_eq!(wire["score"].to_string().len(), scored.score.to_string().len(), "three decimals on the wire: {wire}");
    }

    #[test]
    fn a_missing_empty_or_overlong_text_is_unprocessable() {
        for body in [r#"{}"#, r#"{"text": null}"#, r#"{"text": ""}"#, r#"{"text": "   \n "}"#, r#"{"text": 5}"#, r#"{"body": "đẹp"}"#] {
            assert_eq!(status(body), 422, "{body}");
        }
        let longest = serde_json::json!({ "text": "đ".repeat(MAX_TEXT_CHARS) }).to_string();
        assert_eq!(status(&longest), 200);
        let over = serde_json::json!({ "text": "đ".repeat(MAX_TEXT_CHARS + 1) }).to_string();
        let Err(AppError::Unprocessable(fields)) = score_request(&over) else { panic!("over the limit must be refused") };
        assert_eq!(fields[0], FieldError { field: "text", problem: Problem::TooLong { max: MAX_TEXT_CHARS } });
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_a_bad_request() {
        for body in ["", "text=đẹp", "[\"đẹp\"]", "\"đẹp\"", "{\"text\": "] {
            assert_eq!(status(body), 400, "{body}");
        }
    }

    mod report {
        use super::super::*;
        use crate::app::testing::{block_on, Sqlite};

        // 2026-11-15 05:00 UTC; a month later.
        const NOV: i64 = 1_794_718_800;
        const DEC: i64 = NOV + 30 * 86_400;

        fn review(db: &Sqlite, id: &str, product: i64, at: i64, status: &str, body: &str) {
            db.exec(&format!(
                "INSERT INTO reviews (id, product_id, order_id, line_no, author_name, rating, body, size, color, status, created_at, updated_at) \
                 VALUES ('{id}', {product}, 'demo-{id}', 1, 'An', 3, '{body}', 'M', 'grey', '{status}', {at}, {at})"
            ));
        }

        #[test]
        fn a_products_months_and_complaints_count_every_review_but_the_rejected() {
            let db = Sqlite::demo();
            let a = db.int("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
            let b = db.int("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET 1");
            review(&db, "r1", a, NOV, "published", "Áo đẹp, vải mát, rất hài lòng.");
            review(&db, "r2", a, NOV + 60, "hidden", "Vải mỏng, giao hàng chậm, thất vọng.");
            review(&db, "r3", a, DEC, "pending", "Giao hàng quá chậm, chờ cả tuần.");
            review(&db, "r4", a, DEC, "rejected", "Vải mỏng, màu xấu, giá đắt, thất vọng.");
            review(&db, "r5", b, DEC, "published", "Màu xấu, không giống ảnh.");
            let one = block_on(report(&db, Some(a))).expect("report");
            assert_eq!(one.reviews, 3, "the rejected review is left out; hidden and pending count");
            assert_eq!(one.months.iter().map(|m| (m.label(), m.count, m.positive, m.negative)).collect::<Vec<_>>(), vec![("11/2026".to_string(), 2, 1, 1), ("12/2026".to_string(), 1, 0, 1)]);
            assert_eq!(one.complaints[0], (Aspect::Delivery, 2), "{:?}", one.complaints);
            assert_eq!(one.complaints.iter().find(|c| c.0 == Aspect::Colour).map(|c| c.1), Some(0), "the rejected and the other product's do not count");
            assert_eq!(one.products.len(), 1);

            let shop = block_on(report(&db, None)).expect("report");
            assert_eq!(shop.reviews, 4);
            assert_eq!(shop.products.iter().map(|p| (p.product_id, p.count, p.negative)).collect::<Vec<_>>(), vec![(a, 3, 2), (b, 1, 1)], "most negative first");
            assert!(shop.products[0].average_milli() < 0);
            assert_eq!(shop.complaints.iter().find(|c| c.0 == Aspect::Colour).map(|c| c.1), Some(1));
            // The stored labels are left as they were: the report reads, never writes.
            assert_eq!(db.int("SELECT COUNT(*) FROM reviews WHERE status = 'hidden'"), 1);
            assert!(block_on(report(&db, Some(-1))).expect("none").months.is_empty());
        }

        #[test]
        fn the_demo_reviews_make_a_report_with_months_and_products() {
            let db = Sqlite::demo();
            db.exec(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seed/reviews.sql")).expect("seed/reviews.sql"));
            let shop = block_on(report(&db, None)).expect("report");
            assert_eq!(shop.reviews, db.int("SELECT COUNT(*) FROM reviews WHERE status <> 'rejected'"));
            assert!(!shop.months.is_empty() && shop.products.len() > 5);
            assert_eq!(shop.months.iter().map(|m| m.count).sum::<i64>(), shop.reviews);
        }
    }
}
