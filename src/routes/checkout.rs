//! The checkout area: the checkout form and its submission (`/checkout`), the API's checkout of a
//! cart (`POST /api/v1/carts/{id}/checkout`, routed by the cart area), and the sandbox provider's
//! pay page (`/pay/sandbox/{payment}`), which signs its notice as a gateway would.
//!
//! Placing the order is the cart object's `CartCall::Checkout`, carrying the validated
//! `CheckoutRequest`; the same idempotency key places one order.

use serde_json::json;
use worker::{Context, Env, Method, Request, Response};

use super::cart::{api_cart_id, cart_call, reply_json, shopper_cart};
use super::http::{cart_cookies, html, json_response, parse_json, query_param, redirect, require_secret, serve_page, Form, Machine, Page, SetCookie};
use super::orders::{authorized_order, load_order, order_json, order_location, pay_location};
use super::track::Tracker;
use super::Incoming;
use crate::app::analytics::ProductRef;
use crate::app::cart::{CartCall, CartError, CartReply, CartView};
use crate::app::checkout::{locate_address, Placed, Submission};
use crate::app::regions;
use crate::app::shipping::{destination_zone, ESTIMATE_ZONE};
use crate::domain::cart::cart_token;
use crate::domain::listing::Problem;
use crate::domain::money::Vnd;
use crate::domain::regions::{ProvinceCode, WardCode};
use crate::domain::checkout::ShippingMethod;
use crate::domain::shipping::Zone;
use crate::app::db::Db;
use crate::app::orders::{payment_by_id_sql, OrderDetail, PaymentRow};
use crate::app::prefill::{apply_choice, prefill, save_address_sql, AddressChoice, SavedAddress};
use crate::domain::analytics::EventKind;
use crate::domain::cart::{is_cart_id, CartId};
use crate::domain::checkout::{validate, AddressForm, CheckoutForm};
use crate::domain::error::AppError;
use crate::domain::http_cache;
use crate::domain::listing::FieldError;
use crate::domain::locale::Locale;
use crate::domain::payments::PaymentStatus;
use crate::domain::sandbox;
use crate::domain::session::{checkout_buyer, sign_in_again, Buyer};
use crate::domain::throttle::Action;
use crate::platform::accounts::{has_session_cookie, Shopper};
use crate::platform::config::{now, Config};
use crate::platform::security::SESSION_COOKIE;
use crate::platform::d1::D1;
use crate::platform::edge_cache::{respond, Rendered};
use crate::platform::random;
use crate::views::account::paths as account_paths;
use crate::views::checkout::{checkout_page, CheckoutView};
use crate::views::order::sandbox_page;
use crate::views::PageCtx;

const JSON: &str = "application/json; charset=utf-8";

/// The checkout area's routes, each named here for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env, wctx: &Context) -> Response {
    let track = Tracker::new(env, wctx, incoming);
    let track = &track;
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Get, ["checkout"]) => serve_page(req, incoming, env, "checkout.form", checkout_form).await,
        (Method::Post, ["checkout"]) => serve_page(req, incoming, env, "checkout.submit", async |p| submit_checkout(p, track).await).await,
        (Method::Get, ["pay", "sandbox", payment @ ..]) => {
            serve_page(req, incoming, env, "checkout.sandbox_page", async |p| sandbox_pay_page(p, &payment.join("/")).await).await
        }
        (Method::Post, ["pay", "sandbox", payment @ ..]) => {
            serve_page(req, incoming, env, "checkout.sandbox_pay", async |p| sandbox_pay(p, &payment.join("/")).await).await
        }
        _ => serve_page(req, incoming, env, "checkout.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

/// `GET /checkout`. If the shopper's session has ended, the page says so before anything is typed.
async fn checkout_form(p: &Page<'_>) -> Result<Response, AppError> {
    let (cart_id, shopper) = shopper_cart(p, false).await?;
    let ended = session_ended(p, shopper.as_ref());
    // Signed in: the profile's contact details and the default saved address, ready to order.
    let book = address_book(p, shopper.as_ref()).await?;
    let (form, choice) = match &shopper {
        Some(s) => prefill(&s.customer, &book),
        None => (CheckoutForm::default(), String::new()),
    };
    let saved = Saved { book: &book, choice: &choice, save: false };
    show_checkout(p, cart_id.as_ref(), &form, &[], ended, &saved, 200).await
}

/// The signed-in shopper's saved addresses (none for a guest).
async fn address_book(p: &Page<'_>, shopper: Option<&Shopper>) -> Result<Vec<SavedAddress>, AppError> {
    match shopper {
        Some(s) => Ok(D1::open(p.env)?.all(&crate::app::address_book::addresses_sql(&s.customer.id)).await?),
        None => Ok(Vec::new()),
    }
}

/// The address book as the checkout page offers it: the addresses, the chosen one (an id,
/// `NEW_ADDRESS`, or empty for a guest) and whether a new address is to be saved.
#[derive(Clone, Copy)]
struct Saved<'a> {
    book: &'a [SavedAddress],
    choice: &'a str,
    save: bool,
}

