// API tokens for app clients against the built Worker: POST /api/v1/auth/token (HS256 access JWT,
// checked here with Node's own HMAC, and a refresh token stored only as a hash), bearer access to
// /api/v1/me, /me/orders and /orders/{id}, refusal of expired, forged, alg-none and foreign tokens,
// refresh rotation, reuse detection that revokes the whole family, logout, revocation by the account
// pages (password change, sign out everywhere), the per-account slow-down and the per-client rate
// limits. Responses are checked against src/routes/openapi.json.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';

import { browser, newEmail, newShopper, outbox, PASSWORD } from './support/accounts.mjs';
import { assertSchema } from './support/openapi.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, newKey, variantPool } from './support/shopping.mjs';

const pool = variantPool();

// Every other limit stays lifted (the harness's default); token issuance and refresh get small
// ones, counted per client address, so each test below comes from its own address.
const lifted = ['login', 'signup', 'password_reset', 'checkout', 'reviews'].map((a) => `${a}=100000/60`).join(' ');
useShop({ vars: { RATE_LIMITS: `${lifted} token=4/60 token_refresh=4/60` } });

let clients = 0;
/** A client address of its own (the rate limits count per CF-Connecting-IP). */
const newClient = () => `198.51.100.${(clients += 1)}`;

const b64url = (data) => Buffer.from(data).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** A JWT signed with HS256 under `secret` (the shop's by default), with any header and claims. */
function forge(claims, { header = { alg: 'HS256', typ: 'JWT' }, secret = shop.secrets.apiToken } = {}) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function post(path, body, { ip = newClient(), headers = {} } = {}) {
  return s.api('POST', path, { body, headers: { 'cf-connecting-ip': ip, ...headers } });
}
const issue = (email, password = PASSWORD, options) => post('/api/v1/auth/token', { email, password }, options);
const refresh = (token, options) => post('/api/v1/auth/refresh', { refresh_token: token }, options);
const logout = (token, options) => post('/api/v1/auth/logout', { refresh_token: token }, options);
const bearer = (path, access) => s.api('GET', path, { headers: access === undefined ? {} : { authorization: `Bearer ${access}` } });

async function account() {
  const { b, email } = await newShopper(shop, 'app');
  const [row] = await shop.sql(`SELECT id FROM customers WHERE email = '${email}'`);
  return { b, email, id: row.id };
}

async function signedIn() {
  const a = await account();
  const res = await issue(a.email);
  assert.equal(res.status, 200, res.text);
  return { ...a, tokens: res.json };
}

function assertInvalidToken(res, what) {
  assert.equal(res.status, 401, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="vestify-api", error="invalid_token"', what);
  assert.equal(res.json?.error?.code, 'invalid_token', what);
  assertSchema('Error', res.json);
}

function assertLimited(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 900, `${what}: Retry-After ${res.headers.get('retry-after')}`);
  assert.equal(res.json.error.code, 'too_many_requests');
  assertSchema('Error', res.json);
}

const refreshRow = async (token) => {
  const hash = createHash('sha256').update(`refresh-token:${token}`).digest('hex');
  return (await shop.sql(`SELECT * FROM refresh_tokens WHERE token_hash = '${hash}'`))[0];
};

describe('POST /api/v1/auth/token', () => {
  it('issues a 15-minute HS256 access token for the customer and a refresh token stored only as a hash', async () => {
    const { email, id } = await account();
    const before = Math.floor(Date.now() / 1000);
    const res = await issue(email.toUpperCase());
    assert.equal(res.status, 200, res.text);
    assertSchema('TokenResponse', res.json);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.json.token_type, 'Bearer');
    assert.equal(res.json.expires_in, 900);
    const [h, p, sig] = res.json.access_token.split('.');
    assert.ok(![h, p, sig].some((part) => /[=+/]/.test(part)), 'base64url without padding');
    assert.deepEqual(decode(h), { alg: 'HS256', typ: 'JWT' });
    assert.equal(createHmac('sha256', shop.secrets.apiToken).update(`${h}.${p}`).digest('base64url'), sig, 'HMAC-SHA256 with API_TOKEN_SECRET');
    const claims = decode(p);
    assert.equal(claims.sub, id);
    assert.equal(claims.iss, 'vestify');
    assert.equal(claims.aud, 'vestify-api');
    assert.equal(claims.exp - claims.iat, 900);
    assert.ok(claims.iat >= before - 1 && claims.iat <= before + 60);
    assert.match(res.json.refresh_token, /^[0-9a-f]{64}$/);
    const row = await refreshRow(res.json.refresh_token);
    assert.ok(row, 'stored as SHA-256("refresh-token:" + token)');
    assert.equal(row.customer_id, id);
    assert.equal(row.family_id, claims.sid, 'the access token names its family');
    assert.equal(row.used_at, null);
    const all = await shop.sql('SELECT * FROM refresh_tokens');
    assert.ok(!JSON.stringify(all).includes(res.json.refresh_token), 'the token itself is nowhere in the table');
  });

  it('answers 401 to a wrong password or an unknown email, and 400/415 to a malformed request', async () => {
    const { email } = await account();
    for (const [what, res] of [
      ['wrong password', await issue(email, 'not the password')],
      ['unknown email', await issue(newEmail('nobody'))],
    ]) {
      assert.equal(res.status, 401, what);
      assert.equal(res.json.error.code, 'invalid_credentials', what);
      assert.ok(!res.json.access_token && !res.json.refresh_token, what);
      assertSchema('Error', res.json);
    }
    const missing = await post('/api/v1/auth/token', { email });
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys(missing.json.error.fields), ['password']);
    assertSchema('Error', missing.json);
    assert.equal((await post('/api/v1/auth/token', 'not json')).status, 400);
    const form = await post('/api/v1/auth/token', `email=${email}&password=x`, { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415, 'a form post (all a cross-site page can send without a preflight) is refused');
    const plain = await post('/api/v1/auth/token', JSON.stringify({ email, password: PASSWORD }), { headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.status, 415);
    assert.equal((await s.api('GET', '/api/v1/auth/token')).status, 405);
  });

  it('slows down an account after repeated failures from one client, even with the right password (shared with the sign-in form), and not from another client', async () => {
    const { email, b } = await account();
    // One client (the token limit here is 4 a minute per client, so the form makes the other tries).
    const ip = newClient();
    const form = browser(shop);
    const formLogIn = (password) => form.submit('/account/login', { email, password }, { headers: { 'cf-connecting-ip': ip } });
    for (let i = 0; i < 3; i += 1) assert.equal((await issue(email, `wrong ${i}`, { ip })).status, 401);
    for (let i = 3; i < 5; i += 1) assert.equal((await formLogIn(`wrong ${i}`)).status, 401);
    assertLimited(await issue(email, PASSWORD, { ip }), 'the sixth attempt');
    assert.equal((await formLogIn(PASSWORD)).status, 429, 'the sign-in form sees the same count');
    // Someone else's failures do not lock the owner out from their own address.
    assert.equal((await issue(email, PASSWORD, { ip: newClient() })).status, 200, 'another client');
    assert.ok(b.session(), 'the existing session is not touched');
  });
});

describe('bearer access', () => {
  it('opens /api/v1/me, the order history and each own order with the access token', async () => {
    const { b, email, id, tokens } = await signedIn();
    const [v] = pool.take(1);
    const placed = await s.placeOrder([[v.id, 2]], checkoutBody({ email }));
    const [message] = await outbox(shop, 'verify_email', email);
    await b.get(new URL(message.url).pathname);
    const me = await bearer('/api/v1/me', tokens.access_token);
    assert.equal(me.status, 200, me.text);
    assertSchema('Me', me.json);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.deepEqual({ id: me.json.customer.id, email: me.json.customer.email, verified: me.json.customer.email_verified }, { id, email, verified: true });
    const history = await bearer('/api/v1/me/orders', tokens.access_token);
    assert.equal(history.status, 200, history.text);
    assertSchema('OrderHistory', history.json);
    assert.deepEqual(history.json.orders.map((o) => o.id), [placed.order.id], 'the guest order with the verified email is attached');
    const detail = await bearer(history.json.orders[0].url, tokens.access_token);
    assert.equal(detail.status, 200);
    assertSchema('OrderEnvelope', detail.json);
    assert.deepEqual(detail.json.order.lines.map((l) => [l.sku, l.quantity]), [[v.sku, 2]]);
    const same = await bearer(`/api/v1/orders/${placed.order.id}`, tokens.access_token);
    assert.equal(same.status, 200, 'the order endpoint takes a bearer token instead of the order token');
    assert.deepEqual(same.json, detail.json);
  });

  it('refuses a missing, expired, forged, alg-none, foreign or malformed token with 401 invalid_token', async () => {
    const { id, tokens } = await signedIn();
    const sid = decode(tokens.access_token.split('.')[1]).sid;
    const none = await bearer('/api/v1/me');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="vestify-api"', 'no error code without a token (RFC 6750 §3.1)');
    assertSchema('Error', none.json);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'vestify', aud: 'vestify-api', sub: id, sid, iat: now, nbf: now, exp: now + 900 };
    assert.equal((await bearer('/api/v1/me', forge(claims))).status, 200, 'the forger holds the real secret: the control case');
    const [h, p] = tokens.access_token.split('.');
    const cases = [
      ['expired (beyond the leeway)', forge({ ...claims, iat: now - 1000, nbf: now - 1000, exp: now - 100 })],
      ['not valid yet', forge({ ...claims, nbf: now + 600 })],
      ['signed with another secret', forge(claims, { secret: 'x'.repeat(64) })],
      ['alg none, no signature', `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`],
      ['alg none, signed anyway', forge(claims, { header: { alg: 'none' } })],
      ['alg HS512', forge(claims, { header: { alg: 'HS512', typ: 'JWT' } })],
      ['another issuer', forge({ ...claims, iss: 'someone-else' })],
      ['another audience', forge({ ...claims, aud: 'another-api' })],
      ['another customer (changed payload, old signature)', `${h}.${b64url(JSON.stringify({ ...decode(p), sub: 'f'.repeat(32) }))}.${tokens.access_token.split('.')[2]}`],
      ['a family that does not exist', forge({ ...claims, sid: '0'.repeat(32) })],
      ['garbage', 'not.a.token'],
      ['the refresh token', tokens.refresh_token],
    ];
    for (const [what, token] of cases) assertInvalidToken(await bearer('/api/v1/me', token), what);
    assertInvalidToken(await s.api('GET', '/api/v1/me/orders', { headers: { authorization: `Basic ${tokens.access_token}` } }), 'another scheme');
  });

  it("places an app's checkout for the bearer's account, and refuses a bad bearer rather than ordering as a guest", async () => {
    const a = await signedIn();
    const { cart } = await s.cartWith([[pool.take(1)[0], 1]]);
    const forged = await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, {
      body: checkoutBody({ email: newEmail('other') }),
      headers: { 'x-cart-token': cart.token, 'idempotency-key': newKey(), authorization: `Bearer ${forge({ sub: a.id })}` },
    });
    assertInvalidToken(forged, 'a forged bearer at checkout');
    const res = await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, {
      body: checkoutBody({ email: newEmail('other') }),
      headers: { 'x-cart-token': cart.token, 'idempotency-key': newKey(), authorization: `Bearer ${a.tokens.access_token}` },
    });
    assert.equal(res.status, 201, res.text);
    const [order] = await shop.sql(`SELECT customer_id FROM orders WHERE id = '${res.json.order.id}'`);
    assert.equal(order.customer_id, a.id, 'the order belongs to the account, whatever email it names');
    const history = await bearer('/api/v1/me/orders', a.tokens.access_token);
    assert.ok(JSON.stringify(history.json).includes(res.json.order.id), 'and shows in its history');
  });

  it('does not take the browser session cookie as an identity', async () => {
    const { b } = await signedIn();
    const res = await s.api('GET', '/api/v1/me', { headers: { cookie: b.cookie } });
    assert.equal(res.status, 401);
    assert.ok(!res.text.includes('@'), 'nothing about the account');
  });
});

