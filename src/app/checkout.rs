//! Placing an order from a cart: once per cart and client key, priced on the server for this buyer,
//! with the cart's holds handed over to the order and coupon uses claimed in the same transaction.
//!
//! The request arrives validated (`domain::checkout::CheckoutRequest`); what can still stop the order
//! is the cart itself: empty, stock that changed since the shopper saw it, or a code that no longer
//! applies to this buyer. Each is a `CheckoutError` the shopper is shown.

use serde::{Deserialize, Serialize};

use super::cart::{parcel_weight, pricing_data, rehold, rehold_apply, rehold_read, render, render_to, Context, Failure, LineVariant};
use super::shipping;
use super::db::{expect_n, Db, DbError, Rows};
use super::sql::Sql;
use super::orders::{create_order_batch, order_by_id_sql, order_by_idempotency_sql, NewOrder, OrderLine, OrderRow};
use super::promotions::{claim_batch, customer, customer_batch, decorate, price_cart, pricing_batch, Buyer, CountRow, UseRow};
use crate::domain::cart::{order_access_token, Cart, KeyUse};
use crate::domain::checkout::{cod_refusal, totals, CheckoutRequest, CodRefusal, PricedLine, Totals, COD};
use crate::domain::locale::Locale;
use crate::domain::money::Vnd;
use crate::domain::promotions::Pricing;
use crate::domain::signature::sha256_hex;
use crate::domain::checkout::Address;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::regions::{ProvinceCode, WardCode};
use crate::domain::shipping::{ShippingSettings, Zone};

/// A checkout as the Worker hands it to the cart.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Submission {
    pub request: CheckoutRequest,
    /// The client's key: the same key on the same cart places one order.
    pub idempotency_key: String,
    /// The language of the order's messages.
    pub locale: Locale,
    /// The signed-in shopper's customer id: the order is theirs, and account-only promotions and
    /// per-account limits count against it.
    #[serde(default)]
    pub account: Option<String>,
    /// The client address the checkout came from (`cf-connecting-ip`): the open-COD limit counts
    /// per client as well as per phone. Kept on a COD order only as a hash.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// The total the shopper was shown (the checkout page sends it back): the order is placed only
    /// at that total, so a place or method changed without the summary following is asked again.
    #[serde(default)]
    pub expected_total: Option<Vnd>,
    /// The API request's fingerprint (`domain::http::request_fingerprint`): the key used again with
    /// another request is refused (`KeyReused`) rather than answered with the first order.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// The order placed (or, `replayed`, placed before under the same key).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Placed {
    pub order: OrderRow,
    /// The guest's key to the order page.
    pub access_token: String,
    pub replayed: bool,
}

#[derive(Debug)]
pub enum CheckoutError {
    CartEmpty,
    /// Holds ran out and could not all be taken again, or stock changed while ordering: the cart
    /// shows what changed (its `notices`).
    CartChanged { cart: Box<super::cart::CartView> },
    /// A code no longer applies for this buyer (first order only, used up…): the cart priced for
    /// them says why.
    CouponRejected { cart: Box<super::cart::CartView> },
    /// Cash on delivery was chosen and is not available for this order.
    CodRefused(CodRefusal),
    /// The method chosen is not offered to the address for this parcel: the cart priced for that
    /// place shows what is.
    ShippingUnavailable { cart: Box<super::cart::CartView> },
    /// The total is not the one the shopper was shown: the cart priced for the place says what it is.
    TotalChanged { cart: Box<super::cart::CartView> },
    /// The idempotency key placed an order for another request (another body).
    KeyReused,
    Internal(Failure),
}

impl From<Failure> for CheckoutError {
    fn from(f: Failure) -> Self {
        CheckoutError::Internal(f)
    }
}

impl From<DbError> for CheckoutError {
    fn from(e: DbError) -> Self {
        CheckoutError::Internal(Failure::Db(e))
    }
}

