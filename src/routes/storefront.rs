//! Storefront pages: home, category listings, product pages, search, robots.txt and sitemap.xml.

use std::rc::Rc;

use maud::Markup;
use worker::{Context, Env, Method, Response};

use super::http::{error_page, error_rendered, moved_permanently, Form};
use super::Incoming;
use crate::app::availability::Availability;
use crate::app::catalog::{CatalogStore, Listing, Scope};
use crate::domain::catalog::{Category, Color};
use crate::domain::error::AppError;
use crate::domain::http_cache;
use crate::domain::listing::ListingQuery;
use crate::domain::locale::Locale;
use crate::domain::slug::Slug;
use crate::platform::d1::D1;
use crate::platform::edge_cache::{self, Rendered};
use crate::views::{home, listing, paths, product, pwa, seo, PageCtx};

use crate::app::analytics::ProductRef;
use crate::domain::analytics::EventKind;

const HTML: &str = "text/html; charset=utf-8";
/// Cards per home-page section.
const HOME_CARDS: i64 = 8;

enum Page {
    Home,
    Category(Slug),
    Product(Slug),
    Search,
    /// `/c/{slug}/count`, `/search/count`: how many products a listing's filters leave (`{"total": n}`),
    /// for the filter sheet's Apply button (`public/js/app.js`).
    Count(Option<Slug>),
    Offline,
    Feed(Feed),
    Info(crate::domain::shop_info::InfoPage),
    Robots,
    Sitemap,
    NotFound,
}

/// A page of the storefront by its path without the locale prefix, named for the request log.
fn route(path: &str) -> (&'static str, Page) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => ("storefront.home", Page::Home),
        ["c", slug] => ("storefront.category", Slug::parse(slug).map_or(Page::NotFound, Page::Category)),
        ["p", slug] => ("storefront.product", Slug::parse(slug).map_or(Page::NotFound, Page::Product)),
        ["search"] => ("storefront.search", Page::Search),
        ["c", slug, "count"] => ("storefront.listing_count", Slug::parse(slug).map_or(Page::NotFound, |s| Page::Count(Some(s)))),
        ["search", "count"] => ("storefront.listing_count", Page::Count(None)),
        ["offline"] => ("storefront.offline", Page::Offline),
        ["pages", slug] => ("storefront.info_page", crate::domain::shop_info::InfoPage::parse(slug).map_or(Page::NotFound, Page::Info)),
        _ => ("storefront.not_found", Page::NotFound),
    }
}

