import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeClock } from './clock.js';

const DAY = 86_400_000;
const t0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);

test('prune accepts a clock that moved forward within the limit', () => {
  assert.deepEqual(judgeClock(at(10), { seen: at(9), prune: at(1), created: t0 }, 400 * DAY), { ok: true });
  assert.deepEqual(judgeClock(at(300), { seen: null, prune: null, created: t0 }, 400 * DAY), { ok: true });
});

test('prune refuses a clock that jumped forward or went backwards', () => {
  assert.equal(judgeClock(at(500), { seen: at(2), prune: at(1), created: t0 }, 400 * DAY).ok, false);
  assert.equal(judgeClock(at(401), { seen: null, prune: null, created: t0 }, 400 * DAY).ok, false);
  assert.equal(judgeClock(at(5), { seen: at(6), prune: at(1), created: t0 }, 400 * DAY).ok, false);
  assert.equal(judgeClock(at(0), { seen: null, prune: at(1), created: t0 }, 400 * DAY).ok, false);
});
