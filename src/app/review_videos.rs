//! A review's video through Cloudflare Stream (issue 22, docs/REVIEWS.md) over the storage port and
//! a port to Stream (`StreamApi`, fetch in `platform::stream`, an in-memory fake in the tests): the
//! author's upload link, Stream's news applied (webhook or the cron's reconciliation, forward only
//! and idempotent), and the moderators' decisions (approve: public at Stream; reject: deleted there).
//!
//! The states and their moves are `domain::stream::VideoState`'s.

use serde::Deserialize;
use serde_json::json;

use super::admin::{audit_sql, Actor};
use super::db::{Db, DbError};
use super::reviews::Reviewer;
use super::sql::{Sql, SqlValue};
use crate::domain::stream::{Video, VideoState, UPLOAD_SECONDS};

/// A direct upload Stream handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub uid: String,
    pub upload_url: String,
}

/// Stream could not be asked, or answered something else than expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamFailure(pub String);

/// The port to Stream's REST API.
#[expect(async_fn_in_trait, reason = "used generically (`impl StreamApi`), never as a `Send` future or a trait object")]
pub trait StreamApi {
    async fn create_upload(&self, review_id: &str, product_id: i64, now: i64) -> Result<Upload, StreamFailure>;
    /// The video's details; `Ok(None)` when Stream has no such video.
    async fn video(&self, uid: &str) -> Result<Option<Video>, StreamFailure>;
    async fn make_public(&self, uid: &str) -> Result<(), StreamFailure>;
    /// Deleting a video Stream no longer has is a success.
    async fn delete(&self, uid: &str) -> Result<(), StreamFailure>;
}

/// Why a video action was refused.
#[derive(Debug)]
pub enum VideoError {
    NotFound,
    /// Not the review's author (or not a moderator's review).
    NotAuthor,
    /// The review already has a video that is uploaded, or the review is not shown any more.
    Conflict(&'static str),
    Stream(StreamFailure),
    Db(DbError),
}

impl From<DbError> for VideoError {
    fn from(e: DbError) -> Self {
        VideoError::Db(e)
    }
}

impl VideoError {
    pub fn into_app_error(self, locale: crate::domain::locale::Locale) -> crate::domain::error::AppError {
        use crate::domain::error::AppError;
        let l = locale;
        match self {
            VideoError::NotFound => AppError::NotFound,
            VideoError::NotAuthor => AppError::forbidden("not_author", l.pick("Chỉ người viết đánh giá mới tải video lên được.", "Only the review's author can upload its video.")),
            VideoError::Conflict("has_video") => AppError::conflict("has_video", l.pick("Đánh giá này đã có video.", "This review already has a video.")),
            VideoError::Conflict(code) => AppError::conflict(code, l.pick("Đánh giá này không nhận video nữa.", "This review no longer takes a video.")),
            VideoError::Stream(StreamFailure(why)) => AppError::Internal(format!("stream: {why}").into()),
            VideoError::Db(e) => AppError::from(e),
        }
    }
}

#[derive(Debug, Deserialize)]
struct AuthorRow {
    product_id: i64,
    order_id: String,
    line_no: i64,
    customer_id: Option<String>,
    status: String,
    video_state: Option<VideoState>,
}

/// Whether `who` wrote the review: the signed-in customer who owns it, or the link of its order line.
fn is_author(row: &AuthorRow, who: &Reviewer) -> bool {
    match who {
        Reviewer::Customer(id) => row.customer_id.as_deref() == Some(id.as_str()),
        Reviewer::Link { order_id, line_no } => row.order_id == *order_id && row.line_no == *line_no,
    }
}

/// The author's upload link for the review's one video: asked from Stream (90 s, 30 minutes,
/// signed URLs, the review named), then recorded as `awaiting_upload`. A review whose video is
/// uploaded (processing, ready, approved, or rejected) takes no other; one whose link lapsed or
/// whose upload failed gets a new link in place of the old.
pub async fn request_upload(db: &impl Db, stream: &impl StreamApi, who: &Reviewer, review_id: &str, now: i64) -> Result<Upload, VideoError> {
    let row = db
        .first::<AuthorRow>(
            &Sql::new(
                "SELECT r.product_id, r.order_id, r.line_no, r.customer_id, r.status, v.state AS video_state \
                 FROM reviews r LEFT JOIN review_videos v ON v.review_id = r.id WHERE r.id = ?",
            )
            .bind(review_id),
        )
        .await?
        .ok_or(VideoError::NotFound)?;
    if !is_author(&row, who) {
        return Err(VideoError::NotAuthor);
    }
    if !matches!(row.status.as_str(), "pending" | "published") {
        return Err(VideoError::Conflict("review_closed"));
    }
    if row.video_state.is_some_and(|s| !s.replaceable()) {
        return Err(VideoError::Conflict("has_video"));
    }
    let upload = stream.create_upload(review_id, row.product_id, now).await.map_err(VideoError::Stream)?;
    let upsert = Sql::new(
        "INSERT INTO review_videos (uid, review_id, state, upload_expires_at, created_at, updated_at) VALUES (?, ?, 'awaiting_upload', ?, ?, ?) \
         ON CONFLICT (review_id) DO UPDATE SET uid = excluded.uid, state = 'awaiting_upload', err_code = '', duration = NULL, stream_modified = '', \
           upload_expires_at = excluded.upload_expires_at, updated_at = excluded.updated_at \
         WHERE review_videos.state IN ('awaiting_upload', 'error')",
    )
    .bind(upload.uid.as_str())
    .bind(review_id)
    .bind(now + UPLOAD_SECONDS)
    .bind(now)
    .bind(now);
    if db.run(&upsert).await? == 0 {
        // Another request's video was uploaded between the read and the write.
        return Err(VideoError::Conflict("has_video"));
    }
    Ok(upload)
}

/// What Stream's news did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The video moved to this state.
    Moved(VideoState),
    /// Already there or past it (a repeated or late notice), or nothing to say yet.
    Unchanged,
    /// No review video with this id (another app's video on the account).
    Unknown,
}

