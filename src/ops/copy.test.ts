import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalBackend, objectPath } from '../storage/local.js';
import type { Backend, ObjectType, SnapshotMeta } from '../storage/backend.js';
import { copyObjects, executeCopy, planCopy } from './copy.js';
import { verifyCopy, assertVerified } from './copy-verify.js';
import { isAirgapError } from '../errors.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function put(b: Backend, type: ObjectType, data: Buffer): Promise<string> {
  const name = type === 'config' ? 'config' : sha(data);
  await b.put(type, name, data);
  return name;
}

interface Fixture {
  src: Backend;
  dst: Backend;
  srcRoot: string;
  data: string[];
  index: string[];
  snaps: string[];
  metas: Map<string, SnapshotMeta>;
  cleanup(): Promise<void>;
}

/** A source and a destination repository in a fresh directory; the source has a config. */
async function twoRepositories(
  prefix: string,
): Promise<{ dir: string; srcRoot: string; src: Backend; dst: Backend }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const srcRoot = join(dir, 'src');
  const src = openLocalBackend(srcRoot);
  const dst = openLocalBackend(join(dir, 'dst'));
  await src.create();
  await dst.create();
  await put(src, 'config', Buffer.from('{"version":1}'));
  return { dir, srcRoot, src, dst };
}

/** A hand-made source: config, a key, 12 data objects, 2 indexes, 3 snapshots referencing subsets. */
async function fixture(): Promise<Fixture> {
  const { dir, srcRoot, src, dst } = await twoRepositories('airgap-copy-');
  await put(src, 'keys', randomBytes(200));
  const data: string[] = [];
  for (let i = 0; i < 12; i++) data.push(await put(src, 'data', randomBytes(1000 + i * 5000)));
  const index = [await put(src, 'index', randomBytes(300)), await put(src, 'index', randomBytes(310))];
  const metas = new Map<string, SnapshotMeta>();
  const snaps: string[] = [];
  const groups = [
    [0, 4, 0],
    [4, 8, 1],
    [8, 12, 1],
  ] as const;
  for (const [a, b, ix] of groups) {
    const id = await put(src, 'snapshots', randomBytes(150));
    snaps.push(id);
    metas.set(id, { refs: [...data.slice(a, b).map((d) => `data/${d}`), `index/${index[ix]}`], tags: [] });
  }
  return {
    src,
    dst,
    srcRoot,
    data,
    index,
    snaps,
    metas,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

test('copies everything in order, then a second run sends nothing', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const order: string[] = [];
  const r = await copyObjects(f.src, f.dst, { onObject: (i) => order.push(i.type) });
  assert.equal(r.sent.objects, 1 + 1 + 12 + 2 + 3);
  assert.equal(r.skipped.objects, 0);
  // Phases are strictly ordered: no snapshot before the last data/index object.
  const rank = (t: string): number => ['config', 'keys', 'data', 'index', 'snapshots'].indexOf(t);
  for (let i = 1; i < order.length; i++) assert.ok(rank(order[i]!) >= rank(order[i - 1]!), order.join(','));
  for (const d of f.data) assert.deepEqual(await f.dst.get('data', d), await f.src.get('data', d));
  const again = await copyObjects(f.src, f.dst);
  assert.equal(again.sent.objects, 0);
  assert.equal(again.skipped.objects, 19);
  assertVerified(await verifyCopy(f.dst, again.expected));
});

test('an interrupted copy resumes and sends only the rest', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(
    copyObjects(f.src, f.dst, {
      concurrency: 1,
      signal: ac.signal,
      onObject: () => {
        if (++n === 7) ac.abort();
      },
    }),
    (e) => isAirgapError(e, 'CANCELLED'),
  );
  const present = (await f.dst.list('data')).length;
  assert.ok(present > 0 && present < 12, `partial copy left ${present} data objects`);
  assert.equal((await f.dst.list('snapshots')).length, 0, 'no snapshot may land before its data');
  const sentNames: string[] = [];
  const r = await copyObjects(f.src, f.dst, { onObject: (i) => sentNames.push(`${i.type}/${i.name}`) });
  assert.equal(r.sent.objects, 19 - 7);
  assert.equal(r.skipped.objects, 7);
  assert.equal(new Set(sentNames).size, sentNames.length);
  assertVerified(await verifyCopy(f.dst, r.expected));
});

