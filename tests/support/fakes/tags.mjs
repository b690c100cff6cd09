// Google Tag Manager, the Meta Pixel and Meta's Conversions API, faked (docs/TRACKING.md). The two
// scripts record in the page that they ran and with which nonce (GTM's reads the data layer it was
// given; the Pixel's replays its queue into `window.__pixel`); the Graph endpoint checks a server
// event's shape and hashes as Meta documents them and keeps it for the test.
// https://developers.facebook.com/docs/marketing-api/conversions-api/parameters
import { serve } from './common.mjs';

const js = (body) => ({ status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8', 'access-control-allow-origin': '*' }, body });
const HEX64 = /^[0-9a-f]{64}$/;

/** What is wrong with a Conversions API body (empty when nothing). */
export function capiProblems(body) {
  const problems = [];
  const data = body?.data;
  if (!Array.isArray(data) || data.length === 0) return ['data is not a non-empty array'];
  for (const e of data) {
    if (typeof e.event_name !== 'string' || !e.event_name) problems.push('event_name');
    if (!Number.isInteger(e.event_time) || Math.abs(e.event_time - Date.now() / 1000) > 7 * 86400) problems.push('event_time is not a recent Unix time in seconds');
    if (typeof e.event_id !== 'string' || !e.event_id) problems.push('event_id');
    if (e.action_source !== 'website') problems.push('action_source');
    if (!/^https?:\/\//.test(e.event_source_url ?? '')) problems.push('event_source_url');
    const ud = e.user_data ?? {};
    for (const key of ['em', 'ph']) {
      if (ud[key] !== undefined && !(Array.isArray(ud[key]) && ud[key].every((h) => HEX64.test(h)))) problems.push(`user_data.${key} is not SHA-256 hex`);
    }
    if (!ud.em && !ud.ph) problems.push('no customer information');
    if (e.custom_data?.currency !== 'VND' || !Number.isInteger(e.custom_data?.value)) problems.push('custom_data');
  }
  return problems;
}

export async function startTagsFake() {
  const events = [];
  const fake = await serve('tags', [
    ['GET', /^\/gtm\.js$/, () => js(`(() => {
      const me = document.currentScript;
      window.__gtm = { nonce: me && me.nonce, id: new URL(me.src).searchParams.get('id'), seen: (window.dataLayer || []).length };
    })();`)],
    ['GET', /^\/en_US\/fbevents\.js$/, () => js(`(() => {
      const me = document.currentScript;
      window.__pixel = { nonce: me && me.nonce, calls: [] };
      const fbq = window.fbq;
      fbq.callMethod = (...args) => window.__pixel.calls.push(args);
      for (const args of fbq.queue.splice(0)) fbq.callMethod(...args);
    })();`)],
    ['POST', /^\/(v[0-9.]+)\/(\d+)\/events$/, (req, m) => {
      let body = null;
      try { body = JSON.parse(req.body); } catch { /* reported below */ }
      const problems = capiProblems(body);
      if (!req.query.get('access_token')) problems.push('no access_token');
      if (problems.length) return { status: 400, body: { error: { message: problems.join('; ') } } };
      events.push({ version: m[1], pixel: m[2], token: req.query.get('access_token'), body });
      return { status: 200, body: { events_received: body.data.length, fbtrace_id: 'fake' } };
    }],
  ]);
  fake.events = events;
  fake.vars = {
    GTM_ID: 'GTM-TEST123',
    META_PIXEL_ID: '1234567890',
    GTM_SCRIPT_BASE: fake.url,
    META_PIXEL_SCRIPT_BASE: fake.url,
    META_CAPI_TOKEN: 'capi-test-token',
    META_CAPI_BASE: fake.url,
  };
  /** Requests for the tags' scripts so far. */
  fake.scriptLoads = () => fake.requests.filter((r) => r.method === 'GET').map((r) => r.path);
  return fake;
}
