//! Cart rules: the cart's id, limits, line changes as reservation deltas, codes, what the alarm
//! finds due, and the token that proves a cart is yours.
//!
//! The cart itself lives in a Durable Object; stock truth lives in D1. A line remembers how many
//! units its hold covers, so every change is a delta the D1 conditional write can accept or refuse.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::catalog::{ProductStatus, VariantStatus};
use super::signature::{hmac_hex, verify_hex};

pub const MAX_PER_VARIANT: i64 = 10;
pub const MAX_LINES: usize = 50;
/// Codes one cart may carry at once.
pub const MAX_CODES: usize = 5;
/// The largest id a client may name. Ids cross into JavaScript (D1's parameters, the cart object's
/// calls) as numbers, exact only up to 2^53 − 1: a larger one could stand for another row.
pub const MAX_CLIENT_ID: i64 = (1 << 53) - 1;

/// An id a client sent (a path segment, a form or JSON field), if the shop could have issued it.
pub fn client_id(n: i64) -> Option<i64> {
    (1..=MAX_CLIENT_ID).contains(&n).then_some(n)
}

/// A cart's id: 32 lowercase hex digits (128 random bits). Parsed once where it enters (cookie,
/// path, account row), so everything past the edge holds a well-formed id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CartId(String);

impl CartId {
    pub fn parse(s: &str) -> Option<CartId> {
        is_cart_id(s).then(|| CartId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CartId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<CartId, Self::Error> {
        if is_cart_id(&s) { Ok(CartId(s)) } else { Err("not a cart id") }
    }
}

impl From<CartId> for String {
    fn from(id: CartId) -> String {
        id.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub variant_id: i64,
    /// What the shopper asked for.
    pub quantity: i64,
    /// The D1 hold backing this line, while it holds stock.
    pub hold_id: Option<String>,
    /// Units the hold covers (0 once released or never taken).
    pub held: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    /// Unix seconds of the last change or view; holds expire a hold period after it.
    pub touched_at: i64,
    /// Orders created from this cart that are still waiting for payment: (order id, expires at).
    #[serde(default)]
    pub pending_orders: Vec<(String, i64)>,
    /// Coupon codes the shopper entered (normalised), kept until removed or the order is placed.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Guest carts already merged into this one (newest last), so a repeated sign-in merges once.
    #[serde(default)]
    pub absorbed: Vec<String>,
    /// The `Idempotency-Key`s of the API's writes that succeeded on this cart (newest last), each
    /// with its operation (`"items:{key}"`, `"checkout:{key}"`) and the fingerprint of the request
    /// it came with: the same key again is a replay, with another request a refusal.
    #[serde(default)]
    pub keys: Vec<(String, String)>,
}

/// How many merged guest carts a cart remembers.
const ABSORBED_KEPT: usize = 20;
/// How many idempotency keys a cart remembers.
const KEYS_KEPT: usize = 50;

/// What an idempotency key says about a request (`Cart::seen`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    /// Never used on this cart: run the request.
    New,
    /// Used with the same request: answer as the first time, without doing it again.
    Replay,
    /// Used with another request: refused (`idempotency_key_reused`).
    Reused,
}

/// What a guest cart hands over when its shopper signs in: the quantities asked for and the codes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// (variant id, quantity)
    pub lines: Vec<(i64, i64)>,
    pub codes: Vec<String>,
}

/// Why a line change cannot be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    QuantityOutOfRange,
    TooManyLines,
    NoSuchLine,
}

/// How a requested quantity maps onto the line's hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldChange {
    /// Take `quantity` units under a new hold.
    Create { quantity: i64 },
    /// Add or return units on the existing hold (positive takes, negative gives back).
    Adjust { delta: i64 },
    /// Give the whole hold back.
    Release,
    Nothing,
}

impl Cart {
    /// Whether `key` (with its operation, `"items:{key}"`) was used on this cart, and with the
    /// request whose fingerprint is `fingerprint`.
    pub fn seen(&self, key: &str, fingerprint: &str) -> KeyUse {
        match self.keys.iter().find(|(k, _)| k == key) {
            None => KeyUse::New,
            Some((_, f)) if f == fingerprint => KeyUse::Replay,
            Some(_) => KeyUse::Reused,
        }
    }

