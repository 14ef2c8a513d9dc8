// DMTF's own redfishtool (Debian) drives the BMC simulator: status, on, graceful shutdown, forced off,
// a redundant request, bad credentials and session login/logout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  startSimFixture,
  servicePid,
  isAlive,
  waitFor,
  SIM_USER,
  SIM_PASSWORD,
  type SimFixture,
} from './gap-fixtures.js';

interface Run {
  code: number | null;
  out: string;
}

function redfishtool(f: SimFixture, args: string[], password = SIM_PASSWORD): Promise<Run> {
  return new Promise((resolve, reject) => {
    // redfishtool takes the password on its command line; fine for a test password, never for ours.
    const argv = ['-r', `127.0.0.1:${f.port}`, '-S', 'Always', '-u', SIM_USER, '-p', password, ...args];
    const c = spawn('redfishtool', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const SYSTEM = ['Systems', '-I', 'System.Embedded.1'];

async function powerState(f: SimFixture): Promise<string> {
  const r = await redfishtool(f, [...SYSTEM, 'get', '-P', 'PowerState']);
  assert.equal(r.code, 0, r.out);
  return (JSON.parse(r.out) as { PowerState: string }).PowerState;
}

test('redfishtool: status, On, redundant On (409), GracefulShutdown, ForceOff', async (t) => {
  const f = await startSimFixture(t);
  assert.equal(await powerState(f), 'Off');

  const on = await redfishtool(f, [...SYSTEM, 'reset', 'On']);
  assert.equal(on.code, 0, on.out);
  assert.ok(
    await waitFor(async () => (await servicePid(f.serviceFile)) !== undefined),
    'the powered command started',
  );
  assert.equal(await powerState(f), 'On');

  const again = await redfishtool(f, [...SYSTEM, 'reset', 'On']);
  assert.notEqual(again.code, 0);
  assert.match(again.out, /409/);

  const pid = (await servicePid(f.serviceFile))!;
  const off = await redfishtool(f, [...SYSTEM, 'reset', 'GracefulShutdown']);
  assert.equal(off.code, 0, off.out);
  assert.ok(await waitFor(() => f.sim.powerState() === 'Off'));
  assert.equal(await powerState(f), 'Off');
  assert.ok(!isAlive(pid), 'graceful shutdown stopped the powered command');

  await redfishtool(f, [...SYSTEM, 'reset', 'On']);
  assert.ok(await waitFor(async () => (await servicePid(f.serviceFile)) !== undefined));
  const pid2 = (await servicePid(f.serviceFile))!;
  const force = await redfishtool(f, [...SYSTEM, 'reset', 'ForceOff']);
  assert.equal(force.code, 0, force.out);
  assert.equal(f.sim.powerState(), 'Off');
  assert.ok(await waitFor(() => !isAlive(pid2)), 'ForceOff killed the powered command');
});

test('redfishtool: wrong password exits 5 (401); session auth logs in and out', async (t) => {
  const f = await startSimFixture(t);
  const bad = await redfishtool(f, [...SYSTEM, 'get'], 'wrong-password');
  assert.equal(bad.code, 5, bad.out);

  const r = await redfishtool(f, ['-A', 'Session', ...SYSTEM, 'get', '-P', 'PowerState']);
  assert.equal(r.code, 0, r.out);
  assert.ok(f.requests.includes('POST /redfish/v1/SessionService/Sessions'), 'a session was created');
  assert.ok(
    f.requests.some((l) => l.startsWith('DELETE /redfish/v1/SessionService/Sessions/')),
    'and deleted',
  );
  assert.equal(f.sim.sessionCount(), 0);
});
