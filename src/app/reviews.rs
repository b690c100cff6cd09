//! Product reviews over the storage port (issue 22, docs/REVIEWS.md): who may write one and its
//! insert, a product's list with its rating summary, helpful votes and abuse reports, the
//! moderators' decisions (audited) and the rating aggregate they keep current.
//!
//! The decisions are `domain::reviews`'; here they meet the rows. Every write that a retry could
//! repeat is either gated on the state it moves from or rebuilds its figure whole.

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::sql::{Sql, SqlValue};
use crate::domain::listing::FieldError;
use crate::domain::reviews::{
    choose, display_name, initial_status, validate, Candidate, Ineligible, Moderation, RatingSummary, ReviewInput, ReviewQuery, ReviewSort,
    ReviewStatus, PAGE_SIZE,
};

/// Who is writing a review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reviewer {
    /// A signed-in customer (session or API bearer token): any of their orders.
    Customer(String),
    /// A guest through the order's signed review link: that order line only.
    Link { order_id: String, line_no: i64 },
}

/// Why a review was not taken.
#[derive(Debug)]
pub enum ReviewError {
    /// No such product on sale (or no such review).
    NotFound,
    Ineligible(Ineligible),
    Invalid(Vec<FieldError>),
    /// The review is not in a state this action applies to (moderation).
    WrongState(ReviewStatus),
    Db(DbError),
}

impl From<DbError> for ReviewError {
    fn from(e: DbError) -> Self {
        ReviewError::Db(e)
    }
}

impl ReviewError {
    /// The edge's error, its sentence in `locale`.
    pub fn into_app_error(self, locale: crate::domain::locale::Locale) -> crate::domain::error::AppError {
        use crate::domain::error::AppError;
        match self {
            ReviewError::NotFound => AppError::NotFound,
            ReviewError::Ineligible(i) if i.status() == 409 => AppError::conflict(i.code(), i.message(locale)),
            ReviewError::Ineligible(i) => AppError::forbidden(i.code(), i.message(locale)),
            ReviewError::Invalid(fields) => AppError::Unprocessable(fields),
            ReviewError::WrongState(status) => AppError::conflict("review_state", format!("The review is {}.", status.code())),
            ReviewError::Db(e) => AppError::from(e),
        }
    }
}

#[derive(Debug, Deserialize)]
struct IdRow {
    id: i64,
}

fn product_id_sql(slug: &str) -> Sql {
    Sql::new("SELECT id FROM products WHERE slug = ? AND status = 'active'").bind(slug)
}

#[derive(Debug, Deserialize)]
struct CandidateRow {
    order_id: String,
    line_no: i64,
    size: String,
    color: String,
    buyer_name: String,
    locale: String,
    customer_id: Option<String>,
    delivered: i64,
    reviewed: i64,
}

/// The order lines of `product_id` that `reviewer` bought, oldest first, each with whether its
/// parcel was delivered and whether it has a review.
pub fn candidates_sql(product_id: i64, reviewer: &Reviewer) -> Sql {
    let select = "SELECT l.order_id, l.line_no, l.size, l.color, o.name AS buyer_name, o.locale, o.customer_id, \
         (o.fulfillment_status = 'delivered') AS delivered, \
         EXISTS (SELECT 1 FROM reviews r WHERE r.order_id = l.order_id AND r.line_no = l.line_no) AS reviewed \
         FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.product_id = ?";
    match reviewer {
        Reviewer::Customer(id) => Sql::new(format!("{select} AND o.customer_id = ? ORDER BY o.created_at, l.line_no")).bind(product_id).bind(id.as_str()),
        Reviewer::Link { order_id, line_no } => Sql::new(format!("{select} AND o.id = ? AND l.line_no = ?")).bind(product_id).bind(order_id.as_str()).bind(*line_no),
    }
}

/// Rebuilds a product's rating figures from its published reviews (`product` is an SQL expression
/// with its parameters: the id, or a review's product).
fn refresh_rating(product: &str, params: Vec<SqlValue>) -> Sql {
    let mut sql = Sql::new(format!(
        "INSERT INTO product_ratings (product_id, count, total, r1, r2, r3, r4, r5) \
         SELECT p.id, COUNT(r.id), COALESCE(SUM(r.rating), 0), \
           COALESCE(SUM(r.rating = 1), 0), COALESCE(SUM(r.rating = 2), 0), COALESCE(SUM(r.rating = 3), 0), \
           COALESCE(SUM(r.rating = 4), 0), COALESCE(SUM(r.rating = 5), 0) \
         FROM products p LEFT JOIN reviews r ON r.product_id = p.id AND r.status = 'published' \
         WHERE p.id = {product} GROUP BY p.id \
         ON CONFLICT (product_id) DO UPDATE SET count = excluded.count, total = excluded.total, r1 = excluded.r1, \
           r2 = excluded.r2, r3 = excluded.r3, r4 = excluded.r4, r5 = excluded.r5"
    ));
    sql.params = params;
    sql
}

pub fn refresh_rating_sql(product_id: i64) -> Sql {
    refresh_rating("?", vec![SqlValue::Int(product_id)])
}

fn refresh_rating_of_review_sql(review_id: &str) -> Sql {
    refresh_rating("(SELECT product_id FROM reviews WHERE id = ?)", vec![review_id.into()])
}

/// The sentiment label of a review's title and text (`domain::sentiment::analyze`).
pub fn sentiment_of(title: &str, body: &str) -> crate::domain::sentiment::Label {
    let text = if title.trim().is_empty() { body.to_string() } else { format!("{}. {body}", title.trim()) };
    crate::domain::sentiment::analyze(&text).label
}

/// A review as taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub id: String,
    pub product_id: i64,
    pub status: ReviewStatus,
    pub flags: Vec<&'static str>,
}

