// What a shopper does, in real Chromium against the built Worker: browse from the home page to a
// category, filter by size, open a product and pick a variant — with JavaScript and without — and the
// same in English. Every expectation is derived from the JSON API of the same shop, not hard-coded.
// Each page is also checked for console errors and CSP violations, and, on a phone-sized screen, for
// tap targets, overflow and basic accessibility.
//
// Set SCREENSHOTS=1 to save a screenshot of every audited page to a temporary directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import { chromium } from 'playwright-core';

import { openPage, PHONE, screenshot, screenshotDir, textContent as text, useBrowser } from './support/browser.mjs';
import { formatVnd } from './support/seed.mjs';
import { shop, useShop } from './support/setup.mjs';

/** Mirrors LOW_STOCK_THRESHOLD in src/domain/catalog.rs: at or below it a variant shows "only N left". */
const LOW_STOCK_THRESHOLD = 3;
/** WCAG 2.5.5 / platform guidelines: a control a finger can hit reliably. */
const MIN_TAP = 44;

const shotDir = screenshotDir('vestify-shots-');

// Generous: `wrangler dev` first runs scripts/build, which waits its turn behind any build in progress.
useShop({ timeoutMs: 600_000 });
useBrowser();

// ---------------------------------------------------------------------------------------------------
// The API as the source of truth

/** The catalog API of the file's shop, each path asked once. */
function catalogApi() {
  const cache = new Map();
  const getJson = async (path) => {
    if (!cache.has(path)) cache.set(path, await shop.apiJson(path));
    return cache.get(path);
  };
  return {
    async topCategories() {
      const { categories } = await getJson('/api/v1/categories');
      return categories.filter((c) => c.parent_id === null);
    },
    listing(params) {
      return getJson(`/api/v1/products?${new URLSearchParams(params)}`);
    },
    async product(slug) {
      return (await getJson(`/api/v1/products/${encodeURIComponent(slug)}`)).product;
    },
  };
}

const api = catalogApi();

/** The first top-level category with a size that narrows its listing without emptying it. */
async function categoryWithNarrowingSize() {
  for (const category of await api.topCategories()) {
    const all = await api.listing({ category: category.slug });
    const size = all.facets.size.find((f) => f.count > 0 && f.count < all.total);
    if (size) return { category, size: size.value, total: all.total };
  }
  throw new Error('no category has a size that narrows its listing');
}

/** Colours of a product, each with its variants, in API order. */
function variantsByColor(product) {
  const colors = new Map();
  for (const v of product.variants) {
    if (!colors.has(v.color)) colors.set(v.color, []);
    colors.get(v.color).push(v);
  }
  return colors;
}

/** A shown product with at least two colours, one of which (not `except`) comes in two sizes or more. */
async function productWithChoices(slugs) {
  for (const slug of slugs) {
    const product = await api.product(slug);
    const colors = variantsByColor(product);
    if (colors.size >= 2 && [...colors.values()].some((vs) => vs.length >= 2)) return product;
  }
  throw new Error(`none of ${slugs.join(', ')} has two colours and two sizes`);
}

function stockCode(available) {
  if (available === 0) return 'out';
  return available <= LOW_STOCK_THRESHOLD ? 'low' : 'in';
}

// ---------------------------------------------------------------------------------------------------
// Browser helpers

/** Clicks and waits until the URL satisfies `until` (a navigation the click starts). */
async function clickAndWait(page, locator, until) {
  await Promise.all([page.waitForURL(until), locator.click()]);
  await page.waitForLoadState('load');
}

/** On narrow screens, or without JavaScript, the facets start folded away in a <details>. */
async function revealFilters(page) {
  const panel = page.locator('form.filters details[data-filter-panel]');
  if ((await panel.count()) && !(await panel.evaluate((d) => d.open))) {
    await panel.locator('summary').click();
  }
}

async function cardSlugs(page) {
  return page.locator('.results article.card[data-product]').evaluateAll((cards) => cards.map((c) => c.dataset.product));
}

