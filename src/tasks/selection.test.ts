import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectSnapshots, type SelectableSnapshot } from './selection.js';

const snap = (
  id: string,
  time: string,
  host: string,
  paths: string[],
  tags: string[] = [],
): SelectableSnapshot => ({
  id,
  time,
  host,
  paths,
  tags,
});

const all = [
  snap('c', '2024-01-03T00:00:00Z', 'web', ['/srv'], ['daily']),
  snap('a', '2024-01-01T00:00:00Z', 'web', ['/srv'], ['daily']),
  snap('b', '2024-01-02T00:00:00Z', 'db', ['/var/lib/pg'], ['weekly']),
  snap('d', '2024-01-04T00:00:00Z', 'web', ['/etc']),
];

test('all: every snapshot, oldest first', () => {
  assert.deepEqual(
    selectSnapshots(all, { select: 'all' }).map((s) => s.id),
    ['a', 'b', 'c', 'd'],
  );
});

test('latest-per-source: the newest per host and path set', () => {
  assert.deepEqual(
    selectSnapshots(all, { select: 'latest-per-source' }).map((s) => s.id),
    ['b', 'c', 'd'],
  );
});

test('tags: any of the tags', () => {
  assert.deepEqual(
    selectSnapshots(all, { select: 'tags', tags: ['weekly', 'nope'] }).map((s) => s.id),
    ['b'],
  );
  assert.deepEqual(selectSnapshots(all, { select: 'tags', tags: ['monthly'] }), []);
});
