// The vault's write rules for one repository: objects are named by the SHA-256 of their bytes (checked
// here, whatever the client says), written once (identical re-PUT accepted, anything else refused), and
// a snapshot is committed last: only when every object it references is already stored.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { AirgapError, fail } from '../errors.js';
import { type ObjectType, type PutResult, isValidObjectName, isObjectType } from '../storage/backend.js';
import { objectPath, openLocalBackend } from '../storage/local.js';
import type { VaultConfig } from './config.js';
import { withFileLock, makeMutex } from './file-lock.js';
import type { ImmutableMarker } from './immutable.js';
import { type VaultLayout, manifestDir, repoDir, repoLockFile, isValidRepoName } from './layout.js';
import {
  type Manifest,
  mergeManifest,
  readManifest,
  validateSnapshotMeta,
  writeManifest,
} from './retention.js';

export interface StoreContext {
  layout: VaultLayout;
  config: VaultConfig;
  immutable: ImmutableMarker;
}

export async function repoExists(l: VaultLayout, repo: string): Promise<boolean> {
  if (!isValidRepoName(repo)) return false;
  const s = await stat(repoDir(l, repo)).catch(() => null);
  return s?.isDirectory() === true;
}

export async function requireRepo(l: VaultLayout, repo: string): Promise<void> {
  if (!isValidRepoName(repo)) fail('USAGE', 'invalid repository name');
  if (!(await repoExists(l, repo))) fail('REPO_NOT_FOUND', `repository ${repo} does not exist on this vault`);
}

export function checkObjectName(type: string, name: string): ObjectType {
  if (!isObjectType(type)) fail('USAGE', 'unknown object type');
  if (type === 'locks') fail('VAULT_FORBIDDEN', 'the vault does not store locks');
  if (!isValidObjectName(type, name)) fail('USAGE', `invalid object name for type ${type}`);
  return type;
}

const commitMutex = makeMutex();

export interface PutOutcome {
  result: PutResult;
  manifest?: Manifest;
}

export async function storeObject(
  ctx: StoreContext,
  repo: string,
  type: ObjectType,
  name: string,
  bytes: Buffer,
  snapshotMeta: unknown,
  receivedAt: Date,
): Promise<PutOutcome> {
  await requireRepo(ctx.layout, repo);
  if (bytes.length > ctx.config.limits.maxObjectSize)
    fail('VAULT_LIMIT', 'object larger than the vault accepts');
  if (type !== 'config') {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== name)
      fail('VAULT_FORBIDDEN', `content hash mismatch: ${type}/${name} has SHA-256 ${actual}`);
  }
  const root = repoDir(ctx.layout, repo);
  const backend = openLocalBackend(root);
  if (type !== 'snapshots') {
    if (snapshotMeta !== undefined) fail('USAGE', 'only a snapshot carries a manifest');
    const result = await backend.put(type, name, bytes);
    if (result === 'created') await ctx.immutable.mark(objectPath(root, type, name));
    return { result };
  }
  const meta = validateSnapshotMeta(snapshotMeta);
  // Commit under the repository's lock: prune takes the same lock, so nothing referenced here can be
  // deleted between the check and the commit.
  return commitMutex(() =>
    withFileLock(repoLockFile(ctx.layout, repo), async () => {
      await ctx.immutable.flush(); // objects received just before are immutable before the commit
      const missing: string[] = [];
      for (const ref of meta.refs) {
        const [t, n] = ref.split('/') as [ObjectType, string];
        if (!(await backend.stat(t, n))) missing.push(ref);
      }
      if (missing.length > 0) {
        throw new AirgapError(
          'VAULT_FORBIDDEN',
          `snapshot refused: ${missing.length} referenced object(s) are not on the vault (upload them first)`,
          { missing: missing.slice(0, 20) },
        );
      }
      const dir = manifestDir(ctx.layout, repo);
      const existing = await backend.stat('snapshots', name);
      if (existing) {
        // Same name means same bytes (hash checked above), so this is an identical re-PUT; the lock may grow.
        const have = await backend.get('snapshots', name);
        if (!have.equals(bytes))
          fail('OBJECT_EXISTS_DIFFERENT', `snapshots/${name} already exists with different content`);
      }
      const manifest = mergeManifest(
        await readManifest(dir, name),
        name,
        meta,
        ctx.config.retention,
        receivedAt,
      );
      await writeManifest(dir, manifest);
      const result = await backend.put('snapshots', name, bytes);
      if (result === 'created') await ctx.immutable.mark(objectPath(root, 'snapshots', name));
      return { result, manifest };
    }),
  );
}
