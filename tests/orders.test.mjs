// Checkout, orders and payments against the built Worker: one order per idempotency key (JSON and
// HTML, repeated and concurrent), totals only from server prices, checkout validation, the signed
// sandbox webhook (duplicates, forgeries, failures) and who may see an order. Expected values come
// from the database and the product API.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';

import { browser } from './support/accounts.mjs';
import { parseHtml } from './support/html.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { assertStockReconciles, checkoutBody, checkoutForm, cookiesOf, flip, newKey, shippingFee, signSandbox, variantPool } from './support/shopping.mjs';

const pool = variantPool();

useShop();

/** An HTML shopper: adds with the form, so the cart lives in the cookie; returns { cookie, cartId }. */
async function htmlCartWith(v, quantity) {
  const res = await s.postForm('/cart/items', { variant_id: v.id, quantity });
  assert.equal(res.status, 303);
  const { header } = cookiesOf(res);
  return { cookie: header, cartId: /vestify_cart=([0-9a-f]{32})/.exec(header)[1] };
}

/** The checkout page's form fields, filled in as a shopper would, with its hidden idempotency key. */
async function filledCheckoutForm(cookie) {
  const page = await s.getPage('/checkout', cookie);
  assert.equal(page.status, 200, page.text.slice(0, 300));
  const key = page.doc.find('input[name="idempotency_key"]')?.attr('value');
  assert.match(key ?? '', /^[0-9a-f]{32}$/);
  return { idempotency_key: key, ...checkoutForm() };
}

const ordersOfCart = async (cartId) => shop.sql(`SELECT id, number, status FROM orders WHERE cart_id = '${cartId}'`);

describe('idempotent checkout', () => {
  it('answers a repeated key with the same order, and empties the cart only once', async () => {
    const [v, w] = pool.take(2);
    const before = await s.stock([v, w]);
    const { cart } = await s.cartWith([[v, 2]]);
    const key = newKey();
    const first = await s.checkout(cart, checkoutBody(), key);
    assert.equal(first.status, 201, first.text);
    const again = await s.checkout(cart, checkoutBody(), key);
    assert.equal(again.status, 201, again.text);
    assert.deepEqual(
      [again.json.order.id, again.json.order.number, again.json.order.access_token, again.json.payment.redirect_url],
      [first.json.order.id, first.json.order.number, first.json.order.access_token, first.json.payment.redirect_url],
    );
    assert.deepEqual((await s.getCart(cart)).json.lines, [], 'the cart was emptied');

    // The shopper fills the cart again; replaying the old key must not take the new line.
    assert.equal((await s.addItem(cart, w.id, 1)).status, 201);
    const replay = await s.checkout(cart, checkoutBody(), key);
    assert.equal(replay.json.order.id, first.json.order.id);
    assert.deepEqual((await s.getCart(cart)).json.lines.map((l) => [l.variant_id, l.quantity, l.held]), [[w.id, 1, 1]]);
    // A new key with an empty cart would be refused; here it orders the new line.
    const second = await s.checkout(cart, checkoutBody(), newKey());
    assert.equal(second.status, 201);
    assert.notEqual(second.json.order.id, first.json.order.id);
    const empty = await s.checkout(cart, checkoutBody(), newKey());
    assert.equal(empty.status, 409);
    assert.equal(empty.json.error.code, 'cart_empty');

    const orders = await ordersOfCart(cart.id);
    assert.equal(orders.length, 2);
    const after = await s.stock([v, w]);
    assert.equal(after[v.id].reserved, before[v.id].reserved + 2, 'reserved once for the first order');
    assert.equal(after[w.id].reserved, before[w.id].reserved + 1);
  });

  it('turns concurrent submissions with one key into one order', async () => {
    const [v] = pool.take(1);
    const before = await s.stock([v]);
    const { cart } = await s.cartWith([[v, 3]]);
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 6 }, () => s.checkout(cart, checkoutBody(), key)));
    assert.deepEqual(results.map((r) => r.status), results.map(() => 201), results.map((r) => r.text).join('\n'));
    assert.equal(new Set(results.map((r) => r.json.order.id)).size, 1, 'the same order for every submission');
    const [orders, holds, stockRows] = await shop.sqlAll(`
      SELECT id FROM orders WHERE cart_id = '${cart.id}';
      SELECT state, quantity, order_id FROM holds WHERE cart_id = '${cart.id}';
      SELECT reserved FROM variants WHERE id = ${v.id}`);
    assert.deepEqual(orders, [{ id: results[0].json.order.id }]);
    assert.deepEqual(holds, [{ state: 'converted', quantity: 3, order_id: results[0].json.order.id }]);
    assert.deepEqual(stockRows, [{ reserved: before[v.id].reserved + 3 }], 'reserved is not double-counted');
  });

  it('turns a double-submitted HTML checkout form into one order', async () => {
    const [v, w] = pool.take(2);
    const before = await s.stock([v, w]);
    // One after the other, as a second click after a slow answer...
    const one = await htmlCartWith(v, 2);
    const form = await filledCheckoutForm(one.cookie);
    const first = await s.postForm('/checkout', form, { cookie: one.cookie });
    const second = await s.postForm('/checkout', form, { cookie: one.cookie });
    assert.equal(first.status, 303);
    assert.match(first.headers.get('location'), /^\/pay\/sandbox\/[0-9a-f]{32}\?t=[0-9a-f]{64}$/);
    assert.equal(second.status, 303);
    assert.equal(second.headers.get('location'), first.headers.get('location'));
    // ...and both at once, as a double click.
    const two = await htmlCartWith(w, 1);
    const form2 = await filledCheckoutForm(two.cookie);
    const both = await Promise.all([s.postForm('/checkout', form2, { cookie: two.cookie }), s.postForm('/checkout', form2, { cookie: two.cookie })]);
    assert.deepEqual(both.map((r) => r.status), [303, 303]);
    assert.equal(both[0].headers.get('location'), both[1].headers.get('location'));
    assert.match(both[0].headers.get('location'), /^\/pay\/sandbox\//);

    assert.equal((await ordersOfCart(one.cartId)).length, 1);
    assert.equal((await ordersOfCart(two.cartId)).length, 1);
    const after = await s.stock([v, w]);
    assert.equal(after[v.id].reserved, before[v.id].reserved + 2);
    assert.equal(after[w.id].reserved, before[w.id].reserved + 1);
  });
});

