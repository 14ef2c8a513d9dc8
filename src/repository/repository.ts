// The repository object: an opened backend plus the keys, the config and (once loaded) the index.
// Everything above this layer reads and writes through these functions, never the backend's raw bytes.
import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import { type BlobType, decodeBlob, decodeBlobInto, newDecodeScratch, type DecodeScratch } from './blob.js';
import { ensureScratch, newScratch, type Scratch } from '../util/scratch.js';
import { newBlobIndex, type BlobIndex, type BlobLocation } from './blob-index.js';
import { createChunker, type Chunker } from './chunker.js';
import { encodeConfig, newConfig, parseConfig, signConfig, verifyConfig, type RepoConfig } from './config.js';
import { blobId, deriveKeys, type Keys } from './crypto.js';
import { decodeIndexFile } from './index-file.js';
import { addKey, kdfFromEnv, unlock, type KdfParams } from './keys.js';

export interface Repository {
  readonly backend: Backend;
  readonly config: RepoConfig;
  readonly keys: Keys;
  readonly master: Buffer;
  readonly keyId: string;
  readonly chunker: Chunker;
  readonly index: BlobIndex;
  /** Index files loaded into `index`, by number (the number is stored per entry). */
  readonly indexFiles: string[];
  indexLoaded: boolean;
}

function assemble(backend: Backend, config: RepoConfig, master: Buffer, keyId: string): Repository {
  const keys = deriveKeys(master, config.id);
  return {
    backend,
    config,
    keys,
    master,
    keyId,
    chunker: createChunker(config.chunker, keys.chunker),
    index: newBlobIndex(),
    indexFiles: [],
    indexLoaded: false,
  };
}

export interface InitOptions {
  kdf?: KdfParams;
  chunker?: RepoConfig['chunker'];
  packSize?: number;
  compression?: number;
}

export async function initRepository(
  backend: Backend,
  password: string,
  opts: InitOptions = {},
): Promise<Repository> {
  if (await backend.exists()) fail('REPO_EXISTS', `a repository already exists at ${backend.location}`);
  if (!password) fail('NO_PASSWORD', 'an empty passphrase is not allowed');
  await backend.create();
  const master = randomBytes(32);
  const base = newConfig(opts);
  const config = signConfig(base, deriveKeys(master, base.id).config);
  // Keys first, config last: a repository is there only when it can be opened.
  const keyId = await addKey(backend, master, password, opts.kdf ?? kdfFromEnv());
  await backend.put('config', 'config', encodeConfig(config));
  return assemble(backend, config, master, keyId);
}

export async function readConfig(backend: Backend): Promise<RepoConfig> {
  if (!(await backend.exists())) fail('REPO_NOT_FOUND', `no airgap repository at ${backend.location}`);
  return parseConfig(await backend.get('config', 'config'));
}

export async function openRepository(backend: Backend, password: string): Promise<Repository> {
  const config = await readConfig(backend);
  const { master, keyId } = await unlock(backend, password);
  verifyConfig(config, deriveKeys(master, config.id).config);
  return assemble(backend, config, master, keyId);
}

/** Loads every index file (once). Index files named in another's `supersedes` are still loaded when
 * present: duplicates are harmless, and a crashed prune may have left both. */
export async function loadIndex(repo: Repository): Promise<void> {
  if (repo.indexLoaded) return;
  const files = await repo.backend.list('index');
  for (const f of files) await addIndexFile(repo, f.name);
  repo.indexLoaded = true;
}

export async function addIndexFile(repo: Repository, name: string): Promise<void> {
  if (repo.indexFiles.includes(name)) return;
  const content = decodeIndexFile(repo.keys.enc, await repo.backend.get('index', name), `index/${name}`);
  const fileNo = repo.indexFiles.push(name) - 1;
  repo.index.reserve(repo.index.count + content.packs.reduce((a, p) => a + p.blobs.length, 0));
  for (const p of content.packs) {
    for (const b of p.blobs) {
      repo.index.add(
        b.id,
        { pack: p.pack, type: b.type, offset: b.offset, length: b.length, rawLength: b.rawLength },
        fileNo,
      );
    }
  }
}

export function hexId(id: Buffer): string {
  return id.toString('hex');
}

export function computeBlobId(repo: Repository, plain: Uint8Array): Buffer {
  return blobId(repo.keys.id, plain);
}

/** Reused buffers of a bulk reader: the stored bytes, then decodeBlobInto's. */
export interface ReadScratch extends DecodeScratch {
  stored: Scratch;
}

export function newReadScratch(): ReadScratch {
  return { ...newDecodeScratch(), stored: newScratch() };
}

/**
 * Reads and verifies a blob at one location. With a scratch, into its reused buffers (the view is
 * valid until the next call with it), read without allocating where the backend can read into a buffer.
 */
async function readBlobAt(
  repo: Repository,
  id: Buffer,
  loc: BlobLocation,
  scratch?: ReadScratch,
): Promise<Uint8Array> {
  const what = `${loc.type} blob ${hexId(id).slice(0, 12)} in pack ${loc.pack.slice(0, 12)}`;
  let plain: Uint8Array;
  if (scratch && repo.backend.readInto) {
    const stored = ensureScratch(scratch.stored, loc.length).subarray(0, loc.length);
    const got = await repo.backend.readInto('data', loc.pack, loc.offset, stored);
    if (got !== loc.length) fail('INTEGRITY', `${what}: the pack is shorter than its index says`);
    plain = decodeBlobInto(repo.keys.enc, stored, what, scratch);
  } else {
    const stored = await repo.backend.getRange('data', loc.pack, loc.offset, loc.length);
    plain = scratch
      ? decodeBlobInto(repo.keys.enc, stored, what, scratch)
      : decodeBlob(repo.keys.enc, stored, what);
  }
  if (!computeBlobId(repo, plain).equals(id)) fail('INTEGRITY', `${what}: content does not match its ID`);
  return plain;
}

/** Tries every known location of a blob before giving up. */
async function readFromAnyLocation(
  repo: Repository,
  id: Buffer,
  type: BlobType | undefined,
  scratch?: ReadScratch,
): Promise<Uint8Array> {
  const locs = repo.index.lookupAll(id);
  if (locs.length === 0) fail('INTEGRITY', `${type ?? 'blob'} ${hexId(id).slice(0, 12)} is not in the index`);
  let last: unknown;
  for (const loc of locs) {
    try {
      return await readBlobAt(repo, id, loc, scratch);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** Reads and verifies a blob into a buffer of its own. */
export async function readBlob(repo: Repository, id: Buffer, type?: BlobType): Promise<Buffer> {
  return (await readFromAnyLocation(repo, id, type)) as Buffer; // decodeBlob's own buffer
}

/** readBlob() into reused buffers: the view it returns is valid until the next call with `scratch`. */
export async function readBlobInto(
  repo: Repository,
  id: Buffer,
  scratch: ReadScratch,
  type?: BlobType,
): Promise<Uint8Array> {
  return readFromAnyLocation(repo, id, type, scratch);
}

export function sha256Hex(parts: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}
