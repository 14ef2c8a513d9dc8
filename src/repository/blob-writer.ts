// Saves blobs: deduplicates against the index, encodes (compress + encrypt, on worker threads when a
// pool is given), fills packs (data and tree blobs in separate packs, so reading trees never drags file
// data along), writes each full pack, and writes index files for the new packs.
// Memory is bounded by settings: the encode pool's slots (when threads encode) and, where the backend
// cannot stage objects (the vault), the packs being filled, waiting and written (`maxInFlight`). On a
// local repository packs are written out as they fill, so they take no memory at all.
import { fail } from '../errors.js';
import { encodeBlobInto, maxEncodedLength, type BlobType } from './blob.js';
import type { EncodePool } from './encode-pool.js';
import { encodeIndexFileOf } from './index-file.js';
import { newPack, newPackStream, type PackBuilder } from './pack.js';
import type { StagedObject } from '../storage/backend.js';
import { newScratch } from '../util/scratch.js';
import { computeBlobId, hexId, sha256Hex, type Repository } from './repository.js';

export interface BlobWriterStats {
  newBlobs: number;
  dedupedBlobs: number;
  newRawBytes: number;
  storedBytes: number;
  packs: number;
  indexFiles: number;
}

export interface BlobWriter {
  /**
   * Saves (or finds) the blob, marks it as used by the current snapshot, returns its ID. `plain` is
   * copied before the promise resolves: the caller may reuse its buffer afterwards.
   */
  save(type: BlobType, plain: Buffer, knownId?: Buffer): Promise<Buffer>;
  /**
   * save() for large data blobs: resolves as soon as `plain` is copied (the caller may reuse its
   * buffer), with the ID still to come. With a pool, hashing happens on a worker thread, so the caller
   * goes on reading while the last chunks are hashed. Await `id` before using the ID.
   */
  saveLater(plain: Buffer): Promise<{ id: Promise<Buffer> }>;
  /** Writes every open pack and the index for all new packs. */
  flush(): Promise<void>;
  readonly stats: BlobWriterStats;
}

export interface BlobWriterOptions {
  maxInFlight?: number;
  /** Write an index file after this many new packs, so an interrupted run's data is found again. */
  packsPerIndex?: number;
  /** Worker threads that encode; without a pool, blobs are encoded on the calling thread. */
  pool?: EncodePool;
}

/**
 * Below this size hashing a chunk on the main thread costs less than sending it to a worker and
 * waiting for the answer (HMAC-SHA256 runs at about 1 GB/s; a message round trip is tens of µs).
 */
const HASH_ON_WORKER_MIN = 128 * 1024;
/** Likewise for encoding: a tiny blob is compressed and sealed here faster than a worker's round trip. */
const ENCODE_ON_WORKER_MIN = 16 * 1024;

/**
 * A pack is also closed at this many blobs, and an index file written at this many entries: a pack of
 * 16 MiB of tiny files holds 150,000 blobs, and every one costs memory (its header entry, its pending
 * ID) until the pack and its index are written. Memory stays bounded by settings, not by file counts.
 */
const MAX_BLOBS_PER_PACK = 10_000;
const MAX_ENTRIES_PER_INDEX = 50_000;

