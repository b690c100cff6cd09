//! Outbound HTTP through the runtime's `fetch`: sends a `domain::payments::Outbound` and returns
//! the status and body (to the payment providers, and for the outbox's Resend, ZNS and Conversions
//! API transports). Nothing here knows any provider.

use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::domain::error::AppError;
use crate::domain::notify::TransportError;
use crate::domain::payments::Outbound;

pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends `o`; a failure before an answer is an internal error (the payment providers' calls).
pub async fn send(o: &Outbound) -> Result<Answer, AppError> {
    exchange(o).await.map_err(|e| AppError::internal(&format!("outbound {}", o.url), e))
}

/// Sends `o` for the outbox's passes: the answer, or why none came as they judge it — a request
/// the runtime will not make (a header, the URL) apart from no answer (`TransportError`).
pub async fn exchange(o: &Outbound) -> Result<Answer, TransportError> {
    let headers = Headers::new();
    for (name, value) in &o.headers {
        headers.set(name, value).map_err(|e| TransportError::Request(format!("header {name}: {e}")))?;
    }
    let mut init = RequestInit::new();
    let method = match o.method {
        "GET" => Method::Get,
        "DELETE" => Method::Delete,
        _ => Method::Post,
    };
    init.with_method(method).with_headers(headers);
    if let Some(body) = &o.body {
        init.with_body(Some(JsValue::from_str(body)));
    }
    let request = Request::new_with_init(&o.url, &init).map_err(|e| TransportError::Request(format!("request: {e}")))?;
    let mut response = Fetch::Request(request).send().await.map_err(|e| TransportError::Unreachable(format!("fetch: {e}")))?;
    let body = response.text().await.map_err(|e| TransportError::Unreachable(format!("body: {e}")))?;
    Ok(Answer { status: response.status_code(), body })
}
