// A minimal Redfish HTTP client over node:http with a verified socket (pinned-tls.ts). Every request has
// a timeout; 503 (busy, session limit) is retried with exponential backoff; 401 is an auth error (after
// one fresh login when sessions are used). Sessions, when chosen, are always logged out by logout().
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { AirgapError, isAirgapError } from '../errors.js';
import { connectVerified, networkError } from './pinned-tls.js';
import { deadlineSignal, sleep } from './wait.js';
import type { DriverLog } from './driver.js';

export interface RedfishEndpoint {
  host: string;
  port: number;
  tls: boolean;
}

export interface RedfishClientOptions {
  target: string;
  endpoint: RedfishEndpoint;
  fingerprint?: string | undefined;
  insecure?: boolean | undefined;
  username: string;
  password: string;
  auth: 'basic' | 'session';
  requestTimeoutMs?: number | undefined;
  busyRetries?: number | undefined;
  busyBaseMs?: number | undefined;
  log?: DriverLog | undefined;
}

export interface RedfishResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface RedfishClient {
  readonly what: string;
  request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<RedfishResponse>;
  logout(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;
const SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';

export function parseRedfishAddress(address: string, insecure: boolean): RedfishEndpoint {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `https://${address}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new AirgapError('CONFIG', `invalid Redfish address ${address}`);
  }
  const tls = u.protocol === 'https:';
  if (!tls && u.protocol !== 'http:') throw new AirgapError('CONFIG', `invalid Redfish address ${address}`);
  if (!tls && !insecure)
    throw new AirgapError(
      'CONFIG',
      `plain http to a BMC (${address}) sends the password in clear: needs insecure: true`,
    );
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
}

export function createRedfishClient(o: RedfishClientOptions): RedfishClient {
  const what = `BMC of target ${o.target} at ${o.endpoint.host}:${o.endpoint.port}`;
  const timeoutMs = o.requestTimeoutMs ?? 30_000;
  const retries = o.busyRetries ?? 4;
  const baseMs = o.busyBaseMs ?? 1000;
  let session: { token: string; location: string } | undefined;

  async function once(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<RedfishResponse> {
    const sig = deadlineSignal(timeoutMs, signal);
    const sock = await connectVerified({
      ...o.endpoint,
      fingerprint: o.fingerprint,
      insecure: o.insecure,
      what,
      signal: sig,
    });
    return new Promise<RedfishResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpRequest({
        method,
        path,
        host: o.endpoint.host,
        port: o.endpoint.port,
        createConnection: () => sock,
        headers: {
          Accept: 'application/json',
          'OData-Version': '4.0',
          Connection: 'close',
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }
            : {}),
          ...headers,
        },
      });
      const onAbort = (): void => {
        const r: unknown = sig.reason;
        const err =
          r instanceof AirgapError
            ? r
            : signal?.aborted
              ? new AirgapError('CANCELLED', 'cancelled')
              : new AirgapError(
                  'BMC_UNREACHABLE',
                  `the ${what} did not answer ${method} ${path} within ${timeoutMs} ms`,
                );
        req.destroy(err);
        sock.destroy();
        reject(err);
      };
      sig.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => {
        sig.removeEventListener('abort', onAbort);
        sock.destroy();
        reject(networkError(e, what));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) res.destroy(new Error('response too large'));
          else chunks.push(c);
        });
        res.on('error', (e) => {
          sig.removeEventListener('abort', onAbort);
          reject(networkError(e, what));
        });
        res.on('end', () => {
          sig.removeEventListener('abort', onAbort);
          sock.destroy();
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if (text.trim() !== '') {
            try {
              parsed = JSON.parse(text);
            } catch {
              /* some BMCs answer errors in HTML: keep the text */
            }
          } else parsed = undefined;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      });
      req.end(payload);
    });
  }

  async function withBusyRetry(
    method: string,
    path: string,
    body: unknown,
    headers: () => Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<RedfishResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await once(method, path, body, headers(), signal);
      if (res.status !== 503) return res;
      const id = messageIds(res.body).join(', ');
      const busy = new AirgapError(
        'BMC_BUSY',
        `the ${what} is busy (503${id ? ' ' + id : ''}${id.includes('RAC0218') ? ': session limit reached' : ''}) after ${attempt + 1} attempts`,
      );
      if (attempt >= retries) throw busy;
      const wait = baseMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
      o.log?.(`${what} answered 503${id ? ' ' + id : ''}; retrying in ${Math.round(wait)} ms`);
      try {
        await sleep(wait, signal);
      } catch (e) {
        // The caller's deadline fell inside the backoff: being busy is the fact worth reporting.
        throw isAirgapError(e, 'CANCELLED') ? e : busy;
      }
    }
  }

  async function login(signal?: AbortSignal): Promise<void> {
    const res = await withBusyRetry(
      'POST',
      SESSIONS_PATH,
      { UserName: o.username, Password: o.password },
      () => ({}),
      signal,
    );
    if (res.status === 401 || res.status === 403) throw authError();
    const token = header(res.headers, 'x-auth-token');
    const location = header(res.headers, 'location');
    if (res.status < 200 || res.status > 299 || !token || !location)
      throw new AirgapError('BMC_PROTOCOL', `the ${what} refused to create a session (HTTP ${res.status})`);
    session = { token, location: new URL(location, 'https://bmc').pathname };
  }

  function authError(): AirgapError {
    return new AirgapError('BMC_AUTH', `the ${what} rejected the credentials of user ${o.username}`);
  }

  function authHeaders(): Record<string, string> {
    if (session) return { 'X-Auth-Token': session.token };
    return { Authorization: 'Basic ' + Buffer.from(`${o.username}:${o.password}`).toString('base64') };
  }

  return {
    what,
    async request(method, path, body, signal) {
      const open = path === '/redfish/v1' || path === '/redfish/v1/';
      if (o.auth === 'session' && !session && !open) await login(signal);
      let res = await withBusyRetry(method, path, body, open ? () => ({}) : authHeaders, signal);
      if (res.status === 401 && session) {
        // The session expired (iDRAC drops idle ones after 30 min): log in again once.
        session = undefined;
        await login(signal);
        res = await withBusyRetry(method, path, body, authHeaders, signal);
      }
      if (res.status === 401) throw authError();
      return res;
    },
    async logout() {
      const s = session;
      session = undefined;
      if (!s) return;
      try {
        const res = await once('DELETE', s.location, undefined, { 'X-Auth-Token': s.token }, undefined);
        if (res.status >= 300) o.log?.(`logging out of the ${what} gave HTTP ${res.status}`);
      } catch (e) {
        o.log?.(`logging out of the ${what} failed: ${(e as Error).message}`);
      }
    },
  };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The MessageIds of a Redfish error body (`error.@Message.ExtendedInfo[]` or top-level ExtendedInfo). */
export function messageIds(body: unknown): string[] {
  const infos = extendedInfo(body);
  return infos.map((i) => (typeof i.MessageId === 'string' ? i.MessageId : '')).filter((s) => s !== '');
}

export function errorText(body: unknown): string {
  const infos = extendedInfo(body);
  const msgs = infos.map((i) => (typeof i.Message === 'string' ? i.Message : '')).filter((s) => s !== '');
  if (msgs.length > 0) return msgs.join('; ');
  const e = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof e?.message === 'string' ? e.message : '';
}

function extendedInfo(body: unknown): Array<Record<string, unknown>> {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  const err = (b.error ?? b) as Record<string, unknown>;
  const list = err['@Message.ExtendedInfo'];
  return Array.isArray(list)
    ? (list.filter((x) => x && typeof x === 'object') as Array<Record<string, unknown>>)
    : [];
}