describe('order totals', () => {
  /** Unit prices as the public product API shows them. */
  async function apiPrice(v) {
    const res = await shop.getJson(`/api/v1/products/${v.slug}`);
    assert.equal(res.status, 200);
    return res.json.product.variants.find((x) => x.id === v.id).price;
  }

  /** The fee to the body's address (Hà Nội, another region than the warehouse) for the seeded weights. */
  const shippingFor = (method, subtotal, lines) => shippingFee(method, subtotal, lines.reduce((g, [v, q]) => g + v.weight_grams * q, 0));

  it('come from server prices and quantities, whatever price fields the body carries', async () => {
    const [cheap, other, pricey] = pool.take(3, (v) => v.price < 500_000);
    const cases = [
      { lines: [[cheap, 1]], method: 'standard' },
      { lines: [[other, 1], [pricey, 3]], method: 'standard' },
      { lines: [[cheap, 2]], method: 'express' },
    ];
    for (const { lines, method } of cases) {
      const priced = await Promise.all(lines.map(async ([v, q]) => ({ v, q, price: await apiPrice(v) })));
      const subtotal = priced.reduce((sum, l) => sum + l.price * l.q, 0);
      const { cart } = await s.cartWith(lines);
      const tampered = {
        ...checkoutBody({ shipping_method: method }),
        subtotal: 1,
        total: 1,
        shipping: 0,
        shipping_fee: 0,
        discount: subtotal,
        totals: { subtotal: 1, shipping: 0, discount: 0, total: 1 },
        price: 1,
        unit_price: 1,
        currency: 'USD',
        lines: lines.map(([v, q]) => ({ variant_id: v.id, quantity: q, unit_price: 1, line_total: 1 })),
      };
      const res = await s.checkout(cart, tampered);
      assert.equal(res.status, 201, res.text);
      const { order } = res.json;
      const shipping = shippingFor(method, subtotal, lines);
      assert.deepEqual(order.totals, { subtotal, shipping, discount: 0, total: subtotal + shipping }, `${method}, subtotal ${subtotal}`);
      assert.equal(order.currency, 'VND');
      assert.deepEqual(
        order.lines.map((l) => [l.variant_id, l.unit_price, l.quantity, l.line_total]),
        priced.map((l) => [l.v.id, l.price, l.q, l.price * l.q]),
      );
      assert.deepEqual(order.payments.map((p) => p.amount), [subtotal + shipping], 'the payment asks for the real total');
      const [row] = await shop.sql(`SELECT subtotal, shipping_fee, discount, total FROM orders WHERE id = '${order.id}'`);
      assert.deepEqual(row, { subtotal, shipping_fee: shipping, discount: 0, total: subtotal + shipping });
    }
  });
});

