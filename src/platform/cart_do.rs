//! The cart Durable Object: one per cart, named by the cart id. It serialises changes to one cart,
//! keeps the cart's lines in its storage, takes and gives back stock holds in D1 with conditional
//! writes, turns the cart into an order at checkout, and runs an alarm that releases holds after
//! `CART_HOLD_SECONDS` of inactivity and expires the cart's unpaid orders at their `expires_at`.
//!
//! The Worker talks to it over an internal JSON protocol (`CartCall` in, `CartReply` out).
//!
//! The runtime delivers a new request while an earlier one awaits D1, so every request and the
//! alarm take the object's lock first: each reads, changes and saves the cart without another
//! interleaving (two quick adds would otherwise both start from the same lines, and one line and
//! its hold would be lost).

use futures::lock::Mutex;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::config::{now, Config};
use super::d1::D1;
use crate::app::db::{Db, Rows};
use super::{random, DB};
use crate::app::cart::{line_variants_sql, view, CartView, LineVariant, Notice};
use crate::app::orders::{create_order_batch, order_by_id_sql, order_by_idempotency_sql, NewOrder, OrderLine, OrderRow};
use crate::app::stock;
use crate::domain::cart::{Cart, CartError, Handover, HoldChange, MAX_PER_VARIANT};
use crate::app::promotions::{
    claim_batch, customer, customer_batch, decorate, price_cart, pricing_batch, promotions_of, Buyer, CountRow, PricingData, PromotionRow, UseRow,
};
use crate::domain::checkout::{totals, CheckoutRequest, PricedLine, ShippingMethod, Totals};
use crate::domain::promotions::{CouponCode, Customer, Pricing};
use crate::domain::locale::Locale;
use crate::domain::cart::order_access_token;
use crate::domain::signature::sha256_hex;

/// What the Worker asks of a cart.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CartCall {
    View,
    /// `add`: add to what the line has; otherwise set the line to `quantity` (0 removes it).
    SetQuantity { variant_id: i64, quantity: i64, add: bool },
    /// `account`: the signed-in shopper's customer id; account-only promotions and per-account
    /// limits count against it.
    Checkout {
        form: CheckoutPayload,
        idempotency_key: String,
        locale: String,
        #[serde(default)]
        account: Option<String>,
    },
    /// Runs the alarm's work now (tests and operators; the work is idempotent).
    RunAlarm,
    /// Adds a coupon code; refused (`coupon_rejected`, the reason in the cart's `discounts.rejected`)
    /// when it would not apply to this cart now.
    ApplyCode { code: String },
    RemoveCode { code: String },
    /// A guest cart whose shopper signed in: gives its holds back and answers with its contents
    /// (kept until `Clear`, so a failed merge loses nothing).
    Vacate,
    /// Merges a guest cart's contents into this (account) cart, once per `source`.
    Absorb { source: String, contents: Handover },
    /// Empties the lines and codes (after a merge); pending orders stay.
    Clear,
}

/// A validated checkout request in a serialisable shape.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct CheckoutPayload {
    pub email: String,
    pub name: String,
    pub phone: String,
    pub line1: String,
    pub ward: String,
    pub district: String,
    pub province: String,
    pub country: String,
    pub shipping_method: String,
    pub payment_provider: String,
    pub note: String,
}

impl From<&CheckoutRequest> for CheckoutPayload {
    fn from(r: &CheckoutRequest) -> Self {
        CheckoutPayload {
            email: r.email.as_str().to_string(),
            name: r.name.clone(),
            phone: r.phone.as_str().to_string(),
            line1: r.address.line1.clone(),
            ward: r.address.ward.clone(),
            district: r.address.district.clone(),
            province: r.address.province.clone(),
            country: r.address.country.clone(),
            shipping_method: r.shipping_method.code().to_string(),
            payment_provider: r.payment_provider.clone(),
            note: r.note.clone(),
        }
    }
}

