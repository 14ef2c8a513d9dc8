import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { backup } from '../../ops/backup.js';
import { collect, globals, openRepo } from '../context.js';
import { formatBytes, formatDuration, printJson, printLine, startProgress, warn } from '../output.js';

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up files and directories')
    .argument('<paths...>', 'what to back up')
    .option('-e, --exclude <pattern>', 'exclude paths matching the pattern (repeatable)', collect, [])
    .option('-t, --tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option('--host <name>', 'host name recorded in the snapshot')
    .option('--parent <snapshot>', 'compare with this snapshot instead of the latest of the same paths')
    .option('--force', 'read every file, even the unchanged ones')
    .action(
      async (
        paths: string[],
        opts: { exclude: string[]; tag: string[]; host?: string; parent?: string; force?: boolean },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const repo = await openRepo(cmd);
        const progress = startProgress('backup', g);
        const r = await backup(repo, paths, {
          excludes: opts.exclude,
          tags: opts.tag,
          ...(opts.host ? { host: opts.host } : {}),
          ...(opts.parent ? { parent: opts.parent } : {}),
          force: !!opts.force,
          onProgress: (p) => progress.update({ files: p.files, bytes: p.bytes, current: p.current }),
          onWarning: (w) => {
            if (!g.json) warn(`${w.path}: ${w.message}`);
          },
        });
        progress.done();
        const s = r.summary;
        if (g.json)
          printJson({ snapshot: r.snapshotId, parent: r.parent ?? null, summary: s, warnings: r.warnings });
        else {
          printLine(
            `Files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified; ${s.dirs} directories`,
          );
          printLine(
            `Added: ${formatBytes(s.dataAddedRaw)} of new data (${formatBytes(s.dataAddedStored)} stored)`,
          );
          printLine(
            `Processed ${s.totalFiles} files, ${formatBytes(s.totalBytes)} in ${formatDuration(s.durationMs)}`,
          );
          printLine(`snapshot ${r.snapshotId.slice(0, 8)} saved`);
        }
        if (s.errors > 0) {
          process.stderr.write(
            `airgap: backup is partial: ${s.errors} file(s) or directories could not be read\n`,
          );
          process.exitCode = ExitCode.PARTIAL;
        }
      },
    );
}
