// Tags with consent (issue 16, docs/TRACKING.md), in Chromium against a shop configured with Google
// Tag Manager, the Meta Pixel and Meta's Conversions API, all pointed at a local fake
// (tests/support/fakes/tags.mjs). Its own file: with tags configured every page shows the banner, which
// the other browser files' shops do not have.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';

import { openPage, PHONE, useBrowser } from './support/browser.mjs';
import { startTagsFake } from './support/fakes/tags.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, newKey, variantPool, waitFor } from './support/shopping.mjs';

const pool = variantPool();
let tags;
beforeAll(async () => {
  tags = await startTagsFake();
});
useShop(() => ({ vars: tags.vars }));
useBrowser();
after(() => tags?.stop());

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** A product page with a variant chosen (its add-to-cart form shown). */
function productPath() {
  const [v] = pool.take(1);
  return { path: `/p/${v.slug}?variant=${encodeURIComponent(v.sku)}`, variant: v };
}

/** What accessibility needs of the open banner: a named region, its controls reached by Tab with a visible focus ring. */
async function bannerProblems(page) {
  return page.evaluate(async () => {
    const problems = [];
    const banner = document.getElementById('consent');
    const title = document.getElementById(banner.getAttribute('aria-labelledby') || '');
    if (banner.tagName !== 'SECTION' || !title || !title.textContent.trim()) problems.push('banner is not a region named by its heading');
    for (const field of banner.querySelectorAll('input')) if (!field.labels?.length) problems.push(`unlabelled ${field.name}`);
    const buttons = [...banner.querySelectorAll('.consent-actions button')];
    const looks = buttons.slice(0, 2).map((b) => { const cs = getComputedStyle(b); return `${cs.backgroundColor} ${cs.color} ${cs.fontSize} ${Math.round(b.getBoundingClientRect().height)}`; });
    if (looks[0] !== looks[1]) problems.push(`reject and accept look different: ${looks.join(' / ')}`);
    for (const b of buttons) if (b.getBoundingClientRect().height < 44) problems.push(`small tap target: ${b.textContent}`);
    return problems;
  });
}

