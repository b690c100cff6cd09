//! The shopping flow, HTML and JSON: cart, checkout, guest order pages, the sandbox payment
//! provider and its signed webhook, and the internal endpoints that force an alarm or the sweep.
//!
//! Personal responses are never cached (`no-store`). Carts are reached only with the signed cookie
//! (HTML) or the cart token (API); orders only with their access token. Anything else is a 404.

use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use super::http::{api_error, cart_cookies, cart_from_cookie, error_page, foreign_form, html, internal_auth, json_response, parse_json, query_param, read_body, read_form, redirect, require_secret};
use super::Incoming;
use crate::app::analytics::ProductRef;
use crate::domain::analytics::EventKind;
use crate::app::cart::{CartCall, CartError, CartReply, CartView};
use crate::app::checkout::Submission;
use crate::app::orders::{order_detail_batch, payment_by_id_sql, OrderDetail, OrderRow, PaymentRow};
use crate::domain::cart::{cart_token, is_cart_id, verify_cart_token, verify_order_access_token, CartId};
use crate::domain::checkout::{validate, AddressForm, CheckoutForm};
use crate::domain::error::AppError;
use crate::domain::http_cache;
use crate::domain::http::Form;
use crate::domain::listing::FieldError;
use crate::domain::locale::Locale;
use crate::domain::sandbox;
use crate::domain::throttle::Action;
use crate::domain::time::rfc3339;
use crate::platform::cart_do::CART_ID_HEADER;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::app::db::Db;
use crate::platform::edge_cache::{respond, Rendered};
use crate::app::payments::{Applied, PaymentNotice};
use crate::domain::orders::OrderStatus;
use crate::domain::payments::PaymentStatus;
use crate::platform::security::check_form;
use crate::platform::{random, CART, DB};
use crate::views::cart::{cart_page, Flash};
use crate::views::checkout::{checkout_page, CheckoutView};
use crate::views::order::{order_page, sandbox_page, PayChoice};
use crate::views::PageCtx;

const JSON: &str = "application/json; charset=utf-8";

