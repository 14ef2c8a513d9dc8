// Local administration of the vault: everything here runs on the vault host against its data directory,
// and none of it is reachable from the network.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { fail, fromSystemError } from '../errors.js';
import { writeFileAtomic, fsyncDir } from '../util/durable-fs.js';
import { openLocalBackend } from '../storage/local.js';
import { appendAudit, verifyAuditFile, type AuditEntry, type AuditVerifyResult } from './audit.js';
import { readTime, recordTime } from './clock.js';
import { defaultConfigFile, loadVaultConfig, writeConfigFile, type VaultConfig } from './config.js';
import { chattr, immutableSupported } from './immutable.js';
import { type VaultLayout, vaultLayout, repoDir, manifestDir, checkRepoName } from './layout.js';
import { listManifests } from './retention.js';
import { fingerprintOfPem, generateTlsIdentity } from '../util/tls-identity.js';
import { addTokenTo, listTokensIn, revokeTokenIn, type Role, type TokenRecord } from './tokens.js';

export function audit(
  l: VaultLayout,
  event: string,
  details: Record<string, unknown> = {},
  now?: Date,
): Promise<AuditEntry> {
  return appendAudit(l.audit, l.auditLock, event, details, now);
}

export interface InitVaultOptions {
  dataDir: string;
  name?: string;
  repos?: string[];
  listen?: string;
  /** Extra DNS names or IP addresses for the certificate (localhost and 127.0.0.1 are always in). */
  altNames?: string[];
  shutdownCommand?: string[];
}

export interface InitVaultResult {
  vaultId: string;
  name: string;
  dataDir: string;
  fingerprint: string;
  repos: string[];
}

export async function initVault(opts: InitVaultOptions): Promise<InitVaultResult> {
  const l = vaultLayout(opts.dataDir);
  if (await stat(l.config).catch(() => null))
    fail('TARGET_EXISTS', `a vault is already initialized in ${l.root}`);
  for (const r of opts.repos ?? []) checkRepoName(r);
  const vaultId = randomUUID();
  const name = opts.name ?? hostname();
  try {
    await mkdir(l.root, { recursive: true, mode: 0o700 });
    await mkdir(l.reposDir, { recursive: true });
    await mkdir(l.metaDir, { recursive: true });
  } catch (e) {
    throw fromSystemError(e, `creating the vault data directory ${l.root}`);
  }
  const id = await generateTlsIdentity(name, opts.altNames ?? []);
  await writeFileAtomic(l.tlsKey, id.keyPem, { mode: 0o600 });
  await writeFileAtomic(l.tlsCert, id.certPem, { mode: 0o644 });
  const cfg = defaultConfigFile(vaultId, name);
  if (opts.listen) cfg.listen = opts.listen;
  if (opts.shutdownCommand) cfg.deadman.command = opts.shutdownCommand;
  await writeConfigFile(l.config, cfg);
  await writeFileAtomic(l.created, new Date().toISOString() + '\n');
  await writeFile(l.audit, '', { flag: 'a', mode: 0o600 });
  // Where the filesystem allows it, the audit log itself becomes append-only for everyone, root included.
  if (await immutableSupported(l.root)) await chattr('+a', [l.audit]).catch(() => {});
  await audit(l, 'vault.init', { vaultId, name, fingerprint: id.fingerprint });
  for (const r of opts.repos ?? []) await addRepo(opts.dataDir, r);
  return { vaultId, name, dataDir: l.root, fingerprint: id.fingerprint, repos: opts.repos ?? [] };
}

export async function loadVault(dataDir: string): Promise<{ layout: VaultLayout; config: VaultConfig }> {
  const layout = vaultLayout(dataDir);
  return { layout, config: await loadVaultConfig(layout.config) };
}

export async function addRepo(dataDir: string, name: string): Promise<{ name: string; path: string }> {
  const { layout } = await loadVault(dataDir);
  const dir = repoDir(layout, name);
  if (await stat(dir).catch(() => null))
    fail('REPO_EXISTS', `repository ${name} already exists on this vault`);
  await openLocalBackend(dir).create();
  await mkdir(manifestDir(layout, name), { recursive: true });
  await fsyncDir(layout.reposDir);
  await audit(layout, 'repo.add', { repo: name });
  return { name, path: dir };
}

export async function addToken(
  dataDir: string,
  opts: { role: Role; repos: string[]; name?: string; expiresAt?: Date | null },
): Promise<{ token: string; record: TokenRecord }> {
  const { layout } = await loadVault(dataDir);
  const r = await addTokenTo(layout.tokens, opts);
  await audit(layout, 'token.add', {
    id: r.record.id,
    role: r.record.role,
    repos: r.record.repos,
    expiresAt: r.record.expiresAt,
  });
  return r;
}

