//! The floor of the storefront benchmark: a Worker that answers every request with `ok`, nothing
//! read, parsed or allocated beyond what workers-rs itself does. Its rate, served like the shop,
//! is what no page of the shop can exceed on the same machine.
use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("ok")
}
