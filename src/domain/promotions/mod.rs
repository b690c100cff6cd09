//! Promotions: coupon codes and automatic promotions, and the pure pricing engine that decides every
//! discount on a cart or an order.
//!
//! The engine (`engine::price`) takes the cart's lines, the shipping fee, the candidate promotions
//! and who is buying, and returns a [`Pricing`]: per-line and order totals, every applied discount
//! with what it did, and every rejected code with a typed [`Rejection`]. It reads no clock and no
//! storage, so the cart, checkout, order snapshot and analytics all get the same answer.
//!
//! # Classes, priority and combination
//! Each promotion belongs to one class, applied in this order: **product** (discounts on targeted
//! lines: percent/fixed on targets, buy X get Y, bundle price, gift with purchase), **order**
//! (percent/fixed on the whole order, tiered spend), **shipping** (free or cheaper shipping).
//! Within a class, candidates are taken by priority (highest first), then by id. A promotion that is
//! not `combinable` applies only alone in its class: it is refused if another of its class was taken
//! first, and once it is taken nothing else of its class is. Across classes promotions stack, except
//! that an order carries at most one non-combinable *code* ("one code per order unless combinable").
//! The candidates are sorted before evaluation, so the order they are passed in never matters.
//!
//! # Conditions
//! Minimum subtotal and quantity are measured on the order *before* any discount (so one discount can
//! never switch another off, and adding a discount can never raise the total). Start and end are
//! instants (unix seconds); the owner enters them in Vietnam time (Asia/Ho_Chi_Minh, UTC+7, no
//! daylight saving) and [`parse_vn_datetime`] converts. A promotion is live for `starts_at <= now <
//! ends_at`.
//!
//! # Rounding (written down, and tested)
//! Money is integer minor units: 1 đồng for VND (which has no minor unit), 1 cent for USD. A percent
//! discount is computed exactly in `i128` and rounded **down** to the minor unit, so a shopper never
//! gets more than the advertised percent and never pays a fraction of a minor unit. An amount that
//! covers several lines (order-level discounts, fixed amounts on targets, bundles) is split across
//! the lines in proportion to what each line still costs, by the largest-remainder method (ties go to
//! the earlier line), so the lines' shares add up exactly to the discount and a refund can be made
//! per line. A bundle is priced set by set (one unit of each of its products, any variant, the
//! cheapest units first): a percentage bundle takes its percent of each set's value rounded down, so
//! two sets may give 1 đồng less than the percent of both together, never more. No discount exceeds what its lines still cost, and a shipping discount never exceeds the
//! shipping fee: no amount ever goes negative.

pub mod engine;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::money::Vnd;

pub use engine::price;

/// The three classes, in the order they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Product,
    Order,
    Shipping,
}

impl Class {
    pub fn code(self) -> &'static str {
        match self {
            Class::Product => "product",
            Class::Order => "order",
            Class::Shipping => "shipping",
        }
    }
}

/// What a promotion gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Benefit {
    /// `percent` off the targeted lines (or the whole order when the target is the order).
    PercentOff { percent: u8 },
    /// A fixed amount off the targeted lines together (or the order), at most what they cost.
    AmountOff { amount: Vnd },
    /// Shipping free, or at most `max_discount` off it.
    FreeShipping {
        #[serde(default)]
        max_discount: Option<Vnd>,
    },
    /// For every `buy + get` targeted units, the `get` cheapest are `percent` off (100 = free).
    BuyXGetY { buy: u32, get: u32, percent: u8 },
    /// The highest tier whose `min_subtotal` the order reaches gives its `amount` off the order.
    TieredSpend { tiers: Vec<Tier> },
    /// One unit of each listed product, together, for `price` (any variant of each product).
    BundlePrice { products: Vec<i64>, price: Vnd },
    /// One unit of each listed product, together, `percent` off (any variant of each product).
    BundlePercent { products: Vec<i64>, percent: u8 },
    /// One unit of `variant_id` free once the rest of the order reaches `min_subtotal`. The shopper
    /// adds the gift to the cart (so it is held like any line); the engine makes one unit free.
    Gift { variant_id: i64, min_subtotal: Vnd },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min_subtotal: Vnd,
    pub amount: Vnd,
}

