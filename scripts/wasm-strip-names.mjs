// Removes the `name` custom section (function names, for stack traces and profilers) from a wasm
// file in place; every other section is kept byte for byte. worker-build runs wasm-opt with
// `--debuginfo`, which keeps the names: about 390 KB raw and 105 KB gzipped of a Worker that is
// uploaded and compiled on every cold start (docs/BENCHMARKS.md, "Worker size"). The code is the
// same with or without it; a panic's stack trace then shows `wasm-function[N]` instead of a name.
//   node scripts/wasm-strip-names.mjs build/index_bg.wasm
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const bytes = readFileSync(file);
if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file} is not a wasm module`);

const uleb = (at) => {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
};

const kept = [bytes.subarray(0, 8)];
let removed = 0;
for (let at = 8; at < bytes.length; ) {
  const start = at;
  const [size, body] = uleb(at + 1);
  at = body + size;
  if (bytes[start] === 0) {
    const [length, name] = uleb(body);
    if (bytes.toString('utf8', name, name + length) === 'name') {
      removed += at - start;
      continue;
    }
  }
  kept.push(bytes.subarray(start, at));
}
if (removed) {
  writeFileSync(`${file}.tmp`, Buffer.concat(kept));
  renameSync(`${file}.tmp`, file);
}
console.error(`${file}: ${removed ? `removed the name section (${removed} bytes)` : 'no name section'}`);
