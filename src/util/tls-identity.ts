// Self-signed TLS identities (ECDSA P-256) for the vault and the BMC simulator. Clients do not trust a
// CA; they pin the certificate's SHA-256 fingerprint (AA:BB:... as OpenSSL and Node print it).
// Made with the openssl binary: @peculiar/x509 needs a reflect-metadata polyfill we do not ship, and
// openssl is on every Debian host.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AirgapError } from '../errors.js';

const run = promisify(execFile);

export interface TlsIdentity {
  keyPem: string;
  certPem: string;
  fingerprint: string;
}

export function formatFingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

/** Fingerprints compare without colons, in any case. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[:\s]/g, '').toLowerCase();
}

export function fingerprintOfPem(certPem: string): string {
  return formatFingerprint(new X509Certificate(certPem).raw);
}

export async function generateTlsIdentity(commonName: string, altNames: string[]): Promise<TlsIdentity> {
  const names = [...new Set(['localhost', '127.0.0.1', ...altNames])];
  for (const n of names) {
    if (!isIP(n) && !/^[A-Za-z0-9*]([A-Za-z0-9.-]{0,252})$/.test(n)) {
      throw new AirgapError('USAGE', `invalid certificate name "${n}": use a DNS name or an IP address`);
    }
  }
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const dir = await mkdtemp(join(tmpdir(), 'airgap-vault-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '7300',
      '-sha256',
      '-subj',
      `/CN=${commonName.replace(/[^A-Za-z0-9 ._-]/g, '_').slice(0, 64) || 'airgap-vault'}`,
      '-addext',
      `subjectAltName=${san}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ]).catch((e: Error) => {
      throw new AirgapError(
        'IO',
        `openssl could not create the TLS certificate: ${e.message.split('\n')[0]}`,
      );
    });
    const certPem = await readFile(cert, 'utf8');
    return { keyPem: await readFile(key, 'utf8'), certPem, fingerprint: fingerprintOfPem(certPem) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
