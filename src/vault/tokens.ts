// Client credentials. A token is `agv1_<id>_<secret>` with a 32-byte random secret, shown once when it is
// added; the vault stores only its SHA-256, with the role, the repositories it may use and its expiry.
// Tokens are managed on the vault host only; the daemon re-reads the file when it changes, so a revoke
// takes effect on the next request without a restart.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fail, fromSystemError } from '../errors.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import { withFileLock } from './file-lock.js';

export type Role = 'replicator' | 'reader';
export const ROLES: readonly Role[] = ['replicator', 'reader'];

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  /** Repository names, or ['*'] for all. */
  repos: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

interface StoredToken extends TokenRecord {
  sha256: string;
}

interface TokenFile {
  tokens: StoredToken[];
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

async function readTokens(path: string): Promise<TokenFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as TokenFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    if (e instanceof SyntaxError) fail('CONFIG', `the token file ${path} is not valid JSON`);
    throw fromSystemError(e, `reading ${path}`);
  }
}

const strip = ({ sha256: _h, ...r }: StoredToken): TokenRecord => r;

export async function addTokenTo(
  path: string,
  opts: { role: Role; repos: string[]; name?: string; expiresAt?: Date | null; now?: Date },
): Promise<{ token: string; record: TokenRecord }> {
  if (!ROLES.includes(opts.role)) fail('USAGE', `unknown role "${opts.role}": use replicator or reader`);
  if (opts.repos.length === 0) fail('USAGE', 'a token needs at least one repository (or * for all)');
  const now = opts.now ?? new Date();
  if (opts.expiresAt && opts.expiresAt.getTime() <= now.getTime())
    fail('USAGE', 'the expiry must be in the future');
  return withFileLock(`${path}.lock`, async () => {
    const file = await readTokens(path);
    let id: string;
    do id = randomBytes(4).toString('hex');
    while (file.tokens.some((t) => t.id === id));
    const token = `agv1_${id}_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id,
      name: opts.name ?? '',
      role: opts.role,
      repos: opts.repos,
      createdAt: now.toISOString(),
      expiresAt: opts.expiresAt ? opts.expiresAt.toISOString() : null,
      revokedAt: null,
    };
    file.tokens.push({ ...record, sha256: hashToken(token) });
    await writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    return { token, record };
  });
}

export async function listTokensIn(path: string): Promise<TokenRecord[]> {
  return (await readTokens(path)).tokens.map(strip);
}

export async function revokeTokenIn(path: string, id: string, now = new Date()): Promise<TokenRecord> {
  return withFileLock(`${path}.lock`, async () => {
    const file = await readTokens(path);
    const t = file.tokens.find((x) => x.id === id);
    if (!t) fail('NOT_FOUND', `no token with id ${id}`);
    if (!t.revokedAt) {
      t.revokedAt = now.toISOString();
      await writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    }
    return strip(t);
  });
}

export type AuthResult =
  { ok: true; token: TokenRecord } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

/** The daemon's view of the token file, reloaded whenever the file changes (checked per request). */
export function makeTokenStore(path: string): {
  authenticate(token: string, now?: Date): Promise<AuthResult>;
} {
  let version = '';
  let tokens: StoredToken[] = [];
  return {
    async authenticate(token, now = new Date()) {
      const s = await stat(path).catch(() => null);
      const v = s ? `${s.ino}:${s.mtimeMs}:${s.size}` : 'none';
      if (v !== version) {
        tokens = s ? (await readTokens(path)).tokens : [];
        version = v;
      }
      const m = /^agv1_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/.exec(token);
      if (!m) return { ok: false, reason: 'unknown' };
      const t = tokens.find((x) => x.id === m[1]);
      if (!t || !timingSafeEqual(Buffer.from(t.sha256, 'hex'), Buffer.from(hashToken(token), 'hex'))) {
        return { ok: false, reason: 'unknown' };
      }
      if (t.revokedAt) return { ok: false, reason: 'revoked' };
      if (t.expiresAt && Date.parse(t.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired' };
      return { ok: true, token: strip(t) };
    },
  };
}
