// A self-signed TLS certificate for the simulator, as a real BMC ships one: clients must pin it.
// Made with Debian's openssl (the x509 npm package needs a reflect polyfill we do not ship).
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AirgapError } from '../errors.js';

export interface SelfSigned {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER certificate, "AB:CD:…" as Node's fingerprint256 prints it. */
  fingerprint: string;
}

export async function generateSelfSigned(commonName: string): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'bmc-sim-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
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
      '3650',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]).catch((e: Error) => {
      throw new AirgapError('IO', `cannot create the simulator's TLS certificate with openssl: ${e.message}`);
    });
    const certPem = await readFile(cert, 'utf8');
    const keyPem = await readFile(key, 'utf8');
    const der = new X509Certificate(certPem).raw;
    const fingerprint = createHash('sha256')
      .update(der)
      .digest('hex')
      .toUpperCase()
      .match(/.{2}/g)!
      .join(':');
    return { certPem, keyPem, fingerprint };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
