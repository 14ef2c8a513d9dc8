// A pool of worker threads that compress and encrypt blobs: zstd and AES-GCM are most of a backup's
// CPU, and one core does not keep up with the disk. The main thread keeps reading, chunking, hashing
// and deduplicating; only new blobs travel to the workers.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

export interface EncodePool {
  encode(plain: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export function createEncodePool(encKey: Buffer, level: number, size = Math.max(1, Math.min(availableParallelism(), 4))): EncodePool {
  const url = new URL('./encode-worker.js', import.meta.url);
  const workers = Array.from({ length: size }, () => new Worker(url, { workerData: { encKey: new Uint8Array(encKey), level } }));
  const waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: unknown) => void }>();
  const load = new Array<number>(size).fill(0);
  let seq = 0;
  let broken: unknown;
  workers.forEach((w, i) => {
    w.on('message', (m: { seq: number; data: Uint8Array }) => {
      load[i]!--;
      const p = waiting.get(m.seq);
      waiting.delete(m.seq);
      p?.resolve(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    });
    w.on('error', (e) => {
      broken = e;
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
  });
  return {
    encode(plain) {
      if (broken) return Promise.reject(broken);
      let best = 0;
      for (let i = 1; i < size; i++) if (load[i]! < load[best]!) best = i;
      load[best]!++;
      const s = seq++;
      const owned = plain.byteOffset === 0 && plain.byteLength === plain.buffer.byteLength;
      const data = owned ? plain : new Uint8Array(plain);
      return new Promise((resolve, reject) => {
        waiting.set(s, { resolve, reject });
        workers[best]!.postMessage({ seq: s, data }, [data.buffer as ArrayBuffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
