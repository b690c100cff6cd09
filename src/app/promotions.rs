//! Promotions over storage: reading what the engine needs (live promotions, entered codes, the
//! lines' categories and collections, the buyer's history), the statements that claim usage inside
//! the create-order batch and give it back when an unpaid order expires or is cancelled, and the
//! owner's use cases (create/edit, bulk single-use codes with CSV export, analytics).
//!
//! Usage is claimed with one conditional write per counter, checked by `changes()` in the same
//! transaction: the redemption row's `created_at` is `CASE WHEN changes() = 1 THEN now ELSE NULL
//! END`, and a NULL there fails its NOT NULL constraint, which rolls the whole order batch back. So
//! an order exists with its discount only if every use it needed was still free.

use serde::{Deserialize, Serialize};

use super::cart::{CartView, LineVariant};
use super::sql::{Sql, SqlValue};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::money::Vnd;
use crate::domain::promotions::{
    Benefit, CodeInfo, Conditions, CouponCode, Customer, EnteredCode, Exclusions, Line, Pricing, Promotion, PromotionStatus, Target, Usage,
};

/// The parts of a promotion stored as JSON in `promotions.rule`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rule {
    pub benefit: Benefit,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub exclusions: Exclusions,
    #[serde(default)]
    pub conditions: Conditions,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PromotionRow {
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
    pub automatic: i64,
    pub status: PromotionStatus,
    pub rule: String,
    pub priority: i64,
    pub combinable: i64,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    pub used_count: i64,
}

impl PromotionRow {
    /// Running at `now` (start inclusive, end exclusive) and not used up.
    pub fn live_at(&self, now: i64) -> bool {
        self.starts_at.is_none_or(|t| t <= now) && self.ends_at.is_none_or(|t| t > now) && self.usage_limit.is_none_or(|l| self.used_count < l)
    }

    /// The domain promotion; `None` for a rule this build cannot read (it is then ignored).
    pub fn promotion(&self) -> Option<Promotion> {
        let rule: Rule = serde_json::from_str(&self.rule).ok()?;
        // The columns are the truth for what SQL also filters on.
        let conditions = Conditions { starts_at: self.starts_at, ends_at: self.ends_at, ..rule.conditions };
        Some(Promotion {
            id: self.id,
            name_vi: self.name_vi.clone(),
            name_en: self.name_en.clone(),
            automatic: self.automatic == 1,
            active: self.status.is_on(),
            benefit: rule.benefit,
            target: rule.target,
            exclusions: rule.exclusions,
            conditions,
            priority: self.priority,
            combinable: self.combinable == 1,
            usage: Usage { used: self.used_count, limit: self.usage_limit },
            per_customer_limit: self.per_customer_limit,
        })
    }
}

const PROMOTION_COLUMNS: &str =
    "id, name_vi, name_en, automatic, status, rule, priority, combinable, starts_at, ends_at, usage_limit, per_customer_limit, used_count";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodeRow {
    pub code: String,
    pub promotion_id: i64,
    pub max_uses: Option<i64>,
    pub used: i64,
}

/// A product's place in the catalog, for targets: `kind` is `category` (its category and every
/// ancestor) or `collection`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlaceRow {
    pub product_id: i64,
    pub kind: String,
    pub ref_id: i64,
}

fn in_list(values: impl IntoIterator<Item = SqlValue>) -> (String, Vec<SqlValue>) {
    let mut values: Vec<SqlValue> = values.into_iter().collect();
    if values.is_empty() {
        values.push(SqlValue::Null);
    }
    (Sql::placeholders(values.len()), values)
}

