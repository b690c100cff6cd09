// Promotions against the built Worker: the owner's internal endpoints (create, bulk codes, CSV,
// analytics), coupons through the API and the HTML forms, automatic promotions, checkout snapshots,
// usage given back exactly once on cancel and expiry, the race for a code's last uses, and badges on
// product pages that follow a promotion's start time through the edge cache. Expected amounts are
// computed from the seeded prices, never written down.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertSchema } from './support/openapi.mjs';
import { catalog } from './support/seed.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, cookiesOf, mapLimit, newKey, variantPool } from './support/shopping.mjs';

const pool = variantPool();
const c = catalog();

// Generous: other builds on the machine can hold the build lock while wrangler starts.
useShop({ timeoutMs: 300_000 });

/** Creates a promotion through the owner's endpoint; returns its JSON (asserts 201). */
async function createPromotion(fields) {
  const input = { name_vi: 'Khuyến mãi', name_en: 'Promotion', ...fields };
  const res = await s.internal('POST', '/internal/promotions', input);
  assert.equal(res.status, 201, res.text);
  return { ...res.json, input };
}

/** Switches a promotion off through the owner's edit endpoint (automatic ones would reach later tests). */
async function switchOff(promo) {
  const res = await s.internal('PUT', `/internal/promotions/${promo.id}`, { ...promo.input, active: false });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.active, false);
}

let codeSeq = 0;
const uniqueCode = (stem) => `${stem}${(codeSeq += 1)}${newKey().slice(0, 4).toUpperCase()}`;

/** A cart holding `quantity` of a fresh variant; returns { cart, variant }. */
async function cartWith(quantity = 1, variant = pool.take(1)[0]) {
  const { cart, view } = await s.cartWith([[variant, quantity]]);
  return { cart, variant, view };
}

const percentOf = (amount, percent) => Math.floor((amount * percent) / 100);

describe('the owner', () => {
  it('cannot reach the promotion endpoints without the internal token', async () => {
    const res = await s.api('GET', '/internal/promotions');
    assert.equal(res.status, 404);
    const post = await s.api('POST', '/internal/promotions', { body: { name_vi: 'x', name_en: 'x', benefit: { type: 'percent_off', percent: 10 } } });
    assert.equal(post.status, 404);
  });

  it('gets field errors for a promotion that could never work', async () => {
    const res = await s.internal('POST', '/internal/promotions', { name_vi: '', name_en: 'x', benefit: { type: 'percent_off', percent: 0 }, starts_at: 'soon' });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(Object.keys(res.json.error.fields).sort(), ['benefit', 'name_vi', 'starts_at']);
  });

  it('generates 500 unique single-use codes with a prefix and exports them as CSV', async () => {
    const promo = await createPromotion({ benefit: { type: 'amount_off', amount: 50000 } });
    const res = await s.internal('POST', `/internal/promotions/${promo.id}/codes`, { prefix: 'bf26', count: 500 });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.created, 500);
    const csv = await shop.request(res.json.csv, { headers: s.internalAuth() });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    const rows = csv.text.trim().split('\r\n');
    assert.equal(rows[0], 'code,max_uses,used');
    const codes = rows.slice(1).map((r) => r.split(',')[0]);
    assert.equal(codes.length, 500);
    assert.equal(new Set(codes).size, 500);
    for (const code of codes) assert.match(code, /^BF26-[A-HJKMNP-Z2-9]{8}$/);
    assert.ok(rows.slice(1).every((r) => r.endsWith(',1,0')), 'each code is single-use and unused');

    // One code is good for one order: the second cart that tries it after an order used it is told so.
    const [code] = codes;
    const first = await cartWith(1);
    assert.equal((await s.applyCode(first.cart, code)).status, 200);
    const placed = await s.checkout(first.cart, checkoutBody({ email: 'single-use-1@example.vn' }));
    assert.equal(placed.status, 201, placed.text);
    const second = await cartWith(1);
    const again = await s.applyCode(second.cart, code);
    assert.equal(again.status, 422, again.text);
    assert.equal(again.json.error.rejected[0].rejection.reason, 'used_up');
  });
});

