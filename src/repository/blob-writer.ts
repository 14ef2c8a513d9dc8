// Saves blobs: deduplicates against the index, encodes (compress + encrypt), fills packs (data and tree
// blobs in separate packs, so reading trees never drags file data along), writes each full pack, and
// writes index files for the new packs. Memory: at most `maxInFlight` packs being written plus the two
// being filled.
import { fail } from '../errors.js';
import { encodeBlob, type BlobType } from './blob.js';
import { encodeIndexFile, type IndexPack } from './index-file.js';
import { newPack, type PackBuilder } from './pack.js';
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
  /** Saves (or finds) the blob, marks it as used by the current snapshot, returns its ID. */
  save(type: BlobType, plain: Buffer, knownId?: Buffer): Promise<Buffer>;
  /** Writes every open pack and the index for all new packs. */
  flush(): Promise<void>;
  readonly stats: BlobWriterStats;
}

export interface BlobWriterOptions {
  maxInFlight?: number;
  /** Write an index file after this many new packs, so an interrupted run's data is found again. */
  packsPerIndex?: number;
  /** Encodes a blob; replaced by a worker-pool version for throughput. */
  encode?: (plain: Buffer) => Buffer | Promise<Buffer>;
}

export function createBlobWriter(repo: Repository, opts: BlobWriterOptions = {}): BlobWriter {
  const maxInFlight = opts.maxInFlight ?? 2;
  const packsPerIndex = opts.packsPerIndex ?? 64;
  const encode = opts.encode ?? ((plain: Buffer) => encodeBlob(repo.keys.enc, plain, repo.config.compression));
  const builders: Record<BlobType, PackBuilder> = { data: newPack(), tree: newPack() };
  const pending = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let unindexed: { pack: IndexPack; entries: number[] }[] = [];
  let failure: unknown;
  const stats: BlobWriterStats = { newBlobs: 0, dedupedBlobs: 0, newRawBytes: 0, storedBytes: 0, packs: 0, indexFiles: 0 };

  const writeIndex = async (): Promise<void> => {
    if (unindexed.length === 0) return;
    const batch = unindexed;
    unindexed = [];
    const bytes = encodeIndexFile(repo.keys.enc, { packs: batch.map((b) => b.pack), supersedes: [] }, repo.config.compression);
    const name = sha256Hex([bytes]);
    await repo.backend.put('index', name, bytes);
    const fileNo = repo.indexFiles.push(name) - 1;
    for (const b of batch) for (const e of b.entries) repo.index.setIndexFile(e, fileNo);
    stats.indexFiles++;
  };

  const writePack = async (b: PackBuilder): Promise<void> => {
    const { name, parts, entries, size } = b.finish(repo.keys.enc);
    await repo.backend.put('data', name, Buffer.concat(parts));
    const added: number[] = [];
    for (const e of entries) {
      const n = repo.index.add(e.id, { pack: name, type: e.type, offset: e.offset, length: e.length, rawLength: e.rawLength });
      repo.index.mark(e.id);
      added.push(n);
      pending.delete(hexId(e.id));
    }
    unindexed.push({ pack: { pack: name, blobs: entries }, entries: added });
    stats.packs++;
    stats.storedBytes += size;
    if (unindexed.length >= packsPerIndex) await writeIndex();
  };

  const startWrite = async (type: BlobType): Promise<void> => {
    const b = builders[type];
    builders[type] = newPack();
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const p: Promise<void> = writePack(b)
      .catch((e) => {
        failure ??= e;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  return {
    stats,
    async save(type, plain, knownId) {
      if (failure) throw failure;
      const id = knownId ?? computeBlobId(repo, plain);
      const hex = hexId(id);
      if (repo.index.mark(id) || pending.has(hex)) {
        stats.dedupedBlobs++;
        return id;
      }
      if (plain.length > 0xffffffff) fail('USAGE', 'blob too large');
      pending.add(hex);
      const stored = await encode(plain);
      builders[type].add(type, id, stored, plain.length);
      stats.newBlobs++;
      stats.newRawBytes += plain.length;
      if (builders[type].size >= repo.config.packSize) await startWrite(type);
      return id;
    },
    async flush() {
      for (const t of ['data', 'tree'] as const) if (builders[t].count > 0) await startWrite(t);
      await Promise.all(inFlight);
      if (failure) throw failure;
      await writeIndex();
    },
  };
}