/// Three statements for one batch: the live automatic promotions plus those of the entered codes,
/// the entered codes, and the catalog places of the cart's variants' products.
pub fn pricing_batch(codes: &[String], variant_ids: &[i64], now: i64) -> [Sql; 3] {
    let (code_marks, code_values) = in_list(codes.iter().map(|c| SqlValue::from(c.as_str())));
    let mut promotions = Sql::new(format!(
        "SELECT {PROMOTION_COLUMNS} FROM promotions WHERE (automatic = 1 AND status = 'active' AND (starts_at IS NULL OR starts_at <= ?) \
         AND (ends_at IS NULL OR ends_at > ?)) OR id IN (SELECT promotion_id FROM promotion_codes WHERE code IN ({code_marks})) ORDER BY id"
    ))
    .bind(now)
    .bind(now);
    promotions.params.extend(code_values.clone());
    let mut code_rows = Sql::new(format!("SELECT code, promotion_id, max_uses, used FROM promotion_codes WHERE code IN ({code_marks})"));
    code_rows.params.extend(code_values);
    let (marks, ids) = in_list(variant_ids.iter().map(|id| SqlValue::from(*id)));
    let products = format!("SELECT v.product_id FROM variants v WHERE v.id IN ({marks})");
    let mut places = Sql::new(format!(
        "SELECT p.id AS product_id, 'category' AS kind, a.id AS ref_id FROM products p JOIN categories c ON c.id = p.category_id \
         JOIN categories a ON substr(c.path, 1, length(a.path)) = a.path WHERE p.id IN ({products}) \
         UNION ALL SELECT cp.product_id, 'collection', cp.collection_id FROM collection_products cp WHERE cp.product_id IN ({products})"
    ));
    places.params.extend(ids.clone());
    places.params.extend(ids);
    [promotions, code_rows, places]
}

/// What storage said, for pricing a cart.
#[derive(Clone, Debug, Default)]
pub struct PricingData {
    pub promotions: Vec<Promotion>,
    pub codes: Vec<CodeRow>,
    pub places: Vec<PlaceRow>,
}

/// Prices the cart's lines (in the cart's order) with `shipping` as the fee.
pub fn price_cart(cart: &crate::domain::cart::Cart, variants: &[LineVariant], data: &PricingData, customer: &Customer, shipping: Vnd, now: i64) -> Pricing {
    let items: Vec<(&LineVariant, i64)> =
        cart.lines.iter().filter_map(|l| variants.iter().find(|v| v.id == l.variant_id).map(|v| (v, l.quantity))).collect();
    let lines = engine_lines(&items, &data.places);
    let codes = entered_codes(&cart.codes, &data.codes);
    crate::domain::promotions::price(&crate::domain::promotions::PricingInput {
        lines: &lines,
        shipping,
        promotions: &data.promotions,
        codes: &codes,
        customer,
        now,
    })
}

/// The entered codes with what storage knows of them.
pub fn entered_codes(codes: &[String], rows: &[CodeRow]) -> Vec<EnteredCode> {
    codes
        .iter()
        .filter_map(|c| CouponCode::parse(c))
        .map(|code| {
            let found = rows
                .iter()
                .find(|r| r.code == code.as_str())
                .map(|r| CodeInfo { promotion_id: r.promotion_id, usage: Usage { used: r.used, limit: r.max_uses } });
            EnteredCode { code, found }
        })
        .collect()
}

/// The cart's lines as the engine sees them: (variant, quantity) with the variant's catalog places.
pub fn engine_lines(items: &[(&LineVariant, i64)], places: &[PlaceRow]) -> Vec<Line> {
    items
        .iter()
        .map(|(v, quantity)| {
            let of = |kind: &str| places.iter().filter(|p| p.product_id == v.product_id && p.kind == kind).map(|p| p.ref_id).collect::<Vec<_>>();
            Line {
                variant_id: v.id,
                product_id: v.product_id,
                categories: of("category"),
                collections: of("collection"),
                unit_price: v.price,
                quantity: *quantity,
                on_sale: v.compare_at_price.is_some_and(|c| c > v.price),
            }
        })
        .collect()
}

