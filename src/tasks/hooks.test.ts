import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHook, runHooks, hookError } from './hooks.js';

test('a hook sees the task facts in its environment', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'airgap-hook-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await runHook(
    { command: 'echo "$AIRGAP_PLAN $AIRGAP_HOOK $EXTRA" > out.txt', cwd: dir, env: { EXTRA: 'x' } },
    'pre',
    { AIRGAP_PLAN: 'nightly' },
  );
  assert.equal(r.ok, true);
  assert.equal((await readFile(join(dir, 'out.txt'), 'utf8')).trim(), 'nightly pre x');
});

test('a failing hook reports its status and the end of its stderr', async () => {
  const r = await runHook({ name: 'check', command: 'echo "disk full" >&2; exit 3' }, 'pre', {});
  assert.equal(r.ok, false);
  assert.equal(r.exitCode, 3);
  const e = hookError(r);
  assert.equal(e.code, 'HOOK_FAILED');
  assert.match(e.message, /pre hook "check" exited with status 3: disk full/);
});

test('a hook that runs over its timeout is killed with everything it started', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'airgap-hook-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // The background sleep writes its pid; after the timeout it must be gone too.
  const r = await runHook(
    { command: 'sleep 30 & echo $! > bg.pid; wait', cwd: dir, timeoutMs: 300 },
    'post',
    {},
  );
  assert.equal(r.timedOut, true);
  assert.equal(r.ok, false);
  const pid = Number((await readFile(join(dir, 'bg.pid'), 'utf8')).trim());
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((res) => setTimeout(res, 100));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, 'the hook child survived its timeout');
});

test('runHooks stops at the first failure when asked, and runs all otherwise', async () => {
  const hooks = [{ command: 'exit 1' }, { command: 'exit 0' }];
  assert.equal((await runHooks(hooks, 'pre', {}, { stopOnFailure: true })).length, 1);
  assert.equal((await runHooks(hooks, 'post', {}, { stopOnFailure: false })).length, 2);
});
