// The cart against the built Worker: stock holds under a race of many shoppers, one shopper's
// concurrent changes, the limits on what a cart may hold, who may touch a cart, and the HTML form
// flow with its cookie and cross-site refusal. Expected values come from the database and the
// product API, never from constants that could drift from the seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { s, shop, useShop } from './support/setup.mjs';
import { assertStockReconciles, cookiesOf, createBundle, flip, mapLimit, variantPool } from './support/shopping.mjs';

const pool = variantPool();

useShop();

const inList = (variants) => variants.map((v) => v.id ?? v).join(', ');

/** Stock of some variants and the holds of some carts: what a refused request must leave alone. */
async function snapshot(variants, carts = []) {
  const [stock, holds] = await shop.sqlAll(`
    SELECT id, on_hand, reserved, status FROM variants WHERE id IN (${inList(variants)}) ORDER BY id;
    SELECT cart_id, variant_id, quantity, state FROM holds WHERE cart_id IN (${carts.map((c) => `'${c.id}'`).join(', ') || "''"}) ORDER BY cart_id, variant_id, created_at`);
  return { stock, holds };
}

const linesOf = (cart) => cart.lines.map((l) => [l.variant_id, l.quantity, l.held]);

/** POST /api/v1/carts/{id}/items with `body` sent as written (numbers JSON.stringify would round). */
const rawItem = (cart, body) => s.api('POST', `/api/v1/carts/${cart.id}/items`, { body, headers: { 'x-cart-token': cart.token } });

describe('a race for the last units', () => {
  const N = 5;

  it(`lets exactly ${N} of ${10 * N} concurrent shoppers hold the ${N} units left, and all ${N} check out`, async () => {
    const [v] = pool.take(1);
    await shop.sql(`UPDATE variants SET on_hand = ${N}, reserved = 0 WHERE id = ${v.id}`);
    pool.override(v.id, N);
    const carts = await mapLimit(Array.from({ length: 10 * N }), 10, () => s.createCart());
    const results = await Promise.all(carts.map((cart) => s.addItem(cart, v.id, 1)));

    const won = results.flatMap((r, i) => (r.status === 201 ? [carts[i]] : []));
    const lost = results.filter((r) => r.status !== 201);
    assert.equal(won.length, N, 'exactly the units left were held');
    for (const r of results.filter((x) => x.status === 201)) {
      assert.deepEqual(linesOf(r.json), [[v.id, 1, 1]]);
    }
    const afterAdds = await snapshot([v]);
    const free = afterAdds.stock[0].on_hand - afterAdds.stock[0].reserved;
    assert.deepEqual(afterAdds.stock[0], { id: v.id, on_hand: N, reserved: N, status: 'active' });
    assert.equal(free, 0);
    for (const r of lost) {
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.error.code, 'insufficient_stock');
      assert.equal(r.json.error.available, free, 'every loser is told what is left');
      assert.deepEqual(r.json.cart.lines, [], 'and keeps an empty cart');
    }
    const [holds] = await shop.sqlAll(`SELECT cart_id, quantity, state FROM holds WHERE variant_id = ${v.id} ORDER BY cart_id`);
    assert.deepEqual(holds, won.map((c) => ({ cart_id: c.id, quantity: 1, state: 'held' })).sort((a, b) => a.cart_id.localeCompare(b.cart_id)));

    // A loser trying again is still refused; the winners all check out at once.
    const again = await s.addItem(carts.find((c) => !won.includes(c)), v.id, 1);
    assert.equal(again.status, 409);
    const orders = await Promise.all(won.map((cart) => s.checkout(cart)));
    assert.deepEqual(orders.map((o) => o.status), won.map(() => 201), orders.map((o) => o.text).join('\n'));
    assert.equal(new Set(orders.map((o) => o.json.order.id)).size, N, 'one order each');
    const [stock, pending, converted] = await shop.sqlAll(`
      SELECT on_hand, reserved FROM variants WHERE id = ${v.id};
      SELECT COUNT(*) AS orders, SUM(l.quantity) AS units FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE l.variant_id = ${v.id} AND o.status = 'pending_payment' AND o.stock_state = 'reserved';
      SELECT state, COUNT(*) AS n FROM holds WHERE variant_id = ${v.id} GROUP BY state`);
    assert.deepEqual(stock, [{ on_hand: N, reserved: N }], 'the orders keep the units reserved, never more');
    assert.deepEqual(pending, [{ orders: N, units: N }]);
    assert.deepEqual(converted, [{ state: 'converted', n: N }]);
  });
});