const NO_BOOK: Saved<'static> = Saved { book: &[], choice: "", save: false };

/// The request names a session (its cookie) that is no longer alive: it was signed in on this
/// device and is not any more.
fn session_ended(p: &Page<'_>, shopper: Option<&Shopper>) -> bool {
    shopper.is_none() && has_session_cookie(p.req)
}

/// The checkout page for the shopper's cart (back to the cart when it is empty), its shipping
/// priced for the place the form names; `ended`: it asks to sign in again or go on as a guest.
async fn show_checkout(p: &Page<'_>, cart_id: Option<&CartId>, form: &CheckoutForm, errors: &[FieldError], ended: bool, saved: &Saved<'_>, status: u16) -> Result<Response, AppError> {
    let ctx = &p.ctx;
    let Some(id) = cart_id else { return Ok(redirect(&ctx.href("/cart"), Vec::new())) };
    let db = D1::open(p.env)?;
    let zone = form_zone(&db, &p.config, form).await?;
    let cart = match cart_call(p.env, id, &CartCall::Quote { zone }).await? {
        CartReply::Cart { cart } if !cart.lines.is_empty() => cart,
        _ => return Ok(redirect(&ctx.href("/cart"), Vec::new())),
    };
    let sign_in = ended.then(|| sign_in_again(&ctx.href(account_paths::LOGIN), &ctx.href("/checkout")));
    let status = if errors.is_empty() { status } else { 422 };
    render(p.env, ctx, &p.config, Shown { cart: &cart, form, errors, coupon_tried: None, sign_in_again: sign_in.as_deref(), saved: *saved, notice: None }, status).await
}

/// The shipping zone of the place a checkout form names so far (the estimate zone while a
/// Vietnamese address has no province yet).
async fn form_zone(db: &D1, config: &Config, form: &CheckoutForm) -> Result<Zone, AppError> {
    let country = form.address.country.trim().to_ascii_uppercase();
    let country = if country.is_empty() { "VN".to_string() } else { country };
    let province = ProvinceCode::parse(form.address.province_code.trim());
    if country == "VN" && province.is_none() {
        return Ok(ESTIMATE_ZONE);
    }
    Ok(destination_zone(db, &config.shipping, &country, province.as_ref()).await?)
}

/// What the checkout page shows besides the cart's own figures.
struct Shown<'a> {
    cart: &'a CartView,
    form: &'a CheckoutForm,
    errors: &'a [FieldError],
    coupon_tried: Option<&'a str>,
    sign_in_again: Option<&'a str>,
    saved: Saved<'a>,
    /// Why the page is shown again instead of placing the order (the total changed).
    notice: Option<&'a str>,
}

