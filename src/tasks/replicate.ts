// The replication task: PRE hooks → open the gap → copy → verify → close the gap → POST hooks → report.
// The window is closed in `finally`, whatever happened (failure, timeout, cancellation), and a state file
// written before the power-on request lets the next run close a window that a crash left open. The CLI,
// the agent and `airgap demo` all call runReplication; none of them re-implements a step.
import { randomBytes } from 'node:crypto';
import { AirgapError, isAirgapError } from '../errors.js';
import type { Backend, SnapshotMeta } from '../storage/backend.js';
import type { Repository } from '../repository/repository.js';
import { listSnapshots, snapshotMeta } from '../repository/snapshots.js';
import { executeCopy, planCopy, type CopyProgress, type CopyResult } from '../ops/copy.js';
import { assertVerified, verifyCopy } from '../ops/copy-verify.js';
import type { SelectionConfig } from '../config/plans.js';
import { hookError, runHooks, type HookResult, type HookSpec } from './hooks.js';
import { errorSummary, type ReplicationReport, type StageName, type StageRecord } from './report.js';
import { selectSnapshots } from './selection.js';
import { verifySample } from './verify-sample.js';
import {
  clearWindowState,
  isOwnerAlive,
  listWindowStates,
  newWindowState,
  writeWindowState,
  type WindowState,
} from './window-state.js';
import { saveReport } from './history.js';

/** A sub-step reported by the gap layer while opening or closing (bmc, power, post, service; graceful…). */
export interface GapStep {
  name: string;
  phase: 'start' | 'end';
  at: number;
  outcome?: string;
  detail?: string;
}

/** The gap layer as the task sees it: one target's power, with the readiness/shutdown sequences. */
export interface GapControl {
  describe(): string;
  /** Power on and wait until `serviceCheck` passes; throws the stage's typed error. */
  open(o: {
    serviceCheck: (signal: AbortSignal) => Promise<void>;
    onStep: (s: GapStep) => void;
    signal: AbortSignal;
  }): Promise<void>;
  /** Graceful, then forced, then confirmed Off; throws CLOSE_FAILED. Returns how it closed. */
  close(o: { onStep: (s: GapStep) => void }): Promise<{ closedBy: string }>;
  dispose(): Promise<void>;
}

export interface ReplicationSpec {
  plan: string;
  target: string;
  vault: string;
  stateDir: string;
  sourceLocation: string;
  selection: SelectionConfig;
  hooks: { pre: HookSpec[]; post: HookSpec[] };
  timeouts: { totalMs?: number; copyMs?: number; verifyMs?: number };
  sampleFiles: number;
  copy: { concurrency: number; maxInFlightBytes: number };
}

/** The real things the task drives; built from the config by replicate-config.ts (or by the demo). */
export interface ReplicationDeps {
  /** The gap control for a target name; recovery may ask for a target other than the plan's. */
  gap(target: string): GapControl;
  openSource(): Promise<{ backend: Backend; repo: Repository; password: string }>;
  /** The vault's health: throws VAULT_IDENTITY on a wrong identity; `secured` when the kill switch is on. */
  vaultHealth(signal: AbortSignal): Promise<{ secured: boolean }>;
  openVault(): Promise<Backend>;
}

export interface RunOptions {
  runId?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (p: CopyProgress) => void;
  /** Only close windows left open by crashed runs; no copy. */
  recoverOnly?: boolean;
  /** Keep the report out of the history (tests of the history itself pass false). */
  saveHistory?: boolean;
}

/** Errors after which waiting longer cannot help: the service check stops polling at once. */
const HEALTH_POLL_MS = 200;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const FATAL_READINESS: ReadonlySet<string> = new Set(['VAULT_IDENTITY', 'VAULT_SECURED', 'VAULT_AUTH']);

function timeoutSignal(ms: number | undefined, err: () => AirgapError, parent: AbortSignal): AbortSignal {
  if (ms === undefined) return parent;
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(err()), ms);
  t.unref();
  parent.addEventListener('abort', () => clearTimeout(t), { once: true });
  return AbortSignal.any([parent, ac.signal]);
}

