//! Product questions and answers over the storage port (issue 22, docs/REVIEWS.md "Questions and
//! answers"): a signed-in shopper asks (limited per customer), the shop answers from the admin, a
//! verified buyer of the product may answer too; questions and buyers' answers wait for a moderator
//! (approve, reject with a reason), every decision audited. Only published questions, each with its
//! published answers, are listed under the product.
//!
//! The limits and states are `domain::questions`'; here they meet the rows. A moderator's write is
//! gated on the state it moves from, so a repeated decision changes nothing and is not audited twice.

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::sql::{Sql, SqlValue};
use crate::domain::listing::FieldError;
use crate::domain::questions::{post_wait, validate_answer, validate_question, AnswerBy, AnswerRefusal, QaDecision, QaStatus, PAGE_SIZE, POSTS_PER_WINDOW, POST_WINDOW};
use crate::domain::reviews::{display_name, flags};

/// Why a question or an answer was not taken (or a decision not made).
#[derive(Debug)]
pub enum QaError {
    /// No such product on sale, question or answer (or the question is not published, for a
    /// buyer's answer).
    NotFound,
    Invalid(Vec<FieldError>),
    /// The customer posted [`POSTS_PER_WINDOW`] texts within the window: wait this many seconds.
    TooMany { retry_after: i64 },
    NotABuyer,
    /// Not in a state the decision applies to.
    WrongState(QaStatus),
    Db(DbError),
}

impl From<DbError> for QaError {
    fn from(e: DbError) -> Self {
        QaError::Db(e)
    }
}

impl QaError {
    /// The edge's error, its sentence in `locale`.
    pub fn into_app_error(self, locale: crate::domain::locale::Locale) -> crate::domain::error::AppError {
        use crate::domain::error::AppError;
        match self {
            QaError::NotFound => AppError::NotFound,
            QaError::Invalid(fields) => AppError::Unprocessable(fields),
            QaError::TooMany { retry_after } => AppError::TooManyRequests { retry_after },
            QaError::NotABuyer => AppError::forbidden(AnswerRefusal::NotABuyer.code(), AnswerRefusal::NotABuyer.message(locale)),
            QaError::WrongState(status) => AppError::conflict("qa_state", format!("It is {}.", status.code())),
            QaError::Db(e) => AppError::from(e),
        }
    }
}

#[derive(Debug, Deserialize)]
struct IdRow {
    id: i64,
}

#[derive(Debug, Deserialize)]
struct NameRow {
    name: String,
}

#[derive(Debug, Deserialize)]
struct AtRow {
    created_at: i64,
}

#[derive(Debug, Deserialize)]
struct StatusRow {
    status: QaStatus,
    product_id: i64,
}

async fn product_id(db: &impl Db, slug: &str) -> Result<i64, QaError> {
    let row: Option<IdRow> = db.first(&Sql::new("SELECT id FROM products WHERE slug = ? AND status = 'active'").bind(slug)).await?;
    row.map(|r| r.id).ok_or(QaError::NotFound)
}

/// The customer's name as shown ("An N."), or `NotFound` for no such (or an erased) account.
async fn author(db: &impl Db, customer_id: &str) -> Result<String, QaError> {
    let row: Option<NameRow> = db.first(&Sql::new("SELECT name FROM customers WHERE id = ? AND deleted_at IS NULL").bind(customer_id)).await?;
    let row = row.ok_or(QaError::NotFound)?;
    Ok(display_name(&row.name).unwrap_or_default())
}

/// The customer's questions and answers within the window before `now`.
fn recent_posts_sql(customer_id: &str, now: i64) -> Sql {
    Sql::new(
        "SELECT created_at FROM product_questions WHERE customer_id = ? AND created_at > ? \
         UNION ALL SELECT created_at FROM product_answers WHERE customer_id = ? AND by = 'buyer' AND created_at > ?",
    )
    .bind(customer_id)
    .bind(now - POST_WINDOW)
    .bind(customer_id)
    .bind(now - POST_WINDOW)
}

