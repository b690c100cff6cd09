// Insecure direct object references, probed in one place: two shoppers A and B with accounts,
// orders, carts, addresses and API tokens, and a guest order G. B reaches for A's (and G's) ids in
// every place that takes one — HTML order and payment pages and their forms, the JSON order, cart
// and /me endpoints, the account's address forms, export and history, the admin invoice — with B's
// session, B's bearer token, B's order token, a wrong token or nothing at all. Every probe must be
// a 404 (never a 403 or a 200) and change nothing; A's own access is the control that shows each
// probe could have succeeded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { browser, newEmail, newShopper, outbox, PASSWORD } from './support/accounts.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, flip, variantPool } from './support/shopping.mjs';

const pool = variantPool();
let A;
let B;
let G;

const ADDRESS = { name: 'Phạm Thị Hoa', phone: '0903 111 222', 'address.line1': '88 Đồng Khởi', 'address.province_code': '79', 'address.ward_code': '26743', 'address.country': 'VN' };

/** A shopper with an account (email verified), an order attached to it, an API cart, an address and API tokens. */
async function shopper(tag, line1) {
  const { b, email } = await newShopper(shop, tag);
  const [v, w] = pool.take(2);
  const placed = await s.placeOrder([[v.id, 1]], checkoutBody({ email }));
  const [message] = await outbox(shop, 'verify_email', email);
  assert.equal((await b.get(new URL(message.url).pathname)).status, 303);
  assert.equal((await b.submit('/account/addresses', { ...ADDRESS, 'address.line1': line1 }, { page: '/account' })).status, 303);
  const [row] = await shop.sql(`SELECT id FROM customers WHERE email = '${email}'`);
  const [address] = await shop.sql(`SELECT id FROM addresses WHERE customer_id = '${row.id}'`);
  const { cart } = await s.cartWith([[w, 2]]);
  const tokens = await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } });
  assert.equal(tokens.status, 200, tokens.text);
  return { b, email, id: row.id, order: placed.order, cart, address: address.id, line1, access: tokens.json.access_token, csrf: await b.token('/account', '/account/logout') };
}

useShop();
beforeAll(async () => {
  A = await shopper('a', '1 Nhà của A');
  B = await shopper('b', '2 Nhà của B');
  G = (await s.placeOrder([[pool.take(1)[0].id, 1]], checkoutBody({ email: newEmail('guest') }))).order;
});

const bearer = (who) => ({ authorization: `Bearer ${who.access}` });

/** Everything of A's and G's that a probe could change. */
async function state() {
  const [orders, payments, addresses, carts] = await shop.sqlAll(
    `SELECT id, status, customer_id, email, name FROM orders WHERE id IN ('${A.order.id}', '${G.id}') ORDER BY id; ` +
    `SELECT id, status FROM payments WHERE order_id IN ('${A.order.id}', '${G.id}') ORDER BY id; ` +
    `SELECT id, customer_id, line1 FROM addresses WHERE customer_id = '${A.id}' ORDER BY id; ` +
    `SELECT COUNT(*) AS n FROM orders WHERE cart_id = '${A.cart.id}'`,
  );
  const cart = (await s.getCart(A.cart)).json;
  return { orders, payments, addresses, carts, lines: cart.lines.map((l) => [l.variant_id, l.quantity]), codes: cart.discounts?.applied?.length ?? 0 };
}

