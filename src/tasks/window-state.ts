// The open-window state file: written durably BEFORE the power-on request and removed only after the
// vault is confirmed Off. If the replicating process dies in between, the file survives, and the next
// run (or `airgap replicate --recover`) closes that window before doing anything else.
import { readdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fail, fromSystemError } from '../errors.js';
import { fsyncDir, readFileOrNull, writeFileAtomic } from '../util/durable-fs.js';

export interface WindowState {
  runId: string;
  plan: string;
  /** The gap target whose power the run switched on: what recovery must switch off. */
  target: string;
  pid: number;
  host: string;
  startedAt: string;
}

const PREFIX = 'window-';

export function windowStatePath(stateDir: string, target: string): string {
  return join(stateDir, `${PREFIX}${target}.json`);
}

export async function writeWindowState(stateDir: string, s: WindowState): Promise<void> {
  await writeFileAtomic(windowStatePath(stateDir, s.target), JSON.stringify(s, null, 2) + '\n', {
    mode: 0o600,
  });
}

export async function clearWindowState(stateDir: string, target: string): Promise<void> {
  try {
    await unlink(windowStatePath(stateDir, target));
    await fsyncDir(stateDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw fromSystemError(e, 'removing the window state file');
  }
}

export async function readWindowState(stateDir: string, target: string): Promise<WindowState | null> {
  const b = await readFileOrNull(windowStatePath(stateDir, target));
  return b ? parse(b, windowStatePath(stateDir, target)) : null;
}

/** Every window recorded as possibly open, whatever the target. */
export async function listWindowStates(stateDir: string): Promise<WindowState[]> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(e, `listing ${stateDir}`);
  }
  const out: WindowState[] = [];
  for (const n of names.filter((n) => n.startsWith(PREFIX) && n.endsWith('.json')).sort()) {
    const b = await readFileOrNull(join(stateDir, n));
    if (b) out.push(parse(b, join(stateDir, n)));
  }
  return out;
}

function parse(b: Buffer, path: string): WindowState {
  try {
    const v = JSON.parse(b.toString('utf8')) as WindowState;
    if (typeof v.target !== 'string' || typeof v.pid !== 'number') throw new Error('fields missing');
    return v;
  } catch {
    fail(
      'IO',
      `the window state file ${path} is damaged; check the vault's power by hand, then delete the file`,
    );
  }
}

/** Is the process that wrote this state still running here? Then its window is in use, not abandoned. */
export function isOwnerAlive(s: WindowState): boolean {
  if (s.host !== hostname()) return false;
  if (s.pid === process.pid) return false;
  try {
    process.kill(s.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function newWindowState(runId: string, plan: string, target: string): WindowState {
  return { runId, plan, target, pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
}
