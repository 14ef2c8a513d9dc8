// Tree blobs: one per directory, a JSON list of nodes sorted by name. docs/FORMAT.md, "Tree".
import { z } from 'zod';
import { fail } from '../errors.js';
import type { BlobWriter } from './blob-writer.js';
import { hexId, readBlob, type Repository } from './repository.js';
import { compareStrings } from '../util/compare.js';

export type NodeType = 'file' | 'dir' | 'symlink';

export interface TreeNode {
  name: string;
  type: NodeType;
  /** Permission bits including setuid/setgid/sticky (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch, as decimal strings (exceeds 2^53). */
  mtime: string;
  atime: string;
  ctime: string;
  size?: number;
  inode?: string;
  dev?: string;
  links?: number;
  /** Data blob IDs (hex) of a file, in order. */
  content?: string[];
  /** Tree blob ID (hex) of a directory. */
  subtree?: string;
  /** Target of a symlink. */
  target?: string;
  /** Extended attributes, values base64. */
  xattrs?: Record<string, string>;
}

export interface Tree {
  nodes: TreeNode[];
}

const nodeSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['file', 'dir', 'symlink']),
  mode: z.number().int(),
  uid: z.number().int(),
  gid: z.number().int(),
  mtime: z.string(),
  atime: z.string(),
  ctime: z.string(),
  size: z.number().int().optional(),
  inode: z.string().optional(),
  dev: z.string().optional(),
  links: z.number().int().optional(),
  content: z.array(z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  subtree: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  target: z.string().optional(),
  xattrs: z.record(z.string(), z.string()).optional(),
});
const treeSchema = z.object({ nodes: z.array(nodeSchema) });

export function encodeTree(tree: Tree): Buffer {
  const nodes = [...tree.nodes].sort((a, b) => compareStrings(a.name, b.name));
  return Buffer.from(JSON.stringify({ nodes }));
}

export async function saveTree(writer: BlobWriter, tree: Tree): Promise<string> {
  return hexId(await writer.save('tree', encodeTree(tree)));
}

export async function loadTree(repo: Repository, id: string): Promise<Tree> {
  const plain = await readBlob(repo, Buffer.from(id, 'hex'), 'tree');
  let raw: unknown;
  try {
    raw = JSON.parse(plain.toString('utf8'));
  } catch {
    return fail('INTEGRITY', `tree ${id.slice(0, 12)} is not valid JSON`);
  }
  const r = treeSchema.safeParse(raw);
  if (!r.success) fail('INTEGRITY', `tree ${id.slice(0, 12)} is malformed`);
  for (const n of r.data.nodes) {
    // A name from the repository must never escape the restore target.
    if (n.name === '.' || n.name === '..' || n.name.includes('/') || n.name.includes('\0')) {
      fail('INTEGRITY', `tree ${id.slice(0, 12)} holds an invalid name`);
    }
  }
  return r.data as Tree;
}

/** Depth-first walk; `visit` gets each node with its slash-separated path; return false to skip a dir. */
export async function walkTree(
  repo: Repository,
  treeId: string,
  visit: (path: string, node: TreeNode) => boolean | void | Promise<boolean | void>,
  prefix = '',
): Promise<void> {
  const tree = await loadTree(repo, treeId);
  for (const node of tree.nodes) {
    const p = `${prefix}/${node.name}`;
    const go = await visit(p, node);
    if (node.type === 'dir' && node.subtree && go !== false) await walkTree(repo, node.subtree, visit, p);
  }
}
