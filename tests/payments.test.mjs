// The four real gateways against their local fakes (tests/support/fakes/), which check the shop's
// signatures, keys and idempotency headers as the providers document them: a full payment through
// each (checkout → redirect → provider page → notification or status query → paid), duplicate,
// out-of-order, late and forged notifications, a declined payment and another method, and refunds
// (full, partial, idempotent, never more than paid). Expected values come from the database, the
// order API and the fakes' own records.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { QRPay } from 'vietnam-qr-pay';

import { adminsByRole } from './support/admins.mjs';
import { PHONE, openPage, useBrowser } from './support/browser.mjs';
import { startGatewayFakes, signStripe } from './support/fakes/index.mjs';
import { startPushFake } from './support/fakes/push.mjs';
import { startZnsFake } from './support/fakes/zns.mjs';
import { decodeSvgQr } from './support/qr.mjs';
import { parseHtml } from './support/html.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { assertStockReconciles, checkoutBody, cookiesOf, newKey, variantPool, waitFor } from './support/shopping.mjs';

const pool = variantPool();
// One shop has one owner: the admins are made once and shared by the tests that need them.
let admins_;
const adminsOnce = () => (admins_ ??= adminsByRole(shop));
let fakes;
let push;
let zns;

beforeAll(async () => {
  fakes = await startGatewayFakes();
  push = await startPushFake();
  zns = await startZnsFake();
});
useShop(() => ({ vars: { ...fakes.vars, ...push.vars, ...zns.vars } }));
useBrowser();
beforeAll(() => fakes.connect(shop.url));
after(async () => {
  await Promise.all([fakes?.stop(), push?.stop(), zns?.stop()]);
});

/** Places an order for one unit of a fresh variant, paid with `provider`; returns { order, token, payUrl }. */
async function order(provider, quantity = 1) {
  const [v] = pool.take(1);
  const { order: o, res } = await s.placeOrder([[v.id, quantity]], checkoutBody({ payment_provider: provider }));
  const payUrl = new URL(res.json.payment.redirect_url);
  assert.equal(payUrl.pathname, `/pay/${provider}/${o.payments[0].id}`);
  return { order: o, token: o.access_token ?? res.json.order.access_token, payPath: payUrl.pathname + payUrl.search, variant: v };
}

/** Follows the shop's pay link: the shop creates the provider's payment and redirects there. */
async function toProvider(payPath) {
  const res = await shop.get(payPath);
  assert.equal(res.status, 303, res.text.slice(0, 300));
  return res.headers.get('location');
}

/** POSTs a fake's hosted-page form and returns where it sends the shopper back. */
async function onProviderPage(url) {
  const res = await fetch(url, { method: 'POST', redirect: 'manual' });
  assert.equal(res.status, 303, await res.text());
  return res.headers.get('location');
}

async function orderJson(o, token) {
  const res = await s.getOrder(o.id, token);
  assert.equal(res.status, 200, res.text);
  return res.json.order;
}

async function paidEvents(orderId) {
  return shop.sql(`SELECT to_status, actor FROM order_events WHERE order_id = '${orderId}' AND to_status = 'paid'`);
}

/**
 * The stock ledger must explain every unit. A refund gives money back, not stock (the state machine's
 * refund moves have no stock effect: returned goods are restocked by hand), so a fully refunded
 * order's units stay sold; the shared ledger counts only paid statuses as sold, hence the baseline.
 */
async function stockReconciles() {
  const rows = await shop.sql("SELECT l.variant_id AS id, SUM(l.quantity) AS q FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status = 'refunded' GROUP BY l.variant_id");
  const refunded = new Map(rows.map((r) => [r.id, r.q]));
  await assertStockReconciles(assert, shop, (id) => pool.seedOnHand(id) - (refunded.get(id) ?? 0));
}

function refund(orderId, body, key = newKey()) {
  return s.internal('POST', `/internal/orders/${orderId}/refunds`, body, key ? { 'idempotency-key': key } : {});
}

describe('checkout offers every configured gateway', () => {
  it('lists the sandbox, the four gateways, the bank transfer and cash on delivery, and refuses an unknown provider', async () => {
    const cart = await s.createCart();
    const [v] = pool.take(1);
    await s.addItem(cart, v.id, 1);
    const bad = await s.checkout(cart, checkoutBody({ payment_provider: 'vnpay' }));
    assert.equal(bad.status, 400);
    assert.ok(bad.json.error.fields.payment_provider, bad.text);
    const { header } = cookiesOf(await s.postForm('/cart/items', { variant_id: v.id, quantity: 1 }));
    const page = await s.getPage('/checkout', header);
    const offered = page.doc.findAll('input[name="payment_provider"]').map((i) => i.attr('value'));
    assert.deepEqual(offered, ['sandbox', 'stripe', 'paypal', 'momo', 'zalopay', 'bank', 'cod']);
  });
});