/// The cart's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CartReply {
    Cart { cart: CartView },
    Placed { order: OrderRow, access_token: String, replayed: bool },
    Refused { code: String, message: String, available: Option<i64>, cart: Option<CartView> },
    Contents { contents: Handover },
}

fn refused(code: &str, message: &str, available: Option<i64>, cart: Option<CartView>) -> CartReply {
    CartReply::Refused { code: code.into(), message: message.into(), available, cart }
}

#[derive(Deserialize)]
struct OwnerRow {
    id: String,
}

const CART_KEY: &str = "cart";
/// Codes one cart may carry at once.
const MAX_CODES: usize = 5;
const ID_KEY: &str = "id";

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
        let cart_id = req.headers().get("x-cart-id").ok().flatten().unwrap_or_default();
        let call: CartCall = match req.json().await {
            Ok(call) => call,
            Err(e) => return Response::from_json(&refused("bad_call", &e.to_string(), None, None)),
        };
        let _turn = self.busy.lock().await;
        let reply = match self.handle(&cart_id, call).await {
            Ok(reply) => reply,
            Err(e) => {
                worker::console_error!("cart {cart_id}: {e}");
                refused("internal_error", "cart operation failed", None, None)
            }
        };
        Response::from_json(&reply)
    }

    async fn alarm(&self) -> Result<Response> {
        let _turn = self.busy.lock().await;
        let cart_id: String = self.state.storage().get(ID_KEY).await.ok().flatten().unwrap_or_default();
        if let Err(e) = self.run_alarm(&cart_id).await {
            // Returning an error makes the runtime retry the alarm; the work is idempotent.
            worker::console_error!("cart {cart_id} alarm: {e}");
            return Err(worker::Error::RustError(e));
        }
        Response::ok("ok")
    }
}

impl CartObject {
    fn db(&self) -> std::result::Result<D1, String> {
        self.env.d1(DB).map(D1).map_err(|e| e.to_string())
    }

    async fn load(&self) -> Cart {
        self.state.storage().get(CART_KEY).await.ok().flatten().unwrap_or_default()
    }

    async fn save(&self, cart_id: &str, cart: &Cart, config: &Config) -> std::result::Result<(), String> {
        let storage = self.state.storage();
        storage.put(ID_KEY, cart_id).await.map_err(|e| e.to_string())?;
        storage.put(CART_KEY, cart).await.map_err(|e| e.to_string())?;
        match cart.next_alarm(config.hold_seconds) {
            // An absolute time: an integer would be read as an offset from now.
            Some(at) => {
                let when = chrono::DateTime::from_timestamp(at, 0).ok_or("alarm time out of range")?;
                storage.set_alarm(when).await.map_err(|e| e.to_string())?
            }
            None => storage.delete_alarm().await.map_err(|e| e.to_string())?,
        }
        Ok(())
    }

