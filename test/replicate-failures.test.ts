// Every failure path of the replication task ends with the vault process stopped (or never started), a
// distinct exit code and a clear reason; a crashed run's window is closed by the next run, which then
// sends only what is missing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { secureVault } from '../src/vault/admin.js';
import { CLI_MAIN } from './helpers/cli.js';
import {
  copyStarted,
  testLab,
  vaultProcessAlive,
  vaultStarted,
  waitFor,
  type TestLab,
} from './replicate-harness.js';
import type { ReplicationReport } from '../src/tasks/report.js';

// The config is edited as plain YAML data, as a user would: loosely typed on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

async function editConfig(lab: TestLab, edit: (c: Loose) => void): Promise<void> {
  const c = parse(await readFile(lab.configPath, 'utf8')) as Loose;
  edit(c);
  await writeFile(lab.configPath, stringify(c));
}

async function assertClosed(lab: TestLab): Promise<void> {
  assert.equal(await vaultProcessAlive(lab), false, 'the vault process must be stopped');
  assert.equal(lab.powerState(), 'Off');
}

// Each test has its own lab (ports, directories, processes): they can run side by side.
describe('replication failure paths', { concurrency: 3 }, () => {
  test('wrong vault identity: nothing sent, exit 21, vault off', async (t) => {
    const lab = await testLab(t, { mib: 1 });
    await editConfig(lab, (c) => (c.vaults['demo-vault'].fingerprint = 'AB'.repeat(32)));
    const r = await lab.replicate();
    assert.equal(r.code, 21, r.stderr);
    assert.equal(r.report!.error!.code, 'VAULT_IDENTITY');
    assert.equal(await lab.vaultObjects('data'), 0);
    assert.equal(r.report!.window.closed, true);
    await assertClosed(lab);
  });

  test('secured vault (kill switch): nothing sent, exit 22, vault off', async (t) => {
    const lab = await testLab(t, { mib: 1 });
    await secureVault(lab.vaultDir, 'test');
    const r = await lab.replicate();
    assert.equal(r.code, 22, r.stderr);
    assert.match(r.report!.error!.message, /kill switch|secured/);
    assert.equal(await lab.vaultObjects('data'), 0);
    await assertClosed(lab);
  });

  test('vault not ready in time: exit 32, the host is switched off', async (t) => {
    const lab = await testLab(t, {
      mib: 1,
      poweredCommand: { cmd: '/bin/sh', args: ['-c', 'exec sleep 600'] },
      gapTimeouts: { serviceMs: 1500, gracefulMs: 3000, forceMs: 3000 },
    });
    const r = await lab.replicate();
    assert.equal(r.code, 32, r.stderr);
    assert.equal(r.report!.error!.code, 'GAP_TIMEOUT');
    assert.match(r.report!.error!.message, /service/);
    assert.equal(lab.powerState(), 'Off');
  });

  test('wrong token: the copy fails with exit 23, vault off', async (t) => {
    const lab = await testLab(t, { mib: 1 });
    await writeFile(lab.tokenFile, 'not-a-token\n', { mode: 0o600 });
    const r = await lab.replicate();
    assert.equal(r.code, 23, r.stderr);
    assert.equal(r.report!.stages.find((s) => s.name === 'copy')!.outcome, 'failed');
    await assertClosed(lab);
  });

  test('a failing PRE hook stops the task before any power-on: exit 35', async (t) => {
    const lab = await testLab(t, {
      mib: 1,
      plan: { hooks: { pre: [{ command: 'echo nope >&2; exit 4' }], post: [] } },
    });
    const r = await lab.replicate();
    assert.equal(r.code, 35, r.stderr);
    assert.equal(await vaultStarted(lab), false, 'the vault must never have been powered on');
    assert.equal(r.report!.window.opened, false);
  });

  test('a hung OS ignores the graceful shutdown: the close forces it off', async (t) => {
    const lab = await testLab(t, {
      mib: 1,
      faults: { ignoreGracefulShutdown: true },
      gapTimeouts: { gracefulMs: 1500, forceMs: 5000 },
    });
    const r = await lab.replicate();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report!.window.closedBy, 'forced');
    await assertClosed(lab);
  });

  test('a close that cannot be confirmed: exit 41 with an alert; --recover closes the window later', async (t) => {
    const lab = await testLab(t, {
      mib: 1,
      gapTimeouts: { gracefulMs: 1000, forceMs: 1000 },
      targetExtra: { busyRetries: 0, requestTimeoutMs: 1000 },
    });
    const run = lab.replicate();
    // Once the copy runs (the gap is open), the BMC stops answering.
    await waitFor(() => copyStarted(lab), 30_000, 'the copy to start');
    lab.sim.setFaults({ busy: true });
    const r = await run;
    assert.equal(r.code, 41, r.stderr);
    assert.equal(r.report!.window.closed, false);
    assert.match(r.report!.alert!, /may still be powered on/);
    assert.equal(
      (await readdir(lab.stateDir)).filter((n) => n.startsWith('window-')).length,
      1,
      'state file kept',
    );
    assert.equal(await vaultProcessAlive(lab), true);
    lab.sim.setFaults({});
    // The BMC is back: recover with the usual (not the deliberately short) timeouts.
    await editConfig(lab, (c) => {
      const target = c.targets['demo-vault'];
      target.timeouts = { ...target.timeouts, gracefulMs: 10_000, forceMs: 10_000 };
      target.requestTimeoutMs = 10_000;
    });
    const rec = await lab.replicate(['--recover']);
    assert.equal(rec.code, 0, rec.stderr);
    assert.equal(rec.report!.recovered.length, 1);
    await assertClosed(lab);
  });

  test('SIGTERM during the copy cancels it and still closes the window: exit 130', async (t) => {
    const lab = await testLab(t, { mib: 12, packSize: 256 * 1024 });
    const child = spawn(
      process.execPath,
      [CLI_MAIN, '--json', 'replicate', '--config', lab.configPath, '--state-dir', lab.stateDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.after(() => {
      child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.resume();
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    await waitFor(async () => (await lab.vaultObjects('data')) > 0, 60_000, 'the copy to start');
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 130);
    const rep = JSON.parse(out) as ReplicationReport;
    assert.equal(rep.result, 'cancelled');
    assert.equal(rep.window.closed, true);
    await assertClosed(lab);
  });

  test('a crashed run (SIGKILL mid-copy): the next run closes its window first, then sends only the rest', async (t) => {
    const lab = await testLab(t, { mib: 12, packSize: 256 * 1024 });
    const child = spawn(
      process.execPath,
      [CLI_MAIN, 'replicate', '--config', lab.configPath, '--state-dir', lab.stateDir],
      {
        stdio: 'ignore',
      },
    );
    t.after(() => {
      child.kill('SIGKILL');
    });
    const exited = new Promise((r) => child.on('close', r));
    await waitFor(async () => (await lab.vaultObjects('data')) >= 3, 60_000, 'part of the copy');
    child.kill('SIGKILL');
    await exited;
    const before = await lab.vaultObjects('data');
    assert.equal(await vaultProcessAlive(lab), true, 'a crash leaves the window open');
    assert.equal(await lab.vaultObjects('snapshots'), 0, 'no snapshot before all its data');

    const r = await lab.replicate();
    assert.equal(r.code, 0, r.stderr);
    const rep = r.report!;
    assert.equal(rep.recovered.length, 1);
    assert.equal(rep.stages[0]!.name, 'recover');
    assert.ok(
      rep.copy.objectsSkipped >= before,
      `skipped ${rep.copy.objectsSkipped} < ${before} already there`,
    );
    const total = rep.copy.objectsSent + rep.copy.objectsSkipped;
    assert.equal(rep.copy.objectsSent, total - rep.copy.objectsSkipped);
    assert.equal(rep.copy.objectsSent + before <= total + 1, true);
    assert.equal(await lab.vaultObjects('snapshots'), 1);
    await assertClosed(lab);
  });
});
