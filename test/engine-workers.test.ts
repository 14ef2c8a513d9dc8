// Backups hashed and encoded by worker threads (the default) restore exactly like single-threaded ones
// (AIRGAP_WORKERS=0), and deduplicate the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, scratchDir } from './helpers/cli.js';
import { compareTrees, describeTree, restoredPath, seededBytes, seededText } from './helpers/tree.js';

for (const workers of ['0', '2']) {
  test(`a backup with AIRGAP_WORKERS=${workers} restores byte for byte and checks clean`, async (t) => {
    const tmp = await scratchDir('airgap-workers-');
    t.after(tmp.cleanup);
    const env = { AIRGAP_PASSWORD: 'threads', AIRGAP_KDF_N: '1024', AIRGAP_WORKERS: workers };
    const repo = join(tmp.path, 'repo');
    const src = join(tmp.path, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 30; i++) await writeFile(join(src, `text-${i}`), seededText(i, 20_000 + i * 3_000));
    for (let i = 0; i < 4; i++)
      await writeFile(join(src, 'sub', `random-${i}`), seededBytes(50 + i, 3_000_000));
    await writeFile(join(src, 'sub', 'copy-of-random-0'), seededBytes(50, 3_000_000));
    assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
    const b = await runCli(['--repo', repo, '--json', 'backup', src], { env });
    assert.equal(b.code, 0, b.stderr);
    const summary = JSON.parse(b.stdout).summary as { dataAddedRaw: number; totalBytes: number };
    assert.ok(summary.dataAddedRaw < summary.totalBytes, 'the duplicate file deduplicates');
    const target = join(tmp.path, 'restore');
    const r = await runCli(['--repo', repo, 'restore', 'latest', '--target', target], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(compareTrees(describeTree(src), describeTree(restoredPath(target, src))), []);
    const c = await runCli(['--repo', repo, 'check', '--read-data'], { env });
    assert.equal(c.code, 0, c.stdout + c.stderr);
  });
}
