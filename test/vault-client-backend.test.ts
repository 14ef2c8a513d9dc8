// The client backend against a real vault daemon: objects go in and come back byte for byte, snapshots
// commit last, the pin is enforced before anything is sent, several clients upload at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openVaultBackend, vaultHealth } from '../src/storage/vault-client.js';
import { isAirgapError } from '../src/errors.js';
import { addToken, makeVault, serveVault, vaultCli } from './vault-harness.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a repository lives on the vault: put, get, range, stat, list, commit-last snapshots', async (t) => {
  const v = await makeVault();
  t.after(() => v.cleanup());
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const token = await addToken(v.data, 'replicator');
  const loc = `vault+https://127.0.0.1:${srv.port}/main`;
  const b = openVaultBackend(loc, { fingerprint: v.fingerprint.toLowerCase().replace(/:/g, ''), token });
  t.after(() => b.close());

  assert.deepEqual(b.capabilities, { delete: false, locks: false });
  await b.create();
  assert.equal(await b.exists(), false);
  const config = Buffer.from('config-bytes');
  assert.equal(await b.put('config', 'config', config), 'created');
  assert.equal(await b.put('config', 'config', config), 'exists');
  await assert.rejects(b.put('config', 'config', Buffer.from('other')), (e) =>
    isAirgapError(e, 'OBJECT_EXISTS_DIFFERENT'),
  );
  assert.equal(await b.exists(), true);

  const data = randomBytes(300_000);
  const id = sha(data);
  assert.equal(await b.put('data', id, data), 'created');
  assert.equal(await b.put('data', id, data), 'exists');
  assert.ok((await b.get('data', id)).equals(data));
  assert.ok((await b.getRange('data', id, 1000, 5000)).equals(data.subarray(1000, 6000)));
  assert.deepEqual(await b.stat('data', id), { name: id, size: data.length });
  assert.equal(await b.stat('data', sha(Buffer.from('nope'))), null);
  assert.deepEqual(await b.list('data'), [{ name: id, size: data.length }]);
  await assert.rejects(b.get('data', sha(Buffer.from('nope'))), (e) => isAirgapError(e, 'NOT_FOUND'));

  // The stored file is in the local backend's layout, so the vault host can read it directly.
  const onDisk = await readFile(join(v.data, 'repos', 'main', 'data', id.slice(0, 2), id));
  assert.ok(onDisk.equals(data));
  const snap = Buffer.from('encrypted snapshot');
  const missing = sha(Buffer.from('not uploaded'));
  await assert.rejects(
    b.put('snapshots', sha(snap), snap, { snapshot: { refs: [`data/${id}`, `data/${missing}`], tags: [] } }),
    (e) => isAirgapError(e, 'VAULT_FORBIDDEN') && /not on the vault/.test(e.message),
  );
  assert.deepEqual(await b.list('snapshots'), [], 'a refused snapshot is not visible');
  assert.equal(
    await b.put('snapshots', sha(snap), snap, { snapshot: { refs: [`data/${id}`], tags: ['daily'] } }),
    'created',
  );
  assert.deepEqual(await b.list('snapshots'), [{ name: sha(snap), size: snap.length }]);
  // Marks are batched; a snapshot commit waits for them, so after it the data must be immutable.
  if (
    srv.stderr.join('').includes('immutable') ||
    (await vaultCli(v.data, ['status', '--json'])).stdout.includes('"immutable": true')
  ) {
    const attrs = execFileSync('lsattr', [
      join(v.data, 'repos', 'main', 'data', id.slice(0, 2), id),
    ]).toString();
    assert.match(attrs.split(' ')[0]!, /i/, 'stored objects carry the immutable attribute');
  } else t.diagnostic('chattr +i not supported here: immutable attribute not checked');

  await assert.rejects(b.delete('data', id), (e) => isAirgapError(e, 'NOT_SUPPORTED'));
  await assert.rejects(b.put('locks', sha(snap), snap), (e) => isAirgapError(e, 'VAULT_FORBIDDEN'));

  const h = await vaultHealth(srv.url, v.fingerprint);
  assert.equal(h.name, 'test-vault');
  assert.equal(h.secured, false);

  // A reader reads but never writes.
  const reader = openVaultBackend(loc, {
    fingerprint: v.fingerprint,
    token: await addToken(v.data, 'reader'),
  });
  t.after(() => reader.close());
  assert.ok((await reader.get('data', id)).equals(data));
  const other = randomBytes(100);
  await assert.rejects(reader.put('data', sha(other), other), (e) => isAirgapError(e, 'VAULT_FORBIDDEN'));

  // An unknown repository on the vault is a clear error.
  const nowhere = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/nowhere`, {
    fingerprint: v.fingerprint,
    token: await addToken(v.data, 'reader', '*'),
  });
  t.after(() => nowhere.close());
  await assert.rejects(nowhere.create(), (e) => isAirgapError(e, 'REPO_NOT_FOUND'));
});

test('a wrong fingerprint fails with VAULT_IDENTITY and the token never reaches the server', async (t) => {
  const v = await makeVault();
  t.after(() => v.cleanup());
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const token = await addToken(v.data, 'replicator');
  const wrong = 'AB'.repeat(32);
  const b = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, { fingerprint: wrong, token });
  t.after(() => b.close());
  await assert.rejects(b.list('data'), (e) => isAirgapError(e, 'VAULT_IDENTITY'));
  await assert.rejects(vaultHealth(srv.url, wrong), (e) => isAirgapError(e, 'VAULT_IDENTITY'));
  const log = await readFile(join(v.data, 'audit.log'), 'utf8');
  assert.doesNotMatch(log, /auth\.failure/, 'no request reached the vault');
  assert.throws(
    () => openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, { fingerprint: 'xyz', token }),
    (e) => isAirgapError(e, 'USAGE'),
  );
  await assert.rejects(
    openVaultBackend(`vault+https://127.0.0.1:1/main`, { fingerprint: v.fingerprint, token }).list('data'),
    (e) => isAirgapError(e, 'VAULT_UNREACHABLE'),
  );
});

test('several clients upload at once and every object arrives intact', async (t) => {
  const v = await makeVault();
  t.after(() => v.cleanup());
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const loc = `vault+https://127.0.0.1:${srv.port}/main`;
  const clients = await Promise.all(
    [1, 2, 3, 4].map(async () =>
      openVaultBackend(loc, { fingerprint: v.fingerprint, token: await addToken(v.data, 'replicator') }),
    ),
  );
  t.after(() => Promise.all(clients.map((c) => c.close())));
  // Overlapping sets: the same objects sent by several clients at once must all succeed.
  const objects = Array.from({ length: 40 }, (_, i) => randomBytes(20_000 + i * 1000));
  await Promise.all(
    clients.map((c, ci) =>
      Promise.all(objects.filter((_, i) => i % 4 !== ci).map((o) => c.put('data', sha(o), o))),
    ),
  );
  const listed = await clients[0]!.list('data');
  assert.equal(listed.length, objects.length);
  for (const o of objects) assert.ok((await clients[3]!.get('data', sha(o))).equals(o));
  const audit = await vaultCli(v.data, ['audit', 'verify', '--json']);
  assert.equal(audit.code, 0);
  assert.equal(JSON.parse(audit.stdout).ok, true);
});
