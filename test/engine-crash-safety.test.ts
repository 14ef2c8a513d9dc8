// Crash safety: `backup` and `prune` are killed with SIGKILL at random moments, many times. After each
// kill the repository checks clean, the last good snapshot restores equal to its source, and the next
// backup completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_MAIN, scratchDir } from './helpers/cli.js';
import {
  compareTrees,
  describeTree,
  restoredPath,
  seededBytes,
  type TreeDescription,
} from './helpers/tree.js';
import { openLocalBackend } from '../src/storage/local.js';
import { initRepository, openRepository, type Repository } from '../src/repository/repository.js';
import { listSnapshots } from '../src/repository/snapshots.js';
import { backup } from '../src/ops/backup.js';
import { restore } from '../src/ops/restore.js';
import { check } from '../src/ops/check.js';
import { forget } from '../src/ops/forget.js';

const PASSWORD = 'crash test';
const env = { ...process.env, AIRGAP_PASSWORD: PASSWORD, AIRGAP_KDF_N: '1024' };
const smallRepo = {
  kdf: { N: 1024, r: 8, p: 1 },
  packSize: 64 * 1024,
  chunker: { min: 4096, avg: 16384, max: 65536 },
};

/** Runs the CLI and SIGKILLs it after `killAfterMs` (unless it finished first). */
function runAndKill(
  args: string[],
  killAfterMs: number,
): Promise<{ killed: boolean; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code, ms: Date.now() - started });
    });
  });
}

async function open(repoDir: string): Promise<Repository> {
  return openRepository(openLocalBackend(repoDir), PASSWORD);
}

async function assertChecksClean(repoDir: string, when: string): Promise<void> {
  const r = await check(await open(repoDir), { readData: 1 });
  assert.deepEqual(r.errors, [], `check after ${when}`);
  assert.ok(r.ok);
}

async function assertRestores(
  repoDir: string,
  snapshotId: string,
  src: string,
  expected: TreeDescription,
  target: string,
  when: string,
): Promise<void> {
  await rm(target, { recursive: true, force: true });
  const r = await restore(await open(repoDir), snapshotId, { target });
  assert.deepEqual(r.errors, [], `restore after ${when}`);
  assert.deepEqual(
    compareTrees(expected, describeTree(restoredPath(target, src)), { xattrs: false }),
    [],
    `restore after ${when}`,
  );
  await rm(target, { recursive: true, force: true });
}

/** A source of `n` files of `size` random bytes, plus one "churn" file rewritten for every backup. */
async function makeSource(src: string, n: number, size: number): Promise<void> {
  await mkdir(join(src, 'sub'), { recursive: true });
  for (let i = 0; i < n; i++)
    await writeFile(join(src, i % 2 ? 'sub' : '', `file-${i}`), seededBytes(1000 + i, size));
}

async function churn(src: string, seed: number, size: number): Promise<void> {
  await writeFile(join(src, 'churn'), seededBytes(seed, size));
}

