// HTTP caching against the built Worker: Cache-Control policies, the edge cache (Workers Cache API, keyed
// by the catalog version in KV), validators and 304s, catalog changes showing at once, fingerprinted
// static assets, and errors that are never stored.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { assertSchema } from './support/openapi.mjs';
import { catalog, formatVnd } from './support/seed.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { ROOT, startShop } from './support/shop.mjs';
import { cookiesOf } from './support/shopping.mjs';

const c = catalog();

useShop();

/**
 * A browser: it keeps the cookies the shop sets (a page with a form binds its CSRF token to a guest
 * cookie, and that page's ETag to the binding), like the visitor whose revalidations are tested.
 */
const browser = {
  cookie: '',
  async get(path, headers = {}) {
    const res = await shop.get(path, { ...(browser.cookie ? { cookie: browser.cookie } : {}), ...headers });
    const set = res.headers.getSetCookie().map((x) => x.split(';')[0]);
    if (set.length) browser.cookie = [browser.cookie, ...set].filter(Boolean).join('; ');
    return res;
  },
};

/** A page's bytes without its per-response CSP nonce. */
const unNonced = (text) => text.replace(/nonce="[0-9a-f]{32}"/g, 'nonce=""');
const cspShape = (csp) => (csp ?? '').replace(/'nonce-[0-9a-f]{32}'/g, "'nonce-'");

let unique = 0;
/** The same page under a cache key no other test has used (unknown parameters are ignored by the shop). */
// A parameter pages ignore but the cache key keeps (tracking tags such as utm_* are dropped from it).
const fresh = (path) => `${path}${path.includes('?') ? '&' : '?'}n=t${(unique += 1)}`;

/** Repeats a GET until the edge cache answers it (the store happens after the first response). */
async function untilHit(path, headers = {}) {
  for (let i = 0; i < 60; i += 1) {
    const res = await browser.get(path, headers);
    if (res.headers.get('x-edge-cache') === 'hit') return res;
    await sleep(50);
  }
  assert.fail(`${path} was never served from the edge cache`);
}

function directives(cacheControl) {
  return Object.fromEntries(
    (cacheControl ?? '').split(',').map((d) => d.trim()).filter(Boolean).map((d) => {
      const [k, v] = d.split('=');
      return [k.toLowerCase(), v === undefined ? true : Number(v)];
    }),
  );
}

const category = c.categories.find((x) => c.inCategory(x.slug).length > 2);
const product = c.active.find((p) => c.variantsOf(p).length > 2);
const CATALOG_PATHS = [
  '/',
  '/en/',
  `/c/${category.slug}`,
  `/en/c/${category.slug}?size=M&sort=price_asc`,
  `/p/${product.slug}`,
  `/en/p/${product.slug}?variant=${c.variantsOf(product)[1].sku}`,
  '/search?q=gile',
  '/robots.txt',
  '/sitemap.xml',
  '/api/v1/categories',
  '/api/v1/products?size=M&sort=price_desc',
  `/api/v1/products/${product.slug}`,
  '/api/v1/search?q=phao',
  '/api/v1/openapi.json',
];

