// Garbage collection on our terms, for the resident size users compare with restic's: V8 collects
// late by default (a young generation of up to 32 MiB per thread, buffers freed only when their
// handles are collected), which on a backup or restore means tens of MiB of dead data kept resident.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;
let collect: GcFunction | null | undefined;

function gcFunction(): GcFunction | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as GcFunction;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Runs a full collection of the calling thread's heap (a no-op where gc cannot be exposed). */
export function collectGarbage(): void {
  gcFunction()?.();
}

/**
 * Collects only the young generation (a scavenge: well under a millisecond), which frees the buffers
 * that node:crypto returns per call: a bulk reader calls it every few MiB instead of letting them pile
 * up until V8's external-memory limit (~64 MiB) triggers a full collection.
 */
function collectYoungGarbage(): void {
  gcFunction()?.({ type: 'minor' });
}

/**
 * Returns a counter that runs collectYoungGarbage() once every `bytes` of data it is told about: for
 * loops that leave node:crypto's per-call buffers behind them.
 */
export function youngCollectionEvery(bytes: number): (processed: number) => void {
  let since = 0;
  return (processed) => {
    since += processed;
    if (since < bytes) return;
    since = 0;
    collectYoungGarbage();
  };
}

/**
 * Keeps the young generation at its initial size (1 MiB per semi-space) instead of letting it grow to
 * 16 MiB: our threads allocate many short-lived handles to off-heap buffers and few long-lived objects,
 * so the larger space buys no speed and costs up to 32 MiB per thread. Read by V8 when it would grow
 * the space, so it works after start-up. V8 puts the factor back to 2 whenever it configures a new
 * thread's heap: call it again once a worker is online.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
