//! The admin panel's promotion form, read into the same [`PromotionInput`] the JSON endpoints take,
//! so one validation (`validate_input`) decides for both, for creating and for editing. Only the
//! shape is checked here (numbers are numbers, picked ids are ids); the rules are checked there.
//!
//! The form has one fieldset per offer type and per target type. Only the chosen type's fields are
//! read: with JavaScript the other fieldsets are disabled (not sent), without it they are sent and
//! ignored here, so a half-filled fieldset of another type never makes an error. Targets, bundle
//! products and excluded products are ticked by name (`target_products=3&target_products=8`); the
//! gift is a variant picked from a list. Editing turns a stored promotion back into the same pairs
//! ([`to_form`]), works out which codes to add or remove ([`code_changes`]) and audits a summary of
//! what changed ([`changed`]).

use serde_json::{json, Map, Value};

use super::promotions::{CodeRow, PromotionInput, PromotionRow, Rule};
use crate::domain::listing::{FieldError, Problem};
use crate::domain::promotions::{Benefit, CouponCode, Eligibility, Promotion, Target};
use super::admin::{audit_sql, Actor};
use super::sql::Sql;

/// The benefit types the form offers, by their wire names.
pub const BENEFITS: [&str; 7] = ["percent_off", "amount_off", "free_shipping", "buy_x_get_y", "tiered_spend", "bundle_price", "gift"];
/// The target types a promotion can have. The form offers the first four; `variants` (set through
/// the JSON endpoints) is kept when such a promotion is edited.
pub const TARGETS: [&str; 5] = ["order", "categories", "collections", "products", "variants"];

/// The form field holding the picked ids of a target type.
pub fn target_field(target: &str) -> Option<&'static str> {
    match target {
        "categories" => Some("target_categories"),
        "collections" => Some("target_collections"),
        "products" => Some("target_products"),
        "variants" => Some("target_variants"),
        _ => None,
    }
}

/// Reads the submitted form. Every problem is reported at once, by field name.
pub fn read(form: &[(String, String)]) -> Result<PromotionInput, Vec<FieldError>> {
    let get = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim()).unwrap_or("");
    let all = |k: &str| form.iter().filter(|(key, _)| key == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect::<Vec<&str>>();
    let checked = |k: &str| matches!(get(k), "on" | "1" | "true" | "yes");
    let mut errors = Vec::new();
    let number = |field: &'static str, required: bool, errors: &mut Vec<FieldError>| num(field, get(field), required, errors);
    // Only the chosen type's fields are read: the other fieldsets may be sent (no JavaScript) and
    // hold anything.
    let benefit = match get("benefit") {
        "percent_off" => number("percent", true, &mut errors).map(|p| json!({"type": "percent_off", "percent": p.min(255)})),
        "amount_off" => number("amount", true, &mut errors).map(|a| json!({"type": "amount_off", "amount": a})),
        "free_shipping" => Some(json!({"type": "free_shipping", "max_discount": number("max_discount", false, &mut errors)})),
        "buy_x_get_y" => {
            let (buy, get_n, percent) = (number("buy", true, &mut errors), number("get", true, &mut errors), number("get_percent", false, &mut errors));
            buy.zip(get_n).map(|(b, g)| json!({"type": "buy_x_get_y", "buy": b.min(u32::MAX.into()), "get": g.min(u32::MAX.into()), "percent": percent.unwrap_or(100).min(255)}))
        }
        "tiered_spend" => tiers(get("tiers"), &mut errors).map(|t| json!({"type": "tiered_spend", "tiers": t})),
        "bundle_price" => {
            let products = ids("bundle_products", &all("bundle_products"), &mut errors);
            number("price", true, &mut errors).zip(products).map(|(price, products)| json!({"type": "bundle_price", "products": products, "price": price}))
        }
        "gift" => number("variant_id", true, &mut errors)
            .zip(number("gift_min_subtotal", true, &mut errors))
            .map(|(variant_id, min)| json!({"type": "gift", "variant_id": variant_id, "min_subtotal": min})),
        "" => {
            errors.push(FieldError { field: "benefit", problem: Problem::Required });
            None
        }
        _ => {
            errors.push(FieldError { field: "benefit", problem: Problem::UnknownChoice });
            None
        }
    };
    let target = match get("target") {
        "" | "order" => Some(json!({"type": "order"})),
        t => match target_field(t) {
            Some(field) => match ids(field, &all(field), &mut errors) {
                Some(list) if list.is_empty() => {
                    errors.push(FieldError { field, problem: Problem::Required });
                    None
                }
                Some(list) => Some(json!({"type": t, "ids": list})),
                None => None,
            },
            None => {
                errors.push(FieldError { field: "target", problem: Problem::UnknownChoice });
                None
            }
        },
    };
    let excluded = ids("exclude_products", &all("exclude_products"), &mut errors).unwrap_or_default();
    let excluded_variants = ids("exclude_variants", &all("exclude_variants"), &mut errors).unwrap_or_default();
    let (min_subtotal, min_quantity, usage_limit, per_customer_limit) = (
        number("min_subtotal", false, &mut errors),
        number("min_quantity", false, &mut errors),
        number("usage_limit", false, &mut errors),
        number("per_customer_limit", false, &mut errors),
    );
    let priority = number("priority", false, &mut errors).unwrap_or(0);
    let automatic = get("kind") == "automatic";
    let codes: Vec<String> = get("codes").split([',', ' ', '\n', '\r', ';']).filter(|c| !c.is_empty()).map(str::to_string).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut input = Map::new();
    input.insert("name_vi".into(), json!(get("name_vi")));
    input.insert("name_en".into(), json!(get("name_en")));
    input.insert("automatic".into(), json!(automatic));
    input.insert("active".into(), json!(!checked("inactive")));
    input.insert("benefit".into(), benefit.unwrap_or(Value::Null));
    input.insert("target".into(), target.unwrap_or_else(|| json!({"type": "order"})));
    input.insert("exclusions".into(), json!({"products": excluded, "variants": excluded_variants, "on_sale": checked("exclude_on_sale")}));
    input.insert("min_subtotal".into(), json!(min_subtotal));
    input.insert("min_quantity".into(), json!(min_quantity));
    input.insert("first_order_only".into(), json!(checked("first_order_only")));
    // A list of customers is set through the JSON endpoints; the form carries it back unchanged.
    let customers = all("eligible_customers");
    let eligibility = if !customers.is_empty() {
        json!({"type": "customers", "keys": customers})
    } else if checked("signed_in_only") {
        json!({"type": "signed_in"})
    } else {
        json!({"type": "anyone"})
    };
    input.insert("eligibility".into(), eligibility);
    input.insert("starts_at".into(), json!(Some(get("starts_at")).filter(|s| !s.is_empty())));
    input.insert("ends_at".into(), json!(Some(get("ends_at")).filter(|s| !s.is_empty())));
    input.insert("priority".into(), json!(priority));
    input.insert("combinable".into(), json!(checked("combinable")));
    input.insert("usage_limit".into(), json!(usage_limit));
    input.insert("per_customer_limit".into(), json!(per_customer_limit));
    input.insert("codes".into(), json!(if automatic { Vec::new() } else { codes }));
    serde_json::from_value(Value::Object(input)).map_err(|_| vec![FieldError { field: "benefit", problem: Problem::BadValue }])
}

