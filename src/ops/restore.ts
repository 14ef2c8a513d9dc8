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
} from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { AirgapError, fail, fromSystemError } from '../errors.js';
import { loadIndex, newReadScratch, readBlobInto, type Repository } from '../repository/repository.js';
import { findSnapshot } from '../repository/snapshots.js';
import { loadTree, type TreeNode } from '../repository/tree.js';
import { youngCollectionEvery } from '../util/gc.js';
import { compileMatcher } from '../util/glob.js';
import { nsToSeconds } from './node-meta.js';
import { restoreXattrs, type XattrRestore } from './xattrs.js';

export interface RestoreOptions {
  target: string;
  /** Restore only paths matching these patterns (and everything below a matched directory). */
  include?: string[];
  exclude?: string[];
  onProgress?: (p: { files: number; bytes: number; current: string }) => void;
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
  // Blobs are decoded into the same buffers every time; the decipher's per-call output is freed by a
  // young-generation collection every few MiB (src/util/gc.ts).
  const scratch = newReadScratch();
  const collected = youngCollectionEvery(8 * 1024 * 1024);
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

  const writeFile = async (dest: string, node: TreeNode): Promise<void> => {
    const key = node.links && node.links > 1 && node.inode ? `${node.dev}:${node.inode}` : null;
    if (key) {
      const first = hardlinks.get(key);
      if (first) {
        linkSync(first, dest);
        result.hardlinks++;
        return;
      }
    }
    const fd = openSync(dest, 'wx', 0o600);
    try {
      for (const c of node.content ?? []) {
        const data = await readBlobInto(repo, Buffer.from(c, 'hex'), scratch, 'data');
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
        result.bytes += data.length;
        collected(data.length);
        opts.onProgress?.({ files: result.files, bytes: result.bytes, current: dest });
      }
    } finally {
      closeSync(fd);
    }
    if (key) hardlinks.set(key, dest);
    result.files++;
    applyMeta(dest, node);
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
          applyMeta(dest, node);
          any = true;
        } else if (sel === 'yes') {
          if (node.type === 'symlink') {
            symlinkSync(node.target ?? '', dest);
            result.symlinks++;
            applyMeta(dest, node);
          } else await writeFile(dest, node);
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

  await restoreTree(snap.tree, target, '', false);
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
