// Object-level copy between two backends (replication). Keyless except for the snapshot meta, which
// the caller supplies from the opened source repository. Lists the destination once and sends only what
// it lacks, so an interrupted copy resumes by simply running again. Order: config, keys, data, index,
// then snapshots last, so a snapshot never lands before everything it references. Never deletes.
import { createHash } from 'node:crypto';
import { AirgapError, fail, isAirgapError } from '../errors.js';
import type { Backend, ObjectInfo, ObjectType, SnapshotMeta } from '../storage/backend.js';
import { compareStrings } from '../util/compare.js';

/** The types that replicate, in the order they must arrive. Locks are local coordination, never copied. */
export const COPY_ORDER: readonly ObjectType[] = ['config', 'keys', 'data', 'index', 'snapshots'];

export interface CopyItem {
  type: ObjectType;
  name: string;
  size: number;
}

export interface CopyPlan {
  /** Objects the destination lacks, grouped by phase in COPY_ORDER. */
  send: CopyItem[];
  /** Objects that the destination already has (same name and size). */
  skip: CopyItem[];
  /** Snapshot ids chosen for this copy (whether or not they had to be sent). */
  snapshots: string[];
}

export interface CopyStats {
  objects: number;
  bytes: number;
}

export interface CopyResult {
  sent: CopyStats;
  skipped: CopyStats;
  byType: Record<string, { sent: CopyStats; skipped: CopyStats }>;
  /** Everything the destination must hold after this copy: what verify checks. */
  expected: CopyItem[];
  snapshots: string[];
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Bytes sent per second of copy time (0 when nothing was sent). */
  throughput: number;
}

export interface CopyProgress {
  objects: number;
  bytes: number;
  totalObjects: number;
  totalBytes: number;
  current?: string;
}

export interface CopyOptions {
  /** Snapshot ids to send; undefined sends every snapshot of the source. */
  snapshots?: readonly string[];
  /**
   * The meta for a snapshot (refs + tags), from the opened source repository. With it, only the data and
   * index objects the chosen snapshots reference are sent; without it, all of them are.
   */
  snapshotMeta?: (id: string) => Promise<SnapshotMeta>;
  /** Objects in flight at once (default 4). */
  concurrency?: number;
  /** Upper bound on object bytes held in memory at once (default 64 MiB; one larger object may still go alone). */
  maxInFlightBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: CopyProgress) => void;
  /** Called after each object the destination confirmed; lets a caller checkpoint. */
  onObject?: (item: CopyItem, result: 'created' | 'exists') => void;
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_MAX_IN_FLIGHT = 64 * 1024 * 1024;

function key(type: ObjectType, name: string): string {
  return `${type}/${name}`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled(signal);
}

function cancelled(signal: AbortSignal): AirgapError {
  const r: unknown = signal.reason;
  if (isAirgapError(r)) return r;
  return new AirgapError('CANCELLED', 'copy cancelled');
}

/** Every object of the replicated types, keyed `type/name`, in COPY_ORDER then name order. */
async function listAll(b: Backend, what: string): Promise<Map<string, CopyItem>> {
  const out = new Map<string, CopyItem>();
  for (const t of COPY_ORDER) {
    let infos: ObjectInfo[];
    try {
      infos = await b.list(t);
    } catch (e) {
      throw wrap(e, `listing ${t} on the ${what}`);
    }
    infos.sort((a, b) => compareStrings(a.name, b.name));
    for (const i of infos) out.set(key(t, i.name), { type: t, name: i.name, size: i.size });
  }
  return out;
}

