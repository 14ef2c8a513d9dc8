import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMatcher } from './glob.js';

test('patterns without a slash match a name anywhere', () => {
  const m = compileMatcher(['*.tmp', 'node_modules']);
  assert.ok(m('/home/a/x.tmp'));
  assert.ok(m('/home/a/node_modules'));
  assert.ok(!m('/home/a/x.tmpl'));
});

test('patterns with a slash are anchored; ** crosses directories', () => {
  const m = compileMatcher(['/home/*/cache', '/var/**/log?']);
  assert.ok(m('/home/bob/cache'));
  assert.ok(!m('/home/bob/x/cache'));
  assert.ok(m('/var/a/b/logs'));
  assert.ok(!m('/var/a/b/logs2'));
});