/// Applies Stream's news about a video: only forward moves (`VideoState::reachable_from`), so
/// the same webhook twice, or an older one after a newer, changes nothing.
pub async fn apply(db: &impl Db, video: &Video, now: i64) -> Result<Applied, DbError> {
    let Some(target) = video.observed() else {
        let known = db.first::<CountRow>(&Sql::new("SELECT COUNT(*) AS n FROM review_videos WHERE uid = ?").bind(video.uid.as_str())).await?;
        return Ok(if known.is_some_and(|k| k.n > 0) { Applied::Unchanged } else { Applied::Unknown });
    };
    let from: Vec<&str> = target.reachable_from().iter().map(|s| s.code()).collect();
    let placeholders = vec!["?"; from.len()].join(", ");
    let mut update = Sql::new(format!(
        "UPDATE review_videos SET state = ?, err_code = ?, duration = COALESCE(?, duration), stream_modified = ?, updated_at = ? \
         WHERE uid = ? AND state IN ({placeholders})"
    ))
    .bind(target.code())
    .bind(if target == VideoState::Error { video.err_code.as_str() } else { "" })
    .bind(video.duration.map_or(SqlValue::Null, |d| SqlValue::Int(d.round() as i64)))
    .bind(video.modified.as_str())
    .bind(now)
    .bind(video.uid.as_str());
    for f in from {
        update = update.bind(f);
    }
    let known = Sql::new("SELECT COUNT(*) AS n FROM review_videos WHERE uid = ?").bind(video.uid.as_str());
    let [moved, known] = super::db::expect_n::<2>(db.batch(&[update, known]).await?, "video news")?;
    Ok(if moved.changes() > 0 {
        Applied::Moved(target)
    } else if known.first::<CountRow>()?.is_some_and(|k| k.n > 0) {
        Applied::Unchanged
    } else {
        Applied::Unknown
    })
}

#[derive(Debug, Deserialize)]
struct CountRow {
    n: i64,
}

#[derive(Debug, Deserialize)]
struct StuckRow {
    uid: String,
    state: VideoState,
    upload_expires_at: i64,
}