/// The areas `routes::dispatch` gives this module: cart, checkout (with the sandbox provider's pay
/// page), orders, the sandbox webhook, and the internal endpoints.
pub async fn handle(mut req: Request, incoming: &Incoming, env: &Env, wctx: &worker::Context) -> Response {
    let config = Config::from_env(env);
    let track = super::track::Tracker::new(env, wctx, incoming);
    let path = incoming.path.clone();
    if path.starts_with("/api/") || path.starts_with("/webhooks/") || path.starts_with("/internal/") {
        let body = if matches!(incoming.method, Method::Post | Method::Patch | Method::Put) { read_body(&mut req).await } else { Ok(String::new()) };
        let response = match body {
            Ok(body) => api(&req, incoming, env, &config, &path, &body, &track).await,
            Err(e) => Err(e),
        };
        return response.unwrap_or_else(|e| api_error(incoming, &e));
    }
    let (locale, local) = Locale::split_path(&path);
    let version = crate::platform::edge_cache::catalog_version(env).await;
    let ctx = super::storefront::page_ctx(incoming, env, locale, local, &version).await;
    let form = read_form(&mut req, incoming.method == Method::Post).await;
    // Forms post only from our own pages, with the visitor's CSRF token: anything else is refused
    // before it touches a cart.
    if incoming.method == Method::Post && !check_form(&req, &incoming.path, &incoming.origin, config.shop_secret.as_deref(), &form) {
        return foreign_form(&ctx, incoming);
    }
    let get = |key: &str| form.get(key).map(|v| v.trim().to_string());
    let device_cart = cart_from_cookie(&req, &config);
    // A signed-in shopper's cart is the account's, on every device.
    let cart_page = local == "/cart" || local.starts_with("/cart/") || local == "/checkout";
    let db = env.d1(DB).ok().filter(|_| cart_page).map(D1);
    let shopper = match &db {
        Some(db) => crate::platform::accounts::current_shopper(&req, db, config.customer_sessions).await.ok().flatten(),
        None => None,
    };
    let creates = incoming.method == Method::Post && local == "/cart/items";
    let cart_id = match (&shopper, &db) {
        (Some(s), Some(db)) => super::account_cart::resolve(db, Some(&s.customer), device_cart, creates).await,
        _ => Ok(device_cart),
    };
    let cart_id = match cart_id {
        Ok(id) => id,
        Err(e) => return error_page(&ctx, incoming, e),
    };
    let result = match (incoming.method.clone(), local) {
        (Method::Get, "/cart") => show_cart(&ctx, env, &config, cart_id.as_ref()).await,
        (Method::Post, "/cart/items") => {
            let variant = get("variant_id").and_then(|v| v.parse().ok()).unwrap_or(0);
            let qty = get("quantity").and_then(|v| v.parse().ok()).unwrap_or(1);
            let added = change_line(&ctx, env, &config, cart_id, variant, qty, true).await;
            // Added when the cart page is reached without a notice (a refusal carries one).
            if added.as_ref().is_ok_and(|r| r.headers().get("location").ok().flatten().is_some_and(|l| !l.contains("notice="))) {
                track.record(EventKind::AddedToCart, ProductRef::Variant(variant), None);
            }
            added
        }
        (Method::Post, p) if p.starts_with("/cart/items/") => {
            let variant = p.trim_start_matches("/cart/items/").parse().unwrap_or(0);
            let qty = get("quantity").and_then(|v| v.parse().ok()).unwrap_or(-1);
            change_line(&ctx, env, &config, cart_id, variant, qty, false).await
        }
        (Method::Post, super::promotions::COUPONS) => {
            super::promotions::apply_coupon(&ctx, env, &config, cart_id.as_ref(), &get("code").unwrap_or_default(), get("return").as_deref()).await
        }
        (Method::Post, p) if p.starts_with("/cart/coupons/") && p.ends_with("/remove") => {
            let code = p.trim_start_matches("/cart/coupons/").trim_end_matches("/remove");
            super::promotions::remove_coupon(&ctx, env, cart_id.as_ref(), code, get("return").as_deref()).await
        }
        (Method::Get, "/checkout") => show_checkout(&ctx, env, &config, cart_id.as_ref(), &CheckoutForm::default(), &[]).await,
        (Method::Post, "/checkout") => match crate::platform::rate_limit_do::check(env, &req, Action::Checkout).await {
            Ok(Some(wait)) => Err(AppError::TooManyRequests { retry_after: wait }),
            // A signed-in shopper's order is theirs at once (guest orders attach once the email is verified).
            Ok(None) => submit_checkout(&ctx, env, &config, cart_id.as_ref(), &form, shopper.map(|s| s.customer.id), &track).await,
            Err(e) => Err(e),
        },
        (Method::Post, p) if p.starts_with("/orders/") && p.ends_with("/cancel") => {
            let id = p.trim_start_matches("/orders/").trim_end_matches("/cancel");
            cancel_order(&ctx, env, &config, id, get("t").as_deref()).await
        }
        (Method::Get, p) if p.starts_with("/orders/") => show_order(&ctx, env, &config, p.trim_start_matches("/orders/"), &incoming.query).await,
        (Method::Get, p) if p.starts_with("/pay/sandbox/") => show_sandbox(&ctx, env, &config, p.trim_start_matches("/pay/sandbox/"), &incoming.query).await,
        (Method::Post, p) if p.starts_with("/pay/sandbox/") => {
            submit_sandbox(&ctx, env, &config, p.trim_start_matches("/pay/sandbox/"), get("result").as_deref(), get("t").as_deref()).await
        }
        _ => Err(AppError::NotFound),
    };
    result.unwrap_or_else(|e| error_page(&ctx, incoming, e))
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
    response.json::<CartReply>().await.map_err(|e| AppError::internal("cart reply", e))
}