    /// Remembers a key after its request succeeded (the oldest is forgotten past `KEYS_KEPT`).
    pub fn remember_key(&mut self, key: &str, fingerprint: &str) {
        if self.keys.iter().any(|(k, _)| k == key) {
            return;
        }
        self.keys.push((key.to_string(), fingerprint.to_string()));
        if self.keys.len() > KEYS_KEPT {
            self.keys.remove(0);
        }
    }

    pub fn line(&self, variant_id: i64) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.variant_id == variant_id)
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    pub fn variant_ids(&self) -> Vec<i64> {
        self.lines.iter().map(|l| l.variant_id).collect()
    }

    /// Whether any line holds stock.
    pub fn holds_stock(&self) -> bool {
        self.lines.iter().any(|l| l.held > 0)
    }

    /// Forgets every line's hold (after the holds were given back in D1).
    pub fn drop_holds(&mut self) {
        for line in &mut self.lines {
            line.hold_id = None;
            line.held = 0;
        }
    }

    /// Adds a normalised code. `Ok(false)` when it is there already; refused past `MAX_CODES`.
    pub fn add_code(&mut self, code: &str) -> Result<bool, TooManyCodes> {
        if self.codes.iter().any(|c| c == code) {
            return Ok(false);
        }
        if self.codes.len() >= MAX_CODES {
            return Err(TooManyCodes);
        }
        self.codes.push(code.to_string());
        Ok(true)
    }

    /// Removes a normalised code; false when the cart did not have it.
    pub fn remove_code(&mut self, code: &str) -> bool {
        let before = self.codes.len();
        self.codes.retain(|c| c != code);
        self.codes.len() != before
    }

    /// Empties the lines and codes (after a merge); pending orders stay.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.codes.clear();
    }

    /// The cart became an order: it empties, and remembers the order until it is paid or expires.
    pub fn ordered(&mut self, order_id: &str, expires_at: i64, now: i64) {
        self.clear();
        self.pending_orders.push((order_id.to_string(), expires_at));
        self.touched_at = now;
    }

    /// Plans setting a line to `quantity` (0 removes it). `add` is relative to what is in the cart.
    pub fn plan(&self, variant_id: i64, quantity: i64) -> Result<HoldChange, PlanError> {
        if !(0..=MAX_PER_VARIANT).contains(&quantity) {
            return Err(PlanError::QuantityOutOfRange);
        }
        match self.line(variant_id) {
            None if quantity == 0 => Err(PlanError::NoSuchLine),
            None if self.lines.len() >= MAX_LINES => Err(PlanError::TooManyLines),
            None => Ok(HoldChange::Create { quantity }),
            Some(line) => Ok(match (&line.hold_id, quantity) {
                (Some(_), 0) if line.held > 0 => HoldChange::Release,
                (_, 0) => HoldChange::Nothing,
                (Some(_), q) if line.held > 0 && q != line.held => HoldChange::Adjust { delta: q - line.held },
                (Some(_), _) if line.held > 0 => HoldChange::Nothing,
                (_, q) => HoldChange::Create { quantity: q },
            }),
        }
    }

    /// Records the outcome of a hold change: the line now wants `quantity` and holds `held` units.
    pub fn apply(&mut self, variant_id: i64, quantity: i64, hold_id: Option<String>, held: i64) {
        if quantity == 0 {
            self.lines.retain(|l| l.variant_id != variant_id);
            return;
        }
        match self.lines.iter_mut().find(|l| l.variant_id == variant_id) {
            Some(line) => {
                line.quantity = quantity;
                line.hold_id = hold_id;
                line.held = held;
            }
            None => self.lines.push(CartLine { variant_id, quantity, hold_id, held }),
        }
    }

    /// The guest cart's contents as they are now, for merging elsewhere.
    pub fn handover(&self) -> Handover {
        Handover { lines: self.lines.iter().map(|l| (l.variant_id, l.quantity)).collect(), codes: self.codes.clone() }
    }

    /// Merges a guest cart into this one, once per `source`: quantities of the same variant add up
    /// (capped at the per-variant limit), new variants join while there is room, codes join up to
    /// `max_codes`. Holds are not touched: lines now asking for more than they hold are topped up by
    /// the cart's usual re-hold. Returns false when `source` was merged before.
    pub fn absorb(&mut self, source: &str, handover: &Handover, max_codes: usize) -> bool {
        if self.absorbed.iter().any(|s| s == source) {
            return false;
        }
        for &(variant_id, quantity) in &handover.lines {
            let quantity = quantity.clamp(0, MAX_PER_VARIANT);
            if quantity == 0 {
                continue;
            }
            let room = self.lines.len() < MAX_LINES;
            match self.lines.iter_mut().find(|l| l.variant_id == variant_id) {
                Some(line) => line.quantity = (line.quantity + quantity).min(MAX_PER_VARIANT),
                None if room => self.lines.push(CartLine { variant_id, quantity, hold_id: None, held: 0 }),
                None => {}
            }
        }
        for code in &handover.codes {
            if self.codes.len() < max_codes && !self.codes.contains(code) {
                self.codes.push(code.clone());
            }
        }
        self.absorbed.push(source.to_string());
        if self.absorbed.len() > ABSORBED_KEPT {
            self.absorbed.remove(0);
        }
        true
    }

    /// When holds taken now run out.
    pub fn hold_deadline(&self, hold_seconds: i64) -> i64 {
        self.touched_at + hold_seconds
    }

    /// Whether the holds have run out without activity and must go back.
    pub fn holds_due(&self, hold_seconds: i64, now: i64) -> bool {
        self.holds_stock() && now >= self.hold_deadline(hold_seconds)
    }

    /// Takes the pending orders whose time is up (the alarm expires them); the rest stay.
    pub fn take_due_orders(&mut self, now: i64) -> Vec<String> {
        let (due, later): (Vec<_>, Vec<_>) = self.pending_orders.drain(..).partition(|(_, at)| *at <= now);
        self.pending_orders = later;
        due.into_iter().map(|(id, _)| id).collect()
    }

    /// The next moment the cart's alarm must run: hold expiry while it holds stock, or the earliest
    /// pending order's expiry.
    pub fn next_alarm(&self, hold_seconds: i64) -> Option<i64> {
        let holds = self.holds_stock().then(|| self.hold_deadline(hold_seconds));
        let orders = self.pending_orders.iter().map(|(_, at)| *at).min();
        match (holds, orders) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A cart holds `MAX_CODES` codes already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyCodes;

/// The token that proves a cart belongs to its holder: an HMAC of the cart id under the shop's
/// secret, so it needs no storage and cannot be guessed from the id.
pub fn cart_token(secret: &[u8], cart_id: &CartId) -> String {
    hmac_hex(secret, format!("cart:{cart_id}").as_bytes())
}

pub fn verify_cart_token(secret: &[u8], cart_id: &CartId, token: &str) -> bool {
    verify_hex(secret, format!("cart:{cart_id}").as_bytes(), token)
}

/// The guest's key to an order page: an HMAC of the order id, so a repeated checkout submission can
/// be answered with the same link without storing the token itself.
pub fn order_access_token(secret: &[u8], order_id: &str) -> String {
    hmac_hex(secret, format!("order:{order_id}").as_bytes())
}

pub fn verify_order_access_token(secret: &[u8], order_id: &str, token: &str) -> bool {
    verify_hex(secret, format!("order:{order_id}").as_bytes(), token)
}

/// Whether a cart may hold a variant: the variant (`variants.status`) and its product
/// (`products.status`) are both on sale.
pub fn is_sellable(variant_status: VariantStatus, product_status: ProductStatus) -> bool {
    variant_status == VariantStatus::Active && product_status.is_on_sale()
}

/// Cart ids are 32 lowercase hex digits (128 random bits).
pub fn is_cart_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The cookie value `{id}.{token}` and its parse.
pub fn cookie_value(secret: &[u8], cart_id: &CartId) -> String {
    format!("{cart_id}.{}", cart_token(secret, cart_id))
}

pub fn parse_cookie_value(secret: &[u8], value: &str) -> Option<CartId> {
    let (id, token) = value.split_once('.')?;
    let id = CartId::parse(id)?;
    verify_cart_token(secret, &id, token).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_a_javascript_number_holds_exactly_are_taken_from_a_client() {
        assert_eq!(client_id(1901), Some(1901));
        assert_eq!(client_id(MAX_CLIENT_ID), Some(MAX_CLIENT_ID));
        for n in [0, -1, 1 << 53, (1 << 53) + 1, i64::MAX, i64::MIN] {
            assert_eq!(client_id(n), None, "{n}");
        }
    }

    fn cart_with(variant_id: i64, quantity: i64, held: i64) -> Cart {
        let mut cart = Cart::default();
        cart.apply(variant_id, quantity, Some("h1".into()), held);
        cart
    }

    #[test]
    fn only_an_active_variant_of_an_active_product_is_sellable() {
        assert!(is_sellable(VariantStatus::Active, ProductStatus::Active));
        assert!(!is_sellable(VariantStatus::Inactive, ProductStatus::Active));
        for product in [ProductStatus::Draft, ProductStatus::Archived] {
            assert!(!is_sellable(VariantStatus::Active, product));
        }
    }

    #[test]
    fn a_guest_cart_merges_once_adding_up_quantities_within_the_limits() {
        let mut account = cart_with(7, 6, 6);
        account.codes.push("SALE10".into());
        let guest = Handover { lines: vec![(7, 6), (8, 2), (9, 0)], codes: vec!["SALE10".into(), "SHIP".into()] };
        assert!(account.absorb("g1", &guest, 5));
        assert_eq!(account.line(7).map(|l| (l.quantity, l.held)), Some((MAX_PER_VARIANT, 6)), "capped; the old hold stays and is topped up later");
        assert_eq!(account.line(8).map(|l| (l.quantity, l.held)), Some((2, 0)));
        assert!(account.line(9).is_none());
        assert_eq!(account.codes, vec!["SALE10".to_string(), "SHIP".to_string()]);
        let before = account.clone();
        assert!(!account.absorb("g1", &guest, 5), "the same guest cart twice changes nothing");
        assert_eq!(account, before);
    }

    #[test]
    fn a_merge_respects_line_and_code_limits() {
        let mut account = Cart::default();
        for v in 0..MAX_LINES as i64 {
            account.apply(v, 1, None, 0);
        }
        account.codes = vec!["A".into()];
        let guest = Handover { lines: vec![(0, 2), (999, 1)], codes: vec!["B".into(), "C".into()] };
        assert!(account.absorb("g", &guest, 2));
        assert_eq!(account.lines.len(), MAX_LINES);
        assert_eq!(account.line(0).map(|l| l.quantity), Some(3));
        assert!(account.line(999).is_none());
        assert_eq!(account.codes, vec!["A".to_string(), "B".to_string()]);
        for i in 0..30 {
            account.absorb(&format!("s{i}"), &Handover::default(), 2);
        }
        assert_eq!(account.absorbed.len(), ABSORBED_KEPT);
        assert_eq!(account.absorbed.last().map(String::as_str), Some("s29"));
    }

    #[test]
    fn adding_a_new_variant_creates_a_hold() {
        assert_eq!(Cart::default().plan(7, 2), Ok(HoldChange::Create { quantity: 2 }));
    }

    #[test]
    fn changing_a_held_line_is_a_delta() {
        let cart = cart_with(7, 3, 3);
        assert_eq!(cart.plan(7, 5), Ok(HoldChange::Adjust { delta: 2 }));
        assert_eq!(cart.plan(7, 1), Ok(HoldChange::Adjust { delta: -2 }));
        assert_eq!(cart.plan(7, 3), Ok(HoldChange::Nothing));
        assert_eq!(cart.plan(7, 0), Ok(HoldChange::Release));
    }

    #[test]
    fn a_line_whose_hold_expired_takes_a_new_one() {
        let mut cart = cart_with(7, 3, 3);
        cart.apply(7, 3, None, 0);
        assert_eq!(cart.plan(7, 3), Ok(HoldChange::Create { quantity: 3 }));
        assert_eq!(cart.plan(7, 0), Ok(HoldChange::Nothing));
    }

    #[test]
    fn limits_are_enforced() {
        assert_eq!(Cart::default().plan(1, 11), Err(PlanError::QuantityOutOfRange));
        assert_eq!(Cart::default().plan(1, -1), Err(PlanError::QuantityOutOfRange));
        assert_eq!(Cart::default().plan(1, 0), Err(PlanError::NoSuchLine));
        let mut full = Cart::default();
        for v in 0..MAX_LINES as i64 {
            full.apply(v, 1, None, 0);
        }
        assert_eq!(full.plan(999, 1), Err(PlanError::TooManyLines));
        assert_eq!(full.plan(0, 2), Ok(HoldChange::Create { quantity: 2 }));
    }

    #[test]
    fn the_alarm_follows_the_earliest_deadline() {
        let mut cart = cart_with(7, 1, 1);
        cart.touched_at = 1_000;
        assert_eq!(cart.next_alarm(900), Some(1_900));
        cart.pending_orders.push(("o1".into(), 1_500));
        assert_eq!(cart.next_alarm(900), Some(1_500));
        cart.lines.clear();
        assert_eq!(cart.next_alarm(900), Some(1_500));
        cart.pending_orders.clear();
        assert_eq!(cart.next_alarm(900), None);
    }

    #[test]
    fn tokens_prove_ownership() {
        let id = CartId::parse("0123456789abcdef0123456789abcdef").unwrap();
        let other = CartId::parse("0123456789abcdef0123456789abcdee").unwrap();
        let token = cart_token(b"secret", &id);
        assert!(verify_cart_token(b"secret", &id, &token));
        assert!(!verify_cart_token(b"other", &id, &token));
        assert!(!verify_cart_token(b"secret", &other, &token));
        let cookie = cookie_value(b"secret", &id);
        assert_eq!(parse_cookie_value(b"secret", &cookie), Some(id));
        assert_eq!(parse_cookie_value(b"secret", &cookie.replace('a', "b")), None);
        assert_eq!(parse_cookie_value(b"secret", &format!("../etc.{token}")), None);
    }

    #[test]
    fn a_cart_id_is_32_lowercase_hex_digits_wherever_it_comes_from() {
        assert!(CartId::parse("0123456789abcdef0123456789abcdef").is_some());
        for bad in ["", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "g".repeat(32).as_str(), "../etc"] {
            assert_eq!(CartId::parse(bad), None, "{bad}");
        }
        let id: CartId = serde_json::from_str("\"0123456789abcdef0123456789abcdef\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0123456789abcdef0123456789abcdef\"");
        assert!(serde_json::from_str::<CartId>("\"../etc\"").is_err(), "a call cannot smuggle in a malformed id");
    }

    #[test]
    fn codes_are_kept_once_and_at_most_five() {
        let mut cart = Cart::default();
        for code in ["A1A", "B2B", "C3C", "D4D", "E5E"] {
            assert_eq!(cart.add_code(code), Ok(true));
        }
        assert_eq!(cart.add_code("A1A"), Ok(false), "a code already there is not added twice");
        assert_eq!(cart.add_code("F6F"), Err(TooManyCodes));
        assert!(cart.remove_code("C3C"));
        assert!(!cart.remove_code("C3C"));
        assert_eq!(cart.codes.len(), MAX_CODES - 1);
    }

    #[test]
    fn the_alarm_takes_only_the_orders_that_are_due() {
        let mut cart = cart_with(7, 1, 1);
        cart.touched_at = 1_000;
        cart.pending_orders = vec![("late".into(), 2_000), ("due".into(), 1_500)];
        assert!(!cart.holds_due(900, 1_899));
        assert!(cart.holds_due(900, 1_900));
        assert_eq!(cart.take_due_orders(1_500), vec!["due".to_string()]);
        assert_eq!(cart.pending_orders, vec![("late".to_string(), 2_000)]);
        cart.drop_holds();
        assert!(!cart.holds_due(900, 5_000), "nothing held, nothing due");
    }

    #[test]
    fn an_idempotency_key_replays_the_same_request_and_refuses_another() {
        let mut cart = Cart::default();
        assert_eq!(cart.seen("items:k1", "f1"), KeyUse::New);
        cart.remember_key("items:k1", "f1");
        assert_eq!(cart.seen("items:k1", "f1"), KeyUse::Replay);
        assert_eq!(cart.seen("items:k1", "f2"), KeyUse::Reused);
        assert_eq!(cart.seen("checkout:k1", "f1"), KeyUse::New, "each operation has its own keys");
        cart.remember_key("items:k1", "f2");
        assert_eq!(cart.seen("items:k1", "f1"), KeyUse::Replay, "the first request stays the key's");
        for i in 0..KEYS_KEPT {
            cart.remember_key(&format!("items:n{i}"), "f");
        }
        assert_eq!(cart.keys.len(), KEYS_KEPT);
        assert_eq!(cart.seen("items:k1", "f2"), KeyUse::New, "the oldest key is forgotten");
        let old: Cart = serde_json::from_str(r#"{"lines":[],"touched_at":0}"#).expect("a cart saved before keys");
        assert!(old.keys.is_empty());
    }
}
