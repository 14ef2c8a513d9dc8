// Durable file writes: write to a temporary name in the same directory tree, fsync the file, move it
// into place, fsync the directory. A crash at any point leaves either nothing or the complete file under
// the final name, never a partial one.
import { open, link, rename, unlink, mkdir, readFile } from 'node:fs/promises';
import { closeSync, fsync, openSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fromSystemError } from '../errors.js';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * A file written piece by piece into a temporary name, then made durable under its final name
 * (put-if-absent). Pieces are written synchronously as they come, so the caller may reuse its
 * buffers at once and nothing of the file stays in memory.
 */
/** A fresh temporary name in `dir`, unique across processes (and recognisable for sweeping). */
export function tempPath(dir: string): string {
  return join(dir, `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`);
}

export interface StagedFile {
  write(data: Uint8Array): void;
  /** fsync, then link into place (atomic, fails on an existing name) and fsync the directory. */
  commit(path: string): Promise<'created' | 'exists'>;
  /** Removes the temporary file. */
  abort(): void;
}

export function createStagedFile(tmpDir: string): StagedFile {
  const tmp = tempPath(tmpDir);
  let fd: number | undefined = openSync(tmp, 'wx', 0o600);
  const done = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return {
    write(data) {
      if (fd === undefined) throw new Error('staged file already committed or aborted');
      // write(2) may write less than asked (a filling disk does exactly that): loop until all is out.
      for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
    },
    async commit(path) {
      if (fd === undefined) throw new Error('staged file already committed or aborted');
      const f = fd;
      try {
        await new Promise<void>((res, rej) => fsync(f, (e) => (e ? rej(e) : res())));
        done();
        return await linkIntoPlace(tmp, path);
      } catch (e) {
        throw fromSystemError(e, `writing ${path}`);
      } finally {
        done();
        await unlink(tmp).catch(() => {});
      }
    },
    abort() {
      done();
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    },
  };
}

async function writeTemp(tmpDir: string, data: Uint8Array | readonly Uint8Array[]): Promise<string> {
  const tmp = tempPath(tmpDir);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    if (data instanceof Uint8Array) await fh.writeFile(data);
    else await fh.writev(data as Uint8Array[]);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  return tmp;
}

/** Replaces `path` atomically (rename). For state that is legitimately rewritten. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  opts: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const tmp = await writeTemp(dir, bytes);
    if (opts.mode !== undefined) {
      const { chmod } = await import('node:fs/promises');
      await chmod(tmp, opts.mode);
    }
    await rename(tmp, path);
    await fsyncDir(dir);
  } catch (e) {
    throw fromSystemError(e, `writing ${path}`);
  }
}

/**
 * Creates `path` only if it does not exist (link(2) is atomic and fails on an existing name), durably.
 * Returns 'exists' with no change when a file is already there; the caller decides what that means.
 */
export async function createFileExclusive(
  path: string,
  data: Uint8Array | readonly Uint8Array[],
  tmpDir: string,
): Promise<'created' | 'exists'> {
  let tmp: string | undefined;
  try {
    tmp = await writeTemp(tmpDir, data);
    return await linkIntoPlace(tmp, path);
  } catch (e) {
    throw fromSystemError(e, `writing ${path}`);
  } finally {
    if (tmp) await unlink(tmp).catch(() => {});
  }
}

/**
 * Gives a complete, fsynced temporary file its final name if that name is free (link(2) is atomic
 * and fails on an existing name), creating the directory if needed, and makes the name durable.
 */
export async function linkIntoPlace(tmp: string, path: string): Promise<'created' | 'exists'> {
  try {
    await link(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'exists';
    if (code !== 'ENOENT') throw e;
    await mkdir(dirname(path), { recursive: true });
    try {
      await link(tmp, path);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw e2;
    }
  }
  await fsyncDir(dirname(path));
  return 'created';
}

export async function readFileOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromSystemError(e, `reading ${path}`);
  }
}
