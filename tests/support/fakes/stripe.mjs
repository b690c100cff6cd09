// A local Stripe: Checkout Sessions (hosted page included), refunds and signed webhooks, as
// documented at https://docs.stripe.com/api. It refuses requests without the secret key or without
// an Idempotency-Key on a POST, replays a key's first answer, and signs every event it sends to the
// shop with `Stripe-Signature: t=…,v1=HMAC-SHA256(whsec, "t.body")`.
import { createHmac } from 'node:crypto';

import { json, page, post, redirect, rid, serve } from './common.mjs';

export function signStripe(secret, body, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export async function startStripeFake({ secretKey = `sk_test_${rid()}`, webhookSecret = `whsec_${rid()}` } = {}) {
  const sessions = new Map();
  const refunds = [];
  const idempotent = new Map();
  const fake = { secretKey, webhookSecret, sessions, refunds, shopUrl: null, autoDeliver: true, delivered: [] };

  const authorized = (req) => req.headers.authorization === `Bearer ${secretKey}`;
  const error = (status, code, message) => json({ error: { type: 'invalid_request_error', code, message } }, status);

  /** Wraps a POST handler: auth, required Idempotency-Key, replay of the key's first answer. */
  const guarded = (handler) => async (req, m) => {
    if (!authorized(req)) return error(401, 'unauthorized', 'Invalid API Key provided');
    const key = req.headers['idempotency-key'];
    if (!key) return error(400, 'idempotency_key_required', 'This fake requires an Idempotency-Key on every POST');
    const seen = idempotent.get(key);
    if (seen) return seen.body === req.body ? seen.out : error(400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters');
    const out = await handler(req, m);
    idempotent.set(key, { body: req.body, out });
    return out;
  };

  fake.event = (type, session) => JSON.stringify({ id: `evt_${rid()}`, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: session } });
  fake.send = async (body, { signature = signStripe(webhookSecret, body) } = {}) => {
    const res = await post(`${fake.shopUrl}/webhooks/stripe`, body, signature === null ? {} : { 'stripe-signature': signature });
    fake.delivered.push({ body, status: res.status });
    return res;
  };
  fake.complete = async (id, { deliver = fake.autoDeliver } = {}) => {
    const s = sessions.get(id);
    s.status = 'complete';
    s.payment_status = 'paid';
    s.payment_intent = `pi_${rid()}`;
    const body = fake.event('checkout.session.completed', s);
    return deliver ? fake.send(body) : { body };
  };
  fake.expire = async (id, { deliver = fake.autoDeliver } = {}) => {
    const s = sessions.get(id);
    if (s.status === 'open') s.status = 'expired';
    const body = fake.event('checkout.session.expired', s);
    return deliver ? fake.send(body) : { body };
  };
  fake.sessionOf = (paymentId) => [...sessions.values()].find((s) => s.metadata.payment_id === paymentId);

  const server = await serve('stripe', [
    ['POST', /^\/v1\/checkout\/sessions$/, guarded((req) => {
      const p = Object.fromEntries(new URLSearchParams(req.body));
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = Number(p.expires_at);
      if (p.mode !== 'payment') return error(400, 'parameter_invalid', 'mode');
      if (p['line_items[0][price_data][currency]'] !== 'vnd') return error(400, 'parameter_invalid', 'currency');
      if (!/^\d+$/.test(p['line_items[0][price_data][unit_amount]'] ?? '')) return error(400, 'parameter_invalid', 'unit_amount must be an integer (VND is zero-decimal)');
      if (!(expiresAt >= now + 1800 && expiresAt <= now + 86400)) return error(400, 'parameter_invalid', 'expires_at must be 30 minutes to 24 hours ahead');
      for (const k of ['success_url', 'cancel_url', 'client_reference_id', 'metadata[payment_id]']) if (!p[k]) return error(400, 'parameter_missing', k);
      const id = `cs_test_${rid()}`;
      const amount = Number(p['line_items[0][price_data][unit_amount]']) * Number(p['line_items[0][quantity]'] ?? 1);
      const session = {
        id, object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid', amount_total: amount, currency: 'vnd',
        client_reference_id: p.client_reference_id, customer_email: p.customer_email, expires_at: expiresAt,
        metadata: { order_id: p['metadata[order_id]'], payment_id: p['metadata[payment_id]'] },
        success_url: p.success_url, cancel_url: p.cancel_url, payment_intent: null, url: `${server.url}/pay/${id}`,
      };
      sessions.set(id, session);
      return json(session);
    })],
    ['GET', /^\/v1\/checkout\/sessions\/([\w]+)$/, (req, m) => {
      if (!authorized(req)) return error(401, 'unauthorized', 'Invalid API Key provided');
      const s = sessions.get(m[1]);
      return s ? json(s) : error(404, 'resource_missing', 'No such checkout.session');
    }],
    ['POST', /^\/v1\/checkout\/sessions\/([\w]+)\/expire$/, guarded(async (req, m) => {
      const s = sessions.get(m[1]);
      if (!s) return error(404, 'resource_missing', 'No such checkout.session');
      if (s.status !== 'open') return error(400, 'checkout_session_not_open', 'Only open sessions can be expired');
      s.status = 'expired';
      if (fake.autoDeliver && fake.shopUrl) await fake.send(fake.event('checkout.session.expired', s));
      return json(s);
    })],
    ['POST', /^\/v1\/refunds$/, guarded((req) => {
      const p = Object.fromEntries(new URLSearchParams(req.body));
      const s = [...sessions.values()].find((x) => x.payment_intent && x.payment_intent === p.payment_intent);
      if (!s) return error(400, 'resource_missing', 'No such payment_intent');
      const done = refunds.filter((r) => r.payment_intent === p.payment_intent).reduce((a, r) => a + r.amount, 0);
      const amount = Number(p.amount ?? s.amount_total - done);
      if (amount + done > s.amount_total) return error(400, 'amount_too_large', 'Refund amount is greater than unrefunded amount');
      const refund = { id: `re_${rid()}`, object: 'refund', amount, currency: 'vnd', payment_intent: p.payment_intent, status: 'succeeded', metadata: { refund_id: p['metadata[refund_id]'] } };
      refunds.push(refund);
      return json(refund);
    })],
    ['GET', /^\/pay\/([\w]+)$/, (req, m) => {
      const s = sessions.get(m[1]);
      if (!s) return { status: 404, body: 'no such session' };
      if (s.status !== 'open') return page('Stripe Checkout', [`This session is ${s.status}.`], []);
      return page('Stripe Checkout (local fake)', [`Pay ${s.amount_total} VND`, `Order ${s.client_reference_id}`], [['Pay', `/pay/${s.id}/complete`]], [['Cancel', s.cancel_url]]);
    }],
    ['POST', /^\/pay\/([\w]+)\/complete$/, async (req, m) => {
      const s = sessions.get(m[1]);
      if (!s || s.status !== 'open') return { status: 410, body: 'session not open' };
      await fake.complete(s.id);
      return redirect(s.success_url);
    }],
  ]);
  fake.url = server.url;
  fake.requests = server.requests;
  fake.stop = server.stop;
  return fake;
}
