//! The cart's use cases: showing it (taking back holds that ran out), setting a line's quantity
//! under a stock hold, coupon codes, the guest-cart merge at sign-in and the alarm; and the cart
//! object's protocol (`CartCall` in, `CartReply` out) with `serve`, which answers one call.
//!
//! The cart's state (`domain::cart::Cart`) lives in its Durable Object, which passes it in and saves
//! it afterwards; stock lives in D1 and changes only through `app::stock`'s conditional writes, so
//! a decision here never trusts what the cart remembers about stock: a hold the alarm or the sweep
//! released is found gone and taken again. Every use case takes `now` and an id source (`Ids`), and
//! answers with a typed refusal (`CartError`) that `routes` maps to HTTP in one place.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::checkout::{place_order, CheckoutError, Placed, Submission};
use super::db::{expect_n, Db, DbError, Rows};
use super::promotions::{decorate, price_cart, pricing_batch, promotions_of, PricingData, PromotionRow};
use super::sql::Sql;
use super::stock;
use crate::domain::cart::{Cart, CartId, Handover, HoldChange, KeyUse, PlanError, MAX_CODES, MAX_PER_VARIANT};
use crate::domain::catalog::{ProductStatus, VariantStatus};
use crate::domain::checkout::ShippingMethod;
use crate::domain::shipping::{self as ship, ShippingSettings, Zone};
use crate::domain::error::{AppError, Cause};
use crate::domain::money::Vnd;
use crate::domain::promotions::{CouponCode, Customer, Pricing};

/// A variant as a cart line needs it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct LineVariant {
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub size: String,
    pub color: String,
    pub price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub on_hand: i64,
    pub reserved: i64,
    pub status: VariantStatus,
    pub product_status: ProductStatus,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub color_vi: Option<String>,
    pub color_en: Option<String>,
    pub image_url: Option<String>,
    /// The variant's weight in grams (0: its product's default).
    #[serde(default)]
    pub weight_grams: i64,
    /// The product's default weight in grams (0: the shop's fallback).
    #[serde(default)]
    pub product_weight_grams: i64,
}

impl LineVariant {
    pub fn is_buyable(&self) -> bool {
        crate::domain::cart::is_sellable(self.status, self.product_status)
    }

    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved).max(0)
    }
}

pub fn line_variants_sql(ids: &[i64]) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT v.id, v.product_id, v.sku, v.size, v.color, v.price, v.compare_at_price, v.on_hand, v.reserved, v.status, \
         v.weight_grams, p.weight_grams AS product_weight_grams, p.status AS product_status, p.slug, p.name_vi, p.name_en, c.name_vi AS color_vi, c.name_en AS color_en, \
         COALESCE((SELECT {thumb} FROM product_images i WHERE i.product_id = p.id AND i.color = v.color ORDER BY i.position, i.id LIMIT 1), \
           (SELECT {thumb} FROM product_images i WHERE i.product_id = p.id ORDER BY i.position, i.id LIMIT 1)) AS image_url \
         FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN colors c ON c.code = v.color \
         WHERE v.id IN ({})",
        Sql::placeholders(ids.len().max(1)),
        thumb = crate::app::catalog::THUMBNAIL_URL,
    ));
    if ids.is_empty() {
        sql.params.push(0i64.into());
    }
    sql.params.extend(ids.iter().map(|id| (*id).into()));
    sql
}

/// A change the shopper asked for that stock could not fully cover.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// Only `available` more could be held for this variant.
    InsufficientStock { variant_id: i64, requested: i64, available: i64 },
    /// A line's hold expired and could not be taken again in full; the line was reduced.
    Reduced { variant_id: i64, from: i64, to: i64 },
    /// The variant is no longer sold; the line was removed.
    Removed { variant_id: i64 },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CartLineView {
    /// The line's id in the API (`/items/{line_id}`): the variant id, one line per variant.
    pub line_id: String,
    pub variant_id: i64,
    pub sku: String,
    pub slug: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color: String,
    pub color_vi: Option<String>,
    pub color_en: Option<String>,
    pub image_url: Option<String>,
    pub unit_price: Vnd,
    pub compare_at_price: Option<Vnd>,
    pub quantity: i64,
    pub held: i64,
    pub line_total: Vnd,
    /// This line's share of the cart's discounts (see `discounts`).
    #[serde(default)]
    pub discount: Vnd,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CartView {
    pub id: String,
    pub lines: Vec<CartLineView>,
    pub item_count: i64,
    pub subtotal: Vnd,
    pub currency: String,
    /// Unix seconds when the holds run out without activity; `None` when nothing is held.
    pub hold_expires_at: Option<i64>,
    pub notices: Vec<Notice>,
    /// Entered codes, applied promotions and rejected codes (`app::promotions::decorate`).
    #[serde(default)]
    pub discounts: super::promotions::CartDiscounts,
    /// The shipping methods offered to the zone the cart was priced for (fees before shipping
    /// promotions, which are in `discounts.shipping`), standard first; empty when none is.
    #[serde(default)]
    pub shipping: Vec<ship::Quote>,
    /// That zone (`app::shipping::ESTIMATE_ZONE` until an address is chosen).
    #[serde(default = "estimate_zone")]
    pub shipping_zone: Zone,
    /// The parcel's weight in grams.
    #[serde(default)]
    pub weight_grams: i64,
}

fn estimate_zone() -> Zone {
    super::shipping::ESTIMATE_ZONE
}

/// The parcel's weight: each line's variant weight (or its product's default) times its quantity.
pub fn parcel_weight(cart: &Cart, variants: &[LineVariant]) -> i64 {
    cart.lines
        .iter()
        .filter_map(|l| variants.iter().find(|v| v.id == l.variant_id).map(|v| ship::line_weight(v.weight_grams, v.product_weight_grams, l.quantity)))
        .fold(0i64, i64::saturating_add)
}

pub fn view(cart_id: &str, cart: &Cart, variants: &[LineVariant], hold_seconds: i64, notices: Vec<Notice>) -> CartView {
    let lines: Vec<CartLineView> = cart
        .lines
        .iter()
        .filter_map(|line| {
            let v = variants.iter().find(|v| v.id == line.variant_id)?;
            Some(CartLineView {
                line_id: line.variant_id.to_string(),
                variant_id: v.id,
                sku: v.sku.clone(),
                slug: v.slug.clone(),
                name_vi: v.name_vi.clone(),
                name_en: v.name_en.clone(),
                size: v.size.clone(),
                color: v.color.clone(),
                color_vi: v.color_vi.clone(),
                color_en: v.color_en.clone(),
                image_url: v.image_url.clone(),
                unit_price: v.price,
                compare_at_price: v.compare_at_price.filter(|c| *c > v.price),
                quantity: line.quantity,
                held: line.held,
                line_total: v.price.saturating_mul(line.quantity),
                discount: Vnd::ZERO,
            })
        })
        .collect();
    let subtotal = Vnd::saturating_sum(lines.iter().map(|l| l.line_total));
    CartView {
        id: cart_id.to_string(),
        item_count: lines.iter().map(|l| l.quantity).sum(),
        subtotal,
        currency: "VND".into(),
        hold_expires_at: cart.lines.iter().any(|l| l.held > 0).then(|| cart.hold_deadline(hold_seconds)),
        lines,
        notices,
        discounts: Default::default(),
        shipping: Vec::new(),
        shipping_zone: super::shipping::ESTIMATE_ZONE,
        weight_grams: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// What a cart call runs with, and how it fails
// ---------------------------------------------------------------------------------------------

/// The shop's settings a cart needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long a hold lasts without activity (`CART_HOLD_SECONDS`).
    pub hold_seconds: i64,
    /// How long an order waits for payment (`ORDER_TTL_SECONDS`).
    pub order_ttl_seconds: i64,
    /// How long an order paid by bank transfer waits for the money (`BANK_TRANSFER_TTL_SECONDS`).
    pub bank_transfer_ttl_seconds: i64,
    pub shipping: ShippingSettings,
    /// Signs order access tokens; checkout fails without it.
    pub shop_secret: Option<String>,
    /// When cash on delivery is accepted (`COD_MAX_VND`, `COD_MAX_OPEN`).
    pub cod: crate::domain::checkout::CodPolicy,
}

/// Where new ids come from (holds, orders, payments): the runtime's CSPRNG in the Worker, a
/// sequence in tests. `None` when the source has none to give.
pub trait Ids {
    fn new_id(&self) -> Option<String>;
}

/// One call on one cart: storage, the cart's id, settings, the time and an id source.
pub struct Context<'a, D> {
    pub db: &'a D,
    pub cart_id: &'a CartId,
    pub settings: &'a Settings,
    pub now: i64,
    pub ids: &'a dyn Ids,
}

impl<D> Context<'_, D> {
    fn new_id(&self) -> Result<String, Failure> {
        self.ids.new_id().ok_or(Failure::NoRandomness)
    }

    fn hold_expiry(&self) -> i64 {
        self.now + self.settings.hold_seconds
    }
}

