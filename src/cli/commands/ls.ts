import type { Command } from 'commander';
import { findSnapshot } from '../../repository/snapshots.js';
import { loadIndex } from '../../repository/repository.js';
import { walkTree, type TreeNode } from '../../repository/tree.js';
import { globals, openRepo } from '../context.js';
import { printJson, printLine } from '../output.js';
import { nsToSeconds } from '../../ops/node-meta.js';

function modeString(n: TreeNode): string {
  const t = n.type === 'dir' ? 'd' : n.type === 'symlink' ? 'l' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (n.mode & (1 << (8 - i)) ? c : '-'));
  return t + bits.join('');
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list the files of a snapshot')
    .argument('<snapshot>', 'snapshot ID or "latest"')
    .argument('[path]', 'only below this path', '/')
    .option('-l, --long', 'mode, owner, size and time')
    .action(async (ref: string, under: string, opts: { long?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const snap = await findSnapshot(repo, ref);
      await loadIndex(repo);
      const prefix = under.replace(/\/+$/, '');
      const rows: {
        path: string;
        type: string;
        size?: number;
        mode: number;
        uid: number;
        gid: number;
        mtime: string;
        target?: string;
      }[] = [];
      await walkTree(repo, snap.tree, (path, node) => {
        const inside = prefix === '' || path === prefix || path.startsWith(prefix + '/');
        const onTheWay = prefix.startsWith(path + '/');
        if (!inside && !onTheWay) return false;
        if (!inside) return true;
        const mtime = new Date(nsToSeconds(node.mtime) * 1000).toISOString();
        rows.push({
          path,
          type: node.type,
          ...(node.size !== undefined ? { size: node.size } : {}),
          mode: node.mode,
          uid: node.uid,
          gid: node.gid,
          mtime,
          ...(node.target ? { target: node.target } : {}),
        });
        if (!g.json) {
          if (opts.long)
            printLine(
              `${modeString(node)} ${String(node.uid).padStart(5)} ${String(node.gid).padStart(5)} ${String(node.size ?? 0).padStart(12)} ${mtime.slice(0, 19).replace('T', ' ')} ${path}${node.target ? ' -> ' + node.target : ''}`,
            );
          else printLine(path);
        }
        return true;
      });
      if (g.json) printJson({ snapshot: snap.id, nodes: rows });
    });
}
