// Bad input and hostile conditions: every one gets a clear message, its own exit code, no stack trace,
// and leaves the repository consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_MAIN, runCli, scratchDir, type CliResult } from './helpers/cli.js';
import { compareTrees, describeTree, restoredPath, seededBytes } from './helpers/tree.js';

const PASSWORD = 'the right one';
const env = { AIRGAP_PASSWORD: PASSWORD, AIRGAP_KDF_N: '1024' };
const isRoot = process.getuid?.() === 0;

function assertClean(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at \S+/, 'no stack trace');
}

async function newRepo(dir: string): Promise<string> {
  const repo = join(dir, 'repo');
  const r = await runCli(['--repo', repo, 'init'], { env });
  assert.equal(r.code, 0, r.stderr);
  return repo;
}

test('wrong passphrase: exit 11, a clear message, the passphrase never echoed', async (t) => {
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  const repo = await newRepo(tmp.path);
  const r = await runCli(['--repo', repo, 'snapshots'], {
    env: { ...env, AIRGAP_PASSWORD: 'wrong-guess-1234' },
  });
  assertClean(r, 11, /^airgap: wrong passphrase/m);
  assert.ok(!r.stderr.includes('wrong-guess-1234') && !r.stdout.includes('wrong-guess-1234'));
  const j = await runCli(['--repo', repo, '--json', 'snapshots'], {
    env: { ...env, AIRGAP_PASSWORD: 'nope' },
  });
  assert.equal(j.code, 11);
  assert.equal(JSON.parse(j.stdout).error.code, 'WRONG_PASSWORD');
});

test('not a repository: exit 10 for an empty directory, a foreign directory and a missing path', async (t) => {
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  await mkdir(join(tmp.path, 'empty'));
  await mkdir(join(tmp.path, 'foreign'));
  await writeFile(join(tmp.path, 'foreign', 'config'), 'just some file\n');
  for (const loc of ['empty', 'foreign', 'missing']) {
    assertClean(await runCli(['--repo', join(tmp.path, loc), 'snapshots'], { env }), 10, /repository/);
  }
});

test('init over an existing repository: exit 17, the existing one untouched', async (t) => {
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  const repo = await newRepo(tmp.path);
  assertClean(
    await runCli(['--repo', repo, 'init'], { env: { ...env, AIRGAP_PASSWORD: 'other' } }),
    17,
    /already exists/,
  );
  assert.equal((await runCli(['--repo', repo, 'snapshots'], { env })).code, 0);
});

test('missing passphrase: exit 2 with a hint', async (t) => {
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  const repo = await newRepo(tmp.path);
  assertClean(
    await runCli(['--repo', repo, 'snapshots'], { env: { AIRGAP_KDF_N: '1024' } }),
    2,
    /AIRGAP_PASSWORD/,
  );
  assertClean(await runCli(['snapshots'], { env }), 2, /--repo/);
  assertClean(
    await runCli(['--repo', repo, '--password-file', join(tmp.path, 'nope'), 'snapshots'], { env: {} }),
    2,
    /password file/,
  );
});

test('restore: into a non-empty target exit 14; an unknown snapshot exit 16', async (t) => {
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  const repo = await newRepo(tmp.path);
  const src = join(tmp.path, 'src');
  await mkdir(src);
  await writeFile(join(src, 'a'), 'a');
  assert.equal((await runCli(['--repo', repo, 'backup', src], { env })).code, 0);
  const target = join(tmp.path, 'target');
  await mkdir(target);
  await writeFile(join(target, 'precious'), 'do not overwrite');
  assertClean(
    await runCli(['--repo', repo, 'restore', 'latest', '--target', target], { env }),
    14,
    /not empty/,
  );
  await writeFile(join(tmp.path, 'a-file'), '');
  assertClean(
    await runCli(['--repo', repo, 'restore', 'latest', '--target', join(tmp.path, 'a-file')], { env }),
    14,
    /not a directory/,
  );
  assertClean(
    await runCli(['--repo', repo, 'restore', 'abcdef12', '--target', join(tmp.path, 't2')], { env }),
    16,
    /no snapshot abcdef12/,
  );
  assertClean(await runCli(['--repo', repo, 'ls', 'deadbeef'], { env }), 16, /no snapshot/);
  assertClean(
    await runCli(['--repo', repo, 'restore', 'not-hex!', '--target', join(tmp.path, 't3')], { env }),
    2,
    /not a snapshot ID/,
  );
});

test('special files are skipped with a warning; the backup succeeds', async (t) => {
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  const repo = await newRepo(tmp.path);
  const src = join(tmp.path, 'src');
  await mkdir(src);
  await writeFile(join(src, 'regular'), 'data');
  assert.equal(spawnSync('mkfifo', [join(src, 'a-fifo')]).status, 0);
  const r = await runCli(['--repo', repo, 'backup', src], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*a-fifo: special file/);
  const ls = await runCli(['--repo', repo, 'ls', 'latest'], { env });
  assert.match(ls.stdout, /regular/);
  assert.doesNotMatch(ls.stdout, /a-fifo/);
});