/// Validates the form as the JSON endpoints validate their input (`validate_input`), naming the
/// chosen offer type's own field where the rules refuse its values (a percent of 0 is the
/// `percent` field's problem, not the type select's).
pub fn validate(form: &[(String, String)]) -> Result<(PromotionInput, Promotion, Vec<CouponCode>), Vec<FieldError>> {
    let input = read(form)?;
    match super::promotions::validate_input(&input) {
        Ok((promotion, codes)) => Ok((input, promotion, codes)),
        Err(mut errors) => {
            let chosen = form.iter().find(|(k, _)| k == "benefit").map_or("", |(_, v)| v.trim());
            let field = match chosen {
                "percent_off" => "percent",
                "amount_off" => "amount",
                "free_shipping" => "max_discount",
                "buy_x_get_y" => "buy",
                "tiered_spend" => "tiers",
                "bundle_price" => "bundle_products",
                "gift" => "gift_min_subtotal",
                _ => "benefit",
            };
            for e in errors.iter_mut().filter(|e| e.field == "benefit" && e.problem == Problem::BadValue) {
                e.field = field;
            }
            Err(errors)
        }
    }
}

/// A whole, non-negative number; thousands separators and `₫` are allowed (`1.250.000 ₫`).
fn num(field: &'static str, raw: &str, required: bool, errors: &mut Vec<FieldError>) -> Option<i64> {
    let raw: String = raw.chars().filter(|c| !matches!(c, '.' | ',' | ' ' | '₫')).collect();
    if raw.is_empty() {
        if required {
            errors.push(FieldError { field, problem: Problem::Required });
        }
        return None;
    }
    let n = raw.parse::<i64>().ok().filter(|n| *n >= 0);
    if n.is_none() {
        errors.push(FieldError { field, problem: Problem::NotANumber });
    }
    n
}

/// The ticked ids of a field (each value one id; `1, 2` in one value is read too). No ticks is
/// an empty list.
fn ids(field: &'static str, values: &[&str], errors: &mut Vec<FieldError>) -> Option<Vec<i64>> {
    let parsed: Result<Vec<i64>, _> = values.iter().flat_map(|v| v.split([',', ' ', ';'])).filter(|s| !s.is_empty()).map(str::parse::<i64>).collect();
    match parsed {
        Ok(mut list) => {
            list.dedup();
            Some(list)
        }
        Err(_) => {
            errors.push(FieldError { field, problem: Problem::BadValue });
            None
        }
    }
}

