//! Campaigns (issue 14, docs/NOTIFICATIONS.md): a manager's email to a segment of the shop's
//! subscribers, composed and scheduled in the admin (every change audited), then queued by the
//! cron's pass into the outbox in batches.
//!
//! - **Segments** ([`recipients_sql`]): every address whose marketing consent is `subscribed`,
//!   narrowed to the buyers of a category and its subcategories (an order paid, shipped or
//!   delivered) or to the shoppers waiting for an alert on a product. Consent is required of every
//!   segment: a purchase or an alert signup is not an agreement to campaigns.
//! - **Queueing** ([`run_due`]): a scheduled campaign whose time has come becomes `sending`; each
//!   pass then writes outbox rows (kind `campaign`, event key `campaign:<id>`, channel email) for
//!   recipients not yet queued, keeping at most `batch` of the campaign's rows waiting in the
//!   outbox at once — the rate at which it goes out, and room left in every delivery pass for order
//!   mail. The outbox's unique (event, channel, recipient) key and the `NOT EXISTS` of the same
//!   statement make two passes at once queue each recipient once. When none is left the campaign
//!   is `sent`.
//! - **Delivery** is the outbox's: the pass checks consent again when it sends (an address that
//!   unsubscribed meanwhile is skipped), and campaign mail, being marketing, carries RFC 8058's
//!   one-click unsubscribe and the preferences link. No open or click tracking.
//! - **Counts** ([`counts_sql`]) are read from the campaign's outbox rows: queued, sent, failed
//!   (dead), skipped, and the recipients who unsubscribed since the campaign started.

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_created_sql, audit_sql, Actor};
use super::db::{Db, DbError, Sql, SqlValue};
use super::outbox::{INSERT, ON_CONFLICT};
use crate::domain::campaign::{CampaignStatus, Draft, Segment};
use crate::domain::notify::Kind;

/// Outbox rows of one campaign waiting to be sent at once, unless `CAMPAIGN_BATCH` says otherwise:
/// below the delivery pass's 50 rows, so order mail is never starved by a campaign.
pub const DEFAULT_BATCH: i64 = 40;

/// The order statuses that count as a purchase for a category's buyers.
const PAID: &str = "'paid', 'fulfilled', 'delivered', 'partially_refunded'";

/// The event key of a campaign's messages.
pub fn dedupe_key(id: i64) -> String {
    format!("{}:{id}", Kind::Campaign.code())
}

