import type { Command } from 'commander';
import { forget, parseDuration, type KeepPolicy } from '../../ops/forget.js';
import { prune } from '../../ops/prune.js';
import { collect, globals, openRepo } from '../context.js';
import { printJson, printLine } from '../output.js';
import { fail } from '../../errors.js';

function count(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) fail('USAGE', `"${s}" is not a count`);
  return n;
}

interface ForgetOpts {
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  keepWithin?: string;
  host?: string;
  tag: string[];
  dryRun?: boolean;
  prune?: boolean;
}

export function registerForget(program: Command): void {
  program
    .command('forget')
    .description('remove snapshots by a keep policy, or by ID')
    .argument('[snapshots...]', 'snapshot IDs to forget')
    .option('--keep-last <n>')
    .option('--keep-hourly <n>')
    .option('--keep-daily <n>')
    .option('--keep-weekly <n>')
    .option('--keep-monthly <n>')
    .option('--keep-yearly <n>')
    .option('--keep-within <duration>', 'keep snapshots newer than this before the latest (e.g. 30d)')
    .option('--host <name>', 'only snapshots of this host')
    .option('-t, --tag <tag>', 'only snapshots with this tag (repeatable)', collect, [])
    .option('-n, --dry-run', 'only show what would be removed')
    .option('--prune', 'prune after forgetting')
    .action(async (ids: string[], o: ForgetOpts, cmd: Command) => {
      const g = globals(cmd);
      const policy: KeepPolicy = {
        ...(o.keepLast !== undefined ? { last: count(o.keepLast) } : {}),
        ...(o.keepHourly !== undefined ? { hourly: count(o.keepHourly) } : {}),
        ...(o.keepDaily !== undefined ? { daily: count(o.keepDaily) } : {}),
        ...(o.keepWeekly !== undefined ? { weekly: count(o.keepWeekly) } : {}),
        ...(o.keepMonthly !== undefined ? { monthly: count(o.keepMonthly) } : {}),
        ...(o.keepYearly !== undefined ? { yearly: count(o.keepYearly) } : {}),
        ...(o.keepWithin !== undefined ? { withinMs: parseDuration(o.keepWithin) } : {}),
      };
      const repo = await openRepo(cmd);
      const groups = await forget(repo, policy, {
        dryRun: !!o.dryRun,
        ids,
        filter: { ...(o.host ? { host: o.host } : {}), tags: o.tag },
      });
      const pruned = o.prune && !o.dryRun ? await prune(repo) : undefined;
      if (g.json) printJson({ groups, dryRun: !!o.dryRun, ...(pruned ? { prune: pruned } : {}) });
      else {
        for (const gr of groups) {
          if (gr.host) printLine(`host ${gr.host}, paths ${gr.paths.join(' ')}:`);
          for (const k of gr.keep)
            printLine(`  keep   ${k.id.slice(0, 8)} ${k.time.slice(0, 19)} (${k.reasons.join(', ')})`);
          for (const r of gr.remove)
            printLine(`  ${o.dryRun ? 'would remove' : 'remove'} ${r.id.slice(0, 8)} ${r.time.slice(0, 19)}`);
        }
        if (pruned)
          printLine(`pruned: ${pruned.packsDeleted} packs deleted, ${pruned.packsRepacked} repacked`);
      }
    });
}
