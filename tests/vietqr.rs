//! VietQR payloads and their SVG QR codes for a fixed set of transfers, kept in
//! `tests/fixtures/vietqr.json` so that `tests/vietqr.test.mjs` can compare the payloads with an
//! independent encoder (the npm package `vietnam-qr-pay`) and decode the SVGs, rasterised by
//! Chromium, with a QR decoder (`jsqr`). This test fails when our output and the committed file
//! differ; `VESTIFY_WRITE_FIXTURES=1 cargo test --test vietqr` rewrites the file.

use std::path::PathBuf;

use serde_json::{json, Value};
use vestify::domain::payments::vietqr::{payload, BankAccount, TransferMemo};
use vestify::views::qr::qr_svg;

/// (bank BIN, account number, amount in đồng, memo): common banks, the limits of each field, a
/// static QR (no amount, no memo), and each optional field alone.
const TRANSFERS: &[(&str, &str, Option<u64>, Option<&str>)] = &[
    ("970436", "0071000123456", Some(459_000), Some("VS000123")),
    ("970415", "0011001932418", Some(120_000), Some("ung ho lu lut")),
    ("970416", "257678859", Some(10_000), Some("Chuyen tien")),
    ("970422", "0123456789", Some(1), Some("VS1234567")),
    ("970407", "19034567890123", Some(9_999_999_999_999), Some("Thanh toan don VS000042")),
    ("970418", "ABCDEFGHIJ123456789", Some(2_500_000), Some("ZZZZZZZZZZZZZZZZZZZZZZZZZ")),
    ("970423", "00001234", None, None),
    ("970432", "123456789012", Some(75_000), None),
    ("970405", "3300205000123", None, Some("Ung ho 2025")),
];

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vietqr.json")
}

fn generated() -> String {
    let cases: Vec<Value> = TRANSFERS
        .iter()
        .map(|&(bin, account, amount, memo)| {
            let bank = BankAccount::parse(bin, account).expect("valid account");
            let memo_value = memo.map(|m| TransferMemo::parse(m).expect("valid memo"));
            let payload = payload(&bank, amount, memo_value.as_ref()).expect("valid transfer");
            let svg = qr_svg(&payload, "VietQR").expect("fits a QR code").into_string();
            json!({"bank_bin": bin, "account_no": account, "amount": amount, "memo": memo, "payload": payload, "svg": svg})
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "generated_by": "cargo test --test vietqr (VESTIFY_WRITE_FIXTURES=1 rewrites this file)",
        "cases": cases,
    }))
    .expect("json");
    text.push('\n');
    text
}

#[test]
fn the_vietqr_fixture_is_what_the_encoder_makes() {
    let want = generated();
    if std::env::var_os("VESTIFY_WRITE_FIXTURES").is_some() {
        std::fs::write(fixture_path(), &want).expect("write the fixture");
    }
    let on_disk = std::fs::read_to_string(fixture_path()).unwrap_or_default();
    assert!(on_disk == want, "tests/fixtures/vietqr.json is stale: run `VESTIFY_WRITE_FIXTURES=1 cargo test --test vietqr` and commit it");
}
