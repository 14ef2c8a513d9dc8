// PRE: open the gap. Power the vault on and wait until it is fully operational, in stages, each with its
// own timeout and error: BMC answers → PowerState On → past POST (where the BMC can tell) → the vault's
// own service answers with its pinned identity. Transient errors inside a stage are retried until the
// stage's deadline; errors no retry can fix (credentials, identity) end it at once.
import { AirgapError } from '../errors.js';
import type { GapDriver, PowerState } from './driver.js';
import { asAirgapError, isFatal, stageRecorder, type GapReport, type StageEvent } from './stages.js';
import { abortError, deadlineSignal, sleep } from './wait.js';

export type { GapReport, StageEvent } from './stages.js';

export interface OpenTimeouts {
  bmcMs: number;
  powerOnMs: number;
  postMs: number;
  serviceMs: number;
}

/** Real hardware: a PowerEdge can take many minutes to POST, longer after firmware updates. */
export const DEFAULT_OPEN_TIMEOUTS: OpenTimeouts = {
  bmcMs: 60_000,
  powerOnMs: 5 * 60_000,
  postMs: 20 * 60_000,
  serviceMs: 10 * 60_000,
};

export interface OpenOptions {
  timeouts?: Partial<OpenTimeouts>;
  pollMs?: number;
  /** The vault health check with pinned identity; retried until it resolves or times out. */
  serviceCheck?: (signal: AbortSignal) => Promise<void>;
  onStage?: (e: StageEvent) => void;
  signal?: AbortSignal;
}

export async function openGap(driver: GapDriver, opts: OpenOptions): Promise<GapReport> {
  const t = { ...DEFAULT_OPEN_TIMEOUTS, ...opts.timeouts };
  const pollMs = opts.pollMs ?? 2000;
  const rec = stageRecorder(opts.onStage);
  const outer = opts.signal;
  let stage = 'bmc';
  try {
    const canRead = driver.canReadPowerState !== false;
    let state: PowerState = 'Unknown';

    stage = 'bmc';
    if (canRead) {
      const s0 = rec.start(stage, driver.describe());
      state = await retryUntil(
        stage,
        t.bmcMs,
        pollMs,
        outer,
        (sig) => driver.powerState(sig),
        () => true,
        rec,
        s0,
      );
      rec.ok(stage, s0, `power state ${state}`);
    } else rec.skipped(stage, 'the driver cannot query the host');

    stage = 'power';
    const s1 = rec.start(stage);
    if (state !== 'On' && state !== 'PoweringOn') {
      try {
        await driver.powerOn(deadlineSignal(t.powerOnMs, outer));
      } catch (e) {
        rec.failed(stage, s1, e);
        throw stageError(e, stage, outer);
      }
    }
    if (canRead) {
      await retryUntil(
        stage,
        t.powerOnMs,
        pollMs,
        outer,
        (sig) => driver.powerState(sig),
        (s) => s === 'On',
        rec,
        s1,
      );
      rec.ok(stage, s1, 'power state On');
    } else rec.ok(stage, s1, 'power-on sent; the driver cannot confirm it');

    stage = 'post';
    if (!driver.postState) rec.skipped(stage, 'the driver cannot tell POST completion');
    else {
      const post = driver.postState.bind(driver);
      const s2 = rec.start(stage);
      const p = await retryUntil(
        stage,
        t.postMs,
        pollMs,
        outer,
        (sig) => post(sig),
        (v) => v !== 'in-post',
        rec,
        s2,
      );
      if (p === 'unknown') rec.ok(stage, s2, 'the BMC cannot tell POST completion');
      else rec.ok(stage, s2, 'past POST');
    }

    stage = 'service';
    if (!opts.serviceCheck) rec.skipped(stage, 'no service check given');
    else {
      const check = opts.serviceCheck;
      const s3 = rec.start(stage);
      await retryUntil(
        stage,
        t.serviceMs,
        pollMs,
        outer,
        async (sig) => (await check(sig), true),
        () => true,
        rec,
        s3,
      );
      rec.ok(stage, s3, 'the vault answered with its pinned identity');
    }
    return rec.finish();
  } catch (e) {
    const err = stageError(e, stage, outer);
    const report = rec.finish(err);
    throw new AirgapError(err.code, err.message, { ...(err.details ?? {}), stage, report }, { cause: e });
  }
}

/**
 * Calls `probe` until `done(value)` or the stage deadline. A fatal error ends the stage at once; at the
 * deadline the stage fails with GAP_TIMEOUT, unless the BMC never answered at all (bmc stage), which
 * keeps the BMC's own error (unreachable, busy) because that is the actionable fact.
 */
async function retryUntil<T>(
  stage: string,
  ms: number,
  pollMs: number,
  outer: AbortSignal | undefined,
  probe: (sig: AbortSignal) => Promise<T>,
  done: (v: T) => boolean,
  rec: ReturnType<typeof stageRecorder>,
  started: () => number,
): Promise<T> {
  const deadline = deadlineSignal(ms, outer);
  let last: unknown;
  let lastValue: T | undefined;
  for (;;) {
    try {
      const v = await probe(deadline);
      lastValue = v;
      last = undefined;
      if (done(v)) return v;
    } catch (e) {
      if (outer?.aborted) throw abortError(outer);
      if (isFatal(e) && !deadline.aborted) {
        rec.failed(stage, started, e);
        throw e;
      }
      // An error caused by the deadline itself says less than the one before it.
      if (!deadline.aborted || last === undefined) last = e;
    }
    try {
      await sleep(pollMs, deadline);
    } catch {
      if (outer?.aborted) throw abortError(outer);
      const lastErr = last === undefined ? undefined : asAirgapError(last);
      const err =
        stage === 'bmc' && lastErr
          ? new AirgapError(lastErr.code, `${lastErr.message} (for ${Math.round(ms / 1000)} s)`)
          : new AirgapError(
              'GAP_TIMEOUT',
              `stage ${stage} did not complete within ${Math.round(ms / 1000)} s` +
                (lastErr
                  ? `; last error: ${lastErr.message}`
                  : lastValue !== undefined
                    ? `; last seen: ${String(lastValue)}`
                    : ''),
            );
      rec.failed(stage, started, err);
      throw err;
    }
  }
}

function stageError(e: unknown, stage: string, outer: AbortSignal | undefined): AirgapError {
  if (outer?.aborted) return abortError(outer);
  const err = asAirgapError(e);
  if (err.message.startsWith(`stage ${stage}`) || err.message.startsWith('opening the gap')) return err;
  return new AirgapError(err.code, `opening the gap failed at stage ${stage}: ${err.message}`, err.details);
}
