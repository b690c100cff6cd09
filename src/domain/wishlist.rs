//! Wishlists and recently viewed products (issue 15, docs/WISHLIST.md): the pure rules.
//!
//! - A wishlist holds at most [`CAP`] products, each with the price and stock it had when it was
//!   added ([`Entry`]), so the page can say what changed since ([`Change`]).
//! - A guest's wishlist lives in a cookie signed with the shop's secret ([`GuestList`]): the
//!   entries as `id-price-stock` joined by `.`, then `~` and an HMAC. A cookie whose signature does
//!   not hold reads as an empty list. On sign-in it joins the account's list (`app::wishlist::merge`).
//! - A wishlist is shared by a signed, read-only link naming its products ([`share_token`]): what
//!   the list held when the link was made, and nothing about its owner.
//! - Recently viewed: the browser keeps up to [`RECENT_CAP`] product ids, most recent first;
//!   [`parse_ids`] reads them from a request, [`merge_recent`] joins a device's list with the
//!   account's.

use super::signature::{hmac_hex, verify_hex};

/// Products one wishlist may hold.
pub const CAP: usize = 50;
/// Products the recently viewed list keeps.
pub const RECENT_CAP: usize = 12;
/// The guest's signed list (HttpOnly).
pub const COOKIE: &str = "vestify_wishlist";
/// How many products the wishlist holds, for the header script (not secret; it only lets the script
/// skip asking which products are wishlisted when there are none).
pub const COUNT_COOKIE: &str = "vestify_wishlist_n";
/// How long a guest's wishlist lasts on a device: 180 days.
pub const COOKIE_SECONDS: i64 = 180 * 86_400;

/// A wishlisted product as it was when added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub product_id: i64,
    /// The product's price (its cheapest active variant's) when added, in đồng.
    pub price_at: i64,
    /// Whether anything was left to buy when added.
    pub in_stock_at: bool,
}

/// Why an item was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The list already holds [`CAP`] products.
    Full,
}

/// A guest's wishlist, most recently added last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuestList {
    pub entries: Vec<Entry>,
}

impl GuestList {
    /// Whether the list holds the product.
    pub fn contains(&self, product_id: i64) -> bool {
        self.entries.iter().any(|e| e.product_id == product_id)
    }

    /// Adds an entry; a product already held keeps its first entry (`Ok(false)`).
    pub fn add(&mut self, entry: Entry) -> Result<bool, Refusal> {
        if self.contains(entry.product_id) {
            return Ok(false);
        }
        if self.entries.len() >= CAP {
            return Err(Refusal::Full);
        }
        self.entries.push(entry);
        Ok(true)
    }

    /// Removes the product; whether it was held.
    pub fn remove(&mut self, product_id: i64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.product_id != product_id);
        self.entries.len() != before
    }

    /// The cookie's value: the entries and their signature.
    pub fn to_cookie(&self, secret: &[u8]) -> String {
        let body = self.entries.iter().map(|e| format!("{}-{}-{}", e.product_id, e.price_at, u8::from(e.in_stock_at))).collect::<Vec<_>>().join(".");
        let sig = hmac_hex(secret, format!("wishlist\n{body}").as_bytes());
        format!("{body}~{sig}")
    }

    /// The list a cookie holds, if its signature holds and it reads as a list (no duplicates, at
    /// most [`CAP`] entries); anything else is `None`.
    pub fn from_cookie(secret: &[u8], value: &str) -> Option<GuestList> {
        let (body, sig) = value.trim().rsplit_once('~')?;
        if !verify_hex(secret, format!("wishlist\n{body}").as_bytes(), sig) {
            return None;
        }
        let mut list = GuestList::default();
        for item in body.split('.').filter(|s| !s.is_empty()) {
            let mut parts = item.split('-');
            let (id, price, stock) = (parts.next()?.parse::<i64>().ok()?, parts.next()?.parse::<i64>().ok()?, parts.next()?);
            if parts.next().is_some() || id <= 0 || price < 0 || !matches!(stock, "0" | "1") {
                return None;
            }
            if !list.add(Entry { product_id: id, price_at: price, in_stock_at: stock == "1" }).ok()? {
                return None;
            }
        }
        Some(list)
    }
}

