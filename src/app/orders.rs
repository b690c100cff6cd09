//! Orders: the checkout batch that turns a cart's holds into an order, the reads behind the order
//! page and API (rows typed from the column on: `OrderStatus`, `StockState`, `PaymentStatus`), and
//! the expiry sweep that releases overdue holds and expires overdue unpaid orders.

use serde::{Deserialize, Serialize};

use super::cart::LineVariant;
use super::db::{Db, DbError};
use super::sql::{Sql, SqlValue};
use super::stock;
use crate::domain::checkout::{CheckoutRequest, Totals};
use crate::domain::locale::Locale;
use crate::domain::money::{Currency, Money, Vnd};
use crate::domain::orders::{FulfillmentStatus, OrderState, OrderStatus, PaymentState, StockState};
use crate::domain::payments::PaymentStatus;

/// A line as the order keeps it: what was bought, at what price, whatever the catalog does later.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrderLine {
    pub line_no: i64,
    pub variant_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub name_vi: String,
    pub name_en: String,
    pub size: String,
    pub color: String,
    /// The colour's names, looked up when the order is read (the line stores the code).
    #[serde(default)]
    pub color_vi: Option<String>,
    #[serde(default)]
    pub color_en: Option<String>,
    pub image_url: Option<String>,
    pub unit_price: Vnd,
    pub quantity: i64,
    pub line_total: Vnd,
    /// The line's share of the order's discounts (`line_total - discount` is what it cost).
    #[serde(default)]
    pub discount: Vnd,
}

impl OrderLine {
    /// What the shopper paid for the line: its total less its share of the discounts. A refund of
    /// the line gives back at most this.
    pub fn paid(&self) -> Vnd {
        self.line_total.saturating_sub(self.discount).max(Vnd::ZERO)
    }

    pub fn snapshot(line_no: i64, v: &LineVariant, quantity: i64) -> OrderLine {
        OrderLine {
            line_no,
            variant_id: v.id,
            product_id: v.product_id,
            sku: v.sku.clone(),
            name_vi: v.name_vi.clone(),
            name_en: v.name_en.clone(),
            size: v.size.clone(),
            color: v.color.clone(),
            color_vi: v.color_vi.clone(),
            color_en: v.color_en.clone(),
            image_url: v.image_url.clone(),
            unit_price: v.price,
            quantity,
            line_total: v.price.saturating_mul(quantity),
            discount: Vnd::ZERO,
        }
    }
}

pub struct NewOrder<'a> {
    pub id: &'a str,
    pub access_token_hash: &'a str,
    pub cart_id: &'a str,
    pub idempotency_key: &'a str,
    pub request: &'a CheckoutRequest,
    pub locale: Locale,
    pub lines: &'a [OrderLine],
    /// The cart's holds that become the order's reservation: (hold id, units).
    pub holds: &'a [(String, i64)],
    pub totals: Totals,
    pub payment_id: &'a str,
    /// The zone the shipping fee was priced for, and its delivery window in days.
    pub zone: crate::domain::shipping::Zone,
    pub eta_days: [i64; 2],
    pub now: i64,
    pub expires_at: i64,
}

