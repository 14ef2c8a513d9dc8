// forget + prune end to end: space is freed, kept snapshots stay complete and restorable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, scratchDir } from './helpers/cli.js';
import {
  compareTrees,
  describeTree,
  restoredPath,
  seededBytes,
  type TreeDescription,
} from './helpers/tree.js';
import { openLocalBackend } from '../src/storage/local.js';

const env = { AIRGAP_PASSWORD: 'retention', AIRGAP_KDF_N: '1024' };

async function dataBytes(repo: string): Promise<number> {
  return (await openLocalBackend(repo).list('data')).reduce((a, o) => a + o.size, 0);
}

test('forget --keep-last then prune frees the space of the forgotten snapshots only', async (t) => {
  const tmp = await scratchDir('airgap-forget-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
  const src = join(tmp.path, 'src');
  await mkdir(src);
  await writeFile(join(src, 'stable'), seededBytes(1, 500_000));
  const snaps: { id: string; tree: TreeDescription }[] = [];
  for (let i = 0; i < 5; i++) {
    await writeFile(join(src, 'changing'), seededBytes(100 + i, 1_000_000));
    const r = await runCli(['--repo', repo, '--json', 'backup', src], { env });
    assert.equal(r.code, 0, r.stderr);
    snaps.push({ id: JSON.parse(r.stdout).snapshot, tree: describeTree(src) });
  }
  const before = await dataBytes(repo);

  const dry = await runCli(['--repo', repo, '--json', 'forget', '--keep-last', '2', '--dry-run'], { env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).groups[0].remove.length, 3);
  assert.equal(
    JSON.parse((await runCli(['--repo', repo, '--json', 'snapshots'], { env })).stdout).length,
    5,
    'dry run removes nothing',
  );

  const f = await runCli(['--repo', repo, '--json', 'forget', '--keep-last', '2'], { env });
  assert.equal(f.code, 0, f.stderr);
  const g = JSON.parse(f.stdout).groups[0];
  assert.deepEqual(
    g.keep.map((k: { id: string }) => k.id).sort(),
    snaps
      .slice(3)
      .map((s) => s.id)
      .sort(),
  );
  assert.deepEqual(
    g.remove.map((k: { id: string }) => k.id).sort(),
    snaps
      .slice(0, 3)
      .map((s) => s.id)
      .sort(),
  );

  const p = await runCli(['--repo', repo, '--json', 'prune'], { env });
  assert.equal(p.code, 0, p.stderr);
  const pr = JSON.parse(p.stdout);
  assert.ok(pr.packsDeleted + pr.packsRepacked > 0, p.stdout);
  const after = await dataBytes(repo);
  // Three 1 MB versions of `changing` are gone; random data does not compress.
  assert.ok(before - after > 2_900_000, `freed only ${before - after} bytes`);
  assert.ok(after > 2_400_000, 'the kept data is still there');

  const c = await runCli(['--repo', repo, 'check', '--read-data'], { env });
  assert.equal(c.code, 0, c.stdout + c.stderr);
  assert.doesNotMatch(c.stdout, /note:/);
  for (const s of snaps.slice(3)) {
    const target = join(tmp.path, `r-${s.id.slice(0, 8)}`);
    const r = await runCli(['--repo', repo, 'restore', s.id, '--target', target], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(compareTrees(s.tree, describeTree(restoredPath(target, src)), { xattrs: false }), []);
  }
  const gone = await runCli(['--repo', repo, 'restore', snaps[0]!.id, '--target', join(tmp.path, 'gone')], {
    env,
  });
  assert.equal(gone.code, 16);

  // A second prune has nothing left to do.
  const again = JSON.parse((await runCli(['--repo', repo, '--json', 'prune'], { env })).stdout);
  assert.equal(again.packsDeleted, 0);
  assert.equal(again.bytesFreed, 0);
});

test('forget by ID, and forget --prune in one step', async (t) => {
  const tmp = await scratchDir('airgap-forget-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
  const src = join(tmp.path, 'src');
  await mkdir(src);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    await writeFile(join(src, 'f'), seededBytes(i, 300_000));
    ids.push(JSON.parse((await runCli(['--repo', repo, '--json', 'backup', src], { env })).stdout).snapshot);
  }
  const f = await runCli(['--repo', repo, '--json', 'forget', '--prune', ids[1]!.slice(0, 8)], { env });
  assert.equal(f.code, 0, f.stderr);
  assert.ok(JSON.parse(f.stdout).prune.packsDeleted >= 1);
  const left = JSON.parse((await runCli(['--repo', repo, '--json', 'snapshots'], { env })).stdout).map(
    (s: { id: string }) => s.id,
  );
  assert.deepEqual(left.sort(), [ids[0], ids[2]].sort());
  assert.equal((await runCli(['--repo', repo, 'check', '--read-data'], { env })).code, 0);
  assert.equal((await runCli(['--repo', repo, 'forget', 'abcdef0123'], { env })).code, 16);
  assert.equal((await runCli(['--repo', repo, 'forget'], { env })).code, 2, 'no policy, no IDs');
});
