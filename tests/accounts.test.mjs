// Customer accounts against the built Worker: sign-up (PBKDF2 through WebCrypto, checked with Node's
// own PBKDF2), sign-in and sign-out, session rotation and timeouts, sign out everywhere, password
// reset through the outbox, change of password, the per-account slow-down, email verification and
// guest orders, export and deletion, CSRF on every account form, and IDOR probes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { browser, checkStoredHash, customerByEmail, newEmail, newShopper, outbox, PASSWORD } from './support/accounts.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { sqlText } from './support/shop.mjs';
import { checkoutBody, variantPool } from './support/shopping.mjs';

const pool = variantPool();

useShop();

const sessionsOf = async (id) => shop.sql(`SELECT * FROM sessions WHERE subject_id = ${sqlText(id)} ORDER BY created_at`);

async function signedUp() {
  const { b, email } = await newShopper(shop);
  return { b, email, customer: await customerByEmail(shop, email) };
}

describe('sign-up', () => {
  it('creates the account with a PBKDF2-SHA256 hash at 100,000 iterations and signs the shopper in', async () => {
    const email = newEmail();
    const b = browser(shop);
    const res = await b.signUp(email.toUpperCase());
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/account');
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('vestify_session='));
    assert.match(raw, /^vestify_session=[0-9a-f]{64}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/);
    const row = await customerByEmail(shop, email);
    assert.ok(row, 'stored with the email lowercased');
    const check = checkStoredHash(row.password_hash, PASSWORD);
    assert.deepEqual(check, { alg: 'pbkdf2-sha256', iterations: 100000, saltBytes: 16, matches: true });
    const [session] = await sessionsOf(row.id);
    assert.notEqual(session.id_hash, b.session(), 'only a hash of the session id is stored');
    const page = await b.get('/account');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(page.doc.find('.signed-in').attr('data-email'), email);
    const [message] = await outbox(shop, 'verify_email', email);
    assert.match(message.url, /^http:\/\/127\.0\.0\.1:\d+\/account\/verify\/[0-9a-f]{64}$/);
  });

  it('says what is wrong with each field, in the visitor\'s language, and refuses a taken email', async () => {
    const b = browser(shop);
    const bad = await b.submit('/en/account/signup', { name: '', email: 'not-an-email', password: 'short' });
    assert.equal(bad.status, 422);
    const doc = (await import('./support/html.mjs')).parseHtml(bad.text);
    const fields = doc.findAll('.field-error').map((e) => e.attr('data-field')).sort();
    assert.deepEqual(fields, ['email', 'name', 'password']);
    assert.match(bad.text, /too short \(10 characters at least\)/);
    const { email } = await signedUp();
    const taken = await browser(shop).signUp(email);
    assert.equal(taken.status, 409);
    assert.match(taken.text, /đã có tài khoản/);
  });
});

