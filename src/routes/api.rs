//! The public JSON API (`/api/v1`): categories, product listings with facets, product detail,
//! search, Vietnam's provinces and wards, and the OpenAPI document that describes them. Errors are
//! `{"error": {"code", "message", "fields", "request_id"}}` with the matching status
//! (`routes::http::error_body`).

use serde::Serialize;
use serde_json::{json, Value};
use worker::{Context, Env, Method, Response};

use super::http::error_body;
use super::storefront::search_listing;
use super::Incoming;
use crate::app::availability::{self, Availability};
use crate::app::bundles::Offer;
use crate::app::catalog::{self, CardRow, CatalogStore, FacetCount, IdRow, Listing, PriceRange, ProductPage, Scope};
use crate::app::db::{expect_n, Db};
use crate::app::recs;
use crate::domain::recs::RecQuery;
use crate::app::regions;
use crate::assets;
use crate::domain::catalog::{Category, ProductCard};
use crate::domain::error::AppError;
use crate::domain::http::Form;
use crate::domain::http_cache;
use crate::domain::listing::{total_pages, ListingQuery};
use crate::domain::regions::ProvinceCode;
use crate::domain::slug::Slug;
use crate::platform::d1::D1;
use crate::platform::edge_cache::{self, respond, Rendered};
use crate::platform::live_stock;
use crate::views::paths;

const JSON: &str = "application/json; charset=utf-8";
/// The OpenAPI 3.1 description of this API; integration tests check responses against it.
const OPENAPI: &str = include_str!("openapi.json");

/// The API area's routes, each named here for the request log before the edge cache answers.
pub async fn handle(req: &Incoming, env: &Env, ctx: &Context) -> Response {
    if !matches!(req.method, Method::Get | Method::Head) {
        req.name("api.unknown");
        let mut rendered = error_body(req, &AppError::MethodNotAllowed);
        rendered.headers.push(("allow", "GET, HEAD".to_string()));
        return respond(rendered, http_cache::NO_STORE, None);
    }
    let path = req.path.as_str();
    let segments: Vec<&str> = path.strip_prefix("/api/v1/").map_or_else(Vec::new, |rest| rest.split('/').collect());
    match segments.as_slice() {
        ["openapi.json"] => serve(req, env, ctx, "api.openapi", async || Ok(OPENAPI.to_string())).await,
        ["docs"] => reference(req, env, ctx).await,
        ["categories"] => serve(req, env, ctx, "api.categories", async || to_json(categories(&D1::open(env)?).await?)).await,
        ["products"] => serve(req, env, ctx, "api.products", async || to_json(products(&D1::open(env)?, req).await?)).await,
        ["products", slug] => {
            // Keyed by every variant's count as D1 has it now (at most a second old), and rendered
            // from that snapshot: `available` agrees with the cart (`app::availability`).
            let stock = match Slug::parse(slug) {
                Some(s) => live_stock::of_product(env, s.as_str()).await,
                None => None,
            };
            let key = stock.as_ref().map(|s| live_stock::keyed(&req.path_and_query(), &s.exact_key()));
            serve_keyed(req, env, ctx, "api.product", None, key, async || {
                let db = D1::open(env)?;
                // The colours' names, from the lists kept per catalog version (as the pages get them).
                let (_, colors) = db.catalog_lists(&edge_cache::catalog_version(env).await).await?;
                to_json(product(&db, req, slug, stock.as_deref(), &colors).await?)
            })
            .await
        }
        ["products", slug, "recommendations"] => {
            serve(req, env, ctx, "api.product_recommendations", async || to_json(recommendations(&D1::open(env)?, req, slug).await?)).await
        }
        ["availability"] => availability(req, env).await,
        ["search"] => serve(req, env, ctx, "api.search", async || to_json(search(&D1::open(env)?, req).await?)).await,
        ["regions", "provinces"] => serve_as(req, env, ctx, "api.provinces", Some(http_cache::REFERENCE), async || to_json(provinces(&D1::open(env)?).await?)).await,
        ["regions", "provinces", code, "wards"] => serve_as(req, env, ctx, "api.wards", Some(http_cache::REFERENCE), async || to_json(wards(&D1::open(env)?, code).await?)).await,
        _ => serve(req, env, ctx, "api.unknown", async || Err(AppError::NotFound)).await,
    }
}

