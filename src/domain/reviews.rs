//! Product reviews (issue 22): what a review holds and how it is checked, which text is held for a
//! moderator, who may write one (a verified buyer, once per delivered order line), the signed link
//! a guest writes through, how the author is shown, and the rating summary.
//!
//! Everything here is pure; `app::reviews` reads the rows and applies these decisions.

use serde::{Deserialize, Serialize};

use super::listing::{FieldError, Problem};
use super::search::fold;
use super::signature::{hmac_hex, verify_hex};

/// The longest review text, in characters.
pub const BODY_MAX: usize = 2_000;
/// The longest title, in characters.
pub const TITLE_MAX: usize = 100;
/// The longest shop reply or rejection reason, in characters.
pub const REPLY_MAX: usize = 2_000;
/// Photos per review.
pub const PHOTOS_MAX: usize = 5;
/// Reviews per page of a product's list.
pub const PAGE_SIZE: i64 = 10;
/// How long a review link stays valid: 30 days.
pub const LINK_SECONDS: i64 = 30 * 24 * 3600;

/// How the vest fits, as the buyer found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    Small,
    TrueToSize,
    Large,
}

impl Fit {
    pub const ALL: [Fit; 3] = [Fit::Small, Fit::TrueToSize, Fit::Large];

    pub fn code(self) -> &'static str {
        match self {
            Fit::Small => "small",
            Fit::TrueToSize => "true_to_size",
            Fit::Large => "large",
        }
    }

    pub fn parse(s: &str) -> Option<Fit> {
        Fit::ALL.into_iter().find(|f| f.code() == s)
    }
}

/// Where a review stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Held for a moderator (flagged text).
    Pending,
    /// Shown on the product page.
    Published,
    /// Refused by a moderator; never shown.
    Rejected,
    /// Was published, taken down later.
    Hidden,
}

impl ReviewStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Published => "published",
            ReviewStatus::Rejected => "rejected",
            ReviewStatus::Hidden => "hidden",
        }
    }
}

/// Why a text is held for a moderator instead of published at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A web address or an email address.
    Link,
    /// A phone number (nine digits or more, spaces, dots and dashes allowed between them).
    Phone,
    /// A word of the Vietnamese or English blocklist.
    Profanity,
}

impl Flag {
    pub fn code(self) -> &'static str {
        match self {
            Flag::Link => "link",
            Flag::Phone => "phone",
            Flag::Profanity => "profanity",
        }
    }
}

/// Blocked words matched on diacritic-folded, lowercased whole words (and two-word phrases).
const BLOCKED_FOLDED: &[&str] = &[
    "fuck", "fucking", "fucked", "motherfucker", "shit", "bullshit", "bitch", "asshole", "cunt", "bastard", "dickhead", "wanker",
    "vcl", "vkl", "vl", "dcm", "dmm", "dkm", "clgt", "cmm", "du ma", "dit me", "dit con", "con cho", "oc cho", "me may",
];
/// Blocked words matched with their diacritics (folded they are everyday words: "lồn" → "lon" as
/// in "lớn", "đéo" → "deo" as in "đeo").
const BLOCKED_EXACT: &[&str] = &["lồn", "cặc", "buồi", "đụ", "địt", "đéo", "đĩ", "ngu như chó"];
/// Endings that make a dotted word a web address.
const DOMAINS: &[&str] = &["com", "vn", "net", "org", "io", "me", "ly", "shop", "xyz", "info", "biz", "co", "store", "online", "site"];

/// What holds this text for a moderator, in a fixed order, each once.
pub fn flags(text: &str) -> Vec<Flag> {
    let mut found = Vec::new();
    if has_link(text) {
        found.push(Flag::Link);
    }
    if has_phone(text) {
        found.push(Flag::Phone);
    }
    if has_profanity(text) {
        found.push(Flag::Profanity);
    }
    found
}

fn has_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains("http://") || lower.contains("https://") || lower.contains("www.") {
        return true;
    }
    lower.split_whitespace().any(|word| {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.contains('@') && word.split('@').nth(1).is_some_and(|d| d.contains('.')) {
            return true; // an email address
        }
        let parts: Vec<&str> = word.split('/').next().unwrap_or("").split('.').collect();
        parts.len() >= 2
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            && parts.last().is_some_and(|tld| DOMAINS.contains(tld))
            && parts.first().is_some_and(|p| p.chars().any(|c| c.is_ascii_alphabetic()))
    })
}

