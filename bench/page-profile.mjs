// Where a page's main-thread time goes: loads a page of the demo catalog in Chromium (playwright-core,
// Debian's /usr/bin/chromium) as a phone with the CPU throttled (4× by default, as Lighthouse's
// mobile simulation assumes) and reports, over several fresh loads (no cache, no cookies), the
// JavaScript self time per function of our scripts (CDP `Profiler`), the browser's own totals
// (`Performance.getMetrics`: script, style, layout, task durations, DOM nodes), long tasks and the
// sizes of the document and its CSS. Used for docs/BENCHMARKS.md ("Lighthouse").
//
//   node bench/page-profile.mjs --url http://127.0.0.1:8787 [--path /p/…] [--runs 5] [--cpu 4] [--top 15] [--trace]
//
// --trace also records a performance trace of each load and breaks its tasks of 30 ms or more down.
//
// Without --url it starts a shop on fresh seeded state (tests/support/shop.mjs). The figures are
// medians over the runs; a shared, loaded machine makes them larger and noisier.
import os from 'node:os';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

import { catalog } from '../tests/support/seed.mjs';
import { startShop } from '../tests/support/shop.mjs';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    path: { type: 'string' },
    runs: { type: 'string', default: '5' },
    cpu: { type: 'string', default: '4' },
    top: { type: 'string', default: '15' },
    trace: { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const cpu = Number(opts.cpu);

/** The product page bench/lighthouse.mjs measures: the first product of the first category with one. */
function productPath() {
  const c = catalog();
  const category = c.categories.find((x) => x.parent_id == null && c.inCategory(x.slug).some((p) => c.variantsOf(p).length > 0));
  return `/p/${c.inCategory(category.slug).find((p) => c.variantsOf(p).length > 0).slug}`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : 0;
};

/** Self time (ms) per `file function:line` from a CDP profile, only for scripts of this shop. */
function selfTimes(profile, origin) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const node = byId.get(profile.samples[i]);
    const dt = (deltas[i + 1] ?? 0) / 1000;
    const f = node.callFrame;
    let key;
    if (f.url.startsWith(origin)) key = `${f.url.slice(origin.length).replace(/^\/static\/[0-9a-f]+\//, '').replace(/\?.*/, '')} ${f.functionName || '(anonymous)'}:${f.lineNumber + 1}`;
    else if (f.url === '' && ['(program)', '(garbage collector)', '(idle)', '(root)'].includes(f.functionName)) key = f.functionName;
    else key = f.url ? `(other script) ${f.url.slice(0, 60)}` : `(native) ${f.functionName}`;
    ms.set(key, (ms.get(key) ?? 0) + dt);
  }
  return ms;
}

/**
 * The renderer main thread's tasks of 30 ms or more (throttled), each with what took its time: the
 * trace events directly inside it (script, parse, style, layout, paint…), summed by name.
 */
