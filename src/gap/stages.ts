// Stage bookkeeping shared by openGap and closeGap: every stage is recorded with its timing, reported as
// it happens (onStage) and returned in a GapReport, so the task can record every step of the window.
import { AirgapError } from '../errors.js';

export interface StageEvent {
  stage: string;
  status: 'start' | 'ok' | 'failed' | 'skipped';
  at: string; // ISO
  ms?: number;
  detail?: string;
}

export interface GapReport {
  stages: StageEvent[];
  startedAt: string;
  endedAt: string;
  ok: boolean;
  error?: { code: string; message: string };
}

export interface StageRecorder {
  readonly report: GapReport;
  start(stage: string, detail?: string): () => number;
  ok(stage: string, started: () => number, detail?: string): void;
  failed(stage: string, started: () => number, err: unknown): void;
  skipped(stage: string, detail: string): void;
  finish(err?: AirgapError): GapReport;
}

export function stageRecorder(onStage?: (e: StageEvent) => void): StageRecorder {
  const report: GapReport = { stages: [], startedAt: new Date().toISOString(), endedAt: '', ok: false };
  const emit = (e: StageEvent): void => {
    report.stages.push(e);
    try {
      onStage?.(e);
    } catch {
      // a broken listener must not break opening or closing the gap
    }
  };
  return {
    report,
    start(stage, detail) {
      const t0 = performance.now();
      emit({ stage, status: 'start', at: new Date().toISOString(), ...(detail ? { detail } : {}) });
      return () => Math.round(performance.now() - t0);
    },
    ok(stage, started, detail) {
      emit({
        stage,
        status: 'ok',
        at: new Date().toISOString(),
        ms: started(),
        ...(detail ? { detail } : {}),
      });
    },
    failed(stage, started, err) {
      const detail = err instanceof Error ? err.message : String(err);
      emit({ stage, status: 'failed', at: new Date().toISOString(), ms: started(), detail });
    },
    skipped(stage, detail) {
      emit({ stage, status: 'skipped', at: new Date().toISOString(), detail });
    },
    finish(err) {
      report.endedAt = new Date().toISOString();
      report.ok = err === undefined;
      if (err) report.error = { code: err.code, message: err.message };
      return report;
    },
  };
}

/** Errors that retrying cannot fix: stop a stage at once instead of waiting out its timeout. */
export function isFatal(e: unknown): boolean {
  return (
    e instanceof AirgapError &&
    ['BMC_AUTH', 'BMC_IDENTITY', 'VAULT_IDENTITY', 'CONFIG', 'USAGE', 'CANCELLED', 'NOT_SUPPORTED'].includes(
      e.code,
    )
  );
}

export function asAirgapError(e: unknown, fallback: AirgapError['code'] = 'POWER_FAILED'): AirgapError {
  if (e instanceof AirgapError) return e;
  return new AirgapError(fallback, e instanceof Error ? e.message : String(e));
}
