// A pool of worker threads that decrypt, decompress and verify blobs for a restore: on one thread,
// decoding was a third of a restore's time, spent while the disk waited. The main thread reads stored
// blobs and writes files; buffers move to and from the workers by transfer, not by copy.
import { Worker } from 'node:worker_threads';
import { fail } from '../errors.js';

export interface DecodePool {
  /** The plaintext of `stored`, verified against `id`; INTEGRITY errors as on the main thread. */
  decode(stored: Buffer, id: Buffer, what: string): Promise<Buffer>;
  close(): Promise<void>;
}

interface Reply {
  seq: number;
  buf?: ArrayBuffer;
  offset?: number;
  length?: number;
  /** An INTEGRITY failure's message. */
  integrity?: string;
  error?: string;
}

/** Below Node's buffer pool size a Buffer may share its memory with others: copy, never transfer. */
const POOL_SLAB = 8 * 1024;

/** An ArrayBuffer holding exactly `b`'s bytes that may be transferred away. */
export function transferable(b: Uint8Array): { buf: ArrayBuffer; offset: number; length: number } {
  const ab = b.buffer;
  if (ab instanceof ArrayBuffer && ab.byteLength > POOL_SLAB)
    return { buf: ab, offset: b.byteOffset, length: b.length };
  // Not b.slice(): on a Buffer that is a view of the same memory, not a copy.
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return { buf: copy.buffer, offset: 0, length: copy.length };
}

export function createDecodePool(keys: { enc: Buffer; id: Buffer }, size: number): DecodePool {
  const url = new URL('./decode-worker.js', import.meta.url);
  const workers = Array.from(
    { length: size },
    () =>
      new Worker(url, { workerData: { encKey: new Uint8Array(keys.enc), idKey: new Uint8Array(keys.id) } }),
  );
  const waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: unknown) => void }>();
  const load = new Array<number>(size).fill(0);
  let seq = 0;
  let broken: unknown;
  const failAll = (e: unknown): void => {
    broken ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  workers.forEach((w, i) => {
    w.on('message', (m: Reply) => {
      load[i]!--;
      const p = waiting.get(m.seq);
      if (!p) return;
      waiting.delete(m.seq);
      if (m.integrity !== undefined) {
        try {
          fail('INTEGRITY', m.integrity);
        } catch (e) {
          p.reject(e);
        }
      } else if (m.error !== undefined || !m.buf) p.reject(new Error(m.error ?? 'decoder failed'));
      else p.resolve(Buffer.from(m.buf, m.offset, m.length));
    });
    w.on('error', failAll);
    w.on('exit', (code) => {
      if (code !== 0) failAll(new Error(`decoder thread exited with code ${code}`));
    });
  });
  return {
    decode(stored, id, what) {
      if (broken) return Promise.reject(broken);
      let best = 0;
      for (let i = 1; i < size; i++) if (load[i]! < load[best]!) best = i;
      load[best]!++;
      const s = seq++;
      const t = transferable(stored);
      const done = new Promise<Buffer>((resolve, reject) => waiting.set(s, { resolve, reject }));
      workers[best]!.postMessage({ seq: s, ...t, id: new Uint8Array(id), what }, [t.buf]);
      return done;
    },
    async close() {
      failAll(new Error('decode pool closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