test('backup killed at random points leaves a consistent repository', async (t) => {
  const tmp = await scratchDir('airgap-crash-backup-');
  t.after(tmp.cleanup);
  const src = join(tmp.path, 'src');
  const repoDir = join(tmp.path, 'repo');
  const target = join(tmp.path, 'restore');
  await makeSource(src, 6, 128 * 1024);
  await churn(src, 1, 1024 * 1024);
  await initRepository(openLocalBackend(repoDir), PASSWORD, smallRepo);

  // A first complete backup through the CLI: the last good snapshot, and the time a backup takes.
  const first = await runAndKill(['--repo', repoDir, '--quiet', 'backup', src], 60_000);
  assert.equal(first.code, 0);
  let good = (await listSnapshots(await open(repoDir))).at(-1)!.id;
  let goodTree = describeTree(src);
  const window = Math.max(first.ms, 300);

  const iterations = 15;
  let killedMidway = 0;
  for (let i = 0; i < iterations; i++) {
    const when = `backup kill #${i}`;
    await churn(src, 100 + i, 1024 * 1024); // new data, so every run has packs to write
    const before = new Set((await listSnapshots(await open(repoDir))).map((s) => s.id));
    const r = await runAndKill(['--repo', repoDir, '--quiet', 'backup', src], randomInt(window));
    if (r.killed) killedMidway++;
    else assert.equal(r.code, 0, when);
    const after = (await listSnapshots(await open(repoDir))).filter((s) => !before.has(s.id));
    // A snapshot exists only when complete: one that appeared is of the current source.
    assert.ok(after.length <= 1);
    if (after.length === 1) {
      good = after[0]!.id;
      goodTree = describeTree(src);
    }
    await assertChecksClean(repoDir, when);
    await assertRestores(repoDir, good, src, goodTree, target, when);
    // The next backup completes and restores.
    const next = await backup(await open(repoDir), [src]);
    assert.equal(next.summary.errors, 0, when);
    good = next.snapshotId;
    goodTree = describeTree(src);
  }
  await assertChecksClean(repoDir, 'all backup kills');
  await assertRestores(repoDir, good, src, goodTree, target, 'all backup kills');
  assert.ok(killedMidway > 0, 'no backup was interrupted: the kill window is too long');
});

test('prune killed at random points leaves a consistent repository', async (t) => {
  const tmp = await scratchDir('airgap-crash-prune-');
  t.after(tmp.cleanup);
  const src = join(tmp.path, 'src');
  const repoDir = join(tmp.path, 'repo');
  const target = join(tmp.path, 'restore');
  await makeSource(src, 6, 200 * 1024);
  await initRepository(openLocalBackend(repoDir), PASSWORD, smallRepo);

  // Snapshots whose data overlaps: forgetting old ones leaves packs to delete and packs to repack.
  const kept = new Map<string, TreeDescription>();
  let seed = 1;
  const addSnapshot = async (): Promise<void> => {
    await churn(src, seed++, 512 * 1024);
    await writeFile(join(src, 'sub', `small-${seed}`), seededBytes(seed * 7, 3000)); // shares packs with churn
    const b = await backup(await open(repoDir), [src]);
    assert.equal(b.summary.errors, 0);
    kept.set(b.snapshotId, describeTree(src));
  };
  const forgetAllBut = async (n: number): Promise<void> => {
    const groups = await forget(await open(repoDir), { last: n });
    for (const g of groups) for (const r of g.remove) kept.delete(r.id);
  };
  for (let i = 0; i < 5; i++) await addSnapshot();
  await forgetAllBut(2);

  const iterations = 15;
  let window = 1500;
  let killedMidway = 0;
  for (let i = 0; i < iterations; i++) {
    const when = `prune kill #${i}`;
    const r = await runAndKill(['--repo', repoDir, '--quiet', 'prune'], randomInt(window));
    if (r.killed) killedMidway++;
    else {
      assert.equal(r.code, 0, when);
      window = Math.max(300, r.ms); // learn how long a prune takes here
    }
    await assertChecksClean(repoDir, when);
    // One kept snapshot per round (they take turns); all of them after the last prune.
    const [id, tree] = [...kept][i % kept.size]!;
    await assertRestores(repoDir, id, src, tree, target, `${when}, snapshot ${id.slice(0, 8)}`);
    // The next backup completes; then more garbage for the next prune.
    await addSnapshot();
    await forgetAllBut(2);
  }
  // A prune that runs to the end cleans up what the killed ones left.
  const last = await runAndKill(['--repo', repoDir, '--quiet', 'prune'], 60_000);
  assert.equal(last.code, 0);
  const final = await check(await open(repoDir), { readData: 1 });
  assert.deepEqual(final.errors, []);
  assert.deepEqual(final.notes, [], 'a complete prune leaves no unindexed packs');
  for (const [id, tree] of kept) await assertRestores(repoDir, id, src, tree, target, 'final prune');
  assert.ok(killedMidway > 0, 'no prune was interrupted: the kill window is too long');
});