function longTasks(trace) {
  const events = trace.traceEvents ?? trace;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return [];
  const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur != null).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const start = Math.min(...mine.map((e) => e.ts));
  const out = [];
  for (const task of mine.filter((e) => e.name === 'RunTask' && e.dur >= 30_000)) {
    const inside = mine.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur);
    // Self time per event name: an event's duration less that of the events directly inside it.
    const by = new Map();
    const stack = [task];
    const self = new Map([[task, task.dur]]);
    for (const e of inside) {
      while (stack.length > 1 && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
      const parent = stack.at(-1);
      self.set(parent, self.get(parent) - e.dur);
      self.set(e, e.dur);
      stack.push(e);
    }
    for (const [e, us] of self) {
      const what = ['EvaluateScript', 'v8.compile', 'v8.run', 'FunctionCall'].includes(e.name) ? `${e.name} ${String(e.args?.data?.url ?? e.args?.fileName ?? '').replace(/.*\//, '')}` : e.name;
      by.set(what, (by.get(what) ?? 0) + us / 1000);
    }
    out.push({ at: Math.round((task.ts - start) / 1000), ms: Math.round(task.dur / 1000), parts: [...by].sort((a, b) => b[1] - a[1]).filter(([, v]) => v >= 2).map(([k, v]) => `${k} ${v.toFixed(0)}`) });
  }
  // Total blocking time as the browser saw it (throttled, not Lighthouse's simulation): the part over
  // 50 ms of every task after the first contentful paint.
  const fcp = events.find((e) => e.name === 'firstContentfulPaint' && e.pid === main.pid)?.ts ?? start;
  const tbt = mine.filter((e) => e.name === 'RunTask' && e.ts >= fcp).reduce((n, e) => n + Math.max(0, e.dur / 1000 - 50), 0);
  const evaluate = mine.filter((e) => e.name === 'EvaluateScript' && /\/js\/app(\.[0-9a-f]+)?\.js/.test(e.args?.data?.url ?? '')).reduce((n, e) => n + e.dur / 1000, 0);
  // The same from the main thread's own CPU time (`tdur`), which leaves out the time other processes
  // held the CPU: steadier on a shared machine. Measured unthrottled (--cpu 1), 4× it is what
  // Lighthouse's simulation assumes a phone takes.
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  const cpuTbt = mine.filter((e) => e.name === 'RunTask' && e.ts >= fcp).reduce((n, e) => n + Math.max(0, 4 * cpu(e) - 50), 0);
  const cpuEvaluate = mine.filter((e) => e.name === 'EvaluateScript' && /\/js\/app(\.[0-9a-f]+)?\.js/.test(e.args?.data?.url ?? '')).reduce((n, e) => n + cpu(e), 0);
  const kinds = { script: /^(EvaluateScript|FunctionCall|TimerFire|FireIdleCallback|EventDispatch|RunMicrotasks|v8\.)/, style: /^(UpdateLayoutTree|Document::recalcStyle|ParseAuthorStyleSheet)/, layout: /^(Layout|LocalFrameView::performLayout)$/, parse: /^ParseHTML$/, paint: /^(Paint|PrePaint|Layerize|Commit)$/ };
  const total = mine.filter((e) => e.name === 'RunTask').reduce((n, e) => n + cpu(e), 0);
  const byKind = Object.fromEntries(Object.entries(kinds).map(([k, re]) => [k, mine.filter((e) => re.test(e.name) && !mine.some((o) => o !== e && re.test(o.name) && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && o.dur > e.dur)).reduce((n, e) => n + cpu(e), 0)]));
  return { tasks: out, tbt, evaluate, cpuTbt, cpuEvaluate, cpuTotal: total, byKind };
}

async function once(browser, url) {
  const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1.75 });
  await context.addInitScript(() => {
    window.__long = [];
    try {
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([Math.round(e.startTime), Math.round(e.duration)]); })
        .observe({ type: 'longtask', buffered: true });
    } catch { /* no long task API */ }
  });
  const page = await context.newPage();
  if (opts.trace) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'loading'] });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.goto(url, { waitUntil: 'load' });
  // What runs after load (idle callbacks, fetches answered) is measured too.
  await page.waitForTimeout(3000);
  const { profile } = await cdp.send('Profiler.stop');
  const traced = opts.trace ? longTasks(JSON.parse(String(await browser.stopTracing()))) : { tasks: [] };
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const page_ = await page.evaluate(() => ({
    long: window.__long,
    nodes: document.getElementsByTagName('*').length,
    html: document.documentElement.outerHTML.length,
    jsonLd: [...document.querySelectorAll('script[type="application/ld+json"]')].reduce((n, s) => n + s.textContent.length, 0),
    rules: [...document.styleSheets].reduce((n, s) => { try { return n + s.cssRules.length; } catch { return n; } }, 0),
  }));
  await context.close();
  return { profile: selfTimes(profile, new URL(url).origin), metrics, page: page_, ...traced };
}

