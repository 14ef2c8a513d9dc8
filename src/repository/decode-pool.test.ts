import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AirgapError } from '../errors.js';
import { encodeBlob } from './blob.js';
import { blobId } from './crypto.js';
import { createDecodePool, transferable } from './decode-pool.js';

const keys = { enc: randomBytes(32), id: randomBytes(32) };

test('blobs decoded on worker threads equal their plaintext; damage is an INTEGRITY error', async () => {
  const pool = createDecodePool(keys, 2);
  try {
    const plains = [randomBytes(100), Buffer.from('text '.repeat(50_000)), randomBytes(300_000)];
    const stored = plains.map((p) => encodeBlob(keys.enc, p, 3));
    const out = await Promise.all(
      stored.map((s, i) => pool.decode(s, blobId(keys.id, plains[i]!), `blob ${i}`)),
    );
    out.forEach((o, i) => assert.ok(o.equals(plains[i]!)));

    const bad = Buffer.from(encodeBlob(keys.enc, plains[1]!, 3));
    bad[40] = bad[40]! ^ 1;
    await assert.rejects(pool.decode(bad, blobId(keys.id, plains[1]!), 'tampered'), (e: unknown) => {
      assert.ok(e instanceof AirgapError && e.code === 'INTEGRITY' && /tampered/.test(e.message));
      return true;
    });
    const other = encodeBlob(keys.enc, plains[0]!, 3);
    await assert.rejects(pool.decode(other, blobId(keys.id, plains[2]!), 'swapped'), /does not match its ID/);
  } finally {
    await pool.close();
  }
});

test('small buffers are copied before transfer, never moved out of a shared pool slab', () => {
  const small = Buffer.from('shares memory with other small Buffers');
  const t = transferable(small);
  assert.notEqual(t.buf, small.buffer);
  assert.deepEqual(Buffer.from(t.buf, t.offset, t.length), small);
});
