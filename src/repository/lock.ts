// Repository locks. Backups take shared locks (any number at once); prune takes an exclusive one and
// runs only when no other lock is live. A lock of a dead process on this host, or one not refreshed for
// 30 minutes, is stale and ignored. Backends without locks (the vault: nobody prunes over the network)
// need none.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fail } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import { sha256Hex } from './repository.js';
import { processAlive } from '../util/process-alive.js';

export const STALE_MS = 30 * 60 * 1000;
const REFRESH_MS = 5 * 60 * 1000;

interface LockDoc {
  exclusive: boolean;
  host: string;
  pid: number;
  time: string;
  nonce: string;
}

export interface Lock {
  release(): Promise<void>;
}

function isStale(l: LockDoc, now: number): boolean {
  if (l.host === hostname() && !processAlive(l.pid)) return true;
  return now - Date.parse(l.time) > STALE_MS;
}

async function writeLock(backend: Backend, exclusive: boolean): Promise<string> {
  const doc: LockDoc = {
    exclusive,
    host: hostname(),
    pid: process.pid,
    time: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const bytes = Buffer.from(JSON.stringify(doc));
  const name = sha256Hex([bytes]);
  await backend.put('locks', name, bytes);
  return name;
}

async function otherLocks(backend: Backend, own: string): Promise<{ name: string; doc: LockDoc | null }[]> {
  const out: { name: string; doc: LockDoc | null }[] = [];
  for (const o of await backend.list('locks')) {
    if (o.name === own) continue;
    try {
      out.push({ name: o.name, doc: JSON.parse((await backend.get('locks', o.name)).toString()) as LockDoc });
    } catch {
      out.push({ name: o.name, doc: null }); // vanished meanwhile, or unreadable: not live
    }
  }
  return out;
}

export async function acquireLock(backend: Backend, exclusive: boolean): Promise<Lock> {
  if (!backend.capabilities.locks) return { release: async () => {} };
  let name = await writeLock(backend, exclusive);
  const now = Date.now();
  for (const o of await otherLocks(backend, name)) {
    if (!o.doc) continue;
    if (isStale(o.doc, now)) {
      if (o.doc.host === hostname()) await backend.delete('locks', o.name); // its process is gone
      continue;
    }
    if (exclusive || o.doc.exclusive) {
      await backend.delete('locks', name);
      fail(
        'REPO_LOCKED',
        o.doc.exclusive
          ? `the repository is locked exclusively by ${o.doc.host} (pid ${o.doc.pid}) since ${o.doc.time}, probably a prune`
          : `the repository is in use by ${o.doc.host} (pid ${o.doc.pid}) since ${o.doc.time}; prune needs it idle`,
      );
    }
  }
  // Refresh so that a long backup's lock is not taken for stale by another host.
  const timer = setInterval(() => {
    void (async () => {
      const fresh = await writeLock(backend, exclusive);
      const old = name;
      name = fresh;
      await backend.delete('locks', old);
    })().catch(() => {});
  }, REFRESH_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await backend.delete('locks', name);
    },
  };
}
