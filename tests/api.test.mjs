// The public JSON API (/api/v1) against the built Worker: every body is checked against the OpenAPI
// document (src/routes/openapi.json), and every answer against the seeded catalog (seed/demo.sql).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, it } from 'node:test';

import { assertDocumented, assertSchema, exercised, openapi, operations, responseSchema, templateOf } from './support/openapi.mjs';
import { newEmail, newShopper, PASSWORD } from './support/accounts.mjs';
import { adminSession, createOwner, OWNER_PASSWORD } from './support/admins.mjs';
import { catalog } from './support/seed.mjs';
import { openPage, useBrowser } from './support/browser.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, createBundle, shippingFee, variantPool, waitFor } from './support/shopping.mjs';
import { startWebhookReceiver } from './support/fakes/webhooks.mjs';

const c = catalog();
const { withVariant } = c;

// A web app on a second local origin (a tiny static server on another port), allowed to call the
// API from a browser (API_ALLOWED_ORIGINS); the same server under the name `localhost` is a third
// origin, not allowed.
let app;
// An app's webhook endpoint (tests/support/fakes/webhooks.mjs), let through the SSRF guard.
let hooks;
beforeAll(async () => {
  app = await startAppServer();
  hooks = await startWebhookReceiver();
});
after(async () => {
  app?.server.close();
  await hooks?.stop();
});
// The harness's lifted limits, and a small one per API key (the keys' test runs into it).
const lifted = ['login', 'signup', 'password_reset', 'checkout', 'token', 'token_refresh', 'reviews'].map((a) => `${a}=100000/60`).join(' ');
useShop(() => ({ vars: { API_ALLOWED_ORIGINS: `${app.origin} https://other-app.example`, API_APP_SCHEMES: 'vestify-app', RATE_LIMITS: `${lifted} api_key=20/60`, ...hooks.vars } }));
useBrowser();
// The document is the contract: every answer this file gets from a documented operation is checked
// against openapi.json (a status it does not document fails the test that got it, a body that does
// not match its schema too), and the last test asserts that every operation was exercised.
beforeAll(() => {
  const request = shop.request.bind(shop);
  shop.request = async (path, init = {}) => {
    const res = await request(path, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const template = path.startsWith('/api/v1/') ? templateOf(path) : undefined;
    if (template && openapi.paths[template][method.toLowerCase()]) assertDocumented(method, path, res);
    return res;
  };
});

// --- helpers (one per endpoint, in the style of zero2prod's TestApp) --------------------------------

/** GETs an API path, asserting the status and that the body matches the documented schema. */
async function api(path, status = 200) {
  const res = await shop.getJson(path);
  assert.equal(res.status, status, `${path}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, path);
  assert.ok(res.json !== null, `${path} answers JSON`);
  const operation = path.split('?')[0]
    .replace(/^\/api\/v1\/products\/[^/]+$/, '/api/v1/products/{slug}')
    .replace(/^\/api\/v1\/products\/[^/]+\/recommendations$/, '/api/v1/products/{slug}/recommendations')
    .replace(/^\/api\/v1\/regions\/provinces\/[^/]+\/wards$/, '/api/v1/regions/provinces/{code}/wards');
  const schema = openapi.paths[operation] ? responseSchema(operation, status) : 'Error';
  assertSchema(schema, res.json);
  return res;
}

const listProducts = async (query = '', status = 200) => (await api(`/api/v1/products${query ? `?${query}` : ''}`, status)).json;
const searchProducts = async (query, status = 200) => (await api(`/api/v1/search?${query}`, status)).json;
const getProduct = async (slug, status = 200) => (await api(`/api/v1/products/${slug}`, status)).json;

/** Every product of a listing query, following pages. */
async function allPages(query) {
  const first = await listProducts(`${query}&per_page=60`);
  const products = [...first.products];
  for (let page = 2; page <= first.total_pages; page += 1) {
    products.push(...(await listProducts(`${query}&per_page=60&page=${page}`)).products);
  }
  return { ...first, products };
}

const slugsOf = (list) => list.products.map((p) => p.slug);
const cheapest = (p, pred = () => true) => Math.min(...c.variantsOf(p).filter(pred).map((v) => v.price));

// --- documents --------------------------------------------------------------------------------------

describe('openapi document', () => {
  it('is readable as a reference at /api/v1/docs, rendered from the same document, without scripts', async () => {
    const res = await shop.request('/api/v1/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src/);
    assert.ok(!/<script/i.test(res.text), 'no script, third-party or other');
    for (const op of operations) {
      const at = res.text.indexOf(`data-operation="${op}"`);
      assert.ok(at >= 0, `${op} is on the page`);
      const section = res.text.slice(at, res.text.indexOf('</section>', at));
      assert.match(section, /<pre class="example"><code>curl/, `${op} has a curl example`);
      const [method, path] = op.split(' ');
      for (const status of Object.keys(openapi.paths[path][method.toLowerCase()].responses)) {
        assert.ok(section.includes(`<dt><code>${status}</code></dt>`), `${op} shows ${status}`);
      }
    }
    assert.ok(res.text.includes(`${shop.url}/api/v1/carts/$ID/checkout`), 'examples call this shop');
  });

  it('serves the OpenAPI document the tests validate against', async () => {
    const res = await shop.getJson('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, openapi);
    assert.equal(openapi.openapi.slice(0, 3), '3.1');
  });
});

// --- categories -------------------------------------------------------------------------------------

describe('GET /api/v1/categories', () => {
  it('lists every category with its parent, names and URL', async () => {
    const { json } = await api('/api/v1/categories');
    const got = json.categories.map((x) => [x.id, x.slug, x.parent_id, x.name.vi, x.name.en, x.url]).sort((a, b) => a[0] - b[0]);
    const want = c.categories.map((x) => [x.id, x.slug, x.parent_id, x.name_vi, x.name_en, `/c/${x.slug}`]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(got, want);
    for (const x of json.categories) {
      const seed = c.categories.find((y) => y.id === x.id);
      assert.deepEqual(x.description, { vi: seed.description_vi, en: seed.description_en });
    }
  });
});

// --- products ---------------------------------------------------------------------------------------

describe('GET /api/v1/products', () => {
  it('lists active products only, newest first, with paging defaults', async () => {
    const list = await listProducts();
    assert.equal(list.total, c.active.length);
    assert.equal(list.page, 1);
    assert.equal(list.per_page, 24);
    assert.equal(list.total_pages, Math.ceil(c.active.length / 24));
    assert.equal(list.sort, 'newest');
    assert.equal(list.products.length, Math.min(24, c.active.length));
    const all = await allPages('');
    assert.deepEqual(slugsOf(all).sort(), c.active.map((p) => p.slug).sort());
    for (const p of [...c.drafts, ...c.archived]) assert.ok(!slugsOf(all).includes(p.slug), `${p.slug} is hidden`);
  });

  it('describes each card as the seed says', async () => {
    const all = await allPages('');
    for (const card of all.products) {
      const p = c.active.find((x) => x.slug === card.slug);
      assert.equal(card.id, p.id);
      assert.deepEqual(card.name, { vi: p.name_vi, en: p.name_en });
      const v = c.variantsOf(p).reduce((a, b) => (b.price < a.price ? b : a));
      assert.equal(card.price, cheapest(p));
      assert.equal(card.compare_at_price, v.compare_at_price);
      const available = c.variantsOf(p).reduce((n, x) => n + c.available(x), 0);
      assert.equal(card.available, available);
      assert.equal(card.in_stock, available > 0);
      assert.equal(card.url, `${shop.url}/p/${p.slug}`);
    }
  });

  it('sorts by newest, price and best selling', async () => {
    const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    const byNewest = [...c.active].sort((a, b) => cmp(b.created_at, a.created_at) || b.id - a.id);
    const byPriceAsc = [...c.active].sort((a, b) => cheapest(a) - cheapest(b) || a.id - b.id);
    const byPriceDesc = [...c.active].sort((a, b) => cheapest(b) - cheapest(a) || a.id - b.id);
    const bySold = [...c.active].sort((a, b) => b.sold_count - a.sold_count || a.id - b.id);
    for (const [sort, want] of [['newest', byNewest], ['price_asc', byPriceAsc], ['price_desc', byPriceDesc], ['best_selling', bySold]]) {
      const list = await allPages(`sort=${sort}`);
      assert.equal(list.sort, sort);
      assert.deepEqual(slugsOf(list), want.map((p) => p.slug), sort);
    }
    // The orders really differ, so each check means something.
    assert.notDeepEqual(byNewest, bySold);
    assert.notDeepEqual(byNewest, byPriceAsc);
    assert.ok(new Set(c.active.map((p) => cheapest(p))).size > 1, 'products have different prices');
  });

  it('pages consistently: page 2 continues page 1, totals agree', async () => {
    const everything = slugsOf(await allPages('sort=price_asc'));
    const perPage = 5;
    const seen = [];
    const first = await listProducts(`sort=price_asc&per_page=${perPage}`);
    assert.equal(first.total_pages, Math.ceil(c.active.length / perPage));
    for (let page = 1; page <= first.total_pages; page += 1) {
      const list = await listProducts(`sort=price_asc&per_page=${perPage}&page=${page}`);
      assert.equal(list.page, page);
      assert.equal(list.total, first.total);
      assert.equal(list.products.length, page < first.total_pages ? perPage : first.total - perPage * (first.total_pages - 1));
      seen.push(...slugsOf(list));
    }
    assert.deepEqual(seen, everything);
    const second = await listProducts(`sort=price_asc&per_page=${perPage}&page=2`);
    assert.equal(new Set([...slugsOf(first), ...slugsOf(second)]).size, perPage * 2, 'page 2 differs from page 1');
    const beyond = await listProducts(`per_page=${perPage}&page=${first.total_pages + 1}`);
    assert.deepEqual(beyond.products, []);
  });

  it('filters by category, including subcategories', async () => {
    for (const cat of c.categories) {
      const list = await allPages(`category=${cat.slug}`);
      assert.deepEqual(slugsOf(list).sort(), c.inCategory(cat.slug).map((p) => p.slug).sort(), cat.slug);
    }
    const parent = c.categories.find((x) => c.childrenOf(x).length > 0 && c.childrenOf(x).some((ch) => c.inCategory(ch.slug).length > 0));
    const own = c.active.filter((p) => p.category_id === parent.id).length;
    assert.ok(c.inCategory(parent.slug).length > own, 'the parent gathers its children\'s products');
  });

  it('filters by size, colour, price and stock at the variant level', async () => {
    const prices = [...new Set(c.active.map((p) => cheapest(p)))].sort((a, b) => a - b);
    const [low, high] = [prices[Math.floor(prices.length / 4)], prices[Math.floor((prices.length * 3) / 4)]];
    const cases = [
      ['size=XS', (v) => v.size === 'XS'],
      ['size=m', (v) => v.size === 'M'],
      ['size=S&size=XXL', (v) => ['S', 'XXL'].includes(v.size)],
      ['size=S,XXL', (v) => ['S', 'XXL'].includes(v.size)],
      ['color=red', (v) => v.color === 'red'],
      ['color=navy&color=olive', (v) => ['navy', 'olive'].includes(v.color)],
      ['color=navy,olive', (v) => ['navy', 'olive'].includes(v.color)],
      ['size=M&color=burgundy', (v) => v.size === 'M' && v.color === 'burgundy'],
      [`min_price=${low}`, (v) => v.price >= low],
      [`max_price=${high}`, (v) => v.price <= high],
      [`min_price=${low}&max_price=${high}`, (v) => v.price >= low && v.price <= high],
      ['in_stock=1', (v) => c.available(v) > 0],
      ['in_stock=true&size=XXL', (v) => c.available(v) > 0 && v.size === 'XXL'],
      ['in_stock=0', () => true],
    ];
    for (const [query, pred] of cases) {
      const want = withVariant(c.active, pred);
      const list = await allPages(query);
      assert.deepEqual(slugsOf(list).sort(), want.map((p) => p.slug).sort(), query);
      assert.equal(list.total, want.length, query);
      // A card shows the cheapest variant that matched, and how many of those can be bought.
      for (const card of list.products) {
        const p = want.find((x) => x.slug === card.slug);
        assert.equal(card.price, cheapest(p, pred), `${query}: price of ${card.slug}`);
        if (query.includes('in_stock=1')) assert.ok(card.in_stock && card.available > 0);
      }
    }
    const some = (q) => withVariant(c.active, q).length;
    assert.ok(some((v) => v.size === 'XS') < c.active.length && some((v) => c.available(v) > 0) < c.active.length, 'the filters narrow');
  });

  it('counts facets the way filtering would: the count of M is the total for size=M', async () => {
    for (const base of ['', 'color=black', 'category=gile-da-ngoai&in_stock=1', `max_price=${cheapest(c.active[0])}`]) {
      const prefix = base ? `${base}&` : '';
      const list = await listProducts(base);
      assert.ok(list.facets.size.length > 1 && list.facets.color.length > 1, `${base}: facets have values`);
      for (const f of list.facets.size) {
        const filtered = await listProducts(`${prefix}size=${f.value}`);
        assert.equal(f.count, filtered.total, `${base} size=${f.value}`);
      }
      for (const f of list.facets.color) {
        if (base.startsWith('color=')) continue; // the colour facet leaves out its own filter: checked below
        const filtered = await listProducts(`${prefix}color=${f.value}`);
        assert.equal(f.count, filtered.total, `${base} color=${f.value}`);
      }
      assert.ok(list.facets.size.every((f) => f.count > 0));
    }
    // A facet ignores its own filter: with color=black selected, the colour counts are the unfiltered ones.
    const all = await listProducts('');
    const black = await listProducts('color=black');
    assert.deepEqual(black.facets.color, all.facets.color);
    assert.notDeepEqual(black.facets.size, all.facets.size, 'but the other facets follow the filter');
    // Facet counts match the seed too.
    const sizes = [...c.sizes].sort((a, b) => a.sort_order - b.sort_order).map((s) => ({ value: s.code, count: withVariant(c.active, (v) => v.size === s.code).length })).filter((f) => f.count > 0);
    assert.deepEqual(all.facets.size, sizes);
    const prices = c.active.flatMap((p) => c.variantsOf(p).map((v) => v.price));
    assert.deepEqual(all.facets.price, { min: Math.min(...prices), max: Math.max(...prices) });
  });

  it('delegates a q parameter to search', async () => {
    const viaProducts = await listProducts('q=phao');
    const viaSearch = await searchProducts('q=phao');
    assert.deepEqual(slugsOf(viaProducts), slugsOf(viaSearch));
    assert.deepEqual(slugsOf(viaProducts).sort(), c.searchModel('phao').slugs);
  });
});

// --- product detail ---------------------------------------------------------------------------------

describe('GET /api/v1/products/{slug}', () => {
  it('returns a product with every variant: id, sku, size, colour and its names, price, compare-at and stock', async () => {
    for (const p of [c.active[0], c.active.find((x) => c.variantsOf(x).some((v) => v.compare_at_price)), c.active.at(-1)]) {
      const { product, related } = await getProduct(p.slug);
      assert.equal(product.id, p.id);
      assert.equal(product.slug, p.slug);
      assert.equal(product.category_id, p.category_id);
      assert.deepEqual(product.name, { vi: p.name_vi, en: p.name_en });
      assert.deepEqual(product.description, { vi: p.description_vi, en: p.description_en });
      assert.equal(product.brand, p.brand);
      assert.deepEqual([...product.tags].sort(), [...c.tagsOf(p)].sort());
      assert.equal(product.url, `${shop.url}/p/${p.slug}`);
      const want = c.variantsOf(p).map((v) => ({
        id: v.id,
        sku: v.sku,
        size: v.size,
        color: v.color,
        color_vi: c.colors.find((x) => x.code === v.color).name_vi,
        color_en: c.colors.find((x) => x.code === v.color).name_en,
        price: v.price,
        compare_at_price: v.compare_at_price,
        available: c.available(v),
      }));
      const byId = (a, b) => a.id - b.id;
      assert.deepEqual([...product.variants].sort(byId), want.sort(byId));
      const images = c.seed.product_images.filter((i) => i.product_id === p.id);
      assert.equal(product.images.length, images.length);
      assert.ok(product.images.every((i) => i.url.startsWith(`${shop.url}/static/`)));
      assert.ok(related.every((r) => r.slug !== p.slug && c.active.some((x) => x.slug === r.slug)), 'related products are other active ones');
    }
  });

  it('answers 404 with an error body for unknown, draft and archived products', async () => {
    for (const slug of ['unknown-product', c.drafts[0].slug, c.archived[0].slug, 'Not-A-Slug', '..']) {
      const { json } = await api(`/api/v1/products/${slug}`, 404);
      assert.equal(json.error.code, 'not_found');
      assert.deepEqual(json.error.fields, {});
    }
  });
});

// --- regions ----------------------------------------------------------------------------------------

/**
 * Asserts that names are in Vietnamese alphabetical order of what follows their type word, as ICU's
 * Vietnamese collation (Node's Intl) has it, letters only: apostrophes in minority names ("Xã Ea
 * H’leo") are ignored by the shop's order, where ICU would put them before every letter.
 */
function assertVietnameseOrder(names, what) {
  const collator = new Intl.Collator('vi', { sensitivity: 'base' });
  const key = (name) => name.replace(/^(Thành phố|Phường|Xã|Đặc khu) /, '').replace(/['’]/g, '');
  for (let i = 1; i < names.length; i += 1) {
    assert.ok(collator.compare(key(names[i - 1]), key(names[i])) <= 0, `${what}: "${names[i - 1]}" before "${names[i]}"`);
  }
}

describe('GET /api/v1/regions/provinces and /{code}/wards', () => {
  it('lists the 34 provinces and their 3,321 wards by name, with official codes, cacheable for a day', async () => {
    const res = await api('/api/v1/regions/provinces');
    const { provinces } = res.json;
    assert.equal(provinces.length, 34);
    assert.equal(new Set(provinces.map((p) => p.code)).size, 34);
    assert.deepEqual(provinces.find((p) => p.code === '79'), { code: '79', name: 'Thành phố Hồ Chí Minh', name_en: 'Ho Chi Minh City' });
    // Vietnamese order of the names after "Thành phố": Cao before Cần (a < â), Đ after D.
    assert.deepEqual(provinces.slice(0, 5).map((p) => p.name), ['An Giang', 'Bắc Ninh', 'Cà Mau', 'Cao Bằng', 'Thành phố Cần Thơ']);
    assert.equal(provinces.at(-1).name, 'Vĩnh Long');
    assertVietnameseOrder(provinces.map((p) => p.name), 'provinces');
    assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=86400\b/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const again = await shop.get('/api/v1/regions/provinces', { 'if-none-match': res.headers.get('etag') });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('cache-control'), res.headers.get('cache-control'), 'a 304 keeps the long policy');

    const wardCodes = new Set();
    for (const p of provinces) {
      const { json, headers } = await api(`/api/v1/regions/provinces/${p.code}/wards`);
      assert.ok(json.wards.length > 0, `${p.name} has wards`);
      for (const w of json.wards) wardCodes.add(w.code);
      assertVietnameseOrder(json.wards.map((w) => w.name), p.name);
      assert.match(headers.get('cache-control') ?? '', /^public, max-age=86400\b/);
    }
    assert.equal(wardCodes.size, 3321, 'every ward once, in one province');
  });

  it('lists a province\'s wards by the name after their type word', async () => {
    const { json } = await api('/api/v1/regions/provinces/79/wards');
    assert.equal(json.wards.length, 168);
    assert.ok(json.wards.some((w) => w.code === '26743' && w.name === 'Phường Bến Thành'));
    const names = json.wards.map((w) => w.name);
    // "Phường An Khánh" (Thủ Đức's) sorts among the A's, "Phường Bến Thành" among the B's, "Xã Bình Chánh" after it.
    const at = (name) => names.indexOf(name);
    assert.ok(at('Phường An Khánh') >= 0 && at('Phường An Khánh') < at('Phường Bến Thành'));
    assert.ok(at('Phường Bến Thành') < at('Xã Bình Chánh'));
    assert.ok(names.slice(0, 5).every((n) => /^(Phường|Xã|Đặc khu) A/.test(n)), names.slice(0, 5).join(', '));
  });

  it('answers 404 in the error envelope for an unknown or malformed province code, not cached', async () => {
    for (const code of ['02', '99', '1', '079', 'xx']) {
      const { json, headers } = await api(`/api/v1/regions/provinces/${code}/wards`, 404);
      assert.equal(json.error.code, 'not_found');
      assert.equal(headers.get('cache-control'), 'no-store');
    }
  });
});

// --- shipping quotes and checkout by province and ward ---------------------------------------------

describe('POST /api/v1/carts/{id}/shipping-quote and checkout by province and ward', () => {
  const pool = variantPool();
  const grams = (lines) => lines.reduce((g, [v, q]) => g + v.weight_grams * q, 0);
  const priceOf = (lines) => lines.reduce((sum, [v, q]) => sum + v.price * q, 0);
  // From the warehouse in Hồ Chí Minh City (WAREHOUSE_PROVINCE_CODE's default).
  const places = [
    ['same_province', { province_code: '79', ward_code: '26743' }],
    ['same_region', { province_code: '92', ward_code: '31120' }],
    ['other_region', { province_code: '48', ward_code: '20195' }],
    ['other_region', { province_code: '01' }],
    ['international', { country: 'SG' }],
  ];

  it('prices each zone and weight bracket from the rate table, express only where offered', async () => {
    const [light, heavy] = pool.take(2, (v) => v.price < 500_000 && v.weight_grams > 0);
    for (const lines of [[[light, 1]], [[heavy, 2]]]) {
      const { cart } = await s.cartWith(lines);
      const subtotal = priceOf(lines);
      assert.ok(subtotal < 1_000_000, "below the free-shipping threshold");
      for (const [zone, place] of places) {
        const res = await s.shippingQuote(cart, place);
        assert.equal(res.status, 200, res.text);
        assertSchema('ShippingQuote', res.json);
        assert.equal(res.json.zone, zone, JSON.stringify(place));
        assert.equal(res.json.weight_grams, grams(lines));
        const expected = ['standard', 'express']
          .map((code) => [code, shippingFee(code, subtotal, grams(lines), zone)])
          .filter(([, fee]) => fee !== undefined)
          .map(([code, fee]) => ({ code, fee, total: subtotal + fee }));
        assert.deepEqual(res.json.methods.map((m) => ({ code: m.code, fee: m.fee, total: m.total })), expected, `${zone}, ${grams(lines)} g`);
        for (const m of res.json.methods) {
          assert.ok(m.eta_days[0] <= m.eta_days[1] && m.eta_days[0] >= 0, `a window in days: ${m.eta_days}`);
        }
      }
    }
  });

  it('refuses an unknown province or a ward of another province with 422 and the field', async () => {
    const [v] = pool.take(1);
    const { cart } = await s.cartWith([[v, 1]]);
    for (const [place, field] of [[{ province_code: '79', ward_code: '00070' }, 'ward_code'], [{ province_code: '99' }, 'province_code']]) {
      const res = await s.shippingQuote(cart, place);
      assert.equal(res.status, 422, res.text);
      assert.deepEqual(Object.keys(res.json.error.fields), [field]);
    }
    const cases = [
      [{ province_code: '79', ward_code: '00070' }, 'address.ward_code'],
      [{ province_code: '99', ward_code: '26743' }, 'address.province_code'],
    ];
    for (const [codes, field] of cases) {
      const body = checkoutBody();
      body.address = { ...body.address, ...codes };
      const res = await s.checkout(cart, body);
      assert.equal(res.status, 422, res.text);
      assert.equal(res.json.error.code, 'unprocessable');
      assert.deepEqual(Object.keys(res.json.error.fields), [field]);
    }
    assert.deepEqual(await shop.sql(`SELECT id FROM orders WHERE cart_id = '${cart.id}'`), [], 'no order');
  });

  it('charges the zone\'s fee for the method chosen and keeps the codes and names on the order', async () => {
    const [v] = pool.take(1, (x) => x.price < 500_000);
    const lines = [[v, 1]];
    const { cart } = await s.cartWith(lines);
    const body = checkoutBody({ shipping_method: 'express' });
    body.address = { line1: '1 Lê Lợi', province_code: '79', ward_code: '26743', country: 'VN' };
    const res = await s.checkout(cart, body);
    assert.equal(res.status, 201, res.text);
    const fee = shippingFee('express', priceOf(lines), grams(lines), 'same_province');
    assert.deepEqual(res.json.order.totals, { subtotal: priceOf(lines), shipping: fee, discount: 0, total: priceOf(lines) + fee });
    const [row] = await shop.sql(`SELECT address_province_code, address_ward_code, address_province, address_ward, address_district, shipping_zone FROM orders WHERE id = '${res.json.order.id}'`);
    assert.deepEqual(row, { address_province_code: '79', address_ward_code: '26743', address_province: 'Thành phố Hồ Chí Minh', address_ward: 'Phường Bến Thành', address_district: '', shipping_zone: 'same_province' });
  });
});

// --- search -----------------------------------------------------------------------------------------

describe('GET /api/v1/search', () => {
  it('finds what the seed says, ranked, echoing the query', async () => {
    const sku = c.variantsOf(c.active[2]).at(-1).sku;
    for (const q of ['áo vest', 'den', 'puffer', 'phao nu', sku, sku.toLowerCase()]) {
      const res = await searchProducts(`q=${encodeURIComponent(q)}&per_page=60`);
      assert.equal(res.query, q);
      assert.equal(res.sort, 'relevance');
      assert.equal(res.partial, false);
      assert.deepEqual(slugsOf(res).sort(), c.searchModel(q).slugs, q);
    }
  });

  it('says when it fell back to matching any word', async () => {
    const res = await searchProducts(`q=${encodeURIComponent('denim xyzxyz')}&per_page=60`);
    assert.equal(res.partial, true);
    assert.deepEqual(slugsOf(res).sort(), c.searchModel('denim xyzxyz').slugs);
  });

  it('filters and sorts search results like a listing', async () => {
    const model = c.searchModel('gile').slugs.map((s) => c.active.find((p) => p.slug === s));
    const res = await searchProducts('q=gile&size=XS&sort=price_desc&per_page=60');
    const want = withVariant(model, (v) => v.size === 'XS').sort((a, b) => cheapest(b) - cheapest(a) || a.id - b.id);
    assert.ok(want.length > 0);
    assert.deepEqual(slugsOf(res), want.map((p) => p.slug));
    assert.equal(res.sort, 'price_desc');
  });

  it('returns an empty result, not an error, for no query or a nonsense one', async () => {
    for (const query of ['', 'q=', 'q=xyzxyz', 'q=%22%22', 'q=NEAR(', 'q=*']) {
      const res = await searchProducts(query);
      assert.deepEqual(res.products, []);
      assert.equal(res.total, 0);
    }
  });
});

// --- errors -----------------------------------------------------------------------------------------

describe('bad input', () => {
  const bad = [
    ['sort=cheapest', 'sort'],
    ['page=-1', 'page'],
    ['page=0', 'page'],
    ['page=abc', 'page'],
    ['per_page=10000', 'per_page'],
    ['per_page=0', 'per_page'],
    ['min_price=abc', 'min_price'],
    ['min_price=12.5', 'min_price'],
    ['min_price=-1', 'min_price'],
    ['max_price=99999999999999999999', 'max_price'],
    ['min_price=900000&max_price=100000', 'min_price'],
    ['size=%3Cscript%3E', 'size'],
    ['size=%zz', 'size'],
    ['color=Red!', 'color'],
    ['in_stock=maybe', 'in_stock'],
    ['sort=%zz', 'sort'],
  ];
  const badSearch = [
    [`q=${'a'.repeat(101)}`, 'q'],
    [`q=${encodeURIComponent('đ'.repeat(101))}`, 'q'],
    ['q=gile%00', 'q'],
    ['q=gile%0Aphao', 'q'],
    ['q=%zz', 'q'],
    ['q=gile%E0%A4', 'q'],
  ];

  it('answers 400 naming the field, never 500', async () => {
    const targets = [
      ...bad.map(([q, f]) => [`/api/v1/products?${q}`, f]),
      ...bad.map(([q, f]) => [`/api/v1/search?q=gile&${q}`, f]),
      ...badSearch.map(([q, f]) => [`/api/v1/search?${q}`, f]),
      ...badSearch.map(([q, f]) => [`/api/v1/products?${q}`, f]),
      ['/api/v1/products?category=Bad%20Slug', 'category'],
    ];
    for (const [path, field] of targets) {
      const { json, headers } = await api(path, 400);
      assert.equal(json.error.code, 'invalid_parameters', path);
      assert.deepEqual(Object.keys(json.error.fields), [field], `${path} names ${field}`);
      assert.ok(json.error.fields[field].length > 0);
      assert.equal(headers.get('cache-control'), 'no-store', path);
    }
  });

  it('accepts the longest query allowed', async () => {
    await searchProducts(`q=${'a'.repeat(100)}`);
    await searchProducts(`q=${encodeURIComponent('đ'.repeat(100))}`);
  });

  it('reports every bad field at once', async () => {
    const { json } = await api('/api/v1/products?page=0&sort=x&min_price=abc&size=%3C', 400);
    assert.deepEqual(Object.keys(json.error.fields).sort(), ['min_price', 'page', 'size', 'sort']);
  });

  it('answers other methods with 405 and a JSON error', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/api/v1/products', '/api/v1/categories', `/api/v1/products/${c.active[0].slug}`, '/api/v1/search?q=gile']) {
        const res = await shop.request(path, { method, headers: { 'content-type': 'application/json' }, body: '{}' });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.match(res.headers.get('allow') ?? '', /\bGET\b/);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const json = JSON.parse(res.text);
        assertSchema('Error', json);
        assert.equal(json.error.code, 'method_not_allowed');
      }
    }
  });

  it('answers methods no route serves (QUERY, PROPFIND…) with 405 and Allow, never as a GET', async () => {
    const cart = (await shop.request('/api/v1/carts', { method: 'POST' }));
    const { id } = JSON.parse(cart.text);
    const targets = [
      ['/api/v1/me', 'GET, PATCH'],
      ['/api/v1/me/addresses', 'GET, POST'],
      ['/api/v1/me/orders', 'GET'],
      ['/api/v1/server/orders', 'GET'],
      ['/api/v1/auth/token', 'POST'],
      ['/api/v1/products', 'GET, HEAD'],
      [`/api/v1/products/${c.active[0].slug}`, 'GET, HEAD'],
      ['/api/v1/openapi.json', 'GET, HEAD'],
      [`/api/v1/carts/${id}`, 'GET'],
      [`/api/v1/carts/${id}/items`, 'POST'],
      [`/api/v1/carts/${id}/items/1`, 'PATCH, DELETE'],
      ['/api/v1/orders/0123456789abcdef0123456789abcdef', 'GET'],
    ];
    for (const method of ['QUERY', 'PROPFIND', 'MKCOL']) {
      for (const [path, allow] of targets) {
        const res = await shop.request(path, { method });
        assert.equal(res.status, 405, `${method} ${path}: ${res.text.slice(0, 200)}`);
        assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
        const json = JSON.parse(res.text);
        assertSchema('Error', json);
        assert.equal(json.error.code, 'method_not_allowed');
      }
      for (const path of ['/', '/healthz', `/p/${c.active[0].slug}`]) {
        const res = await shop.request(path, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.match(res.headers.get('allow') ?? '', /^GET, HEAD$/, `${method} ${path}`);
      }
    }
    const unknownPath = await shop.request(`/api/v1/carts/${id}/nope/nope`, { method: 'QUERY' });
    assert.equal(unknownPath.status, 404, 'a path no route has is a 404 whatever the method');
  });

  it('accepts what the document says is valid: a well-formed unknown category is a 404, an empty refresh token an unknown one', async () => {
    for (const category of ['0', 'no-such-category']) {
      const { json } = await api(`/api/v1/products?category=${category}`, 404);
      assert.equal(json.error.code, 'not_found', category);
    }
    for (const [path, status] of [['/api/v1/auth/refresh', 401], ['/api/v1/auth/logout', 204]]) {
      const res = await shop.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: '' }) });
      assert.equal(res.status, status, `${path}: ${res.text}`);
      assert.ok(Object.keys(openapi.paths[path].post.responses).includes(String(status)), `${path}: ${status} is documented`);
      if (status === 401) assert.equal(JSON.parse(res.text).error.code, 'invalid_grant');
    }
    const missing = await shop.request('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(missing.status, 400, 'a missing token is a bad request');
    const checkout = openapi.paths['/api/v1/carts/{id}/checkout'].post.responses;
    assert.ok(checkout['429'], 'the checkout documents its rate limit');
  });

  it('answers unknown endpoints with a 404 JSON error', async () => {
    for (const path of ['/api/v1/nope', '/api/v2/products', '/api/v1/products/a/b', '/api/']) {
      const { json } = await api(path, 404);
      assert.equal(json.error.code, 'not_found');
    }
  });
});

// --- cross-origin apps (CORS) -----------------------------------------------------------------------

/** The app's page: it drives the buying path with fetch against the shop given in `?shop=`. */
const APP_PAGE = `<!doctype html><meta charset="utf-8"><title>app</title><script>
const shop = new URLSearchParams(location.search).get('shop');
async function call(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  const res = await fetch(shop + path, init);
  return { status: res.status, json: await res.json().catch(() => null), requestId: res.headers.get('x-request-id') };
}
window.buy = async (variantId, checkout) => {
  const created = await call('POST', '/api/v1/carts');
  const cart = created.json;
  const headers = { 'x-cart-token': cart.token };
  const added = await call('POST', '/api/v1/carts/' + cart.id + '/items', { body: { variant_id: variantId, quantity: 1 }, headers: { ...headers, 'idempotency-key': 'add-' + cart.id } });
  const bad = await call('PATCH', '/api/v1/carts/' + cart.id + '/items/999999', { body: { quantity: 1 }, headers });
  const placed = await call('POST', '/api/v1/carts/' + cart.id + '/checkout', { body: checkout, headers: { ...headers, 'idempotency-key': 'buy-' + cart.id } });
  const order = placed.json && placed.json.order;
  const read = order ? await call('GET', '/api/v1/orders/' + order.id, { headers: { 'x-order-token': order.access_token } }) : null;
  return { created, added, bad, placed, read };
};
window.tryCart = async () => {
  try { return (await fetch(shop + '/api/v1/carts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status; }
  catch (e) { return 'blocked'; }
};
</script><p>app</p>`;

async function startAppServer() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(APP_PAGE);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { server, port, origin: `http://127.0.0.1:${port}` };
}

describe('cross-origin apps (CORS)', () => {
  const preflight = (path, origin, method = 'POST', headers = 'content-type, x-cart-token') =>
    shop.request(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });

  it('answers a preflight from an allowed origin with the route\'s methods and headers, and refuses others', async () => {
    const cart = await s.createCart();
    const cases = [
      [`/api/v1/carts/${cart.id}/items`, 'POST', 'Content-Type, X-Cart-Token, Authorization, Idempotency-Key'],
      [`/api/v1/carts/${cart.id}/checkout`, 'POST', 'Content-Type, X-Cart-Token, Authorization, Idempotency-Key'],
      [`/api/v1/carts/${cart.id}/items/1`, 'PATCH, DELETE', 'Content-Type, X-Cart-Token, Authorization'],
      ['/api/v1/orders/0123456789abcdef0123456789abcdef', 'GET', 'X-Order-Token, Authorization'],
      ['/api/v1/me', 'GET, PATCH', 'Authorization, Content-Type'],
      ['/api/v1/me/addresses/x', 'PUT, DELETE', 'Authorization, Content-Type'],
      ['/api/v1/auth/token', 'POST', 'Content-Type'],
    ];
    for (const [path, methods, headers] of cases) {
      const res = await preflight(path, app.origin, methods.split(',')[0]);
      assert.equal(res.status, 204, `${path}: ${res.text}`);
      assert.equal(res.headers.get('access-control-allow-origin'), app.origin, path);
      assert.equal(res.headers.get('access-control-allow-methods'), methods, path);
      assert.equal(res.headers.get('access-control-allow-headers'), headers, path);
      assert.equal(res.headers.get('access-control-max-age'), '600', path);
      assert.match(res.headers.get('vary') ?? '', /\bOrigin\b/, path);
      assert.equal(res.headers.get('access-control-allow-credentials'), null, path);
      const refused = await preflight(path, 'https://evil.example', methods.split(',')[0]);
      assert.equal(refused.status, 204, path);
      assert.equal(refused.headers.get('access-control-allow-origin'), null, `${path}: no other origin`);
      assert.equal(refused.headers.get('access-control-allow-methods'), null, path);
    }
    const missing = await preflight('/api/v1/nope', app.origin);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), app.origin, 'a 404 is readable by the app too');
  });

  it('sends the allowed origin on every answer, errors included, and * only on catalog reads', async () => {
    const other = 'https://other-app.example';
    const cart = (await s.api('POST', '/api/v1/carts', { headers: { origin: other } }));
    assert.equal(cart.status, 201);
    assert.equal(cart.headers.get('access-control-allow-origin'), other);
    assert.match(cart.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
    const errors = [
      await s.api('GET', `/api/v1/carts/${cart.json.id}`, { headers: { origin: other } }),
      await s.api('GET', '/api/v1/me', { headers: { origin: other } }),
      await s.api('PUT', '/api/v1/carts', { headers: { origin: other } }),
    ];
    assert.deepEqual(errors.map((r) => r.status), [404, 401, 405]);
    for (const res of errors) assert.equal(res.headers.get('access-control-allow-origin'), other, res.text);
    const foreign = await s.api('POST', '/api/v1/carts', { headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null, 'a personal answer is never *');
    assert.match(foreign.headers.get('vary') ?? '', /\bOrigin\b/);
    const catalogRead = await shop.request('/api/v1/categories', { headers: { origin: 'https://evil.example' } });
    assert.equal(catalogRead.headers.get('access-control-allow-origin'), '*');
    assert.equal(catalogRead.headers.get('access-control-allow-credentials'), null);
  });

  it('lets a web app on another origin run the buying path in a browser, and no other origin', async () => {
    const variant = c.active.flatMap((p) => c.variantsOf(p)).filter((v) => v.on_hand >= 12).sort((a, b) => b.id - a.id)[0];
    const { page, close } = await openPage();
    await page.goto(`${app.origin}/?shop=${encodeURIComponent(shop.url)}`);
    const run = await page.evaluate(([id, body]) => window.buy(id, body), [variant.id, checkoutBody()]);
    assert.equal(run.created.status, 201, JSON.stringify(run.created));
    assert.equal(run.added.status, 201, JSON.stringify(run.added));
    assert.equal(run.added.json.lines.length, 1);
    assert.equal(run.bad.status, 404, 'an error answer is readable by the app');
    assert.equal(run.bad.json.error.code, 'variant_not_found');
    assert.ok(run.bad.requestId, 'the app reads the exposed X-Request-Id');
    assert.equal(run.placed.status, 201, JSON.stringify(run.placed).slice(0, 400));
    assertSchema('CheckoutResult', run.placed.json);
    assert.equal(run.read.status, 200);
    assert.equal(run.read.json.order.id, run.placed.json.order.id);
    await close();

    const foreign = await openPage();
    await foreign.page.goto(`http://localhost:${app.port}/?shop=${encodeURIComponent(shop.url)}`);
    assert.equal(await foreign.page.evaluate(() => window.tryCart()), 'blocked', 'an origin not allowed cannot call the API');
    await foreign.close();
  });
});

// --- spec and behaviour agree (issue 21) -----------------------------------------------------------

describe('idempotency, content types and rate-limit headers', () => {
  const variantOf = (n) => c.active.flatMap((p) => c.variantsOf(p)).filter((v) => v.on_hand >= 12).sort((a, b) => b.id - a.id)[n];

  it('adds once for a retried Idempotency-Key, marks the replay, and refuses the key with another body', async () => {
    const v = variantOf(1);
    const cart = await s.createCart();
    const headers = { 'x-cart-token': cart.token, 'idempotency-key': 'add-once' };
    const add = (quantity) => s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: v.id, quantity }, headers });
    const first = await add(2);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await add(2);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assertSchema('Cart', again.json);
    assert.equal(again.json.lines.find((l) => l.variant_id === v.id).quantity, 2, 'the retry did not add again');
    const other = await add(3);
    assert.equal(other.status, 422, other.text);
    assert.equal(other.json.error.code, 'idempotency_key_reused');
    assert.ok(Object.keys(openapi.paths['/api/v1/carts/{id}/items'].post.responses).includes('422'));
    const unkeyed = await s.addItem(cart, v.id, 1);
    assert.equal(unkeyed.json.lines.find((l) => l.variant_id === v.id).quantity, 3, 'without a key, every add adds');
  });

  it('replays a checkout for the same key and body, refuses the key with another body, and sends RateLimit headers', async () => {
    const v = variantOf(2);
    const { cart } = await s.cartWith([[v, 1]]);
    const first = await s.checkout(cart, checkoutBody(), 'buy-once');
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
      assert.match(first.headers.get(name) ?? '', /^\d+$/, name);
    }
    assert.ok(Number(first.headers.get('ratelimit-remaining')) < Number(first.headers.get('ratelimit-limit')));
    const again = await s.checkout(cart, checkoutBody(), 'buy-once');
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.json.order.id, first.json.order.id);
    const other = await s.checkout(cart, checkoutBody({ email: 'someone.else@example.vn' }), 'buy-once');
    assert.equal(other.status, 422, other.text);
    assert.equal(other.json.error.code, 'idempotency_key_reused');
    assertSchema('Error', other.json);
  });

  it('refuses a body not declared as JSON with 415 on every endpoint that takes one, as documented', async () => {
    const v = variantOf(3);
    const cart = await s.createCart();
    const h = { 'x-cart-token': cart.token, 'content-type': 'text/plain' };
    const cases = [
      ['POST', `/api/v1/carts/${cart.id}/items`, '/api/v1/carts/{id}/items', 'post', JSON.stringify({ variant_id: v.id, quantity: 1 })],
      ['PATCH', `/api/v1/carts/${cart.id}/items/${v.id}`, '/api/v1/carts/{id}/items/{line_id}', 'patch', '{"quantity":1}'],
      ['POST', `/api/v1/carts/${cart.id}/coupons`, '/api/v1/carts/{id}/coupons', 'post', '{"code":"FREESHIP"}'],
      ['POST', `/api/v1/carts/${cart.id}/checkout`, '/api/v1/carts/{id}/checkout', 'post', JSON.stringify(checkoutBody())],
      ['POST', `/api/v1/carts/${cart.id}/shipping-quote`, '/api/v1/carts/{id}/shipping-quote', 'post', '{"province_code":"01"}'],
      ['POST', '/api/v1/auth/token', '/api/v1/auth/token', 'post', '{"email":"a@b.vn","password":"x"}'],
    ];
    for (const [method, path, doc, op, body] of cases) {
      const res = await s.api(method, path, { body, headers: h });
      assert.equal(res.status, 415, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.error.code, 'unsupported_media_type');
      assert.ok(openapi.paths[doc][op].responses['415'], `${method} ${doc} documents 415`);
    }
    assert.equal((await s.getCart(cart)).json.lines.length, 0, 'nothing was added');
  });

  it('answers 204 without a content type, and names the field in field errors', async () => {
    const res = await shop.request('/api/v1/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refresh_token":"nope"}' });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('content-type'), null);
    assert.equal(res.text, '');
    const cart = await s.createCart();
    const quote = await s.shippingQuote(cart, { country: 'VN' });
    assert.equal(quote.status, 400, quote.text);
    assert.equal(quote.json.error.fields.province_code, 'province_code is required');
    const missing = await s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: {}, headers: { 'x-cart-token': cart.token } });
    assert.equal(missing.status, 400);
    for (const [field, message] of Object.entries(missing.json.error.fields)) assert.ok(message.startsWith(`${field} `), message);
  });

  it('shows an app the order\'s contact, address with codes, statuses, shipment with its tracking page, and events', async () => {
    const v = variantOf(6);
    const body = checkoutBody({ note: 'Giao giờ hành chính' });
    const { order } = await s.placeOrder([[v, 1]], body);
    const read = async () => (await s.getOrder(order.id, order.access_token)).json.order;
    const before = await read();
    assert.deepEqual(before.contact, { name: body.name, email: body.email, phone: '+84912345678' });
    assert.equal(before.shipping_address.line1, body.address.line1);
    assert.equal(before.shipping_address.province_code, body.address.province_code);
    assert.equal(before.shipping_address.ward_code, body.address.ward_code);
    assert.ok(before.shipping_address.province.length > 0 && before.shipping_address.ward.length > 0, 'the names of the codes');
    assert.equal(before.note, body.note);
    assert.equal(before.shipment, null, 'nothing shipped yet');
    assert.equal(before.fulfillment_status, 'unfulfilled');
    assert.ok(before.events.length >= 1);
    await shop.sql(`UPDATE orders SET carrier = 'GHN', tracking_number = 'GHN12345' WHERE id = '${order.id}'`);
    const shipped = await read();
    assert.deepEqual(shipped.shipment, { carrier: shipped.shipment.carrier, tracking_number: 'GHN12345', tracking_url: 'https://donhang.ghn.vn/?order_code=GHN12345' });
    assertSchema('Order', shipped);
  });

  it('sends an app\'s shopper back to its return_url or cancel_url after paying, and refuses another origin\'s', async () => {
    const v = variantOf(7);
    const { cart } = await s.cartWith([[v, 1]]);
    for (const url of ['https://evil.example/done', 'javascript:alert(1)', `${app.origin}@evil.example/`]) {
      const bad = await s.checkout(cart, { ...checkoutBody(), return_url: url });
      assert.equal(bad.status, 400, `${url}: ${bad.text}`);
      assert.deepEqual(Object.keys(bad.json.error.fields), ['return_url'], url);
    }
    const res = await s.checkout(cart, { ...checkoutBody(), return_url: `${app.origin}/done`, cancel_url: 'vestify-app:/cart' });
    assert.equal(res.status, 201, res.text);
    const { order } = res.json;
    const pay = order.payments[0].id;
    const declined = await s.postForm(`/pay/sandbox/${pay}`, { result: 'failed', t: order.access_token });
    assert.equal(declined.status, 303);
    assert.equal(declined.headers.get('location'), `vestify-app:/cart?order_id=${order.id}&status=failed`);
    const paid = await s.postForm(`/pay/sandbox/${pay}`, { result: 'succeeded', t: order.access_token });
    assert.equal(paid.headers.get('location'), `${app.origin}/done?order_id=${order.id}&status=paid`);
    const web = await s.placeOrder([[variantOf(8), 1]]);
    const plain = await s.postForm(`/pay/sandbox/${web.order.payments[0].id}`, { result: 'succeeded', t: web.order.access_token });
    assert.equal(plain.headers.get('location'), `/orders/${web.order.id}?t=${web.order.access_token}`, 'without a return_url, the order page');
  });

  it('documents an unknown variant as the 404 it is, and shows a refused code\'s cart as a GET then shows it', async () => {
    const cart = await s.createCart();
    const res = await s.addItem(cart, 999999, 1);
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'variant_not_found');
    assert.match(openapi.paths['/api/v1/carts/{id}/items'].post.responses['404'].description, /variant_not_found/);
    const v = variantOf(4);
    await s.addItem(cart, v.id, 1);
    const refused = await s.applyCode(cart, 'NO-SUCH-CODE');
    assert.equal(refused.status, 422);
    const now = (await s.getCart(cart)).json;
    const { rejected, ...shown } = refused.json.cart.discounts;
    const { rejected: none, ...stays } = now.discounts;
    assert.deepEqual(shown, stays, 'the refusal\'s cart is priced as a GET prices it');
    assert.deepEqual(none, []);
    assert.equal(refused.json.cart.subtotal, now.subtotal);
  });
});

