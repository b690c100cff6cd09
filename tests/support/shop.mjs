// Starts the built Worker under workerd (via scripts/serve) on a free port with fresh state, and
// offers small HTTP helpers in the style of zero2prod's TestApp. Every test file gets its own shop.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { parseHtml } from './html.mjs';

const run = promisify(execFile);

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const LIFTED_RATE_LIMITS = ['login', 'signup', 'password_reset', 'checkout', 'token', 'token_refresh', 'reviews'].map((a) => `${a}=100000/60`).join(' ');

/** `v` as an SQL string literal (quotes doubled), for the queries tests run with `shop.sql`. */
export const sqlText = (v) => `'${String(v).replace(/'/g, "''")}'`;

/**
 * Starts a shop with fresh D1/KV state. `vars` become Worker vars (e.g. { CART_HOLD_SECONDS: '3' }).
 * Returns { url, stateDir, secrets, get, getJson, apiJson, getHtml, requestWithHost, sql, sqlAll, bumpCatalogVersion, stop, logs }.
 */
export async function startShop({ vars: given = {}, timeoutMs = 120_000, pollMs = 250 } = {}) {
  // Every test client (and benchmark buyer) comes from one address, so the per-client rate limits
  // are lifted unless a test sets its own (tests/ratelimit.test.mjs does).
  const vars = { RATE_LIMITS: LIFTED_RATE_LIMITS, ...given };
  // wrangler dev runs scripts/build before serving; running it first (a no-op when the build is
  // current, as in ./scripts/test) keeps a rebuild after a source change out of the startup timeout.
  await ensureBuilt();
  // Shops started in parallel (other test runs, a dev server) can race for wrangler's inspector port;
  // a shop that lost that race is started again rather than failing the whole file.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startShopOnce({ vars, timeoutMs, pollMs });
    } catch (error) {
      // A busy machine can also make workerd miss its startup ("The Workers runtime failed to start"),
      // and wrangler's local `d1 execute` of the seed once failed with its own internal assertion
      // ("false == true"); each attempt has a fresh state directory, so starting again is safe.
      if (attempt >= 3 || !/Address already in use|Workers runtime failed to start|false == true/.test(String(error.message))) throw error;
    }
  }
}

const STATE_ROOT = join(ROOT, 'tests', '.state');

/**
 * A state directory with the migrations applied and the demo data seeded, made once by
 * `scripts/serve` (VESTIFY_PREPARE_ONLY) and copied for every shop: three wrangler runs (migrations,
 * seed, catalog version) per shop start become one directory copy. It is named after what it is made
 * from (migrations, seed files, scripts/serve), so a change to any of them prepares a new one; shops
 * started in parallel wait for the one that prepares it.
 */