describe('cache headers', () => {
  it('lets the edge keep catalog pages and API responses, revalidating in the background', async () => {
    for (const path of CATALOG_PATHS) {
      const res = await browser.get(fresh(path));
      assert.equal(res.status, 200, path);
      const cc = directives(res.headers.get('cache-control'));
      if (res.headers.get('content-type').startsWith('text/html')) {
        // Every HTML response has its own CSP nonce (and forms a token bound to the visitor): no
        // shared cache may keep it, the browser revalidates it (the Worker's edge cache keeps the page).
        assert.ok(cc.private && cc['no-cache'] && !cc.public && !cc['no-store'], `${path}: private, no-cache`);
      } else {
        assert.ok(cc.public, `${path}: public`);
        assert.ok(cc['s-maxage'] > 0, `${path}: s-maxage`);
        assert.ok(cc['stale-while-revalidate'] > 0, `${path}: stale-while-revalidate`);
        assert.ok(cc['max-age'] === undefined || cc['max-age'] <= cc['s-maxage'], `${path}: browsers revalidate sooner than the edge`);
        assert.ok(!cc['no-store'] && !cc.private, path);
      }
      assert.match(res.headers.get('etag') ?? '', /^"[^"]+"$/, `${path}: a strong ETag`);
      assert.match(res.headers.get('vary') ?? '', /accept-encoding/i, `${path}: Vary`);
      assert.equal(res.headers.get('x-edge-cache'), 'miss', `${path}: a new key is a miss`);
    }
  });

  it('gives equal bodies equal ETags and different bodies different ones', async () => {
    // The categories JSON does not echo the query, so two keys render the same bytes.
    const a = await browser.get(fresh('/api/v1/categories'));
    const b = await browser.get(fresh('/api/v1/categories'));
    assert.equal(a.text, b.text);
    assert.equal(a.headers.get('etag'), b.headers.get('etag'));
    const other = await browser.get(fresh('/api/v1/products'));
    assert.notEqual(other.headers.get('etag'), a.headers.get('etag'));
  });
});