/// How long a video may wait for Stream's webhook before the cron asks Stream itself.
pub const RECONCILE_AFTER_SECONDS: i64 = 10 * 60;
/// Videos asked about per cron pass.
const RECONCILE_BATCH: i64 = 20;

/// What a reconciliation pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciled {
    pub checked: u32,
    pub moved: u32,
    /// Links that lapsed without an upload, and videos Stream no longer has: marked `error`.
    pub expired: u32,
    /// Stream could not be asked: left for the next pass.
    pub failed: u32,
}

/// The cron's pass over videos whose webhook never came (Stream cannot call a local shop, and one
/// account has one webhook URL): those still awaiting an upload or processing after
/// `RECONCILE_AFTER_SECONDS` are looked up at Stream and their news applied; a link that lapsed
/// without an upload, or a video Stream does not have, becomes `error` ('expired' / 'missing').
pub async fn reconcile(db: &impl Db, stream: &impl StreamApi, now: i64) -> Result<Reconciled, DbError> {
    let stuck: Vec<StuckRow> = db
        .all(
            &Sql::new(
                "SELECT uid, state, upload_expires_at FROM review_videos WHERE state IN ('awaiting_upload', 'processing') AND updated_at <= ? \
                 ORDER BY updated_at LIMIT ?",
            )
            .bind(now - RECONCILE_AFTER_SECONDS)
            .bind(RECONCILE_BATCH),
        )
        .await?;
    let mut report = Reconciled::default();
    for row in stuck {
        report.checked += 1;
        let news = match stream.video(&row.uid).await {
            Ok(news) => news,
            Err(_) => {
                report.failed += 1;
                continue;
            }
        };
        let applied = match &news {
            Some(video) => apply(db, video, now).await?,
            None => Applied::Unchanged,
        };
        if matches!(applied, Applied::Moved(_)) {
            report.moved += 1;
            continue;
        }
        let lapsed = row.state == VideoState::AwaitingUpload && now > row.upload_expires_at;
        let why = match &news {
            None => Some("missing"),
            Some(v) if v.observed().is_none() && lapsed => Some("expired"),
            _ => None,
        };
        if let Some(why) = why {
            let marked = db
                .run(
                    &Sql::new("UPDATE review_videos SET state = 'error', err_code = ?, updated_at = ? WHERE uid = ? AND state IN ('awaiting_upload', 'processing')")
                        .bind(why)
                        .bind(now)
                        .bind(row.uid.as_str()),
                )
                .await?;
            report.expired += u32::from(marked > 0);
        } else {
            // Still processing at Stream: looked at again after another wait.
            db.run(&Sql::new("UPDATE review_videos SET updated_at = ? WHERE uid = ?").bind(now).bind(row.uid.as_str())).await?;
        }
    }
    Ok(report)
}

#[derive(Debug, Deserialize)]
struct VideoRow {
    uid: String,
    state: VideoState,
}

fn video_of_sql(review_id: &str) -> Sql {
    Sql::new("SELECT uid, state FROM review_videos WHERE review_id = ?").bind(review_id)
}

/// A moderator approves the review's video: made public at Stream first (so nothing is shown that
/// Stream would refuse to play), then `approved` with its audit row. `Ok(true)`: it is now shown.
/// Only a `ready` video can be approved; anything else is left as it is (`Ok(false)`).
pub async fn approve(db: &impl Db, stream: &impl StreamApi, actor: &Actor<'_>, review_id: &str, now: i64) -> Result<bool, VideoError> {
    let Some(video) = db.first::<VideoRow>(&video_of_sql(review_id)).await? else { return Ok(false) };
    if video.state != VideoState::Ready {
        return Ok(false);
    }
    stream.make_public(&video.uid).await.map_err(VideoError::Stream)?;
    decide(db, actor, review_id, &video.uid, VideoState::Ready, VideoState::Approved, now).await
}

