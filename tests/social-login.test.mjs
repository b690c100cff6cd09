// Social sign-in (Google, Facebook, Apple) against a local identity provider (support/fakes/idp.mjs)
// that checks the client's credentials, the redirect URI and the PKCE verifier, signs real RS256 ID
// tokens and serves its JWKS: the happy paths (Apple's answer posted back cross-site), every way a
// sign-in must be refused (nothing created, a 400 page in the shopper's language), linking an
// identity to an existing account only with its password, linking from the account page, unlinking
// (never the last way to sign in), and the export and deletion of identities.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { browser, customerByEmail, newShopper, outbox, PASSWORD } from './support/accounts.mjs';
import { startIdpFake } from './support/fakes/idp.mjs';
import { parseHtml } from './support/html.mjs';
import { beforeAll, shop, useShop } from './support/setup.mjs';
import { sqlText as q } from './support/shop.mjs';

let idp;

beforeAll(async () => {
  idp = await startIdpFake();
});
useShop(() => ({ vars: idp.vars }));
after(async () => {
  await idp?.stop();
});

const identity = async (p, sub) => (await shop.sql(`SELECT * FROM social_identities WHERE provider = ${q(p)} AND subject = ${q(sub)}`))[0];
const local = (url) => { const u = new URL(url); return u.pathname + u.search; };

/** Takes the browser from `start` (a path of the shop, or a prepared response) through the fake provider. */
async function throughProvider(b, p, started) {
  assert.equal(started.status, 303, started.text.slice(0, 300));
  const authorize = started.headers.get('location');
  assert.ok(authorize.startsWith(`${idp.url}/${p}/authorize?`), authorize);
  const res = await fetch(authorize, { redirect: 'manual' });
  if (p !== 'apple') {
    assert.equal(res.status, 302, await res.text());
    return b.get(local(res.headers.get('location')));
  }
  // Apple: its page posts the answer back to the shop, cross-site.
  const doc = parseHtml(await res.text());
  const form = doc.find('form');
  const fields = Object.fromEntries(form.findAll('input').map((i) => [i.attr('name'), i.attr('value')]));
  return postBack(b, local(form.attr('action')), fields);
}

async function postBack(b, path, fields) {
  return b.keep(await shop.request(path, {
    method: 'POST',
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: idp.url, 'sec-fetch-site': 'cross-site', ...(b.cookie ? { cookie: b.cookie } : {}) },
  }));
}

async function socialSignIn(p, { b = browser(shop), options, prefix = '', query = '' } = {}) {
  if (options) idp.next(p, options);
  const res = await throughProvider(b, p, await b.get(`${prefix}/auth/${p}/start${query}`));
  return { b, res: await res };
}