/// Places the cart's order. A key seen before answers with its order (`replayed`) whatever the cart
/// holds now. Otherwise the holds are checked (and taken again where they ran out): any change
/// refuses with the changed cart rather than ordering something the shopper has not seen. Prices
/// and discounts are computed here for this buyer; the order, its lines, the held stock and the
/// coupon uses are written in one transaction that either all happens or not at all.
pub async fn place_order<D: Db>(cx: &Context<'_, D>, cart: &mut Cart, submission: &Submission) -> Result<Placed, CheckoutError> {
    let secret = cx.settings.shop_secret.as_deref().ok_or(Failure::NoSecret)?;
    let key = format!("{}:{}", cx.cart_id, submission.idempotency_key);
    let cart_key = format!("checkout:{}", submission.idempotency_key);
    if submission.fingerprint.as_deref().is_some_and(|f| cart.seen(&cart_key, f) == KeyUse::Reused) {
        return Err(CheckoutError::KeyReused);
    }
    // Round trip 1: an order placed before under this key, the holds (extended) and the lines'
    // variants, read once for the whole checkout.
    let read = rehold_read(cx, cart, &[order_by_idempotency_sql(&key)]).await?;
    if let Some(order) = read.extra.first().map(|rows| rows.first::<OrderRow>()).transpose()?.flatten() {
        return Ok(placed(secret, order, true));
    }
    if cart.lines.is_empty() {
        return Err(CheckoutError::CartEmpty);
    }
    // Only a hold that ran out costs more round trips here.
    let notices = rehold_apply(cx, cart, &read).await?;
    if !notices.is_empty() || cart.lines.is_empty() {
        return Err(CheckoutError::CartChanged { cart: Box::new(render(cx, cart, notices).await?) });
    }
    let request = &submission.request;
    let account = submission.account.as_deref();
    let variants = read.variants;
    let mut lines = Vec::new();
    let mut priced = Vec::new();
    let mut holds = Vec::new();
    for (i, line) in cart.lines.iter().enumerate() {
        let v = variants.iter().find(|v| v.id == line.variant_id).ok_or(Failure::VariantVanished(line.variant_id))?;
        lines.push(OrderLine::snapshot(i as i64 + 1, v, line.quantity));
        priced.push(PricedLine { variant_id: v.id, unit_price: v.price, quantity: line.quantity });
        holds.push((line.hold_id.clone().unwrap_or_default(), line.held));
    }
    // Round trip 2: everything the price depends on — the destination's zone and the rate table (the
    // same rules the checkout page and the quote endpoint show), the promotions and this buyer's
    // history, and for cash on delivery the buyer's open COD orders.
    let cod = request.payment_provider == COD;
    let client = submission.client_ip.as_deref().map(super::cod::client_hash);
    let province = request.address.province_code.as_deref().and_then(ProvinceCode::parse);
    let zone_read = shipping::zone_sql(&cx.settings.shipping, &request.address.country, province.as_ref());
    let mut reads = pricing_reads(cart, request, account, cx.now);
    reads.push(shipping::rates_sql());
    if cod {
        reads.push(super::cod::open_cod_sql(request.phone.as_str(), client.as_deref()));
    }
    reads.extend(zone_read.clone());
    let results = cx.db.batch(&reads).await?;
    if results.len() != reads.len() {
        return Err(Failure::Db(DbError::Shape("checkout reads")).into());
    }
    let mut results = results.into_iter();
    let pricing_rows: Vec<Rows> = results.by_ref().take(PRICING_READS).collect();
    let rates = results.next().ok_or(DbError::Shape("checkout reads"))?;
    let open_cod = if cod { results.next().map(|rows| rows.first::<super::cod::OpenCod>()).transpose()?.flatten() } else { None };
    let zone = match (zone_read, results.next()) {
        (Some(_), Some(rows)) => shipping::zone_from(&cx.settings.shipping, province.as_ref(), &rows)?,
        _ => Zone::International,
    };
    let subtotal = totals(&priced, Vnd::ZERO).ok_or(Failure::Overflow)?.subtotal;
    let offered = shipping::quote_from(&cx.settings.shipping, &rates, zone, parcel_weight(cart, &variants), subtotal)?;
    let Some(quote) = offered.iter().find(|q| q.method == request.shipping_method).copied() else {
        return Err(CheckoutError::ShippingUnavailable { cart: Box::new(render_to(cx, cart, Vec::new(), zone).await?) });
    };
    let base = totals(&priced, quote.fee).ok_or(Failure::Overflow)?;
    // A code that no longer applies stops the order (the shopper sees why and decides) rather than
    // silently charging more.
    let pricing = priced_from(cx, cart, &variants, request, account, base.shipping, pricing_rows)?;
    if !pricing.rejected.is_empty() {
        return Err(coupon_rejected(cx, cart, pricing, request).await?);
    }
    if submission.expected_total.is_some_and(|shown| shown != pricing.total) {
        // Shown again priced for this buyer (what the order would cost), so the total the page now
        // shows for the chosen method is the one a second submission is charged.
        let mut shown = render_to(cx, cart, Vec::new(), zone).await?;
        decorate(&mut shown, &cart.codes, &[(request.shipping_method.code(), pricing)]);
        return Err(CheckoutError::TotalChanged { cart: Box::new(shown) });
    }
    for (line, priced) in lines.iter_mut().zip(&pricing.lines) {
        line.discount = priced.discount;
    }
    // Cash on delivery: Vietnam only, up to the limit, a few open COD orders per phone and client.
    if cod {
        let open = open_cod.unwrap_or_default();
        if let Some(refusal) = cod_refusal(cx.settings.cod, &request.address.country, pricing.total, open.by_phone, open.by_client) {
            return Err(CheckoutError::CodRefused(refusal));
        }
    }
    let order_id = cx.ids.new_id().ok_or(Failure::NoRandomness)?;
    let payment_id = cx.ids.new_id().ok_or(Failure::NoRandomness)?;
    let token_hash = sha256_hex(order_access_token(secret.as_bytes(), &order_id).as_bytes());
    // A bank transfer takes longer than a hosted payment page: the order holds its units longer.
    let ttl = if request.payment_provider == crate::domain::payments::bank::PROVIDER { cx.settings.bank_transfer_ttl_seconds } else { cx.settings.order_ttl_seconds };
    let expires_at = cx.now + ttl;
    let new_order = NewOrder {
        id: &order_id,
        access_token_hash: &token_hash,
        cart_id: cx.cart_id.as_str(),
        idempotency_key: &key,
        request,
        locale: submission.locale,
        lines: &lines,
        holds: &holds,
        totals: Totals { subtotal: pricing.subtotal, shipping: pricing.shipping, discount: pricing.discount, total: pricing.total },
        payment_id: &payment_id,
        zone,
        eta_days: quote.eta_days,
        now: cx.now,
        expires_at,
    };
    let mut batch = create_order_batch(&new_order);
    if let Some(account) = account {
        batch.push(super::accounts::claim_order_sql(&order_id, account));
    }
    let line_nos: Vec<i64> = lines.iter().map(|l| l.line_no).collect();
    let buyer = Buyer { email: request.email_str(), phone: request.phone.as_str(), account };
    batch.extend(claim_batch(&order_id, &pricing, &line_nos, &buyer, cx.now));
    if cod {
        // Confirmed at once, its stock sold: the same gated statements as a paid order.
        batch.extend(super::cod::confirm_cod_order(&order_id, client.as_deref(), cx.settings.cod.open_limit, cx.now));
    }
    // Round trip 3: the order written, and read back as stored, in one transaction.
    batch.push(order_by_id_sql(&order_id));
    let written = match cx.db.batch(&batch).await {
        Ok(results) => results,
        Err(e) => {
            // A concurrent submission with the same key won: answer with its order.
            if let Some(order) = cx.db.first::<OrderRow>(&order_by_idempotency_sql(&key)).await? {
                return Ok(placed(secret, order, true));
            }
            // Concurrent COD checkouts of one phone or client went past the limit: the batch's guard
            // refused this one.
            if cod && e.is_constraint() {
                if let Some(refusal) = cod_refused(cx, request, client.as_deref(), pricing.total).await? {
                    return Err(CheckoutError::CodRefused(refusal));
                }
            }
            // Another order took the last use of a code meanwhile: say so.
            if !pricing.applied.is_empty() {
                let fresh = price_for_buyer(cx, cart, &variants, request, account, base.shipping).await?;
                if !fresh.rejected.is_empty() {
                    return Err(coupon_rejected(cx, cart, fresh, request).await?);
                }
            }
            // A guard of the batch refused (a hold no longer held as counted): stock changed under the
            // cart. Anything else failed on our side.
            if !e.is_constraint() {
                return Err(Failure::Db(e).into());
            }
            let notices = rehold(cx, cart).await?;
            return Err(CheckoutError::CartChanged { cart: Box::new(render(cx, cart, notices).await?) });
        }
    };
    let order = written.last().map(|rows| rows.first::<OrderRow>()).transpose()?.flatten().ok_or(Failure::OrderVanished)?;
    if cod {
        // No payment deadline: nothing for the cart's alarm to expire.
        cart.clear();
        cart.touched_at = cx.now;
    } else {
        cart.ordered(&order_id, expires_at, cx.now);
    }
    if let Some(fingerprint) = &submission.fingerprint {
        cart.remember_key(&cart_key, fingerprint);
    }
    Ok(placed(secret, order, false))
}