fn has_phone(text: &str) -> bool {
    let mut digits = 0;
    let mut gap = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            gap = 0;
            if digits >= 9 {
                return true;
            }
        } else if matches!(c, ' ' | '.' | '-' | '(' | ')' | '+') && digits > 0 && gap == 0 {
            gap += 1;
        } else {
            digits = 0;
            gap = 0;
        }
    }
    false
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    words.windows(wanted.len()).any(|w| w.iter().map(String::as_str).eq(wanted.iter().copied()))
}

fn has_profanity(text: &str) -> bool {
    let folded = words(&fold(text));
    let lower = words(&text.to_lowercase());
    BLOCKED_FOLDED.iter().any(|p| contains_phrase(&folded, p)) || BLOCKED_EXACT.iter().any(|p| contains_phrase(&lower, p))
}

/// The status a new review starts in: published at once unless its text is flagged. Photos and
/// videos wait for approval on their own and do not hold the text back.
pub fn initial_status(flags: &[Flag]) -> ReviewStatus {
    if flags.is_empty() { ReviewStatus::Published } else { ReviewStatus::Pending }
}

/// What the shopper sent, before checking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewInput {
    /// The rating as sent (`None`: missing; a non-number is refused by the caller's parse).
    pub rating: Option<i64>,
    pub title: String,
    pub body: String,
    pub fit: Option<String>,
}

/// A checked review, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewDraft {
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub fit: Option<Fit>,
    pub flags: Vec<Flag>,
}

/// Checks every field at once: rating 1–5, text required and at most 2,000 characters, title at
/// most 100, fit one of the three (or none). HTML is kept as typed and shown as text.
pub fn validate(input: &ReviewInput) -> Result<ReviewDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let rating = match input.rating {
        Some(r) if (1..=5).contains(&r) => r,
        Some(_) => {
            errors.push(FieldError { field: "rating", problem: Problem::OutOfRange { min: 1, max: 5 } });
            0
        }
        None => {
            errors.push(FieldError { field: "rating", problem: Problem::Required });
            0
        }
    };
    let title = input.title.trim().to_string();
    if title.chars().count() > TITLE_MAX {
        errors.push(FieldError { field: "title", problem: Problem::TooLong { max: TITLE_MAX } });
    }
    let body = input.body.trim().to_string();
    if body.is_empty() {
        errors.push(FieldError { field: "body", problem: Problem::Required });
    } else if body.chars().count() > BODY_MAX {
        errors.push(FieldError { field: "body", problem: Problem::TooLong { max: BODY_MAX } });
    }
    let fit = match input.fit.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(code) => match Fit::parse(code) {
            Some(f) => Some(f),
            None => {
                errors.push(FieldError { field: "fit", problem: Problem::UnknownChoice });
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let flags = flags(&format!("{title}\n{body}"));
    Ok(ReviewDraft { rating, title, body, fit, flags })
}

/// One order line of the product that the shopper (or the link's order) could review.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Candidate {
    pub order_id: String,
    pub line_no: i64,
    pub size: String,
    pub color: String,
    pub buyer_name: String,
    pub locale: String,
    /// The order's parcel reached the shopper (`fulfillment_status = 'delivered'`).
    pub delivered: bool,
    /// A review of this line exists (in any status).
    pub reviewed: bool,
}

/// Why a shopper may not review this product now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ineligible {
    /// No order of theirs has this product: 403.
    NotABuyer,
    /// They bought it, but no such order has been delivered yet: 403.
    NotDelivered,
    /// Every delivered line of it already has their review: 409.
    AlreadyReviewed,
}

