// Promotions in the admin panel against the built Worker: managers and owners create a coupon or an
// automatic promotion from the form (the same validation as the JSON endpoints, errors per field),
// edit it from its page, switch it off and on, and make single-use codes with their CSV; staff and
// support get 403; every write leaves an audit row; a shopper's cart sees the code work, follow an
// edit and stop working. In Chromium, the edit page shows only the chosen offer type's fields and
// finds products by name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { adminsByRole } from './support/admins.mjs';
import { axeViolations } from './support/axe.mjs';
import { navigateBy, openPage, useBrowser } from './support/browser.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { variantPool } from './support/shopping.mjs';

const pool = variantPool();
let admins;

useShop();
beforeAll(async () => {
  admins = await adminsByRole(shop, { password: (role) => `${role} password 123` });
});
useBrowser();

const coupon = (code, extra = {}) => ({
  name_vi: `Giảm 15% ${code}`,
  name_en: `15% off ${code}`,
  kind: 'code',
  codes: code,
  benefit: 'percent_off',
  percent: '15',
  target: 'order',
  usage_limit: '10',
  ...extra,
});

/** A cart with one unit of a variant. */
async function cart() {
  const [v] = pool.take();
  return (await s.cartWith([[v, 1]])).cart;
}

describe('promotions in the admin panel', () => {
  it('is for managers and owners only', async () => {
    for (const role of ['staff', 'support']) {
      assert.equal((await admins[role].get('/admin/promotions')).status, 403, role);
      const post = await admins[role].submit('/admin/promotions', coupon('NOPE'), { csrf: await admins[role].token('/admin', '/admin/logout') });
      assert.equal(post.status, 403, `${role} cannot create`);
    }
    assert.deepEqual(await shop.sql("SELECT code FROM promotion_codes WHERE code = 'NOPE'"), []);
    const page = await admins.manager.get('/admin/promotions');
    assert.equal(page.status, 200);
    assert.ok(page.doc.find('form[action="/admin/promotions"]'), 'the create form');
    assert.ok(page.doc.findAll('nav a').some((a) => a.attr('href') === '/admin/promotions'), 'in the menu');
  });

  it('creates a coupon from the form, audited, and the code works in a cart', async () => {
    const res = await admins.manager.submit('/admin/promotions', coupon('ADMIN15'), { page: '/admin/promotions' });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    const list = await admins.manager.get(res.headers.get('location'));
    assert.ok(list.text.includes('Giảm 15% ADMIN15'));
    assert.ok(list.doc.find('p.notice'), 'says it was created');
    const [promo] = await shop.sql("SELECT p.id, p.usage_limit FROM promotions p JOIN promotion_codes c ON c.promotion_id = p.id WHERE c.code = 'ADMIN15'");
    assert.equal(promo.usage_limit, 10);
    const [audit] = await shop.sql(`SELECT action, entity, entity_id, after FROM audit_log WHERE action = 'promotion.create' AND entity_id = '${promo.id}'`);
    assert.ok(audit, 'audit row names the new promotion');
    assert.equal(JSON.parse(audit.after).codes[0], 'ADMIN15');

    const c = await cart();
    const applied = await s.applyCode(c, 'admin15');
    assert.equal(applied.status, 200, applied.text);
    assert.deepEqual(applied.json.discounts.codes, ['ADMIN15']);
    assert.ok(applied.json.discounts.applied.some((d) => d.code === 'ADMIN15'), 'and it gives its discount');
    admins.promo = promo.id;
  });

  it('refuses a bad form with every field named and creates nothing', async () => {
    const before = await shop.sql('SELECT COUNT(*) AS n FROM promotions');
    const res = await admins.owner.submit('/admin/promotions', coupon('BAD1', { name_vi: '', percent: 'lots', target: 'products', target_products: 'x' }), { page: '/admin/promotions' });
    assert.equal(res.status, 422);
    const text = res.text;
    assert.match(text, /role="alert"/);
    assert.ok(text.includes('value="BAD1"'), 'what was typed is kept');
    assert.deepEqual(await shop.sql('SELECT COUNT(*) AS n FROM promotions'), before);
    const dup = await admins.owner.submit('/admin/promotions', coupon('ADMIN15'), { page: '/admin/promotions' });
    assert.equal(dup.status, 422, 'a code that exists already');
  });

  it('switches a promotion off and on, audited, and the cart follows', async () => {
    const off = await admins.manager.submit(`/admin/promotions/${admins.promo}/disable`, {}, { page: '/admin/promotions' });
    assert.equal(off.status, 303);
    const [row] = await shop.sql(`SELECT status FROM promotions WHERE id = ${admins.promo}`);
    assert.equal(row.status, 'disabled');
    const c = await cart();
    const refused = await s.applyCode(c, 'ADMIN15');
    assert.equal(refused.status, 422, refused.text);
    // Switching off twice (a resubmitted form) changes nothing and leaves no second audit row.
    const csrf = await admins.manager.token('/admin/promotions', '/admin/promotions');
    assert.equal((await admins.manager.submit(`/admin/promotions/${admins.promo}/disable`, {}, { csrf })).status, 303);
    const audits = await shop.sql(`SELECT action FROM audit_log WHERE entity = 'promotion' AND entity_id = '${admins.promo}' AND action = 'promotion.disable'`);
    assert.equal(audits.length, 1);
    assert.equal((await admins.manager.submit(`/admin/promotions/${admins.promo}/enable`, {}, { page: '/admin/promotions' })).status, 303);
    const again = await s.applyCode(c, 'ADMIN15');
    assert.equal(again.status, 200, again.text);
  });

  it('makes single-use codes and serves them as CSV', async () => {
    const res = await admins.owner.submit(`/admin/promotions/${admins.promo}/codes`, { prefix: 'XMAS', count: '25' }, { page: '/admin/promotions' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const list = await admins.owner.get(res.headers.get('location'));
    const link = list.doc.find('p.notice a')?.attr('href');
    assert.match(link ?? '', /^\/admin\/promotions\/\d+\/codes\.csv\?batch=[0-9a-f]{12}$/);
    const csv = await admins.owner.get(link);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    const codes = csv.text.trim().split('\r\n').slice(1).map((l) => l.split(',')[0]);
    assert.equal(codes.length, 25);
    assert.equal(new Set(codes).size, 25);
    assert.ok(codes.every((c) => c.startsWith('XMAS')));
    const bad = await admins.owner.submit(`/admin/promotions/${admins.promo}/codes`, { prefix: '!', count: '0' }, { page: '/admin/promotions' });
    assert.equal(bad.status, 422);
    assert.equal((await admins.staff.get(link)).status, 403);
  });

  it('edits a promotion from its page: validated like a new one, audited with what changed, and the cart follows', async () => {
    const edit = `/admin/promotions/${admins.promo}/edit`;
    assert.equal((await admins.staff.get(edit)).status, 403);
    const page = await admins.manager.get(edit);
    assert.equal(page.status, 200);
    assert.equal(page.doc.find('input[name="percent"]')?.attr('value'), '15', 'filled with the stored promotion');
    assert.equal(page.doc.find('input[name="codes"]')?.attr('value'), 'ADMIN15');
    const form = { ...coupon('ADMIN15'), codes: 'ADMIN15, ADMIN30', percent: '30' };
    const refused = await admins.manager.submit(`/admin/promotions/${admins.promo}`, { ...form, percent: '0' }, { page: edit });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /role="alert"/);
    assert.deepEqual(await shop.sql(`SELECT json_extract(rule, '$.benefit.percent') AS p FROM promotions WHERE id = ${admins.promo}`), [{ p: 15 }]);

    const saved = await admins.manager.submit(`/admin/promotions/${admins.promo}`, form, { page: edit });
    assert.equal(saved.status, 303, saved.text.slice(0, 400));
    assert.match(saved.headers.get('location'), /^\/admin\/promotions\?updated=/);
    assert.deepEqual(await shop.sql(`SELECT json_extract(rule, '$.benefit.percent') AS p, usage_limit FROM promotions WHERE id = ${admins.promo}`), [{ p: 30, usage_limit: 10 }]);
    const codes = await shop.sql(`SELECT code FROM promotion_codes WHERE promotion_id = ${admins.promo} AND batch IS NULL ORDER BY code`);
    assert.deepEqual(codes.map((c) => c.code), ['ADMIN15', 'ADMIN30']);
    const [audit] = await shop.sql(`SELECT before, after FROM audit_log WHERE action = 'promotion.update' AND entity_id = '${admins.promo}'`);
    assert.deepEqual(JSON.parse(audit.before), { benefit: { type: 'percent_off', percent: 15 }, codes: ['ADMIN15'] });
    assert.deepEqual(JSON.parse(audit.after), { benefit: { type: 'percent_off', percent: 30 }, codes: ['ADMIN15', 'ADMIN30'] });

    const c = await cart();
    const applied = await s.applyCode(c, 'ADMIN30');
    assert.equal(applied.status, 200, applied.text);
    const line = applied.json.lines[0];
    assert.equal(applied.json.discounts.items_discount, Math.floor((line.unit_price * 30) / 100), 'the new code gives the edited 30 %');
  });

  it('in Chromium, the edit page shows only the chosen offer type and picks products by name; axe finds nothing', async () => {
    const [product] = await shop.sql("SELECT id, name_vi FROM products WHERE status = 'active' AND name_vi LIKE 'Áo%' ORDER BY id LIMIT 1");
    const { page, assertClean, close } = await openPage();
    await page.goto(`${shop.url}/admin/login`);
    await page.fill('input[name="email"]', admins.emails.manager);
    await page.fill('input[name="password"]', 'manager password 123');
    await navigateBy(page, () => page.click('form[action="/admin/login"] button[type="submit"]'));
    await page.goto(`${shop.url}/admin/promotions`);
    assert.deepEqual(await axeViolations(page), [], 'axe on the promotions list and the create form');
    await navigateBy(page, () => page.click(`a[href="/admin/promotions/${admins.promo}/edit"] >> nth=0`));
    assert.ok(await page.locator('fieldset[data-benefit="percent_off"]').isVisible(), 'the chosen type is shown');
    assert.equal(await page.locator('fieldset[data-benefit]:visible').count(), 1, 'and no other type');
    assert.ok(!(await page.locator('fieldset[data-target]').first().isVisible()), 'the whole order needs no list');
    assert.deepEqual(await axeViolations(page), [], 'axe on the edit page');

    await page.selectOption('select[name="benefit"]', 'amount_off');
    assert.ok(await page.locator('fieldset[data-benefit="amount_off"]').isVisible());
    assert.ok(!(await page.locator('fieldset[data-benefit="percent_off"]').isVisible()));
    await page.fill('input[name="amount"]', '50.000');
    await page.selectOption('select[name="target"]', 'products');
    const picker = page.locator('fieldset[data-target="products"]');
    assert.ok(await picker.isVisible());
    // Typed without accents, as on a keyboard without a Vietnamese input method.
    const typed = product.name_vi.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
    await picker.locator('input[type="search"]').fill(typed);
    const shown = picker.locator('label:visible');
    assert.ok((await shown.count()) >= 1 && (await shown.count()) < (await picker.locator('label').count()), 'the list is filtered');
    await picker.locator(`input[value="${product.id}"]`).check();
    assert.deepEqual(await axeViolations(page), [], 'axe on the edit page with a list shown and filtered');
    await navigateBy(page, () => page.click('form[data-promotion-form] button[type="submit"]'));
    assert.match(page.url(), /\/admin\/promotions\?updated=/);
    assert.ok(await page.locator('p.notice[role="status"]').isVisible());
    await page.goto(`${shop.url}/admin/tags`);
    assert.deepEqual(await axeViolations(page), [], 'axe on the tags page');
    const [row] = await shop.sql(`SELECT rule FROM promotions WHERE id = ${admins.promo}`);
    const rule = JSON.parse(row.rule);
    assert.deepEqual(rule.benefit, { type: 'amount_off', amount: 50000 });
    assert.deepEqual(rule.target, { type: 'products', ids: [product.id] });
    assertClean();
    await close();
  });
});
