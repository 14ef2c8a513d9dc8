// The vault's public surface: the daemon and the local administration used by the CLI.
export { startVault, type StartVaultOptions, type RunningVault } from './server.js';
export {
  initVault,
  addRepo,
  addToken,
  listTokens,
  revokeToken,
  secureVault,
  releaseVault,
  verifyAudit,
  vaultStatus,
  loadVault,
  type InitVaultOptions,
  type InitVaultResult,
  type VaultStatus,
} from './admin.js';
export { pruneVault, type PruneOptions, type PruneResult } from './prune.js';
export { parseDuration } from './duration.js';
export type { Role, TokenRecord } from './tokens.js';