describe("a bundle's add all", () => {
  it('is all-or-nothing under a race for the last unit of one item: one cart gets the whole bundle, the other is unchanged, nothing is oversold', async () => {
    const [first] = pool.take(1);
    const [second] = pool.take(1, (v) => v.product_id !== first.product_id);
    const [third] = pool.take(1, (v) => ![first.product_id, second.product_id].includes(v.product_id));
    const items = [first, second, third];
    const bundle = await createBundle(shop, items.map((v) => v.product_id), 10);
    // The last unit of the second item.
    await shop.sql(`UPDATE variants SET on_hand = 1, reserved = 0 WHERE id = ${second.id}`);
    pool.override(second.id, 1);
    const carts = [await s.createCart(), await s.createCart()];
    // One of them already holds a line of the first item: "unchanged" covers its line and hold too.
    assert.equal((await s.addItem(carts[1], first.id, 1)).status, 201);
    const before = await snapshot(items, carts);
    const linesBefore = await Promise.all(carts.map(async (c) => linesOf((await s.getCart(c)).json)));

    const body = { bundle_id: bundle, variant_ids: items.map((v) => v.id) };
    const results = await Promise.all(carts.map((cart) => s.api('POST', `/api/v1/carts/${cart.id}/bundles`, { body, headers: { 'x-cart-token': cart.token } })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409], results.map((r) => r.text).join('\n'));
    const w = results.findIndex((r) => r.status === 200);
    const [won, lost] = [results[w], results[1 - w]];
    assert.equal(lost.json.error.code, 'item_sold_out');
    assert.deepEqual([lost.json.error.item.variant_id, lost.json.error.item.available], [second.id, 0], 'the refusal names the sold-out item');

    // The winner holds one more of each item, priced with the bundle (10% of one set, rounded down).
    for (const v of items) {
      const line = won.json.lines.find((l) => l.variant_id === v.id);
      assert.equal(line.held, line.quantity, `${v.sku} is held`);
    }
    const set = items.reduce((sum, v) => sum + won.json.lines.find((l) => l.variant_id === v.id).unit_price, 0);
    const applied = won.json.discounts.applied.find((a) => a.promotion_id === bundle);
    assert.deepEqual([applied?.benefit.type, applied?.amount], ['bundle_percent', Math.floor(set / 10)]);

    // The loser's cart, its holds and every item's stock are as they were; the last unit is sold once.
    const loser = carts[1 - w];
    assert.deepEqual(linesOf((await s.getCart(loser)).json), linesBefore[1 - w]);
    const after = await snapshot(items, carts);
    assert.deepEqual(after.holds.filter((h) => h.cart_id === loser.id), before.holds.filter((h) => h.cart_id === loser.id));
    const last = after.stock.find((v) => v.id === second.id);
    assert.deepEqual([last.on_hand, last.reserved], [1, 1], 'no oversell');
    for (const v of after.stock) assert.ok(v.reserved <= v.on_hand, `${v.id}: reserved ${v.reserved} <= on_hand ${v.on_hand}`);

    // The HTML form says which item, in the shopper's language, with a 409 and nothing added.
    const page = await s.postForm('/en/cart/bundles', { bundle_id: bundle, variant_ids: items.map((v) => v.id).join(',') });
    assert.equal(page.status, 409, page.text.slice(0, 300));
    assert.match(page.text, /is sold out: nothing from the bundle was added/);
    await shop.sql(`UPDATE promotions SET status = 'disabled' WHERE id = ${bundle}`);
  });
});

