import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isAirgapError } from '../errors.js';
import {
  decodeBlob,
  decodeBlobInto,
  decodeJson,
  encodeBlob,
  encodeBlobInto,
  encodeJson,
  maxEncodedLength,
  newDecodeScratch,
} from './blob.js';
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

// Blobs larger than the cipher's 64 KiB slices, random (stored raw) or repetitive (compressed).
const bigBlobArb = fc
  .tuple(fc.integer({ min: 0, max: 300_000 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
  .map(([n, repetitive, seed]) => {
    if (!repetitive) return randomBytes(n);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (seed + (i % 97) * (i % 13)) & 0xff;
    return b;
  });

test('a blob encoded in place over its own plaintext (as the workers do) decodes to it', () => {
  fc.assert(
    fc.property(bigBlobArb, (plain) => {
      const slot = Buffer.alloc(maxEncodedLength(plain.length));
      plain.copy(slot);
      const n = encodeBlobInto(key, slot.subarray(0, plain.length), 3, slot, 0);
      assert.deepEqual(decodeBlob(key, slot.subarray(0, n), 'blob'), plain);
    }),
    { numRuns: 60 },
  );
});

test('decoding into reused buffers gives what decodeBlob gives, whatever the order of sizes', () => {
  const scratch = newDecodeScratch();
  fc.assert(
    fc.property(fc.array(bigBlobArb, { minLength: 1, maxLength: 4 }), (plains) => {
      const stored = plains.map((p) => encodeBlob(key, p, 3));
      stored.forEach((s, i) => {
        const view = decodeBlobInto(key, s, 'blob', scratch);
        assert.ok(Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(plains[i]!));
      });
    }),
    { numRuns: 40 },
  );
  const bad = encodeBlob(key, randomBytes(100_000), 3);
  bad[70_000] = bad[70_000]! ^ 1;
  assert.throws(
    () => decodeBlobInto(key, bad, 'blob', scratch),
    (e) => isAirgapError(e, 'INTEGRITY'),
  );
  assert.throws(
    () => decodeBlobInto(key, bad.subarray(0, 20), 'blob', scratch),
    (e) => isAirgapError(e, 'INTEGRITY'),
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
