// Worker thread: compresses and encrypts blobs for the main thread (src/repository/encode-pool.ts).
// Input and output live in one SharedArrayBuffer ring: the worker reads a blob from its region and
// writes the encoded bytes back into the same region, so no memory changes hands per blob.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeBlob } from './blob.js';

const { encKey, level, ring } = workerData as { encKey: Uint8Array; level: number; ring: SharedArrayBuffer };
const key = Buffer.from(encKey);
const shared = Buffer.from(ring);

parentPort!.on('message', (msg: { seq: number; offset: number; length: number; capacity: number }) => {
  const plain = Buffer.from(shared.subarray(msg.offset, msg.offset + msg.length));
  const out = encodeBlob(key, plain, level);
  if (out.length > msg.capacity) {
    parentPort!.postMessage({ seq: msg.seq, error: `encoded blob of ${out.length} bytes exceeds its region` });
    return;
  }
  out.copy(shared, msg.offset);
  parentPort!.postMessage({ seq: msg.seq, length: out.length });
});
