// Storefront benchmark: starts the shop on fresh seeded state (or uses --url), then drives each page
// over loopback at a fixed concurrency with keep-alive connections — a warm-up, then a bounded
// measurement — and reports requests/s, p50/p99 latency, the edge-cache hit ratio, and where the
// machine's CPU went (from /proc: the Worker's workerd, wrangler's proxy workerd, wrangler's node,
// this client, everything else) with the CPU time each request cost. Every page's throughput is
// compared with /healthz, a trivial response from the same Worker: the ceiling on this machine.
// A measurement, not a test: it exits 0 whether the targets are met or not, and non-zero only when
// it cannot measure at all. scripts/bench runs it from a snapshot of the tree (see there).
//
// The uncached product page is measured on a second shop started with EDGE_CACHE=off (every catalog
// request renders), against that shop's own /healthz.
//
// The floor: a Worker that answers every request with "ok" (bench/floor, built by scripts/build-floor
// with the same workers-rs, wasm-bindgen and release profile), served by the same wrangler with the
// shop's [assets] routing, measured first and last. No page can beat it; /healthz and the cached pages
// are held to fractions of it, so what the shop pays before routing shows.
//
//   node bench/storefront.mjs [--concurrency 16] [--warmup 2] [--duration 8] [--only home,product]
//                             [--url http://127.0.0.1:8787]   # an already running shop
//                             [--inspector off|on]   # off (default): scripts/serve-quiet.mjs; on: `wrangler dev`
//                             [--cookies on|off]     # on (default): each connection keeps its cookies, like a
//                                                    # browser; off: every request is a first visit
//                             [--floor on|off]       # on (default, not with --url): measure the floor Worker
//                             [--cold 3]             # fresh shop starts for the cold start (0: none)
//
// Node built-ins only, so the client stays cheap: it shares the CPU with workerd.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

import { ROOT, freePort, startShop } from '../tests/support/shop.mjs';

/** The Worker's own WebAssembly memory in bytes, as `GET /internal/health` reports it (null if it cannot). */
async function wasmMemory(url, shop) {
  try {
    const res = await fetch(`${url}/internal/health`, { headers: { authorization: `Bearer ${shop.secrets.internal}` } });
    return res.ok ? (await res.json()).wasm_memory_bytes : null;
  } catch {
    return null;
  }
}

const mib = (bytes) => (bytes == null ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/**
 * Throughput targets (from the performance issue): each kind of endpoint as a fraction of the floor
 * Worker's rate or of its own shop's /healthz. Without a floor run, cached pages fall back to 80 % of
 * /healthz.
 */
const TARGETS = {
  ceiling: { of: 'floor', min: 0.95 },
  cached: { of: 'floor', min: 0.85 },
  miss: { of: 'healthz', min: 0.6 },
  uncached: { of: 'healthz', min: 0.5 },
};
const CACHED_WITHOUT_FLOOR = { of: 'healthz', min: 0.8 };
const REQUEST_TIMEOUT_MS = 10_000;

const { values: opts } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '2' },
    duration: { type: 'string', default: '8' },
    only: { type: 'string' },
    url: { type: 'string' },
    inspector: { type: 'string', default: 'off' },
    cookies: { type: 'string', default: 'on' },
    floor: { type: 'string', default: 'on' },
    cold: { type: 'string', default: '3' },
  },
});
if (!['on', 'off'].includes(opts.floor)) usage(`--floor is on or off, not ${opts.floor}`);
if (!['on', 'off'].includes(opts.cookies)) usage(`--cookies is on or off, not ${opts.cookies}`);
if (!['on', 'off'].includes(opts.inspector)) usage(`--inspector is on or off, not ${opts.inspector}`);
const CONCURRENCY = positiveInt('concurrency', opts.concurrency);
const WARMUP_MS = positiveNumber('warmup', opts.warmup) * 1000;
const DURATION_MS = positiveNumber('duration', opts.duration) * 1000;
const COLD_STARTS = opts.cold === '0' ? 0 : positiveInt('cold', opts.cold);

