//! The orders area: a guest's order page (`/orders/{id}?t=…`), cancelling an unpaid order
//! (`POST /orders/{id}/cancel`) and the order as JSON (`GET /api/v1/orders/{id}`), each reached with
//! the order's access token (or, in the API, the account's bearer token); and the order reads the
//! other areas share (`load_order`, `authorized_order`, `order_json`, `order_location`).
//!
//! Anything not opened by its token is a 404, never "forbidden": probing ids must not tell which exist.

use serde_json::{json, Value};
use worker::{Env, Method, Request, Response};

use super::http::{html, json_response, not_served, query_param, redirect, require_secret, serve_machine, serve_page, Machine, Page};
use super::Incoming;
use crate::app::db::Db;
use crate::app::orders::{order_detail_batch, OrderDetail, OrderRow};
use crate::app::order_lookup::find_order;
use crate::domain::cart::{is_cart_id, verify_order_access_token};
use crate::domain::order_lookup::{self, LinkToken};
use crate::domain::throttle::Action;
use crate::domain::error::AppError;
use crate::domain::orders::OrderStatus;
use crate::domain::payments::PaymentStatus;
use crate::domain::time::rfc3339;
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::domain::payments::bank;
use crate::domain::payments::vietqr::{self, TransferMemo};
use crate::domain::recs::RecKind;
use crate::views::order::{order_page_recommended, BankTransfer, PayChoice};
use crate::views::tracking::{lookup_page, LookupView};
use crate::views::PageCtx;

/// The orders area's routes, each named here for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Get, ["orders", "lookup"]) => serve_page(req, incoming, env, "orders.lookup_form", lookup_form).await,
        (Method::Post, ["orders", "lookup"]) => serve_page(req, incoming, env, "orders.lookup", lookup_order).await,
        (Method::Post, ["orders", id @ .., "cancel"]) => serve_page(req, incoming, env, "orders.cancel", async |p| cancel_order(p, &id.join("/")).await).await,
        (Method::Get, ["orders", id, "invoice"]) => serve_page(req, incoming, env, "orders.invoice", async |p| show_invoice(p, id, false).await).await,
        (Method::Get, ["orders", id, "invoice.pdf"]) => serve_page(req, incoming, env, "orders.invoice_pdf", async |p| show_invoice(p, id, true).await).await,
        (Method::Post, ["orders", id @ .., "push"]) => serve_page(req, incoming, env, "orders.subscribe_push", async |p| subscribe_push(p, &id.join("/")).await).await,
        (Method::Get, ["orders", id @ ..]) => serve_page(req, incoming, env, "orders.show", async |p| show_order(p, &id.join("/")).await).await,
        (Method::Get, ["api", "v1", "orders", id]) => serve_machine(req, incoming, env, "api.orders.show", async |m| order_json_of(m, id).await).await,
        (_, ["api", "v1", "orders", _]) => {
            incoming.name("orders.unknown");
            not_served(incoming, Some("GET"))
        }
        (_, ["api", ..]) => {
            incoming.name("orders.unknown");
            not_served(incoming, None)
        }
        _ => serve_page(req, incoming, env, "orders.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

/// The order page's address, opened by the order's access token.
pub(super) fn order_location(ctx: &PageCtx, order_id: &str, token: &str) -> String {
    format!("{}?t={token}", ctx.href(&format!("/orders/{order_id}")))
}

/// Where the shopper pays a pending order: the provider's page for its pending payment.
pub(super) fn pay_location(ctx: &PageCtx, detail: &OrderDetail, token: &str) -> Option<String> {
    if detail.order.status != OrderStatus::PendingPayment {
        return None;
    }
    let payment = detail.payments.iter().rev().find(|p| matches!(p.status, PaymentStatus::Pending | PaymentStatus::Failed))?;
    // A bank transfer is paid from the order page itself (QR code and details).
    if payment.provider == crate::domain::payments::bank::PROVIDER {
        return None;
    }
    Some(format!("{}?t={token}", ctx.href(&format!("/pay/{}/{}", payment.provider, payment.id))))
}

/// The order with its lines, events, payments and discounts (`None` when there is no such order).
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
    let opens = match order_lookup::check_link_token(secret.as_bytes(), order_id, token, now()) {
        LinkToken::Other => verify_order_access_token(secret.as_bytes(), order_id, token),
        LinkToken::Valid => true,
        LinkToken::Expired | LinkToken::Forged => false,
    };
    if !opens {
        return Err(AppError::NotFound);
    }
    load_order(env, order_id).await?.ok_or(AppError::NotFound)
}

