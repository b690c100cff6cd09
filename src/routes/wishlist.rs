//! The wishlist's pages and hearts, and the recently viewed block (issue 15, docs/WISHLIST.md).
//!
//! - `GET /wishlist` (`/en/wishlist`): the visitor's wishlist (personal, `no-store`, noindex);
//! - `POST /wishlist/add`, `POST /wishlist/remove` (field `product`: a slug): a guest's list is the
//!   signed cookie `vestify_wishlist`, an account's is in D1. Without JavaScript → 303 to the
//!   wishlist; the script asks with `Accept: application/json` → `{"product", "wishlisted", "count"}`;
//! - `GET /wishlist/ids.json`: the slugs of the visitor's wishlisted products, which fill the hearts
//!   of edge-cached pages (`no-store`);
//! - `GET /wishlist/shared/{token}`: a shared wishlist, read only (the token names its products);
//! - `POST /recently-viewed` (`ids`: the browser's list, `exclude`: the page's product): the block of
//!   cards as JSON `{"ids", "html"}`; for a signed-in shopper the list is joined with the account's.
//!
//! The hearts and the recently viewed block are on cached pages, which carry no CSRF token for
//! them: their POSTs are checked for our origin (`Sec-Fetch-Site`/`Origin`), as the newsletter's
//! form is. A forged request from another site is refused; what one could do is add a product to
//! a list, nothing more.

use worker::{Env, Method, Request, Response};

use super::http::{cookie_where, json_response, page, redirect, require_secret, serve_guarded_page, Form, FormGuard, Page, SetCookie};
use super::Incoming;
use crate::app::accounts::CustomerRow;
use crate::app::wishlist::{self as wl, Added, Owner, WishlistError};
use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::slug::Slug;
use crate::domain::wishlist::{self, GuestList};
use crate::platform::accounts::{current_shopper, Shopper};
use crate::platform::config::{now, Config};
use crate::platform::d1::D1;
use crate::views::wishlist as view;
use crate::views::PageCtx;

/// What every handler here gets: the page (request, context, form) with the database and the
/// signed-in shopper.
struct Call<'a> {
    page: &'a Page<'a>,
    db: D1,
    shopper: Option<Shopper>,
}

impl<'a> std::ops::Deref for Call<'a> {
    type Target = Page<'a>;

    fn deref(&self) -> &Page<'a> {
        self.page
    }
}

impl Call<'_> {
    fn wants_json(&self) -> bool {
        super::http::header(self.req, "accept").is_some_and(|a| a.contains("application/json"))
    }

    fn guest_list(&self) -> GuestList {
        guest_list(self.req, &self.config)
    }
}

fn guest_list(req: &Request, config: &Config) -> GuestList {
    let Some(secret) = config.shop_secret.as_deref() else { return GuestList::default() };
    cookie_where(req, wishlist::COOKIE, |v| GuestList::from_cookie(secret.as_bytes(), v)).unwrap_or_default()
}

pub async fn handle(req: Request, incoming: &Incoming, env: &Env) -> Response {
    let segments = incoming.segments();
    let read = matches!(incoming.method, Method::Get | Method::Head);
    let post = incoming.method == Method::Post;
    match segments.as_slice() {
        ["wishlist"] if read => serve(req, incoming, env, "wishlist.show", show).await,
        ["wishlist", "add"] if post => serve(req, incoming, env, "wishlist.add", async |c| change(c, true).await).await,
        ["wishlist", "remove"] if post => serve(req, incoming, env, "wishlist.remove", async |c| change(c, false).await).await,
        ["wishlist", "ids.json"] if read => serve(req, incoming, env, "wishlist.ids", ids).await,
        ["wishlist", "shared", token] if read => serve(req, incoming, env, "wishlist.shared", async |c| shared(c, token).await).await,
        ["recently-viewed"] if post => serve(req, incoming, env, "wishlist.recently_viewed", recent).await,
        ["wishlist"] | ["wishlist", "add" | "remove" | "ids.json"] | ["wishlist", "shared", _] | ["recently-viewed"] => {
            serve(req, incoming, env, "wishlist.method_not_allowed", async |_| Err(AppError::MethodNotAllowed)).await
        }
        _ => serve(req, incoming, env, "wishlist.not_found", async |_| Err(AppError::NotFound)).await,
    }
}