function assert404(res, what) {
  assert.equal(res.status, 404, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
}

describe('B probing A\'s and a guest\'s ids gets 404 and changes nothing', () => {
  it('controls: each owner reaches their own things', async () => {
    assert.equal((await s.getOrder(A.order.id, A.order.access_token)).status, 200);
    assert.equal((await s.api('GET', `/api/v1/orders/${A.order.id}`, { headers: bearer(A) })).status, 200);
    assert.equal((await s.api('GET', `/api/v1/me/orders/${A.order.id}`, { headers: bearer(A) })).status, 200);
    assert.equal((await s.getCart(A.cart)).status, 200);
    assert.equal((await s.getPage(`/orders/${A.order.id}?t=${A.order.access_token}`)).status, 200);
    assert.equal((await s.getPage(`/orders/${G.id}?t=${G.access_token}`)).status, 200);
    assert.equal((await s.getPage(`/pay/sandbox/${A.order.payments[0].id}?t=${A.order.access_token}`)).status, 200);
    const history = await s.api('GET', '/api/v1/me/orders', { headers: bearer(A) });
    assert.deepEqual(history.json.orders.map((o) => o.id), [A.order.id]);
  });

  it('the JSON API: orders, /me and carts', async () => {
    const before = await state();
    const orderProbes = [];
    for (const [label, target] of [['A\'s order', A.order], ['the guest order', G]]) {
      orderProbes.push(
        [`${label}, no credentials`, () => s.api('GET', `/api/v1/orders/${target.id}`)],
        [`${label}, B's order token`, () => s.getOrder(target.id, B.order.access_token)],
        [`${label}, a wrong order token`, () => s.getOrder(target.id, flip(target.access_token))],
        [`${label}, B's bearer token`, () => s.api('GET', `/api/v1/orders/${target.id}`, { headers: bearer(B) })],
        [`${label}, B's bearer token and B's order token`, () => s.api('GET', `/api/v1/orders/${target.id}`, { headers: { ...bearer(B), 'x-order-token': B.order.access_token } })],
        [`${label} under /me, B's bearer token`, () => s.api('GET', `/api/v1/me/orders/${target.id}`, { headers: bearer(B) })],
      );
    }
    const theirs = { id: A.cart.id, token: B.cart.token };
    const [v] = pool.take(1);
    const cartProbes = [
      ['view A\'s cart with B\'s cart token', () => s.getCart(theirs)],
      ['view A\'s cart with no token', () => s.api('GET', `/api/v1/carts/${A.cart.id}`)],
      ['view A\'s cart with B\'s bearer token', () => s.api('GET', `/api/v1/carts/${A.cart.id}`, { headers: bearer(B) })],
      ['view A\'s cart with a wrong token', () => s.getCart({ id: A.cart.id, token: flip(A.cart.token) })],
      ['add to A\'s cart', () => s.addItem(theirs, v.id, 1)],
      ['change A\'s line', () => s.setItem(theirs, before.lines[0][0], 5)],
      ['remove A\'s line', () => s.removeItem(theirs, before.lines[0][0])],
      ['apply a code to A\'s cart', () => s.api('POST', `/api/v1/carts/${A.cart.id}/coupons`, { body: { code: 'VESTIFY10' }, headers: { 'x-cart-token': B.cart.token } })],
      ['remove a code from A\'s cart', () => s.api('DELETE', `/api/v1/carts/${A.cart.id}/coupons/VESTIFY10`, { headers: { 'x-cart-token': B.cart.token } })],
      ['check A\'s cart out', () => s.checkout(theirs)],
      ['check A\'s cart out with B\'s bearer token', () => s.api('POST', `/api/v1/carts/${A.cart.id}/checkout`, { body: checkoutBody(), headers: bearer(B) })],

      ['A\'s refunds through /internal with B\'s bearer token', () => s.api('GET', `/internal/orders/${A.order.id}/refunds`, { headers: bearer(B) })],
      ['refund A\'s order through /internal with B\'s bearer token', () => s.api('POST', `/internal/orders/${A.order.id}/refunds`, { body: {}, headers: { ...bearer(B), 'idempotency-key': 'idor-probe' } })],
    ];
    for (const [what, probe] of [...orderProbes, ...cartProbes]) {
      const res = await probe();
      assert404(res, what);
      assert.equal(res.json?.error?.code, 'not_found', what);
    }
    const history = await s.api('GET', '/api/v1/me/orders', { headers: bearer(B) });
    assert.deepEqual(history.json.orders.map((o) => o.id), [B.order.id], 'B\'s history holds only B\'s order');
    const me = await s.api('GET', '/api/v1/me', { headers: bearer(B) });
    assert.equal(me.json.customer.id, B.id);
    assert.ok(!me.text.includes(A.line1) && !me.text.includes(A.email));
    assert.deepEqual(await state(), before);
  });

  it('the HTML order and payment pages and their forms, with B\'s session', async () => {
    const before = await state();
    const cookie = B.b.cookie;
    const pay = A.order.payments[0].id;
    const gets = [
      ['A\'s order page without t', `/orders/${A.order.id}`],
      ['A\'s order page with B\'s t', `/orders/${A.order.id}?t=${B.order.access_token}`],
      ['A\'s order page with a wrong t', `/orders/${A.order.id}?t=${flip(A.order.access_token)}`],
      ['A\'s order page in English with B\'s t', `/en/orders/${A.order.id}?t=${B.order.access_token}`],
      ['the guest order page with B\'s t', `/orders/${G.id}?t=${B.order.access_token}`],
      ['A\'s sandbox payment page with B\'s t', `/pay/sandbox/${pay}?t=${B.order.access_token}`],
      ['A\'s payment under another provider\'s path', `/pay/stripe/${pay}?t=${B.order.access_token}`],
      ['the return page for A\'s payment with B\'s t', `/checkout/return/sandbox?p=${pay}&t=${B.order.access_token}`],
    ];
    for (const [what, path] of gets) assert404(await s.getPage(path, cookie), what);
    const posts = [
      ['cancel A\'s order with B\'s t', `/orders/${A.order.id}/cancel`, { t: B.order.access_token }],
      ['cancel the guest order with no t', `/orders/${G.id}/cancel`, {}],
      ['pay A\'s order another way with B\'s t', `/orders/${A.order.id}/pay`, { t: B.order.access_token, provider: 'sandbox' }],
      ['settle A\'s sandbox payment with B\'s t', `/pay/sandbox/${pay}`, { t: B.order.access_token, result: 'succeeded' }],
    ];
    for (const [what, path, fields] of posts) assert404(await B.b.submit(path, fields, { csrf: B.csrf }), what);
    assert.deepEqual(await state(), before);
  });

  it('the account: address removal, history, export; a forged cart cookie; the admin invoice', async () => {
    const before = await state();
    const removal = `/account/addresses/${A.address}/delete`;
    assert404(await B.b.submit(removal, {}, { csrf: B.csrf }), 'B removing A\'s address');
    assert404(await B.b.submit(`/en${removal}`, {}, { csrf: B.csrf }), 'the same in English');
    // Signed out, the form sends the visitor to sign in, whether or not the id exists.
    const guest = browser(shop);
    const csrf = await guest.token('/account/login');
    const signedOut = await guest.submit(removal, {}, { csrf });
    const nothing = await guest.submit(`/account/addresses/${'0'.repeat(32)}/delete`, {}, { csrf });
    assert.deepEqual([signedOut.status, signedOut.headers.get('location')], [nothing.status, nothing.headers.get('location')]);
    assert.notEqual(signedOut.status, 200);

    const page = await B.b.get('/account');
    assert.equal(page.status, 200);
    for (const secret of [A.order.id, A.order.number, G.id, A.line1, A.email]) assert.ok(!page.text.includes(secret), `B's account page shows ${secret}`);
    const exported = await B.b.get('/account/export');
    assert.equal(exported.status, 200);
    const data = JSON.parse(exported.text);
    assert.equal(data.account.id, B.id);
    assert.deepEqual(data.orders.map((o) => o.id), [B.order.id]);
    for (const secret of [A.order.id, G.id, A.line1, A.email, A.id]) assert.ok(!exported.text.includes(secret), `B's export holds ${secret}`);

    // The cart cookie is the cart id signed by the shop: naming A's cart with another signature, or
    // none, is no cart at all (the control, A's real cookie, shows A's two units).
    const cartPage = (value) => shop.request('/cart', { headers: { cookie: `vestify_cart=${value}` } });
    const counted = (res) => res.headers.getSetCookie().find((c) => c.startsWith('vestify_cart_count='))?.split(/[=;]/)[1];
    assert.equal(counted(await cartPage(`${A.cart.id}.${A.cart.token}`)), '2', 'control');
    for (const value of [A.cart.id, `${A.cart.id}.${B.cart.token}`, `${A.cart.id}.${flip(A.cart.token)}`]) {
      const res = await cartPage(value);
      assert.equal(res.status, 200, value);
      assert.equal(counted(res), undefined, `${value}: not A's cart`);
    }
    const [v] = pool.take(1);
    const added = await s.postForm('/cart/items', { variant_id: v.id, quantity: 1 }, { cookie: `vestify_cart=${A.cart.id}.${B.cart.token}` });
    assert.equal(added.status, 303);
    assert.ok(!added.headers.getSetCookie().some((c) => c.startsWith(`vestify_cart=${A.cart.id}`)), 'a new cart, not A\'s');

    // Invoices are for staff only: a shopper's session gets the admin sign-in, the same for any id.
    for (const suffix of ['invoice', 'invoice.pdf']) {
      const probe = await B.b.get(`/admin/orders/${A.order.id}/${suffix}`);
      const none = await B.b.get(`/admin/orders/${'0'.repeat(32)}/${suffix}`);
      assert.deepEqual([probe.status, probe.headers.get('location')], [none.status, none.headers.get('location')], suffix);
      assert.ok(!probe.text.includes(A.order.number), `${suffix}: no trace of A's order`);
    }
    assert.deepEqual(await state(), before);
  });
});
