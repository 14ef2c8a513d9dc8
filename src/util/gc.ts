// A full garbage collection on demand, for the few places where V8 collects too late for the resident
// size users compare (threads whose heap hardly grows; walks of hundreds of thousands of files).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/** Runs a full collection of the calling thread's heap (a no-op where gc cannot be exposed). */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
