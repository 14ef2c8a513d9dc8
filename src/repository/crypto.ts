// Cryptographic primitives of the format (docs/FORMAT.md): subkeys derived from one master key with
// HKDF-SHA256, AES-256-GCM for every encrypted byte, HMAC-SHA256 for blob IDs (keyed, so the repository
// does not reveal whether it holds a known file).
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { fail } from '../errors.js';

export const NONCE_LEN = 12;
export const TAG_LEN = 16;
export const SEAL_OVERHEAD = NONCE_LEN + TAG_LEN;

export interface Keys {
  /** AES-256-GCM key for blobs, packs' headers, indexes and snapshots. */
  enc: Buffer;
  /** HMAC-SHA256 key for blob IDs. */
  id: Buffer;
  /** Seed of the chunker's gear table, so chunk boundaries are keyed too. */
  chunker: Buffer;
  /** HMAC key that authenticates the plaintext config. */
  config: Buffer;
}

export function deriveKeys(master: Buffer, repoId: string): Keys {
  const salt = Buffer.from(repoId, 'hex');
  const d = (info: string): Buffer => Buffer.from(hkdfSync('sha256', master, salt, `airgap ${info}`, 32));
  return { enc: d('enc'), id: d('id'), chunker: d('chunker'), config: d('config') };
}

// Drawing 12 random bytes per call costs more than the encryption of a small blob: draw from a pool.
let noncePool = Buffer.alloc(0);
let noncePos = 0;
function nextNonce(): Buffer {
  if (noncePos + NONCE_LEN > noncePool.length) {
    noncePool = randomBytes(NONCE_LEN * 4096);
    noncePos = 0;
  }
  const n = noncePool.subarray(noncePos, noncePos + NONCE_LEN);
  noncePos += NONCE_LEN;
  return n;
}

/** nonce ‖ ciphertext ‖ tag. `parts` are concatenated as the plaintext. */
export function seal(key: Buffer, parts: readonly Uint8Array[]): Buffer {
  const nonce = nextNonce();
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const out: Buffer[] = [Buffer.from(nonce)];
  for (const p of parts) out.push(c.update(p));
  out.push(c.final(), c.getAuthTag());
  return Buffer.concat(out);
}

export function open(key: Buffer, sealed: Uint8Array, what: string): Buffer {
  if (sealed.length < SEAL_OVERHEAD) fail('INTEGRITY', `${what}: too short to be encrypted data`);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE_LEN));
  d.setAuthTag(buf.subarray(buf.length - TAG_LEN));
  try {
    return Buffer.concat([d.update(buf.subarray(NONCE_LEN, buf.length - TAG_LEN)), d.final()]);
  } catch {
    return fail('INTEGRITY', `${what}: authentication failed (corrupted or not ours)`);
  }
}

export function blobId(idKey: Buffer, data: Uint8Array): Buffer {
  return createHmac('sha256', idKey).update(data).digest();
}

export function hmacHex(key: Buffer, data: Uint8Array | string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

// node:crypto has no in-place cipher: every update() returns a new buffer. Feeding it 64 KiB at a time
// keeps each of those small and short-lived (reused by malloc after the next young-generation GC)
// instead of one fresh blob-sized buffer per call, whose pages fault in anew every time.
const SLICE = 64 * 1024;

/**
 * seal() that writes nonce ‖ ciphertext ‖ tag into `out` at `offset` and returns the length. `parts`
 * may overlap the destination (a blob encoded in place) when each part starts at or before where its
 * ciphertext goes, less than a slice earlier: every slice's ciphertext is written only after the next
 * slice was read, and the nonce only after the first.
 */
export function sealInto(key: Buffer, parts: readonly Uint8Array[], out: Buffer, offset: number): number {
  const nonce = nextNonce();
  const c = createCipheriv('aes-256-gcm', key, nonce);
  let o = -1;
  let pending: Buffer | null = null;
  const flush = (): void => {
    if (o < 0) o = offset + nonce.copy(out, offset);
    if (pending) o += pending.copy(out, o);
    pending = null;
  };
  for (const p of parts) {
    for (let s = 0; s < p.length; s += SLICE) {
      const ct = c.update(p.subarray(s, Math.min(p.length, s + SLICE)));
      if (pending) flush();
      pending = ct;
    }
  }
  flush();
  o += c.final().copy(out, o);
  o += c.getAuthTag().copy(out, o);
  return o - offset;
}

/**
 * open() into `out` (which must hold sealed.length - SEAL_OVERHEAD bytes and must not overlap
 * `sealed`); returns the plaintext's length. On failure `out` holds unauthenticated bytes: ignore it.
 */
export function openInto(key: Buffer, sealed: Uint8Array, out: Uint8Array, what: string): number {
  if (sealed.length < SEAL_OVERHEAD) fail('INTEGRITY', `${what}: too short to be encrypted data`);
  const len = sealed.length - SEAL_OVERHEAD;
  if (out.length < len) throw new RangeError(`openInto: ${len} bytes do not fit ${out.length}`);
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_LEN));
  d.setAuthTag(sealed.subarray(sealed.length - TAG_LEN));
  const ct = sealed.subarray(NONCE_LEN, sealed.length - TAG_LEN);
  try {
    let o = 0;
    for (let s = 0; s < len; s += SLICE) {
      const pt = d.update(ct.subarray(s, Math.min(len, s + SLICE)));
      out.set(pt, o);
      o += pt.length;
    }
    d.final();
    return o;
  } catch {
    return fail('INTEGRITY', `${what}: authentication failed (corrupted or not ours)`);
  }
}
