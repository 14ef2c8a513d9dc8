// Worker thread: hashes, compresses and encrypts blobs for the main thread (src/repository/encode-pool.ts).
// A blob arrives in a slot buffer that is transferred here. `encode` writes the encoded bytes back into
// the same slot (encodeBlobInto allows the overlap) and transfers it back. `hash` answers with the blob
// ID and keeps the slot until the main thread says `encode-held` (a new blob) or `drop-held` (a
// duplicate).
import { parentPort, workerData } from 'node:worker_threads';
import { encodeBlobInto, maxEncodedLength } from './blob.js';
import { blobId } from './crypto.js';
import { youngCollectionEvery } from '../util/gc.js';

const { encKey, idKey, level } = workerData as { encKey: Uint8Array; idKey: Uint8Array; level: number };
const key = Buffer.from(encKey);
const idk = Buffer.from(idKey);
const held = new Map<number, { buf: ArrayBuffer; length: number }>();
// The cipher's 64 KiB output buffers are the only garbage here, and a thread whose JavaScript heap
// hardly grows collects them late: glibc then keeps up to the thread's whole arena resident. A
// young-generation GC every few MiB frees them for well under a millisecond.
const collected = youngCollectionEvery(4 * 1024 * 1024);

type Msg =
  | { op: 'encode'; seq: number; buf: ArrayBuffer; length: number }
  | { op: 'hash'; seq: number; buf: ArrayBuffer; length: number }
  | { op: 'encode-held' | 'drop-held'; seq: number; held: number };

function encode(seq: number, buf: ArrayBuffer, length: number): void {
  if (maxEncodedLength(length) > buf.byteLength) {
    parentPort!.postMessage({ seq, buf, error: `a blob of ${length} bytes does not fit its slot` }, [buf]);
    return;
  }
  const slot = Buffer.from(buf);
  const n = encodeBlobInto(key, slot.subarray(0, length), level, slot, 0);
  parentPort!.postMessage({ seq, buf, length: n }, [buf]);
  collected(length);
}

parentPort!.on('message', (msg: Msg) => {
  if (msg.op === 'encode') return encode(msg.seq, msg.buf, msg.length);
  if (msg.op === 'hash') {
    held.set(msg.seq, { buf: msg.buf, length: msg.length });
    const id = blobId(idk, new Uint8Array(msg.buf, 0, msg.length));
    parentPort!.postMessage({ seq: msg.seq, id });
    return;
  }
  const h = held.get(msg.held);
  if (!h) {
    parentPort!.postMessage({ seq: msg.seq, error: `no held blob ${msg.held}` });
    return;
  }
  held.delete(msg.held);
  if (msg.op === 'encode-held') return encode(msg.seq, h.buf, h.length);
  parentPort!.postMessage({ seq: msg.seq, buf: h.buf }, [h.buf]);
});
