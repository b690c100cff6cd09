// A fake Web Push service (RFC 8030) for the shop's push channel. It holds the VAPID key pair the
// shop is given (`VAPID_PRIVATE_KEY`), makes browser subscriptions (a P-256 key pair and a 16-byte
// auth secret, as a browser's PushManager would), and for every `POST /push/<id>`:
// - checks the VAPID header (RFC 8292): `vapid t=<JWT>, k=<key>`, the key the shop was given, an
//   ES256 signature that verifies, `aud` = this service's origin, `exp` in the future and at most
//   24 h ahead, `sub` a `mailto:` or `https:` contact — 401/403 otherwise, as push services answer;
// - checks `Content-Encoding: aes128gcm` and `TTL`, then decrypts the body with the subscription's
//   private key (RFC 8291 + RFC 8188) and records the notification it carried;
// - answers 201, or what `answer(id, status)` set for that subscription (410: gone, 404, 5xx).
import { createDecipheriv, createECDH, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, verify } from 'node:crypto';

import { json, rid, serve } from './common.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** RFC 8291 decryption of an aes128gcm body for a subscription's `ecdh` key and `auth` secret. */
export function decryptPush(body, ecdh, auth) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const senderKey = body.subarray(21, 21 + idlen);
  const sealed = body.subarray(21 + idlen);
  if (idlen !== 65 || rs < 18 || sealed.length > rs) throw new Error(`bad aes128gcm header (idlen ${idlen}, rs ${rs}, ${sealed.length} bytes)`);
  const shared = ecdh.computeSecret(senderKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const padded = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/** The problem with a VAPID `Authorization` header, or null when it is valid for `audience`. */
export function vapidProblem(header, audience, publicKey) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) return 'no vapid authorization';
  const [, jwt, k] = m;
  if (k !== publicKey) return 'not the shop\'s VAPID key';
  const [h, c, sig] = jwt.split('.');
  const raw = Buffer.from(k, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) }, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig ?? '', 'base64url'))) return 'bad signature';
  const head = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(c, 'base64url'));
  const now = Date.now() / 1000;
  if (head.alg !== 'ES256') return `alg ${head.alg}`;
  if (claims.aud !== audience) return `aud ${claims.aud}, expected ${audience}`;
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) return `exp ${claims.exp}`;
  if (!/^(mailto:|https:)/.test(claims.sub ?? '')) return `sub ${claims.sub}`;
  return null;
}

export async function startPushFake() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const vapidPrivateKey = jwk.d;
  const vapidPublicKey = b64url(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]));
  const subscriptions = new Map();
  const answers = new Map();
  const messages = [];
  const refused = [];
  let origin = '';
  const fake = await serve('push', [
    ['POST', /^\/push\/([0-9a-f]+)$/, async (req, m) => {
      const problem = vapidProblem(req.headers.authorization, origin, vapidPublicKey);
      if (problem) {
        refused.push(problem);
        return json({ reason: problem }, 403);
      }
      if (req.headers['content-encoding'] !== 'aes128gcm' || !/^\d+$/.test(req.headers.ttl ?? '')) return json({ reason: 'headers' }, 400);
      const id = m[1];
      const sub = subscriptions.get(id);
      if (!sub) return json({ reason: 'unknown subscription' }, 404);
      const status = answers.get(id) ?? 201;
      if (status >= 300) return { status, body: '' };
      const notification = JSON.parse(decryptPush(req.bytes, sub.ecdh, sub.auth));
      messages.push({ id, endpoint: sub.endpoint, headers: req.headers, notification });
      return { status: 201, headers: { location: `${origin}/messages/${rid(6)}` }, body: '' };
    }],
  ]);
  origin = fake.url;
  return {
    ...fake,
    vapidPublicKey,
    messages,
    refused,
    /** A new browser subscription: `{ endpoint, keys: { p256dh, auth } }` as `PushSubscription.toJSON()` gives it. */
    subscribe() {
      const id = rid(8);
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const endpoint = `${fake.url}/push/${id}`;
      subscriptions.set(id, { ecdh, auth, endpoint });
      return { id, endpoint, keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(auth) } };
    },
    /** From now on, answer `status` for subscription `id` (410: it has expired). */
    answer(id, status) { answers.set(id, status); },
    /** Notifications delivered to `endpoint`, oldest first. */
    to: (endpoint) => messages.filter((m) => m.endpoint === endpoint).map((m) => m.notification),
    vars: { VAPID_PRIVATE_KEY: vapidPrivateKey, VAPID_SUBJECT: 'mailto:ops@vestify.vn', PUSH_TEST_ORIGINS: fake.url },
  };
}