async function main() {
  let shop = null;
  let base = opts.url?.replace(/\/$/, '');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    if (!base) {
      shop = await startShop();
      base = shop.url;
    }
    const path = opts.path ?? productPath();
    console.log(`${base}${path}: ${runs} loads, CPU ${cpu}× slower, phone viewport; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await once(browser, `${base}${path}`); // warm the shop's caches; not counted
    const results = [];
    for (let i = 0; i < runs; i += 1) results.push(await once(browser, `${base}${path}`));
    const m = (name) => median(results.map((r) => r.metrics[name] * 1000)).toFixed(0);
    console.log(`browser totals (median ms, throttled): task ${m('TaskDuration')}, script ${m('ScriptDuration')}, style ${m('RecalcStyleDuration')} (${median(results.map((r) => r.metrics.RecalcStyleCount))} recalcs), layout ${m('LayoutDuration')} (${median(results.map((r) => r.metrics.LayoutCount))} layouts)`);
    const p = results.at(-1).page;
    console.log(`document: ${p.nodes} elements, ${p.html} characters of HTML (JSON-LD ${p.jsonLd}), ${p.rules} CSS rules`);
    console.log(`long tasks (start ms, duration ms) per load: ${results.map((r) => JSON.stringify(r.page.long)).join(' | ')}`);
    if (opts.trace) {
      console.log(`app.js evaluation (EvaluateScript, median ms): ${median(results.map((r) => r.evaluate)).toFixed(1)}; per load ${results.map((r) => r.evaluate.toFixed(0)).join(', ')}`);
      console.log(`blocking time after first paint (throttled trace, median ms): ${median(results.map((r) => r.tbt)).toFixed(0)}; per load ${results.map((r) => r.tbt.toFixed(0)).join(', ')}`);
      const med = (f) => median(results.map(f)).toFixed(1);
      console.log(`main thread CPU time (tdur, median ms): tasks ${med((r) => r.cpuTotal)}; ${Object.keys(results[0].byKind).map((k) => `${k} ${med((r) => r.byKind[k])}`).join(', ')}; app.js evaluation ${med((r) => r.cpuEvaluate)} (per load ${results.map((r) => r.cpuEvaluate.toFixed(1)).join(', ')})`);
      console.log(`blocking time after first paint from CPU time × 4 (median ms): ${med((r) => r.cpuTbt)}; per load ${results.map((r) => r.cpuTbt.toFixed(0)).join(', ')}`);
      console.log('tasks of 30 ms or more in the trace (ms from the first event, duration ms: what is inside, ms):');
      results.forEach((r, i) => { for (const t of r.tasks) console.log(`  load ${i + 1}: at ${t.at}, ${t.ms} ms: ${t.parts.join(', ')}`); });
    }
    const keys = new Set(results.flatMap((r) => [...r.profile.keys()]));
    const rows = [...keys].map((k) => [k, median(results.map((r) => r.profile.get(k) ?? 0))]).sort((a, b) => b[1] - a[1]);
    const ours = (k) => /\.js /.test(k) && !k.startsWith('(other');
    const total = (f) => results.map((r) => [...r.profile].filter(([k]) => f(k)).reduce((n, [, v]) => n + v, 0));
    console.log(`our scripts' own JavaScript (median ms): ${median(total(ours)).toFixed(1)}; per load ${total(ours).map((v) => v.toFixed(0)).join(', ')}`);
    for (const [k, v] of rows.filter(([k]) => ours(k)).slice(0, Number(opts.top))) console.log(`  ${v.toFixed(1).padStart(7)}  ${k}`);
    console.log('everything else in the profile (median ms):');
    for (const [k, v] of rows.filter(([k]) => !ours(k) && k !== '(idle)').slice(0, 8)) console.log(`  ${v.toFixed(1).padStart(7)}  ${k}`);
  } finally {
    await browser.close();
    await shop?.stop();
  }
}

main().catch((error) => {
  console.error(`page-profile: ${error.stack ?? error}`);
  process.exit(2);
});
