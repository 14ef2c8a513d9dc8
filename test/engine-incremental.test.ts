// Incremental backups: unchanged files are not read again; a renamed directory is read again but its
// data deduplicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, scratchDir } from './helpers/cli.js';
import { seededBytes } from './helpers/tree.js';

const env = { AIRGAP_PASSWORD: 'again', AIRGAP_KDF_N: '1024' };

interface Summary {
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  totalFiles: number;
  dataAddedRaw: number;
  errors: number;
}

test('incremental backups store only what changed; a renamed directory deduplicates', async (t) => {
  const tmp = await scratchDir('airgap-incr-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
  const src = join(tmp.path, 'src');
  await mkdir(join(src, 'projects', 'big'), { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(src, `small-${i}`), seededBytes(i, 50_000));
  for (let i = 0; i < 4; i++)
    await writeFile(join(src, 'projects', 'big', `part-${i}`), seededBytes(100 + i, 1_500_000));
  const run = async (): Promise<Summary> => {
    const r = await runCli(['--repo', repo, '--json', 'backup', src], { env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).summary as Summary;
  };

  const first = await run();
  assert.equal(first.filesNew, 24);
  assert.ok(first.dataAddedRaw >= 20 * 50_000 + 4 * 1_500_000);

  // Nothing changed: nothing read, (almost) nothing stored: only trees (they record atimes, which the
  // first backup's reads moved, and the mtimes of parents such as /tmp).
  const same = await run();
  assert.equal(same.filesUnmodified, 24);
  assert.equal(same.filesNew + same.filesChanged, 0);
  assert.ok(same.dataAddedRaw < 32_768, `stored ${same.dataAddedRaw} bytes for an unchanged tree`);

  // One small file rewritten, 100 kB appended to a big one, one new file.
  await writeFile(join(src, 'small-3'), seededBytes(999, 50_000));
  await appendFile(join(src, 'projects', 'big', 'part-2'), seededBytes(1000, 100_000));
  await writeFile(join(src, 'new-file'), seededBytes(1001, 30_000));
  const changed = await run();
  assert.equal(changed.filesUnmodified, 22);
  assert.equal(changed.filesChanged, 2);
  assert.equal(changed.filesNew, 1);
  // The changed bytes (50 kB + 100 kB + 30 kB), plus the re-chunked tail of part-2 (default chunks are
  // up to 4 MiB, so at worst the whole file) and a few trees: never the 7 MB of untouched data.
  assert.ok(changed.dataAddedRaw >= 180_000, `stored only ${changed.dataAddedRaw}`);
  assert.ok(changed.dataAddedRaw < 180_000 + 1_700_000, `stored ${changed.dataAddedRaw} bytes`);

  // A renamed directory: its files are read again (new paths), their data is already there.
  await rename(join(src, 'projects', 'big'), join(src, 'projects', 'renamed'));
  const renamed = await run();
  assert.equal(renamed.filesNew, 4);
  assert.equal(renamed.filesUnmodified, 21);
  assert.ok(renamed.dataAddedRaw < 32_768, `stored ${renamed.dataAddedRaw} bytes after a rename`);

  // --force reads everything and still stores nothing new.
  const r = await runCli(['--repo', repo, '--json', 'backup', '--force', src], { env });
  const forced = JSON.parse(r.stdout).summary as Summary;
  assert.equal(forced.filesUnmodified, 0);
  assert.ok(forced.dataAddedRaw < 32_768);
});
