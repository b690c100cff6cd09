//! The shopper's alerts (issue 14, docs/NOTIFICATIONS.md): the product page's forms.
//!
//! - `POST /alerts/stock` (`variant_id`, `email`): "báo khi có hàng" on a variant → 200 page;
//! - `POST /alerts/price` (`variant_id`, `email`): watch a variant's price → 200 page;
//! - `GET /email/preferences?t=` and `GET /email/unsubscribe?t=`: the signed preferences page;
//!   `POST /email/preferences` (`t`, `choice` = `unsubscribe` | `subscribe`, with the CSRF token);
//! - `POST /email/unsubscribe?t=`: RFC 8058 one-click unsubscribe, posted by the mailbox provider
//!   (no cookie, no CSRF token: the signed token is the authority) → 200 text.
//!
//! - `POST /newsletter` (`email`, from the footer; same-origin check, no CSRF token) → 200 page and
//!   the double opt-in mail; `GET /newsletter/confirm?t=` → subscribed.
//!
//! A token whose signature does not hold is a 400 and changes nothing.
//! An invalid email is a 422 naming the field; an unknown or inactive variant a 404; too many
//! signups from one client a 429 (each can mail a stranger).

use worker::{Env, Method, Request, Response};

use super::http::{html, plain, serve_page, Page};
use super::Incoming;
use crate::app::alerts::{push_endpoint_known_sql, signup_recipient, subscribe_sql, AlertKind};
use crate::app::consent::{self, consent_sql, Consent};
use crate::app::db::Db;
use crate::domain::checkout::Email;
use crate::domain::error::AppError;
use crate::domain::listing::{percent_encode, FieldError, Problem};
use crate::domain::http::query_param;
use crate::domain::notify::{newsletter_token, verify_newsletter_token, verify_preferences_token, Channel, NEWSLETTER_LINK_SECONDS};
use crate::domain::throttle::Action;
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::platform::rate_limit_do;

pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let local = crate::domain::locale::Locale::split_path(&incoming.path).1.to_string();
    match (incoming.method.clone(), local.as_str()) {
        (Method::Post, "/alerts/stock") => serve_page(req, incoming, env, "alerts.stock", async |p| subscribe(p, AlertKind::BackInStock).await).await,
        (Method::Post, "/alerts/price") => serve_page(req, incoming, env, "alerts.price", async |p| subscribe(p, AlertKind::PriceDrop).await).await,
        (_, "/alerts/stock" | "/alerts/price") => serve_page(req, incoming, env, "alerts.unknown", async |_| Err(AppError::MethodNotAllowed)).await,
        (Method::Get | Method::Head, "/email/preferences" | "/email/unsubscribe") => serve_page(req, incoming, env, "email.preferences", async |p| preferences(p, None).await).await,
        (Method::Post, "/email/preferences") => serve_page(req, incoming, env, "email.preferences_update", update_preferences).await,
        (Method::Post, "/email/unsubscribe") => one_click(incoming, env).await,
        (Method::Post, "/newsletter") => newsletter_signup(req, incoming, env).await,
        (Method::Get | Method::Head, "/newsletter/confirm") => serve_page(req, incoming, env, "newsletter.confirm", newsletter_confirm).await,
        (_, "/newsletter" | "/newsletter/confirm") => serve_page(req, incoming, env, "newsletter.unknown", async |_| Err(AppError::MethodNotAllowed)).await,
        (_, "/email/preferences" | "/email/unsubscribe") => serve_page(req, incoming, env, "email.unknown", async |_| Err(AppError::MethodNotAllowed)).await,
        _ => serve_page(req, incoming, env, "alerts.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

#[derive(serde::Deserialize)]
struct Landing {
    slug: String,
    sku: String,
}

/// Records the form's subscription for the visitor's language.
async fn subscribe(p: &Page<'_>, kind: AlertKind) -> Result<Response, AppError> {
    let Some(variant_id) = p.field("variant_id").and_then(|v| v.parse::<i64>().ok()) else {
        return Err(AppError::Unprocessable(vec![FieldError { field: "variant_id", problem: Problem::NotANumber }]));
    };
    let field = |name: &str| p.field(name).unwrap_or_default();
    let zns_alerts = p.config.zns.as_ref().is_some_and(|z| z.alert_template_id.is_some());
    let (channel, recipient) = signup_recipient(&field("channel"), &field("email"), &field("phone"), &field("endpoint"), zns_alerts).map_err(|e| AppError::Unprocessable(vec![e]))?;
    rate_limit_do::within(p.env, p.req, Action::Subscribe).await?;
    let db = D1::open(p.env)?;
    // By push only to a browser that opted in (its keys are the subscription's).
    if channel == Channel::Push {
        #[derive(serde::Deserialize)]
        struct Known {
            n: i64,
        }
        if db.first::<Known>(&push_endpoint_known_sql(&recipient)).await?.is_none_or(|k| k.n == 0) {
            return Err(AppError::Unprocessable(vec![FieldError { field: "endpoint", problem: Problem::BadValue }]));
        }
    }
    if db.run(&subscribe_sql(kind, variant_id, channel, &recipient, p.ctx.locale.code(), now())).await? == 0 {
        return Err(AppError::NotFound);
    }
    let landing: Option<Landing> = db
        .first(&crate::app::db::Sql::new("SELECT p.slug, v.sku FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = ?").bind(variant_id))
        .await?;
    let back = landing.map_or_else(|| p.ctx.href("/"), |l| format!("{}?variant={}", p.ctx.href(&crate::views::paths::product(&l.slug)), percent_encode(&l.sku)));
    let page = crate::views::notify::alert_saved_page(&p.ctx, &back, kind == AlertKind::BackInStock);
    Ok(html(200, page.into_string(), Vec::new()))
}

/// The address a token names, or the 400 that changes nothing.
fn address(config: &crate::platform::config::Config, token: &str) -> Result<String, AppError> {
    let secret = super::http::require_secret(config)?;
    verify_preferences_token(secret.as_bytes(), token).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "t", problem: Problem::BadValue }]))
}