describe('one shopper changing a cart concurrently', () => {
  it('keeps every line and exactly one hold per line (changes to one cart are serialised)', async () => {
    const variants = pool.take(6);
    const before = await snapshot(variants);
    const cart = await s.createCart();
    // Two quick "add one" clicks on each of six variants, all in flight together.
    const results = await Promise.all([...variants, ...variants].map((v) => s.addItem(cart, v.id, 1)));
    assert.deepEqual(results.map((r) => r.status), results.map(() => 201), results.map((r) => r.text).join('\n'));
    const counts = results.map((r) => r.json.item_count).sort((a, b) => a - b);
    assert.deepEqual(counts, results.map((_, i) => i + 1), 'each change saw the one before it');

    const view = await s.getCart(cart);
    assert.deepEqual(linesOf(view.json).sort((a, b) => a[0] - b[0]), variants.map((v) => [v.id, 2, 2]));
    const afterAdds = await snapshot(variants, [cart]);
    assert.deepEqual(afterAdds.holds.map((h) => [h.variant_id, h.quantity, h.state]), variants.map((v) => [v.id, 2, 'held']), 'one live hold per line');
    assert.deepEqual(afterAdds.stock.map((r) => r.reserved), before.stock.map((r) => r.reserved + 2));

    // Setting and removing lines concurrently ends where the last change of each line says.
    const changes = await Promise.all(variants.flatMap((v, i) => (i % 2 === 0 ? [s.setItem(cart, v.id, 3)] : [s.removeItem(cart, v.id)])));
    assert.deepEqual(changes.map((r) => r.status), changes.map(() => 200), changes.map((r) => r.text).join('\n'));
    const final = await s.getCart(cart);
    const want = variants.filter((_, i) => i % 2 === 0).map((v) => [v.id, 3, 3]);
    assert.deepEqual(linesOf(final.json).sort((a, b) => a[0] - b[0]), want);
    const end = await snapshot(variants, [cart]);
    assert.deepEqual(end.stock.map((r) => r.reserved), before.stock.map((r, i) => r.reserved + (i % 2 === 0 ? 3 : 0)));
    assert.deepEqual(end.holds.filter((h) => h.state === 'held').map((h) => [h.variant_id, h.quantity]), want.map(([id, q]) => [id, q]));
  });
});

describe("a new buyer's first add to cart", () => {
  it('creates the cart holding its first line in one request, and creates nothing usable when the line is refused', async () => {
    const [v] = pool.take(1);
    const before = (await s.stock([v]))[v.id];
    const res = await s.api('POST', '/api/v1/carts', { body: { variant_id: v.id, quantity: 2 } });
    assert.equal(res.status, 201, res.text);
    assert.ok(res.json.id && res.json.token, 'the new cart with its token');
    assert.deepEqual(linesOf(res.json), [[v.id, 2, 2]]);
    assert.equal((await s.stock([v]))[v.id].reserved, before.reserved + 2, 'held at once');
    const cart = { id: res.json.id, token: res.json.token };
    assert.deepEqual(linesOf((await s.getCart(cart)).json), [[v.id, 2, 2]], 'kept by the cart');
    assert.equal((await s.addItem(cart, v.id, 1)).status, 201, 'and added to as any cart');

    const [w] = pool.take(1);
    await shop.sql(`UPDATE variants SET on_hand = 1, reserved = 0 WHERE id = ${w.id}`);
    pool.override(w.id, 1);
    const short = await s.api('POST', '/api/v1/carts', { body: { variant_id: w.id, quantity: 2 } });
    assert.equal(short.status, 409);
    assert.equal(short.json.error.code, 'insufficient_stock');
    assert.equal(short.json.error.available, 1);
    assert.equal(short.json.token, undefined);
    assert.equal((await s.stock([w]))[w.id].reserved, 0, 'nothing held');
    for (const [body, status] of [[{ variant_id: w.id }, 400], [{ quantity: 1 }, 400], ['{"variant_id": ', 400], [{ variant_id: w.id, quantity: 0 }, 422]]) {
      const bad = await s.api('POST', '/api/v1/carts', { body });
      assert.equal(bad.status, status, JSON.stringify(body));
    }
    const empty = await s.api('POST', '/api/v1/carts');
    assert.equal(empty.status, 201);
    assert.deepEqual(empty.json.lines, [], 'without a body: an empty cart, as before');
  });
});

