// Receiving one object straight from the request body into the repository, without holding it in
// memory: the bytes go through SHA-256 into a temporary file in the repository's tmp/ as they arrive,
// the file is fsynced, the hash checked, and only then linked under its name. Buffering a whole 16 MiB
// pack (Fastify's body parser, then Buffer.concat) cost more than the TLS, the hash and the fsync
// together: fresh large allocations are page-faulted in at a few hundred MiB/s, a reused buffer is not.
//
// An error on the vault's side (disk full, size limit, wrong hash) never stops reading the body: the
// rest is drained and discarded so the client receives the typed error on its keep-alive connection
// instead of a reset it would retry, and the temporary file is removed before the answer is sent.
import { createHash } from 'node:crypto';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AirgapError, fail, fromSystemError } from '../errors.js';
import type { ObjectType, PutResult } from '../storage/backend.js';
import { objectPath } from '../storage/local.js';
import { linkIntoPlace, tempPath } from '../util/durable-fs.js';
import { repoDir } from './layout.js';
import { requireRepo, type StoreContext } from './store.js';

/** Bytes gathered before each write(2): big enough to keep syscalls few, small enough to stay warm. */
const WRITE_BUFFER = 1024 * 1024;

/**
 * Write buffers shared by all uploads and reused, never reallocated per object: a fresh buffer is
 * page-faulted in on first use, which on a VM costs more than the write itself. Each upload holds two
 * (one filling while the other is being written), and at most MAX_SPARE are kept between uploads.
 */
const spare: Buffer[] = [];
const MAX_SPARE = 16;
function takeBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(WRITE_BUFFER);
}
function giveBuffer(b: Buffer): void {
  if (spare.length < MAX_SPARE) spare.push(b);
}

export async function receiveObject(
  ctx: StoreContext,
  repo: string,
  type: ObjectType,
  name: string,
  body: Readable,
  declaredLength: number | undefined,
): Promise<PutResult> {
  const max = ctx.config.limits.maxObjectSize;
  let problem: unknown;
  try {
    await requireRepo(ctx.layout, repo);
    if (type === 'snapshots')
      fail('USAGE', 'a snapshot is sent as application/json with its object and manifest');
    if (declaredLength !== undefined && declaredLength > max)
      fail('VAULT_LIMIT', 'object larger than the vault accepts');
  } catch (e) {
    problem = e;
  }
  const root = repoDir(ctx.layout, repo);
  const tmp = tempPath(join(root, 'tmp'));
  let fh: FileHandle | undefined;
  if (!problem) fh = await open(tmp, 'wx', 0o600).catch((e: unknown) => ((problem = e), undefined));
  // Two buffers: while one is written to the file, the body keeps flowing into the other.
  let buf = takeBuffer();
  let other = takeBuffer();
  let writing: Promise<void> = Promise.resolve();
  try {
    const hash = createHash('sha256');
    let fill = 0;
    let total = 0;
    const writeOut = async (b: Buffer, n: number): Promise<void> => {
      try {
        // write(2) may write less than asked (a filling disk does exactly that): loop until all is out.
        for (let done = 0; done < n && !problem;) done += (await fh!.write(b, done, n - done)).bytesWritten;
      } catch (e) {
        problem ??= e;
      }
    };
    const flush = async (): Promise<void> => {
      await writing; // the other buffer is free again once its write finished
      if (fill > 0 && !problem && fh) {
        writing = writeOut(buf, fill);
        [buf, other] = [other, buf];
      }
      fill = 0;
    };
    // Never `break` out of this loop: that would destroy the socket. After a problem, drain.
    for await (const c of body as AsyncIterable<Buffer>) {
      if (problem) continue;
      total += c.length;
      if (total > max) {
        problem = new AirgapError('VAULT_LIMIT', 'object larger than the vault accepts');
        continue;
      }
      hash.update(c);
      let off = 0;
      while (off < c.length) {
        const n = c.copy(buf, fill, off);
        fill += n;
        off += n;
        if (fill === buf.length) await flush();
      }
    }
    await flush();
    await writing;
    if (problem) throw problem;
    await fh!.sync();
    await fh!.close();
    fh = undefined;
    if (type !== 'config') {
      const actual = hash.digest('hex');
      if (actual !== name)
        fail('VAULT_FORBIDDEN', `content hash mismatch: ${type}/${name} has SHA-256 ${actual}`);
    }
    const path = objectPath(root, type, name);
    const result = await linkIntoPlace(tmp, path);
    if (result === 'exists' && type === 'config') {
      // Every other name is its content's hash (checked above): same name, same bytes.
      const [have, got] = await Promise.all([readFile(path), readFile(tmp)]);
      if (!have.equals(got))
        fail('OBJECT_EXISTS_DIFFERENT', `${type}/${name} already exists with different content`);
    }
    // Not awaited: a snapshot commit waits for every pending mark (store.ts), so by the time a snapshot
    // is visible everything it references is immutable; the upload need not wait for a chattr process.
    if (result === 'created') void ctx.immutable.mark(path);
    return result;
  } catch (e) {
    throw fromSystemError(e, `storing ${type}/${name}`);
  } finally {
    await writing; // never close the file or reuse a buffer under a write in progress
    giveBuffer(buf);
    giveBuffer(other);
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
  }
}
