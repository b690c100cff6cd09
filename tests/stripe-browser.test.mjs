// A shopper pays with a card through Stripe Checkout's hosted page, in real Chromium: adds a vest to
// the cart on its product page, fills in checkout choosing Stripe, lands on the Stripe fake's hosted
// page (tests/support/fakes/stripe.mjs, which checks the shop's key and idempotency header), clicks
// "Pay", and comes back through /checkout/return/stripe to the order page, which says paid. The
// price comes from the shop's JSON API; the paid status from the page and from the order API.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { browser, TIMEOUT, useBrowser } from './support/browser.mjs';
import { startGatewayFakes } from './support/fakes/index.mjs';
import { beforeAll, shop, useShop } from './support/setup.mjs';

let fakes;

beforeAll(async () => {
  fakes = await startGatewayFakes();
});
useShop(() => ({ vars: fakes.vars, timeoutMs: 600_000 }));
beforeAll(() => fakes.connect(shop.url));
after(async () => {
  await fakes?.stop();
});
useBrowser();

test('a shopper pays on the Stripe hosted page and sees the order paid', async () => {
  const listing = await shop.apiJson('/api/v1/products?sort=price_asc&per_page=60');
  let product;
  let variant;
  for (const card of listing.products) {
    product = (await shop.apiJson(`/api/v1/products/${encodeURIComponent(card.slug)}`)).product;
    variant = product.variants.find((v) => v.available >= 2);
    if (variant) break;
  }
  assert.ok(variant, 'precondition: a variant with stock');

  const context = await browser.newContext({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.setDefaultNavigationTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught ${e.message} on ${page.url()}`));
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  try {
    await page.goto(`${shop.url}/p/${product.slug}?variant=${encodeURIComponent(variant.sku)}`);
    assert.equal(await page.locator('form.add-to-cart input[name=variant_id]').inputValue(), String(variant.id));
    await Promise.all([page.waitForURL(/\/cart$/), page.locator('form.add-to-cart').getByRole('button').click()]);

    await page.goto(`${shop.url}/checkout`);
    const contact = {
      'Email': 'the.khach@example.vn', 'Họ và tên': 'Trần Thị Thu', 'Số nhà, tên đường': '5 Hàng Bài', 'Số điện thoại': '0987 654 321',
    };
    for (const [label, value] of Object.entries(contact)) await page.getByLabel(label, { exact: true }).fill(value);
    // Hà Nội, Phường Hoàn Kiếm.
    await page.getByLabel('Tỉnh/Thành phố', { exact: true }).selectOption('01');
    const wards = page.getByLabel('Phường/Xã', { exact: true });
    await wards.locator('option[value="00070"]').waitFor({ state: 'attached' });
    await wards.selectOption('00070');
    await page.locator('input[name=payment_provider][value=stripe]').check();
    await Promise.all([page.waitForURL((u) => u.href.startsWith(fakes.stripe.url)), page.locator('button.place-order').click()]);

    // On Stripe's (fake) hosted page: the amount is the order total in đồng.
    const session = [...fakes.stripe.sessions.values()].at(-1);
    assert.ok(page.url().endsWith(`/pay/${session.id}`), page.url());
    assert.match(await page.locator('body').innerText(), new RegExp(`Pay ${session.amount_total} VND`));
    assert.ok(session.amount_total >= variant.price, 'the session charges at least the vest');

    await Promise.all([page.waitForURL(/\/orders\/[0-9a-f]{32}\?t=/), page.getByRole('button', { name: 'Pay' }).click()]);
    assert.equal(await page.locator('strong[data-status]').getAttribute('data-status'), 'paid');
    assert.match(await page.locator('main').innerText(), /Thành công/);

    const url = new URL(page.url());
    const orderId = url.pathname.split('/').at(-1);
    const order = await shop.getJson(`/api/v1/orders/${orderId}`, { 'x-order-token': url.searchParams.get('t') });
    assert.equal(order.json.order.status, 'paid');
    assert.equal(order.json.order.totals.total, session.amount_total);
    assert.equal(order.json.order.payment_provider, 'stripe');
    assert.deepEqual(problems, [], 'no uncaught errors or CSP violations');
  } finally {
    await context.close();
  }
});
