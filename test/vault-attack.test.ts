// The attack suite: an attacker holding a replicator token (and raw HTTPS) tries everything the vault's
// promise rules out. Every attempt must fail, and the data must restore byte for byte afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { openVaultBackend } from '../src/storage/vault-client.js';
import { addToken, makeVault, raw, serveVault, vaultCli } from './vault-harness.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const DAY = 86_400_000;

test('a replicator token cannot delete, overwrite, corrupt, escape, shorten or outlive the rules', async (t) => {
  const v = await makeVault({
    config: (c) => {
      c.limits.maxObjectSize = 1024 * 1024;
      c.limits.authFailuresPerMinute = 8;
      c.retention = { default: '30d', tiers: [{ tag: 'monthly', keep: '365d' }] };
    },
  });
  t.after(() => v.cleanup());
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const token = await addToken(v.data, 'replicator');
  const fp = v.fingerprint;
  const req = (o: Parameters<typeof raw>[2]) => raw(srv.port, fp, { token, ...o });

  // The honest repository the attacker wants to destroy.
  const good = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, { fingerprint: fp, token });
  t.after(() => good.close());
  const objects = new Map<string, Buffer>();
  const config = Buffer.from('repository config');
  await good.put('config', 'config', config);
  for (let i = 0; i < 5; i++) {
    const d = randomBytes(50_000);
    objects.set(`data/${sha(d)}`, d);
    await good.put('data', sha(d), d);
  }
  const idx = Buffer.from(JSON.stringify([...objects.keys()]));
  objects.set(`index/${sha(idx)}`, idx);
  await good.put('index', sha(idx), idx);
  const snap = Buffer.from('encrypted snapshot, monthly');
  const before = Date.now();
  await good.put('snapshots', sha(snap), snap, {
    snapshot: { refs: [...objects.keys()], tags: ['monthly'] },
  });
  objects.set(`snapshots/${sha(snap)}`, snap);
  const [dataKey, dataBytes] = [...objects.entries()][0]!;
  const dataId = dataKey.slice(5);
  const manifestPath = `/v1/repos/main/manifests/${sha(snap)}`;
  const lock0 = (await req({ method: 'GET', path: manifestPath })).json().lockedUntil as string;
  assert.ok(
    Date.parse(lock0) >= before + 365 * DAY - 60_000,
    'monthly snapshot locked for a year from receipt',
  );

  // Delete: the API has none.
  for (const path of [
    `/v1/repos/main/data/${dataId}`,
    `/v1/repos/main/snapshots/${sha(snap)}`,
    '/v1/repos/main/config/config',
    '/v1/repos/main',
  ]) {
    const r = await req({ method: 'DELETE', path });
    assert.ok(r.status === 405 || r.status === 404, `DELETE ${path} → ${r.status}`);
    assert.notEqual(r.status, 200);
  }
  assert.equal(
    (
      await req({
        method: 'POST',
        path: `/v1/repos/main/data/${dataId}`,
        body: 'x',
        headers: { 'content-type': 'application/octet-stream' },
      })
    ).status,
    405,
  );

  // Overwrite with other bytes.
  const evil = randomBytes(50_000);
  let r = await req({
    method: 'PUT',
    path: `/v1/repos/main/data/${dataId}`,
    body: evil,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 403);
  assert.equal(r.json().error.code, 'VAULT_FORBIDDEN');
  r = await req({
    method: 'PUT',
    path: '/v1/repos/main/config/config',
    body: 'evil config',
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 409);
  assert.equal(r.json().error.code, 'OBJECT_EXISTS_DIFFERENT');
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/snapshots/${sha(snap)}`,
    body: JSON.stringify({ object: evil.toString('base64'), manifest: { refs: [], tags: [] } }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 403);

  // Upload with a wrong hash: refused, and nothing becomes visible under that name.
  const claimed = sha(Buffer.from('what the name says'));
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/data/${claimed}`,
    body: evil,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 403);
  assert.match(r.json().error.message, /hash mismatch/);
  assert.equal((await req({ method: 'HEAD', path: `/v1/repos/main/data/${claimed}` })).status, 404);

  // Path traversal, in the repository, the type and the name, encoded or not.
  for (const path of [
    '/v1/repos/main/data/..%2F..%2F..%2Fvault.yaml',
    '/v1/repos/main/../../vault.yaml',
    '/v1/repos/..%2F..%2Ftls/key.pem',
    '/v1/repos/main/..%2F..%2Ftokens.json/x',
    '/v1/repos/%2e%2e/config/config',
    '/v1/repos/main/config/..%2Fconfig',
    `/v1/repos/main/data/${dataId}%00`,
  ]) {
    for (const method of ['GET', 'PUT']) {
      const rr = await req({
        method,
        path,
        body: method === 'PUT' ? 'x' : undefined,
        headers: method === 'PUT' ? { 'content-type': 'application/octet-stream' } : {},
      });
      assert.ok([400, 403, 404].includes(rr.status), `${method} ${path} → ${rr.status}`);
      assert.doesNotMatch(rr.body.toString(), /vaultId|PRIVATE KEY|sha256/);
    }
  }

  // Shorten retention: re-send the snapshot without the monthly tag, or with a client clock in the past.
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/snapshots/${sha(snap)}`,
    body: JSON.stringify({ object: snap.toString('base64'), manifest: { refs: [], tags: [] } }),
    headers: { 'content-type': 'application/json', date: 'Thu, 01 Jan 1970 00:00:00 GMT' },
  });
  assert.equal(r.status, 200);
  const man = (await req({ method: 'GET', path: manifestPath })).json();
  assert.equal(man.lockedUntil, lock0, 'the lock is not shortened');
  assert.equal(man.refs.length, objects.size - 1, 'the refs are not reduced');
  for (const method of ['PUT', 'POST', 'PATCH', 'DELETE']) {
    const rr = await req({
      method,
      path: manifestPath,
      body: JSON.stringify({ lockedUntil: '2000-01-01T00:00:00Z' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.ok(rr.status >= 400, `${method} manifest → ${rr.status}`);
  }

  // A snapshot "dated in the future": its bytes, tags and the client's clock claim 2100. The vault uses its receive time.
  const future = Buffer.from(JSON.stringify({ time: '2100-01-01T00:00:00Z', tags: ['2100'] }));
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/snapshots/${sha(future)}`,
    body: JSON.stringify({
      object: future.toString('base64'),
      manifest: { refs: [dataKey], tags: ['2100'] },
    }),
    headers: { 'content-type': 'application/json', date: 'Fri, 01 Jan 2100 00:00:00 GMT' },
  });
  assert.equal(r.status, 201);
  assert.ok(
    Date.parse(r.json().lockedUntil) < Date.now() + 31 * DAY,
    'locked from the vault receive time, not the claimed date',
  );
  // ...followed by a prune on the vault a day later: everything is kept.
  const pr = await vaultCli(v.data, ['prune', '--json'], {
    AIRGAP_VAULT_NOW: new Date(Date.now() + DAY).toISOString(),
  });
  assert.equal(pr.code, 0, pr.stderr);
  const pruned = JSON.parse(pr.stdout);
  assert.deepEqual(pruned.repos[0].snapshotsDeleted, []);
  assert.deepEqual(pruned.repos[0].objectsDeleted, []);

  // Oversized and malformed requests.
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/data/${sha(randomBytes(8))}`,
    body: randomBytes(1024 * 1024 + 10),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 413);
  assert.equal(r.json().error.code, 'VAULT_LIMIT');
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/snapshots/${sha(snap)}`,
    body: '{not json',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 400);
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/data/${dataId}`,
    body: 'x',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(r.status, 415);
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/snapshots/${sha(Buffer.from('s'))}`,
    body: JSON.stringify({
      object: Buffer.from('s').toString('base64'),
      manifest: { refs: ['data/../../x'], tags: [] },
    }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 400);
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/snapshots/${sha(Buffer.from('s'))}`,
    body: Buffer.from('s'),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 400, 'a snapshot without a manifest is refused');
  r = await req({
    method: 'GET',
    path: `/v1/repos/main/data/${dataId}`,
    headers: { range: 'bytes=99999999-100000000' },
  });
  assert.equal(r.status, 416);
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/locks/${dataId}`,
    body: dataBytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 403);
  r = await req({ method: 'GET', path: '/v1/does/not/exist' });
  assert.equal(r.status, 404);

  // Reader, missing, garbage, expired and revoked tokens.
  const reader = await addToken(v.data, 'reader');
  r = await raw(srv.port, fp, {
    method: 'PUT',
    token: reader,
    path: `/v1/repos/main/data/${sha(evil)}`,
    body: evil,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 403);
  const expiring = await addToken(v.data, 'replicator', 'main', ['--expires', '1s']);
  const revoked = await addToken(v.data, 'replicator');
  assert.equal(
    (await raw(srv.port, fp, { method: 'GET', token: revoked, path: '/v1/repos/main/data' })).status,
    200,
  );
  const id = revoked.split('_')[1]!;
  assert.equal((await vaultCli(v.data, ['token', 'revoke', id])).code, 0);
  await new Promise((res) => setTimeout(res, 1100));
  for (const [tok, why] of [
    [expiring, 'expired'],
    [revoked, 'revoked'],
  ] as const) {
    r = await raw(srv.port, fp, { method: 'GET', token: tok, path: '/v1/repos/main/data' });
    assert.equal(r.status, 401);
    assert.match(r.json().error.message, new RegExp(why));
  }
  assert.equal((await raw(srv.port, fp, { method: 'GET', path: '/v1/repos/main/data' })).status, 401);
  assert.equal(
    (
      await raw(srv.port, fp, {
        method: 'GET',
        token: 'agv1_00000000_' + 'A'.repeat(43),
        path: '/v1/repos/main/data',
      })
    ).status,
    401,
  );

  // Kill switch: while secured, every session is refused, the good token included.
  assert.equal((await vaultCli(v.data, ['secure', '--reason', 'incident 42'])).code, 0);
  r = await req({ method: 'GET', path: `/v1/repos/main/data/${dataId}` });
  assert.equal(r.status, 503);
  assert.equal(r.json().error.code, 'VAULT_SECURED');
  r = await req({
    method: 'PUT',
    path: `/v1/repos/main/data/${sha(evil)}`,
    body: evil,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 503);
  assert.equal((await raw(srv.port, fp, { method: 'GET', path: '/v1/health' })).json().secured, true);
  assert.equal((await vaultCli(v.data, ['release'])).code, 0);

  // Everything restores byte for byte.
  const readBack = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, {
    fingerprint: fp,
    token: reader,
  });
  t.after(() => readBack.close());
  assert.ok((await readBack.get('config', 'config')).equals(config));
  for (const [key, bytes] of objects) {
    const [type, name] = key.split('/') as ['data', string];
    assert.ok((await readBack.get(type, name)).equals(bytes), `${key} intact`);
  }
  assert.equal((await readBack.list('data')).length, 5);

  // Brute force: authentication failures are rate-limited per address, valid token or not.
  let limited = false;
  for (let i = 0; i < 12 && !limited; i++) {
    const rr = await raw(srv.port, fp, {
      method: 'GET',
      token: `agv1_0000000${i % 10}_${'B'.repeat(43)}`,
      path: '/v1/repos/main/data',
    });
    limited = rr.status === 429;
  }
  assert.ok(limited, 'failures are rate-limited');
  r = await req({ method: 'GET', path: '/v1/repos/main/data' });
  assert.equal(r.status, 429);

  const audit = await vaultCli(v.data, ['audit', 'verify', '--json']);
  assert.equal(audit.code, 0);
  assert.equal(JSON.parse(audit.stdout).ok, true);
});
