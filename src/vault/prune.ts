// Local prune: the only way anything is ever deleted from the vault. It removes snapshots whose lock has
// expired on the vault's clock, then data and index objects that no live snapshot references and that
// arrived longer ago than the grace period (so an in-flight replication is not pruned under its feet).
// It refuses when the clock looks manipulated, and writes everything it deleted to the audit log.
import { stat, unlink } from 'node:fs/promises';
import { AirgapError, fail, fromSystemError } from '../errors.js';
import type { ObjectType } from '../storage/backend.js';
import { objectPath, openLocalBackend } from '../storage/local.js';
import { audit, loadVault } from './admin.js';
import { judgeClock, readTime, recordTime } from './clock.js';
import { withFileLock } from './file-lock.js';
import { chattr, immutableSupported } from './immutable.js';
import { manifestDir, repoDir, repoLockFile } from './layout.js';
import { listManifests, removeManifest } from './retention.js';
import { readdir } from 'node:fs/promises';

export interface PruneOptions {
  dataDir: string;
  /** The vault's clock; only tests pass another time (library parameter, or AIRGAP_VAULT_NOW for the CLI). */
  now?: Date;
  allowClockJump?: boolean;
  dryRun?: boolean;
}

export interface PruneRepoResult {
  repo: string;
  snapshotsDeleted: string[];
  objectsDeleted: string[];
  bytesFreed: number;
  snapshotsKept: number;
  /** Why data objects were not considered (e.g. a snapshot without a manifest). */
  skippedData?: string;
}

export interface PruneResult {
  now: string;
  dryRun: boolean;
  clockOverride: boolean;
  repos: PruneRepoResult[];
}

export async function pruneVault(opts: PruneOptions): Promise<PruneResult> {
  const { layout, config } = await loadVault(opts.dataDir);
  const now = opts.now ?? new Date();
  const verdict = judgeClock(
    now,
    {
      seen: await readTime(layout.lastSeen),
      prune: await readTime(layout.lastPrune),
      created: await readTime(layout.created),
    },
    config.clockJumpLimitMs,
  );
  let override = false;
  if (!verdict.ok) {
    if (!opts.allowClockJump) {
      await audit(layout, 'prune.refused', { reason: verdict.reason }, now);
      fail(
        'VAULT_FORBIDDEN',
        `prune refused: ${verdict.reason}. Check the clock; --allow-clock-jump overrides (audited)`,
      );
    }
    override = true;
    await audit(layout, 'prune.clock-override', { reason: verdict.reason }, now);
  }
  const immutable = await immutableSupported(layout.root);
  const repos: PruneRepoResult[] = [];
  for (const repo of (await readdir(layout.reposDir).catch(() => [] as string[])).sort()) {
    repos.push(
      await withFileLock(repoLockFile(layout, repo), () =>
        pruneRepo(repo, now, config.unreferencedGraceMs, immutable, !!opts.dryRun, layout),
      ),
    );
  }
  if (!opts.dryRun) {
    await audit(
      layout,
      'prune',
      {
        clockOverride: override,
        repos: repos.map((r) => ({
          repo: r.repo,
          snapshots: r.snapshotsDeleted,
          objects: r.objectsDeleted,
          bytes: r.bytesFreed,
        })),
      },
      now,
    );
    await recordTime(layout.lastPrune, now);
    await recordTime(layout.lastSeen, now);
  }
  return { now: now.toISOString(), dryRun: !!opts.dryRun, clockOverride: override, repos };
}

async function pruneRepo(
  repo: string,
  now: Date,
  graceMs: number,
  immutable: boolean,
  dryRun: boolean,
  layout: Awaited<ReturnType<typeof loadVault>>['layout'],
): Promise<PruneRepoResult> {
  const root = repoDir(layout, repo);
  const backend = openLocalBackend(root);
  const mdir = manifestDir(layout, repo);
  const manifests = await listManifests(mdir);
  const expired = manifests.filter((m) => Date.parse(m.lockedUntil) <= now.getTime());
  const live = manifests.filter((m) => Date.parse(m.lockedUntil) > now.getTime());
  const liveRefs = new Set(live.flatMap((m) => m.refs));
  const known = new Set(manifests.map((m) => m.snapshot));
  const result: PruneRepoResult = {
    repo,
    snapshotsDeleted: [],
    objectsDeleted: [],
    bytesFreed: 0,
    snapshotsKept: live.length,
  };

  const doomed: { type: ObjectType; name: string; size: number }[] = [];
  for (const m of expired) {
    const s = await backend.stat('snapshots', m.snapshot);
    doomed.push({ type: 'snapshots', name: m.snapshot, size: s?.size ?? 0 });
  }
  // A snapshot object without a manifest has unknown references: keep all data rather than guess.
  const orphanSnapshots = (await backend.list('snapshots')).filter((s) => !known.has(s.name));
  if (orphanSnapshots.length > 0) {
    result.skippedData = `${orphanSnapshots.length} snapshot(s) without a vault manifest: data objects kept`;
  } else {
    for (const type of ['index', 'data'] as const) {
      for (const o of await backend.list(type)) {
        if (liveRefs.has(`${type}/${o.name}`)) continue;
        const st = await stat(objectPath(root, type, o.name)).catch(() => null);
        if (!st || now.getTime() - st.mtimeMs < graceMs) continue;
        doomed.push({ type, name: o.name, size: o.size });
      }
    }
  }
  if (dryRun) {
    for (const d of doomed) record(result, d);
    return result;
  }
  const paths = doomed.map((d) => objectPath(root, d.type, d.name));
  if (immutable && paths.length > 0) {
    try {
      await chattr('-i', paths);
    } catch (e) {
      throw new AirgapError('IO', `prune could not lift the immutable attribute: ${(e as Error).message}`);
    }
  }
  // Snapshots first: once a snapshot is gone nothing refers to its data, the reverse order would leave a
  // listed snapshot with missing data if prune were interrupted.
  for (let i = 0; i < doomed.length; i++) {
    const d = doomed[i]!;
    try {
      await unlink(paths[i]!);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw fromSystemError(e, `deleting ${d.type}/${d.name}`);
    }
    if (d.type === 'snapshots') await removeManifest(mdir, d.name);
    record(result, d);
  }
  return result;
}

function record(r: PruneRepoResult, d: { type: ObjectType; name: string; size: number }): void {
  if (d.type === 'snapshots') r.snapshotsDeleted.push(d.name);
  else r.objectsDeleted.push(`${d.type}/${d.name}`);
  r.bytesFreed += d.size;
}