function positiveInt(name, raw) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a positive integer, not ${raw}`);
  return n;
}
function positiveNumber(name, raw) {
  const n = Number(raw);
  if (!(n > 0)) usage(`--${name} must be a positive number of seconds, not ${raw}`);
  return n;
}
function usage(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------
// Machine description

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const tryRun = (file, args) => {
    try {
      return execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const wrangler = JSON.parse(readFileSync(join(ROOT, 'node_modules/wrangler/package.json'), 'utf8')).version;
  // scripts/bench runs this from a snapshot without .git, and says what it was taken from.
  const dirty = tryRun('git', ['status', '--porcelain', '--', 'src', 'public', 'migrations', 'Cargo.toml', 'Cargo.lock']) ? ' + uncommitted changes' : '';
  const commit = process.env.VESTIFY_COMMIT ?? tryRun('git', ['rev-parse', '--short', 'HEAD']) + dirty;
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: tryRun('nproc', []),
    cpu: model,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    workerd: tryRun(join(ROOT, 'node_modules/.bin/workerd'), ['--version']),
    wrangler,
    commit,
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

// ---------------------------------------------------------------------------------------------------
// CPU accounting from /proc: the shop's processes, this client, and everything else on the machine.

const CLK_TCK = 100; // USER_HZ on Linux; /proc times are in these ticks.

function procStat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; the name itself may contain spaces.
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * The processes serving `port`: wrangler (node) and its two workerd children — the one listening on
 * the port runs wrangler's proxy worker, the other runs the Vestify Worker itself.
 */
function shopProcesses(port) {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const children = new Map();
  for (const pid of pids) {
    const s = procStat(pid);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(pid);
  }
  const roots = pids.filter((pid) => {
    const cmd = cmdline(pid);
    return (cmd.includes('wrangler') && cmd.includes(' dev ') && cmd.includes(`--port ${port} `)) || cmd.includes(`serve-quiet.mjs --port ${port} `);
  });
  const found = new Map();
  const visit = (pid) => {
    if (found.has(pid)) return;
    const cmd = cmdline(pid);
    let role = null;
    if (/workerd serve/.test(cmd)) role = cmd.includes(`entry=127.0.0.1:${port} `) ? 'workerd (proxy)' : 'workerd (worker)';
    else if (/\bnode\b/.test(cmd) && (cmd.includes('wrangler') || cmd.includes('serve-quiet'))) role = 'wrangler (node)';
    if (role) found.set(pid, role);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  roots.forEach(visit);
  return found;
}

function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  return { busy: line.slice(0, 8).reduce((a, b) => a + b, 0) - idle };
}

function cpuSnapshot(procs) {
  const perRole = {};
  for (const [pid, role] of procs) perRole[role] = (perRole[role] ?? 0) + (procStat(pid)?.ticks ?? 0);
  const self = process.cpuUsage();
  return { perRole, machine: machineTicks().busy, clientMs: (self.user + self.system) / 1000 };
}

/** CPU used between two snapshots, in percent of one core (the machine's whole is nproc × 100 %). */
function cpuDelta(a, b, seconds) {
  const pct = (ticks) => (100 * ticks) / CLK_TCK / seconds;
  const shares = {};
  let ours = 0;
  for (const role of Object.keys(b.perRole)) {
    const ticks = b.perRole[role] - (a.perRole[role] ?? 0);
    shares[role] = pct(ticks);
    ours += ticks;
  }
  shares.client = (b.clientMs - a.clientMs) / 10 / seconds;
  const machineTotal = pct(b.machine - a.machine);
  shares.other = Math.max(0, machineTotal - shares.client - pct(ours));
  shares.total = machineTotal;
  return shares;
}

/**
 * The newest modification time under what `wrangler dev` watches (src/, and the build it serves). A
 * change mid-run means wrangler rebuilt and reloaded the Worker under load: that endpoint's figures
 * are void.
 */
function treeStamp() {
  let newest = 0;
  for (const dir of ['src', 'build/worker', 'build']) {
    let entries = [];
    try {
      entries = readdirSync(join(ROOT, dir), { recursive: dir === 'src' });
    } catch { /* not built yet */ }
    for (const entry of entries) {
      try {
        newest = Math.max(newest, statSync(join(ROOT, dir, entry)).mtimeMs);
      } catch { /* removed meanwhile */ }
    }
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------------
// Load generation

/**
 * Drives `pathFor()` with CONCURRENCY requests in flight for `ms`, over one keep-alive connection
 * each, and returns what it saw. Latency is from sending the request to the end of the body.
 */
async function drive(base, agent, pathFor, ms, jars) {
  const latencies = [];
  const cache = {};
  const failures = {};
  let bytes = 0;
  const stopAt = performance.now() + ms;
  const fail = (key) => { failures[key] = (failures[key] ?? 0) + 1; };
  const one = (jar) =>
    new Promise((resolve) => {
      const started = performance.now();
      let settled = false;
      const finish = (failure) => {
        if (settled) return;
        settled = true;
        if (failure) fail(failure);
        // A refused connection fails at once; do not spin on it.
        if (failure && failure !== 'timeout' && !failure.startsWith('HTTP')) setTimeout(resolve, 10);
        else resolve();
      };
      const headers = jar?.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
      const req = http.request({ agent, host: base.hostname, port: base.port, path: pathFor(), method: 'GET', headers }, (res) => {
        for (const line of jar ? res.headers['set-cookie'] ?? [] : []) {
          const [pair] = line.split(';');
          const at = pair.indexOf('=');
          if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
        }
        res.on('data', (chunk) => { bytes += chunk.length; });
        res.on('end', () => {
          if (res.statusCode !== 200) return finish(`HTTP ${res.statusCode}`);
          latencies.push(performance.now() - started);
          const state = res.headers['x-edge-cache'] ?? 'none';
          cache[state] = (cache[state] ?? 0) + 1;
          finish(null);
        });
        res.on('error', (e) => finish(e.code ?? e.message));
      });
      // A request that never finishes (e.g. while wrangler rebuilds and reloads the Worker) counts as
      // an error instead of holding the run.
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (e) => finish(e.code ?? e.message));
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      while (performance.now() < stopAt) await one(jars?.[i]);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { latencies, cache, failures, bytes, elapsed };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

async function measure(base, agent, endpoint, procs) {
  const tree = treeStamp();
  // One visitor per connection; with --cookies on (the default) each keeps the cookies the shop sets,
  // as a browser does, so after its first page it is a returning visitor.
  const jars = opts.cookies === 'on' ? Array.from({ length: CONCURRENCY }, () => new Map()) : null;
  await drive(base, agent, endpoint.path, WARMUP_MS, jars);
  const before = cpuSnapshot(procs);
  const run = await drive(base, agent, endpoint.path, DURATION_MS, jars);
  const cpu = cpuDelta(before, cpuSnapshot(procs), run.elapsed);
  const sorted = Float64Array.from(run.latencies).sort();
  const ok = sorted.length;
  const errors = Object.values(run.failures).reduce((a, b) => a + b, 0);
  return {
    ...endpoint,
    rps: ok / run.elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    ok,
    errors,
    failures: run.failures,
    cache: run.cache,
    hitRatio: ok ? (run.cache.hit ?? 0) / ok : 0,
    avgBytes: ok ? run.bytes / (ok + errors) : 0,
    cpu,
    treeChanged: treeStamp() !== tree,
  };
}

// ---------------------------------------------------------------------------------------------------
// What to measure: slugs come from the shop's own API, so a reseeded catalog needs no edit here.

async function getJson(url) {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.json();
}

async function endpoints(url) {
  const { categories } = await getJson(`${url}/api/v1/categories`);
  const category = categories[0]?.slug;
  const { products } = await getJson(`${url}/api/v1/products?per_page=1&sort=best_selling`);
  const slug = products[0]?.slug;
  if (!category || !slug) throw new Error('the catalog is empty: was the shop seeded?');
  const { product } = await getJson(`${url}/api/v1/products/${slug}`);
  const sku = product.variants[0]?.sku ?? 'none';
  let n = 0;
  const fixed = (p) => () => p;
  const variant = `/p/${slug}?variant=${encodeURIComponent(sku)}`;
  // `shop`: `cached` is the shop as deployed; `render` the same shop with EDGE_CACHE=off, where every
  // catalog request renders (no isolate page memory, no Cache API lookup or store). Each shop has its
  // own /healthz runs, first and last, and its pages are compared with those.
  return [
    { name: 'healthz', label: '/healthz', path: fixed('/healthz'), kind: 'ceiling', shop: 'cached' },
    { name: 'home', label: '/', path: fixed('/'), kind: 'cached', shop: 'cached' },
    { name: 'category', label: `/c/${category}`, path: fixed(`/c/${category}`), kind: 'cached', shop: 'cached' },
    { name: 'product', label: `/p/${slug}`, path: fixed(`/p/${slug}`), kind: 'cached', shop: 'cached' },
    { name: 'search', label: '/search?q=gile+len', path: fixed('/search?q=gile+len'), kind: 'cached', shop: 'cached' },
    { name: 'api-product', label: `/api/v1/products/${slug}`, path: fixed(`/api/v1/products/${slug}`), kind: 'cached', shop: 'cached' },
    // A unique query per request: the page ignores `n`, but the cache key keeps it, so every request
    // looks the page up in the Cache API, misses, renders, and stores a new entry (no target: this
    // is mostly the cost of the local Cache API emulation, see docs/BENCHMARKS.md).
    { name: 'product-miss', label: `${variant}&n=<counter>`, path: () => `${variant}&n=${++n}`, kind: 'miss', shop: 'cached' },
    // Measured again last, so drift (thermal, or other work on the machine) shows.
    { name: 'healthz-again', label: '/healthz (again)', path: fixed('/healthz'), kind: 'ceiling', shop: 'cached' },
    { name: 'healthz-render', label: '/healthz (EDGE_CACHE=off)', path: fixed('/healthz'), kind: 'ceiling', shop: 'render' },
    { name: 'product-uncached', label: `${variant} (EDGE_CACHE=off)`, path: fixed(variant), kind: 'uncached', shop: 'render' },
    { name: 'healthz-render-again', label: '/healthz (EDGE_CACHE=off, again)', path: fixed('/healthz'), kind: 'ceiling', shop: 'render' },
  ];
}

/** The mean /healthz rate of each shop's own ceiling runs. */
function ceilingsByShop(results) {
  const out = {};
  for (const shop of new Set(results.map((r) => r.shop))) {
    const runs = results.filter((r) => r.shop === shop && r.kind === 'ceiling');
    if (runs.length) out[shop] = runs.reduce((a, r) => a + r.rps, 0) / runs.length;
  }
  return out;
}

/** The mean rate of the floor Worker's runs, or null when it was not measured. */
function floorRate(results) {
  const runs = results.filter((r) => r.kind === 'floor');
  return runs.length ? runs.reduce((a, r) => a + r.rps, 0) / runs.length : null;
}

/**
 * The floor Worker (bench/floor, built by scripts/build-floor), served like the shop by
 * scripts/serve-quiet.mjs on its own port and state directory. Returns { url, stop }.
 */
async function startFloor() {
  execFileSync(join(ROOT, 'scripts', 'build-floor'), { stdio: ['ignore', 'ignore', 'inherit'] });
  const port = await freePort();
  const stateDir = mkdtempSync(join(os.tmpdir(), 'vestify-floor-'));
  const child = spawn('node', [join(ROOT, 'scripts', 'serve-quiet.mjs'), '--port', String(port), '--config', join(ROOT, 'bench', 'floor', 'build', 'wrangler.toml')], {
    cwd: ROOT,
    env: { ...process.env, STATE_DIR: stateDir, WRANGLER_LOG_LEVEL: 'warn' },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const errors = [];
  child.stderr.on('data', (d) => errors.push(d.toString()));
  const stop = async () => {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    rmSync(stateDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200 && (await res.text()) === 'ok') return { url, stop };
    } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the floor Worker did not start:\n${errors.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------------------------------------------
// Cold start: the first requests to a new isolate, and the wasm's own compile and instantiation.

/** The Worker's wasm as built (build/index_bg.wasm), or null. */
function workerWasm() {
  const file = join(ROOT, 'build', 'index_bg.wasm');
  return existsSync(file) ? file : null;
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};

/**
 * `runs` shops started on fresh state, one after the other: from spawning `scripts/serve` (wrangler
 * dev: node, then workerd loading the Worker, which compiles and instantiates the wasm) to the first
 * 200 from /healthz, that first request's latency, then the first product page (a render on a cold
 * isolate: V8 compiles each wasm function on its first call) against five more renders of it.
 */
async function coldStarts(runs, slug) {
  const timed = async (url, path) => {
    const started = performance.now();
    const res = await fetch(url + path);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`cold start: GET ${path}: HTTP ${res.status}`);
    return performance.now() - started;
  };
  const rows = [];
  for (let i = 0; i < runs; i += 1) {
    const shop = await startShop({ pollMs: 20 });
    try {
      const firstPage = await timed(shop.url, `/p/${slug}`);
      const pages = [];
      for (let k = 1; k <= 5; k += 1) pages.push(await timed(shop.url, `/p/${slug}?cold=${k}`));
      const healthz = [];
      for (let k = 1; k <= 5; k += 1) healthz.push(await timed(shop.url, '/healthz'));
      rows.push({ ready: shop.startup.readyMs, firstHealthz: shop.startup.firstRequestMs, healthz: median(healthz), firstPage, page: median(pages) });
    } finally {
      await shop.stop();
    }
  }
  return rows;
}

/**
 * The wasm's compile (`WebAssembly.compile`) and instantiation (every import a stub; nothing runs) in
 * Chromium's V8 (Debian's /usr/bin/chromium through playwright-core: Node 20's V8 cannot compile this
 * wasm, which uses the new exception handling), median of five, each time with a unique custom section
 * appended so that V8's module cache cannot answer. Measured with V8's default lazy compilation
 * (functions compiled on their first call, as workerd does) and with every function compiled up front
 * (`--no-wasm-lazy-compilation`). Returns null when Chromium is not there.
 */
async function wasmCompileTimes(file) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return null;
  }
  if (!existsSync('/usr/bin/chromium')) return null;
  const base64 = readFileSync(file).toString('base64');
  const run = async (jsFlags) => {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', ...(jsFlags ? [`--js-flags=${jsFlags}`] : [])];
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
    try {
      const page = await browser.newPage();
      return await page.evaluate(async (b64) => {
        const wire = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const compile = [];
        const instantiate = [];
        for (let i = 0; i < 5; i += 1) {
          // A custom section named "bench" holding the run's number: new bytes, same code.
          const bytes = new Uint8Array(wire.length + 9);
          bytes.set(wire);
          bytes.set([0, 7, 5, 98, 101, 110, 99, 104, 48 + i], wire.length);
          let t = performance.now();
          const module = await WebAssembly.compile(bytes);
          compile.push(performance.now() - t);
          const imports = {};
          for (const imp of WebAssembly.Module.imports(module)) {
            const value = imp.kind === 'tag' ? WebAssembly.JSTag : () => { throw new Error('not called here'); };
            (imports[imp.module] ??= {})[imp.name] = value;
          }
          t = performance.now();
          await WebAssembly.instantiate(module, imports);
          instantiate.push(performance.now() - t);
        }
        const med = (xs) => xs.sort((a, b) => a - b)[2];
        return { compile: med(compile), instantiate: med(instantiate) };
      }, base64);
    } catch (e) {
      return { error: String(e.message ?? e).split('\n')[0] };
    } finally {
      await browser.close();
    }
  };
  const version = (await (async () => { const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] }); const v = b.version(); await b.close(); return v; })());
  return { version, lazy: await run(null), eager: await run('--no-wasm-lazy-compilation') };
}

function printColdStart(rows, compile, wasm) {
  if (wasm) {
    const bytes = readFileSync(wasm);
    console.log(`\nThe Worker's wasm: ${bytes.length.toLocaleString('en')} bytes, ${gzipSync(bytes, { level: 9 }).length.toLocaleString('en')} gzipped (zlib level 9; the gzip command's -9 comes out ~0.5 % smaller).`);
  }
  if (compile) {
    const f = (r) => (r.error ? r.error : `compile ${ms(r.compile)} ms, instantiate ${ms(r.instantiate)} ms`);
    console.log(`wasm in Chromium ${compile.version}'s V8, median of 5: lazy (default) ${f(compile.lazy)}; eager (--no-wasm-lazy-compilation) ${f(compile.eager)}`);
  }
  if (!rows.length) return;
  console.log(`\nCold start: ${rows.length} fresh shops (wrangler dev, fresh state), one after the other:\n`);
  const table = [['start', 'spawn → ready ms', 'first /healthz ms', 'next /healthz ms (median of 5)', 'first product page ms', 'next pages ms (median of 5)']];
  rows.forEach((r, i) => table.push([String(i + 1), ms(r.ready), ms(r.firstHealthz), ms(r.healthz), ms(r.firstPage), ms(r.page)]));
  const mid = (key) => ms(median(rows.map((r) => r[key])));
  table.push(['median', mid('ready'), mid('firstHealthz'), mid('healthz'), mid('firstPage'), mid('page')]);
  printColumns(table, [0]);
  console.log('  (spawn → ready: wrangler\'s node start, workerd start, the Worker loaded with its wasm compiled and instantiated,');
  console.log('   polled every 20 ms. Product pages are cache misses every time: the first is the cold one.)');
}

