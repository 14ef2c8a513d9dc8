// Adapts a gap driver and the gap layer's open/close sequences to what the replication task needs: the
// stage events as timed steps, and how the window was closed (graceful, forced, already off).
import type { GapDriver } from '../gap/driver.js';
import { openGap, type OpenTimeouts } from '../gap/open.js';
import { closeGap, type CloseTimeouts } from '../gap/close.js';
import type { StageEvent } from '../gap/stages.js';
import type { GapControl, GapStep } from './replicate.js';

export interface GapControlOptions {
  timeouts?: Partial<OpenTimeouts & CloseTimeouts>;
  /** How often the BMC is polled for power and POST state. */
  pollMs?: number;
}

function toStep(e: StageEvent): GapStep {
  const at = Date.parse(e.at);
  if (e.status === 'start')
    return { name: e.stage, phase: 'start', at, ...(e.detail ? { detail: e.detail } : {}) };
  return {
    name: e.stage,
    phase: 'end',
    at,
    outcome: e.status,
    ...(e.detail ? { detail: e.detail } : {}),
  };
}

export function gapControl(driver: GapDriver, opts: GapControlOptions = {}): GapControl {
  const pollMs = opts.pollMs ?? 1000;
  return {
    describe: () => driver.describe(),
    async open({ serviceCheck, onStep, signal }) {
      await openGap(driver, {
        ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
        pollMs,
        serviceCheck,
        onStage: (e) => onStep(toStep(e)),
        signal,
      });
    },
    async close({ onStep }) {
      // No caller signal: a cancelled task must still close. The close has its own timeouts.
      const report = await closeGap(driver, {
        ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
        pollMs: Math.min(pollMs, 500),
        onStage: (e) => onStep(toStep(e)),
      });
      const ok = (stage: string): boolean =>
        report.stages.some((s) => s.stage === stage && s.status === 'ok');
      const closedBy = ok('force') || ok('confirm') ? 'forced' : ok('wait-off') ? 'graceful' : 'already off';
      return { closedBy };
    },
    async dispose() {
      await driver.dispose?.();
    },
  };
}