pub fn promotions_of(rows: &[PromotionRow]) -> Vec<Promotion> {
    rows.iter().filter_map(PromotionRow::promotion).collect()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CountRow {
    pub n: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UseRow {
    pub promotion_id: i64,
    pub n: i64,
}

/// The buyer's history, keyed by email and phone, and by account when signed in: orders that
/// count (not expired or cancelled) and the promotions they used.
pub fn customer_batch(email: &str, phone: &str, account: Option<&str>) -> [Sql; 2] {
    let account = || account.map_or(SqlValue::Null, SqlValue::from);
    [
        Sql::new(format!("SELECT COUNT(*) AS n FROM orders o WHERE {PRIOR_ORDER}")).bind(email_key(email)).bind(phone).bind(account()),
        Sql::new(format!("SELECT promotion_id, COUNT(*) AS n FROM promotion_redemptions r WHERE r.state = 'claimed' AND {SAME_BUYER} GROUP BY promotion_id"))
            .bind(email_key(email))
            .bind(phone)
            .bind(account()),
    ]
}

/// The email as a key of the buyer's history: none (NULL, which equals nothing) for an order
/// placed without one, so phone-only buyers are not all one buyer.
fn email_key(email: &str) -> SqlValue {
    if email.is_empty() { SqlValue::Null } else { SqlValue::from(email) }
}

/// An order of the same buyer that counts (placed and not expired or cancelled); binds email,
/// phone, account.
const PRIOR_ORDER: &str = "(o.email = ? OR o.phone = ? OR o.customer_id = ?) AND o.status NOT IN ('expired', 'cancelled')";
/// A redemption by the same buyer; binds email, phone, account.
const SAME_BUYER: &str = "(r.customer_email = ? OR r.customer_phone = ? OR r.customer_account = ?)";

pub fn customer(email: &str, phone: &str, account: Option<&str>, prior_orders: i64, uses: &[UseRow]) -> Customer {
    Customer {
        known: true,
        account: account.map(|id| format!("account:{id}")),
        keys: [(!email.is_empty()).then(|| format!("email:{email}")), Some(format!("phone:{phone}"))].into_iter().flatten().collect(),
        prior_orders,
        uses: uses.iter().map(|u| (u.promotion_id, u.n)).collect(),
    }
}

/// Who an order's uses are counted against.
pub struct Buyer<'a> {
    pub email: &'a str,
    pub phone: &'a str,
    pub account: Option<&'a str>,
}

/// Statements to append to the create-order batch (after the order and its lines exist): each
/// line's share of the discounts, and for every applied promotion the conditional claim of its code
/// and of the promotion, then the redemption row that exists only if both claims changed a row.
/// `line_nos` maps the pricing's lines (same order) to the order's line numbers.
pub fn claim_batch(order_id: &str, pricing: &Pricing, line_nos: &[i64], buyer: &Buyer, now: i64) -> Vec<Sql> {
    let mut out = Vec::new();
    for (line, line_no) in pricing.lines.iter().zip(line_nos) {
        if line.discount.is_positive() {
            let shares = serde_json::to_string(&line.shares).unwrap_or_else(|_| "[]".into());
            out.push(Sql::new("UPDATE order_lines SET discount = ?, discounts = ? WHERE order_id = ? AND line_no = ?").bind(line.discount).bind(shares).bind(order_id).bind(*line_no));
        }
    }
    for a in &pricing.applied {
        let mut promotion_gate = String::new();
        if let Some(code) = &a.code {
            out.push(
                Sql::new("UPDATE promotion_codes SET used = used + 1 WHERE code = ? AND promotion_id = ? AND (max_uses IS NULL OR used < max_uses)")
                    .bind(code.as_str())
                    .bind(a.promotion_id),
            );
            promotion_gate.push_str(" AND changes() = 1");
        }
        // The limits and the first-order condition are decided here, inside the batch that creates
        // the order, so two checkouts racing for the last use (or for a first order) cannot both win.
        let account = || buyer.account.map_or(SqlValue::Null, SqlValue::from);
        out.push(
            Sql::new(format!(
                "UPDATE promotions SET used_count = used_count + 1, updated_at = ? WHERE id = ? AND status = 'active'{promotion_gate} \
                 AND (usage_limit IS NULL OR used_count < usage_limit) \
                 AND (per_customer_limit IS NULL OR (SELECT COUNT(*) FROM promotion_redemptions r WHERE r.promotion_id = promotions.id \
                   AND r.state = 'claimed' AND {SAME_BUYER}) < per_customer_limit) \
                 AND (COALESCE(json_extract(rule, '$.conditions.first_order_only'), 0) = 0 \
                   OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.id != ? AND {PRIOR_ORDER}))"
            ))
            .bind(now)
            .bind(a.promotion_id)
            .bind(email_key(buyer.email))
            .bind(buyer.phone)
            .bind(account())
            .bind(order_id)
            .bind(email_key(buyer.email))
            .bind(buyer.phone)
            .bind(account()),
        );
        out.push(
            Sql::new(
                "INSERT INTO promotion_redemptions (order_id, promotion_id, code, class, name_vi, name_en, benefit, amount, customer_email, \
                 customer_phone, customer_account, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'claimed', \
                 CASE WHEN changes() = 1 THEN ? ELSE NULL END)",
            )
            .bind(order_id)
            .bind(a.promotion_id)
            .bind(a.code.clone().map_or(SqlValue::Null, SqlValue::Text))
            .bind(a.class.code())
            .bind(a.name_vi.as_str())
            .bind(a.name_en.as_str())
            .bind(serde_json::to_string(&a.benefit).unwrap_or_else(|_| "{}".into()))
            .bind(a.amount)
            .bind(buyer.email)
            .bind(buyer.phone)
            .bind(buyer.account.map_or(SqlValue::Null, SqlValue::from))
            .bind(now),
        );
    }
    out
}

/// Gives an order's claimed uses back, gated on `gate` (a condition on `orders o`, the same one the
/// order move is gated on). Must run before the statement that flips the gate; the last statement
/// marks the redemptions released, so a second run finds nothing.
pub fn give_back(order_id: &str, gate: &str, now: i64) -> Vec<Sql> {
    move_usage(order_id, gate, now, "claimed", "released", "- 1")
}

/// A late payment revived an order whose uses were given back: it takes them again (past any limit:
/// the shopper has paid that price).
pub fn take_again(order_id: &str, gate: &str, now: i64) -> Vec<Sql> {
    move_usage(order_id, gate, now, "released", "claimed", "+ 1")
}

fn move_usage(order_id: &str, gate: &str, now: i64, from: &str, to: &str, delta: &str) -> Vec<Sql> {
    let gated = format!("EXISTS (SELECT 1 FROM orders o WHERE o.id = ?1 AND {gate})");
    let mine = format!("FROM promotion_redemptions r WHERE r.order_id = ?1 AND r.state = '{from}'");
    vec![
        Sql::new(format!("UPDATE promotion_codes SET used = used {delta} WHERE code IN (SELECT r.code {mine}) AND {gated}")).bind(order_id),
        Sql::new(format!("UPDATE promotions SET used_count = used_count {delta}, updated_at = ?2 WHERE id IN (SELECT r.promotion_id {mine}) AND {gated}"))
            .bind(order_id)
            .bind(now),
        Sql::new(format!(
            "UPDATE promotion_redemptions SET state = '{to}', released_at = CASE WHEN '{to}' = 'released' THEN ?2 ELSE NULL END \
             WHERE order_id = ?1 AND state = '{from}' AND {gated}"
        ))
        .bind(order_id)
        .bind(now),
    ]
}

/// Inserts `extra` just before the batch's last `UPDATE orders` (the statement that flips the gate).
pub fn before_flip(batch: &mut Vec<Sql>, extra: Vec<Sql>) {
    let at = batch.iter().rposition(|s| s.text.starts_with("UPDATE orders")).unwrap_or(batch.len());
    batch.splice(at..at, extra);
}

// ---------------------------------------------------------------------------------------------
// What the cart and checkout show
// ---------------------------------------------------------------------------------------------

/// The cart's discounts as pages and the API show them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CartDiscounts {
    /// Codes the shopper entered (upper case), applied or not.
    pub codes: Vec<String>,
    pub applied: Vec<crate::domain::promotions::Applied>,
    pub rejected: Vec<crate::domain::promotions::RejectedCode>,
    /// Product- and order-class discounts together.
    pub items_discount: Vnd,
    /// Subtotal less `items_discount`.
    pub items_total: Vnd,
    /// Shipping per method with what the shipping promotions take off it.
    pub shipping: Vec<ShippingQuote>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShippingQuote {
    pub method: String,
    pub fee: Vnd,
    pub discount: Vnd,
}

/// Puts the pricing on the cart view: each line's discount, and the cart's discounts. `pricings`
/// holds one pricing per shipping method (the first one is shown for the lines and promotions).
pub fn decorate(view: &mut CartView, codes: &[String], pricings: &[(&str, Pricing)]) {
    let Some((_, main)) = pricings.first() else { return };
    for line in &mut view.lines {
        if let Some(p) = main.lines.iter().find(|p| p.variant_id == line.variant_id) {
            line.discount = p.discount;
        }
    }
    view.discounts = CartDiscounts {
        codes: codes.to_vec(),
        applied: main.applied.clone(),
        rejected: main.rejected.clone(),
        items_discount: main.items_discount,
        // The items' discounts never exceed the subtotal (the engine caps them), so this is exact.
        items_total: main.subtotal.saturating_sub(main.items_discount),
        shipping: pricings.iter().map(|(m, p)| ShippingQuote { method: (*m).to_string(), fee: p.shipping, discount: p.shipping_discount }).collect(),
    };
}

// ---------------------------------------------------------------------------------------------
// The owner's use cases (internal JSON now; the admin panel will call the same functions)
// ---------------------------------------------------------------------------------------------

/// A promotion as the owner submits it. Times are Vietnam time (`2026-11-28T00:00`) or RFC 3339.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PromotionInput {
    #[serde(default)]
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub automatic: bool,
    #[serde(default = "yes")]
    pub active: bool,
    pub benefit: Option<Benefit>,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub exclusions: Exclusions,
    #[serde(default)]
    pub min_subtotal: Option<Vnd>,
    #[serde(default)]
    pub min_quantity: Option<i64>,
    #[serde(default)]
    pub first_order_only: bool,
    #[serde(default)]
    pub eligibility: crate::domain::promotions::Eligibility,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub combinable: bool,
    #[serde(default)]
    pub usage_limit: Option<i64>,
    #[serde(default)]
    pub per_customer_limit: Option<i64>,
    /// Codes to create with it (each usable up to `usage_limit` overall).
    #[serde(default)]
    pub codes: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Validates the owner's input into a promotion (id 0 until stored) and its codes.
pub fn validate_input(input: &PromotionInput) -> Result<(Promotion, Vec<CouponCode>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let time = |s: &Option<String>, field: &'static str, errors: &mut Vec<FieldError>| match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let t = crate::domain::promotions::parse_vn_datetime(s);
            if t.is_none() {
                errors.push(FieldError { field, problem: Problem::BadValue });
            }
            t
        }
    };
    let starts_at = time(&input.starts_at, "starts_at", &mut errors);
    let ends_at = time(&input.ends_at, "ends_at", &mut errors);
    let Some(benefit) = input.benefit.clone() else {
        errors.push(FieldError { field: "benefit", problem: Problem::Required });
        return Err(errors);
    };
    let promotion = Promotion {
        id: 0,
        name_vi: input.name_vi.trim().to_string(),
        name_en: input.name_en.trim().to_string(),
        automatic: input.automatic,
        active: input.active,
        benefit,
        target: input.target.clone(),
        exclusions: input.exclusions.clone(),
        conditions: Conditions {
            starts_at,
            ends_at,
            min_subtotal: input.min_subtotal,
            min_quantity: input.min_quantity,
            first_order_only: input.first_order_only,
            eligibility: input.eligibility.clone(),
        },
        priority: input.priority,
        combinable: input.combinable,
        usage: Usage { used: 0, limit: input.usage_limit },
        per_customer_limit: input.per_customer_limit,
    };
    for problem in promotion.problems() {
        let field = match problem {
            "name" => "name_vi",
            "benefit" => "benefit",
            "ends_at" => "ends_at",
            _ => "usage_limit",
        };
        errors.push(FieldError { field, problem: Problem::BadValue });
    }
    let mut codes = Vec::new();
    for c in &input.codes {
        match CouponCode::parse(c) {
            Some(code) => codes.push(code),
            None => errors.push(FieldError { field: "codes", problem: Problem::BadValue }),
        }
    }
    if input.automatic && !codes.is_empty() {
        errors.push(FieldError { field: "codes", problem: Problem::BadValue });
    }
    if errors.is_empty() {
        Ok((promotion, codes))
    } else {
        Err(errors)
    }
}