    async fn handle(&self, cart_id: &str, call: CartCall) -> std::result::Result<CartReply, String> {
        if !crate::domain::cart::is_cart_id(cart_id) {
            return Ok(refused("not_found", "no such cart", None, None));
        }
        let config = Config::from_env(&self.env);
        let db = self.db()?;
        match call {
            CartCall::View => {
                let mut cart = self.load().await;
                let notices = self.rehold(&db, cart_id, &mut cart, &config).await?;
                self.save(cart_id, &cart, &config).await?;
                Ok(CartReply::Cart { cart: self.view(&db, cart_id, &cart, &config, notices).await? })
            }
            CartCall::SetQuantity { variant_id, quantity, add } => self.set_quantity(&db, cart_id, variant_id, quantity, add, &config).await,
            CartCall::Checkout { form, idempotency_key, locale, account } => self.checkout(&db, cart_id, form, &idempotency_key, &locale, account.as_deref(), &config).await,
            CartCall::ApplyCode { code } => self.apply_code(&db, cart_id, &code, &config).await,
            CartCall::RemoveCode { code } => {
                let mut cart = self.load().await;
                let before = cart.codes.len();
                let wanted = CouponCode::parse(&code).map_or(code.clone(), |c| c.as_str().to_string());
                cart.codes.retain(|c| *c != wanted);
                if cart.codes.len() == before {
                    return Ok(refused("coupon_not_found", "that code is not in this cart", None, None));
                }
                self.save(cart_id, &cart, &config).await?;
                Ok(CartReply::Cart { cart: self.view(&db, cart_id, &cart, &config, Vec::new()).await? })
            }
            CartCall::Vacate => {
                let mut cart = self.load().await;
                let now = now();
                for line in cart.lines.iter_mut().filter(|l| l.held > 0) {
                    if let Some(id) = line.hold_id.take() {
                        db.batch(&stock::release_hold(&id, now)).await.map_err(|e| e.to_string())?;
                    }
                    line.held = 0;
                }
                self.save(cart_id, &cart, &config).await?;
                Ok(CartReply::Contents { contents: cart.handover() })
            }
            CartCall::Absorb { source, contents } => {
                let mut cart = self.load().await;
                let notices = if cart.absorb(&source, &contents, MAX_CODES) { self.rehold(&db, cart_id, &mut cart, &config).await? } else { Vec::new() };
                self.save(cart_id, &cart, &config).await?;
                Ok(CartReply::Cart { cart: self.view(&db, cart_id, &cart, &config, notices).await? })
            }
            CartCall::Clear => {
                let mut cart = self.load().await;
                cart.lines.clear();
                cart.codes.clear();
                self.save(cart_id, &cart, &config).await?;
                Ok(CartReply::Cart { cart: self.view(&db, cart_id, &cart, &config, Vec::new()).await? })
            }
            CartCall::RunAlarm => {
                self.run_alarm(cart_id).await?;
                let cart = self.load().await;
                Ok(CartReply::Cart { cart: self.view(&db, cart_id, &cart, &config, Vec::new()).await? })
            }
        }
    }

    async fn variants(&self, db: &D1, ids: &[i64]) -> std::result::Result<Vec<LineVariant>, String> {
        db.all(&line_variants_sql(ids)).await.map_err(|e| e.to_string())
    }

    async fn view(&self, db: &D1, cart_id: &str, cart: &Cart, config: &Config, notices: Vec<Notice>) -> std::result::Result<CartView, String> {
        let ids: Vec<i64> = cart.lines.iter().map(|l| l.variant_id).collect();
        let now = now();
        // The lines' variants and what pricing needs, in one round trip.
        let mut batch = vec![line_variants_sql(&ids)];
        batch.extend(pricing_batch(&cart.codes, &ids, now));
        batch.push(crate::app::accounts::cart_owner_sql(cart_id));
        let results = db.batch(&batch).await.map_err(|e| e.to_string())?;
        let (Some(variants), Some(pricing), Some(owner)) = (results.first(), results.get(1..4), results.get(4)) else { return Err("cart view batch".into()) };
        let variants: Vec<LineVariant> = variants.decode().map_err(|e| e.to_string())?;
        let data = pricing_data(pricing)?;
        let owner: Option<OwnerRow> = owner.decode().map_err(|e| e.to_string())?.into_iter().next();
        let mut cart_view = view(cart_id, cart, &variants, config.hold_seconds, notices);
        // In the cart the buyer is only known as the account owning it (if any): history-based
        // conditions (first order, uses per customer) are checked at checkout.
        let viewer = Customer { account: owner.map(|o| format!("account:{}", o.id)), ..Customer::default() };
        let quotes: Vec<(&str, Pricing)> = [ShippingMethod::Standard, ShippingMethod::Express]
            .into_iter()
            .map(|m| (m.code(), price_cart(cart, &variants, &data, &viewer, config.rates.fee(m, cart_view.subtotal), now)))
            .collect();
        decorate(&mut cart_view, &cart.codes, &quotes);
        Ok(cart_view)
    }

