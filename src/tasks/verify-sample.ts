// The optional deep verification: open the copy in the vault with the repository key, walk the snapshot's
// trees *as stored in the vault*, read a sample of files blob by blob (each blob is decrypted and checked
// against its ID) and compare them with the same files read from the primary.
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import { loadIndex, openRepository, readBlob, type Repository } from '../repository/repository.js';
import { loadSnapshot } from '../repository/snapshots.js';
import { walkTree, type TreeNode } from '../repository/tree.js';

export interface SampleResult {
  snapshot: string;
  files: number;
  bytes: number;
  equal: boolean;
  /** Paths whose contents differed (at most a few). */
  different: string[];
}

async function fileDigest(repo: Repository, node: TreeNode): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for (const c of node.content ?? []) {
    const b = await readBlob(repo, Buffer.from(c, 'hex'), 'data');
    h.update(b);
    bytes += b.byteLength;
  }
  return { hash: h.digest('hex'), bytes };
}

/** Picks `n` files spread evenly over the snapshot (deterministic: same snapshot, same sample). */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.floor((i * items.length) / n)]!);
  return out;
}

export async function verifySample(
  primary: Repository,
  vault: Backend,
  password: string,
  snapshotId: string,
  files: number,
  signal?: AbortSignal,
): Promise<SampleResult> {
  const copy = await openRepository(vault, password);
  if (copy.config.id !== primary.config.id)
    fail('INTEGRITY', 'the vault holds a different repository than the primary');
  await loadIndex(copy);
  await loadIndex(primary);
  const snap = await loadSnapshot(copy, snapshotId);
  const all: { path: string; node: TreeNode }[] = [];
  await walkTree(copy, snap.tree, (path, node) => {
    if (node.type === 'file') all.push({ path, node });
  });
  const out: SampleResult = { snapshot: snapshotId, files: 0, bytes: 0, equal: true, different: [] };
  for (const f of spread(all, files)) {
    signal?.throwIfAborted();
    const fromVault = await fileDigest(copy, f.node);
    const fromPrimary = await fileDigest(primary, f.node);
    out.files++;
    out.bytes += fromVault.bytes;
    if (
      fromVault.hash !== fromPrimary.hash ||
      (f.node.size !== undefined && fromVault.bytes !== f.node.size)
    ) {
      out.equal = false;
      if (out.different.length < 5) out.different.push(f.path);
    }
  }
  return out;
}
