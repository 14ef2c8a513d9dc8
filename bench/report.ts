// Results of a bench run, the table, and the ratios against the targets of issue 3. Pure functions: the
// numbers come in, text and verdicts go out.
import type { BaselineName, ToolName } from './tools.js';

export type StepName = 'backup-v1' | 'backup-v2' | 'restore-v2';
export const STEPS: readonly StepName[] = ['backup-v1', 'backup-v2', 'restore-v2'];
const STEP_LABEL: Record<StepName, string> = {
  'backup-v1': 'first backup (v1)',
  'backup-v2': 'incremental backup (v2)',
  'restore-v2': 'restore (v2)',
};

export interface StepResult {
  wallSeconds: number;
  cpuSeconds: number;
  /** (user + sys) / wall, in percent of one core. */
  cpuPercent: number;
  maxRssMiB: number;
  /** Bytes of the data set the step handled, per wall second. */
  mibPerSecond: number;
  /** Repository size after the step (backups only). */
  repoMiB?: number;
}

export interface ToolResult {
  tool: ToolName;
  steps: Partial<Record<StepName, StepResult>>;
  /** undefined when the restore did not run. */
  restoreMatches?: boolean;
  differences?: string[];
  error?: string;
}

export const MiB = 1024 * 1024;

export function stepResult(
  m: { wallSeconds: number; userSeconds: number; sysSeconds: number; maxRssKiB: number },
  dataBytes: number,
  repoBytes?: number,
): StepResult {
  const cpu = m.userSeconds + m.sysSeconds;
  const wall = Math.max(m.wallSeconds, 1e-6);
  return {
    wallSeconds: m.wallSeconds,
    cpuSeconds: cpu,
    cpuPercent: (100 * cpu) / wall,
    maxRssMiB: m.maxRssKiB / 1024,
    mibPerSecond: dataBytes / MiB / wall,
    ...(repoBytes === undefined ? {} : { repoMiB: repoBytes / MiB }),
  };
}

/**
 * Merges repeated rounds of one tool: per step the fastest round (the least disturbed by other work on
 * the machine); a restore matches only if it matched in every round; the first error wins.
 */
export function bestOf(rounds: readonly ToolResult[]): ToolResult {
  if (rounds.length === 0) throw new Error('bestOf: no rounds');
  const merged: ToolResult = { tool: rounds[0]!.tool, steps: {} };
  for (const step of STEPS) {
    for (const r of rounds) {
      const s = r.steps[step];
      const best = merged.steps[step];
      if (s && (!best || s.wallSeconds < best.wallSeconds)) merged.steps[step] = s;
    }
  }
  const differing = rounds.find((r) => r.restoreMatches === false);
  if (differing) {
    merged.restoreMatches = false;
    merged.differences = differing.differences ?? [];
  } else if (rounds.some((r) => r.restoreMatches === true)) {
    merged.restoreMatches = true;
    merged.differences = [];
  }
  const failed = rounds.find((r) => r.error !== undefined);
  if (failed) merged.error = failed.error;
  return merged;
}

export interface Target {
  id: string;
  label: string;
  /** The ratio airgap/baseline, or undefined when either side is missing. */
  ratio(a: ToolResult, b: ToolResult): number | undefined;
  /** 'min': ratio must be >= limit; 'max': ratio must be <= limit. */
  kind: 'min' | 'max';
  limit: number;
}

const ratioOf = (x: number | undefined, y: number | undefined): number | undefined =>
  x === undefined || y === undefined || y === 0 ? undefined : x / y;
const get = (r: ToolResult, s: StepName) => r.steps[s];
const backupRss = (r: ToolResult): number | undefined => {
  const a = get(r, 'backup-v1')?.maxRssMiB;
  const b = get(r, 'backup-v2')?.maxRssMiB;
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
};

