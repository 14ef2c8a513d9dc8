// A repository that lives on a vault, end to end through the real CLI and a real `vault serve` process:
// init, a first and an incremental backup, snapshots, restore byte for byte, check --read-data; a reader
// token restores but cannot back up; forget and prune are refused without any request that deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile, appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { addToken, makeVault, serveVault } from './vault-harness.js';

/** Every file under `dir` (relative path → bytes). */
async function snapshotTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.set(p.slice(dir.length + 1), await readFile(p));
  }
  return out;
}

test('a repository on a vault: backup, incremental backup, restore, check; reader and deletion refused', async (t) => {
  const v = await makeVault();
  t.after(() => v.cleanup());
  const srv = await serveVault(v.data);
  t.after(() => srv.kill());
  const replicator = await addToken(v.data, 'replicator');
  const reader = await addToken(v.data, 'reader');
  const repo = `vault+https://127.0.0.1:${srv.port}/main`;
  const env = (token: string) => ({
    AIRGAP_VAULT_FINGERPRINT: v.fingerprint,
    AIRGAP_VAULT_TOKEN: token,
    AIRGAP_PASSWORD: 'correct horse',
    AIRGAP_KDF_N: '1024',
  });
  const cli = (args: string[], token = replicator) => runCli(['--repo', repo, ...args], { env: env(token) });

  const src = join(v.dir, 'src');
  await mkdir(join(src, 'sub/deeper'), { recursive: true });
  await writeFile(join(src, 'random.bin'), randomBytes(3 * 1024 * 1024 + 11));
  await writeFile(join(src, 'sub/notes.txt'), 'line\n'.repeat(20_000));
  await writeFile(join(src, 'sub/deeper/small'), 'x');
  await writeFile(join(src, 'empty'), '');

  let r = await cli(['init']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(['backup', src, '--json']);
  assert.equal(r.code, 0, r.stderr);
  await appendFile(join(src, 'sub/notes.txt'), 'appended\n');
  await writeFile(join(src, 'new.bin'), randomBytes(100_000));
  r = await cli(['backup', src, '--json']);
  assert.equal(r.code, 0, r.stderr);

  r = await cli(['snapshots', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const snaps = JSON.parse(r.stdout) as { id: string; parent?: string; summary: Record<string, number> }[];
  assert.equal(snaps.length, 2);
  assert.equal(snaps[1]!.parent, snaps[0]!.id, 'the second backup is incremental on the first');
  assert.equal(snaps[1]!.summary.filesUnmodified, 3, 'unchanged files were not read again');
  assert.ok(
    snaps[1]!.summary.dataAddedRaw! < 400_000, // the 3 MiB file is not stored again
    `incremental backup added only the changes (${snaps[1]!.summary.dataAddedRaw} bytes)`,
  );
  // The vault holds both snapshots, each with a manifest and a lock it set itself.
  const onVault = await readdir(join(v.data, 'repos', 'main', 'snapshots'));
  assert.deepEqual(onVault.sort(), snaps.map((s) => s.id).sort());

  // A reader token restores, byte for byte.
  const target = join(v.dir, 'restored');
  r = await cli(['restore', 'latest', '--target', target], reader);
  assert.equal(r.code, 0, r.stderr);
  const want = await snapshotTree(src);
  const got = await snapshotTree(join(target, src));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [p, bytes] of want) assert.ok(got.get(p)!.equals(bytes), `${p} restored byte for byte`);

  r = await cli(['check', '--read-data'], reader);
  assert.equal(r.code, 0, r.stderr + r.stdout);

  // A reader cannot write: refused by the vault's rules (24). An unknown token: authentication (23).
  await writeFile(join(src, 'for-the-reader'), 'y');
  r = await cli(['backup', src], reader);
  assert.equal(r.code, 24, r.stderr);
  assert.match(r.stderr, /reader token cannot write/);
  r = await cli(['backup', src], 'agv1_00000000_' + 'A'.repeat(43));
  assert.equal(r.code, 23, r.stderr);
  assert.doesNotMatch(r.stderr, /AAAAAAAA/, 'the token is not echoed');

  // forget and prune cannot delete on a vault: refused before any request that deletes is sent.
  const before = await listRepo(join(v.data, 'repos', 'main'));
  const auditBefore = await readFile(join(v.data, 'audit.log'), 'utf8');
  for (const args of [
    ['forget', '--keep-last', '1', '--json'],
    ['forget', snaps[0]!.id, '--json'],
    ['prune', '--json'],
  ]) {
    r = await cli(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).error.code, 'NOT_SUPPORTED', args.join(' '));
  }
  assert.deepEqual(await listRepo(join(v.data, 'repos', 'main')), before, 'nothing changed on the vault');
  const newAudit = (await readFile(join(v.data, 'audit.log'), 'utf8')).slice(auditBefore.length);
  assert.doesNotMatch(newAudit, /api\.refused/, 'no DELETE (or other refused method) reached the vault');
  r = await cli(['snapshots', '--json'], reader);
  assert.equal(JSON.parse(r.stdout).length, 2);
});

async function listRepo(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (e.isFile()) out.push(`${p.slice(root.length)} ${(await stat(p)).size}`);
  }
  return out.sort();
}