impl Benefit {
    /// The products of a bundle (one unit of each makes a set); `None` for any other benefit.
    pub fn bundle_products(&self) -> Option<&[i64]> {
        match self {
            Benefit::BundlePrice { products, .. } | Benefit::BundlePercent { products, .. } => Some(products),
            _ => None,
        }
    }
}

/// Which lines a promotion looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "ids", rename_all = "snake_case")]
pub enum Target {
    #[default]
    Order,
    Categories(Vec<i64>),
    Collections(Vec<i64>),
    Products(Vec<i64>),
    Variants(Vec<i64>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusions {
    #[serde(default)]
    pub products: Vec<i64>,
    #[serde(default)]
    pub variants: Vec<i64>,
    /// Leave out lines already on sale (a compare-at price above the price).
    #[serde(default)]
    pub on_sale: bool,
}

/// Who may use a promotion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "keys", rename_all = "snake_case")]
pub enum Eligibility {
    #[default]
    Anyone,
    SignedIn,
    /// Customer keys: `account:{id}`, or `email:{address}` / `phone:{E.164}` for guests.
    Customers(Vec<String>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub ends_at: Option<i64>,
    #[serde(default)]
    pub min_subtotal: Option<Vnd>,
    #[serde(default)]
    pub min_quantity: Option<i64>,
    #[serde(default)]
    pub first_order_only: bool,
    #[serde(default)]
    pub eligibility: Eligibility,
}

/// Uses so far and the limits on them, as storage knows them when the cart is priced. The claim at
/// order creation re-checks them atomically; this is what lets the cart explain a refusal early.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub used: i64,
    pub limit: Option<i64>,
}

impl Usage {
    pub fn exhausted(self) -> bool {
        self.limit.is_some_and(|l| self.used >= l)
    }
}

/// Whether the owner has a promotion switched on, as `promotions.status` stores it. A promotion
/// that is on still applies only within its dates and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    Active,
    Disabled,
}

impl PromotionStatus {
    pub const ALL: [PromotionStatus; 2] = [PromotionStatus::Active, PromotionStatus::Disabled];

    pub fn code(self) -> &'static str {
        match self {
            PromotionStatus::Active => "active",
            PromotionStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<PromotionStatus> {
        PromotionStatus::ALL.into_iter().find(|st| st.code() == s)
    }

    /// The status of a promotion switched on (`true`) or off.
    pub fn switched(on: bool) -> PromotionStatus {
        if on {
            PromotionStatus::Active
        } else {
            PromotionStatus::Disabled
        }
    }

    pub fn is_on(self) -> bool {
        self == PromotionStatus::Active
    }
}

impl std::fmt::Display for PromotionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
    /// `None` for an automatic promotion; a code promotion applies only with one of its codes.
    pub automatic: bool,
    pub active: bool,
    pub benefit: Benefit,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub exclusions: Exclusions,
    #[serde(default)]
    pub conditions: Conditions,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub combinable: bool,
    #[serde(default)]
    pub usage: Usage,
    /// At most this many uses per customer.
    #[serde(default)]
    pub per_customer_limit: Option<i64>,
}

impl Promotion {
    pub fn class(&self) -> Class {
        match (&self.benefit, &self.target) {
            (Benefit::FreeShipping { .. }, _) => Class::Shipping,
            (Benefit::TieredSpend { .. }, _) => Class::Order,
            (Benefit::PercentOff { .. } | Benefit::AmountOff { .. }, Target::Order) => Class::Order,
            _ => Class::Product,
        }
    }

