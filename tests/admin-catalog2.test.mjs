// The admin catalog, second part, against the built Worker: the products CSV import (dry run that
// writes nothing and lists every problem, confirm that applies exactly the plan, stock moves that
// lose a race reported instead of overwritten, an unchanged export that changes nothing), image
// uploads (type by content, SVG without script, size limit, /media caching), categories and
// collections (create, edit, reorder, seen on the storefront), each by role and audited.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';

import { adminsByRole, auditCount } from './support/admins.mjs';
import { parseHtml } from './support/html.mjs';
import { jpeg, png, svg, svgWithScript } from './support/images.mjs';
import { beforeAll, shop, useShop } from './support/setup.mjs';

const MAX_BYTES = 200_000;
let admins;

useShop({ vars: { MEDIA_MAX_BYTES: String(MAX_BYTES) } });
beforeAll(async () => {
  admins = await adminsByRole(shop);
});

/**
 * Posts a multipart form as a browser would: the CSRF token from `page` (any form on it when the
 * role has no form for `action`), the text fields, and an optional file `{ name, bytes, type }`.
 */
async function postMultipart(b, action, fields, file, { page = action } = {}) {
  let token;
  try {
    token = await b.token(page, action);
  } catch {
    token = await b.token(page, '/admin/logout');
  }
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('csrf', token);
  if (file) form.append('file', new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }), file.name);
  const res = b.keep(await shop.request(action, { method: 'POST', body: form, headers: { origin: shop.url, 'sec-fetch-site': 'same-origin', cookie: b.cookie } }));
  return { ...res, doc: parseHtml(res.text) };
}

const snapshot = async () => JSON.stringify(await shop.sql('SELECT id, sku, price, compare_at_price, on_hand, size, color, status FROM variants ORDER BY id'));

/** Reads CSV text (RFC 4180: quoted fields, doubled quotes, CRLF) into rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}
const quote = (f) => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f);
const toCsv = (rows) => rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';

/** The products CSV as an admin downloads it, as rows of fields. */
async function exportCsv(b) {
  const res = await b.get('/admin/products.csv');
  assert.equal(res.status, 200);
  return parseCsv(res.text.replace(/^\uFEFF/, ''));
}
const col = (header, name) => header.indexOf(name);

