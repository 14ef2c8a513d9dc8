// Concurrency: backups share the repository; prune needs it to itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, scratchDir } from './helpers/cli.js';
import { compareTrees, describeTree, restoredPath, seededBytes } from './helpers/tree.js';
import { openLocalBackend } from '../src/storage/local.js';
import { acquireLock } from '../src/repository/lock.js';

const env = { AIRGAP_PASSWORD: 'together', AIRGAP_KDF_N: '1024' };

async function makeTree(dir: string, seed: number): Promise<void> {
  await mkdir(join(dir, 'nested'), { recursive: true });
  for (let i = 0; i < 6; i++)
    await writeFile(join(dir, i % 2 ? 'nested' : '', `f${i}`), seededBytes(seed * 100 + i, 600_000));
  // Shared content between the two trees: both backups may store it at once.
  await writeFile(join(dir, 'shared'), seededBytes(7, 1_000_000));
}

test('two backups into one repository at the same time both succeed and restore', async (t) => {
  const tmp = await scratchDir('airgap-conc-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
  const a = join(tmp.path, 'a');
  const b = join(tmp.path, 'b');
  await makeTree(a, 1);
  await makeTree(b, 2);
  const [ra, rb] = await Promise.all([
    runCli(['--repo', repo, '--json', 'backup', a], { env }),
    runCli(['--repo', repo, '--json', 'backup', b], { env }),
  ]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  const c = await runCli(['--repo', repo, 'check', '--read-data'], { env });
  assert.equal(c.code, 0, c.stdout + c.stderr);
  for (const [src, r] of [
    [a, ra],
    [b, rb],
  ] as const) {
    const id = JSON.parse(r.stdout).snapshot as string;
    const target = join(tmp.path, `restore-${id.slice(0, 8)}`);
    const res = await runCli(['--repo', repo, 'restore', id, '--target', target], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(
      compareTrees(describeTree(src), describeTree(restoredPath(target, src)), { xattrs: false }),
      [],
    );
  }
});

test('prune refuses while a backup holds its lock (exit 12), and backup refuses during a prune', async (t) => {
  const tmp = await scratchDir('airgap-conc-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
  const src = join(tmp.path, 'src');
  await makeTree(src, 3);

  // A live shared lock, as a running backup holds it (this process is alive, so it is not stale).
  const shared = await acquireLock(openLocalBackend(repo), false);
  let released = false;
  t.after(async () => {
    if (!released) await shared.release();
  });
  const p = await runCli(['--repo', repo, 'prune'], { env });
  assert.equal(p.code, 12, p.stderr);
  assert.match(p.stderr, /^airgap: the repository is in use by .*pid \d+/m);
  // Other backups may run alongside it.
  assert.equal((await runCli(['--repo', repo, 'backup', src], { env })).code, 0);
  await shared.release();
  released = true;

  const exclusive = await acquireLock(openLocalBackend(repo), true);
  try {
    const b = await runCli(['--repo', repo, 'backup', src], { env });
    assert.equal(b.code, 12, b.stderr);
    assert.match(b.stderr, /locked exclusively/);
  } finally {
    await exclusive.release();
  }
  assert.equal((await runCli(['--repo', repo, 'prune'], { env })).code, 0);
  assert.equal((await openLocalBackend(repo).list('locks')).length, 0, 'no lock left behind');
});