/// Runs the route `route` through the edge cache: `render` runs on a miss, its error is the JSON
/// envelope (never stored).
pub(super) async fn serve<H>(req: &Incoming, env: &Env, ctx: &Context, route: &'static str, render: H) -> Response
where
    H: AsyncFnOnce() -> Result<String, AppError>,
{
    serve_as(req, env, ctx, route, None, render).await
}

/// `GET /api/v1/availability?variants=1,2,3` → `{"variants": {"1": 4, …}}`: what a shopper can buy
/// of each now, never cached (what cached pages fill their stock lines with). At most
/// `app::availability::MAX_IDS` ids; an id of nothing on sale has 0.
async fn availability(req: &Incoming, env: &Env) -> Response {
    req.name("api.availability");
    let result = async {
        let ids = availability::parse_ids(Form::parse(&req.query).get("variants")).map_err(|e| AppError::from(vec![e]))?;
        let found = availability::of_variants(&D1::open(env)?, &ids).await?;
        to_json(found.to_json())
    }
    .await;
    let response = match result {
        Ok(body) => respond(Rendered::new(200, JSON, body), http_cache::NO_STORE, None),
        Err(e) => respond(error_body(req, &e), http_cache::NO_STORE, None),
    };
    response
}

/// `serve`, with `policy` as the success's Cache-Control instead of the catalog's.
async fn serve_as<H>(req: &Incoming, env: &Env, ctx: &Context, route: &'static str, policy: Option<&'static str>, render: H) -> Response
where
    H: AsyncFnOnce() -> Result<String, AppError>,
{
    serve_keyed(req, env, ctx, route, policy, None, render).await
}

/// `serve_as`, stored under `key` when given instead of the request's path and query.
async fn serve_keyed<H>(req: &Incoming, env: &Env, ctx: &Context, route: &'static str, policy: Option<&'static str>, key: Option<String>, render: H) -> Response
where
    H: AsyncFnOnce() -> Result<String, AppError>,
{
    req.name(route);
    let key = key.unwrap_or_else(|| req.path_and_query());
    let response = edge_cache::serve(env, ctx, &req.origin, &key, req.if_none_match.as_deref(), None, |_version| async move {
        match render().await {
            Ok(value) => {
                let mut rendered = Rendered::new(200, JSON, value);
                rendered.headers.extend(policy.map(|p| ("cache-control", p.to_string())));
                rendered
            }
            Err(e) => error_body(req, &e),
        }
    })
    .await;
    // Read-only public data: any site may fetch it, without credentials (`*` is set on the way out,
    // `routes::cross_origin`).
    response
}

/// `GET /api/v1/docs`: the reference rendered from the OpenAPI document (`views::api_docs`),
/// cached at the edge like the catalog.
async fn reference(req: &Incoming, env: &Env, ctx: &Context) -> Response {
    req.name("api.docs");
    let key = req.path_and_query();
    edge_cache::serve(env, ctx, &req.origin, &key, req.if_none_match.as_deref(), None, |_version| async move {
        match serde_json::from_str::<Value>(OPENAPI) {
            Ok(doc) => Rendered::new(200, "text/html; charset=utf-8", crate::views::api_docs::reference(&doc, &req.origin).into_string()),
            Err(e) => error_body(req, &AppError::internal("openapi.json", e)),
        }
    })
    .await
}

fn to_json(value: Value) -> Result<String, AppError> {
    serde_json::to_string(&value).map_err(|e| AppError::internal("json", e))
}

#[derive(Serialize)]
struct Localized<'a> {
    vi: &'a str,
    en: &'a str,
}

fn category_json(c: &Category) -> Value {
    json!({
        "id": c.id,
        "slug": c.slug,
        "parent_id": c.parent_id,
        "name": Localized { vi: &c.name_vi, en: &c.name_en },
        "description": Localized { vi: &c.description_vi, en: &c.description_en },
        "url": paths::category(&c.slug),
    })
}

