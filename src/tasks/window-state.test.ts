import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clearWindowState,
  isOwnerAlive,
  listWindowStates,
  newWindowState,
  readWindowState,
  writeWindowState,
} from './window-state.js';

test('the state file round-trips and is cleared', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'airgap-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = newWindowState('run1', 'nightly', 'vault1');
  await writeWindowState(dir, s);
  assert.deepEqual(await readWindowState(dir, 'vault1'), s);
  assert.deepEqual(await listWindowStates(dir), [s]);
  await clearWindowState(dir, 'vault1');
  assert.equal(await readWindowState(dir, 'vault1'), null);
  await clearWindowState(dir, 'vault1'); // idempotent
});

test('a live owner is recognised, a dead one is not', async () => {
  const child = spawn('sleep', ['30']);
  try {
    const s = { ...newWindowState('r', 'p', 't'), pid: child.pid! };
    assert.equal(isOwnerAlive(s), true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    assert.equal(isOwnerAlive(s), false);
  } finally {
    child.kill('SIGKILL');
  }
  // Our own state is never "someone else's live run".
  assert.equal(isOwnerAlive(newWindowState('r', 'p', 't')), false);
});
