//! Cart rules: limits, line changes as reservation deltas, and the token that proves a cart is yours.
//!
//! The cart itself lives in a Durable Object; stock truth lives in D1. A line remembers how many
//! units its hold covers, so every change is a delta the D1 conditional write can accept or refuse.

use serde::{Deserialize, Serialize};

use super::signature::{hmac_hex, verify_hex};

pub const MAX_PER_VARIANT: i64 = 10;
pub const MAX_LINES: usize = 50;

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
}

/// How many merged guest carts a cart remembers.
const ABSORBED_KEPT: usize = 20;

/// What a guest cart hands over when its shopper signs in: the quantities asked for and the codes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// (variant id, quantity)
    pub lines: Vec<(i64, i64)>,
    pub codes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartError {
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
    pub fn line(&self, variant_id: i64) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.variant_id == variant_id)
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Plans setting a line to `quantity` (0 removes it). `add` is relative to what is in the cart.
    pub fn plan(&self, variant_id: i64, quantity: i64) -> Result<HoldChange, CartError> {
        if !(0..=MAX_PER_VARIANT).contains(&quantity) {
            return Err(CartError::QuantityOutOfRange);
        }
        match self.line(variant_id) {
            None if quantity == 0 => Err(CartError::NoSuchLine),
            None if self.lines.len() >= MAX_LINES => Err(CartError::TooManyLines),
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

    /// The next moment the cart's alarm must run: hold expiry while it holds stock, or the earliest
    /// pending order's expiry.
    pub fn next_alarm(&self, hold_seconds: i64) -> Option<i64> {
        let holds = self.lines.iter().any(|l| l.held > 0).then(|| self.hold_deadline(hold_seconds));
        let orders = self.pending_orders.iter().map(|(_, at)| *at).min();
        match (holds, orders) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The token that proves a cart belongs to its holder: an HMAC of the cart id under the shop's
/// secret, so it needs no storage and cannot be guessed from the id.
pub fn cart_token(secret: &[u8], cart_id: &str) -> String {
    hmac_hex(secret, format!("cart:{cart_id}").as_bytes())
}

pub fn verify_cart_token(secret: &[u8], cart_id: &str, token: &str) -> bool {
    is_cart_id(cart_id) && verify_hex(secret, format!("cart:{cart_id}").as_bytes(), token)
}

/// The guest's key to an order page: an HMAC of the order id, so a repeated checkout submission can
/// be answered with the same link without storing the token itself.
pub fn order_access_token(secret: &[u8], order_id: &str) -> String {
    hmac_hex(secret, format!("order:{order_id}").as_bytes())
}

pub fn verify_order_access_token(secret: &[u8], order_id: &str, token: &str) -> bool {
    verify_hex(secret, format!("order:{order_id}").as_bytes(), token)
}

/// Cart ids are 32 lowercase hex digits (128 random bits).
pub fn is_cart_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The cookie value `{id}.{token}` and its parse.
pub fn cookie_value(secret: &[u8], cart_id: &str) -> String {
    format!("{cart_id}.{}", cart_token(secret, cart_id))
}

pub fn parse_cookie_value(secret: &[u8], value: &str) -> Option<String> {
    let (id, token) = value.split_once('.')?;
    verify_cart_token(secret, id, token).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart_with(variant_id: i64, quantity: i64, held: i64) -> Cart {
        let mut cart = Cart::default();
        cart.apply(variant_id, quantity, Some("h1".into()), held);
        cart
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
        assert_eq!(Cart::default().plan(1, 11), Err(CartError::QuantityOutOfRange));
        assert_eq!(Cart::default().plan(1, -1), Err(CartError::QuantityOutOfRange));
        assert_eq!(Cart::default().plan(1, 0), Err(CartError::NoSuchLine));
        let mut full = Cart::default();
        for v in 0..MAX_LINES as i64 {
            full.apply(v, 1, None, 0);
        }
        assert_eq!(full.plan(999, 1), Err(CartError::TooManyLines));
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
        let id = "0123456789abcdef0123456789abcdef";
        let token = cart_token(b"secret", id);
        assert!(verify_cart_token(b"secret", id, &token));
        assert!(!verify_cart_token(b"other", id, &token));
        assert!(!verify_cart_token(b"secret", "0123456789abcdef0123456789abcdee", &token));
        assert!(!verify_cart_token(b"secret", "../etc", &token));
        let cookie = cookie_value(b"secret", id);
        assert_eq!(parse_cookie_value(b"secret", &cookie).as_deref(), Some(id));
        assert_eq!(parse_cookie_value(b"secret", &cookie.replace('a', "b")), None);
    }
}
