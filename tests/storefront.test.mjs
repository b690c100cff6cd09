// Storefront pages against the built Worker: what a shopper and a search engine see, in both languages.
// Expectations come from seed/demo.sql (tests/support/seed.mjs), never from the pages themselves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { squash } from './support/html.mjs';
import { catalog, formatVnd, tokens } from './support/seed.mjs';
import { s, shop, useShop } from './support/setup.mjs';

const c = catalog();
const { withVariant } = c;

useShop();

// --- helpers ---------------------------------------------------------------------------------------

const LOCALES = ['vi', 'en'];
/** The public path of a locale-free path (`/c/x`) in a language. */
const inLocale = (locale, path) => (locale === 'vi' ? path : path === '/' ? '/en/' : `/en${path}`);
const nameIn = (row, locale) => row[`name_${locale}`];

/** GETs a page, asserting it is HTML with the status wanted. */
async function page(path, status = 200) {
  const res = await shop.getHtml(path);
  assert.equal(res.status, status, `${path}: status ${res.status}\n${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
  return res;
}

/** Slugs of the product cards in a listing's results, in order. */
function cardSlugs(doc) {
  return doc.findAll('main article.card[data-product]').map((a) => a.attr('data-product'));
}

const canonical = (doc) => doc.find('link[rel="canonical"]')?.attr('href') ?? null;
const robots = (doc) => doc.find('meta[name="robots"]')?.attr('content') ?? null;
const metaProperty = (doc, property) => doc.find(`meta[property="${property}"]`)?.attr('content') ?? null;
const alternates = (doc) =>
  Object.fromEntries(doc.findAll('link[rel="alternate"][hreflang]').map((l) => [l.attr('hreflang'), l.attr('href')]));

function jsonLd(doc) {
  return doc.findAll('script[type="application/ld+json"]').map((s) => {
    const raw = s.text;
    // Data in a script element must not be able to close it (or open a comment / CDATA).
    assert.doesNotMatch(raw, /[<>]/, 'JSON-LD escapes < and >');
    return { raw, value: JSON.parse(raw) };
  });
}

const topCategories = () =>
  c.categories.filter((x) => x.parent_id === null).sort((a, b) => a.sort_order - b.sort_order || a.id - b.id);

/**
 * The largest top-level category with subcategories that have products of their own, and one such
 * child: the richest listing to filter, sort and page through.
 */
function parentWithChildren() {
  const trees = topCategories()
    .map((parent) => ({ parent, child: c.childrenOf(parent).find((ch) => c.inCategory(ch.slug).length > 0) }))
    .filter((t) => t.child)
    .sort((a, b) => c.inCategory(b.parent.slug).length - c.inCategory(a.parent.slug).length);
  if (trees.length === 0) throw new Error('the seed has no category tree with products under a subcategory');
  return trees[0];
}

/** Active variants of active products, each with its product. */
const allVariants = () => c.active.flatMap((p) => c.variantsOf(p).map((v) => ({ p, v })));

/** The category ancestry of a product, root first. */
function ancestry(categoryId) {
  const chain = [];
  for (let cat = c.categories.find((x) => x.id === categoryId); cat; cat = c.categories.find((x) => x.id === cat.parent_id)) {
    chain.unshift(cat);
  }
  return chain;
}

// --- pages ------------------------------------------------------------------------------------------

describe('pages', () => {
  it('serves the home page in Vietnamese by default, with every top category in the navigation', async () => {
    const { doc, headers } = await page('/');
    assert.equal(doc.find('html').attr('lang'), 'vi');
    assert.equal(canonical(doc), `${shop.url}/`);
    const nav = doc.find('header nav.categories') ?? doc.find('header');
    const links = nav.findAll('a[href^="/c/"]').map((a) => [a.attr('href'), squash(a.text)]);
    for (const cat of topCategories()) {
      assert.ok(links.some(([href, text]) => href === `/c/${cat.slug}` && text === cat.name_vi), `nav links to ${cat.slug}`);
    }
    // Each response has its own CSP nonce: browsers revalidate, shared caches keep nothing.
    assert.equal(headers.get('cache-control'), 'private, no-cache');
  });

  it('shows subcategories under their parent in the menu, and a footer that says how to reach the shop', async () => {
    const { parent, child } = parentWithChildren();
    for (const locale of LOCALES) {
      const { doc } = await page(inLocale(locale, '/'));
      const item = doc.find('header nav.categories .menu').findAll('li.has-sub').find((li) => li.find('a').attr('href') === inLocale(locale, `/c/${parent.slug}`));
      assert.ok(item, `${parent.slug} has a dropdown`);
      assert.ok(item.findAll('.submenu a').some((a) => a.attr('href') === inLocale(locale, `/c/${child.slug}`) && squash(a.text) === nameIn(child, locale)));
      assert.ok(doc.find('header nav.categories details.nav-drawer').findAll('a').some((a) => a.attr('href') === inLocale(locale, `/c/${child.slug}`)), 'the phone drawer has it too');
      const footer = doc.find('footer.site-footer');
      assert.equal(footer.find('a[href^="tel:"]').attr('href'), 'tel:+842838241234');
      assert.equal(squash(footer.find('a[href^="tel:"]').text), '028 3824 1234');
      assert.match(footer.find('a[href^="https://zalo.me/"]').attr('href'), /^https:\/\/zalo\.me\/\d+$/);
      assert.ok(footer.find('a[href^="https://m.me/"]'), 'Messenger');
      assert.match(squash(footer.find('address').text), locale === 'vi' ? /Lê Thánh Tôn/ : /Le Thanh Ton/);
      const returns = footer.find(`a[href="${inLocale(locale, '/pages/returns')}"]`);
      assert.equal(squash(returns.text), locale === 'vi' ? 'Đổi trả trong 30 ngày' : '30-day returns');
      for (const slug of ['shipping', 'privacy', 'terms']) assert.ok(footer.find(`a[href="${inLocale(locale, `/pages/${slug}`)}"]`), slug);
      assert.match(squash(footer.find('.legal').text), /0312345678/);
    }
    // The returns page the footer promises, in both languages; an unknown page is a 404.
    const vi = await page('/pages/returns');
    assert.equal(squash(vi.doc.find('main h1').text), 'Đổi trả trong 30 ngày');
    assert.ok(vi.doc.find('main .info-page ul li'), 'its conditions as a list');
    const en = await page('/en/pages/returns');
    assert.equal(squash(en.doc.find('main h1').text), '30-day returns');
    assert.equal(canonical(en.doc), `${shop.url}/en/pages/returns`);
    await page('/pages/about', 404);
  });

  it('shows the seeded collections on the home page, in their order and in both languages', async () => {
    const collection = (slug) => {
      const col = c.seed.collections.find((x) => x.slug === slug);
      return c.seed.collection_products
        .filter((cp) => cp.collection_id === col.id)
        .sort((a, b) => a.position - b.position)
        .map((cp) => c.productById(cp.product_id))
        .filter((p) => p.status === 'active')
        .map((p) => p.slug);
    };
    for (const locale of LOCALES) {
      const { doc } = await page(inLocale(locale, '/'));
      const section = (id) => doc.find(`section#${id}`).findAll('article.card[data-product]').map((a) => a.attr('data-product'));
      assert.deepEqual(section('new-arrivals'), collection('new-arrivals').slice(0, 8));
      assert.deepEqual(section('best-sellers'), collection('best-sellers').slice(0, 8));
    }
  });

  it('serves the English home page under /en/ with English navigation', async () => {
    const { doc } = await page('/en/');
    assert.equal(doc.find('html').attr('lang'), 'en');
    assert.equal(canonical(doc), `${shop.url}/en/`);
    const links = doc.find('header').findAll('a[href^="/en/c/"]').map((a) => [a.attr('href'), squash(a.text)]);
    for (const cat of topCategories()) {
      assert.ok(links.some(([href, text]) => href === `/en/c/${cat.slug}` && text === cat.name_en), `nav links to ${cat.slug} in English`);
    }
  });

  it('lists a category with the products of its whole subtree, in both languages', async () => {
    const { parent, child } = parentWithChildren();
    const leafTop = topCategories().find((x) => c.childrenOf(x).length === 0 && c.inCategory(x.slug).length > 0);
    assert.ok(leafTop, 'the seed has a top category without subcategories');
    for (const cat of [parent, child, leafTop]) {
      const expected = c.inCategory(cat.slug).map((p) => p.slug).sort();
      for (const locale of LOCALES) {
        const { doc } = await page(`${inLocale(locale, `/c/${cat.slug}`)}?per_page=60`);
        assert.equal(doc.find('html').attr('lang'), locale);
        assert.equal(squash(doc.find('main h1').text), nameIn(cat, locale));
        assert.deepEqual(cardSlugs(doc).sort(), expected, `${locale} /c/${cat.slug}`);
        assert.match(squash(doc.find('main .count')?.text ?? ''), new RegExp(`\\b${expected.length}\\b`));
      }
    }
    // The parent really gathers products filed under the child, not only its own.
    const childProducts = c.inCategory(child.slug);
    assert.ok(childProducts.every((p) => p.category_id !== parent.id));
    const { doc } = await page(`/c/${parent.slug}?per_page=60`);
    for (const p of childProducts) assert.ok(cardSlugs(doc).includes(p.slug), `${parent.slug} lists ${p.slug}`);
    const subLinks = doc.findAll('main a').map((a) => a.attr('href'));
    for (const ch of c.childrenOf(parent)) assert.ok(subLinks.includes(`/c/${ch.slug}`), `links to subcategory ${ch.slug}`);
  });

  it('never lists draft or archived products', async () => {
    const hidden = [...c.drafts, ...c.archived];
    assert.ok(c.drafts.length > 0 && c.archived.length > 0, 'the seed has a draft and an archived product');
    for (const p of hidden) {
      const cat = ancestry(p.category_id)[0];
      const { doc } = await page(`/c/${cat.slug}?per_page=60`);
      assert.ok(!cardSlugs(doc).includes(p.slug), `${p.slug} (${p.status}) is not listed`);
    }
  });

  it('shows a product page with its name, breadcrumbs and SEO title in both languages', async () => {
    const { child } = parentWithChildren();
    const p = c.inCategory(child.slug)[0];
    for (const locale of LOCALES) {
      const { doc } = await page(inLocale(locale, `/p/${p.slug}`));
      assert.equal(doc.find('html').attr('lang'), locale);
      assert.equal(squash(doc.find('main h1').text), nameIn(p, locale));
      const seoTitle = p[`seo_title_${locale}`] || nameIn(p, locale);
      const title = squash(doc.find('title').text);
      assert.ok(title.startsWith(seoTitle), `title ${title} starts with the SEO title`);
      assert.equal(title.split('Vestify').length - 1, 1, `title names the shop once: ${title}`);
      const crumbs = doc.find('nav.breadcrumbs').findAll('li').map((li) => squash(li.text));
      const trail = ancestry(p.category_id).map((cat) => nameIn(cat, locale));
      assert.deepEqual(crumbs.slice(1), [...trail, nameIn(p, locale)]);
      const crumbLinks = doc.find('nav.breadcrumbs').findAll('a').map((a) => a.attr('href'));
      assert.deepEqual(crumbLinks, [inLocale(locale, '/'), ...ancestry(p.category_id).map((cat) => inLocale(locale, `/c/${cat.slug}`))]);
      assert.equal(doc.find('nav.breadcrumbs li[aria-current="page"]')?.text, nameIn(p, locale));
    }
  });

  it('serves robots.txt pointing at the sitemap', async () => {
    const res = await shop.get('/robots.txt');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.match(res.text, /^User-agent: \*$/m);
    const sitemap = /^Sitemap: (\S+)$/m.exec(res.text)?.[1];
    assert.equal(sitemap, `${shop.url}/sitemap.xml`);
    assert.match(res.text, /^Disallow: \/search$/m, 'search results are not for crawlers');
    for (const path of ['/en/cart', '/en/checkout', '/account', '/admin', '/orders', '/pay', '/share/']) assert.match(res.text, new RegExp(`^Disallow: ${path.replaceAll('/', '\\/')}$`, 'm'), path);
  });

  it('serves the shopping feeds: one item per sellable variant with a raster image, in each channel\'s format', async () => {
    // The demo catalog's drawings are SVG, which no channel takes: each product's generated social
    // PNG stands in, and a product photographed as JPEG shows its photo.
    const [product] = await shop.sql("SELECT id, slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
    await shop.sql(`INSERT INTO product_images (id, product_id, url, position) VALUES (990001, ${product.id}, '/media/feed-test.jpg', -1)`);
    await shop.bumpCatalogVersion();
    try {
      const variants = await shop.sql(`SELECT sku, price FROM variants WHERE product_id = ${product.id} AND status = 'active' ORDER BY sku`);
      const sellable = await shop.sql("SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.status = 'active' ORDER BY v.sku");
      const skus = sellable.map((r) => r.sku).sort();
      const google = await shop.get('/feeds/google.xml');
      assert.equal(google.status, 200);
      assert.match(google.headers.get('content-type'), /^application\/xml/);
      assert.match(google.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<rss version="2.0" xmlns:g="http:\/\/base.google.com\/ns\/1.0">/);
      const items = google.text.split('<item>').slice(1);
      assert.deepEqual(items.map((i) => /<g:id>([^<]+)<\/g:id>/.exec(i)[1]).sort(), skus, 'every sellable variant, nothing else');
      for (const item of items) {
        for (const tag of ['item_group_id', 'title', 'description', 'link', 'image_link', 'availability', 'price', 'brand', 'condition', 'size', 'color', 'gender', 'age_group']) {
          assert.match(item, new RegExp(`<g:${tag}>[^<]`), tag);
        }
        assert.match(item, /<g:price>\d+ VND<\/g:price>/);
        assert.match(item, /<g:shipping><g:country>VN<\/g:country><g:service>Standard<\/g:service><g:price>\d+ VND<\/g:price>/);
        assert.match(item, /<g:availability>(in_stock|out_of_stock)<\/g:availability>/);
        const photographed = item.includes(`<g:link>${shop.url}/p/${product.slug}?variant=`);
        const image = /<g:image_link>([^<]+)<\/g:image_link>/.exec(item)[1];
        if (photographed) assert.equal(image, `${shop.url}/media/feed-test.jpg`);
        else assert.match(image, new RegExp(`^${shop.url}/static/img/social/products/[a-z0-9-]+\\.[0-9a-f]+\\.png$`));
      }
      const social = await shop.get(new URL(/<g:image_link>([^<]+\.png)<\/g:image_link>/.exec(google.text)[1]).pathname);
      assert.equal(social.status, 200, 'the generated image is served');
      assert.match(social.headers.get('content-type'), /^image\/png/);
      // The price a shopper pays: the variant's price (the sale price when the page crosses one out).
      for (const v of variants) {
        const item = items.find((i) => i.includes(`<g:id>${v.sku}</g:id>`));
        assert.ok(item.includes('</g:sale_price>') ? item.includes(`<g:sale_price>${v.price} VND<`) : item.includes(`<g:price>${v.price} VND<`), v.sku);
      }
      for (const [path, idColumn] of [['/feeds/meta.csv', 'id'], ['/feeds/tiktok.csv', 'sku_id']]) {
        const res = await shop.get(path);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type'), /^text\/csv/);
        const lines = res.text.trim().split('\r\n');
        assert.equal(lines[0].split(',')[0], idColumn);
        assert.equal(lines.length - 1, skus.length, path);
        assert.ok(lines.slice(1).every((l) => / VND,/.test(l) && /,(in stock|out of stock),/.test(l)), path);
      }
    } finally {
      await shop.sql('DELETE FROM product_images WHERE id = 990001');
      await shop.bumpCatalogVersion();
    }
  });

  it('lists every active product and category in both languages in sitemap.xml, and nothing else', async () => {
    const res = await shop.get('/sitemap.xml');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /xml/);
    const locs = [...res.text.matchAll(/<loc>([^<]*)<\/loc>/g)].map((m) => m[1]);
    const paths = ['/', ...c.categories.map((x) => `/c/${x.slug}`), ...['shipping', 'returns', 'privacy', 'terms'].map((s) => `/pages/${s}`), ...c.active.map((p) => `/p/${p.slug}`)];
    const expected = paths.flatMap((p) => LOCALES.map((l) => `${shop.url}${inLocale(l, p)}`));
    assert.deepEqual([...locs].sort(), [...expected].sort());
    assert.equal(new Set(locs).size, locs.length, 'no URL twice');
    for (const p of [...c.drafts, ...c.archived]) assert.ok(!res.text.includes(`/p/${p.slug}<`), `${p.slug} is absent`);
    // Each URL names both language versions.
    const urls = res.text.split('<url>').slice(1);
    for (const u of urls) {
      assert.match(u, /hreflang="vi"/);
      assert.match(u, /hreflang="en"/);
    }
  });

  it('answers unknown pages with a 404 page in the visitor\'s language', async () => {
    const draft = c.drafts[0].slug;
    const archived = c.archived[0].slug;
    const paths = ['/nope', '/p/unknown-product', '/c/unknown', `/p/${draft}`, `/p/${archived}`, '/c/Gile-Len', '/p/a/b'];
    const titles = {};
    for (const locale of LOCALES) {
      for (const path of paths) {
        const { doc, headers } = await page(inLocale(locale, path), 404);
        assert.equal(doc.find('html').attr('lang'), locale, path);
        assert.equal(headers.get('cache-control'), 'no-store', path);
        assert.match(robots(doc) ?? '', /noindex/, path);
        (titles[locale] ??= new Set()).add(squash(doc.find('main h1').text));
        // Somewhere to go next: the categories, in the same language.
        const hrefs = doc.find('main').findAll('a').map((a) => a.attr('href'));
        for (const cat of topCategories()) assert.ok(hrefs.includes(inLocale(locale, `/c/${cat.slug}`)), `${path} links ${cat.slug}`);
      }
    }
    assert.equal(titles.vi.size, 1);
    assert.equal(titles.en.size, 1);
    assert.notDeepEqual([...titles.vi], [...titles.en], 'the 404 heading is translated');
  });

  it('redirects a trailing slash to the one URL of the page, keeping the query', async () => {
    const cat = topCategories()[0];
    const res = await shop.get(`/c/${cat.slug}/`);
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), `/c/${cat.slug}`);
    const en = await shop.get(`/en/c/${cat.slug}/?size=M&sort=price_asc`);
    assert.equal(en.status, 301);
    assert.equal(en.headers.get('location'), `/en/c/${cat.slug}?size=M&sort=price_asc`);
    const p = c.active[0];
    const product = await shop.get(`/p/${p.slug}/`);
    assert.equal(product.status, 301);
    assert.equal(product.headers.get('location'), `/p/${p.slug}`);
    // A filter form sent without JavaScript: its empty price fields leave the URL.
    const empty = await shop.get(`/en/c/${cat.slug}?size=M&min_price=&max_price=&sort=price_asc`);
    assert.equal(empty.status, 301);
    assert.equal(empty.headers.get('location'), `/en/c/${cat.slug}?size=M&sort=price_asc`);
    assert.equal((await shop.get('/search?q=gile&min_price=')).headers.get('location'), '/search?q=gile');
  });

  it('never redirects to another site', async () => {
    for (const path of ['//evil.example/', '//evil.example//', '///evil.example/x/']) {
      const res = await fetch(shop.url + path, { redirect: 'manual' });
      await res.text();
      const location = res.headers.get('location');
      if (location !== null) {
        assert.ok(location.startsWith('/') && !location.startsWith('//'), `${path} → ${location}`);
        assert.equal(new URL(location, shop.url).origin, shop.url, `${path} stays on the shop`);
      }
      assert.ok(res.status < 500, `${path}: ${res.status}`);
    }
  });

  it('answers a POST to a page with 405 and no-store', async () => {
    const res = await shop.request(`/c/${topCategories()[0].slug}`, { method: 'POST' });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /GET/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });
});

