// The script driver with real shell scripts: documented environment variables in, state words and exit
// codes out, output lines into the log, a timeout that kills the script, and the close sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AirgapError } from '../src/errors.js';
import { createDriver } from '../src/gap/create.js';
import { closeGap } from '../src/gap/close.js';
import { openGap } from '../src/gap/open.js';
import { scratchDir } from './helpers/cli.js';

test('script driver: open/status/close with AIRGAP_* variables, exit codes, timeout and logged output', async (t) => {
  const s = await scratchDir('airgap-script-');
  t.after(() => s.cleanup());
  const state = join(s.path, 'state');
  await writeFile(state, 'Off\n');
  const script = join(s.path, 'power.sh');
  await writeFile(
    script,
    `#!/bin/sh
echo "action=$AIRGAP_ACTION target=$AIRGAP_TARGET address=$AIRGAP_ADDRESS user=$AIRGAP_BMC_USERNAME pwlen=\${#AIRGAP_BMC_PASSWORD}" >&2
case "$1" in
  open) echo On > '${state}';;
  close) echo Off > '${state}';;
  status) cat '${state}';;
  force-off) [ "$FAIL_AUTH" = 1 ] && exit 11; sleep 30;;
esac
`,
  );
  await chmod(script, 0o755);
  const lines: string[] = [];
  const target = {
    name: 'pdu1',
    driver: 'script' as const,
    open: script,
    close: script,
    status: script,
    forceOff: script,
    address: 'pdu.example',
    username: 'ops',
    passwordEnv: 'PDU_PW',
    scriptTimeoutMs: 1500,
  };
  const d = createDriver(target, { ...process.env, PDU_PW: 'pdu-secret' }, { log: (l) => lines.push(l) });
  assert.equal(await d.powerState(), 'Off');
  const opened = await openGap(d, { pollMs: 50 });
  assert.equal(opened.ok, true);
  assert.equal((await readFile(state, 'utf8')).trim(), 'On');
  assert.ok(
    lines.includes('[pdu1 open stderr] action=open target=pdu1 address=pdu.example user=ops pwlen=10'),
    lines.join('\n'),
  );
  assert.ok(!lines.join('\n').includes('pdu-secret'));

  await closeGap(d, { pollMs: 50 });
  assert.equal(await d.powerState(), 'Off');

  const started = Date.now();
  await assert.rejects(
    d.forceOff(),
    (e: unknown) => e instanceof AirgapError && e.code === 'POWER_FAILED' && /timed out/.test(e.message),
  );
  assert.ok(Date.now() - started < 10_000);
  const failing = createDriver(target, { ...process.env, PDU_PW: 'x', FAIL_AUTH: '1' });
  await assert.rejects(failing.forceOff(), (e: unknown) => e instanceof AirgapError && e.code === 'BMC_AUTH');
});
