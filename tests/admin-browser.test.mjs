// What the admins do, in real Chromium against the built Worker (issue #6's proof): a staff member
// signs in, creates a product with two variants (a draft's first prices are staff's to set; changing
// prices later is a manager's: see docs/SECURITY.md) and an uploaded PNG, publishes it and sees it
// (image loaded) on the storefront, then adjusts stock and sees the storefront's availability
// change; a manager refunds a paid order made through the sandbox payment flow and sees the
// dashboard's refund figure change, the order's timeline in Vietnamese and the dashboard's charts
// readable on a phone and a desktop. Every step goes through the pages' own forms, and axe finds no
// violation on the product form, a variant's stock and an order's page.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { adminsByRole, PASSWORDS } from './support/admins.mjs';
import { axeViolations } from './support/axe.mjs';
import { browser, TIMEOUT, useBrowser } from './support/browser.mjs';
import { png } from './support/images.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, variantPool } from './support/shopping.mjs';

let admins;

useShop({ timeoutMs: 600_000 });
beforeAll(async () => {
  admins = await adminsByRole(shop);
});
useBrowser();

/** A fresh browser context signed in through the sign-in form; fails on any CSP violation. */
async function signIn(role, password) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.setDefaultNavigationTimeout(TIMEOUT);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|Refused/.test(m.text())) problems.push(m.text()); });
  await page.goto(`${shop.url}/admin/login`);
  await page.fill('input[name="email"]', admins.emails[role]);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/login"] button[type="submit"]')]);
  assert.ok(!page.url().endsWith('/admin/login'), `${role} signed in`);
  return { context, page, problems };
}

/** Submits the form `selector` by its submit button and waits for the next page. */
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.locator(`${selector} button[type="submit"]`).first().click()]);
}

const stockState = async (page, slug) => {
  await page.goto(`${shop.url}/p/${slug}`);
  return page.locator('article.product [data-stock]').first().getAttribute('data-stock');
};

