//! Social sign-in handlers (`/auth/{provider}/…`, vi and `/en/`), a child of the account area so
//! that a social sign-in goes through the very `sign_in` password sign-in uses.
//!
//! - `GET start` (`?return=/path`) and `POST link` (signed in, CSRF-checked) begin a flow: `state`,
//!   `nonce` and the PKCE verifier go into a sealed, HttpOnly cookie for this browser (10 minutes),
//!   and the shopper is sent to the provider.
//! - `GET|POST callback` checks the cookie and `state`, exchanges the code, verifies who signed in
//!   (`platform::social::identify`) and then: a known identity signs in; a new one whose email has
//!   no account gets a new account; a new one whose email has an account is linked only after that
//!   account's password (`POST confirm`), or at once if the shopper is signed in to it.
//! - `POST unlink` removes a method while another way to sign in remains.
//!
//! Any failure is a 400 page in the shopper's language with a way back to sign-in; nothing is made.

use crate::app::db::Db;
use worker::{Method, Response};

use super::{limited, show_account, sign_in, too_many, Call};
use crate::app::accounts::{attach_guest_orders_sql, Purpose, customer_by_email_sql, CustomerRow};
use crate::app::sign_in::{attempt, Attempt};
use crate::app::social::{create_with_identity_batch, customer_by_identity_sql, identities_sql, link_batch, unlink_sql, IdentityRow};
use crate::domain::checkout::Email;
use crate::domain::error::AppError;
use crate::domain::oauth::{
    apple_user_name, authorize_url, code_verifier, display_name, open, safe_return, seal, Flow, PendingLink, Profile, Provider, ProviderConfig,
    SocialError, FLOW_SECONDS,
};
use crate::domain::throttle::Action;
use crate::platform::accounts::{changed, verify_password};
use crate::platform::config::{now, Config};
use super::super::http::{cookie, query_param, require_secret, Form, SetCookie};
use crate::platform::{random, rate_limit_do, social as idp};
use crate::views::account::paths as account_paths;
use crate::views::social::{self as view, paths, Method as SignInMethod};
use crate::views::PageCtx;

const FLOW: &str = "oauth-flow";
const PENDING: &str = "oauth-link";
/// The pending link's cookie (one at a time).
const PENDING_COOKIE: &str = "vestify_oauth_link";

fn flow_cookie(p: Provider) -> String {
    format!("vestify_oauth_{}", p.code())
}

/// `/auth/{provider}/callback` of a provider that posts its answer back from its own site.
pub(super) fn is_cross_site_callback(local_path: &str) -> bool {
    let mut parts = local_path.trim_start_matches('/').split('/');
    matches!((parts.next(), parts.next().and_then(Provider::parse), parts.next(), parts.next()), (Some("auth"), Some(p), Some("callback"), None) if p.posts_back())
}

/// The account page's list: every configured provider, linked or not.
pub(super) fn methods(config: &Config, linked: &[IdentityRow]) -> Vec<SignInMethod> {
    config.social.offered().into_iter().map(|provider| SignInMethod { provider, linked: linked.iter().any(|l| l.provider == provider.code()) }).collect()
}

pub(super) fn notice(ctx: &PageCtx, code: &str) -> Option<&'static str> {
    view::notice(ctx.locale, code)
}

pub(super) async fn handle(call: &Call<'_>, method: Method, provider: &str, action: &str) -> Result<Response, AppError> {
    let (Some(p), secret) = (Provider::parse(provider), require_secret(&call.config)?) else { return Err(AppError::NotFound) };
    let Some(c) = call.config.social.get(p) else { return Err(AppError::NotFound) };
    let secret = secret.as_bytes();
    match (method, action) {
        (Method::Get, "start") => {
            let back = query_param(&call.ctx.query, "return").and_then(|v| safe_return(&v)).unwrap_or_else(|| call.href(account_paths::ACCOUNT));
            start(call, c, secret, back, None)
        }
        (Method::Post, "link") => match call.shopper() {
            Ok(s) => start(call, c, secret, call.href(account_paths::ACCOUNT), Some(s.customer.id.clone())),
            Err(to_login) => Ok(to_login),
        },
        (Method::Get | Method::Post, "callback") => callback(call, c, secret).await,
        (Method::Post, "confirm") => confirm(call, p, secret).await,
        (Method::Post, "unlink") => unlink(call, p).await,
        _ => Err(AppError::NotFound),
    }
}

fn no_randomness() -> AppError {
    AppError::Internal("no randomness".into())
}

fn redirect_uri(call: &Call<'_>, p: Provider) -> String {
    call.ctx.absolute(&call.href(&paths::callback(p)))
}

