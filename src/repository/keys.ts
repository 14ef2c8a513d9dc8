// Key files: the master key wrapped by a passphrase (scrypt → AES-256-GCM). Several key files can open
// one repository; each is an object named by the SHA-256 of its bytes.
import { createHash, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';
import { fail, isAirgapError } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import { open, seal } from './crypto.js';
import { compareStrings } from '../util/compare.js';

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/** ~100 ms and 32 MiB on our 2-core machines: costly for a guesser, cheap for a user. */
export const DEFAULT_KDF: KdfParams = { N: 1 << 15, r: 8, p: 1 };

const keyFileSchema = z.object({
  version: z.literal(1),
  kdf: z.literal('scrypt'),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
  salt: z.string(),
  created: z.string(),
  host: z.string(),
  user: z.string(),
  data: z.string(),
});
export type KeyFile = z.infer<typeof keyFileSchema>;

export interface KeyInfo {
  id: string;
  created: string;
  host: string;
  user: string;
}

function scrypt(password: string, salt: Buffer, p: KdfParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function kdfFromEnv(env: NodeJS.ProcessEnv = process.env): KdfParams {
  // Tests may lower the cost; documented as test-only in docs/FORMAT.md.
  const n = Number(env.AIRGAP_KDF_N);
  return Number.isInteger(n) && n >= 1024 ? { ...DEFAULT_KDF, N: n } : DEFAULT_KDF;
}

export async function wrapMasterKey(master: Buffer, password: string, kdf: KdfParams): Promise<Buffer> {
  const salt = randomBytes(32);
  const kek = await scrypt(password, salt, kdf);
  const file: KeyFile = {
    version: 1,
    kdf: 'scrypt',
    ...kdf,
    salt: salt.toString('base64'),
    created: new Date().toISOString(),
    host: hostname(),
    user: safeUser(),
    data: seal(kek, [master]).toString('base64'),
  };
  return Buffer.from(JSON.stringify(file, null, 2) + '\n');
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

export function keyName(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function parseKeyFile(bytes: Buffer): KeyFile | null {
  try {
    const r = keyFileSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

async function tryUnwrap(file: KeyFile, password: string): Promise<Buffer | null> {
  const kek = await scrypt(password, Buffer.from(file.salt, 'base64'), file);
  try {
    return open(kek, Buffer.from(file.data, 'base64'), 'key');
  } catch (e) {
    if (isAirgapError(e, 'INTEGRITY')) return null;
    throw e;
  }
}

/** Tries every key file; returns the master key and the ID of the key that opened it. */
export async function unlock(backend: Backend, password: string): Promise<{ master: Buffer; keyId: string }> {
  const keys = await backend.list('keys');
  if (keys.length === 0) fail('REPO_NOT_FOUND', 'the repository has no key files');
  for (const k of keys) {
    const file = parseKeyFile(await backend.get('keys', k.name));
    if (!file) continue;
    const master = await tryUnwrap(file, password);
    if (master) return { master, keyId: k.name };
  }
  return fail('WRONG_PASSWORD', 'wrong passphrase: no key of this repository opens with it');
}

export async function listKeys(backend: Backend): Promise<KeyInfo[]> {
  const out: KeyInfo[] = [];
  for (const k of await backend.list('keys')) {
    const f = parseKeyFile(await backend.get('keys', k.name));
    if (f) out.push({ id: k.name, created: f.created, host: f.host, user: f.user });
  }
  return out.sort((a, b) => compareStrings(a.created, b.created));
}

export async function addKey(
  backend: Backend,
  master: Buffer,
  password: string,
  kdf: KdfParams,
): Promise<string> {
  const bytes = await wrapMasterKey(master, password, kdf);
  const name = keyName(bytes);
  await backend.put('keys', name, bytes);
  return name;
}
