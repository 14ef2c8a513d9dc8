// The bench's own arithmetic: reading GNU time's report, the ratios and verdicts against the targets,
// the tables, and where a recorded run lands in docs/BENCHMARKS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClock, parseTimeV } from '../bench/time-v.js';
import {
  bestOf,
  resultsTable,
  stepResult,
  verdicts,
  verdictTable,
  problems,
  type ToolResult,
} from '../bench/report.js';
import { insertRun, RUNS_END_MARKER } from '../bench/record.js';
import { selectTools } from '../bench/tools.js';
import { compareTrees } from '../bench/corpus.js';

const hasGnuTime = spawnSync('/usr/bin/time', ['-v', 'true']).status === 0;

test(
  'parseTimeV reads a real GNU time report: exit status, CPU and the peak RSS of a child',
  { skip: !hasGnuTime && 'needs /usr/bin/time (Debian package time)' },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
    try {
      const out = join(dir, 'time.txt');
      // A child that touches ~64 MiB and exits 3: the report must show both.
      const script =
        'const b = Buffer.alloc(64 * 1024 * 1024, 1); let s = 0; for (let i = 0; i < b.length; i += 4096) s += b[i]; process.exit(s > 0 ? 3 : 0)';
      const r = spawnSync('/usr/bin/time', ['-v', '-o', out, process.execPath, '-e', script]);
      assert.equal(r.status, 3);
      const rep = parseTimeV(await readFile(out, 'utf8'));
      assert.equal(rep.exitStatus, 3);
      assert.ok(rep.maxRssKiB > 64 * 1024, `peak RSS ${rep.maxRssKiB} KiB should cover the 64 MiB buffer`);
      assert.ok(rep.wallSeconds > 0 && rep.wallSeconds < 60);
      assert.ok(rep.userSeconds + rep.sysSeconds > 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('parseClock handles m:ss.cc and h:mm:ss, and rejects garbage', () => {
  assert.equal(parseClock('0:01.50'), 1.5);
  assert.equal(parseClock('2:03.25'), 123.25);
  assert.equal(parseClock('1:02:03'), 3723);
  assert.throws(() => parseClock('soon'));
  assert.throws(() => parseTimeV('User time (seconds): 1\n'), /elapsed/);
});

function result(
  tool: ToolResult['tool'],
  v1: [number, number, number],
  v2: [number, number, number],
  restore: [number, number],
): ToolResult {
  // [wall s, peak RSS MiB, repo MiB] for backups, [wall s, peak RSS MiB] for the restore; 1000 MiB of data.
  const data = 1000 * 1024 * 1024;
  const m = (wall: number, rss: number) => ({
    wallSeconds: wall,
    userSeconds: wall,
    sysSeconds: 0,
    maxRssKiB: rss * 1024,
  });
  return {
    tool,
    steps: {
      'backup-v1': stepResult(m(v1[0], v1[1]), data, v1[2] * 1024 * 1024),
      'backup-v2': stepResult(m(v2[0], v2[1]), data, v2[2] * 1024 * 1024),
      'restore-v2': stepResult(m(restore[0], restore[1]), data),
    },
    restoreMatches: true,
  };
}

test('verdicts compare airgap with every baseline against the issue-3 targets', () => {
  const restic = result('restic', [10, 136, 532], [5, 140, 560], [15, 100]);
  const airgap = result('airgap', [4, 120, 500], [2.5, 150, 530], [5, 90]);
  const list = verdicts([airgap, restic]);
  const by = (id: string) => list.find((v) => v.target === id && v.baseline === 'restic')!;
  assert.equal(list.length, 7);
  assert.equal(by('backup-throughput').ratio, 2.5); // 250 vs 100 MiB/s: exactly the target passes
  assert.equal(by('backup-throughput').pass, true);
  assert.equal(by('incremental-time').ratio, 0.5);
  assert.equal(by('incremental-time').pass, false); // wants <= 0.40
  assert.equal(by('restore-throughput').ratio, 3);
  assert.equal(by('restore-throughput').pass, true);
  assert.equal(by('backup-rss').ratio, 150 / 140); // the larger of the two backups on each side
  assert.equal(by('backup-rss').pass, false);
  assert.equal(by('restore-rss').pass, true);
  assert.equal(by('repo-size-v1').pass, true);
  assert.equal(by('repo-size-v2').ratio, 530 / 560);
  assert.equal(
    stepResult({ wallSeconds: 2, userSeconds: 1.5, sysSeconds: 0.5, maxRssKiB: 2048 }, 0).cpuPercent,
    100,
  );
});

test('no airgap row, no verdicts; a missing step gives no ratio instead of a wrong one', () => {
  const restic = result('restic', [10, 136, 532], [5, 140, 560], [15, 100]);
  assert.deepEqual(verdicts([restic]), []);
  const partial: ToolResult = {
    tool: 'airgap',
    steps: { 'backup-v1': restic.steps['backup-v1']! },
    error: 'boom',
  };
  const list = verdicts([partial, restic]);
  assert.deepEqual(
    list.map((v) => v.target),
    ['backup-throughput', 'repo-size-v1'],
  );
});

test('resultsTable has a row per tool and step; problems name failures and differing restores', () => {
  const restic = result('restic', [10, 136, 532], [5, 140, 560], [15, 100]);
  const borg: ToolResult = {
    ...result('borg-lz4', [12, 90, 600], [7, 90, 620], [20, 80]),
    restoreMatches: false,
    differences: ['Files a and b differ'],
  };
  const table = resultsTable([restic, borg]);
  const rows = table.split('\n').slice(2);
  assert.equal(rows.length, 6);
  assert.match(rows[0]!, /first backup \(v1\)\s*\| restic\s*\| 10\.00\s*\| 100\.0 /);
  assert.match(table, /\| 532\.0\s*\|/);
  assert.deepEqual(problems([restic]), []);
  const bad = problems([borg, { tool: 'airgap', steps: {}, error: 'init exited with 2' }]);
  assert.match(bad[0]!, /borg-lz4: restore DIFFERS .*1 differences/);
  assert.match(bad[1]!, /Files a and b differ/);
  assert.match(bad[2]!, /airgap: FAILED: init exited with 2/);
});

test('insertRun puts runs above the marker, and above a later "Replication" section', () => {
  const base = `# Benchmarks\n\n## Runs\n\n${RUNS_END_MARKER}\n\n## Replication\n\nother text\n`;
  const once = insertRun(base, '### run 1\n\ntable 1\n');
  const twice = insertRun(once, '### run 2\n\ntable 2\n');
  assert.ok(twice.indexOf('### run 1') < twice.indexOf('### run 2'));
  assert.ok(twice.indexOf('### run 2') < twice.indexOf(RUNS_END_MARKER));
  assert.ok(twice.indexOf(RUNS_END_MARKER) < twice.indexOf('## Replication'));
  assert.ok(twice.endsWith('## Replication\n\nother text\n'));
  assert.doesNotMatch(twice, /\n\n\n/);

  const noMarker = insertRun('# B\n\n## Replication\n\nx\n', '### run\n');
  assert.ok(noMarker.indexOf('### run') < noMarker.indexOf('## Replication'));
  assert.ok(noMarker.includes(RUNS_END_MARKER));
  const empty = insertRun('', '### run\n');
  assert.ok(empty.startsWith('### run\n'));
});

test('--only selects tools; "borg" means both borg variants; unknown names are refused', () => {
  assert.deepEqual(selectTools([]), ['airgap', 'restic', 'borg-lz4', 'borg-zstd3']);
  assert.deepEqual(selectTools(['borg', 'airgap']), ['airgap', 'borg-lz4', 'borg-zstd3']);
  assert.deepEqual(selectTools(['restic', 'restic']), ['restic']);
  assert.throws(() => selectTools(['kopia']), /--only kopia/);
});

test('a ratio that misses its limit by less than the rounding shows a third decimal', () => {
  const restic = result('restic', [10, 136, 500], [5, 140, 560], [15, 100]);
  const airgap = result('airgap', [4, 120, 502], [2, 130, 530], [5, 90]);
  const table = verdictTable(verdicts([airgap, restic]));
  assert.match(table, /repository size after v1 \| airgap \/ restic\s*\| 1\.004 \| <= 1\s*\| FAIL/);
  assert.match(table, /repository size after v2 \| airgap \/ restic\s*\| 0\.95 /);
});

test('compareTrees (diff -rq --no-dereference) catches changed, missing and re-pointed entries', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cmp-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    for (const d of [a, b]) {
      await mkdir(join(d, 'sub'), { recursive: true });
      await writeFile(join(d, 'same.txt'), 'same');
      await writeFile(join(d, 'sub', 'x.bin'), Buffer.alloc(1000, 7));
      await symlink('same.txt', join(d, 'link'));
    }
    assert.deepEqual(await compareTrees(a, b), { same: true, differences: [] });

    await writeFile(join(b, 'sub', 'x.bin'), Buffer.alloc(1000, 8)); // same size, other bytes
    await rm(join(b, 'same.txt'));
    await writeFile(join(b, 'same.txt'), 'same');
    await rm(join(b, 'link'));
    await symlink('sub/x.bin', join(b, 'link'));
    await writeFile(join(a, 'only-in-a'), '');
    const cmp = await compareTrees(a, b);
    assert.equal(cmp.same, false);
    assert.equal(cmp.differences.length, 3, cmp.differences.join('\n'));
    assert.equal((await compareTrees(a, join(dir, 'missing'))).same, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bestOf keeps the fastest round per step, and any differing restore or error', () => {
  const slow = result('restic', [10, 136, 532], [5, 140, 560], [15, 100]);
  const fast = result('restic', [8, 130, 532], [6, 141, 560], [12, 101]);
  const best = bestOf([slow, fast]);
  assert.equal(best.steps['backup-v1']!.wallSeconds, 8);
  assert.equal(best.steps['backup-v2']!.wallSeconds, 5);
  assert.equal(best.steps['restore-v2']!.wallSeconds, 12);
  assert.equal(best.restoreMatches, true);
  const broken: ToolResult = { ...fast, restoreMatches: false, differences: ['Only in a: x'] };
  assert.equal(bestOf([slow, broken]).restoreMatches, false);
  assert.deepEqual(bestOf([slow, broken]).differences, ['Only in a: x']);
  const failed: ToolResult = { tool: 'restic', steps: {}, error: 'restic exited with 1' };
  assert.equal(bestOf([slow, failed]).error, 'restic exited with 1');
  assert.throws(() => bestOf([]));
});

test('a multi-line error becomes one FAILED line and indented detail lines', () => {
  const bad = problems([
    { tool: 'airgap', steps: {}, error: 'backup exited with 134:\n\nFATAL ERROR: heap\nline 3' },
  ]);
  assert.deepEqual(bad, ['airgap: FAILED: backup exited with 134:', '  FATAL ERROR: heap', '  line 3']);
});