/// The storefront area: every path no other area claims. Its routes are named here for the log.
pub async fn handle(req: &Incoming, env: &Env, ctx: &Context) -> Response {
    if !matches!(req.method, Method::Get | Method::Head) {
        return method_not_allowed(req, env).await;
    }
    // Tracking parameters (`fbclid`, `utm_*`…) neither change the page nor split its cache entry.
    let query = http_cache::page_query(&req.query);
    let (name, page) = match req.path.as_str() {
        "/robots.txt" => ("storefront.robots", Page::Robots),
        "/feeds/google.xml" => ("storefront.feed_google", Page::Feed(Feed::Google)),
        "/feeds/meta.csv" => ("storefront.feed_meta", Page::Feed(Feed::Meta)),
        "/feeds/tiktok.csv" => ("storefront.feed_tiktok", Page::Feed(Feed::TikTok)),
        pwa::MANIFEST_PATH => {
            req.name("storefront.manifest");
            return app_file(req, "application/manifest+json", http_cache::REFERENCE, pwa::manifest().to_string());
        }
        pwa::SW_PATH => {
            req.name("storefront.service_worker");
            return app_file(req, "text/javascript; charset=utf-8", "no-cache", pwa::service_worker(crate::assets::BUILD_DIGEST));
        }
        "/sitemap.xml" => ("storefront.sitemap", Page::Sitemap),
        // One URL per page: `/c/x/` redirects to `/c/x` (the locale roots keep their slash).
        // Leading slashes collapse too: `//host/` must not become a protocol-relative Location.
        path if path.len() > 1 && path.ends_with('/') && path != "/en/" => {
            req.name("storefront.redirect");
            return moved_permanently(&format!("/{}{query}", path.trim_matches('/')));
        }
        "/en" => {
            req.name("storefront.redirect");
            return moved_permanently(&format!("/en/{query}"));
        }
        path => route(Locale::split_path(path).1),
    };
    // A filter form sent without JavaScript carries its empty fields (`min_price=&max_price=`):
    // the listing's one URL is without them.
    if matches!(page, Page::Category(_) | Page::Search) {
        if let Some(clean) = crate::domain::listing::without_empty_fields(&query) {
            req.name("storefront.redirect");
            return moved_permanently(&format!("{}{clean}", req.path));
        }
    }
    req.name(name);
    let cleaned;
    let req = if query == req.query {
        req
    } else {
        cleaned = Incoming { query, ..req.clone() };
        &cleaned
    };
    let key = req.path_and_query();
    let event = match &page {
        Page::Product(slug) => Some((EventKind::ProductViewed, Some(slug.as_str().to_string()))),
        Page::Home | Page::Category(_) | Page::Search => Some((EventKind::PageViewed, None)),
        Page::Count(_) | Page::Info(_) | Page::Robots | Page::Sitemap | Page::Offline | Page::Feed(_) | Page::NotFound => None,
    };
    // A product page's key follows which of its variants are sold out (`app::availability`), and
    // the page is rendered from that same snapshot.
    let stock = match &page {
        Page::Product(slug) => crate::platform::live_stock::of_product(env, slug.as_str()).await,
        _ => None,
    };
    let key = match &stock {
        Some(stock) => crate::platform::live_stock::keyed(&key, &stock.page_key()),
        None => key,
    };
    let response = edge_cache::serve(env, ctx, &req.origin, &key, req.if_none_match.as_deref(), Some(&req.visitor), |version| render(req, env, page, version, stock)).await;
    if let Some((kind, slug)) = event.filter(|_| matches!(response.status_code(), 200 | 304)) {
        let product = slug.as_deref().map_or(ProductRef::None, ProductRef::Slug);
        super::track::Tracker::new(env, ctx, req).record(kind, product, None);
    }
    response
}

/// The manifest and the service worker: made from this build alone (no storage), with an ETag of the
/// build so a revisit costs a 304. The worker's own CSP keeps what it may load and fetch to the shop.
fn app_file(req: &Incoming, content_type: &'static str, cache_control: &str, body: String) -> Response {
    let etag = http_cache::etag(body.as_bytes());
    if req.if_none_match.as_deref().is_some_and(|inm| http_cache::if_none_match_hits(inm, &etag)) {
        let headers = worker::Headers::new();
        let _ = headers.set("etag", &etag);
        let _ = headers.set("cache-control", cache_control);
        return worker::ResponseBuilder::new().with_status(304).with_headers(headers).empty();
    }
    let mut rendered = Rendered::new(200, content_type, body);
    rendered.headers.push(("content-security-policy", "default-src 'self'".to_string()));
    edge_cache::respond(rendered, cache_control, Some(&etag))
}

/// A write to a storefront path: 405 with `allow: GET, HEAD`.
async fn method_not_allowed(req: &Incoming, env: &Env) -> Response {
    req.name("storefront.method_not_allowed");
    let (locale, path) = Locale::split_path(&req.path);
    let version = edge_cache::catalog_version(env).await;
    let page_ctx = page_ctx(req, env, locale, path, &version).await;
    let response = error_page(&page_ctx, req, AppError::MethodNotAllowed);
    let _ = response.headers().set("allow", "GET, HEAD");
    response
}

