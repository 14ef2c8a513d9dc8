// Snapshot manifests and their locks. A manifest is the vault's own record of a snapshot: the objects it
// needs (refs), its tags, when the vault received it, and until when it is locked. The lock is counted
// from the vault's receive time; nothing the client claims about time is used. A lock only ever grows.
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, fromSystemError } from '../errors.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import type { VaultConfig } from './config.js';

export interface Manifest {
  snapshot: string;
  refs: string[];
  tags: string[];
  receivedAt: string;
  lockedUntil: string;
}

const REF = /^(data|index)\/[0-9a-f]{64}$/;

export function validateSnapshotMeta(meta: unknown): { refs: string[]; tags: string[] } {
  const m = meta as { refs?: unknown; tags?: unknown } | null;
  if (!m || typeof m !== 'object' || !Array.isArray(m.refs) || !Array.isArray(m.tags)) {
    fail('USAGE', 'a snapshot needs a manifest with refs and tags arrays');
  }
  for (const r of m.refs) {
    if (typeof r !== 'string' || !REF.test(r))
      fail('USAGE', `invalid ref in the snapshot manifest: ${String(r).slice(0, 80)}`);
  }
  for (const t of m.tags) {
    if (typeof t !== 'string' || t.length > 256) fail('USAGE', 'invalid tag in the snapshot manifest');
  }
  return { refs: [...new Set(m.refs as string[])], tags: [...new Set(m.tags as string[])] };
}

/** The longest retention among the tiers the tags match; the default when none does. */
export function retentionFor(cfg: VaultConfig['retention'], tags: readonly string[]): number {
  const matched = cfg.tiers.filter((t) => tags.includes(t.tag)).map((t) => t.keepMs);
  return matched.length > 0 ? Math.max(...matched) : cfg.defaultMs;
}

/** A manifest for a newly received snapshot, merged with the one already stored (never shorter). */
export function mergeManifest(
  old: Manifest | null,
  snapshot: string,
  meta: { refs: string[]; tags: string[] },
  cfg: VaultConfig['retention'],
  receivedAt: Date,
): Manifest {
  const until = receivedAt.getTime() + retentionFor(cfg, meta.tags);
  if (!old) {
    return {
      snapshot,
      refs: meta.refs,
      tags: meta.tags,
      receivedAt: receivedAt.toISOString(),
      lockedUntil: new Date(until).toISOString(),
    };
  }
  return {
    snapshot,
    refs: [...new Set([...old.refs, ...meta.refs])],
    tags: [...new Set([...old.tags, ...meta.tags])],
    receivedAt: old.receivedAt,
    lockedUntil: new Date(Math.max(Date.parse(old.lockedUntil), until)).toISOString(),
  };
}

export async function readManifest(dir: string, snapshot: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, `${snapshot}.json`), 'utf8')) as Manifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromSystemError(e, `reading the manifest of snapshot ${snapshot}`);
  }
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, `${m.snapshot}.json`), JSON.stringify(m) + '\n', { mode: 0o600 });
}

export async function removeManifest(dir: string, snapshot: string): Promise<void> {
  await unlink(join(dir, `${snapshot}.json`)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw fromSystemError(e, `removing the manifest of ${snapshot}`);
  });
}

export async function listManifests(dir: string): Promise<Manifest[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(e, `listing ${dir}`);
  }
  const out: Manifest[] = [];
  for (const n of names) {
    const m = /^([0-9a-f]{64})\.json$/.exec(n);
    if (!m) continue;
    const man = await readManifest(dir, m[1]!);
    if (man) out.push(man);
  }
  return out;
}
