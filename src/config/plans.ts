// The `plans:` section: each replication plan names a source repository, the gap target whose power
// opens the window, the vault to copy into, which snapshots go, hooks, timeouts and verification.
import { z } from 'zod';

const ms = z.number().int().positive();
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'names use letters, digits, ".", "_" and "-"');

export const hookSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** run with /bin/sh -c; relative paths resolve against the config file's directory (the hook's cwd) */
  command: z.string().min(1),
  timeoutMs: ms.optional(),
  env: z.record(z.string(), z.string()).optional(),
});

export const selectionSchema = z.discriminatedUnion('select', [
  z.strictObject({ select: z.literal('all') }),
  /** the newest snapshot of each source (host + paths) */
  z.strictObject({ select: z.literal('latest-per-source') }),
  /** every snapshot carrying at least one of these tags */
  z.strictObject({ select: z.literal('tags'), tags: z.array(z.string().min(1)).min(1) }),
]);

export const planSchema = z.strictObject({
  source: z
    .strictObject({
      repo: z.string().min(1),
      passwordFile: z.string().min(1).optional(),
      passwordEnv: envName.optional(),
    })
    .refine((s) => (s.passwordFile === undefined) !== (s.passwordEnv === undefined), {
      message: 'give exactly one of passwordFile or passwordEnv',
      path: ['passwordFile'],
    }),
  /** a key of `targets:` */
  target: name,
  /** a key of `vaults:` */
  vault: name,
  snapshots: selectionSchema.default({ select: 'all' }),
  hooks: z
    .strictObject({ pre: z.array(hookSchema).default([]), post: z.array(hookSchema).default([]) })
    .default({ pre: [], post: [] }),
  timeouts: z
    .strictObject({
      /** the whole task, hooks included; on expiry the copy stops and the window closes */
      totalMs: ms.optional(),
      copyMs: ms.optional(),
      verifyMs: ms.optional(),
    })
    .default({}),
  verify: z
    .strictObject({
      /** files restored from the vault and compared with the primary; 0 = list check only */
      sampleFiles: z.number().int().min(0).default(0),
    })
    .default({ sampleFiles: 0 }),
  copy: z
    .strictObject({
      concurrency: z.number().int().min(1).max(32).default(4),
      maxInFlightMiB: z.number().int().min(1).max(4096).default(64),
    })
    .default({ concurrency: 4, maxInFlightMiB: 64 }),
});

export const plansSchema = z.record(name, planSchema);

export type PlanConfig = z.infer<typeof planSchema>;
export type HookConfig = z.infer<typeof hookSchema>;
export type SelectionConfig = z.infer<typeof selectionSchema>;
