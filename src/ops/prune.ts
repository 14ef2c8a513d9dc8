// prune: remove data no snapshot needs. Exclusive. Order matters for crash safety: new packs, then the
// new index, then delete old indexes, then delete packs. A crash at any point leaves every snapshot
// complete (at worst, unreferenced packs that the next prune removes).
import { fail } from '../errors.js';
import { encodeIndexFile, type IndexPack } from '../repository/index-file.js';
import { acquireLock } from '../repository/lock.js';
import { newPack, type PackEntry } from '../repository/pack.js';
import { hexId, loadIndex, sha256Hex, type Repository } from '../repository/repository.js';
import { listSnapshots, markSnapshot } from '../repository/snapshots.js';

export interface PruneOptions {
  dryRun?: boolean;
  /** Repack a partly used pack when more than this fraction of it is unused. */
  maxUnusedFraction?: number;
  onProgress?: (msg: string) => void;
}

export interface PruneResult {
  snapshots: number;
  packsBefore: number;
  packsDeleted: number;
  packsRepacked: number;
  packsWritten: number;
  bytesFreed: number;
  bytesRepacked: number;
  indexFilesReplaced: number;
  /** Temporary files of crashed writers removed. */
  temporaryFilesRemoved: number;
  dryRun: boolean;
}

/** A temporary file this old is not being written by anyone: writers hold it for one object's write. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

const BLOBS_PER_INDEX_FILE = 100_000;

export async function prune(repo: Repository, opts: PruneOptions = {}): Promise<PruneResult> {
  if (!repo.backend.capabilities.delete) {
    fail(
      'NOT_SUPPORTED',
      'this repository does not allow deletion over its interface (a vault prunes only locally: `airgap vault prune`)',
    );
  }
  const maxUnused = opts.maxUnusedFraction ?? 0.2;
  const lock = await acquireLock(repo.backend, true);
  try {
    await loadIndex(repo);
    const snaps = await listSnapshots(repo);
    repo.index.clearMarks();
    const seen = new Set<string>();
    for (const s of snaps) {
      try {
        await markSnapshot(repo, s.tree, seen);
      } catch (e) {
        fail(
          'INTEGRITY',
          `snapshot ${s.id.slice(0, 8)} is damaged (${(e as Error).message}); run \`airgap check\` first, prune refuses to guess`,
        );
      }
    }
    opts.onProgress?.(`marked the data of ${snaps.length} snapshots`);

    // Per pack: used and unused bytes. A blob counts as used in one pack only (the first marked copy).
    const stored = new Map((await repo.backend.list('data')).map((o) => [o.name, o.size]));
    const usage = new Map<string, { used: number; unused: number }>();
    const keepEntries = new Map<string, PackEntry[]>();
    const usedOnce = new Set<string>();
    repo.index.forEach((_e, id, loc, marked) => {
      const u = usage.get(loc.pack) ?? { used: 0, unused: 0 };
      usage.set(loc.pack, u);
      const hex = hexId(id);
      if (marked && !usedOnce.has(hex) && stored.has(loc.pack)) {
        usedOnce.add(hex);
        u.used += loc.length;
        const l = keepEntries.get(loc.pack) ?? [];
        l.push({
          type: loc.type,
          id: Buffer.from(id),
          offset: loc.offset,
          length: loc.length,
          rawLength: loc.rawLength,
        });
        keepEntries.set(loc.pack, l);
      } else u.unused += loc.length;
    });
    const del: string[] = [];
    const repack: string[] = [];
    for (const [pack, u] of usage) {
      if (!stored.has(pack)) continue;
      if (u.used === 0) del.push(pack);
      else if (u.unused > 0 && u.unused / (u.used + u.unused) > maxUnused) repack.push(pack);
    }
    const unindexed = [...stored.keys()].filter((p) => !usage.has(p));
    const result: PruneResult = {
      snapshots: snaps.length,
      packsBefore: stored.size,
      packsDeleted: del.length + unindexed.length,
      packsRepacked: repack.length,
      packsWritten: 0,
      bytesFreed: [...del, ...unindexed, ...repack].reduce((a, p) => a + (stored.get(p) ?? 0), 0),
      bytesRepacked: repack.reduce((a, p) => a + (usage.get(p)?.used ?? 0), 0),
      indexFilesReplaced: repo.indexFiles.length,
      temporaryFilesRemoved: 0,
      dryRun: !!opts.dryRun,
    };
    if (opts.dryRun) return result;
    result.temporaryFilesRemoved = (await repo.backend.sweepTemporary?.(STALE_TEMPORARY_MS)) ?? 0;
    if (del.length + repack.length + unindexed.length === 0 && repo.indexFiles.length <= 1) {
      result.indexFilesReplaced = 0;
      return result;
    }

    // 1. Repack the used blobs of partly used packs (their stored bytes are copied as they are).
    const newPacks: IndexPack[] = [];
    let builder = newPack(repo.config.packSize + (1 << 20));
    const flushPack = async (): Promise<void> => {
      if (builder.count === 0) return;
      const { name, bytes, entries } = builder.finish(repo.keys.enc);
      await repo.backend.put('data', name, bytes);
      newPacks.push({ pack: name, blobs: entries.toArray() });
      result.packsWritten++;
      builder = newPack(repo.config.packSize + (1 << 20));
    };
    for (const pack of repack) {
      for (const e of keepEntries.get(pack) ?? []) {
        const bytes = await repo.backend.getRange('data', pack, e.offset, e.length);
        builder.add(e.type, e.id, bytes, e.rawLength);
        if (builder.size >= repo.config.packSize) await flushPack();
      }
    }
    await flushPack();
    opts.onProgress?.(`repacked ${repack.length} packs into ${result.packsWritten}`);

    // 2. The new index: every kept pack's used blobs, plus the new packs.
    const gone = new Set([...del, ...repack]);
    const packsOut: IndexPack[] = [...newPacks];
    for (const [pack, entries] of keepEntries) if (!gone.has(pack)) packsOut.push({ pack, blobs: entries });
    const oldIndexFiles = [...repo.indexFiles];
    let batch: IndexPack[] = [];
    let n = 0;
    const writeBatch = async (): Promise<void> => {
      if (batch.length === 0) return;
      const bytes = encodeIndexFile(
        repo.keys.enc,
        { packs: batch, supersedes: oldIndexFiles },
        repo.config.compression,
      );
      await repo.backend.put('index', sha256Hex([bytes]), bytes);
      batch = [];
      n = 0;
    };
    for (const p of packsOut) {
      batch.push(p);
      n += p.blobs.length;
      if (n >= BLOBS_PER_INDEX_FILE) await writeBatch();
    }
    await writeBatch();

    // 3. Only now remove what the new index replaced.
    for (const f of oldIndexFiles) await repo.backend.delete('index', f);
    for (const p of [...del, ...repack, ...unindexed]) await repo.backend.delete('data', p);
    repo.indexLoaded = false;
    return result;
  } finally {
    await lock.release();
  }
}