/// The flow cookie. Apple's answer arrives as a cross-site POST, which carries only a
/// `SameSite=None` cookie (and browsers take those only with `Secure`, i.e. over https).
fn flow_set_cookie(call: &Call<'_>, p: Provider, value: &str, max_age: i64) -> String {
    let name = flow_cookie(p);
    let cookie = SetCookie::new(&name, value, call.secure()).max_age(max_age);
    if p.posts_back() { cookie.cross_site() } else { cookie }.to_string()
}

fn start(call: &Call<'_>, c: &ProviderConfig, secret: &[u8], return_to: String, link_to: Option<String>) -> Result<Response, AppError> {
    let flow = Flow {
        provider: c.provider,
        state: random::token(16).ok_or_else(no_randomness)?,
        nonce: random::token(16).ok_or_else(no_randomness)?,
        verifier: code_verifier(&random::bytes(32).ok_or_else(no_randomness)?),
        return_to,
        link_to,
        expires: now() + FLOW_SECONDS,
    };
    let location = authorize_url(c, &redirect_uri(call, c.provider), &flow);
    let set = flow_set_cookie(call, c.provider, &seal(secret, FLOW, &flow), FLOW_SECONDS);
    Ok(super::redirect(&location, vec![set]))
}

/// The 400 page of a failed sign-in; the flow cookie goes with it.
fn failed(call: &Call<'_>, p: Provider, e: &SocialError) -> Response {
    worker::console_warn!("social sign-in with {} refused: {}", p.code(), e.code());
    let clear = flow_set_cookie(call, p, "", 0);
    super::html(400, view::failed_page(&call.ctx, p, e).into_string(), vec![("set-cookie", clear)])
}

fn with_cookie(mut response: Response, set_cookie: &str) -> Response {
    let _ = response.headers_mut().append("set-cookie", set_cookie);
    response
}

async fn callback(call: &Call<'_>, c: &ProviderConfig, secret: &[u8]) -> Result<Response, AppError> {
    let p = c.provider;
    let params = if call.form.is_empty() { Form::parse(&call.ctx.query) } else { call.form.clone() };
    let param = |k: &str| params.value(k);
    if !param("error").is_empty() {
        return Ok(failed(call, p, &SocialError::Denied(param("error").chars().take(64).collect())));
    }
    let flow = cookie(call.req, &flow_cookie(p)).and_then(|v| open::<Flow>(secret, FLOW, &v));
    let Some(flow) = flow else { return Ok(failed(call, p, &SocialError::State)) };
    if let Err(e) = flow.check(p, param("state"), now()) {
        return Ok(failed(call, p, &e));
    }
    if param("code").is_empty() || param("code").len() > 2048 {
        return Ok(failed(call, p, &SocialError::Token("no code".into())));
    }
    let mut profile = match idp::identify(c, param("code"), &redirect_uri(call, p), &flow, now()).await? {
        Ok(profile) => profile,
        Err(e) => return Ok(failed(call, p, &e)),
    };
    if profile.name.is_none() && p == Provider::Apple {
        profile.name = apple_user_name(param("user"));
    }
    let response = match signed_in(call, &flow, &profile, secret).await? {
        Ok(response) => response,
        Err(e) => return Ok(failed(call, p, &e)),
    };
    Ok(with_cookie(response, &flow_set_cookie(call, p, "", 0)))
}

async fn customer(call: &Call<'_>, sql: &crate::app::sql::Sql) -> Result<Option<CustomerRow>, AppError> {
    Ok(call.db.all::<CustomerRow>(sql).await?.into_iter().next())
}

fn linked_location(call: &Call<'_>) -> String {
    format!("{}?notice=social_linked", call.href(account_paths::ACCOUNT))
}

