// Index files: which blobs each pack holds, so a reader need not open every pack's header.
// Binary, zstd-compressed and encrypted; named by the SHA-256 of the stored bytes. docs/FORMAT.md.
import { fail } from '../errors.js';
import { BLOB_TYPES, BLOB_TYPE_CODE, decodeBlob, encodeBlob, type BlobType } from './blob.js';
import type { BlobIndex } from './blob-index.js';

const MAGIC = Buffer.from('AGIX');
const ENTRY = 45; // type u8, offset u32, length u32, rawLength u32, id[32]

export interface IndexPack {
  pack: string;
  blobs: { type: BlobType; id: Buffer; offset: number; length: number; rawLength: number }[];
}

export interface IndexFileContent {
  packs: IndexPack[];
  /** Index files this one replaces (written by prune); readers may ignore those. */
  supersedes: string[];
}

/** What encodeIndexFile writes for one pack: its entries by position, so they need not be objects. */
interface PackSource {
  pack: string;
  count: number;
  at(i: number): IndexPack['blobs'][number];
}

function encodePacks(
  encKey: Buffer,
  packs: readonly PackSource[],
  supersedes: readonly string[],
  level: number,
): Buffer {
  let size = 4 + 1 + 4 + 4 + supersedes.length * 32;
  for (const p of packs) size += 32 + 4 + p.count * ENTRY;
  const b = Buffer.alloc(size);
  let o = MAGIC.copy(b, 0);
  b[o++] = 1;
  o = b.writeUInt32LE(packs.length, o);
  for (const p of packs) {
    o += Buffer.from(p.pack, 'hex').copy(b, o);
    o = b.writeUInt32LE(p.count, o);
    for (let i = 0; i < p.count; i++) {
      const e = p.at(i);
      b[o++] = BLOB_TYPE_CODE[e.type];
      o = b.writeUInt32LE(e.offset, o);
      o = b.writeUInt32LE(e.length, o);
      o = b.writeUInt32LE(e.rawLength, o);
      o += e.id.copy(b, o, 0, 32);
    }
  }
  o = b.writeUInt32LE(supersedes.length, o);
  for (const s of supersedes) o += Buffer.from(s, 'hex').copy(b, o);
  return encodeBlob(encKey, b, level);
}

export function encodeIndexFile(encKey: Buffer, c: IndexFileContent, level: number): Buffer {
  const packs = c.packs.map((p) => ({ pack: p.pack, count: p.blobs.length, at: (i: number) => p.blobs[i]! }));
  return encodePacks(encKey, packs, c.supersedes, level);
}

/**
 * An index file of entries already in an in-memory index, given by entry number: a backup keeps only
 * those numbers until it writes the file (up to 50,000 of them), not an object per blob.
 */
export function encodeIndexFileOf(
  encKey: Buffer,
  index: BlobIndex,
  packs: readonly { pack: string; entries: readonly number[] }[],
  level: number,
): Buffer {
  const sources = packs.map((p) => ({
    pack: p.pack,
    count: p.entries.length,
    at: (i: number) => ({ ...index.locationAt(p.entries[i]!), id: index.idAt(p.entries[i]!) }),
  }));
  return encodePacks(encKey, sources, [], level);
}

export function decodeIndexFile(encKey: Buffer, stored: Buffer, what: string): IndexFileContent {
  const b = decodeBlob(encKey, stored, what);
  const bad = (): never => fail('INTEGRITY', `${what}: malformed index`);
  if (b.length < 13 || !b.subarray(0, 4).equals(MAGIC) || b[4] !== 1) bad();
  let o = 5;
  const need = (k: number): void => {
    if (o + k > b.length) bad();
  };
  need(4);
  const np = b.readUInt32LE(o);
  o += 4;
  const packs: IndexPack[] = [];
  for (let i = 0; i < np; i++) {
    need(36);
    const pack = b.toString('hex', o, o + 32);
    const nb = b.readUInt32LE(o + 32);
    o += 36;
    need(nb * ENTRY);
    const blobs: IndexPack['blobs'] = [];
    for (let j = 0; j < nb; j++, o += ENTRY) {
      const type = BLOB_TYPES[b[o]!] ?? bad();
      blobs.push({
        type,
        offset: b.readUInt32LE(o + 1),
        length: b.readUInt32LE(o + 5),
        rawLength: b.readUInt32LE(o + 9),
        id: Buffer.from(b.subarray(o + 13, o + 45)),
      });
    }
    packs.push({ pack, blobs });
  }
  need(4);
  const ns = b.readUInt32LE(o);
  o += 4;
  need(ns * 32);
  const supersedes: string[] = [];
  for (let i = 0; i < ns; i++, o += 32) supersedes.push(b.toString('hex', o, o + 32));
  return { packs, supersedes };
}