describe('the demo promotions (seed/promotions.sql)', () => {
  it('offer VESTIFY10 from 500.000 ₫ and FREESHIP, which combine', async () => {
    const cheap = pool.take(1, (v) => v.price < 500_000)[0];
    const { cart } = await cartWith(1, cheap);
    const short = await s.applyCode(cart, 'VESTIFY10');
    assert.equal(short.status, 422, short.text);
    assert.deepEqual(short.json.error.rejected[0].rejection, { reason: 'min_subtotal', required: 500_000, missing: 500_000 - cheap.price });
    const ship = await s.applyCode(cart, 'freeship');
    assert.equal(ship.status, 200, ship.text);
    const standard = ship.json.discounts.shipping.find((q) => q.method === 'standard');
    assert.equal(standard.discount, standard.fee, 'standard shipping is free');
    assert.ok(standard.fee > 0);
  });
});

describe('a coupon through the API', () => {
  it('applies, shows what it took off each line and why, and comes off again', async () => {
    const code = uniqueCode('TEN');
    await createPromotion({ name_vi: 'Giảm 10%', name_en: '10% off', benefit: { type: 'percent_off', percent: 10 }, codes: [code] });
    const { cart, variant } = await cartWith(2);
    const res = await s.applyCode(cart, code.toLowerCase());
    assert.equal(res.status, 200, res.text);
    assertSchema('Cart', res.json);
    const subtotal = variant.price * 2;
    const d = res.json.discounts;
    assert.deepEqual(d.codes, [code]);
    assert.equal(d.applied.length, 1);
    assert.deepEqual([d.applied[0].code, d.applied[0].name_en, d.applied[0].class, d.applied[0].benefit], [code, '10% off', 'order', { type: 'percent_off', percent: 10 }]);
    assert.equal(d.items_discount, percentOf(subtotal, 10));
    assert.equal(d.items_total, subtotal - percentOf(subtotal, 10));
    assert.equal(res.json.lines[0].discount, percentOf(subtotal, 10), 'the line carries the order discount');

    const removed = await s.removeCode(cart, code);
    assert.equal(removed.status, 200, removed.text);
    assert.deepEqual(removed.json.discounts.codes, []);
    assert.equal(removed.json.discounts.items_discount, 0);
    assert.equal((await s.removeCode(cart, code)).status, 404);
  });

  it('refuses codes with the exact reason', async () => {
    const now = Math.floor(Date.now() / 1000);
    const vn = (unix) => new Date((unix + 7 * 3600) * 1000).toISOString().slice(0, 16); // Vietnam wall time
    const expired = uniqueCode('OLD');
    const future = uniqueCode('SOON');
    const big = uniqueCode('BIG');
    await createPromotion({ benefit: { type: 'percent_off', percent: 5 }, codes: [expired], starts_at: vn(now - 7200), ends_at: vn(now - 3600) });
    await createPromotion({ benefit: { type: 'percent_off', percent: 5 }, codes: [future], starts_at: vn(now + 3600) });
    await createPromotion({ benefit: { type: 'amount_off', amount: 10000 }, codes: [big], min_subtotal: 50_000_000 });
    const { cart, variant } = await cartWith(1);
    const cases = [
      ['NO-SUCH-CODE', 'unknown_code'],
      [expired, 'expired'],
      [future, 'not_started'],
      [big, 'min_subtotal'],
    ];
    for (const [code, reason] of cases) {
      const res = await s.applyCode(cart, code);
      assert.equal(res.status, 422, `${code}: ${res.text}`);
      assertSchema('Error', res.json);
      assert.equal(res.json.error.code, 'coupon_rejected');
      assert.equal(res.json.error.rejected[0].rejection.reason, reason, code);
      assert.deepEqual(res.json.cart.discounts.codes, [], 'a refused code is not kept');
    }
    const short = await s.applyCode(cart, big);
    assert.equal(short.json.error.rejected[0].rejection.missing, 50_000_000 - variant.price);
    const bad = await s.applyCode(cart, 'x!');
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error.code, 'coupon_invalid');
    assert.equal((await s.api('POST', `/api/v1/carts/${cart.id}/coupons`, { body: { code: 'X' } })).status, 404, 'no cart token, no cart');
  });

  it('keeps one code per order unless both are combinable', async () => {
    const a = uniqueCode('SOLO');
    const b = uniqueCode('SHIP');
    await createPromotion({ name_vi: 'Giảm 15%', name_en: '15% off', benefit: { type: 'percent_off', percent: 15 }, codes: [a] });
    await createPromotion({ benefit: { type: 'free_shipping' }, codes: [b], combinable: true });
    const { cart } = await cartWith(1);
    assert.equal((await s.applyCode(cart, a)).status, 200);
    const res = await s.applyCode(cart, b);
    assert.equal(res.status, 422, res.text);
    assert.deepEqual(res.json.error.rejected[0].rejection, { reason: 'not_combinable', with_vi: 'Giảm 15%', with_en: '15% off' });
  });
});