// --- the document is the contract -------------------------------------------------------------------

describe('GET /api/v1/products/{slug}/recommendations', () => {
  it('are computed by the pass, refresh the cached page and lists, and never give the product itself or one that cannot be bought', async () => {
    const me = c.active[0];
    const page = async () => (await shop.request(`/p/${me.slug}`)).text;
    const list = async (kind) => (await api(`/api/v1/products/${me.slug}/recommendations?kind=${kind}&limit=12`)).json.products;
    // Before any pass the page is cached without "bought together", and the lists are empty.
    assert.doesNotMatch(await page(), /bought-together-title/);
    assert.deepEqual(await list('bought_together'), []);
    const pass = await s.internal('POST', '/internal/recommendations');
    assert.equal(pass.status, 200, pass.text);
    assert.ok(pass.json.products > 1 && pass.json.rows > 0, pass.text);
    // The pass bumped the catalog version: the cached page and list are rendered again.
    assert.match(await page(), /bought-together-title/);
    for (const kind of ['similar', 'bought_together', 'also_viewed']) {
      const products = await list(kind);
      assert.ok(products.length > 0, kind);
      assert.ok(products.every((p) => p.slug !== me.slug && p.available > 0), kind);
    }
    // One recommended product sells out, another is archived; the next pass leaves both out.
    const [soldOut, archived] = await list('similar');
    const reserved = await shop.sql(`SELECT id, reserved FROM variants WHERE product_id = ${soldOut.id}`);
    await shop.sql(`UPDATE variants SET reserved = on_hand WHERE product_id = ${soldOut.id}; UPDATE products SET status = 'archived' WHERE id = ${archived.id}`);
    try {
      assert.equal((await s.internal('POST', '/internal/recommendations')).status, 200);
      for (const kind of ['similar', 'bought_together']) {
        const ids = (await list(kind)).map((p) => p.id);
        assert.ok(!ids.includes(soldOut.id) && !ids.includes(archived.id), `${kind}: ${ids}`);
      }
    } finally {
      const back = reserved.map((v) => `WHEN ${v.id} THEN ${v.reserved}`).join(' ');
      await shop.sql(`UPDATE variants SET reserved = CASE id ${back} END WHERE product_id = ${soldOut.id}; UPDATE products SET status = 'active' WHERE id = ${archived.id}`);
      await s.internal('POST', '/internal/recommendations');
    }
    // Bad parameters name their field; an unknown product is a 404.
    const bad = await api(`/api/v1/products/${me.slug}/recommendations?kind=popular&limit=99`, 400);
    assert.deepEqual(Object.keys(bad.json.error.fields).sort(), ['kind', 'limit']);
    await api('/api/v1/products/no-such-product/recommendations', 404);
  });
});

