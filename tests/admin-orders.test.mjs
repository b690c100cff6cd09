// The admin panel's orders, invoices and sales dashboard against the built Worker: the list and its
// filters, every order action by a role allowed and a role refused (with the confirmation step, the
// order event and the audit row), a refund through the sandbox provider, the invoice as HTML and PDF,
// the dashboard moving after a paid order, the funnel events the storefront records, and the
// notifications log (the shop's mail goes to the development sink here).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newEmail } from './support/accounts.mjs';
import { adminsByRole } from './support/admins.mjs';
import { parseHtml } from './support/html.mjs';
import { vnToday } from './support/history.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, variantPool, waitFor } from './support/shopping.mjs';

const pool = variantPool();
let admins;

useShop({ vars: { ANALYTICS_FLUSH_EVENTS: '1', MAIL_TRANSPORT: 'sink' } });
beforeAll(async () => {
  admins = await adminsByRole(shop, { name: (role) => `The ${role}` });
});

/** A paid order of one unit (paid through the sandbox webhook), fresh from the API. */
async function paidOrder(body = checkoutBody()) {
  const [v] = pool.take(1);
  const { order } = await s.placeOrder([[v.id, 1]], body);
  assert.equal((await s.pay(order)).status, 200);
  return { order, variant: v };
}

/** Opens an action (the confirmation step), then confirms it as the admin's browser would. */
/** A refused role posting an action anyway (its page offers no such form): the token of its logout form. */
async function forced(b, orderId, action, fields = {}) {
  const csrf = await b.token(`/admin/orders/${orderId}`, '/admin/logout');
  return b.submit(`/admin/orders/${orderId}/${action}`, fields, { csrf });
}

async function act(b, orderId, action, fields = {}) {
  const path = `/admin/orders/${orderId}/${action}`;
  const step = await b.submit(path, fields, { page: `/admin/orders/${orderId}` });
  if (step.status !== 200) return { step, done: step };
  const doc = (await import('./support/html.mjs')).parseHtml(step.text);
  const form = doc.findAll('form[method="post"]').find((f) => f.attr('action') === path);
  assert.ok(form, 'the confirmation step has a form');
  const hidden = Object.fromEntries(form.findAll('input[type="hidden"]').map((i) => [i.attr('name'), i.attr('value')]));
  assert.equal(hidden.confirm, 'yes');
  const done = await b.submit(path, hidden, { csrf: hidden.csrf });
  return { step, done };
}

const orderStatus = async (id) => (await shop.sql(`SELECT status FROM orders WHERE id = '${id}'`))[0].status;
const audits = (id, action) => shop.sql(`SELECT actor_email, action, before, after, ip FROM audit_log WHERE entity = 'order' AND entity_id = '${id}' AND action = '${action}'`);
const events = (id) => shop.sql(`SELECT from_status, to_status, actor, reason FROM order_events WHERE order_id = '${id}' ORDER BY id`);