describe('Stripe Checkout', () => {
  it('pays through the hosted page and the signed webhook, charging the order total in đồng', async () => {
    const { order: o, token, payPath } = await order('stripe', 2);
    const hosted = await toProvider(payPath);
    assert.ok(hosted.startsWith(fakes.stripe.url), hosted);
    const session = fakes.stripe.sessionOf(o.payments[0].id);
    assert.equal(session.amount_total, o.totals.total, 'VND is zero-decimal: the amount is the total in đồng');
    assert.equal(session.client_reference_id, o.id);
    const create = fakes.stripe.requests.find((r) => r.path === '/v1/checkout/sessions' && r.body.includes(o.payments[0].id));
    assert.equal(create.headers['idempotency-key'], `session-${o.payments[0].id}`);
    // A second click on "pay" reuses the session.
    assert.equal(await toProvider(payPath), hosted);
    const back = await onProviderPage(`${hosted}/complete`);
    assert.ok(back.startsWith(`${shop.url}/checkout/return/stripe?`), back);
    const ret = await shop.get(back.slice(shop.url.length));
    assert.equal(ret.status, 303);
    assert.match(ret.headers.get('location'), new RegExp(`/orders/${o.id}\\?t=`));
    const after = await orderJson(o, token);
    assert.equal(after.status, 'paid');
    assert.equal(after.payments[0].status, 'succeeded');
    await stockReconciles();
  });

  it('applies one event delivered ten times, and two events for one payment, once', async () => {
    const { order: o, payPath } = await order('stripe');
    await toProvider(payPath);
    const session = fakes.stripe.sessionOf(o.payments[0].id);
    const { body } = await fakes.stripe.complete(session.id, { deliver: false });
    const answers = [];
    for (let i = 0; i < 10; i += 1) answers.push((await fakes.stripe.send(body)).status);
    assert.deepEqual(answers, Array(10).fill(200));
    // A different event (new id) for the same payment changes nothing either.
    assert.equal((await fakes.stripe.send(fakes.stripe.event('checkout.session.completed', session))).status, 200);
    assert.equal((await paidEvents(o.id)).length, 1);
    const [events] = await shop.sqlAll(`SELECT COUNT(*) AS n FROM payment_events WHERE payment_id = '${o.payments[0].id}'`);
    assert.equal(events[0].n, 2, 'each distinct event recorded once');
  });

  it('ends paid when "expired" is delivered before "completed"', async () => {
    const { order: o, token, payPath } = await order('stripe');
    await toProvider(payPath);
    const session = fakes.stripe.sessionOf(o.payments[0].id);
    const expired = fakes.stripe.event('checkout.session.expired', { ...session, status: 'expired' });
    const { body: completed } = await fakes.stripe.complete(session.id, { deliver: false });
    assert.equal((await fakes.stripe.send(expired)).status, 200);
    assert.equal((await orderJson(o, token)).payments[0].status, 'cancelled');
    assert.equal((await fakes.stripe.send(completed)).status, 200);
    const after = await orderJson(o, token);
    assert.equal(after.status, 'paid');
    assert.equal(after.payments[0].status, 'succeeded');
  });

  it('refuses forged, tampered, stale and unknown notifications and changes nothing', async () => {
    const { order: o, token, payPath } = await order('stripe');
    await toProvider(payPath);
    const session = fakes.stripe.sessionOf(o.payments[0].id);
    const { body } = await fakes.stripe.complete(session.id, { deliver: false });
    const attempts = [
      ['no signature', body, null],
      ['wrong secret', body, signStripe('whsec_wrong', body)],
      ['tampered body', body.replace(`"amount_total":${o.totals.total}`, '"amount_total":1'), signStripe(fakes.stripe.webhookSecret, body)],
      ['stale timestamp', body, signStripe(fakes.stripe.webhookSecret, body, Math.floor(Date.now() / 1000) - 301)],
    ];
    for (const [what, b, signature] of attempts) {
      const res = await fakes.stripe.send(b, { signature });
      assert.equal(res.status, 400, `${what}: ${res.text}`);
    }
    // Correctly signed, but the amount is not the order's: rejected and logged.
    const wrongAmount = fakes.stripe.event('checkout.session.completed', { ...session, amount_total: 1000 });
    assert.equal((await fakes.stripe.send(wrongAmount)).status, 400);
    const unknown = fakes.stripe.event('checkout.session.completed', { ...session, metadata: { payment_id: 'f'.repeat(32) } });
    assert.equal((await fakes.stripe.send(unknown)).status, 404);
    assert.equal((await orderJson(o, token)).status, 'pending_payment');
  });

  it('a payment completed after the order expired takes the stock again, and the sweep closes stale sessions', async () => {
    const { order: o, token, payPath } = await order('stripe');
    await toProvider(payPath);
    const session = fakes.stripe.sessionOf(o.payments[0].id);
    const { body } = await fakes.stripe.complete(session.id, { deliver: false });
    session.status = 'open';
    await shop.sql(`UPDATE orders SET expires_at = 1 WHERE id = '${o.id}'`);
    const sweep = await s.sweep();
    assert.equal(sweep.status, 200, sweep.text);
    assert.equal(sweep.json.closed_sessions >= 1, true, sweep.text);
    assert.equal(fakes.stripe.sessions.get(session.id).status, 'expired', 'the session was expired at Stripe');
    assert.equal((await orderJson(o, token)).status, 'expired');
    assert.equal((await fakes.stripe.send(body)).status, 200);
    assert.equal((await orderJson(o, token)).status, 'paid', 'a late payment is never lost');
    await stockReconciles();
  });

  it('refunds partially and fully, once per key, never more than was paid', async () => {
    const { order: o, token, payPath } = await order('stripe', 2);
    const hosted = await toProvider(payPath);
    await onProviderPage(`${hosted}/complete`);
    const total = o.totals.total;
    const part = Math.floor(total / 3);
    assert.equal((await s.api('POST', `/internal/orders/${o.id}/refunds`, { body: { amount: part } })).status, 404, 'needs the internal token');
    assert.equal((await refund(o.id, { amount: part }, null)).status, 400, 'needs an idempotency key');
    const key = newKey();
    const first = await refund(o.id, { amount: part, reason: 'one vest returned' }, key);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.json.order.status, 'partially_refunded');
    assert.equal(first.json.order.refunded_total, part);
    const again = await refund(o.id, { amount: part, reason: 'one vest returned' }, key);
    assert.equal(again.status, 200);
    assert.equal(again.json.replayed, true);
    assert.equal(again.json.refund.id, first.json.refund.id);
    assert.equal(fakes.stripe.refunds.filter((r) => r.metadata.refund_id === first.json.refund.id).length, 1, 'one refund at Stripe');
    const tooMuch = await refund(o.id, { amount: total - part + 1 });
    assert.equal(tooMuch.status, 409);
    assert.equal(tooMuch.json.error.refundable, total - part);
    const rest = await refund(o.id, {});
    assert.equal(rest.status, 201, rest.text);
    assert.equal(rest.json.refund.amount, total - part);
    assert.equal(rest.json.order.status, 'refunded');
    assert.equal((await refund(o.id, { amount: 1 })).status, 409);
    const list = await s.internal('GET', `/internal/orders/${o.id}/refunds`);
    assert.deepEqual(list.json.refunds.map((r) => [r.amount, r.status]), [[part, 'succeeded'], [total - part, 'succeeded']]);
    const stripeTotal = fakes.stripe.refunds.filter((r) => r.payment_intent === fakes.stripe.sessionOf(o.payments[0].id).payment_intent).reduce((a, r) => a + r.amount, 0);
    assert.equal(stripeTotal, total);
    const after = await orderJson(o, token);
    assert.equal(after.status, 'refunded');
    assert.equal(after.refunded_total, total);
    const orderPage = await s.getPage(`/orders/${o.id}?t=${token}`);
    assert.equal(orderPage.doc.find('td[data-refunded]')?.attr('data-refunded'), String(total), 'the order page shows what was refunded');
  });
});

