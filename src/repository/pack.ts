// Pack files: encrypted blobs back to back, then the encrypted header that lists them, then the
// header's length (u32 LE). A pack is named by the SHA-256 of all its bytes. docs/FORMAT.md, "Pack".
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import { BLOB_TYPE_CODE, BLOB_TYPES, type BlobType } from './blob.js';
import { open, seal } from './crypto.js';
import { ensureScratch, type Scratch } from '../util/scratch.js';

export const HEADER_ENTRY_LEN = 41; // type u8, length u32, rawLength u32, id[32]

export interface PackEntry {
  type: BlobType;
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
}

/**
 * The entries of a pack being built, kept in the header's own layout rather than as an object per blob
 * (a pack of tiny files holds up to 10,000, and an object with its own ID buffer costs ~700 bytes).
 */
export interface PackEntries {
  readonly count: number;
  /** A fresh object each time; its `id` is a view of the list's memory. */
  at(i: number): PackEntry;
  toArray(): PackEntry[];
}

interface EntryList extends PackEntries {
  push(type: BlobType, id: Uint8Array, offset: number, length: number, rawLength: number): void;
  /** The header's plaintext: the records themselves. */
  header(): Buffer;
}

function newEntryList(): EntryList {
  let rec = Buffer.allocUnsafe(64 * HEADER_ENTRY_LEN);
  let offs = new Uint32Array(64);
  let n = 0;
  const at = (i: number): PackEntry => {
    const o = i * HEADER_ENTRY_LEN;
    return {
      type: BLOB_TYPES[rec[o]!]!,
      length: rec.readUInt32LE(o + 1),
      rawLength: rec.readUInt32LE(o + 5),
      id: rec.subarray(o + 9, o + 41),
      offset: offs[i]!,
    };
  };
  return {
    push(type, id, offset, length, rawLength) {
      if (n === offs.length) {
        const nrec = Buffer.allocUnsafe(rec.length * 2);
        rec.copy(nrec);
        rec = nrec;
        const noffs = new Uint32Array(offs.length * 2);
        noffs.set(offs);
        offs = noffs;
      }
      const o = n * HEADER_ENTRY_LEN;
      rec[o] = BLOB_TYPE_CODE[type];
      rec.writeUInt32LE(length, o + 1);
      rec.writeUInt32LE(rawLength, o + 5);
      rec.set(id.subarray(0, 32), o + 9);
      offs[n++] = offset;
    },
    get count() {
      return n;
    },
    at,
    toArray: () =>
      Array.from({ length: n }, (_, i) => {
        const e = at(i);
        e.id = Buffer.from(e.id); // its own copy: outlives the list
        return e;
      }),
    header: () => rec.subarray(0, n * HEADER_ENTRY_LEN),
  };
}

export interface PackBuilder {
  add(type: BlobType, id: Buffer, stored: Uint8Array, rawLength: number): void;
  /** Lets `write` encode a blob straight into the pack (at most `maxLength` bytes); no copy. */
  addEncoded(
    type: BlobType,
    id: Buffer,
    rawLength: number,
    maxLength: number,
    write: (out: Buffer, offset: number) => number,
  ): void;
  readonly size: number;
  readonly count: number;
  /** The memory the pack is built in, to be reused once it is written (in-memory packs only). */
  readonly buffer?: Buffer;
  /**
   * Seals the header; returns the pack's name and entries, and its bytes when it was built in memory
   * (a streamed pack is already written out).
   */
  finish(encKey: Buffer): { name: string; bytes?: Buffer; entries: PackEntries; size: number };
}

/**
 * A pack written out as it is built (to a backend's staged object): nothing of it stays in memory.
 * `scratch` is where addEncoded() encodes before writing; it grows as needed and may be shared by the
 * packs of one writer (they are built one after the other).
 */
const STAGING = 1024 * 1024;