describe('checkout without JavaScript', () => {
  it('shows the wards and fees for the place on Update, and places the order only at the total shown', async () => {
    const [v] = pool.take(1, (x) => x.price < 500_000);
    const { cookie, cartId } = await htmlCartWith(v, 1);
    const form = await filledCheckoutForm(cookie);
    const hcm = { ...form, 'address.province_code': '79', 'address.ward_code': '', shipping_method: 'express' };
    const standard = v.price + shippingFee('standard', v.price, v.weight_grams, 'same_province');
    const express = v.price + shippingFee('express', v.price, v.weight_grams, 'same_province');

    // "Update": the province's wards and the fees there, nothing placed.
    const updated = await s.postForm('/checkout', { ...hcm, refresh: '1' }, { cookie });
    assert.equal(updated.status, 200, updated.text.slice(0, 300));
    updated.doc = parseHtml(updated.text);
    assert.ok(updated.doc.find('select[name="address.ward_code"] option[value="26743"]'), 'Hồ Chí Minh City\'s wards');
    const radio = (m) => updated.doc.find(`input[name="shipping_method"][value="${m}"]`);
    assert.deepEqual([Number(radio('standard').attr('data-total')), Number(radio('express').attr('data-total'))], [standard, express]);
    assert.equal(Number(updated.doc.find('.summary [data-total]').attr('data-total')), express, 'the summary shows the method chosen');
    assert.equal(Number(updated.doc.find('input[name="expected_total"]').attr('value')), express);
    assert.deepEqual(await ordersOfCart(cartId), []);

    // Express sent with the total of a page that still showed standard: shown again, not placed.
    const chosen = { ...hcm, 'address.ward_code': '26743' };
    const stale = await s.postForm('/checkout', { ...chosen, expected_total: String(standard) }, { cookie });
    assert.equal(stale.status, 409);
    stale.doc = parseHtml(stale.text);
    assert.ok(stale.doc.find('.total-changed'), 'the page says the total changed');
    assert.equal(Number(stale.doc.find('.summary [data-total]').attr('data-total')), express);
    assert.deepEqual(await ordersOfCart(cartId), []);

    const placed = await s.postForm('/checkout', { ...chosen, expected_total: String(express) }, { cookie });
    assert.equal(placed.status, 303, placed.text.slice(0, 300));
    const [row] = await shop.sql(`SELECT total, shipping_method, shipping_zone FROM orders WHERE cart_id = '${cartId}'`);
    assert.deepEqual(row, { total: express, shipping_method: 'express', shipping_zone: 'same_province' }, 'charged what was shown');
  });
});

describe('checkout validation', () => {
  it('answers 400 with every bad field, and creates nothing', async () => {
    const [v] = pool.take(1);
    const { cart } = await s.cartWith([[v, 1]]);
    const before = await s.stock([v]);
    const noAddress = checkoutBody();
    delete noAddress.address;
    const cases = [
      ['a bad email', checkoutBody({ email: 'an.nguyen@' }), ['email']],
      ['a bad phone', checkoutBody({ phone: '12345' }), ['phone']],
      ['a foreign-looking number for Vietnam', checkoutBody({ phone: '0112345678' }), ['phone']],
      ['no address', noAddress, ['address.line1', 'address.province_code', 'address.ward_code']],
      ['an unknown shipping method', checkoutBody({ shipping_method: 'drone' }), ['shipping_method']],
      ['an unknown payment provider', checkoutBody({ payment_provider: 'cash' }), ['payment_provider']],
      // A Vietnamese delivery (the default) needs a phone, not an email.
      ['nothing at all', {}, ['address.line1', 'address.province_code', 'address.ward_code', 'name', 'payment_provider', 'phone', 'shipping_method']],
      ['no email abroad', checkoutBody({ email: '', phone: '+65 6123 4567', address: { line1: '1 Raffles Place', province: 'Singapore', country: 'SG' } }), ['email']],
    ];
    for (const [what, body, fields] of cases) {
      const res = await s.checkout(cart, body);
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(res.json.error.code, 'invalid_parameters', what);
      assert.deepEqual(Object.keys(res.json.error.fields).sort(), fields, what);
    }
    const malformed = await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, { body: '{"email": ', headers: { 'x-cart-token': cart.token } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, 'invalid_parameters');

    assert.deepEqual(await ordersOfCart(cart.id), [], 'no order');
    assert.deepEqual(await s.stock([v]), before, 'no stock moved');
    assert.deepEqual((await s.getCart(cart)).json.lines.map((l) => [l.variant_id, l.quantity, l.held]), [[v.id, 1, 1]], 'the cart is untouched');
  });

  it('accepts Vietnamese phone numbers as people write them, stored in one form', async () => {
    const formats = ['0912345678', '091 234 5678', '0912.345.678', '0912-345-678', '+84912345678', '84912345678', '+84 91 234 5678', '0243 825 1234', '0352345678'];
    const [v] = pool.take(1);
    for (const phone of formats) {
      const { cart } = await s.cartWith([[v, 1]]);
      const res = await s.checkout(cart, checkoutBody({ phone }));
      assert.equal(res.status, 201, `${phone}: ${res.text}`);
      const digits = phone.replace(/\D/g, '');
      const national = digits.startsWith('84') ? digits.slice(2) : digits.slice(1);
      const [row] = await shop.sql(`SELECT phone FROM orders WHERE id = '${res.json.order.id}'`);
      assert.equal(row.phone, `+84${national}`, phone);
    }
  });
});