describe('the account API (the account pages\' use cases)', () => {
  // Its own client address: sign-up and reset requests are rate-limited per client.
  const client = { 'cf-connecting-ip': '198.51.100.90' };
  const linkToken = async (kind, email) => {
    const [mail] = await shop.sql(`SELECT payload FROM outbox WHERE kind = '${kind}' AND recipient = '${email}' ORDER BY id DESC LIMIT 1`);
    assert.ok(mail, `a ${kind} mail to ${email}`);
    return JSON.parse(mail.payload).url;
  };

  it('signs up with a mailed verification link, verifies, and resets the password with a mailed link', async () => {
    const email = `api-signup-${Date.now()}@example.vn`;
    const signed = await s.api('POST', '/api/v1/auth/signup', { body: { email: ` ${email.toUpperCase()} `, name: ' An ', password: PASSWORD, locale: 'en' }, headers: client });
    assert.equal(signed.status, 201, signed.text);
    assert.deepEqual([signed.json.customer.email, signed.json.customer.name, signed.json.customer.email_verified], [email, 'An', false]);
    assert.ok(signed.headers.get('ratelimit-limit'), 'the sign-up limit is announced');
    const taken = await s.api('POST', '/api/v1/auth/signup', { body: { email, name: 'B', password: PASSWORD }, headers: client });
    assert.deepEqual([taken.status, taken.json.error.code], [409, 'email_taken']);
    const bad = await s.api('POST', '/api/v1/auth/signup', { body: { email: 'x', name: '', password: 'short' }, headers: client });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(Object.keys(bad.json.error.fields).sort(), ['email', 'name', 'password']);
    const notText = await s.api('POST', '/api/v1/auth/signup', { body: { email: 1, name: 'B', password: PASSWORD }, headers: client });
    assert.deepEqual([notText.status, Object.keys(notText.json.error.fields)], [400, ['email']]);

    const url = await linkToken('verify_email', email);
    assert.match(url, /\/en\/account\/verify\/[0-9a-f]{64}$/, 'the link opens the shop\'s page in the language asked for');
    const token = url.split('/').pop();
    assert.equal((await s.api('POST', '/api/v1/auth/verify', { body: { token: 'f'.repeat(64) } })).status, 404);
    assert.equal((await s.api('POST', '/api/v1/auth/verify', { body: { token } })).status, 204);
    assert.equal((await s.api('POST', '/api/v1/auth/verify', { body: { token } })).status, 404, 'a link works once');
    const bearer = { authorization: `Bearer ${signed.json.access_token}` };
    assert.equal((await s.api('GET', '/api/v1/me', { headers: bearer })).json.customer.email_verified, true);

    const asked = await s.api('POST', '/api/v1/auth/password-reset', { body: { email }, headers: client });
    assert.deepEqual([asked.status, asked.json.status], [202, 'sent_if_registered']);
    const unknown = await s.api('POST', '/api/v1/auth/password-reset', { body: { email: 'nobody-here@example.vn' }, headers: client });
    assert.deepEqual([unknown.status, unknown.json], [202, asked.json], 'the answer does not tell which emails have accounts');
    assert.equal((await s.api('POST', '/api/v1/auth/password-reset', { body: {}, headers: client })).status, 422);
    const reset = (await linkToken('password_reset', email)).split('/').pop();
    const short = await s.api('POST', '/api/v1/auth/password-reset/confirm', { body: { token: reset, password: 'short' } });
    assert.deepEqual([short.status, Object.keys(short.json.error.fields)], [422, ['password']]);
    const fresh = 'một mật khẩu mới 456';
    assert.equal((await s.api('POST', '/api/v1/auth/password-reset/confirm', { body: { token: reset, password: fresh } })).status, 204);
    assert.equal((await s.api('POST', '/api/v1/auth/password-reset/confirm', { body: { token: reset, password: fresh } })).status, 404, 'once');
    assert.equal((await s.api('GET', '/api/v1/me', { headers: bearer })).status, 401, 'a reset ends the app tokens');
    assert.equal((await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } })).status, 401);
    assert.equal((await s.api('POST', '/api/v1/auth/token', { body: { email, password: fresh } })).status, 200);
  });

  it('edits the profile and the address book with a default, as the account page does', async () => {
    const { email } = await newShopper(shop, 'api-book');
    const tokens = (await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } })).json;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const renamed = await s.api('PATCH', '/api/v1/me', { body: { phone: '0912 345 678' }, headers: bearer });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json.customer.phone, '+84912345678');
    const named = await s.api('PATCH', '/api/v1/me', { body: { name: 'Chị Lan' }, headers: bearer });
    assert.deepEqual([named.json.customer.name, named.json.customer.phone], ['Chị Lan', '+84912345678'], 'a field left out keeps its value');
    const refused = await s.api('PATCH', '/api/v1/me', { body: { name: ' ', phone: '12' }, headers: bearer });
    assert.deepEqual([refused.status, Object.keys(refused.json.error.fields).sort()], [422, ['name', 'phone']]);
    assert.equal((await s.api('PATCH', '/api/v1/me', { body: { name: 'X' } })).status, 401);

    const place = { name: 'Lan', phone: '0912 345 678', line1: '1 Lê Lợi', province_code: '79', ward_code: '26743' };
    assert.deepEqual((await s.api('GET', '/api/v1/me/addresses', { headers: bearer })).json, { addresses: [] });
    const first = await s.api('POST', '/api/v1/me/addresses', { body: place, headers: bearer });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual([first.json.address.province, first.json.address.ward, first.json.address.default], ['Thành phố Hồ Chí Minh', 'Phường Bến Thành', true]);
    const second = await s.api('POST', '/api/v1/me/addresses', { body: { ...place, line1: '2 Lê Lợi' }, headers: bearer });
    assert.equal(second.json.address.default, false);
    const wrongWard = await s.api('POST', '/api/v1/me/addresses', { body: { ...place, ward_code: '00070' }, headers: bearer });
    assert.deepEqual([wrongWard.status, Object.keys(wrongWard.json.error.fields)], [422, ['ward_code']], 'the field named as the API names it');
    const notFlag = await s.api('POST', '/api/v1/me/addresses', { body: { ...place, default: 'yes' }, headers: bearer });
    assert.equal(notFlag.status, 400);
    const edited = await s.api('PUT', `/api/v1/me/addresses/${second.json.address.id}`, { body: { ...place, line1: '3 Lê Lợi', default: true }, headers: bearer });
    assert.deepEqual([edited.status, edited.json.address.line1, edited.json.address.default], [200, '3 Lê Lợi', true]);
    assert.equal((await s.api('PUT', '/api/v1/me/addresses/none', { body: place, headers: bearer })).status, 404);
    const moved = await s.api('POST', `/api/v1/me/addresses/${first.json.address.id}/default`, { headers: bearer });
    assert.deepEqual(moved.json.addresses.map((a) => [a.id, a.default]), [[first.json.address.id, true], [second.json.address.id, false]]);
    assert.equal((await s.api('POST', '/api/v1/me/addresses/none/default', { headers: bearer })).status, 404);
    assert.equal((await s.api('DELETE', `/api/v1/me/addresses/${first.json.address.id}`, { headers: bearer })).status, 204);
    assert.equal((await s.api('DELETE', `/api/v1/me/addresses/${first.json.address.id}`, { headers: bearer })).status, 404);
    const left = (await s.api('GET', '/api/v1/me/addresses', { headers: bearer })).json.addresses;
    assert.deepEqual(left.map((a) => [a.id, a.default]), [[second.json.address.id, true]], 'the remaining address became the default');
    assert.equal((await s.api('GET', '/api/v1/me/addresses')).status, 401);
  });

  it('keeps the wishlist: add once (201, then 200), list with prices now and when added, remove (204), unknown products 404, no slug 422', async () => {
    const { email } = await newShopper(shop, 'api-wish');
    const tokens = (await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } })).json;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const [first, second] = withVariant(c.active, () => true).slice(-2);
    assert.deepEqual((await s.api('GET', '/api/v1/me/wishlist', { headers: bearer })).json, { items: [] });
    const added = await s.api('POST', '/api/v1/me/wishlist', { body: { product: first.slug }, headers: bearer });
    assert.equal(added.status, 201, added.text);
    assert.deepEqual(added.json.items.map((i) => [i.product, i.change, i.price === i.price_at]), [[first.slug, 'none', true]]);
    assert.equal(added.json.items[0].price, cheapest(first));
    const again = await s.api('POST', '/api/v1/me/wishlist', { body: { product: first.slug }, headers: bearer });
    assert.deepEqual([again.status, again.json.items.length], [200, 1], 'adding again changes nothing');
    await s.api('POST', '/api/v1/me/wishlist', { body: { product: second.slug, locale: 'en' }, headers: bearer });
    const listed = await s.api('GET', '/api/v1/me/wishlist', { headers: bearer });
    assert.deepEqual(listed.json.items.map((i) => i.product).sort(), [first.slug, second.slug].sort());
    assert.equal((await s.api('POST', '/api/v1/me/wishlist', { body: { product: 'no-such-product' }, headers: bearer })).status, 404);
    const noSlug = await s.api('POST', '/api/v1/me/wishlist', { body: {}, headers: bearer });
    assert.deepEqual([noSlug.status, Object.keys(noSlug.json.error.fields)], [422, ['product']]);
    assert.equal((await s.api('DELETE', `/api/v1/me/wishlist/${first.slug}`, { headers: bearer })).status, 204);
    assert.equal((await s.api('DELETE', `/api/v1/me/wishlist/${first.slug}`, { headers: bearer })).status, 404, 'no longer on the list');
    assert.deepEqual((await s.api('GET', '/api/v1/me/wishlist', { headers: bearer })).json.items.map((i) => i.product), [second.slug]);
    assert.equal((await s.api('GET', '/api/v1/me/wishlist')).status, 401);
  });
});

