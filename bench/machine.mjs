// The machine line a benchmark prints with its figures: date, CPU, cores, memory, Node, workerd,
// the commit measured (VESTIFY_COMMIT from scripts/bench-snapshot, which runs from a copy without
// .git) and the load average.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { ROOT } from '../tests/support/shop.mjs';

export function machine() {
  const tryRun = (file, args) => {
    try {
      return execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    nproc: tryRun('nproc', []),
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    workerd: tryRun(join(ROOT, 'node_modules/.bin/workerd'), ['--version']),
    commit: process.env.VESTIFY_COMMIT ?? tryRun('git', ['rev-parse', '--short', 'HEAD']),
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}