describe('refresh tokens', () => {
  it('rotates: the new pair works, the old refresh token is spent', async () => {
    const { id, tokens } = await signedIn();
    const res = await refresh(tokens.refresh_token);
    assert.equal(res.status, 200, res.text);
    assertSchema('TokenResponse', res.json);
    assert.notEqual(res.json.refresh_token, tokens.refresh_token);
    assert.equal(decode(res.json.access_token.split('.')[1]).sub, id);
    const [old, next] = [await refreshRow(tokens.refresh_token), await refreshRow(res.json.refresh_token)];
    assert.ok(old.used_at, 'the old one is marked used');
    assert.equal(next.family_id, old.family_id, 'same family');
    assert.equal(next.used_at, null);
    assert.equal((await bearer('/api/v1/me', res.json.access_token)).status, 200);
    assert.equal((await bearer('/api/v1/me', tokens.access_token)).status, 200, 'the earlier access token lives out its 15 minutes');
    const again = await refresh(res.json.refresh_token);
    assert.equal(again.status, 200, 'the new refresh token rotates in turn');
  });

  it('revokes the whole family when a spent refresh token is presented again: the newest one stops working too', async () => {
    const { tokens } = await signedIn();
    const second = (await refresh(tokens.refresh_token)).json;
    const third = (await refresh(second.refresh_token)).json;
    assert.ok(third?.refresh_token);
    const other = (await issue((await shop.sql(`SELECT email FROM customers WHERE id = '${decode(tokens.access_token.split('.')[1]).sub}'`))[0].email)).json;
    const replay = await refresh(tokens.refresh_token);
    assert.equal(replay.status, 401);
    assert.equal(replay.json.error.code, 'invalid_grant');
    assertSchema('Error', replay.json);
    const newest = await refresh(third.refresh_token);
    assert.equal(newest.status, 401, 'the newest refresh token of the family is revoked');
    assertInvalidToken(await bearer('/api/v1/me', third.access_token), 'its access token is revoked with it');
    const family = (await refreshRow(tokens.refresh_token)).family_id;
    const rows = await shop.sql(`SELECT revoked_at FROM refresh_tokens WHERE family_id = '${family}'`);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.revoked_at), 'every token of the family is revoked');
    assert.equal((await refresh(other.refresh_token)).status, 200, 'another sign-in (another family) is unaffected');
  });

  it('rotates a token only once when two refreshes race with it', async () => {
    const { tokens } = await signedIn();
    const results = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401]);
    const family = (await refreshRow(tokens.refresh_token)).family_id;
    const rows = await shop.sql(`SELECT revoked_at FROM refresh_tokens WHERE family_id = '${family}'`);
    assert.equal(rows.length, 2, 'one new token, not two');
    assert.ok(rows.every((r) => r.revoked_at), 'the loser looked like a replay: the family is revoked');
  });

  it('refuses unknown, malformed and expired refresh tokens', async () => {
    const { tokens } = await signedIn();
    assert.equal((await refresh('ab'.repeat(32))).status, 401);
    assert.equal((await refresh('short')).status, 401);
    assert.equal((await post('/api/v1/auth/refresh', {})).status, 400);
    const row = await refreshRow(tokens.refresh_token);
    await shop.sql(`UPDATE refresh_tokens SET expires_at = 1 WHERE token_hash = '${row.token_hash}'`);
    assert.equal((await refresh(tokens.refresh_token)).status, 401, 'expired');
  });
});