async fn show_cart(ctx: &PageCtx, env: &Env, config: &Config, cart_id: Option<&CartId>) -> Result<Response, AppError> {
    let flash = flash_from_query(&ctx.query);
    let cart = match cart_id {
        Some(id) => match cart_call(env, id, &CartCall::View).await? {
            CartReply::Cart { cart } => Some(cart),
            _ => None,
        },
        None => None,
    };
    let cookies = match (&cart, cart_id) {
        (Some(c), Some(id)) => cart_cookies(ctx, config, id, c.item_count),
        _ => Vec::new(),
    };
    Ok(html(200, cart_page(ctx, cart.as_deref(), flash).into_string(), cookies.into_iter().map(|c| ("set-cookie", c)).collect()))
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

async fn change_line(ctx: &PageCtx, env: &Env, config: &Config, cart_id: Option<CartId>, variant_id: i64, quantity: i64, add: bool) -> Result<Response, AppError> {
    require_secret(config)?;
    let cart_id = match cart_id {
        Some(id) => id,
        None => new_cart_id()?,
    };
    let cart_path = ctx.href("/cart");
    let reply = cart_call(env, &cart_id, &CartCall::SetQuantity { variant_id, quantity, add }).await?;
    match reply {
        CartReply::Cart { cart } => Ok(redirect(&cart_path, cart_cookies(ctx, config, &cart_id, cart.item_count))),
        CartReply::Refused { refusal } => {
            let mut location = format!("{cart_path}?notice={}", refusal.code());
            if let Some(n) = refusal.available() {
                location.push_str(&format!("&available={n}"));
            }
            let cookies = refusal.cart().map_or_else(Vec::new, |cart| cart_cookies(ctx, config, &cart_id, cart.item_count));
            Ok(redirect(&location, cookies))
        }
        CartReply::Placed(_) | CartReply::Contents { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

/// A fresh cart id from the runtime's CSPRNG.
pub(super) fn new_cart_id() -> Result<CartId, AppError> {
    random::id().and_then(|id| CartId::parse(&id)).ok_or_else(|| AppError::Internal("no randomness".into()))
}

async fn show_checkout(ctx: &PageCtx, env: &Env, config: &Config, cart_id: Option<&CartId>, form: &CheckoutForm, errors: &[FieldError]) -> Result<Response, AppError> {
    let cart = match cart_id {
        Some(id) => match cart_call(env, id, &CartCall::View).await? {
            CartReply::Cart { cart } if !cart.lines.is_empty() => cart,
            _ => return Ok(redirect(&ctx.href("/cart"), Vec::new())),
        },
        None => return Ok(redirect(&ctx.href("/cart"), Vec::new())),
    };
    render_checkout(ctx, config, &cart, form, errors, None, if errors.is_empty() { 200 } else { 422 })
}

/// The checkout page for a cart already fetched (`coupon_tried`: a code the coupon box refused).
pub(super) fn render_checkout(
    ctx: &PageCtx,
    config: &Config,
    cart: &CartView,
    form: &CheckoutForm,
    errors: &[FieldError],
    coupon_tried: Option<&str>,
    status: u16,
) -> Result<Response, AppError> {
    let key = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let providers = config.providers();
    let view = CheckoutView { cart, form, errors, rates: config.rates, providers: &providers, idempotency_key: &key, coupon_tried };
    Ok(html(status, checkout_page(ctx, &view).into_string(), Vec::new()))
}

fn checkout_form(form: &Form) -> CheckoutForm {
    let get = |key: &str| form.value(key).to_string();
    CheckoutForm {
        email: get("email"),
        name: get("name"),
        phone: get("phone"),
        address: AddressForm {
            line1: get("address.line1"),
            ward: get("address.ward"),
            district: get("address.district"),
            province: get("address.province"),
            country: get("address.country"),
        },
        shipping_method: get("shipping_method"),
        payment_provider: get("payment_provider"),
        note: Some(get("note")),
    }
}

async fn submit_checkout(ctx: &PageCtx, env: &Env, config: &Config, cart_id: Option<&CartId>, pairs: &Form, customer_id: Option<String>, track: &super::track::Tracker<'_>) -> Result<Response, AppError> {
    require_secret(config)?;
    let Some(cart_id) = cart_id else { return Ok(redirect(&ctx.href("/cart"), Vec::new())) };
    let form = checkout_form(pairs);
    let request = match validate(&form, &config.providers()) {
        Ok(r) => r,
        Err(errors) => return show_checkout(ctx, env, config, Some(cart_id), &form, &errors).await,
    };
    let key = pairs.get("idempotency_key").map(str::to_string).filter(|k| !k.is_empty() && k.len() <= 64);
    let key = match key {
        Some(k) => k,
        None => random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
    };
    let call = CartCall::Checkout(Box::new(Submission { request, idempotency_key: key, locale: ctx.locale, account: customer_id }));
    match cart_call(env, cart_id, &call).await? {
        CartReply::Placed(placed) => {
            track.record(EventKind::CheckoutStarted, ProductRef::None, Some(&placed.order.id));
            let detail = load_order(env, &placed.order.id).await?.ok_or(AppError::NotFound)?;
            let location = pay_location(ctx, &detail, &placed.access_token).unwrap_or_else(|| order_location(ctx, &placed.order.id, &placed.access_token));
            Ok(redirect(&location, cart_cookies(ctx, config, cart_id, 0)))
        }
        // A code stopped applying (used up meanwhile, first order only…): the page says why.
        CartReply::Refused { refusal: CartError::CouponRejected { cart } } => render_checkout(ctx, config, &cart, &form, &[], None, 409),
        CartReply::Refused { .. } => Ok(redirect(&ctx.href("/cart"), Vec::new())),
        CartReply::Cart { .. } | CartReply::Contents { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

pub(super) fn order_location(ctx: &PageCtx, order_id: &str, token: &str) -> String {
    format!("{}?t={token}", ctx.href(&format!("/orders/{order_id}")))
}

/// Where the shopper pays a pending order: the provider's page for its pending payment.
fn pay_location(ctx: &PageCtx, detail: &OrderDetail, token: &str) -> Option<String> {
    if detail.order.status != OrderStatus::PendingPayment {
        return None;
    }
    let payment = detail.payments.iter().rev().find(|p| matches!(p.status, PaymentStatus::Pending | PaymentStatus::Failed))?;
    Some(format!("{}?t={token}", ctx.href(&format!("/pay/{}/{}", payment.provider, payment.id))))
}

pub(super) async fn load_order(env: &Env, order_id: &str) -> Result<Option<OrderDetail>, AppError> {
    if !is_cart_id(order_id) {
        return Ok(None);
    }
    let db = D1::open(env)?;
    let results = db.batch(&order_detail_batch(order_id)).await?;
    let [order, lines, events, payments] = results.as_slice() else { return Err(AppError::Internal("order batch".into())) };
    let Some(order) = order.decode::<OrderRow>()?.into_iter().next() else { return Ok(None) };
    let discounts = db.all(&crate::app::promotions::order_redemptions_sql(order_id)).await?;
    Ok(Some(OrderDetail { order, lines: lines.decode()?, events: events.decode()?, payments: payments.decode()?, discounts }))
}

/// The order, if the token is its access token; otherwise `NotFound` (never "forbidden": probing
/// ids must not tell which exist).
pub(super) async fn authorized_order(env: &Env, config: &Config, order_id: &str, token: Option<&str>) -> Result<OrderDetail, AppError> {
    let secret = require_secret(config)?;
    let token = token.ok_or(AppError::NotFound)?;
    if !verify_order_access_token(secret.as_bytes(), order_id, token) {
        return Err(AppError::NotFound);
    }
    load_order(env, order_id).await?.ok_or(AppError::NotFound)
}

async fn show_order(ctx: &PageCtx, env: &Env, config: &Config, order_id: &str, query: &str) -> Result<Response, AppError> {
    let token = query_param(query, "t");
    let detail = authorized_order(env, config, order_id, token.as_deref()).await?;
    let pay = token.as_deref().and_then(|t| pay_location(ctx, &detail, t));
    let declined = query_param(query, "payment").as_deref() == Some(PaymentStatus::Failed.code());
    let failure = super::payments::failure_text(ctx, &detail, query_param(query, "code").as_deref());
    let choice = PayChoice { providers: &config.providers(), failure: failure.as_deref() };
    Ok(html(200, order_page(ctx, &detail, pay.as_deref(), declined, token.as_deref().unwrap_or_default(), &choice).into_string(), Vec::new()))
}

/// The shopper cancels an unpaid order: its units go back on sale at once (once, like expiry).
async fn cancel_order(ctx: &PageCtx, env: &Env, config: &Config, order_id: &str, token: Option<&str>) -> Result<Response, AppError> {
    let detail = authorized_order(env, config, order_id, token).await?;
    let db = D1::open(env)?;
    db.batch(&crate::app::stock::cancel_unpaid_order(&detail.order.id, now(), "shopper", "cancelled by the shopper")).await?;
    Ok(redirect(&order_location(ctx, &detail.order.id, token.unwrap_or_default()), Vec::new()))
}

async fn sandbox_payment(env: &Env, config: &Config, payment_id: &str, token: Option<&str>) -> Result<(OrderDetail, PaymentRow), AppError> {
    if !is_cart_id(payment_id) {
        return Err(AppError::NotFound);
    }
    let db = D1::open(env)?;
    let payment: PaymentRow = db.all(&payment_by_id_sql(payment_id)).await?.into_iter().next().ok_or(AppError::NotFound)?;
    if payment.provider != "sandbox" {
        return Err(AppError::NotFound);
    }
    let detail = authorized_order(env, config, &payment.order_id, token).await?;
    Ok((detail, payment))
}

async fn show_sandbox(ctx: &PageCtx, env: &Env, config: &Config, payment_id: &str, query: &str) -> Result<Response, AppError> {
    let token = query_param(query, "t").unwrap_or_default();
    let (detail, payment) = sandbox_payment(env, config, payment_id, Some(&token)).await?;
    let action = ctx.href(&format!("/pay/sandbox/{payment_id}"));
    Ok(html(200, sandbox_page(ctx, &detail, &payment, &action, &token).into_string(), Vec::new()))
}

/// The sandbox's "Pay"/"Decline": it signs a notification exactly as a gateway would and feeds it
/// to the same webhook handler, then sends the shopper to the order page.
async fn submit_sandbox(ctx: &PageCtx, env: &Env, config: &Config, payment_id: &str, result: Option<&str>, token: Option<&str>) -> Result<Response, AppError> {
    let (detail, payment) = sandbox_payment(env, config, payment_id, token).await?;
    let secret = config.sandbox_secret.as_deref().ok_or(AppError::NotFound)?;
    let status = if result == Some(PaymentStatus::Succeeded.code()) { PaymentStatus::Succeeded } else { PaymentStatus::Failed };
    let notification = sandbox::Notification {
        event_id: random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
        amount: payment.amount,
        currency: payment.currency.clone(),
        status: status.code().into(),
    };
    let body = serde_json::to_string(&notification).map_err(|e| AppError::internal("notification", e))?;
    let header = sandbox::sign(secret.as_bytes(), now(), &body);
    sandbox_webhook(env, config, &body, Some(&header)).await?;
    let mut location = order_location(ctx, &detail.order.id, token.unwrap_or_default());
    if status == PaymentStatus::Failed {
        location.push_str("&payment=failed");
    }
    Ok(redirect(&location, Vec::new()))
}

/// `POST /webhooks/sandbox`: verify the signature on the raw body, then apply.
async fn sandbox_webhook(env: &Env, config: &Config, body: &str, header: Option<&str>) -> Result<Applied, AppError> {
    let secret = config.sandbox_secret.as_deref().ok_or(AppError::NotFound)?;
    let header = header.ok_or(AppError::Unauthorized)?;
    sandbox::verify(secret.as_bytes(), header, body, now()).map_err(|_| AppError::Unauthorized)?;
    let n: sandbox::Notification = serde_json::from_str(body)
        .map_err(|_| AppError::Invalid(vec![FieldError { field: "body", problem: crate::domain::listing::Problem::BadValue }]))?;
    // Only the two outcomes the provider defines; anything else is a malformed notification, not a
    // failed payment.
    let Some(outcome) = n.outcome() else {
        return Err(AppError::Invalid(vec![FieldError { field: "status", problem: crate::domain::listing::Problem::UnknownChoice }]));
    };
    let notice = PaymentNotice {
        provider: "sandbox",
        event_id: &n.event_id,
        payment_id: &n.payment_id,
        order_id: Some(&n.order_id),
        amount: n.amount,
        currency: &n.currency,
        outcome: &outcome,
        external_id: None,
        raw: body,
    };
    super::payments::apply(&D1::open(env)?, &notice).await.map_err(super::payments::rejection)
}

// ---------------------------------------------------------------------------------------------
// JSON API
// ---------------------------------------------------------------------------------------------

/// A refused cart call in the API: its status, and the error envelope with what the shopper needs
/// (`available`, the codes `rejected` and why, the cart as it is now).
fn refusal(refusal: &CartError) -> Response {
    let status = match refusal {
        CartError::NotFound | CartError::VariantNotFound | CartError::LineNotFound | CartError::CouponNotFound => 404,
        CartError::InsufficientStock { .. } | CartError::CartChanged { .. } | CartError::CartEmpty => 409,
        CartError::VariantUnavailable
        | CartError::InvalidQuantity
        | CartError::QuantityLimit { .. }
        | CartError::TooManyLines
        | CartError::CouponInvalid { .. }
        | CartError::TooManyCodes { .. }
        | CartError::CouponRejected { .. } => 422,
        CartError::Internal(_) => 500,
    };
    let mut error = json!({"code": refusal.code(), "message": refusal.message(), "fields": {}});
    if let Some(n) = refusal.available() {
        error["available"] = json!(n);
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

pub(super) fn reply_json(reply: CartReply, created: bool) -> Result<Response, AppError> {
    match reply {
        CartReply::Cart { cart } => Ok(json_response(if created { 201 } else { 200 }, &cart_json(&cart, None))),
        CartReply::Refused { refusal: refused } => Ok(refusal(&refused)),
        CartReply::Placed(_) | CartReply::Contents { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

async fn api(req: &Request, incoming: &Incoming, env: &Env, config: &Config, path: &str, body: &str, track: &super::track::Tracker<'_>) -> Result<Response, AppError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = incoming.method.clone();
    match (method, segments.as_slice()) {
        (Method::Post, ["api", "v1", "carts"]) => {
            let secret = require_secret(config)?;
            let id = new_cart_id()?;
            let token = cart_token(secret.as_bytes(), &id);
            match cart_call(env, &id, &CartCall::View).await? {
                CartReply::Cart { cart } => Ok(json_response(201, &cart_json(&cart, Some(&token)))),
                other => reply_json(other, false),
            }
        }
        (Method::Get, ["api", "v1", "carts", id]) => {
            let id = api_cart_id(req, config, id)?;
            reply_json(cart_call(env, &id, &CartCall::View).await?, false)
        }
        (Method::Post, ["api", "v1", "carts", id, "items"]) => {
            let id = api_cart_id(req, config, id)?;
            let item: ItemBody = parse_json(body)?;
            let (Some(variant_id), Some(quantity)) = (item.variant_id, item.quantity) else {
                return Err(AppError::Invalid(vec![
                    FieldError { field: "variant_id", problem: crate::domain::listing::Problem::Required },
                    FieldError { field: "quantity", problem: crate::domain::listing::Problem::Required },
                ]));
            };
            let reply = cart_call(env, &id, &CartCall::SetQuantity { variant_id, quantity, add: true }).await?;
            if matches!(reply, CartReply::Cart { .. }) {
                track.record(EventKind::AddedToCart, ProductRef::Variant(variant_id), None);
            }
            reply_json(reply, true)
        }
        (Method::Patch | Method::Delete, ["api", "v1", "carts", id, "items", line]) => {
            let id = api_cart_id(req, config, id)?;
            let variant_id: i64 = line.parse().map_err(|_| AppError::NotFound)?;
            let quantity = if incoming.method == Method::Delete {
                0
            } else {
                let item: ItemBody = parse_json(body)?;
                item.quantity.ok_or_else(|| AppError::Invalid(vec![FieldError { field: "quantity", problem: crate::domain::listing::Problem::Required }]))?
            };
            reply_json(cart_call(env, &id, &CartCall::SetQuantity { variant_id, quantity, add: false }).await?, false)
        }
        (Method::Post, ["api", "v1", "carts", id, "checkout"]) => {
            let id = api_cart_id(req, config, id)?;
            if let Some(wait) = crate::platform::rate_limit_do::check(env, req, Action::Checkout).await? {
                let body = json!({"error": {"code": "too_many_requests", "message": format!("Too many checkouts; retry in {wait} seconds."), "fields": {}}});
                let mut rendered = Rendered::new(429, JSON, body.to_string());
                rendered.headers.push(("retry-after", wait.to_string()));
                rendered.headers.push(("access-control-allow-origin", "*".into()));
                return Ok(respond(rendered, http_cache::NO_STORE, None));
            }
            let form: CheckoutForm = parse_json(body)?;
            let request = validate(&form, &config.providers())?;
            let key = req.headers().get("idempotency-key").ok().flatten().filter(|k| !k.is_empty() && k.len() <= 255);
            let key = match key {
                Some(k) => k,
                None => random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
            };
            // An app signed in with a bearer token places the order for its account (a bad token is a
            // 401, not a silent guest order); without one it is a guest order.
            let account = if req.headers().has("authorization").unwrap_or(false) {
                let db = D1::open(env)?;
                match super::api_auth::bearer_customer(req, &db, config).await? {
                    Ok(customer) => Some(customer.id),
                    Err(refusal) => return Ok(refusal),
                }
            } else {
                None
            };
            let call = CartCall::Checkout(Box::new(Submission { request, idempotency_key: key, locale: Locale::Vi, account }));
            match cart_call(env, &id, &call).await? {
                CartReply::Placed(placed) => {
                    let crate::app::checkout::Placed { order, access_token, .. } = *placed;
                    track.record(EventKind::CheckoutStarted, ProductRef::None, Some(&order.id));
                    let detail = load_order(env, &order.id).await?.ok_or(AppError::NotFound)?;
                    let ctx = PageCtx { locale: Locale::Vi, path: String::new(), query: String::new(), origin: incoming.origin.clone(), categories: Vec::new() };
                    let redirect_url = pay_location(&ctx, &detail, &access_token).map(|p| format!("{}{p}", incoming.origin));
                    let mut value = order_json(&detail);
                    value["order"]["access_token"] = json!(access_token);
                    value["payment"] = json!({"provider": order.payment_provider, "redirect_url": redirect_url});
                    Ok(json_response(201, &value))
                }
                other => reply_json(other, false),
            }
        }
        (Method::Get, ["api", "v1", "orders", id]) => {
            let token = req.headers().get("x-order-token").ok().flatten();
            // An app signed in with an access token reads its customer's orders without order tokens.
            if token.is_none() && req.headers().has("authorization").unwrap_or(false) {
                return super::api_auth::order_by_bearer(req, env, config, id).await;
            }
            let detail = authorized_order(env, config, id, token.as_deref()).await?;
            Ok(json_response(200, &order_json(&detail)))
        }
        (Method::Post, ["webhooks", "sandbox"]) => {
            let header = req.headers().get(sandbox::SIGNATURE_HEADER).ok().flatten();
            let applied = sandbox_webhook(env, config, body, header.as_deref()).await?;
            Ok(json_response(200, &json!({"received": true, "applied": format!("{applied:?}")})))
        }
        (Method::Post, ["internal", "carts", id, "alarm"]) => {
            internal_auth(req, config)?;
            let id = CartId::parse(id).ok_or(AppError::NotFound)?;
            reply_json(cart_call(env, &id, &CartCall::RunAlarm).await?, false)
        }
        (Method::Post, ["api", "v1", "carts", id, "coupons"]) => {
            let id = api_cart_id(req, config, id)?;
            super::promotions::api_apply(env, &id, body).await
        }
        (Method::Delete, ["api", "v1", "carts", id, "coupons", code]) => {
            let id = api_cart_id(req, config, id)?;
            reply_json(cart_call(env, &id, &CartCall::RemoveCode { code: (*code).to_string() }).await?, false)
        }
        (_, ["internal", "promotions", ..]) => {
            internal_auth(req, config)?;
            super::promotions::internal(req, incoming, env, &segments, body).await
        }
        (_, ["internal", "analytics" | "analytics.csv", ..]) => super::analytics::internal(req, incoming, env, &segments).await,
        (Method::Post, ["internal", "sweep"]) => {
            internal_auth(req, config)?;
            let report = crate::platform::sweep::run(env).await?;
            Ok(json_response(200, &report))
        }
        (_, ["api", "v1", "carts", ..] | ["api", "v1", "orders", ..] | ["webhooks", ..]) => Err(AppError::MethodNotAllowed),
        _ => Err(AppError::NotFound),
    }
}

pub(super) fn order_json(d: &OrderDetail) -> Value {
    let o = &d.order;
    json!({
        "order": {
            "id": o.id,
            "number": o.number,
            "status": o.status,
            "expires_at": rfc3339(o.expires_at),
            "paid_at": o.paid_at.map(rfc3339),
            "created_at": rfc3339(o.created_at),
            "currency": o.currency,
            "totals": {"subtotal": o.subtotal, "shipping": o.shipping_fee, "discount": o.discount, "total": o.total},
            "shipping_method": o.shipping_method,
            "payment_provider": o.payment_provider,
            "lines": d.lines.iter().map(|l| json!({
                "sku": l.sku, "variant_id": l.variant_id, "name": {"vi": l.name_vi, "en": l.name_en},
                "size": l.size, "color": l.color, "unit_price": l.unit_price, "quantity": l.quantity, "line_total": l.line_total,
                "discount": l.discount,
            })).collect::<Vec<_>>(),
            "discounts": d.discounts.iter().map(|r| json!({
                "promotion_id": r.promotion_id, "code": r.code, "class": r.class, "name": {"vi": r.name_vi, "en": r.name_en},
                "benefit": serde_json::from_str::<Value>(&r.benefit).unwrap_or(Value::Null), "amount": r.amount,
            })).collect::<Vec<_>>(),
            "events": d.events.iter().map(|e| json!({"at": rfc3339(e.at), "from": e.from_status, "to": e.to_status, "actor": e.actor, "reason": e.reason})).collect::<Vec<_>>(),
            "refunded_total": o.refunded_total,
            "payments": d.payments.iter().map(|p| json!({
                "id": p.id, "provider": p.provider, "amount": p.amount, "currency": p.currency, "status": p.status,
                "provider_amount": p.provider_amount, "provider_currency": p.provider_currency,
            })).collect::<Vec<_>>(),
        }
    })
}
