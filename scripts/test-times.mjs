// A reporter for `node --test` (scripts/test passes it beside the spec reporter): once the run is
// over, a table of each test file's wall time — its process from start to exit, so the shop's
// start-up and the hooks count — with its result, slowest first, and the total.
//
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./scripts/test-times.mjs --test-reporter-destination=stdout tests/
import { relative } from 'node:path';

export default async function* fileTimes(source) {
  const started = Date.now();
  /** file → { ms, passed } from the runner's own record of the file's process (Node 20). */
  const files = new Map();
  /** file → { first, last, failed } from the arrival of its events, for runners that have no such record. */
  const seen = new Map();
  for await (const event of source) {
    const { file, name, nesting, details } = event.data ?? {};
    if (!file) continue;
    const s = seen.get(file) ?? { first: Date.now(), last: 0, failed: false };
    s.last = Date.now();
    if (event.type === 'test:fail') s.failed = true;
    seen.set(file, s);
    if (event.type === 'test:complete' && nesting === 0 && name === file && details) {
      files.set(file, { ms: details.duration_ms, passed: details.passed && !s.failed });
    }
  }
  for (const [file, s] of seen) {
    if (!files.has(file)) files.set(file, { ms: s.last - s.first, passed: !s.failed });
  }
  if (files.size === 0) return;

  const rows = [...files].map(([file, r]) => ({ file: relative(process.cwd(), file), ...r })).sort((a, b) => b.ms - a.ms);
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const width = Math.max(...rows.map((r) => r.file.length), 'total'.length);
  const line = (name, time, result = '') => `  ${name.padEnd(width)}  ${time.padStart(9)}  ${result}`.trimEnd();
  const failed = rows.filter((r) => !r.passed).length;
  yield [
    '',
    'Wall time per test file (each in its own process: shop start-up and hooks included), slowest first:',
    line('file', 'time', 'result'),
    ...rows.map((r) => line(r.file, seconds(r.ms), r.passed ? 'pass' : 'FAIL')),
    line('total', seconds(Date.now() - started), `${rows.length} file${rows.length === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}`),
    '',
  ].join('\n');
}