describe('an automatic promotion', () => {
  it('applies by itself with its name, and its badge shows on the product page', async () => {
    const variant = pool.take(1)[0];
    const product = c.productById(variant.product_id);
    const promo = await createPromotion({
      name_vi: 'Mua 2 tặng 1', name_en: 'Buy 2 get 1', automatic: true,
      benefit: { type: 'buy_x_get_y', buy: 2, get: 1, percent: 100 }, target: { type: 'products', ids: [product.id] },
    });
    const { view } = await cartWith(3, variant);
    const applied = view.discounts.applied.find((x) => x.promotion_id === promo.id);
    assert.ok(applied, JSON.stringify(view.discounts));
    assert.equal(applied.code, null);
    assert.equal(applied.amount, variant.price, 'the third unit is free');
    const page = await shop.getHtml(`/p/${product.slug}`);
    assert.equal(page.status, 200);
    const badge = page.doc.find(`.promo-badge[data-promotion="${promo.id}"]`);
    assert.ok(badge, 'the badge is on the product page');
    assert.match(badge.text, /Mua 2 tặng 1/);
    await switchOff(promo);
    const gone = await shop.getHtml(`/p/${product.slug}`);
    assert.equal(gone.doc.find(`.promo-badge[data-promotion="${promo.id}"]`), null, 'switching it off shows at once');
  });

  it('appears on a cached page when it starts, with no write in between', async () => {
    const variant = pool.take(1)[0];
    const product = c.productById(variant.product_id);
    const startsIn = 4;
    const start = new Date(Date.now() + startsIn * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const promo = await createPromotion({
      name_vi: 'Sắp giảm', name_en: 'Soon', automatic: true, benefit: { type: 'percent_off', percent: 7 },
      target: { type: 'products', ids: [product.id] }, starts_at: start,
    });
    const before = await shop.getHtml(`/en/p/${product.slug}`);
    assert.equal(before.doc.find(`.promo-badge[data-promotion="${promo.id}"]`), null);
    const cachedAgain = await shop.getHtml(`/en/p/${product.slug}`);
    assert.equal(cachedAgain.headers.get('x-edge-cache'), 'hit', 'the page is served from cache before the start');
    await new Promise((r) => setTimeout(r, (startsIn + 1) * 1000));
    const after = await shop.getHtml(`/en/p/${product.slug}`);
    assert.ok(after.doc.find(`.promo-badge[data-promotion="${promo.id}"]`), 'the badge shows once the promotion has started');
    await switchOff(promo);
  });
});

describe('checkout', () => {
  it('recomputes prices, snapshots every discount per line, and counts it in analytics once paid', async () => {
    const code = uniqueCode('SNAP');
    const promo = await createPromotion({ name_vi: 'Giảm 20.000 ₫', name_en: '20,000 ₫ off', benefit: { type: 'amount_off', amount: 20000 }, codes: [code], usage_limit: 10 });
    const ship = await createPromotion({ benefit: { type: 'free_shipping', max_discount: 10000 }, codes: [uniqueCode('S')] });
    const [v1, v2] = pool.take(2);
    const { cart } = await cartWith(1, v1);
    assert.equal((await s.addItem(cart, v2.id, 1)).status, 201);
    assert.equal((await s.applyCode(cart, code)).status, 200);
    // The price changes after the code was applied: checkout uses the new one.
    await shop.sql(`UPDATE variants SET price = price + 1000 WHERE id = ${v1.id}`);
    const res = await s.checkout(cart, checkoutBody({ email: 'snapshot@example.vn' }));
    assert.equal(res.status, 201, res.text);
    assertSchema('CheckoutResult', res.json);
    const o = res.json.order;
    const subtotal = v1.price + 1000 + v2.price;
    assert.equal(o.totals.subtotal, subtotal);
    assert.equal(o.totals.discount, 20000);
    assert.equal(o.totals.total, subtotal + o.totals.shipping - 20000);
    assert.equal(o.payments[0].amount, o.totals.total, 'the payment asks for the discounted total');
    assert.equal(o.lines.reduce((n, l) => n + l.discount, 0), 20000, 'the lines carry the whole discount');
    assert.deepEqual(o.discounts.map((d) => [d.promotion_id, d.code, d.amount]), [[promo.id, code, 20000]]);
    assert.ok(!o.discounts.some((d) => d.promotion_id === ship.id));
    const [row] = await shop.sql(`SELECT used_count FROM promotions WHERE id = ${promo.id}`);
    assert.equal(row.used_count, 1);

    const page = await shop.getHtml(`/orders/${o.id}?t=${o.access_token}`);
    assert.ok(page.doc.find(`tr.discount-row[data-promotion="${promo.id}"]`), 'the order page lists the discount');

    assert.equal((await s.pay(o)).status, 200);
    const stats = await s.internal('GET', `/internal/promotions/${promo.id}`);
    assert.equal(stats.status, 200, stats.text);
    assert.deepEqual(stats.json.analytics, { promotion_id: promo.id, uses: 1, orders: 1, revenue: o.totals.total, discount_given: 20000, pending_orders: 0 });
  });

  it('refuses a first-order code for a shopper who ordered before, saying why', async () => {
    const code = uniqueCode('FIRST');
    await createPromotion({ benefit: { type: 'percent_off', percent: 10 }, codes: [code], first_order_only: true });
    const email = 'returning@example.vn';
    await s.placeOrder([[pool.take(1)[0].id, 1]], checkoutBody({ email }));
    const { cart } = await cartWith(1);
    assert.equal((await s.applyCode(cart, code)).status, 200, 'in the cart nobody is known yet');
    const res = await s.checkout(cart, checkoutBody({ email }));
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.error.rejected[0].rejection.reason, 'first_order_only');
  });

  it('gives a code back exactly once when the unpaid order is cancelled, and once when one expires', async () => {
    const code = uniqueCode('BACK');
    const promo = await createPromotion({ benefit: { type: 'percent_off', percent: 5 }, codes: [code], usage_limit: 2 });
    const orders = [];
    for (let i = 0; i < 2; i += 1) {
      const { cart } = await cartWith(1);
      assert.equal((await s.applyCode(cart, code)).status, 200);
      const res = await s.checkout(cart, checkoutBody({ email: `back-${i}@example.vn` }));
      assert.equal(res.status, 201, res.text);
      orders.push(res.json.order);
    }
    const used = async () => (await shop.sql(`SELECT used_count FROM promotions WHERE id = ${promo.id}`))[0].used_count;
    assert.equal(await used(), 2);
    const full = await cartWith(1);
    assert.equal((await s.applyCode(full.cart, code)).json.error.rejected[0].rejection.reason, 'used_up');

    // Cancel the first twice (form posted twice): one use comes back.
    const [o1, o2] = orders;
    for (let i = 0; i < 2; i += 1) {
      const res = await s.postForm(`/orders/${o1.id}/cancel`, { t: o1.access_token });
      assert.equal(res.status, 303);
    }
    assert.equal(await used(), 1);
    // Expire the second, and let the sweep run twice: one more comes back.
    await shop.sql(`UPDATE orders SET expires_at = 0 WHERE id = '${o2.id}'`);
    assert.equal((await s.sweep()).status, 200);
    assert.equal((await s.sweep()).status, 200);
    assert.equal(await used(), 0);
    const states = await shop.sql(`SELECT state FROM promotion_redemptions WHERE promotion_id = ${promo.id} ORDER BY order_id`);
    assert.deepEqual(states.map((r) => r.state), ['released', 'released']);
    assert.equal((await s.applyCode(full.cart, code)).status, 200, 'the code works again');
  });

  it('lets exactly 5 of 50 concurrent checkouts use a code with 5 uses left', async () => {
    const code = uniqueCode('RACE');
    const promo = await createPromotion({ benefit: { type: 'amount_off', amount: 10000 }, codes: [code], usage_limit: 8 });
    await shop.sql(`UPDATE promotions SET used_count = 3 WHERE id = ${promo.id}`);
    const [v] = pool.take(1);
    await shop.sql(`UPDATE variants SET on_hand = 200, reserved = 0 WHERE id = ${v.id}`);
    const carts = await mapLimit(Array.from({ length: 50 }), 10, async () => {
      const { cart } = await cartWith(1, v);
      const res = await s.applyCode(cart, code);
      assert.equal(res.status, 200, res.text);
      return cart;
    });
    const results = await Promise.all(carts.map((cart, i) => s.checkout(cart, checkoutBody({ email: `racer-${i}@example.vn` }))));
    const placed = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    assert.equal(placed.length, 5, results.map((r) => r.status).join(' '));
    for (const r of placed) assert.equal(r.json.order.totals.discount, 10000);
    for (const r of refused) {
      assert.equal(r.status, 422, r.text);
      assert.equal(r.json.error.rejected[0].rejection.reason, 'used_up');
    }
    const [row] = await shop.sql(`SELECT used_count, (SELECT COUNT(*) FROM promotion_redemptions WHERE promotion_id = ${promo.id} AND state = 'claimed') AS claimed FROM promotions WHERE id = ${promo.id}`);
    assert.deepEqual(row, { used_count: 8, claimed: 5 });
  });
});