    /// Problems that make the promotion unusable whatever the cart holds (for the owner's form).
    pub fn problems(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.name_vi.trim().is_empty() || self.name_en.trim().is_empty() {
            out.push("name");
        }
        let bad = match &self.benefit {
            Benefit::PercentOff { percent } => !(1..=100).contains(percent),
            Benefit::AmountOff { amount } => !amount.is_positive(),
            Benefit::FreeShipping { max_discount } => max_discount.is_some_and(|m| !m.is_positive()),
            Benefit::BuyXGetY { buy, get, percent } => *buy == 0 || *get == 0 || *buy > 100 || *get > 100 || !(1..=100).contains(percent),
            Benefit::TieredSpend { tiers } => tiers.is_empty() || tiers.iter().any(|t| !t.amount.is_positive() || t.min_subtotal.is_negative()),
            Benefit::BundlePrice { products, price } => products.len() < 2 || price.is_negative(),
            Benefit::BundlePercent { products, percent } => products.len() < 2 || !(1..=100).contains(percent),
            Benefit::Gift { min_subtotal, .. } => min_subtotal.is_negative(),
        };
        if bad {
            out.push("benefit");
        }
        if let (Some(a), Some(b)) = (self.conditions.starts_at, self.conditions.ends_at) {
            if a >= b {
                out.push("ends_at");
            }
        }
        if self.usage.limit.is_some_and(|l| l < 0) || self.per_customer_limit.is_some_and(|l| l < 1) {
            out.push("limit");
        }
        out
    }
}

/// A code as the shopper typed it, normalised: trimmed, upper case, 3–32 of `A–Z 0–9 - _`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CouponCode(String);

impl CouponCode {
    pub fn parse(s: &str) -> Option<CouponCode> {
        let s = s.trim().to_ascii_uppercase();
        let ok = (3..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        ok.then_some(CouponCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A code the shopper entered, with what storage knows of it (`None`: no such code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnteredCode {
    pub code: CouponCode,
    pub found: Option<CodeInfo>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    pub promotion_id: i64,
    pub usage: Usage,
}

/// One line as the engine sees it: what it is, where it belongs, what it costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub variant_id: i64,
    pub product_id: i64,
    /// The product's category and its ancestors.
    pub categories: Vec<i64>,
    pub collections: Vec<i64>,
    pub unit_price: Vnd,
    pub quantity: i64,
    pub on_sale: bool,
}

/// Who is buying, as far as it is known. In the cart nobody is known yet: conditions about the
/// customer are then checked when the order is placed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Customer {
    pub known: bool,
    /// `account:{id}` once signed in.
    pub account: Option<String>,
    /// `email:{address}` and `phone:{E.164}` for a guest.
    pub keys: Vec<String>,
    /// Earlier orders that count (placed and not expired/cancelled).
    pub prior_orders: i64,
    /// Uses of each promotion by this customer so far: (promotion id, uses).
    pub uses: Vec<(i64, i64)>,
}

/// Everything the engine needs.
#[derive(Clone, Debug)]
pub struct PricingInput<'a> {
    pub lines: &'a [Line],
    pub shipping: Vnd,
    pub promotions: &'a [Promotion],
    pub codes: &'a [EnteredCode],
    pub customer: &'a Customer,
    pub now: i64,
}

/// Why a code was refused. Views turn it into a sentence in the shopper's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    UnknownCode,
    Disabled,
    NotStarted { starts_at: i64 },
    Expired { ended_at: i64 },
    MinSubtotal { required: Vnd, missing: Vnd },
    MinQuantity { required: i64, missing: i64 },
    FirstOrderOnly,
    SignedInOnly,
    NotForYou,
    UsedUp,
    CustomerLimit,
    NoEligibleItems,
    /// A shipping discount on an order whose shipping is already free (by its rate or another
    /// promotion): nothing is left to take off.
    ShippingAlreadyFree,
    NotCombinable { with_vi: String, with_en: String },
    AlreadyApplied,
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownCode => "unknown_code",
            Rejection::Disabled => "disabled",
            Rejection::NotStarted { .. } => "not_started",
            Rejection::Expired { .. } => "expired",
            Rejection::MinSubtotal { .. } => "min_subtotal",
            Rejection::MinQuantity { .. } => "min_quantity",
            Rejection::FirstOrderOnly => "first_order_only",
            Rejection::SignedInOnly => "signed_in_only",
            Rejection::NotForYou => "not_for_you",
            Rejection::UsedUp => "used_up",
            Rejection::CustomerLimit => "customer_limit",
            Rejection::NoEligibleItems => "no_eligible_items",
            Rejection::ShippingAlreadyFree => "shipping_already_free",
            Rejection::NotCombinable { .. } => "not_combinable",
            Rejection::AlreadyApplied => "already_applied",
        }
    }
}

