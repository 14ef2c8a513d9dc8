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

/** Seconds as a float: what fs.utimes takes (microsecond precision survives a double). */
export function nsToSeconds(ns: string): number {
  const n = BigInt(ns);
  return Number(n / 1_000_000_000n) + Number(n % 1_000_000_000n) / 1e9;
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