// --- i18n -------------------------------------------------------------------------------------------

describe('i18n', () => {
  it('formats prices as 1.250.000 ₫ in Vietnamese and ₫1,250,000 in English', async () => {
    // A price with at least two thousands separators, so the grouping is really checked.
    const { p, v } = allVariants().find(({ v }) => v.price >= 1_000_000 && v.on_hand > 0);
    for (const locale of LOCALES) {
      const other = locale === 'vi' ? 'en' : 'vi';
      const { doc } = await page(`${inLocale(locale, `/p/${p.slug}`)}?variant=${v.sku}`);
      const shown = squash(doc.find('.variant-price').text);
      assert.ok(shown.includes(formatVnd(v.price, locale)), `${locale}: ${shown} shows ${formatVnd(v.price, locale)}`);
      assert.ok(!shown.includes(formatVnd(v.price, other)), `${locale}: not in the ${other} format`);
      // The same product's card in its category listing.
      const { doc: listing } = await page(`${inLocale(locale, `/c/${c.categories.find((x) => x.id === p.category_id).slug}`)}?per_page=60`);
      const card = listing.find(`article.card[data-product="${p.slug}"]`);
      const cheapest = Math.min(...c.variantsOf(p).map((x) => x.price));
      assert.ok(squash(card.text).includes(formatVnd(cheapest, locale)), `${locale} card shows ${formatVnd(cheapest, locale)}`);
    }
    assert.equal(formatVnd(1250000, 'vi'), '1.250.000 ₫');
    assert.equal(formatVnd(1250000, 'en'), '₫1,250,000');
  });

  it('links every page to its other language, with hreflang alternates and x-default', async () => {
    const cat = parentWithChildren().child;
    const p = c.active[3];
    for (const path of ['/', `/c/${cat.slug}`, `/p/${p.slug}`, '/search?q=gile', `/c/${cat.slug}?size=M`]) {
      const [bare, query = ''] = path.split('?');
      const suffix = query ? `?${query}` : '';
      const vi = `${shop.url}${inLocale('vi', bare)}${suffix}`;
      const en = `${shop.url}${inLocale('en', bare)}${suffix}`;
      for (const locale of LOCALES) {
        const { doc } = await page(`${inLocale(locale, bare)}${suffix}`);
        assert.deepEqual(alternates(doc), { vi, en, 'x-default': vi }, `${locale} ${path}`);
        const other = locale === 'vi' ? 'en' : 'vi';
        const switcher = doc.find(`header a[hreflang="${other}"]`);
        assert.ok(switcher, `${locale} ${path} has a language switcher`);
        assert.equal(switcher.attr('href'), `${inLocale(other, bare)}${suffix}`);
        const target = await page(switcher.attr('href'));
        assert.equal(target.doc.find('html').attr('lang'), other);
      }
    }
  });

  it('gives catalog pages an absolute canonical URL in their own language', async () => {
    const cat = topCategories()[1];
    const p = c.active[5];
    const v = c.variantsOf(p).at(-1);
    const cases = [
      ['/', '/'],
      ['/en/', '/en/'],
      [`/c/${cat.slug}`, `/c/${cat.slug}`],
      [`/en/c/${cat.slug}`, `/en/c/${cat.slug}`],
      [`/p/${p.slug}?variant=${v.sku}`, `/p/${p.slug}`],
      [`/en/p/${p.slug}?variant=${v.sku}&utm_source=x`, `/en/p/${p.slug}`],
    ];
    for (const [path, want] of cases) {
      const { doc } = await page(path);
      assert.equal(canonical(doc), `${shop.url}${want}`, path);
      assert.equal(metaProperty(doc, 'og:url'), `${shop.url}${want}`, `og:url of ${path}`);
    }
  });
});

