// Corruption: damaged or missing packs, indexes and snapshots are found by `check`, which names the
// snapshots and files they affect; a restore still recovers every file that does not depend on them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, scratchDir } from './helpers/cli.js';
import {
  compareTrees,
  describeTree,
  restoredPath,
  seededBytes,
  type TreeDescription,
} from './helpers/tree.js';
import { objectPath, openLocalBackend } from '../src/storage/local.js';
import { initRepository, loadIndex, openRepository } from '../src/repository/repository.js';
import { loadSnapshot } from '../src/repository/snapshots.js';
import { walkTree } from '../src/repository/tree.js';
import { backup } from '../src/ops/backup.js';

const PASSWORD = 'corrupt me';
const env = { AIRGAP_PASSWORD: PASSWORD, AIRGAP_KDF_N: '1024' };

interface Fixture {
  dir: string;
  src: string;
  repo: string;
  snapshot: string;
  source: TreeDescription;
  /** Source-relative file path → the packs its content lives in. */
  packsOf: Map<string, Set<string>>;
  /** Source-relative file path → where its first blob is (blobs of several files share packs). */
  firstBlob: Map<string, { pack: string; offset: number; id: string }>;
  /** Source-relative file path → its content (blob IDs). */
  contentOf: Map<string, string[]>;
  cleanup: () => Promise<void>;
}

let fx: Fixture;

before(async () => {
  const tmp = await scratchDir('airgap-corrupt-');
  const src = join(tmp.path, 'src');
  await mkdir(join(src, 'docs'), { recursive: true });
  for (let i = 0; i < 12; i++)
    await writeFile(join(src, i % 3 ? 'docs' : '', `file-${i}.bin`), seededBytes(i + 1, 150_000));
  await writeFile(join(src, 'empty'), '');
  const repoDir = join(tmp.path, 'repo');
  // Small packs: every file's data lands in its own few packs.
  const repo = await initRepository(openLocalBackend(repoDir), PASSWORD, {
    kdf: { N: 1024, r: 8, p: 1 },
    packSize: 64 * 1024,
    chunker: { min: 4096, avg: 16384, max: 65536 },
  });
  const b = await backup(repo, [src]);
  const reopened = await openRepository(openLocalBackend(repoDir), PASSWORD);
  await loadIndex(reopened);
  const snap = await loadSnapshot(reopened, b.snapshotId);
  const packsOf = new Map<string, Set<string>>();
  const firstBlob = new Map<string, { pack: string; offset: number; id: string }>();
  const contentOf = new Map<string, string[]>();
  await walkTree(reopened, snap.tree, (path, node) => {
    if (node.type !== 'file' || !path.startsWith(src + '/')) return;
    const packs = new Set(
      (node.content ?? []).map((c) => reopened.index.lookup(Buffer.from(c, 'hex'))!.pack),
    );
    packsOf.set(path.slice(src.length + 1), packs);
    contentOf.set(path.slice(src.length + 1), node.content ?? []);
    const first = node.content?.[0];
    if (first) {
      const loc = reopened.index.lookup(Buffer.from(first, 'hex'))!;
      firstBlob.set(path.slice(src.length + 1), { pack: loc.pack, offset: loc.offset, id: first });
    }
  });
  fx = {
    dir: tmp.path,
    src,
    repo: repoDir,
    snapshot: b.snapshotId,
    source: describeTree(src),
    packsOf,
    firstBlob,
    contentOf,
    cleanup: tmp.cleanup,
  };
});

after(() => fx?.cleanup());

/** A fresh copy of the fixture repository for one scenario. */
function copyRepo(name: string): string {
  const dst = join(fx.dir, name);
  assert.equal(spawnSync('cp', ['-a', fx.repo, dst]).status, 0);
  return dst;
}

function filesUsing(pack: string): string[] {
  return [...fx.packsOf].filter(([, packs]) => packs.has(pack)).map(([f]) => f);
}

/** The pack holding the first blob of `file`. */
function packOf(file: string): string {
  return fx.firstBlob.get(file)!.pack;
}

test('a flipped byte in a pack: check --read-data names the file; restore recovers all the others', async () => {
  const repo = copyRepo('flip');
  const victim = 'docs/file-1.bin';
  const pack = packOf(victim);
  const path = objectPath(repo, 'data', pack);
  const bytes = readFileSync(path);
  const at = fx.firstBlob.get(victim)!.offset + 100; // inside the victim's first blob
  bytes[at] = bytes[at]! ^ 0x5a;
  writeFileSync(path, bytes);
  // The files that share the damaged blob (the pack's other blobs are intact and still readable).
  const blob = fx.firstBlob.get(victim)!.id;
  const damaged = [...fx.contentOf].filter(([, c]) => c.includes(blob)).map(([f]) => f);
  assert.ok(damaged.includes(victim));

  // Without reading data the damage is invisible (sizes and names are intact).
  const quick = await runCli(['--repo', repo, 'check'], { env });
  assert.equal(quick.code, 0, quick.stdout + quick.stderr);

  const c = await runCli(['--repo', repo, 'check', '--read-data'], { env });
  assert.equal(c.code, 13, c.stdout + c.stderr);
  assert.match(c.stdout, new RegExp(pack.slice(0, 12)));
  assert.ok(c.stdout.includes(`${fx.src}/${victim}`), c.stdout);
  assert.ok(c.stdout.includes(`snapshot ${fx.snapshot.slice(0, 8)}`), c.stdout);
  const j = JSON.parse((await runCli(['--repo', repo, '--json', 'check', '--read-data'], { env })).stdout);
  assert.equal(j.ok, false);
  assert.deepEqual(
    [...new Set(j.affected.map((a: { path: string }) => a.path))].sort(),
    damaged.map((f) => `${fx.src}/${f}`).sort(),
  );

  const target = join(fx.dir, 'flip-restore');
  const r = await runCli(['--repo', repo, 'restore', 'latest', '--target', target], { env });
  assert.equal(r.code, 13, r.stderr);
  assert.ok(r.stderr.includes(victim), r.stderr);
  const restored = describeTree(restoredPath(target, fx.src));
  const expected = new Map([...fx.source].filter(([p]) => !damaged.includes(p)));
  const got = new Map([...restored].filter(([p]) => !damaged.includes(p)));
  // Directories holding a damaged file get their metadata restored all the same.
  assert.deepEqual(compareTrees(expected, got, { xattrs: false }), []);
  for (const f of damaged)
    assert.notEqual(
      restored.get(f)?.sha256,
      fx.source.get(f)!.sha256,
      `${f} must not be passed off as intact`,
    );
});

