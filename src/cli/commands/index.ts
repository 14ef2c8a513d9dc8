// The verbs, each in its own module that exports a `register(program)`. Modules load only when their
// verb runs: every verb's dependencies (Fastify, the gap drivers, ...) would otherwise cost each start.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

type Loader = () => Promise<Register>;

export const verbs: Record<string, Loader> = {
  init: async () => (await import('./init.js')).registerInit,
  backup: async () => (await import('./backup.js')).registerBackup,
  snapshots: async () => (await import('./snapshots.js')).registerSnapshots,
  ls: async () => (await import('./ls.js')).registerLs,
  restore: async () => (await import('./restore.js')).registerRestore,
  diff: async () => (await import('./diff.js')).registerDiff,
  check: async () => (await import('./check.js')).registerCheck,
  forget: async () => (await import('./forget.js')).registerForget,
  prune: async () => (await import('./prune.js')).registerPrune,
  key: async () => (await import('./key.js')).registerKey,
  stats: async () => (await import('./stats.js')).registerStats,
  power: async () => (await import('./power.js')).registerPower,
  'bmc-sim': async () => (await import('./bmc-sim.js')).registerBmcSim,
  vault: async () => (await import('./vault.js')).registerVault,
  replicate: async () => (await import('./replicate.js')).registerReplicate,
  demo: async () => (await import('./demo.js')).registerDemo,
};

/** The registration of one verb, or of all of them (for help and unknown verbs). */
export async function loadCommands(verb: string | undefined): Promise<Register[]> {
  const one = verb !== undefined ? verbs[verb] : undefined;
  return one ? [await one()] : Promise.all(Object.values(verbs).map((l) => l()));
}
