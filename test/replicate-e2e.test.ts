// End to end: the real CLI replicates through the Redfish BMC simulator, whose power-on starts the real
// vault process. After the task the vault process is gone, and a restore from the vault equals the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { startVault } from '../src/vault/server.js';
import { openVaultBackend } from '../src/storage/vault-client.js';
import { openRepository } from '../src/repository/repository.js';
import { restore } from '../src/ops/restore.js';
import { compareTrees } from '../src/cli/commands/demo-data.js';
import { testLab, vaultProcessAlive } from './replicate-harness.js';
import { readFile } from 'node:fs/promises';

test('replicate: open, copy, verify, close; the vault is off and a restore from it equals the source', async (t) => {
  const lab = await testLab(t);
  const r = await lab.replicate();
  assert.equal(r.code, 0, r.stderr);
  const rep = r.report!;
  assert.equal(rep.result, 'success');
  assert.equal(lab.powerState(), 'Off');
  assert.equal(await vaultProcessAlive(lab), false, 'the vault process must be gone after the task');
  // The report: every stage, the window and its parts, what moved.
  assert.deepEqual(
    rep.stages.map((s) => `${s.name}:${s.outcome}`),
    ['recover:ok', 'prepare:ok', 'open:ok', 'copy:ok', 'verify:ok', 'close:ok'],
  );
  assert.equal(rep.window.opened, true);
  assert.equal(rep.window.closed, true);
  assert.equal(rep.window.closedBy, 'graceful');
  const p = rep.window.parts;
  for (const k of ['bootMs', 'readinessMs', 'copyMs', 'verifyMs', 'shutdownMs'] as const)
    assert.ok(typeof p[k] === 'number', k);
  const sum = p.bootMs! + p.readinessMs! + p.copyMs! + p.verifyMs! + p.shutdownMs!;
  assert.ok(
    rep.window.durationMs! >= sum - 5 && rep.window.durationMs! <= sum + 1000,
    `window ${rep.window.durationMs} vs parts ${sum}`,
  );
  assert.ok(rep.copy.objectsSent > 0 && rep.copy.bytesSent > 0);
  assert.equal(rep.copy.objectsSkipped, 0);
  assert.equal(rep.verify.sample?.equal, true);
  assert.deepEqual(rep.snapshots.ids, [lab.snapshotId]);
  assert.equal(
    (await readdir(lab.stateDir)).filter((n) => n.startsWith('window-')).length,
    0,
    'state file cleared',
  );

  // Restore from the vault (started directly on its data directory) and compare with the source.
  const v = await startVault({ dataDir: lab.vaultDir, host: '127.0.0.1', port: lab.vaultPort });
  try {
    const token = (await readFile(lab.tokenFile, 'utf8')).trim();
    const backend = openVaultBackend(lab.vaultUrl, { fingerprint: lab.vaultFingerprint, token });
    const repo = await openRepository(backend, lab.password);
    const target = join(lab.dir, 'restored');
    await restore(repo, lab.snapshotId, { target });
    assert.deepEqual(await compareTrees(lab.dataDir, join(target, lab.dataDir)), []);
    await backend.close();
  } finally {
    await v.stop();
  }

  // A second run sends nothing and says so; the history keeps both reports.
  const again = await lab.replicate();
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.report!.copy.objectsSent, 0);
  assert.equal(again.report!.copy.objectsSkipped, rep.copy.objectsSent);
  const hist = await lab.replicate(['--history', '5']);
  const runs = JSON.parse(hist.stdout) as { runId: string }[];
  assert.deepEqual(
    runs.map((x) => x.runId),
    [again.report!.runId, rep.runId],
  );
});