/// `Err(TooMany)` when the customer must wait before posting again.
async fn check_pace(db: &impl Db, customer_id: &str, now: i64) -> Result<(), QaError> {
    let times: Vec<AtRow> = db.all(&recent_posts_sql(customer_id, now)).await?;
    let times: Vec<i64> = times.into_iter().map(|r| r.created_at).collect();
    match post_wait(&times, now) {
        Some(retry_after) => Err(QaError::TooMany { retry_after }),
        None => Ok(()),
    }
}

/// The condition an insert of a customer's post carries, so two posts at once cannot both pass the
/// limit: fewer than the limit within the window (binds: customer, since, customer, since, limit).
const UNDER_LIMIT: &str = "(SELECT COUNT(*) FROM product_questions WHERE customer_id = ? AND created_at > ?) \
     + (SELECT COUNT(*) FROM product_answers WHERE customer_id = ? AND by = 'buyer' AND created_at > ?) < ?";

/// `insert` (an `INSERT … SELECT` of a customer's post) gated on `UNDER_LIMIT`.
fn under_limit(mut insert: Sql, customer_id: &str, now: i64) -> Sql {
    let since = now - POST_WINDOW;
    insert.push(&format!(" WHERE {UNDER_LIMIT}"), [customer_id.into(), since.into(), customer_id.into(), since.into(), POSTS_PER_WINDOW.into()]);
    insert
}

/// Takes a customer's post (a question, or a buyer's answer; `body` already checked): its author's
/// name and the pace first, then `insert` — an `INSERT … SELECT` of the row, given the name and the
/// flags — gated on `UNDER_LIMIT` in the same statement. The post waits for a moderator.
async fn post_under_limit(db: &impl Db, customer_id: &str, body: &str, id: &str, now: i64, insert: impl FnOnce(String, String) -> Sql) -> Result<Posted, QaError> {
    let name = author(db, customer_id).await?;
    check_pace(db, customer_id, now).await?;
    let flags: Vec<&'static str> = flags(body).iter().map(|f| f.code()).collect();
    if db.run(&under_limit(insert(name, flags.join(",")), customer_id, now)).await? == 0 {
        return Err(QaError::TooMany { retry_after: 60 });
    }
    Ok(Posted { id: id.to_string(), status: QaStatus::Pending, flags })
}

/// A question or an answer as taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    pub id: String,
    pub status: QaStatus,
    pub flags: Vec<&'static str>,
}

/// Takes a question about the product `slug` from the signed-in customer: within the limits of its
/// text and the customer's pace, waiting for a moderator. `locale`: the language it was asked in.
pub async fn ask(db: &impl Db, customer_id: &str, slug: &str, body: &str, locale: &str, id: &str, now: i64) -> Result<Posted, QaError> {
    let product_id = product_id(db, slug).await?;
    let body = validate_question(body).map_err(QaError::Invalid)?;
    post_under_limit(db, customer_id, &body, id, now, |name, flags| {
        Sql::new(
            "INSERT INTO product_questions (id, product_id, customer_id, author_name, locale, body, flags, status, created_at, updated_at) \
             SELECT ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?",
        )
        .bind(id)
        .bind(product_id)
        .bind(customer_id)
        .bind(name)
        .bind(if locale == "en" { "en" } else { "vi" })
        .bind(body.as_str())
        .bind(flags)
        .bind(now)
        .bind(now)
    })
    .await
}

/// The published question `question_id` of a product on sale: its product, or `NotFound`.
async fn published_question(db: &impl Db, question_id: &str) -> Result<i64, QaError> {
    let row: Option<IdRow> = db
        .first(
            &Sql::new("SELECT q.product_id AS id FROM product_questions q JOIN products p ON p.id = q.product_id WHERE q.id = ? AND q.status = 'published' AND p.status = 'active'")
                .bind(question_id),
        )
        .await?;
    row.map(|r| r.id).ok_or(QaError::NotFound)
}

/// Whether the customer has a delivered order of the product (a verified buyer may answer).
pub fn verified_buyer_sql(product_id: i64, customer_id: &str) -> Sql {
    Sql::new(
        "SELECT COUNT(*) AS id FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE l.product_id = ? AND o.customer_id = ? AND o.fulfillment_status = 'delivered'",
    )
    .bind(product_id)
    .bind(customer_id)
}