describe('sign-in and sessions', () => {
  it('offers no social sign-in while no provider is configured', async () => {
    const page = await shop.getHtml('/account/login');
    assert.equal(page.doc.findAll('a.social').length, 0);
    assert.equal((await shop.get('/auth/google/start')).status, 404);
  });

  it('signs in with a new session id each time, and out again', async () => {
    const { b, email, customer: c } = await signedUp();
    const first = b.session();
    // Signed in, the sign-in page sends the shopper to the account; a sign-in posted anyway (another
    // tab) replaces the session.
    assert.equal((await b.get('/account/login')).headers.get('location'), '/account');
    const csrf = await b.token('/account', '/account/logout');
    const wrong = await b.submit('/account/login', { email, password: 'wrong password!' }, { csrf });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Email hoặc mật khẩu không đúng/);
    const again = await b.submit('/account/login', { email, password: PASSWORD }, { csrf });
    assert.equal(again.status, 303);
    const second = b.session();
    assert.ok(second && second !== first, 'a new id on sign-in');
    assert.equal((await sessionsOf(c.id)).length, 1, 'the session it replaced is gone');
    const stale = await shop.get('/account', { cookie: `vestify_session=${first}` });
    assert.equal(stale.status, 303, 'the old id no longer works');
    const out = await b.logOut();
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/account/login?notice=signed_out');
    assert.deepEqual(await sessionsOf(c.id), []);
    const after = await shop.get('/account', { cookie: `vestify_session=${second}` });
    assert.equal(after.status, 303);
    assert.equal(after.headers.get('location'), '/account/login?notice=session_expired&return=%2Faccount', 'an ended session is named as such');
    assert.equal((await shop.get('/account')).headers.get('location'), '/account/login', 'no session at all: just the sign-in page');
  });

  it('ends a session after the idle timeout and after the absolute timeout, however active', async () => {
    const { b, customer: c } = await signedUp();
    assert.equal((await b.get('/account')).status, 200);
    const now = Math.floor(Date.now() / 1000);
    await shop.sql(`UPDATE sessions SET last_seen_at = ${now - 7 * 86400 - 5} WHERE subject_id = '${c.id}'`);
    assert.equal((await b.get('/account')).status, 303, 'idle for a week');
    assert.deepEqual(await sessionsOf(c.id), [], 'the dead session is removed');

    await b.logIn(c.email);
    assert.equal((await b.get('/account')).status, 200);
    await shop.sql(`UPDATE sessions SET expires_at = ${now - 1} WHERE subject_id = '${c.id}'`);
    assert.equal((await b.get('/account')).status, 303, 'past the absolute end');
  });

  it('after the idle timeout, an account form leads to a sign-in that says so, back to the account, with what was typed', async () => {
    const { b, customer: c } = await signedUp();
    const csrf = await b.token('/account', '/account/addresses');
    const now = Math.floor(Date.now() / 1000);
    await shop.sql(`UPDATE sessions SET last_seen_at = ${now - 7 * 86400 - 5} WHERE subject_id = '${c.id}'`);
    const address = { name: 'Trần Văn Cường', phone: '0901234567', 'address.line1': '12 Lý Thái Tổ', 'address.province_code': '79', 'address.ward_code': '26743', 'address.country': 'VN' };
    const sent = await b.submit('/account/addresses', address, { csrf });
    assert.equal(sent.status, 303);
    const location = sent.headers.get('location');
    assert.equal(location, '/account/login?notice=session_expired&return=%2Faccount');
    const cookies = sent.headers.getSetCookie();
    assert.ok(cookies.some((k) => /^vestify_session=;/.test(k)), 'the stale session cookie goes');
    assert.match(cookies.find((k) => k.startsWith('vestify_kept=')), /HttpOnly; SameSite=Lax/);
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM addresses WHERE customer_id = '${c.id}'`))[0].n, 0, 'nothing saved signed out');
    const login = await b.get(location);
    assert.equal(login.status, 200);
    assert.match(login.doc.find('p.success').text, /Phiên đăng nhập của bạn đã hết hạn/);
    assert.match((await browser(shop).get('/en/account/login?notice=session_expired')).text, /Your session has expired/);
    const back = await b.submit('/account/login?return=%2Faccount', { email: c.email, password: PASSWORD }, { page: location });
    assert.equal(back.status, 303);
    assert.equal(back.headers.get('location'), '/account');
    const page = await b.get('/account');
    assert.match(page.text, /Những gì bạn đã nhập vẫn còn bên dưới/);
    const typed = (name) => page.doc.find(`form.add-address input[name="${name}"]`).attr('value');
    assert.deepEqual(['name', 'phone', 'address.line1'].map(typed), ['Trần Văn Cường', '0901234567', '12 Lý Thái Tổ']);
    const chosen = (name) => page.doc.find(`form.add-address select[name="${name}"] option[selected]`)?.attr('value');
    assert.deepEqual([chosen('address.province_code'), chosen('address.ward_code')], ['79', '26743'], 'the province and ward, with the ward list');
    assert.ok(page.headers.getSetCookie().some((k) => /^vestify_kept=;/.test(k)), 'shown once');
    assert.equal((await b.get('/account')).doc.find('form.add-address input[name="address.line1"]').attr('value'), '');
  });

  it('keeps a session alive while it is used', async () => {
    const { b, customer: c } = await signedUp();
    const now = Math.floor(Date.now() / 1000);
    await shop.sql(`UPDATE sessions SET last_seen_at = ${now - 7 * 86400 + 60} WHERE subject_id = '${c.id}'`);
    assert.equal((await b.get('/account')).status, 200);
    const [row] = await sessionsOf(c.id);
    assert.ok(row.last_seen_at >= now, 'the visit restarted the idle timer');
  });

  it('signs out everywhere', async () => {
    const { b, email, customer: c } = await signedUp();
    const phone = browser(shop);
    await phone.logIn(email);
    assert.equal((await sessionsOf(c.id)).length, 2);
    const res = await phone.submit('/account/logout-everywhere', {}, { page: '/account' });
    assert.equal(res.status, 303);
    assert.deepEqual(await sessionsOf(c.id), []);
    assert.equal((await b.get('/account')).status, 303, 'the other device is signed out too');
  });

  it('slows sign-in to an account down after five failures from one client, even with the right password', async () => {
    const { email } = await signedUp();
    const b = browser(shop);
    for (let i = 0; i < 5; i += 1) assert.equal((await b.logIn(email, `wrong-${i}-password`)).status, 401);
    const blocked = await b.logIn(email);
    assert.equal(blocked.status, 429);
    const retry = Number(blocked.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 30, `Retry-After ${retry}`);
    assert.match(blocked.text, /thử lại sau \d+ giây/);
    // Another account is not affected, nor this account from another client (the owner's network).
    const other = await signedUp();
    assert.equal((await browser(shop).logIn(other.email)).status, 303);
    const owner = browser(shop);
    assert.equal((await owner.submit('/account/login', { email, password: PASSWORD }, { headers: { 'cf-connecting-ip': '192.0.2.44' } })).status, 303);
    // After the wait, the right password works and clears that client's count.
    await shop.sql(`UPDATE login_failures SET last_at = last_at - 60 WHERE account = 'customer:${email}'`);
    assert.equal((await b.logIn(email)).status, 303);
    assert.deepEqual(await shop.sql(`SELECT * FROM login_failures WHERE account = 'customer:${email}'`), []);
  });

  it('checks no more passwords than the free tries when wrong ones arrive all at once', async () => {
    const { email } = await signedUp();
    const b = browser(shop);
    const csrf = await b.token('/account/login', '/account/login');
    const headers = { 'cf-connecting-ip': '192.0.2.77' };
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => b.submit('/account/login', { email, password: `wrong-${i}-password` }, { csrf, headers })));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 25);
  });
});

describe('password reset and change', () => {
  it('sends a one-time link through the outbox, and says the same for unknown emails', async () => {
    const { b, email, customer: c } = await signedUp();
    const unknown = newEmail('nobody');
    const r1 = await browser(shop).submit('/account/reset', { email: unknown });
    const r2 = await browser(shop).submit('/account/reset', { email });
    assert.equal(r1.status, 200);
    assert.equal(r2.status, 200);
    const said = (t) => (t.match(/<p class="success"[^>]*>([^<]*)</) ?? [])[1];
    assert.equal(said(r1.text), said(r2.text), 'the same answer');
    assert.deepEqual(await outbox(shop, 'password_reset', unknown), []);
    const [message] = await outbox(shop, 'password_reset', email);
    const path = new URL(message.url).pathname;

    const stranger = browser(shop);
    const weak = await stranger.submit(path, { password: 'short' });
    assert.equal(weak.status, 422);
    const done = await stranger.submit(path, { password: 'a brand new password' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), '/account/login?notice=reset_done');
    assert.deepEqual(await sessionsOf(c.id), [], 'every session ended');
    assert.equal((await b.get('/account')).status, 303);
    assert.equal((await browser(shop).logIn(email)).status, 401, 'the old password is gone');
    assert.equal((await browser(shop).logIn(email, 'a brand new password')).status, 303);
    assert.ok((await customerByEmail(shop, email)).email_verified_at, 'the link proved the email');
    const reuse = await stranger.get(path);
    assert.equal(reuse.status, 404, 'the link works once');
    assert.equal((await browser(shop).get('/account/reset/' + 'ab'.repeat(32))).status, 404);
  });

  it('links to the configured origin only: a reset asked for under another Host is refused and sends nothing', async () => {
    const { email } = await signedUp();
    const stranger = browser(shop);
    const csrf = await stranger.token('/account/reset', '/account/reset');
    const body = new URLSearchParams({ email, csrf }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), cookie: stranger.cookie };
    for (const host of ['evil.example', `evil.example:${shop.port}`]) {
      const res = await shop.requestWithHost(host, '/account/reset', { method: 'POST', headers: { ...headers, origin: `http://${host}` }, body });
      assert.equal(res.status, 421, `${host}: ${res.text.slice(0, 200)}`);
    }
    assert.deepEqual(await outbox(shop, 'password_reset', email), [], 'no mail was written');
    const res = await stranger.submit('/account/reset', { email });
    assert.equal(res.status, 200);
    const [message] = await outbox(shop, 'password_reset', email);
    assert.ok(message.url.startsWith(`${shop.url}/account/reset/`), message.url);
  });

  it('changes the password with the current one, ends other sessions and rotates this one', async () => {
    const { b, email, customer: c } = await signedUp();
    const other = browser(shop);
    await other.logIn(email);
    const wrong = await b.submit('/account/password', { current_password: 'not it at all', password: 'another long password' }, { page: '/account' });
    assert.equal(wrong.status, 422);
    const before = b.session();
    const ok = await b.submit('/account/password', { current_password: PASSWORD, password: 'another long password' }, { page: '/account' });
    assert.equal(ok.status, 303);
    assert.notEqual(b.session(), before, 'a new session id');
    assert.equal((await sessionsOf(c.id)).length, 1);
    assert.equal((await other.get('/account')).status, 303, 'the other device is signed out');
    assert.equal((await b.get('/account')).status, 200);
    assert.ok(checkStoredHash((await customerByEmail(shop, email)).password_hash, 'another long password').matches);
  });
});