/// `1000000:100000, 2000000:250000` → tiers.
fn tiers(raw: &str, errors: &mut Vec<FieldError>) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    for part in raw.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let clean = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>().parse::<i64>().ok();
        match part.split_once(':').and_then(|(a, b)| clean(a).zip(clean(b))) {
            Some((min, amount)) => out.push(json!({"min_subtotal": min, "amount": amount})),
            None => {
                errors.push(FieldError { field: "tiers", problem: Problem::BadValue });
                return None;
            }
        }
    }
    if out.is_empty() {
        errors.push(FieldError { field: "tiers", problem: Problem::Required });
        return None;
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Editing
// ---------------------------------------------------------------------------------------------

/// `2026-12-01T00:00` (Vietnam time), as a `datetime-local` field shows it.
fn local_input(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds + 7 * 3600, 0).map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// A stored promotion as the form's fields, to fill the edit form; `codes` are its shared codes.
pub fn to_form(row: &PromotionRow, codes: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| out.push((k.to_string(), v));
    push("name_vi", row.name_vi.clone());
    push("name_en", row.name_en.clone());
    push("kind", if row.automatic == 1 { "automatic" } else { "code" }.into());
    push("codes", codes.join(", "));
    push("priority", row.priority.to_string());
    if row.combinable == 1 {
        push("combinable", "on".into());
    }
    if !row.status.is_on() {
        push("inactive", "on".into());
    }
    let Some(p) = row.promotion() else { return out };
    match &p.benefit {
        Benefit::PercentOff { percent } => {
            push("benefit", "percent_off".into());
            push("percent", percent.to_string());
        }
        Benefit::AmountOff { amount } => {
            push("benefit", "amount_off".into());
            push("amount", amount.minor().to_string());
        }
        Benefit::FreeShipping { max_discount } => {
            push("benefit", "free_shipping".into());
            push("max_discount", max_discount.map(|m| m.minor().to_string()).unwrap_or_default());
        }
        Benefit::BuyXGetY { buy, get, percent } => {
            push("benefit", "buy_x_get_y".into());
            push("buy", buy.to_string());
            push("get", get.to_string());
            push("get_percent", percent.to_string());
        }
        Benefit::TieredSpend { tiers } => {
            push("benefit", "tiered_spend".into());
            push("tiers", tiers.iter().map(|t| format!("{}:{}", t.min_subtotal.minor(), t.amount.minor())).collect::<Vec<_>>().join(", "));
        }
        Benefit::BundlePrice { products, price } => {
            push("benefit", "bundle_price".into());
            for id in products {
                push("bundle_products", id.to_string());
            }
            push("price", price.minor().to_string());
        }
        // Bundles are edited at /admin/bundles (`routes::admin_promotions` sends them there).
        Benefit::BundlePercent { products, percent } => {
            push("benefit", "bundle_percent".into());
            for id in products {
                push("bundle_products", id.to_string());
            }
            push("percent", percent.to_string());
        }
        Benefit::Gift { variant_id, min_subtotal } => {
            push("benefit", "gift".into());
            push("variant_id", variant_id.to_string());
            push("gift_min_subtotal", min_subtotal.minor().to_string());
        }
    }
    let (kind, list) = match &p.target {
        Target::Order => ("order", &[][..]),
        Target::Categories(ids) => ("categories", &ids[..]),
        Target::Collections(ids) => ("collections", &ids[..]),
        Target::Products(ids) => ("products", &ids[..]),
        Target::Variants(ids) => ("variants", &ids[..]),
    };
    push("target", kind.into());
    if let Some(field) = target_field(kind) {
        for id in list {
            push(field, id.to_string());
        }
    }
    for id in &p.exclusions.products {
        push("exclude_products", id.to_string());
    }
    for id in &p.exclusions.variants {
        push("exclude_variants", id.to_string());
    }
    if p.exclusions.on_sale {
        push("exclude_on_sale", "on".into());
    }
    let c = &p.conditions;
    for (k, t) in [("starts_at", c.starts_at), ("ends_at", c.ends_at)] {
        push(k, t.map(local_input).unwrap_or_default());
    }
    push("min_subtotal", c.min_subtotal.map(|m| m.minor().to_string()).unwrap_or_default());
    push("min_quantity", c.min_quantity.map(|m| m.to_string()).unwrap_or_default());
    if c.first_order_only {
        push("first_order_only", "on".into());
    }
    match &c.eligibility {
        Eligibility::Anyone => {}
        Eligibility::SignedIn => push("signed_in_only", "on".into()),
        Eligibility::Customers(keys) => {
            for k in keys {
                push("eligible_customers", k.clone());
            }
        }
    }
    push("usage_limit", row.usage_limit.map(|m| m.to_string()).unwrap_or_default());
    push("per_customer_limit", row.per_customer_limit.map(|m| m.to_string()).unwrap_or_default());
    out
}

/// The field an edit's code error names when a removed code has been used already.
pub const CODES_IN_USE: &str = "codes_in_use";

/// What an edit does to the promotion's shared codes: the new ones to add, and the ones taken off
/// the list to delete. A code that has been used stays (orders name it): taking it off is refused.
pub fn code_changes(existing: &[CodeRow], wanted: &[CouponCode]) -> Result<(Vec<CouponCode>, Vec<String>), FieldError> {
    let add: Vec<CouponCode> = wanted.iter().filter(|w| !existing.iter().any(|e| e.code == w.as_str())).cloned().collect();
    let removed: Vec<&CodeRow> = existing.iter().filter(|e| !wanted.iter().any(|w| w.as_str() == e.code)).collect();
    if removed.iter().any(|e| e.used > 0) {
        return Err(FieldError { field: CODES_IN_USE, problem: Problem::BadValue });
    }
    Ok((add, removed.into_iter().map(|e| e.code.clone()).collect()))
}

/// An edit, validated: the promotion as it will be stored and what happens to its codes.
#[derive(Debug)]
pub struct Edit {
    pub promotion: Promotion,
    pub add: Vec<CouponCode>,
    pub remove: Vec<String>,
    /// The shared codes after the edit, for the audit summary.
    pub codes: Vec<String>,
}

/// Reads and validates an edit of `row` (whose shared codes are `existing`) exactly as a new
/// promotion is validated. Whether it needs a code or applies by itself stays as it was created.
pub fn prepare_edit(row: &PromotionRow, existing: &[CodeRow], form: &[(String, String)]) -> Result<Edit, Vec<FieldError>> {
    let kind = if row.automatic == 1 { "automatic" } else { "code" };
    let form: Vec<(String, String)> =
        form.iter().filter(|(k, _)| k != "kind").cloned().chain([("kind".to_string(), kind.to_string())]).collect();
    let (_, mut promotion, codes) = validate(&form)?;
    promotion.id = row.id;
    let (add, remove) = code_changes(existing, &codes).map_err(|e| vec![e])?;
    Ok(Edit { promotion, add, remove, codes: codes.iter().map(|c| c.as_str().to_string()).collect() })
}

/// What the audit log keeps of a promotion: its settings and shared codes.
pub fn summary(p: &Promotion, codes: &[String]) -> Value {
    let rule = Rule { benefit: p.benefit.clone(), target: p.target.clone(), exclusions: p.exclusions.clone(), conditions: p.conditions.clone() };
    json!({
        "name_vi": p.name_vi, "name_en": p.name_en, "active": p.active, "benefit": rule.benefit, "target": rule.target,
        "exclusions": rule.exclusions, "conditions": rule.conditions, "priority": p.priority, "combinable": p.combinable,
        "usage_limit": p.usage.limit, "per_customer_limit": p.per_customer_limit, "codes": codes,
    })
}

/// The keys whose values differ, as (before, after) objects holding only those keys.
pub fn changed(before: &Value, after: &Value) -> (Value, Value) {
    let (mut b, mut a) = (Map::new(), Map::new());
    if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
        for (key, new) in after {
            let old = before.get(key).unwrap_or(&Value::Null);
            if old != new {
                b.insert(key.clone(), old.clone());
                a.insert(key.clone(), new.clone());
            }
        }
    }
    (Value::Object(b), Value::Object(a))
}