/// A failure on our side while serving a cart call: the cause is for the log, never the shopper.
#[derive(Debug)]
pub enum Failure {
    Db(DbError),
    NoRandomness,
    /// `SHOP_SECRET` is not configured.
    NoSecret,
    /// An order total beyond `i64`.
    Overflow,
    /// A line's variant disappeared between two reads of one checkout.
    VariantVanished(i64),
    /// The order just inserted could not be read back.
    OrderVanished,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Db(_) => f.write_str("storage"),
            Failure::NoRandomness => f.write_str("no randomness"),
            Failure::NoSecret => f.write_str("SHOP_SECRET is not configured"),
            Failure::Overflow => f.write_str("order total overflows"),
            Failure::VariantVanished(id) => write!(f, "variant {id} vanished during checkout"),
            Failure::OrderVanished => f.write_str("order vanished after insert"),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure::Db(e)
    }
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        AppError::Internal(Cause::wrap("cart", &f))
    }
}

/// The item an all-or-nothing add could not hold: which variant, its names for the message, and
/// how many more of it the cart could hold now (what is free plus what its line already holds).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SoldOutItem {
    pub variant_id: i64,
    pub sku: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color_vi: Option<String>,
    pub color_en: Option<String>,
    pub available: i64,
}

/// Why the cart refused a call: one variant per refusal, with what the shopper needs to see (the
/// cart as it is now, how many are left). Crosses from the cart object to the Worker as JSON
/// (`code` names the variant); `Internal` never does.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CartError {
    /// The call named no cart.
    NotFound,
    VariantNotFound,
    /// The variant (or its product) is no longer sold.
    VariantUnavailable,
    /// Adding less than one, or setting outside 0 to `MAX_PER_VARIANT`.
    InvalidQuantity,
    /// More than `MAX_PER_VARIANT` of one variant.
    QuantityLimit { cart: Box<CartView> },
    TooManyLines,
    LineNotFound,
    /// Stock could not cover the quantity: `available` more could be held (what is free plus what
    /// the line already holds).
    InsufficientStock { available: i64, cart: Box<CartView> },
    /// Not a well-formed code.
    CouponInvalid { cart: Box<CartView> },
    TooManyCodes { cart: Box<CartView> },
    /// A code that does not apply to this cart now; the cart's `discounts.rejected` says why.
    CouponRejected { cart: Box<CartView> },
    CouponNotFound,
    CartEmpty,
    /// Stock changed since the shopper last saw the cart (the cart shows the changes).
    CartChanged { cart: Box<CartView> },
    /// Cash on delivery is not available for this order (abroad, above the limit, too many open COD
    /// orders); the shopper may pay another way.
    CodUnavailable(crate::domain::checkout::CodRefusal),
    /// The shipping method chosen is not offered to that place for this parcel (express outside
    /// its zones, or too heavy); the cart, priced for that place, shows what is.
    ShippingUnavailable { cart: Box<CartView> },
    /// The order's total is not the one the shopper was shown (`Submission::expected_total`).
    TotalChanged { cart: Box<CartView> },
    /// An `Idempotency-Key` already used on this cart for another request.
    IdempotencyKeyReused,
    /// Adding several lines at once (a bundle's "add all"): this item could not be held, so nothing
    /// was added and the cart is as it was.
    ItemSoldOut { item: Box<SoldOutItem>, cart: Box<CartView> },
    #[serde(skip)]
    Internal(Failure),
}

impl CartError {
    /// The refusal's code in the API (the same name the variant has on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            CartError::NotFound => "not_found",
            CartError::VariantNotFound => "variant_not_found",
            CartError::VariantUnavailable => "variant_unavailable",
            CartError::InvalidQuantity => "invalid_quantity",
            CartError::QuantityLimit { .. } => "quantity_limit",
            CartError::TooManyLines => "too_many_lines",
            CartError::LineNotFound => "line_not_found",
            CartError::InsufficientStock { .. } => "insufficient_stock",
            CartError::CouponInvalid { .. } => "coupon_invalid",
            CartError::TooManyCodes { .. } => "too_many_codes",
            CartError::CouponRejected { .. } => "coupon_rejected",
            CartError::CouponNotFound => "coupon_not_found",
            CartError::CartEmpty => "cart_empty",
            CartError::CartChanged { .. } => "cart_changed",
            CartError::CodUnavailable(_) => "cod_unavailable",
            CartError::ShippingUnavailable { .. } => "shipping_unavailable",
            CartError::TotalChanged { .. } => "total_changed",
            CartError::IdempotencyKeyReused => "idempotency_key_reused",
            CartError::ItemSoldOut { .. } => "item_sold_out",
            CartError::Internal(_) => "internal_error",
        }
    }

    /// A sentence for the API's `message`.
    pub fn message(&self) -> &'static str {
        match self {
            CartError::NotFound => "no such cart",
            CartError::VariantNotFound => "no such variant",
            CartError::VariantUnavailable => "this variant is no longer sold",
            CartError::InvalidQuantity => "quantity must be at least 1 to add, and between 0 and 10 to set",
            CartError::QuantityLimit { .. } => "at most 10 of one variant per cart",
            CartError::TooManyLines => "a cart holds at most 50 lines",
            CartError::LineNotFound => "no such line in this cart",
            CartError::InsufficientStock { .. } => "not enough stock for that quantity",
            CartError::CouponInvalid { .. } => "a code is 3 to 32 letters, digits, '-' or '_'",
            CartError::TooManyCodes { .. } => "a cart takes at most 5 codes",
            CartError::CouponRejected { .. } => "a coupon code cannot be used on this cart; see cart.discounts.rejected",
            CartError::CouponNotFound => "that code is not in this cart",
            CartError::CartEmpty => "the cart is empty",
            CartError::CartChanged { .. } => "some items are no longer available in the quantity asked; please review the cart",
            CartError::CodUnavailable(_) => "cash on delivery is not available for this order; please choose another payment method",
            CartError::ShippingUnavailable { .. } => "that shipping method is not offered to this address for this parcel; see cart.shipping",
            CartError::TotalChanged { .. } => "the total is not expected_total; see the cart priced for this address",
            CartError::IdempotencyKeyReused => "this Idempotency-Key was already used with another request; use a new key for a new request",
            CartError::ItemSoldOut { .. } => "one item cannot be held in the quantity asked (see error.item); nothing was added",
            CartError::Internal(_) => "cart operation failed",
        }
    }

    /// How many the shopper may still have: what is free for `insufficient_stock`, the per-variant
    /// limit for `quantity_limit`.
    pub fn available(&self) -> Option<i64> {
        match self {
            CartError::InsufficientStock { available, .. } => Some(*available),
            CartError::QuantityLimit { .. } => Some(MAX_PER_VARIANT),
            CartError::ItemSoldOut { item, .. } => Some(item.available),
            _ => None,
        }
    }

    /// The cart as it is after the refusal, where the shopper needs it to decide.
    pub fn cart(&self) -> Option<&CartView> {
        match self {
            CartError::QuantityLimit { cart }
            | CartError::InsufficientStock { cart, .. }
            | CartError::CouponInvalid { cart }
            | CartError::TooManyCodes { cart }
            | CartError::CouponRejected { cart }
            | CartError::CartChanged { cart }
            | CartError::ShippingUnavailable { cart }
            | CartError::TotalChanged { cart }
            | CartError::ItemSoldOut { cart, .. } => Some(cart),
            _ => None,
        }
    }
}

