// The vault daemon: HTTPS (keep-alive) over Fastify. The network API can list, read and add objects; it
// has no delete and no overwrite, and every rule is enforced here, on the vault, whatever the client does.
// Fastify because it gives body limits, request timeouts, content-type parsing and routing with typed
// errors for free; the routes stay a thin layer over store.ts.
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { AirgapError, fail, isAirgapError, type ErrorCode } from '../errors.js';
import { objectPath, openLocalBackend } from '../storage/local.js';
import { audit, loadVault, markSeen, readSecured } from './admin.js';
import { type CloseReason, type Deadman, startDeadman } from './deadman.js';
import { statusFor, type ErrorBody } from './http-errors.js';
import { immutableSupported, makeImmutableMarker } from './immutable.js';
import { type VaultLayout, manifestDir, repoDir } from './layout.js';
import { readManifest } from './retention.js';
import { receiveObject } from './receive.js';
import { checkObjectName, requireRepo, storeObject, type StoreContext } from './store.js';
import { fingerprintOfPem } from '../util/tls-identity.js';
import { makeTokenStore, type TokenRecord } from './tokens.js';

export interface StartVaultOptions {
  dataDir: string;
  /** Default: from vault.yaml `listen`. Port 0 picks a free port (tests). */
  port?: number;
  host?: string;
  /** Progress lines (start, window closed); default: none. */
  log?: (line: string) => void;
}

export interface RunningVault {
  url: string;
  port: number;
  fingerprint: string;
  immutable: boolean;
  /** Resolves when the dead man's switch has fired and its command ran. */
  windowClosed: Promise<CloseReason>;
  stop(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    vaultToken?: TokenRecord;
  }
}

interface Params {
  repo: string;
  type: string;
  name: string;
}

function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  extra?: Record<string, unknown>,
  status?: number,
) {
  const body: ErrorBody = { error: { ...(extra ?? {}), code, message } };
  return reply
    .code(status ?? statusFor(code))
    .type('application/json')
    .send(body);
}