/// A verified buyer's answer to a published question: waits for a moderator. Anyone else: `NotABuyer`.
pub async fn answer_as_buyer(db: &impl Db, customer_id: &str, question_id: &str, body: &str, id: &str, now: i64) -> Result<Posted, QaError> {
    let product_id = published_question(db, question_id).await?;
    let bought: Option<IdRow> = db.first(&verified_buyer_sql(product_id, customer_id)).await?;
    if bought.is_none_or(|r| r.id == 0) {
        return Err(QaError::NotABuyer);
    }
    let body = validate_answer(body).map_err(QaError::Invalid)?;
    post_under_limit(db, customer_id, &body, id, now, |name, flags| {
        Sql::new(
            "INSERT INTO product_answers (id, question_id, by, customer_id, author_name, body, flags, status, created_at, updated_at) \
             SELECT ?, ?, 'buyer', ?, ?, ?, ?, 'pending', ?, ?",
        )
        .bind(id)
        .bind(question_id)
        .bind(customer_id)
        .bind(name)
        .bind(body.as_str())
        .bind(flags)
        .bind(now)
        .bind(now)
    })
    .await
}

/// The shop's answer from the admin, published at once (a moderator wrote it). Answering a question
/// still waiting publishes it too. Both audited. `Ok(product_id)`: the product whose page changed.
pub async fn answer_as_shop(db: &impl Db, actor: &Actor<'_>, question_id: &str, body: &str, id: &str, now: i64) -> Result<i64, QaError> {
    let row: Option<StatusRow> = db.first(&Sql::new("SELECT status, product_id FROM product_questions WHERE id = ?").bind(question_id)).await?;
    let row = row.ok_or(QaError::NotFound)?;
    if row.status == QaStatus::Rejected {
        return Err(QaError::WrongState(row.status));
    }
    let body = validate_answer(body).map_err(QaError::Invalid)?;
    let publish = Sql::new("UPDATE product_questions SET status = 'published', published_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'")
        .bind(now)
        .bind(now)
        .bind(question_id);
    let approved = audit_sql(actor, "question.approve", "product_question", question_id, Some(&json!({"status": "pending"})), Some(&json!({"status": "published"})), now);
    let insert = Sql::new(
        "INSERT INTO product_answers (id, question_id, by, admin_id, author_name, body, status, created_at, published_at, updated_at) \
         VALUES (?, ?, 'shop', ?, 'Vestify', ?, 'published', ?, ?, ?)",
    )
    .bind(id)
    .bind(question_id)
    .bind(actor.id)
    .bind(body.as_str())
    .bind(now)
    .bind(now)
    .bind(now);
    let answered = audit_sql(actor, "question.answer", "product_question", question_id, None, Some(&json!({"answer": id, "body": body})), now);
    db.batch(&[publish, approved, insert, answered]).await?;
    Ok(row.product_id)
}

/// What a moderator's decision did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decided {
    pub product_id: i64,
    /// What the product page shows changed (published, or taken down): its cache must be refreshed.
    pub storefront_changed: bool,
}

/// Which table a decision is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Question,
    Answer,
}

impl Subject {
    fn table(self) -> &'static str {
        match self {
            Subject::Question => "product_questions",
            Subject::Answer => "product_answers",
        }
    }

    fn entity(self) -> &'static str {
        match self {
            Subject::Question => "product_question",
            Subject::Answer => "product_answer",
        }
    }

    fn product_of(self) -> &'static str {
        match self {
            Subject::Question => "product_id",
            Subject::Answer => "(SELECT q.product_id FROM product_questions q WHERE q.id = question_id) AS product_id",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Subject::Question => "question",
            Subject::Answer => "answer",
        }
    }
}

