// `airgap demo`: the README's "run the main job" on one machine with no configuration. Sample data →
// primary repository → backup → replication through a simulated BMC that powers a real vault process on
// and off → report → a full restore from the vault (the window opened once more for it), compared with
// the source → the commands to do the same by hand.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AirgapError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { openLocalBackend } from '../../storage/local.js';
import { openRepository } from '../../repository/repository.js';
import { backup } from '../../ops/backup.js';
import { restore } from '../../ops/restore.js';
import { openVaultBackend } from '../../storage/vault-client.js';
import { resolvePlan } from '../../tasks/plan-spec.js';
import { replicationDeps } from '../../tasks/replicate-deps.js';
import { runReplication } from '../../tasks/replicate.js';
import { formatReport, type ReplicationReport } from '../../tasks/report.js';
import { globals } from '../context.js';
import { formatBytes, formatDuration, printJson, printLine } from '../output.js';
import { cancelOnSignals } from './replicate.js';
import { compareTrees, makeSampleData } from './demo-data.js';
import { startLab, removeLab, CLI_ENTRY, type Lab } from './demo-lab.js';
import { readFile } from 'node:fs/promises';

interface DemoOpts {
  dir?: string;
  keep?: boolean;
  sizeMib: string;
  bootDelay: string;
}

interface RestoreProof {
  snapshot: string;
  files: number;
  bytes: number;
  equal: boolean;
  differences: string[];
}