/** A 400 refusal page: its reason, and a way back to sign-in. */
function assertRefused(res, code, prefix = '') {
  assert.equal(res.status, 400, res.text.slice(0, 400));
  const doc = parseHtml(res.text);
  assert.equal(doc.find('.social-failed').attr('data-error'), code);
  assert.ok(doc.findAll('a').some((a) => a.attr('href') === `${prefix}/account/login`), 'a link back to sign-in');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

describe('the sign-in page', () => {
  it('offers each configured provider, in both languages', async () => {
    for (const [prefix, word] of [['', 'Tiếp tục với'], ['/en', 'Continue with']]) {
      const page = await shop.getHtml(`${prefix}/account/login`);
      const links = page.doc.findAll('a.social');
      assert.deepEqual(links.map((a) => a.attr('data-provider')), ['google', 'facebook', 'apple']);
      assert.deepEqual(links.map((a) => a.attr('href')), ['google', 'facebook', 'apple'].map((p) => `${prefix}/auth/${p}/start`));
      assert.match(links[0].text, new RegExp(`${word} Google`));
    }
    assert.equal((await shop.get('/auth/github/start')).status, 404);
  });

  it('starts a flow with state, nonce and an S256 challenge bound to this browser by a sealed HttpOnly cookie', async () => {
    const b = browser(shop);
    const res = await b.get('/auth/google/start');
    assert.equal(res.status, 303);
    const url = new URL(res.headers.get('location'));
    const params = Object.fromEntries(url.searchParams);
    assert.equal(params.client_id, idp.clients.google.id);
    assert.equal(params.redirect_uri, `${shop.url}/auth/google/callback`);
    assert.equal(params.code_challenge_method, 'S256');
    assert.match(params.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.match(params.state, /^[0-9a-f]{32}$/);
    assert.match(params.nonce, /^[0-9a-f]{32}$/);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('vestify_oauth_google='));
    assert.match(cookie, /; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax/);
    assert.ok(!cookie.includes(params.code_challenge), 'the verifier, not the challenge, is kept');
    const apple = await browser(shop).get('/auth/apple/start');
    assert.match(apple.headers.getSetCookie().find((c) => c.startsWith('vestify_oauth_apple=')), /SameSite=None/, 'Apple posts back cross-site');
  });
});

describe('happy paths', () => {
  it('Google: a new identity gets a new account (email verified) and is signed in; the next time, the same account', async () => {
    const user = idp.newUser('google');
    const { b, res } = await socialSignIn('google', { options: { user } });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    assert.equal(res.headers.get('location'), '/account');
    assert.ok(b.session(), 'signed in');
    assert.ok(!/vestify_oauth_google=/.test(b.cookie), 'the flow cookie is spent');
    const c = await customerByEmail(shop, user.email);
    assert.ok(c.email_verified_at, 'Google said the email is verified');
    assert.equal(c.password_hash, null);
    assert.equal(c.name, user.name);
    assert.equal((await identity('google', user.sub)).customer_id, c.id);
    const page = await b.get('/account');
    assert.equal(page.doc.find('.signed-in').attr('data-email'), user.email);
    assert.equal(page.doc.find('li[data-provider="google"]').attr('data-linked'), 'true');

    const first = b.session();
    const again = await socialSignIn('google', { b, options: { user } });
    assert.equal(again.res.status, 303);
    assert.notEqual(b.session(), first, 'a new session id on every sign-in');
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM customers WHERE email = ${q(user.email)}`))[0].n, 1);
    const [{ n }] = await shop.sql(`SELECT COUNT(*) AS n FROM sessions WHERE subject_id = ${q(c.id)}`);
    assert.equal(n, 1, 'the old session ended');
  });

  it('keeps the language and a local return path, and refuses to return anywhere else', async () => {
    const { res } = await socialSignIn('google', { prefix: '/en', query: '?return=%2Fen%2Fcart' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/en/cart');
    const tokenCall = idp.requests.filter((r) => r.path === '/google/token').at(-1);
    assert.equal(new URLSearchParams(tokenCall.body).get('redirect_uri'), `${shop.url}/en/auth/google/callback`);
    const { res: away } = await socialSignIn('google', { query: '?return=https%3A%2F%2Fevil.example%2F' });
    assert.equal(away.headers.get('location'), '/account');
  });

  it('Facebook: the profile comes from Graph /me with appsecret_proof; the email is not taken as verified', async () => {
    const user = idp.newUser('facebook');
    const { b, res } = await socialSignIn('facebook', { options: { user } });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    assert.ok(b.session());
    const me = idp.requests.filter((r) => r.path === '/facebook/me').at(-1);
    assert.equal(me.query.get('fields'), 'id,name,email');
    assert.match(me.query.get('appsecret_proof'), /^[0-9a-f]{64}$/);
    const c = await customerByEmail(shop, user.email);
    assert.equal(c.email_verified_at, null);
    const [link] = await outbox(shop, 'verify_email', user.email);
    assert.match(link.url, /\/account\/verify\/[0-9a-f]{64}$/, 'a verification link is sent, as after a sign-up');
    assert.equal((await identity('facebook', user.sub)).customer_id, c.id);
  });

  it('Apple: the answer posted back cross-site (form_post) signs in; the name comes from the first post', async () => {
    const user = idp.newUser('apple', { name: 'Minh' });
    const { b, res } = await socialSignIn('apple', { options: { user } });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    assert.ok(b.session());
    const c = await customerByEmail(shop, user.email);
    assert.ok(c.email_verified_at, 'Apple\'s "true" string counts');
    assert.equal(c.name, 'Minh');
    assert.equal((await identity('apple', user.sub)).customer_id, c.id);
  });

  it('exempts only Apple\'s callback from the same-origin form check', async () => {
    const b = browser(shop);
    const google = await postBack(b, '/auth/google/callback', { code: 'x', state: 'y' });
    assert.equal(google.status, 403);
    const login = await postBack(b, '/account/login', { email: 'a@b.vn', password: 'x' });
    assert.equal(login.status, 403);
    assertRefused(await postBack(b, '/auth/apple/callback', { code: 'x', state: 'y' }), 'state');
  });
});

describe('refusals: a 400 page, nothing created', () => {
  const cases = [
    ['a wrong nonce', 'google', { nonce: 'not-the-one-sent' }, 'id_token:nonce'],
    ['a bad signature', 'google', { badSignature: true }, 'id_token:signature'],
    ['a key the JWKS does not hold', 'apple', { kid: 'rotated-away' }, 'id_token:unknown_key'],
    ['another audience', 'google', { aud: 'someone-else' }, 'id_token:audience'],
    ['another issuer', 'apple', { iss: 'https://evil.example' }, 'id_token:issuer'],
    ['an expired token', 'google', { expired: true }, 'id_token:expired'],
    ['a code issued for another PKCE challenge', 'google', { challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' }, 'token'],
    ['the provider\'s access_denied', 'facebook', { deny: 'access_denied' }, 'denied'],
    ['Apple\'s access_denied', 'apple', { deny: 'user_cancelled_authorize' }, 'denied'],
  ];
  for (const [what, p, switches, code] of cases) {
    it(`refuses ${what} (${p})`, async () => {
      const user = idp.newUser(p);
      const fetchesBefore = idp.jwksFetches;
      const { b, res } = await socialSignIn(p, { options: { user, ...switches } });
      assertRefused(res, code);
      assert.equal(b.session(), null, 'not signed in');
      const [accounts, identities] = await shop.sqlAll(`SELECT id FROM customers WHERE email = ${q(user.email)}; SELECT 1 FROM social_identities WHERE provider = ${q(p)} AND subject = ${q(user.sub)}`);
      assert.deepEqual([accounts, identities], [[], []], 'no account made, no identity linked');
      assert.ok(!/vestify_oauth_/.test(b.cookie), 'the flow cookie is spent');
      if (switches.kid) assert.ok(idp.jwksFetches > fetchesBefore, 'the JWKS was fetched again for an unknown kid');
    });
  }

  it('refuses a callback without the flow cookie, with another state, or after the cookie was spent', async () => {
    const b = browser(shop);
    const started = await b.get('/auth/google/start');
    const res = await fetch(started.headers.get('location'), { redirect: 'manual' });
    const callback = local(res.headers.get('location'));
    assertRefused(await browser(shop).get(callback), 'state');
    const forged = new URL(callback, shop.url);
    forged.searchParams.set('state', 'f'.repeat(32));
    assertRefused(await b.get(local(forged.toString())), 'state');
    // The forged attempt spent the flow cookie: the genuine answer no longer works in this browser.
    assertRefused(await b.get(callback), 'state');
  });

  it('refuses a code stolen from another browser\'s flow: that flow\'s verifier is not this one\'s', async () => {
    const victim = browser(shop);
    const attacker = browser(shop);
    const user = idp.newUser('google');
    idp.next('google', { user });
    const a = await fetch((await attacker.get('/auth/google/start')).headers.get('location'), { redirect: 'manual' });
    const stolenCode = new URL(a.headers.get('location')).searchParams.get('code');
    const v = await fetch((await victim.get('/auth/google/start')).headers.get('location'), { redirect: 'manual' });
    const mine = new URL(v.headers.get('location'));
    mine.searchParams.set('code', stolenCode);
    assertRefused(await victim.get(local(mine.toString())), 'token');
    assert.equal(await customerByEmail(shop, user.email), undefined);
  });

  it('says so in English under /en/', async () => {
    const { res } = await socialSignIn('google', { prefix: '/en', options: { expired: true } });
    assertRefused(res, 'id_token:expired', '/en');
    assert.match(res.text, /Signing in with Google did not work/);
    assert.match(res.text, /have expired/);
  });

  it('asks for an email when the provider shares none', async () => {
    const user = idp.newUser('facebook', { email: undefined });
    const { res } = await socialSignIn('facebook', { options: { user } });
    assertRefused(res, 'no_email');
    assert.equal(await identity('facebook', user.sub), undefined);
  });
});

async function passwordAccount() {
  const { b, email } = await newShopper(shop, 'social');
  return { b, email, customer: await customerByEmail(shop, email) };
}

describe('linking', () => {
  it('never links to an existing account by email alone: the account\'s password first', async () => {
    const { email, customer } = await passwordAccount();
    const user = idp.newUser('google', { email });
    const b = browser(shop);
    const { res } = await socialSignIn('google', { b, options: { user } });
    assert.equal(res.status, 200);
    assert.match(res.text, /requires proving ownership|chứng minh bạn là chủ tài khoản/);
    assert.equal(b.session(), null, 'not signed in');
    assert.equal(await identity('google', user.sub), undefined, 'not linked yet');

    const action = '/auth/google/confirm';
    const wrong = await b.submit(action, { password: 'not the password' }, { csrf: await tokenOf(b, res.text, action) });
    assert.equal(wrong.status, 401);
    assert.equal(await identity('google', user.sub), undefined);
    const right = await b.submit(action, { password: PASSWORD }, { csrf: await tokenOf(b, wrong.text, action) });
    assert.equal(right.status, 303, right.text.slice(0, 300));
    assert.equal(right.headers.get('location'), '/account?notice=social_linked');
    assert.ok(b.session());
    assert.equal((await identity('google', user.sub)).customer_id, customer.id);

    const again = await socialSignIn('google', { options: { user } });
    assert.equal(again.res.status, 303, 'straight in from now on');
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM customers WHERE email = ${q(email)}`))[0].n, 1);
  });

  it('refuses the confirmation without the pending identity from this browser', async () => {
    const { email } = await passwordAccount();
    const b = browser(shop);
    const res = await b.submit('/auth/google/confirm', { password: PASSWORD }, { page: '/account/login', csrf: await b.token('/account/login', '/account/login') });
    assertRefused(res, 'state');
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM social_identities s JOIN customers c ON c.id = s.customer_id WHERE c.email = ${q(email)}`))[0].n, 0);
  });

  it('links at once when the shopper is signed in to that account', async () => {
    const { b, email, customer } = await passwordAccount();
    const g = idp.newUser('google', { email });
    const { res: google } = await socialSignIn('google', { b, options: { user: g } });
    assert.equal(google.status, 303);
    assert.equal((await identity('google', g.sub)).customer_id, customer.id);
  });

  it('links from the account page, bound to the signed-in account', async () => {
    const { b, customer } = await passwordAccount();
    const user = idp.newUser('facebook');
    idp.next('facebook', { user });
    const started = await b.submit('/auth/facebook/link', {}, { page: '/account' });
    const res = await throughProvider(b, 'facebook', started);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(res.headers.get('location'), '/account?notice=social_linked');
    assert.equal((await identity('facebook', user.sub)).customer_id, customer.id);
    const page = await b.get('/account?notice=social_linked');
    assert.equal(page.doc.find('li[data-provider="facebook"]').attr('data-linked'), 'true');
    assert.ok(page.doc.find('form[action="/auth/facebook/unlink"]'));

    // The same identity cannot be linked to a second account.
    const other = await passwordAccount();
    idp.next('facebook', { user });
    const refused = await throughProvider(other.b, 'facebook', await other.b.submit('/auth/facebook/link', {}, { page: '/account' }));
    assertRefused(refused, 'linked_elsewhere');
    assert.equal((await identity('facebook', user.sub)).customer_id, customer.id);
  });

  it('refuses a link start without the form token or a session', async () => {
    const { b } = await passwordAccount();
    assert.equal((await b.submit('/auth/google/link', {}, { csrf: null })).status, 403);
    const guest = browser(shop);
    const res = await guest.submit('/auth/google/link', {}, { page: '/account/login', csrf: await guest.token('/account/login', '/account/login') });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/account/login');
  });
});

async function tokenOf(b, html, action) {
  const form = parseHtml(html).findAll('form[method="post"]').find((f) => f.attr('action') === action);
  const token = form?.find('input[name="csrf"]')?.attr('value');
  assert.ok(token, `a ${action} form with a token`);
  return token;
}

describe('unlinking, export and deletion', () => {
  it('unlinks while another way to sign in remains, never the last one', async () => {
    const user = idp.newUser('google');
    const { b } = await socialSignIn('google', { options: { user } });
    const c = await customerByEmail(shop, user.email);
    const page = await b.get('/account');
    assert.equal(page.doc.find('form[action="/auth/google/unlink"]'), null, 'not offered for the only way in');
    const refused = await b.submit('/auth/google/unlink', {}, { page: '/account', csrf: await b.token('/account', '/account/logout') });
    assert.equal(refused.status, 422);
    assert.ok(await identity('google', user.sub), 'still linked');

    const fb = idp.newUser('facebook');
    idp.next('facebook', { user: fb });
    await throughProvider(b, 'facebook', await b.submit('/auth/facebook/link', {}, { page: '/account' }));
    assert.equal((await identity('facebook', fb.sub)).customer_id, c.id);
    const ok = await b.submit('/auth/google/unlink', {}, { page: '/account' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/account?notice=social_unlinked');
    assert.equal(await identity('google', user.sub), undefined);
    // Someone else's provider, or one not linked: nothing to unlink.
    assert.equal((await b.submit('/auth/apple/unlink', {}, { page: '/account', csrf: await b.token('/account', '/account/logout') })).status, 404);
  });

  it('exports the linked identities and deletes them with the account', async () => {
    const { b, customer } = await passwordAccount();
    const user = idp.newUser('google');
    idp.next('google', { user });
    await throughProvider(b, 'google', await b.submit('/auth/google/link', {}, { page: '/account' }));
    const res = await b.get('/account/export');
    const data = JSON.parse(res.text);
    assert.deepEqual(data.social_identities.map((i) => [i.provider, i.email]), [['google', user.email]]);
    assert.equal((await b.submit('/account/delete', { confirm_password: PASSWORD, confirm_delete: 'yes' }, { page: '/account' })).status, 303);
    assert.equal(await identity('google', user.sub), undefined);
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM social_identities WHERE customer_id = ${q(customer.id)}`))[0].n, 0);
    // Signing in with it again makes a new account: the old one is gone.
    const again = await socialSignIn('google', { options: { user } });
    assert.equal(again.res.status, 303);
    assert.notEqual((await customerByEmail(shop, user.email)).id, customer.id);
  });
});