// One shop has one owner: made once, shared by the API keys' and the webhooks' tests.
let owner_;
const ownerOnce = () => (owner_ ??= (async () => {
  const ownerEmail = newEmail('keys-owner');
  assert.equal((await createOwner(shop, ownerEmail)).code, 0);
  return adminSession(shop, ownerEmail, OWNER_PASSWORD);
})());

describe('API keys for servers (/api/v1/server)', () => {
  it('lets an owner create scoped keys shown once and stored hashed; each key opens its scopes\' routes, rate-limited on its own, until revoked', async () => {
    const owner = await ownerOnce();
    const create = async (name, scopes) => {
      const csrf = await owner.token('/admin/api-keys', '/admin/api-keys');
      const body = new URLSearchParams([['name', name], ...scopes.map((sc) => ['scope', sc]), ['csrf', csrf]]).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: shop.url, 'sec-fetch-site': 'same-origin', cookie: owner.cookie };
      const res = await shop.request('/admin/api-keys', { method: 'POST', body, headers });
      return { res, key: /data-api-key>(vsk_[0-9a-f]{64})</.exec(res.text)?.[1] };
    };
    const all = await create('ERP', ['catalog:read', 'orders:read', 'orders:write', 'stock:write']);
    assert.equal(all.res.status, 201, all.res.text.slice(0, 300));
    assert.ok(all.key, 'the new key is shown');
    const [row] = await shop.sql("SELECT id, key_hash, prefix, scopes FROM api_keys WHERE name = 'ERP'");
    assert.equal(row.prefix, all.key.slice(0, 12));
    assert.ok(!(await shop.sql('SELECT * FROM api_keys')).some((r) => JSON.stringify(r).includes(all.key)), 'only a hash is stored');
    assert.ok(!(await owner.get('/admin/api-keys')).text.includes(all.key), 'shown once');
    assert.equal((await create('none', [])).res.status, 422);
    const reader = (await create('Reader', ['catalog:read'])).key;
    const burst = (await create('Burst', ['catalog:read'])).key;
    const [created] = await shop.sql("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'api_key.create'");
    assert.equal(created.n, 3, 'each creation audited');
    const staffEmail = newEmail('keys-staff');
    await owner.submit('/admin/users', { email: staffEmail, name: 'S', role: 'manager', password: 'manager password 1' }, { page: '/admin/users' });
    const manager = await adminSession(shop, staffEmail, 'manager password 1');
    assert.equal((await manager.get('/admin/api-keys')).status, 403, 'owners only');

    const auth = (key) => ({ authorization: `Bearer ${key}` });
    // A variant no other test here buys (the contract test takes the sixth from the end).
    const v = c.active.flatMap((p) => c.variantsOf(p)).filter((x) => x.on_hand >= 12).sort((a, b) => b.id - a.id)[9];
    const got = await s.api('GET', `/api/v1/server/variants/${v.sku}`, { headers: auth(all.key) });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers.get('ratelimit-limit'), '20');
    assert.equal(got.headers.get('access-control-allow-origin'), null, 'no CORS for keys');
    const onHand = got.json.variant.on_hand;
    assert.equal((await s.api('GET', `/api/v1/server/variants/${v.sku}`)).status, 401);
    assert.equal((await s.api('GET', `/api/v1/server/variants/${v.sku}`, { headers: auth(`vsk_${'0'.repeat(64)}`) })).status, 401);
    assert.equal((await s.api('GET', '/api/v1/server/variants/NO-SUCH-SKU', { headers: auth(reader) })).status, 404);
    const denied = await s.api('PUT', `/api/v1/server/variants/${v.sku}/stock`, { body: { on_hand: 1, expected_on_hand: onHand }, headers: auth(reader) });
    assert.deepEqual([denied.status, denied.json.error.code], [403, 'insufficient_scope']);

    const set = (body, key = 'restock-1') => s.api('PUT', `/api/v1/server/variants/${v.sku}/stock`, { body, headers: { ...auth(all.key), 'idempotency-key': key } });
    const applied = await set({ on_hand: onHand + 5, expected_on_hand: onHand });
    assert.deepEqual([applied.status, applied.json.variant.on_hand, applied.json.applied], [200, onHand + 5, true], applied.text);
    const retried = await set({ on_hand: onHand + 5, expected_on_hand: onHand });
    assert.deepEqual([retried.status, retried.json.variant.on_hand, retried.json.applied], [200, onHand + 5, false], 'a retry applies once');
    const stale = await set({ on_hand: 1, expected_on_hand: onHand }, 'restock-2');
    assert.deepEqual([stale.status, stale.json.error.code], [409, 'stock_changed']);
    assert.equal((await set({ on_hand: -1 }, 'restock-3')).status, 400);
    const [ledger] = await shop.sql(`SELECT COUNT(*) AS n FROM stock_ledger WHERE variant_id = ${v.id} AND actor = 'api_key:${row.id}'`);
    assert.equal(ledger.n, 1, 'one ledger row, by the key');

    const { order } = await s.placeOrder([[v.id, 1]], checkoutBody({ payment_provider: 'cod', phone: '0903 222 090' }));
    const list = await s.api('GET', '/api/v1/server/orders?per_page=5', { headers: auth(all.key) });
    assert.equal(list.json.orders[0].id, order.id, list.text);
    assert.equal((await s.api('GET', '/api/v1/server/orders?page=0', { headers: auth(all.key) })).status, 400);
    assert.equal((await s.api('GET', `/api/v1/server/orders/${order.id}`, { headers: auth(all.key) })).json.order.id, order.id);
    assert.equal((await s.api('GET', '/api/v1/server/orders/none', { headers: auth(all.key) })).status, 404);
    assert.equal((await s.api('GET', '/api/v1/server/orders', { headers: auth(reader) })).status, 403);
    const fulfil = (body) => s.api('POST', `/api/v1/server/orders/${order.id}/fulfil`, { body, headers: auth(all.key) });
    assert.equal((await fulfil({ carrier: 'GHN' })).status, 400);
    const shipped = await fulfil({ carrier: 'GHN', tracking_number: 'GHN123' });
    assert.equal(shipped.status, 200, shipped.text);
    assert.equal(shipped.json.order.fulfillment_status, 'shipped');
    assert.equal((await fulfil({ carrier: 'GHN', tracking_number: 'GHN123' })).status, 409, 'once');
    assert.equal((await s.api('POST', '/api/v1/server/orders/none/fulfil', { body: { carrier: 'GHN', tracking_number: 'x' }, headers: auth(all.key) })).status, 404);
    const [audited] = await shop.sql(`SELECT actor_id FROM audit_log WHERE action = 'order.fulfil' AND entity_id = '${order.id}'`);
    assert.equal(audited.actor_id, `api_key:${row.id}`);

    let last;
    for (let i = 0; i < 21; i += 1) last = await s.api('GET', `/api/v1/server/variants/${v.sku}`, { headers: auth(burst) });
    assert.deepEqual([last.status, last.headers.get('ratelimit-remaining')], [429, '0']);
    assert.equal((await s.api('GET', `/api/v1/server/variants/${v.sku}`, { headers: auth(reader) })).status, 200, 'each key has its own limit');

    const revoked = await owner.submit(`/admin/api-keys/${row.id}/revoke`, {}, { page: '/admin/api-keys' });
    assert.equal(revoked.status, 303);
    assert.equal((await s.api('GET', `/api/v1/server/variants/${v.sku}`, { headers: auth(all.key) })).status, 401, 'a revoked key opens nothing');
    const [revokes] = await shop.sql("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'api_key.revoke'");
    assert.equal(revokes.n, 1);
  });
});

