// A shopper uses a coupon in real Chromium against the built Worker: the owner creates a code
// through the internal endpoint; the shopper adds a vest on a phone, types a wrong code (told why, in
// Vietnamese), then the right one, sees the line and the total discounted, sees the same at checkout,
// places the order, pays on the sandbox and finds the discount on the paid order. Each page is checked
// for console errors, uncaught exceptions, CSP violations and sideways overflow.
//
// Prices come from the JSON API of the same shop; the discount is computed from the rule created here.
//
// A manager makes a bundle ("Mua kèm giảm 10%") in the admin panel, picking its products by name;
// the (edge-cached) product page offers it at once, and one button puts every item in the cart,
// where the lines are grouped under the bundle with its discount.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertFits, browser, navigateBy, PHONE, text, TIMEOUT, useBrowser } from './support/browser.mjs';
import { catalog, vnd } from './support/seed.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { shippingFee, standardFee } from './support/shopping.mjs';
import { newEmail } from './support/accounts.mjs';
import { createOwner, OWNER_PASSWORD } from './support/admins.mjs';

const PERCENT = 15;
const CODE = 'CHAOXUAN15';

// Generous: `wrangler dev` first runs scripts/build, which waits its turn behind any build in progress.
useShop({ timeoutMs: 600_000 });
useBrowser();

test('on a phone, a shopper applies a coupon in the cart, checks out and pays the discounted total', async () => {
  const created = await s.internal('POST', '/internal/promotions', { name_vi: 'Chào xuân', name_en: 'Spring welcome', benefit: { type: 'percent_off', percent: PERCENT }, codes: [CODE] });
  assert.equal(created.status, 201, created.text);

  const listing = (await shop.getJson('/api/v1/products?sort=price_asc&per_page=60')).json;
  const product = (await shop.getJson(`/api/v1/products/${encodeURIComponent(listing.products[0].slug)}`)).json.product;
  const variant = product.variants.filter((v) => v.available >= 2).sort((a, b) => a.price - b.price)[0];
  assert.ok(variant, 'precondition: the cheapest product has a variant in stock');

  const context = await browser.newContext(PHONE);
  context.setDefaultNavigationTimeout(TIMEOUT);
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
  });
  const page = await context.newPage();
  const problems = [];
  let excused = 0;
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The one "Failed to load resource: 422" of the refused code's page is what it should answer.
    if (excused > 0 && msg.text().includes('status of 422')) { excused -= 1; return; }
    problems.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  try {
    await page.goto(`${shop.url}/p/${product.slug}?variant=${encodeURIComponent(variant.sku)}`);
    const form = page.locator('form.add-to-cart');
    await form.getByLabel('Số lượng').fill('2');
    await navigateBy(page, () => form.getByRole('button').click());
    assert.equal(new URL(page.url()).pathname, '/cart');

    // A code that does not exist: the cart says so, in Vietnamese, beside the form.
    await page.getByLabel('Nhập mã').fill('KHONGCO');
    excused += 1;
    const refused = await navigateBy(page, () => page.getByRole('button', { name: 'Áp dụng' }).click());
    assert.equal(refused.status(), 422);
    assert.equal(await text(page.locator('[data-coupon-error]')), 'Mã KHONGCO không tồn tại.');
    await assertFits(page, 'cart with a refused code');

    // The right code, typed in lower case.
    await page.getByLabel('Nhập mã').fill(CODE.toLowerCase());
    await navigateBy(page, () => page.getByRole('button', { name: 'Áp dụng' }).click());
    const subtotal = variant.price * 2;
    const discount = Math.floor((subtotal * PERCENT) / 100);
    const row = page.locator('tr.discount-row');
    assert.match(await text(row), new RegExp(`Chào xuân · ${CODE} — −${PERCENT}%`));
    assert.equal(Number(await row.locator('[data-discount]').getAttribute('data-discount')), discount);
    assert.equal(await text(page.locator(`tr[data-sku="${variant.sku}"] ins[data-line-net]`)), vnd(subtotal - discount));
    assert.equal(Number(await page.locator('[data-items-total]').getAttribute('data-items-total')), subtotal - discount);
    assert.equal(await page.locator(`li[data-code="${CODE}"]`).getAttribute('data-state'), 'applied');
    await assertFits(page, 'cart with a coupon');

    // Checkout shows the same discount, and the total the shopper will pay.
    await navigateBy(page, () => page.locator('.cart-actions').getByRole('link', { name: 'Thanh toán' }).click());
    // Two of the variant, to the checkout's estimate zone (another region) until a place is chosen,
    // then Hồ Chí Minh City (the warehouse's province).
    const grams = catalog().variants.find((v) => v.id === variant.id).weight_grams * 2;
    const fee = standardFee(subtotal, grams);
    const total = subtotal - discount + fee;
    assert.equal(Number(await page.locator('.summary [data-discount]').getAttribute('data-discount')), discount);
    assert.equal(Number(await page.locator('.summary [data-total]').getAttribute('data-total')), total);
    assert.equal(await text(page.locator('.summary [data-total]')), vnd(total));
    await assertFits(page, 'checkout with a coupon');
    for (const [label, value] of Object.entries({
      'Email': 'xuan@example.vn', 'Họ và tên': 'Trần Thị Xuân', 'Số điện thoại': '0987 654 321', 'Số nhà, tên đường': '5 Nguyễn Huệ',
    })) {
      await page.getByLabel(label, { exact: true }).fill(value);
    }
    await page.getByLabel('Tỉnh/Thành phố', { exact: true }).selectOption('79');
    const wards = page.getByLabel('Phường/Xã', { exact: true });
    await wards.locator('option[value="26743"]').waitFor({ state: 'attached' });
    await wards.selectOption('26743');
    const near = subtotal - discount + shippingFee('standard', subtotal, grams, 'same_province');
    await page.waitForFunction((want) => Number(document.querySelector('.summary [data-total]').dataset.total) === want, near);
    await navigateBy(page, () => page.getByRole('button', { name: 'Đặt hàng' }).click());
    assert.match(new URL(page.url()).pathname, /^\/pay\/sandbox\//);
    assert.equal(Number(await page.locator('.sandbox [data-amount]').getAttribute('data-amount')), near, 'the gateway asks for the discounted total shown');

    await navigateBy(page, () => page.getByRole('button', { name: 'Thanh toán', exact: true }).click());
    assert.equal(await page.locator('[data-status]').getAttribute('data-status'), 'paid');
    assert.match(await text(page.locator('table.order-lines tr.discount-row')), /Chào xuân/);
    assert.equal(Number(await page.locator('[data-total]').getAttribute('data-total')), near);
    await assertFits(page, 'paid order with a discount');
    assert.deepEqual(problems, [], 'no console errors, uncaught exceptions or CSP violations');
  } finally {
    await context.close();
  }
});

