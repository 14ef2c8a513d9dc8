// A pool of worker threads that compress and encrypt blobs: zstd and AES-GCM are most of a backup's
// CPU, and one core does not keep up with the disk. The main thread keeps reading, chunking, hashing
// and deduplicating; only new blobs travel to the workers, through a fixed SharedArrayBuffer ring, so
// memory stays at the ring's size whatever the data (no buffer per blob for the GC to chase).
import { Worker } from 'node:worker_threads';
import { SEAL_OVERHEAD } from './crypto.js';

/** Encoding adds the nonce, the tag and the flag byte at most (compression is kept only if smaller). */
const SLACK = SEAL_OVERHEAD + 1;

export interface Encoded {
  /** A view into the ring: copy it, then call release(). */
  stored: Buffer;
  release(): void;
}

export interface EncodePool {
  /** Resolves once `plain` is copied into the ring (the caller may reuse it); `done` when encoded. */
  submit(plain: Uint8Array): Promise<{ done: Promise<Encoded> }>;
  /** The largest blob the ring takes. */
  readonly maxBlob: number;
  close(): Promise<void>;
}

export const DEFAULT_RING_BYTES = 24 * 1024 * 1024;

interface Region {
  offset: number;
  end: number;
  done: boolean;
}

export function createEncodePool(
  encKey: Buffer,
  level: number,
  size: number,
  ringBytes = DEFAULT_RING_BYTES,
): EncodePool {
  const ring = new SharedArrayBuffer(ringBytes);
  const shared = Buffer.from(ring);
  const url = new URL('./encode-worker.js', import.meta.url);
  const workers = Array.from(
    { length: size },
    () => new Worker(url, { workerData: { encKey: new Uint8Array(encKey), level, ring } }),
  );
  const waiting = new Map<
    number,
    { region: Region; resolve: (e: Encoded) => void; reject: (e: unknown) => void }
  >();
  const load = new Array<number>(size).fill(0);
  // Regions are taken in ring order and freed in any order; space is reclaimed from the oldest.
  const regions: Region[] = [];
  let head = 0; // next free byte
  let seq = 0;
  let broken: unknown;
  let spaceWaiters: (() => void)[] = [];

  const reclaim = (): void => {
    while (regions.length && regions[0]!.done) regions.shift();
    if (regions.length === 0) head = 0;
    const w = spaceWaiters;
    spaceWaiters = [];
    for (const f of w) f();
  };

  const tryAlloc = (n: number): Region | null => {
    const tail = regions.length ? regions[0]!.offset : -1;
    let start = head;
    if (tail === -1) start = 0;
    else if (head > tail) {
      // Free space runs from head to the end, then from 0 to tail.
      if (head + n > ringBytes) {
        if (n >= tail) return null;
        start = 0;
      }
    } else if (head + n >= tail) return null;
    if (start + n > ringBytes) return null;
    const r: Region = { offset: start, end: start + n, done: false };
    regions.push(r);
    head = r.end;
    return r;
  };

  const fail = (e: unknown): void => {
    broken ??= e;
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
    // Wake anyone waiting for ring space: they must see the failure, not wait forever.
    const w = spaceWaiters;
    spaceWaiters = [];
    for (const f of w) f();
  };

  workers.forEach((w, i) => {
    w.on('message', (m: { seq: number; length?: number; error?: string }) => {
      load[i]!--;
      const p = waiting.get(m.seq);
      if (!p) return;
      waiting.delete(m.seq);
      if (m.error !== undefined || m.length === undefined) {
        p.reject(new Error(m.error ?? 'encoder failed'));
        return;
      }
      const region = p.region;
      p.resolve({
        stored: shared.subarray(region.offset, region.offset + m.length),
        release() {
          region.done = true;
          reclaim();
        },
      });
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (code !== 0) fail(new Error(`encoder thread exited with code ${code}`));
    });
  });

  return {
    maxBlob: Math.floor(ringBytes / 2) - SLACK,
    async submit(plain) {
      const need = plain.length + SLACK;
      if (need > ringBytes / 2)
        throw new RangeError(`blob of ${plain.length} bytes is larger than the encode ring allows`);
      let region: Region | null;
      while (!(region = tryAlloc(need))) {
        if (broken) throw broken;
        await new Promise<void>((r) => spaceWaiters.push(r));
      }
      if (broken) throw broken;
      shared.set(plain, region.offset);
      let best = 0;
      for (let i = 1; i < size; i++) if (load[i]! < load[best]!) best = i;
      load[best]!++;
      const s = seq++;
      const r = region;
      const done = new Promise<Encoded>((resolve, reject) => {
        waiting.set(s, { region: r, resolve, reject });
      });
      workers[best]!.postMessage({ seq: s, offset: r.offset, length: plain.length, capacity: need });
      return { done };
    },
    async close() {
      fail(new Error('encode pool closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
