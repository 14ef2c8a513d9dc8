// The dead man's switch: the vault closes its own window. It runs the shutdown command when no request
// has been active for the idle time, at the latest when the maximum window since start has passed, or at
// once when a client says it is done. A crashed or hostile online side therefore cannot keep it on.
import { execFile } from 'node:child_process';

export type CloseReason = 'idle' | 'max-window' | 'client';

export interface DeadmanOptions {
  idleMs: number;
  maxWindowMs: number;
  command: string[];
  onFire: (reason: CloseReason) => Promise<void> | void;
  onResult: (r: { reason: CloseReason; ok: boolean; error?: string }) => Promise<void> | void;
}

export interface Deadman {
  begin(): void;
  end(): void;
  fire(reason: CloseReason): void;
  readonly fired: boolean;
  /** Resolves after the shutdown command has run. */
  readonly done: Promise<CloseReason>;
  cancel(): void;
}

export function startDeadman(o: DeadmanOptions): Deadman {
  const started = Date.now();
  let last = started;
  let active = 0;
  let fired = false;
  let resolveDone!: (r: CloseReason) => void;
  const done = new Promise<CloseReason>((r) => (resolveDone = r));
  const tick = Math.max(100, Math.min(5000, Math.floor(Math.min(o.idleMs, o.maxWindowMs) / 4)));
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - started >= o.maxWindowMs) fire('max-window');
    else if (active === 0 && now - last >= o.idleMs) fire('idle');
  }, tick);
  timer.unref();

  function fire(reason: CloseReason): void {
    if (fired) return;
    fired = true;
    clearInterval(timer);
    void (async () => {
      await o.onFire(reason);
      const [cmd, ...args] = o.command;
      const result = await new Promise<{ ok: boolean; error?: string }>((res) =>
        execFile(cmd!, args, { timeout: 120_000 }, (err, _out, stderr) =>
          res(
            err
              ? { ok: false, error: `${err.message.split('\n')[0]} ${String(stderr).trim()}`.trim() }
              : { ok: true },
          ),
        ),
      );
      await o.onResult({ reason, ...result });
      resolveDone(reason);
    })();
  }

  return {
    begin() {
      active++;
      last = Date.now();
    },
    end() {
      active = Math.max(0, active - 1);
      last = Date.now();
    },
    fire,
    get fired() {
      return fired;
    },
    done,
    cancel() {
      clearInterval(timer);
    },
  };
}