/// The checkout page for a cart already fetched (`coupon_tried`: a code the coupon box refused).
#[expect(clippy::too_many_arguments, reason = "the page's parts, each from a different caller's state")]
pub(super) async fn render_checkout(
    env: &Env,
    ctx: &PageCtx,
    config: &Config,
    cart: &CartView,
    form: &CheckoutForm,
    errors: &[FieldError],
    coupon_tried: Option<&str>,
    status: u16,
) -> Result<Response, AppError> {
    render(env, ctx, config, Shown { cart, form, errors, coupon_tried, sign_in_again: None, saved: NO_BOOK, notice: None }, status).await
}

async fn render(env: &Env, ctx: &PageCtx, config: &Config, shown: Shown<'_>, status: u16) -> Result<Response, AppError> {
    let key = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let providers = config.providers();
    // The provinces, and the wards of the one chosen (a list the page works with without
    // JavaScript).
    let db = D1::open(env)?;
    let provinces = regions::provinces(&db).await?;
    let wards = match ProvinceCode::parse(shown.form.address.province_code.trim()) {
        Some(code) => regions::wards(&db, &code).await?.unwrap_or_default(),
        None => Vec::new(),
    };
    let cart_id = CartId::parse(&shown.cart.id);
    let token = match (cart_id.as_ref(), config.shop_secret.as_deref()) {
        (Some(id), Some(secret)) => Some(cart_token(secret.as_bytes(), id)),
        _ => None,
    };
    let view = CheckoutView {
        cart: shown.cart,
        form: shown.form,
        errors: shown.errors,
        free_standard_from: config.shipping.free_standard_from,
        provinces: &provinces,
        wards: &wards,
        quote_url: cart_id.map(|id| format!("/api/v1/carts/{id}/shipping-quote")),
        cart_token: token,
        notice: shown.notice,
        providers: &providers,
        idempotency_key: &key,
        coupon_tried: shown.coupon_tried,
        sign_in_again: shown.sign_in_again,
        saved_addresses: shown.saved.book,
        address_choice: shown.saved.choice,
        save_address: shown.saved.save,
    };
    Ok(html(status, checkout_page(ctx, &view).into_string(), Vec::new()))
}

/// The checkout form's fields as they were typed.
fn parse_checkout_form(form: &Form) -> CheckoutForm {
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
            province_code: get("address.province_code"),
            ward_code: get("address.ward_code"),
            postal_code: get("address.postal_code"),
        },
        shipping_method: get("shipping_method"),
        payment_provider: get("payment_provider"),
        note: Some(get("note")),
    }
}

