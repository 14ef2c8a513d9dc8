import type { Command } from 'commander';
import { repoStats } from '../../ops/stats.js';
import { globals, openRepo } from '../context.js';
import { formatBytes, printJson, printLine } from '../output.js';

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('repository size, deduplication and compression')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const s = await repoStats(repo);
      if (g.json) printJson(s);
      else {
        printLine(`snapshots:          ${s.snapshots}`);
        printLine(`stored:             ${formatBytes(s.storedBytes)} in ${s.packs} packs`);
        printLine(`unique data:        ${formatBytes(s.uniqueRawBytes)} in ${s.blobs} blobs`);
        printLine(`all snapshots hold: ${formatBytes(s.restoreSizeAll)}`);
        printLine(
          `deduplication:      ${s.dedupRatio.toFixed(2)}x, compression ${s.compressionRatio.toFixed(2)}x`,
        );
      }
    });
}
