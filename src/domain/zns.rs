//! Zalo Notification Service (ZNS), pure: order messages to a phone-only buyer as a template
//! message of the shop's Zalo Official Account — Vietnam's usual replacement for SMS order updates.
//! The request (`POST {base}/message/template`, the OA's access token in the `access_token`
//! header, `{phone, template_id, template_data, tracking_id}`), its answer (`{"error": 0,
//! "data": {"msg_id": …}}`), the phone in ZNS's form (`84…`), and the configuration.
//! Zalo's documentation: <https://developers.zalo.me/docs/zalo-notification-service/gui-tin-zns/gui-zns>.

use super::notify::SendError;
use super::payments::Outbound;

pub const DEFAULT_ZNS_API_BASE: &str = "https://business.openapi.zalo.me";
/// Zalo's OAuth server, where an OA access token is refreshed.
pub const DEFAULT_ZNS_OAUTH_BASE: &str = "https://oauth.zaloapp.com";

/// The ZNS settings (`ZNS_*`): delivery is off unless the access token and the template are set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZnsConfig {
    /// `ZNS_API_BASE` (a local fake in tests).
    pub base: String,
    /// `ZNS_ACCESS_TOKEN` (secret): the Official Account's access token, issued to the shop's Zalo
    /// app (app id and secret) for the OA.
    pub access_token: String,
    /// `ZNS_TEMPLATE_ID`: the approved order-update template, with the parameters `order_number`,
    /// `customer_name`, `status` and `order_link`.
    pub template_id: String,
    /// `ZNS_MODE=development`: Zalo delivers only to the OA's and the app's administrators.
    pub development: bool,
    /// `ZNS_ALERT_TEMPLATE_ID`: the approved alert template (back in stock, price drop), with the
    /// parameters `product_name`, `status` and `product_link`; without it no signup by phone is
    /// taken.
    pub alert_template_id: Option<String>,
    /// The OA token's refresh (`ZNS_APP_ID`, `ZNS_APP_SECRET` secret, `ZNS_REFRESH_TOKEN` secret:
    /// the first refresh token, `ZNS_OAUTH_BASE`); without it the access token is used as set.
    pub refresh: Option<RefreshConfig>,
}

/// What refreshing the OA's access token needs. Each refresh token is single-use: the newest is
/// kept in D1 (`zns_tokens`, `app::zns::access_token`), `first_token` only seeds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshConfig {
    pub oauth_base: String,
    pub app_id: String,
    pub app_secret: String,
    pub first_token: String,
}

impl ZnsConfig {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<ZnsConfig> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let refresh = match (get("ZNS_APP_ID"), get("ZNS_APP_SECRET"), get("ZNS_REFRESH_TOKEN")) {
            (Some(app_id), Some(app_secret), Some(first_token)) => {
                Some(RefreshConfig { oauth_base: get("ZNS_OAUTH_BASE").unwrap_or_else(|| DEFAULT_ZNS_OAUTH_BASE.to_string()), app_id, app_secret, first_token })
            }
            _ => None,
        };
        // A refreshable token needs no access token to start from: the first pass refreshes.
        let access_token = match (get("ZNS_ACCESS_TOKEN"), &refresh) {
            (Some(token), _) => token,
            (None, Some(_)) => String::new(),
            (None, None) => return None,
        };
        Some(ZnsConfig {
            base: get("ZNS_API_BASE").unwrap_or_else(|| DEFAULT_ZNS_API_BASE.to_string()),
            access_token,
            template_id: get("ZNS_TEMPLATE_ID")?,
            development: get("ZNS_MODE").is_some_and(|m| m.eq_ignore_ascii_case("development")),
            alert_template_id: get("ZNS_ALERT_TEMPLATE_ID"),
            refresh,
        })
    }
}

/// A stored phone (`+84912345678`) in ZNS's form (`84912345678`); `None` for a number outside
/// Vietnam (ZNS reaches Vietnamese Zalo accounts only).
pub fn zns_phone(stored: &str) -> Option<String> {
    let digits = stored.trim().strip_prefix("+84")?;
    (digits.len() >= 9 && digits.len() <= 10 && digits.chars().all(|c| c.is_ascii_digit())).then(|| format!("84{digits}"))
}

/// The values of the order template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderTemplate {
    pub order_number: String,
    pub customer_name: String,
    pub status: String,
    pub order_link: String,
}