    /// Prices the cart for the buyer at checkout: their history decides first-order, per-customer
    /// and specific-customer conditions. One round trip.
    #[allow(clippy::too_many_arguments)]
    async fn checkout_pricing(&self, db: &D1, cart: &Cart, variants: &[LineVariant], request: &CheckoutRequest, account: Option<&str>, shipping: i64, now: i64) -> std::result::Result<Pricing, String> {
        let ids: Vec<i64> = cart.lines.iter().map(|l| l.variant_id).collect();
        let mut batch = pricing_batch(&cart.codes, &ids, now).to_vec();
        batch.extend(customer_batch(request.email.as_str(), request.phone.as_str(), account));
        let results = db.batch(&batch).await.map_err(|e| e.to_string())?;
        let (Some(pricing), Some([orders, uses])) = (results.get(0..3), results.get(3..5)) else { return Err("checkout pricing batch".into()) };
        let data = pricing_data(pricing)?;
        let prior = orders.decode::<CountRow>().map_err(|e| e.to_string())?.first().map_or(0, |r| r.n);
        let uses: Vec<UseRow> = uses.decode().map_err(|e| e.to_string())?;
        let buyer = customer(request.email.as_str(), request.phone.as_str(), account, prior, &uses);
        Ok(price_cart(cart, variants, &data, &buyer, shipping, now))
    }

    /// A refusal that shows the cart priced for this buyer, so its `discounts.rejected` says why.
    async fn coupon_refusal(&self, db: &D1, cart_id: &str, cart: &Cart, config: &Config, pricing: Pricing, method: &str) -> std::result::Result<CartReply, String> {
        let mut cart_view = self.view(db, cart_id, cart, config, Vec::new()).await?;
        decorate(&mut cart_view, &cart.codes, &[(method, pricing)]);
        Ok(refused("coupon_rejected", "a coupon code in the cart cannot be used; see cart.discounts.rejected", None, Some(cart_view)))
    }

    async fn apply_code(&self, db: &D1, cart_id: &str, raw: &str, config: &Config) -> std::result::Result<CartReply, String> {
        let mut cart = self.load().await;
        let Some(code) = CouponCode::parse(raw) else {
            let cart_view = self.view(db, cart_id, &cart, config, Vec::new()).await?;
            return Ok(refused("coupon_invalid", "a code is 3 to 32 letters, digits, '-' or '_'", None, Some(cart_view)));
        };
        let code = code.as_str().to_string();
        if !cart.codes.contains(&code) {
            if cart.codes.len() >= MAX_CODES {
                let cart_view = self.view(db, cart_id, &cart, config, Vec::new()).await?;
                return Ok(refused("too_many_codes", "a cart takes at most 5 codes", None, Some(cart_view)));
            }
            cart.codes.push(code.clone());
        }
        let mut cart_view = self.view(db, cart_id, &cart, config, Vec::new()).await?;
        if cart_view.discounts.rejected.iter().any(|r| r.code == code) {
            // Not kept (unless it was already there): the view answered with it shows why.
            let kept = self.load().await.codes;
            cart_view.discounts.codes = kept;
            return Ok(refused("coupon_rejected", "the code cannot be used on this cart; see cart.discounts.rejected", None, Some(cart_view)));
        }
        self.save(cart_id, &cart, config).await?;
        Ok(CartReply::Cart { cart: cart_view })
    }

    /// Runs a two-statement stock batch; true when both statements changed a row.
    async fn apply_pair(&self, db: &D1, pair: [crate::app::sql::Sql; 2]) -> std::result::Result<bool, String> {
        let results = db.batch(&pair).await.map_err(|e| e.to_string())?;
        let changed = |i: usize| results.get(i).map_or(0, Rows::changes);
        Ok(changed(0) >= 1 && changed(1) >= 1)
    }

