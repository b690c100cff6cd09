//! The shopper's account: sign up, sign in/out (here and everywhere), password reset by emailed link
//! (the message goes to the outbox), email verification, change password, and the account pages
//! (order history, profile, addresses, export, deletion).
//!
//! Every page here is personal (`no-store`); every POST passes `check_form` first. Sign-in and any
//! change of privilege start a new session id. Anything that is not the shopper's is a 404.

use worker::{Env, Method, Request, Response};

use super::http::{
    attachment, cart_cookies, cart_from_cookie, clear_cart_cookies, cookie, error_page, html, query_param, redirect, require_secret, serve_guarded_page, FormGuard,
    Page, SetCookie,
};
use super::Incoming;
use crate::app::address_book::{self, AddressInput, SaveError};
use crate::app::regions;
use crate::domain::checkout::AddressForm;
use crate::domain::regions::ProvinceCode;
use crate::app::account_flows;
use crate::app::accounts::{
    attach_guest_orders_sql, customer_by_email_sql, end_all_sessions_sql, end_other_sessions_sql, end_session_sql, orders_sql, set_password_sql,
    CustomerRow, OrderSummaryRow, Purpose,
};
use crate::app::sign_in::{attempt, Attempt};
use crate::app::api_tokens::revoke_customer_sql;
use crate::app::privacy::{self, open_orders_sql, OpenOrderRow};
use crate::domain::cart::order_access_token;
use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::locale::Locale;
use crate::domain::password::NewPassword;
use crate::domain::oauth::{open, safe_return, seal};
use crate::domain::session::{sign_in_again, Ended, KeptForm, KeptKind, Realm, KEPT_SECONDS, SESSION_EXPIRED};
use crate::domain::throttle::Action;
use crate::platform::accounts::{hash_password, session_cookie, shopper_or_ended, start_session, verify_password, Shopper};
use crate::platform::config::now;
use crate::platform::d1::D1;
use crate::app::db::Db;
use crate::platform::security::SESSION_COOKIE;
use crate::platform::{random, rate_limit_do};
use crate::views::account::{self, paths, AccountView, AddressRow, OrderSummary};
use crate::views::account_i18n::account_t;
use crate::views::PageCtx;

/// Social sign-in (`/auth/{provider}/…`): the same calls, sign-in and pages as the rest of the account.
mod social;

/// What every handler here gets: the page (request, context, form) with the database and the
/// signed-in shopper.
struct Call<'a> {
    page: &'a Page<'a>,
    db: D1,
    shopper: Option<Shopper>,
    /// The session this device had, when it has ended (the shopper is then `None`).
    ended: Option<Ended>,
}

impl<'a> std::ops::Deref for Call<'a> {
    type Target = Page<'a>;

    fn deref(&self) -> &Page<'a> {
        self.page
    }
}

impl Call<'_> {
    fn field(&self, key: &str) -> String {
        self.form.value(key).to_string()
    }

    fn secure(&self) -> bool {
        self.ctx.origin.starts_with("https://")
    }

    fn href(&self, path: &str) -> String {
        self.ctx.href(path)
    }

    fn page(&self, status: u16, markup: maud::Markup) -> Response {
        html(status, markup.into_string(), Vec::new())
    }

    /// The signed-in shopper, or the way to the sign-in page. After an ended session that page says
    /// so and leads back to the account, the stale cookie goes, and a profile or address form
    /// keeps what was typed for the person whose session it was (`KeptForm`).
    fn shopper(&self) -> Result<&Shopper, Response> {
        self.shopper.as_ref().ok_or_else(|| match &self.ended {
            None => redirect(&self.href(paths::LOGIN), Vec::new()),
            Some(ended) => {
                let mut cookies = vec![SetCookie::removal(SESSION_COOKIE, "/", self.secure()).to_string()];
                cookies.extend(self.kept_cookie(ended));
                redirect(&sign_in_again(&self.href(paths::LOGIN), &self.href(paths::ACCOUNT)), cookies)
            }
        })
    }

    /// The sealed cookie with what was typed into a profile or address form sent after its session
    /// ended (none for other forms, or when whose session it was is not known).
    fn kept_cookie(&self, ended: &Ended) -> Option<String> {
        let (subject, secret) = (ended.subject_id.as_deref()?, self.config.shop_secret.as_deref()?);
        let (_, local) = Locale::split_path(&self.incoming.path);
        let kind = match (self.incoming.method == Method::Post, local) {
            (true, paths::PROFILE) => KeptKind::Profile,
            (true, paths::ADDRESSES) => KeptKind::Address,
            _ => return None,
        };
        let kept = KeptForm::new(subject, kind, |name| self.field(name), now());
        Some(SetCookie::new(KEPT_COOKIE, &seal(secret.as_bytes(), KEPT_COOKIE, &kept), self.secure()).max_age(KEPT_SECONDS).to_string())
    }

    /// The typed values kept for the signed-in shopper, if this device holds any for them.
    fn kept_form(&self, shopper: &Shopper) -> Option<KeptForm> {
        let secret = self.config.shop_secret.as_deref()?;
        let kept: KeptForm = open(secret.as_bytes(), KEPT_COOKIE, &cookie(self.req, KEPT_COOKIE)?)?;
        kept.for_subject(&shopper.customer.id, now())
    }

    /// Where a sign-in goes on to: the page the visitor came from (`?return=`, a local path), or
    /// the account.
    fn back(&self) -> String {
        query_param(&self.ctx.query, "return").and_then(|r| safe_return(&r)).unwrap_or_else(|| self.href(paths::ACCOUNT))
    }
}

