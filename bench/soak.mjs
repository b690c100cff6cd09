// Soak: a mixed load held for minutes on one fresh shop, with the Worker's own WebAssembly memory
// (`GET /internal/health`, `memory.size` of the isolate that answers) sampled at a fixed interval.
// A production isolate has 128 MB; memory that grows under a steady load would end it sooner or
// later. The load: browsers (home, categories, products, search, each with a cache-busting query
// parameter so that every page renders; the product JSON), and buyers (a cart created with its first
// line, a second line added, one removed, then a checkout with cash on delivery for every other cart).
// Prints each sample, the requests done and failed per kind, and a verdict: flat when the last sample
// is no larger than the first sample after the warm-up, growing otherwise.
// A measurement, not a test: it exits 0 whatever the verdict, and non-zero only when it cannot run.
//
//   node bench/soak.mjs [--minutes 10] [--sample 30] [--warmup 60] [--browsers 6] [--buyers 2]
//   (--browsers 0 or --buyers 0: one half of the load alone)
//
// Node built-ins only: the client shares the CPU with workerd.
import { parseArgs } from 'node:util';

import { isProxyDrop, startShop } from '../tests/support/shop.mjs';
import { checkoutBody, newKey } from '../tests/support/shopping.mjs';

import { machine } from './machine.mjs';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    sample: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '60' },
    browsers: { type: 'string', default: '6' },
    buyers: { type: 'string', default: '2' },
  },
});
const positive = (name, raw, integer = false, zero = false) => {
  const n = Number(raw);
  if (!(n > 0 || (zero && n === 0)) || (integer && !Number.isInteger(n))) {
    console.error(`bench-soak: --${name} must be a positive ${integer ? 'integer' : 'number'}, not ${raw}`);
    process.exit(2);
  }
  return n;
};
const DURATION_MS = positive('minutes', opts.minutes) * 60_000;
const SAMPLE_MS = positive('sample', opts.sample) * 1000;
const WARMUP_MS = Math.min(positive('warmup', opts.warmup) * 1000, DURATION_MS);
// Either may be 0 (not both), to see which half of the load a change in memory comes from.
const BROWSERS = positive('browsers', opts.browsers, true, true);
const BUYERS = positive('buyers', opts.buyers, true, true);
if (BROWSERS + BUYERS === 0) {
  console.error('bench-soak: --browsers and --buyers cannot both be 0');
  process.exit(2);
}
const REQUEST_TIMEOUT_MS = 30_000;
// Open cash-on-delivery orders are limited per phone number and per client address (all of ours come
// from 127.0.0.1): the shop is started with the highest limit it accepts, and checkouts stop short of it.
const COD_OPEN_LIMIT = 1000;
const MAX_CHECKOUTS = COD_OPEN_LIMIT - 10;


const stats = new Map();
const count = (kind, outcome) => {
  const s = stats.get(kind) ?? { ok: 0, errors: 0, failures: {} };
  if (outcome === null) s.ok += 1;
  else {
    s.errors += 1;
    s.failures[outcome] = (s.failures[outcome] ?? 0) + 1;
  }
  stats.set(kind, s);
};

