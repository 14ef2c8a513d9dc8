// The local directory backend. Layout (docs/FORMAT.md): config, keys/, data/XX/ (first two hex digits),
// index/, snapshots/, locks/, tmp/ (temporary files, never read).
import { readdir, stat, unlink, mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { AirgapError, fail, fromSystemError } from '../errors.js';
import { createFileExclusive, createStagedFile, fsyncDir } from '../util/durable-fs.js';
import {
  type Backend,
  type ObjectInfo,
  type ObjectType,
  type PutResult,
  OBJECT_TYPES,
  isValidObjectName,
} from './backend.js';

export function objectPath(root: string, type: ObjectType, name: string): string {
  if (!isValidObjectName(type, name)) fail('USAGE', `invalid object name ${type}/${name}`);
  if (type === 'config') return join(root, 'config');
  if (type === 'data') return join(root, 'data', name.slice(0, 2), name);
  return join(root, type, name);
}

// Enough for the packs a restore hops between (~60 per GiB); well under the usual limit of 1024.
const MAX_OPEN_FILES = 256;
/**
 * Reads up to this size go through the open descriptors, synchronously (see readInto): every blob of
 * a restore (chunks are at most 4 MiB by default), while a copy's whole packs (16 MiB) stay off the
 * event loop.
 */
const SYNC_READ_MAX = 8 * 1024 * 1024;

function readError(e: unknown, type: ObjectType, name: string): Error {
  if (e instanceof AirgapError) return e;
  if ((e as NodeJS.ErrnoException).code === 'ENOENT')
    return new AirgapError('NOT_FOUND', `object ${type}/${name} not found`);
  return fromSystemError(e, `reading ${type}/${name}`);
}

export function openLocalBackend(root: string): Backend {
  const tmpDir = join(root, 'tmp');
  const fds = new Map<string, number>();

  // Restores read thousands of small ranges from the same packs: keep descriptors open and read
  // synchronously from the page cache rather than paying open/read/close through the thread pool.
  const readCached = (type: ObjectType, name: string, offset: number, target: Uint8Array): number => {
    const path = objectPath(root, type, name);
    try {
      let fd = fds.get(path);
      if (fd !== undefined) {
        // Least recently used goes first: move this one to the end.
        fds.delete(path);
        fds.set(path, fd);
      } else {
        fd = openSync(path, 'r');
        fds.set(path, fd);
        if (fds.size > MAX_OPEN_FILES) {
          const [oldest, ofd] = fds.entries().next().value as [string, number];
          fds.delete(oldest);
          closeSync(ofd);
        }
      }
      let got = 0;
      while (got < target.length) {
        const n = readSync(fd, target, got, target.length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got;
    } catch (e) {
      throw readError(e, type, name);
    }
  };

  return {
    location: root,
    capabilities: { delete: true, locks: true },

    async exists() {
      try {
        await stat(join(root, 'config'));
        return true;
      } catch {
        return false;
      }
    },

    async create() {
      try {
        await mkdir(root, { recursive: true });
        for (const t of OBJECT_TYPES) if (t !== 'config') await mkdir(join(root, t), { recursive: true });
        await mkdir(tmpDir, { recursive: true });
        await fsyncDir(root);
      } catch (e) {
        throw fromSystemError(e, `creating repository at ${root}`);
      }
    },

    async put(type, name, data): Promise<PutResult> {
      const path = objectPath(root, type, name);
      const r = await createFileExclusive(path, data, tmpDir);
      if (r === 'exists') {
        const have = await readFile(path);
        if (!have.equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) {
          fail('OBJECT_EXISTS_DIFFERENT', `${type}/${name} already exists with different content`);
        }
      }
      return r;
    },

    stage(type) {
      let file;
      try {
        file = createStagedFile(tmpDir);
      } catch (e) {
        throw fromSystemError(e, `writing a new ${type} object`);
      }
      const f = file;
      return {
        write(data) {
          try {
            f.write(data);
          } catch (e) {
            throw fromSystemError(e, `writing a new ${type} object`);
          }
        },
        commit: (name) => f.commit(objectPath(root, type, name)),
        abort: () => f.abort(),
      };
    },

    async get(type, name) {
      try {
        return await readFile(objectPath(root, type, name));
      } catch (e) {
        throw readError(e, type, name);
      }
    },

    async readInto(type, name, offset, target) {
      // Blobs (a restore's reads) come through the open descriptors; whole packs (a copy's reads)
      // through the thread pool, on a descriptor of their own that no eviction can close under an
      // asynchronous read.
      if (target.length <= SYNC_READ_MAX) return readCached(type, name, offset, target);
      let fh: FileHandle | undefined;
      try {
        fh = await open(objectPath(root, type, name), 'r');
        let got = 0;
        while (got < target.length) {
          const { bytesRead } = await fh.read(target, got, target.length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got;
      } catch (e) {
        throw readError(e, type, name);
      } finally {
        await fh?.close();
      }
    },

    async getRange(type, name, offset, length) {
      const buf = Buffer.allocUnsafe(length);
      if (readCached(type, name, offset, buf) !== length)
        fail('INTEGRITY', `object ${type}/${name} is shorter than expected`);
      return buf;
    },

    async stat(type, name): Promise<ObjectInfo | null> {
      try {
        const s = await stat(objectPath(root, type, name));
        return { name, size: s.size };
      } catch (e) {
        if (e instanceof AirgapError) throw e;
        return null;
      }
    },

    async list(type) {
      if (type === 'config') {
        const s = await this.stat('config', 'config');
        return s ? [s] : [];
      }
      const dirs = type === 'data' ? await subdirs(join(root, 'data')) : [join(root, type)];
      const out: ObjectInfo[] = [];
      for (const d of dirs) {
        let names: string[];
        try {
          names = await readdir(d);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw fromSystemError(e, `listing ${d}`);
        }
        for (const n of names) {
          if (!isValidObjectName(type, n)) continue; // temporary or foreign files are not objects
          try {
            const s = await stat(join(d, n));
            out.push({ name: n, size: s.size });
          } catch {
            // removed meanwhile (prune): not listed
          }
        }
      }
      return out;
    },

    async delete(type, name) {
      const p = objectPath(root, type, name);
      const fd = fds.get(p);
      if (fd !== undefined) {
        fds.delete(p);
        closeSync(fd); // or the space is not freed until we exit
      }
      try {
        await unlink(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          throw fromSystemError(e, `deleting ${type}/${name}`);
      }
    },

    async sweepTemporary(olderThanMs) {
      let removed = 0;
      const now = Date.now();
      for (const n of await readdir(tmpDir).catch(() => [] as string[])) {
        const p = join(tmpDir, n);
        try {
          if (now - (await stat(p)).mtimeMs < olderThanMs) continue;
          await unlink(p);
          removed++;
        } catch {
          // gone meanwhile
        }
      }
      return removed;
    },

    async close() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    },
  };
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => /^[0-9a-f]{2}$/.test(n)).map((n) => join(dir, n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(e, `listing ${dir}`);
  }
}
