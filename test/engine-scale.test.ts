// Scale: memory is bounded by settings (slots, pack size, threads), not by the data. A 2 GiB file and a
// tree of 200,000 small files are backed up (the file also restored) under /usr/bin/time, and their
// peak resident size is compared with a small backup's under the same settings and with a fixed bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_MAIN, runCli, scratchDir } from './helpers/cli.js';

const MiB = 1024 * 1024;
// The bound for the default settings (one worker thread per core, up to four; 16 MiB packs): Node and
// the CLI (~90 MiB), up to four threads (~20 MiB each), their slots (24 MiB) and headroom for the JIT.
const BOUND = 400 * MiB;
// What growing the data may add: the index (70 MiB per million chunks; 200,000 files make 200,000
// chunks, ~14 MiB), the trees of the directories being walked, and V8's sizing of its heap to the
// allocation rate (backup forces a collection every 25,000 files to hold that down).
// Before packs were capped at 10,000 blobs, 200,000 tiny files took 330 MiB against 151 MiB.
const GROWTH = 96 * MiB;

/** Runs the CLI under /usr/bin/time; returns its exit code and peak RSS in bytes. */
function measured(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; rss: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'maxrss-kb=%M', process.execPath, CLI_MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /maxrss-kb=(\d+)/.exec(stderr);
      resolve({ code, rss: m ? Number(m[1]) * 1024 : NaN, stderr });
    });
  });
}

/** A file of `bytes` incompressible, non-repeating bytes (AES-CTR keystream), written by openssl. */
function randomFile(path: string, bytes: number): void {
  const r = spawnSync(
    'sh',
    [
      '-c',
      `head -c ${bytes} /dev/zero | openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 > '${path}'`,
    ],
    { stdio: 'inherit' },
  );
  assert.equal(r.status, 0, 'openssl makes the test file');
}

function smallTree(root: string, dirs: number, perDir: number): void {
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++)
      writeFileSync(join(dir, `f${f}.json`), `{"dir":${d},"file":${f},"pad":"${'x'.repeat(f % 97)}"}\n`);
  }
}

const ENV = { AIRGAP_PASSWORD: 'scale', AIRGAP_KDF_N: '1024' };

async function backupRss(tmp: string, name: string, src: string): Promise<number> {
  const repo = join(tmp, `repo-${name}`);
  assert.equal((await runCli(['--repo', repo, 'init'], { env: ENV })).code, 0);
  const r = await measured(['--repo', repo, '-q', 'backup', src], ENV);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Number.isFinite(r.rss), `peak RSS measured (${r.stderr})`);
  return r.rss;
}

/** Restores the latest snapshot of backupRss's repository `name`; returns the peak RSS. */
async function restoreRss(tmp: string, name: string): Promise<number> {
  const target = join(tmp, `restored-${name}`);
  const r = await measured(
    ['--repo', join(tmp, `repo-${name}`), '-q', 'restore', 'latest', '--target', target],
    ENV,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Number.isFinite(r.rss), `peak RSS measured (${r.stderr})`);
  rmSync(target, { recursive: true, force: true });
  return r.rss;
}

// A restore decodes every blob into the same buffers (src/ops/restore.ts): its memory does not depend on
// the size of the files at all, and stays well under the backup's.
const RESTORE_GROWTH = 24 * MiB;
const RESTORE_BOUND = 200 * MiB;

test(
  'a 2 GiB file is backed up and restored within the memory bound, as much as a 64 MiB one',
  { timeout: 600_000 },
  async (t) => {
    const tmp = await scratchDir('airgap-scale-');
    t.after(tmp.cleanup);
    mkdirSync(join(tmp.path, 'small'));
    mkdirSync(join(tmp.path, 'big'));
    randomFile(join(tmp.path, 'small', 'file.bin'), 64 * MiB);
    randomFile(join(tmp.path, 'big', 'file.bin'), 2048 * MiB);
    const small = await backupRss(tmp.path, 'small', join(tmp.path, 'small'));
    const big = await backupRss(tmp.path, 'big', join(tmp.path, 'big'));
    t.diagnostic(
      `peak RSS: 64 MiB file ${(small / MiB).toFixed(0)} MiB, 2 GiB file ${(big / MiB).toFixed(0)} MiB`,
    );
    assert.ok(big < BOUND, `peak RSS ${(big / MiB).toFixed(0)} MiB is over the ${BOUND / MiB} MiB bound`);
    assert.ok(
      big - small < GROWTH,
      `32 times the data added ${((big - small) / MiB).toFixed(0)} MiB of memory`,
    );
    const smallRestore = await restoreRss(tmp.path, 'small');
    const bigRestore = await restoreRss(tmp.path, 'big');
    t.diagnostic(
      `restore peak RSS: 64 MiB file ${(smallRestore / MiB).toFixed(0)} MiB, 2 GiB file ${(bigRestore / MiB).toFixed(0)} MiB`,
    );
    assert.ok(bigRestore < RESTORE_BOUND, `restore peak RSS ${(bigRestore / MiB).toFixed(0)} MiB`);
    assert.ok(
      bigRestore - smallRestore < RESTORE_GROWTH,
      `restoring 32 times the data added ${((bigRestore - smallRestore) / MiB).toFixed(0)} MiB of memory`,
    );
  },
);

test('200,000 small files are backed up within the memory bound', { timeout: 600_000 }, async (t) => {
  const tmp = await scratchDir('airgap-scale-');
  t.after(tmp.cleanup);
  smallTree(join(tmp.path, 'few'), 20, 1000);
  smallTree(join(tmp.path, 'many'), 200, 1000);
  const few = await backupRss(tmp.path, 'few', join(tmp.path, 'few'));
  const many = await backupRss(tmp.path, 'many', join(tmp.path, 'many'));
  t.diagnostic(
    `peak RSS: 20,000 files ${(few / MiB).toFixed(0)} MiB, 200,000 files ${(many / MiB).toFixed(0)} MiB`,
  );
  assert.ok(many < BOUND, `peak RSS ${(many / MiB).toFixed(0)} MiB is over the ${BOUND / MiB} MiB bound`);
  assert.ok(
    many - few < GROWTH,
    `ten times the files added ${((many - few) / MiB).toFixed(0)} MiB of memory`,
  );
});
