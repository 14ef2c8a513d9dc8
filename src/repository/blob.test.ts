import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isAirgapError } from '../errors.js';
import { decodeBlob, decodeJson, encodeBlob, encodeJson } from './blob.js';
import { SEAL_OVERHEAD } from './crypto.js';

const key = randomBytes(32);

test('a blob decodes to exactly what was encoded, compressed or not', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 20_000 }),
      fc.integer({ min: 0, max: 3 }),
      fc.boolean(),
      (bytes, level, repetitive) => {
        const plain = repetitive
          ? Buffer.from(Buffer.from(bytes).toString('hex').repeat(3))
          : Buffer.from(bytes);
        const stored = encodeBlob(key, plain, level);
        assert.deepEqual(decodeBlob(key, stored, 'blob'), plain);
        // Never grows beyond the envelope: incompressible data is stored raw.
        assert.ok(stored.length <= plain.length + SEAL_OVERHEAD + 1);
      },
    ),
    { numRuns: 200 },
  );
});

test('compressible data is stored smaller', () => {
  const plain = Buffer.from('airgap '.repeat(10_000));
  assert.ok(encodeBlob(key, plain, 3).length < plain.length / 10);
});

test('every single-byte change of a stored blob is detected as INTEGRITY', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (bytes, at, xor) => {
        const stored = encodeBlob(key, Buffer.from(bytes), 3);
        const i = at % stored.length;
        const bad = Buffer.from(stored);
        bad[i] = bad[i]! ^ xor;
        assert.throws(
          () => decodeBlob(key, bad, 'blob'),
          (e) => isAirgapError(e, 'INTEGRITY'),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('truncated, empty or foreign-key blobs are INTEGRITY errors, never crashes', () => {
  const stored = encodeBlob(key, randomBytes(500), 3);
  for (const bad of [stored.subarray(0, 10), Buffer.alloc(0), stored.subarray(0, stored.length - 1)]) {
    assert.throws(
      () => decodeBlob(key, bad, 'blob'),
      (e) => isAirgapError(e, 'INTEGRITY'),
    );
  }
  assert.throws(
    () => decodeBlob(randomBytes(32), stored, 'blob'),
    (e) => isAirgapError(e, 'INTEGRITY'),
  );
});

test('JSON documents round-trip, and garbage that decrypts is still rejected', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const back = decodeJson<unknown>(key, encodeJson(key, v), 'doc');
      assert.deepEqual(back, JSON.parse(JSON.stringify(v)));
    }),
    { numRuns: 100 },
  );
  const notJson = encodeBlob(key, Buffer.from('{not json'), 0);
  assert.throws(
    () => decodeJson(key, notJson, 'doc'),
    (e) => isAirgapError(e, 'INTEGRITY') && /not valid JSON/.test(e.message),
  );
});
