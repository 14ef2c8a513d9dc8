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
  add(type: BlobType, id: Buffer, stored: Buffer, rawLength: number): void;
  readonly size: number;
  readonly count: number;
  /** Seals the header; returns the pack's bytes as parts, its name and its entries. */
  finish(encKey: Buffer): { name: string; parts: Buffer[]; entries: PackEntry[]; size: number };
}

export function newPack(): PackBuilder {
  const parts: Buffer[] = [];
  const entries: PackEntry[] = [];
  let size = 0;
  return {
    add(type, id, stored, rawLength) {
      entries.push({ type, id, offset: size, length: stored.length, rawLength });
      parts.push(stored);
      size += stored.length;
    },
    get size() {
      return size;
    },
    get count() {
      return entries.length;
    },
    finish(encKey) {
      const plain = Buffer.allocUnsafe(entries.length * HEADER_ENTRY_LEN);
      entries.forEach((e, i) => {
        const o = i * HEADER_ENTRY_LEN;
        plain[o] = BLOB_TYPE_CODE[e.type];
        plain.writeUInt32LE(e.length, o + 1);
        plain.writeUInt32LE(e.rawLength, o + 5);
        e.id.copy(plain, o + 9);
      });
      const header = seal(encKey, [plain]);
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(header.length);
      const all = [...parts, header, len];
      const h = createHash('sha256');
      for (const p of all) h.update(p);
      return { name: h.digest('hex'), parts: all, entries, size: size + header.length + 4 };
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
    entries.push({ type, length, rawLength: plain.readUInt32LE(o + 5), id: Buffer.from(plain.subarray(o + 9, o + 41)), offset });
    offset += length;
  }
  if (offset + hlen + 4 !== packSize) fail('INTEGRITY', `${what}: header does not match the pack's size`);
  return entries;
}