impl From<Failure> for CartError {
    fn from(f: Failure) -> Self {
        CartError::Internal(f)
    }
}

impl From<DbError> for CartError {
    fn from(e: DbError) -> Self {
        CartError::Internal(Failure::Db(e))
    }
}

impl From<PlanError> for CartError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::QuantityOutOfRange => CartError::InvalidQuantity,
            PlanError::TooManyLines => CartError::TooManyLines,
            PlanError::NoSuchLine => CartError::LineNotFound,
        }
    }
}

impl From<CheckoutError> for CartError {
    fn from(e: CheckoutError) -> Self {
        match e {
            CheckoutError::CartEmpty => CartError::CartEmpty,
            CheckoutError::CartChanged { cart } => CartError::CartChanged { cart },
            CheckoutError::CouponRejected { cart } => CartError::CouponRejected { cart },
            CheckoutError::CodRefused(refusal) => CartError::CodUnavailable(refusal),
            CheckoutError::ShippingUnavailable { cart } => CartError::ShippingUnavailable { cart },
            CheckoutError::TotalChanged { cart } => CartError::TotalChanged { cart },
            CheckoutError::KeyReused => CartError::IdempotencyKeyReused,
            CheckoutError::Internal(f) => CartError::Internal(f),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The cart object's protocol
// ---------------------------------------------------------------------------------------------

/// What the Worker asks of a cart.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CartCall {
    /// The cart, its holds taken again where they ran out.
    View,
    /// The cart as `View`, with shipping priced for `zone` (the checkout once a place is chosen).
    Quote { zone: Zone },
    /// `add`: add to what the line has; otherwise set the line to `quantity` (0 removes it).
    /// `key`: the API's `Idempotency-Key` and the request's fingerprint, so a retried add adds once.
    SetQuantity {
        variant_id: i64,
        quantity: i64,
        add: bool,
        #[serde(default)]
        key: Option<(String, String)>,
    },
    /// One more unit of each variant, all held or none (a bundle's "add all"); `key` as for
    /// `SetQuantity`.
    AddAll {
        variant_ids: Vec<i64>,
        #[serde(default)]
        key: Option<(String, String)>,
    },
    /// Places the order (idempotent per cart and key).
    Checkout(Box<Submission>),
    /// Runs the alarm's work now (tests and operators; the work is idempotent).
    RunAlarm,
    /// Adds a coupon code; refused (`coupon_rejected`) when it would not apply to this cart now.
    ApplyCode { code: String },
    RemoveCode { code: String },
    /// A guest cart whose shopper signed in: gives its holds back and answers with its contents
    /// (kept until `Clear`, so a failed merge loses nothing).
    Vacate,
    /// Merges a guest cart's contents into this (account) cart, once per `source`.
    Absorb { source: CartId, contents: Handover },
    /// Empties the lines and codes (after a merge); pending orders stay.
    Clear,
}

/// The cart's answer. A failure on our side is no reply: the object answers 500.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CartReply {
    Cart { cart: Box<CartView> },
    /// A keyed change seen before with the same request: not done again; the cart as it is.
    Replayed { cart: Box<CartView> },
    Placed(Box<Placed>),
    Contents { contents: Handover },
    Refused { refusal: CartError },
}

/// Answers one call, changing `cart` in place (the object saves it when it changed). Refusals are
/// replies; only a failure on our side is an error.
pub async fn serve<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, call: CartCall) -> Result<CartReply, Failure> {
    let shown = |cart: CartView| CartReply::Cart { cart: Box::new(cart) };
    let answer = match call {
        CartCall::View => show(cx, cart).await.map(shown),
        CartCall::Quote { zone } => show_to(cx, cart, zone).await.map(shown),
        CartCall::SetQuantity { variant_id, quantity, add, key: None } => set_quantity(cx, cart, variant_id, quantity, add).await.map(shown),
        CartCall::SetQuantity { variant_id, quantity, add, key: Some((key, fingerprint)) } => {
            let key = format!("items:{key}");
            match cart.seen(&key, &fingerprint) {
                KeyUse::Replay => render(cx, cart, Vec::new()).await.map(|cart| CartReply::Replayed { cart: Box::new(cart) }).map_err(CartError::from),
                KeyUse::Reused => Err(CartError::IdempotencyKeyReused),
                KeyUse::New => match set_quantity(cx, cart, variant_id, quantity, add).await {
                    Ok(view) => {
                        cart.remember_key(&key, &fingerprint);
                        Ok(shown(view))
                    }
                    Err(e) => Err(e),
                },
            }
        }
        CartCall::AddAll { variant_ids, key: None } => add_all(cx, cart, &variant_ids).await.map(shown),
        CartCall::AddAll { variant_ids, key: Some((key, fingerprint)) } => {
            let key = format!("items:{key}");
            match cart.seen(&key, &fingerprint) {
                KeyUse::Replay => render(cx, cart, Vec::new()).await.map(|cart| CartReply::Replayed { cart: Box::new(cart) }).map_err(CartError::from),
                KeyUse::Reused => Err(CartError::IdempotencyKeyReused),
                KeyUse::New => add_all(cx, cart, &variant_ids).await.map(|view| {
                    cart.remember_key(&key, &fingerprint);
                    shown(view)
                }),
            }
        }
        CartCall::Checkout(submission) => place_order(cx, cart, &submission).await.map(|placed| CartReply::Placed(Box::new(placed))).map_err(CartError::from),
        CartCall::RunAlarm => run_alarm(cx, cart).await.map(shown),
        CartCall::ApplyCode { code } => apply_code(cx, cart, &code).await.map(shown),
        CartCall::RemoveCode { code } => remove_code(cx, cart, &code).await.map(shown),
        CartCall::Vacate => vacate(cx, cart).await.map(|contents| CartReply::Contents { contents }),
        CartCall::Absorb { source, contents } => absorb(cx, cart, &source, &contents).await.map(shown),
        CartCall::Clear => clear(cx, cart).await.map(shown),
    };
    match answer {
        Ok(reply) => Ok(reply),
        Err(CartError::Internal(failure)) => Err(failure),
        Err(refusal) => Ok(CartReply::Refused { refusal }),
    }
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

/// The cart as the shopper sees it now: holds that ran out (or were swept) are taken again, lines
/// reduced to what is free or removed when no longer sold, each change told in `notices`.
pub async fn show<D: Db>(cx: &Context<'_, D>, cart: &mut Cart) -> Result<CartView, CartError> {
    show_to(cx, cart, super::shipping::ESTIMATE_ZONE).await
}

/// `show`, with shipping priced for a parcel to `zone`.
pub async fn show_to<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, zone: Zone) -> Result<CartView, CartError> {
    let notices = rehold(cx, cart).await?;
    Ok(render_to(cx, cart, notices, zone).await?)
}

