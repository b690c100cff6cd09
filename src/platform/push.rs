//! The push, ZNS and webhook transports in the Worker: the push service, Zalo's API and the apps'
//! endpoints reached with the runtime's `fetch` (behind `app::push::Pusher`, `app::zns::ZnsSender`
//! and `app::webhooks::WebhookSender`). I/O only.

use crate::domain::notify::TransportError;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::app::push::Pusher;
use crate::app::webhooks::WebhookSender;
use crate::app::zns::ZnsSender;
use crate::domain::payments::Outbound;
use crate::domain::webhooks::Delivery;
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
        let answer = super::http::exchange(request).await?;
        Ok((answer.status, answer.body))
    }
}

pub struct WorkerWebhooks;

/// How long an endpoint has to answer before the try counts as failed (and is retried).
const WEBHOOK_TIMEOUT_MS: u64 = 10_000;

impl WebhookSender for WorkerWebhooks {
    async fn post(&self, delivery: &Delivery) -> Result<(u16, String), TransportError> {
        use futures::future::{select, Either};
        let headers = Headers::new();
        for (name, value) in &delivery.headers {
            headers.set(name, value).map_err(|e| TransportError::Request(format!("header {name}: {e}")))?;
        }
        let mut init = RequestInit::new();
        // No redirects: a 3xx is an answer (retried), never a hop to an address the guard did not check.
        init.with_method(Method::Post).with_headers(headers).with_redirect(worker::RequestRedirect::Manual);
        init.with_body(Some(wasm_bindgen::JsValue::from_str(&delivery.body)));
        let outgoing = Request::new_with_init(&delivery.url, &init).map_err(|e| TransportError::Request(format!("request: {e}")))?;
        let controller = worker::AbortController::default();
        let signal = controller.signal();
        let send = async move {
            let mut response = Fetch::Request(outgoing).send_with_signal(&signal).await.map_err(|e| TransportError::Unreachable(format!("fetch: {e}")))?;
            let body = response.text().await.unwrap_or_default();
            Ok::<_, TransportError>((response.status_code(), body))
        };
        let timeout = worker::Delay::from(std::time::Duration::from_millis(WEBHOOK_TIMEOUT_MS));
        match select(Box::pin(send), timeout).await {
            Either::Left((answer, _)) => answer,
            Either::Right(((), _)) => {
                controller.abort();
                Err(TransportError::Unreachable(format!("timed out after {} s", WEBHOOK_TIMEOUT_MS / 1000)))
            }
        }
    }
}