/// `POST /checkout`: places the order (once per idempotency key) and sends the shopper to pay it,
/// or back to the form with what to fix.
async fn submit_checkout(p: &Page<'_>, track: &Tracker<'_>) -> Result<Response, AppError> {
    let (cart_id, shopper) = shopper_cart(p, false).await?;
    crate::platform::rate_limit_do::within(p.env, p.req, Action::Checkout).await?;
    let (ctx, config) = (&p.ctx, &p.config);
    require_secret(config)?;
    let Some(cart_id) = cart_id.as_ref() else { return Ok(redirect(&ctx.href("/cart"), Vec::new())) };
    let mut form = parse_checkout_form(&p.form);
    // Signed in: a saved address chosen replaces the address fields (only one of theirs).
    let book = address_book(p, shopper.as_ref()).await?;
    let choice_field = p.form.value("saved_address").to_string();
    let choice = if shopper.is_some() { apply_choice(&mut form, &choice_field, p.form.value("save_address") == "1", &book) } else { AddressChoice::New { save: false } };
    let saved = Saved { book: &book, choice: &choice_field, save: choice == AddressChoice::New { save: true } };
    // "Update": the lists and fees for the place chosen, nothing placed (the page without
    // JavaScript).
    if p.form.value("refresh") == "1" {
        return show_checkout(p, Some(cart_id), &form, &[], session_ended(p, shopper.as_ref()), &saved, 200).await;
    }
    // A signed-in shopper's order is theirs at once (guest orders attach once the email is
    // verified). A form sent after the session ended is not silently turned into a guest order:
    // the page asks first, and its button then says "as a guest".
    let ended = session_ended(p, shopper.as_ref());
    let buyer = checkout_buyer(shopper.map(|s| s.customer.id), ended, p.form.value("as_guest") == "1");
    let mut request = match validate(&form, &config.providers()) {
        Ok(r) => r,
        Err(errors) => return show_checkout(p, Some(cart_id), &form, &errors, buyer == Buyer::AskFirst, &saved, 422).await,
    };
    request.ad_consent = advertising_consent(p.req);
    if let Err(errors) = locate_address(&D1::open(p.env)?, &mut request.address).await? {
        return show_checkout(p, Some(cart_id), &form, &errors, buyer == Buyer::AskFirst, &saved, 422).await;
    }
    // The total the page showed: the order is placed only at that total.
    let expected_total = p.form.value("expected_total").trim().parse::<i64>().ok().map(Vnd::new);
    let account = match buyer {
        Buyer::Account(id) => Some(id),
        Buyer::Guest => None,
        Buyer::AskFirst => return show_checkout(p, Some(cart_id), &form, &[], true, &saved, 409).await,
    };
    // The new address to add to the book once the order is placed.
    let to_save = match (&account, &choice) {
        (Some(customer), AddressChoice::New { save: true }) => {
            let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
            save_address_sql(&id, customer, &request, &book, now())
        }
        _ => None,
    };
    let key = p.form.get("idempotency_key").map(str::to_string).filter(|k| !k.is_empty() && k.len() <= 64);
    let key = match key {
        Some(k) => k,
        None => random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
    };
    let client_ip = client_ip(p.req);
    let call = CartCall::Checkout(Box::new(Submission { request, idempotency_key: key, locale: ctx.locale, account, client_ip, expected_total, fingerprint: None }));
    match cart_call(p.env, cart_id, &call).await? {
        CartReply::Placed(placed) => {
            track.record(EventKind::CheckoutStarted, ProductRef::None, Some(&placed.order.id));
            // The order is placed whatever happens to the book: a failure to save is logged.
            if let (Some(sql), false) = (to_save, placed.replayed) {
                if let Err(e) = D1::open(p.env)?.batch(&[sql]).await {
                    worker::console_error!("saving the checkout's address for {}: {e:?}", placed.order.id);
                }
            }
            let detail = load_order(p.env, &placed.order.id).await?.ok_or(AppError::NotFound)?;
            let location = pay_location(ctx, &detail, &placed.access_token).unwrap_or_else(|| order_location(ctx, &placed.order.id, &placed.access_token));
            let mut cookies = cart_cookies(ctx, config, cart_id, 0);
            if ended {
                // Placed as a guest by choice: the ended session's cookie goes.
                cookies.push(SetCookie::removal(SESSION_COOKIE, "/", ctx.origin.starts_with("https://")).to_string());
            }
            Ok(redirect(&location, cookies))
        }
        // A code stopped applying (used up meanwhile, first order only…): the page says why.
        CartReply::Refused { refusal: CartError::CouponRejected { cart } } => render_checkout(p.env, ctx, config, &cart, &form, &[], None, 409).await,
        // Cash on delivery refused (abroad, above the limit, too many open): the form says why and
        // names the other methods.
        CartReply::Refused { refusal: CartError::CodUnavailable(r) } => {
            let errors = [FieldError { field: "payment_provider", problem: Problem::CodUnavailable(r) }];
            show_checkout(p, Some(cart_id), &form, &errors, false, &saved, 422).await
        }
        // The method is not offered there, or the total is not the one the page showed: the page
        // again, priced for this place, saying so.
        CartReply::Refused { refusal: CartError::ShippingUnavailable { cart } } => {
            let errors = [FieldError { field: "shipping_method", problem: Problem::UnknownChoice }];
            render(p.env, ctx, config, Shown { cart: &cart, form: &form, errors: &errors, coupon_tried: None, sign_in_again: None, saved, notice: None }, 422).await
        }
        CartReply::Refused { refusal: CartError::TotalChanged { cart } } => {
            let notice = ctx.locale.pick(
                "Phí giao hàng hoặc tổng tiền đã thay đổi theo địa chỉ và cách giao bạn chọn. Vui lòng kiểm tra lại tổng tiền rồi đặt hàng.",
                "The shipping fee or total changed with the address and method you chose. Please check the total, then place the order.",
            );
            render(p.env, ctx, config, Shown { cart: &cart, form: &form, errors: &[], coupon_tried: None, sign_in_again: None, saved, notice: Some(notice) }, 409).await
        }
        CartReply::Refused { .. } => Ok(redirect(&ctx.href("/cart"), Vec::new())),
        CartReply::Cart { .. } | CartReply::Contents { .. } | CartReply::Replayed { .. } => Err(AppError::Internal("unexpected cart reply".into())),
    }
}

