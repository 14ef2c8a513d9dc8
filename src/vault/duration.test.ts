import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDurationShort } from './duration.js';
import { isAirgapError } from '../errors.js';

test('parses the units retention uses', () => {
  assert.equal(parseDuration('30d'), 30 * 86_400_000);
  assert.equal(parseDuration('12h'), 12 * 3_600_000);
  assert.equal(parseDuration('1y'), 365 * 86_400_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(formatDurationShort(parseDuration('30d')), '30d');
});

test('refuses what is not a duration', () => {
  for (const bad of ['', '30', 'd', '-1d', '3 days', '1e3d']) {
    assert.throws(
      () => parseDuration(bad),
      (e) => isAirgapError(e, 'CONFIG'),
    );
  }
});