export function newPackStream(out: { write(data: Uint8Array): void }, scratch: Scratch): PackBuilder {
  const entries = newEntryList();
  const hash = createHash('sha256');
  let size = 0;
  // Small blobs are gathered and written a MiB at a time: one write(2) per tiny file's blob would
  // cost more than the file itself.
  const staging = Buffer.allocUnsafe(STAGING);
  let staged = 0;
  const flush = (): void => {
    if (staged === 0) return;
    const piece = staging.subarray(0, staged);
    out.write(piece);
    hash.update(piece);
    staged = 0;
  };
  const put = (data: Uint8Array): void => {
    size += data.length;
    const direct = data.length >= STAGING / 4;
    if (direct || data.length > STAGING - staged) flush(); // what was gathered goes first
    if (direct) {
      out.write(data);
      hash.update(data);
      return;
    }
    staging.set(data, staged);
    staged += data.length;
  };
  return {
    add(type, id, stored, rawLength) {
      entries.push(type, id, size, stored.length, rawLength);
      put(stored);
    },
    addEncoded(type, id, rawLength, maxLength, write) {
      const buf = ensureScratch(scratch, maxLength);
      const length = write(buf, 0);
      entries.push(type, id, size, length, rawLength);
      put(buf.subarray(0, length));
    },
    get size() {
      return size;
    },
    get count() {
      return entries.count;
    },
    finish(encKey) {
      const header = seal(encKey, [entries.header()]);
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(header.length);
      put(header);
      put(len);
      flush();
      return { name: hash.digest('hex'), entries, size };
    },
  };
}

export interface MemoryPackBuilder extends PackBuilder {
  readonly buffer: Buffer;
  finish(encKey: Buffer): { name: string; bytes: Buffer; entries: PackEntries; size: number };
}

/** Blobs are copied into one growing buffer, so writing the pack needs no second copy of it. */
export function newPack(initial: number | Buffer = 1024 * 1024): MemoryPackBuilder {
  let buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  const entries = newEntryList();
  let size = 0;
  const ensure = (extra: number): void => {
    if (size + extra <= buf.length) return;
    let cap = buf.length * 2;
    while (cap < size + extra) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    buf.copy(nb, 0, 0, size);
    buf = nb;
  };
  return {
    add(type, id, stored, rawLength) {
      entries.push(type, id, size, stored.length, rawLength);
      ensure(stored.length);
      buf.set(stored, size);
      size += stored.length;
    },
    addEncoded(type, id, rawLength, maxLength, write) {
      ensure(maxLength);
      const length = write(buf, size);
      entries.push(type, id, size, length, rawLength);
      size += length;
    },
    get size() {
      return size;
    },
    get count() {
      return entries.count;
    },
    get buffer() {
      return buf;
    },
    finish(encKey) {
      const header = seal(encKey, [entries.header()]);
      ensure(header.length + 4);
      header.copy(buf, size);
      buf.writeUInt32LE(header.length, size + header.length);
      const total = size + header.length + 4;
      const bytes = buf.subarray(0, total);
      return { name: createHash('sha256').update(bytes).digest('hex'), bytes, entries, size: total };
    },
  };
}

/** Reads the header of a whole pack (or of its tail: pass the pack's total size). */
export function parsePackHeader(encKey: Buffer, tail: Buffer, packSize: number, what: string): PackEntry[] {
  if (tail.length < 4) fail('INTEGRITY', `${what}: too short to be a pack`);
  const hlen = tail.readUInt32LE(tail.length - 4);
  if (hlen + 4 > tail.length || hlen + 4 > packSize) fail('INTEGRITY', `${what}: header length out of range`);
  const plain = open(encKey, tail.subarray(tail.length - 4 - hlen, tail.length - 4), `${what} header`);
  if (plain.length % HEADER_ENTRY_LEN !== 0) fail('INTEGRITY', `${what}: malformed header`);
  const entries: PackEntry[] = [];
  let offset = 0;
  for (let o = 0; o < plain.length; o += HEADER_ENTRY_LEN) {
    const type = BLOB_TYPES[plain[o]!];
    if (!type) fail('INTEGRITY', `${what}: unknown blob type`);
    const length = plain.readUInt32LE(o + 1);
    entries.push({
      type,
      length,
      rawLength: plain.readUInt32LE(o + 5),
      id: Buffer.from(plain.subarray(o + 9, o + 41)),
      offset,
    });
    offset += length;
  }
  if (offset + hlen + 4 !== packSize) fail('INTEGRITY', `${what}: header does not match the pack's size`);
  return entries;
}