async function preparedState() {
  const hash = createHash('sha256');
  const inputs = [
    ...readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql')).sort().map((f) => join('migrations', f)),
    'seed/demo.sql', 'seed/promotions.sql', 'seed/reviews.sql', 'scripts/serve',
  ];
  for (const file of inputs) hash.update(file).update('\0').update(readFileSync(join(ROOT, file))).update('\0');
  const name = `prepared-${hash.digest('hex').slice(0, 16)}`;
  const dir = join(STATE_ROOT, name);
  if (existsSync(join(dir, '.ready'))) return dir;
  mkdirSync(STATE_ROOT, { recursive: true });
  const lock = join(STATE_ROOT, `${name}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(join(dir, '.ready'))) return dir;
      // A preparer that died leaves its lock: after two minutes it is taken over.
      try { if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true }); } catch { /* gone meanwhile */ }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (existsSync(join(dir, '.ready'))) return dir;
    const work = mkdtempSync(join(STATE_ROOT, 'preparing-'));
    try {
      await run(join(ROOT, 'scripts', 'serve'), [], {
        cwd: ROOT,
        env: { ...process.env, STATE_DIR: work, VESTIFY_PREPARE_ONLY: '1' },
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      throw new Error(`preparing the shop's state failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
    writeFileSync(join(work, '.ready'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    // Older prepared states (other migrations or seeds) are of no further use.
    for (const old of readdirSync(STATE_ROOT)) {
      if (old.startsWith('prepared-') && old !== name && !old.endsWith('.lock')) rmSync(join(STATE_ROOT, old), { recursive: true, force: true });
    }
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function startShopOnce({ vars, timeoutMs, pollMs }) {
  const prepared = await preparedState();
  const port = await freePort();
  const stateDir = mkdtempSync(join(STATE_ROOT, 'shop-'));
  cpSync(prepared, stateDir, { recursive: true });
  rmSync(join(stateDir, '.ready'), { force: true });
  const logs = [];
  const spawnedAt = performance.now();
  // When the shop first answered and how long that first answer took (the benchmark's cold start).
  const startup = { readyMs: NaN, firstRequestMs: NaN };
  const child = spawn(join(ROOT, 'scripts', 'serve'), [], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_LOG_LEVEL: 'warn', ...vars, PORT: String(port), STATE_DIR: stateDir, VESTIFY_STATE_PREPARED: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => logs.push(d.toString()));
  child.stderr.on('data', (d) => logs.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  for (;;) {
    if (exited !== null) {
      rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`shop exited with ${exited}:\n${logs.join('')}`);
    }
    try {
      const sent = performance.now();
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) {
        await res.arrayBuffer();
        startup.firstRequestMs = performance.now() - sent;
        startup.readyMs = performance.now() - spawnedAt;
        break;
      }
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      stopChild(child);
      await new Promise((r) => (exited !== null ? r() : child.once('exit', r)));
      rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`shop did not start within ${timeoutMs} ms:\n${logs.join('')}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  // Tests read and change the shop's D1 database directly, as an admin's SQL console would. With the
  // `sqlite3` command (scripts/test installs it) that is the SQLite file itself: ~20 ms a query,
  // where `wrangler d1 execute --local` starts Node and a second runtime for each (~2 s on this
  // machine, several hundred times per suite). Without it, or with VESTIFY_TEST_SQL=wrangler,
  // wrangler runs them as before. Either way a second process opening the file while the shop
  // writes can find it locked (SQLITE_BUSY: nothing was run); that is the harness's problem, not
  // the test's, so it waits and tries again.
  const d1File = SQLITE3 ? d1DatabaseFile(stateDir) : null;
  async function d1(command) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (d1File) return await sqliteExecute(d1File, command);
        const { stdout } = await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json', '--command', command]);
        return JSON.parse(stdout);
      } catch (error) {
        if (attempt >= 5 || !/SQLITE_BUSY|database is locked/.test(String(error.message))) throw error;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }
  const shop = {
    url,
    port,
    logs,
    /** From spawning scripts/serve to the first 200 from /healthz (`readyMs`), and that request's latency. */
    startup,
    /** The shop's local D1/KV state (wrangler's --persist-to directory). */
    stateDir,
    /**
     * The secrets scripts/serve made for this state directory: `shop` (signs cart and order tokens),
     * `sandboxWebhook` (signs sandbox payment notifications), `internal` (bearer token of /internal/*),
     * `apiToken` (signs the API's HS256 access tokens).
     */
    secrets: {
      shop: readFileSync(join(stateDir, 'shop-secret'), 'utf8').trim(),
      sandboxWebhook: readFileSync(join(stateDir, 'sandbox-webhook-secret'), 'utf8').trim(),
      internal: readFileSync(join(stateDir, 'internal-token'), 'utf8').trim(),
      apiToken: readFileSync(join(stateDir, 'api-token-secret'), 'utf8').trim(),
    },
    /** GET (or other method) a path; returns { status, headers, text }. Sent again if the proxy drops it. */
    async request(path, init = {}) {
      for (let attempt = 1; ; attempt += 1) {
        const res = await fetch(url + path, { redirect: 'manual', ...init });
        const text = await res.text();
        if (attempt < 3 && isProxyDrop(res.status, text)) continue;
        return { status: res.status, headers: res.headers, text };
      }
    },
    async get(path, headers = {}) {
      return shop.request(path, { headers });
    },
    /**
     * A request to the shop's address whose `Host` header names `host` (fetch cannot set it), as a
     * client that reached the shop under another name would send it; returns { status, headers, text }.
     */
    async requestWithHost(host, path, { method = 'GET', headers = {}, body } = {}) {
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { ...headers, host } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => { text += chunk; });
          res.on('end', () => {
            const pairs = Object.entries(res.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]));
            resolve({ status: res.statusCode, headers: new Headers(pairs), text });
          });
        });
        req.on('error', reject);
        if (body !== undefined) req.write(body);
        req.end();
      });
    },
    async getJson(path, headers = {}) {
      const res = await shop.get(path, headers);
      let json = null;
      try { json = JSON.parse(res.text); } catch { /* left null: the test says what it expected */ }
      return { ...res, json };
    },
    /** GET a JSON path that must answer 200 (asserted); returns the parsed body. */
    async apiJson(path, headers = {}) {
      const res = await shop.getJson(path, headers);
      assert.equal(res.status, 200, `GET ${path}: ${res.text.slice(0, 200)}`);
      return res.json;
    },
    /** GET a page and parse it: { status, headers, text, doc } (see html.mjs for `doc`). */
    async getHtml(path, headers = {}) {
      const res = await shop.get(path, headers);
      return { ...res, doc: parseHtml(res.text) };
    },
    /**
     * Runs SQL on the shop's local D1 (as an admin would change the catalog) and returns the rows of
     * the last statement. Caches are not told: call `bumpCatalogVersion()` as the admin flow does.
     */
    async sql(command) {
      const results = await d1(command);
      return results[results.length - 1]?.results ?? [];
    },
    /**
     * Runs several `;`-separated statements in one wrangler call (each call starts a local runtime,
     * so batching keeps tests fast) and returns the rows of each statement, in order.
     */
    async sqlAll(command) {
      return (await d1(command)).map((r) => r.results ?? []);
    },
    /** Writes a new catalog version to KV, so every edge-cached page is a miss; returns the version. */
    async bumpCatalogVersion(version = `${Date.now()}${process.hrtime.bigint() % 1000000n}`) {
      await wrangler(['kv', 'key', 'put', '--binding', 'KV', '--local', '--persist-to', stateDir, 'catalog_version', version]);
      // An isolate trusts the version it read for one second (VERSION_FRESH_MS in edge_cache.rs).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      return version;
    },
    async stop() {
      stopChild(child);
      await new Promise((r) => (exited !== null ? r() : child.once('exit', r)));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return shop;
}

/** The `sqlite3` command when it is installed (and not turned off), else null. */
const SQLITE3 = (() => {
  if (process.env.VESTIFY_TEST_SQL === 'wrangler') return null;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'sqlite3'))) return join(dir, 'sqlite3');
  }
  return null;
})();

/** The shop's D1 database file in its local state (miniflare keeps one SQLite file per database). */
function d1DatabaseFile(stateDir) {
  const dir = join(stateDir, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite') : [];
  if (files.length !== 1) throw new Error(`expected one D1 database in ${dir}, found ${files.length}`);
  return join(dir, files[0]);
}

/**
 * The statements of `command` (split at `;` outside quotes and comments), without empty ones.
 * Trigger bodies (`BEGIN … END`) are not expected in tests and not handled.
 */
export function splitStatements(command) {
  const out = [];
  let current = '';
  for (let i = 0; i < command.length; i += 1) {
    const c = command[i];
    if (c === "'" || c === '"' || c === '`') {
      const end = command.indexOf(c, i + 1);
      const stop = end === -1 ? command.length : end;
      current += command.slice(i, stop + 1);
      i = stop;
    } else if (c === '-' && command[i + 1] === '-') {
      const end = command.indexOf('\n', i);
      i = end === -1 ? command.length : end - 1;
    } else if (c === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const STATEMENT_END = '@@vestify-statement-end@@';

/**
 * Runs `command` with the sqlite3 command on the D1 file, with D1's foreign key enforcement, and
 * answers as `wrangler d1 execute --json` does: one `{ results }` per statement, in order.
 */
async function sqliteExecute(file, command) {
  const statements = splitStatements(command);
  const args = ['-bail', '-json', '-cmd', '.timeout 10000', '-cmd', 'PRAGMA foreign_keys = ON', file];
  for (const statement of statements) args.push(statement, `.print ${STATEMENT_END}`);
  const { stdout } = await run(SQLITE3, args, { maxBuffer: 64 * 1024 * 1024 });
  const chunks = stdout.split(`${STATEMENT_END}\n`);
  chunks.pop();
  if (chunks.length !== statements.length) throw new Error(`sqlite3 answered ${chunks.length} of ${statements.length} statements:\n${stdout.slice(0, 500)}`);
  return chunks.map((chunk) => ({ results: chunk.trim() ? JSON.parse(chunk) : [], success: true }));
}

async function ensureBuilt() {
  try {
    await run(join(ROOT, 'scripts', 'build'), [], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`scripts/build failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

/**
 * wrangler dev's proxy answers a request it could not pass on with 503 "Your worker restarted
 * mid-request" — also when nothing restarted: it wrote the request into a pooled connection that the
 * Worker's side was just closing after 5 s idle (cloudflare/workers-sdk#14641). The Worker never
 * served it, so the harness sends it again (the body is always a string here).
 */
export function isProxyDrop(status, text) {
  return status === 503 && text.startsWith('Your worker restarted mid-request');
}

async function wrangler(args) {
  return run(join(ROOT, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

function stopChild(child) {
  try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000).unref();
}