/// Sets a line to `quantity` (or adds `quantity` to it), taking, adjusting or giving back its
/// stock hold with one conditional write. Refused without a change when the limits or the variant
/// forbid it; refused with `insufficient_stock` when stock is short (the line is unchanged, its
/// hold extended as any activity does).
pub async fn set_quantity<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, variant_id: i64, quantity: i64, add: bool) -> Result<CartView, CartError> {
    if add && quantity < 1 {
        return Err(CartError::InvalidQuantity);
    }
    let current = cart.line(variant_id).map_or(0, |l| l.quantity);
    let desired = if add { current.saturating_add(quantity) } else { quantity };
    if desired > MAX_PER_VARIANT {
        return Err(CartError::QuantityLimit { cart: Box::new(render(cx, cart, Vec::new()).await?) });
    }
    let Some(variant) = cx.db.first::<LineVariant>(&line_variants_sql(&[variant_id])).await? else {
        return Err(CartError::VariantNotFound);
    };
    if desired > 0 && !variant.is_buyable() {
        return Err(CartError::VariantUnavailable);
    }
    let plan = cart.plan(variant_id, desired)?;
    let hold_id = cart.line(variant_id).and_then(|l| l.hold_id.clone());
    let held = cart.line(variant_id).map_or(0, |l| l.held);
    let outcome = match (plan, &hold_id) {
        (HoldChange::Nothing, _) => Some((hold_id.clone(), held)),
        (HoldChange::Release, _) => {
            if let Some(id) = &hold_id {
                cx.db.batch(&stock::release_hold(id, cx.now)).await?;
            }
            Some((None, 0))
        }
        (HoldChange::Create { quantity }, _) => take(cx, variant_id, quantity).await?.map(|id| (Some(id), quantity)),
        (HoldChange::Adjust { delta }, Some(id)) => {
            if both_changed(cx.db, stock::adjust_hold(id, variant_id, delta, cx.now, cx.hold_expiry())).await? {
                Some((hold_id.clone(), held + delta))
            } else if !live_holds(cx.db, std::slice::from_ref(id)).await?.contains(id) {
                // The alarm or the sweep gave the hold back meanwhile: take the whole quantity anew.
                take(cx, variant_id, desired).await?.map(|id| (Some(id), desired))
            } else {
                None
            }
        }
        // A plan adjusts only a line that has a hold.
        (HoldChange::Adjust { .. }, None) => take(cx, variant_id, desired).await?.map(|id| (Some(id), desired)),
    };
    cart.touched_at = cx.now;
    let Some((hold_id, held)) = outcome else {
        let available = free_units(cx.db, variant_id).await? + held;
        extend(cx, cart).await?;
        let notices = vec![Notice::InsufficientStock { variant_id, requested: desired, available }];
        return Err(CartError::InsufficientStock { available, cart: Box::new(render(cx, cart, notices).await?) });
    };
    cart.apply(variant_id, desired, hold_id, held);
    extend(cx, cart).await?;
    Ok(render(cx, cart, Vec::new()).await?)
}

/// Adds one unit of each variant (a bundle's "add all"), holding stock for every one of them or
/// for none: every hold is taken in one batch (one D1 transaction) in which a variant short of
/// stock fails the whole batch (`stock::take_hold_or_fail`). A line that already holds units gives
/// its hold back and takes one for its new quantity inside the same batch, so a hold the alarm or
/// the sweep released meanwhile needs nothing special. Refused with `item_sold_out`, naming the
/// first item that could not be held, when stock is short; the cart is then unchanged.
pub async fn add_all<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, variant_ids: &[i64]) -> Result<CartView, CartError> {
    let mut distinct = variant_ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if variant_ids.is_empty() || distinct.len() != variant_ids.len() {
        return Err(CartError::InvalidQuantity);
    }
    // The limits first, on a copy: nothing is held when one line would break them.
    let mut wanted: Vec<(i64, i64)> = Vec::with_capacity(variant_ids.len());
    let mut trial = cart.clone();
    for &variant_id in variant_ids {
        let desired = cart.line(variant_id).map_or(0, |l| l.quantity).saturating_add(1);
        if desired > MAX_PER_VARIANT {
            return Err(CartError::QuantityLimit { cart: Box::new(render(cx, cart, Vec::new()).await?) });
        }
        trial.plan(variant_id, desired)?;
        trial.apply(variant_id, desired, None, 0);
        wanted.push((variant_id, desired));
    }
    let variants: Vec<LineVariant> = cx.db.all(&line_variants_sql(variant_ids)).await?;
    let sold_out = |variant: &LineVariant, available: i64| SoldOutItem {
        variant_id: variant.id,
        sku: variant.sku.clone(),
        name_vi: variant.name_vi.clone(),
        name_en: variant.name_en.clone(),
        size: variant.size.clone(),
        color_vi: variant.color_vi.clone(),
        color_en: variant.color_en.clone(),
        available,
    };
    for &(variant_id, _) in &wanted {
        let Some(variant) = variants.iter().find(|v| v.id == variant_id) else { return Err(CartError::VariantNotFound) };
        if !variant.is_buyable() {
            let item = Box::new(sold_out(variant, 0));
            return Err(CartError::ItemSoldOut { item, cart: Box::new(render(cx, cart, Vec::new()).await?) });
        }
    }
    let mut batch = Vec::with_capacity(wanted.len() * 4);
    let mut taken: Vec<(i64, i64, String)> = Vec::with_capacity(wanted.len());
    for &(variant_id, desired) in &wanted {
        if let Some(old) = cart.line(variant_id).and_then(|l| l.hold_id.as_deref()) {
            batch.extend(stock::release_hold(old, cx.now));
        }
        let hold_id = cx.new_id()?;
        batch.extend(stock::take_hold_or_fail(&hold_id, cx.cart_id.as_str(), variant_id, desired, cx.now, cx.hold_expiry()));
        taken.push((variant_id, desired, hold_id));
    }
    cart.touched_at = cx.now;
    match cx.db.batch(&batch).await {
        Ok(_) => {
            for (variant_id, desired, hold_id) in taken {
                cart.apply(variant_id, desired, Some(hold_id), desired);
            }
            extend(cx, cart).await?;
            Ok(render(cx, cart, Vec::new()).await?)
        }
        Err(DbError::Constraint { .. }) => {
            // Nothing was held. Name the first item short of stock now (a line's own live hold
            // counts for it); if another cart gave units back meanwhile, the first item.
            let now: Vec<LineVariant> = cx.db.all(&line_variants_sql(variant_ids)).await?;
            let live = live_holds(cx.db, &cart.lines.iter().filter_map(|l| l.hold_id.clone()).collect::<Vec<_>>()).await?;
            let own = |variant_id: i64| cart.line(variant_id).filter(|l| l.hold_id.as_ref().is_some_and(|h| live.contains(h))).map_or(0, |l| l.held);
            let short = wanted
                .iter()
                .filter_map(|(id, desired)| now.iter().find(|v| v.id == *id).map(|v| (v, *desired)))
                .find(|(v, desired)| v.available() + own(v.id) < *desired)
                .or_else(|| wanted.first().and_then(|(id, desired)| now.iter().find(|v| v.id == *id).map(|v| (v, *desired))));
            extend(cx, cart).await?;
            let Some((variant, _)) = short else { return Err(CartError::VariantNotFound) };
            let item = sold_out(variant, variant.available() + own(variant.id));
            Err(CartError::ItemSoldOut { item: Box::new(item), cart: Box::new(render(cx, cart, Vec::new()).await?) })
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a coupon code. Kept only when it applies to this cart now; otherwise refused with the cart
/// priced as if it were there, so `discounts.rejected` says why (and `discounts.codes` what is kept).
pub async fn apply_code<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, raw: &str) -> Result<CartView, CartError> {
    let Some(code) = CouponCode::parse(raw) else {
        return Err(CartError::CouponInvalid { cart: Box::new(render(cx, cart, Vec::new()).await?) });
    };
    let mut tried = cart.clone();
    if tried.add_code(code.as_str()).is_err() {
        return Err(CartError::TooManyCodes { cart: Box::new(render(cx, cart, Vec::new()).await?) });
    }
    let shown = render(cx, &tried, Vec::new()).await?;
    if let Some(why) = shown.discounts.rejected.iter().find(|r| r.code == code.as_str()).cloned() {
        // The cart as it stays (without the code, priced as a GET shows it), saying why the code
        // was refused: never a price the refused code had a part in.
        let mut kept = render(cx, cart, Vec::new()).await?;
        kept.discounts.rejected.push(why);
        return Err(CartError::CouponRejected { cart: Box::new(kept) });
    }
    *cart = tried;
    Ok(shown)
}

pub async fn remove_code<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, raw: &str) -> Result<CartView, CartError> {
    let code = CouponCode::parse(raw).map_or_else(|| raw.to_string(), |c| c.as_str().to_string());
    if !cart.remove_code(&code) {
        return Err(CartError::CouponNotFound);
    }
    Ok(render(cx, cart, Vec::new()).await?)
}

/// A guest cart whose shopper signed in: gives every hold back (one transaction) and answers with
/// what it contains; the lines stay until `clear`.
pub async fn vacate<D: Db>(cx: &Context<'_, D>, cart: &mut Cart) -> Result<Handover, CartError> {
    let releases: Vec<Sql> = cart.lines.iter().filter(|l| l.held > 0).filter_map(|l| l.hold_id.as_deref()).flat_map(|id| stock::release_hold(id, cx.now)).collect();
    if !releases.is_empty() {
        cx.db.batch(&releases).await?;
    }
    cart.drop_holds();
    Ok(cart.handover())
}

/// Merges a guest cart's contents once per `source`, then takes stock for what it added.
pub async fn absorb<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, source: &CartId, contents: &Handover) -> Result<CartView, CartError> {
    let notices = if cart.absorb(source.as_str(), contents, MAX_CODES) { rehold(cx, cart).await? } else { Vec::new() };
    Ok(render(cx, cart, notices).await?)
}