/// The preferences page of the query's token (`done`: what was just changed).
async fn preferences(p: &Page<'_>, done: Option<&str>) -> Result<Response, AppError> {
    let token = p.field("t").or_else(|| query_param(&p.incoming.query, "t")).unwrap_or_default();
    let email = address(&p.config, &token)?;
    let consent: Consent = D1::open(p.env)?.first(&consent_sql(Channel::Email, &email)).await?.unwrap_or_default();
    let page = crate::views::notify::preferences_page(&p.ctx, &email, &consent.status, consent.alerts, &token, done);
    Ok(html(200, page.into_string(), Vec::new()))
}

/// `POST /email/preferences`: unsubscribe, or subscribe again.
async fn update_preferences(p: &Page<'_>) -> Result<Response, AppError> {
    let email = address(&p.config, &p.field("t").unwrap_or_default())?;
    let db = D1::open(p.env)?;
    let l = p.ctx.locale;
    let done = match p.field("choice").as_deref() {
        Some("unsubscribe") => {
            db.batch(&consent::unsubscribe_batch(Channel::Email, &email, "preferences", now())).await?;
            l.pick("Đã huỷ đăng ký. Bạn sẽ không nhận email khuyến mãi nữa.", "Unsubscribed. You will get no more marketing email.")
        }
        Some("subscribe") => {
            db.run(&consent::subscribe_sql(Channel::Email, &email, l.code(), "preferences", now())).await?;
            l.pick("Đã đăng ký lại email khuyến mãi.", "You will get marketing email again.")
        }
        _ => return Err(AppError::Invalid(vec![FieldError { field: "choice", problem: Problem::UnknownChoice }])),
    };
    preferences(p, Some(done)).await
}

