//! Bank transfer with VietQR: the shop's receiving account (offered at checkout once configured),
//! the bank feed's webhook (the JSON that SePay sends; Casso and others send the same fields under
//! these or close names) and how a transfer's content is matched to an order.
//!
//! The feed posts one transaction per request, authenticated by `Authorization: Apikey <key>`:
//!
//! ```json
//! {"id": 92704, "gateway": "Vietcombank", "transactionDate": "2026-12-07 14:02:37",
//!  "accountNumber": "0071000123456", "code": null, "content": "VS000123 chuyen tien",
//!  "transferType": "in", "transferAmount": 459000, "accumulated": 19077000,
//!  "subAccount": null, "referenceCode": "MBVCB.3278907687", "description": ""}
//! ```
//!
//! `id` is the feed's transaction id (unique: a redelivery repeats it). Only money in
//! (`transferType` `in`) is looked at. The content is matched by memo: an order's memo
//! ([`TransferMemo::for_order`], `VS-000123` → `VS000123`) found inside it, letters in any case
//! and spaces ignored, since banks prepend their own words and some split or fold the memo.

use serde_json::Value;

use super::vietqr::{BankAccount, TransferMemo};
use super::{int, text};
use crate::domain::signature::constant_time_eq;

/// The provider name of a bank-transfer attempt (`payments.provider`, the checkout choice).
pub const PROVIDER: &str = "bank";
/// How long a bank-transfer order waits for the money by default (`BANK_TRANSFER_TTL_SECONDS`).
pub const DEFAULT_TTL_SECONDS: i64 = 7200;
/// Every order number starts so (`VS-%06d`, `app::orders::create_order_batch`).
pub const ORDER_NUMBER_PREFIX: &str = "VS";
/// The digits of an order number: at least 6 (zero-padded), at most this many looked for.
const MAX_NUMBER_DIGITS: usize = 12;

/// The shop's receiving account as the order page shows it and the QR code carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankConfig {
    pub account: BankAccount,
    /// The account holder's name, as the bank registers it (`VIETQR_ACCOUNT_NAME`).
    pub account_name: String,
    /// The bank's short name for people (`VIETQR_BANK_NAME`; default: a known BIN's name).
    pub bank_name: String,
    /// How long an order waits for the transfer (`BANK_TRANSFER_TTL_SECONDS`).
    pub ttl_seconds: i64,
}

/// Short names of the banks most shops bank with, by NAPAS BIN (shown when `VIETQR_BANK_NAME` is not set).
const BANK_NAMES: &[(&str, &str)] = &[
    ("970436", "Vietcombank"),
    ("970415", "VietinBank"),
    ("970418", "BIDV"),
    ("970405", "Agribank"),
    ("970422", "MB Bank"),
    ("970407", "Techcombank"),
    ("970416", "ACB"),
    ("970432", "VPBank"),
    ("970423", "TPBank"),
    ("970403", "Sacombank"),
];

impl BankConfig {
    /// Offered only with a valid BIN and account number and a holder's name; `None` otherwise.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<BankConfig> {
        let bin = get("VIETQR_BANK_BIN")?;
        let number = get("VIETQR_ACCOUNT_NO")?;
        let account = BankAccount::parse(bin.trim(), number.trim()).ok()?;
        let account_name = get("VIETQR_ACCOUNT_NAME").map(|n| n.trim().to_string()).filter(|n| !n.is_empty())?;
        let bank_name = get("VIETQR_BANK_NAME")
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .or_else(|| BANK_NAMES.iter().find(|(b, _)| *b == account.bin()).map(|(_, n)| n.to_string()))
            .unwrap_or_else(|| account.bin().to_string());
        let ttl_seconds = get("BANK_TRANSFER_TTL_SECONDS")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| (60..=7 * 86_400).contains(n))
            .unwrap_or(DEFAULT_TTL_SECONDS);
        Some(BankConfig { account, account_name, bank_name, ttl_seconds })
    }
}

/// Whether the feed's `Authorization` header carries the configured key (`Apikey <key>`, the
/// scheme word in any case), compared in constant time.
pub fn authorized(header: Option<&str>, key: &str) -> bool {
    let Some(header) = header else { return false };
    let header = header.trim();
    let Some((scheme, given)) = header.split_once(' ') else { return false };
    scheme.eq_ignore_ascii_case("apikey") && !key.is_empty() && constant_time_eq(given.trim().as_bytes(), key.as_bytes())
}

