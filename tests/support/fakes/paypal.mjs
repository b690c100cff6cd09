// A local PayPal (REST v2): OAuth client-credentials tokens, Orders v2 (create, approve page,
// capture with PayPal-Request-Id), capture refunds and verify-webhook-signature, as documented at
// https://developer.paypal.com/docs/api/. Only USD is accepted, as for a VND shop's charges.
//
// Webhooks it sends carry the PAYPAL-* transmission headers; it "signs" them with its own key over
// PayPal's documented message `transmission_id|transmission_time|webhook_id|crc32(body)`, and its
// verify endpoint recomputes that over the `webhook_event` exactly as the shop embedded it, so a
// shop that re-serialises the event fails verification, as it would against PayPal.
import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';

import { json, page, post, redirect, rid, serve } from './common.mjs';

export async function startPaypalFake({ clientId = `client_${rid(4)}`, clientSecret = `secret_${rid()}`, webhookId = `WH-${rid(6)}` } = {}) {
  const signingKey = rid(16);
  const tokens = new Set();
  const orders = new Map();
  const refunds = [];
  const byRequestId = new Map();
  const fake = { clientId, clientSecret, webhookId, orders, refunds, shopUrl: null, declineNext: false };

  const bearer = (req) => tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''));
  const error = (status, name, issue) => json({ name, message: issue, details: [{ issue }] }, status);
  const sig = (id, time, body) => createHmac('sha256', signingKey).update(`${id}|${time}|${webhookId}|${crc32(Buffer.from(body))}`).digest('base64');

  /** Sends a webhook event to the shop with transmission headers (a bad `sig` when `forged`). */
  fake.sendWebhook = async (event, { forged = false } = {}) => {
    const body = JSON.stringify(event);
    const id = rid(8);
    const time = new Date().toISOString();
    return post(`${fake.shopUrl}/webhooks/paypal`, body, {
      'paypal-auth-algo': 'SHA256withRSA',
      'paypal-cert-url': `${server.url}/certs/fake.pem`,
      'paypal-transmission-id': id,
      'paypal-transmission-sig': forged ? sig(id, time, `${body} `) : sig(id, time, body),
      'paypal-transmission-time': time,
    });
  };
  fake.captureEvent = (order, type = 'PAYMENT.CAPTURE.COMPLETED') => {
    const unit = order.purchase_units[0];
    const cap = unit.payments.captures[0];
    return { id: `WH-${rid(8)}`, event_type: type, resource_type: 'capture', resource: { ...cap, supplementary_data: { related_ids: { order_id: order.id } } } };
  };
  fake.orderOf = (paymentId) => [...orders.values()].find((o) => o.purchase_units[0].custom_id === paymentId);

  const server = await serve('paypal', [
    ['POST', /^\/v1\/oauth2\/token$/, (req) => {
      const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return json({ error: 'invalid_client', error_description: 'Client Authentication failed' }, 401);
      if (new URLSearchParams(req.body).get('grant_type') !== 'client_credentials') return json({ error: 'unsupported_grant_type' }, 400);
      const token = `A21${rid()}`;
      tokens.add(token);
      return json({ access_token: token, token_type: 'Bearer', expires_in: 32400 });
    }],
    ['POST', /^\/v2\/checkout\/orders$/, (req) => {
      if (!bearer(req)) return error(401, 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN');
      const rq = req.headers['paypal-request-id'];
      if (rq && byRequestId.has(rq)) return byRequestId.get(rq);
      const b = JSON.parse(req.body);
      const unit = b.purchase_units?.[0];
      if (b.intent !== 'CAPTURE') return error(422, 'UNPROCESSABLE_ENTITY', 'INVALID_INTENT');
      if (unit?.amount?.currency_code !== 'USD') return error(422, 'UNPROCESSABLE_ENTITY', 'CURRENCY_NOT_SUPPORTED');
      if (!/^\d+\.\d{2}$/.test(unit.amount.value)) return error(422, 'UNPROCESSABLE_ENTITY', 'DECIMAL_PRECISION');
      const ctx = b.payment_source?.paypal?.experience_context ?? {};
      const id = rid(8).toUpperCase();
      const order = { id, status: 'PAYER_ACTION_REQUIRED', intent: 'CAPTURE', purchase_units: [unit], experience: ctx,
        links: [{ rel: 'self', href: `${server.url}/v2/checkout/orders/${id}` }, { rel: 'payer-action', href: `${server.url}/checkoutnow?token=${id}` }] };
      orders.set(id, order);
      const out = json(order, 200);
      if (rq) byRequestId.set(rq, out);
      return out;
    }],
    ['GET', /^\/v2\/checkout\/orders\/(\w+)$/, (req, m) => {
      if (!bearer(req)) return error(401, 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN');
      const o = orders.get(m[1]);
      return o ? json(o) : error(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
    }],
    ['POST', /^\/v2\/checkout\/orders\/(\w+)\/capture$/, (req, m) => {
      if (!bearer(req)) return error(401, 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN');
      const rq = req.headers['paypal-request-id'];
      if (!rq) return error(400, 'INVALID_REQUEST', 'PAYPAL_REQUEST_ID_REQUIRED');
      if (byRequestId.has(rq)) return byRequestId.get(rq);
      const o = orders.get(m[1]);
      if (!o) return error(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
      if (o.status === 'COMPLETED') return error(422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED');
      if (o.status !== 'APPROVED') return error(422, 'UNPROCESSABLE_ENTITY', 'ORDER_NOT_APPROVED');
      const unit = o.purchase_units[0];
      const declined = fake.declineNext;
      fake.declineNext = false;
      o.status = 'COMPLETED';
      unit.payments = { captures: [{ id: rid(8).toUpperCase(), status: declined ? 'DECLINED' : 'COMPLETED', amount: unit.amount, custom_id: unit.custom_id, invoice_id: unit.invoice_id }] };
      const out = json(o, 201);
      byRequestId.set(rq, out);
      return out;
    }],
    ['POST', /^\/v2\/payments\/captures\/(\w+)\/refund$/, (req, m) => {
      if (!bearer(req)) return error(401, 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN');
      const rq = req.headers['paypal-request-id'];
      if (rq && byRequestId.has(rq)) return byRequestId.get(rq);
      const o = [...orders.values()].find((x) => x.purchase_units[0].payments?.captures[0].id === m[1]);
      if (!o) return error(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
      const b = JSON.parse(req.body || '{}');
      const cents = (v) => Math.round(Number(v) * 100);
      const paid = cents(o.purchase_units[0].payments.captures[0].amount.value);
      const done = refunds.filter((r) => r.capture === m[1]).reduce((a, r) => a + r.cents, 0);
      const want = b.amount ? cents(b.amount.value) : paid - done;
      if (b.amount && b.amount.currency_code !== 'USD') return error(422, 'UNPROCESSABLE_ENTITY', 'CURRENCY_MISMATCH');
      if (want + done > paid) return error(422, 'UNPROCESSABLE_ENTITY', 'REFUND_AMOUNT_EXCEEDED');
      const refund = { id: rid(8).toUpperCase(), status: 'COMPLETED', amount: { currency_code: 'USD', value: (want / 100).toFixed(2) }, capture: m[1], cents: want };
      refunds.push(refund);
      const out = json(refund, 201);
      if (rq) byRequestId.set(rq, out);
      return out;
    }],
    ['POST', /^\/v1\/notifications\/verify-webhook-signature$/, (req) => {
      if (!bearer(req)) return error(401, 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN');
      const b = JSON.parse(req.body);
      // The event exactly as the shop embedded it: everything after "webhook_event": up to the final brace.
      const at = req.body.indexOf('"webhook_event":');
      const raw = at < 0 ? '' : req.body.slice(at + '"webhook_event":'.length, req.body.lastIndexOf('}')).trim();
      const ok = b.webhook_id === webhookId && b.auth_algo === 'SHA256withRSA' && b.transmission_sig === sig(b.transmission_id, b.transmission_time, raw);
      return json({ verification_status: ok ? 'SUCCESS' : 'FAILURE' });
    }],
    ['GET', /^\/checkoutnow$/, (req) => {
      const o = orders.get(req.query.get('token'));
      if (!o) return { status: 404, body: 'no such order' };
      return page('PayPal (local fake)', [`Pay ${o.purchase_units[0].amount.value} USD`], [['Approve', `/checkoutnow/${o.id}/approve`]], [['Cancel', o.experience.cancel_url]]);
    }],
    ['POST', /^\/checkoutnow\/(\w+)\/approve$/, (req, m) => {
      const o = orders.get(m[1]);
      if (!o) return { status: 404, body: 'no such order' };
      o.status = 'APPROVED';
      return redirect(`${o.experience.return_url}&token=${o.id}&PayerID=FAKEPAYER`);
    }],
  ]);
  fake.url = server.url;
  fake.requests = server.requests;
  fake.stop = server.stop;
  return fake;
}
