// Runs the commands of the bench: measured ones under GNU time, helpers plainly. Every child gets its
// own process group so that a timeout or Ctrl-C ends it with all of its children.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { parseTimeV, type TimeReport } from './time-v.js';

export interface Command {
  cmd: string;
  args: string[];
  cwd?: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface Measured extends TimeReport {
  /** Wall time measured by the bench around the command (finer than GNU time's centiseconds). */
  wallSeconds: number;
}

const running = new Set<ChildProcess>();

/** Kills every child the bench has running (process groups); for signals and fatal errors. */
export function killRunning(): void {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function wait(child: ChildProcess, what: string, timeoutMs: number): Promise<number> {
  running.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`${what}: no result after ${Math.round(timeoutMs / 1000)} s, killed`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`${what}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

const DEFAULT_TIMEOUT = 60 * 60_000;

/** Runs `command` under `/usr/bin/time -v`, its output into `logFile`; rejects when it fails. */
export async function runMeasured(
  command: Command,
  logFile: string,
  timeFile: string,
  opts: RunOptions = {},
): Promise<Measured> {
  const log = await open(logFile, 'w');
  try {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, command.cmd, ...command.args], {
      cwd: command.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
    });
    const code = await wait(child, command.cmd, opts.timeoutMs ?? DEFAULT_TIMEOUT);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (code !== 0) {
      // The end of the tool's output, without native stack frames (a V8 crash prints dozens).
      const tail = (await readFile(logFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l.trim() !== '' && !/^\s*\d+: 0x[0-9a-f]+ /.test(l))
        .slice(-10)
        .join('\n');
      throw new Error(`${command.cmd} ${command.args.join(' ')} exited with ${code}:\n${tail}`);
    }
    const report = parseTimeV(await readFile(timeFile, 'utf8'));
    return { ...report, wallSeconds: wall };
  } finally {
    await log.close();
  }
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a helper command and collects its output; never rejects on a non-zero exit. */
export async function capture(command: Command, opts: RunOptions = {}): Promise<Captured> {
  const child = spawn(command.cmd, command.args, {
    cwd: command.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await wait(child, command.cmd, opts.timeoutMs ?? DEFAULT_TIMEOUT);
  return { code, stdout, stderr };
}

/** Runs a helper command; rejects with its stderr when it fails. */
export async function check(command: Command, opts: RunOptions = {}): Promise<string> {
  const r = await capture(command, opts);
  if (r.code !== 0) {
    throw new Error(
      `${command.cmd} ${command.args.join(' ')} exited with ${r.code}: ${r.stderr.trim().slice(-2000)}`,
    );
  }
  return r.stdout;
}

/** Runs a command with its output passed through to our stderr (long helpers the user should see). */
export async function passThrough(command: Command, opts: RunOptions = {}): Promise<void> {
  const child = spawn(command.cmd, command.args, {
    cwd: command.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', process.stderr, process.stderr],
    detached: true,
  });
  const code = await wait(child, command.cmd, opts.timeoutMs ?? DEFAULT_TIMEOUT);
  if (code !== 0) throw new Error(`${command.cmd} ${command.args.join(' ')} exited with ${code}`);
}

/** Reads every byte under `dir` once, so the following backup starts with a warm page cache. */
export async function warmCache(dir: string): Promise<void> {
  // GNU tar skips reading file contents when its output is /dev/null: drain a pipe instead.
  const child = spawn('tar', ['-cf', '-', '-C', dir, '.'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  child.stdout?.resume();
  const code = await wait(child, 'tar', DEFAULT_TIMEOUT);
  if (code !== 0) throw new Error(`warming the page cache (tar of ${dir}) exited with ${code}`);
}
