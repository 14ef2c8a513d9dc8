import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirgapError } from '../errors.js';
import { parseConfig } from './load.js';

function issue(text: string): string {
  try {
    parseConfig(text, '/etc/airgap/airgap.yaml');
  } catch (e) {
    assert.ok(e instanceof AirgapError && e.code === 'CONFIG');
    return e.message;
  }
  return assert.fail('expected a config error');
}

test('a valid config gets names, defaults and paths resolved against its directory', () => {
  const c = parseConfig(
    'targets:\n  v1:\n    driver: ipmi\n    address: 10.0.0.5\n    username: admin\n    passwordFile: secrets/bmc\n',
    '/etc/airgap/airgap.yaml',
  );
  const t = c.targets.v1!;
  assert.equal(t.name, 'v1');
  assert.ok(t.driver === 'ipmi' && t.port === 623 && t.cipherSuites.join() === '17,3');
  assert.equal(t.driver === 'ipmi' && t.passwordFile, '/etc/airgap/secrets/bmc');
});

test('schema errors point at the line and column', () => {
  const text =
    'targets:\n  v1:\n    driver: redfish\n    address: bmc\n    username: root\n    timeouts:\n      postMs: -5\n';
  assert.match(issue(text), /airgap\.yaml:7:15: targets\.v1\.timeouts\.postMs: /);
  assert.match(
    issue(text),
    /airgap\.yaml:3:5: targets\.v1\.fingerprint: a Redfish target needs the BMC certificate fingerprint/,
  );
  assert.match(
    issue('targets:\n  v1:\n    driver: carrier-pigeon\n'),
    /:3:13: targets\.v1\.driver: driver must be one of/,
  );
  assert.match(issue('targets: {}\ntargetz: 3\n'), /:2:1: unknown key targetz/);
});

test('YAML syntax errors give the line', () => {
  assert.match(issue('targets:\n  v1: [\n'), /airgap\.yaml:\d+:\d+: /);
});
