// Prune on the vault: only expired snapshots and data no live snapshot references go, unreferenced new
// uploads get a grace period, and a clock that jumped makes it refuse (unless overridden, audited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openVaultBackend } from '../src/storage/vault-client.js';
import { addToken, makeVault, serveVault, vaultCli } from './vault-harness.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const DAY = 86_400_000;

test('prune removes only expired, unreferenced data and refuses on a clock jump', async (t) => {
  const v = await makeVault({
    config: (c) => {
      c.retention = { default: '10d', tiers: [{ tag: 'monthly', keep: '100d' }] };
      c.unreferencedGrace = '1d';
      c.clockJumpLimit = '400d';
    },
  });
  t.after(() => v.cleanup());
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const b = openVaultBackend(`vault+https://127.0.0.1:${srv.port}/main`, {
    fingerprint: v.fingerprint,
    token: await addToken(v.data, 'replicator'),
  });
  t.after(() => b.close());
  const [A, B, C, D] = [1, 2, 3, 4].map(() => randomBytes(10_000));
  for (const x of [A, B, C, D]) await b.put('data', sha(x!), x!);
  const s1 = Buffer.from('snapshot 1 (default tier)');
  const s2 = Buffer.from('snapshot 2 (monthly)');
  await b.put('snapshots', sha(s1), s1, {
    snapshot: { refs: [`data/${sha(A!)}`, `data/${sha(B!)}`], tags: ['daily'] },
  });
  await b.put('snapshots', sha(s2), s2, {
    snapshot: { refs: [`data/${sha(B!)}`, `data/${sha(C!)}`], tags: ['monthly'] },
  });
  await srv.stop();

  const t0 = Date.now();
  const prune = async (days: number, extra: string[] = []) => {
    const r = await vaultCli(v.data, ['prune', '--json', ...extra], {
      AIRGAP_VAULT_NOW: new Date(t0 + days * DAY).toISOString(),
    });
    return {
      code: r.code,
      out: r.code === 0 ? JSON.parse(r.stdout) : JSON.parse(r.stdout || '{}'),
      stderr: r.stderr,
    };
  };

  // Within the grace period the unreferenced upload D stays.
  let r = await prune(0.5);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.out.repos[0].objectsDeleted, []);
  // After it, D goes; both snapshots are still locked.
  r = await prune(5);
  assert.deepEqual(r.out.repos[0].objectsDeleted, [`data/${sha(D!)}`]);
  assert.deepEqual(r.out.repos[0].snapshotsDeleted, []);
  // Snapshot 1 expires after 10 days: it goes with A; B stays (snapshot 2 needs it), C stays.
  r = await prune(11);
  assert.deepEqual(r.out.repos[0].snapshotsDeleted, [sha(s1)]);
  assert.deepEqual(r.out.repos[0].objectsDeleted, [`data/${sha(A!)}`]);

  // A clock 489 days ahead of the last prune: refused, nothing deleted.
  r = await prune(500);
  assert.equal(r.code, 24, 'VAULT_FORBIDDEN exit code');
  assert.match(r.stderr, /clock jumped forward/);
  // The override works and is audited.
  r = await prune(500, ['--allow-clock-jump']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.out.clockOverride, true);
  assert.deepEqual(r.out.repos[0].snapshotsDeleted, [sha(s2)]);
  assert.deepEqual(r.out.repos[0].objectsDeleted.sort(), [`data/${sha(B!)}`, `data/${sha(C!)}`].sort());
  // The clock going backwards is refused too.
  r = await prune(20);
  assert.equal(r.code, 24);
  assert.match(r.stderr, /backwards/);

  const log = (await readFile(join(v.data, 'audit.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(log.some((e) => e.event === 'prune.clock-override'));
  assert.ok(log.some((e) => e.event === 'prune.refused'));
  const deleted = log
    .filter((e) => e.event === 'prune')
    .flatMap((e) => e.repos.flatMap((x: { objects: string[] }) => x.objects));
  assert.ok(deleted.includes(`data/${sha(A!)}`), 'the audit log records what was deleted');
  const verify = await vaultCli(v.data, ['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout);

  // The repository still holds its config and the prune left it consistent for the client.
  const srv2 = await serveVault(v.data);
  t.after(() => srv2.kill());
  const b2 = openVaultBackend(`vault+https://127.0.0.1:${srv2.port}/main`, {
    fingerprint: v.fingerprint,
    token: await addToken(v.data, 'reader'),
  });
  t.after(() => b2.close());
  assert.deepEqual(await b2.list('snapshots'), []);
  assert.deepEqual(await b2.list('data'), []);
});