/// The segment's recipients, `recipient` and `locale`, in a stable order: subscribed addresses
/// narrowed by the segment.
pub fn recipients_sql(segment: Segment) -> Sql {
    let (filter, reference) = match segment {
        Segment::Subscribers => (String::new(), None),
        Segment::CategoryBuyers(id) => (
            format!(
                " AND EXISTS (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id \
                 JOIN categories cat ON cat.id = p.category_id \
                 WHERE lower(o.email) = lower(c.recipient) AND o.status IN ({PAID}) \
                 AND substr(cat.path, 1, length((SELECT path FROM categories WHERE id = ?1))) = (SELECT path FROM categories WHERE id = ?1))"
            ),
            Some(id),
        ),
        Segment::ProductAlerts(id) => (
            " AND EXISTS (SELECT 1 FROM alert_subscriptions a JOIN variants v ON v.id = a.variant_id \
             WHERE a.channel = 'email' AND lower(a.recipient) = lower(c.recipient) AND v.product_id = ?1 AND a.notified_at IS NULL)"
                .to_string(),
            Some(id),
        ),
    };
    let mut sql = Sql::new(format!("SELECT c.recipient, c.locale FROM marketing_consents c WHERE c.channel = 'email' AND c.status = 'subscribed'{filter}"));
    if let Some(id) = reference {
        sql.params.push(SqlValue::Int(id));
    }
    sql
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// How many addresses the segment reaches now (the preview's figure).
pub async fn recipient_count(db: &impl Db, segment: Segment) -> Result<i64, DbError> {
    let inner = recipients_sql(segment);
    let mut sql = Sql::new(format!("SELECT COUNT(*) AS n FROM ({})", inner.text));
    sql.params = inner.params;
    Ok(db.first::<Count>(&sql).await?.map_or(0, |c| c.n))
}

/// A new draft (its first statement returns its `id`) and its audit row.
pub fn create_batch(draft: &Draft, actor: &Actor, now: i64) -> Vec<Sql> {
    let mut insert = Sql::new(
        "INSERT INTO campaigns (subject_vi, subject_en, body_vi, body_en, segment, segment_ref, status, created_by, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?) RETURNING id",
    )
    .bind(draft.subject_vi.as_str())
    .bind(draft.subject_en.as_str())
    .bind(draft.body_vi.as_str())
    .bind(draft.body_en.as_str())
    .bind(draft.segment.code());
    insert.params.push(draft.segment.reference().map_or(SqlValue::Null, SqlValue::Int));
    let insert = insert.bind(actor.email).bind(now).bind(now);
    vec![insert, audit_created_sql(actor, "campaign.create", "campaign", "campaigns", &audited(draft), now)]
}

fn audited(draft: &Draft) -> serde_json::Value {
    json!({"subject_vi": draft.subject_vi, "subject_en": draft.subject_en, "segment": draft.segment.code(), "segment_ref": draft.segment.reference()})
}

/// Rewrites a draft or scheduled campaign (a scheduled one keeps its time), audited.
pub fn update_batch(id: i64, draft: &Draft, actor: &Actor, now: i64) -> Vec<Sql> {
    let mut update = Sql::new("UPDATE campaigns SET subject_vi = ?, subject_en = ?, body_vi = ?, body_en = ?, segment = ?, segment_ref = ?, updated_at = ? WHERE id = ? AND status IN ('draft', 'scheduled')")
        .bind(draft.subject_vi.as_str())
        .bind(draft.subject_en.as_str())
        .bind(draft.body_vi.as_str())
        .bind(draft.body_en.as_str())
        .bind(draft.segment.code());
    update.params.push(draft.segment.reference().map_or(SqlValue::Null, SqlValue::Int));
    let update = update.bind(now).bind(id);
    vec![update, audit_sql(actor, "campaign.update", "campaign", &id.to_string(), None, Some(&audited(draft)), now)]
}

/// Schedules a draft (or moves a scheduled campaign) to `send_at` (now or later), audited.
pub fn schedule_batch(id: i64, send_at: i64, actor: &Actor, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("UPDATE campaigns SET status = 'scheduled', send_at = ?, updated_at = ? WHERE id = ? AND status IN ('draft', 'scheduled')").bind(send_at.max(now)).bind(now).bind(id),
        audit_sql(actor, "campaign.schedule", "campaign", &id.to_string(), None, Some(&json!({"send_at": send_at.max(now)})), now),
    ]
}

/// Cancels a campaign not yet sent: a draft, a scheduled one, or one being queued — its messages
/// still waiting in the outbox are skipped; those sent stay sent. Audited.
pub fn cancel_batch(id: i64, actor: &Actor, now: i64) -> Vec<Sql> {
    vec![
        Sql::new("UPDATE outbox SET status = 'skipped', last_error = 'campaign cancelled' WHERE dedupe_key = ? AND status = 'pending' AND EXISTS (SELECT 1 FROM campaigns WHERE id = ? AND status IN ('draft', 'scheduled', 'sending'))")
            .bind(dedupe_key(id))
            .bind(id),
        Sql::new("UPDATE campaigns SET status = 'cancelled', updated_at = ? WHERE id = ? AND status IN ('draft', 'scheduled', 'sending')").bind(now).bind(id),
        audit_sql(actor, "campaign.cancel", "campaign", &id.to_string(), None, None, now),
    ]
}

/// A campaign as the admin shows it, with its counts.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CampaignRow {
    pub id: i64,
    pub subject_vi: String,
    pub subject_en: String,
    pub body_vi: String,
    pub body_en: String,
    pub segment: String,
    pub segment_ref: Option<i64>,
    pub status: String,
    pub send_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

impl CampaignRow {
    pub fn segment(&self) -> Option<Segment> {
        Segment::from_parts(&self.segment, self.segment_ref)
    }

    pub fn status(&self) -> CampaignStatus {
        CampaignStatus::parse(&self.status).unwrap_or(CampaignStatus::Draft)
    }
}

