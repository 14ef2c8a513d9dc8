// The replication report: what ran, when, how it ended, and the exposure window with its parts. One
// document serves `--json`, the history and the human summary (formatReport).
import type { AirgapError } from '../errors.js';
import type { HookResult } from './hooks.js';
import { formatBytes, formatDuration } from '../util/format.js';

export type StageName =
  'recover' | 'pre-hooks' | 'prepare' | 'open' | 'copy' | 'verify' | 'close' | 'post-hooks';
export type Outcome = 'ok' | 'failed' | 'cancelled' | 'skipped';

export interface StageRecord {
  name: StageName;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  outcome: Outcome;
  error?: { code: string; message: string };
  /** Sub-steps reported by the layer below (gap stages: bmc, power, post, service; close steps). */
  steps?: { name: string; durationMs: number; outcome: string; detail?: string }[];
}

export interface WindowReport {
  /** Was power-on requested at all? (false: the task failed before opening anything) */
  opened: boolean;
  /** Was Off confirmed at the end? false is the worst outcome: the vault may still be reachable. */
  closed: boolean;
  powerOnRequestedAt?: string;
  offConfirmedAt?: string;
  /** Power-on request to confirmed Off. */
  durationMs?: number;
  parts: {
    bootMs?: number; // power-on request → BMC reports On and past POST
    readinessMs?: number; // → the vault's health endpoint answered and proved its identity
    copyMs?: number;
    verifyMs?: number;
    shutdownMs?: number; // close requested → confirmed Off
  };
  /** How the window was closed: graceful, forced; or what failed. */
  closedBy?: string;
}

export interface ReplicationReport {
  runId: string;
  plan: string;
  target: string;
  vault: string;
  source: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  result: 'success' | 'failed' | 'cancelled';
  error?: { code: string; message: string; exitCode: number };
  /** Set when the window could not be confirmed closed: someone must look at the vault now. */
  alert?: string;
  stages: StageRecord[];
  window: WindowReport;
  snapshots: { selected: number; ids: string[] };
  copy: {
    objectsSent: number;
    bytesSent: number;
    objectsSkipped: number;
    bytesSkipped: number;
    durationMs: number;
    /** bytes per second */
    throughput: number;
  };
  verify: {
    objects: number;
    bytes: number;
    sample?: { snapshot: string; files: number; bytes: number; equal: boolean };
  };
  hooks: Omit<HookResult, 'stderrTail'>[];
  /** Windows left open by an earlier crashed run, closed before this run did anything. */
  recovered: { runId: string; target: string; startedAt: string; closedBy?: string }[];
}

export function errorSummary(e: AirgapError): { code: string; message: string; exitCode: number } {
  return { code: e.code, message: e.message, exitCode: e.exitCode };
}

function dur(ms: number | undefined): string {
  return ms === undefined ? '-' : formatDuration(ms);
}

/** The human summary printed at the end of `airgap replicate`. */
export function formatReport(r: ReplicationReport): string {
  const lines: string[] = [];
  const head =
    r.result === 'success'
      ? 'replication succeeded'
      : r.result === 'cancelled'
        ? 'replication cancelled'
        : 'replication FAILED';
  lines.push(`${head}: plan ${r.plan}, ${r.source} -> vault ${r.vault} (target ${r.target}), run ${r.runId}`);
  if (r.error) lines.push(`  reason: ${r.error.message} [${r.error.code}, exit ${r.error.exitCode}]`);
  if (r.alert) lines.push(`  ALERT: ${r.alert}`);
  for (const rec of r.recovered)
    lines.push(
      `  recovered: closed the window of run ${rec.runId} on ${rec.target} (opened ${rec.startedAt})`,
    );
  lines.push('stages:');
  for (const s of r.stages) {
    lines.push(
      `  ${s.name.padEnd(10)} ${s.outcome.padEnd(9)} ${dur(s.durationMs).padStart(9)}${s.error ? `  ${s.error.message}` : ''}`,
    );
    for (const st of s.steps ?? [])
      lines.push(
        `    ${st.name.padEnd(8)} ${st.outcome.padEnd(9)} ${dur(st.durationMs).padStart(9)}${st.detail ? `  ${st.detail}` : ''}`,
      );
  }
  const w = r.window;
  if (!w.opened) lines.push('exposure window: never opened (the vault stayed off)');
  else {
    lines.push(
      `exposure window: ${dur(w.durationMs)} ${w.closed ? `(confirmed Off${w.closedBy ? `, ${w.closedBy}` : ''})` : '(NOT confirmed closed)'}`,
    );
    const p = w.parts;
    lines.push(
      `  boot ${dur(p.bootMs)}, readiness ${dur(p.readinessMs)}, copy ${dur(p.copyMs)}, verify ${dur(p.verifyMs)}, shutdown ${dur(p.shutdownMs)}`,
    );
  }
  const c = r.copy;
  lines.push(
    `copy: ${r.snapshots.selected} snapshot(s); sent ${c.objectsSent} objects (${formatBytes(c.bytesSent)}), skipped ${c.objectsSkipped} already in the vault (${formatBytes(c.bytesSkipped)}); ${formatBytes(c.throughput)}/s`,
  );
  if (r.verify.objects > 0 || r.verify.sample) {
    const s = r.verify.sample;
    lines.push(
      `verify: ${r.verify.objects} objects (${formatBytes(r.verify.bytes)}) confirmed in the vault${s ? `; restored ${s.files} file(s) of snapshot ${s.snapshot.slice(0, 8)} from the vault: ${s.equal ? 'equal to the primary' : 'DIFFERENT'}` : ''}`,
    );
  }
  for (const h of r.hooks)
    lines.push(
      `hook ${h.point} "${h.name}": ${h.ok ? 'ok' : h.timedOut ? 'timed out' : `failed (${h.exitCode ?? h.signal})`} in ${dur(h.durationMs)}`,
    );
  return lines.join('\n');
}
