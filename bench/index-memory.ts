// Memory of the in-memory blob index per million entries (issue: 10 million chunks without a
// JavaScript object per entry). Run: node --expose-gc dist/bench/index-memory.js [entries]
import { createHash } from 'node:crypto';
import { newBlobIndex } from '../src/repository/blob-index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
gc();
const before = process.memoryUsage();
const idx = newBlobIndex();
// As when loading index files: the number of entries is known up front.
if (process.argv[3] !== '--no-reserve') idx.reserve(N);
const packs = Array.from({ length: Math.ceil(N / 16) }, (_, i) =>
  createHash('sha256').update(`p${i}`).digest('hex'),
);
const idOf = (i: number): Buffer => createHash('sha256').update(`b${i}`).digest();
const t0 = performance.now();
for (let i = 0; i < N; i++)
  idx.add(idOf(i), { pack: packs[i >> 4]!, type: 'data', offset: i * 1000, length: 1000, rawLength: 1200 });
const addMs = performance.now() - t0;
gc();
const after = process.memoryUsage();
const t1 = performance.now();
let hits = 0;
const probes = Math.min(N, 1_000_000);
for (let i = 0; i < probes; i++) if (idx.has(idOf(i))) hits++;
const lookupMs = performance.now() - t1;
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
const total = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
console.log(
  JSON.stringify({
    entries: N,
    packs: packs.length,
    hits,
    addNsPerEntry: Math.round((addMs * 1e6) / N),
    lookupNsPerEntry: Math.round((lookupMs * 1e6) / probes),
    heapMiB: mib(after.heapUsed - before.heapUsed),
    arrayBuffersMiB: mib(after.arrayBuffers - before.arrayBuffers),
    totalMiB: mib(total),
    bytesPerEntry: Math.round(total / N),
    rssMiB: mib(after.rss - before.rss),
  }),
);