describe('CSRF on account forms', () => {
  it('refuses sign-in, sign-up and sign-out without a valid token or from another site', async () => {
    const { b, email } = await signedUp();
    const stranger = browser(shop);
    assert.equal((await stranger.submit('/account/login', { email, password: PASSWORD }, { csrf: null })).status, 403);
    assert.equal((await stranger.submit('/account/signup', { email: newEmail(), name: 'X', password: PASSWORD }, { csrf: 'f'.repeat(64) })).status, 403);
    const token = await b.token('/account', '/account/logout');
    const cross = await b.submit('/account/logout', {}, { csrf: token, headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(cross.status, 403);
    assert.equal((await b.get('/account')).status, 200, 'still signed in');
    // A token from before sign-in does not work after it: tokens are bound to the session.
    const guest = browser(shop);
    const old = await guest.token('/account/login', '/account/login');
    await guest.logIn(email);
    assert.equal((await guest.submit('/account/logout', {}, { csrf: old })).status, 403);
  });
});

describe('the account', () => {
  it('attaches guest orders placed with the email once it is verified, and only those', async () => {
    const { b, email } = await signedUp();
    const [v1, v2] = pool.take(2);
    const mine = await s.placeOrder([[v1.id, 1]], checkoutBody({ email: email.toUpperCase() }));
    const theirs = await s.placeOrder([[v2.id, 1]], checkoutBody({ email: newEmail('other') }));
    let page = await b.get('/account');
    assert.deepEqual(page.doc.findAll('tr[data-order]').map((r) => r.attr('data-order')), [], 'not before verification');
    const [message] = await outbox(shop, 'verify_email', email);
    const verified = await b.get(new URL(message.url).pathname);
    assert.equal(verified.status, 303);
    page = await b.get('/account');
    const rows = page.doc.findAll('tr[data-order]');
    assert.deepEqual(rows.map((r) => r.attr('data-order')), [mine.order.id]);
    assert.ok(!page.text.includes(theirs.order.id));
    const link = rows[0].find('a').attr('href');
    assert.equal((await shop.get(link)).status, 200, 'the history links to the order page');
  });

  it('makes an order placed while signed in the shopper\'s at once, whatever email it names', async () => {
    const { b } = await signedUp();
    const [v] = pool.take(1);
    const added = await b.submit('/cart/items', { variant_id: v.id, quantity: 1 }, { page: `/p/${v.slug}` });
    assert.equal(added.status, 303);
    const body = checkoutBody({ email: newEmail('gift') });
    const fields = { email: body.email, name: body.name, phone: body.phone, shipping_method: 'standard', payment_provider: 'sandbox' };
    for (const [k, value] of Object.entries(body.address)) fields[`address.${k}`] = value;
    const placed = await b.submit('/checkout', fields);
    assert.equal(placed.status, 303, placed.text.slice(0, 300));
    const [order] = await shop.sql(`SELECT id FROM orders WHERE email = '${body.email}'`);
    const page = await b.get('/account');
    assert.deepEqual(page.doc.findAll('tr[data-order]').map((r) => r.attr('data-order')), [order.id]);
  });

  it('keeps addresses per account: another account\'s address id is a 404', async () => {
    const one = await signedUp();
    const two = await signedUp();
    const address = { name: 'Trần Văn Cường', phone: '0987 654 321', 'address.line1': '1 Hàng Bài', 'address.province_code': '01', 'address.ward_code': '00070', 'address.country': 'VN' };
    assert.equal((await one.b.submit('/account/addresses', address, { page: '/account' })).status, 303);
    const [row] = await shop.sql(`SELECT id FROM addresses WHERE customer_id = '${one.customer.id}'`);
    const probe = await two.b.submit(`/account/addresses/${row.id}/delete`, {}, { page: '/account', csrf: await two.b.token('/account', '/account/logout') });
    assert.equal(probe.status, 404);
    assert.equal((await shop.sql(`SELECT id FROM addresses WHERE id = '${row.id}'`)).length, 1, 'untouched');
    const page = await one.b.get('/account');
    assert.ok(page.text.includes('1 Hàng Bài'));
    const action = `/account/addresses/${row.id}/delete`;
    assert.equal((await one.b.submit(action, {}, { page: '/account' })).status, 303);
    assert.deepEqual(await shop.sql(`SELECT id FROM addresses WHERE id = '${row.id}'`), []);
  });

  it('saves addresses by province and ward, edits them in place and makes one the default', async () => {
    const { b, customer: c } = await signedUp();
    const hanoi = { name: 'Lê Thị Hồng', phone: '0987 654 321', 'address.line1': '1 Hàng Bài', 'address.province_code': '01', 'address.ward_code': '00070', 'address.country': 'VN' };
    const rows = () => shop.sql(`SELECT id, line1, ward, province, province_code, ward_code, district, is_default FROM addresses WHERE customer_id = '${c.id}' ORDER BY created_at, rowid`);
    // A ward of another province is refused with the field, nothing saved.
    const wrong = await b.submit('/account/addresses', { ...hanoi, 'address.province_code': '79' }, { page: '/account' });
    assert.equal(wrong.status, 422);
    const { parseHtml } = await import('./support/html.mjs');
    assert.ok(parseHtml(wrong.text).find('.field-error[data-field="address.ward_code"]'), 'the ward is named');
    assert.deepEqual(await rows(), []);
    // Without JavaScript, "Update" lists the province's wards and saves nothing.
    const listed = await b.submit('/account/addresses', { ...hanoi, 'address.ward_code': '', refresh: '1' }, { page: '/account' });
    assert.equal(listed.status, 200);
    assert.ok(parseHtml(listed.text).find('select[name="address.ward_code"] option[value="00070"]'), 'Hà Nội\'s wards are listed');
    assert.deepEqual(await rows(), []);

    assert.equal((await b.submit('/account/addresses', hanoi, { page: '/account' })).status, 303);
    assert.equal((await b.submit('/account/addresses', { ...hanoi, 'address.line1': '2 Lê Lợi', 'address.province_code': '79', 'address.ward_code': '26743' }, { page: '/account' })).status, 303);
    let [first, second] = await rows();
    assert.deepEqual([first.province, first.ward, first.district, first.is_default], ['Thành phố Hà Nội', 'Phường Hoàn Kiếm', '', 1], 'official names; the first is the default');
    assert.deepEqual([second.province_code, second.ward_code, second.is_default], ['79', '26743', 0]);

    // Edit the second in place, then make it the default.
    const edit = await b.get(`/account/addresses/${second.id}/edit`);
    assert.equal(edit.status, 200);
    assert.equal(edit.doc.find('select[name="address.ward_code"] option[selected]')?.attr('value'), '26743', 'the saved ward is chosen');
    assert.equal((await b.submit(`/account/addresses/${second.id}`, { ...hanoi, 'address.line1': '3 Lê Lợi', 'address.province_code': '79', 'address.ward_code': '26743' }, { page: `/account/addresses/${second.id}/edit` })).status, 303);
    assert.equal((await b.submit(`/account/addresses/${second.id}/default`, {}, { page: '/account' })).status, 303);
    [first, second] = await rows();
    assert.deepEqual([first.is_default, second.is_default, second.line1], [0, 1, '3 Lê Lợi'], 'one default, edited in place');
    const page = await b.get('/account');
    assert.deepEqual(page.doc.findAll('li[data-address]').map((li) => [li.attr('data-address'), li.attr('data-default')]), [[second.id, '1'], [first.id, '0']], 'the default first, marked');

    // Another account can neither edit nor take it as its default.
    const other = await signedUp();
    assert.equal((await other.b.get(`/account/addresses/${first.id}/edit`)).status, 404);
    const csrf = await other.b.token('/account', '/account/logout');
    assert.equal((await other.b.submit(`/account/addresses/${first.id}/default`, {}, { page: '/account', csrf })).status, 404);
    assert.equal((await other.b.submit(`/account/addresses/${first.id}`, hanoi, { page: '/account', csrf })).status, 404);
    assert.deepEqual((await rows()).map((r) => [r.line1, r.is_default]), [['1 Hàng Bài', 0], ['3 Lê Lợi', 1]], 'untouched');
  });

  it('exports all of the shopper\'s data as a JSON download', async () => {
    const { b, email } = await signedUp();
    const [v] = pool.take(1);
    const placed = await s.placeOrder([[v.id, 2]], checkoutBody({ email }));
    const [message] = await outbox(shop, 'verify_email', email);
    await b.get(new URL(message.url).pathname);
    await b.submit('/account/profile', { name: 'Lê Thị Dung', phone: '0912 000 111' }, { page: '/account' });
    const res = await b.get('/account/export');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="vestify-my-data.json"$/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const data = JSON.parse(res.text);
    assert.equal(data.account.email, email);
    assert.equal(data.account.name, 'Lê Thị Dung');
    assert.equal(data.account.email_verified, true);
    assert.deepEqual(data.orders.map((o) => o.id), [placed.order.id]);
    assert.deepEqual(data.orders[0].lines.map((l) => [l.sku, l.quantity]), [[v.sku, 2]]);
    assert.deepEqual(data.orders[0].payments.map((p) => [p.provider, p.status]), [['sandbox', 'pending']]);
    assert.deepEqual(data.orders[0].events.map((e) => e.to_status), ['pending_payment']);
    assert.ok(data.sessions.length >= 1 && Array.isArray(data.messages) && Array.isArray(data.one_time_links));
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    for (const t of [data.exported_at, data.account.created_at, data.orders[0].created_at, data.orders[0].expires_at, data.sessions[0].last_seen_at]) {
      assert.match(t, rfc3339, 'one timestamp format throughout');
    }
    assert.ok(!('password_hash' in data.account) && !res.text.includes('pbkdf2'), 'no secrets in the export');
    assert.equal((await shop.get('/account/export')).status, 303, 'signed out: to the sign-in page');
  });

  it('deletes the account: personal data erased, an open order keeps its delivery details and the page says so first', async () => {
    const { b, email, customer: c } = await signedUp();
    const [v] = pool.take(1);
    const placed = await s.placeOrder([[v.id, 1]], checkoutBody({ email }));
    const [message] = await outbox(shop, 'verify_email', email);
    await b.get(new URL(message.url).pathname);
    const page = await b.get('/account');
    const form = page.doc.find('form.delete-account');
    assert.ok(form.find(`[data-open-order="${placed.order.id}"]`), 'the unfinished order is listed before confirming');
    assert.match(form.text, /giữ tên, số điện thoại, email và địa chỉ giao hàng/);
    assert.match(form.text, /Giữ lại cho kế toán/);
    const en = await b.get('/en/account');
    assert.match(en.doc.find('form.delete-account').text, /we keep your name, phone, email and delivery address on them until they are delivered/);
    // Destructive and confirmed: a red button apart, behind a tick that says it is for good.
    assert.ok(form.hasClass('danger-zone') && form.find('button.danger'));
    assert.equal(form.find('input[name="confirm_delete"]').attr('required'), '');
    const unticked = await b.submit('/account/delete', { confirm_password: PASSWORD }, { page: '/account' });
    assert.equal(unticked.status, 422);
    assert.match(unticked.text, /chưa bị xoá/);
    const wrong = await b.submit('/account/delete', { confirm_password: 'not my password', confirm_delete: 'yes' }, { page: '/account' });
    assert.equal(wrong.status, 422);
    const res = await b.submit('/account/delete', { confirm_password: PASSWORD, confirm_delete: 'yes' }, { page: '/account' });
    assert.equal(res.status, 303);
    const [row] = await shop.sql(`SELECT * FROM customers WHERE id = '${c.id}'`);
    assert.equal(row.email, `deleted:${c.id}`);
    assert.equal(row.password_hash, null);
    assert.equal(row.name, '');
    assert.ok(row.deleted_at);
    const [order] = await shop.sql(`SELECT email, name, address_line1, total, status FROM orders WHERE id = '${placed.order.id}'`);
    assert.equal(order.status, 'pending_payment');
    assert.deepEqual([order.email, order.name, order.address_line1], [email, checkoutBody().name, checkoutBody().address.line1], 'an open order can still be delivered');
    assert.equal(order.total, placed.order.totals.total, 'kept for accounting');
    assert.deepEqual(await sessionsOf(c.id), []);
    assert.equal((await browser(shop).logIn(email)).status, 401);
    assert.equal((await browser(shop).signUp(email)).status, 303, 'the email is free again');
  });
});
