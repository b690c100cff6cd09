//! Meta's Conversions API: a paid order whose buyer gave advertising consent at checkout
//! (`orders.ad_consent`) is reported once as a server-side `Purchase` (`domain::ad_tags::capi_body`),
//! with the event id the order page gives the Pixel, so Meta counts the two as one.
//!
//! The event is a row of `capi_events` written in the batch that records the payment (one per
//! order: its primary key), and a pass — right after the change and from the cron, beside the
//! outbox's — claims due rows under a lease, sends each and records sent, a retry with the outbox's
//! backoff, or dead. A send repeated after a lost answer carries the same `event_id`, which Meta
//! deduplicates. Rows wait while the API is not configured.

use serde::Deserialize;

use super::db::{Db, DbError, Sql};
use super::outbox::PassReport;
use crate::domain::ad_tags::{capi_body, Purchase};
use crate::domain::money::Vnd;
use crate::domain::notify::{after_failure, AfterFailure, SendError, TransportError, LEASE_SECONDS};

/// The transport: Meta's Graph API over `fetch`, or a test's fake.
#[expect(async_fn_in_trait, reason = "used generically (`impl CapiSender`), never as a `Send` future or a trait object")]
pub trait CapiSender {
    /// Posts one JSON body to `url`; the answer's status and body, or why none came.
    async fn post(&self, url: &str, body: &str) -> Result<(u16, String), TransportError>;
}

/// The order's Purchase event, in the batch that records its payment (after the order's row is
/// paid): only with the buyer's advertising consent, once per order.
pub fn purchase_sql(order_id: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO capi_events (order_id, event_id, status, attempts, next_attempt_at, created_at) \
         SELECT o.id, 'purchase-' || o.id, 'pending', 0, ?2, ?2 FROM orders o \
         WHERE o.id = ?1 AND o.paid_at IS NOT NULL AND o.ad_consent = 1 \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(now)
}

#[derive(Deserialize)]
struct Due {
    order_id: String,
    attempts: i64,
    email: String,
    phone: String,
    total: Vnd,
    paid_at: Option<i64>,
}

const DUE: &str = "((status = 'pending' AND next_attempt_at <= ?2) OR (status = 'sending' AND lease_until <= ?2))";

