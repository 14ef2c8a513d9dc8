// A pool of worker threads that compress and encrypt blobs: zstd and AES-GCM are most of a backup's
// CPU, and one core does not keep up with the disk. The main thread keeps reading, chunking, hashing
// and deduplicating. Large chunks are also hashed on a worker (`hold`): the main thread only copies them
// into a slot, learns their ID, and tells the worker to encode or drop them.
// Blobs travel in a fixed set of slot buffers that are transferred (moved, not copied) to a worker and
// back, so memory stays at slots × slot size whatever the data. Not a SharedArrayBuffer: V8 copies into
// and out of shared memory with a byte-wise relaxed-atomic loop, which cost the main thread more than
// the encoding saved.
import { Worker } from 'node:worker_threads';
import { keepYoungGenerationSmall } from '../util/gc.js';
import { SEAL_OVERHEAD } from './crypto.js';

/** Encoding adds the nonce, the tag and the flag byte at most (compression is kept only if smaller). */
const SLACK = SEAL_OVERHEAD + 1;

export interface Encoded {
  /** A view into a slot: copy it, then call release(). */
  stored: Buffer;
  release(): void;
}

/** A blob held by a worker while the main thread decides whether it is new. */
export interface Held {
  /** Its blob ID (HMAC-SHA256 under the ID key), computed on the worker. */
  id: Promise<Buffer>;
  /** Compress and encrypt it; call once `id` has resolved. */
  encode(): Promise<Encoded>;
  /** Give its slot back without encoding (a duplicate). */
  drop(): void;
}

export interface EncodePool {
  /** Resolves once `plain` is copied into a slot (the caller may reuse it); `done` when encoded. */
  submit(plain: Uint8Array): Promise<{ done: Promise<Encoded> }>;
  /** Resolves once `plain` is copied into a slot; the worker hashes it and keeps it until told. */
  hold(plain: Uint8Array): Promise<Held>;
  /** The largest blob a slot takes. */
  readonly maxBlob: number;
  close(): Promise<void>;
}

export interface EncodePoolOptions {
  /** The largest blob to be submitted (the chunker's maximum). */
  maxBlob?: number;
  /**
   * Slot buffers in circulation; default one per thread plus one being filled. Measured on two cores,
   * six slots instead of three only added ~15 MiB of resident memory (docs/BENCHMARKS.md).
   */
  slots?: number;
}

export const DEFAULT_MAX_BLOB = 4 * 1024 * 1024;

interface Reply {
  seq: number;
  /** The slot, back from the worker; absent in the answer to a hash (the worker keeps the slot). */
  buf?: ArrayBuffer;
  length?: number;
  id?: Uint8Array;
  error?: string;
}

type Waiter = { resolve: (r: Reply) => void; reject: (e: unknown) => void };

export function createEncodePool(
  keys: { enc: Buffer; id: Buffer },
  level: number,
  size: number,
  opts: EncodePoolOptions = {},
): EncodePool {
  const maxBlob = opts.maxBlob ?? DEFAULT_MAX_BLOB;
  const slotBytes = maxBlob + SLACK;
  const url = new URL('./encode-worker.js', import.meta.url);
  const workers = Array.from(
    { length: size },
    () =>
      new Worker(url, {
        workerData: { encKey: new Uint8Array(keys.enc), idKey: new Uint8Array(keys.id), level },
        // 1 MiB semi-spaces: a worker's objects are a few messages; its buffers live off the heap.
        resourceLimits: { maxYoungGenerationSizeMb: 3 },
      }),
  );
  // Configuring a new thread's heap resets V8's growth factor for every heap, the main thread's too.
  for (const w of workers) w.once('online', keepYoungGenerationSmall);
  // Pages of a slot are touched only as far as blobs reach: an unused tail costs no resident memory.
  const free: ArrayBuffer[] = Array.from(
    { length: opts.slots ?? size + 1 },
    () => new ArrayBuffer(slotBytes),
  );
  const waiting = new Map<number, Waiter>();
  const load = new Array<number>(size).fill(0);
  let seq = 0;
  let broken: unknown;
  let slotWaiters: (() => void)[] = [];

  const wakeAll = (): void => {
    const w = slotWaiters;
    slotWaiters = [];
    for (const f of w) f();
  };

  const fail = (e: unknown): void => {
    broken ??= e;
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
    wakeAll(); // those waiting for a slot must see the failure, not wait forever
  };

  const giveBack = (buf: ArrayBuffer): void => {
    free.push(buf);
    wakeAll();
  };

  workers.forEach((w, i) => {
    w.on('message', (m: Reply) => {
      const p = waiting.get(m.seq);
      if (m.buf) load[i]!--; // a slot came back: that job is over
      if (!p) return;
      waiting.delete(m.seq);
      if (m.error !== undefined) {
        if (m.buf) giveBack(m.buf);
        p.reject(new Error(m.error));
        return;
      }
      p.resolve(m);
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (code !== 0) fail(new Error(`encoder thread exited with code ${code}`));
    });
  });

  const expect = (s: number): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => waiting.set(s, { resolve, reject }));

  const encoded = (r: Reply): Encoded => {
    const buf = r.buf!;
    return { stored: Buffer.from(buf, 0, r.length), release: () => giveBack(buf) };
  };

  /** Waits for a free slot, copies `plain` into it, picks the least loaded thread. */
  const take = async (plain: Uint8Array): Promise<{ buf: ArrayBuffer; worker: number }> => {
    if (plain.length > maxBlob)
      throw new RangeError(
        `blob of ${plain.length} bytes is larger than the encode pool's slots (${maxBlob})`,
      );
    while (free.length === 0) {
      if (broken) throw broken;
      await new Promise<void>((r) => slotWaiters.push(r));
    }
    if (broken) throw broken;
    const buf = free.pop()!;
    Buffer.from(buf).set(plain);
    let best = 0;
    for (let i = 1; i < size; i++) if (load[i]! < load[best]!) best = i;
    load[best]!++;
    return { buf, worker: best };
  };

  return {
    maxBlob,
    async submit(plain) {
      const { buf, worker } = await take(plain);
      const s = seq++;
      const done = expect(s).then(encoded);
      workers[worker]!.postMessage({ op: 'encode', seq: s, buf, length: plain.length }, [buf]);
      return { done };
    },
    async hold(plain) {
      const { buf, worker } = await take(plain);
      const s = seq++;
      const id = expect(s).then((r) => Buffer.from(r.id!));
      workers[worker]!.postMessage({ op: 'hash', seq: s, buf, length: plain.length }, [buf]);
      let decided = false;
      const decide = (op: 'encode-held' | 'drop-held'): number => {
        if (decided) throw new Error('a held blob was already encoded or dropped');
        decided = true;
        const t = seq++;
        workers[worker]!.postMessage({ op, seq: t, held: s });
        return t;
      };
      return {
        id,
        encode() {
          const t = decide('encode-held');
          return expect(t).then(encoded);
        },
        drop() {
          const t = decide('drop-held');
          void expect(t).then(
            (r) => giveBack(r.buf!),
            () => {},
          );
        },
      };
    },
    async close() {
      fail(new Error('encode pool closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
