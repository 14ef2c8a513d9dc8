import type { Command } from 'commander';
import { ExitCode, fail } from '../../errors.js';
import { check } from '../../ops/check.js';
import { globals, openRepo } from '../context.js';
import { formatBytes, printJson, printLine, startProgress } from '../output.js';

function parseSubset(s: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (m && Number(m[1]) > 0 && Number(m[1]) <= 100) return Number(m[1]) / 100;
  const f = /^(\d+)\/(\d+)$/.exec(s);
  if (f && Number(f[2]) > 0 && Number(f[1]) > 0 && Number(f[1]) <= Number(f[2]))
    return Number(f[1]) / Number(f[2]);
  return fail('USAGE', `--read-data-subset takes a percentage like 10% or a fraction like 1/5, not "${s}"`);
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the repository: structure, and with --read-data every stored byte')
    .option('--read-data', 'read and verify all data')
    .option('--read-data-subset <n%>', 'read and verify a random subset of the packs (e.g. 10%)')
    .action(async (opts: { readData?: boolean; readDataSubset?: string }, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const fraction = opts.readData ? 1 : opts.readDataSubset ? parseSubset(opts.readDataSubset) : 0;
      const progress = startProgress('check', g);
      const r = await check(repo, {
        readData: fraction,
        onProgress: (p) => progress.update({ files: p.packs, bytes: p.bytes, totalFiles: p.totalPacks }),
      });
      progress.done();
      if (g.json) printJson(r);
      else {
        printLine(
          `${r.snapshots} snapshots, ${r.packs} packs, ${r.blobs} blobs; read ${r.packsRead} packs (${formatBytes(r.bytesRead)})`,
        );
        for (const n of r.notes) printLine(`note: ${n}`);
        for (const e of r.errors) printLine(`error: ${e.message}`);
        if (r.affected.length) {
          printLine('affected:');
          for (const a of r.affected) printLine(`  snapshot ${a.snapshot.slice(0, 8)}: ${a.path}`);
        }
        printLine(r.ok ? 'no errors were found' : `${r.errors.length} error(s) found`);
      }
      if (!r.ok) process.exitCode = ExitCode.INTEGRITY;
    });
}
