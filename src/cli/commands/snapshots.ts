import type { Command } from 'commander';
import { readSnapshots } from '../../repository/snapshots.js';
import { ExitCode } from '../../errors.js';
import { collect, globals, openRepo } from '../context.js';
import { formatBytes, printJson, printLine } from '../output.js';

export function registerSnapshots(program: Command): void {
  program
    .command('snapshots')
    .description('list snapshots')
    .option('--host <name>', 'only snapshots of this host')
    .option('-t, --tag <tag>', 'only snapshots with this tag (repeatable)', collect, [])
    .action(async (opts: { host?: string; tag: string[] }, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const { snapshots: snaps, damaged } = await readSnapshots(repo, {
        ...(opts.host ? { host: opts.host } : {}),
        tags: opts.tag,
      });
      // A damaged snapshot object must not hide the good ones: list those, name the others, exit 13.
      if (damaged.length) {
        for (const d of damaged)
          process.stderr.write(`airgap: snapshot ${d.id.slice(0, 8)} cannot be read: ${d.message}\n`);
        process.exitCode = ExitCode.INTEGRITY;
      }
      if (g.json) {
        printJson(snaps);
        return;
      }
      printLine(
        `${'ID'.padEnd(10)}${'Time'.padEnd(21)}${'Host'.padEnd(16)}${'Tags'.padEnd(16)}${'Size'.padEnd(12)}Paths`,
      );
      for (const s of snaps) {
        printLine(
          `${s.id.slice(0, 8).padEnd(10)}${s.time.slice(0, 19).replace('T', ' ').padEnd(21)}${s.host.slice(0, 15).padEnd(16)}${s.tags.join(',').slice(0, 15).padEnd(16)}${formatBytes(s.summary?.totalBytes ?? 0).padEnd(12)}${s.paths.join(' ')}`,
        );
      }
      printLine(`${snaps.length} snapshot(s)`);
    });
}
