// A fake Resend (https://resend.com/docs/api-reference/emails/send-email): `POST /emails` with
// `Authorization: Bearer <key>` and JSON `{from, to[], subject, html, text}` answers `{"id"}`. It
// refuses a wrong key (401, as Resend does), records every accepted message, and answers a repeated
// `Idempotency-Key` with the first message's id without recording it again (Resend's 24 h window).
// `failNext(n, status)` makes the next n sends fail with `status` (5xx: the shop retries them).
import { json, rid, serve } from './common.mjs';

export async function startResendFake() {
  const apiKey = `re_test_${rid(8)}`;
  const messages = [];
  const byKey = new Map();
  let failures = [];
  const fake = await serve('resend', [
    ['POST', /^\/emails$/, async (req) => {
      if (req.headers.authorization !== `Bearer ${apiKey}`) return json({ name: 'validation_error', message: 'API key is invalid' }, 401);
      if (failures.length > 0) return json({ name: 'internal_server_error', message: 'fake outage' }, failures.shift());
      const body = JSON.parse(req.body);
      if (!Array.isArray(body.to) || body.to.length === 0 || !body.from || !body.subject || !(body.html || body.text)) {
        return json({ name: 'validation_error', message: 'missing field' }, 422);
      }
      const key = req.headers['idempotency-key'];
      if (key && byKey.has(key)) return json({ id: byKey.get(key) });
      const id = rid(16);
      if (key) byKey.set(key, id);
      messages.push({ id, idempotencyKey: key, ...body });
      return json({ id });
    }],
  ]);
  return {
    ...fake,
    apiKey,
    messages,
    /** Messages sent to `to`, oldest first. */
    to: (to) => messages.filter((m) => m.to.includes(to)),
    failNext(n, status = 500) { failures = Array(n).fill(status); },
    vars: { MAIL_TRANSPORT: 'resend', RESEND_API_BASE: fake.url, RESEND_API_KEY: apiKey },
  };
}
