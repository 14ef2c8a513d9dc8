// Pack files: encrypted blobs back to back, then the encrypted header that lists them, then the
// header's length (u32 LE). A pack is named by the SHA-256 of all its bytes. docs/FORMAT.md, "Pack".
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import { BLOB_TYPE_CODE, BLOB_TYPES, type BlobType } from './blob.js';
import { open, seal } from './crypto.js';

export const HEADER_ENTRY_LEN = 41; // type u8, length u32, rawLength u32, id[32]

export interface PackEntry {
  type: BlobType;
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
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
  finish(encKey: Buffer): { name: string; bytes?: Buffer; entries: PackEntry[]; size: number };
}

function headerPlaintext(entries: readonly PackEntry[]): Buffer {
  const plain = Buffer.allocUnsafe(entries.length * HEADER_ENTRY_LEN);
  entries.forEach((e, i) => {
    const o = i * HEADER_ENTRY_LEN;
    plain[o] = BLOB_TYPE_CODE[e.type];
    plain.writeUInt32LE(e.length, o + 1);
    plain.writeUInt32LE(e.rawLength, o + 5);
    e.id.copy(plain, o + 9);
  });
  return plain;
}

/**
 * A pack written out as it is built (to a backend's staged object): nothing of it stays in memory.
 * `scratch` is where addEncoded() encodes before writing; it grows as needed and may be shared by the
 * packs of one writer (they are built one after the other).
 */
const STAGING = 1024 * 1024;

export function newPackStream(out: { write(data: Uint8Array): void }, scratch: { buf: Buffer }): PackBuilder {
  const entries: PackEntry[] = [];
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
      entries.push({ type, id, offset: size, length: stored.length, rawLength });
      put(stored);
    },
    addEncoded(type, id, rawLength, maxLength, write) {
      if (scratch.buf.length < maxLength) scratch.buf = Buffer.allocUnsafe(maxLength);
      const length = write(scratch.buf, 0);
      entries.push({ type, id, offset: size, length, rawLength });
      put(scratch.buf.subarray(0, length));
    },
    get size() {
      return size;
    },
    get count() {
      return entries.length;
    },
    finish(encKey) {
      const header = seal(encKey, [headerPlaintext(entries)]);
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
  finish(encKey: Buffer): { name: string; bytes: Buffer; entries: PackEntry[]; size: number };
}

/** Blobs are copied into one growing buffer, so writing the pack needs no second copy of it. */
export function newPack(initial: number | Buffer = 1024 * 1024): MemoryPackBuilder {
  let buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  const entries: PackEntry[] = [];
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
      entries.push({ type, id, offset: size, length: stored.length, rawLength });
      ensure(stored.length);
      buf.set(stored, size);
      size += stored.length;
    },
    addEncoded(type, id, rawLength, maxLength, write) {
      ensure(maxLength);
      const length = write(buf, size);
      entries.push({ type, id, offset: size, length, rawLength });
      size += length;
    },
    get size() {
      return size;
    },
    get count() {
      return entries.length;
    },
    get buffer() {
      return buf;
    },
    finish(encKey) {
      const header = seal(encKey, [headerPlaintext(entries)]);
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
