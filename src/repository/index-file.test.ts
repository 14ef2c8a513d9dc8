import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isAirgapError } from '../errors.js';
import { encodeBlob } from './blob.js';
import { newBlobIndex } from './blob-index.js';
import { decodeIndexFile, encodeIndexFile, encodeIndexFileOf, type IndexFileContent } from './index-file.js';

const key = randomBytes(32);
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u).toString('hex'));
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const contentArb: fc.Arbitrary<IndexFileContent> = fc.record({
  packs: fc.array(
    fc.record({
      pack: hex32,
      blobs: fc.array(
        fc.record({
          type: fc.constantFrom('data' as const, 'tree' as const),
          id: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u)),
          offset: u32,
          length: u32,
          rawLength: u32,
        }),
        { maxLength: 20 },
      ),
    }),
    { maxLength: 10 },
  ),
  supersedes: fc.array(hex32, { maxLength: 5 }),
});

// fast-check builds null-prototype records; compare as ordinary objects.
const plain = (c: IndexFileContent): IndexFileContent => ({
  packs: c.packs.map((p) => ({ pack: p.pack, blobs: p.blobs.map((b) => ({ ...b })) })),
  supersedes: [...c.supersedes],
});

test('an index file decodes to exactly what was encoded', () => {
  fc.assert(
    fc.property(contentArb, fc.integer({ min: 0, max: 3 }), (c, level) => {
      assert.deepEqual(decodeIndexFile(key, encodeIndexFile(key, c, level), 'index'), plain(c));
    }),
    { numRuns: 150 },
  );
});

test('any changed byte of a stored index file is an INTEGRITY error', () => {
  fc.assert(
    fc.property(contentArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (c, at, xor) => {
      const stored = encodeIndexFile(key, c, 3);
      const i = at % stored.length;
      stored[i] = stored[i]! ^ xor;
      assert.throws(
        () => decodeIndexFile(key, stored, 'index'),
        (e) => isAirgapError(e, 'INTEGRITY'),
      );
    }),
    { numRuns: 150 },
  );
});

test('well-encrypted but malformed content is rejected, not misread', () => {
  const good = encodeIndexFile(key, { packs: [{ pack: 'ab'.repeat(32), blobs: [] }], supersedes: [] }, 0);
  assert.ok(decodeIndexFile(key, good, 'index'));
  const cases = [
    Buffer.from('nope'),
    Buffer.from('AGIX\x02\0\0\0\0\0\0\0\0', 'latin1'), // unknown version
    Buffer.concat([Buffer.from('AGIX\x01', 'latin1'), Buffer.from([5, 0, 0, 0])]), // 5 packs promised, none there
  ];
  for (const plain of cases) {
    assert.throws(
      () => decodeIndexFile(key, encodeBlob(key, plain, 0), 'index'),
      (e) => isAirgapError(e, 'INTEGRITY'),
    );
  }
});

test('an index file written from entry numbers of the in-memory index holds the same packs', () => {
  fc.assert(
    fc.property(contentArb, (c) => {
      const index = newBlobIndex(4);
      const packs = c.packs.map((p) => ({
        pack: p.pack,
        entries: p.blobs.map((b) => index.add(b.id, { ...b, pack: p.pack })),
      }));
      const decoded = decodeIndexFile(key, encodeIndexFileOf(key, index, packs, 3), 'index');
      assert.deepEqual(decoded, plain({ packs: c.packs, supersedes: [] }));
    }),
    { numRuns: 100 },
  );
});
