// Per-blob zstd. A blob is stored compressed only when that saves at least 1/32 of its size: random
// media costs a compression attempt but no decompression later, and never grows.
import { Compressor, decompress as zstdDecompress } from 'zstd-napi';

export const FLAG_RAW = 0;
export const FLAG_ZSTD = 1;

const compressors = new Map<number, Compressor>();

function compressor(level: number): Compressor {
  let c = compressors.get(level);
  if (!c) {
    c = new Compressor();
    c.setParameters({ compressionLevel: level });
    compressors.set(level, c);
  }
  return c;
}

/** Returns [flag, payload]. Level 0 disables compression. */
export function maybeCompress(data: Buffer, level: number): [number, Buffer] {
  if (level <= 0 || data.length < 64) return [FLAG_RAW, data];
  const z = compressor(level).compress(data);
  if (z.length <= data.length - (data.length >> 5)) return [FLAG_ZSTD, z];
  return [FLAG_RAW, data];
}

export function decompress(flag: number, payload: Buffer): Buffer {
  return flag === FLAG_ZSTD ? zstdDecompress(payload) : payload;
}
