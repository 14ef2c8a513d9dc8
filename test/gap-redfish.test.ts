// Our Redfish driver against the BMC simulator: the open/close sequence with a real powered process, and
// every fault mode ends with the host Off or a clear error, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirgapError } from '../src/errors.js';
import { createRedfishDriver, type RedfishDriverOptions } from '../src/gap/redfish.js';
import { parseRedfishAddress } from '../src/gap/redfish-client.js';
import { openGap } from '../src/gap/open.js';
import { closeGap } from '../src/gap/close.js';
import type { GapDriver } from '../src/gap/driver.js';
import {
  startSimFixture,
  serviceCheck,
  servicePid,
  isAlive,
  waitFor,
  SIM_USER,
  SIM_PASSWORD,
  type SimFixture,
} from './gap-fixtures.js';

function driverFor(f: SimFixture, extra: Partial<RedfishDriverOptions> = {}): GapDriver {
  const d = createRedfishDriver({
    target: 'vault1',
    endpoint: parseRedfishAddress(f.sim.url, false),
    fingerprint: f.sim.fingerprint,
    username: SIM_USER,
    password: SIM_PASSWORD,
    auth: 'basic',
    requestTimeoutMs: 2000,
    busyRetries: 2,
    busyBaseMs: 50,
    ...extra,
  });
  return d;
}

const fast = { pollMs: 100 };

