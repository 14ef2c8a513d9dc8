import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { generateTlsIdentity, fingerprintOfPem, normalizeFingerprint } from './tls-identity.js';

test('the self-signed identity is a P-256 key with a certificate whose fingerprint Node agrees with', async () => {
  const id = await generateTlsIdentity('vault-test', ['vault.example', '10.0.0.9']);
  const cert = new X509Certificate(id.certPem);
  assert.equal(cert.fingerprint256, id.fingerprint);
  assert.equal(fingerprintOfPem(id.certPem), id.fingerprint);
  assert.equal(createPrivateKey(id.keyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.checkPrivateKey(createPrivateKey(id.keyPem)));
  assert.match(cert.subjectAltName ?? '', /vault\.example/);
  assert.match(cert.subjectAltName ?? '', /10\.0\.0\.9/);
  assert.equal(
    normalizeFingerprint(id.fingerprint),
    normalizeFingerprint(id.fingerprint.toLowerCase().replace(/:/g, '')),
  );
});
