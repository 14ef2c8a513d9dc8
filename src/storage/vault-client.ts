// The vault as a repository backend, over HTTPS with keep-alive. The vault's self-signed certificate is
// pinned by its SHA-256 fingerprint: the check happens when the TLS handshake completes and before the
// socket is handed to HTTP, so nothing (not even the token) is sent to an impostor.
import type http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { AirgapError, fail, type ErrorCode } from '../errors.js';
import type { Backend, ObjectInfo, ObjectType, PutOptions, PutResult } from './backend.js';

export interface VaultCreds {
  fingerprint: string;
  token: string;
}

export interface VaultLocation {
  host: string;
  port: number;
  repo: string;
  baseUrl: string;
}

export function parseVaultLocation(location: string): VaultLocation {
  const m = /^vault\+https:\/\/(\[[0-9a-fA-F:.]+\]|[^/:[\]]+):(\d{1,5})\/([a-z0-9][a-z0-9_-]{0,63})\/?$/.exec(
    location,
  );
  if (!m) fail('USAGE', `invalid vault location "${location}": expected vault+https://HOST:PORT/REPOSITORY`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) fail('USAGE', `invalid port in ${location}`);
  return { host, port, repo: m[3]!, baseUrl: `https://${m[1]}:${port}` };
}

function normalizeFingerprint(fp: string): string {
  const n = fp.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(n))
    fail('USAGE', 'the vault fingerprint must be a SHA-256 in hex (with or without colons)');
  return n;
}

/** An agent whose sockets are only handed out after the peer certificate matched the pin. */
class PinnedAgent extends https.Agent {
  constructor(
    private readonly pin: string,
    opts: https.AgentOptions,
  ) {
    super(opts);
  }
  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const socket = tls.connect({
      host,
      port: Number(options.port),
      servername: isIP(host) ? undefined : host,
      rejectUnauthorized: false, // trust comes from the pin, not from a CA
      ALPNProtocols: ['http/1.1'],
    });
    socket.setNoDelay(true); // headers and small requests must not wait for a delayed ACK (Nagle)
    let settled = false;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      callback?.(err, socket);
    };
    socket.once('secureConnect', () => {
      const fp = socket.getPeerCertificate().fingerprint256 ?? '';
      if (fp.replace(/:/g, '').toLowerCase() !== this.pin) {
        socket.destroy();
        done(
          new AirgapError(
            'VAULT_IDENTITY',
            `the vault at ${host}:${String(options.port)} is not the one pinned: certificate fingerprint ${fp} does not match`,
          ),
        );
      } else done(null);
    });
    socket.once('error', (e) => done(e));
    return undefined;
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const KNOWN_CODES = new Set<ErrorCode>([
  'USAGE',
  'VAULT_AUTH',
  'VAULT_SECURED',
  'VAULT_FORBIDDEN',
  'VAULT_LIMIT',
  'NOT_FOUND',
  'REPO_NOT_FOUND',
  'OBJECT_EXISTS_DIFFERENT',
  'NO_SPACE',
  'NOT_SUPPORTED',
]);

function errorFromReply(r: Reply, what: string): AirgapError {
  let code: ErrorCode | undefined;
  let message = '';
  let details: Record<string, unknown> | undefined;
  try {
    const e = (JSON.parse(r.body.toString('utf8')) as { error?: { code?: string; message?: string } }).error;
    if (e?.code && KNOWN_CODES.has(e.code as ErrorCode)) code = e.code as ErrorCode;
    message = typeof e?.message === 'string' ? e.message : '';
    const { code: _c, message: _m, ...rest } = e ?? {};
    if (Object.keys(rest).length > 0) details = rest;
  } catch {
    // not our JSON: fall back on the status
  }
  if (!code) {
    code =
      r.status === 401
        ? 'VAULT_AUTH'
        : r.status === 403 || r.status === 405
          ? 'VAULT_FORBIDDEN'
          : r.status === 404
            ? 'NOT_FOUND'
            : r.status === 409
              ? 'OBJECT_EXISTS_DIFFERENT'
              : r.status === 413 || r.status === 429
                ? 'VAULT_LIMIT'
                : r.status === 503
                  ? 'VAULT_SECURED'
                  : r.status === 507
                    ? 'NO_SPACE'
                    : 'VAULT_PROTOCOL';
  }
  return new AirgapError(code, `vault: ${what}: ${message || `HTTP ${r.status}`}`, details);
}