pub async fn clear<D: Db>(cx: &Context<'_, D>, cart: &mut Cart) -> Result<CartView, CartError> {
    cart.clear();
    Ok(render(cx, cart, Vec::new()).await?)
}

/// The alarm: gives the holds back once they ran out without activity, and expires the cart's
/// unpaid orders that are due. Each step is gated in SQL on the state it changes, so running it
/// twice, or racing the sweep or a late payment, changes stock once.
pub async fn alarm<D: Db>(cx: &Context<'_, D>, cart: &mut Cart) -> Result<(), Failure> {
    if cart.holds_due(cx.settings.hold_seconds, cx.now) {
        cx.db.batch(&stock::release_holds(Some(cx.cart_id.as_str()), None, cx.now)).await?;
        cart.drop_holds();
    }
    for order_id in cart.take_due_orders(cx.now) {
        cx.db.batch(&stock::expire_order(&order_id, cx.now, "alarm")).await?;
    }
    Ok(())
}

/// `RunAlarm`: the alarm's work, then the cart as it is (holds are not taken again).
async fn run_alarm<D: Db>(cx: &Context<'_, D>, cart: &mut Cart) -> Result<CartView, CartError> {
    alarm(cx, cart).await?;
    Ok(render(cx, cart, Vec::new()).await?)
}

// ---------------------------------------------------------------------------------------------
// Steps shared with checkout
// ---------------------------------------------------------------------------------------------

/// The cart's lines with current variant data and prices for the shipping methods offered to the
/// estimate zone, in one round trip.
pub(crate) async fn render<D: Db>(cx: &Context<'_, D>, cart: &Cart, notices: Vec<Notice>) -> Result<CartView, Failure> {
    render_to(cx, cart, notices, super::shipping::ESTIMATE_ZONE).await
}

/// `render`, with shipping priced for a parcel to `zone`.
pub(crate) async fn render_to<D: Db>(cx: &Context<'_, D>, cart: &Cart, notices: Vec<Notice>, zone: Zone) -> Result<CartView, Failure> {
    let ids = cart.variant_ids();
    let mut batch = vec![line_variants_sql(&ids)];
    batch.extend(pricing_batch(&cart.codes, &ids, cx.now));
    batch.push(super::accounts::cart_owner_sql(cx.cart_id.as_str()));
    batch.push(super::shipping::rates_sql());
    // The cart's activity, visible to D1 for the abandoned-cart reminder (an account's cart only).
    batch.push(super::cart_reminders::activity_sql(cx.cart_id.as_str(), cart.lines.iter().map(|l| l.quantity).sum(), cx.now));
    let [variants, promotions, codes, places, owner, rates, _activity] = expect_n::<7>(cx.db.batch(&batch).await?, "cart view")?;
    let variants: Vec<LineVariant> = variants.decode()?;
    let data = pricing_data(&promotions, &codes, &places)?;
    let owner: Option<OwnerRow> = owner.first()?;
    let mut shown = view(cx.cart_id.as_str(), cart, &variants, cx.settings.hold_seconds, notices);
    // In the cart the buyer is only known as the account owning it (if any): history-based
    // conditions (first order, uses per customer) are checked at checkout.
    let viewer = Customer { account: owner.map(|o| format!("account:{}", o.id)), ..Customer::default() };
    let weight = parcel_weight(cart, &variants);
    let offered = ship::quote(&super::shipping::decode_rates(&rates)?, zone, weight, shown.subtotal, cx.settings.shipping.free_standard_from);
    let mut quotes: Vec<(&str, Pricing)> = offered.iter().map(|q| (q.method.code(), price_cart(cart, &variants, &data, &viewer, q.fee, cx.now))).collect();
    if quotes.is_empty() {
        // Nothing ships this parcel there: the lines' discounts are still shown, with no fee.
        quotes.push((ShippingMethod::Standard.code(), price_cart(cart, &variants, &data, &viewer, Vnd::ZERO, cx.now)));
        decorate(&mut shown, &cart.codes, &quotes);
        shown.discounts.shipping.clear();
    } else {
        decorate(&mut shown, &cart.codes, &quotes);
    }
    shown.shipping = offered;
    shown.shipping_zone = zone;
    shown.weight_grams = weight;
    Ok(shown)
}

#[derive(Deserialize)]
struct OwnerRow {
    id: String,
}

/// Live promotions, the entered codes and the lines' catalog places: the results of `pricing_batch`.
pub(crate) fn pricing_data(promotions: &Rows, codes: &Rows, places: &Rows) -> Result<PricingData, DbError> {
    Ok(PricingData { promotions: promotions_of(&promotions.decode::<PromotionRow>()?), codes: codes.decode()?, places: places.decode()? })
}

/// What `rehold` reads in its one round trip: which holds are still live and the lines' variants,
/// with the results of any `extra` statements the caller sent along (in their order).
pub(crate) struct Reheld {
    live: Vec<String>,
    pub variants: Vec<LineVariant>,
    pub extra: Vec<Rows>,
}

/// `rehold`'s round trip: extends the cart's holds (activity keeps them), reads which are still live
/// and the lines' variants, and runs `extra` in the same batch, so a caller's own reads cost no
/// round trip of their own. Nothing in the cart changes yet (`rehold_apply`).
pub(crate) async fn rehold_read<D: Db>(cx: &Context<'_, D>, cart: &Cart, extra: &[Sql]) -> Result<Reheld, Failure> {
    let held: Vec<String> = cart.lines.iter().filter(|l| l.held > 0).filter_map(|l| l.hold_id.clone()).collect();
    let mut batch = Vec::with_capacity(3 + extra.len());
    // A hold that is extended here and then found short is given back below; one taken again gets
    // the same expiry from `take`.
    if cart.holds_stock() {
        batch.push(stock::extend_holds(cx.cart_id.as_str(), cx.hold_expiry(), cx.now));
    }
    let skip = batch.len();
    batch.push(stock::live_holds(&held));
    batch.push(line_variants_sql(&cart.variant_ids()));
    batch.extend(extra.iter().cloned());
    let mut results = cx.db.batch(&batch).await?;
    if results.len() != batch.len() {
        return Err(DbError::Shape("rehold").into());
    }
    let mut rest = results.split_off(skip);
    let extra = rest.split_off(2);
    let [live, variants] = expect_n::<2>(rest, "rehold")?;
    Ok(Reheld { live: live.decode::<IdRow>()?.into_iter().map(|r| r.id).collect(), variants: variants.decode()?, extra })
}