impl Ineligible {
    pub fn code(self) -> &'static str {
        match self {
            Ineligible::NotABuyer => "not_a_verified_buyer",
            Ineligible::NotDelivered => "not_delivered",
            Ineligible::AlreadyReviewed => "already_reviewed",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Ineligible::AlreadyReviewed => 409,
            _ => 403,
        }
    }

    pub fn message(self, locale: super::locale::Locale) -> &'static str {
        use super::locale::Locale::*;
        match (self, locale) {
            (Ineligible::NotABuyer, Vi) => "Chỉ khách đã mua sản phẩm này mới có thể đánh giá.",
            (Ineligible::NotABuyer, En) => "Only shoppers who bought this product can review it.",
            (Ineligible::NotDelivered, Vi) => "Bạn có thể đánh giá khi đơn hàng đã được giao.",
            (Ineligible::NotDelivered, En) => "You can review this product once your order has been delivered.",
            (Ineligible::AlreadyReviewed, Vi) => "Bạn đã đánh giá sản phẩm này cho đơn hàng đã giao.",
            (Ineligible::AlreadyReviewed, En) => "You have already reviewed this product for your delivered order.",
        }
    }
}

/// The line a new review is for: the earliest delivered, not yet reviewed one.
pub fn choose(candidates: &[Candidate]) -> Result<&Candidate, Ineligible> {
    if candidates.is_empty() {
        return Err(Ineligible::NotABuyer);
    }
    let mut delivered = candidates.iter().filter(|c| c.delivered).peekable();
    if delivered.peek().is_none() {
        return Err(Ineligible::NotDelivered);
    }
    delivered.find(|c| !c.reviewed).ok_or(Ineligible::AlreadyReviewed)
}

fn link_message(order_id: &str, line_no: i64, expires_at: i64) -> String {
    format!("review:{order_id}:{line_no}:{expires_at}")
}

/// The signed review link's token for one order line: `{order}.{line}.{expires}.{hmac}`.
pub fn review_token(secret: &[u8], order_id: &str, line_no: i64, expires_at: i64) -> String {
    let sig = hmac_hex(secret, link_message(order_id, line_no, expires_at).as_bytes());
    format!("{order_id}.{line_no}.{expires_at}.{sig}")
}

/// The order line a review token names, if its signature holds and it has not expired.
pub fn verify_review_token(secret: &[u8], token: &str, now: i64) -> Option<(String, i64)> {
    let mut parts = token.trim().split('.');
    let (order_id, line_no, expires_at, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || order_id.is_empty() || !order_id.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let (line_no, expires_at) = (line_no.parse::<i64>().ok()?, expires_at.parse::<i64>().ok()?);
    let signed = verify_hex(secret, link_message(order_id, line_no, expires_at).as_bytes(), sig);
    (signed && now <= expires_at).then(|| (order_id.to_string(), line_no))
}

/// How the author is shown: the given name (a Vietnamese name's last word) and the family name's
/// initial — "Nguyễn Văn An" → "An N."; one word stays as it is; none is `None`.
pub fn display_name(full: &str) -> Option<String> {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => None,
        [one] => Some((*one).to_string()),
        [first, .., last] => first.chars().next().map(|initial| format!("{last} {}.", initial.to_uppercase())),
    }
}

/// A product's published reviews in figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingSummary {
    pub count: i64,
    /// Sum of the ratings.
    pub total: i64,
    /// How many gave 1, 2, 3, 4, 5 stars (index 0 is one star).
    pub distribution: [i64; 5],
}

impl RatingSummary {
    /// The average rounded to one decimal, as tenths (4.3 → 43); `None` without reviews.
    pub fn average_tenths(&self) -> Option<i64> {
        (self.count > 0).then(|| (self.total * 20 + self.count) / (self.count * 2))
    }

    /// The average as a number with one decimal (for JSON and JSON-LD).
    pub fn average(&self) -> Option<f64> {
        self.average_tenths().map(|t| t as f64 / 10.0)
    }

    /// Share of `stars` among the reviews, in whole percent.
    pub fn percent(&self, stars: usize) -> i64 {
        match (stars.checked_sub(1).and_then(|i| self.distribution.get(i)), self.count) {
            (Some(n), c) if c > 0 => (n * 100 + c / 2) / c,
            _ => 0,
        }
    }
}

/// A product's reviews in short, as a card shows them: the average (tenths) and the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRating {
    pub count: i64,
    pub average_tenths: i64,
}

impl CardRating {
    /// From the listing query's `count␟sum`; `None` without reviews or for a malformed value.
    pub fn unpack(packed: &str) -> Option<CardRating> {
        let (count, total) = packed.split_once('\u{1f}')?;
        let summary = RatingSummary { count: count.parse().ok()?, total: total.parse().ok()?, distribution: [0; 5] };
        Some(CardRating { count: summary.count, average_tenths: summary.average_tenths()? })
    }