    async fn free_units(&self, db: &D1, variant_id: i64) -> std::result::Result<i64, String> {
        Ok(self.variants(db, &[variant_id]).await?.first().map_or(0, LineVariant::available))
    }

    /// Takes a fresh hold of `quantity`; on shortage takes what is free (when `partial`).
    async fn take(&self, db: &D1, cart_id: &str, variant_id: i64, quantity: i64, expires_at: i64, now: i64) -> std::result::Result<Option<String>, String> {
        let hold_id = random::id().ok_or("no randomness")?;
        let ok = self.apply_pair(db, stock::take_hold(&hold_id, cart_id, variant_id, quantity, now, expires_at)).await?;
        Ok(ok.then_some(hold_id))
    }

    async fn set_quantity(&self, db: &D1, cart_id: &str, variant_id: i64, quantity: i64, add: bool, config: &Config) -> std::result::Result<CartReply, String> {
        let now = now();
        let mut cart = self.load().await;
        let current = cart.line(variant_id).map_or(0, |l| l.quantity);
        if add && quantity < 1 {
            return Ok(refused("invalid_quantity", "quantity must be at least 1", None, None));
        }
        let desired = if add { current.saturating_add(quantity) } else { quantity };
        if desired > MAX_PER_VARIANT {
            let cart_view = self.view(db, cart_id, &cart, config, Vec::new()).await?;
            return Ok(refused("quantity_limit", "at most 10 of one variant per cart", Some(MAX_PER_VARIANT), Some(cart_view)));
        }
        let variant = self.variants(db, &[variant_id]).await?.into_iter().next();
        let Some(variant) = variant else {
            return Ok(refused("variant_not_found", "no such variant", None, None));
        };
        if desired > 0 && !variant.is_buyable() {
            return Ok(refused("variant_unavailable", "this variant is no longer sold", None, None));
        }
        let plan = match cart.plan(variant_id, desired) {
            Ok(plan) => plan,
            Err(CartError::QuantityOutOfRange) => return Ok(refused("invalid_quantity", "quantity must be between 0 and 10", None, None)),
            Err(CartError::TooManyLines) => return Ok(refused("too_many_lines", "a cart holds at most 50 lines", None, None)),
            Err(CartError::NoSuchLine) => return Ok(refused("line_not_found", "no such line in this cart", None, None)),
        };
        let expires_at = now + config.hold_seconds;
        let hold_id = cart.line(variant_id).and_then(|l| l.hold_id.clone());
        let held = cart.line(variant_id).map_or(0, |l| l.held);
        let outcome = match plan {
            HoldChange::Nothing => Some((hold_id, held)),
            HoldChange::Release => {
                if let Some(id) = &hold_id {
                    db.batch(&stock::release_hold(id, now)).await.map_err(|e| e.to_string())?;
                }
                Some((None, 0))
            }
            HoldChange::Create { quantity } => self.take(db, cart_id, variant_id, quantity, expires_at, now).await?.map(|id| (Some(id), quantity)),
            HoldChange::Adjust { delta } => {
                let id = hold_id.clone().unwrap_or_default();
                if self.apply_pair(db, stock::adjust_hold(&id, variant_id, delta, now, expires_at)).await? {
                    Some((hold_id, held + delta))
                } else if !self.hold_is_live(db, &id).await? {
                    // The alarm or the sweep gave the hold back meanwhile: take the whole quantity anew.
                    self.take(db, cart_id, variant_id, desired, expires_at, now).await?.map(|id| (Some(id), desired))
                } else {
                    None
                }
            }
        };
        let Some((hold_id, held)) = outcome else {
            let free = self.free_units(db, variant_id).await?;
            let available = free + held;
            cart.touched_at = now;
            let notices = vec![Notice::InsufficientStock { variant_id, requested: desired, available }];
            self.extend(db, cart_id, &cart, config, now).await?;
            self.save(cart_id, &cart, config).await?;
            let cart_view = self.view(db, cart_id, &cart, config, notices).await?;
            return Ok(refused("insufficient_stock", "not enough stock for that quantity", Some(available), Some(cart_view)));
        };
        cart.apply(variant_id, desired, hold_id, held);
        cart.touched_at = now;
        self.extend(db, cart_id, &cart, config, now).await?;
        self.save(cart_id, &cart, config).await?;
        Ok(CartReply::Cart { cart: self.view(db, cart_id, &cart, config, Vec::new()).await? })
    }

