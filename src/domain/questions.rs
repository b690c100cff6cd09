//! Product questions and answers (issue 22, docs/REVIEWS.md "Questions and answers"): the texts'
//! limits, where a question or an answer stands, the moderators' decisions and which states each
//! applies to, and the per-customer posting limit. Pure: `app::questions` meets the rows.

use serde::{Deserialize, Serialize};

use super::listing::{FieldError, Problem};

/// A question's text, in characters.
pub const QUESTION_MIN: usize = 10;
pub const QUESTION_MAX: usize = 1_000;
/// An answer's text, in characters.
pub const ANSWER_MIN: usize = 2;
pub const ANSWER_MAX: usize = 2_000;
/// A moderator's reason for a rejection.
pub const REASON_MAX: usize = 2_000;
/// Questions per page (the product page and the API).
pub const PAGE_SIZE: i64 = 10;
/// Questions and answers one customer may post within [`POST_WINDOW`] seconds (the shop's own
/// answers are not counted). The edge's per-client limit (`throttle::Action::Reviews`) comes first.
pub const POSTS_PER_WINDOW: i64 = 5;
pub const POST_WINDOW: i64 = 3_600;

/// Where a question or an answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QaStatus {
    /// Waiting for a moderator.
    Pending,
    /// Shown under the product.
    Published,
    /// Refused (or taken down) by a moderator; never shown.
    Rejected,
}

impl QaStatus {
    pub fn code(self) -> &'static str {
        match self {
            QaStatus::Pending => "pending",
            QaStatus::Published => "published",
            QaStatus::Rejected => "rejected",
        }
    }
}

/// Who wrote an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerBy {
    /// Staff in the admin: published at once (a moderator wrote it).
    Shop,
    /// A customer with a delivered order of the product: waits for a moderator.
    Buyer,
}

impl AnswerBy {
    pub fn code(self) -> &'static str {
        match self {
            AnswerBy::Shop => "shop",
            AnswerBy::Buyer => "buyer",
        }
    }
}

/// A moderator's decision on a question or a buyer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QaDecision {
    /// Publish it.
    Approve,
    /// Refuse it (or take it down), with the reason kept for the shop.
    Reject { reason: String },
}

impl QaDecision {
    /// The states the decision moves from: approving a published text or rejecting a rejected one
    /// is a no-op the caller reports as such.
    pub fn from_statuses(&self) -> &'static [QaStatus] {
        match self {
            QaDecision::Approve => &[QaStatus::Pending],
            QaDecision::Reject { .. } => &[QaStatus::Pending, QaStatus::Published],
        }
    }

    pub fn to_status(&self) -> QaStatus {
        match self {
            QaDecision::Approve => QaStatus::Published,
            QaDecision::Reject { .. } => QaStatus::Rejected,
        }
    }

    /// The audit action (`question.approve`, `answer.reject`, …).
    pub fn code(&self) -> &'static str {
        match self {
            QaDecision::Approve => "approve",
            QaDecision::Reject { .. } => "reject",
        }
    }

    /// The reason must be given (and within the limit) for a rejection.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        match self {
            QaDecision::Approve => Ok(()),
            QaDecision::Reject { reason } => text_problem(reason, 1, REASON_MAX).map_or(Ok(()), |problem| Err(vec![FieldError { field: "reason", problem }])),
        }
    }
}

/// What is wrong with a text that must hold `min..=max` characters once trimmed.
fn text_problem(text: &str, min: usize, max: usize) -> Option<Problem> {
    let count = text.trim().chars().count();
    if count == 0 {
        Some(Problem::Required)
    } else if count < min {
        Some(Problem::TooShort { min })
    } else if count > max {
        Some(Problem::TooLong { max })
    } else {
        None
    }
}

/// A question's text, trimmed, or the field error (`body`).
pub fn validate_question(body: &str) -> Result<String, Vec<FieldError>> {
    match text_problem(body, QUESTION_MIN, QUESTION_MAX) {
        Some(problem) => Err(vec![FieldError { field: "body", problem }]),
        None => Ok(body.trim().to_string()),
    }
}