/** Opens the window once more, restores the newest snapshot from the vault, compares, closes. */
async function restoreFromVault(lab: Lab, snapshot: string, log: (l: string) => void): Promise<RestoreProof> {
  const config = await loadConfig(lab.configPath);
  const resolved = resolvePlan(config, lab.configPath, 'demo', { stateDir: lab.stateDir });
  const deps = replicationDeps(config, resolved);
  const gap = deps.gap('demo-vault');
  const target = join(lab.dir, 'restore');
  log('restore: powering the vault on again through the BMC simulator...');
  try {
    await gap.open({
      serviceCheck: async (signal) => {
        for (;;) {
          try {
            await deps.vaultHealth(signal);
            return;
          } catch (e) {
            if (signal.aborted) throw e;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      },
      onStep: () => {},
      signal: AbortSignal.timeout(60_000),
    });
    const vault = openVaultBackend(lab.vaultUrl, {
      fingerprint: lab.vaultFingerprint,
      token: resolved.vaultToken(),
    });
    try {
      const repo = await openRepository(vault, resolved.sourcePassword());
      log(`restore: restoring snapshot ${snapshot.slice(0, 8)} from the vault into ${target}`);
      const r = await restore(repo, snapshot, { target });
      const differences = await compareTrees(lab.dataDir, join(target, lab.dataDir));
      return { snapshot, files: r.files, bytes: r.bytes, equal: differences.length === 0, differences };
    } finally {
      await vault.close();
    }
  } finally {
    log('restore: powering the vault off...');
    await gap.close({ onStep: () => {} });
    await gap.dispose();
  }
}

function handCommands(lab: Lab): string[] {
  const cli = `node ${CLI_ENTRY}`;
  return [
    `# The vault is Off. The BMC simulator stays up until Ctrl-C; in another shell:`,
    `export AIRGAP_PASSWORD_FILE=${lab.passwordFile}`,
    `export AIRGAP_VAULT_FINGERPRINT=${lab.vaultFingerprint}`,
    `export AIRGAP_VAULT_TOKEN_FILE=${lab.tokenFile}`,
    `${cli} power on demo-vault --config ${lab.configPath}            # through the BMC simulator; waits for On`,
    `${cli} --repo ${lab.vaultUrl} snapshots                        # once the vault answers (a few seconds)`,
    `${cli} --repo ${lab.vaultUrl} restore latest --target ${join(lab.dir, 'restore-by-hand')}`,
    `${cli} power off demo-vault --config ${lab.configPath}           # close the window again`,
  ];
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole replication task on this machine: sample data, BMC simulator, vault, report')
    .option('--dir <dir>', 'where to put everything (default: a new temporary directory)')
    .option(
      '--keep',
      'keep the BMC simulator running after the demo (Ctrl-C to stop) and keep the files',
      false,
    )
    .option('--size-mib <n>', 'size of the sample data set in MiB', '4')
    .option('--boot-delay <ms>', 'the simulated vault boot time', '3000')
    .action(async (opts: DemoOpts, cmd: Command) => {
      const g = globals(cmd);
      const sizeMib = Number(opts.sizeMib);
      const bootDelay = Number(opts.bootDelay);
      if (!Number.isFinite(sizeMib) || sizeMib <= 0 || sizeMib > 1024)
        throw new AirgapError('USAGE', '--size-mib must be between 1 and 1024');
      if (!Number.isInteger(bootDelay) || bootDelay < 0)
        throw new AirgapError('USAGE', '--boot-delay must be a number of milliseconds');
      const dir = opts.dir ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'airgap-demo-'));
      const say = (l: string): void => {
        if (!g.json && !g.quiet) process.stderr.write(`${l}\n`);
      };
      say(`demo directory: ${dir}`);
      process.env.AIRGAP_KDF_N ??= '16384'; // a demo needs no brute-force resistance
      const lab = await startLab({
        dir,
        bootDelayMs: bootDelay,
        tls: process.env.AIRGAP_DEMO_BMC_TLS !== '0',
      });
      const cancel = cancelOnSignals((l) => process.stderr.write(`${l}\n`));
      let report: ReplicationReport | undefined;
      let proof: RestoreProof | undefined;
      try {
        say(
          `BMC simulator (Redfish over TLS) on ${lab.bmcUrl}; the vault will listen on 127.0.0.1:${lab.vaultPort} when powered on`,
        );
        const data = await makeSampleData(lab.dataDir, sizeMib);
        say(`sample data: ${data.files} files, ${formatBytes(data.bytes)} in ${lab.dataDir}`);
        const password = (await readFile(lab.passwordFile, 'utf8')).trim();
        const repo = await openRepository(openLocalBackend(lab.primary), password);
        const b = await backup(repo, [lab.dataDir], { tags: ['demo'] });
        say(`backup: snapshot ${b.snapshotId.slice(0, 8)} in the primary repository ${lab.primary}`);

        say(
          `replicate: opening the gap (boot delay ${formatDuration(bootDelay)}), copying, verifying, closing...`,
        );
        const config = await loadConfig(lab.configPath);
        const resolved = resolvePlan(config, lab.configPath, 'demo', { stateDir: lab.stateDir });
        report = await runReplication(resolved.spec, replicationDeps(config, resolved), {
          signal: cancel.signal,
          log: (l) => say(`  ${l}`),
        });
        if (!g.json) printLine(formatReport(report));
        if (report.error) {
          process.exitCode = report.error.exitCode;
          return;
        }
        proof = await restoreFromVault(lab, b.snapshotId, say);
        if (!g.json) {
          printLine(
            `restore from the vault: ${proof.files} files, ${formatBytes(proof.bytes)}: ${proof.equal ? 'identical to the source data' : `DIFFERENT (${proof.differences.slice(0, 5).join(', ')})`}`,
          );
          printLine(`the vault is Off (simulated power state: ${lab.powerState()})`);
          printLine('');
          if (opts.keep) for (const l of handCommands(lab)) printLine(l);
          else
            printLine(
              'To restore from the vault by hand, run `airgap demo --keep`: it prints the commands and keeps the BMC simulator up.',
            );
        }
        if (!proof.equal) process.exitCode = 13;
      } finally {
        cancel.dispose();
        if (g.json)
          printJson({
            dir,
            report,
            restore: proof,
            powerState: lab.powerState(),
            commands: handCommands(lab),
          });
        if (opts.keep && !process.exitCode) {
          say(`--keep: the BMC simulator keeps running on ${lab.bmcUrl}; press Ctrl-C to stop it`);
          await new Promise<void>((r) => {
            process.once('SIGINT', () => r());
            process.once('SIGTERM', () => r());
          });
        }
        await lab.stop();
        if (!opts.keep && !opts.dir) {
          await removeLab(dir);
          say(`removed ${dir} (use --dir DIR or --keep to keep the files)`);
        } else say(`files kept in ${dir}`);
      }
    });
}