describe('edge cache', () => {
  it('serves a second request from the edge cache, unchanged', async () => {
    for (const base of CATALOG_PATHS) {
      const path = fresh(base);
      const first = await browser.get(path);
      assert.equal(first.headers.get('x-edge-cache'), 'miss', path);
      const hit = await untilHit(path);
      assert.equal(hit.status, 200);
      assert.equal(unNonced(hit.text), unNonced(first.text), `${path}: same body`);
      assert.equal(hit.headers.get('etag'), first.headers.get('etag'));
      assert.equal(hit.headers.get('cache-control'), first.headers.get('cache-control'));
      assert.equal(hit.headers.get('content-type'), first.headers.get('content-type'));
      assert.match(hit.headers.get('vary') ?? '', /accept-encoding/i);
      if (first.headers.get('content-type').startsWith('text/html')) {
        assert.equal(cspShape(hit.headers.get('content-security-policy')), cspShape(first.headers.get('content-security-policy')), `${path}: a hit keeps its CSP`);
        assert.notEqual(hit.headers.get('content-security-policy'), first.headers.get('content-security-policy'), `${path}: with a new nonce`);
        assert.equal(hit.headers.get('x-content-type-options'), 'nosniff');
      }
      if (base.startsWith('/api/')) assert.equal(hit.headers.get('access-control-allow-origin'), '*');
    }
  });

  it('serves links with tracking tags (fbclid, utm_*) from the entry of the clean URL', async () => {
    const base = fresh(`/p/${c.active[0].slug}`);
    const clean = await browser.get(base);
    assert.equal(clean.headers.get('x-edge-cache'), 'miss');
    await untilHit(base);
    for (const tag of ['fbclid=IwAR3x', 'utm_source=zalo&utm_medium=share', 'zarsrc=30&gclid=abc']) {
      const shared = await browser.get(`${base}&${tag}`);
      assert.equal(shared.status, 200);
      assert.equal(shared.headers.get('x-edge-cache'), 'hit', `${tag} shares the clean page's entry`);
      assert.equal(unNonced(shared.text), unNonced(clean.text), `${tag}: the same page, no tag echoed into it`);
    }
  });

  it('answers If-None-Match with 304 and an empty body on a hit', async () => {
    for (const base of [`/c/${category.slug}`, `/api/v1/products/${product.slug}`]) {
      const path = fresh(base);
      const first = await browser.get(path);
      const etag = first.headers.get('etag');
      await untilHit(path);
      for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
        const res = await browser.get(path, { 'if-none-match': inm });
        assert.equal(res.status, 304, `${path} If-None-Match: ${inm}`);
        assert.equal(res.text, '');
        assert.equal(res.headers.get('etag'), etag);
        assert.equal(res.headers.get('x-edge-cache'), 'hit');
        assert.match(res.headers.get('cache-control') ?? '', base.startsWith('/api/') ? /s-maxage/ : /^private, no-cache$/);
        assert.match(res.headers.get('vary') ?? '', /accept-encoding/i);
      }
      const changed = await browser.get(path, { 'if-none-match': '"something-else"' });
      assert.equal(changed.status, 200);
      assert.equal(unNonced(changed.text), unNonced(first.text));
    }
  });

  it('answers If-None-Match with 304 on a miss too', async () => {
    // Same bytes under a key the cache has never seen.
    const a = await browser.get(fresh('/api/v1/categories'));
    const res = await browser.get(fresh('/api/v1/categories'), { 'if-none-match': a.headers.get('etag') });
    assert.equal(res.status, 304);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('x-edge-cache'), 'miss');
    assert.equal(res.headers.get('etag'), a.headers.get('etag'));
    // A page whose cached copy was dropped by a catalog version bump, though nothing in it changed.
    const path = fresh(`/en/p/${product.slug}`);
    const page = await browser.get(path);
    await untilHit(path);
    await shop.bumpCatalogVersion();
    const again = await browser.get(path, { 'if-none-match': page.headers.get('etag') });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(again.headers.get('x-edge-cache'), 'miss');
  });

  it('shows a catalog change at once after the version bump', async () => {
    const p = c.active.find((x) => x.id !== product.id && c.variantsOf(x).length > 1 && c.variantsOf(x).every((v) => v.compare_at_price === null));
    const v = c.variantsOf(p)[0];
    const newPrice = v.price + 123_000;
    const word = 'Zephyrine';
    const cat = c.categories.find((x) => x.id === p.category_id);
    const pages = {
      product: `/p/${p.slug}?variant=${v.sku}`,
      productEn: `/en/p/${p.slug}?variant=${v.sku}`,
      api: `/api/v1/products/${p.slug}`,
      listing: `/c/${cat.slug}?per_page=60`,
      search: `/api/v1/search?q=${word.toLowerCase()}`,
    };
    const original = {};
    for (const [name, path] of Object.entries(pages)) {
      original[name] = await browser.get(path);
      await untilHit(path);
    }
    assert.ok(original.product.text.includes(formatVnd(v.price, 'vi')));
    assert.equal(JSON.parse(original.search.text).total, 0, `nothing is called ${word} yet`);

    await shop.sql(
      `UPDATE variants SET price = ${newPrice}, updated_at = '2031-01-01T00:00:00Z' WHERE sku = '${v.sku}'; ` +
        `UPDATE products SET name_en = name_en || ' ${word}', updated_at = '2031-01-01T00:00:00Z' WHERE id = ${p.id};`,
    );
    const [row] = await shop.sql(`SELECT price FROM variants WHERE sku = '${v.sku}'`);
    assert.equal(row.price, newPrice, 'the database changed');

    // Until the version moves, the edge keeps serving what it has: the cache is really in the path.
    const stale = await browser.get(pages.product);
    assert.equal(stale.headers.get('x-edge-cache'), 'hit');
    assert.equal(unNonced(stale.text), unNonced(original.product.text));

    await shop.bumpCatalogVersion();

    const page = await shop.getHtml(pages.product);
    assert.equal(page.headers.get('x-edge-cache'), 'miss');
    assert.equal(page.doc.find('.variant-price').attr('data-price'), String(newPrice));
    assert.ok(page.doc.find('.variant-price').text.includes(formatVnd(newPrice, 'vi')));
    assert.notEqual(page.headers.get('etag'), original.product.headers.get('etag'));
    const revalidated = await browser.get(pages.product, { 'if-none-match': original.product.headers.get('etag') });
    assert.equal(revalidated.status, 200, 'an old ETag no longer matches');

    const en = await shop.getHtml(pages.productEn);
    assert.ok(en.doc.find('main h1').text.includes(word));
    assert.ok(en.doc.find('.variant-price').text.includes(formatVnd(newPrice, 'en')));

    const api = JSON.parse((await browser.get(pages.api)).text);
    assert.equal(api.product.variants.find((x) => x.sku === v.sku).price, newPrice);
    assert.ok(api.product.name.en.endsWith(word));

    const listing = await shop.getHtml(pages.listing);
    const card = listing.doc.find(`article.card[data-product="${p.slug}"]`);
    const cheapest = Math.min(newPrice, ...c.variantsOf(p).filter((x) => x.sku !== v.sku).map((x) => x.price));
    assert.ok(card.text.includes(formatVnd(cheapest, 'vi')), 'the listing shows the new cheapest price');

    const search = JSON.parse((await browser.get(pages.search)).text);
    assert.deepEqual(search.products.map((x) => x.slug), [p.slug], 'search finds the new name');
  });
});

