// `airgap replicate`: run a replication plan (open the gap, copy, verify, close), close windows left
// open by a crashed run (--recover), or show the history of runs. A thin shell over src/tasks.
import type { Command } from 'commander';
import { AirgapError } from '../../errors.js';
import { loadConfig, DEFAULT_CONFIG_PATH } from '../../config/load.js';
import { resolvePlan } from '../../tasks/plan-spec.js';
import { replicationDeps } from '../../tasks/replicate-deps.js';
import { runReplication } from '../../tasks/replicate.js';
import { formatReport, type ReplicationReport } from '../../tasks/report.js';
import { listReports } from '../../tasks/history.js';
import { globals } from '../context.js';
import { formatBytes, formatDuration, printJson, printLine, startProgress } from '../output.js';

interface ReplicateOpts {
  config: string;
  plan?: string;
  stateDir?: string;
  recover?: boolean;
  history?: string | boolean;
}

/**
 * SIGINT/SIGTERM cancel the task, which then still closes the window; further signals only say so. The
 * handlers are removed afterwards so a later signal behaves normally.
 */
export function cancelOnSignals(log: (line: string) => void): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!ac.signal.aborted) {
      log(`airgap: ${sig} received: stopping the copy, then closing the window`);
      ac.abort(new AirgapError('CANCELLED', `replication cancelled by ${sig}`));
    } else log(`airgap: still closing the window; please wait`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function historyLine(r: ReplicationReport): string {
  const w = r.window.durationMs !== undefined ? formatDuration(r.window.durationMs) : '-';
  return `${r.startedAt.slice(0, 19).replace('T', ' ')}  ${r.plan.padEnd(12)} ${r.result.padEnd(9)} window ${w.padEnd(9)} sent ${formatBytes(r.copy.bytesSent).padEnd(11)} ${r.error ? r.error.code : ''}`;
}

export function registerReplicate(program: Command): void {
  program
    .command('replicate')
    .description('copy new snapshots into the vault: open the gap, copy, verify, close the gap, report')
    .option(
      '-c, --config <file>',
      'the configuration file (env AIRGAP_CONFIG)',
      process.env.AIRGAP_CONFIG ?? DEFAULT_CONFIG_PATH,
    )
    .option('-p, --plan <name>', 'the plan to run (needed when the config has several)')
    .option('--state-dir <dir>', 'where open-window state and report history live (env AIRGAP_STATE_DIR)')
    .option('--recover', 'only close windows left open by a crashed run, then exit')
    .option('--history [count]', 'show the latest reports instead of running')
    .action(async (opts: ReplicateOpts, cmd: Command) => {
      const g = globals(cmd);
      const config = await loadConfig(opts.config);
      const resolved = resolvePlan(
        config,
        opts.config,
        opts.plan,
        opts.stateDir ? { stateDir: opts.stateDir } : {},
      );
      if (opts.history !== undefined) {
        const n = typeof opts.history === 'string' ? Number(opts.history) : 20;
        if (!Number.isInteger(n) || n < 1)
          throw new AirgapError('USAGE', '--history takes a positive number');
        const reports = (await listReports(resolved.spec.stateDir, n * 4))
          .filter((r) => r.plan === resolved.spec.plan)
          .slice(0, n);
        if (g.json) printJson(reports);
        else {
          for (const r of reports) printLine(historyLine(r));
          printLine(`${reports.length} run(s) of plan ${resolved.spec.plan}`);
        }
        return;
      }
      const log = (line: string): void => {
        if (!g.quiet) process.stderr.write(`${line}\n`);
      };
      // The bar starts with the copy, not during the minutes of opening the gap.
      let progress: ReturnType<typeof startProgress> | undefined;
      const cancel = cancelOnSignals((l) => process.stderr.write(`${l}\n`));
      let report: ReplicationReport;
      try {
        report = await runReplication(resolved.spec, replicationDeps(config, resolved, { log }), {
          signal: cancel.signal,
          log,
          onProgress: (p) =>
            (progress ??= startProgress('copy', g)).update({
              files: p.objects,
              bytes: p.bytes,
              totalBytes: p.totalBytes,
              totalFiles: p.totalObjects,
            }),
          ...(opts.recover ? { recoverOnly: true } : {}),
        });
      } finally {
        progress?.done();
        cancel.dispose();
      }
      if (g.json) printJson(report);
      else printLine(formatReport(report));
      if (report.error) process.exitCode = report.error.exitCode;
    });
}
