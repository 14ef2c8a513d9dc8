// Snapshots: encrypted JSON documents naming a root tree; written last, so a snapshot never points at
// missing data. The object name (SHA-256 of the stored bytes) is the snapshot's ID.
import { fail, isAirgapError } from '../errors.js';
import type { SnapshotMeta } from '../storage/backend.js';
import { decodeJson, encodeJson } from './blob.js';
import { loadIndex, sha256Hex, type Repository } from './repository.js';
import { walkTree } from './tree.js';
import { compareStrings } from '../util/compare.js';

export interface SnapshotSummary {
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dirs: number;
  totalFiles: number;
  totalBytes: number;
  dataBlobsNew: number;
  dataAddedRaw: number;
  dataAddedStored: number;
  errors: number;
  durationMs: number;
}

export interface SnapshotDoc {
  version: 1;
  time: string;
  host: string;
  user: string;
  paths: string[];
  tags: string[];
  parent?: string;
  tree: string;
  excludes?: string[];
  summary?: SnapshotSummary;
  program: string;
}

export interface Snapshot extends SnapshotDoc {
  id: string;
}

export async function saveSnapshot(repo: Repository, doc: SnapshotDoc, meta?: SnapshotMeta): Promise<string> {
  const bytes = encodeJson(repo.keys.enc, doc, repo.config.compression);
  const id = sha256Hex([bytes]);
  await repo.backend.put('snapshots', id, bytes, meta ? { snapshot: meta } : undefined);
  return id;
}

export async function loadSnapshot(repo: Repository, id: string): Promise<Snapshot> {
  const doc = decodeJson<SnapshotDoc>(
    repo.keys.enc,
    await repo.backend.get('snapshots', id),
    `snapshot ${id.slice(0, 8)}`,
  );
  if (typeof doc?.tree !== 'string' || typeof doc.time !== 'string')
    fail('INTEGRITY', `snapshot ${id.slice(0, 8)} is malformed`);
  return { ...doc, tags: doc.tags ?? [], paths: doc.paths ?? [], id };
}

export interface SnapshotFilter {
  host?: string;
  tags?: string[];
  paths?: string[];
}

export function matches(s: Snapshot, f: SnapshotFilter): boolean {
  if (f.host && s.host !== f.host) return false;
  if (f.tags?.length && !f.tags.every((t) => s.tags.includes(t))) return false;
  if (f.paths?.length && !f.paths.every((p) => s.paths.includes(p))) return false;
  return true;
}

export interface SnapshotListing {
  snapshots: Snapshot[];
  /** Snapshot objects that cannot be read (corrupted, or not ours). */
  damaged: { id: string; message: string }[];
}

/** Every readable snapshot, oldest first, and the ones that could not be read. */
export async function readSnapshots(repo: Repository, filter: SnapshotFilter = {}): Promise<SnapshotListing> {
  const snapshots: Snapshot[] = [];
  const damaged: SnapshotListing['damaged'] = [];
  for (const o of await repo.backend.list('snapshots')) {
    try {
      const s = await loadSnapshot(repo, o.name);
      if (matches(s, filter)) snapshots.push(s);
    } catch (e) {
      if (!isAirgapError(e, 'INTEGRITY')) throw e;
      damaged.push({ id: o.name, message: e.message });
    }
  }
  snapshots.sort((a, b) => compareStrings(a.time, b.time) || compareStrings(a.id, b.id));
  return { snapshots, damaged };
}

/** Every snapshot, oldest first; fails when one cannot be read (callers that must see all of them). */
export async function listSnapshots(repo: Repository, filter: SnapshotFilter = {}): Promise<Snapshot[]> {
  const { snapshots, damaged } = await readSnapshots(repo, filter);
  if (damaged.length) {
    fail(
      'INTEGRITY',
      `snapshot ${damaged[0]!.id.slice(0, 8)} cannot be read (${damaged[0]!.message}); run \`airgap check\``,
    );
  }
  return snapshots;
}

/** Resolves `latest`, a full ID or a unique prefix of at least 4 hex digits. */
export async function findSnapshot(
  repo: Repository,
  ref: string,
  filter: SnapshotFilter = {},
): Promise<Snapshot> {
  if (ref === 'latest') {
    const all = await listSnapshots(repo, filter);
    const last = all.at(-1);
    if (!last)
      fail(
        'NOT_FOUND',
        'the repository has no snapshot yet' + (Object.keys(filter).length ? ' matching the filter' : ''),
      );
    return last;
  }
  if (!/^[0-9a-f]{4,64}$/.test(ref)) fail('USAGE', `"${ref}" is not a snapshot ID (hex digits or "latest")`);
  const names = (await repo.backend.list('snapshots')).map((o) => o.name).filter((n) => n.startsWith(ref));
  if (names.length === 0) fail('NOT_FOUND', `no snapshot ${ref}`);
  if (names.length > 1) fail('USAGE', `snapshot prefix ${ref} is ambiguous (${names.length} matches)`);
  return loadSnapshot(repo, names[0]!);
}

/** The refs of every blob marked in the index: the packs that hold them and the index files naming them. */
export function refsFromMarks(repo: Repository): string[] {
  const packs = new Set<number>();
  const files = new Set<number>();
  // Column accessors, not forEach: this runs after every backup over the whole index, and forEach
  // builds a location object per entry.
  for (let e = 0; e < repo.index.count; e++) {
    if (!repo.index.isMarked(e)) continue;
    packs.add(repo.index.packNoOf(e));
    const f = repo.index.indexFileOf(e);
    if (f >= 0) files.add(f);
  }
  return [
    ...[...packs].map((p) => `data/${repo.index.packName(p)}`).sort(),
    ...[...files].map((f) => `index/${repo.indexFiles[f]}`).sort(),
  ];
}

/** Marks every blob a snapshot needs (its trees and file contents). Fails when one is not indexed. */
export async function markSnapshot(
  repo: Repository,
  treeId: string,
  seenTrees = new Set<string>(),
): Promise<void> {
  const markOrFail = (hex: string, what: string): void => {
    if (!repo.index.mark(Buffer.from(hex, 'hex')))
      fail('INTEGRITY', `${what} ${hex.slice(0, 12)} is missing from the repository`);
  };
  markOrFail(treeId, 'tree');
  seenTrees.add(treeId);
  await walkTree(repo, treeId, (_p, node) => {
    if (node.content) for (const c of node.content) markOrFail(c, 'data blob');
    if (node.subtree) {
      if (seenTrees.has(node.subtree)) return false; // identical subtree already marked
      seenTrees.add(node.subtree);
      markOrFail(node.subtree, 'tree');
    }
    return true;
  });
}

/** What a keyless holder (the vault) needs to accept this snapshot: the objects it references. */
export async function snapshotMeta(repo: Repository, snapshotId: string): Promise<SnapshotMeta> {
  await loadIndex(repo);
  const snap = await loadSnapshot(repo, snapshotId);
  repo.index.clearMarks();
  await markSnapshot(repo, snap.tree);
  return { refs: refsFromMarks(repo), tags: snap.tags };
}