export function createBlobWriter(repo: Repository, opts: BlobWriterOptions = {}): BlobWriter {
  // Two packs in flight: one fsyncs while the next is written, so the disk never waits on the CPU.
  const maxInFlight = opts.maxInFlight ?? 2;
  const packsPerIndex = opts.packsPerIndex ?? 64;
  const pool = opts.pool;
  const capacity = repo.config.packSize + repo.config.chunker.max + (64 << 10);
  // Pack buffers are reused: a new 16 MiB buffer per pack is garbage the main thread (which allocates
  // little else when workers encode) would collect late, growing the resident size by hundreds of MiB.
  const spare: Buffer[] = [];
  // Where the backend can stage objects (a local repository), packs are written out as they are built
  // and nothing of them stays in memory; otherwise (the vault) they are built in memory and put whole.
  const stage = repo.backend.stage?.bind(repo.backend);
  const stagedOf = new WeakMap<PackBuilder, StagedObject>();
  const scratch = newScratch();
  const open: Record<BlobType, PackBuilder | null> = { data: null, tree: null };
  const builder = (type: BlobType): PackBuilder => {
    let b = open[type];
    if (b) return b;
    if (stage) {
      const staged = stage('data');
      b = newPackStream(staged, scratch);
      stagedOf.set(b, staged);
    } else b = newPack(type === 'data' ? (spare.pop() ?? capacity) : 1024 * 1024);
    return (open[type] = b);
  };
  const pending = new Set<string>();
  const writes = new Set<Promise<void>>();
  const encodes = new Set<Promise<void>>();
  const deciding = new Set<Promise<void>>();
  // Packs written but not yet in an index file, with their entries' numbers in repo.index.
  let unindexed: { pack: string; entries: number[] }[] = [];
  let unindexedEntries = 0;
  let failure: unknown;
  const stats: BlobWriterStats = {
    newBlobs: 0,
    dedupedBlobs: 0,
    newRawBytes: 0,
    storedBytes: 0,
    packs: 0,
    indexFiles: 0,
  };

  const writeIndex = async (): Promise<void> => {
    if (unindexed.length === 0) return;
    const batch = unindexed;
    unindexed = [];
    unindexedEntries = 0;
    const bytes = encodeIndexFileOf(repo.keys.enc, repo.index, batch, repo.config.compression);
    const name = sha256Hex([bytes]);
    await repo.backend.put('index', name, bytes);
    const fileNo = repo.indexFiles.push(name) - 1;
    for (const b of batch) for (const e of b.entries) repo.index.setIndexFile(e, fileNo);
    stats.indexFiles++;
  };

  const writePack = async (b: PackBuilder): Promise<void> => {
    const { name, bytes, entries, size } = b.finish(repo.keys.enc);
    const staged = stagedOf.get(b);
    if (staged) await staged.commit(name);
    else await repo.backend.put('data', name, bytes!);
    if (b.buffer && b.buffer.length >= capacity && spare.length < maxInFlight + 1) spare.push(b.buffer);
    const added: number[] = [];
    for (let i = 0; i < entries.count; i++) {
      const e = entries.at(i);
      const n = repo.index.add(e.id, {
        pack: name,
        type: e.type,
        offset: e.offset,
        length: e.length,
        rawLength: e.rawLength,
      });
      repo.index.mark(e.id);
      added.push(n);
      pending.delete(hexId(e.id));
    }
    unindexed.push({ pack: name, entries: added });
    unindexedEntries += entries.count;
    stats.packs++;
    stats.storedBytes += size;
    if (unindexed.length >= packsPerIndex || unindexedEntries >= MAX_ENTRIES_PER_INDEX) await writeIndex();
  };

  const track = (set: Set<Promise<void>>, p: Promise<void>): void => {
    const q: Promise<void> = p
      .catch((e) => {
        failure ??= e;
      })
      .finally(() => set.delete(q));
    set.add(q);
  };

  // Full packs wait here for one of the `maxInFlight` write slots. Producers wait while it is not empty:
  // without that, encoder threads outrun the disk and every waiting pack is another 16 MiB resident.
  const queue: PackBuilder[] = [];
  let roomWaiters: (() => void)[] = [];
  const wake = (): void => {
    const w = roomWaiters;
    roomWaiters = [];
    for (const f of w) f();
  };
  const pump = (): void => {
    while (queue.length > 0 && writes.size < maxInFlight) {
      const q: Promise<void> = writePack(queue.shift()!)
        .catch((e) => {
          failure ??= e;
        })
        .finally(() => {
          writes.delete(q);
          pump();
          wake();
        });
      writes.add(q);
    }
  };
  const waitForRoom = async (): Promise<void> => {
    while (queue.length > 0 && !failure) await new Promise<void>((r) => roomWaiters.push(r));
  };

  const startWrite = (type: BlobType): void => {
    const b = open[type];
    if (!b) return;
    open[type] = null;
    queue.push(b);
    pump();
  };

  const addStored = (
    type: BlobType,
    id: Buffer,
    stored: Buffer,
    rawLength: number,
    release?: () => void,
  ): void => {
    const b = builder(type);
    try {
      b.add(type, id, stored, rawLength); // copies (or writes out)
    } finally {
      release?.();
    }
    if (b.size >= repo.config.packSize || b.count >= MAX_BLOBS_PER_PACK) startWrite(type);
  };

  /** Counts a blob already stored or on its way (and marks it used by this snapshot). */
  const isDuplicate = (id: Buffer, hex: string): boolean => {
    if (repo.index.mark(id) || pending.has(hex)) {
      stats.dedupedBlobs++;
      return true;
    }
    return false;
  };
  const admit = (hex: string, rawLength: number): void => {
    if (rawLength > 0xffffffff) fail('USAGE', 'blob too large');
    pending.add(hex);
    stats.newBlobs++;
    stats.newRawBytes += rawLength;
  };

  return {
    stats,
    async saveLater(plain) {
      if (!pool || plain.length < HASH_ON_WORKER_MIN || plain.length > pool.maxBlob) {
        return { id: Promise.resolve(await this.save('data', plain)) };
      }
      if (queue.length > 0) await waitForRoom();
      if (failure) throw failure;
      const rawLength = plain.length;
      const held = await pool.hold(plain);
      const id = held.id.then((id) => {
        const hex = hexId(id);
        if (isDuplicate(id, hex)) {
          held.drop();
          return id;
        }
        admit(hex, rawLength);
        track(
          encodes,
          held.encode().then(({ stored, release }) => addStored('data', id, stored, rawLength, release)),
        );
        return id;
      });
      track(
        deciding,
        id.then(() => {}),
      );
      return { id };
    },
    async save(type, plain, knownId) {
      if (queue.length > 0) await waitForRoom();
      if (failure) throw failure;
      const id = knownId ?? computeBlobId(repo, plain);
      const hex = hexId(id);
      if (isDuplicate(id, hex)) return id;
      const rawLength = plain.length;
      admit(hex, rawLength);
      // Trees are few and may be large (a directory of 100,000 files): encode them here, and tiny blobs.
      if (!pool || type === 'tree' || rawLength > pool.maxBlob || rawLength < ENCODE_ON_WORKER_MIN) {
        const { enc } = repo.keys;
        const level = repo.config.compression;
        const b = builder(type);
        b.addEncoded(type, id, rawLength, maxEncodedLength(rawLength), (out, off) =>
          encodeBlobInto(enc, plain, level, out, off),
        );
        if (b.size >= repo.config.packSize || b.count >= MAX_BLOBS_PER_PACK) startWrite(type);
        return id;
      }
      // Waits only for room in the ring (bounded memory), not for the encoding itself.
      const { done } = await pool.submit(plain);
      track(
        encodes,
        done.then(({ stored, release }) => addStored(type, id, stored, rawLength, release)),
      );
      return id;
    },
    async flush() {
      while (deciding.size > 0 || encodes.size > 0) await Promise.all([...deciding, ...encodes]);
      for (const t of ['data', 'tree'] as const) if (open[t]?.count) startWrite(t);
      while (queue.length > 0 || writes.size > 0) await Promise.all(writes);
      if (failure) {
        for (const t of ['data', 'tree'] as const) if (open[t]) stagedOf.get(open[t])?.abort();
        throw failure;
      }
      await writeIndex();
    },
  };
}