/// One transaction: number the order, convert the cart's holds, insert the order (only if every
/// hold converted with the right quantity — otherwise its total is -1, the CHECK fails and the
/// whole batch rolls back), its lines, first event, pending payment and outbox message.
pub fn create_order_batch(o: &NewOrder) -> Vec<Sql> {
    let mut batch = Vec::new();
    batch.push(Sql::new("UPDATE counters SET value = value + 1 WHERE name = 'order_number'"));
    let hold_ids: Vec<SqlValue> = o.holds.iter().map(|(id, _)| id.as_str().into()).collect();
    let mut convert = Sql::new(format!(
        "UPDATE holds SET state = 'converted', order_id = ?, updated_at = ? WHERE cart_id = ? AND state = 'held' AND id IN ({})",
        Sql::placeholders(hold_ids.len().max(1))
    ))
    .bind(o.id)
    .bind(o.now)
    .bind(o.cart_id);
    if hold_ids.is_empty() {
        convert.params.push("".into());
    }
    convert.params.extend(hold_ids);
    batch.push(convert);

    let mut expected = String::new();
    let mut expected_params: Vec<SqlValue> = Vec::new();
    for (i, (id, qty)) in o.holds.iter().enumerate() {
        if i > 0 {
            expected.push_str(" OR ");
        }
        expected.push_str("(h.id = ? AND h.quantity = ?)");
        expected_params.push(id.as_str().into());
        expected_params.push((*qty).into());
    }
    if expected.is_empty() {
        expected.push_str("0");
    }
    let r = o.request;
    let mut insert = Sql::new(format!(
        "INSERT INTO orders (id, number, access_token_hash, cart_id, idempotency_key, status, stock_state, locale, email, name, phone, \
         address_line1, address_ward, address_district, address_province, address_country, shipping_method, note, payment_provider, \
         address_province_code, address_ward_code, address_postal_code, shipping_zone, shipping_eta_min, shipping_eta_max, \
         currency, subtotal, shipping_fee, discount, total, expires_at, created_at, updated_at) \
         VALUES (?, (SELECT printf('VS-%06d', value) FROM counters WHERE name = 'order_number'), ?, ?, ?, 'pending_payment', 'reserved', ?, ?, ?, ?, \
         ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'VND', ?, ?, ?, \
         CASE WHEN (SELECT COUNT(*) FROM holds h WHERE h.order_id = ? AND h.state = 'converted' AND ({expected})) = ? THEN ? ELSE -1 END, \
         ?, ?, ?)"
    ))
    .bind(o.id)
    .bind(o.access_token_hash)
    .bind(o.cart_id)
    .bind(o.idempotency_key)
    .bind(o.locale.code())
    .bind(r.email_str())
    .bind(r.name.as_str())
    .bind(r.phone.as_str())
    .bind(r.address.line1.as_str())
    .bind(r.address.ward.as_str())
    .bind(r.address.district.as_str())
    .bind(r.address.province.as_str())
    .bind(r.address.country.as_str())
    .bind(r.shipping_method.code())
    .bind(r.note.as_str())
    .bind(r.payment_provider.as_str())
    .bind(r.address.province_code.as_deref())
    .bind(r.address.ward_code.as_deref())
    .bind(r.address.postal_code.as_str())
    .bind(o.zone.code())
    .bind(o.eta_days[0])
    .bind(o.eta_days[1])
    .bind(o.totals.subtotal)
    .bind(o.totals.shipping)
    .bind(o.totals.discount)
    .bind(o.id);
    insert.params.extend(expected_params);
    insert = insert.bind(o.holds.len() as i64).bind(o.totals.total).bind(o.expires_at).bind(o.now).bind(o.now);
    batch.push(insert);
    if r.return_url.is_some() || r.cancel_url.is_some() {
        batch.push(Sql::new("UPDATE orders SET return_url = ?, cancel_url = ? WHERE id = ?").bind(r.return_url.clone().map_or(SqlValue::Null, SqlValue::Text)).bind(r.cancel_url.clone().map_or(SqlValue::Null, SqlValue::Text)).bind(o.id));
    }

    if r.ad_consent {
        batch.push(Sql::new("UPDATE orders SET ad_consent = 1 WHERE id = ?").bind(o.id));
    }

    for l in o.lines {
        batch.push(
            Sql::new(
                "INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, name_vi, name_en, size, color, image_url, \
                 unit_price, quantity, line_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(o.id)
            .bind(l.line_no)
            .bind(l.variant_id)
            .bind(l.product_id)
            .bind(l.sku.as_str())
            .bind(l.name_vi.as_str())
            .bind(l.name_en.as_str())
            .bind(l.size.as_str())
            .bind(l.color.as_str())
            .bind(l.image_url.clone().map_or(SqlValue::Null, SqlValue::Text))
            .bind(l.unit_price)
            .bind(l.quantity)
            .bind(l.line_total),
        );
    }
    batch.push(
        Sql::new("INSERT INTO order_events (order_id, at, from_status, to_status, actor, reason) VALUES (?, ?, NULL, 'pending_payment', 'shopper', 'order placed')")
            .bind(o.id)
            .bind(o.now),
    );
    batch.push(
        Sql::new("INSERT INTO payments (id, order_id, provider, amount, currency, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'VND', 'pending', ?, ?)")
            .bind(o.payment_id)
            .bind(o.id)
            .bind(r.payment_provider.as_str())
            .bind(o.totals.total)
            .bind(o.now)
            .bind(o.now),
    );
    batch.push(super::outbox::order_placed_sql(o.id, o.now));
    batch.push(super::push::order_placed_push_sql(o.id, o.now));
    batch.push(super::zns::order_placed_zns_sql(o.id, o.now));
    batch.push(super::webhooks::order_created_sql(o.id, o.now));
    batch
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: String,
    pub number: String,
    pub access_token_hash: String,
    pub status: OrderStatus,
    pub stock_state: StockState,
    pub locale: String,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub address_line1: String,
    pub address_ward: String,
    pub address_district: String,
    pub address_province: String,
    pub address_country: String,
    pub shipping_method: String,
    pub note: String,
    pub payment_provider: String,
    pub currency: String,
    pub subtotal: Vnd,
    pub shipping_fee: Vnd,
    pub discount: Vnd,
    pub total: Vnd,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    /// Đồng refunded so far (migration 0003).
    #[serde(default)]
    pub refunded_total: Vnd,
    /// What the shop entered when it shipped the order (migration 0006).
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// The place's codes in Vietnam (migration 0023; `None` for orders placed before, which show
    /// their free-text province and district as they were).
    #[serde(default)]
    pub address_province_code: Option<String>,
    #[serde(default)]
    pub address_ward_code: Option<String>,
    #[serde(default)]
    pub address_postal_code: String,
    /// The zone the fee was priced for and the delivery window in days (migration 0023).
    #[serde(default)]
    pub shipping_zone: Option<String>,
    #[serde(default)]
    pub shipping_eta_min: Option<i64>,
    #[serde(default)]
    pub shipping_eta_max: Option<i64>,
    /// Where the money stands, beside `status` (migration 0021).
    pub payment_status: PaymentState,
    /// Where the parcel stands (migration 0021).
    pub fulfillment_status: FulfillmentStatus,
    /// An app's checkout: where the shopper returns after paying, or after a failed payment.
    #[serde(default)]
    pub return_url: Option<String>,
    #[serde(default)]
    pub cancel_url: Option<String>,
}

impl OrderRow {
    /// The three statuses that decide what may happen next (`OrderState::apply`).
    pub fn state(&self) -> OrderState {
        OrderState { status: self.status, payment: self.payment_status, fulfillment: self.fulfillment_status }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderEventRow {
    pub at: i64,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub actor: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentRow {
    pub id: String,
    pub order_id: String,
    pub provider: String,
    pub amount: Vnd,
    pub currency: Currency,
    pub status: PaymentStatus,
    /// What the provider was asked to charge, in minor units of `provider_currency` (USD cents for
    /// PayPal); `None` until the attempt starts. See [`PaymentRow::charged`].
    #[serde(default)]
    pub provider_amount: Option<i64>,
    #[serde(default)]
    pub provider_currency: Option<Currency>,
    #[serde(default)]
    pub fx_rate: Option<String>,
    /// The provider's id for the attempt (session, order, `orderId`, `app_trans_id`).
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// What a refund names at the provider (PaymentIntent, capture, transId, zp_trans_id).
    #[serde(default)]
    pub charge_id: Option<String>,
    #[serde(default)]
    pub failure_code: Option<String>,
    #[serde(default)]
    pub created_at: i64,
}

impl PaymentRow {
    /// What the provider was asked to charge: its amount in its currency once the attempt started,
    /// the payment's own amount before.
    pub fn charged(&self) -> Money {
        Money::new(self.provider_amount.unwrap_or(self.amount.minor()), self.provider_currency.unwrap_or(self.currency))
    }
}

/// The columns `PaymentRow` reads.
pub const PAYMENT_COLUMNS: &str =
    "id, order_id, provider, amount, currency, status, provider_amount, provider_currency, fx_rate, external_id, redirect_url, charge_id, failure_code, created_at";

/// Everything the order page and API show.
#[derive(Clone, Debug)]
pub struct OrderDetail {
    pub order: OrderRow,
    pub lines: Vec<OrderLine>,
    pub events: Vec<OrderEventRow>,
    pub payments: Vec<PaymentRow>,
    /// The promotions it used, as snapshotted when it was placed.
    pub discounts: Vec<super::promotions::RedemptionRow>,
}

const ORDER_COLUMNS: &str = "id, number, access_token_hash, status, stock_state, locale, email, name, phone, address_line1, address_ward, \
    address_district, address_province, address_country, shipping_method, note, payment_provider, currency, subtotal, shipping_fee, \
    discount, total, expires_at, paid_at, created_at, refunded_total, carrier, tracking_number, payment_status, fulfillment_status, \
    address_province_code, address_ward_code, address_postal_code, shipping_zone, shipping_eta_min, shipping_eta_max, return_url, cancel_url";

pub fn order_by_id_sql(id: &str) -> Sql {
    Sql::new(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?")).bind(id)
}

pub fn order_by_idempotency_sql(key: &str) -> Sql {
    Sql::new(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE idempotency_key = ?")).bind(key)
}

pub fn order_detail_batch(id: &str) -> [Sql; 4] {
    [
        order_by_id_sql(id),
        Sql::new(
            "SELECT l.line_no, l.variant_id, l.product_id, l.sku, l.name_vi, l.name_en, l.size, l.color, \
             c.name_vi AS color_vi, c.name_en AS color_en, l.image_url, l.unit_price, l.quantity, l.line_total, l.discount \
             FROM order_lines l LEFT JOIN colors c ON c.code = l.color WHERE l.order_id = ? ORDER BY l.line_no",
        )
        .bind(id),
        Sql::new("SELECT at, from_status, to_status, actor, reason FROM order_events WHERE order_id = ? ORDER BY id").bind(id),
        Sql::new(format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = ? ORDER BY created_at, rowid")).bind(id),
    ]
}

pub fn payment_by_id_sql(id: &str) -> Sql {
    Sql::new(format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?")).bind(id)
}

/// The order a payment attempt belongs to.
pub fn order_of_payment_sql(payment_id: &str) -> Sql {
    Sql::new(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = (SELECT order_id FROM payments WHERE id = ?)")).bind(payment_id)
}

/// Records a provider notification; a redelivered event id inserts nothing.
pub fn record_payment_event(provider: &str, event_id: &str, payment_id: &str, kind: &str, payload: &str, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO payment_events (provider, event_id, payment_id, kind, payload, received_at) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (provider, event_id) DO NOTHING",
    )
    .bind(provider)
    .bind(event_id)
    .bind(payment_id)
    .bind(kind)
    .bind(payload)
    .bind(now)
}

/// Moves a payment to its outcome, once, from the statuses `PaymentStatus::settles_from` allows (a
/// success also settles a declined or cancelled attempt; a failure never undoes a success).
pub fn settle_payment(payment_id: &str, status: PaymentStatus, now: i64) -> Sql {
    let from = status.settles_from();
    let mut sql = Sql::new(format!("UPDATE payments SET status = ?, updated_at = ? WHERE id = ? AND status IN ({})", Sql::placeholders(from.len().max(1))))
        .bind(status.code())
        .bind(now)
        .bind(payment_id);
    if from.is_empty() {
        sql.params.push(SqlValue::Null);
    }
    sql.params.extend(from.iter().map(|s| SqlValue::from(s.code())));
    sql
}

// ---------------------------------------------------------------------------------------------
// The expiry sweep
// ---------------------------------------------------------------------------------------------

/// Orders expired per sweep; the rest wait for the next run.
pub const SWEEP_ORDERS: i64 = 200;
/// Orders expired per round trip: each is its own gated move, so a batch of them stays correct
/// whoever else (the cart's alarm, a late payment) moves one of them meanwhile.
const EXPIRE_CHUNK: usize = 25;

/// What one sweep changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Overdue cart holds given back.
    pub released_holds: u64,
    /// Unpaid orders this run expired (an order the alarm expired first is not counted).
    pub expired_orders: u64,
    /// Overdue unpaid orders found.
    pub checked_orders: u64,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// The safety net behind the carts' alarms: releases every overdue hold and expires every overdue
/// unpaid order (up to [`SWEEP_ORDERS`]), through the same gated statements as the alarms, so the
/// two together, or two sweeps, still change stock once.
pub async fn sweep(db: &impl Db, now: i64) -> Result<SweepReport, DbError> {
    let [reserve, mark] = stock::release_holds(None, Some(now), now);
    let [_, released, overdue] = super::db::expect_n::<3>(db.batch(&[reserve, mark, stock::overdue_orders(now, SWEEP_ORDERS)]).await?, "sweep holds")?;
    let overdue: Vec<IdRow> = overdue.decode()?;
    let mut report = SweepReport { released_holds: released.changes(), expired_orders: 0, checked_orders: overdue.len() as u64 };
    for chunk in overdue.chunks(EXPIRE_CHUNK) {
        let mut batch = Vec::new();
        let mut flips = Vec::with_capacity(chunk.len());
        for row in chunk {
            let moves = stock::expire_order(&row.id, now, "sweep");
            flips.push(batch.len() + stock::flip_index(&moves).unwrap_or(moves.len()));
            batch.extend(moves);
        }
        let results = db.batch(&batch).await?;
        report.expired_orders += flips.iter().map(|&i| results.get(i).map_or(0, |r| r.changes())).sum::<u64>();
    }
    Ok(report)
}

/// Orders placed in a test database through the checkout's own statements, for the flows' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::checkout::{validate, AddressForm, CheckoutForm};

    /// An order as placed: its ids, what it took and what it costs.
    pub struct Placed {
        pub id: String,
        pub payment_id: String,
        pub variant_id: i64,
        pub total: Vnd,
    }

    /// The `nth` variant (of an active product) with at least `units` free.
    pub fn free_variant(db: &Sqlite, units: i64, nth: i64) -> i64 {
        db.int(&format!(
            "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE v.status = 'active' AND p.status = 'active' \
             AND v.on_hand - v.reserved >= {units} ORDER BY v.id LIMIT 1 OFFSET {nth}"
        ))
    }

    /// `(on_hand, reserved)` of a variant.
    pub fn stock(db: &Sqlite, variant_id: i64) -> (i64, i64) {
        (db.int(&format!("SELECT on_hand FROM variants WHERE id = {variant_id}")), db.int(&format!("SELECT reserved FROM variants WHERE id = {variant_id}")))
    }

    /// Ids unique to `seed`, shaped like the Worker's (32 hex digits).
    pub fn id(kind: u32, seed: u32) -> String {
        format!("{kind:08x}{seed:024x}")
    }

    /// A cart (numbered `seed`) takes `quantity` units of `variant_id` at `now` and checks out,
    /// paying with `provider`; the order expires at `expires_at`.
    pub fn place_order(db: &Sqlite, seed: u32, variant_id: i64, quantity: i64, provider: &str, now: i64, expires_at: i64) -> Placed {
        place_order_as(db, seed, variant_id, quantity, provider, now, expires_at, false)
    }

    /// `place_order` by a buyer whose consent cookie granted advertising (`ad_consent`) or not.
    #[expect(clippy::too_many_arguments, reason = "a test fixture: place_order's arguments and the consent")]
    pub fn place_order_as(db: &Sqlite, seed: u32, variant_id: i64, quantity: i64, provider: &str, now: i64, expires_at: i64, ad_consent: bool) -> Placed {
        let (order_id, payment_id, cart_id, hold_id) = (id(1, seed), id(2, seed), id(3, seed), id(4, seed));
        let held = block_on(db.batch(&stock::take_hold(&hold_id, &cart_id, variant_id, quantity, now, expires_at))).expect("hold");
        assert_eq!(held[1].changes(), 1, "the cart's hold was taken");
        let price = Vnd::new(db.int(&format!("SELECT price FROM variants WHERE id = {variant_id}")));
        let subtotal = price.checked_mul(quantity).expect("a sane price");
        let line = OrderLine {
            line_no: 1,
            variant_id,
            product_id: db.int(&format!("SELECT product_id FROM variants WHERE id = {variant_id}")),
            sku: db.text(&format!("SELECT sku FROM variants WHERE id = {variant_id}")),
            name_vi: "Gile len".into(),
            name_en: "Knit vest".into(),
            size: db.text(&format!("SELECT size FROM variants WHERE id = {variant_id}")),
            color: db.text(&format!("SELECT color FROM variants WHERE id = {variant_id}")),
            color_vi: None,
            color_en: None,
            image_url: None,
            unit_price: price,
            quantity,
            line_total: subtotal,
            discount: Vnd::ZERO,
        };
        let form = CheckoutForm {
            email: "an@example.vn".into(),
            name: "Nguyễn An".into(),
            phone: "0912345678".into(),
            address: AddressForm { line1: "1 Lý Thái Tổ".into(), province_code: "01".into(), ward_code: "00070".into(), ..AddressForm::default() },
            shipping_method: "standard".into(),
            payment_provider: provider.into(),
            note: None,
        };
        let request = CheckoutRequest { ad_consent, ..validate(&form, &[provider]).expect("a valid checkout") };
        let shipping = Vnd::new(30_000);
        let totals = Totals { subtotal, shipping, discount: Vnd::ZERO, total: subtotal.checked_add(shipping).expect("a sane total") };
        let key = format!("{cart_id}:k");
        let holds = [(hold_id, quantity)];
        let order = NewOrder {
            id: &order_id,
            access_token_hash: "t",
            cart_id: &cart_id,
            idempotency_key: &key,
            request: &request,
            locale: Locale::Vi,
            lines: std::slice::from_ref(&line),
            holds: &holds,
            totals,
            payment_id: &payment_id,
            zone: crate::domain::shipping::Zone::OtherRegion,
            eta_days: [3, 5],
            now,
            expires_at,
        };
        block_on(db.batch(&create_order_batch(&order))).expect("the order is placed");
        Placed { id: order_id, payment_id, variant_id, total: totals.total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkout::{validate, AddressForm, CheckoutForm};

    #[test]
    fn the_checkout_batch_binds_every_placeholder() {
        let form = CheckoutForm {
            email: "a@b.vn".into(),
            name: "An".into(),
            phone: "0912345678".into(),
            address: AddressForm { line1: "1".into(), province_code: "01".into(), ward_code: "00070".into(), ..AddressForm::default() },
            shipping_method: "standard".into(),
            payment_provider: "sandbox".into(),
            note: None,
        };
        let request = validate(&form, &["sandbox"]).unwrap();
        let line = OrderLine {
            line_no: 1,
            variant_id: 1,
            product_id: 1,
            sku: "S".into(),
            name_vi: "A".into(),
            name_en: "A".into(),
            size: "M".into(),
            color: "black".into(),
            color_vi: None,
            color_en: None,
            image_url: None,
            unit_price: Vnd::new(100),
            quantity: 2,
            line_total: Vnd::new(200),
            discount: Vnd::ZERO,
        };
        // A line refund gives back at most what the line cost after its share of the discounts.
        assert_eq!(OrderLine { discount: Vnd::new(50), ..line.clone() }.paid(), Vnd::new(150));
        let holds = vec![("h1".to_string(), 2), ("h2".to_string(), 1)];
        let order = NewOrder {
            id: "o",
            access_token_hash: "t",
            cart_id: "c",
            idempotency_key: "c:k",
            request: &request,
            locale: Locale::Vi,
            lines: &[line],
            holds: &holds,
            totals: Totals { subtotal: Vnd::new(200), shipping: Vnd::new(30_000), discount: Vnd::ZERO, total: Vnd::new(30_200) },
            payment_id: "p",
            zone: crate::domain::shipping::Zone::SameRegion,
            eta_days: [2, 3],
            now: 1,
            expires_at: 901,
        };
        for sql in create_order_batch(&order) {
            // Numbered placeholders (`?1`, reused) bind as many values as the highest number.
            let numbered = (1..=9).rev().find(|n| sql.text.contains(&format!("?{n}")));
            assert_eq!(numbered.unwrap_or_else(|| sql.placeholder_count()), sql.params.len(), "{}", sql.text);
        }
    }

    mod sweep {
        use super::super::fixtures::{free_variant, place_order, stock};
        use super::super::*;
        use crate::app::testing::{block_on, Sqlite};

        const NOW: i64 = 1_800_000_000;

        #[test]
        fn the_sweep_run_twice_expires_once_and_releases_once() {
            let db = Sqlite::demo();
            let (v, w) = (free_variant(&db, 3, 0), free_variant(&db, 3, 1));
            let before = (stock(&db, v), stock(&db, w));
            // An unpaid order past its expiry, and another cart's hold past its own.
            let order = place_order(&db, 1, v, 2, "sandbox", NOW - 1_000, NOW - 100);
            block_on(db.batch(&stock::take_hold("hold-w", "cart-w", w, 3, NOW - 1_000, NOW - 10))).unwrap();
            assert_eq!(stock(&db, w).1, before.1 .1 + 3);

            let first = block_on(sweep(&db, NOW)).unwrap();
            assert_eq!(first, SweepReport { released_holds: 1, expired_orders: 1, checked_orders: 1 });
            let second = block_on(sweep(&db, NOW + 60)).unwrap();
            assert_eq!(second, SweepReport::default(), "nothing is left to release or expire");

            assert_eq!((stock(&db, v), stock(&db, w)), before, "every unit is back on sale, once");
            assert_eq!(db.text(&format!("SELECT status FROM orders WHERE id = '{}'", order.id)), "expired");
            assert_eq!(db.int(&format!("SELECT COUNT(*) FROM order_events WHERE order_id = '{}' AND to_status = 'expired'", order.id)), 1);
            assert_eq!(db.int("SELECT COUNT(*) FROM holds WHERE state = 'held'"), 0);
        }

        #[test]
        fn the_sweep_leaves_orders_and_holds_that_are_not_due() {
            let db = Sqlite::demo();
            let v = free_variant(&db, 2, 0);
            place_order(&db, 1, v, 2, "sandbox", NOW - 10, NOW + 900);
            let report = block_on(sweep(&db, NOW)).unwrap();
            assert_eq!(report, SweepReport::default());
            assert_eq!(db.int("SELECT COUNT(*) FROM orders WHERE status = 'pending_payment'"), 1);
        }

        #[test]
        fn a_sweep_and_an_alarm_racing_for_one_order_expire_it_once() {
            let db = Sqlite::demo();
            let v = free_variant(&db, 2, 0);
            let before = stock(&db, v);
            let order = place_order(&db, 1, v, 2, "sandbox", NOW - 1_000, NOW - 100);
            let alarm = async { db.batch(&stock::expire_order(&order.id, NOW, "alarm")).await.map(|r| r[stock::flip_index(&stock::expire_order(&order.id, NOW, "alarm")).unwrap()].changes()) };
            let (report, alarm) = block_on(async { futures::join!(sweep(&db, NOW), alarm) });
            assert_eq!(report.unwrap().expired_orders + alarm.unwrap(), 1, "one of them expired it");
            assert_eq!(stock(&db, v), before);
            assert_eq!(db.int("SELECT COUNT(*) FROM order_events WHERE to_status = 'expired'"), 1);
        }
    }
}