fn card_json(origin: &str, card: &ProductCard) -> Value {
    json!({
        "id": card.id,
        "slug": card.slug,
        "name": Localized { vi: &card.name_vi, en: &card.name_en },
        "price": card.price,
        "compare_at_price": card.compare_at().map(|m| m.amount()),
        "currency": "VND",
        "available": card.available,
        "in_stock": card.available > 0,
        "image_url": card.image_url.as_deref().map(|u| format!("{origin}{}", assets::url(u))),
        "url": format!("{origin}{}", paths::product(&card.slug)),
    })
}

fn listing_json(origin: &str, q: &ListingQuery, listing: &Listing) -> Value {
    let facet = |values: &[FacetCount]| values.iter().map(|f| json!({"value": f.value, "count": f.count})).collect::<Vec<_>>();
    let PriceRange { min, max } = &listing.price_range;
    json!({
        "products": listing.cards.iter().map(|c| card_json(origin, c)).collect::<Vec<_>>(),
        "total": listing.total,
        "page": q.page,
        "per_page": q.per_page,
        "total_pages": total_pages(listing.total, q.per_page),
        "sort": q.effective_sort().code(),
        "facets": {
            "size": facet(&listing.sizes),
            "color": facet(&listing.colors),
            "price": {"min": min, "max": max},
        },
    })
}

fn listing_query(req: &Incoming) -> Result<ListingQuery, AppError> {
    Ok(ListingQuery::from_query_string(&req.query)?)
}

async fn categories(db: &D1) -> Result<Value, AppError> {
    let all = db.categories().await?;
    Ok(json!({"categories": all.iter().map(category_json).collect::<Vec<_>>()}))
}

async fn products(db: &D1, req: &Incoming) -> Result<Value, AppError> {
    let q = listing_query(req)?;
    if q.q.is_some() {
        return search(db, req).await;
    }
    let mut scope = Scope::default();
    if let Some(slug) = &q.category {
        // A well-formed slug that names no category is a resource that does not exist (404), as
        // `/c/{slug}` is; only a malformed one is a bad parameter (400).
        let categories = db.categories().await?;
        let category = categories.iter().find(|c| &c.slug == slug).ok_or(AppError::NotFound)?;
        scope.category_path = Some(category.path.clone());
    }
    let listing = db.listing(&scope, &q).await?;
    Ok(listing_json(&req.origin, &q, &listing))
}

async fn provinces(db: &D1) -> Result<Value, AppError> {
    let all = regions::provinces(db).await?;
    Ok(json!({"provinces": all.iter().map(|p| json!({"code": p.code, "name": p.name, "name_en": p.name_en})).collect::<Vec<_>>()}))
}

/// An unknown or malformed province code is a 404, as an unknown product is.
async fn wards(db: &D1, code: &str) -> Result<Value, AppError> {
    let code = ProvinceCode::parse(code).ok_or(AppError::NotFound)?;
    let wards = regions::wards(db, &code).await?.ok_or(AppError::NotFound)?;
    Ok(json!({"wards": wards.iter().map(|w| json!({"code": w.code, "name": w.name})).collect::<Vec<_>>()}))
}

async fn search(db: &D1, req: &Incoming) -> Result<Value, AppError> {
    let q = listing_query(req)?;
    let (listing, partial) = search_listing(db, &q).await?;
    let mut value = listing_json(&req.origin, &q, &listing);
    value["query"] = json!(q.q);
    value["partial"] = json!(partial);
    Ok(value)
}

/// `GET /api/v1/products/{slug}/recommendations?kind=&limit=` → `{"products": [cards]}`: one of the
/// product's lists (`app::recs`), never the product itself nor one that cannot be bought. An unknown
/// product is a 404; a bad `kind` or `limit` a 400 naming the field.
async fn recommendations(db: &D1, req: &Incoming, slug: &str) -> Result<Value, AppError> {
    let form = Form::parse(&req.query);
    let q = RecQuery::parse(form.get("kind"), form.get("limit")).map_err(AppError::from)?;
    let slug = Slug::parse(slug).ok_or(AppError::NotFound)?;
    let [exists, cards] = expect_n(db.batch(&[catalog::product_by_slug_sql(slug.as_str()), recs::cards_sql(slug.as_str(), q.kind, q.limit)]).await?, "recommendations")?;
    if exists.decode::<IdRow>()?.is_empty() {
        return Err(AppError::NotFound);
    }
    let cards: Vec<ProductCard> = cards.decode::<CardRow>()?.into_iter().map(ProductCard::from).collect();
    Ok(json!({"products": cards.iter().map(|c| card_json(&req.origin, c)).collect::<Vec<_>>()}))
}