/** One request; `expect` is the status that counts as done. Returns { status, json } or null on failure. */
async function call(url, kind, method, path, { body, headers = {}, expect = 200 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    let res;
    let text;
    try {
      res = await fetch(url + path, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (e) {
      count(kind, e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.name));
      return null;
    }
    if (attempt < 3 && isProxyDrop(res.status, text)) continue;
    if (res.status !== expect) {
      count(kind, `HTTP ${res.status}`);
      return null;
    }
    count(kind, null);
    let json = null;
    try { json = JSON.parse(text); } catch { /* HTML */ }
    return { status: res.status, json };
  }
}

async function main() {
  const m = machine();
  console.log('Vestify soak');
  console.log(`  date      ${m.date}`);
  console.log(`  machine   ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM, load average ${m.loadavg}`);
  console.log(`  software  node ${m.node}, ${m.workerd}, commit ${m.commit}`);
  console.log(`  load      ${BROWSERS} browsers and ${BUYERS} buyers in a loop for ${DURATION_MS / 60_000} min; wasm memory sampled every ${SAMPLE_MS / 1000} s; warm-up ${WARMUP_MS / 1000} s`);
  process.stdout.write('  shop      starting on fresh state… ');
  const shop = await startShop({ vars: { COD_MAX_OPEN: String(COD_OPEN_LIMIT) } });
  console.log(shop.url);
  process.on('SIGINT', () => { shop.stop().finally(() => process.exit(130)); });
  const url = shop.url;
  try {
    // Enough stock that no cart is refused over the run (the soak is about memory, not stock).
    await shop.sql('UPDATE variants SET on_hand = on_hand + 1000000');
    await shop.bumpCatalogVersion();
    const { categories } = (await call(url, 'setup', 'GET', '/api/v1/categories')).json;
    const { products } = (await call(url, 'setup', 'GET', '/api/v1/products?per_page=50')).json;
    const details = [];
    for (const p of products.slice(0, 12)) details.push((await call(url, 'setup', 'GET', `/api/v1/products/${p.slug}`)).json.product);
    const variants = details.flatMap((p) => p.variants.filter((v) => v.available > 0).map((v) => v.id));
    if (!categories.length || !products.length || variants.length < 2) throw new Error('the catalog is empty: was the shop seeded?');
    const terms = ['gile', 'len', 'vest', 'nam', 'nu', 'cong so', 'dang om', 'ao'];
    const pick = (list) => list[Math.floor(Math.random() * list.length)];

    let n = 0;
    const bust = () => `n=${Date.now().toString(36)}${(n += 1)}`;
    const browse = [
      ['home', () => `/?${bust()}`],
      ['category', () => `/c/${pick(categories).slug}?${bust()}`],
      ['product', () => `/p/${pick(products).slug}?${bust()}`],
      ['search', () => `/search?q=${encodeURIComponent(pick(terms))}&${bust()}`],
      ['product JSON', () => `/api/v1/products/${pick(products).slug}?${bust()}`],
    ];
    let checkouts = 0;
    const startedAt = performance.now();
    const stopAt = startedAt + DURATION_MS;
    const running = () => performance.now() < stopAt;

    const browser = async () => {
      while (running()) {
        const [kind, path] = pick(browse);
        await call(url, kind, 'GET', path());
      }
    };
    const buyer = async (i) => {
      let carts = 0;
      while (running()) {
        carts += 1;
        const first = pick(variants);
        const extra = pick(variants.filter((v) => v !== first));
        const cart = await call(url, 'cart create', 'POST', '/api/v1/carts', { body: { variant_id: first, quantity: 1 }, expect: 201 });
        if (!cart) continue;
        const headers = { 'x-cart-token': cart.json.token };
        const base = `/api/v1/carts/${cart.json.id}`;
        if (!(await call(url, 'cart add', 'POST', `${base}/items`, { body: { variant_id: extra, quantity: 2 }, headers, expect: 201 }))) continue;
        await call(url, 'cart remove', 'DELETE', `${base}/items/${extra}`, { headers });
        await call(url, 'cart read', 'GET', base, { headers });
        if ((carts + i) % 2 === 0 && checkouts < MAX_CHECKOUTS) {
          checkouts += 1;
          await call(url, 'checkout (COD)', 'POST', `${base}/checkout`, {
            body: checkoutBody({ payment_provider: 'cod', phone: `09${String(10_000_000 + checkouts).slice(-8)}` }),
            headers: { ...headers, 'idempotency-key': newKey() },
            expect: 201,
          });
        }
      }
    };

    const samples = [];
    const sample = async () => {
      const at = (performance.now() - startedAt) / 1000;
      const res = await fetch(`${url}/internal/health`, { headers: { authorization: `Bearer ${shop.secrets.internal}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch(() => null);
      const bytes = res?.ok ? (await res.json()).wasm_memory_bytes : null;
      const done = [...stats.entries()].filter(([k]) => k !== 'setup').reduce((a, [, s]) => a + s.ok, 0);
      samples.push({ at, bytes, done });
      console.log(`  ${at.toFixed(0).padStart(5)} s  wasm memory ${bytes == null ? 'unreadable' : `${(bytes / 2 ** 20).toFixed(2)} MiB (${bytes / 65_536} pages)`}, ${done} requests done`);
    };
    console.log('\nSamples (GET /internal/health):');
    await sample();
    const sampler = setInterval(() => { sample(); }, SAMPLE_MS);
    await Promise.all([
      ...Array.from({ length: BROWSERS }, browser),
      ...Array.from({ length: BUYERS }, (_, i) => buyer(i)),
    ]);
    clearInterval(sampler);
    await sample();
    const elapsed = (performance.now() - startedAt) / 1000;

    console.log(`\nRequests in ${(elapsed / 60).toFixed(1)} min:`);
    let ok = 0;
    let errors = 0;
    for (const [kind, s] of stats) {
      if (kind === 'setup') continue;
      ok += s.ok;
      errors += s.errors;
      const failures = Object.keys(s.failures).length ? `  ${JSON.stringify(s.failures)}` : '';
      console.log(`  ${kind.padEnd(16)} ${String(s.ok).padStart(7)} done  ${String(s.errors).padStart(5)} errors${failures}`);
    }
    console.log(`  ${'all'.padEnd(16)} ${String(ok).padStart(7)} done  ${String(errors).padStart(5)} errors  (${(ok / elapsed).toFixed(1)} req/s)`);

    const readable = samples.filter((s) => s.bytes != null);
    const after = readable.find((s) => s.at * 1000 >= WARMUP_MS) ?? readable[0];
    const last = readable[readable.length - 1];
    if (!after || !last) {
      console.log('\nVerdict: unknown (no memory sample could be read)');
    } else {
      const max = Math.max(...readable.map((s) => s.bytes));
      const growth = last.bytes - after.bytes;
      const verdict = growth <= 0 ? 'FLAT' : 'GROWING';
      console.log(`\nVerdict: ${verdict}: ${(last.bytes / 2 ** 20).toFixed(2)} MiB at the end against ${(after.bytes / 2 ** 20).toFixed(2)} MiB after the warm-up (${after.at.toFixed(0)} s); first sample ${(readable[0].bytes / 2 ** 20).toFixed(2)} MiB, largest ${(max / 2 ** 20).toFixed(2)} MiB.`);
      console.log('  (WebAssembly memory only grows: a flat series means the allocator reuses what it freed.)');
    }
    console.log('\nA measurement, not a test: this exits 0 whatever the verdict.');
  } finally {
    await shop.stop();
  }
}

main().catch((e) => {
  console.error(`bench-soak: ${e.stack ?? e}`);
  process.exit(1);
});
