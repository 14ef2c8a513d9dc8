// A buffer reused from call to call, grown when a caller needs more: hot paths (compression, packs,
// restore's decoding) allocate once instead of per blob, since on our VMs fresh pages cost far more
// than the work done in them.
export interface Scratch {
  buf: Buffer;
}

export function newScratch(): Scratch {
  return { buf: Buffer.alloc(0) };
}

/** The scratch's buffer, at least `size` bytes long (contents not kept when it grows). */
export function ensureScratch(s: Scratch, size: number): Buffer {
  if (s.buf.length < size) s.buf = Buffer.allocUnsafe(Math.max(size, s.buf.length * 2));
  return s.buf;
}
