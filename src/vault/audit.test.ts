import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAudit, verifyAuditFile } from './audit.js';

test('the audit log chains entries and detects edits, removals and reordering', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vault-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'audit.log');
  const lock = join(dir, 'audit.lock');
  await Promise.all([1, 2, 3, 4, 5].map((i) => appendAudit(log, lock, 'test', { i })));
  const good = await verifyAuditFile(log);
  assert.equal(good.ok, true);
  assert.equal(good.entries, 5);

  const lines = (await readFile(log, 'utf8')).trimEnd().split('\n');
  await writeFile(log, lines.map((l, i) => (i === 2 ? l.replace(/"i":\d/, '"i":9') : l)).join('\n') + '\n');
  assert.deepEqual([(await verifyAuditFile(log)).ok, (await verifyAuditFile(log)).badLine], [false, 3]);

  await writeFile(log, lines.filter((_, i) => i !== 1).join('\n') + '\n');
  assert.equal((await verifyAuditFile(log)).badLine, 2);

  await writeFile(log, [lines[0], lines[2], lines[1], lines[3]].join('\n') + '\n');
  assert.equal((await verifyAuditFile(log)).ok, false);
});
