import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { chunkBuffer, createChunker, createCutBuffer, findCut, type ChunkerParams } from './chunker.js';

const small: ChunkerParams = { min: 2048, avg: 8192, max: 32768 };
const key = Buffer.alloc(32, 7);

function boundaries(lengths: number[]): number[] {
  const out: number[] = [];
  let p = 0;
  for (const l of lengths) out.push((p += l));
  return out;
}

test('chunks cover the input exactly and respect min and max sizes', () => {
  const ch = createChunker(small, key);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300_000 }), (n) => {
      const data = randomBytes(n);
      const lens = chunkBuffer(ch, data);
      assert.equal(
        lens.reduce((a, b) => a + b, 0),
        n,
      );
      lens.forEach((l, i) => {
        assert.ok(l <= small.max);
        if (i < lens.length - 1) assert.ok(l > small.min, `chunk ${i} of ${l} bytes is below min`);
      });
    }),
    { numRuns: 40 },
  );
});

test('the same data always gives the same chunks, and another key gives other boundaries', () => {
  const data = randomBytes(400_000);
  const a = chunkBuffer(createChunker(small, key), data);
  const b = chunkBuffer(createChunker(small, key), Buffer.from(data));
  assert.deepEqual(a, b);
  const c = chunkBuffer(createChunker(small, Buffer.alloc(32, 9)), data);
  assert.notDeepEqual(a, c);
});

test('an insertion changes only the chunks near it', () => {
  const ch = createChunker(small, key);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 499_000 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      (at, ins) => {
        const data = randomBytes(500_000);
        const edited = Buffer.concat([data.subarray(0, at), ins, data.subarray(at)]);
        const before = new Set(boundaries(chunkBuffer(ch, data)));
        const after = boundaries(chunkBuffer(ch, edited));
        // Boundaries well after the insertion reappear, shifted by its length.
        const far = after.filter((b) => b > at + ins.length + 2 * small.max);
        const resynced = far.filter((b) => before.has(b - ins.length)).length;
        assert.ok(
          resynced >= far.length - 1,
          `only ${resynced} of ${far.length} far boundaries resynchronised`,
        );
        // Boundaries well before it are untouched.
        const near = after.filter((b) => b < at - small.max);
        for (const b of near) assert.ok(before.has(b));
      },
    ),
    { numRuns: 25 },
  );
});

test('sizes cluster around the average', () => {
  const ch = createChunker(small, key);
  const lens = chunkBuffer(ch, randomBytes(4_000_000));
  const mean = lens.reduce((a, b) => a + b, 0) / lens.length;
  assert.ok(mean > small.avg / 2 && mean < small.avg * 2, `mean chunk ${mean}`);
});

test('the WebAssembly cut-point search finds exactly the boundaries of the TypeScript one', () => {
  const ch = createChunker(small, key);
  const cb = createCutBuffer(ch, 400_000);
  assert.equal(cb.engine, 'wasm', 'dist/src/repository/gear-cut.wasm is built by npm run build');
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300_000 }),
      fc.integer({ min: 0, max: 50_000 }),
      fc.boolean(),
      fc.constantFrom('random', 'zeros', 'text'),
      (n, offset, final, kind) => {
        const data =
          kind === 'random'
            ? randomBytes(n)
            : kind === 'zeros'
              ? Buffer.alloc(n)
              : Buffer.from('a line of log text 0123456789\n'.repeat(n / 30 + 1)).subarray(0, n);
        data.copy(cb.buf, offset);
        for (let start = offset; start < offset + n;) {
          const want = findCut(ch, cb.buf, start, offset + n, final);
          assert.equal(cb.findCut(start, offset + n, final), want);
          if (want < 0) break;
          start = want;
        }
      },
    ),
    { numRuns: 60 },
  );
});