/// What became of a campaign's messages.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// In the outbox, not yet sent (waiting or being sent).
    pub queued: i64,
    pub sent: i64,
    /// Dead letters: the provider refused them, or six tries failed.
    pub failed: i64,
    /// Not sent: the address unsubscribed before its turn, or the campaign was cancelled.
    pub skipped: i64,
    /// Recipients who unsubscribed since the campaign started (by its link or any other).
    pub unsubscribed: i64,
}

/// The count columns of a campaign `c`, read from its outbox rows.
fn counts_columns() -> String {
    let key = format!("'{}:' || c.id", Kind::Campaign.code());
    format!(
        "(SELECT COUNT(*) FROM outbox WHERE dedupe_key = {key} AND status IN ('pending', 'sending')) AS queued, \
         (SELECT COUNT(*) FROM outbox WHERE dedupe_key = {key} AND status = 'sent') AS sent, \
         (SELECT COUNT(*) FROM outbox WHERE dedupe_key = {key} AND status = 'dead') AS failed, \
         (SELECT COUNT(*) FROM outbox WHERE dedupe_key = {key} AND status = 'skipped') AS skipped, \
         (SELECT COUNT(*) FROM outbox ob JOIN marketing_consents m ON m.channel = ob.channel AND m.recipient = ob.recipient \
          WHERE ob.dedupe_key = {key} AND m.status = 'unsubscribed' AND m.unsubscribed_at >= c.started_at) AS unsubscribed"
    )
}

const COLUMNS: &str = "c.id, c.subject_vi, c.subject_en, c.body_vi, c.body_en, c.segment, c.segment_ref, c.status, c.send_at, c.started_at, c.finished_at, c.created_by, c.created_at";

/// The newest campaigns with their counts.
pub fn list_sql(limit: i64) -> Sql {
    Sql::new(format!("SELECT {COLUMNS}, {} FROM campaigns c ORDER BY c.id DESC LIMIT ?", counts_columns())).bind(limit)
}

/// One campaign with its counts.
pub fn campaign_sql(id: i64) -> Sql {
    Sql::new(format!("SELECT {COLUMNS}, {} FROM campaigns c WHERE c.id = ?", counts_columns())).bind(id)
}

/// What the delivery pass needs of a campaign to render its mail.
#[derive(Clone, Debug, Deserialize)]
pub struct CampaignText {
    pub subject_vi: String,
    pub subject_en: String,
    pub body_vi: String,
    pub body_en: String,
}

pub fn text_sql(id: i64) -> Sql {
    Sql::new("SELECT subject_vi, subject_en, body_vi, body_en FROM campaigns WHERE id = ?").bind(id)
}

/// What one queueing pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueReport {
    /// Campaigns whose time came in this pass.
    pub started: u64,
    /// Outbox rows written.
    pub queued: u64,
    /// Campaigns whose every recipient is now queued.
    pub finished: u64,
    /// Abandoned-cart reminders queued in the same pass (`app::cart_reminders`; the Worker's pass).
    pub cart_reminders: u64,
}

#[derive(Deserialize)]
struct Sending {
    id: i64,
    segment: String,
    segment_ref: Option<i64>,
}

/// One queueing pass (the cron's, before delivery): starts the campaigns whose time has come and
/// queues, for each campaign being sent, recipients not yet queued — at most `batch` of its rows
/// waiting in the outbox at once.
pub async fn run_due(db: &impl Db, now: i64, batch: i64) -> Result<QueueReport, DbError> {
    let started = db.run(&Sql::new("UPDATE campaigns SET status = 'sending', started_at = ?1, updated_at = ?1 WHERE status = 'scheduled' AND send_at <= ?1").bind(now)).await?;
    let mut report = QueueReport { started, ..QueueReport::default() };
    let sending: Vec<Sending> = db.all(&Sql::new("SELECT id, segment, segment_ref FROM campaigns WHERE status = 'sending' ORDER BY id")).await?;
    for campaign in sending {
        let Some(segment) = Segment::from_parts(&campaign.segment, campaign.segment_ref) else { continue };
        let results = db.batch(&queue_batch(campaign.id, segment, batch, now)).await?;
        report.queued += results.first().map_or(0, |r| r.changes());
        report.finished += results.get(1).map_or(0, |r| r.changes());
    }
    Ok(report)
}

