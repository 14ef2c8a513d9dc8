// prune sweeps the temporary files a crashed (SIGKILLed) writer left in tmp/, but not fresh ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchDir } from './helpers/cli.js';
import { openLocalBackend } from '../src/storage/local.js';
import { initRepository } from '../src/repository/repository.js';
import { prune } from '../src/ops/prune.js';

test('prune removes stale temporary files and keeps fresh ones', async (t) => {
  const tmp = await scratchDir('airgap-prune-tmp-');
  t.after(tmp.cleanup);
  const root = join(tmp.path, 'repo');
  const repo = await initRepository(openLocalBackend(root), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
  const stale = join(root, 'tmp', '.tmp-999999-0123456789abcdef');
  const fresh = join(root, 'tmp', '.tmp-999998-fedcba9876543210');
  await writeFile(stale, 'half a pack');
  await writeFile(fresh, 'being written');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  await utimes(stale, twoHoursAgo, twoHoursAgo);

  const dry = await prune(repo, { dryRun: true });
  assert.equal(dry.temporaryFilesRemoved, 0);
  assert.equal((await readdir(join(root, 'tmp'))).length, 2);

  const r = await prune(repo);
  assert.equal(r.temporaryFilesRemoved, 1);
  assert.deepEqual(await readdir(join(root, 'tmp')), ['.tmp-999998-fedcba9876543210']);
});