/** The product page shows `v` as the chosen variant, in `locale`, consistently with the API. */
async function assertVariantShown(page, v, locale) {
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('variant'), v.sku, 'the URL names the variant');
  assert.equal(await page.locator('article.product').getAttribute('data-sku'), v.sku, 'the article names the variant');
  assert.equal(await page.locator('form.add-to-cart input[name=sku]').inputValue(), v.sku, 'the cart form adds it');

  const price = page.locator('.buy .variant-price');
  assert.equal(await price.getAttribute('data-price'), String(v.price));
  assert.equal(await text(price.locator('.now')), formatVnd(v.price, locale));
  if (v.compare_at_price) {
    assert.ok((await text(price.locator('.was'))).endsWith(formatVnd(v.compare_at_price, locale)), 'the old price is shown');
    assert.equal(await price.locator('.sale-badge').count(), 1);
  } else {
    assert.equal(await price.locator('.was').count(), 0, 'no old price without a sale');
  }

  const badge = page.locator('.buy .stock[data-stock]');
  assert.equal(await badge.getAttribute('data-stock'), stockCode(v.available), `stock badge for ${v.available} available`);
  if (stockCode(v.available) === 'low') assert.match(await text(badge), new RegExp(`\\b${v.available}\\b`));
  assert.equal(await page.locator('form.add-to-cart button[type=submit]').isDisabled(), v.available === 0);

  const current = page.locator('fieldset[data-picker=size] a[aria-current]');
  assert.equal(await current.getAttribute('data-size'), v.size, 'the chosen size is marked');
  const color = page.locator('fieldset[data-picker=color] a[aria-current]');
  assert.equal(await color.getAttribute('data-color'), v.color, 'the chosen colour is marked');
}

// ---------------------------------------------------------------------------------------------------
// The shopper's path, with or without JavaScript