/// The request sending `values` to `phone` (ZNS form); `tracking_id` is the outbox row's key, so a
/// delivery report can be matched to it.
pub fn request(config: &ZnsConfig, phone: &str, values: &OrderTemplate, tracking_id: &str) -> Outbound {
    let mut body = serde_json::json!({
        "phone": phone,
        "template_id": config.template_id,
        "template_data": {
            "order_number": values.order_number,
            // ZNS limits a parameter's length (30 characters for a name).
            "customer_name": values.customer_name.chars().take(30).collect::<String>(),
            "status": values.status,
            "order_link": values.order_link,
        },
        "tracking_id": tracking_id.chars().take(48).collect::<String>(),
    });
    if config.development {
        body["mode"] = "development".into();
    }
    Outbound::post(format!("{}/message/template", config.base.trim_end_matches('/')), "application/json", body.to_string()).header("access_token", config.access_token.clone())
}

/// The values of the alert template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertTemplate {
    pub product_name: String,
    /// "Đã có hàng trở lại", "Sản phẩm bạn theo dõi đã giảm giá".
    pub status: String,
    pub product_link: String,
}

/// The request sending an alert to `phone` with the alert template `template_id`.
pub fn alert_request(config: &ZnsConfig, template_id: &str, phone: &str, values: &AlertTemplate, tracking_id: &str) -> Outbound {
    let mut body = serde_json::json!({
        "phone": phone,
        "template_id": template_id,
        "template_data": {
            "product_name": values.product_name.chars().take(100).collect::<String>(),
            "status": values.status,
            "product_link": values.product_link,
        },
        "tracking_id": tracking_id.chars().take(48).collect::<String>(),
    });
    if config.development {
        body["mode"] = "development".into();
    }
    Outbound::post(format!("{}/message/template", config.base.trim_end_matches('/')), "application/json", body.to_string()).header("access_token", config.access_token.clone())
}

/// A token refreshed at least this long before it expires (a pass never sends with one about to lapse).
pub const REFRESH_MARGIN_SECONDS: i64 = 600;

/// Zalo's refresh of an OA access token: `POST {oauth}/v4/oa/access_token`, form
/// `refresh_token`, `app_id`, `grant_type=refresh_token`, the app's secret in the `secret_key`
/// header. <https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new>
pub fn refresh_request(refresh: &RefreshConfig, refresh_token: &str) -> Outbound {
    let body = super::payments::form_body(&[
        ("refresh_token".to_string(), refresh_token.to_string()),
        ("app_id".to_string(), refresh.app_id.clone()),
        ("grant_type".to_string(), "refresh_token".to_string()),
    ]);
    Outbound::post(format!("{}/v4/oa/access_token", refresh.oauth_base.trim_end_matches('/')), "application/x-www-form-urlencoded", body).header("secret_key", refresh.app_secret.clone())
}

/// A refreshed token pair and when the access token expires (unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refreshed {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: i64,
}

/// Zalo's answer to a refresh: `{"access_token", "refresh_token", "expires_in"}` (`expires_in` in
/// seconds, a string in Zalo's answers, a number accepted too); an `error` otherwise.
pub fn refresh_answer(status: u16, body: &str, now: i64) -> Result<Refreshed, SendError> {
    if !(200..300).contains(&status) {
        return Err(SendError::from_status(status, body));
    }
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| SendError::Retry(format!("token refresh: HTTP {status}: not JSON")))?;
    let text = |k: &str| value.get(k).and_then(serde_json::Value::as_str).map(str::to_string).filter(|v| !v.is_empty());
    let expires_in = value.get("expires_in").and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())));
    match (text("access_token"), text("refresh_token"), expires_in) {
        (Some(access_token), Some(refresh_token), Some(expires_in)) if expires_in > 0 => Ok(Refreshed { access_token, refresh_token, expires_at: now + expires_in }),
        _ => {
            let error = value.get("error").and_then(serde_json::Value::as_i64).unwrap_or(0);
            let text = value.get("error_description").or_else(|| value.get("message")).and_then(serde_json::Value::as_str).unwrap_or_default();
            Err(SendError::Retry(format!("token refresh: Zalo error {error}: {text}")))
        }
    }
}