/// Why cash on delivery may not pay this order, if it may not (one round trip for the open-COD
/// counts).
async fn cod_refused<D: Db>(cx: &Context<'_, D>, request: &CheckoutRequest, client: Option<&str>, total: Vnd) -> Result<Option<CodRefusal>, Failure> {
    let open = cx.db.first::<super::cod::OpenCod>(&super::cod::open_cod_sql(request.phone.as_str(), client)).await?.unwrap_or_default();
    Ok(cod_refusal(cx.settings.cod, &request.address.country, total, open.by_phone, open.by_client))
}

/// The zone of a delivery to `address` (its province code in Vietnam, else abroad).
pub async fn destination_zone(db: &impl Db, settings: &ShippingSettings, address: &Address) -> Result<Zone, DbError> {
    let province = address.province_code.as_deref().and_then(ProvinceCode::parse);
    shipping::destination_zone(db, settings, &address.country, province.as_ref()).await
}

/// Checks a Vietnamese address's province and ward codes against the lists and writes their
/// official names into it (the order keeps codes and names as they were when it was placed). An
/// unknown province, or a ward that is not in it, is a field error; abroad nothing is looked up.
pub async fn locate_address(db: &impl Db, address: &mut Address) -> Result<Result<(), Vec<FieldError>>, DbError> {
    let (Some(province), Some(ward)) = (address.province_code.as_deref(), address.ward_code.as_deref()) else { return Ok(Ok(())) };
    let (Some(province), Some(ward)) = (ProvinceCode::parse(province), WardCode::parse(ward)) else {
        return Ok(Err(vec![FieldError { field: "address.province_code", problem: Problem::UnknownChoice }]));
    };
    if let Some(found) = super::regions::locate(db, &province, &ward).await? {
        address.province = found.province.name;
        address.ward = found.ward.name;
        address.district = String::new();
        return Ok(Ok(()));
    }
    // Which of the two is wrong: an unknown province, or a ward of another (or no) province.
    let known = db.first::<serde_json::Value>(&super::db::Sql::new("SELECT code FROM provinces WHERE code = ?").bind(province.as_str())).await?.is_some();
    let field = if known { "address.ward_code" } else { "address.province_code" };
    Ok(Err(vec![FieldError { field, problem: Problem::UnknownChoice }]))
}