describe('phone-first checkout', () => {
  it('places a Vietnamese order with a phone and no email (API and form); its page shows the phone as read in Vietnam and the note', async () => {
    const [v] = pool.take(1);
    const { cart } = await s.cartWith([[v, 1]]);
    const res = await s.checkout(cart, checkoutBody({ email: '', phone: '84912345678', note: 'Gọi trước khi giao' }));
    assert.equal(res.status, 201, res.text);
    const order = res.json.order;
    const [row] = await shop.sql(`SELECT email, phone, note FROM orders WHERE id = '${order.id}'`);
    assert.deepEqual(row, { email: '', phone: '+84912345678', note: 'Gọi trước khi giao' });
    const page = await s.getPage(`/orders/${order.id}?t=${order.access_token}`);
    assert.equal(page.status, 200);
    assert.equal(page.doc.find('[data-phone]').text.trim(), '0912 345 678');
    assert.equal(page.doc.find('.order-note').text.trim(), 'Gọi trước khi giao');
    // Cancelling works as for any order. No email goes to nobody: the buyer's messages go to the
    // phone, by Zalo ZNS (docs/NOTIFICATIONS.md).
    assert.equal((await s.postForm(`/orders/${order.id}/cancel`, { t: order.access_token })).status, 303);
    assert.deepEqual(await shop.sql(`SELECT status FROM orders WHERE id = '${order.id}'`), [{ status: 'cancelled' }]);
    assert.deepEqual(await shop.sql(`SELECT kind, channel, recipient FROM outbox WHERE json_extract(payload, '$.order_id') = '${order.id}' ORDER BY id`), [
      { kind: 'order_placed', channel: 'zns', recipient: '+84912345678' },
      { kind: 'order_cancelled', channel: 'zns', recipient: '+84912345678' },
    ]);

    // The HTML form: no email, the form still places the order.
    const html = await htmlCartWith(v, 1);
    const fields = { ...(await filledCheckoutForm(html.cookie)), email: '', note: 'Giao giờ hành chính' };
    const placed = await s.postForm('/checkout', fields, { cookie: html.cookie });
    assert.equal(placed.status, 303, placed.text?.slice(0, 300));
    const [made] = await ordersOfCart(html.cartId);
    const [stored] = await shop.sql(`SELECT email, phone, note FROM orders WHERE id = '${made.id}'`);
    assert.deepEqual(stored, { email: '', phone: '+84912345678', note: 'Giao giờ hành chính' });
  });

  it("accepts a tourist's foreign mobile for a delivery in Vietnam, shown in international format", async () => {
    const [v] = pool.take(1);
    const { cart } = await s.cartWith([[v, 1]]);
    const body = checkoutBody({ phone: '+1 (415) 555-0100', address: { ...checkoutBody().address, line1: 'Khách sạn Rex, 141 Nguyễn Huệ', ward: 'Phường Bến Nghé', district: 'Quận 1', province: 'TP. Hồ Chí Minh' } });
    const res = await s.checkout(cart, body);
    assert.equal(res.status, 201, res.text);
    const [row] = await shop.sql(`SELECT phone FROM orders WHERE id = '${res.json.order.id}'`);
    assert.equal(row.phone, '+14155550100');
    const page = await s.getPage(`/orders/${res.json.order.id}?t=${res.json.order.access_token}`);
    assert.equal(page.doc.find('[data-phone]').text.trim(), '+1 415 555 0100');
    // Without its country code a foreign number is not a Vietnamese one.
    const bad = await s.checkout((await s.cartWith([[v, 1]])).cart, checkoutBody({ phone: '415 555 0100' }));
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.json.error.fields), ['phone']);
  });
});