/// The context every page needs; categories come from isolate memory when this catalog version was
/// seen before. A storage failure still renders the page (with an empty menu), never an error.
pub async fn page_ctx(req: &Incoming, env: &Env, locale: Locale, path: &str, version: &str) -> PageCtx {
    let categories = match lists(env, version).await {
        Ok((categories, _)) => categories.to_vec(),
        Err(e) => {
            worker::console_error!("categories: {e}");
            Vec::new()
        }
    };
    let shop = match shop_info(env, version).await {
        Ok(info) => (*info).clone(),
        Err(e) => {
            worker::console_error!("shop info: {e}");
            Default::default()
        }
    };
    PageCtx { locale, path: path.to_string(), query: req.query.clone(), origin: req.origin.clone(), categories, shop }
}

async fn shop_info(env: &Env, version: &str) -> Result<Rc<crate::domain::shop_info::ShopInfo>, AppError> {
    catalog_db(env)?.shop_info(version).await
}

async fn lists(env: &Env, version: &str) -> Result<(Rc<Vec<Category>>, Rc<Vec<Color>>), AppError> {
    catalog_db(env)?.catalog_lists(version).await
}

/// The database for a catalog page's reads: a replica at least as new as the catalog version when
/// `READ_REPLICATION` is on (`domain::replication`), else the primary. Call after
/// `edge_cache::catalog_version`, which reads the version's bookmark.
fn catalog_db(env: &Env) -> Result<D1, AppError> {
    let config = crate::platform::config::Config::from_env(env);
    D1::catalog_reader(env, config.read_replication, edge_cache::catalog_bookmark().as_deref())
}

async fn render(req: &Incoming, env: &Env, page: Page, version: String, stock: Option<Rc<Availability>>) -> Rendered {
    let (locale, path) = Locale::split_path(&req.path);
    let ctx = page_ctx(req, env, locale, path, &version).await;
    let db = match catalog_db(env) {
        Ok(db) => db,
        Err(e) => return error_rendered(&ctx, req, &e),
    };
    let colors = match db.catalog_lists(&version).await {
        Ok((_, colors)) => colors,
        Err(e) => return error_rendered(&ctx, req, &e),
    };
    let result = match page {
        Page::Home => home_page(&ctx, &db).await.map(|m| html(200, m)),
        Page::Category(slug) => category_page(&ctx, &db, &version, &slug, &colors).await.map(|m| html(200, m)),
        Page::Product(slug) => product_page(&ctx, env, &db, &version, &slug, &colors, stock.as_deref()).await.map(|m| html(200, m)),
        Page::Search => search_page(&ctx, &db, &version, &colors).await.map(|m| html(200, m)),
        Page::Count(slug) => return listing_count(&ctx, req, &db, slug.as_ref()).await,
        Page::Offline => Ok(html(200, pwa::offline_page(&ctx))),
        Page::Feed(feed) => feed_file(env, &ctx, &db, feed).await,
        Page::Info(which) => info_page(&ctx, &db, which).await.map(|m| html(200, m)),
        Page::Robots => Ok(Rendered::new(200, "text/plain; charset=utf-8", seo::robots_txt(&ctx.origin))),
        Page::Sitemap => sitemap(&ctx, &db).await,
        Page::NotFound => Err(AppError::NotFound),
    };
    result.unwrap_or_else(|e| error_rendered(&ctx, req, &e))
}

/// `/sw.js`: the service worker, at the root so its scope is the whole shop. Its Web Push handlers
/// live in `public/js/sw-push.js` (imported by its fingerprinted URL, so a new version is a new
/// worker script); never cached, so browsers see a new version at once.
fn html(status: u16, markup: Markup) -> Rendered {
    Rendered::new(status, HTML, markup.into_string())
}

fn listing_query(ctx: &PageCtx) -> Result<ListingQuery, AppError> {
    Ok(ListingQuery::from_query_string(&ctx.query)?)
}

async fn home_page(ctx: &PageCtx, db: &D1) -> Result<Markup, AppError> {
    let mut sections = db.collections(&[("new-arrivals", HOME_CARDS), ("best-sellers", HOME_CARDS)]).await?.into_iter();
    let data = home::HomeData { new_arrivals: sections.next().unwrap_or_default(), best_sellers: sections.next().unwrap_or_default() };
    Ok(home::home(ctx, &data))
}