describe('cart limits', () => {
  it('refuses what a cart may not hold and changes nothing when it does', async () => {
    const [v, w, inactive] = pool.take(3);
    await shop.sql(`UPDATE variants SET status = 'inactive' WHERE id = ${inactive.id}`);
    const cart = await s.createCart();
    assert.equal((await s.addItem(cart, v.id, 6)).status, 201);
    const [{ next: unknownId }] = await shop.sql('SELECT MAX(id) + 1 AS next FROM variants');
    const before = await snapshot([v, w, inactive], [cart]);
    const beforeView = (await s.getCart(cart)).json;

    const refusals = [
      ['eleven of one variant', () => s.addItem(cart, w.id, 11), 422, 'quantity_limit'],
      ['more than ten in all of one variant', () => s.addItem(cart, v.id, 5), 422, 'quantity_limit'],
      ['setting a line above ten', () => s.setItem(cart, v.id, 11), 422, 'quantity_limit'],
      ['an unknown variant', () => s.addItem(cart, unknownId, 1), 404, 'variant_not_found'],
      ['an inactive variant', () => s.addItem(cart, inactive.id, 1), 422, 'variant_unavailable'],
      ['adding zero', () => s.addItem(cart, w.id, 0), 422, 'invalid_quantity'],
      ['adding minus one', () => s.addItem(cart, w.id, -1), 422, 'invalid_quantity'],
      ['setting minus one', () => s.setItem(cart, v.id, -1), 422, 'invalid_quantity'],
      ['a quantity that is not a number', () => s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: w.id, quantity: 'abc' }, headers: { 'x-cart-token': cart.token } }), 400, 'invalid_parameters'],
      ['a fractional quantity', () => s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: w.id, quantity: 1.5 }, headers: { 'x-cart-token': cart.token } }), 400, 'invalid_parameters'],
      ['a missing quantity', () => s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: w.id }, headers: { 'x-cart-token': cart.token } }), 400, 'invalid_parameters'],
      ['malformed JSON', () => s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: '{"variant_id": 1,', headers: { 'x-cart-token': cart.token } }), 400, 'invalid_parameters'],
      ['malformed JSON on a line', () => s.api('PATCH', `/api/v1/carts/${cart.id}/items/${v.id}`, { body: 'quantity=2', headers: { 'x-cart-token': cart.token } }), 400, 'invalid_parameters'],
      ['a line the cart does not have', () => s.removeItem(cart, w.id), 404, 'line_not_found'],
      ['a line id that is not a variant id', () => s.setItem(cart, 'abc', 1), 404, 'not_found'],
      // Integers from 2^53 on: JavaScript numbers (D1, the cart object) no longer hold them exactly.
      ['a quantity of 2^53', () => rawItem(cart, `{"variant_id":${w.id},"quantity":9007199254740992}`), 422, 'quantity_limit'],
      ['a quantity of 2^53 + 1', () => rawItem(cart, `{"variant_id":${w.id},"quantity":9007199254740993}`), 422, 'quantity_limit'],
      ['a quantity past 2^63', () => rawItem(cart, `{"variant_id":${w.id},"quantity":99999999999999999999}`), 400, 'invalid_parameters'],
      ['a variant id of 2^53', () => rawItem(cart, '{"variant_id":9007199254740992,"quantity":1}'), 400, 'invalid_parameters'],
      ['a variant id of 2^53 + 1901', () => rawItem(cart, '{"variant_id":9007199254742893,"quantity":1}'), 400, 'invalid_parameters'],
      ['setting a line to 2^53', () => s.api('PATCH', `/api/v1/carts/${cart.id}/items/${v.id}`, { body: '{"quantity":9007199254740992}', headers: { 'x-cart-token': cart.token } }), 422, 'quantity_limit'],
      ['a line id of 2^53', () => s.setItem(cart, '9007199254740992', 1), 404, 'not_found'],
      ['removing a line id of 2^53', () => s.removeItem(cart, '9007199254740992'), 404, 'not_found'],
    ];
    for (const [what, request, status, code] of refusals) {
      const res = await request();
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.equal(res.json?.error?.code, code, what);
      assert.doesNotMatch(res.text, /invalid type|floating|serde|Error:/i, `${what}: no internal error text`);
    }
    const limit = await s.addItem(cart, w.id, 11);
    assert.equal(limit.json.error.available, 10, 'the limit says how many one variant may have');

    assert.deepEqual(await snapshot([v, w, inactive], [cart]), before, 'no stock or hold changed');
    const afterView = (await s.getCart(cart)).json;
    assert.deepEqual(linesOf(afterView), linesOf(beforeView));
  });

  it('holds at most 50 lines', async () => {
    const variants = pool.take(51);
    const cart = await s.createCart();
    await mapLimit(variants.slice(0, 50), 1, async (v) => {
      const res = await s.addItem(cart, v.id, 1);
      assert.equal(res.status, 201, res.text);
    });
    const before = await snapshot(variants, [cart]);
    assert.equal(before.holds.length, 50);
    const res = await s.addItem(cart, variants[50].id, 1);
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.error.code, 'too_many_lines');
    assert.deepEqual(await snapshot(variants, [cart]), before, 'no stock or hold changed');
    // A line already in the cart can still change.
    assert.equal((await s.addItem(cart, variants[0].id, 1)).status, 201);
  });
});

