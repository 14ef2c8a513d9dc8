// Between the filesystem's metadata and a tree node's, both ways.
import type { BigIntStats } from 'node:fs';
import type { NodeType, TreeNode } from '../repository/tree.js';

export function nodeFromStat(name: string, type: NodeType, st: BigIntStats): TreeNode {
  const node: TreeNode = {
    name,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: st.mtimeNs.toString(),
    atime: st.atimeNs.toString(),
    ctime: st.ctimeNs.toString(),
  };
  if (type === 'file') {
    node.size = Number(st.size);
    node.inode = st.ino.toString();
    node.dev = st.dev.toString();
    node.links = Number(st.nlink);
  }
  return node;
}

/**
 * Seconds as a float: what fs.utimes takes. libuv truncates it to whole microseconds, and a double near
 * 1.7e9 s carries ~0.2 µs of error, so aim at the middle of the microsecond: the truncation then lands on
 * the source's microsecond instead of sometimes the one before.
 */
export function nsToSeconds(ns: string): number {
  const n = BigInt(ns);
  const us = (n % 1_000_000_000n) / 1000n;
  return Number(n / 1_000_000_000n) + (Number(us) + 0.5) / 1e6;
}

/** An unchanged file (same size, mtime, ctime and inode as in the parent) is not read again. */
export function unchanged(prev: TreeNode | undefined, cur: TreeNode): boolean {
  return (
    !!prev &&
    prev.type === 'file' &&
    cur.type === 'file' &&
    prev.size === cur.size &&
    prev.mtime === cur.mtime &&
    prev.ctime === cur.ctime &&
    prev.inode === cur.inode &&
    Array.isArray(prev.content)
  );
}
