// The repository config: the one object not named by its hash. Plaintext JSON so that a keyless holder
// (the vault) can read the repository ID, authenticated by an HMAC under a key derived from the master
// key so that nobody can change the parameters unnoticed.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { fail } from '../errors.js';
import { DEFAULT_CHUNKER, type ChunkerParams } from './chunker.js';
import { hmacHex } from './crypto.js';
import { canonicalJson } from '../util/canonical-json.js';

export const FORMAT_VERSION = 1;

export interface RepoConfig {
  version: number;
  id: string;
  chunker: ChunkerParams;
  packSize: number;
  compression: number;
  created: string;
  mac?: string;
}

const schema = z.object({
  version: z.number().int(),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  chunker: z.object({ min: z.number().int(), avg: z.number().int(), max: z.number().int() }),
  packSize: z.number().int().min(1024),
  compression: z.number().int().min(0).max(19),
  created: z.string(),
  mac: z.string().optional(),
});

export function newConfig(
  opts: Partial<Pick<RepoConfig, 'chunker' | 'packSize' | 'compression'>> = {},
): RepoConfig {
  return {
    version: FORMAT_VERSION,
    id: randomBytes(32).toString('hex'),
    chunker: opts.chunker ?? DEFAULT_CHUNKER,
    packSize: opts.packSize ?? 16 * 1024 * 1024,
    compression: opts.compression ?? 3,
    created: new Date().toISOString(),
  };
}

function canonical(c: RepoConfig): string {
  const { mac: _mac, ...rest } = c;
  return canonicalJson(rest);
}

export function signConfig(c: RepoConfig, configKey: Buffer): RepoConfig {
  return { ...c, mac: hmacHex(configKey, canonical(c)) };
}

export function verifyConfig(c: RepoConfig, configKey: Buffer): void {
  if (c.mac !== hmacHex(configKey, canonical(c))) {
    fail('INTEGRITY', 'the repository config does not match its key: it was modified or belongs elsewhere');
  }
}

export function encodeConfig(c: RepoConfig): Buffer {
  return Buffer.from(JSON.stringify(c, null, 2) + '\n');
}

export function parseConfig(bytes: Buffer): RepoConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fail('REPO_NOT_FOUND', 'the repository config is not valid JSON: is this an airgap repository?');
  }
  const r = schema.safeParse(raw);
  if (!r.success) return fail('REPO_NOT_FOUND', 'the repository config is not an airgap config');
  if (r.data.version !== FORMAT_VERSION)
    fail('USAGE', `repository format version ${r.data.version} is not supported`);
  return r.data;
}