describe('PayPal Orders v2', () => {
  it('charges dollars at the configured rate, captures on return and records both amounts', async () => {
    const { order: o, token, payPath } = await order('paypal');
    const approve = await toProvider(payPath);
    assert.ok(approve.startsWith(`${fakes.paypal.url}/checkoutnow?token=`), approve);
    const pp = fakes.paypal.orderOf(o.payments[0].id);
    const cents = Math.round((o.totals.total * 100) / 25000);
    assert.equal(pp.purchase_units[0].amount.value, (cents / 100).toFixed(2));
    const back = await onProviderPage(`${fakes.paypal.url}/checkoutnow/${pp.id}/approve`);
    const ret = await shop.get(back.slice(shop.url.length));
    assert.equal(ret.status, 303, ret.text.slice(0, 300));
    const capture = fakes.paypal.requests.find((r) => r.path === `/v2/checkout/orders/${pp.id}/capture`);
    assert.equal(capture.headers['paypal-request-id'], `capture-${o.payments[0].id}`);
    const after = await orderJson(o, token);
    assert.equal(after.status, 'paid');
    const [row] = await shop.sql(`SELECT amount, currency, provider_amount, provider_currency, fx_rate, charge_id FROM payments WHERE id = '${o.payments[0].id}'`);
    assert.deepEqual(row, { amount: o.totals.total, currency: 'VND', provider_amount: cents, provider_currency: 'USD', fx_rate: '25000', charge_id: pp.purchase_units[0].payments.captures[0].id });
    // PayPal's own webhook for the same capture, verified through its API: no second change.
    const dup = await fakes.paypal.sendWebhook(fakes.paypal.captureEvent(pp));
    assert.equal(dup.status, 200, dup.text);
    assert.equal((await paidEvents(o.id)).length, 1);
    const forged = await fakes.paypal.sendWebhook(fakes.paypal.captureEvent(pp), { forged: true });
    assert.equal(forged.status, 400);
    // A partial refund in dollars, proportional.
    const r = await refund(o.id, { amount: Math.floor(o.totals.total / 2) });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.refund.provider_currency, 'USD');
    assert.equal(fakes.paypal.refunds.at(-1).cents, r.json.refund.provider_amount);
  });

  it('a completed order whose capture was declined is not paid, and the shopper may pay another way', async () => {
    const { order: o, token, payPath } = await order('paypal');
    await toProvider(payPath);
    const pp = fakes.paypal.orderOf(o.payments[0].id);
    const back = await onProviderPage(`${fakes.paypal.url}/checkoutnow/${pp.id}/approve`);
    fakes.paypal.declineNext = true;
    const ret = await shop.get(back.slice(shop.url.length));
    assert.equal(ret.status, 303);
    assert.match(ret.headers.get('location'), /payment=failed/);
    const after = await orderJson(o, token);
    assert.equal(after.status, 'pending_payment');
    assert.equal(after.payments[0].status, 'failed');
    const page = await s.getPage(ret.headers.get('location').replace(shop.url, ''));
    assert.ok(page.doc.find('form.pay-with'), 'the order page offers the other methods');
  });

  it('a webhook for a captured payment marks it paid when the shopper never came back', async () => {
    const { order: o, token, payPath } = await order('paypal');
    await toProvider(payPath);
    const pp = fakes.paypal.orderOf(o.payments[0].id);
    const unit = pp.purchase_units[0];
    unit.payments = { captures: [{ id: 'CAPLATE1', status: 'COMPLETED', amount: unit.amount, custom_id: unit.custom_id }] };
    const res = await fakes.paypal.sendWebhook(fakes.paypal.captureEvent(pp));
    assert.equal(res.status, 200, res.text);
    assert.equal((await orderJson(o, token)).status, 'paid');
  });
});

describe('MoMo captureWallet', () => {
  it('pays by IPN (answered 204) and the return page shows the paid order', async () => {
    const { order: o, token, payPath } = await order('momo');
    const payUrl = await toProvider(payPath);
    assert.equal(payUrl, `${fakes.momo.url}/pay/${o.payments[0].id}`);
    const back = await onProviderPage(`${payUrl}/0`);
    assert.equal(fakes.momo.ipns.at(-1).status, 204);
    const ret = await shop.get(back.slice(shop.url.length));
    assert.equal(ret.status, 303);
    assert.equal((await orderJson(o, token)).status, 'paid');
    // The same IPN again, and a forged one: nothing changes.
    assert.equal((await fakes.momo.sendIpn(fakes.momo.ipn(o.payments[0].id))).status, 204);
    assert.equal((await fakes.momo.sendIpn(fakes.momo.ipn(o.payments[0].id, { forge: true }))).status, 400);
    assert.equal((await paidEvents(o.id)).length, 1);
    const full = await refund(o.id, {});
    assert.equal(full.status, 201, full.text);
    assert.equal(full.json.order.status, 'refunded');
    assert.equal(fakes.momo.refunds.length, 1);
  });

  it('asks MoMo on return when the IPN is late', async () => {
    const { order: o, token, payPath } = await order('momo');
    await toProvider(payPath);
    fakes.momo.autoDeliver = false;
    try {
      const pending = await shop.get(`/checkout/return/momo?p=${o.payments[0].id}&t=${token}`);
      assert.equal(pending.status, 200);
      assert.match(pending.text, /Đang xác nhận thanh toán/);
      assert.match(pending.headers.get('refresh') ?? '', /^3; url=/);
      await fakes.momo.settle(o.payments[0].id, 0);
      const ret = await shop.get(`/checkout/return/momo?p=${o.payments[0].id}&t=${token}`);
      assert.equal(ret.status, 303);
      assert.equal((await orderJson(o, token)).status, 'paid');
    } finally {
      fakes.momo.autoDeliver = true;
    }
  });

  it('a declined payment returns the shopper with the reason, the stock still reserved, and another method works', async () => {
    const { order: o, token, payPath, variant } = await order('momo');
    const payUrl = await toProvider(payPath);
    const back = await onProviderPage(`${payUrl}/1001`);
    const ret = await shop.get(back.slice(shop.url.length));
    assert.equal(ret.status, 303);
    const location = ret.headers.get('location');
    assert.match(location, /payment=failed&code=1001/);
    const page = await s.getPage(location.replace(shop.url, ''));
    assert.match(page.text, /không đủ số dư/);
    const [held] = await shop.sql(`SELECT reserved FROM variants WHERE id = ${variant.id}`);
    assert.ok(held.reserved >= 1, 'the order still holds its unit');
    // Pay with ZaloPay instead.
    const pick = await s.postForm(`/orders/${o.id}/pay`, { provider: 'zalopay', t: token });
    assert.equal(pick.status, 303);
    const zaloPath = new URL(pick.headers.get('location'), shop.url);
    assert.match(zaloPath.pathname, /^\/pay\/zalopay\/[0-9a-f]{32}$/);
    const zaloUrl = await toProvider(zaloPath.pathname + zaloPath.search);
    await onProviderPage(`${zaloUrl}/pay`);
    const after = await orderJson(o, token);
    assert.equal(after.status, 'paid');
    assert.deepEqual(after.payments.map((p) => [p.provider, p.status]), [['momo', 'failed'], ['zalopay', 'succeeded']]);
    await stockReconciles();
  });
});

