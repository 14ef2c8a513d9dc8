// The encoding of one stored blob (and of every other encrypted object): seal(flag ‖ payload), where
// flag says whether payload is zstd-compressed. See docs/FORMAT.md, "Encrypted blob".
import { fail } from '../errors.js';
import { decompress, decompressInto, maybeCompress, FLAG_RAW, FLAG_ZSTD } from './compress.js';
import { ensureScratch, newScratch, type Scratch } from '../util/scratch.js';
import { open, openInto, seal, sealInto, SEAL_OVERHEAD } from './crypto.js';

export type BlobType = 'data' | 'tree';
export const BLOB_TYPE_CODE: Record<BlobType, number> = { data: 0, tree: 1 };
export const BLOB_TYPES: readonly BlobType[] = ['data', 'tree'];

const FLAGS = [Buffer.of(FLAG_RAW), Buffer.of(FLAG_ZSTD)];

/** The most an encoded blob can take: compression is kept only when smaller. */
export function maxEncodedLength(rawLength: number): number {
  return rawLength + SEAL_OVERHEAD + 1;
}

export function encodeBlob(encKey: Buffer, plain: Uint8Array, level: number): Buffer {
  const [flag, payload] = maybeCompress(plain, level);
  return seal(encKey, [FLAGS[flag]!, payload]);
}

/** encodeBlob() written straight into `out` at `offset` (which may overlap `plain`); returns the length. */
export function encodeBlobInto(
  encKey: Buffer,
  plain: Uint8Array,
  level: number,
  out: Buffer,
  offset: number,
): number {
  const [flag, payload] = maybeCompress(plain, level);
  return sealInto(encKey, [FLAGS[flag]!, payload], out, offset);
}

/** Checks the flag of a decrypted blob (flag ‖ payload) and decompresses the payload with `inflate`. */
function inflateChecked<T>(inner: Buffer, what: string, inflate: (flag: number, payload: Buffer) => T): T {
  const flag = inner[0];
  if (flag !== FLAG_RAW && flag !== FLAG_ZSTD) fail('INTEGRITY', `${what}: unknown compression flag ${flag}`);
  try {
    return inflate(flag, inner.subarray(1));
  } catch {
    return fail('INTEGRITY', `${what}: cannot be decompressed`);
  }
}

export function decodeBlob(encKey: Buffer, stored: Uint8Array, what: string): Buffer {
  return inflateChecked(open(encKey, stored, what), what, decompress);
}

/** Reused buffers for decodeBlobInto: one for the decrypted payload, one for the decompressed blob. */
export interface DecodeScratch {
  plain: Scratch;
  raw: Scratch;
}

export function newDecodeScratch(): DecodeScratch {
  return { plain: newScratch(), raw: newScratch() };
}

/**
 * decodeBlob() into reused buffers: returns a view valid until the next call with the same scratch.
 * For bulk readers (restore), where a fresh buffer per blob is what the resident size is made of.
 */
export function decodeBlobInto(
  encKey: Buffer,
  stored: Uint8Array,
  what: string,
  scratch: DecodeScratch,
): Uint8Array {
  const inner = ensureScratch(scratch.plain, Math.max(0, stored.length - SEAL_OVERHEAD));
  const n = openInto(encKey, stored, inner, what);
  return inflateChecked(inner.subarray(0, n), what, (flag, payload) =>
    decompressInto(flag, payload, scratch.raw),
  );
}

/** JSON documents (snapshots, trees, keys' payload) use the same encoding. */
export function encodeJson(encKey: Buffer, value: unknown, level = 3): Buffer {
  return encodeBlob(encKey, Buffer.from(JSON.stringify(value)), level);
}

export function decodeJson<T>(encKey: Buffer, stored: Uint8Array, what: string): T {
  const plain = decodeBlob(encKey, stored, what);
  try {
    return JSON.parse(plain.toString('utf8')) as T;
  } catch {
    return fail('INTEGRITY', `${what}: not valid JSON`);
  }
}
