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

/**
 * seal() that writes nonce ‖ ciphertext ‖ tag into `out` at `offset` and returns the length. The
 * ciphertext is computed before anything is written, so `parts` may overlap the destination.
 */
export function sealInto(key: Buffer, parts: readonly Uint8Array[], out: Buffer, offset: number): number {
  const nonce = nextNonce();
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const cts = parts.map((p) => c.update(p));
  const fin = c.final();
  const tag = c.getAuthTag();
  let o = offset + nonce.copy(out, offset);
  for (const ct of cts) o += ct.copy(out, o);
  o += fin.copy(out, o);
  o += tag.copy(out, o);
  return o - offset;
}