describe('who may touch a cart', () => {
  it('answers 404 to another cart\'s token, or none, and leaves that cart alone', async () => {
    const [v] = pool.take(1);
    const mine = await s.createCart();
    const theirs = await s.createCart();
    assert.equal((await s.addItem(theirs, v.id, 2)).status, 201);
    const before = await snapshot([v], [mine, theirs]);
    const forged = { id: theirs.id, token: mine.token };
    const attempts = [
      ['view', () => s.getCart(forged)],
      ['add', () => s.addItem(forged, v.id, 1)],
      ['set', () => s.setItem(forged, v.id, 5)],
      ['remove', () => s.removeItem(forged, v.id)],
      ['checkout', () => s.checkout(forged)],
      ['view without a token', () => s.api('GET', `/api/v1/carts/${theirs.id}`)],
      ['add without a token', () => s.api('POST', `/api/v1/carts/${theirs.id}/items`, { body: { variant_id: v.id, quantity: 1 } })],
      ['a token with one digit changed', () => s.getCart({ id: theirs.id, token: flip(theirs.token) })],
      ['an id that is not a cart id', () => s.getCart({ id: 'g'.repeat(32), token: mine.token })],
    ];
    for (const [what, attempt] of attempts) {
      const res = await attempt();
      assert.equal(res.status, 404, `${what}: ${res.text}`);
      assert.equal(res.json?.error?.code, 'not_found', what);
    }
    assert.deepEqual(await snapshot([v], [mine, theirs]), before);
    assert.deepEqual(linesOf((await s.getCart(theirs)).json), [[v.id, 2, 2]]);
  });
});