function asAirgapError(e: unknown, fallback: string): AirgapError {
  if (e instanceof AirgapError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new AirgapError('REPLICATION_FAILED', `${fallback}: ${msg}`, undefined, { cause: e });
}

function abortReason(signal: AbortSignal): AirgapError {
  const r: unknown = signal.reason;
  return r instanceof AirgapError ? r : new AirgapError('CANCELLED', 'replication cancelled');
}

export function newRunId(): string {
  const d = new Date();
  const stamp = d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Closes every window a crashed run left open (owner gone); refuses to touch one a live run holds. */
export async function recoverWindows(
  stateDir: string,
  gapFor: (target: string) => GapControl,
  log: (line: string) => void,
  ownTarget?: string,
): Promise<{ runId: string; target: string; startedAt: string; closedBy?: string }[]> {
  const out: { runId: string; target: string; startedAt: string; closedBy?: string }[] = [];
  for (const s of await listWindowStates(stateDir)) {
    if (isOwnerAlive(s)) {
      if (s.target === ownTarget)
        throw new AirgapError(
          'REPO_LOCKED',
          `replication run ${s.runId} (pid ${s.pid}) is still running with the window of ${s.target} open; not starting another`,
        );
      continue;
    }
    log(
      `recovering: run ${s.runId} (plan ${s.plan}) left the window of ${s.target} open since ${s.startedAt}; closing it`,
    );
    const gap = gapFor(s.target);
    try {
      const { closedBy } = await gap.close({ onStep: () => {} });
      await clearWindowState(stateDir, s.target);
      out.push({ runId: s.runId, target: s.target, startedAt: s.startedAt, closedBy });
    } catch (e) {
      const err = asAirgapError(e, 'closing the window left open');
      throw new AirgapError(
        'CLOSE_FAILED',
        `could not close the window that run ${s.runId} left open on ${s.target}: ${err.message}`,
        { target: s.target },
        { cause: e },
      );
    } finally {
      await gap.dispose();
    }
  }
  return out;
}

/** Runs the whole task. Never throws for task failures: the report carries the error and the exit code. */
export async function runReplication(
  spec: ReplicationSpec,
  deps: ReplicationDeps,
  opts: RunOptions = {},
): Promise<ReplicationReport> {
  const log = opts.log ?? (() => {});
  const runId = opts.runId ?? newRunId();
  const t0 = Date.now();
  const outer = opts.signal ?? new AbortController().signal;
  const signal = timeoutSignal(
    spec.timeouts.totalMs,
    () => new AirgapError('REPLICATION_FAILED', `the task did not finish within ${spec.timeouts.totalMs} ms`),
    outer,
  );
  const report: ReplicationReport = {
    runId,
    plan: spec.plan,
    target: spec.target,
    vault: spec.vault,
    source: spec.sourceLocation,
    startedAt: new Date(t0).toISOString(),
    endedAt: '',
    durationMs: 0,
    result: 'success',
    stages: [],
    window: { opened: false, closed: true, parts: {} },
    snapshots: { selected: 0, ids: [] },
    copy: { objectsSent: 0, bytesSent: 0, objectsSkipped: 0, bytesSkipped: 0, durationMs: 0, throughput: 0 },
    verify: { objects: 0, bytes: 0 },
    hooks: [],
    recovered: [],
  };
  let failure: AirgapError | null = null;

  const stage = async <T>(name: StageName, fn: (rec: StageRecord) => Promise<T>): Promise<T | undefined> => {
    const started = Date.now();
    const rec: StageRecord = {
      name,
      startedAt: new Date(started).toISOString(),
      endedAt: '',
      durationMs: 0,
      outcome: 'ok',
    };
    report.stages.push(rec);
    log(`${name}...`);
    try {
      return await fn(rec);
    } catch (e) {
      const err = asAirgapError(e, name);
      rec.outcome = err.code === 'CANCELLED' ? 'cancelled' : 'failed';
      rec.error = { code: err.code, message: err.message };
      failure ??= err;
      log(`${name} ${rec.outcome}: ${err.message}`);
      return undefined;
    } finally {
      rec.endedAt = new Date().toISOString();
      rec.durationMs = Date.now() - started;
    }
  };
  const skip = (name: StageName): void => {
    const now = new Date().toISOString();
    report.stages.push({ name, startedAt: now, endedAt: now, durationMs: 0, outcome: 'skipped' });
  };
  const hookEnv = (): Record<string, string> => ({
    AIRGAP_RUN_ID: runId,
    AIRGAP_PLAN: spec.plan,
    AIRGAP_TARGET: spec.target,
    AIRGAP_VAULT: spec.vault,
    AIRGAP_RESULT: failure ? (failure.code === 'CANCELLED' ? 'cancelled' : 'failed') : 'success',
    ...(failure ? { AIRGAP_ERROR_CODE: failure.code } : {}),
  });
  const recordHooks = (rs: HookResult[]): void => {
    for (const { stderrTail: _t, ...h } of rs) report.hooks.push(h);
  };

  // 1. Close what a crashed run left open, before anything else.
  let recovered = false;
  await stage('recover', async () => {
    report.recovered = await recoverWindows(spec.stateDir, deps.gap, log, spec.target);
    recovered = true;
  });
  if (opts.recoverOnly) return finish(report, failure, t0, spec, opts);

  // 2. PRE hooks and everything that can fail without the vault: before the power-on request.
  let source: Awaited<ReturnType<ReplicationDeps['openSource']>> | undefined;
  const metas = new Map<string, SnapshotMeta>();
  if (!failure && spec.hooks.pre.length > 0)
    await stage('pre-hooks', async () => {
      const rs = await runHooks(spec.hooks.pre, 'pre', hookEnv(), { stopOnFailure: true, signal });
      recordHooks(rs);
      const bad = rs.find((r) => !r.ok);
      if (bad) throw signal.aborted ? abortReason(signal) : hookError(bad);
    });
  if (!failure)
    await stage('prepare', async () => {
      source = await deps.openSource();
      const chosen = selectSnapshots(await listSnapshots(source.repo), spec.selection);
      report.snapshots = { selected: chosen.length, ids: chosen.map((s) => s.id) };
      // The refs of each snapshot are computed now, while the vault is still off: it keeps the window short.
      for (const s of chosen) {
        if (signal.aborted) throw abortReason(signal);
        metas.set(s.id, await snapshotMeta(source.repo, s.id));
      }
    });

  // 3. The window: state file, open, copy, verify — and close in `finally`, always.
  if (!failure) {
    const gap = deps.gap(spec.target);
    let powerRequested = false;
    let sawSteps = false;
    let closeNeeded = false;
    let vault: Backend | undefined;
    const marks: Record<string, number> = {};
    try {
      const state: WindowState = newWindowState(runId, spec.plan, spec.target);
      await writeWindowState(spec.stateDir, state);
      closeNeeded = true;
      await stage('open', async (rec) => {
        rec.steps = [];
        const starts = new Map<string, number>();
        const onStep = (s: GapStep): void => {
          sawSteps = true;
          if (s.phase === 'start') {
            starts.set(s.name, s.at);
            if (s.name === 'power' && !powerRequested) {
              powerRequested = true;
              marks.powerOn = s.at;
            }
          } else {
            rec.steps!.push({
              name: s.name,
              durationMs: s.at - (starts.get(s.name) ?? s.at),
              outcome: s.outcome ?? 'ok',
              ...(s.detail ? { detail: s.detail } : {}),
            });
            if (s.name === 'service' && s.outcome === 'ok') marks.ready = s.at;
          }
          if (s.name === 'service' && s.phase === 'start') marks.serviceStart = s.at;
        };
        let fatal: AirgapError | null = null;
        const inner = new AbortController();
        const openSignal = AbortSignal.any([signal, inner.signal]);
        // Polls the health endpoint every HEALTH_POLL_MS itself, whatever the gap layer's (slower) BMC poll
        // interval: readiness is detected within a fraction of a second of the vault being ready.
        const serviceCheck = async (sig: AbortSignal): Promise<void> => {
          let last: unknown;
          for (;;) {
            try {
              const h = await deps.vaultHealth(sig);
              if (h.secured)
                throw new AirgapError(
                  'VAULT_SECURED',
                  'the vault is secured by its kill switch: replication refused, nothing sent',
                );
              return;
            } catch (e) {
              if (isAirgapError(e) && FATAL_READINESS.has(e.code)) {
                fatal = e;
                inner.abort(e); // stop now: a wrong identity or a kill switch does not fix itself
                throw e;
              }
              if (sig.aborted) throw e;
              last = e;
            }
            await delay(HEALTH_POLL_MS, sig);
            // At the stage deadline the last health error is the useful fact, not the abort itself.
            if (sig.aborted) throw last ?? abortReason(sig);
          }
        };
        try {
          await gap.open({ serviceCheck, onStep, signal: openSignal });
        } catch (e) {
          throw fatal ?? e;
        } finally {
          // Without any step event, assume the power-on was requested: close, to be safe. With events, a
          // failure before the power stage (BMC unreachable, wrong credentials) never switched anything on.
          if (!powerRequested && !sawSteps) {
            powerRequested = true;
            marks.powerOn ??= t0;
          }
        }
        marks.ready ??= Date.now();
      });

      let expected: CopyResult['expected'] = [];
      if (!failure)
        await stage('copy', async () => {
          vault = await deps.openVault();
          const copySignal = timeoutSignal(
            spec.timeouts.copyMs,
            () =>
              new AirgapError(
                'REPLICATION_FAILED',
                `the copy did not finish within ${spec.timeouts.copyMs} ms`,
              ),
            signal,
          );
          const copyOpts = {
            snapshots: report.snapshots.ids,
            snapshotMeta: async (id: string) => metas.get(id) ?? snapshotMeta(source!.repo, id),
            concurrency: spec.copy.concurrency,
            maxInFlightBytes: spec.copy.maxInFlightBytes,
            signal: copySignal,
            // Counted as they are confirmed, so an interrupted copy still reports what it moved.
            onObject: (item: { size: number }) => {
              report.copy.objectsSent++;
              report.copy.bytesSent += item.size;
            },
            ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          };
          const plan = await planCopy(source!.backend, vault, copyOpts);
          report.copy.objectsSkipped = plan.skip.length;
          report.copy.bytesSkipped = plan.skip.reduce((a, i) => a + i.size, 0);
          const copyStart = Date.now();
          let result: CopyResult;
          try {
            result = await executeCopy(source!.backend, vault, plan, copyOpts);
          } finally {
            report.copy.durationMs = Date.now() - copyStart;
          }
          report.copy = {
            objectsSent: result.sent.objects,
            bytesSent: result.sent.bytes,
            objectsSkipped: result.skipped.objects,
            bytesSkipped: result.skipped.bytes,
            durationMs: result.durationMs,
            throughput: result.throughput,
          };
          // Verify needs the expected list: keep it on the side, not in the report.
          expected = result.expected;
        });
      else skip('copy');
      if (marks.ready !== undefined) marks.copyEnd = Date.now();

      if (!failure)
        await stage('verify', async () => {
          const verifySignal = timeoutSignal(
            spec.timeouts.verifyMs,
            () =>
              new AirgapError(
                'REPLICATION_FAILED',
                `verification did not finish within ${spec.timeouts.verifyMs} ms`,
              ),
            signal,
          );
          const v = await verifyCopy(vault!, expected);
          assertVerified(v);
          report.verify = { objects: v.objects, bytes: v.bytes };
          const last = report.snapshots.ids.at(-1);
          if (spec.sampleFiles > 0 && last) {
            const s = await verifySample(
              source!.repo,
              vault!,
              source!.password,
              last,
              spec.sampleFiles,
              verifySignal,
            );
            report.verify.sample = { snapshot: s.snapshot, files: s.files, bytes: s.bytes, equal: s.equal };
            if (!s.equal)
              throw new AirgapError(
                'INTEGRITY',
                `files restored from the vault differ from the primary: ${s.different.join(', ')}`,
              );
          }
          if (verifySignal.aborted) throw abortReason(verifySignal);
        });
      else skip('verify');
      if (marks.copyEnd !== undefined) marks.verifyEnd = Date.now();
    } catch (e) {
      failure ??= asAirgapError(e, 'replication');
    } finally {
      await vault?.close().catch(() => {});
      if (closeNeeded && !powerRequested) {
        // Nothing was switched on, and the BMC just failed us: closing would only fail the same way.
        await clearWindowState(spec.stateDir, spec.target).catch(() => {});
      } else if (closeNeeded) {
        const closeStart = Date.now();
        await stage('close', async (rec) => {
          rec.steps = [];
          const starts = new Map<string, number>();
          const onStep = (s: GapStep): void => {
            if (s.phase === 'start') starts.set(s.name, s.at);
            else
              rec.steps!.push({
                name: s.name,
                durationMs: s.at - (starts.get(s.name) ?? s.at),
                outcome: s.outcome ?? 'ok',
                ...(s.detail ? { detail: s.detail } : {}),
              });
          };
          try {
            const { closedBy } = await gap.close({ onStep });
            report.window.closedBy = closedBy;
            report.window.closed = true;
            await clearWindowState(spec.stateDir, spec.target);
          } catch (e) {
            report.window.closed = false;
            const err = asAirgapError(e, 'closing the window');
            const closeErr = new AirgapError(
              'CLOSE_FAILED',
              `the window could not be confirmed closed: ${err.message}${failure ? ` (after: ${failure.message})` : ''}`,
              { target: spec.target },
              { cause: e },
            );
            report.alert = `vault target ${spec.target} may still be powered on: check it now (state file kept for recovery)`;
            failure = closeErr; // the worst outcome wins: it is the one someone must act on
            throw closeErr;
          }
        });
        const offAt = Date.now();
        if (powerRequested) {
          report.window.opened = true;
          const on = marks.powerOn ?? t0;
          report.window.powerOnRequestedAt = new Date(on).toISOString();
          if (report.window.closed) report.window.offConfirmedAt = new Date(offAt).toISOString();
          report.window.durationMs = offAt - on;
          const p = report.window.parts;
          const serviceStart = marks.serviceStart ?? marks.ready;
          if (serviceStart !== undefined) p.bootMs = serviceStart - on;
          if (marks.ready !== undefined && serviceStart !== undefined)
            p.readinessMs = marks.ready - serviceStart;
          if (marks.copyEnd !== undefined && marks.ready !== undefined)
            p.copyMs = marks.copyEnd - marks.ready;
          if (marks.verifyEnd !== undefined && marks.copyEnd !== undefined)
            p.verifyMs = marks.verifyEnd - marks.copyEnd;
          p.shutdownMs = offAt - closeStart;
        }
      }
      await gap.dispose().catch(() => {});
    }
  }

  // 4. POST hooks run whatever happened; they see the result in AIRGAP_RESULT.
  if (spec.hooks.post.length > 0 && recovered)
    await stage('post-hooks', async () => {
      const rs = await runHooks(spec.hooks.post, 'post', hookEnv(), { stopOnFailure: false });
      recordHooks(rs);
      const bad = rs.find((r) => !r.ok);
      if (bad) throw hookError(bad);
    });

  return finish(report, failure, t0, spec, opts);
}

async function finish(
  report: ReplicationReport,
  failure: AirgapError | null,
  t0: number,
  spec: ReplicationSpec,
  opts: RunOptions,
): Promise<ReplicationReport> {
  report.endedAt = new Date().toISOString();
  report.durationMs = Date.now() - t0;
  if (failure) {
    report.result = failure.code === 'CANCELLED' ? 'cancelled' : 'failed';
    report.error = errorSummary(failure);
  }
  if (opts.saveHistory !== false) {
    try {
      await saveReport(spec.stateDir, report);
    } catch (e) {
      (opts.log ?? (() => {}))(
        `could not save the report to the history: ${asAirgapError(e, 'history').message}`,
      );
    }
  }
  return report;
}