/// Takes a review of the product `slug` from `reviewer`: a verified buyer of a delivered, not yet
/// reviewed order line (`domain::reviews::choose`), then the fields (`validate`). Clean text is
/// published at once and the product's figures rebuilt in the same batch; flagged text waits.
/// Two submissions for one line at once: the unique (order, line) key lets one in, the other is
/// `AlreadyReviewed`.
pub async fn submit(db: &impl Db, reviewer: &Reviewer, slug: &str, input: &ReviewInput, photos: &[String], id: &str, now: i64) -> Result<Submitted, ReviewError> {
    if photos.len() > crate::domain::reviews::PHOTOS_MAX {
        return Err(ReviewError::Invalid(vec![FieldError { field: "photo", problem: crate::domain::listing::Problem::TooMany }]));
    }
    let product_id = db.first::<IdRow>(&product_id_sql(slug)).await?.ok_or(ReviewError::NotFound)?.id;
    let rows: Vec<CandidateRow> = db.all(&candidates_sql(product_id, reviewer)).await?;
    let customers: Vec<Option<String>> = rows.iter().map(|r| r.customer_id.clone()).collect();
    let candidates: Vec<Candidate> = rows
        .into_iter()
        .map(|r| Candidate {
            order_id: r.order_id,
            line_no: r.line_no,
            size: r.size,
            color: r.color,
            buyer_name: r.buyer_name,
            locale: r.locale,
            delivered: r.delivered != 0,
            reviewed: r.reviewed != 0,
        })
        .collect();
    let line = choose(&candidates).map_err(ReviewError::Ineligible)?;
    let draft = validate(input).map_err(ReviewError::Invalid)?;
    let customer_id = match reviewer {
        Reviewer::Customer(c) => Some(c.clone()),
        Reviewer::Link { .. } => candidates.iter().position(|c| c == line).and_then(|i| customers.get(i).cloned().flatten()),
    };
    let status = initial_status(&draft.flags);
    let flags: Vec<&'static str> = draft.flags.iter().map(|f| f.code()).collect();
    let published_at = (status == ReviewStatus::Published).then_some(now);
    // The sentiment is for the shop's eyes only: it never decides whether the review is shown.
    let sentiment = sentiment_of(&draft.title, &draft.body);
    let insert = Sql::new(
        "INSERT INTO reviews (id, product_id, order_id, line_no, customer_id, author_name, locale, rating, title, body, fit, size, color, \
         status, flags, sentiment, created_at, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(product_id)
    .bind(line.order_id.as_str())
    .bind(line.line_no)
    .bind(customer_id.as_deref())
    .bind(display_name(&line.buyer_name).unwrap_or_default())
    .bind(if line.locale == "en" { "en" } else { "vi" })
    .bind(draft.rating)
    .bind(draft.title.as_str())
    .bind(draft.body.as_str())
    .bind(draft.fit.map(|f| f.code()))
    .bind(line.size.as_str())
    .bind(line.color.as_str())
    .bind(status.code())
    .bind(flags.join(","))
    .bind(sentiment.code())
    .bind(now)
    .bind(published_at.map_or(SqlValue::Null, SqlValue::Int))
    .bind(now);
    // Photos (already stored, content-hashed) wait for a moderator whatever the text's status.
    let mut batch = vec![insert];
    for (i, url) in photos.iter().enumerate() {
        batch.push(
            Sql::new("INSERT INTO review_photos (review_id, position, url, status, created_at) VALUES (?, ?, ?, 'pending', ?)")
                .bind(id)
                .bind(i as i64 + 1)
                .bind(url.as_str())
                .bind(now),
        );
    }
    batch.push(refresh_rating_sql(product_id));
    match db.batch(&batch).await {
        Ok(_) => Ok(Submitted { id: id.to_string(), product_id, status, flags }),
        Err(e) if e.is_unique("reviews", "order_id") => Err(ReviewError::Ineligible(Ineligible::AlreadyReviewed)),
        Err(e) => Err(e.into()),
    }
}

/// The order line a review link names, with its product (for the write form).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LinkLine {
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color_vi: String,
    pub color_en: String,
}

pub fn link_line_sql(order_id: &str, line_no: i64) -> Sql {
    Sql::new(
        "SELECT p.slug, l.name_vi, l.name_en, l.size, COALESCE(c.name_vi, l.color) AS color_vi, COALESCE(c.name_en, l.color) AS color_en FROM order_lines l \
         JOIN products p ON p.id = l.product_id LEFT JOIN colors c ON c.code = l.color WHERE l.order_id = ? AND l.line_no = ?",
    )
    .bind(order_id)
    .bind(line_no)
}

/// A delivered order line of the signed-in customer that has no review yet (the account page's
/// "write a review" list).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReviewableLine {
    pub order_id: String,
    pub line_no: i64,
    pub number: String,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color_vi: String,
    pub color_en: String,
}

/// The customer's delivered lines of products on sale without a review, newest order first.
pub fn reviewable_lines_sql(customer_id: &str) -> Sql {
    Sql::new(
        "SELECT l.order_id, l.line_no, o.number, p.slug, l.name_vi, l.name_en, l.size, COALESCE(c.name_vi, l.color) AS color_vi, \
         COALESCE(c.name_en, l.color) AS color_en FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id \
         LEFT JOIN colors c ON c.code = l.color \
         WHERE o.customer_id = ? AND o.fulfillment_status = 'delivered' AND p.status = 'active' \
           AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.order_id = l.order_id AND r.line_no = l.line_no) \
         ORDER BY o.created_at DESC, l.line_no LIMIT 20",
    )
    .bind(customer_id)
}

// --- review requests ---------------------------------------------------------------------------

/// How long after delivery the review request should go out (the outbox's sender waits for
/// `send_after`).
pub const REQUEST_DELAY_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Debug, Deserialize)]
struct RequestLineRow {
    line_no: i64,
    product_id: i64,
    name_vi: String,
    name_en: String,
    size: String,
    color: String,
    email: String,
    name: String,
    locale: String,
    number: String,
    customer_id: Option<String>,
}

