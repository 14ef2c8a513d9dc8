// startBmcSim: a Redfish BMC shaped like an iDRAC, over TLS with a self-signed certificate (or plain
// HTTP for a lab), in place of a server room for the demo and the tests.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileOrNull, writeFileAtomic } from '../util/durable-fs.js';
import type { PowerState } from '../gap/driver.js';
import { generateTlsIdentity } from '../util/tls-identity.js';
import { createSimHost, type HostFaults, type PoweredCommand } from './host.js';
import { createRedfishHandler, type ApiFaults } from './redfish-api.js';
import { createSessionStore } from './sessions.js';

export type BmcSimFaults = HostFaults & ApiFaults;

export interface BmcSimOptions {
  port?: number;
  host?: string;
  username: string;
  password: string;
  /** default true: HTTPS with a fresh self-signed certificate */
  tls?: boolean;
  bootDelayMs: number;
  /** time in POST after PowerState On; default half the boot delay */
  postDelayMs?: number;
  shutdownDelayMs: number;
  /** graceful shutdown: how long the powered command gets after SIGTERM before SIGKILL (default 10 s) */
  killAfterMs?: number;
  powerOnCommand?: PoweredCommand;
  commandStdio?: 'inherit' | 'ignore';
  faults?: BmcSimFaults;
  allowableVia?: 'inline' | 'actionInfo';
  maxSessions?: number;
  sessionIdleMs?: number;
  /** the power state is recorded here; a host recorded On is powered on again at start */
  stateFile?: string;
  log?: (line: string) => void;
}

export interface BmcSim {
  url: string;
  fingerprint: string;
  /** PEM of the certificate, for clients that verify with a CA bundle (sushy's verify=) */
  certPem: string;
  stop(): Promise<void>;
  powerState(): PowerState;
  /** Changes fault injection at run time (tests: fail only after the host is up). */
  setFaults(f: BmcSimFaults): void;
  sessionCount(): number;
}

export async function startBmcSim(o: BmcSimOptions): Promise<BmcSim> {
  const log = o.log ?? (() => {});
  const faults: BmcSimFaults = { ...(o.faults ?? {}) };
  let writes: Promise<void> = Promise.resolve();
  const record = (s: PowerState): void => {
    const file = o.stateFile;
    if (!file) return;
    writes = writes
      .then(() =>
        writeFileAtomic(file, JSON.stringify({ powerState: s, at: new Date().toISOString() }) + '\n'),
      )
      .catch((e: Error) => log(`cannot record the power state: ${e.message}`));
  };
  const host = createSimHost({
    bootDelayMs: o.bootDelayMs,
    postDelayMs: o.postDelayMs ?? Math.round(o.bootDelayMs / 2),
    shutdownDelayMs: o.shutdownDelayMs,
    killAfterMs: o.killAfterMs ?? 10_000,
    command: o.powerOnCommand,
    commandStdio: o.commandStdio ?? 'ignore',
    faults, // shared object: setFaults changes what the host does too
    onChange: record,
    log,
  });
  const sessions = createSessionStore(o.maxSessions ?? 8, o.sessionIdleMs ?? 30 * 60_000);
  const handler = createRedfishHandler({
    host,
    sessions,
    username: o.username,
    password: o.password,
    faults,
    allowableVia: o.allowableVia ?? 'inline',
    log,
  });

  const tls = o.tls !== false;
  let fingerprint = '';
  let certPem = '';
  let server: Server;
  if (tls) {
    const cert = await generateTlsIdentity('bmc-sim', []);
    fingerprint = cert.fingerprint;
    certPem = cert.certPem;
    server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler);
  } else server = createHttpServer(handler);
  server.keepAliveTimeout = 5000;
  const bindHost = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, bindHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = bindHost.includes(':')
    ? `[${bindHost}]`
    : bindHost === '0.0.0.0'
      ? '127.0.0.1'
      : bindHost;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${port}`;

  if (o.stateFile) {
    const prev = await readFileOrNull(o.stateFile);
    const s = prev ? (JSON.parse(prev.toString('utf8')) as { powerState?: string }).powerState : undefined;
    if (s === 'On' || s === 'PoweringOn') host.reset('On');
    else record('Off');
  }

  let stopped: Promise<void> | undefined;
  return {
    url,
    fingerprint,
    certPem,
    powerState: () => host.powerState(),
    setFaults(f) {
      for (const k of Object.keys(faults) as (keyof BmcSimFaults)[]) delete faults[k];
      Object.assign(faults, f);
    },
    sessionCount: () => sessions.list().length,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await host.stop();
        await writes;
      })();
      return stopped;
    },
  };
}