describe('the cart page', () => {
  it('applies a code from the form, shows the discount, and says why a code is refused in each language', async () => {
    const code = uniqueCode('HTML');
    const promo = await createPromotion({ name_vi: 'Giảm 12%', name_en: '12% off', benefit: { type: 'percent_off', percent: 12 }, codes: [code] });
    const [v] = pool.take(1);
    const added = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1 });
    assert.equal(added.status, 303);
    const cookie = cookiesOf(added).header;
    const applied = await s.postForm('/cart/coupons', { code, return: 'cart' }, { cookie });
    assert.equal(applied.status, 303);
    assert.equal(applied.headers.get('location'), '/cart');
    const page = await s.getPage('/cart', cookie);
    const row = page.doc.find(`tr.discount-row[data-promotion="${promo.id}"]`);
    assert.ok(row, page.text.slice(0, 300));
    assert.match(row.text, /Giảm 12%/);
    assert.equal(Number(row.find('[data-discount]').attr('data-discount')), percentOf(v.price, 12));
    assert.ok(page.doc.find(`li[data-code="${code}"][data-state="applied"]`));

    const vi = await s.postForm('/cart/coupons', { code: 'KHONG-CO', return: 'cart' }, { cookie });
    assert.equal(vi.status, 422);
    assert.match(vi.text, /Mã KHONG-CO không tồn tại\./);
    const en = await s.postForm('/en/cart/coupons', { code: 'NOPE-NOPE', return: 'cart' }, { cookie });
    assert.equal(en.status, 422);
    assert.match(en.text, /There is no code NOPE-NOPE\./);

    const removed = await s.postForm(`/cart/coupons/${code}/remove`, { return: 'cart' }, { cookie });
    assert.equal(removed.status, 303);
    const after = await s.getPage('/cart', cookie);
    assert.equal(after.doc.find('tr.discount-row'), null);
  });
});
