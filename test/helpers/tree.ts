// Helpers for engine tests: build file trees (hand-made or random) and compare two trees the way a
// restore must reproduce them: contents, type, permission bits (setuid/setgid/sticky included), owner,
// mtime to the microsecond, symlink targets, hard-link groups, empty directories and extended attributes.
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile, symlink, link, chmod, utimes } from 'node:fs/promises';
import { join } from 'node:path';

export interface EntryInfo {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  size?: number;
  sha256?: string;
  target?: string;
  /** For files with several links: the first path (in sorted order) of the same inode inside the tree. */
  linkGroup?: string;
  xattrs?: Record<string, string>;
}

export type TreeDescription = Map<string, EntryInfo>;

export const xattrToolsAvailable: boolean =
  spawnSync('getfattr', ['--version'], { stdio: 'ignore' }).status === 0;

/** Every entry below `root` (root itself is "."), keyed by path relative to root. */
export function describeTree(root: string, opts: { xattrs?: boolean } = {}): TreeDescription {
  const out: TreeDescription = new Map();
  const inodes = new Map<string, string>();
  const visit = (abs: string, rel: string): void => {
    const st = lstatSync(abs, { bigint: true });
    const e: EntryInfo = {
      type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other',
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
    };
    if (e.type === 'file') {
      e.size = Number(st.size);
      e.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = inodes.get(key);
        if (first === undefined) inodes.set(key, rel);
        e.linkGroup = first ?? rel;
      }
    }
    if (e.type === 'symlink') e.target = readlinkSync(abs);
    out.set(rel, e);
    if (e.type === 'dir') {
      for (const name of readdirSync(abs).sort())
        visit(join(abs, name), rel === '.' ? name : `${rel}/${name}`);
    }
  };
  visit(root, '.');
  if (opts.xattrs && xattrToolsAvailable) {
    for (const [rel, attrs] of readXattrs(root)) {
      const e = out.get(rel);
      if (e) e.xattrs = attrs;
    }
  }
  return out;
}

