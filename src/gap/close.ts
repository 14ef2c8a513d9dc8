// POST: close the gap. Graceful shutdown → wait for Off → forced power-off after the timeout → confirm
// Off. It never gives up early: a failed graceful request still leads to the forced one, and the only
// failure is CLOSE_FAILED, raised when Off cannot be confirmed (the worst outcome: the window is open).
import { AirgapError } from '../errors.js';
import type { GapDriver, PowerState } from './driver.js';
import { isAirgapError } from '../errors.js';
import { stageRecorder, type GapReport, type StageEvent } from './stages.js';
import { abortError, deadlineSignal, sleep } from './wait.js';

export interface CloseTimeouts {
  gracefulMs: number;
  forceMs: number;
}

export const DEFAULT_CLOSE_TIMEOUTS: CloseTimeouts = { gracefulMs: 5 * 60_000, forceMs: 60_000 };

export interface CloseOptions {
  timeouts?: Partial<CloseTimeouts>;
  pollMs?: number;
  /** Skip the graceful request and force the power off at once (`airgap power off --force`). */
  force?: boolean;
  onStage?: (e: StageEvent) => void;
  signal?: AbortSignal;
}

export async function closeGap(driver: GapDriver, opts: CloseOptions): Promise<GapReport> {
  const t = { ...DEFAULT_CLOSE_TIMEOUTS, ...opts.timeouts };
  const pollMs = opts.pollMs ?? 2000;
  const rec = stageRecorder(opts.onStage);
  const outer = opts.signal;
  let lastError: unknown;

  const readState = async (ms: number): Promise<PowerState | undefined> => {
    try {
      return await driver.powerState(deadlineSignal(ms, outer));
    } catch (e) {
      if (outer?.aborted) throw abortError(outer);
      lastError = e;
      return undefined;
    }
  };
  /** Polls until Off or the deadline; returns the last state seen. */
  const waitOff = async (ms: number): Promise<PowerState | undefined> => {
    const deadline = deadlineSignal(ms, outer);
    let s: PowerState | undefined;
    for (;;) {
      s = await readState(Math.max(1000, ms));
      if (s === 'Off') return s;
      try {
        await sleep(pollMs, deadline);
      } catch {
        if (outer?.aborted) throw abortError(outer);
        return s;
      }
    }
  };

  try {
    const s0 = rec.start('state', driver.describe());
    let state = await readState(t.forceMs);
    if (state === undefined) rec.failed('state', s0, lastError);
    else rec.ok('state', s0, `power state ${state}`);
    if (state === 'Off') {
      for (const st of ['graceful', 'wait-off', 'force', 'confirm']) rec.skipped(st, 'already Off');
      return rec.finish();
    }

    if (opts.force) {
      rec.skipped('graceful', 'forced power-off requested');
      rec.skipped('wait-off', 'forced power-off requested');
    } else {
      const s1 = rec.start('graceful');
      let gracefulSent = false;
      try {
        await driver.gracefulOff(deadlineSignal(t.gracefulMs, outer));
        gracefulSent = true;
        rec.ok('graceful', s1);
      } catch (e) {
        if (outer?.aborted) throw abortError(outer);
        lastError = e;
        if (isAirgapError(e, 'NOT_SUPPORTED')) rec.skipped('graceful', (e as Error).message);
        else rec.failed('graceful', s1, e);
      }
      // Without a graceful request (Wake-on-LAN) we still wait: the vault shuts itself down.
      const s2 = rec.start('wait-off');
      state = await waitOff(t.gracefulMs);
      if (state === 'Off') {
        rec.ok('wait-off', s2, 'power state Off');
        rec.skipped('force', 'not needed');
        rec.skipped('confirm', 'Off confirmed');
        return rec.finish();
      }
      rec.failed(
        'wait-off',
        s2,
        `still ${state ?? 'unreadable'} after ${Math.round(t.gracefulMs / 1000)} s${gracefulSent ? '' : ' (no graceful request was sent)'}`,
      );
    }

    const s3 = rec.start('force');
    try {
      await driver.forceOff(deadlineSignal(t.forceMs, outer));
      rec.ok('force', s3);
    } catch (e) {
      if (outer?.aborted) throw abortError(outer);
      lastError = e;
      if (isAirgapError(e, 'NOT_SUPPORTED')) rec.skipped('force', (e as Error).message);
      else rec.failed('force', s3, e);
    }

    const s4 = rec.start('confirm');
    state = await waitOff(t.forceMs);
    if (state === 'Off') {
      rec.ok('confirm', s4, 'power state Off');
      return rec.finish();
    }
    const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    const err = new AirgapError(
      'CLOSE_FAILED',
      `the gap could not be confirmed closed: ${driver.describe()} reports ${state ?? 'no power state'}${why}`,
    );
    rec.failed('confirm', s4, err);
    throw err;
  } catch (e) {
    const err =
      e instanceof AirgapError ? e : new AirgapError('CLOSE_FAILED', (e as Error).message ?? String(e));
    const report = rec.finish(err);
    throw new AirgapError(err.code, err.message, { ...(err.details ?? {}), report }, { cause: e });
  }
}
