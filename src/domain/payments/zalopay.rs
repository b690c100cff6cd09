//! ZaloPay v2 (<https://docs.zalopay.vn/v2/general/overview.html>).
//!
//! - `app_trans_id` is `yymmdd_…` with the date in Vietnam time (GMT+7): ZaloPay reconciles by
//!   Vietnamese day.
//! - Create: `mac = HMAC-SHA256(key1, "app_id|app_trans_id|app_user|amount|app_time|embed_data|item")`.
//! - Callback (<https://beta-docs.zalopay.vn/docs/specs/callback-api>): `{data, mac, type}` with
//!   `mac = HMAC-SHA256(key2, data)` over the raw `data` string; answered
//!   `{"return_code": 1 | 2 | 0 | -1, "return_message": …}` (1 ok, 2 already received, -1 bad mac,
//!   0 retry later).
//! - Query: `mac = HMAC(key1, "app_id|app_trans_id|key1")`; refund:
//!   `mac = HMAC(key1, "app_id|zp_trans_id|amount|description|timestamp")`.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{form_body, int, text, Attempt, GatewayError, Outbound, Outcome, RefundResult, RefundStatus, Started, Verified, ZalopayConfig};
use crate::domain::money::{Currency, Vnd};
use crate::domain::signature::{hmac_hex, verify_hex};

pub const API_BASE: &str = "https://openapi.zalopay.vn";
const FORM: &str = "application/x-www-form-urlencoded";

/// `yymmdd` of a unix time in Vietnam (GMT+7).
pub fn vn_date(unix_seconds: i64) -> String {
    let offset = FixedOffset::east_opt(7 * 3600);
    match (DateTime::from_timestamp(unix_seconds, 0), offset) {
        (Some(t), Some(o)) => t.with_timezone(&o).format("%y%m%d").to_string(),
        _ => "000000".into(),
    }
}

/// `yymmdd_{payment id}` (39 characters for a 32-digit id; ZaloPay allows 40).
pub fn app_trans_id(now: i64, payment_id: &str) -> String {
    format!("{}_{payment_id}", vn_date(now))
}

/// The payment id inside an `app_trans_id`.
pub fn payment_id_of(app_trans_id: &str) -> Option<&str> {
    app_trans_id.split_once('_').map(|(_, id)| id).filter(|id| !id.is_empty())
}

#[expect(clippy::too_many_arguments, reason = "one argument per documented field of the mac string")]
pub fn create_mac(key1: &str, app_id: &str, app_trans_id: &str, app_user: &str, amount: i64, app_time: i64, embed_data: &str, item: &str) -> String {
    hmac_hex(key1.as_bytes(), format!("{app_id}|{app_trans_id}|{app_user}|{amount}|{app_time}|{embed_data}|{item}").as_bytes())
}

