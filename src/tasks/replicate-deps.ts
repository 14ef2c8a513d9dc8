// Builds the real things the replication task drives from a resolved plan: the gap driver of each
// target (from the config), the primary repository, and the vault with its pinned identity and token.
import type { AirgapConfig } from '../config/schema.js';
import { fail } from '../errors.js';
import { createDriver } from '../gap/create.js';
import type { DriverLog } from '../gap/driver.js';
import { openRepository } from '../repository/repository.js';
import { openBackend } from '../storage/open.js';
import { openVaultBackend, parseVaultLocation, vaultHealth } from '../storage/vault-client.js';
import { gapControl } from './gap-control.js';
import type { ResolvedPlan } from './plan-spec.js';
import type { ReplicationDeps } from './replicate.js';

export function replicationDeps(
  config: AirgapConfig,
  resolved: ResolvedPlan,
  opts: { env?: NodeJS.ProcessEnv; log?: DriverLog } = {},
): ReplicationDeps {
  const env = opts.env ?? process.env;
  const vault = resolved.vault;
  return {
    gap(target) {
      const t = config.targets[target];
      if (!t) fail('CONFIG', `no target "${target}" in the config (named by a window state file)`);
      return gapControl(createDriver(t, env, opts.log ? { log: opts.log } : {}), {
        ...(t.timeouts ? { timeouts: t.timeouts } : {}),
        ...(t.pollMs ? { pollMs: t.pollMs } : {}),
      });
    },
    async openSource() {
      const backend = await openBackend(resolved.spec.sourceLocation, env);
      const password = resolved.sourcePassword();
      return { backend, repo: await openRepository(backend, password), password };
    },
    async vaultHealth(signal) {
      return vaultHealth(parseVaultLocation(vault.url).baseUrl, vault.fingerprint, signal);
    },
    async openVault() {
      return openVaultBackend(vault.url, { fingerprint: vault.fingerprint, token: resolved.vaultToken() });
    },
  };
}
