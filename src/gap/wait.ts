// Small timing helpers shared by the drivers and the open/close sequences: an abortable sleep and a
// signal that fires at a deadline or when the caller cancels, whichever comes first.
import { AirgapError } from '../errors.js';

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts after `ms` or when `parent` aborts. */
export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(Math.max(0, ms));
  return parent ? AbortSignal.any([parent, t]) : t;
}

/** The error to throw when a signal aborted: the caller's own AirgapError reason, else CANCELLED. */
export function abortError(signal: AbortSignal): AirgapError {
  const r: unknown = signal.reason;
  if (r instanceof AirgapError) return r;
  if (r instanceof Error && r.name === 'TimeoutError') return new AirgapError('GAP_TIMEOUT', 'timed out');
  return new AirgapError('CANCELLED', 'cancelled');
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