/// Makes every line hold what it asks for again after its hold ran out (or was swept), from what
/// `rehold_read` found: takes all it can, reduces the line to what is free, drops lines no longer
/// sold. No round trip when every hold is live.
pub(crate) async fn rehold_apply<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, read: &Reheld) -> Result<Vec<Notice>, Failure> {
    let (live, variants) = (&read.live, &read.variants);
    for line in cart.lines.iter_mut().filter(|l| l.held > 0) {
        if !line.hold_id.as_ref().is_some_and(|id| live.contains(id)) {
            line.hold_id = None;
            line.held = 0;
        }
    }
    let mut notices = Vec::new();
    let mut next = cart.clone();
    for line in cart.lines.iter().filter(|l| l.held < l.quantity) {
        let buyable = variants.iter().find(|v| v.id == line.variant_id).is_some_and(LineVariant::is_buyable);
        // Give back a partial hold (or the hold of a variant no longer sold).
        if let Some(id) = &line.hold_id {
            cx.db.batch(&stock::release_hold(id, cx.now)).await?;
        }
        if !buyable {
            next.apply(line.variant_id, 0, None, 0);
            notices.push(Notice::Removed { variant_id: line.variant_id });
            continue;
        }
        // Take the whole quantity again, falling back to what is free.
        let mut want = line.quantity;
        let mut taken = None;
        while want > 0 && taken.is_none() {
            taken = take(cx, line.variant_id, want).await?;
            if taken.is_none() {
                want = free_units(cx.db, line.variant_id).await?.min(want - 1);
            }
        }
        if want < line.quantity {
            notices.push(Notice::Reduced { variant_id: line.variant_id, from: line.quantity, to: want });
        }
        next.apply(line.variant_id, want, taken, want);
    }
    next.touched_at = cx.now;
    *cart = next;
    Ok(notices)
}