/// Zalo's answer: the message id when `error` is 0. A non-zero `error` is the message's fault
/// (an unknown phone, a phone without Zalo, bad template data) and is not retried, except an
/// expired or invalid access token and a quota or rate limit, which are the shop's to fix or
/// wait out.
pub fn answer(status: u16, body: &str) -> Result<String, SendError> {
    if !(200..300).contains(&status) {
        return Err(SendError::from_status(status, body));
    }
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| SendError::Retry(format!("HTTP {status}: not JSON")))?;
    let error = value.get("error").and_then(serde_json::Value::as_i64).unwrap_or(-1);
    let message = value.get("message").and_then(serde_json::Value::as_str).unwrap_or_default();
    if error == 0 {
        return value
            .pointer("/data/msg_id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| SendError::Retry("ZNS answered without a msg_id".into()));
    }
    let text: String = format!("ZNS error {error}: {message}").chars().take(300).collect();
    let lower = message.to_ascii_lowercase();
    if lower.contains("access token") || lower.contains("quota") || lower.contains("limit") {
        Err(SendError::Retry(text))
    } else {
        Err(SendError::Permanent(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ZnsConfig {
        ZnsConfig::from_lookup(|n| match n {
            "ZNS_ACCESS_TOKEN" => Some("tok".into()),
            "ZNS_TEMPLATE_ID" => Some("123456".into()),
            "ZNS_API_BASE" => Some("http://127.0.0.1:9/".into()),
            _ => None,
        })
        .unwrap()
    }

    #[test]
    fn zns_is_off_without_its_token_or_template() {
        assert!(ZnsConfig::from_lookup(|n| (n == "ZNS_ACCESS_TOKEN").then(|| "t".into())).is_none());
        assert!(ZnsConfig::from_lookup(|n| (n == "ZNS_TEMPLATE_ID").then(|| "1".into())).is_none());
        assert_eq!(ZnsConfig::from_lookup(|n| matches!(n, "ZNS_ACCESS_TOKEN" | "ZNS_TEMPLATE_ID").then(|| "1".into())).unwrap().base, DEFAULT_ZNS_API_BASE);
    }

    #[test]
    fn a_refresh_posts_the_single_use_token_and_reads_the_new_pair() {
        let config = ZnsConfig::from_lookup(|n| match n {
            "ZNS_TEMPLATE_ID" => Some("1".into()),
            "ZNS_APP_ID" => Some("app1".into()),
            "ZNS_APP_SECRET" => Some("s3cret".into()),
            "ZNS_REFRESH_TOKEN" => Some("rt0".into()),
            _ => None,
        })
        .expect("refreshable without an access token");
        let refresh = config.refresh.clone().unwrap();
        assert_eq!((refresh.oauth_base.as_str(), config.access_token.as_str()), (DEFAULT_ZNS_OAUTH_BASE, ""));
        let r = refresh_request(&refresh, "rt1");
        assert_eq!(r.url, "https://oauth.zaloapp.com/v4/oa/access_token");
        assert!(r.headers.contains(&("secret_key".into(), "s3cret".into())));
        assert!(r.headers.contains(&("content-type".into(), "application/x-www-form-urlencoded".into())));
        assert_eq!(r.body.as_deref(), Some("refresh_token=rt1&app_id=app1&grant_type=refresh_token"));
        assert_eq!(
            refresh_answer(200, r#"{"access_token":"at2","refresh_token":"rt2","expires_in":"90000"}"#, 100),
            Ok(Refreshed { access_token: "at2".into(), refresh_token: "rt2".into(), expires_at: 90_100 })
        );
        assert!(matches!(refresh_answer(200, r#"{"error":-14014,"error_description":"Invalid refresh token"}"#, 0), Err(SendError::Retry(m)) if m.contains("-14014")));
        assert!(matches!(refresh_answer(503, "", 0), Err(SendError::Retry(_))));
        assert!(ZnsConfig::from_lookup(|n| matches!(n, "ZNS_TEMPLATE_ID" | "ZNS_APP_ID").then(|| "1".into())).is_none(), "neither a token nor a refresh");
    }

    #[test]
    fn only_vietnamese_numbers_are_written_for_zns() {
        assert_eq!(zns_phone("+84912345678").as_deref(), Some("84912345678"));
        assert_eq!(zns_phone("+6591234567"), None);
        assert_eq!(zns_phone("0912345678"), None);
    }

    #[test]
    fn the_request_carries_the_token_the_template_and_its_values() {
        let values = OrderTemplate { order_number: "VS-000123".into(), customer_name: "Nguyễn Văn An".into(), status: "Đã nhận thanh toán".into(), order_link: "https://vestify.vn/orders/x?t=y".into() };
        let r = request(&config(), "84912345678", &values, "order_paid:x/zns/7");
        assert_eq!(r.url, "http://127.0.0.1:9/message/template");
        assert!(r.headers.contains(&("access_token".into(), "tok".into())));
        let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["phone"], "84912345678");
        assert_eq!(body["template_id"], "123456");
        assert_eq!(body["template_data"]["order_number"], "VS-000123");
        assert_eq!(body["tracking_id"], "order_paid:x/zns/7");
        assert!(body.get("mode").is_none());
    }

    #[test]
    fn zalos_answer_is_a_message_id_or_a_classified_error() {
        assert_eq!(answer(200, r#"{"error":0,"message":"Success","data":{"msg_id":"m1"}}"#), Ok("m1".into()));
        assert!(matches!(answer(200, r#"{"error":-108,"message":"Phone number is invalid"}"#), Err(SendError::Permanent(_))));
        assert!(matches!(answer(200, r#"{"error":-124,"message":"Access token is invalid"}"#), Err(SendError::Retry(_))));
        assert!(matches!(answer(502, "bad gateway"), Err(SendError::Retry(_))));
    }
}
