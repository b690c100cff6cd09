//! `GET /media/{sha256}.{ext}`: uploaded images from KV. The name is the hash of the bytes, so the
//! answer never changes: a year of immutable caching, the hash as the ETag. The type is read from
//! the stored bytes again and must match the extension asked for. Every answer carries
//! `nosniff` and a sandboxing CSP, so an SVG opened on its own is a document that cannot run
//! script (an uploaded SVG was already checked against an allow-list and written anew:
//! `domain::svg`).

use worker::{Env, Headers, ResponseBuilder, Response};

use super::Incoming;
use crate::domain::media::{self, parse_path, sniff};
use crate::platform::KV;

fn empty(status: u16, headers: Headers) -> Response {
    ResponseBuilder::new().with_status(status).with_headers(headers).fixed(Vec::new())
}

pub async fn serve(incoming: &Incoming, env: &Env) -> Response {
    let headers = Headers::new();
    let _ = headers.set("x-content-type-options", "nosniff");
    let _ = headers.set("content-security-policy", media::CSP);
    let Some((hash, kind)) = parse_path(&incoming.path) else {
        let _ = headers.set("cache-control", "no-store");
        return empty(404, headers);
    };
    let etag = format!("\"{hash}\"");
    let _ = headers.set("cache-control", media::CACHE_CONTROL);
    let _ = headers.set("etag", &etag);
    if incoming.if_none_match.as_deref().is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")) {
        return empty(304, headers);
    }
    let bytes = match env.kv(KV) {
        Ok(kv) => kv.get(&media::key(&hash)).bytes().await.ok().flatten(),
        Err(_) => None,
    };
    let Some(bytes) = bytes.filter(|b| sniff(b) == Some(kind)) else {
        let _ = headers.set("cache-control", "no-store");
        let _ = headers.delete("etag");
        return empty(404, headers);
    };
    let _ = headers.set("content-type", kind.content_type());
    if kind == media::Kind::Svg {
        // Opened directly, show it inline but under the sandbox above; never as a page of the shop.
        let _ = headers.set("content-disposition", &format!("inline; filename=\"{hash}.svg\""));
    }
    ResponseBuilder::new().with_status(200).with_headers(headers).fixed(bytes)
}