describe('notifications', () => {
  it('managers see an order\'s messages, the log with its filters and dead letters, resend one (audited) and preview every template; staff may not', async () => {
    const email = newEmail('mails');
    const { order } = await paidOrder(checkoutBody({ email }));
    const messages = () => shop.sql(`SELECT id, kind, status, recipient FROM outbox WHERE json_extract(payload, '$.order_id') = '${order.id}' ORDER BY id`);
    await waitFor('both messages sent to the sink', async () => (await messages()).filter((m) => m.status === 'sent').length === 2);
    const [placed] = await messages();
    assert.deepEqual([placed.kind, placed.recipient], ['order_placed', email]);
    const page = await admins.manager.get(`/admin/orders/${order.id}`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.doc.findAll('.order-messages tr[data-message]').map((r) => r.attr('data-status')), ['sent', 'sent']);

    await shop.sql(`UPDATE outbox SET status = 'dead', attempts = 6, last_error = 'HTTP 500: fake' WHERE id = ${placed.id}`);
    const dead = await admins.manager.get(`/admin/notifications?status=dead&to=${encodeURIComponent(email)}`);
    assert.equal(dead.status, 200);
    assert.deepEqual(dead.doc.findAll('tr[data-message]').map((r) => [r.attr('data-message'), r.attr('data-status')]), [[String(placed.id), 'dead']]);
    assert.ok(dead.text.includes('HTTP 500: fake'));
    assert.equal((await admins.manager.get('/admin/notifications?status=lost')).status, 400);
    const resent = await admins.manager.submit(`/admin/notifications/${placed.id}/resend`, {}, { page: `/admin/notifications?status=dead&to=${encodeURIComponent(email)}` });
    assert.equal(resent.status, 303);
    await waitFor('the resent message delivered', async () => (await messages())[0].status === 'sent');
    const [audit] = await shop.sql(`SELECT actor_email, action FROM audit_log WHERE entity = 'outbox' AND entity_id = '${placed.id}'`);
    assert.deepEqual({ ...audit }, { actor_email: admins.emails.manager, action: 'notification.resend' });

    const previews = await admins.manager.get('/admin/notifications/preview');
    assert.equal(previews.status, 200);
    const shown = previews.doc.findAll('[data-preview]').map((p) => p.attr('data-preview'));
    for (const kind of ['order_placed', 'order_paid', 'order_expired', 'order_cancelled', 'order_fulfilled', 'order_delivered', 'refund_issued', 'password_reset', 'verify_email']) {
      assert.ok(shown.includes(`${kind}-vi`) && shown.includes(`${kind}-en`), kind);
    }
    const html = await admins.manager.get('/admin/notifications/preview?kind=order_placed&locale=en');
    assert.equal(html.status, 200);
    assert.ok(html.text.includes('We received your order') && html.text.includes('VS000123'));

    assert.equal((await admins.staff.get('/admin/notifications')).status, 403);
  });
});

describe('the order list', () => {
  it('lists, filters, searches and pages; bad filters get a 400', async () => {
    const email = newEmail('buyer');
    const { order } = await paidOrder(checkoutBody({ email, phone: '0987 654 321' }));
    const [v] = pool.take(1);
    const unpaid = (await s.placeOrder([[v.id, 1]], checkoutBody({ email: newEmail('other') }))).order;
    for (const role of ['owner', 'manager', 'staff', 'support']) {
      assert.equal((await admins[role].get('/admin/orders')).status, 200, `${role} sees orders`);
    }
    const numbers = async (q) => (await admins.support.get(`/admin/orders${q}`)).doc.findAll('table.admin-table tbody tr').map((tr) => tr.find('a').text.trim());
    assert.deepEqual(await numbers(`?q=${encodeURIComponent(email)}`), [order.number]);
    assert.deepEqual(await numbers(`?q=${order.number}`), [order.number]);
    assert.ok((await numbers('?q=654321')).includes(order.number), 'by part of the phone number');
    const pending = await numbers('?status=pending_payment');
    assert.ok(pending.includes(unpaid.number) && !pending.includes(order.number));
    assert.ok((await numbers('?provider=sandbox')).includes(order.number));
    assert.deepEqual(await numbers('?provider=stripe'), []);
    assert.deepEqual(await numbers('?from=2000-01-01&to=2000-01-02'), []);
    for (const bad of ['?status=lost', '?from=yesterday', '?page=0', '?from=2026-11-03&to=2026-11-01']) {
      assert.equal((await admins.staff.get(`/admin/orders${bad}`)).status, 400, bad);
    }
    const detail = await admins.support.get(`/admin/orders/${order.id}`);
    assert.equal(detail.status, 200);
    assert.match(detail.text, new RegExp(order.number));
    assert.match(detail.text, /Lần thanh toán/);
    assert.match(detail.text, /Diễn biến/);
    assert.equal((await admins.support.get('/admin/orders/ffffffffffffffffffffffffffffffff')).status, 404);
  });
});

