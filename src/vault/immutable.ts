// The immutable attribute (chattr +i): once set, not even root can change, rename or delete the file
// without first lifting it, which takes CAP_LINUX_IMMUTABLE. Used when the vault runs as root on a
// filesystem that supports it (ext4, xfs, btrfs); detected once. Files are handled in batches, since
// chattr takes many paths and one process per object would dominate small uploads.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BATCH = 200;
const DELAY_MS = 1000;

export async function chattr(flag: '+i' | '-i' | '+a' | '-a', paths: string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += BATCH) {
    await run('chattr', [flag, '--', ...paths.slice(i, i + BATCH)]);
  }
}

/** Does `chattr +i` work in this directory (root, a supporting filesystem, chattr installed)? */
export async function immutableSupported(dir: string): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const probe = join(dir, `.immutable-probe-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '');
    await chattr('+i', [probe]);
    await chattr('-i', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    await unlink(probe).catch(() => {});
  }
}

export interface ImmutableMarker {
  readonly enabled: boolean;
  /** Queues a file to become immutable; resolves once it is. */
  mark(path: string): Promise<void>;
  flush(): Promise<void>;
}

export function makeImmutableMarker(enabled: boolean, onError: (e: unknown) => void): ImmutableMarker {
  // Uploads do not wait for their mark (a snapshot commit and stop() call flush() instead), so files are
  // gathered for up to DELAY_MS or BATCH files: spawning chattr forks the whole daemon, which costs tens
  // of milliseconds of the event loop's time per process on a large heap.
  const queue: { path: string; done: () => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let running: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (busy || queue.length === 0) return running;
    const batch = queue.splice(0, BATCH);
    busy = true;
    running = (async () => {
      try {
        await chattr(
          '+i',
          batch.map((b) => b.path),
        );
      } catch (e) {
        onError(e);
      }
      for (const b of batch) b.done();
      busy = false;
      if (queue.length > 0) await flush();
    })();
    return running;
  };
  return {
    enabled,
    mark(path) {
      if (!enabled) return Promise.resolve();
      return new Promise<void>((done) => {
        queue.push({ path, done });
        if (queue.length >= BATCH) void flush();
        else timer ??= setTimeout(() => void flush(), DELAY_MS);
      });
    },
    flush,
  };
}
