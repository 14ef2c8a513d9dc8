// Replication throughput on loopback: copyObjects from a local repository directory into a real vault
// (HTTPS, pinned certificate, hash check and fsync on the vault) against a plain `cp -r` + `sync` of the
// same bytes. Run: node dist/bench/replicate-bench.js [MiB] (default 256). Prints a Markdown table row.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalBackend } from '../src/storage/local.js';
import { openVaultBackend } from '../src/storage/vault-client.js';
import { addToken, initVault } from '../src/vault/admin.js';
import { startVault } from '../src/vault/server.js';
import { copyObjects } from '../src/ops/copy.js';
import { removeLab } from '../src/cli/commands/demo-lab.js';

const mib = Number(process.argv[2] ?? 256);
const PACK = 16 * 1024 * 1024;

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

    await initVault({
      dataDir: join(dir, 'vault'),
      name: 'bench',
      repos: ['main'],
      listen: '127.0.0.1:0',
      shutdownCommand: ['true'],
    });
    const tok = await addToken(join(dir, 'vault'), { role: 'replicator', repos: ['main'] });
    const v = await startVault({ dataDir: join(dir, 'vault'), host: '127.0.0.1', port: 0 });
    try {
      const dst = openVaultBackend(`vault+https://127.0.0.1:${v.port}/main`, {
        fingerprint: v.fingerprint,
        token: tok.token,
      });
      execFileSync('sync');
      t = process.hrtime.bigint();
      const r = await copyObjects(src, dst);
      const copySecs = Number(process.hrtime.bigint() - t) / 1e9;
      await dst.close();
      const mb = r.sent.bytes / 1024 / 1024;
      const cpRate = mb / cpSecs;
      const copyRate = mb / copySecs;
      console.log('| data | `cp -r` + `sync` | airgap copy into the vault (loopback) | ratio |');
      console.log('|---|---|---|---|');
      console.log(
        `| ${mb.toFixed(0)} MiB in ${r.sent.objects} objects | ${cpRate.toFixed(0)} MiB/s (${cpSecs.toFixed(2)} s) | ${copyRate.toFixed(0)} MiB/s (${copySecs.toFixed(2)} s) | ${((100 * copyRate) / cpRate).toFixed(0)} % |`,
      );
    } finally {
      await v.stop();
    }
  } finally {
    await removeLab(dir);
  }
}

await main();