/// What an account form sent after its session ended keeps, sealed, until the sign-in that follows.
const KEPT_COOKIE: &str = "vestify_kept";

/// The account area's routes, each named here for the request log.
pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let segments = incoming.segments();
    match (incoming.method.clone(), segments.as_slice()) {
        (Method::Get, ["account"]) => serve(req, incoming, env, "account.show", async |c| show_account(c, None, &[], None).await).await,
        (Method::Get, ["account", "login"]) => serve(req, incoming, env, "account.login_form", async |c| Ok(login_form(c))).await,
        (Method::Post, ["account", "login"]) => serve(req, incoming, env, "account.login", login).await,
        (Method::Get, ["account", "signup"]) => {
            serve(req, incoming, env, "account.signup_form", async |c| Ok(c.page(200, account::signup_page(&c.ctx, "", "", &[], None)))).await
        }
        (Method::Post, ["account", "signup"]) => serve(req, incoming, env, "account.signup", signup).await,
        (Method::Post, ["account", "logout"]) => serve(req, incoming, env, "account.logout", async |c| logout(c, false).await).await,
        (Method::Post, ["account", "logout-everywhere"]) => serve(req, incoming, env, "account.logout_everywhere", async |c| logout(c, true).await).await,
        (Method::Get, ["account", "reset"]) => {
            serve(req, incoming, env, "account.reset_form", async |c| Ok(c.page(200, account::reset_request_page(&c.ctx, false)))).await
        }
        (Method::Post, ["account", "reset"]) => serve(req, incoming, env, "account.request_reset", request_reset).await,
        (Method::Get, ["account", "reset", token]) => serve(req, incoming, env, "account.new_password_form", async |c| reset_form(c, token).await).await,
        (Method::Post, ["account", "reset", token]) => serve(req, incoming, env, "account.reset_password", async |c| reset_password(c, token).await).await,
        (Method::Get, ["account", "verify", token]) => serve(req, incoming, env, "account.verify_email", async |c| verify_email(c, token).await).await,
        (Method::Post, ["account", "password"]) => serve(req, incoming, env, "account.change_password", change_password).await,
        (Method::Post, ["account", "profile"]) => serve(req, incoming, env, "account.update_profile", update_profile).await,
        (Method::Post, ["account", "push"]) => serve(req, incoming, env, "account.subscribe_push", subscribe_push).await,
        (Method::Post, ["account", "addresses"]) => serve(req, incoming, env, "account.add_address", async |c| save_address(c, None).await).await,
        (Method::Get, ["account", "addresses", id, "edit"]) => serve(req, incoming, env, "account.edit_address_form", async |c| edit_address_form(c, id).await).await,
        (Method::Post, ["account", "addresses", id]) => serve(req, incoming, env, "account.edit_address", async |c| save_address(c, Some(id)).await).await,
        (Method::Post, ["account", "addresses", id, "default"]) => {
            serve(req, incoming, env, "account.default_address", async |c| default_address(c, id).await).await
        }
        (Method::Post, ["account", "addresses", id, "delete"]) => serve(req, incoming, env, "account.delete_address", async |c| delete_address(c, id).await).await,
        (Method::Get, ["account", "export"]) => serve(req, incoming, env, "account.export", export).await,
        (Method::Post, ["account", "delete"]) => serve(req, incoming, env, "account.delete", delete_account).await,
        (method, ["auth", provider, action]) => serve(req, incoming, env, "account.social", async |c| social::handle(c, method, provider, action).await).await,
        _ => serve(req, incoming, env, "account.unknown", async |_| Err(AppError::NotFound)).await,
    }
}