// ---------------------------------------------------------------------------------------------------
// Report

const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

/** Prints rows as aligned columns: text columns (by index in `left`) to the left, numbers to the right. */
function printColumns(rows, left) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) {
    console.log(row.map((cell, i) => (left.includes(i) ? pad(cell, widths[i]) : lpad(cell, widths[i]))).join('  ').trimEnd());
  }
}

function printTable(results, ceilings, floor) {
  const rows = [['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'ok', 'errors', 'cache hit', 'KiB', 'floor', '/healthz', 'target', '']];
  const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : '-');
  for (const r of results) {
    const ratios = { floor: floor ? r.rps / floor : NaN, healthz: r.kind === 'floor' ? NaN : r.rps / ceilings[r.shop] };
    let target = TARGETS[r.kind] ?? null;
    if (target?.of === 'floor' && !floor) target = r.kind === 'cached' ? CACHED_WITHOUT_FLOOR : null;
    let verdict = target === null ? '' : ratios[target.of] >= target.min ? 'PASS' : 'FAIL';
    if (r.treeChanged) verdict = 'void';
    const hits = r.kind === 'ceiling' || r.kind === 'floor' ? '-' : `${(100 * r.hitRatio).toFixed(1)}%`;
    rows.push([
      r.label, r.rps.toFixed(0), ms(r.p50), ms(r.p99), r.ok, r.errors, hits, (r.avgBytes / 1024).toFixed(1),
      pct(ratios.floor), pct(ratios.healthz), target === null ? '' : `>= ${target.min * 100}% ${target.of === 'floor' ? 'floor' : '/healthz'}`, verdict,
    ]);
  }
  printColumns(rows, [0, 10, 11]);
}

/** The shop's processes: everything but the client and the rest of the machine. */
const SHOP_ROLES = ['workerd (worker)', 'workerd (proxy)', 'wrangler (node)'];

/** CPU milliseconds per request spent by the shop's processes and by the client. */
function costPerRequest(r) {
  const shop = SHOP_ROLES.reduce((a, role) => a + (r.cpu[role] ?? 0), 0);
  const per = (pct) => (r.rps > 0 ? (10 * pct) / r.rps : NaN);
  return { shop: per(shop), client: per(r.cpu.client) };
}

/**
 * On a machine that other work shares, throughput follows whatever else runs; CPU time per request
 * hardly does. `cpu ratio` is /healthz's CPU cost over the page's (shop + client): the fraction of
 * /healthz's throughput the page would reach when the CPU is the bottleneck and nothing else runs.
 */
function printCpu(results, nproc) {
  console.log(`\nCPU during each measurement, % of one core (the machine has ${nproc} × 100 %), and CPU time per request:\n`);
  const roles = [...SHOP_ROLES, 'client', 'other'];
  const ceilingCost = {};
  for (const shop of new Set(results.map((r) => r.shop))) {
    const costs = results.filter((r) => r.shop === shop && r.kind === 'ceiling').map(costPerRequest);
    ceilingCost[shop] = costs.reduce((a, c) => a + c.shop + c.client, 0) / costs.length;
  }
  const floorCosts = results.filter((r) => r.kind === 'floor').map(costPerRequest);
  const floorCost = floorCosts.length ? floorCosts.reduce((a, c) => a + c.shop + c.client, 0) / floorCosts.length : NaN;
  const rows = [['endpoint', ...roles, 'machine', 'shop ms/req', 'client ms/req', 'cpu ratio', 'floor cpu ratio']];
  const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : '-');
  for (const r of results) {
    const cost = costPerRequest(r);
    const fixed = (v) => (Number.isFinite(v) ? v.toFixed(2) : '-');
    const ratio = ceilingCost[r.shop] / (cost.shop + cost.client);
    rows.push([
      r.name, ...roles.map((role) => (r.cpu[role] ?? 0).toFixed(0)), r.cpu.total.toFixed(0),
      fixed(cost.shop), fixed(cost.client), pct(ratio), pct(floorCost / (cost.shop + cost.client)),
    ]);
  }
  printColumns(rows, [0]);
}