/// A category's listing for the page's query: the page and its count endpoint share it.
async fn category_listing<'a>(ctx: &'a PageCtx, db: &D1, slug: &Slug) -> Result<(&'a Category, ListingQuery, Listing), AppError> {
    let category = ctx.categories.iter().find(|c| c.slug == slug.as_str()).ok_or(AppError::NotFound)?;
    let q = listing_query(ctx)?;
    let scope = Scope { category_path: Some(category.path.clone()), fts_match: None, exact_match: None };
    let listing = db.listing(&scope, &q).await?;
    Ok((category, q, listing))
}

/// The number of products the listing at this path and query shows: the very same parsing and
/// query as the page (`category_listing`, `search_listing`), so the Apply button never promises
/// another figure than the page it leads to. JSON, cached at the edge per catalog version like the page.
async fn listing_count(ctx: &PageCtx, req: &Incoming, db: &D1, slug: Option<&Slug>) -> Rendered {
    let total = match slug {
        Some(slug) => category_listing(ctx, db, slug).await.map(|(_, _, listing)| listing.total),
        None => match listing_query(ctx) {
            Ok(q) => search_listing(db, &q).await.map(|(listing, _)| listing.total),
            Err(e) => Err(e),
        },
    };
    match total {
        Ok(total) => Rendered::new(200, "application/json; charset=utf-8", serde_json::json!({ "total": total }).to_string()),
        Err(e) => super::http::error_body(req, &e),
    }
}

async fn category_page(ctx: &PageCtx, db: &D1, version: &str, slug: &Slug, colors: &[Color]) -> Result<Markup, AppError> {
    let (category, q, listing) = category_listing(ctx, db, slug).await?;
    let view = listing::ListingView { kind: listing::Kind::Category(category), query: &q, listing: &listing, colors };
    let ancestry: Vec<i64> = category.ancestry(&ctx.categories).iter().map(|c| c.id).collect();
    let badges = super::promotions::badges_for(ctx, db, version, None, &ancestry, &[]).await;
    Ok(listing::listing_page_with(ctx, &view, &badges))
}

async fn product_page(ctx: &PageCtx, env: &Env, db: &D1, version: &str, slug: &Slug, colors: &[Color], stock: Option<&Availability>) -> Result<Markup, AppError> {
    let now_ms = worker::Date::now().as_millis() as f64;
    let data = match crate::platform::memo::product(version, slug.as_str(), now_ms) {
        Some(data) => data,
        None => {
            let found = db.product(slug.as_str()).await?.ok_or(AppError::NotFound)?;
            crate::platform::memo::keep_product(version, slug.as_str(), now_ms, found)
        }
    };
    let live;
    let data = match stock {
        Some(stock) => {
            let mut own = (*data).clone();
            stock.apply(&mut own.variants);
            live = own;
            &live
        }
        None => &*data,
    };
    // Bundles that have not started or have ended stay off the page (the promotion schedule in
    // the cache key makes the page anew at those instants).
    let now = crate::platform::config::now();
    let running;
    let data = if data.bundles.iter().any(|b| !b.live_at(now)) {
        let mut own = data.clone();
        own.bundles.retain(|b| b.live_at(now));
        running = own;
        &running
    } else {
        data
    };
    let pairs = Form::parse(&ctx.query);
    let choice = product::Choice { sku: pairs.get("variant"), color: pairs.get("color"), size: pairs.get("size") };
    let ancestry: Vec<i64> = ctx.categories.iter().find(|c| c.id == data.product.category_id).map_or_else(Vec::new, |c| c.ancestry(&ctx.categories).iter().map(|a| a.id).collect());
    let badges = super::promotions::badges_for(ctx, db, version, Some(data.product.id), &ancestry, &data.collections).await;
    // The review block: filters from the page's query (a bad value shows the first page unfiltered).
    let review_query = crate::domain::reviews::ReviewQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .unwrap_or(crate::domain::reviews::ReviewQuery { page: 1, ..Default::default() });
    let mut reviews = crate::app::reviews::page(db, data.product.id, &review_query).await?;
    // The Q&A block's page (`qpage`; a bad value shows the first).
    let qpage = pairs.get("qpage").and_then(|n| n.parse::<i64>().ok()).filter(|n| (1..=1000).contains(n)).unwrap_or(1);
    let questions = crate::app::questions::page(db, data.product.id, qpage).await?;
    reviews.video_base = crate::platform::config::Config::cached().and_then(|c| c.stream.as_ref().map(|s| s.delivery_base.clone()));
    // The shop's shipping terms for the offers' structured data; without them the page still renders.
    let rates = crate::app::shipping::rate_table(db).await.map_err(|e| worker::console_error!("shipping rates: {e}")).unwrap_or_default();
    let terms = product::OfferTerms { rates: rates.into_iter().map(|r| r.rate).collect(), free_from: crate::platform::config::Config::from_env(env).shipping.free_standard_from };
    Ok(product::product_page_full(ctx, data, colors, &choice, &badges, Some((&reviews, &review_query)), Some(&terms), Some(&questions)))
}

