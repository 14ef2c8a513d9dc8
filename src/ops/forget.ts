// forget: remove snapshots by a keep policy (restic's semantics), grouped by host and paths.
import { fail } from '../errors.js';
import type { Repository } from '../repository/repository.js';
import { listSnapshots, type Snapshot, type SnapshotFilter } from '../repository/snapshots.js';
import { compareStrings } from '../util/compare.js';

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Keep everything newer than the group's latest snapshot minus this many milliseconds. */
  withinMs?: number;
}

export interface ForgetGroup {
  host: string;
  paths: string[];
  keep: { id: string; time: string; reasons: string[] }[];
  remove: { id: string; time: string }[];
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7);
  return `${y}-W${String(week).padStart(2, '0')}`;
}

const buckets: [keyof KeepPolicy, (d: Date) => string][] = [
  ['hourly', (d) => d.toISOString().slice(0, 13)],
  ['daily', (d) => d.toISOString().slice(0, 10)],
  ['weekly', isoWeek],
  ['monthly', (d) => d.toISOString().slice(0, 7)],
  ['yearly', (d) => d.toISOString().slice(0, 4)],
];

export function parseDuration(s: string): number {
  const m = /^(\d+)([smhdwy])$/.exec(s.trim());
  if (!m) fail('USAGE', `"${s}" is not a duration (e.g. 30d, 12h, 2w, 1y)`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 }[m[2] as 's'];
  return Number(m[1]) * unit * 1000;
}

export function isEmptyPolicy(p: KeepPolicy): boolean {
  return Object.values(p).every((v) => v === undefined);
}

/** Decides per group (newest first) which snapshots a policy keeps, and why. */
export function applyPolicy(snaps: Snapshot[], policy: KeepPolicy): ForgetGroup[] {
  const groups = new Map<string, Snapshot[]>();
  for (const s of snaps) {
    const k = JSON.stringify([s.host, s.paths]);
    const g = groups.get(k) ?? [];
    g.push(s);
    groups.set(k, g);
  }
  const out: ForgetGroup[] = [];
  for (const list of groups.values()) {
    const sorted = [...list].sort((a, b) => compareStrings(b.time, a.time));
    const latest = Date.parse(sorted[0]!.time);
    const counters = new Map<string, { left: number; last?: string }>();
    for (const [k] of buckets) if (policy[k] !== undefined) counters.set(k, { left: policy[k] as number });
    let lastLeft = policy.last ?? 0;
    const g: ForgetGroup = { host: sorted[0]!.host, paths: sorted[0]!.paths, keep: [], remove: [] };
    for (const s of sorted) {
      const d = new Date(s.time);
      const reasons: string[] = [];
      if (lastLeft > 0) {
        lastLeft--;
        reasons.push('last');
      }
      for (const [k, fn] of buckets) {
        const c = counters.get(k);
        if (!c || c.left <= 0) continue;
        const b = fn(d);
        if (b !== c.last) {
          c.last = b;
          c.left--;
          reasons.push(k);
        }
      }
      if (policy.withinMs !== undefined && Date.parse(s.time) >= latest - policy.withinMs)
        reasons.push('within');
      if (reasons.length) g.keep.push({ id: s.id, time: s.time, reasons });
      else g.remove.push({ id: s.id, time: s.time });
    }
    out.push(g);
  }
  return out;
}

export async function forget(
  repo: Repository,
  policy: KeepPolicy,
  opts: { dryRun?: boolean; filter?: SnapshotFilter; ids?: string[] } = {},
): Promise<ForgetGroup[]> {
  if (!repo.backend.capabilities.delete) {
    fail(
      'NOT_SUPPORTED',
      'this repository does not allow deletion over its interface (a vault prunes only locally: `airgap vault prune`)',
    );
  }
  const snaps = await listSnapshots(repo, opts.filter);
  let groups: ForgetGroup[];
  if (opts.ids?.length) {
    const want = new Set(opts.ids);
    const chosen = snaps.filter((s) => [...want].some((w) => s.id.startsWith(w)));
    if (chosen.length !== want.size) fail('NOT_FOUND', 'some of the given snapshots do not exist');
    groups = [{ host: '', paths: [], keep: [], remove: chosen.map((s) => ({ id: s.id, time: s.time })) }];
  } else {
    if (isEmptyPolicy(policy))
      fail('USAGE', 'no policy given: use --keep-last, --keep-daily, ... or name snapshots to forget');
    groups = applyPolicy(snaps, policy);
  }
  if (!opts.dryRun)
    for (const g of groups) for (const r of g.remove) await repo.backend.delete('snapshots', r.id);
  return groups;
}