/// Whether the buyer's consent cookie (`domain::ad_tags::CONSENT_COOKIE`) grants advertising: the
/// order records it, and only then is its payment reported to Meta's Conversions API.
fn advertising_consent(req: &worker::Request) -> bool {
    crate::domain::ad_tags::Choice::from_cookie_header(&super::http::header(req, "cookie").unwrap_or_default()).advertising
}

/// `POST /api/v1/carts/{id}/checkout` (a `CheckoutForm` as JSON, `Idempotency-Key`): the order, its
/// access token and where to pay it (201), or the cart's refusal.
pub(super) async fn submit_checkout_json(m: &Machine<'_>, id: &str, track: &Tracker<'_>) -> Result<Response, AppError> {
    let (req, env, config, incoming) = (m.req, m.env, &m.config, m.incoming);
    let id = api_cart_id(req, config, id)?;
    let standing = crate::platform::rate_limit_do::standing(env, req, Action::Checkout).await?;
    incoming.add_headers(standing.headers());
    if let Some(wait) = standing.retry_after {
        let body = json!({"error": {"code": "too_many_requests", "message": format!("Too many checkouts; retry in {wait} seconds."), "fields": {}}});
        let mut rendered = Rendered::new(429, JSON, body.to_string());
        rendered.headers.push(("retry-after", wait.to_string()));
        return Ok(respond(rendered, http_cache::NO_STORE, None));
    }
    let form: CheckoutForm = parse_json(&m.body)?;
    let mut request = validate(&form, &config.providers())?;
    // An app's checkout may name where the shopper goes after paying: only an allowed app origin's
    // URL or a registered app scheme's (400 naming the field otherwise).
    let fields = serde_json::from_str::<serde_json::Value>(&m.body).ok();
    let app_url = |field: &'static str| -> Result<Option<String>, AppError> {
        match fields.as_ref().and_then(|v| v.get(field)).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(|u| crate::domain::cors::app_return_url(u, &config.api_allowed_origins, &config.api_app_schemes))
                .map(Some)
                .ok_or_else(|| AppError::Invalid(vec![FieldError { field, problem: Problem::BadValue }])),
        }
    };
    request.return_url = app_url("return_url")?;
    request.cancel_url = app_url("cancel_url")?;
    request.ad_consent = advertising_consent(req);
    locate_address(&D1::open(env)?, &mut request.address).await?.map_err(AppError::Unprocessable)?;
    // Optional: the total the client showed; the order is placed only at that total.
    let expected_total = serde_json::from_str::<serde_json::Value>(&m.body).ok().and_then(|v| v["expected_total"].as_i64()).map(Vnd::new);
    let key = crate::domain::http::idempotency_key(req.headers().get("idempotency-key").ok().flatten().as_deref()).map(str::to_string);
    // With a key, the request's fingerprint: the key used again with another body is refused.
    let fingerprint = key.as_ref().map(|_| crate::domain::http::request_fingerprint(&m.body));
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
    let client_ip = client_ip(req);
    let call = CartCall::Checkout(Box::new(Submission { request, idempotency_key: key, locale: Locale::Vi, account, client_ip, expected_total, fingerprint }));
    match cart_call(env, &id, &call).await? {
        CartReply::Placed(placed) => {
            let Placed { order, access_token, replayed, .. } = *placed;
            if !replayed {
                track.record(EventKind::CheckoutStarted, ProductRef::None, Some(&order.id));
            }
            let detail = load_order(env, &order.id).await?.ok_or(AppError::NotFound)?;
            let redirect_url = pay_location(&api_ctx(incoming), &detail, &access_token).map(|p| format!("{}{p}", incoming.origin));
            let mut value = order_json(&detail);
            value["order"]["access_token"] = json!(access_token);
            value["payment"] = json!({"provider": order.payment_provider, "redirect_url": redirect_url});
            let response = json_response(201, &value);
            Ok(if replayed { super::cart::replayed(response) } else { response })
        }
        CartReply::Refused { refusal: CartError::CodUnavailable(r) } => {
            let others = config.online_providers();
            let field = crate::views::i18n::EN.field_error(&FieldError { field: "payment_provider", problem: Problem::CodUnavailable(r) });
            let mut error = json!({"code": "cod_unavailable", "message": r.message(), "fields": {"payment_provider": field}, "other_methods": others});
            if let Ok(serde_json::Value::Object(reason)) = serde_json::to_value(r) {
                for (k, v) in reason {
                    error[k] = v;
                }
            }
            Ok(json_response(422, &json!({"error": error})))
        }
        other => reply_json(other, false),
    }
}

