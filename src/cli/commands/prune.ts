import type { Command } from 'commander';
import { prune } from '../../ops/prune.js';
import { globals, openRepo } from '../context.js';
import { formatBytes, printJson, printLine } from '../output.js';

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('remove data that no snapshot references (takes an exclusive lock)')
    .option('-n, --dry-run', 'only show what would be removed')
    .option('--max-unused <percent>', 'repack packs with more unused space than this', '20')
    .action(async (o: { dryRun?: boolean; maxUnused: string }, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const r = await prune(repo, {
        dryRun: !!o.dryRun,
        maxUnusedFraction: Number(o.maxUnused) / 100,
        onProgress: (m) => {
          if (!g.json && !g.quiet) process.stderr.write(`${m}\n`);
        },
      });
      if (g.json) printJson(r);
      else
        printLine(
          `${o.dryRun ? 'would delete' : 'deleted'} ${r.packsDeleted} packs, ${o.dryRun ? 'would repack' : 'repacked'} ${r.packsRepacked} (${formatBytes(r.bytesRepacked)} kept), freeing ${formatBytes(r.bytesFreed)}`,
        );
    });
}