/// The shared codes of a promotion (not the bulk single-use ones), which the edit form lists.
pub fn shared_codes_sql(promotion_id: i64) -> Sql {
    Sql::new("SELECT code, promotion_id, max_uses, used FROM promotion_codes WHERE promotion_id = ? AND batch IS NULL ORDER BY code").bind(promotion_id)
}

/// The batch of an edit: the promotion's new settings (its uses so far stay), the audit row with
/// what changed (right after the update, which always changes the row), the codes taken off (only
/// if still unused: a code used meanwhile stays) and the new ones. A new code another promotion
/// holds fails the batch on `promotion_codes`' key, and nothing is written. The last statement
/// reads the promotion back.
pub fn edit_batch(before: &PromotionRow, before_codes: &[String], edit: &Edit, actor: &Actor, now: i64) -> Vec<Sql> {
    let mut batch = super::promotions::update_promotion(before.id, &edit.promotion, now);
    let read_back = batch.pop();
    let old = before.promotion().map(|p| summary(&p, before_codes)).unwrap_or(Value::Null);
    let (b, a) = changed(&old, &summary(&edit.promotion, &edit.codes));
    batch.push(audit_sql(actor, "promotion.update", "promotion", &before.id.to_string(), Some(&b), Some(&a), now));
    for code in &edit.remove {
        batch.push(Sql::new("DELETE FROM promotion_codes WHERE code = ? AND promotion_id = ? AND batch IS NULL AND used = 0").bind(code.as_str()).bind(before.id));
    }
    for code in &edit.add {
        batch.push(Sql::new("INSERT INTO promotion_codes (code, promotion_id, max_uses, created_at) VALUES (?, ?, NULL, ?)").bind(code.as_str()).bind(before.id).bind(now));
    }
    batch.extend(read_back);
    batch
}