/// Queues the review request of a delivered order: one outbox row of kind `review_request`
/// (dedupe key `review_request:{order}`, so a second call adds nothing) holding, for each line of a
/// product still on sale, its signed review link (`domain::reviews::review_token`, 30 days) under
/// `origin`. Nothing for an order that is not delivered or has no email. `Ok(true)`: queued now.
pub async fn queue_review_request(db: &impl Db, secret: &[u8], origin: &str, order_id: &str, now: i64) -> Result<bool, DbError> {
    let lines: Vec<RequestLineRow> = db
        .all(
            &Sql::new(
                "SELECT l.line_no, l.product_id, l.name_vi, l.name_en, l.size, l.color, o.email, o.name, o.locale, o.number, o.customer_id \
                 FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id \
                 WHERE o.id = ? AND o.fulfillment_status = 'delivered' AND o.email <> '' AND p.status = 'active' ORDER BY l.line_no",
            )
            .bind(order_id),
        )
        .await?;
    let Some(first) = lines.first() else { return Ok(false) };
    let expires_at = now + crate::domain::reviews::LINK_SECONDS;
    let prefix = if first.locale == "en" { "/en" } else { "" };
    let items: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| {
            let token = crate::domain::reviews::review_token(secret, order_id, l.line_no, expires_at);
            json!({
                "line_no": l.line_no,
                "product_id": l.product_id,
                "name": if l.locale == "en" { &l.name_en } else { &l.name_vi },
                "size": l.size,
                "color": l.color,
                "url": format!("{origin}{prefix}/reviews/write?t={token}"),
            })
        })
        .collect();
    let payload = json!({
        "to": first.email,
        "name": first.name,
        "locale": first.locale,
        "order_id": order_id,
        "number": first.number,
        "customer_id": first.customer_id,
        "send_after": now + REQUEST_DELAY_SECONDS,
        "expires_at": expires_at,
        "items": items,
    });
    // The mail carries the first line's link (the write page); every line's link is in the payload.
    let mut payload = payload;
    payload["url"] = items.first().and_then(|i| i.get("url")).cloned().unwrap_or_default();
    // Due a week after delivery: the delivery pass leaves it until then.
    let insert = Sql::new(format!("{} VALUES (?, ?, 'email', ?, ?, ?, ?, ?) {}", super::outbox::INSERT, super::outbox::ON_CONFLICT))
        .bind(format!("review_request:{order_id}"))
        .bind(crate::domain::notify::Kind::ReviewRequest.code())
        .bind(first.email.as_str())
        .bind(first.locale.as_str())
        .bind(payload.to_string())
        .bind(now + REQUEST_DELAY_SECONDS)
        .bind(now);
    Ok(db.run(&insert).await? == 1)
}

// --- a product's list --------------------------------------------------------------------------

/// A published review as the product page and the API show it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReviewRow {
    pub id: String,
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub fit: Option<String>,
    pub size: String,
    pub color: String,
    pub author_name: String,
    pub locale: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub reply: Option<String>,
    pub reply_at: Option<i64>,
    pub helpful: i64,
    /// Approved photo URLs joined by U+001F, in order.
    pub photos: Option<String>,
    /// The approved video's Stream id (public at Stream), if any.
    #[serde(default)]
    pub video: Option<String>,
}

impl ReviewRow {
    pub fn photo_urls(&self) -> Vec<&str> {
        self.photos.as_deref().map_or_else(Vec::new, |p| p.split('\u{1f}').filter(|u| !u.is_empty()).collect())
    }
}

#[derive(Debug, Default, Deserialize)]
struct RatingRow {
    count: i64,
    total: i64,
    r1: i64,
    r2: i64,
    r3: i64,
    r4: i64,
    r5: i64,
}

impl From<RatingRow> for RatingSummary {
    fn from(r: RatingRow) -> Self {
        RatingSummary { count: r.count, total: r.total, distribution: [r.r1, r.r2, r.r3, r.r4, r.r5] }
    }
}

/// A page of a product's published reviews with its figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewsPage {
    pub product_id: i64,
    pub summary: RatingSummary,
    pub reviews: Vec<ReviewRow>,
    /// Reviews matching the filters (for paging).
    pub matching: i64,
    pub page: i64,
    /// Stream's delivery base (the player, manifests, posters), when Stream is configured; set by
    /// the caller, not read from the rows.
    pub video_base: Option<String>,
}

