// The in-memory index: blob ID → (pack, offset, length). Columns live in typed arrays with an
// open-addressing hash table over the IDs: no JavaScript object per entry, so ten million blobs fit in a
// few hundred MiB (docs/BENCHMARKS.md, "Memory per million chunks").
import type { BlobType } from './blob.js';
import { BLOB_TYPES, BLOB_TYPE_CODE } from './blob.js';

export interface BlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
}

export interface BlobIndex {
  readonly count: number;
  readonly packCount: number;
  /** Makes room for `total` entries in all, so loading a known number of entries wastes nothing. */
  reserve(total: number): void;
  /** Adds a blob; a second location of the same ID is kept as an alternative. Returns the entry number. */
  add(id: Buffer, loc: BlobLocation, indexFile?: number): number;
  has(id: Buffer): boolean;
  lookup(id: Buffer): BlobLocation | undefined;
  /** Every known location of the blob (duplicates after concurrent backups, or copies). */
  lookupAll(id: Buffer): BlobLocation[];
  entryOf(id: Buffer): number;
  /** Marks the blob as used; returns false when it is not in the index. */
  mark(id: Buffer): boolean;
  clearMarks(): void;
  /** Calls fn for every entry: id is a view valid only during the call. */
  forEach(fn: (entry: number, id: Buffer, loc: BlobLocation, marked: boolean) => void): void;
  packName(packNo: number): string;
  packNoOf(entry: number): number;
  /** The ID of an entry, as a view of the index's memory (valid until the index grows). */
  idAt(entry: number): Buffer;
  locationAt(entry: number): BlobLocation;
  indexFileOf(entry: number): number;
  setIndexFile(entry: number, indexFile: number): void;
  isMarked(entry: number): boolean;
  packs(): string[];
}

export function newBlobIndex(initial = 1024): BlobIndex {
  let cap = initial;
  let n = 0;
  let ids = Buffer.alloc(cap * 32);
  let packNo = new Uint32Array(cap);
  let offset = new Uint32Array(cap);
  let length = new Uint32Array(cap);
  let rawLength = new Uint32Array(cap);
  let type = new Uint8Array(cap);
  let marks = new Uint8Array(cap);
  let indexFile = new Int32Array(cap);
  let table = new Int32Array(cap * 2); // entry + 1, 0 = empty; a power of two, at most half full
  let tmask = table.length - 1;
  const packs: string[] = [];
  const packNos = new Map<string, number>();
  const alternates = new Map<number, number[]>(); // first entry → other entries with the same ID

  const slotOf = (id: Buffer): number => {
    let s = id.readUInt32LE(0) & tmask;
    while (true) {
      const e = table[s]!;
      if (e === 0) return s;
      const o = (e - 1) * 32;
      if (ids.compare(id, 0, 32, o, o + 32) === 0) return s;
      s = (s + 1) & tmask;
    }
  };

  const nextPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(x, 2)));
  // Doubling would leave up to half of a large index unused: grow by a quarter past a million entries.
  const grow = (want = cap < 1 << 20 ? cap * 2 : Math.ceil(cap * 1.25)): void => {
    const ncap = want;
    const g = <T extends Uint32Array | Uint8Array | Int32Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(ncap);
      b.set(a);
      return b;
    };
    const nids = Buffer.alloc(ncap * 32);
    ids.copy(nids);
    ids = nids;
    packNo = g(packNo, Uint32Array);
    offset = g(offset, Uint32Array);
    length = g(length, Uint32Array);
    rawLength = g(rawLength, Uint32Array);
    type = g(type, Uint8Array);
    marks = g(marks, Uint8Array);
    indexFile = g(indexFile, Int32Array);
    cap = ncap;
    table = new Int32Array(nextPow2(cap * 2));
    tmask = table.length - 1;
    for (let e = 0; e < n; e++) {
      if (isAlternate.has(e)) continue;
      const id = ids.subarray(e * 32, e * 32 + 32);
      table[slotOf(id)] = e + 1;
    }
  };
  const isAlternate = new Set<number>();

  const locOf = (e: number): BlobLocation => ({
    pack: packs[packNo[e]!]!,
    type: BLOB_TYPES[type[e]!]!,
    offset: offset[e]!,
    length: length[e]!,
    rawLength: rawLength[e]!,
  });

  const entryOf = (id: Buffer): number => {
    const e = table[slotOf(id)]!;
    return e - 1;
  };

  return {
    get count() {
      return n;
    },
    get packCount() {
      return packs.length;
    },
    add(id, loc, file = -1) {
      if (n === cap) grow();
      let p = packNos.get(loc.pack);
      if (p === undefined) {
        p = packs.length;
        packs.push(loc.pack);
        packNos.set(loc.pack, p);
      }
      const e = n++;
      id.copy(ids, e * 32, 0, 32);
      packNo[e] = p;
      offset[e] = loc.offset;
      length[e] = loc.length;
      rawLength[e] = loc.rawLength;
      type[e] = BLOB_TYPE_CODE[loc.type];
      indexFile[e] = file;
      const s = slotOf(id);
      const first = table[s]!;
      if (first === 0) table[s] = e + 1;
      else {
        isAlternate.add(e);
        const alts = alternates.get(first - 1) ?? [];
        alts.push(e);
        alternates.set(first - 1, alts);
      }
      return e;
    },
    has: (id) => table[slotOf(id)] !== 0,
    reserve(total) {
      if (total > cap) grow(total);
    },
    lookup(id) {
      const e = entryOf(id);
      return e < 0 ? undefined : locOf(e);
    },
    lookupAll(id) {
      const e = entryOf(id);
      if (e < 0) return [];
      return [e, ...(alternates.get(e) ?? [])].map(locOf);
    },
    entryOf,
    mark(id) {
      const e = entryOf(id);
      if (e < 0) return false;
      marks[e] = 1;
      return true;
    },
    clearMarks() {
      marks.fill(0);
    },
    forEach(fn) {
      for (let e = 0; e < n; e++) fn(e, ids.subarray(e * 32, e * 32 + 32), locOf(e), marks[e] === 1);
    },
    packName: (p) => packs[p]!,
    packNoOf: (e) => packNo[e]!,
    idAt: (e) => ids.subarray(e * 32, e * 32 + 32),
    locationAt: locOf,
    indexFileOf: (e) => indexFile[e]!,
    setIndexFile(e, f) {
      indexFile[e] = f;
    },
    isMarked: (e) => marks[e] === 1,
    packs: () => packs.slice(),
  };
}