/// Makes every line hold what it asks for again after its hold ran out (or was swept): takes all
/// it can, reduces the line to what is free, drops lines no longer sold; the holds are extended.
pub(crate) async fn rehold<D: Db>(cx: &Context<'_, D>, cart: &mut Cart) -> Result<Vec<Notice>, Failure> {
    let read = rehold_read(cx, cart, &[]).await?;
    rehold_apply(cx, cart, &read).await
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

async fn live_holds(db: &impl Db, hold_ids: &[String]) -> Result<Vec<String>, DbError> {
    Ok(db.all::<IdRow>(&stock::live_holds(hold_ids)).await?.into_iter().map(|r| r.id).collect())
}

/// Takes a fresh hold of `quantity` units; `None` when stock is short.
async fn take<D: Db>(cx: &Context<'_, D>, variant_id: i64, quantity: i64) -> Result<Option<String>, Failure> {
    let hold_id = cx.new_id()?;
    let taken = both_changed(cx.db, stock::take_hold(&hold_id, cx.cart_id.as_str(), variant_id, quantity, cx.now, cx.hold_expiry())).await?;
    Ok(taken.then_some(hold_id))
}

/// Runs a two-statement stock batch; true when both statements changed a row.
async fn both_changed(db: &impl Db, pair: [Sql; 2]) -> Result<bool, DbError> {
    let [first, second] = expect_n::<2>(db.batch(&pair).await?, "stock pair")?;
    Ok(first.changes() >= 1 && second.changes() >= 1)
}

async fn free_units(db: &impl Db, variant_id: i64) -> Result<i64, DbError> {
    Ok(db.first::<LineVariant>(&line_variants_sql(&[variant_id])).await?.map_or(0, |v| v.available()))
}

/// Activity extends every live hold of the cart.
async fn extend<D: Db>(cx: &Context<'_, D>, cart: &Cart) -> Result<(), DbError> {
    if cart.holds_stock() {
        cx.db.run(&stock::extend_holds(cx.cart_id.as_str(), cx.hold_expiry(), cx.now)).await?;
    }
    Ok(())
}

/// Set-up shared by the cart and checkout host tests: the demo shop on SQLite, settings, ids.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::cell::Cell;

    use super::{Context, Ids, Settings};
    use crate::app::testing::Sqlite;
    use crate::domain::cart::CartId;
    use crate::domain::checkout::{validate, AddressForm, CheckoutForm, CheckoutRequest};
    use crate::domain::shipping::ShippingSettings;

    /// Unix seconds the tests start at.
    pub const NOW: i64 = 1_800_000_000;
    pub const HOLD: i64 = 900;
    pub const ORDER_TTL: i64 = 1_800;

    /// Ids 1, 2, 3… as 32 hex digits.
    pub struct Sequence(Cell<u64>);

    impl Ids for Sequence {
        fn new_id(&self) -> Option<String> {
            self.0.set(self.0.get() + 1);
            Some(format!("{:032x}", self.0.get()))
        }
    }

    pub struct Shop {
        pub db: Sqlite,
        pub settings: Settings,
        pub ids: Sequence,
    }

    impl Shop {
        pub fn demo() -> Shop {
            let settings = Settings {
                hold_seconds: HOLD,
                order_ttl_seconds: ORDER_TTL,
                bank_transfer_ttl_seconds: 7200,
                shipping: ShippingSettings::default(),
                shop_secret: Some("test secret".into()),
                cod: crate::domain::checkout::CodPolicy::default(),
            };
            Shop { db: Sqlite::demo(), settings, ids: Sequence(Cell::new(1 << 40)) }
        }

        pub fn cart_id(n: u64) -> CartId {
            CartId::parse(&format!("{:032x}", 0xca27_0000 + n)).unwrap()
        }

        pub fn at<'a>(&'a self, cart_id: &'a CartId, now: i64) -> Context<'a, Sqlite> {
            Context { db: &self.db, cart_id, settings: &self.settings, now, ids: &self.ids }
        }

        /// The `nth` sellable variant (not on sale, so demo codes apply), with `on_hand` units and none reserved.
        pub fn variant(&self, nth: i64, on_hand: i64) -> i64 {
            let id = self.db.int(&format!(
                "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE v.status = 'active' AND p.status = 'active' \
                 AND (v.compare_at_price IS NULL OR v.compare_at_price <= v.price) ORDER BY v.id LIMIT 1 OFFSET {nth}"
            ));
            self.db.exec(&format!("UPDATE variants SET on_hand = {on_hand}, reserved = 0 WHERE id = {id}"));
            id
        }

        pub fn reserved(&self, variant_id: i64) -> i64 {
            self.db.int(&format!("SELECT reserved FROM variants WHERE id = {variant_id}"))
        }

        pub fn on_hand(&self, variant_id: i64) -> i64 {
            self.db.int(&format!("SELECT on_hand FROM variants WHERE id = {variant_id}"))
        }

        /// The sweep's hold release, as the cron trigger runs it.
        pub fn sweep_holds_sql(now: i64) -> [crate::app::sql::Sql; 2] {
            crate::app::stock::release_holds(None, Some(now), now)
        }
    }

    pub fn request(email: &str) -> CheckoutRequest {
        let form = CheckoutForm {
            email: email.into(),
            name: "Nguyễn Văn An".into(),
            phone: "0912345678".into(),
            address: AddressForm { line1: "12 Lý Thường Kiệt".into(), province_code: "01".into(), ward_code: "00070".into(), ..AddressForm::default() },
            shipping_method: "standard".into(),
            payment_provider: "sandbox".into(),
            note: None,
        };
        validate(&form, &["sandbox"]).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{Shop, HOLD, NOW};
    use super::*;
    use crate::app::testing::block_on;

    fn lines(view: &CartView) -> Vec<(i64, i64, i64)> {
        view.lines.iter().map(|l| (l.variant_id, l.quantity, l.held)).collect()
    }

    #[test]
    fn two_carts_racing_for_the_last_units_one_gets_them_and_the_other_is_told_what_is_left() {
        let shop = Shop::demo();
        let v = shop.variant(0, 3);
        let (a, b) = (Shop::cart_id(1), Shop::cart_id(2));
        let (mut cart_a, mut cart_b) = (Cart::default(), Cart::default());
        let (cx_a, cx_b) = (shop.at(&a, NOW), shop.at(&b, NOW));
        let (first, second) = block_on(async { futures::join!(set_quantity(&cx_a, &mut cart_a, v, 2, true), set_quantity(&cx_b, &mut cart_b, v, 2, true)) });
        let (won, lost, loser) = match (first, second) {
            (Ok(won), Err(lost)) => (won, lost, &cart_b),
            (Err(lost), Ok(won)) => (won, lost, &cart_a),
            (first, second) => panic!("exactly one cart must win: {first:?} / {second:?}"),
        };
        assert_eq!(lines(&won), vec![(v, 2, 2)]);
        let CartError::InsufficientStock { available, cart } = lost else { panic!("{lost:?}") };
        assert_eq!(available, 1, "the loser is told what is left");
        assert!(cart.lines.is_empty() && loser.lines.is_empty(), "and keeps an empty cart");
        assert_eq!(shop.reserved(v), 2);
        assert!(shop.reserved(v) <= shop.on_hand(v));
        assert_eq!(shop.db.int("SELECT COUNT(*) FROM holds WHERE state = 'held'"), 1);
    }

    #[test]
    fn carts_racing_line_by_line_never_reserve_more_than_is_on_hand() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let (a, b) = (Shop::cart_id(1), Shop::cart_id(2));
        let (mut cart_a, mut cart_b) = (Cart::default(), Cart::default());
        async fn shopper(cx: &Context<'_, crate::app::testing::Sqlite>, cart: &mut Cart, v: i64) {
            for quantity in [1, 3, 4, 2, 5] {
                let _ = set_quantity(cx, cart, v, quantity, false).await;
            }
        }
        let (cx_a, cx_b) = (shop.at(&a, NOW), shop.at(&b, NOW));
        block_on(async { futures::join!(shopper(&cx_a, &mut cart_a, v), shopper(&cx_b, &mut cart_b, v)) });
        let held = |cart: &Cart| cart.line(v).map_or(0, |l| l.held);
        assert_eq!(shop.reserved(v), held(&cart_a) + held(&cart_b), "what the carts hold is what is reserved");
        assert!(shop.reserved(v) <= shop.on_hand(v));
        assert_eq!(shop.db.int(&format!("SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE state = 'held' AND variant_id = {v}")), shop.reserved(v));
    }

    #[test]
    fn refusals_change_neither_stock_nor_the_cart() {
        let shop = Shop::demo();
        let (v, w) = (shop.variant(0, 20), shop.variant(1, 20));
        let id = Shop::cart_id(1);
        let cx = shop.at(&id, NOW);
        let mut cart = Cart::default();
        block_on(set_quantity(&cx, &mut cart, v, 6, true)).unwrap();
        shop.db.exec(&format!("UPDATE variants SET status = 'inactive' WHERE id = {w}"));
        let before = cart.clone();
        let cases: Vec<(&str, Result<CartView, CartError>)> = vec![
            ("quantity_limit", block_on(set_quantity(&cx, &mut cart, v, 5, true))),
            ("variant_not_found", block_on(set_quantity(&cx, &mut cart, 999_999, 1, true))),
            ("variant_unavailable", block_on(set_quantity(&cx, &mut cart, w, 1, true))),
            ("invalid_quantity", block_on(set_quantity(&cx, &mut cart, v, 0, true))),
            ("invalid_quantity", block_on(set_quantity(&cx, &mut cart, v, -1, false))),
            ("line_not_found", block_on(set_quantity(&cx, &mut cart, w, 0, false))),
            ("coupon_invalid", block_on(apply_code(&cx, &mut cart, "X"))),
            ("coupon_rejected", block_on(apply_code(&cx, &mut cart, "NO-SUCH-CODE"))),
            ("coupon_not_found", block_on(remove_code(&cx, &mut cart, "FREESHIP"))),
        ];
        for (code, result) in cases {
            let refusal = result.expect_err(code);
            assert_eq!(refusal.code(), code);
        }
        assert_eq!(cart, before);
        assert_eq!(shop.reserved(v), 6);
    }

    #[test]
    fn a_hold_the_sweep_released_is_taken_anew_on_the_next_view() {
        let shop = Shop::demo();
        let v = shop.variant(0, 3);
        let id = Shop::cart_id(1);
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(&id, NOW), &mut cart, v, 3, true)).unwrap();
        let later = NOW + HOLD;
        block_on(shop.db.batch(&Shop::sweep_holds_sql(later))).unwrap();
        assert_eq!(shop.reserved(v), 0, "the sweep gave the units back");
        let shown = block_on(show(&shop.at(&id, later + 1), &mut cart)).unwrap();
        assert_eq!(lines(&shown), vec![(v, 3, 3)]);
        assert!(shown.notices.is_empty());
        assert_eq!(shop.reserved(v), 3);
        assert_eq!(shown.hold_expires_at, Some(later + 1 + HOLD));
    }

    #[test]
    fn a_hold_taken_anew_is_reduced_to_what_is_left_when_stock_is_short() {
        let shop = Shop::demo();
        let v = shop.variant(0, 3);
        let (mine, theirs) = (Shop::cart_id(1), Shop::cart_id(2));
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(&mine, NOW), &mut cart, v, 3, true)).unwrap();
        let later = NOW + HOLD;
        block_on(shop.db.batch(&Shop::sweep_holds_sql(later))).unwrap();
        block_on(set_quantity(&shop.at(&theirs, later), &mut Cart::default(), v, 2, true)).unwrap();
        let shown = block_on(show(&shop.at(&mine, later + 1), &mut cart)).unwrap();
        assert_eq!(lines(&shown), vec![(v, 1, 1)]);
        assert_eq!(shown.notices, vec![Notice::Reduced { variant_id: v, from: 3, to: 1 }]);
        assert_eq!(shop.reserved(v), 3);
        let holds: Vec<i64> = block_on(shop.db.all::<serde_json::Value>(&Sql::new("SELECT quantity FROM holds WHERE cart_id = ? ORDER BY created_at, quantity DESC").bind(mine.as_str())))
            .unwrap()
            .iter()
            .map(|r| r["quantity"].as_i64().unwrap())
            .collect();
        assert_eq!(holds, vec![3, 1], "the old hold of 3, then a new one of 1");
    }

    #[test]
    fn the_alarm_and_the_sweep_release_the_same_overdue_holds_once() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let (mine, theirs) = (Shop::cart_id(1), Shop::cart_id(2));
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(&mine, NOW), &mut cart, v, 2, true)).unwrap();
        // Another cart's hold, not yet due: a second release of mine would eat into it.
        block_on(set_quantity(&shop.at(&theirs, NOW + 100), &mut Cart::default(), v, 1, true)).unwrap();
        let due = NOW + HOLD;
        let mut again = cart.clone();
        let cx = shop.at(&mine, due);
        let sweep = Shop::sweep_holds_sql(due);
        let (alarm_run, sweep_run, second_alarm) = block_on(async { futures::join!(alarm(&cx, &mut cart), shop.db.batch(&sweep), alarm(&cx, &mut again)) });
        alarm_run.unwrap();
        sweep_run.unwrap();
        second_alarm.unwrap();
        assert_eq!(shop.reserved(v), 1, "only the other cart's unit is still reserved");
        assert!(!cart.holds_stock());
        assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM holds WHERE cart_id = '{mine}' AND state = 'released'")), 1);
    }

    #[test]
    fn a_guest_cart_hands_over_its_lines_and_the_account_cart_takes_their_stock() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let (guest_id, account_id) = (Shop::cart_id(1), Shop::cart_id(2));
        let mut guest = Cart::default();
        block_on(set_quantity(&shop.at(&guest_id, NOW), &mut guest, v, 2, true)).unwrap();
        let contents = block_on(vacate(&shop.at(&guest_id, NOW + 1), &mut guest)).unwrap();
        assert_eq!(shop.reserved(v), 0, "the guest cart gave its hold back");
        assert_eq!(contents.lines, vec![(v, 2)]);
        let mut account = Cart::default();
        let merged = block_on(absorb(&shop.at(&account_id, NOW + 2), &mut account, &guest_id, &contents)).unwrap();
        assert_eq!(lines(&merged), vec![(v, 2, 2)]);
        let again = block_on(absorb(&shop.at(&account_id, NOW + 3), &mut account, &guest_id, &contents)).unwrap();
        assert_eq!(lines(&again), vec![(v, 2, 2)], "the same guest cart merges once");
        assert_eq!(shop.reserved(v), 2);
        assert!(block_on(clear(&shop.at(&guest_id, NOW + 4), &mut guest)).unwrap().lines.is_empty());
    }

    #[test]
    fn a_code_is_kept_only_when_it_applies() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(1);
        let cx = shop.at(&id, NOW);
        let mut cart = Cart::default();
        block_on(set_quantity(&cx, &mut cart, v, 1, true)).unwrap();
        let applied = block_on(apply_code(&cx, &mut cart, "freeship")).unwrap();
        assert_eq!(applied.discounts.codes, vec!["FREESHIP".to_string()]);
        assert_eq!(cart.codes, vec!["FREESHIP".to_string()]);
        let refused = block_on(apply_code(&cx, &mut cart, "NOPE-NOPE")).unwrap_err();
        let shown = refused.cart().unwrap();
        assert_eq!(shown.discounts.rejected[0].code, "NOPE-NOPE");
        assert_eq!(shown.discounts.codes, vec!["FREESHIP".to_string()], "the refused code is not kept");
        assert_eq!(cart.codes, vec!["FREESHIP".to_string()]);
        let mut after = block_on(render(&cx, &cart, Vec::new())).unwrap();
        after.discounts.rejected.push(shown.discounts.rejected[0].clone());
        assert_eq!(*shown, after, "the refusal shows the cart as a GET then shows it, priced without the refused code");
        assert!(block_on(remove_code(&cx, &mut cart, "freeship")).unwrap().discounts.codes.is_empty());
    }

    #[test]
    fn a_refusal_crosses_to_the_worker_under_its_own_code() {
        let shop = Shop::demo();
        let id = Shop::cart_id(1);
        let empty = block_on(render(&shop.at(&id, NOW), &Cart::default(), Vec::new())).unwrap();
        let boxed = || Box::new(empty.clone());
        let refusals = [
            CartError::NotFound,
            CartError::VariantNotFound,
            CartError::VariantUnavailable,
            CartError::InvalidQuantity,
            CartError::QuantityLimit { cart: boxed() },
            CartError::TooManyLines,
            CartError::LineNotFound,
            CartError::InsufficientStock { available: 2, cart: boxed() },
            CartError::CouponInvalid { cart: boxed() },
            CartError::TooManyCodes { cart: boxed() },
            CartError::CouponRejected { cart: boxed() },
            CartError::CouponNotFound,
            CartError::CartEmpty,
            CartError::CartChanged { cart: boxed() },
        ];
        for refusal in refusals {
            let code = refusal.code();
            let wire = serde_json::to_string(&CartReply::Refused { refusal }).unwrap();
            let value: serde_json::Value = serde_json::from_str(&wire).unwrap();
            assert_eq!(value["refusal"]["code"], code);
            let CartReply::Refused { refusal: back } = serde_json::from_str(&wire).unwrap() else { panic!("{wire}") };
            assert_eq!(back.code(), code);
            assert_eq!(back.available(), if code == "insufficient_stock" { Some(2) } else if code == "quantity_limit" { Some(MAX_PER_VARIANT) } else { None });
        }
        assert!(serde_json::to_string(&CartError::Internal(Failure::NoRandomness)).is_err(), "a failure never crosses as a refusal");
    }

    #[test]
    fn serve_answers_a_call_and_turns_a_refusal_into_a_reply() {
        let shop = Shop::demo();
        let v = shop.variant(0, 1);
        let id = Shop::cart_id(1);
        let cx = shop.at(&id, NOW);
        let mut cart = Cart::default();
        let call: CartCall = serde_json::from_value(serde_json::json!({"op": "set_quantity", "variant_id": v, "quantity": 1, "add": true})).unwrap();
        assert!(matches!(block_on(serve(&cx, &mut cart, call)), Ok(CartReply::Cart { .. })));
        let more = CartCall::SetQuantity { variant_id: v, quantity: 1, add: true, key: None };
        let reply = block_on(serve(&cx, &mut cart, more)).unwrap();
        assert!(matches!(reply, CartReply::Refused { refusal: CartError::InsufficientStock { available: 1, .. } }), "{reply:?}");
    }

    #[test]
    fn an_accounts_cart_records_its_activity_for_the_reminder_and_a_guests_does_not() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let (mine, guest) = (Shop::cart_id(1), Shop::cart_id(2));
        shop.db.exec(&format!("INSERT INTO customers (id, email, cart_id, created_at, updated_at) VALUES ('c1', 'an@example.vn', '{mine}', 0, 0)"));
        let mut carts = [Cart::default(), Cart::default()];
        for (id, n, at) in [(&mine, 0, NOW), (&guest, 1, NOW), (&mine, 0, NOW + 60)] {
            block_on(serve(&shop.at(id, at), &mut carts[n], CartCall::SetQuantity { variant_id: v, quantity: 1, add: true, key: None })).unwrap();
        }
        assert_eq!(shop.db.text("SELECT cart_id || ' ' || customer_id || ' ' || items || ' ' || active_at FROM cart_activity"), format!("{mine} c1 2 {}", NOW + 60));
    }

    #[test]
    fn a_keyed_add_retried_adds_once_and_its_key_with_another_body_is_refused() {
        let shop = Shop::demo();
        let v = shop.variant(0, 20);
        let id = Shop::cart_id(4);
        let cx = shop.at(&id, NOW);
        let mut cart = Cart::default();
        let add = |quantity: i64, fingerprint: &str| CartCall::SetQuantity { variant_id: v, quantity, add: true, key: Some(("a1".into(), fingerprint.into())) };
        assert!(matches!(block_on(serve(&cx, &mut cart, add(2, "f1"))), Ok(CartReply::Cart { .. })));
        let again = block_on(serve(&cx, &mut cart, add(2, "f1"))).unwrap();
        assert!(matches!(&again, CartReply::Replayed { cart } if cart.item_count == 2), "{again:?}");
        assert_eq!(cart.line(v).map(|l| l.quantity), Some(2), "the retry did not add again");
        let other = block_on(serve(&cx, &mut cart, add(3, "f2"))).unwrap();
        assert!(matches!(other, CartReply::Refused { refusal: CartError::IdempotencyKeyReused }), "{other:?}");
        assert_eq!(cart.line(v).map(|l| l.quantity), Some(2));
        let refused = CartCall::SetQuantity { variant_id: 999_999, quantity: 1, add: true, key: Some(("a2".into(), "f".into())) };
        assert!(matches!(block_on(serve(&cx, &mut cart, refused)), Ok(CartReply::Refused { .. })));
        assert_eq!(cart.seen("items:a2", "f"), KeyUse::New, "a refused add does not use up its key");
        assert_eq!(shop.reserved(v), 2, "stock held once");
    }
}