async function browseFilterAndChoose({ javaScriptEnabled }) {
  const tab = await openPage({ javaScriptEnabled });
  const { page } = tab;
  const { category, size, total } = await categoryWithNarrowingSize();

  // Home → category, through the navigation.
  await page.goto(`${shop.url}/`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await clickAndWait(page, page.locator(`nav.categories .menu a[href="/c/${category.slug}"]`), (u) => u.pathname === `/c/${category.slug}`);
  assert.equal(await text(page.locator('main h1')), category.name.vi);
  assert.equal(await page.locator('nav.categories .menu a[aria-current=page]').getAttribute('href'), `/c/${category.slug}`);
  assert.deepEqual(await cardSlugs(page), (await api.listing({ category: category.slug })).products.map((p) => p.slug));
  await screenshot(page, shotDir, `flow-js-${javaScriptEnabled}-category`);

  // Filter by size: JavaScript submits on the tick; without it, the Apply button does.
  await revealFilters(page);
  const box = page.locator(`form.filters input[name=size][value="${size}"]`);
  const filtered = (u) => u.searchParams.getAll('size').includes(size);
  if (javaScriptEnabled) {
    await Promise.all([page.waitForURL(filtered), box.click()]);
  } else {
    const before = page.url();
    await box.check();
    assert.equal(page.url(), before, 'without JavaScript a tick alone does not submit');
    await clickAndWait(page, page.locator('form.filters button[type=submit]'), filtered);
  }
  await page.waitForLoadState('load');
  const url = new URL(page.url());
  assert.equal(url.pathname, `/c/${category.slug}`);
  assert.deepEqual(url.searchParams.getAll('size'), [size]);
  assert.ok(await page.locator(`form.filters input[name=size][value="${size}"]`).isChecked(), 'the tick survives the reload');

  const shown = await cardSlugs(page);
  const expected = await api.listing({ category: category.slug, size });
  assert.deepEqual(shown, expected.products.map((p) => p.slug), 'the page lists what the API lists for the filter');
  assert.ok(shown.length > 0 && shown.length < total, `size ${size} narrows ${category.slug} (${shown.length} of ${total})`);
  for (const slug of shown) {
    const product = await api.product(slug);
    assert.ok(product.variants.some((v) => v.size === size), `${slug} comes in size ${size}`);
  }
  await screenshot(page, shotDir, `flow-js-${javaScriptEnabled}-filtered`);

  // Open a product that has real choices to make.
  const product = await productWithChoices(shown);
  await clickAndWait(page, page.locator(`article.card[data-product="${product.slug}"] > a`), (u) => u.pathname === `/p/${product.slug}`);
  assert.equal(await text(page.locator('.buy h1')), product.name.vi);
  const initialSku = await page.locator('article.product').getAttribute('data-sku');
  const initial = product.variants.find((v) => v.sku === initialSku);
  assert.ok(initial, `the page selects a real variant (${initialSku})`);

  // Another colour that comes in two sizes or more…
  const colors = variantsByColor(product);
  const [color, ofColor] = [...colors].find(([c, vs]) => c !== initial.color && vs.length >= 2)
    ?? [...colors].find(([, vs]) => vs.length >= 2);
  const skusOfColor = new Set(ofColor.map((v) => v.sku));
  await clickAndWait(page, page.locator(`fieldset[data-picker=color] a[data-color="${color}"]`), (u) => skusOfColor.has(u.searchParams.get('variant')));
  const landed = ofColor.find((v) => v.sku === new URL(page.url()).searchParams.get('variant'));
  await assertVariantShown(page, landed, 'vi');

  // …then another size in it, preferring one that is nearly sold out, so the badge says so.
  const others = ofColor.filter((v) => v.size !== landed.size);
  const target = others.find((v) => stockCode(v.available) === 'low') ?? others[0];
  await clickAndWait(page, page.locator(`fieldset[data-picker=size] a[data-size="${target.size}"]`), (u) => u.searchParams.get('variant') === target.sku);
  await assertVariantShown(page, target, 'vi');
  await screenshot(page, shotDir, `flow-js-${javaScriptEnabled}-product`);

  tab.assertClean();
  await tab.close();
}

test('a shopper browses to a category, filters by size and picks a colour and a size', async () => {
  await browseFilterAndChoose({ javaScriptEnabled: true });
});

test('the same works with JavaScript disabled: the Apply button submits the filters', async () => {
  await browseFilterAndChoose({ javaScriptEnabled: false });
});

test('the header link switches to English, with English names and ₫1,234,567 prices', async () => {
  const tab = await openPage();
  const { page } = tab;
  const top = await api.topCategories();
  // A category with something on sale shows both price formats: the price and the struck-through one.
  let category = top[0];
  for (const c of top) {
    if ((await api.listing({ category: c.slug })).products.some((p) => p.compare_at_price)) { category = c; break; }
  }

  await page.goto(`${shop.url}/`);
  await clickAndWait(page, page.locator('header a.lang'), (u) => u.pathname === '/en/');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  const navNames = await page.locator('nav.categories .menu > li > a').evaluateAll((as) => as.map((a) => a.textContent.trim()));
  assert.deepEqual(navNames, top.map((c) => c.name.en), 'the navigation names categories in English');

  await clickAndWait(page, page.locator(`nav.categories .menu a[href="/en/c/${category.slug}"]`), (u) => u.pathname === `/en/c/${category.slug}`);
  assert.equal(await text(page.locator('main h1')), category.name.en);
  const listing = await api.listing({ category: category.slug });
  const bySlug = new Map(listing.products.map((p) => [p.slug, p]));
  const cards = page.locator('.results article.card');
  assert.equal(await cards.count(), listing.products.length);
  for (const card of await cards.all()) {
    const p = bySlug.get(await card.getAttribute('data-product'));
    assert.equal(await text(card.locator('h3')), p.name.en);
    const now = await text(card.locator('.price .now'));
    assert.match(now, /^₫\d{1,3}(,\d{3})+$/);
    assert.equal(now, formatVnd(p.price, 'en'));
    if (p.compare_at_price) assert.ok((await text(card.locator('.price .was'))).endsWith(formatVnd(p.compare_at_price, 'en')));
  }
  await screenshot(page, shotDir, 'english-category');

  // A product page in English, then back to Vietnamese on the same product.
  const slug = listing.products.find((p) => p.compare_at_price)?.slug ?? listing.products[0].slug;
  await clickAndWait(page, page.locator(`article.card[data-product="${slug}"] > a`), (u) => u.pathname === `/en/p/${slug}`);
  const product = await api.product(slug);
  assert.equal(await text(page.locator('.buy h1')), product.name.en);
  const sku = await page.locator('article.product').getAttribute('data-sku');
  const chosen = product.variants.find((v) => v.sku === sku);
  assert.equal(await text(page.locator('.buy .variant-price .now')), formatVnd(chosen.price, 'en'));
  await clickAndWait(page, page.locator('header a.lang'), (u) => u.pathname === `/p/${slug}`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  assert.equal(await text(page.locator('.buy h1')), product.name.vi);
  assert.equal(await text(page.locator('.buy .variant-price .now')), formatVnd(chosen.price, 'vi'));

  tab.assertClean();
  await tab.close();
});

// ---------------------------------------------------------------------------------------------------
// Phone-sized screens and accessibility

/** Problems a shopper on a phone or with assistive technology would meet on the current page. */
async function audit(page) {
  return page.evaluate(({ minTap }) => {
    const problems = [];
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const describe = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().replace(/\s+/g, '.')}` : ''} "${(el.textContent || el.value || el.name || '').trim().slice(0, 30)}"`;

    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      problems.push(`page is ${document.documentElement.scrollWidth}px wide on a ${window.innerWidth}px screen`);
    }
    for (const img of document.images) {
      if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.getAttribute('src')}`);
      else if (img.complete && img.naturalWidth === 0) problems.push(`broken image: ${img.getAttribute('src')}`);
    }
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
    if (headings.filter((h) => h.tagName === 'H1').length !== 1) problems.push('not exactly one h1');
    let level = 0;
    for (const h of headings) {
      const next = Number(h.tagName[1]);
      if (next > level + 1) problems.push(`heading jumps from h${level} to h${next}: "${h.textContent.trim()}"`);
      level = next;
    }
    for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (!field.labels?.length && !field.getAttribute('aria-label')) problems.push(`unlabelled field ${describe(field)}`);
    }
    const navNames = [...document.querySelectorAll('nav')].map((n) => n.getAttribute('aria-label'));
    if (new Set(navNames).size !== navNames.length) problems.push(`navigation landmarks share a name: ${navNames.join(', ')}`);
    // Controls, not links inside running text: those are exempt (WCAG 2.5.8).
    const controls = document.querySelectorAll(`header a, header button, header input, nav a, .breadcrumbs a, button,
      select, summary, .facets label, .filters input[type=number], .pagination a, .subcategories a, .category-links a,
      .swatches a, .sizes a, .add-to-cart input, .tags a, .actions a, footer a, .card > a`);
    for (const el of controls) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (Math.round(r.height) < minTap) problems.push(`tap target ${Math.round(r.width)}×${Math.round(r.height)}px: ${describe(el)}`);
    }
    return problems;
  }, { minTap: MIN_TAP });
}

test('on a phone, pages fit the screen, controls are big enough to tap, and filters start folded away', async () => {
  const tab = await openPage(PHONE);
  const { page } = tab;
  const { category } = await categoryWithNarrowingSize();
  const onSale = (await api.listing({ per_page: 60 })).products.find((p) => p.compare_at_price);
  const pages = [
    ['home', '/'],
    ['category', `/c/${category.slug}`],
    ['product', `/p/${onSale.slug}`],
    ['search', `/search?q=${encodeURIComponent(onSale.name.vi.split(' ').slice(0, 2).join(' '))}`],
    ['search-empty', '/search?q=zzqxv'],
    ['not-found', '/khong-co-trang-nay'],
  ];
  const problems = [];
  for (const prefix of ['', '/en']) {
    for (const [name, path] of pages) {
      const url = `${shop.url}${prefix}${path}`;
      if (name === 'not-found') tab.expectNotFound(url);
      const res = await page.goto(url);
      assert.equal(res.status(), name === 'not-found' ? 404 : 200, url);
      // Open every disclosure, so what it hides is audited too.
      await page.locator('details:not([open]) > summary').evaluateAll((ss) => ss.forEach((s) => s.click()));
      problems.push(...(await audit(page)).map((p) => `${prefix}${path}: ${p}`));
      await screenshot(page, shotDir, `phone${prefix.replace('/', '-')}-${name}`);
    }
  }
  assert.deepEqual(problems, []);

  // The listing: the facets are folded away so the products come first.
  await page.goto(`${shop.url}/c/${category.slug}`);
  const panel = page.locator('form.filters details[data-filter-panel]');
  assert.equal(await panel.evaluate((d) => d.open), false, 'the filter panel starts closed on a phone');
  assert.equal(await page.locator('form.filters input[name=size]').first().isVisible(), false);
  const firstCard = await page.locator('.results article.card').first().boundingBox();
  assert.ok(firstCard.y < PHONE.viewport.height, `the first product starts on the first screen (at ${firstCard.y}px)`);

  // The header does not follow the shopper down the page taking a slice of the screen.
  await page.evaluate(() => window.scrollTo(0, 1500));
  const headerBottom = await page.locator('header.site-header').evaluate((h) => h.getBoundingClientRect().bottom);
  assert.ok(headerBottom <= PHONE.viewport.height * 0.15, `after scrolling the header covers ${headerBottom}px`);

  tab.assertClean();
  await tab.close();
});

/** A top-level category whose listing navy + M narrows without emptying (from the API). */
async function categoryWithNavyM() {
  for (const category of await api.topCategories()) {
    const all = (await api.listing({ category: category.slug })).total;
    const some = (await api.listing({ category: category.slug, color: 'navy', size: 'M' })).total;
    if (some > 0 && some < all) return { category, all, some };
  }
  throw new Error('no category that navy + M narrows');
}

test('on a phone the filters are a sheet: ticks update "Apply (N)" without a reload, Apply lands on the products', async () => {
  const tab = await openPage(PHONE);
  const { page } = tab;
  const { category, all, some } = await categoryWithNavyM();
  await page.goto(`${shop.url}/c/${category.slug}`);
  const panel = page.locator('form.filters details[data-filter-panel]');
  const apply = page.locator('form.filters button[data-apply]');
  assert.equal(await text(apply), `Áp dụng (${all} sản phẩm)`);
  await panel.locator('summary').click();
  // The sheet covers the screen, its Apply button is on it.
  const sheet = await panel.boundingBox();
  assert.ok(sheet.y <= 1 && sheet.height >= PHONE.viewport.height - 1, `the sheet covers the screen (${JSON.stringify(sheet)})`);
  const button = await apply.boundingBox();
  assert.ok(button.y + button.height <= PHONE.viewport.height && button.y > PHONE.viewport.height / 2, `Apply sits at the foot of the screen (${button.y})`);
  const loads = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) loads.push(f.url()); });
  await panel.locator('input[name=color][value=navy]').check();
  await panel.locator('input[name=size][value=M]').check();
  await page.waitForFunction((n) => document.querySelector('form.filters button[data-apply]')?.dataset.count === String(n), some);
  assert.equal(await text(apply), `Áp dụng (${some} sản phẩm)`);
  assert.deepEqual(loads, [], 'ticking does not navigate');
  await screenshot(page, shotDir, 'phone-filter-sheet');
  // Apply: one navigation, results first.
  await Promise.all([page.waitForURL((u) => u.searchParams.get('color') === 'navy' && u.searchParams.get('size') === 'M'), apply.click()]);
  await page.waitForLoadState('load');
  assert.equal(loads.length, 1, `one navigation: ${loads}`);
  const url = new URL(page.url());
  assert.ok(![...url.searchParams.values()].includes(''), `no empty parameters: ${url.search}`);
  assert.equal(await panel.evaluate((d) => d.open), false, 'the sheet is closed after applying');
  const cards = page.locator('.results article.card');
  assert.equal(await cards.count(), some);
  const first = await cards.first().boundingBox();
  assert.ok(first.y >= -1 && first.y + first.height / 2 < PHONE.viewport.height, `the first product is on the first screen (at ${first.y}px)`);
  await screenshot(page, shotDir, 'phone-filter-applied');
  tab.assertClean();
  await tab.close();

  // Without JavaScript the same sheet (CSS only) and one submit do it; the empty prices are dropped.
  const plain = await openPage({ ...PHONE, javaScriptEnabled: false });
  await plain.page.goto(`${shop.url}/c/${category.slug}`);
  await plain.page.locator('form.filters details[data-filter-panel] > summary').click();
  await plain.page.locator('form.filters input[name=color][value=navy]').check();
  await plain.page.locator('form.filters input[name=size][value=M]').check();
  await clickAndWait(plain.page, plain.page.locator('form.filters button[data-apply]'), (u) => u.searchParams.get('size') === 'M');
  const plainUrl = new URL(plain.page.url());
  assert.ok(!plainUrl.search.includes('min_price'), plainUrl.search);
  assert.equal(await text(plain.page.locator('form.filters button[data-apply]')), `Áp dụng (${some} sản phẩm)`);
  const plainFirst = await plain.page.locator('.results article.card').first().boundingBox();
  assert.ok(plainFirst.y >= -1 && plainFirst.y + plainFirst.height / 2 < PHONE.viewport.height, `without JavaScript too (at ${plainFirst.y}px)`);
  plain.assertClean();
  await plain.close();
});

/** axe-core's rules (https://github.com/dequelabs/axe-core), run inside the page: its violations, one line each. */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function axeViolations(page) {
  // Evaluated through the driver, so the page's CSP (no inline script) does not apply.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return violations.map((v) => `${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

test('on a phone the product photos swipe, open in a lightbox, and add to cart stays on screen; axe finds nothing', async () => {
  const tab = await openPage(PHONE);
  const { page } = tab;
  const { products } = await api.listing({ per_page: 60 });
  let product = null;
  for (const p of products) {
    const full = await api.product(p.slug);
    if (full.images.length >= 3 && full.variants.some((v) => v.available > 0)) { product = full; break; }
  }
  assert.ok(product, 'a product with three photos or more');
  const buyable = product.variants.find((v) => v.available > 0);
  await page.goto(`${shop.url}/p/${product.slug}?variant=${encodeURIComponent(buyable.sku)}`);
  const photos = page.locator('section.gallery .photos figure img');
  assert.equal(await photos.count(), product.images.length, 'every photo of the product');
  assert.equal(await page.locator('section.gallery .thumbs a').count(), product.images.length, 'a thumbnail each');
  const first = photos.first();
  assert.equal(await first.getAttribute('fetchpriority'), 'high');
  assert.equal(await first.getAttribute('loading'), 'eager');
  assert.deepEqual([...new Set(await photos.evaluateAll((imgs) => imgs.slice(1).map((i) => i.getAttribute('loading'))))], ['lazy']);
  const own = product.images.filter((i) => i.color === buyable.color).map((i) => new URL(i.url).pathname);
  const firstSrc = await first.getAttribute('src');
  assert.ok(own.length > 0 && own.includes(firstSrc), `the chosen colour's photo comes first (${firstSrc}, ${own})`);

  // Swipe: the row scrolls sideways and snaps to the second photo; its thumbnail follows.
  const row = page.locator('section.gallery .photos');
  const box = await row.boundingBox();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  await row.evaluate((el) => el.scrollBy({ left: el.clientWidth * 0.6, behavior: 'instant' }));
  await page.waitForFunction(() => document.querySelector('.thumbs a[aria-current]') === document.querySelectorAll('.thumbs a')[1]);
  const snapped = await row.evaluate((el) => [el.scrollLeft, el.querySelectorAll('figure')[1].offsetLeft - el.querySelector('figure').offsetLeft]);
  assert.ok(Math.abs(snapped[0] - snapped[1]) <= 2, `snapped to the second photo (${snapped})`);
  // A thumbnail brings its photo without moving the page.
  const y = await page.evaluate(() => window.scrollY);
  await page.locator('section.gallery .thumbs a').nth(2).click();
  await page.waitForFunction(() => document.querySelector('.thumbs a[aria-current]') === document.querySelectorAll('.thumbs a')[2]);
  assert.equal(await page.evaluate(() => window.scrollY), y);

  // The lightbox: opens on a photo, arrows move, Escape closes, focus is back on the photo shown.
  await page.locator('section.gallery .photos a[data-zoom="2"]').click();
  const dialog = page.locator('dialog.lightbox');
  assert.ok(await dialog.evaluate((d) => d.open));
  assert.equal(await dialog.locator('p').textContent(), `3 / ${product.images.length}`);
  assert.deepEqual(await axeViolations(page), [], 'axe on the product page with the lightbox open');
  await page.keyboard.press('ArrowRight');
  assert.equal(await dialog.locator('p').textContent(), `${(3 % product.images.length) + 1} / ${product.images.length}`);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await dialog.locator('p').textContent(), `2 / ${product.images.length}`);
  await page.keyboard.press('Escape');
  assert.equal(await dialog.evaluate((d) => d.open), false);
  // The dialog's `close` event comes in a task of its own, after Chromium has put focus back on the opener.
  await page.waitForFunction(() => document.activeElement?.dataset.zoom === '1');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.zoom), '1', 'focus is back on the photo last shown');

  // Add to cart: at the foot of the first screen, with the price; it never hides the footer's end.
  await page.evaluate(() => window.scrollTo(0, 0));
  const bar = page.locator('form.add-to-cart');
  const atTop = await bar.boundingBox();
  assert.ok(Math.abs(atTop.y + atTop.height - PHONE.viewport.height) <= 1, `the bar sits at the bottom (${JSON.stringify(atTop)})`);
  assert.ok(await bar.locator('button[type=submit]').isVisible());
  assert.equal(await text(bar.locator('.bar-price')), formatVnd(buyable.price, 'vi'));
  await page.evaluate(() => window.scrollTo(0, 1200));
  assert.ok(Math.abs((await bar.boundingBox()).y + atTop.height - PHONE.viewport.height) <= 1, 'it stays while scrolling');
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const footerEnd = await page.locator('footer.site-footer').evaluate((f) => {
    const last = [...f.querySelectorAll('a, p, li')].filter((e) => e.getBoundingClientRect().height > 0).at(-1);
    return last.getBoundingClientRect().bottom;
  });
  assert.ok(footerEnd <= (await bar.boundingBox()).y + 1, `the footer's last line (${footerEnd}) is above the bar`);
  assert.deepEqual(await axeViolations(page), [], 'axe on the product page and its footer');
  await screenshot(page, shotDir, 'phone-product-bar');
  tab.assertClean();
  await tab.close();

  // On a desktop the form stays in the page, no bar.
  const wide = await openPage();
  await wide.page.goto(`${shop.url}/p/${product.slug}`);
  assert.equal(await wide.page.locator('form.add-to-cart').evaluate((f) => getComputedStyle(f).position), 'static');
  assert.equal(await wide.page.locator('form.add-to-cart .bar-price').isVisible(), false);
  wide.assertClean();
  await wide.close();
});

test('axe finds no violation on a listing with the filter sheet open, the menu drawer and the dropdown', async () => {
  const { category } = await categoryWithNarrowingSize();
  const phone = await openPage(PHONE);
  await phone.page.goto(`${shop.url}/c/${category.slug}`);
  await phone.page.locator('form.filters details[data-filter-panel] > summary').click();
  assert.deepEqual(await axeViolations(phone.page), [], 'the category page with the filter sheet open');
  await phone.page.keyboard.press('Escape');
  assert.equal(await phone.page.locator('form.filters details[data-filter-panel]').evaluate((d) => d.open), false, 'Escape closes the sheet');
  await phone.page.locator('details.nav-drawer > summary').click();
  assert.deepEqual(await axeViolations(phone.page), [], 'the menu drawer open');
  phone.assertClean();
  await phone.close();
  const wide = await openPage();
  await wide.page.goto(`${shop.url}/c/${category.slug}`);
  const parent = wide.page.locator('nav.categories li.has-sub').first();
  await parent.hover();
  assert.ok(await parent.locator('ul.submenu').isVisible(), 'the dropdown opens on hover');
  assert.deepEqual(await axeViolations(wide.page), [], 'the dropdown open, on a desktop');
  wide.assertClean();
  await wide.close();
});

test('the filter sidebar is open on a wide screen with JavaScript', async () => {
  const tab = await openPage();
  const { page } = tab;
  const { category } = await categoryWithNarrowingSize();
  await page.goto(`${shop.url}/c/${category.slug}`);
  assert.equal(await page.locator('form.filters details[data-filter-panel]').evaluate((d) => d.open), true);
  assert.ok(await page.locator('form.filters input[name=size]').first().isVisible());
  tab.assertClean();
  await tab.close();
});

test('a cached product page shows the stock carts leave now: its script fills the stock lines', async () => {
  const { products } = await shop.apiJson('/api/v1/products?sort=price_desc');
  const { product } = await shop.apiJson(`/api/v1/products/${products[products.length - 1].slug}`);
  const v = product.variants[0];
  const path = `/p/${product.slug}?variant=${encodeURIComponent(v.sku)}`;
  await shop.sql(`UPDATE variants SET on_hand = 3, reserved = 0 WHERE id = ${v.id}`);
  await new Promise((r) => setTimeout(r, 1_100)); // past any stock snapshot taken before the change
  let cached;
  for (let i = 0; i < 60 && cached?.headers.get('x-edge-cache') !== 'hit'; i += 1) cached = await shop.get(path);
  assert.equal(cached.headers.get('x-edge-cache'), 'hit');
  // One unit held elsewhere: no variant sold out, so the page keeps its cache entry, which says 3.
  const held = await shop.request('/api/v1/carts', { method: 'POST', body: JSON.stringify({ variant_id: v.id, quantity: 1 }), headers: { 'content-type': 'application/json' } });
  assert.equal(held.status, 201, held.text);
  const stale = await shop.get(path);
  assert.equal(stale.headers.get('x-edge-cache'), 'hit');
  assert.ok(stale.text.includes('Chỉ còn 3 chiếc'), 'the cached HTML still says 3');

  const tab = await openPage();
  const { page } = tab;
  await page.goto(`${shop.url}${path}`);
  await page.locator('article.product[data-live-stock-filled]').waitFor();
  assert.equal(await text(page.locator(`[data-live="badge"][data-variant-id="${v.id}"]`)), 'Chỉ còn 2 chiếc');
  assert.equal(await text(page.locator(`a[data-variant-id="${v.id}"] .size-note`)), 'Chỉ còn 2 chiếc');
  assert.equal(await page.locator('form.add-to-cart button[type=submit]').isEnabled(), true);
  tab.assertClean();
  await tab.close();
});

// ---------------------------------------------------------------------------------------------------
// The installable app (src/views/pwa.rs): manifest, service worker, offline pages

/** Waits until the service worker controls the page and has finished installing its caches. */
async function controlled(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  });
}