test('a manager makes a bundle; on a phone a shopper adds all of it from the product page and sees it grouped with its discount in the cart', async () => {
  const owner = newEmail('owner');
  const made = await createOwner(shop, owner);
  assert.equal(made.code, 0, made.out);
  const c = catalog();
  // Two products with a variant in stock (by the live API), not the coupon test's product.
  const listing = (await shop.getJson('/api/v1/products?sort=price_asc&per_page=60')).json.products.slice(1);
  const picked = [];
  for (const card of listing) {
    if (picked.length === 2) break;
    const product = (await shop.getJson(`/api/v1/products/${encodeURIComponent(card.slug)}`)).json.product;
    if (product.variants.some((v) => v.available >= 2)) picked.push(c.productById(product.id));
  }
  assert.equal(picked.length, 2, 'precondition: two products in stock');

  const context = await browser.newContext(PHONE);
  context.setDefaultNavigationTimeout(TIMEOUT);
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${page.url()}: ${msg.text()}`); });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  try {
    await page.goto(`${shop.url}/admin/login`);
    await page.fill('input[name="email"]', owner);
    await page.fill('input[name="password"]', OWNER_PASSWORD);
    await navigateBy(page, () => page.click('form[action="/admin/login"] button[type="submit"]'));
    await page.goto(`${shop.url}/admin/bundles`);
    await page.fill('#new-bundle input[name="name_vi"]', 'Mua kèm giảm 10%');
    await page.fill('#new-bundle input[name="name_en"]', '10% off together');
    const selects = page.locator('#new-bundle select[name="product"]');
    await selects.nth(0).selectOption({ label: picked[0].name_vi });
    await selects.nth(1).selectOption({ label: picked[1].name_vi });
    await page.fill('#new-bundle input[name="percent"]', '10');
    await navigateBy(page, () => page.locator('#new-bundle button[type="submit"]').click());
    assert.match(await text(page.locator('p.notice')), /Đã tạo combo: Mua kèm giảm 10%/);

    // The product page (a cached page, made anew by the bundle's new catalog version) offers it.
    await page.goto(`${shop.url}/p/${picked[1].slug}`);
    const offer = page.locator('section.bundle-offer');
    assert.equal(await text(offer.locator('h2')), 'Mua kèm giảm 10%');
    assert.equal(await offer.locator('li.bundle-item').count(), 2);
    const prices = await offer.locator('select[name="variant_ids"]').evaluateAll((all) => all.map((s) => Number(s.selectedOptions[0].dataset.price)));
    const set = prices.reduce((a, b) => a + b, 0);
    const discount = Math.floor(set / 10);
    assert.equal(Number(await offer.locator('[data-bundle-before]').getAttribute('data-bundle-before')), set);
    assert.equal(Number(await offer.locator('[data-bundle-after]').getAttribute('data-bundle-after')), set - discount);
    await assertFits(page, 'product page with a bundle');

    await navigateBy(page, () => offer.getByRole('button', { name: 'Thêm cả bộ vào giỏ' }).click());
    assert.equal(new URL(page.url()).pathname, '/cart');
    const group = page.locator('tbody.bundle-group');
    assert.match(await text(group.locator('tr.bundle-head')), /Combo: Mua kèm giảm 10%/);
    assert.equal(Number(await group.locator('[data-bundle-discount]').getAttribute('data-bundle-discount')), discount);
    assert.equal(await group.locator('tr[data-sku]').count(), 2, 'both items, in the bundle');
    assert.equal(Number(await page.locator('[data-items-total]').getAttribute('data-items-total')), set - discount);
    await assertFits(page, 'cart with a bundle');
    assert.deepEqual(problems, [], 'no console errors, uncaught exceptions or CSP violations');
  } finally {
    await context.close();
  }
});
