// OpenStack's sushy (Debian python3-sushy) drives the BMC simulator over verified TLS: status, on,
// graceful shutdown, forced off, and session login/logout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSimFixture, waitFor, SIM_USER, SIM_PASSWORD, type SimFixture } from './gap-fixtures.js';

const SCRIPT = `
import json, sys, time, sushy
url, cert, user, mode = sys.argv[1:5]
pw = sys.stdin.readline().rstrip("\\n")
auth = sushy.auth.SessionAuth(username=user, password=pw) if mode == "session" else sushy.auth.BasicAuth(username=user, password=pw)
root = sushy.Sushy(url, verify=cert, auth=auth)
out = {}
def v(x):
    return str(getattr(x, "value", x))
s = root.get_system("/redfish/v1/Systems/System.Embedded.1")
out["initial"] = v(s.power_state)
out["allowed"] = sorted(v(x) for x in s.get_allowed_reset_system_values())
def wait(want):
    for _ in range(100):
        s.refresh()
        if v(s.power_state) == want:
            return True
        time.sleep(0.1)
    return False
s.reset_system(sushy.RESET_ON)
out["on"] = wait(v(sushy.POWER_STATE_ON))
s.reset_system(sushy.RESET_GRACEFUL_SHUTDOWN)
out["graceful"] = wait(v(sushy.POWER_STATE_OFF))
s.reset_system(sushy.RESET_ON)
wait(v(sushy.POWER_STATE_ON))
s.reset_system(sushy.RESET_FORCE_OFF)
out["forced"] = wait(v(sushy.POWER_STATE_OFF))
if mode == "session":
    out["session"] = bool(auth.get_session_key())
    auth.close()
print(json.dumps(out))
`;

async function sushy(f: SimFixture, mode: 'basic' | 'session'): Promise<Record<string, unknown>> {
  const cert = join(f.dir, 'bmc.pem');
  await writeFile(cert, f.sim.certPem);
  const env = { ...process.env };
  // Either variable silently overrides verify= in requests.
  delete env.REQUESTS_CA_BUNDLE;
  delete env.CURL_CA_BUNDLE;
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/python3', ['-c', SCRIPT, f.sim.url, cert, SIM_USER, mode], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`sushy exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>);
    });
    c.stdin.end(SIM_PASSWORD + '\n');
  });
}

test('sushy with Basic auth and a verified certificate: status, on, graceful shutdown, forced off', async (t) => {
  const f = await startSimFixture(t);
  const r = await sushy(f, 'basic');
  assert.equal(r.initial, 'Off');
  assert.ok((r.allowed as string[]).includes('GracefulShutdown'), JSON.stringify(r.allowed));
  assert.equal(r.on, true);
  assert.equal(r.graceful, true);
  assert.equal(r.forced, true);
  assert.equal(f.sim.powerState(), 'Off');
});

test('sushy with session auth: a session is created and closed', async (t) => {
  const f = await startSimFixture(t);
  const r = await sushy(f, 'session');
  assert.equal(r.session, true);
  assert.equal(r.forced, true);
  assert.ok(f.requests.includes('POST /redfish/v1/SessionService/Sessions'));
  assert.ok(await waitFor(() => f.sim.sessionCount() === 0), 'sushy logged out');
});
