// Recording a run in docs/BENCHMARKS.md: the machine it ran on, the exact command, the tables. Runs are
// inserted above a marker line so that sections written after the run list (e.g. "Replication") stay last.
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../src/util/durable-fs.js';
import { capture } from './run.js';
import { resultsTable, verdictTable, problems, type ToolResult, type Verdict } from './report.js';
import type { Corpus } from './corpus.js';

export const RUNS_END_MARKER = '<!-- bench: new runs are inserted above this line -->';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  versions: Record<string, string>;
  commit: string;
  /** 1-minute load average at the start and at the end of the run: other work on the machine skews times. */
  loadAverage?: [number, number];
}

async function firstLine(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await capture({ cmd, args }, { timeoutMs: 30_000 });
    return r.code === 0 ? r.stdout.trim().split('\n')[0] : undefined;
  } catch {
    return undefined;
  }
}

export async function describeMachine(repoRoot: string): Promise<Machine> {
  const versions: Record<string, string> = {};
  const restic = await firstLine('restic', ['version']);
  if (restic) versions.restic = restic;
  const borg = await firstLine('borg', ['--version']);
  if (borg) versions.borg = borg;
  const head = await firstLine('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']);
  const dirty = await capture({ cmd: 'git', args: ['-C', repoRoot, 'status', '--porcelain'] }).catch(
    () => undefined,
  );
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    kernel: release(),
    versions,
    commit: head ? `${head}${dirty && dirty.stdout.trim() ? ' (uncommitted changes)' : ''}` : 'unknown',
  };
}

export interface RunRecord {
  date: Date;
  command: string;
  machine: Machine;
  corpus: Corpus;
  results: ToolResult[];
  verdicts: Verdict[];
  notes: string[];
}

export function formatRun(run: RunRecord): string {
  const m = run.machine;
  const c = run.corpus;
  const MiB = 1024 * 1024;
  const tools = run.results.map((r) => r.tool).join(', ');
  const lines = [
    `### ${run.date.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${c.mode} corpus — ${tools}`,
    '',
    `- command: \`${run.command}\``,
    `- machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB.toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}`,
    ...(m.loadAverage
      ? [
          `- load average (1 min): ${m.loadAverage[0].toFixed(2)} at the start, ${m.loadAverage[1].toFixed(2)} at the end`,
        ]
      : []),
    `- tools: ${[`airgap ${m.commit}`, ...Object.values(m.versions)].join('; ')}`,
    `- corpus: v1 ${(c.v1Bytes / MiB).toFixed(0)} MiB in ${c.v1Files} files, v2 ${(c.v2Bytes / MiB).toFixed(0)} MiB in ${c.v2Files} files`,
    ...run.notes.map((n) => `- ${n}`),
    '',
    resultsTable(run.results),
    '',
  ];
  if (run.verdicts.length > 0) lines.push(verdictTable(run.verdicts), '');
  const bad = problems(run.results);
  if (bad.length > 0) lines.push('Problems:', '', ...bad.map((b) => `    ${b}`), '');
  else lines.push('Every restore matched its source (`diff -rq --no-dereference`).', '');
  return lines.join('\n');
}

/** Puts `section` above the marker; without a marker, above a "## Replication" heading, else at the end. */
export function insertRun(doc: string, section: string): string {
  const body = section.endsWith('\n') ? section : section + '\n';
  let at = doc.indexOf(RUNS_END_MARKER);
  if (at < 0) {
    const m = /^## Replication\b/m.exec(doc);
    if (m) {
      return doc.slice(0, m.index) + body + '\n' + RUNS_END_MARKER + '\n\n' + doc.slice(m.index);
    }
    const sep = doc.length === 0 || doc.endsWith('\n\n') ? '' : doc.endsWith('\n') ? '\n' : '\n\n';
    return doc + sep + body + '\n' + RUNS_END_MARKER + '\n';
  }
  // Keep a blank line between runs.
  while (at > 0 && doc[at - 1] === '\n' && doc[at - 2] === '\n') at--;
  return doc.slice(0, at) + '\n' + body + '\n' + doc.slice(at).replace(/^\n*/, '');
}

export async function recordRun(docPath: string, run: RunRecord): Promise<void> {
  let doc: string;
  try {
    doc = await readFile(docPath, 'utf8');
  } catch {
    doc = '# Benchmarks\n\n';
  }
  await writeFileAtomic(docPath, insertRun(doc, formatRun(run)));
}
