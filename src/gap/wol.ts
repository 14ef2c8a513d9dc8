// The Wake-on-LAN gap driver: opening only. A magic packet powers the vault on; there is no way to ask
// for a shutdown, so closing relies on the vault's own shutdown (its dead man's switch). The power state
// is known only through an optional TCP probe of a port that answers while the vault is up.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { AirgapError } from '../errors.js';
import type { GapDriver, PowerState } from './driver.js';

export interface WolDriverOptions {
  target: string;
  mac: string;
  broadcast: string;
  port: number;
  probe?: { host: string; port: number } | undefined;
}

export function magicPacket(mac: string): Buffer {
  const bytes = Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
  if (bytes.length !== 6) throw new AirgapError('CONFIG', `invalid MAC address ${mac}`);
  return Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => bytes)]);
}

export function createWolDriver(o: WolDriverOptions): GapDriver {
  const packet = magicPacket(o.mac);
  const probe = o.probe;
  return {
    kind: 'wol',
    canReadPowerState: probe !== undefined,
    describe: () => `wol target ${o.target} (${o.mac} via ${o.broadcast}:${o.port})`,
    async powerState(signal) {
      if (!probe) return 'Unknown';
      return tcpProbe(probe.host, probe.port, signal);
    },
    async powerOn() {
      const sock = createSocket(o.broadcast.includes(':') ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(0, () => {
            sock.setBroadcast(true);
            resolve();
          });
        });
        // UDP can drop a packet; NICs ignore duplicates, so send a few.
        for (let i = 0; i < 3; i++)
          await new Promise<void>((resolve, reject) =>
            sock.send(packet, o.port, o.broadcast, (e) => (e ? reject(e) : resolve())),
          );
      } catch (e) {
        throw new AirgapError(
          'POWER_FAILED',
          `cannot send the Wake-on-LAN packet for target ${o.target}: ${(e as Error).message}`,
        );
      } finally {
        sock.close();
      }
    },
    gracefulOff() {
      return Promise.reject(
        new AirgapError(
          'NOT_SUPPORTED',
          `Wake-on-LAN cannot shut target ${o.target} down; the vault shuts itself down`,
        ),
      );
    },
    forceOff() {
      return Promise.reject(
        new AirgapError('NOT_SUPPORTED', `Wake-on-LAN cannot power target ${o.target} off`),
      );
    },
  };
}

function tcpProbe(host: string, port: number, signal?: AbortSignal): Promise<PowerState> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (st: PowerState): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      s.destroy();
      resolve(st);
    };
    const onAbort = (): void => done('Off');
    const timer = setTimeout(() => done('Off'), 3000);
    signal?.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => done('On'));
    s.once('error', () => done('Off'));
  });
}
