//! The newsletter's signup with double opt-in (issue 14, docs/NOTIFICATIONS.md): the footer's form
//! records the address as `pending` in `marketing_consents` and, in the same batch, writes the
//! confirmation mail (a signed link valid 7 days, `domain::notify::newsletter_token`); following
//! the link makes it `subscribed`. Nothing marketing goes to a `pending` address, and a signup for
//! an address already subscribed mails nothing (the page says the same either way, so the form
//! does not tell whether an address is on the list).

use serde_json::json;

use super::db::Sql;
use super::outbox::{INSERT, ON_CONFLICT};
use crate::domain::notify::{Channel, Kind};

/// The signup of `email` with its confirmation link `confirm_url`. One confirmation per address
/// and day: a resubmitted form writes nothing more.
pub fn signup_batch(email: &str, locale: &str, confirm_url: &str, now: i64) -> Vec<Sql> {
    let payload = json!({"url": confirm_url, "locale": locale});
    vec![
        Sql::new(
            "INSERT INTO marketing_consents (channel, recipient, locale, status, source, created_at, updated_at) VALUES ('email', ?, ?, 'pending', 'newsletter', ?, ?) \
             ON CONFLICT (channel, recipient) DO NOTHING",
        )
        .bind(email)
        .bind(locale)
        .bind(now)
        .bind(now),
        Sql::new(format!(
            "{INSERT} SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM marketing_consents WHERE channel = 'email' AND recipient = ? AND status = 'subscribed') {ON_CONFLICT}"
        ))
        .bind(format!("{}:{email}:{}", Kind::NewsletterConfirm.code(), now.div_euclid(86_400)))
        .bind(Kind::NewsletterConfirm.code())
        .bind(Channel::Email.code())
        .bind(email)
        .bind(locale)
        .bind(payload.to_string())
        .bind(now)
        .bind(now)
        .bind(email),
    ]
}

/// The confirmation: the address agrees to the newsletter and marketing mail.
pub fn confirm_sql(email: &str, locale: &str, now: i64) -> Sql {
    super::consent::subscribe_sql(Channel::Email, email, locale, "newsletter", now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::db::Db;
    use crate::app::outbox::run_pass;
    use crate::app::outbox::tests::{settings, FakeMailer};
    use crate::app::testing::{block_on, Sqlite};

    const NOW: i64 = 1_800_000_000;

    fn status(db: &Sqlite, email: &str) -> String {
        db.text(&format!("SELECT COALESCE((SELECT status FROM marketing_consents WHERE recipient = '{email}'), 'none')"))
    }

    #[test]
    fn a_signup_is_pending_until_its_link_is_followed_and_mails_one_confirmation() {
        let db = Sqlite::demo();
        for _ in 0..2 {
            block_on(db.batch(&signup_batch("an@example.vn", "vi", "https://vestify.vn/newsletter/confirm?t=abc", NOW))).unwrap();
        }
        assert_eq!(status(&db, "an@example.vn"), "pending");
        let mailer = FakeMailer::default();
        assert_eq!(block_on(run_pass(&db, &mailer, &settings(), "p", NOW + 1, 50)).unwrap().sent, 1, "one confirmation for a resubmitted form");
        let sent = mailer.sent.borrow();
        assert!(sent[0].subject.starts_with("Xác nhận đăng ký nhận bản tin") && sent[0].text.contains("https://vestify.vn/newsletter/confirm?t=abc"), "{}", sent[0].text);
        assert!(sent[0].headers.is_empty(), "the confirmation is not marketing mail");
        drop(sent);
        for _ in 0..2 {
            block_on(db.run(&confirm_sql("an@example.vn", "vi", NOW + 2))).unwrap();
        }
        assert_eq!(status(&db, "an@example.vn"), "subscribed");
        // Signing up again once subscribed mails nothing, even a day later.
        block_on(db.batch(&signup_batch("an@example.vn", "vi", "https://vestify.vn/newsletter/confirm?t=def", NOW + 86_400))).unwrap();
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'newsletter_confirm'"), 1);
        assert_eq!(status(&db, "an@example.vn"), "subscribed");
    }

    #[test]
    fn an_unsubscribed_address_signing_up_again_stays_unsubscribed_until_it_confirms() {
        let db = Sqlite::demo();
        block_on(db.batch(&crate::app::consent::unsubscribe_batch(Channel::Email, "an@example.vn", "one_click", NOW))).unwrap();
        block_on(db.batch(&signup_batch("an@example.vn", "en", "https://vestify.vn/en/newsletter/confirm?t=abc", NOW + 1))).unwrap();
        assert_eq!(status(&db, "an@example.vn"), "unsubscribed");
        assert_eq!(db.int("SELECT COUNT(*) FROM outbox WHERE kind = 'newsletter_confirm' AND recipient = 'an@example.vn'"), 1, "the confirmation goes");
        block_on(db.run(&confirm_sql("an@example.vn", "en", NOW + 2))).unwrap();
        assert_eq!(status(&db, "an@example.vn"), "subscribed");
    }
}