// --- listing ----------------------------------------------------------------------------------------

/** The filter form's action. */
const doc0Action = (doc) => doc.find('form.filters').attr('action');

describe('listing pages', () => {
  const { parent } = parentWithChildren();
  const base = `/c/${parent.slug}`;
  const scope = () => c.inCategory(parent.slug);

  it('marks filtered and re-sorted views noindex, with a canonical to the plain category', async () => {
    const plain = await page(base);
    assert.equal(robots(plain.doc), null, 'the plain category is indexable');
    assert.equal(canonical(plain.doc), `${shop.url}${base}`);
    for (const query of ['size=M', 'color=black', 'min_price=100000', 'max_price=900000', 'in_stock=1', 'sort=price_asc', 'per_page=5', 'size=M&color=black&sort=best_selling']) {
      for (const locale of LOCALES) {
        const { doc } = await page(`${inLocale(locale, base)}?${query}`);
        assert.match(robots(doc) ?? '', /noindex/, `${locale} ?${query}`);
        assert.equal(canonical(doc), `${shop.url}${inLocale(locale, base)}`, `${locale} ?${query}`);
      }
    }
  });

  it('keeps every selected filter in the form, the pagination and the language switcher', async () => {
    const products = scope();
    const prices = products.flatMap((p) => c.variantsOf(p).map((v) => v.price)).sort((a, b) => a - b);
    const [min, max] = [prices[0], prices.at(-1)];
    // The colour with the most matches, so there is a second page of one product each.
    const matching = (code) => withVariant(products, (v) => ['M', 'L'].includes(v.size) && v.color === code && c.available(v) > 0).length;
    const color = c.colors.map((x) => x.code).sort((a, b) => matching(b) - matching(a))[0];
    assert.ok(matching(color) >= 2, 'the filters match at least two products');
    const query = `size=M&size=L&color=${color}&in_stock=1&min_price=${min}&max_price=${max}&sort=price_desc&per_page=1`;
    const { doc } = await page(`${base}?${query}`);
    const form = doc.find('form.filters');
    assert.ok(form.find('input[name="size"][value="M"][checked]'));
    assert.ok(form.find('input[name="size"][value="L"][checked]'));
    assert.ok(!form.find('input[name="size"][value="XL"][checked]'), 'an unselected size is not checked');
    assert.ok(form.find(`input[name="color"][value="${color}"][checked]`));
    assert.ok(form.find('input[name="in_stock"][checked]'));
    assert.equal(form.find('input[name="min_price"]').attr('value'), String(min));
    assert.equal(form.find('input[name="max_price"]').attr('value'), String(max));
    assert.equal(form.find('select[name="sort"] option[selected]').attr('value'), 'price_desc');
    assert.equal(form.find('input[name="per_page"]').attr('value'), '1');

    const next = doc.find('nav.pagination a[rel="next"]');
    assert.ok(next, 'a second page exists');
    const nextUrl = new URL(next.attr('href'), shop.url);
    assert.equal(nextUrl.pathname, base);
    assert.deepEqual(nextUrl.searchParams.getAll('size'), ['M', 'L']);
    for (const [k, v] of [['color', color], ['in_stock', '1'], ['min_price', String(min)], ['max_price', String(max)], ['sort', 'price_desc'], ['per_page', '1'], ['page', '2']]) {
      assert.equal(nextUrl.searchParams.get(k), v, `next page keeps ${k}`);
    }
    const second = await page(next.attr('href'));
    assert.equal(cardSlugs(second.doc).length, 1);
    assert.notDeepEqual(cardSlugs(second.doc), cardSlugs(doc), 'page 2 shows another product');

    const switcher = new URL(doc.find('header a[hreflang="en"]').attr('href'), shop.url);
    assert.equal(switcher.pathname, `/en${base}`);
    assert.deepEqual(switcher.searchParams.getAll('size'), ['M', 'L']);
    assert.equal(switcher.searchParams.get('color'), color);
  });

  it('answers the filter sheet\'s count with the listing\'s own total, and refuses bad filters as the page does', async () => {
    for (const query of ['', 'size=M', 'size=M&color=black', 'in_stock=1&min_price=&max_price=', 'color=navy&sort=price_asc']) {
      const res = await shop.get(`${base}/count?${query}`);
      assert.equal(res.status, 200, query);
      assert.match(res.headers.get('content-type'), /^application\/json/);
      const { total } = JSON.parse(res.text);
      const { doc } = await page(`${base}?${query.replace(/&?(min|max)_price=(?=&|$)/g, '')}`);
      assert.equal(total, Number(/\d+/.exec(doc.find('p.count').text)[0]), `?${query}`);
      assert.equal(doc.find('form.filters button[data-apply]').text.trim(), `Áp dụng (${total} sản phẩm)`);
    }
    assert.equal(doc0Action((await page(base)).doc), `${base}#results`, 'one submit lands on the results');
    assert.equal((await shop.get(`${base}/count?min_price=abc`)).status, 400);
    const search = JSON.parse((await shop.get('/search/count?q=gile&size=M')).text);
    assert.ok(search.total > 0);
  });

  it('counts each facet value as the seed says, leaving out the facet\'s own filter', async () => {
    const products = scope();
    const color = 'black';
    const { doc } = await page(`${base}?size=M&color=${color}`);
    const counts = (facet) =>
      Object.fromEntries(
        doc.findAll(`[data-facet="${facet}"] label`).map((l) => [l.find('input').attr('value'), Number(/\((\d+)\)/.exec(l.find('.facet-count').text)[1])]),
      );
    // Sizes: products with a variant of that size in the selected colour (the size filter left out).
    const sizes = Object.fromEntries(
      c.sizes.map((s) => [s.code, withVariant(products, (v) => v.size === s.code && v.color === color).length]).filter(([, n]) => n > 0),
    );
    assert.deepEqual(counts('size'), sizes);
    const colors = Object.fromEntries(
      c.colors.map((x) => [x.code, withVariant(products, (v) => v.color === x.code && v.size === 'M').length]).filter(([, n]) => n > 0),
    );
    assert.deepEqual(counts('color'), colors);
    const total = withVariant(products, (v) => v.size === 'M' && v.color === color).length;
    assert.ok(total > 0);
    assert.equal(cardSlugs(doc).length, total);
  });

  it('filters by size, colour, price and stock as the seed says', async () => {
    const products = scope();
    const prices = [...new Set(products.map((p) => Math.min(...c.variantsOf(p).map((v) => v.price))))].sort((a, b) => a - b);
    const mid = prices[Math.floor(prices.length / 2)];
    const rareSize = c.sizes.map((s) => s.code).find((s) => {
      const n = withVariant(products, (v) => v.size === s).length;
      return n > 0 && n < products.length;
    });
    const rareColor = c.colors.map((x) => x.code).find((code) => {
      const n = withVariant(products, (v) => v.color === code).length;
      return n > 0 && n < products.length;
    });
    const cases = [
      [`size=${rareSize}`, (v) => v.size === rareSize],
      [`color=${rareColor}`, (v) => v.color === rareColor],
      [`min_price=${mid}`, (v) => v.price >= mid],
      [`max_price=${mid}`, (v) => v.price <= mid],
      ['in_stock=1', (v) => c.available(v) > 0],
      [`size=${rareSize}&in_stock=1`, (v) => v.size === rareSize && c.available(v) > 0],
    ];
    for (const [query, pred] of cases) {
      const expected = withVariant(products, pred).map((p) => p.slug).sort();
      assert.ok(expected.length > 0 && expected.length < products.length, `${query} is a real filter`);
      const { doc } = await page(`${base}?${query}&per_page=60`);
      assert.deepEqual(cardSlugs(doc).sort(), expected, query);
    }
  });

  it('sorts cards by price in the page itself', async () => {
    const products = scope();
    const priceOf = (slug) => Math.min(...c.variantsOf(products.find((p) => p.slug === slug)).map((v) => v.price));
    for (const [sort, cmp] of [['price_asc', (a, b) => a - b], ['price_desc', (a, b) => b - a]]) {
      const { doc } = await page(`${base}?sort=${sort}&per_page=60`);
      const slugs = cardSlugs(doc);
      assert.equal(slugs.length, products.length);
      const shown = slugs.map(priceOf);
      assert.deepEqual(shown, [...shown].sort(cmp), sort);
      assert.ok(new Set(shown).size > 1, 'the category has different prices');
    }
  });

  it('shows an out-of-stock product with its badge and keeps it out of in-stock listings', async () => {
    const p = c.active.find((x) => c.variantsOf(x).every((v) => c.available(v) === 0));
    assert.ok(p, 'the seed has a product with no stock at all');
    const cat = c.categories.find((x) => x.id === p.category_id);
    for (const [locale, text] of [['vi', 'Hết hàng'], ['en', 'Out of stock']]) {
      const { doc } = await page(`${inLocale(locale, `/c/${cat.slug}`)}?per_page=60`);
      const card = doc.find(`article.card[data-product="${p.slug}"]`);
      assert.ok(card, `${p.slug} is listed`);
      assert.equal(squash(card.find('.stock')?.text ?? ''), text);
      const { doc: inStock } = await page(`${inLocale(locale, `/c/${cat.slug}`)}?per_page=60&in_stock=1`);
      assert.ok(!cardSlugs(inStock).includes(p.slug));
    }
  });
});