/// RFC 8058 one-click unsubscribe: the mailbox provider POSTs `List-Unsubscribe=One-Click` to the
/// URL of the `List-Unsubscribe` header.
async fn one_click(incoming: &Incoming, env: &Env) -> Response {
    incoming.name("email.one_click");
    let config = crate::platform::config::Config::from_env(env);
    let token = query_param(&incoming.query, "t").unwrap_or_default();
    let result = async {
        let email = address(&config, &token)?;
        D1::open(env)?.batch(&consent::unsubscribe_batch(Channel::Email, &email, "one_click", now())).await?;
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => plain(200, "Unsubscribed"),
        Err(e) => {
            super::http::log_error(incoming, &e);
            plain(e.status(), if e.status() == 400 { "Bad Request" } else { "Error" })
        }
    }
}

/// `POST /newsletter`: as `serve_page` does, but the form carries no CSRF token (it is on every
/// page, which stay cacheable): only the request's origin is checked — a forged signup from
/// another site can at most send the confirmation mail, which subscribes nobody by itself.
async fn newsletter_signup(mut req: Request, incoming: &Incoming, env: &Env) -> Response {
    incoming.name("newsletter.signup");
    let config = crate::platform::config::Config::from_env(env);
    let (locale, local) = crate::domain::locale::Locale::split_path(&incoming.path);
    let version = crate::platform::edge_cache::catalog_version(env).await;
    let ctx = super::storefront::page_ctx(incoming, env, locale, local, &version).await;
    let form = match super::http::read_form(&mut req, true).await {
        Ok(form) => form,
        Err(e) => return super::http::error_page(&ctx, incoming, e),
    };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if !crate::domain::security::same_origin(header("sec-fetch-site").as_deref(), header("origin").as_deref(), &[&incoming.origin]) {
        return super::http::foreign_form(&ctx, incoming);
    }
    let page = Page { req: &req, incoming, env, config, ctx, form };
    match signup(&page).await {
        Ok(response) => response,
        Err(e) => super::http::error_page(&page.ctx, incoming, e),
    }
}

async fn signup(p: &Page<'_>) -> Result<Response, AppError> {
    let Some(email) = p.field("email").as_deref().and_then(Email::parse) else {
        return Err(AppError::Unprocessable(vec![FieldError { field: "email", problem: Problem::InvalidEmail }]));
    };
    rate_limit_do::within(p.env, p.req, Action::Subscribe).await?;
    let secret = super::http::require_secret(&p.config)?;
    let at = now();
    let token = newsletter_token(secret.as_bytes(), email.as_str(), at + NEWSLETTER_LINK_SECONDS);
    let url = format!("{}?t={token}", p.ctx.absolute(&p.ctx.href(crate::views::notify::NEWSLETTER_CONFIRM)));
    D1::open(p.env)?.batch(&crate::app::newsletter::signup_batch(email.as_str(), p.ctx.locale.code(), &url, at)).await?;
    let l = p.ctx.locale;
    let page = crate::views::notify::notice_page(
        &p.ctx,
        l.pick("Kiểm tra hộp thư của bạn", "Check your inbox"),
        l.pick("Chúng tôi đã gửi một liên kết xác nhận tới địa chỉ của bạn. Bạn chỉ nhận bản tin sau khi bấm vào liên kết đó.", "We sent a confirmation link to your address. You get the newsletter only once you follow it."),
    );
    Ok(html(200, page.into_string(), Vec::new()))
}

/// `GET /newsletter/confirm?t=`: the double opt-in's second step.
async fn newsletter_confirm(p: &Page<'_>) -> Result<Response, AppError> {
    let secret = super::http::require_secret(&p.config)?;
    let token = query_param(&p.incoming.query, "t").unwrap_or_default();
    let Some(email) = verify_newsletter_token(secret.as_bytes(), &token, now()) else {
        return Err(AppError::Invalid(vec![FieldError { field: "t", problem: Problem::BadValue }]));
    };
    D1::open(p.env)?.run(&crate::app::newsletter::confirm_sql(&email, p.ctx.locale.code(), now())).await?;
    let l = p.ctx.locale;
    let page = crate::views::notify::notice_page(&p.ctx, l.pick("Đã xác nhận đăng ký", "You are signed up"), l.pick("Cảm ơn bạn! Bạn sẽ nhận bản tin và ưu đãi của chúng tôi qua email.", "Thank you! You will get our newsletter and offers by email."));
    Ok(html(200, page.into_string(), Vec::new()))
}
