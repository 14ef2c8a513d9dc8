// Worker thread: compresses and encrypts blobs for the main thread (src/repository/encode-pool.ts).
// Input and output live in one SharedArrayBuffer ring: the worker reads a blob from its region and
// writes the encoded bytes back into the same region. Compression goes into a reused scratch buffer,
// so the only allocation per blob is the ciphertext (glibc keeps freed per-thread memory, and the
// resident size of a backup is what users compare).
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeBlobInto, maxEncodedLength } from './blob.js';

const { encKey, level, ring } = workerData as { encKey: Uint8Array; level: number; ring: SharedArrayBuffer };
const key = Buffer.from(encKey);
const shared = Buffer.from(ring);
// The ciphertext buffers are the only garbage here, and a thread whose JavaScript heap hardly grows
// collects them late: glibc then keeps up to the thread's whole arena resident. A GC every few dozen
// MiB keeps the worker small and costs a millisecond or two (its heap is tiny).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const GC_EVERY = 32 * 1024 * 1024;
let sinceGc = 0;

parentPort!.on('message', (msg: { seq: number; offset: number; length: number; capacity: number }) => {
  if (maxEncodedLength(msg.length) > msg.capacity) {
    parentPort!.postMessage({ seq: msg.seq, error: `a blob of ${msg.length} bytes does not fit its region` });
    return;
  }
  const plain = shared.subarray(msg.offset, msg.offset + msg.length);
  const length = encodeBlobInto(key, plain, level, shared, msg.offset);
  parentPort!.postMessage({ seq: msg.seq, length });
  sinceGc += length;
  if (sinceGc >= GC_EVERY) {
    sinceGc = 0;
    collect();
  }
});
