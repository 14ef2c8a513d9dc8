// User-defined PRE/POST hooks: shell commands run at fixed points of a task, each in its own process
// group with a timeout (the whole group is killed when it runs over, so a hook cannot leave children
// behind), the task's facts in AIRGAP_* environment variables, and a typed HOOK_FAILED on failure.
import { spawn } from 'node:child_process';
import { AirgapError } from '../errors.js';

export interface HookSpec {
  /** Shown in reports and errors; defaults to the command. */
  name?: string;
  /** Run with /bin/sh -c. */
  command: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

export interface HookResult {
  name: string;
  point: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  /** The last lines of the hook's stderr, for the failure message. */
  stderrTail: string;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const KILL_GRACE_MS = 2000;
const TAIL_BYTES = 2048;

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Runs one hook to completion; never throws (the caller decides what a failure means). */
export function runHook(
  hook: HookSpec,
  point: string,
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<HookResult> {
  const name = hook.name ?? hook.command;
  const started = Date.now();
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn('/bin/sh', ['-c', hook.command], {
      cwd: hook.cwd,
      env: { ...process.env, ...hook.env, ...env, AIRGAP_HOOK: point },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: the timeout kills everything the hook started
    });
    // Hook output goes to our stderr: stdout belongs to the report (--json).
    child.stdout.on('data', (d: Buffer) => process.stderr.write(d));
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderr = (stderr + d.toString()).slice(-TAIL_BYTES);
    });
    const stop = (): void => {
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, hook.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = (): void => stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exitCode: number | null, sig: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // The shell may have exited while a background child lingers in the group: end it too.
      killGroup(child.pid, 'SIGKILL');
      resolve({
        name,
        point,
        exitCode,
        signal: sig,
        timedOut,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        ok: exitCode === 0 && !timedOut,
        stderrTail: stderr.trim().split('\n').slice(-5).join('\n'),
      });
    };
    child.on('error', () => finish(null, null));
    child.on('close', (code, sig) => finish(code, sig));
  });
}

export function hookError(r: HookResult): AirgapError {
  const why = r.timedOut
    ? 'timed out'
    : r.exitCode !== null
      ? `exited with status ${r.exitCode}`
      : `was killed by ${r.signal ?? 'a signal'}`;
  const tail = r.stderrTail ? `: ${r.stderrTail.split('\n').at(-1)}` : '';
  return new AirgapError('HOOK_FAILED', `${r.point} hook "${r.name}" ${why}${tail}`, {
    hook: r.name,
    point: r.point,
  });
}

/** Runs hooks in order; stops at the first failure when `stopOnFailure`. */
export async function runHooks(
  hooks: readonly HookSpec[],
  point: string,
  env: Record<string, string>,
  opts: { stopOnFailure: boolean; signal?: AbortSignal },
): Promise<HookResult[]> {
  const out: HookResult[] = [];
  for (const h of hooks) {
    const r = await runHook(h, point, env, opts.signal);
    out.push(r);
    if (!r.ok && opts.stopOnFailure) break;
  }
  return out;
}
