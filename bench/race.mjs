// Cart race benchmark: starts the shop on fresh seeded state (or uses --url with --state-dir), sets
// one variant to a few units, and lets many buyers — each with their own cart, created with its
// first line in one request, a bounded number in flight — add one unit and check out. Reports orders/s, p50/p99 latency of add-to-cart and of
// checkout, how many buyers got one, and the oversell count (units sold or reserved beyond what
// there was; it must be 0). A second round stocks the variant for every buyer, so that checkout
// latency and orders/s are measured over many orders rather than the few a race lets through. Then a
// new buyer's add to cart in one request beside the two requests it took before (same run, same
// minute), and the D1 round trips per add and per checkout from the shop's request log.
// A measurement: it exits 0 unless it cannot measure, or an oversell is seen (exit 1).
//
//   node bench/race.mjs [--buyers 400] [--units 20] [--concurrency 50]
//                       [--url http://127.0.0.1:8787 --state-dir .wrangler/state]   # a running shop
//
// Node built-ins only: the client shares the CPU with workerd.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT, isProxyDrop, startShop } from '../tests/support/shop.mjs';
import { machine } from './machine.mjs';
import { checkoutBody, mapLimit, newKey } from '../tests/support/shopping.mjs';

const { values: opts } = parseArgs({
  options: {
    buyers: { type: 'string', default: '400' },
    units: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '50' },
    url: { type: 'string' },
    'state-dir': { type: 'string' },
  },
});
const BUYERS = positiveInt('buyers', opts.buyers);
const UNITS = positiveInt('units', opts.units);
const CONCURRENCY = positiveInt('concurrency', opts.concurrency);
const REQUEST_TIMEOUT_MS = 60_000;