function wrap(e: unknown, what: string): AirgapError {
  if (e instanceof AirgapError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new AirgapError('REPLICATION_FAILED', `${what}: ${msg}`, undefined, { cause: e });
}

/** Works out what to send: lists both sides once. */
export async function planCopy(src: Backend, dst: Backend, opts: CopyOptions = {}): Promise<CopyPlan> {
  const have = await listAll(src, 'source');
  const theirs = await listAll(dst, 'destination');
  if (!have.has('config/config')) fail('REPO_NOT_FOUND', `no repository at ${src.location}`);

  const allSnapshots = [...have.keys()].filter((k) => k.startsWith('snapshots/')).map((k) => k.slice(10));
  let snapshots: string[];
  if (opts.snapshots === undefined) snapshots = allSnapshots.sort();
  else {
    snapshots = [...new Set(opts.snapshots)];
    for (const id of snapshots)
      if (!have.has(key('snapshots', id)))
        fail('NOT_FOUND', `snapshot ${id} not found in the source repository`);
  }

  // With metas, the chosen snapshots name the data/index objects that must go; a ref missing from the
  // source means the source is damaged, and nothing that depends on it should be committed remotely.
  let wanted: Set<string> | null = null;
  if (opts.snapshotMeta) {
    wanted = new Set();
    for (const id of snapshots) {
      throwIfAborted(opts.signal);
      const meta = await opts.snapshotMeta(id);
      for (const ref of meta.refs) {
        if (!have.has(ref))
          fail('INTEGRITY', `snapshot ${id.slice(0, 8)} references ${ref}, missing from the source`);
        wanted.add(ref);
      }
    }
  }
  const chosenSnapshots = new Set(snapshots);

  const send: CopyItem[] = [];
  const skip: CopyItem[] = [];
  for (const [k, item] of have) {
    if (item.type === 'snapshots' && !chosenSnapshots.has(item.name)) continue;
    if ((item.type === 'data' || item.type === 'index') && wanted && !wanted.has(k)) continue;
    const remote = theirs.get(k);
    if (remote && remote.size === item.size) skip.push(item);
    else send.push(item); // absent, or a size that differs: the put lets the destination decide
  }
  return { send, skip, snapshots };
}

/** A counting limit on bytes held in memory; one oversized object may pass when nothing else is held. */
function byteLimiter(max: number): { acquire(n: number): Promise<void>; release(n: number): void } {
  let held = 0;
  const waiters: { n: number; go: () => void }[] = [];
  const pump = (): void => {
    while (waiters.length > 0) {
      const w = waiters[0]!;
      if (held > 0 && held + w.n > max) return;
      waiters.shift();
      held += w.n;
      w.go();
    }
  };
  return {
    acquire(n) {
      return new Promise((go) => {
        waiters.push({ n, go });
        pump();
      });
    },
    release(n) {
      held -= n;
      pump();
    },
  };
}

/**
 * Object buffers reused from one object to the next. Reading each pack into a fresh buffer (readFile)
 * cost more than everything else the copier does: on this kind of VM a newly allocated page is faulted
 * in at ~200 MiB/s, a reused one is copied into at several GiB/s. Objects below READ_INTO_MIN go through
 * the backend's plain get.
 */
const READ_INTO_MIN = 1024 * 1024;
const POOL_GRANULE = 1024 * 1024;

function bufferPool(keep: number): { take(n: number): Buffer; give(b: Buffer): void } {
  const free: Buffer[] = [];
  return {
    take(n) {
      let best = -1;
      for (let i = 0; i < free.length; i++)
        if (free[i]!.length >= n && (best < 0 || free[i]!.length < free[best]!.length)) best = i;
      if (best >= 0) return free.splice(best, 1)[0]!;
      return Buffer.allocUnsafeSlow(Math.ceil(n / POOL_GRANULE) * POOL_GRANULE);
    },
    give(b) {
      free.push(b);
      if (free.length > keep) free.sort((a, c) => c.length - a.length).pop(); // drop the smallest
    },
  };
}

/** Reads a whole object into a pooled buffer; one byte of slack detects an object longer than listed. */
async function readPooled(
  readInto: NonNullable<Backend['readInto']>,
  item: CopyItem,
  pool: ReturnType<typeof bufferPool>,
): Promise<{ data: Buffer; buf: Buffer }> {
  const buf = pool.take(item.size + 1);
  let got: number;
  try {
    got = await readInto(item.type, item.name, 0, buf.subarray(0, item.size + 1));
  } catch (e) {
    pool.give(buf);
    throw e;
  }
  if (got !== item.size) {
    pool.give(buf);
    fail('INTEGRITY', `source object ${item.type}/${item.name} changed size while copying; not sent`);
  }
  return { data: buf.subarray(0, item.size), buf };
}

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function emptyStats(): { sent: CopyStats; skipped: CopyStats } {
  return { sent: { objects: 0, bytes: 0 }, skipped: { objects: 0, bytes: 0 } };
}

/** Sends the planned objects phase by phase, concurrently within a phase, with bounded memory. */
export async function executeCopy(
  src: Backend,
  dst: Backend,
  plan: CopyPlan,
  opts: CopyOptions = {},
): Promise<CopyResult> {
  const started = Date.now();
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const limiter = byteLimiter(Math.max(1, opts.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT));
  const byType: CopyResult['byType'] = {};
  for (const t of COPY_ORDER) byType[t] = emptyStats();
  const sent: CopyStats = { objects: 0, bytes: 0 };
  const skipped: CopyStats = { objects: 0, bytes: 0 };
  for (const s of plan.skip) {
    skipped.objects++;
    skipped.bytes += s.size;
    byType[s.type]!.skipped.objects++;
    byType[s.type]!.skipped.bytes += s.size;
  }
  const totalObjects = plan.send.length;
  const totalBytes = plan.send.reduce((a, i) => a + i.size, 0);
  const progress = (current?: string): void =>
    opts.onProgress?.({ objects: sent.objects, bytes: sent.bytes, totalObjects, totalBytes, current });

  const pool = bufferPool(concurrency);
  const readInto = src.readInto?.bind(src);
  const sendOne = async (item: CopyItem): Promise<void> => {
    throwIfAborted(opts.signal);
    await limiter.acquire(item.size);
    // Back to the pool only after the destination confirmed the object: until then the transport may
    // still hold pieces of it. After a failure the buffer is simply dropped.
    let pooled: Buffer | undefined;
    try {
      throwIfAborted(opts.signal);
      let data: Buffer;
      try {
        if (readInto && item.type !== 'config' && item.size >= READ_INTO_MIN) {
          const r = await readPooled(readInto, item, pool);
          data = r.data;
          pooled = r.buf;
        } else data = await src.get(item.type, item.name);
      } catch (e) {
        throw wrap(e, `reading ${item.type}/${item.name} from the source`);
      }
      // Never forward damage: a hash-named object must hash to its name before it leaves.
      if (item.type !== 'config' && sha256Hex(data) !== item.name)
        fail('INTEGRITY', `source object ${item.type}/${item.name} does not match its hash; not sent`);
      const meta =
        item.type === 'snapshots' && opts.snapshotMeta ? await opts.snapshotMeta(item.name) : undefined;
      throwIfAborted(opts.signal);
      let r: 'created' | 'exists';
      try {
        r = await dst.put(item.type, item.name, data, meta ? { snapshot: meta } : undefined);
      } catch (e) {
        if (isAirgapError(e, 'OBJECT_EXISTS_DIFFERENT') && item.type === 'config')
          fail(
            'REPLICATION_FAILED',
            'the destination holds a different repository (its config differs); nothing more sent',
          );
        throw wrap(e, `sending ${item.type}/${item.name}`);
      }
      // Count what moved over the wire: 'exists' still means the bytes were sent and confirmed.
      sent.objects++;
      sent.bytes += data.byteLength;
      byType[item.type]!.sent.objects++;
      byType[item.type]!.sent.bytes += data.byteLength;
      opts.onObject?.(item, r);
      progress(`${item.type}/${item.name}`);
      if (pooled) pool.give(pooled);
    } finally {
      limiter.release(item.size);
    }
  };

  progress();
  for (const phase of COPY_ORDER) {
    const queue = plan.send.filter((i) => i.type === phase);
    let next = 0;
    let firstError: unknown = null;
    const worker = async (): Promise<void> => {
      while (firstError === null && next < queue.length) {
        const item = queue[next++]!;
        try {
          await sendOne(item);
        } catch (e) {
          firstError ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    if (firstError !== null) throw firstError;
  }

  const ended = Date.now();
  const durationMs = ended - started;
  return {
    sent,
    skipped,
    byType,
    expected: [...plan.skip, ...plan.send],
    snapshots: plan.snapshots,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs,
    throughput: durationMs > 0 ? Math.round((sent.bytes * 1000) / durationMs) : 0,
  };
}

/** Plan and send in one call. */
export async function copyObjects(src: Backend, dst: Backend, opts: CopyOptions = {}): Promise<CopyResult> {
  const plan = await planCopy(src, dst, opts);
  return executeCopy(src, dst, plan, opts);
}
