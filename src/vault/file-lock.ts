// A cross-process lock on a file (O_EXCL create, holder's pid inside): the daemon and the local admin
// commands both append to the audit log and touch the same repositories. A lock left by a process that
// died (SIGKILL) is taken over, since its pid no longer runs.
import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AirgapError, fromSystemError } from '../errors.js';
import { processAlive } from '../util/process-alive.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(e, `locking ${path}`);
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (holder > 0 && holder !== process.pid && !processAlive(holder)) {
        await unlink(path).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) throw new AirgapError('IO', `timed out waiting for the lock ${path}`);
      await sleep(20 + Math.random() * 30);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => {});
  }
}

/** Serializes async work inside one process (the file lock alone would spin against itself). */
export function makeMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}
