// The vault's memory of its own clock: when the daemon last saw the time and when prune last ran. Prune
// refuses to delete when the clock moved backwards or jumped forward further than the configured limit,
// since a manipulated clock is the one way to make locked data look expired.
import { readFile } from 'node:fs/promises';
import { fromSystemError } from '../errors.js';
import { writeFileAtomic } from '../util/durable-fs.js';

export async function readTime(path: string): Promise<Date | null> {
  try {
    const t = Date.parse((await readFile(path, 'utf8')).trim());
    return Number.isNaN(t) ? null : new Date(t);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromSystemError(e, `reading ${path}`);
  }
}

/** Records a time, but never moves the record backwards (a later writer with a slow clock must not undo it). */
export async function recordTime(path: string, t: Date): Promise<void> {
  const old = await readTime(path);
  if (old && old.getTime() >= t.getTime()) return;
  await writeFileAtomic(path, t.toISOString() + '\n');
}

export type ClockVerdict = { ok: true } | { ok: false; reason: string };

export function judgeClock(
  now: Date,
  last: { seen: Date | null; prune: Date | null; created: Date | null },
  limitMs: number,
): ClockVerdict {
  const latest = [last.seen, last.prune].filter((d): d is Date => d !== null);
  for (const d of latest) {
    if (now.getTime() < d.getTime()) {
      return {
        ok: false,
        reason: `the clock went backwards: now ${now.toISOString()} is before ${d.toISOString()}`,
      };
    }
  }
  const since = last.prune ?? last.created;
  if (since && now.getTime() - since.getTime() > limitMs) {
    return {
      ok: false,
      reason: `the clock jumped forward: ${Math.round((now.getTime() - since.getTime()) / 86_400_000)} days since the last prune (limit ${Math.round(limitMs / 86_400_000)} days)`,
    };
  }
  return { ok: true };
}