describe('CSV import', () => {
  it('an unchanged export imports as no change at all', async () => {
    const rows = await exportCsv(admins.manager);
    const before = await auditCount(shop);
    const res = await postMultipart(admins.manager, '/admin/import', { text: toCsv(rows) }, null, { page: '/admin/products' });
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.equal(res.doc.find('strong.changes-count').text, '0');
    assert.equal(res.doc.find('strong.errors-count').text, '0');
    assert.match(res.text, /Không có gì thay đổi/);
    assert.equal(res.doc.find('form.confirm-import'), null, 'nothing to confirm');
    assert.equal(await auditCount(shop), before);
  });

  it('a dry run with errors lists them by line and column and writes nothing', async () => {
    const [header, ...rows] = await exportCsv(admins.manager);
    const bad = rows.slice(0, 3).map((r) => [...r]);
    bad[0][col(header, 'price')] = 'abc';
    bad[1][col(header, 'size')] = 'XXXL';
    bad[2][col(header, 'on_hand')] = '-4';
    const beforeRows = await snapshot();
    const beforeAudit = await auditCount(shop);
    const res = await postMultipart(admins.manager, '/admin/import', {}, { name: 'products.csv', bytes: Buffer.from(toCsv([header, ...bad])), type: 'text/csv' }, { page: '/admin/products' });
    assert.equal(res.status, 422);
    const errors = res.doc.findAll('table.import-errors tr[data-line]').map((tr) => [Number(tr.attr('data-line')), tr.attr('data-column')]);
    assert.deepEqual(errors, [[2, 'price'], [3, 'size'], [4, 'on_hand']]);
    assert.match(res.text, /Không phải số nguyên/);
    assert.match(res.text, /Giá trị không có trong cửa hàng/);
    assert.match(res.text, /Không được âm/);
    assert.equal(res.doc.find('form.confirm-import'), null);
    assert.equal(await snapshot(), beforeRows, 'nothing written');
    assert.equal(await auditCount(shop), beforeAudit);
    assert.deepEqual(await shop.sql('SELECT id FROM import_drafts'), [], 'no draft for a file with errors');
  });

  it('a file-level problem is explained', async () => {
    const res = await postMultipart(admins.manager, '/admin/import', { text: 'sku,price,colour\nA,1,red\n' }, null, { page: '/admin/products' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Cột không rõ: “colour”/);
  });

  it('confirm applies exactly the planned changes: a price, a stock move, a new variant; audited, in the ledger, on the storefront', async () => {
    const [header, ...rows] = await exportCsv(admins.manager);
    const [target] = await shop.sql("SELECT v.sku, v.on_hand, v.reserved, v.price, p.slug FROM variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.status = 'active' AND v.on_hand > 3 AND v.compare_at_price IS NULL ORDER BY v.id LIMIT 1");
    const [other] = await shop.sql(`SELECT v.sku, v.on_hand FROM variants v WHERE v.sku <> '${target.sku}' AND v.on_hand >= v.reserved ORDER BY v.id DESC LIMIT 1`);
    const i = col(header, 'sku');
    const edited = rows.map((r) => [...r]);
    const t = edited.find((r) => r[i] === target.sku);
    t[col(header, 'price')] = String(target.price + 11000);
    const o = edited.find((r) => r[i] === other.sku);
    o[col(header, 'on_hand')] = String(other.on_hand + 5);
    // A new variant of the target's product, in a size/colour pair it does not have yet.
    const pairs = new Set(edited.filter((r) => r[col(header, 'product_slug')] === target.slug).map((r) => `${r[col(header, 'size')]}/${r[col(header, 'color')]}`));
    const sizes = (await shop.sql('SELECT code FROM sizes ORDER BY sort_order')).map((r) => r.code);
    const colors = (await shop.sql('SELECT code FROM colors ORDER BY sort_order')).map((r) => r.code);
    const [size, color] = sizes.flatMap((s) => colors.map((c) => [s, c])).find(([s, c]) => !pairs.has(`${s}/${c}`));
    const fresh = [...t];
    fresh[i] = `IMP-${process.pid}`;
    fresh[col(header, 'size')] = size;
    fresh[col(header, 'color')] = color;
    fresh[col(header, 'on_hand')] = '4';
    fresh[col(header, 'barcode')] = '';
    edited.push(fresh);
    const beforeRows = await snapshot();

    const dry = await postMultipart(admins.manager, '/admin/import', {}, { name: 'edited.csv', bytes: Buffer.from(toCsv([header, ...edited])) }, { page: '/admin/products' });
    assert.equal(dry.status, 200, dry.text.slice(0, 800));
    const kinds = dry.doc.findAll('table.import-plan tr[data-kind]').map((tr) => tr.attr('data-kind')).sort();
    assert.deepEqual(kinds, ['new-variant', 'price', 'stock', 'stock']);
    assert.equal(await snapshot(), beforeRows, 'the dry run wrote nothing');
    const confirm = dry.doc.find('form.confirm-import');
    assert.ok(confirm);
    const draft = confirm.find('input[name="draft"]').attr('value');
    const sha256 = confirm.find('input[name="sha256"]').attr('value');
    assert.equal(sha256, createHash('sha256').update(toCsv([header, ...edited])).digest('hex'));

    // A confirmation naming another file's hash is refused.
    const wrong = await admins.manager.submit('/admin/import/confirm', { draft, sha256: 'f'.repeat(64), csrf: confirm.find('input[name="csrf"]').attr('value') }, { csrf: null });
    assert.equal(wrong.status, 409);
    assert.match(wrong.text, /SHA-256 không khớp/);

    const variantPage = `/p/${target.slug}?variant=${encodeURIComponent(target.sku)}`;
    assert.ok((await shop.get(variantPage)).text.includes(`data-price="${target.price}"`), 'old price, cached before the import');
    const applied = await admins.manager.submit('/admin/import/confirm', { draft, sha256, csrf: confirm.find('input[name="csrf"]').attr('value') }, { csrf: null });
    assert.equal(applied.status, 200, applied.text.slice(0, 800));
    assert.equal(parseHtml(applied.text).find('strong.applied-count').text, '4');
    assert.equal((await shop.sql(`SELECT price FROM variants WHERE sku = '${target.sku}'`))[0].price, target.price + 11000);
    assert.equal((await shop.sql(`SELECT on_hand FROM variants WHERE sku = '${other.sku}'`))[0].on_hand, other.on_hand + 5);
    const [created] = await shop.sql(`SELECT id, on_hand, size, color FROM variants WHERE sku = 'IMP-${process.pid}'`);
    assert.deepEqual([created.on_hand, created.size, created.color], [4, size, color]);
    const ledger = await shop.sql(`SELECT reason, delta, request_id FROM stock_ledger WHERE request_id LIKE 'import-${draft}-%' ORDER BY id`);
    assert.deepEqual(ledger.map((l) => [l.reason, l.delta]), [['import', 5], ['import', 4]]);
    const actions = (await shop.sql("SELECT action FROM audit_log WHERE action LIKE 'import.%' ORDER BY id")).map((a) => a.action);
    assert.deepEqual(actions, ['import.confirm', 'import.variant.update', 'import.variant.create', 'import.stock', 'import.stock']);
    assert.ok((await shop.get(variantPage)).text.includes(`data-price="${target.price + 11000}"`), 'the storefront shows the new price at once');

    const again = await admins.manager.submit('/admin/import/confirm', { draft, sha256, csrf: confirm.find('input[name="csrf"]').attr('value') }, { csrf: null });
    assert.equal(again.status, 409);
    assert.match(again.text, /đã được áp dụng/);
    assert.equal((await shop.sql(`SELECT on_hand FROM variants WHERE sku = '${other.sku}'`))[0].on_hand, other.on_hand + 5, 'applied once');
  });

  it('a stock move that lost the race is reported, not overwritten', async () => {
    const [header, ...rows] = await exportCsv(admins.staff);
    const [v] = await shop.sql('SELECT sku, on_hand FROM variants WHERE on_hand > reserved + 2 AND reserved = 0 ORDER BY id LIMIT 1');
    const edited = rows.map((r) => [...r]);
    const line = edited.findIndex((r) => r[col(header, 'sku')] === v.sku);
    edited[line][col(header, 'on_hand')] = String(v.on_hand + 10);
    const dry = await postMultipart(admins.staff, '/admin/import', { text: toCsv([header, ...edited]) }, null, { page: '/admin/products' });
    assert.equal(dry.status, 200, dry.text.slice(0, 500));
    const confirm = dry.doc.find('form.confirm-import');
    // A sale meanwhile: on-hand moves under the import's feet.
    await shop.sql(`UPDATE variants SET on_hand = on_hand - 1 WHERE sku = '${v.sku}'`);
    const res = await admins.staff.submit('/admin/import/confirm', {
      draft: confirm.find('input[name="draft"]').attr('value'),
      sha256: confirm.find('input[name="sha256"]').attr('value'),
      csrf: confirm.find('input[name="csrf"]').attr('value'),
    }, { csrf: null });
    assert.equal(res.status, 409);
    const conflict = parseHtml(res.text).find('table.import-conflicts tr[data-line]');
    assert.equal(Number(conflict.attr('data-line')), line + 2);
    assert.match(conflict.text, new RegExp(`lúc chạy thử là ${v.on_hand}, bây giờ là ${v.on_hand - 1}`));
    assert.equal((await shop.sql(`SELECT on_hand FROM variants WHERE sku = '${v.sku}'`))[0].on_hand, v.on_hand - 1, 'not overwritten');
  });

  it('staff may move stock but not prices; support may not import at all', async () => {
    const [header, ...rows] = await exportCsv(admins.staff);
    const edited = rows.map((r) => [...r]);
    const plain = edited.find((r) => r[col(header, 'compare_at_price')] === '');
    plain[col(header, 'price')] = String(Number(plain[col(header, 'price')]) + 1000);
    const res = await postMultipart(admins.staff, '/admin/import', { text: toCsv([header, ...edited]) }, null, { page: '/admin/products' });
    assert.equal(res.status, 422);
    assert.match(res.text, /cần quyền đổi giá/);
    const before = await auditCount(shop);
    const support = await postMultipart(admins.support, '/admin/import', { text: toCsv([header, ...rows]) }, null, { page: '/admin/products' });
    assert.equal(support.status, 403);
    assert.equal(await auditCount(shop), before);
    assert.equal(support.doc.find('form[action="/admin/import"]'), null);
    assert.equal((await admins.support.get('/admin/products')).doc.find('form[action="/admin/import"]'), null, 'no upload form for support');
  });
});

describe('images', () => {
  let product;
  before(async () => {
    [product] = await shop.sql("SELECT p.id, p.slug FROM products p WHERE p.status = 'active' ORDER BY p.id DESC LIMIT 1");
  });
  const action = () => `/admin/products/${product.id}/images`;
  const page = () => `/admin/products/${product.id}`;
  const images = async () => shop.sql(`SELECT id, url, alt_vi, alt_en, variant_id, color, width, height, position FROM product_images WHERE product_id = ${product.id} ORDER BY position, id`);

  it('a PNG is stored under its hash, served immutable with its type and ETag, and shown on the storefront', async () => {
    const bytes = png(24, 16);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const before = (await images()).length;
    const res = await postMultipart(admins.staff, action(), { alt_vi: 'Ảnh thử', alt_en: 'Test image' }, { name: 'photo.png', bytes, type: 'image/png' }, { page: page() });
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const all = await images();
    assert.equal(all.length, before + 1);
    const added = all.at(-1);
    assert.deepEqual([added.url, added.alt_vi, added.alt_en, added.width, added.height], [`/media/${hash}.png`, 'Ảnh thử', 'Test image', 24, 16]);
    const media = await fetch(shop.url + added.url);
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'image/png');
    assert.equal(media.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(media.headers.get('etag'), `"${hash}"`);
    assert.equal(media.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await media.arrayBuffer()).equals(bytes));
    const revalidated = await fetch(shop.url + added.url, { headers: { 'if-none-match': `"${hash}"` } });
    assert.equal(revalidated.status, 304);
    assert.equal((await fetch(`${shop.url}/media/${hash}.jpg`)).status, 404, 'the extension must match the bytes');
    assert.equal((await fetch(`${shop.url}/media/${'0'.repeat(64)}.png`)).status, 404);
    const storefront = await shop.get(`/p/${product.slug}`);
    assert.ok(storefront.text.includes(`src="/media/${hash}.png"`), 'the storefront shows it');
    const [audit] = await shop.sql(`SELECT action, after FROM audit_log WHERE action = 'image.add' ORDER BY id DESC LIMIT 1`);
    assert.equal(JSON.parse(audit.after).url, added.url);
  });

  it('a JPEG and a clean SVG are accepted; the SVG is served sandboxed', async () => {
    const j = await postMultipart(admins.staff, action(), { alt_vi: 'jpeg', alt_en: 'jpeg' }, { name: 'x.jpeg', bytes: jpeg(), type: 'image/jpeg' }, { page: page() });
    assert.equal(j.status, 303, j.text.slice(0, 300));
    assert.match((await images()).at(-1).url, /^\/media\/[0-9a-f]{64}\.jpg$/);
    const s = await postMultipart(admins.staff, action(), { alt_vi: 'svg', alt_en: 'svg' }, { name: 'x.svg', bytes: svg(), type: 'image/svg+xml' }, { page: page() });
    assert.equal(s.status, 303, s.text.slice(0, 300));
    const url = (await images()).at(-1).url;
    assert.match(url, /\.svg$/);
    const media = await fetch(shop.url + url);
    assert.equal(media.headers.get('content-type'), 'image/svg+xml');
    const stored = Buffer.from(await media.clone().arrayBuffer());
    assert.equal(stored.toString(), svg().toString().replace(/^<\?xml[^>]*>\n/, '').trim(), 'stored as the sanitiser wrote it');
    assert.equal(url, `/media/${createHash('sha256').update(stored).digest('hex')}.svg`, 'named by the stored bytes');
    assert.match(media.headers.get('content-security-policy'), /sandbox/);
    assert.match(media.headers.get('content-security-policy'), /default-src 'none'/);
  });

  it('refuses a .png that is really text, an SVG with script, and an oversize file; nothing stored', async () => {
    const before = (await images()).length;
    const auditBefore = await auditCount(shop);
    const text = await postMultipart(admins.staff, action(), {}, { name: 'photo.png', bytes: Buffer.from('I am plain text, not a picture.'), type: 'image/png' }, { page: page() });
    assert.equal(text.status, 400);
    assert.match(text.text, /không phải ảnh JPEG, PNG, WebP, AVIF hay SVG/);
    const script = await postMultipart(admins.staff, action(), {}, { name: 'x.svg', bytes: svgWithScript(), type: 'image/svg+xml' }, { page: page() });
    assert.equal(script.status, 400);
    assert.match(script.text, /có thể chạy mã/);
    const big = Buffer.concat([png(1, 1), Buffer.alloc(MAX_BYTES + 10)]);
    const oversize = await postMultipart(admins.staff, action(), {}, { name: 'big.png', bytes: big, type: 'image/png' }, { page: page() });
    assert.equal(oversize.status, 413);
    assert.match(oversize.text, /Tệp quá lớn/);
    assert.equal((await images()).length, before);
    assert.equal(await auditCount(shop), auditBefore);
  });

  it('alt text, variant, order and deletion are edited and audited; support may not', async () => {
    let all = await images();
    const last = all.at(-1);
    const [variant] = await shop.sql(`SELECT id, color FROM variants WHERE product_id = ${product.id} ORDER BY id LIMIT 1`);
    const edit = await admins.staff.submit(`${action()}/${last.id}`, { alt_vi: 'Mặt trước', alt_en: 'Front', variant: String(variant.id) }, { page: page() });
    assert.equal(edit.status, 303, edit.text.slice(0, 300));
    all = await images();
    const edited = all.find((i) => i.id === last.id);
    assert.deepEqual([edited.alt_vi, edited.alt_en, edited.variant_id, edited.color], ['Mặt trước', 'Front', variant.id, variant.color]);
    const up = await admins.staff.submit(`${action()}/${last.id}/move`, { dir: 'up' }, { page: page() });
    assert.equal(up.status, 303);
    const order = (await images()).map((i) => i.id);
    assert.equal(order.at(-2), last.id, 'moved up one place');
    const unconfirmed = await admins.staff.submit(`${action()}/${last.id}/delete`, {}, { page: page() });
    assert.equal(unconfirmed.status, 422);
    const supportCsrf = await admins.support.token(page(), '/admin/logout');
    assert.equal((await admins.support.submit(`${action()}/${last.id}/delete`, { confirm: '1' }, { csrf: supportCsrf })).status, 403);
    const gone = await admins.staff.submit(`${action()}/${last.id}/delete`, { confirm: '1' }, { page: page() });
    assert.equal(gone.status, 303);
    assert.ok(!(await images()).some((i) => i.id === last.id));
    const actions = (await shop.sql("SELECT action FROM audit_log WHERE action IN ('image.update', 'image.reorder', 'image.delete') ORDER BY id")).map((a) => a.action);
    assert.deepEqual(actions, ['image.update', 'image.reorder', 'image.delete']);
    const upload = await postMultipart(admins.support, action(), {}, { name: 'p.png', bytes: png(2, 2), type: 'image/png' }, { page: page() });
    assert.equal(upload.status, 403);
  });
});