const cacheNames = (page) => page.evaluate(() => caches.keys());

test('Chromium finds the shop installable: its manifest parses and nothing stops installing it', async () => {
  // Chromium never offers installation in an incognito profile (a fresh playwright context is one),
  // so this check runs in a profile on disk.
  const dir = mkdtempSync(join(tmpdir(), 'vestify-pwa-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'], ...PHONE });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(`${shop.url}/`);
    await controlled(page);
    const cdp = await context.newCDPSession(page);
    const { errors } = await cdp.send('Page.getAppManifest');
    assert.deepEqual(errors, [], 'the manifest parses without errors');
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium finds nothing that stops installing the shop');
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a visited product page opens offline, a cart offline shows the offline page', async () => {
  const { products: [product] } = await shop.apiJson('/api/v1/products');
  const tab = await openPage(PHONE);
  const { page, context } = tab;
  await page.goto(`${shop.url}/`);
  await controlled(page);

  // Visited while online (and controlled): stored by the worker.
  await page.goto(`${shop.url}/p/${product.slug}`);
  const name = await text(page.locator('h1'));
  assert.ok(name.length > 0);
  await page.goto(`${shop.url}/cart`);
  const storedPages = () => page.evaluate(async () => {
    const name = (await caches.keys()).find((n) => n.startsWith('vestify-pages-'));
    return name ? (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname) : [];
  });
  let stored = await storedPages();
  for (let i = 0; i < 50 && !stored.includes(`/p/${product.slug}`); i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    stored = await storedPages();
  }
  assert.ok(stored.includes(`/p/${product.slug}`), `the product page is stored: ${stored}`);
  assert.ok(!stored.some((p) => /^\/(en\/)?(cart|checkout|account|admin|api|pay|orders)/.test(p)), `no private page is stored: ${stored}`);

  tab.assertClean();
  // Offline, the page's own requests (live stock) fail as they should: the console is not checked.
  await context.setOffline(true);
  await page.goto(`${shop.url}/p/${product.slug}`);
  assert.equal(await text(page.locator('h1')), name, 'the visited product page reloads offline');
  await page.reload();
  assert.equal(await text(page.locator('h1')), name);
  await page.goto(`${shop.url}/cart`);
  assert.equal(await text(page.locator('h1')), 'Không có kết nối mạng', 'the cart offline is the offline page, never a stored cart');
  await page.goto(`${shop.url}/en/checkout`);
  assert.equal(await text(page.locator('h1')), 'You are offline');
  await context.setOffline(false);
  await tab.close();
});