fn rule_json(p: &Promotion) -> String {
    let rule = Rule { benefit: p.benefit.clone(), target: p.target.clone(), exclusions: p.exclusions.clone(), conditions: p.conditions.clone() };
    serde_json::to_string(&rule).unwrap_or_else(|_| "{}".into())
}

fn opt(v: Option<i64>) -> SqlValue {
    v.map_or(SqlValue::Null, SqlValue::Int)
}

/// Creates a promotion and its codes in one batch; the last statement reads it back.
pub fn create_promotion(p: &Promotion, codes: &[CouponCode], now: i64) -> Vec<Sql> {
    let insert = Sql::new(
        "INSERT INTO promotions (name_vi, name_en, automatic, status, rule, priority, combinable, starts_at, ends_at, usage_limit, \
         per_customer_limit, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    let mut batch = vec![bind_settings(insert, p, now).bind(now)];
    for code in codes {
        batch.push(
            Sql::new("INSERT INTO promotion_codes (code, promotion_id, max_uses, created_at) SELECT ?, MAX(id), NULL, ? FROM promotions")
                .bind(code.as_str())
                .bind(now),
        );
    }
    batch.push(Sql::new(format!("SELECT {PROMOTION_COLUMNS} FROM promotions WHERE id = (SELECT MAX(id) FROM promotions)")));
    batch
}

/// Replaces a promotion's rule and settings (its uses so far stay).
pub fn update_promotion(id: i64, p: &Promotion, now: i64) -> Vec<Sql> {
    let update = Sql::new(
        "UPDATE promotions SET name_vi = ?, name_en = ?, automatic = ?, status = ?, rule = ?, priority = ?, combinable = ?, starts_at = ?, \
         ends_at = ?, usage_limit = ?, per_customer_limit = ?, updated_at = ? WHERE id = ?",
    );
    vec![bind_settings(update, p, now).bind(id), promotion_sql(id)]
}

/// Binds the owner-set columns, in the order both statements above name them, then `updated_at`.
fn bind_settings(sql: Sql, p: &Promotion, now: i64) -> Sql {
    sql.bind(p.name_vi.as_str())
        .bind(p.name_en.as_str())
        .bind(i64::from(p.automatic))
        .bind(PromotionStatus::switched(p.active).code())
        .bind(rule_json(p))
        .bind(p.priority)
        .bind(i64::from(p.combinable))
        .bind(opt(p.conditions.starts_at))
        .bind(opt(p.conditions.ends_at))
        .bind(opt(p.usage.limit))
        .bind(opt(p.per_customer_limit))
        .bind(now)
}

pub fn promotion_sql(id: i64) -> Sql {
    Sql::new(format!("SELECT {PROMOTION_COLUMNS} FROM promotions WHERE id = ?")).bind(id)
}

pub fn list_promotions_sql() -> Sql {
    Sql::new(format!("SELECT {PROMOTION_COLUMNS} FROM promotions ORDER BY id"))
}

/// Live automatic promotions, for product and listing pages.
/// Every switched-on automatic promotion, whenever it runs (pages keep them per catalog version and
/// pick the live ones with `PromotionRow::live_at`).
pub fn automatic_sql() -> Sql {
    Sql::new(format!("SELECT {PROMOTION_COLUMNS} FROM promotions WHERE automatic = 1 AND status = 'active' ORDER BY priority DESC, id"))
}

/// Every coming start or end of an active automatic promotion, soonest first (`n`: unix seconds).
pub fn schedule_sql(now: i64) -> Sql {
    Sql::new(
        "SELECT t AS n FROM (SELECT starts_at AS t FROM promotions WHERE automatic = 1 AND status = 'active' AND starts_at > ?1 \
         UNION SELECT ends_at FROM promotions WHERE automatic = 1 AND status = 'active' AND ends_at > ?1) ORDER BY t LIMIT 500",
    )
    .bind(now)
}

/// Single-use codes for a promotion, inserted one statement per code; a code that already exists
/// is skipped (`ON CONFLICT DO NOTHING`), so the caller counts what was made and tops up.
pub fn insert_codes(promotion_id: i64, codes: &[String], batch: &str, now: i64) -> Vec<Sql> {
    codes
        .iter()
        .map(|code| {
            Sql::new(
                "INSERT INTO promotion_codes (code, promotion_id, max_uses, batch, created_at) SELECT ?, id, 1, ?, ? FROM promotions WHERE id = ? \
                 ON CONFLICT (code) DO NOTHING",
            )
            .bind(code.as_str())
            .bind(batch)
            .bind(now)
            .bind(promotion_id)
        })
        .collect()
}

pub fn codes_sql(promotion_id: i64, batch: Option<&str>) -> Sql {
    let mut sql = Sql::new("SELECT code, promotion_id, max_uses, used FROM promotion_codes WHERE promotion_id = ?").bind(promotion_id);
    if let Some(b) = batch {
        sql.push(" AND batch = ?", [SqlValue::from(b)]);
    }
    sql.push(" ORDER BY code", []);
    sql
}

/// CSV (RFC 4180) of codes: `code,max_uses,used`. Codes are `A–Z 0–9 - _`, so nothing needs quoting.
pub fn codes_csv(rows: &[CodeRow]) -> String {
    let mut out = String::from("code,max_uses,used\r\n");
    for r in rows {
        out.push_str(&format!("{},{},{}\r\n", r.code, r.max_uses.map_or_else(String::new, |m| m.to_string()), r.used));
    }
    out
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnalyticsRow {
    pub promotion_id: i64,
    /// Uses held now (placed and not given back).
    pub uses: i64,
    /// Orders that used it and were paid (or went further).
    pub orders: i64,
    /// Those orders' totals, after discounts.
    pub revenue: Vnd,
    /// What it took off those orders.
    pub discount_given: Vnd,
    /// Orders still waiting for payment with it.
    pub pending_orders: i64,
}

const PAID: &str = "('paid', 'fulfilled', 'delivered', 'partially_refunded')";

/// Per promotion: uses, orders, revenue and discount given (paid orders).
pub fn analytics_sql(promotion_id: Option<i64>) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT p.id AS promotion_id, \
         (SELECT COUNT(*) FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.state = 'claimed') AS uses, \
         (SELECT COUNT(*) FROM promotion_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promotion_id = p.id AND o.status IN {PAID}) AS orders, \
         (SELECT COALESCE(SUM(o.total), 0) FROM promotion_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promotion_id = p.id AND o.status IN {PAID}) AS revenue, \
         (SELECT COALESCE(SUM(r.amount), 0) FROM promotion_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promotion_id = p.id AND o.status IN {PAID}) AS discount_given, \
         (SELECT COUNT(*) FROM promotion_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promotion_id = p.id AND o.status = 'pending_payment') AS pending_orders \
         FROM promotions p"
    ));
    if let Some(id) = promotion_id {
        sql.push(" WHERE p.id = ?", [SqlValue::from(id)]);
    }
    sql.push(" ORDER BY p.id", []);
    sql
}