export async function startVault(opts: StartVaultOptions): Promise<RunningVault> {
  const { layout, config } = await loadVault(opts.dataDir);
  const log = opts.log ?? (() => {});
  const [cfgHost, cfgPort] = splitListen(config.listen);
  const host = opts.host ?? cfgHost;
  const port = opts.port ?? cfgPort;
  const [key, cert] = await Promise.all([readFile(layout.tlsKey), readFile(layout.tlsCert, 'utf8')]).catch(
    (e) => {
      throw new AirgapError(
        'CONFIG',
        `cannot read the vault's TLS key or certificate: ${(e as Error).message}`,
      );
    },
  );
  const fingerprint = fingerprintOfPem(cert);
  await refuseSecondDaemon(layout);
  await removePartialUploads(layout);

  const immutableOn = await immutableSupported(layout.root);
  const immutable = makeImmutableMarker(immutableOn, (e) =>
    log(`warning: chattr +i failed: ${(e as Error).message}`),
  );
  const ctx: StoreContext = { layout, config, immutable };
  const tokens = makeTokenStore(layout.tokens);
  const failures = new Map<string, number[]>();
  const maxBody = config.limits.maxObjectSize;

  const app = Fastify({
    https: { key, cert },
    logger: false,
    bodyLimit: Math.ceil((maxBody * 4) / 3) + 1024 * 1024, // a snapshot travels as base64 inside JSON
    keepAliveTimeout: 30_000,
    connectionTimeout: config.limits.requestTimeoutMs,
    requestTimeout: config.limits.requestTimeoutMs,
    routerOptions: { maxParamLength: 128 },
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  app.removeContentTypeParser('text/plain'); // objects are bytes, snapshots JSON; nothing else
  // Objects are not parsed: the route streams them to disk (receive.ts), enforcing maxObjectSize itself.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  let deadman: Deadman | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      deadman?.cancel();
      clearInterval(seenTimer);
      await app.close();
      await immutable.flush();
      await markSeen(layout).catch(() => {});
      await unlink(layout.servePid).catch(() => {});
      await audit(layout, 'serve.stop', { pid: process.pid }).catch(() => {});
    })());

  const windowClosed = new Promise<CloseReason>((resolve) => {
    if (!config.deadman.enabled) return;
    deadman = startDeadman({
      idleMs: config.deadman.idleMs,
      maxWindowMs: config.deadman.maxWindowMs,
      command: config.deadman.command,
      onFire: async (reason) => {
        log(`closing the window (${reason}): running ${config.deadman.command.join(' ')}`);
        await audit(layout, 'window.close', { reason, command: config.deadman.command }).catch(() => {});
      },
      onResult: async (r) => {
        if (!r.ok) log(`the shutdown command failed: ${r.error}`);
        await audit(layout, 'window.shutdown-command', { reason: r.reason, ok: r.ok, error: r.error }).catch(
          () => {},
        );
      },
    });
    void deadman.done.then(resolve);
  });

  app.addHook('onRequest', async (req, reply) => {
    deadman?.begin();
    reply.raw.once('close', () => deadman?.end());
    if (req.url === '/v1/health' && req.method === 'GET') return;
    if (await readSecured(layout))
      return sendError(
        reply,
        'VAULT_SECURED',
        'the vault is secured (kill switch): no sessions until released locally',
      );
    if (deadman?.fired)
      return sendError(reply, 'VAULT_SECURED', 'the vault is closing its window', undefined, 503);
    const ip = req.ip;
    const now = Date.now();
    const recent = (failures.get(ip) ?? []).filter((t) => now - t < 60_000);
    failures.set(ip, recent);
    if (recent.length >= config.limits.authFailuresPerMinute) {
      return sendError(
        reply,
        'VAULT_LIMIT',
        'too many authentication failures: try again later',
        undefined,
        429,
      );
    }
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const r = m ? await tokens.authenticate(m[1]!) : ({ ok: false, reason: 'missing' } as const);
    if (!r.ok) {
      recent.push(now);
      await audit(layout, 'auth.failure', { ip, reason: r.reason }).catch(() => {});
      const what =
        r.reason === 'missing'
          ? 'no token given'
          : r.reason === 'unknown'
            ? 'invalid token'
            : `token ${r.reason}`;
      return sendError(reply, 'VAULT_AUTH', `authentication failed: ${what}`);
    }
    req.vaultToken = r.token;
  });

  const allow = (req: FastifyRequest, repo: string, write: boolean): void => {
    const t = req.vaultToken!;
    if (!t.repos.includes('*') && !t.repos.includes(repo))
      fail('VAULT_FORBIDDEN', `this token may not use repository ${repo}`);
    if (write && t.role !== 'replicator') fail('VAULT_FORBIDDEN', `a ${t.role} token cannot write`);
  };

  app.setErrorHandler((err, _req, reply) => {
    if (isAirgapError(err)) return sendError(reply, err.code, err.message, err.details);
    const e = err as { code?: string; statusCode?: number; message: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(reply, 'VAULT_LIMIT', 'request body larger than the vault accepts');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendError(reply, 'USAGE', 'unsupported content type', undefined, 415);
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
      return sendError(reply, 'USAGE', `bad request: ${e.message}`);
    log(`internal error: ${e.message}`);
    return sendError(reply, 'IO', 'internal error in the vault');
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, 'NOT_FOUND', 'no such endpoint'));

  app.get('/v1/health', async () => ({
    vaultId: config.vaultId,
    name: config.name,
    secured: (await readSecured(layout)) !== null,
    time: new Date().toISOString(),
  }));

  app.post('/v1/window/close', async (_req, reply) => {
    if (!deadman)
      return sendError(
        reply,
        'NOT_SUPPORTED',
        "the dead man's switch is disabled on this vault",
        undefined,
        409,
      );
    setImmediate(() => deadman!.fire('client'));
    return reply.code(202).send({ closing: true });
  });

  app.get<{ Params: Params }>('/v1/repos/:repo', async (req) => {
    allow(req, req.params.repo, false);
    await requireRepo(layout, req.params.repo);
    const b = openLocalBackend(repoDir(layout, req.params.repo));
    return { name: req.params.repo, initialized: await b.exists() };
  });

  app.get<{ Params: Params }>('/v1/repos/:repo/manifests/:name', async (req) => {
    allow(req, req.params.repo, false);
    await requireRepo(layout, req.params.repo);
    checkObjectName('snapshots', req.params.name);
    const m = await readManifest(manifestDir(layout, req.params.repo), req.params.name);
    if (!m) fail('NOT_FOUND', `no manifest for snapshot ${req.params.name}`);
    return m;
  });

  app.get<{ Params: Params }>('/v1/repos/:repo/:type', async (req) => {
    allow(req, req.params.repo, false);
    await requireRepo(layout, req.params.repo);
    const type = checkObjectName(req.params.type, req.params.type === 'config' ? 'config' : '0'.repeat(64));
    return openLocalBackend(repoDir(layout, req.params.repo)).list(type);
  });

  const objectFile = async (
    req: FastifyRequest<{ Params: Params }>,
  ): Promise<{ path: string; size: number }> => {
    allow(req, req.params.repo, false);
    await requireRepo(layout, req.params.repo);
    const type = checkObjectName(req.params.type, req.params.name);
    const path = objectPath(repoDir(layout, req.params.repo), type, req.params.name);
    const s = await stat(path).catch(() => null);
    if (!s) fail('NOT_FOUND', `object ${type}/${req.params.name} not found`);
    return { path, size: s.size };
  };

  app.head<{ Params: Params }>('/v1/repos/:repo/:type/:name', async (req, reply) => {
    const f = await objectFile(req);
    return reply.header('content-length', f.size).type('application/octet-stream').send();
  });

  app.get<{ Params: Params }>('/v1/repos/:repo/:type/:name', async (req, reply) => {
    const f = await objectFile(req);
    const range = req.headers.range;
    reply.type('application/octet-stream');
    if (range !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(range);
      const start = m ? Number(m[1]) : NaN;
      const end = m ? Number(m[2]) : NaN;
      if (!m || start > end || end >= f.size) {
        return sendError(reply, 'USAGE', 'invalid or unsatisfiable range', undefined, 416);
      }
      reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${f.size}`)
        .header('content-length', end - start + 1);
      return reply.send(createReadStream(f.path, { start, end }));
    }
    reply.header('content-length', f.size);
    return reply.send(createReadStream(f.path));
  });

  app.put<{ Params: Params; Body: unknown }>('/v1/repos/:repo/:type/:name', async (req, reply) => {
    allow(req, req.params.repo, true);
    const type = checkObjectName(req.params.type, req.params.name);
    if (isStream(req.body)) {
      const length = Number(req.headers['content-length']);
      const result = await receiveObject(
        ctx,
        req.params.repo,
        type,
        req.params.name,
        req.body,
        Number.isFinite(length) ? length : undefined,
      );
      return reply.code(result === 'created' ? 201 : 200).send({ result });
    }
    let bytes: Buffer;
    let manifest: unknown;
    if (
      req.body &&
      typeof req.body === 'object' &&
      typeof (req.body as { object?: unknown }).object === 'string'
    ) {
      const b = req.body as { object: string; manifest?: unknown };
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b.object)) fail('USAGE', 'the object is not valid base64');
      bytes = Buffer.from(b.object, 'base64');
      manifest = b.manifest;
    } else
      fail(
        'USAGE',
        'send the object as application/octet-stream (or a snapshot as JSON with object and manifest)',
      );
    if (type === 'snapshots' && manifest === undefined)
      fail('USAGE', 'a snapshot needs its manifest (refs and tags)');
    const out = await storeObject(ctx, req.params.repo, type, req.params.name, bytes, manifest, new Date());
    if (out.manifest && out.result === 'created') {
      await audit(layout, 'snapshot.commit', {
        repo: req.params.repo,
        snapshot: req.params.name,
        refs: out.manifest.refs.length,
        tags: out.manifest.tags,
        lockedUntil: out.manifest.lockedUntil,
        token: req.vaultToken!.id,
      });
    }
    return reply.code(out.result === 'created' ? 201 : 200).send({
      result: out.result,
      ...(out.manifest ? { lockedUntil: out.manifest.lockedUntil } : {}),
    });
  });

  for (const method of ['DELETE', 'POST', 'PATCH'] as const) {
    app.route({
      method,
      url: '/v1/repos/*',
      handler: async (req, reply) => {
        // A write-capable client never sends these: an attempt is worth a line in the audit log.
        await audit(layout, 'api.refused', {
          method: req.method,
          path: req.url.slice(0, 200),
          token: req.vaultToken?.id,
        }).catch(() => {});
        return sendError(
          reply,
          'VAULT_FORBIDDEN',
          'the vault has no delete and no overwrite: only local prune removes data',
          undefined,
          405,
        );
      },
    });
  }

  await app.listen({ host, port });
  const addr = app.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  await writeFile(layout.servePid, String(process.pid));
  await markSeen(layout);
  const seenTimer = setInterval(() => void markSeen(layout).catch(() => {}), 60_000);
  seenTimer.unref();
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `https://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${boundPort}`;
  await audit(layout, 'serve.start', {
    pid: process.pid,
    listen: `${host}:${boundPort}`,
    immutable: immutableOn,
  });
  log(`vault ${config.name} listening on ${host}:${boundPort} (fingerprint ${fingerprint})`);
  return { url, port: boundPort, fingerprint, immutable: immutableOn, windowClosed, stop };
}

function isStream(body: unknown): body is Readable {
  return body instanceof Readable;
}

function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), Number(listen.slice(i + 1))];
}

async function refuseSecondDaemon(l: VaultLayout): Promise<void> {
  const pid = Number((await readFile(l.servePid, 'utf8').catch(() => '')).trim());
  if (!pid || pid === process.pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale pid file from a crash
  }
  fail('TARGET_EXISTS', `a vault daemon already serves ${l.root} (pid ${pid})`);
}

/** A crash during an upload can leave a temporary file; it was never visible, and is removed at start. */
async function removePartialUploads(l: VaultLayout): Promise<void> {
  for (const repo of await readdir(l.reposDir).catch(() => [] as string[])) {
    const tmp = join(l.reposDir, repo, 'tmp');
    for (const f of await readdir(tmp).catch(() => [] as string[]))
      await unlink(join(tmp, f)).catch(() => {});
  }
}
