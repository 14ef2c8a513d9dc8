// diff: what changed between two snapshots, path by path.
import type { Repository } from '../repository/repository.js';
import { loadTree, type TreeNode } from '../repository/tree.js';

export interface DiffEntry {
  path: string;
  change: 'added' | 'removed' | 'modified' | 'metadata';
}

function sameContent(a: TreeNode, b: TreeNode): boolean {
  return (
    a.type === b.type &&
    a.target === b.target &&
    JSON.stringify(a.content ?? []) === JSON.stringify(b.content ?? [])
  );
}

function sameMeta(a: TreeNode, b: TreeNode): boolean {
  return (
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.mtime === b.mtime &&
    JSON.stringify(a.xattrs ?? {}) === JSON.stringify(b.xattrs ?? {})
  );
}

export async function diffTrees(
  repo: Repository,
  a: string | undefined,
  b: string | undefined,
  prefix = '',
): Promise<DiffEntry[]> {
  if (a === b) return [];
  const ta = a ? (await loadTree(repo, a)).nodes : [];
  const tb = b ? (await loadTree(repo, b)).nodes : [];
  const ma = new Map(ta.map((n) => [n.name, n]));
  const mb = new Map(tb.map((n) => [n.name, n]));
  const names = [...new Set([...ma.keys(), ...mb.keys()])].sort();
  const out: DiffEntry[] = [];
  for (const name of names) {
    const x = ma.get(name);
    const y = mb.get(name);
    const path = `${prefix}/${name}`;
    const dir = (n?: TreeNode): string | undefined => (n?.type === 'dir' ? n.subtree : undefined);
    if (!x) out.push({ path: y!.type === 'dir' ? path + '/' : path, change: 'added' });
    else if (!y) out.push({ path: x.type === 'dir' ? path + '/' : path, change: 'removed' });
    else if (x.type === 'dir' && y.type === 'dir') {
      if (!sameMeta(x, y)) out.push({ path: path + '/', change: 'metadata' });
    } else if (!sameContent(x, y)) out.push({ path, change: 'modified' });
    else if (!sameMeta(x, y)) out.push({ path, change: 'metadata' });
    if (dir(x) || dir(y)) out.push(...(await diffTrees(repo, dir(x), dir(y), path)));
  }
  return out;
}