/** `getfattr -R` over the tree, keyed by relative path; only entries that have attributes. */
function readXattrs(root: string): Map<string, Record<string, string>> {
  const r = spawnSync(
    'getfattr',
    ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', root],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const map = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | undefined;
  // Paths are raw bytes with unusual ones escaped as octal: undo that at the byte level, then decode.
  for (const line of r.stdout.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      const bytes = line
        .slice(8)
        .replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
      const p = Buffer.from(bytes, 'latin1').toString('utf8');
      const rel = p === root ? '.' : p.slice(root.length + 1);
      cur = {};
      map.set(rel, cur);
    } else if (cur && line.includes('=')) {
      const i = line.indexOf('=');
      cur[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return map;
}

export interface CompareOptions {
  /** Compare owners (meaningful when the restore ran as root). Default true. */
  owner?: boolean;
  /** Compare extended attributes (both trees must have been described with xattrs). Default true. */
  xattrs?: boolean;
  /** Skip the metadata of the root entry (e.g. when comparing a tree to a subdirectory of a target). */
  skipRootMeta?: boolean;
}

/** Human-readable differences between two descriptions; empty when they are equal. */
export function compareTrees(
  expected: TreeDescription,
  actual: TreeDescription,
  opts: CompareOptions = {},
): string[] {
  const diffs: string[] = [];
  for (const [p, a] of expected) {
    const b = actual.get(p);
    if (!b) {
      diffs.push(`${p}: missing`);
      continue;
    }
    if (a.type !== b.type) {
      diffs.push(`${p}: type ${a.type} != ${b.type}`);
      continue;
    }
    if (a.type === 'file' && (a.sha256 !== b.sha256 || a.size !== b.size))
      diffs.push(`${p}: content differs (${a.size} vs ${b.size} bytes)`);
    if (a.type === 'symlink' && a.target !== b.target)
      diffs.push(`${p}: symlink target ${a.target} != ${b.target}`);
    if (a.linkGroup !== b.linkGroup) diffs.push(`${p}: hard-link group ${a.linkGroup} != ${b.linkGroup}`);
    if (p === '.' && opts.skipRootMeta) continue;
    // Symlink permission bits are always 0777 on Linux and cannot be set.
    if (a.type !== 'symlink' && a.mode !== b.mode)
      diffs.push(`${p}: mode ${a.mode.toString(8)} != ${b.mode.toString(8)}`);
    if ((opts.owner ?? true) && (a.uid !== b.uid || a.gid !== b.gid))
      diffs.push(`${p}: owner ${a.uid}:${a.gid} != ${b.uid}:${b.gid}`);
    // utimes takes a double: the restored time may be off by a few hundred nanoseconds, never a microsecond.
    const dt = a.mtimeNs > b.mtimeNs ? a.mtimeNs - b.mtimeNs : b.mtimeNs - a.mtimeNs;
    if (dt >= 1000n) diffs.push(`${p}: mtime ${a.mtimeNs} != ${b.mtimeNs}`);
    if ((opts.xattrs ?? true) && JSON.stringify(sortKeys(a.xattrs)) !== JSON.stringify(sortKeys(b.xattrs))) {
      diffs.push(`${p}: xattrs ${JSON.stringify(a.xattrs ?? {})} != ${JSON.stringify(b.xattrs ?? {})}`);
    }
  }
  for (const p of actual.keys()) if (!expected.has(p)) diffs.push(`${p}: unexpected`);
  return diffs;
}

function sortKeys(o: Record<string, string> | undefined): [string, string][] {
  return Object.entries(o ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Where a restore puts `source`: restore recreates the absolute source path under the target. */
export function restoredPath(target: string, source: string): string {
  return join(target, source);
}

/** Deterministic pseudo-random bytes (AES-CTR keystream of the seed): fast for megabytes. */
export function seededBytes(seed: number, size: number): Buffer {
  const key = createHash('sha256').update(`seed:${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Compressible text-like bytes, for files that zstd should shrink. */
export function seededText(seed: number, size: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'airgap', 'vault', 'backup', 'snapshot', '\n'];
  const rnd = seededBytes(seed, Math.ceil(size / 4) + 1);
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < size; i++) {
    const w = words[rnd[i % rnd.length]! % words.length]! + ' ';
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

// A tree specification: what property tests generate and `materialize` writes.
export type SpecNode =
  | { kind: 'file'; seed: number; size: number; mode?: number }
  | { kind: 'dir'; children: Record<string, SpecNode>; mode?: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'hardlink'; to: string };

/**
 * Writes the spec under `root` (created). Hard links point at a path relative to root that the spec
 * writes earlier in sorted order; a dangling one becomes a plain copy of seed 0. Times are set last,
 * deepest first, so directory mtimes stick.
 */
export async function materialize(
  root: string,
  spec: Record<string, SpecNode>,
  mtimeBase = 1_600_000_000,
): Promise<void> {
  const times: [string, number][] = [];
  let tick = 0;
  const write = async (dir: string, rel: string, children: Record<string, SpecNode>): Promise<void> => {
    await mkdir(dir, { recursive: true });
    for (const name of Object.keys(children).sort()) {
      const node = children[name]!;
      const abs = join(dir, name);
      const relp = rel ? `${rel}/${name}` : name;
      if (node.kind === 'file') {
        await writeFile(abs, seededBytes(node.seed, node.size));
        if (node.mode !== undefined) await chmod(abs, node.mode);
      } else if (node.kind === 'dir') {
        await write(abs, relp, node.children);
        if (node.mode !== undefined) await chmod(abs, node.mode);
      } else if (node.kind === 'symlink') {
        await symlink(node.target, abs);
        continue;
      } else {
        try {
          await link(join(root, node.to), abs);
        } catch {
          await writeFile(abs, seededBytes(0, 100));
        }
      }
      // Sub-second, microsecond-precise times with nanoseconds set too.
      times.push([abs, mtimeBase + tick++ * 3601 + 0.123456]);
    }
  };
  await write(root, '', spec);
  for (const [p, t] of times.reverse()) await utimes(p, t, t).catch(() => {});
}
