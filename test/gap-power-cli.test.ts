// `airgap power status|on|off TARGET --config FILE` end to end against the BMC simulator: JSON output,
// exit codes for a wrong password, an unreachable BMC and a readable password file, and the password
// never appearing in any output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ExitCode } from '../src/errors.js';
import { runCli } from './helpers/cli.js';
import { startSimFixture, SIM_USER, SIM_PASSWORD, type SimFixture } from './gap-fixtures.js';

async function config(f: SimFixture, extra = ''): Promise<string> {
  const file = join(f.dir, 'airgap.yaml');
  await writeFile(
    file,
    `targets:
  vault1:
    driver: redfish
    address: 127.0.0.1:${f.port}
    fingerprint: "${f.sim.fingerprint}"
    username: ${SIM_USER}
    passwordEnv: BMC_PW
    pollMs: 100
    timeouts: { bmcMs: 3000, powerOnMs: 5000, postMs: 5000, gracefulMs: 5000, forceMs: 3000 }
${extra}`,
  );
  return file;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function noSecret(r: { stdout: string; stderr: string }, secret: string): void {
  assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the password never shows');
}

test('airgap power status, on, off --json against the simulator', async (t) => {
  const f = await startSimFixture(t);
  const cfg = await config(f);
  const env = { BMC_PW: SIM_PASSWORD };
  const st = await runCli(['--json', 'power', 'status', 'vault1', '--config', cfg], { env });
  assert.equal(st.code, 0, st.stderr);
  assert.deepEqual(JSON.parse(st.stdout), { target: 'vault1', driver: 'redfish', powerState: 'Off' });

  const on = await runCli(['--json', 'power', 'on', 'vault1', '-c', cfg], { env });
  assert.equal(on.code, 0, on.stderr);
  const onOut = JSON.parse(on.stdout) as { powerState: string; report: { ok: boolean } };
  assert.equal(onOut.powerState, 'On');
  assert.equal(onOut.report.ok, true);
  assert.equal(f.sim.powerState(), 'On');

  const human = await runCli(['power', 'status', 'vault1', '-c', cfg], { env });
  assert.match(human.stdout, /^vault1: On \(past POST\)/);

  const off = await runCli(['power', 'off', 'vault1', '-c', cfg], { env });
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /^vault1: Off/);
  assert.match(off.stderr, /wait-off +ok/);
  assert.equal(f.sim.powerState(), 'Off');
  for (const r of [st, on, human, off]) noSecret(r, SIM_PASSWORD);
});

test('airgap power: wrong password → BMC_AUTH, unreachable BMC → BMC_UNREACHABLE, unknown target → usage', async (t) => {
  const f = await startSimFixture(t);
  const cfg = await config(
    f,
    `  gone:
    driver: redfish
    address: 127.0.0.1:${await closedPort()}
    insecure: true
    username: root
    passwordEnv: BMC_PW
    timeouts: { bmcMs: 1000 }
    pollMs: 100
`,
  );
  const wrong = 'Wr0ng-pass-word';
  const auth = await runCli(['power', 'on', 'vault1', '-c', cfg], { env: { BMC_PW: wrong } });
  assert.equal(auth.code, ExitCode.BMC_AUTH, auth.stderr);
  assert.match(auth.stderr, /rejected the credentials of user root/);
  noSecret(auth, wrong);
  assert.equal(f.sim.powerState(), 'Off');

  const unreach = await runCli(['--json', 'power', 'status', 'gone', '-c', cfg], {
    env: { BMC_PW: SIM_PASSWORD },
  });
  assert.equal(unreach.code, ExitCode.BMC_UNREACHABLE, unreach.stderr);
  assert.equal((JSON.parse(unreach.stdout) as { error: { code: string } }).error.code, 'BMC_UNREACHABLE');
  noSecret(unreach, SIM_PASSWORD);

  const unknown = await runCli(['power', 'status', 'nope', '-c', cfg], { env: { BMC_PW: SIM_PASSWORD } });
  assert.equal(unknown.code, ExitCode.USAGE);
  assert.match(unknown.stderr, /no target nope.*vault1, gone/);
});

test('airgap power: a password file readable by others is refused; a 0600 one works; config errors give the line', async (t) => {
  const f = await startSimFixture(t);
  const pwFile = join(f.dir, 'bmc.pw');
  await writeFile(pwFile, SIM_PASSWORD + '\n');
  await chmod(pwFile, 0o644);
  const cfgFile = join(f.dir, 'file.yaml');
  await writeFile(
    cfgFile,
    `targets:\n  vault1:\n    driver: redfish\n    address: 127.0.0.1:${f.port}\n    fingerprint: "${f.sim.fingerprint}"\n    username: root\n    passwordFile: bmc.pw\n`,
  );
  const loose = await runCli(['power', 'status', 'vault1', '-c', cfgFile]);
  assert.equal(loose.code, ExitCode.USAGE);
  assert.match(loose.stderr, /chmod 600/);
  await chmod(pwFile, 0o600);
  const ok = await runCli(['power', 'status', 'vault1', '-c', cfgFile]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'vault1: Off');

  const bad = join(f.dir, 'bad.yaml');
  await writeFile(
    bad,
    `targets:\n  vault1:\n    driver: redfish\n    address: 127.0.0.1:1\n    username: root\n    pasword: x\n`,
  );
  const b = await runCli(['power', 'status', 'vault1', '-c', bad]);
  assert.equal(b.code, ExitCode.USAGE);
  assert.match(b.stderr, /bad\.yaml:6:5: targets\.vault1: unknown key pasword/);
});