describe('order lookup', () => {
  const from = (ip) => ({ headers: { 'cf-connecting-ip': ip } });
  const notFoundText = (res) => parseHtml(res.text).find('.lookup-not-found')?.text.trim();

  it('opens the order by a signed link for its number with its phone or email, and answers a wrong pair exactly as an unknown order', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 1]], checkoutBody({ email: 'tra.cuu@example.vn', phone: '0987 654 321' }));
    const b = browser(shop);
    const ip = from('198.51.100.10');
    for (const [number, contact] of [[order.number, '0987654321'], [order.number.toLowerCase(), '+84 987 654 321'], [order.number.replace(/^VS-0*/, ''), 'TRA.CUU@example.vn']]) {
      const res = await b.submit('/orders/lookup', { number, contact }, ip);
      assert.equal(res.status, 303, `${number} ${contact}: ${res.status}`);
      const location = res.headers.get('location');
      // A fresh link that expires (`{expires}.{signature}`), not the order's lasting token.
      const m = location.match(new RegExp(`^/orders/${order.id}\\?t=(\\d+)\\.([0-9a-f]{64})$`));
      assert.ok(m, location);
      const expires = Number(m[1]);
      const inSeconds = expires - Date.now() / 1000;
      assert.ok(inSeconds > 7100 && inSeconds <= 7200 + 5, `expires in ${inSeconds} s`);
      const page = await s.getPage(location);
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(order.number));
      // The link opens this order only, and only at the expiry it was signed with.
      assert.equal((await s.getPage(`/orders/${order.id}?t=${expires + 86400}.${m[2]}`)).status, 404);
      assert.equal((await s.getPage(`/orders/${'0'.repeat(32)}?t=${m[1]}.${m[2]}`)).status, 404);
    }
    // A link signed by the shop whose time is over: the lookup form again, saying so.
    const past = Math.floor(Date.now() / 1000) - 60;
    const stale = createHmac('sha256', shop.secrets.shop).update(`order-lookup:${order.id}:${past}`).digest('hex');
    const expired = await s.getPage(`/orders/${order.id}?t=${past}.${stale}`);
    assert.equal(expired.status, 410);
    assert.match(expired.doc.find('.lookup-expired').text, /đã hết hạn/);
    assert.ok(!expired.text.includes(order.number));
    // A wrong phone, a wrong email, an unknown number: one answer, no link.
    const answers = [];
    for (const [number, contact] of [[order.number, '0912 000 111'], [order.number, 'someone@example.vn'], ['VS-987654', '0987654321'], ['VS-987654', 'tra.cuu@example.vn']]) {
      const res = await b.submit('/orders/lookup', { number, contact }, ip);
      assert.equal(res.headers.get('location'), null);
      answers.push([res.status, notFoundText(res), res.text.includes(order.id)]);
    }
    assert.equal(answers[0][0], 404);
    assert.match(answers[0][1], /Không tìm thấy đơn hàng/);
    assert.deepEqual(answers, Array(4).fill(answers[0]), 'the same answer whatever was wrong');
    // English, and a malformed field is a 422 about the field only.
    const en = await b.submit('/en/orders/lookup', { number: 'VS-987654', contact: '0987654321' }, ip);
    assert.equal(en.status, 404);
    assert.match(notFoundText(en), /No order matches/);
    const malformed = await b.submit('/orders/lookup', { number: 'abc', contact: '' }, ip);
    assert.equal(malformed.status, 422);
    assert.deepEqual(parseHtml(malformed.text).findAll('.field-error').map((e) => e.attr('data-field')), ['number', 'contact']);
  });

  it('is rate-limited per client', async () => {
    const b = browser(shop);
    const token = await b.token('/orders/lookup', '/orders/lookup');
    const statuses = [];
    for (let i = 0; i < 11; i += 1) {
      statuses.push((await b.submit('/orders/lookup', { number: 'VS-987654', contact: '0987654321' }, { ...from('198.51.100.20'), csrf: token })).status);
    }
    assert.deepEqual(statuses, [...Array(10).fill(404), 429]);
    const other = await b.submit('/orders/lookup', { number: 'VS-987654', contact: '0987654321' }, { ...from('198.51.100.21'), csrf: token });
    assert.equal(other.status, 404, 'another client is not limited');
  });
});

