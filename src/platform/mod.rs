//! Worker adapters (wasm32 only): the fetch entry point, D1, the edge cache and static assets.
//! Thin on purpose: they move bytes between the runtime and the pure core.

pub mod analytics;
pub mod accounts;
pub mod cart_do;
pub mod config;
pub mod d1;
pub mod edge_cache;
pub mod gateways;
pub mod http;
pub mod invoice;
pub mod live_stock;
pub mod mail;
pub mod push;
pub mod memo;
pub mod catalog_store;
pub mod random;
pub mod recs;
pub mod rate_limit_do;
pub mod security;
pub mod social;
pub mod stream;
pub mod webcrypto;
pub mod sweep;

use worker::{event, Context, Env, Request, Response, Result};

/// Binding names, shared with `wrangler.toml`.
pub const DB: &str = "DB";
pub const KV: &str = "KV";
pub const ASSETS: &str = "ASSETS";
pub const CART: &str = "CART";
pub const RATE_LIMITER: &str = "RATE_LIMITER";

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(crate::routes::handle(req, env, ctx).await)
}