// ---------------------------------------------------------------------------------------------
// What the pickers offer
// ---------------------------------------------------------------------------------------------

/// A category, collection or product to tick by name.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Choice {
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
    /// A product's status (`draft`, `archived` are marked in the list); empty for the others.
    #[serde(default)]
    pub status: String,
}

/// A variant to pick as the gift, named by its product, colour and size.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct VariantChoice {
    pub id: i64,
    pub sku: String,
    pub size: String,
    pub color_vi: String,
    pub color_en: String,
    pub product_vi: String,
    pub product_en: String,
}

/// Everything the form's pickers list.
#[derive(Clone, Debug, Default)]
pub struct Choices {
    pub categories: Vec<Choice>,
    pub collections: Vec<Choice>,
    pub products: Vec<Choice>,
    pub variants: Vec<VariantChoice>,
}

/// One batch reads what the pickers list: categories in tree order (named with their parents),
/// collections, products and variants by name.
pub fn choices_batch() -> [Sql; 4] {
    [
        Sql::new(
            "SELECT c.id, COALESCE(p.name_vi || ' › ', '') || c.name_vi AS name_vi, COALESCE(p.name_en || ' › ', '') || c.name_en AS name_en, '' AS status \
             FROM categories c LEFT JOIN categories p ON p.id = c.parent_id ORDER BY c.path",
        ),
        Sql::new("SELECT id, name_vi, name_en, '' AS status FROM collections ORDER BY sort_order, id"),
        Sql::new("SELECT id, name_vi, name_en, status FROM products WHERE status != 'archived' ORDER BY name_vi, id"),
        Sql::new(
            "SELECT v.id, v.sku, v.size, COALESCE(c.name_vi, v.color) AS color_vi, COALESCE(c.name_en, v.color) AS color_en, p.name_vi AS product_vi, \
             p.name_en AS product_en FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN colors c ON c.code = v.color \
             LEFT JOIN sizes s ON s.code = v.size WHERE p.status != 'archived' ORDER BY p.name_vi, p.id, c.sort_order, s.sort_order",
        ),
    ]
}

