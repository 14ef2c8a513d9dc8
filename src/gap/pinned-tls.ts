// TLS to a BMC: BMCs ship self-signed certificates, so trust is a pinned SHA-256 fingerprint of the
// certificate. The connection is checked before a single byte of the request (and so the credentials)
// is written; only an explicit `insecure` target skips the check.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import { AirgapError } from '../errors.js';

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

/** "AB:CD:…" as Node and openssl print it. */
export function formatFingerprint(fp: string): string {
  return normalizeFingerprint(fp).toUpperCase().match(/.{2}/g)?.join(':') ?? '';
}

export interface ConnectOptions {
  host: string;
  port: number;
  tls: boolean;
  fingerprint?: string | undefined; // required when tls and not insecure
  insecure?: boolean | undefined;
  what: string; // for messages: "BMC of target vault1 at 10.0.0.5:443"
  signal: AbortSignal;
}

/** Opens a connection, verified as described above; rejects with typed errors. */
export function connectVerified(o: ConnectOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: AirgapError | null, s?: Socket): void => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(s!);
    };
    const onAbort = (): void => done(abortedError(o));
    const sock: Socket = o.tls
      ? tlsConnect({ host: o.host, port: o.port, rejectUnauthorized: false, servername: sniName(o.host) })
      : netConnect({ host: o.host, port: o.port });
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.signal.aborted) return onAbort();
    sock.once('error', (e) => done(networkError(e, o.what)));
    sock.once(o.tls ? 'secureConnect' : 'connect', () => {
      if (o.tls && !o.insecure) {
        const got = (sock as TLSSocket).getPeerCertificate()?.fingerprint256 ?? '';
        if (!o.fingerprint || normalizeFingerprint(got) !== normalizeFingerprint(o.fingerprint))
          return done(
            new AirgapError(
              'BMC_IDENTITY',
              `the TLS certificate of the ${o.what} does not match the pinned fingerprint (got ${got || 'none'}); ` +
                'if the BMC certificate was replaced on purpose, update the fingerprint in the config',
              { presented: got },
            ),
          );
      }
      done(null, sock);
    });
  });
}

function sniName(host: string): string | undefined {
  return /^[\d.]+$|:/.test(host) ? undefined : host;
}

function abortedError(o: ConnectOptions): AirgapError {
  const r: unknown = o.signal.reason;
  if (r instanceof AirgapError) return r;
  if (r instanceof Error && r.name === 'TimeoutError')
    return new AirgapError('BMC_UNREACHABLE', `the ${o.what} did not answer in time`);
  return new AirgapError('CANCELLED', 'cancelled');
}

export function networkError(e: unknown, what: string): AirgapError {
  if (e instanceof AirgapError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'name not found',
    EAI_AGAIN: 'name lookup failed',
    ETIMEDOUT: 'connection timed out',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection closed',
  };
  const reason = why[code] ?? (e as Error).message ?? String(e);
  return new AirgapError('BMC_UNREACHABLE', `cannot reach the ${what}: ${reason}`, {
    cause: code || undefined,
  });
}
