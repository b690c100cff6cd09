// The admin area against the built Worker: the first-owner command (no default password), admin
// sign-in and its own session (15 min idle, 12 h absolute), every role against every admin route (a
// table), the audit row of every admin write, and the audit log being append-only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { browser, newEmail } from './support/accounts.mjs';
import { adminSession as signIn, auditCount, createOwner, OWNER_PASSWORD, PASSWORDS } from './support/admins.mjs';
import { parseHtml } from './support/html.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { variantPool } from './support/shopping.mjs';

const owner = newEmail('owner');

useShop();

/** An admin's browser, signed in; it lands on /admin. */
const adminSession = (email, password) => signIn(shop, email, password, { landing: '/admin' });

const admins = {};

describe('the first owner', () => {
  it('is created by the documented command, once, and there is no admin before it', async () => {
    assert.deepEqual(await shop.sql('SELECT id FROM admin_users'), [], 'no seeded or default admin');
    assert.equal((await browser(shop).submit('/admin/login', { email: 'admin@vestify.vn', password: 'admin' })).status, 401);
    const first = await createOwner(shop, owner);
    assert.equal(first.code, 0, first.out);
    const second = await createOwner(shop, newEmail('owner2'));
    assert.equal(second.code, 1, 'a second owner is refused');
    assert.match(second.out, /already exists/);
    const rows = await shop.sql('SELECT email, role, password_hash FROM admin_users');
    assert.deepEqual(rows.map((r) => [r.email, r.role]), [[owner, 'owner']]);
    assert.match(rows[0].password_hash, /^pbkdf2-sha256\$100000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    const [audit] = await shop.sql("SELECT actor_id, action FROM audit_log WHERE entity = 'admin_user'");
    assert.deepEqual(audit, { actor_id: 'cli', action: 'admin_user.create' });
  });

  it('signs in at /admin/login with a cookie of its own, scoped to /admin', async () => {
    const b = browser(shop);
    const wrong = await b.submit('/admin/login', { email: owner, password: 'not the password' });
    assert.equal(wrong.status, 401);
    const res = await b.submit('/admin/login', { email: owner, password: OWNER_PASSWORD });
    assert.equal(res.status, 303);
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('vestify_admin='));
    assert.match(raw, /^vestify_admin=[0-9a-f]{64}; Path=\/admin; Max-Age=43200; HttpOnly; SameSite=Lax/);
    const landing = await b.get('/admin');
    assert.equal(landing.status, 200);
    assert.equal(landing.headers.get('cache-control'), 'no-store');
    // An owner lands on the sales dashboard (reports), in the panel's shell with its sections.
    assert.deepEqual(landing.doc.findAll('header.admin-header nav a').map((a) => a.attr('href')), ['/admin', '/admin/products', '/admin/stock', '/admin/orders', '/admin/promotions', '/admin/notifications', '/admin/audit']);
    b.csrf = () => b.token('/admin', '/admin/logout');
    admins.owner = b;
  });

  it('adds a manager, a staff member and a support agent, each write in the audit log', async () => {
    const b = admins.owner;
    for (const role of ['manager', 'staff', 'support']) {
      const email = newEmail(role);
      const res = await b.submit('/admin/users', { email, name: `The ${role}`, role, password: PASSWORDS[role] }, { page: '/admin/users' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const [row] = await shop.sql(`SELECT id, role FROM admin_users WHERE email = '${email}'`);
      assert.equal(row.role, role);
      const [audit] = await shop.sql(`SELECT actor_email, action, entity, entity_id, before, after FROM audit_log WHERE entity_id = '${row.id}'`);
      assert.equal(audit.actor_email, owner);
      assert.equal(audit.action, 'admin_user.create');
      assert.equal(audit.before, null);
      assert.deepEqual(JSON.parse(audit.after), { email, name: `The ${role}`, role, disabled: false });
      assert.ok(!audit.after.includes('pbkdf2'), 'no password hash in the log');
      admins[role] = await adminSession(email, PASSWORDS[role]);
    }
  });
});

let bracket = 0;

describe('every role against every admin route', () => {
  // [method, path, permitted roles, fields]: the routes of domain::admin::ROUTES.
  const target = async () => {
    const email = newEmail('target');
    await admins.owner.submit('/admin/users', { email, name: 'Target', role: 'support', password: 'target password 1' }, { page: '/admin/users' });
    return (await shop.sql(`SELECT id FROM admin_users WHERE email = '${email}'`))[0].id;
  };
  const ROUTES = [
    ['GET', '/admin', ['owner', 'manager', 'staff', 'support']],
    ['GET', '/admin/customers?q=a', ['owner', 'manager', 'staff', 'support']],
    ['GET', '/admin/audit', ['owner']],
    ['GET', '/admin/orders', ['owner', 'manager', 'staff', 'support']],
    ['GET', '/admin/dashboard.csv', ['owner', 'manager']],
    ['GET', '/admin/users', ['owner']],
    ['POST', '/admin/users', ['owner'], async () => ({ email: newEmail('new'), name: 'N', role: 'staff', password: 'new admin password' })],
    ['POST', '/admin/users/{id}/role', ['owner'], async () => ({ role: 'staff' })],
    ['POST', '/admin/users/{id}/disable', ['owner'], async () => ({})],
    ['GET', '/admin/shipping', ['owner', 'manager']],
    ['GET', '/admin/search-words', ['owner', 'manager']],
    ['GET', '/admin/tags', ['owner', 'manager']],
    ['GET', '/admin/shop-info', ['owner', 'manager']],
    // A new bracket each time (a bracket is unique per zone and method).
    ['POST', '/admin/shipping', ['owner', 'manager'], async () => ({ zone: 'international', method: 'express', up_to_grams: String(100 + (bracket += 1)), fee: '500000', eta_min: '5', eta_max: '9' })],
  ];

  for (const [method, path, allowed, fields] of ROUTES) {
    for (const role of ['owner', 'manager', 'staff', 'support', 'nobody']) {
      const ok = allowed.includes(role);
      it(`${method} ${path} as ${role}: ${ok ? 'allowed' : role === 'nobody' ? 'sign in first' : '403'}`, async () => {
        const b = role === 'nobody' ? browser(shop) : admins[role];
        const id = path.includes('{id}') ? await target() : null;
        const url = path.replace('{id}', id);
        // Reads cannot write; only writes are counted (each count is a wrangler call).
        const audits = async () => (method === 'POST' ? auditCount(shop) : 0);
        const auditBefore = await audits();
        let res;
        if (method === 'GET') {
          res = await b.get(url);
        } else {
          const csrf = role === 'nobody' ? await b.token('/admin/login', '/admin/login') : await b.csrf();
          res = await b.submit(url, await fields(), { csrf });
        }
        const auditAfter = await audits();
        if (role === 'nobody') {
          assert.equal(res.status, 303);
          assert.equal(res.headers.get('location'), '/admin/login');
        } else if (ok) {
          assert.ok([200, 303].includes(res.status), `${res.status}: ${res.text.slice(0, 300)}`);
          if (method === 'POST') assert.equal(auditAfter, auditBefore + 1, 'one audit row for the write');
        } else {
          assert.equal(res.status, 403);
        }
        if (!ok) assert.equal(auditAfter, auditBefore, 'nothing written');
        if (!ok && id) {
          const [row] = await shop.sql(`SELECT role, disabled_at FROM admin_users WHERE id = '${id}'`);
          assert.deepEqual(row, { role: 'support', disabled_at: null }, 'the target is untouched');
        }
      });
    }
  }

  it('answers an admin path that is not a route with 404, whatever the role', async () => {
    for (const role of ['owner', 'support']) assert.equal((await admins[role].get('/admin/nope')).status, 404);
  });
});

describe('the shipping rate table', () => {
  it('is edited by a manager, audited, and the checkout quote follows at once', async () => {
    const [v] = variantPool().take(1, (x) => x.weight_grams > 0 && x.weight_grams <= 500 && x.price < 500_000);
    const { cart } = await s.cartWith([[v, 1]]);
    const express = async () => (await s.shippingQuote(cart, { province_code: '92' })).json.methods.find((m) => m.code === 'express')?.fee;
    assert.equal(await express(), 45_000, 'the seeded fee to another southern province');
    const [row] = await shop.sql("SELECT id FROM shipping_rates WHERE zone = 'same_region' AND method = 'express' AND up_to_grams = 500");
    const page = await admins.manager.get('/admin/shipping');
    assert.equal(page.status, 200);
    const edit = `/admin/shipping/${row.id}`;
    const fields = { zone: 'same_region', method: 'express', up_to_grams: '500', fee: '41000', eta_min: '1', eta_max: '2' };
    assert.equal((await admins.staff.submit(edit, fields, { csrf: await admins.staff.csrf() })).status, 403, 'staff may not');
    const before = await auditCount(shop);
    const res = await admins.manager.submit(edit, fields, { page: '/admin/shipping' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(await auditCount(shop), before + 1);
    const [audit] = await shop.sql(`SELECT action, before, after FROM audit_log WHERE entity = 'shipping_rate' AND entity_id = '${row.id}'`);
    assert.equal(audit.action, 'shipping_rate.update');
    assert.deepEqual([JSON.parse(audit.before).fee, JSON.parse(audit.after).fee], [45_000, 41_000]);
    assert.equal(await express(), 41_000);
    // A nonsense row is refused with the reason, nothing changed.
    const bad = await admins.manager.submit(edit, { ...fields, eta_min: '3', eta_max: '2' }, { page: '/admin/shipping' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Số ngày giao/);
    assert.equal(await auditCount(shop), before + 1);
  });
});

describe('search synonyms', () => {
  it('are kept by managers, audited, and searches use a new group at once', async () => {
    const word = `bodywarmer${process.pid}`;
    const search = async () => parseHtml((await shop.get(`/search?q=${word}&per_page=60`)).text).findAll('main article.card[data-product]').length;
    assert.equal(await search(), 0, 'an unknown word finds nothing');
    const refused = await admins.staff.submit('/admin/search-words', { words: `${word}, gile` }, { csrf: await admins.staff.csrf() });
    assert.equal(refused.status, 403, 'staff may not');
    const bad = await admins.manager.submit('/admin/search-words', { words: word }, { page: '/admin/search-words' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /ít nhất 2/);
    const before = await auditCount(shop);
    const res = await admins.manager.submit('/admin/search-words', { words: `${word}, Gilê` }, { page: '/admin/search-words' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(await auditCount(shop), before + 1);
    const [row] = await shop.sql(`SELECT id, words FROM search_synonyms WHERE words LIKE '${word}%'`);
    assert.equal(row.words, `${word}, gilê`, 'kept as written, lowercased');
    const gile = parseHtml((await shop.get('/search?q=gile&per_page=60')).text).findAll('main article.card[data-product]').length;
    assert.ok(gile > 0);
    assert.equal(await search(), gile, 'the new word finds what gile finds, past the edge cache');
    const removed = await admins.manager.submit(`/admin/search-words/${row.id}/delete`, {}, { page: '/admin/search-words' });
    assert.equal(removed.status, 303);
    assert.equal(await search(), 0);
  });
});

describe('tags in English', () => {
  it('are named by managers, audited, and English product pages show the new name at once', async () => {
    const [tagged] = await shop.sql("SELECT p.slug FROM product_tags t JOIN products p ON p.id = t.product_id WHERE t.tag = 'cổ tim' AND p.status = 'active' LIMIT 1");
    const tags = async () => (await shop.get(`/en/p/${tagged.slug}`)).text;
    assert.match(await tags(), /V-neck/, 'the seeded English name (and the page is now cached)');
    const page = parseHtml((await admins.manager.get('/admin/tags')).text);
    assert.equal(page.find('tr[data-tag="cổ tim"] input[name="name_en"]').attr('value'), 'V-neck');
    const refused = await admins.staff.submit('/admin/tags', { tag: 'cổ tim', name_en: 'nope' }, { csrf: await admins.staff.csrf() });
    assert.equal(refused.status, 403, 'staff may not');
    const long = await admins.manager.submit('/admin/tags', { tag: 'cổ tim', name_en: 'x'.repeat(61) }, { page: '/admin/tags' });
    assert.equal(long.status, 422);
    assert.match(long.text, /role="alert"/);
    const before = await auditCount(shop);
    const res = await admins.manager.submit('/admin/tags', { tag: 'cổ tim', name_en: '  deep V neck ' }, { page: '/admin/tags' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(await auditCount(shop), before + 1);
    assert.deepEqual(await shop.sql("SELECT name_en FROM tag_translations WHERE tag = 'cổ tim'"), [{ name_en: 'deep V neck' }]);
    assert.match(await tags(), /deep V neck/, 'past the edge cache');
    assert.equal((await admins.manager.submit('/admin/tags', { tag: 'không có thẻ này', name_en: 'x' }, { page: '/admin/tags' })).status, 404);
  });
});

describe('shop details and policy pages', () => {
  it('are kept by managers, audited, refused with the field named, and the storefront shows them at once', async () => {
    const footerTel = async () => parseHtml((await shop.get('/')).text).find('footer a[href^="tel:"]').attr('href');
    assert.equal(await footerTel(), 'tel:+842838241234');
    const refused = await admins.staff.submit('/admin/shop-info', { hotline: '0909123456' }, { csrf: await admins.staff.csrf() });
    assert.equal(refused.status, 403, 'staff may not');
    const form = parseHtml((await admins.manager.get('/admin/shop-info')).text);
    const fields = Object.fromEntries(form.find('form.shop-contact').findAll('input[name]').filter((i) => i.attr('name') !== 'csrf').map((i) => [i.attr('name'), i.attr('value') ?? '']));
    assert.equal(fields.hotline, '028 3824 1234');
    const bad = await admins.manager.submit('/admin/shop-info', { ...fields, zalo_url: 'http://evil.example/zalo' }, { page: '/admin/shop-info' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Liên kết Zalo/);
    assert.equal(parseHtml(bad.text).find('#f-zalo').attr('aria-invalid'), 'true');
    const before = await auditCount(shop);
    const res = await admins.manager.submit('/admin/shop-info', { ...fields, hotline: '0909 123 456', notice_url: 'https://online.gov.vn/Home/WebDetails/4242' }, { page: '/admin/shop-info' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(await auditCount(shop), before + 1);
    assert.equal(await footerTel(), 'tel:+84909123456', 'past the edge cache');
    const notice = parseHtml((await shop.get('/en/')).text).find('footer a.notice');
    assert.equal(notice.attr('href'), 'https://online.gov.vn/Home/WebDetails/4242');

    const page = await admins.manager.submit('/admin/shop-info/returns', { title_vi: 'Đổi trả trong 30 ngày', title_en: '30-day returns', body_vi: 'Đổi trong 30 ngày.\r\n\r\n- Còn nguyên tem', body_en: 'Thirty days.' }, { page: '/admin/shop-info' });
    assert.equal(page.status, 303, page.text.slice(0, 300));
    const shown = parseHtml((await shop.get('/pages/returns')).text);
    assert.equal(shown.find('main .info-page li').text.trim(), 'Còn nguyên tem');
    const [row] = await shop.sql("SELECT before, after FROM audit_log WHERE action = 'shop_pages.update' ORDER BY id DESC LIMIT 1");
    assert.match(row.before, /Vestify hoàn tiền/);
    assert.match(row.after, /Còn nguyên tem/);
    assert.equal((await admins.manager.submit('/admin/shop-info/about', { title_vi: 'x' }, { csrf: await admins.manager.csrf() })).status, 404);
  });
});

describe('admin writes', () => {
  it('record before and after, and end the changed admin\'s sessions', async () => {
    const email = newEmail('promoted');
    await admins.owner.submit('/admin/users', { email, name: 'P', role: 'support', password: 'promoted password' }, { page: '/admin/users' });
    const [row] = await shop.sql(`SELECT id FROM admin_users WHERE email = '${email}'`);
    const them = await adminSession(email, 'promoted password');
    const res = await admins.owner.submit(`/admin/users/${row.id}/role`, { role: 'manager' }, { csrf: await admins.owner.csrf() });
    assert.equal(res.status, 303);
    const [audit] = await shop.sql(`SELECT action, before, after, ip FROM audit_log WHERE entity_id = '${row.id}' AND action = 'admin_user.role'`);
    assert.equal(JSON.parse(audit.before).role, 'support');
    assert.equal(JSON.parse(audit.after).role, 'manager');
    assert.equal((await them.get('/admin')).status, 303, 'signed out by the change of privilege');
    const audit2 = await admins.owner.get('/admin/audit');
    assert.ok(audit2.doc.findAll('tr[data-action="admin_user.role"]').length >= 1, 'the owner sees it in the audit view');
  });

  it('never leaves the shop without an owner', async () => {
    const [me] = await shop.sql(`SELECT id FROM admin_users WHERE email = '${owner}'`);
    const res = await admins.owner.submit(`/admin/users/${me.id}/role`, { role: 'staff' }, { csrf: await admins.owner.csrf() });
    assert.equal(res.status, 422);
    assert.equal((await shop.sql(`SELECT role FROM admin_users WHERE id = '${me.id}'`))[0].role, 'owner');
  });

  it('keeps the audit log append-only: the database refuses updates and deletions', async () => {
    const refused = (e) => /append-only/.test(`${e.message}${e.stdout}${e.stderr}`);
    await assert.rejects(shop.sql("UPDATE audit_log SET actor_email = 'someone else'"), refused);
    await assert.rejects(shop.sql('DELETE FROM audit_log'), refused);
    assert.ok((await shop.sql('SELECT COUNT(*) AS n FROM audit_log'))[0].n > 0);
  });
});

describe('admin sessions', () => {
  it('end after 15 idle minutes and after 12 hours in any case', async () => {
    const b = await adminSession(owner, OWNER_PASSWORD);
    const [me] = await shop.sql(`SELECT id FROM admin_users WHERE email = '${owner}'`);
    const now = Math.floor(Date.now() / 1000);
    await shop.sql(`UPDATE sessions SET last_seen_at = ${now - 14 * 60} WHERE realm = 'admin' AND subject_id = '${me.id}'`);
    assert.equal((await b.get('/admin')).status, 200, 'fourteen minutes idle is fine');
    await shop.sql(`UPDATE sessions SET last_seen_at = ${now - 15 * 60 - 1} WHERE realm = 'admin' AND subject_id = '${me.id}'`);
    assert.equal((await b.get('/admin')).status, 303, 'fifteen is not');
    const again = await adminSession(owner, OWNER_PASSWORD);
    await shop.sql(`UPDATE sessions SET created_at = ${now - 43200}, expires_at = ${now - 1} WHERE realm = 'admin' AND subject_id = '${me.id}'`);
    assert.equal((await again.get('/admin')).status, 303, 'twelve hours, however active');
  });

  it('are not shopper sessions: a shopper cookie opens nothing here', async () => {
    const b = browser(shop);
    await b.signUp(newEmail('shopper'));
    const sid = b.session();
    assert.equal((await shop.get('/admin', { cookie: `vestify_admin=${sid}` })).status, 303);
  });
});