describe('order actions', () => {
  it('fulfil and deliver: staff may, support may not; each confirmed, audited and in the timeline', async () => {
    const { order } = await paidOrder();
    const refused = await forced(admins.support, order.id, 'fulfil', { carrier: 'GHN', tracking_number: 'X1' });
    assert.equal(refused.status, 403, 'support cannot fulfil');
    const missing = await act(admins.staff, order.id, 'fulfil', { carrier: '', tracking_number: '' });
    assert.equal(missing.step.status, 422, 'carrier and tracking are required');
    const { step, done } = await act(admins.staff, order.id, 'fulfil', { carrier: 'GHN', tracking_number: 'GHN123456' });
    assert.equal(step.status, 200);
    assert.equal(await orderStatus(order.id), 'fulfilled', 'nothing until confirmed… then done') ;
    assert.equal(done.status, 303);
    const [row] = await shop.sql(`SELECT carrier, tracking_number FROM orders WHERE id = '${order.id}'`);
    assert.deepEqual(row, { carrier: 'GHN', tracking_number: 'GHN123456' });
    const [audit] = await audits(order.id, 'order.fulfil');
    assert.equal(JSON.parse(audit.before).status, 'paid');
    assert.equal(JSON.parse(audit.after).status, 'fulfilled');
    assert.ok((await events(order.id)).some((e) => e.to_status === 'fulfilled' && e.actor.startsWith('admin:')));
    const again = await forced(admins.staff, order.id, 'fulfil', { carrier: 'GHN', tracking_number: 'GHN123456', confirm: 'yes' });
    assert.equal(again.status, 409, 'the state machine refuses fulfilling twice (the page no longer offers it)');
    assert.equal((await audits(order.id, 'order.fulfil')).length, 1);

    assert.equal((await forced(admins.support, order.id, 'deliver')).status, 403);
    const delivered = await act(admins.staff, order.id, 'deliver');
    assert.equal(delivered.done.status, 303);
    assert.equal(await orderStatus(order.id), 'delivered');
    assert.equal((await audits(order.id, 'order.deliver')).length, 1);
    assert.ok((await events(order.id)).some((e) => e.from_status === 'fulfilled' && e.to_status === 'delivered'));
  });

  it('cancel an unpaid order restocks it; a paid one cannot be cancelled here', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 2]]);
    const reserved = async () => (await shop.sql(`SELECT reserved FROM variants WHERE id = ${v.id}`))[0].reserved;
    const before = await reserved();
    assert.equal((await forced(admins.support, order.id, 'cancel')).status, 403);
    const { done } = await act(admins.staff, order.id, 'cancel');
    assert.equal(done.status, 303);
    assert.equal(await orderStatus(order.id), 'cancelled');
    assert.equal(await reserved(), before - 2, 'its units are back on sale');
    assert.equal((await audits(order.id, 'order.cancel')).length, 1);
    assert.ok((await events(order.id)).some((e) => e.to_status === 'cancelled'));
    const paid = (await paidOrder()).order;
    assert.equal((await forced(admins.staff, paid.id, 'cancel', { confirm: 'yes' })).status, 409);
  });

  it('refunds partly then fully through the sandbox; staff may not; each audited', async () => {
    const { order } = await paidOrder();
    const total = order.totals.total;
    assert.equal((await forced(admins.staff, order.id, 'refund', { amount: '1000' })).status, 403);
    const tooMuch = await act(admins.manager, order.id, 'refund', { amount: String(total + 1) });
    assert.equal(tooMuch.step.status, 422);
    const part = await act(admins.manager, order.id, 'refund', { amount: '10000', reason: 'một phần' });
    assert.equal(part.done.status, 303);
    assert.equal(await orderStatus(order.id), 'partially_refunded');
    const rest = await act(admins.owner, order.id, 'refund', {});
    assert.equal(rest.done.status, 303);
    const [o] = await shop.sql(`SELECT status, refunded_total FROM orders WHERE id = '${order.id}'`);
    assert.deepEqual(o, { status: 'refunded', refunded_total: total });
    const refunds = await shop.sql(`SELECT amount, status, external_id FROM refunds WHERE order_id = '${order.id}' ORDER BY created_at, rowid`);
    assert.deepEqual(refunds.map((r) => [r.amount, r.status]), [[10000, 'succeeded'], [total - 10000, 'succeeded']]);
    assert.ok(refunds.every((r) => r.external_id.startsWith('sandbox-refund-')));
    assert.equal((await audits(order.id, 'order.refund')).length, 2);
    assert.equal((await events(order.id)).filter((e) => /refund of/.test(e.reason)).length, 2);
    assert.equal((await forced(admins.manager, order.id, 'refund', { amount: '1', confirm: 'yes' })).status, 409, 'nothing left to refund');
    await waitFor('refunded events', async () => (await shop.sql(`SELECT COUNT(*) AS n FROM shop_events WHERE kind = 'refunded' AND order_id = '${order.id}'`))[0].n === 2);
  });

  it('resolves needs_refund by refunding it whole', async () => {
    const { order } = await paidOrder();
    await shop.sql(`UPDATE orders SET status = 'needs_refund', stock_state = 'released' WHERE id = '${order.id}'`);
    const page = await admins.manager.get(`/admin/orders/${order.id}`);
    assert.ok(page.doc.findAll('form').some((f) => f.attr('action') === `/admin/orders/${order.id}/refund`), 'refund is offered');
    assert.equal((await act(admins.manager, order.id, 'refund', { amount: '1000' })).done.status, 409, 'a late payment is refunded whole');
    const { done } = await act(admins.manager, order.id, 'refund', {});
    assert.equal(done.status, 303);
    assert.equal(await orderStatus(order.id), 'refunded');
  });
});