fn placed(secret: &str, order: OrderRow, replayed: bool) -> Placed {
    let access_token = order_access_token(secret.as_bytes(), &order.id);
    Placed { order, access_token, replayed }
}

/// Prices the cart for the buyer: their history decides first-order, per-customer and
/// specific-customer conditions. One round trip.
async fn price_for_buyer<D: Db>(
    cx: &Context<'_, D>,
    cart: &Cart,
    variants: &[LineVariant],
    request: &CheckoutRequest,
    account: Option<&str>,
    shipping: Vnd,
) -> Result<Pricing, Failure> {
    let rows = cx.db.batch(&pricing_reads(cart, request, account, cx.now)).await?;
    priced_from(cx, cart, variants, request, account, shipping, rows)
}

/// How many statements `pricing_reads` makes.
const PRICING_READS: usize = 5;

/// What pricing for this buyer reads: the promotions, the entered codes, the lines' catalog places,
/// the buyer's prior orders and code uses (`PRICING_READS` statements).
fn pricing_reads(cart: &Cart, request: &CheckoutRequest, account: Option<&str>, now: i64) -> Vec<Sql> {
    let mut batch = pricing_batch(&cart.codes, &cart.variant_ids(), now).to_vec();
    batch.extend(customer_batch(request.email_str(), request.phone.as_str(), account));
    batch
}

/// The cart priced for this buyer from `pricing_reads`' rows.
fn priced_from<D: Db>(cx: &Context<'_, D>, cart: &Cart, variants: &[LineVariant], request: &CheckoutRequest, account: Option<&str>, shipping: Vnd, rows: Vec<Rows>) -> Result<Pricing, Failure> {
    let [promotions, codes, places, orders, uses] = expect_n::<PRICING_READS>(rows, "checkout pricing")?;
    let data = pricing_data(&promotions, &codes, &places)?;
    let prior = orders.first::<CountRow>()?.map_or(0, |r| r.n);
    let uses: Vec<UseRow> = uses.decode()?;
    let buyer = customer(request.email_str(), request.phone.as_str(), account, prior, &uses);
    Ok(price_cart(cart, variants, &data, &buyer, shipping, cx.now))
}