describe('live stock on cached pages', () => {
  // A product no other test of this file uses, its first variant set to a few units.
  const p = [...c.active].reverse().find((x) => x.id !== product.id && c.variantsOf(x).length > 1);
  const v = c.variantsOf(p)[0];
  const pagePath = `/p/${p.slug}?variant=${v.sku}`;
  const apiPath = `/api/v1/products/${p.slug}`;
  const apiAvailable = async () => JSON.parse((await browser.get(apiPath)).text).product.variants.find((x) => x.id === v.id).available;
  /** The product page as a visitor without JavaScript gets it: what its HTML says of the variant. */
  const pageStock = async () => {
    const page = await shop.getHtml(pagePath);
    return {
      cache: page.headers.get('x-edge-cache'),
      badge: page.doc.find(`[data-live="badge"][data-variant-id="${v.id}"] [data-stock]`)?.attr('data-stock'),
      buttonDisabled: page.doc.find('form.add-to-cart button[type="submit"]')?.attr('disabled') !== undefined,
    };
  };
  /** Polls `probe` until `ok(value)`; returns how long that took (ms). */
  async function within(what, probe, ok) {
    const start = Date.now();
    let last;
    while (Date.now() - start < 5_000) {
      last = await probe();
      if (ok(last)) return Date.now() - start;
      await sleep(100);
    }
    assert.fail(`${what}: still ${JSON.stringify(last)} after 5 s`);
  }

  it('shows every unit held in carts as sold out within 2 s in the API and on the cached page without JavaScript, and back after release', async () => {
    await shop.sql(`UPDATE variants SET on_hand = 3, reserved = 0 WHERE id = ${v.id}`);
    await sleep(1_100); // past any snapshot of this product taken before the change
    // Both cached, in stock.
    assert.equal(await apiAvailable(), 3);
    await untilHit(apiPath);
    const before = await pageStock();
    assert.equal(before.badge, 'low');
    assert.equal(before.buttonDisabled, false);
    await untilHit(pagePath);
    const page = await shop.getHtml(pagePath);
    assert.equal(page.doc.find('article.product').attr('data-stock-low'), 'Chỉ còn {n} chiếc', 'the script gets the page\'s own words');

    // One unit held: the count follows (the API, the availability read), the page keeps its entry.
    const { cart } = await s.cartWith([[v, 1]]);
    const one = await within('API available after one hold', apiAvailable, (n) => n === 2);
    assert.ok(one <= 2_000, `API followed in ${one} ms`);
    const live = await s.api('GET', `/api/v1/availability?variants=${v.id}`);
    assert.deepEqual(live.json, { variants: { [v.id]: 2 } });
    assert.equal((await pageStock()).cache, 'hit', 'a count that stays above zero keeps the page cached');

    // The rest held: sold out everywhere within 2 s.
    assert.equal((await s.addItem(cart, v.id, 2)).status, 201);
    const soldApi = await within('API sold out', apiAvailable, (n) => n === 0);
    const soldPage = await within('page sold out', pageStock, (x) => x.badge === 'out' && x.buttonDisabled);
    assert.ok(soldApi <= 2_000 && soldPage <= 2_000, `sold out shown in ${soldApi} ms (API) and ${soldPage} ms (page)`);
    assert.deepEqual((await s.api('GET', `/api/v1/availability?variants=${v.id}`)).json, { variants: { [v.id]: 0 } });

    // Released: back within 2 s.
    assert.equal((await s.removeItem(cart, v.id)).status, 200);
    const backApi = await within('API back', apiAvailable, (n) => n === 3);
    const backPage = await within('page back', pageStock, (x) => x.badge === 'low' && !x.buttonDisabled);
    assert.ok(backApi <= 2_000 && backPage <= 2_000, `back in ${backApi} ms (API) and ${backPage} ms (page)`);
  });

  it('answers /api/v1/availability uncached, for a bounded list of ids', async () => {
    const [a, b] = c.variantsOf(p).slice(0, 2);
    await shop.sql(`UPDATE variants SET on_hand = 5, reserved = 1 WHERE id = ${b.id}`);
    const res = await s.api('GET', `/api/v1/availability?variants=${b.id},${a.id},${b.id},999999`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.json.variants[b.id], 4);
    assert.equal(res.json.variants['999999'], 0, 'an unknown id has nothing to sell');
    assert.deepEqual(Object.keys(res.json.variants).sort(), [String(a.id), String(b.id), '999999'].sort());
    assertSchema('Availability', res.json);
    const many = Array.from({ length: 51 }, (_, i) => i + 1).join(',');
    for (const query of ['', '?variants=', '?variants=abc', '?variants=1,,2', `?variants=${many}`]) {
      const bad = await s.api('GET', `/api/v1/availability${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.json.error.code, 'invalid_parameters', query);
      assert.equal(bad.headers.get('cache-control'), 'no-store');
    }
  });
});

describe("the shop's origin", () => {
  /** Every absolute URL of a product listing: the products' pages and images. */
  const urlsOf = (json) => json.products.flatMap((p) => [p.url, p.image_url]).filter(Boolean);

  it('refuses a host it does not serve, so no cached response carries that host', async () => {
    // The probe: one request with a foreign Host, then the same URL as everyone asks for it.
    for (const path of [fresh('/api/v1/products?per_page=1&q=len'), fresh('/'), fresh(`/p/${c.active[0].slug}`)]) {
      for (const host of ['evil.example', `evil.example:${shop.port}`, `127.0.0.1.evil.example:${shop.port}`]) {
        const poisoned = await shop.requestWithHost(host, path);
        assert.equal(poisoned.status, 421, `${host} ${path}: ${poisoned.text.slice(0, 200)}`);
        assert.doesNotMatch(poisoned.text, /evil/, 'the answer does not echo the host');
      }
      const res = await browser.get(path);
      assert.equal(res.status, 200, path);
      assert.doesNotMatch(res.text, /evil\.example/, `${path}: nothing from the foreign Host`);
      if (path.startsWith('/api/')) {
        const urls = urlsOf(JSON.parse(res.text));
        assert.ok(urls.length > 0);
        for (const url of urls) assert.ok(url.startsWith(`${shop.url}/`), `${url} starts with the configured origin`);
      } else {
        const canonical = /<link rel="canonical" href="([^"]+)"/.exec(res.text)?.[1];
        assert.ok(canonical?.startsWith(`${shop.url}/`), `${path}: canonical ${canonical}`);
      }
    }
  });

  it('answers a local shop under localhost too, with its own links and its own cache entries', async () => {
    const path = fresh('/api/v1/products?per_page=2');
    const local = await shop.requestWithHost(`localhost:${shop.port}`, path);
    assert.equal(local.status, 200, local.text.slice(0, 200));
    for (const url of urlsOf(JSON.parse(local.text))) assert.ok(url.startsWith(`http://localhost:${shop.port}/`), url);
    const again = await shop.requestWithHost(`localhost:${shop.port}`, path);
    assert.equal(again.status, 200);
    // The same URL under the configured name: not the entry made for localhost.
    const ip = await browser.get(path);
    assert.equal(ip.status, 200);
    for (const url of urlsOf(JSON.parse(ip.text))) assert.ok(url.startsWith(`${shop.url}/`), url);
    const page = await shop.requestWithHost(`localhost:${shop.port}`, fresh('/'));
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`<link rel="canonical" href="http://localhost:${shop.port}/`));
    assert.equal((await shop.requestWithHost(`localhost:${shop.port + 1}`, '/')).status, 421, 'another port is another shop');
  });
});

