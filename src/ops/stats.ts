// stats: how big the repository is, how much it deduplicates.
import { loadIndex, type Repository } from '../repository/repository.js';
import { listSnapshots } from '../repository/snapshots.js';

export interface RepoStats {
  snapshots: number;
  packs: number;
  storedBytes: number;
  blobs: number;
  uniqueRawBytes: number;
  /** Sum of the sizes of all files in all snapshots (what restores would write). */
  restoreSizeAll: number;
  compressionRatio: number;
  dedupRatio: number;
}

export async function repoStats(repo: Repository): Promise<RepoStats> {
  await loadIndex(repo);
  const snaps = await listSnapshots(repo);
  const data = await repo.backend.list('data');
  const storedBytes = data.reduce((a, o) => a + o.size, 0);
  let uniqueRaw = 0;
  let uniqueStored = 0;
  repo.index.forEach((_e, _id, loc) => {
    uniqueRaw += loc.rawLength;
    uniqueStored += loc.length;
  });
  const restoreSizeAll = snaps.reduce((a, s) => a + (s.summary?.totalBytes ?? 0), 0);
  return {
    snapshots: snaps.length,
    packs: data.length,
    storedBytes,
    blobs: repo.index.count,
    uniqueRawBytes: uniqueRaw,
    restoreSizeAll,
    compressionRatio: uniqueStored ? uniqueRaw / uniqueStored : 1,
    dedupRatio: uniqueRaw ? restoreSizeAll / uniqueRaw : 1,
  };
}
