// Serves the built Worker like `wrangler dev`, through wrangler's own API (`unstable_startWorker`),
// but without the DevTools inspector. scripts/serve runs this when VESTIFY_INSPECTOR=off.
//
// Why: under `wrangler dev` the inspector enables the DevTools Network domain on the runtime, and
// wrangler's InspectorProxyWorker forwards every DevTools event to wrangler's Node process as a debug
// log (bodies included) — four events for each subrequest the Worker makes, and every D1 query is
// one. That costs several milliseconds of CPU per uncached page, in a process that does not exist in
// production. The benchmark measures the Worker both ways (docs/BENCHMARKS.md).
//
// Same configuration as `wrangler dev`: wrangler.toml (build command, bindings, migrations), the
// state directory, the port, vars from the environment, `/__scheduled` for cron tests.
import { unstable_startWorker } from 'wrangler';

// `--port N` (scripts/serve passes it) makes the process findable by port, as `wrangler dev` is.
const portArg = process.argv.indexOf('--port');
const port = Number(portArg > 0 ? process.argv[portArg + 1] : (process.env.PORT ?? 8787));
// `--config FILE`: another Worker's configuration (the benchmark's floor, bench/floor); the shop's by default.
const configArg = process.argv.indexOf('--config');
const config = configArg > 0 ? process.argv[configArg + 1] : 'wrangler.toml';
const persist = process.env.STATE_DIR ?? '.wrangler/state';
const names = (process.env.VESTIFY_VARS ?? '').split(' ').filter(Boolean);
const bindings = Object.fromEntries(names.map((name) => [name, { type: 'plain_text', value: process.env[name] }]));

const worker = await unstable_startWorker({
  config,
  bindings,
  dev: {
    inspector: false,
    persist,
    server: { hostname: '127.0.0.1', port },
    watch: false,
    testScheduled: true,
    logLevel: process.env.WRANGLER_LOG_LEVEL ?? 'log',
  },
});
await worker.ready;
console.log(`Ready on http://127.0.0.1:${port} (inspector off)`);
const stop = () => worker.dispose().finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