/// What changed for a wishlisted product since it was added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    /// The price is lower than when added (the price then).
    PriceDropped { was: i64 },
    /// The price is higher than when added (the price then).
    PriceRose { was: i64 },
    /// Sold out when added, buyable now.
    BackInStock,
    /// Buyable when added, sold out now.
    SoldOut,
    /// No longer sold (hidden by the shop, or no active variant left).
    Unavailable,
}

/// What changed, most important first: a product no longer sold, then stock, then price.
pub fn change(entry: &Entry, sellable: bool, price_now: i64, in_stock_now: bool) -> Change {
    if !sellable {
        return Change::Unavailable;
    }
    match (entry.in_stock_at, in_stock_now) {
        (false, true) => return Change::BackInStock,
        (true, false) => return Change::SoldOut,
        _ => {}
    }
    match price_now.cmp(&entry.price_at) {
        std::cmp::Ordering::Less => Change::PriceDropped { was: entry.price_at },
        std::cmp::Ordering::Greater => Change::PriceRose { was: entry.price_at },
        std::cmp::Ordering::Equal => Change::None,
    }
}

/// The token of a shared wishlist's link: its product ids (in the list's order) and their HMAC.
pub fn share_token(secret: &[u8], product_ids: &[i64]) -> String {
    let body = product_ids.iter().take(CAP).map(i64::to_string).collect::<Vec<_>>().join("-");
    let sig = hmac_hex(secret, format!("wishlist-share\n{body}").as_bytes());
    format!("{body}.{}", &sig[..32])
}

/// The product ids a share token names, if its signature holds.
pub fn verify_share_token(secret: &[u8], token: &str) -> Option<Vec<i64>> {
    let (body, sig) = token.trim().rsplit_once('.')?;
    let expected = hmac_hex(secret, format!("wishlist-share\n{body}").as_bytes());
    if sig.len() != 32 || !super::signature::constant_time_eq(sig.as_bytes(), &expected.as_bytes()[..32]) {
        return None;
    }
    let ids: Option<Vec<i64>> = body.split('-').filter(|s| !s.is_empty()).map(|s| s.parse::<i64>().ok().filter(|&n| n > 0)).collect();
    ids.filter(|ids| ids.len() <= CAP)
}

/// Up to [`RECENT_CAP`] product ids from a client's list (`3,1,7` or `3.1.7`): positive numbers a
/// JavaScript number holds exactly, each once, in the order given; anything else is skipped.
pub fn parse_ids(raw: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for id in raw.split([',', '.', ' ']).filter_map(|s| s.trim().parse::<i64>().ok()).filter_map(super::cart::client_id) {
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() == RECENT_CAP {
            break;
        }
    }
    ids
}