/// One campaign's queueing, two statements: the next recipients (up to `batch` minus its rows
/// still waiting), gated on the campaign still being sent; then `sent` once none is left.
pub fn queue_batch(id: i64, segment: Segment, batch: i64, now: i64) -> [Sql; 2] {
    let recipients = recipients_sql(segment);
    let key = dedupe_key(id);
    let not_queued = "NOT EXISTS (SELECT 1 FROM outbox q WHERE q.dedupe_key = ?2 AND q.channel = 'email' AND q.recipient = r.recipient)";
    // The segment's own parameter is `?1`; the queueing's are numbered after it. D1 binds numbers
    // as JavaScript doubles: the id is cast so the payload says `1`, not `1.0`.
    let reference = recipients.params.first().cloned().unwrap_or(SqlValue::Null);
    let mut queue = Sql::new(format!(
        "{INSERT} SELECT ?2, '{kind}', 'email', r.recipient, r.locale, json_object('campaign_id', CAST(?3 AS INTEGER)), ?4, ?4 FROM ({inner}) r \
         WHERE {not_queued} AND (SELECT status FROM campaigns WHERE id = ?3) = 'sending' ORDER BY r.recipient \
         LIMIT max(0, ?5 - (SELECT COUNT(*) FROM outbox w WHERE w.dedupe_key = ?2 AND w.status IN ('pending', 'sending'))) {ON_CONFLICT}",
        kind = Kind::Campaign.code(),
        inner = recipients.text,
    ));
    queue.params = vec![reference.clone(), key.as_str().into(), id.into(), now.into(), batch.max(1).into()];
    let mut finish = Sql::new(format!(
        "UPDATE campaigns SET status = 'sent', finished_at = ?4, updated_at = ?4 WHERE id = ?3 AND status = 'sending' \
         AND NOT EXISTS (SELECT 1 FROM ({inner}) r WHERE {not_queued})",
        inner = recipients.text,
    ));
    finish.params = vec![reference, key.as_str().into(), id.into(), now.into()];
    [queue, finish]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::alerts::{subscribe_sql as alert_sql, AlertKind};
    use crate::app::consent::{subscribe_sql, unsubscribe_batch};
    use crate::app::orders::fixtures::{free_variant, place_order};
    use crate::app::outbox::run_pass;
    use crate::app::outbox::tests::{settings, FakeMailer};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::notify::Channel;

    const NOW: i64 = 1_800_000_000;

    fn actor() -> Actor<'static> {
        Actor { id: "a1", email: "quanly@vestify.vn", ip: "" }
    }

    fn draft(segment: Segment) -> Draft {
        Draft {
            subject_vi: "Ưu đãi <cuối tuần>".into(),
            subject_en: "Weekend offer".into(),
            body_vi: "Giảm **20%** cho [áo gilê](https://vestify.vn/c/gile).".into(),
            body_en: "**20%** off [vests](https://vestify.vn/en/c/gile).".into(),
            segment,
        }
    }

    fn subscribed(db: &Sqlite, email: &str, locale: &str) {
        block_on(db.run(&subscribe_sql(Channel::Email, email, locale, "newsletter", NOW - 100))).unwrap();
    }

    fn created(db: &Sqlite, segment: Segment) -> i64 {
        block_on(db.batch(&create_batch(&draft(segment), &actor(), NOW))).unwrap();
        db.int("SELECT MAX(id) FROM campaigns")
    }

    fn recipients(db: &Sqlite, segment: Segment) -> Vec<String> {
        let rows: Vec<serde_json::Value> = block_on(db.all(&recipients_sql(segment))).unwrap();
        let mut r: Vec<String> = rows.iter().map(|v| v["recipient"].as_str().unwrap().to_string()).collect();
        r.sort();
        r
    }

    #[test]
    fn segments_reach_subscribed_addresses_only_narrowed_to_buyers_or_watchers() {
        let db = Sqlite::demo();
        for email in ["an@example.vn", "bo@example.vn", "chi@example.vn"] {
            subscribed(&db, email, "vi");
        }
        // A pending signup and an unsubscribed address are never reached.
        block_on(db.batch(&crate::app::newsletter::signup_batch("dung@example.vn", "vi", "https://x", NOW))).unwrap();
        block_on(db.batch(&unsubscribe_batch(Channel::Email, "em@example.vn", "one_click", NOW))).unwrap();
        assert_eq!(recipients(&db, Segment::Subscribers), ["an@example.vn", "bo@example.vn", "chi@example.vn"]);

        // Buyers of a category: the fixture's orders are by an@example.vn; only a paid one counts.
        let v = free_variant(&db, 2, 0);
        let category = db.int(&format!("SELECT p.category_id FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = {v}"));
        let o = place_order(&db, 1, v, 1, "sandbox", NOW, NOW + 900);
        assert_eq!(recipients(&db, Segment::CategoryBuyers(category)), Vec::<String>::new(), "unpaid");
        block_on(db.batch(&crate::app::stock::pay_order(&o.id, NOW + 1, "test"))).unwrap();
        assert_eq!(recipients(&db, Segment::CategoryBuyers(category)), ["an@example.vn"]);
        // A parent category counts its subcategories' purchases; another category none.
        let parent = db.int(&format!("SELECT COALESCE(parent_id, 0) FROM categories WHERE id = {category}"));
        if parent > 0 {
            assert_eq!(recipients(&db, Segment::CategoryBuyers(parent)), ["an@example.vn"]);
        }
        let other = db.int(&format!("SELECT id FROM categories WHERE id <> {category} AND substr(path, 1, length((SELECT path FROM categories WHERE id = {category}))) <> (SELECT path FROM categories WHERE id = {category}) AND instr((SELECT path FROM categories WHERE id = {category}), path) <> 1 LIMIT 1"));
        assert_eq!(recipients(&db, Segment::CategoryBuyers(other)), Vec::<String>::new());

        // Watchers of a product's alerts, subscribed ones only (em unsubscribed; fi never agreed).
        let product = db.int(&format!("SELECT product_id FROM variants WHERE id = {v}"));
        for email in ["bo@example.vn", "fi@example.vn"] {
            block_on(db.run(&alert_sql(AlertKind::BackInStock, v, Channel::Email, email, "vi", NOW))).unwrap();
        }
        assert_eq!(recipients(&db, Segment::ProductAlerts(product)), ["bo@example.vn"]);
        assert_eq!(block_on(recipient_count(&db, Segment::ProductAlerts(product))).unwrap(), 1);
        assert_eq!(block_on(recipient_count(&db, Segment::Subscribers)).unwrap(), 3);
    }

    #[test]
    fn a_campaign_is_queued_in_batches_sent_once_with_unsubscribe_headers_and_counted() {
        let db = Sqlite::demo();
        for (i, email) in ["a1@example.vn", "a2@example.vn", "a3@example.vn", "a4@example.vn", "a5@example.vn"].into_iter().enumerate() {
            subscribed(&db, email, if i == 0 { "en" } else { "vi" });
        }
        let id = created(&db, Segment::Subscribers);
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.create'"), 1);
        // A draft is never queued.
        assert_eq!(block_on(run_due(&db, NOW, 2)).unwrap(), QueueReport::default());
        block_on(db.batch(&schedule_batch(id, NOW + 3600, &actor(), NOW))).unwrap();
        assert_eq!(block_on(run_due(&db, NOW + 60, 2)).unwrap().queued, 0, "not yet due");

        // Due: two passes at once queue at most the batch (2) between them, each recipient once.
        let (a, b) = block_on(async { futures::join!(run_due(&db, NOW + 3600, 2), run_due(&db, NOW + 3600, 2)) });
        assert_eq!(a.unwrap().queued + b.unwrap().queued, 2);
        assert_eq!(db.text(&format!("SELECT status FROM campaigns WHERE id = {id}")), "sending");
        // Until those are sent, nothing more is queued.
        assert_eq!(block_on(run_due(&db, NOW + 3601, 2)).unwrap().queued, 0);

        // An address unsubscribes before its turn: it is never queued, or skipped when sent.
        block_on(db.batch(&unsubscribe_batch(Channel::Email, "a4@example.vn", "preferences", NOW + 3602))).unwrap();
        let mailer = FakeMailer::default();
        let settings = settings();
        for round in 0..4 {
            let at = NOW + 3700 + round * 60;
            let (a, b) = block_on(async { futures::join!(run_due(&db, at, 2), run_due(&db, at, 2)) });
            a.unwrap();
            b.unwrap();
            let (x, y) = block_on(async { futures::join!(run_pass(&db, &mailer, &settings, "p", at, 50), run_pass(&db, &mailer, &settings, "q", at, 50)) });
            x.unwrap();
            y.unwrap();
        }
        let sent = mailer.sent.borrow();
        let mut to: Vec<&str> = sent.iter().map(|e| e.to.as_str()).collect();
        to.sort();
        assert_eq!(to, ["a1@example.vn", "a2@example.vn", "a3@example.vn", "a5@example.vn"], "each once, none to the unsubscribed address");
        let en = sent.iter().find(|e| e.to == "a1@example.vn").unwrap();
        assert_eq!(en.subject, "Weekend offer · Vestify");
        assert!(en.html.contains("<strong>20%</strong>") && en.html.contains(r#"href="https://vestify.vn/en/c/gile""#), "{}", en.html);
        let vi = sent.iter().find(|e| e.to == "a2@example.vn").unwrap();
        assert_eq!(vi.subject, "Ưu đãi <cuối tuần> · Vestify");
        assert!(vi.html.contains("Ưu đãi &lt;cuối tuần&gt;"), "escaped in the layout");
        assert_eq!(vi.headers[0].0, "List-Unsubscribe");
        assert_eq!(vi.headers[1], ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string()));
        assert!(vi.text.contains("/email/preferences?t="));
        drop(sent);
        assert_eq!(db.text(&format!("SELECT status FROM campaigns WHERE id = {id}")), "sent");

        // A recipient unsubscribes after getting it: counted.
        block_on(db.batch(&unsubscribe_batch(Channel::Email, "a2@example.vn", "campaign", NOW + 5000))).unwrap();
        let row: CampaignRow = block_on(db.first(&campaign_sql(id))).unwrap().unwrap();
        assert_eq!(row.counts, Counts { queued: 0, sent: 4, failed: 0, skipped: 0, unsubscribed: 1 });
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'campaign'"), 4);
        // More passes change nothing.
        assert_eq!(block_on(run_due(&db, NOW + 9000, 2)).unwrap(), QueueReport::default());
    }

    #[test]
    fn a_campaign_id_written_as_a_double_by_d1_still_names_its_campaign() {
        let db = Sqlite::demo();
        subscribed(&db, "a1@example.vn", "vi");
        let id = created(&db, Segment::Subscribers);
        db.exec(&format!("INSERT INTO outbox (dedupe_key, kind, channel, recipient, payload, created_at) VALUES ('campaign:{id}', 'campaign', 'email', 'a1@example.vn', '{{\"campaign_id\":{id}.0}}', 0)"));
        let mailer = FakeMailer::default();
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "p", NOW, 50)).unwrap().sent, 1);
        assert!(mailer.sent.borrow()[0].subject.starts_with("Ưu đãi"));
    }

    #[test]
    fn a_failed_send_is_counted_and_a_cancelled_campaign_skips_what_waits() {
        let db = Sqlite::demo();
        for email in ["a1@example.vn", "a2@example.vn", "a3@example.vn"] {
            subscribed(&db, email, "vi");
        }
        let id = created(&db, Segment::Subscribers);
        block_on(db.batch(&schedule_batch(id, NOW, &actor(), NOW))).unwrap();
        block_on(run_due(&db, NOW, 2)).unwrap();
        let mailer = FakeMailer::default();
        mailer.answers.borrow_mut().push(Err(crate::domain::notify::SendError::Permanent("HTTP 422: bad address".into())));
        block_on(run_pass(&db, &mailer, &settings(), "p", NOW, 1)).unwrap();
        // Editing is refused once sending; cancelling skips the one still waiting.
        assert_eq!(block_on(db.batch(&update_batch(id, &draft(Segment::Subscribers), &actor(), NOW))).unwrap()[0].changes(), 0);
        block_on(db.batch(&cancel_batch(id, &actor(), NOW + 1))).unwrap();
        let row: CampaignRow = block_on(db.first(&campaign_sql(id))).unwrap().unwrap();
        assert_eq!((row.status(), row.counts), (CampaignStatus::Cancelled, Counts { queued: 0, sent: 0, failed: 1, skipped: 1, unsubscribed: 0 }));
        assert_eq!(block_on(run_due(&db, NOW + 60, 2)).unwrap().queued, 0, "nothing more after a cancel");
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action IN ('campaign.schedule', 'campaign.cancel')"), 2);
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.update'"), 0, "a refused edit is not audited");
    }
}