/// `POST /v2/create`. `embed_data.redirecturl` is where ZaloPay sends the shopper back.
pub fn create(c: &ZalopayConfig, a: &Attempt) -> (Outbound, String) {
    let trans_id = app_trans_id(a.now, a.payment_id);
    let app_time = a.now * 1000;
    let app_user = "vestify";
    let embed = json!({"redirecturl": a.return_url, "payment_id": a.payment_id}).to_string();
    let item = "[]";
    let mac = create_mac(&c.key1, &c.app_id, &trans_id, app_user, a.amount.minor(), app_time, &embed, item);
    let expire = (a.expires_at - a.now).clamp(300, 2_592_000);
    let pairs: Vec<(String, String)> = [
        ("app_id", c.app_id.clone()),
        ("app_user", app_user.to_string()),
        ("app_trans_id", trans_id.clone()),
        ("app_time", app_time.to_string()),
        ("expire_duration_seconds", expire.to_string()),
        ("amount", a.amount.minor().to_string()),
        ("item", item.to_string()),
        ("description", format!("Vestify - Thanh toán đơn hàng #{}", a.order_number)),
        ("embed_data", embed),
        ("bank_code", String::new()),
        ("callback_url", a.notify_url.clone()),
        ("mac", mac),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    (Outbound::post(format!("{}/v2/create", c.api_base), FORM, form_body(&pairs)), trans_id)
}

/// `POST /v2/query` for an order whose callback has not arrived.
pub fn query(c: &ZalopayConfig, app_trans_id: &str) -> Outbound {
    let mac = hmac_hex(c.key1.as_bytes(), format!("{}|{app_trans_id}|{}", c.app_id, c.key1).as_bytes());
    let pairs = vec![("app_id".to_string(), c.app_id.clone()), ("app_trans_id".to_string(), app_trans_id.to_string()), ("mac".to_string(), mac)];
    Outbound::post(format!("{}/v2/query", c.api_base), FORM, form_body(&pairs))
}

/// `m_refund_id`: `yymmdd_appid_xxx` as documented; the refund id makes a retry the same refund.
pub fn refund_id(now: i64, app_id: &str, refund_id: &str) -> String {
    format!("{}_{app_id}_{refund_id}", vn_date(now))
}

/// `POST /v2/refund`.
pub fn refund(c: &ZalopayConfig, zp_trans_id: &str, amount: i64, m_refund_id: &str, description: &str, timestamp_ms: i64) -> Outbound {
    let mac = hmac_hex(c.key1.as_bytes(), format!("{}|{zp_trans_id}|{amount}|{description}|{timestamp_ms}", c.app_id).as_bytes());
    let pairs: Vec<(String, String)> = [
        ("app_id", c.app_id.clone()),
        ("m_refund_id", m_refund_id.to_string()),
        ("zp_trans_id", zp_trans_id.to_string()),
        ("amount", amount.to_string()),
        ("timestamp", timestamp_ms.to_string()),
        ("description", description.to_string()),
        ("mac", mac),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Outbound::post(format!("{}/v2/refund", c.api_base), FORM, form_body(&pairs))
}

/// The callback's envelope.
#[derive(Clone, Debug, Deserialize)]
pub struct Callback {
    pub data: String,
    pub mac: String,
    #[serde(default)]
    pub r#type: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackError {
    Malformed,
    BadMac,
}

/// Checks the callback's mac with key2 over the raw `data` string, then reads `data`.
pub fn verify_callback(key2: &str, body: &str) -> Result<Verified, CallbackError> {
    let cb: Callback = serde_json::from_str(body).map_err(|_| CallbackError::Malformed)?;
    if !verify_hex(key2.as_bytes(), cb.data.as_bytes(), &cb.mac.to_ascii_lowercase()) {
        return Err(CallbackError::BadMac);
    }
    let d: Value = serde_json::from_str(&cb.data).map_err(|_| CallbackError::Malformed)?;
    let (Some(trans), Some(amount), Some(zp)) = (text(&d, "app_trans_id"), int(&d, "amount"), text(&d, "zp_trans_id")) else { return Err(CallbackError::Malformed) };
    let payment_id = payment_id_of(&trans).ok_or(CallbackError::Malformed)?.to_string();
    // ZaloPay calls back only when it has received the money.
    Ok(Verified { event_id: zp.clone(), payment_id, order_id: None, amount, currency: "VND".into(), outcome: Outcome::Paid { charge_id: Some(zp) }, external_id: Some(trans) })
}

/// The callback's answer body.
pub fn callback_reply(return_code: i64, message: &str) -> String {
    json!({"return_code": return_code, "return_message": message}).to_string()
}

fn json_of(body: &str) -> Result<Value, GatewayError> {
    serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))
}

fn refused(v: &Value) -> GatewayError {
    let code = int(v, "sub_return_code").or_else(|| int(v, "return_code")).unwrap_or(0);
    GatewayError::Refused { code: code.to_string(), message: text(v, "sub_return_message").or_else(|| text(v, "return_message")).unwrap_or_default() }
}

pub fn parse_created(body: &str, app_trans_id: &str, amount: Vnd) -> Result<Started, GatewayError> {
    let v = json_of(body)?;
    match (int(&v, "return_code"), text(&v, "order_url")) {
        (Some(1), Some(url)) => Ok(Started { external_id: app_trans_id.to_string(), redirect_url: url, provider_amount: amount.minor(), provider_currency: Currency::Vnd, fx_rate: None }),
        _ => Err(refused(&v)),
    }
}

/// The query answer: 1 paid, 2 failed, 3 not paid yet / processing.
pub fn parse_query(body: &str, app_trans_id: &str) -> Result<Verified, GatewayError> {
    let v = json_of(body)?;
    let payment_id = payment_id_of(app_trans_id).ok_or_else(|| GatewayError::BadResponse("bad app_trans_id".into()))?.to_string();
    let zp = text(&v, "zp_trans_id").unwrap_or_default();
    let code = int(&v, "return_code").ok_or_else(|| GatewayError::BadResponse("no return_code".into()))?;
    let outcome = match code {
        1 => Outcome::Paid { charge_id: Some(zp.clone()) },
        2 => Outcome::Failed { code: int(&v, "sub_return_code").unwrap_or(2).to_string() },
        _ => Outcome::Pending,
    };
    Ok(Verified {
        event_id: if zp.is_empty() || zp == "0" { format!("query:{app_trans_id}:{code}") } else { zp },
        payment_id,
        order_id: None,
        amount: int(&v, "amount").unwrap_or(0),
        currency: "VND".into(),
        outcome,
        external_id: Some(app_trans_id.to_string()),
    })
}

