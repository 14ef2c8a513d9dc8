// Worker thread: compresses and encrypts blobs for the main thread (src/repository/encode-pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { encodeBlob } from './blob.js';

const { encKey, level } = workerData as { encKey: Uint8Array; level: number };
const key = Buffer.from(encKey);

parentPort!.on('message', (msg: { seq: number; data: Uint8Array }) => {
  const out = encodeBlob(key, Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength), level);
  // Hand the bytes back without a copy when the result owns its memory.
  const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength;
  const view = owned ? out : new Uint8Array(out);
  parentPort!.postMessage({ seq: msg.seq, data: view }, [view.buffer as ArrayBuffer]);
});