/// `GET /orders/lookup`: the form.
async fn lookup_form(p: &Page<'_>) -> Result<Response, AppError> {
    let view = LookupView { number: "", contact: "", errors: &[], not_found: false, expired: false };
    Ok(html(200, lookup_page(&p.ctx, &view).into_string(), Vec::new()))
}

/// `POST /orders/lookup` `number`, `contact`: the order page by a fresh signed link (303) when the
/// number and the phone or email belong together; otherwise the form again with one answer (404)
/// whether the number names no order or another contact's — nothing tells which numbers exist.
/// Rate-limited per client.
async fn lookup_order(p: &Page<'_>) -> Result<Response, AppError> {
    crate::platform::rate_limit_do::within(p.env, p.req, Action::OrderLookup).await?;
    let secret = require_secret(&p.config)?;
    let (number, contact) = (p.field("number").unwrap_or_default(), p.field("contact").unwrap_or_default());
    let lookup = match order_lookup::parse(&number, &contact) {
        Ok(lookup) => lookup,
        Err(errors) => {
            let view = LookupView { number: &number, contact: &contact, errors: &errors, not_found: false, expired: false };
            return Ok(html(422, lookup_page(&p.ctx, &view).into_string(), Vec::new()));
        }
    };
    match find_order(&D1::open(p.env)?, &lookup).await? {
        Some(id) => Ok(redirect(&order_location(&p.ctx, &id, &order_lookup::link_token(secret.as_bytes(), &id, now())), Vec::new())),
        None => {
            let view = LookupView { number: &number, contact: &contact, errors: &[], not_found: true, expired: false };
            Ok(html(404, lookup_page(&p.ctx, &view).into_string(), Vec::new()))
        }
    }
}

