// Per-blob zstd. A blob is stored compressed only when that saves at least 1/32 of its size: random
// media costs a compression attempt but no decompression later, and never grows.
// Compression writes into one reused scratch buffer (zstd's low-level API): a fresh buffer per blob is
// garbage that inflates the resident size of a long backup.
import { decompress as zstdDecompress } from 'zstd-napi';
import zstd from 'zstd-napi/binding.js';
import { ensureScratch, newScratch, type Scratch } from '../util/scratch.js';

export const FLAG_RAW = 0;
export const FLAG_ZSTD = 1;

const { CCtx, DCtx, compressBound, getFrameContentSize } = zstd; // a native CommonJS module: no named ESM exports
let cctx: InstanceType<typeof CCtx> | undefined;
let dctx: InstanceType<typeof DCtx> | undefined;
const scratch = newScratch();

/**
 * Returns [flag, payload]. Level 0 disables compression. A compressed payload is a view into a scratch
 * buffer that the next call overwrites: use it (encrypt it) before compressing anything else.
 */
export function maybeCompress(data: Uint8Array, level: number): [number, Uint8Array] {
  if (level <= 0 || data.length < 64) return [FLAG_RAW, data];
  cctx ??= new CCtx();
  const bound = compressBound(data.length);
  const out = ensureScratch(scratch, bound);
  const n = cctx.compress(out, data, level);
  if (n <= data.length - (data.length >> 5)) return [FLAG_ZSTD, out.subarray(0, n)];
  return [FLAG_RAW, data];
}

export function decompress(flag: number, payload: Buffer): Buffer {
  return flag === FLAG_ZSTD ? zstdDecompress(payload) : payload;
}

/**
 * decompress() into `out`'s reused buffer; returns a view of it, valid until the next call with the
 * same scratch. Frames without a content size (never written by maybeCompress) take the allocating path.
 */
export function decompressInto(flag: number, payload: Uint8Array, out: Scratch): Uint8Array {
  if (flag !== FLAG_ZSTD) return payload;
  const size = getFrameContentSize(payload);
  if (size === null)
    return zstdDecompress(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  dctx ??= new DCtx();
  const dst = ensureScratch(out, size);
  const n = dctx.decompress(dst.subarray(0, size), payload);
  return dst.subarray(0, n);
}