impl ReviewsPage {
    pub fn pages(&self) -> i64 {
        ((self.matching + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
    }
}

const REVIEW_COLUMNS: &str = "r.id, r.rating, r.title, r.body, r.fit, r.size, r.color, r.author_name, r.locale, r.created_at, \
     r.published_at, r.reply, r.reply_at, r.helpful, \
     (SELECT group_concat(url, char(31)) FROM (SELECT ph.url FROM review_photos ph WHERE ph.review_id = r.id \
       AND ph.status = 'approved' ORDER BY ph.position)) AS photos, \
     (SELECT v.uid FROM review_videos v WHERE v.review_id = r.id AND v.state = 'approved') AS video";

fn filtered(product_id: i64, q: &ReviewQuery) -> (String, Vec<SqlValue>) {
    let mut text = String::from(" FROM reviews r WHERE r.product_id = ? AND r.status = 'published'");
    let mut params = vec![SqlValue::Int(product_id)];
    if let Some(stars) = q.stars {
        text.push_str(" AND r.rating = ?");
        params.push(stars.into());
    }
    if q.media {
        text.push_str(
            " AND (EXISTS (SELECT 1 FROM review_photos ph WHERE ph.review_id = r.id AND ph.status = 'approved') \
             OR EXISTS (SELECT 1 FROM review_videos v WHERE v.review_id = r.id AND v.state = 'approved'))",
        );
    }
    (text, params)
}

/// The statements of one page: the figures, the page, the matching count.
pub fn page_batch(product_id: i64, q: &ReviewQuery) -> [Sql; 3] {
    let summary = Sql::new("SELECT count, total, r1, r2, r3, r4, r5 FROM product_ratings WHERE product_id = ?").bind(product_id);
    let (from, params) = filtered(product_id, q);
    let order = match q.sort {
        ReviewSort::Newest => "r.published_at DESC, r.id",
        ReviewSort::Helpful => "r.helpful DESC, r.published_at DESC, r.id",
        ReviewSort::Highest => "r.rating DESC, r.published_at DESC, r.id",
        ReviewSort::Lowest => "r.rating ASC, r.published_at DESC, r.id",
    };
    let mut page = Sql::new(format!("SELECT {REVIEW_COLUMNS}{from} ORDER BY {order} LIMIT ? OFFSET ?"));
    page.params = params.clone();
    page.params.push(PAGE_SIZE.into());
    page.params.push(((q.page.max(1) - 1) * PAGE_SIZE).into());
    let mut count = Sql::new(format!("SELECT COUNT(*) AS id{from}"));
    count.params = params;
    [summary, page, count]
}

/// One page of `product_id`'s published reviews, in one round trip.
pub async fn page(db: &impl Db, product_id: i64, q: &ReviewQuery) -> Result<ReviewsPage, DbError> {
    let [summary, reviews, count] = super::db::expect_n::<3>(db.batch(&page_batch(product_id, q)).await?, "reviews page")?;
    Ok(ReviewsPage {
        product_id,
        summary: summary.first::<RatingRow>()?.map(RatingSummary::from).unwrap_or_default(),
        reviews: reviews.decode()?,
        matching: count.first::<IdRow>()?.map_or(0, |r| r.id),
        page: q.page.max(1),
        video_base: None,
    })
}

/// The page of the product `slug` (on sale), or `NotFound`.
pub async fn page_by_slug(db: &impl Db, slug: &str, q: &ReviewQuery) -> Result<ReviewsPage, ReviewError> {
    let product_id = db.first::<IdRow>(&product_id_sql(slug)).await?.ok_or(ReviewError::NotFound)?.id;
    Ok(page(db, product_id, q).await?)
}

// --- votes and reports -------------------------------------------------------------------------

/// What a "helpful" vote did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voted {
    /// This visitor's vote was new.
    pub counted: bool,
    pub helpful: i64,
}

#[derive(Debug, Deserialize)]
struct HelpfulRow {
    helpful: i64,
}

/// One vote per (review, visitor) on a published review; never the author's own (`customer_id`:
/// the signed-in voter). The count is rebuilt from the votes, so a repeated vote changes nothing.
pub async fn vote_helpful(db: &impl Db, review_id: &str, voter_key: &str, customer_id: Option<&str>, now: i64) -> Result<Voted, ReviewError> {
    let insert = Sql::new(
        "INSERT OR IGNORE INTO review_votes (review_id, voter_key, created_at) SELECT id, ?, ? FROM reviews \
         WHERE id = ? AND status = 'published' AND (customer_id IS NULL OR ? IS NULL OR customer_id <> ?)",
    )
    .bind(voter_key)
    .bind(now)
    .bind(review_id)
    .bind(customer_id)
    .bind(customer_id);
    let recount = Sql::new("UPDATE reviews SET helpful = (SELECT COUNT(*) FROM review_votes WHERE review_id = ?) WHERE id = ?").bind(review_id).bind(review_id);
    let read = Sql::new("SELECT helpful FROM reviews WHERE id = ? AND status = 'published'").bind(review_id);
    let [inserted, _, row] = super::db::expect_n::<3>(db.batch(&[insert, recount, read]).await?, "helpful vote")?;
    let helpful = row.first::<HelpfulRow>()?.ok_or(ReviewError::NotFound)?.helpful;
    Ok(Voted { counted: inserted.changes() == 1, helpful })
}

/// An abuse report, one per (review, visitor); the review's count of reports is rebuilt. Reported
/// reviews come first in the moderators' queue; a report alone never hides a review.
pub async fn report(db: &impl Db, review_id: &str, reporter_key: &str, reason: &str, now: i64) -> Result<bool, ReviewError> {
    let reason: String = reason.trim().chars().take(500).collect();
    let insert = Sql::new(
        "INSERT OR IGNORE INTO review_reports (review_id, reporter_key, reason, created_at) SELECT id, ?, ?, ? FROM reviews \
         WHERE id = ? AND status = 'published'",
    )
    .bind(reporter_key)
    .bind(reason)
    .bind(now)
    .bind(review_id);
    let recount = Sql::new("UPDATE reviews SET reports = (SELECT COUNT(*) FROM review_reports WHERE review_id = ?) WHERE id = ? AND status = 'published'")
        .bind(review_id)
        .bind(review_id);
    let [inserted, recounted] = super::db::expect_n::<2>(db.batch(&[insert, recount]).await?, "review report")?;
    if recounted.changes() == 0 {
        return Err(ReviewError::NotFound);
    }
    Ok(inserted.changes() == 1)
}

// --- moderation --------------------------------------------------------------------------------

/// A review as the moderators' queue shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct QueueRow {
    pub id: String,
    pub product_id: i64,
    pub product_slug: String,
    pub product_name: String,
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub author_name: String,
    pub size: String,
    pub color: String,
    pub status: ReviewStatus,
    pub flags: String,
    pub moderation_note: String,
    pub reply: Option<String>,
    pub reports: i64,
    pub created_at: i64,
    /// Photos waiting for approval.
    pub pending_photos: i64,
    /// Every photo URL (any status) joined by U+001F.
    pub photos: Option<String>,
    pub sentiment: Option<String>,
    /// The review's video at Stream and its state (`domain::stream::VideoState` code), if any.
    #[serde(default)]
    pub video_uid: Option<String>,
    #[serde(default)]
    pub video_state: Option<String>,
}

/// Which reviews the queue lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QueueFilter {
    /// Held text, photos waiting, or reported: what needs a decision.
    #[default]
    Waiting,
    Published,
    Rejected,
    Hidden,
}

impl QueueFilter {
    pub const ALL: [QueueFilter; 4] = [QueueFilter::Waiting, QueueFilter::Published, QueueFilter::Rejected, QueueFilter::Hidden];

