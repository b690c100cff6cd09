// A shopper in real Chromium against the built Worker: signs up, verifies the email from the link the
// shop queued, signs out, signs in again and sees the order they had placed as a guest with that
// email in their order history, with a link to the order. Every page is checked for console errors
// and CSP violations (the per-response nonce must let the shop's own script run). A second shopper
// signs in with Google (the local identity provider of support/fakes/idp.mjs) from the sign-in page.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { newEmail, newShopper, outbox, PASSWORD } from './support/accounts.mjs';
import { browser, TIMEOUT, useBrowser } from './support/browser.mjs';
import { startIdpFake } from './support/fakes/idp.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, variantPool } from './support/shopping.mjs';

let idp;

beforeAll(async () => {
  idp = await startIdpFake();
});
useShop(() => ({ vars: idp.vars, timeoutMs: 600_000 }));
after(async () => {
  await idp?.stop();
});
useBrowser();

test('sign up, verify, sign out, sign in, and see the order history', async () => {
  const email = newEmail('browser');
  const password = 'một mật khẩu dài';
  const [v] = variantPool().take(1);
  const placed = await s.placeOrder([[v.id, 1]], checkoutBody({ email }));

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${shop.url}/`);
  await Promise.all([page.waitForURL((u) => u.pathname === '/account/login'), page.click('header a.account-link')]);
  await Promise.all([page.waitForURL((u) => u.pathname === '/account/signup'), page.click('a[href="/account/signup"]')]);
  await page.fill('#f-name', 'Phạm Minh Châu');
  await page.fill('#f-email', email);
  await page.fill('#f-password', password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/account'), page.click('form.signup button[type=submit]')]);
  assert.match(await page.textContent('.signed-in'), new RegExp(email.replace(/[.]/g, '\\.')));
  assert.equal(await page.locator('tr[data-order]').count(), 0, 'no orders before the email is verified');

  const [message] = await outbox(shop, 'verify_email', email);
  await page.goto(message.url);
  await page.waitForURL((u) => u.pathname === '/account');

  await Promise.all([page.waitForURL((u) => u.pathname === '/account/login'), page.click('form.logout button[type=submit]')]);
  await page.fill('#f-email', email);
  await page.fill('#f-password', password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/account'), page.click('form.login button[type=submit]')]);

  const rows = page.locator('table.order-history tr[data-order]');
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.first().getAttribute('data-order'), placed.order.id);
  assert.equal((await rows.first().locator('a').textContent()).trim(), placed.order.number);
  await Promise.all([page.waitForURL((u) => u.pathname === `/orders/${placed.order.id}`), rows.first().locator('a').click()]);
  assert.match(await page.textContent('h1'), new RegExp(placed.order.number));

  // The shop's own script ran under the nonce: the header's cart count is filled in from its cookie.
  await context.addCookies([{ name: 'vestify_cart_count', value: '3', url: shop.url }]);
  await page.goto(`${shop.url}/`);
  assert.equal((await page.textContent('[data-cart-count]')).trim(), '3');
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});

test('continue with Google from the sign-in page', async () => {
  const user = idp.newUser('google', { name: 'Lê Văn Google' });
  idp.next('google', { user });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${shop.url}/en/account/login`);
  // The provider's page answers at once (the test chose the user); the browser follows it back.
  await Promise.all([page.waitForURL((u) => u.pathname === '/en/account'), page.click('a.social[data-provider="google"]')]);
  assert.match(await page.textContent('.signed-in'), new RegExp(user.email.replace(/[.]/g, '\\.')));
  assert.equal(await page.getAttribute('li[data-provider="google"]', 'data-linked'), 'true');
  const cookies = await context.cookies();
  assert.ok(cookies.some((c) => c.name === 'vestify_session' && c.httpOnly), 'signed in with an HttpOnly session');
  assert.ok(!cookies.some((c) => c.name.startsWith('vestify_oauth_')), 'the flow cookie is spent');
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});

test('heart a product as a guest, see it on the next product page, sign in, and find it in the wishlist', async () => {
  const { email } = await newShopper(shop, 'wish-browser');
  const pool = variantPool();
  const [v] = pool.take(1);
  const [other] = pool.take(1, (x) => x.slug !== v.slug);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${shop.url}/p/${v.slug}`);
  const heart = page.locator('article.product form.heart button');
  assert.equal(await heart.getAttribute('aria-pressed'), 'false');
  await heart.click();
  await page.waitForSelector('article.product form.heart button[aria-pressed="true"]');
  assert.equal(new URL(page.url()).pathname, `/p/${v.slug}`, 'toggled in place, without leaving the page');
  const headerCount = () => page.waitForFunction(() => document.querySelector('header a.wishlist-link [data-wishlist-count]')?.textContent === '1');
  await headerCount();
  await page.reload();
  await page.waitForSelector('article.product form.heart button[aria-pressed="true"]');
  await headerCount();

  // The next product page shows the first under "recently viewed", with its heart filled.
  await page.goto(`${shop.url}/p/${other.slug}`);
  await page.waitForSelector(`.recently-viewed article.card[data-product="${v.slug}"] form.heart button[aria-pressed="true"]`);
  assert.equal(await page.locator(`.recently-viewed article.card[data-product="${other.slug}"]`).count(), 0, 'never the page\'s own product');

  await page.goto(`${shop.url}/account/login`);
  await page.fill('#f-email', email);
  await page.fill('#f-password', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === '/account'), page.click('form.login button[type=submit]')]);
  // The account page links the wishlist; the header's heart counts it.
  await headerCount();
  await Promise.all([page.waitForURL((u) => u.pathname === '/wishlist'), page.click('main p.account-wishlist a')]);
  assert.deepEqual(await page.locator('article.wish-item').evaluateAll((items) => items.map((i) => i.dataset.product)), [v.slug]);
  assert.ok(!(await context.cookies()).some((c) => c.name === 'vestify_wishlist'), 'the guest list joined the account');
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await context.close();
});
