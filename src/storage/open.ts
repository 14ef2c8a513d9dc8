// Turns a repository location into a backend: a plain path is a local directory; `vault+https://…` is a
// vault, with its pinned certificate fingerprint and token taken from the environment (never argv).
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import type { Backend } from './backend.js';
import { openLocalBackend } from './local.js';

export interface VaultCredentials {
  fingerprint: string;
  token: string;
}

/** Reads the vault credentials: AIRGAP_VAULT_FINGERPRINT, and AIRGAP_VAULT_TOKEN or AIRGAP_VAULT_TOKEN_FILE. */
export function vaultCredentialsFromEnv(env: NodeJS.ProcessEnv): VaultCredentials {
  const fingerprint = env.AIRGAP_VAULT_FINGERPRINT;
  if (!fingerprint)
    fail('USAGE', 'a vault repository needs the pinned certificate fingerprint in AIRGAP_VAULT_FINGERPRINT');
  let token = env.AIRGAP_VAULT_TOKEN;
  if (!token && env.AIRGAP_VAULT_TOKEN_FILE) {
    try {
      token = readFileSync(env.AIRGAP_VAULT_TOKEN_FILE, 'utf8').trim();
    } catch {
      fail('USAGE', `cannot read the vault token file ${env.AIRGAP_VAULT_TOKEN_FILE}`);
    }
  }
  if (!token)
    fail('USAGE', 'a vault repository needs a token in AIRGAP_VAULT_TOKEN or AIRGAP_VAULT_TOKEN_FILE');
  return { fingerprint, token };
}

export async function openBackend(location: string, env: NodeJS.ProcessEnv = process.env): Promise<Backend> {
  if (location.startsWith('vault+https://')) {
    const { openVaultBackend } = await import('./vault-client.js');
    return openVaultBackend(location, vaultCredentialsFromEnv(env));
  }
  if (/^[a-z0-9+.-]+:\/\//i.test(location)) fail('USAGE', `unsupported repository location ${location}`);
  return openLocalBackend(resolve(location));
}