/// The body of `POST /api/v1/carts/{id}/shipping-quote`.
#[derive(serde::Deserialize, Default)]
struct QuoteBody {
    #[serde(default)]
    province_code: String,
    #[serde(default)]
    ward_code: String,
    #[serde(default)]
    country: String,
}

/// `POST /api/v1/carts/{id}/shipping-quote` `{province_code, ward_code, country}`: the methods
/// offered to that place for this cart, `{"methods":[{code, name, fee, eta_days, discount, total}]}`
/// (`fee` after the free-shipping threshold, `discount` what shipping promotions take off it,
/// `total` the order's total with that method). In Vietnam the province is required and the ward,
/// when given, must be one of its wards (422 with field errors); abroad neither is looked at.
pub(super) async fn shipping_quote_json(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let (req, env, config) = (m.req, m.env, &m.config);
    let id = api_cart_id(req, config, id)?;
    let body: QuoteBody = if m.body.trim().is_empty() { QuoteBody::default() } else { parse_json(&m.body)? };
    let country = body.country.trim().to_ascii_uppercase();
    let country = if country.is_empty() { "VN".to_string() } else { country };
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(vec![FieldError { field: "country", problem: Problem::BadValue }].into());
    }
    let db = D1::open(env)?;
    let province = if country == "VN" {
        let (code, ward) = (body.province_code.trim(), body.ward_code.trim());
        let Some(province) = ProvinceCode::parse(code) else {
            let problem = if code.is_empty() { Problem::Required } else { Problem::UnknownChoice };
            return Err(vec![FieldError { field: "province_code", problem }].into());
        };
        let known = if ward.is_empty() {
            regions::wards(&db, &province).await?.is_some()
        } else {
            match WardCode::parse(ward) {
                Some(w) => regions::locate(&db, &province, &w).await?.is_some(),
                None => false,
            }
        };
        if !known {
            // Which one is wrong: the province, or a ward not in it.
            let field = if !ward.is_empty() && regions::wards(&db, &province).await?.is_some() { "ward_code" } else { "province_code" };
            return Err(AppError::Unprocessable(vec![FieldError { field, problem: Problem::UnknownChoice }]));
        }
        Some(province)
    } else {
        None
    };
    let zone = destination_zone(&db, &config.shipping, &country, province.as_ref()).await?;
    let cart = match cart_call(env, &id, &CartCall::Quote { zone }).await? {
        CartReply::Cart { cart } => cart,
        other => return reply_json(other, false),
    };
    let d = &cart.discounts;
    let methods: Vec<serde_json::Value> = cart
        .shipping
        .iter()
        .map(|q| {
            let off = d.shipping.iter().find(|x| x.method == q.method.code() && x.fee == q.fee).map_or(Vnd::ZERO, |x| x.discount);
            let total = cart.subtotal.saturating_sub(d.items_discount).saturating_add(q.fee.saturating_sub(off));
            json!({
                "code": q.method.code(),
                "name": method_name_vi(q.method),
                "fee": q.fee,
                "eta_days": q.eta_days,
                "discount": off,
                "total": total,
            })
        })
        .collect();
    Ok(json_response(200, &json!({"zone": zone.code(), "weight_grams": cart.weight_grams, "methods": methods})))
}