function positiveInt(name, raw) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench-race: --${name} must be a positive integer, not ${raw}`);
    process.exit(2);
  }
  return n;
}


// ---------------------------------------------------------------------------------------------------
// The shop: started here, or one already running (--url with the --state-dir it persists to).

async function openShop() {
  if (!opts.url) return startShop();
  if (!opts['state-dir']) {
    console.error('bench-race: --url needs --state-dir (stock is set and checked with SQL)');
    process.exit(2);
  }
  const stateDir = opts['state-dir'];
  const read = (name) => readFileSync(join(stateDir, name), 'utf8').trim();
  const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
  const sql = async (command) => {
    const out = execFileSync(wrangler, ['d1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json', '--command', command], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    });
    const results = JSON.parse(out);
    return results[results.length - 1]?.results ?? [];
  };
  return { url: opts.url.replace(/\/$/, ''), stateDir, secrets: { shop: read('shop-secret') }, sql, stop: async () => {} };
}

// ---------------------------------------------------------------------------------------------------
// One buyer: a cart of their own, one unit, and a checkout if the unit was theirs.

/** Requests wrangler dev's proxy dropped and this client sent again (see shop.mjs `isProxyDrop`). */
let proxyRetries = 0;

async function call(shop, method, path, { body, headers = {} } = {}) {
  const started = performance.now();
  for (let attempt = 1; ; attempt += 1) {
    const res = await fetch(shop.url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (attempt < 3 && isProxyDrop(res.status, text)) {
      proxyRetries += 1;
      continue;
    }
    let json = null;
    try { json = JSON.parse(text); } catch { /* reported by the caller */ }
    return { status: res.status, json, text, ms: performance.now() - started, requestId: res.headers.get('x-request-id') };
  }
}

/**
 * A new buyer's add to cart: one request that creates the cart holding its first line (`oneRequest`),
 * or the two the API needed before (create an empty cart, then add). Returns the cart and the step's
 * time (both requests for the second way).
 */
async function addAsNewBuyer(shop, variantId, { oneRequest = true } = {}) {
  const started = performance.now();
  if (oneRequest) {
    const res = await call(shop, 'POST', '/api/v1/carts', { body: { variant_id: variantId, quantity: 1 } });
    return { ...res, ms: performance.now() - started, cart: res.status === 201 ? { id: res.json.id, token: res.json.token } : null };
  }
  const cart = await call(shop, 'POST', '/api/v1/carts');
  if (cart.status !== 201) return { ...cart, ms: performance.now() - started, cart: null };
  const add = await call(shop, 'POST', `/api/v1/carts/${cart.json.id}/items`, { body: { variant_id: variantId, quantity: 1 }, headers: { 'x-cart-token': cart.json.token } });
  return { ...add, ms: performance.now() - started, cart: add.status === 201 ? { id: cart.json.id, token: cart.json.token } : null };
}

async function buyer(shop, variantId) {
  const add = await addAsNewBuyer(shop, variantId);
  if (add.status === 409 && add.json?.error?.code === 'insufficient_stock') return { addMs: add.ms, held: false, available: add.json.error.available };
  if (add.status !== 201) return { addMs: add.ms, error: `add: ${add.status} ${add.text.slice(0, 200)}` };
  const headers = { 'x-cart-token': add.cart.token };
  const checkout = await call(shop, 'POST', `/api/v1/carts/${add.cart.id}/checkout`, { body: checkoutBody(), headers: { ...headers, 'idempotency-key': newKey() } });
  if (checkout.status !== 201) return { addMs: add.ms, held: true, checkoutMs: checkout.ms, error: `checkout: ${checkout.status} ${checkout.text.slice(0, 200)}` };
  return { addMs: add.ms, held: true, checkoutMs: checkout.ms, orderId: checkout.json.order.id, checkoutRequestId: checkout.requestId, addRequestId: add.requestId };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function latency(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Gives a fresh variant `units` free units, runs every buyer, then reads back what the database says. */
async function round(shop, variantId, units) {
  await shop.sql(`UPDATE variants SET on_hand = ${units}, reserved = 0 WHERE id = ${variantId}`);
  const retriesBefore = proxyRetries;
  const started = performance.now();
  const results = await mapLimit(Array.from({ length: BUYERS }), CONCURRENCY, () => buyer(shop, variantId));
  const seconds = (performance.now() - started) / 1000;
  const [row] = await shop.sql(`
    SELECT v.on_hand, v.reserved,
      (SELECT COUNT(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.variant_id = v.id) AS orders,
      (SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.variant_id = v.id) AS ordered,
      (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.variant_id = v.id AND h.state = 'held') AS held
    FROM variants v WHERE v.id = ${variantId}`);
  const orders = results.filter((r) => r.orderId).length;
  const errors = results.filter((r) => r.error).map((r) => r.error);
  const refused = results.filter((r) => r.held === false);
  return {
    units,
    seconds,
    orders,
    ordersPerSecond: orders / seconds,
    buyersPerSecond: BUYERS / seconds,
    add: latency(results.filter((r) => r.addMs !== undefined).map((r) => r.addMs)),
    checkout: latency(results.filter((r) => r.checkoutMs !== undefined).map((r) => r.checkoutMs)),
    refused: refused.length,
    refusedWithStockLeft: refused.filter((r) => r.available !== 0).length,
    errors,
    proxyRetries: proxyRetries - retriesBefore,
    db: row,
    // Units promised beyond the stock there was: by the database's own count and by the answers given.
    oversell: Math.max(0, row.reserved - row.on_hand) + Math.max(0, row.ordered + row.held - units) + Math.max(0, orders - units),
  };
}

const fmt = (ms) => (Number.isNaN(ms) ? '–' : `${ms.toFixed(0)} ms`);

function report(title, r) {
  console.log(`\n${title}: ${BUYERS} buyers, ${r.units} units, concurrency ${CONCURRENCY}`);
  console.log(`  time              ${r.seconds.toFixed(2)} s  (${r.buyersPerSecond.toFixed(1)} buyers/s)`);
  console.log(`  orders            ${r.orders} placed, ${r.ordersPerSecond.toFixed(1)} orders/s`);
  console.log(`  add to cart       p50 ${fmt(r.add.p50)}  p99 ${fmt(r.add.p99)}  (n=${r.add.n})`);
  console.log(`  checkout          p50 ${fmt(r.checkout.p50)}  p99 ${fmt(r.checkout.p99)}  (n=${r.checkout.n})`);
  console.log(`  refused           ${r.refused} with insufficient_stock (${r.refusedWithStockLeft} of them told stock was left)`);
  console.log(`  database          on_hand ${r.db.on_hand}, reserved ${r.db.reserved}, ${r.db.orders} orders of ${r.db.ordered} units, ${r.db.held} units still held`);
  console.log(`  oversell          ${r.oversell}`);
  if (r.proxyRetries) console.log(`  proxy drops       ${r.proxyRetries} requests sent again (wrangler dev's proxy, workers-sdk#14641)`);
  if (r.errors.length) console.log(`  errors            ${r.errors.length}, first: ${r.errors[0]}`);
}

/**
 * A new buyer's add to cart both ways in the same minute: ADD_BUYERS buyers per way, ADD_CONCURRENCY
 * in flight, in four alternating stretches (one request, two, one, two) so that a change in the
 * machine's load falls on both ways alike. A way's rate is its buyers over its stretches' time.
 */
const ADD_BUYERS = 100;
const ADD_CONCURRENCY = 8;
async function addSideBySide(shop, variantId) {
  await shop.sql(`UPDATE variants SET on_hand = on_hand + ${2 * ADD_BUYERS} WHERE id = ${variantId}`);
  const ways = { one: { samples: [], seconds: 0, failed: 0 }, two: { samples: [], seconds: 0, failed: 0 } };
  for (const name of ['one', 'two', 'one', 'two']) {
    const started = performance.now();
    const results = await mapLimit(Array.from({ length: ADD_BUYERS / 2 }), ADD_CONCURRENCY, () => addAsNewBuyer(shop, variantId, { oneRequest: name === 'one' }));
    ways[name].seconds += (performance.now() - started) / 1000;
    ways[name].samples.push(...results.map((r) => r.ms));
    ways[name].failed += results.filter((r) => r.status !== 201).length;
  }
  const summary = (w) => ({ ...latency(w.samples), failed: w.failed, perSecond: w.samples.length / w.seconds });
  const one = summary(ways.one);
  const two = summary(ways.two);
  console.log(`\nnew buyer's add to cart, side by side: ${ADD_BUYERS} buyers each way, concurrency ${ADD_CONCURRENCY}, alternating stretches`);
  console.log(`  one request       ${one.perSecond.toFixed(1)}/s  p50 ${fmt(one.p50)}  p99 ${fmt(one.p99)}  (n=${one.n}, failed ${one.failed})`);
  console.log(`  two requests      ${two.perSecond.toFixed(1)}/s  p50 ${fmt(two.p50)}  p99 ${fmt(two.p99)}  (n=${two.n}, failed ${two.failed})`);
  const ratio = one.perSecond / two.perSecond;
  console.log(`  ratio             ${ratio.toFixed(2)}× the rate; p50 ${(two.p50 / one.p50).toFixed(2)}× shorter`);
  return { one, two, ratio };
}

/**
 * D1 round trips per request, from the request log (`d1_round_trips`, the cart object's included) of
 * a second shop started with its log on (the measured one logs warnings only): a few buyers one
 * after another, so no other request's count mixes in. Not with --url.
 */
async function roundTrips(measured, variantId) {
  if (opts.url) return {};
  const shop = await startShop({ vars: { WRANGLER_LOG_LEVEL: 'log' } });
  try {
    return await roundTripsOf(shop, variantId);
  } finally {
    await shop.stop();
  }
}

async function roundTripsOf(shop, variantId) {
  await shop.sql(`UPDATE variants SET on_hand = on_hand + 5 WHERE id = ${variantId}`);
  const ids = [];
  for (let i = 0; i < 5; i += 1) {
    const r = await buyer(shop, variantId);
    if (r.orderId) ids.push([r.addRequestId, r.checkoutRequestId]);
    else console.log(`  round-trip buyer failed: ${r.error ?? JSON.stringify(r)}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last log lines
  const lines = shop.logs.join('').split('\n').filter((l) => l.includes('"d1_round_trips"'));
  const tripsOf = (requestId) => {
    const line = lines.find((l) => l.includes(`"request_id":"${requestId}"`));
    return line ? JSON.parse(line.slice(line.indexOf('{'))).d1_round_trips : undefined;
  };
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const add = ids.map(([a]) => tripsOf(a)).filter((n) => n !== undefined);
  const checkout = ids.map(([, c]) => tripsOf(c)).filter((n) => n !== undefined);
  const result = { add: mean(add), checkout: mean(checkout), addMax: add.length ? Math.max(...add) : '–', checkoutMax: checkout.length ? Math.max(...checkout) : '–' };
  console.log(`\nD1 round trips (request log, ${checkout.length} buyers one at a time, the cart object's included)`);
  console.log(`  add to cart       ${result.add?.toFixed(1) ?? '–'} (max ${result.addMax})`);
  console.log(`  checkout          ${result.checkout?.toFixed(1) ?? '–'} (max ${result.checkoutMax})`);
  return result;
}

const shop = await openShop();
try {
  const m = machine();
  console.log(`machine: ${m.cpu}, ${m.nproc} cores, ${m.memory}; node ${m.node}; workerd ${m.workerd}; commit ${m.commit}; load ${m.loadavg}; ${m.date}`);
  // Two variants on sale in the seed, one per round, so each round's orders and figures are its own
  // (orders stay pending for the default 15 minutes, longer than the benchmark).
  const [raceVariant, stockedVariant] = (await shop.sql(`SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
    WHERE v.status = 'active' AND p.status = 'active' ORDER BY v.id LIMIT 2`)).map((r) => r.id);
  const race = await round(shop, raceVariant, UNITS);
  report('race', race);
  const stocked = await round(shop, stockedVariant, BUYERS);
  report('stocked (every buyer orders)', stocked);
  const sideBySide = await addSideBySide(shop, stockedVariant);
  const trips = await roundTrips(shop, stockedVariant);
  const oversold = race.oversell + stocked.oversell > 0 || race.orders > UNITS;
  console.log(`\nsummary: race ${race.orders}/${UNITS} sold, oversell ${race.oversell}; ${stocked.ordersPerSecond.toFixed(1)} orders/s when every buyer orders; ` +
    `checkout p50 ${fmt(stocked.checkout.p50)} p99 ${fmt(stocked.checkout.p99)}; add to cart p50 ${fmt(stocked.add.p50)} p99 ${fmt(stocked.add.p99)}; ` +
    `D1 round trips per checkout ${trips.checkout ?? '–'}; new buyer's add: one request ${sideBySide.ratio.toFixed(2)}× the two-request rate`);
  process.exitCode = oversold ? 1 : 0;
  if ((race.errors.length || stocked.errors.length) && shop.logs) {
    console.log(`\nthe shop's log (last 40 lines):\n${shop.logs.join('').split('\n').slice(-40).join('\n')}`);
  }
} finally {
  await shop.stop();
}
