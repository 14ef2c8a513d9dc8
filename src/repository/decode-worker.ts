// Worker thread: decrypts, decompresses and verifies blobs for the main thread
// (src/repository/decode-pool.ts). Integrity failures travel back as messages, so the main thread
// raises them as the same typed errors a single-threaded restore would.
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AirgapError } from '../errors.js';
import { decodeBlob } from './blob.js';
import { blobId } from './crypto.js';
import { transferable } from './decode-pool.js';

const { encKey, idKey } = workerData as { encKey: Uint8Array; idKey: Uint8Array };
const enc = Buffer.from(encKey);
const idk = Buffer.from(idKey);
// Decryption and decompression leave garbage that this thread's tiny heap would collect late, while
// glibc keeps the freed memory resident: collect every few MiB (well under a millisecond each).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const GC_EVERY = 16 * 1024 * 1024;
let sinceGc = 0;

parentPort!.on(
  'message',
  (m: { seq: number; buf: ArrayBuffer; offset: number; length: number; id: Uint8Array; what: string }) => {
    try {
      const plain = decodeBlob(enc, Buffer.from(m.buf, m.offset, m.length), m.what);
      if (!blobId(idk, plain).equals(m.id)) {
        parentPort!.postMessage({ seq: m.seq, integrity: `${m.what}: content does not match its ID` });
        return;
      }
      const t = transferable(plain);
      parentPort!.postMessage({ seq: m.seq, ...t }, [t.buf]);
      sinceGc += m.length + t.length;
      if (sinceGc >= GC_EVERY) {
        sinceGc = 0;
        collect();
      }
    } catch (e) {
      if (e instanceof AirgapError && e.code === 'INTEGRITY')
        parentPort!.postMessage({ seq: m.seq, integrity: e.message });
      else parentPort!.postMessage({ seq: m.seq, error: e instanceof Error ? e.message : String(e) });
    }
  },
);