describe('webhooks for apps (docs/WEBHOOKS.md)', () => {
  it('registers a public https endpoint in the admin with its secret shown once, and delivers a correctly signed order.created and a test ping', async () => {
    const owner = await ownerOnce();
    const register = async (url, events) => {
      const csrf = await owner.token('/admin/webhooks', '/admin/webhooks');
      const body = new URLSearchParams([['url', url], ...events.map((e) => ['event', e]), ['csrf', csrf]]).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: shop.url, 'sec-fetch-site': 'same-origin', cookie: owner.cookie };
      const res = await shop.request('/admin/webhooks', { method: 'POST', body, headers });
      return { res, secret: /data-webhook-secret>(whsec_[0-9a-f]{64})</.exec(res.text)?.[1] };
    };
    // The SSRF guard: loopback, the metadata address, localhost and plain http are refused.
    for (const bad of ['https://127.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://localhost/hook', 'http://hooks.example.com/hook']) {
      assert.equal((await register(bad, ['order.created'])).res.status, 422, bad);
    }
    assert.equal((await register('https://hooks.example.com/hook', [])).res.status, 422, 'no event ticked');
    const made = await register(`${hooks.url}/hook`, ['order.created', 'order.paid']);
    assert.equal(made.res.status, 201, made.res.text.slice(0, 300));
    assert.ok(made.secret, 'the secret is shown');
    const [endpoint] = await shop.sql('SELECT id, url, events, secret FROM webhook_endpoints');
    assert.equal(endpoint.events, 'order.created order.paid');
    assert.ok(!endpoint.secret.includes(made.secret) && endpoint.secret.startsWith('v1.'), 'stored sealed');
    assert.ok(!(await owner.get('/admin/webhooks')).text.includes(made.secret), 'shown once');
    hooks.secret = made.secret;

    const [v] = c.active.flatMap((p) => c.variantsOf(p)).filter((x) => x.on_hand >= 12).sort((a, b) => b.id - a.id).slice(12, 13);
    const { order } = await s.placeOrder([[v.id, 1]], checkoutBody());
    const run = await s.internal('POST', '/internal/outbox/run');
    assert.equal(run.status, 200, run.text);
    const got = await waitFor('a signed order.created', () => hooks.of('order.created', (d) => d.order_id === order.id)[0]);
    assert.equal(got.event.data.number, order.number);
    assert.equal(got.event.data.status, 'pending_payment');
    assert.match(got.event.id, /^evt_[0-9a-f]{24}$/);
    assert.equal(got.headers['vestify-event-id'], got.event.id);
    assert.match(got.headers['vestify-signature'], /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(hooks.deliveries.filter((d) => !d.verified).length, 0, 'every delivery verified');
    const [row] = await shop.sql(`SELECT status, attempts, response_code FROM outbox WHERE channel = 'webhook' AND kind = 'order.created' AND json_extract(payload, '$.data.order_id') = '${order.id}'`);
    assert.deepEqual([row.status, row.attempts, row.response_code], ['sent', 1, 204]);
    // Another pass sends nothing again.
    await s.internal('POST', '/internal/outbox/run');
    assert.equal(hooks.of('order.created', (d) => d.order_id === order.id).length, 1);

    // "Send test event", then the endpoint's delivery log; every change audited.
    const tested = await owner.submit(`/admin/webhooks/${endpoint.id}/test`, {}, { page: '/admin/webhooks' });
    assert.equal(tested.status, 303);
    await s.internal('POST', '/internal/outbox/run');
    await waitFor('the ping', () => hooks.of('ping').length === 1);
    const log = await owner.get(`/admin/webhooks/${endpoint.id}`);
    assert.equal(log.status, 200);
    assert.match(log.text, /data-status="sent"/);
    assert.ok(log.text.includes('>204<') && log.text.includes(got.event.id), 'the response code and the event id in the log');
    const disabled = await owner.submit(`/admin/webhooks/${endpoint.id}/disable`, {}, { page: '/admin/webhooks' });
    assert.equal(disabled.status, 303);
    const audited = await shop.sql("SELECT action FROM audit_log WHERE entity = 'webhook_endpoint' ORDER BY id");
    assert.deepEqual(audited.map((a) => a.action), ['webhook.create', 'webhook.test', 'webhook.disable']);
  });
});