describe('cash on delivery and the split statuses', () => {
  const codOrder = async (phone) => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 1]], checkoutBody({ payment_provider: 'cod', phone }));
    return { order, variant: v };
  };
  const state = async (id) => (await shop.sql(`SELECT status, payment_status, fulfillment_status FROM orders WHERE id = '${id}'`))[0];

  it('marks COD orders collected from the list, many at once and once each, audited; a manager may, staff may not', async () => {
    const one = (await codOrder('0903 222 001')).order;
    const two = (await codOrder('0903 222 002')).order;
    assert.equal((await act(admins.staff, one.id, 'fulfil', { carrier: 'GHTK', tracking_number: 'S1' })).done.status, 303);
    const listed = await admins.manager.get('/admin/orders?payment_status=cod_pending&fulfillment_status=shipped');
    assert.deepEqual(listed.doc.findAll('input[name="order"]').map((i) => i.attr('value')).filter((id) => id === one.id || id === two.id), [one.id], 'filtered by both statuses');
    const collect = async (b, ids) => {
      const csrf = await b.token('/admin/orders', '/admin/orders/collect');
      const body = [...ids.map((id) => `order=${id}`), `csrf=${csrf}`].join('&');
      return b.keep(await shop.request('/admin/orders/collect', {
        method: 'POST', body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: shop.url, 'sec-fetch-site': 'same-origin', cookie: b.cookie },
      }));
    };
    assert.equal((await collect(admins.staff, [one.id])).status, 403, 'staff may not record cash');
    const done = await collect(admins.manager, [one.id, two.id]);
    assert.equal(done.status, 200, done.text.slice(0, 300));
    assert.deepEqual(await state(one.id), { status: 'fulfilled', payment_status: 'paid', fulfillment_status: 'shipped' });
    assert.deepEqual(await state(two.id), { status: 'confirmed', payment_status: 'paid', fulfillment_status: 'unfulfilled' });
    assert.equal((await collect(admins.manager, [one.id, two.id])).status, 200);
    assert.equal((await audits(one.id, 'order.collect')).length, 1, 'collected once');
    const api = (await s.getOrder(one.id, one.access_token)).json.order;
    assert.deepEqual([api.status, api.payment_status, api.fulfillment_status], ['fulfilled', 'paid', 'shipped']);
  });

  it('a returned COD parcel restocks once; a partial refund after shipping does not block delivery', async () => {
    const { order, variant } = await codOrder('0903 222 003');
    const onHand = async () => (await shop.sql(`SELECT on_hand FROM variants WHERE id = ${variant.id}`))[0].on_hand;
    const sold = await onHand();
    assert.equal((await act(admins.staff, order.id, 'fulfil', { carrier: 'GHN', tracking_number: 'R1' })).done.status, 303);
    assert.equal((await act(admins.staff, order.id, 'return')).done.status, 303);
    assert.deepEqual(await state(order.id), { status: 'returned', payment_status: 'voided', fulfillment_status: 'returned' });
    assert.equal(await onHand(), sold + 1);
    assert.equal((await forced(admins.staff, order.id, 'return', { confirm: 'yes' })).status, 409, 'confirmed once');
    assert.equal(await onHand(), sold + 1, 'restocked once');

    const paid = (await paidOrder()).order;
    assert.equal((await act(admins.staff, paid.id, 'fulfil', { carrier: 'GHN', tracking_number: 'P1' })).done.status, 303);
    assert.equal((await act(admins.manager, paid.id, 'refund', { amount: '10000', reason: 'một phần' })).done.status, 303);
    assert.deepEqual(await state(paid.id), { status: 'partially_refunded', payment_status: 'partially_refunded', fulfillment_status: 'shipped' });
    assert.equal((await act(admins.staff, paid.id, 'deliver')).done.status, 303);
    assert.deepEqual(await state(paid.id), { status: 'delivered', payment_status: 'partially_refunded', fulfillment_status: 'delivered' });
  });
});