async function main() {
  const m = machine();
  console.log('Vestify storefront benchmark');
  console.log(`  date      ${m.date}`);
  console.log(`  machine   ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM, load average ${m.loadavg}`);
  console.log(`  software  node ${m.node}, ${m.workerd}, wrangler ${m.wrangler}, commit ${m.commit}`);
  console.log(`  load      ${CONCURRENCY} connections (keep-alive), ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured per endpoint, cookies ${opts.cookies === 'on' ? 'kept (one visitor per connection)' : 'not kept (every request a first visit)'}`);

  const given = opts.url?.replace(/\/$/, '');
  let floor = null;
  let shop = null;
  const stopShop = async () => { if (shop) await shop.stop(); shop = null; };
  const stopFloor = async () => { if (floor) await floor.stop(); floor = null; };
  process.on('SIGINT', () => { Promise.all([stopShop(), stopFloor()]).finally(() => process.exit(130)); });
  /** A shop on fresh state (`EDGE_CACHE=off` for the `render` group), or the one at --url. */
  const open = async (group) => {
    await stopShop();
    if (given) {
      console.log(`  shop      ${given} (already running${group === 'render' ? '; uncached figures need it started with EDGE_CACHE=off' : ''})`);
      return given;
    }
    const vars = { VESTIFY_INSPECTOR: opts.inspector, ...(group === 'render' ? { EDGE_CACHE: 'off' } : {}) };
    process.stdout.write(`  shop      starting on fresh state, DevTools inspector ${opts.inspector}${group === 'render' ? ', EDGE_CACHE=off' : ''}… `);
    shop = await startShop({ vars });
    console.log(shop.url);
    return shop.url;
  };

  try {
    let url = await open('cached');
    const all = await endpoints(url);
    const only = opts.only?.split(',').map((s) => s.trim());
    const unknown = only?.filter((name) => !all.some((e) => e.name === name)) ?? [];
    if (unknown.length) throw new Error(`--only: no endpoint named ${unknown.join(', ')} (there are ${all.map((e) => e.name).join(', ')})`);
    const wanted = all.filter((e) => e.kind !== 'ceiling' && (!only || only.includes(e.name)));
    const groups = ['cached', 'render'].filter((g) => wanted.some((e) => e.shop === g));
    const results = [];
    const logs = [];
    if (opts.floor === 'on' && !given) {
      process.stdout.write('  floor     starting the floor Worker (bench/floor)… ');
      floor = await startFloor();
      console.log(floor.url);
    }
    /** One run of the floor Worker, first and last, so that drift shows as it does for /healthz. */
    const measureFloor = async (name, label) => {
      if (!floor) return;
      const base = new URL(floor.url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
      process.stdout.write(`\n  ${pad(name, 20)} `);
      const r = await measure(base, agent, { name, label, path: () => '/healthz', kind: 'floor', shop: 'floor' }, shopProcesses(base.port));
      agent.destroy();
      results.push(r);
      console.log(`${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms${r.errors ? `, ${r.errors} errors ${JSON.stringify(r.failures)}` : ''}`);
    };
    await measureFloor('floor', 'floor Worker ("ok")');
    for (const group of groups) {
      if (group === 'render') url = await open('render');
      const base = new URL(url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
      const procs = shopProcesses(base.port);
      const logBytesBefore = shop ? shop.logs.join('').length : 0;
      const memoryBefore = shop ? await wasmMemory(url, shop) : null;
      console.log('');
      for (const endpoint of all.filter((e) => e.shop === group && (e.kind === 'ceiling' || wanted.includes(e)))) {
        process.stdout.write(`  ${pad(endpoint.name, 20)} `);
        const r = await measure(base, agent, endpoint, procs);
        results.push(r);
        console.log(`${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms${r.errors ? `, ${r.errors} errors ${JSON.stringify(r.failures)}` : ''}`);
      }
      agent.destroy();
      if (memoryBefore) {
        const after = await wasmMemory(url, shop);
        console.log(`  wasm memory (GET /internal/health, one isolate) before ${mib(memoryBefore)}, after ${mib(after)} (${group} shop)`);
      }
      if (shop) {
        logs.push({ group, bytes: shop.logs.join('').length - logBytesBefore, tail: shop.logs.join('').trimEnd().split('\n').slice(-20).join('\n') });
      }
    }

    await measureFloor('floor-again', 'floor Worker ("ok", again)');
    await stopShop();
    await stopFloor();
    const wasm = workerWasm();
    const compile = wasm ? await wasmCompileTimes(wasm) : null;
    let cold = [];
    if (COLD_STARTS && !given) {
      const slug = new URL(all.find((e) => e.name === 'product').label, 'http://x').pathname.split('/').pop();
      process.stdout.write(`\n  cold start  ${COLD_STARTS} fresh shops… `);
      cold = await coldStarts(COLD_STARTS, slug);
      console.log('done');
    }
    const ceilings = ceilingsByShop(results);
    const floorMean = floorRate(results);
    const described = Object.entries(ceilings).map(([g, rps]) => `${rps.toFixed(0)} req/s ${g === 'render' ? 'with EDGE_CACHE=off' : 'as deployed'}`);
    console.log(`\nResults (ratios against the mean rate of the floor Worker${floorMean ? ` (${floorMean.toFixed(0)} req/s)` : ', not measured'} and the mean /healthz rate of the same shop: ${described.join('; ')}):\n`);
    printTable(results, ceilings, floorMean);
    printCpu(results, m.nproc);
    printColdStart(cold, compile, wasm);

    const notes = [];
    for (const [group, ceiling] of Object.entries(ceilings)) {
      const runs = results.filter((r) => r.shop === group && r.kind === 'ceiling');
      if (runs.length !== 2) continue;
      const drift = Math.abs(runs[0].rps - runs[1].rps) / ceiling;
      if (drift > 0.1) notes.push(`/healthz moved ${(100 * drift).toFixed(0)}% between the first and last run (${group} shop): the machine was not steady, compare ratios with care.`);
    }
    const busy = results.filter((r) => r.cpu.other > 20);
    if (busy.length) notes.push(`other processes used over 20% of a core during: ${busy.map((r) => r.name).join(', ')} — results are disturbed.`);
    for (const r of results) {
      if (r.kind === 'cached' && r.hitRatio < 0.99) notes.push(`${r.label}: only ${(100 * r.hitRatio).toFixed(1)}% cache hits — the edge cache is not doing its job.`);
      if (r.kind === 'miss' && (r.cache.hit ?? 0) > 0) notes.push(`${r.label}: ${r.cache.hit} cache hits where every request should miss.`);
      if (r.kind === 'uncached' && (r.cache.off ?? 0) < r.ok) notes.push(`${r.label}: ${r.ok - (r.cache.off ?? 0)} responses not rendered for the request (x-edge-cache is not "off").`);
      if (r.errors) notes.push(`${r.label}: ${r.errors} failed requests ${JSON.stringify(r.failures)}.`);
      if (r.treeChanged) notes.push(`${r.label}: src/ or build/ changed during this measurement, so wrangler rebuilt and reloaded the Worker — its figures are void.`);
    }
    for (const l of logs) notes.push(`wrangler wrote ${l.bytes} bytes of log during the ${l.group} shop's runs (per-request logging is off at WRANGLER_LOG_LEVEL=warn).`);
    if (results.some((r) => r.errors)) {
      for (const l of logs) console.log(`\nThe ${l.group} shop's last log lines:\n${l.tail}`);
    }
    if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
    console.log('\nA measurement, not a test: this exits 0 whether or not the targets are met.');
  } finally {
    await stopShop();
    await stopFloor();
  }
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exit(1);
});
