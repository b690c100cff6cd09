//! `GET /share/{channel}/{slug}` (and under `/en`): counts one share of an active product on that
//! channel (`app::sharing::record_share`), then sends the shopper to the network's share page with
//! the product's URL and UTM parameters (`domain::sharing`). The copy-link and share-sheet buttons,
//! which share in the page, call it with `fetch` and get `204`. The target is built here from the
//! channel and the product's own URL, never taken from the request: no open redirect.

use worker::{Env, Method, Request, Response, ResponseBuilder};

use super::http::{not_served, redirect, serve_page};
use super::Incoming;
use crate::app::sharing::record_share;
use crate::domain::error::AppError;
use crate::domain::sharing::{self, Channel};
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::views::{paths, seo};

pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    if !matches!(incoming.method, Method::Get) {
        incoming.name("share.unknown");
        return not_served(incoming, Some("GET"));
    }
    let segments = incoming.segments();
    let (channel, slug) = match segments.as_slice() {
        ["share", channel, slug] => (Channel::parse(channel), slug.to_string()),
        _ => (None, String::new()),
    };
    serve_page(req, incoming, env, "share.product", async |p| {
        let channel = channel.ok_or(AppError::NotFound)?;
        let Some(shared) = record_share(&D1::open(p.env)?, &slug, channel, now()).await? else {
            return Err(AppError::NotFound);
        };
        let page = sharing::shared_url(&p.ctx.absolute(&p.ctx.href(&paths::product(&slug))), channel);
        // The uploaded photo's crop (served from /media/), else the generated image, else the shop's.
        let image = match shared.social_image {
            Some(crop) => p.ctx.absolute(&crop),
            None => seo::social_image(&p.ctx, Some(&sharing::product_image(&slug))),
        };
        let response = match channel.target(&page, &image) {
            Some(target) => redirect(&target, Vec::new()),
            None => ResponseBuilder::new().with_status(204).empty(),
        };
        let _ = response.headers().set("x-robots-tag", "noindex, nofollow");
        let _ = response.headers().set("cache-control", "no-store");
        Ok(response)
    })
    .await
}