/// `GET /orders/{id}?t=…[&payment=failed&code=…]`.
async fn show_order(p: &Page<'_>, order_id: &str) -> Result<Response, AppError> {
    let (ctx, query) = (&p.ctx, &p.incoming.query);
    let token = query_param(query, "t");
    // A lookup link past its time: the lookup form again, saying so (410), rather than a bare 404.
    if let (Some(t), Some(secret)) = (token.as_deref(), p.config.shop_secret.as_deref()) {
        if order_lookup::check_link_token(secret.as_bytes(), order_id, t, now()) == LinkToken::Expired {
            let view = LookupView { number: "", contact: "", errors: &[], not_found: false, expired: true };
            return Ok(html(410, lookup_page(ctx, &view).into_string(), Vec::new()));
        }
    }
    let detail = authorized_order(p.env, &p.config, order_id, token.as_deref()).await?;
    let pay = token.as_deref().and_then(|t| pay_location(ctx, &detail, t));
    let declined = query_param(query, "payment").as_deref() == Some(PaymentStatus::Failed.code());
    let failure = super::payments::failure_text(ctx, &detail, query_param(query, "code").as_deref());
    let transfer = bank_transfer_of(&p.config, &detail);
    let bank = transfer.as_ref().map(|(memo, payload)| BankTransfer {
        bank_name: p.config.bank.as_ref().map_or("", |b| b.bank_name.as_str()),
        account_number: p.config.bank.as_ref().map_or("", |b| b.account.number()),
        account_name: p.config.bank.as_ref().map_or("", |b| b.account_name.as_str()),
        amount: detail.order.total,
        memo: memo.as_str(),
        payload: payload.as_str(),
    });
    let choice = PayChoice { providers: &p.config.online_providers(), failure: failure.as_deref(), bank };
    // Complements of what was ordered (`app::recs`); a failed read leaves them out.
    let variants: Vec<i64> = detail.lines.iter().map(|l| l.variant_id).collect();
    let recommended = match crate::platform::d1::D1::open(p.env) {
        Ok(db) => crate::app::recs::set_cards(&db, &variants, RecKind::BoughtTogether, crate::app::recs::CART_CARDS as i64).await.unwrap_or_else(|e| {
            worker::console_error!("order recommendations: {e}");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    let push_key = p.config.push.as_ref().map(|c| c.vapid.public_key.as_str());
    let body = order_page_recommended(ctx, &detail, pay.as_deref(), declined, token.as_deref().unwrap_or_default(), &choice, push_key, &recommended);
    Ok(html(200, body.into_string(), Vec::new()))
}

/// `GET /orders/{id}/invoice?t=…` and `/invoice.pdf?t=…`: the shopper's invoice, in the page's
/// language (the admin's invoice, `admin_orders::invoice_response`), once the sale took place.
async fn show_invoice(p: &Page<'_>, order_id: &str, pdf: bool) -> Result<Response, AppError> {
    let token = query_param(&p.incoming.query, "t");
    let detail = authorized_order(p.env, &p.config, order_id, token.as_deref()).await?;
    if !detail.order.status.has_invoice() {
        return Err(AppError::NotFound);
    }
    let pdf_url = crate::views::order::invoice_href(order_id, token.as_deref().unwrap_or_default(), p.ctx.locale, true);
    super::admin_orders::invoice_response(p.env, &detail, Some(p.ctx.locale), &pdf_url, pdf).await
}

/// The memo and VietQR payload of an order waiting for a bank transfer (its latest attempt is a
/// pending bank transfer and the shop's account is configured); `None` otherwise.
pub(super) fn bank_transfer_of(config: &Config, detail: &OrderDetail) -> Option<(String, String)> {
    let bank = config.bank.as_ref()?;
    if detail.order.status != OrderStatus::PendingPayment {
        return None;
    }
    let latest = detail.payments.iter().rev().find(|p| matches!(p.status, PaymentStatus::Pending | PaymentStatus::Failed))?;
    if latest.provider != bank::PROVIDER {
        return None;
    }
    let memo = TransferMemo::for_order(&detail.order.number).ok()?;
    let amount = u64::try_from(detail.order.total.minor()).ok()?;
    let payload = vietqr::payload(&bank.account, Some(amount), Some(&memo)).ok()?;
    Some((memo.as_str().to_string(), payload))
}

/// `POST /orders/{id}/cancel` `t`: the shopper cancels an unpaid order, or a cash-on-delivery order
/// before it ships; its units go back on sale at once (once, like expiry).
async fn cancel_order(p: &Page<'_>, order_id: &str) -> Result<Response, AppError> {
    let token = p.field("t");
    let detail = authorized_order(p.env, &p.config, order_id, token.as_deref()).await?;
    let db = D1::open(p.env)?;
    db.batch(&crate::app::cod::cancel_batch(&detail.order, "shopper", "cancelled by the shopper", now())).await?;
    Ok(redirect(&order_location(&p.ctx, &detail.order.id, token.as_deref().unwrap_or_default()), Vec::new()))
}

/// `POST /orders/{id}/push` `t`, `endpoint`, `p256dh`, `auth`: the browser follows the order by Web
/// Push (204). A subscription with an http, private or malformed endpoint, or bad keys, is a 422;
/// without Web Push configured, the route does not exist.
async fn subscribe_push(p: &Page<'_>, order_id: &str) -> Result<Response, AppError> {
    let push = p.config.push.as_ref().ok_or(AppError::NotFound)?;
    let token = p.field("t");
    let detail = authorized_order(p.env, &p.config, order_id, token.as_deref()).await?;
    let subscription = parse_subscription(|name| p.field(name), push)?;
    let owner = crate::app::push::Owner::Order(detail.order.id.clone());
    D1::open(p.env)?.batch(&crate::app::push::subscribe_batch(&subscription, &owner, p.ctx.locale.code(), now())).await?;
    Response::empty().map(|r| r.with_status(204)).map_err(|e| AppError::internal("response", e))
}

/// A posted subscription (`endpoint`, `p256dh`, `auth`), checked (`domain::webpush`); 422 with the
/// field at fault.
pub(super) fn parse_subscription(field: impl Fn(&str) -> Option<String>, push: &crate::app::push::PushConfig) -> Result<crate::domain::webpush::Subscription, AppError> {
    let value = |name: &str| field(name).unwrap_or_default();
    crate::domain::webpush::Subscription::parse(&value("endpoint"), &value("p256dh"), &value("auth"), &push.test_origins).map_err(|bad| {
        AppError::Unprocessable(vec![crate::domain::listing::FieldError { field: bad.field(), problem: crate::domain::listing::Problem::BadValue }])
    })
}

/// `GET /api/v1/orders/{id}` with `X-Order-Token`, or an app's bearer token for its customer's orders.
async fn order_json_of(m: &Machine<'_>, id: &str) -> Result<Response, AppError> {
    let token = m.req.headers().get("x-order-token").ok().flatten();
    if token.is_none() && m.req.headers().has("authorization").unwrap_or(false) {
        return super::api_auth::order_by_bearer(m.req, m.env, &m.config, id).await;
    }
    let detail = authorized_order(m.env, &m.config, id, token.as_deref()).await?;
    Ok(json_response(200, &order_json(&detail)))
}

/// Where the shopper goes once a payment ended: for an app's checkout its `return_url` (paid) or
/// `cancel_url` (failed or cancelled; the `return_url` when it gave none), with the order and the
/// outcome in the query; otherwise `page`, the order page.
pub(super) fn after_payment(order: &crate::app::orders::OrderRow, paid: bool, page: String) -> String {
    let app = if paid { order.return_url.as_deref() } else { order.cancel_url.as_deref().or(order.return_url.as_deref()) };
    app.map_or(page, |url| crate::domain::cors::app_redirect(url, &order.id, if paid { "paid" } else { "failed" }))
}

/// An order as the API shows it.
pub(super) fn order_json(d: &OrderDetail) -> Value {
    let o = &d.order;
    json!({
        "order": {
            "id": o.id,
            "number": o.number,
            "status": o.status,
            "payment_status": o.payment_status,
            "fulfillment_status": o.fulfillment_status,
            // Cash on delivery has no payment deadline.
            "expires_at": (o.payment_provider != crate::domain::checkout::COD).then(|| rfc3339(o.expires_at)),
            "paid_at": o.paid_at.map(rfc3339),
            "created_at": rfc3339(o.created_at),
            "currency": o.currency,
            "totals": {"subtotal": o.subtotal, "shipping": o.shipping_fee, "discount": o.discount, "total": o.total},
            "shipping_method": o.shipping_method,
            "payment_provider": o.payment_provider,
            "contact": {"name": o.name, "email": o.email, "phone": o.phone},
            "shipping_address": {
                "line1": o.address_line1, "ward": o.address_ward, "district": o.address_district, "province": o.address_province,
                "country": o.address_country, "province_code": o.address_province_code, "ward_code": o.address_ward_code,
                "postal_code": o.address_postal_code,
            },
            "note": o.note,
            // The parcel once the shop recorded its carrier and tracking number.
            "shipment": o.tracking_number.as_deref().filter(|t| !t.trim().is_empty()).map(|t| {
                let shipment = crate::domain::tracking::Shipment::new(o.carrier.as_deref().unwrap_or_default(), t);
                json!({"carrier": shipment.carrier, "tracking_number": shipment.tracking_number, "tracking_url": shipment.url})
            }),
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