/// Runs the route `route` as every page area does (`serve_guarded_page`: the page context, the
/// form and its CSRF check), with the signed-in shopper (or the session that ended) found before
/// `handler`.
async fn serve<H>(req: Request, incoming: &Incoming, env: &Env, route: &'static str, handler: H) -> Response
where
    H: AsyncFnOnce(&Call<'_>) -> Result<Response, AppError>,
{
    // Apple's form_post callback is a cross-site POST by design; its state and PKCE protect it.
    let (_, local) = Locale::split_path(&incoming.path);
    let guard = if social::is_cross_site_callback(local) { FormGuard::CrossSite } else { FormGuard::CsrfToken };
    serve_guarded_page(req, incoming, env, route, guard, async |page| {
        let db = D1::open(env)?;
        let (shopper, ended) = shopper_or_ended(page.req, &db, page.config.customer_sessions).await?;
        handler(&Call { page, db, shopper, ended }).await
    })
    .await
}

fn notice_text(ctx: &PageCtx, query: &str) -> Option<&'static str> {
    let a = account_t(ctx.locale);
    let code = super::http::query_param(query, "notice")?;
    Some(match code.as_str() {
        "signed_out" => a.signed_out,
        "reset_done" => a.reset_done,
        "password_changed" => a.password_changed,
        "verified" => a.verify_done,
        "profile_saved" => a.profile_saved,
        "address_saved" => a.address_saved,
        "address_removed" => a.address_removed,
        "deleted" => a.account_deleted,
        SESSION_EXPIRED => a.session_expired,
        code if code.starts_with("social_") => return social::notice(ctx, code),
        _ => return None,
    })
}

fn login_form(call: &Call<'_>) -> Response {
    if call.shopper.is_some() {
        return redirect(&call.back(), Vec::new());
    }
    call.page(200, account::login_page(&call.ctx, "", notice_text(&call.ctx, &call.ctx.query), None, &call.config.social.offered()))
}

/// Counts the request against the client's limit for `action`; the 429 to send when over it.
async fn limited(call: &Call<'_>, action: Action) -> Result<Option<Response>, AppError> {
    Ok(rate_limit_do::check(call.env, call.req, action).await?.map(|wait| too_many(call, wait)))
}

fn too_many(call: &Call<'_>, retry_after: i64) -> Response {
    error_page(&call.ctx, call.incoming, AppError::TooManyRequests { retry_after })
}

/// Signs `customer` in: a new session id (any old one ends), its cookie, and a redirect.
async fn sign_in(call: &Call<'_>, customer: &CustomerRow, location: &str) -> Result<Response, AppError> {
    if let Some(old) = cookie(call.req, SESSION_COOKIE) {
        call.db.batch(&[end_session_sql(&old)]).await?;
    }
    let id = start_session(&call.db, Realm::Customer, &customer.id, call.config.customer_sessions).await?;
    let mut cookies = vec![session_cookie(SESSION_COOKIE, &id, "/", call.config.customer_sessions, call.secure())];
    // The device's cart joins the account's; a failed merge must not block signing in (the guest
    // cart keeps its contents and the next sign-in merges it).
    let device = cart_from_cookie(call.req, &call.config);
    match super::account_cart::on_sign_in(call.env, &call.db, customer, device).await {
        Ok(Some((cart, count))) => cookies.extend(cart_cookies(&call.ctx, &call.config, &cart, count)),
        Ok(None) => {}
        Err(e) => worker::console_error!("cart merge for {}: {e}", customer.id),
    }
    // The device's guest wishlist joins the account's too (never blocking the sign-in either).
    cookies.extend(super::wishlist::on_sign_in(call.req, &call.db, &call.config, &call.ctx, customer).await);
    Ok(redirect(location, cookies))
}

async fn login(call: &Call<'_>) -> Result<Response, AppError> {
    let a = account_t(call.ctx.locale);
    let email = call.field("email").trim().to_lowercase();
    let password = call.field("password");
    if let Some(refusal) = limited(call, Action::Login).await? {
        return Ok(refusal);
    }
    let account_key = format!("customer:{email}");
    let client = rate_limit_do::client(call.req);
    let tried = attempt(&call.db, &account_key, &client, now(), async || {
        let customer = call.db.all::<CustomerRow>(&customer_by_email_sql(&email)).await?.into_iter().next();
        let ok = verify_password(&password, customer.as_ref().and_then(|c| c.password_hash.as_deref())).await?;
        Ok(customer.filter(|_| ok))
    });
    let customer = match tried.await? {
        Attempt::Passed(customer) => customer,
        Attempt::Wait(wait) => return Ok(too_many(call, wait)),
        Attempt::Refused => {
            return Ok(call.page(401, account::login_page(&call.ctx, &email, None, Some(a.bad_credentials), &call.config.social.offered())));
        }
    };
    call.db.batch(&[attach_guest_orders_sql(&customer.id)]).await?;
    let response = sign_in(call, &customer, &call.back()).await?;
    Ok(response)
}

async fn signup(call: &Call<'_>) -> Result<Response, AppError> {
    let a = account_t(call.ctx.locale);
    if let Some(refusal) = limited(call, Action::SignUp).await? {
        return Ok(refusal);
    }
    let (raw_email, raw_name) = (call.field("email"), call.field("name"));
    let checked = match account_flows::check_sign_up(&raw_email, &raw_name, &call.field("password")) {
        Ok(s) => s,
        Err(errors) => return Ok(call.page(422, account::signup_page(&call.ctx, raw_email.trim(), raw_name.trim(), &errors, None))),
    };
    let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let hash = hash_password(checked.password.as_str()).await?;
    let (token, url) = new_link(call, paths::VERIFY)?;
    let link = account_flows::Link { token: &token, url: &url, locale: call.ctx.locale.code() };
    let Some(customer) = account_flows::sign_up(&call.db, &id, &checked.email, &checked.name, &hash, &link, now()).await? else {
        return Ok(call.page(409, account::signup_page(&call.ctx, checked.email.as_str(), &checked.name, &[], Some(a.email_taken))));
    };
    sign_in(call, &customer, &call.href(paths::ACCOUNT)).await
}

/// A new one-time link's token and the page it opens (`base/{token}`), in the visitor's language.
fn new_link(call: &Call<'_>, base: &str) -> Result<(String, String), AppError> {
    let token = random::token(32).ok_or_else(|| AppError::Internal("no randomness".into()))?;
    let url = call.ctx.absolute(&call.href(&format!("{base}/{token}")));
    Ok((token, url))
}

/// Issues a one-time link for an account that already exists and queues its email in the outbox.
async fn send_link(call: &Call<'_>, purpose: Purpose, customer: &CustomerRow, base: &str) -> Result<(), AppError> {
    let (token, url) = new_link(call, base)?;
    call.db.batch(&crate::app::accounts::issue_token_batch(purpose, &token, customer, &url, call.ctx.locale.code(), now())).await?;
    Ok(())
}

async fn logout(call: &Call<'_>, everywhere: bool) -> Result<Response, AppError> {
    if let Some(s) = &call.shopper {
        let mut batch = vec![if everywhere { end_all_sessions_sql(Realm::Customer, &s.customer.id) } else { end_session_sql(&s.session_id) }];
        if everywhere {
            // Everywhere includes the apps signed in with API tokens.
            batch.push(revoke_customer_sql(&s.customer.id, now()));
        }
        call.db.batch(&batch).await?;
    }
    let location = format!("{}?notice=signed_out", call.href(paths::LOGIN));
    let mut cookies = vec![SetCookie::removal(SESSION_COOKIE, "/", call.secure()).to_string()];
    cookies.extend(clear_cart_cookies(&call.ctx));
    Ok(redirect(&location, cookies))
}

async fn request_reset(call: &Call<'_>) -> Result<Response, AppError> {
    if let Some(refusal) = limited(call, Action::PasswordReset).await? {
        return Ok(refusal);
    }
    let (token, url) = new_link(call, paths::RESET)?;
    let link = account_flows::Link { token: &token, url: &url, locale: call.ctx.locale.code() };
    account_flows::request_reset(&call.db, &call.field("email"), &link, now()).await?;
    // The same answer either way: the page does not tell which emails have accounts.
    Ok(call.page(200, account::reset_request_page(&call.ctx, true)))
}

async fn reset_form(call: &Call<'_>, token: &str) -> Result<Response, AppError> {
    Ok(match account_flows::live_link(&call.db, Purpose::PasswordReset, token, now()).await? {
        Some(_) => call.page(200, account::reset_page(&call.ctx, Some(token), &[])),
        None => call.page(404, account::reset_page(&call.ctx, None, &[])),
    })
}

async fn reset_password(call: &Call<'_>, token: &str) -> Result<Response, AppError> {
    if account_flows::live_link(&call.db, Purpose::PasswordReset, token, now()).await?.is_none() {
        return Ok(call.page(404, account::reset_page(&call.ctx, None, &[])));
    }
    let password = match NewPassword::parse("password", &call.field("password")) {
        Ok(p) => p,
        Err(e) => return Ok(call.page(422, account::reset_page(&call.ctx, Some(token), &[e]))),
    };
    let hash = hash_password(password.as_str()).await?;
    // Only the first use of the link changes anything.
    if !account_flows::reset_password(&call.db, token, &hash, now()).await? {
        return Ok(call.page(404, account::reset_page(&call.ctx, None, &[])));
    }
    let location = format!("{}?notice=reset_done", call.href(paths::LOGIN));
    Ok(redirect(&location, vec![SetCookie::removal(SESSION_COOKIE, "/", call.secure()).to_string()]))
}

async fn verify_email(call: &Call<'_>, token: &str) -> Result<Response, AppError> {
    if !account_flows::verify_email(&call.db, token, now()).await? {
        let a = account_t(call.ctx.locale);
        return Ok(call.page(404, account::login_page(&call.ctx, "", None, Some(a.verify_invalid), &call.config.social.offered())));
    }
    let target = if call.shopper.is_some() { paths::ACCOUNT } else { paths::LOGIN };
    Ok(redirect(&format!("{}?notice=verified", call.href(target)), Vec::new()))
}

async fn show_account(call: &Call<'_>, notice: Option<&str>, errors: &[FieldError], error: Option<&str>) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let c = &shopper.customer;
    let secret = require_secret(&call.config)?;
    let batch = [
        attach_guest_orders_sql(&c.id),
        orders_sql(&c.id),
        address_book::addresses_sql(&c.id),
        crate::app::social::identities_sql(&c.id),
        open_orders_sql(&c.id),
        crate::app::reviews::reviewable_lines_sql(&c.id),
    ];
    let results = call.db.batch(&batch).await?;
    let [_, orders, addresses, identities, open, reviewable] = results.as_slice() else { return Err(AppError::Internal("account batch".into())) };
    // Each delivered line without a review links to the review form with a fresh signed link: the
    // same form (stars, text, fit, photos, then a video) a guest opens from the order's email.
    let expires = now() + crate::domain::reviews::LINK_SECONDS;
    let to_review: Vec<(crate::app::reviews::ReviewableLine, String)> = reviewable
        .decode::<crate::app::reviews::ReviewableLine>()?
        .into_iter()
        .map(|l| {
            let token = crate::domain::reviews::review_token(secret.as_bytes(), &l.order_id, l.line_no, expires);
            let href = format!("{}?t={token}", call.href("/reviews/write"));
            (l, href)
        })
        .collect();
    let orders: Vec<OrderSummary> = orders.decode::<OrderSummaryRow>()?
        .into_iter()
        .map(|o| OrderSummary {
            url: format!("{}?t={}", call.href(&format!("/orders/{}", o.id)), order_access_token(secret.as_bytes(), &o.id)),
            id: o.id,
            number: o.number,
            status: o.status,
            total: o.total,
            created_at: o.created_at,
        })
        .collect();
    let addresses: Vec<AddressRow> = addresses.decode()?;
    // What was typed before the session ended: shown once, then the cookie goes.
    let kept = call.kept_form(shopper);
    let notice = notice.or_else(|| kept.as_ref().map(|_| account_t(call.ctx.locale).kept_form)).or_else(|| notice_text(&call.ctx, &call.ctx.query));
    let social = social::methods(&call.config, &identities.decode()?);
    let open_orders: Vec<OpenOrderRow> = open.decode()?;
    let provinces = regions::provinces(&call.db).await?;
    let kept_province = kept.as_ref().filter(|k| k.kind == KeptKind::Address).and_then(|k| ProvinceCode::parse(k.value("address.province_code")));
    let wards = match kept_province {
        Some(code) => regions::wards(&call.db, &code).await?.unwrap_or_default(),
        None => Vec::new(),
    };
    let view = AccountView {
        customer: c,
        orders: &orders,
        addresses: &addresses,
        provinces: &provinces,
        wards: &wards,
        notice,
        errors,
        error,
        social: &social,
        kept: kept.as_ref(),
        open_orders: &open_orders,
        to_review: &to_review,
        push_key: call.config.push.as_ref().map(|c| c.vapid.public_key.as_str()),
    };
    let status = if errors.is_empty() && error.is_none() { 200 } else { 422 };
    let page = account::account_page(&call.ctx, &view).into_string();
    let holds_kept = cookie(call.req, KEPT_COOKIE).is_some();
    let cookies = if holds_kept { vec![("set-cookie", SetCookie::removal(KEPT_COOKIE, "/", call.secure()).to_string())] } else { Vec::new() };
    Ok(html(status, page, cookies))
}

async fn change_password(call: &Call<'_>) -> Result<Response, AppError> {
    let a = account_t(call.ctx.locale);
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let new = match NewPassword::parse("password", &call.field("password")) {
        Ok(p) => p,
        Err(e) => return show_account(call, None, &[e], None).await,
    };
    if !verify_password(&call.field("current_password"), shopper.customer.password_hash.as_deref()).await? {
        return show_account(call, None, &[], Some(a.wrong_current_password)).await;
    }
    let hash = hash_password(new.as_str()).await?;
    let id = &shopper.customer.id;
    call.db
        .batch(&[set_password_sql(id, &hash, now()), end_other_sessions_sql(Realm::Customer, id, &shopper.session_id), revoke_customer_sql(id, now())])
        .await?;
    // A change of privilege: this device continues under a new session id.
    sign_in(call, &shopper.customer, &format!("{}?notice=password_changed", call.href(paths::ACCOUNT))).await
}

/// `POST /account/push` `endpoint`, `p256dh`, `auth`: this browser follows the signed-in customer's
/// orders by Web Push (204); a bad subscription is a 422 (`orders::parse_subscription`).
async fn subscribe_push(call: &Call<'_>) -> Result<Response, AppError> {
    let push = call.config.push.as_ref().ok_or(AppError::NotFound)?;
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let subscription = super::orders::parse_subscription(|name| Some(call.field(name)), push)?;
    let owner = crate::app::push::Owner::Customer(shopper.customer.id.clone());
    call.db.batch(&crate::app::push::subscribe_batch(&subscription, &owner, call.ctx.locale.code(), now())).await?;
    Response::empty().map(|r| r.with_status(204)).map_err(|e| AppError::internal("response", e))
}

async fn update_profile(call: &Call<'_>) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if let Err(errors) = account_flows::update_profile(&call.db, &shopper.customer.id, &call.field("name"), &call.field("phone"), now()).await? {
        return show_account(call, None, &errors, None).await;
    }
    Ok(redirect(&format!("{}?notice=profile_saved", call.href(paths::ACCOUNT)), Vec::new()))
}

