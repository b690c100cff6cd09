//! The cart area: the cart page and its forms (`/cart…`), the cart API (`/api/v1/carts…`, reached
//! with the cart token), and `cart_call`, the one way a request talks to a cart's Durable Object.
//!
//! Personal responses are never cached (`no-store`). A cart is reached only with the signed cookie
//! (HTML, or the signed-in shopper's account) or the cart token (API); anything else is a 404.

use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response};

use super::http::{cart_cookies, cart_from_cookie, header, html, json_response, not_served, parse_json, redirect, require_secret, serve_machine, serve_page, Form, Machine, Page};
use super::track::Tracker;
use super::Incoming;
use crate::app::analytics::ProductRef;
use crate::app::cart::{CartCall, CartError, CartReply, CartView};
use crate::domain::analytics::EventKind;
use crate::domain::cart::{cart_token, client_id, verify_cart_token, CartId, MAX_CLIENT_ID};
use crate::domain::error::AppError;
use crate::domain::http::{idempotency_key, request_fingerprint};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::time::rfc3339;
use crate::platform::accounts::{current_shopper, Shopper};
use crate::platform::cart_do::CART_ID_HEADER;
use crate::platform::config::Config;
use crate::platform::d1::D1;
use crate::platform::{random, CART, DB};
use crate::views::cart::Flash;

/// The cart area's routes, each named here for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env, wctx: &Context) -> Response {
    let track = Tracker::new(env, wctx, incoming);
    let track = &track;
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Get, ["cart"]) => serve_page(req, incoming, env, "cart.show", show_cart).await,
        (Method::Post, ["cart", "items"]) => serve_page(req, incoming, env, "cart.add_item", async |p| add_cart_item(p, track).await).await,
        (Method::Post, ["cart", "items", variant @ ..]) if !variant.is_empty() => {
            serve_page(req, incoming, env, "cart.set_item", async |p| set_cart_item(p, &variant.join("/")).await).await
        }
        (Method::Post, ["cart", "bundles"]) => serve_page(req, incoming, env, "cart.add_bundle", async |p| add_cart_bundle(p, track).await).await,
        (Method::Post, ["cart", "coupons"]) => serve_page(req, incoming, env, "cart.apply_coupon", apply_coupon).await,
        (Method::Post, ["cart", "coupons", code @ .., "remove"]) => {
            serve_page(req, incoming, env, "cart.remove_coupon", async |p| remove_coupon(p, &code.join("/")).await).await
        }
        (Method::Post, ["api", "v1", "carts"]) => serve_machine(req, incoming, env, "api.cart.create", async |m| create_cart(m, track).await).await,
        (Method::Get, ["api", "v1", "carts", id]) => serve_machine(req, incoming, env, "api.cart.show", async |m| cart_json_of(m, id).await).await,
        (Method::Post, ["api", "v1", "carts", id, "items"]) => {
            serve_machine(req, incoming, env, "api.cart.add_item", async |m| add_cart_item_json(m, id, track).await).await
        }
        (Method::Patch, ["api", "v1", "carts", id, "items", line]) => {
            serve_machine(req, incoming, env, "api.cart.set_item", async |m| set_cart_item_json(m, id, line).await).await
        }
        (Method::Delete, ["api", "v1", "carts", id, "items", line]) => {
            serve_machine(req, incoming, env, "api.cart.remove_item", async |m| remove_cart_item_json(m, id, line).await).await
        }
        (Method::Post, ["api", "v1", "carts", id, "bundles"]) => {
            serve_machine(req, incoming, env, "api.cart.add_bundle", async |m| add_cart_bundle_json(m, id, track).await).await
        }
        (Method::Post, ["api", "v1", "carts", id, "checkout"]) => {
            serve_machine(req, incoming, env, "api.checkout", async |m| super::checkout::submit_checkout_json(m, id, track).await).await
        }
        (Method::Post, ["api", "v1", "carts", id, "shipping-quote"]) => {
            serve_machine(req, incoming, env, "api.cart.shipping_quote", async |m| super::checkout::shipping_quote_json(m, id).await).await
        }
        (Method::Post, ["api", "v1", "carts", id, "coupons"]) => {
            serve_machine(req, incoming, env, "api.cart.apply_coupon", async |m| apply_coupon_json(m, id).await).await
        }
        (Method::Delete, ["api", "v1", "carts", id, "coupons", code]) => {
            serve_machine(req, incoming, env, "api.cart.remove_coupon", async |m| remove_coupon_json(m, id, code).await).await
        }
        (_, ["api", ..]) => {
            incoming.name("cart.unknown");
            not_served(incoming, cart_api_allow(&segments))
        }
        _ => serve_page(req, incoming, env, "cart.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

/// The methods a cart API path serves, for the `Allow` of its 405; `None`: no such path.
fn cart_api_allow(segments: &[&str]) -> Option<&'static str> {
    match segments {
        ["api", "v1", "carts"] => Some("POST"),
        ["api", "v1", "carts", _] => Some("GET"),
        ["api", "v1", "carts", _, "items" | "checkout" | "coupons" | "shipping-quote" | "bundles"] => Some("POST"),
        ["api", "v1", "carts", _, "items", _] => Some("PATCH, DELETE"),
        ["api", "v1", "carts", _, "coupons", _] => Some("DELETE"),
        _ => None,
    }
}

