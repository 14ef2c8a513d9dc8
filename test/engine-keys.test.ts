// key add/list/remove: any key opens the repository; a removed one no longer does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, scratchDir } from './helpers/cli.js';
import { join } from 'node:path';

test('key add, list and remove end to end', async (t) => {
  const tmp = await scratchDir('airgap-keys-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  const as = (pw: string): { env: Record<string, string> } => ({
    env: { AIRGAP_PASSWORD: pw, AIRGAP_KDF_N: '1024' },
  });
  assert.equal((await runCli(['--repo', repo, 'init'], as('first pass'))).code, 0);

  const add = await runCli(['--repo', repo, '--json', 'key', 'add'], {
    env: { ...as('first pass').env, AIRGAP_NEW_PASSWORD: 'second pass' },
  });
  assert.equal(add.code, 0, add.stderr);
  const newId = JSON.parse(add.stdout).id as string;
  assert.ok(!add.stdout.includes('second pass'));

  const list = await runCli(['--repo', repo, '--json', 'key', 'list'], as('second pass'));
  assert.equal(list.code, 0, list.stderr);
  const keys = JSON.parse(list.stdout) as { id: string; current: boolean }[];
  assert.equal(keys.length, 2);
  assert.equal(
    keys.find((k) => k.current)?.id,
    newId,
    'the new passphrase opens the repository with the new key',
  );
  const oldId = keys.find((k) => !k.current)!.id;

  // The key in use cannot be removed; an unknown one is not found.
  assert.equal(
    (await runCli(['--repo', repo, 'key', 'remove', newId.slice(0, 8)], as('second pass'))).code,
    2,
  );
  assert.equal((await runCli(['--repo', repo, 'key', 'remove', 'ffffffffff'], as('second pass'))).code, 16);

  const rm = await runCli(['--repo', repo, 'key', 'remove', oldId.slice(0, 8)], as('second pass'));
  assert.equal(rm.code, 0, rm.stderr);
  const old = await runCli(['--repo', repo, 'snapshots'], as('first pass'));
  assert.equal(old.code, 11, 'the removed passphrase no longer opens it');
  assert.equal((await runCli(['--repo', repo, 'snapshots'], as('second pass'))).code, 0);
  const missing = await runCli(['--repo', repo, 'key', 'add'], as('second pass'));
  assert.equal(missing.code, 2, 'key add without a new passphrase is a usage error');
  assert.match(missing.stderr, /AIRGAP_NEW_PASSWORD/);
});