/// What an order used, for its page and API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RedemptionRow {
    pub promotion_id: i64,
    pub code: Option<String>,
    pub class: String,
    pub name_vi: String,
    pub name_en: String,
    pub benefit: String,
    pub amount: Vnd,
    pub state: String,
}

pub fn order_redemptions_sql(order_id: &str) -> Sql {
    Sql::new(
        "SELECT promotion_id, code, class, name_vi, name_en, benefit, amount, state FROM promotion_redemptions WHERE order_id = ? \
         ORDER BY CASE class WHEN 'product' THEN 0 WHEN 'order' THEN 1 ELSE 2 END, promotion_id",
    )
    .bind(order_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::promotions::{price, Applied, Class, PricingInput};

    use crate::app::testing::assert_balanced as balanced;

    fn pricing() -> Pricing {
        let lines = [Line { variant_id: 1, product_id: 1, categories: vec![], collections: vec![], unit_price: Vnd::new(100), quantity: 2, on_sale: false }];
        let mut p = Promotion {
            id: 7,
            name_vi: "a".into(),
            name_en: "a".into(),
            automatic: false,
            active: true,
            benefit: Benefit::PercentOff { percent: 10 },
            target: Target::Order,
            exclusions: Exclusions::default(),
            conditions: Conditions::default(),
            priority: 0,
            combinable: true,
            usage: Usage::default(),
            per_customer_limit: None,
        };
        let auto = Promotion { id: 8, automatic: true, benefit: Benefit::FreeShipping { max_discount: None }, ..p.clone() };
        p.automatic = false;
        let codes = [EnteredCode { code: CouponCode::parse("SALE10").unwrap(), found: Some(CodeInfo { promotion_id: 7, usage: Usage::default() }) }];
        price(&PricingInput { lines: &lines, shipping: Vnd::new(30), promotions: &[p, auto], codes: &codes, customer: &Customer::default(), now: 0 })
    }

    #[test]
    fn every_statement_binds_its_placeholders() {
        balanced(&pricing_batch(&["A".into(), "B".into()], &[1, 2], 5));
        balanced(&pricing_batch(&[], &[], 5));
        balanced(&customer_batch("a@b.vn", "+84912345678", Some("c1")));
        let buyer = Buyer { email: "a@b.vn", phone: "+84", account: None };
        balanced(&claim_batch("o", &pricing(), &[1], &buyer, 5));
        balanced(&give_back("o", "o.status = 'pending_payment'", 5));
        balanced(&insert_codes(1, &["X".into()], "b", 5));
        let input: PromotionInput = serde_json::from_str(r#"{"name_vi":"a","name_en":"a","benefit":{"type":"amount_off","amount":5}}"#).unwrap();
        let (promotion, _) = validate_input(&input).unwrap();
        balanced(&create_promotion(&promotion, &[CouponCode::parse("ABC").unwrap()], 5));
        balanced(&update_promotion(1, &promotion, 5));
        balanced(&[codes_sql(1, Some("b")), analytics_sql(Some(1)), automatic_sql(), promotion_sql(1), order_redemptions_sql("o")]);
    }

    #[test]
    fn a_code_claim_gates_the_promotion_claim_and_the_redemption_needs_both() {
        let buyer = Buyer { email: "a@b.vn", phone: "+84", account: None };
        let batch = claim_batch("o", &pricing(), &[1], &buyer, 5);
        let texts: Vec<&str> = batch.iter().map(|s| s.text.as_str()).collect();
        let code = texts.iter().position(|t| t.starts_with("UPDATE promotion_codes")).unwrap();
        assert!(texts[code].contains("used < max_uses"));
        assert!(texts[code + 1].starts_with("UPDATE promotions") && texts[code + 1].contains("changes() = 1") && texts[code + 1].contains("used_count < usage_limit"));
        assert!(texts[code + 2].starts_with("INSERT INTO promotion_redemptions") && texts[code + 2].contains("CASE WHEN changes() = 1"));
        // The automatic promotion (no code) claims without a code gate.
        let auto = texts.iter().rposition(|t| t.starts_with("UPDATE promotions")).unwrap();
        assert!(!texts[auto].contains("changes() = 1"));
        assert!(texts.iter().any(|t| t.starts_with("UPDATE order_lines SET discount")));
    }

    #[test]
    fn usage_goes_back_before_the_order_flips() {
        let mut batch = crate::app::stock::cancel_unpaid_order("o", 10, "shopper", "");
        let flip = batch.iter().rposition(|s| s.text.starts_with("UPDATE orders")).unwrap();
        let released = batch.iter().position(|s| s.text.starts_with("UPDATE promotion_redemptions")).unwrap();
        assert!(released < flip);
        before_flip(&mut batch, vec![Sql::new("SELECT 1")]);
        assert_eq!(batch[batch.iter().rposition(|s| s.text.starts_with("UPDATE orders")).unwrap() - 1].text, "SELECT 1");
    }

    #[test]
    fn owner_input_becomes_a_promotion_or_field_errors() {
        let input: PromotionInput = serde_json::from_str(
            r#"{"name_vi":"Giảm 20%","name_en":"20% off","benefit":{"type":"percent_off","percent":20},
                "target":{"type":"categories","ids":[1]},"starts_at":"2026-11-28T00:00","ends_at":"2026-11-30T00:00","codes":["weekend20"]}"#,
        )
        .unwrap();
        let (p, codes) = validate_input(&input).unwrap();
        assert_eq!(p.class(), Class::Product);
        assert_eq!(p.conditions.starts_at, Some(1_795_798_800));
        assert_eq!(codes[0].as_str(), "WEEKEND20");
        let row = PromotionRow {
            id: 3,
            name_vi: p.name_vi.clone(),
            name_en: p.name_en.clone(),
            automatic: 0,
            status: PromotionStatus::Active,
            rule: rule_json(&p),
            priority: 0,
            combinable: 0,
            starts_at: p.conditions.starts_at,
            ends_at: p.conditions.ends_at,
            usage_limit: None,
            per_customer_limit: None,
            used_count: 0,
        };
        assert_eq!(row.promotion().unwrap(), Promotion { id: 3, ..p });
        let bad: PromotionInput = serde_json::from_str(r#"{"name_vi":"","name_en":"x","benefit":{"type":"percent_off","percent":0},"starts_at":"soon"}"#).unwrap();
        let fields: Vec<&str> = validate_input(&bad).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["starts_at", "name_vi", "benefit"]);
    }

    #[test]
    fn codes_export_as_csv() {
        let rows = [CodeRow { code: "BF-ABCD2345".into(), promotion_id: 1, max_uses: Some(1), used: 0 }];
        assert_eq!(codes_csv(&rows), "code,max_uses,used\r\nBF-ABCD2345,1,0\r\n");
    }

    #[test]
    fn the_cart_view_carries_each_lines_discount() {
        let p = pricing();
        let applied: &Applied = &p.applied[0];
        assert_eq!(applied.amount, Vnd::new(20));
        let mut view = crate::app::cart::view("c", &crate::domain::cart::Cart::default(), &[], 900, Vec::new());
        decorate(&mut view, &["SALE10".into()], &[("standard", p)]);
        assert_eq!(view.discounts.items_total, Vnd::new(180));
        assert_eq!(view.discounts.shipping[0].discount, Vnd::new(30));
    }
}
