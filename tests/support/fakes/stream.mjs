// A fake Cloudflare Stream (docs/REVIEWS.md; API shapes from developers.cloudflare.com/stream/):
// - `POST /accounts/:acct/stream/direct_upload` (Bearer token) → `{result:{uploadURL, uid}}`; the
//   request body is kept (`fake.uploads`) so tests can check maxDurationSeconds, expiry, ...;
// - `POST /upload/:uid`: the browser's multipart upload (CORS open, as Stream's upload host is);
// - `GET|POST|DELETE /accounts/:acct/stream/:uid`: details, edit (`requireSignedURLs`), delete;
// - delivery: `/:id/manifest/video.m3u8` (a tiny HLS manifest), `/:id/thumbnails/thumbnail.jpg`
//   (a tiny JPEG), `/:id/iframe`: `id` is the uid of a public video, or a playback token — an RS256
//   JWT signed with the account's signing key (`STREAM_SIGNING_KEY`, made here) whose `sub` is the
//   video and whose `exp` has not passed; anything else is 401, as Stream refuses it;
// - `emit(uid, news)`: posts Stream's webhook (`Webhook-Signature: time=…,sig1=…`) to the shop.
import { createHmac, generateKeyPairSync, randomBytes, verify } from 'node:crypto';

import { json, rid, serve } from './common.mjs';

const TINY_JPEG = Buffer.from('/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=', 'base64');
const MANIFEST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=280000,RESOLUTION=426x240\nstream_t0.m3u8\n';

