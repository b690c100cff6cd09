//! VietQR: the payload of a bank-transfer QR code, as every Vietnamese banking app reads it.
//!
//! The format is the EMVCo merchant-presented QR code (EMV QRCPS-MPM) as profiled by NAPAS for
//! its 24/7 transfer service ("VietQR", NAPAS 247): a string of `ID LL value` fields, where `ID`
//! and `LL` are two decimal digits and `LL` is the value's length. The fields written here, in
//! this order:
//!
//! | ID | value |
//! | --- | --- |
//! | 00 | payload format indicator, `01` |
//! | 01 | point of initiation: `12` (dynamic: a QR for one payment, with its amount) or `11` (static) |
//! | 38 | merchant account information: 00 GUID `A000000727` (NAPAS); 01 beneficiary organisation = 00 acquirer id (the bank's 6-digit BIN) + 01 the account number; 02 service code `QRIBFTTA` (transfer to an account) |
//! | 53 | currency, ISO 4217 numeric: `704` (VND) |
//! | 54 | amount, whole đồng (when set) |
//! | 58 | country, `VN` |
//! | 62 | additional data: 08 purpose of transaction = the transfer memo (when set) |
//! | 63 | CRC-16/CCITT-FALSE of everything before it including `6304`, four uppercase hex digits |
//!
//! Inputs are checked against the specification's limits (and what banks keep of a memo) before
//! anything is written: an invalid payload would scan as garbage or, worse, as a transfer the shop
//! cannot match to an order. Cross-checked against an independent encoder in `tests/vietqr.test.mjs`.

use std::fmt;

/// NAPAS's globally unique identifier in field 38.
pub const NAPAS_GUID: &str = "A000000727";
/// Service code: transfer to an account number (`QRIBFTTC` would be to a card number).
pub const SERVICE_TO_ACCOUNT: &str = "QRIBFTTA";
/// The longest account number the beneficiary field takes (EMVCo: merchant id, ans ..19).
pub const MAX_ACCOUNT_LEN: usize = 19;
/// The longest purpose of transaction (EMVCo 62/08: ans ..25).
pub const MAX_MEMO_LEN: usize = 25;
/// The largest amount field 54 holds: 13 characters, whole đồng.
pub const MAX_AMOUNT: u64 = 9_999_999_999_999;

/// Why a payload could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VietQrError {
    /// The bank BIN is not exactly six digits.
    BankBin,
    /// The account number is empty, longer than 19 characters, or not ASCII letters and digits.
    AccountNumber,
    /// The amount is zero or has more than 13 digits.
    Amount,
    /// The memo is empty, longer than 25 characters, has a character other than an ASCII letter,
    /// digit or space, or starts or ends with a space.
    Memo,
}

impl fmt::Display for VietQrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VietQrError::BankBin => "the bank BIN must be 6 digits",
            VietQrError::AccountNumber => "the account number must be 1 to 19 ASCII letters or digits",
            VietQrError::Amount => "the amount must be between 1 and 9999999999999 đồng",
            VietQrError::Memo => "the memo must be 1 to 25 ASCII letters, digits or inner spaces",
        })
    }
}

impl std::error::Error for VietQrError {}

/// The receiving account: a bank (by its NAPAS BIN) and an account number there. Valid once made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    bin: String,
    number: String,
}

impl BankAccount {
    /// `bin`: the bank's six-digit BIN (Vietcombank 970436, ACB 970416, …); `number`: the account.
    pub fn parse(bin: &str, number: &str) -> Result<BankAccount, VietQrError> {
        if bin.len() != 6 || !bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::BankBin);
        }
        if number.is_empty() || number.len() > MAX_ACCOUNT_LEN || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(VietQrError::AccountNumber);
        }
        Ok(BankAccount { bin: bin.to_string(), number: number.to_string() })
    }

    pub fn bin(&self) -> &str {
        &self.bin
    }

    pub fn number(&self) -> &str {
        &self.number
    }
}

/// A transfer memo ("nội dung chuyển khoản") that survives the trip through the banks: ASCII
/// letters, digits and single inner spaces only (banks strip diacritics and drop or replace
/// punctuation, so anything else may not come back in the bank feed as it was sent), 1–25
/// characters (the specification's limit for field 62/08).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferMemo(String);

impl TransferMemo {
    pub fn parse(memo: &str) -> Result<TransferMemo, VietQrError> {
        let allowed = memo.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ');
        let trimmed = !memo.starts_with(' ') && !memo.ends_with(' ') && !memo.contains("  ");
        if memo.is_empty() || memo.len() > MAX_MEMO_LEN || !allowed || !trimmed {
            return Err(VietQrError::Memo);
        }
        Ok(TransferMemo(memo.to_string()))
    }