describe('the HTML cart', () => {
  it('adds from a form, keeps the cart in an HttpOnly SameSite=Lax cookie, and shows it', async () => {
    const [v] = pool.take(1);
    const res = await s.postForm('/cart/items', { variant_id: v.id, quantity: 2 });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/cart');
    const { raw, header } = cookiesOf(res);
    const cartCookie = raw.find((c) => c.startsWith('vestify_cart='));
    assert.ok(cartCookie, raw.join('\n'));
    assert.match(cartCookie, /; HttpOnly/);
    assert.match(cartCookie, /; SameSite=Lax/);
    const cartId = /^vestify_cart=([0-9a-f]{32})\./.exec(cartCookie)?.[1];
    assert.ok(cartId, cartCookie);

    const page = await s.getPage('/cart', header);
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(v.sku));
    const [holds] = await shop.sqlAll(`SELECT variant_id, quantity, state FROM holds WHERE cart_id = '${cartId}'`);
    assert.deepEqual(holds, [{ variant_id: v.id, quantity: 2, state: 'held' }]);

    // The same cookie adds to the same cart.
    const more = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1 }, { cookie: header });
    assert.equal(more.status, 303);
    const [holds2] = await shop.sqlAll(`SELECT variant_id, quantity, state FROM holds WHERE cart_id = '${cartId}'`);
    assert.deepEqual(holds2, [{ variant_id: v.id, quantity: 3, state: 'held' }]);
  });

  it('refuses cross-site form posts with 403 before touching a cart', async () => {
    const [v] = pool.take(1);
    const ok = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1 });
    // A valid token and its cookie: what fails below is the origin check alone.
    const held = await s.formToken(cookiesOf(ok).header);
    const header = held.cookie;
    const cartId = /vestify_cart=([0-9a-f]{32})/.exec(header)[1];
    const before = await snapshot([v], [{ id: cartId }]);
    const attacks = [
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
      ['a foreign Origin', { 'sec-fetch-site': undefined, origin: 'https://evil.example' }],
    ];
    for (const [what, headers] of attacks) {
      const clean = Object.fromEntries(Object.entries(headers).filter(([, x]) => x !== undefined));
      const attack = await shop.request('/cart/items', {
        method: 'POST',
        body: new URLSearchParams({ variant_id: v.id, quantity: 1, csrf: held.token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header, origin: shop.url, ...clean },
      });
      assert.equal(attack.status, 403, what);
      assert.deepEqual(attack.headers.getSetCookie(), [], `${what}: no cookie is set`);
      const checkout = await shop.request('/checkout', {
        method: 'POST',
        body: `email=a%40b.vn&csrf=${held.token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header, origin: shop.url, ...clean },
      });
      assert.equal(checkout.status, 403, `${what}: checkout`);
    }
    assert.deepEqual(await snapshot([v], [{ id: cartId }]), before, 'no stock or hold changed');
  });
});

describe('bodies over the limit', () => {
  const big = 'x'.repeat(20 * 1024);

  it('answers an oversized form or JSON body with 413 before touching a cart', async () => {
    const [v] = pool.take(1);
    const cart = await s.createCart();
    const before = await snapshot([v], [cart]);
    const form = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1, note: big });
    assert.equal(form.status, 413, form.text.slice(0, 300));
    assert.match(form.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(form.text, /quá lớn/, 'the page says so in the visitor\'s language');
    const json = await s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: JSON.stringify({ variant_id: v.id, quantity: 1, note: big }), headers: { 'x-cart-token': cart.token } });
    assert.equal(json.status, 413, json.text.slice(0, 300));
    assert.equal(json.json?.error?.code, 'payload_too_large');
    const token = await s.api('POST', '/api/v1/auth/token', { body: JSON.stringify({ email: 'a@b.vn', password: big }) });
    assert.equal(token.status, 413, token.text.slice(0, 300));
    assert.deepEqual(await snapshot([v], [cart]), before, 'no stock or hold changed');
  });
});

describe('CSRF tokens', () => {
  it('refuses a form without the token, with a forged one, or with another visitor\'s, with 403', async () => {
    const [v] = pool.take(1);
    const ok = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1 });
    assert.equal(ok.status, 303, 'a form with its token works');
    const mine = await s.formToken(cookiesOf(ok).header);
    const cartId = /vestify_cart=([0-9a-f]{32})/.exec(mine.cookie)[1];
    const theirs = await s.formToken();
    assert.notEqual(theirs.token, mine.token, 'each visitor has their own token');
    const before = await snapshot([v], [{ id: cartId }]);
    const forged = mine.token.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
    for (const [what, csrf, cookie] of [
      ['no token', null, mine.cookie],
      ['an empty token', '', mine.cookie],
      ['a forged token', forged, mine.cookie],
      ["another visitor's token", theirs.token, mine.cookie],
      ['a token without its binding cookie', mine.token, mine.cookie.replace(/vestify_csrf=[^;]*;? ?/, '')],
    ]) {
      const add = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1, csrf }, { cookie });
      assert.equal(add.status, 403, what);
      assert.match(add.text, /Yêu cầu bị từ chối/, `${what}: a page that says why`);
      const checkout = await s.postForm('/checkout', { email: 'a@b.vn', csrf }, { cookie });
      assert.equal(checkout.status, 403, `${what}: checkout`);
      const line = await s.postForm(`/cart/items/${v.id}`, { quantity: 0, csrf }, { cookie });
      assert.equal(line.status, 403, `${what}: remove a line`);
    }
    assert.deepEqual(await snapshot([v], [{ id: cartId }]), before, 'nothing changed');
  });

  it('puts the token into every form of a cached page per visitor, and keeps it out of shared caches', async () => {
    const path = `/p/${pool.take(1)[0].slug}`;
    const a = await shop.get(path);
    const b = await shop.get(path);
    const token = (res) => /name="csrf" value="([0-9a-f]{64})"/.exec(res.text)?.[1];
    assert.ok(token(a) && token(b) && token(a) !== token(b), 'two visitors, two tokens');
    assert.equal(a.headers.get('cache-control'), 'private, no-cache');
    assert.notEqual(a.headers.get('etag'), b.headers.get('etag'), "one visitor's ETag does not revalidate another's page");
    assert.ok(!a.text.includes('<%'), 'no slot is left unfilled');
  });
});

describe('stock reconciliation', () => {
  it('explains every variant\'s reserved and on_hand by holds and orders, over the whole database', async () => {
    await assertStockReconciles(assert, shop, pool.baseline);
  });
});
