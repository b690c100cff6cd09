//! The cart Durable Object: one per cart, named by the cart id, a thin shell around `app::cart`.
//! It keeps the cart (`domain::cart::Cart`) in its storage; for each call it loads the cart,
//! answers with `app::cart::serve` over D1, saves the cart when it changed and sets its alarm to the
//! cart's next deadline. The alarm runs `app::cart::alarm` the same way.
//!
//! The Worker talks to it over JSON (`app::cart::CartCall` in, `CartReply` out; a failure on our
//! side is a 500 with no reply).
//!
//! The runtime delivers a new request while an earlier one awaits D1, so every request and the
//! alarm take the object's lock first: each reads, changes and saves the cart without another
//! interleaving (two quick adds would otherwise both start from the same lines, and one line and
//! its hold would be lost).

use futures::lock::Mutex;
use serde::Serialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::config::{now, Config};
use super::d1::D1;
use super::random;
use crate::app::cart::{self, CartCall, CartError, CartReply, Context, Ids, Settings};
use crate::domain::cart::{Cart, CartId};
use crate::domain::error::AppError;

/// The header naming the cart a call is for (the object's own name).
pub const CART_ID_HEADER: &str = "x-cart-id";
const CART_KEY: &str = "cart";
const ID_KEY: &str = "id";

/// What the object keeps: its cart and the cart's id (for the alarm, which has no request).
#[derive(Serialize)]
struct Stored<'a> {
    id: &'a CartId,
    cart: &'a Cart,
}

/// New ids from the runtime's CSPRNG.
struct Random;

impl Ids for Random {
    fn new_id(&self) -> Option<String> {
        random::id()
    }
}

#[durable_object]
pub struct CartObject {
    state: State,
    env: Env,
    /// Held for the whole of each request and alarm run (see the module doc).
    busy: Mutex<()>,
}

impl DurableObject for CartObject {
    fn new(state: State, env: Env) -> Self {
        CartObject { state, env, busy: Mutex::new(()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let Some(cart_id) = req.headers().get(CART_ID_HEADER).ok().flatten().and_then(|id| CartId::parse(&id)) else {
            return Response::from_json(&CartReply::Refused { refusal: CartError::NotFound });
        };
        // Decoded by serde from the text, not through a JavaScript value: a number read by
        // JavaScript is a double, and an integer past 2^53 would arrive changed or not at all.
        let call: Option<CartCall> = req.text().await.ok().and_then(|text| serde_json::from_str(&text).ok());
        let Some(call) = call else {
            worker::console_error!("cart {cart_id}: undecodable call");
            return Response::error("bad cart call", 400);
        };
        let _turn = self.busy.lock().await;
        // Counted apart from whatever else this isolate is doing, and reported with the reply (the
        // request log of the call counts them; `d1::add_round_trips`).
        let others = super::d1::take_round_trips();
        let answered = self.answer(&cart_id, call).await;
        let mine = super::d1::take_round_trips();
        super::d1::add_round_trips(others);
        match answered {
            Ok(reply) => Response::from_json(&reply).inspect(|r| {
                let _ = r.headers().set(super::d1::ROUND_TRIPS_HEADER, &mine.to_string());
            }),
            Err(e) => {
                worker::console_error!("cart {cart_id}: {e}");
                Response::error("cart operation failed", 500)
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let _turn = self.busy.lock().await;
        if let Err(e) = self.wake().await {
            // Returning an error makes the runtime retry the alarm; the work is idempotent.
            worker::console_error!("cart alarm: {e}");
            return Err(worker::Error::RustError(e.to_string()));
        }
        Response::ok("ok")
    }
}

impl CartObject {
    async fn answer(&self, cart_id: &CartId, call: CartCall) -> std::result::Result<CartReply, AppError> {
        let db = D1::open(&self.env)?;
        let settings = settings(&Config::from_env(&self.env));
        let mut cart = self.load().await?;
        let before = cart.clone();
        let cx = Context { db: &db, cart_id, settings: &settings, now: now(), ids: &Random };
        let reply = cart::serve(&cx, &mut cart, call).await?;
        if cart != before {
            self.save(cart_id, &cart, settings.hold_seconds).await?;
        }
        Ok(reply)
    }

    /// The alarm: the cart's due work, then the alarm set again for what is left.
    async fn wake(&self) -> std::result::Result<(), AppError> {
        let Some(cart_id) = self.state.storage().get::<CartId>(ID_KEY).await.map_err(storage_failed)? else { return Ok(()) };
        let db = D1::open(&self.env)?;
        let settings = settings(&Config::from_env(&self.env));
        let mut cart = self.load().await?;
        let cx = Context { db: &db, cart_id: &cart_id, settings: &settings, now: now(), ids: &Random };
        cart::alarm(&cx, &mut cart).await?;
        self.save(&cart_id, &cart, settings.hold_seconds).await
    }

    async fn load(&self) -> std::result::Result<Cart, AppError> {
        Ok(self.state.storage().get::<Cart>(CART_KEY).await.map_err(storage_failed)?.unwrap_or_default())
    }

    async fn save(&self, cart_id: &CartId, cart: &Cart, hold_seconds: i64) -> std::result::Result<(), AppError> {
        let storage = self.state.storage();
        storage.put_multiple(Stored { id: cart_id, cart }).await.map_err(storage_failed)?;
        match cart.next_alarm(hold_seconds) {
            // An absolute time: an integer would be read as an offset from now.
            Some(at) => {
                let when = chrono::DateTime::from_timestamp(at, 0).ok_or_else(|| AppError::internal("cart alarm", format!("time {at} out of range")))?;
                storage.set_alarm(when).await.map_err(storage_failed)
            }
            None => storage.delete_alarm().await.map_err(storage_failed),
        }
    }
}

fn settings(config: &Config) -> Settings {
    Settings { hold_seconds: config.hold_seconds, order_ttl_seconds: config.order_ttl_seconds,
        bank_transfer_ttl_seconds: config.bank.as_ref().map_or(crate::domain::payments::bank::DEFAULT_TTL_SECONDS, |b| b.ttl_seconds),
        shipping: config.shipping.clone(), shop_secret: config.shop_secret.clone(), cod: config.cod }
}

fn storage_failed(e: worker::Error) -> AppError {
    AppError::internal("cart storage", e)
}