/// The pickers' lists from [`choices_batch`]'s rows.
pub fn choices(rows: &[super::db::Rows]) -> Result<Choices, super::db::DbError> {
    let [categories, collections, products, variants] = rows else { return Ok(Choices::default()) };
    Ok(Choices { categories: categories.decode()?, collections: collections.decode()?, products: products.decode()?, variants: variants.decode()? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::db::Db;
    use crate::app::promotions::{create_promotion, promotion_sql, validate_input};
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::money::Vnd;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Every type's fields filled with something, as a form sent without JavaScript sends them.
    const EVERY_FIELDSET: [(&str, &str); 14] = [
        ("percent", "lots"),
        ("amount", "x"),
        ("max_discount", "-"),
        ("buy", "?"),
        ("get", "?"),
        ("get_percent", "?"),
        ("tiers", "many"),
        ("bundle_products", "a"),
        ("price", "p"),
        ("variant_id", "v"),
        ("gift_min_subtotal", "g"),
        ("target_categories", "c"),
        ("target_collections", "k"),
        ("target_products", "z"),
    ];

    #[test]
    fn a_coupon_with_percent_off_on_categories() {
        let input = read(&form(&[
            ("name_vi", "Giảm 20% áo len"),
            ("name_en", "20% off knitwear"),
            ("kind", "code"),
            ("codes", "LEN20, len-vip"),
            ("benefit", "percent_off"),
            ("percent", "20"),
            ("target", "categories"),
            ("target_categories", "3"),
            ("target_categories", "4"),
            ("exclude_on_sale", "on"),
            ("min_subtotal", "500.000"),
            ("starts_at", "2026-12-01T00:00"),
            ("ends_at", "2026-12-08T00:00"),
            ("usage_limit", "100"),
            ("combinable", "on"),
        ]))
        .unwrap();
        assert!(!input.automatic && input.combinable && input.active);
        assert_eq!(input.min_subtotal, Some(Vnd::new(500_000)));
        assert_eq!(input.codes, vec!["LEN20", "len-vip"]);
        assert_eq!(input.target, Target::Categories(vec![3, 4]));
        let (promotion, codes) = validate_input(&input).unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(promotion.conditions.starts_at, Some(1_796_058_000));
    }

    #[test]
    fn only_the_chosen_offer_types_fields_are_read_whatever_the_others_hold() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Benefit);
        let chosen: [Case; 7] = [
            ("percent_off", &[("percent", "15")], Benefit::PercentOff { percent: 15 }),
            ("amount_off", &[("amount", "50.000")], Benefit::AmountOff { amount: Vnd::new(50_000) }),
            ("free_shipping", &[("max_discount", "")], Benefit::FreeShipping { max_discount: None }),
            ("buy_x_get_y", &[("buy", "2"), ("get", "1"), ("get_percent", "50")], Benefit::BuyXGetY { buy: 2, get: 1, percent: 50 }),
            (
                "tiered_spend",
                &[("tiers", "1.000.000:100.000")],
                Benefit::TieredSpend { tiers: vec![crate::domain::promotions::Tier { min_subtotal: Vnd::new(1_000_000), amount: Vnd::new(100_000) }] },
            ),
            ("bundle_price", &[("bundle_products", "5"), ("bundle_products", "9"), ("price", "700000")], Benefit::BundlePrice { products: vec![5, 9], price: Vnd::new(700_000) }),
            ("gift", &[("variant_id", "42"), ("gift_min_subtotal", "1000000")], Benefit::Gift { variant_id: 42, min_subtotal: Vnd::new(1_000_000) }),
        ];
        for (benefit, fields, expected) in chosen {
            // The chosen type's fields come first, as the form sends its own fieldset's values.
            let mut pairs = vec![("name_vi", "Ưu đãi"), ("name_en", "Offer"), ("benefit", benefit), ("target", "order")];
            pairs.extend_from_slice(fields);
            pairs.extend(EVERY_FIELDSET.iter().filter(|(k, _)| !fields.iter().any(|(f, _)| f == k)));
            let input = read(&form(&pairs)).unwrap_or_else(|e| panic!("{benefit}: {e:?}"));
            assert_eq!(input.benefit, Some(expected), "{benefit}");
            assert_eq!(input.target, Target::Order, "{benefit}: the other targets' ticks are ignored");
        }
    }

    #[test]
    fn targets_are_the_ticked_ids_of_the_chosen_type() {
        let base = [("name_vi", "a"), ("name_en", "a"), ("benefit", "percent_off"), ("percent", "10")];
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            read(&form(&pairs))
        };
        let products = with(&[("target", "products"), ("target_products", "7"), ("target_products", "3"), ("target_categories", "1")]).unwrap();
        assert_eq!(products.target, Target::Products(vec![7, 3]));
        let nothing = with(&[("target", "categories"), ("target_products", "7")]).unwrap_err();
        assert_eq!(nothing.iter().map(|e| (e.field, &e.problem)).collect::<Vec<_>>(), vec![("target_categories", &Problem::Required)]);
        let excluded = with(&[("exclude_products", "4"), ("exclude_products", "6")]).unwrap();
        assert_eq!(excluded.exclusions.products, vec![4, 6]);
    }

    #[test]
    fn an_automatic_tiered_spend() {
        let input = read(&form(&[
            ("name_vi", "Mua nhiều giảm nhiều"),
            ("name_en", "Spend more, save more"),
            ("kind", "automatic"),
            ("codes", "IGNORED"),
            ("benefit", "tiered_spend"),
            ("tiers", "1.000.000:100.000; 2.000.000:250.000"),
        ]))
        .unwrap();
        assert!(input.automatic && input.codes.is_empty());
        assert!(validate_input(&input).is_ok());
    }

    #[test]
    fn shape_errors_name_their_fields() {
        let fields = |pairs: &[(&str, &str)]| read(&form(pairs)).unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(&[("benefit", "percent_off"), ("percent", "abc")]), vec!["percent"]);
        assert_eq!(fields(&[("benefit", "teleport")]), vec!["benefit"]);
        assert_eq!(fields(&[("benefit", "")]), vec!["benefit"]);
        assert_eq!(fields(&[("benefit", "amount_off"), ("amount", "5"), ("target", "products"), ("target_products", "x")]), vec!["target_products"]);
        assert_eq!(fields(&[("benefit", "tiered_spend"), ("tiers", "lots")]), vec!["tiers"]);
        assert_eq!(fields(&[("benefit", "gift"), ("variant_id", "7")]), vec!["gift_min_subtotal"]);
    }

    #[test]
    fn rule_errors_come_from_the_shared_validation() {
        let input = read(&form(&[("name_vi", ""), ("name_en", "x"), ("benefit", "percent_off"), ("percent", "0")])).unwrap();
        let fields: Vec<&str> = validate_input(&input).unwrap_err().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"name_vi"), "{fields:?}");
        let named = |pairs: &[(&str, &str)]| validate(&form(pairs)).unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(named(&[("name_vi", "a"), ("name_en", "a"), ("benefit", "percent_off"), ("percent", "0")]), vec!["percent"]);
        assert_eq!(named(&[("name_vi", "a"), ("name_en", "a"), ("benefit", "bundle_price"), ("bundle_products", "3"), ("price", "1")]), vec!["bundle_products"]);
        assert_eq!(named(&[("name_vi", "a"), ("name_en", "a"), ("benefit", "buy_x_get_y"), ("buy", "0"), ("get", "1")]), vec!["buy"]);
    }

    fn stored(db: &Sqlite, pairs: &[(&str, &str)]) -> PromotionRow {
        let input = read(&form(pairs)).unwrap();
        let (promotion, codes) = validate_input(&input).unwrap();
        let rows = block_on(db.batch(&create_promotion(&promotion, &codes, 100))).unwrap();
        rows.last().unwrap().decode::<PromotionRow>().unwrap().remove(0)
    }

    fn row(db: &Sqlite, id: i64) -> PromotionRow {
        block_on(db.all::<PromotionRow>(&promotion_sql(id))).unwrap().remove(0)
    }

    fn shared(db: &Sqlite, id: i64) -> Vec<CodeRow> {
        block_on(db.all(&shared_codes_sql(id))).unwrap()
    }

    const ACTOR: Actor = Actor { id: "a1", email: "m@vestify.vn", ip: "" };

    #[test]
    fn a_stored_promotion_fills_the_form_it_was_made_from() {
        let db = Sqlite::demo();
        let made: [&[(&str, &str)]; 3] = [
            &[
                ("benefit", "buy_x_get_y"),
                ("buy", "2"),
                ("get", "1"),
                ("get_percent", "50"),
                ("target", "products"),
                ("target_products", "1"),
                ("target_products", "2"),
                ("exclude_products", "3"),
                ("starts_at", "2026-12-01T08:30"),
                ("min_quantity", "2"),
                ("signed_in_only", "on"),
                ("per_customer_limit", "1"),
            ],
            &[("benefit", "bundle_price"), ("bundle_products", "4"), ("bundle_products", "5"), ("price", "900000"), ("inactive", "on"), ("combinable", "on")],
            &[("benefit", "gift"), ("variant_id", "11"), ("gift_min_subtotal", "1500000"), ("target", "categories"), ("target_categories", "2"), ("first_order_only", "on")],
        ];
        for extra in made {
            let mut pairs = vec![("name_vi", "Ưu đãi"), ("name_en", "Offer"), ("kind", "code"), ("codes", "")];
            pairs.extend_from_slice(extra);
            let row = stored(&db, &pairs);
            let again = read(&to_form(&row, &[])).unwrap();
            let (promotion, _) = validate_input(&again).unwrap();
            assert_eq!(Promotion { id: row.id, usage: row.promotion().unwrap().usage, ..promotion }, row.promotion().unwrap(), "{extra:?}");
        }
    }

    #[test]
    fn an_edit_is_validated_like_a_new_promotion_stored_and_audited_with_what_changed() {
        let db = Sqlite::demo();
        let before = stored(&db, &[("name_vi", "Giảm 10%"), ("name_en", "10% off"), ("kind", "code"), ("codes", "EDIT10 KEEP10"), ("benefit", "percent_off"), ("percent", "10")]);
        let existing = shared(&db, before.id);
        let mut pairs = to_form(&before, &["EDIT10".into(), "KEEP10".into()]);
        let set = |pairs: &mut Vec<(String, String)>, k: &str, v: &str| {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k.into(), v.into()));
        };
        // The same rules as creating: a percent of 0 is refused, and nothing is written.
        set(&mut pairs, "percent", "0");
        let refused = prepare_edit(&before, &existing, &pairs).unwrap_err();
        assert_eq!(refused.iter().map(|e| e.field).collect::<Vec<_>>(), vec!["percent"], "named by the type's own field");
        set(&mut pairs, "percent", "25");
        set(&mut pairs, "codes", "KEEP10, NEW25");
        set(&mut pairs, "kind", "automatic");
        let edit = prepare_edit(&before, &existing, &pairs).unwrap();
        assert!(!edit.promotion.automatic, "the kind stays as created");
        assert_eq!((edit.add.iter().map(|c| c.as_str()).collect::<Vec<_>>(), edit.remove.clone()), (vec!["NEW25"], vec!["EDIT10".to_string()]));
        let rows = block_on(db.batch(&edit_batch(&before, &["EDIT10".into(), "KEEP10".into()], &edit, &ACTOR, 200))).unwrap();
        let after: PromotionRow = rows.last().unwrap().decode::<PromotionRow>().unwrap().remove(0);
        assert_eq!(after.promotion().unwrap().benefit, Benefit::PercentOff { percent: 25 });
        assert_eq!(shared(&db, before.id).iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec!["KEEP10", "NEW25"]);
        let audit = db.text(&format!("SELECT before || ' → ' || after FROM audit_log WHERE action = 'promotion.update' AND entity_id = '{}'", before.id));
        assert_eq!(audit, r#"{"benefit":{"percent":10,"type":"percent_off"},"codes":["EDIT10","KEEP10"]} → {"benefit":{"percent":25,"type":"percent_off"},"codes":["KEEP10","NEW25"]}"#);
    }

    #[test]
    fn a_used_code_cannot_be_taken_off_and_a_code_of_another_promotion_writes_nothing() {
        let db = Sqlite::demo();
        let other = stored(&db, &[("name_vi", "Khác"), ("name_en", "Other"), ("codes", "TAKEN"), ("benefit", "amount_off"), ("amount", "10000")]);
        let promo = stored(&db, &[("name_vi", "Giảm"), ("name_en", "Off"), ("codes", "USED1"), ("benefit", "amount_off"), ("amount", "20000")]);
        db.exec("UPDATE promotion_codes SET used = 1 WHERE code = 'USED1'");
        let mut pairs = to_form(&promo, &["USED1".into()]);
        pairs.retain(|(k, _)| k != "codes");
        pairs.push(("codes".into(), "OTHER2".into()));
        let refused = prepare_edit(&promo, &shared(&db, promo.id), &pairs).unwrap_err();
        assert_eq!(refused[0].field, CODES_IN_USE);
        pairs.retain(|(k, _)| k != "codes");
        pairs.push(("codes".into(), "USED1 TAKEN".into()));
        pairs.retain(|(k, _)| k != "amount");
        pairs.push(("amount".into(), "30000".into()));
        let edit = prepare_edit(&promo, &shared(&db, promo.id), &pairs).unwrap();
        let failed = block_on(db.batch(&edit_batch(&promo, &["USED1".into()], &edit, &ACTOR, 300)));
        assert!(failed.is_err_and(|e| e.is_unique("promotion_codes", "")));
        assert_eq!(row(&db, promo.id).promotion().unwrap().benefit, Benefit::AmountOff { amount: Vnd::new(20_000) }, "the batch rolled back");
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM audit_log WHERE entity_id = '{}'", promo.id)), 0);
        assert_eq!(shared(&db, other.id).len(), 1);
    }

    /// Orders keep what they were charged: an order's discount, lines and redemption are a snapshot,
    /// so editing (or switching off) the promotion it used changes nothing on it, while a new cart
    /// gets the new terms.
    #[test]
    fn editing_a_used_promotion_leaves_its_past_orders_as_they_were() {
        use crate::app::cart::fixtures::{request, Shop, NOW};
        use crate::app::cart::{apply_code, set_quantity};
        use crate::app::checkout::{place_order, Submission};
        use crate::domain::cart::Cart;
        use crate::domain::locale::Locale;

        let shop = Shop::demo();
        let promo = stored(&shop.db, &[("name_vi", "Giảm 10%"), ("name_en", "10% off"), ("codes", "SNAP10"), ("benefit", "percent_off"), ("percent", "10")]);
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(1);
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(&id, NOW), &mut cart, v, 2, true)).unwrap();
        block_on(apply_code(&shop.at(&id, NOW), &mut cart, "SNAP10")).unwrap();
        let submission = Submission { request: request("an@example.vn"), idempotency_key: "k".into(), locale: Locale::Vi, account: None, client_ip: None, expected_total: None, fingerprint: None };
        let placed = block_on(place_order(&shop.at(&id, NOW + 10), &mut cart, &submission)).unwrap();
        let snapshot = |order: &str| {
            shop.db.text(&format!(
                "SELECT o.subtotal || '/' || o.discount || '/' || o.total || '/' || (SELECT group_concat(l.discount || ':' || l.discounts) FROM order_lines l WHERE l.order_id = o.id) \
                 || '/' || (SELECT group_concat(r.name_vi || ':' || r.benefit || ':' || r.amount) FROM promotion_redemptions r WHERE r.order_id = o.id) FROM orders o WHERE o.id = '{order}'"
            ))
        };
        let before = snapshot(&placed.order.id);
        assert!(placed.order.discount.is_positive(), "{before}");

        let mut pairs = to_form(&promo, &["SNAP10".into()]);
        for (k, v) in [("percent", "50"), ("name_vi", "Giảm 50%"), ("name_en", "50% off")] {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k.into(), v.into()));
        }
        let promo = row(&shop.db, promo.id);
        let edit = prepare_edit(&promo, &shared(&shop.db, promo.id), &pairs).unwrap();
        block_on(shop.db.batch(&edit_batch(&promo, &["SNAP10".into()], &edit, &ACTOR, NOW + 20))).unwrap();
        assert_eq!(snapshot(&placed.order.id), before, "the past order is unchanged");
        assert_eq!(row(&shop.db, promo.id).used_count, 1, "its use still counts");

        let later = Shop::cart_id(2);
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(&later, NOW + 30), &mut cart, v, 2, true)).unwrap();
        let view = block_on(apply_code(&shop.at(&later, NOW + 30), &mut cart, "SNAP10")).unwrap();
        assert_eq!(view.discounts.items_discount, placed.order.discount.checked_mul(5).unwrap(), "a new cart gets the edited 50 %");
    }
}
