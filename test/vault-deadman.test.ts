// The dead man's switch: the vault runs its shutdown command (here a script that leaves a marker) when
// idle, at the latest after the maximum window, or at once when a client closes the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeVaultWindow, vaultHealth } from '../src/storage/vault-client.js';
import { addToken, makeVault, serveVault, type ServedVault } from './vault-harness.js';

async function exitWithin(srv: ServedVault, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  const code = await Promise.race([srv.exited, timeout]);
  clearTimeout(timer);
  assert.notEqual(code, 'timeout', 'the vault closed its window in time');
  return code as number | null;
}

async function closeEvents(data: string): Promise<string[]> {
  const log = (await readFile(join(data, 'audit.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return log.filter((e) => e.event === 'window.close').map((e) => e.reason as string);
}

test("the dead man's switch fires when idle, after the maximum window, and when a client closes it", async (t) => {
  // Idle: one request, then silence.
  const idle = await makeVault({ config: (c) => Object.assign(c.deadman, { idle: '2s', maxWindow: '1h' }) });
  t.after(() => idle.cleanup());
  const s1 = await serveVault(idle.data);
  t.after(() => s1.kill());
  await vaultHealth(s1.url, idle.fingerprint);
  assert.equal(await exitWithin(s1, 20_000), 0);
  assert.match(await readFile(join(idle.dir, 'shutdown-marker'), 'utf8'), /\d+/);
  assert.deepEqual(await closeEvents(idle.data), ['idle']);

  // Maximum window: a client that keeps the vault busy cannot keep it on.
  const busy = await makeVault({ config: (c) => Object.assign(c.deadman, { idle: '1h', maxWindow: '3s' }) });
  t.after(() => busy.cleanup());
  const s2 = await serveVault(busy.data);
  t.after(() => s2.kill());
  const poll = setInterval(() => void vaultHealth(s2.url, busy.fingerprint).catch(() => {}), 300);
  t.after(() => clearInterval(poll));
  assert.equal(await exitWithin(s2, 20_000), 0);
  clearInterval(poll);
  assert.deepEqual(await closeEvents(busy.data), ['max-window']);

  // A client closes the window early.
  const early = await makeVault({ config: (c) => Object.assign(c.deadman, { idle: '1h', maxWindow: '1h' }) });
  t.after(() => early.cleanup());
  const s3 = await serveVault(early.data);
  t.after(() => s3.kill());
  const token = await addToken(early.data, 'replicator');
  await closeVaultWindow(`vault+https://127.0.0.1:${s3.port}/main`, {
    fingerprint: early.fingerprint,
    token,
  });
  assert.equal(await exitWithin(s3, 20_000), 0);
  assert.deepEqual(await closeEvents(early.data), ['client']);
  assert.match(await readFile(join(early.dir, 'shutdown-marker'), 'utf8'), /\d+/);
});
