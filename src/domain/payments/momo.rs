//! MoMo AIO v2, `captureWallet` (<https://developers.momo.vn/v3/docs/payment/api/wallet/onetime>).
//!
//! Every request and the IPN carry `signature = HMAC-SHA256(secretKey, raw)` where `raw` is
//! `key=value` pairs joined by `&` in the documented, alphabetical order, values as sent (not
//! URL-encoded). The IPN is answered 204. `resultCode` 0 (and 9000, authorised) means paid.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{int, text, Attempt, GatewayError, MomoConfig, Outbound, Outcome, RefundResult, RefundStatus, Started, Verified};
use crate::domain::money::{Currency, Vnd};
use crate::domain::signature::{hmac_hex, verify_hex};

pub const API_BASE: &str = "https://payment.momo.vn";
pub const REQUEST_TYPE: &str = "captureWallet";

/// `k1=v1&k2=v2…` in the order given (the documented order).
pub fn raw_string(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

pub fn sign(secret_key: &str, pairs: &[(&str, &str)]) -> String {
    hmac_hex(secret_key.as_bytes(), raw_string(pairs).as_bytes())
}

/// The create request's raw signature string (docs: "Initiate payment method").
#[expect(clippy::too_many_arguments, reason = "one argument per documented field of the raw string")]
pub fn create_raw(access_key: &str, amount: &str, extra_data: &str, ipn_url: &str, order_id: &str, order_info: &str, partner_code: &str, redirect_url: &str, request_id: &str, request_type: &str) -> Vec<(&'static str, String)> {
    vec![
        ("accessKey", access_key.to_string()),
        ("amount", amount.to_string()),
        ("extraData", extra_data.to_string()),
        ("ipnUrl", ipn_url.to_string()),
        ("orderId", order_id.to_string()),
        ("orderInfo", order_info.to_string()),
        ("partnerCode", partner_code.to_string()),
        ("redirectUrl", redirect_url.to_string()),
        ("requestId", request_id.to_string()),
        ("requestType", request_type.to_string()),
    ]
}

fn signed(secret_key: &str, pairs: &[(&'static str, String)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sign(secret_key, &borrowed)
}

/// `POST /v2/gateway/api/create`. The payment id is both `orderId` and `requestId` (unique per
/// attempt); MoMo's page expires with the order (`orderExpireTime`, minutes).
pub fn create(c: &MomoConfig, a: &Attempt) -> Outbound {
    let amount = a.amount.minor().to_string();
    let info = format!("Vestify {}", a.order_number);
    let raw = create_raw(&c.access_key, &amount, "", &a.notify_url, a.payment_id, &info, &c.partner_code, &a.return_url, a.payment_id, REQUEST_TYPE);
    let minutes = ((a.expires_at - a.now) / 60).clamp(1, 100);
    let body = json!({
        "partnerCode": c.partner_code,
        "requestId": a.payment_id,
        "amount": a.amount,
        "orderId": a.payment_id,
        "orderInfo": info,
        "redirectUrl": a.return_url,
        "ipnUrl": a.notify_url,
        "requestType": REQUEST_TYPE,
        "extraData": "",
        "lang": if a.locale == "en" { "en" } else { "vi" },
        "orderExpireTime": minutes,
        "signature": signed(&c.secret_key, &raw),
    });
    Outbound::post(format!("{}/v2/gateway/api/create", c.api_base), "application/json; charset=UTF-8", body.to_string())
}

/// `POST /v2/gateway/api/query`: the transaction's status, when the IPN is late.
pub fn query(c: &MomoConfig, order_id: &str, request_id: &str) -> Outbound {
    let raw = [("accessKey", c.access_key.clone()), ("orderId", order_id.to_string()), ("partnerCode", c.partner_code.clone()), ("requestId", request_id.to_string())];
    let body = json!({"partnerCode": c.partner_code, "requestId": request_id, "orderId": order_id, "lang": "vi", "signature": signed(&c.secret_key, &raw)});
    Outbound::post(format!("{}/v2/gateway/api/query", c.api_base), "application/json; charset=UTF-8", body.to_string())
}

/// `POST /v2/gateway/api/refund` for `amount` đồng of transaction `trans_id`; the refund id is the
/// refund's own `orderId` and `requestId`, so a retry is the same refund.
pub fn refund(c: &MomoConfig, trans_id: &str, amount: i64, refund_id: &str, description: &str) -> Outbound {
    let raw = [
        ("accessKey", c.access_key.clone()),
        ("amount", amount.to_string()),
        ("description", description.to_string()),
        ("orderId", refund_id.to_string()),
        ("partnerCode", c.partner_code.clone()),
        ("requestId", refund_id.to_string()),
        ("transId", trans_id.to_string()),
    ];
    let trans: Value = trans_id.parse::<i64>().map_or_else(|_| json!(trans_id), |n| json!(n));
    let body = json!({
        "partnerCode": c.partner_code, "orderId": refund_id, "requestId": refund_id, "amount": amount, "transId": trans,
        "lang": "vi", "description": description, "signature": signed(&c.secret_key, &raw),
    });
    Outbound::post(format!("{}/v2/gateway/api/refund", c.api_base), "application/json; charset=UTF-8", body.to_string())
}

/// The IPN body (<https://developers.momo.vn/v3/docs/payment/api/result-handling/notification>).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ipn {
    pub partner_code: String,
    pub order_id: String,
    pub request_id: String,
    /// Đồng, as MoMo states it (signed, then compared with what it was asked to charge).
    pub amount: i64,
    #[serde(default)]
    pub order_info: String,
    #[serde(default)]
    pub order_type: String,
    pub trans_id: i64,
    pub result_code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub pay_type: String,
    pub response_time: i64,
    #[serde(default)]
    pub extra_data: String,
    pub signature: String,
}

impl Ipn {
    /// The IPN's raw signature string, in the documented order.
    pub fn raw(&self, access_key: &str) -> String {
        let (amount, response_time, result_code, trans_id) = (self.amount.to_string(), self.response_time.to_string(), self.result_code.to_string(), self.trans_id.to_string());
        raw_string(&[
            ("accessKey", access_key),
            ("amount", &amount),
            ("extraData", &self.extra_data),
            ("message", &self.message),
            ("orderId", &self.order_id),
            ("orderInfo", &self.order_info),
            ("orderType", &self.order_type),
            ("partnerCode", &self.partner_code),
            ("payType", &self.pay_type),
            ("requestId", &self.request_id),
            ("responseTime", &response_time),
            ("resultCode", &result_code),
            ("transId", &trans_id),
        ])
    }

    pub fn verify(&self, c: &MomoConfig) -> bool {
        self.partner_code == c.partner_code && verify_hex(c.secret_key.as_bytes(), self.raw(&c.access_key).as_bytes(), &self.signature)
    }

    pub fn verified(&self) -> Verified {
        Verified {
            event_id: format!("{}:{}:{}", self.order_id, self.trans_id, self.result_code),
            payment_id: self.order_id.clone(),
            order_id: None,
            amount: self.amount,
            currency: "VND".into(),
            outcome: outcome(self.result_code, self.trans_id),
            external_id: Some(self.order_id.clone()),
        }
    }
}

/// `resultCode` → outcome (<https://developers.momo.vn/v3/docs/payment/api/result-handling/resultcode>).
pub fn outcome(result_code: i64, trans_id: i64) -> Outcome {
    match result_code {
        0 | 9000 => Outcome::Paid { charge_id: Some(trans_id.to_string()) },
        // Initiated and waiting for the shopper; processing.
        1000 | 7000 | 7002 => Outcome::Pending,
        1006 => Outcome::Cancelled,
        code => Outcome::Failed { code: code.to_string() },
    }
}

/// What a shopper is told about a failed MoMo payment, by `resultCode`.
pub fn failure_message(code: &str, en: bool) -> &'static str {
    let (vi, en_text) = match code {
        "1001" => ("Tài khoản MoMo không đủ số dư để thanh toán.", "Your MoMo balance is not enough for this payment."),
        "1002" => ("Giao dịch bị nhà phát hành từ chối.", "The payment was refused by the issuer."),
        "1003" => ("Giao dịch đã bị huỷ.", "The payment was cancelled."),
        "1004" => ("Số tiền vượt quá hạn mức thanh toán của bạn.", "The amount exceeds your payment limit."),
        "1005" => ("Liên kết hoặc mã QR thanh toán đã hết hạn.", "The payment link or QR code has expired."),
        "1006" => ("Bạn đã từ chối xác nhận thanh toán.", "You declined to confirm the payment."),
        "1007" => ("Tài khoản MoMo đang bị tạm khoá hoặc chưa kích hoạt.", "Your MoMo account is suspended or not activated."),
        "1026" => ("Giao dịch bị hạn chế theo chương trình khuyến mãi.", "The payment is restricted by a promotion's rules."),
        "4001" => ("Tài khoản MoMo đang bị hạn chế.", "Your MoMo account is restricted."),
        "4100" => ("Bạn chưa đăng nhập MoMo thành công.", "You did not sign in to MoMo."),
        _ => ("MoMo không thực hiện được giao dịch. Bạn có thể thử lại hoặc chọn cách thanh toán khác.", "MoMo could not complete the payment. You can try again or choose another method."),
    };
    if en {
        en_text
    } else {
        vi
    }
}

fn json_of(body: &str) -> Result<Value, GatewayError> {
    serde_json::from_str(body).map_err(|_| GatewayError::BadResponse("not JSON".into()))
}

fn refused(v: &Value) -> GatewayError {
    GatewayError::Refused { code: int(v, "resultCode").unwrap_or(-1).to_string(), message: text(v, "message").unwrap_or_default() }
}

pub fn parse_created(body: &str, amount: Vnd) -> Result<Started, GatewayError> {
    let v = json_of(body)?;
    match (int(&v, "resultCode"), text(&v, "payUrl"), text(&v, "orderId")) {
        (Some(0), Some(url), Some(order_id)) => Ok(Started { external_id: order_id, redirect_url: url, provider_amount: amount.minor(), provider_currency: Currency::Vnd, fx_rate: None }),
        _ => Err(refused(&v)),
    }
}

/// The query answer as a verified status (its own `signature` is not part of the documented
/// contract for every version, so the answer is trusted as the reply to a signed request over TLS).
pub fn parse_query(body: &str) -> Result<Verified, GatewayError> {
    let v = json_of(body)?;
    let (Some(order_id), Some(code)) = (text(&v, "orderId"), int(&v, "resultCode")) else { return Err(GatewayError::BadResponse("no orderId or resultCode".into())) };
    let trans_id = int(&v, "transId").unwrap_or(0);
    Ok(Verified {
        event_id: format!("{order_id}:{trans_id}:{code}"),
        payment_id: order_id.clone(),
        order_id: None,
        amount: int(&v, "amount").unwrap_or(0),
        currency: "VND".into(),
        outcome: outcome(code, trans_id),
        external_id: Some(order_id),
    })
}

pub fn parse_refund(body: &str) -> Result<RefundResult, GatewayError> {
    let v = json_of(body)?;
    match int(&v, "resultCode") {
        Some(0) => Ok(RefundResult { external_id: text(&v, "transId"), status: RefundStatus::Succeeded }),
        Some(1000 | 7000 | 7002) => Ok(RefundResult { external_id: text(&v, "transId"), status: RefundStatus::Pending }),
        _ => Err(refused(&v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test credentials of MoMo's public sample (github.com/momo-wallet/payment, nodejs/MoMo.js):
    // partnerCode MOMO, accessKey F8BBA842ECF85, secretKey K951B6PE1waDMi640xX08PD3vg6EkVlz, with
    // the sample's orderInfo, URLs and amount. The raw-string order is the v2 one documented at
    // https://developers.momo.vn/v3/docs/payment/api/wallet/onetime; the expected signature was
    // computed with Node's crypto from that documented string, independently of this code.
    const SECRET: &str = "K951B6PE1waDMi640xX08PD3vg6EkVlz";

    #[test]
    fn the_create_signature_matches_the_documented_raw_string() {
        let raw = create_raw("F8BBA842ECF85", "50000", "", "https://callback.url/notify", "MOMO1540456472575", "pay with MoMo", "MOMO", "https://momo.vn/return", "MOMO1540456472575", "captureWallet");
        let pairs: Vec<(&str, &str)> = raw.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            raw_string(&pairs),
            "accessKey=F8BBA842ECF85&amount=50000&extraData=&ipnUrl=https://callback.url/notify&orderId=MOMO1540456472575&orderInfo=pay with MoMo&partnerCode=MOMO&redirectUrl=https://momo.vn/return&requestId=MOMO1540456472575&requestType=captureWallet"
        );
        assert_eq!(sign(SECRET, &pairs), "66ce74174353c8e6f7a2e998c36e4f505627f2f00f21ca3b5d0eb05e4e21d8fe");
    }

    fn config() -> MomoConfig {
        MomoConfig { api_base: "http://fake".into(), partner_code: "MOMO".into(), access_key: "F8BBA842ECF85".into(), secret_key: SECRET.into() }
    }

    fn ipn(result_code: i64) -> Ipn {
        let mut n = Ipn {
            partner_code: "MOMO".into(),
            order_id: "p1".into(),
            request_id: "p1".into(),
            amount: 450_000,
            order_info: "Vestify VS-000101".into(),
            order_type: "momo_wallet".into(),
            trans_id: 4_088_878_653,
            result_code,
            message: "Successful.".into(),
            pay_type: "qr".into(),
            response_time: 1_721_720_663_942,
            extra_data: String::new(),
            signature: String::new(),
        };
        n.signature = hmac_hex(SECRET.as_bytes(), n.raw("F8BBA842ECF85").as_bytes());
        n
    }

    #[test]
    fn the_ipn_raw_string_is_in_the_documented_order() {
        assert_eq!(
            ipn(0).raw("AK"),
            "accessKey=AK&amount=450000&extraData=&message=Successful.&orderId=p1&orderInfo=Vestify VS-000101&orderType=momo_wallet&partnerCode=MOMO&payType=qr&requestId=p1&responseTime=1721720663942&resultCode=0&transId=4088878653"
        );
    }

    #[test]
    fn a_signed_ipn_verifies_and_tampering_or_another_key_does_not() {
        assert!(ipn(0).verify(&config()));
        let mut tampered = ipn(0);
        tampered.amount = 1_000;
        assert!(!tampered.verify(&config()));
        let mut other_partner = ipn(0);
        other_partner.partner_code = "OTHER".into();
        assert!(!other_partner.verify(&config()));
        let wrong_key = MomoConfig { secret_key: "another-secret".into(), ..config() };
        assert!(!ipn(0).verify(&wrong_key));
    }

    #[test]
    fn result_codes_map_to_outcomes_and_messages() {
        assert_eq!(ipn(0).verified().outcome, Outcome::Paid { charge_id: Some("4088878653".into()) });
        assert_eq!(outcome(9000, 7), Outcome::Paid { charge_id: Some("7".into()) });
        assert_eq!(outcome(1000, 0), Outcome::Pending);
        assert_eq!(outcome(1006, 0), Outcome::Cancelled);
        assert_eq!(outcome(1001, 0), Outcome::Failed { code: "1001".into() });
        assert!(failure_message("1001", false).contains("số dư"));
        assert!(failure_message("1001", true).contains("balance"));
        assert!(failure_message("49", true).contains("another method"));
    }

    #[test]
    fn requests_are_signed_over_their_documented_strings() {
        let o = query(&config(), "p1", "p1");
        let v: Value = serde_json::from_str(&o.body.unwrap_or_default()).unwrap();
        let expected = sign(SECRET, &[("accessKey", "F8BBA842ECF85"), ("orderId", "p1"), ("partnerCode", "MOMO"), ("requestId", "p1")]);
        assert_eq!(v["signature"], expected);
        let r = refund(&config(), "4088878653", 150_000, "r1", "Refund VS-000101");
        let v: Value = serde_json::from_str(&r.body.unwrap_or_default()).unwrap();
        let expected = sign(SECRET, &[("accessKey", "F8BBA842ECF85"), ("amount", "150000"), ("description", "Refund VS-000101"), ("orderId", "r1"), ("partnerCode", "MOMO"), ("requestId", "r1"), ("transId", "4088878653")]);
        assert_eq!(v["signature"], expected);
        assert_eq!(v["transId"], 4_088_878_653_i64);
    }
}