    /// "4,3" in Vietnamese, "4.3" in English.
    pub fn average_text(&self, locale: super::locale::Locale) -> String {
        format_tenths(self.average_tenths, locale)
    }
}

/// Tenths as a one-decimal number in the locale's way: 43 → "4,3" (vi), "4.3" (en).
pub fn format_tenths(tenths: i64, locale: super::locale::Locale) -> String {
    let sep = if locale == super::locale::Locale::Vi { ',' } else { '.' };
    format!("{}{sep}{}", tenths / 10, tenths % 10)
}

/// The order of a product's review list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReviewSort {
    #[default]
    Newest,
    Helpful,
    Highest,
    Lowest,
}

impl ReviewSort {
    pub const ALL: [ReviewSort; 4] = [ReviewSort::Newest, ReviewSort::Helpful, ReviewSort::Highest, ReviewSort::Lowest];

    pub fn code(self) -> &'static str {
        match self {
            ReviewSort::Newest => "newest",
            ReviewSort::Helpful => "helpful",
            ReviewSort::Highest => "highest",
            ReviewSort::Lowest => "lowest",
        }
    }
}

/// Filters, order and page of a product's review list, from `?page=&stars=&media=&sort=`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewQuery {
    pub page: i64,
    pub stars: Option<i64>,
    /// Only reviews with an approved photo or video.
    pub media: bool,
    pub sort: ReviewSort,
}

impl ReviewQuery {
    /// Reads the query string's pairs; an unknown or out-of-range value is a field error.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ReviewQuery, Vec<FieldError>> {
        let mut q = ReviewQuery { page: 1, ..ReviewQuery::default() };
        let mut errors = Vec::new();
        for (key, value) in pairs {
            match key {
                "page" => match value.parse::<i64>() {
                    Ok(p) if (1..=1000).contains(&p) => q.page = p,
                    Ok(_) => errors.push(FieldError { field: "page", problem: Problem::OutOfRange { min: 1, max: 1000 } }),
                    Err(_) => errors.push(FieldError { field: "page", problem: Problem::NotANumber }),
                },
                "stars" if value.is_empty() => {}
                "stars" => match value.parse::<i64>() {
                    Ok(s) if (1..=5).contains(&s) => q.stars = Some(s),
                    Ok(_) => errors.push(FieldError { field: "stars", problem: Problem::OutOfRange { min: 1, max: 5 } }),
                    Err(_) => errors.push(FieldError { field: "stars", problem: Problem::NotANumber }),
                },
                "media" => match value {
                    "" | "0" | "false" => q.media = false,
                    "1" | "true" => q.media = true,
                    _ => errors.push(FieldError { field: "media", problem: Problem::UnknownChoice }),
                },
                "sort" => match ReviewSort::ALL.into_iter().find(|s| s.code() == value) {
                    Some(s) => q.sort = s,
                    None => errors.push(FieldError { field: "sort", problem: Problem::UnknownChoice }),
                },
                _ => {}
            }
        }
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }
}

/// A moderator's decision on a review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Moderation {
    /// Publish the text and approve its photos.
    Approve,
    /// Refuse it, with the reason kept for the shop.
    Reject { reason: String },
    /// Take a published review down.
    Hide,
    /// The shop's public reply (replaces an earlier one).
    Reply { text: String },
}

