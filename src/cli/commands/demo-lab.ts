// A whole air-gap installation on one machine, for `airgap demo` and the end-to-end tests: a primary
// repository, a vault data directory with a replicator token, and a Redfish BMC simulator (TLS) whose
// power-on starts the real vault process (`airgap vault serve`) and whose power-off stops it. Writes an
// airgap.yaml that the replication task reads like any other; secrets go to 0600 files, never to argv.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { addToken, initVault } from '../../vault/admin.js';
import { startBmcSim, type BmcSim, type BmcSimFaults } from '../../bmc-sim/index.js';
import { openLocalBackend } from '../../storage/local.js';
import { initRepository } from '../../repository/repository.js';
import type { PlanConfig } from '../../config/plans.js';

/** The CLI entry of this very installation: the vault process runs the same code. */
export const CLI_ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

export interface LabOptions {
  dir: string;
  bootDelayMs?: number;
  shutdownDelayMs?: number;
  /** Overrides of the plan written to airgap.yaml. */
  plan?: Partial<PlanConfig>;
  /** Target (gap) timeouts written to airgap.yaml. */
  gapTimeouts?: Record<string, number>;
  /** The command the simulated host runs while powered on; default: the vault. */
  poweredCommand?: { cmd: string; args: string[] };
  faults?: BmcSimFaults;
  packSize?: number;
  /** Extra fields of the Redfish target (busyRetries, requestTimeoutMs…). */
  targetExtra?: Record<string, unknown>;
  /** HTTPS with a pinned self-signed certificate (default), or plain HTTP for a lab. */
  tls?: boolean;
  log?: (line: string) => void;
}

export interface Lab {
  dir: string;
  configPath: string;
  stateDir: string;
  dataDir: string;
  primary: string;
  vaultDir: string;
  vaultUrl: string;
  vaultPort: number;
  vaultFingerprint: string;
  bmcUrl: string;
  bmcFingerprint: string;
  passwordFile: string;
  tokenFile: string;
  bmcPasswordFile: string;
  /** The pid file the vault process writes when started by the simulated host. */
  vaultPidFile: string;
  /** The BMC simulator itself: power state, fault injection at run time. */
  sim: BmcSim;
  powerState(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the vault must listen on a port fixed in the config before it runs). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function secretFile(path: string, value: string): Promise<void> {
  await writeFile(path, value + '\n', { mode: 0o600 });
}

/** Removes a lab directory; the vault marks objects immutable and its audit log append-only (chattr). */
export async function removeLab(dir: string): Promise<void> {
  await new Promise<void>((res) => {
    const c = spawn('chattr', ['-R', '-i', '-a', dir], { stdio: 'ignore' });
    c.on('error', () => res());
    c.on('close', () => res());
  });
  await rm(dir, { recursive: true, force: true });
}

export async function startLab(o: LabOptions): Promise<Lab> {
  const secrets = join(o.dir, 'secrets');
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  const passwordFile = join(secrets, 'repo.pass');
  const tokenFile = join(secrets, 'vault.token');
  const bmcPasswordFile = join(secrets, 'bmc.pass');
  const password = randomBytes(18).toString('base64url');
  const bmcPassword = randomBytes(18).toString('base64url');
  await secretFile(passwordFile, password);
  await secretFile(bmcPasswordFile, bmcPassword);

  const primary = join(o.dir, 'primary');
  await initRepository(openLocalBackend(primary), password, o.packSize ? { packSize: o.packSize } : {});

  const vaultDir = join(o.dir, 'vault');
  const vaultPort = await freePort();
  // The dead man's switch has nothing to power off here: the simulated BMC does that.
  const v = await initVault({
    dataDir: vaultDir,
    name: 'demo-vault',
    repos: ['main'],
    listen: `127.0.0.1:${vaultPort}`,
    shutdownCommand: ['true'],
  });
  const t = await addToken(vaultDir, { role: 'replicator', repos: ['main'], name: 'demo replicator' });
  await secretFile(tokenFile, t.token);

  const vaultPidFile = join(o.dir, 'vault.pid');
  const powered = o.poweredCommand ?? {
    cmd: '/bin/sh',
    // exec: the pid written is the vault process itself, so a test can prove it is gone.
    args: [
      '-c',
      `echo $$ > "$0"; exec "$1" "$2" vault --data "$3" serve`,
      vaultPidFile,
      process.execPath,
      CLI_ENTRY,
      vaultDir,
    ],
  };
  const sim = await startBmcSim({
    port: 0,
    username: 'admin',
    password: bmcPassword,
    tls: o.tls ?? true,
    bootDelayMs: o.bootDelayMs ?? 3000,
    shutdownDelayMs: o.shutdownDelayMs ?? 300,
    powerOnCommand: powered,
    ...(o.faults ? { faults: o.faults } : {}),
    ...(o.log ? { log: o.log } : {}),
  });

  const vaultUrl = `vault+https://127.0.0.1:${vaultPort}/main`;
  const stateDir = join(o.dir, 'state');
  const config = {
    version: 1,
    targets: {
      'demo-vault': {
        driver: 'redfish',
        address: sim.url,
        ...(o.tls === false ? { insecure: true } : { fingerprint: sim.fingerprint }),
        username: 'admin',
        passwordFile: bmcPasswordFile,
        pollMs: 250,
        ...o.targetExtra,
        timeouts: {
          bmcMs: 10_000,
          powerOnMs: 30_000,
          postMs: 30_000,
          serviceMs: 30_000,
          gracefulMs: 15_000,
          forceMs: 10_000,
          ...o.gapTimeouts,
        },
      },
    },
    vaults: { 'demo-vault': { url: vaultUrl, fingerprint: v.fingerprint, tokenFile } },
    plans: {
      demo: {
        source: { repo: primary, passwordFile },
        target: 'demo-vault',
        vault: 'demo-vault',
        verify: { sampleFiles: 10 },
        ...o.plan,
      },
    },
  };
  const configPath = join(o.dir, 'airgap.yaml');
  await writeFile(configPath, stringify(config), { mode: 0o600 });
  const dataDir = join(o.dir, 'data');
  await mkdir(dataDir, { recursive: true });

  return {
    dir: o.dir,
    configPath,
    stateDir,
    dataDir,
    primary,
    vaultDir,
    vaultUrl,
    vaultPort,
    vaultFingerprint: v.fingerprint,
    bmcUrl: sim.url,
    bmcFingerprint: sim.fingerprint,
    passwordFile,
    tokenFile,
    bmcPasswordFile,
    vaultPidFile,
    sim,
    powerState: () => String(sim.powerState()),
    stop: () => sim.stop(),
  };
}
