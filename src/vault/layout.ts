// Where the vault keeps things inside its data directory. Repositories use exactly the local backend's
// layout (so the vault host can read them directly); everything that is the vault's own (manifests,
// tokens, audit log, clock, kill switch) lives beside them, never inside the object directories.
import { join } from 'node:path';
import { fail } from '../errors.js';

export interface VaultLayout {
  root: string;
  config: string;
  tlsKey: string;
  tlsCert: string;
  tokens: string;
  audit: string;
  auditLock: string;
  secured: string;
  lastSeen: string;
  lastPrune: string;
  created: string;
  servePid: string;
  reposDir: string;
  metaDir: string;
}

export function vaultLayout(root: string): VaultLayout {
  return {
    root,
    config: join(root, 'vault.yaml'),
    tlsKey: join(root, 'tls', 'key.pem'),
    tlsCert: join(root, 'tls', 'cert.pem'),
    tokens: join(root, 'tokens.json'),
    audit: join(root, 'audit.log'),
    auditLock: join(root, 'audit.lock'),
    secured: join(root, 'SECURED'),
    lastSeen: join(root, 'clock', 'last-seen'),
    lastPrune: join(root, 'clock', 'last-prune'),
    created: join(root, 'clock', 'created'),
    servePid: join(root, 'serve.pid'),
    reposDir: join(root, 'repos'),
    metaDir: join(root, 'meta'),
  };
}

const REPO_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidRepoName(name: string): boolean {
  return REPO_NAME.test(name);
}

export function checkRepoName(name: string): string {
  if (!isValidRepoName(name)) {
    fail(
      'USAGE',
      `invalid repository name "${name}": use 1-64 of a-z, 0-9, - and _, starting with a letter or digit`,
    );
  }
  return name;
}

export function repoDir(l: VaultLayout, repo: string): string {
  return join(l.reposDir, checkRepoName(repo));
}

/** Vault-side metadata of one repository: snapshot manifests (refs, tags, receive time, lock). */
export function manifestDir(l: VaultLayout, repo: string): string {
  return join(l.metaDir, checkRepoName(repo), 'manifests');
}

export function repoLockFile(l: VaultLayout, repo: string): string {
  return join(l.metaDir, checkRepoName(repo), 'commit.lock');
}