/// One transaction of the bank feed, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The feed's transaction id: a redelivery repeats it.
    pub id: String,
    pub gateway: String,
    pub account_number: String,
    /// Whole đồng.
    pub amount: i64,
    pub content: String,
    pub reference_code: Option<String>,
    pub transaction_date: Option<String>,
    /// Money in (`transferType` `in`); money out is acknowledged and not stored.
    pub incoming: bool,
}

impl Transfer {
    /// Whether the transaction is on `account` (a feed may watch several accounts): the account
    /// number it names, leading zeros and spaces as written, or none named.
    pub fn is_for(&self, account: &BankAccount) -> bool {
        let named: String = self.account_number.chars().filter(|c| !c.is_whitespace()).collect();
        named.is_empty() || named.eq_ignore_ascii_case(account.number())
    }
}

/// Why a feed body was refused (400): the field at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTransfer(pub &'static str);

/// Reads SePay's webhook body (Casso's `tid`/`amount`/`description` names are read too).
pub fn parse_transfer(body: &str) -> Result<Transfer, BadTransfer> {
    let v: Value = serde_json::from_str(body).map_err(|_| BadTransfer("body"))?;
    let v = match v.get("data").and_then(|d| d.as_array()).and_then(|a| a.first()) {
        // Casso wraps the transaction: {"error":0,"data":[{…}]}.
        Some(inner) => inner.clone(),
        None => v,
    };
    let id = text(&v, "id").or_else(|| text(&v, "tid")).map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && s.len() <= 100).ok_or(BadTransfer("id"))?;
    let amount = int(&v, "transferAmount").or_else(|| int(&v, "amount")).ok_or(BadTransfer("transferAmount"))?;
    let content = text(&v, "content").or_else(|| text(&v, "description")).unwrap_or_default();
    let incoming = match v.get("transferType").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("in") => true,
        Some(t) if t.eq_ignore_ascii_case("out") => false,
        Some(_) => return Err(BadTransfer("transferType")),
        // Casso: the sign of the amount says the direction.
        None => amount > 0,
    };
    let amount = amount.abs();
    if incoming && amount == 0 {
        return Err(BadTransfer("transferAmount"));
    }
    let optional = |key: &str| text(&v, key).filter(|s| !s.is_empty());
    Ok(Transfer {
        id,
        gateway: optional("gateway").or_else(|| optional("bank_sub_acc_id")).unwrap_or_default(),
        account_number: optional("accountNumber").or_else(|| optional("subAccId")).unwrap_or_default(),
        amount,
        content: content.chars().take(1000).collect(),
        reference_code: optional("referenceCode").or_else(|| optional("reference")),
        transaction_date: optional("transactionDate").or_else(|| optional("when")),
        incoming,
    })
}