describe('static assets', () => {
  async function assetsOfHome() {
    const { doc } = await shop.getHtml('/');
    const css = doc.find('link[rel="stylesheet"]').attr('href');
    const js = doc.find('script[src]').attr('src');
    const img = doc.find('link[rel="icon"]').attr('href');
    return { css, js, img };
  }

  it('serves fingerprinted files as immutable', async () => {
    const { css, js, img } = await assetsOfHome();
    assert.match(css, /^\/static\/css\/app\.[0-9a-f]{6,}\.css$/);
    for (const [url, type, file] of [[css, /^text\/css/, 'css/app.css'], [js, /javascript/, 'js/app.js'], [img, /^image\/svg\+xml/, null]]) {
      const res = await fetch(shop.url + url);
      const body = await res.text();
      assert.equal(res.status, 200, url);
      assert.match(res.headers.get('content-type') ?? '', type, url);
      const cc = directives(res.headers.get('cache-control'));
      assert.ok(cc.immutable, `${url}: immutable`);
      assert.ok(cc['max-age'] >= 31_536_000, `${url}: a year`);
      if (file) assert.equal(body, readFileSync(join(ROOT, 'public', file), 'utf8'), `${url} is public/${file}`);
    }
  });

  it('serves every file, fingerprinted or at its own path, with nosniff and a sandboxing CSP', async () => {
    const { css, js, img } = await assetsOfHome();
    // The plain paths are answered by the assets binding (public/_headers), the /static/ ones by the
    // Worker. Every file in public/ is reachable at its own path: wrangler.toml sends every path to the
    // Worker first except public/'s folders, so a file outside them would be the Worker's 404.
    const files = readdirSync(join(ROOT, 'public'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== '_headers')
      .map((e) => `/${join(e.parentPath ?? e.path, e.name).slice(join(ROOT, 'public').length + 1)}`);
    assert.ok(files.includes('/css/app.css') && files.length > 10, `public/ walked: ${files.length} files`);
    for (const url of [css, js, img, ...files]) {
      const res = await fetch(shop.url + url);
      await res.arrayBuffer();
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${url}: nosniff`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, `${url}: ${csp}`);
      assert.match(csp, /\bsandbox\b/, `${url}: ${csp}`);
    }
    const rules = await fetch(`${shop.url}/_headers`);
    await rules.arrayBuffer();
    assert.notEqual(rules.status, 200, 'the rules file itself is not served');
  });

  it('answers a wrong or unknown fingerprint with a 404 that is not stored', async () => {
    const { css } = await assetsOfHome();
    const hash = /\.([0-9a-f]+)\.css$/.exec(css)[1];
    const flipped = hash.slice(0, -1) + (hash.at(-1) === '0' ? '1' : '0');
    for (const url of [css.replace(hash, flipped), css.replace(`.${hash}`, ''), '/static/css/nope.0123456789.css', '/static/']) {
      const res = await browser.get(url);
      assert.equal(res.status, 404, url);
      assert.equal(res.headers.get('cache-control'), 'no-store', url);
    }
  });
});

describe('errors', () => {
  it('never lets a cache keep an error', async () => {
    const targets = [
      ['/nope', 404],
      ['/en/p/unknown-product', 404],
      [`/p/${c.drafts[0].slug}`, 404],
      [`/c/${category.slug}?page=0`, 400],
      ['/search?q=%00', 400],
      ['/api/v1/products?sort=nope', 400],
      ['/api/v1/products/unknown-product', 404],
      ['/api/v1/nope', 404],
    ];
    for (const [path, status] of targets) {
      for (let i = 0; i < 2; i += 1) {
        const res = await browser.get(path);
        assert.equal(res.status, status, path);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        assert.notEqual(res.headers.get('x-edge-cache'), 'hit', `${path} is not served from the cache`);
      }
      await sleep(50);
    }
    const post = await shop.request('/api/v1/products', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('cache-control'), 'no-store');
  });
});

describe('EDGE_CACHE=off', () => {
  let plain;
  before(async () => {
    plain = await startShop({ vars: { EDGE_CACHE: 'off' } });
  });
  after(async () => {
    await plain?.stop();
  });

  it('renders every request, with the same headers, validators and sealed slots as a cached page', async () => {
    const path = `/en/p/${product.slug}?variant=${c.variantsOf(product)[1].sku}`;
    const first = await plain.get(path);
    const second = await plain.get(path);
    for (const res of [first, second]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-edge-cache'), 'off', 'never looked up or stored');
      const cc = directives(res.headers.get('cache-control'));
      assert.ok(cc.private && cc['no-cache'], 'HTML stays private, no-cache');
      assert.match(res.headers.get('content-security-policy') ?? '', /'nonce-[0-9a-f]{32}'/);
      assert.ok(!res.text.includes('<%nonce%>') && !res.text.includes('<%csrf%>'), 'slots filled');
      const nonce = /'nonce-([0-9a-f]{32})'/.exec(res.headers.get('content-security-policy'))[1];
      assert.ok(res.text.includes(`nonce="${nonce}"`), 'the page carries the CSP nonce of its response');
    }
    assert.equal(unNonced(second.text).replace(/name="csrf" value="[0-9a-f]+"/g, ''), unNonced(first.text).replace(/name="csrf" value="[0-9a-f]+"/g, ''));
    const cookie = cookiesOf(first).header;
    const again = await plain.get(path, { cookie });
    const revalidated = await plain.get(path, { cookie, 'if-none-match': again.headers.get('etag') });
    assert.equal(revalidated.status, 304, 'a rendered page still answers If-None-Match');
    const api = await plain.get(`/api/v1/products/${product.slug}`);
    assert.equal(api.status, 200);
    assert.equal(api.headers.get('x-edge-cache'), 'off');
    assert.ok(directives(api.headers.get('cache-control')).public, 'JSON keeps its public policy');
  });
});

describe('READ_REPLICATION=on', () => {
  let replicated;
  before(async () => {
    replicated = await startShop({ vars: { READ_REPLICATION: 'on' } });
  });
  after(async () => {
    await replicated?.stop();
  });

  it('renders catalog pages on a D1 session from the bookmark the catalog version carries, and shows each write', async () => {
    const internal = { authorization: `Bearer ${replicated.secrets.internal}` };
    const health = async () => (await replicated.apiJson('/internal/health', internal)).read_replication;
    const before = await health();
    assert.equal(before.enabled, true);
    assert.equal(before.catalog_bookmark, null, 'the seeded version has no bookmark: pages read the primary');
    const p = c.active[2];
    assert.equal((await replicated.getHtml(`/en/p/${p.slug}`)).status, 200, 'a page renders on a first-primary session');

    const word = 'Quillmoor';
    await replicated.sql(`UPDATE products SET name_en = name_en || ' ${word}', updated_at = '2031-01-01T00:00:00Z' WHERE id = ${p.id};`);
    // A catalog write's bump (the recommendations pass bumps as an admin edit does) records the
    // primary's bookmark with the new version.
    const run = await replicated.request('/internal/recommendations', { method: 'POST', headers: internal });
    assert.equal(run.status, 200, run.text);
    const after = await health();
    assert.match(after.catalog_bookmark ?? '', /^[0-9a-f]+(-[0-9a-f]+)+$/, `a D1 bookmark: ${after.catalog_bookmark}`);

    const page = await replicated.getHtml(`/en/p/${p.slug}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('x-edge-cache'), 'miss', 'the new version misses');
    assert.ok(page.doc.find('main h1').text.includes(word), 'the page read from the bookmark shows the write');
    const listing = await replicated.getHtml(`/en/search?q=${word.toLowerCase()}`);
    assert.equal(listing.status, 200);
    assert.ok(listing.doc.find(`article.card[data-product="${p.slug}"]`).text.includes(word), 'search pages read the same session');
  });
});
