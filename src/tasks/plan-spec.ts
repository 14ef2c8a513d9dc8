// Turns a plan of airgap.yaml into the task's inputs: checks that the plan's target and vault exist,
// resolves relative paths against the config file, and reads the secrets it names (never logging them).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fail } from '../errors.js';
import type { AirgapConfig } from '../config/schema.js';
import type { PlanConfig } from '../config/plans.js';
import type { VaultConfig } from '../config/vaults.js';
import type { TargetConfig } from '../config/targets.js';
import type { ReplicationSpec } from './replicate.js';

export interface ResolvedPlan {
  spec: ReplicationSpec;
  plan: PlanConfig;
  vault: VaultConfig;
  target: TargetConfig;
  /** Reads the source passphrase when the task needs it. */
  sourcePassword(): string;
  /** Reads the vault's replicator token when the task needs it. */
  vaultToken(): string;
}

/** Where task state (open-window files, report history) lives unless --state-dir says otherwise. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIRGAP_STATE_DIR) return resolve(env.AIRGAP_STATE_DIR);
  if (process.getuid?.() === 0) return '/var/lib/airgap';
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'airgap');
}

function readSecret(
  what: string,
  file: string | undefined,
  envName: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (envName) {
    const v = env[envName];
    if (!v) fail('CONFIG', `${what}: environment variable ${envName} is not set`);
    return v;
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      fail('CONFIG', `${what}: cannot read ${file}`);
    }
    const v = text.replace(/\r?\n$/, '');
    if (!v) fail('CONFIG', `${what}: ${file} is empty`);
    return v;
  }
  fail('CONFIG', `${what}: no source configured`);
}

export function pickPlan(config: AirgapConfig, name: string | undefined): string {
  const names = Object.keys(config.plans);
  if (name) {
    if (!config.plans[name])
      fail('CONFIG', `no plan "${name}" in the config${names.length ? ` (plans: ${names.join(', ')})` : ''}`);
    return name;
  }
  if (names.length === 1) return names[0]!;
  if (names.length === 0)
    fail('CONFIG', 'the config has no plans: add a `plans:` section (docs/REPLICATION.md)');
  fail('USAGE', `the config has several plans; choose one with --plan (${names.join(', ')})`);
}

export function resolvePlan(
  config: AirgapConfig,
  configPath: string,
  planName: string | undefined,
  opts: { stateDir?: string; env?: NodeJS.ProcessEnv } = {},
): ResolvedPlan {
  const env = opts.env ?? process.env;
  const base = dirname(resolve(configPath));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const name = pickPlan(config, planName);
  const plan = config.plans[name]!;
  const target = config.targets[plan.target];
  if (!target) fail('CONFIG', `plan ${name}: no target "${plan.target}" in targets:`);
  const vault = config.vaults[plan.vault];
  if (!vault) fail('CONFIG', `plan ${name}: no vault "${plan.vault}" in vaults:`);
  const sourceRepo = /^[a-z0-9+.-]+:\/\//i.test(plan.source.repo) ? plan.source.repo : abs(plan.source.repo);
  const hook = (h: PlanConfig['hooks']['pre'][number]): ReplicationSpec['hooks']['pre'][number] => ({
    command: h.command,
    cwd: base,
    ...(h.name ? { name: h.name } : {}),
    ...(h.timeoutMs ? { timeoutMs: h.timeoutMs } : {}),
    ...(h.env ? { env: h.env } : {}),
  });
  const spec: ReplicationSpec = {
    plan: name,
    target: plan.target,
    vault: plan.vault,
    stateDir: opts.stateDir ? resolve(opts.stateDir) : defaultStateDir(env),
    sourceLocation: sourceRepo,
    selection: plan.snapshots,
    hooks: { pre: plan.hooks.pre.map(hook), post: plan.hooks.post.map(hook) },
    timeouts: plan.timeouts,
    sampleFiles: plan.verify.sampleFiles,
    copy: { concurrency: plan.copy.concurrency, maxInFlightBytes: plan.copy.maxInFlightMiB * 1024 * 1024 },
  };
  const pwFile = plan.source.passwordFile ? abs(plan.source.passwordFile) : undefined;
  const tokenFile = vault.tokenFile ? abs(vault.tokenFile) : undefined;
  return {
    spec,
    plan,
    vault,
    target,
    sourcePassword: () => readSecret(`plan ${name}: source passphrase`, pwFile, plan.source.passwordEnv, env),
    vaultToken: () => readSecret(`vault ${plan.vault}: token`, tokenFile, vault.tokenEnv, env),
  };
}
