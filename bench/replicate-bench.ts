// Replication throughput on loopback: copyObjects from a local repository directory into a real vault
// (HTTPS, pinned certificate, hash check and fsync on the vault) against a plain `cp -r` + `sync` of the
// same bytes. Run: node dist/bench/replicate-bench.js [MiB] [--separate] (default 256). With --separate the
// vault runs as its own process (`airgap vault serve`), as on a real appliance, instead of sharing the
// copier's event loop. Prints a Markdown table row, and the CPU seconds each side spent during the copy.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalBackend } from '../src/storage/local.js';
import { openVaultBackend } from '../src/storage/vault-client.js';
import { addToken, initVault } from '../src/vault/admin.js';
import { startVault } from '../src/vault/server.js';
import { copyObjects } from '../src/ops/copy.js';
import { removeLab } from '../src/cli/commands/demo-lab.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const separate = args.includes('--separate');
const mib = Number(args.find((a) => !a.startsWith('--')) ?? 256);
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface RunningVault {
  port: number;
  /** The vault's own process, when it has one (--separate). */
  pid?: number;
  fingerprint: string;
  stop(): Promise<void>;
}

/** The vault as its own process, the way `airgap vault serve` runs on the appliance. */
function spawnVault(dataDir: string): Promise<RunningVault> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [CLI, 'vault', '--data', dataDir, 'serve', '--json', '--listen', '127.0.0.1:0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    p.on('error', reject);
    createInterface({ input: p.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { event: string; port: number; fingerprint?: string };
      if (m.event === 'listening')
        resolve({
          port: m.port,
          pid: p.pid,
          fingerprint: m.fingerprint ?? '',
          stop: () =>
            new Promise<void>((r) => {
              p.on('exit', () => r());
              p.kill('SIGTERM');
            }),
        });
    });
  });
}
const PACK = 16 * 1024 * 1024;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airgap-repl-bench-'));
  try {
    const src = openLocalBackend(join(dir, 'src'));
    await src.create();
    await src.put('config', 'config', Buffer.from('{"bench":true}'));
    let left = mib * 1024 * 1024;
    while (left > 0) {
      const b = randomBytes(Math.min(PACK, left));
      await src.put('data', createHash('sha256').update(b).digest('hex'), b);
      left -= b.length;
    }

    // Baseline: a plain file copy of the same repository directory, made durable.
    execFileSync('sync');
    let t = process.hrtime.bigint();
    execFileSync('cp', ['-r', join(dir, 'src'), join(dir, 'cp-copy')]);
    execFileSync('sync');
    const cpSecs = Number(process.hrtime.bigint() - t) / 1e9;

    const init = await initVault({
      dataDir: join(dir, 'vault'),
      name: 'bench',
      repos: ['main'],
      listen: '127.0.0.1:0',
      shutdownCommand: ['true'],
    });
    const tok = await addToken(join(dir, 'vault'), { role: 'replicator', repos: ['main'] });
    const v: RunningVault = separate
      ? { ...(await spawnVault(join(dir, 'vault'))), fingerprint: init.fingerprint }
      : await startVault({ dataDir: join(dir, 'vault'), host: '127.0.0.1', port: 0 });
    try {
      const dst = openVaultBackend(`vault+https://127.0.0.1:${v.port}/main`, {
        fingerprint: v.fingerprint,
        token: tok.token,
      });
      execFileSync('sync');
      const cpu0 = process.cpuUsage();
      const vaultCpu0 = v.pid ? await cpuSeconds(v.pid) : 0;
      t = process.hrtime.bigint();
      const r = await copyObjects(src, dst);
      const copySecs = Number(process.hrtime.bigint() - t) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const vaultCpu = v.pid ? (await cpuSeconds(v.pid)) - vaultCpu0 : 0;
      await dst.close();
      const mb = r.sent.bytes / 1024 / 1024;
      const cpRate = mb / cpSecs;
      const copyRate = mb / copySecs;
      console.log(
        `| data | \`cp -r\` + \`sync\` | airgap copy into the vault (loopback, ${separate ? 'vault in its own process' : 'one process'}) | ratio |`,
      );
      console.log('|---|---|---|---|');
      console.log(
        `| ${mb.toFixed(0)} MiB in ${r.sent.objects} objects | ${cpRate.toFixed(0)} MiB/s (${cpSecs.toFixed(2)} s) | ${copyRate.toFixed(0)} MiB/s (${copySecs.toFixed(2)} s) | ${((100 * copyRate) / cpRate).toFixed(0)} % |`,
      );
      const cpuLine = `CPU during the copy: copier ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`;
      console.log(v.pid ? `${cpuLine}, vault ${vaultCpu.toFixed(2)} s` : `${cpuLine} (copier and vault)`);
    } finally {
      await v.stop();
    }
  } finally {
    await removeLab(dir);
  }
}

await main();