/// A discount that applied: which promotion, through which code, what it gave and on which lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub promotion_id: i64,
    pub code: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub class: Class,
    /// The rule that gave it (the explanation a page renders).
    pub benefit: Benefit,
    pub amount: Vnd,
    /// Variants whose lines carry a share of it (empty for shipping).
    pub lines: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedCode {
    pub code: String,
    pub rejection: Rejection,
}

/// A line's share of one applied discount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub promotion_id: i64,
    pub amount: Vnd,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePrice {
    pub variant_id: i64,
    pub subtotal: Vnd,
    pub discount: Vnd,
    pub total: Vnd,
    pub shares: Vec<Share>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    pub lines: Vec<LinePrice>,
    pub subtotal: Vnd,
    /// Product- and order-class discounts (the lines' shares added up).
    pub items_discount: Vnd,
    pub shipping: Vnd,
    pub shipping_discount: Vnd,
    pub discount: Vnd,
    pub total: Vnd,
    pub applied: Vec<Applied>,
    pub rejected: Vec<RejectedCode>,
}

/// Reads `2026-11-28T00:00` or `2026-11-28 00:00[:ss]` as Vietnam time (UTC+7) and gives unix
/// seconds; also accepts an RFC 3339 instant with its own offset.
pub fn parse_vn_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    let normal = s.replace(' ', "T");
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"].iter().find_map(|f| chrono::NaiveDateTime::parse_from_str(&normal, f).ok())?;
    Some(naive.and_utc().timestamp() - 7 * 3600)
}

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Random characters after the prefix: 31^8 ≈ 8.5 × 10^11 codes, so guessing one is hopeless.
pub const CODE_RANDOM_CHARS: usize = 8;
pub const MAX_BULK_CODES: usize = 5_000;

/// A prefix for bulk codes: 1–12 of `A–Z 0–9`, upper-cased.
pub fn parse_code_prefix(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('-').to_ascii_uppercase();
    ((1..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())).then_some(s)
}

/// `count` distinct codes `PREFIX-XXXXXXXX` from the random bytes `random` gives. Bytes are mapped
/// by rejection sampling (no modulo bias); storage still refuses a code that already exists.
pub fn generate_codes(prefix: &str, count: usize, random: &mut dyn FnMut() -> u8) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let limit = (256 / CODE_ALPHABET.len()) * CODE_ALPHABET.len();
    let mut out = Vec::with_capacity(count);
    // Bounded even if the randomness is broken (all zeros): then fewer codes come back.
    let mut attempts = 0;
    while out.len() < count && attempts < count * 4 + 16 {
        attempts += 1;
        let mut code = format!("{prefix}-");
        while code.len() < prefix.len() + 1 + CODE_RANDOM_CHARS {
            let b = usize::from(random());
            if b < limit {
                code.push(char::from(CODE_ALPHABET[b % CODE_ALPHABET.len()]));
            }
        }
        if seen.insert(code.clone()) {
            out.push(code);
        }
    }
    out
}

/// How many of the comma-separated instants in `schedule` are at or before `now`: it changes exactly
/// when a promotion starts or ends, so it can be part of a cache key.
pub fn schedule_epoch(schedule: &str, now: i64) -> usize {
    schedule.split(',').filter_map(|t| t.trim().parse::<i64>().ok()).filter(|t| *t <= now).count()
}
