// The `targets:` section: one entry per machine whose power we control, keyed by a short name that the
// CLI and the replication task refer to (`airgap power on vault1`).
import { z } from 'zod';

const ms = z.number().int().positive();

/** Stage timeouts, all in milliseconds; see docs/GAP-CONTROL.md for the defaults. */
export const gapTimeoutsSchema = z.strictObject({
  bmcMs: ms.optional(),
  powerOnMs: ms.optional(),
  postMs: ms.optional(),
  serviceMs: ms.optional(),
  gracefulMs: ms.optional(),
  forceMs: ms.optional(),
});

const secretFields = {
  username: z.string().min(1),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .optional(),
  passwordFile: z.string().min(1).optional(),
};

const common = {
  name: z.string().optional(), // set by the loader from the key; never written by users
  timeouts: gapTimeoutsSchema.optional(),
  pollMs: ms.optional(),
};

const fingerprint = z
  .string()
  .regex(
    /^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/,
    'must be a SHA-256 fingerprint: 64 hex digits, colons allowed',
  );

export const redfishTargetSchema = z
  .strictObject({
    driver: z.literal('redfish'),
    /** host, host:port or https://host:port (http:// only together with insecure) */
    address: z.string().min(1),
    fingerprint: fingerprint.optional(),
    insecure: z.boolean().optional(),
    auth: z.enum(['basic', 'session']).default('basic'),
    systemId: z.string().min(1).optional(),
    requestTimeoutMs: ms.optional(),
    busyRetries: z.number().int().min(0).max(20).optional(),
    ...secretFields,
    ...common,
  })
  .refine((t) => t.fingerprint !== undefined || t.insecure === true, {
    message: 'a Redfish target needs the BMC certificate fingerprint (or, for a lab only, insecure: true)',
    path: ['fingerprint'],
  })
  .refine((t) => !(t.passwordEnv && t.passwordFile), {
    message: 'give passwordEnv or passwordFile, not both',
    path: ['passwordFile'],
  });

export const ipmiTargetSchema = z
  .strictObject({
    driver: z.literal('ipmi'),
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(623),
    cipherSuites: z.array(z.number().int().min(0).max(17)).min(1).default([17, 3]),
    privilege: z.enum(['ADMINISTRATOR', 'OPERATOR']).default('ADMINISTRATOR'),
    commandTimeoutMs: ms.optional(),
    ...secretFields,
    ...common,
  })
  .refine((t) => !(t.passwordEnv && t.passwordFile), {
    message: 'give passwordEnv or passwordFile, not both',
    path: ['passwordFile'],
  });

export const scriptTargetSchema = z.strictObject({
  driver: z.literal('script'),
  /** executables; relative paths are resolved against the config file's directory */
  open: z.string().min(1),
  close: z.string().min(1),
  status: z.string().min(1),
  forceOff: z.string().min(1).optional(),
  postStatus: z.string().min(1).optional(),
  address: z.string().optional(),
  scriptTimeoutMs: ms.optional(),
  env: z.record(z.string(), z.string()).optional(),
  username: z.string().optional(),
  passwordEnv: secretFields.passwordEnv,
  passwordFile: secretFields.passwordFile,
  ...common,
});

export const wolTargetSchema = z.strictObject({
  driver: z.literal('wol'),
  mac: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/, 'must be a MAC address like 00:11:22:33:44:55'),
  broadcast: z.string().default('255.255.255.255'),
  port: z.number().int().min(1).max(65535).default(9),
  /** a TCP port of the vault (SSH, its health endpoint) that answers only while it is up */
  probe: z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
  ...common,
});

export const targetSchema = z.discriminatedUnion('driver', [
  redfishTargetSchema,
  ipmiTargetSchema,
  scriptTargetSchema,
  wolTargetSchema,
]);

export const targetsSchema = z.record(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'target names use letters, digits, ".", "_" and "-"'),
  targetSchema,
);

export type GapTimeouts = z.infer<typeof gapTimeoutsSchema>;
export type RedfishTargetConfig = z.infer<typeof redfishTargetSchema>;
export type IpmiTargetConfig = z.infer<typeof ipmiTargetSchema>;
export type ScriptTargetConfig = z.infer<typeof scriptTargetSchema>;
export type WolTargetConfig = z.infer<typeof wolTargetSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