/// The address form's fields as typed.
fn address_input(call: &Call<'_>) -> AddressInput {
    AddressInput {
        name: call.field("name"),
        phone: call.field("phone"),
        address: AddressForm {
            line1: call.field("address.line1"),
            province: call.field("address.province"),
            country: call.field("address.country"),
            province_code: call.field("address.province_code"),
            ward_code: call.field("address.ward_code"),
            postal_code: call.field("address.postal_code"),
            ..AddressForm::default()
        },
        make_default: call.field("default") == "1",
    }
}

/// The address form page: `values` the fields shown, the wards of the province chosen.
async fn address_form_page(call: &Call<'_>, id: Option<&str>, values: &dyn Fn(&str) -> String, is_default: bool, errors: &[FieldError], status: u16) -> Result<Response, AppError> {
    let provinces = regions::provinces(&call.db).await?;
    let wards = match ProvinceCode::parse(&values("address.province_code")) {
        Some(code) => regions::wards(&call.db, &code).await?.unwrap_or_default(),
        None => Vec::new(),
    };
    let view = account::AddressEditView { id, form: account::PlaceForm { value: values, provinces: &provinces, wards: &wards, errors }, is_default };
    Ok(call.page(status, account::address_edit_page(&call.ctx, &view)))
}

/// `POST /account/addresses` (new) and `/account/addresses/{id}` (edit): saves it, or shows the
/// form again with what to fix ("Update" lists the wards of the province chosen, saving nothing).
async fn save_address(call: &Call<'_>, editing: Option<&str>) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let typed = |name: &str| call.field(name);
    if call.field("refresh") == "1" {
        return address_form_page(call, editing, &typed, false, &[], 200).await;
    }
    let id = random::id().ok_or_else(|| AppError::Internal("no randomness".into()))?;
    match address_book::save(&call.db, &shopper.customer.id, editing, &id, &address_input(call), now()).await? {
        Ok(_) => Ok(redirect(&format!("{}?notice=address_saved", call.href(paths::ACCOUNT)), Vec::new())),
        Err(SaveError::Invalid(errors)) => address_form_page(call, editing, &typed, false, &errors, 422).await,
        Err(SaveError::NotFound) => Err(AppError::NotFound),
        Err(SaveError::TooMany) => Err(AppError::Invalid(vec![FieldError { field: "addresses", problem: Problem::TooMany }])),
    }
}