const TRANSIENT = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Request bodies go out in slices: one 16 MiB write makes TLS encrypt into a fresh 16 MiB buffer at
 * once (slow page faults, the event loop blocked meanwhile); slices reuse warm memory and keep the
 * socket busy while the vault reads. Stops quietly when the vault answered early (an error). */
const BODY_SLICE = 256 * 1024;

function writeBody(req: http.ClientRequest, body: Buffer | undefined): void {
  if (!body || body.length <= BODY_SLICE) {
    req.end(body);
    return;
  }
  let off = 0;
  const next = (): void => {
    while (off < body.length) {
      if (req.destroyed) return;
      const end = Math.min(off + BODY_SLICE, body.length);
      const more = req.write(body.subarray(off, end));
      off = end;
      if (!more) {
        req.once('drain', next);
        return;
      }
    }
    req.end();
  };
  next();
}

interface Client {
  request(
    method: string,
    path: string,
    opts?: { body?: Buffer; headers?: Record<string, string>; what?: string; signal?: AbortSignal },
  ): Promise<Reply>;
  close(): void;
}

function makeClient(baseUrl: string, fingerprint: string, token: string | null, keepAlive: boolean): Client {
  const pin = normalizeFingerprint(fingerprint);
  const agent = new PinnedAgent(pin, { keepAlive, maxSockets: 8, keepAliveMsecs: 10_000 });
  const url = new URL(baseUrl);
  const once = (
    method: string,
    path: string,
    o: { body?: Buffer; headers?: Record<string, string>; signal?: AbortSignal },
  ) =>
    new Promise<Reply>((resolve, reject) => {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      if (o.body) headers['content-length'] = String(o.body.length);
      const req = https.request(
        {
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: Number(url.port),
          method,
          path,
          headers,
          agent,
          timeout: 120_000,
          signal: o.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      writeBody(req, o.body);
    });
  return {
    async request(method, path, o = {}) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(method, path, o);
        } catch (e) {
          if (e instanceof AirgapError) throw e;
          const err = e as NodeJS.ErrnoException;
          if (err.name === 'AbortError') throw new AirgapError('CANCELLED', 'vault request cancelled');
          // A keep-alive socket closed by the vault, or a vault restarting: every request here is
          // idempotent (identical re-PUT is accepted), so retrying is safe.
          if (
            attempt < 4 &&
            (TRANSIENT.has(err.code ?? '') || (attempt < 2 && err.code === 'ECONNREFUSED'))
          ) {
            await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
            continue;
          }
          const why =
            UNREACHABLE.has(err.code ?? '') || TRANSIENT.has(err.code ?? '') ? err.code : err.message;
          throw new AirgapError(
            'VAULT_UNREACHABLE',
            `vault ${url.host} unreachable (${why}) during ${o.what ?? method}`,
            undefined,
            {
              cause: e,
            },
          );
        }
      }
    },
    close() {
      agent.destroy();
    },
  };
}

