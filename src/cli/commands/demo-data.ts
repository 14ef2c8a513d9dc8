// The demo's sample data set, generated deterministically (same seed, same bytes): text, compressible
// logs, incompressible "media", a duplicated file and nested directories. And a tree comparison, used by
// the demo and the tests to prove that a restore from the vault equals the source.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, lstat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** A deterministic byte stream: SHA-256 in counter mode over the seed. */
function bytes(seed: string, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let off = 0;
  for (let i = 0; off < n; i++) {
    const block = createHash('sha256').update(`${seed}:${i}`).digest();
    off += block.copy(out, off, 0, Math.min(block.length, n - off));
  }
  return out;
}

const WORDS =
  'air gap vault backup snapshot restore window power bmc redfish immutable copy verify close'.split(' ');

function text(seed: string, lines: number): string {
  const r = bytes(seed, lines * 8);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 4 + (r[i * 8]! % 10);
    const words: string[] = [];
    for (let j = 0; j < n; j++) words.push(WORDS[r[i * 8 + (j % 8)]! % WORDS.length]!);
    out.push(`${String(i).padStart(6, '0')} ${words.join(' ')}`);
  }
  return out.join('\n') + '\n';
}

export interface SampleData {
  files: number;
  bytes: number;
}

/** Writes about `mib` MiB of mixed files under `dir`. */
export async function makeSampleData(dir: string, mib = 4, seed = 'airgap-demo'): Promise<SampleData> {
  let files = 0;
  let total = 0;
  const put = async (rel: string, data: string | Buffer): Promise<void> => {
    const p = join(dir, rel);
    await mkdir(join(p, '..'), { recursive: true });
    await writeFile(p, data);
    files++;
    total += Buffer.byteLength(data);
  };
  const budget = mib * 1024 * 1024;
  await put('README.txt', 'Sample data set of `airgap demo`: documents, logs, media and a duplicate.\n');
  for (let i = 0; i < 20; i++) await put(`documents/report-${i}.txt`, text(`${seed}:doc:${i}`, 50 + i * 10));
  for (let d = 0; d < 3; d++)
    for (let i = 0; i < 5; i++) await put(`logs/host${d}/app-${i}.log`, text(`${seed}:log:${d}:${i}`, 2000));
  const media = Math.max(1, Math.floor((budget - total) / (512 * 1024)));
  for (let i = 0; i < media; i++)
    await put(`media/clip-${i}.bin`, bytes(`${seed}:media:${i}`, 512 * 1024 - i * 1000));
  await put('media/clip-0-copy.bin', bytes(`${seed}:media:0`, 512 * 1024));
  await put('empty.txt', '');
  return { files, bytes: total };
}

async function walk(root: string, dir = root, out = new Map<string, string>()): Promise<Map<string, string>> {
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    const s = await lstat(p);
    const rel = relative(root, p);
    if (s.isDirectory()) {
      out.set(rel + '/', 'dir');
      await walk(root, p, out);
    } else if (s.isFile())
      out.set(
        rel,
        createHash('sha256')
          .update(await readFile(p))
          .digest('hex'),
      );
    else out.set(rel, 'other');
  }
  return out;
}

/** Compares two trees by names and file contents; returns the differing paths (empty: equal). */
export async function compareTrees(a: string, b: string): Promise<string[]> {
  const [x, y] = await Promise.all([walk(a), walk(b)]);
  const diff: string[] = [];
  for (const [k, v] of x) if (y.get(k) !== v) diff.push(k);
  for (const k of y.keys()) if (!x.has(k)) diff.push(k);
  return diff;
}