test('staff create, illustrate, publish and stock a product; a manager refunds an order and the dashboard follows', async () => {
  const slug = `gile-trinh-duyet-${process.pid}`;
  const staff = await signIn('staff', PASSWORDS.staff);

  // Create the product (a draft).
  await staff.page.goto(`${shop.url}/admin/products/new`);
  assert.deepEqual(await axeViolations(staff.page), [], 'axe on the new product form');
  await staff.page.fill('input[name="name_vi"]', 'Gile thử trên trình duyệt');
  await staff.page.fill('input[name="name_en"]', 'Browser test vest');
  await staff.page.fill('input[name="slug"]', slug);
  await staff.page.selectOption('select[name="category"]', { index: 1 });
  await submit(staff.page, 'form.product-form');
  const id = Number(/\/admin\/products\/(\d+)/.exec(staff.page.url())?.[1]);
  assert.ok(id > 0, staff.page.url());

  // Upload a generated PNG with alt texts.
  await staff.page.setInputFiles('form.image-upload input[name="file"]', { name: 'vest.png', mimeType: 'image/png', buffer: png(64, 48, [30, 90, 160]) });
  await staff.page.fill('form.image-upload input[name="alt_vi"]', 'Gile xanh, mặt trước');
  await staff.page.fill('form.image-upload input[name="alt_en"]', 'Blue vest, front');
  await submit(staff.page, 'form.image-upload');
  const src = await staff.page.locator('li[data-image] img').first().getAttribute('src');
  assert.match(src, /^\/media\/[0-9a-f]{64}\.png$/);

  // Staff add the two variants while the product is a draft.
  const sizes = (await shop.sql('SELECT code FROM sizes ORDER BY sort_order')).map((r) => r.code);
  const [color] = (await shop.sql('SELECT code FROM colors ORDER BY sort_order LIMIT 1')).map((r) => r.code);
  for (const [i, size] of sizes.slice(0, 2).entries()) {
    await staff.page.goto(`${shop.url}/admin/products/${id}`);
    const form = `form[action="/admin/products/${id}/variants"]`;
    await staff.page.fill(`${form} input[name="sku"]`, `BR-${process.pid}-${i}`);
    await staff.page.selectOption(`${form} select[name="size"]`, size);
    await staff.page.selectOption(`${form} select[name="color"]`, color);
    await staff.page.fill(`${form} input[name="price"]`, '390000');
    await submit(staff.page, form);
  }
  const variants = await shop.sql(`SELECT id, sku FROM variants WHERE product_id = ${id} ORDER BY id`);
  assert.equal(variants.length, 2);

  // Staff publish it and see it on the storefront, image loaded.
  await staff.page.goto(`${shop.url}/admin/products/${id}`);
  assert.deepEqual(await axeViolations(staff.page), [], 'axe on the product edit page with its variants and image');
  await staff.page.selectOption('form.product-form select[name="status"]', 'active');
  await submit(staff.page, 'form.product-form');
  await staff.page.goto(`${shop.url}/p/${slug}`);
  assert.equal(await staff.page.locator('h1').first().textContent(), 'Gile thử trên trình duyệt');
  const img = staff.page.locator(`section.gallery img[src="${src}"]`);
  assert.equal(await img.count(), 1, 'the uploaded image is in the gallery');
  await img.scrollIntoViewIfNeeded();
  await staff.page.waitForFunction((s) => { const i = document.querySelector(`section.gallery img[src="${s}"]`); return i && i.complete && i.naturalWidth === 64; }, src);
  assert.equal(await img.getAttribute('alt'), 'Gile xanh, mặt trước');
  assert.equal(await stockState(staff.page, slug), 'out', 'nothing in stock yet');

  // Staff receive ten units of the first variant; the storefront shows it in stock at once.
  await staff.page.goto(`${shop.url}/admin/stock/${variants[0].id}`);
  assert.deepEqual(await axeViolations(staff.page), [], 'axe on the stock page');
  await staff.page.fill(`form[action="/admin/stock/${variants[0].id}/adjust"] input[name="delta"]`, '10');
  await staff.page.selectOption(`form[action="/admin/stock/${variants[0].id}/adjust"] select[name="reason"]`, 'received');
  await submit(staff.page, `form[action="/admin/stock/${variants[0].id}/adjust"]`);
  assert.match(staff.page.url(), /applied=1/);
  assert.equal(await stockState(staff.page, slug), 'in', 'in stock after the adjustment');
  assert.deepEqual(staff.problems, [], 'no CSP violations on the staff pages');

  // A paid order through the sandbox flow, then the manager refunds it from its page.
  const manager = await signIn('manager', PASSWORDS.manager);
  const [v] = variantPool().take(1);
  const { order } = await s.placeOrder([[v.id, 1]], checkoutBody());
  assert.equal((await s.pay(order)).status, 200);
  const refundsFigure = async () => {
    await manager.page.goto(`${shop.url}/admin?days=7`);
    const kpi = manager.page.locator('div.kpi').filter({ has: manager.page.locator('h2', { hasText: /^Hoàn tiền$/ }) });
    return (await kpi.locator('p.kpi-value').textContent()).trim();
  };
  const before = await refundsFigure();
  await manager.page.goto(`${shop.url}/admin/orders/${order.id}`);
  assert.deepEqual(await axeViolations(manager.page), [], 'axe on the order page');
  await submit(manager.page, `form[action="/admin/orders/${order.id}/refund"]`);
  await submit(manager.page, `form[action="/admin/orders/${order.id}/refund"]`);
  const [o] = await shop.sql(`SELECT status, refunded_total, total FROM orders WHERE id = '${order.id}'`);
  assert.deepEqual([o.status, o.refunded_total], ['refunded', o.total]);
  const afterFigure = await refundsFigure();
  assert.notEqual(afterFigure, before, 'the dashboard shows the refund');
  const digits = (t) => Number(t.replace(/[^\d]/g, ''));
  assert.equal(digits(afterFigure) - digits(before), o.total);
  assert.deepEqual(manager.problems, [], 'no CSP violations on the manager pages');

  // The order's timeline and payments read in Vietnamese, the refund's amount as money.
  await manager.page.goto(`${shop.url}/admin/orders/${order.id}`);
  const timeline = await manager.page.locator('ol.admin-timeline').innerText();
  assert.doesNotMatch(timeline, /order placed|payment confirmed|refund of|shopper/, timeline);
  assert.match(timeline, /Đặt hàng/);
  assert.ok(timeline.includes(`Hoàn tiền ${o.total.toLocaleString('de-DE')}`), timeline);
  assert.doesNotMatch(await manager.page.locator('main').innerText(), /\bsucceeded\b/);

  // The dashboard's charts: text at least 11 px and inside its chart, on a phone and on a desktop;
  // no admin page asks for a favicon that is not there.
  const missing = [];
  manager.page.on('response', (r) => { if (r.status() === 404) missing.push(r.url()); });
  for (const size of [{ width: 390, height: 844 }, { width: 1366, height: 900 }]) {
    await manager.page.setViewportSize(size);
    await manager.page.goto(`${shop.url}/admin?days=7`);
    const texts = await manager.page.$$eval('svg.chart text', (els) => els.filter((t) => t.getClientRects().length).map((t) => {
      const svg = t.ownerSVGElement.getBoundingClientRect();
      const box = t.getBoundingClientRect();
      const scroller = t.ownerSVGElement.parentElement.closest('.chart-scroll');
      return { px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a, inside: box.left >= svg.left - 1 && box.right <= svg.right + 1, text: t.textContent, scrolls: !!scroller };
    }));
    assert.ok(texts.length > 5, `${size.width}: charts drawn`);
    assert.deepEqual(await axeViolations(manager.page), [], `axe on the dashboard at ${size.width} px`);
    for (const t of texts) {
      assert.ok(t.px >= 11, `${size.width}px: "${t.text}" is ${t.px.toFixed(1)} px`);
      assert.ok(t.inside, `${size.width}px: "${t.text}" is cut`);
    }
  }
  assert.deepEqual(missing, [], 'no 404 on the admin pages (favicon included)');
  await staff.context.close();
  await manager.context.close();
});