describe('categories and collections', () => {
  const navNames = async () => {
    const home = await shop.getHtml('/');
    return home.doc.findAll('nav.categories .menu a').filter((a) => a.parent.parent.hasClass('menu')).map((a) => a.text.trim());
  };

  it('a category is created, renamed and reordered by staff, and the storefront follows at once', async () => {
    await shop.get('/');
    const res = await admins.staff.submit('/admin/categories', { slug: 'gile-mua-he', name_vi: 'Gile mùa hè', name_en: 'Summer vests', description_vi: 'Mát', description_en: 'Cool', parent: '' }, { page: '/admin/categories' });
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const [c] = await shop.sql("SELECT id, path, parent_id, sort_order FROM categories WHERE slug = 'gile-mua-he'");
    assert.deepEqual([c.path, c.parent_id], ['/gile-mua-he/', null]);
    assert.equal((await shop.get('/c/gile-mua-he')).status, 200);
    let names = await navNames();
    assert.ok(names.includes('Gile mùa hè'), JSON.stringify(names));
    assert.equal(names.at(-1), 'Gile mùa hè', 'last among the top categories');

    const bad = await admins.staff.submit('/admin/categories', { slug: 'Gile Hè', name_vi: '', name_en: 'x', parent: '' }, { page: '/admin/categories' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Đường dẫn chỉ gồm chữ thường/);

    const rename = await admins.staff.submit(`/admin/categories/${c.id}`, { slug: 'gile-he', name_vi: 'Gile hè mát', name_en: 'Summer vests', description_vi: '', description_en: '', parent: '' }, { page: `/admin/categories/${c.id}` });
    assert.equal(rename.status, 303, rename.text.slice(0, 500));
    assert.equal((await shop.get('/c/gile-he')).status, 200);
    assert.equal((await shop.get('/c/gile-mua-he')).status, 404);
    names = await navNames();
    assert.ok(names.includes('Gile hè mát'));

    const up = await admins.staff.submit(`/admin/categories/${c.id}/move`, { dir: 'up' }, { page: '/admin/categories' });
    assert.equal(up.status, 303);
    names = await navNames();
    assert.equal(names.at(-2), 'Gile hè mát', 'moved up one place on the storefront');

    // Moving a category under another carries its path; into its own subtree is refused.
    const [parent] = await shop.sql("SELECT id, path FROM categories WHERE parent_id IS NULL AND slug <> 'gile-he' ORDER BY id LIMIT 1");
    const moved = await admins.staff.submit(`/admin/categories/${c.id}`, { slug: 'gile-he', name_vi: 'Gile hè mát', name_en: 'Summer vests', parent: String(parent.id) }, { page: `/admin/categories/${c.id}` });
    assert.equal(moved.status, 303);
    assert.equal((await shop.sql(`SELECT path FROM categories WHERE id = ${c.id}`))[0].path, `${parent.path}gile-he/`);
    const [child] = await shop.sql(`SELECT id FROM categories WHERE parent_id = ${parent.id} LIMIT 1`);
    const loop = await admins.staff.submit(`/admin/categories/${parent.id}`, { slug: (await shop.sql(`SELECT slug FROM categories WHERE id = ${parent.id}`))[0].slug, name_vi: 'x', name_en: 'x', parent: String(child.id) }, { page: `/admin/categories/${parent.id}` });
    assert.equal(loop.status, 422);

    const actions = (await shop.sql("SELECT action FROM audit_log WHERE entity = 'category' ORDER BY id")).map((a) => a.action);
    assert.deepEqual(actions, ['category.create', 'category.update', 'category.reorder', 'category.update']);
    const csrf = await admins.support.token('/admin/categories', '/admin/logout');
    assert.equal((await admins.support.submit('/admin/categories', { slug: 'x', name_vi: 'x', name_en: 'x' }, { csrf })).status, 403);
    assert.equal((await admins.support.get('/admin/categories')).status, 200, 'support may look');
  });

  it('collections are created, edited, reordered, and their products reordered on the home page', async () => {
    const res = await admins.staff.submit('/admin/collections', { slug: 'qua-tang', name_vi: 'Quà tặng', name_en: 'Gifts' }, { page: '/admin/collections' });
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const [c] = await shop.sql("SELECT id, sort_order FROM collections WHERE slug = 'qua-tang'");
    const edit = await admins.staff.submit(`/admin/collections/${c.id}`, { slug: 'qua-tang', name_vi: 'Quà tặng Tết', name_en: 'New Year gifts' }, { page: `/admin/collections/${c.id}` });
    assert.equal(edit.status, 303);
    assert.equal((await shop.sql(`SELECT name_vi FROM collections WHERE id = ${c.id}`))[0].name_vi, 'Quà tặng Tết');
    const up = await admins.staff.submit(`/admin/collections/${c.id}/move`, { dir: 'up' }, { page: '/admin/collections' });
    assert.equal(up.status, 303);
    const order = (await shop.sql('SELECT id FROM collections ORDER BY sort_order, id')).map((r) => r.id);
    assert.equal(order.at(-2), c.id);
    const [p] = await shop.sql("SELECT slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
    assert.equal((await admins.staff.submit(`/admin/collections/${c.id}/products`, { product: p.slug }, { page: `/admin/collections/${c.id}` })).status, 303);
    const missing = await admins.staff.submit(`/admin/collections/${c.id}/products`, { product: 'no-such-product' }, { page: `/admin/collections/${c.id}` });
    assert.equal(missing.status, 422);

    // The home page's new arrivals follow the collection's order at once.
    const firstCards = async () => (await shop.getHtml('/')).doc.find('section#new-arrivals').findAll('a[href^="/p/"]').map((a) => a.attr('href')).filter((h, i, all) => all.indexOf(h) === i);
    const before = await firstCards();
    const members = await shop.sql("SELECT cp.product_id, p.slug FROM collection_products cp JOIN products p ON p.id = cp.product_id JOIN collections c ON c.id = cp.collection_id WHERE c.slug = 'new-arrivals' ORDER BY cp.position, p.id");
    const [na] = await shop.sql("SELECT id FROM collections WHERE slug = 'new-arrivals'");
    const moved = await admins.staff.submit(`/admin/collections/${na.id}/products/${members[1].product_id}/move`, { dir: 'up' }, { page: `/admin/collections/${na.id}` });
    assert.equal(moved.status, 303, moved.text.slice(0, 300));
    const after = await firstCards();
    assert.deepEqual(after.slice(0, 2), [before[1], before[0]]);
    const actions = (await shop.sql("SELECT action FROM audit_log WHERE entity = 'collection' ORDER BY id")).map((a) => a.action);
    assert.deepEqual(actions, ['collection.create', 'collection.update', 'collection.reorder', 'collection.add_product', 'collection.reorder_products']);
    const csrf = await admins.support.token('/admin/collections', '/admin/logout');
    assert.equal((await admins.support.submit(`/admin/collections/${c.id}/move`, { dir: 'down' }, { csrf })).status, 403);
  });
});
