//! Vestify: an online shop for vests, one Rust Worker at the edge.
//!
//! `domain`, `app` and `views` are the pure core and compile on the host; `platform` and `routes` are
//! the thin Worker adapters and exist only for `wasm32`. See `docs/ARCHITECTURE.md`.

pub mod app;
pub mod assets;
pub mod domain;
pub mod views;

#[cfg(target_arch = "wasm32")]
mod platform;
#[cfg(target_arch = "wasm32")]
mod routes;

#[cfg(not(target_arch = "wasm32"))]
pub mod seed;
