// The corpus every tool backs up: v1 and v2 built once by make-corpus.sh and reused while complete, and the
// "live" directory the tools actually read, moved from v1 to v2 the way a real machine changes.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { check, passThrough, capture } from './run.js';

export type CorpusMode = 'full' | 'smoke';

export interface Corpus {
  mode: CorpusMode;
  dir: string;
  v1: string;
  v2: string;
  live: string;
  v1Bytes: number;
  v2Bytes: number;
  v1Files: number;
  v2Files: number;
}

export async function duBytes(path: string): Promise<number> {
  const out = await check({ cmd: 'du', args: ['-sb', path] });
  const n = Number(out.split('\t')[0]);
  if (!Number.isFinite(n)) throw new Error(`du -sb ${path} printed "${out.trim()}"`);
  return n;
}

async function countFiles(path: string): Promise<number> {
  const out = await check({ cmd: 'find', args: [path, '-type', 'f', '-printf', '.'] });
  return out.length;
}

async function isComplete(dir: string, mode: CorpusMode): Promise<boolean> {
  try {
    return (await readFile(join(dir, '.complete'), 'utf8')).trim() === mode;
  } catch {
    return false;
  }
}

/** Builds the corpus with `script` unless a complete one of the same mode is already in `dir`. */
export async function ensureCorpus(
  mode: CorpusMode,
  dir: string,
  script: string,
  rebuild: boolean,
  log: (line: string) => void,
): Promise<Corpus> {
  if (rebuild || !(await isComplete(dir, mode))) {
    log(`building the ${mode} corpus in ${dir} (${script})`);
    await passThrough({ cmd: 'bash', args: [script, ...(mode === 'smoke' ? ['--smoke'] : []), dir] });
    if (!(await isComplete(dir, mode))) throw new Error(`${script} finished but ${dir}/.complete is missing`);
  } else {
    log(`reusing the ${mode} corpus in ${dir}`);
  }
  const v1 = join(dir, 'v1');
  const v2 = join(dir, 'v2');
  return {
    mode,
    dir,
    v1,
    v2,
    live: join(dir, 'live'),
    v1Bytes: await duBytes(v1),
    v2Bytes: await duBytes(v2),
    v1Files: await countFiles(v1),
    v2Files: await countFiles(v2),
  };
}

/**
 * v1: a fresh copy. v2: rsync over the v1 copy, so unchanged files keep their inodes and mtimes and an
 * incremental backup gets exactly the chance a real one would. --checksum because rsync's quick check
 * compares whole seconds: a file rewritten in place within the second it was created (the smoke corpus
 * is built that fast) would otherwise keep its v1 contents.
 */
export async function setLive(corpus: Corpus, version: 'v1' | 'v2'): Promise<void> {
  if (version === 'v1') {
    await rm(corpus.live, { recursive: true, force: true });
    await check({ cmd: 'cp', args: ['-a', corpus.v1, corpus.live] });
  } else {
    await check({ cmd: 'rsync', args: ['-a', '--delete', '--checksum', corpus.v2 + '/', corpus.live + '/'] });
  }
}

export interface TreeComparison {
  same: boolean;
  differences: string[];
}

/** Compares two trees file by file (contents, types, symlink targets), as `diff -rq --no-dereference`. */
export async function compareTrees(expected: string, actual: string): Promise<TreeComparison> {
  const r = await capture({ cmd: 'diff', args: ['-rq', '--no-dereference', expected, actual] });
  if (r.code > 1) {
    return { same: false, differences: [`diff failed: ${r.stderr.trim() || 'exit ' + r.code}`] };
  }
  const differences = r.stdout.split('\n').filter((l) => l.length > 0);
  return { same: r.code === 0 && differences.length === 0, differences };
}
