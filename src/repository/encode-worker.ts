// Worker thread: compresses and encrypts blobs for the main thread (src/repository/encode-pool.ts).
// Input and output live in one SharedArrayBuffer ring: the worker reads a blob from its region and
// writes the encoded bytes back into the same region. Compression goes into a reused scratch buffer,
// so the only allocation per blob is the ciphertext (glibc keeps freed per-thread memory, and the
// resident size of a backup is what users compare).
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import zstd from 'zstd-napi/binding.js';
import { FLAG_RAW, FLAG_ZSTD } from './compress.js';
import { sealInto } from './crypto.js';

const { encKey, level, ring } = workerData as { encKey: Uint8Array; level: number; ring: SharedArrayBuffer };
const key = Buffer.from(encKey);
const shared = Buffer.from(ring);
const { CCtx, compressBound } = zstd; // a native CommonJS module: no named ESM exports
const cctx = new CCtx();
let scratch = Buffer.allocUnsafe(0);
// The ciphertext buffers are the only garbage here, and a thread whose JavaScript heap hardly grows
// collects them late: glibc then keeps up to the thread's whole arena resident. A minor GC every few
// MiB keeps the worker small and costs a millisecond or two (its heap is tiny).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
const GC_EVERY = 32 * 1024 * 1024;
let sinceGc = 0;
const RAW = Buffer.of(FLAG_RAW);
const ZSTD = Buffer.of(FLAG_ZSTD);

parentPort!.on('message', (msg: { seq: number; offset: number; length: number; capacity: number }) => {
  const plain = shared.subarray(msg.offset, msg.offset + msg.length);
  let parts: Uint8Array[] = [RAW, plain];
  // Same rule as compress.ts: keep zstd only when it saves at least 1/32.
  if (level > 0 && plain.length >= 64) {
    const bound = compressBound(plain.length);
    if (scratch.length < bound) scratch = Buffer.allocUnsafe(bound);
    const n = cctx.compress(scratch, plain, level);
    if (n <= plain.length - (plain.length >> 5)) parts = [ZSTD, scratch.subarray(0, n)];
  }
  const size = 29 + (parts[1] as Uint8Array).length;
  if (size > msg.capacity) {
    parentPort!.postMessage({ seq: msg.seq, error: `encoded blob of ${size} bytes exceeds its region` });
    return;
  }
  const length = sealInto(key, parts, shared, msg.offset);
  parentPort!.postMessage({ seq: msg.seq, length });
  sinceGc += length;
  if (sinceGc >= GC_EVERY) {
    sinceGc = 0;
    collect();
  }
});
