// SIGKILL the vault in the middle of uploads: after a restart no partial object is visible anywhere, and
// the client resumes by simply sending again (identical re-PUT is accepted, missing objects are created).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openVaultBackend } from '../src/storage/vault-client.js';
import { addToken, makeVault, serveVault } from './vault-harness.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a vault killed during uploads shows no partial object and the client resumes', async (t) => {
  const v = await makeVault();
  t.after(() => v.cleanup());
  const token = await addToken(v.data, 'replicator');
  // A few large objects that are sure to be in flight when the kill comes (uploads are fast now), then
  // many small ones.
  const objects = [
    ...Array.from({ length: 4 }, () => randomBytes(24 * 1024 * 1024)),
    ...Array.from({ length: 30 }, () => randomBytes(1024 * 1024)),
  ];
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const b = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, {
    fingerprint: v.fingerprint,
    token,
  });
  let created = 0;
  const uploads = Promise.allSettled(
    objects.map((o) =>
      b.put('data', sha(o), o).then((r) => {
        created++;
        return r;
      }),
    ),
  );
  // Kill once some (not all) uploads have landed.
  const deadline = Date.now() + 30_000;
  while (created < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await srv.kill();
  const results = await uploads;
  await b.close();
  assert.ok(
    results.some((r) => r.status === 'rejected'),
    'some uploads were cut off',
  );

  // On disk: every visible object is complete and named by its hash.
  const dataDir = join(v.data, 'repos', 'main', 'data');
  let visible = 0;
  for (const sub of await readdir(dataDir)) {
    for (const name of await readdir(join(dataDir, sub))) {
      assert.equal(
        sha(await readFile(join(dataDir, sub, name))),
        name,
        'no partial object under a final name',
      );
      visible++;
    }
  }
  assert.ok(visible < objects.length);

  // Restart: temporary files are gone, and the client resumes.
  const srv2 = await serveVault(v.data);
  t.after(() => srv2.kill());
  assert.deepEqual(await readdir(join(v.data, 'repos', 'main', 'tmp')), []);
  const b2 = openVaultBackend(`vault+https://127.0.0.1:${srv2.port}/main`, {
    fingerprint: v.fingerprint,
    token,
  });
  t.after(() => b2.close());
  const again = await Promise.all(objects.map((o) => b2.put('data', sha(o), o)));
  assert.equal(again.filter((r) => r === 'exists').length, visible);
  assert.equal((await b2.list('data')).length, objects.length);
  for (const o of objects.slice(0, 5)) assert.ok((await b2.get('data', sha(o))).equals(o));
});
