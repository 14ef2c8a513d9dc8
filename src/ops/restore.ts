// restore: recreate a snapshot's files under a target directory, contents first, then metadata
// (directories' times last, after their children were written).
import {
  closeSync,
  linkSync,
  lchownSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  writeSync,
  rmdirSync,
  chmodSync,
  chownSync,
  utimesSync,
  write,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { AirgapError, fail, fromSystemError } from '../errors.js';
import { availableParallelism } from 'node:os';
import { createDecodePool, type DecodePool } from '../repository/decode-pool.js';
import { loadIndex, readBlob, type Repository } from '../repository/repository.js';
import { findSnapshot } from '../repository/snapshots.js';
import { loadTree, type TreeNode } from '../repository/tree.js';
import { compileMatcher } from '../util/glob.js';
import { nsToSeconds } from './node-meta.js';
import { restoreXattrs, type XattrRestore } from './xattrs.js';

export interface RestoreOptions {
  target: string;
  /** Restore only paths matching these patterns (and everything below a matched directory). */
  include?: string[];
  exclude?: string[];
  onProgress?: (p: { files: number; bytes: number; current: string }) => void;
  /**
   * Worker threads that decrypt, decompress and verify (0: on the main thread, which also writes).
   * Default: AIRGAP_WORKERS, else one per core up to four.
   */
  workers?: number;
}

function defaultWorkers(): number {
  const env = process.env.AIRGAP_WORKERS;
  const n = Number(env);
  if (env !== undefined && env !== '' && Number.isInteger(n) && n >= 0) return Math.min(n, 16);
  return Math.min(availableParallelism(), 4);
}

/** Decoded blobs waiting to be written: bounds memory while the workers run ahead of the writes. */
const MAX_AHEAD_BYTES = 32 * 1024 * 1024;

interface FileJob {
  dest: string;
  path: string;
  node: TreeNode;
  /** Blobs requested so far, in content order, and their plaintext sizes. */
  parts: Promise<Buffer>[];
  sizes: number[];
  /** Bytes requested for this file and not yet written. */
  ahead: number;
}

/** Stands for a blob already written (keeps a job's request count without its data). */
const WRITTEN: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));

/** Files written at once: while one waits for the thread pool's write, others go on. */
const WRITERS = 4;
const ASYNC_WRITE_MIN = 256 * 1024;

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    const step = (off: number): void => {
      if (off >= data.length) return resolveWrite();
      write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : step(off + n)));
    };
    step(0);
  });
}

export interface RestoreResult {
  snapshotId: string;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
  errors: { path: string; message: string }[];
}

function checkTarget(target: string): void {
  try {
    const entries = readdirSync(target);
    if (entries.length > 0) fail('TARGET_EXISTS', `restore target ${target} exists and is not empty`);
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') fail('TARGET_EXISTS', `restore target ${target} exists and is not a directory`);
    if (code !== 'ENOENT') throw fromSystemError(e, `opening restore target ${target}`);
  }
}