/** Runs the CLI as nobody (uid/gid 65534). */
function runAsNobody(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI_MAIN, ...args],
      {
        env: { ...process.env, ...env, HOME: '/nonexistent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('unreadable files and directories: exit 3, the rest is backed up', async (t) => {
  if (!isRoot) {
    // As a normal user chmod 000 works directly, but we do not own a second user to test with.
    return t.skip(
      'needs root to switch to the unprivileged user nobody (as root, permissions do not stop reads)',
    );
  }
  const probe = spawnSync('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    process.execPath,
    CLI_MAIN,
    '--version',
  ]);
  if (probe.status !== 0)
    return t.skip(`user nobody cannot run the CLI here (${String(probe.stderr).trim().slice(0, 120)})`);
  const tmp = await scratchDir('airgap-bad-');
  t.after(tmp.cleanup);
  await chmod(tmp.path, 0o755);
  const src = join(tmp.path, 'src');
  await mkdir(join(src, 'closed-dir'), { recursive: true });
  await writeFile(join(src, 'readable'), 'fine');
  await writeFile(join(src, 'closed-dir', 'inside'), 'x');
  await writeFile(join(src, 'secret'), 'no');
  await chmod(join(src, 'secret'), 0o000);
  await chmod(join(src, 'closed-dir'), 0o000);
  assert.equal(spawnSync('chown', ['-R', '65534:65534', tmp.path]).status, 0);
  const repo = join(tmp.path, 'repo');
  assert.equal((await runAsNobody(['--repo', repo, 'init'])).code, 0);
  const b = await runAsNobody(['--repo', repo, '--json', 'backup', src]);
  assert.equal(b.code, 3, b.stderr);
  assert.match(b.stderr, /partial/);
  assert.doesNotMatch(b.stderr, /internal error|\n\s+at \S+/);
  const out = JSON.parse(b.stdout);
  const warned = out.warnings.map((w: { path: string }) => w.path).sort();
  assert.deepEqual(warned, [join(src, 'closed-dir'), join(src, 'secret')]);
  assert.equal(out.summary.errors, 2);
  const ls = await runAsNobody(['--repo', repo, '--json', 'ls', 'latest']);
  const paths = JSON.parse(ls.stdout).nodes.map((n: { path: string }) => n.path);
  assert.ok(paths.includes(join(src, 'readable')));
  assert.ok(!paths.includes(join(src, 'secret')));
});

async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

test('a full disk: backup exit 15 and the repository stays consistent; restore exit 15', async (t) => {
  if (!isRoot) return t.skip('needs root to mount a small tmpfs');
  const tmp = await scratchDir('airgap-bad-');
  const mounted: string[] = [];
  t.after(async () => {
    for (const m of mounted) spawnSync('umount', [m]);
    await tmp.cleanup();
  });
  const small = join(tmp.path, 'small-disk');
  const tiny = join(tmp.path, 'tiny-disk');
  for (const [dir, size] of [
    [small, '8m'],
    [tiny, '1m'],
  ] as const) {
    if (!(await mountTmpfs(dir, size))) return t.skip('mount -t tmpfs is not permitted here');
    mounted.push(dir);
  }

  const repo = join(small, 'repo');
  assert.equal((await runCli(['--repo', repo, 'init'], { env })).code, 0);
  const src = join(tmp.path, 'src');
  await mkdir(src);
  await writeFile(join(src, 'fits'), seededBytes(1, 3 * 1024 * 1024));
  const first = await runCli(['--repo', repo, '--json', 'backup', src], { env });
  assert.equal(first.code, 0, first.stderr);
  const good = JSON.parse(first.stdout).snapshot as string;
  const goodTree = describeTree(src);

  await writeFile(join(src, 'too-big'), seededBytes(2, 12 * 1024 * 1024));
  assertClean(await runCli(['--repo', repo, 'backup', src], { env }), 15, /no space left/);

  const c = await runCli(['--repo', repo, 'check', '--read-data'], { env });
  assert.equal(c.code, 0, c.stdout + c.stderr);
  const snaps = JSON.parse((await runCli(['--repo', repo, '--json', 'snapshots'], { env })).stdout);
  assert.deepEqual(
    snaps.map((s: { id: string }) => s.id),
    [good],
  );
  const target = join(tmp.path, 'restore');
  const r = await runCli(['--repo', repo, 'restore', good, '--target', target], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(compareTrees(goodTree, describeTree(restoredPath(target, src)), { xattrs: false }), []);

  // Restoring 3 MiB onto a 1 MiB filesystem.
  assertClean(
    await runCli(['--repo', repo, 'restore', good, '--target', join(tiny, 'out')], { env }),
    15,
    /no space left/,
  );
});