export async function startStreamFake() {
  const accountId = rid(8);
  const apiToken = `stream_${rid(8)}`;
  const webhookSecret = rid(16);
  const keyId = rid(16);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = Buffer.from(JSON.stringify(privateKey.export({ format: 'jwk' }))).toString('base64');
  const videos = new Map();
  const uploads = [];
  const state = { shopUrl: null };
  const authorised = (req) => req.headers.authorization === `Bearer ${apiToken}`;
  const unauthorised = () => json({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] }, 401);
  const video = (v) => ({ ...v, status: { state: v.state, pctComplete: v.state === 'ready' ? '100.000000' : '0', errorReasonCode: v.errorReasonCode ?? '', errorReasonText: '' } });

  /** The video an id (a uid, or a playback token) may play, or null. */
  function playable(id) {
    const direct = videos.get(id);
    if (direct) return direct.requireSignedURLs ? null : direct;
    const [h, c, sig] = id.split('.');
    if (!sig) return null;
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url'));
      const claims = JSON.parse(Buffer.from(c, 'base64url'));
      const ok = header.alg === 'RS256' && header.kid === keyId && verify('RSA-SHA256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(sig, 'base64url'));
      if (!ok || !(claims.exp > Date.now() / 1000)) return null;
      return videos.get(claims.sub) ?? null;
    } catch {
      return null;
    }
  }
  const delivery = (kind) => async (req, m) => {
    const v = playable(m[1]);
    if (!v || v.state !== 'ready') return { status: 401, headers: { 'content-type': 'text/plain' }, body: 'unauthorized' };
    fake.plays.push({ uid: v.uid, kind, signed: m[1] !== v.uid });
    if (kind === 'manifest') return { status: 200, headers: { 'content-type': 'application/vnd.apple.mpegurl' }, body: MANIFEST };
    if (kind === 'thumbnail') return { status: 200, headers: { 'content-type': 'image/jpeg' }, body: TINY_JPEG };
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><title>Stream player</title><video poster="thumbnails/thumbnail.jpg" controls></video>` };
  };
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': '*' };

  const fake = await serve('stream', [
    ['POST', /^\/accounts\/([^/]+)\/stream\/direct_upload$/, async (req, m) => {
      if (!authorised(req) || m[1] !== accountId) return unauthorised();
      const body = JSON.parse(req.body);
      if (!Number.isInteger(body.maxDurationSeconds) || body.maxDurationSeconds < 1) return json({ success: false, errors: [{ code: 10005, message: 'maxDurationSeconds required' }] }, 400);
      const uid = randomBytes(16).toString('hex');
      uploads.push({ uid, body, creator: req.headers['upload-creator'] });
      videos.set(uid, { uid, state: 'pendingupload', readyToStream: false, requireSignedURLs: !!body.requireSignedURLs, allowedOrigins: body.allowedOrigins ?? [], meta: body.meta ?? {}, creator: body.creator ?? null, maxDurationSeconds: body.maxDurationSeconds, uploadExpiry: body.expiry, modified: new Date().toISOString(), duration: -1 });
      return json({ result: { uploadURL: `${fake.url}/upload/${uid}`, uid }, success: true, errors: [], messages: [] });
    }],
    ['OPTIONS', /^\/upload\/([0-9a-f]{32})$/, async () => ({ status: 204, headers: cors, body: '' })],
    ['POST', /^\/upload\/([0-9a-f]{32})$/, async (req, m) => {
      const v = videos.get(m[1]);
      if (!v || v.state !== 'pendingupload') return { status: 400, headers: { ...cors, 'content-type': 'application/json' }, body: { success: false } };
      if (!String(req.headers['content-type']).startsWith('multipart/form-data') || !req.body.includes('name="file"')) return { status: 400, headers: { ...cors, 'content-type': 'application/json' }, body: { success: false } };
      Object.assign(v, { state: 'queued', size: req.body.length, modified: new Date().toISOString() });
      return { status: 200, headers: cors, body: '' };
    }],
    ['GET', /^\/accounts\/([^/]+)\/stream\/([0-9a-f]{32})$/, async (req, m) => {
      if (!authorised(req) || m[1] !== accountId) return unauthorised();
      const v = videos.get(m[2]);
      return v ? json({ result: video(v), success: true }) : json({ success: false, errors: [{ code: 10003, message: 'Not Found' }] }, 404);
    }],
    ['POST', /^\/accounts\/([^/]+)\/stream\/([0-9a-f]{32})$/, async (req, m) => {
      if (!authorised(req) || m[1] !== accountId) return unauthorised();
      const v = videos.get(m[2]);
      if (!v) return json({ success: false }, 404);
      const body = JSON.parse(req.body);
      if ('requireSignedURLs' in body) v.requireSignedURLs = !!body.requireSignedURLs;
      v.modified = new Date().toISOString();
      return json({ result: video(v), success: true });
    }],
    ['DELETE', /^\/accounts\/([^/]+)\/stream\/([0-9a-f]{32})$/, async (req, m) => {
      if (!authorised(req) || m[1] !== accountId) return unauthorised();
      if (!videos.delete(m[2])) return json({ success: false }, 404);
      fake.deleted.push(m[2]);
      return { status: 200, body: '' };
    }],
    ['GET', /^\/([^/]+)\/manifest\/video\.m3u8$/, delivery('manifest')],
    ['GET', /^\/([^/]+)\/thumbnails\/thumbnail\.jpg$/, delivery('thumbnail')],
    ['GET', /^\/([^/]+)\/iframe$/, delivery('iframe')],
  ]);

  /** Sets a video's news at Stream (`ready`, `inprogress`, `error`) without telling the shop. */
  function finish(uid, news = 'ready', errorReasonCode = '') {
    const v = videos.get(uid);
    Object.assign(v, { state: news, readyToStream: news === 'ready', errorReasonCode, duration: news === 'ready' ? 12.4 : -1, modified: new Date().toISOString() });
    return video(v);
  }

  /** Posts Stream's webhook for `uid` to the shop; `sign` may forge or age the signature. */
  async function emit(uid, news = 'ready', { time = Math.floor(Date.now() / 1000), secret = webhookSecret, header } = {}) {
    const body = JSON.stringify(finish(uid, news, news === 'error' ? 'ERR_DURATION_EXCEED_CONSTRAINT' : ''));
    const sig = createHmac('sha256', secret).update(`${time}.${body}`).digest('hex');
    const res = await fetch(`${state.shopUrl}/webhooks/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'webhook-signature': header ?? `time=${time},sig1=${sig}` }) },
      body,
    });
    const text = await res.text();
    let parsed = null;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, text, json: parsed };
  }

  Object.assign(fake, {
    plays: [],
    deleted: [],
    uploads,
    videos,
    finish,
    emit,
    /** Tells the fake where the shop's webhook is. */
    connect(url) { state.shopUrl = url; },
    vars: {
      STREAM_API_BASE: fake.url,
      STREAM_ACCOUNT_ID: accountId,
      STREAM_API_TOKEN: apiToken,
      STREAM_DELIVERY_BASE: fake.url,
      STREAM_UPLOAD_ORIGIN: fake.url,
      STREAM_WEBHOOK_SECRET: webhookSecret,
      STREAM_SIGNING_KEY_ID: keyId,
      STREAM_SIGNING_KEY: signingKey,
    },
  });
  return fake;
}

