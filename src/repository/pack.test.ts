import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isAirgapError } from '../errors.js';
import { decodeBlob, encodeBlob, encodeBlobInto, maxEncodedLength, type BlobType } from './blob.js';
import { newPack, newPackStream, parsePackHeader } from './pack.js';

const key = randomBytes(32);

function build(blobs: { type: BlobType; plain: Buffer }[]): { bytes: Buffer; name: string; ids: Buffer[] } {
  const p = newPack();
  const ids: Buffer[] = [];
  for (const b of blobs) {
    const id = createHash('sha256').update(b.plain).digest();
    ids.push(id);
    p.add(b.type, id, encodeBlob(key, b.plain, 3), b.plain.length);
  }
  const { bytes, name, size } = p.finish(key);
  assert.equal(bytes.length, size);
  return { bytes, name, ids };
}

const blobsArb = fc.array(
  fc.record({
    type: fc.constantFrom<BlobType>('data', 'tree'),
    plain: fc.uint8Array({ maxLength: 5000 }).map((u) => Buffer.from(u)),
  }),
  { minLength: 1, maxLength: 30 },
);

test('a pack header lists every blob with the offsets where it really is', () => {
  fc.assert(
    fc.property(blobsArb, (blobs) => {
      const { bytes, name, ids } = build(blobs);
      assert.equal(name, createHash('sha256').update(bytes).digest('hex'));
      const entries = parsePackHeader(key, bytes, bytes.length, 'pack');
      assert.equal(entries.length, blobs.length);
      entries.forEach((e, i) => {
        assert.equal(e.type, blobs[i]!.type);
        assert.deepEqual(e.id, ids[i]);
        assert.equal(e.rawLength, blobs[i]!.plain.length);
        assert.deepEqual(
          decodeBlob(key, bytes.subarray(e.offset, e.offset + e.length), 'blob'),
          blobs[i]!.plain,
        );
      });
      // The tail alone (header + length) is enough, given the pack's size.
      const hlen = bytes.readUInt32LE(bytes.length - 4);
      const tail = bytes.subarray(bytes.length - 4 - hlen);
      assert.deepEqual(parsePackHeader(key, tail, bytes.length, 'pack'), entries);
    }),
    { numRuns: 60 },
  );
});

test('a damaged header, length or size is an INTEGRITY error', () => {
  fc.assert(
    fc.property(blobsArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (blobs, at, xor) => {
      const { bytes } = build(blobs);
      const hlen = bytes.readUInt32LE(bytes.length - 4);
      const headerStart = bytes.length - 4 - hlen;
      const bad = Buffer.from(bytes);
      const i = headerStart + (at % (hlen + 4));
      bad[i] = bad[i]! ^ xor;
      assert.throws(
        () => parsePackHeader(key, bad, bad.length, 'pack'),
        (e) => isAirgapError(e, 'INTEGRITY'),
      );
    }),
    { numRuns: 150 },
  );
  const { bytes } = build([{ type: 'data', plain: randomBytes(100) }]);
  assert.throws(
    () => parsePackHeader(key, bytes, bytes.length + 1, 'pack'),
    (e) => isAirgapError(e, 'INTEGRITY'),
  );
  assert.throws(
    () => parsePackHeader(key, bytes.subarray(0, 3), 3, 'pack'),
    (e) => isAirgapError(e, 'INTEGRITY'),
  );
  assert.throws(
    () => parsePackHeader(randomBytes(32), bytes, bytes.length, 'pack'),
    (e) => isAirgapError(e, 'INTEGRITY'),
  );
});

test('a pack streamed out as it is built is named by the SHA-256 of what was written and reads back', () => {
  fc.assert(
    fc.property(blobsArb, fc.array(fc.nat(), { maxLength: 3 }), (small, at) => {
      // Blobs of a quarter MiB and more bypass the staging buffer: mix both kinds, anywhere.
      const blobs = [...small];
      at.forEach((pos, i) =>
        blobs.splice(pos % (blobs.length + 1), 0, {
          type: 'data',
          plain: randomBytes(300_000 + i * 250_000),
        }),
      );
      const written: Buffer[] = [];
      // The sink may not keep the caller's buffer: copy, as a file write does.
      const p = newPackStream({ write: (d) => void written.push(Buffer.from(d)) }, { buf: Buffer.alloc(0) });
      blobs.forEach((b, i) => {
        const id = createHash('sha256').update(b.plain).digest();
        if (i % 2) p.add(b.type, id, encodeBlob(key, b.plain, 3), b.plain.length);
        else
          p.addEncoded(b.type, id, b.plain.length, maxEncodedLength(b.plain.length), (out, off) =>
            encodeBlobInto(key, b.plain, 3, out, off),
          );
      });
      const { name, entries, size, bytes } = p.finish(key);
      assert.equal(bytes, undefined);
      const all = Buffer.concat(written);
      assert.equal(all.length, size);
      assert.equal(name, createHash('sha256').update(all).digest('hex'));
      const parsed = parsePackHeader(key, all, all.length, 'streamed');
      assert.deepEqual(parsed, entries.toArray());
      parsed.forEach((e, i) => {
        const plain = decodeBlob(key, all.subarray(e.offset, e.offset + e.length), `blob ${i}`);
        assert.ok(plain.equals(blobs[i]!.plain));
      });
    }),
    { numRuns: 30 },
  );
});