/// A device's recently viewed list joined with the account's: the device's first (it is the more
/// recent on this device), then the account's others, at most [`RECENT_CAP`].
pub fn merge_recent(device: &[i64], account: &[i64]) -> Vec<i64> {
    let joined: Vec<String> = device.iter().chain(account).map(i64::to_string).collect();
    parse_ids(&joined.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret";

    fn entry(id: i64) -> Entry {
        Entry { product_id: id, price_at: 100_000 * id, in_stock_at: id % 2 == 0 }
    }

    #[test]
    fn a_guest_list_round_trips_through_its_signed_cookie_and_a_forged_one_reads_as_nothing() {
        let mut list = GuestList::default();
        for id in [3, 1, 2] {
            assert_eq!(list.add(entry(id)), Ok(true));
        }
        let cookie = list.to_cookie(SECRET);
        assert_eq!(cookie.split('~').next(), Some("3-300000-0.1-100000-0.2-200000-1"));
        assert_eq!(GuestList::from_cookie(SECRET, &cookie), Some(list.clone()));
        assert_eq!(GuestList::from_cookie(b"other", &cookie), None);
        let forged = cookie.replacen("3-300000", "3-1", 1);
        assert_eq!(GuestList::from_cookie(SECRET, &forged), None);
        assert_eq!(GuestList::from_cookie(SECRET, "garbage"), None);
        assert_eq!(GuestList::from_cookie(SECRET, &GuestList::default().to_cookie(SECRET)), Some(GuestList::default()));
    }

    #[test]
    fn a_guest_list_keeps_each_product_once_and_refuses_past_its_cap() {
        let mut list = GuestList::default();
        assert_eq!(list.add(entry(1)), Ok(true));
        assert_eq!(list.add(Entry { price_at: 5, ..entry(1) }), Ok(false), "the first entry stays");
        assert_eq!(list.entries[0].price_at, 100_000);
        for id in 2..=CAP as i64 {
            assert_eq!(list.add(entry(id)), Ok(true));
        }
        assert_eq!(list.add(entry(99)), Err(Refusal::Full));
        assert_eq!(list.add(entry(7)), Ok(false), "a held product is no refusal");
        assert!(list.remove(7) && !list.remove(7));
        assert_eq!(list.add(entry(99)), Ok(true));
        // A signed cookie with a duplicate or too many entries is not a list.
        let body = "1-1-1.1-1-1";
        let dup = format!("{body}~{}", hmac_hex(SECRET, format!("wishlist\n{body}").as_bytes()));
        assert_eq!(GuestList::from_cookie(SECRET, &dup), None);
    }

    #[test]
    fn the_change_since_added_puts_availability_before_stock_before_price() {
        let e = Entry { product_id: 1, price_at: 500_000, in_stock_at: true };
        assert_eq!(change(&e, true, 500_000, true), Change::None);
        assert_eq!(change(&e, true, 450_000, true), Change::PriceDropped { was: 500_000 });
        assert_eq!(change(&e, true, 550_000, true), Change::PriceRose { was: 500_000 });
        assert_eq!(change(&e, true, 450_000, false), Change::SoldOut);
        assert_eq!(change(&Entry { in_stock_at: false, ..e }, true, 450_000, true), Change::BackInStock);
        assert_eq!(change(&e, false, 450_000, true), Change::Unavailable);
    }

    #[test]
    fn a_share_token_names_its_products_and_nothing_else_verifies() {
        let token = share_token(SECRET, &[5, 2, 9]);
        assert_eq!(verify_share_token(SECRET, &token), Some(vec![5, 2, 9]));
        assert_eq!(verify_share_token(b"other", &token), None);
        assert_eq!(verify_share_token(SECRET, &token.replacen('5', "6", 1)), None);
        assert_eq!(verify_share_token(SECRET, "5-2-9"), None);
        assert_eq!(verify_share_token(SECRET, &share_token(SECRET, &[])), Some(vec![]));
    }

    #[test]
    fn recently_viewed_ids_are_bounded_unique_and_device_first() {
        assert_eq!(parse_ids("3,1,x,3,-2,0,7"), vec![3, 1, 7]);
        assert_eq!(parse_ids(&(1..=40).map(|i| i.to_string()).collect::<Vec<_>>().join(".")).len(), RECENT_CAP);
        assert_eq!(parse_ids("9007199254740993"), Vec::<i64>::new());
        assert_eq!(merge_recent(&[4, 2], &[2, 9, 4, 1]), vec![4, 2, 9, 1]);
        let long: Vec<i64> = (100..120).collect();
        assert_eq!(merge_recent(&[1], &long), [1].into_iter().chain(100..111).collect::<Vec<_>>());
    }
}