/// Runs the route `route` as every page area does (`serve_guarded_page`), its POSTs checked for our
/// origin only (see the module doc), with the signed-in shopper found before `handler`.
async fn serve<H>(req: Request, incoming: &Incoming, env: &Env, route: &'static str, handler: H) -> Response
where
    H: AsyncFnOnce(&Call<'_>) -> Result<Response, AppError>,
{
    serve_guarded_page(req, incoming, env, route, FormGuard::SameOrigin, async |page| {
        let db = D1::open(env)?;
        let shopper = current_shopper(page.req, &db, page.config.customer_sessions).await?;
        handler(&Call { page, db, shopper }).await
    })
    .await
}

fn secure(ctx: &PageCtx) -> bool {
    ctx.origin.starts_with("https://")
}

/// The count cookie the header script reads (it asks for the ids only when the list has some).
fn count_cookie(ctx: &PageCtx, count: usize) -> String {
    SetCookie::new(wishlist::COUNT_COOKIE, &count.to_string(), secure(ctx)).max_age(wishlist::COOKIE_SECONDS).readable_by_scripts().to_string()
}

fn guest_cookie(ctx: &PageCtx, secret: &str, list: &GuestList) -> String {
    SetCookie::new(wishlist::COOKIE, &list.to_cookie(secret.as_bytes()), secure(ctx)).max_age(wishlist::COOKIE_SECONDS).to_string()
}

/// The slug of the form's `product`, or the 422 naming it.
fn product_field(form: &Form) -> Result<Slug, AppError> {
    Slug::parse(form.value("product").trim()).ok_or_else(|| AppError::Unprocessable(vec![FieldError { field: "product", problem: Problem::BadValue }]))
}

/// `POST /wishlist/add` and `/wishlist/remove`.
async fn change(c: &Call<'_>, add: bool) -> Result<Response, AppError> {
    let slug = product_field(&c.form)?;
    let mut cookies = Vec::new();
    let count = match &c.shopper {
        Some(shopper) => {
            let owner = Owner::of(&shopper.customer, c.ctx.locale.code());
            if add {
                match wl::add(&c.db, owner, slug.as_str(), now()).await {
                    Ok(Added::Added | Added::AlreadyThere) => {}
                    Err(WishlistError::Full) => return full(c).await,
                    Err(e) => return Err(e.into()),
                }
            } else {
                wl::remove(&c.db, owner, slug.as_str()).await?;
            }
            wl::entries(&c.db, &shopper.customer.id).await?.len()
        }
        None => {
            let secret = require_secret(&c.config)?;
            let mut list = c.guest_list();
            let product = wl::product_now(&c.db, slug.as_str()).await?;
            if add {
                let product = product.filter(wl::ProductNow::sellable).ok_or(AppError::NotFound)?;
                if list.add(product.entry()).is_err() {
                    return full(c).await;
                }
            } else if let Some(product) = product {
                list.remove(product.id);
            }
            cookies.push(guest_cookie(&c.ctx, secret, &list));
            list.entries.len()
        }
    };
    cookies.push(count_cookie(&c.ctx, count));
    if c.wants_json() {
        let response = json_response(200, &serde_json::json!({"product": slug.as_str(), "wishlisted": add, "count": count}));
        for cookie in cookies {
            let _ = response.headers().append("set-cookie", &cookie);
        }
        return Ok(response);
    }
    Ok(redirect(&format!("{}?done={}", c.ctx.href(view::WISHLIST), if add { "added" } else { "removed" }), cookies))
}

/// The visitor's entries, most recently added first.
async fn entries(c: &Call<'_>) -> Result<Vec<wishlist::Entry>, AppError> {
    Ok(match &c.shopper {
        Some(shopper) => wl::entries(&c.db, &shopper.customer.id).await?,
        None => c.guest_list().entries.into_iter().rev().collect(),
    })
}

/// `GET /wishlist`.
async fn show(c: &Call<'_>) -> Result<Response, AppError> {
    let notice = super::http::query_param(&c.ctx.query, "done").and_then(|code| view::notice(&c.ctx, &code));
    show_with(c, 200, notice).await
}

/// A full list refuses a new product: the wishlist with the reason (422, which the script answers
/// by sending the form, so the shopper sees this page either way).
async fn full(c: &Call<'_>) -> Result<Response, AppError> {
    show_with(c, 422, view::notice(&c.ctx, "full")).await
}

async fn show_with(c: &Call<'_>, status: u16, notice: Option<&str>) -> Result<Response, AppError> {
    let items = wl::items(&c.db, &entries(c).await?).await?;
    let share = match c.config.shop_secret.as_deref() {
        Some(secret) if !items.is_empty() => {
            let ids: Vec<i64> = items.iter().map(|i| i.product.id).collect();
            Some(c.ctx.absolute(&c.ctx.href(&format!("{}/{}", view::SHARED, wishlist::share_token(secret.as_bytes(), &ids)))))
        }
        _ => None,
    };
    Ok(page(status, view::wishlist_page(&c.ctx, &items, share.as_deref(), c.shopper.is_some(), notice)))
}

/// `GET /wishlist/ids.json`.
async fn ids(c: &Call<'_>) -> Result<Response, AppError> {
    let slugs = match &c.shopper {
        Some(shopper) => wl::slugs(&c.db, &shopper.customer.id).await?,
        None => {
            let ids: Vec<i64> = c.guest_list().entries.iter().map(|e| e.product_id).collect();
            wl::slugs_of(&c.db, &ids).await?
        }
    };
    Ok(json_response(200, &serde_json::json!({ "products": slugs })))
}

/// `GET /wishlist/shared/{token}`: a token whose signature does not hold is a 404.
async fn shared(c: &Call<'_>, token: &str) -> Result<Response, AppError> {
    let secret = require_secret(&c.config)?;
    let ids = wishlist::verify_share_token(secret.as_bytes(), token).ok_or(AppError::NotFound)?;
    let cards = wl::cards_in_order(&c.db, &ids).await?;
    Ok(page(200, view::shared_page(&c.ctx, &cards)))
}

/// Cards the recently viewed block shows.
const RECENT_SHOWN: usize = 8;

/// `POST /recently-viewed`.
async fn recent(c: &Call<'_>) -> Result<Response, AppError> {
    let device = wishlist::parse_ids(c.form.value("ids"));
    let exclude = c.form.value("exclude").trim().parse::<i64>().ok();
    let ids = match &c.shopper {
        Some(shopper) => wl::sync_recent(&c.db, &shopper.customer.id, &device, now()).await?,
        None => device,
    };
    let shown: Vec<i64> = ids.iter().copied().filter(|&id| Some(id) != exclude).take(RECENT_SHOWN).collect();
    let cards = wl::cards_in_order(&c.db, &shown).await?;
    let html = view::recent_block(&c.ctx, &cards).into_string();
    Ok(json_response(200, &serde_json::json!({ "ids": ids, "html": html })))
}

/// On sign-in: the device's guest wishlist joins the account's and its cookie goes; the count
/// cookie then counts the account's list. A failure is logged and must not block signing in (the
/// cookie stays and the next sign-in merges it).
pub async fn on_sign_in(req: &Request, db: &D1, config: &Config, ctx: &PageCtx, customer: &CustomerRow) -> Vec<String> {
    let list = guest_list(req, config);
    let owner = Owner::of(customer, ctx.locale.code());
    let mut cookies = Vec::new();
    if !list.entries.is_empty() {
        match wl::merge(db, owner, &list.entries, now()).await {
            Ok(_) => cookies.push(SetCookie::removal(wishlist::COOKIE, "/", secure(ctx)).to_string()),
            Err(e) => {
                worker::console_error!("wishlist merge for {}: {e}", customer.id);
                return cookies;
            }
        }
    }
    match wl::entries(db, &customer.id).await {
        Ok(entries) => cookies.push(count_cookie(ctx, entries.len())),
        Err(e) => worker::console_error!("wishlist count for {}: {e}", customer.id),
    }
    cookies
}