describe('every operation of openapi.json', () => {
  it('answers every documented operation as documented, success and refusals', async () => {
    const v = c.active.flatMap((p) => c.variantsOf(p)).filter((x) => x.on_hand >= 12).sort((a, b) => b.id - a.id)[5];
    const { email } = await newShopper(shop, 'contract');
    const tokens = (await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } })).json;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    await s.api('POST', '/api/v1/auth/token', { body: { email, password: 'wrong password' } });
    await s.api('POST', '/api/v1/auth/token', { body: {} });
    const cart = await s.createCart();
    const ct = { 'x-cart-token': cart.token };
    const none = '0123456789abcdef0123456789abcdef';
    await s.api('GET', `/api/v1/carts/${cart.id}`, { headers: ct });
    await s.api('GET', `/api/v1/carts/${none}`, { headers: ct });
    await s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: v.id, quantity: 1 }, headers: ct });
    await s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: v.id }, headers: ct });
    await s.api('PATCH', `/api/v1/carts/${cart.id}/items/${v.id}`, { body: { quantity: 2 }, headers: ct });
    await s.api('PATCH', `/api/v1/carts/${cart.id}/items/${v.id}`, { body: { quantity: 11 }, headers: ct });
    await s.api('POST', `/api/v1/carts/${cart.id}/coupons`, { body: { code: 'FREESHIP' }, headers: ct });
    await s.api('POST', `/api/v1/carts/${cart.id}/coupons`, { body: { code: 'x' }, headers: ct });
    await s.api('DELETE', `/api/v1/carts/${cart.id}/coupons/FREESHIP`, { headers: ct });
    await s.api('DELETE', `/api/v1/carts/${cart.id}/coupons/FREESHIP`, { headers: ct });
    // A bundle (app::bundles): all of it added at once, then picks that are not one of each product.
    const others = c.active.flatMap((p) => c.variantsOf(p)).filter((x) => x.on_hand >= 12 && x.product_id !== v.product_id).sort((a, b) => b.id - a.id);
    const [b1] = others;
    const b2 = others.find((x) => x.product_id !== b1.product_id);
    const bundleId = await createBundle(shop, [b1.product_id, b2.product_id], 10);
    // The product's detail lists the bundle (written by SQL here: the caches are told as the admin's form tells them).
    await shop.bumpCatalogVersion();
    const inBundle = c.active.find((p) => p.id === b2.product_id);
    const detail = await s.api('GET', `/api/v1/products/${inBundle.slug}`);
    const listed = detail.json.bundles.find((b) => b.id === bundleId);
    assert.ok(listed, detail.text);
    assert.deepEqual([listed.name.vi, listed.benefit.type, listed.benefit.percent], ['Mua kèm giảm 10%', 'bundle_percent', 10]);
    assert.deepEqual(listed.products.map((p) => p.id), [b1.product_id, b2.product_id], 'in the bundle\'s order');
    assert.equal(listed.price, listed.products.reduce((sum, p) => sum + p.price, 0));
    assert.ok(listed.bundle_price < listed.price && listed.saving === listed.price - listed.bundle_price, detail.text);
    const bundleCart = await s.createCart();
    const bct = { 'x-cart-token': bundleCart.token };
    const added = await s.api('POST', `/api/v1/carts/${bundleCart.id}/bundles`, { body: { bundle_id: bundleId, variant_ids: [b2.id, b1.id] }, headers: bct });
    assert.equal(added.status, 200, added.text);
    assert.ok(added.json.discounts.applied.some((a) => a.promotion_id === bundleId && a.benefit.type === 'bundle_percent'), added.text);
    assert.equal((await s.api('POST', `/api/v1/carts/${bundleCart.id}/bundles`, { body: { bundle_id: bundleId, variant_ids: [b1.id] }, headers: bct })).status, 400);
    await s.api('DELETE', `/api/v1/carts/${bundleCart.id}/items/${b1.id}`, { headers: bct });
    await s.api('DELETE', `/api/v1/carts/${bundleCart.id}/items/${b2.id}`, { headers: bct });
    await shop.sql(`UPDATE promotions SET status = 'disabled' WHERE id = ${bundleId}`);
    await shop.bumpCatalogVersion();
    assert.ok(!(await s.api('GET', `/api/v1/products/${inBundle.slug}`)).json.bundles.some((b) => b.id === bundleId), 'a switched-off bundle is not listed');
    await s.api('POST', `/api/v1/carts/${cart.id}/shipping-quote`, { body: { province_code: '01' }, headers: ct });
    await s.api('POST', `/api/v1/carts/${cart.id}/shipping-quote`, { body: { province_code: '99' }, headers: ct });
    await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, { body: checkoutBody({ email: 'x' }), headers: ct });
    const placed = await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, { body: checkoutBody(), headers: { ...ct, ...bearer, 'idempotency-key': 'contract' } });
    assert.equal(placed.status, 201, placed.text);
    const order = placed.json.order;
    await s.api('GET', `/api/v1/orders/${order.id}`, { headers: { 'x-order-token': order.access_token } });
    await s.api('GET', `/api/v1/orders/${order.id}`, { headers: bearer });
    await s.api('GET', `/api/v1/orders/${order.id}`);
    await s.api('DELETE', `/api/v1/carts/${cart.id}/items/${v.id}`, { headers: ct });
    await s.api('DELETE', `/api/v1/carts/${cart.id}/items/abc`, { headers: ct });
    await s.api('GET', '/api/v1/me', { headers: bearer });
    await s.api('GET', '/api/v1/me');
    const history = await s.api('GET', '/api/v1/me/orders', { headers: bearer });
    assert.deepEqual([history.json.page, history.json.per_page, history.json.total, history.json.orders[0].id], [1, 20, 1, order.id]);
    const beyond = await s.api('GET', '/api/v1/me/orders?page=2&per_page=1', { headers: bearer });
    assert.deepEqual([beyond.json.orders.length, beyond.json.total, beyond.json.total_pages], [0, 1, 1], 'a page past the last is empty, not an error');
    const badPage = await s.api('GET', '/api/v1/me/orders?page=0&per_page=101', { headers: bearer });
    assert.equal(badPage.status, 400);
    assert.deepEqual(Object.keys(badPage.json.error.fields).sort(), ['page', 'per_page']);
    await s.api('GET', `/api/v1/me/orders/${order.id}`, { headers: bearer });
    await s.api('GET', `/api/v1/me/orders/${none}`, { headers: bearer });
    await s.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: tokens.refresh_token } });
    await s.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: tokens.refresh_token } });
    await s.api('POST', '/api/v1/auth/logout', { body: { refresh_token: tokens.refresh_token } });
    for (const path of ['/api/v1/categories', '/api/v1/products', `/api/v1/products/${c.active[0].slug}`, '/api/v1/products/no-such-product', '/api/v1/search?q=gile', '/api/v1/regions/provinces', '/api/v1/regions/provinces/79/wards', '/api/v1/regions/provinces/00/wards', '/api/v1/products?page=0']) {
      await shop.request(path);
    }
    const etag = (await shop.request('/api/v1/categories')).headers.get('etag');
    await shop.request('/api/v1/categories', { headers: { 'if-none-match': etag } });
    // Live stock, and reviews (the demo reviews): reads, a refused review, a vote and a report.
    await s.api('GET', `/api/v1/availability?variants=${v.id}`);
    await s.api('GET', '/api/v1/availability?variants=abc');
    await s.api('GET', `/api/v1/products/${c.active[0].slug}/recommendations?kind=bought_together&limit=8`);
    await s.api('GET', `/api/v1/products/${c.active[0].slug}/recommendations?limit=0`);
    await s.api('GET', '/api/v1/products/no-such-product/recommendations');
    const [top] = await shop.sql('SELECT p.slug FROM product_ratings r JOIN products p ON p.id = r.product_id ORDER BY r.count DESC, p.id LIMIT 1');
    const reviews = await s.api('GET', `/api/v1/products/${top.slug}/reviews`);
    assert.equal(reviews.status, 200, reviews.text);
    await s.api('GET', `/api/v1/products/${top.slug}/reviews?stars=9`);
    await s.api('GET', '/api/v1/products/no-such-product/reviews');
    const review = { rating: 5, title: 'Tốt', body: 'Vải đẹp, mặc vừa.', fit: 'true_to_size' };
    await s.api('POST', `/api/v1/products/${top.slug}/reviews`, { body: review });
    await s.api('POST', `/api/v1/products/${top.slug}/reviews`, { body: review, headers: bearer });
    const id = reviews.json.reviews[0].id;
    await s.api('POST', `/api/v1/reviews/${id}/helpful`, { headers: { 'cf-connecting-ip': '198.51.100.77' } });
    await s.api('POST', `/api/v1/reviews/${id}/report`, { body: { reason: 'spam' }, headers: { 'cf-connecting-ip': '198.51.100.78' } });
    // A review video's upload link: this shop has no Stream account, so the route is not there (404);
    // the issued link is called in tests/reviews.test.mjs against the fake Stream.
    await s.api('POST', `/api/v1/reviews/${id}/video-upload`, { body: {} });
    // Questions: the published list (and a bad page), a question without and with a token, a short
    // one. The tokens above were revoked by the logout: a fresh one.
    const asker = { authorization: `Bearer ${(await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } })).json.access_token}` };
    await s.api('GET', `/api/v1/products/${top.slug}/questions`);
    await s.api('GET', `/api/v1/products/${top.slug}/questions?page=0`);
    await s.api('GET', '/api/v1/products/no-such-product/questions');
    await s.api('POST', `/api/v1/products/${top.slug}/questions`, { body: { body: 'Áo này giặt máy được không ạ?' } });
    await s.api('POST', `/api/v1/products/${top.slug}/questions`, { body: { body: 'Size?' }, headers: asker });
    const asked = await s.api('POST', `/api/v1/products/${top.slug}/questions`, { body: { body: 'Áo này giặt máy được không ạ?' }, headers: asker });
    assert.equal(asked.status, 201, asked.text);
  });

  it('exercised every operation the document describes', () => {
    const missing = operations.filter((op) => !exercised.has(op));
    assert.deepEqual(missing, [], 'operations no test called');
  });
});