    /// Activity extends every live hold of the cart.
    async fn extend(&self, db: &D1, cart_id: &str, cart: &Cart, config: &Config, now: i64) -> std::result::Result<(), String> {
        if cart.lines.iter().any(|l| l.held > 0) {
            db.all::<serde_json::Value>(&stock::extend_holds(cart_id, now + config.hold_seconds, now)).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn hold_is_live(&self, db: &D1, hold_id: &str) -> std::result::Result<bool, String> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        let sql = crate::app::sql::Sql::new("SELECT COUNT(*) AS n FROM holds WHERE id = ? AND state = 'held'").bind(hold_id);
        let rows: Vec<Row> = db.all(&sql).await.map_err(|e| e.to_string())?;
        Ok(rows.first().is_some_and(|r| r.n > 0))
    }

    /// Makes every line hold what it asks for again after its hold expired (or was swept): takes
    /// all it can, reduces the line to what was free, drops lines no longer sold.
    async fn rehold(&self, db: &D1, cart_id: &str, cart: &mut Cart, config: &Config) -> std::result::Result<Vec<Notice>, String> {
        let now = now();
        let expires_at = now + config.hold_seconds;
        let mut notices = Vec::new();
        // A hold may have been released by the sweep while the cart still counts it.
        for line in cart.lines.iter_mut().filter(|l| l.held > 0) {
            if let Some(id) = line.hold_id.clone() {
                if !self.hold_is_live(db, &id).await? {
                    line.hold_id = None;
                    line.held = 0;
                }
            }
        }
        let ids: Vec<i64> = cart.lines.iter().map(|l| l.variant_id).collect();
        let variants = self.variants(db, &ids).await?;
        let mut next = cart.clone();
        for line in cart.lines.iter().filter(|l| l.held < l.quantity) {
            let buyable = variants.iter().find(|v| v.id == line.variant_id).is_some_and(LineVariant::is_buyable);
            if !buyable {
                if let Some(id) = &line.hold_id {
                    db.batch(&stock::release_hold(id, now)).await.map_err(|e| e.to_string())?;
                }
                next.apply(line.variant_id, 0, None, 0);
                notices.push(Notice::Removed { variant_id: line.variant_id });
                continue;
            }
            // Give back a partial hold and take the whole quantity again, falling back to what is free.
            if let Some(id) = &line.hold_id {
                db.batch(&stock::release_hold(id, now)).await.map_err(|e| e.to_string())?;
            }
            let mut want = line.quantity;
            let mut taken = None;
            while want > 0 && taken.is_none() {
                taken = self.take(db, cart_id, line.variant_id, want, expires_at, now).await?;
                if taken.is_none() {
                    let free = self.free_units(db, line.variant_id).await?;
                    want = free.min(want - 1);
                }
            }
            if want < line.quantity {
                notices.push(Notice::Reduced { variant_id: line.variant_id, from: line.quantity, to: want });
            }
            next.apply(line.variant_id, want, taken, want);
        }
        next.touched_at = now;
        *cart = next;
        self.extend(db, cart_id, cart, config, now).await?;
        Ok(notices)
    }

    #[allow(clippy::too_many_arguments)]
    async fn checkout(&self, db: &D1, cart_id: &str, form: CheckoutPayload, client_key: &str, locale: &str, account: Option<&str>, config: &Config) -> std::result::Result<CartReply, String> {
        let key = format!("{cart_id}:{client_key}");
        let secret = config.shop_secret.clone().ok_or("SHOP_SECRET is not configured")?;
        if let Some(order) = db.all::<OrderRow>(&order_by_idempotency_sql(&key)).await.map_err(|e| e.to_string())?.into_iter().next() {
            return Ok(placed(&secret, order, true));
        }
        let mut cart = self.load().await;
        if cart.lines.is_empty() {
            return Ok(refused("cart_empty", "the cart is empty", None, None));
        }
        let notices = self.rehold(db, cart_id, &mut cart, config).await?;
        if !notices.is_empty() || cart.lines.is_empty() {
            self.save(cart_id, &cart, config).await?;
            let cart_view = self.view(db, cart_id, &cart, config, notices).await?;
            return Ok(refused("cart_changed", "some items are no longer available in the quantity asked; please review the cart", None, Some(cart_view)));
        }
        let request = crate::domain::checkout::validate(&to_form(&form), &config.providers()).map_err(|e| format!("invalid checkout reached the cart: {e:?}"))?;
        let ids: Vec<i64> = cart.lines.iter().map(|l| l.variant_id).collect();
        let variants = self.variants(db, &ids).await?;
        let mut lines = Vec::new();
        let mut priced = Vec::new();
        let mut holds = Vec::new();
        for (i, line) in cart.lines.iter().enumerate() {
            let Some(v) = variants.iter().find(|v| v.id == line.variant_id) else { return Err(format!("variant {} vanished", line.variant_id)) };
            lines.push(OrderLine::snapshot(i as i64 + 1, v, line.quantity));
            priced.push(PricedLine { variant_id: v.id, unit_price: v.price, quantity: line.quantity });
            holds.push((line.hold_id.clone().unwrap_or_default(), line.held));
        }
        let base = totals(&priced, request.shipping_method, &config.rates).ok_or("order total overflows")?;
        let now = now();
        // Prices are recomputed here, for this buyer; a code that no longer applies stops the order
        // (the shopper sees why and decides) rather than silently charging more.
        let pricing = self.checkout_pricing(db, &cart, &variants, &request, account, base.shipping, now).await?;
        if !pricing.rejected.is_empty() {
            return self.coupon_refusal(db, cart_id, &cart, config, pricing, request.shipping_method.code()).await;
        }
        for (line, priced) in lines.iter_mut().zip(&pricing.lines) {
            line.discount = priced.discount;
        }
        let totals = Totals { subtotal: pricing.subtotal, shipping: pricing.shipping, discount: pricing.discount, total: pricing.total };
        let order_id = random::id().ok_or("no randomness")?;
        let access_token = order_access_token(secret.as_bytes(), &order_id);
        let payment_id = random::id().ok_or("no randomness")?;
        let token_hash = sha256_hex(access_token.as_bytes());
        let expires_at = now + config.order_ttl_seconds;
        let new_order = NewOrder {
            id: &order_id,
            access_token_hash: &token_hash,
            cart_id,
            idempotency_key: &key,
            request: &request,
            locale: Locale::parse(locale).unwrap_or(Locale::Vi),
            lines: &lines,
            holds: &holds,
            totals,
            payment_id: &payment_id,
            now,
            expires_at,
        };
        let mut batch = create_order_batch(&new_order);
        if let Some(account) = account {
            batch.push(crate::app::accounts::claim_order_sql(&order_id, account));
        }
        let line_nos: Vec<i64> = lines.iter().map(|l| l.line_no).collect();
        let buyer = Buyer { email: request.email.as_str(), phone: request.phone.as_str(), account };
        batch.extend(claim_batch(&order_id, &pricing, &line_nos, &buyer, now));
        if let Err(e) = db.batch(&batch).await {
            let message = e.to_string();
            // A concurrent submission with the same key won: answer with its order.
            if let Some(order) = db.all::<OrderRow>(&order_by_idempotency_sql(&key)).await.map_err(|e| e.to_string())?.into_iter().next() {
                return Ok(placed(&secret, order, true));
            }
            // Another order took the last use of a code meanwhile: say so.
            if !pricing.applied.is_empty() {
                let fresh = self.checkout_pricing(db, &cart, &variants, &request, account, base.shipping, now).await?;
                if !fresh.rejected.is_empty() {
                    return self.coupon_refusal(db, cart_id, &cart, config, fresh, request.shipping_method.code()).await;
                }
            }
            worker::console_warn!("checkout of cart {cart_id} refused: {message}");
            let notices = self.rehold(db, cart_id, &mut cart, config).await?;
            self.save(cart_id, &cart, config).await?;
            let cart_view = self.view(db, cart_id, &cart, config, notices).await?;
            return Ok(refused("cart_changed", "the cart changed while checking out; please review it", None, Some(cart_view)));
        }
        let order = db
            .all::<OrderRow>(&order_by_id_sql(&order_id))
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or("order vanished after insert")?;
        cart.lines.clear();
        cart.codes.clear();
        cart.pending_orders.push((order_id.clone(), expires_at));
        cart.touched_at = now;
        self.save(cart_id, &cart, config).await?;
        Ok(placed(&secret, order, false))
    }

    /// Releases holds after inactivity and expires the cart's unpaid orders that are due. Every
    /// step is gated in SQL on the state it changes, so running it twice, or racing the sweep or a
    /// late payment, changes stock once.
    async fn run_alarm(&self, cart_id: &str) -> std::result::Result<(), String> {
        if cart_id.is_empty() {
            return Ok(());
        }
        let config = Config::from_env(&self.env);
        let db = self.db()?;
        let now = now();
        let mut cart = self.load().await;
        if cart.lines.iter().any(|l| l.held > 0) && now >= cart.hold_deadline(config.hold_seconds) {
            db.batch(&stock::release_holds(Some(cart_id), None, now)).await.map_err(|e| e.to_string())?;
            for line in &mut cart.lines {
                line.hold_id = None;
                line.held = 0;
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = cart.pending_orders.iter().cloned().partition(|(_, at)| *at <= now);
        for (order_id, _) in &due {
            db.batch(&stock::expire_order(order_id, now, "alarm")).await.map_err(|e| e.to_string())?;
        }
        cart.pending_orders = later;
        self.save(cart_id, &cart, &config).await
    }
}

fn placed(secret: &str, order: OrderRow, replayed: bool) -> CartReply {
    let access_token = order_access_token(secret.as_bytes(), &order.id);
    CartReply::Placed { order, access_token, replayed }
}

fn to_form(p: &CheckoutPayload) -> crate::domain::checkout::CheckoutForm {
    crate::domain::checkout::CheckoutForm {
        email: p.email.clone(),
        name: p.name.clone(),
        phone: p.phone.clone(),
        address: crate::domain::checkout::AddressForm {
            line1: p.line1.clone(),
            ward: p.ward.clone(),
            district: p.district.clone(),
            province: p.province.clone(),
            country: p.country.clone(),
        },
        shipping_method: p.shipping_method.clone(),
        payment_provider: p.payment_provider.clone(),
        note: Some(p.note.clone()),
    }
}

/// Live promotions, the entered codes and the lines' catalog places: the results of `pricing_batch`.
fn pricing_data(results: &[Rows]) -> std::result::Result<PricingData, String> {
    let [promotions, codes, places] = results else { return Err("pricing batch".into()) };
    Ok(PricingData {
        promotions: promotions_of(&promotions.decode::<PromotionRow>().map_err(|e| e.to_string())?),
        codes: codes.decode().map_err(|e| e.to_string())?,
        places: places.decode().map_err(|e| e.to_string())?,
    })
}