/// A moderator approves or rejects (with a reason) a question or an answer, audited. A decision
/// that does not apply to its state is `WrongState`; two at once: the state gate lets one through.
pub async fn moderate(db: &impl Db, actor: &Actor<'_>, subject: Subject, id: &str, decision: &QaDecision, now: i64) -> Result<Decided, QaError> {
    decision.check().map_err(QaError::Invalid)?;
    let table = subject.table();
    let row: Option<StatusRow> = db.first(&Sql::new(format!("SELECT status, {} FROM {table} WHERE id = ?", subject.product_of())).bind(id)).await?;
    let row = row.ok_or(QaError::NotFound)?;
    let from = decision.from_statuses();
    if !from.contains(&row.status) {
        return Err(QaError::WrongState(row.status));
    }
    let to = decision.to_status();
    let (note, published_at) = match decision {
        QaDecision::Approve => (String::new(), SqlValue::Int(now)),
        QaDecision::Reject { reason } => (reason.trim().to_string(), SqlValue::Null),
    };
    let placeholders = from.iter().map(|_| "?").collect::<Vec<_>>().join(", ");
    let mut update = Sql::new(format!(
        "UPDATE {table} SET status = ?, moderation_note = ?, published_at = COALESCE(?, published_at), updated_at = ? WHERE id = ? AND status IN ({placeholders})"
    ))
    .bind(to.code())
    .bind(note.as_str())
    .bind(published_at)
    .bind(now)
    .bind(id);
    for s in from {
        update = update.bind(s.code());
    }
    let after = json!({"status": to.code(), "reason": note});
    let audit = audit_sql(actor, &format!("{}.{}", subject.code(), decision.code()), subject.entity(), id, Some(&json!({"status": row.status.code()})), Some(&after), now);
    let [updated, _] = super::db::expect_n::<2>(db.batch(&[update, audit]).await?, "qa decision")?;
    let changed = updated.changes() == 1;
    let shown_before = row.status == QaStatus::Published;
    Ok(Decided { product_id: row.product_id, storefront_changed: changed && (shown_before || to == QaStatus::Published) })
}

// --- the product's list ------------------------------------------------------------------------

/// A published answer.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AnswerRow {
    pub id: String,
    pub question_id: String,
    pub by: AnswerBy,
    pub author_name: String,
    pub body: String,
    pub published_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
struct QuestionRow {
    id: String,
    author_name: String,
    body: String,
    locale: String,
    created_at: i64,
    published_at: Option<i64>,
}

/// A published question with its published answers (the shop's first, then the oldest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub author_name: String,
    pub body: String,
    pub locale: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub answers: Vec<AnswerRow>,
}

/// A page of a product's published questions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuestionsPage {
    pub product_id: i64,
    pub questions: Vec<Question>,
    /// Published questions of the product.
    pub total: i64,
    pub page: i64,
}

impl QuestionsPage {
    pub fn pages(&self) -> i64 {
        ((self.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
    }
}

/// The statements of one page: its questions (newest published first), their published answers,
/// the count.
pub fn page_batch(product_id: i64, page: i64) -> [Sql; 3] {
    let offset = (page.max(1) - 1) * PAGE_SIZE;
    let ids = "SELECT id FROM product_questions WHERE product_id = ? AND status = 'published' ORDER BY published_at DESC, id LIMIT ? OFFSET ?";
    let questions = Sql::new(format!(
        "SELECT id, author_name, body, locale, created_at, published_at FROM product_questions WHERE id IN ({ids}) ORDER BY published_at DESC, id"
    ))
    .bind(product_id)
    .bind(PAGE_SIZE)
    .bind(offset);
    let answers = Sql::new(format!(
        "SELECT id, question_id, by, author_name, body, published_at, created_at FROM product_answers \
         WHERE status = 'published' AND question_id IN ({ids}) ORDER BY question_id, by = 'buyer', published_at, id"
    ))
    .bind(product_id)
    .bind(PAGE_SIZE)
    .bind(offset);
    let count = Sql::new("SELECT COUNT(*) AS id FROM product_questions WHERE product_id = ? AND status = 'published'").bind(product_id);
    [questions, answers, count]
}

/// One page of `product_id`'s published questions, in one round trip.
pub async fn page(db: &impl Db, product_id: i64, page: i64) -> Result<QuestionsPage, DbError> {
    let [questions, answers, count] = super::db::expect_n::<3>(db.batch(&page_batch(product_id, page)).await?, "questions page")?;
    let answers: Vec<AnswerRow> = answers.decode()?;
    let questions = questions
        .decode::<QuestionRow>()?
        .into_iter()
        .map(|q| Question {
            answers: answers.iter().filter(|a| a.question_id == q.id).cloned().collect(),
            id: q.id,
            author_name: q.author_name,
            body: q.body,
            locale: q.locale,
            created_at: q.created_at,
            published_at: q.published_at,
        })
        .collect();
    Ok(QuestionsPage { product_id, questions, total: count.first::<IdRow>()?.map_or(0, |r| r.id), page: page.max(1) })
}

/// The page of the product `slug` (on sale), or `NotFound`.
pub async fn page_by_slug(db: &impl Db, slug: &str, n: i64) -> Result<QuestionsPage, QaError> {
    let product_id = product_id(db, slug).await?;
    Ok(page(db, product_id, n).await?)
}

// --- the moderators' queue ---------------------------------------------------------------------

/// Which questions the queue lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QaFilter {
    /// Questions waiting, or published ones with a buyer's answer waiting.
    #[default]
    Waiting,
    Published,
    Rejected,
}

impl QaFilter {
    pub const ALL: [QaFilter; 3] = [QaFilter::Waiting, QaFilter::Published, QaFilter::Rejected];

