//! Outbound HTTP to payment providers through the runtime's `fetch`: sends a `domain::payments::
//! Outbound` and returns the status and body. Nothing here knows any provider.

use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::domain::error::AppError;
use crate::domain::payments::Outbound;

pub struct Answer {
    pub status: u16,
    pub body: String,
}

pub async fn send(o: &Outbound) -> Result<Answer, AppError> {
    let headers = Headers::new();
    for (name, value) in &o.headers {
        headers.set(name, value).map_err(|e| AppError::internal("outbound header", e))?;
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
    let request = Request::new_with_init(&o.url, &init).map_err(|e| AppError::internal("outbound request", e))?;
    let mut response = Fetch::Request(request).send().await.map_err(|e| AppError::internal(&format!("fetch {}", o.url), e))?;
    let body = response.text().await.map_err(|e| AppError::internal("outbound body", e))?;
    Ok(Answer { status: response.status_code(), body })
}