test('a truncated pack: restore names the files whose blobs were cut off and recovers the others', async () => {
  const repo = copyRepo('truncate');
  const pack = packOf('docs/file-2.bin');
  const path = objectPath(repo, 'data', pack);
  const bytes = readFileSync(path);
  const cut = Math.floor(bytes.length / 2);
  writeFileSync(path, bytes.subarray(0, cut));
  const reopened = await openRepository(openLocalBackend(repo), PASSWORD);
  await loadIndex(reopened);
  const cutOff = [...fx.contentOf]
    .filter(([, content]) =>
      content.some((c) => {
        const loc = reopened.index.lookup(Buffer.from(c, 'hex'))!;
        return loc.pack === pack && loc.offset + loc.length > cut;
      }),
    )
    .map(([f]) => f);
  assert.ok(cutOff.length > 0);

  const target = join(fx.dir, 'truncate-restore');
  const r = await runCli(['--repo', repo, 'restore', 'latest', '--target', target], { env });
  assert.equal(r.code, 13, r.stderr);
  assert.match(r.stderr, /shorter than its index says/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  for (const f of cutOff) assert.ok(r.stderr.includes(f), `${f} not named:\n${r.stderr}`);
  const restored = describeTree(restoredPath(target, fx.src));
  const expected = new Map([...fx.source].filter(([p]) => !cutOff.includes(p)));
  const got = new Map([...restored].filter(([p]) => !cutOff.includes(p)));
  assert.deepEqual(compareTrees(expected, got, { xattrs: false }), []);
});

test('a deleted pack: check without --read-data reports it and names the affected files', async () => {
  const repo = copyRepo('delete');
  const victim = 'file-3.bin';
  const pack = packOf(victim);
  unlinkSync(objectPath(repo, 'data', pack));
  const c = await runCli(['--repo', repo, 'check'], { env });
  assert.equal(c.code, 13, c.stdout + c.stderr);
  assert.match(c.stdout, new RegExp(`pack ${pack.slice(0, 12)}.*not stored`));
  for (const f of filesUsing(pack))
    assert.ok(c.stdout.includes(`${fx.src}/${f}`), `${f} not named:\n${c.stdout}`);
  assert.doesNotMatch(c.stderr, /internal error|\n\s+at /);
});

test('a damaged index file is reported, and the data it described is reported missing', async () => {
  const repo = copyRepo('index');
  const indexes = await openLocalBackend(repo).list('index');
  assert.ok(indexes.length >= 1);
  const path = objectPath(repo, 'index', indexes[0]!.name);
  const bytes = readFileSync(path);
  bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 1;
  writeFileSync(path, bytes);
  const c = await runCli(['--repo', repo, '--json', 'check'], { env });
  assert.equal(c.code, 13, c.stdout + c.stderr);
  const j = JSON.parse(c.stdout);
  assert.ok(
    j.errors.some(
      (e: { kind: string; object: string }) =>
        e.kind === 'damaged-index' && e.object === `index/${indexes[0]!.name}`,
    ),
  );
  assert.ok(j.affected.length > 0, 'the snapshot whose data the index described is named');
  assert.doesNotMatch(c.stderr, /internal error/);
});

test('a damaged snapshot is reported by name; restore of it fails cleanly with exit 13', async () => {
  const repo = copyRepo('snapshot');
  const path = objectPath(repo, 'snapshots', fx.snapshot);
  const bytes = readFileSync(path);
  bytes[20] = bytes[20]! ^ 0xff;
  writeFileSync(path, bytes);
  const c = await runCli(['--repo', repo, 'check'], { env });
  assert.equal(c.code, 13, c.stdout + c.stderr);
  assert.ok(c.stdout.includes(fx.snapshot.slice(0, 8)), c.stdout);
  const r = await runCli(
    ['--repo', repo, 'restore', fx.snapshot.slice(0, 10), '--target', join(fx.dir, 'snap-restore')],
    { env },
  );
  assert.equal(r.code, 13, r.stderr);
  assert.match(r.stderr, /^airgap: .*snapshot/m);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  // `snapshots` still lists what it can read, names the damaged one, and exits 13.
  const l = await runCli(['--repo', repo, '--json', 'snapshots'], { env });
  assert.equal(l.code, 13, l.stderr);
  assert.ok(l.stderr.includes(fx.snapshot.slice(0, 8)), l.stderr);
  assert.ok(Array.isArray(JSON.parse(l.stdout)));
  assert.ok(!(JSON.parse(l.stdout) as { id: string }[]).some((s) => s.id === fx.snapshot));
});
