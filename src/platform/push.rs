//! The push and ZNS transports in the Worker: the push service and Zalo's API reached with the
//! runtime's `fetch` (behind `app::push::Pusher` and `app::zns::ZnsSender`). I/O only.

use crate::domain::notify::TransportError;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::app::push::Pusher;
use crate::app::zns::ZnsSender;
use crate::domain::payments::Outbound;
use crate::domain::webpush::PushRequest;

pub struct WorkerPusher;

impl Pusher for WorkerPusher {
    async fn push(&self, request: &PushRequest) -> Result<(u16, Option<String>, String), TransportError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(|e| TransportError::Request(format!("header {name}: {e}")))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers);
        // A binary body: `fetch` sets its Content-Length.
        init.with_body(Some(js_sys::Uint8Array::from(request.body.as_slice()).into()));
        let outgoing = Request::new_with_init(&request.url, &init).map_err(|e| TransportError::Request(format!("request: {e}")))?;
        let mut response = Fetch::Request(outgoing).send().await.map_err(|e| TransportError::Unreachable(format!("fetch: {e}")))?;
        let location = response.headers().get("location").ok().flatten();
        let body = response.text().await.unwrap_or_default();
        Ok((response.status_code(), location, body))
    }

    fn fresh(&self) -> Option<([u8; 32], [u8; 16])> {
        let bytes = super::random::bytes(48)?;
        Some((bytes[..32].try_into().ok()?, bytes[32..].try_into().ok()?))
    }
}

pub struct WorkerZns;

impl ZnsSender for WorkerZns {
    async fn send(&self, request: &Outbound) -> Result<(u16, String), TransportError> {
        // `http::send` fails before an answer only when the runtime's fetch does (or refuses a header).
        let answer = super::http::send(request).await.map_err(|e| TransportError::Unreachable(e.to_string()))?;
        Ok((answer.status, answer.body))
    }
}
