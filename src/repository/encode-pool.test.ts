import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeBlob } from './blob.js';
import { createEncodePool } from './encode-pool.js';

test('blobs encoded by worker threads decode to the original bytes, in any completion order', async () => {
  const key = randomBytes(32);
  // Two slots for two threads and 60 blobs: submitters wait for slots to come back.
  const pool = createEncodePool({ enc: key, id: key }, 3, 2, { maxBlob: 64 * 1024, slots: 2 });
  try {
    const inputs = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0
        ? randomBytes(1000 + i * 997)
        : Buffer.from('compressible text '.repeat(200 + i * 50).slice(0, 60000)),
    );
    const results = await Promise.all(
      inputs.map(async (plain) => {
        const { done } = await pool.submit(plain);
        const { stored, release } = await done;
        const copy = Buffer.from(stored);
        release();
        return copy;
      }),
    );
    results.forEach((stored, i) => assert.ok(decodeBlob(key, stored, `blob ${i}`).equals(inputs[i]!)));
    // Compressible input is stored smaller than it is.
    assert.ok(results[1]!.length < inputs[1]!.length);
  } finally {
    await pool.close();
  }
});

test('a blob larger than the slots allow is refused with a clear error', async () => {
  const pool = createEncodePool({ enc: randomBytes(32), id: randomBytes(32) }, 3, 1, { maxBlob: 64 * 1024 });
  try {
    await assert.rejects(pool.submit(Buffer.alloc(pool.maxBlob + 1)), /larger than the encode pool's slots/);
  } finally {
    await pool.close();
  }
});