async fn product(db: &D1, req: &Incoming, slug: &str, stock: Option<&Availability>, colors: &[crate::domain::catalog::Color]) -> Result<Value, AppError> {
    let slug = Slug::parse(slug).ok_or(AppError::NotFound)?;
    let ProductPage { product: p, mut variants, images, tags, related, bundles, .. } =
        db.product(slug.as_str()).await?.ok_or(AppError::NotFound)?;
    let now = crate::platform::config::now();
    if let Some(stock) = stock {
        stock.apply(&mut variants);
    }
    let origin = &req.origin;
    Ok(json!({
        "product": {
            "id": p.id,
            "slug": p.slug,
            "category_id": p.category_id,
            "name": Localized { vi: &p.name_vi, en: &p.name_en },
            "description": Localized { vi: &p.description_vi, en: &p.description_en },
            "material": Localized { vi: &p.material_vi, en: &p.material_en },
            "care": Localized { vi: &p.care_vi, en: &p.care_en },
            "brand": p.brand,
            "tags": tags,
            "url": format!("{origin}{}", paths::product(&p.slug)),
            "currency": "VND",
            "images": images.iter().map(|i| json!({
                "url": format!("{origin}{}", assets::url(&i.url)),
                "alt": Localized { vi: &i.alt_vi, en: &i.alt_en },
                "color": i.color,
                "width": i.width,
                "height": i.height,
            })).collect::<Vec<_>>(),
            "variants": variants.iter().filter(|v| v.is_active()).map(|v| {
                let color = colors.iter().find(|c| c.code == v.color);
                json!({
                "id": v.id,
                "sku": v.sku,
                "size": v.size,
                "color": v.color,
                // The colour's name, as cart lines give it (null for a code the shop has no name for).
                "color_vi": color.map(|c| c.name_vi.as_str()),
                "color_en": color.map(|c| c.name_en.as_str()),
                "price": v.price,
                "compare_at_price": v.compare_at().map(|m| m.amount()),
                "available": v.available(),
                })
            }).collect::<Vec<_>>(),
        },
        "related": related.iter().map(|c| card_json(origin, c)).collect::<Vec<_>>(),
        "bundles": bundles.iter().filter(|b| b.live_at(now)).map(|b| bundle_json(origin, b)).collect::<Vec<_>>(),
    }))
}

/// A running bundle the product is in, priced as the product page prices it: each product at the
/// variant shown first (the first that can be bought), the set before and after the bundle.
fn bundle_json(origin: &str, offer: &Offer) -> Value {
    let picks = offer.default_picks();
    let (price, bundle_price) = offer.totals(&picks);
    json!({
        "id": offer.row.id,
        "name": Localized { vi: &offer.row.name_vi, en: &offer.row.name_en },
        "benefit": offer.row.promotion().map(|p| p.benefit),
        "products": offer.items.iter().zip(&picks).map(|(item, pick)| json!({
            "id": item.product_id,
            "slug": item.slug,
            "name": Localized { vi: &item.name_vi, en: &item.name_en },
            "url": format!("{origin}{}", paths::product(&item.slug)),
            "image_url": item.image_url.as_deref().map(|u| format!("{origin}{}", assets::url(u))),
            "variant_id": pick.variant_id,
            "price": pick.price,
            "in_stock": item.variants.iter().any(|v| v.available > 0),
        })).collect::<Vec<_>>(),
        "price": price,
        "bundle_price": bundle_price,
        "saving": price.saturating_sub(bundle_price),
        "currency": "VND",
    })
}