/// Runs a search listing (`app::search`).
pub async fn search_listing(db: &D1, q: &ListingQuery) -> Result<(Listing, bool), AppError> {
    crate::app::search::search(db, q).await
}

async fn search_page(ctx: &PageCtx, db: &D1, version: &str, colors: &[Color]) -> Result<Markup, AppError> {
    let q = listing_query(ctx)?;
    let (listing, partial) = search_listing(db, &q).await?;
    let view = listing::ListingView { kind: listing::Kind::Search { partial }, query: &q, listing: &listing, colors };
    let badges = super::promotions::badges_for(ctx, db, version, None, &[], &[]).await;
    Ok(listing::listing_page_with(ctx, &view, &badges))
}

/// The shopping feeds (docs/FEEDS.md). Rendered through the edge cache like a page, so each is
/// built once per catalog version and place.
#[derive(Clone, Copy)]
enum Feed {
    Google,
    Meta,
    TikTok,
}

async fn feed_file(env: &Env, ctx: &PageCtx, db: &D1, feed: Feed) -> Result<Rendered, AppError> {
    let config = crate::platform::config::Config::from_env(env);
    let settings = &config.shipping;
    let items = crate::app::feeds::items(db, &ctx.origin, settings).await?;
    let csv = "text/csv; charset=utf-8";
    Ok(match feed {
        Feed::Google => Rendered::new(200, "application/xml; charset=utf-8", crate::domain::feeds::google_xml(ctx.t().shop_name, &ctx.absolute("/"), &items)),
        Feed::Meta => Rendered::new(200, csv, crate::domain::feeds::meta_csv(&items)),
        Feed::TikTok => Rendered::new(200, csv, crate::domain::feeds::tiktok_csv(&items)),
    })
}

async fn info_page(ctx: &PageCtx, db: &D1, which: crate::domain::shop_info::InfoPage) -> Result<Markup, AppError> {
    let text = crate::app::shop_info::page(db, which).await?.ok_or(AppError::NotFound)?;
    Ok(crate::views::shop_pages::info_page(ctx, which, &text))
}

async fn sitemap(ctx: &PageCtx, db: &D1) -> Result<Rendered, AppError> {
    let mut pages: Vec<(String, Option<String>)> = vec![("/".to_string(), None)];
    pages.extend(ctx.categories.iter().map(|c| (paths::category(&c.slug), None)));
    pages.extend(crate::domain::shop_info::InfoPage::ALL.iter().map(|p| (p.path(), None)));
    pages.extend(
        db.sitemap_products()
            .await?
            .into_iter()
            .map(|p| (paths::product(&p.slug), Some(p.updated_at.chars().take(10).collect()))),
    );
    Ok(Rendered::new(200, "application/xml; charset=utf-8", seo::sitemap_xml(&ctx.origin, &pages)))
}

