// Rate limits per client and action (the RateLimiter Durable Object): sign-in, sign-up, password
// reset and checkout answer 429 with Retry-After once a client is over its limit, while another
// client is unaffected. This shop runs with small limits; the client is the CF-Connecting-IP address.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { browser, newEmail, PASSWORD } from './support/accounts.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, variantPool } from './support/shopping.mjs';

const pool = variantPool();

useShop({ vars: { RATE_LIMITS: 'login=3/60 signup=2/600 password_reset=2/600 checkout=2/60' } });

const from = (ip) => ({ headers: { 'cf-connecting-ip': ip } });

function assertLimited(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status}`);
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 600, `${what}: Retry-After ${res.headers.get('retry-after')}`);
}

describe('rate limits', () => {
  it('limits sign-in attempts per client, not per account, and not other clients', async () => {
    const b = browser(shop);
    for (let i = 0; i < 3; i += 1) {
      const res = await b.submit('/account/login', { email: newEmail(), password: PASSWORD }, from('203.0.113.1'));
      assert.equal(res.status, 401, `attempt ${i + 1} is only a wrong password`);
    }
    const fourth = await b.submit('/account/login', { email: newEmail(), password: PASSWORD }, from('203.0.113.1'));
    assertLimited(fourth, 'fourth sign-in');
    assert.match(fourth.text, /thử lại sau \d+ giây/);
    const admin = await b.submit('/admin/login', { email: newEmail(), password: PASSWORD }, from('203.0.113.1'));
    assertLimited(admin, 'admin sign-in counts too');
    const other = await b.submit('/account/login', { email: newEmail(), password: PASSWORD }, from('203.0.113.2'));
    assert.equal(other.status, 401, 'another client is not limited');
  });

  it('limits sign-ups and password-reset requests', async () => {
    const b = browser(shop);
    for (let i = 0; i < 2; i += 1) assert.equal((await b.submit('/account/signup', { name: 'A', email: newEmail(), password: PASSWORD }, from('203.0.113.3'))).status, 303);
    assertLimited(await b.submit('/account/signup', { name: 'A', email: newEmail(), password: PASSWORD }, from('203.0.113.3')), 'third sign-up');
    for (let i = 0; i < 2; i += 1) assert.equal((await b.submit('/account/reset', { email: newEmail() }, from('203.0.113.4'))).status, 200);
    assertLimited(await b.submit('/account/reset', { email: newEmail() }, from('203.0.113.4')), 'third reset');
    assert.equal((await shop.sql("SELECT COUNT(*) AS n FROM customers"))[0].n, 2, 'the refused sign-up created nothing');
  });

  it('limits checkouts, in the JSON API too', async () => {
    const [v] = pool.take(1);
    const carts = [];
    for (let i = 0; i < 3; i += 1) {
      const { cart } = await s.cartWith([[v, 1]]);
      carts.push(cart);
    }
    const checkout = (cart) => s.api('POST', `/api/v1/carts/${cart.id}/checkout`, { body: checkoutBody(), headers: { 'x-cart-token': cart.token, 'cf-connecting-ip': '203.0.113.5' } });
    assert.equal((await checkout(carts[0])).status, 201);
    assert.equal((await checkout(carts[1])).status, 201);
    const third = await checkout(carts[2]);
    assertLimited(third, 'third checkout');
    assert.equal(JSON.parse(third.text).error.code, 'too_many_requests');
    const [orders] = await shop.sqlAll(`SELECT COUNT(*) AS n FROM orders WHERE cart_id = '${carts[2].id}'`);
    assert.equal(orders[0].n, 0, 'no order for the refused checkout');
  });
});