/// The content as it is compared: ASCII letters upper-cased, whitespace removed.
pub fn fold(content: &str) -> String {
    content.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Whether `memo` is inside `content`, letters in any case and spaces ignored.
pub fn contains_memo(content: &str, memo: &TransferMemo) -> bool {
    fold(content).contains(&fold(memo.as_str()))
}

/// The order numbers whose memo may be inside `content`: every `VS` followed by at least six
/// digits gives `VS-` with each run of 6.. of those digits (a memo run into other digits, as
/// `VS0001230912345678` when the payer added a phone number, still names `VS-000123`). Only
/// numbers that exist match an order; the candidates are few and bounded.
pub fn candidate_numbers(content: &str) -> Vec<String> {
    let folded = fold(content);
    let bytes = folded.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some(at) = folded[from..].find(ORDER_NUMBER_PREFIX) {
        let start = from + at + ORDER_NUMBER_PREFIX.len();
        let digits = bytes[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        for len in 6..=digits.min(MAX_NUMBER_DIGITS) {
            let number = &folded[start..start + len];
            // printf('%06d') pads to six digits only: a longer number has no leading zero.
            if len > 6 && number.starts_with('0') {
                continue;
            }
            let candidate = format!("{ORDER_NUMBER_PREFIX}-{number}");
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
        from = start;
        if out.len() >= 32 {
            break;
        }
    }
    out
}

/// How a transfer's amount compares with what the order asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountCheck {
    Exact,
    Under,
    Over,
}

pub fn check_amount(paid: i64, due: i64) -> AmountCheck {
    match paid.cmp(&due) {
        std::cmp::Ordering::Equal => AmountCheck::Exact,
        std::cmp::Ordering::Less => AmountCheck::Under,
        std::cmp::Ordering::Greater => AmountCheck::Over,
    }
}

/// Why a transaction waits in the reconciliation queue ("chờ đối soát") instead of paying an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewReason {
    /// Less than the order's total.
    Underpaid,
    /// More than the order's total.
    Overpaid,
    /// No order's memo is in the content.
    UnknownMemo,
    /// The memos of several orders are in the content.
    Ambiguous,
    /// The order named was not waiting for a bank transfer (another method, or already paid).
    NotAwaitingTransfer,
}

impl ReviewReason {
    pub fn code(self) -> &'static str {
        match self {
            ReviewReason::Underpaid => "underpaid",
            ReviewReason::Overpaid => "overpaid",
            ReviewReason::UnknownMemo => "unknown_memo",
            ReviewReason::Ambiguous => "ambiguous",
            ReviewReason::NotAwaitingTransfer => "not_awaiting_transfer",
        }
    }

    pub fn parse(code: &str) -> Option<ReviewReason> {
        [ReviewReason::Underpaid, ReviewReason::Overpaid, ReviewReason::UnknownMemo, ReviewReason::Ambiguous, ReviewReason::NotAwaitingTransfer]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()).filter(|v| !v.is_empty())
    }

    #[test]
    fn the_account_is_offered_only_when_complete_and_valid() {
        let full = [("VIETQR_BANK_BIN", "970436"), ("VIETQR_ACCOUNT_NO", "0071000123456"), ("VIETQR_ACCOUNT_NAME", "CONG TY VESTIFY")];
        let c = BankConfig::from_lookup(lookup(&full)).expect("configured");
        assert_eq!((c.account.bin(), c.account.number(), c.bank_name.as_str(), c.ttl_seconds), ("970436", "0071000123456", "Vietcombank", 7200));
        for missing in 0..3 {
            let partial: Vec<_> = full.iter().enumerate().filter(|(i, _)| *i != missing).map(|(_, p)| *p).collect();
            assert!(BankConfig::from_lookup(lookup(&partial)).is_none(), "without {}", full[missing].0);
        }
        let bad_bin = [("VIETQR_BANK_BIN", "97043"), ("VIETQR_ACCOUNT_NO", "1"), ("VIETQR_ACCOUNT_NAME", "A")];
        assert!(BankConfig::from_lookup(lookup(&bad_bin)).is_none());
        let ttl = [full[0], full[1], full[2], ("BANK_TRANSFER_TTL_SECONDS", "600"), ("VIETQR_BANK_NAME", "VCB")];
        let c = BankConfig::from_lookup(lookup(&ttl)).unwrap();
        assert_eq!((c.ttl_seconds, c.bank_name.as_str()), (600, "VCB"));
    }

    #[test]
    fn the_api_key_must_match_exactly() {
        assert!(authorized(Some("Apikey s3cret"), "s3cret"));
        assert!(authorized(Some("apikey s3cret"), "s3cret"));
        for bad in [None, Some(""), Some("s3cret"), Some("Bearer s3cret"), Some("Apikey s3cre"), Some("Apikey s3cret2"), Some("Apikey ")] {
            assert!(!authorized(bad, "s3cret"), "{bad:?}");
        }
        assert!(!authorized(Some("Apikey "), ""), "an empty key never matches");
    }

    #[test]
    fn sepays_webhook_body_is_read() {
        let body = r#"{"gateway":"Vietcombank","transactionDate":"2026-12-07 14:02:37","accountNumber":"0071000123456","subAccount":null,
            "code":null,"content":"VS000123 chuyen tien","transferType":"in","description":"BankAPINotify VS000123","transferAmount":459000,
            "referenceCode":"MBVCB.3278907687","accumulated":19077000,"id":92704}"#;
        let t = parse_transfer(body).unwrap();
        assert_eq!(t.id, "92704");
        assert_eq!((t.amount, t.incoming), (459_000, true));
        assert_eq!(t.content, "VS000123 chuyen tien");
        assert_eq!(t.reference_code.as_deref(), Some("MBVCB.3278907687"));
        assert_eq!(t.gateway, "Vietcombank");
        let out = parse_transfer(r#"{"id":"1","transferType":"out","transferAmount":5000,"content":"x"}"#).unwrap();
        assert!(!out.incoming);
        assert_eq!(parse_transfer(r#"{"transferType":"in","transferAmount":5000}"#), Err(BadTransfer("id")));
        assert_eq!(parse_transfer(r#"{"id":1,"transferType":"in"}"#), Err(BadTransfer("transferAmount")));
        assert_eq!(parse_transfer(r#"{"id":1,"transferType":"sideways","transferAmount":1}"#), Err(BadTransfer("transferType")));
        assert_eq!(parse_transfer("not json"), Err(BadTransfer("body")));
    }

    #[test]
    fn a_transaction_on_another_account_is_told_apart() {
        let ours = BankAccount::parse("970436", "0071000123456").unwrap();
        let t = parse_transfer(r#"{"id":1,"transferType":"in","transferAmount":5,"accountNumber":"0071000123456"}"#).unwrap();
        assert!(t.is_for(&ours));
        assert!(Transfer { account_number: String::new(), ..t.clone() }.is_for(&ours), "none named");
        assert!(!Transfer { account_number: "0071000999999".into(), ..t.clone() }.is_for(&ours));
        assert!(!Transfer { account_number: "71000123456".into(), ..t }.is_for(&ours), "leading zeros count");
    }

    #[test]
    fn cassos_wrapped_body_is_read_too() {
        let t = parse_transfer(r#"{"error":0,"data":[{"tid":"BANK_REF_1","description":"ck VS000124","amount":100000,"when":"2026-12-07 10:00:00"}]}"#).unwrap();
        assert_eq!((t.id.as_str(), t.amount, t.incoming, t.content.as_str()), ("BANK_REF_1", 100_000, true, "ck VS000124"));
    }

    #[test]
    fn the_memo_is_found_in_any_case_with_spaces_ignored() {
        let memo = TransferMemo::for_order("VS-000123").unwrap();
        for content in ["VS000123", "vs000123", "MBVCB.123.Nguyen Van A chuyen tien VS000123", "VS 000 123 thanh toan", "Vs000123-CT tu 0071000"] {
            assert!(contains_memo(content, &memo), "{content}");
        }
        for content in ["VS00012", "VS-000123", "VS000124", ""] {
            assert!(!contains_memo(content, &memo), "{content}");
        }
    }

    #[test]
    fn candidate_numbers_name_every_order_the_content_may_mean() {
        assert_eq!(candidate_numbers("IBFT vs000123 chuyen tien"), ["VS-000123"]);
        assert_eq!(candidate_numbers("VS 000 123"), ["VS-000123"]);
        // Run into a phone number: the six-digit memo is still a candidate, longer ones with a leading zero are not.
        assert_eq!(candidate_numbers("VS000123 0912345678"), ["VS-000123"]);
        assert_eq!(candidate_numbers("VS1234567"), ["VS-123456", "VS-1234567"]);
        assert_eq!(candidate_numbers("VS000001 VS000002"), ["VS-000001", "VS-000002"]);
        assert!(candidate_numbers("chuyen tien VS12345").is_empty());
        assert!(candidate_numbers("").is_empty());
        assert!(candidate_numbers(&"VS123456".repeat(100)).len() <= 32, "bounded");
    }

    #[test]
    fn amounts_are_exact_under_or_over() {
        assert_eq!(check_amount(459_000, 459_000), AmountCheck::Exact);
        assert_eq!(check_amount(458_999, 459_000), AmountCheck::Under);
        assert_eq!(check_amount(459_001, 459_000), AmountCheck::Over);
    }

    #[test]
    fn review_reasons_read_back_their_codes() {
        for r in [ReviewReason::Underpaid, ReviewReason::Overpaid, ReviewReason::UnknownMemo, ReviewReason::Ambiguous, ReviewReason::NotAwaitingTransfer] {
            assert_eq!(ReviewReason::parse(r.code()), Some(r));
        }
    }
}