describe('ZaloPay v2', () => {
  it('pays by callback with the documented return codes, and asks ZaloPay when the callback is late', async () => {
    const { order: o, token, payPath } = await order('zalopay');
    const payUrl = await toProvider(payPath);
    const transId = decodeURIComponent(payUrl.split('/pay/')[1]);
    assert.match(transId, /^\d{6}_[0-9a-f]{32}$/);
    // Forged callback first: -1, nothing changes.
    fakes.zalopay.orders.get(transId).zp_trans_id = 123;
    const forged = await fakes.zalopay.sendCallback(fakes.zalopay.callbackBody(transId, { key: 'wrong-key' }));
    assert.deepEqual(forged.json, { return_code: -1, return_message: 'mac not equal' });
    const wrongAmount = await fakes.zalopay.sendCallback(fakes.zalopay.callbackBody(transId, { amount: 1000 }));
    assert.equal(wrongAmount.json.return_code, 0);
    assert.equal((await orderJson(o, token)).status, 'pending_payment');
    await fakes.zalopay.pay(transId);
    assert.equal(fakes.zalopay.callbacks.at(-1).json.return_code, 1);
    assert.equal((await fakes.zalopay.sendCallback(fakes.zalopay.callbackBody(transId))).json.return_code, 2, 'a repeated callback');
    assert.equal((await orderJson(o, token)).status, 'paid');
    const part = await refund(o.id, { amount: 10_000 });
    assert.equal(part.status, 201, part.text);
    assert.equal(part.json.order.status, 'partially_refunded');
    assert.match(fakes.zalopay.refunds.at(-1).m_refund_id, new RegExp(`^\\d{6}_${fakes.zalopay.appId}_`));

    const late = await order('zalopay');
    const lateUrl = await toProvider(late.payPath);
    const lateId = decodeURIComponent(lateUrl.split('/pay/')[1]);
    await fakes.zalopay.pay(lateId, { deliver: false });
    const ret = await shop.get(`/checkout/return/zalopay?p=${late.order.payments[0].id}&t=${late.token}`);
    assert.equal(ret.status, 303, ret.text.slice(0, 200));
    assert.equal((await orderJson(late.order, late.token)).status, 'paid');
  });
});