/// What a verified identity leads to (the flow cookie is cleared by the caller).
async fn signed_in(call: &Call<'_>, flow: &Flow, profile: &Profile, secret: &[u8]) -> Result<Result<Response, SocialError>, AppError> {
    let p = profile.provider;
    let now = now();
    let existing = customer(call, &customer_by_identity_sql(p, &profile.subject)).await?;
    let email = profile.email.as_deref().filter(|e| Email::parse(e).is_some() && e.len() <= 254);
    // A link started from the account page: bound to that account when it started.
    if let Some(owner) = &flow.link_to {
        if call.shopper.as_ref().is_some_and(|s| &s.customer.id != owner) {
            return Ok(Err(SocialError::State));
        }
        return Ok(match existing {
            Some(c) if &c.id == owner => Ok(super::redirect(&linked_location(call), Vec::new())),
            Some(_) => Err(SocialError::LinkedElsewhere),
            None => {
                let batch = link_batch(p, &profile.subject, owner, email.unwrap_or_default(), profile.email_verified, now);
                if changed(&call.db, &batch).await? {
                    Ok(super::redirect(&linked_location(call), Vec::new()))
                } else {
                    Err(SocialError::LinkedElsewhere)
                }
            }
        });
    }
    if let Some(c) = existing {
        call.db.batch(&[attach_guest_orders_sql(&c.id)]).await?;
        return Ok(Ok(sign_in(call, &c, &flow.return_to).await?));
    }
    let Some(email) = email else { return Ok(Err(SocialError::NoEmail)) };
    if customer(call, &customer_by_email_sql(email)).await?.is_none() {
        let id = random::id().ok_or_else(no_randomness)?;
        let batch = create_with_identity_batch(&id, email, &display_name(profile), profile.email_verified, p, &profile.subject, now);
        if changed(&call.db, &batch).await? {
            let Some(c) = customer(call, &customer_by_identity_sql(p, &profile.subject)).await? else { return Err(AppError::NotFound) };
            if !profile.email_verified {
                // As after a sign-up: the emailed link proves the address (and attaches guest orders).
                super::send_link(call, Purpose::VerifyEmail, &c, account_paths::VERIFY).await?;
            }
            return Ok(Ok(sign_in(call, &c, &flow.return_to).await?));
        }
    }
    // The email has an account (or got one meanwhile): never linked without proof of ownership.
    let Some(account) = customer(call, &customer_by_email_sql(email)).await? else { return Err(AppError::NotFound) };
    if call.shopper.as_ref().is_some_and(|s| s.customer.id == account.id) {
        if !changed(&call.db, &link_batch(p, &profile.subject, &account.id, email, profile.email_verified, now)).await? {
            return Ok(Err(SocialError::LinkedElsewhere));
        }
        return Ok(Ok(sign_in(call, &account, &linked_location(call)).await?));
    }
    let pending = PendingLink { provider: p, subject: profile.subject.clone(), email: email.to_string(), email_verified: profile.email_verified, expires: now + FLOW_SECONDS };
    let set = SetCookie::new(PENDING_COOKIE, &seal(secret, PENDING, &pending), call.secure()).max_age(FLOW_SECONDS).to_string();
    let page = view::confirm_link_page(&call.ctx, p, email, account.password_hash.is_some(), false);
    Ok(Ok(super::html(200, page.into_string(), vec![("set-cookie", set)])))
}

/// The account's password, then the link and a sign-in (the same slow-down as password sign-in).
async fn confirm(call: &Call<'_>, p: Provider, secret: &[u8]) -> Result<Response, AppError> {
    let pending = cookie(call.req, PENDING_COOKIE).and_then(|v| open::<PendingLink>(secret, PENDING, &v)).filter(|x| x.provider == p && x.expires >= now());
    let Some(pending) = pending else { return Ok(failed(call, p, &SocialError::State)) };
    if let Some(refusal) = limited(call, Action::Login).await? {
        return Ok(refusal);
    }
    let account_key = format!("customer:{}", pending.email);
    let mut has_password = false;
    let client = rate_limit_do::client(call.req);
    let tried = attempt(&call.db, &account_key, &client, now(), async || {
        let account = customer(call, &customer_by_email_sql(&pending.email)).await?;
        let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
        has_password = hash.is_some();
        let ok = verify_password(&call.field("password"), hash).await?;
        Ok(account.filter(|_| ok))
    });
    let account = match tried.await? {
        Attempt::Passed(account) => account,
        Attempt::Wait(wait) => return Ok(too_many(call, wait)),
        Attempt::Refused => {
            let page = view::confirm_link_page(&call.ctx, p, &pending.email, has_password, true);
            return Ok(super::html(401, page.into_string(), Vec::new()));
        }
    };
    let account = &account;
    let batch = link_batch(p, &pending.subject, &account.id, &pending.email, pending.email_verified, now());
    if !changed(&call.db, &batch).await? {
        let owner = customer(call, &customer_by_identity_sql(p, &pending.subject)).await?;
        if owner.is_none_or(|o| o.id != account.id) {
            return Ok(failed(call, p, &SocialError::LinkedElsewhere));
        }
    }
    let response = sign_in(call, account, &linked_location(call)).await?;
    Ok(with_cookie(response, &SetCookie::removal(PENDING_COOKIE, "/", call.secure()).to_string()))
}

async fn unlink(call: &Call<'_>, p: Provider) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(to_login) => return Ok(to_login),
    };
    let id = &shopper.customer.id;
    if changed(&call.db, &[unlink_sql(id, p)]).await? {
        return Ok(super::redirect(&format!("{}?notice=social_unlinked", call.href(account_paths::ACCOUNT)), Vec::new()));
    }
    let linked: Vec<IdentityRow> = call.db.all(&identities_sql(id)).await?;
    if linked.iter().any(|l| l.provider == p.code()) {
        // The last way to sign in stays.
        return show_account(call, None, &[], view::notice(call.ctx.locale, "social_last_method")).await;
    }
    Err(AppError::NotFound)
}
