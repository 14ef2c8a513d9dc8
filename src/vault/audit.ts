// The audit log: one JSON object per line, append-only and hash-chained. Each entry holds `prev` (the
// hash of the entry before, or 64 zeros for the first) and `hash` = SHA-256 of its own canonical JSON
// without `hash`. Editing, removing or reordering any line breaks the chain from that line on.
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { fromSystemError } from '../errors.js';
import { withFileLock, makeMutex } from './file-lock.js';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  time: string;
  event: string;
  prev: string;
  hash: string;
  [detail: string]: unknown;
}

/** JSON with object keys sorted, so the hash does not depend on insertion order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

async function lastEntry(path: string): Promise<{ seq: number; hash: string }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, hash: GENESIS };
    throw e;
  }
  if (size === 0) return { seq: 0, hash: GENESIS };
  // Read backwards until a whole last line is in hand (entries are small, but prune lists can be long).
  const fh = await open(path, 'r');
  try {
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = buf.toString('utf8').replace(/\n+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 || start === 0) {
        const last = JSON.parse(text.slice(nl + 1)) as AuditEntry;
        return { seq: last.seq, hash: last.hash };
      }
      chunk *= 4;
    }
  } finally {
    await fh.close();
  }
}

const inProcess = makeMutex();

/** Appends one event durably (fsync) and returns it. Safe across processes (file lock). */
export function appendAudit(
  path: string,
  lockPath: string,
  event: string,
  details: Record<string, unknown> = {},
  now: Date = new Date(),
): Promise<AuditEntry> {
  return inProcess(() =>
    withFileLock(lockPath, async () => {
      try {
        const last = await lastEntry(path);
        const body = { ...details, seq: last.seq + 1, time: now.toISOString(), event, prev: last.hash };
        const entry = { ...body, hash: entryHash(body) } as AuditEntry;
        const fh = await open(path, 'a', 0o600);
        try {
          await fh.write(JSON.stringify(entry) + '\n');
          await fh.sync();
        } finally {
          await fh.close();
        }
        return entry;
      } catch (e) {
        throw fromSystemError(e, `appending to the audit log ${path}`);
      }
    }),
  );
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  /** 1-based line of the first entry that does not verify. */
  badLine?: number;
  reason?: string;
  lastHash: string;
}

export async function verifyAuditFile(path: string): Promise<AuditVerifyResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, entries: 0, lastHash: GENESIS };
    throw fromSystemError(e, `reading ${path}`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prev = GENESIS;
  let seq = 0;
  for (let i = 0; i < lines.length; i++) {
    const bad = (reason: string): AuditVerifyResult => ({
      ok: false,
      entries: i,
      badLine: i + 1,
      reason,
      lastHash: prev,
    });
    let entry: AuditEntry;
    try {
      entry = JSON.parse(lines[i]!) as AuditEntry;
    } catch {
      return bad('not valid JSON');
    }
    const { hash, ...body } = entry;
    if (entry.prev !== prev) return bad('chain broken: prev does not match the entry before');
    if (entry.seq !== seq + 1) return bad(`sequence gap: expected ${seq + 1}, found ${entry.seq}`);
    if (entryHash(body) !== hash) return bad('entry was modified: its hash does not match');
    prev = hash;
    seq = entry.seq;
  }
  return { ok: true, entries: lines.length, lastHash: prev };
}