/// A method's name in the API (Vietnamese, as the API's other names are).
fn method_name_vi(method: ShippingMethod) -> &'static str {
    match method {
        ShippingMethod::Standard => "Tiêu chuẩn",
        ShippingMethod::Express => "Hoả tốc",
    }
}

// ---------------------------------------------------------------------------------------------
// The sandbox provider's pay page
// ---------------------------------------------------------------------------------------------

/// The sandbox payment `payment_id` and its order, if `token` opens the order; else `NotFound`.
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

/// `GET /pay/sandbox/{payment}?t=…`: the sandbox's "Pay" and "Decline".
async fn sandbox_pay_page(p: &Page<'_>, payment_id: &str) -> Result<Response, AppError> {
    let token = query_param(&p.incoming.query, "t").unwrap_or_default();
    let (detail, payment) = sandbox_payment(p.env, &p.config, payment_id, Some(&token)).await?;
    let action = p.ctx.href(&format!("/pay/sandbox/{payment_id}"));
    Ok(html(200, sandbox_page(&p.ctx, &detail, &payment, &action, &token).into_string(), Vec::new()))
}

/// `POST /pay/sandbox/{payment}` `result`, `t`: signs a notification exactly as a gateway would and
/// applies it as the sandbox webhook does, then sends the shopper to the order page.
async fn sandbox_pay(p: &Page<'_>, payment_id: &str) -> Result<Response, AppError> {
    let (result, token) = (p.field("result"), p.field("t"));
    let token = token.as_deref();
    let (detail, payment) = sandbox_payment(p.env, &p.config, payment_id, token).await?;
    let secret = p.config.sandbox_secret.as_deref().ok_or(AppError::NotFound)?;
    let status = if result.as_deref() == Some(PaymentStatus::Succeeded.code()) { PaymentStatus::Succeeded } else { PaymentStatus::Failed };
    let notification = sandbox::Notification {
        event_id: random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?,
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
        amount: payment.amount.minor(),
        currency: payment.currency.code().into(),
        status: status.code().into(),
    };
    let body = serde_json::to_string(&notification).map_err(|e| AppError::internal("notification", e))?;
    let header = sandbox::sign(secret.as_bytes(), now(), &body);
    super::webhooks::apply_sandbox_notice(p.env, &p.config, &body, Some(&header)).await?;
    let mut location = order_location(&p.ctx, &detail.order.id, token.unwrap_or_default());
    if status == PaymentStatus::Failed {
        location.push_str("&payment=failed");
    }
    Ok(redirect(&super::orders::after_payment(&detail.order, status == PaymentStatus::Succeeded, location), Vec::new()))
}

/// The client's address (`cf-connecting-ip`), for the open-COD limit per client.
fn client_ip(req: &Request) -> Option<String> {
    req.headers().get("cf-connecting-ip").ok().flatten().filter(|ip| !ip.is_empty() && ip.len() <= 64)
}

/// The page context a JSON answer builds its links with (the API's orders are in Vietnamese).
fn api_ctx(incoming: &Incoming) -> PageCtx {
    PageCtx { locale: Locale::Vi, path: String::new(), query: String::new(), origin: incoming.origin.clone(), categories: Vec::new(), shop: Default::default() }
}