describe('sandbox payments', () => {
  const events = (order) => order.events.map((e) => `${e.from}>${e.to}`);
  const fetchOrder = async (order) => (await s.getOrder(order.id, order.access_token)).json.order;

  it('apply a notification delivered ten times once', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 2]]);
    const before = await s.stock([v]);
    const body = s.notification(order);
    const results = await Promise.all(Array.from({ length: 10 }, () => s.webhook(body)));
    assert.deepEqual(results.map((r) => r.status), results.map(() => 200), results.map((r) => r.text).join('\n'));
    assert.deepEqual(results.map((r) => r.json.received), results.map(() => true));
    assert.equal(results.filter((r) => r.json.applied === 'Paid').length, 1, 'one delivery changed the order');
    const paid = await fetchOrder(order);
    assert.equal(paid.status, 'paid');
    assert.deepEqual(events(paid), ['null>pending_payment', 'pending_payment>paid']);
    assert.deepEqual(paid.payments.map((p) => p.status), ['succeeded']);
    const after = await s.stock([v]);
    assert.deepEqual(after[v.id], { on_hand: before[v.id].on_hand - 2, reserved: before[v.id].reserved - 2 }, 'sold once');
    const [recorded, outbox] = await shop.sqlAll(`
      SELECT COUNT(*) AS n FROM payment_events WHERE event_id = '${JSON.parse(body).event_id}';
      SELECT kind FROM outbox WHERE json_extract(payload, '$.order_id') = '${order.id}' ORDER BY id`);
    assert.deepEqual(recorded, [{ n: 1 }]);
    assert.deepEqual(outbox, [{ kind: 'order_placed' }, { kind: 'order_paid' }]);
  });

  it('change an order once when two different notifications confirm one payment', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 1]]);
    const before = await s.stock([v]);
    const results = await Promise.all([s.pay(order), s.pay(order)]);
    assert.deepEqual(results.map((r) => r.status), [200, 200]);
    assert.deepEqual(results.map((r) => r.json.applied).sort(), ['Paid', 'Unchanged']);
    assert.deepEqual(events(await fetchOrder(order)), ['null>pending_payment', 'pending_payment>paid']);
    assert.deepEqual((await s.stock([v]))[v.id], { on_hand: before[v.id].on_hand - 1, reserved: before[v.id].reserved - 1 });
  });

  it('refuse forged, stale, tampered and mismatched notifications, changing nothing', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 1]]);
    const before = await s.stock([v]);
    const now = Math.floor(Date.now() / 1000);
    const ids = [];
    const body = (options = {}) => {
      const eventId = newKey();
      ids.push(eventId);
      return s.notification(order, { eventId, ...options });
    };
    const good = body();
    const attempts = [
      ['no signature', () => s.webhook(body(), { signature: null }), 401],
      ['signed with another secret', () => { const b = body(); return s.webhook(b, { signature: signSandbox('not-the-secret', b) }); }, 401],
      ['a signature of another body', () => s.webhook(good.replace('"succeeded"', '"succeeded" '), { signature: signSandbox(shop.secrets.sandboxWebhook, good) }), 401],
      ['a stale timestamp', () => { const b = body(); return s.webhook(b, { signature: signSandbox(shop.secrets.sandboxWebhook, b, now - 301 - 60) }); }, 401],
      ['a timestamp from the future', () => { const b = body(); return s.webhook(b, { signature: signSandbox(shop.secrets.sandboxWebhook, b, now + 301 + 60) }); }, 401],
      ['a malformed signature header', () => s.webhook(body(), { signature: 'v1=deadbeef' }), 401],
      ['the wrong amount, validly signed', () => s.webhook(body({ amount: order.payments[0].amount - 1 })), 400],
      ['another order, validly signed', () => s.webhook(JSON.stringify({ ...JSON.parse(body()), order_id: '0'.repeat(32) })), 400],
      ['an unknown payment, validly signed', () => s.webhook(JSON.stringify({ ...JSON.parse(body()), payment_id: '0'.repeat(32) })), 404],
      ['a body that is not a notification, validly signed', () => s.webhook('{"hello": "world"}'), 400],
      ['a status the provider does not define, validly signed', () => s.webhook(body({ status: 'refunded' })), 400],
    ];
    for (const [what, attempt, status] of attempts) {
      const res = await attempt();
      assert.equal(res.status, status, `${what}: ${res.text}`);
    }
    const o = await fetchOrder(order);
    assert.equal(o.status, 'pending_payment');
    assert.deepEqual(o.payments.map((p) => p.status), ['pending']);
    assert.deepEqual(await s.stock([v]), before);
    const [recorded] = await shop.sqlAll(`SELECT COUNT(*) AS n FROM payment_events WHERE payment_id = '${order.payments[0].id}'`);
    assert.deepEqual(recorded, [{ n: 0 }], 'no refused notification was recorded');
    // The untouched good one still works.
    assert.equal((await s.webhook(good)).json.applied, 'Paid');
  });

  it('leave the order pending when a payment fails, and let the shopper pay after', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 1]]);
    const before = await s.stock([v]);
    const failed = await s.pay(order, { status: 'failed' });
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.json.applied, 'Failed');
    const pending = await fetchOrder(order);
    assert.equal(pending.status, 'pending_payment');
    assert.deepEqual(events(pending), ['null>pending_payment']);
    assert.deepEqual(pending.payments.map((p) => p.status), ['failed']);
    assert.deepEqual(await s.stock([v]), before, 'the order keeps its units reserved');

    const paid = await s.pay(order);
    assert.equal(paid.json.applied, 'Paid');
    const o = await fetchOrder(order);
    assert.equal(o.status, 'paid');
    assert.deepEqual(o.payments.map((p) => p.status), ['succeeded'], 'the payment says it succeeded in the end');
    // A failure reported after the success changes nothing.
    assert.equal((await s.pay(order, { status: 'failed' })).status, 200);
    const still = await fetchOrder(order);
    assert.equal(still.status, 'paid');
    assert.deepEqual(still.payments.map((p) => p.status), ['succeeded']);
  });

  it('work from the sandbox page: decline, then pay, then see the paid order', async () => {
    const [v] = pool.take(1);
    const { cookie } = await htmlCartWith(v, 1);
    const form = await filledCheckoutForm(cookie);
    const placed = await s.postForm('/checkout', form, { cookie });
    const payPath = placed.headers.get('location');
    const [, paymentId, token] = /^\/pay\/sandbox\/([0-9a-f]{32})\?t=([0-9a-f]{64})$/.exec(payPath);
    const page = await s.getPage(payPath);
    assert.equal(page.status, 200);
    assert.equal(page.doc.find('form.sandbox-actions input[name="t"]')?.attr('value'), token);

    const declined = await s.postForm(`/pay/sandbox/${paymentId}`, { result: 'failed', t: token });
    assert.equal(declined.status, 303);
    const [, orderId] = /^\/orders\/([0-9a-f]{32})\?t=[0-9a-f]{64}&payment=failed$/.exec(declined.headers.get('location'));
    assert.equal((await s.getOrder(orderId, token)).json.order.status, 'pending_payment');

    const accepted = await s.postForm(`/pay/sandbox/${paymentId}`, { result: 'succeeded', t: token });
    assert.equal(accepted.status, 303);
    assert.equal(accepted.headers.get('location'), `/orders/${orderId}?t=${token}`);
    const o = (await s.getOrder(orderId, token)).json.order;
    assert.equal(o.status, 'paid');
    assert.deepEqual(o.payments.map((p) => p.status), ['succeeded']);
    const shown = await s.getPage(accepted.headers.get('location'));
    assert.equal(shown.status, 200);
    assert.ok(shown.text.includes(o.number));

    const forged = await s.postForm(`/pay/sandbox/${paymentId}`, { result: 'succeeded', t: token.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
    assert.equal(forged.status, 404, 'the sandbox page needs the order token too');
  });
});