test('with metas, only the chosen snapshots and what they reference go, with meta attached', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  const seen: SnapshotMeta[] = [];
  const dst: Backend = {
    ...f.dst,
    put: (type, name, data, o) => {
      if (type === 'snapshots') seen.push(o!.snapshot!);
      return f.dst.put(type, name, data, o);
    },
  };
  const chosen = f.snaps[1]!;
  const r = await copyObjects(f.src, dst, {
    snapshots: [chosen],
    snapshotMeta: async (id) => f.metas.get(id)!,
  });
  assert.equal(r.byType.data!.sent.objects, 4);
  assert.equal(r.byType.index!.sent.objects, 1);
  assert.equal(r.byType.snapshots!.sent.objects, 1);
  assert.deepEqual(seen, [f.metas.get(chosen)]);
  assert.deepEqual(
    (await f.dst.list('snapshots')).map((s) => s.name),
    [chosen],
  );
});

test('a damaged source object is not sent and fails the copy', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  await writeFile(objectPath(f.srcRoot, 'data', f.data[3]!), randomBytes(1000 + 3 * 5000));
  await assert.rejects(copyObjects(f.src, f.dst), (e) => isAirgapError(e, 'INTEGRITY'));
  assert.equal(await f.dst.stat('data', f.data[3]!), null);
  assert.equal((await f.dst.list('snapshots')).length, 0);
});

test('a missing ref in the source stops the plan before anything is sent', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  await f.src.delete('data', f.data[0]!);
  await assert.rejects(planCopy(f.src, f.dst, { snapshotMeta: async (id) => f.metas.get(id)! }), (e) =>
    isAirgapError(e, 'INTEGRITY'),
  );
});

test('a destination holding a different repository is refused', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  await put(f.dst, 'config', Buffer.from('{"version":1,"other":true}'));
  await assert.rejects(copyObjects(f.src, f.dst), (e) => isAirgapError(e, 'REPLICATION_FAILED'));
});

test('memory stays bounded: never more bytes in flight than the limit (one big object alone)', async (t) => {
  const f = await fixture();
  t.after(f.cleanup);
  let inFlight = 0;
  let peak = 0;
  const src: Backend = {
    ...f.src,
    get: async (type, name) => {
      const b = await f.src.get(type, name);
      inFlight += b.byteLength;
      peak = Math.max(peak, inFlight);
      return b;
    },
  };
  const dst: Backend = {
    ...f.dst,
    put: async (type, name, data, o) => {
      await new Promise((r) => setTimeout(r, 2));
      const r = await f.dst.put(type, name, data, o);
      inFlight -= data.byteLength;
      return r;
    },
  };
  const limit = 60_000; // the largest object is 56,000 bytes
  await copyObjects(src, dst, { concurrency: 8, maxInFlightBytes: limit });
  assert.ok(peak <= limit, `peak ${peak} > ${limit}`);
});

test('large objects are read into reused buffers: bytes intact, damage and size changes still refused', async (t) => {
  const { dir, srcRoot, src, dst } = await twoRepositories('airgap-copy-big-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Different sizes, so a pooled buffer is reused for a smaller object after a larger one.
  const blobs = [3, 1.5, 2, 1.25, 3].map((m, i) => Buffer.alloc(Math.round(m * 1024 * 1024), i + 1));
  blobs[4] = randomBytes(blobs[4]!.length);
  const names: string[] = [];
  for (const b of blobs) names.push(await put(src, 'data', b));
  const r = await copyObjects(src, dst, { concurrency: 2 });
  assert.equal(r.sent.objects, 1 + blobs.length);
  for (let i = 0; i < blobs.length; i++) assert.ok((await dst.get('data', names[i]!)).equals(blobs[i]!));

  // A damaged pack (same size, one byte flipped) is not forwarded.
  const bad = randomBytes(2 * 1024 * 1024);
  const badName = await put(src, 'data', bad);
  const p = objectPath(srcRoot, 'data', badName);
  bad[12345] ^= 1;
  await writeFile(p, bad);
  await assert.rejects(copyObjects(src, dst), (e: unknown) => isAirgapError(e, 'INTEGRITY'));
  assert.equal(await dst.stat('data', badName), null);

  // An object that grew after the listing (read one byte past the listed size) is refused too.
  const plan = await planCopy(src, dst);
  await writeFile(p, Buffer.concat([bad, Buffer.from('x')]));
  await assert.rejects(executeCopy(src, dst, plan), (e: unknown) => isAirgapError(e, 'INTEGRITY'));
  assert.equal(await dst.stat('data', badName), null);
});