async function expectCode(p: Promise<unknown>, code: string): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AirgapError, `expected an AirgapError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

test('open then close with sessions: stages in order, the powered service runs, then stops; the session is logged out', async (t) => {
  const f = await startSimFixture(t);
  const d = driverFor(f, { auth: 'session' });
  const events: string[] = [];
  const report = await openGap(d, {
    ...fast,
    timeouts: { bmcMs: 5000, powerOnMs: 5000, postMs: 5000, serviceMs: 5000 },
    serviceCheck: serviceCheck(f.serviceFile),
    onStage: (e) => events.push(`${e.stage}:${e.status}`),
  });
  assert.equal(report.ok, true);
  assert.deepEqual(
    events.filter((e) => !e.endsWith(':start')),
    ['bmc:ok', 'power:ok', 'post:ok', 'service:ok'],
  );
  assert.equal(f.sim.powerState(), 'On');
  assert.equal(await d.postState!(), 'past-post');
  assert.equal(f.sim.sessionCount(), 1);
  const pid = await servicePid(f.serviceFile);
  assert.ok(pid && isAlive(pid));

  const closed = await closeGap(d, { ...fast, timeouts: { gracefulMs: 5000, forceMs: 2000 } });
  assert.equal(closed.ok, true);
  assert.equal(closed.stages.find((s) => s.stage === 'wait-off' && s.status === 'ok')?.stage, 'wait-off');
  assert.equal(f.sim.powerState(), 'Off');
  assert.ok(await waitFor(() => !isAlive(pid!)), 'the powered command stopped');
  await d.dispose!();
  assert.equal(f.sim.sessionCount(), 0, 'session deleted on dispose');
});

test('allowed reset types read through @Redfish.ActionInfo; a redundant request (409 PSU501) is success', async (t) => {
  const f = await startSimFixture(t, { allowableVia: 'actionInfo' });
  const d = driverFor(f);
  await d.forceOff(); // already Off: iDRAC answers 409 PSU501, re-read says Off
  await d.powerOn();
  await d.powerOn(); // PoweringOn or On: 409, accepted
  assert.ok(f.requests.some((l) => l.includes('ResetActionInfo')));
  assert.ok(await waitFor(() => f.sim.powerState() === 'On'));
  await d.forceOff();
  assert.equal(f.sim.powerState(), 'Off');
});

test('never boots: the power stage times out with GAP_TIMEOUT, then close leaves it Off', async (t) => {
  const f = await startSimFixture(t, { faults: { neverBoots: true } });
  const d = driverFor(f);
  const e = await expectCode(openGap(d, { ...fast, timeouts: { powerOnMs: 800 } }), 'GAP_TIMEOUT');
  assert.equal(e.details?.stage, 'power');
  assert.match(e.message, /stage power did not complete/);
  assert.equal(f.sim.powerState(), 'PoweringOn');
  await closeGap(d, { ...fast, timeouts: { gracefulMs: 3000, forceMs: 2000 } });
  assert.equal(f.sim.powerState(), 'Off');
});

test('stuck in POST: the post stage times out, then close leaves it Off', async (t) => {
  const f = await startSimFixture(t, { faults: { stuckInPost: true } });
  const d = driverFor(f);
  const e = await expectCode(openGap(d, { ...fast, timeouts: { postMs: 800 } }), 'GAP_TIMEOUT');
  assert.equal(e.details?.stage, 'post');
  await closeGap(d, { ...fast, timeouts: { gracefulMs: 3000, forceMs: 2000 } });
  assert.equal(f.sim.powerState(), 'Off');
});

test('a host that ignores the graceful shutdown is forced off after the timeout', async (t) => {
  const f = await startSimFixture(t, { faults: { ignoreGracefulShutdown: true } });
  const d = driverFor(f);
  await openGap(d, { ...fast, serviceCheck: serviceCheck(f.serviceFile) });
  const pid = await servicePid(f.serviceFile);
  const r = await closeGap(d, { ...fast, timeouts: { gracefulMs: 600, forceMs: 2000 } });
  const st = Object.fromEntries(r.stages.filter((s) => s.status !== 'start').map((s) => [s.stage, s.status]));
  assert.deepEqual(st, { state: 'ok', graceful: 'ok', 'wait-off': 'failed', force: 'ok', confirm: 'ok' });
  assert.equal(f.sim.powerState(), 'Off');
  assert.ok(await waitFor(() => !isAlive(pid!)), 'ForceOff killed the powered command');
});

test('sessions refused: BMC_BUSY after backoff; Basic auth still works', async (t) => {
  const f = await startSimFixture(t, { faults: { refuseSessions: true } });
  await expectCode(driverFor(f, { auth: 'session' }).powerState(), 'BMC_BUSY');
  assert.equal(
    f.requests.filter((l) => l === 'POST /redfish/v1/SessionService/Sessions').length,
    3,
    'one try and two retries',
  );
  assert.equal(await driverFor(f).powerState(), 'Off');
});

test('503: retried with backoff and recovers; a BMC that stays busy gives BMC_BUSY at the bmc stage', async (t) => {
  const f = await startSimFixture(t, { faults: { busy: 2 } });
  assert.equal(await driverFor(f).powerState(), 'Off');
  f.sim.setFaults({ busy: true });
  const e = await expectCode(openGap(driverFor(f), { ...fast, timeouts: { bmcMs: 1000 } }), 'BMC_BUSY');
  assert.equal(e.details?.stage, 'bmc');
  assert.equal(f.sim.powerState(), 'Off');
});

test('a hanging BMC: every request times out (BMC_UNREACHABLE); closing a host it holds on fails clearly (CLOSE_FAILED)', async (t) => {
  const f = await startSimFixture(t);
  const d = driverFor(f, { requestTimeoutMs: 400 });
  await openGap(d, { ...fast });
  f.sim.setFaults({ hang: true });
  const e = await expectCode(d.powerState(), 'BMC_UNREACHABLE');
  assert.match(e.message, /did not answer/);
  const started = Date.now();
  const c = await expectCode(
    closeGap(d, { ...fast, timeouts: { gracefulMs: 800, forceMs: 800 } }),
    'CLOSE_FAILED',
  );
  assert.ok(Date.now() - started < 15_000, 'bounded');
  assert.match(c.message, /could not be confirmed closed/);
  f.sim.setFaults({});
  await closeGap(d, { ...fast, timeouts: { gracefulMs: 5000, forceMs: 2000 } });
  assert.equal(f.sim.powerState(), 'Off');
});

test('a wrong pinned fingerprint: BMC_IDENTITY before any request (and so the password) is sent', async (t) => {
  const f = await startSimFixture(t);
  const d = driverFor(f, { fingerprint: 'AA:'.repeat(31) + 'AA' });
  const e = await expectCode(openGap(d, { ...fast, timeouts: { bmcMs: 5000 } }), 'BMC_IDENTITY');
  assert.match(e.message, /does not match the pinned fingerprint/);
  assert.equal(f.requests.length, 0, 'no HTTP request reached the BMC');
});

test('wrong password: BMC_AUTH at once, the password is not in the message', async (t) => {
  const f = await startSimFixture(t);
  const started = Date.now();
  const e = await expectCode(
    openGap(driverFor(f, { password: 'not-the-pw' }), { ...fast, timeouts: { bmcMs: 30_000 } }),
    'BMC_AUTH',
  );
  assert.ok(Date.now() - started < 10_000, 'not retried until the stage timeout');
  assert.ok(!e.message.includes('not-the-pw'));
  assert.ok(!JSON.stringify(e.details).includes('not-the-pw'));
});

test('Redfish disabled (404 on the service) and an unreachable BMC give clear errors', async (t) => {
  const f = await startSimFixture(t, { faults: { redfishDisabled: true } });
  const e = await expectCode(driverFor(f).powerState(), 'BMC_PROTOCOL');
  assert.match(e.message, /Redfish may be disabled/);
  await f.sim.stop();
  const u = await expectCode(driverFor(f).powerState(), 'BMC_UNREACHABLE');
  assert.match(u.message, /connection refused/);
});