describe('logout and revocation', () => {
  it('logout revokes the family: its refresh and access tokens stop working, other sign-ins do not', async () => {
    const { email, tokens } = await signedIn();
    const other = (await issue(email)).json;
    const res = await logout(tokens.refresh_token);
    assert.equal(res.status, 204);
    assert.equal((await refresh(tokens.refresh_token)).status, 401);
    assertInvalidToken(await bearer('/api/v1/me', tokens.access_token), 'the access token after logout');
    assert.equal((await bearer('/api/v1/me', other.access_token)).status, 200);
    assert.equal((await logout('cd'.repeat(32))).status, 204, 'an unknown token: the same answer');
  });

  it('a password change and "sign out everywhere" revoke the customer\'s API tokens', async () => {
    const { b, email, tokens } = await signedIn();
    const changed = await b.submit('/account/password', { current_password: PASSWORD, password: 'một mật khẩu mới 456' }, { page: '/account' });
    assert.equal(changed.status, 303);
    assert.equal((await refresh(tokens.refresh_token)).status, 401);
    assertInvalidToken(await bearer('/api/v1/me', tokens.access_token), 'after a password change');
    const again = (await issue(email, 'một mật khẩu mới 456')).json;
    assert.equal((await bearer('/api/v1/me', again.access_token)).status, 200);
    assert.equal((await b.submit('/account/logout-everywhere', {}, { page: '/account' })).status, 303);
    assert.equal((await refresh(again.refresh_token)).status, 401);
    assertInvalidToken(await bearer('/api/v1/me', again.access_token), 'after sign out everywhere');
  });

  it('account deletion removes the refresh tokens and ends the access tokens', async () => {
    const { b, tokens, id } = await signedIn();
    assert.equal((await b.submit('/account/delete', { confirm_password: PASSWORD, confirm_delete: 'yes' }, { page: '/account' })).status, 303);
    assert.deepEqual(await shop.sql(`SELECT * FROM refresh_tokens WHERE customer_id = '${id}'`), []);
    assertInvalidToken(await bearer('/api/v1/me', tokens.access_token), 'after deletion');
  });
});

describe('rate limits', () => {
  it('limits token issuance per client: 429 with Retry-After, another client unaffected', async () => {
    const { email } = await account();
    const ip = newClient();
    for (let i = 0; i < 4; i += 1) assert.equal((await issue(email, PASSWORD, { ip })).status, 200);
    assertLimited(await issue(email, PASSWORD, { ip }), 'the fifth request from one client');
    assert.equal((await issue(email, PASSWORD)).status, 200, 'another client');
  });

  it('limits refreshes per client', async () => {
    const { tokens } = await signedIn();
    const ip = newClient();
    let current = tokens.refresh_token;
    for (let i = 0; i < 4; i += 1) {
      const res = await refresh(current, { ip });
      assert.equal(res.status, 200, res.text);
      current = res.json.refresh_token;
    }
    assertLimited(await refresh(current, { ip }), 'the fifth refresh');
    assert.equal((await refresh(current)).status, 200, 'the refused request spent nothing');
  });
});
