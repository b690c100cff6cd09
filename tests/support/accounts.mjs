// A browser-like client for the account flows: it keeps a cookie jar, reads each form's CSRF token
// from the page that shows the form (as a browser would), and posts same-origin like a browser.
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';

import { parseHtml } from './html.mjs';
import { sqlText } from './shop.mjs';
import { cookiesOf, mergeCookies } from './shopping.mjs';

let unique = 0;
/** A fresh email per call, so tests of one file never share an account. */
export const newEmail = (tag = 'an') => `${tag}.${process.pid}.${Date.now()}.${(unique += 1)}@example.vn`;
export const PASSWORD = 'mật khẩu đủ dài 123';

export function browser(shop) {
  const b = {
    cookie: '',
    keep(res) {
      const set = cookiesOf(res).header;
      if (res.headers.getSetCookie().length) b.cookie = mergeCookies(b.cookie, set);
      return res;
    },
    async get(path, headers = {}) {
      const res = b.keep(await shop.request(path, { headers: { ...(b.cookie ? { cookie: b.cookie } : {}), ...headers } }));
      return { ...res, doc: parseHtml(res.text) };
    },
    /** The CSRF token of the form whose action is `action` on `page`. */
    async token(page, action) {
      const res = await b.get(page);
      const form = res.doc.findAll('form[method="post"]').find((f) => !action || f.attr('action') === action);
      const token = form?.find('input[name="csrf"]')?.attr('value');
      if (!token) throw new Error(`no form for ${action} with a CSRF token on ${page} (${res.status})`);
      return token;
    },
    /** Submits the form `action` as found on `page` (default: the action's own page). */
    async submit(action, fields, { page = action, headers = {}, csrf } = {}) {
      const token = csrf === undefined ? await b.token(page, action) : csrf;
      const body = new URLSearchParams({ ...fields, ...(token === null ? {} : { csrf: token }) }).toString();
      return b.keep(await shop.request(action, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: shop.url,
          'sec-fetch-site': 'same-origin',
          ...(b.cookie ? { cookie: b.cookie } : {}),
          ...headers,
        },
      }));
    },
    session: () => /(?:^|; )vestify_session=([0-9a-f]{64})/.exec(b.cookie)?.[1] ?? null,
    signUp: (email, password = PASSWORD, name = 'Nguyễn Thị Bình') => b.submit('/account/signup', { name, email, password }),
    logIn: (email, password = PASSWORD) => b.submit('/account/login', { email, password }),
    logOut: () => b.submit('/account/logout', {}, { page: '/account' }),
  };
  return b;
}

/** A shopper who just signed up (and so is signed in) in a browser of their own: { b, email } (asserts the 303). */
export async function newShopper(shop, tag) {
  const email = newEmail(tag);
  const b = browser(shop);
  const res = await b.signUp(email);
  assert.equal(res.status, 303, res.text.slice(0, 400));
  return { b, email };
}

/** The `customers` row of `email` (every column), or undefined. */
export async function customerByEmail(shop, email) {
  return (await shop.sql(`SELECT * FROM customers WHERE email = ${sqlText(email)}`))[0];
}

/** The outbox messages of `kind` sent to `email`, oldest first, with their payload parsed. */
export async function outbox(shop, kind, email) {
  const rows = await shop.sql(`SELECT kind, payload FROM outbox WHERE kind = '${kind}' ORDER BY id`);
  return rows.map((r) => JSON.parse(r.payload)).filter((p) => p.to === email);
}

/** Recomputes a stored `pbkdf2-sha256$iterations$salt$hash` with Node's own PBKDF2. */
export function checkStoredHash(stored, password) {
  const [alg, iterations, salt, hash] = stored.split('$');
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'hex'), Number(iterations), 32, 'sha256').toString('hex');
  return { alg, iterations: Number(iterations), saltBytes: salt.length / 2, matches: derived === hash };
}