impl Moderation {
    pub fn action(&self) -> &'static str {
        match self {
            Moderation::Approve => "review.approve",
            Moderation::Reject { .. } => "review.reject",
            Moderation::Hide => "review.hide",
            Moderation::Reply { .. } => "review.reply",
        }
    }

    /// The statuses this decision may move a review from.
    pub fn from_statuses(&self) -> &'static [ReviewStatus] {
        use ReviewStatus::*;
        match self {
            Moderation::Approve => &[Pending, Hidden, Rejected, Published],
            Moderation::Reject { .. } => &[Pending, Published, Hidden],
            Moderation::Hide => &[Published],
            Moderation::Reply { .. } => &[Pending, Published, Hidden],
        }
    }

    /// The reason or reply, checked: required and at most 2,000 characters.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let (field, text) = match self {
            Moderation::Reject { reason } => ("reason", reason),
            Moderation::Reply { text } => ("reply", text),
            _ => return Ok(()),
        };
        let len = text.trim().chars().count();
        if len == 0 {
            Err(vec![FieldError { field, problem: Problem::Required }])
        } else if len > REPLY_MAX {
            Err(vec![FieldError { field, problem: Problem::TooLong { max: REPLY_MAX } }])
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rating: Option<i64>, body: &str) -> ReviewInput {
        ReviewInput { rating, title: "Ổn".into(), body: body.into(), fit: Some("true_to_size".into()) }
    }

    #[test]
    fn a_rating_outside_one_to_five_an_empty_or_too_long_text_are_field_errors() {
        assert!(validate(&input(Some(5), "Vải đẹp, mặc vừa.")).is_ok());
        assert!(validate(&input(Some(1), "x")).is_ok());
        for (rating, body, field) in [
            (Some(0), "ok", "rating"),
            (Some(6), "ok", "rating"),
            (None, "ok", "rating"),
            (Some(4), "   ", "body"),
            (Some(4), &"a".repeat(BODY_MAX + 1), "body"),
        ] {
            let errors = validate(&input(rating, body)).expect_err(field);
            assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), vec![field], "{rating:?} {}", body.len());
        }
        // 2,000 characters of Vietnamese (multi-byte) are within the limit.
        assert!(validate(&input(Some(4), &"ạ".repeat(BODY_MAX))).is_ok());
        let bad_fit = ReviewInput { fit: Some("huge".into()), ..input(Some(3), "ok") };
        assert_eq!(validate(&bad_fit).expect_err("fit")[0].field, "fit");
        let long_title = ReviewInput { title: "t".repeat(TITLE_MAX + 1), ..input(Some(3), "ok") };
        assert_eq!(validate(&long_title).expect_err("title")[0].field, "title");
    }

    #[test]
    fn html_is_kept_as_typed_for_the_view_to_escape() {
        let draft = validate(&input(Some(4), "<script>alert(1)</script> đẹp")).expect("valid");
        assert_eq!(draft.body, "<script>alert(1)</script> đẹp");
    }

    #[test]
    fn links_phone_numbers_and_blocked_words_hold_the_text_and_everyday_words_do_not() {
        let table: &[(&str, &[Flag])] = &[
            ("Áo đẹp, mặc vừa, giao nhanh. Cao 1m70 nặng 65kg mặc size M.", &[]),
            ("Vải lớn hơn mình nghĩ, đeo thắt lưng vẫn ổn, màu đẹp", &[]),
            ("Great vest, size M fits. 10/10 would buy again", &[]),
            ("Xem thêm tại https://shop-khac.vn nhé", &[Flag::Link]),
            ("mua ở www.example.com rẻ hơn", &[Flag::Link]),
            ("inbox shopkhac.vn giá tốt", &[Flag::Link]),
            ("mail me at an@example.com", &[Flag::Link]),
            ("Gọi 0912 345 678 để mua sỉ", &[Flag::Phone]),
            ("call +84-912-345-678", &[Flag::Phone]),
            ("Áo như shit", &[Flag::Profanity]),
            ("hàng dỏm vãi, ĐỊT", &[Flag::Profanity]),
            ("VCL giao chậm", &[Flag::Profanity]),
            ("đụ má shop này, gọi 0987654321", &[Flag::Phone, Flag::Profanity]),
        ];
        for (text, expected) in table {
            assert_eq!(flags(text), expected.to_vec(), "{text}");
        }
    }

    #[test]
    fn clean_text_publishes_at_once_and_flagged_text_waits() {
        assert_eq!(initial_status(&[]), ReviewStatus::Published);
        assert_eq!(initial_status(&[Flag::Phone]), ReviewStatus::Pending);
        let draft = validate(&input(Some(2), "liên hệ 0912345678")).expect("valid");
        assert_eq!(initial_status(&draft.flags), ReviewStatus::Pending);
    }

    fn candidate(line_no: i64, delivered: bool, reviewed: bool) -> Candidate {
        Candidate { order_id: "ab".into(), line_no, size: "M".into(), color: "grey".into(), buyer_name: "An".into(), locale: "vi".into(), delivered, reviewed }
    }

    #[test]
    fn only_a_delivered_unreviewed_line_can_be_reviewed() {
        assert_eq!(choose(&[]), Err(Ineligible::NotABuyer));
        assert_eq!(choose(&[candidate(1, false, false)]), Err(Ineligible::NotDelivered));
        assert_eq!(choose(&[candidate(1, true, true)]), Err(Ineligible::AlreadyReviewed));
        assert_eq!(choose(&[candidate(1, true, true), candidate(2, false, false)]), Err(Ineligible::AlreadyReviewed));
        assert_eq!(choose(&[candidate(1, true, true), candidate(2, true, false)]).map(|c| c.line_no), Ok(2));
        assert_eq!(Ineligible::AlreadyReviewed.status(), 409);
        assert_eq!(Ineligible::NotDelivered.status(), 403);
    }

    #[test]
    fn a_review_link_names_its_line_until_it_expires_and_cannot_be_altered() {
        let secret = b"a shop secret of enough length!!";
        let token = review_token(secret, "00ff", 2, 1_000);
        assert_eq!(verify_review_token(secret, &token, 999), Some(("00ff".into(), 2)));
        assert_eq!(verify_review_token(secret, &token, 1_000), Some(("00ff".into(), 2)));
        assert_eq!(verify_review_token(secret, &token, 1_001), None, "expired");
        assert_eq!(verify_review_token(b"another secret", &token, 999), None);
        let other_line = token.replacen(".2.", ".3.", 1);
        assert_eq!(verify_review_token(secret, &other_line, 999), None);
        let later = token.replacen(".1000.", ".9999.", 1);
        assert_eq!(verify_review_token(secret, &later, 999), None);
        assert_eq!(verify_review_token(secret, "garbage", 0), None);
    }

    #[test]
    fn authors_are_shown_by_given_name_and_initial() {
        assert_eq!(display_name("Nguyễn Văn An").as_deref(), Some("An N."));
        assert_eq!(display_name("  trần   minh ").as_deref(), Some("minh T."));
        assert_eq!(display_name("Linh").as_deref(), Some("Linh"));
        assert_eq!(display_name("  "), None);
    }

    #[test]
    fn the_average_is_rounded_to_one_decimal() {
        let s = RatingSummary { count: 3, total: 13, distribution: [0, 0, 0, 2, 1] };
        assert_eq!(s.average_tenths(), Some(43));
        assert_eq!(s.average(), Some(4.3));
        assert_eq!(RatingSummary { count: 2, total: 9, distribution: [0, 0, 0, 1, 1] }.average_tenths(), Some(45));
        assert_eq!(RatingSummary::default().average(), None);
        assert_eq!(s.percent(4), 67);
        assert_eq!(s.percent(1), 0);
        assert_eq!(s.percent(9), 0);
    }

    #[test]
    fn a_card_reads_its_packed_figures() {
        assert_eq!(CardRating::unpack("3\u{1f}13"), Some(CardRating { count: 3, average_tenths: 43 }));
        assert_eq!(CardRating::unpack("0\u{1f}0"), None);
        assert_eq!(CardRating::unpack("x"), None);
        assert_eq!(format_tenths(43, super::super::locale::Locale::Vi), "4,3");
        assert_eq!(format_tenths(50, super::super::locale::Locale::En), "5.0");
    }

    #[test]
    fn the_list_query_reads_its_parameters_and_refuses_bad_ones() {
        let q = ReviewQuery::parse([("page", "2"), ("stars", "5"), ("media", "1"), ("sort", "helpful")]).expect("valid");
        assert_eq!(q, ReviewQuery { page: 2, stars: Some(5), media: true, sort: ReviewSort::Helpful });
        assert_eq!(ReviewQuery::parse([]).expect("empty").page, 1);
        let errors = ReviewQuery::parse([("stars", "6"), ("page", "x"), ("sort", "best")]).expect_err("bad");
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), vec!["stars", "page", "sort"]);
    }

    #[test]
    fn a_rejection_needs_a_reason_and_hiding_needs_a_published_review() {
        assert!(Moderation::Reject { reason: " ".into() }.check().is_err());
        assert!(Moderation::Reject { reason: "spam".into() }.check().is_ok());
        assert!(Moderation::Reply { text: "x".repeat(REPLY_MAX + 1) }.check().is_err());
        assert_eq!(Moderation::Hide.from_statuses(), &[ReviewStatus::Published]);
    }
}
