//! The admin panel's promotion form, read into the same [`PromotionInput`] the JSON endpoints take,
//! so one validation (`validate_input`) decides for both. Only the shape is checked here (numbers
//! are numbers, lists are lists of ids); the rules are checked there.

use serde_json::{json, Map, Value};

use super::promotions::PromotionInput;
use crate::domain::listing::{FieldError, Problem};

/// The benefit types the form offers, by their wire names.
pub const BENEFITS: [&str; 7] = ["percent_off", "amount_off", "free_shipping", "buy_x_get_y", "tiered_spend", "bundle_price", "gift"];
/// The target types the form offers.
pub const TARGETS: [&str; 5] = ["order", "categories", "collections", "products", "variants"];

/// Reads the submitted form. Every problem is reported at once, by field name.
pub fn read(form: &[(String, String)]) -> Result<PromotionInput, Vec<FieldError>> {
    let get = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim()).unwrap_or("");
    let checked = |k: &str| matches!(get(k), "on" | "1" | "true" | "yes");
    let mut errors = Vec::new();
    let number = |field: &'static str, required: bool, errors: &mut Vec<FieldError>| num(field, get(field), required, errors);
    let benefit_type = get("benefit");
    let benefit = match benefit_type {
        "percent_off" => number("percent", true, &mut errors).map(|p| json!({"type": "percent_off", "percent": p.min(255)})),
        "amount_off" => number("amount", true, &mut errors).map(|a| json!({"type": "amount_off", "amount": a})),
        "free_shipping" => Some(json!({"type": "free_shipping", "max_discount": number("max_discount", false, &mut errors)})),
        "buy_x_get_y" => {
            let (buy, get_n, percent) = (number("buy", true, &mut errors), number("get", true, &mut errors), number("percent", false, &mut errors));
            buy.zip(get_n).map(|(b, g)| json!({"type": "buy_x_get_y", "buy": b, "get": g, "percent": percent.unwrap_or(100).min(255)}))
        }
        "tiered_spend" => tiers(get("tiers"), &mut errors).map(|t| json!({"type": "tiered_spend", "tiers": t})),
        "bundle_price" => {
            let products = ids("bundle_products", get("bundle_products"), &mut errors);
            number("price", true, &mut errors).zip(products).map(|(price, products)| json!({"type": "bundle_price", "products": products, "price": price}))
        }
        "gift" => number("variant_id", true, &mut errors)
            .zip(number("gift_min_subtotal", true, &mut errors))
            .map(|(variant_id, min)| json!({"type": "gift", "variant_id": variant_id, "min_subtotal": min})),
        _ => {
            errors.push(FieldError { field: "benefit", problem: Problem::UnknownChoice });
            None
        }
    };
    let target = match get("target") {
        "" | "order" => Some(json!({"type": "order"})),
        t if TARGETS.contains(&t) => ids("target_ids", get("target_ids"), &mut errors).map(|list| json!({"type": t, "ids": list})),
        _ => {
            errors.push(FieldError { field: "target", problem: Problem::UnknownChoice });
            None
        }
    };
    let excluded = ids("exclude_products", get("exclude_products"), &mut errors).unwrap_or_default();
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
    input.insert("exclusions".into(), json!({"products": excluded, "on_sale": checked("exclude_on_sale")}));
    input.insert("min_subtotal".into(), json!(min_subtotal));
    input.insert("min_quantity".into(), json!(min_quantity));
    input.insert("first_order_only".into(), json!(checked("first_order_only")));
    let eligibility = if checked("signed_in_only") { json!({"type": "signed_in"}) } else { json!({"type": "anyone"}) };
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

/// `1, 2 3` → [1, 2, 3]; an empty field is an empty list.
fn ids(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<Vec<i64>> {
    let parsed: Result<Vec<i64>, _> = raw.split([',', ' ', ';']).filter(|s| !s.is_empty()).map(str::parse::<i64>).collect();
    match parsed {
        Ok(list) => Some(list),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::promotions::validate_input;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

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
            ("target_ids", "3, 4"),
            ("exclude_on_sale", "on"),
            ("min_subtotal", "500.000"),
            ("starts_at", "2026-12-01T00:00"),
            ("ends_at", "2026-12-08T00:00"),
            ("usage_limit", "100"),
            ("combinable", "on"),
        ]))
        .unwrap();
        assert!(!input.automatic && input.combinable && input.active);
        assert_eq!(input.min_subtotal, Some(crate::domain::money::Vnd::new(500_000)));
        assert_eq!(input.codes, vec!["LEN20", "len-vip"]);
        let (promotion, codes) = validate_input(&input).unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(promotion.conditions.starts_at, Some(1_796_058_000));
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
        assert_eq!(fields(&[("benefit", "amount_off"), ("amount", "5"), ("target", "products"), ("target_ids", "1,x")]), vec!["target_ids"]);
        assert_eq!(fields(&[("benefit", "tiered_spend"), ("tiers", "lots")]), vec!["tiers"]);
        assert_eq!(fields(&[("benefit", "gift"), ("variant_id", "7")]), vec!["gift_min_subtotal"]);
    }

    #[test]
    fn rule_errors_come_from_the_shared_validation() {
        let input = read(&form(&[("name_vi", ""), ("name_en", "x"), ("benefit", "percent_off"), ("percent", "0")])).unwrap();
        let fields: Vec<&str> = validate_input(&input).unwrap_err().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"name_vi"), "{fields:?}");
    }
}