export function openVaultBackend(location: string, creds: VaultCreds): Backend {
  const loc = parseVaultLocation(location);
  if (!creds.token) fail('USAGE', 'a vault repository needs a token');
  const client = makeClient(loc.baseUrl, creds.fingerprint, creds.token, true);
  const base = `/v1/repos/${loc.repo}`;
  const objPath = (type: ObjectType, name: string): string => `${base}/${type}/${encodeURIComponent(name)}`;
  const expectOk = (r: Reply, what: string, ok: number[] = [200]): Reply => {
    if (!ok.includes(r.status)) throw errorFromReply(r, what);
    return r;
  };
  return {
    location,
    capabilities: { delete: false, locks: false },

    async exists() {
      const r = await client.request('GET', base, { what: 'checking the repository' });
      if (r.status === 404) {
        const e = errorFromReply(r, `repository ${loc.repo}`);
        if (e.code === 'REPO_NOT_FOUND') return false;
        throw e;
      }
      expectOk(r, `repository ${loc.repo}`);
      return (JSON.parse(r.body.toString('utf8')) as { initialized: boolean }).initialized;
    },

    async create() {
      const r = await client.request('GET', base, { what: 'checking the repository' });
      if (r.status === 404) {
        throw new AirgapError(
          'REPO_NOT_FOUND',
          `repository ${loc.repo} does not exist on the vault: create it there with \`airgap vault repo add ${loc.repo}\``,
        );
      }
      expectOk(r, `repository ${loc.repo}`);
    },

    async put(type, name, data, options?: PutOptions): Promise<PutResult> {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      let body: Buffer;
      let contentType: string;
      if (type === 'snapshots') {
        if (!options?.snapshot) fail('USAGE', 'writing a snapshot to a vault needs its refs and tags');
        body = Buffer.from(JSON.stringify({ object: bytes.toString('base64'), manifest: options.snapshot }));
        contentType = 'application/json';
      } else {
        body = bytes;
        contentType = 'application/octet-stream';
      }
      const r = await client.request('PUT', objPath(type, name), {
        body,
        headers: { 'content-type': contentType },
        what: `uploading ${type}/${name}`,
      });
      expectOk(r, `uploading ${type}/${name}`, [200, 201]);
      return r.status === 201 ? 'created' : 'exists';
    },

    async get(type, name) {
      const r = await client.request('GET', objPath(type, name), { what: `reading ${type}/${name}` });
      return expectOk(r, `reading ${type}/${name}`).body;
    },

    async getRange(type, name, offset, length) {
      if (length === 0) return Buffer.alloc(0);
      const r = await client.request('GET', objPath(type, name), {
        headers: { range: `bytes=${offset}-${offset + length - 1}` },
        what: `reading ${type}/${name}`,
      });
      if (r.status === 416) fail('INTEGRITY', `object ${type}/${name} is shorter than expected`);
      expectOk(r, `reading ${type}/${name}`, [206]);
      if (r.body.length !== length) fail('INTEGRITY', `object ${type}/${name} is shorter than expected`);
      return r.body;
    },

    async stat(type, name): Promise<ObjectInfo | null> {
      const r = await client.request('HEAD', objPath(type, name), { what: `checking ${type}/${name}` });
      if (r.status === 404) return null;
      expectOk(r, `checking ${type}/${name}`);
      return { name, size: Number(r.headers['content-length'] ?? 0) };
    },

    async list(type) {
      const r = await client.request('GET', `${base}/${type}`, { what: `listing ${type}` });
      return JSON.parse(expectOk(r, `listing ${type}`).body.toString('utf8')) as ObjectInfo[];
    },

    async delete() {
      fail(
        'NOT_SUPPORTED',
        'the vault has no delete: expired data is pruned on the vault itself (`airgap vault prune`)',
      );
    },

    async close() {
      client.close();
    },
  };
}

export interface VaultHealth {
  vaultId: string;
  name: string;
  secured: boolean;
  time: string;
}

/** The readiness gate: answers only if the service is up and proves the pinned identity. */
export async function vaultHealth(
  baseUrl: string,
  fingerprint: string,
  signal?: AbortSignal,
): Promise<VaultHealth> {
  const client = makeClient(baseUrl.replace(/^vault\+/, ''), fingerprint, null, false);
  try {
    const r = await client.request('GET', '/v1/health', { signal, what: 'health check' });
    if (r.status !== 200) throw errorFromReply(r, 'health check');
    return JSON.parse(r.body.toString('utf8')) as VaultHealth;
  } finally {
    client.close();
  }
}

/** Tells the vault this client is done: it runs its shutdown command (dead man's switch) promptly. */
export async function closeVaultWindow(
  location: string,
  creds: VaultCreds,
  signal?: AbortSignal,
): Promise<void> {
  const loc = parseVaultLocation(location);
  const client = makeClient(loc.baseUrl, creds.fingerprint, creds.token, false);
  try {
    const r = await client.request('POST', '/v1/window/close', { signal, what: 'closing the window' });
    if (r.status !== 202) throw errorFromReply(r, 'closing the window');
  } finally {
    client.close();
  }
}
