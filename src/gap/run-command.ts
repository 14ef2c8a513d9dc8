// Runs an external program (ipmitool, a user's power script) in its own process group with a timeout:
// on timeout or cancel the whole group is killed, so a hung script cannot leave children behind.
// Secrets go in through `env`, never argv.
import { spawn } from 'node:child_process';
import { AirgapError } from '../errors.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called with each complete output line (stdout and stderr), e.g. to put it in the task log. */
  onLine?: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
  maxOutput?: number;
}

export function runCommand(cmd: string, args: string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new AirgapError('CANCELLED', 'cancelled'));
    const child = spawn(cmd, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const max = o.maxOutput ?? 1024 * 1024;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const partial = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr', d: Buffer): void => {
      const s = d.toString('utf8');
      if (stream === 'stdout') stdout = (stdout + s).slice(-max);
      else stderr = (stderr + s).slice(-max);
      if (!o.onLine) return;
      const lines = (partial[stream] + s).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const l of lines) o.onLine(l.replace(/\r$/, ''), stream);
    };
    child.stdout.on('data', (d: Buffer) => feed('stdout', d));
    child.stderr.on('data', (d: Buffer) => feed('stderr', d));
    const killGroup = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    const onAbort = (): void => killGroup();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        new AirgapError(
          code === 'ENOENT' ? 'CONFIG' : 'POWER_FAILED',
          code === 'ENOENT'
            ? `${cmd}: not found`
            : code === 'EACCES'
              ? `${cmd}: not executable`
              : `${cmd}: ${e.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      for (const stream of ['stdout', 'stderr'] as const)
        if (partial[stream] && o.onLine) o.onLine(partial[stream], stream);
      if (o.signal?.aborted) return reject(new AirgapError('CANCELLED', 'cancelled'));
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