export const TARGETS: readonly Target[] = [
  {
    id: 'backup-throughput',
    label: 'first backup throughput',
    kind: 'min',
    limit: 2.5,
    ratio: (a, b) => ratioOf(get(a, 'backup-v1')?.mibPerSecond, get(b, 'backup-v1')?.mibPerSecond),
  },
  {
    id: 'incremental-time',
    label: 'incremental backup time',
    kind: 'max',
    limit: 0.4,
    ratio: (a, b) => ratioOf(get(a, 'backup-v2')?.wallSeconds, get(b, 'backup-v2')?.wallSeconds),
  },
  {
    id: 'restore-throughput',
    label: 'restore throughput',
    kind: 'min',
    limit: 2,
    ratio: (a, b) => ratioOf(get(a, 'restore-v2')?.mibPerSecond, get(b, 'restore-v2')?.mibPerSecond),
  },
  {
    id: 'backup-rss',
    label: 'backup peak RSS',
    kind: 'max',
    limit: 1,
    ratio: (a, b) => ratioOf(backupRss(a), backupRss(b)),
  },
  {
    id: 'restore-rss',
    label: 'restore peak RSS',
    kind: 'max',
    limit: 1,
    ratio: (a, b) => ratioOf(get(a, 'restore-v2')?.maxRssMiB, get(b, 'restore-v2')?.maxRssMiB),
  },
  {
    id: 'repo-size-v1',
    label: 'repository size after v1',
    kind: 'max',
    limit: 1,
    ratio: (a, b) => ratioOf(get(a, 'backup-v1')?.repoMiB, get(b, 'backup-v1')?.repoMiB),
  },
  {
    id: 'repo-size-v2',
    label: 'repository size after v2',
    kind: 'max',
    limit: 1,
    ratio: (a, b) => ratioOf(get(a, 'backup-v2')?.repoMiB, get(b, 'backup-v2')?.repoMiB),
  },
];

export interface Verdict {
  target: string;
  label: string;
  baseline: BaselineName;
  ratio: number;
  limit: number;
  want: string;
  pass: boolean;
}

/** airgap against each baseline that ran, for every target both sides have numbers for. */
export function verdicts(results: readonly ToolResult[]): Verdict[] {
  const airgap = results.find((r) => r.tool === 'airgap');
  if (!airgap) return [];
  const out: Verdict[] = [];
  for (const base of results) {
    if (base.tool === 'airgap') continue;
    for (const t of TARGETS) {
      const ratio = t.ratio(airgap, base);
      if (ratio === undefined) continue;
      out.push({
        target: t.id,
        label: t.label,
        baseline: base.tool,
        ratio,
        limit: t.limit,
        want: `${t.kind === 'min' ? '>=' : '<='} ${t.limit}`,
        pass: t.kind === 'min' ? ratio >= t.limit : ratio <= t.limit,
      });
    }
  }
  return out;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined ? '-' : n.toFixed(digits);
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One row per step and tool. Markdown, so the same text reads well in a terminal and in the docs. */
export function resultsTable(results: readonly ToolResult[]): string {
  const rows: string[][] = [];
  for (const step of STEPS) {
    for (const r of results) {
      const s = r.steps[step];
      if (!s) continue;
      rows.push([
        STEP_LABEL[step],
        r.tool,
        fmt(s.wallSeconds, 2),
        fmt(s.mibPerSecond, 1),
        fmt(s.cpuSeconds, 2),
        fmt(s.cpuPercent, 0),
        fmt(s.maxRssMiB, 0),
        fmt(s.repoMiB, 1),
      ]);
    }
  }
  return markdownTable(
    ['step', 'tool', 'wall s', 'MiB/s', 'CPU s', 'CPU %', 'peak RSS MiB', 'repo MiB'],
    rows,
  );
}

/** Two decimals, or three when two would round a FAIL onto the limit (1.004 shown as "1.00 FAIL"). */
function showRatio(v: Verdict): string {
  const two = v.ratio.toFixed(2);
  return two === v.limit.toFixed(2) && v.ratio !== v.limit ? v.ratio.toFixed(3) : two;
}

export function verdictTable(list: readonly Verdict[]): string {
  return markdownTable(
    ['target', 'airgap / baseline', 'ratio', 'want', 'result'],
    list.map((v) => [v.label, `airgap / ${v.baseline}`, showRatio(v), v.want, v.pass ? 'PASS' : 'FAIL']),
  );
}

/** Lines about restores that differ and tools that failed; empty when all is well. */
export function problems(results: readonly ToolResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.error) {
      const [first, ...rest] = r.error.split('\n').filter((l) => l.trim() !== '');
      out.push(`${r.tool}: FAILED: ${first}`);
      for (const l of rest.slice(0, 10)) out.push(`  ${l}`);
    }
    if (r.restoreMatches === false) {
      const diffs = r.differences ?? [];
      out.push(`${r.tool}: restore DIFFERS from its source (${diffs.length} differences)`);
      for (const d of diffs.slice(0, 10)) out.push(`  ${d}`);
    }
  }
  return out;
}