pub fn parse_refund(body: &str) -> Result<RefundResult, GatewayError> {
    let v = json_of(body)?;
    match int(&v, "return_code") {
        Some(1) => Ok(RefundResult { external_id: text(&v, "refund_id"), status: RefundStatus::Succeeded }),
        Some(3) => Ok(RefundResult { external_id: text(&v, "refund_id"), status: RefundStatus::Pending }),
        _ => Err(refused(&v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ZaloPay's sandbox demo app: app_id 2553 with its published key1/key2.
    const KEY1: &str = "PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL";
    const KEY2: &str = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz";

    /// The "Data sample" of https://beta-docs.zalopay.vn/docs/specs/callback-api, byte for byte,
    /// with the mac the page gives for it.
    const DOC_CALLBACK: &str = r#"{"data":"{\"app_id\":2553,\"app_trans_id\":\"200904_2553_1598435687208\",\"app_time\":1599189392817,\"app_user\":\"demo\",\"amount\":10000,\"embed_data\":\"{\\\"merchantinfo\\\":\\\"embeddata123\\\",\\\"promotioninfo\\\":\\\"\\\"}\",\"item\":\"[{\\\"itemid\\\":\\\"knb\\\",\\\"itemname\\\":\\\"kim nguyen bao\\\",\\\"itemprice\\\":198400,\\\"itemquantity\\\":1}]\",\"zp_trans_id\":200904000000389,\"server_time\":1599189413498,\"channel\":38,\"merchant_user_id\":\"7ZMSl3nEg5sOUJzOLSoUFT8xKNQVaLOLXHB--8Eytqc\",\"user_fee_amount\":0,\"discount_amount\":0}","mac":"d8d33baf449b31d7f9b94fa50d7c942c08cd4d83f28fa185557da21acb104f67","type":1}"#;

    #[test]
    fn the_documented_callback_sample_verifies_with_key2() {
        let v = verify_callback(KEY2, DOC_CALLBACK).unwrap();
        assert_eq!((v.event_id.as_str(), v.amount, v.external_id.as_deref()), ("200904000000389", 10_000, Some("200904_2553_1598435687208")));
        assert_eq!(v.payment_id, "2553_1598435687208");
        assert_eq!(v.outcome, Outcome::Paid { charge_id: Some("200904000000389".into()) });
    }

    #[test]
    fn a_tampered_callback_or_the_wrong_key_is_refused() {
        assert_eq!(verify_callback(KEY1, DOC_CALLBACK).unwrap_err(), CallbackError::BadMac, "key1 is not the callback key");
        let tampered = DOC_CALLBACK.replace(r#"\"amount\":10000"#, r#"\"amount\":1000"#);
        assert_eq!(verify_callback(KEY2, &tampered).unwrap_err(), CallbackError::BadMac);
        assert_eq!(verify_callback(KEY2, "{}").unwrap_err(), CallbackError::Malformed);
    }

    #[test]
    fn the_create_mac_covers_the_documented_fields_in_order() {
        // Fields of the same documented sample order; expected mac computed with Node's crypto over
        // "2553|200904_2553_1598435687208|demo|10000|1599189392817|{embed_data}|{item}".
        let mac = create_mac(
            KEY1,
            "2553",
            "200904_2553_1598435687208",
            "demo",
            10_000,
            1_599_189_392_817,
            r#"{"merchantinfo":"embeddata123","promotioninfo":""}"#,
            r#"[{"itemid":"knb","itemname":"kim nguyen bao","itemprice":198400,"itemquantity":1}]"#,
        );
        assert_eq!(mac, "ec18114bc5d53ef452f3e6359dc362f8b00f43b4e2d65ec04f6a8cfed1cdf419");
    }

    #[test]
    fn app_trans_ids_take_the_vietnamese_date() {
        // 2026-11-25T17:30:00Z is already 26 November in Hà Nội.
        assert_eq!(app_trans_id(1_795_627_800, "abc"), "261126_abc");
        // 2026-11-25T16:59:59Z is still the 25th.
        assert_eq!(vn_date(1_795_625_999), "261125");
        assert_eq!(payment_id_of("261126_abc"), Some("abc"));
        assert_eq!(payment_id_of("261126_"), None);
        assert!(app_trans_id(0, &"f".repeat(32)).len() <= 40);
    }

    #[test]
    fn query_answers_map_to_outcomes() {
        assert_eq!(parse_query(r#"{"return_code":1,"zp_trans_id":99,"amount":5000}"#, "261126_p1").unwrap().outcome, Outcome::Paid { charge_id: Some("99".into()) });
        assert_eq!(parse_query(r#"{"return_code":3,"is_processing":true}"#, "261126_p1").unwrap().outcome, Outcome::Pending);
        assert!(matches!(parse_query(r#"{"return_code":2,"sub_return_code":-54}"#, "261126_p1").unwrap().outcome, Outcome::Failed { .. }));
        assert_eq!(callback_reply(1, "success"), r#"{"return_code":1,"return_message":"success"}"#);
    }
}
