// check: is every snapshot complete and every stored byte what it claims to be? Structure always;
// with readData (all packs or a subset) every blob is decrypted and its ID recomputed. Errors name the
// snapshots and files they affect.
import { createHash, randomInt } from 'node:crypto';
import { isAirgapError } from '../errors.js';
import { decodeBlob } from '../repository/blob.js';
import { addIndexFile, computeBlobId, hexId, type Repository } from '../repository/repository.js';
import { parsePackHeader } from '../repository/pack.js';
import { readSnapshots } from '../repository/snapshots.js';
import { walkTree } from '../repository/tree.js';

export interface CheckOptions {
  /** Fraction of packs to read in full (0 = none, 1 = all). */
  readData?: number;
  onProgress?: (p: { packs: number; totalPacks: number; bytes: number }) => void;
}

export interface CheckProblem {
  kind:
    | 'missing-pack'
    | 'damaged-pack'
    | 'damaged-blob'
    | 'missing-blob'
    | 'damaged-index'
    | 'damaged-snapshot'
    | 'damaged-tree'
    | 'size-mismatch';
  object: string;
  message: string;
}

export interface AffectedFile {
  snapshot: string;
  path: string;
}

export interface CheckResult {
  ok: boolean;
  snapshots: number;
  packs: number;
  packsRead: number;
  bytesRead: number;
  blobs: number;
  errors: CheckProblem[];
  /** Facts that are not errors: packs no index names (an interrupted backup), stale index entries. */
  notes: string[];
  affected: AffectedFile[];
}