describe('who may see an order', () => {
  it('answers 404 without the order\'s own token, in the API and the HTML page', async () => {
    const [v] = pool.take(1);
    const mine = (await s.placeOrder([[v.id, 1]])).order;
    const theirs = (await s.placeOrder([[v.id, 1]])).order;
    for (const [what, token] of [['another order\'s token', mine.access_token], ['no token', undefined], ['a token with one digit changed', flip(theirs.access_token)]]) {
      const res = await s.getOrder(theirs.id, token);
      assert.equal(res.status, 404, what);
      assert.equal(res.json.error.code, 'not_found', what);
    }
    assert.equal((await s.getOrder(theirs.id, theirs.access_token)).status, 200);
    assert.equal((await s.getOrder('f'.repeat(32), theirs.access_token)).status, 404, 'an id that is no order');

    assert.equal((await s.getPage(`/orders/${theirs.id}`)).status, 404, 'the page without t');
    assert.equal((await s.getPage(`/orders/${theirs.id}?t=${mine.access_token}`)).status, 404, 'the page with another order\'s t');
    const page = await s.getPage(`/orders/${theirs.id}?t=${theirs.access_token}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(theirs.number));
    assert.equal((await s.getPage(`/pay/sandbox/${theirs.payments[0].id}?t=${mine.access_token}`)).status, 404, 'nor its payment page');
  });
});

describe('a shopper cancelling an unpaid order', () => {
  it('gives its units back once, records the event, and needs the order\'s token', async () => {
    const [v] = pool.take(1);
    const before = (await s.stock([v]))[v.id];
    const { order } = await s.placeOrder([[v.id, 2]]);
    assert.equal((await s.stock([v]))[v.id].reserved, before.reserved + 2, 'the order holds its units');

    const forged = await s.postForm(`/orders/${order.id}/cancel`, { t: flip(order.access_token) });
    assert.equal(forged.status, 404, 'a wrong token cancels nothing');
    assert.equal((await s.getOrder(order.id, order.access_token)).json.order.status, 'pending_payment');

    for (let i = 0; i < 2; i++) {
      const res = await s.postForm(`/orders/${order.id}/cancel`, { t: order.access_token });
      assert.equal(res.status, 303, res.text);
    }
    const after = (await s.getOrder(order.id, order.access_token)).json.order;
    assert.equal(after.status, 'cancelled');
    assert.deepEqual(after.events.map((e) => e.to), ['pending_payment', 'cancelled'], 'one cancellation, however often it is asked for');
    assert.deepEqual((await s.stock([v]))[v.id], before, 'the units are back, once');
  });
});

describe('cash on delivery', () => {
  // Each test its own phone, so the open-COD limit per phone (3) counts only its orders.
  const cod = (phone, overrides = {}) => checkoutBody({ payment_provider: 'cod', phone, ...overrides });

  it('confirms an API order at once with its stock sold, and refuses delivery abroad with a 422 naming the other methods', async () => {
    const [v] = pool.take(1);
    const before = (await s.stock([v]))[v.id];
    const { order, payment } = await s.placeOrder([[v.id, 2]], cod('0903 111 001'));
    assert.deepEqual([order.status, order.payment_status, order.fulfillment_status, order.expires_at], ['confirmed', 'cod_pending', 'unfulfilled', null]);
    assert.deepEqual(payment, { provider: 'cod', redirect_url: null }, 'nothing to pay online');
    assert.deepEqual((await s.stock([v]))[v.id], { on_hand: before.on_hand - 2, reserved: before.reserved }, 'sold when placed');
    assert.deepEqual(order.events.map((e) => e.to), ['pending_payment', 'confirmed']);

    const { cart } = await s.cartWith([[pool.take(1)[0], 1]]);
    const abroad = await s.checkout(cart, cod('+65 6123 4567', { address: { line1: '1 Orchard Rd', ward: '', district: '', province: 'Singapore', country: 'SG' } }));
    assert.equal(abroad.status, 422, abroad.text);
    assert.equal(abroad.json.error.code, 'cod_unavailable');
    assert.equal(abroad.json.error.reason, 'abroad');
    assert.ok(abroad.json.error.other_methods.includes('sandbox') && !abroad.json.error.other_methods.includes('cod'));
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM orders WHERE cart_id = '${cart.id}'`))[0].n, 0);
  });

  it('places a COD order through the HTML form, shows what is due, and lets the shopper cancel it before shipping once', async () => {
    const [v] = pool.take(1);
    const before = (await s.stock([v]))[v.id];
    const { cookie } = await htmlCartWith(v, 1);
    const form = { ...(await filledCheckoutForm(cookie)), payment_provider: 'cod', phone: '0903 111 002' };
    const placed = await s.postForm('/checkout', form, { cookie });
    assert.equal(placed.status, 303, placed.text.slice(0, 300));
    const location = placed.headers.get('location');
    const [, id, token] = /^\/orders\/([0-9a-f]{32})\?t=([0-9a-f]{64})$/.exec(location) ?? [];
    assert.ok(id, `to the order page, not a payment page: ${location}`);
    const page = await s.getPage(location);
    assert.equal(page.status, 200);
    const due = page.doc.find('[data-cod-due]');
    const total = (await shop.sql(`SELECT total FROM orders WHERE id = '${id}'`))[0].total;
    assert.equal(Number(due?.attr('data-cod-due')), total, 'the amount due on delivery');
    assert.deepEqual((await s.stock([v]))[v.id], { on_hand: before.on_hand - 1, reserved: before.reserved });
    for (let i = 0; i < 2; i++) {
      assert.equal((await s.postForm(`/orders/${id}/cancel`, { t: token })).status, 303);
    }
    const after = (await s.getOrder(id, token)).json.order;
    assert.deepEqual([after.status, after.payment_status, after.fulfillment_status], ['cancelled', 'voided', 'unfulfilled']);
    assert.deepEqual(after.events.map((e) => e.to), ['pending_payment', 'confirmed', 'cancelled']);
    assert.deepEqual((await s.stock([v]))[v.id], before, 'the unit is back, once');
  });
});

describe('stock reconciliation', () => {
  it('explains every variant\'s reserved and on_hand by holds and orders, over the whole database', async () => {
    await assertStockReconciles(assert, shop, pool.baseline);
  });
});