    /// The memo for an order: its number without the characters banks may not keep
    /// (`VS-000123` → `VS000123`), so that the bank feed's content can be matched to the order.
    pub fn for_order(order_number: &str) -> Result<TransferMemo, VietQrError> {
        let kept: String = order_number.chars().filter(char::is_ascii_alphanumeric).collect();
        TransferMemo::parse(&kept)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One `ID LL value` field. Every value written here is ASCII and at most 99 bytes long (checked
/// by the types above), so the byte length is the character count the specification means.
fn field(out: &mut String, id: &str, value: &str) {
    debug_assert!(value.len() <= 99 && value.is_ascii());
    out.push_str(id);
    out.push_str(&format!("{:02}", value.len()));
    out.push_str(value);
}

/// The VietQR payload for a transfer to `account`: with `amount` (whole đồng, 1 to 13 digits) the
/// QR is for that one payment (point of initiation `12`), without it the payer types the amount
/// (`11`); `memo` is the transfer's content.
pub fn payload(account: &BankAccount, amount: Option<u64>, memo: Option<&TransferMemo>) -> Result<String, VietQrError> {
    if let Some(amount) = amount {
        if amount == 0 || amount > MAX_AMOUNT {
            return Err(VietQrError::Amount);
        }
    }
    let mut beneficiary = String::new();
    field(&mut beneficiary, "00", &account.bin);
    field(&mut beneficiary, "01", &account.number);
    let mut merchant = String::new();
    field(&mut merchant, "00", NAPAS_GUID);
    field(&mut merchant, "01", &beneficiary);
    field(&mut merchant, "02", SERVICE_TO_ACCOUNT);

    let mut out = String::with_capacity(128);
    field(&mut out, "00", "01");
    field(&mut out, "01", if amount.is_some() { "12" } else { "11" });
    field(&mut out, "38", &merchant);
    field(&mut out, "53", "704");
    if let Some(amount) = amount {
        field(&mut out, "54", &amount.to_string());
    }
    field(&mut out, "58", "VN");
    if let Some(memo) = memo {
        let mut additional = String::new();
        field(&mut additional, "08", &memo.0);
        field(&mut out, "62", &additional);
    }
    out.push_str("6304");
    let crc = crc16_ccitt_false(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    Ok(out)
}

/// CRC-16/CCITT-FALSE (as EMVCo specifies for field 63): polynomial 0x1021, initial value 0xFFFF,
/// no reflection, no final XOR. Check value: `"123456789"` → 0x29B1.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Top-level `ID LL value` fields of a payload, for reading it back in the tests.
    fn fields(payload: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = payload;
        while !rest.is_empty() {
            let id = &rest[..2];
            let len: usize = rest[2..4].parse().expect("two-digit length");
            out.push((id.to_string(), rest[4..4 + len].to_string()));
            rest = &rest[4 + len..];
        }
        out
    }

    fn account(bin: &str, number: &str) -> BankAccount {
        BankAccount::parse(bin, number).expect("valid account")
    }

    fn memo(s: &str) -> TransferMemo {
        TransferMemo::parse(s).expect("valid memo")
    }

    #[test]
    fn crc_matches_the_catalogue_check_value() {
        // The CRC catalogue's check value for CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740).
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn crc_matches_the_napas_sample_payload() {
        // The NAPAS specification's sample (a transfer to a card, with a bill number and purpose):
        // its CRC field is A203.
        let body = "00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC530370454061800005802VN62340107NPS68690819thanh toan don hang6304";
        assert_eq!(format!("{:04X}", crc16_ccitt_false(body.as_bytes())), "A203");
    }

    /// BIN, account, amount, memo, and the payload published for them.
    type Published = (&'static str, &'static str, Option<u64>, Option<&'static str>, &'static str);

    /// Full payloads published by others (VietQR generators and their users), byte for byte.
    #[test]
    fn payloads_match_published_vietqr_strings() {
        let cases: &[Published] = &[
            // VietinBank, 120.000 ₫, "ung ho lu lut".
            ("970415", "0011001932418", Some(120_000), Some("ung ho lu lut"), "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C"),
            // Vietcombank, 1.943.000 ₫, an order number as the memo.
            ("970436", "1023456789", Some(1_943_000), Some("TT000069"), "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704540719430005802VN62120808TT0000696304A8E5"),
            // ACB, 10.000 ₫, "Chuyen tien" (vietnam-qr-pay's README).
            ("970416", "257678859", Some(10_000), Some("Chuyen tien"), "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045405100005802VN62150811Chuyen tien630453E6"),
            // ACB, static: no amount, no memo.
            ("970416", "257678859", None, None, "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F"),
        ];
        for (bin, number, amount, memo_text, want) in cases {
            let memo = memo_text.map(memo);
            let got = payload(&account(bin, number), *amount, memo.as_ref()).unwrap();
            assert_eq!(&got, want, "{bin} {number} {amount:?} {memo_text:?}");
        }
    }

    #[test]
    fn a_payment_qr_has_the_fields_in_the_specified_order() {
        let p = payload(&account("970436", "0071000123456"), Some(459_000), Some(&memo("VS000123"))).unwrap();
        let f = fields(&p);
        let ids: Vec<&str> = f.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["00", "01", "38", "53", "54", "58", "62", "63"]);
        assert_eq!(f[0].1, "01");
        assert_eq!(f[1].1, "12", "dynamic: an amount is set");
        let merchant = fields(&f[2].1);
        assert_eq!(merchant[0], ("00".into(), NAPAS_GUID.into()));
        assert_eq!(fields(&merchant[1].1), [("00".into(), "970436".into()), ("01".into(), "0071000123456".into())]);
        assert_eq!(merchant[2], ("02".into(), "QRIBFTTA".into()));
        assert_eq!(f[3].1, "704");
        assert_eq!(f[4].1, "459000");
        assert_eq!(f[5].1, "VN");
        assert_eq!(fields(&f[6].1), [("08".into(), "VS000123".into())]);
        let (body, crc) = p.split_at(p.len() - 4);
        assert!(body.ends_with("6304"));
        assert_eq!(crc, format!("{:04X}", crc16_ccitt_false(body.as_bytes())));
        assert!(crc.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    }

    #[test]
    fn a_static_qr_has_no_amount_and_initiation_11() {
        let f = fields(&payload(&account("970416", "257678859"), None, None).unwrap());
        assert_eq!(f[1].1, "11");
        assert!(f.iter().all(|(id, _)| id != "54" && id != "62"));
    }

    #[test]
    fn the_largest_values_still_fit_their_fields() {
        let long_account = "A".repeat(MAX_ACCOUNT_LEN);
        let long_memo = memo(&"Z".repeat(MAX_MEMO_LEN));
        let p = payload(&account("970436", &long_account), Some(MAX_AMOUNT), Some(&long_memo)).unwrap();
        let f = fields(&p);
        assert_eq!(f[4].1, "9999999999999");
        assert_eq!(fields(&fields(&f[2].1)[1].1)[1].1, long_account);
        assert_eq!(fields(&f[6].1)[0].1, "Z".repeat(25));
    }

    #[test]
    fn bad_accounts_are_refused_with_their_reason() {
        for bin in ["", "97043", "9704360", "97043A", "９７０４３６"] {
            assert_eq!(BankAccount::parse(bin, "123"), Err(VietQrError::BankBin), "{bin:?}");
        }
        for number in ["", "12345678901234567890", "0071-000", "0071 000", "00710đ"] {
            assert_eq!(BankAccount::parse("970436", number), Err(VietQrError::AccountNumber), "{number:?}");
        }
        assert!(BankAccount::parse("970436", "1234567890123456789").is_ok(), "19 characters");
    }

    #[test]
    fn amounts_outside_one_to_thirteen_digits_are_refused() {
        let a = account("970436", "1023456789");
        assert_eq!(payload(&a, Some(0), None), Err(VietQrError::Amount));
        assert_eq!(payload(&a, Some(MAX_AMOUNT + 1), None), Err(VietQrError::Amount));
        assert!(payload(&a, Some(1), None).is_ok());
    }

    #[test]
    fn memos_keep_to_what_banks_keep() {
        for bad in ["", " VS000123", "VS000123 ", "VS  000123", "VS-000123", "Đơn hàng", "VS_1", "a\tb", &"X".repeat(26)] {
            assert_eq!(TransferMemo::parse(bad), Err(VietQrError::Memo), "{bad:?}");
        }
        assert_eq!(TransferMemo::parse("Thanh toan VS000123").unwrap().as_str(), "Thanh toan VS000123");
    }

    #[test]
    fn an_order_number_becomes_a_memo_without_its_dash() {
        assert_eq!(TransferMemo::for_order("VS-000123").unwrap().as_str(), "VS000123");
        assert_eq!(TransferMemo::for_order("VS-1234567").unwrap().as_str(), "VS1234567");
        assert_eq!(TransferMemo::for_order("---"), Err(VietQrError::Memo));
    }
}