/// A moderator rejects the review's video (or the whole review): deleted at Stream, then
/// `rejected` with its audit row. `Ok(true)`: it was shown and is no longer.
pub async fn reject(db: &impl Db, stream: &impl StreamApi, actor: &Actor<'_>, review_id: &str, now: i64) -> Result<bool, VideoError> {
    let Some(video) = db.first::<VideoRow>(&video_of_sql(review_id)).await? else { return Ok(false) };
    if video.state == VideoState::Rejected {
        return Ok(false);
    }
    stream.delete(&video.uid).await.map_err(VideoError::Stream)?;
    decide(db, actor, review_id, &video.uid, video.state, VideoState::Rejected, now).await.map(|_| video.state == VideoState::Approved)
}

async fn decide(db: &impl Db, actor: &Actor<'_>, review_id: &str, uid: &str, from: VideoState, to: VideoState, now: i64) -> Result<bool, VideoError> {
    let update = Sql::new("UPDATE review_videos SET state = ?, updated_at = ? WHERE uid = ? AND state = ?").bind(to.code()).bind(now).bind(uid).bind(from.code());
    let action = if to == VideoState::Approved { "review.video_approve" } else { "review.video_reject" };
    let audit = audit_sql(actor, action, "review", review_id, Some(&json!({"video": uid, "state": from.code()})), Some(&json!({"video": uid, "state": to.code()})), now);
    let results = db.batch(&[update, audit]).await?;
    Ok(results.first().map_or(0, |r| r.changes()) > 0)
}

/// A moderator's view of the review's video: its id, state and why Stream failed it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ModeratedVideo {
    pub review_id: String,
    pub uid: String,
    pub state: VideoState,
    pub err_code: String,
    pub duration: Option<i64>,
}