describe('invoices', () => {
  it('as HTML and PDF for every role that sees orders', async () => {
    const { order } = await paidOrder();
    const htmlRes = await admins.support.get(`/admin/orders/${order.id}/invoice`);
    assert.equal(htmlRes.status, 200);
    assert.match(htmlRes.headers.get('content-type'), /^text\/html/);
    assert.match(htmlRes.text, new RegExp(order.number));
    // The print button is shown by invoice.js, which the page's CSP runs only with its nonce.
    const nonce = /script-src 'nonce-([^']+)'/.exec(htmlRes.headers.get('content-security-policy') ?? '')?.[1];
    assert.ok(nonce, `the page has a CSP with a script nonce: ${htmlRes.headers.get('content-security-policy')}`);
    const script = /<script src="(\/static\/js\/invoice\.[0-9a-f]+\.js)"([^>]*)>/.exec(htmlRes.text);
    assert.ok(script, 'the page loads its print script');
    assert.match(script[2], new RegExp(`\\bnonce="${nonce}"`), `the print script carries the response's nonce: ${script[0]}`);
    const pdf = await shop.request(`/admin/orders/${order.id}/invoice.pdf`, { headers: { cookie: admins.staff.cookie } });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.ok(pdf.text.startsWith('%PDF-'), 'a PDF document');
    assert.equal((await shop.request(`/admin/orders/${order.id}/invoice.pdf`)).status, 303, 'not without a session');
  });
});

describe('the shopper\'s invoice', () => {
  it('is linked from the paid order\'s page, in both languages and as a PDF, opened only by the order\'s token', async () => {
    const { order } = await paidOrder();
    const t = order.access_token;
    const page = parseHtml((await shop.get(`/orders/${order.id}?t=${t}`)).text);
    const links = page.find('p.invoice-links').findAll('a').map((a) => a.attr('href'));
    assert.deepEqual(links, [`/orders/${order.id}/invoice?t=${t}`, `/orders/${order.id}/invoice.pdf?t=${t}`, `/en/orders/${order.id}/invoice?t=${t}`]);
    const vi = await shop.get(links[0]);
    assert.equal(vi.status, 200);
    assert.match(vi.text, /<html lang="vi"/);
    assert.match(vi.text, new RegExp(order.number));
    assert.match(vi.text, new RegExp(`href="/orders/${order.id}/invoice.pdf\\?t=${t}"`), 'the page links its PDF');
    const en = await shop.get(links[2]);
    assert.match(en.text, /<html lang="en"/);
    const pdf = await shop.request(links[1]);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.ok(pdf.text.startsWith('%PDF-'));
    assert.equal((await shop.get(`/orders/${order.id}/invoice`)).status, 404, 'not without the token');
    assert.equal((await shop.get(`/orders/${order.id}/invoice?t=${'0'.repeat(64)}`)).status, 404, 'nor with another');
    // An unpaid order sold nothing yet: no invoice.
    const [v] = pool.take(1);
    const { order: unpaid } = await s.placeOrder([[v.id, 1]], checkoutBody());
    assert.equal(parseHtml((await shop.get(`/orders/${unpaid.id}?t=${unpaid.access_token}`)).text).find('p.invoice-links'), null);
    assert.equal((await shop.get(`/orders/${unpaid.id}/invoice?t=${unpaid.access_token}`)).status, 404);
  });
});

