// A full disk on the vault: the upload that does not fit fails cleanly with NO_SPACE (HTTP 507), nothing
// partial remains, the vault keeps serving and what it stored before reads back. The vault's data
// directory sits on a small tmpfs; every wait is bounded so a regression fails instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAirgapError } from '../src/errors.js';
import { openVaultBackend, vaultHealth } from '../src/storage/vault-client.js';
import { scratchDir, runCli } from './helpers/cli.js';
import { addToken, serveVault } from './vault-harness.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (hang)`)), ms);
    }),
  ]);
}

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
  }
}

test('a full disk fails the upload with NO_SPACE, leaves nothing partial, and the vault keeps serving', async (t) => {
  const s = await scratchDir('airgap-vault-full-');
  const mnt = join(s.path, 'small');
  // One hook, in order: the daemon and the client go first, then the mount, then the scratch dir.
  const undo: (() => unknown)[] = [() => s.cleanup()];
  t.after(async () => {
    for (const f of undo.reverse()) await Promise.resolve(f()).catch(() => {});
  });
  await mkdir(mnt);
  const why = tryMount(mnt);
  if (why !== null) {
    t.skip(`cannot mount a tmpfs here (${why}): needs root and mount permission`);
    return;
  }
  undo.push(() => {
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch (e) {
      t.diagnostic(`umount: ${String((e as { stderr?: Buffer }).stderr ?? e)}; lazy unmount`);
      execFileSync('umount', ['-l', mnt]);
    }
  });
  const data = join(mnt, 'vault');
  const init = await runCli([
    'vault',
    '--data',
    data,
    'init',
    '--json',
    '--name',
    'full',
    '--repo',
    'main',
    '--shutdown-command',
    'true',
  ]);
  assert.equal(init.code, 0, init.stderr);
  const fingerprint = (JSON.parse(init.stdout) as { fingerprint: string }).fingerprint;
  const token = await addToken(data, 'replicator');
  const srv = await serveVault(data);
  undo.push(() => srv.kill());

  const b = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, { fingerprint, token });
  undo.push(() => b.close());
  const stored = new Map<string, Buffer>();
  let failure: unknown;
  for (let i = 0; i < 20 && failure === undefined; i++) {
    const bytes = randomBytes(1024 * 1024);
    try {
      await within(b.put('data', sha(bytes), bytes), 30_000, `upload ${i}`);
      stored.set(sha(bytes), bytes);
    } catch (e) {
      failure = e;
    }
  }
  assert.ok(failure !== undefined, 'an 8 MiB disk cannot take 20 MiB');
  assert.ok(isAirgapError(failure, 'NO_SPACE'), `the upload failed with NO_SPACE: ${String(failure)}`);
  assert.ok(stored.size >= 2, `some uploads fitted before the disk filled (${stored.size})`);

  // Nothing partial: no temporary file, and every stored object is whole and under its true hash.
  assert.deepEqual(await readdir(join(data, 'repos', 'main', 'tmp')), []);
  for (const sub of await readdir(join(data, 'repos', 'main', 'data'))) {
    for (const name of await readdir(join(data, 'repos', 'main', 'data', sub))) {
      assert.ok(stored.has(name), `only uploads that succeeded are visible (${name})`);
      assert.equal(sha(await readFile(join(data, 'repos', 'main', 'data', sub, name))), name);
    }
  }

  // The vault keeps serving: health, a list, and every earlier object reads back.
  const h = await within(vaultHealth(srv.url, fingerprint), 10_000, 'health');
  assert.equal(h.name, 'full');
  assert.equal((await within(b.list('data'), 10_000, 'list')).length, stored.size);
  for (const [name, bytes] of stored) {
    assert.ok((await within(b.get('data', name), 10_000, 'read back')).equals(bytes), `${name} reads back`);
  }
  // And a second attempt fails the same way instead of hanging on the same keep-alive connection.
  const more = randomBytes(2 * 1024 * 1024);
  await assert.rejects(within(b.put('data', sha(more), more), 30_000, 'second upload'), (e) =>
    isAirgapError(e, 'NO_SPACE'),
  );
  assert.deepEqual(await readdir(join(data, 'repos', 'main', 'tmp')), []);
});