export async function restore(
  repo: Repository,
  snapshotRef: string,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const target = resolve(opts.target);
  checkTarget(target);
  const snap = await findSnapshot(repo, snapshotRef);
  await loadIndex(repo);
  const include = opts.include?.length ? compileMatcher(opts.include) : null;
  const exclude = opts.exclude?.length ? compileMatcher(opts.exclude) : null;
  const isRoot = process.getuid?.() === 0;
  const result: RestoreResult = {
    snapshotId: snap.id,
    files: 0,
    dirs: 0,
    symlinks: 0,
    hardlinks: 0,
    bytes: 0,
    errors: [],
  };
  const hardlinks = new Map<string, string>();
  const xattrs: XattrRestore[] = [];
  try {
    mkdirSync(target, { recursive: true });
  } catch (e) {
    throw fromSystemError(e, `creating restore target ${target}`);
  }

  // Is anything at or below `path` selected? Include patterns select a path, its ancestors (to reach
  // it) and its descendants.
  const selected = (path: string, underSelected: boolean): 'yes' | 'maybe' | 'no' => {
    if (exclude?.(path)) return 'no';
    if (!include || underSelected || include(path)) return 'yes';
    return 'maybe';
  };

  const applyMeta = (dest: string, node: TreeNode): void => {
    try {
      if (node.type === 'symlink') {
        if (isRoot) lchownSync(dest, node.uid, node.gid);
        lutimesSync(dest, nsToSeconds(node.atime), nsToSeconds(node.mtime));
        return;
      }
      if (isRoot) chownSync(dest, node.uid, node.gid);
      chmodSync(dest, node.mode);
      utimesSync(dest, nsToSeconds(node.atime), nsToSeconds(node.mtime));
    } catch (e) {
      result.errors.push({ path: dest, message: `metadata: ${(e as Error).message}` });
    }
    if (node.xattrs) xattrs.push({ path: dest, xattrs: node.xattrs });
  };

  // Files are written in tree order by one writer, while their blobs are read and decoded ahead of it
  // (up to MAX_AHEAD_BYTES). Directories get their metadata at the end, after everything below them.
  const workers = opts.workers ?? defaultWorkers();
  const pool: DecodePool | null = workers > 0 ? createDecodePool(repo.keys, workers) : null;
  const decoder = pool ? pool.decode : undefined;
  const queue: FileJob[] = [];
  let head = 0; // next job to write
  let reqJob = 0; // next job with blobs to request
  let ahead = 0;
  const dirMeta: { dest: string; node: TreeNode }[] = [];

  /** Starts reading and decoding the next blob of `job`. */
  const requestPart = (job: FileJob): void => {
    const id = Buffer.from(job.node.content![job.parts.length]!, 'hex');
    const n = repo.index.lookup(id)?.rawLength ?? 0;
    ahead += n;
    job.ahead += n;
    job.sizes.push(n);
    const part = readBlob(repo, id, 'data', decoder);
    part.catch(() => {}); // awaited by the writer, or abandoned when the file failed
    job.parts.push(part);
  };

  /** Requests blobs in file order while less than MAX_AHEAD_BYTES wait to be written. */
  const request = (): void => {
    while (reqJob < queue.length && ahead < MAX_AHEAD_BYTES) {
      const job = queue[reqJob]!;
      if (job.parts.length >= (job.node.content?.length ?? 0)) reqJob++;
      else requestPart(job);
    }
  };

  const linkTargets = new Map<string, Promise<boolean>>(); // hard link key → first copy written?

  const writeJob = async (job: FileJob): Promise<void> => {
    const { dest, node } = job;
    const key = node.links && node.links > 1 && node.inode ? `${node.dev}:${node.inode}` : null;
    if (key) {
      const first = hardlinks.get(key);
      if (first && (await linkTargets.get(key))) {
        linkSync(first, dest);
        result.hardlinks++;
        return;
      }
    }
    let written!: (ok: boolean) => void;
    if (key && !hardlinks.has(key)) {
      hardlinks.set(key, dest);
      linkTargets.set(key, new Promise<boolean>((r) => (written = r)));
    }
    try {
      const fd = openSync(dest, 'wx', 0o600);
      try {
        const content = node.content ?? [];
        for (let i = 0; i < content.length; i++) {
          request();
          // A later file's writer may get ahead of the requests: it asks for its own next blob
          // (beyond the bound by at most one blob per writer).
          if (job.parts.length <= i) requestPart(job);
          const data = await job.parts[i]!;
          job.parts[i] = WRITTEN; // the job stays queued a while: do not keep its data alive
          // Large blobs are written on the thread pool, so the kernel's copy overlaps other files.
          if (data.length >= ASYNC_WRITE_MIN) await writeAll(fd, data);
          else for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
          const n = job.sizes[i]!;
          ahead -= n;
          job.ahead -= n;
          result.bytes += data.length;
          opts.onProgress?.({ files: result.files, bytes: result.bytes, current: dest });
        }
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      written?.(false);
      throw e;
    }
    written?.(true);
    result.files++;
    applyMeta(dest, node);
  };

  const active = new Set<Promise<void>>();
  let fatal: unknown;
  const runJob = async (job: FileJob): Promise<void> => {
    try {
      await writeJob(job);
    } catch (e) {
      ahead -= job.ahead; // its blobs not yet written will not be
      job.parts.fill(WRITTEN);
      if (e instanceof AirgapError && e.code !== 'INTEGRITY') throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw fromSystemError(e, `restoring ${job.path}`);
      // A damaged blob or an unwritable file costs that file, not the whole restore.
      result.errors.push({ path: job.path, message: e instanceof Error ? e.message : String(e) });
    }
  };

  /** Starts queued files (up to WRITERS at once) until at most `keep` wait; `keep` 0 waits for all. */
  const drain = async (keep: number): Promise<void> => {
    while (queue.length - head > keep || (keep === 0 && active.size > 0)) {
      if (fatal) throw fatal;
      if (active.size >= WRITERS || queue.length - head <= keep) {
        await Promise.race(active);
        continue;
      }
      const job = queue[head]!;
      const p: Promise<void> = runJob(job)
        .catch((e) => {
          fatal ??= e;
        })
        .finally(() => active.delete(p));
      active.add(p);
      head++;
      // Jobs before both cursors are started and fully requested: only their writers hold them.
      const done = Math.min(head, reqJob);
      if (done > 512 && done * 2 > queue.length) {
        queue.splice(0, done);
        head -= done;
        reqJob -= done;
      }
    }
    if (fatal) throw fatal;
  };

  const writeFile = async (dest: string, path: string, node: TreeNode): Promise<void> => {
    queue.push({ dest, path, node, parts: [], sizes: [], ahead: 0 });
    request();
    // Walk ahead of the writer by a bounded number of files.
    await drain(256);
  };

  const restoreTree = async (
    treeId: string,
    dir: string,
    path: string,
    underSelected: boolean,
  ): Promise<boolean> => {
    const tree = await loadTree(repo, treeId);
    let any = false;
    for (const node of tree.nodes) {
      const p = `${path}/${node.name}`;
      const sel = selected(p, underSelected);
      if (sel === 'no') continue;
      const dest = join(dir, node.name);
      try {
        if (node.type === 'dir') {
          if (sel === 'maybe') {
            // Create it only if something below is selected.
            mkdirSync(dest, { recursive: true });
            const got = node.subtree ? await restoreTree(node.subtree, dest, p, false) : false;
            if (!got) {
              rmdirSync(dest);
              continue;
            }
          } else {
            mkdirSync(dest, { recursive: true });
            if (node.subtree) await restoreTree(node.subtree, dest, p, true);
          }
          result.dirs++;
          dirMeta.push({ dest, node });
          any = true;
        } else if (sel === 'yes') {
          if (node.type === 'symlink') {
            symlinkSync(node.target ?? '', dest);
            result.symlinks++;
            applyMeta(dest, node);
          } else await writeFile(dest, p, node);
          any = true;
        }
      } catch (e) {
        if (e instanceof AirgapError && e.code !== 'INTEGRITY') throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') throw fromSystemError(e, `restoring ${p}`);
        // A damaged blob or an unwritable file costs that file, not the whole restore.
        result.errors.push({ path: p, message: e instanceof Error ? e.message : String(e) });
      }
    }
    return any;
  };

  try {
    await restoreTree(snap.tree, target, '', false);
    await drain(0);
  } finally {
    await pool?.close();
  }
  // Children first (the list is in post-order): writing into a directory changes its times.
  for (const d of dirMeta) applyMeta(d.dest, d.node);
  // One syncfs of the target's filesystem instead of an fsync per file: durable at the end, at the cost
  // of one process rather than thirty thousand syscalls.
  await syncFilesystem(target);
  if (xattrs.length && !(await restoreXattrs(xattrs))) {
    result.errors.push({
      path: target,
      message: 'extended attributes not restored: setfattr (Debian package attr) is missing',
    });
  }
  return result;
}

function syncFilesystem(path: string): Promise<void> {
  return new Promise((resolveSync) => {
    const c = spawn('sync', ['-f', path], { stdio: 'ignore' });
    c.on('error', () => resolveSync());
    c.on('close', () => resolveSync());
  });
}