// --- product page -----------------------------------------------------------------------------------

describe('product page', () => {
  /** A product with several colours and sizes, so the picker has something to choose. */
  const rich = () => c.active.find((p) => new Set(c.variantsOf(p).map((v) => v.color)).size > 1 && new Set(c.variantsOf(p).map((v) => v.size)).size > 2);

  it('selects the variant named in ?variant=SKU through the picker links', async () => {
    const p = rich();
    const { doc } = await page(`/p/${p.slug}`);
    const links = doc.findAll('fieldset.picker a[href*="?variant="]');
    assert.ok(links.length >= 3, 'the picker links variants');
    const skus = new Set();
    for (const link of links) {
      const href = link.attr('href');
      const sku = new URL(href, shop.url).searchParams.get('variant');
      const v = c.variantsOf(p).find((x) => x.sku === sku);
      assert.ok(v, `${href} names a variant of ${p.slug}`);
      if (skus.has(sku)) continue;
      skus.add(sku);
      const chosen = await page(href);
      assert.equal(chosen.doc.find('article.product').attr('data-sku'), sku);
      assert.equal(chosen.doc.find('.variant-price').attr('data-price'), String(v.price));
      const form = chosen.doc.find('form.add-to-cart');
      assert.equal(form.attr('method'), 'post');
      assert.equal(form.attr('action'), '/cart/items');
      assert.equal(form.find('input[name="variant_id"]').attr('value'), String(v.id));
      // The picker marks the chosen colour and size.
      assert.equal(chosen.doc.find('fieldset[data-picker="color"] a[aria-current]')?.attr('data-color'), v.color);
      assert.equal(chosen.doc.find('fieldset[data-picker="size"] a[aria-current]')?.attr('data-size'), v.size);
    }
    // Every colour of the product is offered.
    const colors = doc.findAll('fieldset[data-picker="color"] a[data-color]').map((a) => a.attr('data-color'));
    assert.deepEqual(new Set(colors), new Set(c.variantsOf(p).map((v) => v.color)));
    // English pages post to the English cart path.
    const v = c.variantsOf(p)[1];
    const en = await page(`/en/p/${p.slug}?variant=${v.sku}`);
    assert.equal(en.doc.find('form.add-to-cart').attr('action'), '/en/cart/items');
    assert.equal(en.doc.find('form.add-to-cart input[name="variant_id"]').attr('value'), String(v.id));
  });

  it('keeps a listing\'s colour and size filter on the way to the product', async () => {
    const cat = topCategories()[0];
    const counts = {};
    for (const p of c.inCategory(cat.slug)) for (const v of c.variantsOf(p)) if (v.size === 'M') counts[v.color] = (counts[v.color] ?? 0) + 1;
    const color = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
    const { doc } = await page(`/c/${cat.slug}?color=${color}&size=M`);
    const links = doc.findAll('main article.card[data-product]').map((card) => card.find('a').attr('href'));
    assert.ok(links.length > 0);
    for (const href of links.slice(0, 3)) {
      const sku = new URL(href, shop.url).searchParams.get('variant');
      assert.ok(sku, `${href} names the variant shown`);
      const product = await page(href);
      assert.equal(product.doc.find('fieldset[data-picker="color"] a[aria-current]')?.attr('data-color'), color, href);
      assert.equal(product.doc.find('fieldset[data-picker="size"] a[aria-current]')?.attr('data-size'), 'M', href);
    }
    // Unfiltered, a card links to the product itself.
    const plain = (await page(`/c/${cat.slug}`)).doc.findAll('main article.card[data-product]').map((card) => card.find('a').attr('href'));
    assert.ok(plain.every((href) => !href.includes('?')), plain.join(' '));
  });

  it('shows stock per variant: a low-stock count, out of stock, or in stock', async () => {
    const low = allVariants().find(({ v }) => c.available(v) >= 1 && c.available(v) <= 3);
    const out = allVariants().find(({ p, v }) => c.available(v) === 0 && c.variantsOf(p).some((x) => c.available(x) > 3));
    const plenty = allVariants().find(({ v }) => c.available(v) > 10);
    assert.ok(low && out && plenty, 'the seed has every stock level');
    const badge = async (locale, { p, v }) => {
      const { doc } = await page(`${inLocale(locale, `/p/${p.slug}`)}?variant=${encodeURIComponent(v.sku)}`);
      assert.equal(doc.find('article.product').attr('data-sku'), v.sku);
      return { doc, text: squash(doc.find('section.buy .stock')?.text ?? ''), button: doc.find('form.add-to-cart button[type="submit"]') };
    };
    const n = c.available(low.v);
    assert.equal((await badge('vi', low)).text, `Chỉ còn ${n} chiếc`);
    assert.equal((await badge('en', low)).text, `Only ${n} left`);
    for (const [locale, text] of [['vi', 'Hết hàng'], ['en', 'Out of stock']]) {
      const got = await badge(locale, out);
      assert.equal(got.text, text);
      assert.ok('disabled' in got.button.attrs, 'an out-of-stock variant cannot be added');
      // Its size link in the picker says so too.
      const sizeLink = got.doc.find(`fieldset[data-picker="size"] a[data-size="${out.v.size}"]`);
      assert.equal(sizeLink.attr('data-stock'), 'out');
    }
    const ok = await badge('vi', plenty);
    assert.doesNotMatch(ok.text, /Chỉ còn|Hết hàng/);
    assert.ok(!('disabled' in ok.button.attrs));
    assert.equal(ok.doc.find('section.buy .stock')?.attr('data-stock'), 'in');
  });

  it('strikes through the compare-at price of a sale variant', async () => {
    const sale = allVariants().find(({ v }) => v.compare_at_price !== null);
    const full = allVariants().find(({ v }) => v.compare_at_price === null);
    for (const locale of LOCALES) {
      const { doc } = await page(`${inLocale(locale, `/p/${sale.p.slug}`)}?variant=${sale.v.sku}`);
      const price = doc.find('.variant-price');
      const was = price.find('s');
      assert.ok(was, 'the old price is in <s>');
      assert.ok(squash(was.text).includes(formatVnd(sale.v.compare_at_price, locale)));
      const now = squash(price.text.replace(was.text, ''));
      assert.ok(now.includes(formatVnd(sale.v.price, locale)), `${now} shows the sale price`);
      const pct = Math.floor(((sale.v.compare_at_price - sale.v.price) * 100) / sale.v.compare_at_price);
      assert.ok(now.includes(`${pct}%`), `${now} shows −${pct}%`);
    }
    const { doc } = await page(`/p/${full.p.slug}?variant=${full.v.sku}`);
    assert.equal(doc.find('.variant-price s'), null, 'a full-price variant has no struck-through price');
  });

  it('describes the product in JSON-LD as a group with one variant and offer per variant', async () => {
    // A product filed under a category whose name has "&": JSON-LD must escape it and still parse.
    const amp = c.categories.find((x) => x.name_vi.includes('&'));
    const p = (amp && c.active.find((x) => ancestry(x.category_id).some((a) => a.id === amp.id))) ?? rich();
    for (const locale of LOCALES) {
      const selected = c.variantsOf(p).at(-1);
      const { doc } = await page(`${inLocale(locale, `/p/${p.slug}`)}?variant=${selected.sku}`);
      const docs = jsonLd(doc);
      const product = docs.find((d) => d.value['@type'] === 'ProductGroup')?.value;
      assert.ok(product, 'a ProductGroup document');
      assert.equal(product['@context'], 'https://schema.org');
      assert.equal(product.name, nameIn(p, locale));
      assert.equal(product.brand?.name, p.brand);
      assert.ok(Array.isArray(product.image) && product.image.length > 0 && product.image.every((u) => u.startsWith(shop.url)));
      const variants = c.variantsOf(p);
      assert.equal(product.hasVariant.length, variants.length);
      for (const v of variants) {
        const variant = product.hasVariant.find((o) => o.sku === v.sku);
        assert.ok(variant, `a variant ${v.sku}`);
        assert.equal(variant.size, v.size);
        const offer = variant.offers;
        assert.equal(Number(offer.price), v.price);
        assert.equal(offer.priceCurrency, 'VND');
        assert.equal(offer.availability, c.available(v) > 0 ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock');
        assert.equal(new URL(offer.url).searchParams.get('variant'), v.sku);
        assert.equal(offer.shippingDetails.shippingDestination.addressCountry, 'VN');
        assert.equal(offer.hasMerchantReturnPolicy.applicableCountry, 'VN');
      }
      const crumbs = docs.find((d) => d.value['@type'] === 'BreadcrumbList')?.value;
      assert.ok(crumbs, 'a BreadcrumbList document');
      const names = crumbs.itemListElement.map((i) => i.name);
      assert.deepEqual(names.slice(1), [...ancestry(p.category_id).map((cat) => nameIn(cat, locale)), nameIn(p, locale)]);
      assert.deepEqual(crumbs.itemListElement.map((i) => i.position), names.map((_, i) => i + 1));
      if (amp) assert.ok(docs.every((d) => !d.raw.includes('&')), 'JSON-LD escapes &');
    }
  });

  it('has OpenGraph tags for sharing', async () => {
    const p = rich();
    for (const locale of LOCALES) {
      const { doc } = await page(inLocale(locale, `/p/${p.slug}`));
      assert.equal(metaProperty(doc, 'og:type'), 'product');
      assert.equal(metaProperty(doc, 'og:title'), p[`seo_title_${locale}`] || nameIn(p, locale));
      assert.equal(metaProperty(doc, 'og:url'), `${shop.url}${inLocale(locale, `/p/${p.slug}`)}`);
      assert.equal(metaProperty(doc, 'og:locale'), locale === 'vi' ? 'vi_VN' : 'en_US');
      assert.ok((metaProperty(doc, 'og:description') ?? '').length > 0);
      const shown = c.variantsOf(p).find((v) => v.sku === doc.find('article.product').attr('data-sku'));
      assert.equal(metaProperty(doc, 'product:price:amount'), String(shown.price));
      assert.equal(metaProperty(doc, 'product:price:currency'), 'VND');
      assert.equal(metaProperty(doc, 'product:availability'), shown.on_hand > 0 ? 'in stock' : 'out of stock');
      assert.equal(metaProperty(doc, 'product:retailer_item_id'), shown.sku);
      assert.equal(metaName(doc, 'twitter:card'), 'summary_large_image');
      assert.equal(metaProperty(doc, 'og:image:alt'), nameIn(p, locale));
      await assertSocialImage(doc, `/p/${p.slug}`);
    }
  });

  it('shares through counted plain links with UTM parameters, each share counted by channel in the analytics', async () => {
    const p = rich();
    const { doc } = await page(`/p/${p.slug}`);
    const bar = doc.find('section.share');
    assert.ok(bar, 'a share bar');
    const hrefs = Object.fromEntries(bar.findAll('a[data-share-channel]').map((a) => [a.attr('data-share-channel'), a.attr('href')]));
    assert.deepEqual(Object.keys(hrefs), ['facebook', 'messenger', 'zalo', 'x', 'pinterest']);
    for (const a of bar.findAll('a[data-share-channel]')) assert.match(a.attr('rel'), /nofollow/);
    assert.ok(bar.find('button[data-share-channel="copy"]') && bar.find('button[data-share-channel="native"]'));
    const shares = async () => {
      const res = await s.internal('GET', '/internal/analytics?days=1');
      assert.equal(res.status, 200, res.text);
      return Object.fromEntries(res.json.shares.map((r) => [r.channel, r.shares]));
    };
    const before = await shares();
    /** Follows one share link: the network's page it leads to, and the shop URL it shares. */
    const follow = async (channel, param) => {
      const res = await shop.get(hrefs[channel]);
      assert.equal(res.status, 303, `${channel}: ${res.status}`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const target = new URL(res.headers.get('location'));
      const shared = new URL(target.searchParams.get(param));
      assert.equal(`${shared.origin}${shared.pathname}`, `${shop.url}/p/${p.slug}`, channel);
      assert.equal(shared.searchParams.get('utm_source'), channel);
      assert.equal(shared.searchParams.get('utm_medium'), 'share');
      return { target, shared };
    };
    const fb = await follow('facebook', 'u');
    assert.equal(`${fb.target.origin}${fb.target.pathname}`, 'https://www.facebook.com/sharer/sharer.php');
    assert.equal((await follow('x', 'url')).target.origin, 'https://x.com');
    const pin = await follow('pinterest', 'url');
    assert.equal(pin.target.searchParams.get('media'), metaProperty(doc, 'og:image'), 'Pinterest pins the social image');
    assert.equal((await follow('messenger', 'link')).target.protocol, 'fb-messenger:');
    // The shared URL lands on the product page (tracking parameters neither change nor split it).
    const landed = await page(`${fb.shared.pathname}${fb.shared.search}`);
    assert.equal(landed.doc.find('article.product').attr('data-sku'), doc.find('article.product').attr('data-sku'));
    // The copy-link button's count (the script fetches it): no redirect.
    assert.equal((await shop.get(bar.find('button[data-share-channel="copy"]').attr('data-count'))).status, 204);
    // Nothing is counted for an unknown channel or product, or a write.
    assert.equal((await shop.get(`/share/myspace/${p.slug}`)).status, 404);
    assert.equal((await shop.get('/share/facebook/no-such-vest')).status, 404);
    assert.equal((await shop.request(hrefs.facebook, { method: 'POST' })).status, 405);
    const after = await shares();
    for (const [channel, n] of Object.entries({ facebook: 1, x: 1, pinterest: 1, messenger: 1, copy: 1 })) {
      assert.equal((after[channel] ?? 0) - (before[channel] ?? 0), n, channel);
    }
    assert.equal(after.myspace, undefined);
  });

  it('gives the home page and every category a raster social image of its own', async () => {
    const home = (await page('/')).doc;
    assert.match(await assertSocialImage(home, '/'), /\/static\/img\/social\/home\.[0-9a-f]+\.png$/);
    const seen = new Set();
    for (const cat of c.categories) {
      const { doc } = await page(`/en/c/${cat.slug}`);
      const image = await assertSocialImage(doc, `/en/c/${cat.slug}`);
      assert.match(image, new RegExp(`/static/img/social/categories/${cat.slug}\\.[0-9a-f]+\\.png$`));
      assert.equal(metaProperty(doc, 'og:image:alt'), cat.name_en);
      seen.add(image);
    }
    assert.equal(seen.size, c.categories.length, 'one image per category');
  });
});

const metaName = (doc, name) => doc.find(`meta[name="${name}"]`)?.attr('content') ?? null;

/**
 * The page's og:image is an absolute URL that serves a 1200×630 PNG or JPEG (what the tags declare),
 * which Facebook, Zalo and X display; returns the URL.
 */
async function assertSocialImage(doc, path) {
  const image = metaProperty(doc, 'og:image');
  assert.ok(image?.startsWith(`${shop.url}/`), `${path}: og:image is absolute: ${image}`);
  assert.equal(metaProperty(doc, 'og:image:width'), '1200', path);
  assert.equal(metaProperty(doc, 'og:image:height'), '630', path);
  assert.ok((metaProperty(doc, 'og:image:alt') ?? '').length > 0, `${path}: og:image:alt`);
  assert.equal(metaName(doc, 'twitter:image'), image, path);
  const res = await fetch(image);
  assert.equal(res.status, 200, `og:image ${image} loads`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type');
  assert.equal(metaProperty(doc, 'og:image:type'), type, path);
  assert.deepEqual(imageSize(bytes, type), { width: 1200, height: 630 }, `${path}: ${image} is 1200×630`);
  return image;
}

/** Width and height from a PNG's IHDR or a JPEG's start-of-frame marker. */
function imageSize(b, type) {
  if (type === 'image/png') {
    assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  assert.equal(type, 'image/jpeg');
  assert.equal(b.readUInt16BE(0), 0xffd8, 'JPEG signature');
  for (let i = 2; i + 9 < b.length; ) {
    const marker = b.readUInt16BE(i);
    if (marker >= 0xffc0 && marker <= 0xffcf && ![0xffc4, 0xffc8, 0xffcc].includes(marker)) {
      return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}

// --- search -----------------------------------------------------------------------------------------

describe('search', () => {
  /** Runs a search page; returns the result slugs in order (all on one page) and the document. */
  async function search(q, locale = 'vi') {
    const res = await page(`${inLocale(locale, '/search')}?q=${encodeURIComponent(q)}&per_page=60`);
    return { slugs: cardSlugs(res.doc), doc: res.doc };
  }

  const colorWord = (word) => c.colors.filter((x) => tokens(x.name_vi).includes(word)).map((x) => x.code);

  it('finds every accented form of a word typed without marks, and a word typed with marks as written', async () => {
    const pairs = [
      ['ao vest', 'áo vest'],
      ['do', 'đỏ'],
      ['den', 'đen'],
      ['den', 'Đen'],
      ['den', 'ĐEN'],
      ['phao nu', 'Phao Nữ'],
    ];
    for (const [plain, marked] of pairs) {
      const a = await search(plain);
      const b = await search(marked);
      assert.ok(a.slugs.length > 0 && b.slugs.length > 0, `${plain} and ${marked} find something`);
      for (const slug of b.slugs) assert.ok(a.slugs.includes(slug), `${plain} finds whatever ${marked} finds (${slug})`);
      assert.deepEqual([...a.slugs].sort(), c.searchModel(plain).slugs, `${plain} finds what the seed says`);
      assert.deepEqual([...b.slugs].sort(), c.searchModel(marked).slugs, `${marked} finds what the seed says`);
    }
    // "cưới" (wedding) and "cuối" (end, weekend) fold alike: typed with marks, each finds its own.
    const wedding = await search('vest cưới');
    assert.ok(wedding.slugs.includes('gile-cuoi-hai-hang-cuc') && !wedding.slugs.includes('gile-tui-hop-da-ngoai'), wedding.slugs.join(' '));
    assert.deepEqual([...wedding.slugs].sort(), c.searchModel('vest cưới').slugs);
    // Marks that match nothing as typed fall back to the folded words.
    const wrongMark = await search('gilé');
    assert.deepEqual([...wrongMark.slugs].sort(), c.searchModel('gile').slugs);
  });

  it('knows vest, gile, gilê, gilet and ghi lê are one thing, stems English plurals and forgives one wrong letter', async () => {
    const gile = c.searchModel('gile').slugs;
    for (const q of ['gilet', 'ghi lê', 'vest', 'waistcoat', 'vests']) {
      const { slugs } = await search(q);
      assert.deepEqual([...slugs].sort(), gile, `${q} finds what gile finds`);
    }
    const puffer = await search('puffer vest');
    assert.ok(puffer.slugs.includes('ao-gile-phao-long-vu-sieu-nhe'), 'the ultralight down vest is a puffer vest');
    assert.deepEqual([...puffer.slugs].sort(), c.searchModel('puffer vest').slugs);
    for (const typo of ['ultralihgt', 'utralight']) {
      const { slugs } = await search(typo);
      assert.deepEqual(slugs, ['ao-gile-phao-long-vu-sieu-nhe'], typo);
    }
    assert.deepEqual((await search('ultrxxight')).slugs, [], 'two wrong letters are too many');
  });

  it('finds products by colour name with or without marks: do/đỏ, den/đen', async () => {
    for (const [plain, marked] of [['do', 'đỏ'], ['den', 'đen']]) {
      const codes = colorWord(plain);
      assert.ok(codes.length > 0, `a colour is named ${marked}`);
      const expected = withVariant(c.active, (v) => codes.includes(v.color)).map((p) => p.slug);
      assert.ok(expected.length > 0);
      for (const q of [plain, marked]) {
        const { slugs } = await search(q);
        for (const slug of expected) assert.ok(slugs.includes(slug), `${q} finds ${slug}`);
      }
    }
  });

  it('matches the last word as a prefix while typing', async () => {
    for (const [typed, word] of [['gil', 'gile'], ['pha', 'phao']]) {
      const named = c.active.filter((p) => c.searchColumns(p).name.includes(word));
      assert.ok(named.length > 0, `some product names contain ${word}`);
      const { slugs } = await search(typed);
      for (const p of named) assert.ok(slugs.includes(p.slug), `${typed} finds ${p.slug}`);
      assert.deepEqual([...slugs].sort(), c.searchModel(typed).slugs, typed);
    }
    // Only the last word is a prefix: "áo gi" needs the word "áo" and a word starting with "gi".
    const { slugs } = await search('áo gi');
    const expected = c.active.filter((p) => {
      const words = Object.values(c.searchColumns(p)).flat();
      return words.includes('ao') && words.some((w) => w.startsWith('gi'));
    });
    assert.ok(expected.length > 0 && expected.length < c.active.length);
    assert.deepEqual([...slugs].sort(), expected.map((p) => p.slug).sort());
  });

  it('finds a product by its full SKU, first and alone', async () => {
    const all = allVariants();
    for (const { p, v } of [all[0], all[Math.floor(all.length / 2)], all.at(-1)]) {
      for (const q of [v.sku, v.sku.toLowerCase()]) {
        const { slugs } = await search(q);
        assert.equal(slugs[0], p.slug, `${q} finds ${p.slug} first`);
        assert.deepEqual([...slugs].sort(), c.searchModel(q).slugs, q);
      }
    }
  });

  it('finds products by English words', async () => {
    for (const word of ['puffer', 'denim']) {
      const named = c.active.filter((p) => tokens(p.name_en).includes(word));
      assert.ok(named.length > 0, `some English names contain ${word}`);
      for (const locale of LOCALES) {
        const { slugs } = await search(word, locale);
        for (const p of named) assert.ok(slugs.includes(p.slug), `${word} finds ${p.slug}`);
        assert.deepEqual([...slugs].sort(), c.searchModel(word).slugs, word);
      }
    }
  });

  it('ranks a product with the word in its name above one with it only elsewhere', async () => {
    // Every word that names some products and appears only in the text of others: a real test case.
    const words = [...new Set(c.active.flatMap((p) => c.searchColumns(p).name))].filter((w) => w.length >= 3 && !/^\d+$/.test(w)).sort();
    let cases = 0;
    for (const word of words) {
      const inName = c.active.filter((p) => c.searchColumns(p).name.includes(word));
      const elsewhere = c.active.filter((p) => !inName.includes(p) && Object.values(c.searchColumns(p)).flat().includes(word));
      if (inName.length === 0 || elsewhere.length === 0) continue;
      // Words the search widens (a synonym, an English plural) rank by their other forms too.
      if (c.widens(word)) continue;
      cases += 1;
      const { slugs } = await search(word);
      // The last word is a prefix, so "name hit" means a name word starting with it.
      const nameHit = slugs.map((s) => c.searchColumns(c.active.find((p) => p.slug === s)).name.some((w) => w.startsWith(word)));
      const firstOther = nameHit.indexOf(false);
      assert.ok(firstOther !== -1 && firstOther > 0, `${word}: both kinds of result`);
      assert.ok(nameHit.slice(firstOther).every((hit) => !hit), `${word}: name matches first, got ${nameHit.map((h) => (h ? 'N' : '.')).join('')}`);
    }
    assert.ok(cases >= 3, `only ${cases} ranking cases in the seed`);
  });

  it('shows a helpful empty state with category links when nothing matches', async () => {
    for (const locale of LOCALES) {
      const { slugs, doc } = await search('xyzxyz', locale);
      assert.equal(slugs.length, 0);
      const empty = doc.find('main .empty-state');
      assert.ok(empty, 'an empty state');
      assert.ok(squash(empty.text).includes('xyzxyz'), 'it repeats the query');
      assert.ok(squash(empty.find('p').text).length > 20, 'it suggests what to do');
      const links = empty.findAll('a').map((a) => a.attr('href'));
      assert.deepEqual(links, topCategories().map((x) => inLocale(locale, `/c/${x.slug}`)));
    }
  });

  it('falls back to any word, and says so, when no product matches every word', async () => {
    const model = c.searchModel('phao xyzxyz');
    assert.ok(model.partial && model.slugs.length > 0);
    const { slugs, doc } = await search('phao xyzxyz');
    assert.deepEqual([...slugs].sort(), model.slugs);
    assert.ok(doc.find('main .notice'), 'a notice explains the partial match');
    const full = await search('phao');
    assert.equal(full.doc.find('main .notice'), null, 'no notice when every word matched');
  });

  it('treats FTS syntax as plain text, never failing', async () => {
    const queries = ['"', '*', 'OR', 'NEAR(', '-', 'gile"', '"gile', 'gile*', 'gile OR phao', 'NEAR(gile phao, 2)', '-phao', 'gile NOT phao', 'gile AND', '(', ')', '^gile', 'name:gile', '{gile}', "'", 'a"b', '""""', '* OR *', 'gile -', '\\'];
    for (const q of queries) {
      const { slugs } = await search(q);
      assert.deepEqual([...slugs].sort(), c.searchModel(q).slugs, `q=${q}`);
      const api = await shop.getJson(`/api/v1/search?q=${encodeURIComponent(q)}`);
      assert.equal(api.status, 200, `API q=${q}: ${api.text.slice(0, 200)}`);
    }
  });

  it('escapes the query wherever the page repeats it', async () => {
    const q = '<script>alert(1)</script>';
    const res = await page(`/search?q=${encodeURIComponent(q)}`);
    assert.ok(!res.text.includes(q), 'the query is never markup');
    assert.equal(res.doc.find('header input[name="q"]').attr('value'), q, 'the search box keeps the text');
  });

  it('keeps search results out of the index', async () => {
    const { doc } = await search('gile');
    assert.match(robots(doc) ?? '', /noindex/);
    assert.equal(canonical(doc), null);
  });
});

// --- bad input --------------------------------------------------------------------------------------

describe('bad input on pages', () => {
  const cat = topCategories()[0].slug;
  const cases = [
    ['sort=cheapest', 'sort'],
    ['page=-1', 'page'],
    ['page=0', 'page'],
    ['per_page=10000', 'per_page'],
    ['min_price=abc', 'min_price'],
    ['min_price=12.5', 'min_price'],
    ['min_price=900000&max_price=100000', 'min_price'],
    ['size=%3Cscript%3E', 'size'],
    ['color=Red!', 'color'],
    ['size=%zz', 'size'],
    ['in_stock=maybe', 'in_stock'],
  ];
  const searchCases = [
    [`q=${'a'.repeat(101)}`, 'q'],
    ['q=gile%00', 'q'],
    ['q=gile%0Aphao', 'q'],
    ['q=%zz', 'q'],
    ['q=%FF', 'q'],
  ];

  it('answers with a 400 page in the visitor\'s language naming the field', async () => {
    const messages = { vi: new Map(), en: new Map() };
    for (const locale of LOCALES) {
      const targets = [
        ...cases.map(([q, f]) => [`/c/${cat}?${q}`, f]),
        ...cases.map(([q, f]) => [`/search?q=gile&${q}`, f]),
        ...searchCases.map(([q, f]) => [`/search?${q}`, f]),
      ];
      for (const [path, field] of targets) {
        const url = inLocale(locale, path.split('?')[0]) + '?' + path.split('?')[1];
        const { doc, headers, text } = await page(url, 400);
        assert.equal(doc.find('html').attr('lang'), locale, url);
        assert.equal(headers.get('cache-control'), 'no-store', url);
        const item = doc.find(`main [data-field="${field}"]`);
        assert.ok(item, `${url} names ${field}`);
        messages[locale].set(field, squash(item.text));
        assert.ok(!text.includes('<script>'), `${url} does not reflect markup`);
      }
    }
    for (const [field, vi] of messages.vi) assert.notEqual(vi, messages.en.get(field), `the ${field} message is translated`);
    assert.match(messages.en.get('min_price'), /price/i);
    assert.match(messages.vi.get('min_price'), /giá/i);
  });

  it('lists every bad field at once', async () => {
    const { doc } = await page(`/en/c/${cat}?page=0&sort=x&min_price=abc`, 400);
    const fields = doc.findAll('main [data-field]').map((li) => li.attr('data-field')).sort();
    assert.deepEqual(fields, ['min_price', 'page', 'sort']);
  });

  it('ignores unknown parameters such as tracking tags', async () => {
    const { doc } = await page(`/c/${cat}?utm_source=newsletter&fbclid=%zz&x=<b>`);
    assert.equal(cardSlugs(doc).length, Math.min(24, c.inCategory(cat).length));
  });
});

// --- security headers -------------------------------------------------------------------------------

describe('security headers', () => {
  it('sends a strict CSP and the other protective headers on every HTML page', async () => {
    const cat = topCategories()[0].slug;
    const p = c.active[0].slug;
    const targets = [['/', 200], ['/en/', 200], [`/c/${cat}`, 200], [`/p/${p}`, 200], ['/search?q=gile', 200], ['/nope', 404], [`/c/${cat}?page=0`, 400]];
    for (const [path, status] of targets) {
      const res = await page(path, status);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.ok(csp, `${path} has a CSP`);
      assert.ok(!csp.includes("'unsafe-inline'"), `${path}: no 'unsafe-inline'`);
      assert.ok(!csp.includes("'unsafe-eval'"), `${path}: no 'unsafe-eval'`);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /object-src 'none'/);
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/, `${path}: HSTS`);
      assert.match(res.headers.get('permissions-policy') ?? '', /camera=\(\)/, `${path}: Permissions-Policy`);
      // Scripts run only with this response's nonce, and every script tag carries it.
      const nonce = /script-src 'nonce-([0-9a-f]{32})' 'strict-dynamic'/.exec(csp)?.[1];
      assert.ok(nonce, `${path}: a nonce in script-src: ${csp}`);
      for (const s of res.doc.findAll('script[src]')) assert.equal(s.attr('nonce'), nonce, `${path}: script nonce`);
      const again = await page(path, status);
      assert.notEqual(again.headers.get('content-security-policy'), csp, `${path}: a new nonce per response`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(res.headers.get('referrer-policy'), `${path} has a referrer policy`);
      // What the CSP allows is all the page needs: no inline script, style or handler.
      for (const s of res.doc.findAll('script')) {
        assert.ok(s.attr('src') || s.attr('type') === 'application/ld+json', `${path}: no inline script`);
      }
      assert.equal(res.doc.findAll('style').length, 0, `${path}: no <style>`);
      assert.equal(res.doc.findAll((el) => 'style' in el.attrs || Object.keys(el.attrs).some((a) => a.startsWith('on'))).length, 0, `${path}: no style or on* attributes`);
    }
  });
});