describe('the dashboard', () => {
  const today = () => vnToday().day;
  const todayRow = async () => {
    const res = await admins.manager.get(`/admin/dashboard.csv?from=${today()}&to=${today()}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    const line = res.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/)[1].split(',');
    return { revenue: Number(line[1]), orders: Number(line[2]) };
  };

  it('shows managers and owners the figures, others the landing page; bad periods get a 400', async () => {
    const manager = await admins.manager.get('/admin?days=7');
    assert.equal(manager.status, 200);
    assert.ok(manager.doc.find('svg'), 'server-drawn charts');
    assert.ok(manager.doc.findAll('form').some((f) => f.attr('action') === '/admin/logout'), 'the shell with logout');
    assert.equal((await admins.owner.get('/admin')).status, 200);
    const staff = await admins.staff.get('/admin');
    assert.equal(staff.status, 200);
    assert.equal(staff.doc.find('svg'), null, 'staff see the landing page');
    assert.equal((await admins.staff.get('/admin/dashboard.csv')).status, 403);
    assert.equal((await admins.manager.get('/admin?days=0')).status, 400);
    assert.equal((await admins.manager.get('/admin?from=2026-13-01')).status, 400);
  });

  it('moves after a paid order', async () => {
    const before = await todayRow();
    const { order } = await paidOrder();
    const after = await todayRow();
    assert.equal(after.orders, before.orders + 1);
    assert.equal(after.revenue, before.revenue + order.totals.total);
  });
});

describe('event capture', () => {
  it('records page and product views, add to cart, checkout and payment under one visitor', async () => {
    const headers = { 'cf-connecting-ip': '203.0.113.77', 'user-agent': `funnel-test-${Date.now()}` };
    const [v] = pool.take(1);
    const since = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await shop.request('/', { headers })).status, 200);
    assert.equal((await shop.request(`/p/${v.slug}`, { headers })).status, 200);
    const cart = (await s.api('POST', '/api/v1/carts', { headers })).json;
    const added = await s.api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id: v.id, quantity: 1 }, headers: { ...headers, 'x-cart-token': cart.token } });
    assert.equal(added.status, 201);
    const checkout = await s.api('POST', `/api/v1/carts/${cart.id}/checkout`, { body: checkoutBody(), headers: { ...headers, 'x-cart-token': cart.token, 'idempotency-key': `k${Date.now()}` } });
    assert.equal(checkout.status, 201);
    const order = checkout.json.order;
    assert.equal((await s.pay(order)).status, 200);
    const visitor = (await waitFor('the checkout event', async () => (await shop.sql(`SELECT visitor FROM shop_events WHERE kind = 'checkout_started' AND order_id = '${order.id}'`))[0])).visitor;
    assert.match(visitor, /^[0-9a-f]{24}$/, 'a keyed hash, not the address');
    const kinds = await waitFor('the funnel events', async () => {
      const r = await shop.sql(`SELECT kind, product_id, order_id FROM shop_events WHERE visitor = '${visitor}' AND at >= ${since}`);
      const ok = r.some((e) => e.kind === 'page_viewed')
        && r.some((e) => e.kind === 'product_viewed' && e.product_id === v.product_id)
        && r.some((e) => e.kind === 'added_to_cart' && e.product_id === v.product_id)
        && r.some((e) => e.kind === 'order_paid' && e.order_id === order.id);
      return ok ? r.map((e) => e.kind) : null;
    });
    assert.equal(kinds.filter((k) => k === 'order_paid').length, 1, 'paid once, credited to the shopper');
    assert.equal((await s.pay(order)).status, 200, 'a redelivered payment…');
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM shop_events WHERE kind = 'order_paid' AND order_id = '${order.id}'`))[0].n, 1, '…records nothing twice');
  });
});