describe('Bank transfer with VietQR', () => {
  /** A bank-transfer order for one unit; its memo is its number without the dash. */
  async function bankOrder() {
    const [v] = pool.take(1);
    const { order: o, res } = await s.placeOrder([[v.id, 1]], checkoutBody({ payment_provider: 'bank' }));
    assert.equal(res.json.payment.provider, 'bank');
    assert.equal(res.json.payment.redirect_url, null, 'paid from the order page, not a provider page');
    return { order: o, token: o.access_token ?? res.json.order.access_token, memo: o.number.replace('-', ''), variant: v };
  }

  const countOf = async (sql) => (await shop.sql(sql))[0].n;

  it('holds the order for BANK_TRANSFER_TTL_SECONDS; an exact transfer with the memo pays it once, a redelivery has no second effect', async () => {
    const { order: o, token, memo } = await bankOrder();
    const waits = (Date.parse(o.expires_at) - Date.parse(o.created_at)) / 1000;
    assert.ok(Math.abs(waits - 7200) <= 2, `waits ${waits} s`);
    const tx = fakes.bank.transaction({ amount: o.totals.total, content: `MBVCB.5512 ${memo.toLowerCase()} chuyen tien` });
    const first = await fakes.bank.deliver(tx);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.success, true);
    assert.equal((await orderJson(o, token)).status, 'paid');
    const again = await fakes.bank.deliver(tx);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual([again.json.success, again.json.outcome], [true, 'duplicate']);
    const [counts] = await shop.sql(`SELECT (SELECT COUNT(*) FROM order_events WHERE order_id = '${o.id}' AND to_status = 'paid') AS paid,
      (SELECT COUNT(*) FROM payment_events WHERE provider = 'bank' AND event_id = '${tx.id}') AS events`);
    assert.deepEqual({ ...counts }, { paid: 1, events: 1 });
    await stockReconciles();
  });

  it('a guest who places and pays gets the confirmation and the payment mails through Resend, once each', async () => {
    const email = `guest.${newKey().slice(0, 8)}@example.vn`;
    const [v] = pool.take(1);
    const { order: o, res } = await s.placeOrder([[v.id, 1]], checkoutBody({ payment_provider: 'bank', email }));
    const token = o.access_token ?? res.json.order.access_token;
    const memo = o.number.replace('-', '');
    // Delivered right after the checkout (waitUntil), without a cron pass.
    const [placed] = await waitFor('the order mail', () => fakes.resend.to(email).length >= 1 && fakes.resend.to(email));
    assert.match(placed.subject, new RegExp(`^Đã nhận đơn hàng — ${o.number}`));
    for (const part of [placed.text, placed.html]) {
      assert.ok(part.includes(`${shop.url}/orders/${o.id}?t=${token}`), 'the order link');
      assert.ok(part.includes(fakes.bank.vars.VIETQR_ACCOUNT_NO) && part.includes(memo), 'the transfer details');
    }
    assert.match(placed.idempotencyKey, new RegExp(`^order_placed:${o.id}/email/\\d+$`));
    const tx = fakes.bank.transaction({ amount: o.totals.total, content: `chuyen tien ${memo}` });
    assert.equal((await fakes.bank.deliver(tx)).status, 200);
    // Two delivery passes at the same moment as the one the payment started: the mail goes once.
    const runs = await Promise.all([s.internal('POST', '/internal/outbox/run'), s.internal('POST', '/internal/outbox/run')]);
    for (const run of runs) assert.equal(run.status, 200, run.text);
    const mails = await waitFor('the payment mail', () => fakes.resend.to(email).length >= 2 && fakes.resend.to(email));
    assert.match(mails[1].subject, /^Đã nhận thanh toán/);
    // Another pass, and a redelivered payment, send nothing more.
    assert.equal((await fakes.bank.deliver(tx)).status, 200);
    const run = await s.internal('POST', '/internal/outbox/run');
    assert.equal(run.status, 200, run.text);
    const listed = await s.internal('GET', `/internal/outbox?to=${encodeURIComponent(email)}`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.messages.map((m) => [m.kind, m.channel, m.to, m.status, m.attempts]), [
      ['order_placed', 'email', email, 'sent', 1],
      ['order_paid', 'email', email, 'sent', 1],
    ]);
    assert.ok(listed.json.messages.every((m) => Object.keys(m).sort().join() === 'attempts,channel,created_at,id,kind,sent_at,status,to' && m.sent_at >= m.created_at));
    assert.equal(fakes.resend.to(email).length, 2);
    assert.equal((await s.api('GET', `/internal/outbox?to=${encodeURIComponent(email)}`)).status, 404, 'without the internal token the area does not exist');
  });

  it('two deliveries of one transaction at the same moment have one effect', async () => {
    const { order: o, token, memo } = await bankOrder();
    const tx = fakes.bank.transaction({ amount: o.totals.total, content: memo });
    const answers = await Promise.all([fakes.bank.deliver(tx), fakes.bank.deliver(tx), fakes.bank.deliver(tx)]);
    for (const a of answers) assert.deepEqual([a.status, a.json?.success], [200, true], a.text);
    assert.equal(answers.filter((a) => a.json.outcome === 'paid').length, 1, answers.map((a) => a.json.outcome).join());
    assert.equal((await orderJson(o, token)).status, 'paid');
    const [counts] = await shop.sql(`SELECT (SELECT COUNT(*) FROM order_events WHERE order_id = '${o.id}' AND to_status = 'paid') AS paid,
      (SELECT COUNT(*) FROM bank_transactions WHERE id = '${tx.id}') AS stored`);
    assert.deepEqual({ ...counts }, { paid: 1, stored: 1 });
    await stockReconciles();
  });

  it('refuses a wrong or missing key with 401 and stores nothing; another account\'s money pays nothing', async () => {
    const { order: o, token, memo } = await bankOrder();
    const refused = [];
    for (const key of [null, 'wrong', `${fakes.bank.apiKey}x`]) {
      const tx = fakes.bank.transaction({ amount: o.totals.total, content: memo });
      const res = await fakes.bank.deliver(tx, { key });
      assert.equal(res.status, 401, `${key}: ${res.text}`);
      refused.push(`'${tx.id}'`);
    }
    const elsewhere = fakes.bank.transaction({ amount: o.totals.total, content: memo, accountNumber: '0071000999999' });
    const other = await fakes.bank.deliver(elsewhere);
    assert.deepEqual([other.status, other.json.outcome], [200, 'other_account'], 'money into another account of the feed pays nothing');
    const bearer = await fetch(`${shop.url}/webhooks/bank`, { method: 'POST', headers: { authorization: `Bearer ${fakes.bank.apiKey}` }, body: '{}' });
    assert.equal(bearer.status, 401);
    assert.equal((await orderJson(o, token)).status, 'pending_payment');
    assert.equal(await countOf(`SELECT COUNT(*) AS n FROM bank_transactions WHERE id IN (${refused.join(', ')}, '${elsewhere.id}')`), 0, 'nothing stored');
  });

  it('an under-payment waits in the admin queue, and a manager matches it to the order (audited)', async () => {
    const { order: o, token, memo } = await bankOrder();
    const short = fakes.bank.transaction({ amount: o.totals.total - 10_000, content: `${memo} thieu` });
    const queued = await fakes.bank.deliver(short);
    assert.deepEqual([queued.status, queued.json.success, queued.json.outcome], [200, true, 'queued:underpaid']);
    const stranger = fakes.bank.transaction({ amount: 123_000, content: 'chuyen tien hang' });
    assert.equal((await fakes.bank.deliver(stranger)).json.outcome, 'queued:unknown_memo');
    assert.equal((await orderJson(o, token)).status, 'pending_payment', 'nothing applied');

    const admins = await adminsOnce();
    const list = await admins.staff.get('/admin/bank-transfers');
    assert.equal(list.status, 200);
    assert.ok(list.doc.find(`tr[data-transaction="${short.id}"] td[data-reason="underpaid"]`), 'the short transfer waits with its reason');
    assert.ok(list.doc.find(`tr[data-transaction="${stranger.id}"]`));
    assert.equal(list.doc.find(`form[action="/admin/bank-transfers/${short.id}/match"]`), null, 'staff may look, not match');
    const csrf = await admins.manager.token('/admin/bank-transfers', `/admin/bank-transfers/${short.id}/match`);
    const refused = await admins.staff.submit(`/admin/bank-transfers/${short.id}/match`, { order_number: o.number }, { csrf: await admins.staff.csrf() });
    assert.equal(refused.status, 403);

    const matched = await admins.manager.submit(`/admin/bank-transfers/${short.id}/match`, { order_number: o.number }, { csrf });
    assert.equal(matched.status, 303, matched.text.slice(0, 300));
    assert.equal((await orderJson(o, token)).status, 'paid');
    const [[audit], paid] = await shop.sqlAll(`SELECT actor_email, after FROM audit_log WHERE action = 'bank_transfer.match' AND entity_id = '${short.id}';
      SELECT to_status FROM order_events WHERE order_id = '${o.id}' AND to_status = 'paid'`);
    assert.equal(paid.length, 1);
    assert.equal(audit.actor_email, admins.emails.manager);
    assert.equal(JSON.parse(audit.after).order, o.number);
    const after = await admins.manager.get('/admin/bank-transfers');
    assert.equal(after.doc.find(`tr[data-transaction="${short.id}"]`), null, 'no longer waiting');
    const twice = await admins.manager.submit(`/admin/bank-transfers/${short.id}/match`, { order_number: o.number }, { csrf });
    assert.equal(twice.status, 404, 'matched once');
    assert.equal((await orderJson(o, token)).status, 'paid');
    await stockReconciles();
  });

  it('the order page shows, at phone size, a VietQR code that decodes to the transfer, and the same details as text', async () => {
    const { order: o, token, memo } = await bankOrder();
    const expected = QRPay.initVietQR({ bankBin: fakes.bank.bankBin, bankNumber: fakes.bank.accountNo, amount: String(o.totals.total), purpose: memo }).build();
    const { page, assertClean } = await openPage(PHONE);
    await page.goto(`${shop.url}/orders/${o.id}?t=${token}`);
    const svg = await page.locator('.bank-transfer .bank-qr svg').evaluate((e) => e.outerHTML);
    const box = await page.locator('.bank-transfer .bank-qr svg').boundingBox();
    assert.ok(box.width <= 390 && box.width >= 150, `drawn ${box.width} px wide`);
    assert.equal(await decodeSvgQr(page, svg, Math.round(box.width)), expected);
    const field = (name) => page.locator(`.bank-details [data-field="${name}"] .value`).innerText();
    assert.equal(await field('account'), fakes.bank.accountNo);
    assert.equal(await field('name'), fakes.bank.accountName);
    assert.equal(await field('bank'), 'Vietcombank');
    assert.equal(await field('memo'), memo);
    assert.match(await field('amount'), new RegExp(o.totals.total.toLocaleString('de-DE').replace(/\./g, '\\.')));
    const copy = page.locator('.bank-details [data-field="memo"] button[data-copy]');
    assert.ok(await copy.isVisible(), 'app.js shows the copy buttons');
    assert.equal(await copy.getAttribute('data-copy'), memo);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: shop.url });
    await copy.click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), memo);
    await assertClean();
  });
});