    pub fn code(self) -> &'static str {
        match self {
            QaFilter::Waiting => "waiting",
            QaFilter::Published => "published",
            QaFilter::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> QaFilter {
        QaFilter::ALL.into_iter().find(|f| f.code() == s).unwrap_or_default()
    }

    fn condition(self) -> &'static str {
        match self {
            QaFilter::Waiting => "q.status = 'pending' OR EXISTS (SELECT 1 FROM product_answers a WHERE a.question_id = q.id AND a.status = 'pending')",
            QaFilter::Published => "q.status = 'published'",
            QaFilter::Rejected => "q.status = 'rejected'",
        }
    }
}

/// A question as the queue shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct QueueQuestion {
    pub id: String,
    pub product_slug: String,
    pub product_name: String,
    pub author_name: String,
    pub body: String,
    pub flags: String,
    pub status: QaStatus,
    pub moderation_note: String,
    pub created_at: i64,
}

/// An answer (any state) as the queue shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct QueueAnswer {
    pub id: String,
    pub question_id: String,
    pub by: AnswerBy,
    pub author_name: String,
    pub body: String,
    pub flags: String,
    pub status: QaStatus,
    pub moderation_note: String,
    pub created_at: i64,
}

/// The queue's questions in `filter` (oldest waiting first, else newest first) and every answer to them.
pub fn queue_batch(filter: QaFilter, limit: i64) -> [Sql; 2] {
    let order = if filter == QaFilter::Waiting { "q.created_at, q.id" } else { "q.created_at DESC, q.id" };
    let ids = format!("SELECT q.id FROM product_questions q WHERE {} ORDER BY {order} LIMIT ?", filter.condition());
    let questions = Sql::new(format!(
        "SELECT q.id, p.slug AS product_slug, p.name_vi AS product_name, q.author_name, q.body, q.flags, q.status, q.moderation_note, q.created_at \
         FROM product_questions q JOIN products p ON p.id = q.product_id WHERE q.id IN ({ids}) ORDER BY {order}"
    ))
    .bind(limit);
    let answers = Sql::new(format!(
        "SELECT id, question_id, by, author_name, body, flags, status, moderation_note, created_at FROM product_answers \
         WHERE question_id IN ({ids}) ORDER BY created_at, id"
    ))
    .bind(limit);
    [questions, answers]
}

