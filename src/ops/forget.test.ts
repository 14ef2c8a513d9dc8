import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAirgapError } from '../errors.js';
import type { Snapshot } from '../repository/snapshots.js';
import { applyPolicy, parseDuration, type KeepPolicy } from './forget.js';

let seq = 0;
function snap(time: string, host = 'h1', paths = ['/data']): Snapshot {
  const id = (++seq).toString(16).padStart(64, '0');
  return {
    id,
    version: 1,
    time: new Date(time).toISOString(),
    host,
    user: 'u',
    paths,
    tags: [],
    tree: '0'.repeat(64),
    program: 'test',
  };
}

/** One snapshot a day at 03:00 UTC, from `start` for `days` days. */
function daily(start: string, days: number): Snapshot[] {
  const t0 = Date.parse(start);
  return Array.from({ length: days }, (_, i) => snap(new Date(t0 + i * 86_400_000).toISOString()));
}

function kept(snaps: Snapshot[], policy: KeepPolicy): string[] {
  const [g] = applyPolicy(snaps, policy);
  return g!.keep.map((k) => k.time.slice(0, 10)).sort();
}

test('keep-last keeps the newest n and removes the rest', () => {
  const s = daily('2024-01-01T03:00:00Z', 10);
  const [g] = applyPolicy(s, { last: 3 });
  assert.deepEqual(
    g!.keep.map((k) => k.time.slice(0, 10)),
    ['2024-01-10', '2024-01-09', '2024-01-08'],
  );
  assert.equal(g!.remove.length, 7);
  assert.deepEqual(g!.keep[0]!.reasons, ['last']);
});

test('keep-daily keeps the newest snapshot of each of the last n days', () => {
  const s = [...daily('2024-01-01T03:00:00Z', 5), snap('2024-01-05T20:00:00Z'), snap('2024-01-04T01:00:00Z')];
  const [g] = applyPolicy(s, { daily: 3 });
  assert.deepEqual(
    g!.keep.map((k) => k.time),
    ['2024-01-05T20:00:00.000Z', '2024-01-04T03:00:00.000Z', '2024-01-03T03:00:00.000Z'],
  );
  assert.equal(g!.remove.length, 4);
});

test('keep-weekly counts ISO weeks (Monday to Sunday), across a year boundary', () => {
  // 2020-12-28 is the Monday of ISO week 2020-W53; 2021-01-03 (Sunday) is in that same week.
  const s = daily('2020-12-21T03:00:00Z', 21); // 21 Dec 2020 .. 10 Jan 2021: weeks W52, W53, W01
  assert.deepEqual(kept(s, { weekly: 3 }), ['2020-12-27', '2021-01-03', '2021-01-10']);
  assert.deepEqual(kept(s, { weekly: 2 }), ['2021-01-03', '2021-01-10']);
});

test('keep-monthly and keep-yearly keep the last snapshot of each period', () => {
  const s = daily('2022-11-15T03:00:00Z', 500); // to late March 2024
  assert.deepEqual(kept(s, { monthly: 3 }), ['2024-01-31', '2024-02-29', '2024-03-28']);
  assert.deepEqual(kept(s, { yearly: 5 }), ['2022-12-31', '2023-12-31', '2024-03-28']);
});

test('policies combine: a snapshot is kept when any rule keeps it, with every reason listed', () => {
  const s = daily('2024-01-01T03:00:00Z', 60);
  const [g] = applyPolicy(s, { last: 2, daily: 5, monthly: 2 });
  const byDay = new Map(g!.keep.map((k) => [k.time.slice(0, 10), k.reasons]));
  assert.deepEqual(byDay.get('2024-02-29'), ['last', 'daily', 'monthly']);
  assert.deepEqual(byDay.get('2024-02-26'), ['daily']);
  assert.deepEqual(byDay.get('2024-01-31'), ['monthly']);
  assert.equal(g!.keep.length, 6);
  assert.equal(g!.keep.length + g!.remove.length, 60);
});

test('keep-within keeps everything newer than the latest minus the duration', () => {
  const s = daily('2024-01-01T03:00:00Z', 30);
  assert.deepEqual(kept(s, { withinMs: parseDuration('7d') }), [
    '2024-01-23',
    '2024-01-24',
    '2024-01-25',
    '2024-01-26',
    '2024-01-27',
    '2024-01-28',
    '2024-01-29',
    '2024-01-30',
  ]);
  assert.equal(kept(s, { withinMs: parseDuration('12h') }).length, 1);
});

test('groups by host and paths: each group keeps its own', () => {
  const s = [
    snap('2024-01-01T00:00:00Z', 'a'),
    snap('2024-01-02T00:00:00Z', 'a'),
    snap('2024-01-01T00:00:00Z', 'b'),
    snap('2024-01-03T00:00:00Z', 'a', ['/other']),
  ];
  const groups = applyPolicy(s, { last: 1 });
  assert.equal(groups.length, 3);
  for (const g of groups) assert.equal(g.keep.length, 1);
  const a = groups.find((g) => g.host === 'a' && g.paths[0] === '/data')!;
  assert.equal(a.keep[0]!.time, '2024-01-02T00:00:00.000Z');
  assert.equal(a.remove.length, 1);
});

test('a zero count keeps nothing by that rule', () => {
  const s = daily('2024-01-01T03:00:00Z', 3);
  const [g] = applyPolicy(s, { last: 0, daily: 0 });
  assert.equal(g!.keep.length, 0);
  assert.equal(g!.remove.length, 3);
});

test('durations parse, nonsense is a USAGE error', () => {
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
  assert.equal(parseDuration('1y'), 365 * 86_400_000);
  assert.equal(parseDuration('90m'), 90 * 60_000);
  for (const bad of ['', '7', 'd', '1.5d', '-1d', '3 weeks']) {
    assert.throws(
      () => parseDuration(bad),
      (e) => isAirgapError(e, 'USAGE'),
    );
  }
});
