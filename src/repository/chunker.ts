// Content-defined chunking: FastCDC (gear hash, normalized chunking, level 2). The gear table is derived
// from a key, so chunk boundaries do not reveal known content either. Parameters live in the repository
// config; changing them changes every boundary, so they are fixed at `init`.
import { createCipheriv } from 'node:crypto';

export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = { min: 256 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 };

export interface Chunker {
  readonly params: ChunkerParams;
  readonly gear: Uint32Array;
  readonly maskS: number;
  readonly maskL: number;
}

/** 256 pseudo-random 32-bit values: AES-256-CTR keystream under the chunker key. */
export function gearTable(key: Buffer): Uint32Array {
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const bytes = c.update(Buffer.alloc(1024));
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) t[i] = bytes.readUInt32LE(i * 4);
  return t;
}

function topBits(n: number): number {
  return n >= 32 ? 0xffffffff : (0xffffffff << (32 - n)) >>> 0;
}

export function createChunker(params: ChunkerParams, key: Buffer): Chunker {
  if (!(params.min > 64 && params.min < params.avg && params.avg < params.max)) {
    throw new RangeError(`invalid chunker parameters ${JSON.stringify(params)}`);
  }
  const bits = Math.round(Math.log2(params.avg));
  // Normalized chunking: a harder mask before the average size, an easier one after, so sizes cluster
  // around the average. The hash shifts left, so the top bits carry the most history.
  return { params, gear: gearTable(key), maskS: topBits(bits + 2), maskL: topBits(bits - 2) };
}

/**
 * The end (exclusive) of the chunk that starts at `start`, looking only at buf[start, end). If no cut
 * point is found before `end` and the chunk is shorter than max, returns `end` only when `final` is set
 * (end of file); otherwise -1 (the caller must supply more data).
 */
export function findCut(ch: Chunker, buf: Uint8Array, start: number, end: number, final: boolean): number {
  const { min, avg, max } = ch.params;
  const n = end - start;
  if (n <= min) return final ? end : n >= max ? start + max : -1;
  const limit = start + Math.min(n, max);
  const normal = start + Math.min(avg, n);
  const gear = ch.gear;
  const maskS = ch.maskS;
  const maskL = ch.maskL;
  let fp = 0;
  let i = start + min;
  for (; i < normal; i++) {
    fp = ((fp << 1) + gear[buf[i]!]!) >>> 0;
    if ((fp & maskS) === 0) return i + 1;
  }
  for (; i < limit; i++) {
    fp = ((fp << 1) + gear[buf[i]!]!) >>> 0;
    if ((fp & maskL) === 0) return i + 1;
  }
  if (limit - start >= max) return limit;
  return final ? end : -1;
}

/** Chunks a whole in-memory buffer (tests, small inputs). Returns the chunk lengths. */
export function chunkBuffer(ch: Chunker, data: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    const cut = findCut(ch, data, pos, data.length, true);
    out.push(cut - pos);
    pos = cut;
  }
  return out;
}