test('nothing loads before consent; reject loads nothing and is remembered; the banner is accessible', async () => {
  const { path } = productPath();
  const p = await openPage(PHONE);
  const { page } = p;
  const before = tags.scriptLoads().length;
  await page.goto(shop.url + path);
  const banner = page.getByRole('region', { name: 'Cookie và quyền riêng tư' });
  await banner.waitFor({ state: 'visible' });
  assert.deepEqual(await bannerProblems(page), []);
  // Keyboard: the banner comes right after the skip link, so a few Tabs reach its first answer
  // (past the privacy policy link), with a visible outline.
  let focused = null;
  for (let tabs = 1; tabs <= 3 && focused?.consent !== 'reject'; tabs++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => ({ consent: document.activeElement.dataset.consent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  }
  assert.deepEqual(focused, { consent: 'reject', outline: 'solid' });
  // Customise shows the three categories, none ticked.
  await page.getByRole('button', { name: 'Tùy chỉnh' }).click();
  assert.deepEqual(await page.locator('#consent-choices input:checked').count(), 0);
  assert.equal(await page.getByRole('checkbox').count(), 3);
  await page.getByRole('button', { name: 'Từ chối tất cả' }).click();
  await banner.waitFor({ state: 'hidden' });
  const cookie = (await p.context.cookies()).find((c) => c.name === 'vestify_consent');
  assert.equal(cookie?.value, 'a0.d0.p0');
  await page.reload();
  await page.waitForTimeout(500);
  assert.equal(await banner.isVisible(), false, 'the choice is remembered');
  assert.equal(tags.scriptLoads().length, before, 'no tag script was requested');
  assert.equal(await page.evaluate(() => Boolean(window.fbq || window.__gtm)), false);
  // The footer reopens it, focused.
  await page.getByRole('button', { name: 'Cài đặt cookie' }).click();
  await banner.waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'consent-title');
  p.assertClean();
  await p.close();
});

test('accept loads GTM and the Pixel with the nonce; view_item, add_to_cart and a paid order\'s purchase reach them, and the server sends the same purchase to Meta', async () => {
  const { path, variant } = productPath();
  const p = await openPage();
  const { page } = p;
  const before = tags.scriptLoads().length;
  await page.goto(shop.url + path);
  await page.getByRole('button', { name: 'Chấp nhận tất cả' }).click();
  await page.waitForFunction(() => window.__gtm && window.__pixel);
  assert.deepEqual(tags.scriptLoads().slice(before).sort(), ['/en_US/fbevents.js', '/gtm.js']);
  const loaded = await page.evaluate(() => ({
    nonce: document.querySelector('script[src*="/js/app"]').nonce,
    gtm: window.__gtm,
    pixelNonce: window.__pixel.nonce,
    dataLayer: JSON.parse(JSON.stringify(window.dataLayer.filter((e) => !('0' in e) && e.event))),
    consent: JSON.parse(JSON.stringify(window.dataLayer.filter((e) => e[0] === 'consent'))),
    pixel: window.__pixel.calls,
  }));
  assert.ok(loaded.nonce.length >= 16, 'app.js has its nonce');
  assert.equal(loaded.gtm.nonce, loaded.nonce, 'GTM runs with the page\'s nonce');
  assert.equal(loaded.pixelNonce, loaded.nonce, 'the Pixel runs with the page\'s nonce');
  assert.equal(loaded.gtm.id, 'GTM-TEST123');
  // Consent Mode: denied by default first, then granted by the choice.
  assert.equal(loaded.consent[0][1], 'default');
  assert.equal(loaded.consent[0][2].ad_storage, 'denied');
  assert.equal(loaded.consent[1][1], 'update');
  assert.equal(loaded.consent[1][2].analytics_storage, 'granted');
  const viewItem = loaded.dataLayer.find((e) => e.event === 'view_item');
  assert.deepEqual(viewItem?.ecommerce, { currency: 'VND', value: variant.price, items: [{ item_id: variant.sku, item_name: viewItem.ecommerce.items[0].item_name, price: variant.price, quantity: 1 }] });
  const viewContent = loaded.pixel.find((c) => c[0] === 'track' && c[1] === 'ViewContent');
  assert.deepEqual(viewContent?.[2].content_ids, [variant.sku]);
  assert.equal(viewContent[2].currency, 'VND');
  // Add to cart: the form's submit is kept on the page so its events can be read.
  await page.evaluate(() => document.querySelector('form.add-to-cart').addEventListener('submit', (e) => e.preventDefault()));
  await page.locator('#qty').fill('2');
  await page.locator('form.add-to-cart button[type=submit]').click();
  const added = await page.evaluate(() => JSON.parse(JSON.stringify(window.dataLayer.find((e) => e.event === 'add_to_cart'))));
  assert.equal(added.ecommerce.value, variant.price * 2);
  assert.equal(added.ecommerce.items[0].quantity, 2);
  assert.ok(await page.evaluate(() => window.__pixel.calls.some((c) => c[1] === 'AddToCart')));

  // An order from this browser (its consent cookie goes with the checkout), paid.
  const consent = (await p.context.cookies()).find((c) => c.name === 'vestify_consent');
  assert.equal(consent.value, 'a1.d1.p1');
  const place = async (cookie) => {
    const cart = await s.createCart();
    assert.equal((await s.addItem(cart, pool.take(1)[0].id, 1)).status, 201);
    const body = checkoutBody({ email: `  Mai.${newKey().slice(0, 6)}@Example.VN ` });
    const res = await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, { body, headers: { 'x-cart-token': cart.token, 'idempotency-key': newKey(), ...(cookie ? { cookie } : {}) } });
    assert.equal(res.status, 201, res.text);
    const order = res.json.order;
    assert.equal((await s.pay(order)).status, 200);
    return { order, token: order.access_token ?? res.json.access_token, email: body.email };
  };
  const consenting = await place(`vestify_consent=${consent.value}`);
  const declining = await place('vestify_consent=a1.d0.p1');
  await page.goto(`${shop.url}/orders/${consenting.order.id}?t=${consenting.token}`);
  await page.waitForFunction(() => window.__pixel && window.dataLayer.some((e) => e.event === 'purchase'));
  const purchase = await page.evaluate(() => JSON.parse(JSON.stringify(window.dataLayer.find((e) => e.event === 'purchase'))));
  assert.equal(purchase.ecommerce.currency, 'VND');
  assert.equal(purchase.ecommerce.value, consenting.order.totals.total);
  assert.equal(purchase.ecommerce.transaction_id, consenting.order.number);
  const pixelPurchase = await page.evaluate(() => window.__pixel.calls.find((c) => c[1] === 'Purchase'));
  assert.equal(pixelPurchase[3].eventID, purchase.ecommerce.event_id);

  // The server's Purchase for the consenting order only, with the same event id and Meta's hashes.
  await s.sweep();
  await waitFor('the Conversions API event', () => tags.events.find((e) => e.body.data[0].event_id === purchase.ecommerce.event_id));
  const sent = tags.events.filter((e) => e.body.data[0].event_id === purchase.ecommerce.event_id);
  assert.equal(sent.length, 1, 'one event per order');
  const event = sent[0].body.data[0];
  assert.equal(sent[0].pixel, '1234567890');
  assert.equal(sent[0].token, 'capi-test-token');
  assert.equal(event.event_name, 'Purchase');
  assert.deepEqual(event.user_data.em, [sha256(consenting.email.trim().toLowerCase())]);
  assert.deepEqual(event.user_data.ph, [sha256('84912345678')]);
  assert.deepEqual(event.custom_data, { currency: 'VND', value: consenting.order.totals.total });
  await s.sweep();
  assert.equal(tags.events.filter((e) => e.body.data[0].event_id === purchase.ecommerce.event_id).length, 1, 'not sent again');
  assert.equal(tags.events.some((e) => e.body.data[0].event_id.endsWith(declining.order.id)), false, 'no advertising consent, no event');
  p.assertClean();
  await p.close();
});