/// An answer's text, trimmed, or the field error (`body`).
pub fn validate_answer(body: &str) -> Result<String, Vec<FieldError>> {
    match text_problem(body, ANSWER_MIN, ANSWER_MAX) {
        Some(problem) => Err(vec![FieldError { field: "body", problem }]),
        None => Ok(body.trim().to_string()),
    }
}

/// Seconds until a customer who posted at `recent` (times within the window, any order) may post
/// again at `now`, if they must wait.
pub fn post_wait(recent: &[i64], now: i64) -> Option<i64> {
    let mut inside: Vec<i64> = recent.iter().copied().filter(|t| *t > now - POST_WINDOW && *t <= now).collect();
    if (inside.len() as i64) < POSTS_PER_WINDOW {
        return None;
    }
    inside.sort_unstable();
    // The oldest post that must leave the window for one more to fit.
    let oldest = inside[inside.len() - POSTS_PER_WINDOW as usize];
    Some((oldest + POST_WINDOW - now).max(1))
}

/// Why a customer may not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// No delivered order of this product.
    NotABuyer,
}

impl AnswerRefusal {
    pub fn code(self) -> &'static str {
        "not_a_buyer"
    }

    pub fn message(self, locale: super::locale::Locale) -> &'static str {
        locale.pick(
            "Chỉ khách đã mua và nhận sản phẩm này mới có thể trả lời câu hỏi. Cửa hàng sẽ trả lời sớm.",
            "Only shoppers who bought and received this product can answer questions. The shop will answer soon.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_trimmed_and_held_within_its_limits() {
        assert_eq!(validate_question("  Vải có nhăn không ạ?  ").as_deref(), Ok("Vải có nhăn không ạ?"));
        let problem = |r: Result<String, Vec<FieldError>>| r.err().map(|e| (e[0].field, e[0].problem));
        assert_eq!(problem(validate_question("   ")), Some(("body", Problem::Required)));
        assert_eq!(problem(validate_question("Size?")), Some(("body", Problem::TooShort { min: QUESTION_MIN })));
        assert_eq!(problem(validate_question(&"ạ".repeat(QUESTION_MAX + 1))), Some(("body", Problem::TooLong { max: QUESTION_MAX })));
        assert!(validate_question(&"ạ".repeat(QUESTION_MAX)).is_ok(), "characters, not bytes");
        assert_eq!(problem(validate_answer("")), Some(("body", Problem::Required)));
        assert!(validate_answer("Có").is_ok());
        assert_eq!(problem(validate_answer(&"a".repeat(ANSWER_MAX + 1))), Some(("body", Problem::TooLong { max: ANSWER_MAX })));
    }

    #[test]
    fn a_rejection_needs_a_reason_and_each_decision_moves_from_its_states() {
        assert!(QaDecision::Reject { reason: " ".into() }.check().is_err());
        assert!(QaDecision::Reject { reason: "Quảng cáo".into() }.check().is_ok());
        assert!(QaDecision::Approve.check().is_ok());
        assert_eq!(QaDecision::Approve.from_statuses(), &[QaStatus::Pending]);
        assert!(QaDecision::Reject { reason: "x".into() }.from_statuses().contains(&QaStatus::Published), "a published text can be taken down");
        assert_eq!(QaDecision::Reject { reason: "x".into() }.to_status(), QaStatus::Rejected);
    }

    #[test]
    fn the_sixth_post_within_an_hour_waits_until_the_oldest_leaves_the_window() {
        let now = 10_000;
        assert_eq!(post_wait(&[], now), None);
        let four = [now - 100, now - 200, now - 300, now - 400];
        assert_eq!(post_wait(&four, now), None);
        let five = [now - 100, now - 200, now - 300, now - 400, now - 500];
        assert_eq!(post_wait(&five, now), Some(POST_WINDOW - 500));
        // Posts older than the window do not count.
        let old = [now - 100, now - 200, now - 300, now - 400, now - POST_WINDOW];
        assert_eq!(post_wait(&old, now), None);
        // With more than the limit inside, the wait is until enough have left.
        let six = [now - 10, now - 20, now - 30, now - 40, now - 50, now - 60];
        assert_eq!(post_wait(&six, now), Some(POST_WINDOW - 50));
    }
}