/// The queue in one round trip.
pub async fn queue(db: &impl Db, filter: QaFilter, limit: i64) -> Result<(Vec<QueueQuestion>, Vec<QueueAnswer>), DbError> {
    let [questions, answers] = super::db::expect_n::<2>(db.batch(&queue_batch(filter, limit)).await?, "qa queue")?;
    Ok((questions.decode()?, answers.decode()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_780_000_000;
    const ACTOR: Actor<'static> = Actor { id: "a1", email: "support@vestify.vn", ip: "" };

    fn id(n: u32) -> String {
        format!("{n:032x}")
    }

    /// A customer (named "Nguyễn An") and a product on sale; the product's slug and id.
    fn setup(db: &Sqlite, customer: &str) -> (String, i64) {
        db.exec(&format!("INSERT OR IGNORE INTO customers (id, email, name, created_at, updated_at) VALUES ('{customer}', '{customer}@example.vn', 'Nguyễn An', 0, 0)"));
        let product = db.int(
            "SELECT p.id FROM products p JOIN variants v ON v.product_id = p.id WHERE p.status = 'active' AND v.status = 'active' \
             AND v.on_hand - v.reserved >= 2 ORDER BY p.id LIMIT 1",
        );
        (db.text(&format!("SELECT slug FROM products WHERE id = {product}")), product)
    }

    /// Makes `customer` a verified buyer of the product: a delivered order with one line of it.
    fn bought(db: &Sqlite, seed: u32, customer: &str, product: i64, delivered: bool) {
        let v = db.int(&format!("SELECT id FROM variants WHERE product_id = {product} AND status = 'active' AND on_hand - reserved >= 1 ORDER BY id LIMIT 1"));
        let placed = crate::app::orders::fixtures::place_order(db, seed, v, 1, "cod", NOW - 86_400, NOW + 600);
        let status = if delivered { "delivered" } else { "unfulfilled" };
        db.exec(&format!("UPDATE orders SET customer_id = '{customer}', fulfillment_status = '{status}' WHERE id = '{}'", placed.id));
    }

    fn ask_ok(db: &Sqlite, customer: &str, slug: &str, n: u32, at: i64) -> String {
        block_on(ask(db, customer, slug, "Áo này có giặt máy được không?", "vi", &id(n), at)).expect("asked").id
    }

    #[test]
    fn a_question_waits_for_a_moderator_and_only_published_ones_are_listed() {
        let db = Sqlite::demo();
        let (slug, product) = setup(&db, "c1");
        let asked = block_on(ask(&db, "c1", &slug, "  Áo này có giặt máy được không? <b>gấp</b>  ", "en", &id(1), NOW)).expect("asked");
        assert_eq!((asked.status, asked.flags.is_empty()), (QaStatus::Pending, true));
        assert_eq!(db.text(&format!("SELECT author_name || '|' || locale || '|' || body FROM product_questions WHERE id = '{}'", id(1))), "An N.|en|Áo này có giặt máy được không? <b>gấp</b>");
        assert!(block_on(page(&db, product, 1)).expect("page").questions.is_empty(), "pending: not listed");

        let second = ask_ok(&db, "c1", &slug, 2, NOW + 1);
        let decided = block_on(moderate(&db, &ACTOR, Subject::Question, &id(1), &QaDecision::Approve, NOW + 10)).expect("approved");
        assert_eq!(decided, Decided { product_id: product, storefront_changed: true });
        let listed = block_on(page(&db, product, 1)).expect("page");
        assert_eq!((listed.total, listed.questions.len(), listed.questions[0].id.as_str()), (1, 1, id(1).as_str()));
        // Approving again changes nothing and is refused as a wrong state; rejecting the other one
        // (never shown) does not touch the storefront.
        assert!(matches!(block_on(moderate(&db, &ACTOR, Subject::Question, &id(1), &QaDecision::Approve, NOW + 11)), Err(QaError::WrongState(QaStatus::Published))));
        let rejected = block_on(moderate(&db, &ACTOR, Subject::Question, &second, &QaDecision::Reject { reason: "Trùng câu hỏi".into() }, NOW + 12)).expect("rejected");
        assert!(!rejected.storefront_changed);
        assert_eq!(db.text(&format!("SELECT moderation_note FROM product_questions WHERE id = '{second}'")), "Trùng câu hỏi");
        // Taking a published question down is a storefront change.
        let down = block_on(moderate(&db, &ACTOR, Subject::Question, &id(1), &QaDecision::Reject { reason: "Spam".into() }, NOW + 13)).expect("down");
        assert!(down.storefront_changed);
        assert_eq!(block_on(page(&db, product, 1)).expect("page").total, 0);
        let actions: Vec<String> = (0..3).map(|i| db.text(&format!("SELECT action FROM audit_log WHERE entity IN ('product_question', 'product_answer') ORDER BY id LIMIT 1 OFFSET {i}"))).collect();
        assert_eq!(actions, vec!["question.approve", "question.reject", "question.reject"]);
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE entity = 'product_question'"), 3, "the refused repeat is not audited");
    }

    #[test]
    fn bad_questions_are_field_errors_and_unknown_products_or_accounts_not_found() {
        let db = Sqlite::demo();
        let (slug, _) = setup(&db, "c2");
        match block_on(ask(&db, "c2", &slug, "Size?", "vi", &id(3), NOW)) {
            Err(QaError::Invalid(fields)) => assert_eq!(fields[0].field, "body"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(block_on(ask(&db, "c2", "no-such-vest", "Áo này có giặt máy được không?", "vi", &id(4), NOW)), Err(QaError::NotFound)));
        assert!(matches!(block_on(ask(&db, "nobody", &slug, "Áo này có giặt máy được không?", "vi", &id(5), NOW)), Err(QaError::NotFound)));
        assert_eq!(db.int("SELECT COUNT(*) FROM product_questions"), 0);
        // A question with a phone number is taken, flagged for the moderator.
        let flagged = block_on(ask(&db, "c2", &slug, "Gọi tôi 0912 345 678 nhé shop", "vi", &id(6), NOW)).expect("taken");
        assert_eq!(flagged.flags, vec!["phone"]);
    }

    #[test]
    fn a_customer_posts_at_most_five_texts_an_hour() {
        let db = Sqlite::demo();
        let (slug, _) = setup(&db, "c3");
        for n in 0..5 {
            ask_ok(&db, "c3", &slug, 10 + n, NOW + i64::from(n));
        }
        match block_on(ask(&db, "c3", &slug, "Áo này có giặt máy được không?", "vi", &id(20), NOW + 10)) {
            Err(QaError::TooMany { retry_after }) => assert_eq!(retry_after, POST_WINDOW - 10),
            other => panic!("{other:?}"),
        }
        assert_eq!(db.int("SELECT COUNT(*) FROM product_questions"), 5);
        // Another customer is not held back; the first may ask again once the hour has passed.
        setup(&db, "c4");
        ask_ok(&db, "c4", &slug, 21, NOW + 10);
        ask_ok(&db, "c3", &slug, 22, NOW + POST_WINDOW + 1);
        // The insert itself holds the limit, whatever the check before it saw.
        let raced = under_limit(
            Sql::new("INSERT INTO product_questions (id, product_id, customer_id, author_name, body, status, created_at, updated_at) SELECT 'x', 1, 'c3', 'A', 'b', 'pending', ?, ?")
                .bind(NOW + 10)
                .bind(NOW + 10),
            "c3",
            NOW + 10,
        );
        assert_eq!(block_on(db.run(&raced)).expect("run"), 0);
    }

    #[test]
    fn the_shop_answers_at_once_and_a_verified_buyer_answers_after_moderation() {
        let db = Sqlite::demo();
        let (slug, product) = setup(&db, "asker");
        setup(&db, "buyer");
        setup(&db, "waiting");
        setup(&db, "stranger");
        bought(&db, 1, "buyer", product, true);
        bought(&db, 2, "waiting", product, false);
        let q = ask_ok(&db, "asker", &slug, 30, NOW);
        // Nobody answers a question still waiting except the shop.
        assert!(matches!(block_on(answer_as_buyer(&db, "buyer", &q, "Giặt máy được", &id(31), NOW)), Err(QaError::NotFound)));
        // The shop's answer publishes the question with it, audited.
        assert_eq!(block_on(answer_as_shop(&db, &ACTOR, &q, "Được ạ, giặt chế độ nhẹ.", &id(32), NOW + 5)).expect("answered"), product);
        let listed = block_on(page(&db, product, 1)).expect("page");
        assert_eq!(listed.questions[0].answers.iter().map(|a| (a.by, a.author_name.as_str())).collect::<Vec<_>>(), vec![(AnswerBy::Shop, "Vestify")]);
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM audit_log WHERE entity_id = '{q}' AND action IN ('question.approve', 'question.answer')")), 2);
        assert!(matches!(block_on(answer_as_shop(&db, &ACTOR, &q, " ", &id(33), NOW)), Err(QaError::Invalid(_))));

        // Only a buyer whose order of this product was delivered may answer.
        assert!(matches!(block_on(answer_as_buyer(&db, "stranger", &q, "Được mà", &id(34), NOW)), Err(QaError::NotABuyer)));
        assert!(matches!(block_on(answer_as_buyer(&db, "waiting", &q, "Được mà", &id(35), NOW)), Err(QaError::NotABuyer)));
        let taken = block_on(answer_as_buyer(&db, "buyer", &q, "Mình giặt máy 3 tháng vẫn đẹp", &id(36), NOW + 6)).expect("taken");
        assert_eq!(taken.status, QaStatus::Pending);
        assert_eq!(block_on(page(&db, product, 1)).expect("page").questions[0].answers.len(), 1, "the buyer's answer waits");
        let (waiting, answers) = block_on(queue(&db, QaFilter::Waiting, 50)).expect("queue");
        assert_eq!(waiting.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), vec![q.as_str()], "a published question with an answer waiting");
        assert_eq!(answers.len(), 2);
        let approved = block_on(moderate(&db, &ACTOR, Subject::Answer, &id(36), &QaDecision::Approve, NOW + 7)).expect("approved");
        assert_eq!(approved, Decided { product_id: product, storefront_changed: true });
        let shown = block_on(page(&db, product, 1)).expect("page");
        assert_eq!(shown.questions[0].answers.iter().map(|a| a.by).collect::<Vec<_>>(), vec![AnswerBy::Shop, AnswerBy::Buyer], "the shop's first");
        assert!(block_on(queue(&db, QaFilter::Waiting, 50)).expect("queue").0.is_empty());
        // An answer rejected later leaves the page.
        block_on(moderate(&db, &ACTOR, Subject::Answer, &id(36), &QaDecision::Reject { reason: "Sai thông tin".into() }, NOW + 8)).expect("down");
        assert_eq!(block_on(page(&db, product, 1)).expect("page").questions[0].answers.len(), 1);
        assert_eq!(db.text("SELECT action FROM audit_log WHERE entity = 'product_answer' ORDER BY id DESC LIMIT 1"), "answer.reject");
        // A rejected question is not answered.
        let other = ask_ok(&db, "asker", &slug, 37, NOW + 9);
        block_on(moderate(&db, &ACTOR, Subject::Question, &other, &QaDecision::Reject { reason: "Spam".into() }, NOW + 10)).expect("rejected");
        assert!(matches!(block_on(answer_as_shop(&db, &ACTOR, &other, "Được", &id(38), NOW)), Err(QaError::WrongState(QaStatus::Rejected))));
    }

    #[test]
    fn the_list_pages_newest_first_and_counts_only_published_questions() {
        let db = Sqlite::demo();
        let (slug, product) = setup(&db, "c5");
        for n in 0..23u32 {
            db.exec(&format!(
                "INSERT INTO product_questions (id, product_id, customer_id, author_name, body, status, created_at, published_at, updated_at) \
                 VALUES ('q{n:02}', {product}, 'c5', 'An N.', 'Câu hỏi {n}', '{}', {n}, {n}, {n})",
                if n == 22 { "pending" } else { "published" }
            ));
        }
        let third = block_on(page_by_slug(&db, &slug, 3)).expect("page");
        assert_eq!((third.total, third.pages(), third.questions.len()), (22, 3, 2));
        let first = block_on(page_by_slug(&db, &slug, 1)).expect("page");
        assert_eq!(first.questions.first().map(|q| q.id.as_str()), Some("q21"), "the pending q22 is not listed");
        assert!(matches!(block_on(page_by_slug(&db, "no-such-vest", 1)), Err(QaError::NotFound)));
        let before = db.round_trips.get();
        block_on(page(&db, product, 1)).expect("page");
        assert_eq!(db.round_trips.get() - before, 1, "one round trip");
    }
}
