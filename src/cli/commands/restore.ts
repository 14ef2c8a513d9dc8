import type { Command } from 'commander';
import { ExitCode, fail } from '../../errors.js';
import { restore } from '../../ops/restore.js';
import { collect, globals, openRepo } from '../context.js';
import { formatBytes, printJson, printLine, startProgress, warn } from '../output.js';

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore a snapshot into a target directory')
    .argument('<snapshot>', 'snapshot ID or "latest"')
    .option('--target <dir>', 'where to restore (must not exist or be empty)')
    .option('-i, --include <pattern>', 'restore only matching paths (repeatable)', collect, [])
    .option('-e, --exclude <pattern>', 'skip matching paths (repeatable)', collect, [])
    .action(
      async (ref: string, opts: { target?: string; include: string[]; exclude: string[] }, cmd: Command) => {
        const g = globals(cmd);
        if (!opts.target) fail('USAGE', 'restore needs --target DIR');
        const repo = await openRepo(cmd);
        const progress = startProgress('restore', g);
        const r = await restore(repo, ref, {
          target: opts.target,
          include: opts.include,
          exclude: opts.exclude,
          onProgress: (p) => progress.update({ files: p.files, bytes: p.bytes, current: p.current }),
        });
        progress.done();
        if (g.json) printJson(r);
        else {
          for (const e of r.errors) warn(`${e.path}: ${e.message}`);
          printLine(
            `restored snapshot ${r.snapshotId.slice(0, 8)}: ${r.files} files (${formatBytes(r.bytes)}), ${r.dirs} directories, ${r.symlinks} symlinks, ${r.hardlinks} hard links into ${opts.target}`,
          );
        }
        if (r.errors.length) {
          process.stderr.write(`airgap: restore incomplete: ${r.errors.length} problem(s)\n`);
          process.exitCode = ExitCode.INTEGRITY;
        }
      },
    );
}
