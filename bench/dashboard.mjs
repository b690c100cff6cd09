// Dashboard benchmark: starts the shop on fresh state, writes a generated history of 100,000 orders
// (tests/support/history.mjs: every status, four providers, refunds, funnel events) over a year,
// rolls it up by day, then times the dashboard read for 7, 30, 90 and 365 days — the same code path
// the admin dashboard uses (roll up today and yesterday, then one D1 batch over the roll-ups),
// reached through the internal JSON endpoint. Also times a one-day roll-up and, for comparison, the
// same totals computed straight from the orders table.
//
//   node bench/dashboard.mjs [--orders 100000] [--days 365] [--runs 20]
//
// A measurement, not a test: exits 0 whether or not the 200 ms target is met.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { historySql } from '../tests/support/history.mjs';
import { startShop } from '../tests/support/shop.mjs';

const TARGET_MS = 200;
const { values: opts } = parseArgs({
  options: { orders: { type: 'string', default: '100000' }, days: { type: 'string', default: '365' }, runs: { type: 'string', default: '20' } },
});
const ORDERS = Number(opts.orders);
const DAYS = Number(opts.days);
const RUNS = Number(opts.runs);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

async function main() {
  console.log(`Vestify dashboard benchmark: ${ORDERS} orders over ${DAYS} days, ${RUNS} runs per period`);
  const shop = await startShop({ vars: { VESTIFY_INSPECTOR: 'off' } });
  try {
    const auth = { authorization: `Bearer ${shop.secrets.internal}` };
    const call = async (method, path) => {
      const res = await fetch(shop.url + path, { method, headers: auth });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text);
    };

    const gen = await timed(() => shop.sqlAll(historySql({ count: ORDERS, days: DAYS }).join(';\n')));
    const [[counts]] = await shop.sqlAll('SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM order_lines) AS lines, (SELECT COUNT(*) FROM shop_events) AS events');
    console.log(`  history   ${counts.orders} orders, ${counts.lines} lines, ${counts.events} events written in ${(gen.ms / 1000).toFixed(1)} s`);

    const half = Math.ceil(DAYS / 2);
    const roll = await timed(() => call('POST', `/internal/analytics/rollup?days=${half}`));
    console.log(`  roll-up   ${roll.value.rolled_up_days} days in ${(roll.ms / 1000).toFixed(1)} s (${(roll.ms / roll.value.rolled_up_days).toFixed(1)} ms per day)`);

    console.log('\n  period   p50 ms   p99 ms   max ms   revenue (VND)      orders   target');
    for (const days of [7, 30, 90, 365]) {
      const samples = [];
      let last;
      await call('GET', `/internal/analytics?days=${days}`); // warm the isolate
      for (let i = 0; i < RUNS; i++) {
        const r = await timed(() => call('GET', `/internal/analytics?days=${days}`));
        samples.push(r.ms);
        last = r.value;
      }
      samples.sort((a, b) => a - b);
      const p50 = pct(samples, 50);
      console.log(
        `  ${String(days).padStart(4)} d  ${p50.toFixed(1).padStart(7)}  ${pct(samples, 99).toFixed(1).padStart(7)}  ${samples[samples.length - 1].toFixed(1).padStart(7)}   ${String(last.totals.revenue).padStart(14)}  ${String(last.totals.orders).padStart(7)}   ${p50 < TARGET_MS ? 'PASS' : 'FAIL'} (< ${TARGET_MS} ms)`,
      );
    }

    // For comparison: the 90-day totals straight from the orders table, through wrangler's D1
    // command (includes starting wrangler, so only the difference between the two is telling).
    const direct = await timed(() =>
      shop.sql(`SELECT SUM(total), COUNT(*) FROM orders WHERE paid_at >= strftime('%s','now') - 90 * 86400 AND status IN ('paid','fulfilled','delivered','refunded','partially_refunded')`),
    );
    const trivial = await timed(() => shop.sql('SELECT 1'));
    console.log(`\n  the same 90-day totals straight from orders (wrangler d1 execute): ${direct.ms.toFixed(0)} ms, of which starting wrangler ~${trivial.ms.toFixed(0)} ms`);
    console.log('\nA measurement, not a test: this exits 0 whether or not the target is met.');
  } finally {
    await shop.stop();
  }
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exit(1);
});
