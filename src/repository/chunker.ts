// Content-defined chunking: FastCDC (gear hash, normalized chunking, level 2). The gear table is derived
// from a key, so chunk boundaries do not reveal known content either. Parameters live in the repository
// config; changing them changes every boundary, so they are fixed at `init`.
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';

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

/** A read buffer with its cut-point search: file data is read straight into `buf`, then cut. */
export interface CutBuffer {
  readonly buf: Buffer;
  /** findCut() over `buf`. */
  findCut(start: number, end: number, final: boolean): number;
  /** 'wasm' normally; 'js' only if the WebAssembly module is missing (a build without wasm). */
  readonly engine: 'wasm' | 'js';
}

interface GearCutExports {
  memory: WebAssembly.Memory;
  cut(
    start: number,
    end: number,
    final: number,
    min: number,
    avg: number,
    max: number,
    maskS: number,
    maskL: number,
  ): number;
}

const GEAR_BYTES = 1024;
const PAGE = 64 * 1024;
let gearModule: WebAssembly.Module | null | undefined;

function loadGearModule(): WebAssembly.Module | null {
  if (gearModule === undefined) {
    try {
      gearModule = new WebAssembly.Module(readFileSync(new URL('./gear-cut.wasm', import.meta.url)));
    } catch {
      gearModule = null; // the same boundaries, from the TypeScript loop
    }
  }
  return gearModule;
}

/**
 * A buffer of `size` bytes for reading files to be chunked. It lives in the memory of a WebAssembly
 * instance of the cut-point search (src/repository/gear-cut.wat), so the data is never copied to be
 * chunked. The memory never grows afterwards: growing would detach `buf`.
 */
export function createCutBuffer(ch: Chunker, size: number): CutBuffer {
  const mod = loadGearModule();
  if (!mod) {
    const buf = Buffer.allocUnsafe(size);
    return { buf, engine: 'js', findCut: (start, end, final) => findCut(ch, buf, start, end, final) };
  }
  const wasm = new WebAssembly.Instance(mod).exports as unknown as GearCutExports;
  const need = Math.ceil((GEAR_BYTES + size) / PAGE);
  const have = wasm.memory.buffer.byteLength / PAGE;
  if (need > have) wasm.memory.grow(need - have);
  const mem = Buffer.from(wasm.memory.buffer);
  for (let i = 0; i < 256; i++) mem.writeUInt32LE(ch.gear[i]!, i * 4);
  const buf = mem.subarray(GEAR_BYTES, GEAR_BYTES + size);
  const { min, avg, max } = ch.params;
  const { maskS, maskL } = ch;
  return {
    buf,
    engine: 'wasm',
    findCut(start, end, final) {
      const r = wasm.cut(
        start + GEAR_BYTES,
        end + GEAR_BYTES,
        final ? 1 : 0,
        min,
        avg,
        max,
        maskS | 0,
        maskL | 0,
      );
      return r < 0 ? -1 : r - GEAR_BYTES;
    },
  };
}
