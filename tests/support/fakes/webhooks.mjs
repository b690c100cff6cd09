// A fake webhook receiver (an app's endpoint) for the shop's webhooks (docs/WEBHOOKS.md). It
// verifies each POST as a receiver should — the `Vestify-Signature` over the raw body with the
// endpoint's secret, a timestamp within 5 minutes, `Vestify-Event-Id` equal to the body's `id` —
// answers 400 to a delivery that fails (so the shop retries it) and 204 to the others, and records
// every delivery with what it found.
import { createHmac, timingSafeEqual } from 'node:crypto';

import { serve } from './common.mjs';

/** The verification recipe of docs/WEBHOOKS.md, as a receiver writes it. */
export function verifyVestify(rawBody, header, secret, now = Date.now() / 1000, toleranceSeconds = 300) {
  const pairs = (header ?? '').split(',').map((p) => p.trim().split('='));
  const t = Number(pairs.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(now - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return pairs.filter(([k]) => k === 'v1').some(([, v]) => {
    const given = Buffer.from(v ?? '', 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function startWebhookReceiver() {
  const deliveries = [];
  const receiver = { secret: null };
  const fake = await serve('webhooks', [
    ['POST', /^\/hook$/, async (req) => {
      const verified = receiver.secret !== null && verifyVestify(req.body, req.headers['vestify-signature'], receiver.secret);
      let event = null;
      try { event = JSON.parse(req.body); } catch { /* recorded as null */ }
      const idMatches = event !== null && req.headers['vestify-event-id'] === event.id;
      deliveries.push({ headers: req.headers, body: req.body, event, verified, idMatches });
      return verified && idMatches ? { status: 204, body: '' } : { status: 400, body: 'bad signature' };
    }],
  ]);
  return Object.assign(receiver, fake, {
    deliveries,
    /** The verified deliveries of `type` (and `match` on their data), oldest first. */
    of: (type, match = () => true) => deliveries.filter((d) => d.verified && d.event?.type === type && match(d.event.data)),
    vars: { WEBHOOK_TEST_ORIGINS: fake.url },
  });
}