/// One pass: claims up to `limit` due events under `claim`, sends each to `url` (`CapiConfig::url`)
/// and records the outcome. `origin`: the shop's, for the event's source URL.
pub async fn run_pass(db: &impl Db, sender: &impl CapiSender, url: &str, origin: &str, claim: &str, now: i64, limit: i64) -> Result<PassReport, DbError> {
    let mut report = PassReport::default();
    let claimed: Vec<Due> = db
        .all(
            &Sql::new(format!(
                "UPDATE capi_events SET status = 'sending', claim = ?1, lease_until = ?2 + {LEASE_SECONDS}, attempts = attempts + 1 \
                 WHERE order_id IN (SELECT order_id FROM capi_events WHERE {DUE} ORDER BY next_attempt_at LIMIT ?3) AND {DUE} \
                 RETURNING order_id, attempts, \
                 (SELECT email FROM orders WHERE id = order_id) AS email, (SELECT phone FROM orders WHERE id = order_id) AS phone, \
                 (SELECT total FROM orders WHERE id = order_id) AS total, (SELECT paid_at FROM orders WHERE id = order_id) AS paid_at"
            ))
            .bind(claim)
            .bind(now)
            .bind(limit),
        )
        .await?;
    report.claimed = claimed.len() as u64;
    for due in &claimed {
        let purchase = Purchase {
            order_id: &due.order_id,
            email: &due.email,
            phone: &due.phone,
            value: due.total,
            paid_at: due.paid_at.unwrap_or(now),
            // The order's page without its access token, which never leaves the shop.
            source_url: format!("{origin}/orders/{}", due.order_id),
        };
        let outcome = match sender.post(url, &capi_body(&purchase).to_string()).await {
            Ok((status, _)) if (200..300).contains(&status) => Ok(()),
            Ok((status, body)) => Err(SendError::from_status(status, &body)),
            Err(e) => Err(e.into_send_error("Conversions API")),
        };
        let record = match outcome {
            Ok(()) => {
                report.sent += 1;
                Sql::new("UPDATE capi_events SET status = 'sent', sent_at = ?3, lease_until = NULL, last_error = NULL WHERE order_id = ?1 AND claim = ?2 AND status = 'sending'")
                    .bind(due.order_id.as_str())
                    .bind(claim)
                    .bind(now)
            }
            Err(error) => {
                let (status, next) = match after_failure(due.attempts, &error, now) {
                    AfterFailure::Dead => {
                        report.dead += 1;
                        ("dead", now)
                    }
                    AfterFailure::RetryAt(at) => {
                        report.retried += 1;
                        ("pending", at)
                    }
                };
                Sql::new("UPDATE capi_events SET status = ?3, next_attempt_at = ?4, lease_until = NULL, last_error = ?5 WHERE order_id = ?1 AND claim = ?2 AND status = 'sending'")
                    .bind(due.order_id.as_str())
                    .bind(claim)
                    .bind(status)
                    .bind(next)
                    .bind(error.message())
            }
        };
        db.run(&record).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::orders::fixtures::{free_variant, place_order_as};
    use crate::app::payments::{apply_notice, Applied, PaymentNotice};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::ad_tags::purchase_event_id;
    use crate::domain::payments::Outcome;
    use crate::domain::signature::sha256_hex;

    /// Answers each post with the next status (200 when none is left) and keeps what it was sent.
    struct Fake {
        answers: RefCell<Vec<Result<u16, TransportError>>>,
        sent: RefCell<Vec<serde_json::Value>>,
    }

    impl Fake {
        fn new(answers: Vec<Result<u16, TransportError>>) -> Fake {
            Fake { answers: RefCell::new(answers), sent: RefCell::new(Vec::new()) }
        }
    }

    impl CapiSender for Fake {
        async fn post(&self, url: &str, body: &str) -> Result<(u16, String), TransportError> {
            assert!(url.contains("/events?access_token="), "{url}");
            self.sent.borrow_mut().push(serde_json::from_str(body).expect("JSON"));
            let next = if self.answers.borrow().is_empty() { Ok(200) } else { self.answers.borrow_mut().remove(0) };
            next.map(|status| (status, "{}".to_string()))
        }
    }

    const NOW: i64 = 1_800_000_000;

    /// An order placed through the checkout's statements, with or without the buyer's consent, and
    /// paid through the payment notice's flow when `paid`.
    fn order(db: &Sqlite, seed: u32, consent: bool, paid: bool) -> String {
        let v = free_variant(db, 1, i64::from(seed));
        let o = place_order_as(db, seed, v, 1, "sandbox", NOW - 60, NOW + 840, consent);
        if paid {
            let outcome = Outcome::Paid { charge_id: None };
            let event = format!("evt_{seed}");
            let n = PaymentNotice { provider: "sandbox", event_id: &event, payment_id: &o.payment_id, order_id: Some(&o.id), amount: o.total.minor(), currency: "VND", outcome: &outcome, external_id: None, raw: "{}" };
            assert_eq!(block_on(apply_notice(db, &n, NOW)).expect("paid"), Applied::Paid);
        }
        o.id
    }

    const URL: &str = "https://graph.test/v21.0/1/events?access_token=t";

    fn statuses(db: &Sqlite) -> String {
        db.text("SELECT COALESCE(group_concat(s, ' '), '') FROM (SELECT order_id || '=' || status || '/' || attempts AS s FROM capi_events ORDER BY order_id)")
    }

    #[test]
    fn only_a_paid_order_with_advertising_consent_is_reported_and_only_once() {
        let db = Sqlite::demo();
        let consenting = order(&db, 1, true, true);
        order(&db, 2, false, true);
        let unpaid = order(&db, 3, true, false);
        // The payment's batch wrote it; a second write (another flow paying it) changes nothing,
        // and an unpaid order gets none.
        block_on(db.run(&purchase_sql(&consenting, NOW + 1))).expect("again");
        block_on(db.run(&purchase_sql(&unpaid, NOW + 1))).expect("unpaid");
        assert_eq!(statuses(&db), format!("{consenting}=pending/0"));
        let fake = Fake::new(vec![]);
        let report = block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c1", NOW, 50)).expect("pass");
        assert_eq!((report.claimed, report.sent), (1, 1));
        assert_eq!(statuses(&db), format!("{consenting}=sent/1"));
        let sent = fake.sent.borrow();
        let event = &sent[0]["data"][0];
        assert_eq!(event["event_name"], "Purchase");
        assert_eq!(event["event_id"], purchase_event_id(&consenting));
        assert_eq!(event["user_data"]["em"][0], sha256_hex(b"an@example.vn"));
        assert_eq!(event["user_data"]["ph"][0], sha256_hex(b"84912345678"));
        let total = db.int(&format!("SELECT total FROM orders WHERE id = '{consenting}'"));
        assert_eq!(event["custom_data"], serde_json::json!({"currency": "VND", "value": total}));
        assert_eq!(event["event_time"], NOW);
        assert_eq!(event["event_source_url"], format!("https://vestify.vn/orders/{consenting}"));
        drop(sent);
        // Nothing is due any more: a second pass sends nothing.
        let again = block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c2", NOW + 1, 50)).expect("pass");
        assert_eq!(again.claimed, 0);
        assert_eq!(fake.sent.borrow().len(), 1);
    }

    #[test]
    fn a_failed_send_is_retried_later_and_a_refused_one_is_dead() {
        let db = Sqlite::demo();
        let first = order(&db, 1, true, true);
        let second = order(&db, 2, true, true);
        let fake = Fake::new(vec![Err(TransportError::Unreachable("timeout".into())), Ok(400)]);
        let report = block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c1", NOW, 50)).expect("pass");
        assert_eq!((report.retried, report.dead), (1, 1));
        let status = |id: &str| db.text(&format!("SELECT status || '/' || attempts FROM capi_events WHERE order_id = '{id}'"));
        let (retried, dead) = if status(&first) == "pending/1" { (first, second) } else { (second, first) };
        assert_eq!((status(&retried).as_str(), status(&dead).as_str()), ("pending/1", "dead/1"));
        // Not due at once; due after the backoff, then sent.
        assert_eq!(block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c2", NOW + 1, 50)).expect("early").claimed, 0);
        let later = block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c3", NOW + 86_400, 50)).expect("later");
        assert_eq!(later.sent, 1);
        assert_eq!((status(&retried).as_str(), status(&dead).as_str()), ("sent/2", "dead/1"));
    }

    #[test]
    fn a_request_the_runtime_refuses_to_make_is_dead_at_once() {
        let db = Sqlite::demo();
        let id = order(&db, 1, true, true);
        let fake = Fake::new(vec![Err(TransportError::Request("header content-type: invalid value".into()))]);
        let report = block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c1", NOW, 50)).expect("pass");
        assert_eq!((report.claimed, report.retried, report.dead), (1, 0, 1));
        let row = db.text(&format!("SELECT status || '/' || attempts || ' ' || last_error FROM capi_events WHERE order_id = '{id}'"));
        assert_eq!(row, "dead/1 Conversions API request refused by the runtime: header content-type: invalid value");
        // Dead is final: no later pass sends it again.
        assert_eq!(block_on(run_pass(&db, &fake, URL, "https://vestify.vn", "c2", NOW + 86_400, 50)).expect("later").claimed, 0);
    }
}
