// Shared setup of the replication end-to-end tests: a lab (BMC simulator + real vault process + primary
// repository) with a backed-up data set, and checks that the vault process is really gone.
import { readFile, readdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, removeLab, type Lab, type LabOptions } from '../src/cli/commands/demo-lab.js';
import { makeSampleData } from '../src/cli/commands/demo-data.js';
import { openLocalBackend } from '../src/storage/local.js';
import { openRepository } from '../src/repository/repository.js';
import { backup } from '../src/ops/backup.js';
import { runCli, type CliResult } from './helpers/cli.js';
import type { ReplicationReport } from '../src/tasks/report.js';

process.env.AIRGAP_KDF_N ??= '1024';

export interface TestLab extends Lab {
  snapshotId: string;
  password: string;
  replicate(
    extra?: string[],
    opts?: { timeoutMs?: number },
  ): Promise<CliResult & { report?: ReplicationReport }>;
  /** Objects of a type in the vault's copy of the repository (read directly from its data directory). */
  vaultObjects(type: string): Promise<number>;
  cleanup(): Promise<void>;
}

export async function testLab(
  t: { after(fn: () => Promise<void>): void },
  o: Partial<LabOptions> & { mib?: number } = {},
): Promise<TestLab> {
  const dir = await mkdtemp(join(tmpdir(), 'airgap-repl-'));
  const lab = await startLab({
    dir,
    bootDelayMs: 300,
    shutdownDelayMs: 100,
    tls: process.env.AIRGAP_TEST_BMC_TLS !== '0',
    ...o,
    // A fast lab: short gap timeouts, so a failure path ends in seconds.
    gapTimeouts: {
      bmcMs: 5000,
      powerOnMs: 10_000,
      postMs: 10_000,
      serviceMs: 15_000,
      gracefulMs: 5000,
      forceMs: 5000,
      ...o.gapTimeouts,
    },
  });
  const cleanup = async (): Promise<void> => {
    await lab.stop();
    await removeLab(dir);
  };
  t.after(cleanup);
  await makeSampleData(lab.dataDir, o.mib ?? 2);
  const password = (await readFile(lab.passwordFile, 'utf8')).trim();
  const repo = await openRepository(openLocalBackend(lab.primary), password);
  const b = await backup(repo, [lab.dataDir]);
  return {
    ...lab,
    snapshotId: b.snapshotId,
    password,
    cleanup,
    async replicate(extra = [], opts = {}) {
      const r = await runCli(
        ['--json', 'replicate', '--config', lab.configPath, '--state-dir', lab.stateDir, ...extra],
        {
          timeoutMs: opts.timeoutMs ?? 90_000,
        },
      );
      let report: ReplicationReport | undefined;
      try {
        report = JSON.parse(r.stdout) as ReplicationReport;
      } catch {
        report = undefined;
      }
      return { ...r, ...(report ? { report } : {}) };
    },
    async vaultObjects(type) {
      const root = join(lab.vaultDir, 'repos', 'main', type);
      let n = 0;
      const walk = async (d: string): Promise<void> => {
        let names: string[];
        try {
          names = await readdir(d, { withFileTypes: false });
        } catch {
          return;
        }
        for (const name of names) {
          if (/^[0-9a-f]{2}$/.test(name)) await walk(join(d, name));
          else if (/^[0-9a-f]{64}$/.test(name)) n++;
        }
      };
      await walk(root);
      return n;
    },
  };
}

/** The vault process started by the simulated host, if its pid file exists: is it still running? */
export async function vaultProcessAlive(lab: Lab): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(lab.vaultPidFile, 'utf8')).trim());
  } catch {
    return false; // never started
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Has the copy begun (the repository config, always sent first, arrived in the vault)? */
export async function copyStarted(lab: Lab): Promise<boolean> {
  try {
    await readFile(join(lab.vaultDir, 'repos', 'main', 'config'));
    return true;
  } catch {
    return false;
  }
}

export async function vaultStarted(lab: Lab): Promise<boolean> {
  try {
    await readFile(lab.vaultPidFile);
    return true;
  } catch {
    return false;
  }
}