/// Sends one call to the cart's Durable Object. A refusal is a reply; a failure inside the object
/// (it answers 500 and logs the cause) is an internal error here.
pub(super) async fn cart_call(env: &Env, cart_id: &CartId, call: &CartCall) -> Result<CartReply, AppError> {
    let namespace = env.durable_object(CART).map_err(|e| AppError::internal("cart binding", e))?;
    let stub = namespace.id_from_name(cart_id.as_str()).and_then(|id| id.get_stub()).map_err(|e| AppError::internal("cart stub", e))?;
    let body = serde_json::to_string(call).map_err(|e| AppError::internal("cart call", e))?;
    let headers = Headers::new();
    let _ = headers.set(CART_ID_HEADER, cart_id.as_str());
    let _ = headers.set("content-type", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://cart.internal/", &init).map_err(|e| AppError::internal("cart request", e))?;
    let mut response = stub.fetch_with_request(request).await.map_err(|e| AppError::internal("cart fetch", e))?;
    if response.status_code() != 200 {
        return Err(AppError::internal("cart object", format!("answered {}", response.status_code())));
    }
    let reported = response.headers().get(crate::platform::d1::ROUND_TRIPS_HEADER).ok().flatten().and_then(|n| n.parse().ok());
    crate::platform::d1::add_round_trips(reported.unwrap_or(0));
    response.json::<CartReply>().await.map_err(|e| AppError::internal("cart reply", e))
}

/// A fresh cart id from the runtime's CSPRNG.
pub(super) fn new_cart_id() -> Result<CartId, AppError> {
    random::id().and_then(|id| CartId::parse(&id)).ok_or_else(|| AppError::Internal("no randomness".into()))
}

/// The cart a page works on and the signed-in shopper, if any. A guest uses the device's cart; a
/// signed-in shopper the account's, on every device (`creates`: a new one when there is none).
pub(super) async fn shopper_cart(p: &Page<'_>, creates: bool) -> Result<(Option<CartId>, Option<Shopper>), AppError> {
    let device_cart = cart_from_cookie(p.req, &p.config);
    let Some(db) = p.env.d1(DB).ok().map(D1::from_binding) else { return Ok((device_cart, None)) };
    let shopper = current_shopper(p.req, &db, p.config.customer_sessions).await.ok().flatten();
    let cart_id = match &shopper {
        Some(s) => super::account_cart::resolve(&db, Some(&s.customer), device_cart, creates).await?,
        None => device_cart,
    };
    Ok((cart_id, shopper))
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// `GET /cart`.
async fn show_cart(p: &Page<'_>) -> Result<Response, AppError> {
    let (cart_id, _) = shopper_cart(p, false).await?;
    let flash = flash_from_query(&p.ctx.query);
    let cart = match &cart_id {
        Some(id) => match cart_call(p.env, id, &CartCall::View).await? {
            CartReply::Cart { cart } => Some(cart),
            _ => None,
        },
        None => None,
    };
    let cookies = match (&cart, &cart_id) {
        (Some(c), Some(id)) => cart_cookies(&p.ctx, &p.config, id, c.item_count),
        _ => Vec::new(),
    };
    // Complements of the cart's products and what closes the free-shipping gap (`app::recs`); a
    // failed read leaves them out rather than failing the cart.
    let recs = match cart.as_deref().filter(|c| !c.lines.is_empty()) {
        Some(c) => {
            let variants: Vec<i64> = c.lines.iter().map(|l| l.variant_id).collect();
            let gap = p.config.shipping.free_standard_from.checked_sub(c.discounts.items_total).unwrap_or_default();
            match crate::platform::d1::D1::open(p.env) {
                Ok(db) => crate::app::recs::for_cart(&db, &variants, gap).await.unwrap_or_else(|e| {
                    worker::console_error!("cart recommendations: {e}");
                    Default::default()
                }),
                Err(_) => Default::default(),
            }
        }
        None => Default::default(),
    };
    let body = crate::views::cart::cart_page_recommended(&p.ctx, cart.as_deref(), flash, &recs).into_string();
    Ok(html(200, body, cookies.into_iter().map(|c| ("set-cookie", c)).collect()))
}

fn flash_from_query(query: &str) -> Option<Flash> {
    let pairs = Form::parse(query);
    let get = |k: &str| pairs.get(k);
    match get("notice")? {
        "insufficient_stock" => Some(Flash::Insufficient { available: get("available").and_then(|v| v.parse().ok()).unwrap_or(0) }),
        "quantity_limit" => Some(Flash::QuantityLimit),
        _ => Some(Flash::Unavailable),
    }
}

/// `POST /cart/items` `variant_id`, `quantity` (default 1): adds to the line (a new cart when the
/// shopper has none).
async fn add_cart_item(p: &Page<'_>, track: &Tracker<'_>) -> Result<Response, AppError> {
    let variant = p.field("variant_id").and_then(|v| v.parse().ok()).and_then(client_id).unwrap_or(0);
    let qty = p.field("quantity").and_then(|v| v.parse().ok()).unwrap_or(1);
    let (cart_id, _) = shopper_cart(p, true).await?;
    let (response, added) = change_line(p, cart_id, variant, qty, true).await?;
    if added {
        track.record(EventKind::AddedToCart, ProductRef::Variant(variant), None);
    }
    Ok(response)
}

/// `POST /cart/items/{variant}` `quantity`: sets the line (0 removes it).
async fn set_cart_item(p: &Page<'_>, variant: &str) -> Result<Response, AppError> {
    let variant = variant.parse().ok().and_then(client_id).unwrap_or(0);
    let qty = p.field("quantity").and_then(|v| v.parse().ok()).unwrap_or(-1);
    let (cart_id, _) = shopper_cart(p, false).await?;
    Ok(change_line(p, cart_id, variant, qty, false).await?.0)
}

/// Back to the cart page, with a notice when the cart refused (and whether it took the change).
async fn change_line(p: &Page<'_>, cart_id: Option<CartId>, variant_id: i64, quantity: i64, add: bool) -> Result<(Response, bool), AppError> {
    let (ctx, config) = (&p.ctx, &p.config);
    require_secret(config)?;
    let cart_id = match cart_id {
        Some(id) => id,
        None => new_cart_id()?,
    };
    let cart_path = ctx.href("/cart");
    let reply = cart_call(p.env, &cart_id, &CartCall::SetQuantity { variant_id, quantity, add, key: None }).await?;
    match reply {
        CartReply::Cart { cart } => Ok((redirect(&cart_path, cart_cookies(ctx, config, &cart_id, cart.item_count)), true)),
        CartReply::Refused { refusal } => {
            let mut location = format!("{cart_path}?notice={}", refusal.code());
            if let Some(n) = refusal.available() {
                location.push_str(&format!("&available={n}"));
            }
            let cookies = refusal.cart().map_or_else(Vec::new, |cart| cart_cookies(ctx, config, &cart_id, cart.item_count));
            Ok((redirect(&location, cookies), false))
        }
        CartReply::Placed(_) | CartReply::Contents { .. } | CartReply::Replayed { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

/// `POST /cart/bundles` `bundle_id`, `variant_ids` (one per item of the bundle): one more of each,
/// all held or none (a new cart when the shopper has none). Added: to the cart. Refused: the cart
/// page, 409, saying which item could not be held (or that the bundle is no longer on offer).
async fn add_cart_bundle(p: &Page<'_>, track: &Tracker<'_>) -> Result<Response, AppError> {
    let (ctx, config) = (&p.ctx, &p.config);
    require_secret(config)?;
    let bundle_id = p.field("bundle_id").and_then(|v| v.parse().ok()).and_then(client_id).ok_or(AppError::NotFound)?;
    // One `variant_ids` field per item (the product page's pickers), or one comma-separated field.
    let picks: Vec<i64> =
        p.form.iter().filter(|(k, _)| k == "variant_ids").flat_map(|(_, v)| v.split(',')).filter_map(|v| v.trim().parse().ok().and_then(client_id)).collect();
    let (cart_id, _) = shopper_cart(p, true).await?;
    let db = D1::open(p.env)?;
    let ended = |cart: Option<&CartView>| {
        let sentence = ctx.locale.pick("Combo này hiện không còn áp dụng; chưa thêm sản phẩm nào vào giỏ.", "This bundle is no longer on offer; nothing was added to your cart.");
        html(409, crate::views::cart::cart_page_recommended(ctx, cart, Some(Flash::Bundle(sentence.to_string())), &Default::default()).into_string(), Vec::new())
    };
    let variant_ids = match crate::app::bundles::selection(&db, bundle_id, &picks, crate::platform::config::now()).await {
        Ok((_, ids)) => ids,
        Err(AppError::Conflict(_)) => {
            let current = match &cart_id {
                Some(id) => match cart_call(p.env, id, &CartCall::View).await? {
                    CartReply::Cart { cart } => Some(cart),
                    _ => None,
                },
                None => None,
            };
            return Ok(ended(current.as_deref()));
        }
        Err(e) => return Err(e),
    };
    let cart_id = match cart_id {
        Some(id) => id,
        None => new_cart_id()?,
    };
    match cart_call(p.env, &cart_id, &CartCall::AddAll { variant_ids: variant_ids.clone(), key: None }).await? {
        CartReply::Cart { cart } => {
            for v in variant_ids {
                track.record(EventKind::AddedToCart, ProductRef::Variant(v), None);
            }
            Ok(redirect(&ctx.href("/cart"), cart_cookies(ctx, config, &cart_id, cart.item_count)))
        }
        CartReply::Refused { refusal: CartError::ItemSoldOut { item, cart } } => {
            let flash = Flash::Bundle(crate::views::bundles::sold_out_text(ctx, &item));
            let body = crate::views::cart::cart_page_recommended(ctx, Some(&cart), Some(flash), &Default::default()).into_string();
            let cookies = cart_cookies(ctx, config, &cart_id, cart.item_count);
            Ok(html(409, body, cookies.into_iter().map(|c| ("set-cookie", c)).collect()))
        }
        CartReply::Refused { refusal } => {
            let mut location = format!("{}?notice={}", ctx.href("/cart"), refusal.code());
            if let Some(n) = refusal.available() {
                location.push_str(&format!("&available={n}"));
            }
            Ok(redirect(&location, Vec::new()))
        }
        CartReply::Placed(_) | CartReply::Contents { .. } | CartReply::Replayed { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

/// `POST /cart/coupons` `code`, `return`.
async fn apply_coupon(p: &Page<'_>) -> Result<Response, AppError> {
    let (cart_id, _) = shopper_cart(p, false).await?;
    super::promotions::apply_coupon(&p.ctx, p.env, &p.config, cart_id.as_ref(), &p.field("code").unwrap_or_default(), p.field("return").as_deref()).await
}

/// `POST /cart/coupons/{code}/remove` `return`.
async fn remove_coupon(p: &Page<'_>, code: &str) -> Result<Response, AppError> {
    let (cart_id, _) = shopper_cart(p, false).await?;
    super::promotions::remove_coupon(&p.ctx, p.env, cart_id.as_ref(), code, p.field("return").as_deref()).await
}

// ---------------------------------------------------------------------------------------------
// JSON API
// ---------------------------------------------------------------------------------------------

/// A refused cart call in the API: its status, and the error envelope with what the shopper needs
/// (`available`, the codes `rejected` and why, the cart as it is now).
fn refusal(refusal: &CartError) -> Response {
    let status = match refusal {
        CartError::NotFound | CartError::VariantNotFound | CartError::LineNotFound | CartError::CouponNotFound => 404,
        CartError::InsufficientStock { .. } | CartError::CartChanged { .. } | CartError::CartEmpty | CartError::TotalChanged { .. } => 409,
        CartError::ItemSoldOut { .. } => 409,
        CartError::VariantUnavailable
        | CartError::InvalidQuantity
        | CartError::QuantityLimit { .. }
        | CartError::TooManyLines
        | CartError::CouponInvalid { .. }
        | CartError::TooManyCodes { .. }
        | CartError::CouponRejected { .. }
        | CartError::CodUnavailable(_)
        | CartError::IdempotencyKeyReused => 422,
        | CartError::ShippingUnavailable { .. } => 422,
        CartError::Internal(_) => 500,
    };
    let mut error = json!({"code": refusal.code(), "message": refusal.message(), "fields": {}});
    if let Some(n) = refusal.available() {
        error["available"] = json!(n);
    }
    if let CartError::ItemSoldOut { item, .. } = refusal {
        error["item"] = json!(item);
    }
    if let CartError::CouponRejected { cart } = refusal {
        if !cart.discounts.rejected.is_empty() {
            error["rejected"] = json!(cart.discounts.rejected);
        }
    }
    let mut body = json!({"error": error});
    if let Some(cart) = refusal.cart() {
        body["cart"] = cart_json(cart, None);
    }
    json_response(status, &body)
}

fn cart_json(cart: &CartView, token: Option<&str>) -> Value {
    let mut v = serde_json::to_value(cart).unwrap_or(Value::Null);
    if let Some(token) = token {
        v["token"] = json!(token);
    }
    v["hold_expires_at"] = cart.hold_expires_at.map_or(Value::Null, |t| json!(rfc3339(t)));
    v
}

#[derive(Deserialize)]
struct ItemBody {
    variant_id: Option<i64>,
    quantity: Option<i64>,
}

/// The cart a path names, if the request carries its token; otherwise `NotFound`.
pub(super) fn api_cart_id(req: &Request, config: &Config, id: &str) -> Result<CartId, AppError> {
    let secret = require_secret(config)?;
    let id = CartId::parse(id).ok_or(AppError::NotFound)?;
    let token = req.headers().get("x-cart-token").ok().flatten().unwrap_or_default();
    if verify_cart_token(secret.as_bytes(), &id, &token) {
        Ok(id)
    } else {
        Err(AppError::NotFound)
    }
}

/// The API's answer to a cart call: the cart (201 when `created`), or the refusal's envelope.
pub(super) fn reply_json(reply: CartReply, created: bool) -> Result<Response, AppError> {
    match reply {
        CartReply::Cart { cart } => Ok(json_response(if created { 201 } else { 200 }, &cart_json(&cart, None))),
        CartReply::Replayed { cart } => Ok(replayed(json_response(if created { 201 } else { 200 }, &cart_json(&cart, None)))),
        CartReply::Refused { refusal: refused } => Ok(refusal(&refused)),
        CartReply::Placed(_) | CartReply::Contents { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

/// Marks the answer to a request replayed under its `Idempotency-Key` (as Stripe does).
pub(super) fn replayed(response: Response) -> Response {
    let _ = response.headers().set("idempotent-replayed", "true");
    response
}

/// `POST /api/v1/carts`: a new cart and its token; with a body `{variant_id, quantity}`, holding that
/// first line — a new buyer's add to cart in one request and one call of the cart's object. A
/// refused first line (stock, an unknown variant) creates nothing the client could use: it gets the
/// refusal and no token.
async fn create_cart(m: &Machine<'_>, track: &Tracker<'_>) -> Result<Response, AppError> {
    let secret = require_secret(&m.config)?;
    let first = if m.body.trim().is_empty() { None } else { Some(item_to_add(&m.body)?) };
    let id = new_cart_id()?;
    let token = cart_token(secret.as_bytes(), &id);
    let call = match first {
        Some((variant_id, quantity)) => CartCall::SetQuantity { variant_id, quantity, add: true, key: None },
        None => CartCall::View,
    };
    match cart_call(m.env, &id, &call).await? {
        CartReply::Cart { cart } => {
            if let Some((variant_id, _)) = first {
                track.record(EventKind::AddedToCart, ProductRef::Variant(variant_id), None);
            }
            Ok(json_response(201, &cart_json(&cart, Some(&token))))
        }
        other => reply_json(other, false),
    }
}

/// `{variant_id, quantity}` of an add to cart, both required, the id within what JSON carries exactly.
fn item_to_add(body: &str) -> Result<(i64, i64), AppError> {
    let item: ItemBody = parse_json(body)?;
    let (Some(variant_id), Some(quantity)) = (item.variant_id, item.quantity) else {
        return Err(AppError::Invalid(vec![
            FieldError { field: "variant_id", problem: Problem::Required },
            FieldError { field: "quantity", problem: Problem::Required },
        ]));
    };
    let variant_id = client_id(variant_id).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "variant_id", problem: Problem::OutOfRange { min: 1, max: MAX_CLIENT_ID } }]))?;
    Ok((variant_id, quantity))
}

/// `GET /api/v1/carts/{id}`.
async fn cart_json_of(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    reply_json(cart_call(m.env, &id, &CartCall::View).await?, false)
}

/// `POST /api/v1/carts/{id}/items` `{variant_id, quantity}`: adds to the line.
async fn add_cart_item_json(m: &Machine<'_>, id: &str, track: &Tracker<'_>) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    let (variant_id, quantity) = item_to_add(&m.body)?;
    // A retried add with the same Idempotency-Key adds once (the cart remembers the key).
    let key = idempotency_key(header(m.req, "idempotency-key").as_deref()).map(|k| (k.to_string(), request_fingerprint(&m.body)));
    let reply = cart_call(m.env, &id, &CartCall::SetQuantity { variant_id, quantity, add: true, key }).await?;
    if matches!(reply, CartReply::Cart { .. }) {
        track.record(EventKind::AddedToCart, ProductRef::Variant(variant_id), None);
    }
    reply_json(reply, true)
}

#[derive(Deserialize)]
struct BundleBody {
    bundle_id: Option<i64>,
    variant_ids: Option<Vec<i64>>,
}

/// `POST /api/v1/carts/{id}/bundles` `{bundle_id, variant_ids}`: one more of each picked variant
/// (one per product of the bundle), all held or none; `409 item_sold_out` names the item that
/// could not be held and the cart is unchanged. A retried request with the same `Idempotency-Key`
/// adds once.
async fn add_cart_bundle_json(m: &Machine<'_>, id: &str, track: &Tracker<'_>) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    let body: BundleBody = parse_json(&m.body)?;
    let (Some(bundle_id), Some(picks)) = (body.bundle_id.and_then(client_id), body.variant_ids) else {
        return Err(AppError::Invalid(vec![
            FieldError { field: "bundle_id", problem: Problem::Required },
            FieldError { field: "variant_ids", problem: Problem::Required },
        ]));
    };
    let db = D1::open(m.env)?;
    let (_, variant_ids) = crate::app::bundles::selection(&db, bundle_id, &picks, crate::platform::config::now()).await?;
    let key = idempotency_key(header(m.req, "idempotency-key").as_deref()).map(|k| (k.to_string(), request_fingerprint(&m.body)));
    let reply = cart_call(m.env, &id, &CartCall::AddAll { variant_ids: variant_ids.clone(), key }).await?;
    if matches!(reply, CartReply::Cart { .. }) {
        for v in variant_ids {
            track.record(EventKind::AddedToCart, ProductRef::Variant(v), None);
        }
    }
    reply_json(reply, false)
}

/// `PATCH /api/v1/carts/{id}/items/{variant}` `{quantity}`: sets the line.
async fn set_cart_item_json(m: &Machine<'_>, id: &str, line: &str) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    let variant_id = line.parse().ok().and_then(client_id).ok_or(AppError::NotFound)?;
    let item: ItemBody = parse_json(&m.body)?;
    let quantity = item.quantity.ok_or_else(|| AppError::Invalid(vec![FieldError { field: "quantity", problem: Problem::Required }]))?;
    reply_json(cart_call(m.env, &id, &CartCall::SetQuantity { variant_id, quantity, add: false, key: None }).await?, false)
}

/// `DELETE /api/v1/carts/{id}/items/{variant}`.
async fn remove_cart_item_json(m: &Machine<'_>, id: &str, line: &str) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    let variant_id = line.parse().ok().and_then(client_id).ok_or(AppError::NotFound)?;
    reply_json(cart_call(m.env, &id, &CartCall::SetQuantity { variant_id, quantity: 0, add: false, key: None }).await?, false)
}

/// `POST /api/v1/carts/{id}/coupons` `{code}`.
async fn apply_coupon_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    super::promotions::api_apply(m.env, &id, &m.body).await
}

/// `DELETE /api/v1/carts/{id}/coupons/{code}`.
async fn remove_coupon_json(m: &Machine<'_>, id: &str, code: &str) -> Result<Response, AppError> {
    let id = api_cart_id(m.req, &m.config, id)?;
    reply_json(cart_call(m.env, &id, &CartCall::RemoveCode { code: code.to_string() }).await?, false)
}