/// `GET /account/addresses/{id}/edit`: the saved address in the form (another account's is a 404).
async fn edit_address_form(call: &Call<'_>, id: &str) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let saved = address_book::addresses(&call.db, &shopper.customer.id).await?.into_iter().find(|a| a.id == id).ok_or(AppError::NotFound)?;
    let values = |name: &str| {
        match name {
            "name" => saved.name.clone(),
            "phone" => saved.phone.clone(),
            "address.line1" => saved.line1.clone(),
            "address.country" => saved.country.clone(),
            "address.province_code" => saved.province_code.clone().unwrap_or_default(),
            "address.ward_code" => saved.ward_code.clone().unwrap_or_default(),
            // Abroad, the free-text place; an address from before the reform is chosen again.
            "address.province" if saved.country != "VN" => saved.province.clone(),
            "address.postal_code" => saved.postal_code.clone(),
            _ => String::new(),
        }
    };
    address_form_page(call, Some(id), &values, saved.default, &[], 200).await
}

/// `POST /account/addresses/{id}/default`.
async fn default_address(call: &Call<'_>, id: &str) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !address_book::set_default(&call.db, &shopper.customer.id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect(&format!("{}?notice=address_saved", call.href(paths::ACCOUNT)), Vec::new()))
}

async fn delete_address(call: &Call<'_>, id: &str) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    // Someone else's address (or none): nothing changes, and the answer is the same as for no address.
    if !address_book::remove(&call.db, &shopper.customer.id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect(&format!("{}?notice=address_removed", call.href(paths::ACCOUNT)), Vec::new()))
}

async fn export(call: &Call<'_>) -> Result<Response, AppError> {
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let body = privacy::export(&call.db, &shopper.customer, now()).await?;
    let text = serde_json::to_string_pretty(&body).map_err(|e| AppError::internal("export json", e))?;
    Ok(attachment("application/json; charset=utf-8", text, "vestify-my-data.json"))
}

async fn delete_account(call: &Call<'_>) -> Result<Response, AppError> {
    let a = account_t(call.ctx.locale);
    let shopper = match call.shopper() {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let c = &shopper.customer;
    if call.field("confirm_delete") != "yes" {
        return show_account(call, None, &[], Some(a.delete_unconfirmed)).await;
    }
    if c.password_hash.is_some() && !verify_password(&call.field("confirm_password"), c.password_hash.as_deref()).await? {
        return show_account(call, None, &[], Some(a.wrong_current_password)).await;
    }
    call.db.batch(&privacy::delete_account_batch(&c.id, now())).await?;
    let location = format!("{}?notice=deleted", call.href(paths::LOGIN));
    let mut cookies = vec![SetCookie::removal(SESSION_COOKIE, "/", call.secure()).to_string()];
    cookies.extend(clear_cart_cookies(&call.ctx));
    Ok(redirect(&location, cookies))
}
