// Builds the driver a target's config asks for, with its password read from the environment or a 0600
// file (secrets.ts). The only place that knows every driver.
import { AirgapError } from '../errors.js';
import type { TargetConfig } from '../config/targets.js';
import type { DriverLog, GapDriver } from './driver.js';
import { createRedfishDriver } from './redfish.js';
import { parseRedfishAddress } from './redfish-client.js';
import { createIpmiDriver } from './ipmi.js';
import { createScriptDriver } from './script.js';
import { createWolDriver } from './wol.js';
import { readPassword } from './secrets.js';

export interface CreateDriverOptions {
  log?: DriverLog;
}

export function createDriver(
  target: TargetConfig,
  env: NodeJS.ProcessEnv = process.env,
  opts: CreateDriverOptions = {},
): GapDriver {
  const name = target.name ?? target.driver;
  switch (target.driver) {
    case 'redfish': {
      const password = requirePassword(name, target, env);
      if (target.insecure)
        opts.log?.(`WARNING: target ${name}: the BMC certificate is NOT checked (insecure: true)`);
      return createRedfishDriver({
        target: name,
        endpoint: parseRedfishAddress(target.address, target.insecure === true),
        fingerprint: target.fingerprint,
        insecure: target.insecure,
        username: target.username,
        password,
        auth: target.auth,
        systemId: target.systemId,
        requestTimeoutMs: target.requestTimeoutMs,
        busyRetries: target.busyRetries,
        log: opts.log,
      });
    }
    case 'ipmi':
      return createIpmiDriver({
        target: name,
        host: target.address,
        port: target.port,
        username: target.username,
        password: requirePassword(name, target, env),
        cipherSuites: target.cipherSuites,
        privilege: target.privilege,
        commandTimeoutMs: target.commandTimeoutMs,
        env,
        log: opts.log,
      });
    case 'script':
      return createScriptDriver({
        target: name,
        open: target.open,
        close: target.close,
        status: target.status,
        forceOff: target.forceOff,
        postStatus: target.postStatus,
        address: target.address,
        username: target.username,
        password: readPassword(name, target, env),
        timeoutMs: target.scriptTimeoutMs,
        extraEnv: target.env,
        env,
        log: opts.log,
      });
    case 'wol':
      return createWolDriver({
        target: name,
        mac: target.mac,
        broadcast: target.broadcast,
        port: target.port,
        probe: target.probe,
      });
  }
}

function requirePassword(
  name: string,
  src: { passwordEnv?: string | undefined; passwordFile?: string | undefined },
  env: NodeJS.ProcessEnv,
): string {
  const pw = readPassword(name, src, env);
  if (pw === undefined) throw new AirgapError('CONFIG', `target ${name} needs passwordEnv or passwordFile`);
  return pw;
}