export async function check(repo: Repository, opts: CheckOptions = {}): Promise<CheckResult> {
  const errors: CheckProblem[] = [];
  const notes: string[] = [];
  // Indexes: each must decrypt. loadIndex stops at the first bad one, so load one by one.
  for (const f of await repo.backend.list('index')) {
    try {
      await addIndexFile(repo, f.name);
    } catch (e) {
      errors.push({ kind: 'damaged-index', object: `index/${f.name}`, message: (e as Error).message });
    }
  }
  repo.indexLoaded = true;

  const stored = new Map((await repo.backend.list('data')).map((o) => [o.name, o.size]));
  const indexed = new Set(repo.index.packs());
  const badBlobs = new Set<string>();
  const badPacks = new Set<string>();
  for (const p of indexed) {
    if (!stored.has(p)) {
      errors.push({
        kind: 'missing-pack',
        object: `data/${p}`,
        message: `pack ${p.slice(0, 12)} is in the index but not stored`,
      });
      badPacks.add(p);
    }
  }
  const unindexed = [...stored.keys()].filter((p) => !indexed.has(p));
  if (unindexed.length)
    notes.push(
      `${unindexed.length} pack(s) are not in any index (left by an interrupted backup; prune removes them)`,
    );

  // Read data.
  const fraction = opts.readData ?? 0;
  const candidates = [...indexed].filter((p) => stored.has(p));
  const toRead =
    fraction >= 1
      ? candidates
      : candidates.filter(() => fraction > 0 && randomInt(1_000_000) < fraction * 1_000_000);
  let bytesRead = 0;
  let packsRead = 0;
  const entriesByPack = new Map<string, { id: Buffer; offset: number; length: number }[]>();
  if (toRead.length) {
    const want = new Set(toRead);
    repo.index.forEach((_e, id, loc) => {
      if (!want.has(loc.pack)) return;
      let l = entriesByPack.get(loc.pack);
      if (!l) entriesByPack.set(loc.pack, (l = []));
      l.push({ id: Buffer.from(id), offset: loc.offset, length: loc.length });
    });
  }
  for (const p of toRead) {
    let bytes: Buffer;
    try {
      bytes = await repo.backend.get('data', p);
    } catch (e) {
      errors.push({ kind: 'missing-pack', object: `data/${p}`, message: (e as Error).message });
      badPacks.add(p);
      continue;
    }
    packsRead++;
    bytesRead += bytes.length;
    opts.onProgress?.({ packs: packsRead, totalPacks: toRead.length, bytes: bytesRead });
    const hashOk = createHash('sha256').update(bytes).digest('hex') === p;
    if (!hashOk)
      errors.push({
        kind: 'damaged-pack',
        object: `data/${p}`,
        message: `pack ${p.slice(0, 12)}: content does not match its name (SHA-256)`,
      });
    try {
      parsePackHeader(repo.keys.enc, bytes, bytes.length, `pack ${p.slice(0, 12)}`);
    } catch (e) {
      errors.push({ kind: 'damaged-pack', object: `data/${p}`, message: (e as Error).message });
    }
    for (const ent of entriesByPack.get(p) ?? []) {
      try {
        const plain = decodeBlob(repo.keys.enc, bytes.subarray(ent.offset, ent.offset + ent.length), 'blob');
        if (!computeBlobId(repo, plain).equals(ent.id)) throw new Error('content does not match its ID');
      } catch (e) {
        badBlobs.add(hexId(ent.id));
        errors.push({
          kind: 'damaged-blob',
          object: `data/${p}`,
          message: `blob ${hexId(ent.id).slice(0, 12)} in pack ${p.slice(0, 12)}: ${(e as Error).message}`,
        });
      }
    }
    if (!hashOk && !errors.some((x) => x.kind === 'damaged-blob' && x.object === `data/${p}`))
      badPacks.add(p);
  }

  // A blob is unusable when none of its copies is in a good, present pack.
  const blobUsable = (hex: string): boolean => {
    const locs = repo.index.lookupAll(Buffer.from(hex, 'hex'));
    const good = locs.filter((l) => stored.has(l.pack) && !badPacks.has(l.pack));
    // A damaged copy is saved by another copy in a pack that was not found damaged.
    return badBlobs.has(hex) ? good.length > 1 : good.length > 0;
  };

  // Snapshots and trees: every referenced blob must be usable; name the files that are not.
  const listing = await readSnapshots(repo);
  const snaps = listing.snapshots;
  for (const d of listing.damaged)
    errors.push({ kind: 'damaged-snapshot', object: `snapshots/${d.id}`, message: d.message });
  const affected: AffectedFile[] = [];
  const reportedMissing = new Set<string>();
  for (const s of snaps) {
    const sid = s.id.slice(0, 8);
    if (!blobUsable(s.tree)) {
      errors.push({
        kind: 'damaged-tree',
        object: s.tree,
        message: `snapshot ${sid}: root tree is missing or damaged`,
      });
      affected.push({ snapshot: s.id, path: '/' });
      continue;
    }
    try {
      await walkTree(repo, s.tree, (path, node) => {
        if (node.type === 'dir' && node.subtree && !blobUsable(node.subtree)) {
          affected.push({ snapshot: s.id, path: path + '/' });
          if (!reportedMissing.has(node.subtree)) {
            reportedMissing.add(node.subtree);
            errors.push({
              kind: 'damaged-tree',
              object: node.subtree,
              message: `tree ${node.subtree.slice(0, 12)} (${path}) is missing or damaged`,
            });
          }
          return false;
        }
        if (node.content) {
          const bad = node.content.filter((c) => !blobUsable(c));
          if (bad.length) {
            affected.push({ snapshot: s.id, path });
            for (const b of bad) {
              if (reportedMissing.has(b) || badBlobs.has(b)) continue;
              reportedMissing.add(b);
              errors.push({
                kind: 'missing-blob',
                object: b,
                message: `data blob ${b.slice(0, 12)} is missing`,
              });
            }
          }
        }
        return true;
      });
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      errors.push({ kind: 'damaged-tree', object: s.tree, message: `snapshot ${sid}: ${e.message}` });
      affected.push({ snapshot: s.id, path: '?' });
    }
  }
  return {
    ok: errors.length === 0,
    snapshots: snaps.length,
    packs: stored.size,
    packsRead,
    bytesRead,
    blobs: repo.index.count,
    errors,
    notes,
    affected,
  };
}
