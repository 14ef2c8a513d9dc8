import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeManifest, retentionFor, validateSnapshotMeta } from './retention.js';
import { isAirgapError } from '../errors.js';

const DAY = 86_400_000;
const cfg = {
  defaultMs: 30 * DAY,
  tiers: [
    { tag: 'monthly', keepMs: 365 * DAY },
    { tag: 'daily', keepMs: 7 * DAY },
  ],
};
const sha = (c: string): string => c.repeat(64);

test('retention takes the longest matching tier, the default otherwise', () => {
  assert.equal(retentionFor(cfg, []), 30 * DAY);
  assert.equal(retentionFor(cfg, ['daily']), 7 * DAY);
  assert.equal(retentionFor(cfg, ['daily', 'monthly']), 365 * DAY);
});

test('a lock counts from the receive time and is never shortened by a later receipt', () => {
  const t0 = new Date('2030-01-01T00:00:00Z');
  const first = mergeManifest(null, sha('a'), { refs: [`data/${sha('b')}`], tags: ['monthly'] }, cfg, t0);
  assert.equal(first.lockedUntil, new Date(t0.getTime() + 365 * DAY).toISOString());
  const again = mergeManifest(
    first,
    sha('a'),
    { refs: [], tags: ['daily'] },
    cfg,
    new Date(t0.getTime() + DAY),
  );
  assert.equal(again.lockedUntil, first.lockedUntil);
  assert.deepEqual(again.refs, first.refs);
  const later = mergeManifest(
    first,
    sha('a'),
    { refs: [], tags: ['monthly'] },
    cfg,
    new Date(t0.getTime() + 10 * DAY),
  );
  assert.equal(Date.parse(later.lockedUntil), t0.getTime() + 375 * DAY);
  assert.equal(later.receivedAt, first.receivedAt);
});

test('manifests with bad refs are refused', () => {
  for (const bad of [
    null,
    { refs: 'x', tags: [] },
    { refs: ['../../etc/passwd'], tags: [] },
    { refs: [`keys/${sha('a')}`], tags: [] },
  ]) {
    assert.throws(
      () => validateSnapshotMeta(bad),
      (e) => isAirgapError(e, 'USAGE'),
    );
  }
  assert.deepEqual(
    validateSnapshotMeta({ refs: [`data/${sha('c')}`, `data/${sha('c')}`], tags: ['x'] }).refs,
    [`data/${sha('c')}`],
  );
});