/**
 * The shop behind a small proxy that can play a deploy: after `deploy()`, /sw.js is the same worker
 * with another build digest, as a new build serves it (playwright's routing does not reach a service
 * worker's own script).
 */
async function deployableShop() {
  let next = false;
  const server = http.createServer(async (req, res) => {
    const headers = {};
    for (const name of ['accept', 'cookie', 'user-agent', 'accept-language', 'service-worker']) if (req.headers[name]) headers[name] = req.headers[name];
    const upstream = await fetch(`${shop.url}${req.url}`, { method: req.method, headers, redirect: 'manual' });
    let body = Buffer.from(await upstream.arrayBuffer());
    if (next && req.url.split('?')[0] === '/sw.js') body = Buffer.from(body.toString().replace(/const VERSION = "[^"]+";/, 'const VERSION = "nextbuild";'));
    const out = {};
    upstream.headers.forEach((value, name) => { if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'etag'].includes(name)) out[name] = value; });
    res.writeHead(upstream.status, out);
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, deploy: () => { next = true; }, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('a new build of the shop is a new service worker that removes the old caches', async () => {
  const proxy = await deployableShop();
  const tab = await openPage();
  const { page } = tab;
  try {
    await page.goto(`${proxy.url}/`);
    await controlled(page);
    const sw = await shop.get('/sw.js');
    const version = sw.text.match(/const VERSION = "([^"]+)";/)[1];
    assert.deepEqual((await cacheNames(page)).filter((n) => n.startsWith('vestify-shell-')), [`vestify-shell-${version}`]);
    proxy.deploy();
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    let names = [];
    for (let i = 0; i < 100 && !(names.includes('vestify-shell-nextbuild') && names.every((n) => n.endsWith('-nextbuild'))); i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      names = await cacheNames(page);
    }
    assert.ok(names.includes('vestify-shell-nextbuild'), `the new worker installed its caches: ${names}`);
    assert.deepEqual(names.filter((n) => !n.endsWith('-nextbuild')), [], 'the old build\'s caches are gone');
    tab.assertClean();
  } finally {
    await tab.close();
    await proxy.close();
  }
});