// Issue #16, "Images that fit the screen": a 12-megapixel photo uploaded through the admin form (its
// script makes the smaller copies) reaches a phone as a copy of the phone's width, never as the
// original, and the product is shared as its 1200×630 crop.
test('an uploaded phone photo reaches a phone as a small copy and is shared as its 1200×630 crop', async () => {
  const staff = await signIn('staff', PASSWORDS.staff);
  const [product] = await shop.sql("SELECT id, slug FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1");
  await shop.sql(`DELETE FROM product_images WHERE product_id = ${product.id}`);

  // A photo-like 4000×3000 JPEG made in Chromium: a gradient with grain, a few MB.
  const photo = Buffer.from(await staff.page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 4000;
    canvas.height = 3000;
    const c = canvas.getContext('2d');
    const g = c.createLinearGradient(0, 0, 4000, 3000);
    g.addColorStop(0, '#1d4e89');
    g.addColorStop(0.5, '#c9a66b');
    g.addColorStop(1, '#2f6b3a');
    c.fillStyle = g;
    c.fillRect(0, 0, 4000, 3000);
    const grain = c.getImageData(0, 0, 4000, 3000);
    let seed = 7;
    for (let i = 0; i < grain.data.length; i += 4) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = (seed % 25) - 12;
      grain.data[i] += n;
      grain.data[i + 1] += n;
      grain.data[i + 2] += n;
    }
    c.putImageData(grain, 0, 0);
    for (const quality of [0.95, 0.9, 0.85, 0.8]) {
      const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', quality));
      if (blob.size < 4.5 * 1024 * 1024) return [...new Uint8Array(await blob.arrayBuffer())];
    }
    throw new Error('the photo stays over the upload limit');
  }));
  assert.ok(photo.length > 1_000_000, `a photo of a few MB (${photo.length} bytes)`);

  await staff.page.goto(`${shop.url}/admin/products/${product.id}`);
  await staff.page.setInputFiles('form.image-upload input[name="file"]', { name: 'phone.jpg', mimeType: 'image/jpeg', buffer: photo });
  await staff.page.fill('form.image-upload input[name="alt_vi"]', 'Ảnh chụp bằng điện thoại');
  await submit(staff.page, 'form.image-upload');
  assert.match(staff.page.url(), /saved=1/, 'uploaded with its copies');
  const [image] = await shop.sql(`SELECT url, width, height FROM product_images WHERE product_id = ${product.id}`);
  assert.deepEqual([image.width, image.height], [4000, 3000]);
  const sizes = await shop.sql(`SELECT social, width, height, url, bytes FROM media_sizes WHERE original = '${image.url}' ORDER BY social, width`);
  assert.deepEqual(sizes.map((s) => [s.social, s.width, s.height]), [[0, 320, 240], [0, 640, 480], [0, 1280, 960], [1, 1200, 630]]);
  assert.equal(await staff.page.locator('[data-no-sizes]').count(), 0, 'the admin page lists no image without copies');

  // A phone (390 × 844 at 2×) opens the product page: the photo comes as a copy.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const media = [];
  page.on('response', async (r) => {
    if (new URL(r.url()).pathname.startsWith('/media/')) media.push({ path: new URL(r.url()).pathname, bytes: (await r.body().catch(() => Buffer.alloc(0))).length });
  });
  await page.goto(`${shop.url}/p/${product.slug}`, { timeout: TIMEOUT });
  const main = page.locator('section.gallery figure img').first();
  await page.waitForFunction(() => { const i = document.querySelector('section.gallery figure img'); return i && i.complete && i.naturalWidth > 0; });
  assert.equal(await main.getAttribute('fetchpriority'), 'high');
  assert.equal(await main.getAttribute('loading'), 'eager');
  const chosen = await main.evaluate((i) => ({ src: new URL(i.currentSrc).pathname, width: i.naturalWidth }));
  assert.ok(chosen.width <= 1280, `a copy no wider than 1280 px (${chosen.width})`);
  await page.waitForLoadState('networkidle');
  assert.ok(media.length > 0, 'the photo was downloaded');
  assert.ok(media.every((m) => m.path !== image.url), `the original was not downloaded: ${JSON.stringify(media)}`);
  const copy = media.find((m) => m.path === chosen.src);
  assert.ok(copy && copy.bytes < 250_000 && copy.bytes * 10 < photo.length, `the copy is small (${copy?.bytes} bytes against ${photo.length})`);
  console.log(`phone product page: ${media.reduce((n, m) => n + m.bytes, 0)} bytes of uploaded images (${JSON.stringify(media)}); the original: ${photo.length} bytes`);

  // Shared links show the 1200×630 crop.
  const og = await page.locator('meta[property="og:image"]').getAttribute('content');
  const social = sizes.find((s) => s.social === 1);
  assert.equal(new URL(og).pathname, social.url);
  assert.deepEqual(
    [await page.locator('meta[property="og:image:width"]').getAttribute('content'), await page.locator('meta[property="og:image:height"]').getAttribute('content')],
    ['1200', '630'],
  );
  const drawn = await page.evaluate(async (url) => { const i = new Image(); i.src = url; await i.decode(); return [i.naturalWidth, i.naturalHeight]; }, social.url);
  assert.deepEqual(drawn, [1200, 630]);
  await phone.close();

  // A photo uploaded without script has no copies: the admin page marks it, and its button makes them.
  const second = Buffer.from(await staff.page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 1000;
    canvas.height = 750;
    const c = canvas.getContext('2d');
    c.fillStyle = '#8a3b2c';
    c.fillRect(0, 0, 1000, 750);
    c.fillStyle = '#f2e6d0';
    c.fillRect(250, 200, 500, 350);
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.95));
    return [...new Uint8Array(await blob.arrayBuffer())];
  }));
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await staff.context.storageState() });
  const noScript = await plain.newPage();
  noScript.setDefaultTimeout(TIMEOUT);
  await noScript.goto(`${shop.url}/admin/products/${product.id}`);
  await noScript.setInputFiles('form.image-upload input[name="file"]', { name: 'second.jpg', mimeType: 'image/jpeg', buffer: second });
  await submit(noScript, 'form.image-upload');
  await plain.close();
  await staff.page.goto(`${shop.url}/admin/products/${product.id}`);
  assert.equal(await staff.page.locator('[data-no-sizes]').count(), 1, 'the photo without copies is marked');
  await Promise.all([staff.page.waitForNavigation(), staff.page.locator('form[data-sizes-for] button').click()]);
  assert.equal(await staff.page.locator('[data-no-sizes]').count(), 0, 'its copies were made');
  const [made] = await shop.sql(`SELECT COUNT(*) AS n FROM media_sizes s JOIN product_images i ON i.url = s.original WHERE i.product_id = ${product.id} AND i.width = 1000`);
  assert.equal(made.n, 3, '320, 640 and the crop of a 1000 px photo');
  await staff.context.close();
});
