// backup: walk the given paths, store what changed since the parent snapshot, write the snapshot last.
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type BigIntStats,
} from 'node:fs';
import { availableParallelism, hostname, userInfo } from 'node:os';
import { resolve, sep } from 'node:path';
import { AirgapError, fail } from '../errors.js';
import { createBlobWriter, type BlobWriter, type BlobWriterOptions } from '../repository/blob-writer.js';
import { createCutBuffer, type CutBuffer } from '../repository/chunker.js';
import { createEncodePool } from '../repository/encode-pool.js';
import { acquireLock } from '../repository/lock.js';
import { hexId, loadIndex, type Repository } from '../repository/repository.js';
import {
  listSnapshots,
  loadSnapshot,
  refsFromMarks,
  saveSnapshot,
  type SnapshotSummary,
} from '../repository/snapshots.js';
import { loadTree, saveTree, type TreeNode } from '../repository/tree.js';
import { collectGarbage } from '../util/gc.js';
import { compileMatcher, type Matcher } from '../util/glob.js';
import { nodeFromStat, unchanged } from './node-meta.js';
import { loadXattrs, type XattrReader } from './xattrs.js';
import { compareStrings } from '../util/compare.js';

export const PROGRAM = 'airgap 0.1.0';

export interface BackupOptions {
  tags?: string[];
  excludes?: string[];
  host?: string;
  /** Snapshot ID of the parent; default: the latest with the same host and paths. */
  parent?: string;
  /** Read every file even if unchanged. */
  force?: boolean;
  time?: Date;
  onProgress?: (p: BackupProgress) => void;
  onWarning?: (w: BackupWarning) => void;
  writer?: BlobWriterOptions;
  /**
   * Worker threads that hash, compress and encrypt (0: all on the main thread). Default: AIRGAP_WORKERS,
   * else one fewer than the cores, up to four: the main thread, which reads, chunks and writes packs,
   * keeps a core busy itself. On two cores a second worker saves ~8% of a first backup's time for
   * ~20 MiB more memory (docs/BENCHMARKS.md, "Memory").
   */
  workers?: number;
}

function defaultWorkers(): number {
  const env = process.env.AIRGAP_WORKERS;
  const n = Number(env);
  if (env !== undefined && env !== '' && Number.isInteger(n) && n >= 0) return Math.min(n, 16);
  return Math.max(0, Math.min(availableParallelism() - 1, 4));
}

export interface BackupProgress {
  files: number;
  dirs: number;
  bytes: number;
  current: string;
}

export interface BackupWarning {
  path: string;
  message: string;
  kind: 'unreadable' | 'skipped';
}

export interface BackupResult {
  snapshotId: string;
  parent?: string;
  summary: SnapshotSummary;
  warnings: BackupWarning[];
}

const READ_SIZE = 1024 * 1024;

interface Ctx {
  repo: Repository;
  writer: BlobWriter;
  exclude: Matcher;
  summary: SnapshotSummary;
  warnings: BackupWarning[];
  opts: BackupOptions;
  /** The read buffer, with the chunker's cut-point search over it (WebAssembly). */
  cutter: CutBuffer;
  xattrs: XattrReader;
  progress: BackupProgress;
  /** Files whose content IDs are still being computed (see storeFile). */
  later: Promise<void>[];
  /** progress.files at the last forced garbage collection. */
  lastGcAt: number;
}

function warn(ctx: Ctx, path: string, kind: BackupWarning['kind'], message: string): void {
  const w = { path, kind, message };
  ctx.warnings.push(w);
  if (kind === 'unreadable') ctx.summary.errors++;
  ctx.opts.onWarning?.(w);
}

function errMsg(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : (err.message ?? String(e));
}

/**
 * Reads and chunks the file; resolves once every chunk is handed to the writer, with the content IDs
 * still to come (their hashing may still run on a worker thread).
 */
async function storeFile(ctx: Ctx, path: string): Promise<{ content: Promise<string[]> }> {
  const max = ctx.repo.chunker.params.max;
  const { buf } = ctx.cutter;
  const fd = openSync(path, 'r');
  const content: Promise<Buffer>[] = [];
  try {
    let start = 0;
    let end = 0;
    let eof = false;
    while (true) {
      while (!eof && end - start < max) {
        if (buf.length - end < READ_SIZE) {
          buf.copy(buf, 0, start, end);
          end -= start;
          start = 0;
        }
        const n = readSync(fd, buf, end, Math.min(READ_SIZE, buf.length - end), null);
        if (n === 0) eof = true;
        end += n;
      }
      if (start === end) break;
      const cut = ctx.cutter.findCut(start, end, eof);
      // A view: the writer copies what it keeps before saveLater() resolves.
      const chunk = buf.subarray(start, cut);
      start = cut;
      content.push((await ctx.writer.saveLater(chunk)).id);
      ctx.progress.bytes += chunk.length;
      ctx.opts.onProgress?.(ctx.progress);
    }
  } finally {
    closeSync(fd);
  }
  return { content: Promise.all(content).then((ids) => ids.map(hexId)) };
}