describe('order messages by Web Push and Zalo ZNS', () => {
  /** A bank-transfer order for one unit (`overrides` to the checkout body); paid by `pay()`. */
  async function bankOrder(overrides = {}) {
    const [v] = pool.take(1);
    const { order: o, res } = await s.placeOrder([[v.id, 1]], checkoutBody({ payment_provider: 'bank', ...overrides }));
    const token = o.access_token ?? res.json.order.access_token;
    const pay = async () => assert.equal((await fakes.bank.deliver(fakes.bank.transaction({ amount: o.totals.total, content: o.number.replace('-', '') }))).status, 200);
    return { order: o, token, pay, page: `/orders/${o.id}?t=${token}` };
  }

  const subscribe = (o, token, page, fields) => s.postForm(`/orders/${o.id}/push`, { t: token, ...fields }, { tokenPage: page });
  const listed = async (to) => (await s.internal('GET', `/internal/outbox?to=${encodeURIComponent(to)}`)).json.messages;

  it('a browser that opts in on the order page gets the payment confirmation by push, encrypted for it; bad subscriptions are 422', async () => {
    const { order: o, token, pay, page } = await bankOrder();
    // The opt-in is a button the script shows; nothing asks on page load.
    const form = (await s.getPage(page)).doc.find('form[data-push-key]');
    assert.equal(form.attr('data-push-key'), push.vapidPublicKey, 'the public key of the shop\'s VAPID key');
    assert.notEqual(form.attr('hidden'), undefined, 'hidden until the script finds push support');
    const browser = push.subscribe();
    for (const [fields, why] of [
      [{ endpoint: 'http://push.example.com/send/1', ...browser.keys }, 'http'],
      [{ endpoint: 'https://127.0.0.1/send/1', ...browser.keys }, 'loopback'],
      [{ endpoint: 'https://10.1.2.3/send/1', ...browser.keys }, 'private'],
      [{ endpoint: 'https://169.254.169.254/latest', ...browser.keys }, 'link-local'],
      [{ endpoint: `${push.url}x/push/1`, ...browser.keys }, 'not a configured test origin'],
      [{ endpoint: browser.endpoint, p256dh: 'AAAA', auth: browser.keys.auth }, 'bad key'],
      [{ endpoint: browser.endpoint, p256dh: browser.keys.p256dh, auth: 'AAAA' }, 'bad auth'],
    ]) {
      const res = await subscribe(o, token, page, fields);
      assert.equal(res.status, 422, `${why}: ${res.status}`);
    }
    assert.equal((await subscribe(o, 'not-the-token', page, { endpoint: browser.endpoint, ...browser.keys })).status, 404);
    assert.equal((await shop.sql(`SELECT COUNT(*) AS n FROM push_subscriptions WHERE owner = 'order:${o.id}'`))[0].n, 0);
    const ok = await subscribe(o, token, page, { endpoint: browser.endpoint, ...browser.keys });
    assert.equal(ok.status, 204, ok.text.slice(0, 300));
    await pay();
    const [shown] = await waitFor('the push', () => push.to(browser.endpoint).length >= 1 && push.to(browser.endpoint));
    assert.match(shown.title, new RegExp(`^Đã nhận thanh toán — ${o.number}$`));
    assert.equal(shown.url, `${shop.url}/orders/${o.id}?t=${token}`);
    assert.deepEqual(push.refused, [], 'every VAPID token was valid');
    assert.deepEqual((await listed(browser.endpoint)).map((m) => [m.kind, m.channel, m.status]), [['order_paid', 'push', 'sent']]);
    // Its email went too, once.
    await waitFor('the payment mail', () => fakes.resend.to(o.email ?? 'an.nguyen@example.vn').some((m) => m.subject.includes(o.number) && m.subject.startsWith('Đã nhận thanh toán')));
  });

  it('a subscription the push service says is gone (410) is removed, and its message is not retried', async () => {
    const { order: o, token, pay, page } = await bankOrder();
    const browser = push.subscribe();
    assert.equal((await subscribe(o, token, page, { endpoint: browser.endpoint, ...browser.keys })).status, 204);
    push.answer(browser.id, 410);
    await pay();
    await waitFor('the subscription removed', async () => (await shop.sql(`SELECT COUNT(*) AS n FROM push_subscriptions WHERE endpoint = '${browser.endpoint}'`))[0].n === 0);
    assert.deepEqual((await listed(browser.endpoint)).map((m) => [m.kind, m.status, m.attempts]), [['order_paid', 'dead', 1]]);
    assert.deepEqual(push.to(browser.endpoint), []);
  });

  it('a buyer who left only a phone gets the order and payment messages by Zalo ZNS', async () => {
    const digits = `9${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const { order: o, pay } = await bankOrder({ email: '', phone: `0${digits}` });
    const [placed] = await waitFor('the ZNS order message', () => zns.to(`84${digits}`).length >= 1 && zns.to(`84${digits}`));
    assert.equal(placed.template_id, zns.vars.ZNS_TEMPLATE_ID);
    assert.deepEqual([placed.template_data.order_number, placed.template_data.status], [o.number, 'Đã nhận đơn hàng']);
    assert.ok(placed.template_data.order_link.startsWith(`${shop.url}/orders/${o.id}?t=`));
    await pay();
    const both = await waitFor('the ZNS payment message', () => zns.to(`84${digits}`).length >= 2 && zns.to(`84${digits}`));
    assert.equal(both[1].template_data.status, 'Đã nhận thanh toán');
    assert.deepEqual((await listed(`+84${digits}`)).map((m) => [m.kind, m.channel, m.status]), [['order_placed', 'zns', 'sent'], ['order_paid', 'zns', 'sent']]);
    // The OA token was refreshed from ZNS_REFRESH_TOKEN (single-use) and the new pair stored.
    assert.ok(zns.refreshes.length >= 1, 'refreshed');
    assert.equal(zns.refreshes[0].refresh_token, zns.vars.ZNS_REFRESH_TOKEN);
    assert.equal(await (await shop.sql('SELECT COUNT(*) AS n FROM zns_tokens'))[0].n, 1);
  });
});

describe('Alerts, unsubscribe and the newsletter', () => {
  const countOf = async (sql) => (await shop.sql(sql))[0].n;

  it('a sold-out variant takes signups (422 on a bad email); a restock mails 3× its units, oldest first, linking to the variant, once', async () => {
    const [v] = pool.take(1);
    await shop.sql(`UPDATE variants SET on_hand = reserved WHERE id = ${v.id}`);
    pool.override(v.id, (await s.stock([v]))[v.id].on_hand);
    const productPage = `/p/${v.slug}?variant=${encodeURIComponent(v.sku)}`;
    const page = await s.getPage(productPage);
    const form = page.doc.find(`form[data-alert="stock"]`);
    assert.ok(form, 'the sold-out variant offers "báo khi có hàng"');
    assert.equal(form.find('input[name="variant_id"]').attr('value'), String(v.id));
    const bad = await s.postForm('/alerts/stock', { variant_id: String(v.id), email: 'not-an-email' }, { tokenPage: productPage });
    assert.equal(bad.status, 422, bad.text.slice(0, 300));
    assert.ok(parseHtml(bad.text).find('li[data-field="email"]'), 'the page names the field');
    const tag = newKey().slice(0, 6);
    const emails = Array.from({ length: 7 }, (_, i) => `wait${i}.${tag}@example.vn`);
    for (const email of emails) {
      const res = await s.postForm('/alerts/stock', { variant_id: String(v.id), email }, { tokenPage: productPage });
      assert.equal(res.status, 200, res.text.slice(0, 300));
    }
    assert.equal(await countOf(`SELECT COUNT(*) AS n FROM alert_subscriptions WHERE variant_id = ${v.id}`), 7);
    assert.equal(await countOf(`SELECT COUNT(*) AS n FROM outbox WHERE kind = 'back_in_stock'`), 0, 'nothing sent before a restock');

    // Two units received: six alerts (3 × 2), the oldest six, in the restock's own request.
    const admins = await adminsOnce();
    const stockPage = await admins.manager.get(`/admin/stock/${v.id}`);
    const adjust = stockPage.doc.findAll('form[method="post"]').find((f) => f.attr('action') === `/admin/stock/${v.id}/adjust`);
    const fields = { delta: '2', reason: 'received', note: 'lô mới' };
    for (const input of adjust.findAll('input[type="hidden"]')) fields[input.attr('name')] = input.attr('value');
    for (let i = 0; i < 2; i += 1) {
      const res = await admins.manager.submit(`/admin/stock/${v.id}/adjust`, fields, { csrf: fields.csrf });
      assert.equal(res.status, 303, res.text.slice(0, 300));
    }
    const mails = await waitFor('six alerts', () => {
      const sent = emails.flatMap((e) => fakes.resend.to(e));
      return sent.length >= 6 && sent;
    });
    assert.deepEqual(mails.map((m) => m.to[0]).sort(), emails.slice(0, 6).sort());
    assert.equal(fakes.resend.to(emails[6]).length, 0, 'the newest signup waits for the next restock');
    const link = `${shop.url}/p/${v.slug}?variant=${encodeURIComponent(v.sku)}`;
    for (const m of mails) {
      assert.match(m.subject, /^Đã có hàng trở lại/);
      assert.ok(m.text.includes(link) && m.html.includes(link.replace(/&/g, '&amp;')), m.text);
    }
    const landed = await s.getPage(new URL(link).pathname + new URL(link).search);
    assert.equal(landed.doc.find('form.add-to-cart input[name="sku"]').attr('value'), v.sku, 'the link lands on the variant');
    const run = await s.internal('POST', '/internal/outbox/run');
    assert.equal(run.status, 200, run.text);
    assert.equal(emails.flatMap((e) => fakes.resend.to(e)).length, 6, 'a resubmitted restock and another pass send nothing more');
    assert.equal(await countOf(`SELECT COUNT(*) AS n FROM outbox WHERE kind = 'back_in_stock' AND status = 'sent'`), 6);

    // RFC 8058: each alert carries one-click unsubscribe and the signed preferences link.
    const [first] = fakes.resend.to(emails[0]);
    assert.equal(first.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    const unsubscribe = first.headers['List-Unsubscribe'].replace(/^<|>$/g, '');
    assert.ok(unsubscribe.startsWith(`${shop.url}/email/unsubscribe?t=`), unsubscribe);
    const preferences = first.text.match(/https?:\/\/\S+\/email\/preferences\?t=\S+/)?.[0];
    assert.ok(preferences, first.text);
    const oneClick = (url) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    const consent = async (email) => (await shop.sql(`SELECT status FROM marketing_consents WHERE recipient = '${email}'`))[0]?.status ?? 'none';
    const forged = new URL(unsubscribe);
    forged.searchParams.set('t', forged.searchParams.get('t').replace(/.$/, (c) => (c === '0' ? '1' : '0')));
    assert.equal((await oneClick(forged)).status, 400, 'a bad signature');
    assert.equal(await consent(emails[0]), 'none', 'nothing changed');
    assert.equal((await s.getPage(new URL(forged).pathname + new URL(forged).search)).status, 400);
    const clicked = await oneClick(unsubscribe);
    assert.equal(clicked.status, 200, await clicked.text());
    assert.equal(await consent(emails[0]), 'unsubscribed');
    const prefs = await s.getPage(new URL(preferences).pathname + new URL(preferences).search);
    assert.equal(prefs.status, 200);
    assert.equal(prefs.doc.find('section.email-preferences').attr('data-status'), 'unsubscribed');
  });

  it('"báo khi có hàng" by phone goes out by Zalo ZNS on restock; a bad phone and a push endpoint the shop does not hold are 422 with the field', async () => {
    const [v] = pool.take(1);
    await shop.sql(`UPDATE variants SET on_hand = reserved WHERE id = ${v.id}`);
    pool.override(v.id, (await s.stock([v]))[v.id].on_hand);
    const productPage = `/p/${v.slug}?variant=${encodeURIComponent(v.sku)}`;
    const form = (await s.getPage(productPage)).doc.find('form[data-alert="stock"]');
    assert.ok(form.find('input[name="channel"][value="zns"]') && form.find('input[name="phone"]') && form.find('[data-alert-push][hidden]'), 'phone offered; push only where the browser has a subscription');
    // From a client of its own: the signups of the tests around it share the 10-per-10-minutes limit.
    const post = (fields) => s.postForm('/alerts/stock', { variant_id: String(v.id), ...fields }, { tokenPage: productPage, headers: { 'cf-connecting-ip': '198.51.100.14' } });
    const badPhone = await post({ channel: 'zns', phone: '12' });
    assert.equal(badPhone.status, 422);
    assert.ok(parseHtml(badPhone.text).find('li[data-field="phone"]'));
    const unknownPush = await post({ channel: 'push', endpoint: `https://push.example/${newKey()}` });
    assert.equal(unknownPush.status, 422);
    assert.ok(parseHtml(unknownPush.text).find('li[data-field="endpoint"]'));
    const digits = `9${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    assert.equal((await post({ channel: 'zns', phone: `0${digits}` })).status, 200);
    const admins = await adminsOnce();
    const stockPage = await admins.manager.get(`/admin/stock/${v.id}`);
    const adjust = stockPage.doc.findAll('form[method="post"]').find((f) => f.attr('action') === `/admin/stock/${v.id}/adjust`);
    const fields = { delta: '1', reason: 'received', note: 'zalo' };
    for (const input of adjust.findAll('input[type="hidden"]')) fields[input.attr('name')] = input.attr('value');
    assert.equal((await admins.manager.submit(`/admin/stock/${v.id}/adjust`, fields, { csrf: fields.csrf })).status, 303);
    const [alert] = await waitFor('the ZNS alert', () => zns.to(`84${digits}`).length >= 1 && zns.to(`84${digits}`));
    assert.equal(alert.template_id, zns.vars.ZNS_ALERT_TEMPLATE_ID);
    assert.equal(alert.template_data.status, 'Đã có hàng trở lại');
    assert.equal(alert.template_data.product_link, `${shop.url}/p/${v.slug}?variant=${encodeURIComponent(v.sku)}`);
  });

  it('the footer\'s newsletter signup is double opt-in: pending until the mailed link is followed', async () => {
    assert.ok((await s.getPage('/')).doc.find('footer form.newsletter input[name="email"]'), 'the footer form');
    const post = (fields, headers = {}) => shop.request('/newsletter', {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: shop.url, 'sec-fetch-site': 'same-origin', ...headers },
    });
    const email = `news.${newKey().slice(0, 8)}@example.vn`;
    const status = async () => (await shop.sql(`SELECT status FROM marketing_consents WHERE recipient = '${email}'`))[0]?.status ?? 'none';
    const bad = await post({ email: 'news@' });
    assert.equal(bad.status, 422);
    assert.ok(parseHtml(bad.text).find('li[data-field="email"]'));
    assert.equal((await post({ email }, { origin: 'https://other.example', 'sec-fetch-site': 'cross-site' })).status, 403, 'from another site');
    assert.equal(await status(), 'none');
    for (let i = 0; i < 2; i += 1) assert.equal((await post({ email })).status, 200);
    assert.equal(await status(), 'pending');
    const [mail] = await waitFor('the confirmation', () => fakes.resend.to(email).length >= 1 && fakes.resend.to(email));
    assert.match(mail.subject, /^Xác nhận đăng ký nhận bản tin/);
    const link = new URL(mail.text.match(/https?:\/\/\S+\/newsletter\/confirm\?t=\S+/)?.[0]);
    const forged = new URL(link);
    forged.searchParams.set('t', forged.searchParams.get('t').replace(/.$/, (c) => (c === '0' ? '1' : '0')));
    assert.equal((await s.getPage(forged.pathname + forged.search)).status, 400);
    assert.equal(await status(), 'pending', 'a forged link confirms nothing');
    assert.equal((await s.getPage(link.pathname + link.search)).status, 200);
    assert.equal(await status(), 'subscribed');
    await s.internal('POST', '/internal/outbox/run');
    assert.equal(fakes.resend.to(email).length, 1, 'one confirmation for a resubmitted form');
  });

  it('a manager composes a campaign (422 names the field), previews it with its reach and sends it now; two passes mail each subscriber once with one-click unsubscribe', async () => {
    const admins = await adminsOnce();
    const tag = newKey().slice(0, 8);
    const subscribers = [`camp1.${tag}@example.vn`, `camp2.${tag}@example.vn`];
    for (const [i, email] of subscribers.entries()) {
      await shop.sql(`INSERT INTO marketing_consents (channel, recipient, locale, status, source, confirmed_at, created_at, updated_at) VALUES ('email', '${email}', '${i ? 'en' : 'vi'}', 'subscribed', 'newsletter', 1, 1, 1)`);
    }
    const pending = `camp3.${tag}@example.vn`;
    await shop.sql(`INSERT INTO marketing_consents (channel, recipient, status, source, created_at, updated_at) VALUES ('email', '${pending}', 'pending', 'newsletter', 1, 1)`);
    assert.equal((await admins.staff.get('/admin/campaigns')).status, 403, 'staff may not');
    const fields = { subject_vi: `Ưu đãi ${tag}`, subject_en: `Offer ${tag}`, body_vi: 'Giảm **20%** <b>hôm nay</b>', body_en: '**20%** off [today](https://vestify.vn/c/gile)', segment: 'subscribers' };
    const csrf = await admins.manager.csrf();
    const refused = await admins.manager.submit('/admin/campaigns', { ...fields, subject_en: '' }, { csrf });
    assert.equal(refused.status, 422);
    assert.ok(parseHtml(refused.text).find('#subject_en-error'), 'the refused field is named');
    const created = await admins.manager.submit('/admin/campaigns', fields, { csrf });
    assert.equal(created.status, 303, created.text.slice(0, 300));
    const path = new URL(created.headers.get('location'), shop.url).pathname;
    const page = await admins.manager.get(path);
    assert.equal(page.status, 200);
    const reach = Number(page.doc.find('dd[data-reach]').attr('data-reach'));
    assert.ok(reach >= 2, `the segment reaches the subscribers (${reach})`);
    assert.ok(page.doc.find('section[data-preview="en"]').text.includes(`Offer ${tag}`) && page.doc.find('section[data-preview="vi"]').text.includes('<b>hôm nay</b>'));
    const html = await admins.manager.get(`${path}/preview?locale=vi`);
    assert.ok(html.text.includes('<strong>20%</strong> &lt;b&gt;hôm nay&lt;/b&gt;'), 'escaped in the layout');
    const sent = await admins.manager.submit(`${path}/schedule`, { now: '1' }, { csrf });
    assert.equal(sent.status, 303, sent.text.slice(0, 300));
    await Promise.all([s.internal('POST', '/internal/outbox/run'), s.internal('POST', '/internal/outbox/run')]);
    const mails = await waitFor('the campaign', () => {
      const got = subscribers.flatMap((e) => fakes.resend.to(e));
      return got.length >= 2 && got;
    });
    await s.internal('POST', '/internal/outbox/run');
    for (const email of subscribers) assert.equal(fakes.resend.to(email).length, 1, `${email} once`);
    assert.equal(fakes.resend.to(pending).length, 0, 'an unconfirmed signup gets nothing');
    const en = mails.find((m) => m.to[0] === subscribers[1]);
    assert.match(en.subject, new RegExp(`^Offer ${tag}`));
    assert.ok(en.html.includes('href="https://vestify.vn/c/gile"'));
    assert.equal(en.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    const after = await admins.manager.get(path);
    assert.equal(Number(after.doc.find('td[data-count="sent"]').text), reach, 'every recipient counted sent');
    assert.equal(await countOf(`SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('campaign.create', 'campaign.schedule')`), 2);
  });
});
