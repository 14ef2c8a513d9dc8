// `airgap demo` straight from the README: no configuration, one machine; it must end with the vault Off
// and a restore from the vault equal to the sample data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';

test('airgap demo replicates, closes the window and restores from the vault', async () => {
  const r = await runCli(['--json', 'demo', '--boot-delay', '500', '--size-mib', '1'], {
    env: { AIRGAP_KDF_N: '1024' },
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    report: {
      result: string;
      window: { closed: boolean; durationMs: number };
      copy: { objectsSent: number };
    };
    restore: { equal: boolean; files: number };
    powerState: string;
  };
  assert.equal(out.report.result, 'success');
  assert.equal(out.report.window.closed, true);
  assert.ok(out.report.copy.objectsSent > 0);
  assert.equal(out.restore.equal, true);
  assert.ok(out.restore.files > 10);
  assert.equal(out.powerState, 'Off');
});
