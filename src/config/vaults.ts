// The `vaults:` section: each vault repository the replication task can write to, with the pinned TLS
// identity that proves it is ours and where its replicator token comes from (never the token itself).
import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const vaultSchema = z
  .strictObject({
    /** The vault repository: vault+https://HOST:PORT/NAME */
    url: z
      .string()
      .regex(/^vault\+https:\/\/[^/\s]+\/[^/\s]+$/, 'must look like vault+https://HOST:PORT/NAME'),
    fingerprint: z
      .string()
      .regex(
        /^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/,
        'must be the SHA-256 fingerprint of the vault certificate: 64 hex digits, colons allowed',
      ),
    tokenFile: z.string().min(1).optional(),
    tokenEnv: envName.optional(),
  })
  .refine((v) => (v.tokenFile === undefined) !== (v.tokenEnv === undefined), {
    message: 'give exactly one of tokenFile or tokenEnv',
    path: ['tokenFile'],
  });

export const vaultsSchema = z.record(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'vault names use letters, digits, ".", "_" and "-"'),
  vaultSchema,
);

export type VaultConfig = z.infer<typeof vaultSchema>;