    pub fn code(self) -> &'static str {
        match self {
            QueueFilter::Waiting => "waiting",
            QueueFilter::Published => "published",
            QueueFilter::Rejected => "rejected",
            QueueFilter::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> QueueFilter {
        QueueFilter::ALL.into_iter().find(|f| f.code() == s).unwrap_or_default()
    }
}

/// The queue's reviews in `filter`, only those of `sentiment` when one is given.
pub fn queue_sql(filter: QueueFilter, sentiment: Option<crate::domain::sentiment::Label>, limit: i64) -> Sql {
    let condition = match filter {
        QueueFilter::Waiting => {
            "(r.status = 'pending' OR (r.status = 'published' AND r.reports > 0) \
             OR (r.status IN ('pending', 'published') AND EXISTS (SELECT 1 FROM review_photos ph WHERE ph.review_id = r.id AND ph.status = 'pending')) \
             OR (r.status IN ('pending', 'published') AND EXISTS (SELECT 1 FROM review_videos v WHERE v.review_id = r.id AND v.state = 'ready')))"
        }
        QueueFilter::Published => "r.status = 'published'",
        QueueFilter::Rejected => "r.status = 'rejected'",
        QueueFilter::Hidden => "r.status = 'hidden'",
    };
    // What waits: the most reported first, then the oldest. The other tabs: the newest first.
    let order = match filter {
        QueueFilter::Waiting => "r.reports DESC, r.created_at ASC, r.id",
        _ => "r.created_at DESC, r.id",
    };
    Sql::new(format!(
        "SELECT r.id, r.product_id, p.slug AS product_slug, p.name_vi AS product_name, r.rating, r.title, r.body, r.author_name, \
         r.size, r.color, r.status, r.flags, r.moderation_note, r.reply, r.reports, r.created_at, r.sentiment, \
         (SELECT COUNT(*) FROM review_photos ph WHERE ph.review_id = r.id AND ph.status = 'pending') AS pending_photos, \
         (SELECT group_concat(url, char(31)) FROM (SELECT ph.url FROM review_photos ph WHERE ph.review_id = r.id ORDER BY ph.position)) AS photos, \
         v.uid AS video_uid, v.state AS video_state \
         FROM reviews r JOIN products p ON p.id = r.product_id LEFT JOIN review_videos v ON v.review_id = r.id WHERE {condition} \
         AND (? IS NULL OR r.sentiment = ?) ORDER BY {order} LIMIT ?"
    ))
    .bind(sentiment.map(|l| l.code()))
    .bind(sentiment.map(|l| l.code()))
    .bind(limit)
}

#[derive(Debug, Deserialize)]
struct StateRow {
    status: ReviewStatus,
    reply: Option<String>,
    moderation_note: String,
    title: String,
    body: String,
    sentiment: Option<String>,
}

/// A moderator's decision applied: the review's status (gated on the status it was read in), its
/// photos, the product's figures and the audit row, in one batch. `Ok(true)`: the storefront
/// changed (the caller refreshes the cached pages).
pub async fn moderate(db: &impl Db, actor: &Actor<'_>, review_id: &str, decision: &Moderation, now: i64) -> Result<bool, ReviewError> {
    decision.check().map_err(ReviewError::Invalid)?;
    let state = db
        .first::<StateRow>(&Sql::new("SELECT status, reply, moderation_note, title, body, sentiment FROM reviews WHERE id = ?").bind(review_id))
        .await?
        .ok_or(ReviewError::NotFound)?;
    if !decision.from_statuses().contains(&state.status) {
        return Err(ReviewError::WrongState(state.status));
    }
    let from = state.status.code();
    let before = json!({"status": from, "reply": state.reply, "moderation_note": state.moderation_note});
    let (update, after, photos) = match decision {
        Moderation::Approve => (
            // A review written before sentiment was scored (the demo's) gets its label when published.
            Sql::new(
                "UPDATE reviews SET status = 'published', published_at = COALESCE(published_at, ?), moderation_note = '', sentiment = COALESCE(sentiment, ?), \
                 updated_at = ? WHERE id = ? AND status = ?",
            )
            .bind(now)
            .bind(match &state.sentiment {
                Some(_) => SqlValue::Null,
                None => sentiment_of(&state.title, &state.body).code().into(),
            })
                .bind(now)
                .bind(review_id)
                .bind(from),
            json!({"status": "published"}),
            Some("UPDATE review_photos SET status = 'approved' WHERE review_id = ? AND status = 'pending'"),
        ),
        Moderation::Reject { reason } => (
            Sql::new("UPDATE reviews SET status = 'rejected', moderation_note = ?, updated_at = ? WHERE id = ? AND status = ?")
                .bind(reason.trim())
                .bind(now)
                .bind(review_id)
                .bind(from),
            json!({"status": "rejected", "moderation_note": reason.trim()}),
            Some("UPDATE review_photos SET status = 'rejected' WHERE review_id = ?"),
        ),
        Moderation::Hide => (
            Sql::new("UPDATE reviews SET status = 'hidden', updated_at = ? WHERE id = ? AND status = ?").bind(now).bind(review_id).bind(from),
            json!({"status": "hidden"}),
            None,
        ),
        Moderation::Reply { text } => (
            Sql::new("UPDATE reviews SET reply = ?, reply_at = ?, updated_at = ? WHERE id = ? AND status = ?")
                .bind(text.trim())
                .bind(now)
                .bind(now)
                .bind(review_id)
                .bind(from),
            json!({"reply": text.trim()}),
            None,
        ),
    };
    let mut batch = vec![update, audit_sql(actor, decision.action(), "review", review_id, Some(&before), Some(&after), now)];
    // The audit row is gated on the update (changes() > 0); the photos and figures follow it.
    if let Some(photos) = photos {
        batch.push(Sql::new(photos).bind(review_id));
    }
    batch.push(refresh_rating_of_review_sql(review_id));
    let results = db.batch(&batch).await?;
    if results.first().map_or(0, |r| r.changes()) == 0 {
        // Another moderator moved it between the read and the write.
        return Err(ReviewError::WrongState(state.status));
    }
    Ok(match decision {
        Moderation::Reply { .. } => state.status == ReviewStatus::Published,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_780_000_000;

    /// A delivered order of one unit, owned by `customer` (created if needed); its product's slug.
    fn delivered(db: &Sqlite, seed: u32, customer: Option<&str>, is_delivered: bool) -> (String, String) {
        let v = free_variant(db, 1, i64::from(seed % 7));
        let placed = place_order(db, seed, v, 1, "cod", NOW - 86_400 * 10, NOW + 600);
        if let Some(c) = customer {
            db.exec(&format!(
                "INSERT OR IGNORE INTO customers (id, email, name, created_at, updated_at) VALUES ('{c}', '{c}@example.vn', 'Nguyễn An', 0, 0); \
                 UPDATE orders SET customer_id = '{c}' WHERE id = '{}'",
                placed.id
            ));
        }
        if is_delivered {
            db.exec(&format!("UPDATE orders SET status = 'delivered', fulfillment_status = 'delivered' WHERE id = '{}'", placed.id));
        }
        let slug = db.text(&format!("SELECT p.slug FROM products p JOIN variants v ON v.product_id = p.id WHERE v.id = {v}"));
        (placed.id, slug)
    }

    fn good(rating: i64, body: &str) -> ReviewInput {
        ReviewInput { rating: Some(rating), title: "Đẹp".into(), body: body.into(), fit: Some("true_to_size".into()) }
    }

    fn id(n: u32) -> String {
        format!("{n:032x}")
    }

    fn ineligible(r: Result<Submitted, ReviewError>) -> Ineligible {
        match r {
            Err(ReviewError::Ineligible(i)) => i,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_buyer_reviews_a_delivered_line_once_and_the_figures_follow() {
        let db = Sqlite::demo();
        let (order, slug) = delivered(&db, 1, Some("c1"), true);
        let me = Reviewer::Customer("c1".into());
        let taken = block_on(submit(&db, &me, &slug, &good(4, "Vải mát, mặc vừa."), &[], &id(1), NOW)).expect("taken");
        assert_eq!(taken.status, ReviewStatus::Published);
        assert_eq!(db.text(&format!("SELECT order_id FROM reviews WHERE id = '{}'", id(1))), order);
        assert_eq!(db.text(&format!("SELECT author_name FROM reviews WHERE id = '{}'", id(1))), "An N.");
        assert_eq!(db.int(&format!("SELECT count FROM product_ratings WHERE product_id = {}", taken.product_id)), 1);
        assert_eq!(db.int(&format!("SELECT r4 FROM product_ratings WHERE product_id = {}", taken.product_id)), 1);
        // The same line again: 409.
        let again = block_on(submit(&db, &me, &slug, &good(5, "Lần hai"), &[], &id(2), NOW));
        assert_eq!(ineligible(again), Ineligible::AlreadyReviewed);
        let page = block_on(page_by_slug(&db, &slug, &ReviewQuery { page: 1, ..ReviewQuery::default() })).expect("page");
        assert_eq!(page.summary.count, 1);
        assert_eq!(page.reviews.len(), 1);
        assert_eq!(page.reviews[0].body, "Vải mát, mặc vừa.");
    }

    #[test]
    fn each_review_is_scored_when_taken_or_published_and_the_queue_filters_by_sentiment() {
        let db = Sqlite::demo();
        let (_, a) = delivered(&db, 21, Some("s1"), true);
        let (_, b) = delivered(&db, 22, Some("s2"), true);
        let good_one = block_on(submit(&db, &Reviewer::Customer("s1".into()), &a, &good(5, "Áo rất đẹp, vải mát, mặc vừa vặn. Rất hài lòng!"), &[], &id(30), NOW)).expect("taken");
        // Held text (a phone number) is scored too: sentiment never decides what is shown.
        let bad_one = block_on(submit(&db, &Reviewer::Customer("s2".into()), &b, &good(1, "Vải xấu, không vừa, rất thất vọng. Gọi 0912 345 678"), &[], &id(31), NOW)).expect("taken");
        assert_eq!(bad_one.status, ReviewStatus::Pending);
        let label = |id: &str| db.text(&format!("SELECT COALESCE(sentiment, 'none') FROM reviews WHERE id = '{id}'"));
        assert_eq!((label(&good_one.id), label(&bad_one.id)), ("positive".to_string(), "negative".to_string()));
        let ids = |rows: Vec<QueueRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        use crate::domain::sentiment::Label;
        let negative = block_on(db.all(&queue_sql(QueueFilter::Waiting, Some(Label::Negative), 50))).expect("queue");
        assert_eq!(ids(negative), vec![id(31)]);
        assert!(block_on(db.all::<QueueRow>(&queue_sql(QueueFilter::Waiting, Some(Label::Positive), 50))).expect("queue").is_empty());
        assert_eq!(ids(block_on(db.all(&queue_sql(QueueFilter::Published, Some(Label::Positive), 50))).expect("tab")), vec![id(30)]);
        // A review without a label (written before scoring) gets one when a moderator publishes it.
        db.exec(&format!("UPDATE reviews SET sentiment = NULL WHERE id = '{}'", id(31)));
        let actor = Actor { id: "a1", email: "support@vestify.vn", ip: "" };
        block_on(moderate(&db, &actor, &id(31), &Moderation::Approve, NOW + 1)).expect("approved");
        assert_eq!(label(&id(31)), "negative");
        assert_eq!(db.text(&format!("SELECT status FROM reviews WHERE id = '{}'", id(31))), "published");
    }

    #[test]
    fn the_account_lists_delivered_lines_without_a_review_and_their_link_reviews_as_the_customer() {
        let db = Sqlite::demo();
        let (order, slug) = delivered(&db, 41, Some("acc1"), true);
        delivered(&db, 42, Some("acc1"), false);
        delivered(&db, 43, Some("someone-else"), true);
        let lines: Vec<ReviewableLine> = block_on(db.all(&reviewable_lines_sql("acc1"))).expect("lines");
        assert_eq!(lines.iter().map(|l| (l.order_id.as_str(), l.line_no, l.slug.as_str())).collect::<Vec<_>>(), vec![(order.as_str(), 1, slug.as_str())], "only delivered lines of this customer");
        let link = Reviewer::Link { order_id: order.clone(), line_no: 1 };
        block_on(submit(&db, &link, &slug, &good(4, "Ổn áp"), &[], &id(40), NOW)).expect("taken");
        assert_eq!(db.text(&format!("SELECT customer_id FROM reviews WHERE id = '{}'", id(40))), "acc1", "the review is the customer's");
        assert!(block_on(db.all::<ReviewableLine>(&reviewable_lines_sql("acc1"))).expect("lines").is_empty(), "reviewed: no longer listed");
    }

    #[test]
    fn others_and_undelivered_orders_are_refused_with_their_reason() {
        let db = Sqlite::demo();
        let (_, slug) = delivered(&db, 2, Some("buyer"), false);
        let stranger = Reviewer::Customer("stranger".into());
        assert_eq!(ineligible(block_on(submit(&db, &stranger, &slug, &good(5, "x"), &[], &id(3), NOW))), Ineligible::NotABuyer);
        let buyer = Reviewer::Customer("buyer".into());
        assert_eq!(ineligible(block_on(submit(&db, &buyer, &slug, &good(5, "x"), &[], &id(4), NOW))), Ineligible::NotDelivered);
        assert_eq!(db.int("SELECT COUNT(*) FROM reviews"), 0);
        // Unknown product: not found.
        assert!(matches!(block_on(submit(&db, &buyer, "no-such-vest", &good(5, "x"), &[], &id(5), NOW)), Err(ReviewError::NotFound)));
    }

    #[test]
    fn a_guest_link_reviews_only_its_own_line_and_bad_fields_are_422() {
        let db = Sqlite::demo();
        let (order, slug) = delivered(&db, 3, None, true);
        let (_, other_slug) = delivered(&db, 4, None, true);
        let link = Reviewer::Link { order_id: order.clone(), line_no: 1 };
        // The link's line is of another product than `other_slug` (unless both picked the same product).
        if other_slug != slug {
            assert_eq!(ineligible(block_on(submit(&db, &link, &other_slug, &good(5, "x"), &[], &id(6), NOW))), Ineligible::NotABuyer);
        }
        let bad = block_on(submit(&db, &link, &slug, &good(9, ""), &[], &id(7), NOW));
        match bad {
            Err(ReviewError::Invalid(fields)) => assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), vec!["rating", "body"]),
            other => panic!("{other:?}"),
        }
        let taken = block_on(submit(&db, &link, &slug, &good(5, "Rất ưng"), &[], &id(8), NOW)).expect("taken");
        assert_eq!(taken.status, ReviewStatus::Published);
        assert_eq!(db.text(&format!("SELECT COALESCE(customer_id, 'none') FROM reviews WHERE id = '{}'", id(8))), "none");
    }

    #[test]
    fn flagged_text_waits_for_a_moderator_and_approval_publishes_it_once_audited() {
        let db = Sqlite::demo();
        let (_, slug) = delivered(&db, 5, Some("c5"), true);
        let me = Reviewer::Customer("c5".into());
        let taken = block_on(submit(&db, &me, &slug, &good(2, "Mua sỉ gọi 0912 345 678"), &[], &id(9), NOW)).expect("taken");
        assert_eq!(taken.status, ReviewStatus::Pending);
        assert_eq!(taken.flags, vec!["phone"]);
        let q = ReviewQuery { page: 1, ..ReviewQuery::default() };
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").reviews.len(), 0, "held text is not shown");
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").summary.count, 0);
        let queue: Vec<QueueRow> = block_on(db.all(&queue_sql(QueueFilter::Waiting, None, 50))).expect("queue");
        assert_eq!(queue.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec![id(9).as_str()]);

        let actor = Actor { id: "a1", email: "support@vestify.vn", ip: "" };
        assert!(block_on(moderate(&db, &actor, &id(9), &Moderation::Approve, NOW + 1)).expect("approved"));
        let page = block_on(page_by_slug(&db, &slug, &q)).expect("page");
        assert_eq!((page.reviews.len(), page.summary.count, page.summary.distribution[1]), (1, 1, 1));
        // Approving again is a no-op on the figures; hiding takes it down and recounts.
        block_on(moderate(&db, &actor, &id(9), &Moderation::Approve, NOW + 2)).expect("again");
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").summary.count, 1);
        block_on(moderate(&db, &actor, &id(9), &Moderation::Hide, NOW + 3)).expect("hidden");
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").summary.count, 0);
        assert!(matches!(block_on(moderate(&db, &actor, &id(9), &Moderation::Hide, NOW + 4)), Err(ReviewError::WrongState(ReviewStatus::Hidden))));
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM audit_log WHERE entity = 'review' AND entity_id = '{}'", id(9))), 3);
        assert_eq!(db.text("SELECT action FROM audit_log WHERE entity = 'review' ORDER BY id DESC LIMIT 1"), "review.hide");
    }

    #[test]
    fn rejection_needs_a_reason_and_a_reply_is_shown_under_the_review() {
        let db = Sqlite::demo();
        let (_, slug) = delivered(&db, 6, Some("c6"), true);
        let me = Reviewer::Customer("c6".into());
        block_on(submit(&db, &me, &slug, &good(3, "Tạm được"), &[], &id(10), NOW)).expect("taken");
        let actor = Actor { id: "a1", email: "support@vestify.vn", ip: "" };
        assert!(matches!(block_on(moderate(&db, &actor, &id(10), &Moderation::Reject { reason: " ".into() }, NOW)), Err(ReviewError::Invalid(_))));
        block_on(moderate(&db, &actor, &id(10), &Moderation::Reply { text: "Cảm ơn bạn!".into() }, NOW)).expect("reply");
        let q = ReviewQuery { page: 1, ..ReviewQuery::default() };
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").reviews[0].reply.as_deref(), Some("Cảm ơn bạn!"));
        block_on(moderate(&db, &actor, &id(10), &Moderation::Reject { reason: "Nội dung không liên quan".into() }, NOW)).expect("rejected");
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").reviews.len(), 0);
        assert_eq!(db.text(&format!("SELECT moderation_note FROM reviews WHERE id = '{}'", id(10))), "Nội dung không liên quan");
    }

    #[test]
    fn one_helpful_vote_per_visitor_and_none_from_the_author() {
        let db = Sqlite::demo();
        let (_, slug) = delivered(&db, 7, Some("c7"), true);
        block_on(submit(&db, &Reviewer::Customer("c7".into()), &slug, &good(5, "Tốt"), &[], &id(11), NOW)).expect("taken");
        assert_eq!(block_on(vote_helpful(&db, &id(11), "ip:1", None, NOW)).expect("vote"), Voted { counted: true, helpful: 1 });
        assert_eq!(block_on(vote_helpful(&db, &id(11), "ip:1", None, NOW)).expect("vote"), Voted { counted: false, helpful: 1 });
        assert_eq!(block_on(vote_helpful(&db, &id(11), "c:c8", Some("c8"), NOW)).expect("vote"), Voted { counted: true, helpful: 2 });
        assert_eq!(block_on(vote_helpful(&db, &id(11), "c:c7", Some("c7"), NOW)).expect("vote"), Voted { counted: false, helpful: 2 });
        assert!(matches!(block_on(vote_helpful(&db, "nope", "ip:1", None, NOW)), Err(ReviewError::NotFound)));
        // Reports: one per visitor; the review stays up and moves to the queue.
        assert!(block_on(report(&db, &id(11), "ip:1", "spam", NOW)).expect("report"));
        assert!(!block_on(report(&db, &id(11), "ip:1", "spam", NOW)).expect("report"));
        let queue: Vec<QueueRow> = block_on(db.all(&queue_sql(QueueFilter::Waiting, None, 50))).expect("queue");
        assert_eq!(queue.first().map(|r| r.reports), Some(1));
        let q = ReviewQuery { page: 1, sort: ReviewSort::Helpful, ..ReviewQuery::default() };
        assert_eq!(block_on(page_by_slug(&db, &slug, &q)).expect("page").reviews[0].helpful, 2);
    }

    #[test]
    fn filters_and_paging_count_only_matching_published_reviews() {
        let db = Sqlite::demo();
        let (_, slug) = delivered(&db, 8, Some("c9"), true);
        let product = db.int(&format!("SELECT id FROM products WHERE slug = '{slug}'"));
        for n in 0..23 {
            db.exec(&format!(
                "INSERT INTO reviews (id, product_id, order_id, line_no, author_name, rating, body, size, color, status, created_at, published_at, updated_at) \
                 VALUES ('r{n}', {product}, 'demo-{n}', 1, 'An', {}, 'ok', 'M', 'grey', 'published', {n}, {n}, {n})",
                n % 5 + 1
            ));
        }
        db.exec("INSERT INTO review_photos (review_id, position, url, status, created_at) VALUES ('r4', 1, '/media/a.jpg', 'approved', 0), ('r9', 1, '/media/b.jpg', 'pending', 0)");
        block_on(db.run(&refresh_rating_sql(product))).expect("figures");
        let all = block_on(page(&db, product, &ReviewQuery { page: 3, ..ReviewQuery::default() })).expect("page");
        assert_eq!((all.summary.count, all.matching, all.pages(), all.reviews.len()), (23, 23, 3, 3));
        assert_eq!(all.summary.distribution, [5, 5, 5, 4, 4]);
        let fives = block_on(page(&db, product, &ReviewQuery { page: 1, stars: Some(5), ..ReviewQuery::default() })).expect("fives");
        assert!(fives.reviews.iter().all(|r| r.rating == 5));
        assert_eq!(fives.matching, 4);
        let media = block_on(page(&db, product, &ReviewQuery { page: 1, media: true, ..ReviewQuery::default() })).expect("media");
        assert_eq!(media.reviews.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["r4"]);
        assert_eq!(media.reviews[0].photo_urls(), vec!["/media/a.jpg"]);
        let newest = block_on(page(&db, product, &ReviewQuery { page: 1, ..ReviewQuery::default() })).expect("newest");
        assert_eq!(newest.reviews[0].id, "r22");
        // The moderators' published tab lists the newest first too.
        let tab: Vec<QueueRow> = block_on(db.all(&queue_sql(QueueFilter::Published, None, 5))).expect("tab");
        assert_eq!(tab.first().map(|r| r.id.as_str()), Some("r22"));
    }

    #[test]
    fn the_demo_reviews_load_twice_into_the_same_figures_that_a_publish_would_compute() {
        let db = Sqlite::demo();
        let sql = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seed/reviews.sql")).expect("seed/reviews.sql");
        db.exec(&sql);
        db.exec(&sql);
        let reviews = db.int("SELECT COUNT(*) FROM reviews");
        assert!(reviews >= 60, "{reviews} demo reviews");
        assert!(db.int("SELECT COUNT(*) FROM reviews WHERE locale = 'en'") > 10);
        assert!(db.int("SELECT COUNT(DISTINCT review_id) FROM review_photos WHERE status = 'approved'") > 10);
        assert!(db.int("SELECT COUNT(DISTINCT rating) FROM reviews") >= 4);
        assert!(db.int("SELECT COUNT(*) FROM products WHERE status = 'active' AND id NOT IN (SELECT product_id FROM reviews)") > 0, "some have none");
        let product = db.int("SELECT product_id FROM reviews GROUP BY product_id ORDER BY COUNT(*) DESC LIMIT 1");
        let seeded = block_on(page(&db, product, &ReviewQuery { page: 1, ..ReviewQuery::default() })).expect("page").summary;
        block_on(db.run(&refresh_rating_sql(product))).expect("recount");
        let recounted = block_on(page(&db, product, &ReviewQuery { page: 1, ..ReviewQuery::default() })).expect("page").summary;
        assert_eq!(seeded, recounted);
        assert_eq!(seeded.count, db.int(&format!("SELECT COUNT(*) FROM reviews WHERE product_id = {product}")));
    }

    #[test]
    fn a_delivered_order_queues_one_review_request_whose_links_review_its_lines() {
        let db = Sqlite::demo();
        let secret = b"a shop secret of enough length!!";
        let (order, slug) = delivered(&db, 9, None, false);
        assert!(!block_on(queue_review_request(&db, secret, "https://vestify.vn", &order, NOW)).expect("not delivered"));
        db.exec(&format!("UPDATE orders SET status = 'delivered', fulfillment_status = 'delivered' WHERE id = '{order}'"));
        assert!(block_on(queue_review_request(&db, secret, "https://vestify.vn", &order, NOW)).expect("queued"));
        assert!(!block_on(queue_review_request(&db, secret, "https://vestify.vn", &order, NOW + 5)).expect("once"));
        let payload: serde_json::Value = serde_json::from_str(&db.text("SELECT payload FROM outbox WHERE kind = 'review_request'")).expect("json");
        assert_eq!(payload["to"], "an@example.vn");
        assert_eq!(payload["send_after"], NOW + REQUEST_DELAY_SECONDS);
        let url = payload["items"][0]["url"].as_str().expect("a link");
        let token = url.strip_prefix("https://vestify.vn/reviews/write?t=").expect("the write form");
        let (order_id, line_no) = crate::domain::reviews::verify_review_token(secret, token, NOW + 86_400).expect("signed");
        let taken = block_on(submit(&db, &Reviewer::Link { order_id, line_no }, &slug, &good(5, "Nhận hàng rồi, rất ưng"), &[], &id(12), NOW)).expect("taken");
        assert_eq!(taken.status, ReviewStatus::Published);
    }

    #[test]
    fn photos_wait_for_approval_while_the_text_is_published_and_six_are_refused() {
        let db = Sqlite::demo();
        let (_, slug) = delivered(&db, 10, Some("c10"), true);
        let me = Reviewer::Customer("c10".into());
        let six: Vec<String> = (0..6).map(|i| format!("/media/{i:064x}.jpg")).collect();
        assert!(matches!(block_on(submit(&db, &me, &slug, &good(5, "Đẹp"), &six, &id(13), NOW)), Err(ReviewError::Invalid(_))));
        let taken = block_on(submit(&db, &me, &slug, &good(5, "Đẹp"), &six[..2], &id(13), NOW)).expect("taken");
        assert_eq!(taken.status, ReviewStatus::Published);
        let q = ReviewQuery { page: 1, ..ReviewQuery::default() };
        let shown = block_on(page_by_slug(&db, &slug, &q)).expect("page");
        assert_eq!(shown.reviews[0].photo_urls(), Vec::<&str>::new(), "photos wait");
        let queue: Vec<QueueRow> = block_on(db.all(&queue_sql(QueueFilter::Waiting, None, 50))).expect("queue");
        assert_eq!(queue.iter().find(|r| r.id == id(13)).map(|r| r.pending_photos), Some(2));
        let actor = Actor { id: "a1", email: "support@vestify.vn", ip: "" };
        block_on(moderate(&db, &actor, &id(13), &Moderation::Approve, NOW + 1)).expect("approved");
        let shown = block_on(page_by_slug(&db, &slug, &q)).expect("page");
        assert_eq!(shown.reviews[0].photo_urls(), vec![six[0].as_str(), six[1].as_str()]);
        assert!(block_on(page_by_slug(&db, &slug, &ReviewQuery { page: 1, media: true, ..ReviewQuery::default() })).expect("media").reviews.len() == 1);
    }
}