/// The refusal that shows the cart priced for this buyer, so its `discounts.rejected` says why.
async fn coupon_rejected<D: Db>(cx: &Context<'_, D>, cart: &Cart, pricing: Pricing, request: &CheckoutRequest) -> Result<CheckoutError, Failure> {
    let mut shown = render(cx, cart, Vec::new()).await?;
    decorate(&mut shown, &cart.codes, &[(request.shipping_method.code(), pricing)]);
    Ok(CheckoutError::CouponRejected { cart: Box::new(shown) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::cart::fixtures::{request, Shop, HOLD, NOW, ORDER_TTL};
    use crate::app::cart::{alarm, apply_code, set_quantity, Notice};
    use crate::app::stock;
    use crate::app::testing::block_on;
    use crate::domain::cart::CartId;
    use crate::domain::orders::OrderStatus;
    use crate::domain::checkout::ShippingMethod;
    use crate::domain::promotions::Rejection;
    use crate::domain::shipping::Zone;

    fn submission(key: &str, email: &str) -> Submission {
        Submission { request: request(email), idempotency_key: key.into(), locale: Locale::Vi, account: None, client_ip: None, expected_total: None, fingerprint: None }
    }

    /// A cart holding `quantity` of `variant_id`, filled at `NOW`.
    /// FIRST10: 10 % off a buyer's first order.
    fn first_order_code(shop: &Shop) {
        shop.db.exec(
            "INSERT INTO promotions (id, name_vi, name_en, automatic, status, rule, combinable, created_at, updated_at) VALUES \
             (900, 'Đơn đầu', 'First order', 0, 'active', \
              '{\"benefit\":{\"type\":\"percent_off\",\"percent\":10},\"target\":{\"type\":\"order\"},\"conditions\":{\"first_order_only\":true}}', 0, 0, 0); \
             INSERT INTO promotion_codes (code, promotion_id, max_uses, created_at) VALUES ('FIRST10', 900, NULL, 0);",
        );
    }

    fn filled(shop: &Shop, id: &CartId, variant_id: i64, quantity: i64) -> Cart {
        let mut cart = Cart::default();
        block_on(set_quantity(&shop.at(id, NOW), &mut cart, variant_id, quantity, true)).unwrap();
        cart
    }

    fn orders_of(shop: &Shop, id: &CartId) -> i64 {
        shop.db.int(&format!("SELECT COUNT(*) FROM orders WHERE cart_id = '{id}'"))
    }

    /// The D1 round trips of a checkout, counted over SQLite as D1 would count them (each `batch`
    /// one): a guest's order of two lines, and a cash-on-delivery order (which checks its open-order
    /// limit too). The budget is 6 per checkout, the Worker's own reads included.
    #[test]
    fn a_checkout_takes_three_round_trips() {
        let shop = Shop::demo();
        let (a, b) = (shop.variant(0, 5), shop.variant(1, 5));
        let id = Shop::cart_id(31);
        let mut cart = filled(&shop, &id, a, 1);
        block_on(set_quantity(&shop.at(&id, NOW), &mut cart, b, 2, true)).unwrap();
        let cx = shop.at(&id, NOW + 10);
        let before = shop.db.round_trips.get();
        let placed = block_on(place_order(&cx, &mut cart, &submission("rt1", "an@example.vn"))).unwrap();
        let used = shop.db.round_trips.get() - before;
        assert!(!placed.replayed);
        // One for the key, the holds and the variants; one for zone, rates and pricing; one for the
        // order's batch read back. The Worker adds the address lookup and its reads of the order for
        // the answer: 6, the budget.
        assert_eq!(used, 3, "a checkout made {used} round trips");

        let id = Shop::cart_id(32);
        let mut cart = filled(&shop, &id, a, 1);
        let cx = shop.at(&id, NOW + 10);
        let mut cod = submission("rt2", "an@example.vn");
        cod.request.payment_provider = COD.into();
        let before = shop.db.round_trips.get();
        block_on(place_order(&cx, &mut cart, &cod)).unwrap();
        let used = shop.db.round_trips.get() - before;
        assert_eq!(used, 3, "a COD checkout (its open-order count read with the prices) made {used} round trips");
    }

    #[test]
    fn the_order_records_the_buyer_s_advertising_consent_as_the_checkout_read_it() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        for (n, consent) in [(21, true), (22, false)] {
            let id = Shop::cart_id(n);
            let mut cart = filled(&shop, &id, v, 1);
            let cx = shop.at(&id, NOW + 10);
            let request = CheckoutRequest { ad_consent: consent, ..request("an@example.vn") };
            let submission = Submission { request, idempotency_key: format!("kc{n}"), locale: Locale::Vi, account: None, client_ip: None, expected_total: None, fingerprint: None };
            let placed = block_on(place_order(&cx, &mut cart, &submission)).unwrap();
            assert_eq!(shop.db.int(&format!("SELECT ad_consent FROM orders WHERE id = '{}'", placed.order.id)), i64::from(consent));
        }
    }

    #[test]
    fn a_bank_transfer_order_waits_for_the_transfer_ttl_holding_its_units() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(7);
        let mut cart = filled(&shop, &id, v, 1);
        let cx = shop.at(&id, NOW + 10);
        let mut request = request("an@example.vn");
        request.payment_provider = crate::domain::payments::bank::PROVIDER.into();
        let submission = Submission { request, idempotency_key: "kb".into(), locale: Locale::Vi, account: None, client_ip: None, expected_total: None, fingerprint: None };
        let placed = block_on(place_order(&cx, &mut cart, &submission)).unwrap();
        let ttl = shop.settings.bank_transfer_ttl_seconds;
        assert_ne!(ttl, ORDER_TTL);
        assert_eq!(placed.order.expires_at, NOW + 10 + ttl);
        assert_eq!(cart.pending_orders, vec![(placed.order.id.clone(), NOW + 10 + ttl)], "the cart's alarm expires it then");
        assert_eq!(shop.db.text(&format!("SELECT stock_state FROM orders WHERE id = '{}'", placed.order.id)), "reserved");
    }

    #[test]
    fn a_key_used_again_with_another_request_is_refused_and_with_the_same_one_replayed() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(11);
        let mut cart = filled(&shop, &id, v, 1);
        let cx = shop.at(&id, NOW + 10);
        let keyed = |email: &str, fingerprint: &str| Submission { fingerprint: Some(fingerprint.into()), ..submission("k9", email) };
        let first = block_on(place_order(&cx, &mut cart, &keyed("an@example.vn", "f1"))).unwrap();
        assert!(!first.replayed);
        let other = block_on(place_order(&cx, &mut cart, &keyed("binh@example.vn", "f2")));
        assert!(matches!(other, Err(CheckoutError::KeyReused)), "{other:?}");
        let again = block_on(place_order(&cx, &mut cart, &keyed("an@example.vn", "f1"))).unwrap();
        assert!(again.replayed);
        assert_eq!(again.order.id, first.order.id);
        assert_eq!(orders_of(&shop, &id), 1);
    }

    #[test]
    fn the_same_key_twice_places_one_order_and_the_second_is_replayed() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(1);
        let mut cart = filled(&shop, &id, v, 2);
        let cx = shop.at(&id, NOW + 10);
        let first = block_on(place_order(&cx, &mut cart, &submission("k1", "an@example.vn"))).unwrap();
        assert!(!first.replayed);
        assert!(cart.lines.is_empty(), "the cart emptied");
        assert_eq!(cart.pending_orders, vec![(first.order.id.clone(), NOW + 10 + ORDER_TTL)]);
        let again = block_on(place_order(&cx, &mut cart, &submission("k1", "an@example.vn"))).unwrap();
        assert!(again.replayed);
        assert_eq!((again.order.id, again.access_token), (first.order.id, first.access_token));
        assert_eq!(orders_of(&shop, &id), 1);
        assert_eq!(shop.reserved(v), 2, "reserved once, by the order");
        assert!(matches!(block_on(place_order(&cx, &mut cart, &submission("k2", "an@example.vn"))), Err(CheckoutError::CartEmpty)));
    }

    #[test]
    fn two_submissions_with_one_key_at_once_place_one_order() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(1);
        // Each submission with its own copy of the cart: only storage keeps them to one order.
        let mut one = filled(&shop, &id, v, 3);
        let mut two = one.clone();
        let cx = shop.at(&id, NOW + 10);
        let (sub_one, sub_two) = (submission("same", "an@example.vn"), submission("same", "an@example.vn"));
        let (a, b) = block_on(async { futures::join!(place_order(&cx, &mut one, &sub_one), place_order(&cx, &mut two, &sub_two)) });
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.order.id, b.order.id, "the same order for both");
        assert_eq!([a.replayed, b.replayed].iter().filter(|r| **r).count(), 1, "one placed it, the other was answered with it");
        assert_eq!(orders_of(&shop, &id), 1);
        assert_eq!(shop.reserved(v), 3, "reserved is not double-counted");
        assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM holds WHERE cart_id = '{id}' AND state = 'converted' AND quantity = 3")), 1);
    }

    #[test]
    fn an_empty_cart_is_refused() {
        let shop = Shop::demo();
        let id = Shop::cart_id(1);
        let refused = block_on(place_order(&shop.at(&id, NOW), &mut Cart::default(), &submission("k", "an@example.vn")));
        assert!(matches!(refused, Err(CheckoutError::CartEmpty)), "{refused:?}");
        assert_eq!(orders_of(&shop, &id), 0);
    }

    #[test]
    fn a_cart_whose_stock_changed_is_refused_with_the_changed_cart_then_ordered_as_seen() {
        let shop = Shop::demo();
        let v = shop.variant(0, 3);
        let id = Shop::cart_id(1);
        let mut cart = filled(&shop, &id, v, 3);
        let later = NOW + HOLD;
        block_on(shop.db.batch(&stock::release_holds(None, Some(later), later))).unwrap();
        shop.db.exec(&format!("UPDATE variants SET on_hand = 1 WHERE id = {v}"));
        let cx = shop.at(&id, later + 1);
        let refused = block_on(place_order(&cx, &mut cart, &submission("k", "an@example.vn")));
        let Err(CheckoutError::CartChanged { cart: shown }) = refused else { panic!("{refused:?}") };
        assert_eq!(shown.notices, vec![Notice::Reduced { variant_id: v, from: 3, to: 1 }]);
        assert_eq!(shown.lines.iter().map(|l| (l.quantity, l.held)).collect::<Vec<_>>(), vec![(1, 1)]);
        assert_eq!(orders_of(&shop, &id), 0, "no order for a cart the shopper has not seen");
        let placed = block_on(place_order(&cx, &mut cart, &submission("k", "an@example.vn"))).unwrap();
        assert_eq!(shop.db.int(&format!("SELECT SUM(quantity) FROM order_lines WHERE order_id = '{}'", placed.order.id)), 1);
        assert_eq!(shop.reserved(v), 1);
    }

    #[test]
    fn a_code_refused_at_checkout_shows_the_reason() {
        let shop = Shop::demo();
        first_order_code(&shop);
        let (v, w) = (shop.variant(0, 5), shop.variant(1, 5));
        let (before, now) = (Shop::cart_id(1), Shop::cart_id(2));
        let mut earlier = filled(&shop, &before, v, 1);
        block_on(place_order(&shop.at(&before, NOW), &mut earlier, &submission("k", "an@example.vn"))).unwrap();
        let mut cart = filled(&shop, &now, w, 1);
        let cx = shop.at(&now, NOW + 10);
        block_on(apply_code(&cx, &mut cart, "FIRST10")).expect("in the cart nobody is known yet");
        let refused = block_on(place_order(&cx, &mut cart, &submission("k", "AN@example.vn")));
        let Err(CheckoutError::CouponRejected { cart: shown }) = refused else { panic!("{refused:?}") };
        let reasons: Vec<(&str, &Rejection)> = shown.discounts.rejected.iter().map(|r| (r.code.as_str(), &r.rejection)).collect();
        assert_eq!(reasons, vec![("FIRST10", &Rejection::FirstOrderOnly)]);
        assert_eq!(orders_of(&shop, &now), 0);
        assert_eq!(cart.lines.len(), 1, "the cart keeps its line and code for the shopper to decide");
        assert_eq!(shop.reserved(w), 1);
    }

    #[test]
    fn phone_only_buyers_are_told_apart_by_phone_and_get_no_email() {
        let shop = Shop::demo();
        first_order_code(&shop);
        let (v, w) = (shop.variant(0, 5), shop.variant(1, 5));
        let (first, second) = (Shop::cart_id(1), Shop::cart_id(2));
        let mut cart = filled(&shop, &first, v, 1);
        let placed = block_on(place_order(&shop.at(&first, NOW), &mut cart, &submission("k", ""))).unwrap();
        assert_eq!((placed.order.email.as_str(), placed.order.phone.as_str()), ("", "+84912345678"));
        // Another shopper without an email, with another phone: their first order still.
        let mut other = filled(&shop, &second, w, 1);
        let cx = shop.at(&second, NOW + 10);
        block_on(apply_code(&cx, &mut other, "FIRST10")).unwrap();
        let mut sub = submission("k", "");
        sub.request.phone = crate::domain::phone::Phone::parse("+1 415 555 0100", "VN").unwrap();
        let discounted = block_on(place_order(&cx, &mut other, &sub)).unwrap();
        assert!(discounted.order.discount.is_positive(), "first order of this phone");
        // Placing and cancelling queue an email each for an order with an email, and a ZNS message
        // each for the phone-only one (`app::zns`).
        let mut with_email = filled(&shop, &Shop::cart_id(3), v, 1);
        let emailed = block_on(place_order(&shop.at(&Shop::cart_id(3), NOW), &mut with_email, &submission("k", "an@example.vn"))).unwrap();
        for id in [&placed.order.id, &emailed.order.id] {
            block_on(shop.db.batch(&stock::cancel_unpaid_order(id, NOW + 20, "shopper", "test"))).unwrap();
        }
        let messages = |id: &str, channel: &str| shop.db.int(&format!("SELECT COUNT(*) FROM outbox WHERE json_extract(payload, '$.order_id') = '{id}' AND channel = '{channel}'"));
        assert_eq!((messages(&placed.order.id, "email"), messages(&emailed.order.id, "email")), (0, 2));
        assert_eq!((messages(&placed.order.id, "zns"), messages(&emailed.order.id, "zns")), (2, 0));
        let status = shop.db.text(&format!("SELECT status FROM orders WHERE id = '{}'", placed.order.id));
        assert_eq!(status, "cancelled", "everything else works without an email");
    }

    #[test]
    fn the_alarm_and_the_sweep_expire_the_same_unpaid_order_once() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(1);
        let mut cart = filled(&shop, &id, v, 2);
        let placed = block_on(place_order(&shop.at(&id, NOW), &mut cart, &submission("k", "an@example.vn"))).unwrap();
        let order_id = placed.order.id;
        assert_eq!(shop.reserved(v), 2);
        let due = NOW + ORDER_TTL;
        let cx = shop.at(&id, due);
        let mut again = cart.clone();
        let sweep = || async {
            for row in shop.db.all::<serde_json::Value>(&stock::overdue_orders(due, 200)).await? {
                let overdue = row["id"].as_str().unwrap_or_default().to_string();
                shop.db.batch(&stock::expire_order(&overdue, due, "sweep")).await?;
            }
            Ok::<(), DbError>(())
        };
        let (by_alarm, by_sweep, by_alarm_again) = block_on(async { futures::join!(alarm(&cx, &mut cart), sweep(), alarm(&cx, &mut again)) });
        by_alarm.unwrap();
        by_sweep.unwrap();
        by_alarm_again.unwrap();
        let status = shop.db.text(&format!("SELECT status FROM orders WHERE id = '{order_id}'"));
        assert_eq!(OrderStatus::parse(&status), Some(OrderStatus::Expired));
        assert_eq!(shop.reserved(v), 0, "the units came back once");
        assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = '{order_id}' AND to_status = 'expired'")), 1);
        assert!(cart.pending_orders.is_empty(), "the alarm forgets the order it expired");
    }

    /// A request to `province`/`ward` by `method`, its place located as the edge does.
    fn to_place(province: &str, ward: &str, method: ShippingMethod, shop: &Shop) -> Submission {
        let mut sub = submission("k", "an@example.vn");
        sub.request.address.province_code = Some(province.into());
        sub.request.address.ward_code = Some(ward.into());
        sub.request.shipping_method = method;
        block_on(locate_address(&shop.db, &mut sub.request.address)).unwrap().unwrap();
        sub
    }

    #[test]
    fn the_order_is_charged_the_fee_of_its_zone_and_keeps_the_place_it_was_sent_to() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        shop.db.exec(&format!("UPDATE variants SET weight_grams = 400 WHERE id = {v}"));
        let order_for = |n, province, ward, method| {
            let id = Shop::cart_id(n);
            let mut cart = filled(&shop, &id, v, 1);
            let placed = block_on(place_order(&shop.at(&id, NOW), &mut cart, &to_place(province, ward, method, &shop))).unwrap();
            placed.order
        };
        // The warehouse is in Hồ Chí Minh City (the default): same province, then another region.
        let near = order_for(1, "79", "26743", ShippingMethod::Express);
        assert_eq!((near.shipping_fee.minor(), near.shipping_zone.as_deref(), near.shipping_eta_min, near.shipping_eta_max), (35_000, Some("same_province"), Some(0), Some(1)));
        assert_eq!((near.address_province.as_str(), near.address_ward.as_str()), ("Thành phố Hồ Chí Minh", "Phường Bến Thành"));
        assert_eq!((near.address_province_code.as_deref(), near.address_ward_code.as_deref()), (Some("79"), Some("26743")));
        assert_eq!(near.total, near.subtotal.checked_add(near.shipping_fee).unwrap());
        let far = order_for(2, "01", "00070", ShippingMethod::Standard);
        assert_eq!((far.shipping_fee.minor(), far.shipping_zone.as_deref(), far.address_ward.as_str()), (30_000, Some("other_region"), "Phường Hoàn Kiếm"));
    }

    #[test]
    fn a_method_not_offered_there_is_refused_with_the_cart_priced_for_the_place() {
        let shop = Shop::demo();
        let v = shop.variant(0, 20);
        // 6 kg: above every express bracket.
        shop.db.exec(&format!("UPDATE variants SET weight_grams = 1000 WHERE id = {v}"));
        let id = Shop::cart_id(1);
        let mut cart = filled(&shop, &id, v, 6);
        let refused = block_on(place_order(&shop.at(&id, NOW), &mut cart, &to_place("01", "00070", ShippingMethod::Express, &shop)));
        let Err(CheckoutError::ShippingUnavailable { cart: shown }) = refused else { panic!("{refused:?}") };
        assert_eq!(shown.shipping.iter().map(|q| (q.method, q.fee.minor())).collect::<Vec<_>>(), vec![(ShippingMethod::Standard, 0)], "free from the threshold");
        assert_eq!(shown.weight_grams, 6_000);
        assert_eq!(orders_of(&shop, &id), 0);
    }

    #[test]
    fn an_unknown_province_or_a_ward_of_another_province_is_a_field_error() {
        let db = crate::app::testing::Sqlite::migrated();
        let located = |p: &str, w: &str| {
            let mut a = request("an@example.vn").address;
            a.province_code = Some(p.into());
            a.ward_code = Some(w.into());
            block_on(locate_address(&db, &mut a)).unwrap().map(|()| (a.province, a.ward)).map_err(|e| e.iter().map(|e| e.field).collect::<Vec<_>>())
        };
        assert_eq!(located("01", "00070"), Ok(("Thành phố Hà Nội".into(), "Phường Hoàn Kiếm".into())));
        assert_eq!(located("79", "00070"), Err(vec!["address.ward_code"]), "Hoàn Kiếm is in Hà Nội");
        assert_eq!(located("99", "00070"), Err(vec!["address.province_code"]));
        assert_eq!(located("01", "99999"), Err(vec!["address.ward_code"]));
    }

    #[test]
    fn an_order_is_placed_only_at_the_total_the_shopper_was_shown() {
        let shop = Shop::demo();
        let v = shop.variant(0, 5);
        let id = Shop::cart_id(1);
        let mut cart = filled(&shop, &id, v, 1);
        let cx = shop.at(&id, NOW);
        // The page showed standard's total; express was picked without the summary following.
        let shown = block_on(crate::app::cart::show_to(&cx, &mut cart, Zone::OtherRegion)).unwrap();
        let standard = shown.shipping.iter().find(|q| q.method == ShippingMethod::Standard).unwrap().fee;
        let shown_total = shown.subtotal.checked_add(standard).unwrap();
        let mut sub = to_place("01", "00070", ShippingMethod::Express, &shop);
        sub.expected_total = Some(shown_total);
        let refused = block_on(place_order(&cx, &mut cart, &sub));
        let Err(CheckoutError::TotalChanged { cart: priced }) = refused else { panic!("{refused:?}") };
        let express = priced.shipping.iter().find(|q| q.method == ShippingMethod::Express).unwrap().fee;
        assert_eq!(orders_of(&shop, &id), 0);
        sub.expected_total = Some(shown.subtotal.checked_add(express).unwrap());
        let placed = block_on(place_order(&cx, &mut cart, &sub)).unwrap();
        assert_eq!(placed.order.total, shown.subtotal.checked_add(express).unwrap(), "charged what was shown");
    }
}