/** Waits for the content IDs of the files stored so far: a tree is saved only once they are known. */
async function settle(ctx: Ctx): Promise<void> {
  const later = ctx.later;
  ctx.later = [];
  await Promise.all(later);
  if (ctx.progress.files - ctx.lastGcAt >= GC_EVERY_FILES) {
    ctx.lastGcAt = ctx.progress.files;
    collectGarbage();
  }
}

// Every file leaves a few hundred bytes of garbage (its stat, its node, promises) and V8 sizes its heap
// to that rate: on a tree of 200,000 files the heap grew to three times what was live. A full
// collection every so many files (tens of milliseconds each) keeps the resident size to the settings.
const GC_EVERY_FILES = 25_000;

function markContent(ctx: Ctx, content: string[]): boolean {
  for (const c of content) if (!ctx.repo.index.mark(Buffer.from(c, 'hex'))) return false;
  return true;
}

async function childNode(
  ctx: Ctx,
  path: string,
  name: string,
  prev: TreeNode | undefined,
): Promise<TreeNode | null> {
  let st: BigIntStats;
  try {
    st = lstatSync(path, { bigint: true });
  } catch (e) {
    warn(ctx, path, 'unreadable', errMsg(e));
    return null;
  }
  if (st.isDirectory()) {
    const node = nodeFromStat(name, 'dir', st);
    const subtree = await backupDir(ctx, path, prev?.type === 'dir' ? prev.subtree : undefined);
    if (subtree === null) return null;
    node.subtree = subtree;
    await attachXattrs(ctx, path, node);
    ctx.summary.dirs++;
    ctx.progress.dirs++;
    return node;
  }
  if (st.isSymbolicLink()) {
    const node = nodeFromStat(name, 'symlink', st);
    try {
      node.target = readlinkSync(path);
    } catch (e) {
      warn(ctx, path, 'unreadable', errMsg(e));
      return null;
    }
    return node;
  }
  if (!st.isFile()) {
    warn(ctx, path, 'skipped', 'special file (device, FIFO or socket) skipped');
    return null;
  }
  const node = nodeFromStat(name, 'file', st);
  ctx.progress.current = path;
  ctx.summary.totalFiles++;
  ctx.summary.totalBytes += node.size ?? 0;
  ctx.progress.files++;
  if (!ctx.opts.force && unchanged(prev, node) && markContent(ctx, prev!.content!)) {
    node.content = prev!.content;
    ctx.summary.filesUnmodified++;
    ctx.progress.bytes += node.size ?? 0;
    ctx.opts.onProgress?.(ctx.progress);
  } else {
    try {
      const { content } = await storeFile(ctx, path);
      const settled = content.then((c) => {
        node.content = c;
      });
      settled.catch(() => {}); // awaited by settle(); never an unhandled rejection if we fail first
      ctx.later.push(settled);
    } catch (e) {
      if (e instanceof AirgapError) throw e;
      warn(ctx, path, 'unreadable', errMsg(e));
      return null;
    }
    if (prev) ctx.summary.filesChanged++;
    else ctx.summary.filesNew++;
  }
  await attachXattrs(ctx, path, node);
  return node;
}

async function attachXattrs(ctx: Ctx, path: string, node: TreeNode): Promise<void> {
  const x = ctx.xattrs(path);
  if (x) node.xattrs = x;
}

async function parentNodes(ctx: Ctx, treeId: string | undefined): Promise<Map<string, TreeNode>> {
  if (!treeId) return new Map();
  try {
    return new Map((await loadTree(ctx.repo, treeId)).nodes.map((n) => [n.name, n]));
  } catch {
    return new Map(); // a damaged parent only costs re-reading
  }
}

async function backupDir(ctx: Ctx, dir: string, parentTree: string | undefined): Promise<string | null> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    warn(ctx, dir, 'unreadable', errMsg(e));
    return null;
  }
  names.sort();
  const prev = await parentNodes(ctx, parentTree);
  const nodes: TreeNode[] = [];
  for (const name of names) {
    const path = dir === sep ? `/${name}` : `${dir}/${name}`;
    if (ctx.exclude(path)) continue;
    const node = await childNode(ctx, path, name, prev.get(name));
    if (node) nodes.push(node);
  }
  await settle(ctx);
  return saveTree(ctx.writer, { nodes });
}

/** The root tree holds the absolute paths' components, like restic: /home/a → home → a. */
interface PathTrie {
  children: Map<string, PathTrie>;
  selected: boolean;
}