export async function listTokens(dataDir: string): Promise<TokenRecord[]> {
  const { layout } = await loadVault(dataDir);
  return listTokensIn(layout.tokens);
}

export async function revokeToken(dataDir: string, id: string): Promise<TokenRecord> {
  const { layout } = await loadVault(dataDir);
  const r = await revokeTokenIn(layout.tokens, id);
  await audit(layout, 'token.revoke', { id });
  return r;
}

export interface SecuredState {
  since: string;
  reason: string;
}

export async function readSecured(l: VaultLayout): Promise<SecuredState | null> {
  try {
    return JSON.parse(await readFile(l.secured, 'utf8')) as SecuredState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A damaged flag file still means secured: fail closed.
    return { since: 'unknown', reason: 'unreadable kill-switch file' };
  }
}

/** The kill switch: from now on the daemon refuses every network session until released here. */
export async function secureVault(dataDir: string, reason = ''): Promise<SecuredState> {
  const { layout } = await loadVault(dataDir);
  const state = { since: new Date().toISOString(), reason };
  await writeFileAtomic(layout.secured, JSON.stringify(state) + '\n', { mode: 0o600 });
  await audit(layout, 'vault.secure', { reason });
  return state;
}

export async function releaseVault(dataDir: string): Promise<{ wasSecured: boolean }> {
  const { layout } = await loadVault(dataDir);
  const was = (await readSecured(layout)) !== null;
  await unlink(layout.secured).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw fromSystemError(e, 'releasing the kill switch');
  });
  await fsyncDir(layout.root);
  await audit(layout, 'vault.release', { wasSecured: was });
  return { wasSecured: was };
}

export async function verifyAudit(dataDir: string): Promise<AuditVerifyResult> {
  return verifyAuditFile(vaultLayout(dataDir).audit);
}

export async function markSeen(l: VaultLayout, now = new Date()): Promise<void> {
  await recordTime(l.lastSeen, now);
}

export interface VaultStatus {
  vaultId: string;
  name: string;
  dataDir: string;
  listen: string;
  fingerprint: string;
  secured: SecuredState | null;
  daemonPid: number | null;
  immutable: boolean;
  lastSeen: string | null;
  lastPrune: string | null;
  tokens: { active: number; revoked: number; expired: number };
  repos: {
    name: string;
    snapshots: number;
    locked: number;
    nextUnlock: string | null;
    objects: number;
    bytes: number;
  }[];
  audit: AuditVerifyResult;
}

export async function vaultStatus(dataDir: string, now = new Date()): Promise<VaultStatus> {
  const { layout, config } = await loadVault(dataDir);
  const certPem = await readFile(layout.tlsCert, 'utf8').catch((e) => {
    throw fromSystemError(e, 'reading the vault certificate');
  });
  const pid = Number((await readFile(layout.servePid, 'utf8').catch(() => '')).trim()) || null;
  let running = false;
  if (pid) {
    try {
      process.kill(pid, 0);
      running = true;
    } catch {
      running = false;
    }
  }
  const tokens = await listTokensIn(layout.tokens);
  const repos: VaultStatus['repos'] = [];
  const { readdir } = await import('node:fs/promises');
  for (const name of (await readdir(layout.reposDir).catch(() => [] as string[])).sort()) {
    const b = openLocalBackend(repoDir(layout, name));
    let objects = 0;
    let bytes = 0;
    for (const t of ['config', 'keys', 'data', 'index', 'snapshots'] as const) {
      for (const o of await b.list(t)) {
        objects++;
        bytes += o.size;
      }
    }
    const manifests = await listManifests(manifestDir(layout, name));
    const locked = manifests.filter((m) => Date.parse(m.lockedUntil) > now.getTime());
    const next = locked.map((m) => m.lockedUntil).sort()[0] ?? null;
    repos.push({
      name,
      snapshots: manifests.length,
      locked: locked.length,
      nextUnlock: next,
      objects,
      bytes,
    });
  }
  return {
    vaultId: config.vaultId,
    name: config.name,
    dataDir: layout.root,
    listen: config.listen,
    fingerprint: fingerprintOfPem(certPem),
    secured: await readSecured(layout),
    daemonPid: running ? pid : null,
    immutable: await immutableSupported(layout.root),
    lastSeen: (await readTime(layout.lastSeen))?.toISOString() ?? null,
    lastPrune: (await readTime(layout.lastPrune))?.toISOString() ?? null,
    tokens: {
      active: tokens.filter((t) => !t.revokedAt && !(t.expiresAt && Date.parse(t.expiresAt) <= now.getTime()))
        .length,
      revoked: tokens.filter((t) => t.revokedAt).length,
      expired: tokens.filter((t) => !t.revokedAt && t.expiresAt && Date.parse(t.expiresAt) <= now.getTime())
        .length,
    },
    repos,
    audit: await verifyAuditFile(layout.audit),
  };
}