/// The videos of the listed reviews (the moderation queue).
pub fn videos_of_sql(review_ids: &[&str]) -> Sql {
    let placeholders = vec!["?"; review_ids.len().max(1)].join(", ");
    let mut sql = Sql::new(format!("SELECT review_id, uid, state, err_code, duration FROM review_videos WHERE review_id IN ({placeholders})"));
    if review_ids.is_empty() {
        sql = sql.bind("");
    }
    for id in review_ids {
        sql = sql.bind(*id);
    }
    sql
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_780_000_000;
    const UID: &str = "6b9e68b07dfee8cc2d116e4c51d6a957";

    /// Stream in memory: the videos it has and every call it got.
    #[derive(Default)]
    struct FakeStream {
        videos: RefCell<Vec<Video>>,
        calls: RefCell<Vec<String>>,
        down: bool,
    }

    impl StreamApi for FakeStream {
        async fn create_upload(&self, review_id: &str, _product_id: i64, _now: i64) -> Result<Upload, StreamFailure> {
            self.calls.borrow_mut().push(format!("upload {review_id}"));
            if self.down {
                return Err(StreamFailure("down".into()));
            }
            let uid = format!("{:032x}", self.calls.borrow().len());
            Ok(Upload { upload_url: format!("https://upload.example/{uid}"), uid })
        }
        async fn video(&self, uid: &str) -> Result<Option<Video>, StreamFailure> {
            self.calls.borrow_mut().push(format!("get {uid}"));
            if self.down {
                return Err(StreamFailure("down".into()));
            }
            Ok(self.videos.borrow().iter().find(|v| v.uid == uid).cloned())
        }
        async fn make_public(&self, uid: &str) -> Result<(), StreamFailure> {
            self.calls.borrow_mut().push(format!("public {uid}"));
            if self.down { Err(StreamFailure("down".into())) } else { Ok(()) }
        }
        async fn delete(&self, uid: &str) -> Result<(), StreamFailure> {
            self.calls.borrow_mut().push(format!("delete {uid}"));
            self.videos.borrow_mut().retain(|v| v.uid != uid);
            Ok(())
        }
    }

    fn news(uid: &str, state: &str, ready: bool) -> Video {
        Video { uid: uid.into(), ready_to_stream: ready, state: state.into(), err_code: String::new(), modified: "2026-12-07T10:00:00Z".into(), duration: Some(12.0), review_id: None }
    }

    /// A published review of a delivered line (order `o1`, line 1) by customer `c1`.
    fn review(db: &Sqlite, id: &str) {
        let product = db.int("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
        db.exec(&format!(
            "INSERT INTO reviews (id, product_id, order_id, line_no, customer_id, author_name, rating, body, size, color, status, created_at, published_at, updated_at) \
             VALUES ('{id}', {product}, 'o-{id}', 1, 'c1', 'An N.', 5, 'Đẹp', 'M', 'grey', 'published', {NOW}, {NOW}, {NOW})"
        ));
    }

    fn state(db: &Sqlite, review_id: &str) -> String {
        db.text(&format!("SELECT state FROM review_videos WHERE review_id = '{review_id}'"))
    }

    const ACTOR: Actor<'static> = Actor { id: "a1", email: "support@vestify.vn", ip: "" };

    #[test]
    fn only_the_author_gets_an_upload_link_and_a_review_keeps_one_uploaded_video() {
        let db = Sqlite::demo();
        review(&db, "r1");
        let stream = FakeStream::default();
        let stranger = Reviewer::Customer("c2".into());
        assert!(matches!(block_on(request_upload(&db, &stream, &stranger, "r1", NOW)), Err(VideoError::NotAuthor)));
        let other_line = Reviewer::Link { order_id: "o-r1".into(), line_no: 2 };
        assert!(matches!(block_on(request_upload(&db, &stream, &other_line, "r1", NOW)), Err(VideoError::NotAuthor)));
        assert!(matches!(block_on(request_upload(&db, &stream, &stranger, "nope", NOW)), Err(VideoError::NotFound)));
        assert!(stream.calls.borrow().is_empty(), "Stream is not asked for anyone else");

        let me = Reviewer::Customer("c1".into());
        let first = block_on(request_upload(&db, &stream, &me, "r1", NOW)).expect("a link");
        assert_eq!(state(&db, "r1"), "awaiting_upload");
        // Not uploaded yet: a new link replaces the old one.
        let link = Reviewer::Link { order_id: "o-r1".into(), line_no: 1 };
        let second = block_on(request_upload(&db, &stream, &link, "r1", NOW + 60)).expect("a new link");
        assert_ne!(first.uid, second.uid);
        assert_eq!(db.text("SELECT uid FROM review_videos WHERE review_id = 'r1'"), second.uid);
        // Uploaded: no other.
        block_on(apply(&db, &news(&second.uid, "inprogress", false), NOW + 90)).expect("news");
        assert!(matches!(block_on(request_upload(&db, &stream, &me, "r1", NOW + 120)), Err(VideoError::Conflict("has_video"))));
        assert_eq!(db.int("SELECT COUNT(*) FROM review_videos"), 1);
    }

    #[test]
    fn streams_news_moves_a_video_forward_once_and_a_repeat_or_late_notice_changes_nothing() {
        let db = Sqlite::demo();
        review(&db, "r1");
        let stream = FakeStream::default();
        let up = block_on(request_upload(&db, &stream, &Reviewer::Customer("c1".into()), "r1", NOW)).expect("link");
        assert_eq!(block_on(apply(&db, &news(&up.uid, "ready", true), NOW + 5)).expect("ready"), Applied::Moved(VideoState::Ready));
        assert_eq!(block_on(apply(&db, &news(&up.uid, "ready", true), NOW + 6)).expect("again"), Applied::Unchanged);
        assert_eq!(block_on(apply(&db, &news(&up.uid, "inprogress", false), NOW + 7)).expect("late"), Applied::Unchanged);
        let mut failed = news(&up.uid, "error", false);
        failed.err_code = "ERR_NON_VIDEO".into();
        assert_eq!(block_on(apply(&db, &failed, NOW + 8)).expect("error after ready"), Applied::Unchanged);
        assert_eq!(state(&db, "r1"), "ready");
        assert_eq!(db.int("SELECT CAST(duration AS INTEGER) FROM review_videos"), 12);
        assert_eq!(block_on(apply(&db, &news(UID, "ready", true), NOW)).expect("another app's"), Applied::Unknown);
    }

    #[test]
    fn the_cron_reconciles_videos_whose_webhook_never_came() {
        let db = Sqlite::demo();
        for id in ["r1", "r2", "r3", "r4"] {
            review(&db, id);
        }
        let stream = FakeStream::default();
        let me = Reviewer::Customer("c1".into());
        let ups: Vec<Upload> = ["r1", "r2", "r3", "r4"].iter().map(|id| block_on(request_upload(&db, &stream, &me, id, NOW)).expect("link")).collect();
        // r1 was encoded, r2 is still encoding, r3 was never uploaded, r4 Stream does not know.
        stream.videos.borrow_mut().extend([news(&ups[0].uid, "ready", true), news(&ups[1].uid, "inprogress", false), news(&ups[2].uid, "pendingupload", false)]);
        // Too early: nothing is asked.
        assert_eq!(block_on(reconcile(&db, &stream, NOW + 60)).expect("pass").checked, 0);
        let report = block_on(reconcile(&db, &stream, NOW + UPLOAD_SECONDS + 60)).expect("pass");
        assert_eq!(report, Reconciled { checked: 4, moved: 2, expired: 2, failed: 0 });
        assert_eq!(["r1", "r2", "r3", "r4"].map(|id| state(&db, id)), ["ready", "processing", "error", "error"]);
        assert_eq!(db.text("SELECT err_code FROM review_videos WHERE review_id = 'r3'"), "expired");
        assert_eq!(db.text("SELECT err_code FROM review_videos WHERE review_id = 'r4'"), "missing");
        // Stream down: left for the next pass.
        let down = FakeStream { down: true, ..FakeStream::default() };
        let report = block_on(reconcile(&db, &down, NOW + 2 * UPLOAD_SECONDS)).expect("pass");
        assert_eq!((report.checked, report.failed), (1, 1));
        assert_eq!(state(&db, "r2"), "processing");
    }

    #[test]
    fn approval_makes_a_ready_video_public_and_rejection_deletes_it_at_stream_both_audited() {
        let db = Sqlite::demo();
        review(&db, "r1");
        review(&db, "r2");
        let stream = FakeStream::default();
        let me = Reviewer::Customer("c1".into());
        let a = block_on(request_upload(&db, &stream, &me, "r1", NOW)).expect("link");
        let b = block_on(request_upload(&db, &stream, &me, "r2", NOW)).expect("link");
        // Not ready yet: approval leaves it waiting and asks Stream nothing.
        assert!(!block_on(approve(&db, &stream, &ACTOR, "r1", NOW)).expect("not yet"));
        assert!(!stream.calls.borrow().iter().any(|c| c.starts_with("public")));
        block_on(apply(&db, &news(&a.uid, "ready", true), NOW)).expect("ready");
        // Stream down: nothing changes.
        let down = FakeStream { down: true, ..FakeStream::default() };
        assert!(matches!(block_on(approve(&db, &down, &ACTOR, "r1", NOW)), Err(VideoError::Stream(_))));
        assert_eq!(state(&db, "r1"), "ready");
        assert!(block_on(approve(&db, &stream, &ACTOR, "r1", NOW + 1)).expect("approved"));
        assert_eq!(state(&db, "r1"), "approved");
        assert!(stream.calls.borrow().contains(&format!("public {}", a.uid)));
        assert!(!block_on(approve(&db, &stream, &ACTOR, "r1", NOW + 2)).expect("again: nothing"));
        // Rejecting the approved one takes it down; rejecting a pending upload deletes it too.
        assert!(block_on(reject(&db, &stream, &ACTOR, "r1", NOW + 3)).expect("rejected"));
        assert!(!block_on(reject(&db, &stream, &ACTOR, "r2", NOW + 3)).expect("rejected, was not shown"));
        assert_eq!([state(&db, "r1"), state(&db, "r2")], ["rejected", "rejected"]);
        assert!(stream.calls.borrow().contains(&format!("delete {}", b.uid)));
        assert!(!block_on(reject(&db, &stream, &ACTOR, "r1", NOW + 4)).expect("once"));
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'review.video_%'"), 3);
        // A late webhook cannot bring a rejected video back.
        assert_eq!(block_on(apply(&db, &news(&a.uid, "ready", true), NOW + 5)).expect("late"), Applied::Unchanged);
        assert_eq!(state(&db, "r1"), "rejected");
    }
}