async function backupTrie(
  ctx: Ctx,
  abs: string,
  trie: PathTrie,
  parentTree: string | undefined,
): Promise<string> {
  const prev = await parentNodes(ctx, parentTree);
  const nodes: TreeNode[] = [];
  for (const [name, child] of [...trie.children].sort(([a], [b]) => compareStrings(a, b))) {
    const path = abs === '/' ? `/${name}` : `${abs}/${name}`;
    if (child.selected) {
      const node = await childNode(ctx, path, name, prev.get(name));
      if (node) nodes.push(node);
      continue;
    }
    let st: BigIntStats;
    try {
      st = lstatSync(path, { bigint: true });
    } catch (e) {
      warn(ctx, path, 'unreadable', errMsg(e));
      continue;
    }
    const node = nodeFromStat(name, 'dir', st);
    const p = prev.get(name);
    node.subtree = await backupTrie(ctx, path, child, p?.type === 'dir' ? p.subtree : undefined);
    nodes.push(node);
  }
  await settle(ctx);
  return saveTree(ctx.writer, { nodes });
}

export async function backup(
  repo: Repository,
  paths: string[],
  opts: BackupOptions = {},
): Promise<BackupResult> {
  if (paths.length === 0) fail('USAGE', 'nothing to back up: give at least one path');
  const abs = [...new Set(paths.map((p) => resolve(p)))].sort();
  for (const p of abs) {
    try {
      lstatSync(p);
    } catch {
      fail('NOT_FOUND', `${p} does not exist`);
    }
  }
  const started = Date.now();
  // One `getfattr -R` walks the whole tree (~0.4 s for 31,000 files): let it run while the index and
  // the parent snapshot load.
  const xattrs = loadXattrs(abs);
  xattrs.catch(() => {}); // awaited below; never an unhandled rejection if we fail first
  const lock = await acquireLock(repo.backend, false);
  try {
    await loadIndex(repo);
    repo.index.clearMarks();
    const host = opts.host ?? hostname();
    let parentId = opts.parent;
    if (!parentId) {
      const same = (await listSnapshots(repo, { host })).filter(
        (s) => s.paths.length === abs.length && s.paths.every((p, i) => p === abs[i]),
      );
      parentId = same.at(-1)?.id;
    }
    const parentTree = parentId ? (await loadSnapshot(repo, parentId)).tree : undefined;

    const trie: PathTrie = { children: new Map(), selected: false };
    for (const p of abs) {
      let t = trie;
      for (const c of p.split('/').filter(Boolean)) {
        let n = t.children.get(c);
        if (!n) t.children.set(c, (n = { children: new Map(), selected: false }));
        t = n;
      }
      t.selected = true;
    }
    // A path inside another selected path is already covered by it.
    const prune = (t: PathTrie): void => {
      if (t.selected) t.children.clear();
      else for (const c of t.children.values()) prune(c);
    };
    prune(trie);

    const summary: SnapshotSummary = {
      filesNew: 0,
      filesChanged: 0,
      filesUnmodified: 0,
      dirs: 0,
      totalFiles: 0,
      totalBytes: 0,
      dataBlobsNew: 0,
      dataAddedRaw: 0,
      dataAddedStored: 0,
      errors: 0,
      durationMs: 0,
    };
    const workers = opts.workers ?? defaultWorkers();
    const pool =
      opts.writer?.pool || workers === 0
        ? null
        : createEncodePool(repo.keys, repo.config.compression, workers, { maxBlob: repo.chunker.params.max });
    const writer = createBlobWriter(repo, { ...(pool ? { pool } : {}), ...opts.writer });
    const ctx: Ctx = {
      repo,
      writer,
      exclude: compileMatcher(opts.excludes ?? []),
      summary,
      warnings: [],
      opts,
      cutter: createCutBuffer(repo.chunker, repo.chunker.params.max + 2 * READ_SIZE),
      xattrs: (await xattrs).reader,
      progress: { files: 0, dirs: 0, bytes: 0, current: '' },
      later: [],
      lastGcAt: 0,
    };
    let tree: string;
    try {
      tree = await backupTrie(ctx, '/', trie, parentTree);
      await writer.flush();
    } finally {
      await pool?.close();
    }
    summary.dataBlobsNew = writer.stats.newBlobs;
    summary.dataAddedRaw = writer.stats.newRawBytes;
    summary.dataAddedStored = writer.stats.storedBytes;
    summary.durationMs = Date.now() - started;
    const tags = [...new Set(opts.tags ?? [])].sort();
    let user = '';
    try {
      user = userInfo().username;
    } catch {
      /* no passwd entry: leave empty */
    }
    const snapshotId = await saveSnapshot(
      repo,
      {
        version: 1,
        time: (opts.time ?? new Date()).toISOString(),
        host,
        user,
        paths: abs,
        tags,
        ...(parentId ? { parent: parentId } : {}),
        tree,
        ...(opts.excludes?.length ? { excludes: opts.excludes } : {}),
        summary,
        program: PROGRAM,
      },
      { refs: refsFromMarks(repo), tags },
    );
    return { snapshotId, ...(parentId ? { parent: parentId } : {}), summary, warnings: ctx.warnings };
  } finally {
    await lock.release();
  }
}
