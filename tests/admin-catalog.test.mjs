// Catalog and stock in the admin panel against the built Worker: the product list (search, filters),
// bulk publish/unpublish by an allowed and a refused role with its audit rows and the storefront
// changing at once, and stock adjustments through the ledger (idempotent by request id, refused
// below what is reserved, each audited), with their thresholds and the low-stock list.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { browser } from './support/accounts.mjs';
import { adminsByRole, auditCount } from './support/admins.mjs';
import { parseHtml } from './support/html.mjs';
import { beforeAll, shop, useShop } from './support/setup.mjs';

let admins;

useShop();
beforeAll(async () => {
  admins = await adminsByRole(shop);
});

/** Every field of the form `action` on `page` (hidden ones included), as a browser would send it. */
async function formFields(b, page, action) {
  const res = await b.get(page);
  const form = res.doc.findAll('form[method="post"]').find((f) => f.attr('action') === action);
  assert.ok(form, `a form for ${action} on ${page} (${res.status})`);
  const fields = {};
  for (const input of form.findAll('input')) if (input.attr('name') && input.attr('type') === 'hidden') fields[input.attr('name')] = input.attr('value');
  return fields;
}

describe('the product list', () => {
  it('is open to every role, with the bulk form only for those who may edit', async () => {
    for (const role of ['owner', 'manager', 'staff', 'support']) {
      const res = await admins[role].get('/admin/products');
      assert.equal(res.status, 200, role);
      assert.ok(res.doc.findAll('tr[data-product]').length > 0, `${role} sees products`);
      const bulk = res.doc.findAll('form[method="post"]').some((f) => f.attr('action') === '/admin/products/bulk');
      assert.equal(bulk, role !== 'support', `${role}: bulk form`);
    }
    const nobody = await browser(shop).get('/admin/products');
    assert.equal(nobody.status, 303);
    assert.equal(nobody.headers.get('location'), '/admin/login');
  });

  it('links each name to its edit page, with a thumbnail and the price range; only nearly sold-out products are low', async () => {
    const res = await admins.support.get('/admin/products');
    const [p] = await shop.sql("SELECT p.id, p.name_vi, MIN(v.price) AS lo, MAX(v.price) AS hi, SUM(v.on_hand - v.reserved) AS units FROM products p JOIN variants v ON v.product_id = p.id WHERE v.status = 'active' GROUP BY p.id ORDER BY units DESC LIMIT 1");
    const row = res.doc.find(`tr[data-product="${p.id}"]`);
    const link = row.find('a.product-name');
    assert.equal(link.attr('href'), `/admin/products/${p.id}`);
    assert.equal(link.text, p.name_vi);
    assert.match(row.find('td.thumb img').attr('src'), /^\/img\//);
    const digits = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    assert.ok(row.find('td.price').text.includes(digits(p.lo)), row.find('td.price').text);
    if (p.hi !== p.lo) assert.ok(row.find('td.price').text.includes(digits(p.hi)));
    assert.notEqual(row.findAll('td a').at(-1).text, 'Sắp hết', `${p.units} units are not low`);
    // The demo catalog: nearly every product has a size at or below its threshold, a few are really short.
    const low = (await admins.support.get('/admin/products?stock=low')).doc.findAll('tr[data-product]').length;
    const all = res.doc.findAll('tr[data-product]').length;
    assert.ok(low < all / 4, `${low} of ${all} low`);
  });

  it('searches by SKU and by name, and filters by status and stock state', async () => {
    const [v] = await shop.sql('SELECT v.sku, p.id, p.name_vi FROM variants v JOIN products p ON p.id = v.product_id ORDER BY v.id LIMIT 1');
    const bySku = await admins.support.get(`/admin/products?q=${encodeURIComponent(v.sku.toLowerCase())}`);
    assert.deepEqual(bySku.doc.findAll('tr[data-product]').map((tr) => Number(tr.attr('data-product'))), [v.id]);
    const byName = await admins.support.get(`/admin/products?q=${encodeURIComponent(v.name_vi)}`);
    assert.ok(byName.doc.findAll('tr[data-product]').some((tr) => Number(tr.attr('data-product')) === v.id));
    const none = await admins.support.get('/admin/products?q=%25%25no-such-thing');
    assert.equal(none.doc.findAll('tr[data-product]').length, 0);

    // Make one product sold out and one a draft, then filter.
    const [p1, p2] = await shop.sql("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 2");
    await shop.sql(`UPDATE variants SET on_hand = reserved WHERE product_id = ${p1.id}; UPDATE products SET status = 'draft' WHERE id = ${p2.id}`);
    const out = await admins.support.get('/admin/products?stock=out');
    const outIds = out.doc.findAll('tr[data-product]').map((tr) => Number(tr.attr('data-product')));
    assert.ok(outIds.includes(p1.id) && !outIds.includes(p2.id), JSON.stringify(outIds));
    const drafts = await admins.support.get('/admin/products?status=draft');
    const draftIds = drafts.doc.findAll('tr[data-product]').map((tr) => Number(tr.attr('data-product')));
    assert.ok(draftIds.includes(p2.id) && !draftIds.includes(p1.id));
    await shop.sql(`UPDATE products SET status = 'active' WHERE id = ${p2.id}`);
  });
});

describe('bulk publish and unpublish', () => {
  it('is refused to support, with nothing written', async () => {
    const [p] = await shop.sql("SELECT id FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1");
    const csrf = await admins.support.token('/admin/products', '/admin/logout');
    const before = await auditCount(shop);
    const res = await admins.support.submit('/admin/products/bulk', { id: String(p.id), action: 'unpublish' }, { csrf });
    assert.equal(res.status, 403);
    assert.equal(await auditCount(shop), before);
    assert.equal((await shop.sql(`SELECT status FROM products WHERE id = ${p.id}`))[0].status, 'active');
  });

  it('by staff takes a product off the storefront at once and back, each change audited', async () => {
    const [p] = await shop.sql("SELECT id, slug FROM products WHERE status = 'active' ORDER BY id DESC LIMIT 1");
    assert.equal((await shop.get(`/p/${p.slug}`)).status, 200, 'on sale (and now cached)');
    assert.equal((await shop.get(`/p/${p.slug}`)).status, 200);
    const res = await admins.staff.submit('/admin/products/bulk', { id: String(p.id), action: 'unpublish' }, { page: '/admin/products' });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.text, /Đã ngừng bán 1 sản phẩm/);
    assert.equal((await shop.sql(`SELECT status FROM products WHERE id = ${p.id}`))[0].status, 'draft');
    const [audit] = await shop.sql(`SELECT action, before, after, actor_email FROM audit_log WHERE entity = 'product' AND entity_id = '${p.id}' ORDER BY id DESC LIMIT 1`);
    assert.equal(audit.action, 'product.unpublish');
    assert.deepEqual([JSON.parse(audit.before), JSON.parse(audit.after)], [{ status: 'active' }, { status: 'draft' }]);
    assert.equal((await shop.get(`/p/${p.slug}`)).status, 404, 'gone from the storefront at once');

    const again = await admins.staff.submit('/admin/products/bulk', { id: String(p.id), action: 'publish' }, { page: '/admin/products' });
    assert.equal(again.status, 200);
    assert.equal((await shop.get(`/p/${p.slug}`)).status, 200, 'back at once');
    const actions = await shop.sql(`SELECT action FROM audit_log WHERE entity = 'product' AND entity_id = '${p.id}' ORDER BY id`);
    assert.deepEqual(actions.map((a) => a.action), ['product.unpublish', 'product.publish']);
  });

  it('explains an empty selection', async () => {
    const res = await admins.manager.submit('/admin/products/bulk', { action: 'publish' }, { page: '/admin/products' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Chưa chọn sản phẩm nào/);
  });
});

describe('stock', () => {
  let variant;
  before(async () => {
    [variant] = await shop.sql("SELECT v.id, v.on_hand, v.reserved, p.slug FROM variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.on_hand > 5 ORDER BY v.id DESC LIMIT 1");
  });
  const action = () => `/admin/stock/${variant.id}/adjust`;
  const onHand = async () => (await shop.sql(`SELECT on_hand FROM variants WHERE id = ${variant.id}`))[0].on_hand;

  it('shows on-hand, reserved and sellable per variant to every role; only editors get the form', async () => {
    for (const role of ['owner', 'manager', 'staff', 'support']) {
      const res = await admins[role].get(`/admin/stock/${variant.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.doc.find('dd.on-hand').text, String(variant.on_hand));
      const form = res.doc.findAll('form[method="post"]').some((f) => f.attr('action') === action());
      assert.equal(form, role !== 'support', role);
    }
    const list = await admins.support.get('/admin/stock');
    assert.equal(list.status, 200);
    assert.ok(list.doc.find(`tr[data-variant="${variant.id}"]`));
    // Paged: following "next" reaches every variant once.
    const [{ n }] = await shop.sql('SELECT COUNT(*) AS n FROM variants');
    const seen = new Set();
    for (let url = '/admin/stock'; url; ) {
      const page = await admins.support.get(url);
      for (const tr of page.doc.findAll('tr[data-variant]')) {
        assert.ok(!seen.has(tr.attr('data-variant')), `variant ${tr.attr('data-variant')} twice`);
        seen.add(tr.attr('data-variant'));
      }
      url = page.doc.find('nav.pager a[rel="next"]')?.attr('href');
    }
    assert.equal(seen.size, n);
  });

  it('applies a resubmitted adjustment once, with one ledger row and one audit row', async () => {
    const before = await onHand();
    const audits = await auditCount(shop);
    const fields = { ...(await formFields(admins.staff, `/admin/stock/${variant.id}`, action())), delta: '5', reason: 'received', note: 'lô hàng 12' };
    const first = await admins.staff.submit(action(), fields, { csrf: fields.csrf });
    assert.equal(first.status, 303, first.text.slice(0, 300));
    const second = await admins.staff.submit(action(), fields, { csrf: fields.csrf });
    assert.equal(second.status, 303, 'the same form again is answered as applied');
    assert.equal(await onHand(), before + 5, 'applied once');
    const ledger = await shop.sql(`SELECT delta, reason, note, on_hand_after, request_id FROM stock_ledger WHERE variant_id = ${variant.id}`);
    assert.deepEqual(ledger, [{ delta: 5, reason: 'received', note: 'lô hàng 12', on_hand_after: before + 5, request_id: fields.request_id }]);
    assert.equal(await auditCount(shop), audits + 1);
    const [audit] = await shop.sql(`SELECT action, after FROM audit_log WHERE entity = 'variant' AND entity_id = '${variant.id}'`);
    assert.equal(audit.action, 'stock.adjust');
    assert.equal(JSON.parse(audit.after).delta, 5);
    const page = await admins.staff.get(`/admin/stock/${variant.id}`);
    assert.equal(page.doc.findAll('table.ledger tbody tr').length, 1, 'the ledger history shows it');
    const [staff] = await shop.sql(`SELECT a.name, a.email FROM admin_users a WHERE 'admin:' || a.id = '${(await shop.sql(`SELECT actor FROM stock_ledger WHERE variant_id = ${variant.id}`))[0].actor}'`);
    assert.equal(page.doc.find('table.ledger td.actor').text, staff.name || staff.email, 'the person, not admin:<id>');
    assert.match(page.doc.find('table.ledger time').text, /^\d\d:\d\d \d\d\/\d\d\/\d{4}$/, 'Vietnam time, not raw UTC');
  });

  it('is refused to support', async () => {
    const fields = await formFields(admins.staff, `/admin/stock/${variant.id}`, action());
    const csrf = await admins.support.token('/admin/stock', '/admin/logout');
    const before = await onHand();
    const res = await admins.support.submit(action(), { request_id: fields.request_id, delta: '3', reason: 'received' }, { csrf });
    assert.equal(res.status, 403);
    assert.equal(await onHand(), before);
  });

  it('refuses to go below what is reserved and says why; refuses a sign the reason does not allow', async () => {
    await shop.sql(`UPDATE variants SET reserved = 2 WHERE id = ${variant.id}`);
    const current = await onHand();
    const fields = await formFields(admins.manager, `/admin/stock/${variant.id}`, action());
    const res = await admins.manager.submit(action(), { ...fields, delta: String(-(current - 1)), reason: 'correction' }, { csrf: fields.csrf });
    assert.equal(res.status, 409);
    assert.match(res.text, /đang được giữ/);
    const notice = parseHtml(res.text).find('p.notice.error').text;
    assert.ok(notice.includes(`tối đa ${current - 2}`), notice);
    assert.equal(await onHand(), current);
    const wrongSign = await admins.manager.submit(action(), { ...(await formFields(admins.manager, `/admin/stock/${variant.id}`, action())), delta: '4', reason: 'damaged' }, { page: `/admin/stock/${variant.id}` });
    assert.equal(wrongSign.status, 422);
    assert.match(wrongSign.text, /số âm/);
    const notNumber = await admins.manager.submit(action(), { ...(await formFields(admins.manager, `/admin/stock/${variant.id}`, action())), delta: 'năm', reason: 'received' }, { page: `/admin/stock/${variant.id}` });
    assert.equal(notNumber.status, 422);
    await shop.sql(`UPDATE variants SET reserved = 0 WHERE id = ${variant.id}`);
  });

  it('lists a variant as low once its threshold is reached (audited threshold change)', async () => {
    const t = `/admin/stock/${variant.id}/threshold`;
    const res = await admins.staff.submit(t, { threshold: String((await onHand()) + 1) }, { page: `/admin/stock/${variant.id}` });
    assert.equal(res.status, 303);
    // The low list is paged (fewest sellable first): look the product up in it.
    const low = await admins.support.get(`/admin/stock?low=1&q=${variant.slug}`);
    assert.ok(low.doc.find(`tr[data-variant="${variant.id}"]`), 'in the low-stock list');
    const [audit] = await shop.sql(`SELECT action FROM audit_log WHERE entity = 'variant' AND entity_id = '${variant.id}' ORDER BY id DESC LIMIT 1`);
    assert.equal(audit.action, 'variant.threshold');
    const bad = await admins.staff.submit(t, { threshold: '-1' }, { page: `/admin/stock/${variant.id}` });
    assert.equal(bad.status, 422);
  });
});

describe('creating and editing a product', () => {
  let id;
  let slug;
  const fields = (over = {}) => ({
    name_vi: 'Gile len thử nghiệm', name_en: 'Test wool vest', slug, category: '', status: 'draft', tags: 'len, ấm',
    description_vi: 'Mô tả', description_en: 'Description', seo_title_vi: '', seo_title_en: '', seo_description_vi: '', seo_description_en: '', ...over,
  });

  before(() => {
    slug = `gile-thu-${process.pid}`;
  });

  it('is refused to support, and explains bad fields to staff', async () => {
    const [c] = await shop.sql('SELECT id FROM categories ORDER BY id LIMIT 1');
    assert.equal((await admins.support.get('/admin/products/new')).status, 403);
    const bad = await admins.staff.submit('/admin/products/new', fields({ category: String(c.id), slug: 'Gile Len', name_en: '' }));
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Đường dẫn chỉ gồm chữ thường/);
    assert.match(bad.text, /Bắt buộc/);
  });

  it('is created by staff as a draft (audited) and appears on the storefront once published', async () => {
    const [c] = await shop.sql('SELECT id FROM categories ORDER BY id LIMIT 1');
    const res = await admins.staff.submit('/admin/products/new', fields({ category: String(c.id), weight_grams: '420' }));
    assert.equal(res.status, 303, res.text.slice(0, 400));
    id = Number(/\/admin\/products\/(\d+)/.exec(res.headers.get('location'))[1]);
    const [row] = await shop.sql(`SELECT status, name_en, weight_grams FROM products WHERE id = ${id}`);
    assert.deepEqual(row, { status: 'draft', name_en: 'Test wool vest', weight_grams: 420 }, 'with its default weight for shipping');
    const form = parseHtml((await admins.staff.get(`/admin/products/${id}`)).text);
    assert.equal(form.find('input[name="weight_grams"]').attr('value'), '420', 'the form shows it again');
    assert.deepEqual((await shop.sql(`SELECT tag FROM product_tags WHERE product_id = ${id} ORDER BY tag`)).map((t) => t.tag), ['len', 'ấm']);
    const [audit] = await shop.sql(`SELECT action FROM audit_log WHERE entity = 'product' AND entity_id = '${id}'`);
    assert.equal(audit.action, 'product.create');
    assert.equal((await shop.get(`/p/${slug}`)).status, 404, 'a draft is not on sale');
  });

  it('takes variants from staff only while the product is a draft, and price changes only from a role with the price permission', async () => {
    const variant = { sku: `TST-${process.pid}-M`, size: 'M', color: '', price: '450.000', compare_at_price: '', barcode: '', weight_grams: '300' };
    const [color] = await shop.sql('SELECT code FROM colors ORDER BY sort_order LIMIT 1');
    variant.color = color.code;
    // Staff give the draft its first variant (and first price)…
    const first = await admins.staff.submit(`/admin/products/${id}/variants`, { ...variant, sku: `TST-${process.pid}-S`, size: 'S' }, { page: `/admin/products/${id}` });
    assert.equal(first.status, 303, first.text.slice(0, 300));
    const [s] = await shop.sql(`SELECT id, price FROM variants WHERE sku = 'TST-${process.pid}-S'`);
    assert.equal(s.price, 450000);
    // …but may not change a price, nor add to a product on sale.
    const csrf = await admins.staff.token(`/admin/products/${id}`, '/admin/logout');
    assert.equal((await admins.staff.submit(`/admin/products/${id}/variants/${s.id}/price`, { price: '1000', compare_at_price: '' }, { csrf })).status, 403, 'staff may not change prices');
    const [live] = await shop.sql("SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
    // (The page shows staff no add-variant form for it; the request is made anyway.)
    const onSale = await admins.staff.submit(`/admin/products/${live.id}/variants`, { ...variant, sku: `TST-${process.pid}-LIVE`, size: 'XXL' }, { csrf });
    assert.equal(onSale.status, 403, 'staff may not add a variant (a new price) to a product on sale');
    assert.match(onSale.text, /chỉ quản lý mới thêm được biến thể/);
    assert.deepEqual(await shop.sql(`SELECT id FROM variants WHERE sku = 'TST-${process.pid}-LIVE'`), []);
    assert.equal((await shop.sql(`SELECT price FROM variants WHERE id = ${s.id}`))[0].price, 450000);
    const badPrice = await admins.manager.submit(`/admin/products/${id}/variants`, { ...variant, compare_at_price: '400000' }, { page: `/admin/products/${id}` });
    assert.equal(badPrice.status, 422);
    assert.match(badPrice.text, /Giá so sánh phải cao hơn giá bán/);
    const ok = await admins.manager.submit(`/admin/products/${id}/variants`, variant, { page: `/admin/products/${id}` });
    assert.equal(ok.status, 303, ok.text.slice(0, 400));
    const dup = await admins.manager.submit(`/admin/products/${id}/variants`, variant, { page: `/admin/products/${id}` });
    assert.equal(dup.status, 422, 'the same SKU twice');
    const errorOf = (res, field) => parseHtml(res.text).find(`span.field-error[id="variant.${field}-error"]`)?.text;
    assert.match(errorOf(dup, 'sku'), /SKU này đã có/);
    assert.match(errorOf(dup, 'size'), /cùng cỡ và màu/);
    assert.equal(errorOf(dup, 'barcode'), undefined, 'no barcode was given');
    assert.equal(parseHtml(dup.text).find('form.variant-form input[name="sku"]').attr('value'), variant.sku, 'what was typed stays');
    const newSku = { ...variant, sku: `TST-${process.pid}-XL`, size: 'XL' };
    const zero = await admins.manager.submit(`/admin/products/${id}/variants`, { ...newSku, price: '0' }, { page: `/admin/products/${id}` });
    assert.equal(zero.status, 422);
    assert.match(errorOf(zero, 'price'), /lớn hơn 0/);
    assert.equal(parseHtml(zero.text).find('form.variant-form input[name="price"]').attr('aria-invalid'), 'true');
    assert.deepEqual(await shop.sql(`SELECT id FROM variants WHERE sku = '${newSku.sku}'`), []);
    const [v] = await shop.sql(`SELECT id, price, weight_grams FROM variants WHERE sku = 'TST-${process.pid}-M'`);
    assert.deepEqual([v.price, v.weight_grams], [450000, 300]);
    const price = await admins.manager.submit(`/admin/products/${id}/variants/${v.id}/price`, { price: '420000', compare_at_price: '450000' }, { page: `/admin/products/${id}` });
    assert.equal(price.status, 303);
    const [audit] = await shop.sql(`SELECT before, after FROM audit_log WHERE action = 'variant.price' AND entity_id = '${v.id}'`);
    assert.deepEqual([JSON.parse(audit.before).price, JSON.parse(audit.after).price], [450000, 420000]);

    const second = await admins.manager.submit(`/admin/products/${id}/variants`, { ...variant, sku: `TST-${process.pid}-L`, size: 'L' }, { page: `/admin/products/${id}` });
    assert.equal(second.status, 303, second.text.slice(0, 300));
    const [l] = await shop.sql(`SELECT id FROM variants WHERE sku = 'TST-${process.pid}-L'`);
    const remove = `/admin/products/${id}/variants/${l.id}/remove`;
    const unconfirmed = await admins.staff.submit(remove, {}, { page: `/admin/products/${id}` });
    assert.equal(unconfirmed.status, 422, 'removal asks for confirmation');
    assert.equal((await admins.staff.submit(remove, { confirm: '1' }, { page: `/admin/products/${id}` })).status, 303);
    assert.deepEqual(await shop.sql(`SELECT id FROM variants WHERE id = ${l.id}`), []);
    const [removed] = await shop.sql(`SELECT action, before FROM audit_log WHERE action = 'variant.remove' AND entity_id = '${id}'`);
    assert.equal(JSON.parse(removed.before).sku, `TST-${process.pid}-L`);
  });

  it('goes draft → active → archived by staff, the storefront following at once; archived cannot go straight back', async () => {
    const [c] = await shop.sql('SELECT id FROM categories ORDER BY id LIMIT 1');
    const publish = await admins.staff.submit(`/admin/products/${id}`, fields({ category: String(c.id), status: 'active' }));
    assert.equal(publish.status, 303, publish.text.slice(0, 400));
    const live = await shop.get(`/p/${slug}`);
    assert.equal(live.status, 200);
    assert.match(live.text, /Gile len thử nghiệm/);
    const renamed = await admins.staff.submit(`/admin/products/${id}`, fields({ category: String(c.id), status: 'active', name_vi: 'Gile len đổi tên' }));
    assert.equal(renamed.status, 303);
    assert.match((await shop.get(`/p/${slug}`)).text, /Gile len đổi tên/, 'the new name at once');
    const [audit] = await shop.sql(`SELECT before, after FROM audit_log WHERE action = 'product.update' AND entity_id = '${id}' ORDER BY id DESC LIMIT 1`);
    assert.deepEqual([JSON.parse(audit.before).name_vi, JSON.parse(audit.after).name_vi], ['Gile len thử nghiệm', 'Gile len đổi tên']);
    assert.equal((await admins.staff.submit(`/admin/products/${id}`, fields({ category: String(c.id), status: 'archived', name_vi: 'Gile len đổi tên' }))).status, 303);
    assert.equal((await shop.get(`/p/${slug}`)).status, 404);
    const back = await admins.staff.submit(`/admin/products/${id}`, fields({ category: String(c.id), status: 'active', name_vi: 'Gile len đổi tên' }));
    assert.equal(back.status, 422);
    assert.match(back.text, /về bản nháp trước/);
  });

  it('links a product to Shopee and TikTok Shop (checked URLs, audited), shown on its page at once', async () => {
    const [p] = await shop.sql("SELECT id, slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1");
    const page = `/admin/products/${p.id}`;
    const action = `/admin/products/${p.id}/marketplaces`;
    assert.equal((await shop.get(`/p/${p.slug}`)).status, 200, 'cached before the change');
    const bad = await admins.staff.submit(action, { shopee_url: 'https://shopee.vn.evil.example/x', tiktok_url: '' }, { page });
    assert.equal(bad.status, 422, bad.text.slice(0, 300));
    assert.match(bad.text, /Liên kết phải là một trang trên shopee.vn/);
    assert.equal(parseHtml(bad.text).find('input[name="shopee_url"]').attr('value'), 'https://shopee.vn.evil.example/x', 'what was typed is kept');
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM product_marketplace_links WHERE product_id = ${p.id}`))[0].n, 0);
    const refused = await admins.support.submit(action, { shopee_url: 'https://shopee.vn/a', tiktok_url: '' }, { page });
    assert.equal(refused.status, 403);

    const links = { shopee_url: 'https://shopee.vn/Ao-gile-i.123.456', tiktok_url: 'https://shop.tiktok.com/view/product/1729' };
    const ok = await admins.staff.submit(action, links, { page });
    assert.equal(ok.status, 303, ok.text.slice(0, 300));
    assert.equal(ok.headers.get('location'), `${page}?saved=1#marketplaces`);
    const form = await admins.staff.get(page);
    assert.equal(form.doc.find('input[name="tiktok_url"]').attr('value'), links.tiktok_url);
    const [audit] = await shop.sql(`SELECT action, after FROM audit_log WHERE entity = 'product' AND entity_id = '${p.id}' ORDER BY id DESC LIMIT 1`);
    assert.equal(audit.action, 'product.marketplace_links');
    assert.deepEqual(JSON.parse(audit.after).map((l) => l.marketplace), ['shopee', 'tiktok']);
    const shown = (await shop.getHtml(`/p/${p.slug}`)).doc;
    assert.equal(shown.find('a[data-marketplace="shopee"]')?.attr('href'), links.shopee_url);
    assert.equal(shown.find('a[data-marketplace="tiktok"]')?.attr('href'), links.tiktok_url);

    assert.equal((await admins.staff.submit(action, { shopee_url: '', tiktok_url: links.tiktok_url }, { page })).status, 303);
    const after = (await shop.getHtml(`/p/${p.slug}`)).doc;
    assert.equal(after.find('a[data-marketplace="shopee"]'), null, 'an emptied field removes its link');
    assert.ok(after.find('a[data-marketplace="tiktok"]'));
  });
});

describe('CSV export', () => {
  it('gives one row per variant with the documented columns, to any admin, never cached', async () => {
    const res = await admins.support.get('/admin/products.csv');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    assert.match(res.headers.get('content-disposition'), /attachment/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const lines = res.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    assert.equal(lines[0], 'product_slug,product_status,category_slug,name_vi,name_en,sku,size,color,price,compare_at_price,on_hand,barcode,weight_grams,variant_status');
    const [{ n }] = await shop.sql('SELECT COUNT(*) AS n FROM variants');
    assert.equal(lines.length - 1, n);
    assert.equal((await browser(shop).get('/admin/products.csv')).status, 303, 'not without signing in');
  });
});
