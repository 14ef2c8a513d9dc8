// Every engine verb's --json output is one JSON document on stdout, also on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, scratchDir } from './helpers/cli.js';

const env = { AIRGAP_PASSWORD: 'json', AIRGAP_KDF_N: '1024' };

test('--json on every verb parses as JSON', async (t) => {
  const tmp = await scratchDir('airgap-json-');
  t.after(tmp.cleanup);
  const repo = join(tmp.path, 'repo');
  const src = join(tmp.path, 'src');
  await mkdir(src);
  await writeFile(join(src, 'a'), 'one');
  const json = async (args: string[], code = 0): Promise<Record<string, unknown>> => {
    const extra = args[0] === 'key' && args[1] === 'add' ? { AIRGAP_NEW_PASSWORD: 'json 2' } : {};
    const r = await runCli(['--repo', repo, '--json', ...args], { env: { ...env, ...extra } });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    try {
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      return assert.fail(`${args.join(' ')}: stdout is not JSON:\n${r.stdout}`);
    }
  };
  assert.ok((await json(['init'])).id);
  const first = await json(['backup', src]);
  await writeFile(join(src, 'b'), 'two');
  const second = await json(['backup', src]);
  assert.ok(Array.isArray(await json(['snapshots'])));
  assert.ok(Array.isArray((await json(['ls', 'latest'])).nodes));
  assert.ok(Array.isArray((await json(['diff', String(first.snapshot), 'latest'])).changes));
  assert.equal(
    (await json(['restore', String(second.snapshot), '--target', join(tmp.path, 'out')])).files,
    2,
  );
  assert.equal((await json(['check', '--read-data'])).ok, true);
  assert.equal((await json(['stats'])).snapshots, 2);
  assert.ok((await json(['key', 'add'])).id);
  assert.equal(((await json(['key', 'list'])) as unknown as unknown[]).length, 2);
  assert.ok(Array.isArray((await json(['forget', '--keep-last', '1'])).groups));
  assert.equal(typeof (await json(['prune'])).packsDeleted, 'number');
  // Failures are JSON too, with the error's code.
  const err = await json(['restore', 'abcdef12', '--target', join(tmp.path, 'x')], 16);
  assert.equal((err.error as { code: string }).code, 'NOT_FOUND');
});
