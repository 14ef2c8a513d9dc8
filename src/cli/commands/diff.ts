import type { Command } from 'commander';
import { findSnapshot } from '../../repository/snapshots.js';
import { loadIndex } from '../../repository/repository.js';
import { diffTrees } from '../../ops/diff.js';
import { globals, openRepo } from '../context.js';
import { printJson, printLine } from '../output.js';

const SIGN = { added: '+', removed: '-', modified: 'M', metadata: 'U' } as const;

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show what changed between two snapshots')
    .argument('<from>', 'snapshot ID')
    .argument('<to>', 'snapshot ID or "latest"')
    .action(async (from: string, to: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const a = await findSnapshot(repo, from);
      const b = await findSnapshot(repo, to);
      await loadIndex(repo);
      const changes = await diffTrees(repo, a.tree, b.tree);
      if (g.json) printJson({ from: a.id, to: b.id, changes });
      else {
        for (const c of changes) printLine(`${SIGN[c.change]}    ${c.path}`);
        const count = (k: keyof typeof SIGN): number => changes.filter((c) => c.change === k).length;
        printLine(
          `${count('added')} added, ${count('removed')} removed, ${count('modified')} modified, ${count('metadata')} metadata only`,
        );
      }
    });
}
