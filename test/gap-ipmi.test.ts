// Our IPMI driver (through Debian's ipmitool) against Debian's ipmi_sim: status, on, soft off, forced
// off, cipher-suite fallback (17 → 3), a wrong password, and the open/close sequences.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AirgapError } from '../src/errors.js';
import { createIpmiDriver } from '../src/gap/ipmi.js';
import { openGap } from '../src/gap/open.js';
import { closeGap } from '../src/gap/close.js';
import type { GapDriver } from '../src/gap/driver.js';
import { scratchDir } from './helpers/cli.js';
import { waitFor } from './gap-fixtures.js';

const PW = 'ipmi-Secr3t';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface IpmiSim {
  port: number;
  powerFile: string;
  dir: string;
}

async function startIpmiSim(t: TestContext): Promise<IpmiSim> {
  const scratch = await scratchDir('airgap-ipmi-');
  const dir = scratch.path;
  const port = await freeUdpPort();
  const powerFile = join(dir, 'power');
  await writeFile(powerFile, '0\n');
  await mkdir(join(dir, 'state'));
  await writeFile(
    join(dir, 'chassis.sh'),
    `#!/bin/sh\nf='${powerFile}'\ncase "$1 $2" in\n  "get power") echo "power:$(cat "$f")";;\n  "set power") echo "$3" > "$f";;\n  "set shutdown") echo 0 > "$f";;\nesac\n`,
  );
  await chmod(join(dir, 'chassis.sh'), 0o755);
  await writeFile(
    join(dir, 'sim.emu'),
    'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nsel_enable 0x20 1000 0x0a\nmc_enable 0x20\n',
  );
  await writeFile(
    join(dir, 'lan.conf'),
    `name "vault1"\nset_working_mc 0x20\n  startlan 1\n    addr 127.0.0.1 ${port}\n    priv_limit admin\n` +
      '    allowed_auths_callback md5\n    allowed_auths_user md5\n    allowed_auths_operator md5\n    allowed_auths_admin md5\n' +
      `    guid a123456789abcdefa123456789abcdef\n  endlan\n  chassis_control "${join(dir, 'chassis.sh')}"\n` +
      `  user 2 true "admin" "${PW}" admin 10 md5\n`,
  );
  const child = spawn(
    'ipmi_sim',
    ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'state'), '-n'],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  t.after(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await scratch.cleanup();
  });
  return { port, powerFile, dir };
}

function driver(sim: IpmiSim, password = PW, cipherSuites = [3]): GapDriver {
  return createIpmiDriver({
    target: 'vault1',
    host: '127.0.0.1',
    port: sim.port,
    username: 'admin',
    password,
    cipherSuites,
    privilege: 'ADMINISTRATOR',
    commandTimeoutMs: 10_000,
  });
}

async function ready(d: GapDriver): Promise<void> {
  const ok = await waitFor(async () => {
    try {
      await d.powerState();
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  assert.ok(ok, 'ipmi_sim answers');
}

test('ipmitool driver against ipmi_sim: status, on, redundant on, soft off, forced off, suite 17 → 3', async (t) => {
  const sim = await startIpmiSim(t);
  const d = driver(sim, PW, [17, 3]);
  await ready(d);
  assert.equal(await d.powerState(), 'Off');
  await d.powerOn();
  assert.equal((await readFile(sim.powerFile, 'utf8')).trim(), '1');
  assert.equal(await d.powerState(), 'On');
  await d.powerOn(); // already on: ipmitool may exit 1, re-read says On
  await d.gracefulOff();
  assert.equal(await d.powerState(), 'Off');
  await d.powerOn();
  await d.forceOff();
  assert.equal(await d.powerState(), 'Off');
});

test('ipmitool driver: a wrong password is BMC_AUTH; the open and close sequences work', async (t) => {
  const sim = await startIpmiSim(t);
  const d = driver(sim);
  await ready(d);
  await assert.rejects(driver(sim, 'wrong-pw').powerState(), (e: unknown) => {
    assert.ok(e instanceof AirgapError);
    assert.equal(e.code, 'BMC_AUTH', e.message);
    assert.ok(!e.message.includes('wrong-pw'));
    return true;
  });
  const opened = await openGap(d, { pollMs: 100, timeouts: { bmcMs: 5000, powerOnMs: 5000 } });
  assert.deepEqual(
    opened.stages.filter((s) => s.status !== 'start').map((s) => `${s.stage}:${s.status}`),
    ['bmc:ok', 'power:ok', 'post:skipped', 'service:skipped'],
  );
  const closed = await closeGap(d, { pollMs: 100, timeouts: { gracefulMs: 5000, forceMs: 5000 } });
  assert.equal(closed.ok, true);
  assert.equal((await readFile(sim.powerFile, 'utf8')).trim(), '0');
});
